"""Settings: the working-day calendar and the credit gates (administrator); each measure's
reviewing departments, time limits and 免申即享 flag (office)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.audit.service import record
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import utcnow
from huiqi.app.errors import Refused
from huiqi.app.parameters.service import policy
from huiqi.app.settings.models import MeasureConfig, Setting
from huiqi.app.workdays import Calendar

CREDIT_LISTS = {
    "dishonest_debtor": ("失信被执行人", "judgment defaulters (失信被执行人)"),
    "abnormal_operation": ("经营异常名录", "list of abnormal business operations (经营异常名录)"),
}
DEFAULTS: dict[str, Any] = {
    "calendar": {"holidays": [], "workdays": []},
    # on these lists at decision time → refused (configurable, both on by default)
    "credit_gates": sorted(CREDIT_LISTS),
    # working days a department has to answer a routed request (诉求直通, （十二）)
    "request_days": 5,
    # days the audit trail is kept at least (网络安全法 第二十一条: not under six months)
    "audit_retention_days": 180,
}
MIN_RETENTION_DAYS = 180


def get(session: Session, key: str) -> Any:
    """A setting's value, read once per session (every transition asks for the calendar)."""
    cache = session.info.setdefault("settings", {})
    if key not in cache:
        row = session.get(Setting, key)
        cache[key] = DEFAULTS[key] if row is None else row.value
    return cache[key]


def put(session: Session, *, actor: Actor, key: str, value: Any) -> Any:
    """Change a setting (administrator only); audited."""
    actor.require(Role.ADMIN)
    if key not in DEFAULTS:
        raise Refused(f"unknown setting {key!r}; known: {sorted(DEFAULTS)}")
    if key == "credit_gates":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Refused(f"credit_gates: expected a list of list names from {sorted(CREDIT_LISTS)}")
        unknown = sorted(set(value) - set(CREDIT_LISTS))
        if unknown:
            raise Refused(f"credit_gates: unknown lists {unknown}; known: {sorted(CREDIT_LISTS)}")
    if key == "calendar":
        if not isinstance(value, dict) or set(value) - {"holidays", "workdays"}:
            raise Refused("calendar: expected {holidays: [YYYY-MM-DD], workdays: [YYYY-MM-DD]}, "
                          "nothing else")
        try:
            Calendar.of(value.get("holidays", []), value.get("workdays", []))
        except (AttributeError, TypeError, ValueError):
            raise Refused("calendar: expected {holidays: [YYYY-MM-DD], workdays: [YYYY-MM-DD]}") from None
    if key == "request_days" and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 1 <= value <= 60):
        raise Refused(f"request_days: a whole number of working days from 1 to 60, got {value!r}")
    if key == "audit_retention_days" and (isinstance(value, bool) or not isinstance(value, int)
                                          or not MIN_RETENTION_DAYS <= value <= 36_500):
        raise Refused(f"audit_retention_days: a whole number of days from {MIN_RETENTION_DAYS} "
                      f"(网络安全法 第二十一条: six months at least) to 36500, got {value!r}")
    before = get(session, key)
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_by=actor.username))
    else:
        row.value, row.updated_by, row.updated_at = value, actor.username, utcnow()
    session.info.get("settings", {}).pop(key, None)
    record(session, actor=actor, action="setting.put", entity="setting", entity_id=key,
           before=before, after=value)
    return value


def calendar(session: Session) -> Calendar:
    cal = get(session, "calendar")
    return Calendar.of(cal.get("holidays", []), cal.get("workdays", []))


def measure_config(session: Session, measure: str) -> MeasureConfig:
    """The measure's configuration, or the defaults (reviewed by the office alone, 10 days)."""
    cfg = session.get(MeasureConfig, measure)
    if cfg is None:
        return MeasureConfig(measure=measure, departments=["产促办"], review_days=10,
                             no_application=False, offer_days=15, updated_by="default")
    return cfg


def configs(session: Session) -> list[MeasureConfig]:
    return list(session.scalars(select(MeasureConfig).order_by(MeasureConfig.measure)))


def configure_measure(session: Session, *, actor: Actor, measure: str, departments: list[str],
                      review_days: int, no_application: bool, offer_days: int) -> MeasureConfig:
    """Set which departments review a measure in parallel, their time limit and 免申即享 (office)."""
    actor.require(Role.OFFICE)
    if measure not in policy().measures:
        raise Refused(f"measure: unknown measure id {measure!r}; see GET /measures")
    if not departments or len(set(departments)) != len(departments):
        raise Refused("departments: give at least one department, each once")
    cfg = session.get(MeasureConfig, measure)
    before = None
    if cfg is None:
        cfg = MeasureConfig(measure=measure, updated_by=actor.username)
        session.add(cfg)
    else:
        before = _config_json(cfg)
    cfg.departments, cfg.review_days = list(departments), review_days
    cfg.no_application, cfg.offer_days = no_application, offer_days
    cfg.updated_by, cfg.updated_at = actor.username, utcnow()
    session.flush()
    record(session, actor=actor, action="measure.configure", entity="measure_config",
           entity_id=measure, before=before, after=_config_json(cfg))
    return cfg


def _config_json(cfg: MeasureConfig) -> dict[str, Any]:
    return {"departments": cfg.departments, "review_days": cfg.review_days,
            "no_application": cfg.no_application, "offer_days": cfg.offer_days}
