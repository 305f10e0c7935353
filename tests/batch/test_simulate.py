"""Simulation in one pass: a measure the reform leaves unchanged is evaluated once, and each
scenario's rows are exactly what matching the population under its parameters gives."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from huiqi.batch.duck import DuckPopulation
from huiqi.batch.match import default_measures, match
from huiqi.batch.population import Population
from huiqi.batch.simulate import simulate
from huiqi.batch.synth import generate
from huiqi.engine.policy import Policy
from huiqi.engine.scenarios import changed_by
from huiqi.policy.tongzhou_2024_8 import policy as load_policy

YEAR = 2025
REFORM = {"m01.rate": "0.60", "m02.standard": "30000000.00"}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="module")
def pop(tmp_path_factory: pytest.TempPathFactory) -> Population:
    path = tmp_path_factory.mktemp("sim") / "district"
    return Population.write(path, generate(3000, YEAR, seed=11), {"year": YEAR})


def test_a_reform_changes_the_measures_that_read_what_it_sets(policy: Policy) -> None:
    ids = default_measures(policy)
    # （一）: 70% of the regional contribution — for a new chain leader and for the increase of an
    # existing one; （二）'s combined calculation reads its own standard
    assert changed_by(policy, YEAR, {"m01.rate": "0.60"}, ids) == ["m01.new", "m01.existing"]
    assert changed_by(policy, YEAR, {"m02.standard": "30000000.00"}, ids) == ["m02"]
    assert changed_by(policy, YEAR, {}, ids) == []
    # a value equal to the one in force changes nothing
    assert changed_by(policy, YEAR, {"m01.rate": "0.70"}, ids) == []
    # the engine's own rule (X5, one matter one support) is read by every measure under it
    x5 = changed_by(policy, YEAR, {"x5.one_matter_one_support": False}, ids)
    assert "m17" in x5 and "m01.new" not in x5  # a renovation project is one matter
    assert x5 == [m for m in ids if policy.measures[m].one_matter_one_support]


def _rows(path: Path, where: str) -> list[tuple[object, ...]]:
    return duckdb.sql(f"""
        SELECT beneficiary, measure, item, status, ceiling, failed, missing, placeholder, at_cap
        FROM read_parquet('{path}') WHERE {where} ORDER BY ALL""").fetchall()


def test_each_scenario_is_what_matching_under_its_parameters_gives(
        policy: Policy, pop: Population, tmp_path: Path) -> None:
    runner = DuckPopulation(pop)
    try:
        sim = simulate(policy, runner, YEAR, REFORM, tmp_path / "sim")
        match(policy, runner, YEAR, tmp_path / "baseline.parquet")
        match(policy, runner, YEAR, tmp_path / "reform.parquet", overrides=REFORM)
    finally:
        runner.close()
    assert sim.changed == ["m01.new", "m01.existing", "m02"]
    scen = tmp_path / "sim" / "scenarios.parquet"
    baseline = _rows(scen, "scenario IN ('both', 'baseline')")
    reform = _rows(scen, "scenario IN ('both', 'reform')")
    assert baseline and baseline == _rows(tmp_path / "baseline.parquet", "TRUE")
    assert reform == _rows(tmp_path / "reform.parquet", "TRUE")
    # the unchanged measures' rows are written once
    [(twice,)] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{scen}') "
                            "WHERE scenario <> 'both' AND measure NOT IN "
                            "('m01.new', 'm01.existing', 'm02')").fetchall()
    assert twice == 0
    by_measure = {r.key: r for r in sim.breakdowns["measure"]}
    [(m01,)] = duckdb.sql(f"SELECT sum(ceiling) FROM read_parquet('{tmp_path}/reform.parquet') "
                          "WHERE measure = 'm01.new'").fetchall()
    assert by_measure["m01.new"].reform == m01
    # every beneficiary with a row is in exactly one band, and in each breakdown's totals
    assert sum(n for _, n in sim.bands) == len({r[0] for r in baseline + reform})
    for name in ("size", "section", "kind"):
        assert sum(r.baseline for r in sim.breakdowns[name]) == sum(
            r.baseline for r in sim.breakdowns["measure"])
        assert sum(r.reform_eligible for r in sim.breakdowns[name]) == sum(
            r.reform_eligible for r in sim.breakdowns["measure"])
