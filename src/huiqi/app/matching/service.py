"""Proactive matching (政策直享) and offers for measures granted without application (免申即享).

A run evaluates every registered organisation under every ceiling measure with the calculator's
engine and records what each appears to qualify for (eligible) or might with more facts
(incomplete). Many organisations go into one case — an introducer and the enterprises it
introduced must sit side by side for the combined calculation of （二） — in chunks that keep
each such group whole. Each run supersedes the earlier ones: reads show the latest run only.

Where the office has flagged a measure 免申即享, an eligible match becomes an offer: an
application the organisation does not fill in, only confirms within the offer period.

    run ──► matches ──(免申即享, eligible, nothing open)──► offered ──confirm──► approved ──► …
                                                           ├──decline──► withdrawn
                                                           └──(deadline passed)──► lapsed
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from huiqi.app.applications import evaluation
from huiqi.app.applications import service as apps
from huiqi.app.applications.lifecycle import Action, State, target
from huiqi.app.applications.models import Application, Step
from huiqi.app.audit.service import record
from huiqi.app.auth.roles import BUSINESS, SYSTEM, Actor, Role
from huiqi.app.db import utcnow
from huiqi.app.errors import Refused
from huiqi.app.matching.models import Match, MatchRun
from huiqi.app.notices import service as notices
from huiqi.app.parameters.service import current_version, policy_at
from huiqi.app.registry import accounts
from huiqi.app.registry import service as registry
from huiqi.app.registry.models import Organisation
from huiqi.app.registry.schemas import BankAccount
from huiqi.app.settings import service as settings
from huiqi.app.settings.models import MeasureConfig
from huiqi.calculator import InputError, calculate, parse_case
from huiqi.engine.explain import Result
from huiqi.engine.money import yuan_to_fen
from huiqi.engine.policy import MeasureKind, Policy

CHUNK = 2000  # organisations per case; 1,000 take about 1.3 s through the engine
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
    orgs = {o.uscc: o for o in session.scalars(select(Organisation).order_by(Organisation.id))}
    bens: list[dict[str, Any]] = []
    for o in orgs.values():
        tell("registry", len(bens), len(orgs))
        bens.append(registry.beneficiary(
            session, o, year, evaluation.ledger_history(session, org_id=o.id, person_id=None)))
    current = MatchRun(year=year, param_version=version, organisations=len(orgs), matches=0,
                       offers=0, started_by=actor.username, started_at=now)
    session.add(current)
    session.flush()
    configs: dict[str, MeasureConfig] = {}
    for result in _evaluate(pol, bens, year, lambda done: tell("matching", done, len(bens))):
        org = orgs[result.beneficiary]
        match = _match(current, org, result)
        if result.status == "eligible":
            if result.measure not in configs:
                configs[result.measure] = settings.measure_config(session, result.measure)
            cfg = configs[result.measure]
            if cfg.no_application:
                match.offer_id = _offer(session, actor=actor, org=org, result=result, year=year,
                                        cfg=cfg, now=now)
        session.add(match)
        current.matches += 1
        current.offers += match.offer_id is not None
    tell("writing", 0, 0)  # no count known: the bar pulses
    session.flush()
    record(session, actor=actor, action="matching.run", entity="match_run", entity_id=current.id,
           after={"year": year, "param_version": version, "organisations": current.organisations,
                  "matches": current.matches, "offers": current.offers}, at=now)
    notices.offer_deadlines(session, now=now)  # the scheduled run reminds holders of near deadlines
    return current


def _match(current: MatchRun, org: Organisation, result: Result) -> Match:
    return Match(run_id=current.id, org_id=org.id, measure=result.measure, item=result.item,
                 year=current.year, status=result.status,
                 ceiling_fen=None if result.ceiling is None else yuan_to_fen(result.ceiling),
                 missing=list(result.missing), reason_zh=result.reason("zh"),
                 reason_en=result.reason("en"), detail=result.to_json())


def _evaluate(pol: Policy, bens: list[dict[str, Any]], year: int,
              evaluated: Callable[[int], None]) -> Iterator[Result]:
    """The eligible and incomplete results of every ceiling measure, chunk by chunk, telling
    ``evaluated`` how many beneficiaries are done before each chunk."""
    measures = [mid for mid, t in pol.texts.items() if t.kind is MeasureKind.CEILING]
    done = 0
    for chunk in _chunks(bens, CHUNK):
        evaluated(done)
        done += len(chunk)
        try:
            case = parse_case({"year": year, "beneficiaries": chunk, "loans": []})
        except InputError as exc:
            raise Refused(f"registry: the registry's facts do not form a valid case: {exc}") from None
        for result in calculate(pol, case, year, measures=measures).results:
            if result.status in MATCHED:
                yield result


def _chunks(bens: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """Cases of about ``size`` beneficiaries, each introducer with every enterprise it introduced
    (and theirs, transitively) in the same case."""
    parent = {b["id"]: b["id"] for b in bens}

    def root(uscc: str) -> str:
        while parent[uscc] != uscc:
            parent[uscc] = parent[parent[uscc]]
            uscc = parent[uscc]
        return uscc

    for b in bens:
        introducer = b.get("introduced_by", {}).get("introducer")
        if introducer in parent:
            parent[root(b["id"])] = root(introducer)
    groups: dict[str, list[dict[str, Any]]] = {}
    for b in bens:
        groups.setdefault(root(b["id"]), []).append(b)
    chunk: list[dict[str, Any]] = []
    for group in groups.values():
        if chunk and len(chunk) + len(group) > size:
            yield chunk
            chunk = []
        chunk.extend(group)
    if chunk:
        yield chunk


def _offer(session: Session, *, actor: Actor, org: Organisation, result: Result, year: int,
           cfg: MeasureConfig, now: datetime) -> int | None:
    """Offer an eligible match to its organisation; None when it already holds an application or
    offer for it that is open, awarded or paid, or when its own case does not qualify."""
    held = evaluation.holding(session, org_id=org.id, person_id=None, measure=result.measure, year=year,
                        item=result.item)
    if held is not None or _closed_offer(session, org_id=org.id, measure=result.measure, year=year,
                                         item=result.item):
        return None
    app = Application(org_id=org.id, person_id=None, measure=result.measure, year=year,
                      item=result.item, origin="offer", state=State.OFFERED.value,
                      facts=apps.prefill(session, org=org, person=None, year=year),
                      created_at=now, updated_at=now)
    try:
        apps.take_snapshot(session, app)
    except Refused as exc:
        # its case alone (the organisation and those it introduced) differs from the run's
        record(session, actor=actor, action="offer.skipped", entity="organisation", entity_id=org.id,
               after={"measure": result.measure, "year": year, "item": result.item,
                      "reason": exc.message}, at=now)
        return None
    app.offer_deadline = settings.calendar(session).add(now.date(), cfg.offer_days)
    session.add(app)
    session.flush()
    session.add(Step(application_id=app.id, action="offer", from_state=None, to_state=app.state,
                     actor=actor.username, at=now))
    record(session, actor=actor, action="application.offer", entity="application", entity_id=app.id,
           after={"measure": app.measure, "year": year, "item": app.item, "org_id": org.id,
                  "ceiling_fen": app.ceiling_fen, "param_version": app.param_version,
                  "offer_deadline": app.offer_deadline.isoformat()}, at=now)
    return app.id


def _closed_offer(session: Session, *, org_id: int, measure: str, year: int, item: str | None) -> bool:
    """An offer for the same thing that lapsed or was declined is not made again: the deadline
    means something, and the organisation is not asked run after run."""
    stmt = select(Application.id).where(
        Application.org_id == org_id, Application.measure == measure, Application.year == year,
        Application.origin == "offer", Application.state.in_((State.LAPSED.value, State.WITHDRAWN.value)))
    if item is not None:
        stmt = stmt.where(Application.item == item)
    return session.scalar(stmt.limit(1)) is not None


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
    rows = session.execute(select(Match.measure, Match.status, Match.ceiling_fen, Match.offer_id)
                           .where(Match.run_id == run_id))
    tally: dict[str, list[int]] = {}
    for measure, status, ceiling_fen, offer_id in rows:
        t = tally.setdefault(measure, [0, 0, 0, 0, 0])
        t[0] += 1
        t[1 if status == "eligible" else 2] += 1
        t[3] += ceiling_fen or 0
        t[4] += offer_id is not None
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
