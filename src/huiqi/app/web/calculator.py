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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from huiqi.app import ratelimit
from huiqi.app.parameters import service as parameters
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.app.web.library import kinds, titles
from huiqi.calculator import Calculation, InputError, calculate, parse_case
from huiqi.engine.explain import Result

router = APIRouter(include_in_schema=False)

# An identity the public calculator gives every organisation: a valid 统一社会信用代码 that is no
# one's (the engine needs one; nobody is asked for theirs to look up the law).
ANONYMOUS_USCC = "91110112MA01E00028"
MAX_TOKEN = 4000  # characters: the answers of one case fit easily; a bigger token is refused
SIZES = ("large", "medium", "small", "micro")


@dataclass(frozen=True)
class Question:
    """A fact the engine may report missing, and where the answer goes in the case file."""

    kind: str  # "money", "size" or "text"
    path: str  # dotted, {y}: the year asked about, {y1}: the year before


QUESTIONS: dict[str, Question] = {
    "size": Question("size", "size.class"),
    "rc_fen": Question("money", "regional_contribution.{y}"),
    "rc_prev_fen": Question("money", "regional_contribution.{y1}"),
    "rc_prev2_fen": Question("money", "regional_contribution.{y2}"),
    "rd_fen": Question("money", "rd_investment.{y}"),
    "revenue_fen": Question("money", "size.revenue"),
    "fm_investment_fen": Question("money", "fund_manager.investment_scale"),
    "fm_exit_prev_fen": Question("money", "fund_manager.exit_return_prev_year"),
    "talent_tier": Question("text", "talent.tier"),
}


def question_text(page: Page, column: str, year: int) -> tuple[str, str]:
    """The question (the page's h1) and its hint."""
    money_hint = page._("单位：元，可精确到分，例如 1234567.89")
    texts = {
        "size": (page._("贵单位的企业规模是？"),
                 page._("按《中小企业划型标准规定》（工信部联企业〔2011〕300号）划分")),
        "rc_fen": (page._("%(year)s年度的区域贡献是多少？", year=year), money_hint),
        "rc_prev_fen": (page._("%(year)s年度的区域贡献是多少？", year=year - 1), money_hint),
        "rc_prev2_fen": (page._("%(year)s年度的区域贡献是多少？", year=year - 2), money_hint),
        "rd_fen": (page._("%(year)s年度的研发投入是多少？", year=year), money_hint),
        "revenue_fen": (page._("上一年度营业收入是多少？"), money_hint),
        "fm_investment_fen": (page._("%(year)s年度的实际投资规模是多少？", year=year), money_hint),
        "fm_exit_prev_fen": (page._("%(year)s年度项目退出的投资收益是多少？", year=year - 1), money_hint),
        "talent_tier": (page._("入选“运河英才”计划的人才层级是？"), page._("按入选通知填写")),
    }
    return texts[column]


def size_words(page: Page) -> dict[str, str]:
    return {"large": page._("大型企业"), "medium": page._("中型企业"), "small": page._("小型企业"),
            "micro": page._("微型企业")}


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


def _set(facts: dict[str, Any], path: str, value: str) -> None:
    *parents, leaf = path.split(".")
    node = facts
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


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


def parse_money(text: str) -> Decimal | None:
    """Yuan typed by a person: commas, spaces and ¥ allowed; at most two decimals; None if bad."""
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("元", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")) or value >= 10**14:
        return None
    return value.quantize(Decimal("0.01"))


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
    y = state["year"]
    path = q.path.format(y=y, y1=y - 1, y2=y - 2)
    error = ""
    if q.kind == "money":
        amount = parse_money(value)
        if not value.strip():
            error = page._("请输入金额，或选择“不清楚，跳过”")
        elif amount is None:
            error = page._("金额应为不小于零的数字，最多两位小数，例如 1234567.89")
        else:
            _set(state["facts"], path, f"{amount:.2f}")
    elif q.kind == "size":
        if value not in SIZES:
            error = page._("请选择企业规模")
        else:
            _set(state["facts"], path, value)
    else:
        if not value.strip() or len(value) > 16:
            error = page._("请填写人才层级（不超过16个字）")
        else:
            _set(state["facts"], path, value.strip())
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
