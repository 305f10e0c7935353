"""Simulation outputs a policy analyst opens: CSV files, an Excel workbook and charts.

Charts are Vega-Lite specifications (altair) rendered offline by vl-convert, to SVG and PNG,
with a CJK font so that Chinese labels are drawn correctly.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from huiqi.batch.simulate import Row, Simulation
from huiqi.engine.policy import Policy

HEADERS = ["key", "baseline_yuan", "reform_yuan", "delta_yuan", "delta_percent",
           "baseline_eligible", "reform_eligible", "baseline_at_cap", "reform_at_cap"]
TITLES = {"measure": "按措施 by measure", "size": "按企业规模 by size class",
          "section": "按行业门类 by industry section", "kind": "按主体类型 by beneficiary kind"}
FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/noto",
             "/usr/share/fonts/opentype", "/usr/share/fonts/truetype")
FONT = "Noto Sans CJK SC"


def _cells(row: Row) -> list[Any]:
    return [row.key, row.baseline, row.reform, row.delta, row.percent, row.baseline_eligible,
            row.reform_eligible, row.baseline_at_cap, row.reform_at_cap]


def write_csv(sim: Simulation, out_dir: Path) -> list[Path]:
    """One CSV per breakdown plus the winners/losers bands."""
    paths = []
    for name, rows in sim.breakdowns.items():
        path = out_dir / f"by_{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(HEADERS)
            w.writerows(_cells(r) for r in rows)
        paths.append(path)
    path = out_dir / "winners_losers.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["change_band_yuan", "beneficiaries"])
        w.writerows(sim.bands)
    return [*paths, path]


def write_excel(sim: Simulation, out_dir: Path) -> Path:
    """A workbook: the reform, each breakdown, and the winners/losers bands."""
    wb = Workbook()
    ws = wb.active
    ws.title = "reform"
    ws.append(["参数 parameter", "试算值 value"])
    for name, value in sim.reform.items():
        ws.append([name, str(value)])
    for name, rows in sim.breakdowns.items():
        sheet = wb.create_sheet(f"by_{name}")
        sheet.append([TITLES[name]])
        sheet["A1"].font = Font(bold=True)
        sheet.append(HEADERS)
        for r in rows:
            sheet.append(_cells(r))
            for cell in sheet[sheet.max_row][1:4]:
                cell.number_format = "#,##0.00"
    bands = wb.create_sheet("winners_losers")
    bands.append(["变化区间 change band (yuan)", "受益主体数 beneficiaries"])
    for label, n in sim.bands:
        bands.append([label, n])
    path = out_dir / "simulation.xlsx"
    wb.save(path)
    return path


def _register_fonts() -> None:
    import vl_convert as vlc

    for d in FONT_DIRS:
        if Path(d).is_dir():
            vlc.register_font_directory(d)


def cost_chart(sim: Simulation, policy: Policy) -> dict[str, Any]:
    """Vega-Lite spec: Σ ceilings per measure in 万元, baseline vs reform."""
    import altair as alt

    data = []
    for r in sim.breakdowns["measure"]:
        label = f"{r.key} {policy.texts[r.key].title_zh}" if r.key in policy.texts else r.key
        for scenario, value in (("基线 baseline", r.baseline), ("改革 reform", r.reform)):
            data.append({"measure": label, "scenario": scenario,
                         "wan": str((value / Decimal(10000)).quantize(Decimal("0.01")))})
    values = alt.Data(values=data, format=alt.DataFormat(parse={"wan": "number"}))  # type: ignore[no-untyped-call]
    chart = alt.Chart(values).mark_bar().encode(
        y=alt.Y("measure:N", title="措施 measure", sort=None),
        yOffset="scenario:N",
        x=alt.X("wan:Q", title="上限合计（万元） Σ ceilings (10k yuan)"),
        color=alt.Color("scenario:N", title="情景 scenario"),
    ).properties(title=f"{sim.year} 年各措施上限合计：基线与改革 — cost per measure", width=520)
    spec: dict[str, Any] = chart.to_dict()
    spec["config"] = {"font": FONT}
    return spec


def write_charts(sim: Simulation, policy: Policy, out_dir: Path) -> list[Path]:
    """The cost-per-measure chart as SVG and PNG."""
    import vl_convert as vlc

    _register_fonts()
    spec = cost_chart(sim, policy)
    svg, png = out_dir / "cost_by_measure.svg", out_dir / "cost_by_measure.png"
    svg.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")
    png.write_bytes(vlc.vegalite_to_png(spec, scale=2))
    return [svg, png]
