"""The API's documentation (OpenAPI document, Swagger UI, ReDoc) behind login in production.

Public with ``--demo`` or ``HUIQI_PUBLIC_DOCS=1``; otherwise a valid bearer token is needed, as for
any other route (the docs' own script and style files stay public: they hold nothing of ours).
"""

from __future__ import annotations

from typing import Any

import anyio
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from huiqi.app.api.headers import DOCS_PAGES
from huiqi.app.api.problems import problem
from huiqi.app.auth import service as auth
from huiqi.app.errors import DomainError

DOCS = (*DOCS_PAGES, "/openapi.json", "/docs/oauth2-redirect")


class DocsLogin:
    """ASGI middleware: in production the OpenAPI document and its pages need a bearer token."""

    def __init__(self, app: ASGIApp, *, public: bool) -> None:
        self.app = app
        self.public = public

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.public or scope["type"] != "http" or scope["path"] not in DOCS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = Headers(scope=scope).get("authorization", "")
        if await anyio.to_thread.run_sync(_logged_in, request.app.state, token):
            await self.app(scope, receive, send)
            return
        answer = problem(request, 401, code="unauthorised", headers={"WWW-Authenticate": "Bearer"},
                         message="the API documentation needs a login here: send "
                         "'Authorization: Bearer <token>' (POST /auth/login)",
                         message_zh="查看接口文档需先登录（POST /auth/login，再以 Bearer 令牌访问）")
        await answer(scope, receive, send)


def _logged_in(state: Any, authorization: str) -> bool:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    try:
        with state.readers() as session, session.begin():
            auth.authenticate(session, token.strip())
    except DomainError:
        return False
    return True
