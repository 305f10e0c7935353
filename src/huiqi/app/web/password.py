"""Changing one's password: the current one, a new one by the rules, typed twice. The service ends
every session of the user and gives a new one, which replaces the cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from huiqi.app.api.deps import address
from huiqi.app.auth import passwords
from huiqi.app.auth import service as auth
from huiqi.app.errors import Refused, TooManyAttempts
from huiqi.app.web.deps import CurrentPage, Page
from huiqi.app.web.login import signed_in, waiting, with_retry_after

router = APIRouter(include_in_schema=False)
Secret = Annotated[str, Form(max_length=passwords.MAX_LENGTH + 1)]


def _refusal(page: Page, exc: Refused) -> tuple[str, str]:
    """The field and the page's words for the service's refusal (its message names the rule)."""
    text = str(exc)
    if text.startswith("current_password:"):
        return "current_password", page._("当前密码不正确")
    rules = [("至少", page._("新密码至少需要%(n)s个字符", n=passwords.MIN_LENGTH)),
             ("至多", page._("新密码不能超过%(n)s个字符", n=passwords.MAX_LENGTH)),
             ("用户名", page._("新密码不能包含用户名")),
             ("常见", page._("新密码过于常见或简单，请换一个不易猜到的密码")),
             ("最近", page._("新密码不能与最近%(n)s次使用过的密码相同", n=auth.HISTORY))]
    return "new_password", next((words for key, words in rules if key in text),
                                page._("新密码不符合要求"))


def _form(page: Page, errors: dict[str, str]) -> HTMLResponse:
    return page.render("pages/password.html", errors=errors, forced=page.must_change_password,
                       min_length=passwords.MIN_LENGTH, history=auth.HISTORY,
                       changed=page.request.query_params.get("changed") == "1" and not errors)


@router.get("/password")
def password_form(page: CurrentPage) -> HTMLResponse:
    page.require()
    return _form(page, {})


@router.post("/password", response_model=None)
def change_password(request: Request, page: CurrentPage, current_password: Secret = "",
                    new_password: Secret = "",
                    confirm_password: Secret = "") -> HTMLResponse | RedirectResponse:
    page.require()
    errors: dict[str, str] = {}
    if not current_password:
        errors["current_password"] = page._("请输入当前密码")
    if not new_password:
        errors["new_password"] = page._("请输入新密码")
    if not confirm_password:
        errors["confirm_password"] = page._("请再次输入新密码")
    elif new_password and confirm_password != new_password:
        errors["confirm_password"] = page._("两次输入的新密码不一致")
    throttled: TooManyAttempts | None = None
    if not errors:
        user_id = page.user_id
        assert user_id is not None  # require() found the user
        policy = request.app.state.session_policy
        try:
            result = auth.counted(request.app.state.sessions, lambda s: auth.change_password(
                s, user_id=user_id, current=current_password, new=new_password, address=address(request),
                policy=policy))
        except TooManyAttempts as exc:
            throttled, errors["current_password"] = exc, waiting(page, exc)
        except Refused as exc:
            field, words = _refusal(page, exc)
            errors[field] = words
        else:
            return signed_in(page, result, "/password?changed=1")
    return with_retry_after(_form(page, errors), throttled)
