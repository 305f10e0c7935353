"""二、科技引领加速产业创新化发展 — （七）至（十一）.

（七）以研发促创新。…按照研发投入情况，每年给予最高300万元支持。推动企业与高校、科研院所等组建
创新联合体，…根据成果产出绩效情况，给予最高500万元支持。
（八）以数智促创新。…对获得“灯塔工厂”称号、国家级“智能制造标杆企业”示范称号、北京市“智能工厂”
和“数字化车间”示范称号的企业给予最高300万元支持。
（九）以平台促创新。…建设重点实验室、技术创新中心、工程研究中心、产业创新中心、企业技术中心等
高水平创新平台，对首次获得国家级、市级认定的，给予最高500万元支持。
（十）以引优促创新。…对于新认定或新迁入的国家级专精特新小巨人企业、国家制造业单项冠军示范企业、
制造业单项冠军产品、北京市专精特新企业，给予最高300万元支持。
（十一）以绿色促创新。…对于创建绿色工厂或绿色供应链、开展绿色化改造提升、使用分布式光伏能源代替
化石能源、开展碳中和认证或采用非交易行为减少二氧化碳排放的相关行业企业，给予最高300万元支持。
"""

from __future__ import annotations

from huiqi.engine.measure import Condition as C
from huiqi.engine.measure import Fact, History, Measure
from huiqi.engine.sources import Items, Subjects
from huiqi.policy.tongzhou_2024_8.common import (
    ENTERPRISE,
    by_value,
    fixed,
    title_level,
)

M07_RD = Measure(
    id="m07.rd",
    source=Subjects(ENTERPRISE),
    conditions=(
        C("rd_investment", "（七）", "年度有研发投入", "has R&D investment in the year",
          lambda t, c: t.rd_fen > 0, facts=("rd_fen",)),
    ),
    basis=lambda t, c: c.apply(t.rd_fen, "m07.rd.rate"),
    basis_facts=("rd_fen",),
    cap="m07.rd.cap",
    params=("m07.rd.rate",),
    facts=(Fact("rd_fen", "年度研发投入", "R&D investment of the year"),),
    formula_zh="{m07.rd.rate} × 研发投入 {rd_fen}，每年不超过 {m07.rd.cap}",
    formula_en="{m07.rd.rate} × R&D investment {rd_fen}, at most {m07.rd.cap} a year",
)

M07_CONSORTIUM = Measure(
    id="m07.consortium",
    source=Items(
        ENTERPRISE, "projects", "subject", lambda p: p.kind == "consortium", lambda p: p.id,
        "牵头组建创新联合体项目", "leads an innovation-consortium project",
    ),
    conditions=(
        C("results", "（七）", "成果产出绩效经认定", "results (成果产出绩效) recognised",
          lambda t, c: t.item_results_recognised),
    ),
    event="item_date",
    history=History.ONCE_PER_ITEM,
    one_matter_one_support=True,
    basis=fixed("m07.consortium.amount"),
    cap="m07.consortium.cap",
    params=("m07.consortium.amount",),
    formula_zh="按成果产出绩效核定 {m07.consortium.amount}，不超过 {m07.consortium.cap}",
    formula_en="amount by results {m07.consortium.amount}, at most {m07.consortium.cap}",
)

M08_TITLES = {
    "lighthouse_factory": "m08.amount.lighthouse_factory",
    "smart_manufacturing_benchmark": "m08.amount.smart_manufacturing_benchmark",
    "smart_factory": "m08.amount.smart_factory",
    "digital_workshop": "m08.amount.digital_workshop",
}
TITLE = Fact("item_kind", "称号", "title", money=False)
LEVEL = Fact("item_level", "级别", "level", money=False)
# The level (or issuer) the text names for each title is a condition: 国家级「智能制造标杆企业」,
# 北京市「智能工厂」「数字化车间」; 「灯塔工厂」 names no issuer (None: any).
M08_LEVELS = {
    "lighthouse_factory": None,
    "smart_manufacturing_benchmark": "national",
    "smart_factory": "municipal",
    "digital_workshop": "municipal",
}

M08 = Measure(
    id="m08",
    source=Items(
        ENTERPRISE, "titles", "subject", lambda x: x.kind.isin(list(M08_TITLES)), lambda x: x.kind,
        "获得灯塔工厂、智能制造标杆企业、智能工厂或数字化车间称号",
        "holds a lighthouse-factory, smart-manufacturing benchmark, smart-factory or "
        "digital-workshop title",
    ),
    conditions=(
        title_level("（八）", M08_LEVELS,
                    "称号为原文所列级别：灯塔工厂（不限颁发机构）、国家级智能制造标杆企业、"
                    "北京市智能工厂或北京市数字化车间",
                    "the title is at the level the text names: a lighthouse factory (any issuer), "
                    "a national smart-manufacturing benchmark, a Beijing smart factory or a "
                    "Beijing digital workshop"),
    ),
    event="item_date",
    history=History.ONCE_PER_ITEM,
    basis=by_value("item_kind", M08_TITLES),
    params_by=("item_kind", M08_TITLES),
    cap="m08.cap",
    params=tuple(M08_TITLES.values()),
    facts=(TITLE, LEVEL),
    formula_zh="按称号核定金额 {basis}，不超过 {m08.cap}（每个称号一次）",
    formula_en="amount for the title {basis}, at most {m08.cap} (once per title)",
)

M09_KINDS = (
    "key_laboratory", "tech_innovation_center", "engineering_research_center",
    "industry_innovation_center", "enterprise_tech_center",
)
M09_LEVELS = {"national": "m09.amount.national", "municipal": "m09.amount.municipal"}

M09 = Measure(
    id="m09",
    source=Items(
        ENTERPRISE, "titles", "subject",
        lambda x: x.kind.isin(M09_KINDS) & x.level.isin(list(M09_LEVELS)),
        lambda x: x.kind.concat(":", x.level),
        "获得国家级或市级创新平台认定", "holds a national or municipal innovation-platform recognition",
    ),
    conditions=(
        C("first_recognition", "（九）", "首次获得该级别的该类平台认定",
          "first recognition of this kind of platform at this level",
          lambda t, c: t.item_first_of_kind),
    ),
    event="item_date",
    history=History.ONCE_PER_ITEM,
    basis=by_value("item_level", M09_LEVELS),
    params_by=("item_level", M09_LEVELS),
    cap="m09.cap",
    params=tuple(M09_LEVELS.values()),
    facts=(TITLE, LEVEL),
    formula_zh="按级别核定金额 {basis}，不超过 {m09.cap}",
    formula_en="amount for the level {basis}, at most {m09.cap}",
)

M10_TITLES = {
    "little_giant": "m10.amount.little_giant",
    "single_champion_enterprise": "m10.amount.single_champion_enterprise",
    "single_champion_product": "m10.amount.single_champion_product",
    "specialised_sme_beijing": "m10.amount.specialised_sme_beijing",
}

# 国家级专精特新“小巨人”、国家制造业单项冠军示范企业、制造业单项冠军产品（国家级）、北京市专精特新企业
M10_LEVELS = {
    "little_giant": "national",
    "single_champion_enterprise": "national",
    "single_champion_product": "national",
    "specialised_sme_beijing": "municipal",
}

M10 = Measure(
    id="m10",
    source=Items(
        ENTERPRISE, "titles", "subject", lambda x: x.kind.isin(list(M10_TITLES)), lambda x: x.kind,
        "新认定或新迁入的专精特新“小巨人”、单项冠军或北京市专精特新企业",
        "newly recognised or newly relocated little giant, single champion or Beijing "
        "specialised SME",
    ),
    conditions=(
        title_level("（十）", M10_LEVELS,
                    "称号为原文所列级别：国家级专精特新“小巨人”、国家级制造业单项冠军示范企业或产品、"
                    "北京市专精特新企业",
                    "the title is at the level the text names: a national little giant, a national "
                    "single-champion enterprise or product, a Beijing specialised SME"),
    ),
    event="item_date",
    history=History.ONCE_PER_ITEM,
    basis=by_value("item_kind", M10_TITLES),
    params_by=("item_kind", M10_TITLES),
    cap="m10.cap",
    params=tuple(M10_TITLES.values()),
    facts=(TITLE, LEVEL,
           Fact("item_relocated", "新迁入", "relocated into the district", money=False)),
    formula_zh="按称号核定金额 {basis}，不超过 {m10.cap}（每个称号一次）",
    formula_en="amount for the title {basis}, at most {m10.cap} (once per title)",
)

M11_KINDS = (
    "green_factory", "green_supply_chain", "green_retrofit", "distributed_pv", "carbon_neutral",
    "co2_reduction",
)

M11 = Measure(
    id="m11",
    source=Items(
        ENTERPRISE, "projects", "subject", lambda p: p.kind.isin(M11_KINDS), lambda p: p.id,
        "有绿色工厂、绿色供应链、绿色化改造、分布式光伏、碳中和认证或非交易减排项目",
        "has a green factory, green supply chain, green retrofit, distributed PV, "
        "carbon-neutral certification or non-trading CO₂ reduction project",
    ),
    event="item_date",
    history=History.ONCE_PER_ITEM,
    one_matter_one_support=True,
    basis=fixed("m11.amount"),
    cap="m11.cap",
    params=("m11.amount",),
    facts=(Fact("item_kind", "项目类型", "project kind", money=False),),
    formula_zh="每个项目核定金额 {m11.amount}，不超过 {m11.cap}",
    formula_en="amount per project {m11.amount}, at most {m11.cap}",
)

MEASURES = (M07_RD, M07_CONSORTIUM, M08, M09, M10, M11)
