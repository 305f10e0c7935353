"""诉求直通 for the applicant: file a request or complaint, follow one on its own page (its
timeline), reopen an answer that does not settle it, or rate the answer (满意度), closing it.
Another organisation's request is not found."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.errors import Forbidden, NotFound
from huiqi.app.requests import service as requests
from huiqi.app.requests.models import ServiceRequest
from huiqi.app.requests.schemas import KINDS
from huiqi.app.web.deps import CurrentPage, Page, reading

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


def _own(s: Session, actor: Actor, request_id: int) -> ServiceRequest:
    """The applicant's own request; another organisation's reads as not found."""
    try:
        return requests.get(s, actor=actor, request_id=request_id)
    except Forbidden:
        raise NotFound(f"request {request_id} not found") from None


def _answered(s: Session, actor: Actor, request_id: int) -> bool:
    """The request is the applicant's own and waits for its reopening or rating."""
    return _own(s, actor, request_id).state == requests.State.ANSWERED


def ratings(page: Page) -> list[tuple[int, str]]:
    return [(5, page._("非常满意")), (4, page._("满意")), (3, page._("基本满意")), (2, page._("不满意")),
            (1, page._("非常不满意"))]


def _timeline(page: Page, s: Session, actor: Actor, req: ServiceRequest) -> list[dict[str, Any]]:
    """What happened, newest first: who acted by role or department, never a person."""
    words = dict(ratings(page))
    events = []
    for e in requests.history(s, actor=actor, request_id=req.id):
        after = e.after or {}
        kind = e.action.removeprefix("request.")
        if kind == "file":
            label, by, text = page._("提出诉求"), page._("本单位"), after.get("body")
        elif kind == "route":
            label, by, text = page._("分派承办部门"), page._("产促办"), after.get("department")
        elif kind == "answer":
            label, by, text = page._("部门答复"), req.department or "", after.get("answer")
        elif kind == "reopen":
            label, by, text = page._("重新提出"), page._("本单位"), after.get("reason")
        elif kind == "rate":
            rating = after.get("rating")
            label, by = page._("评价答复"), page._("本单位")
            text = " · ".join(x for x in (words.get(rating, "") if isinstance(rating, int) else "",
                                          after.get("rating_comment") or "") if x)
        elif kind == "withdraw":
            label, by, text = page._("撤回"), page._("本单位"), None
        else:
            continue
        events.append({"label": label, "by": by, "at": e.at, "text": text})
    return list(reversed(events))


def _show(request: Request, page: CurrentPage, request_id: int, *, errors: dict[str, str] | None = None,
          form: dict[str, str] | None = None, done: str | None = None) -> HTMLResponse:
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        req = _own(s, actor, request_id)
        shown = {"id": req.id, "kind": req.kind, "subject": req.subject, "state": req.state,
                 "department": req.department, "due_on": req.due_on, "answer": req.answer,
                 "rating": req.rating, "filed_at": req.filed_at}
        events = _timeline(page, s, actor, req)
    return page.render("requests/show.html", r=shown, events=events, errors=errors or {},
                       form=form or {}, ratings=ratings(page), done=done)


@router.get("/me/requests/{request_id}")
def show(request: Request, page: CurrentPage, request_id: int, done: str | None = None) -> HTMLResponse:
    return _show(request, page, request_id, done=done if done in ("rated", "reopened") else None)


@router.post("/me/requests/{request_id}/reopen", response_model=None)
def reopen(request: Request, page: CurrentPage, request_id: int,
           reason: Annotated[str, Form(max_length=20000)] = "") -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.APPLICANT)
    errors = {}
    if not reason.strip():
        errors["reason"] = page._("请说明答复没有解决的问题")
    elif len(reason.strip()) > 4000:
        errors["reason"] = page._("内容不超过4000个字")
    if errors:
        return _show(request, page, request_id, errors=errors, form={"reason": reason})
    with transaction(request.app.state.sessions) as s:
        if not _answered(s, actor, request_id):  # reopened or rated meanwhile: show how it stands
            return page.redirect(f"/me/requests/{request_id}")
        requests.reopen(s, actor=actor, request_id=request_id, reason=reason.strip())
    return page.redirect(f"/me/requests/{request_id}?done=reopened")


@router.post("/me/requests/{request_id}/rate", response_model=None)
def rate(request: Request, page: CurrentPage, request_id: int,
         rating: Annotated[str, Form(max_length=2)] = "",
         comment: Annotated[str, Form(max_length=20000)] = "") -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.APPLICANT)
    errors = {}
    if rating not in {"1", "2", "3", "4", "5"}:
        errors["rating"] = page._("请选择满意程度")
    if len(comment.strip()) > 4000:
        errors["comment"] = page._("内容不超过4000个字")
    if errors:
        return _show(request, page, request_id, errors=errors, form={"rating": rating, "comment": comment})
    with transaction(request.app.state.sessions) as s:
        if not _answered(s, actor, request_id):
            return page.redirect(f"/me/requests/{request_id}")
        requests.rate(s, actor=actor, request_id=request_id, rating=int(rating),
                      comment=comment.strip() or None)
    return page.redirect(f"/me/requests/{request_id}?done=rated")
