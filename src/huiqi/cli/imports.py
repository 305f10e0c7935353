"""``huiqi import organisations FILE`` and ``huiqi import facts FILE``: all rows or none.

The database is migrated first; a refused file prints its report (row, column, message) and
exits with status 2, having written nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from huiqi.cli.common import err, fail, out
from huiqi.cli.progress import Quiet, stages

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


def _import(importer: Importer, file: Path, url: str | None, actor: str, what: str,
            quiet: bool) -> None:
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.db import DEFAULT_URL, make_engine, sessions, transaction, upgrade
    from huiqi.app.errors import DomainError
    from huiqi.app.registry.importing import ImportRefused

    url = url or DEFAULT_URL
    try:
        with stages(quiet) as st:  # closed before any report is printed
            st.stage("migrating 迁移数据库")
            upgrade(url)
            engine = make_engine(url)
            st.stage(f"checking and writing 校验并写入 {file.name}")
            try:
                with transaction(sessions(engine)) as session:
                    n = importer(session, actor=Actor(actor, Role.OFFICE), data=file.read_bytes(),
                                 filename=file.name)
            finally:
                engine.dispose()
    except ImportRefused as exc:
        _print_report(exc)
        fail(f"{file}: {exc.message}")
    except DomainError as exc:
        fail(f"{file}: {exc.message}")
    out.print(f"{file}: imported {n} {what}", highlight=False)


def _print_report(exc: ImportRefused) -> None:
    from rich.markup import escape

    from huiqi.cli.tables import Column, show

    show(err, "导入错误 import errors",
         [Column("行\nrow", right=True), Column("列 column", wrap=True), Column("问题 problem", wrap=True)],
         [["" if e.row is None else str(e.row), escape(e.column or ""), escape(e.message)]
          for e in exc.errors])


@imports_app.command()
def organisations(file: File, db: DbUrl = None, actor: ActorName = "import",
                  quiet: Quiet = False) -> None:
    """Register the organisations of a file. 导入主体。"""
    from huiqi.app.registry import importing

    _import(importing.import_organisations, file, db, actor, "organisations", quiet)


@imports_app.command()
def facts(file: File, db: DbUrl = None, actor: ActorName = "import", quiet: Quiet = False) -> None:
    """Record the annual facts of a file (organisations registered first). 导入年度数据。"""
    from huiqi.app.registry import importing

    _import(importing.import_facts, file, db, actor, "facts", quiet)
