"""``huiqi backup`` and ``huiqi restore``: the database and its audit checkpoints, one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from huiqi.cli.common import app, err, fail, out
from huiqi.cli.platform import DbOption, _url


@app.command("backup")
def backup(
    out_file: Annotated[Path, typer.Option("--out", help="archive to write (.tar.gz)")],
    db: DbOption = None,
) -> None:
    """Back up the database (SQLite backup API, or pg_dump) with its signed audit checkpoints; the
    audit key is not included — keep it apart."""
    from huiqi.app.audit.keys import AuditKeyError
    from huiqi.app.backup import BackupError
    from huiqi.app.backup import backup as write_backup

    try:
        m = write_backup(_url(db), out_file)
    except (BackupError, AuditKeyError) as exc:
        fail(exc.message)
    except OSError as exc:
        fail(f"--out: cannot write {out_file} ({exc.strerror})")
    out.print(f"backup of {m.kind} database (revision {m.revision}, {m.entries} audit entries, head "
              f"{m.head}) → {out_file}")


@app.command("restore")
def restore(
    archive: Annotated[Path, typer.Argument(help="an archive written by `huiqi backup`")],
    db: DbOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="overwrite a database that is not "
                                                            "empty")] = False,
) -> None:
    """Restore an archive, bring it to the current schema, then verify the audit chain and
    reconcile the ledger; exit 1 when either fails."""
    from huiqi.app.audit.service import verify
    from huiqi.app.backup import BackupError
    from huiqi.app.backup import restore as read_backup
    from huiqi.app.budget.service import reconcile
    from huiqi.app.db import make_engine, sessions, upgrade

    url = _url(db)
    try:
        m = read_backup(archive, url, replace=replace)
    except BackupError as exc:
        fail(exc.message)
    upgrade(url)
    engine = make_engine(url)
    with sessions(engine, read_only=True)() as s:
        report, lines = verify(s), reconcile(s)
    engine.dispose()
    out.print(f"restored {m.kind} backup ({m.entries} audit entries at backup) into {url}")
    bad = [line for line in lines if not line.consistent]
    for b in bad:
        err.print(f"[red]ledger {b.measure} {b.year} does not reconcile: {b.to_json()}[/]")
    for problem in report.broken:
        err.print(f"[red]{problem}[/]", highlight=False)
    if bad or not report.ok:
        err.print("[bold red]恢复后校验失败 verification after restore failed[/]")
        raise typer.Exit(1)
    out.print(f"[green]审计链完整 audit chain intact[/] ({report.entries} entries); "
              f"ledger reconciles ({len(lines)} budget lines)")
