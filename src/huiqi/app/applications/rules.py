"""Rules checked when the office decides, against the ledger and the registry as they are then.

The engine is run again on the submitted facts with the history of awards as the ledger holds
it now and the registry's 一事一议 flag: 首次, 一次性, 连续三年, once per title and X5 are the
engine's own conditions, so a decision can never apply them differently from the calculator.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from huiqi.app.applications import evaluation
from huiqi.app.applications.models import Application
from huiqi.app.errors import Refused
from huiqi.app.parameters.service import policy_at
from huiqi.app.registry import service as registry
from huiqi.app.settings import service as settings
from huiqi.app.settings.service import CREDIT_LISTS
from huiqi.engine.money import fen_to_yuan, yuan_to_fen


def check(session: Session, *, app: Application, amount_fen: int, on: date) -> None:
    """Refuse the award, naming the rule, if any rule no longer allows it."""
    if app.org_id is not None:
        gates = list(settings.get(session, "credit_gates"))
        for hit in registry.credit_hits(session, app.org_id, on, gates):
            zh, en = CREDIT_LISTS[hit.list]
            raise Refused(f"credit: the organisation is on the {en} since {hit.listed_on} "
                          f"(在{zh}中, source: {hit.source}); awards are refused while it is listed")
    twin = _already_awarded(session, app)
    if twin is not None:
        raise Refused(f"rules: {app.measure} {app.year}{' ' + app.item if app.item else ''} was already "
                      f"awarded in application {twin.id} (state {twin.state}); one award per matter")
    pol = policy_at(session, app.param_version)
    result = evaluation.pick(evaluation.evaluate(session, app, pol, app.facts), app.item)
    if result.status != "eligible" or result.ceiling is None:
        raise Refused(f"rules: no longer eligible at decision time: {evaluation.reason(result)}")
    ceiling = yuan_to_fen(result.ceiling)
    if amount_fen > ceiling:
        raise Refused(f"amount: {fen_to_yuan(amount_fen)} exceeds the ceiling {fen_to_yuan(ceiling)} that "
                      "the ledger and registry allow today")


def _already_awarded(session: Session, app: Application) -> Application | None:
    """Another award of the same beneficiary for the same measure, year and item (the engine's
    history counts earlier years; two applications of one year meet here)."""
    return evaluation.holding(session, org_id=app.org_id, person_id=app.person_id, measure=app.measure,
                   year=app.year, item=app.item, states=evaluation.AWARDED, exclude=app.id)
