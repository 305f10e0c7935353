"""Disbursement: batches of payment instructions, paid exactly once.

Exactly once, whatever retries or crashes: (1) each award gets one instruction whose idempotency
key is fixed when the batch is made (unique in the database); (2) a run claims an instruction and
commits before calling the bank; (3) the bank deduplicates on the key; (4) the instruction is
marked paid, the ledger's ``pay`` entry (unique reference) and the application's state are written
in one transaction. A run that dies between (3) and (4) leaves the instruction ``sending``; the
next run sends it again, the bank answers with the transfer already made, and (4) completes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app import vault
from huiqi.app.applications.lifecycle import Action, State
from huiqi.app.applications.models import Application
from huiqi.app.applications.service import move
from huiqi.app.audit.service import record
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget.bank import Bank
from huiqi.app.budget.models import LedgerEntry, Payment, PaymentBatch
from huiqi.app.db import transaction, utcnow
from huiqi.app.errors import DomainError, Refused
from huiqi.app.registry import personal
from huiqi.app.registry.models import Organisation, Person
from huiqi.engine.money import fen_to_yuan


def payment_json(p: Payment) -> dict[str, Any]:
    return {"id": p.id, "batch": p.batch_id, "application": p.application_id, "measure": p.measure,
            "year": p.year, "payee_name": p.payee_name, "bank_name": p.bank_name,
            "account_no": p.account_no_masked, "amount": f"{fen_to_yuan(p.amount_fen)}", "state": p.state,
            "attempts": p.attempts, "bank_reference": p.bank_reference,
            "paid_at": p.paid_at.isoformat() if p.paid_at else None,
            "idempotency_key": p.idempotency_key}


def _payee(session: Session, app: Application) -> tuple[str, str, str, str, str]:
    """(registered name, bank, sealed account no, masked account no, account name) — the
    confirmed account (an offer confirmed before 0005 may carry its own); the account name must
    match the registered name."""
    holder: Organisation | Person | None = (session.get(Organisation, app.org_id) if app.org_id
                                            else session.get(Person, app.person_id))
    assert holder is not None
    acct = app.payee or {"bank_name": holder.bank_name, "account_no": holder.account_no_enc,
                         "account_name": holder.account_name}
    number = acct.get("account_no") or ""
    masked = acct.get("account_no_masked") or holder.account_no_masked or ""
    if number and not vault.is_sealed(number):
        number, masked = vault.of(session).seal(number, personal.ACCOUNT_NO), personal.mask_account(number)
    return holder.name, acct.get("bank_name") or "", number, masked, acct.get("account_name") or ""


@dataclass
class BatchResult:
    batch: PaymentBatch | None
    skipped: list[dict[str, Any]] = field(default_factory=list)


def create_batch(session: Session, *, actor: Actor, measure: str | None = None,
                 year: int | None = None) -> BatchResult:
    """One instruction for every award not yet instructed; awards without a valid account are
    listed with the reason and left for the next batch."""
    actor.require(Role.FINANCE)
    stmt = select(Application).where(Application.state == State.AWARDED,
                                     ~Application.id.in_(select(Payment.application_id)))
    if measure:
        stmt = stmt.where(Application.measure == measure)
    if year:
        stmt = stmt.where(Application.year == year)
    result = BatchResult(None)
    ready = []
    # locked: an appeal of one of these awards waits for the batch, then finds it instructed
    for app in session.scalars(stmt.order_by(Application.id).with_for_update()):
        name, bank, account_no, masked, account_name = _payee(session, app)
        if not account_no:
            result.skipped.append({"application": app.id, "reason": "no registered bank account"})
        elif account_name != name:
            result.skipped.append({"application": app.id, "reason":
                                   f"account name {account_name!r} ≠ registered name {name!r}"})
        else:
            ready.append((app, name, bank, account_no, masked))
    if not ready:
        if not result.skipped:
            raise Refused("nothing to pay: no award is waiting for a payment instruction")
        return result
    batch = PaymentBatch(created_by=actor.username)
    session.add(batch)
    session.flush()
    for app, name, bank, account_no, masked in ready:
        assert app.award_fen is not None
        session.add(Payment(batch_id=batch.id, application_id=app.id,
                            idempotency_key=f"huiqi-award-{app.id}", measure=app.measure,
                            year=app.year, payee_name=name, bank_name=bank, account_no=account_no,
                            account_no_masked=masked,
                            amount_fen=app.award_fen))
        batch.payments += 1
        batch.total_fen += app.award_fen
    session.flush()
    record(session, actor=actor, action="payment.batch", entity="payment_batch", entity_id=batch.id,
           after={"payments": batch.payments, "total_fen": batch.total_fen,
                  "skipped": result.skipped})
    result.batch = batch
    return result


@dataclass
class RunReport:
    run: str
    paid: int = 0
    already_paid: int = 0
    failed: list[str] = field(default_factory=list)


def run(factory: sessionmaker[Session], bank: Bank, *, actor: Actor,
        batch_id: int | None = None) -> RunReport:
    """Send every unpaid instruction (or one batch's); safe to run again and to run twice at once."""
    actor.require(Role.FINANCE)
    report = RunReport(run=uuid.uuid4().hex[:12])
    with factory() as s:
        stmt = select(Payment.id).where(Payment.state.in_(("pending", "sending")))
        if batch_id is not None:
            stmt = stmt.where(Payment.batch_id == batch_id)
        ids = list(s.scalars(stmt.order_by(Payment.id)))
    for pid in ids:
        try:
            _pay_one(factory, bank, actor=actor, payment_id=pid, report=report)
        except DomainError as exc:
            report.failed.append(f"payment {pid}: {exc.message}")
    return report


def _pay_one(factory: sessionmaker[Session], bank: Bank, *, actor: Actor, payment_id: int,
             report: RunReport) -> None:
    with transaction(factory) as s:  # (2) claim, committed before the bank is called
        claimed = s.execute(update(Payment).where(Payment.id == payment_id,
                                                  Payment.state.in_(("pending", "sending")))
                            .values(state="sending", claimed_by=report.run,
                                    attempts=Payment.attempts + 1)
                            .execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return  # another run finished it
        p = s.get(Payment, payment_id)
        assert p is not None
        key, name, amount = p.idempotency_key, p.payee_name, p.amount_fen
        account_no = personal.reveal(s, actor=actor, stored=p.account_no, field=personal.ACCOUNT_NO,
                                     entity="payment", entity_id=p.id,
                                     purpose="payment instruction to the bank")
    transfer = bank.transfer(key=key, account_no=account_no, account_name=name, amount_fen=amount)  # (3)
    with transaction(factory) as s:  # (4)
        done = s.execute(update(Payment).where(Payment.id == payment_id, Payment.state == "sending")
                         .values(state="paid", bank_reference=transfer.reference, paid_at=utcnow())
                         .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            report.already_paid += 1
            return
        p = s.get(Payment, payment_id)
        assert p is not None
        s.add(LedgerEntry(measure=p.measure, year=p.year, application_id=p.application_id, kind="pay",
                          amount_fen=p.amount_fen, actor=actor.username, reference=f"pay:{p.id}"))
        app = s.get(Application, p.application_id)
        assert app is not None
        move(s, actor=actor, app=app, action=Action.PAY, note=f"bank {transfer.reference}")
        record(s, actor=actor, action="payment.paid", entity="payment", entity_id=p.id,
               before={"state": "sending"}, after={"state": "paid", "bank_reference": transfer.reference,
                                                   "amount_fen": p.amount_fen, "new": transfer.new})
        report.paid += 1


def listing(session: Session, *, actor: Actor, batch_id: int | None = None,
            application_id: int | None = None) -> list[Payment]:
    """Finance, office and auditors see all payments; an applicant sees its own."""
    stmt = select(Payment).order_by(Payment.id)
    if actor.role is Role.APPLICANT:
        own = select(Application.id).where(
            Application.org_id == actor.org_id if actor.org_id is not None
            else Application.person_id == actor.person_id)
        stmt = stmt.where(Payment.application_id.in_(own))
    else:
        actor.require(Role.FINANCE, Role.OFFICE, Role.AUDITOR)
    if batch_id is not None:
        stmt = stmt.where(Payment.batch_id == batch_id)
    if application_id is not None:
        stmt = stmt.where(Payment.application_id == application_id)
    return list(session.scalars(stmt))
