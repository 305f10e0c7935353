"""SQL's scalar operations as Python closures over one row, exactly as DuckDB computes them.

Each builder receives its operands already compiled (closures from a row to a value; a ``Const``
for a literal) and returns the operation's closure. The semantics are SQL's, not Python's:
NULL (``None``) propagates through arithmetic and comparisons, AND/OR follow three-valued logic,
``greatest``/``least`` and ``concat_ws`` skip NULLs, ``||`` does not, integer division truncates
and BIGINT overflow is an error. ``interpret`` dispatches on the ibis operation's name.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

Fn = Callable[[Any], Any]
Builder = Callable[[Mapping[str, Any], Mapping[str, str | None]], Fn]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INTEGERS = {f"{s}int{b}" for s in ("", "u") for b in (8, 16, 32, 64)}


class Const:
    """A literal: the same value for every row (builders look inside to specialise)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, row: Any) -> Any:
        return self.value


def base_type(dtype: str | None) -> str:
    """``!int64`` → ``int64``: the type without its NOT NULL mark."""
    return (dtype or "").lstrip("!")


def _int64(v: int) -> int:
    if not INT64_MIN <= v <= INT64_MAX:
        raise OverflowError(f"Out of Range Error: BIGINT overflow ({v})")
    return v


def _trunc_div(x: int, y: int) -> int:
    """DuckDB's integer ``divide``: truncates toward zero; dividing by zero is an error."""
    if y == 0:
        raise ZeroDivisionError("Division by zero in an integer divide")
    q = abs(x) // abs(y)
    return q if (x >= 0) == (y > 0) else -q


def _strict(fn: Callable[[Any, Any], Any]) -> Builder:
    """A binary operation that is NULL when either operand is NULL."""

    def build(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
        left, right = a.get("left", a.get("a")), a.get("right", a.get("b"))
        if isinstance(right, Const):
            v = right.value
            if v is None:
                return Const(None)
            return lambda row: None if (x := left(row)) is None else fn(x, v)
        if isinstance(left, Const):
            u = left.value
            if u is None:
                return Const(None)
            return lambda row: None if (y := right(row)) is None else fn(u, y)

        def both(row: Any) -> Any:
            x = left(row)
            if x is None:
                return None
            y = right(row)
            return None if y is None else fn(x, y)

        return both

    return build


def _integer(fn: Callable[[int, int], int]) -> Builder:
    """Integer arithmetic; other types are not used by the measures and are refused."""
    strict = _strict(fn)

    def build(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
        for name, t in types.items():
            if base_type(t) not in INTEGERS:
                raise TypeError(f"integer arithmetic only; operand {name} is {t}")
        return strict(a, types)

    return build


def _and(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    left, right = a["left"], a["right"]

    def f(row: Any) -> bool | None:
        x = left(row)
        if x is False:
            return False
        y = right(row)
        if y is False:
            return False
        return None if x is None or y is None else True

    return f


def _or(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    left, right = a["left"], a["right"]

    def f(row: Any) -> bool | None:
        x = left(row)
        if x is True:
            return True
        y = right(row)
        if y is True:
            return True
        return None if x is None or y is None else False

    return f


def _not(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    arg = a["arg"]
    return lambda row: None if (x := arg(row)) is None else not x


def _is_null(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    arg = a["arg"]
    return lambda row: arg(row) is None


def _not_null(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    arg = a["arg"]
    return lambda row: arg(row) is not None


def _coalesce(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    args = a["arg"]
    if len(args) == 2 and isinstance(args[1], Const):
        first, last = args[0], args[1].value
        return lambda row: last if (x := first(row)) is None else x

    def f(row: Any) -> Any:
        for g in args:
            v = g(row)
            if v is not None:
                return v
        return None

    return f


def _skipping_nulls(pick: Callable[[list[Any]], Any]) -> Builder:
    """``greatest``/``least``: NULL operands are ignored; NULL only when all are."""

    def build(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
        args = a["arg"]

        def f(row: Any) -> Any:
            vals = [v for g in args if (v := g(row)) is not None]
            return pick(vals) if vals else None

        return f

    return build


def _if_else(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    cond, yes, no = a["bool_expr"], a["true_expr"], a["false_null_expr"]
    return lambda row: yes(row) if cond(row) is True else no(row)


def _searched_case(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    pairs = tuple(zip(a["cases"], a["results"], strict=True))
    default = a["default"]

    def f(row: Any) -> Any:
        for cond, result in pairs:
            if cond(row) is True:
                return result(row)
        return default(row)

    return f


def _in_values(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    value, options = a["value"], a["options"]
    if not all(isinstance(o, Const) for o in options):
        raise TypeError("IN with non-literal options")
    values = frozenset(o.value for o in options if o.value is not None)
    miss = None if any(o.value is None for o in options) else False
    return lambda row: None if (x := value(row)) is None else (True if x in values else miss)


def _concat(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    args = a["arg"]  # ``||``: NULL if any part is NULL

    def f(row: Any) -> str | None:
        parts = [g(row) for g in args]
        return None if None in parts else "".join(parts)

    return f


def _join(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    args, sep = a["arg"], a["sep"]  # concat_ws: NULL parts are skipped

    def f(row: Any) -> str | None:
        s = sep(row)
        return None if s is None else s.join([v for g in args if (v := g(row)) is not None])

    return f


def _substring(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    arg, start, length = a["arg"], a["start"], a["length"]
    if not (isinstance(start, Const) and isinstance(start.value, int) and start.value >= 0
            and isinstance(length, Const) and isinstance(length.value, int)
            and length.value >= 0):
        raise TypeError("substring with a non-negative literal start and length only")
    lo, hi = start.value, start.value + length.value
    return lambda row: None if (s := arg(row)) is None else s[lo:hi]


def _date_delta(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    part = a["part"]
    if not (isinstance(part, Const) and part.value == "day") and part != "day":
        raise TypeError(f"date difference in days only, not {part!r}")
    return _strict(lambda x, y: (x - y).days)(a, types)


def _to_text(source: str) -> Callable[[Any], str]:
    if source == "boolean":
        return lambda v: "true" if v else "false"
    if source in INTEGERS:
        return str
    if source == "date":
        return lambda v: v.isoformat()
    if source == "string":
        return lambda v: v
    raise TypeError(f"cast from {source} to string")


def _cast(a: Mapping[str, Any], types: Mapping[str, str | None]) -> Fn:
    arg, source, target = a["arg"], base_type(types["arg"]), base_type(a["to"])
    convert: Callable[[Any], Any]
    if target == "string":
        convert = _to_text(source)
    elif target in INTEGERS and (source in INTEGERS or source == "boolean"):
        convert = int
    elif target == source:
        return arg  # type: ignore[no-any-return]
    else:
        raise TypeError(f"cast from {source} to {target}")
    return lambda row: None if (v := arg(row)) is None else convert(v)


SCALARS: dict[str, Builder] = {
    "Add": _integer(lambda x, y: _int64(x + y)),
    "Subtract": _integer(lambda x, y: _int64(x - y)),
    "Multiply": _integer(lambda x, y: _int64(x * y)),
    "udf:divide": _integer(_trunc_div),
    "Equals": _strict(operator.eq),
    "NotEquals": _strict(operator.ne),
    "Greater": _strict(operator.gt),
    "GreaterEqual": _strict(operator.ge),
    "Less": _strict(operator.lt),
    "LessEqual": _strict(operator.le),
    "And": _and,
    "Or": _or,
    "Not": _not,
    "IsNull": _is_null,
    "NotNull": _not_null,
    "Coalesce": _coalesce,
    "Greatest": _skipping_nulls(max),
    "Least": _skipping_nulls(min),
    "IfElse": _if_else,
    "SearchedCase": _searched_case,
    "InValues": _in_values,
    "StringConcat": _concat,
    "StringJoin": _join,
    "Substring": _substring,
    "DateDelta": _date_delta,
    "Cast": _cast,
}
