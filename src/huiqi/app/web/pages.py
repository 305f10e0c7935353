"""The home page (public, or the user's own by role), 长辈版, and the error pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from huiqi.app import worklist
from huiqi.app.applications import service as applications
from huiqi.app.auth.roles import Role
from huiqi.app.matching import service as matching
from huiqi.app.members import service as members
from huiqi.app.parameters import service as parameters
from huiqi.app.registry import service as registry
from huiqi.app.settings import service as settings
from huiqi.app.web.deps import (
    CONTRAST_COOKIE,
    MODE_COOKIE,
    YEAR,
    CurrentPage,
    Page,
    local_path,
    reading,
    secure,
)
from huiqi.app.web.library import titles
from huiqi.engine.money import fen_to_yuan

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, page: CurrentPage) -> HTMLResponse:
    actor = page.actor
    if actor is None:
        return page.render("pages/home.html")
    if actor.role is Role.APPLICANT:
        return page.render("pages/applicant_home.html", titles=titles(page), **_applicant(request, page))
    with reading(request) as s:
        lines = worklist.for_actor(s, actor=actor, on=date.today())
    return page.render("pages/staff_home.html", lines=lines, labels=queue_labels(page))


def queue_labels(page: Page) -> dict[str, str]:
    return {
        "reviews": page._("待审核的申请"),
        "requests": page._("待答复的诉求"),
        "to_decide": page._("待核定的申请（含复核）"),
        "to_route": page._("待分派的诉求"),
        "offers_open": page._("待企业确认的免申即享"),
        "to_pay": page._("已核定待兑付的申请"),
        "payments_pending": page._("待发送的支付指令"),
    }


def _applicant(request: Request, page: Page) -> dict[str, Any]:
    """The enterprise's (or talent's) own space: what it appears to qualify for, offers, applications."""
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        org = registry.get_org(s, actor=actor, org_id=actor.org_id) if actor.org_id else None
        person = (registry.get_person(s, actor=actor, person_id=actor.person_id)
                  if actor.person_id and not actor.org_id else None)
        found = matching.matches(s, actor=actor) if actor.org_id else []
        offers = matching.offers(s, actor=actor, state="offered")
        apps = applications.listing(s, actor=actor)
        pol = parameters.policy()
        # what may be applied for online: sums (not services), not granted as offers (免申即享)
        appliable = {mid for mid, t in pol.texts.items() if t.kind.value == "ceiling"
                     and not settings.measure_config(s, mid).no_application}
        return {
            "org": None if org is None else {"name": org.name, "uscc": _mask(org.uscc)},
            "person": None if person is None else {"name": person.name},
            # a talent's own measures (the matching runs over organisations)
            "mine": sorted(mid for mid in appliable if "person" in pol.measures[mid].source.kinds)
            if person is not None else [],
            "appliable": appliable,
            "eligible": [_match(m, page) for m in found if m.status == "eligible"],
            "incomplete": [_match(m, page) for m in found if m.status == "incomplete"],
            "offers": [{"id": a.id, "measure": a.measure, "deadline": a.offer_deadline,
                        "days_left": None if a.offer_deadline is None
                        else (a.offer_deadline - date.today()).days,
                        "ceiling": _yuan(a.ceiling_fen)} for a in offers],
            "applications": [{"id": a.id, "measure": a.measure, "year": a.year, "state": a.state}
                             for a in apps],
            "org_admin": members.is_administrator(s, actor=actor),
        }


def _match(m: Any, page: Page) -> dict[str, Any]:
    return {"measure": m.measure, "ceiling": _yuan(m.ceiling_fen),
            "reason": m.reason_zh if page.locale == "zh_CN" else m.reason_en}


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else fen_to_yuan(fen)


def _mask(uscc: str) -> str:
    """A 统一社会信用代码 shown with its middle hidden (PIPL: enough to recognise, not to copy)."""
    return uscc[:4] + "*" * (len(uscc) - 8) + uscc[-4:]


@router.get("/mode")
def mode(request: Request, page: CurrentPage, senior: int | None = None, contrast: int | None = None,
         next: str = "/") -> RedirectResponse:
    """Turn 长辈版 (large text, large targets) or the high-contrast theme on or off; the page comes
    back in that mode."""
    response = page.redirect(local_path(next))
    for cookie, on in ((MODE_COOKIE, senior), (CONTRAST_COOKIE, contrast)):
        if on is None:
            continue
        if on:
            response.set_cookie(cookie, "on" if cookie == CONTRAST_COOKIE else "senior", max_age=YEAR,
                                samesite="lax", httponly=True, secure=secure(request))
        else:
            response.delete_cookie(cookie, samesite="lax", httponly=True, secure=secure(request))
    return response
