"""帮办: with the enterprise's recorded consent, a service-centre officer prepares an application
for it and never submits; the enterprise confirms (signs) and submits. Every step names who acted,
and for whom. Without a live consent (none, another measure, another officer, revoked, expired)
the officer is refused."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.audit.models import AuditEntry
from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Role
from huiqi.app.db import transaction
from huiqi.app.members.models import Consent
from tests.app.http import PASSWORD, TOTP_SECRET, add_users, client, login
from tests.app.world import World, build

START = {"measure": "m01.new", "year": 2024}


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    w = build(factory)
    add_users(factory, w.org_id)
    return w


def consent(c: TestClient, ent: dict[str, str], org_id: int, **body: Any) -> dict[str, Any]:
    r = c.post(f"/organisations/{org_id}/consents", headers=ent,
               json={"officer_id": None, "measures": None,
                     "until": (date.today() + timedelta(days=30)).isoformat()} | body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_the_officer_prepares_and_the_enterprise_confirms(db_url: str, world: World) -> None:
    c = client(db_url)
    ent, officer = login(c, "ent1"), login(c, "helper1")
    given = consent(c, ent, world.org_id)
    assert [e["name"] for e in c.get("/assist", headers=officer).json()] == ["通州智造科技有限公司"]
    r = c.post("/applications", headers=officer, json=START | {"org_id": world.org_id})
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    facts = r.json()["facts"]
    assert c.put(f"/applications/{app_id}/facts", headers=officer, json=facts).status_code == 200
    # the officer never submits: not with a commitment, not by any other route
    submitted = c.post(f"/applications/{app_id}/submit", headers=officer,
                       json={"accept_commitment": True, "signatory": "帮办"})
    assert submitted.status_code == 403
    assert c.post(f"/applications/{app_id}/withdraw", headers=officer).status_code == 403
    r = c.post(f"/applications/{app_id}/prepare", headers=officer)
    assert r.status_code == 200 and r.json()["state"] == "prepared"
    assert r.json()["next"] == ["submit", "withdraw"]
    # ready: the officer changes nothing more
    assert c.put(f"/applications/{app_id}/facts", headers=officer, json=facts).status_code == 409
    # the enterprise sees it awaiting its confirmation, and confirms it by signing
    mine = c.get("/applications?state=prepared", headers=ent).json()
    assert [a["id"] for a in mine] == [app_id]
    r = c.post(f"/applications/{app_id}/submit", headers=ent,
               json={"accept_commitment": True, "signatory": "张总"})
    assert r.status_code == 200, r.text
    # 70% × 12,000,000.00 = 8,400,000.00 (a new chain leader's regional contribution)
    assert (r.json()["state"], r.json()["ceiling"]) == ("in_review", "8400000.00")
    assert (r.json()["commitment"]["prepared_by"], r.json()["commitment"]["signed_by"]) == (
        "helper1", "ent1")
    steps = c.get(f"/applications/{app_id}", headers=ent).json()["steps"]
    assert [(s["action"], s["actor"], s["on_behalf_of"]) for s in steps] == [
        ("create", "helper1", world.org_id), ("prepare", "helper1", world.org_id),
        ("submit", "ent1", None)]
    with world.factory() as s:
        audit = [(e.actor, e.action, (e.after or {}).get("on_behalf_of")) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "application",
                                     AuditEntry.entity_id == str(app_id)).order_by(AuditEntry.id))]
    assert audit == [("helper1", "application.create", world.org_id),
                     ("helper1", "application.facts", world.org_id),
                     ("helper1", "application.prepare", world.org_id),
                     ("ent1", "application.submit", None)]
    assert given["granted_by"] == "ent1"


def test_without_consent_the_officer_is_refused(db_url: str, world: World) -> None:
    c = client(db_url)
    ent, officer = login(c, "ent1"), login(c, "helper1")
    assert c.get("/assist", headers=officer).json() == []
    assert c.post("/applications", headers=officer, json=START | {"org_id": world.org_id}).status_code == 403
    assert c.post("/applications", headers=officer, json=START).status_code == 403  # no org named
    # an application the enterprise opened itself is not the officer's to read
    own = c.post("/applications", headers=ent, json=START).json()["id"]
    assert c.get(f"/applications/{own}", headers=officer).status_code == 403
    # a consent for another measure, or for another officer, does not cover it
    consent(c, ent, world.org_id, measures=["m07.rd"])
    with transaction(world.factory) as s:
        other = auth.new_user(s, by="test", username="helper2", password=PASSWORD, role=Role.SERVICE,
                              display_name="helper2", must_change=False, totp_secret=TOTP_SECRET).id
    consent(c, ent, world.org_id, officer_id=other)
    assert c.get(f"/applications/{own}", headers=officer).status_code == 403
    r = c.post("/applications", headers=officer, json={"measure": "m01.new", "year": 2025,
                                                        "org_id": world.org_id})
    assert r.status_code == 403 and "无有效授权" in r.json()["detail"]
    assert c.get(f"/applications/{own}", headers=login(c, "helper2")).status_code == 200


def test_a_revoked_or_expired_consent_refuses_the_officer(db_url: str, world: World) -> None:
    c = client(db_url)
    ent, officer = login(c, "ent1"), login(c, "helper1")
    given = consent(c, ent, world.org_id)
    app_id = c.post("/applications", headers=officer, json=START | {"org_id": world.org_id}).json()["id"]
    r = c.post(f"/organisations/{world.org_id}/consents/{given['id']}/revoke", headers=ent)
    assert r.status_code == 200 and r.json()["revoked_by"] == "ent1"
    assert c.post(f"/organisations/{world.org_id}/consents/{given['id']}/revoke",
                  headers=ent).status_code == 409
    assert c.get(f"/applications/{app_id}", headers=officer).status_code == 403
    assert c.post(f"/applications/{app_id}/prepare", headers=officer).status_code == 403
    # a new consent that has since run out (its last day was yesterday)
    again = consent(c, ent, world.org_id)
    assert c.get(f"/applications/{app_id}", headers=officer).status_code == 200
    with transaction(world.factory) as s:
        s.execute(update(Consent).where(Consent.id == again["id"])
                  .values(until=date.today() - timedelta(days=1)))
    assert c.get(f"/applications/{app_id}", headers=officer).status_code == 403
    assert c.get("/assist", headers=officer).json() == []


def test_a_consent_names_the_field_it_refuses(db_url: str, world: World) -> None:
    c = client(db_url)
    ent = login(c, "ent1")
    base = f"/organisations/{world.org_id}/consents"
    today = date.today()
    cases = [({"until": (today - timedelta(days=1)).isoformat()}, "until:"),
             ({"until": (today + timedelta(days=367)).isoformat()}, "until:"),
             ({"until": today.isoformat(), "measures": ["m99"]}, "measures:"),
             ({"until": today.isoformat(), "officer_id": 1}, "officer_id:")]  # office1, no officer
    for body, field in cases:
        r = c.post(base, headers=ent, json=body)
        assert r.status_code == 422 and r.json()["detail"].startswith(field), (body, r.text)
    # only the organisation's own administrator records one
    assert c.post(base, headers=login(c, "helper1"), json={"until": today.isoformat()}).status_code == 403


def test_the_officer_cannot_prepare_what_does_not_qualify(db_url: str, world: World) -> None:
    c = client(db_url)
    ent, officer = login(c, "ent1"), login(c, "helper1")
    consent(c, ent, world.org_id)
    # （七） 2024 needs the R&D investment the registry does not hold: not yet ready
    app = c.post("/applications", headers=officer, json={"measure": "m07.rd", "year": 2024,
                                                         "org_id": world.org_id}).json()
    r = c.post(f"/applications/{app['id']}/prepare", headers=officer)
    assert r.status_code == 422 and "not eligible" in r.json()["detail"]
    facts = app["facts"]
    facts["beneficiaries"][0]["rd_investment"] = {"2024": "3000000.00"}
    assert c.put(f"/applications/{app['id']}/facts", headers=officer, json=facts).status_code == 200
    r = c.post(f"/applications/{app['id']}/prepare", headers=officer)
    assert r.status_code == 200 and r.json()["state"] == "prepared"
    # 10% × 3,000,000.00 R&D investment = 300,000.00, once the enterprise signs
    r = c.post(f"/applications/{app['id']}/submit", headers=ent,
               json={"accept_commitment": True, "signatory": "张总"})
    assert r.status_code == 200 and r.json()["ceiling"] == "300000.00"
