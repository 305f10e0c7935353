"""The pages over the demo district: one migrated SQLite database with the demo loaded per test
session (the pages only read it, apart from logins), a fresh browser-like client per test."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from huiqi.app.api.main import create_app
from huiqi.app.db import upgrade
from huiqi.app.demo import PASSWORD, load

HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    path: Path = tmp_path_factory.mktemp("web") / "demo.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    load(url)
    return create_app(url)


@pytest.fixture
def client(demo_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(demo_app, headers=HTML) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrftoken" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, username: str) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrftoken": token},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
