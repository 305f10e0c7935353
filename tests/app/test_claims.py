"""Finding 1 of issue 10: an applicant may not assert a recognition the registry does not hold.

A typed recognition is kept as a claim, shown to reviewers and the office, and never enters the
ceiling — neither at submission nor at decision — until the office records it in the registry.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.api.applications import application_json
from huiqi.app.applications import service as apps
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.errors import Refused
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import FactIn, RecognitionIn
from tests.app.world import ECON, OFFICE, World, approve, award, build, org_in

NOT_LEADER_USCC = "91110112MA01N00016"  # check character computed with stdnum below
CLAIM = {"status": "new", "since": "2024-06-01"}


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    return build(factory)


def not_a_leader(world: World) -> Actor:
    """An enterprise with regional contribution 10,000,000.00 in 2024 and no recognition."""
    from stdnum.cn import uscc

    base = NOT_LEADER_USCC[:17]
    with transaction(world.factory) as s:
        org = registry.create_org(s, actor=OFFICE, data=org_in(
            base + uscc.calc_check_digit(base), "通州普通制造有限公司"))
        registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
            year=2024, name="regional_contribution", value=Decimal("10000000.00"), source="区税务局"))
        return Actor("ent9", Role.APPLICANT, org_id=org.id)


def claim_chain_leader(world: World, applicant: Actor) -> int:
    with transaction(world.factory) as s:
        app = apps.start(s, actor=applicant, measure="m01.new", year=2024)
        facts = dict(app.facts)
        facts["beneficiaries"] = [{**facts["beneficiaries"][0], "chain_leader": CLAIM}]
        apps.update_facts(s, actor=applicant, application_id=app.id, facts=facts)
        return app.id


def test_a_claimed_chain_leader_is_kept_as_a_claim_and_not_counted(world: World) -> None:
    applicant = not_a_leader(world)
    app_id = claim_chain_leader(world, applicant)
    with transaction(world.factory) as s:
        app = apps.get(s, actor=OFFICE, application_id=app_id)
        (me,) = app.facts["beneficiaries"]
        assert "chain_leader" not in me
        assert app.claims == [{"beneficiary": me["id"], "field": "chain_leader", "claimed": CLAIM,
                               "registry": None, "source": "applicant",
                               "status": "awaiting_registry"}]
        assert app.sources is not None and app.sources[me["id"]]["regional_contribution"] == "registry"
    with pytest.raises(Refused, match=r"not eligible.*claimed but not in the registry.*chain_leader"), \
            transaction(world.factory) as s:
        apps.submit(s, actor=applicant, application_id=app_id, accept_commitment=True, signatory="李四")


def test_once_the_office_records_the_recognition_the_ceiling_counts_it(world: World) -> None:
    # （一）: 70% × 10,000,000.00 = 7,000,000.00
    applicant = not_a_leader(world)
    app_id = claim_chain_leader(world, applicant)
    with transaction(world.factory) as s:
        registry.add_recognition(s, actor=OFFICE, org_id=applicant.org_id, person_id=None,
                                 data=RecognitionIn(kind="chain_leader", subtype="new",
                                                    recognised_on=date(2024, 6, 1)))
    with transaction(world.factory) as s:
        app = apps.submit(s, actor=applicant, application_id=app_id, accept_commitment=True,
                          signatory="李四")
        assert app.ceiling_fen == 700_000_000
        assert app.claims is not None and [c["status"] for c in app.claims] == ["confirmed"]
        assert app.facts["beneficiaries"][0]["chain_leader"] == CLAIM


def test_a_reviewer_sees_the_typed_figure_beside_the_registrys(world: World) -> None:
    with transaction(world.factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m01.new", year=2024)
        facts = dict(app.facts)
        facts["beneficiaries"] = [{**facts["beneficiaries"][0],
                                   "regional_contribution": {"2024": "25000000.00"}}]
        apps.update_facts(s, actor=world.applicant, application_id=app.id, facts=facts)
        apps.submit(s, actor=world.applicant, application_id=app.id, accept_commitment=True,
                    signatory="张三")
        app_id = app.id
    with transaction(world.factory) as s:
        shown = application_json(apps.get(s, actor=ECON, application_id=app_id), full=True)
    (me,) = shown["facts"]["beneficiaries"]
    assert me["regional_contribution"] == {"2023": "0.00", "2024": "12000000.00"}
    assert shown["sources"][me["id"]]["regional_contribution"] == "registry"
    assert shown["sources"][me["id"]]["chain_leader"] == "registry"
    assert shown["claims"] == [{
        "beneficiary": me["id"], "field": "regional_contribution",
        "claimed": {"2024": "25000000.00"}, "registry": {"2023": "0.00", "2024": "12000000.00"},
        "source": "applicant", "status": "registry_differs"}]
    assert shown["ceiling"] == "8400000.00"  # 70% × the registry's 12,000,000.00


def test_a_recognition_in_the_stored_facts_does_not_count_at_decision_time(world: World) -> None:
    # a row stored before claims existed may carry a typed recognition: the decision re-runs the
    # engine with the registry's recognitions only, so once the registry no longer holds it the
    # award is refused
    applicant = not_a_leader(world)
    app_id = claim_chain_leader(world, applicant)
    with transaction(world.factory) as s:
        registry.add_recognition(s, actor=OFFICE, org_id=applicant.org_id, person_id=None,
                                 data=RecognitionIn(kind="chain_leader", subtype="new",
                                                    recognised_on=date(2024, 6, 1)))
    with transaction(world.factory) as s:
        apps.submit(s, actor=applicant, application_id=app_id, accept_commitment=True, signatory="李四")
    approve(world, app_id)
    with transaction(world.factory) as s:  # the recognition withdrawn; the typed one stays behind
        s.execute(text("DELETE FROM recognitions WHERE org_id = :o AND kind = 'chain_leader'"),
                  {"o": applicant.org_id})
        app = apps.get(s, actor=OFFICE, application_id=app_id)
        facts = dict(app.facts)
        assert facts["beneficiaries"][0]["chain_leader"] == CLAIM
    with pytest.raises(Refused, match="no longer eligible"):
        award(world, app_id, 700_000_000)
