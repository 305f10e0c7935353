"""The rest of the enterprise's own space: my awards with the decision notice (核定通知书) as a
PDF, my payments, my organisation's registry profile. Another organisation's record is not found."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from huiqi.app.applications import awards as awards_service
from huiqi.app.auth.roles import Role
from huiqi.app.budget import payments as payments_service
from huiqi.app.parameters import service as parameters
from huiqi.app.registry import personal
from huiqi.app.registry import service as registry
from huiqi.app.web import notice
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.app.web.library import kinds, titles
from huiqi.engine.money import fen_to_yuan

router = APIRouter(include_in_schema=False)


@router.get("/me/awards")
def awards(request: Request, page: CurrentPage) -> HTMLResponse:
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        found = awards_service.awards(s, actor=actor)
    rows = [{"id": a.application_id, "measure": a.measure, "year": a.year, "state": a.state,
             "ceiling": None if a.ceiling_fen is None else fen_to_yuan(a.ceiling_fen),
             "award": None if a.award_fen is None else fen_to_yuan(a.award_fen),
             "decided_on": a.decided_at.date(), "reasons": a.reasons, "reference": a.reference}
            for a in found]
    return page.render("space/awards.html", rows=rows, titles=titles(page))


@router.get("/me/awards/{application_id}/notice.pdf")
def notice_pdf(request: Request, page: CurrentPage, application_id: int) -> Response:
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        award = awards_service.award(s, actor=actor, application_id=application_id)
        holder = awards_service.beneficiary(s, actor=actor)
    pol = parameters.policy()
    pdf = notice.render(award, holder, pol.texts[award.measure], pol.document)
    name = f"{award.reference}.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{name}"',
                             "cache-control": "no-store"})


@router.get("/me/payments")
def payments(request: Request, page: CurrentPage) -> HTMLResponse:
    actor = page.require(Role.APPLICANT)
    with reading(request) as s:
        rows = [{"application": p.application_id, "measure": p.measure, "year": p.year,
                 "amount": fen_to_yuan(p.amount_fen), "bank": p.bank_name,
                 "account": p.account_no_masked, "state": p.state, "paid_at": p.paid_at,
                 "reference": p.bank_reference}
                for p in reversed(payments_service.listing(s, actor=actor))]
    return page.render("space/payments.html", rows=rows, titles=titles(page),
                       states=payment_states(page))


def payment_states(page: Page) -> dict[str, tuple[str, str]]:
    return {"pending": (page._("待发送"), "govuk-tag--grey"),
            "sending": (page._("发送中"), "govuk-tag--blue"),
            "paid": (page._("已到账"), "govuk-tag--green")}


def recognition_words(page: Page) -> dict[str, str]:
    return {"chain_leader": page._("产业链头部企业（链主）"), "introduced_by": page._("认定引进"),
            "title": page._("称号"), "talent": page._("人才认定"), "certification": page._("资质认证"),
            "new": page._("新增"), "existing": page._("存量"),
            "little_giant": page._("国家级专精特新“小巨人”企业"),
            "specialised_sme_beijing": page._("北京市专精特新中小企业"),
            "national": page._("国家级"), "municipal": page._("市级"), "district": page._("区级")}


def fact_words(page: Page) -> dict[str, str]:
    return {"regional_contribution": page._("区域贡献"), "rd_investment": page._("研发投入"),
            "revenue": page._("营业收入"), "assets": page._("资产总额"), "employees": page._("从业人员")}


@router.get("/me/profile")
def profile(request: Request, page: CurrentPage) -> HTMLResponse:
    actor = page.require(Role.APPLICANT)
    shown: dict[str, Any]
    with reading(request) as s:
        if actor.org_id is not None:
            org = registry.get_org(s, actor=actor, org_id=actor.org_id)
            money = {"regional_contribution", "rd_investment", "revenue", "assets"}
            shown = {
                "person": False, "name": org.name, "uscc": awards_service.mask_uscc(org.uscc),
                "kind": kinds(page).get(org.kind, org.kind), "industry": org.industry,
                "key_enterprise": org.key_enterprise, "listed_on": org.listed_on,
                "account": personal.account_json(org),
                "recognitions": [{"kind": r.kind, "subtype": r.subtype, "level": r.level,
                                  "on": r.recognised_on, "reference": r.reference}
                                 for r in registry.recognitions_of(s, org_id=org.id)],
                "facts": [{"year": f.year, "name": f.name, "source": f.source,
                           "money": fen_to_yuan(f.value) if f.name in money else None,
                           "count": None if f.name in money else f.value}
                          for f in reversed(registry.facts_of(s, org.id))],
            }
        elif actor.person_id is not None:
            p = registry.get_person(s, actor=actor, person_id=actor.person_id)
            shown = {"person": True, "name": p.name, "id_number": p.id_number_masked,
                     "account": personal.account_json(p),
                     "recognitions": [{"kind": r.kind, "subtype": r.subtype, "level": r.level,
                                       "on": r.recognised_on, "reference": r.reference}
                                      for r in registry.recognitions_of(s, person_id=p.id)],
                     "facts": []}
        else:
            shown = {"person": False, "name": actor.username, "account": None, "recognitions": [],
                     "facts": []}
    return page.render("space/profile.html", p=shown, words=recognition_words(page),
                       facts=fact_words(page))
