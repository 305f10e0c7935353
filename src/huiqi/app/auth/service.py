"""Users, passwords (argon2 through pwdlib), bearer tokens and the limit on login attempts."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.audit.service import record
from huiqi.app.auth.models import Token, User
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import utcnow
from huiqi.app.errors import Conflict, NotFound, Refused, TooManyAttempts, Unauthorised

hasher = PasswordHash.recommended()
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
TOKEN_LIFETIME = timedelta(hours=8)
MIN_PASSWORD = 10


def user_json(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "org_id": u.org_id, "person_id": u.person_id, "department": u.department,
            "active": u.active}


def actor_of(u: User) -> Actor:
    return Actor(u.username, Role(u.role), u.org_id, u.person_id, u.department)


def create_user(session: Session, *, actor: Actor, username: str, password: str, role: Role,
                display_name: str, org_id: int | None = None, person_id: int | None = None,
                department: str | None = None) -> User:
    """Create a user (administrator). Applicants belong to an organisation or are a person;
    reviewers to a department."""
    actor.require(Role.ADMIN)
    if len(password) < MIN_PASSWORD:
        raise Refused(f"password: at least {MIN_PASSWORD} characters")
    if role is Role.APPLICANT and (org_id is None) == (person_id is None):
        raise Refused("org_id: an applicant belongs to exactly one organisation or is one person")
    if role is not Role.APPLICANT and (org_id is not None or person_id is not None):
        raise Refused("org_id: only applicants belong to an organisation")
    if role is Role.REVIEWER and not department:
        raise Refused("department: a reviewer belongs to a department")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username: {username!r} is taken")
    user = User(username=username, display_name=display_name, password_hash=hasher.hash(password),
                role=role.value, org_id=org_id, person_id=person_id, department=department)
    session.add(user)
    session.flush()
    record(session, actor=actor, action="user.create", entity="user", entity_id=user.id,
           after=user_json(user))
    return user


def set_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    actor.require(Role.ADMIN)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    before = user_json(user)
    user.active = active
    if not active:
        for t in session.scalars(select(Token).where(Token.user_id == user.id)):
            t.revoked = True
    session.flush()
    record(session, actor=actor, action="user.active", entity="user", entity_id=user.id,
           before=before, after=user_json(user))
    return user


def list_users(session: Session, *, actor: Actor) -> list[User]:
    actor.require(Role.ADMIN, Role.AUDITOR)
    return list(session.scalars(select(User).order_by(User.id)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(session: Session, *, username: str, password: str, now: datetime | None = None) -> str:
    """A bearer token for valid credentials; after 5 failures the account waits 15 minutes."""
    now = now or utcnow()
    # locked: parallel guesses are counted one after the other, never over each other
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        hasher.verify(password, _DUMMY)  # same work as for a real user: no timing oracle
        raise Unauthorised("username or password is wrong")
    if user.locked_until is not None and user.locked_until > now:
        raise TooManyAttempts(f"too many failed logins; try again after {user.locked_until:%H:%M} UTC")
    if not hasher.verify(password, user.password_hash) or not user.active:
        user.failed_logins += 1
        record(session, actor=user.username, action="user.login_failed", entity="user",
               entity_id=user.id, after={"failed_logins": user.failed_logins}, at=now)
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until, user.failed_logins = now + LOCKOUT, 0
            record(session, actor=user.username, action="user.locked", entity="user",
                   entity_id=user.id, after={"locked_until": user.locked_until})
        raise Unauthorised("username or password is wrong")
    user.failed_logins, user.locked_until = 0, None
    token = secrets.token_urlsafe(32)
    session.add(Token(user_id=user.id, token_hash=_digest(token), created_at=now,
                      expires_at=now + TOKEN_LIFETIME))
    record(session, actor=user.username, action="user.login", entity="user", entity_id=user.id, at=now)
    return token


_DUMMY = hasher.hash("not a password of anyone")


def authenticate(session: Session, token: str, now: datetime | None = None) -> User:
    now = now or utcnow()
    row = session.scalar(select(Token).where(Token.token_hash == _digest(token)))
    if row is None or row.revoked or row.expires_at <= now:
        raise Unauthorised("missing, expired or revoked token; log in at POST /auth/login")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorised("this account is disabled")
    return user


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(Token).where(Token.token_hash == _digest(token)))
    if row is not None:
        row.revoked = True
        user = session.get(User, row.user_id)
        record(session, actor=user.username if user else "?", action="user.logout", entity="user",
               entity_id=row.user_id)
