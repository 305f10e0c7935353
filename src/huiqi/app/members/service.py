"""An enterprise's people: its administrator (单位管理员) invites clerks (经办人) of its own
organisation, lists them, disables one, and says who may sign the commitment (告知承诺) for it.

An invitation is an account with a one-time initial password, shown once to the administrator and
changed at the clerk's first login — as every account the platform makes (``auth.new_user``); the
platform sends no mail, so an invitation link would have to travel the same way a password does.
Another organisation's people are never found (404), whoever asks.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.audit.service import record
from huiqi.app.auth import service as auth
from huiqi.app.auth.models import User
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.errors import Forbidden, NotFound, Refused

READERS = (Role.OFFICE, Role.AUDITOR)  # besides the organisation's own administrator


def _user(session: Session, actor: Actor) -> User | None:
    return session.scalar(select(User).where(User.username == actor.username))


def administrator(session: Session, *, actor: Actor, org_id: int) -> User:
    """The acting user, if it is ``org_id``'s administrator; another organisation is not found."""
    actor.require(Role.APPLICANT)
    if actor.org_id != org_id:
        raise NotFound(f"organisation {org_id} not found")
    user = _user(session, actor)
    if user is None or not user.org_admin or not user.active or user.org_id != org_id:
        raise Forbidden("only the organisation's administrator (单位管理员) manages its people")
    return user


def is_administrator(session: Session, *, actor: Actor) -> bool:
    user = _user(session, actor) if actor.role is Role.APPLICANT else None
    return user is not None and user.org_admin and user.active and user.org_id is not None


def listing(session: Session, *, actor: Actor, org_id: int) -> list[User]:
    """The organisation's people (its administrator; the office and the auditor read them)."""
    if actor.role is not Role.APPLICANT:
        actor.require(*READERS)
    else:
        administrator(session, actor=actor, org_id=org_id)
    return list(session.scalars(select(User).where(User.org_id == org_id, User.role == Role.APPLICANT)
                                .order_by(User.id)))


def invite(session: Session, *, actor: Actor, org_id: int, username: str, display_name: str,
           may_sign: bool) -> tuple[User, str]:
    """A clerk of the administrator's own organisation, with an initial password returned once."""
    admin = administrator(session, actor=actor, org_id=org_id)
    password = secrets.token_urlsafe(12)
    user = auth.new_user(session, by=actor, username=username, password=password, role=Role.APPLICANT,
                         display_name=display_name, org_id=admin.org_id, may_sign=may_sign)
    return user, password


def member(session: Session, *, actor: Actor, org_id: int, user_id: int) -> User:
    administrator(session, actor=actor, org_id=org_id)
    user = session.get(User, user_id, with_for_update=True)
    if user is None or user.org_id != org_id or user.role != Role.APPLICANT:
        raise NotFound(f"user {user_id} not found in organisation {org_id}")
    return user


def set_standing(session: Session, *, actor: Actor, org_id: int, user_id: int, active: bool,
                 may_sign: bool) -> User:
    """Enable or disable a clerk, give or take its right to sign; the administrator keeps both."""
    user = member(session, actor=actor, org_id=org_id, user_id=user_id)
    if user.username == actor.username and not (active and may_sign):
        raise Refused("active: 单位管理员不能停用自己或取消自己的签署权 the administrator keeps its own "
                      "account and signing right")
    before = auth.user_json(user)
    user.active, user.may_sign = active, may_sign
    if not active:
        auth.revoke_all(session, user.id)
    session.flush()
    record(session, actor=actor, action="member.standing", entity="user", entity_id=user.id,
           before=before, after=auth.user_json(user))
    return user


def may_sign(session: Session, *, actor: Actor, org_id: int | None,
             person_id: int | None = None) -> str | None:
    """Why ``actor`` may not sign the commitment for the beneficiary, or None if it may.

    A talent signs for itself; for an organisation, an active user of it with the signing right.
    An actor without an account is code acting with the organisation's authority (the console, the
    demo loader, tests): every actor of the API and the pages is an account's.
    """
    if actor.role is not Role.APPLICANT:
        return "只有本单位人员可签署告知承诺 only the organisation's own people sign its commitment"
    if org_id is None:
        mine = actor.owns(org_id=None, person_id=person_id)
        return None if mine else "本人签署 a person signs only for itself"
    if actor.org_id != org_id:
        return "不是本单位人员 not a member of this organisation"
    user = _user(session, actor)
    if user is not None and not (user.active and user.may_sign and user.org_id == org_id):
        return ("无签署权：请单位管理员授予告知承诺签署权 no signing right: the organisation's "
                "administrator gives it")
    return None


def signatories(session: Session, org_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.org_id == org_id, User.active.is_(True),
                                                   User.may_sign.is_(True)).order_by(User.id)))
