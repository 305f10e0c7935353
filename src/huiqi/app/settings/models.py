"""Platform settings (administrator) and per-measure workflow configuration (office)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class Setting(Base):
    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MeasureConfig(Base):
    """How one measure is administered: reviewing departments, time limits, 免申即享."""

    __tablename__ = "measure_configs"

    measure: Mapped[str] = mapped_column(String(30), primary_key=True)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    review_days: Mapped[int] = mapped_column(Integer, default=10)
    no_application: Mapped[bool] = mapped_column(Boolean, default=False)
    offer_days: Mapped[int] = mapped_column(Integer, default=15)
    updated_by: Mapped[str] = mapped_column(String(60))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
