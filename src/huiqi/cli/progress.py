"""Progress on the terminal: a transient bar on stderr naming the stage under way.

Shown only when stderr is a terminal — never into a pipe, a log, a test or beside ``--json`` —
and never with ``--quiet``; what goes to stdout is the same either way.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # rich.progress is imported when a bar is drawn: `huiqi --help` stays quick
    from rich.progress import Progress, TaskID

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar (stderr)")]


class Stages:
    """Reports stages and, where a stage knows it, the share done (0–100)."""

    def __init__(self, bar: Progress | None) -> None:
        self.bar = bar
        self.task: TaskID | None = None if bar is None else bar.add_task("", total=None)
        self.name = ""

    def stage(self, name: str, total: float | None = None) -> None:
        """Start a stage: with a total the bar fills as ``done`` reports, else it pulses."""
        self.name = name
        if self.bar is not None and self.task is not None:
            self.bar.reset(self.task, description=name, total=total)

    def done(self, completed: float) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=completed)

    def within(self, prefix: str) -> Callable[[str], None]:
        """A ``stage`` that names its stages after ``prefix`` (e.g. the year)."""
        return lambda name: self.stage(f"{prefix} {name}")

    def step(self, name: str, done: int, total: int) -> None:
        """At ``done`` of ``total`` (0: unknown) in stage ``name``, which starts when new."""
        if name != self.name:
            self.stage(name, total or None)
        self.done(done)

    def percent(self, pct: float) -> None:
        """The share of the stage done, 0–100 (as DuckDB reports a query's progress)."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, total=100, completed=pct)



@contextmanager
def stages(quiet: bool = False) -> Iterator[Stages]:
    if quiet or not sys.stderr.isatty():
        yield Stages(None)
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        yield Stages(bar)
