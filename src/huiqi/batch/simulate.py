"""What-if simulation: baseline and reform over the same population in one pass.

Both parameter sets are compiled from the same measure definitions. A reform changes literals
only, so the measures whose definition it leaves as it was are evaluated once, for both
scenarios; only the measures it changes are evaluated under each parameter set. The rows
(``scenarios.parquet``, with a ``scenario`` column: ``both``, ``baseline`` or ``reform``) are
summed per measure; each beneficiary's totals, joined once to its kind, size class and industry
section (``profile.parquet``), give the sums per size class, section and kind and the bands of
winners and losers (the change per beneficiary); ceilings bound by their cap are counted in both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import ibis

from huiqi.batch.match import OUTPUT, Runner, default_measures
from huiqi.batch.population import parquet_source
from huiqi.engine.backend import Backend
from huiqi.engine.evaluate import compile_policy, fact_tables
from huiqi.engine.policy import Policy
from huiqi.engine.scenarios import changed_by
from huiqi.engine.sources import with_size

ZERO = Decimal("0.00")
# Bands of the change in Σ ceilings per beneficiary, yuan: (label, lower, upper), half-open.
BANDS = [
    ("≤ −1,000,000", None, Decimal(-1_000_000)),
    ("−1,000,000 … −100,000", Decimal(-1_000_000), Decimal(-100_000)),
    ("−100,000 … 0", Decimal(-100_000), Decimal(0)),
    ("0 不变 unchanged", None, None),
    ("0 … 100,000", Decimal(0), Decimal(100_000)),
    ("100,000 … 1,000,000", Decimal(100_000), Decimal(1_000_000)),
    ("≥ 1,000,000", Decimal(1_000_000), None),
]
BREAKDOWNS = ("measure", "size", "section", "kind")


@dataclass
class Row:
    """Baseline vs reform for one group."""

    key: str
    baseline: Decimal
    reform: Decimal
    baseline_eligible: int
    reform_eligible: int
    baseline_at_cap: int
    reform_at_cap: int

    @property
    def delta(self) -> Decimal:
        return self.reform - self.baseline

    @property
    def percent(self) -> Decimal | None:
        if not self.baseline:
            return None
        return (self.delta * 100 / self.baseline).quantize(Decimal("0.01"))


@dataclass
class Simulation:
    year: int
    reform: dict[str, Any]
    breakdowns: dict[str, list[Row]] = field(default_factory=dict)
    bands: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0
    changed: list[str] = field(default_factory=list)  # measures evaluated under both parameter sets


# The rows written say which scenario they belong to: ``both`` for a measure the reform leaves
# unchanged (its rows are the same in either), ``baseline`` or ``reform`` for one it changes.
IN_BASELINE, IN_REFORM = "scenario <> 'reform'", "scenario <> 'baseline'"


def _rows(scenario: str, query: str) -> str:
    return f"SELECT '{scenario}' AS scenario, * FROM ({OUTPUT.format(sql=query)}) AS rows_{scenario}"


def _totals(key: str) -> str:
    """Σ ceilings, eligible rows and rows at their cap in each scenario, per ``key``."""
    return f"""{key},
          coalesce(sum(ceiling) FILTER (WHERE {IN_BASELINE}), 0) AS baseline,
          coalesce(sum(ceiling) FILTER (WHERE {IN_REFORM}), 0) AS reform,
          count(*) FILTER (WHERE {IN_BASELINE} AND status = 'eligible') AS baseline_eligible,
          count(*) FILTER (WHERE {IN_REFORM} AND status = 'eligible') AS reform_eligible,
          count(*) FILTER (WHERE {IN_BASELINE} AND at_cap) AS baseline_at_cap,
          count(*) FILTER (WHERE {IN_REFORM} AND at_cap) AS reform_at_cap"""


SUMS = ("baseline", "reform", "baseline_eligible", "reform_eligible", "baseline_at_cap",
        "reform_at_cap")


def _band_case() -> str:
    cases = []
    for label, lo, hi in BANDS:
        if lo is None and hi is None:
            cases.append(f"WHEN delta = 0 THEN '{label}'")
            continue
        parts = [f"delta >= {lo}" if lo is not None else "", f"delta < {hi}" if hi is not None else ""]
        if lo == 0:
            parts[0] = "delta > 0"
        cond = " AND ".join(p for p in parts if p)
        cases.append(f"WHEN {cond} THEN '{label}'")
    return f"CASE {' '.join(cases)} END"


def _breakdowns(con: duckdb.DuckDBPyConnection, scen: str, prof: str) -> dict[str, list[Any]]:
    """Per measure from the rows; per size class, section and kind from each beneficiary's
    totals joined once to its profile (one row per beneficiary, not per result)."""
    found: dict[str, list[Any]] = {}
    found["measure"] = con.execute(
        f"SELECT {_totals('measure AS key')} FROM read_parquet('{scen}') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    con.execute(f"""CREATE TEMP TABLE per AS
        SELECT p.kind, p.size, p.section, t.* FROM (
          SELECT {_totals('beneficiary')} FROM read_parquet('{scen}') GROUP BY beneficiary) AS t
        JOIN read_parquet('{prof}') AS p USING (beneficiary)""")
    for name in ("size", "section", "kind"):
        found[name] = con.execute(
            f"SELECT {name} AS key, {', '.join(f'sum({c})' for c in SUMS)} "
            f"FROM per GROUP BY 1 ORDER BY 1").fetchall()
    found["bands"] = con.execute(
        f"SELECT {_band_case()} AS band, count(*) FROM "
        f"(SELECT reform - baseline AS delta FROM per) GROUP BY 1").fetchall()
    return found


# The columns of the rows ``simulate`` writes (``match``'s, with the scenario).
SCENARIO_ROWS = {"scenario": "string", "beneficiary": "string", "measure": "string",
                 "item": "string", "status": "string", "ceiling": "decimal(18, 2)",
                 "failed": "string", "missing": "string", "placeholder": "boolean",
                 "at_cap": "boolean"}


def profile_query(backend: Backend) -> str:
    """Who each beneficiary with a row in ``scenario_rows`` is: kind, size class and industry
    section (``(n/a)`` for a beneficiary not an enterprise). The size class is derived for these
    beneficiaries alone, with the definition the measures use."""
    t = fact_tables()
    rows = ibis.table(ibis.schema(SCENARIO_ROWS), name="scenario_rows")
    s = t["subjects"]
    z = with_size(s.filter(s.id.isin(rows.beneficiary)), t, derive=True)
    ent = z.kind == "enterprise"
    return str(ibis.to_sql(z.select(
        beneficiary=z.id, kind=z.kind,
        size=ibis.ifelse(ent, z.size.fill_null("(unknown)"), "(n/a)"),
        section=ibis.ifelse(ent, z.section.fill_null("(unknown)"), "(n/a)"),
    ), dialect=backend.dialect))


def scenario_query(policy: Policy, backend: Backend, year: int, reform: Mapping[str, Any],
                   measures: Sequence[str]) -> tuple[str, list[str]]:
    """The query of both scenarios' rows, and the measures the reform changes."""
    options: dict[str, Any] = {"backend": backend, "detail": False, "drop_ineligible": True}
    changed = changed_by(policy, year, reform, measures)
    same = [mid for mid in measures if mid not in changed]
    parts = []
    if same:
        parts.append(_rows("both", compile_policy(policy, year, None, measures=same,
                                                  **options).sql))
    if changed:
        parts += [_rows("baseline", compile_policy(policy, year, None, measures=changed,
                                                   **options).sql),
                  _rows("reform", compile_policy(policy, year, reform, measures=changed,
                                                 **options).sql)]
    return " UNION ALL ".join(parts), changed


def simulate(
    policy: Policy, runner: Runner, year: int, reform: Mapping[str, Any], out_dir: Path, *,
    measures: Sequence[str] | None = None, progress: Callable[[float], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> Simulation:
    """Run baseline and reform in one pass, write ``scenarios.parquet`` and ``profile.parquet``,
    summarise; ``stage`` hears each step begin, ``progress`` the share (0–100) of the main query
    done."""
    stage = stage or (lambda _: None)
    stage("compiling 编译")
    ids = list(measures) if measures else default_measures(policy)
    query, changed = scenario_query(policy, runner.backend, year, reform, ids)
    out_dir.mkdir(parents=True, exist_ok=True)
    scen, prof = out_dir / "scenarios.parquet", out_dir / "profile.parquet"
    stage("baseline and reform 基线与改革")
    seconds = runner.write_sql(query, scen, progress)
    stage("profiles 主体画像")
    runner.view("scenario_rows", scen)
    seconds += runner.write_sql(profile_query(runner.backend), prof)
    stage("breakdowns 分组汇总")
    result = Simulation(year, dict(reform), seconds=seconds, changed=changed)
    found = _breakdowns(duckdb.connect(), parquet_source(scen), parquet_source(prof))
    for name in BREAKDOWNS:
        result.breakdowns[name] = [
            Row(str(k), Decimal(b).quantize(ZERO), Decimal(r).quantize(ZERO), *map(int, rest))
            for k, b, r, *rest in found[name]
        ]
    order = {mid: i for i, mid in enumerate(policy.measures)}
    result.breakdowns["measure"].sort(key=lambda row: order.get(row.key, 0))
    counts = dict(found["bands"])
    result.bands = [(label, int(counts.get(label, 0))) for label, _, _ in BANDS]
    return result
