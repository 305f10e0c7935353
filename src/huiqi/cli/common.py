"""What every command shares: the Typer app, consoles, JSON output and error exits."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console

# Plain help (no rich_markup_mode): rendering help through rich imports a Markdown parser and
# costs a quarter of a second at every start.
app = typer.Typer(
    help="惠企 huiqi — 通政发〔2024〕8号 as code: measures, parameters, an explained calculator, "
    "matching and what-if simulation over whole populations.",
    no_args_is_help=True, rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Print a clear error naming the problem and exit with status 2 (no traceback)."""
    err.print(f"[bold red]错误 error:[/] {message}", highlight=False)
    raise typer.Exit(2)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
