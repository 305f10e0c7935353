"""Commands over whole populations: ``synth``, ``match``, ``simulate``.

The batch machinery (ibis, DuckDB, Arrow) is imported inside the commands that use it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from huiqi.cli.common import app, fail, out
from huiqi.cli.progress import Quiet, stages
from huiqi.engine.money import format_wan

if TYPE_CHECKING:
    from huiqi.batch.match import MeasureSummary, Runner
    from huiqi.batch.population import Population
    from huiqi.batch.simulate import Simulation

Engine = Annotated[str, typer.Option(help="duckdb (embedded, default) or spark")]
SparkMaster = Annotated[str | None, typer.Option(help="Spark master URL (default: local mode)")]
MemoryLimit = Annotated[str | None, typer.Option(help="DuckDB memory limit, e.g. 6GB (spills)")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="override NAME=VALUE")]
ReformOpt = Annotated[Path | None, typer.Option(help="YAML file of parameter overrides")]


@app.command()
def synth(
    out_dir: Annotated[Path, typer.Option("--out", help="folder to write the population to")],
    enterprises: Annotated[int, typer.Option(min=1, max=10_000_000)] = 50_000,
    year: Annotated[int, typer.Option(min=2024)] = 2025,
    seed: Annotated[int, typer.Option()] = 1,
    quiet: Quiet = False,
) -> None:
    """Generate a deterministic synthetic population (Parquet). 生成模拟企业群体。"""
    from huiqi.batch.population import Population
    from huiqi.batch.synth import generate

    start = time.perf_counter()
    with stages(quiet) as st:
        st.stage(f"generating 生成 {enterprises:,}")
        tables = generate(enterprises, year, seed)
        st.stage("writing Parquet 写入")
        Population.write(out_dir, tables, {"year": year, "seed": seed, "enterprises": enterprises})
    rows = ", ".join(f"{name} {t.num_rows:,}" for name, t in tables.items())
    out.print(f"{out_dir}: {rows} ({time.perf_counter() - start:.1f} s)", highlight=False,
              soft_wrap=True)


def _open(population: Path, year: int | None) -> list[tuple[int, Population, bool]]:
    """(year, population, one of several years) for each year to run: a population's own year
    or ``--year``; in a folder per year, every year or the one ``--year`` names."""
    from huiqi.batch.population import Population

    try:
        pops = Population.open_years(population)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
    if len(pops) == 1 and pops[0].path == population:
        return [(year or pops[0].year, pops[0], False)]
    chosen = [p for p in pops if year in (None, p.year)]
    if not chosen:
        fail(f"--year: {population} holds the years {[p.year for p in pops]}, not {year} "
             "(群体中没有该年度)")
    return [(p.year, p, True) for p in chosen]


def _per_year(path: Path, year: int, several: bool, name: str | None = None) -> Path:
    """Where a year's output goes: ``path`` itself, or ``path/year=Y`` (Hive layout: DuckDB,
    Spark and Arrow read the folder as one table with a ``year`` column) for several years."""
    if not several:
        return path
    folder = path / f"year={year}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name if name else folder


def _overrides(set_: list[str] | None, reform: Path | None, year: int) -> dict[str, object]:
    """The reform file's values, then ``--set``'s, each checked against the parameters of
    ``year`` before the population is read (a rate above 100%, a negative cap or amount are
    refused, naming the parameter and where it came from)."""
    from huiqi.engine.params import ParamError, load_reform, parse_assignments
    from huiqi.policy.tongzhou_2024_8 import policy

    params = policy().params
    try:
        params.resolve(year)
    except ParamError as exc:
        fail(str(exc))
    values: dict[str, object] = {}
    for where, read in ((f"reform file {reform}", lambda: load_reform(reform) if reform else {}),
                        ("--set", lambda: parse_assignments(set_ or []))):
        try:
            more = read()
            params.resolve(year, more)
        except ParamError as exc:
            message = str(exc)
            fail(message if message.startswith(where) else f"{where}: {message}")
        values |= more
    return values


def _ids(measures: str | None) -> list[str] | None:
    return [m.strip() for m in measures.split(",") if m.strip()] if measures else None


@contextmanager
def _runner(pop: Population, engine: str, memory_limit: str | None,
            spark_master: str | None) -> Iterator[Runner]:
    """Open the backend, close it afterwards, and turn domain errors into clear exits."""
    from huiqi.batch.match import open_runner
    from huiqi.engine.params import ParamError

    try:
        runner = open_runner(pop, engine, memory_limit=memory_limit, spark_master=spark_master)
    except ValueError as exc:
        fail(str(exc))
    try:
        yield runner
    except (ParamError, ValueError) as exc:
        fail(str(exc))
    finally:
        runner.close()


@app.command(name="match")
def match_cmd(
    population: Annotated[Path, typer.Argument(
        help="population folder (huiqi synth), or a folder of them, one per year (2024/, 2025/ …)")],
    year: Annotated[int | None, typer.Option(
        help="year (default: the population's; of a folder per year, every year)")] = None,
    out_file: Annotated[Path, typer.Option("--out", help="results Parquet file")] = Path(
        "results.parquet"),
    measures: Annotated[str | None, typer.Option(help="comma-separated measure ids")] = None,
    set_: SetOpt = None,
    reform: ReformOpt = None,
    include_all: Annotated[bool, typer.Option(
        "--all", help="also write ineligible rows and those with nothing to support")] = False,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    memory_limit: MemoryLimit = None,
    quiet: Quiet = False,
) -> None:
    """Every measure for every beneficiary of a population. 政策直享：批量匹配。"""
    from huiqi.batch.match import match
    from huiqi.policy.tongzhou_2024_8 import policy

    for y, pop, several in _open(population, year):
        overrides = _overrides(set_, reform, y)
        target = _per_year(out_file, y, several, "results.parquet")
        start = time.perf_counter()
        with stages(quiet) as st:
            st.stage(f"{y} opening 打开群体")
            with _runner(pop, engine, memory_limit, spark_master) as runner:
                summary = match(policy(), runner, y, target, overrides=overrides,
                                measures=_ids(measures), include_all=include_all,
                                progress=st.percent, stage=st.within(str(y)))
        _print_summary(summary, y, target, time.perf_counter() - start)


def _print_summary(summary: list[MeasureSummary], year: int, out_file: Path, seconds: float) -> None:
    from rich.markup import escape

    from huiqi.cli.tables import Column, show
    from huiqi.policy.tongzhou_2024_8 import policy

    p = policy()
    columns = [Column("措施 measure", wrap=True), Column("符合\neligible", right=True),
               Column("待补充\nincomplete", right=True), Column("上限合计\nΣ ceilings 万元", right=True)]
    rows = [[escape(f"{s.measure} {p.texts[s.measure].title_zh}"),
             f"{s.eligible:,}" + ("\n全部可享\noffered to all" if s.offered_to_all else ""),
             f"{s.incomplete:,}", format_wan(s.total, 2) if s.total else ""] for s in summary]
    total = sum((s.total for s in summary), start=Decimal("0.00"))
    rows.append(["合计 total", "", "", format_wan(total, 2) if total else "0"])
    show(out, f"{year} 匹配结果 matching — {out_file} ({seconds:.1f} s)", columns, rows,
         styles=[None] * len(summary) + ["bold"])


@app.command(name="simulate")
def simulate_cmd(
    population: Annotated[Path, typer.Argument(
        help="population folder (huiqi synth), or a folder of them, one per year (2024/, 2025/ …)")],
    reform: Annotated[Path, typer.Option(help="YAML file of parameter overrides")],
    year: Annotated[int | None, typer.Option(
        help="year (default: the population's; of a folder per year, every year)")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the outputs")] = Path(
        "simulation"),
    measures: Annotated[str | None, typer.Option(help="comma-separated measure ids")] = None,
    charts: Annotated[bool, typer.Option(help="render the charts (SVG, PNG)")] = True,
    engine: Engine = "duckdb",
    spark_master: SparkMaster = None,
    memory_limit: MemoryLimit = None,
    quiet: Quiet = False,
) -> None:
    """Baseline vs reform over a whole population. 政策试算：基线与改革对比。"""
    from huiqi.batch.report import write_charts, write_csv, write_excel
    from huiqi.batch.simulate import simulate
    from huiqi.policy.tongzhou_2024_8 import policy

    for y, pop, several in _open(population, year):
        overrides = _overrides(None, reform, y)
        target = _per_year(out_dir, y, several)
        with stages(quiet) as st:
            st.stage(f"{y} opening 打开群体")
            with _runner(pop, engine, memory_limit, spark_master) as runner:
                sim = simulate(policy(), runner, y, overrides, target, measures=_ids(measures),
                               progress=st.percent, stage=st.within(str(y)))
            st.stage(f"{y} writing reports 写出报表")
            files = [*write_csv(sim, target), write_excel(sim, target)]
            if charts:
                st.stage(f"{y} drawing charts 绘图")
                files += write_charts(sim, policy(), target)
        _print_simulation(sim)
        out.print("outputs: " + ", ".join(str(f) for f in files), highlight=False, soft_wrap=True)


def _pct(value: Decimal | None) -> str:
    return "" if value is None else f"{value:+}%"


def _print_simulation(sim: Simulation) -> None:
    from rich.markup import escape

    from huiqi.batch.report import TITLES
    from huiqi.cli.tables import Column, show
    from huiqi.policy.tongzhou_2024_8 import policy

    p = policy()
    reform = ", ".join(f"{k}={v}" for k, v in sim.reform.items())
    columns = [Column("分组 group", wrap=True), Column("基线\n万元", right=True),
               Column("改革\n万元", right=True), Column("Δ\n万元", right=True), Column("Δ %", right=True),
               Column("符合\neligible", right=True), Column("封顶\nat cap", right=True)]
    for name, title in TITLES.items():
        rows = [[escape(f"{r.key} {p.texts[r.key].title_zh}" if name == "measure" else r.key),
                 format_wan(r.baseline, 2), format_wan(r.reform, 2), format_wan(r.delta, 2),
                 _pct(r.percent), f"{r.baseline_eligible:,} → {r.reform_eligible:,}",
                 f"{r.baseline_at_cap:,} → {r.reform_at_cap:,}"] for r in sim.breakdowns[name]]
        show(out, f"{sim.year} {title} — 改革 reform: {reform}", columns, rows)
    show(out, "受益变化 winners and losers (Σ ceilings per beneficiary, yuan)",
         [Column("变化 change", wrap=True), Column("主体数\nbeneficiaries", right=True)],
         [[escape(label), f"{n:,}"] for label, n in sim.bands])
