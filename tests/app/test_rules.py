"""Rules the office's decision is checked against, as the ledger and registry stand at that time."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.budget import service as budget
from huiqi.app.budget.models import LedgerEntry
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, Refused
from huiqi.app.registry import service as registry
from huiqi.app.registry.models import Organisation
from huiqi.app.registry.schemas import CreditEntryIn, RecognitionIn
from huiqi.app.settings import service as settings
from tests.app.world import ADMIN, ECON, FINANCE, OFFICE, World, approve, award, build, submit


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    return build(factory)


def decide(world: World, app_id: int, amount_fen: int | None, reasons: str | None = None) -> None:
    with transaction(world.factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=amount_fen is not None,
                    amount_fen=amount_fen, reasons=reasons)


def list_dishonest(world: World, removed_on: date | None = None) -> None:
    with transaction(world.factory) as s:
        registry.add_credit_entry(s, actor=OFFICE, org_id=world.org_id, data=CreditEntryIn(
            list="dishonest_debtor", listed_on=date(2024, 1, 10), removed_on=removed_on,
            source="最高人民法院失信被执行人名单"))


def test_an_organisation_on_the_judgment_defaulter_list_is_refused_naming_the_list(world: World) -> None:
    app_id = submit(world)
    approve(world, app_id)
    list_dishonest(world)
    with pytest.raises(Refused, match="失信被执行人"):
        decide(world, app_id, 840_000_000)


def assert_awarded(world: World, app_id: int, amount_fen: int) -> None:
    """The award is recorded: the application is awarded and the ledger commits the amount."""
    with transaction(world.factory) as s:
        app = apps.get(s, actor=OFFICE, application_id=app_id)
        assert (app.state, app.award_fen) == ("awarded", amount_fen)
        entries = [(e.kind, e.amount_fen, e.application_id)
                   for e in s.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
        assert entries == [("commit", amount_fen, app_id)]


def test_an_entry_removed_before_the_decision_does_not_block_it(world: World) -> None:
    app_id = submit(world)
    approve(world, app_id)
    list_dishonest(world, removed_on=date(2024, 3, 1))
    decide(world, app_id, 840_000_000)
    assert_awarded(world, app_id, 840_000_000)  # 70% × 12,000,000.00 = 8,400,000.00


def test_a_credit_gate_switched_off_by_the_administrator_no_longer_blocks(world: World) -> None:
    app_id = submit(world)
    approve(world, app_id)
    list_dishonest(world)
    with transaction(world.factory) as s:
        settings.put(s, actor=ADMIN, key="credit_gates", value=["abnormal_operation"])
    decide(world, app_id, 840_000_000)
    assert_awarded(world, app_id, 840_000_000)


def test_a_one_matter_arrangement_recorded_after_submission_refuses_the_award(world: World) -> None:
    app_id = submit(world)
    approve(world, app_id)
    with transaction(world.factory) as s:
        org = s.get(Organisation, world.org_id)
        assert org is not None
        org.one_matter = True
    with pytest.raises(Refused, match="一事一议"):
        decide(world, app_id, 840_000_000)


def little_giant_twice(world: World) -> None:
    """A national little giant recognised in 2024 and recognised again (复核) in 2027."""
    with transaction(world.factory) as s:
        for day in (date(2024, 7, 15), date(2027, 7, 15)):
            registry.add_recognition(s, actor=OFFICE, org_id=world.org_id, person_id=None,
                                     data=RecognitionIn(kind="title", subtype="little_giant",
                                                        level="national", recognised_on=day))
        settings.configure_measure(s, actor=OFFICE, measure="m10", departments=[ECON.department or ""],
                                   review_days=5, no_application=False, offer_days=15)
        for year in (2024, 2027):
            budget.set_budget(s, actor=FINANCE, measure="m10", year=year, amount_fen=1_000_000_000)


def test_once_per_title_refuses_a_second_award_decided_after_the_first(world: World) -> None:
    # （十）: at most 3,000,000.00 per title, once: both submitted while neither was awarded
    little_giant_twice(world)
    first = submit(world, "m10", 2024, "little_giant")
    second = submit(world, "m10", 2027, "little_giant")
    approve(world, first, ECON)
    approve(world, second, ECON)
    award(world, first, 300_000_000)
    with pytest.raises(Refused, match="no longer eligible"):
        decide(world, second, 300_000_000)


def test_the_ledger_history_states_an_award_as_the_text_does(world: World) -> None:
    # （十）: the 2024 little giant awarded 2,500,000.00; a 2027 application's facts carry that
    # award from the ledger with its amount and the title's kind and level
    little_giant_twice(world)
    first = submit(world, "m10", 2024, "little_giant")
    approve(world, first, ECON)
    award(world, first, 250_000_000)
    with transaction(world.factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m10", year=2027, item="little_giant")
        assert app.facts["beneficiaries"][0]["history"] == [
            {"measure": "m10", "year": 2024, "item": "little_giant", "amount": "2500000.00",
             "kind": "little_giant", "level": "national"}]


def test_an_applicant_cannot_hide_an_earlier_award_by_editing_the_facts(world: World) -> None:
    little_giant_twice(world)
    first = submit(world, "m10", 2024, "little_giant")
    approve(world, first, ECON)
    award(world, first, 300_000_000)
    with transaction(world.factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m10", year=2027, item="little_giant")
        facts = dict(app.facts)
        facts["beneficiaries"] = [{k: v for k, v in b.items() if k != "history"}
                                  for b in facts["beneficiaries"]]
        apps.update_facts(s, actor=world.applicant, application_id=app.id, facts=facts)
        with pytest.raises(Refused, match="not eligible"):
            apps.submit(s, actor=world.applicant, application_id=app.id, accept_commitment=True,
                        signatory="张三")


def test_facts_with_an_unknown_field_are_refused_naming_it(world: World) -> None:
    with transaction(world.factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m01.new", year=2024)
        facts = dict(app.facts)
        facts["beneficiaries"] = [{**facts["beneficiaries"][0], "regional_contributon": {}}]
        with pytest.raises(Refused, match="regional_contributon: unknown field"):
            apps.update_facts(s, actor=world.applicant, application_id=app.id, facts=facts)


def test_a_rejection_needs_reasons_and_an_award_needs_an_amount(world: World) -> None:
    app_id = submit(world)
    approve(world, app_id)
    with pytest.raises(Refused, match="reasons"):
        decide(world, app_id, None, reasons=" ")
    with pytest.raises(Refused, match="amount"):
        decide(world, app_id, 0)


def test_a_decision_can_be_appealed_once(world: World) -> None:
    app_id = submit(world)
    approve(world, app_id)
    decide(world, app_id, None, reasons="材料不全")
    with transaction(world.factory) as s:
        apps.appeal(s, actor=world.applicant, application_id=app_id, reasons="已补充")
    decide(world, app_id, None, reasons="复核维持")
    with pytest.raises(Conflict, match="already been appealed"), transaction(world.factory) as s:
        apps.appeal(s, actor=world.applicant, application_id=app_id, reasons="再次申请")


def test_an_award_raised_on_appeal_releases_the_first_commitment(world: World) -> None:
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 500_000_000)
    with transaction(world.factory) as s:
        apps.appeal(s, actor=world.applicant, application_id=app_id, reasons="应按70%核定")
    award(world, app_id, 840_000_000)
    with transaction(world.factory) as s:
        kinds = [(e.kind, e.amount_fen) for e in s.scalars(select(LedgerEntry).order_by(LedgerEntry.id))]
        assert kinds == [("commit", 500_000_000), ("release", 500_000_000), ("commit", 840_000_000)]
        (line,) = budget.reconcile(s, year=2024)
        assert line.committed_fen == 840_000_000 and line.consistent


def test_a_draft_without_an_item_blocks_a_second_application_for_any_item(world: World) -> None:
    little_giant_twice(world)
    with transaction(world.factory) as s:
        apps.start(s, actor=world.applicant, measure="m10", year=2024)
    with pytest.raises(Conflict, match="already draft"), transaction(world.factory) as s:
        apps.start(s, actor=world.applicant, measure="m10", year=2024, item="little_giant")


def test_an_appeal_cannot_bring_a_second_award_for_the_same_year(world: World) -> None:
    # A rejected, B started and awarded, then A appealed: awarding A too is refused
    first = submit(world)
    approve(world, first)
    decide(world, first, None, reasons="材料不全")
    second = submit(world)
    approve(world, second)
    award(world, second, 840_000_000)
    with transaction(world.factory) as s:
        apps.appeal(s, actor=world.applicant, application_id=first, reasons="请复核")
    with pytest.raises(Refused, match=f"already awarded in application {second}"):
        decide(world, first, 840_000_000)
