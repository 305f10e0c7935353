"""Repeating a transaction that lost a race inside the database.

PostgreSQL aborts one of two transactions that wait for each other (deadlock, SQLSTATE 40P01) or
that cannot be ordered (serialization failure, 40001); SQLite answers "busy" when its file lock
is not free in time. Nothing of such a transaction was kept, so a unit of work that is safe to
repeat — it opens its own transaction and decides afresh from what it reads — is run again after
a short, jittered pause. Errors are told apart by SQLSTATE or error code, never by message text.

    report = retrying(lambda: complete(factory, claim))
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from huiqi.app.dberrors import Kind, classify

T = TypeVar("T")


def transient(exc: BaseException) -> bool:
    """True for a deadlock, a serialization failure or a busy SQLite file (``dberrors``)."""
    kind = classify(exc)
    return kind is Kind.RETRY or (kind is Kind.BUSY and _sqlite(exc))


def _sqlite(exc: BaseException) -> bool:
    # a busy PostgreSQL (lock or statement timeout, an empty pool) is not worth waiting on again here
    return isinstance(getattr(exc, "orig", exc), sqlite3.Error)


def retrying(work: Callable[[], T], *, attempts: int = 5, pause: float = 0.05, longest: float = 2.0) -> T:
    """Run ``work``; after a transient failure run it again, at most ``attempts`` times in all,
    pausing a random time up to ``pause`` × 2ⁿ (at most ``longest`` seconds) between tries."""
    again = Retrying(retry=retry_if_exception(transient), stop=stop_after_attempt(attempts),
                     wait=wait_random_exponential(multiplier=pause, max=longest), reraise=True)
    return again(work)
