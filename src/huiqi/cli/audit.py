"""``huiqi audit verify | checkpoint | rotate-key | export``: the audit trail from the console."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from huiqi.cli.common import err, fail, out
from huiqi.cli.platform import DbOption, _url, audit_app

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Engine

    from huiqi.app.audit.service import Verification


@contextmanager
def _engine(db: str | None) -> Iterator[Engine]:
    """The database's engine; a key ring that cannot be read ends the command with its message."""
    from huiqi.app.audit.keys import AuditKeyError
    from huiqi.app.db import make_engine

    engine = make_engine(_url(db))
    try:
        yield engine
    except AuditKeyError as exc:
        fail(exc.message)
    finally:
        engine.dispose()


def _report(report: Verification) -> None:
    for note in report.notes:
        out.print(f"[dim]{note}[/]", highlight=False)
    if report.ok:
        out.print(f"[green]审计链完整 audit chain intact[/]: {report.entries} entries, head {report.head}")
        return
    for line in report.broken:
        err.print(f"[red]{line}[/]", highlight=False)
    err.print(f"[bold red]审计链被篡改 audit chain broken[/]: {len(report.broken)} problem(s) "
              f"in {report.entries} entries")
    raise typer.Exit(1)


@audit_app.command("verify")
def verify(
    db: DbOption = None,
    export: Annotated[Path | None, typer.Option(help="verify this export file instead of the "
                                                     "database (its own chain and closing line)")] = None,
) -> None:
    """Recompute the keyed chain and check it against the signed checkpoints; exit 1 when any
    entry was changed, removed or inserted, or the newest ones were cut off."""
    from huiqi.app.audit import checkpoints, service
    from huiqi.app.audit import export as exporting
    from huiqi.app.audit.config import config
    from huiqi.app.audit.keys import AuditKeyError
    from huiqi.app.db import sessions

    if export is not None:
        try:
            ring = checkpoints.load_ring(config(_url(db)), create=False)
            with export.open(encoding="utf-8") as f:
                _report(exporting.check(f, ring))
        except OSError as exc:
            fail(f"--export: cannot read {export} ({exc.strerror})")
        except AuditKeyError as exc:
            fail(exc.message)
        return
    with _engine(db) as engine, sessions(engine, read_only=True)() as s:
        report = service.verify(s)
    _report(report)


@audit_app.command("checkpoint")
def checkpoint(db: DbOption = None) -> None:
    """Write a signed checkpoint of the chain's head (count and hash) to the audit folder."""
    from huiqi.app.audit import checkpoints

    with _engine(db) as engine:
        anchor = checkpoints.write(engine)
        folder = checkpoints.config_for(engine).checkpoints
    assert anchor is not None
    out.print(f"checkpoint: {anchor.entries} entries, head {anchor.head} → {folder}")


@audit_app.command("rotate-key")
def rotate_key(db: DbOption = None) -> None:
    """Add a new audit key to the key file (it signs from now on; old keys stay to verify old
    entries) and write a checkpoint signed with it. Running servers pick it up at their next entry."""
    from huiqi.app.audit import checkpoints, keys

    with _engine(db) as engine:
        cfg = checkpoints.config_for(engine)
        path, key_id = keys.rotate(cfg.default_key)
        anchor = checkpoints.write(engine)
    assert anchor is not None
    out.print(f"new audit key {key_id} in {path}; checkpoint at {anchor.entries} entries")


@audit_app.command("export")
def export(
    db: DbOption = None,
    since: Annotated[str | None, typer.Option(help="YYYY-MM-DD (UTC); default: the retention period "
                                                   "back from today (setting audit_retention_days)")] = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="file to write (default: stdout)")] = None,
) -> None:
    """Export entries as JSON lines with their chain fields and a signed closing line, for keeping
    them at least six months (网络安全法 第二十一条); `audit verify --export FILE` checks a file."""
    from huiqi.app.audit.export import export as write_export
    from huiqi.app.db import sessions
    from huiqi.app.settings import service as settings

    try:
        start = date.fromisoformat(since) if since else None
    except ValueError:
        fail(f"--since: expected a date YYYY-MM-DD, got {since!r}")
    with _engine(db) as engine, sessions(engine, read_only=True)() as s:
        if start is None:
            days = int(settings.get(s, "audit_retention_days"))
            start = (datetime.now(UTC) - timedelta(days=days)).date()
        when = datetime(start.year, start.month, start.day, tzinfo=UTC)
        if out_file is None:
            count = write_export(s, since=when, out=sys.stdout)
        else:
            with out_file.open("w", encoding="utf-8") as f:
                count = write_export(s, since=when, out=f)
    err.print(f"exported {count} audit entries since {start.isoformat()}"
              + (f" to {out_file}" if out_file else ""))
