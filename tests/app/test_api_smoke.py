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
