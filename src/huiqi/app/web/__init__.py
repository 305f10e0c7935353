"""The web pages: server-rendered Jinja2 with small htmx enhancements, Chinese first, English one
click away, every asset served from ``static/``. ``install`` adds them to the API's application;
the API keeps its paths and JSON errors, the pages answer browsers with HTML pages."""

from __future__ import annotations

import inspect
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from asgi_csrf import asgi_csrf
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from huiqi.app.errors import DomainError
from huiqi.app.web import (
    applications,
    apply,
    assist,
    calculator,
    library,
    login,
    matching,
    notices,
    pages,
    password,
    people,
    requests,
    space,
)
from huiqi.app.web.deps import LoginRequired, PasswordChangeRequired, _page, is_multipart, is_page

STATIC = Path(__file__).parent / "static"
MODULES = (pages, login, password, library, calculator, matching, apply, assist, applications, requests,
           space, notices, people)
"""The page modules, each with its ``router`` (their routes are left out of the API's schema)."""
# The CSRF cookie's signing key: set HUIQI_SECRET_KEY when several worker processes serve the
# site (each must accept the others' tokens); otherwise each start makes its own.
SECRET_ENV = "HUIQI_SECRET_KEY"


class _Pages:
    """asgi-csrf checks a POST without any cookie only on the paths it is told to 'always
    protect'; the pages' paths are a prefix set, so this answers ``in`` for them."""

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and is_page(path)


def _skip(scope: dict[str, Any]) -> bool:
    # the API authenticates by bearer token, not by cookie; a page's multipart POST (an upload)
    # is checked by the pages themselves (deps._multipart_csrf)
    return not is_page(scope["path"]) or is_multipart(scope)


async def _csrf_failed(scope: dict[str, Any], send: Any, message_id: int) -> None:
    body = ("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>403</title></head>"
            "<body><h1>表单已过期，请返回上一页刷新后重试</h1>"
            "<p lang=\"en\">The form has expired: go back, reload the page and try again.</p></body></html>")
    await send({"type": "http.response.start", "status": 403,
                "headers": [[b"content-type", b"text/html; charset=utf-8"]]})
    await send({"type": "http.response.body", "body": body.encode("utf-8")})


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    """Add the pages, their static files, CSRF protection and HTML error pages to ``app``."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in MODULES:
        app.include_router(module.router)
    app.add_middleware(
        asgi_csrf,
        signing_secret=os.environ.get(SECRET_ENV) or secrets.token_hex(32),
        always_protect=_Pages(), skip_if_scope=_skip, send_csrf_failed=_csrf_failed,
    )
    # the API's answers (one error shape, database errors by type) stay for every non-page request
    domain_json = app.exception_handlers[DomainError]
    http_json = app.exception_handlers[HTTPException]
    error_json = app.exception_handlers[Exception]

    async def api_answer(handler: Any, request: Request, exc: Exception) -> Response:
        response = handler(request, exc)
        return await response if inspect.isawaitable(response) else response  # type: ignore[no-any-return]

    def error_page(request: Request, status: int) -> Response:
        # a method a page does not answer (GET /logout) reads as a page that is not there
        template = {403: "errors/403.html", 404: "errors/404.html", 405: "errors/404.html"}.get(
            status, "errors/500.html")
        return _page(request).render(template, status=status)

    async def on_domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        if not _wants_html(request):
            return await api_answer(domain_json, request, exc)
        if exc.status == 401:
            return RedirectResponse("/login", status_code=303)
        if exc.status in (409, 422, 429):  # a state, a rule or a rate said no: say so, not "error"
            retry = getattr(exc, "retry_after", None)
            response = _page(request).render("errors/problem.html", status=exc.status,
                                             problem=exc.status, detail=exc.message, retry_after=retry)
            if retry is not None:
                response.headers["Retry-After"] = str(retry)
            return response
        return error_page(request, exc.status if exc.status in (403, 404) else 500)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if _wants_html(request) and exc.status_code in (403, 404, 405):
            return error_page(request, exc.status_code)
        return await api_answer(http_json, request, exc)

    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        page = _page(request)
        return page.redirect("/login?" + urlencode({"next": exc.next_path}))

    async def on_password_change(request: Request, exc: Exception) -> Response:
        return _page(request).redirect("/password")

    async def on_error(request: Request, exc: Exception) -> Response:
        if _wants_html(request):
            return error_page(request, 500)
        return await api_answer(error_json, request, exc)

    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(PasswordChangeRequired, on_password_change)
    app.add_exception_handler(Exception, on_error)
