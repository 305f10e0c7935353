"""Hand-worked cases, as data: ``cases/<measure>.yaml``, one file per measure.

Each case gives the facts, the year and what the text says must come out — status, ceiling to
the fen, the conditions that fail, the facts still missing, and where it matters a fact the
result shows (``facts``: e.g. the derived size class) — worked out by hand from the notice.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from huiqi.calculator import calculate, parse_case
from huiqi.engine.explain import Result
from huiqi.engine.policy import Policy

CASES = Path(__file__).with_name("cases")


def _load() -> list[Any]:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]):
            params.append(pytest.param(case, id=f"{path.stem}-{i}-{case['name']}"))
    return params


def _matching(results: list[Result], want: dict[str, Any]) -> list[Result]:
    return [
        r for r in results
        if r.measure == want["measure"]
        and ("beneficiary" not in want or r.beneficiary == want["beneficiary"])
        and ("item" not in want or r.item == want["item"])
    ]


def _find(results: list[Result], want: dict[str, Any]) -> Result:
    found = _matching(results, want)
    assert len(found) == 1, f"expected one result for {want}, found {len(found)}"
    return found[0]


def _check_rows(results: list[Result], want: dict[str, Any]) -> None:
    """Several rows share one item (two titles of a kind and level): their statuses and failed
    conditions, compared as a multiset."""
    got = sorted((r.status, r.failed) for r in _matching(results, want))
    expected = sorted((w["status"], w["failed"]) for w in want["rows"])
    assert got == expected, f"{want['measure']} {want.get('item')}"


@pytest.mark.parametrize("case", _load())
def test_case(policy: Policy, case: dict[str, Any]) -> None:
    expect = case["expect"]
    measures = sorted({e["measure"] for e in expect})
    facts = parse_case(case["case"])
    calc = calculate(policy, facts, case.get("year"), case.get("set"), measures)
    for want in expect:
        if "rows" in want:
            _check_rows(calc.results, want)
            continue
        got = _find(calc.results, want)
        label = f"{want['measure']} {got.beneficiary} {got.item or ''}"
        assert got.status == want["status"], f"{label}: {got.reason('en')}"
        if "ceiling" in want:
            assert got.ceiling == Decimal(want["ceiling"]), f"{label}: {got.basis_en}"
        if "failed" in want:
            assert got.failed == want["failed"], label
        if "missing" in want:
            assert got.missing == want["missing"], label
        if "placeholder" in want:
            assert got.placeholder is want["placeholder"], label
        for lang in ("zh", "en"):
            if f"reason_{lang}" in want:
                assert want[f"reason_{lang}"] in got.reason(lang), label
        for name, value in want.get("facts", {}).items():
            shown = {f.name: f.value for f in got.facts}
            assert shown[name] == value, f"{label}: fact {name}"
    if "total_ceiling" in case:
        assert calc.total_ceiling == Decimal(case["total_ceiling"])
