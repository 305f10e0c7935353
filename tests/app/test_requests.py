"""Requests and complaints (诉求直通, （十二）) and service packages (服务包), through the services.

Time limits are worked by hand on the 2026 calendar: 27 November 2026 is a Friday, so five working
days after it end on Friday 4 December.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.audit.models import AuditEntry
from huiqi.app.audit.service import verify
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import make_engine, sessions, transaction
from huiqi.app.errors import Conflict, Forbidden, NotFound, Refused
from huiqi.app.registry import service as registry
from huiqi.app.requests import service as requests
from huiqi.app.requests.models import ServiceRequest
from huiqi.app.requests.schemas import ServicePackageIn
from huiqi.app.settings import service as settings
from tests.app.world import (
    ADMIN,
    AUDITOR,
    CHAIN_LEADER_NAME,
    CHAIN_LEADER_USCC,
    ECON,
    OFFICE,
    SCI,
    World,
    build,
    org_in,
)

OTHER_USCC = "91110112MA01E00028"


def at(month: int, day: int, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


FILED, ROUTED, ANSWERED = at(11, 26), at(11, 27), at(12, 2)  # Thursday, Friday, Wednesday


@pytest.fixture
def world(factory: sessionmaker[Session]) -> World:
    return build(factory)


def filed(world: World, applicant: Actor | None = None, subject: str = "厂房消防验收进度咨询") -> int:
    with transaction(world.factory) as s:
        return requests.file(s, actor=applicant or world.applicant, kind="request", subject=subject,
                             body="我司新建厂房已提交消防验收申请，请协调加快办理。", now=FILED).id


def routed(world: World, to: Actor = ECON, on: datetime = ROUTED) -> int:
    req_id = filed(world)
    with transaction(world.factory) as s:
        requests.route(s, actor=OFFICE, request_id=req_id, department=to.department or "", now=on)
    return req_id


def answered(world: World, on: datetime = ANSWERED) -> int:
    req_id = routed(world)
    with transaction(world.factory) as s:
        requests.answer(s, actor=ECON, request_id=req_id, text="已协调区消防救援支队，12月10日前完成验收。",
                        now=on)
    return req_id


def read(world: World, req_id: int) -> ServiceRequest:
    with transaction(world.factory) as s:
        return requests.get(s, actor=OFFICE, request_id=req_id)


def key_enterprise(world: World) -> None:
    data = org_in(CHAIN_LEADER_USCC, CHAIN_LEADER_NAME).model_copy(update={"key_enterprise": True})
    with transaction(world.factory) as s:
        registry.update_org(s, actor=OFFICE, org_id=world.org_id, data=data)


PACKAGE = ServicePackageIn(contact_name="李明", contact_phone="010-81234567", department=ECON.department
                           or "", services=["用地保障", "人才公寓", "政策申报辅导"])


def test_a_filed_request_is_open_for_the_applicants_own_organisation(world: World) -> None:
    req = read(world, filed(world))
    assert (req.state, req.org_id, req.filed_by, req.department) == ("open", world.org_id, "ent1", None)


def test_a_request_routed_on_friday_27_november_is_due_on_friday_4_december(world: World) -> None:
    req = read(world, routed(world))
    assert (req.state, req.department, req.due_on) == ("routed", ECON.department, date(2026, 12, 4))


def test_the_whole_path_filed_routed_answered_in_three_working_days_and_rated(world: World) -> None:
    req_id = answered(world, on=at(12, 2))  # Mon 30 Nov, Tue 1, Wed 2 December
    with transaction(world.factory) as s:
        req = requests.get(s, actor=world.applicant, request_id=req_id)
        assert (req.state, req.answered_by, req.elapsed_days) == ("answered", "econ1", 3)
        assert not requests.is_overdue(req, on=date(2026, 12, 2))
        requests.rate(s, actor=world.applicant, request_id=req_id, rating=5, comment="办理及时",
                      now=at(12, 3))
    req = read(world, req_id)
    assert (req.state, req.rating, req.rating_comment) == ("closed", 5, "办理及时")


def test_an_answer_after_the_due_date_is_overdue(world: World) -> None:
    req = read(world, answered(world, on=at(12, 7)))  # Mon 7 December, due Fri 4 December
    assert req.elapsed_days == 6
    assert requests.is_overdue(req, on=date(2026, 12, 7))


def test_every_step_is_audited_with_before_and_after(world: World) -> None:
    req_id = answered(world)
    with transaction(world.factory) as s:
        requests.rate(s, actor=world.applicant, request_id=req_id, rating=4, now=at(12, 3))
        trail = requests.history(s, actor=AUDITOR, request_id=req_id)
        assert [e.action for e in trail] == ["request.file", "request.route", "request.answer",
                                             "request.rate"]
        assert trail[1].before == {"state": "open", "department": None, "routed_on": None, "due_on": None}
        assert trail[1].after["due_on"] == "2026-12-04"
        assert [e.actor for e in trail] == ["ent1", "office1", "econ1", "ent1"]
        assert verify(s).ok


def test_a_reopened_request_goes_back_to_the_same_department_with_a_new_due_date(world: World) -> None:
    req_id = answered(world, on=at(12, 2))
    with transaction(world.factory) as s:
        requests.reopen(s, actor=world.applicant, request_id=req_id, reason="验收日期仍未确定", now=at(12, 3))
    req = read(world, req_id)
    # reopened Thursday 3 December: five working days → Thursday 10 December
    assert (req.state, req.department, req.reopened, req.due_on) == (
        "routed", ECON.department, 1, date(2026, 12, 10))
    assert req.answer is None


def test_after_a_reopening_working_days_are_counted_from_the_reopening(world: World) -> None:
    req_id = answered(world, on=at(12, 2))
    with transaction(world.factory) as s:
        requests.reopen(s, actor=world.applicant, request_id=req_id, reason="验收日期仍未确定", now=at(12, 3))
    with transaction(world.factory) as s:
        requests.answer(s, actor=ECON, request_id=req_id, text="验收定于12月9日。", now=at(12, 7))
    assert read(world, req_id).elapsed_days == 2  # Fri 4, Mon 7 December


def test_the_reopening_reason_is_in_the_requests_history(world: World) -> None:
    req_id = answered(world)
    with transaction(world.factory) as s:
        requests.reopen(s, actor=world.applicant, request_id=req_id, reason="验收日期仍未确定", now=at(12, 3))
        trail = requests.history(s, actor=ECON, request_id=req_id)
    assert trail[-1].action == "request.reopen"
    assert trail[-1].after["reason"] == "验收日期仍未确定"


def test_rating_closes_the_request(world: World) -> None:
    req_id = answered(world)
    with transaction(world.factory) as s:
        req = requests.rate(s, actor=world.applicant, request_id=req_id, rating=3, now=at(12, 3))
        assert (req.state, requests.actions_from(req.state)) == ("closed", [])


def test_rating_twice_is_refused(world: World) -> None:
    req_id = answered(world)
    with transaction(world.factory) as s:
        requests.rate(s, actor=world.applicant, request_id=req_id, rating=3, now=at(12, 3))
    with pytest.raises(Conflict, match="already rated 3"), transaction(world.factory) as s:
        requests.rate(s, actor=world.applicant, request_id=req_id, rating=5, now=at(12, 4))


def test_rating_before_an_answer_is_refused(world: World) -> None:
    req_id = routed(world)
    with pytest.raises(Conflict, match="rate a request that is routed"), transaction(world.factory) as s:
        requests.rate(s, actor=world.applicant, request_id=req_id, rating=5)


def test_a_rating_outside_one_to_five_is_refused(world: World) -> None:
    req_id = answered(world)
    with pytest.raises(Refused, match="rating: a whole number from 1 to 5"), transaction(world.factory) as s:
        requests.rate(s, actor=world.applicant, request_id=req_id, rating=6)


def test_a_department_the_request_is_not_routed_to_cannot_answer_it(world: World) -> None:
    req_id = routed(world, to=ECON)
    with pytest.raises(Forbidden, match="department"), transaction(world.factory) as s:
        requests.answer(s, actor=SCI, request_id=req_id, text="不属于本部门职责。", now=at(12, 1))


def test_the_office_reroutes_and_the_new_department_gets_its_own_due_date(world: World) -> None:
    req_id = routed(world, to=ECON)
    with transaction(world.factory) as s:
        requests.route(s, actor=OFFICE, request_id=req_id, department=SCI.department or "", now=at(11, 30))
    req = read(world, req_id)
    assert (req.department, req.due_on) == (SCI.department, date(2026, 12, 7))  # Mon 30 Nov + 5


def test_rerouting_to_the_same_department_is_refused(world: World) -> None:
    req_id = routed(world, to=ECON)
    with pytest.raises(Refused, match="already routed to"), transaction(world.factory) as s:
        requests.route(s, actor=OFFICE, request_id=req_id, department=ECON.department or "")


def test_a_longer_request_days_setting_gives_a_later_due_date(world: World) -> None:
    with transaction(world.factory) as s:
        settings.put(s, actor=ADMIN, key="request_days", value=10)
    assert read(world, routed(world)).due_on == date(2026, 12, 11)  # Fri 27 Nov + 10 working days


def test_a_holiday_in_the_calendar_pushes_the_due_date_back(world: World) -> None:
    with transaction(world.factory) as s:
        settings.put(s, actor=ADMIN, key="calendar", value={"holidays": ["2026-12-01"], "workdays": []})
    assert read(world, routed(world)).due_on == date(2026, 12, 7)


@pytest.mark.parametrize("value", [0, 61, "5", True])
def test_a_request_days_setting_outside_1_to_60_working_days_is_refused(world: World, value: object) -> None:
    with pytest.raises(Refused, match="request_days"), transaction(world.factory) as s:
        settings.put(s, actor=ADMIN, key="request_days", value=value)


def test_two_colleagues_rating_at_once_on_postgresql_leave_one_rating(pg_url: str) -> None:
    engine = make_engine(pg_url)
    world = build(sessions(engine))
    req_id = answered(world)
    both_read = threading.Barrier(2)
    outcomes: list[str] = []

    def colleague(rating: int) -> None:
        with world.factory() as s:
            try:
                with s.begin():
                    requests.get(s, actor=world.applicant, request_id=req_id)  # both see "answered"
                    both_read.wait(timeout=30)
                    requests.rate(s, actor=world.applicant, request_id=req_id, rating=rating)
                outcomes.append("rated")
            except Conflict as exc:
                outcomes.append(f"conflict: {exc.message}")

    threads = [threading.Thread(target=colleague, args=(r,)) for r in (2, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "rated"]
    with world.factory() as s:
        rates = s.scalars(select(AuditEntry.action).where(AuditEntry.action == "request.rate")).all()
        assert len(rates) == 1
    engine.dispose()


def test_the_requester_withdraws_a_request_not_yet_answered(world: World) -> None:
    req_id = routed(world)
    with transaction(world.factory) as s:
        assert requests.withdraw(s, actor=world.applicant, request_id=req_id).state == "withdrawn"


def test_an_applicant_cannot_see_another_organisations_request(world: World) -> None:
    req_id = filed(world)
    stranger = Actor("other", Role.APPLICANT, org_id=world.org_id + 1)
    with pytest.raises(Forbidden), transaction(world.factory) as s:
        requests.get(s, actor=stranger, request_id=req_id)


def test_an_applicant_lists_only_its_own_organisations_requests(world: World) -> None:
    with transaction(world.factory) as s:
        other = registry.create_org(s, actor=OFFICE, data=org_in(OTHER_USCC, "通州精密制造有限公司")).id
    neighbour = Actor("ent2", Role.APPLICANT, org_id=other)
    mine, theirs = filed(world), filed(world, applicant=neighbour, subject="道路施工影响出入")
    with transaction(world.factory) as s:
        assert [r.id for r in requests.listing(s, actor=world.applicant)] == [mine]
        assert [r.id for r in requests.listing(s, actor=neighbour)] == [theirs]


def test_a_reviewer_sees_only_the_requests_routed_to_its_department(world: World) -> None:
    to_econ, _still_open = routed(world, to=ECON), filed(world)
    with transaction(world.factory) as s:
        assert [r.id for r in requests.listing(s, actor=ECON)] == [to_econ]
        assert requests.listing(s, actor=SCI) == []


def test_the_auditor_sees_every_request(world: World) -> None:
    req_id = filed(world)
    with transaction(world.factory) as s:
        assert [r.id for r in requests.listing(s, actor=AUDITOR)] == [req_id]


# each change the auditor might attempt: (session, actor, request id, organisation id)
CHANGES: dict[str, Callable[[Session, Actor, int, int], object]] = {
    "file": lambda s, a, r, o: requests.file(s, actor=a, kind="request", subject="x", body="y"),
    "route": lambda s, a, r, o: requests.route(s, actor=a, request_id=r, department="经济和信息化局"),
    "answer": lambda s, a, r, o: requests.answer(s, actor=a, request_id=r, text="z"),
    "reopen": lambda s, a, r, o: requests.reopen(s, actor=a, request_id=r, reason="z"),
    "rate": lambda s, a, r, o: requests.rate(s, actor=a, request_id=r, rating=5),
    "withdraw": lambda s, a, r, o: requests.withdraw(s, actor=a, request_id=r),
    "service package": lambda s, a, r, o: requests.put_package(s, actor=a, org_id=o, data=PACKAGE),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_auditor_cannot_change_anything(world: World, change: str) -> None:
    req_id = answered(world)
    key_enterprise(world)
    with pytest.raises(Forbidden, match="role auditor"), transaction(world.factory) as s:
        CHANGES[change](s, AUDITOR, req_id, world.org_id)


@pytest.mark.parametrize("look", ["one", "list", "overdue"])
def test_the_administrator_has_no_access_to_requests(world: World, look: str) -> None:
    req_id = filed(world)
    with pytest.raises(Forbidden, match="role admin"), transaction(world.factory) as s:
        if look == "one":
            requests.get(s, actor=ADMIN, request_id=req_id)
        elif look == "list":
            requests.listing(s, actor=ADMIN)
        else:
            requests.overdue(s, actor=ADMIN)


def test_the_overdue_report_lists_unanswered_requests_past_their_due_date(world: World) -> None:
    late = routed(world, on=at(11, 27))  # due Fri 4 December
    routed(world, on=at(12, 2))  # due Wed 9 December
    on_time = routed(world, on=at(11, 27))
    with transaction(world.factory) as s:
        requests.answer(s, actor=ECON, request_id=on_time, text="已办结。", now=at(12, 3))
    with transaction(world.factory) as s:
        report = requests.overdue(s, actor=OFFICE, on=date(2026, 12, 8))
    assert [(r.request.id, r.working_days_late) for r in report] == [(late, 2)]  # Mon 7, Tue 8


def test_a_reviewer_cannot_read_the_overdue_report(world: World) -> None:
    with pytest.raises(Forbidden), transaction(world.factory) as s:
        requests.overdue(s, actor=ECON, on=date(2026, 12, 8))


def test_a_service_package_is_refused_for_an_organisation_that_is_not_a_key_enterprise(world: World) -> None:
    with pytest.raises(Refused, match=r"key_enterprise: .* not a key"), transaction(world.factory) as s:
        requests.put_package(s, actor=OFFICE, org_id=world.org_id, data=PACKAGE)


def test_the_office_sets_up_a_key_enterprises_service_package(world: World) -> None:
    key_enterprise(world)
    with transaction(world.factory) as s:
        requests.put_package(s, actor=OFFICE, org_id=world.org_id, data=PACKAGE)
    with transaction(world.factory) as s:
        p = requests.package(s, actor=world.applicant, org_id=world.org_id)
        assert (p.contact_name, p.department, p.services) == ("李明", ECON.department,
                                                               ["用地保障", "人才公寓", "政策申报辅导"])


def test_replacing_a_service_package_audits_the_previous_one(world: World) -> None:
    key_enterprise(world)
    with transaction(world.factory) as s:
        requests.put_package(s, actor=OFFICE, org_id=world.org_id, data=PACKAGE)
    with transaction(world.factory) as s:
        requests.put_package(s, actor=OFFICE, org_id=world.org_id,
                             data=PACKAGE.model_copy(update={"contact_name": "王芳"}))
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity == "service_package")
                          .order_by(AuditEntry.id.desc())).first()
    assert entry is not None and entry.action == "service_package.update"
    assert (entry.before["contact_name"], entry.after["contact_name"]) == ("李明", "王芳")


def test_an_applicant_cannot_see_another_organisations_service_package(world: World) -> None:
    key_enterprise(world)
    with transaction(world.factory) as s:
        requests.put_package(s, actor=OFFICE, org_id=world.org_id, data=PACKAGE)
    stranger = Actor("other", Role.APPLICANT, org_id=world.org_id + 1)
    with pytest.raises(Forbidden), transaction(world.factory) as s:
        requests.package(s, actor=stranger, org_id=world.org_id)


def test_an_organisation_without_a_service_package_is_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="service package"), transaction(world.factory) as s:
        requests.package(s, actor=OFFICE, org_id=world.org_id)
