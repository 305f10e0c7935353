"""Disbursement: batches of payment instructions, paid exactly once.

Exactly once, whatever retries, crashes or runs at the same time:
(1) each award gets one instruction whose idempotency key is fixed when the batch is made (unique
    in the database); batches take turns (a lock taken first), so two never instruct one award;
(2) a run claims one instruction at a time — a token of its own and a lease — and commits the
    claim before calling the bank; on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets runs at the same
    moment pass over each other's claims, on SQLite the claim's ``BEGIN IMMEDIATE`` queues them;
(3) the bank is called once per claim; an instruction whose earlier claim lapsed (a run that
    crashed, or hung past its lease) is first looked up at the bank by its key and sent only if
    the bank has no transfer under it; the bank's own deduplication is the last guard, not the plan;
(4) the holder of the claim marks the instruction paid and writes the ledger's ``pay`` entry
    (unique reference) and the application's state in one transaction.

A run that dies between (3) and (4) leaves its instruction ``sending`` until the lease lapses;
the next run then finds the transfer at the bank and completes (4) without sending again.
Transactions that lose a race inside the database (deadlock, serialization) are repeated.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app import vault
from huiqi.app.applications.lifecycle import Action, State
from huiqi.app.applications.models import Application
from huiqi.app.applications.service import move
from huiqi.app.audit.service import record, serialise
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget.bank import Bank, Transfer
from huiqi.app.budget.models import LedgerEntry, Payment, PaymentBatch
from huiqi.app.db import transaction, utcnow
from huiqi.app.errors import DomainError, Refused
from huiqi.app.notices import service as notices
from huiqi.app.registry import personal
from huiqi.app.registry.models import Organisation, Person
from huiqi.app.retry import retrying
from huiqi.engine.money import fen_to_yuan

BATCH_LOCK = 8809  # PostgreSQL advisory lock: one payment batch at a time (the audit chain's is 8808)
LEASE = timedelta(minutes=5)  # how long a claim holds an instruction; far longer than a bank call


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
    _one_batch_at_a_time(session)
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


def _one_batch_at_a_time(session: Session) -> None:
    """Wait for any other batch to commit before reading which awards are still uninstructed.

    Batches for different measures or years overlap (a batch without a measure takes them all), so
    there is one lock for every batch. Taken before any row: the awards are then read after the
    batch before committed, never with a view older than its instructions. SQLite's writers are
    serial already (``BEGIN IMMEDIATE``)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": BATCH_LOCK})


def make_batch(factory: sessionmaker[Session], *, actor: Actor, measure: str | None = None,
               year: int | None = None) -> BatchResult:
    """``create_batch`` in a transaction of its own, repeated if it loses a race in the database."""
    def once() -> BatchResult:
        with transaction(factory) as s:
            return create_batch(s, actor=actor, measure=measure, year=year)
    return retrying(once)


@dataclass
class RunReport:
    run: str
    paid: int = 0
    already_paid: int = 0
    failed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Claim:
    """An instruction held by one run until ``token`` is released or the lease lapses."""

    payment_id: int
    token: str
    key: str
    account_no: str
    payee_name: str
    amount_fen: int
    resumed: bool  # an earlier claim lapsed: the bank may already have the transfer


def run(factory: sessionmaker[Session], bank: Bank, *, actor: Actor, batch_id: int | None = None,
        lease: timedelta = LEASE) -> RunReport:
    """Send every unpaid instruction (or one batch's); safe to run again and to run many at once."""
    actor.require(Role.FINANCE)
    report = RunReport(run=uuid.uuid4().hex[:12])
    next_claim = partial(_claim, factory, actor=actor, run=report.run, batch_id=batch_id, lease=lease)
    while (claim := retrying(next_claim)) is not None:
        try:
            transfer = bank.status(claim.key) if claim.resumed else None
            if transfer is None:  # (3)
                transfer = bank.transfer(key=claim.key, account_no=claim.account_no,
                                         account_name=claim.payee_name, amount_fen=claim.amount_fen)
        except DomainError as exc:  # left claimed: retried by a run after the lease
            report.failed.append(f"payment {claim.payment_id}: {exc.message}")
            continue
        if retrying(partial(_complete, factory, actor=actor, claim=claim, transfer=transfer)):
            report.paid += 1
        else:
            report.already_paid += 1
    return report


def _claim(factory: sessionmaker[Session], *, actor: Actor, run: str, batch_id: int | None,
           lease: timedelta) -> Claim | None:
    """(2) Take the next instruction nobody holds — pending, or with a lapsed claim — and commit.
    A run never takes one it claimed itself, so an instruction the bank refused waits for the
    next run instead of being tried again and again."""
    now = utcnow()
    free = or_(Payment.state == "pending",
               and_(Payment.state == "sending",
                    or_(Payment.claimed_until.is_(None), Payment.claimed_until < now)))
    stmt = select(Payment).where(free, or_(Payment.claimed_by.is_(None), Payment.claimed_by != run))
    if batch_id is not None:
        stmt = stmt.where(Payment.batch_id == batch_id)
    with transaction(factory) as s:
        serialise(s)  # revealing the account is audited: the chain's lock before any row's
        p = s.scalars(stmt.order_by(Payment.id).limit(1)
                      .with_for_update(skip_locked=True)).first()
        if p is None:
            return None
        account_no = personal.reveal(s, actor=actor, stored=p.account_no, field=personal.ACCOUNT_NO,
                                     entity="payment", entity_id=p.id,
                                     purpose="payment instruction to the bank")
        claim = Claim(p.id, uuid.uuid4().hex, p.idempotency_key, account_no, p.payee_name,
                      p.amount_fen, resumed=p.attempts > 0)
        p.state, p.claimed_by, p.claim_token, p.claimed_until = "sending", run, claim.token, now + lease
        p.attempts += 1
    return claim


def _complete(factory: sessionmaker[Session], *, actor: Actor, claim: Claim, transfer: Transfer) -> bool:
    """(4) Mark the claimed instruction paid, with its ledger entry and the application's step;
    False if the claim was lost (lapsed and taken by another run, which completes it)."""
    with transaction(factory) as s:
        serialise(s)  # the audit chain's lock first, then rows: the order every transaction keeps
        done = s.execute(update(Payment).where(Payment.id == claim.payment_id,
                                               Payment.state == "sending",
                                               Payment.claim_token == claim.token)
                         .values(state="paid", bank_reference=transfer.reference, paid_at=utcnow(),
                                 claimed_until=None)
                         .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            return False
        p = s.get(Payment, claim.payment_id)
        assert p is not None
        s.add(LedgerEntry(measure=p.measure, year=p.year, application_id=p.application_id, kind="pay",
                          amount_fen=p.amount_fen, actor=actor.username, reference=f"pay:{p.id}"))
        app = s.get(Application, p.application_id)
        assert app is not None
        move(s, actor=actor, app=app, action=Action.PAY, note=f"bank {transfer.reference}")
        notices.payment_made(s, payment=p, app=app)
        record(s, actor=actor, action="payment.paid", entity="payment", entity_id=p.id,
               before={"state": "sending"}, after={"state": "paid", "bank_reference": transfer.reference,
                                                   "amount_fen": p.amount_fen, "new": transfer.new})
    return True


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
