"""The lifecycle's steps one by one, and a fault fired in the middle of one of them.

The middle of a step: its first audit entry is about to be written — the step's other changes
have been sent to the database, nothing is committed yet (for a payment run: the bank has moved
the money, the platform has not recorded it). Run as a program, it performs one step in a process
that dies there::

    python -m tests.app.faults URL STEP ORG_ID APP_ID
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import payments
from huiqi.app.budget.bank import LocalBank
from huiqi.app.db import make_engine, sessions, transaction
from tests.app.world import ECON, FINANCE, OFFICE, SCI

STEPS = ("submit", "review", "decide", "batch", "pay")
LEASE = timedelta(seconds=1)  # a dead run's claim lapses quickly in these tests
AWARD_FEN = 840_000_000  # 8,400,000.00: the world's whole m01.new ceiling (70% × 12,000,000.00)


def do(step: str, factory: sessionmaker[Session], bank: LocalBank, org_id: int, app_id: int) -> None:
    """Perform one step of the lifecycle on application ``app_id`` (the world's applicant's)."""
    applicant = Actor("ent1", Role.APPLICANT, org_id=org_id)
    if step == "pay":
        payments.run(factory, bank, actor=FINANCE, lease=LEASE)
        return
    with transaction(factory) as s:
        if step == "submit":
            apps.submit(s, actor=applicant, application_id=app_id, accept_commitment=True,
                        signatory="张三")
        elif step == "review":
            apps.review(s, actor=ECON, application_id=app_id, approve=True, reason=None)
        elif step == "review2":
            apps.review(s, actor=SCI, application_id=app_id, approve=True, reason=None)
        elif step == "decide":
            apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=AWARD_FEN,
                        reasons=None)
        elif step == "batch":
            payments.create_batch(s, actor=FINANCE)
        else:
            raise ValueError(f"step: unknown step {step!r}")


READ = "personal_data.read"  # a read is audited too (a payment run reveals the account): not a change


def at_first_audit_entry(engine: Engine, fault: Callable[[], None]) -> None:
    """Fire ``fault`` once, just before the first audit entry of a change is written through
    ``engine``."""
    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("INSERT INTO audit_log") and READ not in repr(parameters):
            event.remove(engine, "before_cursor_execute", before)
            fault()

    event.listen(engine, "before_cursor_execute", before)


def main(url: str, step: str, org_id: int, app_id: int) -> None:
    engine = make_engine(url)
    bank = LocalBank(make_engine(url))
    at_first_audit_entry(engine, lambda: os._exit(9))
    do(step, sessions(engine), bank, org_id, app_id)
    sys.exit(f"step {step} finished: the fault never fired")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
