"""Every platform test runs on SQLite and on a real PostgreSQL server.

PostgreSQL: ``HUIQI_TEST_POSTGRES`` names a server (a URL to its ``postgres`` database; ``.ci/run``
starts one and sets it). Without it the PostgreSQL runs are skipped — unless
``HUIQI_REQUIRE_POSTGRES=1`` (CI), where a missing server fails the run. Each test gets a fresh
database copied from a migrated template.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.db import make_engine, normalise_url, sessions, upgrade

_counter = itertools.count()


def _pg_server() -> str | None:
    url = os.environ.get("HUIQI_TEST_POSTGRES")
    if not url and os.environ.get("HUIQI_REQUIRE_POSTGRES") == "1":
        pytest.fail("HUIQI_REQUIRE_POSTGRES=1 but HUIQI_TEST_POSTGRES is not set")
    return url


def _with_db(url: str, name: str) -> str:
    base, _, _ = normalise_url(url).rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(autouse=True)
def audit_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every test signs the audit chain with a test key and anchors it in its own folder."""
    monkeypatch.setenv("HUIQI_AUDIT_KEY", "huiqi-test-audit-key-" + "0" * 32)
    monkeypatch.setenv("HUIQI_AUDIT_DIR", str(tmp_path / "audit"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


# personal data is sealed with a data key (``huiqi.app.vault``): a server database needs one set;
# SQLite test databases get the generated default beside their file
TEST_DATA_KEY = "test1:" + "dGVzdCBkYXRhIGtleSBvZiB0aGlydHktdHdvIGJ5dGU="


def use_test_data_key() -> None:
    """The data key for server databases under test, unless one is set already."""
    if not (os.environ.get("HUIQI_DATA_KEY") or os.environ.get("HUIQI_DATA_KEY_FILE")):
        os.environ["HUIQI_DATA_KEY"] = TEST_DATA_KEY


@pytest.fixture(scope="session")
def pg_template() -> Iterator[tuple[Engine, str]]:
    server = _pg_server()
    if not server:
        pytest.skip("no PostgreSQL server (set HUIQI_TEST_POSTGRES)")
    use_test_data_key()
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    name = f"huiqi_template_{os.getpid()}"
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        c.execute(text(f"CREATE DATABASE {name}"))
    upgrade(_with_db(server, name))
    yield admin, name
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "huiqi.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    yield from _fresh_pg(request)


def _fresh_pg(request: pytest.FixtureRequest) -> Iterator[str]:
    """A new PostgreSQL database copied from the migrated template, dropped afterwards."""
    admin, template = request.getfixturevalue("pg_template")
    name = f"huiqi_t{os.getpid()}_{next(_counter)}"
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    yield _with_db(os.environ["HUIQI_TEST_POSTGRES"], name)
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return sessions(engine)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database only (concurrency tests)."""
    yield from _fresh_pg(request)
