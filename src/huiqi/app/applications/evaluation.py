"""Running the engine for one application: the same compiled definitions as the calculator.

The registry owns recognitions, flags and the figures it holds, the ledger the history of awards:
``provenance`` decides, field by field, what the engine may use; what it may not is a claim.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.app.applications import provenance
from huiqi.app.applications.lifecycle import OPEN, State
from huiqi.app.applications.models import Application
from huiqi.app.errors import Refused
from huiqi.app.registry import service as registry
from huiqi.app.registry.models import Organisation, Person
from huiqi.calculator import InputError, calculate, parse_case
from huiqi.engine.explain import Result
from huiqi.engine.money import fen_to_yuan
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
    return [award_entry(a.measure, a.year, a.item, a.award_fen, a.result)
            for a in session.scalars(stmt.order_by(Application.year, Application.id))
            if a.id != exclude]


def ledger_histories(session: Session) -> dict[int, list[dict[str, Any]]]:
    """Every organisation's earlier awards (``ledger_history``), in one query: organisation id →
    its history."""
    out: dict[int, list[dict[str, Any]]] = {}
    for org_id, *award in session.execute(
            select(Application.org_id, Application.measure, Application.year, Application.item,
                   Application.award_fen, Application.result)
            .where(Application.state.in_(AWARDED), Application.org_id.is_not(None))
            .order_by(Application.year, Application.id)):
        out.setdefault(org_id, []).append(award_entry(*award))
    return out


def award_entry(measure: str, year: int, item: str | None, award_fen: int | None,
                result: dict[str, Any] | None) -> dict[str, Any]:
    """One earlier award as the engine's history entry: what was awarded, as the text states it —
    the amount and, for a title or platform (its result shows the title's level: m08, m09, m10),
    the title's kind and level."""
    out: dict[str, Any] = {"measure": measure, "year": year, **({"item": item} if item else {})}
    if award_fen is not None:
        out["amount"] = str(fen_to_yuan(award_fen))
    facts = {f["name"]: f["value"] for f in (result or {}).get("facts", [])}
    if facts.get("item_kind") and facts.get("item_level"):
        out |= {"kind": facts["item_kind"], "level": facts["item_level"]}
    return out


def _known(session: Session, b: dict[str, Any], year: int, exclude: int | None) -> dict[str, Any] | None:
    """What the registry (and the ledger) hold for a typed beneficiary; None if it is unknown."""
    bid = str(b.get("id", ""))
    if b.get("kind") == "person":
        p = session.get(Person, int(bid[1:])) if bid[:1] == "P" and bid[1:].isdigit() else None
        return None if p is None else registry.person_beneficiary(
            session, p, year, ledger_history(session, org_id=None, person_id=p.id, exclude=exclude))
    org = session.scalar(select(Organisation).where(Organisation.uscc == bid))
    if org is None:
        return None
    hist = ledger_history(session, org_id=org.id, person_id=None, exclude=exclude)
    return registry.beneficiary(session, org, year, hist)


def _vouch(b: dict[str, Any], known: dict[str, Any] | None) -> provenance.Vouched:
    return (provenance.person if b.get("kind") == "person" else provenance.organisation)(b, known)


def vouched(session: Session, app: Application, facts: dict[str, Any]) -> tuple[
        dict[str, Any], dict[str, dict[str, str]], list[dict[str, Any]]]:
    """The facts to keep with the application: the applicant's own beneficiary as the engine
    uses it (registry and ledger over what was typed), others without what only the registry
    may vouch for (the registry's values for them are added when the engine runs, never shown);
    where each field came from, per beneficiary; and the claims the registry does not vouch for."""
    own = beneficiary_id(session, app)
    case = {**facts, "year": app.year}
    bens, sources, claims = [], {}, []
    for b in case.get("beneficiaries", []):
        b = dict(b)
        v = _vouch(b, _known(session, b, app.year, app.id) if b.get("id") == own else None)
        bens.append(v.beneficiary)
        sources[str(b.get("id"))] = v.sources
        claims.extend(v.claims)
    case["beneficiaries"] = bens
    return case, sources, claims


def authoritative(session: Session, app: Application, facts: dict[str, Any]) -> dict[str, Any]:
    """The facts as the engine must see them: every beneficiary with the registry's recognitions
    and figures (see ``provenance``), and for an introducer the registered enterprises it
    brought in, added here so that their figures never reach the applicant."""
    case = {**facts, "year": app.year}
    bens = [_vouch(dict(b), _known(session, b, app.year, app.id)).beneficiary
            for b in case.get("beneficiaries", [])]
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
        parse_case(facts)  # the typed shape first: a bad field is named as the applicant typed it
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
