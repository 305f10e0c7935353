"""Export of the audit trail for keeping (网络安全法 第二十一条: 网络日志留存不少于六个月).

JSON lines, one entry per line with every chained field, then one signed closing line naming the
first entry's predecessor, the count and the head: the file verifies on its own (``check``) —
each entry's link and keyed hash, and that no entry was cut from its end.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.audit import checkpoints
from huiqi.app.audit.keys import KeyRing
from huiqi.app.audit.models import AuditEntry
from huiqi.app.audit.service import GENESIS, Verification, expected_hash
from huiqi.app.db import utcnow

FIELDS = ("id", "at", "actor", "action", "entity", "entity_id", "before", "after", "source",
          "user_agent", "mac", "key_id", "prev_hash", "hash")


def _line(e: AuditEntry) -> dict[str, Any]:
    row = {f: getattr(e, f) for f in FIELDS}
    row["at"] = e.at.isoformat(timespec="microseconds")
    return row


def _closing_message(closing: dict[str, Any]) -> bytes:
    return json.dumps(closing, sort_keys=True, separators=(",", ":")).encode()


def export(session: Session, *, since: datetime, out: IO[str]) -> int:
    """Write every entry from ``since`` on, and the signed closing line; returns the count."""
    ring = checkpoints.ring_for(session)
    count, first_prev, head = 0, None, GENESIS
    stmt = select(AuditEntry).where(AuditEntry.at >= since).order_by(AuditEntry.id)
    for e in session.scalars(stmt).yield_per(1000):
        first_prev = e.prev_hash if first_prev is None else first_prev
        out.write(json.dumps(_line(e), ensure_ascii=False, sort_keys=True) + "\n")
        count, head = count + 1, e.hash
    mac, key_id = ring.signer
    closing = {"since": since.isoformat(), "written": utcnow().isoformat(timespec="seconds"),
               "entries": count, "first_prev": first_prev, "head": head, "mac": mac,
               "key_id": key_id}
    out.write(json.dumps({"export": closing, "sig": ring.sign(_closing_message(closing))}) + "\n")
    return count


def check(lines: Iterable[str], ring: KeyRing | None) -> Verification:
    """Verify an export by itself: links, keyed hashes, and its signed closing line."""
    report = Verification()
    prev = first_prev = None
    closing: dict[str, Any] | None = None
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if closing is not None:
            report.broken.append(f"line {n}: after the closing line (appended)")
            continue
        try:
            row = json.loads(line)
            if "export" in row:
                closing = row
                continue
            e = AuditEntry(**{f: row[f] for f in FIELDS})
            e.at = datetime.fromisoformat(row["at"])
        except (ValueError, KeyError, TypeError):
            report.broken.append(f"line {n}: unreadable")
            continue
        report.entries += 1
        if prev is not None and e.prev_hash != prev:
            report.broken.append(f"entry {e.id}: link to its predecessor broken")
        expected = expected_hash(ring, e)
        if expected is None:
            report.broken.append(f"entry {e.id}: signed with key {e.key_id}, not in the key ring")
        elif expected != e.hash:
            report.broken.append(f"entry {e.id}: content does not match its hash (changed)")
        first_prev = e.prev_hash if prev is None else first_prev
        prev = report.head = e.hash
    report.broken += _check_closing(closing, ring, report, first_prev)
    return report


def _check_closing(row: dict[str, Any] | None, ring: KeyRing | None, report: Verification,
                   first_prev: str | None) -> list[str]:
    if row is None:
        return ["no closing line: the export was cut short"]
    try:
        closing, sig = dict(row["export"]), str(row["sig"])
        expected = ring.mac(str(closing["key_id"]), str(closing["mac"]),
                            _closing_message(closing)) if ring else None
    except (KeyError, TypeError, ValueError):
        return ["closing line unreadable"]
    if expected is None:
        return [f"closing line signed with key {closing.get('key_id')}, not in the key ring"]
    if expected != sig:
        return ["closing line: signature does not hold (changed)"]
    if (closing["entries"], closing["head"], closing["first_prev"]) != (
            report.entries, report.head, first_prev):
        return [f"the closing line counts {closing['entries']} entries ending at {closing['head']}; "
                f"the file holds {report.entries} ending at {report.head} (entries removed or added)"]
    return []
