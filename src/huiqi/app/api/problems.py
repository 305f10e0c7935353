"""One shape for every error answer, whatever raised it::

    {"detail": "amount: Input should be a finite number", "code": "invalid",
     "field": "body.amount", "message": "amount：应为有限数值", "message_en": "…", "message_zh": "…",
     "errors": [{"field": "body.amount", "loc": ["body", "amount"], "code": "finite_number",
                 "message_en": "…", "message_zh": "…"}]}

``detail`` (English) and ``code`` are what clients always had; ``field`` is a dotted path or null;
``message`` is in the language the client prefers (``Accept-Language``, Chinese by default);
``errors`` lists every problem of a payload. Nothing the client sent is echoed unless it can be
encoded: lone surrogates become U+FFFD, non-finite numbers become text.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from huiqi.app.api.headers import API_HEADERS
from huiqi.app.api.validation_zh import zh_message
from huiqi.app.dberrors import Kind, classify
from huiqi.app.errors import DomainError

log = logging.getLogger("huiqi.api")
ZH_TITLES = {
    "error": "请求有误", "not_found": "未找到", "unauthorised": "请先登录", "forbidden": "无权执行此操作",
    "conflict": "与现有记录或状态冲突", "refused": "被规则拒绝", "too_many_attempts": "尝试次数过多",
    "import_refused": "文件有问题，未导入任何内容", "invalid": "输入无效", "out_of_range": "数值超出范围",
    "too_large": "请求内容过大", "rate_limited": "请求过于频繁", "retry": "与同时进行的操作冲突，请重试",
    "busy": "数据库繁忙，请稍后重试", "unavailable": "数据库暂时不可用，请稍后重试",
    "method_not_allowed": "不支持此请求方法", "internal": "服务器内部错误",
}
_SURROGATE = re.compile("[\ud800-\udfff]")
_FIELD_PREFIX = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\[\]]*): ")  # services' "field: problem" messages


def language(request: Request) -> str:
    """``en`` or ``zh`` (the default) from Accept-Language, by quality then order."""
    best, best_q = "zh", -1.0
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        try:
            q = float(params.strip()[2:]) if params.strip().startswith("q=") else 1.0
        except ValueError:
            continue
        lang = "en" if tag.startswith("en") else "zh" if tag.startswith("zh") else None
        if lang and math.isfinite(q) and q > best_q:
            best, best_q = lang, q
    return best


def clean(value: Any) -> Any:
    """``value`` made safe to encode as JSON text: no lone surrogates, no NaN or infinities."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, Mapping):
        return {clean(str(k)): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return clean(str(value))


def problem(request: Request, status: int, *, code: str, message: str, message_zh: str | None = None,
            field: str | None = None, errors: Sequence[Mapping[str, Any]] | None = None,
            headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The error answer: ``message`` in English, ``message_zh`` defaulting to the code's title."""
    if field is None and (m := _FIELD_PREFIX.match(message)):
        field = m[1]
    if message_zh is None:
        message_zh = f"{ZH_TITLES.get(code, '请求有误')}：{message}"
    lang = language(request)
    body: dict[str, Any] = {"detail": message, "code": code, "field": field,
                            "message": message_zh if lang == "zh" else message,
                            "message_en": message, "message_zh": message_zh}
    if errors is not None:
        body["errors"] = list(errors)
    return JSONResponse(clean(body), status_code=status,
                        headers={"Content-Language": lang, "Vary": "Accept-Language", **(headers or {})})


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI's validation errors without the input they quote: field, location, messages."""
    out = []
    for e in errors:
        loc = [p for p in e.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-"))]
        field = ".".join(str(p) for p in loc) or None
        kind = str(e.get("type", "invalid"))
        msg = "unknown field" if kind == "extra_forbidden" else str(e.get("msg", "invalid value"))
        out.append({"field": field, "loc": loc, "code": kind,
                    "message_en": f"{field}: {msg}" if field else msg,
                    "message_zh": zh_message(field, kind, e.get("ctx") or {}, msg)})
    return out


def _database(request: Request, exc: Exception) -> JSONResponse | None:
    kind = classify(exc)
    wait = str(request.app.state.config.retry_after_seconds)
    if kind is Kind.RETRY:
        return problem(request, 409, code="retry", headers={"Retry-After": "1"},
                       message="the change met a concurrent change (deadlock or serialization "
                       "failure) and was undone; send it again")
    if kind is Kind.BUSY:
        return problem(request, 503, code="busy", headers={"Retry-After": wait},
                       message="the database is busy with other work; try again shortly")
    if kind is Kind.UNAVAILABLE:
        return problem(request, 503, code="unavailable", headers={"Retry-After": wait},
                       message="the database cannot be reached at the moment; try again shortly")
    return None


def install(app: FastAPI) -> None:
    """Answer every error raised below the middleware in the one shape."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        retry = getattr(exc, "retry_after", None)
        return problem(request, exc.status, code=exc.code, message=exc.message,
                       headers={"Retry-After": str(retry)} if retry is not None else None)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors())
        first = errors[0] if errors else {"field": None, "message_en": "invalid request",
                                          "message_zh": "请求无效"}
        return problem(request, 422, code="invalid", message=str(first["message_en"]),
                       message_zh=str(first["message_zh"]), field=first["field"], errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorised",
                403: "forbidden"}.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else "the request was refused"
        return problem(request, exc.status_code, code=code, message=message, headers=exc.headers)

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return problem(request, 409, code="conflict", message="the record was changed by someone "
                       "else at the same moment; reload it and try again")

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> JSONResponse:
        # the database's own text may quote other records' values (PIPL): not sent
        return _database(request, exc) or problem(
            request, 409, code="conflict", message="conflicts with an existing record (a value that "
            "must be unique is taken, or a referenced record does not exist)")

    @app.exception_handler(DataError)
    @app.exception_handler(OverflowError)
    async def _range(request: Request, exc: Exception) -> JSONResponse:
        return _database(request, exc) or problem(
            request, 422, code="out_of_range", message="a value is out of the range the records can "
            "hold (an identifier or number too large, or a character they cannot store)")

    @app.exception_handler(DBAPIError)
    @app.exception_handler(PoolTimeout)
    async def _db(request: Request, exc: Exception) -> JSONResponse:
        answer = _database(request, exc)
        if answer is None:
            raise exc
        return answer

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        # the last resort (Starlette logs the exception after this answer): JSON, never a traceback
        answer = _database(request, exc) if isinstance(exc, DBAPIError) else None
        answer = answer or problem(request, 500, code="internal",
                                   message="an internal error; it has been logged")
        answer.headers.update(API_HEADERS)
        return answer
