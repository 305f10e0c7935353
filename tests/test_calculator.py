"""The calculator as a library: safe to call from several threads at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

from huiqi.calculator import calculate, load_case
from huiqi.engine.policy import Policy

EXAMPLE = Path(__file__).parents[1] / "examples" / "chain-leader.yaml"


def test_threads_calculating_at_once_each_get_the_whole_answer(policy: Policy) -> None:
    case = load_case(EXAMPLE)
    # 70% × 12,000,000 + min(3,000,000, 10% × 25,000,000) + 3,000,000 (little giant)
    with ThreadPoolExecutor(max_workers=4) as pool:
        totals = list(pool.map(lambda _: calculate(policy, case).total_ceiling, range(12)))
    assert totals == [Decimal("13900000.00")] * 12
