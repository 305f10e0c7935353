"""``match`` over a population and ``calc`` on each beneficiary agree on every measure, to the fen.

Beneficiaries are drawn at random (seeded) from a synthetic population, each with one of every
kind and every measure that has eligible results represented; each is turned back into a case
file and put to the calculator.
"""

from __future__ import annotations

import random
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest

from huiqi.batch.duck import DuckPopulation
from huiqi.batch.match import default_measures, match
from huiqi.batch.population import Population
from huiqi.batch.synth import generate
from huiqi.calculator import calculate, parse_case
from huiqi.engine.policy import Policy
from huiqi.facts.columnar import case_for

YEAR = 2025


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Population, dict[str, pa.Table]]:
    tables = generate(4000, YEAR, seed=7)
    path = tmp_path_factory.mktemp("pop")
    return Population.write(path, tables, {"year": YEAR, "seed": 7}), tables


@pytest.fixture(scope="module")
def matched(policy: Policy, population: tuple[Population, dict[str, pa.Table]],
            tmp_path_factory: pytest.TempPathFactory) -> list[tuple]:
    pop, _ = population
    out = tmp_path_factory.mktemp("match") / "results.parquet"
    runner = DuckPopulation(pop)
    try:
        match(policy, runner, YEAR, out)
    finally:
        runner.close()
    return duckdb.sql(f"SELECT beneficiary, measure, item, status, ceiling, failed "
                      f"FROM read_parquet('{out}')").fetchall()


def _sample(matched: list[tuple], tables: dict[str, pa.Table], k: int) -> list[str]:
    rng = random.Random(11)
    by_measure: dict[str, list[str]] = {}
    for b, m, *_ in matched:
        by_measure.setdefault(m, []).append(b)
    chosen = {rng.choice(sorted(set(bs))) for bs in by_measure.values()}
    kinds: dict[str, list[str]] = {}
    for i, kind in zip(tables["subjects"]["id"].to_pylist(), tables["subjects"]["kind"].to_pylist(),
                       strict=True):
        kinds.setdefault(kind, []).append(i)
    chosen |= {rng.choice(ids) for ids in kinds.values()}
    everyone = tables["subjects"]["id"].to_pylist()
    chosen |= set(rng.sample(everyone, k))
    return sorted(chosen)


def test_match_and_calc_agree_on_every_measure_to_the_fen(
    policy: Policy, population: tuple[Population, dict[str, pa.Table]], matched: list[tuple]
) -> None:
    _, tables = population
    ids = default_measures(policy)
    batch: dict[str, set[tuple]] = {}
    for b, m, item, status, ceiling, failed in matched:
        batch.setdefault(b, set()).add((m, item, status, ceiling, failed))
    sample = _sample(matched, tables, 40)
    assert len(sample) > 60
    for b in sample:
        calc = calculate(policy, parse_case(case_for(tables, [b], YEAR)), YEAR, measures=ids)
        single = {
            (r.measure, r.item, r.status,
             r.ceiling.quantize(Decimal("0.01")) if r.ceiling is not None else None,
             ",".join(r.failed))
            for r in calc.results if r.beneficiary == b and r.status in ("eligible", "incomplete")
        }
        assert single == batch.get(b, set()), b


def test_every_measure_with_results_was_compared(matched: list[tuple]) -> None:
    assert len({m for _, m, *_ in matched}) >= 20
