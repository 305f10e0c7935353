"""An enterprise's consent (授权委托) to the service centre preparing its applications."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class Consent(Base):
    """One officer (or, with ``officer_id`` None, any officer of the centre) may prepare the
    organisation's applications for ``measures`` (None: every measure) until ``until`` (inclusive),
    unless revoked earlier."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    measures: Mapped[list[str] | None] = mapped_column(JSON)
    until: Mapped[date] = mapped_column(Date)
    granted_by: Mapped[str] = mapped_column(String(60))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(60))
    revoked_at: Mapped[datetime | None] = mapped_column()

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "org_id": self.org_id, "officer_id": self.officer_id,
                "measures": self.measures, "until": self.until.isoformat(),
                "granted_by": self.granted_by, "granted_at": self.granted_at.isoformat(),
                "revoked_by": self.revoked_by,
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}
