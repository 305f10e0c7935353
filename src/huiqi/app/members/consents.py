"""The enterprise's consent (授权委托) to the service centre: which officer (or the centre as a
whole), for which measures (or all), until which date; revocable at any time. Without a live
consent an officer neither opens nor sees the enterprise's applications."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from huiqi.app.audit.service import record
from huiqi.app.auth.models import User
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import utcnow
from huiqi.app.errors import Conflict, Forbidden, NotFound, Refused
from huiqi.app.members import service as members
from huiqi.app.members.models import Consent
from huiqi.app.parameters.service import policy
from huiqi.app.registry.models import Organisation

MAX_DAYS = 366  # a consent lasts at most a year; the enterprise renews it


def officers(session: Session) -> list[User]:
    """The service centre's active officers (the enterprise picks one, or the centre)."""
    return list(session.scalars(select(User).where(User.role == Role.SERVICE, User.active.is_(True))
                                .order_by(User.id)))


def listing(session: Session, *, actor: Actor, org_id: int) -> list[Consent]:
    """The organisation's consents, newest first (its administrator; the office and auditor)."""
    members.listing(session, actor=actor, org_id=org_id)  # the same readers as its people
    return list(session.scalars(select(Consent).where(Consent.org_id == org_id)
                                .order_by(Consent.id.desc())))


def grant(session: Session, *, actor: Actor, org_id: int, officer_id: int | None,
          measures: list[str] | None, until: date, today: date | None = None) -> Consent:
    members.administrator(session, actor=actor, org_id=org_id)
    today = today or date.today()
    if until < today:
        raise Refused("until: 授权截止日期不能早于今天 the consent cannot end before today")
    if (until - today).days > MAX_DAYS:
        raise Refused(f"until: 授权期限不超过{MAX_DAYS}天 a consent lasts at most {MAX_DAYS} days")
    if officer_id is not None:
        officer = session.get(User, officer_id)
        if officer is None or officer.role != Role.SERVICE or not officer.active:
            raise Refused(f"officer_id: {officer_id} is not an active service-centre officer")
    if measures is not None:
        known = policy().measures
        unknown = [m for m in measures if m not in known]
        if not measures or unknown:
            raise Refused(f"measures: unknown measure ids {unknown}; see GET /measures, or give "
                          "null for every measure")
        measures = sorted(set(measures))
    consent = Consent(org_id=org_id, officer_id=officer_id, measures=measures, until=until,
                      granted_by=actor.username, granted_at=utcnow())
    session.add(consent)
    session.flush()
    record(session, actor=actor, action="consent.grant", entity="consent", entity_id=consent.id,
           after=consent.json())
    return consent


def revoke(session: Session, *, actor: Actor, org_id: int, consent_id: int) -> Consent:
    members.administrator(session, actor=actor, org_id=org_id)
    consent = session.get(Consent, consent_id, with_for_update=True)
    if consent is None or consent.org_id != org_id:
        raise NotFound(f"consent {consent_id} not found")
    if consent.revoked_at is not None:
        raise Conflict(f"consent {consent_id} was already revoked")
    before = consent.json()
    consent.revoked_by, consent.revoked_at = actor.username, utcnow()
    session.flush()
    record(session, actor=actor, action="consent.revoke", entity="consent", entity_id=consent.id,
           before=before, after=consent.json())
    return consent


def _officer_id(session: Session, actor: Actor) -> int:
    actor.require(Role.SERVICE)
    found = session.scalar(select(User.id).where(User.username == actor.username))
    if found is None:
        raise Forbidden("the officer has no account")
    return found


def _live(session: Session, officer_id: int, on: date) -> Select[Consent]:
    return select(Consent).where(Consent.revoked_at.is_(None), Consent.until >= on,
                                 or_(Consent.officer_id.is_(None), Consent.officer_id == officer_id))


def covering(session: Session, *, actor: Actor, org_id: int, measure: str | None = None,
             on: date | None = None) -> Consent:
    """The live consent that lets the officer act for ``org_id`` (for ``measure``), or 403."""
    officer_id = _officer_id(session, actor)
    for consent in session.scalars(_live(session, officer_id, on or date.today())
                                   .where(Consent.org_id == org_id).order_by(Consent.id)):
        if measure is None or consent.measures is None or measure in consent.measures:
            return consent
    raise Forbidden(f"无有效授权 organisation {org_id} has given this officer no live consent"
                    + (f" for {measure}" if measure else ""))


def enterprises(session: Session, *, actor: Actor, on: date | None = None) -> list[
        tuple[Organisation, Consent]]:
    """The organisations whose live consent covers the officer, with that consent."""
    officer_id = _officer_id(session, actor)
    out: dict[int, tuple[Organisation, Consent]] = {}
    for consent in session.scalars(_live(session, officer_id, on or date.today()).order_by(Consent.id)):
        org = session.get(Organisation, consent.org_id)
        if org is not None and consent.org_id not in out:
            out[consent.org_id] = (org, consent)
    return sorted(out.values(), key=lambda pair: pair[0].name)
