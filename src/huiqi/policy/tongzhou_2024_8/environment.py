"""三、优化环境加速产业生态化发展 — （十二）至（十四）.

（十二）打造“三最”营商品牌。…开设企业专属空间，实现政策直享、服务直达、诉求直通。完善…重点企业
“服务包”机制，强化区级领导联系服务重点企业制度。设置产业园区公共服务站…建立“我帮企业拓市场”服务机制…
（十三）健全专业服务体系。大力吸引国际国内知名法律服务、会计审计、人力资源服务、科技服务等专业
服务机构落户发展，对于符合条件的相关机构给予最高200万元支持。
（十四）深化应用场景创新范式。…对于经认定的重点场景项目给予最高300万元支持。
"""

from __future__ import annotations

from huiqi.engine.measure import Condition as C
from huiqi.engine.measure import Fact, History, Measure
from huiqi.engine.sources import Items, Subjects
from huiqi.policy.tongzhou_2024_8.common import ENTERPRISE, ORGANISATIONS, fixed

M12 = Measure(
    id="m12",
    source=Subjects(ORGANISATIONS),
    facts=(Fact("key_enterprise", "重点企业", "key enterprise", money=False),),
    note_zh="企业专属空间：政策直享、服务直达、诉求直通；重点企业享“服务包”并有区级领导联系服务；"
    "产业园区公共服务站；“我帮企业拓市场”。",
    note_en="The enterprise's own space: matched policies pushed without asking, services, and "
    "requests answered; key enterprises get a service package and a district leader as contact; "
    "park service stations; market-expansion help.",
)

M13 = Measure(
    id="m13",
    source=Subjects(("service_institution",)),
    conditions=(
        C("renowned", "（十三）", "属国际国内知名机构", "is internationally or nationally renowned",
          lambda t, c: t.inst_renowned, facts=("inst_renowned",)),
        C("settled", "（十三）", "于本年度内、本措施施行后落户",
          "settled in the district in the year, after the measures took effect",
          lambda t, c: (t.inst_settled_on >= c.effective) & (t.inst_settled_on >= c.start)
          & (t.inst_settled_on < c.end), facts=("inst_settled_on",)),
    ),
    history=History.ONCE_PER_SUBJECT,
    basis=fixed("m13.amount"),
    cap="m13.cap",
    params=("m13.amount",),
    # 「法律服务、会计审计、人力资源服务、科技服务等」: examples of an open list, so the field is
    # shown to the reviewer, not tested; the conditions are renown and settling in the district.
    facts=(Fact("inst_field", "服务领域", "field", money=False),),
    formula_zh="核定金额 {m13.amount}，不超过 {m13.cap}",
    formula_en="amount {m13.amount}, at most {m13.cap}",
)

M14 = Measure(
    id="m14",
    source=Items(
        ENTERPRISE, "projects", "subject", lambda p: p.kind == "scenario", lambda p: p.id,
        "有经认定的重点场景项目", "has a recognised key application-scenario project",
    ),
    event="item_date",
    history=History.ONCE_PER_ITEM,
    one_matter_one_support=True,
    basis=fixed("m14.amount"),
    cap="m14.cap",
    params=("m14.amount",),
    formula_zh="每个项目核定金额 {m14.amount}，不超过 {m14.cap}",
    formula_en="amount per project {m14.amount}, at most {m14.cap}",
)

MEASURES = (M12, M13, M14)
