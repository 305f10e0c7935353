"""An organisation's people (its administrator invites clerks and gives the signing right) and
its consents to the service centre (帮办); the officer's list of enterprises it may act for."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from huiqi.app.api.deps import DB, Current
from huiqi.app.auth.models import User
from huiqi.app.members import consents
from huiqi.app.members import service as members

router = APIRouter(tags=["members"])


def member_json(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.display_name, "active": u.active,
            "org_admin": u.org_admin, "may_sign": u.may_sign,
            "must_change_password": u.must_change_password}


class Invite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=3, max_length=60, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    may_sign: bool = Field(False, description="may sign the commitment (告知承诺) for the organisation")


class Standing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    active: bool
    may_sign: bool


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officer_id: int | None = Field(None, description="one officer; null: any officer of the centre")
    measures: list[str] | None = Field(None, max_length=40, description="measure ids; null: every measure")
    until: date = Field(description="the last day the consent holds")


@router.get("/organisations/{org_id}/members", summary="The organisation's people (its administrator)")
def listing(org_id: int, db: DB, actor: Current) -> list[dict[str, Any]]:
    return [member_json(u) for u in members.listing(db, actor=actor, org_id=org_id)]


@router.post("/organisations/{org_id}/members", status_code=201,
             summary="Invite a clerk: an account with an initial password, shown once")
def invite(org_id: int, body: Invite, db: DB, actor: Current) -> dict[str, Any]:
    user, password = members.invite(db, actor=actor, org_id=org_id, username=body.username,
                                    display_name=body.display_name, may_sign=body.may_sign)
    return {**member_json(user), "initial_password": password}


@router.put("/organisations/{org_id}/members/{user_id}",
            summary="Enable or disable a clerk, give or take its signing right")
def standing(org_id: int, user_id: int, body: Standing, db: DB, actor: Current) -> dict[str, Any]:
    return member_json(members.set_standing(db, actor=actor, org_id=org_id, user_id=user_id,
                                            active=body.active, may_sign=body.may_sign))


@router.get("/organisations/{org_id}/consents", summary="The organisation's consents to the service centre")
def consent_listing(org_id: int, db: DB, actor: Current) -> list[dict[str, Any]]:
    return [c.json() for c in consents.listing(db, actor=actor, org_id=org_id)]


@router.post("/organisations/{org_id}/consents", status_code=201,
             summary="Consent to the service centre preparing applications (授权委托)")
def grant(org_id: int, body: ConsentIn, db: DB, actor: Current) -> dict[str, Any]:
    return consents.grant(db, actor=actor, org_id=org_id, officer_id=body.officer_id,
                          measures=body.measures, until=body.until).json()


@router.post("/organisations/{org_id}/consents/{consent_id}/revoke", summary="Revoke a consent")
def revoke(org_id: int, consent_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return consents.revoke(db, actor=actor, org_id=org_id, consent_id=consent_id).json()


@router.get("/assist", summary="The organisations that consented to me (service-centre officer)")
def assist(db: DB, actor: Current) -> list[dict[str, Any]]:
    return [{"org_id": org.id, "name": org.name, "consent": c.json()}
            for org, c in consents.enterprises(db, actor=actor)]
