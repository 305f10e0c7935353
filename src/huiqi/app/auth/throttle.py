"""Login throttling: a growing delay, never a lock.

Failures are counted per client address and per user name typed (hashed; known and unknown names
alike). Past a few free failures each further attempt must wait 1, 2, 4, … seconds: up to one
minute for an account, so that a stranger's guesses can delay the real owner by a minute at most
and never lock them out, and up to 15 minutes for an address, which stops password spraying over
many names. An attempt made while waiting is refused (429 with Retry-After) and not counted.
A success clears the account's count; an address's count fades after 15 quiet minutes.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi.app.auth.models import LoginThrottle
from huiqi.app.errors import TooManyAttempts


@dataclass(frozen=True)
class Rule:
    free: int  # failures before any delay
    cap: timedelta  # the longest delay
    fade: timedelta = timedelta(minutes=15)  # quiet time after which the count starts again


ACCOUNT = Rule(free=5, cap=timedelta(minutes=1))
ADDRESS = Rule(free=10, cap=timedelta(minutes=15))
FORGET = timedelta(days=1)


def account_key(username: str) -> str:
    raw = username.casefold().encode("utf-8", "surrogatepass")
    return "user:" + hashlib.sha256(raw).hexdigest()


def address_key(address: str) -> str:
    return "addr:" + address[:90]


def delay(failures: int, rule: Rule) -> timedelta:
    """The wait after ``failures`` consecutive failures: none, then 1 s doubling up to the cap."""
    if failures < rule.free:
        return timedelta(0)
    return min(rule.cap, timedelta(seconds=2 ** min(failures - rule.free, 20)))


def _rows(session: Session, keys: list[str], now: datetime) -> list[LoginThrottle]:
    """The throttle rows of ``keys``, created when missing and locked for this transaction."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(LoginThrottle).values(
        [{"key": k, "failures": 0, "updated_at": now} for k in keys]).on_conflict_do_nothing())
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))
                           .order_by(LoginThrottle.key).with_for_update().execution_options(
                               populate_existing=True))
    return list(rows)


def check(session: Session, *, username: str, address: str, now: datetime) -> None:
    """Refuse (429, Retry-After) while the account or the address must wait."""
    waits = [r.blocked_until - now for r in _rows(session, [account_key(username), address_key(address)], now)
             if r.blocked_until is not None and r.blocked_until > now]
    if waits:
        seconds = math.ceil(max(waits).total_seconds())
        raise TooManyAttempts(f"登录尝试过多，请{seconds}秒后再试 too many login attempts; try again in "
                              f"{seconds} s", retry_after=seconds)


def failed(session: Session, *, username: str, address: str, now: datetime) -> None:
    """Count a failure against the account and the address, and set their next allowed time."""
    rules = {account_key(username): ACCOUNT, address_key(address): ADDRESS}
    # names tried once and never again (a spray) would pile up: a day of quiet forgets them
    session.execute(delete(LoginThrottle).where(LoginThrottle.updated_at < now - FORGET))
    for row in _rows(session, list(rules), now):
        rule = rules[row.key]
        if row.updated_at < now - rule.fade:
            row.failures = 0
        row.failures += 1
        wait = delay(row.failures, rule)
        row.blocked_until = now + wait if wait else None
        row.updated_at = now


def reset(session: Session, *, username: str) -> None:
    """Clear the account's count: a correct login, or the security administrator's unlock (not
    the address's: one valid account must not reset a sprayer's address)."""
    row = session.get(LoginThrottle, account_key(username), with_for_update=True)
    if row is not None:
        row.failures, row.blocked_until = 0, None
