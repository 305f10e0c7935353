"""What every route shares: one transaction per request, the acting user, and money in and out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Actor
from huiqi.app.db import transaction, utcnow
from huiqi.app.errors import Forbidden, Unauthorised
from huiqi.engine.money import fen_to_yuan, yuan_to_fen

bearer = HTTPBearer(auto_error=False, description="token from POST /auth/login")
# Money on the wire: a decimal string or number in yuan with at most two places, never a float.
Yuan = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2, examples=["8400000.00"])]


def factory(request: Request) -> sessionmaker[Session]:
    f: sessionmaker[Session] = request.app.state.sessions
    return f


def _session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the route returns, rolled back on any error.
    GET requests only read, and take no write lock."""
    make = request.app.state.readers if request.method == "GET" else factory(request)
    with make() as session, session.begin():
        yield session


def _read_session(request: Request) -> Iterator[Session]:
    """A session that only reads, whatever the method (the calculator's POST)."""
    with request.app.state.readers() as session, session.begin():
        yield session


DB = Annotated[Session, Depends(_session, scope="function")]
ReadDB = Annotated[Session, Depends(_read_session, scope="function")]


@dataclass(frozen=True)
class SessionOf:
    """The acting user and the session (token) they act through."""

    actor: Actor
    user_id: int
    token_id: int
    kind: str
    must_change_password: bool


TOUCH_EVERY = timedelta(minutes=1)  # last-seen is written at most this often (a write per request is dear)


def _session_of(request: Request, creds: HTTPAuthorizationCredentials | None,
                kinds: tuple[str, ...]) -> SessionOf:
    """The user behind the bearer token, looked up in a short transaction of its own (so routes
    that run their own transactions, like payment runs, hold no lock while they work); a full
    session's last-seen time is brought forward."""
    if creds is None:
        raise Unauthorised("log in first: POST /auth/login, then send 'Authorization: Bearer <token>'")
    policy: auth.SessionPolicy = request.app.state.session_policy
    now = utcnow()
    with request.app.state.readers() as session, session.begin():
        user, token = auth.authenticate(session, creds.credentials, kinds=kinds, now=now, policy=policy)
        seen = token.last_seen_at or token.created_at
        found = SessionOf(auth.actor_of(user), user.id, token.id, token.kind, user.must_change_password)
    if token.kind == "session" and now - seen >= TOUCH_EVERY:
        with transaction(factory(request)) as session:
            auth.touch(session, token.id, now)
    return found


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _restricted(request: Request, creds: Credentials) -> SessionOf:
    return _session_of(request, creds, ("session",))


def _actor(request: Request, creds: Credentials) -> Actor:
    """The acting user of a full session; one with an initial or reset password may only change
    it (and log out)."""
    found = _session_of(request, creds, ("session",))
    if found.must_change_password:
        raise Forbidden("password: 请先修改初始密码 change your initial or reset password first: "
                        "POST /auth/password")
    return found.actor


def _pending(request: Request, creds: Credentials) -> SessionOf:
    return _session_of(request, creds, ("session", "totp", "enrol"))


def address(request: Request) -> str:
    """The client's address (behind a trusted proxy: the one it forwards, as uvicorn resolves it)."""
    return request.client.host if request.client else "unknown"


Current = Annotated[Actor, Depends(_actor)]
Restricted = Annotated[SessionOf, Depends(_restricted)]
"""Any full session, also one whose password must be changed first."""
Pending = Annotated[SessionOf, Depends(_pending)]
"""Any token, also a login waiting for its second factor."""


def fen(amount: Decimal) -> int:
    return yuan_to_fen(amount)


def yuan(amount_fen: int | None) -> str | None:
    return None if amount_fen is None else f"{fen_to_yuan(amount_fen)}"
