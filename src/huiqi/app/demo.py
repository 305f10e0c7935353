"""The demo district: organisations, users of every role, budgets, and applications in every
state — loaded by ``huiqi serve --demo`` on first start so the platform can be tried at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.auth import service as auth
from huiqi.app.auth.models import User
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import payments
from huiqi.app.budget import service as budget
from huiqi.app.budget.bank import LocalBank
from huiqi.app.budget.models import POOL_YEAR
from huiqi.app.db import make_engine, sessions, transaction
from huiqi.app.registry import service as registry
from huiqi.app.registry.schemas import BankAccount, FactIn, OrganisationIn, PersonIn, RecognitionIn
from huiqi.app.settings import service as settings
from huiqi.facts.case import Level

PASSWORD = "huiqi-demo-2024"
# the staff's second factor: one published secret, so the demo can be tried with any authenticator
# app (or `python -c "import pyotp; print(pyotp.TOTP('…').now())"`); never in production
TOTP_SECRET = "HUIQIDEMOTOTPSECRETXXXXXXXXXXXXX"
OFFICE = Actor("office", Role.OFFICE)
FINANCE = Actor("finance", Role.FINANCE)
ECON = Actor("econ", Role.REVIEWER, department="区经济和信息化局")
SCI = Actor("sci", Role.REVIEWER, department="区科学技术委员会")
FIN_DEPT = Actor("fin", Role.REVIEWER, department="区金融服务办公室")

# (uscc, name, kind, facts {year: regional contribution}, recognitions)
ORGS = [
    ("91110112MA01D0001D", "通州智造科技有限公司", {2023: "0.00", 2024: "12000000.00"}),
    ("91110112MA01D0002G", "运河数字产业集团有限公司", {2023: "20000000.00", 2024: "26000000.00"}),
    ("91110112MA01D0003K", "副中心精密仪器有限公司", {2024: "800000.00"}),
    ("91110112MA01D0004N", "潞城新材料股份有限公司", {2023: "0.00", 2024: "5000000.00"}),
    ("91110112MA01D0005R", "宋庄文旅科技有限公司", {2023: "0.00", 2024: "3000000.00"}),
]


@dataclass
class Loaded:
    users: list[str]
    password: str = PASSWORD
    totp_secret: str = TOTP_SECRET


def load(url: str) -> Loaded | None:
    """Load the demo district into an empty database; ``None`` if users already exist."""
    engine = make_engine(url)
    factory = sessions(engine)
    try:
        with factory() as s:
            if s.scalar(select(func.count(User.id))):
                return None
        ids = _registry(factory)
        users = _users(factory, ids) + _talent(factory)
        _consents(factory, ids)
        _applications(factory, engine, ids)
        _offers_and_requests(factory, ids)
        return Loaded(users)
    finally:
        engine.dispose()


def _registry(factory: sessionmaker[Session]) -> list[int]:
    ids: list[int] = []
    with transaction(factory) as s:
        for uscc, name, rc in ORGS:
            org = registry.create_org(s, actor=OFFICE, data=OrganisationIn(
                uscc=uscc, name=name, kind="enterprise", industry="3911",
                key_enterprise=uscc.endswith("D"), fits_industry_positioning=True,
                bank_account=BankAccount(bank_name="北京银行通州支行",
                                         account_no=f"2000001{len(ids):07d}", account_name=name)))
            for year, amount in rc.items():
                registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
                    year=year, name="regional_contribution", value=Decimal(amount), source="区税务局"))
            ids.append(org.id)
        a, b, c, d, e = ids
        registry.set_fact(s, actor=OFFICE, org_id=a, data=FactIn(
            year=2024, name="rd_investment", value=Decimal("25000000.00"), source="区统计局"))
        for org_id, status, day in ((a, "new", date(2024, 5, 1)), (b, "existing", date(2023, 3, 1)),
                                    (d, "new", date(2024, 4, 1)), (e, "new", date(2024, 6, 1))):
            registry.add_recognition(s, actor=OFFICE, org_id=org_id, person_id=None, data=RecognitionIn(
                kind="chain_leader", subtype=status, recognised_on=day, reference="区产促委认定"))
        registry.add_recognition(s, actor=OFFICE, org_id=a, person_id=None, data=RecognitionIn(
            kind="title", subtype="little_giant", level=Level.NATIONAL, recognised_on=date(2024, 7, 15)))
        registry.add_recognition(s, actor=OFFICE, org_id=c, person_id=None, data=RecognitionIn(
            kind="title", subtype="specialised_sme_beijing", level=Level.MUNICIPAL,
            recognised_on=date(2024, 9, 1)))
        for measure, depts in (("m01.new", [ECON, FIN_DEPT]), ("m01.existing", [ECON, FIN_DEPT]),
                               ("m07.rd", [SCI]), ("m10", [ECON, SCI])):
            settings.configure_measure(s, actor=OFFICE, measure=measure,
                                       departments=[x.department or "" for x in depts],
                                       review_days=10, no_application=False, offer_days=15)
        for measure in ("m01.new", "m01.existing", "m07.rd", "m10"):
            for year in (2024, 2025):
                budget.set_budget(s, actor=FINANCE, measure=measure, year=year,
                                  amount_fen=100_000_000_00, note="年度预算（演示）")
        budget.set_budget(s, actor=FINANCE, measure="m23", year=POOL_YEAR, amount_fen=5_000_000_000_00,
                          note="（二十三）50亿元政府引导基金")
    return ids


def _users(factory: sessionmaker[Session], ids: list[int]) -> list[str]:
    staff = [("office", Role.OFFICE, None), ("finance", Role.FINANCE, None),
             ("auditor", Role.AUDITOR, None), ("admin", Role.ADMIN, None),
             ("security", Role.SECURITY_ADMIN, None), ("auditadmin", Role.AUDIT_ADMIN, None),
             ("econ", Role.REVIEWER, ECON.department), ("sci", Role.REVIEWER, SCI.department),
             ("fin", Role.REVIEWER, FIN_DEPT.department), ("helper1", Role.SERVICE, None)]
    names = []
    with transaction(factory) as s:
        for username, role, dept in staff:
            auth.new_user(s, by="demo-loader", username=username, password=PASSWORD, role=role,
                          display_name=username, department=dept, must_change=False,
                          totp_secret=TOTP_SECRET)
            names.append(username)
        for i, org_id in enumerate(ids, 1):
            auth.new_user(s, by="demo-loader", username=f"ent{i}", password=PASSWORD,
                          role=Role.APPLICANT, display_name=ORGS[i - 1][1], org_id=org_id,
                          must_change=False)
            names.append(f"ent{i}")
    return names


# (username, name, ID number, account, tier, selected on): talents selected into 运河英才
TALENTS = [("talent1", "李明", "11010519491231002X", "6222000011112222", "A", date(2024, 4, 1)),
           ("talent2", "张婷", "110105198506120042", "6222000011113333", "B", date(2024, 9, 20))]


def _talent(factory: sessionmaker[Session]) -> list[str]:
    """Talents selected into 运河英才 (（二十一）), who may apply for the housing subsidy."""
    with transaction(factory) as s:
        for username, name, id_number, account, tier, selected in TALENTS:
            person = registry.create_person(s, actor=OFFICE, data=PersonIn(
                name=name, id_number=id_number,
                bank_account=BankAccount(bank_name="北京银行通州支行", account_no=account,
                                         account_name=name)))
            registry.add_recognition(s, actor=OFFICE, org_id=None, person_id=person.id, data=RecognitionIn(
                kind="talent", subtype=tier, recognised_on=selected, reference="运河英才入选通知"))
            auth.new_user(s, by="demo-loader", username=username, password=PASSWORD, role=Role.APPLICANT,
                          display_name=name, person_id=person.id, must_change=False)
    return [t[0] for t in TALENTS]


def _consents(factory: sessionmaker[Session], ids: list[int]) -> None:
    """潞城新材料 (ent4) lets the service centre prepare its applications (帮办) for a year."""
    from datetime import timedelta

    from huiqi.app.members import consents

    with transaction(factory) as s:
        consents.grant(s, actor=Actor("ent4", Role.APPLICANT, org_id=ids[3]), org_id=ids[3],
                       officer_id=None, measures=None, until=date.today() + timedelta(days=365))


def _step(factory: sessionmaker[Session], fn: Callable[[Session], object]) -> None:
    with transaction(factory) as s:
        fn(s)


def _applications(factory: sessionmaker[Session], engine: Engine, ids: list[int]) -> None:
    """One application in each state of the lifecycle."""
    ent = [Actor(f"ent{i}", Role.APPLICANT, org_id=o) for i, o in enumerate(ids, 1)]

    def new(who: Actor, measure: str, year: int, item: str | None = None, submit: bool = True) -> int:
        with transaction(factory) as s:
            app = apps.start(s, actor=who, measure=measure, year=year, item=item)
            if submit:
                apps.submit(s, actor=who, application_id=app.id, accept_commitment=True,
                            signatory="法定代表人")
            return app.id

    def review(app_id: int, *who: Actor, approve: bool = True) -> None:
        for r in who:
            with transaction(factory) as s:
                apps.review(s, actor=r, application_id=app_id, approve=approve,
                            reason=None if approve else "请补充区域贡献证明材料")

    def decide(app_id: int, amount_fen: int | None, reasons: str | None = None) -> None:
        _step(factory, lambda s: apps.decide(s, actor=OFFICE, application_id=app_id,
                                             award=amount_fen is not None, amount_fen=amount_fen,
                                             reasons=reasons))

    paid = new(ent[0], "m01.new", 2024)  # 70% × 12,000,000.00 = 8,400,000.00
    review(paid, ECON, FIN_DEPT)
    decide(paid, 8_000_000_00, "按区域贡献核定")
    awarded = new(ent[0], "m10", 2024, "little_giant")
    review(awarded, ECON, SCI)
    decide(awarded, 3_000_000_00)
    _step(factory, lambda s: payments.create_batch(s, actor=FINANCE, measure="m01.new"))
    payments.run(factory, LocalBank(engine), actor=FINANCE, batch_id=None)
    new(ent[0], "m07.rd", 2024)  # in review: 科委 has not answered yet
    approved = new(ent[1], "m01.existing", 2024)  # 70% × (26,000,000 − 20,000,000) = 4,200,000.00
    review(approved, ECON, FIN_DEPT)
    returned = new(ent[2], "m10", 2024, "specialised_sme_beijing")
    review(returned, ECON, approve=False)
    appealed = new(ent[3], "m01.new", 2024)
    review(appealed, ECON, FIN_DEPT)
    decide(appealed, None, "区域贡献数据待税务部门核实")
    _step(factory, lambda s: apps.appeal(s, actor=ent[3], application_id=appealed,
                                         reasons="税务部门已出具区域贡献证明"))
    rejected = new(ent[4], "m01.new", 2024)
    review(rejected, ECON, FIN_DEPT)
    decide(rejected, None, "不符合产业链头部企业认定范围")
    withdrawn = new(ent[1], "m07.rd", 2025, submit=False)
    _step(factory, lambda s: apps.withdraw(s, actor=ent[1], application_id=withdrawn))
    new(ent[2], "m07.rd", 2025, submit=False)  # a draft


def _offers_and_requests(factory: sessionmaker[Session], ids: list[int]) -> None:
    """m24 granted without application (免申即享): one offer lapsed, one open; a matching run;
    a request answered, a complaint waiting; a key enterprise's service package."""
    from datetime import timedelta

    from huiqi.app.db import utcnow
    from huiqi.app.matching import service as matching
    from huiqi.app.registry.models import Organisation
    from huiqi.app.requests import service as requests
    from huiqi.app.requests.schemas import ServicePackageIn

    now = utcnow()
    with transaction(factory) as s:
        settings.configure_measure(s, actor=OFFICE, measure="m24", departments=[FIN_DEPT.department or ""],
                                   review_days=10, no_application=True, offer_days=15)
        for year in (2024, 2025):
            budget.set_budget(s, actor=FINANCE, measure="m24", year=year, amount_fen=100_000_000_00)
        listed = s.get(Organisation, ids[3])
        assert listed is not None
        listed.listed_on = date(2024, 3, 15)  # newly listed: （二十四）
    with transaction(factory) as s:  # an offer made long ago, never confirmed
        matching.run(s, actor=OFFICE, year=2024, now=now - timedelta(days=60))
    with transaction(factory) as s:
        other = s.get(Organisation, ids[4])
        assert other is not None
        other.listed_on = date(2024, 11, 8)
    with transaction(factory) as s:  # lapses the old offer, offers to the newly listed one
        matching.run(s, actor=OFFICE, year=2024, now=now)
    ent1 = Actor("ent1", Role.APPLICANT, org_id=ids[0])
    ent2 = Actor("ent2", Role.APPLICANT, org_id=ids[1])
    with transaction(factory) as s:
        asked = requests.file(s, actor=ent1, kind="request", subject="新厂房用电增容",
                              body="二期厂房投产需增容至2000千伏安，请协调供电公司。")
        requests.route(s, actor=OFFICE, request_id=asked.id, department=ECON.department or "")
        requests.answer(s, actor=ECON, request_id=asked.id,
                        text="已与国网通州供电公司对接，将于两周内完成现场勘查。")
        requests.file(s, actor=ent2, kind="complaint", subject="奖励资金到账时间",
                      body="去年核定的奖励资金尚未到账，请告知办理进度。")
        requests.put_package(s, actor=OFFICE, org_id=ids[0], data=ServicePackageIn(
            contact_name="王敏", contact_phone="010-81234567", department="区经济和信息化局",
            services=["用地保障", "人才公寓", "政策申报辅导"]))
