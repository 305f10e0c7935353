"""A run's matches written in bulk, in the caller's transaction: COPY on PostgreSQL, one
executemany elsewhere — nothing is written if the run fails before its transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

COLUMNS = ("run_id", "org_id", "measure", "item", "year", "status", "ceiling_fen", "missing",
           "reason_zh", "reason_en", "offer_id", "detail")  # missing and detail: JSON text


def insert_matches(session: Session, rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert rows of ``COLUMNS`` into ``matches``."""
    conn = session.connection()
    names = ", ".join(COLUMNS)
    if conn.dialect.name == "postgresql":
        copy_rows(session, "matches", COLUMNS, rows)
    else:
        marks = ", ".join("?" * len(COLUMNS))
        batch = list(rows)
        if batch:
            conn.exec_driver_sql(f"INSERT INTO matches ({names}) VALUES ({marks})", batch)


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
