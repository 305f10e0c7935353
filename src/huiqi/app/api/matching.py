"""Matching (政策直享) and offers (免申即享): the latest run's matches, runs, confirming an offer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from huiqi.app.api.applications import application_json
from huiqi.app.api.deps import DB, Current, yuan
from huiqi.app.api.problems import problem
from huiqi.app.matching import service as matching
from huiqi.app.matching.models import Match, MatchRun
from huiqi.app.parameters.service import policy
from huiqi.app.registry.schemas import BankAccount

router = APIRouter(tags=["matching"])


def match_json(m: Match, *, explanation: dict[str, Any] | None = None) -> dict[str, Any]:
    """A match; with its full ``explanation`` (``matching.explanation``) when asked for."""
    text = policy().texts[m.measure]
    out: dict[str, Any] = {
        "id": m.id, "run": m.run_id, "org_id": m.org_id, "measure": m.measure, "item": m.item,
        "year": m.year, "clause": text.clause, "title_zh": text.title_zh,
        "title_en": text.title_en, "status": m.status, "ceiling": yuan(m.ceiling_fen),
        "missing": m.missing, "reason_zh": m.reason_zh, "reason_en": m.reason_en,
        "offer_id": m.offer_id,
    }
    if explanation is not None:
        out["explanation"] = explanation
    return out


def run_json(r: MatchRun, lines: list[matching.MeasureLine]) -> dict[str, Any]:
    return {"id": r.id, "year": r.year, "param_version": r.param_version,
            "organisations": r.organisations, "matches": r.matches, "offers": r.offers,
            "started_by": r.started_by, "started_at": r.started_at.isoformat(),
            "measures": [{"measure": x.measure, "matches": x.matches, "eligible": x.eligible,
                          "incomplete": x.incomplete, "ceiling": yuan(x.ceiling_fen),
                          "offers": x.offers} for x in lines]}


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2024, le=2100, description="the year whose facts are matched")


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    willing: bool = Field(description="true: accept the offer; false: decline it")
    bank_account: BankAccount | None = Field(
        None, description="another account to pay into, in the organisation's registered name; "
        "omitted: the registered account")
    signatory: str = Field(min_length=1, max_length=60, description="who signs the commitment")
    reason: str | None = Field(None, max_length=500, description="why the offer is declined (optional; "
                               "only with willing false)")


@router.get("/matches", summary="What the latest run found (applicant: its own organisation)")
def matches(db: DB, actor: Current, year: int | None = None, measure: str | None = None,
            status: Literal["eligible", "incomplete"] | None = None, org_id: int | None = None,
            explain: bool = False, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
            offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    found = matching.matches(db, actor=actor, year=year, measure=measure, status=status,
                             org_id=org_id, limit=limit, offset=offset)
    return [match_json(m, explanation=matching.explanation(db, m) if explain else None)
            for m in found]


@router.get("/matches/runs", summary="Matching runs, newest first (office, auditor)")
def runs(db: DB, actor: Current,
         limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[dict[str, Any]]:
    return [run_json(r, matching.summary(db, run_id=r.id))
            for r in matching.runs(db, actor=actor, limit=limit)]


@router.post("/matches/run", status_code=201, summary="Match every organisation now (office)")
def run(body: RunIn, db: DB, actor: Current) -> dict[str, Any]:
    r = matching.run(db, actor=actor, year=body.year)
    return run_json(r, matching.summary(db, run_id=r.id))


@router.get("/offers", summary="Offers to confirm (免申即享; applicant: its own)")
def offers(db: DB, actor: Current, state: str | None = None, measure: str | None = None,
           limit: Annotated[int, Query(ge=1, le=1000)] = 100,
           offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    return [application_json(a) for a in matching.offers(db, actor=actor, state=state, measure=measure,
                                                         limit=limit, offset=offset)]


@router.post("/offers/{application_id}/confirm", response_model=None,
             summary="Accept (account, commitment) or decline an offer (applicant)")
def confirm(request: Request, application_id: int, body: ConfirmIn, db: DB,
            actor: Current) -> dict[str, Any] | JSONResponse:
    try:
        a = matching.confirm(db, actor=actor, application_id=application_id, willing=body.willing,
                             bank_account=body.bank_account, signatory=body.signatory,
                             reason=body.reason)
    except matching.OfferLapsed as exc:
        # answered, not raised: the request's transaction commits and the offer stays lapsed
        return problem(request, exc.status, code=exc.code, message=exc.message)
    return application_json(a, full=True)
