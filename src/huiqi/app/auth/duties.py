"""Two people for every privileged account (三权分立): one administrator requests a staff account
or a change of role, an administrator of another role approves or refuses it, and nobody decides
their own request. The initial password is made at approval and shown once, to the approver,
so the requester never knows it; it must be changed at first login, where the second factor is
set up too. (The console's ``huiqi user add`` bootstraps the first administrators.)"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.audit.service import record
from huiqi.app.auth import service as auth
from huiqi.app.auth.models import User, UserRequest
from huiqi.app.auth.roles import ADMINS, PRIVILEGED, Actor, Role
from huiqi.app.db import utcnow
from huiqi.app.errors import Conflict, Forbidden, NotFound, Refused

DECIDERS = (Role.ADMIN, Role.SECURITY_ADMIN)  # requests and approvals; the audit admin reads them


def request_json(r: UserRequest) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "user_id": r.user_id, "username": r.username,
            "display_name": r.display_name, "role": r.role, "department": r.department,
            "reason": r.reason, "state": r.state, "requested_by": r.requested_by,
            "requested_role": r.requested_role, "decided_by": r.decided_by,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            "created_at": r.created_at.isoformat()}


def request(session: Session, *, actor: Actor, role: Role, reason: str, username: str | None = None,
            display_name: str | None = None, department: str | None = None,
            user_id: int | None = None) -> UserRequest:
    """Ask for a new privileged account (``username``) or for an existing user's new ``role``
    (``user_id``)."""
    actor.require(*DECIDERS)
    if role not in PRIVILEGED:
        raise Refused(f"role: {role.value} is not privileged; the system administrator creates it "
                      "at POST /users")
    if role is Role.REVIEWER and not department:
        raise Refused("department: a reviewer belongs to a department")
    if (username is None) == (user_id is None):
        raise Refused("username: give either a new user's username or an existing user's user_id")
    if user_id is not None:
        user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        if user.role == Role.APPLICANT:
            raise Refused("user_id: an applicant's account does not become a staff account; "
                          "request a new one")
        kind, username, display_name = "role", user.username, user.display_name
    else:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(f"username: {username!r} is taken")
        kind = "create"
    req = UserRequest(kind=kind, user_id=user_id, username=username, display_name=display_name or username,
                      role=role.value, department=department, reason=reason, state="pending",
                      requested_by=actor.username, requested_role=actor.role.value)
    session.add(req)
    session.flush()
    record(session, actor=actor, action="user_request.create", entity="user_request", entity_id=req.id,
           after=request_json(req))
    return req


def decide(session: Session, *, actor: Actor, request_id: int,
           approve: bool) -> tuple[UserRequest, str | None]:
    """Approve (the account is made or changed; a new account's initial password is returned, once)
    or refuse a pending request — by an administrator of a role other than the requester's."""
    actor.require(*DECIDERS)
    req = session.get(UserRequest, request_id, with_for_update=True)
    if req is None:
        raise NotFound(f"user request {request_id} not found")
    if req.requested_by == actor.username or req.requested_role == actor.role.value:
        raise Forbidden("两人分责 a request is decided by an administrator of another role than the "
                        "requester's, never by the requester")
    if req.state != "pending":
        raise Conflict(f"user request {request_id} is already {req.state}")
    before = request_json(req)
    req.state = "approved" if approve else "refused"
    req.decided_by, req.decided_at = actor.username, utcnow()
    password = None
    if approve and req.kind == "create":
        password = secrets.token_urlsafe(12)
        auth.new_user(session, by=actor, username=req.username, password=password, role=Role(req.role),
                      display_name=req.display_name, department=req.department)
    elif approve:
        user = session.get(User, req.user_id, with_for_update=True)
        assert user is not None  # a request names an existing user
        user.role, user.department = req.role, req.department
        auth.revoke_all(session, user.id)
    record(session, actor=actor, action="user_request.decide", entity="user_request",
           entity_id=req.id, before=before, after=request_json(req))
    return req, password


def requests(session: Session, *, actor: Actor, state: str | None = None) -> list[UserRequest]:
    actor.require(*ADMINS)
    stmt = select(UserRequest).order_by(UserRequest.id)
    if state:
        stmt = stmt.where(UserRequest.state == state)
    return list(session.scalars(stmt))
