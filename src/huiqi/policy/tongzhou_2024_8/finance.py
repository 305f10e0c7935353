"""六、金融助力夯实产业资金保障 — （二十二）至（二十六）.

（二十二）降低企业融资成本。…对符合条件的中小微企业首次贷款业务给予1%的利息补贴和1%的担保贴费，
对信用贷款按本金损失部分的30%给予金融机构贷款风险补偿…
（二十三）发挥产业引导基金功能。用足用好城市副中心50亿元产业引导基金…对产业投资基金返投比例达到
2倍及以上的，区级财政基金出资部分所获超额收益可按最高60%比例予以让渡…
（二十四）加大企业上市服务支持。…对新增上市企业给予最高1000万元支持。
（二十五）推动私募基金业健康发展。…按基金实际投资规模或上一年度项目退出产生投资收益规模，给予
管理人最高2000万元资金支持。
（二十六）加速绿色金融创新发展。…对单笔绿色信贷给予最高600万元风险补偿。
"""

from __future__ import annotations

from fractions import Fraction

import ibis
from ibis.expr.types import BooleanValue, IntegerValue, Table

from huiqi.engine.context import Ctx
from huiqi.engine.measure import Condition as C
from huiqi.engine.measure import Fact, History, Measure
from huiqi.engine.sources import Items, Subjects
from huiqi.policy.tongzhou_2024_8.common import ENTERPRISE, fixed, sme


def days_outstanding(t: Table, c: Ctx) -> IntegerValue:
    """Days of the year the loan was outstanding, 算头不算尾 (drawdown day in, repayment out)."""
    start = ibis.greatest(t.item_drawn_on, ibis.literal(c.start))
    end = ibis.least(t.item_repaid_on.coalesce(ibis.literal(c.end)), ibis.literal(c.end))
    return ibis.greatest(end.delta(start, unit="day"), 0)


def _prorated(t: Table, c: Ctx, rate: str) -> IntegerValue:
    # principal × rate × days ÷ days-in-year, multiplied out first and rounded once
    return c.mul_ratio(
        t.item_principal_fen * days_outstanding(t, c), c.rate(rate), denominator=c.days_in_year
    )


LOANS_AS_BORROWER = Items(
    ENTERPRISE, "loans", "borrower", lambda x: ibis.literal(True), lambda x: x.id,
    "有贷款", "has a loan", sized=True,
)
FIRST_LOAN = C("first_loan", "（二十二）", "首次贷款", "the borrower's first loan",
               lambda t, c: t.item_first_loan)
OUTSTANDING = C("outstanding", "（二十二）", "贷款在本年度内有存续天数",
                "the loan was outstanding during the year",
                lambda t, c: days_outstanding(t, c) > 0)
PRINCIPAL = Fact("item_principal_fen", "贷款本金", "principal")
DAYS = Fact("days", "本年度存续天数", "days outstanding in the year", money=False,
            value=days_outstanding)

M22_INTEREST = Measure(
    id="m22.interest",
    source=LOANS_AS_BORROWER,
    conditions=(sme("（二十二）"), FIRST_LOAN, OUTSTANDING),
    event="item_drawn_on",
    event_in_year=False,
    history=History.SINGLE_ITEM,
    basis=lambda t, c: ibis.least(
        _prorated(t, c, "m22.interest.rate"), t.item_interest_paid_fen
    ),
    basis_facts=("item_interest_paid_fen",),
    params=("m22.interest.rate",),
    facts=(PRINCIPAL, DAYS, Fact("item_interest_paid_fen", "本年度已付利息", "interest paid")),
    formula_zh="{m22.interest.rate} × 本金 {item_principal_fen} × {days} ÷ {days_in_year} 天，"
    "且不超过已付利息 {item_interest_paid_fen}",
    formula_en="{m22.interest.rate} × principal {item_principal_fen} × {days} ÷ {days_in_year} "
    "days, at most the interest paid {item_interest_paid_fen}",
)

M22_GUARANTEE = Measure(
    id="m22.guarantee",
    source=LOANS_AS_BORROWER,
    conditions=(
        sme("（二十二）"), FIRST_LOAN,
        C("guaranteed", "（二十二）", "贷款有担保", "the loan is guaranteed",
          lambda t, c: t.item_guaranteed),
        OUTSTANDING,
    ),
    event="item_drawn_on",
    event_in_year=False,
    history=History.SINGLE_ITEM,
    basis=lambda t, c: ibis.least(
        _prorated(t, c, "m22.guarantee.rate"), t.item_guarantee_fee_paid_fen
    ),
    basis_facts=("item_guarantee_fee_paid_fen",),
    params=("m22.guarantee.rate",),
    facts=(PRINCIPAL, DAYS,
           Fact("item_guarantee_fee_paid_fen", "本年度已付担保费", "guarantee fee paid")),
    formula_zh="{m22.guarantee.rate} × 本金 {item_principal_fen} × {days} ÷ {days_in_year} 天，"
    "且不超过已付担保费 {item_guarantee_fee_paid_fen}",
    formula_en="{m22.guarantee.rate} × principal {item_principal_fen} × {days} ÷ {days_in_year} "
    "days, at most the guarantee fee paid {item_guarantee_fee_paid_fen}",
)


def _loss_in_year(t: Table, c: Ctx) -> BooleanValue:
    on = t.item_loss_on
    return (on >= c.effective) & (on >= c.start) & (on < c.end)


def loss(clause: str) -> tuple[C, C]:
    """A principal loss, recognised in the year and after the measures took effect."""
    return (
        # a loan listed without a loss has lost nothing
        C("loss", clause, "发生本金损失", "principal was lost",
          lambda t, c: (t.item_loss_fen > 0).fill_null(False)),
        C("loss_in_year", clause, "损失于本年度内、本措施施行后确认",
          "the loss was recognised in the year, after the measures took effect",
          _loss_in_year, facts=("item_loss_on",)),
    )


BORROWER = Fact("item_borrower", "借款企业", "borrower", money=False)
LOSS = Fact("item_loss_fen", "本金损失", "principal loss")

M22_RISK = Measure(
    id="m22.risk",
    source=Items(
        ("bank",), "loans", "lender", lambda x: x.credit, lambda x: x.id,
        "发放了信用贷款", "lent a credit (unsecured) loan",
    ),
    conditions=(sme("（二十二）", "item_borrower_size"), *loss("（二十二）")),
    history=History.ONCE_PER_ITEM,
    one_matter_one_support=True,
    basis=lambda t, c: c.apply(t.item_loss_fen, "m22.risk.rate"),
    basis_facts=("item_loss_fen",),
    params=("m22.risk.rate",),
    facts=(BORROWER, LOSS),
    formula_zh="{m22.risk.rate} × 本金损失 {item_loss_fen}",
    formula_en="{m22.risk.rate} × principal loss {item_loss_fen}",
)


def _reinvested(t: Table, c: Ctx) -> BooleanValue:
    ratio = Fraction(c.value("m23.ratio"))
    return c.at_least(t.subfund_investment_fen, ratio, t.subfund_contribution_fen)


M23 = Measure(
    id="m23",
    source=Subjects(("fund",)),
    conditions=(
        C("subfund", "（二十三）", "为产业引导基金子基金，有区级财政出资",
          "a sub-fund of the guidance fund with a district fiscal contribution",
          lambda t, c: (t.subfund_contribution_fen > 0).fill_null(False)),
        C("reinvestment", "（二十三）", "返投比例达到2倍及以上",
          "re-investment in the district is at least twice the district contribution",
          _reinvested, facts=("subfund_investment_fen",)),
    ),
    basis=lambda t, c: c.apply(t.subfund_excess_fen, "m23.share"),
    basis_facts=("subfund_excess_fen",),
    params=("m23.ratio", "m23.share", "m23.pool"),
    facts=(
        Fact("subfund_contribution_fen", "区级财政出资", "district fiscal contribution"),
        Fact("subfund_investment_fen", "返投金额", "investment in the district"),
        Fact("subfund_excess_fen", "区级出资部分超额收益", "excess return on the district's share"),
    ),
    formula_zh="{m23.share} × 超额收益 {subfund_excess_fen}（返投 {subfund_investment_fen} ≥ "
    "{m23.ratio} × 出资 {subfund_contribution_fen}）",
    formula_en="{m23.share} × excess return {subfund_excess_fen} (re-investment "
    "{subfund_investment_fen} ≥ {m23.ratio} × contribution {subfund_contribution_fen})",
    note_zh="让渡总额以50亿元产业引导基金为限。", note_en="Within the 5-billion-yuan guidance fund.",
)

M24 = Measure(
    id="m24",
    source=Subjects(ENTERPRISE),
    event="listed_on",
    event_label=("已上市", "listed"),
    history=History.ONCE_PER_SUBJECT,
    basis=fixed("m24.amount"),
    cap="m24.cap",
    params=("m24.amount",),
    formula_zh="新增上市企业核定金额 {m24.amount}，不超过 {m24.cap}（一次）",
    formula_en="newly listed: {m24.amount}, at most {m24.cap} (once)",
)

M25 = Measure(
    id="m25",
    source=Subjects(("fund_manager",)),
    conditions=(
        C("scale", "（二十五）", "有年度实际投资或上一年度退出收益",
          "has investment in the year or exit returns in the previous year",
          lambda t, c: (t.fm_investment_fen > 0) | (t.fm_exit_prev_fen > 0),
          facts=("fm_investment_fen", "fm_exit_prev_fen")),
    ),
    basis=lambda t, c: ibis.greatest(
        c.apply(t.fm_investment_fen, "m25.rate.investment"),
        c.apply(t.fm_exit_prev_fen, "m25.rate.exit"),
    ),
    basis_facts=("fm_investment_fen", "fm_exit_prev_fen"),
    cap="m25.cap",
    params=("m25.rate.investment", "m25.rate.exit"),
    facts=(
        Fact("fm_investment_fen", "基金实际投资规模", "actual investment scale"),
        Fact("fm_exit_prev_fen", "上一年度退出投资收益", "exit returns of the previous year"),
    ),
    formula_zh="max({m25.rate.investment} × 投资规模 {fm_investment_fen}, {m25.rate.exit} × "
    "退出收益 {fm_exit_prev_fen})，不超过 {m25.cap}",
    formula_en="max({m25.rate.investment} × investment {fm_investment_fen}, {m25.rate.exit} × "
    "exit returns {fm_exit_prev_fen}), at most {m25.cap}",
)

M26 = Measure(
    id="m26",
    source=Items(
        ("bank",), "loans", "lender", lambda x: x.green, lambda x: x.id,
        "发放了绿色信贷", "lent a green credit",
    ),
    conditions=loss("（二十六）"),
    history=History.ONCE_PER_ITEM,
    one_matter_one_support=True,
    basis=lambda t, c: c.apply(t.item_loss_fen, "m26.rate"),
    basis_facts=("item_loss_fen",),
    cap="m26.cap",
    params=("m26.rate",),
    facts=(BORROWER, LOSS),
    formula_zh="{m26.rate} × 本金损失 {item_loss_fen}，单笔不超过 {m26.cap}",
    formula_en="{m26.rate} × principal loss {item_loss_fen}, at most {m26.cap} per loan",
)

MEASURES = (M22_INTEREST, M22_GUARANTEE, M22_RISK, M23, M24, M25, M26)
