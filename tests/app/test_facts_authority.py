"""The registry owns the figures it holds: typed facts never override them, and an introducer
never sees the figures of the enterprises it brought in, though its ceiling is computed with them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import FactIn, RecognitionIn
from tests.app.world import CHAIN_LEADER_USCC, OFFICE, World, build, org_in


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    return build(factory)


def test_the_registry_figures_replace_what_the_applicant_typed(world: World) -> None:
    # the registry says 12,000,000.00 for 2024; the applicant types 25,000,000.00
    with transaction(world.factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m01.new", year=2024)
        facts = dict(app.facts)
        facts["beneficiaries"] = [{**facts["beneficiaries"][0],
                                   "regional_contribution": {"2024": "25000000.00"}}]
        apps.update_facts(s, actor=world.applicant, application_id=app.id, facts=facts)
        apps.submit(s, actor=world.applicant, application_id=app.id, accept_commitment=True,
                    signatory="张三")
        assert app.ceiling_fen == 840_000_000  # 70% × 12,000,000.00, not 17,500,000.00


def introducer(world: World) -> tuple[int, Actor]:
    """Chain leader L introduced A (2024: 6,000,000.00) and B (2024: 8,000,000.00) in 2024."""
    from stdnum.cn import uscc

    with transaction(world.factory) as s:
        leader = registry.get_org(s, actor=OFFICE, org_id=world.org_id)
        for i, rc in enumerate(("6000000.00", "8000000.00")):
            base = f"91110112MA01M000{i}"
            member = registry.create_org(s, actor=OFFICE, data=org_in(
                base + uscc.calc_check_digit(base), f"引进企业{i}有限公司"))
            registry.set_fact(s, actor=OFFICE, org_id=member.id, data=FactIn(
                year=2024, name="regional_contribution", value=Decimal(rc), source="区税务局"))
            registry.add_recognition(s, actor=OFFICE, org_id=member.id, person_id=None, data=RecognitionIn(
                kind="introduced_by", subtype="chain_leader", introducer_id=leader.id,
                recognised_on=date(2024, 4, 1)))
    return world.org_id, world.applicant


def test_an_introducer_sees_only_its_own_facts(world: World) -> None:
    _, applicant = introducer(world)
    with transaction(world.factory) as s:
        app = apps.start(s, actor=applicant, measure="m02", year=2024)
        assert [b["id"] for b in app.facts["beneficiaries"]] == [CHAIN_LEADER_USCC]


def test_an_introducer_is_computed_with_the_enterprises_it_brought_in(world: World) -> None:
    # Σ 14,000,000.00 − standard 10,000,000.00 = 4,000,000.00; × 70% = 2,800,000.00 (（二）)
    _, applicant = introducer(world)
    with transaction(world.factory) as s:
        app = apps.start(s, actor=applicant, measure="m02", year=2024)
        apps.submit(s, actor=applicant, application_id=app.id, accept_commitment=True, signatory="张三")
        assert app.ceiling_fen == 280_000_000
        assert [b["id"] for b in app.facts["beneficiaries"]] == [CHAIN_LEADER_USCC]


def test_a_reviewer_sees_only_the_applications_its_department_reviews(world: World) -> None:
    from huiqi.app.errors import Forbidden
    from tests.app.world import submit

    app_id = submit(world)
    with pytest.raises(Forbidden), transaction(world.factory) as s:
        apps.get(s, actor=Actor("tax1", Role.REVIEWER, department="税务局"), application_id=app_id)
