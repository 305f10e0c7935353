"""Logging in and out of the pages. The password step; then, for staff, the second factor: a code
(/login/code) or, at the first login, setting it up (/login/enrol: a QR code and the secret, then a
first code). The session lives in a cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) for the
session policy's lifetime; a login waiting for its code holds its pending token in a short-lived
cookie of its own, sent to /login only."""

from __future__ import annotations

from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from sqlalchemy.orm import Session

from huiqi.app.api.deps import address
from huiqi.app.auth import passwords, totp
from huiqi.app.auth import service as auth
from huiqi.app.auth.models import Token, User
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, DomainError, TooManyAttempts, Unauthorised
from huiqi.app.web.deps import PENDING_COOKIE, SESSION_COOKIE, CurrentPage, Page, local_path, reading, secure

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
Code = Annotated[str, Form(max_length=20)]
Next = Annotated[str, Form(max_length=500)]



def waiting(page: Page, exc: TooManyAttempts) -> str:
    return page._("尝试次数过多，请%(seconds)s秒后再试。账户没有被锁定，稍候即可再次登录。",
                  seconds=exc.retry_after)


def with_retry_after(response: HTMLResponse, exc: TooManyAttempts | None) -> HTMLResponse:
    if exc is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def signed_in(page: Page, result: auth.LoginResult, next_path: str) -> RedirectResponse:
    """Logged in: the session cookie, then the page asked for (or /password first)."""
    request = page.request
    response = page.redirect("/password" if result.must_change_password else local_path(next_path))
    policy: auth.SessionPolicy = request.app.state.session_policy
    response.set_cookie(SESSION_COOKIE, result.token, httponly=True, samesite="lax",
                        secure=secure(request), max_age=int(policy.lifetime.total_seconds()))
    response.delete_cookie(PENDING_COOKIE, path="/login", httponly=True, samesite="lax",
                           secure=secure(request))
    return response


def _login_page(page: Page, *, next_path: str, errors: dict[str, str], username: str = "",
                ended: bool = False) -> HTMLResponse:
    return page.render("pages/login.html", next=local_path(next_path), errors=errors, username=username,
                       ended=ended or page.session_ended)


@router.get("/login")
def login_form(request: Request, page: CurrentPage, next: str = "/", ended: bool = False) -> HTMLResponse:
    response = _login_page(page, next_path=next, errors={}, ended=ended)
    if page.session_ended:  # told once: the stale cookie goes
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure(request))
    return response


@router.post("/login", response_model=None)
def login(request: Request, page: CurrentPage,
          username: Annotated[str, Form(max_length=60)] = "",
          password: Annotated[str, Form(max_length=passwords.MAX_LENGTH)] = "",
          next: Next = "/") -> HTMLResponse | RedirectResponse:
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = page._("请输入用户名")
    if not password:
        errors["password"] = page._("请输入密码")
    throttled: TooManyAttempts | None = None
    if not errors:
        policy = request.app.state.session_policy

        def step(s: Session) -> auth.LoginResult:
            result = auth.login(s, username=username.strip(), password=password, address=address(request),
                                policy=policy)
            if result.kind == "enrol":  # the secret to show is made now: the enrolment page only reads
                user, _row = auth.authenticate(s, result.token, kinds=("enrol",), policy=policy)
                auth.enrol(s, user_id=user.id)
            return result

        try:
            result = auth.counted(request.app.state.sessions, step)
        except TooManyAttempts as exc:
            throttled, errors["username"] = exc, waiting(page, exc)
        except Unauthorised:
            errors["username"] = page._("用户名或密码不正确")
        else:
            if result.kind == "session":
                return signed_in(page, result, next)
            target = "/login/code" if result.kind == "totp" else "/login/enrol"
            response = page.redirect(target + "?" + urlencode({"next": local_path(next)}))
            response.set_cookie(PENDING_COOKIE, result.token, max_age=result.expires_in, path="/login",
                                httponly=True, samesite="lax", secure=secure(request))
            return response
    # htmx does not swap 4xx answers: a form with errors is a 200 page
    return with_retry_after(_login_page(page, next_path=next, errors=errors, username=username), throttled)


def _pending(request: Request, kind: str) -> tuple[User, Token] | None:
    """The user and token of the login waiting for its second factor, if it is still of ``kind``."""
    token = request.cookies.get(PENDING_COOKIE)
    if not token:
        return None
    with reading(request) as s:
        try:
            user, row = auth.authenticate(s, token, kinds=(kind,), policy=request.app.state.session_policy)
        except DomainError:
            return None
        s.expunge_all()
        return user, row


def _start_again(page: Page, next_path: str) -> RedirectResponse:
    """The pending login expired (or never was): the password again, with the reason shown."""
    return page.redirect("/login?" + urlencode({"next": local_path(next_path), "ended": "true"}))


def _code_error(page: Page, code: str) -> str | None:
    code = code.strip()
    if not code:
        return page._("请输入动态口令")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return page._("动态口令是6位数字")
    return None


@router.get("/login/code", response_model=None)
def code_form(request: Request, page: CurrentPage, next: str = "/") -> HTMLResponse | RedirectResponse:
    if _pending(request, "totp") is None:
        return _start_again(page, next)
    return page.render("pages/login_code.html", next=local_path(next), errors={}, code="")


@router.post("/login/code", response_model=None)
def code(request: Request, page: CurrentPage, code: Code = "",
         next: Next = "/") -> HTMLResponse | RedirectResponse:
    token = request.cookies.get(PENDING_COOKIE)
    if token is None or _pending(request, "totp") is None:
        return _start_again(page, next)
    error = _code_error(page, code)
    throttled: TooManyAttempts | None = None
    if error is None:
        policy = request.app.state.session_policy
        try:
            result = auth.counted(request.app.state.sessions, lambda s: auth.second_factor(
                s, token=token, code=code.strip(), address=address(request), policy=policy))
        except TooManyAttempts as exc:
            throttled, error = exc, waiting(page, exc)
        except Unauthorised:
            error = page._("动态口令不正确或已使用过，请输入验证器中的新口令")
        else:
            return signed_in(page, result, next)
    response = page.render("pages/login_code.html", next=local_path(next), errors={"code": error}, code="")
    return with_retry_after(response, throttled)


def _enrol_page(page: Page, user: User, *, next_path: str, errors: dict[str, str]) -> HTMLResponse:
    assert user.totp_secret is not None  # made when the password was accepted
    e = totp.enrolment(user.totp_secret, user.username)
    groups = " ".join(e.secret[i:i + 4] for i in range(0, len(e.secret), 4))
    # segno's SVG of our own otpauth:// URI: paths only, no script and no style attribute
    return page.render("pages/login_enrol.html", next=local_path(next_path), errors=errors,
                       qr_svg=Markup(e.qr_svg), secret=groups)


@router.get("/login/enrol", response_model=None)
def enrol_form(request: Request, page: CurrentPage, next: str = "/") -> HTMLResponse | RedirectResponse:
    found = _pending(request, "enrol")
    if found is None or found[0].totp_secret is None:
        return _start_again(page, next)
    return _enrol_page(page, found[0], next_path=next, errors={})


@router.post("/login/enrol", response_model=None)
def enrol(request: Request, page: CurrentPage, code: Code = "",
          next: Next = "/") -> HTMLResponse | RedirectResponse:
    found = _pending(request, "enrol")
    if found is None or found[0].totp_secret is None:
        return _start_again(page, next)
    user, row = found
    error = _code_error(page, code)
    throttled: TooManyAttempts | None = None
    if error is None:
        policy = request.app.state.session_policy

        def step(s: Session) -> auth.LoginResult | None:
            token_row = s.get(Token, row.id)
            assert token_row is not None  # authenticated just now
            return auth.confirm(s, user_id=user.id, token_row=token_row, code=code.strip(),
                                address=address(request), policy=policy)

        try:
            result = auth.counted(request.app.state.sessions, step)
        except TooManyAttempts as exc:
            throttled, error = exc, waiting(page, exc)
        except Unauthorised:
            error = page._("动态口令不正确，请输入验证器中显示的口令")
        except Conflict:  # set up meanwhile (another tab): log in with a code
            return _start_again(page, next)
        else:
            assert result is not None  # an enrolling login always gets its session
            return signed_in(page, result, next)
    return with_retry_after(_enrol_page(page, user, next_path=next, errors={"code": error}), throttled)


@router.post("/logout")
def logout(request: Request, page: CurrentPage) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with transaction(request.app.state.sessions) as s:
            auth.logout(s, token)
    response = page.redirect("/")
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure(request))
    return response
