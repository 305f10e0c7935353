"""``huiqi import organisations FILE`` and ``huiqi import facts FILE``: all rows or none.

The database is migrated first; a refused file prints its report (row, column, message) and
exits with status 2, having written nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from huiqi.cli.common import err, fail, out

if TYPE_CHECKING:
    from huiqi.app.registry.importing import Importer, ImportRefused

imports_app = typer.Typer(
    help="Import organisations and annual facts from CSV (UTF-8 or GB18030) or .xlsx; a file with "
    "any invalid row imports nothing. 批量导入。",
    no_args_is_help=True, rich_markup_mode=None,
)
File = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                      help="CSV or .xlsx file, headers in row 1")]
DbUrl = Annotated[str | None, typer.Option(
    "--db", envvar="HUIQI_DB", help="database URL (default sqlite:///huiqi.db)")]
ActorName = Annotated[str, typer.Option("--actor", help="who imports (recorded in the audit trail)")]


def _import(importer: Importer, file: Path, url: str | None, actor: str, what: str) -> None:
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.db import DEFAULT_URL, make_engine, sessions, transaction, upgrade
    from huiqi.app.errors import DomainError
    from huiqi.app.registry.importing import ImportRefused

    url = url or DEFAULT_URL
    upgrade(url)
    engine = make_engine(url)
    try:
        with transaction(sessions(engine)) as session:
            n = importer(session, actor=Actor(actor, Role.OFFICE), data=file.read_bytes(),
                         filename=file.name)
    except ImportRefused as exc:
        _print_report(exc)
        fail(f"{file}: {exc.message}")
    except DomainError as exc:
        fail(f"{file}: {exc.message}")
    finally:
        engine.dispose()
    out.print(f"{file}: imported {n} {what}", highlight=False)


def _print_report(exc: ImportRefused) -> None:
    from rich.table import Table

    table = Table(title="导入错误 import errors")
    table.add_column("行 row", justify="right")
    table.add_column("列 column")
    table.add_column("问题 problem")
    for e in exc.errors:
        table.add_row("" if e.row is None else str(e.row), e.column or "", e.message)
    err.print(table)


@imports_app.command()
def organisations(file: File, db: DbUrl = None, actor: ActorName = "import") -> None:
    """Register the organisations of a file. 导入主体。"""
    from huiqi.app.registry import importing

    _import(importing.import_organisations, file, db, actor, "organisations")


@imports_app.command()
def facts(file: File, db: DbUrl = None, actor: ActorName = "import") -> None:
    """Record the annual facts of a file (organisations registered first). 导入年度数据。"""
    from huiqi.app.registry import importing

    _import(importing.import_facts, file, db, actor, "facts")
