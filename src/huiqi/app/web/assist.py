"""帮办: the service-centre officer's pages (the enterprises that consented; for one, start an
application, fill what the engine reports missing, mark it ready) and the enterprise's page that
confirms one (summary, estimated ceiling, the commitment signed, submitted).

The questions, and how an answer is read, are those the calculator and the wizard ask
(``web.questions``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from huiqi.app.applications import evaluation
from huiqi.app.applications import service as applications
from huiqi.app.applications.lifecycle import State
from huiqi.app.applications.models import Application
from huiqi.app.auth.roles import Role
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, Forbidden, Refused
from huiqi.app.members import consents
from huiqi.app.members import service as members
from huiqi.app.parameters.service import policy
from huiqi.app.registry.models import Organisation
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.app.web.library import titles
from huiqi.app.web.questions import (
    QUESTIONS,
    question_text,
    read_answer,
    set_fact,
    signatory_error,
    size_words,
)
from huiqi.engine.explain import Result

router = APIRouter(include_in_schema=False)


def _measures(page: Page, covered: list[str] | None) -> dict[str, str]:
    """The measures an officer may open for the enterprise: sums to apply for, within the consent."""
    pol, names = policy(), titles(page)
    return {m: names[m] for m in pol.measures if pol.texts[m].kind.value == "ceiling"
            and (covered is None or m in covered)}


@router.get("/staff/assist")
def enterprises(request: Request, page: CurrentPage) -> HTMLResponse:
    actor = page.require(Role.SERVICE)
    with reading(request) as s:
        rows = [{"org_id": org.id, "name": org.name, "until": c.until, "measures": c.measures}
                for org, c in consents.enterprises(s, actor=actor)]
    return page.render("assist/index.html", rows=rows, titles=titles(page))


def _enterprise(request: Request, page: Page, org_id: int) -> dict[str, Any]:
    actor = page.require(Role.SERVICE)
    with reading(request) as s:
        consent = consents.covering(s, actor=actor, org_id=org_id)
        org = s.get(Organisation, org_id)
        assert org is not None  # a consent names a registered organisation
        apps = applications.assisted(s, actor=actor, org_id=org_id)
        return {"id": org.id, "name": org.name, "until": consent.until, "measures": consent.measures,
                "applications": [{"id": a.id, "measure": a.measure, "year": a.year, "state": a.state}
                                 for a in apps]}


def _enterprise_page(request: Request, page: Page, org_id: int, errors: dict[str, str],
                     measure: str = "", year: str = "", ready: int | None = None) -> HTMLResponse:
    org = _enterprise(request, page, org_id)
    return page.render("assist/enterprise.html", org=org, measures=_measures(page, org["measures"]),
                       errors=errors, measure=measure, year=year or str(date.today().year - 1),
                       titles=titles(page), ready=ready)


@router.get("/staff/assist/{org_id}")
def enterprise(request: Request, page: CurrentPage, org_id: int, ready: int | None = None) -> HTMLResponse:
    return _enterprise_page(request, page, org_id, {}, ready=ready)


@router.post("/staff/assist/{org_id}", response_model=None)
def start(request: Request, page: CurrentPage, org_id: int,
          measure: Annotated[str, Form(max_length=30)] = "",
          year: Annotated[str, Form(max_length=6)] = "") -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.SERVICE)
    errors = {}
    org = _enterprise(request, page, org_id)
    if measure not in _measures(page, org["measures"]):
        errors["measure"] = page._("请选择政策")
    if not (year.isdigit() and policy().effective.year <= int(year) <= date.today().year + 1):
        errors["year"] = page._("请填写有效的年度，例如 %(year)s", year=date.today().year - 1)
    if not errors:
        try:
            with transaction(request.app.state.sessions) as s:
                app_id = applications.start(s, actor=actor, measure=measure, year=int(year),
                                            org_id=org_id).id
        except (Conflict, Refused) as exc:
            errors["measure"] = page._("无法为该企业开始这项申请：%(reason)s", reason=exc.message)
        else:
            return page.redirect(f"/staff/assist/applications/{app_id}")
    return _enterprise_page(request, page, org_id, errors, measure, year)


def _asked(result: Result) -> list[str]:
    return [c for c in result.missing_columns if c in QUESTIONS]


def _application_page(request: Request, page: Page, application_id: int, errors: dict[str, str],
                      values: dict[str, str]) -> HTMLResponse:
    actor = page.require(Role.SERVICE)
    with reading(request) as s:
        app = applications.get(s, actor=actor, application_id=application_id)
        org = s.get(Organisation, app.org_id)
        try:
            result = applications.estimate(s, app) if app.state == State.DRAFT else None
        except Refused as exc:  # facts the engine cannot read, or an item to name
            errors = {"ready": exc.message, **errors}
            result = None
        shown: dict[str, Any] = {"id": app.id, "measure": app.measure, "year": app.year, "state": app.state,
                 "org_id": app.org_id, "org": org.name if org else ""}
    zh = page.locale == "zh_CN"
    questions = [{"column": c, "kind": QUESTIONS[c].kind, "text": question_text(page, c, app.year)}
                 for c in (_asked(result) if result else [])]
    return page.render("assist/application.html", app=shown, title=titles(page)[shown["measure"]],
                       outcome=result.status if result else None,
                       ceiling=result.ceiling if result else None,
                       reason=result.reason("zh" if zh else "en") if result else "",
                       questions=questions, sizes=size_words(page), errors=errors, values=values)


@router.get("/staff/assist/applications/{application_id}")
def application(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse:
    return _application_page(request, page, application_id, {}, {})


@router.post("/staff/assist/applications/{application_id}", response_model=None)
async def answer(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse | RedirectResponse:
    """The answers to every question shown; each checked as the calculator checks it."""
    actor = page.require(Role.SERVICE)
    form = await request.form()
    values = {c: str(form.get(c, ""))[:40] for c in QUESTIONS if c in form}
    errors: dict[str, str] = {}
    with reading(request) as s:
        app: Application = applications.get(s, actor=actor, application_id=application_id)
        facts, year = app.facts, app.year
        own = evaluation.beneficiary_id(s, app)
    ben = next(b for b in facts["beneficiaries"] if b.get("id") == own)
    for column, value in values.items():
        q = QUESTIONS[column]
        answer, error = read_answer(page, q, value)
        if answer is None:
            errors[column] = error
        else:
            set_fact(ben, q.at(year), answer)
    if not errors and values:
        try:
            with transaction(request.app.state.sessions) as s:
                applications.update_facts(s, actor=actor, application_id=application_id, facts=facts)
        except (Conflict, Refused) as exc:  # sent to the enterprise meanwhile, or facts refused
            errors["ready"] = exc.message
    if errors:
        return _application_page(request, page, application_id, errors, values)
    return page.redirect(f"/staff/assist/applications/{application_id}")


@router.post("/staff/assist/applications/{application_id}/ready", response_model=None)
def ready(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.SERVICE)
    try:
        with transaction(request.app.state.sessions) as s:
            app = applications.prepare(s, actor=actor, application_id=application_id)
            org_id = app.org_id
    except (Conflict, Refused):
        return _application_page(request, page, application_id,
                                 {"ready": page._("按现有信息尚不符合条件，暂不能交企业确认")}, {})
    return page.redirect(f"/staff/assist/{org_id}?ready={application_id}")


# --- the enterprise confirms what the service centre prepared ---------------------------------------

def _confirmation(request: Request, page: Page, application_id: int) -> dict[str, Any]:
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        app = applications.get(s, actor=actor, application_id=application_id)
        if app.state not in (State.PREPARED, State.DRAFT, State.RETURNED):
            raise Forbidden(f"application {app.id} is {app.state}: nothing to confirm")
        result = applications.estimate(s, app)
        org = s.get(Organisation, app.org_id) if app.org_id else None
        zh = page.locale == "zh_CN"
        return {"id": app.id, "measure": app.measure, "year": app.year, "state": app.state,
                "org": org.name if org else "", "prepared_by": applications.prepared_by(s, app),
                "ceiling": result.ceiling if result.status == "eligible" else None,
                "reason": result.reason("zh" if zh else "en"),
                "refusal": members.may_sign(s, actor=actor, org_id=app.org_id, person_id=app.person_id),
                "commitment": applications.COMMITMENT_ZH if zh else applications.COMMITMENT_EN}


def _confirm_page(request: Request, page: Page, application_id: int, errors: dict[str, str],
                  signatory: str, accepted: bool) -> HTMLResponse:
    shown = _confirmation(request, page, application_id)
    return page.render("assist/confirm.html", app=shown, title=titles(page)[shown["measure"]],
                       errors=errors, signatory=signatory, accepted=accepted)


@router.get("/me/applications/{application_id}/confirm")
def confirm_form(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse:
    return _confirm_page(request, page, application_id, {}, "", False)


@router.post("/me/applications/{application_id}/confirm", response_model=None)
def confirm(request: Request, page: CurrentPage, application_id: int,
            signatory: Annotated[str, Form(max_length=200)] = "",
            accept: Annotated[str, Form(max_length=3)] = "") -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.APPLICANT)
    errors = {}
    if (wrong := signatory_error(page, signatory)) is not None:
        errors["signatory"] = wrong
    if accept != "yes":
        errors["accept"] = page._("请勾选同意告知承诺")
    if not errors:
        try:
            with transaction(request.app.state.sessions) as s:
                applications.submit(s, actor=actor, application_id=application_id, accept_commitment=True,
                                    signatory=signatory.strip())
        except Forbidden:
            errors["accept"] = page._("您没有签署权，请联系单位管理员")
        except (Conflict, Refused) as exc:
            errors["accept"] = page._("暂不能提交：%(reason)s", reason=exc.message)
        else:
            return page.redirect(f"/me/applications/{application_id}")
    return _confirm_page(request, page, application_id, errors, signatory, accept == "yes")
