"""Budgets, the ledger's reconciliation, payment batches and runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from huiqi.app.api.deps import DB, Current, Yuan, fen, yuan
from huiqi.app.auth.roles import Role
from huiqi.app.budget import payments
from huiqi.app.budget import service as budget
from huiqi.app.budget.bank import LocalBank
from huiqi.app.db import make_engine

router = APIRouter(tags=["budgets and payments"])
READERS = (Role.OFFICE, Role.FINANCE, Role.AUDITOR)


class BudgetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Yuan
    note: str | None = Field(None, max_length=2000)


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    measure: str | None = Field(None, max_length=30)
    year: int | None = Field(None, ge=2024, le=2100)


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    batch: int | None = None


@router.put("/budgets/{measure}/{year}", summary="Set a measure's budget for a year (0: a pool) (finance)")
def set_budget(measure: str, year: int, body: BudgetIn, db: DB, actor: Current) -> dict[str, Any]:
    b = budget.set_budget(db, actor=actor, measure=measure, year=year, amount_fen=fen(body.amount),
                          note=body.note)
    return {"measure": b.measure, "year": b.year, "amount": yuan(b.amount_fen),
            "committed": yuan(b.committed_fen)}


@router.get("/budgets", summary="Σ committed, Σ paid, remaining per measure and year; pools")
def reconcile(db: DB, actor: Current,
              year: Annotated[int | None, Query(ge=0, le=2100)] = None) -> dict[str, Any]:
    actor.require(*READERS)
    return {"lines": [line.to_json() for line in budget.reconcile(db, year=year)],
            "pools": budget.pools(db)}


@router.get("/budgets/{year}/unpaid", summary="Awards committed and not yet paid (year-end report)")
def unpaid(year: int, db: DB, actor: Current) -> list[dict[str, Any]]:
    actor.require(*READERS)
    return budget.unpaid(db, year=year)


@router.post("/payments/batches", status_code=201, summary="Instruct payment of awards (finance)")
def batch(body: BatchIn, request: Request, actor: Current) -> dict[str, Any]:
    r = payments.make_batch(request.app.state.sessions, actor=actor, measure=body.measure,
                            year=body.year)
    return {"batch": r.batch.id if r.batch else None,
            "payments": r.batch.payments if r.batch else 0,
            "total": yuan(r.batch.total_fen if r.batch else 0), "skipped": r.skipped}


@router.post("/payments/run", summary="Send unpaid instructions to the bank; safe to repeat (finance)")
def run(body: RunIn, request: Request, actor: Current) -> dict[str, Any]:
    actor.require(Role.FINANCE)
    bank = LocalBank(make_engine(request.app.state.bank_url))
    report = payments.run(request.app.state.sessions, bank, actor=actor, batch_id=body.batch)
    bank.engine.dispose()
    return {"run": report.run, "paid": report.paid, "already_paid": report.already_paid,
            "failed": report.failed}


@router.get("/payments", summary="Payments (an applicant sees its own)")
def listing(db: DB, actor: Current, batch: int | None = None,
            application: int | None = None) -> list[dict[str, Any]]:
    return [payments.payment_json(p) for p in payments.listing(db, actor=actor, batch_id=batch,
                                                               application_id=application)]
