"""Matching over the registry (政策直享) and offers (免申即享), through the services and the CLI.

The district of ``world``: a new chain leader (2024-05-01) with regional contribution
12,000,000.00 in 2024 — m01.new up to 70% × 12,000,000.00 = 8,400,000.00 (（一）) — and no R&D
figure, so m07.rd can only be incomplete.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from rich.cells import cell_len
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from huiqi.app import vault
from huiqi.app.applications import service as apps
from huiqi.app.applications.models import Step
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import payments
from huiqi.app.budget.bank import LocalBank
from huiqi.app.budget.models import Payment
from huiqi.app.db import transaction
from huiqi.app.errors import Forbidden, Refused
from huiqi.app.matching import service as matching
from huiqi.app.matching.models import Match
from huiqi.app.registry import accounts, bulk
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import BankAccount, FactIn, RecognitionIn
from huiqi.app.settings import service as settings
from huiqi.cli.offers import offers_app
from tests.app.world import CHAIN_LEADER_NAME, FINANCE, OFFICE, World, build, org_in

NOW = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)  # a Friday
# 5 working days after Friday 2025-03-07: Mon 10, Tue 11, Wed 12, Thu 13, Fri 14
DEADLINE = date(2025, 3, 14)
INTRODUCED = {"91110112MA01B2002F": "6000000.00", "91110112MA01B2003J": "5000000.00"}
OWN_ACCOUNT = BankAccount(bank_name="中国工商银行通州支行", account_no="62220000111122223333",
                          account_name=CHAIN_LEADER_NAME)


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    return build(factory)


def run(world: World, now: datetime = NOW) -> int:
    with transaction(world.factory) as s:
        return matching.run(s, actor=OFFICE, year=2024, now=now).id


def found(world: World, actor: Actor = OFFICE) -> dict[tuple[int, str], Match]:
    with transaction(world.factory) as s:
        return {(m.org_id, m.measure): m for m in matching.matches(s, actor=actor, limit=1000)}


def granted_without_application(world: World, measure: str = "m01.new") -> None:
    with transaction(world.factory) as s:
        settings.configure_measure(s, actor=OFFICE, measure=measure, departments=["经济和信息化局"],
                                   review_days=5, no_application=True, offer_days=5)


def offered(world: World) -> int:
    """The offer a run makes the chain leader under m01.new."""
    granted_without_application(world)
    run(world)
    return found(world)[world.org_id, "m01.new"].offer_id or 0


def introduce(world: World) -> list[int]:
    """Two enterprises recognised in 2024 as introduced by the chain leader (（二）)."""
    ids = []
    with transaction(world.factory) as s:
        for i, (uscc, rc) in enumerate(INTRODUCED.items()):
            org = registry.create_org(s, actor=OFFICE, data=org_in(uscc, f"引进企业{i}有限公司"))
            registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
                year=2024, name="regional_contribution", value=Decimal(rc), source="区税务局"))
            registry.add_recognition(s, actor=OFFICE, org_id=org.id, person_id=None, data=RecognitionIn(
                kind="introduced_by", subtype="chain_leader", introducer_id=world.org_id,
                recognised_on=date(2024, 6, 1)))
            ids.append(org.id)
    return ids


def state_of(world: World, app_id: int) -> str:
    with transaction(world.factory) as s:
        return apps.get(s, actor=OFFICE, application_id=app_id).state


def test_a_run_records_the_chain_leaders_ceiling_of_70_percent_of_12_million(world: World) -> None:
    run(world)
    m = found(world)[world.org_id, "m01.new"]
    assert (m.status, m.ceiling_fen, m.year) == ("eligible", 840_000_000, 2024)
    assert m.missing == []
    assert "8,400,000.00" in m.reason_en and "8,400,000.00" in m.reason_zh
    with transaction(world.factory) as s:  # the full explanation, built from the row it keeps
        detail = matching.explanation(s, m)
    assert detail is not None and detail["clause"] == "（一）" and detail["ceiling"] == "8400000.00"


def test_a_run_records_an_incomplete_measure_with_the_facts_it_still_needs(world: World) -> None:
    run(world)
    m = found(world)[world.org_id, "m07.rd"]
    assert (m.status, m.ceiling_fen) == ("incomplete", None)
    assert m.missing == ["rd_investment.2024"]
    assert m.reason_en == "missing: R&D investment in 2024"


def test_a_run_records_neither_ineligible_measures_nor_services(world: World) -> None:
    run(world)
    measures = {measure for _, measure in found(world)}
    assert "m01.existing" not in measures  # ineligible: a new chain leader, not an existing one
    assert "m12" not in measures  # a service (企业专属空间), not a sum


def test_a_second_run_supersedes_the_first(world: World) -> None:
    first = run(world)
    with transaction(world.factory) as s:
        registry.set_fact(s, actor=OFFICE, org_id=world.org_id, data=FactIn(
            year=2024, name="regional_contribution", value=Decimal("10000000.00"), source="区税务局更正"))
    second = run(world)
    current = found(world)
    assert {m.run_id for m in current.values()} == {second} != {first}
    assert current[world.org_id, "m01.new"].ceiling_fen == 700_000_000  # 70% × 10,000,000.00


def test_an_introducer_is_matched_under_m02_through_the_enterprises_it_introduced(world: World) -> None:
    introduced = introduce(world)
    run(world)
    current = found(world)
    m02 = current[world.org_id, "m02"]
    # 70% × (6,000,000.00 + 5,000,000.00 − set standard 10,000,000.00) = 700,000.00
    assert (m02.status, m02.ceiling_fen) == ("eligible", 70_000_000)
    assert all((org_id, "m02") not in current for org_id in introduced)


def test_a_no_application_measure_makes_an_offer_due_in_working_days(world: World) -> None:
    app_id = offered(world)
    with transaction(world.factory) as s:
        app = apps.get(s, actor=OFFICE, application_id=app_id)
        assert (app.origin, app.state, app.org_id, app.measure, app.year) == (
            "offer", "offered", world.org_id, "m01.new", 2024)
        assert app.ceiling_fen == 840_000_000 and app.param_version is not None
        assert app.offer_deadline == DEADLINE
        assert app.facts["beneficiaries"][0]["regional_contribution"]["2024"] == "12000000.00"
        steps = list(s.scalars(select(Step.action).where(Step.application_id == app_id)))
        assert steps == ["offer"]
        (latest,) = matching.runs(s, actor=OFFICE, limit=1)
        assert latest.offers == 1


def test_a_measure_applied_for_makes_no_offer(world: World) -> None:
    run(world)
    assert found(world)[world.org_id, "m01.new"].offer_id is None
    with transaction(world.factory) as s:
        assert matching.offers(s, actor=OFFICE) == []


def test_no_second_offer_is_made_while_one_is_open(world: World) -> None:
    first = offered(world)
    run(world)
    assert found(world)[world.org_id, "m01.new"].offer_id is None
    with transaction(world.factory) as s:
        assert [a.id for a in matching.offers(s, actor=OFFICE)] == [first]


def test_confirming_with_an_account_in_another_name_is_refused(world: World) -> None:
    app_id = offered(world)
    other = OWN_ACCOUNT.model_copy(update={"account_name": "张三"})
    with pytest.raises(Refused, match="account_name"), transaction(world.factory) as s:
        matching.confirm(s, actor=world.applicant, application_id=app_id, willing=True,
                         bank_account=other, signatory="张三", now=NOW)


def test_another_organisation_cannot_confirm_the_offer(world: World) -> None:
    app_id = offered(world)
    stranger = Actor("ent2", Role.APPLICANT, org_id=world.org_id + 1)
    with pytest.raises(Forbidden), transaction(world.factory) as s:
        matching.confirm(s, actor=stranger, application_id=app_id, willing=True,
                         bank_account=OWN_ACCOUNT, signatory="李四", now=NOW)


def test_confirming_moves_the_offer_to_approved_with_the_account_and_commitment(world: World) -> None:
    # the account given is another than the confirmed one: it waits for the office (finding 11)
    app_id = offered(world)
    with transaction(world.factory) as s:
        app = matching.confirm(s, actor=world.applicant, application_id=app_id, willing=True,
                               bank_account=OWN_ACCOUNT, signatory="张三", now=NOW)
        assert app.state == "approved"
        assert app.payee is None
        (change,) = accounts.listing(s, actor=world.applicant)
        assert (change.state, change.bank_name, change.account_no_masked, change.account_name) == (
            "pending", "中国工商银行通州支行", "****************3333", CHAIN_LEADER_NAME)
        assert app.commitment is not None and app.commitment["signatory"] == "张三"
        assert app.commitment["text_zh"] == apps.COMMITMENT_ZH


def test_declining_an_offer_withdraws_it(world: World) -> None:
    app_id = offered(world)
    with transaction(world.factory) as s:
        matching.confirm(s, actor=world.applicant, application_id=app_id, willing=False,
                         bank_account=None, signatory="张三", now=NOW)
    assert state_of(world, app_id) == "withdrawn"


def test_a_confirmed_offer_is_decided_and_paid_into_the_confirmed_account(
        world: World, engine: Engine) -> None:
    app_id = offered(world)
    with transaction(world.factory) as s:
        matching.confirm(s, actor=world.applicant, application_id=app_id, willing=True,
                         bank_account=OWN_ACCOUNT, signatory="张三", now=NOW)
        (change,) = accounts.listing(s, actor=OFFICE, state="pending")
        accounts.decide(s, actor=OFFICE, change_id=change.id, confirm=True, reason=None)
    with transaction(world.factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=840_000_000,
                    reasons=None)
    with transaction(world.factory) as s:
        assert payments.create_batch(s, actor=FINANCE).skipped == []
    report = payments.run(world.factory, LocalBank(engine), actor=FINANCE)
    assert report.paid == 1
    with transaction(world.factory) as s:
        (payment,) = s.scalars(select(Payment).where(Payment.application_id == app_id))
        assert (vault.of(s).open(payment.account_no, "account_no"), payment.bank_name,
                payment.amount_fen) == ("62220000111122223333", "中国工商银行通州支行", 840_000_000)
    assert state_of(world, app_id) == "paid"


def test_an_offer_lapses_the_day_after_its_deadline(world: World) -> None:
    app_id = offered(world)
    with transaction(world.factory) as s:
        assert matching.lapse_expired(s, actor=OFFICE, today=DEADLINE) == 0
    with transaction(world.factory) as s:
        assert matching.lapse_expired(s, actor=OFFICE, today=date(2025, 3, 15)) == 1
    assert state_of(world, app_id) == "lapsed"


def test_confirming_after_the_deadline_is_refused_and_leaves_the_offer_lapsed(world: World) -> None:
    app_id = offered(world)
    late = datetime(2025, 3, 17, 9, 0, tzinfo=UTC)
    with transaction(world.factory) as s, pytest.raises(matching.OfferLapsed,
                                                        match="offer lapsed on 2025-03-17"):
        try:
            matching.confirm(s, actor=world.applicant, application_id=app_id, willing=True,
                             bank_account=OWN_ACCOUNT, signatory="张三", now=late)
        finally:
            s.commit()  # keep the lapse, as the API does when it answers the refusal
    assert state_of(world, app_id) == "lapsed"


def test_a_later_run_lapses_the_expired_offer_and_does_not_offer_it_again(world: World) -> None:
    first = offered(world)
    run(world, now=datetime(2025, 3, 20, 9, 0, tzinfo=UTC))
    assert state_of(world, first) == "lapsed"
    match = found(world)[world.org_id, "m01.new"]
    assert match.status == "eligible" and match.offer_id is None


def test_an_applicant_sees_only_its_own_organisations_matches(world: World) -> None:
    introduced = introduce(world)
    run(world)
    assert {org_id for org_id, _ in found(world)} == {world.org_id, *introduced}
    assert {org_id for org_id, _ in found(world, world.applicant)} == {world.org_id}
    with pytest.raises(Forbidden), transaction(world.factory) as s:
        matching.matches(s, actor=world.applicant, org_id=introduced[0])


def test_only_the_office_runs_matching(world: World) -> None:
    with pytest.raises(Forbidden), transaction(world.factory) as s:
        matching.run(s, actor=world.applicant, year=2024, now=NOW)


def test_the_cli_matches_and_prints_each_measures_summary(world: World, db_url: str) -> None:
    result = CliRunner().invoke(offers_app, ["match", "--db", db_url, "--year", "2024"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "m01.new" in x)
    assert "8,400,000.00" in line
    with transaction(world.factory) as s:
        assert len(matching.runs(s, actor=OFFICE)) == 1


@pytest.mark.parametrize("columns", [80, 40])
def test_the_cli_keeps_each_amount_whole_at_80_columns_and_below(world: World, db_url: str,
                                                                  columns: int) -> None:
    result = CliRunner().invoke(offers_app, ["match", "--db", db_url, "--year", "2024"],
                                env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # the chain leader's m01.new: 70% × 12,000,000 — as a table row or a block's line
    assert any("8,400,000.00" in line for line in lines)
    if columns == 80:
        assert "┏" in result.stdout and max(cell_len(line) for line in lines[1:]) <= 80
    else:
        assert "上限合计 Σ ceilings 元: 8,400,000.00" in lines
    assert result.stderr == ""  # no progress bar without a terminal


def test_the_cli_lapses_the_offers_past_their_deadline(world: World, db_url: str) -> None:
    app_id = offered(world)
    result = CliRunner().invoke(offers_app, ["lapse", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "1 offer(s) lapsed" in result.stdout
    assert state_of(world, app_id) == "lapsed"



def test_an_introducer_is_evaluated_with_its_enterprises_when_the_registry_is_read_in_slices(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    introduce(world)
    with transaction(world.factory) as s:
        registry.create_org(s, actor=OFFICE, data=org_in("91110112MA01B2006U", "普通企业有限公司"))
    monkeypatch.setattr(bulk, "SLICE", 1)  # one organisation per read: the group spans reads
    run(world)
    assert found(world)[world.org_id, "m02"].ceiling_fen == 70_000_000


def zero_rc(world: World) -> None:
    """The registry corrects the chain leader's 2024 regional contribution to 0.00: m01.new's
    ceiling is 70% × 0.00 = 0.00 — eligible in principle, nothing to support this year."""
    with transaction(world.factory) as s:
        registry.set_fact(s, actor=OFFICE, org_id=world.org_id, data=FactIn(
            year=2024, name="regional_contribution", value=Decimal("0.00"), source="区税务局更正"))


def test_a_zero_ceiling_is_neither_matched_nor_offered(world: World) -> None:
    zero_rc(world)
    granted_without_application(world)
    run(world)
    assert (world.org_id, "m01.new") not in found(world)
    with transaction(world.factory) as s:
        assert matching.offers(s, actor=OFFICE) == []
        (latest,) = matching.runs(s, actor=OFFICE, limit=1)
        assert latest.offers == 0


def test_an_application_for_a_zero_ceiling_is_refused_saying_there_is_nothing_to_support(
    world: World,
) -> None:
    zero_rc(world)
    with transaction(world.factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m01.new", year=2024)
        app_id = app.id
    with pytest.raises(Refused, match="nothing to support this year"), \
            transaction(world.factory) as s:
        apps.submit(s, actor=world.applicant, application_id=app_id, accept_commitment=True,
                    signatory="张三")
