"""Races on PostgreSQL: two officers deciding at once, two departments approving at once, an
appeal against a payment batch."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select

from huiqi.app.applications import service as apps
from huiqi.app.applications.models import Decision
from huiqi.app.auth.roles import Actor
from huiqi.app.budget import payments
from huiqi.app.budget import service as budget
from huiqi.app.budget.models import Payment
from huiqi.app.db import make_engine, sessions, transaction
from huiqi.app.errors import Conflict, DomainError
from tests.app.world import ECON, FINANCE, OFFICE, SCI, approve, award, build, submit


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


def race(*steps: Callable[[], None]) -> list[str]:
    """Run the steps at the same moment in threads; what each ended in."""
    start = threading.Barrier(len(steps))
    outcomes: list[str] = []

    def run(step: Callable[[], None]) -> None:
        start.wait(timeout=30)
        try:
            step()
            outcomes.append("done")
        except DomainError as exc:
            outcomes.append(f"{exc.code}: {exc.message}")

    threads = [threading.Thread(target=run, args=(s,)) for s in steps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_departments_approving_at_once_move_the_application_on(pg_url: str) -> None:
    engine = make_engine(pg_url)
    factory = sessions(engine)
    world = build(factory)
    app_id = submit(world)

    def approve_as(reviewer: Actor) -> Callable[[], None]:
        def step() -> None:
            with transaction(factory) as s:
                apps.review(s, actor=reviewer, application_id=app_id, approve=True, reason=None)
        return step

    assert race(approve_as(ECON), approve_as(SCI)) == ["done", "done"]
    with factory() as s:
        assert apps.get(s, actor=OFFICE, application_id=app_id).state == "approved"
    engine.dispose()


def test_an_appeal_racing_a_payment_batch_never_leaves_money_without_its_award(pg_url: str) -> None:
    engine = make_engine(pg_url)
    factory = sessions(engine)
    world = build(factory)
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)

    def batch() -> None:
        with transaction(factory) as s:
            payments.create_batch(s, actor=FINANCE)

    def appeal() -> None:
        with transaction(factory) as s:
            apps.appeal(s, actor=world.applicant, application_id=app_id, reasons="金额偏低")

    race(batch, appeal)
    with factory() as s:
        state = apps.get(s, actor=OFFICE, application_id=app_id).state
        instructed = s.scalar(select(Payment.id).where(Payment.application_id == app_id))
    assert (state, instructed is not None) in {("awarded", True), ("appealed", False)}
    engine.dispose()
