"""站内信: each trigger makes exactly one notice for the right recipient; the deadline reminder is
idempotent; another organisation never sees a notice; senders get a notice only once committed.

Working days by hand on the 2026 calendar: Tuesday 1 December to Friday 4 December is 3 working
days (Wed, Thu, Fri); from Monday 30 November it is 4.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import service as apps
from huiqi.app.applications.models import Application
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.budget import payments
from huiqi.app.budget.bank import LocalBank
from huiqi.app.db import make_engine, transaction
from huiqi.app.errors import NotFound
from huiqi.app.notices import senders
from huiqi.app.notices import service as notices
from huiqi.app.notices.models import Notice
from huiqi.app.registry import service as registry
from huiqi.app.requests import service as requests
from tests.app.world import ECON, FINANCE, OFFICE, SCI, World, approve, award, build, org_in, submit

OTHER = "91110112MA01E00028"


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    return build(factory)


@pytest.fixture
def other(world: World) -> Actor:
    with transaction(world.factory) as s:
        org = registry.create_org(s, actor=OFFICE, data=org_in(OTHER, "运河数字产业集团有限公司"))
        return Actor("ent2", Role.APPLICANT, org_id=org.id)


def mine(world: World, actor: Actor | None = None) -> list[Notice]:
    with transaction(world.factory) as s:
        found = notices.listing(s, actor=actor or world.applicant)
        s.expunge_all()
        return found


def count(world: World) -> int:
    with transaction(world.factory) as s:
        return s.scalar(select(func.count(Notice.id))) or 0


def test_a_return_tells_the_applicant_once_per_round(world: World, other: Actor) -> None:
    app_id = submit(world)
    with transaction(world.factory) as s:
        apps.review(s, actor=ECON, application_id=app_id, approve=False, reason="请补充区域贡献证明")
    [n] = mine(world)
    assert (n.kind, n.org_id, n.link) == ("application_returned", world.org_id, f"/me/applications/{app_id}")
    assert "经济和信息化局" in n.body_zh and "请补充区域贡献证明" in n.body_zh
    assert n.subject_en.startswith("Application returned for changes")
    assert n.read_at is None
    # corrected and returned again: a second round, a second notice
    with transaction(world.factory) as s:
        apps.submit(s, actor=world.applicant, application_id=app_id, accept_commitment=True,
                    signatory="张三")
    with transaction(world.factory) as s:
        apps.review(s, actor=SCI, application_id=app_id, approve=False, reason="研发投入口径不符")
    assert [x.key for x in mine(world)] == [f"application.returned:{app_id}:2",
                                            f"application.returned:{app_id}:1"]
    assert mine(world, other) == []


def test_an_approval_tells_nobody(world: World) -> None:
    app_id = submit(world)
    approve(world, app_id)
    assert count(world) == 0


def test_an_answer_tells_the_requester_once_per_answer(world: World, other: Actor) -> None:
    with transaction(world.factory) as s:
        req_id = requests.file(s, actor=world.applicant, kind="request", subject="用电增容",
                               body="请协调供电公司。", now=at(11, 26)).id
    with transaction(world.factory) as s:
        requests.route(s, actor=OFFICE, request_id=req_id, department=ECON.department or "",
                       now=at(11, 27))
    assert count(world) == 0  # filing and routing tell nobody
    with transaction(world.factory) as s:
        requests.answer(s, actor=ECON, request_id=req_id, text="两周内现场勘查。", now=at(12, 2))
    [n] = mine(world)
    assert (n.kind, n.link, n.subject_zh) == ("request_answered", f"/me/requests/{req_id}",
                                              "诉求已答复：用电增容")
    with transaction(world.factory) as s:
        requests.reopen(s, actor=world.applicant, request_id=req_id, reason="勘查后仍未排期", now=at(12, 3))
    with transaction(world.factory) as s:
        requests.answer(s, actor=ECON, request_id=req_id, text="已排期12月10日。", now=at(12, 4))
    assert [x.key for x in mine(world)] == [f"request.answered:{req_id}:1", f"request.answered:{req_id}:0"]
    assert mine(world, other) == []


def test_a_payment_tells_the_payee_once_and_a_second_run_adds_nothing(
        db_url: str, world: World, other: Actor) -> None:
    app_id = submit(world)
    approve(world, app_id)
    award(world, app_id, 8_000_000_00)
    assert count(world) == 0  # a decision is in the awards page, not a notice
    with transaction(world.factory) as s:
        payments.create_batch(s, actor=FINANCE)
    engine = make_engine(db_url)
    try:
        payments.run(world.factory, LocalBank(engine), actor=FINANCE)
        payments.run(world.factory, LocalBank(engine), actor=FINANCE)
    finally:
        engine.dispose()
    [n] = mine(world)
    assert (n.kind, n.link) == ("payment_made", "/me/payments")
    # 8,000,000.00 yuan into the registered account, its number masked to the last four
    assert "¥8,000,000.00" in n.body_zh and "北京银行通州支行 **********5678" in n.body_zh
    assert "¥8,000,000.00 was paid into" in n.body_en
    assert "20000012345678" not in n.body_zh + n.body_en
    assert mine(world, other) == []


def offer(world: World, org_id: int, deadline: date) -> int:
    with transaction(world.factory) as s:
        app = Application(org_id=org_id, measure="m24", year=2024, origin="offer", state="offered",
                          facts={}, offer_deadline=deadline)
        s.add(app)
        s.flush()
        return app.id


def test_the_deadline_reminder_comes_once_three_working_days_before(world: World, other: Actor) -> None:
    near = offer(world, world.org_id, date(2026, 12, 4))  # a Friday
    assert other.org_id is not None
    theirs = offer(world, other.org_id, date(2026, 12, 11))
    with transaction(world.factory) as s:
        assert notices.offer_deadlines(s, now=at(11, 30)) == 0  # Monday: 4 working days left
    with transaction(world.factory) as s:
        assert notices.offer_deadlines(s, now=at(12, 1)) == 1  # Tuesday: 3 left
    for hour in (10, 15):  # run again the same day, and the next: nothing more
        with transaction(world.factory) as s:
            assert notices.offer_deadlines(s, now=at(12, 1, hour)) == 0
    with transaction(world.factory) as s:
        assert notices.offer_deadlines(s, now=at(12, 3)) == 0
    [n] = mine(world)
    assert (n.kind, n.key, n.link) == ("offer_deadline", f"offer.deadline:{near}:3", f"/me/offers/{near}")
    assert "2026年12月4日" in n.body_zh and "还剩3个工作日" in n.body_zh
    assert "4 December 2026" in n.body_en
    assert mine(world, other) == []
    # the other organisation's offer is reminded in its own week, to it alone
    with transaction(world.factory) as s:
        assert notices.offer_deadlines(s, now=at(12, 8)) == 1
    assert [x.key for x in mine(world, other)] == [f"offer.deadline:{theirs}:3"]
    assert len(mine(world)) == 1


def test_a_lapsed_or_confirmed_offer_is_not_reminded(world: World) -> None:
    offer(world, world.org_id, date(2026, 11, 30))  # the deadline has passed on 1 December
    with transaction(world.factory) as s:
        assert notices.offer_deadlines(s, now=at(12, 1)) == 0


def test_the_matching_run_reminds_of_near_deadlines(world: World) -> None:
    from huiqi.app.matching import service as matching

    near = offer(world, world.org_id, date(2026, 12, 4))
    with transaction(world.factory) as s:
        matching.run(s, actor=OFFICE, year=2024, now=at(12, 2))
    assert [x.key for x in mine(world)] == [f"offer.deadline:{near}:3"]


def test_unread_first_and_only_the_recipient_marks_one_read(world: World, other: Actor) -> None:
    first = offer(world, world.org_id, date(2026, 12, 3))
    second = offer(world, world.org_id, date(2026, 12, 4))
    with transaction(world.factory) as s:
        assert notices.offer_deadlines(s, now=at(12, 1)) == 2
        ids = {n.key: n.id for n in notices.listing(s, actor=world.applicant)}
        assert notices.unread(s, actor=world.applicant) == 2 and notices.unread(s, actor=other) == 0
    older = ids[f"offer.deadline:{first}:3"]
    with transaction(world.factory) as s, pytest.raises(NotFound):
        notices.mark_read(s, actor=other, notice_id=older)
    with transaction(world.factory) as s:
        n = notices.mark_read(s, actor=world.applicant, notice_id=older, now=at(12, 1, 11))
        assert (n.read_at, n.read_by) == (at(12, 1, 11), "ent1")
    with transaction(world.factory) as s:  # again: unchanged
        assert notices.mark_read(s, actor=world.applicant, notice_id=older).read_at == at(12, 1, 11)
        assert notices.unread(s, actor=world.applicant) == 1
    assert next(x.key for x in mine(world)) == f"offer.deadline:{second}:3"  # the unread one first


def test_two_transactions_making_the_same_notice_at_once_make_one_and_neither_fails(world: World) -> None:
    def make(s: Session) -> Notice | None:
        return notices.notify(s, key="offer.deadline:1:3", kind="offer_deadline", org_id=world.org_id,
                              subject=("甲", "A"), body=("乙", "B"))

    second: list[bool] = []

    def other_transaction() -> None:  # waits for the first to commit (row lock, or SQLite's writer lock)
        with transaction(world.factory) as s:
            second.append(make(s) is None)

    with transaction(world.factory) as s:
        assert make(s) is not None
        racer = threading.Thread(target=other_transaction)
        racer.start()
        racer.join(timeout=1)
        assert racer.is_alive()  # held back until this one commits
    racer.join(timeout=30)
    assert second == [True] and count(world) == 1


def test_a_notice_needs_a_recipient(world: World) -> None:
    with transaction(world.factory) as s, pytest.raises(ValueError, match="recipient"):
        notices.notify(s, key="x", kind="x", subject=("a", "a"), body=("b", "b"))


class Recorder:
    def __init__(self) -> None:
        self.sent: list[senders.Message] = []

    def send(self, message: senders.Message) -> None:
        self.sent.append(message)


def test_senders_get_a_notice_after_its_commit_and_never_a_rolled_back_one(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = Recorder()
    monkeypatch.setattr(senders, "configured", lambda: (recorder,))
    with pytest.raises(RuntimeError), transaction(world.factory) as s:
        notices.notify(s, key="k1", kind="test", org_id=world.org_id, subject=("甲", "A"), body=("乙", "B"))
        assert recorder.sent == []  # not before the commit
        raise RuntimeError("the change fails")
    assert recorder.sent == [] and count(world) == 0
    with transaction(world.factory) as s:
        made = notices.notify(s, key="k2", kind="test", username="ent1", subject=("甲", "A"),
                              body=("乙", "B"), link="/me/notices")
        assert made is not None and recorder.sent == []
    assert [(m.kind, m.username, m.subject_en, m.link) for m in recorder.sent] == [
        ("test", "ent1", "A", "/me/notices")]


def test_a_failing_sender_is_logged_and_does_not_undo_the_notice(
        world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        def send(self, message: senders.Message) -> None:
            raise OSError("gateway down")

    monkeypatch.setattr(senders, "configured", lambda: (Broken(),))
    with transaction(world.factory) as s:
        notices.notify(s, key="k3", kind="test", org_id=world.org_id, subject=("甲", "A"), body=("乙", "B"))
    assert count(world) == 1 and "Broken failed on notice" in caplog.text


def test_senders_are_named_in_the_setting() -> None:
    [sender] = senders.load("huiqi.app.notices.senders:LoggingSender")
    assert isinstance(sender, senders.LoggingSender)
    assert senders.load(" ") == []
    with pytest.raises(ValueError, match="module:Class"):
        senders.load("huiqi.app.notices.senders")
