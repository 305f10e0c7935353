"""Proactive matching (政策直享) and offers for measures granted without application (免申即享).

A run evaluates every registered organisation under every ceiling measure with the calculator's
compiled measures and records what each appears to qualify for (eligible) or might with more
facts (incomplete). The registry is read a table at a time (``registry.bulk``) and evaluated as
one population by the batch path (``batch``) — an introducer and the enterprises it introduced
sit side by side for the combined calculation of （二） — and the matches are written in bulk
(``writing``). Each run supersedes the earlier ones: reads show the latest run only.

Where the office has flagged a measure 免申即享, an eligible match becomes an offer: an
application the organisation does not fill in, only confirms within the offer period.

    run ──► matches ──(免申即享, eligible, nothing open)──► offered ──confirm──► approved ──► …
                                                           ├──decline──► withdrawn
                                                           └──(deadline passed)──► lapsed
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from huiqi.app.applications import evaluation, provenance
from huiqi.app.applications import service as apps
from huiqi.app.applications.lifecycle import Action, State, target
from huiqi.app.applications.models import Application, Step
from huiqi.app.audit.service import record, record_many
from huiqi.app.auth.roles import BUSINESS, SYSTEM, Actor, Role
from huiqi.app.copying import copy_rows, next_ids
from huiqi.app.db import utcnow
from huiqi.app.errors import Refused
from huiqi.app.matching import batch
from huiqi.app.matching.models import Match, MatchRun
from huiqi.app.matching.writing import insert_matches
from huiqi.app.notices import service as notices
from huiqi.app.parameters.service import current_version, policy_at, snapshot
from huiqi.app.registry import accounts, bulk
from huiqi.app.registry.models import Organisation
from huiqi.app.registry.schemas import BankAccount
from huiqi.app.settings import service as settings
from huiqi.app.settings.models import MeasureConfig
from huiqi.engine.policy import Policy

# told (stage, done, total) as a run goes: the command line draws it as a progress bar
Progress = Callable[[str, int, int], None]
MATCHED = ("eligible", "incomplete")
RUN_LOCK = 8809  # one run at a time on PostgreSQL (SQLite's BEGIN IMMEDIATE queues writers already)


class OfferLapsed(Refused):
    """The time to confirm has passed: the offer is now lapsed, a change the caller keeps."""


@dataclass(frozen=True)
class MeasureLine:
    """One measure's share of a run."""

    measure: str
    matches: int
    eligible: int
    incomplete: int
    ceiling_fen: int  # Σ ceilings of the eligible matches
    offers: int  # offers this run made


def run(session: Session, *, actor: Actor, year: int, now: datetime | None = None,
        progress: Progress | None = None) -> MatchRun:
    """Lapse expired offers, match every organisation under every ceiling measure, make offers
    for the 免申即享 measures (the office, or the system on schedule)."""
    now = now or utcnow()
    tell = progress or (lambda stage, done, total: None)
    actor.require(Role.OFFICE)
    version = current_version(session)
    pol = policy_at(session, version)
    if year < pol.effective.year:
        raise Refused(f"year: the measures apply from {pol.effective}, not to {year}")
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({RUN_LOCK})"))
    lapse_expired(session, actor=actor, today=now.date(), now=now)
    total = session.scalar(select(func.count()).select_from(Organisation)) or 0
    tell("registry", 0, total)
    population = batch.read(session, year, lambda done: tell("registry", done, total))
    current = MatchRun(year=year, param_version=version, organisations=len(population.org_ids),
                       matches=0, offers=0, started_by=actor.username, started_at=now)
    session.add(current)
    session.flush()
    tell("matching", 0, 0)  # one query over every organisation: the bar pulses
    compiled = batch.compiled_for(pol, year)
    rows = batch.evaluate(compiled, population)
    explained = batch.Explanations(compiled)
    found = [explained(row) for row in rows]
    configs = {m: settings.measure_config(session, m)
               for m in {row[1] for row in rows if row[3] == "eligible"}}
    candidates = [i for i, row in enumerate(rows)
                  if row[3] == "eligible" and configs[row[1]].no_application]
    tell("offers", 0, len(candidates))
    offered = _offers(session, actor=actor, pol=pol, version=version, year=year, now=now,
                      population=population, rows=rows, found=found, candidates=candidates,
                      configs=configs)
    tell("writing", 0, 0)  # no count known: the bar pulses
    org_ids = population.org_ids
    insert_matches(session, (
        (current.id, org_ids[row[0]], row[1], row[2], year, row[3], row[4], f.missing,
         f.reason_zh, f.reason_en, offered.get(i), batch.stored(row))
        for i, (row, f) in enumerate(zip(rows, found, strict=True))))
    current.matches, current.offers = len(rows), len(offered)
    session.flush()
    record(session, actor=actor, action="matching.run", entity="match_run", entity_id=current.id,
           after={"year": year, "param_version": version, "organisations": current.organisations,
                  "matches": current.matches, "offers": current.offers}, at=now)
    notices.offer_deadlines(session, now=now)  # the scheduled run reminds holders of near deadlines
    return current


def _offers(session: Session, *, actor: Actor, pol: Policy, version: int, year: int,
            now: datetime, population: batch.Population, rows: list[batch.Row],
            found: list[batch.Explained], candidates: list[int],
            configs: dict[str, MeasureConfig]) -> dict[int, int]:
    """Offer the eligible matches ``candidates`` (indexes into ``rows``) to their organisations,
    except where one already holds an application or offer for the same thing that is open,
    awarded or paid, or an offer that lapsed or was declined; row index → the offer's id.

    The offer's snapshot is the run's own row — the same compiled measures over the same
    registry facts — not a second evaluation of the organisation's case."""
    org_ids = population.org_ids
    blocked = _Blocked(session, year=year, measures=sorted({rows[i][1] for i in candidates}))
    chosen = []
    for i in candidates:
        uscc, measure, item = rows[i][0], rows[i][1], rows[i][2]
        if not blocked.holds(org_ids[uscc], measure, item):
            blocked.add(org_ids[uscc], measure, item)  # a row twice (a title recognised twice)
            chosen.append(i)
    # each organisation's own registry facts: what ``apps.prefill`` gives an offer
    own: dict[int, dict[str, Any]] = {}
    histories = evaluation.ledger_histories(session)
    for ids, bens in bulk.beneficiaries(session, year, histories,
                                        only={org_ids[rows[i][0]] for i in chosen}):
        own.update(zip(ids, bens, strict=True))
    params = snapshot(pol, year)
    cal = settings.calendar(session)
    deadlines = {m: cal.add(now.date(), cfg.offer_days) for m, cfg in configs.items()}
    made: dict[int, Application] = {}
    skipped = []
    for i in chosen:
        uscc, measure = rows[i][0], rows[i][1]
        f = found[i]
        org_id = org_ids[uscc]
        if rows[i][4] is None:  # eligible with no computed sum: nothing to offer
            skipped.append((org_id, None, {
                "measure": measure, "year": year, "item": f.result.item,
                "reason": f"not eligible as the facts stand: {evaluation.reason(f.of(uscc))}"}))
            continue
        ben = own[org_id]
        vouched = provenance.organisation(ben, ben)
        made[i] = Application(
            org_id=org_id, person_id=None, measure=measure, year=year, item=f.result.item,
            origin="offer", state=State.OFFERED.value,
            facts={"year": year, "beneficiaries": [vouched.beneficiary], "loans": []},
            sources={uscc: vouched.sources}, claims=[], ceiling_fen=rows[i][4],
            result=f.of(uscc).to_json(), param_version=version, params=params,
            offer_deadline=deadlines[measure], created_at=now, updated_at=now)
    if skipped:
        record_many(session, actor=actor, action="offer.skipped", entity="organisation",
                    entries=skipped, at=now)
    apps_made = list(made.values())
    _insert_offers(session, apps_made, actor=actor, now=now)
    record_many(session, actor=actor, action="application.offer", entity="application", entries=[
        (a.id, None, {"measure": a.measure, "year": year, "item": a.item, "org_id": a.org_id,
                      "ceiling_fen": a.ceiling_fen, "param_version": a.param_version,
                      "offer_deadline": a.offer_deadline.isoformat() if a.offer_deadline else None})
        for a in apps_made], at=now)
    return {i: a.id for i, a in made.items()}


OFFER_COLUMNS = ("id", "org_id", "measure", "year", "item", "origin", "state", "facts", "sources",
                 "claims", "round", "ceiling_fen", "result", "param_version", "params",
                 "appealed", "offer_deadline", "created_at", "updated_at", "version")


def _insert_offers(session: Session, made: list[Application], *, actor: Actor,
                   now: datetime) -> None:
    """The offers and their first steps, given their ids: COPYed on PostgreSQL (the ORM's
    many-row INSERT of their JSON costs more than making them), added through the ORM elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        session.add_all(made)
        session.flush()
        session.add_all([Step(application_id=a.id, action="offer", from_state=None,
                              to_state=a.state, actor=actor.username, at=now) for a in made])
        return
    at = now.astimezone(UTC).replace(tzinfo=None)  # as ``db.UTCDateTime`` stores it
    for a, new_id in zip(made, next_ids(session, "applications", len(made)), strict=True):
        a.id = new_id
    copy_rows(session, "applications", OFFER_COLUMNS, (
        (a.id, a.org_id, a.measure, a.year, a.item, a.origin, a.state, json.dumps(a.facts),
         json.dumps(a.sources), json.dumps(a.claims), 0, a.ceiling_fen, json.dumps(a.result),
         a.param_version, json.dumps(a.params), False, a.offer_deadline, at, at, 1)
        for a in made))
    copy_rows(session, "application_steps",
              ("application_id", "action", "from_state", "to_state", "actor", "at"),
              ((a.id, "offer", None, a.state, actor.username, at) for a in made))


class _Blocked:
    """What stops an offer, read in one query: an application or offer for the same measure,
    year and item that is open, awarded or paid (``evaluation.holding``: one not tied to an
    item stands for every item), or an offer that lapsed or was declined — the deadline means
    something, and the organisation is not asked run after run."""

    def __init__(self, session: Session, *, year: int, measures: list[str]) -> None:
        closed = (State.LAPSED.value, State.WITHDRAWN.value)
        self.held: dict[tuple[int, str], set[str | None]] = {}
        self.closed: dict[tuple[int, str], set[str | None]] = {}
        if not measures:
            return
        for org_id, measure, item, state, origin in session.execute(
                select(Application.org_id, Application.measure, Application.item,
                       Application.state, Application.origin)
                .where(Application.year == year, Application.measure.in_(measures),
                       Application.org_id.is_not(None),
                       Application.state.in_(evaluation.HELD)
                       | ((Application.origin == "offer") & Application.state.in_(closed)))):
            if org_id is None:
                continue
            if state in evaluation.HELD:
                self.add(org_id, measure, item)
            if origin == "offer" and state in closed:
                self.closed.setdefault((org_id, measure), set()).add(item)

    def add(self, org_id: int, measure: str, item: str | None) -> None:
        self.held.setdefault((org_id, measure), set()).add(item)

    def holds(self, org_id: int, measure: str, item: str | None) -> bool:
        held = self.held.get((org_id, measure), set())
        closed = self.closed.get((org_id, measure), set())
        if item is None:
            return bool(held or closed)
        return item in held or None in held or item in closed


def explanation(session: Session, match: Match) -> dict[str, Any] | None:
    """A match's full explanation (``Result.to_json``), built from the row it keeps with the
    parameters of its run."""
    if match.detail is None or "row" not in match.detail:
        return match.detail  # kept whole by runs before rows were kept
    current = session.get(MatchRun, match.run_id)
    org = session.get(Organisation, match.org_id)
    assert current is not None and org is not None
    compiled = batch.compiled_for(policy_at(session, current.param_version), match.year)
    return batch.explained(compiled, org.uscc, match.detail)


def lapse_expired(session: Session, *, actor: Actor, today: date, now: datetime | None = None) -> int:
    """Move every offer not confirmed by its deadline to lapsed; the number lapsed."""
    actor.require(Role.OFFICE)
    expired = list(session.scalars(select(Application).where(
        Application.state == State.OFFERED, Application.offer_deadline < today).order_by(Application.id)))
    for app in expired:
        apps.move(session, actor=actor, app=app, action=Action.LAPSE, now=now,
                  note=f"not confirmed by {app.offer_deadline}")
    return len(expired)


def confirm(session: Session, *, actor: Actor, application_id: int, willing: bool,
            bank_account: BankAccount | None, signatory: str, reason: str | None = None,
            now: datetime | None = None) -> Application:
    """Accept an offer — the account in the organisation's own name, the commitment signed — so it
    awaits the office's decision like an approved application; or decline it (the applicant).
    An account other than the confirmed one is a change waiting for the office (``accounts``);
    a decline may say why (kept with the step, for the office's review of the measure)."""
    now = now or utcnow()
    actor.require(Role.APPLICANT)
    app = apps.get(session, actor=actor, application_id=application_id)
    if app.origin != "offer":
        raise Refused(f"application {app.id} was applied for, not offered; submit it instead")
    target(app.state, Action.CONFIRM)
    assert app.offer_deadline is not None and app.org_id is not None
    if now.date() > app.offer_deadline:
        apps.move(session, actor=SYSTEM, app=app, action=Action.LAPSE, now=now,
                  note=f"not confirmed by {app.offer_deadline}")
        raise OfferLapsed(f"offer lapsed on {now.date()}: it was to be confirmed by "
                          f"{app.offer_deadline}")
    if not signatory.strip():
        raise Refused("signatory: name the person who signs for the organisation")
    if not willing:
        why = (reason or "").strip()
        apps.move(session, actor=actor, app=app, action=Action.WITHDRAW, now=now,
                  note=f"offer declined by {signatory}" + (f": {why}" if why else ""))
        return app
    org = session.get(Organisation, app.org_id)
    assert org is not None
    if bank_account is None:  # the registered account, confirmed earlier: nothing to re-type
        if org.account_no_enc is None:
            raise Refused("bank_account: no account is registered; give the account the award is "
                          "to be paid into")
    else:
        if bank_account.account_name != org.name:
            raise Refused(f"bank_account.account_name: {bank_account.account_name!r} is not the "
                          f"registered name {org.name!r}; awards are paid only into an account in "
                          "the organisation's own name")
        # another payout account waits for the office's confirmation; payment goes to the confirmed one
        accounts.request(session, actor=actor, holder=org, account=bank_account)
    app.commitment = {"accepted": True, "signatory": signatory, "at": now.isoformat(),
                      "text_zh": apps.COMMITMENT_ZH, "text_en": apps.COMMITMENT_EN}
    app.submitted_at = now
    apps.move(session, actor=actor, app=app, action=Action.CONFIRM, now=now,
              note=f"confirmed by {signatory}")
    return app


def latest_run(session: Session, *, year: int | None = None) -> MatchRun | None:
    """The run whose matches stand (of ``year``, or of any year)."""
    stmt = select(MatchRun)
    if year is not None:
        stmt = stmt.where(MatchRun.year == year)
    return session.scalars(stmt.order_by(MatchRun.id.desc()).limit(1)).first()


def matches(session: Session, *, actor: Actor, year: int | None = None, measure: str | None = None,
            status: str | None = None, org_id: int | None = None, limit: int = 100,
            offset: int = 0) -> list[Match]:
    """The latest run's matches: an applicant sees its own organisation's; staff all, but the
    administrator none (the figures are application content)."""
    if actor.role is Role.APPLICANT:
        if org_id is not None:
            actor.check_can_see(org_id=org_id)
        if actor.org_id is None:
            return []
        org_id = actor.org_id
    else:
        actor.require(Role.REVIEWER, Role.OFFICE, Role.FINANCE, Role.AUDITOR)
    latest = latest_run(session, year=year)
    if latest is None:
        return []
    stmt = select(Match).where(Match.run_id == latest.id)
    if measure:
        stmt = stmt.where(Match.measure == measure)
    if status:
        stmt = stmt.where(Match.status == status)
    if org_id is not None:
        stmt = stmt.where(Match.org_id == org_id)
    return list(session.scalars(stmt.order_by(Match.id).limit(limit).offset(offset)))


def runs(session: Session, *, actor: Actor, limit: int = 20) -> list[MatchRun]:
    """Runs, newest first (the office, auditors)."""
    actor.require(Role.OFFICE, Role.AUDITOR)
    return list(session.scalars(select(MatchRun).order_by(MatchRun.id.desc()).limit(limit)))


def summary(session: Session, *, run_id: int) -> list[MeasureLine]:
    """Per measure, in the order of the text: matches, eligible, incomplete, Σ ceilings, offers."""
    tally: dict[str, list[int]] = {}
    for measure, status, n, ceilings, offered in session.execute(
            select(Match.measure, Match.status, func.count(), func.sum(Match.ceiling_fen),
                   func.count(Match.offer_id))
            .where(Match.run_id == run_id).group_by(Match.measure, Match.status)):
        t = tally.setdefault(measure, [0, 0, 0, 0, 0])
        t[0] += n
        t[1 if status == "eligible" else 2] += n
        t[3] += int(ceilings or 0)
        t[4] += offered
    order = list(policy_at(session).texts)
    return [MeasureLine(m, *tally[m]) for m in sorted(tally, key=order.index)]


def offers(session: Session, *, actor: Actor, state: str | None = None, measure: str | None = None,
           limit: int = 100, offset: int = 0) -> list[Application]:
    """Offers: an applicant sees its own organisation's, business staff all (administrators none)."""
    stmt = select(Application).where(Application.origin == "offer")
    if actor.role is Role.APPLICANT:
        if actor.org_id is None:
            return []
        stmt = stmt.where(Application.org_id == actor.org_id)
    else:
        actor.require(*BUSINESS)
    if state:
        stmt = stmt.where(Application.state == state)
    if measure:
        stmt = stmt.where(Application.measure == measure)
    return list(session.scalars(stmt.order_by(Application.id).limit(limit).offset(offset)))
