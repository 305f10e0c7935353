"""A small district for platform tests: users of every role, a chain leader, budgets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import service as budget
from huiqi.app.db import transaction
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import BankAccount, FactIn, OrganisationIn, RecognitionIn
from huiqi.app.settings import service as settings

OFFICE = Actor("office1", Role.OFFICE)
FINANCE = Actor("finance1", Role.FINANCE)
AUDITOR = Actor("auditor1", Role.AUDITOR)
ADMIN = Actor("admin1", Role.ADMIN)
ECON = Actor("econ1", Role.REVIEWER, department="经济和信息化局")
SCI = Actor("sci1", Role.REVIEWER, department="科学技术委员会")

CHAIN_LEADER_USCC = "91110112MA01E00015"
CHAIN_LEADER_NAME = "通州智造科技有限公司"


@dataclass
class World:
    factory: sessionmaker[Session]
    org_id: int
    applicant: Actor


def org_in(uscc: str, name: str, kind: str = "enterprise", account: bool = True) -> OrganisationIn:
    return OrganisationIn(uscc=uscc, name=name, kind=kind, industry="3911",  # type: ignore[arg-type]
                          bank_account=BankAccount(bank_name="北京银行通州支行",
                                                   account_no="20000012345678",
                                                   account_name=name) if account else None)


def build(factory: sessionmaker[Session], *, budget_yuan: str = "20000000.00") -> World:
    """A new chain leader (2024-05-01) with regional contribution 12,000,000.00 in 2024: its
    m01.new ceiling is 70% × 12,000,000.00 = 8,400,000.00 (（一）)."""
    with transaction(factory) as s:
        org = registry.create_org(s, actor=OFFICE, data=org_in(CHAIN_LEADER_USCC, CHAIN_LEADER_NAME))
        registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
            year=2024, name="regional_contribution", value=Decimal("12000000.00"), source="区税务局"))
        registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
            year=2023, name="regional_contribution", value=Decimal("0.00"), source="区税务局"))
        registry.add_recognition(s, actor=OFFICE, org_id=org.id, person_id=None, data=RecognitionIn(
            kind="chain_leader", subtype="new", recognised_on=date(2024, 5, 1)))
        settings.configure_measure(s, actor=OFFICE, measure="m01.new",
                                   departments=[ECON.department or "", SCI.department or ""],
                                   review_days=5, no_application=False, offer_days=15)
        budget.set_budget(s, actor=FINANCE, measure="m01.new", year=2024,
                          amount_fen=int(Decimal(budget_yuan) * 100))
        org_id = org.id
    return World(factory, org_id, Actor("ent1", Role.APPLICANT, org_id=org_id))


def submit(world: World, measure: str = "m01.new", year: int = 2024, item: str | None = None) -> int:
    """Start and submit an application of the world's applicant; its id."""
    from huiqi.app.applications import service as apps

    with transaction(world.factory) as s:
        app = apps.start(s, actor=world.applicant, measure=measure, year=year, item=item)
        apps.submit(s, actor=world.applicant, application_id=app.id, accept_commitment=True,
                    signatory="张三")
        return app.id


def approve(world: World, app_id: int, *reviewers: Actor) -> None:
    """Every named department approves (default: both of m01.new's)."""
    from huiqi.app.applications import service as apps

    for r in reviewers or (ECON, SCI):
        with transaction(world.factory) as s:
            apps.review(s, actor=r, application_id=app_id, approve=True, reason=None)


def award(world: World, app_id: int, amount_fen: int) -> None:
    from huiqi.app.applications import service as apps

    with transaction(world.factory) as s:
        apps.decide(s, actor=OFFICE, application_id=app_id, award=True, amount_fen=amount_fen,
                    reasons=None)
