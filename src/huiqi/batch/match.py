"""Matching (政策直享): every measure for every beneficiary of a population, on a backend.

Rows are written for results that are eligible or incomplete (``include_all`` adds the
ineligible ones and those with nothing to support: conditions met, ceiling 0.00).
Entitlements offered to every organisation of a kind without conditions (m12 …) are counted,
not written row by row, unless named explicitly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import duckdb

from huiqi.batch.population import Population, parquet_source
from huiqi.engine.backend import Backend
from huiqi.engine.evaluate import Compiled, compile_policy
from huiqi.engine.policy import Policy

# The result columns as written: money back to DECIMAL(18,2) yuan, exactly (valid on DuckDB
# and Spark alike).
OUTPUT = """SELECT beneficiary, measure, item, status,
  CAST(CAST(ceiling_fen AS DECIMAL(18, 0)) * 0.01 AS DECIMAL(18, 2)) AS ceiling,
  failed, missing, placeholder, at_cap
FROM ({sql}) AS results"""


class Runner(Protocol):
    """A backend that can run compiled measures over a population."""

    backend: Backend

    def write_sql(self, query: str, out: Path,
                  progress: Callable[[float], None] | None = None) -> float: ...

    def count(self, compiled: Compiled) -> dict[str, int]: ...

    def view(self, name: str, path: Path) -> None:
        """Name the rows of a Parquet file (or folder of part files) the run wrote, for later
        queries of the same run."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class MeasureSummary:
    measure: str
    eligible: int
    incomplete: int
    ineligible: int
    total: Decimal  # Σ ceilings, yuan
    offered_to_all: bool = False


def unconditional(policy: Policy) -> list[str]:
    """Entitlements with no condition of their own: offered to every organisation of a kind."""
    return [mid for mid, m in policy.measures.items() if m.basis is None and not m.conditions]


def default_measures(policy: Policy) -> list[str]:
    skip = set(unconditional(policy))
    return [mid for mid in policy.measures if mid not in skip]


def match(
    policy: Policy, runner: Runner, year: int, out: Path, *,
    overrides: Mapping[str, Any] | None = None, measures: Sequence[str] | None = None,
    include_all: bool = False, progress: Callable[[float], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> list[MeasureSummary]:
    """Write the results of ``year`` to ``out`` (Parquet) and summarise them per measure;
    ``stage`` hears each step begin, ``progress`` the share (0–100) of the main query done."""
    stage = stage or (lambda _: None)
    ids = list(measures) if measures else default_measures(policy)
    stage("compiling 编译")
    compiled = compile_policy(policy, year, overrides, backend=runner.backend, measures=ids,
                              detail=False, drop_ineligible=not include_all)
    stage("matching 匹配")
    runner.write_sql(OUTPUT.format(sql=compiled.sql), out, progress)
    stage("summarising 汇总")
    summary = summarise(out, ids)
    if not measures:
        stage("counting entitlements 统计普惠")
        counted = compile_policy(policy, year, overrides, backend=runner.backend,
                                 measures=unconditional(policy), detail=False,
                                 drop_ineligible=True)
        summary += [
            MeasureSummary(mid, n, 0, 0, Decimal("0.00"), offered_to_all=True)
            for mid, n in runner.count(counted).items()
        ]
    order = {mid: i for i, mid in enumerate(policy.measures)}
    return sorted(summary, key=lambda s: order[s.measure])


def summarise(results: Path, measures: Sequence[str]) -> list[MeasureSummary]:
    """Counts and Σ ceilings per measure, read back from a results file."""
    path = parquet_source(results)
    rows = duckdb.connect().execute(f"""
        SELECT measure,
               count(*) FILTER (WHERE status = 'eligible'),
               count(*) FILTER (WHERE status = 'incomplete'),
               count(*) FILTER (WHERE status = 'ineligible'),
               coalesce(sum(ceiling), 0)
        FROM read_parquet('{path}') GROUP BY measure""").fetchall()
    found = {r[0]: MeasureSummary(r[0], r[1], r[2], r[3], Decimal(r[4]).quantize(Decimal("0.01")))
             for r in rows}
    return [found.get(m, MeasureSummary(m, 0, 0, 0, Decimal("0.00"))) for m in measures]


def open_runner(population: Population, engine: str, *, memory_limit: str | None = None,
                spark_master: str | None = None) -> Runner:
    """The runner for ``--engine``: embedded DuckDB (default) or Spark."""
    if engine == "duckdb":
        from huiqi.batch.duck import DuckPopulation

        return DuckPopulation(population, memory_limit=memory_limit)
    if engine == "spark":
        from huiqi.batch.spark import SparkPopulation

        return SparkPopulation(population, master=spark_master)
    raise ValueError(f"--engine: expected duckdb or spark, got {engine!r}")


