"""Users, passwords (argon2 through pwdlib), sessions (bearer tokens with an idle timeout and an
absolute lifetime), logging in with a second factor, and the security administrator's resets."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pwdlib import PasswordHash
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.audit.service import record
from huiqi.app.auth import passwords, throttle, totp
from huiqi.app.auth.models import PasswordHistory, Token, User
from huiqi.app.auth.roles import ADMINS, PRIVILEGED, SECOND_FACTOR, Actor, Role
from huiqi.app.db import transaction, utcnow
from huiqi.app.errors import Conflict, DomainError, Forbidden, NotFound, Refused, Unauthorised

hasher = PasswordHash.recommended()
HISTORY = 5  # the current password and the four before it may not be chosen again
WRONG = "用户名或密码错误 username or password is wrong"
WRONG_CODE = "动态口令错误或已使用 the second-factor code is wrong or was already used"


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: ``idle`` without a request, ``lifetime`` at most; a login waiting
    for its second factor lives ``pending``. Settings: HUIQI_SESSION_IDLE_MINUTES (30),
    HUIQI_SESSION_HOURS (8)."""

    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=8)
    pending: timedelta = timedelta(minutes=5)

    @classmethod
    def from_env(cls) -> SessionPolicy:
        return cls(idle=timedelta(minutes=float(os.environ.get("HUIQI_SESSION_IDLE_MINUTES", "30"))),
                   lifetime=timedelta(hours=float(os.environ.get("HUIQI_SESSION_HOURS", "8"))))


DEFAULT_POLICY = SessionPolicy()
T = TypeVar("T")


def counted(factory: sessionmaker[Session], step: Callable[[Session], T]) -> T:
    """Run an identity step (login, code, password change) in its own transaction, committed even
    when the step is refused: a failed attempt is counted (throttling) and audited, and nothing
    else is written before a refusal."""
    failure: DomainError | None = None
    with transaction(factory) as s:
        try:
            result = step(s)
        except DomainError as exc:
            failure = exc
    if failure is not None:
        raise failure
    return result


def user_json(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "role": u.role,
            "org_id": u.org_id, "person_id": u.person_id, "department": u.department,
            "active": u.active, "must_change_password": u.must_change_password,
            "second_factor": u.totp_enabled, "org_admin": u.org_admin, "may_sign": u.may_sign}


def actor_of(u: User) -> Actor:
    return Actor(u.username, Role(u.role), u.org_id, u.person_id, u.department)


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def new_user(session: Session, *, by: Actor | str, username: str, password: str, role: Role,
             display_name: str, org_id: int | None = None, person_id: int | None = None,
             department: str | None = None, must_change: bool = True,
             totp_secret: str | None = None, may_sign: bool = False) -> User:
    """Create a user after checking the shape of the account and the password rules. Callers check
    who may: ``create_user`` (applicants), an approved request, the organisation's administrator
    (``members.invite``), or the console (bootstrap). An organisation's first applicant account
    is its administrator (单位管理员) and signs for it; the others are its clerks (经办人)."""
    passwords.check(password, username=username)
    if role is Role.APPLICANT and (org_id is None) == (person_id is None):
        raise Refused("org_id: an applicant belongs to exactly one organisation or is one person")
    if role is not Role.APPLICANT and (org_id is not None or person_id is not None):
        raise Refused("org_id: only applicants belong to an organisation")
    if role is Role.REVIEWER and not department:
        raise Refused("department: a reviewer belongs to a department")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username: {username!r} is taken")
    first = org_id is not None and session.scalar(
        select(User.id).where(User.org_id == org_id).limit(1)) is None
    user = User(username=username, display_name=display_name, password_hash=hasher.hash(password),
                role=role.value, org_id=org_id, person_id=person_id, department=department,
                must_change_password=must_change, totp_secret=totp_secret,
                totp_enabled=totp_secret is not None, org_admin=first, may_sign=first or may_sign)
    session.add(user)
    session.flush()
    record(session, actor=by, action="user.create", entity="user", entity_id=user.id,
           after=user_json(user))
    return user


def create_user(session: Session, *, actor: Actor, username: str, password: str, role: Role,
                display_name: str, org_id: int | None = None, person_id: int | None = None,
                department: str | None = None) -> User:
    """An applicant's account (system administrator), with an initial password to be changed at
    first login. Privileged accounts take two people: ``duties.request`` and ``duties.decide``."""
    actor.require(Role.ADMIN)
    if role in PRIVILEGED:
        raise Refused(f"role: 特权账号须一人申请、另一人批准 a {role.value} account is requested "
                      "(POST /user-requests) and approved by an administrator of another role")
    return new_user(session, by=actor, username=username, password=password, role=role,
                    display_name=display_name, org_id=org_id, person_id=person_id,
                    department=department)


def set_active(session: Session, *, actor: Actor, user_id: int, active: bool) -> User:
    actor.require(Role.ADMIN)
    user = _get(session, user_id)
    before = user_json(user)
    user.active = active
    if not active:
        revoke_all(session, user.id)
    session.flush()
    record(session, actor=actor, action="user.active", entity="user", entity_id=user.id,
           before=before, after=user_json(user))
    return user


def list_users(session: Session, *, actor: Actor) -> list[User]:
    actor.require(*ADMINS, Role.AUDITOR)
    return list(session.scalars(select(User).order_by(User.id)))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class LoginResult:
    """A token and what it is good for: ``session`` (logged in), ``totp`` (send a code to
    POST /auth/totp) or ``enrol`` (set up the second factor first: POST /auth/totp/enrol)."""

    token: str
    kind: str
    expires_in: int
    must_change_password: bool

    def json(self) -> dict[str, Any]:
        return {"token": self.token, "token_type": "bearer", "stage": self.kind,
                "expires_in": self.expires_in, "must_change_password": self.must_change_password}


def _issue(session: Session, user: User, kind: str, now: datetime, policy: SessionPolicy) -> LoginResult:
    life = policy.lifetime if kind == "session" else policy.pending
    token = secrets.token_urlsafe(32)
    session.add(Token(user_id=user.id, token_hash=_digest(token), kind=kind, created_at=now,
                      expires_at=now + life, last_seen_at=now))
    return LoginResult(token, kind, int(life.total_seconds()), user.must_change_password)


_DUMMY = hasher.hash("not a password of anyone")


def login(session: Session, *, username: str, password: str, address: str = "unknown",
          now: datetime | None = None, policy: SessionPolicy = DEFAULT_POLICY) -> LoginResult:
    """Check the password; staff (and applicants who set one up) then give a second-factor code.
    Unknown names and wrong passwords get the same answer after the same work; failures are
    throttled per address and per name (``throttle``). The caller commits failures too."""
    now = now or utcnow()
    throttle.check(session, username=username, address=address, now=now)
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    right = hasher.verify(password, user.password_hash if user is not None else _DUMMY)
    if user is None or not right or not user.active:
        throttle.failed(session, username=username, address=address, now=now)
        if user is not None:
            record(session, actor=user.username, action="user.login_failed", entity="user",
                   entity_id=user.id, after={"address": address}, at=now)
        raise Unauthorised(WRONG)
    throttle.reset(session, username=username)
    kind = "session"
    if user.totp_enabled:
        kind = "totp"
    elif Role(user.role) in SECOND_FACTOR:
        kind = "enrol"
    record(session, actor=user.username, action="user.login" if kind == "session" else "user.password_ok",
           entity="user", entity_id=user.id, after={"address": address}, at=now)
    return _issue(session, user, kind, now, policy)


def authenticate(session: Session, token: str, *, kinds: tuple[str, ...] = ("session",),
                 now: datetime | None = None,
                 policy: SessionPolicy = DEFAULT_POLICY) -> tuple[User, Token]:
    """The user and session behind ``token``, if it is of one of ``kinds``, not revoked, within its
    lifetime and (a full session) used within the idle timeout."""
    now = now or utcnow()
    row = session.scalar(select(Token).where(Token.token_hash == _digest(token)))
    if row is None or row.revoked or row.expires_at <= now:
        raise Unauthorised("登录已失效 missing, expired or revoked token; log in at POST /auth/login")
    if row.kind == "session" and (row.last_seen_at or row.created_at) + policy.idle <= now:
        minutes = int(policy.idle.total_seconds() // 60)
        raise Unauthorised(f"{minutes}分钟无操作，请重新登录 idle for {minutes} minutes; log in again")
    if row.kind not in kinds and row.kind == "session":
        raise Forbidden("已登录 already logged in: this step belongs to a login awaiting its second factor")
    if row.kind not in kinds:
        raise Unauthorised("登录未完成 finish logging in first: send the second-factor code to "
                           "POST /auth/totp (or set it up: POST /auth/totp/enrol)")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise Unauthorised("账号已停用 this account is disabled")
    return user, row


def touch(session: Session, token_id: int, now: datetime | None = None) -> None:
    """The session was used now (the idle timeout counts from here)."""
    session.execute(update(Token).where(Token.id == token_id).values(last_seen_at=now or utcnow()))


def revoke_all(session: Session, user_id: int) -> None:
    session.execute(update(Token).where(Token.user_id == user_id, Token.revoked.is_(False))
                    .values(revoked=True))


def logout(session: Session, token: str) -> None:
    row = session.scalar(select(Token).where(Token.token_hash == _digest(token)))
    if row is not None:
        row.revoked = True
        user = session.get(User, row.user_id)
        record(session, actor=user.username if user else "?", action="user.logout", entity="user",
               entity_id=row.user_id)


def _code_step(session: Session, user: User, code: str, *, address: str, now: datetime) -> int:
    """The step of a valid, unused code; a wrong one counts as a failed login."""
    throttle.check(session, username=user.username, address=address, now=now)
    secret = user.totp_secret
    good = code.isascii() and code.isdigit() and len(code) == 6 and secret is not None
    step = totp.step_of(secret, code, last_step=user.totp_last_step, now=now) if good and secret else None
    if step is None:
        throttle.failed(session, username=user.username, address=address, now=now)
        record(session, actor=user.username, action="user.totp_failed", entity="user",
               entity_id=user.id, after={"address": address}, at=now)
        raise Unauthorised(WRONG_CODE)
    return step


def second_factor(session: Session, *, token: str, code: str, address: str = "unknown",
                  now: datetime | None = None, policy: SessionPolicy = DEFAULT_POLICY) -> LoginResult:
    """Step two of logging in: the pending token and a code → a session."""
    now = now or utcnow()
    user, row = authenticate(session, token, kinds=("totp",), now=now, policy=policy)
    user = _get(session, user.id)
    user.totp_last_step = _code_step(session, user, code, address=address, now=now)
    row.revoked = True
    record(session, actor=user.username, action="user.login", entity="user", entity_id=user.id,
           after={"address": address, "second_factor": True}, at=now)
    return _issue(session, user, "session", now, policy)


def enrol(session: Session, *, user_id: int) -> totp.Enrolment:
    """A new secret to scan (replacing one not yet confirmed); once confirmed it cannot be replaced
    here — a security administrator resets it."""
    user = _get(session, user_id)
    if user.totp_enabled:
        raise Conflict("second factor already set up; a security administrator can reset it")
    user.totp_secret = totp.new_secret()
    return totp.enrolment(user.totp_secret, user.username)


def confirm(session: Session, *, user_id: int, token_row: Token, code: str, address: str = "unknown",
            now: datetime | None = None, policy: SessionPolicy = DEFAULT_POLICY) -> LoginResult | None:
    """The first code from the new secret switches the second factor on; a login that waited for
    the enrolment gets its session."""
    now = now or utcnow()
    user = _get(session, user_id)
    if user.totp_enabled or user.totp_secret is None:
        raise Conflict("nothing to confirm: start with POST /auth/totp/enrol")
    user.totp_last_step = _code_step(session, user, code, address=address, now=now)
    user.totp_enabled = True
    record(session, actor=user.username, action="user.totp_enrolled", entity="user", entity_id=user.id,
           at=now)
    if token_row.kind != "enrol":
        return None
    token_row.revoked = True
    return _issue(session, user, "session", now, policy)


def _recent_hashes(session: Session, user: User) -> list[str]:
    earlier = session.scalars(select(PasswordHistory.password_hash)
                              .where(PasswordHistory.user_id == user.id)
                              .order_by(PasswordHistory.id.desc()).limit(HISTORY - 1))
    return [user.password_hash, *earlier]


def _set_password(session: Session, user: User, password: str, *, must_change: bool,
                  now: datetime) -> None:
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, created_at=now))
    user.password_hash = hasher.hash(password)
    user.must_change_password = must_change
    user.password_changed_at = now
    revoke_all(session, user.id)


def change_password(session: Session, *, user_id: int, current: str, new: str, address: str = "unknown",
                    now: datetime | None = None, policy: SessionPolicy = DEFAULT_POLICY) -> LoginResult:
    """The user's own change: the current password, a new one by the rules and none of the last
    five. Every session of the user ends; the answer carries a new one."""
    now = now or utcnow()
    user = _get(session, user_id)
    throttle.check(session, username=user.username, address=address, now=now)
    if not hasher.verify(current, user.password_hash):
        throttle.failed(session, username=user.username, address=address, now=now)
        raise Refused("current_password: 当前密码错误 the current password is wrong")
    passwords.check(new, username=user.username)
    if any(hasher.verify(new, h) for h in _recent_hashes(session, user)):
        raise Refused(f"new_password: 不得与最近{HISTORY}次密码相同 must differ from the last {HISTORY} "
                      "passwords")
    _set_password(session, user, new, must_change=False, now=now)
    record(session, actor=user.username, action="user.password_changed", entity="user",
           entity_id=user.id, after={"address": address}, at=now)
    return _issue(session, user, "session", now, policy)


def _security_target(session: Session, actor: Actor, user_id: int) -> User:
    actor.require(Role.SECURITY_ADMIN)
    user = _get(session, user_id)
    if user.username == actor.username:
        raise Forbidden("nobody resets their own account: change your password at POST /auth/password")
    return user


def reset_password(session: Session, *, actor: Actor, user_id: int) -> str:
    """A temporary password (security administrator), to be changed at the next login; the user's
    sessions end and a throttle on the account is cleared."""
    user = _security_target(session, actor, user_id)
    temporary = secrets.token_urlsafe(12)
    _set_password(session, user, temporary, must_change=True, now=utcnow())
    throttle.reset(session, username=user.username)
    record(session, actor=actor, action="user.password_reset", entity="user", entity_id=user.id)
    return temporary


def reset_second_factor(session: Session, *, actor: Actor, user_id: int) -> User:
    """Remove a lost second factor (security administrator): the next login enrols a new one."""
    user = _security_target(session, actor, user_id)
    before = user_json(user)
    user.totp_secret, user.totp_enabled, user.totp_last_step = None, False, None
    revoke_all(session, user.id)
    record(session, actor=actor, action="user.totp_reset", entity="user", entity_id=user.id,
           before=before, after=user_json(user))
    return user


def unlock(session: Session, *, actor: Actor, user_id: int) -> User:
    """Clear the login delay on an account (security administrator)."""
    user = _security_target(session, actor, user_id)
    throttle.reset(session, username=user.username)
    record(session, actor=actor, action="user.unlock", entity="user", entity_id=user.id)
    return user
