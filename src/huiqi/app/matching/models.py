"""Proactive matching runs over the registry and what each found."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class MatchRun(Base):
    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    param_version: Mapped[int] = mapped_column(Integer)
    organisations: Mapped[int] = mapped_column(Integer, default=0)
    matches: Mapped[int] = mapped_column(Integer, default=0)
    offers: Mapped[int] = mapped_column(Integer, default=0)
    started_by: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


class Match(Base):
    """A measure an organisation appears to qualify for (eligible) or might with more facts."""

    __tablename__ = "matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    measure: Mapped[str] = mapped_column(String(30))
    item: Mapped[str | None] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    ceiling_fen: Mapped[int | None] = mapped_column(BigInteger)
    missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    reason_zh: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
