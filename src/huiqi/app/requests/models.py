"""Requests and complaints (诉求直通, （十二）) and key enterprises' service packages (服务包)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class ServiceRequest(Base):
    __tablename__ = "service_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(12))
    filed_by: Mapped[str] = mapped_column(String(60))
    filed_at: Mapped[datetime] = mapped_column(default=utcnow)
    routed_on: Mapped[date | None] = mapped_column(Date)  # when the current time limit began
    due_on: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(60))
    answered_at: Mapped[datetime | None] = mapped_column()
    elapsed_days: Mapped[int | None] = mapped_column(Integer)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)


class ServicePackage(Base):
    """A key enterprise's service package with its named district contact."""

    __tablename__ = "service_packages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    contact_name: Mapped[str] = mapped_column(String(60))
    contact_phone: Mapped[str] = mapped_column(String(30))
    department: Mapped[str] = mapped_column(String(60))
    services: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
