"""What the registry accepts: unknown fields are refused, identifiers checked by national standards."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from stdnum.cn import ric, uscc

from huiqi.facts.case import IntroducerKind, Kind, Level, TitleKind

ORG_KINDS = tuple(k.value for k in Kind if k is not Kind.PERSON)
OrgKind = Literal[
    "enterprise", "park_operator", "building_operator", "fund", "attraction_platform", "bank",
    "service_institution", "fund_manager",
]
# annual figures: money in yuan (kept in fen), counts as whole numbers
MONEY_FACTS = ("regional_contribution", "rd_investment", "revenue", "assets")
COUNT_FACTS = ("employees",)
FACT_NAMES = MONEY_FACTS + COUNT_FACTS
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class BankAccount(Strict):
    bank_name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    account_no: str = Field(description="ASCII digits 0-9 only, 8 to 32 of them; masked in answers")
    account_name: Text200

    @field_validator("account_no")
    @classmethod
    def _digits(cls, value: str) -> str:
        # not \d: it also accepts full-width (０-９) and Arabic-Indic (٠-٩) digits
        if not (8 <= len(value) <= 32 and value.isascii() and value.isdigit()):
            raise ValueError("an account number is 8 to 32 ASCII digits 0-9 "
                             "(银行账号应为8至32位半角数字)")
        return value


def same_name(account: BankAccount | None, info: ValidationInfo) -> BankAccount | None:
    """The account must be in the holder's registered name: awards are paid only to the holder."""
    name = info.data.get("name")
    if account is not None and name is not None and account.account_name != name:
        raise ValueError(f"bank_account.account_name: {account.account_name!r} is not the registered "
                         f"name {name!r} (账户名称须与登记名称一致)")
    return account


class OrganisationIn(Strict):
    uscc: str = Field(description="统一社会信用代码 (GB 32100-2015, check character verified)")
    name: Text200
    kind: OrgKind
    industry: Annotated[str, StringConstraints(pattern=r"^\d{2,4}$")] | None = None
    one_matter: bool = False
    key_enterprise: bool = False
    fits_industry_positioning: bool = False
    listed_on: date | None = None
    bank_account: BankAccount | None = None

    _account_name = field_validator("bank_account")(same_name)

    @field_validator("uscc")
    @classmethod
    def _uscc(cls, value: str) -> str:
        value = value.strip().upper()
        if not uscc.is_valid(value):
            raise ValueError(f"{value!r} is not a valid 统一社会信用代码 (18 characters, check character)")
        return value


class PersonIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    id_number: str = Field(description="居民身份证号码 (GB 11643-1999); masked in every response")
    employer_id: int | None = None
    bank_account: BankAccount | None = None

    _account_name = field_validator("bank_account")(same_name)

    @field_validator("id_number")
    @classmethod
    def _ric(cls, value: str) -> str:
        value = value.strip().upper()
        if not ric.is_valid(value):
            raise ValueError("not a valid 居民身份证号码 (18 characters, check character)")
        return value


class RecognitionIn(Strict):
    """chain_leader (subtype new|existing), introduced_by (subtype = introducer kind, introducer_id),
    title (subtype = title kind, level), talent (person, subtype = tier), certification."""

    kind: Literal["chain_leader", "introduced_by", "title", "talent", "certification"]
    subtype: Annotated[str, StringConstraints(min_length=1, max_length=40)] | None = None
    level: Level | None = None
    recognised_on: date
    introducer_id: int | None = None
    relocated: bool = False
    reference: Annotated[str, StringConstraints(max_length=200)] | None = None

    def problems(self) -> list[str]:
        """What is inconsistent for this kind of recognition, field by field."""
        out = []
        if self.kind == "chain_leader" and self.subtype not in ("new", "existing"):
            out.append("subtype: a chain-leader recognition is 'new' or 'existing'")
        if self.kind == "introduced_by":
            if self.subtype not in {k.value for k in IntroducerKind}:
                out.append(f"subtype: introducer kind, one of {[k.value for k in IntroducerKind]}")
            if self.introducer_id is None:
                out.append("introducer_id: required for introduced_by")
        if self.kind == "title":
            if self.subtype not in {k.value for k in TitleKind}:
                out.append(f"subtype: title kind, one of {[k.value for k in TitleKind]}")
            if self.level is None:
                out.append("level: required for a title")
        return out


class FactIn(Strict):
    year: Annotated[int, Field(ge=2000, le=2100)]
    name: Literal["regional_contribution", "rd_investment", "revenue", "assets", "employees"]
    value: Annotated[Decimal, Field(ge=0, decimal_places=2, max_digits=16)]
    source: Text200


class CreditEntryIn(Strict):
    list: Literal["dishonest_debtor", "abnormal_operation"]
    listed_on: date
    removed_on: date | None = None
    source: Text200
