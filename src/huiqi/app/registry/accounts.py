"""Payout accounts: an applicant asks for another account, the office confirms it.

Until the office confirms, payments keep going to the confirmed account (the one on the
organisation's or person's record). Every request and decision is audited; the requester sees
its requests and their outcome (``listing``) — the notification the portal shows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.audit.service import record
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import utcnow
from huiqi.app.errors import Conflict, NotFound, Refused
from huiqi.app.registry import personal
from huiqi.app.registry.models import AccountChange, Organisation, Person
from huiqi.app.registry.schemas import BankAccount

READERS = (Role.APPLICANT, Role.OFFICE, Role.FINANCE, Role.AUDITOR)


def change_json(c: AccountChange) -> dict[str, Any]:
    return {"id": c.id, "org_id": c.org_id, "person_id": c.person_id,
            "bank_account": personal.account_json(c), "state": c.state,
            "requested_by": c.requested_by, "requested_at": c.requested_at.isoformat(),
            "decided_by": c.decided_by,
            "decided_at": c.decided_at.isoformat() if c.decided_at else None, "reason": c.reason}


def _holder_filter(holder: Organisation | Person) -> Any:
    return (AccountChange.org_id == holder.id if isinstance(holder, Organisation)
            else AccountChange.person_id == holder.id)


def pending(session: Session, holder: Organisation | Person) -> AccountChange | None:
    return session.scalars(select(AccountChange).where(
        _holder_filter(holder), AccountChange.state == "pending").limit(1)).first()


def request(session: Session, *, actor: Actor, holder: Organisation | Person,
            account: BankAccount) -> AccountChange | None:
    """Record the account as pending the office's confirmation (None when it is the confirmed
    one already); a newer request supersedes a pending one."""
    if (holder.account_no_hash is not None and holder.bank_name == account.bank_name
            and holder.account_name == account.account_name
            and personal.same_account(session, holder, account.account_no)):
        return None
    earlier = pending(session, holder)
    if earlier is not None:
        earlier.state, earlier.decided_at = "superseded", utcnow()
    enc, hashed, masked = personal.sealed_account(session, account.account_no)
    change = AccountChange(org_id=holder.id if isinstance(holder, Organisation) else None,
                           person_id=holder.id if isinstance(holder, Person) else None,
                           bank_name=account.bank_name, account_no_enc=enc, account_no_hash=hashed,
                           account_no_masked=masked, account_name=account.account_name,
                           state="pending", requested_by=actor.username)
    session.add(change)
    session.flush()
    record(session, actor=actor, action="account_change.request", entity="account_change",
           entity_id=change.id, before=personal.account_json(holder), after=change_json(change))
    return change


def decide(session: Session, *, actor: Actor, change_id: int, confirm: bool,
           reason: str | None) -> AccountChange:
    """The office confirms the new account (it becomes the payout account) or rejects it."""
    actor.require(Role.OFFICE)
    change = session.get(AccountChange, change_id, with_for_update=True, populate_existing=True)
    if change is None:
        raise NotFound(f"account change {change_id} not found")
    if change.state != "pending":
        raise Conflict(f"state: account change {change_id} is {change.state}, not pending")
    if not confirm and not (reason and reason.strip()):
        raise Refused("reason: a rejection must say why (驳回须说明理由)")
    holder: Organisation | Person | None = (session.get(Organisation, change.org_id)
                                            if change.org_id is not None
                                            else session.get(Person, change.person_id))
    assert holder is not None
    before = personal.account_json(holder)
    if confirm:
        if change.account_name != holder.name:
            raise Refused(f"bank_account.account_name: {change.account_name!r} is no longer the "
                          f"registered name {holder.name!r} (账户名称须与登记名称一致)")
        holder.bank_name, holder.account_name = change.bank_name, change.account_name
        holder.account_no_enc, holder.account_no_hash, holder.account_no_masked = (
            change.account_no_enc, change.account_no_hash, change.account_no_masked)
    change.state = "confirmed" if confirm else "rejected"
    change.decided_by, change.decided_at, change.reason = actor.username, utcnow(), reason
    session.flush()
    record(session, actor=actor, action=f"account_change.{change.state}", entity="account_change",
           entity_id=change.id, before=before,
           after={"account": personal.account_json(holder), "reason": reason,
                  "org_id": change.org_id, "person_id": change.person_id})
    return change


def listing(session: Session, *, actor: Actor, state: str | None = None) -> list[AccountChange]:
    """An applicant its own requests; the office, finance and auditors all."""
    actor.require(*READERS)
    stmt = select(AccountChange).order_by(AccountChange.id)
    if actor.role is Role.APPLICANT:
        if actor.org_id is None and actor.person_id is None:
            return []
        stmt = stmt.where(AccountChange.org_id == actor.org_id if actor.org_id is not None
                          else AccountChange.person_id == actor.person_id)
    if state:
        stmt = stmt.where(AccountChange.state == state)
    return list(session.scalars(stmt))
