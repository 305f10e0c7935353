"""Settings (administrator) and measure workflow configuration (office)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from huiqi.app.api.deps import DB, Current
from huiqi.app.auth.roles import STAFF
from huiqi.app.settings import service as settings
from huiqi.app.settings.models import MeasureConfig

router = APIRouter(tags=["settings"])


class MeasureConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    departments: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(min_length=1)
    review_days: int = Field(10, ge=1, le=120, description="working days for the parallel review")
    no_application: bool = Field(False, description="免申即享: eligible organisations get an offer")
    offer_days: int = Field(15, ge=1, le=120, description="working days to confirm an offer")


def _cfg(c: MeasureConfig) -> dict[str, Any]:
    return {"measure": c.measure, "departments": c.departments, "review_days": c.review_days,
            "no_application": c.no_application, "offer_days": c.offer_days}


@router.get("/settings/{key}", summary="A setting: calendar, credit_gates or request_days")
def get_setting(key: str, db: DB, actor: Current) -> Any:
    actor.require(*STAFF)
    if key not in settings.DEFAULTS:
        from huiqi.app.errors import NotFound

        raise NotFound(f"no setting {key!r}; known: {sorted(settings.DEFAULTS)}")
    return settings.get(db, key)


@router.put("/settings/{key}", summary="Change a setting (administrator)")
def put_setting(key: str, db: DB, actor: Current, value: Annotated[Any, Body()]) -> Any:
    return settings.put(db, actor=actor, key=key, value=value)


@router.get("/measure-configs", summary="How each configured measure is administered")
def configs(db: DB, actor: Current) -> list[dict[str, Any]]:
    actor.require(*STAFF)
    return [_cfg(c) for c in settings.configs(db)]


@router.put("/measure-configs/{measure}", summary="Departments, time limits, 免申即享 (office)")
def configure(measure: str, body: MeasureConfigIn, db: DB, actor: Current) -> dict[str, Any]:
    return _cfg(settings.configure_measure(db, actor=actor, measure=measure, **body.model_dump()))
