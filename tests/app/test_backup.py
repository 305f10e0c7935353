"""``huiqi backup`` / ``huiqi restore``: a round trip on SQLite and PostgreSQL keeps the ledger and
an audit chain that verifies against the checkpoints carried in the archive (issue 10)."""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from huiqi.app.audit.config import config
from huiqi.app.audit.models import AuditEntry
from huiqi.app.budget import payments
from huiqi.app.budget import service as budget
from huiqi.app.budget.bank import LocalBank
from huiqi.app.db import make_engine, normalise_url, sessions, transaction
from huiqi.cli import app as cli
from tests.app.world import FINANCE, approve, award, build, submit

AWARD_FEN = 100_000_000  # 1,000,000.00 yuan, within m01.new's 8,400,000.00 ceiling


@pytest.fixture
def paid(factory: sessionmaker[Session], db_url: str) -> sessionmaker[Session]:
    """The world's chain leader awarded 1,000,000.00 and paid it."""
    world = build(factory)
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, AWARD_FEN)
    with transaction(factory) as s:
        payments.create_batch(s, actor=FINANCE)
    engine = make_engine(db_url)
    assert payments.run(factory, LocalBank(engine), actor=FINANCE).paid == 1
    engine.dispose()
    return factory


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind to restore into."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    admin = create_engine(normalise_url(os.environ["HUIQI_TEST_POSTGRES"]), isolation_level="AUTOCOMMIT")
    base, _, name = normalise_url(db_url).rpartition("/")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name}_r"))
    yield f"{base}/{name}_r"
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name}_r WITH (FORCE)"))
    admin.dispose()


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def facts(url: str) -> tuple[int, list[tuple[str, int, int, int, int]]]:
    """The audit's length and every budget line (measure, year, budget, committed, paid)."""
    engine = make_engine(url)
    with sessions(engine)() as s:
        n = int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)
        lines = [(x.measure, x.year, x.budget_fen, x.committed_fen, x.paid_fen)
                 for x in budget.reconcile(s) if x.consistent]
    engine.dispose()
    return n, lines


def test_a_restored_backup_verifies_and_reconciles(
        paid: sessionmaker[Session], db_url: str, target: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "huiqi.tar.gz"
    code, output = invoke("backup", "--db", db_url, "--out", str(archive))
    assert code == 0, output
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == sorted(["manifest.json", "checkpoints.jsonl",
                                                 "database.sqlite" if db_url.startswith("sqlite")
                                                 else "database.pgdump"])
    monkeypatch.setenv("HUIQI_AUDIT_DIR", str(tmp_path / "elsewhere"))  # another machine, same keys
    code, output = invoke("restore", str(archive), "--db", target)
    assert code == 0, output
    assert "audit chain intact" in output and "ledger reconciles" in output
    entries, lines = facts(target)
    assert (entries, lines) == facts(db_url)
    assert lines == [("m01.new", 2024, 2_000_000_000, AWARD_FEN, AWARD_FEN)]
    assert config(target).checkpoints.exists()
    code, output = invoke("audit", "verify", "--db", target)
    assert code == 0 and "checked against 1 checkpoint(s)" in output, output


def test_the_restored_chain_still_refuses_changes(
        paid: sessionmaker[Session], db_url: str, target: str, tmp_path: Path) -> None:
    archive = tmp_path / "huiqi.tar.gz"
    assert invoke("backup", "--db", db_url, "--out", str(archive))[0] == 0
    assert invoke("restore", str(archive), "--db", target)[0] == 0
    engine = make_engine(target)
    with pytest.raises(Exception, match="append-only"), transaction(sessions(engine)) as s:
        s.execute(text("DELETE FROM audit_log"))
    engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty_unless_told_to_replace(
        paid: sessionmaker[Session], db_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "huiqi.tar.gz"
    assert invoke("backup", "--db", db_url, "--out", str(archive))[0] == 0
    code, output = invoke("restore", str(archive), "--db", db_url)
    assert code == 2 and "pass --replace" in output
    code, output = invoke("restore", str(archive), "--db", db_url, "--replace")
    assert code == 0, output


def test_restoring_an_older_backup_in_place_keeps_the_newer_checkpoints_aside(
        paid: sessionmaker[Session], db_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "huiqi.tar.gz"
    assert invoke("backup", "--db", db_url, "--out", str(archive))[0] == 0
    assert invoke("audit", "checkpoint", "--db", db_url)[0] == 0
    code, output = invoke("restore", str(archive), "--db", db_url, "--replace")
    assert code == 0, output
    folder = config(db_url).folder
    assert [p.name.startswith("checkpoints.jsonl.before-restore-") for p in folder.iterdir()
            if p.name != "checkpoints.jsonl"] == [True]


def test_a_damaged_archive_is_refused_naming_the_member(
        paid: sessionmaker[Session], db_url: str, target: str, tmp_path: Path) -> None:
    archive = tmp_path / "huiqi.tar.gz"
    assert invoke("backup", "--db", db_url, "--out", str(archive))[0] == 0
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for m in src.getmembers():
            data = src.extractfile(m).read()  # type: ignore[union-attr]
            if m.name == "checkpoints.jsonl":
                data = data.replace(b'"entries": ', b'"entries": 1')
            m.size = len(data)
            dst.addfile(m, io.BytesIO(data))
    code, output = invoke("restore", str(damaged), "--db", target)
    assert code == 2 and "member checkpoints.jsonl is missing or damaged" in output
