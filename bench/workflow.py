"""Benchmark of the platform: the calculator over HTTP, and applications through the whole
lifecycle on PostgreSQL.

    python bench/workflow.py calculator [--requests 2000] [--concurrency 4] [--workers 2]
                                        [--client python|wrk] [--seconds 20]
    python bench/workflow.py lifecycle --db postgresql://USER@HOST:PORT/DB [--applications 10000]
                                       [--workers 2]

``calculator`` starts ``huiqi serve`` (uvicorn, SQLite) in a separate process and posts the
chain-leader example case from a pool of clients: requests/s and latency percentiles. The clients
are Python processes (``--client python``, ``--requests`` in all), or ``wrk`` (``--client wrk``,
for ``--seconds``; Debian's ``wrk`` package), a load generator in C that takes a small share of
the cores it shares with the server — the fairer measure of the server on one machine.
``lifecycle`` needs an empty database: it registers one new chain leader per application and
takes each through start → submit (engine) → two parallel reviews → decision (engine again,
budget commit) → payment batch → payment run, timing every phase. Results go to
``bench/results-platform.md``. Reference: a district office handles a few thousand applications a
year; the provincial scale aimed at is 10⁴–10⁵ per measure round.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import yaml

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "examples" / "chain-leader.yaml"
RESULTS = HERE / "results-platform.md"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def write(section: str, lines: list[str]) -> None:
    head = f"# huiqi platform benchmark — {date.today()}, {platform.machine()}, {os.cpu_count()} cores\n"
    old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else head
    parts = {p.split("\n", 1)[0]: p for p in old.split("\n## ")[1:]}
    parts[section] = section + "\n\n" + "\n".join(lines) + "\n"
    RESULTS.write_text(head + "".join("\n## " + parts[k] for k in sorted(parts)), encoding="utf-8")
    print("\n".join(lines))


def calculator(requests: int, concurrency: int, workers: int, keep: bool = False,
               client: str = "python", seconds: int = 20) -> None:
    import httpx

    folder = tempfile.mkdtemp(prefix="huiqi-bench-")
    port = 8765
    # one load generator on loopback is one client address: lift the public calculator's rate limit
    env = {**os.environ, "HUIQI_CALC_RATE": "1000000/minute"}
    server = subprocess.Popen([sys.executable, "-m", "huiqi", "serve", "--port", str(port), "--db",
                               f"sqlite:///{folder}/bench.db", "--workers", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    case = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    case = {**case, "beneficiaries": [{**b, "regional_contribution": {
        str(k): str(v) for k, v in b["regional_contribution"].items()},
        "rd_investment": {str(k): str(v) for k, v in b["rd_investment"].items()},
        "chain_leader": {**b["chain_leader"], "since": str(b["chain_leader"]["since"])},
        "titles": [{**t, "date": str(t["date"])} for t in b["titles"]]} for b in case["beneficiaries"]]}
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/measures", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        with ThreadPoolExecutor(concurrency) as pool:  # warm: compile once per worker
            warm = list(pool.map(lambda _: httpx.post(f"{base}/calculate", json=case, timeout=60),
                                 range(20 * workers)))
            assert all(r.status_code == 200 for r in warm)

        body = json.dumps(case).encode()
        if client == "wrk":
            _wrk(port, body, concurrency, workers, seconds, keep)
            return
        # Clients are processes with the standard library's HTTP client, so that the client side
        # (one Python thread pool under one GIL) is not what is measured.
        per = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        with mp.get_context("spawn").Pool(concurrency) as pool:
            lat = [x for part in pool.starmap(_post_many, [(port, body, n) for n in per])
                   for x in part]
        wall = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
    finally:
        server.terminate()
        server.wait()
    ms = [x * 1000 for x in lat]
    write(f"Calculator over HTTP, {workers} worker(s)", [
        f"`POST /calculate`, the chain-leader example (all 24 measures for its kind, explanations "
        f"included), {requests} requests from {concurrency} concurrent clients, `huiqi serve "
        f"--workers {workers}` (uvicorn):",
        "",
        "| requests/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---:|---:|---:|---:|---:|",
        f"| {requests / wall:.1f} | {statistics.median(ms):.1f} | {pct(ms, 95):.1f} | {pct(ms, 99):.1f} "
        f"| {max(ms):.1f} |", "",
        f"Clients and server share the machine's {os.cpu_count()} cores; load average (1 min) "
        f"{load_before:.2f} before, {load_after:.2f} after (other work was running)."])
    if keep:
        from figures import record  # bench/figures.py, beside this script

        record(f"http-{workers}w-{concurrency}c", {
            "requests": requests, "rps": requests / wall, "p50": statistics.median(ms),
            "p95": pct(ms, 95), "p99": pct(ms, 99), "load": [load_before, load_after]})


# wrk's script: post the case, and print the figures as one JSON line when done (wrk's own
# summary has no 95th percentile).
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("HUIQI_BENCH_BODY"), "rb")
wrk.body = f:read("*a")
f:close()
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "us": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d, "non2xx": %d, '
    .. '"errors": %d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


def _wrk(port: int, body: bytes, concurrency: int, workers: int, seconds: int,
         keep: bool) -> None:
    """``concurrency`` connections from one wrk thread for ``seconds``; figures as _post_many's."""
    folder = Path(tempfile.mkdtemp(prefix="huiqi-wrk-"))
    (folder / "case.json").write_bytes(body)
    (folder / "post.lua").write_text(WRK_SCRIPT, encoding="utf-8")
    load_before = os.getloadavg()[0]
    cpu_before = os.times()
    run = subprocess.run(["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "-s",
                          str(folder / "post.lua"), f"http://127.0.0.1:{port}/calculate"],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "HUIQI_BENCH_BODY": str(folder / "case.json")})
    cpu_after = os.times()
    load_after = os.getloadavg()[0]
    got = json.loads(next(line for line in run.stdout.splitlines() if line.startswith("{")))
    assert got["non2xx"] == 0 and got["errors"] == 0, run.stdout
    rps = got["requests"] / (got["us"] / 1e6)
    client_cpu = (cpu_after.children_user + cpu_after.children_system
                  - cpu_before.children_user - cpu_before.children_system)
    ms = {k: got[k] / 1000 for k in ("p50", "p95", "p99", "max")}
    write(f"Calculator over HTTP, {workers} worker(s), wrk, {concurrency} connections", [
        f"`POST /calculate`, the chain-leader example (all 24 measures for its kind, explanations "
        f"included), {got['requests']} requests in {seconds} s from wrk ({concurrency} "
        f"connections, one thread), `huiqi serve --workers {workers}` (uvicorn):",
        "",
        "| requests/s | p50 ms | p95 ms | p99 ms | max ms | wrk CPU-seconds |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {rps:.1f} | {ms['p50']:.1f} | {ms['p95']:.1f} | {ms['p99']:.1f} | {ms['max']:.1f} "
        f"| {client_cpu:.1f} |", "",
        f"wrk and the server share the machine's {os.cpu_count()} cores; load average (1 min) "
        f"{load_before:.2f} before, {load_after:.2f} after."])
    if keep:
        from figures import record  # bench/figures.py, beside this script

        record(f"http-{workers}w-{concurrency}c-wrk", {
            "requests": got["requests"], "rps": rps, "p50": ms["p50"], "p95": ms["p95"],
            "p99": ms["p99"], "client_cpu_s": client_cpu, "load": [load_before, load_after]})


def _post_many(port: int, body: bytes, n: int) -> list[float]:
    """``n`` requests over one kept-alive connection; each one's latency in seconds."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request("POST", "/calculate", body, {"content-type": "application/json"})
        r = conn.getresponse()
        content = r.read()
        out.append(time.perf_counter() - t)
        assert r.status == 200 and b'"total_ceiling":"13900000.00"' in content
    conn.close()
    return out


def _register(url: str, n: int) -> list[int]:
    from stdnum.cn import uscc

    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.budget import service as budget
    from huiqi.app.db import make_engine, sessions, transaction
    from huiqi.app.registry import service as registry
    from huiqi.app.registry.schemas import BankAccount, FactIn, OrganisationIn, RecognitionIn
    from huiqi.app.settings import service as settings

    office, finance = Actor("bench-office", Role.OFFICE), Actor("bench-finance", Role.FINANCE)
    engine = make_engine(url)
    factory = sessions(engine)
    ids: list[int] = []
    with transaction(factory) as s:
        settings.configure_measure(s, actor=office, measure="m01.new", departments=["经信局", "金融办"],
                                   review_days=10, no_application=False, offer_days=15)
        budget.set_budget(s, actor=finance, measure="m01.new", year=2024, amount_fen=10**15)
    for start in range(0, n, 500):
        with transaction(factory) as s:
            for i in range(start, min(n, start + 500)):
                base = f"91110112MB{i:07d}"
                name = f"通州基准企业{i}有限公司"
                org = registry.create_org(s, actor=office, data=OrganisationIn(
                    uscc=base + uscc.calc_check_digit(base), name=name, kind="enterprise",
                    bank_account=BankAccount(bank_name="北京银行", account_no=f"6{i:011d}",
                                             account_name=name)))
                registry.set_fact(s, actor=office, org_id=org.id, data=FactIn(
                    year=2024, name="regional_contribution", value=Decimal(1_000_000 + i), source="税务"))
                registry.add_recognition(s, actor=office, org_id=org.id, person_id=None,
                                         data=RecognitionIn(kind="chain_leader", subtype="new",
                                                            recognised_on=date(2024, 5, 1)))
                ids.append(org.id)
    engine.dispose()
    return ids


def _lifecycle(args: tuple[str, list[int]]) -> dict[str, list[float]]:
    """Take each organisation's application from start to decision; the seconds of each step."""
    from huiqi.app.applications import service as apps
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.db import make_engine, sessions, transaction

    url, org_ids = args
    engine = make_engine(url)
    factory = sessions(engine)
    office = Actor("bench-office", Role.OFFICE)
    reviewers = [Actor("r1", Role.REVIEWER, department="经信局"),
                 Actor("r2", Role.REVIEWER, department="金融办")]
    times: dict[str, list[float]] = {"start+submit": [], "review": [], "decide": []}
    for org_id in org_ids:
        ent = Actor(f"ent{org_id}", Role.APPLICANT, org_id=org_id)
        t = time.perf_counter()
        with transaction(factory) as s:
            app = apps.start(s, actor=ent, measure="m01.new", year=2024)
            apps.submit(s, actor=ent, application_id=app.id, accept_commitment=True, signatory="法人")
            app_id, ceiling = app.id, app.ceiling_fen
        times["start+submit"].append(time.perf_counter() - t)
        for r in reviewers:
            t = time.perf_counter()
            with transaction(factory) as s:
                apps.review(s, actor=r, application_id=app_id, approve=True, reason=None)
            times["review"].append(time.perf_counter() - t)
        t = time.perf_counter()
        with transaction(factory) as s:
            apps.decide(s, actor=office, application_id=app_id, award=True, amount_fen=ceiling,
                        reasons=None)
        times["decide"].append(time.perf_counter() - t)
    engine.dispose()
    return times


def lifecycle(url: str, n: int, workers: int) -> None:
    from sqlalchemy import func, select

    from huiqi.app.applications.models import Application
    from huiqi.app.audit.service import verify
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.budget import payments
    from huiqi.app.budget import service as budget
    from huiqi.app.budget.bank import LocalBank
    from huiqi.app.db import make_engine, sessions, transaction, upgrade

    upgrade(url)
    phases: dict[str, float] = {}
    t0 = time.perf_counter()
    ids = _register(url, n)
    phases["register organisations (facts, recognitions)"] = time.perf_counter() - t0
    t = time.perf_counter()
    chunks = [ids[i::workers] for i in range(workers)]
    with mp.get_context("spawn").Pool(workers) as pool:
        parts = pool.map(_lifecycle, [(url, c) for c in chunks])
    phases[f"apply, submit, 2 reviews, decide ({workers} workers)"] = time.perf_counter() - t
    engine = make_engine(url)
    factory = sessions(engine)
    finance = Actor("bench-finance", Role.FINANCE)
    t = time.perf_counter()
    with transaction(factory) as s:
        batch = payments.create_batch(s, actor=finance).batch
        assert batch is not None and batch.payments == n
    phases["payment batch"] = time.perf_counter() - t
    t = time.perf_counter()
    report = payments.run(factory, LocalBank(engine), actor=finance)
    phases["payment run (1 process)"] = time.perf_counter() - t
    t = time.perf_counter()
    with factory() as s:
        paid = s.scalar(select(func.count(Application.id)).where(Application.state == "paid"))
        (line,) = budget.reconcile(s, year=2024)
        chain = verify(s)
    phases["reconcile + verify audit chain"] = time.perf_counter() - t
    engine.dispose()
    total = sum(phases.values())
    assert report.paid == n and paid == n and line.consistent and line.unpaid_fen == 0 and chain.ok
    steps = {k: [x for p in parts for x in p[k]] for k in parts[0]}
    lines = [f"{n:,} applications on PostgreSQL ({url.split('@')[-1]}), m01.new, each through the "
             "whole lifecycle; all paid once, the ledger reconciles, the audit chain "
             f"({chain.entries:,} entries) verifies.", "",
             "| phase | seconds | per application ms |", "|---|---:|---:|"]
    lines += [f"| {k} | {v:.1f} | {v / n * 1000:.1f} |" for k, v in phases.items()]
    lines += [f"| **total** | **{total:.1f}** | **{total / n * 1000:.1f}** |", "",
              "| step (one transaction) | p50 ms | p95 ms |", "|---|---:|---:|"]
    lines += [f"| {k} | {statistics.median(v) * 1000:.1f} | {pct(v, 95) * 1000:.1f} |"
              for k, v in steps.items()]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines += ["", f"Peak RSS of the driver: {rss:.0f} MB."]
    write("Applications through the lifecycle", lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("calculator")
    c.add_argument("--requests", type=int, default=2000)
    c.add_argument("--concurrency", type=int, default=4)
    c.add_argument("--workers", type=int, default=2)
    c.add_argument("--record", action="store_true", help="store the figures in bench/figures.json")
    c.add_argument("--client", choices=["python", "wrk"], default="python")
    c.add_argument("--seconds", type=int, default=20, help="how long wrk runs")
    life = sub.add_parser("lifecycle")
    life.add_argument("--db", required=True)
    life.add_argument("--applications", type=int, default=10_000)
    life.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    if a.what == "calculator":
        calculator(a.requests, a.concurrency, a.workers, a.record, a.client, a.seconds)
    else:
        lifecycle(a.db, a.applications, a.workers)


if __name__ == "__main__":
    main()
