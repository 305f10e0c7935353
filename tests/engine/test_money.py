"""Exact money: fen, half-up rounding, display."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huiqi.engine.money import fen_to_yuan, format_wan, format_yuan, yuan_to_fen


def test_yuan_and_fen_convert_exactly() -> None:
    assert yuan_to_fen(Decimal("12000000.05")) == 1_200_000_005
    assert fen_to_yuan(1_200_000_005) == Decimal("12000000.05")


@pytest.mark.parametrize("amount", ["Infinity", "-Infinity", "NaN", "sNaN"])
def test_an_amount_that_is_not_finite_is_refused(amount: str) -> None:
    with pytest.raises(ValueError, match="not a finite number"):
        yuan_to_fen(Decimal(amount))


def test_more_than_two_decimals_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 2 decimal"):
        yuan_to_fen(Decimal("0.001"))


def test_amounts_display_in_yuan_and_wan() -> None:
    assert format_yuan(Decimal("8400000.00")) == "8,400,000.00"
    assert format_wan(Decimal("8400000.00")) == "840"
    assert format_wan(Decimal("33469.95")) == "3.346995"


@given(st.integers(min_value=0, max_value=10**15))
def test_fen_round_trips(fen: int) -> None:
    assert yuan_to_fen(fen_to_yuan(fen)) == fen
