"""Matching and offers over HTTP, on both databases.

The world's chain leader: m01.new up to 70% × 12,000,000.00 = 8,400,000.00 in 2024 (（一）).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.db import transaction
from huiqi.app.matching import service as matching
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import FactIn, RecognitionIn
from huiqi.app.settings import service as settings
from tests.app.http import add_users, client, login
from tests.app.world import CHAIN_LEADER_NAME, OFFICE, World, build, org_in

ACCOUNT = {"bank_name": "中国工商银行通州支行", "account_no": "62220000111122223333",
           "account_name": CHAIN_LEADER_NAME}


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    w = build(factory)
    add_users(factory, w.org_id)
    return w


@pytest.fixture
def c(db_url: str, world: World) -> TestClient:
    return client(db_url)


def granted_without_application(world: World) -> None:
    with transaction(world.factory) as s:
        settings.configure_measure(s, actor=OFFICE, measure="m01.new", departments=["经济和信息化局"],
                                   review_days=5, no_application=True, offer_days=5)


def offer_id(c: TestClient) -> int:
    (offer,) = c.get("/offers", headers=login(c, "ent1")).json()
    return int(offer["id"])


def test_the_office_runs_matching_and_gets_each_measures_summary(c: TestClient) -> None:
    r = c.post("/matches/run", json={"year": 2024}, headers=login(c, "office1"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["year"], body["organisations"], body["offers"]) == (2024, 1, 0)
    m01 = next(x for x in body["measures"] if x["measure"] == "m01.new")
    assert m01 == {"measure": "m01.new", "matches": 1, "eligible": 1, "incomplete": 0,
                   "ceiling": "8400000.00", "offers": 0}


def test_a_run_request_with_an_unknown_field_is_refused(c: TestClient) -> None:
    r = c.post("/matches/run", json={"year": 2024, "measures": ["m01.new"]},
               headers=login(c, "office1"))
    assert r.status_code == 422


def test_an_applicant_may_not_start_a_run(c: TestClient) -> None:
    r = c.post("/matches/run", json={"year": 2024}, headers=login(c, "ent1"))
    assert r.status_code == 403


def test_an_applicant_sees_its_own_matches_with_the_ceiling_as_a_decimal_string(
        c: TestClient, world: World) -> None:
    with transaction(world.factory) as s:
        other = registry.create_org(s, actor=OFFICE, data=org_in("91110112MA01B2002F", "引进企业有限公司"))
        registry.set_fact(s, actor=OFFICE, org_id=other.id, data=FactIn(
            year=2024, name="regional_contribution", value=Decimal("6000000.00"), source="区税务局"))
        registry.add_recognition(s, actor=OFFICE, org_id=other.id, person_id=None, data=RecognitionIn(
            kind="chain_leader", subtype="new", recognised_on=date(2024, 3, 1)))
    c.post("/matches/run", json={"year": 2024}, headers=login(c, "office1"))
    mine = c.get("/matches", headers=login(c, "ent1")).json()
    assert {m["org_id"] for m in mine} == {world.org_id}
    m01 = next(m for m in mine if m["measure"] == "m01.new")
    assert (m01["status"], m01["ceiling"], m01["clause"]) == ("eligible", "8400000.00", "（一）")
    everyone = c.get("/matches", params={"measure": "m01.new"}, headers=login(c, "office1")).json()
    assert {m["org_id"]: m["ceiling"] for m in everyone} == {world.org_id: "8400000.00",
                                                            other.id: "4200000.00"}


def test_a_match_is_explained_in_full_when_asked(c: TestClient) -> None:
    c.post("/matches/run", json={"year": 2024}, headers=login(c, "office1"))
    (m,) = c.get("/matches", params={"measure": "m01.new", "explain": "true"},
                 headers=login(c, "ent1")).json()
    assert (m["clause"], m["title_zh"], m["ceiling"]) == ("（一）", m["explanation"]["title_zh"],
                                                          "8400000.00")
    e = m["explanation"]
    # （一）: 70% × the 2024 regional contribution of 12,000,000.00 = 8,400,000.00
    assert (e["measure"], e["status"], e["ceiling"]) == ("m01.new", "eligible", "8400000.00")
    assert e["beneficiary"] == "91110112MA01E00015" and e["reason_zh"] == m["reason_zh"]
    assert "12,000,000.00" in e["basis"] and "8,400,000.00" in e["basis"]
    assert all(cond["holds"] for cond in e["conditions"])
    (plain,) = c.get("/matches", params={"measure": "m01.new"}, headers=login(c, "ent1")).json()
    assert "explanation" not in plain


def test_staff_filter_the_matches_by_status(c: TestClient) -> None:
    c.post("/matches/run", json={"year": 2024}, headers=login(c, "office1"))
    r = c.get("/matches", params={"status": "incomplete"}, headers=login(c, "auditor1"))
    assert r.status_code == 200
    rd = next(m for m in r.json() if m["measure"] == "m07.rd")
    assert (rd["ceiling"], rd["missing"]) == (None, ["rd_investment.2024"])
    assert {m["status"] for m in r.json()} == {"incomplete"}


def test_runs_are_listed_for_auditors_but_not_for_applicants(c: TestClient) -> None:
    c.post("/matches/run", json={"year": 2024}, headers=login(c, "office1"))
    c.post("/matches/run", json={"year": 2024}, headers=login(c, "office1"))
    listed = c.get("/matches/runs", headers=login(c, "auditor1"))
    assert listed.status_code == 200
    _, second = sorted(r["id"] for r in listed.json())
    assert {m["run"] for m in c.get("/matches", headers=login(c, "auditor1")).json()} == {second}
    assert c.get("/matches/runs", headers=login(c, "ent1")).status_code == 403


def test_an_applicant_confirms_its_offer_and_it_awaits_the_decision(c: TestClient, world: World) -> None:
    granted_without_application(world)
    c.post("/matches/run", json={"year": 2024}, headers=login(c, "office1"))
    app_id = offer_id(c)
    r = c.post(f"/offers/{app_id}/confirm", headers=login(c, "ent1"),
               json={"willing": True, "bank_account": ACCOUNT, "signatory": "张三"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["ceiling"], r.json()["origin"]) == (
        "approved", "8400000.00", "offer")
    assert "award" in r.json()["next"]


def test_confirming_into_an_account_in_another_name_answers_422_naming_it(
        c: TestClient, world: World) -> None:
    granted_without_application(world)
    c.post("/matches/run", json={"year": 2024}, headers=login(c, "office1"))
    r = c.post(f"/offers/{offer_id(c)}/confirm", headers=login(c, "ent1"),
               json={"willing": True, "bank_account": {**ACCOUNT, "account_name": "张三"},
                     "signatory": "张三"})
    assert r.status_code == 422
    assert "account_name" in r.json()["detail"]


def test_confirming_a_lapsed_offer_answers_422_and_the_offer_stays_lapsed(
        c: TestClient, world: World) -> None:
    granted_without_application(world)
    with transaction(world.factory) as s:  # offered in March 2025, long before today
        matching.run(s, actor=OFFICE, year=2024, now=datetime(2025, 3, 7, 9, 0, tzinfo=UTC))
    app_id = offer_id(c)
    r = c.post(f"/offers/{app_id}/confirm", headers=login(c, "ent1"),
               json={"willing": True, "bank_account": ACCOUNT, "signatory": "张三"})
    assert r.status_code == 422
    assert "offer lapsed" in r.json()["detail"] and "2025-03-14" in r.json()["detail"]
    (offer,) = c.get("/offers", headers=login(c, "ent1")).json()
    assert offer["state"] == "lapsed"
