"""HTTP test helpers: the API over a test database, users of every role, logging in."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.api.main import create_app
from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Role
from huiqi.app.config import Config
from huiqi.app.db import transaction
from tests.app.world import ADMIN, ECON, SCI

PASSWORD = "correct horse 惠企"
# username → (role, department); the applicant belongs to the world's organisation
STAFF_USERS = {
    "office1": (Role.OFFICE, None),
    "finance1": (Role.FINANCE, None),
    "auditor1": (Role.AUDITOR, None),
    "admin1": (Role.ADMIN, None),
    "econ1": (Role.REVIEWER, ECON.department),
    "sci1": (Role.REVIEWER, SCI.department),
}


def add_users(factory: sessionmaker[Session], org_id: int | None) -> None:
    """One user per role (and per reviewing department); ``ent1`` is the organisation's applicant."""
    with transaction(factory) as s:
        for name, (role, dept) in STAFF_USERS.items():
            auth.create_user(s, actor=ADMIN, username=name, password=PASSWORD, role=role,
                             display_name=name, department=dept)
        if org_id is not None:
            auth.create_user(s, actor=ADMIN, username="ent1", password=PASSWORD, role=Role.APPLICANT,
                             display_name="ent1", org_id=org_id)


def client(db_url: str, config: Config | None = None) -> TestClient:
    return TestClient(create_app(db_url, config=config), raise_server_exceptions=False)


def login(c: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for ``username``."""
    r = c.post("/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}
