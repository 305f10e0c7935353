"""What the audit needs from the HTTP layer: each request's source address and user agent, and a
periodic signed checkpoint of the chain's head while the server runs.

``install(app)`` adds both: an ASGI middleware that sets ``audit.origin.current`` for the request
(the address is the TCP peer's; behind a reverse proxy it is the proxy's), and a task in the
app's lifespan that anchors the head at start and every ``HUIQI_AUDIT_CHECKPOINT_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.types import ASGIApp, Receive, Scope, Send

from huiqi.app.audit import checkpoints
from huiqi.app.audit.origin import Origin, current

log = logging.getLogger("huiqi.audit")


class OriginMiddleware:
    """Sets the request's origin for every audit entry written while it is served."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        agent = next((v.decode("utf-8", "replace") for k, v in scope.get("headers", ())
                      if k == b"user-agent"), None)
        token = current.set(Origin.of(client[0] if client else None, agent))
        try:
            await self.app(scope, receive, send)
        finally:
            current.reset(token)


async def _checkpoint(engine: Engine) -> None:
    try:
        await asyncio.to_thread(checkpoints.write, engine, force=False)
    except Exception:  # keep serving; the next period tries again
        log.exception("audit checkpoint could not be written")


async def _every_period(engine: Engine) -> None:
    """Checkpoint the head every period (only when it moved)."""
    seconds = checkpoints.config_for(engine).seconds
    while True:
        await asyncio.sleep(seconds)
        await _checkpoint(engine)


def install(app: FastAPI) -> None:
    """Record each request's origin in the audit and anchor the chain periodically."""
    app.add_middleware(OriginMiddleware)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        await _checkpoint(app.state.engine)  # covers what was written while the server was down
        task = asyncio.create_task(_every_period(app.state.engine))
        try:
            async with inner(a) as state:
                yield state
        finally:
            task.cancel()

    app.router.lifespan_context = lifespan
