"""A run's matches written in bulk, in the caller's transaction: COPY on PostgreSQL, one
executemany elsewhere — nothing is written if the run fails before its transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from huiqi.app.copying import copy_rows

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

