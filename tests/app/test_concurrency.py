"""Two officers deciding the same application at the same moment on PostgreSQL: one decision."""

from __future__ import annotations

import threading

from sqlalchemy import select

from huiqi.app.applications import service as apps
from huiqi.app.applications.models import Decision
from huiqi.app.budget import service as budget
from huiqi.app.db import make_engine, sessions
from huiqi.app.errors import Conflict
from tests.app.world import OFFICE, approve, build, submit


def test_two_officers_deciding_at_once_make_exactly_one_decision(pg_url: str) -> None:
    engine = make_engine(pg_url)
    factory = sessions(engine)
    world = build(factory)
    app_id = submit(world)
    approve(world, app_id)
    both_read = threading.Barrier(2)
    outcomes: list[str] = []

    def officer(amount_fen: int) -> None:
        with factory() as s:
            try:
                with s.begin():
                    apps.get(s, actor=OFFICE, application_id=app_id)  # both read version n
                    both_read.wait(timeout=30)
                    apps.decide(s, actor=OFFICE, application_id=app_id, award=True,
                                amount_fen=amount_fen, reasons=None)
                outcomes.append("decided")
            except Conflict as exc:
                outcomes.append(f"conflict: {exc.message}")

    threads = [threading.Thread(target=officer, args=(a,)) for a in (800_000_000, 840_000_000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "decided"]
    with factory() as s:
        (decision,) = s.scalars(select(Decision).where(Decision.application_id == app_id))
        (line,) = budget.reconcile(s, year=2024)
        assert line.committed_fen == decision.amount_fen and line.consistent
    engine.dispose()
