"""A run over the registry read in bulk and evaluated by the batch path gives what the calculator
gives each organisation's own case, and its offers are those — and only those — taking the
snapshot would have made.

The per-case reference: for every organisation, the case ``applications`` builds for it (its own
registry facts and award history, plus the enterprises it introduced), run through
``calculator.calculate`` (the in-process evaluator), one organisation at a time.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app import demo
from huiqi.app.applications import evaluation
from huiqi.app.applications import service as apps
from huiqi.app.applications.models import Application
from huiqi.app.audit.models import AuditEntry
from huiqi.app.audit.service import verify
from huiqi.app.db import make_engine, sessions, transaction
from huiqi.app.matching import service as matching
from huiqi.app.matching.models import Match
from huiqi.app.parameters.service import policy_at
from huiqi.app.registry import service as registry
from huiqi.app.registry.models import Organisation
from huiqi.app.registry.schemas import FactIn, OrganisationIn, RecognitionIn
from huiqi.app.settings import service as settings
from huiqi.calculator import calculate, parse_case
from huiqi.engine.money import yuan_to_fen
from huiqi.engine.policy import MeasureKind
from tests.app.world import OFFICE, org_in

NOW = datetime(2025, 3, 7, 9, 0, tzinfo=UTC)
Line = tuple[Any, ...]


def per_case(s: Session, year: int) -> list[Line]:
    """Every organisation's eligible and incomplete results from its own case."""
    pol = policy_at(s)
    measures = [m for m, t in pol.texts.items() if t.kind is MeasureKind.CEILING]
    out = []
    for org in s.scalars(select(Organisation).order_by(Organisation.id)):
        bens = [registry.beneficiary(s, org, year, evaluation.ledger_history(
            s, org_id=org.id, person_id=None))]
        bens += [registry.beneficiary(s, m, year, evaluation.ledger_history(
            s, org_id=m.id, person_id=None)) for m in registry.introduced(s, org.id)]
        case = parse_case({"year": year, "beneficiaries": bens, "loans": []})
        for r in calculate(pol, case, year, measures=measures).results:
            if r.beneficiary == org.uscc and r.status in ("eligible", "incomplete"):
                out.append((org.id, r.measure, r.item, r.status,
                            None if r.ceiling is None else yuan_to_fen(r.ceiling), r.missing,
                            r.reason("zh"), r.reason("en"), r.to_json()))
    return sorted(out, key=repr)


def ran(factory: sessionmaker[Session], year: int) -> list[Line]:
    with transaction(factory) as s:
        done = matching.run(s, actor=OFFICE, year=year, now=NOW)
        assert done.organisations == s.query(Organisation).count()
        rows = list(s.scalars(select(Match).where(Match.run_id == done.id)))
        assert done.matches == len(rows)
        return sorted(((m.org_id, m.measure, m.item, m.status, m.ceiling_fen, m.missing,
                        m.reason_zh, m.reason_en, matching.explanation(s, m)) for m in rows),
                      key=repr)


def test_the_demo_registry_matches_as_each_organisations_own_case(db_url: str) -> None:
    demo.load(db_url)
    engine = make_engine(db_url)
    try:
        factory = sessions(engine)
        got = ran(factory, 2024)
        with transaction(factory) as s:
            want = per_case(s, 2024)
    finally:
        engine.dispose()
    assert got == want
    # 通州智造 (new chain leader, RC 2024 12,000,000.00): m01.new 70% × 12,000,000.00
    assert (1, "m01.new", None, "eligible", 840_000_000) in {line[:5] for line in got}


def uscc(i: int) -> str:
    from stdnum.cn import uscc as check

    base = f"91110112MA02{i:05d}"
    return base + check.calc_check_digit(base)


def generated(factory: sessionmaker[Session], n: int = 240) -> dict[str, int]:
    """n organisations: park and building operators introducing enterprises, chain leaders new
    and existing (some introducing enterprises themselves), titles, R&D and size figures, one
    enterprise under 一事一议, earlier awards in the ledger; and two worked by hand (returned)."""
    rng = random.Random(2024)
    ids: dict[str, int] = {}
    introducers: list[int] = []
    with transaction(factory) as s:
        for i in range(n):
            kind = "park_operator" if i % 30 == 0 else "building_operator" if i % 30 == 1 else \
                "enterprise"
            org = registry.create_org(s, actor=OFFICE, data=OrganisationIn(
                uscc=uscc(i), name=f"生成{i}号有限公司", kind=kind,  # type: ignore[arg-type]
                industry=rng.choice(["3911", "6513", "7320", "2710"]), one_matter=i == 77,
                key_enterprise=rng.random() < 0.1, fits_industry_positioning=rng.random() < 0.5))
            ids[uscc(i)] = org.id
            if kind != "enterprise":
                introducers.append(org.id)
                continue
            rc = Decimal(rng.randint(0, 30_000_000))
            for year in (2022, 2023, 2024):
                if rng.random() < 0.9:
                    registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
                        year=year, name="regional_contribution",
                        value=(rc * Decimal(rng.uniform(0.6, 1.6))).quantize(Decimal("0.01")),
                        source="区税务局"))
            if rng.random() < 0.4:
                registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
                    year=2024, name="rd_investment", value=Decimal(rng.randint(0, 9_000_000)),
                    source="区统计局"))
            if rng.random() < 0.7:
                for name, value in (("employees", rng.randint(3, 900)),
                                    ("revenue", rng.randint(100_000, 900_000_000)),
                                    ("assets", rng.randint(100_000, 900_000_000))):
                    registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
                        year=2024, name=name, value=Decimal(value),  # type: ignore[arg-type]
                        source="区统计局"))
            draw = rng.random()
            if draw < 0.12:
                new = draw < 0.06
                registry.add_recognition(s, actor=OFFICE, org_id=org.id, person_id=None,
                                         data=RecognitionIn(
                    kind="chain_leader", subtype="new" if new else "existing",
                    recognised_on=date(2024, rng.randint(1, 12), 1) if new else date(2022, 5, 1)))
                introducers.append(org.id)
            elif draw < 0.45 and introducers:
                by = rng.choice(introducers)
                kind_of = s.get(Organisation, by)
                assert kind_of is not None
                registry.add_recognition(s, actor=OFFICE, org_id=org.id, person_id=None,
                                         data=RecognitionIn(
                    kind="introduced_by",
                    subtype=kind_of.kind if kind_of.kind != "enterprise" else "chain_leader",
                    introducer_id=by, recognised_on=date(rng.choice((2023, 2024, 2025)), 6, 1)))
            if rng.random() < 0.15:
                title, level = rng.choice((("little_giant", "national"),
                                           ("specialised_sme_beijing", "municipal"),
                                           ("smart_factory", "municipal"),
                                           ("enterprise_tech_center", "national"),
                                           ("digital_workshop", "other")))
                registry.add_recognition(s, actor=OFFICE, org_id=org.id, person_id=None,
                                         data=RecognitionIn(
                    kind="title", subtype=title, level=level,  # type: ignore[arg-type]
                    recognised_on=date(rng.choice((2023, 2024)), rng.randint(1, 12), 1),
                    relocated=rng.random() < 0.2))
            if rng.random() < 0.05:  # an award in an earlier year, in the ledger
                s.add(Application(org_id=org.id, measure=rng.choice(("m01.new", "m10", "m07.rd")),
                                  year=2024 - rng.randint(0, 1), origin="application",
                                  state="awarded", facts={}, award_fen=rng.randint(1, 10**8),
                                  result={"facts": []}))
        # worked by hand (MEASURES.md （一）): a new chain leader, RC 2024 1,000,000.00 —
        # m01.new 70% × 1,000,000.00 = 700,000.00; an existing one, RC 2023 2,000,000.00 and
        # 2024 2,500,000.00 — m01.existing 70% × (2,500,000.00 − 2,000,000.00) = 350,000.00
        for i, status, rcs in ((n, "new", {2024: "1000000.00"}),
                               (n + 1, "existing", {2023: "2000000.00", 2024: "2500000.00"})):
            org = registry.create_org(s, actor=OFFICE, data=org_in(uscc(i), f"手算{i}号有限公司"))
            ids[status] = org.id
            for year, value in rcs.items():
                registry.set_fact(s, actor=OFFICE, org_id=org.id, data=FactIn(
                    year=year, name="regional_contribution", value=Decimal(value), source="区税务局"))
            registry.add_recognition(s, actor=OFFICE, org_id=org.id, person_id=None,
                                     data=RecognitionIn(
                kind="chain_leader", subtype=status,
                recognised_on=date(2024, 3, 1) if status == "new" else date(2022, 5, 1)))
    return ids


def test_a_generated_registry_matches_as_each_organisations_own_case(
        factory: sessionmaker[Session]) -> None:
    ids = generated(factory)
    got = ran(factory, 2024)
    with transaction(factory) as s:
        want = per_case(s, 2024)
    assert got == want
    found = {(line[0], line[1]): line for line in got}
    assert found[ids["new"], "m01.new"][3:5] == ("eligible", 70_000_000)
    assert found[ids["existing"], "m01.existing"][3:5] == ("eligible", 35_000_000)
    measures = {line[1] for line in got}
    assert {"m01.new", "m01.existing", "m02", "m07.rd"} <= measures  # groups and figures matched


def flag(factory: sessionmaker[Session], *measures: str) -> None:
    with transaction(factory) as s:
        for measure in measures:
            settings.configure_measure(s, actor=OFFICE, measure=measure, departments=["经济和信息化局"],
                                       review_days=5, no_application=True, offer_days=5)


def offers_of(factory: sessionmaker[Session]) -> dict[tuple[int | None, str], list[str]]:
    with transaction(factory) as s:
        out: dict[tuple[int | None, str], list[str]] = {}
        for a in s.scalars(select(Application).where(Application.origin == "offer")
                           .order_by(Application.id)):
            out.setdefault((a.org_id, a.measure), []).append(a.state)
        return out


def test_each_offer_holds_the_snapshot_its_own_case_gives(factory: sessionmaker[Session]) -> None:
    ids = generated(factory, n=60)
    flag(factory, "m01.new", "m01.existing")
    with transaction(factory) as s:
        matching.run(s, actor=OFFICE, year=2024, now=NOW)
    with transaction(factory) as s:
        offered = list(s.scalars(select(Application).where(Application.origin == "offer")))
        assert {(a.org_id, a.measure) for a in offered} >= {(ids["new"], "m01.new"),
                                                              (ids["existing"], "m01.existing")}
        for a in offered:
            org = s.get(Organisation, a.org_id)
            again = Application(org_id=a.org_id, person_id=None, measure=a.measure, year=2024,
                                item=a.item, origin="offer", state="offered",
                                facts=apps.prefill(s, org=org, person=None, year=2024))
            apps.take_snapshot(s, again)
            stored = (a.facts, a.sources, a.claims, a.item, a.ceiling_fen, a.result,
                      a.param_version, a.params)
            fresh = (again.facts, again.sources, again.claims, again.item, again.ceiling_fen,
                     again.result, again.param_version, again.params)
            assert list(stored) == json.loads(json.dumps(fresh))  # as stored: JSON keys are text
        actions = list(s.scalars(select(AuditEntry.action).where(
            AuditEntry.action == "application.offer")))
        assert len(actions) == len(offered)
        assert verify(s).ok  # the entries written in one flush chain as if written one by one


def test_a_second_run_makes_no_new_offer_and_a_declined_or_lapsed_one_is_not_made_again(
        factory: sessionmaker[Session]) -> None:
    ids = generated(factory, n=60)
    flag(factory, "m01.new", "m01.existing")
    with transaction(factory) as s:
        matching.run(s, actor=OFFICE, year=2024, now=NOW)
    first = offers_of(factory)
    assert first[ids["new"], "m01.new"] == ["offered"]
    with transaction(factory) as s:
        matching.run(s, actor=OFFICE, year=2024, now=NOW)
    assert offers_of(factory) == first  # open offers stand; none is made twice
    with transaction(factory) as s:  # the new chain leader declines; 5 working days pass
        app = s.scalar(select(Application).where(Application.org_id == ids["new"],
                                                 Application.origin == "offer"))
        assert app is not None
        app.state = "withdrawn"
    with transaction(factory) as s:  # Friday 7 March + 5 working days = Friday 14: lapsed on 20
        matching.run(s, actor=OFFICE, year=2024, now=datetime(2025, 3, 20, 9, 0, tzinfo=UTC))
    after = offers_of(factory)
    assert after[ids["new"], "m01.new"] == ["withdrawn"]
    assert after[ids["existing"], "m01.existing"] == ["lapsed"]
    assert set(after) == set(first)  # nothing new: every earlier offer is declined or lapsed
    assert all(states[-1] in ("withdrawn", "lapsed") for states in after.values())


def test_an_open_application_for_the_measure_stops_that_organisations_offer_only(
        factory: sessionmaker[Session]) -> None:
    ids = generated(factory, n=0)
    with transaction(factory) as s:  # applied for before the measure was flagged 免申即享
        s.add(Application(org_id=ids["existing"], measure="m01.existing", year=2024,
                          origin="application", state="in_review", facts={}))
    flag(factory, "m01.new", "m01.existing")
    with transaction(factory) as s:
        matching.run(s, actor=OFFICE, year=2024, now=NOW)
    assert offers_of(factory) == {(ids["new"], "m01.new"): ["offered"]}
