"""Signed checkpoints of the chain's head, kept outside the database.

A checkpoint is one line of ``checkpoints.jsonl`` in the audit folder: the number of entries, the
hash of the last one, when, and an HMAC of those under the current key. The file is only ever
appended to. Someone who deletes the newest entries (or rewrites the chain) cannot make it agree
with a checkpoint already written, and cannot write a new one without the key.

Written after every ``every`` entries and at least every ``seconds`` while entries are written
(once the transaction commits, so a checkpoint never names an entry that was rolled back), by the
API server on that period, by ``huiqi audit checkpoint`` and before a backup.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, event, func, select
from sqlalchemy.orm import Session

from huiqi.app.audit import keys
from huiqi.app.audit.config import AuditConfig, config
from huiqi.app.audit.models import AuditEntry
from huiqi.app.db import READ_ONLY, utcnow

log = logging.getLogger("huiqi.audit")
GENESIS = "0" * 64
DUE = "huiqi_audit_checkpoint_due"
_last: dict[Path, _Written] = {}  # per folder, in this process
_rings: dict[tuple[object, ...], keys.KeyRing] = {}


@dataclass
class _Written:
    """The last checkpoint this process wrote to a folder, and the entry id that makes the next due."""

    time: float
    next_id: int
    entries: int = -1
    head: str = ""


@dataclass(frozen=True)
class Anchor:
    line: int
    at: str
    entries: int
    head: str


def config_for(session_or_engine: Session | Engine) -> AuditConfig:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return config(bind.engine.url.render_as_string(hide_password=True))


def load_ring(cfg: AuditConfig, *, create: bool = True) -> keys.KeyRing | None:
    """The key ring (cached until the key file changes); None when ``create`` is off and none exists."""
    path = keys.key_file(cfg.default_key)
    if path is not None and not path.exists() and not (create and path == cfg.default_key):
        if create:
            raise keys.AuditKeyError(f"{path}: audit key file not found ({keys.ENV_KEY_FILE})")
        return None
    stamp = (cfg.default_key, os.environ.get(keys.ENV_KEY), path,
             path.stat().st_mtime_ns if path is not None and path.exists() else None)
    if stamp not in _rings:
        _rings.clear()
        _rings[stamp] = keys.load(cfg.default_key)
    return _rings[stamp]


def ring_for(session: Session) -> keys.KeyRing:
    ring = load_ring(config_for(session))
    assert ring is not None
    return ring


def _message(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


Head = tuple[int, str, int]  # (number of entries, hash of the newest, its id)


def head(c: Connection | Session) -> Head:
    """The chain's head as read in ``c``'s transaction."""
    count, last = c.execute(select(func.count(), func.max(AuditEntry.id))).one()
    digest = c.scalar(select(AuditEntry.hash).where(AuditEntry.id == last)) if last else None
    return int(count), digest or GENESIS, int(last or 0)


def write(engine: Engine, *, force: bool = True) -> Anchor | None:
    """Append a signed checkpoint of the current head; unless ``force``, only if the head moved."""
    with engine.execution_options(**{READ_ONLY: True}).connect() as c, c.begin():
        current = head(c)
    return _append(config_for(engine), current, force=force)


def _append(cfg: AuditConfig, current: Head, *, force: bool) -> Anchor | None:
    ring = load_ring(cfg)
    assert ring is not None
    entries, digest, last_id = current
    previous = _last.get(cfg.folder)
    if not force and previous and (previous.entries, previous.head) == (entries, digest):
        return None
    mac, key_id = ring.signer
    fields: dict[str, object] = {"at": utcnow().isoformat(timespec="seconds"), "entries": entries,
                                 "head": digest, "mac": mac, "key_id": key_id}
    fields["sig"] = ring.sign(_message(fields))
    cfg.folder.mkdir(parents=True, exist_ok=True)
    # one write of one line to a file opened for appending: concurrent writers never interleave
    fd = os.open(cfg.checkpoints, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(fields, sort_keys=True) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    # ids, not counts: PostgreSQL's sequence leaves gaps where a transaction rolled back
    _last[cfg.folder] = _Written(time.monotonic(), (last_id // cfg.every + 1) * cfg.every, entries,
                                 digest)
    return Anchor(0, str(fields["at"]), entries, digest)


def forget(folder: Path) -> None:
    """Drop what this process remembers of ``folder``'s checkpoints (after a restore replaced them)."""
    _last.pop(folder, None)


def read(cfg: AuditConfig, ring: keys.KeyRing | None, broken: list[str]) -> list[Anchor]:
    """Every checkpoint whose signature holds; a line that does not is reported in ``broken``."""
    if not cfg.checkpoints.exists():
        return []
    anchors = []
    for n, line in enumerate(cfg.checkpoints.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            fields = json.loads(line)
            sig = fields.pop("sig")
            anchor = Anchor(n, str(fields["at"]), int(fields["entries"]), str(fields["head"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            broken.append(f"checkpoint line {n}: unreadable")
            continue
        expected = ring.mac(str(fields.get("key_id")), str(fields.get("mac")),
                            _message(fields)) if ring else None
        if expected is None:
            broken.append(f"checkpoint line {n}: signed with key {fields.get('key_id')}, which is "
                          "not in the key ring")
        elif expected != sig:
            broken.append(f"checkpoint line {n}: signature does not hold (the line was changed)")
        else:
            anchors.append(anchor)
    return anchors


def compare(anchors: list[Anchor], seen: dict[int, str], total: int) -> list[str]:
    """What the chain (``total`` entries, hashes ``seen`` at the anchored counts) contradicts."""
    problems = []
    for a in sorted(anchors, key=lambda a: a.line):
        if a.entries > total:
            problems.append(f"checkpoint line {a.line} ({a.at}) recorded {a.entries} entries, only "
                            f"{total} remain: the newest entries were removed")
        elif a.entries and seen.get(a.entries) != a.head:
            problems.append(f"checkpoint line {a.line} ({a.at}): entry number {a.entries} is not the "
                            "head it recorded (entries up to it were changed, removed or inserted)")
    return problems


def after_entry(session: Session, entry_id: int) -> None:
    """Arrange a checkpoint once this transaction commits, when one is due."""
    cfg = config_for(session)
    now = time.monotonic()
    last = _last.setdefault(cfg.folder, _Written(now, -(-entry_id // cfg.every) * cfg.every))
    if (entry_id < last.next_id and now - last.time < cfg.seconds) or session.info.get(DUE):
        return
    session.info[DUE] = True
    event.listen(session, "before_commit", _before_commit, once=True)
    event.listen(session, "after_commit", _after_commit, once=True)


def _before_commit(session: Session) -> None:
    # read inside the transaction, which holds the chain's lock: no other entry can come between,
    # and no second connection is needed (a full pool must not block a commit)
    session.info[DUE] = head(session)


def _after_commit(session: Session) -> None:
    current = session.info.pop(DUE, None)
    if not isinstance(current, tuple):
        return
    try:
        _append(config_for(session), current, force=False)
    except Exception:  # the entries are committed; a failed anchor must not fail the request
        log.exception("audit checkpoint could not be written")
