"""Registry rules: who may enter what, and the case facts the registry pre-fills."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from huiqi.app.audit.service import record
from huiqi.app.auth.roles import BUSINESS, Actor, Role
from huiqi.app.db import utcnow
from huiqi.app.errors import Conflict, NotFound, Refused
from huiqi.app.registry import accounts, personal
from huiqi.app.registry.models import AnnualFact, CreditEntry, Organisation, Person, Recognition
from huiqi.app.registry.schemas import (
    COUNT_FACTS,
    CreditEntryIn,
    FactIn,
    OrganisationIn,
    PersonIn,
    RecognitionIn,
)
from huiqi.engine.money import fen_to_yuan, yuan_to_fen

EDITORS = (Role.OFFICE,)


def org_json(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.id, "uscc": org.uscc, "name": org.name, "kind": org.kind, "industry": org.industry,
        "one_matter": org.one_matter, "key_enterprise": org.key_enterprise,
        "fits_industry_positioning": org.fits_industry_positioning,
        "listed_on": org.listed_on.isoformat() if org.listed_on else None,
        "bank_account": personal.account_json(org),
    }


def person_json(p: Person) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "id_number": p.id_number_masked,
            "employer_id": p.employer_id, "bank_account": personal.account_json(p)}


def get_org(session: Session, *, actor: Actor, org_id: int) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound(f"organisation {org_id} not found")
    actor.check_can_see(org_id=org_id)
    return org


def list_orgs(session: Session, *, actor: Actor, kind: str | None = None, q: str | None = None,
              limit: int = 100, offset: int = 0) -> list[Organisation]:
    if actor.role is Role.APPLICANT:
        return [] if actor.org_id is None else [get_org(session, actor=actor, org_id=actor.org_id)]
    actor.require(*BUSINESS)  # administrators read no business records
    stmt = select(Organisation).order_by(Organisation.id)
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if q:
        stmt = stmt.where(Organisation.name.contains(q) | (Organisation.uscc == q.upper()))
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def _apply(session: Session, org: Organisation, data: OrganisationIn) -> None:
    org.uscc, org.name, org.kind, org.industry = data.uscc, data.name, data.kind, data.industry
    org.one_matter, org.key_enterprise = data.one_matter, data.key_enterprise
    org.fits_industry_positioning, org.listed_on = data.fits_industry_positioning, data.listed_on
    acct = data.bank_account
    personal.set_account(session, org, acct.bank_name if acct else None,
                         acct.account_no if acct else None, acct.account_name if acct else None)


def create_org(session: Session, *, actor: Actor, data: OrganisationIn) -> Organisation:
    """Register an organisation (the office); the USCC must be new."""
    actor.require(*EDITORS)
    if session.scalar(select(Organisation.id).where(Organisation.uscc == data.uscc)) is not None:
        raise Conflict(f"uscc: {data.uscc} is already registered")
    org = Organisation()
    _apply(session, org, data)
    session.add(org)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"uscc: {data.uscc} is already registered") from None
    record(session, actor=actor, action="organisation.create", entity="organisation",
           entity_id=org.id, after=org_json(org))
    return org


RECORD_FIELDS = ("uscc", "name", "kind", "industry", "one_matter", "key_enterprise",
                 "fits_industry_positioning", "listed_on")


def update_org(session: Session, *, actor: Actor, org_id: int, data: OrganisationIn) -> Organisation:
    """Replace an organisation's record (the office). An applicant may only ask for another
    payout account: that waits for the office's confirmation (``accounts.request``)."""
    org = get_org(session, actor=actor, org_id=org_id)
    if actor.role is Role.APPLICANT:
        changed = [k for k in RECORD_FIELDS if getattr(data, k) != getattr(org, k)]
        if changed:
            raise Refused(f"an applicant may change only its bank account, not {changed}")
        if data.bank_account is None:
            raise Refused("bank_account: an applicant cannot remove its payout account; "
                          "ask for another one instead")
        accounts.request(session, actor=actor, holder=org, account=data.bank_account)
        return org
    actor.require(*EDITORS)
    before = org_json(org)
    _apply(session, org, data)
    session.flush()
    record(session, actor=actor, action="organisation.update", entity="organisation",
           entity_id=org.id, before=before, after=org_json(org))
    return org


def create_person(session: Session, *, actor: Actor, data: PersonIn) -> Person:
    actor.require(*EDITORS)
    if personal.person_by_id_number(session, data.id_number) is not None:
        raise Conflict("id_number: this person is already registered")
    acct = data.bank_account
    p = Person(name=data.name, employer_id=data.employer_id)
    personal.set_id_number(session, p, data.id_number)
    personal.set_account(session, p, acct.bank_name if acct else None,
                         acct.account_no if acct else None, acct.account_name if acct else None)
    session.add(p)
    session.flush()
    record(session, actor=actor, action="person.create", entity="person", entity_id=p.id,
           after=person_json(p))
    return p


def get_person(session: Session, *, actor: Actor, person_id: int) -> Person:
    p = session.get(Person, person_id)
    if p is None:
        raise NotFound(f"person {person_id} not found")
    actor.check_can_see(org_id=None, person_id=person_id)
    return p


def find_person(session: Session, *, actor: Actor, id_number: str) -> Person:
    """The person registered with this ID number (the office)."""
    actor.require(*EDITORS)
    p = personal.person_by_id_number(session, id_number.strip().upper())
    if p is None:
        raise NotFound("id_number: no person is registered with this ID number")
    return p


def identity(session: Session, *, actor: Actor, person_id: int) -> str:
    """The full ID number, for the office verifying a person's identity; audited as a read."""
    actor.require(Role.OFFICE)
    p = get_person(session, actor=actor, person_id=person_id)
    return personal.reveal(session, actor=actor, stored=p.id_number_enc, field=personal.ID_NUMBER,
                           entity="person", entity_id=p.id, purpose="identity verification")


def add_recognition(session: Session, *, actor: Actor, org_id: int | None, person_id: int | None,
                    data: RecognitionIn) -> Recognition:
    """Record a dated recognition (the office)."""
    actor.require(*EDITORS)
    problems = data.problems()
    if problems:
        raise Refused("; ".join(problems))
    if org_id is not None:
        get_org(session, actor=actor, org_id=org_id)
    if person_id is not None:
        get_person(session, actor=actor, person_id=person_id)
    if data.introducer_id is not None:
        get_org(session, actor=actor, org_id=data.introducer_id)
    rec = Recognition(org_id=org_id, person_id=person_id, entered_by=actor.username,
                      **data.model_dump())
    session.add(rec)
    session.flush()
    record(session, actor=actor, action="recognition.add", entity="recognition", entity_id=rec.id,
           after={"org_id": org_id, "person_id": person_id, **data.model_dump(mode="json")})
    return rec


def fact_value(name: str, value: Decimal) -> int:
    """Stored form of a figure: money in fen, counts as whole numbers."""
    if name in COUNT_FACTS:
        if value != value.to_integral_value():
            raise Refused(f"value: {name} is a whole number, got {value}")
        return int(value)
    return yuan_to_fen(value)


def set_fact(session: Session, *, actor: Actor, org_id: int, data: FactIn) -> AnnualFact:
    """Enter or correct one annual figure, with its source; the previous value goes to the audit."""
    actor.require(*EDITORS)
    get_org(session, actor=actor, org_id=org_id)
    value = fact_value(data.name, data.value)
    fact = session.scalar(select(AnnualFact).where(
        AnnualFact.org_id == org_id, AnnualFact.year == data.year, AnnualFact.name == data.name))
    before = None if fact is None else {"value": fact.value, "source": fact.source}
    if fact is None:
        fact = AnnualFact(org_id=org_id, year=data.year, name=data.name, value=value,
                          source=data.source, entered_by=actor.username)
        session.add(fact)
    else:
        fact.value, fact.source = value, data.source
        fact.entered_by, fact.entered_at = actor.username, utcnow()
    session.flush()
    record(session, actor=actor, action="fact.set", entity="annual_fact",
           entity_id=f"{org_id}/{data.year}/{data.name}", before=before,
           after={"value": value, "source": data.source})
    return fact


def add_credit_entry(session: Session, *, actor: Actor, org_id: int, data: CreditEntryIn) -> CreditEntry:
    actor.require(*EDITORS)
    get_org(session, actor=actor, org_id=org_id)
    entry = CreditEntry(org_id=org_id, **data.model_dump())
    session.add(entry)
    session.flush()
    record(session, actor=actor, action="credit.add", entity="credit_entry", entity_id=entry.id,
           after={"org_id": org_id, **data.model_dump(mode="json")})
    return entry


def credit_hits(session: Session, org_id: int, on: date, lists: list[str]) -> list[CreditEntry]:
    """Entries on the gated lists in force on ``on``."""
    return [e for e in session.scalars(select(CreditEntry).where(CreditEntry.org_id == org_id))
            if e.list in lists and e.listed_on <= on and (e.removed_on is None or e.removed_on > on)]


def facts_of(session: Session, org_id: int) -> list[AnnualFact]:
    return list(session.scalars(select(AnnualFact).where(AnnualFact.org_id == org_id)
                                .order_by(AnnualFact.year, AnnualFact.name)))


def recognitions_of(session: Session, *, org_id: int | None = None,
                    person_id: int | None = None) -> list[Recognition]:
    stmt = select(Recognition).order_by(Recognition.recognised_on, Recognition.id)
    stmt = stmt.where(Recognition.org_id == org_id) if org_id is not None else stmt.where(
        Recognition.person_id == person_id)
    return list(session.scalars(stmt))


class Recognised(NamedTuple):
    """A recognition as the engine's facts read it (the introducer named by its USCC)."""

    kind: str
    subtype: str | None
    level: str | None
    recognised_on: date
    relocated: bool
    introducer: str | None  # the introducer's USCC (introduced_by)


class OrgRecord(Protocol):
    """An organisation's registered fields (an ``Organisation`` or a row read in bulk)."""

    @property
    def uscc(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def industry(self) -> str | None: ...
    @property
    def one_matter(self) -> bool: ...
    @property
    def key_enterprise(self) -> bool: ...
    @property
    def fits_industry_positioning(self) -> bool: ...
    @property
    def listed_on(self) -> date | None: ...


def beneficiary_of(org: OrgRecord, facts: Iterable[tuple[int, str, int]],
                   recognitions: Iterable[Recognised], year: int,
                   history: list[dict[str, Any]]) -> dict[str, Any]:
    """The registry's rows about an organisation in the case-file form the engine reads: its
    annual facts as (year, name, stored value), its recognitions in the order recognised (a
    later one of the same kind replaces an earlier), its award history. The one mapping from
    the registry to the engine's facts, for one organisation and for a whole run alike."""
    b: dict[str, Any] = {"id": org.uscc, "kind": org.kind, "name": org.name,
                         "one_matter": org.one_matter, "key_enterprise": org.key_enterprise,
                         "fits_industry_positioning": org.fits_industry_positioning}
    if org.listed_on:
        b["listed_on"] = org.listed_on.isoformat()
    size: dict[str, Any] = {"industry": org.industry} if org.industry else {}
    for f_year, name, value in facts:
        if name in ("regional_contribution", "rd_investment"):
            b.setdefault(name, {})[f_year] = str(fen_to_yuan(value))
        elif f_year == year:
            size[name] = value if name in COUNT_FACTS else str(fen_to_yuan(value))
    if size:
        b["size"] = size
    for r in recognitions:
        if r.recognised_on.year > year:
            continue
        if r.kind == "chain_leader":
            b["chain_leader"] = {"status": r.subtype, "since": r.recognised_on.isoformat()}
        elif r.kind == "introduced_by" and r.introducer is not None:
            b["introduced_by"] = {"introducer": r.introducer, "kind": r.subtype,
                                  "recognised_on": r.recognised_on.isoformat()}
        elif r.kind == "title":
            b.setdefault("titles", []).append({"kind": r.subtype, "level": r.level,
                                               "date": r.recognised_on.isoformat(),
                                               "relocated": r.relocated})
    if history:
        b["history"] = history
    return b


def beneficiary(session: Session, org: Organisation, year: int,
                history: list[dict[str, Any]]) -> dict[str, Any]:
    """The registry's facts about an organisation in the case-file form the engine reads."""
    facts = [(f.year, f.name, f.value) for f in facts_of(session, org.id)]
    recognised = []
    for r in recognitions_of(session, org_id=org.id):
        introducer = None
        if r.introducer_id is not None:
            intro = session.get(Organisation, r.introducer_id)
            assert intro is not None
            introducer = intro.uscc
        recognised.append(Recognised(r.kind, r.subtype, r.level, r.recognised_on, r.relocated,
                                     introducer))
    return beneficiary_of(org, facts, recognised, year, history)


def introduced(session: Session, org_id: int) -> list[Organisation]:
    """The organisations recognised as introduced by ``org_id`` (for group measures)."""
    ids = session.scalars(select(Recognition.org_id).where(
        Recognition.kind == "introduced_by", Recognition.introducer_id == org_id))
    return [o for i in ids if i is not None and (o := session.get(Organisation, i)) is not None]


def person_beneficiary(session: Session, p: Person, year: int,
                       history: list[dict[str, Any]]) -> dict[str, Any]:
    talent: dict[str, Any] = {}
    for r in recognitions_of(session, person_id=p.id):
        if r.kind == "talent" and r.recognised_on.year <= year:
            talent = {"selected_on": r.recognised_on.isoformat(), "tier": r.subtype}
    b: dict[str, Any] = {"id": f"P{p.id}", "kind": "person", "name": p.name, "talent": talent}
    if history:
        b["history"] = history
    return b
