"""The applicant's own applications: each with its timeline, newest first (who holds it by role
or department, never a person; working days; reasons)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from huiqi.app.applications import service as applications
from huiqi.app.auth.roles import Role
from huiqi.app.web.deps import CurrentPage, Page, reading
from huiqi.app.web.library import titles
from huiqi.engine.money import fen_to_yuan

router = APIRouter(include_in_schema=False)
# actions whose note is a reason the applicant should read
REASONED = {"return", "reject", "award", "appeal", "withdraw", "lapse"}


def action_words(page: Page) -> dict[str, tuple[str, str]]:
    """What happened, and who acted (a role or department, never a person)."""
    me, office, review = page._("本单位"), page._("产促办"), page._("审核部门")
    return {
        "create": (page._("创建申请"), me), "submit": (page._("提交申请"), me),
        "approve": (page._("审核通过"), review), "return": (page._("退回修改"), review),
        "award": (page._("核定支持"), office), "reject": (page._("未予支持"), office),
        "appeal": (page._("申请复核"), me), "pay": (page._("拨付资金"), page._("财政")),
        "withdraw": (page._("撤回"), me), "confirm": (page._("确认领取"), me),
        "lapse": (page._("逾期未确认"), page._("系统")), "offer": (page._("发出免申即享"), office),
        "prepare": (page._("代为准备，待本单位确认"), page._("政务服务中心")),
    }


@router.get("/me/applications/{application_id}")
def application(request: Request, page: CurrentPage, application_id: int) -> HTMLResponse:
    actor = page.require(Role.APPLICANT)
    words = action_words(page)
    with reading(request) as s:
        app = applications.get(s, actor=actor, application_id=application_id)
        steps = applications.steps(s, actor=actor, application_id=application_id)
        events = [{"label": words.get(st.action, (st.action, ""))[0],
                   "by": page._("政务服务中心") if st.on_behalf_of is not None
                   else words.get(st.action, ("", ""))[1], "at": st.at, "state": st.to_state,
                   "days": st.elapsed_days, "note": st.note if st.action in REASONED else None,
                   # the latest return, while the application waits for its correction
                   "fix": st.action == "return" and app.state == "returned" and st is steps[-1]}
                  for st in reversed(steps)]
        shown: dict[str, Any] = {"id": app.id, "measure": app.measure, "year": app.year, "state": app.state,
                 "ceiling": None if app.ceiling_fen is None else fen_to_yuan(app.ceiling_fen),
                 "award": None if app.award_fen is None else fen_to_yuan(app.award_fen),
                 "offer": app.origin == "offer"}
    return page.render("applications/timeline.html", app=shown, events=events,
                       title=titles(page)[app.measure])
