"""Running the engine for one application: the same compiled definitions as the calculator.

The registry owns some facts outright — the history of awards (from the ledger) and the
一事一议 flag — so whatever the applicant typed for those is replaced before the engine runs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.applications.lifecycle import OPEN, State
from huiqi.app.applications.models import Application
from huiqi.app.errors import Refused
from huiqi.app.registry import service as registry
from huiqi.app.registry.models import Organisation, Person
from huiqi.calculator import InputError, calculate, parse_case
from huiqi.engine.explain import Result
from huiqi.engine.policy import Policy

AWARDED = (State.AWARDED.value, State.PAID.value)
HELD = tuple(s.value for s in OPEN) + AWARDED


def holding(session: Session, *, org_id: int | None, person_id: int | None, measure: str, year: int,
            item: str | None, states: tuple[str, ...] = HELD,
            exclude: int | None = None) -> Application | None:
    """The beneficiary's application or offer for (measure, year, item) in one of ``states``
    (open, awarded or paid by default), if any; one not yet tied to an item stands for every item."""
    stmt = select(Application).where(Application.measure == measure, Application.year == year,
                                     Application.state.in_(states))
    stmt = stmt.where(Application.org_id == org_id) if org_id is not None else stmt.where(
        Application.person_id == person_id)
    if item is not None:
        stmt = stmt.where((Application.item == item) | Application.item.is_(None))
    if exclude is not None:
        stmt = stmt.where(Application.id != exclude)
    return session.scalars(stmt.order_by(Application.id).limit(1)).first()


def beneficiary_id(session: Session, app: Application) -> str:
    if app.org_id is not None:
        org = session.get(Organisation, app.org_id)
        assert org is not None
        return org.uscc
    return f"P{app.person_id}"


def ledger_history(session: Session, *, org_id: int | None, person_id: int | None,
                   exclude: int | None = None) -> list[dict[str, Any]]:
    """Earlier awards of a beneficiary (decided, not withdrawn on appeal) as the engine's history."""
    stmt = select(Application).where(Application.state.in_(AWARDED))
    stmt = stmt.where(Application.org_id == org_id) if org_id is not None else stmt.where(
        Application.person_id == person_id)
    out = []
    for a in session.scalars(stmt.order_by(Application.year, Application.id)):
        if a.id != exclude:
            out.append({"measure": a.measure, "year": a.year, **({"item": a.item} if a.item else {})})
    return out


# facts the registry holds for an organisation: where it holds them, they replace what was typed
REGISTRY_OWNED = ("one_matter", "key_enterprise", "fits_industry_positioning", "listed_on",
                  "regional_contribution", "rd_investment", "chain_leader", "introduced_by", "titles",
                  "size", "history")


def _registered(session: Session, b: dict[str, Any], year: int, exclude: int | None) -> dict[str, Any]:
    """A beneficiary's facts with the registry's values put over the typed ones."""
    org = session.scalar(select(Organisation).where(Organisation.uscc == b.get("id")))
    if org is None:
        return b
    hist = ledger_history(session, org_id=org.id, person_id=None, exclude=exclude)
    known = registry.beneficiary(session, org, year, hist)
    out = {k: v for k, v in b.items() if k not in REGISTRY_OWNED or k not in known}
    out.pop("history", None)
    out.update({k: v for k, v in known.items() if k in REGISTRY_OWNED})
    if "size" in b and "size" in known:  # figures the registry lacks may still be given
        out["size"] = {**b["size"], **known["size"]}
    return out


def authoritative(session: Session, app: Application, facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as the engine must see them: registry-owned values (figures, recognitions,
    flags, the ledger's history) over whatever was typed, and for an introducer the registered
    enterprises it brought in, added here so that their figures never reach the applicant."""
    case = dict(facts)
    case["year"] = app.year
    bens = []
    for b in case.get("beneficiaries", []):
        b = _registered(session, dict(b), app.year, app.id)
        if app.person_id is not None and b.get("id") == f"P{app.person_id}":
            person = session.get(Person, app.person_id)
            assert person is not None
            hist = ledger_history(session, org_id=None, person_id=app.person_id, exclude=app.id)
            known = registry.person_beneficiary(session, person, app.year, hist)
            b.pop("history", None)
            # the selection (入选) is the registry's; the purchase date is the talent's to give
            b["talent"] = {**(b.get("talent") or {}), **known["talent"]}
            b.update({k: v for k, v in known.items() if k == "history"})
        bens.append(b)
    if app.org_id is not None:
        present = {b.get("id") for b in bens}
        for member in registry.introduced(session, app.org_id):
            if member.uscc not in present:
                hist = ledger_history(session, org_id=member.id, person_id=None)
                bens.append(registry.beneficiary(session, member, app.year, hist))
    case["beneficiaries"] = bens
    return case


def evaluate(session: Session, app: Application, pol: Policy, facts: dict[str, Any]) -> list[Result]:
    """Every result row of the application's measure for its beneficiary."""
    try:
        case = parse_case(authoritative(session, app, facts))
    except InputError as exc:
        raise Refused(f"facts: {exc}") from None
    ben = beneficiary_id(session, app)
    if ben not in {b.id for b in case.beneficiaries}:
        raise Refused(f"facts.beneficiaries: the applicant {ben} must be one of the beneficiaries")
    calc = calculate(pol, case, app.year, measures=[app.measure])
    return [r for r in calc.results if r.beneficiary == ben]


_RANK = {"eligible": 0, "incomplete": 1, "ineligible": 2}


def pick(results: list[Result], item: str | None) -> Result:
    """The row for the application's item (or its only row)."""
    if item is not None:
        rows = [r for r in results if r.item == item]
        if not rows:
            items = sorted(str(r.item) for r in results if r.item)
            raise Refused(f"item: {item!r} is not among this beneficiary's items {items}")
        # one item may have several rows (a title recognised twice): the one that qualifies counts
        return min(rows, key=lambda r: _RANK.get(r.status, len(_RANK)))
    if len(results) == 1:
        return results[0]
    eligible = [r for r in results if r.status == "eligible"]
    if len(eligible) == 1:
        return eligible[0]
    items = sorted(str(r.item) for r in results if r.item)
    raise Refused(f"item: this measure has several items for you {items}; name one")


def reason(result: Result) -> str:
    """One sentence in both languages, for refusals."""
    text = f"{result.reason('zh')} / {result.reason('en')}"
    if result.missing:
        text += f"; missing: {', '.join(result.missing)}"
    return text
