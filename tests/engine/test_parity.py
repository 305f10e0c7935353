"""One definition, two evaluators: the in-process plan and DuckDB give the very same rows.

Every hand-worked case, beneficiaries drawn from a synthetic population (as the match↔calc
agreement test draws them, one by one and many in one case) and generated cases go through both;
every column must agree — status, item, ceiling to the fen, failed conditions, missing facts,
the cap flag and the detail the explanation is built from.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.batch.synth import generate
from huiqi.calculator import calculate, parse_case
from huiqi.engine.evaluate import CaseRunner, compile_policy
from huiqi.engine.lower import Lowering, Unsupported
from huiqi.engine.policy import Policy
from huiqi.engine.rowplan import row_plan
from huiqi.facts.case import Case
from huiqi.facts.columnar import case_for
from huiqi.facts.tables import to_rows, to_tables
from tests.engine.strategies import cases
from tests.policy.test_cases import CASES

YEAR = 2025
EXAMPLE = Path(__file__).parents[2] / "examples" / "chain-leader.yaml"


@pytest.fixture(scope="module")
def runner() -> Iterator[CaseRunner]:
    yield CaseRunner()


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple("" if row[k] is None else str(row[k]) for k in sorted(row))


def _both(policy: Policy, runner: CaseRunner, case: Case, year: int,
          overrides: dict[str, Any] | None = None, measures: list[str] | None = None
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ids = measures or list(policy.measures)
    fast = row_plan(policy, year, overrides).run(to_rows(case, year), ids)
    ref = runner.run(compile_policy(policy, year, overrides, measures=ids),
                     to_tables(case, year))
    return sorted(fast, key=_key), sorted(ref, key=_key)


def _hand_cases() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]):
            params.append(pytest.param(case, id=f"{path.stem}-{i}"))
    return params


@pytest.mark.parametrize("case", _hand_cases())
def test_every_hand_worked_case_gives_the_same_rows(policy: Policy, runner: CaseRunner,
                                                     case: dict[str, Any]) -> None:
    facts = parse_case(case["case"])
    year = case.get("year") or facts.year
    measures = sorted({e["measure"] for e in case["expect"]})
    fast, ref = _both(policy, runner, facts, year, case.get("set"), measures)
    assert fast == ref


@pytest.fixture(scope="module")
def population() -> dict[str, pa.Table]:
    return generate(1500, YEAR, seed=7)


def _sample(tables: dict[str, pa.Table], k: int) -> list[str]:
    """One beneficiary of every kind, then ``k`` at random (seeded)."""
    rng = random.Random(11)
    subjects = tables["subjects"]
    kinds: dict[str, list[str]] = {}
    for i, kind in zip(subjects["id"].to_pylist(), subjects["kind"].to_pylist(), strict=True):
        kinds.setdefault(kind, []).append(i)
    chosen = {rng.choice(ids) for ids in kinds.values()}
    return sorted(chosen | set(rng.sample(subjects["id"].to_pylist(), k)))


def test_beneficiaries_of_a_population_give_the_same_rows_one_by_one(
    policy: Policy, runner: CaseRunner, population: dict[str, pa.Table]
) -> None:
    sample = _sample(population, 60)
    assert len(sample) > 60
    eligible = 0
    for b in sample:
        fast, ref = _both(policy, runner, parse_case(case_for(population, [b], YEAR)), YEAR)
        assert fast == ref, b
        eligible += sum(r["status"] == "eligible" for r in fast)
    assert eligible > 50  # the sample exercises ceilings, not only refusals


def test_many_beneficiaries_in_one_case_give_the_same_rows(
    policy: Policy, runner: CaseRunner, population: dict[str, pa.Table]
) -> None:
    case = parse_case(case_for(population, _sample(population, 300), YEAR))
    assert len(case.beneficiaries) > 300
    fast, ref = _both(policy, runner, case, YEAR)
    assert fast == ref


@settings(max_examples=150, deadline=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=cases(), year=st.sampled_from([2024, 2025]))
def test_generated_cases_give_the_same_rows(policy: Policy, runner: CaseRunner,
                                            data: dict[str, Any], year: int) -> None:
    case = parse_case(data)
    try:
        ref_rows = _both(policy, runner, case, year)
    except OverflowError:
        # beyond BIGINT the in-process path refuses, as DuckDB does (checked below)
        with pytest.raises(Exception, match=r"Overflow|Out of Range"):
            runner.run(compile_policy(policy, year, measures=list(policy.measures)),
                       to_tables(case, year))
        return
    fast, ref = ref_rows
    assert fast == ref


def test_the_explained_results_agree_too(policy: Policy) -> None:
    case = parse_case(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")))
    fast = calculate(policy, case).to_json()
    ref = calculate(policy, case, reference=True).to_json()
    assert fast == ref and fast["results"]


def test_an_operation_the_evaluator_lacks_is_refused_when_compiled() -> None:
    import ibis

    t = ibis.table({"x": "float64"}, name="t")
    with pytest.raises(Unsupported, match="Ln"):
        Lowering({"Project", "UnboundTable", "Field"}).add(t.select(y=t.x.ln()).op())
