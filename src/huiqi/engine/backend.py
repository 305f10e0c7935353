"""Backends: where compiled measures run, and the few operations that differ between them.

Exact integer division is the one primitive ibis does not give portably (its floor division
goes through a floating-point quotient), so each backend names its own integer division:
DuckDB's ``divide`` and Spark SQL's ``div``, both truncating BIGINT division.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
from ibis.expr.types import IntegerValue, Value


@ibis.udf.scalar.builtin(name="divide")  # type: ignore[untyped-decorator]
def _duckdb_idiv(a: int, b: int) -> int:  # type: ignore[empty-body]
    """DuckDB's integer division of BIGINTs (truncating)."""


@ibis.udf.scalar.builtin(name="div")  # type: ignore[untyped-decorator]
def _spark_idiv(a: int, b: int) -> int:  # type: ignore[empty-body]
    """Spark SQL's integral division of BIGINTs (truncating; ``div(a, b)``, i.e. ``a div b``)."""


@dataclass(frozen=True)
class Backend:
    """A named SQL dialect with its exact integer division."""

    name: str
    dialect: str

    def idiv(self, n: Value, d: int) -> IntegerValue:
        if self.name == "duckdb":
            return _duckdb_idiv(n.cast("int64"), ibis.literal(d, type="int64"))
        if self.name == "pyspark":
            return _spark_idiv(n.cast("int64"), ibis.literal(d, type="int64"))
        raise NotImplementedError(self.name)

    def div_half_up(self, n: Value, d: int) -> IntegerValue:
        """``n ÷ d`` rounded half-up, for n ≥ 0 and d > 0, in integers only."""
        return self.idiv(n * 2 + d, 2 * d)


DUCKDB = Backend("duckdb", "duckdb")
SPARK = Backend("pyspark", "pyspark")
