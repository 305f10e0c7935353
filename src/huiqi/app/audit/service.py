"""The one entry point of the audit trail, and its verification.

Each entry stores the hash of its predecessor and its own hash over (predecessor hash, time,
actor, action, entity, before, after): changing, removing or inserting an entry breaks the chain
from that point. Removing the newest entries leaves a shorter valid chain, so ``verify`` reports
the head hash for comparison with one recorded elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from huiqi.app.audit.models import AuditEntry
from huiqi.app.auth.roles import Actor
from huiqi.app.db import utcnow

GENESIS = "0" * 64
ENTITY_ID_LENGTH = 40


def _canonical(value: Any) -> Any:
    """JSON-safe form: dates and decimals as strings, so the hash is the same on every database."""
    return json.loads(json.dumps(value, default=str, sort_keys=True, ensure_ascii=False))


def digest(prev: str, at: datetime, actor: str, action: str, entity: str, entity_id: str | None,
           before: Any, after: Any) -> str:
    body = json.dumps(
        [prev, at.isoformat(timespec="microseconds"), actor, action, entity, entity_id, before, after],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def serialise(session: Session) -> None:
    """Take the chain's lock now (PostgreSQL; SQLite's writers are serial already). A transaction
    that will lock other rows before auditing takes it first, so that locks are always taken in
    the same order and two transactions never wait for each other."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(8808)"))  # released at commit


def record(session: Session, *, actor: Actor | str, action: str, entity: str,
           entity_id: object = None, before: Any = None, after: Any = None,
           at: datetime | None = None) -> AuditEntry:
    """Append one entry (in the caller's transaction): who, when, what, before and after."""
    serialise(session)
    prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    when = (at or utcnow()).astimezone(UTC)  # hashed as stored
    who = actor.username if isinstance(actor, Actor) else actor
    eid = None if entity_id is None else str(entity_id)[:ENTITY_ID_LENGTH]
    b, a = _canonical(before), _canonical(after)
    entry = AuditEntry(at=when, actor=who, action=action, entity=entity, entity_id=eid, before=b,
                       after=a, prev_hash=prev, hash=digest(prev, when, who, action, entity, eid, b, a))
    session.add(entry)
    session.flush()
    return entry


@dataclass
class Verification:
    entries: int = 0
    head: str = GENESIS
    broken: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


def verify(session: Session) -> Verification:
    """Recompute the chain; every entry whose link or hash does not hold is reported."""
    report = Verification()
    prev = GENESIS
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        report.entries += 1
        if e.prev_hash != prev:
            report.broken.append(f"entry {e.id}: link to its predecessor broken (an entry before it "
                                 "was changed, removed or inserted)")
        if digest(e.prev_hash, e.at, e.actor, e.action, e.entity, e.entity_id, e.before,
                  e.after) != e.hash:
            report.broken.append(f"entry {e.id}: content does not match its hash (changed)")
        prev = e.hash
    report.head = prev
    return report
