"""The case file: the facts one or several beneficiaries bring for a year.

Money is yuan as a decimal with at most two places; unknown fields are rejected so that a typo
can never silently drop a subsidy. A case may hold several beneficiaries (an introducer and the
enterprises it introduced, a bank and its loans) so that group rules run in one go.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from stdnum.cn import uscc

# validation context: the ids are registered organisations' USCCs, checked when registered
REGISTERED = "registered"
Money = Annotated[Decimal, Field(ge=0, decimal_places=2, max_digits=16)]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Kind(StrEnum):
    ENTERPRISE = "enterprise"
    PARK_OPERATOR = "park_operator"  # 园区运营主体
    BUILDING_OPERATOR = "building_operator"  # 楼宇运营主体
    FUND = "fund"  # 基金 (incl. sub-funds of the guidance fund)
    ATTRACTION_PLATFORM = "attraction_platform"  # 专业招商平台
    BANK = "bank"  # 金融机构
    SERVICE_INSTITUTION = "service_institution"  # 专业服务机构
    FUND_MANAGER = "fund_manager"  # 私募基金管理人
    PERSON = "person"  # 人才



class SizeClass(StrEnum):
    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"


class Size(Strict):
    """Size class as recorded by the office, or the figures to derive it (工信部联企业〔2011〕300号)."""

    size_class: SizeClass | None = Field(None, alias="class")
    industry: Annotated[str, StringConstraints(pattern=r"^\d{2,4}$")] | None = Field(
        None, description="GB/T 4754-2017 code without the section letter, e.g. 3911"
    )
    employees: Annotated[int, Field(ge=0)] | None = None
    revenue: Money | None = Field(None, description="营业收入, yuan")
    assets: Money | None = Field(None, description="资产总额, yuan")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ChainLeader(Strict):
    """产业链头部企业 recognition: ``new`` = 新增 (arrived in the district), ``existing`` = 存量."""

    status: Literal["new", "existing"]
    since: date = Field(description="date of recognition (for new: arrival in the district)")


class IntroducerKind(StrEnum):
    CHAIN_LEADER = "chain_leader"
    BUILDING_OPERATOR = "building_operator"
    PARK_OPERATOR = "park_operator"
    FUND = "fund"
    ATTRACTION_PLATFORM = "attraction_platform"


class IntroducedBy(Strict):
    """Recognised as introduced (引进) by an introducer, which is a beneficiary id."""

    introducer: Id
    kind: IntroducerKind
    recognised_on: date


class TitleKind(StrEnum):
    # （八）
    LIGHTHOUSE_FACTORY = "lighthouse_factory"
    SMART_MANUFACTURING_BENCHMARK = "smart_manufacturing_benchmark"
    SMART_FACTORY = "smart_factory"
    DIGITAL_WORKSHOP = "digital_workshop"
    # （九）
    KEY_LABORATORY = "key_laboratory"
    TECH_INNOVATION_CENTER = "tech_innovation_center"
    ENGINEERING_RESEARCH_CENTER = "engineering_research_center"
    INDUSTRY_INNOVATION_CENTER = "industry_innovation_center"
    ENTERPRISE_TECH_CENTER = "enterprise_tech_center"
    # （十）
    LITTLE_GIANT = "little_giant"
    SINGLE_CHAMPION_ENTERPRISE = "single_champion_enterprise"
    SINGLE_CHAMPION_PRODUCT = "single_champion_product"
    SPECIALISED_SME_BEIJING = "specialised_sme_beijing"


class Level(StrEnum):
    """Who granted a title. A level the text names is a condition (e.g. 国家级「智能制造标杆企业」)."""

    WORLD = "world"  # 国际组织 (e.g. the World Economic Forum's 灯塔工厂)
    NATIONAL = "national"  # 国家级
    MUNICIPAL = "municipal"  # 北京市级
    OTHER = "other"  # another issuer: another province's or city's, a district's, an association's


class Title(Strict):
    """A title, certification or platform recognition, with its date (history included)."""

    kind: TitleKind
    level: Level
    date: date
    relocated: bool = Field(False, description="obtained elsewhere, recognised on moving in (新迁入)")


class ProjectKind(StrEnum):
    INCUBATION_PLATFORM = "incubation_platform"  # （三）
    COMMON_TECH_PLATFORM = "common_tech_platform"  # （四）
    CONSORTIUM = "consortium"  # （七）
    GREEN_FACTORY = "green_factory"  # （十一）
    GREEN_SUPPLY_CHAIN = "green_supply_chain"
    GREEN_RETROFIT = "green_retrofit"
    DISTRIBUTED_PV = "distributed_pv"
    CARBON_NEUTRAL = "carbon_neutral"
    CO2_REDUCTION = "co2_reduction"
    SCENARIO = "scenario"  # （十四）
    RENOVATION = "renovation"  # （十七）


Description = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class RenovationMode(StrEnum):
    """（十七）「鼓励通过自主、联营、租赁等方式」: encouraged ways, not a condition; a list followed by 等
    is open: a known way, or 'other' with mode_description (kept for the reviewer)."""

    SELF = "self"  # 自主
    JOINT = "joint"  # 联营
    LEASED = "leased"  # 租赁
    OTHER = "other"  # another way (等), described in mode_description for the reviewer


class Project(Strict):
    """A project or platform: the date is its recognition (认定) or completion."""

    id: Id
    kind: ProjectKind
    date: date
    investment: Money | None = Field(None, description="fixed-asset investment, yuan (（十七）)")
    mode: RenovationMode | None = Field(
        None, description="（十七） how the renovation is done: an open list, not a condition"
    )
    mode_description: Description | None = Field(
        None, description="what the mode is when it is 'other' (kept for the reviewer)"
    )
    results_recognised: bool = Field(False, description="consortium: 成果产出绩效 recognised")

    @model_validator(mode="after")
    def _described(self) -> Project:
        if self.mode is RenovationMode.OTHER and self.mode_description is None:
            raise ValueError("mode_description: say what the mode is when mode is 'other'")
        return self


class Loan(Strict):
    """A loan with what happened to it in the year: interest, fees, losses."""

    id: Id
    borrower: Id
    lender: Id
    borrower_size_class: SizeClass | None = Field(
        None, description="when the borrower is not a beneficiary of this case"
    )
    principal: Money
    drawn_on: date
    repaid_on: date | None = None
    first_loan: bool = Field(False, description="首次贷款: the borrower's first loan")
    guaranteed: bool = False
    credit: bool = Field(False, description="信用贷款: unsecured")
    green: bool = Field(False, description="绿色信贷")
    interest_paid: Money | None = Field(None, description="interest paid in the year")
    guarantee_fee_paid: Money | None = Field(None, description="guarantee fee paid in the year")
    principal_loss: Money | None = Field(None, description="principal lost")
    loss_on: date | None = Field(None, description="date the loss was recognised")

    @model_validator(mode="after")
    def _dates(self) -> Loan:
        if self.repaid_on is not None and self.repaid_on < self.drawn_on:
            raise ValueError("repaid_on is before drawn_on")
        return self


class Award(Strict):
    """An earlier award under a measure (history for 首次, 一次性, 连续三年, once per title).

    For a measure held per title or platform (m08, m09, m10) the award may be stated as the text
    states it — the title's kind and level — instead of the item; the once-per-item rules read
    either."""

    measure: Id
    year: Annotated[int, Field(ge=2000, le=2100)]
    item: Id | None = Field(None, description="title kind, project id or loan id")
    amount: Money | None = Field(None, description="the amount awarded, yuan")
    kind: TitleKind | None = Field(None, description="the title or platform supported (m08–m10)")
    level: Level | None = Field(None, description="its level (national, municipal, …)")


class ServiceField(StrEnum):
    """（十三）「法律服务、会计审计、人力资源服务、科技服务等」: a list followed by 等 is open: a known
    field, or 'other' with field_description (kept for the reviewer); the field is no condition."""

    LEGAL = "legal"  # 法律服务
    ACCOUNTING = "accounting"  # 会计审计
    HUMAN_RESOURCES = "human_resources"  # 人力资源服务
    TECHNOLOGY = "technology"  # 科技服务
    INTELLECTUAL_PROPERTY = "intellectual_property"  # 知识产权服务
    INSPECTION_TESTING = "inspection_testing"  # 检验检测
    CONSULTING = "consulting"  # 咨询
    OTHER = "other"  # another professional service (等), described in field_description


class Institution(Strict):
    """（十三） professional service institution: what it does is kept, not a condition."""

    field: ServiceField
    field_description: Description | None = Field(
        None, description="what the service is when field is 'other' (kept for the reviewer)"
    )
    renowned: bool
    settled_on: date

    @model_validator(mode="after")
    def _described(self) -> Institution:
        if self.field is ServiceField.OTHER and self.field_description is None:
            raise ValueError("field_description: say what the service is when field is 'other'")
        return self


class SubFund(Strict):
    """（二十三） a sub-fund of the guidance fund, figures of the year."""

    district_contribution: Money = Field(description="区级财政出资")
    district_investment: Money | None = Field(None, description="返投: invested in the district")
    excess_return: Money | None = Field(None, description="超额收益 on the district's share")


class FundManager(Strict):
    """（二十五） private-fund manager figures."""

    investment_scale: Money | None = Field(None, description="实际投资规模 in the year")
    exit_return_prev_year: Money | None = Field(None, description="上一年度项目退出投资收益")


class Talent(Strict):
    """（二十一） 运河英才 selection and home purchase."""

    selected_on: date | None = None
    tier: Annotated[str, StringConstraints(max_length=16)] | None = None
    home_purchased_on: date | None = Field(None, description="home bought in the sub-centre")


class Beneficiary(Strict):
    """One applicant: an organisation (by 统一社会信用代码) or a person (internal id)."""

    id: Id
    kind: Kind
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    one_matter: bool = Field(False, description="enjoys a 一事一议 arrangement")
    size: Size | None = None
    regional_contribution: dict[Annotated[int, Field(ge=2000, le=2100)], Money] = Field(
        default_factory=dict, description="区域贡献 by year, yuan"
    )
    chain_leader: ChainLeader | None = None
    introduced_by: IntroducedBy | None = None
    rd_investment: dict[Annotated[int, Field(ge=2000, le=2100)], Money] = Field(
        default_factory=dict, description="研发投入 by year, yuan"
    )
    listed_on: date | None = None
    key_enterprise: bool = False
    fits_industry_positioning: bool = False
    attraction_platform_signed: bool = False
    titles: list[Title] = Field(default_factory=list)
    projects: list[Project] = Field(default_factory=list)
    institution: Institution | None = None
    subfund: SubFund | None = None
    fund_manager: FundManager | None = None
    talent: Talent | None = None
    history: list[Award] = Field(default_factory=list)

    @model_validator(mode="after")
    def _identity(self, info: ValidationInfo) -> Beneficiary:
        # ids read from the registry were checked when registered (the check is the costliest
        # part of validating a registry of a million: ``calculator.parse_case(registered=True)``)
        registered = bool(info.context and info.context.get(REGISTERED))
        if self.kind is not Kind.PERSON and not registered and not uscc.is_valid(self.id):
            raise ValueError(
                f"id {self.id!r} is not a valid 统一社会信用代码 (18 characters with a correct "
                "check character); persons use kind: person"
            )
        if self.kind is Kind.PERSON and self.talent is None:
            raise ValueError("a person needs a talent section")
        return self


class Case(Strict):
    """A case file: the year asked about, the beneficiaries and the loans between them.

    Where the text lists examples followed by 等 (renovation modes, professional-service fields)
    the list is open: a known value, or 'other' with a description. A level the text names
    (国家级, 北京市) is a condition: a title at another level does not qualify."""

    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    beneficiaries: list[Beneficiary] = Field(min_length=1)
    loans: list[Loan] = Field(default_factory=list)

    @field_validator("beneficiaries")
    @classmethod
    def _unique_ids(cls, value: list[Beneficiary]) -> list[Beneficiary]:
        seen: set[str] = set()
        for b in value:
            if b.id in seen:
                raise ValueError(f"beneficiary id {b.id!r} appears twice")
            seen.add(b.id)
        return value

    @model_validator(mode="after")
    def _unique_items(self) -> Case:
        loan_ids = [loan.id for loan in self.loans]
        if len(loan_ids) != len(set(loan_ids)):
            raise ValueError("loan ids must be unique")
        project_ids = [p.id for b in self.beneficiaries for p in b.projects]
        if len(project_ids) != len(set(project_ids)):
            raise ValueError("project ids must be unique")
        return self
