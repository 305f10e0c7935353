"""The services behind the application wizard: whose application it is (``own``), one fact at a
time (``set_fact``), the engine's view as the facts stand (``assess``), and the commitment signed
for the coming round (``sign``/``signed``), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, Forbidden, NotFound, Refused
from huiqi.app.registry import service as registry
from tests.app.world import ECON, OFFICE, build, org_in


def test_own_answers_whose_application_it_is(factory: sessionmaker[Session]) -> None:
    world = build(factory)
    with transaction(factory) as s:
        app_id = apps.start(s, actor=world.applicant, measure="m01.new", year=2024).id
        other = registry.create_org(s, actor=OFFICE, data=org_in("91110112MA01B2002F", "别家公司"))
    stranger = Actor("ent9", Role.APPLICANT, org_id=other.id)
    with factory() as s:
        assert apps.own(s, actor=world.applicant, application_id=app_id).id == app_id
        with pytest.raises(NotFound):  # another enterprise: as if it did not exist
            apps.own(s, actor=stranger, application_id=app_id)
        with pytest.raises(Forbidden):  # staff do not work on an applicant's draft
            apps.own(s, actor=OFFICE, application_id=app_id)


def test_a_fact_at_a_time_and_the_engine_s_view(factory: sessionmaker[Session]) -> None:
    world = build(factory)
    with transaction(factory) as s:
        app_id = apps.start(s, actor=world.applicant, measure="m07.rd", year=2024).id
    with factory() as s:
        seen = apps.assess(s, actor=world.applicant, application_id=app_id)
        assert seen.result is not None and seen.result.status == "incomplete"
        assert seen.result.missing_columns == ["rd_fen"]
        assert seen.sources["regional_contribution"] == "registry"
    with transaction(factory) as s:
        apps.set_fact(s, actor=world.applicant, application_id=app_id, path="rd_investment.2024",
                      value="2000000.00")
    with factory() as s:
        seen = apps.assess(s, actor=world.applicant, application_id=app_id)
        # （七）: 10% × 2,000,000.00 = 200,000.00 (under the 3,000,000 a year)
        assert seen.result is not None and str(seen.result.ceiling) == "200000.00"
        assert seen.sources["rd_investment"] == "applicant"
    with pytest.raises(Refused), transaction(factory) as s:  # the schema still decides
        apps.set_fact(s, actor=world.applicant, application_id=app_id, path="rd_investment.2024",
                      value="a lot")


def test_the_commitment_is_signed_for_the_coming_round(factory: sessionmaker[Session]) -> None:
    world = build(factory)
    with transaction(factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m01.new", year=2024)
        app_id = app.id
        assert apps.signed(app) is None
        for name, accept, field in (("  ", True, "signatory"), ("张三", False, "accept_commitment"),
                                    ("长" * 61, True, "signatory")):
            with pytest.raises(Refused) as refused:
                apps.sign(s, actor=world.applicant, application_id=app_id, accept=accept, signatory=name)
            assert refused.value.message.startswith(f"{field}:")
        apps.sign(s, actor=world.applicant, application_id=app_id, accept=True, signatory=" 张  三 ")
        signed = apps.signed(app)
        assert signed is not None and (signed["signatory"], signed["for_round"]) == ("张 三", 1)
        apps.submit(s, actor=world.applicant, application_id=app_id, accept_commitment=True,
                    signatory=signed["signatory"])
    with transaction(factory) as s:
        apps.review(s, actor=ECON, application_id=app_id, approve=False, reason="请补充证明")
    with transaction(factory) as s:
        app = apps.own(s, actor=world.applicant, application_id=app_id)
        assert app.state == "returned" and apps.signed(app) is None  # signed again for round 2
        apps.sign(s, actor=world.applicant, application_id=app_id, accept=True, signatory="张三")
        assert apps.signed(app) is not None and app.commitment["for_round"] == 2  # type: ignore[index]
        apps.submit(s, actor=world.applicant, application_id=app_id, accept_commitment=True,
                    signatory="张三")
    with pytest.raises(Conflict), transaction(factory) as s:  # in review: nothing to sign
        apps.sign(s, actor=world.applicant, application_id=app_id, accept=True, signatory="张三")
