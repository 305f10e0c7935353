"""Exact money: integer fen inside the engine, ``Decimal`` yuan at the edges.

Columns carry money as BIGINT fen so that every backend (DuckDB, Spark) computes exactly and
identically; a rate is a ratio of integers and every product is rounded half-up once.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def yuan_to_fen(amount: Decimal) -> int:
    """Convert a yuan amount with at most two decimals to integer fen (exact)."""
    if not amount.is_finite():
        raise ValueError(f"amount {amount} is not a finite number")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"amount {amount} has more than 2 decimal places")
    return int(fen)


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen to a Decimal yuan amount with exactly two places."""
    return (Decimal(fen) / 100).quantize(FEN)


def format_yuan(amount: Decimal) -> str:
    """``6000000.00`` → ``6,000,000.00``."""
    return f"{amount:,.2f}"


def format_wan(amount: Decimal, places: int = 6) -> str:
    """Yuan to 万元, trailing zeros dropped: ``600`` for 6,000,000; ``places`` for totals."""
    wan = (amount / 10000).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{wan.normalize():,f}" if places == 6 else f"{wan:,.{places}f}"
