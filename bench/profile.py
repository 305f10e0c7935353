"""Where the time of `match` (or `simulate`) goes: DuckDB's profile of the query the batch path runs.

    python bench/profile.py [--size 10000000] [--simulate] [--per-measure] [--top 12]

Opens the population as ``huiqi match`` does (Parquet views, the size class derived into a temporary
table — timed), compiles the same query (all measures but those offered to all; with
``--simulate`` both scenarios' rows as ``simulate`` writes them) and runs it as the
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


def profiled(con: Any, query: str, tmp: Path) -> tuple[float, list[dict[str, Any]]]:
    """Run ``query`` with DuckDB's JSON profiling; its wall time and the plan's nodes."""
    prof = tmp / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{prof}'")
    t0 = time.perf_counter()
    con.execute(query).fetchall()
    wall = time.perf_counter() - t0
    con.execute("PRAGMA disable_profiling")
    return wall, walk(json.loads(prof.read_text(encoding="utf-8")))


def by_type(nodes: list[dict[str, Any]]) -> dict[str, float]:
    out: defaultdict[str, float] = defaultdict(float)
    for n in nodes:
        out[kind(n)] += timing(n)
    return dict(out)


def scans(nodes: list[dict[str, Any]]) -> dict[str, list[int]]:
    """Per input: how many scans, and the rows they produced."""
    out: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for n in nodes:
        if "SCAN" in kind(n):
            info = json.dumps(n.get("extra_info", {}), ensure_ascii=False)
            m = re.search(r"(subjects|titles|projects|loans|history|sizes)\b", info)
            table = m.group(1) if m else str(n.get("name"))
            out[table][0] += 1
            out[table][1] += int(n.get("intermediate_rows", n.get("operator_cardinality", 0))
                                 or 0)
    return dict(out)


def subset(con: Any, pol: Any, tmp: Path) -> list[str]:
    """Issue 9's subset: huiqi's compiled query beside the hand SQL, profile beside profile."""
    from datetime import date

    from bench import SUBSET  # bench/bench.py, beside this script

    from huiqi.engine.evaluate import compile_policy

    days = (date(YEAR + 1, 1, 1) - date(YEAR, 1, 1)).days
    hand = (HERE / "reference.sql").read_text(encoding="utf-8").format(
        year=YEAR, start=f"{YEAR}-01-01", end=f"{YEAR + 1}-01-01", days=days)
    compiled = compile_policy(pol, YEAR, measures=SUBSET, detail=False, drop_ineligible=True)
    ours = ("SELECT measure, count(*), sum(ceiling_fen) FROM (" + compiled.sql +
            ") WHERE status = 'eligible' GROUP BY measure")
    con.execute(ours).fetchall()  # warm both (file metadata, caches)
    con.execute(hand).fetchall()
    w_ours, n_ours = profiled(con, ours, tmp)
    w_hand, n_hand = profiled(con, hand, tmp)
    t_ours, t_hand = by_type(n_ours), by_type(n_hand)
    lines = [f"Subset (7 measures + m02): huiqi {w_ours:.2f} s wall, "
             f"{sum(t_ours.values()):.2f} operator-s; hand SQL {w_hand:.2f} s wall, "
             f"{sum(t_hand.values()):.2f} operator-s", "",
             "| operator type | huiqi s | hand SQL s |", "|---|---:|---:|"]
    for k in sorted(set(t_ours) | set(t_hand), key=lambda k: -t_ours.get(k, 0) - t_hand.get(k, 0)):
        if t_ours.get(k, 0) + t_hand.get(k, 0) >= 0.005:
            lines.append(f"| {k} | {t_ours.get(k, 0):.2f} | {t_hand.get(k, 0):.2f} |")
    s_ours, s_hand = scans(n_ours), scans(n_hand)
    lines += ["", "| input | huiqi scans | huiqi rows read | hand scans | hand rows read |",
              "|---|---:|---:|---:|---:|"]
    for k in sorted(set(s_ours) | set(s_hand), key=lambda k: -s_ours.get(k, [0, 0])[1]):
        o, h = s_ours.get(k, [0, 0]), s_hand.get(k, [0, 0])
        lines.append(f"| {k} | {o[0]} | {o[1]:,} | {h[0]} | {h[1]:,} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000_000)
    ap.add_argument("--data", type=Path, default=HERE / "data")
    ap.add_argument("--simulate", action="store_true", help="profile simulate's query instead")
    ap.add_argument("--per-measure", action="store_true", help="also time each measure alone")
    ap.add_argument("--subset", action="store_true",
                    help="profile issue 9's subset beside the hand SQL instead")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    a = ap.parse_args()
    os.environ.setdefault("HUIQI_CACHE_DIR", str(HERE / "data" / "sql-cache"))

    from huiqi.batch.duck import DuckPopulation
    from huiqi.batch.match import OUTPUT, default_measures
    from huiqi.batch.population import Population
    from huiqi.batch.simulate import scenario_query
    from huiqi.engine.evaluate import compile_policy
    from huiqi.policy.tongzhou_2024_8 import policy

    load_before = os.getloadavg()[0]
    pol = policy()
    ids = default_measures(pol)
    t0 = time.perf_counter()
    runner = DuckPopulation(Population.open(a.data / f"pop-{a.size}"), memory_limit="4GB")
    opened = time.perf_counter() - t0
    con = runner.con
    tmp = Path(tempfile.mkdtemp(prefix="huiqi-profile-"))
    if a.subset:
        runner.ensure_sizes()  # the hand SQL reads the derived size class
        lines = subset(con, pol, tmp)
        lines.append(f"\nAt {a.size:,}; load average (1 min) {load_before:.2f} → "
                     f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        print("\n".join(lines))
        return
    if a.simulate:
        query, _ = scenario_query(pol, runner.backend, YEAR, REFORM, ids)
    else:
        options: dict[str, Any] = {"measures": ids, "detail": False, "drop_ineligible": True}
        query = OUTPUT.format(sql=compile_policy(pol, YEAR, None, **options).sql)
    wall, nodes = profiled(con, f"COPY ({query}) TO '{tmp / 'out.parquet'}' (FORMAT parquet)",
                           tmp)
    cpu = sum(timing(n) for n in nodes)
    types, read = by_type(nodes), scans(nodes)
    ctes = sum(1 for n in nodes if kind(n) == "CTE")

    load_after = os.getloadavg()[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    what = "simulate (baseline + reform)" if a.simulate else "match (all measures)"
    lines = [f"{what} at {a.size:,}: open {opened:.2f} s; the query with its "
             f"Parquet output {wall:.2f} s wall, {cpu:.2f} operator-seconds in the profile; "
             f"peak RSS {rss:.2f} GB; load average (1 min) {load_before:.2f} → {load_after:.2f} "
             f"on {os.cpu_count()} cores", "",
             "| operator type | seconds | share |", "|---|---:|---:|"]
    top = sorted(types.items(), key=lambda kv: -kv[1])[:a.top]
    lines += [f"| {k} | {v:.2f} | {v / cpu:.0%} |" for k, v in top if v >= 0.005]
    lines += ["", f"Inputs read ({ctes} subqueries materialised once as CTEs and shared):", "",
              "| input | scans | rows read |", "|---|---:|---:|"]
    lines += [f"| {k} | {s[0]} | {s[1]:,} |" for k, s in sorted(read.items(),
                                                              key=lambda kv: -kv[1][1])]
    figures: dict[str, Any] = {"size": a.size, "open": opened, "wall": wall, "cpu": cpu,
                               "by_type": types, "ctes": ctes,
                               "scans": read, "rss_gb": rss,
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
