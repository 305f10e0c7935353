"""Requests and complaints (诉求直通, （十二）) and key enterprises' service packages (服务包).

An enterprise files a request; the office routes it to a department, which answers within
``request_days`` working days (a setting, 5 by default). The requester reopens an answer that does
not settle the matter, or rates it 1–5, which closes the request::

    open ──route──► routed ──answer──► answered ──rate──► closed
                    ▲  ↺ route (re-route)  │
                    └───────reopen─────────┘
    open / routed ──withdraw──► withdrawn

Every routing (route, re-route, reopen) starts a new time limit counted from that day
(``routed_on``), against which the answer's working days are counted.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.audit.models import AuditEntry
from huiqi.app.audit.service import record
from huiqi.app.auth.roles import BUSINESS, Actor, Role
from huiqi.app.db import utcnow
from huiqi.app.errors import Conflict, Forbidden, NotFound, Refused
from huiqi.app.notices import service as notices
from huiqi.app.registry.models import Organisation
from huiqi.app.requests.models import ServicePackage, ServiceRequest
from huiqi.app.requests.schemas import KINDS, RATINGS, ServicePackageIn
from huiqi.app.settings import service as settings
from huiqi.app.statemachine import StateMachine


class State(StrEnum):
    OPEN = "open"
    ROUTED = "routed"
    ANSWERED = "answered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    ROUTE = "route"
    ANSWER = "answer"
    REOPEN = "reopen"
    RATE = "rate"
    WITHDRAW = "withdraw"


S, A = State, Action
TRANSITIONS: dict[Action, tuple[frozenset[State], State]] = {
    A.ROUTE: (frozenset({S.OPEN, S.ROUTED}), S.ROUTED),
    A.ANSWER: (frozenset({S.ROUTED}), S.ANSWERED),
    A.REOPEN: (frozenset({S.ANSWERED}), S.ROUTED),
    A.RATE: (frozenset({S.ANSWERED}), S.CLOSED),
    A.WITHDRAW: (frozenset({S.OPEN, S.ROUTED}), S.WITHDRAWN),
}
ENTITY = "service_request"
# the administrator keeps users and settings and reads no request (role separation)
READERS = (Role.APPLICANT, Role.REVIEWER, Role.OFFICE, Role.AUDITOR)


MACHINE = StateMachine("a request", State, TRANSITIONS)
target, actions_from = MACHINE.target, MACHINE.actions_from


def _move(session: Session, *, actor: Actor, req: ServiceRequest, action: Action, now: datetime,
          changes: dict[str, Any], note: dict[str, Any] | None = None) -> None:
    """Apply one transition of the table: set the fields, audit their values before and after."""
    to = target(req.state, action)
    changes = {"state": to.value, **changes}
    before = {name: getattr(req, name) for name in changes}
    for name, value in changes.items():
        setattr(req, name, value)
    session.flush()
    record(session, actor=actor, action=f"request.{action.value}", entity=ENTITY, entity_id=req.id,
           before=before, after={**changes, **(note or {})}, at=now)


def _text(field: str, value: str | None, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise Refused(f"{field}: must not be empty")
    if len(text) > limit:
        raise Refused(f"{field}: at most {limit} characters, got {len(text)}")
    return text


def get(session: Session, *, actor: Actor, request_id: int, for_change: bool = False) -> ServiceRequest:
    """One request, if the actor may see it; ``for_change`` locks its row and reads it afresh, so
    two people acting at once take turns and the second sees the first's change."""
    actor.require(*READERS)
    req = session.get(ServiceRequest, request_id, with_for_update=True if for_change else None,
                      populate_existing=for_change)
    if req is None:
        raise NotFound(f"request {request_id} not found")
    actor.check_can_see(org_id=req.org_id)
    if actor.role is Role.REVIEWER and (actor.department is None or req.department != actor.department):
        raise Forbidden(f"department: request {req.id} is not routed to {actor.department}")
    return req


def listing(session: Session, *, actor: Actor, state: str | None = None, kind: str | None = None,
            limit: int = 100, offset: int = 0) -> list[ServiceRequest]:
    """Applicants see their organisation's; reviewers those routed to their department; others all."""
    actor.require(*READERS)
    stmt = select(ServiceRequest).order_by(ServiceRequest.id)
    if actor.role is Role.APPLICANT:
        if actor.org_id is None:
            return []
        stmt = stmt.where(ServiceRequest.org_id == actor.org_id)
    elif actor.role is Role.REVIEWER:
        if actor.department is None:
            return []
        stmt = stmt.where(ServiceRequest.department == actor.department)
    if state:
        stmt = stmt.where(ServiceRequest.state == state)
    if kind:
        stmt = stmt.where(ServiceRequest.kind == kind)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def file(session: Session, *, actor: Actor, kind: str, subject: str, body: str,
         now: datetime | None = None) -> ServiceRequest:
    """File a request or complaint for the actor's own organisation (applicant)."""
    now = now or utcnow()
    actor.require(Role.APPLICANT)
    if actor.org_id is None:
        raise Forbidden("org_id: requests are filed for an organisation and this account has none")
    if kind not in KINDS:
        raise Refused(f"kind: expected one of {list(KINDS)} (诉求, 投诉), got {kind!r}")
    req = ServiceRequest(org_id=actor.org_id, kind=kind, subject=_text("subject", subject, 200),
                         body=_text("body", body, 4000), state=State.OPEN.value,
                         filed_by=actor.username, filed_at=now, reopened=0)
    session.add(req)
    session.flush()
    record(session, actor=actor, action="request.file", entity=ENTITY, entity_id=req.id,
           after={"org_id": req.org_id, "kind": kind, "subject": req.subject, "body": req.body,
                  "state": req.state}, at=now)
    return req


def _due(session: Session, on: date) -> date:
    return settings.calendar(session).add(on, int(settings.get(session, "request_days")))


def route(session: Session, *, actor: Actor, request_id: int, department: str,
          now: datetime | None = None) -> ServiceRequest:
    """Send an open request to the department that must answer, or re-route it (office)."""
    now = now or utcnow()
    actor.require(Role.OFFICE)
    req = get(session, actor=actor, request_id=request_id, for_change=True)
    department = _text("department", department, 60)
    if req.state == State.ROUTED and req.department == department:
        raise Refused(f"department: request {req.id} is already routed to {department}")
    _move(session, actor=actor, req=req, action=Action.ROUTE, now=now,
          changes={"department": department, "routed_on": now.date(),
                   "due_on": _due(session, now.date())})
    return req


def answer(session: Session, *, actor: Actor, request_id: int, text: str,
           now: datetime | None = None) -> ServiceRequest:
    """The routed department answers (reviewer); working days taken are kept with the answer."""
    now = now or utcnow()
    actor.require(Role.REVIEWER)
    req = get(session, actor=actor, request_id=request_id, for_change=True)
    elapsed = settings.calendar(session).between(req.routed_on or req.filed_at.date(), now.date())
    _move(session, actor=actor, req=req, action=Action.ANSWER, now=now,
          changes={"answer": _text("answer", text, 4000), "answered_by": actor.username,
                   "answered_at": now, "elapsed_days": elapsed},
          note={"overdue": req.due_on is not None and now.date() > req.due_on})
    notices.request_answered(session, req=req, now=now)
    return req


def reopen(session: Session, *, actor: Actor, request_id: int, reason: str,
           now: datetime | None = None) -> ServiceRequest:
    """The requester finds the answer wanting: back to the same department, with a new due date."""
    now = now or utcnow()
    actor.require(Role.APPLICANT)
    req = get(session, actor=actor, request_id=request_id, for_change=True)
    reason = _text("reason", reason, 4000)
    _move(session, actor=actor, req=req, action=Action.REOPEN, now=now,
          changes={"reopened": req.reopened + 1, "routed_on": now.date(),
                   "due_on": _due(session, now.date()), "answer": None,
                   "answered_by": None, "answered_at": None, "elapsed_days": None},
          note={"reason": reason})
    return req


def rate(session: Session, *, actor: Actor, request_id: int, rating: int, comment: str | None = None,
         now: datetime | None = None) -> ServiceRequest:
    """The requester rates the answer 1–5 (满意度), once; the rating closes the request."""
    now = now or utcnow()
    actor.require(Role.APPLICANT)
    req = get(session, actor=actor, request_id=request_id, for_change=True)
    if req.rating is not None:
        raise Conflict(f"rating: request {req.id} was already rated {req.rating}; a request is rated once")
    if rating not in RATINGS:
        raise Refused(f"rating: a whole number from 1 to 5 (满意度), got {rating}")
    comment = _text("comment", comment, 4000) if comment and comment.strip() else None
    _move(session, actor=actor, req=req, action=Action.RATE, now=now,
          changes={"rating": rating, "rating_comment": comment})
    return req


def withdraw(session: Session, *, actor: Actor, request_id: int,
             now: datetime | None = None) -> ServiceRequest:
    """The requester withdraws a request not yet answered."""
    actor.require(Role.APPLICANT)
    req = get(session, actor=actor, request_id=request_id, for_change=True)
    _move(session, actor=actor, req=req, action=Action.WITHDRAW, now=now or utcnow(), changes={})
    return req


def is_overdue(req: ServiceRequest, *, on: date) -> bool:
    """Answered after its due date, or still unanswered after it."""
    if req.due_on is None:
        return False
    if req.answered_at is not None:
        return req.answered_at.date() > req.due_on
    return req.state == State.ROUTED and on > req.due_on


class Late(NamedTuple):
    request: ServiceRequest
    working_days_late: int


def overdue(session: Session, *, actor: Actor, on: date | None = None) -> list[Late]:
    """Routed requests past their due date and not answered (office, auditor), oldest first."""
    actor.require(Role.OFFICE, Role.AUDITOR)
    on = on or utcnow().date()
    cal = settings.calendar(session)
    stmt = select(ServiceRequest).where(ServiceRequest.state == State.ROUTED,
                                        ServiceRequest.due_on < on)
    return [Late(r, cal.between(r.due_on, on)) for r in session.scalars(
        stmt.order_by(ServiceRequest.due_on, ServiceRequest.id)) if r.due_on is not None]


def history(session: Session, *, actor: Actor, request_id: int) -> list[AuditEntry]:
    """The request's trail from the audit log: routings, answers, reopenings with reasons, rating."""
    req = get(session, actor=actor, request_id=request_id)
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.entity == ENTITY, AuditEntry.entity_id == str(req.id)).order_by(AuditEntry.id)))


def package_json(p: ServicePackage) -> dict[str, Any]:
    return {"org_id": p.org_id, "contact_name": p.contact_name, "contact_phone": p.contact_phone,
            "department": p.department, "services": list(p.services), "created_by": p.created_by,
            "created_at": p.created_at.isoformat()}


def package(session: Session, *, actor: Actor, org_id: int) -> ServicePackage:
    """An organisation's service package: its own applicant, or staff."""
    actor.require(Role.APPLICANT, *BUSINESS)
    actor.check_can_see(org_id=org_id)
    p = session.scalar(select(ServicePackage).where(ServicePackage.org_id == org_id))
    if p is None:
        raise NotFound(f"service package: organisation {org_id} has none (服务包 not set up)")
    return p


def packages(session: Session, *, actor: Actor) -> list[ServicePackage]:
    """Every service package (business staff, not administrators); an applicant gets its own."""
    stmt = select(ServicePackage).order_by(ServicePackage.org_id)
    if actor.role is Role.APPLICANT:
        stmt = stmt.where(ServicePackage.org_id == actor.org_id)
    else:
        actor.require(*BUSINESS)
    return list(session.scalars(stmt))


def put_package(session: Session, *, actor: Actor, org_id: int, data: ServicePackageIn) -> ServicePackage:
    """Set up or replace a key enterprise's service package (office)."""
    actor.require(Role.OFFICE)
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    if not org.key_enterprise:
        raise Refused(f"key_enterprise: organisation {org_id} ({org.name}) is not a key enterprise "
                      "(重点企业); service packages (服务包) are for key enterprises only")
    p = session.scalar(select(ServicePackage).where(ServicePackage.org_id == org_id))
    before = None if p is None else package_json(p)
    if p is None:
        p = ServicePackage(org_id=org_id, created_by=actor.username)
        session.add(p)
    p.contact_name, p.contact_phone = data.contact_name, data.contact_phone
    p.department, p.services = data.department, list(data.services)
    session.flush()
    record(session, actor=actor, action="service_package.create" if before is None
           else "service_package.update", entity="service_package", entity_id=org_id,
           before=before, after=package_json(p))
    return p
