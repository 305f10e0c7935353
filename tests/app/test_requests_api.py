"""Requests (诉求直通) and service packages (服务包) over HTTP, on both databases."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.app.http import add_users, client, login
from tests.app.world import CHAIN_LEADER_NAME, CHAIN_LEADER_USCC, ECON, World, build, org_in

REQUEST = {"kind": "complaint", "subject": "园区道路施工影响货车出入",
           "body": "施工封路未提前告知，影响我司正常发货，请协调。"}
PACKAGE = {"contact_name": "李明", "contact_phone": "010-81234567", "department": "经济和信息化局",
           "services": ["用地保障", "人才公寓"]}


def district(db_url: str, factory: sessionmaker[Session]) -> tuple[World, TestClient]:
    world = build(factory)
    add_users(factory, world.org_id)
    return world, client(db_url)


def filed(c: TestClient) -> int:
    r = c.post("/requests", json=REQUEST, headers=login(c, "ent1"))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_a_complaint_goes_from_filing_to_a_rating_that_closes_it(db_url: str,
                                                                 factory: sessionmaker[Session]) -> None:
    _, c = district(db_url, factory)
    req_id, ent = filed(c), login(c, "ent1")
    r = c.post(f"/requests/{req_id}/route", json={"department": ECON.department},
               headers=login(c, "office1"))
    assert (r.status_code, r.json()["state"], r.json()["next"]) == (200, "routed",
                                                                    ["route", "answer", "withdraw"])
    r = c.post(f"/requests/{req_id}/answer", json={"answer": "已协调施工单位错峰作业。"},
               headers=login(c, "econ1"))
    assert (r.status_code, r.json()["state"], r.json()["elapsed_working_days"]) == (200, "answered", 0)
    r = c.post(f"/requests/{req_id}/rate", json={"rating": 5}, headers=ent)
    assert (r.status_code, r.json()["state"], r.json()["rating"]) == (200, "closed", 5)
    assert c.get(f"/requests/{req_id}", headers=ent).json()["state"] == "closed"


def test_the_requester_reads_the_history_with_the_reopening_reason(db_url: str,
                                                                   factory: sessionmaker[Session]) -> None:
    _, c = district(db_url, factory)
    req_id, ent = filed(c), login(c, "ent1")
    c.post(f"/requests/{req_id}/route", json={"department": ECON.department}, headers=login(c, "office1"))
    c.post(f"/requests/{req_id}/answer", json={"answer": "已转交。"}, headers=login(c, "econ1"))
    r = c.post(f"/requests/{req_id}/reopen", json={"reason": "仍未解决"}, headers=ent)
    assert (r.json()["state"], r.json()["reopened"]) == ("routed", 1)
    trail = c.get(f"/requests/{req_id}/history", headers=ent).json()
    assert trail[-1]["action"] == "request.reopen" and trail[-1]["after"]["reason"] == "仍未解决"


def test_a_payload_with_an_unknown_field_is_refused_naming_the_field(db_url: str,
                                                                     factory: sessionmaker[Session]) -> None:
    _, c = district(db_url, factory)
    r = c.post("/requests", json={**REQUEST, "priority": "urgent"}, headers=login(c, "ent1"))
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["errors"]] == [["body", "priority"]]


def test_a_request_of_an_unknown_kind_is_refused_naming_the_field(db_url: str,
                                                                  factory: sessionmaker[Session]) -> None:
    _, c = district(db_url, factory)
    r = c.post("/requests", json={**REQUEST, "kind": "praise"}, headers=login(c, "ent1"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "kind"]


def test_the_administrator_is_refused_the_requests(db_url: str, factory: sessionmaker[Session]) -> None:
    _, c = district(db_url, factory)
    filed(c)
    r = c.get("/requests", headers=login(c, "admin1"))
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")


def test_the_auditor_cannot_route_a_request(db_url: str, factory: sessionmaker[Session]) -> None:
    _, c = district(db_url, factory)
    req_id = filed(c)
    r = c.post(f"/requests/{req_id}/route", json={"department": ECON.department},
               headers=login(c, "auditor1"))
    assert r.status_code == 403


def test_the_overdue_report_is_its_own_path_and_not_a_request_id(db_url: str,
                                                                  factory: sessionmaker[Session]) -> None:
    _, c = district(db_url, factory)
    req_id = filed(c)
    c.post(f"/requests/{req_id}/route", json={"department": ECON.department}, headers=login(c, "office1"))
    r = c.get("/requests/overdue", params={"on": "2100-01-04"}, headers=login(c, "auditor1"))
    assert r.status_code == 200, r.text
    assert [(x["id"], x["overdue"]) for x in r.json()] == [(req_id, True)]
    assert r.json()[0]["working_days_late"] > 0


def test_a_service_package_for_an_organisation_not_a_key_enterprise_is_refused(
        db_url: str, factory: sessionmaker[Session]) -> None:
    world, c = district(db_url, factory)
    r = c.put(f"/organisations/{world.org_id}/service-package", json=PACKAGE, headers=login(c, "office1"))
    assert (r.status_code, r.json()["code"]) == (422, "refused")
    assert r.json()["detail"].startswith("key_enterprise:")


def test_a_key_enterprise_reads_its_service_package(db_url: str, factory: sessionmaker[Session]) -> None:
    world, c = district(db_url, factory)
    office = login(c, "office1")
    org = org_in(CHAIN_LEADER_USCC, CHAIN_LEADER_NAME).model_copy(update={"key_enterprise": True})
    assert c.put(f"/organisations/{world.org_id}", json=org.model_dump(mode="json"),
                 headers=office).status_code == 200
    r = c.put(f"/organisations/{world.org_id}/service-package", json=PACKAGE, headers=office)
    assert r.status_code == 200, r.text
    r = c.get(f"/organisations/{world.org_id}/service-package", headers=login(c, "ent1"))
    assert (r.json()["contact_name"], r.json()["services"]) == ("李明", ["用地保障", "人才公寓"])
    assert [p["org_id"] for p in c.get("/service-packages", headers=office).json()] == [world.org_id]
