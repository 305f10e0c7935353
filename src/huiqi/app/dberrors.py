"""What a database error means for the caller, decided by its type and SQLSTATE, never its text.

- ``RETRY``: the transaction lost a race (PostgreSQL deadlock 40P01, serialization failure 40001);
  running it again may succeed.
- ``BUSY``: the database is there but held by other work (SQLite SQLITE_BUSY/SQLITE_LOCKED,
  PostgreSQL lock or statement timeouts, no free connection in the pool).
- ``UNAVAILABLE``: the database cannot be reached or the connection was lost (SQLSTATE class 08,
  server shutting down 57P0x, too many connections 53300, SQLite cannot open or read the file).

``None`` for anything else (a constraint, a bad value, a bug), which other handlers answer.
"""

from __future__ import annotations

import enum
import sqlite3

import psycopg
from sqlalchemy import exc as sa


class Kind(enum.Enum):
    RETRY = "retry"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"


_PG_RETRY = {"40P01", "40001"}  # deadlock_detected, serialization_failure
_PG_BUSY = {"55P03", "57014"}  # lock_not_available, query_canceled (statement or lock timeout)
_PG_UNAVAILABLE_CLASSES = {"08", "57", "53"}  # connection, operator intervention, resources
_SQLITE_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_SQLITE_UNAVAILABLE = {sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL,
                       sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT}


def classify(error: BaseException) -> Kind | None:
    """The kind of a database error raised through SQLAlchemy (or by a driver directly)."""
    if isinstance(error, sa.TimeoutError):  # the pool had no connection to give
        return Kind.BUSY
    if isinstance(error, sa.DBAPIError):
        if error.connection_invalidated:
            return Kind.UNAVAILABLE
        return _driver(error.orig)
    return _driver(error)


def _driver(orig: BaseException | None) -> Kind | None:
    if isinstance(orig, psycopg.Error):
        state = orig.sqlstate
        if state in _PG_RETRY:
            return Kind.RETRY
        if state in _PG_BUSY:
            return Kind.BUSY
        if state is None:
            # raised by the client itself: no server to talk to, or the connection is closed
            return Kind.UNAVAILABLE if isinstance(orig, psycopg.OperationalError | psycopg.InterfaceError) \
                else None
        return Kind.UNAVAILABLE if state[:2] in _PG_UNAVAILABLE_CLASSES else None
    if isinstance(orig, sqlite3.Error):
        primary = getattr(orig, "sqlite_errorcode", -1) & 0xFF  # extended codes keep the primary low
        if primary in _SQLITE_BUSY:
            return Kind.BUSY
        if primary in _SQLITE_UNAVAILABLE:
            return Kind.UNAVAILABLE
    return None
