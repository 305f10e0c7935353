"""The API answers over HTTP on both databases (the full journey is in test_journey)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

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

    c = client(db_url)
    for page in ("/docs", "/redoc"):
        html = c.get(page).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
        assert assets and all(a.startswith("/") for a in assets), assets
        for a in assets:
            assert c.get(a).status_code == 200, a
