"""Applications (and offers), their department reviews, decisions and step history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class Application(Base):
    """One beneficiary's claim under one measure for one year (an item when the measure has them)."""

    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    measure: Mapped[str] = mapped_column(String(30), index=True)
    year: Mapped[int] = mapped_column(Integer)
    item: Mapped[str | None] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(12), default="application")
    state: Mapped[str] = mapped_column(String(12), index=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    # where each fact came from (registry, ledger, applicant) and what the applicant claimed that
    # the registry does not vouch for: shown to reviewers, never counted (migration 0005)
    sources: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    claims: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    commitment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    round: Mapped[int] = mapped_column(Integer, default=0)
    # snapshot taken at submission: the decision stays explainable after parameters change
    ceiling_fen: Mapped[int | None] = mapped_column(BigInteger)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    param_version: Mapped[int | None] = mapped_column(Integer)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None] = mapped_column()
    award_fen: Mapped[int | None] = mapped_column(BigInteger)
    appealed: Mapped[bool] = mapped_column(Boolean, default=False)
    offer_deadline: Mapped[date | None] = mapped_column(Date)
    payee: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it as is)


class Review(Base):
    """One department's review of one round of an application (并联审批: all rounds in parallel)."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    department: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    reason: Mapped[str | None] = mapped_column(Text)
    reviewer: Mapped[str | None] = mapped_column(String(60))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date] = mapped_column(Date)
    finished_at: Mapped[datetime | None] = mapped_column()
    elapsed_days: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012  (SQLAlchemy reads it as is)


class Decision(Base):
    """The office's decision (or decision on appeal): an award ≤ the ceiling, or a rejection."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    reasons: Mapped[str | None] = mapped_column(Text)
    on_appeal: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str] = mapped_column(String(60))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class Step(Base):
    """One transition of the lifecycle, with the working days the previous step took."""

    __tablename__ = "application_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(60))
    # the organisation a service-centre officer acted for (帮办, migration 0007); None: for itself
    on_behalf_of: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    elapsed_days: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
