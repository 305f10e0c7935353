"""Spark gives exactly DuckDB's results: every row, status and ceiling to the fen.

The same policy is compiled twice — for DuckDB and for Spark — and run over the same population:
every hand-worked case of a year (ids prefixed per case, so that cases share one run) plus, when
``huiqi.batch.synth`` is there, a synthetic district for that year. The rows must be equal as a
multiset, column by column.
"""

from __future__ import annotations

import importlib.util
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from huiqi.batch.spark import SparkRunner
from huiqi.calculator import parse_case
from huiqi.engine.backend import DUCKDB, SPARK
from huiqi.engine.evaluate import CaseRunner, compile_policy
from huiqi.engine.policy import Policy
from huiqi.facts.tables import SCHEMAS, to_tables
from tests.batch.java import needs_java

CASES = Path(__file__).parents[1] / "policy" / "cases"
COLUMNS = ("beneficiary", "measure", "item", "status", "ceiling_fen", "failed", "missing",
           "placeholder")
SYNTH_ENTERPRISES = 1000
# Years whose run covers every measure; the few cases of later years run the measures they ask
# about (each whole-policy query costs Spark ~10 s however small the population).
FULL_YEARS = (2024, 2025)
# Columns holding a beneficiary's id; history.item too where it names an introduced member.
ID_COLUMNS = {
    "subjects": ("id", "introducer"), "titles": ("subject",), "projects": ("subject",),
    "loans": ("borrower", "lender"), "history": ("subject",),
}
# Measures covering every source kind, the date difference, integer division and history.
SUBSET = ("m01.new", "m02", "m06.platform", "m08", "m22.interest", "m22.risk")


pytestmark = needs_java


def _prefixed(tables: dict[str, pa.Table], prefix: str) -> dict[str, pa.Table]:
    """The case's tables with every beneficiary id prefixed, so that cases can share a run."""
    ids = set(tables["subjects"].column("id").to_pylist())
    out = {}
    for name, table in tables.items():
        columns = ID_COLUMNS[name] + (("item",) if name == "history" else ())
        for col in columns:
            # history.item is a member's id for per-member measures, else a project, loan or title
            values = [
                None if v is None else f"{prefix}{v}" if col != "item" or v in ids else v
                for v in table.column(col).to_pylist()
            ]
            i = table.schema.get_field_index(col)
            table = table.set_column(i, table.schema.field(i), pa.array(values, pa.string()))
        out[name] = table
    return out


def _hand_worked() -> list[tuple[str, dict[str, Any]]]:
    """Every hand-worked case with a name unique across the files (``m01-0``)."""
    return [
        (f"{path.stem}-{i}", case)
        for path in sorted(CASES.glob("*.yaml"))
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"])
    ]


def _cases(year: int) -> list[dict[str, pa.Table]]:
    """Every hand-worked case of ``year`` as tables with ids prefixed by the case's name."""
    return [
        _prefixed(to_tables(parse_case(case["case"]), year), f"{name}:")
        for name, case in _hand_worked() if case.get("year") == year
    ]


def _years() -> list[Any]:
    """One run per year of the cases: every measure in the main years, else those the cases ask."""
    asked: dict[int, set[str]] = {}
    for _, case in _hand_worked():
        asked.setdefault(case["year"], set()).update(e["measure"] for e in case["expect"])
    return [
        pytest.param(year, None if year in FULL_YEARS else tuple(sorted(ms)), id=str(year))
        for year, ms in sorted(asked.items())
    ]


def population(year: int) -> dict[str, pa.Table]:
    """The cases of ``year`` plus, when available, a synthetic district for that year."""
    parts = _cases(year)
    if importlib.util.find_spec("huiqi.batch.synth") is not None:
        from huiqi.batch.synth import generate

        parts.append(generate(enterprises=SYNTH_ENTERPRISES, year=year, seed=7))
    return {
        name: pa.concat_tables([p[name].cast(schema) for p in parts])
        for name, schema in SCHEMAS.items()
    }


def _rows(rows: Sequence[dict[str, Any]]) -> Counter[tuple[Any, ...]]:
    return Counter(tuple(r[c] for c in COLUMNS) for r in rows)


def assert_same(spark: pa.Table, duck: list[dict[str, Any]]) -> None:
    """Equal as multisets of rows; on failure show a few rows only one side has."""
    got, want = _rows(spark.select(list(COLUMNS)).to_pylist()), _rows(duck)
    assert sum(want.values()) > 0, "DuckDB returned no rows: the population is empty"
    only_spark, only_duck = list((got - want).elements())[:5], list((want - got).elements())[:5]
    assert got == want, f"{COLUMNS}\nonly on Spark: {only_spark}\nonly on DuckDB: {only_duck}"


def _duckdb(policy: Policy, tables: dict[str, pa.Table], year: int, **kw: Any) -> list[dict[str, Any]]:
    return CaseRunner().run(compile_policy(policy, year, backend=DUCKDB, detail=False, **kw), tables)


@pytest.fixture(scope="module")
def runner() -> Iterator[SparkRunner]:
    with SparkRunner(app_name="huiqi-parity") as r:
        yield r


@pytest.fixture(scope="module")
def pop2024() -> dict[str, pa.Table]:
    return population(2024)


@pytest.mark.parametrize(("year", "measures"), _years())
def test_spark_rows_equal_duckdb_rows(
    policy: Policy, runner: SparkRunner, year: int, measures: tuple[str, ...] | None
) -> None:
    tables = population(year)
    compiled = compile_policy(policy, year, backend=SPARK, measures=measures, detail=False)
    assert_same(runner.run(compiled, tables), _duckdb(policy, tables, year, measures=measures))


def test_reform_override_gives_the_same_rows_on_both(
    policy: Policy, runner: SparkRunner, pop2024: dict[str, pa.Table]
) -> None:
    reform, measures = {"m01.rate": "0.60"}, (*SUBSET, "m01.existing")
    duck = _duckdb(policy, pop2024, 2024, overrides=reform, measures=measures)
    base = _duckdb(policy, pop2024, 2024, measures=measures)
    assert _rows(duck) != _rows(base), "the reform changes no ceiling of （一）: it did not apply"
    compiled = compile_policy(policy, 2024, reform, backend=SPARK, measures=measures, detail=False)
    assert_same(runner.run(compiled, pop2024), duck)


def test_measure_subset_gives_the_same_rows_on_both(
    policy: Policy, runner: SparkRunner, pop2024: dict[str, pa.Table]
) -> None:
    compiled = compile_policy(policy, 2024, backend=SPARK, measures=SUBSET, detail=False)
    spark = runner.run(compiled, pop2024)
    assert set(spark.column("measure").to_pylist()) == set(SUBSET)
    assert_same(spark, _duckdb(policy, pop2024, 2024, measures=SUBSET))


def test_parquet_in_parquet_out_gives_the_same_rows(
    policy: Policy, runner: SparkRunner, pop2024: dict[str, pa.Table], tmp_path: Path
) -> None:
    paths = {}
    for name, table in pop2024.items():
        paths[name] = tmp_path / f"{name}.parquet"
        pq.write_table(table, paths[name])
    compiled = compile_policy(policy, 2024, backend=SPARK, measures=SUBSET, detail=False)
    runner.write(compiled, paths, tmp_path / "out")
    assert_same(pq.read_table(tmp_path / "out"), _duckdb(policy, pop2024, 2024, measures=SUBSET))


def test_sql_compiled_for_duckdb_is_refused(
    policy: Policy, runner: SparkRunner, pop2024: dict[str, pa.Table]
) -> None:
    compiled = compile_policy(policy, 2024, backend=DUCKDB, measures=SUBSET, detail=False)
    with pytest.raises(ValueError, match="backend=SPARK"):
        runner.run(compiled, pop2024)


def test_spark_divides_integers_exactly_beyond_float_precision(runner: SparkRunner) -> None:
    # A floating-point quotient agrees at everyday magnitudes, so populations cannot tell; here
    # 2n + d exceeds 2⁵³ and only exact integer division rounds half-up correctly.
    ns = [0, 1, 5, 2**53 + 1, 3 * 10**15 + 7, 2**61 + 3, 2**61 + 36600]
    ds = [3, 7, 200, 36600]
    numbers = ibis.table({"n": "int64"}, name="numbers")
    expr = numbers.select("n", **{f"q{d}": SPARK.div_half_up(numbers.n, d) for d in ds})
    runner.spark.createDataFrame(pa.table({"n": pa.array(ns, pa.int64())})).createOrReplaceTempView(
        "numbers"
    )
    got = runner.spark.sql(ibis.to_sql(expr, dialect="pyspark")).toArrow().to_pylist()
    assert got == [{"n": n, **{f"q{d}": (2 * n + d) // (2 * d) for d in ds}} for n in ns]


def test_match_and_simulate_on_spark_equal_duckdb(
    policy: Policy, runner: SparkRunner, tmp_path: Path
) -> None:
    from huiqi.batch.duck import DuckPopulation
    from huiqi.batch.match import match
    from huiqi.batch.population import Population
    from huiqi.batch.simulate import simulate
    from huiqi.batch.spark import SparkPopulation
    from huiqi.batch.synth import generate

    pop = Population.write(tmp_path / "pop", generate(800, 2025, seed=9), {"year": 2025})
    spark = SparkPopulation(pop)  # shares the module's session, which the fixture stops
    duck = DuckPopulation(pop)
    measures = ["m01.new", "m01.existing", "m05", "m17", "m22.interest", "m22.risk"]
    on_spark = match(policy, spark, 2025, tmp_path / "s", measures=measures)
    on_duck = match(policy, duck, 2025, tmp_path / "d.parquet", measures=measures)
    assert on_spark == on_duck
    reform = {"m01.rate": "0.60"}
    sim_spark = simulate(policy, spark, 2025, reform, tmp_path / "ss", measures=measures)
    sim_duck = simulate(policy, duck, 2025, reform, tmp_path / "sd", measures=measures)
    assert sim_spark.breakdowns == sim_duck.breakdowns and sim_spark.bands == sim_duck.bands
    duck.close()
