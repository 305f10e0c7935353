"""An application's life through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.applications.models import Review
from huiqi.app.audit.service import verify
from huiqi.app.budget import service as budget
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, Forbidden, Refused
from tests.app.world import ECON, OFFICE, SCI, World, approve, build, submit


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    return build(factory)


def submitted(world: World) -> int:
    return submit(world)


def approved(world: World) -> int:
    app_id = submit(world)
    approve(world, app_id)
    return app_id


def test_submission_snapshots_the_ceiling_70_percent_of_12_million(world: World) -> None:
    app_id = submitted(world)
    with transaction(world.factory) as s:
        app = apps.get(s, actor=OFFICE, application_id=app_id)
        assert app.state == "in_review"
        assert app.ceiling_fen == 840_000_000  # 70% × 12,000,000.00 = 8,400,000.00
        assert app.result is not None and app.result["clause"] == "（一）"
        assert app.params is not None and Decimal(app.params["m01.rate"]["value"]) == Decimal("0.7")
        assert app.commitment is not None and app.commitment["signatory"] == "张三"
        depts = {r.department for r in s.scalars(select(Review).where(Review.application_id == app_id))}
        assert depts == {ECON.department, SCI.department}


def test_both_departments_must_approve_before_the_office_decides(world: World) -> None:
    app_id = submitted(world)
    with transaction(world.factory) as s:
        apps.review(s, actor=ECON, application_id=app_id, approve=True, reason=None)
        assert apps.get(s, actor=OFFICE, application_id=app_id).state == "in_review"
    with pytest.raises(Conflict), transaction(world.factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=100, reasons=None)
    with transaction(world.factory) as s:
        apps.review(s, actor=SCI, application_id=app_id, approve=True, reason=None)
        assert apps.get(s, actor=OFFICE, application_id=app_id).state == "approved"


def test_a_return_sends_the_application_back_and_resubmission_opens_a_new_round(world: World) -> None:
    app_id = submitted(world)
    with transaction(world.factory) as s:
        apps.review(s, actor=ECON, application_id=app_id, approve=False, reason="补充完税证明")
        app = apps.get(s, actor=OFFICE, application_id=app_id)
        assert app.state == "returned"
    with transaction(world.factory) as s:
        apps.submit(s, actor=world.applicant, application_id=app_id, accept_commitment=True,
                    signatory="张三")
        rounds = s.scalars(select(Review.round).where(Review.application_id == app_id,
                                                      Review.state == "pending")).all()
        assert sorted(rounds) == [2, 2]


def test_an_award_above_the_ceiling_is_refused_and_one_at_it_commits_budget(world: World) -> None:
    app_id = approved(world)
    with pytest.raises(Refused, match="exceeds the ceiling"), transaction(world.factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=840_000_001,
                    reasons=None)
    with transaction(world.factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=840_000_000,
                    reasons=None)
    with transaction(world.factory) as s:
        (line,) = budget.reconcile(s, year=2024)
        assert (line.committed_fen, line.paid_fen, line.remaining_fen) == (
            840_000_000, 0, 2_000_000_000 - 840_000_000)
        assert line.consistent
        assert verify(s).ok


def test_an_applicant_cannot_see_another_organisations_application(world: World) -> None:
    from huiqi.app.auth.roles import Actor, Role

    app_id = submitted(world)
    with pytest.raises(Forbidden), transaction(world.factory) as s:
        apps.get(s, actor=Actor("other", Role.APPLICANT, org_id=world.org_id + 1), application_id=app_id)


def test_a_review_left_beyond_its_time_limit_is_reported_overdue(world: World) -> None:
    from datetime import UTC, date, datetime

    # submitted Monday 2024-06-03; m01.new's departments have 5 working days → due Monday 06-10
    with transaction(world.factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m01.new", year=2024)
        apps.submit(s, actor=world.applicant, application_id=app.id, accept_commitment=True,
                    signatory="张三", now=datetime(2024, 6, 3, 9, 0, tzinfo=UTC))
        apps.review(s, actor=ECON, application_id=app.id, approve=True, reason=None,
                    now=datetime(2024, 6, 5, 9, 0, tzinfo=UTC))
    with transaction(world.factory) as s:
        assert apps.overdue(s, actor=OFFICE, on=date(2024, 6, 10)) == []
        (late,) = apps.overdue(s, actor=OFFICE, on=date(2024, 6, 11))
        assert (late.department, late.due_on) == (SCI.department, date(2024, 6, 10))
        done = [r for r in apps.reviews(s, actor=OFFICE, application_id=app.id) if r.state == "approved"]
        assert done[0].elapsed_days == 2  # Monday → Wednesday
