"""Every route × every role: who is allowed, who is refused (403, or 401 without a token).

The table below is the platform's access policy in one place. A route missing from it fails the
test, so a new route cannot slip in without a decision about who may use it. Requests carry valid
bodies, so a refusal is the role check and not payload validation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.db import transaction
from huiqi.app.registry import accounts
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import BankAccount, PersonIn
from huiqi.app.requests import service as requests
from tests.app.http import PASSWORD, add_users, client, login
from tests.app.world import CHAIN_LEADER_NAME, CHAIN_LEADER_USCC, ECON, OFFICE, build

APP, REV, OFF, FIN, AUD, ADM = "applicant", "reviewer", "office", "finance", "auditor", "admin"
ROLES = (APP, REV, OFF, FIN, AUD, ADM)
USERS = {APP: "ent1", REV: "econ1", OFF: "office1", FIN: "finance1", AUD: "auditor1", ADM: "admin1"}
EVERYONE = frozenset(ROLES)
STAFF = frozenset({REV, OFF, FIN, AUD, ADM})
PUBLIC = "public"  # no token needed
TOKENS: dict[str, dict[str, str]] = {}
_n = itertools.count()

ORG = {"uscc": CHAIN_LEADER_USCC, "name": CHAIN_LEADER_NAME, "kind": "enterprise", "industry": "3911",
       "bank_account": {"bank_name": "北京银行通州支行", "account_no": "20000012345678",
                        "account_name": CHAIN_LEADER_NAME}}
ACCOUNT = ORG["bank_account"]


def new_org() -> dict[str, Any]:
    from stdnum.cn import uscc

    base = f"91110112MA01Y{next(_n):04d}"
    return {"uscc": base + uscc.calc_check_digit(base), "name": "新注册企业", "kind": "enterprise"}


def new_user() -> dict[str, Any]:
    return {"username": f"user{next(_n)}", "display_name": "x", "password": PASSWORD, "role": "office"}


CSV = {"files": {"file": ("orgs.csv", "uscc,name,kind\n91110112MA01D0001ADM,甲,enterprise\n", "text/csv")}}
FACT_ROWS = f"uscc,year,name,value,source\n{CHAIN_LEADER_USCC},2024,employees,10,x\n"
FACTS = {"files": {"file": ("facts.csv", FACT_ROWS, "text/csv")}}

# (method, path): (who may, body or a function making one); paths use the ids made in `setup`
Body = dict[str, Any] | Callable[[], dict[str, Any]] | None
POLICY: dict[tuple[str, str], tuple[frozenset[str] | str, Body]] = {
    ("POST", "/auth/login"): (PUBLIC, {"json": {"username": "office1", "password": PASSWORD}}),
    ("POST", "/auth/logout"): (EVERYONE, None),
    ("GET", "/auth/me"): (EVERYONE, None),
    ("GET", "/users"): (frozenset({ADM, AUD}), None),
    ("POST", "/users"): (frozenset({ADM}), lambda: {"json": new_user()}),
    ("PUT", "/users/{user_id}/active"): (frozenset({ADM}), {"json": {"active": True}}),
    ("POST", "/calculate"): (PUBLIC, {"json": {"year": 2024, "beneficiaries": [
        {"id": CHAIN_LEADER_USCC, "kind": "enterprise"}]}}),
    ("GET", "/schema"): (PUBLIC, None),
    ("GET", "/measures"): (PUBLIC, None),
    ("GET", "/parameters"): (PUBLIC, None),
    ("PUT", "/parameters/{name}"): (frozenset({OFF}), {"json": {
        "value": "0.1", "effective_from": "2025-01-01", "reference": "产促办〔2025〕1号"}}),
    ("GET", "/organisations"): (EVERYONE, None),
    ("POST", "/organisations"): (frozenset({OFF}), lambda: {"json": new_org()}),
    ("GET", "/organisations/{org_id}"): (EVERYONE, None),
    ("PUT", "/organisations/{org_id}"): (frozenset({OFF, APP}), {"json": ORG}),  # applicant: bank account
    ("POST", "/organisations/{org_id}/facts"): (frozenset({OFF}), {"json": {
        "year": 2024, "name": "employees", "value": "120", "source": "统计局"}}),
    ("POST", "/organisations/{org_id}/recognitions"): (frozenset({OFF}), {"json": {
        "kind": "certification", "recognised_on": "2024-03-01"}}),
    ("POST", "/organisations/{org_id}/credit"): (frozenset({OFF}), {"json": {
        "list": "abnormal_operation", "listed_on": "2020-01-01", "removed_on": "2020-06-01",
        "source": "市场监管局"}}),
    ("POST", "/persons"): (frozenset({OFF}), {"json": {"name": "李四", "id_number": "110105198001010016"}}),
    ("GET", "/persons/{person_id}"): (STAFF, None),
    ("POST", "/persons/{person_id}/identity"): (frozenset({OFF}), None),  # the full ID number, audited
    ("POST", "/persons/lookup"): (frozenset({OFF}), {"json": {"id_number": "11010519491231002X"}}),
    ("GET", "/account-changes"): (frozenset({APP, OFF, FIN, AUD}), None),
    ("POST", "/account-changes/{change_id}/decision"): (frozenset({OFF}), {"json": {
        "confirm": False, "reason": "开户证明不符"}}),
    ("POST", "/persons/{person_id}/recognitions"): (frozenset({OFF}), {"json": {
        "kind": "talent", "subtype": "A", "recognised_on": "2024-03-01"}}),
    ("POST", "/imports/organisations"): (frozenset({OFF}), CSV),
    ("POST", "/imports/facts"): (frozenset({OFF}), FACTS),
    ("GET", "/reviews/overdue"): (frozenset({OFF, AUD}), None),
    ("GET", "/applications"): (EVERYONE - {ADM}, None),
    ("POST", "/applications"): (frozenset({APP}), {"json": {"measure": "m07.rd", "year": 2024}}),
    ("GET", "/applications/{application_id}"): (EVERYONE - {ADM}, None),
    ("PUT", "/applications/{application_id}/facts"): (frozenset({APP}), {"json": {
        "year": 2024, "beneficiaries": [{"id": CHAIN_LEADER_USCC, "kind": "enterprise"}]}}),
    ("POST", "/applications/{application_id}/submit"): (frozenset({APP}), {"json": {
        "accept_commitment": True, "signatory": "张三"}}),
    ("POST", "/applications/{application_id}/review"): (frozenset({REV}), {"json": {"approve": True}}),
    ("POST", "/applications/{application_id}/decision"): (frozenset({OFF}), {"json": {
        "award": False, "reasons": "不符合"}}),
    ("POST", "/applications/{application_id}/appeal"): (frozenset({APP}), {"json": {"reasons": "请复核"}}),
    ("POST", "/applications/{application_id}/withdraw"): (frozenset({APP}), None),
    ("GET", "/matches"): (EVERYONE - {ADM}, None),
    ("GET", "/matches/runs"): (frozenset({OFF, AUD}), None),
    ("POST", "/matches/run"): (frozenset({OFF}), {"json": {"year": 2024}}),
    ("GET", "/offers"): (EVERYONE, None),
    ("POST", "/offers/{application_id}/confirm"): (frozenset({APP}), {"json": {
        "willing": True, "bank_account": ACCOUNT, "signatory": "张三"}}),
    ("PUT", "/budgets/{measure}/{year}"): (frozenset({FIN}), {"json": {"amount": "30000000.00"}}),
    ("GET", "/budgets"): (frozenset({OFF, FIN, AUD}), None),
    ("GET", "/budgets/{year}/unpaid"): (frozenset({OFF, FIN, AUD}), None),
    ("POST", "/payments/batches"): (frozenset({FIN}), {"json": {}}),
    ("POST", "/payments/run"): (frozenset({FIN}), {"json": {}}),
    ("GET", "/payments"): (frozenset({APP, OFF, FIN, AUD}), None),
    ("GET", "/requests"): (frozenset({APP, REV, OFF, AUD}), None),
    ("POST", "/requests"): (frozenset({APP}), {"json": {
        "kind": "request", "subject": "用电", "body": "增容"}}),
    ("GET", "/requests/overdue"): (frozenset({OFF, AUD}), None),
    ("GET", "/requests/{request_id}"): (frozenset({APP, REV, OFF, AUD}), None),
    ("GET", "/requests/{request_id}/history"): (frozenset({APP, REV, OFF, AUD}), None),
    ("POST", "/requests/{request_id}/route"): (frozenset({OFF}), {"json": {"department": "规划分局"}}),
    ("POST", "/requests/{request_id}/answer"): (frozenset({REV}), {"json": {"answer": "已协调"}}),
    ("POST", "/requests/{request_id}/reopen"): (frozenset({APP}), {"json": {"reason": "未解决"}}),
    ("POST", "/requests/{request_id}/rate"): (frozenset({APP}), {"json": {"rating": 5}}),
    ("POST", "/requests/{request_id}/withdraw"): (frozenset({APP}), None),
    ("GET", "/service-packages"): (EVERYONE, None),
    ("GET", "/organisations/{org_id}/service-package"): (EVERYONE, None),
    ("PUT", "/organisations/{org_id}/service-package"): (frozenset({OFF}), {"json": {
        "contact_name": "王敏", "contact_phone": "010-81234567", "department": "经济和信息化局",
        "services": ["用地保障"]}}),
    ("GET", "/audit"): (frozenset({OFF, AUD}), None),
    ("GET", "/audit/verify"): (frozenset({OFF, AUD}), None),
    ("GET", "/settings/{key}"): (STAFF, None),
    ("PUT", "/settings/{key}"): (frozenset({ADM}), {"json": {"holidays": ["2025-01-01"], "workdays": []}}),
    ("GET", "/measure-configs"): (STAFF, None),
    ("PUT", "/measure-configs/{measure}"): (frozenset({OFF}), {"json": {"departments": ["经济和信息化局"]}}),
}


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[TestClient, dict[str, str]]:
    """One SQLite district for the whole matrix: the chain leader with an application, a request
    routed to the economy department, a person; users of every role."""
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
    return c, ids


def test_every_route_of_the_api_has_an_access_rule(district: tuple[TestClient, dict[str, str]]) -> None:
    c, _ = district
    routes = {(m.upper(), p) for p, ops in c.app.openapi()["paths"].items() for m in ops}  # type: ignore[attr-defined]
    assert routes == set(POLICY)


def call(c: TestClient, ids: dict[str, str], method: str, path: str, body: Body,
         headers: dict[str, str]) -> int:
    kwargs = body() if callable(body) else dict(body or {})
    return c.request(method, path.format(**ids), headers=headers, **kwargs).status_code


@pytest.mark.parametrize(("method", "path"), sorted(POLICY))
def test_each_role_is_allowed_or_refused_as_the_policy_says(
        district: tuple[TestClient, dict[str, str]], method: str, path: str) -> None:
    c, ids = district
    allowed, body = POLICY[method, path]
    outcome = {}
    for role in ROLES:
        # logging out revokes the token: that route gets a fresh one
        headers = login(c, USERS[role]) if path == "/auth/logout" else TOKENS[role]
        outcome[role] = call(c, ids, method, path, body, headers)
    outcome["anonymous"] = call(c, ids, method, path, body, {})
    expected_refusals = {r: 403 for r in ROLES if allowed != PUBLIC and r not in allowed}
    if allowed != PUBLIC:
        expected_refusals["anonymous"] = 401
    refused = {r: s for r, s in outcome.items() if s in (401, 403)}
    assert refused == expected_refusals, outcome
    assert all(s < 500 for s in outcome.values()), outcome


def test_an_applicant_is_refused_another_organisations_records(
        district: tuple[TestClient, dict[str, str]]) -> None:
    c, _ = district
    other = c.post("/organisations", json=new_org(), headers=TOKENS[OFF]).json()["id"]
    ent = TOKENS[APP]
    assert c.get(f"/organisations/{other}", headers=ent).status_code == 403
    assert c.get(f"/organisations/{other}/service-package", headers=ent).status_code == 403
    assert c.get(f"/matches?org_id={other}", headers=ent).status_code == 403


def test_the_auditor_changes_nothing_anywhere() -> None:
    writes = [k for k, (allowed, _) in POLICY.items() if k[0] != "GET" and allowed not in (PUBLIC,)]
    assert all(AUD not in POLICY[k][0] for k in writes if k != ("POST", "/auth/logout"))


def test_the_administrator_decides_nothing() -> None:
    decisions = [("POST", "/applications/{application_id}/decision"), ("POST", "/payments/run"),
                 ("POST", "/payments/batches"), ("PUT", "/budgets/{measure}/{year}"),
                 ("PUT", "/parameters/{name}")]
    assert all(ADM not in POLICY[k][0] for k in decisions)
