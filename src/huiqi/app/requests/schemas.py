"""What the requests domain accepts: unknown fields are refused, text is trimmed and bounded.

A request (诉求) asks the district for something; a complaint (投诉) reports a grievance. Both
follow the same path (诉求直通, （十二）). A service package (服务包) names a key enterprise's
district contact and the services it is offered.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

KINDS = ("request", "complaint")
Kind = Literal["request", "complaint"]
RATINGS = range(1, 6)  # 满意度: 1 very dissatisfied … 5 very satisfied

Department = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text4000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?\d[\d -]{4,28}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RequestIn(Strict):
    kind: Kind = Field(description="request (诉求) or complaint (投诉)")
    subject: Text200 = Field(examples=["厂房消防验收进度咨询"])
    body: Text4000


class RouteIn(Strict):
    department: Department = Field(description="the department that must answer (承办部门)",
                                   examples=["经济和信息化局"])


class AnswerIn(Strict):
    answer: Text4000 = Field(description="the department's reply (答复)")


class ReopenIn(Strict):
    reason: Text4000 = Field(description="why the answer does not settle the request")


class RateIn(Strict):
    rating: int = Field(ge=1, le=5, description="满意度 1 (very dissatisfied) … 5 (very satisfied)")
    comment: Text4000 | None = None


class ServicePackageIn(Strict):
    contact_name: Annotated[str, StringConstraints(min_length=1, max_length=60)] = Field(
        description="the district's named contact for the enterprise (服务管家)")
    contact_phone: Phone = Field(examples=["010-81234567"])
    department: Department
    services: list[Text200] = Field(min_length=1, max_length=50,
                                    examples=[["用地保障", "人才公寓", "政策申报辅导"]])

    @field_validator("services")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        repeated = sorted({s for s in value if value.count(s) > 1})
        if repeated:
            raise ValueError(f"each service once; repeated: {repeated}")
        return value
