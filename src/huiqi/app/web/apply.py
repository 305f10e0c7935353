"""The application wizard (智慧通办): start from a measure, pre-filled from the registry, then a
task list — 企业信息 (confirm only), 申报事项 (each fact the engine reports missing, one question
per page), 证明材料 (uploads, without JavaScript), 收款账户 (the registered account, masked),
承诺声明 — then check answers with the engine's estimated ceiling, submit, and a confirmation
with the reference and the review's time limit. A returned application comes back here with
the reviewer's reason.

The services decide (eligibility, ceilings, who may work on an application); the pages ask and
show. ``_working`` is the one place that answers whose application it is and whether this user
may work on it (``applications.own``); ``applications.sign`` is the one place that signs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from huiqi.app.api.documents import download, store
from huiqi.app.applications import documents, evaluation, provenance
from huiqi.app.applications import service as applications
from huiqi.app.applications.models import Application
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, Forbidden, Refused
from huiqi.app.parameters import service as parameters
from huiqi.app.registry import service as registry
from huiqi.app.settings import service as settings
from huiqi.app.web import format as fmt
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.app.web.library import titles
from huiqi.app.web.questions import (
    QUESTIONS,
    get_fact,
    question_text,
    read_answer,
    signatory_error,
    size_words,
)
from huiqi.engine.explain import Result

router = APIRouter(include_in_schema=False)
OPEN = ("draft", "returned")


def default_year() -> int:
    """The year applied for: the last full year (its figures are known), once the measures apply."""
    return max(date.today().year - 1, parameters.policy().effective.year)


@contextmanager
def _working(request: Request, page: Page, application_id: int,
             write: bool = False) -> Iterator[tuple[Session, Actor, Application]]:
    """Whose application this is and whether this user may work on it (another's reads as not
    found): the session, the acting user and the application."""
    actor = page.require(Role.APPLICANT)
    unit = transaction(request.app.state.sessions) if write else reading(request)
    with unit as s:
        yield s, actor, applications.own(s, actor=actor, application_id=application_id)


def _timeline(app: Application) -> str:
    return f"/me/applications/{app.id}"


# --- what to ask ---------------------------------------------------------------------------------

def _registry_owns(column: str, sources: dict[str, str], year: int) -> bool:
    """The registry vouches for this fact (a recognition, a selection, the size class of a
    registered organisation, or a figure it holds): the applicant is never asked for it."""
    path = QUESTIONS[column].at(year)
    top, _, sub = path.partition(".")
    if top in provenance.RECOGNITIONS or (top == "talent" and sub in provenance.SELECTION):
        return True
    if path == "size.class":
        return True  # derived from the registry's figures, never typed
    return sources.get(top) == "registry" or sources.get(f"{top}.{sub}") == "registry"


def _own_facts(s: Session, app: Application) -> dict[str, Any]:
    mine = evaluation.beneficiary_id(s, app)
    return next((b for b in app.facts.get("beneficiaries", []) if b.get("id") == mine), {})


@dataclass
class Facts:
    """The engine's view of the application and what the wizard asks about it."""

    result: Result | None
    refusal: str | None
    to_ask: list[str]  # still to answer, in order
    answered: list[tuple[str, Any]]  # (column, value) the applicant gave


def _facts(s: Session, actor: Actor, app: Application) -> Facts:
    seen = applications.assess(s, actor=actor, application_id=app.id)
    mine = _own_facts(s, app)
    to_ask: list[str] = []
    if seen.result is not None:
        to_ask = [c for c in seen.result.missing_columns
                  if c in QUESTIONS and not _registry_owns(c, seen.sources, app.year)]
    event = parameters.policy().measures[app.measure].event
    if event in QUESTIONS and get_fact(mine, QUESTIONS[event].at(app.year)) is None:
        to_ask.append(event)
    answered = [(c, get_fact(mine, q.at(app.year))) for c, q in QUESTIONS.items()
                if c not in to_ask and get_fact(mine, q.at(app.year)) is not None
                and not _registry_owns(c, seen.sources, app.year)]
    return Facts(seen.result, seen.refusal, list(dict.fromkeys(to_ask)), answered)


def _asked(found: Facts, column: str) -> bool:
    """A question this application asks: still to answer, or answered and open to change."""
    return column in found.to_ask or column in {c for c, _ in found.answered}


def _shown_value(page: Page, column: str, value: Any) -> str:
    kind = QUESTIONS[column].kind
    if kind == "size":
        return size_words(page).get(str(value), str(value))
    if kind == "money":
        return fmt.yuan(Decimal(str(value)), page.locale)
    if kind == "date":
        return fmt.long_date(date.fromisoformat(str(value)), page.locale)
    return str(value)


# --- start ------------------------------------------------------------------------------------------

@router.post("/me/applications/new", response_model=None)
def start(request: Request, page: CurrentPage,
          measure: Annotated[str, Form(max_length=30)] = "") -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.APPLICANT)
    year = default_year()
    try:
        with transaction(request.app.state.sessions) as s:
            app = applications.start(s, actor=actor, measure=measure, year=year)
            app_id = app.id
    except Conflict:
        with reading(request) as s:
            held = [a for a in applications.listing(s, actor=actor, measure=measure)
                    if a.year == year and a.state in OPEN]
        if held:
            return page.redirect(f"/me/applications/{held[0].id}/tasks")
        return _cannot(page, measure, page._("贵单位本年度已有该政策的申请在办理中或已核定，不能重复申请。"))
    except Refused as exc:
        return _cannot(page, measure, _refusal_words(page, exc.message))
    return page.redirect(f"/me/applications/{app_id}/tasks")


def _refusal_words(page: Page, message: str) -> str:
    if "免申即享" in message:
        return page._("该政策免申即享：符合条件的单位将收到待确认事项，无需申请。")
    if "not for a beneficiary of kind" in message:
        return page._("该政策不面向您这类申请人。")
    if "service or programme" in message:
        return page._("该条款是服务或项目安排，不是申请资金的事项。")
    return page._("暂不能申请该政策。")


def _cannot(page: Page, measure: str, why: str) -> HTMLResponse:
    return page.render("applications/cannot.html", title=titles(page).get(measure, measure), why=why,
                       measure=measure if measure in parameters.policy().texts else "")


# --- the task list ------------------------------------------------------------------------------

def _returned_reasons(s: Session, actor: Actor, app: Application) -> list[dict[str, str]]:
    if app.state != "returned":
        return []
    return [{"department": r.department, "reason": r.reason or ""}
            for r in applications.reviews(s, actor=actor, application_id=app.id)
            if r.round == app.round and r.state == "returned"]


@router.get("/me/applications/{application_id}/tasks", response_model=None)
def tasks(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse | RedirectResponse:
    with _working(request, page, application_id) as (s, actor, app):
        if app.state not in OPEN:
            return page.redirect(_timeline(app))
        found = _facts(s, actor, app)
        docs = documents.listing(s, actor=actor, application_id=app.id)
        account = _account(s, actor, app)
        signed = applications.signed(app)
        returned = _returned_reasons(s, actor, app)
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "state": app.state, "measure": app.measure,
                 "person": app.person_id is not None}
    ready = not found.to_ask and signed is not None
    return page.render("applications/tasks.html", app=shown, title=titles(page)[shown["measure"]],
                       to_ask=len(found.to_ask), answered=len(found.answered), documents=len(docs),
                       account=account, signed=signed, ready=ready, returned=returned)


@router.get("/me/applications/{application_id}/organisation")
def organisation(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse:
    with _working(request, page, application_id) as (s, actor, app):
        who = _who(s, actor, app)
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure}
    return page.render("applications/organisation.html", app=shown, who=who,
                       title=titles(page)[shown["measure"]])


def _mask(text: str) -> str:
    return text[:4] + "*" * (len(text) - 8) + text[-4:] if len(text) > 8 else "*" * len(text)


def _who(s: Session, actor: Actor, app: Application) -> dict[str, Any]:
    """The applicant as the registry has it (masked identifiers)."""
    if app.org_id is not None:
        org = registry.get_org(s, actor=actor, org_id=app.org_id)
        return {"person": False, "name": org.name, "uscc": _mask(org.uscc), "industry": org.industry,
                "listed_on": org.listed_on}
    assert app.person_id is not None
    p = registry.get_person(s, actor=actor, person_id=app.person_id)
    return {"person": True, "name": p.name, "id_number": p.id_number_masked}


def _account(s: Session, actor: Actor, app: Application) -> dict[str, str] | None:
    """The registered payout account, masked; None when none is registered."""
    holder: Any = (registry.get_org(s, actor=actor, org_id=app.org_id) if app.org_id is not None
                   else registry.get_person(s, actor=actor, person_id=app.person_id or 0))
    if not (holder.bank_name and holder.account_no_masked and holder.account_name):
        return None
    return {"bank_name": holder.bank_name, "account_no": holder.account_no_masked,
            "account_name": holder.account_name}


@router.get("/me/applications/{application_id}/account")
def account(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse:
    with _working(request, page, application_id) as (s, actor, app):
        found = _account(s, actor, app)
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure,
                                 "person": app.person_id is not None}
    return page.render("applications/account.html", app=shown, account=found,
                       title=titles(page)[shown["measure"]])


# --- 申报事项: one question per page ----------------------------------------------------------------

@router.get("/me/applications/{application_id}/facts", response_model=None)
def facts(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse | RedirectResponse:
    """The next question, or (nothing left to ask) the answers given, each with a change link."""
    with _working(request, page, application_id) as (s, actor, app):
        if app.state not in OPEN:
            return page.redirect(_timeline(app))
        found = _facts(s, actor, app)
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure}
    if found.to_ask:
        return page.redirect(f"/me/applications/{application_id}/facts/{found.to_ask[0]}")
    answered = [(question_text(page, c, shown["year"])[0], _shown_value(page, c, v), c)
                for c, v in found.answered]
    return page.render("applications/facts.html", app=shown, answered=answered,
                       title=titles(page)[shown["measure"]])


def _question(page: Page, shown: dict[str, Any], column: str, errors: dict[str, str],
              value: str) -> HTMLResponse:
    heading, hint = question_text(page, column, shown["year"])
    return page.render("applications/question.html", app=shown, column=column,
                       kind=QUESTIONS[column].kind, heading=heading, hint=hint, errors=errors,
                       value=value, sizes=size_words(page), title=titles(page)[shown["measure"]])


@router.get("/me/applications/{application_id}/facts/{column}", response_model=None)
def question(request: Request, page: CurrentPage, application_id: int,
             column: str) -> HTMLResponse | RedirectResponse:
    if column not in QUESTIONS:
        return page.redirect(f"/me/applications/{application_id}/facts")
    with _working(request, page, application_id) as (s, actor, app):
        if app.state not in OPEN:
            return page.redirect(_timeline(app))
        if not _asked(_facts(s, actor, app), column):
            return page.redirect(f"/me/applications/{application_id}/facts")
        current = get_fact(_own_facts(s, app), QUESTIONS[column].at(app.year))
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure}
    return _question(page, shown, column, {}, "" if current is None else str(current))


@router.post("/me/applications/{application_id}/facts/{column}", response_model=None)
def answer(request: Request, page: CurrentPage, application_id: int, column: str,
           value: Annotated[str, Form(max_length=100)] = "") -> HTMLResponse | RedirectResponse:
    if column not in QUESTIONS:
        return page.redirect(f"/me/applications/{application_id}/facts")
    q = QUESTIONS[column]
    stored, error = read_answer(page, q, value)
    if stored is not None:
        try:
            with _working(request, page, application_id, write=True) as (s, actor, app):
                if app.state not in OPEN:
                    return page.redirect(_timeline(app))
                if not _asked(_facts(s, actor, app), column):
                    return page.redirect(f"/me/applications/{application_id}/facts")
                applications.set_fact(s, actor=actor, application_id=app.id, path=q.at(app.year),
                                      value=stored)
        except Refused:
            error = page._("这个答案不能用于本申请，请核对后重新填写")
        else:
            return page.redirect(f"/me/applications/{application_id}/facts")
    with _working(request, page, application_id) as (_, _, app):
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure}
    return _question(page, shown, column, {"value": error}, value)


# --- 证明材料 ---------------------------------------------------------------------------------------

def _documents_page(request: Request, page: Page, application_id: int, errors: dict[str, str],
                    label: str) -> HTMLResponse | RedirectResponse:
    with _working(request, page, application_id) as (s, actor, app):
        docs = [{"id": d.id, "label": d.label, "filename": d.filename, "size": d.size,
                 "type": d.content_type} for d in documents.listing(s, actor=actor, application_id=app.id)]
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure, "state": app.state}
    if shown["state"] not in OPEN:
        return page.redirect(f"/me/applications/{application_id}")
    return page.render("applications/documents.html", app=shown, docs=docs, errors=errors, label=label,
                       limit=_size(documents.max_bytes()), title=titles(page)[shown["measure"]])


@router.get("/me/applications/{application_id}/documents", response_model=None)
def documents_page(request: Request, page: CurrentPage,
                   application_id: int) -> HTMLResponse | RedirectResponse:
    return _documents_page(request, page, application_id, {}, "")


@router.post("/me/applications/{application_id}/documents", response_model=None)
def add_document(request: Request, page: CurrentPage, application_id: int,
                 file: Annotated[UploadFile | None, File()] = None,
                 label: Annotated[str, Form(max_length=200)] = "") -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.APPLICANT)
    errors: dict[str, str] = {}
    if not " ".join(label.split()):
        errors["label"] = page._("请填写材料名称，例如“研发费用专项审计报告”")
    elif len(" ".join(label.split())) > 100:
        errors["label"] = page._("材料名称不超过100个字")
    if file is None or not file.filename:
        errors["file"] = page._("请选择要上传的文件")
    if not errors:
        assert file is not None
        try:
            store(request, actor=actor, application_id=application_id, label=label, upload=file)
        except Refused as exc:
            errors["file"] = _file_error(page, exc.message)
        except Conflict:  # no longer a draft or returned: its timeline says why
            return page.redirect(f"/me/applications/{application_id}")
        else:
            return page.redirect(f"/me/applications/{application_id}/documents")
    return _documents_page(request, page, application_id, errors, label)


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


def _file_error(page: Page, message: str) -> str:
    if "larger than" in message:
        return page._("文件不能超过 %(size)s", size=_size(documents.max_bytes()))
    if "choose a file" in message:
        return page._("所选文件是空的，请重新选择")
    return page._("只能上传 PDF、PNG 或 JPEG 文件")


@router.post("/me/applications/{application_id}/documents/{document_id}/remove", response_model=None)
def remove_document(request: Request, page: CurrentPage, application_id: int,
                    document_id: int) -> RedirectResponse:
    actor = page.require(Role.APPLICANT)
    try:
        with transaction(request.app.state.sessions) as s:
            path = documents.remove(s, actor=actor, folder=request.app.state.files,
                                    application_id=application_id, document_id=document_id)
    except Conflict:
        return page.redirect(f"/me/applications/{application_id}")
    documents.discard(path)
    return page.redirect(f"/me/applications/{application_id}/documents")


@router.get("/me/applications/{application_id}/documents/{document_id}")
def document(request: Request, page: CurrentPage, application_id: int, document_id: int) -> FileResponse:
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        doc = documents.one(s, actor=actor, application_id=application_id, document_id=document_id)
    return download(request, doc)


# --- 承诺声明 ----------------------------------------------------------------------------------------

def _commitment_page(request: Request, page: Page, application_id: int, errors: dict[str, str],
                     signatory: str | None, accept: bool) -> HTMLResponse | RedirectResponse:
    with _working(request, page, application_id) as (_, _, app):
        signed = applications.signed(app)
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure, "state": app.state,
                 "person": app.person_id is not None}
    if shown["state"] not in OPEN:
        return page.redirect(f"/me/applications/{application_id}")
    if signatory is None:
        signatory, accept = (signed["signatory"], True) if signed else ("", False)
    text = applications.COMMITMENT_ZH if page.locale == "zh_CN" else applications.COMMITMENT_EN
    return page.render("applications/commitment.html", app=shown, text=text, errors=errors,
                       signatory=signatory, accept=accept, title=titles(page)[shown["measure"]])


@router.get("/me/applications/{application_id}/commitment", response_model=None)
def commitment(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse | RedirectResponse:
    return _commitment_page(request, page, application_id, {}, None, False)


@router.post("/me/applications/{application_id}/commitment", response_model=None)
def sign(request: Request, page: CurrentPage, application_id: int,
         signatory: Annotated[str, Form(max_length=200)] = "",
         accept: Annotated[str, Form(max_length=3)] = "") -> HTMLResponse | RedirectResponse:
    errors: dict[str, str] = {}
    name = " ".join(signatory.split())
    if (wrong := signatory_error(page, name)) is not None:
        errors["signatory"] = wrong
    if accept != "yes":
        errors["accept"] = page._("请勾选承诺声明")
    if not errors:
        try:
            with _working(request, page, application_id, write=True) as (s, actor, app):
                applications.sign(s, actor=actor, application_id=app.id, accept=True, signatory=name)
        except Forbidden:  # a clerk without the signing right (members.may_sign)
            errors["signatory"] = page._("您没有代表本单位签署告知承诺的权限，请联系本单位管理员授予签署权")
        except Refused as exc:
            errors["signatory"] = exc.message
        except Conflict:
            return page.redirect(f"/me/applications/{application_id}")
        else:
            return page.redirect(f"/me/applications/{application_id}/tasks")
    return _commitment_page(request, page, application_id, errors, signatory, accept == "yes")


# --- check answers, submit, confirmation ---------------------------------------------------------

def _check_page(request: Request, page: Page, application_id: int,
                errors: dict[str, str]) -> HTMLResponse | RedirectResponse:
    with _working(request, page, application_id) as (s, actor, app):
        if app.state not in OPEN:
            return page.redirect(_timeline(app))
        found = _facts(s, actor, app)
        who = _who(s, actor, app)
        acct = _account(s, actor, app)
        docs = [d.label for d in documents.listing(s, actor=actor, application_id=app.id)]
        signed = applications.signed(app)
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure, "state": app.state}
    title = titles(page)[shown["measure"]]
    if found.to_ask:
        return page.redirect(f"/me/applications/{application_id}/facts")
    if signed is None:
        return page.redirect(f"/me/applications/{application_id}/commitment")
    zh = page.locale == "zh_CN"
    r = found.result
    if r is None or r.status != "eligible" or r.ceiling is None:
        return page.render("applications/not_eligible.html", app=shown, title=title,
                           reason=_not_eligible_words(page, r),
                           conditions=[] if r is None else [
                               {"label": c.label_zh if zh else c.label_en, "holds": c.holds}
                               for c in r.conditions])
    answered = [(question_text(page, c, shown["year"])[0], _shown_value(page, c, v), c)
                for c, v in found.answered]
    return page.render("applications/check.html", app=shown, title=title, who=who, account=acct,
                       documents=docs, signatory=signed["signatory"], answered=answered,
                       ceiling=r.ceiling, basis=r.basis_zh if zh else r.basis_en,
                       placeholder=r.placeholder, errors=errors)


def _not_eligible_words(page: Page, r: Result | None) -> str:
    if r is None:
        return page._("按目前的信息，系统无法判断该政策是否适用于您。请联系产促办。")
    zh = page.locale == "zh_CN"
    if r.status == "incomplete":
        words = "、".join(r.missing_zh) if zh else ", ".join(r.missing_en)
        return page._("还缺少以下信息，需由产促办登记后才能计算：%(facts)s", facts=words)
    return r.reason("zh" if zh else "en")


@router.get("/me/applications/{application_id}/check", response_model=None)
def check(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse | RedirectResponse:
    return _check_page(request, page, application_id, {})


@router.post("/me/applications/{application_id}/submit", response_model=None)
def submit(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse | RedirectResponse:
    error = ""
    try:
        with _working(request, page, application_id, write=True) as (s, actor, app):
            signed = applications.signed(app)
            if signed is None:
                return page.redirect(f"/me/applications/{application_id}/commitment")
            applications.submit(s, actor=actor, application_id=app.id, accept_commitment=True,
                                signatory=signed["signatory"])
    except Refused:
        error = page._("未能提交：按目前的信息不符合条件，请核对申报事项")
    except Conflict:
        error = page._("未能提交：申请刚被更改，请检查后重新提交")
    else:
        return page.redirect(f"/me/applications/{application_id}/submitted")
    return _check_page(request, page, application_id, {"submit": error})


@router.get("/me/applications/{application_id}/submitted", response_model=None)
def submitted(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse:
    with _working(request, page, application_id) as (s, actor, app):
        reviews = [r for r in applications.reviews(s, actor=actor, application_id=app.id)
                   if r.round == app.round]
        days = settings.measure_config(s, app.measure).review_days
        shown: dict[str, Any] = {"id": app.id, "year": app.year, "measure": app.measure, "state": app.state}
        due = max((r.due_on for r in reviews), default=None)
        departments = sorted({r.department for r in reviews})
    return page.render("applications/submitted.html", app=shown, days=days, due=due,
                       departments=departments, title=titles(page)[shown["measure"]])
