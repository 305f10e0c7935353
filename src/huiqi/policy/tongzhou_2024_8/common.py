"""Pieces several measures of 通政发〔2024〕8号 share: beneficiary kinds, SME test, amounts."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import ibis
from ibis.expr.types import BooleanValue, IntegerValue, Table

from huiqi.engine.context import Ctx
from huiqi.engine.measure import Condition, Fact

ENTERPRISE = ("enterprise",)
ORGANISATIONS = (
    "enterprise", "park_operator", "building_operator", "fund", "attraction_platform", "bank",
    "service_institution", "fund_manager",
)
PERSON = ("person",)
# "sme": an SME whose exact class its figures leave open (one indicator decides, see facts.sme)
SME_CLASSES = ("medium", "small", "micro", "sme")

RC = Fact("rc_fen", "年度区域贡献", "annual regional contribution")
RC_PREV = Fact("rc_prev_fen", "上年度区域贡献", "previous year's regional contribution")
RC_PREV2 = Fact("rc_prev2_fen", "前年度区域贡献", "regional contribution two years before")
SIZE = Fact("size", "企业规模", "size class", money=False)


def sme(clause: str, column: str = "size") -> Condition:
    """The beneficiary (or borrower) is a medium, small or micro enterprise."""
    return Condition(
        "sme", clause, "属于中小微企业（工信部联企业〔2011〕300号划型）",
        "is a medium, small or micro enterprise (national size classification)",
        lambda t, c: t[column].isin(SME_CLASSES), facts=(column,),
    )


def fixed(param: str) -> Callable[[Table, Ctx], IntegerValue]:
    """A basis equal to one money parameter (an administrative amount, default = the cap)."""
    return lambda t, c: c.lit(c.fen(param))


def by_value(column: str, params: dict[str, str]) -> Callable[[Table, Ctx], IntegerValue]:
    """A basis that looks up an amount parameter by the item's value (per title or level)."""

    def amount(t: Table, c: Ctx) -> IntegerValue:
        return ibis.cases(
            *((t[column] == value, c.lit(c.fen(p))) for value, p in params.items()),
            else_=ibis.null("int64"),
        )

    return amount


def by_year_end(column: str) -> Callable[[Table, Ctx], BooleanValue]:
    """The date in ``column`` is before the end of the year asked about."""
    return lambda t, c: (t[column] < c.end).fill_null(False)


def title_level(clause: str, levels: Mapping[str, str | None], zh: str, en: str) -> Condition:
    """A title counts only at the level (or from the issuer) the text names for it (None: any)."""

    def test(t: Table, c: Ctx) -> BooleanValue:
        return ibis.cases(
            *((t.item_kind == kind, ibis.literal(True) if level is None else t.item_level == level)
              for kind, level in levels.items()),
            else_=ibis.literal(False),
        )

    return Condition("title_level", clause, zh, en, test)
