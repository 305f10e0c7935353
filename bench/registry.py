"""`huiqi offers match` over registered organisations on PostgreSQL, timed by stage.

    python bench/registry.py [--server postgresql://…/postgres] [--orgs 10000[,1000000]]
                             [--services] [--keep] [--write] [--record]
    python bench/registry.py --cross-check 10000

For each size a fresh database ``huiqi_bench_registry_<n>`` is made on the server (dropped first
if present; dropped afterwards unless ``--keep``), migrated, and filled with ``registry(n)``:
enterprises with three years of regional contribution, the size figures and (30 %) R&D
investment; 2 % park operators; 3 % chain leaders (new or existing); 20 % of the enterprises
recognised as introduced by a park operator; m01.new and m01.existing flagged 免申即享 so eligible
matches become offers. The registry is COPYed into its tables with the values the services store
(``--services``: entered through the registry's services, as the office enters them — ≈ 22 ms an
organisation, 6 h at 10⁶); ``--cross-check N`` seeds N both ways and requires the same matches
and offers from both.

Then one matching run (``matching.run``, what ``huiqi offers match`` calls) is timed in a fresh
process, split by the stages it reports: reading the registry (every organisation's facts,
recognitions and award history into the engine's tables), evaluating (the compiled measures in
DuckDB, and the explanations), offers, the matches written (COPY) with the run's audit entry and
deadline notices, and the commit; with the process's CPU time, its peak memory and the load
average (1 min) before and after. ``--write`` appends the table to ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

HERE = Path(__file__).parent
YEAR = 2025
TARGET_ORGS, TARGET_SECONDS = 1_000_000, 120


def uscc_for(i: int) -> str:
    from stdnum.cn import uscc

    base = f"91110112MA{i:07d}"[:17]
    return base + uscc.calc_check_digit(base)


@dataclass
class Org:
    """One organisation of the benchmark's registry, as the office would enter it."""

    i: int
    park: bool
    industry: str
    facts: list[tuple[int, str, Decimal]] = field(default_factory=list)  # (year, name, yuan)
    chain_leader: tuple[str, date] | None = None
    introducer: int | None = None  # the index of the park operator that introduced it


def registry(n: int) -> Iterator[Org]:
    """n organisations: enterprises with three years of regional contribution, the size figures
    and (30 %) R&D investment; 2 % park operators; 3 % chain leaders (new or existing); 20 % of
    the enterprises introduced by a park operator. The one distribution both seeders write."""
    rng = random.Random(9)
    parks: list[int] = []
    for i in range(n):
        park = i % 50 == 0
        org = Org(i, park, rng.choice(["3911", "6513", "7320", "2710"]))
        if park:
            parks.append(i)
            yield org
            continue
        rc = rng.lognormvariate(13, 1.5)
        for year, factor in ((YEAR - 2, 1.0), (YEAR - 1, rng.uniform(0.8, 1.6)),
                             (YEAR, rng.uniform(0.8, 1.6))):
            rc *= factor
            org.facts.append((year, "regional_contribution", Decimal(f"{rc:.2f}")))
        facts: dict[str, Any] = {"employees": rng.randint(5, 900),
                                 "revenue": round(rng.lognormvariate(16, 1.5), 2),
                                 "assets": round(rng.lognormvariate(16, 1.5), 2)}
        if rng.random() < 0.3:
            facts["rd_investment"] = round(rng.lognormvariate(13, 1.2), 2)
        org.facts += [(YEAR, name, Decimal(str(value))) for name, value in facts.items()]
        draw = rng.random()
        if draw < 0.03:
            since = date(YEAR, rng.randint(1, 12), 1) if draw < 0.015 else date(2022, 5, 1)
            org.chain_leader = ("new" if draw < 0.015 else "existing", since)
        elif draw < 0.23 and parks:
            org.introducer = rng.choice(parks)
        yield org


def name_of(org: Org) -> str:
    return f"通州基准{org.i}号{'园区运营' if org.park else '科技'}有限公司"


def flag_offers(url: str) -> None:
    """m01.new and m01.existing granted without application (免申即享): eligible matches become
    offers."""
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.db import make_engine, sessions, transaction
    from huiqi.app.settings import service as settings

    engine = make_engine(url)
    with transaction(sessions(engine)) as s:
        for measure in ("m01.new", "m01.existing"):
            settings.configure_measure(s, actor=Actor("office1", Role.OFFICE), measure=measure,
                                       departments=["经济和信息化局"], review_days=5,
                                       no_application=True, offer_days=15)
    engine.dispose()


def seed(url: str, n: int) -> float:
    """n organisations through the registry's services, 500 to a transaction; returns seconds."""
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.db import make_engine, sessions, transaction
    from huiqi.app.registry import service as registry_service
    from huiqi.app.registry.schemas import FactIn, OrganisationIn, RecognitionIn

    office = Actor("office1", Role.OFFICE)
    began = time.perf_counter()
    flag_offers(url)
    engine = make_engine(url)
    factory = sessions(engine)
    ids: dict[int, int] = {}
    orgs = registry(n)
    while batch := list(itertools.islice(orgs, 500)):
        with transaction(factory) as s:
            for o in batch:
                org = registry_service.create_org(s, actor=office, data=OrganisationIn(
                    uscc=uscc_for(o.i), name=name_of(o),
                    kind="park_operator" if o.park else "enterprise",
                    industry=o.industry))
                ids[o.i] = org.id
                for year, name, value in o.facts:
                    registry_service.set_fact(s, actor=office, org_id=org.id, data=FactIn(
                        year=year, name=name, value=value,  # type: ignore[arg-type]
                        source="区税务局" if name == "regional_contribution" else "区统计局"))
                if o.chain_leader:
                    registry_service.add_recognition(
                        s, actor=office, org_id=org.id, person_id=None, data=RecognitionIn(
                            kind="chain_leader", subtype=o.chain_leader[0],
                            recognised_on=o.chain_leader[1]))
                elif o.introducer is not None:
                    registry_service.add_recognition(
                        s, actor=office, org_id=org.id, person_id=None, data=RecognitionIn(
                            kind="introduced_by", subtype="park_operator",
                            introducer_id=ids[o.introducer], recognised_on=date(YEAR - 1, 6, 1)))
    engine.dispose()
    return time.perf_counter() - began


def seed_bulk(url: str, n: int) -> float:
    """The same n organisations COPYed straight into the registry's tables, with the values the
    services store (money in fen, counts whole; no audit entries); returns seconds."""
    import psycopg

    from huiqi.app.registry.service import fact_value

    began = time.perf_counter()
    flag_offers(url)
    now = datetime.now(UTC)
    with psycopg.connect(url) as con, con.cursor() as cur:
        with cur.copy("COPY organisations (id, uscc, name, kind, industry, one_matter, "
                      "key_enterprise, fits_industry_positioning, created_at) FROM STDIN") as cp:
            for o in registry(n):
                cp.write_row((o.i + 1, uscc_for(o.i), name_of(o),
                              "park_operator" if o.park else "enterprise", o.industry,
                              False, False, False, now))
        with cur.copy("COPY annual_facts (org_id, year, name, value, source, entered_by, "
                      "entered_at) FROM STDIN") as cp:
            for o in registry(n):
                for year, name, value in o.facts:
                    cp.write_row((o.i + 1, year, name, fact_value(name, value),
                                  "区税务局" if name == "regional_contribution" else "区统计局",
                                  "office1", now))
        with cur.copy("COPY recognitions (org_id, kind, subtype, recognised_on, introducer_id, "
                      "relocated, entered_by, entered_at) FROM STDIN") as cp:
            for o in registry(n):
                if o.chain_leader:
                    cp.write_row((o.i + 1, "chain_leader", o.chain_leader[0], o.chain_leader[1],
                                  None, False, "office1", now))
                elif o.introducer is not None:
                    cp.write_row((o.i + 1, "introduced_by", "park_operator", date(YEAR - 1, 6, 1),
                                  o.introducer + 1, False, "office1", now))
        for table in ("organisations", "annual_facts", "recognitions"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))")
        cur.execute("ANALYZE")
    return time.perf_counter() - began


def timed_run(url: str) -> dict[str, Any]:
    """One matching run in this process, split by stage (the progress it reports)."""
    from huiqi.app.auth.roles import SYSTEM
    from huiqi.app.db import make_engine, sessions, transaction
    from huiqi.app.matching import service as matching

    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, time.perf_counter())

    engine = make_engine(url)
    load_before = os.getloadavg()[0]
    cpu = time.process_time()
    try:
        began = time.perf_counter()
        with transaction(sessions(engine)) as s:
            done = matching.run(s, actor=SYSTEM, year=YEAR, progress=progress)
            ran = time.perf_counter()
        ended = time.perf_counter()
    finally:
        engine.dispose()
    at = [began, *(marks[k] for k in STAGES), ran, ended]
    parts = dict(zip(["before", *STAGES, "commit"], (b - a for a, b in itertools.pairwise(at)),
                     strict=True))
    return {"total": ended - began, **parts, "organisations": done.organisations,
            "matches": done.matches, "offers_made": done.offers,
            "cpu": time.process_time() - cpu,
            "rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
            "load": (load_before, os.getloadavg()[0])}


def matches_of(url: str) -> list[tuple[Any, ...]]:
    """The latest run's matches and offers, comparable across two databases."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT o.uscc, m.measure, m.item, m.status, m.ceiling_fen, m.missing::text, "
            "m.reason_zh, m.reason_en, m.offer_id IS NOT NULL FROM matches m "
            "JOIN organisations o ON o.id = m.org_id "
            "WHERE m.run_id = (SELECT max(id) FROM match_runs) ORDER BY 1, 2, 3")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


# the run's stages, in order, as ``matching.run`` reports them
STAGES = ("registry", "matching", "offers", "writing")
LABELS = {"registry": "reading the registry", "matching": "evaluating", "offers": "offers",
          "writing": "matches written, audit, notices", "commit": "commit"}


def fresh(admin: Any, server: str, name: str) -> str:
    """A new, migrated database on the server; its URL."""
    from huiqi.app.db import upgrade

    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        c.execute(text(f"CREATE DATABASE {name}"))
    url = server.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    return url


def run_apart(url: str) -> dict[str, Any]:
    """``timed_run`` in a fresh process, as ``huiqi offers match`` runs: its own imports, its
    own peak memory."""
    out = subprocess.run([sys.executable, __file__, "--run", url], check=True,
                         capture_output=True, text=True, env=os.environ)
    figures: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def drop(admin: Any, name: str) -> None:
    with admin.connect() as c:
        c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default=os.environ.get("HUIQI_TEST_POSTGRES"),
                    help="a PostgreSQL server URL (its postgres database)")
    ap.add_argument("--orgs", default="10000", help="sizes, comma-separated")
    ap.add_argument("--services", action="store_true",
                    help="seed through the registry's services (slow) instead of COPY")
    ap.add_argument("--cross-check", type=int, metavar="N",
                    help="seed N organisations both ways, run both, and compare the matches")
    ap.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    ap.add_argument("--write", action="store_true", help="append the table to bench/results.md")
    ap.add_argument("--record", action="store_true", help="store the figures in bench/figures.json")
    ap.add_argument("--run", metavar="URL", help=argparse.SUPPRESS)  # the timed run, apart
    args = ap.parse_args()
    # the audit chain's key: a fixed one for the benchmark, not a key file in the working folder
    os.environ.setdefault("HUIQI_AUDIT_KEY", "bench-registry-fixed-key-not-a-secret-0123456789")
    if args.run:
        print(json.dumps(timed_run(args.run)))
        return
    if not args.server:
        raise SystemExit("--server or HUIQI_TEST_POSTGRES: a PostgreSQL server is needed")
    os.chdir(tempfile.mkdtemp(prefix="huiqi-bench-registry-"))  # where a new database's files go
    admin = create_engine(args.server.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    if args.cross_check:
        n = args.cross_check
        urls = [fresh(admin, args.server, f"huiqi_bench_registry_{how}") for how in ("svc", "bulk")]
        seconds = seed(urls[0], n), seed_bulk(urls[1], n)
        for url in urls:
            run_apart(url)
        a, b = (matches_of(url) for url in urls)
        print(f"{n:,} organisations seeded through the services ({seconds[0]:.0f} s) and by COPY "
              f"({seconds[1]:.1f} s): {len(a):,} and {len(b):,} matches, "
              f"{sum(r[-1] for r in a):,} and {sum(r[-1] for r in b):,} offers; "
              f"{'the same' if a == b else 'DIFFERENT'}")
        if not args.keep:
            for how in ("svc", "bulk"):
                drop(admin, f"huiqi_bench_registry_{how}")
        admin.dispose()
        raise SystemExit(0 if a == b else 1)
    rows = []
    for n in (int(x) for x in args.orgs.split(",")):
        name = f"huiqi_bench_registry_{n}"
        url = fresh(admin, args.server, name)
        seeded = (seed if args.services else seed_bulk)(url, n)
        r = run_apart(url)
        r.update(n=n, seeded=seeded)
        rows.append(r)
        if args.record:
            from figures import record  # bench/figures.py, beside this script

            record(f"registry-{n}", r)
        print(f"{n:,} organisations: seeded in {seeded:.0f} s; run {r['total']:.1f} s ("
              + ", ".join(f"{LABELS[p]} {r[p]:.1f}" for p in (*STAGES, "commit"))
              + f"); {r['matches']:,} matches, {r['offers_made']:,} offers; peak "
              f"{r['rss_gb']:.2f} GB; load {r['load'][0]:.1f}→{r['load'][1]:.1f}", flush=True)
        if not args.keep:
            drop(admin, name)
    admin.dispose()
    parts = (*STAGES, "commit")
    lines = [f"`offers match` over registered organisations (`python bench/registry.py --orgs "
             f"{args.orgs}`), PostgreSQL on 127.0.0.1, one run per size in a fresh process, "
             f"{date.today()}:", "",
             "| organisations | matches | offers | run s | "
             + " | ".join(f"{LABELS[p]} s" for p in parts)
             + " | ms per organisation | CPU s | peak memory | load average |",
             "|---:|---:|---:|---:|" + "---:|" * len(parts) + "---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['matches']:,} | {r['offers_made']:,} | {r['total']:.1f} | "
                     + " | ".join(f"{r[p]:.1f} ({r[p] / r['total']:.0%})" for p in parts)
                     + f" | {r['total'] / r['n'] * 1000:.3f} | {r['cpu']:.1f} | "
                     f"{r['rss_gb']:.2f} GB | {r['load'][0]:.1f}→{r['load'][1]:.1f} |")
    last = rows[-1]
    per = last["total"] / last["n"]
    if last["n"] < TARGET_ORGS:
        lines += ["", f"Extrapolated linearly from {last['n']:,}: 10⁶ organisations ≈ "
                  f"{per * TARGET_ORGS:.0f} s (target ≤ {TARGET_SECONDS} s)."]
    print("\n".join(lines))
    if args.write:
        with (HERE / "results.md").open("a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
