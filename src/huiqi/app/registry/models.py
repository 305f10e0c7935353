"""Organisations, persons, their recognitions, annual facts and credit-list entries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    industry: Mapped[str | None] = mapped_column(String(4))
    one_matter: Mapped[bool] = mapped_column(Boolean, default=False)
    key_enterprise: Mapped[bool] = mapped_column(Boolean, default=False)
    fits_industry_positioning: Mapped[bool] = mapped_column(Boolean, default=False)
    listed_on: Mapped[date | None] = mapped_column(Date)
    # the confirmed payout account; its number sealed (``vault``), found by a keyed hash
    bank_name: Mapped[str | None] = mapped_column(String(100))
    account_no_enc: Mapped[str | None] = mapped_column(Text)
    account_no_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    account_no_masked: Mapped[str | None] = mapped_column(String(40))
    account_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Person(Base):
    """A talent: personal data kept to what the measures need (PIPL)."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # the ID number sealed (``vault``); unique and found by its keyed hash; shown masked only
    id_number_enc: Mapped[str] = mapped_column(Text)
    id_number_hash: Mapped[str] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    bank_name: Mapped[str | None] = mapped_column(String(100))
    account_no_enc: Mapped[str | None] = mapped_column(Text)
    account_no_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    account_no_masked: Mapped[str | None] = mapped_column(String(40))
    account_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountChange(Base):
    """A payout account an applicant asked for: in effect only once the office confirms it;
    until then payments go to the confirmed account (issue 10, finding 11)."""

    __tablename__ = "account_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    bank_name: Mapped[str] = mapped_column(String(100))
    account_no_enc: Mapped[str] = mapped_column(Text)
    account_no_hash: Mapped[str] = mapped_column(String(64))
    account_no_masked: Mapped[str] = mapped_column(String(40))
    account_name: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by: Mapped[str] = mapped_column(String(60))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(60))
    decided_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)


class Recognition(Base):
    """A dated recognition: chain leader, introduced-by, a title, a certification, a talent tier."""

    __tablename__ = "recognitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    subtype: Mapped[str | None] = mapped_column(String(40))
    level: Mapped[str | None] = mapped_column(String(20))
    recognised_on: Mapped[date] = mapped_column(Date)
    introducer_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    relocated: Mapped[bool] = mapped_column(Boolean, default=False)
    reference: Mapped[str | None] = mapped_column(String(200))
    entered_by: Mapped[str] = mapped_column(String(60))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnnualFact(Base):
    """One figure of one year (money in fen, counts as they are), with where it came from."""

    __tablename__ = "annual_facts"
    __table_args__ = (UniqueConstraint("org_id", "year", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(100))
    entered_by: Mapped[str] = mapped_column(String(60))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditEntry(Base):
    """An entry on a credit list (失信被执行人, 经营异常名录) with the dates it applies."""

    __tablename__ = "credit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    list: Mapped[str] = mapped_column(String(30))
    listed_on: Mapped[date] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
