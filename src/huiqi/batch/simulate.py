"""What-if simulation: baseline and reform over the same population in one query.

Both parameter sets are compiled from the same measure definitions; their result rows are
written together (with a ``scenario`` column) and then summed per measure, size class, industry
section and beneficiary kind; winners and losers are counted in bands of the change per
beneficiary; and ceilings bound by their cap are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from huiqi.batch.match import OUTPUT, PROFILE, Runner, default_measures
from huiqi.batch.population import parquet_source
from huiqi.engine.evaluate import compile_policy
from huiqi.engine.policy import Policy

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
BREAKDOWNS = {"measure": "measure", "size": "size", "section": "section", "kind": "kind"}


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


def _sum_query(group: str, scen: str, prof: str) -> str:
    key = "s.measure" if group == "measure" else f"p.{group}"
    join = "" if group == "measure" else f" JOIN read_parquet('{prof}') p USING (beneficiary)"
    return f"""
        SELECT {key} AS key,
          coalesce(sum(ceiling) FILTER (WHERE scenario = 'baseline'), 0),
          coalesce(sum(ceiling) FILTER (WHERE scenario = 'reform'), 0),
          count(*) FILTER (WHERE scenario = 'baseline' AND status = 'eligible'),
          count(*) FILTER (WHERE scenario = 'reform' AND status = 'eligible'),
          count(*) FILTER (WHERE scenario = 'baseline' AND at_cap),
          count(*) FILTER (WHERE scenario = 'reform' AND at_cap)
        FROM read_parquet('{scen}') s{join} GROUP BY 1 ORDER BY 1"""


def _band_query(scen: str) -> str:
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
    return f"""
        WITH per AS (
          SELECT beneficiary,
            coalesce(sum(ceiling) FILTER (WHERE scenario = 'reform'), 0)
            - coalesce(sum(ceiling) FILTER (WHERE scenario = 'baseline'), 0) AS delta
          FROM read_parquet('{scen}') GROUP BY beneficiary)
        SELECT CASE {' '.join(cases)} END AS band, count(*) FROM per GROUP BY 1"""


def simulate(
    policy: Policy, runner: Runner, year: int, reform: Mapping[str, Any], out_dir: Path, *,
    measures: Sequence[str] | None = None, progress: Callable[[float], None] | None = None,
    stage: Callable[[str], None] | None = None,
) -> Simulation:
    """Run baseline and reform, write ``scenarios.parquet`` and ``profile.parquet``, summarise;
    ``stage`` hears each step begin, ``progress`` the share (0–100) of the main query done."""
    stage = stage or (lambda _: None)
    stage("compiling 编译")
    ids = list(measures) if measures else default_measures(policy)
    options: dict[str, Any] = {"backend": runner.backend, "measures": ids, "detail": False,
                               "drop_ineligible": True}
    base = compile_policy(policy, year, None, **options)
    ref = compile_policy(policy, year, reform, **options)
    out_dir.mkdir(parents=True, exist_ok=True)
    scen, prof = out_dir / "scenarios.parquet", out_dir / "profile.parquet"
    both = (f"SELECT 'baseline' AS scenario, * FROM ({OUTPUT.format(sql=base.sql)}) AS b "
            f"UNION ALL SELECT 'reform' AS scenario, * FROM ({OUTPUT.format(sql=ref.sql)}) AS r")
    stage("baseline and reform 基线与改革")
    seconds = runner.write_sql(both, scen, progress)
    stage("profiles 主体画像")
    seconds += runner.write_sql(PROFILE, prof)
    stage("breakdowns 分组汇总")
    result = Simulation(year, dict(reform), seconds=seconds)
    s, p = parquet_source(scen), parquet_source(prof)
    con = duckdb.connect()
    for name in BREAKDOWNS:
        rows = con.execute(_sum_query(name, s, p)).fetchall()
        result.breakdowns[name] = [
            Row(str(k), Decimal(b).quantize(ZERO), Decimal(r).quantize(ZERO), *map(int, rest))
            for k, b, r, *rest in rows
        ]
    order = {mid: i for i, mid in enumerate(policy.measures)}
    result.breakdowns["measure"].sort(key=lambda row: order.get(row.key, 0))
    counts = dict(con.execute(_band_query(s)).fetchall())
    result.bands = [(label, int(counts.get(label, 0))) for label, _, _ in BANDS]
    return result
