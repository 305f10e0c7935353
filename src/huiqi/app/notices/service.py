"""站内信: the notices an applicant receives when an application is returned, an offer nears its
deadline, a request is answered or a payment is made.

Each notice has a key naming what it is about (``application.returned:12:1`` — application 12,
round 1), unique in the table: a trigger that runs twice, or a deadline job run every hour, makes
one notice. A notice is stored in the transaction of the change it reports (the in-app inbox);
the configured senders (``senders``) get it once that transaction commits.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, event, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from huiqi.app.applications.lifecycle import State
from huiqi.app.applications.models import Application
from huiqi.app.auth.roles import Actor
from huiqi.app.budget.models import Payment
from huiqi.app.db import utcnow
from huiqi.app.errors import NotFound
from huiqi.app.notices import senders
from huiqi.app.notices.models import Notice
from huiqi.app.parameters.service import policy
from huiqi.app.requests.models import ServiceRequest
from huiqi.app.settings import service as settings
from huiqi.engine.money import fen_to_yuan, format_yuan

# working days left on an offer at which its holder is reminded (one notice per threshold)
OFFER_REMINDERS = (3,)
_OUTBOX = "huiqi.notices.outbox"
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def _zh_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _en_date(d: date) -> str:
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _money(amount: Decimal) -> str:
    return "¥" + format_yuan(amount)


def _titles(measure: str) -> tuple[str, str]:
    t = policy().texts.get(measure)
    return (t.title_zh, t.title_en) if t is not None else (measure, measure)


def _message(n: Notice) -> senders.Message:
    return senders.Message(id=n.id, kind=n.kind, org_id=n.org_id, person_id=n.person_id,
                           username=n.username, subject_zh=n.subject_zh, subject_en=n.subject_en,
                           body_zh=n.body_zh, body_en=n.body_en, link=n.link)


def _after_commit(session: Session) -> None:
    senders.deliver(session.info.pop(_OUTBOX, []))


def _after_rollback(session: Session) -> None:
    session.info.pop(_OUTBOX, None)


def _outbox(session: Session) -> list[senders.Message]:
    """The messages for the senders once this session commits (dropped if it rolls back)."""
    if _OUTBOX not in session.info:
        session.info[_OUTBOX] = []
        if not event.contains(session, "after_commit", _after_commit):
            event.listen(session, "after_commit", _after_commit)
            event.listen(session, "after_rollback", _after_rollback)
    box: list[senders.Message] = session.info[_OUTBOX]
    return box


def notify(session: Session, *, key: str, kind: str, subject: tuple[str, str], body: tuple[str, str],
           org_id: int | None = None, person_id: int | None = None, username: str | None = None,
           link: str | None = None, now: datetime | None = None) -> Notice | None:
    """Store a notice for an organisation, person or user, unless one with ``key`` exists."""
    if org_id is None and person_id is None and username is None:
        raise ValueError("a notice needs a recipient: org_id, person_id or username")
    # INSERT … ON CONFLICT DO NOTHING: two transactions making the same notice at once (a deadline
    # run beside a matching run) make one, and neither fails
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    made = session.scalar(insert(Notice).values(
        key=key, kind=kind, org_id=org_id, person_id=person_id, username=username,
        subject_zh=subject[0][:200], subject_en=subject[1][:300], body_zh=body[0], body_en=body[1],
        link=link, created_at=now or utcnow()).on_conflict_do_nothing(index_elements=["key"])
        .returning(Notice.id))
    if made is None:
        return None
    n = session.get(Notice, made)
    assert n is not None
    _outbox(session).append(_message(n))
    return n


def application_returned(session: Session, *, app: Application, department: str, reason: str,
                         now: datetime | None = None) -> Notice | None:
    zh, en = _titles(app.measure)
    return notify(
        session, key=f"application.returned:{app.id}:{app.round}", kind="application_returned",
        org_id=app.org_id, person_id=app.person_id, link=f"/me/applications/{app.id}", now=now,
        subject=(f"申请被退回修改：{zh}", f"Application returned for changes: {en}"),
        body=(f"{department}退回了您的申请（编号{app.id}），理由：{reason}。请修改后重新提交。",
              f"{department} returned your application (no. {app.id}): {reason}. "
              "Please correct it and submit it again."))


def request_answered(session: Session, *, req: ServiceRequest,
                     now: datetime | None = None) -> Notice | None:
    department = req.department or ""
    return notify(
        session, key=f"request.answered:{req.id}:{req.reopened}", kind="request_answered",
        org_id=req.org_id, link=f"/me/requests/{req.id}", now=now,
        subject=(f"诉求已答复：{req.subject}", f"Your request has been answered: {req.subject}"),
        body=(f"{department}已答复您的诉求（编号{req.id}）。您可以评价答复；答复未解决问题的，可以重新提出。",
              f"{department} has answered your request (no. {req.id}). You can rate the answer, "
              "or reopen the request if the answer does not settle it."))


def payment_made(session: Session, *, payment: Payment, app: Application,
                 now: datetime | None = None) -> Notice | None:
    zh, en = _titles(app.measure)
    amount = _money(fen_to_yuan(payment.amount_fen))
    on = (payment.paid_at or now or utcnow()).date()
    account = f"{payment.bank_name} {payment.account_no_masked or ''}".strip()
    return notify(
        session, key=f"payment.paid:{payment.id}", kind="payment_made", org_id=app.org_id,
        person_id=app.person_id, link="/me/payments", now=now,
        subject=(f"资金已拨付：{zh}", f"Payment made: {en}"),
        body=(f"{amount}已于{_zh_date(on)}拨付至{account}。",
              f"{amount} was paid into {account} on {_en_date(on)}."))


def offer_deadlines(session: Session, *, now: datetime | None = None,
                    reminders: tuple[int, ...] = OFFER_REMINDERS) -> int:
    """Remind the holder of every open offer whose deadline is within a reminder's number of
    working days; the most urgent reminder only, each once. Safe to run as often as wanted."""
    now = now or utcnow()
    today = now.date()
    cal = settings.calendar(session)
    made = 0
    # the columns a reminder needs, not whole applications: a run may leave tens of thousands open
    for app in session.execute(select(
            Application.id, Application.measure, Application.org_id, Application.person_id,
            Application.offer_deadline).where(
            Application.state == State.OFFERED, Application.offer_deadline >= today)
            .order_by(Application.id)):
        assert app.offer_deadline is not None
        left = cal.between(today, app.offer_deadline)
        due = [t for t in sorted(reminders) if left <= t]
        if not due:
            continue
        zh, en = _titles(app.measure)
        made_now = notify(
            session, key=f"offer.deadline:{app.id}:{due[0]}", kind="offer_deadline",
            org_id=app.org_id, person_id=app.person_id, link=f"/me/offers/{app.id}", now=now,
            subject=(f"免申即享待确认：{zh}", f"Offer awaiting your confirmation: {en}"),
            body=(f"请于{_zh_date(app.offer_deadline)}前确认，还剩{left}个工作日；逾期未确认将失效。",
                  f"Confirm by {_en_date(app.offer_deadline)}: {left} working day(s) left. "
                  "An offer not confirmed by then lapses."))
        made += made_now is not None
    return made


def _mine(actor: Actor) -> ColumnElement[bool]:
    """The notices addressed to the actor's organisation, person record or user."""
    conds = [Notice.username == actor.username]
    if actor.org_id is not None:
        conds.append(Notice.org_id == actor.org_id)
    if actor.person_id is not None:
        conds.append(Notice.person_id == actor.person_id)
    return or_(*conds)


def listing(session: Session, *, actor: Actor, limit: int = 100, offset: int = 0) -> list[Notice]:
    """The actor's notices: unread first, then newest first."""
    return list(session.scalars(select(Notice).where(_mine(actor))
                                .order_by(Notice.read_at.is_not(None), Notice.created_at.desc(),
                                          Notice.id.desc())
                                .limit(limit).offset(offset)))


def unread(session: Session, *, actor: Actor) -> int:
    return session.scalar(select(func.count(Notice.id)).where(_mine(actor), Notice.read_at.is_(None))) or 0


def mark_read(session: Session, *, actor: Actor, notice_id: int, now: datetime | None = None) -> Notice:
    """Mark one of the actor's notices read (again: no change); another's is not found."""
    n = session.scalar(select(Notice).where(Notice.id == notice_id, _mine(actor)))
    if n is None:
        raise NotFound(f"notice {notice_id} not found")
    if n.read_at is None:
        n.read_at, n.read_by = now or utcnow(), actor.username
        session.flush()
    return n
