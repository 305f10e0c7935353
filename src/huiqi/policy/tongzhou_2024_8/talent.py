"""五、靶向施策夯实产业人才保障 — （二十）（二十一）.

（二十）加大人才引进力度。对符合产业定位的重点企业，按规定对其高级经营管理人员、核心业务骨干的落户
需求，应办尽办；对其中层管理人员、业务骨干北京市工作居住证的办理需求，足额保障；对其引进的优秀非京籍
生源毕业生的户籍指标，重点倾斜。
（二十一）实施“运河英才”计划。…发放“运河英才卡”。对于入选计划的人才，免租入住高品质人才公寓；
在城市副中心购房给予最高150万元购房补贴。在子女教育、医疗服务、个性化出行、政务服务等方面为相关
人才提供“绿色通道”服务。
"""

from __future__ import annotations

from huiqi.engine.measure import Condition as C
from huiqi.engine.measure import History, Measure
from huiqi.engine.sources import Subjects
from huiqi.policy.tongzhou_2024_8.common import ENTERPRISE, PERSON, by_year_end, fixed

M20 = Measure(
    id="m20",
    source=Subjects(ENTERPRISE),
    conditions=(
        C("key_enterprise", "（二十）", "属重点企业", "is a key enterprise",
          lambda t, c: t.key_enterprise),
        C("fits_positioning", "（二十）", "符合产业定位", "fits the district's industry positioning",
          lambda t, c: t.fits_positioning),
    ),
    note_zh="高级经营管理人员、核心业务骨干落户应办尽办；中层管理人员、业务骨干工作居住证足额保障；"
    "引进的非京籍优秀毕业生户籍指标重点倾斜。",
    note_en="Hukou for senior managers and core staff handled in every eligible case; work-"
    "residence permits for middle managers fully met; hukou quota for graduates prioritised.",
)

SELECTED = C("selected", "（二十一）", "入选“运河英才”计划", "selected into the 运河英才 plan",
             by_year_end("talent_selected_on"))

M21_CARD = Measure(
    id="m21.card",
    source=Subjects(PERSON),
    conditions=(SELECTED,),
    note_zh="发放“运河英才卡”，子女教育、医疗服务、个性化出行、政务服务“绿色通道”。",
    note_en="The 运河英才 card, with green channels for education, medical care, travel and "
    "government services.",
)

M21_APARTMENT = Measure(
    id="m21.apartment",
    source=Subjects(PERSON),
    conditions=(SELECTED,),
    note_zh="免租入住高品质人才公寓。", note_en="A rent-free high-quality talent apartment.",
)

M21_HOUSING = Measure(
    id="m21.housing",
    source=Subjects(PERSON),
    conditions=(
        SELECTED,
        C("home_purchased", "（二十一）", "于年度结束前购房", "bought by the end of the year",
          by_year_end("home_purchased_on")),
    ),
    event="home_purchased_on",
    event_in_year=False,
    event_label=("在城市副中心购房", "bought a home in the sub-centre"),
    history=History.ONCE_PER_SUBJECT,
    basis=fixed("m21.housing.amount"),
    cap="m21.housing.cap",
    params=("m21.housing.amount",),
    formula_zh="购房补贴核定金额 {m21.housing.amount}，不超过 {m21.housing.cap}（每人一次）",
    formula_en="housing subsidy {m21.housing.amount}, at most {m21.housing.cap} (once a person)",
)

MEASURES = (M20, M21_CARD, M21_APARTMENT, M21_HOUSING)
