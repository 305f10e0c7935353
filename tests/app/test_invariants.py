"""Invariants under any sequence of actions (hypothesis): the lifecycle table, and budgets that
are never overspent whatever amounts are awarded, released and paid."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications.lifecycle import MACHINE, OPEN, Action, State
from huiqi.app.applications.models import Application
from huiqi.app.budget import service as budget
from huiqi.app.budget.models import LedgerEntry
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, Refused
from tests.app.world import FINANCE, OFFICE

_years = itertools.count(2030)


@given(st.lists(st.sampled_from(list(Action)), max_size=30))
def test_any_sequence_of_actions_only_follows_the_table(actions: list[Action]) -> None:
    state = State.DRAFT
    for action in actions:
        sources, to = MACHINE.transitions[action]
        try:
            state = MACHINE.target(state, action)
        except Conflict:
            assert state not in sources
        else:
            assert state == to
    assert action_names(state) == MACHINE.actions_from(state)


def action_names(state: State) -> list[str]:
    return [a.value for a in Action if state in MACHINE.transitions[a][0]]


def test_every_state_is_reachable_and_only_finished_ones_are_dead_ends() -> None:
    reached, frontier = {State.DRAFT, State.OFFERED}, [State.DRAFT, State.OFFERED]
    while frontier:
        here = frontier.pop()
        for action in MACHINE.actions_from(here):
            there = MACHINE.transitions[Action(action)][1]
            if there not in reached:
                reached.add(there)
                frontier.append(there)
    assert reached == set(State)
    dead = {s for s in State if not MACHINE.actions_from(s)}
    assert dead == {State.PAID, State.WITHDRAWN, State.LAPSED}
    assert not dead & OPEN


amounts = st.lists(st.tuples(st.sampled_from(["commit", "release"]), st.integers(1, 5_000_00)),
                   min_size=1, max_size=25)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(budget_fen=st.integers(0, 20_000_00), steps=amounts)
def test_commitments_never_exceed_the_budget_and_the_ledger_always_reconciles(
        factory: sessionmaker[Session], budget_fen: int, steps: list[tuple[str, int]]) -> None:
    year = next(_years)
    with transaction(factory) as s:
        budget.set_budget(s, actor=FINANCE, measure="m24", year=year, amount_fen=budget_fen)
        app = Application(measure="m24", year=year, state="awarded", facts={}, origin="application")
        s.add(app)
        s.flush()
        app_id = app.id
    held: list[int] = []
    for i, (kind, amount) in enumerate(steps):
        with transaction(factory) as s:
            app = s.get(Application, app_id)
            assert app is not None
            if kind == "commit":
                try:
                    budget.commit(s, actor=OFFICE, app=app, amount_fen=amount, reference=f"c{year}-{i}")
                    held.append(amount)
                except Refused:
                    assert sum(held) + amount > budget_fen
            elif held:
                budget.release(s, actor=OFFICE, app=app, amount_fen=held.pop(), reference=f"r{year}-{i}")
    with factory() as s:
        (line,) = [x for x in budget.reconcile(s, year=year) if x.measure == "m24"]
        assert line.committed_fen == sum(held) <= budget_fen
        assert line.consistent
        assert s.query(LedgerEntry).filter(LedgerEntry.year == year).count() >= len(held)
