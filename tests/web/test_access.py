"""Every page × every role: shown, sent to the login page, or refused — one table, like the API's.

A page that is not in the table fails the test: each new page states who may open it. Paths with
an id are opened with a record of ``ent5``; ``ent1`` (another enterprise) must be refused them.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from huiqi.app import web
from huiqi.app.applications import documents
from huiqi.app.applications import service as applications
from huiqi.app.auth.models import User
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.matching import service as matching
from huiqi.app.requests import service as requests
from tests.web.conftest import HTML, log_in

# who opens the pages: a column per role (ent1 is "another enterprise" for ent5's records)
USERS = {"anonymous": None, "ent5": "ent5", "ent1": "ent1", "reviewer": "econ", "office": "office",
         "finance": "finance", "auditor": "auditor", "admin": "admin", "security": "security",
         "auditadmin": "auditadmin", "service": "helper1"}
STAFF = ("reviewer", "office", "finance", "auditor", "admin", "security", "auditadmin", "service")

SHOWN, LOGIN, REFUSED = "shown", "login", "refused"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EVERYONE = dict.fromkeys(USERS, SHOWN)
USERS_ONLY = {"anonymous": LOGIN} | dict.fromkeys(list(USERS)[1:], SHOWN)
OWNER = {"anonymous": LOGIN, "ent5": SHOWN, "ent1": REFUSED} | dict.fromkeys(STAFF, REFUSED)
ENT1_OWN = {"anonymous": LOGIN, "ent5": REFUSED, "ent1": SHOWN} | dict.fromkeys(STAFF, REFUSED)
OFFICER = {"anonymous": LOGIN, "ent5": REFUSED, "ent1": REFUSED} | dict.fromkeys(STAFF, REFUSED) | {
    "service": SHOWN}  # the service centre's pages: only its officer (for enterprises that consented)
APPLICANTS = {"anonymous": LOGIN, "ent5": SHOWN, "ent1": SHOWN} | dict.fromkeys(STAFF, REFUSED)

# route path → (the URL opened, with {application}/{offer} filled in; who sees what)
PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "/": ("/", EVERYONE),
    "/policies": ("/policies", EVERYONE),
    "/policies/{measure_id}": ("/policies/m01.new", EVERYONE),
    "/calculator": ("/calculator", EVERYONE),
    "/calculator/start": ("/calculator/start?who=enterprise", EVERYONE),
    "/calculator/questions": ("/calculator/questions?who=enterprise", EVERYONE),
    "/calculator/answer": ("/calculator/answer?who=enterprise", EVERYONE),
    "/calculator/results": ("/calculator/results?who=enterprise", EVERYONE),
    "/calculator/case.yaml": ("/calculator/case.yaml?who=enterprise", EVERYONE),
    "/login": ("/login", EVERYONE),
    "/login/code": ("/login/code", EVERYONE),  # without a pending login: back to the password
    "/login/enrol": ("/login/enrol", EVERYONE),
    "/mode": ("/mode?senior=0", EVERYONE),
    "/password": ("/password", USERS_ONLY),
    "/me/applications/{application_id}": ("/me/applications/{application}", OWNER),
    "/me/applications/{application_id}/tasks": ("/me/applications/{draft}/tasks", OWNER),
    "/me/applications/{application_id}/organisation": ("/me/applications/{draft}/organisation", OWNER),
    "/me/applications/{application_id}/account": ("/me/applications/{draft}/account", OWNER),
    "/me/applications/{application_id}/facts": ("/me/applications/{draft}/facts", OWNER),
    "/me/applications/{application_id}/facts/{column}": ("/me/applications/{draft}/facts/rd_fen", OWNER),
    "/me/applications/{application_id}/documents": ("/me/applications/{draft}/documents", OWNER),
    "/me/applications/{application_id}/documents/{document_id}": (
        "/me/applications/{draft}/documents/{document}", OWNER),
    "/me/applications/{application_id}/commitment": ("/me/applications/{draft}/commitment", OWNER),
    "/me/applications/{application_id}/check": ("/me/applications/{draft}/check", OWNER),
    "/me/applications/{application_id}/submitted": ("/me/applications/{application}/submitted", OWNER),
    "/me/applications/{application_id}/confirm": ("/me/applications/{draft}/confirm", OWNER),
    "/me/offers/{offer_id}": ("/me/offers/{offer}", OWNER),
    "/me/offers/{offer_id}/done": ("/me/offers/{offer}/done", OWNER),
    "/me/awards": ("/me/awards", APPLICANTS),
    "/me/awards/{application_id}/notice.pdf": ("/me/awards/{award}/notice.pdf", ENT1_OWN),
    "/me/payments": ("/me/payments", APPLICANTS),
    "/me/profile": ("/me/profile", APPLICANTS),
    "/me/notices": ("/me/notices", USERS_ONLY),  # every user has its own inbox
    "/me/requests/{request_id}": ("/me/requests/{request}", ENT1_OWN),
    "/me/requests": ("/me/requests", APPLICANTS),
    "/me/people": ("/me/people", APPLICANTS),  # each enterprise's administrator: its own people
    "/me/people/new": ("/me/people/new", APPLICANTS),
    "/me/people/{user_id}": ("/me/people/{member}", OWNER),
    "/me/consents": ("/me/consents", APPLICANTS),
    "/me/consents/new": ("/me/consents/new", APPLICANTS),
    "/staff/assist": ("/staff/assist", OFFICER),
    "/staff/assist/{org_id}": ("/staff/assist/{consenting}", OFFICER),
    "/staff/assist/applications/{application_id}": ("/staff/assist/applications/{assisted}", OFFICER),
    "/me/requests/new": ("/me/requests/new", APPLICANTS),
}


def test_every_page_is_in_the_table() -> None:
    routes = {r.path for m in web.MODULES for r in m.router.routes
              if isinstance(r, APIRoute) and "GET" in r.methods}
    assert routes == set(PAGES), "a page without a row in the access table (or a row without a page)"


@pytest.fixture(scope="module")
def ids(demo_app: FastAPI) -> dict[str, int]:
    """ent5's first application and its offer (any state: the pages show every state), a draft of
    ent5's with a document (the wizard's pages); ent1's award and request (ent5 has none); ent4,
    which consented to the service centre, and one of its applications; ent5's own account."""
    ent5 = Actor("ent5", Role.APPLICANT, org_id=5)
    with demo_app.state.readers() as s, s.begin():
        apps = applications.listing(s, actor=ent5)
        offers = matching.offers(s, actor=ent5)
        assert apps and offers, "the demo gives ent5 an application and an offer"
        ent1 = Actor("ent1", Role.APPLICANT, org_id=1)
        awarded = [a.id for a in applications.listing(s, actor=ent1) if a.state in ("awarded", "paid")]
        asked = requests.listing(s, actor=ent1)
        assert awarded and asked, "the demo gives ent1 awards and a request"
        ent4 = Actor("ent4", Role.APPLICANT, org_id=4)  # consented to the service centre in the demo
        found = {"application": apps[0].id, "offer": offers[0].id, "award": awarded[0],
                 "request": asked[0].id, "consenting": 4,
                 "assisted": applications.listing(s, actor=ent4)[0].id,
                 "member": s.scalar(select(User.id).where(User.username == "ent5"))}
    with transaction(demo_app.state.sessions) as s:
        draft = applications.start(s, actor=ent5, measure="m07.rd", year=2025)
        doc = documents.upload(s, actor=ent5, folder=demo_app.state.files, application_id=draft.id,
                               label="研发费用专项审计报告", filename="audit.pdf", data=PDF)
        return found | {"draft": draft.id, "document": doc.id}


@pytest.fixture(scope="module")
def clients(demo_app: FastAPI) -> Iterator[dict[str, TestClient]]:
    """One logged-in client per column (each user logs in once for the whole table)."""
    opened: dict[str, TestClient] = {}
    try:
        for column, username in USERS.items():
            c = TestClient(demo_app, headers=HTML)
            c.__enter__()
            opened[column] = c
            if username is not None:
                log_in(c, username)
        yield opened
    finally:
        for c in opened.values():
            c.__exit__(None, None, None)


@pytest.mark.parametrize("route", sorted(PAGES))
def test_page_by_role(route: str, clients: dict[str, TestClient], ids: dict[str, int]) -> None:
    template, expected = PAGES[route]
    url = template.format(**ids)
    got: dict[str, str] = {}
    for column, client in clients.items():
        r = client.get(url, follow_redirects=False)
        assert r.status_code < 500, f"{url} as {column}: {r.status_code}"
        location = r.headers.get("location", "")
        if r.status_code == 303 and location == "/login?next=" + quote(url, safe=""):
            got[column] = LOGIN
        elif r.status_code in (403, 404):
            got[column] = REFUSED
        else:
            assert r.status_code in (200, 303), f"{url} as {column}: {r.status_code}"
            got[column] = SHOWN
    assert got == expected


def test_every_form_post_is_refused_without_the_csrf_token(clients: dict[str, TestClient],
                                                          ids: dict[str, int]) -> None:
    """Each page's POST, by a logged-in owner holding the CSRF cookie but not sending the token
    (plain and htmx), is refused before it reaches the page."""
    owner = clients["ent5"]
    owner.get("/")  # the CSRF cookie is set
    posts = sorted({r.path for m in web.MODULES for r in m.router.routes
                    if isinstance(r, APIRoute) and "POST" in r.methods})
    assert posts
    for path in posts:
        url = path.replace("{application_id}", str(ids["draft"])).replace(
            "{offer_id}", str(ids["offer"])).replace("{document_id}", str(ids["document"])).replace(
            "{column}", "rd_fen").replace("{request_id}", str(ids["request"])).replace(
            "{user_id}", str(ids["member"])).replace("{org_id}", str(ids["consenting"]))
        for headers in ({}, {"HX-Request": "true"}):
            r = owner.post(url, data={"x": "1"}, headers=headers, follow_redirects=False)
            assert r.status_code == 403, f"POST {url} {headers}: {r.status_code}"
