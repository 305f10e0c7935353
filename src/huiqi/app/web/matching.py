"""免申即享 offers for the applicant: what is offered and why, one question (take it or not),
check answers, then a confirmation. The award goes to the organisation's registered account,
shown pre-filled: nothing to re-type."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from huiqi.app.applications import service as applications
from huiqi.app.auth.roles import Role
from huiqi.app.db import transaction
from huiqi.app.errors import Refused
from huiqi.app.matching import service as matching
from huiqi.app.registry import service as registry
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.app.web.library import titles
from huiqi.app.web.questions import signatory_error
from huiqi.engine.money import fen_to_yuan

router = APIRouter(include_in_schema=False)


def _offer(request: Request, page: Page, offer_id: int) -> dict[str, Any]:
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        app = applications.get(s, actor=actor, application_id=offer_id)
        if app.origin != "offer" or app.org_id is None:
            raise Refused(f"application {offer_id} is not an offer")
        org = registry.get_org(s, actor=actor, org_id=app.org_id)
        result = app.result or {}
        zh = page.locale == "zh_CN"
        account = None
        if org.bank_name and org.account_no_masked and org.account_name:
            account = {"bank_name": org.bank_name, "account_no": org.account_no_masked,
                       "account_name": org.account_name}
        return {
            "id": app.id, "measure": app.measure, "year": app.year, "state": app.state,
            "title": titles(page)[app.measure], "deadline": app.offer_deadline,
            "days_left": None if app.offer_deadline is None else (app.offer_deadline - date.today()).days,
            "ceiling": None if app.ceiling_fen is None else fen_to_yuan(app.ceiling_fen),
            "basis": result.get("basis_zh" if zh else "basis"),
            "conditions": [c["label_zh" if zh else "label_en"] for c in result.get("conditions", [])
                           if c.get("holds")],
            "facts": [(f["label_zh" if zh else "label_en"], f["value"]) for f in result.get("facts", [])
                      if f.get("value") is not None],
            "placeholder": bool(result.get("placeholder")),
            "org_name": org.name, "account": account,
        }


def _check(page: Page, willing: str, signatory: str, reason: str) -> dict[str, str]:
    errors = {}
    if willing not in ("yes", "no"):
        errors["willing"] = page._("请选择是否领取")
    if (wrong := signatory_error(page, signatory)) is not None:
        errors["signatory"] = wrong
    if len(reason.strip()) > 500:
        errors["reason"] = page._("原因不超过500个字")
    return errors


@router.get("/me/offers/{offer_id}")
def offer(request: Request, page: CurrentPage, offer_id: int) -> HTMLResponse:
    return page.render("matching/offer.html", offer=_offer(request, page, offer_id), errors={},
                       willing="", signatory="", reason="")


@router.post("/me/offers/{offer_id}")
def check_answers(request: Request, page: CurrentPage, offer_id: int,
                  willing: Annotated[str, Form(max_length=3)] = "",
                  signatory: Annotated[str, Form(max_length=200)] = "",
                  reason: Annotated[str, Form(max_length=2000)] = "") -> HTMLResponse:
    shown = _offer(request, page, offer_id)
    errors = _check(page, willing, signatory, reason)
    if errors or shown["state"] != "offered":
        return page.render("matching/offer.html", offer=shown, errors=errors, willing=willing,
                           signatory=signatory, reason=reason)
    return page.render("matching/check.html", offer=shown, willing=willing, signatory=signatory.strip(),
                       reason=reason.strip() if willing == "no" else "")


@router.post("/me/offers/{offer_id}/confirm", response_model=None)
def confirm(request: Request, page: CurrentPage, offer_id: int,
            willing: Annotated[str, Form(max_length=3)] = "",
            signatory: Annotated[str, Form(max_length=200)] = "",
            reason: Annotated[str, Form(max_length=2000)] = "") -> HTMLResponse | RedirectResponse:
    actor = page.require(Role.APPLICANT)
    shown = _offer(request, page, offer_id)
    errors = _check(page, willing, signatory, reason)
    if not errors and willing == "yes" and shown["account"] is None:
        errors["willing"] = page._("贵单位尚未登记收款账户，请先联系产促办登记账户")
    if not errors:
        lapsed: Refused | None = None
        try:
            with transaction(request.app.state.sessions) as s:
                try:
                    # the registered account, shown masked, is the one paid into
                    matching.confirm(s, actor=actor, application_id=offer_id, willing=willing == "yes",
                                     bank_account=None, signatory=signatory.strip(),
                                     reason=reason.strip() if willing == "no" else None)
                except matching.OfferLapsed as exc:
                    lapsed = exc  # the lapse is kept: the transaction commits
        except Refused as exc:
            errors["willing"] = exc.message
        else:
            if lapsed is None:
                return page.redirect(f"/me/offers/{offer_id}/done")
            errors["willing"] = page._("确认期限已过，该事项已过期")
    return page.render("matching/offer.html", offer=_offer(request, page, offer_id), errors=errors,
                       willing=willing, signatory=signatory, reason=reason)


@router.get("/me/offers/{offer_id}/done")
def done(request: Request, page: CurrentPage, offer_id: int) -> HTMLResponse:
    return page.render("matching/done.html", offer=_offer(request, page, offer_id))
