"""The registry: organisations, persons, recognitions, annual facts, credit-list entries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from huiqi.app.api.deps import DB, Current, factory, yuan
from huiqi.app.db import transaction
from huiqi.app.registry import accounts, personal
from huiqi.app.registry import service as registry
from huiqi.app.registry.models import AnnualFact, Organisation, Recognition
from huiqi.app.registry.schemas import (
    COUNT_FACTS,
    CreditEntryIn,
    FactIn,
    OrganisationIn,
    PersonIn,
    RecognitionIn,
)

router = APIRouter(tags=["registry"])


def _fact(f: AnnualFact) -> dict[str, Any]:
    return {"year": f.year, "name": f.name,
            "value": str(f.value) if f.name in COUNT_FACTS else yuan(f.value),
            "source": f.source, "entered_by": f.entered_by, "entered_at": f.entered_at.isoformat()}


def _recognition(r: Recognition) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "subtype": r.subtype, "level": r.level,
            "recognised_on": r.recognised_on.isoformat(), "introducer_id": r.introducer_id,
            "relocated": r.relocated, "reference": r.reference, "entered_by": r.entered_by}


@router.get("/organisations", summary="Organisations (an applicant sees its own)")
def organisations(db: DB, actor: Current, kind: str | None = None, q: str | None = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                  offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    return [registry.org_json(o) for o in registry.list_orgs(db, actor=actor, kind=kind, q=q,
                                                             limit=limit, offset=offset)]


@router.post("/organisations", status_code=201, summary="Register an organisation (office)")
def create_org(body: OrganisationIn, db: DB, actor: Current) -> dict[str, Any]:
    return registry.org_json(registry.create_org(db, actor=actor, data=body))


def _with_pending(db: DB, org: Organisation) -> dict[str, Any]:
    change = accounts.pending(db, org)
    return {**registry.org_json(org),
            "pending_account_change": None if change is None else accounts.change_json(change)}


@router.get("/organisations/{org_id}", summary="One organisation with its facts and recognitions")
def organisation(org_id: int, db: DB, actor: Current) -> dict[str, Any]:
    org = registry.get_org(db, actor=actor, org_id=org_id)
    return {**_with_pending(db, org),
            "facts": [_fact(f) for f in registry.facts_of(db, org.id)],
            "recognitions": [_recognition(r) for r in registry.recognitions_of(db, org_id=org.id)]}


@router.put("/organisations/{org_id}", summary="Update an organisation (office); an applicant asks "
            "for another payout account, in effect once the office confirms it")
def update_org(org_id: int, body: OrganisationIn, db: DB, actor: Current) -> dict[str, Any]:
    return _with_pending(db, registry.update_org(db, actor=actor, org_id=org_id, data=body))


class AccountDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm: bool = Field(description="true: the new account becomes the payout account")
    reason: str | None = Field(None, max_length=2000)


@router.get("/account-changes", summary="Payout account changes (applicant: its own)")
def account_changes(db: DB, actor: Current, state: str | None = None) -> list[dict[str, Any]]:
    return [accounts.change_json(c) for c in accounts.listing(db, actor=actor, state=state)]


@router.post("/account-changes/{change_id}/decision", summary="Confirm or reject an account change (office)")
def decide_account_change(change_id: int, body: AccountDecision, db: DB, actor: Current
                          ) -> dict[str, Any]:
    return accounts.change_json(accounts.decide(db, actor=actor, change_id=change_id,
                                                confirm=body.confirm, reason=body.reason))


@router.post("/organisations/{org_id}/facts", status_code=201, summary="Enter an annual figure (office)")
def set_fact(org_id: int, body: FactIn, db: DB, actor: Current) -> dict[str, Any]:
    return _fact(registry.set_fact(db, actor=actor, org_id=org_id, data=body))


@router.post("/organisations/{org_id}/recognitions", status_code=201,
             summary="Record a recognition (office)")
def recognise(org_id: int, body: RecognitionIn, db: DB, actor: Current) -> dict[str, Any]:
    return _recognition(registry.add_recognition(db, actor=actor, org_id=org_id, person_id=None,
                                                 data=body))


@router.post("/organisations/{org_id}/credit", status_code=201,
             summary="Record a credit-list entry (office)")
def credit(org_id: int, body: CreditEntryIn, db: DB, actor: Current) -> dict[str, Any]:
    e = registry.add_credit_entry(db, actor=actor, org_id=org_id, data=body)
    return {"id": e.id, "list": e.list, "listed_on": e.listed_on.isoformat(),
            "removed_on": e.removed_on.isoformat() if e.removed_on else None, "source": e.source}


@router.post("/persons", status_code=201, summary="Register a talent (office); ID number masked")
def create_person(body: PersonIn, db: DB, actor: Current) -> dict[str, Any]:
    return registry.person_json(registry.create_person(db, actor=actor, data=body))


class IdNumberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(min_length=1, max_length=18, description="居民身份证号码")


@router.post("/persons/lookup", summary="Find a person by ID number (office; by keyed hash, the "
             "number is never stored or logged in clear)")
def lookup_person(body: IdNumberIn, db: DB, actor: Current) -> dict[str, Any]:
    return registry.person_json(registry.find_person(db, actor=actor, id_number=body.id_number))


@router.get("/persons/{person_id}", summary="One person (ID number masked); the read is audited")
def person(person_id: int, request: Request, db: DB, actor: Current) -> dict[str, Any]:
    p = registry.get_person(db, actor=actor, person_id=person_id)
    out = {**registry.person_json(p),
           "recognitions": [_recognition(r) for r in registry.recognitions_of(db, person_id=p.id)]}
    with transaction(factory(request)) as s:  # a GET reads without a write lock: log apart
        personal.record_read(s, actor=actor, entity="person", entity_id=p.id,
                             field="talent_record", purpose="registry view")
    return out


@router.post("/persons/{person_id}/identity", summary="The full ID number, to verify an identity "
             "(office; recorded in the audit as a read)")
def identity(person_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return {"id": person_id, "id_number": registry.identity(db, actor=actor, person_id=person_id)}


@router.post("/persons/{person_id}/recognitions", status_code=201,
             summary="Record a talent's recognition (office)")
def recognise_person(person_id: int, body: RecognitionIn, db: DB, actor: Current) -> dict[str, Any]:
    return _recognition(registry.add_recognition(db, actor=actor, org_id=None, person_id=person_id,
                                                 data=body))
