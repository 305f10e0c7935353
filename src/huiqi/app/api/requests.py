"""Requests and complaints (诉求直通), routed to a department and answered within a time limit;
key enterprises' service packages (服务包)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from huiqi.app.api.deps import DB, Current
from huiqi.app.audit.models import AuditEntry
from huiqi.app.db import utcnow
from huiqi.app.requests import service as requests
from huiqi.app.requests.models import ServiceRequest
from huiqi.app.requests.schemas import (
    AnswerIn,
    RateIn,
    ReopenIn,
    RequestIn,
    RouteIn,
    ServicePackageIn,
)

router = APIRouter(tags=["requests"])


def request_json(r: ServiceRequest, *, on: date | None = None) -> dict[str, Any]:
    """The request as the API shows it; ``overdue`` as of ``on`` (today by default)."""
    return {
        "id": r.id, "org_id": r.org_id, "kind": r.kind, "subject": r.subject, "body": r.body,
        "state": r.state, "next": requests.actions_from(r.state), "department": r.department,
        "filed_by": r.filed_by, "filed_at": r.filed_at.isoformat(),
        "routed_on": r.routed_on.isoformat() if r.routed_on else None,
        "due_on": r.due_on.isoformat() if r.due_on else None,
        "overdue": requests.is_overdue(r, on=on or utcnow().date()),
        "answer": r.answer, "answered_by": r.answered_by,
        "answered_at": r.answered_at.isoformat() if r.answered_at else None,
        "elapsed_working_days": r.elapsed_days, "reopened": r.reopened,
        "rating": r.rating, "rating_comment": r.rating_comment,
    }


def _entry(e: AuditEntry) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "before": e.before,
            "after": e.after}


@router.get("/requests", summary="Requests I may see")
def listing(db: DB, actor: Current, state: str | None = None, kind: str | None = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 100,
            offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    return [request_json(r) for r in requests.listing(db, actor=actor, state=state, kind=kind,
                                                      limit=limit, offset=offset)]


@router.post("/requests", status_code=201, summary="File a request or complaint (applicant)")
def file(body: RequestIn, db: DB, actor: Current) -> dict[str, Any]:
    return request_json(requests.file(db, actor=actor, kind=body.kind, subject=body.subject,
                                      body=body.body))


@router.get("/requests/overdue", summary="Routed requests past their due date (office, auditor)")
def overdue(db: DB, actor: Current, on: date | None = None) -> list[dict[str, Any]]:
    return [{**request_json(late.request, on=on), "working_days_late": late.working_days_late}
            for late in requests.overdue(db, actor=actor, on=on)]


@router.get("/requests/{request_id}", summary="One request")
def one(request_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return request_json(requests.get(db, actor=actor, request_id=request_id))


@router.get("/requests/{request_id}/history", summary="The request's trail, reopening reasons included")
def history(request_id: int, db: DB, actor: Current) -> list[dict[str, Any]]:
    return [_entry(e) for e in requests.history(db, actor=actor, request_id=request_id)]


@router.post("/requests/{request_id}/route", summary="Route or re-route to a department (office)")
def route(request_id: int, body: RouteIn, db: DB, actor: Current) -> dict[str, Any]:
    return request_json(requests.route(db, actor=actor, request_id=request_id,
                                       department=body.department))


@router.post("/requests/{request_id}/answer", summary="Answer (reviewer of the routed department)")
def answer(request_id: int, body: AnswerIn, db: DB, actor: Current) -> dict[str, Any]:
    return request_json(requests.answer(db, actor=actor, request_id=request_id, text=body.answer))


@router.post("/requests/{request_id}/reopen", summary="Reopen an answer that does not settle it")
def reopen(request_id: int, body: ReopenIn, db: DB, actor: Current) -> dict[str, Any]:
    return request_json(requests.reopen(db, actor=actor, request_id=request_id, reason=body.reason))


@router.post("/requests/{request_id}/rate", summary="Rate the answer 1–5, closing the request")
def rate(request_id: int, body: RateIn, db: DB, actor: Current) -> dict[str, Any]:
    return request_json(requests.rate(db, actor=actor, request_id=request_id, rating=body.rating,
                                      comment=body.comment))


@router.post("/requests/{request_id}/withdraw", summary="Withdraw an unanswered request (applicant)")
def withdraw(request_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return request_json(requests.withdraw(db, actor=actor, request_id=request_id))


@router.get("/service-packages", summary="Service packages (staff; an applicant sees its own)")
def packages(db: DB, actor: Current) -> list[dict[str, Any]]:
    return [requests.package_json(p) for p in requests.packages(db, actor=actor)]


@router.get("/organisations/{org_id}/service-package", summary="An organisation's service package")
def package(org_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return requests.package_json(requests.package(db, actor=actor, org_id=org_id))


@router.put("/organisations/{org_id}/service-package",
            summary="Set up or replace a key enterprise's service package (office)")
def put_package(org_id: int, body: ServicePackageIn, db: DB, actor: Current) -> dict[str, Any]:
    return requests.package_json(requests.put_package(db, actor=actor, org_id=org_id, data=body))
