"""What every page shares: the user behind the session cookie, the language, 长辈版, the CSRF
token, htmx requests, and rendering a template (or one of its blocks) in the page's language."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2_fragments import render_block
from sqlalchemy.orm import Session

from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import STAFF, Actor, Role
from huiqi.app.db import transaction, utcnow
from huiqi.app.errors import Forbidden, Unauthorised
from huiqi.app.notices import service as notices
from huiqi.app.web import i18n

SESSION_COOKIE = "huiqi_session"
PENDING_COOKIE = "huiqi_login"  # a login waiting for its second factor (minutes, /login only)
LANG_COOKIE = "lang"
MODE_COOKIE = "mode"  # "senior": 长辈版, large text and targets
CONTRAST_COOKIE = "contrast"  # "on": the high-contrast theme (text and links ≥ 7:1)
YEAR = 60 * 60 * 24 * 365
# Paths the pages own: CSRF is enforced on them even for a request without cookies
PAGE_PREFIXES = ("/login", "/logout", "/password", "/mode", "/policies", "/calculator", "/me", "/staff")
# What a user whose password must be changed may still open
CHANGE_FIRST = ("/password", "/logout")
TOUCH_EVERY = timedelta(minutes=1)  # as the API: last-seen is written at most this often


def is_page(path: str) -> bool:
    return path == "/" or any(path == p or path.startswith(p + "/") for p in PAGE_PREFIXES)


def local_path(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only (never //host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


class PasswordChangeRequired(Exception):
    """A user with an initial or reset password asked for another page than /password."""


class LoginRequired(Exception):
    """A page that needs a logged-in user was asked for anonymously: go to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass
class Page:
    request: Request
    locale: str
    actor: Actor | None
    senior: bool
    lang_from_query: bool
    contrast: bool = False
    must_change_password: bool = False
    session_ended: bool = False  # a session cookie whose session expired, idled out or was revoked
    user_id: int | None = None
    unread: int = 0  # the applicant's unread notices (站内信), counted in the header

    def _(self, message: str, **values: Any) -> str:
        return i18n.gettext(self.locale, message, **values)

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def require(self, *roles: Role) -> Actor:
        """The logged-in user, if its role is one of ``roles`` (any role when none given)."""
        if self.actor is None:
            raise LoginRequired(self.here)
        if roles and self.actor.role not in roles:
            raise Forbidden("role may not open this page")
        return self.actor

    @property
    def here(self) -> str:
        url = self.request.url
        return url.path + (f"?{url.query}" if url.query else "")

    def switch_url(self, **params: str) -> str:
        """This page with some query parameters replaced (the language switch)."""
        query = dict(self.request.query_params) | params
        return self.request.url.path + "?" + urlencode(query)

    def nav(self) -> list[tuple[str, str]]:
        """The header's links for this user's role: (href, label)."""
        links = [("/policies", self._("政策库")), ("/calculator", self._("政策计算器"))]
        if self.actor is None:
            return links
        home = self._("工作台") if self.actor.role in STAFF else self._("我的主页")
        if self.actor.role is Role.APPLICANT:
            inbox = self._("站内信（%(n)s条未读）", n=self.unread) if self.unread else self._("站内信")
            return [("/", home), ("/me/notices", inbox), *links]
        if self.actor.role is Role.SERVICE:
            return [("/", home), ("/staff/assist", self._("帮办")), *links]
        return [("/", home), *links]

    def staff_links(self) -> list[tuple[str, str]]:
        """What a staff member can open, for the staff layout's side navigation: (href, label)."""
        service = self.actor is not None and self.actor.role is Role.SERVICE
        mine = [("/staff/assist", self._("帮办：授权企业"))] if service else []
        return [("/", self._("工作台")), *mine, ("/policies", self._("政策库")),
                ("/calculator", self._("政策计算器")),
                ("/docs", self._("接口文档（审核、核定、兑付等操作的页面即将上线，目前通过接口办理）"))]

    def render(self, template: str, *, status: int = 200, block: str | None = None,
               **context: Any) -> HTMLResponse:
        """The template in the page's language; only ``block`` for an htmx request."""
        env = i18n.environment(self.locale)
        csrf = self.request.scope.get("csrftoken")
        context |= {"page": self, "user": self.actor, "csrftoken": csrf() if csrf else "",
                    "senior": self.senior, "contrast": self.contrast}
        if block is not None and self.htmx:
            html = render_block(env, template, block, **context)
        else:
            html = env.get_template(template).render(**context)
        response = HTMLResponse(html, status_code=status)
        if block is not None:
            response.headers["Vary"] = "HX-Request"
        self.finish(response)
        return response

    def redirect(self, url: str) -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        self.finish(response)
        return response

    def finish(self, response: HTMLResponse | RedirectResponse) -> None:
        """Remember a language chosen with ?lang= for the next pages."""
        if self.lang_from_query:
            response.set_cookie(LANG_COOKIE, self.locale, max_age=YEAR, samesite="lax",
                                httponly=True, secure=secure(self.request))


def secure(request: Request) -> bool:
    """Cookies are Secure when the site is served over HTTPS (behind a proxy: --proxy-headers)."""
    return request.url.scheme == "https"


@dataclass(frozen=True)
class CookieSession:
    actor: Actor | None
    user_id: int | None = None
    must_change_password: bool = False
    ended: bool = False
    unread: int = 0


def session_from_cookie(request: Request) -> CookieSession:
    """The user behind the session cookie, checked with the app's session policy (lifetime and
    idle timeout); a session in use has its last-seen time brought forward, as the API does."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return CookieSession(None)
    policy: auth.SessionPolicy = request.app.state.session_policy
    now = utcnow()
    with request.app.state.readers() as session, session.begin():
        try:
            user, row = auth.authenticate(session, token, now=now, policy=policy)
        except Unauthorised:
            return CookieSession(None, ended=True)  # the visitor is anonymous again
        actor = auth.actor_of(user)
        found = CookieSession(actor, user.id, user.must_change_password,
                              unread=notices.unread(session, actor=actor) if actor.role is Role.APPLICANT
                              else 0)
        seen = row.last_seen_at or row.created_at
    if now - seen >= TOUCH_EVERY:
        with transaction(request.app.state.sessions) as session:
            auth.touch(session, row.id, now)
    return found


def _page(request: Request) -> Page:
    chosen = i18n.parse(request.query_params.get("lang"))
    locale = chosen or i18n.parse(request.cookies.get(LANG_COOKIE)) or i18n.DEFAULT
    found = session_from_cookie(request)
    return Page(request=request, locale=locale, actor=found.actor,
                senior=request.cookies.get(MODE_COOKIE) == "senior", lang_from_query=chosen is not None,
                contrast=request.cookies.get(CONTRAST_COOKIE) == "on",
                must_change_password=found.must_change_password, session_ended=found.ended,
                user_id=found.user_id, unread=found.unread)


def is_multipart(scope: Any) -> bool:
    for key, value in scope.get("headers") or []:
        if key == b"content-type":
            return bytes(value).split(b";", 1)[0].strip().lower() == b"multipart/form-data"
    return False


async def _multipart_csrf(request: Request) -> None:
    """A page's multipart POST (a file upload) carries its CSRF token in the form like any other:
    checked here, since asgi-csrf's own multipart reading does not work with python-multipart ≥
    0.0.13 and is skipped for them (``web._skip``). The expected token is the signed cookie's
    (a fresh random one when the cookie is missing or forged)."""
    if request.method != "POST" or not is_multipart(request.scope):
        return
    expected = request.scope.get("csrftoken")
    form = await request.form()
    given = form.get("csrftoken")
    if expected is None or not isinstance(given, str) or not secrets.compare_digest(given, expected()):
        raise Forbidden("csrftoken: the form's token is missing or does not match")


def _guarded_page(request: Request, _: Annotated[None, Depends(_multipart_csrf)] = None) -> Page:
    """The page, unless the user must change their password first (then only /password)."""
    page = _page(request)
    if page.must_change_password and request.url.path not in CHANGE_FIRST:
        raise PasswordChangeRequired()
    return page


CurrentPage = Annotated[Page, Depends(_guarded_page)]


@contextmanager
def reading(request: Request) -> Iterator[Session]:
    """A read-only unit of work for a page's GET."""
    with request.app.state.readers() as session, session.begin():
        yield session
