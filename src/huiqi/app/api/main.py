"""The HTTP API: one FastAPI application over the platform's services.

Routes translate HTTP to service calls and back; the services decide. Domain errors carry their
status; every error answers in one shape (``problems``); a change made by someone else at the same
moment is a 409. Middleware guards the edge: body limits and hostile JSON (``guard``), security
headers (``headers``), the docs behind login in production (``docs``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.engine import make_url

from huiqi.app import web
from huiqi.app.api import (
    applications,
    audit,
    budget,
    calculator,
    documents,
    imports,
    matching,
    members,
    notices,
    origin,
    problems,
    registry,
    requests,
    session,
    settings,
)
from huiqi.app.api.docs import DocsLogin
from huiqi.app.api.guard import BodyGuard
from huiqi.app.api.headers import SecurityHeaders
from huiqi.app.applications.documents import folder_for as files_folder
from huiqi.app.auth.service import SessionPolicy
from huiqi.app.config import Config, current
from huiqi.app.db import DEFAULT_URL, make_engine, normalise_url, sessions

DESCRIPTION = """惠企 huiqi — 通政发〔2024〕8号: the calculator, the registry, applications with parallel
review (并联审批), decisions within the ceiling, budgets and payments, requests (诉求直通) and the
audit trail. Money is a decimal string in yuan with two places. Log in with `POST /auth/login` and
send the token as `Authorization: Bearer <token>`."""


# As many connections as threads serving requests (anyio's default: 40), so that a burst of
# requests waits its turn for the CPU, not 30 s for a pooled connection and then a 500.
SERVER_POOL = {"pool_size": 10, "max_overflow": 30}


def create_app(url: str = DEFAULT_URL, *, bank_url: str | None = None,
               config: Config | None = None) -> FastAPI:
    """The API over the database at ``url`` (already migrated); limits from ``config`` (default:
    the environment, see ``huiqi.app.config``)."""
    config = config or current()
    in_memory = make_url(normalise_url(url)).database in (None, "", ":memory:")  # one shared connection
    engine = make_engine(url, **({} if in_memory else SERVER_POOL))
    # the docs pages' scripts and styles are served by the app itself: intranets are offline
    app = FastAPIOffline(title="huiqi 惠企", version="0.1.0", description=DESCRIPTION)
    app.state.engine = engine
    app.state.sessions = sessions(engine)
    app.state.readers = sessions(engine, read_only=True)
    app.state.bank_url = bank_url or url
    app.state.session_policy = SessionPolicy.from_env()
    origin.install(app)  # audit: each request's source address and user agent; periodic checkpoints
    app.state.config = config
    app.state.calc_limiter = MovingWindowRateLimiter(MemoryStorage())
    app.state.files = files_folder(url)  # supporting documents, outside the web root

    problems.install(app)
    # outermost last: headers on every answer, then the body's limits, then the docs' login
    app.add_middleware(DocsLogin, public=config.public_docs)
    app.add_middleware(BodyGuard, config=config)
    app.add_middleware(SecurityHeaders)
    for module in (session, calculator, registry, imports, applications, documents, matching, budget,
                   requests, notices, audit, settings, members):
        app.include_router(module.router)
    web.install(app)  # the pages, at /, outside the OpenAPI schema
    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn huiqi.app.api.main:app_from_env --factory``: the URL in ``HUIQI_DB``."""
    import os

    return create_app(os.environ.get("HUIQI_DB", DEFAULT_URL))


