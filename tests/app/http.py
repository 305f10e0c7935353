"""HTTP test helpers: the API over a test database, users of every role, logging in (staff with
their second factor: one known TOTP secret, codes computed with pyotp)."""

from __future__ import annotations

import tempfile
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.api.main import create_app
from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Role
from huiqi.app.config import Config
from huiqi.app.db import make_engine, sessions, transaction, upgrade
from tests.app.world import ECON, SCI, build

PASSWORD = "correct horse 惠企"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# username → (role, department); the applicant belongs to the world's organisation
STAFF_USERS = {
    "office1": (Role.OFFICE, None),
    "finance1": (Role.FINANCE, None),
    "auditor1": (Role.AUDITOR, None),
    "admin1": (Role.ADMIN, None),
    "secadmin1": (Role.SECURITY_ADMIN, None),
    "auditadmin1": (Role.AUDIT_ADMIN, None),
    "helper1": (Role.SERVICE, None),
    "econ1": (Role.REVIEWER, ECON.department),
    "sci1": (Role.REVIEWER, SCI.department),
}


def add_users(factory: sessionmaker[Session], org_id: int | None) -> None:
    """One user per role (and per reviewing department), bootstrapped as the console does, with
    final passwords and (staff) the second factor set up; ``ent1`` is the organisation's applicant
(its first, so its administrator, who signs for it)."""
    with transaction(factory) as s:
        for name, (role, dept) in STAFF_USERS.items():
            auth.new_user(s, by="test", username=name, password=PASSWORD, role=role, display_name=name,
                          department=dept, must_change=False, totp_secret=TOTP_SECRET)
        if org_id is not None:
            auth.new_user(s, by="test", username="ent1", password=PASSWORD, role=Role.APPLICANT,
                          display_name="ent1", org_id=org_id, must_change=False)


def client(db_url: str, address: str = "testclient", config: Config | None = None) -> TestClient:
    return TestClient(create_app(db_url, config=config), raise_server_exceptions=False,
                      client=(address, 50000))


_used: weakref.WeakKeyDictionary[TestClient, dict[str, int]] = weakref.WeakKeyDictionary()


def totp_code(c: TestClient, username: str, secret: str = TOTP_SECRET) -> str:
    """A code the server accepts now and has not seen for ``username`` (each is good once): of the
    previous, current or next 30-s step, waiting for the next step when all three are used."""
    used = _used.setdefault(c, {})
    totp = pyotp.TOTP(secret)
    now = time.time()
    current = totp.timecode(datetime.fromtimestamp(now, UTC))
    # the previous step only well inside the current one (the server reads its clock a little later)
    step = max(used.get(username, -10) + 1, current - 1 if now % 30 < 29 else current)
    if step > current + 1:
        time.sleep((step - 1) * 30 - now + 0.05)
    used[username] = step
    return totp.generate_otp(step)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def login(c: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization headers for ``username`` (password, then a code when the account has one)."""
    r = c.post("/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    body = r.json()
    if body["stage"] == "totp":
        r = c.post("/auth/totp", json={"code": totp_code(c, username)}, headers=bearer(body["token"]))
        assert r.status_code == 200, r.text
        body = r.json()
    assert body["stage"] == "session", body
    return bearer(body["token"])


class OpenDistrict:
    """For the tests that throw every request at every route: a migrated database in a temporary
    folder and the API over it, with the docs open (the spec is read) and the calculator not
    rate-limited; ``populated()`` adds the world, users of every role and their tokens."""

    def __init__(self, prefix: str) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix=prefix)
        self.url = f"sqlite:///{Path(self.folder.name) / 'huiqi.db'}"
        upgrade(self.url)
        self.app = create_app(self.url, config=Config(public_docs=True, calc_rate="100000/minute"))
        self.headers: dict[str, dict[str, str]] = {"anonymous": {}}

    @contextmanager
    def populated(self) -> Iterator[None]:
        """The world's chain leader, users of every role, the office's and applicant's tokens."""
        engine = make_engine(self.url)
        world = build(sessions(engine))
        add_users(sessions(engine), world.org_id)
        with TestClient(self.app) as c:
            self.headers["office"] = login(c, "office1")
            self.headers["applicant"] = login(c, "ent1")
        try:
            yield
        finally:
            engine.dispose()
            self.app.state.engine.dispose()
            self.folder.cleanup()
