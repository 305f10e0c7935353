"""Administrative parameter values set by the office: each change is a new version."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class ParameterChange(Base):
    """One value of one administrative parameter from a date; the id is the version number."""

    __tablename__ = "parameter_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    value: Mapped[str] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
