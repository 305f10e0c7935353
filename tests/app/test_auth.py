"""Users and logging in: argon2 hashes, bearer tokens, a limit on failed attempts, role rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.auth import service as auth
from huiqi.app.auth.models import User
from huiqi.app.auth.roles import Role
from huiqi.app.db import transaction, utcnow
from huiqi.app.errors import Forbidden, Refused, TooManyAttempts, Unauthorised
from tests.app.http import PASSWORD, add_users, client, login
from tests.app.world import OFFICE


@pytest.fixture
def users(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    add_users(factory, None)
    return factory


def attempt(factory: sessionmaker[Session], password: str) -> str:
    """One login attempt in its own transaction, as the API makes it."""
    with factory() as s, s.begin():
        try:
            return auth.login(s, username="office1", password=password)
        except (Unauthorised, TooManyAttempts) as exc:
            return type(exc).__name__


def test_passwords_are_stored_as_argon2_hashes(users: sessionmaker[Session]) -> None:
    with users() as s:
        hashed = s.scalar(select(User.password_hash).where(User.username == "office1"))
    assert hashed is not None and hashed.startswith("$argon2id$") and PASSWORD not in hashed


def test_a_token_identifies_the_user(users: sessionmaker[Session]) -> None:
    token = attempt(users, PASSWORD)
    with users() as s:
        assert auth.authenticate(s, token).username == "office1"


def test_five_failed_logins_lock_the_account_even_for_the_right_password(
        users: sessionmaker[Session]) -> None:
    assert [attempt(users, "wrong") for _ in range(5)] == ["Unauthorised"] * 5
    assert attempt(users, PASSWORD) == "TooManyAttempts"


def test_the_lock_ends_after_fifteen_minutes(users: sessionmaker[Session]) -> None:
    for _ in range(5):
        attempt(users, "wrong")
    with users() as s, s.begin():
        token = auth.login(s, username="office1", password=PASSWORD,
                           now=utcnow() + timedelta(minutes=15, seconds=1))
    assert token


def test_a_disabled_user_cannot_log_in_and_loses_its_tokens(users: sessionmaker[Session]) -> None:
    from tests.app.world import ADMIN

    token = attempt(users, PASSWORD)
    with transaction(users) as s:
        uid = s.scalar(select(User.id).where(User.username == "office1"))
        assert uid is not None
        auth.set_active(s, actor=ADMIN, user_id=uid, active=False)
    assert attempt(users, PASSWORD) == "Unauthorised"
    with users() as s, pytest.raises(Unauthorised):
        auth.authenticate(s, token)


def test_only_the_administrator_creates_users(users: sessionmaker[Session]) -> None:
    with pytest.raises(Forbidden), transaction(users) as s:
        auth.create_user(s, actor=OFFICE, username="x1", password=PASSWORD, role=Role.OFFICE,
                         display_name="x")


def test_an_applicant_must_belong_to_an_organisation(users: sessionmaker[Session]) -> None:
    from tests.app.world import ADMIN

    with pytest.raises(Refused, match="org_id"), transaction(users) as s:
        auth.create_user(s, actor=ADMIN, username="x1", password=PASSWORD, role=Role.APPLICANT,
                         display_name="x")


def test_the_api_refuses_a_request_without_a_token(db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    r = c.get("/applications")
    assert r.status_code == 401 and "log in" in r.json()["detail"]
    assert c.get("/applications", headers=login(c, "office1")).status_code == 200
