"""Races on PostgreSQL: two officers deciding at once, two departments approving at once, an
appeal against a payment batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

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


def waiting_for_a_lock(engine: Engine) -> bool:
    """Some transaction in this database waits for a lock another one holds."""
    with engine.connect() as c:
        return bool(c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                   "current_database() AND wait_event_type = 'Lock'")).scalar_one())


def appeal_and_batch(pg_url: str, *, holder: str) -> tuple[list[str], str, bool]:
    """An appeal and a payment batch on one award, each in its own transaction. Both threads meet
    at a barrier inside their transactions: ``holder`` has done its work there (its locks held,
    not committed), the other has begun its transaction and only then does its work. The holder
    commits only once the other has done its work or waits for a lock, so the outcome is fixed by
    who holds the award's row, not by the scheduler."""
    engine = make_engine(pg_url)
    factory = sessions(engine)
    world = build(factory)
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)
    meet = threading.Barrier(2)
    second_done = threading.Event()

    def batch(s: Session) -> None:
        payments.create_batch(s, actor=FINANCE)

    def appeal(s: Session) -> None:
        apps.appeal(s, actor=world.applicant, application_id=app_id, reasons="金额偏低")

    def step(work: Callable[[Session], None], first: bool) -> Callable[[], None]:
        def run() -> None:
            with transaction(factory) as s:
                s.execute(select(1))  # the transaction has begun (its snapshot is taken)
                if first:
                    work(s)
                meet.wait(timeout=30)
                if first:
                    for _ in range(300):
                        if second_done.is_set() or waiting_for_a_lock(engine):
                            break
                        time.sleep(0.1)
                else:
                    try:
                        work(s)
                    finally:
                        second_done.set()
        return run

    outcomes = race(step(batch, holder == "batch"), step(appeal, holder == "appeal"))
    with factory() as s:
        state = apps.get(s, actor=OFFICE, application_id=app_id).state
        instructed = s.scalar(select(Payment.id).where(Payment.application_id == app_id)) is not None
    engine.dispose()
    return outcomes, state, instructed


def test_an_appeal_after_the_batch_locked_the_award_finds_payment_instructed(pg_url: str) -> None:
    outcomes, state, instructed = appeal_and_batch(pg_url, holder="batch")
    assert sorted(outcomes) == ["conflict: appeal: payment of the award has been instructed; "
                                "appeal is closed", "done"]
    assert (state, instructed) == ("awarded", True)


def test_a_batch_after_the_appeal_locked_the_award_leaves_it_uninstructed(pg_url: str) -> None:
    outcomes, state, instructed = appeal_and_batch(pg_url, holder="appeal")
    assert sorted(outcomes) == ["done", "refused: nothing to pay: no award is waiting for a payment "
                                "instruction"]
    assert (state, instructed) == ("appealed", False)
