"""Applications: start (pre-filled), complete, submit with a commitment, review in parallel,
decide within the ceiling, appeal once, withdraw. Every transition goes through ``_move``."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from huiqi.app.applications import evaluation, provenance, rules
from huiqi.app.applications.lifecycle import Action, State, target
from huiqi.app.applications.models import Application, Decision, Review, Step
from huiqi.app.audit.service import record
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import service as budget
from huiqi.app.db import utcnow
from huiqi.app.errors import Conflict, Forbidden, NotFound, Refused
from huiqi.app.members import consents
from huiqi.app.members import service as members
from huiqi.app.notices import service as notices
from huiqi.app.parameters.service import current_version, policy, policy_at, snapshot
from huiqi.app.registry import service as registry
from huiqi.app.registry.models import Organisation, Person
from huiqi.app.settings import service as settings
from huiqi.engine.explain import Result
from huiqi.engine.money import fen_to_yuan, yuan_to_fen

READERS = (Role.APPLICANT, Role.REVIEWER, Role.OFFICE, Role.FINANCE, Role.AUDITOR)
COMMITMENT_ZH = ("本单位（本人）承诺所填报信息真实、准确、完整，符合申报条件；如有虚假，"
                 "愿承担相应法律责任并退回所获资金。")
COMMITMENT_EN = ("We (I) undertake that the information given is true, accurate and complete and that "
                 "the conditions are met; if any of it is false we accept legal liability and will "
                 "return the funds received.")


def _for(actor: Actor, app: Application) -> int | None:
    """The organisation a service-centre officer acts for; None when the actor acts for itself."""
    return app.org_id if actor.role is Role.SERVICE else None


def move(session: Session, *, actor: Actor, app: Application, action: Action,
          note: str | None = None, now: datetime | None = None) -> None:
    """Apply one transition of the state machine, record the step (who acted, and for whom) and
    audit it."""
    now = now or utcnow()
    to = target(app.state, action)
    last = session.scalar(select(Step).where(Step.application_id == app.id)
                          .order_by(Step.id.desc()).limit(1))
    elapsed = (settings.calendar(session).between(last.at.date(), now.date())
               if last is not None else None)
    before = app.state
    app.state, app.updated_at = to.value, now
    session.add(Step(application_id=app.id, action=action.value, from_state=before,
                     to_state=to.value, actor=actor.username, on_behalf_of=_for(actor, app), at=now,
                     elapsed_days=elapsed, note=note))
    app_id = app.id
    try:
        session.flush()  # UPDATE … WHERE version = the version read: a concurrent change fails it
    except StaleDataError:
        raise Conflict(f"application {app_id} was changed by someone else at the same moment; "
                       "reload it and try again") from None
    record(session, actor=actor, action=f"application.{action.value}", entity="application",
           entity_id=app.id, before={"state": before},
           after={"state": to.value, "note": note, "on_behalf_of": _for(actor, app)}, at=now)


def get(session: Session, *, actor: Actor, application_id: int, for_change: bool = False,
        hide: bool = False) -> Application:
    """One application, if the actor may see it: applicants their own, reviewers those their
    department reviews; the administrator decides and reads none. ``for_change`` locks the row
    and reads it afresh, so that two people acting on it at once take turns. ``hide``: another
    beneficiary's application reads as not found (the wizard's pages and documents). A
    service-centre officer sees an organisation's application while the organisation's consent
    covers it."""
    if actor.role is not Role.SERVICE:
        actor.require(*READERS)
    app = session.get(Application, application_id, with_for_update=True if for_change else None,
                      populate_existing=for_change)
    if app is None:
        raise NotFound(f"application {application_id} not found")
    if hide and actor.role is Role.APPLICANT and not actor.owns(org_id=app.org_id, person_id=app.person_id):
        raise NotFound(f"application {application_id} not found")
    if actor.role is Role.SERVICE:
        if app.org_id is None:
            raise Forbidden("a service-centre officer acts only for organisations")
        consents.covering(session, actor=actor, org_id=app.org_id, measure=app.measure)
        return app
    actor.check_can_see(org_id=app.org_id, person_id=app.person_id)
    if actor.role is Role.REVIEWER and session.scalar(select(Review.id).where(
            Review.application_id == app.id, Review.department == actor.department).limit(1)) is None:
        raise Forbidden(f"department {actor.department} does not review application {app.id}")
    return app


def own(session: Session, *, actor: Actor, application_id: int, for_change: bool = False) -> Application:
    """The application this applicant works on (the wizard, its documents): whose it is, and
    whether this user may work on it. Today an applicant user works on its own organisation's
    (or its own person's) applications; another's reads as not found."""
    actor.require(Role.APPLICANT)
    return get(session, actor=actor, application_id=application_id, for_change=for_change, hide=True)


def listing(session: Session, *, actor: Actor, state: str | None = None, measure: str | None = None,
            limit: int = 100, offset: int = 0) -> list[Application]:
    """Applicants see their own; reviewers those their department reviews; others all."""
    actor.require(*READERS)
    stmt = select(Application).order_by(Application.id)
    if actor.role is Role.APPLICANT:
        stmt = stmt.where(Application.org_id == actor.org_id) if actor.org_id is not None else stmt.where(
            Application.person_id == actor.person_id)
    elif actor.role is Role.REVIEWER:
        stmt = stmt.where(Application.id.in_(select(Review.application_id)
                                             .where(Review.department == actor.department)))
    if state:
        stmt = stmt.where(Application.state == state)
    if measure:
        stmt = stmt.where(Application.measure == measure)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def assisted(session: Session, *, actor: Actor, org_id: int) -> list[Application]:
    """The organisation's drafts and prepared applications that its consent lets the officer see."""
    consents.covering(session, actor=actor, org_id=org_id)
    apps = session.scalars(select(Application).where(
        Application.org_id == org_id, Application.state.in_([State.DRAFT.value, State.PREPARED.value]))
        .order_by(Application.id))
    return [a for a in apps if _covered(session, actor, a)]


def _covered(session: Session, actor: Actor, app: Application) -> bool:
    try:
        consents.covering(session, actor=actor, org_id=app.org_id or 0, measure=app.measure)
    except Forbidden:
        return False
    return True


def prefill(session: Session, *, org: Organisation | None, person: Person | None,
            year: int) -> dict[str, Any]:
    """A case file from the registry with the beneficiary's own facts only: the enterprises an
    introducer brought in are added when the engine runs, never shown to the introducer."""
    if person is not None:
        hist = evaluation.ledger_history(session, org_id=None, person_id=person.id)
        return {"year": year, "beneficiaries": [registry.person_beneficiary(session, person, year, hist)]}
    assert org is not None
    own = registry.beneficiary(session, org, year,
                               evaluation.ledger_history(session, org_id=org.id, person_id=None))
    return {"year": year, "beneficiaries": [own], "loans": []}


def start(session: Session, *, actor: Actor, measure: str, year: int, item: str | None = None,
          org_id: int | None = None, person_id: int | None = None) -> Application:
    """Open a draft for a measure and year, its facts pre-filled from the registry (applicant; or a
    service-centre officer for ``org_id``, with the organisation's live consent for the measure)."""
    actor.require(Role.APPLICANT, Role.SERVICE)
    if actor.role is Role.SERVICE:
        if org_id is None or person_id is not None:
            raise Forbidden("org_id: a service-centre officer names the organisation it acts for")
        consents.covering(session, actor=actor, org_id=org_id, measure=measure)
    else:
        org_id = actor.org_id if org_id is None and person_id is None else org_id
        person_id = actor.person_id if org_id is None and person_id is None else person_id
        if not actor.owns(org_id=org_id, person_id=person_id):
            raise Forbidden("an applicant applies only for its own organisation")
    pol = policy()
    if measure not in pol.measures:
        raise Refused(f"measure: unknown measure id {measure!r}; see GET /measures")
    if pol.texts[measure].kind.value not in ("ceiling",):
        raise Refused(f"measure: {measure} is a service or programme, not a sum to apply for")
    if year < pol.effective.year:
        raise Refused(f"year: the measures apply from {pol.effective}")
    if settings.measure_config(session, measure).no_application:
        raise Refused(f"measure: {measure} is granted without application (免申即享): "
                      "eligible organisations receive an offer to confirm")
    org = session.get(Organisation, org_id) if org_id is not None else None
    person = session.get(Person, person_id) if person_id is not None else None
    if org is None and person is None:
        raise NotFound("the applicant's organisation or person record is not in the registry")
    kind = org.kind if org is not None else "person"
    if kind not in pol.measures[measure].source.kinds:
        raise Refused(f"measure: {measure} is not for a beneficiary of kind {kind}")
    _refuse_duplicate(session, org_id=org_id, person_id=person_id, measure=measure, year=year, item=item)
    app = Application(org_id=org_id, person_id=person_id, measure=measure, year=year, item=item,
                      origin="application", state=State.DRAFT.value,
                      facts=prefill(session, org=org, person=person, year=year))
    session.add(app)
    session.flush()
    session.add(Step(application_id=app.id, action="create", from_state=None, to_state=app.state,
                     actor=actor.username, on_behalf_of=_for(actor, app)))
    record(session, actor=actor, action="application.create", entity="application", entity_id=app.id,
           after={"measure": measure, "year": year, "item": item, "org_id": org_id,
                  "person_id": person_id, "on_behalf_of": _for(actor, app)})
    return app


def _refuse_duplicate(session: Session, *, org_id: int | None, person_id: int | None, measure: str,
                      year: int, item: str | None) -> None:
    other = evaluation.holding(session, org_id=org_id, person_id=person_id, measure=measure,
                               year=year, item=item)
    if other is not None:
        raise Conflict(f"application {other.id} for {measure} {year} is already {other.state}; "
                       "continue that one")


def update_facts(session: Session, *, actor: Actor, application_id: int,
                 facts: dict[str, Any]) -> Application:
    """Replace the draft's facts (applicant, while draft or returned; a service-centre officer with
    consent, while draft); checked against the schema."""
    app = get(session, actor=actor, application_id=application_id, for_change=True)
    actor.require(Role.APPLICANT, Role.SERVICE)
    editable = (State.DRAFT,) if actor.role is Role.SERVICE else (State.DRAFT, State.RETURNED)
    if app.state not in editable:
        raise Conflict(f"state: facts can be changed while {' or '.join(editable)}, not {app.state}")
    evaluation.evaluate(session, app, policy_at(session), facts)  # refuses bad facts by field now
    kept, sources, claims = evaluation.vouched(session, app, facts)
    record(session, actor=actor, action="application.facts", entity="application", entity_id=app.id,
           before={"facts": app.facts, "claims": app.claims},
           after={"facts": kept, "claims": claims, "on_behalf_of": _for(actor, app)})
    app.facts, app.sources, app.claims, app.updated_at = kept, sources, claims, utcnow()
    session.flush()
    return app


def set_fact(session: Session, *, actor: Actor, application_id: int, path: str,
             value: str) -> Application:
    """One fact of the applicant's own beneficiary (a dotted path, as the case schema names it),
    the other facts kept: the wizard's one question per page."""
    app = own(session, actor=actor, application_id=application_id)
    facts = copy.deepcopy(app.facts)
    mine = evaluation.beneficiary_id(session, app)
    ben = next((b for b in facts.get("beneficiaries", []) if b.get("id") == mine), None)
    if ben is None:
        raise Refused(f"facts.beneficiaries: the applicant {mine} is not among the beneficiaries")
    *parents, leaf = path.split(".")
    node = ben
    for key in parents:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise Refused(f"{path}: not a place for a value")
    node[leaf] = value
    return update_facts(session, actor=actor, application_id=application_id, facts=facts)


@dataclass(frozen=True)
class Assessment:
    """The engine's view of an application as its facts stand now (nothing is kept): the result
    row, or why there is none; where each of the applicant's facts comes from."""

    result: Result | None
    refusal: str | None
    sources: dict[str, str]


def assess(session: Session, *, actor: Actor, application_id: int) -> Assessment:
    app = get(session, actor=actor, application_id=application_id, hide=True)
    _, sources, _ = evaluation.vouched(session, app, app.facts)
    mine = sources.get(evaluation.beneficiary_id(session, app), {})
    try:
        result = estimate(session, app)
    except Refused as exc:
        return Assessment(None, exc.message, mine)
    return Assessment(result, None, mine)


def sign(session: Session, *, actor: Actor, application_id: int, accept: bool,
         signatory: str, now: datetime | None = None) -> Application:
    """Sign the commitment (告知承诺) for the next submission: the one place that decides who
    may sign for the applicant. ``submit`` takes the signature from here."""
    now = now or utcnow()
    app = own(session, actor=actor, application_id=application_id, for_change=True)
    if app.state not in (State.DRAFT, State.RETURNED):
        raise Conflict(f"state: the commitment is signed while draft or returned, not {app.state}")
    refusal = members.may_sign(session, actor=actor, org_id=app.org_id, person_id=app.person_id)
    if refusal is not None:  # a clerk without the signing right learns it here, not at submission
        raise Forbidden(f"signatory: {refusal}")
    signatory = " ".join(signatory.split())
    if not signatory:
        raise Refused("signatory: name the person who signs (签署人)")
    if len(signatory) > 60:
        raise Refused("signatory: at most 60 characters")
    if not accept:
        raise Refused("accept_commitment: the commitment (告知承诺) must be accepted to submit")
    app.commitment = {"accepted": True, "signatory": signatory, "at": now.isoformat(),
                      "text_zh": COMMITMENT_ZH, "text_en": COMMITMENT_EN, "for_round": app.round + 1}
    record(session, actor=actor, action="application.sign", entity="application", entity_id=app.id,
           after={"signatory": signatory, "for_round": app.round + 1}, at=now)
    session.flush()
    return app


def signed(app: Application) -> dict[str, Any] | None:
    """The commitment signed for the coming submission, if any (one signed for an earlier round
    does not count: a returned application is signed again)."""
    c = app.commitment or {}
    return c if c.get("accepted") and c.get("for_round") == app.round + 1 else None


def prepared_by(session: Session, app: Application) -> str | None:
    """The service-centre officer who marked the application ready, while it awaits confirmation."""
    if app.state != State.PREPARED:
        return None
    return session.scalar(select(Step.actor).where(Step.application_id == app.id,
                                                   Step.action == Action.PREPARE.value)
                          .order_by(Step.id.desc()).limit(1))


def estimate(session: Session, app: Application) -> Result:
    """The engine's result for the application as its facts stand (nothing kept; the registry's
    facts over what was typed, as ``evaluate`` always takes them): what is shown before signing."""
    return evaluation.pick(evaluation.evaluate(session, app, policy_at(session), app.facts), app.item)


def prepare(session: Session, *, actor: Actor, application_id: int,
            now: datetime | None = None) -> Application:
    """The service-centre officer marks a draft ready for the enterprise's confirmation (帮办); it
    submits nothing. Refused while the facts do not qualify, saying why."""
    actor.require(Role.SERVICE)
    app = get(session, actor=actor, application_id=application_id, for_change=True)
    target(app.state, Action.PREPARE)
    result = estimate(session, app)
    if result.status != "eligible":
        raise Refused(f"not eligible as the facts stand: {evaluation.reason(result)}")
    move(session, actor=actor, app=app, action=Action.PREPARE, now=now,
         note="待企业确认 awaiting the enterprise's confirmation")
    return app


def submit(session: Session, *, actor: Actor, application_id: int, accept_commitment: bool,
           signatory: str, now: datetime | None = None) -> Application:
    """Sign the commitment (告知承诺), compute and snapshot the ceiling, open the parallel review.
    Only a user who may sign for the organisation does (``members.may_sign``); an application the
    service centre prepared is confirmed this way."""
    now = now or utcnow()
    app = get(session, actor=actor, application_id=application_id, for_change=True)
    actor.require(Role.APPLICANT)
    target(app.state, Action.SUBMIT)
    refusal = members.may_sign(session, actor=actor, org_id=app.org_id, person_id=app.person_id)
    if refusal is not None:
        raise Forbidden(f"signatory: {refusal}")
    if not accept_commitment:
        raise Refused("accept_commitment: the commitment (告知承诺) must be accepted to submit")
    officer = prepared_by(session, app)
    take_snapshot(session, app)
    app.commitment = {"accepted": True, "signatory": signatory, "signed_by": actor.username,
                      "prepared_by": officer, "at": now.isoformat(),
                      "text_zh": COMMITMENT_ZH, "text_en": COMMITMENT_EN}
    app.submitted_at = now
    app.round += 1
    move(session, actor=actor, app=app, action=Action.SUBMIT, now=now,
         note=f"ceiling {fen_to_yuan(app.ceiling_fen or 0)} (parameters v{app.param_version})"
         + (f"; prepared by {officer} (帮办), confirmed by {actor.username}" if officer else ""))
    cfg = settings.measure_config(session, app.measure)
    due = settings.calendar(session).add(now.date(), cfg.review_days)
    for dept in cfg.departments:
        session.add(Review(application_id=app.id, round=app.round, department=dept, started_at=now,
                           due_on=due))
    session.flush()
    return app


def take_snapshot(session: Session, app: Application) -> None:
    """Compute the ceiling with the parameters in force now and keep it with the explanation and
    the parameter values and version, or refuse saying why the facts do not qualify."""
    version = current_version(session)
    pol = policy_at(session, version)
    kept, app.sources, _ = evaluation.vouched(session, app, app.facts)
    app.facts = kept
    app.claims = provenance.refresh(app.claims or [], {b["id"]: b for b in kept["beneficiaries"]})
    result = evaluation.pick(evaluation.evaluate(session, app, pol, app.facts), app.item)
    if result.status != "eligible" or result.ceiling is None:
        waiting = [c["field"] for c in app.claims if c["status"] != "confirmed"]
        raise Refused(f"not eligible as the facts stand: {evaluation.reason(result)}"
                      + (f"; claimed but not in the registry (not counted until the office records "
                         f"them / 登记前不予计入): {', '.join(waiting)}" if waiting else ""))
    app.item = result.item
    app.ceiling_fen = yuan_to_fen(result.ceiling)
    app.result = result.to_json()
    app.param_version, app.params = version, snapshot(pol, app.year)


def reviews(session: Session, *, actor: Actor, application_id: int) -> list[Review]:
    get(session, actor=actor, application_id=application_id)
    return list(session.scalars(select(Review).where(Review.application_id == application_id)
                                .order_by(Review.round, Review.department)))


def review(session: Session, *, actor: Actor, application_id: int, approve: bool,
           reason: str | None, now: datetime | None = None) -> Review:
    """One department approves, or returns with reasons (the application goes back to the applicant)."""
    now = now or utcnow()
    actor.require(Role.REVIEWER)
    app = get(session, actor=actor, application_id=application_id, for_change=True)
    if app.state != State.IN_REVIEW:
        raise Conflict(f"state: the application is {app.state}, not in review")
    rev = session.scalar(select(Review).where(Review.application_id == app.id, Review.round == app.round,
                                              Review.department == actor.department))
    if rev is None:
        raise Forbidden(f"department {actor.department} does not review {app.measure}")
    if rev.state != "pending":
        raise Conflict(f"department {rev.department} has already {rev.state} this round")
    if not approve and not (reason and reason.strip()):
        raise Refused("reason: a return must say what to correct")
    rev.state, rev.reason, rev.reviewer, rev.finished_at = (
        "approved" if approve else "returned"), reason, actor.username, now
    rev.elapsed_days = settings.calendar(session).between(rev.started_at.date(), now.date())
    session.flush()
    record(session, actor=actor, action=f"review.{rev.state}", entity="review", entity_id=rev.id,
           before={"state": "pending"}, after={"state": rev.state, "reason": reason,
                                               "elapsed_days": rev.elapsed_days, "due_on": rev.due_on})
    if not approve:
        for other in session.scalars(select(Review).where(
                Review.application_id == app.id, Review.round == app.round, Review.state == "pending")):
            other.state = "cancelled"
        move(session, actor=actor, app=app, action=Action.RETURN, note=f"{rev.department}: {reason}",
              now=now)
        notices.application_returned(session, app=app, department=rev.department, reason=reason or "",
                                     now=now)
    else:
        states = session.scalars(select(Review.state).where(Review.application_id == app.id,
                                                            Review.round == app.round)).all()
        if all(s == "approved" for s in states):
            move(session, actor=actor, app=app, action=Action.APPROVE, now=now,
                  note="all departments approved")
    return rev


def decide(session: Session, *, actor: Actor, application_id: int, award: bool,
           amount_fen: int | None, reasons: str | None, version: int | None = None,
           now: datetime | None = None) -> Decision:
    """The office awards an amount ≤ the ceiling (checked against ledger, registry and budget),
    or rejects with reasons. ``version`` guards against deciding on a stale view (409)."""
    now = now or utcnow()
    actor.require(Role.OFFICE)
    app = get(session, actor=actor, application_id=application_id, for_change=True)
    if version is not None and version != app.version:
        raise Conflict(f"version: the application changed since you read it (now v{app.version})")
    on_appeal = app.state == State.APPEALED
    action = Action.AWARD if award else Action.REJECT
    target(app.state, action)
    previous = app.award_fen
    if award:
        if amount_fen is None or amount_fen <= 0:
            raise Refused("amount: an award needs an amount above zero")
        assert app.ceiling_fen is not None
        if amount_fen > app.ceiling_fen:
            raise Refused(f"amount: {fen_to_yuan(amount_fen)} exceeds the ceiling "
                          f"{fen_to_yuan(app.ceiling_fen)} that the notice allows for {app.measure}")
        rules.check(session, app=app, amount_fen=amount_fen, on=now.date())
    elif not (reasons and reasons.strip()):
        raise Refused("reasons: a rejection must give its reasons")
    move(session, actor=actor, app=app, action=action, now=now, note=reasons)
    decision = Decision(application_id=app.id, outcome="award" if award else "reject",
                        amount_fen=amount_fen if award else None, reasons=reasons, on_appeal=on_appeal,
                        decided_by=actor.username, decided_at=now)
    session.add(decision)
    session.flush()
    if previous:
        budget.release(session, actor=actor, app=app, amount_fen=previous,
                       reference=f"release:{app.id}:{decision.id}")
    app.award_fen = amount_fen if award else None
    if award:
        assert amount_fen is not None
        budget.commit(session, actor=actor, app=app, amount_fen=amount_fen,
                      reference=f"commit:{app.id}:{decision.id}")
    session.flush()
    record(session, actor=actor, action=f"decision.{decision.outcome}", entity="decision",
           entity_id=decision.id, after={"application": app.id, "amount_fen": decision.amount_fen,
                                          "reasons": reasons, "on_appeal": on_appeal,
                                          "previous_award_fen": previous}, at=now)
    return decision


def appeal(session: Session, *, actor: Actor, application_id: int, reasons: str,
           now: datetime | None = None) -> Application:
    """Ask for one review of the decision (复核); not once payment has been instructed."""
    from huiqi.app.budget.models import Payment

    actor.require(Role.APPLICANT)
    app = get(session, actor=actor, application_id=application_id, for_change=True)
    target(app.state, Action.APPEAL)
    if app.appealed:
        raise Conflict("appeal: this decision has already been appealed once (one 复核 per decision)")
    if session.scalar(select(Payment.id).where(Payment.application_id == app.id)) is not None:
        raise Conflict("appeal: payment of the award has been instructed; appeal is closed")
    if not reasons.strip():
        raise Refused("reasons: say why the decision should be reviewed")
    app.appealed = True
    move(session, actor=actor, app=app, action=Action.APPEAL, note=reasons, now=now)
    return app


def withdraw(session: Session, *, actor: Actor, application_id: int) -> Application:
    actor.require(Role.APPLICANT)
    app = get(session, actor=actor, application_id=application_id, for_change=True)
    move(session, actor=actor, app=app, action=Action.WITHDRAW)
    return app


def decisions(session: Session, *, actor: Actor, application_id: int) -> list[Decision]:
    get(session, actor=actor, application_id=application_id)
    return list(session.scalars(select(Decision).where(Decision.application_id == application_id)
                                .order_by(Decision.id)))


def steps(session: Session, *, actor: Actor, application_id: int) -> list[Step]:
    get(session, actor=actor, application_id=application_id)
    return list(session.scalars(select(Step).where(Step.application_id == application_id)
                                .order_by(Step.id)))


def overdue(session: Session, *, actor: Actor, on: date) -> list[Review]:
    """Pending reviews past their time limit, oldest first (the office's dashboard, auditors)."""
    actor.require(Role.OFFICE, Role.AUDITOR)
    return list(session.scalars(select(Review).where(Review.state == "pending", Review.due_on < on)
                                .order_by(Review.due_on, Review.id)))
