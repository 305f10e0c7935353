"""What every route shares: one transaction per request, the acting user, and money in and out."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Actor
from huiqi.app.errors import Unauthorised
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


def _actor(request: Request,
           creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Actor:
    """The user behind the bearer token, looked up in a short transaction of its own (so routes
    that run their own transactions, like payment runs, hold no lock while they work)."""
    if creds is None:
        raise Unauthorised("log in first: POST /auth/login, then send 'Authorization: Bearer <token>'")
    with request.app.state.readers() as session, session.begin():
        return auth.actor_of(auth.authenticate(session, creds.credentials))


Current = Annotated[Actor, Depends(_actor)]


def fen(amount: Decimal) -> int:
    return yuan_to_fen(amount)


def yuan(amount_fen: int | None) -> str | None:
    return None if amount_fen is None else f"{fen_to_yuan(amount_fen)}"
