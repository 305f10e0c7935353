"""Every route × every role: who is allowed (and the success code they get), who is refused
(403, or 401 without a token).

The table below is the platform's access policy in one place. A route missing from it fails the
test, so a new route cannot slip in without a decision about who may use it. Requests carry valid
bodies and find their records in the state the action needs (``prepare`` makes them, fresh for the
route), so an allowed role gets the route's success code — not merely "not refused".
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import documents
from huiqi.app.applications import service as apps
from huiqi.app.applications.models import Application
from huiqi.app.auth import duties
from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import service as budget
from huiqi.app.db import transaction
from huiqi.app.matching import service as matching
from huiqi.app.members import consents
from huiqi.app.notices import service as notices
from huiqi.app.registry import accounts
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import BankAccount, FactIn, OrganisationIn, PersonIn, RecognitionIn
from huiqi.app.requests import service as requests
from huiqi.app.requests.schemas import ServicePackageIn
from huiqi.app.settings import service as settings
from tests.app.http import PASSWORD, TOTP_SECRET, add_users, client, login
from tests.app.world import CHAIN_LEADER_NAME, CHAIN_LEADER_USCC, ECON, FINANCE, OFFICE, SCI, build

APP, REV, OFF, FIN, AUD = "applicant", "reviewer", "office", "finance", "auditor"
ADM, SEC, AAD = "admin", "security_admin", "audit_admin"
SVC = "service_officer"  # 帮办
ROLES = (APP, REV, OFF, FIN, AUD, SVC, ADM, SEC, AAD)
USERS = {APP: "ent1", REV: "econ1", OFF: "office1", FIN: "finance1", AUD: "auditor1", SVC: "helper1",
         ADM: "admin1", SEC: "secadmin1", AAD: "auditadmin1"}
EVERYONE = frozenset(ROLES)
ADMINS = frozenset({ADM, SEC, AAD})
BUSINESS = frozenset({REV, OFF, FIN, AUD})
STAFF = BUSINESS | {SVC} | ADMINS
PUBLIC = "public"  # no token needed
TOKENS: dict[str, dict[str, str]] = {}
_n = itertools.count()
T = TypeVar("T")


def new_org() -> dict[str, Any]:
    from stdnum.cn import uscc

    base = f"91110112MA01Y{next(_n):04d}"
    return {"uscc": base + uscc.calc_check_digit(base), "name": "新注册企业", "kind": "enterprise"}


@dataclass
class District:
    """The module's SQLite district: the client, the database, the records every route finds."""

    c: TestClient
    factory: sessionmaker[Session]
    ids: dict[str, str]

    def run(self, step: Callable[[Session], T]) -> T:
        with transaction(self.factory) as s:
            return step(s)


@dataclass
class Prepared:
    """What a route needs before the roles call it: ids for its path (and body); for a role whose
    call changes its own account or acts for a new organisation, that role's own headers; for a
    role that needs other records than the rest, its own ids."""

    ids: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    role_ids: dict[str, dict[str, str]] = field(default_factory=dict)


Body = dict[str, Any] | Callable[[dict[str, str]], dict[str, Any]] | None


@dataclass(frozen=True)
class Rule:
    who: frozenset[str] | str
    ok: int | dict[str, int] = 200  # the success code of every allowed role (or per role)
    body: Body = None
    prepare: Callable[[District], Prepared] | None = None

    @property
    def roles(self) -> frozenset[str]:
        return EVERYONE if self.who == PUBLIC else frozenset(self.who)


def fresh_user(d: District, role: str, org_id: int | None = None) -> dict[str, str]:
    """A new user of ``role`` logged in: for calls that end its sessions or change its account."""
    name = f"{role.replace('_', '')}{next(_n)}"
    r = Role(role)
    d.run(lambda s: auth.new_user(
        s, by="test", username=name, password=PASSWORD, role=r, display_name=name,
        department=ECON.department if r is Role.REVIEWER else None,
        org_id=(org_id or int(d.ids["org_id"])) if r is Role.APPLICANT else None, must_change=False,
        totp_secret=None if r is Role.APPLICANT else TOTP_SECRET))
    return login(d.c, name)


def own_sessions(d: District) -> Prepared:
    return Prepared(headers={role: fresh_user(d, role) for role in ROLES})


def chain_leader(d: District) -> tuple[int, str, str, Actor]:
    """A new chain leader (2024-05-01, regional contribution 12,000,000.00 in 2024) and its
    applicant: its own applications start clean."""
    from stdnum.cn import uscc

    base = f"91110112MA01X{next(_n):04d}"
    code, name = base + uscc.calc_check_digit(base), f"链主企业{next(_n)}"

    def make(s: Session) -> int:
        org = registry.create_org(s, actor=OFFICE, data=OrganisationIn(
            uscc=code, name=name, kind="enterprise", industry="3911", fits_industry_positioning=True,
            bank_account=BankAccount(bank_name="北京银行通州支行", account_no="20000012345678",
                                     account_name=name)))
        for year, amount in ((2023, "0.00"), (2024, "12000000.00")):
            registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
                year=year, name="regional_contribution", value=Decimal(amount), source="区税务局"))
        registry.add_recognition(s, actor=OFFICE, org_id=org.id, person_id=None, data=RecognitionIn(
            kind="chain_leader", subtype="new", recognised_on=date(2024, 5, 1)))
        return org.id

    org_id = d.run(make)
    return org_id, name, code, Actor(f"ent-of-{org_id}", Role.APPLICANT, org_id=org_id)


def application(state: str) -> Callable[[District], Prepared]:
    """A new organisation's m01.new 2024 application in ``state``; its applicant's headers."""
    def prepare(d: District) -> Prepared:
        org_id, _, code, ent = chain_leader(d)
        app_id = d.run(lambda s: apps.start(s, actor=ent, measure="m01.new", year=2024).id)
        if state != "draft":
            d.run(lambda s: apps.submit(s, actor=ent, application_id=app_id, accept_commitment=True,
                                        signatory="张三"))
        if state in ("approved", "rejected", "awarded"):
            def approve(s: Session) -> None:
                for r in (ECON, SCI):
                    apps.review(s, actor=r, application_id=app_id, approve=True, reason=None)
            d.run(approve)
        if state in ("rejected", "awarded"):
            d.run(lambda s: apps.decide(s, actor=OFFICE, application_id=app_id, award=state == "awarded",
                                        amount_fen=1_000_000_00 if state == "awarded" else None,
                                        reasons=None if state == "awarded" else "不符合"))
        return Prepared({"application_id": str(app_id), "uscc": code}, {APP: fresh_user(d, APP, org_id)})
    return prepare


def document(state: str) -> Callable[[District], Prepared]:
    """An application in ``state`` with one supporting document (its file in the app's folder)."""
    def prepare(d: District) -> Prepared:
        org_id, _, code, ent = chain_leader(d)
        folder = d.c.app.state.files  # type: ignore[attr-defined]

        def draft(s: Session) -> tuple[int, int]:
            app = apps.start(s, actor=ent, measure="m01.new", year=2024)
            doc = documents.upload(s, actor=ent, folder=folder, application_id=app.id, label="证明",
                                   filename="a.pdf", data=PDF)
            return app.id, doc.id
        app_id, doc_id = d.run(draft)
        if state != "draft":
            d.run(lambda s: apps.submit(s, actor=ent, application_id=app_id, accept_commitment=True,
                                        signatory="张三"))
        return Prepared({"application_id": str(app_id), "document_id": str(doc_id), "uscc": code},
                        {APP: fresh_user(d, APP, org_id)})
    return prepare


def offer(d: District) -> Prepared:
    """A newly listed enterprise is offered （二十四） without application (免申即享)."""
    org_id, name, _, _ = chain_leader(d)

    def listed_and_matched(s: Session) -> int:
        org = registry.get_org(s, actor=OFFICE, org_id=org_id)
        org.listed_on = date(2024, 3, 15)
        s.flush()
        matching.run(s, actor=OFFICE, year=2024)
        found = s.scalar(select(Application.id).where(Application.org_id == org_id,
                                                      Application.origin == "offer"))
        assert found is not None
        return found

    app_id = d.run(listed_and_matched)
    return Prepared({"application_id": str(app_id), "org_name": name}, {APP: fresh_user(d, APP, org_id)})


def service_request(*steps: str) -> Callable[[District], Prepared]:
    """A request of the district's applicant, taken through ``steps`` (route, answer)."""
    def prepare(d: District) -> Prepared:
        ent = Actor("ent1", Role.APPLICANT, org_id=int(d.ids["org_id"]))

        def make(s: Session) -> int:
            req = requests.file(s, actor=ent, kind="request", subject="用电", body="增容")
            if "route" in steps:
                requests.route(s, actor=OFFICE, request_id=req.id, department=ECON.department or "")
            if "answer" in steps:
                requests.answer(s, actor=ECON, request_id=req.id, text="已协调")
            return req.id

        return Prepared({"request_id": str(d.run(make))})
    return prepare


def notice(d: District) -> Prepared:
    """A notice (站内信) to the district's applicant's organisation: only it may mark it read;
    to anyone else it is not found."""
    def make(s: Session) -> int:
        made = notices.notify(s, key=f"test:{next(_n)}", kind="test", org_id=int(d.ids["org_id"]),
                              subject=("测试", "Test"), body=("内容", "Body"))
        assert made is not None
        return made.id

    return Prepared({"notice_id": str(d.run(make))})


def pending_requests(d: District) -> Prepared:
    """For each deciding administrator, a request made by the other one."""
    def ask(by: Actor) -> str:
        return str(d.run(lambda s: duties.request(s, actor=by, role=Role.OFFICE, reason="新处室",
                                                  username=f"staff{next(_n)}").id))
    admin, security = Actor("admin1", Role.ADMIN), Actor("secadmin1", Role.SECURITY_ADMIN)
    by_admin, by_security = ask(admin), ask(security)
    return Prepared({"user_request_id": by_admin}, role_ids={ADM: {"user_request_id": by_security}})


def clerk(d: District) -> Prepared:
    """A clerk (经办人) of the district's organisation, whose standing its administrator sets."""
    name = f"clerk{next(_n)}"
    user_id = d.run(lambda s: auth.new_user(s, by="test", username=name, password=PASSWORD,
                                            role=Role.APPLICANT, display_name=name,
                                            org_id=int(d.ids["org_id"])).id)
    return Prepared({"user_id": str(user_id)})


def consent(d: District) -> Prepared:
    """A consent of the district's organisation to the service centre, to be revoked."""
    ent = Actor("ent1", Role.APPLICANT, org_id=int(d.ids["org_id"]))
    found = d.run(lambda s: consents.grant(s, actor=ent, org_id=ent.org_id or 0, officer_id=None,
                                           measures=None, until=date.today()).id)
    return Prepared({"consent_id": str(found)})


def assisted_draft(d: District) -> Prepared:
    """A new organisation that consented to the service centre, and the officer's draft for it."""
    org_id, _, _, ent = chain_leader(d)
    officer = Actor("helper1", Role.SERVICE)

    def make(s: Session) -> int:
        auth.new_user(s, by="test", username=ent.username, password=PASSWORD, role=Role.APPLICANT,
                      display_name=ent.username, org_id=org_id, must_change=False)
        consents.grant(s, actor=ent, org_id=org_id, officer_id=None, measures=None, until=date.today())
        return apps.start(s, actor=officer, measure="m01.new", year=2024, org_id=org_id).id

    return Prepared({"application_id": str(d.run(make))})


def victim(d: District) -> Prepared:
    """A user whose password, second factor or delay the security administrator resets."""
    name = f"victim{next(_n)}"
    user_id = d.run(lambda s: auth.new_user(s, by="test", username=name, password=PASSWORD,
                                            role=Role.OFFICE, display_name=name).id)
    return Prepared({"user_id": str(user_id)})


PDF = b"%PDF-1.4\n%%EOF\n"
UPLOAD = {"files": {"file": ("a.pdf", PDF, "application/pdf")}, "data": {"label": "证明"}}
CSV = {"files": {"file": ("orgs.csv", "uscc,name,kind\n91110112MA01W0001H,甲,enterprise\n", "text/csv")}}
FACT_ROWS = f"uscc,year,name,value,source\n{CHAIN_LEADER_USCC},2024,employees,10,x\n"
FACTS = {"files": {"file": ("facts.csv", FACT_ROWS, "text/csv")}}
ORG = {"uscc": CHAIN_LEADER_USCC, "name": CHAIN_LEADER_NAME, "kind": "enterprise", "industry": "3911",
       "key_enterprise": True,
       "bank_account": {"bank_name": "北京银行通州支行", "account_no": "20000012345678",
                        "account_name": CHAIN_LEADER_NAME}}


def json(body: dict[str, Any]) -> dict[str, Any]:
    return {"json": body}


POLICY: dict[tuple[str, str], Rule] = {
    ("POST", "/auth/login"): Rule(PUBLIC, body=json({"username": "office1", "password": PASSWORD})),
    # step two of a login takes the token awaiting a code: a full session is refused (test_auth)
    ("POST", "/auth/totp"): Rule(frozenset(), body=json({"code": "123456"})),
    # staff have their second factor already: setting it up again conflicts (a reset comes first)
    ("POST", "/auth/totp/enrol"): Rule(EVERYONE, ok={APP: 200} | dict.fromkeys(STAFF, 409)),
    ("POST", "/auth/totp/confirm"): Rule(EVERYONE, ok=409, body=json({"code": "123456"})),
    ("POST", "/auth/password"): Rule(EVERYONE, body=json({"current_password": PASSWORD,
                                                          "new_password": "another passphrase 2026"}),
                                     prepare=own_sessions),
    ("POST", "/auth/logout"): Rule(EVERYONE, prepare=own_sessions),
    ("GET", "/auth/me"): Rule(EVERYONE),
    ("GET", "/users"): Rule(ADMINS | {AUD}),
    ("POST", "/users"): Rule(frozenset({ADM}), ok=201, body=lambda ids: json({
        "username": f"user{next(_n)}", "display_name": "x", "password": "initial pass 2026",
        "role": "applicant", "org_id": int(ids["org_id"])})),
    ("PUT", "/users/{user_id}/active"): Rule(frozenset({ADM}), body=json({"active": True}), prepare=victim),
    ("POST", "/users/{user_id}/password-reset"): Rule(frozenset({SEC}), prepare=victim),
    ("POST", "/users/{user_id}/second-factor/reset"): Rule(frozenset({SEC}), prepare=victim),
    ("POST", "/users/{user_id}/unlock"): Rule(frozenset({SEC}), prepare=victim),
    ("GET", "/user-requests"): Rule(ADMINS),
    ("POST", "/user-requests"): Rule(frozenset({ADM, SEC}), ok=201, body=lambda _: json({
        "role": "finance", "reason": "财政局新岗位", "username": f"fin{next(_n)}"})),
    ("POST", "/user-requests/{user_request_id}/decision"): Rule(
        frozenset({ADM, SEC}), body=json({"approve": True}), prepare=pending_requests),
    ("POST", "/calculate"): Rule(PUBLIC, body=json({"year": 2024, "beneficiaries": [
        {"id": CHAIN_LEADER_USCC, "kind": "enterprise"}]})),
    ("GET", "/schema"): Rule(PUBLIC),
    ("GET", "/measures"): Rule(PUBLIC),
    ("GET", "/parameters"): Rule(PUBLIC),
    ("PUT", "/parameters/{name}"): Rule(frozenset({OFF}), body=json({
        "value": "0.1", "effective_from": "2025-01-01", "reference": "产促办〔2025〕1号"})),
    ("GET", "/organisations"): Rule(BUSINESS | {APP}),
    ("POST", "/organisations"): Rule(frozenset({OFF}), ok=201, body=lambda _: json(new_org())),
    ("GET", "/organisations/{org_id}"): Rule(BUSINESS | {APP}),
    ("PUT", "/organisations/{org_id}"): Rule(frozenset({OFF, APP}), body=json(ORG)),  # applicant: account
    ("POST", "/organisations/{org_id}/facts"): Rule(frozenset({OFF}), ok=201, body=json({
        "year": 2024, "name": "employees", "value": "120", "source": "统计局"})),
    ("POST", "/organisations/{org_id}/recognitions"): Rule(frozenset({OFF}), ok=201, body=json({
        "kind": "certification", "recognised_on": "2024-03-01"})),
    ("POST", "/organisations/{org_id}/credit"): Rule(frozenset({OFF}), ok=201, body=json({
        "list": "abnormal_operation", "listed_on": "2020-01-01", "removed_on": "2020-06-01",
        "source": "市场监管局"})),
    ("POST", "/persons"): Rule(frozenset({OFF}), ok=201, body=json({"name": "李四",
                                                                    "id_number": "110105198001010016"})),
    ("GET", "/persons/{person_id}"): Rule(BUSINESS),
    ("POST", "/persons/{person_id}/identity"): Rule(frozenset({OFF})),  # the full ID number, audited
    ("POST", "/persons/lookup"): Rule(frozenset({OFF}), body=json({"id_number": "11010519491231002X"})),
    ("GET", "/account-changes"): Rule(frozenset({APP, OFF, FIN, AUD})),
    ("POST", "/account-changes/{change_id}/decision"): Rule(frozenset({OFF}), body=json({
        "confirm": False, "reason": "开户证明不符"})),
    ("POST", "/persons/{person_id}/recognitions"): Rule(frozenset({OFF}), ok=201, body=json({
        "kind": "talent", "subtype": "A", "recognised_on": "2024-03-01"})),
    ("POST", "/imports/organisations"): Rule(frozenset({OFF}), body=CSV),
    ("POST", "/imports/facts"): Rule(frozenset({OFF}), body=FACTS),
    ("GET", "/reviews/overdue"): Rule(frozenset({OFF, AUD})),
    ("GET", "/applications"): Rule(BUSINESS | {APP}),
    # a service-centre officer starts one only for an organisation that consented (test_assist)
    ("POST", "/applications"): Rule(frozenset({APP}), ok=201, body=json({"measure": "m07.rd", "year": 2024})),
    ("POST", "/applications/{application_id}/prepare"): Rule(frozenset({SVC}), prepare=assisted_draft),
    ("GET", "/applications/{application_id}"): Rule(BUSINESS | {APP}),
    ("PUT", "/applications/{application_id}/facts"): Rule(frozenset({APP}), body=lambda ids: json({
        "year": 2024, "beneficiaries": [{"id": ids["uscc"], "kind": "enterprise"}]}),
        prepare=application("draft")),
    ("POST", "/applications/{application_id}/submit"): Rule(frozenset({APP}), body=json({
        "accept_commitment": True, "signatory": "张三"}), prepare=application("draft")),
    ("POST", "/applications/{application_id}/documents"): Rule(frozenset({APP}), ok=201, body=UPLOAD,
                                                              prepare=application("draft")),
    ("GET", "/applications/{application_id}/documents"): Rule(BUSINESS | {APP},
                                                             prepare=document("in_review")),
    ("GET", "/applications/{application_id}/documents/{document_id}"): Rule(
        BUSINESS | {APP}, prepare=document("in_review")),
    ("DELETE", "/applications/{application_id}/documents/{document_id}"): Rule(
        frozenset({APP}), ok=204, prepare=document("draft")),
    ("POST", "/applications/{application_id}/review"): Rule(frozenset({REV}), body=json({"approve": True}),
                                                           prepare=application("in_review")),
    ("POST", "/applications/{application_id}/decision"): Rule(frozenset({OFF}), body=json({
        "award": False, "reasons": "不符合"}), prepare=application("approved")),
    ("POST", "/applications/{application_id}/appeal"): Rule(
        frozenset({APP}), body=json({"reasons": "请复核"}), prepare=application("rejected")),
    ("POST", "/applications/{application_id}/withdraw"): Rule(frozenset({APP}),
                                                             prepare=application("draft")),
    ("GET", "/matches"): Rule(BUSINESS | {APP}),
    ("GET", "/matches/runs"): Rule(frozenset({OFF, AUD})),
    ("POST", "/matches/run"): Rule(frozenset({OFF}), ok=201, body=json({"year": 2024})),
    ("GET", "/offers"): Rule(BUSINESS | {APP}),  # finding 10: administrators no longer read them
    ("POST", "/offers/{application_id}/confirm"): Rule(frozenset({APP}), body=lambda ids: json({
        "willing": True, "signatory": "张三", "bank_account": {
            "bank_name": "北京银行通州支行", "account_no": "20000012345678",
            "account_name": ids["org_name"]}}),
        prepare=offer),
    ("PUT", "/budgets/{measure}/{year}"): Rule(frozenset({FIN}), body=json({"amount": "30000000.00"})),
    ("GET", "/budgets"): Rule(frozenset({OFF, FIN, AUD})),
    ("GET", "/budgets/{year}/unpaid"): Rule(frozenset({OFF, FIN, AUD})),
    ("POST", "/payments/batches"): Rule(frozenset({FIN}), ok=201, body=json({}),
                                        prepare=application("awarded")),
    ("POST", "/payments/run"): Rule(frozenset({FIN}), body=json({})),
    ("GET", "/payments"): Rule(frozenset({APP, OFF, FIN, AUD})),
    ("GET", "/requests"): Rule(frozenset({APP, REV, OFF, AUD})),
    ("POST", "/requests"): Rule(frozenset({APP}), ok=201, body=json({
        "kind": "request", "subject": "用电", "body": "增容"})),
    ("GET", "/requests/overdue"): Rule(frozenset({OFF, AUD})),
    ("GET", "/requests/{request_id}"): Rule(frozenset({APP, REV, OFF, AUD})),
    ("GET", "/requests/{request_id}/history"): Rule(frozenset({APP, REV, OFF, AUD})),
    ("POST", "/requests/{request_id}/route"): Rule(frozenset({OFF}), body=json({"department": "规划分局"}),
                                                  prepare=service_request()),
    ("POST", "/requests/{request_id}/answer"): Rule(frozenset({REV}), body=json({"answer": "已协调"}),
                                                   prepare=service_request("route")),
    ("POST", "/requests/{request_id}/reopen"): Rule(frozenset({APP}), body=json({"reason": "未解决"}),
                                                   prepare=service_request("route", "answer")),
    ("POST", "/requests/{request_id}/rate"): Rule(frozenset({APP}), body=json({"rating": 5}),
                                                 prepare=service_request("route", "answer")),
    ("POST", "/requests/{request_id}/withdraw"): Rule(frozenset({APP}), prepare=service_request()),
    ("GET", "/notices"): Rule(EVERYONE),  # each user its own (an organisation's, a person's, its own)
    ("POST", "/notices/{notice_id}/read"): Rule(
        EVERYONE, ok={APP: 200} | dict.fromkeys(set(ROLES) - {APP}, 404), prepare=notice),
    ("GET", "/service-packages"): Rule(BUSINESS | {APP}),  # finding 10: contact names and phones
    ("GET", "/organisations/{org_id}/service-package"): Rule(BUSINESS | {APP}),
    ("PUT", "/organisations/{org_id}/service-package"): Rule(frozenset({OFF}), body=json({
        "contact_name": "王敏", "contact_phone": "010-81234567", "department": "经济和信息化局",
        "services": ["用地保障"]})),
    # the organisation's people and consents: its administrator (another's: 404, test_members)
    ("GET", "/organisations/{org_id}/members"): Rule(frozenset({APP, OFF, AUD})),
    ("POST", "/organisations/{org_id}/members"): Rule(frozenset({APP}), ok=201, body=lambda _: json({
        "username": f"clerk{next(_n)}", "display_name": "经办人", "may_sign": False})),
    ("PUT", "/organisations/{org_id}/members/{user_id}"): Rule(frozenset({APP}), body=json({
        "active": True, "may_sign": True}), prepare=clerk),
    ("GET", "/organisations/{org_id}/consents"): Rule(frozenset({APP, OFF, AUD})),
    ("POST", "/organisations/{org_id}/consents"): Rule(frozenset({APP}), ok=201, body=lambda _: json({
        "officer_id": None, "measures": ["m07.rd"], "until": date.today().isoformat()})),
    ("POST", "/organisations/{org_id}/consents/{consent_id}/revoke"): Rule(frozenset({APP}),
                                                                           prepare=consent),
    ("GET", "/assist"): Rule(frozenset({SVC})),
    ("GET", "/audit"): Rule(frozenset({OFF, AUD, AAD})),
    ("GET", "/audit/verify"): Rule(frozenset({OFF, AUD, AAD})),
    ("GET", "/settings/{key}"): Rule(STAFF),
    ("PUT", "/settings/{key}"): Rule(frozenset({ADM}), body=json({"holidays": ["2025-01-01"],
                                                                  "workdays": []})),
    ("GET", "/measure-configs"): Rule(STAFF),
    ("PUT", "/measure-configs/{measure}"): Rule(frozenset({OFF}),
                                                body=json({"departments": ["经济和信息化局"]})),
}


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> District:
    """One SQLite district for the whole matrix: the chain leader with an application in review, a
    request routed to the economy department, a person, a service package, （二十四） offered
    without application; users of every role."""
    from huiqi.app.db import make_engine, sessions, upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('authz') / 'huiqi.db'}"
    upgrade(url)
    factory: sessionmaker[Session] = sessions(make_engine(url))
    world = build(factory)
    add_users(factory, world.org_id)
    with transaction(factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m01.new", year=2024)
        apps.submit(s, actor=world.applicant, application_id=app.id, accept_commitment=True,
                    signatory="张三")  # in review: the economy department's reviewer may read it
        req = requests.file(s, actor=world.applicant, kind="request", subject="用地", body="用地指标")
        requests.route(s, actor=OFFICE, request_id=req.id, department=ECON.department or "")
        person = registry.create_person(s, actor=OFFICE,
                                        data=PersonIn(name="张伟", id_number="11010519491231002X"))
        registry.get_org(s, actor=OFFICE, org_id=world.org_id).key_enterprise = True
        requests.put_package(s, actor=OFFICE, org_id=world.org_id, data=ServicePackageIn(
            contact_name="王敏", contact_phone="010-81234567", department="经济和信息化局",
            services=["用地保障"]))
        settings.configure_measure(s, actor=OFFICE, measure="m24", departments=[ECON.department or ""],
                                   review_days=10, no_application=True, offer_days=15)
        budget.set_budget(s, actor=FINANCE, measure="m24", year=2024, amount_fen=100_000_000_00)
        change = accounts.request(s, actor=world.applicant, holder=registry.get_org(
            s, actor=OFFICE, org_id=world.org_id), account=BankAccount(
            bank_name="中国银行", account_no="60000012345678", account_name=CHAIN_LEADER_NAME))
        assert change is not None
        ids = {"change_id": str(change.id), "org_id": str(world.org_id),
               "application_id": str(app.id), "request_id": str(req.id),
               "person_id": str(person.id), "user_id": "1", "name": "m07.rd.rate", "key": "calendar",
               "measure": "m01.new", "year": "2024"}
    c = client(url)
    TOKENS.update({role: login(c, name) for role, name in USERS.items()})
    return District(c, factory, ids)


def test_every_route_of_the_api_has_an_access_rule(district: District) -> None:
    routes = {(m.upper(), p) for p, ops in district.c.app.openapi()["paths"].items()  # type: ignore[attr-defined]
              for m in ops}
    assert routes == set(POLICY)


def call(d: District, method: str, path: str, body: Body, headers: dict[str, str],
         ids: dict[str, str]) -> int:
    kwargs = body(ids) if callable(body) else dict(body or {})
    return int(d.c.request(method, path.format(**ids), headers=headers, **kwargs).status_code)


@pytest.mark.parametrize(("method", "path"), sorted(POLICY))
def test_each_role_is_allowed_or_refused_as_the_policy_says(district: District, method: str,
                                                            path: str) -> None:
    rule = POLICY[method, path]
    prepared = rule.prepare(district) if rule.prepare else Prepared()
    ids = district.ids | prepared.ids
    outcome = {}
    for role in ROLES:
        headers = prepared.headers.get(role, TOKENS[role])
        own_ids = ids | prepared.role_ids.get(role, {})
        outcome[role] = call(district, method, path, rule.body, headers, own_ids)
    outcome["anonymous"] = call(district, method, path, rule.body, {}, ids)
    ok = rule.ok if isinstance(rule.ok, dict) else dict.fromkeys(rule.roles, rule.ok)
    expected = {role: ok[role] if role in rule.roles else 403 for role in ROLES}
    expected["anonymous"] = ok[APP] if rule.who == PUBLIC else 401
    assert outcome == expected


def test_an_applicant_is_refused_another_organisations_records(district: District) -> None:
    c = district.c
    other = c.post("/organisations", json=new_org(), headers=TOKENS[OFF]).json()["id"]
    ent = TOKENS[APP]
    assert c.get(f"/organisations/{other}", headers=ent).status_code == 403
    assert c.get(f"/organisations/{other}/service-package", headers=ent).status_code == 403
    assert c.get(f"/matches?org_id={other}", headers=ent).status_code == 403


def test_the_auditors_change_nothing_anywhere() -> None:
    # their own account, and their own inbox (站内信 marked read): no business record changes
    own = {("POST", "/auth/logout"), ("POST", "/auth/password"), ("POST", "/auth/totp/enrol"),
           ("POST", "/auth/totp/confirm"), ("POST", "/notices/{notice_id}/read")}
    writes = [k for k, rule in POLICY.items() if k[0] != "GET" and rule.who != PUBLIC and k not in own]
    assert all(AUD not in POLICY[k].roles and AAD not in POLICY[k].roles for k in writes)


def test_the_administrators_decide_nothing_and_read_no_business_records() -> None:
    decisions = [("POST", "/applications/{application_id}/decision"), ("POST", "/payments/run"),
                 ("POST", "/payments/batches"), ("PUT", "/budgets/{measure}/{year}"),
                 ("PUT", "/parameters/{name}")]
    assert all(not ADMINS & POLICY[k].roles for k in decisions)
    business = [k for k in POLICY if k[0] == "GET" and k[1].split("/")[1] in (
        "applications", "offers", "service-packages", "organisations", "persons", "matches",
        "requests", "payments", "budgets")]
    assert len(business) == 21 and all(not ADMINS & POLICY[k].roles for k in business)


def test_user_management_is_split_between_the_three_administrators() -> None:
    assert POLICY["POST", "/users"].roles == {ADM}
    assert POLICY["POST", "/users/{user_id}/password-reset"].roles == {SEC}
    assert POLICY["POST", "/users/{user_id}/second-factor/reset"].roles == {SEC}
    assert POLICY["GET", "/audit/verify"].roles == {OFF, AUD, AAD}
