"""Logging in through the pages with the identity service: staff give a 动态口令 after their
password (or set one up at their first login), a throttled login says how long to wait, an idle
session ends, a user with an initial or reset password changes it before anything else."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from huiqi.app.auth import service as auth
from huiqi.app.auth.models import Token, User
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.demo import PASSWORD, TOTP_SECRET
from tests.web.conftest import HTML, code_for, csrf_of, log_in, soup

SECURITY = Actor("security", Role.SECURITY_ADMIN)


def cookie_header(response: object, name: str) -> str:
    return next(v for k, v in response.headers.multi_items()  # type: ignore[attr-defined]
                if k == "set-cookie" and v.startswith(name + "="))


def errors_of(html: str) -> list[str]:
    page = soup(html)
    summary = page.find(class_="govuk-error-summary")
    return [a.get_text(strip=True) for a in summary.find_all("a")] if summary else []


def wrong_code() -> str:
    """Six digits that are none of the codes valid around now."""
    totp = pyotp.TOTP(TOTP_SECRET)
    valid = {totp.at(time.time(), counter_offset=offset) for offset in (-2, -1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def password_step(client: TestClient, username: str, password: str = PASSWORD,
                  next_path: str = "/") -> tuple[str, str]:
    """The login form posted: (where it sends the browser, the CSRF token)."""
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password, "next": next_path,
                                    "csrftoken": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"], token


@pytest.mark.parametrize(("username", "lang", "label", "workspace"), [
    ("sci", "zh", "动态口令", "工作台"), ("fin", "en", "Security code", "Workspace")])
def test_staff_log_in_with_their_code(client: TestClient, username: str, lang: str, label: str,
                                      workspace: str) -> None:
    client.get(f"/?lang={lang}")
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/policies",
                                    "csrftoken": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login/code?next=%2Fpolicies"
    pending = cookie_header(r, "huiqi_login")
    assert "HttpOnly" in pending and "SameSite=lax" in pending and "Path=/login" in pending
    assert "Max-Age=300" in pending  # the service's five minutes for the second step
    assert "huiqi_session" not in client.cookies  # not logged in yet
    page = soup(client.get(r.headers["location"]).text)
    h1 = page.h1
    assert h1.get_text(strip=True) == label and h1.label["for"] == "code"  # the label is the heading
    field = page.find("input", id="code")
    assert field["inputmode"] == "numeric" and field["autocomplete"] == "one-time-code"
    assert field["name"] == "code" and not field.has_attr("required")
    r = client.post("/login/code", data={"code": code_for(client, username), "next": "/policies",
                                         "csrftoken": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/policies"
    session = cookie_header(r, "huiqi_session")
    assert "HttpOnly" in session and "SameSite=lax" in session
    assert "Max-Age=28800" in session  # the policy's eight hours
    assert 'huiqi_login=""' in cookie_header(r, "huiqi_login")  # the pending token is dropped
    assert soup(client.get("/").text).h1.get_text(strip=True) == workspace


def test_a_wrong_code_is_an_error_on_the_page_and_the_right_one_still_works(demo_app: FastAPI) -> None:
    with TestClient(demo_app, headers=HTML, client=("10.0.0.21", 50000)) as client:
        location, token = password_step(client, "auditadmin")
        assert location.startswith("/login/code")
        r = client.post("/login/code", data={"code": "", "csrftoken": token})
        assert r.status_code == 200 and soup(r.text).title.string.startswith("错误：")
        assert errors_of(r.text) == ["请输入动态口令"]
        r = client.post("/login/code", data={"code": "12ab", "csrftoken": token})
        assert errors_of(r.text) == ["动态口令是6位数字"]
        r = client.post("/login/code", data={"code": wrong_code(), "csrftoken": token})
        page = soup(r.text)
        assert r.status_code == 200 and page.title.string.startswith("错误：")
        assert errors_of(r.text) == ["动态口令不正确或已使用过，请输入验证器中的新口令"]
        assert page.find(id="code-error")
        assert page.find(class_="govuk-error-summary").find("a")["href"] == "#code"
        assert "huiqi_session" not in client.cookies
        r = client.post("/login/code", data={"code": code_for(client, "auditadmin"), "csrftoken": token},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"


def test_the_code_page_without_a_pending_login_starts_again(client: TestClient) -> None:
    r = client.get("/login/code?next=/policies", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fpolicies&ended=true"
    page = soup(client.get(r.headers["location"]).text)
    assert "登录已超时，请重新登录" in page.find(class_="govuk-notification-banner").get_text()


def test_a_staff_member_without_a_second_factor_sets_it_up_and_logs_in(fresh: TestClient) -> None:
    factory = fresh.app.state.sessions  # type: ignore[attr-defined]
    with transaction(factory) as s:
        econ = s.scalar(select(User).where(User.username == "econ"))
        assert econ is not None
        auth.reset_second_factor(s, actor=SECURITY, user_id=econ.id)
    location, token = password_step(fresh, "econ")
    assert location == "/login/enrol?next=%2F"
    html = fresh.get(location).text
    page = soup(html)
    assert page.h1.get_text(strip=True) == "设置动态口令"
    qr = page.find(class_="huiqi-qr")
    assert qr["role"] == "img" and qr["aria-label"] and qr.find("svg") and not qr.find("script")
    assert not page.find(attrs={"style": True}) and not page.find("script", src=None)
    shown = page.find(class_="huiqi-secret").get_text(strip=True)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", shown)  # groups of four for typing
    secret = shown.replace(" ", "")
    assert secret != TOTP_SECRET
    field = page.find("input", id="code")
    assert field["inputmode"] == "numeric" and field["autocomplete"] == "one-time-code"
    # a wrong code: the error, and the same secret shown again
    totp = pyotp.TOTP(secret)
    valid = {totp.at(time.time(), counter_offset=k) for k in (-2, -1, 0, 1, 2)}
    wrong = next(c for c in ("000000", "111111", "222222") if c not in valid)
    r = fresh.post("/login/enrol", data={"code": wrong, "csrftoken": token})
    assert r.status_code == 200 and errors_of(r.text) == ["动态口令不正确，请输入验证器中显示的口令"]
    assert soup(r.text).find(class_="huiqi-secret").get_text(strip=True) == shown
    r = fresh.post("/login/enrol", data={"code": totp.now(), "csrftoken": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert soup(fresh.get("/").text).h1.get_text(strip=True) == "工作台"
    with factory() as s:
        econ = s.scalar(select(User).where(User.username == "econ"))
        assert econ is not None and econ.totp_enabled and econ.totp_secret == secret
    # from now on the login asks for a code of the new secret
    fresh.cookies.delete("huiqi_session")
    location, _token = password_step(fresh, "econ")
    assert location.startswith("/login/code")


def test_a_reset_password_must_be_changed_before_anything_else(fresh: TestClient) -> None:
    factory = fresh.app.state.sessions  # type: ignore[attr-defined]
    with transaction(factory) as s:
        ent1 = s.scalar(select(User).where(User.username == "ent1"))
        assert ent1 is not None
        temporary = auth.reset_password(s, actor=SECURITY, user_id=ent1.id)
    location, token = password_step(fresh, "ent1", temporary, next_path="/me/requests")
    assert location == "/password"
    old_session = fresh.cookies.get("huiqi_session")
    for path in ("/", "/me/requests", "/policies"):  # every page sends to /password first
        r = fresh.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/password", path
    page = soup(fresh.get("/password").text)
    assert page.h1.get_text(strip=True) == "修改密码"
    assert "请先设置新密码" in page.find(class_="govuk-notification-banner").get_text()
    rules = [li.get_text(strip=True) for li in page.find(id="password-rules").find_all("li")]
    assert rules == ["至少12个字符", "不是常见密码（例如 password、12345678）", "不包含您的用户名",
                     "不与最近5次使用过的密码相同"]
    labels = [label.get_text(strip=True) for label in page.select("form[action='/password'] label")]
    assert labels == ["当前密码", "新密码", "再次输入新密码"]

    def change(current: str, new: str, again: str | None = None) -> list[str]:
        r = fresh.post("/password", data={"current_password": current, "new_password": new,
                                          "confirm_password": new if again is None else again,
                                          "csrftoken": token})
        assert r.status_code == 200 and soup(r.text).title.string.startswith("错误：")
        return errors_of(r.text)

    assert change("", "", "") == ["请输入当前密码", "请输入新密码", "请再次输入新密码"]
    assert change(temporary, "运河边的新密码2026年春", "运河边的新密码2026年秋") == ["两次输入的新密码不一致"]
    assert change("wrong-password-1", "运河边的新密码2026年春") == ["当前密码不正确"]
    assert change(temporary, "short-one") == ["新密码至少需要12个字符"]
    assert change(temporary, "my-ent1-password") == ["新密码不能包含用户名"]
    assert change(temporary, "password1234!") == ["新密码过于常见或简单，请换一个不易猜到的密码"]
    assert change(temporary, temporary) == ["新密码不能与最近5次使用过的密码相同"]
    r = fresh.post("/password", data={"current_password": temporary, "new_password": "运河边的新密码2026年春",
                                      "confirm_password": "运河边的新密码2026年春", "csrftoken": token},
                   follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/password?changed=1"
    assert "Max-Age=28800" in cookie_header(r, "huiqi_session")
    assert fresh.cookies.get("huiqi_session") != old_session  # a new session; the old one is revoked
    banner = soup(fresh.get(r.headers["location"]).text).find(class_="govuk-notification-banner--success")
    assert "密码已修改。" in banner.get_text()
    assert soup(fresh.get("/").text).h1.get_text(strip=True) == "企业专属空间"
    me = fresh.get("/auth/me", headers={"authorization": f"Bearer {old_session}",
                                        "accept": "application/json"})
    assert me.status_code == 401
    # the header links the page for a logged-in user; the new password logs in
    assert soup(fresh.get("/").text).find("a", href="/password").get_text(strip=True) == "修改密码"
    fresh.cookies.clear()
    log_in(fresh, "ent1", "运河边的新密码2026年春")


def test_an_idle_session_ends_and_the_login_page_says_so(demo_app: FastAPI) -> None:
    policy = demo_app.state.session_policy
    demo_app.state.session_policy = auth.SessionPolicy(idle=timedelta(seconds=2))
    try:
        with TestClient(demo_app, headers=HTML) as client:
            log_in(client, "ent2")
            assert soup(client.get("/").text).h1.get_text(strip=True) == "企业专属空间"
            time.sleep(2.2)
            page = soup(client.get("/").text)
            assert page.h1.get_text(strip=True) == "惠企：通州区产业扶持政策一网通查"  # anonymous again
            r = client.get("/me/requests", follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fme%2Frequests"
            r = client.get(r.headers["location"])
            banner = soup(r.text).find(class_="govuk-notification-banner")
            assert banner and "登录已超时，请重新登录" in banner.get_text()
            assert 'huiqi_session=""' in cookie_header(r, "huiqi_session")  # said once; the cookie goes
            assert not soup(client.get("/login").text).find(class_="govuk-notification-banner")
    finally:
        demo_app.state.session_policy = policy


def test_a_session_in_use_is_touched_at_most_once_a_minute(client: TestClient) -> None:
    log_in(client, "ent3")
    factory = client.app.state.sessions  # type: ignore[attr-defined]
    session = client.cookies.get("huiqi_session")
    assert session

    def last_seen() -> object:
        with factory() as s:
            return s.scalar(select(Token.last_seen_at).where(Token.token_hash == auth._digest(session)))

    first = last_seen()
    client.get("/")
    assert last_seen() == first  # seconds ago: not written again
    with transaction(factory) as s:
        row = s.scalar(select(Token).where(Token.token_hash == auth._digest(session)))
        assert row is not None
        row.last_seen_at = row.last_seen_at - timedelta(minutes=20)  # as if twenty quiet minutes passed
        earlier = row.last_seen_at
    assert soup(client.get("/").text).h1.get_text(strip=True) == "企业专属空间"  # within the 30 minutes
    seen = last_seen()
    assert isinstance(seen, type(earlier)) and seen > earlier + timedelta(minutes=19)


def test_a_throttled_login_says_how_long_to_wait_and_that_nothing_is_locked(demo_app: FastAPI) -> None:
    with TestClient(demo_app, headers=HTML, client=("10.0.0.22", 50000)) as client:
        token = csrf_of(client.get("/login").text)
        unknown = client.post("/login", data={"username": "nobody", "password": "wrong-password-1",
                                              "csrftoken": token})
        wrong = client.post("/login", data={"username": "ent4", "password": "wrong-password-1",
                                            "csrftoken": token})
        assert errors_of(unknown.text) == errors_of(wrong.text) == ["用户名或密码不正确"]
        for _ in range(4):  # five failures for ent4 are free; the sixth attempt must wait a second
            client.post("/login", data={"username": "ent4", "password": "wrong-password-1",
                                        "csrftoken": token})
        r = client.post("/login", data={"username": "ent4", "password": PASSWORD, "csrftoken": token})
        assert r.status_code == 200 and r.headers["retry-after"] == "1"
        assert errors_of(r.text) == ["尝试次数过多，请1秒后再试。账户没有被锁定，稍候即可再次登录。"]
        time.sleep(1.1)
        log_in(client, "ent4")  # not locked: after the wait the password works


@pytest.mark.parametrize("path", ["/login/code", "/login/enrol", "/password"])
def test_the_new_forms_need_the_csrf_token(client: TestClient, path: str) -> None:
    data = {"code": "123456", "current_password": "x", "new_password": "y", "confirm_password": "y"}
    assert client.post(path, data=data).status_code == 403  # no cookie at all
    csrf_of(client.get("/login").text)
    assert client.post(path, data=data).status_code == 403  # the cookie, but no field
    assert client.post(path, data=data, headers={"HX-Request": "true"}).status_code == 403


def test_the_readme_demo_users_log_in_with_its_password_and_code(fresh: TestClient) -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    quick_start = readme[readme.index("## Quick start"):readme.index("The platform's tests")]
    password = re.search(r"password `([^`]+)`", quick_start)
    assert password and password.group(1) == PASSWORD
    assert TOTP_SECRET in quick_start
    for username in ("office", "econ", "sci", "fin", "finance", "auditor", "admin", "security",
                     "auditadmin", "ent1", "ent5"):
        assert f"`{username}`" in quick_start
        log_in(fresh, username, password.group(1))
        assert fresh.get("/", follow_redirects=False).status_code == 200, username  # no change forced
        fresh.cookies.clear()
