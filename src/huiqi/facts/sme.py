"""中小微企业划型: size class from industry and figures, as one column expression.

The classification table is dated data (``sme_2011.yaml``), turned into a lookup table keyed by
the GB/T 4754 division (two digits, or three where the table splits a division); the engine joins
it like any other input, so the calculator and a batch over millions of enterprises classify
identically on every backend. A class recorded by the office wins over the derived one.

Where the standard says 或, one indicator decides: an enterprise below the large class's bound in
any indicator it reports is an SME (中小微), below the small class's bound in any is micro. With
a figure missing and neither decided, the class is unknown (NULL), never "micro"; with an SME
decided but not its exact class, the class is ``sme`` — enough for measures that ask "is it an
SME", and unknown to any that would need the exact class.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
from ibis.expr.types import BooleanValue, StringValue, Table

from huiqi.engine import yamltext

if TYPE_CHECKING:
    import pyarrow as pa

LEVELS = ("large", "medium", "small")
SME = "sme"  # an SME (medium, small or micro) whose exact class the figures given do not decide
INDICATORS = {"employees": "employees", "revenue": "revenue_fen", "assets": "assets_fen"}
_FEN_PER_WAN = 1_000_000  # 万元 → fen
_SPLIT = ("701", "702")  # divisions the table splits by their three-digit group


def _column(level: str, indicator: str) -> str:
    return f"{indicator}_{level}"


# the lookup table's columns (Arrow types by name): what ``schema`` and ``threshold_rows`` give
COLUMNS: tuple[tuple[str, str], ...] = (
    ("division", "string"), ("section", "string"), ("industry_group", "string"),
    *((_column(lv, i), "int64") for lv in LEVELS for i in INDICATORS),
)


@cache
def schema() -> pa.Schema:
    """The Arrow schema of ``thresholds`` (Arrow imported only when a table is built)."""
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, t)()) for name, t in COLUMNS])


@cache
def data() -> dict[str, Any]:
    """The classification table as loaded from its YAML file."""
    path = Path(__file__).with_name("sme_2011.yaml")
    loaded: dict[str, Any] = yamltext.load(path.read_text(encoding="utf-8"))
    return loaded


@cache
def thresholds() -> pa.Table:
    """One row per division (and split group): the lower bounds of each class in fen/persons."""
    import pyarrow as pa

    return pa.Table.from_pylist(threshold_rows(), schema=schema())


@cache
def threshold_rows() -> list[dict[str, Any]]:
    """The rows of ``thresholds`` as dictionaries (what the in-process evaluator reads)."""
    d = data()
    not_covered = set(d["not_covered"]["prefixes"])
    fallback = next(g for g in d["groups"] if g["prefixes"] == [""])
    by_prefix = {p: g for g in d["groups"] for p in g["prefixes"] if p}
    keys = [f"{i:02d}" for i in range(1, 100)] + list(_SPLIT)
    rows = []
    for key in keys:
        row: dict[str, Any] = {"division": key, "section": _section(key)}
        if key not in not_covered:
            group = by_prefix.get(key, fallback)
            row["industry_group"] = group["name"]
            for level in LEVELS:
                for ind, col in INDICATORS.items():
                    bound = group[level].get(ind)
                    scale = 1 if col == "employees" else _FEN_PER_WAN
                    row[_column(level, ind)] = None if bound is None else bound * scale
        rows.append({name: row.get(name) for name, _ in COLUMNS})
    return rows


# GB/T 4754-2017 sections (门类) by their first division
_SECTIONS = [(1, "A"), (6, "B"), (13, "C"), (44, "D"), (47, "E"), (51, "F"), (53, "G"), (61, "H"),
             (63, "I"), (66, "J"), (70, "K"), (71, "L"), (73, "M"), (76, "N"), (80, "O"), (83, "P"),
             (84, "Q"), (86, "R"), (91, "S"), (97, "T")]


def _section(division: str) -> str:
    first = int(division[:2])
    return [letter for start, letter in _SECTIONS if start <= first][-1]


def division(industry: StringValue) -> StringValue:
    """The lookup key of an industry code: its division, or three digits where split."""
    three = industry.substr(0, 3)
    return ibis.ifelse(three.isin(list(_SPLIT)), three, industry.substr(0, 2))


def _meets(t: Table, level: str) -> BooleanValue:
    """Every indicator the level lists is known and at or above its lower bound."""
    return ibis.and_(*(
        t[_column(level, ind)].isnull() | (t[col] >= t[_column(level, ind)]).fill_null(False)
        for ind, col in INDICATORS.items()
    ))


def _below(t: Table, level: str) -> BooleanValue:
    """Some indicator the level lists is known and below its lower bound (或: one decides)."""
    return ibis.or_(*(
        (t[col] < t[_column(level, ind)]).fill_null(False) for ind, col in INDICATORS.items()
    ))


def size_class(t: Table) -> StringValue:
    """Size class of rows that carry the facts and their division's thresholds (joined).

    A level needs every indicator known (同时满足); micro and "an SME" need only one below."""
    derived = ibis.cases(
        *((_meets(t, lv), lv) for lv in LEVELS),
        (_below(t, "small"), "micro"),
        (_below(t, "large"), SME),
        else_=ibis.null("string"),
    )
    derived = ibis.ifelse(t.industry_group.isnull(), ibis.null("string"), derived)
    return t.size_class.coalesce(derived)
