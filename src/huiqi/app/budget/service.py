"""Budgets and the ledger: awards commit budget, payments draw on commitments; nothing is lost.

A commitment checks and takes room in one conditional UPDATE (``committed + amount ≤ amount``), so
two decisions racing for the last yuan cannot both succeed on either database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from huiqi.app.applications.models import Application
from huiqi.app.audit.service import record, serialise
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget.models import POOL_YEAR, Budget, LedgerEntry
from huiqi.app.errors import Refused
from huiqi.app.parameters.service import policy
from huiqi.engine.money import fen_to_yuan


def set_budget(session: Session, *, actor: Actor, measure: str, year: int, amount_fen: int,
               note: str | None = None) -> Budget:
    """Set the budget of a measure for a year (year 0: a pool for the policy's whole life)."""
    actor.require(Role.FINANCE)
    serialise(session)  # before the budget row is locked: the order every transaction keeps
    if measure not in policy().measures:
        raise Refused(f"measure: unknown measure id {measure!r}")
    if year != POOL_YEAR and year < policy().effective.year:
        raise Refused(f"year: {year} is before the notice took effect")
    budget = session.scalar(select(Budget).where(Budget.measure == measure, Budget.year == year))
    before = None if budget is None else {"amount_fen": budget.amount_fen}
    if budget is None:
        budget = Budget(measure=measure, year=year, amount_fen=amount_fen, committed_fen=0, note=note)
        session.add(budget)
    else:
        if amount_fen < budget.committed_fen:
            raise Refused(f"amount: {fen_to_yuan(amount_fen)} is below what is already committed "
                          f"({fen_to_yuan(budget.committed_fen)})")
        budget.amount_fen, budget.note = amount_fen, note
    session.flush()
    record(session, actor=actor, action="budget.set", entity="budget", entity_id=f"{measure}/{year}",
           before=before, after={"amount_fen": amount_fen, "note": note})
    return budget


def _budgets(session: Session, measure: str, year: int) -> list[Budget]:
    return list(session.scalars(select(Budget).where(
        Budget.measure == measure, Budget.year.in_((year, POOL_YEAR))).order_by(Budget.year.desc())))


def commit(session: Session, *, actor: Actor, app: Application, amount_fen: int, reference: str) -> None:
    """Take ``amount_fen`` from every budget the award draws on, or refuse naming the one short."""
    budgets = _budgets(session, app.measure, app.year)
    if not any(b.year == app.year for b in budgets):
        raise Refused(f"budget: no budget is set for {app.measure} in {app.year}; "
                      "finance must set one before awards can be decided")
    for b in budgets:
        done = session.execute(
            update(Budget).where(Budget.id == b.id,
                                 Budget.committed_fen + amount_fen <= Budget.amount_fen)
            .values(committed_fen=Budget.committed_fen + amount_fen)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(b)
            left = fen_to_yuan(b.amount_fen - b.committed_fen)
            scope = "the pool" if b.year == POOL_YEAR else f"the {b.year} budget"
            raise Refused(f"amount: {fen_to_yuan(amount_fen)} exceeds what remains of {scope} of "
                          f"{app.measure} ({left}); the decision is refused, not queued")
    session.add(LedgerEntry(measure=app.measure, year=app.year, application_id=app.id, kind="commit",
                            amount_fen=amount_fen, actor=actor.username, reference=reference))


def release(session: Session, *, actor: Actor, app: Application, amount_fen: int, reference: str) -> None:
    """Give back a commitment (an award replaced on appeal)."""
    for b in _budgets(session, app.measure, app.year):
        session.execute(update(Budget).where(Budget.id == b.id)
                        .values(committed_fen=Budget.committed_fen - amount_fen)
                        .execution_options(synchronize_session=False))
    session.add(LedgerEntry(measure=app.measure, year=app.year, application_id=app.id, kind="release",
                            amount_fen=amount_fen, actor=actor.username, reference=reference))


@dataclass
class Line:
    measure: str
    year: int
    budget_fen: int
    committed_fen: int
    paid_fen: int
    counter_fen: int

    @property
    def remaining_fen(self) -> int:
        return self.budget_fen - self.committed_fen

    @property
    def unpaid_fen(self) -> int:
        return self.committed_fen - self.paid_fen

    @property
    def consistent(self) -> bool:
        """The budget's running total agrees with the ledger, and nothing is paid beyond it."""
        return self.counter_fen == self.committed_fen and 0 <= self.paid_fen <= self.committed_fen

    def to_json(self) -> dict[str, Any]:
        return {"measure": self.measure, "year": self.year,
                "budget": f"{fen_to_yuan(self.budget_fen)}",
                "committed": f"{fen_to_yuan(self.committed_fen)}",
                "paid": f"{fen_to_yuan(self.paid_fen)}",
                "remaining": f"{fen_to_yuan(self.remaining_fen)}",
                "unpaid": f"{fen_to_yuan(self.unpaid_fen)}", "consistent": self.consistent}


def reconcile(session: Session, *, year: int | None = None) -> list[Line]:
    """Σ committed, Σ paid and remaining per measure and year, from the ledger."""
    sums: dict[tuple[str, int], dict[str, int]] = {}
    stmt = select(LedgerEntry.measure, LedgerEntry.year, LedgerEntry.kind, func.sum(LedgerEntry.amount_fen))
    if year is not None:
        stmt = stmt.where(LedgerEntry.year == year)
    for measure, y, kind, total in session.execute(
            stmt.group_by(LedgerEntry.measure, LedgerEntry.year, LedgerEntry.kind)):
        sums.setdefault((measure, y), {})[kind] = int(total)
    lines = []
    budgets = {(b.measure, b.year): b for b in session.scalars(select(Budget))}
    keys = set(sums) | {k for k in budgets if k[1] != POOL_YEAR and (year is None or k[1] == year)}
    for measure, y in sorted(keys):
        s = sums.get((measure, y), {})
        b = budgets.get((measure, y))
        committed = s.get("commit", 0) - s.get("release", 0)
        lines.append(Line(measure, y, b.amount_fen if b else 0, committed, s.get("pay", 0),
                          b.committed_fen if b else committed))
    return lines


def pools(session: Session) -> list[dict[str, Any]]:
    """Multi-year pools (the guidance fund of （二十三）) with what is committed against them."""
    return [{"measure": b.measure, "amount": f"{fen_to_yuan(b.amount_fen)}",
             "committed": f"{fen_to_yuan(b.committed_fen)}",
             "remaining": f"{fen_to_yuan(b.amount_fen - b.committed_fen)}"}
            for b in session.scalars(select(Budget).where(Budget.year == POOL_YEAR))]


def unpaid(session: Session, *, year: int) -> list[dict[str, Any]]:
    """Awards of ``year`` committed but not yet paid: carried into the year-end report, not lost."""
    rows = session.scalars(select(Application).where(Application.year == year,
                                                      Application.state == "awarded")
                           .order_by(Application.measure, Application.id))
    return [{"application": a.id, "measure": a.measure, "year": a.year, "org_id": a.org_id,
             "person_id": a.person_id, "award": f"{fen_to_yuan(a.award_fen or 0)}"} for a in rows]
