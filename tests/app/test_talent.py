"""A talent (a person, not an organisation) applies for the housing subsidy and is paid."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session, sessionmaker

from huiqi.app import vault
from huiqi.app.applications import service as apps
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import payments
from huiqi.app.budget import service as budget
from huiqi.app.budget.bank import LocalBank
from huiqi.app.db import transaction
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import BankAccount, PersonIn, RecognitionIn
from tests.app.world import FINANCE, OFFICE, approve, award

HOUSING = Actor("cdb1", Role.REVIEWER, department="产促办")  # measures without a configuration


def test_a_selected_talent_buying_a_home_is_awarded_and_paid_into_its_own_account(
        factory: sessionmaker[Session], engine: object) -> None:
    # （二十一）: selected 2024-04-01, home bought 2024-08-15 → up to 1,500,000.00 (placeholder = cap)
    from tests.app.world import World

    with transaction(factory) as s:
        person = registry.create_person(s, actor=OFFICE, data=PersonIn(
            name="张伟", id_number="11010519491231002X",
            bank_account=BankAccount(bank_name="北京银行", account_no="62220000111122223",
                                     account_name="张伟")))
        registry.add_recognition(s, actor=OFFICE, org_id=None, person_id=person.id, data=RecognitionIn(
            kind="talent", subtype="A", recognised_on=date(2024, 4, 1)))
        budget.set_budget(s, actor=FINANCE, measure="m21.housing", year=2024, amount_fen=10**10)
        talent = Actor("zhangwei", Role.APPLICANT, person_id=person.id)
        app = apps.start(s, actor=talent, measure="m21.housing", year=2024)
        facts = dict(app.facts)
        (me,) = facts["beneficiaries"]
        assert me["talent"] == {"selected_on": "2024-04-01", "tier": "A"}
        # the purchase is the talent's to give; a typed selection date is replaced by the registry's
        facts["beneficiaries"] = [{**me, "talent": {"selected_on": "2023-01-01",
                                                    "home_purchased_on": "2024-08-15"}}]
        apps.update_facts(s, actor=talent, application_id=app.id, facts=facts)
        apps.submit(s, actor=talent, application_id=app.id, accept_commitment=True, signatory="张伟")
        assert app.ceiling_fen == 150_000_000
        app_id = app.id
    world = World(factory, 0, talent)
    approve(world, app_id, HOUSING)
    award(world, app_id, 150_000_000)
    with transaction(factory) as s:
        batch = payments.create_batch(s, actor=FINANCE).batch
        assert batch is not None and batch.total_fen == 150_000_000
    assert payments.run(factory, LocalBank(engine), actor=FINANCE).paid == 1  # type: ignore[arg-type]
    with factory() as s:
        (paid,) = payments.listing(s, actor=talent)
        assert (paid.payee_name, paid.account_no_masked, paid.state) == ("张伟", "*************2223",
                                                                         "paid")
        assert vault.of(s).open(paid.account_no, "account_no") == "62220000111122223"
