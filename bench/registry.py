"""`huiqi offers match` over registered organisations on PostgreSQL, timed by stage.

    python bench/registry.py [--server postgresql://…/postgres] [--orgs 10000[,100000]]
                             [--keep] [--write]

For each size a fresh database ``huiqi_bench_registry_<n>`` is made on the server (dropped first
if present; dropped afterwards unless ``--keep``), migrated, and filled through the registry's
services (as the office enters them): enterprises with three years of regional contribution, R&D
investment and the size figures; 2 % park operators; 3 % chain leaders (new or existing); 20 % of
the enterprises recognised as introduced by a park operator; m01.new and m01.existing flagged
免申即享 so eligible matches become offers. Then one matching run (``matching.run``, what ``huiqi
offers match`` calls) is timed, split into:

- **reading the registry**: each organisation's facts, recognitions and award history into the
  engine's case form;
- **evaluating**: the engine over chunks of organisations (``_evaluate``);
- **offers**: making each offer (prefill, the case's own snapshot, the application);
- **writing**: the matches inserted (flush), the audit record, deadline notices, and the commit.

Prints a table with the load average (1 min) before and after, and the linear extrapolation to
10⁶ organisations (issue 9's target: ≤ 2 min); ``--write`` appends it to ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import date
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


def seed(url: str, n: int) -> float:
    """n organisations through the registry's services, 500 to a transaction; returns seconds."""
    from huiqi.app.auth.roles import Actor, Role
    from huiqi.app.db import make_engine, sessions, transaction
    from huiqi.app.registry import service as registry
    from huiqi.app.registry.schemas import FactIn, OrganisationIn, RecognitionIn
    from huiqi.app.settings import service as settings

    office = Actor("office1", Role.OFFICE)
    rng = random.Random(9)
    engine = make_engine(url)
    factory = sessions(engine)
    began = time.perf_counter()
    with transaction(factory) as s:
        for measure in ("m01.new", "m01.existing"):
            settings.configure_measure(s, actor=office, measure=measure,
                                       departments=["经济和信息化局"], review_days=5,
                                       no_application=True, offer_days=15)
    parks: list[int] = []
    done = 0
    while done < n:
        with transaction(factory) as s:
            for i in range(done, min(n, done + 500)):
                park = i % 50 == 0
                org = registry.create_org(s, actor=office, data=OrganisationIn(
                    uscc=uscc_for(i), name=f"通州基准{i}号{'园区运营' if park else '科技'}有限公司",
                    kind="park_operator" if park else "enterprise",
                    industry=rng.choice(["3911", "6513", "7320", "2710"])))
                if park:
                    parks.append(org.id)
                    continue
                rc = rng.lognormvariate(13, 1.5)
                for year, factor in ((YEAR - 2, 1.0), (YEAR - 1, rng.uniform(0.8, 1.6)),
                                     (YEAR, rng.uniform(0.8, 1.6))):
                    rc *= factor
                    registry.set_fact(s, actor=office, org_id=org.id, data=FactIn(
                        year=year, name="regional_contribution",
                        value=Decimal(f"{rc:.2f}"), source="区税务局"))
                facts = {"employees": rng.randint(5, 900),
                         "revenue": round(rng.lognormvariate(16, 1.5), 2),
                         "assets": round(rng.lognormvariate(16, 1.5), 2)}
                if rng.random() < 0.3:
                    facts["rd_investment"] = round(rng.lognormvariate(13, 1.2), 2)
                for name, value in facts.items():
                    registry.set_fact(s, actor=office, org_id=org.id, data=FactIn(
                        year=YEAR, name=name, value=Decimal(str(value)),  # type: ignore[arg-type]
                        source="区统计局"))
                draw = rng.random()
                if draw < 0.03:
                    since = date(YEAR, rng.randint(1, 12), 1) if draw < 0.015 else date(2022, 5, 1)
                    registry.add_recognition(s, actor=office, org_id=org.id, person_id=None,
                                             data=RecognitionIn(
                        kind="chain_leader", subtype="new" if draw < 0.015 else "existing",
                        recognised_on=since))
                elif draw < 0.23 and parks:
                    registry.add_recognition(s, actor=office, org_id=org.id, person_id=None,
                                             data=RecognitionIn(
                        kind="introduced_by", subtype="park_operator",
                        introducer_id=rng.choice(parks), recognised_on=date(YEAR - 1, 6, 1)))
        done = min(n, done + 500)
    engine.dispose()
    return time.perf_counter() - began


def timed_run(url: str) -> dict[str, Any]:
    """One matching run, split by stage."""
    from huiqi.app.auth.roles import SYSTEM
    from huiqi.app.db import make_engine, sessions, transaction
    from huiqi.app.matching import service as matching

    spent = {"evaluating": 0.0, "offers": 0.0}
    evaluate, offer = matching._evaluate, matching._offer

    def timed_evaluate(*args: Any, **kw: Any) -> Any:
        it = evaluate(*args, **kw)
        while True:
            t = time.perf_counter()
            try:
                item = next(it)
            except StopIteration:
                spent["evaluating"] += time.perf_counter() - t
                return
            spent["evaluating"] += time.perf_counter() - t
            yield item

    def timed_offer(*args: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return offer(*args, **kw)
        finally:
            spent["offers"] += time.perf_counter() - t

    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks.setdefault(stage, time.perf_counter())

    matching._evaluate, matching._offer = timed_evaluate, timed_offer
    engine = make_engine(url)
    try:
        began = time.perf_counter()
        with transaction(sessions(engine)) as s:
            done = matching.run(s, actor=SYSTEM, year=YEAR, progress=progress)
            ran = time.perf_counter()
        ended = time.perf_counter()
    finally:
        matching._evaluate, matching._offer = evaluate, offer
        engine.dispose()
    reading = marks.get("matching", ran) - marks.get("registry", began)
    matching_stage = marks.get("writing", ran) - marks.get("matching", ran)
    return {"total": ended - began, "before": marks.get("registry", began) - began,
            "reading": reading, "evaluating": spent["evaluating"], "offers": spent["offers"],
            "rest of matching (match rows, history lookups)":
                matching_stage - spent["evaluating"] - spent["offers"],
            "writing": (ran - marks.get("writing", ran)) + (ended - ran),
            "organisations": done.organisations, "matches": done.matches, "offers_made": done.offers}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default=os.environ.get("HUIQI_TEST_POSTGRES"),
                    help="a PostgreSQL server URL (its postgres database)")
    ap.add_argument("--orgs", default="10000", help="sizes, comma-separated")
    ap.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    ap.add_argument("--write", action="store_true", help="append the table to bench/results.md")
    ap.add_argument("--record", action="store_true", help="store the figures in bench/figures.json")
    args = ap.parse_args()
    if not args.server:
        raise SystemExit("--server or HUIQI_TEST_POSTGRES: a PostgreSQL server is needed")
    # the audit chain's key: a fixed one for the benchmark, not a key file in the working folder
    os.environ.setdefault("HUIQI_AUDIT_KEY", "bench-registry-fixed-key-not-a-secret-0123456789")
    os.chdir(tempfile.mkdtemp(prefix="huiqi-bench-registry-"))  # where a new database's files go
    from huiqi.app.db import upgrade

    admin = create_engine(args.server.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    rows = []
    for n in (int(x) for x in args.orgs.split(",")):
        name = f"huiqi_bench_registry_{n}"
        with admin.connect() as c:
            c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            c.execute(text(f"CREATE DATABASE {name}"))
        url = args.server.rsplit("/", 1)[0] + "/" + name
        upgrade(url)
        load_before = os.getloadavg()[0]
        seeded = seed(url, n)
        r = timed_run(url)
        r.update(n=n, seeded=seeded, load=(load_before, os.getloadavg()[0]))
        rows.append(r)
        if args.record:
            from figures import record  # bench/figures.py, beside this script

            record(f"registry-{n}", r)
        print(f"{n:,} organisations: seeded in {seeded:.0f} s; run {r['total']:.1f} s "
              f"(reading {r['reading']:.1f}, evaluating {r['evaluating']:.1f}, offers "
              f"{r['offers']:.1f}, writing {r['writing']:.1f}); load {r['load'][0]:.1f}→"
              f"{r['load'][1]:.1f}", flush=True)
        if not args.keep:
            with admin.connect() as c:
                c.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()
    parts = ["reading", "evaluating", "offers", "rest of matching (match rows, history lookups)",
             "writing"]
    lines = [f"`offers match` over registered organisations (`python bench/registry.py --orgs "
             f"{args.orgs}`), PostgreSQL on 127.0.0.1, one run per size, {date.today()}:", "",
             "| organisations | matches | offers | run s | " + " | ".join(f"{p} s" for p in parts)
             + " | ms per organisation | load average |",
             "|---:|---:|---:|---:|" + "---:|" * len(parts) + "---:|---|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['matches']:,} | {r['offers_made']:,} | {r['total']:.1f} | "
                     + " | ".join(f"{r[p]:.1f} ({r[p] / r['total']:.0%})" for p in parts)
                     + f" | {r['total'] / r['n'] * 1000:.2f} | {r['load'][0]:.1f}→{r['load'][1]:.1f} |")
    last = rows[-1]
    per = last["total"] / last["n"]
    lines += ["", f"Extrapolated linearly from {last['n']:,}: 10⁶ organisations ≈ "
              f"{per * TARGET_ORGS / 60:.0f} min (target ≤ {TARGET_SECONDS // 60} min: "
              f"{'met' if per * TARGET_ORGS <= TARGET_SECONDS else 'missed'})."]
    print("\n".join(lines))
    if args.write:
        with (HERE / "results.md").open("a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
