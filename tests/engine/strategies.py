"""Hypothesis strategies for whole case files: every kind, every fact optional, edge values.

Money leans to the values where rules turn (0, a fen, round amounts, standards, amounts near the
BIGINT limit once multiplied); dates lean to the boundaries of the years asked about and to the
day the measures took effect.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st
from stdnum.cn import uscc

from huiqi.facts.case import (
    IntroducerKind,
    Kind,
    Level,
    ProjectKind,
    RenovationMode,
    ServiceField,
    TitleKind,
)


def _uscc(n: int) -> str:
    base = f"91110112MA01F{n:04d}"
    return base + uscc.calc_check_digit(base)


IDS = [_uscc(n) for n in range(8)]
PERSONS = ["P1", "P2"]
MEASURES = ["m01.new", "m01.existing", "m02", "m03", "m04", "m05", "m06.fund", "m06.platform",
            "m07.rd", "m07.consortium", "m08", "m09", "m10", "m11", "m13", "m14", "m17",
            "m21.housing", "m22.interest", "m22.guarantee", "m22.risk", "m23", "m24", "m25", "m26"]

_EDGES = [0, 1, 49, 50, 100, 10**6, 5 * 10**8, 10**9, 2 * 10**9, 10**12, 10**15 - 1]
fen = st.one_of(st.sampled_from(_EDGES), st.integers(0, 10**12), st.integers(0, 10**15))
money = fen.map(lambda f: f"{f // 100}.{f % 100:02d}")
_DAYS = [date(2024, 1, 1), date(2024, 3, 1), date(2024, 12, 31), date(2025, 1, 1),
         date(2025, 12, 31), date(2026, 1, 1), date(2023, 12, 31), date(2026, 12, 31)]
day = st.one_of(st.sampled_from(_DAYS),
                st.integers(0, 4 * 366).map(lambda d: date(2023, 1, 1) + timedelta(days=d)),
                st.integers(0, 364).map(lambda d: date(2025, 1, 1) + timedelta(days=d)))
iso = day.map(date.isoformat)
years = st.sampled_from([2022, 2023, 2024, 2025, 2026])


def _optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@st.composite
def size(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if draw(st.booleans()):
        out["class"] = draw(st.sampled_from(["large", "medium", "small", "micro"]))
    if draw(st.booleans()):
        out["industry"] = draw(st.sampled_from(["13", "5110", "6510", "7010", "7020", "7210",
                                                "4411", "0111", "9999", "8010"]))
    for field, strategy in (("employees", st.integers(0, 3000)), ("revenue", money),
                            ("assets", money)):
        if draw(st.booleans()):
            out[field] = draw(strategy)
    return out


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _described(key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An open list's "other" comes with its description (m13's field, m17's mode)."""
    def add(d: dict[str, Any]) -> dict[str, Any]:
        return {**d, f"{key}_description": "其他方式"} if d.get(key) == "other" else d
    return add


@st.composite
def beneficiary(draw: st.DrawFn, ident: str, kind: str, others: list[str],
                item_ids: list[str]) -> dict[str, Any]:
    b: dict[str, Any] = {"id": ident, "kind": kind,
                         "one_matter": draw(st.sampled_from([False, False, False, True]))}
    b["size"] = draw(_optional(size()))
    b["regional_contribution"] = draw(st.one_of(
        st.dictionaries(years, money, max_size=4),
        st.fixed_dictionaries({y: money for y in (2022, 2023, 2024, 2025, 2026)})))
    b["rd_investment"] = draw(st.dictionaries(years, money, max_size=2))
    b["chain_leader"] = draw(_optional(st.fixed_dictionaries(
        {"status": st.sampled_from(["new", "existing"]), "since": iso})))
    if others:
        b["introduced_by"] = draw(_optional(st.fixed_dictionaries({
            "introducer": st.sampled_from(others),
            "kind": st.sampled_from([k.value for k in IntroducerKind]),
            "recognised_on": iso})))
    b["listed_on"] = draw(_optional(iso))
    for flag in ("key_enterprise", "fits_industry_positioning", "attraction_platform_signed"):
        b[flag] = draw(st.booleans())
    b["titles"] = draw(st.lists(st.fixed_dictionaries({
        "kind": st.sampled_from([k.value for k in TitleKind]),
        "level": st.sampled_from([lv.value for lv in Level]), "date": iso,
        "relocated": st.booleans()}), max_size=3))
    b["projects"] = [draw(st.fixed_dictionaries({
        "id": st.just(pid), "kind": st.sampled_from([k.value for k in ProjectKind]),
        "date": iso, "investment": _optional(money),
        "mode": _optional(st.sampled_from([m.value for m in RenovationMode])),
        "results_recognised": st.booleans()}).map(_drop_none).map(_described("mode")))
        for pid in item_ids[:draw(st.integers(0, len(item_ids)))]]
    b["institution"] = draw(_optional(st.fixed_dictionaries({
        "field": st.sampled_from([f.value for f in ServiceField]),
        "renowned": st.booleans(), "settled_on": iso}).map(_described("field"))))
    b["subfund"] = draw(_optional(st.fixed_dictionaries({
        "district_contribution": money, "district_investment": _optional(money),
        "excess_return": _optional(money)}).map(_drop_none)))
    b["fund_manager"] = draw(_optional(st.fixed_dictionaries({
        "investment_scale": _optional(money), "exit_return_prev_year": _optional(money)})
        .map(_drop_none)))
    talent = st.fixed_dictionaries({"selected_on": _optional(iso),
                                    "tier": _optional(st.sampled_from(["A", "B"])),
                                    "home_purchased_on": _optional(iso)}).map(_drop_none)
    b["talent"] = draw(talent if kind == "person" else _optional(talent))
    items = [*item_ids, "L1", "L2", "lighthouse_factory", "key_laboratory:national", *others]
    b["history"] = draw(st.lists(st.fixed_dictionaries({
        "measure": st.sampled_from(MEASURES), "year": years,
        "item": _optional(st.sampled_from(items))}).map(_drop_none), max_size=2))
    return _drop_none(b)


@st.composite
def loan(draw: st.DrawFn, ident: str, parties: list[str]) -> dict[str, Any]:
    drawn = draw(day)
    repaid = draw(_optional(st.integers(0, 800).map(lambda d: drawn + timedelta(days=d))))
    return _drop_none({
        "id": ident, "borrower": draw(st.sampled_from(parties)),
        "lender": draw(st.sampled_from(parties)),
        "borrower_size_class": draw(_optional(st.sampled_from(["large", "small", "micro"]))),
        "principal": draw(money), "drawn_on": drawn.isoformat(),
        "repaid_on": repaid and repaid.isoformat(),
        **{flag: draw(st.booleans()) for flag in ("first_loan", "guaranteed", "credit", "green")},
        "interest_paid": draw(_optional(money)), "guarantee_fee_paid": draw(_optional(money)),
        "principal_loss": draw(_optional(money)), "loss_on": draw(_optional(iso)),
    })


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """A case of one to six beneficiaries of any kinds, with loans between them."""
    n = draw(st.integers(1, 6))
    kind = st.one_of(st.just("enterprise"), st.sampled_from([k.value for k in Kind]))
    kinds = draw(st.lists(kind, min_size=n, max_size=n))
    ids = [PERSONS[i % 2] + f"{i}" if k == "person" else IDS[i] for i, k in enumerate(kinds)]
    bens = [draw(beneficiary(ident, kind, [o for o in ids if o != ident], [f"J{i}a", f"J{i}b"]))
            for i, (ident, kind) in enumerate(zip(ids, kinds, strict=True))]
    loans = [draw(loan(f"L{j}", ids)) for j in range(draw(st.integers(0, 3)))]
    return {"beneficiaries": bens, "loans": loans}
