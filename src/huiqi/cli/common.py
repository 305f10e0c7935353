"""What every command shares: the Typer app, consoles, JSON output and error exits."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import typer
from rich.console import Console, ConsoleDimensions

# Plain help (no rich_markup_mode): rendering help through rich imports a Markdown parser and
# costs a quarter of a second at every start.
app = typer.Typer(
    help="惠企 huiqi — 通政发〔2024〕8号 as code: measures, parameters, an explained calculator, "
    "matching and what-if simulation over whole populations.",
    no_args_is_help=True, rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
# Output into a pipe or a file has no width of its own: tables are laid out for this many
# columns unless COLUMNS says otherwise, rather than for whatever terminal happens to be near.
PIPED_WIDTH = 120


class _Console(Console):
    """Rich's console, whose width into a pipe or file is COLUMNS or ``PIPED_WIDTH`` (rich would
    take the size of any terminal on stdin or stderr, or 80). Rich already writes no colour or
    cursor codes there (unless FORCE_COLOR asks for them)."""

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if self._width is None and "COLUMNS" not in os.environ and not self.file.isatty():
            return ConsoleDimensions(PIPED_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


out = _Console()
err = _Console(stderr=True, soft_wrap=True)


def fail(message: str) -> NoReturn:
    """Print a clear error naming the problem and exit with status 2 (no traceback)."""
    err.print(f"[bold red]错误 error:[/] {message}", highlight=False)
    raise typer.Exit(2)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
