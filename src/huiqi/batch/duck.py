"""A population opened in embedded DuckDB: Parquet views, the derived sizes, out-of-core.

The facts are read from Parquet where they lie; each beneficiary's size class is derived once
into a temporary table, when the first query that reads ``sizes`` runs (a batch of candidates
classifies its few candidates itself and never does). ``memory_limit`` caps DuckDB's memory and
lets large joins and sorts spill to disk.
"""

from __future__ import annotations

import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from huiqi.batch.population import Population, parquet_source
from huiqi.engine.backend import DUCKDB
from huiqi.engine.evaluate import Compiled, derive_sql, derived_inputs


class DuckPopulation:
    """Runs compiled measures over a population on disk."""

    backend = DUCKDB

    def __init__(self, population: Population, memory_limit: str | None = None,
                 threads: int | None = None) -> None:
        self.population = population
        config: dict[str, Any] = {"preserve_insertion_order": False}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        self.spill = tempfile.TemporaryDirectory(prefix="huiqi-spill-")
        config["temp_directory"] = self.spill.name
        self.con = duckdb.connect(config=config)
        # progress is tracked and polled (query_progress) for our own display, not printed
        self.con.execute("SET enable_progress_bar = true")
        self.con.execute("SET enable_progress_bar_print = false")
        for name in ("subjects", "titles", "projects", "loans", "history"):
            self._view(name, name)
        for name, table in derived_inputs().items():
            self.con.register(name, table)
        self.sized = False

    def ensure_sizes(self, query: str | None = None) -> None:
        """Derive ``sizes`` now if not yet done (and, given a query, only if it reads it)."""
        if self.sized or (query is not None and not re.search(r"\bsizes\b", query)):
            return
        self.con.execute(f"CREATE TEMP TABLE sizes AS {derive_sql('duckdb')}")
        self.sized = True

    def _view(self, name: str, table: str) -> None:
        path = str(self.population.file(table)).replace("'", "''")
        self.con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")

    def sql(self, query: str, progress: Callable[[float], None] | None = None) -> Any:
        """Run a query, reporting DuckDB's progress (0–100) from a watcher thread."""
        self.ensure_sizes(query)
        if progress is None:
            return self.con.execute(query)
        done = threading.Event()

        def watch() -> None:
            while not done.wait(0.2):
                pct = self.con.query_progress()
                if pct >= 0:
                    progress(pct)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            return self.con.execute(query)
        finally:
            done.set()
            watcher.join()

    def write_sql(self, query: str, out: Path,
                  progress: Callable[[float], None] | None = None) -> float:
        """Write a query's rows to a Parquet file; returns the seconds taken."""
        start = time.perf_counter()
        target = str(out).replace("'", "''")
        self.sql(f"COPY ({query}) TO '{target}' (FORMAT parquet)", progress)
        return time.perf_counter() - start

    def count(self, compiled: Compiled) -> dict[str, int]:
        """Result rows per measure, without writing them."""
        rows = self.sql(
            f"SELECT measure, count(*) FROM ({compiled.sql}) AS r GROUP BY measure"
        ).fetchall()
        return {m: int(n) for m, n in rows}

    def view(self, name: str, path: Path) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS "
                         f"SELECT * FROM read_parquet('{parquet_source(path)}')")

    def close(self) -> None:
        self.con.close()
        self.spill.cleanup()
