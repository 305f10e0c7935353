"""The HTTP API: one FastAPI application over the platform's services.

Routes translate HTTP to service calls and back; the services decide. Domain errors carry their
status; payload errors name the field (FastAPI's 422); a change made by someone else at the same
moment is a 409.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from huiqi.app.api import (
    applications,
    audit,
    budget,
    calculator,
    imports,
    matching,
    registry,
    requests,
    session,
    settings,
)
from huiqi.app.auth.service import SessionPolicy
from huiqi.app.db import DEFAULT_URL, make_engine, sessions
from huiqi.app.errors import DomainError

DESCRIPTION = """惠企 huiqi — 通政发〔2024〕8号: the calculator, the registry, applications with parallel
review (并联审批), decisions within the ceiling, budgets and payments, requests (诉求直通) and the
audit trail. Money is a decimal string in yuan with two places. Log in with `POST /auth/login` and
send the token as `Authorization: Bearer <token>`."""


def create_app(url: str = DEFAULT_URL, *, bank_url: str | None = None) -> FastAPI:
    """The API over the database at ``url`` (already migrated)."""
    engine = make_engine(url)
    # the docs pages' scripts and styles are served by the app itself: intranets are offline
    app = FastAPIOffline(title="huiqi 惠企", version="0.1.0", description=DESCRIPTION)
    app.state.engine = engine
    app.state.sessions = sessions(engine)
    app.state.readers = sessions(engine, read_only=True)
    app.state.bank_url = bank_url or url
    app.state.session_policy = SessionPolicy.from_env()

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.status,
                            headers=exc.headers)

    @app.exception_handler(StaleDataError)
    async def _stale(_: Request, exc: StaleDataError) -> JSONResponse:
        return JSONResponse({"detail": "the record was changed by someone else at the same moment; "
                             "reload it and try again", "code": "conflict"}, status_code=409)

    @app.exception_handler(IntegrityError)
    async def _integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        # the database's own text may quote other records' values (PIPL): not sent
        return JSONResponse({"detail": "conflicts with an existing record (a value that must be "
                             "unique is taken, or a referenced record does not exist)",
                             "code": "conflict"}, status_code=409)

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _range(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "a value is out of the range the records can hold "
                             "(an identifier or number too large)", "code": "out_of_range"},
                            status_code=422)

    @app.exception_handler(OperationalError)
    async def _busy(_: Request, exc: OperationalError) -> JSONResponse:
        if "locked" not in str(exc.orig):
            raise exc
        return JSONResponse({"detail": "the database is busy with a long task; try again shortly",
                             "code": "busy"}, status_code=503, headers={"Retry-After": "5"})

    for module in (session, calculator, registry, imports, applications, matching, budget, requests,
                   audit, settings):
        app.include_router(module.router)
    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn huiqi.app.api.main:app_from_env --factory``: the URL in ``HUIQI_DB``."""
    import os

    return create_app(os.environ.get("HUIQI_DB", DEFAULT_URL))


