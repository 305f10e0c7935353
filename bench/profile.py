"""Where the time of `match` (or `simulate`) goes: DuckDB's profile of the query the batch path runs.

    python bench/profile.py [--size 10000000] [--simulate] [--per-measure] [--top 12]

Opens the population as ``huiqi match`` does (Parquet views, the size class derived into a temporary
table — timed), compiles the same query (all measures but those offered to all; with
``--simulate`` baseline and reform side by side as ``simulate`` writes them) and runs it as the
batch path does, ``COPY (…) TO … (FORMAT parquet)``, with ``PRAGMA enable_profiling = 'json'``.
From the profile it prints:

- the time by operator type (DuckDB sums an operator's time over its threads: CPU-seconds, so
  shares are meaningful, the sum exceeds the wall time when both cores work);
- the scans: how many times each input table is read and the rows read in total.

``--per-measure`` also times each measure alone (``SELECT count(*)`` over its compiled query): the
per-measure view (DuckDB's plan interleaves the measures' branches with shared, materialised
subqueries, so its operators are not attributed to measures here). The load average
(1 min) is printed before and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
YEAR = 2025
REFORM = {"m01.rate": "0.60", "m02.standard": "30000000.00"}


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for c in kids(node):
        out += walk(c)
    return out


def kids(node: dict[str, Any]) -> list[dict[str, Any]]:
    # DuckDB 2.x keeps the plan under "operator" at the top, then "children"
    return list(node.get("children", [])) + list(node.get("operator", []))


def timing(node: dict[str, Any]) -> float:
    return float(node.get("timing", node.get("operator_timing", 0)) or 0)


def kind(node: dict[str, Any]) -> str:
    return str(node.get("type") or node.get("operator_type") or node.get("name") or "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000_000)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--simulate", action="store_true", help="profile simulate's query instead")
    ap.add_argument("--per-measure", action="store_true", help="also time each measure alone")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    a = ap.parse_args()
    os.environ.setdefault("HUIQI_CACHE_DIR", str(HERE / "data" / "sql-cache"))

    from huiqi.batch.duck import DuckPopulation
    from huiqi.batch.match import OUTPUT, default_measures
    from huiqi.batch.population import Population
    from huiqi.engine.evaluate import compile_policy
    from huiqi.policy.tongzhou_2024_8 import policy

    load_before = os.getloadavg()[0]
    pol = policy()
    ids = default_measures(pol)
    t0 = time.perf_counter()
    runner = DuckPopulation(Population.open(a.data / f"pop-{a.size}"), memory_limit="4GB")
    opened = time.perf_counter() - t0
    con = runner.con
    options: dict[str, Any] = {"measures": ids, "detail": False, "drop_ineligible": True}
    base = compile_policy(pol, YEAR, None, **options)
    if a.simulate:
        ref = compile_policy(pol, YEAR, REFORM, **options)
        query = (f"SELECT 'baseline' AS scenario, * FROM ({OUTPUT.format(sql=base.sql)}) AS b "
                 f"UNION ALL SELECT 'reform' AS scenario, * FROM ({OUTPUT.format(sql=ref.sql)}) AS r")
    else:
        query = OUTPUT.format(sql=base.sql)
    tmp = Path(tempfile.mkdtemp(prefix="huiqi-profile-"))
    prof = tmp / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{prof}'")
    t0 = time.perf_counter()
    con.execute(f"COPY ({query}) TO '{tmp / 'out.parquet'}' (FORMAT parquet)")
    wall = time.perf_counter() - t0
    con.execute("PRAGMA disable_profiling")
    tree = json.loads(prof.read_text(encoding="utf-8"))
    nodes = walk(tree)
    cpu = sum(timing(n) for n in nodes)

    by_type: defaultdict[str, float] = defaultdict(float)
    for n in nodes:
        by_type[kind(n)] += timing(n)
    scans: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for n in nodes:
        if "SCAN" in kind(n):
            info = json.dumps(n.get("extra_info", {}), ensure_ascii=False)
            m = re.search(r"(subjects|titles|projects|loans|history|sizes)\b", info)
            table = m.group(1) if m else str(n.get("name"))
            scans[table][0] += 1
            scans[table][1] += int(n.get("intermediate_rows", n.get("operator_cardinality", 0))
                                   or 0)
    ctes = sum(1 for n in nodes if kind(n) == "CTE")

    load_after = os.getloadavg()[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    what = "simulate (baseline + reform)" if a.simulate else "match (all measures)"
    lines = [f"{what} at {a.size:,}: open + size class {opened:.2f} s; the query with its "
             f"Parquet output {wall:.2f} s wall, {cpu:.2f} operator-seconds in the profile; "
             f"peak RSS {rss:.2f} GB; load average (1 min) {load_before:.2f} → {load_after:.2f} "
             f"on {os.cpu_count()} cores", "",
             "| operator type | seconds | share |", "|---|---:|---:|"]
    top = sorted(by_type.items(), key=lambda kv: -kv[1])[:a.top]
    lines += [f"| {k} | {v:.2f} | {v / cpu:.0%} |" for k, v in top if v >= 0.005]
    lines += ["", f"Inputs read ({ctes} subqueries materialised once as CTEs and shared):", "",
              "| input | scans | rows read |", "|---|---:|---:|"]
    lines += [f"| {k} | {s[0]} | {s[1]:,} |" for k, s in sorted(scans.items(),
                                                              key=lambda kv: -kv[1][1])]
    figures: dict[str, Any] = {"size": a.size, "open": opened, "wall": wall, "cpu": cpu,
                               "by_type": dict(by_type), "ctes": ctes,
                               "scans": dict(scans), "rss_gb": rss,
                               "load": [load_before, load_after]}
    if a.per_measure:
        alone: dict[str, float] = {}
        for mid in ids:
            one = compile_policy(pol, YEAR, None, measures=[mid], detail=False,
                                 drop_ineligible=True)
            t0 = time.perf_counter()
            con.execute(f"SELECT count(*) FROM ({one.sql}) AS r").fetchall()
            alone[mid] = time.perf_counter() - t0
        total = sum(alone.values())
        lines += ["", f"Each measure alone (`SELECT count(*)`, no output): Σ {total:.2f} s; "
                  f"load {os.getloadavg()[0]:.2f} after", "",
                  "| measure | seconds | share |", "|---|---:|---:|"]
        lines += [f"| {k} | {v:.2f} | {v / total:.0%} |"
                  for k, v in sorted(alone.items(), key=lambda kv: -kv[1])[:a.top]]
        figures["alone"] = alone
    print("\n".join(lines))
    if a.json:
        a.json.write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    runner.close()


if __name__ == "__main__":
    main()
