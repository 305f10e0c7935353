"""The calculator as a library: safe to call from several threads at once; clear errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

from huiqi.calculator import InputError, calculate, load_case, parse_case
from huiqi.engine.policy import Policy

EXAMPLE = Path(__file__).parents[1] / "examples" / "chain-leader.yaml"


def test_threads_calculating_at_once_each_get_the_whole_answer(policy: Policy) -> None:
    case = load_case(EXAMPLE)
    # 70% × 12,000,000 + min(3,000,000, 10% × 25,000,000) + 3,000,000 (little giant)
    with ThreadPoolExecutor(max_workers=4) as pool:
        totals = list(pool.map(lambda _: calculate(policy, case).total_ceiling, range(12)))
    assert totals == [Decimal("13900000.00")] * 12


def test_a_result_lists_only_the_parameters_it_read(policy: Policy) -> None:
    # （八）: a Beijing smart factory reads its own amount (set to 2,000,000.00) and the statutory
    # cap 3,000,000.00 — not the amounts of the other titles, which stay placeholders
    case = parse_case({"year": 2024, "beneficiaries": [{
        "id": "91110112MA01C08013", "kind": "enterprise",
        "titles": [{"kind": "smart_factory", "level": "municipal", "date": "2024-05-20"}]}]})
    calc = calculate(policy, case, 2024, {"m08.amount.smart_factory": "2000000.00"}, ["m08"])
    (result,) = calc.results
    assert [p.name for p in result.parameters] == ["m08.amount.smart_factory", "m08.cap"]
    assert result.ceiling == Decimal("2000000.00") and result.placeholder is False


def test_an_amount_beyond_exact_arithmetic_is_refused_with_a_message(policy: Policy) -> None:
    # 99,999,999,999,999.99 yuan for 366 days at a reformed 37%: ≈ 2.7 × 10²⁰ fen on the way,
    # beyond BIGINT — DuckDB raises, and so does the in-process path, as a clear input error
    bank, borrower = "91110000100000001W", "91110112MA01E00015"
    case = parse_case({"year": 2024, "beneficiaries": [
        {"id": borrower, "kind": "enterprise", "size": {"class": "small"}},
        {"id": bank, "kind": "bank"}],
        "loans": [{"id": "L1", "borrower": borrower, "lender": bank,
                   "principal": "99999999999999.99", "drawn_on": "2024-03-01",
                   "first_loan": True, "interest_paid": "1.00"}]})
    with pytest.raises(InputError, match="too large"):
        calculate(policy, case, overrides={"m22.interest.rate": "0.37"}, measures=["m22.interest"])
