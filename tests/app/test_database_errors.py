"""Database errors answer by their kind, decided by type and SQLSTATE, never by message text (issue
10, finding 15): a lost race is a 409 to retry; a database that cannot be reached is a JSON 503
with Retry-After, never a plain-text 500."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from huiqi.app.api.main import create_app
from huiqi.app.db import make_engine, normalise_url
from huiqi.app.dberrors import Kind, classify


def answering(error: BaseException, url: str = "sqlite://") -> TestClient:
    """The API with one more route that raises ``error``, as a service would."""
    app = create_app(url)

    @app.get("/raise")
    def _raise() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def deadlock(pg_url: str) -> OperationalError:
    """Two transactions that each lock a row the other then wants: PostgreSQL aborts one."""
    engine = make_engine(pg_url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE pair (id int PRIMARY KEY, v int)"))
        c.execute(text("INSERT INTO pair VALUES (1, 0), (2, 0)"))
    both_locked = threading.Barrier(2)
    caught: list[OperationalError] = []

    def worker(first: int, second: int) -> None:
        try:
            with engine.begin() as c:
                c.execute(text("UPDATE pair SET v = v + 1 WHERE id = :id"), {"id": first})
                both_locked.wait()
                c.execute(text("UPDATE pair SET v = v + 1 WHERE id = :id"), {"id": second})
        except OperationalError as exc:
            caught.append(exc)

    threads = [threading.Thread(target=worker, args=ids) for ids in ((1, 2), (2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    engine.dispose()
    assert len(caught) == 1
    return caught[0]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_an_unreachable_database_answers_json_503_with_retry_after(kind: str, tmp_path: Path) -> None:
    url = (f"sqlite:///{tmp_path / 'no such folder' / 'huiqi.db'}" if kind == "sqlite"
           else "postgresql://postgres@127.0.0.1:9/huiqi")  # nothing listens on port 9 (discard)
    c = TestClient(create_app(url), raise_server_exceptions=False)
    r = c.post("/auth/login", json={"username": "office1", "password": "x"})
    assert r.status_code == 503 and r.headers["content-type"] == "application/json"
    assert r.json()["code"] == "unavailable" and int(r.headers["Retry-After"]) == 5


def test_a_forced_deadlock_is_classified_by_its_sqlstate_and_answers_409_to_retry(pg_url: str) -> None:
    error = deadlock(pg_url)
    assert error.orig is not None and getattr(error.orig, "sqlstate", None) == "40P01"
    assert classify(error) is Kind.RETRY
    r = answering(error).get("/raise")
    assert r.status_code == 409 and r.json()["code"] == "retry" and r.headers["Retry-After"] == "1"


def test_a_connection_terminated_by_the_server_is_classified_unavailable(pg_url: str) -> None:
    engine = create_engine(normalise_url(pg_url))  # no pre-ping: the lost connection is met in use
    admin = create_engine(normalise_url(pg_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        pid = c.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as a:
            a.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        with pytest.raises(OperationalError) as caught:
            c.execute(text("SELECT 1"))
    engine.dispose()
    admin.dispose()
    assert classify(caught.value) is Kind.UNAVAILABLE
    r = answering(caught.value).get("/raise")
    assert r.status_code == 503 and r.json()["code"] == "unavailable" and "Retry-After" in r.headers


def test_a_busy_sqlite_file_is_classified_by_its_error_code(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as caught:
        waiter.execute("BEGIN IMMEDIATE")
    holder.close()
    waiter.close()
    assert classify(caught.value) is Kind.BUSY


def test_the_text_of_an_error_decides_nothing() -> None:
    """A message that reads like a deadlock or a lock, without the SQLSTATE or code, is none."""
    fake = OperationalError("UPDATE pair", {}, Exception("deadlock detected; database is locked"))
    assert classify(fake) is None
    r = answering(fake).get("/raise")
    assert r.status_code == 500 and r.json()["code"] == "internal"  # JSON, not a traceback
    assert "deadlock" not in r.text and "locked" not in r.text
