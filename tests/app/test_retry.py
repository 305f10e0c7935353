"""Which database errors are worth repeating a transaction for, told by code not by message, and
the repeating itself — on real deadlocks, serialization failures and a busy SQLite file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from huiqi.app.db import make_engine
from huiqi.app.retry import retrying, transient


@pytest.fixture
def pg(pg_url: str) -> Engine:
    engine = make_engine(pg_url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE counters (id int PRIMARY KEY, n int NOT NULL)"))
        c.execute(text("INSERT INTO counters VALUES (1, 0), (2, 0)"))
    return engine


def crossing(engine: Engine, first: int, second: int, meet: threading.Barrier | None,
             tries: list[int]) -> None:
    """Lock one row, meet the other transaction (on the first try only), then lock the other row."""
    with engine.begin() as c:
        tries.append(first)
        c.execute(text("UPDATE counters SET n = n + 1 WHERE id = :i"), {"i": first})
        if meet is not None and len(tries) <= 2:
            meet.wait(timeout=30)
        c.execute(text("UPDATE counters SET n = n + 1 WHERE id = :i"), {"i": second})


def test_a_deadlock_is_transient_and_both_transactions_complete_when_repeated(pg: Engine) -> None:
    meet, tries, errors = threading.Barrier(2), [], []

    def one(first: int, second: int) -> None:
        try:
            retrying(lambda: crossing(pg, first, second, meet, tries))
        except DBAPIError as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=a) for a in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(tries) == 3  # PostgreSQL aborted one of the two once; it ran again and succeeded
    with pg.connect() as c:  # each transaction added one to each row, once
        assert c.execute(text("SELECT n FROM counters ORDER BY id")).scalars().all() == [2, 2]
    pg.dispose()


def test_a_real_deadlock_error_is_classified_by_its_sqlstate(pg: Engine) -> None:
    meet, tries, errors = threading.Barrier(2), [], []

    def one(first: int, second: int) -> None:
        try:
            crossing(pg, first, second, meet, tries)
        except DBAPIError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=a) for a in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    (deadlock,) = errors
    assert deadlock.orig.sqlstate == "40P01" and transient(deadlock)  # type: ignore[union-attr]
    pg.dispose()


def test_a_serialization_failure_is_transient(pg: Engine) -> None:
    rr = pg.execution_options(isolation_level="REPEATABLE READ")
    with rr.connect() as late, rr.connect() as early:
        late.begin()
        late.execute(text("SELECT n FROM counters WHERE id = 1"))  # its snapshot is taken
        with early.begin():
            early.execute(text("UPDATE counters SET n = 5 WHERE id = 1"))
        with pytest.raises(DBAPIError) as caught:
            late.execute(text("UPDATE counters SET n = 6 WHERE id = 1"))
        late.rollback()
    assert caught.value.orig.sqlstate == "40001" and transient(caught.value)  # type: ignore[union-attr]
    pg.dispose()


def test_a_unique_violation_is_not_transient_and_is_not_repeated(pg: Engine) -> None:
    tries = []

    def insert_twice() -> None:
        tries.append(1)
        with pg.begin() as c:
            c.execute(text("INSERT INTO counters VALUES (1, 0)"))

    with pytest.raises(IntegrityError) as caught:
        retrying(insert_twice)
    assert not transient(caught.value) and len(tries) == 1
    pg.dispose()


def test_a_busy_sqlite_file_is_transient_and_retrying_gives_up_after_its_attempts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    holder = create_engine(url, connect_args={"isolation_level": None})
    impatient = create_engine(url, connect_args={"isolation_level": None, "timeout": 0})
    tries = []

    def write() -> None:
        tries.append(1)
        with impatient.connect() as c:
            c.exec_driver_sql("BEGIN IMMEDIATE")

    with holder.connect() as c:
        c.exec_driver_sql("BEGIN IMMEDIATE")  # holds the file's write lock
        with pytest.raises(DBAPIError) as caught:
            retrying(write, attempts=3, pause=0.01)
        c.exec_driver_sql("ROLLBACK")
    assert transient(caught.value) and len(tries) == 3
    retrying(write)  # free again: succeeds on the first try
    assert len(tries) == 4
    holder.dispose()
    impatient.dispose()


def test_errors_outside_the_database_are_not_transient() -> None:
    assert not transient(ValueError("deadlock detected"))  # the words alone mean nothing
