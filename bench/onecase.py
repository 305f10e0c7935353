"""One case, warm, explanation included: the in-process evaluator beside the DuckDB path.

    python bench/onecase.py [--runs 1000] [--case examples/chain-leader.yaml]

Both paths evaluate the same compiled measure definitions; they are warmed, then timed in
alternation in the same process (so that a busy machine slows both alike), each run being
``calculate(...).to_json()`` — parsing aside, everything a request does. Prints p50/p95 of each,
their ratio, the peak RSS and the load average (1 min) before and after, since the machine may be
shared; ``--write`` adds the lines to ``bench/results.md``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import yaml

HERE = Path(__file__).parent
EXAMPLE = HERE.parent / "examples" / "chain-leader.yaml"


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--case", type=Path, default=EXAMPLE)
    ap.add_argument("--write", action="store_true", help="append the result to bench/results.md")
    ap.add_argument("--record", action="store_true", help="store the figures in bench/figures.json")
    a = ap.parse_args()

    from huiqi.calculator import calculate, parse_case
    from huiqi.policy.tongzhou_2024_8 import policy

    pol = policy()
    case = parse_case(yaml.safe_load(a.case.read_text(encoding="utf-8")))
    load_before = os.getloadavg()[0]
    fast_json = calculate(pol, case).to_json()
    assert fast_json == calculate(pol, case, reference=True).to_json(), "the two paths disagree"
    for _ in range(20):  # warm both
        calculate(pol, case)
        calculate(pol, case, reference=True)
    fast: list[float] = []
    ref: list[float] = []
    cpu = {False: 0.0, True: 0.0}  # CPU seconds: less disturbed than wall time by other work
    for _ in range(a.runs):
        for reference, out in ((False, fast), (True, ref)):
            c0, t0 = time.process_time(), time.perf_counter()
            calculate(pol, case, reference=reference).to_json()
            out.append((time.perf_counter() - t0) * 1000)
            cpu[reference] += time.process_time() - c0
    load_after = os.getloadavg()[0]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = len(fast_json["results"])
    lines = [
        f"One case ({a.case.name}, {n} results), warm, explanation included, {a.runs} runs each, "
        f"alternating in one process:",
        "",
        "| path | p50 ms | p95 ms | mean ms | CPU ms per case |",
        "|---|---:|---:|---:|---:|",
        f"| in-process (rowplan) | {pct(fast, 50):.2f} | {pct(fast, 95):.2f} | "
        f"{sum(fast) / len(fast):.2f} | {cpu[False] / a.runs * 1000:.2f} |",
        f"| DuckDB (previous path) | {pct(ref, 50):.2f} | {pct(ref, 95):.2f} | "
        f"{sum(ref) / len(ref):.2f} | {cpu[True] / a.runs * 1000:.2f} |",
        f"| ratio | {pct(ref, 50) / pct(fast, 50):.1f}× | {pct(ref, 95) / pct(fast, 95):.1f}× | "
        f"| {cpu[True] / cpu[False]:.1f}× |",
        "",
        f"Peak RSS {rss:.0f} MB; load average (1 min) {load_before:.2f} before, "
        f"{load_after:.2f} after, on {os.cpu_count()} cores.",
    ]
    print("\n".join(lines))
    if a.record:
        from figures import record  # bench/figures.py, beside this script

        record("onecase", {"case": a.case.name, "runs": a.runs, "results": n,
                           "p50": pct(fast, 50), "p95": pct(fast, 95),
                           "reference_p50": pct(ref, 50), "reference_p95": pct(ref, 95),
                           "rss_gb": rss / 1024, "load": [load_before, load_after]})
    if a.write:
        with (HERE / "results.md").open("a", encoding="utf-8") as f:
            f.write("\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
