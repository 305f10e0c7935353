"""Synthetic populations, matching and simulation as a user runs them."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from openpyxl import load_workbook
from stdnum.cn import uscc
from typer.testing import CliRunner

from huiqi.batch.match import MeasureSummary, summarise
from huiqi.batch.population import Population
from huiqi.batch.synth import generate
from huiqi.calculator import parse_case
from huiqi.cli import app
from huiqi.facts.tables import SCHEMAS, to_tables

runner = CliRunner()
YEAR = 2025


@pytest.fixture(scope="module")
def pop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pop") / "district"
    result = runner.invoke(app, ["synth", "--out", str(path), "--enterprises", "3000",
                                 "--year", str(YEAR), "--seed", "5"])
    assert result.exit_code == 0, result.output
    return path


def test_a_population_is_the_same_for_the_same_seed() -> None:
    a, b = generate(500, YEAR, seed=3), generate(500, YEAR, seed=3)
    assert all(a[n].equals(b[n]) for n in SCHEMAS)
    assert not generate(500, YEAR, seed=4)["subjects"].equals(a["subjects"])


def test_a_population_has_the_case_schema_in_columns_and_valid_codes() -> None:
    tables = generate(500, YEAR, seed=3)
    for name, schema in SCHEMAS.items():
        assert tables[name].schema.equals(schema), name
    ids = tables["subjects"].filter(
        pa.compute.not_equal(tables["subjects"]["kind"], "person"))["id"].to_pylist()
    assert len(ids) == len(set(ids)) and all(uscc.is_valid(i) for i in ids)
    kinds = set(tables["subjects"]["kind"].to_pylist())
    assert kinds == {"enterprise", "park_operator", "building_operator", "fund",
                     "attraction_platform", "bank", "service_institution", "fund_manager",
                     "person"}


def test_opening_something_that_is_not_a_population_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["match", str(tmp_path)])
    assert result.exit_code == 2 and "not a population" in result.stderr


def test_match_writes_eligible_and_incomplete_rows_with_decimal_ceilings(
    pop: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r.parquet"
    result = runner.invoke(app, ["match", str(pop), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rel = duckdb.read_parquet(str(out))
    assert dict(zip(rel.columns, map(str, rel.dtypes), strict=True))["ceiling"] == "DECIMAL(18,2)"
    statuses = {r[0] for r in rel.select("status").distinct().fetchall()}
    assert statuses <= {"eligible", "incomplete"}
    assert "m12" not in {r[0] for r in rel.select("measure").distinct().fetchall()}
    assert "m01.new" in result.output and "offered to all" in result.output


def test_match_all_adds_ineligible_rows_and_measures_restricts(pop: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    result = runner.invoke(app, ["match", str(pop), "--out", str(out), "--all",
                                 "--measures", "m01.new,m17"])
    assert result.exit_code == 0, result.output
    rows = duckdb.sql(f"SELECT measure, status, count(*) FROM '{out}' GROUP BY ALL").fetchall()
    assert {r[0] for r in rows} == {"m01.new", "m17"}
    assert any(r[1] == "ineligible" for r in rows)


def test_simulate_prices_a_reform_exactly(pop: Path, tmp_path: Path) -> None:
    reform = tmp_path / "reform.yaml"
    reform.write_text("m01.rate: '0.60'\n", encoding="utf-8")
    out = tmp_path / "sim"
    result = runner.invoke(app, ["simulate", str(pop), "--reform", str(reform), "--out", str(out),
                                 "--measures", "m01.new,m01.existing,m17"])
    assert result.exit_code == 0, result.output
    # worked out independently from the population: every new chain leader of the year
    leaders = duckdb.sql(f"""
        SELECT rc_fen FROM '{pop}/subjects.parquet'
        WHERE chain_leader = 'new' AND NOT one_matter AND rc_fen IS NOT NULL
          AND chain_leader_since >= DATE '{YEAR}-01-01'
          AND chain_leader_since >= DATE '2024-02-26' AND chain_leader_since < DATE '{YEAR + 1}-01-01'
    """).fetchall()
    assert leaders

    def total(rate: str) -> Decimal:
        return sum((((Decimal(fen) / 100) * Decimal(rate)).quantize(Decimal("0.01"), ROUND_HALF_UP)
                    for (fen,) in leaders), Decimal("0.00"))

    rows = {r["key"]: r for r in _csv(out / "by_measure.csv")}
    assert Decimal(rows["m01.new"]["baseline_yuan"]) == total("0.70")
    assert Decimal(rows["m01.new"]["reform_yuan"]) == total("0.60")
    assert Decimal(rows["m17"]["delta_yuan"]) == 0
    assert {p.name for p in out.iterdir()} >= {
        "by_measure.csv", "by_size.csv", "by_section.csv", "by_kind.csv", "winners_losers.csv",
        "simulation.xlsx", "cost_by_measure.svg", "cost_by_measure.png", "scenarios.parquet"}
    assert set(load_workbook(out / "simulation.xlsx").sheetnames) == {
        "reform", "by_measure", "by_size", "by_section", "by_kind", "winners_losers"}
    svg = (out / "cost_by_measure.svg").read_text(encoding="utf-8")
    assert "基线" in svg and "措施" in svg  # labels are text in Chinese
    assert (out / "cost_by_measure.png").stat().st_size > 10_000
    bands = {r["change_band_yuan"]: int(r["beneficiaries"]) for r in _csv(out / "winners_losers.csv")}
    [(everyone,)] = duckdb.sql(
        f"SELECT count(DISTINCT beneficiary) FROM '{out}/scenarios.parquet'").fetchall()
    assert sum(bands.values()) == everyone
    # a lower rate makes nobody better off
    assert bands["0 … 100,000"] == bands["100,000 … 1,000,000"] == bands["≥ 1,000,000"] == 0


def _csv(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_a_zero_ceiling_is_neither_written_nor_counted_by_match(tmp_path: Path) -> None:
    # Two new chain leaders of 2024: A with regional contribution 0.00 (0.70 × 0 = 0.00, nothing
    # to support), B with 12,000,000.00 (0.70 × 12,000,000.00 = 8,400,000.00).
    case = parse_case({"year": 2024, "beneficiaries": [
        {"id": "91110112MA01AAAA0E", "kind": "enterprise",
         "regional_contribution": {2024: "0.00"},
         "chain_leader": {"status": "new", "since": "2024-05-01"}},
        {"id": "91110112MA01B50012", "kind": "enterprise",
         "regional_contribution": {2024: "12000000.00"},
         "chain_leader": {"status": "new", "since": "2024-05-01"}},
    ]})
    Population.write(tmp_path / "pop", to_tables(case, 2024), {"year": 2024, "seed": 0})
    out = tmp_path / "results.parquet"
    result = runner.invoke(app, ["match", str(tmp_path / "pop"), "--out", str(out),
                                 "--measures", "m01.new"])
    assert result.exit_code == 0, result.output
    rows = duckdb.sql(f"SELECT beneficiary, status, ceiling FROM '{out}'").fetchall()
    assert rows == [("91110112MA01B50012", "eligible", Decimal("8400000.00"))]
    assert "840.00" in result.output  # Σ ceilings in 万元: B alone
    result = runner.invoke(app, ["match", str(tmp_path / "pop"), "--out", str(out),
                                 "--measures", "m01.new", "--all"])
    assert result.exit_code == 0, result.output
    rows = duckdb.sql(f"SELECT beneficiary, status, ceiling FROM '{out}' ORDER BY 1").fetchall()
    assert rows == [("91110112MA01AAAA0E", "nothing_to_support", None),
                    ("91110112MA01B50012", "eligible", Decimal("8400000.00"))]
    assert summarise(out, ["m01.new"]) == [
        MeasureSummary("m01.new", eligible=1, incomplete=0, ineligible=0,
                       total=Decimal("8400000.00"))]


def test_the_batch_of_candidates_writes_exactly_the_full_plans_eligible_and_incomplete_rows(
    pop: Path, tmp_path: Path
) -> None:
    """The candidates plan (conditions filtered first, the size class derived for the few rows
    that need it) against the complete plan, which evaluates every row and reads ``sizes``."""
    from huiqi.batch.duck import DuckPopulation
    from huiqi.batch.match import default_measures, match
    from huiqi.policy.tongzhou_2024_8 import policy

    p = policy()
    runner = DuckPopulation(Population.open(pop))
    try:
        match(p, runner, YEAR, tmp_path / "c.parquet", measures=default_measures(p))
        assert not runner.sized  # nothing the candidates plan runs reads the derived sizes
        match(p, runner, YEAR, tmp_path / "a.parquet", measures=default_measures(p),
              include_all=True)
        assert runner.sized
    finally:
        runner.close()
    ours = duckdb.sql(f"SELECT * FROM '{tmp_path / 'c.parquet'}'")
    full = duckdb.sql(f"SELECT * FROM '{tmp_path / 'a.parquet'}' "
                      "WHERE status IN ('eligible', 'incomplete')")
    assert sorted(ours.fetchall(), key=str) == sorted(full.fetchall(), key=str)
    measures = {r[0] for r in ours.select("measure").distinct().fetchall()}
    assert {"m05", "m22.interest", "m22.risk", "m07.rd"} <= measures  # sized ones included
