"""Payment batches and runs at the same moment on PostgreSQL (findings 13 and 14 of issue 10):
every award instructed once, the bank asked once per instruction, no deadlock, no 409 or 503."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from huiqi.app.api.main import create_app
from huiqi.app.budget import payments
from huiqi.app.budget.bank import LocalBank
from huiqi.app.budget.models import Payment
from huiqi.app.db import make_engine, sessions, transaction
from tests.app.http import add_users, login
from tests.app.test_payments import assert_paid_once, district
from tests.app.world import FINANCE


def at_once(*steps: Callable[[], object]) -> list[object]:
    """Run the steps in threads released at the same moment; what each returned."""
    start = threading.Barrier(len(steps))
    results: list[object] = [None] * len(steps)

    def go(i: int) -> None:
        start.wait(timeout=60)
        results[i] = steps[i]()

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(steps))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return results


def deadlocks(engine_url: str) -> int:
    """Deadlocks PostgreSQL has counted in this database (its statistics lag up to a second)."""
    engine = make_engine(engine_url)
    time.sleep(1.5)
    with engine.connect() as c:
        n = c.execute(text("SELECT deadlocks FROM pg_stat_database "
                           "WHERE datname = current_database()")).scalar_one()
    engine.dispose()
    return int(n)


def test_two_batches_and_a_run_at_once_instruct_and_pay_each_award_once(pg_url: str) -> None:
    """Half the awards are instructed already; two batches and a run start together over HTTP."""
    engine = make_engine(pg_url)
    factory = sessions(engine)
    first = district(factory, 6)
    with transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)
    later = district(factory, 6, first=6)
    add_users(factory, None)
    app = create_app(pg_url)
    clients = [TestClient(app, raise_server_exceptions=False) for _ in range(3)]
    auth = login(clients[0], "finance1")
    before = deadlocks(pg_url)

    answers = at_once(lambda: clients[0].post("/payments/batches", json={}, headers=auth),
                      lambda: clients[1].post("/payments/batches", json={}, headers=auth),
                      lambda: clients[2].post("/payments/run", json={}, headers=auth))
    codes = sorted(a.status_code for a in answers)  # type: ignore[attr-defined]
    # one batch instructs the six new awards; the other, after it, finds nothing left (422)
    assert codes == [200, 201, 422], [a.text for a in answers]  # type: ignore[attr-defined]
    batch = next(a.json() for a in answers if a.status_code == 201)  # type: ignore[attr-defined]
    assert batch["payments"] == 6 and batch["total"] == "6000.51"  # 1,000.06 + … + 1,000.11
    assert clients[0].post("/payments/run", json={}, headers=auth).status_code == 200
    assert deadlocks(pg_url) == before
    with factory() as s:
        instructed = list(s.scalars(select(Payment.application_id).order_by(Payment.application_id)))
    assert instructed == sorted(first + later)
    assert_paid_once(pg_url, 12)
    engine.dispose()


@pytest.mark.parametrize("runs", [2, 4])
def test_runs_at_once_ask_the_bank_once_per_instruction(pg_url: str, runs: int) -> None:
    engine = make_engine(pg_url)
    factory = sessions(engine)
    district(factory, 12)
    with transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)

    def one_run() -> payments.RunReport:
        own = make_engine(pg_url)
        try:
            return payments.run(sessions(own), LocalBank(own), actor=FINANCE)
        finally:
            own.dispose()

    reports = at_once(*[one_run] * runs)
    assert sum(r.paid for r in reports) == 12  # type: ignore[attr-defined]
    assert sum(r.already_paid for r in reports) == 0  # type: ignore[attr-defined]
    bank = LocalBank(engine)
    assert (bank.received("transfer"), bank.received("status")) == (12, 0)
    with factory() as s:
        assert s.scalar(select(func.max(Payment.attempts))) == 1
    assert_paid_once(pg_url, 12)
    engine.dispose()
