"""Users and logging in: argon2 hashes, password rules and history, sessions (idle timeout,
absolute lifetime, revoked on password change and logout), throttling by delay rather than lock,
the second factor (TOTP), forced change of an initial or reset password."""

from __future__ import annotations

import itertools
import json
import statistics
import time
from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.audit.models import AuditEntry
from huiqi.app.auth import service as auth
from huiqi.app.auth.models import Token, User
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction, utcnow
from huiqi.app.errors import Forbidden, Refused, TooManyAttempts, Unauthorised
from tests.app.http import PASSWORD, TOTP_SECRET, add_users, bearer, client, login, totp_code
from tests.app.world import ADMIN, OFFICE, build

SECURITY = Actor("secadmin1", Role.SECURITY_ADMIN)
T0 = datetime.fromisoformat("2026-03-02T09:00:00+00:00")


@pytest.fixture
def users(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    add_users(factory, None)
    return factory


def attempt(factory: sessionmaker[Session], password: str, *, user: str = "office1",
            address: str = "10.0.0.1", now: datetime = T0) -> str:
    """One login attempt in its own transaction, committed even when it fails, as the API makes it:
    the stage reached, or the refusal (with Retry-After)."""
    with factory() as s, s.begin():
        try:
            return auth.login(s, username=user, password=password, address=address, now=now).kind
        except Unauthorised:
            return "401"
        except TooManyAttempts as exc:
            return f"429 after {exc.retry_after}"


def uid(factory: sessionmaker[Session], username: str) -> int:
    with factory() as s:
        found = s.scalar(select(User.id).where(User.username == username))
    assert found is not None
    return found


def test_passwords_are_stored_as_argon2_hashes(users: sessionmaker[Session]) -> None:
    with users() as s:
        hashed = s.scalar(select(User.password_hash).where(User.username == "office1"))
    assert hashed is not None and hashed.startswith("$argon2id$") and PASSWORD not in hashed


# --- password rules (finding 7: "aaaaaaaaaa" was accepted for an office user) ---------------------

@pytest.mark.parametrize(("password", "rule"), [
    ("aaaaaaaaaa", "at least 12"),            # the finding's password: ten characters
    ("aaaaaaaaaaaa", "too common or too simple"),  # twelve, one character
    ("1qaz2wsx3edc", "too common"),           # in the shipped list (keyboard walk)
    ("password2024!", "too common"),          # "password" with digits and signs appended
    ("Qwertyuiop123", "too common"),          # case does not help
    ("my-office7-passphrase", "user name"),   # contains the user name "office7"
])
def test_a_weak_password_is_refused_naming_the_rule(users: sessionmaker[Session], password: str,
                                                    rule: str) -> None:
    with pytest.raises(Refused, match=rule), transaction(users) as s:
        auth.new_user(s, by="console", username="office7", password=password, role=Role.OFFICE,
                      display_name="x")


def test_a_long_uncommon_password_is_accepted(users: sessionmaker[Session]) -> None:
    with transaction(users) as s:
        u = auth.new_user(s, by="console", username="office7", password="运河边的柳树 green 2026",
                          role=Role.OFFICE, display_name="x")
    assert u.must_change_password  # made by someone else: changed at first login


def test_the_shipped_list_holds_ten_thousand_common_passwords() -> None:
    from huiqi.app.auth.passwords import common

    words = common()
    assert len(words) == 10_000 and {"123456", "password", "qwerty123456"} <= words


# --- throttling (finding 5) ------------------------------------------------------------------------

def test_five_wrong_guesses_do_not_deny_the_owner_for_fifteen_minutes(users: sessionmaker[Session]) -> None:
    """Before: 5 failures locked the account for 15 minutes. Now the sixth attempt waits one second,
    and the owner, from another address, logs in one second later."""
    assert [attempt(users, "wrong guess!", address="203.0.113.9") for _ in range(5)] == ["401"] * 5
    assert attempt(users, PASSWORD, address="10.0.0.2") == "429 after 1"
    assert attempt(users, PASSWORD, address="10.0.0.2", now=T0 + timedelta(seconds=1)) == "totp"


def test_the_account_delay_doubles_and_never_exceeds_a_minute(users: sessionmaker[Session]) -> None:
    """An attacker guessing as fast as allowed: waits 1, 2, 4, … s, capped at 60 s; the owner is
    never kept out longer than a minute."""
    now, waits = T0, []
    for i in range(14):
        address = f"198.51.100.{i}"  # a different address each time: only the account throttles
        result, wait = attempt(users, "wrong guess!", address=address, now=now), 0
        if result.startswith("429"):
            wait = int(result.removeprefix("429 after "))
            now += timedelta(seconds=wait)
            result = attempt(users, "wrong guess!", address=address, now=now)
        assert result == "401"
        waits.append(wait)
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert attempt(users, PASSWORD, address="10.0.0.2", now=now) == "429 after 60"
    assert attempt(users, PASSWORD, address="10.0.0.2", now=now + timedelta(seconds=60)) == "totp"


def test_attempts_while_waiting_are_not_counted(users: sessionmaker[Session]) -> None:
    for _ in range(5):
        attempt(users, "wrong guess!")
    for _ in range(20):  # hammering during the wait does not lengthen it
        assert attempt(users, "wrong guess!") == "429 after 1"
    assert attempt(users, PASSWORD, now=T0 + timedelta(seconds=1)) == "totp"


def test_spraying_many_names_from_one_address_is_refused(users: sessionmaker[Session]) -> None:
    """Ten failures from an address over ten names (known and unknown) are free; then the address
    waits, doubling up to 15 minutes — other addresses are not affected."""
    names = ["office1", "finance1", "admin1", "nobody1", "nobody2", "nobody3", "econ1", "sci1",
             "nobody4", "nobody5"]
    assert [attempt(users, "Spring2026!!", user=n, address="192.0.2.7") for n in names] == ["401"] * 10
    assert attempt(users, "Spring2026!!", user="auditor1", address="192.0.2.7") == "429 after 1"
    now = T0
    for expected in (1, 2, 4, 8):
        now += timedelta(seconds=expected)
        assert attempt(users, "Spring2026!!", user=f"x{expected}", address="192.0.2.7", now=now) == "401"
        assert attempt(users, "Spring2026!!", user="y", address="192.0.2.7", now=now) == \
            f"429 after {expected * 2}"
    assert attempt(users, PASSWORD, user="auditor1", address="10.0.0.3", now=now) == "totp"


def test_an_unknown_name_and_a_wrong_password_get_the_same_answers(db_url: str,
                                                                   users: sessionmaker[Session]) -> None:
    """Same status, same body, similar time (both verify one argon2 hash)."""
    c = client(db_url)
    answers: dict[str, list[tuple[int, str]]] = {}
    times: dict[str, list[float]] = {}
    for name in ("office1", "nobody-here"):
        for _ in range(5):
            start = time.perf_counter()
            r = c.post("/auth/login", json={"username": name, "password": "not the password"})
            times.setdefault(name, []).append(time.perf_counter() - start)
            answers.setdefault(name, []).append((r.status_code, r.text))
    assert answers["office1"] == answers["nobody-here"]
    assert {(status, json.loads(body)["detail"], json.loads(body)["code"])
            for status, body in answers["office1"]} == {
        (401, "用户名或密码错误 username or password is wrong", "unauthorised")}
    known, unknown = statistics.median(times["office1"]), statistics.median(times["nobody-here"])
    assert 1 / 3 < known / unknown < 3


def test_the_delay_does_not_tell_which_names_exist(users: sessionmaker[Session]) -> None:
    """Before: 429 came only for existing accounts. Now the delay is the same for any name."""
    for name, address in (("office1", "192.0.2.1"), ("nobody-here", "192.0.2.2")):
        assert [attempt(users, "not the password", user=name, address=address) for _ in range(6)] == \
            ["401"] * 5 + ["429 after 1"]


def test_over_http_the_owner_logs_in_from_another_address_after_five_guesses(
        db_url: str, users: sessionmaker[Session]) -> None:
    attacker, owner = client(db_url, "203.0.113.9"), client(db_url, "10.0.0.2")
    for _ in range(5):
        assert attacker.post("/auth/login", json={"username": "finance1", "password": "guess-guess-1"}
                             ).status_code == 401
    r = owner.post("/auth/login", json={"username": "finance1", "password": PASSWORD})
    if r.status_code == 429:  # at most the one-second delay
        assert r.headers["retry-after"] == "1"
        time.sleep(1.05)
    assert login(owner, "finance1")


def test_the_security_administrator_clears_a_delay(db_url: str, users: sessionmaker[Session]) -> None:
    for _ in range(8):
        attempt(users, "wrong guess!", now=utcnow())
    assert attempt(users, PASSWORD, now=utcnow()).startswith("429")
    with transaction(users) as s:
        auth.unlock(s, actor=SECURITY, user_id=uid(users, "office1"))
    assert attempt(users, PASSWORD, address="10.0.0.9", now=utcnow()) == "totp"


# --- the second factor -------------------------------------------------------------------------------

def test_staff_log_in_in_two_steps_and_a_code_is_good_once(db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    first = c.post("/auth/login", json={"username": "office1", "password": PASSWORD}).json()
    assert first["stage"] == "totp" and first["expires_in"] == 300
    pending = bearer(first["token"])
    assert c.get("/applications", headers=pending).status_code == 401  # not logged in yet
    assert c.post("/auth/totp", json={"code": "000000"}, headers=pending).status_code == 401
    code = totp_code(c, "office1")
    session = c.post("/auth/totp", json={"code": code}, headers=pending)
    assert session.status_code == 200 and session.json()["stage"] == "session"
    assert c.get("/applications", headers=bearer(session.json()["token"])).status_code == 200
    assert c.post("/auth/totp", json={"code": code}, headers=pending).status_code == 401  # used up
    again = c.post("/auth/login", json={"username": "office1", "password": PASSWORD}).json()
    replay = c.post("/auth/totp", json={"code": code}, headers=bearer(again["token"]))
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]


def test_a_new_staff_member_sets_up_the_second_factor_at_first_login(
        db_url: str, users: sessionmaker[Session]) -> None:
    with transaction(users) as s:
        auth.new_user(s, by="console", username="finance2", password=PASSWORD, role=Role.FINANCE,
                      display_name="x", must_change=False)
    c = client(db_url)
    first = c.post("/auth/login", json={"username": "finance2", "password": PASSWORD}).json()
    assert first["stage"] == "enrol"
    pending = bearer(first["token"])
    assert c.get("/budgets", headers=pending).status_code == 401
    assert c.post("/auth/totp", json={"code": "123456"}, headers=pending).status_code == 401
    e = c.post("/auth/totp/enrol", headers=pending).json()
    assert e["otpauth_uri"].startswith("otpauth://totp/") and f"secret={e['secret']}" in e["otpauth_uri"]
    assert e["qr_svg"].startswith("<svg")
    done = c.post("/auth/totp/confirm", json={"code": totp_code(c, "finance2", e["secret"])},
                  headers=pending).json()
    assert done["second_factor"] is True and done["stage"] == "session"
    assert c.get("/budgets", headers=bearer(done["token"])).status_code == 200
    again = c.post("/auth/login", json={"username": "finance2", "password": PASSWORD})
    assert again.json()["stage"] == "totp"


def test_an_applicant_may_add_a_second_factor(db_url: str, factory: sessionmaker[Session]) -> None:
    world = build(factory)
    add_users(factory, world.org_id)
    c = client(db_url)
    ent = login(c, "ent1")  # one step
    e = c.post("/auth/totp/enrol", headers=ent).json()
    r = c.post("/auth/totp/confirm", json={"code": totp_code(c, "ent1", e["secret"])}, headers=ent)
    assert r.status_code == 200 and r.json() == {"second_factor": True}
    assert c.post("/auth/login", json={"username": "ent1", "password": PASSWORD}).json()["stage"] == "totp"
    assert c.post("/auth/totp/enrol", headers=ent).status_code == 409  # replaced only by a reset


def test_a_lost_second_factor_is_reset_by_the_security_administrator_and_audited(
        db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    office = login(c, "office1")
    sec = login(c, "secadmin1")
    office_id = uid(users, "office1")
    assert c.post(f"/users/{office_id}/second-factor/reset", headers=login(c, "admin1")).status_code == 403
    r = c.post(f"/users/{office_id}/second-factor/reset", headers=sec)
    assert r.status_code == 200 and r.json()["second_factor"] is False
    assert c.get("/auth/me", headers=office).status_code == 401  # its sessions ended
    again = c.post("/auth/login", json={"username": "office1", "password": PASSWORD})
    assert again.json()["stage"] == "enrol"
    own = c.post(f"/users/{uid(users, 'secadmin1')}/second-factor/reset", headers=sec)
    assert own.status_code == 403
    with users() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "user.totp_reset")).one()
    assert (entry.actor, entry.entity_id, entry.before["second_factor"]) == \
        ("secadmin1", str(office_id), True)


# --- sessions (finding 7: tokens lived a fixed 8 hours) ----------------------------------------------

def session_token(factory: sessionmaker[Session], now: datetime) -> str:
    with transaction(factory) as s:
        first = auth.login(s, username="office1", password=PASSWORD, now=now)
    with transaction(factory) as s:
        code = pyotp.TOTP(TOTP_SECRET).at(now)
        return auth.second_factor(s, token=first.token, code=code, now=now).token


def use(factory: sessionmaker[Session], token: str, now: datetime) -> str:
    """A request at ``now``: refreshes last-seen as the API does; the refusal's message otherwise."""
    with transaction(factory) as s:
        try:
            _, row = auth.authenticate(s, token, now=now)
        except Unauthorised as exc:
            return exc.message
        auth.touch(s, row.id, now)
        return "ok"


def test_a_session_ends_after_thirty_idle_minutes(users: sessionmaker[Session]) -> None:
    token = session_token(users, T0)
    assert use(users, token, T0 + timedelta(minutes=29)) == "ok"
    assert use(users, token, T0 + timedelta(minutes=58)) == "ok"  # 29 minutes after the last use
    assert "idle for 30 minutes" in use(users, token, T0 + timedelta(minutes=88))


def test_a_session_in_use_ends_after_eight_hours(users: sessionmaker[Session]) -> None:
    token = session_token(users, T0)
    for minutes in range(20, 8 * 60, 20):
        assert use(users, token, T0 + timedelta(minutes=minutes)) == "ok"
    assert "expired" in use(users, token, T0 + timedelta(hours=8))


def test_every_request_brings_last_seen_forward(db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    headers = login(c, "office1")
    long_ago = utcnow() - timedelta(minutes=20)
    with transaction(users) as s:
        s.execute(update(Token).where(Token.kind == "session").values(last_seen_at=long_ago))
    assert c.get("/auth/me", headers=headers).status_code == 200
    with users() as s:
        seen = s.scalar(select(Token.last_seen_at).where(Token.kind == "session", Token.revoked.is_(False)))
    assert seen is not None and seen > utcnow() - timedelta(minutes=1)


def test_the_idle_timeout_is_a_setting(db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    c.app.state.session_policy = auth.SessionPolicy(idle=timedelta(seconds=0))  # type: ignore[attr-defined]
    headers = login(c, "office1")
    r = c.get("/auth/me", headers=headers)
    assert r.status_code == 401 and "idle" in r.json()["detail"]


def test_logging_out_revokes_the_token(db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    headers = login(c, "auditor1")
    assert c.post("/auth/logout", headers=headers).status_code == 200
    assert c.get("/auth/me", headers=headers).status_code == 401


# --- changing passwords ------------------------------------------------------------------------------

def change(c: object, headers: dict[str, str], current: str, new: str) -> tuple[int, dict[str, str]]:
    from fastapi.testclient import TestClient

    assert isinstance(c, TestClient)
    r = c.post("/auth/password", json={"current_password": current, "new_password": new}, headers=headers)
    return r.status_code, (bearer(r.json()["token"]) if r.status_code == 200 else {"detail": r.text})


def test_changing_the_password_ends_every_session(db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    one, two = login(c, "office1"), login(c, "office1")
    status, fresh = change(c, one, PASSWORD, "a new and long passphrase")
    assert status == 200
    assert c.get("/auth/me", headers=one).status_code == 401
    assert c.get("/auth/me", headers=two).status_code == 401
    assert c.get("/auth/me", headers=fresh).status_code == 200
    assert c.post("/auth/login", json={"username": "office1", "password": PASSWORD}).status_code == 401


def test_a_change_needs_the_current_password_and_follows_the_rules(
        db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    headers = login(c, "office1")
    assert change(c, headers, "not the password", "a new and long passphrase")[0] == 422
    status, body = change(c, headers, PASSWORD, "qwerty123456")
    assert status == 422 and "too common" in body["detail"]


def test_the_last_five_passwords_may_not_be_chosen_again(users: sessionmaker[Session]) -> None:
    user_id = uid(users, "office1")
    chain = [PASSWORD] + [f"passphrase number {i} 惠企" for i in range(1, 6)]
    for old, new in itertools.pairwise(chain):
        with transaction(users) as s:
            auth.change_password(s, user_id=user_id, current=old, new=new)
    for reused in chain[1:]:  # the current one and the four before it
        with pytest.raises(Refused, match="last 5"), transaction(users) as s:
            auth.change_password(s, user_id=user_id, current=chain[-1], new=reused)
    with transaction(users) as s:  # the sixth back is allowed again
        auth.change_password(s, user_id=user_id, current=chain[-1], new=PASSWORD)


def test_an_initial_password_must_be_changed_before_anything_else(db_url: str,
                                                                   factory: sessionmaker[Session]) -> None:
    world = build(factory)
    add_users(factory, world.org_id)
    c = client(db_url)
    r = c.post("/users", headers=login(c, "admin1"), json={
        "username": "ent2", "display_name": "x", "password": "initial pass 2026", "role": "applicant",
        "org_id": world.org_id})
    assert r.status_code == 201 and r.json()["must_change_password"] is True
    first = c.post("/auth/login", json={"username": "ent2", "password": "initial pass 2026"}).json()
    assert first["must_change_password"] is True
    headers = bearer(first["token"])
    refused = c.get("/applications", headers=headers)
    assert refused.status_code == 403 and "POST /auth/password" in refused.json()["detail"]
    assert c.get("/auth/me", headers=headers).json()["must_change_password"] is True
    status, fresh = change(c, headers, "initial pass 2026", "my own passphrase 2026")
    assert status == 200 and c.get("/applications", headers=fresh).status_code == 200


def test_a_reset_password_is_temporary_and_ends_the_sessions(db_url: str,
                                                             users: sessionmaker[Session]) -> None:
    c = client(db_url)
    office = login(c, "office1")
    r = c.post(f"/users/{uid(users, 'office1')}/password-reset", headers=login(c, "secadmin1"))
    assert r.status_code == 200
    temporary = r.json()["temporary_password"]
    assert c.get("/auth/me", headers=office).status_code == 401
    first = login(c, "office1", temporary)  # the second factor still applies
    assert c.get("/applications", headers=first).status_code == 403
    assert change(c, first, temporary, "office one's own passphrase")[0] == 200
    with users() as s:
        assert s.scalar(select(AuditEntry.actor).where(AuditEntry.action == "user.password_reset")) == \
            "secadmin1"


# --- users -------------------------------------------------------------------------------------------

def test_a_disabled_user_cannot_log_in_and_loses_its_tokens(users: sessionmaker[Session]) -> None:
    token = session_token(users, utcnow())
    with transaction(users) as s:
        auth.set_active(s, actor=ADMIN, user_id=uid(users, "office1"), active=False)
    assert attempt(users, PASSWORD, now=utcnow()) == "401"
    with users() as s, pytest.raises(Unauthorised):
        auth.authenticate(s, token)


def test_only_the_system_administrator_creates_users(users: sessionmaker[Session]) -> None:
    for actor in (OFFICE, SECURITY):
        with pytest.raises(Forbidden), transaction(users) as s:
            auth.create_user(s, actor=actor, username="x1", password=PASSWORD, role=Role.APPLICANT,
                             display_name="x", org_id=1)


def test_an_applicant_must_belong_to_an_organisation(users: sessionmaker[Session]) -> None:
    with pytest.raises(Refused, match="org_id"), transaction(users) as s:
        auth.create_user(s, actor=ADMIN, username="x1", password=PASSWORD, role=Role.APPLICANT,
                         display_name="x")


def test_the_api_refuses_a_request_without_a_token(db_url: str, users: sessionmaker[Session]) -> None:
    c = client(db_url)
    r = c.get("/applications")
    assert r.status_code == 401 and "log in" in r.json()["detail"]
    assert c.get("/applications", headers=login(c, "office1")).status_code == 200


def test_names_tried_once_are_forgotten_after_a_quiet_day(users: sessionmaker[Session]) -> None:
    from huiqi.app.auth.models import LoginThrottle

    attempt(users, "wrong guess!", user="nobody1", address="192.0.2.1")
    attempt(users, "wrong guess!", user="nobody2", address="192.0.2.2", now=T0 + timedelta(days=1, seconds=1))
    with users() as s:
        assert s.scalar(select(func.count()).select_from(LoginThrottle)) == 2  # nobody2 and its address
