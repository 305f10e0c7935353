"""An enterprise's people (单位管理员): its clerks (经办人), who may sign the commitment, and its
consents to the service centre (帮办). Only the organisation's administrator opens these pages;
every change goes through ``members`` and is audited there."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, Refused
from huiqi.app.members import consents
from huiqi.app.members import service as members
from huiqi.app.parameters.service import policy
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.app.web.library import titles

router = APIRouter(include_in_schema=False)
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def _admin(request: Request, page: Page) -> tuple[Actor, int]:
    """The organisation's administrator and its organisation (403 for anyone else)."""
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        members.administrator(s, actor=actor, org_id=actor.org_id or 0)
    assert actor.org_id is not None
    return actor, actor.org_id


def _person(u: Any) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "name": u.display_name, "admin": u.org_admin,
            "signs": u.may_sign, "active": u.active, "first_login": u.must_change_password}


@router.get("/me/people")
def people(request: Request, page: CurrentPage, changed: int | None = None) -> HTMLResponse:
    actor, org_id = _admin(request, page)
    with reading(request) as s:
        rows = [_person(u) for u in members.listing(s, actor=actor, org_id=org_id)]
    return page.render("people/index.html", rows=rows, changed=changed)


@router.get("/me/people/new")
def invite_form(request: Request, page: CurrentPage) -> HTMLResponse:
    _admin(request, page)
    return page.render("people/new.html", errors={}, username="", display_name="", may_sign="")


@router.post("/me/people/new")
def invite(request: Request, page: CurrentPage, username: Annotated[str, Form(max_length=200)] = "",
           display_name: Annotated[str, Form(max_length=400)] = "",
           may_sign: Annotated[str, Form(max_length=3)] = "") -> HTMLResponse:
    actor, org_id = _admin(request, page)
    username, display_name = username.strip(), display_name.strip()
    errors = {}
    if not display_name:
        errors["display_name"] = page._("请填写经办人姓名")
    elif len(display_name) > 100:
        errors["display_name"] = page._("姓名不超过100个字")
    if not username:
        errors["username"] = page._("请填写用户名")
    elif not (3 <= len(username) <= 60 and set(username) <= USERNAME_CHARS):
        errors["username"] = page._("用户名为3至60位字母、数字或 _ . -")
    if may_sign not in ("yes", "no"):
        errors["may_sign"] = page._("请选择是否可以签署告知承诺")
    if not errors:
        try:
            with transaction(request.app.state.sessions) as s:
                user, password = members.invite(s, actor=actor, org_id=org_id, username=username,
                                                display_name=display_name, may_sign=may_sign == "yes")
                added = _person(user)
        except Conflict:
            errors["username"] = page._("该用户名已被使用，请换一个")
        else:
            return page.render("people/added.html", person=added, password=password)
    return page.render("people/new.html", errors=errors, username=username, display_name=display_name,
                       may_sign=may_sign)


def _member(request: Request, page: Page, user_id: int) -> dict[str, Any]:
    actor, org_id = _admin(request, page)
    with reading(request) as s:
        return _person(members.member(s, actor=actor, org_id=org_id, user_id=user_id))


@router.get("/me/people/{user_id}")
def standing_form(request: Request, page: CurrentPage, user_id: int) -> HTMLResponse:
    person = _member(request, page, user_id)
    return page.render("people/member.html", person=person, errors={},
                       active="yes" if person["active"] else "no", signs="yes" if person["signs"] else "no")


@router.post("/me/people/{user_id}", response_model=None)
def standing(request: Request, page: CurrentPage, user_id: int,
             active: Annotated[str, Form(max_length=3)] = "",
             signs: Annotated[str, Form(max_length=3)] = "") -> HTMLResponse | RedirectResponse:
    actor, org_id = _admin(request, page)
    person = _member(request, page, user_id)
    errors = {}
    if active not in ("yes", "no"):
        errors["active"] = page._("请选择账号是否启用")
    if signs not in ("yes", "no"):
        errors["signs"] = page._("请选择是否可以签署告知承诺")
    if not errors:
        try:
            with transaction(request.app.state.sessions) as s:
                members.set_standing(s, actor=actor, org_id=org_id, user_id=user_id,
                                     active=active == "yes", may_sign=signs == "yes")
        except Refused:
            errors["active"] = page._("单位管理员不能停用自己或取消自己的签署权")
        else:
            return page.redirect(f"/me/people?changed={user_id}")
    return page.render("people/member.html", person=person, errors=errors, active=active, signs=signs)


# --- consents to the service centre (授权委托) ------------------------------------------------------

@router.get("/me/consents")
def consent_list(request: Request, page: CurrentPage, granted: int | None = None) -> HTMLResponse:
    actor, org_id = _admin(request, page)
    today = date.today()
    with reading(request) as s:
        names = {u.id: u.display_name for u in consents.officers(s)}
        rows = [{"id": c.id, "officer": names.get(c.officer_id, "") if c.officer_id else None,
                 "measures": c.measures, "until": c.until, "revoked_at": c.revoked_at,
                 "live": c.revoked_at is None and c.until >= today}
                for c in consents.listing(s, actor=actor, org_id=org_id)]
    return page.render("people/consents.html", rows=rows, granted=granted, titles=titles(page))


def _ceiling_measures(page: Page) -> dict[str, str]:
    pol, names = policy(), titles(page)
    return {m: names[m] for m in pol.measures if pol.texts[m].kind.value == "ceiling"}


def _consent_form(request: Request, page: Page, errors: dict[str, str], values: dict[str, Any]
                  ) -> HTMLResponse:
    with reading(request) as s:
        officers = [(str(u.id), u.display_name) for u in consents.officers(s)]
    return page.render("people/consent_new.html", errors=errors, officers=officers,
                       measures=_ceiling_measures(page), v=values)


@router.get("/me/consents/new")
def consent_form(request: Request, page: CurrentPage) -> HTMLResponse:
    _admin(request, page)
    return _consent_form(request, page, {}, {"officer": "", "scope": "", "chosen": [], "day": "",
                                             "month": "", "year": ""})


@router.post("/me/consents/new", response_model=None)
def consent_grant(request: Request, page: CurrentPage, officer: Annotated[str, Form(max_length=20)] = "",
                  scope: Annotated[str, Form(max_length=10)] = "",
                  measures: Annotated[list[str] | None, Form()] = None,
                  day: Annotated[str, Form(max_length=4)] = "",
                  month: Annotated[str, Form(max_length=4)] = "",
                  year: Annotated[str, Form(max_length=6)] = "") -> HTMLResponse | RedirectResponse:
    actor, org_id = _admin(request, page)
    chosen = [m for m in measures or [] if m in _ceiling_measures(page)]
    values = {"officer": officer, "scope": scope, "chosen": chosen, "day": day, "month": month, "year": year}
    errors = {}
    if not officer:
        errors["officer"] = page._("请选择授权给谁")
    if scope not in ("all", "some"):
        errors["scope"] = page._("请选择授权办理的政策范围")
    elif scope == "some" and not chosen:
        errors["scope"] = page._("请至少选择一项政策")
    until = None
    try:
        until = date(int(year), int(month), int(day))
    except ValueError:
        errors["until"] = page._("请填写有效的截止日期，例如 31 12 2026")
    if not errors and until is not None:
        try:
            with transaction(request.app.state.sessions) as s:
                given = consents.grant(s, actor=actor, org_id=org_id,
                                       officer_id=None if officer == "centre" else int(officer),
                                       measures=chosen if scope == "some" else None, until=until)
                given_id = given.id
        except (Refused, ValueError) as exc:
            field = "officer" if "officer" in str(exc) else "until"
            errors[field] = (page._("截止日期不能早于今天，且授权期限不超过一年") if field == "until"
                             else page._("请选择授权给谁"))
        else:
            return page.redirect(f"/me/consents?granted={given_id}")
    return _consent_form(request, page, errors, values)


@router.post("/me/consents/{consent_id}/revoke")
def consent_revoke(request: Request, page: CurrentPage, consent_id: int) -> RedirectResponse:
    actor, org_id = _admin(request, page)
    try:
        with transaction(request.app.state.sessions) as s:
            consents.revoke(s, actor=actor, org_id=org_id, consent_id=consent_id)
    except Conflict:
        pass  # revoked already (a second click): the list shows it so
    return page.redirect("/me/consents")
