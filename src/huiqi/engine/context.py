"""The evaluation context: the year, the parameter values in force, exact integer arithmetic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import ibis
from ibis.expr.types import IntegerValue, Value

from huiqi.engine.backend import Backend
from huiqi.engine.money import yuan_to_fen
from huiqi.engine.params import Resolved, Unit


@dataclass(frozen=True)
class Ctx:
    """Everything a measure's expressions may read besides the facts."""

    year: int
    params: dict[str, Resolved]
    effective: date
    backend: Backend

    @property
    def start(self) -> date:
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """First day of the next year (periods are half-open)."""
        return date(self.year + 1, 1, 1)

    @property
    def days_in_year(self) -> int:
        return (self.end - self.start).days

    def value(self, name: str) -> Any:
        return self.params[name].value

    def rate(self, name: str) -> Fraction:
        """A ratio parameter as an exact fraction."""
        p = self.params[name]
        assert p.unit is Unit.RATIO, f"{name} is not a ratio"
        return Fraction(p.value)

    def fen(self, name: str) -> int:
        """A money parameter in integer fen."""
        p = self.params[name]
        assert p.unit is Unit.YUAN, f"{name} is not money"
        return yuan_to_fen(p.value)

    def lit(self, fen: int) -> IntegerValue:
        return ibis.literal(fen, type="int64")

    def mul_ratio(self, amount: Value, r: Fraction, *, denominator: int = 1) -> IntegerValue:
        """``amount × r ÷ denominator`` rounded half-up to the fen, exactly, once."""
        n, d = r.numerator, r.denominator * denominator
        return self.backend.div_half_up(amount * n, d)

    def apply(self, amount: Value, name: str) -> IntegerValue:
        """``amount × rate`` for a ratio parameter, rounded half-up to the fen."""
        return self.mul_ratio(amount, self.rate(name))

    def at_least(self, amount: Value, r: Fraction, base: Value) -> ibis.BooleanValue:
        """``amount ≥ r × base`` compared exactly in integers."""
        return amount * r.denominator >= base * r.numerator

