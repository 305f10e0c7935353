"""Commands about the policy and one case: ``measures``, ``params``, ``schema``, ``calc``.

The policy, the case schema and the engine are imported inside the commands, so that ``huiqi
--help`` (and every other command) does not pay for them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from huiqi.cli.common import app, fail, out, print_json
from huiqi.engine.money import format_wan, format_yuan

if TYPE_CHECKING:
    from huiqi.calculator import Calculation
    from huiqi.engine.explain import Result

STATUS = {
    "eligible": ("[green]符合[/] eligible", "[green]eligible[/]"),
    "ineligible": ("[red]不符合[/] ineligible", "[red]ineligible[/]"),
    "incomplete": ("[yellow]待补充[/] incomplete", "[yellow]incomplete[/]"),
    "nothing_to_support": ("[dim]无可支持金额[/] nothing to support",
                           "[dim]nothing to support[/]"),
}


@app.command()
def measures(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List the measures with their clause, kind and text. 列出全部措施。"""
    from rich.markup import escape

    from huiqi.cli.tables import Column, show
    from huiqi.policy.tongzhou_2024_8 import policy

    p = policy()
    items = [t.model_dump(mode="json") for t in p.texts.values()]
    if as_json:
        print_json(items)
        return
    columns = [Column("id"), Column("条款\nclause"), Column("类别\nkind"),
               Column("名称 title", wrap=True)]
    show(out, f"{p.document['id']} {p.document['title_zh']}", columns,
         [[t.id, t.clause, t.kind.value, escape(f"{t.title_zh}\n{t.title_en}")]
          for t in p.texts.values()])


@app.command()
def params(
    on: Annotated[str | None, typer.Option("--date", help="values in force on this date")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Show the parameters in force on a date. 显示参数（法定/核定，待核定占位）。"""
    from rich.markup import escape

    from huiqi.cli.tables import Column, show
    from huiqi.engine.explain import param_value
    from huiqi.engine.params import ParamError
    from huiqi.policy.tongzhou_2024_8 import policy

    p = policy()
    try:
        day = date.fromisoformat(on) if on else date.today()
    except ValueError:
        fail(f"--date: expected YYYY-MM-DD, got {on!r}")
    try:
        resolved = p.params.at(day)
    except ParamError as exc:
        fail(str(exc))
    rows = []
    for name, r in resolved.items():
        decl = p.params.decls[name]
        rows.append({
            "name": name, "value": param_value(r), "unit": r.unit.value, "kind": r.kind.value,
            "since": r.since.isoformat() if r.since else None, "reference": r.reference,
            "placeholder": r.placeholder, "description_zh": decl.description_zh,
            "description_en": decl.description_en,
        })
    if as_json:
        print_json(rows)
        return
    columns = [Column("name"), Column("value", right=True), Column("kind"), Column("since"),
               Column("reference", wrap=True), Column("description", wrap=True)]
    show(out, f"参数 parameters — {day}", columns, [
        [escape(str(row["name"])),
         escape(str(row["value"])) + ("\n[yellow]待核定 placeholder[/]" if row["placeholder"] else ""),
         str(row["kind"]), str(row["since"]), escape(str(row["reference"])),
         escape(f"{row['description_zh']}\n{row['description_en']}")] for row in rows])


@app.command()
def schema() -> None:
    """Print the JSON Schema of a case file. 打印案例文件的 JSON Schema。"""
    from huiqi.facts.case import Case

    print_json(Case.model_json_schema(by_alias=True))


@app.command()
def calc(
    case_file: Annotated[Path, typer.Argument(help="case file, YAML or JSON")],
    year: Annotated[int | None, typer.Option(help="year asked about (default: the case's)")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="what-if override NAME=VALUE (repeatable)")] = None,
    reform: Annotated[Path | None, typer.Option(help="YAML file of parameter overrides")] = None,
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    measures_: Annotated[str | None, typer.Option(
        "--measures", help="comma-separated measure ids")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the JSON contract")] = False,
) -> None:
    """Every measure for every beneficiary of a case, with the reasons. 计算并说明。"""
    from huiqi.calculator import InputError, calculate, load_case
    from huiqi.engine.params import ParamError, load_reform, parse_assignments
    from huiqi.policy.tongzhou_2024_8 import policy

    if lang not in {"zh", "en"}:
        fail(f"--lang: expected zh or en, got {lang!r}")
    try:
        overrides: dict[str, Any] = load_reform(reform) if reform else {}
        overrides |= parse_assignments(set_ or [])
        case = load_case(case_file)
        ids = [m.strip() for m in measures_.split(",") if m.strip()] if measures_ else None
        result = calculate(policy(), case, year, overrides, ids)
    except (InputError, ParamError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        print_json(result.to_json())
    else:
        _render(result, lang)


def _render(calc_: Calculation, lang: str) -> None:
    from rich.markup import escape

    from huiqi.cli.tables import Column, show

    zh = lang == "zh"
    title = (f"{calc_.year} 年度测算 calculation — 上限合计 total ceiling "
             f"{format_yuan(calc_.total_ceiling)} 元 ({format_wan(calc_.total_ceiling)} 万元)")
    columns = [Column("申请人\nbeneficiary"), Column("措施 measure / 状态 status", wrap=True),
               Column("上限 ceiling\n元 / 万元", right=True), Column("说明 reason", wrap=True)]
    rows = []
    for r in calc_.results:
        item = f" [{r.item}]" if r.item else ""
        ceiling = ""
        if r.ceiling is not None:
            ceiling = f"{format_yuan(r.ceiling)}\n{format_wan(r.ceiling)} 万元"
            if r.placeholder and r.ceiling:
                ceiling += "\n[yellow]待核定[/]" if zh else "\n[yellow]placeholder[/]"
        measure = (f"{escape(r.measure)} {r.clause}{escape(item)}\n"
                   f"{escape(r.title_zh if zh else r.title_en)}\n{STATUS[r.status][0 if zh else 1]}")
        rows.append([r.beneficiary, measure, ceiling, escape(r.reason(lang))])
    show(out, title, columns, rows)
    for r in calc_.results:
        if r.status != "ineligible":
            _render_detail(r, zh)


def _render_detail(r: Result, zh: bool) -> None:
    from rich.cells import cell_len
    from rich.markup import escape
    from rich.text import Text

    from huiqi.engine.explain import param_value

    item = f" [{r.item}]" if r.item else ""
    heading = f"{r.measure} {r.clause} {r.title_zh if zh else r.title_en} — {r.beneficiary}{item}"
    if cell_len(heading) + 6 <= out.width:
        out.rule(escape(heading))
    else:  # a rule would cut the heading short: print it whole, for the terminal to wrap
        out.print(Text(f"── {heading}", style="bold"), soft_wrap=True)
    basis = r.basis_zh if zh else r.basis_en
    if basis:
        out.print(("计算：" if zh else "formula: ") + basis, highlight=False, soft_wrap=True)
    note = r.note_zh if zh else r.note_en
    if note:
        out.print(note, highlight=False, soft_wrap=True)
    for c in r.conditions:
        mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[yellow]?[/]"}[c.holds]
        out.print(f"  {mark} {c.clause} {c.label_zh if zh else c.label_en}", highlight=False,
                  soft_wrap=True)
    for p in r.parameters:
        flag = " [yellow]待核定 placeholder[/]" if p.placeholder else ""
        reform = " [cyan]试算 reform[/]" if p.reform else ""
        out.print(f"  · {p.name} = {param_value(p)} ({p.kind.value}, since {p.since}, "
                  f"{p.reference}){flag}{reform}", highlight=False, soft_wrap=True)
    if r.missing:
        out.print(("  尚缺：" if zh else "  missing: ") + ", ".join(r.missing), highlight=False,
                  soft_wrap=True)
