"""The policy library (public): the 26 clauses by chapter, each measure's page, and search by
keyword and by who one is. Texts, conditions and parameters come from the policy as loaded (with
the office's parameter changes); nothing here computes an amount."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from huiqi.app.errors import NotFound
from huiqi.app.parameters import service as parameters
from huiqi.app.settings import service as settings
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.calculator import InputError, calculate, parse_case
from huiqi.engine.explain import param_value
from huiqi.engine.params import Resolved, Unit
from huiqi.engine.policy import Policy
from huiqi.engine.sources import Subjects

router = APIRouter(include_in_schema=False)
EXAMPLES = Path(__file__).parents[4] / "examples"  # present in a checkout of the repository
_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def kinds(page: Page) -> dict[str, str]:
    """Who one may be, as the case schema's kinds."""
    return {
        "enterprise": page._("企业"),
        "park_operator": page._("园区运营主体"),
        "building_operator": page._("楼宇运营主体"),
        "fund": page._("基金"),
        "attraction_platform": page._("专业招商平台"),
        "bank": page._("金融机构"),
        "service_institution": page._("专业服务机构"),
        "fund_manager": page._("私募基金管理人"),
        "person": page._("人才（个人）"),
    }


def titles(page: Page) -> dict[str, str]:
    zh = page.locale == "zh_CN"
    return {mid: (t.title_zh if zh else t.title_en) for mid, t in parameters.policy().texts.items()}


def clause_anchor(clause: str) -> str:
    return "clause-" + clause.strip("（）()")


def _matches(pol: Policy, mid: str, q: str, who: str | None) -> bool:
    if who and who not in pol.measures[mid].source.kinds:
        return False
    if not q:
        return True
    t = pol.texts[mid]
    hay = " ".join([t.clause, t.title_zh, t.title_en, t.text_zh, t.text_en, t.beneficiary_zh,
                    t.beneficiary_en]).lower()
    return all(word in hay for word in q.lower().split())


@router.get("/policies")
def library(page: CurrentPage, q: str = "", who: str = "") -> HTMLResponse:
    pol = parameters.policy()
    q = q.strip()[:100]
    who_kind = who if who in kinds(page) else None
    chapters = []
    for ch in pol.chapters:
        clauses: dict[str, list[Any]] = {}
        for mid, t in pol.texts.items():
            if t.chapter == ch["number"] and _matches(pol, mid, q, who_kind):
                clauses.setdefault(t.clause, []).append(t)
        if clauses:
            chapters.append({"title": ch["title_zh"] if page.locale == "zh_CN" else ch["title_en"],
                             "clauses": clauses})
    found = sum(len(ms) for c in chapters for ms in c["clauses"].values())
    return page.render("library/index.html", chapters=chapters, q=q, who=who_kind or "",
                       kinds=kinds(page), found=found, filtered=bool(q or who_kind),
                       document=pol.document, anchor=clause_anchor, block="results")


def _formula(template: str, params: dict[str, Resolved]) -> str:
    """The ceiling's formula with today's parameter values; facts the applicant brings are …"""
    def one(m: re.Match[str]) -> str:
        p = params.get(m.group(1))
        return "…" if p is None else _param_text(p)
    return _PLACEHOLDER.sub(one, template)


def _param_text(p: Resolved) -> str:
    if p.unit is Unit.RATIO and p.value < 1:
        return f"{(p.value * 100).normalize():f}%"
    return param_value(p)


@router.get("/policies/{measure_id}")
def measure(request: Request, page: CurrentPage, measure_id: str) -> HTMLResponse:
    with reading(request) as s:
        pol = parameters.policy_at(s)
        # 免申即享 measures are offered, never applied for
        offered = measure_id in pol.texts and settings.measure_config(s, measure_id).no_application
    if measure_id not in pol.texts:
        raise NotFound(f"no measure {measure_id}")
    t, m = pol.texts[measure_id], pol.measures[measure_id]
    zh = page.locale == "zh_CN"
    in_force = pol.params.at(max(date.today(), pol.effective))
    params = [in_force[name] for name in m.all_params]
    decls = pol.params.decls
    return page.render(
        "library/measure.html", t=t, m=m, document=pol.document,
        who=[kinds(page).get(k, k) for k in m.source.kinds],
        conditions=[{"label": c.label_zh if zh else c.label_en, "clause": c.clause or t.clause,
                     "anchor": clause_anchor(c.clause or t.clause)} for c in m.conditions],
        # the engine names the event as a condition only for measures over subjects
        event=(m.event_label[0] if zh else m.event_label[1])
        if m.event and isinstance(m.source, Subjects) else None,
        formula=_formula(m.formula_zh if zh else m.formula_en, in_force) if m.formula_zh else "",
        note=m.note_zh if zh else m.note_en,
        params=[{"name": p.name,
                 "description": decls[p.name].description_zh if zh else decls[p.name].description_en,
                 "value": p.value if p.unit is Unit.YUAN else None, "text": _param_text(p),
                 "since": p.since, "reference": p.reference, "placeholder": p.placeholder}
                for p in params],
        example=worked_examples().get(measure_id), anchor=clause_anchor,
        can_apply=t.kind.value == "ceiling" and not offered,
    )


@cache
def worked_examples() -> dict[str, dict[str, Any]]:
    """For each measure, the first example case file under examples/ where it is eligible: its
    name (the file's first comment line) and the engine's explanation of the ceiling."""
    out: dict[str, dict[str, Any]] = {}
    if not EXAMPLES.is_dir():
        return out
    pol = parameters.policy()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0].lstrip("# ").strip() if text.startswith("#") else path.stem
        try:
            results = calculate(pol, parse_case(yaml.safe_load(text))).results
        except InputError:
            continue
        for r in results:
            if r.status == "eligible" and r.ceiling is not None and r.measure not in out:
                out[r.measure] = {"file": path.name, "title": first, "ceiling": r.ceiling,
                                  "basis_zh": r.basis_zh, "basis_en": r.basis_en}
    return out
