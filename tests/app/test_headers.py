"""Security headers on every answer, no server banner, the docs behind login (issue 10, finding 9)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.config import Config
from tests.app.http import add_users, client, login

SECURE = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def assert_secured(headers: httpx.Headers) -> None:
    for name, value in SECURE.items():
        assert headers.get(name) == value, (name, headers.get(name))
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "server" not in headers


def test_every_kind_of_answer_carries_the_security_headers(db_url: str) -> None:
    c = client(db_url, config=Config(body_max_bytes=2048))
    answers = [c.get("/measures"), c.get("/nowhere"), c.post("/auth/login", json={}),
               c.post("/auth/login", content=b" " * 4096), c.get("/auth/me"), c.get("/docs"),
               c.get("/openapi.json")]
    assert [r.status_code for r in answers] == [200, 404, 422, 413, 401, 401, 401]
    for r in answers:
        assert_secured(r.headers)


def test_the_docs_need_a_login_in_production_and_open_with_one(db_url: str,
                                                               factory: sessionmaker[Session]) -> None:
    add_users(factory, None)
    c = client(db_url)
    token = login(c, "auditor1")
    assert c.get("/openapi.json").status_code == 401
    assert c.get("/openapi.json", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert c.get("/openapi.json", headers=token).json()["info"]["title"] == "huiqi 惠企"
    assert c.get("/docs", headers=token).status_code == 200


def test_a_docs_page_may_run_only_its_own_inline_script_by_hash(db_url: str) -> None:
    c = client(db_url, config=Config(public_docs=True))
    for page, inline in (("/docs", 1), ("/redoc", 0)):  # Swagger UI starts with one; ReDoc has none
        r = c.get(page)
        scripts = re.findall(r"<script>(.*?)</script>", r.text, re.DOTALL)
        allowed = re.findall(r"'sha256-([^']+)'", r.headers["content-security-policy"])
        assert len(scripts) == inline
        assert allowed == [base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() for s in scripts]
        assert r.headers["x-frame-options"] == "DENY"


def test_the_assets_may_be_cached_and_api_data_and_pages_may_not(db_url: str) -> None:
    c = client(db_url, config=Config(public_docs=True))
    for path in ("/static-offline-docs/swagger-ui.css", "/static/css/huiqi.css"):
        asset = c.get(path)
        assert asset.status_code == 200 and "no-store" not in asset.headers.get("cache-control", "")
        again = c.get(path, headers={"if-none-match": asset.headers["etag"]})
        assert again.status_code == 304  # revalidated, not sent again
    assert c.get("/measures").headers["cache-control"] == "no-store"
    assert c.get("/policies", headers={"accept": "text/html"}).headers["cache-control"] == "no-store"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``huiqi serve`` as a user starts it (docs public, as --demo makes them, without the demo's data)."""
    port = _free_port()
    db = tmp_path_factory.mktemp("served") / "huiqi.db"
    src = str(Path(__file__).parents[2] / "src")
    env = {**os.environ, "HUIQI_PUBLIC_DOCS": "1",
           "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    server = subprocess.Popen([sys.executable, "-m", "huiqi", "serve", "--port", str(port),
                               "--db", f"sqlite:///{db}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/measures", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_huiqi_serve_advertises_no_server_and_sends_the_headers(served: str) -> None:
    r = httpx.get(f"{served}/measures")
    assert r.status_code == 200
    assert_secured(r.headers)


def test_swagger_ui_and_redoc_render_under_their_policy_in_a_browser(served: str) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("no Chromium")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium)
        page = browser.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text
                else None)
        page.goto(f"{served}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "huiqi" in page.inner_text(".swagger-ui .info .title")
        page.goto(f"{served}/redoc")
        page.wait_for_selector("h1", timeout=20_000)
        assert "huiqi" in page.inner_text("h1")
        browser.close()
    # only ReDoc's "powered by" logo from its CDN is stopped — as it should be, the docs stay offline
    assert [m for m in refused if "cdn.redoc.ly" not in m] == []
