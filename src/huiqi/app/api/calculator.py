"""The calculator over HTTP (the same JSON contract as ``huiqi calc --json``), measures, parameters."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from huiqi.app import ratelimit
from huiqi.app.api.deps import DB, Current, ReadDB
from huiqi.app.errors import Refused
from huiqi.app.parameters import service as parameters
from huiqi.calculator import InputError, calculate, parse_case
from huiqi.engine.params import ParamError

router = APIRouter(tags=["calculator"])


def throttle(request: Request) -> None:
    """The public calculator's rate limit, per client address (``HUIQI_CALC_RATE``)."""
    ratelimit.hit(request, "calculate", request.app.state.config.calc_rate)


# The answer is plain JSON already (strings, booleans, lists): rendered as it is, without
# FastAPI's generic encoder, which took as long as the calculation itself.
@router.post("/calculate", summary="Every measure for every beneficiary of a case, explained",
             dependencies=[Depends(throttle)], response_model=None,
             responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}})
def calc(request: Request, db: ReadDB,
         case: Annotated[dict[str, Any], Body(description="a case file (see GET /schema)")],
         year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
         measures: Annotated[str | None, Query(description="comma-separated measure ids")] = None,
         ) -> JSONResponse:
    """No login needed: anyone may check what the notice allows them (within a rate limit per
    address, and a limit on beneficiaries per case)."""
    most = request.app.state.config.calc_max_beneficiaries
    beneficiaries = case.get("beneficiaries")
    if isinstance(beneficiaries, list) and len(beneficiaries) > most:
        raise Refused(f"beneficiaries: at most {most} per calculation, got {len(beneficiaries)}; "
                      "split the case")
    pol = parameters.policy_at(db)
    try:
        parsed = parse_case(case)
        ids = [m.strip() for m in measures.split(",")] if measures else None
        unknown = [m for m in ids or [] if m not in pol.measures]
        if unknown:
            raise InputError(f"measures: unknown measure ids {unknown}")
        return JSONResponse(calculate(pol, parsed, year, measures=ids).to_json())
    except (InputError, ParamError) as exc:
        raise Refused(str(exc)) from None


@router.get("/schema", summary="JSON Schema of a case file")
def schema() -> dict[str, Any]:
    from huiqi.facts.case import Case

    return Case.model_json_schema()


@router.get("/measures", summary="The measures of 通政发〔2024〕8号 with their clause text")
def measures() -> list[dict[str, Any]]:
    pol = parameters.policy()
    return [{"id": mid, **t.model_dump(mode="json")} for mid, t in pol.texts.items()]


@router.get("/parameters", summary="Every parameter in force on a date, with its history")
def params(db: DB, on: Annotated[date | None, Query()] = None) -> list[dict[str, Any]]:
    return parameters.listing(db, on or date.today())


class ParameterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: str = Field(min_length=1, max_length=2000, examples=["0.35"])
    effective_from: date
    reference: str = Field(min_length=1, max_length=200, examples=["产促办〔2025〕3号"])
    note: str | None = Field(None, max_length=2000)


@router.put("/parameters/{name}", summary="Set an administrative parameter from a date (office)")
def set_param(name: str, body: ParameterIn, db: DB, actor: Current) -> dict[str, Any]:
    c = parameters.set_value(db, actor=actor, name=name, value=body.value,
                             effective_from=body.effective_from, reference=body.reference,
                             note=body.note)
    return {"version": c.id, "name": c.name, "value": c.value,
            "effective_from": c.effective_from.isoformat(), "reference": c.reference}
