"""A bounded load scenario: applicants and reviewers against ``huiqi serve`` on PostgreSQL.

    python bench/load.py --server postgresql://postgres@127.0.0.1:55432/postgres \
                         [--applicants 40] [--clients 16] [--seconds 120] [--port 8791]

Makes a fresh database ``huiqi_load`` on the server (dropped first if present), registers one new
chain leader per applicant with its user, and starts ``huiqi serve`` on 127.0.0.1 in a child
process. Then, within ``--seconds``, with at most ``--clients`` applicants at a time: each logs
in, starts an m01.new application, submits it and reads it back; the two reviewing departments
each approve what waits for them; the office awards each approved application its ceiling; two
finance officers then make payment batches and run payments at the same moment. Every answer is
timed per route; an error is a transport failure, any 5xx, or any status the scenario did not
expect. After the run the audit chain is verified and the ledger reconciled. Results go to
``bench/results-load.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

HERE = Path(__file__).parent
RESULTS = HERE / "results-load.md"
PASSWORD = "load scenario 惠企 2026"
ECON, SCI = "经济和信息化局", "科学技术委员会"


class Recorder:
    """Latencies per route template and the errors seen."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    async def call(self, client: httpx.AsyncClient, method: str, route: str, path: str,
                   expect: tuple[int, ...] = (200,), **kw: object) -> httpx.Response | None:
        began = time.perf_counter()
        try:
            r = await client.request(method, path, **kw)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.errors.append(f"{method} {route}: {type(exc).__name__}")
            return None
        self.times[f"{method} {route}"].append((time.perf_counter() - began) * 1000)
        if r.status_code not in expect:
            self.errors.append(f"{method} {route}: {r.status_code} {r.text[:120]}")
        return r


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def seed(url: str, applicants: int) -> None:
    """The district: staff users, m01.new reviewed by two departments, a budget, the applicants."""
    from stdnum.cn import uscc

    from huiqi.app.auth import service as auth
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.budget import service as budget
    from huiqi.app.db import make_engine, sessions, transaction
    from huiqi.app.registry import service as registry
    from huiqi.app.registry.schemas import BankAccount, FactIn, OrganisationIn, RecognitionIn
    from huiqi.app.settings import service as settings

    admin, office, finance = (Actor("admin1", Role.ADMIN), Actor("office1", Role.OFFICE),
                              Actor("finance1", Role.FINANCE))
    engine = make_engine(url)
    factory = sessions(engine)
    with transaction(factory) as s:
        for name, role, dept in (("office1", Role.OFFICE, None), ("finance1", Role.FINANCE, None),
                                 ("finance2", Role.FINANCE, None), ("econ1", Role.REVIEWER, ECON),
                                 ("sci1", Role.REVIEWER, SCI)):
            auth.create_user(s, actor=admin, username=name, password=PASSWORD, role=role,
                             display_name=name, department=dept)
        settings.configure_measure(s, actor=office, measure="m01.new", departments=[ECON, SCI],
                                   review_days=5, no_application=False, offer_days=15)
        budget.set_budget(s, actor=finance, measure="m01.new", year=2024, amount_fen=10**12)
    for i in range(applicants):
        base = f"91110112MA02L{i:04d}"
        name = f"通州负载企业{i}号有限公司"
        with transaction(factory) as s:
            org = registry.create_org(s, actor=office, data=OrganisationIn(
                uscc=base + uscc.calc_check_digit(base), name=name, kind="enterprise",  # type: ignore[arg-type]
                industry="3911", bank_account=BankAccount(bank_name="北京银行通州支行",
                                                          account_no=f"2000{i:010d}", account_name=name)))
            registry.set_fact(s, actor=office, org_id=org.id, data=FactIn(
                year=2024, name="regional_contribution", value=Decimal("1000000.00"), source="区税务局"))
            registry.add_recognition(s, actor=office, org_id=org.id, person_id=None, data=RecognitionIn(
                kind="chain_leader", subtype="new", recognised_on=date(2024, 5, 1)))
            auth.create_user(s, actor=admin, username=f"ent{i}", password=PASSWORD,
                             role=Role.APPLICANT, display_name=name, org_id=org.id)
    engine.dispose()


async def login(rec: Recorder, c: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await rec.call(c, "POST", "/auth/login", "/auth/login",
                       json={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['token']}"} if r is not None and r.is_success else {}


async def applicant(rec: Recorder, c: httpx.AsyncClient, i: int) -> None:
    auth = await login(rec, c, f"ent{i}")
    await rec.call(c, "GET", "/auth/me", "/auth/me", headers=auth)
    r = await rec.call(c, "POST", "/applications", "/applications", (201,), headers=auth,
                       json={"measure": "m01.new", "year": 2024})
    if r is None or r.status_code != 201:
        return
    app_id = r.json()["id"]
    await rec.call(c, "POST", "/applications/{id}/submit", f"/applications/{app_id}/submit",
                   headers=auth, json={"accept_commitment": True, "signatory": f"法人{i}"})
    await rec.call(c, "GET", "/applications/{id}", f"/applications/{app_id}", headers=auth)
    await rec.call(c, "GET", "/applications", "/applications", headers=auth)


async def worker(rec: Recorder, c: httpx.AsyncClient, username: str, state: str, total: int,
                 deadline: float) -> None:
    """A reviewer approves (or the office awards) what waits in ``state`` until ``total`` are done."""
    auth = await login(rec, c, username)
    done: set[int] = set()
    while len(done) < total and time.monotonic() < deadline:
        r = await rec.call(c, "GET", "/applications?state=…", "/applications", headers=auth,
                           params={"state": state, "limit": 1000})
        waiting = [a for a in (r.json() if r is not None and r.is_success else [])
                   if a["id"] not in done]
        for a in waiting:
            if username == "office1":
                await rec.call(c, "POST", "/applications/{id}/decision",
                               f"/applications/{a['id']}/decision", headers=auth,
                               json={"award": True, "amount": a["ceiling"], "version": a["version"]})
            else:
                # the other department may have approved it a moment ago: still in review for us
                await rec.call(c, "POST", "/applications/{id}/review",
                               f"/applications/{a['id']}/review", headers=auth,
                               json={"approve": True})
            done.add(a["id"])
        if not waiting:
            await asyncio.sleep(0.3)


async def finance(rec: Recorder, c: httpx.AsyncClient, username: str) -> None:
    auth = await login(rec, c, username)
    await rec.call(c, "POST", "/payments/batches", "/payments/batches", (201, 422), headers=auth,
                   json={})
    await rec.call(c, "POST", "/payments/run", "/payments/run", headers=auth, json={})
    await rec.call(c, "GET", "/budgets", "/budgets", headers=auth)


async def scenario(base: str, applicants: int, clients: int,
                   seconds: float) -> tuple[Recorder, float]:
    rec = Recorder()
    gate = asyncio.Semaphore(clients)

    async def one(c: httpx.AsyncClient, i: int) -> None:
        async with gate:
            await applicant(rec, c, i)

    # idle connections are dropped before uvicorn's 5 s keep-alive ends, so none is reused as it closes
    limits = httpx.Limits(max_connections=applicants + 8, keepalive_expiry=2)
    began = time.monotonic()
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as c:
        deadline = began + seconds
        lifecycle = asyncio.gather(
            *(one(c, i) for i in range(applicants)),
            worker(rec, c, "econ1", "in_review", applicants, deadline),
            worker(rec, c, "sci1", "in_review", applicants, deadline),
            worker(rec, c, "office1", "approved", applicants, deadline))
        await asyncio.wait_for(lifecycle, timeout=seconds + 30)
        await asyncio.gather(finance(rec, c, "finance1"), finance(rec, c, "finance2"))
    return rec, time.monotonic() - began


def check(url: str, applicants: int) -> list[str]:
    """The audit chain verifies, every budget line reconciles, every award is paid once."""
    from sqlalchemy import func, select

    from huiqi.app.audit.service import verify
    from huiqi.app.budget import service as budget
    from huiqi.app.budget.bank import LocalBank
    from huiqi.app.budget.models import Payment
    from huiqi.app.db import make_engine, sessions

    engine = make_engine(url)
    with sessions(engine)() as s:
        chain = verify(s)
        lines = budget.reconcile(s, year=2024)
        paid = s.scalar(select(func.count()).select_from(Payment).where(Payment.state == "paid"))
    bank = LocalBank(engine)
    out = [f"audit chain: {chain.entries} entries, {'verifies' if chain.ok else 'BROKEN'}",
           f"ledger: {'reconciles' if all(x.consistent for x in lines) else 'DOES NOT reconcile'}; "
           f"paid {paid} of {applicants}; bank asked to transfer {bank.received('transfer')} times, "
           f"booked {bank.count()}"]
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default=os.environ.get("HUIQI_TEST_POSTGRES"),
                    help="a PostgreSQL server URL (its postgres database)")
    ap.add_argument("--applicants", type=int, default=40)
    ap.add_argument("--clients", type=int, default=16, help="applicants at the same moment")
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--port", type=int, default=8791)
    args = ap.parse_args()
    if not args.server:
        sys.exit("--server or HUIQI_TEST_POSTGRES: a PostgreSQL server is needed")
    admin = create_engine(args.server.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS huiqi_load WITH (FORCE)"))
        c.execute(text("CREATE DATABASE huiqi_load"))
    url = args.server.rsplit("/", 1)[0] + "/huiqi_load"
    from huiqi.app.db import upgrade

    upgrade(url)
    seed(url, args.applicants)
    log = open(Path(tempfile.gettempdir()) / "huiqi-load-server.log", "w")  # noqa: SIM115
    server = subprocess.Popen([sys.executable, "-m", "huiqi", "serve", "--host", "127.0.0.1",
                               "--port", str(args.port), "--db", url], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/measures", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        rec, elapsed = asyncio.run(scenario(base, args.applicants, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    report(rec, elapsed, args, check(url, args.applicants))


def report(rec: Recorder, elapsed: float, args: argparse.Namespace, checks: list[str]) -> None:
    n = sum(len(v) for v in rec.times.values())
    lines = [f"# huiqi load scenario — {date.today()}, {platform.machine()}, {os.cpu_count()} cores",
             "", f"`python bench/load.py --applicants {args.applicants} --clients {args.clients} "
             f"--seconds {args.seconds:g}`: {args.applicants} applicants, {args.clients} at a time "
             "(log in, start, submit, read back), two reviewing "
             "departments approving, the office awarding, then two finance officers batching and "
             "paying at the same moment; `huiqi serve` (1 worker) on PostgreSQL 15, 127.0.0.1 only.",
             "", f"{n} requests in {elapsed:.1f} s; **errors: {len(rec.errors)}** "
             "(transport failures, 5xx, or any status the scenario did not expect).", "",
             "| route | requests | p50 ms | p95 ms | max ms |", "|---|---:|---:|---:|---:|"]
    for route, xs in sorted(rec.times.items()):
        lines.append(f"| `{route}` | {len(xs)} | {pct(xs, 50):.1f} | {pct(xs, 95):.1f} | {max(xs):.1f} |")
    lines += ["", *[f"- {c}" for c in checks]]
    if rec.errors:
        lines += ["", "Errors (the server's log: `huiqi-load-server.log` in the temporary folder):", "",
                  *[f"- {e}" for e in rec.errors[:30]]]
    lines += ["", "The machine (2 cores) was shared with other jobs during the run: the times are an "
              "indication of the shape, not a capacity figure."]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
