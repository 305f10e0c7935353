"""Server time per page on the demo district: every page a visitor, an enterprise and the office
open, and the calculator's answer, each timed in-process through the whole ASGI stack (session
cookie, CSRF, database reads, templates in the page's language).

    python bench/pages.py [--runs 50] [--write]

Targets (issue 11): p95 ≤ 100 ms a page, ≤ 300 ms the calculator's answer. The reference, timed in
the same run and in alternation, is a vendored static file through the same stack: what any
answer costs before the page's own work. Prints p50/p95 per page, the peak RSS and the load
average before and after, since the machine may be shared; ``--write`` appends to
``bench/results.md``.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
STATIC = "/static/vendor/htmx/htmx.min.js"
# the calculator with every question answered: the results page computes every measure
CALC_STATE = {"kind": "enterprise", "year": 2024, "skip": [], "measures": [], "facts": {
    "size": {"class": "medium"}, "regional_contribution": {"2024": "12000000.00", "2023": "0.00",
                                                           "2022": "0.00"},
    "rd_investment": {"2024": "25000000.00"}}}


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def csrf(html: str) -> str:
    token = re.search(r'name="csrftoken" value="([^"]+)"', html)
    assert token
    return token.group(1)


def log_in(client: Any, username: str, password: str, secret: str) -> None:
    import pyotp

    token = csrf(client.get("/login").text)
    data = {"username": username, "password": password, "csrftoken": token}
    r = client.post("/login", data=data, follow_redirects=False)
    if r.headers["location"].startswith("/login/code"):
        r = client.post("/login/code", data={"code": pyotp.TOTP(secret).now(), "csrftoken": token},
                        follow_redirects=False)
    assert r.status_code == 303 and client.cookies.get("huiqi_session"), r.text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--write", action="store_true", help="append the result to bench/results.md")
    a = ap.parse_args()

    from fastapi.testclient import TestClient

    from huiqi.app.api.main import create_app
    from huiqi.app.config import Config
    from huiqi.app.db import upgrade
    from huiqi.app.demo import PASSWORD, TOTP_SECRET, load
    from huiqi.app.web.calculator import encode

    folder = Path(tempfile.mkdtemp(prefix="huiqi-bench-pages-"))
    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade(url)
    load(url)
    app = create_app(url, config=Config(calc_page_rate="1000000/minute"))
    html = {"accept": "text/html"}
    calc = "/calculator/results?c=" + encode(CALC_STATE)
    pages: dict[str, list[str]] = {
        "anonymous": ["/", "/policies", "/policies?q=贷款&who=enterprise", "/policies/m01.new",
                      "/calculator", calc],
        "ent1": ["/", "/me/requests", "/me/requests/1", "/me/awards", "/me/payments", "/me/profile",
                 "/me/notices", "/me/people"],
        "ent3": [],  # the wizard's pages, on its draft (found below)
        "talent1": ["/"],
        "office": ["/"],
        "helper1": ["/staff/assist", "/staff/assist/4"],
    }
    clients: dict[str, Any] = {}
    for who in pages:
        clients[who] = TestClient(app, headers=html).__enter__()
        if who != "anonymous":
            log_in(clients[who], who, PASSWORD, TOTP_SECRET)
    # the enterprise's own records, found from its home page
    home = clients["ent1"].get("/").text
    pages["ent1"] += sorted(set(re.findall(r'href="(/me/applications/\d+)"', home)))[:2]
    pages["ent1"] += sorted(set(re.findall(r'href="(/me/awards/\d+/notice\.pdf)"',
                                           clients["ent1"].get("/me/awards").text)))[:1]
    draft = clients["ent3"].post("/me/applications/new", data={"measure": "m07.rd", "csrftoken": csrf(
        clients["ent3"].get("/policies/m07.rd").text)}, follow_redirects=False).headers["location"]
    base = draft.removesuffix("/tasks")
    pages["ent3"] += [draft, f"{base}/organisation", f"{base}/facts", f"{base}/documents",
                      f"{base}/commitment"]

    timed: dict[tuple[str, str], list[float]] = {(w, p): [] for w, ps in pages.items() for p in ps}
    ref: list[float] = []
    for (who, path) in timed:  # warm every page once, checking it answers
        r = clients[who].get(path)
        assert r.status_code == 200, (who, path, r.status_code)
    load_before = os.getloadavg()[0]
    for _ in range(a.runs):
        for (who, path), out in timed.items():
            t0 = time.perf_counter()
            clients[who].get(path)
            out.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            clients["anonymous"].get(STATIC)
            ref.append((time.perf_counter() - t0) * 1000)
    load_after = os.getloadavg()[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    lines = [f"Pages on the demo district, in-process, {a.runs} runs each, alternating:", "",
             "| page | as | p50 ms | p95 ms | target p95 ms | met |", "|---|---|---:|---:|---:|---|"]
    for (who, path), xs in timed.items():
        target = 300 if path == calc else 100
        shown = "/calculator/results (every measure)" if path == calc else re.sub(r"/\d+", "/{id}", path)
        lines.append(f"| `{shown}` | {who} | {pct(xs, 50):.1f} | {pct(xs, 95):.1f} | {target} | "
                     f"{'yes' if pct(xs, 95) <= target else 'no'} |")
    lines.append(f"| reference: `{STATIC}` | anonymous | {pct(ref, 50):.1f} | {pct(ref, 95):.1f} | | |")
    lines += ["", f"Peak RSS {rss:.0f} MB; load average (1 min) {load_before:.2f} before, "
              f"{load_after:.2f} after, on {os.cpu_count()} cores."]
    print("\n".join(lines))
    for c in clients.values():
        c.__exit__(None, None, None)
    if a.write:
        with (HERE / "results.md").open("a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
