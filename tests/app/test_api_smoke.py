"""The API answers over HTTP on both databases (the full journey is in test_journey)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.config import Config
from tests.app.http import add_users, client, login
from tests.app.world import build


def test_an_applicant_starts_an_application_over_http(db_url: str,
                                                      factory: sessionmaker[Session]) -> None:
    world = build(factory)
    add_users(factory, world.org_id)
    c = client(db_url)
    r = c.post("/applications", json={"measure": "m01.new", "year": 2024}, headers=login(c, "ent1"))
    assert r.status_code == 201, r.text
    assert r.json()["state"] == "draft"
    assert r.json()["facts"]["beneficiaries"][0]["regional_contribution"]["2024"] == "12000000.00"


def test_the_docs_pages_load_every_asset_from_the_app_itself(db_url: str) -> None:
    import re

    c = client(db_url, config=Config(public_docs=True))  # as with --demo (in production: behind login)
    for page in ("/docs", "/redoc"):
        html = c.get(page).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
        assert assets and all(a.startswith("/") for a in assets), assets
        for a in assets:
            assert c.get(a).status_code == 200, a


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/applications/100000000000000000000", None),
    ("GET", "/payments?application=100000000000000000000", None),
    ("PUT", "/budgets/m01.new/100000000000000000000", {"amount": "1.00"}),
    ("PUT", "/settings/credit_gates", 5),
    ("PUT", "/settings/credit_gates", [[1]]),
    ("PUT", "/settings/calendar", {"holidays": [], "typo": []}),
])
def test_out_of_range_or_malformed_values_are_refused_not_a_server_error(
        db_url: str, factory: sessionmaker[Session], method: str, path: str, body: object) -> None:
    add_users(factory, None)
    c = client(db_url)
    role = "admin1" if "settings" in path else "finance1"
    r = c.request(method, path, json=body, headers=login(c, role))
    assert r.status_code in (404, 422), r.text
