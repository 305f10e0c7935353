"""Applications and offers, parallel reviews, decisions and appeals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from huiqi.app.api.deps import DB, Current, Yuan, fen, yuan
from huiqi.app.applications import service as apps
from huiqi.app.applications.lifecycle import actions_from
from huiqi.app.applications.models import Application, Decision, Review, Step
from huiqi.app.db import utcnow
from huiqi.app.settings import service as settings

router = APIRouter(tags=["applications"])


def application_json(a: Application, *, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id, "org_id": a.org_id, "person_id": a.person_id, "measure": a.measure,
        "year": a.year, "item": a.item, "origin": a.origin, "state": a.state,
        "next": actions_from(a.state), "ceiling": yuan(a.ceiling_fen), "award": yuan(a.award_fen),
        "param_version": a.param_version, "round": a.round, "appealed": a.appealed,
        "offer_deadline": a.offer_deadline.isoformat() if a.offer_deadline else None,
        "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
        "version": a.version,
    }
    if full:
        out |= {"facts": a.facts, "sources": a.sources or {}, "claims": a.claims or [],
                "commitment": a.commitment, "result": a.result, "parameters": a.params}
    return out


def _review(r: Review) -> dict[str, Any]:
    return {"id": r.id, "round": r.round, "department": r.department, "state": r.state,
            "reason": r.reason, "reviewer": r.reviewer, "started_at": r.started_at.isoformat(),
            "due_on": r.due_on.isoformat(),
            "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            "elapsed_working_days": r.elapsed_days}


def _decision(d: Decision) -> dict[str, Any]:
    return {"id": d.id, "outcome": d.outcome, "amount": yuan(d.amount_fen), "reasons": d.reasons,
            "on_appeal": d.on_appeal, "decided_by": d.decided_by, "decided_at": d.decided_at.isoformat()}


def _step(s: Step) -> dict[str, Any]:
    return {"action": s.action, "from": s.from_state, "to": s.to_state, "actor": s.actor,
            "on_behalf_of": s.on_behalf_of, "at": s.at.isoformat(),
            "elapsed_working_days": s.elapsed_days, "note": s.note}


class Start(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure: str = Field(min_length=1, max_length=30, examples=["m01.new"])
    year: int = Field(ge=2024, le=2100)
    item: str | None = Field(None, max_length=64, description="title kind, project id or loan id")
    org_id: int | None = Field(None, description="the organisation a service-centre officer acts "
                               "for, with its consent (帮办); applicants leave it out")


class Submit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accept_commitment: bool = Field(description="告知承诺: the facts are true, complete, accurate")
    signatory: str = Field(min_length=1, max_length=60)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    approve: bool
    reason: str | None = Field(None, max_length=2000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    award: bool = Field(description="true: award `amount`; false: reject with `reasons`")
    amount: Yuan | None = None
    reasons: str | None = Field(None, max_length=4000)
    version: int | None = Field(None, description="the application's version you decided on")


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reasons: str = Field(min_length=1, max_length=4000)


@router.get("/applications", summary="Applications I may see")
def listing(db: DB, actor: Current, state: str | None = None, measure: str | None = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100,
            offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    return [application_json(a) for a in apps.listing(db, actor=actor, state=state, measure=measure,
                                                      limit=limit, offset=offset)]


@router.post("/applications", status_code=201,
             summary="Start an application, pre-filled (applicant; service-centre officer with consent)")
def start(body: Start, db: DB, actor: Current) -> dict[str, Any]:
    a = apps.start(db, actor=actor, measure=body.measure, year=body.year, item=body.item,
                   org_id=body.org_id)
    return application_json(a, full=True)


@router.get("/reviews/overdue", summary="Reviews past their time limit (office, auditor)")
def overdue(db: DB, actor: Current) -> list[dict[str, Any]]:
    today = utcnow().date()
    return [{**_review(r), "application": r.application_id,
             "overdue_working_days": settings.calendar(db).between(r.due_on, today)}
            for r in apps.overdue(db, actor=actor, on=today)]


@router.get("/applications/{application_id}", summary="One application with its snapshot")
def one(application_id: int, db: DB, actor: Current) -> dict[str, Any]:
    a = apps.get(db, actor=actor, application_id=application_id)
    return {**application_json(a, full=True),
            "reviews": [_review(r) for r in apps.reviews(db, actor=actor, application_id=a.id)],
            "decisions": [_decision(d) for d in apps.decisions(db, actor=actor, application_id=a.id)],
            "steps": [_step(s) for s in apps.steps(db, actor=actor, application_id=a.id)]}


@router.put("/applications/{application_id}/facts", summary="Complete or correct the facts (applicant)")
def facts(application_id: int, db: DB, actor: Current,
          body: Annotated[dict[str, Any], Body(description="a case file (GET /schema)")]
          ) -> dict[str, Any]:
    return application_json(apps.update_facts(db, actor=actor, application_id=application_id,
                                              facts=body), full=True)


@router.post("/applications/{application_id}/submit", summary="Sign the commitment and submit")
def submit(application_id: int, body: Submit, db: DB, actor: Current) -> dict[str, Any]:
    return application_json(apps.submit(db, actor=actor, application_id=application_id,
                                        accept_commitment=body.accept_commitment,
                                        signatory=body.signatory), full=True)


@router.post("/applications/{application_id}/prepare",
             summary="Mark ready for the enterprise's confirmation (service-centre officer, 帮办)")
def prepare(application_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return application_json(apps.prepare(db, actor=actor, application_id=application_id), full=True)


@router.post("/applications/{application_id}/review", summary="My department approves or returns")
def review(application_id: int, body: ReviewIn, db: DB, actor: Current) -> dict[str, Any]:
    return _review(apps.review(db, actor=actor, application_id=application_id, approve=body.approve,
                               reason=body.reason))


@router.post("/applications/{application_id}/decision", summary="Award ≤ ceiling, or reject (office)")
def decide(application_id: int, body: DecisionIn, db: DB, actor: Current) -> dict[str, Any]:
    d = apps.decide(db, actor=actor, application_id=application_id, award=body.award,
                    amount_fen=fen(body.amount) if body.amount is not None else None,
                    reasons=body.reasons, version=body.version)
    return _decision(d)


@router.post("/applications/{application_id}/appeal", summary="Ask once for a review of the decision")
def appeal(application_id: int, body: AppealIn, db: DB, actor: Current) -> dict[str, Any]:
    return application_json(apps.appeal(db, actor=actor, application_id=application_id,
                                        reasons=body.reasons))


@router.post("/applications/{application_id}/withdraw", summary="Withdraw (applicant)")
def withdraw(application_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return application_json(apps.withdraw(db, actor=actor, application_id=application_id))
