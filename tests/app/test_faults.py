"""Faults on PostgreSQL in the middle of each step of submit → review → decide → batch → pay.

Three kinds of fault, each fired just before the step writes its first audit entry (its other
changes sent, nothing committed; for a payment run, the bank has moved the money):
- ``backend``: every server process serving the test database is terminated (pg_terminate_backend);
- ``process``: the application's process dies (``os._exit`` in a child process);
- ``server``: a private PostgreSQL server is stopped at once (``pg_ctl stop -m immediate``, no
  checkpoint, crash recovery on start) and started again. The shared server is never touched.
Then the step is done again, as a user or the next payment run would, and the lifecycle finishes.
Whatever the step and the fault: nothing lost, nothing doubled, the audit chain verifies and the
ledger reconciles.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from huiqi.app.applications import service as apps
from huiqi.app.applications.models import Application, Decision, Review, Step
from huiqi.app.audit.models import AuditEntry
from huiqi.app.audit.service import verify
from huiqi.app.budget import service as budget
from huiqi.app.budget.bank import LocalBank
from huiqi.app.budget.models import LedgerEntry, Payment, PaymentBatch
from huiqi.app.db import make_engine, normalise_url, sessions, transaction, upgrade
from tests.app.conftest import use_test_data_key
from tests.app.faults import AWARD_FEN, LEASE, STEPS, at_first_audit_entry, do
from tests.app.world import ECON, SCI, build

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")


class PrivateServer:
    """A PostgreSQL server of this test module's own, in a temporary folder, on a free port."""

    def __init__(self) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="huiqi-faults-pg-", dir="/tmp"))
        self.port = next(p for p in range(55500, 55600) if _free(p))
        if os.getuid() == 0:
            shutil.chown(self.data, "postgres")
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        self.start()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str) -> None:
        cmd = [str(PG_BIN / tool), *args]
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w", "-o",
                 f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def crash_and_restart(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.start()

    def remove(self) -> None:
        self._pg("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.data, ignore_errors=True)


def _free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def private_server() -> Iterator[PrivateServer]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}")
    use_test_data_key()  # a server database's personal data needs a key, as in production
    server = PrivateServer()
    with create_engine(normalise_url(server.url), isolation_level="AUTOCOMMIT").connect() as c:
        c.execute(text("CREATE DATABASE huiqi_template"))
    upgrade(server.url.rsplit("/", 1)[0] + "/huiqi_template")
    yield server
    server.remove()


@pytest.fixture
def private_db(private_server: PrivateServer) -> str:
    name = f"huiqi_f{time.monotonic_ns()}"
    admin = create_engine(normalise_url(private_server.url), isolation_level="AUTOCOMMIT",
                          poolclass=NullPool)
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} TEMPLATE huiqi_template"))
    return private_server.url.rsplit("/", 1)[0] + f"/{name}"


def terminate_every_backend(url: str) -> None:
    """End every server process serving ``url``'s database but the one asking, and wait for them."""
    admin = create_engine(normalise_url(url), poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()"))


# the audit trail of one application through the lifecycle, in the order the services write it
TRAIL = ["application.create", "application.submit", "review.approved", "review.approved",
         "application.approve", "application.award", "decision.award", "payment.batch",
         "application.pay", "payment.paid"]


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("fault", ["backend", "process", "server"])
def test_a_fault_in_the_middle_of_a_step_loses_nothing_and_doubles_nothing(
        request: pytest.FixtureRequest, fault: str, step: str) -> None:
    url = request.getfixturevalue("private_db" if fault == "server" else "pg_url")
    engine = make_engine(url)
    factory = sessions(engine)
    bank = LocalBank(make_engine(url))
    world = build(factory)
    with transaction(factory) as s:
        app_id = apps.start(s, actor=world.applicant, measure="m01.new", year=2024).id

    for current in ("submit", "review", "review2", "decide", "batch", "pay"):
        if current == step:
            strike(fault, url, request, engine, lambda c=current: do(c, factory, bank, world.org_id,
                                                                    app_id), step, world.org_id, app_id)
            if step == "pay":
                time.sleep(LEASE.total_seconds() + 0.2)  # the dead run's claim lapses
        do(current, factory, bank, world.org_id, app_id)

    with factory() as s:
        assert s.get(Application, app_id).state == "paid"  # type: ignore[union-attr]
        assert list(s.scalars(select(Step.action).where(Step.application_id == app_id)
                              .order_by(Step.id))) == ["create", "submit", "approve", "award", "pay"]
        assert sorted(rows(s, select(Review.department, Review.state))) == sorted(
            [(ECON.department, "approved"), (SCI.department, "approved")])
        assert rows(s, select(Decision.outcome, Decision.amount_fen)) == [("award", AWARD_FEN)]
        assert rows(s, select(LedgerEntry.kind, LedgerEntry.amount_fen).order_by(LedgerEntry.id)) == [
            ("commit", AWARD_FEN), ("pay", AWARD_FEN)]
        assert rows(s, select(Payment.state, Payment.amount_fen)) == [("paid", AWARD_FEN)]
        assert len(list(s.scalars(select(PaymentBatch.id)))) == 1
        entries = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
        assert [a for a in entries if a.split(".")[0] in ("application", "review", "decision",
                                                          "payment")] == TRAIL
        assert verify(s).ok
        (line,) = budget.reconcile(s, year=2024)
        assert (line.committed_fen, line.paid_fen, line.consistent) == (AWARD_FEN, AWARD_FEN, True)
    # the bank was asked to move the money once; after a fault in the run, asked once what it did
    assert (bank.count(), bank.received("transfer")) == (1, 1)
    assert bank.received("status") == (1 if step == "pay" else 0)
    bank.engine.dispose()
    engine.dispose()


def rows(s: Session, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in s.execute(stmt)]


def strike(fault: str, url: str, request: pytest.FixtureRequest, engine: object,
           step_here: object, step: str, org_id: int, app_id: int) -> None:
    """Do ``step`` with ``fault`` fired in its middle; the step must not complete."""
    if fault == "process":
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}"}
        died = subprocess.run([sys.executable, "-m", "tests.app.faults", url, step, str(org_id),
                               str(app_id)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert died.returncode == 9, died.stderr
        return
    if fault == "backend":
        at_first_audit_entry(engine, lambda: terminate_every_backend(url))  # type: ignore[arg-type]
    else:
        server = request.getfixturevalue("private_server")
        at_first_audit_entry(engine, server.crash_and_restart)  # type: ignore[arg-type]
    with pytest.raises(OperationalError):
        step_here()  # type: ignore[operator]
