"""The audit trail: read it, verify its chain (auditor, office, audit administrator)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select

from huiqi.app.api.deps import DB, Current
from huiqi.app.audit.models import AuditEntry
from huiqi.app.audit.service import verify
from huiqi.app.auth.roles import Role

router = APIRouter(tags=["audit"])


@router.get("/audit", summary="Audit entries, newest first")
def entries(db: DB, actor: Current, entity: str | None = None, entity_id: str | None = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100,
            offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    actor.require(Role.AUDITOR, Role.OFFICE, Role.AUDIT_ADMIN)
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if entity:
        stmt = stmt.where(AuditEntry.entity == entity)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    return [{"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
             "entity": e.entity, "entity_id": e.entity_id, "before": e.before, "after": e.after,
             "source": e.source, "user_agent": e.user_agent, "key_id": e.key_id,
             "hash": e.hash} for e in db.scalars(stmt.limit(limit).offset(offset))]


@router.get("/audit/verify", summary="Recompute the keyed chain, check it against the checkpoints")
def check(db: DB, actor: Current) -> dict[str, Any]:
    actor.require(Role.AUDITOR, Role.OFFICE, Role.AUDIT_ADMIN)
    r = verify(db)
    return {"ok": r.ok, "entries": r.entries, "head": r.head, "broken": r.broken,
            "notes": r.notes}
