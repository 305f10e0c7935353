"""An applicant's decided applications (awarded, paid, rejected) with the decision in force, and
what a decision notice (核定通知书) states: who, which measure, the ceiling, the award, the date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from huiqi.app.applications.lifecycle import State
from huiqi.app.applications.models import Application, Decision
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.errors import NotFound
from huiqi.app.registry.models import Organisation, Person

DECIDED = (State.AWARDED.value, State.PAID.value, State.REJECTED.value)


@dataclass(frozen=True)
class Award:
    application_id: int
    measure: str
    year: int
    item: str | None
    state: str
    ceiling_fen: int | None
    award_fen: int | None  # None when rejected
    decided_at: datetime
    reasons: str | None
    on_appeal: bool
    decision_id: int

    @property
    def reference(self) -> str:
        """The notice's number: year, application and decision (a decision on appeal has its own)."""
        return f"HQ-{self.year}-{self.application_id:06d}-{self.decision_id:04d}"

    @property
    def below_ceiling(self) -> bool:
        return (self.award_fen is not None and self.ceiling_fen is not None
                and self.award_fen < self.ceiling_fen)


@dataclass(frozen=True)
class Beneficiary:
    name: str
    identifier: str  # the USCC or ID number, masked
    is_person: bool


def _own(actor: Actor) -> ColumnElement[bool]:
    return (Application.org_id == actor.org_id if actor.org_id is not None
            else Application.person_id == actor.person_id)


def _award(app: Application, d: Decision) -> Award:
    return Award(application_id=app.id, measure=app.measure, year=app.year, item=app.item,
                 state=app.state, ceiling_fen=app.ceiling_fen,
                 award_fen=d.amount_fen if d.outcome == "award" else None, decided_at=d.decided_at,
                 reasons=d.reasons, on_appeal=d.on_appeal, decision_id=d.id)


def _latest(session: Session, application_id: int) -> Decision | None:
    return session.scalar(select(Decision).where(Decision.application_id == application_id)
                          .order_by(Decision.id.desc()).limit(1))


def awards(session: Session, *, actor: Actor) -> list[Award]:
    """The applicant's decided applications, newest decision first."""
    actor.require(Role.APPLICANT)
    if actor.org_id is None and actor.person_id is None:
        return []
    found = []
    for app in session.scalars(select(Application).where(_own(actor), Application.state.in_(DECIDED))):
        d = _latest(session, app.id)
        if d is not None:
            found.append(_award(app, d))
    return sorted(found, key=lambda a: (a.decided_at, a.decision_id), reverse=True)


def award(session: Session, *, actor: Actor, application_id: int) -> Award:
    """One awarded (or paid) application of the applicant's own; another's is not found, so that
    an enterprise cannot learn which numbers belong to others."""
    actor.require(Role.APPLICANT)
    app = session.get(Application, application_id)
    d = None
    if (app is not None and app.state in (State.AWARDED, State.PAID)
            and actor.owns(org_id=app.org_id, person_id=app.person_id)):
        d = _latest(session, app.id)
    if app is None or d is None or d.outcome != "award":
        raise NotFound(f"award: application {application_id} has no award of yours")
    return _award(app, d)


def mask_uscc(uscc: str) -> str:
    """A 统一社会信用代码 with its middle hidden (enough to recognise, not to copy)."""
    return uscc[:4] + "*" * (len(uscc) - 8) + uscc[-4:]


def beneficiary(session: Session, *, actor: Actor) -> Beneficiary:
    """The applicant's organisation (or person) as a notice names it."""
    actor.require(Role.APPLICANT)
    if actor.org_id is not None:
        org = session.get(Organisation, actor.org_id)
        if org is not None:
            return Beneficiary(org.name, mask_uscc(org.uscc), is_person=False)
    elif actor.person_id is not None:
        p = session.get(Person, actor.person_id)
        if p is not None:
            return Beneficiary(p.name, p.id_number_masked, is_person=True)
    raise NotFound("the applicant's organisation or person record is not in the registry")
