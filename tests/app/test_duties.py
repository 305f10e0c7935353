"""Separation of duties (三权分立): a privileged account takes two people — one administrator asks,
an administrator of another role approves — and administrators read no business records."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.audit.models import AuditEntry
from huiqi.app.auth import duties
from huiqi.app.auth.models import User
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.errors import Forbidden, Refused
from tests.app.http import PASSWORD, TOTP_SECRET, add_users, bearer, client, login, totp_code
from tests.app.world import build

ADMIN, SECURITY = Actor("admin1", Role.ADMIN), Actor("secadmin1", Role.SECURITY_ADMIN)


@pytest.fixture
def c(db_url: str, factory: sessionmaker[Session]) -> TestClient:
    world = build(factory)
    add_users(factory, world.org_id)
    with transaction(factory) as s:  # a second system administrator
        from huiqi.app.auth import service as auth

        auth.new_user(s, by="test", username="admin2", password=PASSWORD, role=Role.ADMIN,
                      display_name="admin2", must_change=False, totp_secret=TOTP_SECRET)
    return client(db_url)


def test_one_administrator_alone_cannot_create_an_office_user(c: TestClient) -> None:
    """Finding 8: the administrator created an office user with a password it knew, then decided
    awards through it. Now POST /users refuses staff roles, and a request needs another person."""
    admin = login(c, "admin1")
    r = c.post("/users", headers=admin, json={"username": "office9", "display_name": "x",
                                              "password": "a password I know", "role": "office"})
    assert r.status_code == 422 and "POST /user-requests" in r.json()["detail"]
    asked = c.post("/user-requests", headers=admin, json={"role": "office", "username": "office9",
                                                          "reason": "产促办新同事"})
    assert asked.status_code == 201 and asked.json()["state"] == "pending"
    assert "initial_password" not in asked.json()  # the requester never learns it
    request_id = asked.json()["id"]
    decision = f"/user-requests/{request_id}/decision"
    assert c.post(decision, json={"approve": True}, headers=admin).status_code == 403  # own request
    same_role = login(c, "admin2")
    assert c.post(decision, json={"approve": True}, headers=same_role).status_code == 403
    assert c.post(decision, json={"approve": True}, headers=login(c, "office1")).status_code == 403
    assert c.post("/auth/login", json={"username": "office9", "password": "a password I know"}
                  ).status_code == 401  # no account yet
    approved = c.post(decision, json={"approve": True}, headers=login(c, "secadmin1"))
    assert approved.status_code == 200
    body = approved.json()
    assert (body["state"], body["decided_by"]) == ("approved", "secadmin1")
    assert c.post(decision, json={"approve": True}, headers=login(c, "secadmin1")).status_code == 409


def test_the_approved_user_changes_the_initial_password_and_sets_up_the_second_factor(c: TestClient) -> None:
    admin, security = login(c, "admin1"), login(c, "secadmin1")
    request_id = c.post("/user-requests", headers=security, json={
        "role": "finance", "username": "finance9", "reason": "财政局新同事"}).json()["id"]
    initial = c.post(f"/user-requests/{request_id}/decision", json={"approve": True},
                     headers=admin).json()["initial_password"]
    first = c.post("/auth/login", json={"username": "finance9", "password": initial}).json()
    assert (first["stage"], first["must_change_password"]) == ("enrol", True)
    pending = bearer(first["token"])
    secret = c.post("/auth/totp/enrol", headers=pending).json()["secret"]
    session = c.post("/auth/totp/confirm", json={"code": totp_code(c, "finance9", secret)},
                     headers=pending).json()
    headers = bearer(session["token"])
    assert c.get("/budgets", headers=headers).status_code == 403  # the password first
    changed = c.post("/auth/password", headers=headers, json={
        "current_password": initial, "new_password": "finance nine's own passphrase"})
    assert changed.status_code == 200
    assert c.get("/budgets", headers=bearer(changed.json()["token"])).status_code == 200


def test_a_change_of_role_takes_two_people_and_ends_the_sessions(c: TestClient,
                                                                 factory: sessionmaker[Session]) -> None:
    with factory() as s:
        econ_id = s.scalar(select(User.id).where(User.username == "econ1"))
    econ = login(c, "econ1")
    request_id = c.post("/user-requests", headers=login(c, "secadmin1"), json={
        "role": "office", "user_id": econ_id, "reason": "调任产促办"}).json()["id"]
    assert c.get("/auth/me", headers=econ).json()["role"] == "reviewer"  # nothing yet
    r = c.post(f"/user-requests/{request_id}/decision", json={"approve": True}, headers=login(c, "admin1"))
    assert r.status_code == 200 and r.json()["initial_password"] is None
    assert c.get("/auth/me", headers=econ).status_code == 401
    assert c.get("/auth/me", headers=login(c, "econ1")).json()["role"] == "office"


def test_a_refused_request_creates_nothing_and_both_steps_are_audited(
        c: TestClient, factory: sessionmaker[Session]) -> None:
    request_id = c.post("/user-requests", headers=login(c, "admin1"), json={
        "role": "security_admin", "username": "sec9", "reason": "x"}).json()["id"]
    r = c.post(f"/user-requests/{request_id}/decision", json={"approve": False},
               headers=login(c, "secadmin1"))
    assert r.status_code == 200 and r.json()["state"] == "refused"
    with factory() as s:
        assert s.scalar(select(User.id).where(User.username == "sec9")) is None
        actions = s.scalars(select(AuditEntry.actor + ":" + AuditEntry.action)
                            .where(AuditEntry.entity == "user_request")).all()
    assert actions == ["admin1:user_request.create", "secadmin1:user_request.decide"]


def test_an_applicant_account_is_not_turned_into_staff(factory: sessionmaker[Session]) -> None:
    world = build(factory)
    add_users(factory, world.org_id)
    with factory() as s:
        ent_id = s.scalar(select(User.id).where(User.username == "ent1"))
    with pytest.raises(Refused, match="applicant"), transaction(factory) as s:
        duties.request(s, actor=ADMIN, role=Role.OFFICE, reason="x", user_id=ent_id)
    with pytest.raises(Refused, match="not privileged"), transaction(factory) as s:
        duties.request(s, actor=ADMIN, role=Role.APPLICANT, reason="x", username="ent9")
    with pytest.raises(Forbidden), transaction(factory) as s:
        duties.request(s, actor=Actor("auditadmin1", Role.AUDIT_ADMIN), role=Role.OFFICE, reason="x",
                       username="office9")


@pytest.mark.parametrize("admin", ["admin1", "secadmin1", "auditadmin1"])
def test_no_administrator_reads_offers_service_packages_or_the_registry(c: TestClient, admin: str) -> None:
    """Finding 10: GET /offers (organisation, measure, ceiling) and /service-packages (contact names
    and phones) answered the administrator."""
    headers = login(c, admin)
    for path in ("/offers", "/service-packages", "/organisations", "/organisations/1",
                 "/organisations/1/service-package", "/applications", "/matches"):
        r = c.get(path, headers=headers)
        assert r.status_code == 403, (path, r.text)


def test_the_console_bootstraps_the_first_administrators(db_url: str, factory: sessionmaker[Session]) -> None:
    from typer.testing import CliRunner

    from huiqi.cli import app as cli

    run = CliRunner().invoke
    weak = run(cli, ["user", "add", "sec0", "--role", "security_admin", "--password-stdin", "--db", db_url],
               input="aaaaaaaaaa\n")
    assert weak.exit_code != 0 and "at least 12" in weak.output
    own = run(cli, ["user", "add", "admin0", "--role", "admin", "--password-stdin", "--keep-password",
                    "--db", db_url], input="the first admin's passphrase\n")
    other = run(cli, ["user", "add", "sec0", "--role", "security_admin", "--password-stdin",
                      "--db", db_url], input="a temporary passphrase\n")
    assert own.exit_code == 0 and other.exit_code == 0, own.output + other.output
    with factory() as s:
        users = {u.username: u for u in s.scalars(select(User))}
        audit = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "user.create")).all()
    assert (users["admin0"].must_change_password, users["sec0"].must_change_password) == (False, True)
    assert not users["admin0"].totp_enabled  # set up at first login
    assert audit == ["console", "console"]
