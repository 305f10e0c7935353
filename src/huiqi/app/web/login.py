"""Logging in and out of the pages: a cookie holding the session token (HttpOnly, SameSite=Lax,
Secure over HTTPS). ``sign_in`` is the one place the pages call the auth service to log in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.auth import service as auth
from huiqi.app.db import transaction
from huiqi.app.errors import DomainError, TooManyAttempts, Unauthorised
from huiqi.app.web.deps import SESSION_COOKIE, CurrentPage, local_path, secure

router = APIRouter(include_in_schema=False)


def sign_in(factory: sessionmaker[Session], username: str, password: str) -> str:
    """A session token for the user, or the auth service's refusal (a failed attempt is counted
    even though the login fails, so it is committed first)."""
    failure: DomainError | None = None
    with transaction(factory) as s:
        try:
            token = auth.login(s, username=username, password=password)
        except (Unauthorised, TooManyAttempts) as exc:
            failure = exc
    if failure is not None:
        raise failure
    return token


@router.get("/login")
def login_form(page: CurrentPage, next: str = "/") -> HTMLResponse:
    return page.render("pages/login.html", next=local_path(next), errors={}, username="")


@router.post("/login", response_model=None)
def login(request: Request, page: CurrentPage,
          username: Annotated[str, Form(max_length=60)] = "",
          password: Annotated[str, Form(max_length=200)] = "",
          next: Annotated[str, Form(max_length=500)] = "/") -> HTMLResponse | RedirectResponse:
    errors: dict[str, str] = {}
    if not username.strip():
        errors["username"] = page._("请输入用户名")
    if not password:
        errors["password"] = page._("请输入密码")
    if not errors:
        try:
            token = sign_in(request.app.state.sessions, username.strip(), password)
        except TooManyAttempts:
            errors["username"] = page._("登录失败次数过多，账户已暂时锁定，请15分钟后再试")
        except Unauthorised:
            errors["username"] = page._("用户名或密码不正确")
        else:
            response = page.redirect(local_path(next))
            response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                                secure=secure(request),
                                max_age=int(auth.TOKEN_LIFETIME.total_seconds()))
            return response
    # htmx does not swap 4xx answers: a form with errors is a 200 page
    return page.render("pages/login.html", next=local_path(next), errors=errors, username=username)


@router.post("/logout")
def logout(request: Request, page: CurrentPage) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with transaction(request.app.state.sessions) as s:
            auth.logout(s, token)
    response = page.redirect("/")
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure(request))
    return response
