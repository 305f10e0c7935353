"""Users with one role each; their sessions (bearer tokens, stored hashed); earlier passwords;
login throttling; and requests for privileged accounts (two people: one asks, another approves)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from huiqi.app.db import Base, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    department: Mapped[str | None] = mapped_column(String(60))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # an applicant of an organisation: its administrator (单位管理员: invites the clerks, 经办人)
    # and whether it may sign the commitment (告知承诺) for the organisation (migration 0007)
    org_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    may_sign: Mapped[bool] = mapped_column(Boolean, default=False)
    # an initial or reset password: until changed, a session allows only changing it
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column()
    # RFC 6238 second factor: the shared secret (base32), in use once a first code confirmed it
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # a code is accepted once
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Token(Base):
    """A session. ``kind``: ``session`` (logged in), ``totp`` (password given, a code awaited) or
    ``enrol`` (password given, the second factor to be set up first)."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="session")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()  # the absolute end
    last_seen_at: Mapped[datetime | None] = mapped_column()  # for the idle timeout
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class PasswordHistory(Base):
    """Earlier password hashes of a user: the last ones may not be chosen again."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginThrottle(Base):
    """Failed logins counted per client address and per user name typed (known or not, so the
    answers never tell which names exist; the name is stored only as a hash)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserRequest(Base):
    """A privileged account asked for by one administrator, approved or refused by another of a
    different role. ``kind``: ``create`` a user, or change a user's ``role``."""

    __tablename__ = "user_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(60))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    department: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by: Mapped[str] = mapped_column(String(60))
    requested_role: Mapped[str] = mapped_column(String(20))
    decided_by: Mapped[str | None] = mapped_column(String(60))
    decided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
