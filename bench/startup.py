"""Start-up of the command line, as a user meets it: fresh processes, repeated (hyperfine-style).

    python bench/startup.py [--runs 10]

Times ``huiqi --help`` and ``huiqi calc examples/chain-leader.yaml`` (compiled plan cached on
disk, as after the first run) in new interpreters, alternating, and prints mean, min and max wall
time with the load average (1 min) before and after, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
COMMANDS = {
    "huiqi --help": ["--help"],
    "huiqi calc examples/chain-leader.yaml": ["calc", str(HERE.parent / "examples" /
                                                       "chain-leader.yaml")],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--record", action="store_true", help="store the figures in bench/figures.json")
    a = ap.parse_args()
    env = {**os.environ, "HUIQI_CACHE_DIR": tempfile.mkdtemp(prefix="huiqi-startup-")}
    for args in COMMANDS.values():  # fill the cache (the first calc compiles the plan)
        subprocess.run([sys.executable, "-m", "huiqi", *args], env=env, check=True,
                       capture_output=True)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    load_before = os.getloadavg()[0]
    for _ in range(a.runs):
        for name, args in COMMANDS.items():
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "huiqi", *args], env=env, check=True,
                           capture_output=True)
            times[name].append(time.perf_counter() - t0)
    load_after = os.getloadavg()[0]
    print("| command | mean s | min s | max s |")
    print("|---|---:|---:|---:|")
    for name, ts in times.items():
        print(f"| `{name}` | {statistics.mean(ts):.2f} | {min(ts):.2f} | {max(ts):.2f} |")
    print(f"\n{a.runs} runs each, fresh processes, plan cached; load average (1 min) "
          f"{load_before:.2f} before, {load_after:.2f} after, on {os.cpu_count()} cores.")
    if a.record:
        from figures import record  # bench/figures.py, beside this script

        record("startup", {"runs": a.runs, "load": [load_before, load_after],
                           **{name: {"mean": statistics.mean(ts), "min": min(ts), "max": max(ts)}
                              for name, ts in times.items()}})


if __name__ == "__main__":
    main()
