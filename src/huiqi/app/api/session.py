"""Logging in and out, and the administrator's user management."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ConfigDict, Field

from huiqi.app.api.deps import DB, Current, bearer, factory
from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Role
from huiqi.app.db import transaction
from huiqi.app.errors import DomainError, TooManyAttempts, Unauthorised

router = APIRouter(tags=["users"])


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=200)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=60, pattern=r"^[A-Za-z0-9_.@-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=auth.MIN_PASSWORD, max_length=200)
    role: Role
    org_id: int | None = None
    person_id: int | None = None
    department: str | None = Field(None, max_length=60)


class Active(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


@router.post("/auth/login", summary="Log in: a bearer token (5 failures lock the account 15 min)")
def login(body: Login, f: Annotated[Any, Depends(factory)]) -> dict[str, Any]:
    failure: DomainError | None = None
    with transaction(f) as s:  # a failed attempt is counted even though the request fails
        try:
            token = auth.login(s, username=body.username, password=body.password)
        except (Unauthorised, TooManyAttempts) as exc:
            failure = exc
    if failure is not None:
        raise failure
    return {"token": token, "token_type": "bearer", "expires_in": int(auth.TOKEN_LIFETIME.total_seconds())}


@router.post("/auth/logout", summary="Revoke the token in use")
def logout(db: DB, actor: Current,
           creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> dict[str, str]:
    assert creds is not None
    auth.logout(db, creds.credentials)
    return {"status": "logged out"}


@router.get("/auth/me", summary="Who I am")
def me(actor: Current) -> dict[str, Any]:
    return {"username": actor.username, "role": actor.role.value, "org_id": actor.org_id,
            "person_id": actor.person_id, "department": actor.department}


@router.get("/users", summary="Users (administrator, auditor)")
def users(db: DB, actor: Current) -> list[dict[str, Any]]:
    return [auth.user_json(u) for u in auth.list_users(db, actor=actor)]


@router.post("/users", status_code=201, summary="Create a user (administrator)")
def create_user(body: UserIn, db: DB, actor: Current) -> dict[str, Any]:
    u = auth.create_user(db, actor=actor, username=body.username, password=body.password,
                         role=body.role, display_name=body.display_name, org_id=body.org_id,
                         person_id=body.person_id, department=body.department)
    return auth.user_json(u)


@router.put("/users/{user_id}/active", summary="Enable or disable a user (administrator)")
def set_active(user_id: int, body: Active, db: DB, actor: Current) -> dict[str, Any]:
    return auth.user_json(auth.set_active(db, actor=actor, user_id=user_id, active=body.active))
