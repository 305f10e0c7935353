"""Logging in (password, then a second-factor code), sessions, passwords; the administrators'
user management: the system administrator's applicants, the two-person requests for privileged
accounts, the security administrator's resets."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from huiqi.app.api.deps import DB, Credentials, Current, Pending, Restricted, address, factory
from huiqi.app.auth import duties, passwords
from huiqi.app.auth import service as auth
from huiqi.app.auth.models import Token
from huiqi.app.auth.roles import Role
from huiqi.app.errors import Forbidden, Unauthorised

router = APIRouter(tags=["users"])
T = TypeVar("T")
Code = Annotated[str, Field(pattern=r"^[0-9]{6}$", description="the 6-digit code of the authenticator app")]
Username = Annotated[str, Field(min_length=3, max_length=60, pattern=r"^[A-Za-z0-9_.@-]+$")]


class Login(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=60)
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)
    new_password: str = Field(min_length=passwords.MIN_LENGTH, max_length=passwords.MAX_LENGTH)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Username
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=passwords.MIN_LENGTH, max_length=passwords.MAX_LENGTH,
                          description="initial password, changed by the user at first login")
    role: Role
    org_id: int | None = None
    person_id: int | None = None
    department: str | None = Field(None, max_length=60)


class Active(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool


class UserRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role = Field(description="a staff role (reviewer, office, finance, auditor, an administrator)")
    reason: str = Field(min_length=1, max_length=500)
    username: Username | None = Field(None, description="a new account's name (or give user_id)")
    display_name: str | None = Field(None, min_length=1, max_length=100)
    department: str | None = Field(None, max_length=60)
    user_id: int | None = Field(None, description="an existing user whose role changes")


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool



Factory = Annotated[Any, Depends(factory)]


@router.post("/auth/login", summary="Log in: a session token, or (staff) a token awaiting the "
             "second-factor code; repeated failures are delayed (429 with Retry-After)")
def login(body: Login, f: Factory, request: Request) -> dict[str, Any]:
    policy = request.app.state.session_policy
    return auth.counted(f, lambda s: auth.login(s, username=body.username, password=body.password,
                                            address=address(request), policy=policy)).json()


@router.post("/auth/totp", summary="Log in, step two: the second-factor code → a session token")
def second_factor(body: CodeIn, f: Factory, request: Request, creds: Credentials) -> dict[str, Any]:
    if creds is None:
        raise Unauthorised("log in first: POST /auth/login gives the token to send here")
    policy = request.app.state.session_policy
    return auth.counted(f, lambda s: auth.second_factor(s, token=creds.credentials, code=body.code,
                                                    address=address(request), policy=policy)).json()


@router.post("/auth/totp/enrol", summary="Set up the second factor: a secret, its otpauth:// URI "
             "and a QR code (SVG) to scan; confirm with a first code")
def enrol(db: DB, who: Pending) -> dict[str, Any]:
    if who.kind == "totp":
        raise Forbidden("second factor already set up: send its code to POST /auth/totp")
    e = auth.enrol(db, user_id=who.user_id)
    return {"secret": e.secret, "otpauth_uri": e.uri, "qr_svg": e.qr_svg}


@router.post("/auth/totp/confirm", summary="Confirm the second factor with a first code (a login "
             "that waited for it gets its session token)")
def confirm(body: CodeIn, f: Factory, request: Request, who: Pending) -> dict[str, Any]:
    if who.kind == "totp":
        raise Forbidden("second factor already set up: send its code to POST /auth/totp")

    def step(s: Session) -> dict[str, Any]:
        token = s.get(Token, who.token_id)
        assert token is not None  # authenticated just now
        done = auth.confirm(s, user_id=who.user_id, token_row=token, code=body.code,
                            address=address(request), policy=request.app.state.session_policy)
        return {"second_factor": True, **(done.json() if done else {})}

    return auth.counted(f, step)


@router.post("/auth/password", summary="Change my password: every session ends, a new token is given")
def change_password(body: PasswordChange, f: Factory, request: Request, who: Restricted) -> dict[str, Any]:
    policy = request.app.state.session_policy
    return auth.counted(f, lambda s: auth.change_password(
        s, user_id=who.user_id, current=body.current_password, new=body.new_password,
        address=address(request), policy=policy)).json()


@router.post("/auth/logout", summary="Revoke the token in use")
def logout(db: DB, who: Pending, creds: Credentials) -> dict[str, str]:
    assert creds is not None  # Pending refused a request without one
    auth.logout(db, creds.credentials)
    return {"status": "logged out"}


@router.get("/auth/me", summary="Who I am")
def me(who: Restricted) -> dict[str, Any]:
    a = who.actor
    return {"username": a.username, "role": a.role.value, "org_id": a.org_id, "person_id": a.person_id,
            "department": a.department, "must_change_password": who.must_change_password}


@router.get("/users", summary="Users (administrators, auditor)")
def users(db: DB, actor: Current) -> list[dict[str, Any]]:
    return [auth.user_json(u) for u in auth.list_users(db, actor=actor)]


@router.post("/users", status_code=201, summary="Create an applicant's account (system administrator; "
             "staff accounts: POST /user-requests)")
def create_user(body: UserIn, db: DB, actor: Current) -> dict[str, Any]:
    u = auth.create_user(db, actor=actor, username=body.username, password=body.password,
                         role=body.role, display_name=body.display_name, org_id=body.org_id,
                         person_id=body.person_id, department=body.department)
    return auth.user_json(u)


@router.put("/users/{user_id}/active", summary="Enable or disable a user (system administrator)")
def set_active(user_id: int, body: Active, db: DB, actor: Current) -> dict[str, Any]:
    return auth.user_json(auth.set_active(db, actor=actor, user_id=user_id, active=body.active))


@router.post("/users/{user_id}/password-reset", summary="A temporary password, to be changed at next "
             "login (security administrator)")
def reset_password(user_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return {"user_id": user_id, "temporary_password": auth.reset_password(db, actor=actor, user_id=user_id),
            "must_change_password": True}


@router.post("/users/{user_id}/second-factor/reset", summary="Remove a lost second factor; the next "
             "login sets up a new one (security administrator)")
def reset_second_factor(user_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return auth.user_json(auth.reset_second_factor(db, actor=actor, user_id=user_id))


@router.post("/users/{user_id}/unlock", summary="Clear the login delay on an account (security "
             "administrator)")
def unlock(user_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return auth.user_json(auth.unlock(db, actor=actor, user_id=user_id))


@router.get("/user-requests", summary="Requests for privileged accounts (administrators)")
def user_requests(db: DB, actor: Current, state: str | None = None) -> list[dict[str, Any]]:
    return [duties.request_json(r) for r in duties.requests(db, actor=actor, state=state)]


@router.post("/user-requests", status_code=201, summary="Request a staff account or a change of role "
             "(system or security administrator)")
def request_user(body: UserRequestIn, db: DB, actor: Current) -> dict[str, Any]:
    return duties.request_json(duties.request(
        db, actor=actor, role=body.role, reason=body.reason, username=body.username,
        display_name=body.display_name, department=body.department, user_id=body.user_id))


@router.post("/user-requests/{user_request_id}/decision", summary="Approve or refuse a request (an "
             "administrator of another role than the requester's); a new account's initial password "
             "is shown once")
def decide_request(user_request_id: int, body: DecisionIn, db: DB, actor: Current) -> dict[str, Any]:
    req, password = duties.decide(db, actor=actor, request_id=user_request_id, approve=body.approve)
    return {**duties.request_json(req), "initial_password": password}
