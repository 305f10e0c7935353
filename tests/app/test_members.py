"""Several people per enterprise: its administrator (the organisation's first account) invites
clerks, says who may sign the commitment, disables one; submit refuses a user who may not sign;
another organisation's administrator finds none of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.audit.models import AuditEntry
from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Role
from huiqi.app.db import transaction
from huiqi.app.registry import service as registry
from tests.app.http import PASSWORD, add_users, bearer, client, login
from tests.app.world import OFFICE, World, build, org_in

NEW_PASSWORD = "经办人的新密码 2026"


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    w = build(factory)
    add_users(factory, w.org_id)
    return w


def invite(c: TestClient, admin: dict[str, str], org_id: int, username: str,
           may_sign: bool = False) -> dict[str, Any]:
    r = c.post(f"/organisations/{org_id}/members", headers=admin,
               json={"username": username, "display_name": "李经办", "may_sign": may_sign})
    assert r.status_code == 201, r.text
    return dict(r.json())


def first_login(c: TestClient, username: str, password: str) -> dict[str, str]:
    """Log in with the initial password; only changing it is allowed until it is changed."""
    r = c.post("/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200 and r.json()["must_change_password"] is True
    initial = bearer(r.json()["token"])
    refused = c.post("/applications", headers=initial, json={"measure": "m01.new", "year": 2024})
    assert refused.status_code == 403 and "password" in refused.json()["detail"]
    r = c.post("/auth/password", headers=initial,
               json={"current_password": password, "new_password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"])


def test_the_administrator_invites_a_clerk_who_applies_and_signs_once_given_the_right(
        db_url: str, world: World) -> None:
    c = client(db_url)
    admin = login(c, "ent1")
    people = c.get(f"/organisations/{world.org_id}/members", headers=admin).json()
    assert [(p["username"], p["org_admin"], p["may_sign"]) for p in people] == [("ent1", True, True)]
    clerk = invite(c, admin, world.org_id, "clerk.li")
    assert (clerk["org_admin"], clerk["may_sign"], clerk["must_change_password"]) == (False, False, True)
    headers = first_login(c, "clerk.li", clerk["initial_password"])
    app = c.post("/applications", headers=headers, json={"measure": "m01.new", "year": 2024}).json()
    body = {"accept_commitment": True, "signatory": "李经办"}
    refused = c.post(f"/applications/{app['id']}/submit", headers=headers, json=body)
    assert refused.status_code == 403 and "无签署权" in refused.json()["detail"]
    assert c.get(f"/applications/{app['id']}", headers=headers).json()["state"] == "draft"
    r = c.put(f"/organisations/{world.org_id}/members/{clerk['id']}", headers=admin,
              json={"active": True, "may_sign": True})
    assert r.status_code == 200 and r.json()["may_sign"] is True
    r = c.post(f"/applications/{app['id']}/submit", headers=headers, json=body)
    assert r.status_code == 200, r.text
    # 70% × 12,000,000.00 regional contribution of a new chain leader = 8,400,000.00
    assert (r.json()["state"], r.json()["ceiling"]) == ("in_review", "8400000.00")
    commitment = r.json()["commitment"]
    assert (commitment["signatory"], commitment["signed_by"], commitment["prepared_by"]) == (
        "李经办", "clerk.li", None)
    with world.factory() as s:
        entries = list(s.scalars(select(AuditEntry).where(AuditEntry.action.in_(
            ["user.create", "member.standing"])).order_by(AuditEntry.id)))
        mine = [(e.actor, e.action, e.after["username"]) for e in entries
                if e.after["username"] == "clerk.li"]
    assert mine == [("ent1", "user.create", "clerk.li"), ("ent1", "member.standing", "clerk.li")]


def test_a_disabled_clerk_is_logged_out_and_cannot_log_in(db_url: str, world: World) -> None:
    c = client(db_url)
    admin = login(c, "ent1")
    clerk = invite(c, admin, world.org_id, "clerk.wang", may_sign=True)
    headers = first_login(c, "clerk.wang", clerk["initial_password"])
    r = c.put(f"/organisations/{world.org_id}/members/{clerk['id']}", headers=admin,
              json={"active": False, "may_sign": True})
    assert r.status_code == 200 and r.json()["active"] is False
    assert c.get("/auth/me", headers=headers).status_code == 401
    assert c.post("/auth/login", json={"username": "clerk.wang", "password": NEW_PASSWORD}).status_code == 401


def test_the_administrator_keeps_its_own_account_and_signing_right(db_url: str, world: World) -> None:
    c = client(db_url)
    admin = login(c, "ent1")
    me = c.get(f"/organisations/{world.org_id}/members", headers=admin).json()[0]
    for body in ({"active": False, "may_sign": True}, {"active": True, "may_sign": False}):
        r = c.put(f"/organisations/{world.org_id}/members/{me['id']}", headers=admin, json=body)
        assert r.status_code == 422 and r.json()["detail"].startswith("active:")


def test_another_organisations_administrator_finds_nothing_and_a_clerk_manages_nobody(
        db_url: str, world: World) -> None:
    c = client(db_url)
    admin = login(c, "ent1")
    clerk = invite(c, admin, world.org_id, "clerk.zhao")
    with transaction(world.factory) as s:
        other = registry.create_org(s, actor=OFFICE, data=org_in("91110112MA01E0003B", "别家公司")).id
        auth.new_user(s, by="test", username="boss2", password=PASSWORD, role=Role.APPLICANT,
                      display_name="boss2", org_id=other, must_change=False)
    stranger = login(c, "boss2")
    base = f"/organisations/{world.org_id}"
    assert c.get(f"{base}/members", headers=stranger).status_code == 404
    assert c.post(f"{base}/members", headers=stranger,
                  json={"username": "mole", "display_name": "x"}).status_code == 404
    assert c.put(f"{base}/members/{clerk['id']}", headers=stranger,
                 json={"active": False, "may_sign": False}).status_code == 404
    # nor through its own organisation's path
    assert c.put(f"/organisations/{other}/members/{clerk['id']}", headers=stranger,
                 json={"active": False, "may_sign": False}).status_code == 404
    clerk_headers = first_login(c, "clerk.zhao", clerk["initial_password"])
    assert c.get(f"{base}/members", headers=clerk_headers).status_code == 403
    assert c.post(f"{base}/members", headers=clerk_headers,
                  json={"username": "mole", "display_name": "x"}).status_code == 403
    # the office reads them; a reviewer does not
    assert [p["username"] for p in c.get(f"{base}/members", headers=login(c, "office1")).json()] == [
        "ent1", "clerk.zhao"]
    assert c.get(f"{base}/members", headers=login(c, "econ1")).status_code == 403


def test_an_invitation_names_the_field_it_refuses(db_url: str, world: World) -> None:
    c = client(db_url)
    admin = login(c, "ent1")
    base = f"/organisations/{world.org_id}/members"
    taken = c.post(base, headers=admin, json={"username": "ent1", "display_name": "x"})
    assert taken.status_code == 409 and taken.json()["detail"].startswith("username:")
    bad = c.post(base, headers=admin, json={"username": "a b", "display_name": "x"})
    assert bad.status_code == 422 and "username" in bad.text
    extra = c.post(base, headers=admin, json={"username": "abc", "display_name": "x", "role": "office"})
    assert extra.status_code == 422 and "role" in extra.text


def test_the_migration_makes_each_existing_organisation_account_its_administrator(tmp_path: Path) -> None:
    """Before 0008 an organisation had one applicant account, which signed: it stays able to."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from huiqi.app.db import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0005")
    engine = create_engine(url)
    with engine.begin() as c:  # SQLite does not enforce the organisation's key here
        for name, role, org in (("ent1", "applicant", 1), ("talent", "applicant", None),
                                ("office1", "office", None)):
            c.execute(text("INSERT INTO users (username, display_name, password_hash, role, org_id, active, "
                           "must_change_password, totp_enabled, created_at) VALUES (:n, :n, 'x', :r, :o, "
                           "1, 0, 0, '2026-01-01')"), {"n": name, "r": role, "o": org})
    command.upgrade(alembic_config(url), "head")
    with engine.begin() as c:
        rows = c.execute(text("SELECT username, org_admin, may_sign FROM users ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("ent1", 1, 1), ("talent", 0, 0), ("office1", 0, 0)]
