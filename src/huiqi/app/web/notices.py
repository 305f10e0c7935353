"""站内信 for the logged-in user: the list (unread first) in the reader's language, and marking a
notice read with a form (htmx swaps the one notice; without JavaScript the page comes back)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from huiqi.app.db import transaction
from huiqi.app.notices import service as notices
from huiqi.app.web.deps import CurrentPage, reading

router = APIRouter(include_in_schema=False)


@router.get("/me/notices")
def inbox(request: Request, page: CurrentPage) -> HTMLResponse:
    actor = page.require()
    zh = page.locale == "zh_CN"
    with reading(request) as s:
        rows = [{"id": n.id, "subject": n.subject_zh if zh else n.subject_en,
                 "body": n.body_zh if zh else n.body_en, "link": n.link, "at": n.created_at,
                 "read": n.read_at is not None}
                for n in notices.listing(s, actor=actor)]
    return page.render("notices/index.html", rows=rows)


@router.post("/me/notices/{notice_id}/read", response_model=None)
def read(request: Request, page: CurrentPage, notice_id: int) -> RedirectResponse:
    actor = page.require()
    with transaction(request.app.state.sessions) as s:
        notices.mark_read(s, actor=actor, notice_id=notice_id)
    return page.redirect(f"/me/notices#notice-{notice_id}")
