"""The questions the pages may ask for a fact the engine reports missing, shared by the public
calculator and the application wizard: where each answer goes in the case file, the question's
words, and reading a person's answer (money in yuan, a size class, a date, a short text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from huiqi.app.web.deps import Page

SIZES = ("large", "medium", "small", "micro")


@dataclass(frozen=True)
class Question:
    """A fact the engine may report missing, and where the answer goes in the case file."""

    kind: str  # "money", "size", "date" or "text"
    path: str  # dotted, {y}: the year asked about, {y1}: the year before, {y2}: two years before

    def at(self, year: int) -> str:
        return self.path.format(y=year, y1=year - 1, y2=year - 2)


QUESTIONS: dict[str, Question] = {
    "size": Question("size", "size.class"),
    "rc_fen": Question("money", "regional_contribution.{y}"),
    "rc_prev_fen": Question("money", "regional_contribution.{y1}"),
    "rc_prev2_fen": Question("money", "regional_contribution.{y2}"),
    "rd_fen": Question("money", "rd_investment.{y}"),
    "revenue_fen": Question("money", "size.revenue"),
    "fm_investment_fen": Question("money", "fund_manager.investment_scale"),
    "fm_exit_prev_fen": Question("money", "fund_manager.exit_return_prev_year"),
    "talent_tier": Question("text", "talent.tier"),
    # the event of （二十一） 购房补贴: the engine reads its absence as "no purchase", not as missing
    "home_purchased_on": Question("date", "talent.home_purchased_on"),
}


def question_text(page: Page, column: str, year: int) -> tuple[str, str]:
    """The question (the page's h1) and its hint."""
    money_hint = page._("单位：元，可精确到分，例如 1234567.89")
    texts = {
        "size": (page._("贵单位的企业规模是？"),
                 page._("按《中小企业划型标准规定》（工信部联企业〔2011〕300号）划分")),
        "rc_fen": (page._("%(year)s年度的区域贡献是多少？", year=year), money_hint),
        "rc_prev_fen": (page._("%(year)s年度的区域贡献是多少？", year=year - 1), money_hint),
        "rc_prev2_fen": (page._("%(year)s年度的区域贡献是多少？", year=year - 2), money_hint),
        "rd_fen": (page._("%(year)s年度的研发投入是多少？", year=year), money_hint),
        "revenue_fen": (page._("上一年度营业收入是多少？"), money_hint),
        "fm_investment_fen": (page._("%(year)s年度的实际投资规模是多少？", year=year), money_hint),
        "fm_exit_prev_fen": (page._("%(year)s年度项目退出的投资收益是多少？", year=year - 1), money_hint),
        "talent_tier": (page._("入选“运河英才”计划的人才层级是？"), page._("按入选通知填写")),
        "home_purchased_on": (page._("您在城市副中心购房的日期是？"),
                              page._("以购房合同网签日期为准，例如 2025-03-15")),
    }
    return texts[column]


def size_words(page: Page) -> dict[str, str]:
    return {"large": page._("大型企业"), "medium": page._("中型企业"), "small": page._("小型企业"),
            "micro": page._("微型企业")}


def parse_money(text: str) -> Decimal | None:
    """Yuan typed by a person: commas, spaces and ¥ allowed; at most two decimals; None if bad."""
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")) or value >= 10**14:
        return None
    return value.quantize(Decimal("0.01"))


def parse_date(text: str) -> date | None:
    """A date typed as 2025-03-15 (or 2025/3/15, 2025.3.15); None if it is not one."""
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    parts = cleaned.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def read_answer(page: Page, q: Question, value: str) -> tuple[str | None, str]:
    """The answer as the case file holds it, or None and the error to show beside the field."""
    if q.kind == "money":
        amount = parse_money(value)
        if not value.strip():
            return None, page._("请输入金额")
        if amount is None:
            return None, page._("金额应为不小于零的数字，最多两位小数，例如 1234567.89")
        return f"{amount:.2f}", ""
    if q.kind == "size":
        return (value, "") if value in SIZES else (None, page._("请选择企业规模"))
    if q.kind == "date":
        day = parse_date(value)
        if not value.strip():
            return None, page._("请输入日期")
        if day is None:
            return None, page._("日期应写作 年-月-日，例如 2025-03-15")
        return day.isoformat(), ""
    if not value.strip() or len(value) > 16:
        return None, page._("请填写人才层级（不超过16个字）")
    return value.strip(), ""


def set_fact(facts: dict[str, Any], path: str, value: str) -> None:
    """Put ``value`` at the dotted ``path`` of a beneficiary's facts."""
    *parents, leaf = path.split(".")
    node = facts
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def get_fact(facts: dict[str, Any], path: str) -> Any:
    """The value at the dotted ``path`` of a beneficiary's facts (None when absent)."""
    node: Any = facts
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key, node.get(int(key)) if key.isdigit() else None)
    return node


def signatory_error(page: Page, name: str) -> str | None:
    """What is wrong with the name of the person signing the commitment (告知承诺), if anything:
    the wizard, the offer's confirmation and the confirmation of a 帮办 application ask it alike."""
    name = " ".join(name.split())
    if not name:
        return page._("请填写签署人姓名")
    if len(name) > 60:
        return page._("签署人姓名不超过60个字")
    return None
