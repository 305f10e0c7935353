"""The public calculator: pick who you are, answer only what the engine still misses for the
measures in view, then see every ceiling with its explanation, print it or download the case file.

Every step is a GET (the calculator changes nothing): the answers so far travel in the URL as one
size-limited token (nothing secret: the visitor's own answers), so the back button, bookmarks and
a phone without JavaScript all work. The engine decides; this module only asks and shows.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from huiqi.app import ratelimit
from huiqi.app.parameters import service as parameters
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.app.web.library import kinds, titles
from huiqi.app.web.questions import QUESTIONS, question_text, read_answer, set_fact, size_words
from huiqi.calculator import Calculation, InputError, calculate, parse_case
from huiqi.engine.explain import Result

router = APIRouter(include_in_schema=False)

# An identity the public calculator gives every organisation: a valid 统一社会信用代码 that is no
# one's (the engine needs one; nobody is asked for theirs to look up the law).
ANONYMOUS_USCC = "91110112MA01E00028"
MAX_TOKEN = 4000  # characters: the answers of one case fit easily; a bigger token is refused


# --- the answers so far, carried in the URL ---------------------------------------------------

def encode(state: dict[str, Any]) -> str:
    raw = json.dumps(state, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode("utf-8")).decode("ascii").rstrip("=")


def decode(token: str) -> dict[str, Any]:
    """The state in a token, checked for shape; InputError for anything else."""
    if not token or len(token) > MAX_TOKEN:
        raise InputError("c: missing or too long")
    try:
        state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InputError("c: not a calculator token") from None
    if not (isinstance(state, dict) and state.get("kind") in kinds_known()
            and isinstance(state.get("year"), int) and isinstance(state.get("facts"), dict)
            and isinstance(state.get("skip", []), list)
            and isinstance(state.get("measures", []), list)):
        raise InputError("c: not a calculator token")
    return state


def kinds_known() -> tuple[str, ...]:
    return ("enterprise", "park_operator", "building_operator", "fund", "attraction_platform",
            "bank", "service_institution", "fund_manager", "person")


def case_of(state: dict[str, Any]) -> dict[str, Any]:
    """The case file the answers make (what the download gives back)."""
    person = state["kind"] == "person"
    beneficiary = {"id": "person-1" if person else ANONYMOUS_USCC, "kind": state["kind"],
                   **state["facts"]}
    if person:
        beneficiary.setdefault("talent", {})
    return {"year": state["year"], "beneficiaries": [beneficiary]}


def _run(request: Request, state: dict[str, Any]) -> Calculation:
    ratelimit.hit(request, "calculator-page", request.app.state.config.calc_page_rate)
    with reading(request) as s:
        pol = parameters.policy_at(s)
    return calculate(pol, parse_case(case_of(state)), measures=state.get("measures") or None)


def _next_question(state: dict[str, Any], calc: Calculation) -> tuple[str, list[Result]] | None:
    """The first missing fact we can ask for, and the measures that need it."""
    skip = set(state.get("skip", []))
    for r in calc.results:
        if r.status != "incomplete":
            continue
        for column in r.missing_columns:
            if column in QUESTIONS and column not in skip:
                return column, [x for x in calc.results if column in x.missing_columns]
    return None


# --- pages ---------------------------------------------------------------------------------------

def _default_year() -> int:
    return max(date.today().year - 1, parameters.policy().effective.year)


@router.get("/calculator")
def start(page: CurrentPage, measure: str = "") -> HTMLResponse:
    return _start_page(page, measure, errors={})


def _start_page(page: Page, measure: str, errors: dict[str, str]) -> HTMLResponse:
    pol = parameters.policy()
    shown = kinds(page)
    in_view = measure if measure in pol.measures else ""
    if in_view:
        shown = {k: v for k, v in shown.items() if k in pol.measures[in_view].source.kinds}
    return page.render("calculator/start.html", kinds=shown, measure=in_view,
                       title=titles(page).get(in_view, ""), errors=errors, year=_default_year())


@router.get("/calculator/start", response_model=None)
def begin(page: CurrentPage, who: str = "", measure: str = "") -> HTMLResponse | RedirectResponse:
    pol = parameters.policy()
    in_view = pol.measures.get(measure)
    if who not in kinds_known() or (in_view is not None and who not in in_view.source.kinds):
        return _start_page(page, measure, errors={"who": page._("请选择您的身份")})
    state = {"kind": who, "year": _default_year(), "facts": {}, "skip": [],
             "measures": [measure] if measure in pol.measures else []}
    return page.redirect("/calculator/questions?c=" + encode(state))


def _state_or_restart(token: str) -> dict[str, Any] | None:
    try:
        return decode(token)
    except InputError:
        return None


@router.get("/calculator/questions", response_model=None)
def questions(request: Request, page: CurrentPage, c: str = "") -> HTMLResponse | RedirectResponse:
    state = _state_or_restart(c)
    if state is None:
        return page.redirect("/calculator")
    calc = _run(request, state)
    nxt = _next_question(state, calc)
    if nxt is None:
        return page.redirect("/calculator/results?c=" + c)
    return _question_page(page, state, c, nxt[0], nxt[1], errors={}, value="")


def _question_page(page: Page, state: dict[str, Any], token: str, column: str, needing: list[Result],
                   errors: dict[str, str], value: str) -> HTMLResponse:
    heading, hint = question_text(page, column, state["year"])
    names = titles(page)
    return page.render("calculator/question.html", c=token, column=column, kind=QUESTIONS[column].kind,
                       heading=heading, hint=hint, errors=errors, value=value, sizes=size_words(page),
                       needing=sorted({names[r.measure] for r in needing}))


@router.get("/calculator/answer", response_model=None)
def answer(request: Request, page: CurrentPage, c: str = "", ask: str = "", value: str = "",
           skip: str = "") -> HTMLResponse | RedirectResponse:
    state = _state_or_restart(c)
    if state is None or ask not in QUESTIONS:
        return page.redirect("/calculator")
    q = QUESTIONS[ask]
    if skip:
        state["skip"] = [*state.get("skip", []), ask]
        return page.redirect("/calculator/questions?c=" + encode(state))
    if q.kind == "money" and not value.strip():
        error = page._("请输入金额，或选择“不清楚，跳过”")
    else:
        stored, error = read_answer(page, q, value)
        if stored is not None:
            set_fact(state["facts"], q.at(state["year"]), stored)
    if error:
        calc = _run(request, state)
        needing = [r for r in calc.results if ask in r.missing_columns]
        return _question_page(page, state, c, ask, needing, errors={"value": error}, value=value)
    return page.redirect("/calculator/questions?c=" + encode(state))


@router.get("/calculator/results", response_model=None)
def results(request: Request, page: CurrentPage, c: str = "") -> HTMLResponse | RedirectResponse:
    state = _state_or_restart(c)
    if state is None:
        return page.redirect("/calculator")
    calc = _run(request, state)
    zh = page.locale == "zh_CN"
    shown = [{"measure": r.measure, "title": r.title_zh if zh else r.title_en, "clause": r.clause,
              "status": r.status, "ceiling": r.ceiling, "reason": r.reason("zh" if zh else "en"),
              "placeholder": r.placeholder,
              "conditions": [{"label": x.label_zh if zh else x.label_en, "holds": x.holds}
                             for x in r.conditions]} for r in calc.results]
    return page.render("calculator/results.html", c=c, year=calc.year, total=calc.total_ceiling,
                       who=kinds(page)[state["kind"]],
                       eligible=[r for r in shown if r["status"] == "eligible"],
                       incomplete=[r for r in shown if r["status"] == "incomplete"],
                       ineligible=[r for r in shown if r["status"] == "ineligible"],
                       nothing=[r for r in shown if r["status"] == "nothing_to_support"])


@router.get("/calculator/case.yaml", response_model=None)
def download(page: CurrentPage, c: str = "") -> Response:
    state = _state_or_restart(c)
    if state is None:
        return page.redirect("/calculator")
    text = "# huiqi calc case.yaml\n" + yaml.safe_dump(case_of(state), allow_unicode=True, sort_keys=False)
    return Response(text, media_type="application/yaml; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="case.yaml"'})
