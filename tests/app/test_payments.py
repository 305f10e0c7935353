"""Payments: to the registered account, exactly once whatever retries, crashes or parallel runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import payments
from huiqi.app.budget import service as budget
from huiqi.app.budget.bank import LocalBank, Transfer
from huiqi.app.budget.models import LedgerEntry, Payment
from huiqi.app.db import make_engine, sessions, transaction, utcnow
from huiqi.app.errors import Conflict
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import FactIn, RecognitionIn
from huiqi.app.settings import service as settings
from tests.app.world import ECON, FINANCE, OFFICE, SCI, World, approve, award, build, org_in, submit

PAYEES = 6


def district(factory: sessionmaker[Session], payees: int = PAYEES, *, first: int = 0) -> list[int]:
    """``payees`` new chain leaders, the i-th awarded 1,000.00 + i fen under m01.new for 2024;
    ``first`` > 0 adds more to a district made before."""
    from datetime import date
    from decimal import Decimal

    from stdnum.cn import uscc

    if first == 0:
        build(factory)
        with transaction(factory) as s:
            settings.configure_measure(s, actor=OFFICE, measure="m01.new",
                                       departments=[ECON.department or ""], review_days=5,
                                       no_application=False, offer_days=15)
    ids = []
    for i in range(first, first + payees):
        base = f"91110112MA01P{i:04d}"
        with transaction(factory) as s:
            org = registry.create_org(s, actor=OFFICE, data=org_in(base + uscc.calc_check_digit(base),
                                                                  f"通州企业{i}号有限公司"))
            registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
                year=2024, name="regional_contribution", value=Decimal("1000000.00"), source="税务"))
            registry.add_recognition(s, actor=OFFICE, org_id=org.id, person_id=None, data=RecognitionIn(
                kind="chain_leader", subtype="new", recognised_on=date(2024, 5, 1)))
        w = World(factory, org.id, Actor(f"e{i}", Role.APPLICANT, org_id=org.id))
        app_id = submit(w)
        approve(w, app_id, ECON)
        award(w, app_id, 100_000 + i)
        ids.append(app_id)
    return ids


def test_a_batch_pays_every_award_once_and_a_retry_pays_nothing_more(
        factory: sessionmaker[Session], engine: object) -> None:
    ids = district(factory, 3)
    with transaction(factory) as s:
        result = payments.create_batch(s, actor=FINANCE)
        assert result.batch is not None and result.batch.payments == 3
        assert result.batch.total_fen == 100_000 + 100_001 + 100_002
    bank = LocalBank(engine)  # type: ignore[arg-type]
    first = payments.run(factory, bank, actor=FINANCE)
    again = payments.run(factory, bank, actor=FINANCE)
    assert (first.paid, again.paid) == (3, 0)
    assert bank.count() == 3
    with transaction(factory) as s:
        assert [apps.get(s, actor=OFFICE, application_id=i).state for i in ids] == ["paid"] * 3
        (line,) = budget.reconcile(s, year=2024)
        assert (line.committed_fen, line.paid_fen, line.unpaid_fen) == (300_003, 300_003, 0)
        assert line.consistent


def test_an_award_is_never_put_in_two_batches(factory: sessionmaker[Session]) -> None:
    district(factory, 1)
    with transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)
    with pytest.raises(Exception, match="nothing to pay"), transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)


def test_an_account_whose_name_differs_from_the_registered_name_is_not_paid(
        factory: sessionmaker[Session]) -> None:
    world: World = build(factory)
    app_id = submit(world)
    approve(world, app_id, ECON, SCI)
    award(world, app_id, 840_000_000)
    with transaction(factory) as s:
        org = registry.get_org(s, actor=OFFICE, org_id=world.org_id)
        org.account_name = "通州智造科技（香港）有限公司"
    with transaction(factory) as s:
        result = payments.create_batch(s, actor=FINANCE)
        assert result.batch is None
        reason = "account name '通州智造科技（香港）有限公司' ≠ registered name '通州智造科技有限公司'"
        assert result.skipped == [{"application": app_id, "reason": reason}]


def test_two_payment_runs_at_once_pay_each_payee_once(db_url: str, factory: sessionmaker[Session]) -> None:
    district(factory)
    with transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)
    reports = []

    def one_run() -> None:
        engine = make_engine(db_url)
        reports.append(payments.run(sessions(engine), LocalBank(engine), actor=FINANCE))
        engine.dispose()

    threads = [threading.Thread(target=one_run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.paid for r in reports) == PAYEES
    assert_paid_once(db_url, PAYEES)


def assert_paid_once(db_url: str, payees: int) -> None:
    engine = make_engine(db_url)
    bank = LocalBank(engine)
    with sessions(engine)() as s:
        keys = list(s.scalars(select(Payment.idempotency_key)))
        pays = list(s.scalars(select(LedgerEntry.application_id).where(LedgerEntry.kind == "pay")))
        states = set(s.scalars(select(Payment.state)))
    assert len(keys) == payees and bank.count() == payees
    assert all(bank.count(k) == 1 for k in keys)
    # and the bank was asked to move each payee's money once: no run leant on its deduplication
    assert all(bank.received("transfer", k) == 1 for k in keys)
    assert sorted(pays) == sorted(set(pays)) and len(pays) == payees
    assert states == {"paid"}
    engine.dispose()


CRASHING_RUN = textwrap.dedent("""
    import os, sys
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.budget import payments
    from huiqi.app.budget.bank import LocalBank, Transfer
    from huiqi.app.db import make_engine, sessions

    url, crash_after = sys.argv[1], int(sys.argv[2])
    engine = make_engine(url)
    bank = LocalBank(engine)
    real, sent = bank.transfer, []

    def transfer(**kw):
        done = real(**kw)
        sent.append(done)
        if len(sent) == crash_after:
            os._exit(9)  # killed after the bank moved the money, before the platform recorded it
        return done

    bank.transfer = transfer
    payments.run(sessions(engine), bank, actor=Actor("finance1", Role.FINANCE))
""")


@pytest.mark.parametrize("crash_after", [1, 4])
def test_a_payment_run_killed_mid_batch_and_restarted_pays_every_payee_exactly_once(
        db_url: str, factory: sessionmaker[Session], crash_after: int) -> None:
    district(factory)
    with transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)
    crashed = subprocess.run([sys.executable, "-c", CRASHING_RUN, db_url, str(crash_after)],
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 9, crashed.stderr
    engine = make_engine(db_url)
    bank = LocalBank(engine)
    with sessions(engine)() as s:
        assert len(list(s.scalars(select(Payment).where(Payment.state == "paid")))) == crash_after - 1
    # the dead run's claim still holds: the restart pays the others and leaves that one alone
    report = payments.run(sessions(engine), bank, actor=FINANCE)
    assert (report.paid, bank.received("status")) == (PAYEES - crash_after, 0)
    with transaction(sessions(engine)) as s:  # time passes: the dead run's lease lapses
        (held,) = s.scalars(select(Payment).where(Payment.state == "sending"))
        held.claimed_until = utcnow() - timedelta(seconds=1)
    report = payments.run(sessions(engine), bank, actor=FINANCE)
    # the next run asks the bank about the lapsed claim, finds the transfer, and sends nothing
    assert (report.paid, bank.received("status", held.idempotency_key)) == (1, 1)
    assert bank.received("transfer") == PAYEES
    engine.dispose()
    assert_paid_once(db_url, PAYEES)


def test_an_instruction_the_bank_refused_waits_for_its_lease_then_is_asked_about_and_sent(
        engine: Engine, factory: sessionmaker[Session]) -> None:
    ids = district(factory, 3)
    with transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)
    bank = LocalBank(engine)
    refused_key = f"huiqi-award-{ids[1]}"

    class Unavailable(LocalBank):
        def transfer(self, *, key: str, account_no: str, account_name: str, amount_fen: int) -> Transfer:
            if key == refused_key:
                self._received(key, "transfer")
                raise Conflict("bank: the payee's bank is closed for the day")
            return super().transfer(key=key, account_no=account_no, account_name=account_name,
                                    amount_fen=amount_fen)

    report = payments.run(factory, Unavailable(engine), actor=FINANCE)
    # the run tries the refused one once and goes on with the others
    assert (report.paid, report.failed) == (2, ["payment 2: bank: the payee's bank is closed "
                                                "for the day"])
    assert bank.received("transfer", refused_key) == 1
    assert payments.run(factory, bank, actor=FINANCE).paid == 0  # still claimed: the lease holds
    with transaction(factory) as s:  # time passes: the lease lapses
        s.execute(update(Payment).values(claimed_until=utcnow() - timedelta(seconds=1))
                  .where(Payment.state == "sending"))
    report = payments.run(factory, bank, actor=FINANCE)
    # asked first (nothing there), then sent: two transfer requests for that key, one booked
    assert report.paid == 1
    assert (bank.received("status", refused_key), bank.received("transfer", refused_key)) == (1, 2)
    assert bank.count(refused_key) == 1 and bank.count() == 3
