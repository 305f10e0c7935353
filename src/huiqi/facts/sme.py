"""中小微企业划型: size class from industry and figures, as one column expression.

The table is dated data (``sme_2011.yaml``); the expression runs on any backend, so the
calculator and a batch over millions of enterprises classify identically. A class recorded by
the office wins over the derived one; a missing figure leaves the class unknown, never "micro".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import ibis
import yaml
from ibis.expr.types import StringValue, Table

CLASSES = ("large", "medium", "small")
_COLUMNS = {"employees": "employees", "revenue": "revenue_fen", "assets": "assets_fen"}
_FEN_PER_WAN = 1_000_000  # 万元 → fen


@cache
def table() -> dict[str, Any]:
    """The classification table as loaded from its YAML file."""
    path = Path(__file__).with_name("sme_2011.yaml")
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _threshold(s: Table, indicator: str, bound: int) -> ibis.BooleanValue:
    col = s[_COLUMNS[indicator]]
    return col >= (bound * _FEN_PER_WAN if indicator != "employees" else bound)


def _group_class(s: Table, group: dict[str, Any]) -> StringValue:
    indicators = list(group["large"])
    unknown = ibis.or_(*(s[_COLUMNS[i]].isnull() for i in indicators))
    klass = ibis.cases(
        *(
            (ibis.and_(*(_threshold(s, i, b) for i, b in group[c].items())), c)
            for c in CLASSES
        ),
        else_="micro",
    )
    return ibis.ifelse(unknown, ibis.null("string"), klass)


def derived_size_class(s: Table) -> StringValue:
    """The size class each ``subjects`` row falls in by the table, or NULL if unknowable."""
    data = table()
    code = s.industry
    groups = sorted(data["groups"], key=lambda g: -max(len(p) for p in g["prefixes"]))
    fallback = next(g for g in groups if g["prefixes"] == [""])

    def matches(prefixes: list[str]) -> ibis.BooleanValue:
        by_len: dict[int, list[str]] = {}
        for p in prefixes:
            by_len.setdefault(len(p), []).append(p)
        return ibis.or_(*(code.substr(0, n).isin(ps) for n, ps in by_len.items()))

    covered = ~matches(data["not_covered"]["prefixes"])
    cls = ibis.cases(
        *((matches(g["prefixes"]), _group_class(s, g)) for g in groups if g is not fallback),
        else_=_group_class(s, fallback),
    )
    return ibis.ifelse(code.notnull() & covered, cls, ibis.null("string"))


def size_class(s: Table) -> StringValue:
    """Recorded class if any, else the derived one."""
    return s.size_class.coalesce(derived_size_class(s))
