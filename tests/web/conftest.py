"""The pages over the demo district: one migrated SQLite database with the demo loaded per test
session (the pages only read it, apart from logins), a fresh browser-like client per test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from huiqi.app.api.main import create_app
from huiqi.app.config import Config
from huiqi.app.db import upgrade
from huiqi.app.demo import PASSWORD, load
from tests import totp

HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("web") / "demo.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    load(url)
    # the calculator pages' rate limit has its own test; here many tests share one client address
    return create_app(url, config=Config(calc_page_rate="100000/minute"))


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[TestClient]:
    """A client on a demo database of its own, for tests that change it."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    load(url)
    with TestClient(create_app(url), headers=HTML) as c:
        yield c


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


@pytest.fixture
def client(demo_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(demo_app, headers=HTML) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrftoken" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def code_for(client: TestClient, username: str) -> str:
    """A fresh second-factor code for ``username`` on this client's application (its database)."""
    return totp.code(str(id(client.app)), username)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log in through the pages: the password, then (staff) the second-factor code."""
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password, "csrftoken": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    if r.headers["location"].startswith("/login/code"):
        r = client.post("/login/code", data={"code": code_for(client, username), "csrftoken": token},
                        follow_redirects=False)
        assert r.status_code == 303 and not r.headers["location"].startswith("/login"), r.text
    assert client.cookies.get("huiqi_session")


def api_headers(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers for the API (password, then the code when the account has one)."""
    json = {"accept": "application/json"}
    body = client.post("/auth/login", json={"username": username, "password": PASSWORD}, headers=json).json()
    if body["stage"] == "totp":
        body = client.post("/auth/totp", json={"code": code_for(client, username)},
                           headers=json | {"authorization": f"Bearer {body['token']}"}).json()
    assert body["stage"] == "session", body
    return json | {"authorization": f"Bearer {body['token']}"}
