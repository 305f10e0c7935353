"""Parameters as the office keeps them: the shipped file plus the office's dated changes.

Version ``v`` of the parameters is the shipped file with every change whose id ≤ v applied; an
application's snapshot records the version it was computed with, so it can be recomputed and
explained years later. Statutory values are read-only here — changing one is a reform (what-if).
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi.app.audit.service import record
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.errors import NotFound, Refused
from huiqi.app.parameters.models import ParameterChange
from huiqi.engine.params import DatedValue, ParamError, ParamKind, ParamSet, Reference, coerce
from huiqi.engine.policy import Policy
from huiqi.policy.tongzhou_2024_8 import policy as shipped

OFFICE_DOCUMENT = "通州区产业发展促进委员会办公室核定"
_cache: dict[tuple[tuple[Any, ...], ...], Policy] = {}
_lock = threading.Lock()


def policy() -> Policy:
    """The policy as shipped (texts, measures, the parameter file)."""
    return shipped()


def current_version(session: Session) -> int:
    return session.scalar(select(func.max(ParameterChange.id))) or 0


def policy_at(session: Session, version: int | None = None) -> Policy:
    """The policy with the office's changes up to ``version`` (default: the latest)."""
    v = current_version(session) if version is None else version
    changes = list(session.execute(
        select(ParameterChange.id, ParameterChange.name, ParameterChange.value,
               ParameterChange.effective_from, ParameterChange.reference)
        .where(ParameterChange.id <= v).order_by(ParameterChange.id)))
    key = tuple(tuple(c) for c in changes)  # the content, not the number: several databases
    with _lock:
        if key in _cache:
            return _cache[key]
    base = shipped()
    decls = dict(base.params.decls)
    for cid, name, value, since, reference in changes:
        decl = decls[name]
        dated = DatedValue(since=since, value=coerce(name, decl.unit, value),
                           reference=Reference(document=OFFICE_DOCUMENT, clause=f"v{cid} {reference}"))
        values = sorted([x for x in decl.values if x.since != since] + [dated], key=lambda x: x.since)
        decls[name] = decl.model_copy(update={"values": values})
    result = dataclasses.replace(base, params=ParamSet(decls), cache={}) if changes else base
    with _lock:
        if len(_cache) > 32:
            _cache.pop(next(iter(_cache)))
        _cache[key] = result
    return result


def set_value(session: Session, *, actor: Actor, name: str, value: Any, effective_from: date,
              reference: str, note: str | None = None) -> ParameterChange:
    """Record a new value of an administrative parameter from a date (the office only)."""
    actor.require(Role.OFFICE)
    decl = shipped().params.decls.get(name)
    if decl is None:
        raise NotFound(f"name: no parameter {name!r}; see GET /parameters")
    if decl.kind is not ParamKind.ADMINISTRATIVE:
        raise Refused(f"name: {name} is statutory (written in the notice) and read-only; "
                      "a change to it is a reform, tried with what-if")
    if effective_from < shipped().effective:
        raise Refused(f"effective_from: {effective_from} is before the notice took effect "
                      f"on {shipped().effective}")
    try:
        coerce(name, decl.unit, value)
    except ParamError as exc:
        raise Refused(f"value: {exc}") from None
    before = policy_at(session).params.at(effective_from)[name].value
    change = ParameterChange(name=name, value=str(value), effective_from=effective_from,
                             reference=reference, note=note, created_by=actor.username)
    session.add(change)
    session.flush()
    record(session, actor=actor, action="parameter.set", entity="parameter", entity_id=name,
           before={"value": before}, after={"value": str(value), "effective_from": effective_from,
                                              "version": change.id, "reference": reference})
    return change


def listing(session: Session, on: date) -> list[dict[str, Any]]:
    """Every parameter in force on ``on``, with its kind, provenance and change history."""
    if on < shipped().effective:
        raise Refused(f"on: {on} is before the notice took effect on {shipped().effective}")
    pol = policy_at(session)
    resolved = pol.params.at(on)
    history: dict[str, list[dict[str, Any]]] = {}
    for c in session.scalars(select(ParameterChange).order_by(ParameterChange.id)):
        history.setdefault(c.name, []).append(
            {"version": c.id, "value": c.value, "effective_from": c.effective_from.isoformat(),
             "reference": c.reference, "by": c.created_by, "at": c.created_at.isoformat()})
    out = []
    for name, decl in pol.params.decls.items():
        r = resolved[name]
        out.append({
            "name": name, "kind": decl.kind.value, "unit": decl.unit.value,
            "description_zh": decl.description_zh, "description_en": decl.description_en,
            "value": _show(r.value), "since": r.since.isoformat() if r.since else None,
            "reference": r.reference, "placeholder": r.placeholder,
            "editable": decl.kind is ParamKind.ADMINISTRATIVE, "changes": history.get(name, []),
        })
    return out


def _show(value: Any) -> Any:
    if isinstance(value, tuple):
        return [{k: str(v) for k, v in row.items()} for row in value]
    return value if isinstance(value, bool | int) else str(value)


def snapshot(pol: Policy, year: int) -> dict[str, Any]:
    """The parameter values a calculation of ``year`` used, for an application's snapshot."""
    return {n: {"value": _show(p.value), "since": p.since.isoformat() if p.since else None,
                "reference": p.reference, "placeholder": p.placeholder}
            for n, p in pol.params.resolve(year).items()}
