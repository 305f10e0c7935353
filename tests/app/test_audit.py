"""The audit trail: every change recorded with before and after; tampering is detected."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from huiqi.app.audit.models import AuditEntry
from huiqi.app.audit.service import verify
from huiqi.app.db import transaction
from huiqi.cli import app as cli
from tests.app.world import approve, build, submit


@pytest.fixture
def trail(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    world = build(factory)
    approve(world, submit(world))
    return factory


def test_every_transition_is_audited_with_who_and_before_and_after(trail: sessionmaker[Session]) -> None:
    with trail() as s:
        rows = [(e.actor, e.action, e.before, e.after) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "application").order_by(AuditEntry.id))]
    assert [r[1] for r in rows] == ["application.create", "application.submit", "application.approve"]
    assert rows[1][0] == "ent1" and rows[1][2] == {"state": "draft"}
    assert rows[2][0] == "sci1" and rows[2][3]["state"] == "approved"


def test_an_untouched_chain_verifies(trail: sessionmaker[Session]) -> None:
    with trail() as s:
        report = verify(s)
    assert report.ok and report.entries > 10


def test_the_audit_table_refuses_updates_and_deletes(trail: sessionmaker[Session]) -> None:
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), transaction(trail) as s:
            s.execute(text(statement))


def drop_guards(s: Session) -> None:
    """What someone with the database owner's rights could do before tampering."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
    else:
        s.execute(text("DROP TRIGGER audit_log_no_update"))
        s.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_a_changed_entry_is_detected(trail: sessionmaker[Session], db_url: str) -> None:
    with transaction(trail) as s:
        drop_guards(s)
        s.execute(text("UPDATE audit_log SET actor = 'someone' WHERE id = 3"))
    with trail() as s:
        report = verify(s)
    assert report.broken == ["entry 3: content does not match its hash (changed)"]
    result = CliRunner().invoke(cli, ["audit", "verify", "--db", db_url])
    assert result.exit_code == 1
    assert "entry 3" in result.output


def test_a_removed_entry_is_detected(trail: sessionmaker[Session]) -> None:
    with transaction(trail) as s:
        drop_guards(s)
        s.execute(text("DELETE FROM audit_log WHERE id = 4"))
    with trail() as s:
        report = verify(s)
    assert report.broken == ["entry 5: link to its predecessor broken (an entry before it was changed, "
                             "removed or inserted)"]


def test_the_command_line_reports_an_intact_chain(trail: sessionmaker[Session], db_url: str) -> None:
    result = CliRunner().invoke(cli, ["audit", "verify", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
