"""诉求直通 for the applicant: file a request or complaint, and follow its own requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from huiqi.app.auth.roles import Role
from huiqi.app.db import transaction
from huiqi.app.requests import service as requests
from huiqi.app.requests.schemas import KINDS
from huiqi.app.web.deps import CurrentPage, reading

router = APIRouter(include_in_schema=False)


@router.get("/me/requests")
def mine(request: Request, page: CurrentPage, filed: int | None = None) -> HTMLResponse:
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        rows = [{"id": r.id, "kind": r.kind, "subject": r.subject, "state": r.state, "due_on": r.due_on,
                 "filed_at": r.filed_at, "answer": r.answer}
                for r in reversed(requests.listing(s, actor=actor))]
    return page.render("requests/index.html", rows=rows, filed=filed)


@router.get("/me/requests/new")
def new(page: CurrentPage) -> HTMLResponse:
    page.require(Role.APPLICANT)
    return page.render("requests/new.html", errors={}, kind="", subject="", body="")


@router.post("/me/requests/new", response_model=None)
def file(request: Request, page: CurrentPage, kind: Annotated[str, Form(max_length=20)] = "",
         subject: Annotated[str, Form(max_length=1000)] = "",
         body: Annotated[str, Form(max_length=20000)] = "") -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.APPLICANT)
    errors = {}
    if kind not in KINDS:
        errors["kind"] = page._("请选择诉求或投诉")
    if not subject.strip():
        errors["subject"] = page._("请填写标题")
    elif len(subject.strip()) > 200:
        errors["subject"] = page._("标题不超过200个字")
    if not body.strip():
        errors["body"] = page._("请写明具体内容")
    elif len(body.strip()) > 4000:
        errors["body"] = page._("内容不超过4000个字")
    if errors:
        return page.render("requests/new.html", errors=errors, kind=kind, subject=subject, body=body)
    with transaction(request.app.state.sessions) as s:
        filed = requests.file(s, actor=actor, kind=kind, subject=subject.strip(), body=body.strip())
        filed_id = filed.id
    return page.redirect(f"/me/requests?filed={filed_id}")
