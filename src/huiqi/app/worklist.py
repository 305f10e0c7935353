"""What each role has waiting, counted for its home page: queue sizes and overdue items.

One function per role's view; each counts with the same visibility rules as the listings it links
to (a reviewer sees its own department's work only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from huiqi.app.applications.lifecycle import State
from huiqi.app.applications.models import Application, Review
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget.models import Payment
from huiqi.app.requests.models import ServiceRequest
from huiqi.app.requests.service import State as RequestState


@dataclass(frozen=True)
class Line:
    """One queue: its key (the page names it), how many wait, how many are overdue."""

    key: str
    waiting: int
    overdue: int | None = None


def _count(session: Session, stmt: Select[int]) -> int:
    return int(session.scalar(stmt) or 0)


def _reviews(session: Session, on: date, department: str | None) -> Line:
    base = select(func.count()).select_from(Review).where(Review.state == "pending")
    if department is not None:
        base = base.where(Review.department == department)
    return Line("reviews", _count(session, base), _count(session, base.where(Review.due_on < on)))


def _requests(session: Session, on: date, department: str | None) -> Line:
    base = select(func.count()).select_from(ServiceRequest).where(
        ServiceRequest.state == RequestState.ROUTED)
    if department is not None:
        base = base.where(ServiceRequest.department == department)
    return Line("requests", _count(session, base),
                _count(session, base.where(ServiceRequest.due_on < on)))


def _apps(session: Session, key: str, *states: State) -> Line:
    return Line(key, _count(session, select(func.count()).select_from(Application)
                            .where(Application.state.in_([s.value for s in states]))))


def for_actor(session: Session, *, actor: Actor, on: date) -> list[Line]:
    """The queues of the actor's role, in the order its home page shows them."""
    if actor.role is Role.REVIEWER:
        if actor.department is None:
            return []
        return [_reviews(session, on, actor.department), _requests(session, on, actor.department)]
    if actor.role is Role.OFFICE:
        opened = select(func.count()).select_from(ServiceRequest).where(
            ServiceRequest.state == RequestState.OPEN)
        return [_apps(session, "to_decide", State.APPROVED, State.APPEALED),
                Line("to_route", _count(session, opened)),
                _reviews(session, on, None), _requests(session, on, None),
                _apps(session, "offers_open", State.OFFERED)]
    if actor.role is Role.FINANCE:
        pending = select(func.count()).select_from(Payment).where(Payment.state == "pending")
        return [_apps(session, "to_pay", State.AWARDED), Line("payments_pending", _count(session, pending))]
    if actor.role is Role.AUDITOR:
        return [_reviews(session, on, None), _requests(session, on, None)]
    return []
