"""Administrative parameters are versioned and dated; statutory ones are read-only; an
application keeps the parameters it was computed with."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.errors import Forbidden, Refused
from huiqi.app.parameters import service as parameters
from tests.app.world import FINANCE, OFFICE, approve, award, build, submit


def set_rd_rate(factory: sessionmaker[Session], value: str, since: date) -> int:
    with transaction(factory) as s:
        return parameters.set_value(s, actor=OFFICE, name="m07.rd.rate", value=value,
                                    effective_from=since, reference="产促办〔2025〕1号").id


def test_the_office_sets_an_administrative_value_from_a_date(factory: sessionmaker[Session]) -> None:
    version = set_rd_rate(factory, "0.05", date(2025, 1, 1))
    with factory() as s:
        pol = parameters.policy_at(s)
        assert version == 1 and parameters.current_version(s) == 1
        assert pol.params.at(date(2024, 12, 31))["m07.rd.rate"].value == Decimal("0.10")
        assert pol.params.at(date(2025, 1, 1))["m07.rd.rate"].value == Decimal("0.05")
        listed = {p["name"]: p for p in parameters.listing(s, date(2025, 6, 1))}
        assert listed["m07.rd.rate"]["value"] == "0.05"
        assert listed["m07.rd.rate"]["changes"][0]["reference"] == "产促办〔2025〕1号"


def test_a_statutory_value_cannot_be_edited(factory: sessionmaker[Session]) -> None:
    with pytest.raises(Refused, match="statutory"), transaction(factory) as s:
        parameters.set_value(s, actor=OFFICE, name="m01.rate", value="0.8",
                             effective_from=date(2025, 1, 1), reference="x")


def test_only_the_office_edits_parameters(factory: sessionmaker[Session]) -> None:
    with pytest.raises(Forbidden), transaction(factory) as s:
        parameters.set_value(s, actor=FINANCE, name="m07.rd.rate", value="0.05",
                             effective_from=date(2025, 1, 1), reference="x")


def test_a_value_of_the_wrong_kind_is_refused_naming_the_parameter(factory: sessionmaker[Session]) -> None:
    with pytest.raises(Refused, match=r"value: parameter m07\.rd\.rate"), transaction(factory) as s:
        parameters.set_value(s, actor=OFFICE, name="m07.rd.rate", value="ten percent",
                             effective_from=date(2025, 1, 1), reference="x")


def test_a_decision_uses_the_parameters_the_application_was_submitted_with(
        factory: sessionmaker[Session]) -> None:
    # R&D 25,000,000.00 in 2024: 10% = 2,500,000.00 (cap 3,000,000.00). The office lowers the
    # rate to 5% from 2024-01-01 after submission; the snapshot keeps 2,500,000.00.
    world = build(factory)
    with transaction(factory) as s:
        from huiqi.app.budget import service as budget
        from huiqi.app.registry import service as registry
        from huiqi.app.registry.schemas import FactIn

        registry.set_fact(s, actor=OFFICE, org_id=world.org_id, data=FactIn(
            year=2024, name="rd_investment", value=Decimal("25000000.00"), source="统计局"))
        budget.set_budget(s, actor=FINANCE, measure="m07.rd", year=2024, amount_fen=10**10)
    app_id = submit(world, "m07.rd")
    set_rd_rate(factory, "0.05", date(2024, 2, 26))
    approve(world, app_id, Actor("cdb1", Role.REVIEWER, department="产促办"))  # the default reviewer
    award(world, app_id, 250_000_000)
    with factory() as s:
        app = apps.get(s, actor=OFFICE, application_id=app_id)
        assert app.ceiling_fen == 250_000_000 and app.param_version == 0
        assert app.params is not None and Decimal(app.params["m07.rd.rate"]["value"]) == Decimal("0.10")
