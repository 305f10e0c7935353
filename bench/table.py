"""Issue 9's target table, every row in one place, from the figures the bench scripts recorded.

    python bench/table.py [--write]

Reads ``bench/figures.json`` (each script run with ``--record`` adds its figures) and prints one
row per target: what was measured, the reference measured in the same run where the issue names
one, the target, met or missed, peak memory and the load average (1 min) while it ran, and the
script that produces it. ``--write`` replaces the table in ``bench/results.md`` (between the
``<!-- table.py -->`` markers).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from figures import read  # bench/figures.py, beside this script

HERE = Path(__file__).parent
BEGIN, END = "<!-- table.py -->", "<!-- /table.py -->"


def load(f: dict[str, Any]) -> str:
    lo, hi = f["load"]
    return f"{lo:.1f}→{hi:.1f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def batch(f: dict[str, Any]) -> str:
    """A batch figure: the median run, and every run with its CPU seconds and load."""
    text = f"{f['seconds']:.1f} s"
    runs = f.get("runs", [])
    if len(runs) > 1:
        text += " median; runs " + ", ".join(
            f"{r['seconds']:.1f} s" + (f" ({r['cpu_s']:.0f} CPU-s" if r.get("cpu_s") else " (")
            + f" load {r['load'][0]:.1f}→{r['load'][1]:.1f})" for r in runs)
    elif len(f.get("all_seconds", [])) > 1:
        text += " median; runs " + ", ".join(f"{x:.1f}" for x in f["all_seconds"]) + " s"
    elif f.get("cpu_s"):
        text += f", {f['cpu_s']:.0f} CPU-s"
    return text


def rows(fig: dict[str, Any]) -> list[list[str]]:
    out: list[list[str]] = []
    if f := fig.get("onecase"):
        out.append(["one case, warm, explanation included, p95",
                    f"{f['p95']:.2f} ms (p50 {f['p50']:.2f})",
                    f"previous path (DuckDB), same run: {f['reference_p95']:.1f} ms",
                    "≤ 5 ms", verdict(f["p95"] <= 5), f"{f['rss_gb'] * 1024:.0f} MB", load(f),
                    "`onecase.py`"])
    http = sorted(k for k in fig if k.startswith("http-"))
    for key in http:
        f = fig[key]
        out.append([f"`POST /calculate` over HTTP ({key[5:]}), p95 / throughput",
                    f"{f['p95']:.1f} ms / {f['rps']:.0f} req/s", "",
                    "≤ 20 ms / ≥ 300 req/s", verdict(f["p95"] <= 20 and f["rps"] >= 300), "",
                    load(f), "`workflow.py calculator`"])
    if f := fig.get("startup"):
        help_, calc = f["huiqi --help"]["mean"], f["huiqi calc examples/chain-leader.yaml"]["mean"]
        out.append(["`huiqi --help` / `huiqi calc example` (cold process, SQL cached)",
                    f"{help_:.2f} s / {calc:.2f} s", "", "≤ 0.3 s / ≤ 1 s",
                    verdict(help_ <= 0.3 and calc <= 1), "", load(f), "`startup.py`"])
    for n, target, power in ((1_000_000, 1.5, "10⁶"), (10_000_000, 1.3, "10⁷")):
        if f := fig.get(f"subset-{n}"):
            ratio = f["huiqi"] / f["hand"]
            out.append([f"subset (7 measures + m02) at {power}, vs hand SQL",
                        f"{ratio:.2f}× ({f['huiqi']:.2f} s; totals equal: "
                        f"{'yes' if f['equal'] else 'NO'})",
                        f"hand SQL, same run: {f['hand']:.2f} s", f"≤ {target}×",
                        verdict(ratio <= target and f["equal"]), f"{f['rss_gb']:.2f} GB", load(f),
                        "`bench.py`"])
    if f := fig.get("match-10000000"):
        out.append(["`match` all measures, 10⁷", batch(f), "", "≤ 6 s, ≤ 3 GB",
                    verdict(f["seconds"] <= 6 and f["rss_gb"] <= 3), f"{f['rss_gb']:.2f} GB",
                    load(f), "`bench.py`"])
    if f := fig.get("simulate-10000000"):
        out.append(["`simulate` baseline + reform, 10⁷", batch(f), "", "≤ 10 s",
                    verdict(f["seconds"] <= 10), f"{f['rss_gb']:.2f} GB", load(f), "`bench.py`"])
    registry = sorted((k for k in fig if k.startswith("registry-") and k[9:].isdigit()),
                      key=lambda k: int(k[9:]))
    before = fig.get("registry-before")
    reference = "" if before is None else (
        f"before (per organisation): ≈ {before['total'] / before['n'] * 1e6 / 60:.0f} min "
        f"extrapolated ({before['n']:,}: {before['total']:.1f} s)")
    if registry:
        f = fig[registry[-1]]
        per = f["total"] / f["n"]
        if f["n"] >= 1_000_000:
            measured = (f"{f['total']:.0f} s at {f['n']:,} (read {f['registry']:.0f}, evaluate "
                        f"{f['matching']:.0f}, offers {f['offers']:.0f}, write "
                        f"{f['writing']:.0f}, commit {f['commit']:.0f} s)")
        else:
            measured = (f"≈ {per * 1e6:.0f} s extrapolated ({f['n']:,}: {f['total']:.1f} s; "
                        f"{per * 1000:.2f} ms per organisation)")
        out.append(["`offers match` over 10⁶ registered organisations (PostgreSQL)", measured,
                    reference, "≤ 2 min", verdict(per * 1e6 <= 120),
                    f"{f['rss_gb']:.2f} GB" if "rss_gb" in f else "", load(f), "`registry.py`"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="replace the table in bench/results.md")
    args = ap.parse_args()
    fig = read()
    lines = ["| figure | measured | reference (same run) | target | | peak memory | load "
             "average | script |", "|---|---|---|---|---|---:|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows(fig)]
    dates = sorted({f["date"] for f in fig.values()})
    machines = sorted({f["machine"] for f in fig.values()})
    lines += ["", f"Measured {dates[0]} – {dates[-1]} on {'; '.join(machines)}; load average "
              "(1 min) before→after each figure, the machine shared with other work."]
    print("\n".join(lines))
    if args.write:
        path = HERE / "results.md"
        text = path.read_text(encoding="utf-8")
        block = BEGIN + "\n" + "\n".join(lines) + "\n" + END
        if BEGIN in text:
            head, rest = text.split(BEGIN, 1)
            text = head + block + rest.split(END, 1)[1]
        else:
            text = text + "\n" + block + "\n"
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
