"""Issue 10, finding 11: a payout account is in the holder's registered name, its number ASCII
digits, and an applicant's change of it takes effect only once the office confirms it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app import vault
from huiqi.app.audit.models import AuditEntry
from huiqi.app.budget import payments
from huiqi.app.budget.bank import LocalBank
from huiqi.app.db import transaction
from huiqi.app.errors import Refused
from huiqi.app.registry import accounts
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import BankAccount
from tests.app.http import add_users, client, login
from tests.app.world import (
    CHAIN_LEADER_NAME,
    CHAIN_LEADER_USCC,
    FINANCE,
    OFFICE,
    World,
    approve,
    award,
    build,
    submit,
)

CONFIRMED = "20000012345678"  # the world's account
NEW = "60000098765432"


def org_body(account_no: str = NEW, account_name: str = CHAIN_LEADER_NAME) -> dict[str, Any]:
    return {"uscc": CHAIN_LEADER_USCC, "name": CHAIN_LEADER_NAME, "kind": "enterprise",
            "industry": "3911", "bank_account": {"bank_name": "中国银行通州支行",
                                                 "account_no": account_no, "account_name": account_name}}


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    w = build(factory)
    add_users(factory, w.org_id)
    return w


def test_an_account_in_another_name_is_refused_at_entry_naming_the_field(
        db_url: str, world: World) -> None:
    c = client(db_url)
    r = c.put(f"/organisations/{world.org_id}", headers=login(c, "office1"),
              json=org_body(account_name="张三"))
    assert r.status_code == 422
    assert "bank_account.account_name" in r.text and "registered name" in r.text


@pytest.mark.parametrize("number", ["６０００００９８７６５４３２",  # full-width
                                    "٦٠٠٠٠٠٩٨٧٦٥٤٣٢",  # Arabic-Indic
                                    "6000 0098", "1234567", "1" * 33])
def test_an_account_number_is_eight_to_thirty_two_ascii_digits(
        db_url: str, world: World, number: str) -> None:
    c = client(db_url)
    r = c.put(f"/organisations/{world.org_id}", headers=login(c, "office1"),
              json=org_body(account_no=number))
    assert r.status_code == 422 and "account_no" in r.text


def test_an_applicants_new_account_waits_for_the_office_and_payments_keep_the_confirmed_one(
        db_url: str, world: World, engine: Engine) -> None:
    c = client(db_url)
    ent = login(c, "ent1")
    r = c.put(f"/organisations/{world.org_id}", headers=ent, json=org_body())
    assert r.status_code == 200
    shown = r.json()
    assert shown["bank_account"]["account_no"] == "**********5678"  # still the confirmed one
    assert shown["pending_account_change"]["bank_account"]["account_no"] == "**********5432"
    assert shown["pending_account_change"]["state"] == "pending"
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)
    with transaction(world.factory) as s:
        payments.create_batch(s, actor=FINANCE)
    payments.run(world.factory, LocalBank(engine), actor=FINANCE)
    with transaction(world.factory) as s:
        (paid,) = payments.listing(s, actor=FINANCE)
        assert vault.of(s).open(paid.account_no, "account_no") == CONFIRMED


def test_once_the_office_confirms_the_change_it_is_the_payout_account(
        db_url: str, world: World, engine: Engine) -> None:
    c = client(db_url)
    ent, office = login(c, "ent1"), login(c, "office1")
    change = c.put(f"/organisations/{world.org_id}", headers=ent,
                   json=org_body()).json()["pending_account_change"]
    r = c.post(f"/account-changes/{change['id']}/decision", headers=office, json={"confirm": True})
    assert r.status_code == 200 and r.json()["state"] == "confirmed"
    org = c.get(f"/organisations/{world.org_id}", headers=ent).json()
    assert org["bank_account"]["account_no"] == "**********5432"
    assert org["pending_account_change"] is None
    # the applicant sees the outcome (its notification)
    assert [x["state"] for x in c.get("/account-changes", headers=ent).json()] == ["confirmed"]
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 840_000_000)
    with transaction(world.factory) as s:
        payments.create_batch(s, actor=FINANCE)
    payments.run(world.factory, LocalBank(engine), actor=FINANCE)
    with transaction(world.factory) as s:
        (paid,) = payments.listing(s, actor=FINANCE)
        assert vault.of(s).open(paid.account_no, "account_no") == NEW
        actions = s.scalars(select(AuditEntry.action).where(
            AuditEntry.entity == "account_change").order_by(AuditEntry.id)).all()
    assert actions == ["account_change.request", "account_change.confirmed"]


def test_a_rejection_says_why_and_leaves_the_confirmed_account(world: World) -> None:
    with transaction(world.factory) as s:
        holder = registry.get_org(s, actor=OFFICE, org_id=world.org_id)
        change = accounts.request(s, actor=world.applicant, holder=holder, account=BankAccount(
            bank_name="中国银行", account_no=NEW, account_name=CHAIN_LEADER_NAME))
        assert change is not None
        with pytest.raises(Refused, match="reason"):
            accounts.decide(s, actor=OFFICE, change_id=change.id, confirm=False, reason=" ")
        accounts.decide(s, actor=OFFICE, change_id=change.id, confirm=False, reason="开户证明不符")
        assert holder.account_no_masked == "**********5678" and change.state == "rejected"


def test_an_applicant_cannot_confirm_its_own_change(db_url: str, world: World) -> None:
    c = client(db_url)
    ent = login(c, "ent1")
    change = c.put(f"/organisations/{world.org_id}", headers=ent,
                   json=org_body()).json()["pending_account_change"]
    r = c.post(f"/account-changes/{change['id']}/decision", headers=ent, json={"confirm": True})
    assert r.status_code == 403
