"""Many rows into a PostgreSQL table with COPY, in the caller's transaction: what a run writes by
the hundred thousand (matches, offers, their audit entries) costs a fraction of a many-row INSERT."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def copy_rows(session: Session, table: str, columns: tuple[str, ...],
              rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows into a table on PostgreSQL, in the caller's transaction (JSON as text,
    datetimes naive UTC as ``db.UTCDateTime`` stores them)."""
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def next_ids(session: Session, table: str, n: int) -> list[int]:
    """n new ids from a PostgreSQL table's sequence, in order."""
    return list(session.execute(text(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"),
        {"n": n}).scalars())
