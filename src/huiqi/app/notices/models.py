"""A notice (站内信) for an organisation, a person or one user: subject and body in Chinese and
English (the reader's language is chosen when shown), a link to the page it is about."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class Notice(Base):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    username: Mapped[str | None] = mapped_column(String(60), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    # what the notice is about, once: a second notice with the same key is never made
    key: Mapped[str] = mapped_column(String(120), unique=True)
    subject_zh: Mapped[str] = mapped_column(String(200))
    subject_en: Mapped[str] = mapped_column(String(300))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    read_by: Mapped[str | None] = mapped_column(String(60))
