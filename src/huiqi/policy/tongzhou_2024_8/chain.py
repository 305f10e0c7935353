"""一、强链固链加速产业集群化发展 — （一）至（六）.

（一）壮大链主企业。…对新增产业链头部企业最高按年度区域贡献的70%给予扶持，对存量产业链头部企业
最高按年度区域贡献增量部分的70%给予扶持。
（二）加快链式集聚。…对经认定由链主企业、楼宇或园区运营主体引进的企业，最高按年度区域贡献达到既定
标准以上部分的70%给予合并计算支持。
（三）促进孵化延链。…提供低成本产业空间并给予连续三年每年最高1000万元支持。
（四）强化共性技术服务。…根据成效，给予最高1000万元支持。
（五）助力中小微企业成长。…对区域贡献高且保持高速增长的中小企业分梯度给予支持。
（六）拓宽招商渠道。…对各类基金引入的企业累计区域贡献达到既定标准，最高可按年度区域贡献达到既定
标准以上部分的70%给予合并计算支持。对经认定并签约的专业招商平台，引入的企业达到一定经营规模的，
给予不超过年度区域贡献15%的一次性支持。
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import ibis
from ibis.expr.types import BooleanValue, IntegerValue, Table

from huiqi.engine.context import Ctx
from huiqi.engine.measure import Condition as C
from huiqi.engine.measure import Fact, History, Measure
from huiqi.engine.money import yuan_to_fen
from huiqi.engine.sources import Group, Items, Members, Subjects
from huiqi.policy.tongzhou_2024_8.common import (
    ENTERPRISE,
    ORGANISATIONS,
    RC,
    RC_PREV,
    RC_PREV2,
    SIZE,
    by_year_end,
    fixed,
    sme,
)

M01_NEW = Measure(
    id="m01.new",
    source=Subjects(ENTERPRISE),
    conditions=(
        C("new_chain_leader", "（一）", "经认定的新增产业链头部企业",
          "a recognised newly added industrial-chain head enterprise",
          lambda t, c: (t.chain_leader == "new").fill_null(False)),
    ),
    event="chain_leader_since",
    event_label=("经认定为产业链头部企业", "recognised as an industrial-chain head enterprise"),
    basis=lambda t, c: c.apply(t.rc_fen, "m01.rate"),
    basis_facts=("rc_fen",),
    params=("m01.rate",),
    facts=(RC,),
    formula_zh="{m01.rate} × 年度区域贡献 {rc_fen}",
    formula_en="{m01.rate} × annual regional contribution {rc_fen}",
)


def _existing_leader(t: Table, c: Ctx) -> BooleanValue:
    # A chain leader that was new in an earlier year is an existing one now.
    existing = (t.chain_leader == "existing") | (
        (t.chain_leader == "new") & (t.chain_leader_since < c.start)
    )
    return (existing & (t.chain_leader_since < c.end)).fill_null(False)


M01_EXISTING = Measure(
    id="m01.existing",
    source=Subjects(ENTERPRISE),
    conditions=(
        C("existing_chain_leader", "（一）", "经认定的存量产业链头部企业",
          "a recognised existing industrial-chain head enterprise", _existing_leader),
    ),
    basis=lambda t, c: c.apply(t.rc_fen - t.rc_prev_fen, "m01.rate"),
    basis_facts=("rc_fen", "rc_prev_fen"),
    params=("m01.rate",),
    facts=(RC, RC_PREV),
    formula_zh="{m01.rate} × 区域贡献增量（{rc_fen} − {rc_prev_fen}）",
    formula_en="{m01.rate} × increase in regional contribution ({rc_fen} − {rc_prev_fen})",
)

MEMBER_RC = Fact("member_rc_fen", "引进企业年度区域贡献合计", "Σ annual RC of introduced enterprises")
MEMBERS = Fact("member_count", "引进企业数", "introduced enterprises", money=False)


def _introducer(t: Table, c: Ctx) -> BooleanValue:
    operator = t.kind.isin(["park_operator", "building_operator"])
    leader = t.chain_leader.notnull() & (t.chain_leader_since < c.end)
    return (operator | leader).fill_null(False)


M02 = Measure(
    id="m02",
    source=Group(
        ("enterprise", "park_operator", "building_operator"),
        ("chain_leader", "building_operator", "park_operator"),
    ),
    conditions=(
        C("is_introducer", "（二）", "为链主企业、楼宇或园区运营主体",
          "is a chain leader, building operator or park operator", _introducer),
    ),
    basis=lambda t, c: c.apply(t.member_rc_fen - c.fen("m02.standard"), "m02.rate"),
    basis_facts=("member_rc_fen",),
    params=("m02.rate", "m02.standard"),
    facts=(MEMBERS, MEMBER_RC),
    formula_zh="{m02.rate} × （引进企业区域贡献合计 {member_rc_fen} − 既定标准 {m02.standard}）",
    formula_en="{m02.rate} × (Σ RC of introduced enterprises {member_rc_fen} − set standard "
    "{m02.standard})",
)

M03 = Measure(
    id="m03",
    source=Items(
        ORGANISATIONS, "projects", "subject", lambda p: p.kind == "incubation_platform",
        lambda p: p.id, "建设经认定的产业孵化平台", "operates a recognised incubation platform",
    ),
    conditions=(
        C("recognised", "（三）", "孵化平台已于年度结束前认定", "recognised by the end of the year",
          by_year_end("item_date")),
    ),
    event="item_date",
    event_in_year=False,
    history=History.THREE_YEARS,
    basis=fixed("m03.amount"),
    cap="m03.cap",
    params=("m03.amount", "m03.years"),
    formula_zh="每年核定金额 {m03.amount}，不超过 {m03.cap}（连续三年）",
    formula_en="annual amount {m03.amount}, at most {m03.cap} (three consecutive years)",
    note_zh="同时提供低成本产业空间。", note_en="Low-cost industrial space is also provided.",
)

M04 = Measure(
    id="m04",
    source=Items(
        ORGANISATIONS, "projects", "subject", lambda p: p.kind == "common_tech_platform",
        lambda p: p.id, "建设经认定的共性技术公共平台",
        "operates a recognised common-technology public platform",
    ),
    conditions=(
        C("recognised", "（四）", "平台已于年度结束前认定", "recognised by the end of the year",
          by_year_end("item_date")),
    ),
    event="item_date",
    event_in_year=False,
    history=History.ONCE_PER_ITEM,
    one_matter_one_support=True,
    basis=fixed("m04.amount"),
    cap="m04.cap",
    params=("m04.amount",),
    formula_zh="按成效核定金额 {m04.amount}，不超过 {m04.cap}",
    formula_en="amount set by results {m04.amount}, at most {m04.cap}",
)


def _grew(c: Ctx, now: IntegerValue, before: IntegerValue, growth: Fraction) -> BooleanValue:
    return (now > before) & c.at_least(now, 1 + growth, before)


def _tier_met(t: Table, c: Ctx, tier: dict[str, Decimal]) -> BooleanValue:
    growth = Fraction(tier["growth_min"])
    rc_min = yuan_to_fen(tier["rc_min"])
    return (
        (t.rc_fen >= rc_min)
        & _grew(c, t.rc_fen, t.rc_prev_fen, growth)
        & _grew(c, t.rc_prev_fen, t.rc_prev2_fen, growth)
    )


def _m05_amount(t: Table, c: Ctx) -> IntegerValue:
    tiers = sorted(c.value("m05.tiers"), key=lambda r: -r["amount"])
    return ibis.cases(
        *((_tier_met(t, c, r), c.lit(yuan_to_fen(r["amount"]))) for r in tiers),
        else_=c.lit(0),
    )


M05 = Measure(
    id="m05",
    source=Subjects(ENTERPRISE, sized=True),
    conditions=(
        sme("（五）"),
        C("tier_reached", "（五）", "区域贡献高且连续两年保持高速增长，达到某一梯度",
          "high regional contribution and high growth in each of the last two years reach a tier",
          lambda t, c: ibis.or_(*(_tier_met(t, c, r) for r in c.value("m05.tiers"))),
          facts=("rc_fen", "rc_prev_fen", "rc_prev2_fen")),
    ),
    basis=_m05_amount,
    params=("m05.tiers",),
    facts=(SIZE, RC, RC_PREV, RC_PREV2),
    formula_zh="所达最高梯度的支持金额（梯度表 {m05.tiers}）",
    formula_en="amount of the highest tier reached (tiers {m05.tiers})",
)

M06_FUND = Measure(
    id="m06.fund",
    source=Group(("fund",), ("fund",)),
    conditions=(
        C("accumulated_standard", "（六）", "基金引入企业累计区域贡献达到既定标准",
          "accumulated RC of the fund's introduced enterprises reaches the set standard",
          lambda t, c: t.member_rc_since_intro_fen >= c.fen("m06.fund.standard"),
          facts=("member_rc_since_intro_fen",)),
    ),
    basis=lambda t, c: c.apply(t.member_rc_fen - c.fen("m06.fund.standard"), "m06.fund.rate"),
    basis_facts=("member_rc_fen",),
    params=("m06.fund.rate", "m06.fund.standard"),
    facts=(
        MEMBERS,
        Fact("member_rc_since_intro_fen", "引入以来累计区域贡献", "RC accumulated since introduction"),
        MEMBER_RC,
    ),
    formula_zh="{m06.fund.rate} × （引入企业年度区域贡献合计 {member_rc_fen} − 既定标准 "
    "{m06.fund.standard}）",
    formula_en="{m06.fund.rate} × (Σ annual RC of introduced enterprises {member_rc_fen} − set "
    "standard {m06.fund.standard})",
)

M06_PLATFORM = Measure(
    id="m06.platform",
    source=Members(
        ("attraction_platform",), ("attraction_platform",),
        "有经认定引入的企业", "has recognised introduced enterprises",
    ),
    conditions=(
        C("signed", "（六）", "经认定并签约的专业招商平台",
          "a recognised and signed professional investment-attraction platform",
          lambda t, c: t.platform_signed),
        C("operating_scale", "（六）", "引入企业达到一定经营规模（营业收入）",
          "the introduced enterprise reaches the operating scale (revenue)",
          lambda t, c: t.item_revenue_fen >= c.fen("m06.platform.min_revenue"),
          facts=("item_revenue_fen",)),
    ),
    history=History.ONCE_PER_ITEM,
    basis=lambda t, c: c.apply(t.item_rc_fen, "m06.platform.rate"),
    basis_facts=("item_rc_fen",),
    params=("m06.platform.rate", "m06.platform.min_revenue"),
    facts=(
        Fact("item_revenue_fen", "引入企业营业收入", "revenue of the introduced enterprise"),
        Fact("item_rc_fen", "引入企业年度区域贡献", "annual RC of the introduced enterprise"),
    ),
    formula_zh="{m06.platform.rate} × 引入企业年度区域贡献 {item_rc_fen}（一次性）",
    formula_en="{m06.platform.rate} × annual RC of the introduced enterprise {item_rc_fen} "
    "(one-time)",
)

MEASURES = (M01_NEW, M01_EXISTING, M02, M03, M04, M05, M06_FUND, M06_PLATFORM)
