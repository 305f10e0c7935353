"""The whole registry read for a matching run: a few queries per slice of organisations (one per
table), never one per organisation; each organisation's rows are mapped to the engine's facts by
``service.beneficiary_of``, the mapping one organisation's case uses too."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from huiqi.app.registry.models import AnnualFact, Organisation, Recognition
from huiqi.app.registry.service import Recognised, beneficiary_of

SLICE = 20_000  # organisations read together: their facts and recognitions in one query each
BY_YEAR = ("regional_contribution", "rd_investment")  # kept for every year; the rest for one


class OrgRow(NamedTuple):
    """An organisation's registered fields, as read in bulk (``service.OrgRecord``)."""

    uscc: str
    kind: str
    name: str
    industry: str | None
    one_matter: bool
    key_enterprise: bool
    fits_industry_positioning: bool
    listed_on: date | None


def beneficiaries(session: Session, year: int, histories: dict[int, list[dict[str, Any]]],
                  only: Collection[int] | None = None, size: int | None = None
                  ) -> Iterator[tuple[list[int], list[dict[str, Any]]]]:
    """Every registered organisation (or those ``only`` names) in the engine's case form for
    ``year``, slice by slice in the order of their ids: (their ids, their beneficiaries).
    ``histories``: organisation id → its award history (``evaluation.ledger_histories``)."""
    size = size or SLICE
    intro = aliased(Organisation)
    wanted = sorted(only) if only is not None else None
    last = 0
    while True:
        stmt = select(Organisation.id, Organisation.uscc, Organisation.kind, Organisation.name,
                      Organisation.industry, Organisation.one_matter, Organisation.key_enterprise,
                      Organisation.fits_industry_positioning, Organisation.listed_on)
        if wanted is not None:
            stmt = stmt.where(Organisation.id.in_(wanted[last:last + size]))
            last += size
        else:
            stmt = stmt.where(Organisation.id > last)
        orgs = session.execute(stmt.order_by(Organisation.id).limit(size)).all()
        if not orgs:
            return
        lo, hi = orgs[0][0], orgs[-1][0]
        ids = [o[0] for o in orgs]
        # a range reads an index's run of rows; a subset names its ids
        of_facts = (AnnualFact.org_id.between(lo, hi) if wanted is None
                    else AnnualFact.org_id.in_(ids))
        of_recognitions = (Recognition.org_id.between(lo, hi) if wanted is None
                           else Recognition.org_id.in_(ids))
        facts: dict[int, list[tuple[int, str, int]]] = {}
        for org_id, f_year, name, value in session.execute(
                select(AnnualFact.org_id, AnnualFact.year, AnnualFact.name, AnnualFact.value)
                .where(of_facts,
                       or_(AnnualFact.name.in_(BY_YEAR), AnnualFact.year == year))
                .order_by(AnnualFact.org_id, AnnualFact.year, AnnualFact.name)):
            facts.setdefault(org_id, []).append((f_year, name, value))
        recognised: dict[int, list[Recognised]] = {}
        for holder, kind, subtype, level, on, relocated, introducer in session.execute(
                select(Recognition.org_id, Recognition.kind, Recognition.subtype, Recognition.level,
                       Recognition.recognised_on, Recognition.relocated, intro.uscc)
                .outerjoin(intro, intro.id == Recognition.introducer_id)
                .where(of_recognitions,
                       Recognition.recognised_on <= date(year, 12, 31))
                .order_by(Recognition.org_id, Recognition.recognised_on, Recognition.id)):
            if holder is not None:
                recognised.setdefault(holder, []).append(
                    Recognised(kind, subtype, level, on, relocated, introducer))
        yield ids, [
            beneficiary_of(OrgRow(*o[1:]), facts.get(o[0], ()), recognised.get(o[0], ()), year,
                           histories.get(o[0], []))
            for o in orgs]
        if wanted is None:
            last = hi
