"""Budgets: awards commit budget; a decision beyond what remains is refused; the ledger reconciles."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.budget import service as budget
from huiqi.app.budget.models import POOL_YEAR
from huiqi.app.db import transaction
from huiqi.app.errors import Refused
from tests.app.world import FINANCE, OFFICE, approve, award, build, submit


def test_a_decision_beyond_the_remaining_budget_is_refused_not_queued(
        factory: sessionmaker[Session]) -> None:
    world = build(factory, budget_yuan="8000000.00")  # less than the 8,400,000.00 asked
    app_id = submit(world)
    approve(world, app_id)
    with pytest.raises(Refused, match=r"remains of the 2024 budget.*8000000\.00"), transaction(factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=840_000_000,
                    reasons=None)
    with transaction(factory) as s:
        app = apps.get(s, actor=OFFICE, application_id=app_id)
        assert app.state == "approved"  # still waiting for a decision; nothing committed
        assert budget.reconcile(s, year=2024)[0].committed_fen == 0


def test_the_remaining_budget_can_still_be_awarded_exactly(factory: sessionmaker[Session]) -> None:
    world = build(factory, budget_yuan="8000000.00")
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 800_000_000)
    with transaction(factory) as s:
        (line,) = budget.reconcile(s, year=2024)
        assert (line.committed_fen, line.remaining_fen) == (800_000_000, 0)


def test_without_a_budget_for_the_year_no_award_can_be_decided(factory: sessionmaker[Session]) -> None:
    world = build(factory)
    with transaction(factory) as s:
        s.execute(text("DELETE FROM budgets"))
    app_id = submit(world)
    approve(world, app_id)
    with pytest.raises(Refused, match=r"no budget is set for m01\.new in 2024"), transaction(factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=100, reasons=None)


def test_a_pool_limits_awards_across_years(factory: sessionmaker[Session]) -> None:
    # a pool of 1,000,000.00 for m01.new (year 0) beside the annual budget of 20,000,000.00
    world = build(factory)
    with transaction(factory) as s:
        budget.set_budget(s, actor=FINANCE, measure="m01.new", year=POOL_YEAR, amount_fen=100_000_000)
    app_id = submit(world)
    approve(world, app_id)
    with pytest.raises(Refused, match="the pool"), transaction(factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=100_000_001,
                    reasons=None)


def test_the_budget_cannot_be_cut_below_what_is_committed(factory: sessionmaker[Session]) -> None:
    world = build(factory)
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)
    with pytest.raises(Refused, match="below what is already committed"), transaction(factory) as s:
        budget.set_budget(s, actor=FINANCE, measure="m01.new", year=2024, amount_fen=800_000_000)


def test_unpaid_commitments_are_reported_at_the_end_of_the_year(factory: sessionmaker[Session]) -> None:
    world = build(factory)
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)
    with transaction(factory) as s:
        assert budget.unpaid(s, year=2024) == [{
            "application": app_id, "measure": "m01.new", "year": 2024, "org_id": world.org_id,
            "person_id": None, "award": "8400000.00"}]
        (line,) = budget.reconcile(s, year=2024)
        assert line.to_json()["unpaid"] == "8400000.00"


def test_the_ledger_refuses_to_be_changed_or_deleted(factory: sessionmaker[Session]) -> None:
    world = build(factory)
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)
    for statement in ("UPDATE ledger SET amount_fen = 1", "DELETE FROM ledger"):
        with pytest.raises(DBAPIError, match="append-only"), transaction(factory) as s:
            s.execute(text(statement))
