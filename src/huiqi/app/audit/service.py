"""The one entry point of the audit trail, and its verification.

Each entry stores its predecessor's hash and its own: an HMAC (SM3 where offered) under a key held
outside the database (``keys``) over (predecessor hash, time, actor, action, entity, before,
after, source address, user agent, MAC name, key id). Changing, removing or inserting an entry
breaks the chain from that point, and someone who can write the database but lacks the key cannot
re-sign it. Removing the newest entries leaves a shorter chain that still links, so the chain's
head is also anchored outside the database in signed checkpoints (``checkpoints``); ``verify``
checks the chain against every one of them.

Entries written before keyed chaining (migration 0002) carry a plain SHA-256 digest and no key id;
they are accepted only as the chain's beginning and only when a signed checkpoint covers them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from huiqi.app.audit import checkpoints, keys, origin
from huiqi.app.audit.keys import KeyRing
from huiqi.app.audit.models import AuditEntry
from huiqi.app.auth.roles import SYSTEM, Actor
from huiqi.app.copying import copy_rows, next_ids
from huiqi.app.db import utcnow

GENESIS = "0" * 64
COLUMNS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after", "prev_hash",
           "hash", "mac", "key_id", "source", "user_agent")
ENTITY_ID_LENGTH = 40


def _canonical(value: Any) -> Any:
    """JSON-safe form: dates and decimals as strings, so the hash is the same on every database."""
    return json.loads(json.dumps(value, default=str, sort_keys=True, ensure_ascii=False))


def _body(*fields: Any) -> bytes:
    return json.dumps(list(fields), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode()


def plain_digest(prev: str, at: datetime, actor: str, action: str, entity: str,
                 entity_id: str | None, before: Any, after: Any) -> str:
    """The unkeyed digest of entries written before migration 0002 (anyone can compute it)."""
    return hashlib.sha256(_body(prev, at.isoformat(timespec="microseconds"), actor, action, entity,
                                entity_id, before, after)).hexdigest()


def entry_message(e: AuditEntry) -> bytes:
    """What a keyed entry's MAC covers: every field but its id and its own hash."""
    return _body(e.prev_hash, e.at.isoformat(timespec="microseconds"), e.actor, e.action, e.entity,
                 e.entity_id, e.before, e.after, e.source, e.user_agent, e.mac, e.key_id)


def expected_hash(ring: KeyRing | None, e: AuditEntry) -> str | None:
    """The hash ``e`` must carry; None when its key is not in the ring."""
    if e.mac is None:
        return plain_digest(e.prev_hash, e.at, e.actor, e.action, e.entity, e.entity_id, e.before,
                            e.after)
    return None if ring is None or e.key_id is None else ring.mac(e.key_id, e.mac, entry_message(e))


def serialise(session: Session) -> None:
    """Take the chain's lock now (PostgreSQL; SQLite's writers are serial already). A transaction
    that will lock other rows before auditing takes it first, so that locks are always taken in
    the same order and two transactions never wait for each other."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(8808)"))  # released at commit


def record(session: Session, *, actor: Actor | str, action: str, entity: str,
           entity_id: object = None, before: Any = None, after: Any = None,
           at: datetime | None = None) -> AuditEntry:
    """Append one entry (in the caller's transaction): who, when, from where, what, before and after."""
    return record_many(session, actor=actor, action=action, entity=entity,
                       entries=[(entity_id, before, after)], at=at)[0]


def record_many(session: Session, *, actor: Actor | str, action: str, entity: str,
                entries: Sequence[tuple[object, Any, Any]], at: datetime | None = None
                ) -> list[AuditEntry]:
    """Append one entry per (entity id, before, after) of the same action, chained in order as
    ``record`` would chain them one by one, written in one flush (a run's many offers)."""
    ring = checkpoints.ring_for(session)
    serialise(session)
    prev = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    where = None if actor == SYSTEM or actor == SYSTEM.username else origin.current.get()
    written = []
    for entity_id, before, after in entries:
        entry = AuditEntry(
            at=(at or utcnow()).astimezone(UTC),  # hashed as stored
            actor=actor.username if isinstance(actor, Actor) else actor, action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id)[:ENTITY_ID_LENGTH],
            before=_canonical(before), after=_canonical(after), prev_hash=prev,
            source=where.source if where else None, user_agent=where.user_agent if where else None)
        entry.mac, entry.key_id = ring.signer
        entry.hash = prev = ring.sign(entry_message(entry))
        written.append(entry)
    if len(written) > 1 and session.get_bind().dialect.name == "postgresql":
        for e, new_id in zip(written, next_ids(session, "audit_log", len(written)), strict=True):
            e.id = new_id  # in chain order, as one flush would number them
        copy_rows(session, "audit_log", COLUMNS, (
            (e.id, e.at.replace(tzinfo=None), e.actor, e.action, e.entity, e.entity_id,
             json.dumps(e.before), json.dumps(e.after), e.prev_hash, e.hash, e.mac, e.key_id,
             e.source, e.user_agent) for e in written))
    elif written:
        session.add_all(written)
        session.flush()
    if written:
        checkpoints.after_entry(session, written[-1].id)
    return written


@dataclass
class Verification:
    entries: int = 0
    head: str = GENESIS
    broken: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken


def verify(session: Session) -> Verification:
    """Recompute the chain and check it against every signed checkpoint; report what does not hold."""
    report = Verification()
    cfg = checkpoints.config_for(session)
    ring = checkpoints.load_ring(cfg, create=False)
    anchors = checkpoints.read(cfg, ring, report.broken)
    wanted = {a.entries for a in anchors}
    seen: dict[int, str] = {}
    prev, keyed, last_plain, unkeyed = GENESIS, False, 0, 0
    for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        report.entries += 1
        if e.prev_hash != prev:
            report.broken.append(f"entry {e.id}: link to its predecessor broken (an entry before it "
                                 "was changed, removed or inserted)")
        if e.mac is None:
            last_plain = report.entries
            if keyed:
                report.broken.append(f"entry {e.id}: unkeyed entry after keyed ones (written "
                                     "without the key)")
        keyed = keyed or e.mac is not None
        expected = expected_hash(ring, e)
        if expected is None and ring is None:
            unkeyed += 1
        elif expected is None:
            report.broken.append(f"entry {e.id}: signed with key {e.key_id} ({e.mac}), which is "
                                 "not in the key ring")
        elif expected != e.hash:
            report.broken.append(f"entry {e.id}: content does not match its hash (changed)")
        if report.entries in wanted:
            seen[report.entries] = e.hash
        prev = e.hash
    report.head = prev
    if unkeyed:
        report.broken.append(f"{unkeyed} keyed entries cannot be checked: no audit key found "
                             f"({keys.ENV_KEY}, {keys.ENV_KEY_FILE} or {cfg.default_key})")
    report.broken += checkpoints.compare(anchors, seen, report.entries)
    if last_plain and not any(a.entries >= last_plain for a in anchors):
        report.broken.append(f"the first {last_plain} entries are unkeyed (before migration 0002) "
                             "and no signed checkpoint covers them")
    if not anchors:
        report.notes.append("no checkpoint yet: removal of the newest entries cannot be detected "
                            "(run `huiqi audit checkpoint`)")
    else:
        newest = max(anchors, key=lambda a: a.entries)
        report.notes.append(f"checked against {len(anchors)} checkpoint(s); the latest covers "
                            f"{newest.entries} entries (written {newest.at})")
    return report
