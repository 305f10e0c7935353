"""The role homes' queue counts agree with the listings they summarise, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from huiqi.app import worklist
from huiqi.app.applications import service as applications
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import make_engine, sessions
from huiqi.app.demo import ECON, FIN_DEPT, SCI, load
from huiqi.app.requests import service as requests

OFFICE = Actor("office", Role.OFFICE)


def test_queue_counts_match_the_listings(db_url: str) -> None:
    load(db_url)
    today = date.today()
    with sessions(make_engine(db_url))() as s, s.begin():
        lines = {line.key: line for line in worklist.for_actor(s, actor=OFFICE, on=today)}
        approved = applications.listing(s, actor=OFFICE, state="approved")
        appealed = applications.listing(s, actor=OFFICE, state="appealed")
        assert lines["to_decide"].waiting == len(approved) + len(appealed) > 0
        assert lines["reviews"].overdue == len(applications.overdue(s, actor=OFFICE, on=today))
        assert lines["requests"].overdue == len(requests.overdue(s, actor=OFFICE, on=today))
        assert lines["to_route"].waiting == len(requests.listing(s, actor=OFFICE, state="open"))
        assert lines["offers_open"].waiting == len(applications.listing(s, actor=OFFICE, state="offered"))
        finance = {x.key: x for x in worklist.for_actor(s, actor=Actor("finance", Role.FINANCE), on=today)}
        assert finance["to_pay"].waiting == len(applications.listing(s, actor=OFFICE, state="awarded"))
        # a reviewer counts only its own department's pending reviews
        total = 0
        for dept in (ECON, SCI, FIN_DEPT):
            mine = worklist.for_actor(s, actor=dept, on=today)[0]
            pending = [r for a in applications.listing(s, actor=dept)
                       for r in applications.reviews(s, actor=dept, application_id=a.id)
                       if r.state == "pending" and r.department == dept.department]
            assert mine.key == "reviews" and mine.waiting == len(pending)
            total += mine.waiting
        assert total == lines["reviews"].waiting > 0  # the demo's three departments hold them all
        assert worklist.for_actor(s, actor=Actor("admin", Role.ADMIN), on=today) == []
