"""Browser tests: the app under uvicorn on 127.0.0.1 (a free port, a fresh demo database),
driven by Playwright through Debian's chromium (never `playwright install`). Without
/usr/bin/chromium every browser test is skipped with a message (CI installs it)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from huiqi.app.demo import PASSWORD
from tests import totp

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"  # git-ignored; CI keeps it as an artefact
ROOT = Path(__file__).parents[2]


@pytest.fixture(autouse=True, scope="session")
def _needs_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1280, "height": 900}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``huiqi serve --demo`` on a free port; its URL. Stopped by its process group's id."""
    db = tmp_path_factory.mktemp("browser") / "demo.db"
    port = _free_port()
    # every page visit comes from 127.0.0.1: the calculator pages' rate limit is tested elsewhere
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HUIQI_CALC_PAGE_RATE": "100000/minute"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "huiqi", "serve", "--demo", "--port", str(port), "--db", f"sqlite:///{db}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(url + "/policies", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("huiqi serve exited before answering") from None
                time.sleep(0.2)
        else:
            raise RuntimeError("huiqi serve did not answer within 120 s")
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page: Any, server: str, username: str, *, on_code_page: Any = None) -> None:
    """Log in through the pages in the page's language: the password, then for staff the 动态口令
    (a fresh code: each is accepted once per user). ``on_code_page(page)`` runs on the code page."""
    page.goto(f"{server}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()
    if urlsplit(page.url).path == "/login/code":
        if on_code_page is not None:
            on_code_page(page)
        page.locator("#code").fill(totp.code(server, username))
        page.locator("form[action='/login/code'] button[type=submit]").click()
        page.wait_for_load_state()


def _api(server: str, method: str, path: str, body: dict[str, Any] | None = None,
         token: str | None = None) -> Any:
    headers = {"content-type": "application/json", "accept": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(server + path, data=data, headers=headers,
                                                       method=method), timeout=30) as r:
        return json.loads(r.read())


def reset_second_factor(server: str, username: str) -> None:
    """The security administrator (over the API) removes ``username``'s second factor: its next
    login sets up a new one."""
    pending = _api(server, "POST", "/auth/login", {"username": "security", "password": PASSWORD})
    token = _api(server, "POST", "/auth/totp", {"code": totp.code(server, "security")},
                 pending["token"])["token"]
    user = next(u for u in _api(server, "GET", "/users", token=token) if u["username"] == username)
    _api(server, "POST", f"/users/{user['id']}/second-factor/reset", {}, token)
