"""四、创新供给夯实产业空间保障 — （十五）至（十九）.

（十五）加大产业空间供给。每年释放不少于50万平方米的功能复合新型产业空间。推动工业上楼…
（十六）定制企业新增用地。给予增量用地“定制化服务”…
（十七）盘活利用存量空间。鼓励通过自主、联营、租赁等方式对老旧厂房开展产业提升改造，打造特色园区。
对符合条件的改造项目按照项目固定资产投资额最高30%的比例，给予最高1000万元支持。
（十八）多元供应项目用地。支持企业通过弹性出让、长期租赁、先租后让、租让结合等方式获得产业空间…
（十九）构建高效落地机制。…实现项目即时并联审批…开辟绿色通道…
"""

from __future__ import annotations

from huiqi.engine.measure import Fact, History, Measure
from huiqi.engine.sources import Items, Subjects
from huiqi.policy.tongzhou_2024_8.common import ENTERPRISE, ORGANISATIONS

M15 = Measure(
    id="m15",
    source=Subjects(ENTERPRISE),
    params=("m15.area_m2",),
    formula_zh="每年释放不少于 {m15.area_m2} 平方米功能复合新型产业空间",
    formula_en="at least {m15.area_m2} m² of new composite industrial space released a year",
    note_zh="可申请区内新释放的功能复合新型产业空间（含工业上楼、先进工业楼宇综合体）。",
    note_en="May apply for newly released composite industrial space (incl. multi-storey "
    "industrial buildings).",
)

M16 = Measure(
    id="m16",
    source=Subjects(ENTERPRISE),
    note_zh="新增用地可申请“定制化服务”：规模指标、使用年限支持，出让价格可合理修正评估。",
    note_en="New land can be requested with a customised service: scale, tenure and a corrected "
    "land price.",
)

M17 = Measure(
    id="m17",
    source=Items(
        ORGANISATIONS, "projects", "subject", lambda p: p.kind == "renovation", lambda p: p.id,
        "有老旧厂房产业提升改造项目", "has an old-factory renovation project",
    ),
    event="item_date",
    history=History.ONCE_PER_ITEM,
    one_matter_one_support=True,
    basis=lambda t, c: c.apply(t.item_investment_fen, "m17.rate"),
    basis_facts=("item_investment_fen",),
    cap="m17.cap",
    params=("m17.rate",),
    # 「鼓励通过自主、联营、租赁等方式」: encouraged ways, an open list — shown, never a condition.
    facts=(Fact("item_investment_fen", "项目固定资产投资额", "fixed-asset investment of the project"),
           Fact("item_mode", "改造方式", "renovation mode", money=False)),
    formula_zh="{m17.rate} × 固定资产投资额 {item_investment_fen}，不超过 {m17.cap}",
    formula_en="{m17.rate} × fixed-asset investment {item_investment_fen}, at most {m17.cap}",
)

M18 = Measure(
    id="m18",
    source=Subjects(ENTERPRISE),
    note_zh="可通过弹性出让、长期租赁、先租后让、租让结合、集体土地入市、楼宇分割销售等方式获得产业空间。",
    note_en="Industrial space by flexible-term sale, long lease, lease-then-sale, lease-and-sale, "
    "collective land or floor-by-floor sale.",
)

M19 = Measure(
    id="m19",
    source=Subjects(ORGANISATIONS),
    note_zh="项目即时并联审批、立项规划用地报批绿色通道，各环节用时全程记录。",
    note_en="Parallel review of projects, a green channel for approval, every step timed.",
)

MEASURES = (M15, M16, M17, M18, M19)
