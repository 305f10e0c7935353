"""The first look at every request: its size, and whether its JSON is something we can hold.

A body is read as it streams in and refused (413) as soon as it passes the limit — or before a byte
of it is read, when its declared ``Content-Length`` already does. A JSON body is refused (422,
naming the place) when it nests deeper than the limit, holds a number that is not finite
(``NaN``, ``Infinity``, ``1e400``), or a text with a lone surrogate (``\\ud800``: no UTF-8 for it,
so no database could store it) or a NUL character. A query string with a NUL is refused likewise.
Everything else passes on untouched, the body replayed to the application.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from huiqi.app.api.problems import problem
from huiqi.app.config import Config

UPLOADS = "/imports/"  # file uploads have their own, larger limit: imports and documents
DOCUMENTS = "/documents"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Hostile(Exception):
    """A JSON body we refuse; ``field`` is the dotted path of the value at fault."""

    def __init__(self, field: str | None, message: str, message_zh: str) -> None:
        super().__init__(message)
        self.field, self.message, self.message_zh = field, message, message_zh


class BodyGuard:
    """ASGI middleware enforcing the body limits and inspecting JSON bodies."""

    def __init__(self, app: ASGIApp, *, config: Config) -> None:
        self.app = app
        self.config = config

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        path = scope["path"]
        limit = (self.config.upload_max_bytes
                 if path.startswith(UPLOADS) or path.rstrip("/").endswith(DOCUMENTS)
                 else self.config.body_max_bytes)
        declared = headers.get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, receive, send, limit)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > limit:
                await _too_large(scope, receive, send, limit)
                return
            if not message.get("more_body", False):
                break
        try:
            _check_query(scope.get("query_string", b""))
            if body and _is_json(headers.get("content-type")):
                inspect_json(bytes(body), max_depth=self.config.json_max_depth)
        except Hostile as exc:
            answer = problem(Request(scope), 422, code="invalid", field=exc.field,
                             message=exc.message, message_zh=exc.message_zh)
            await answer(scope, receive, send)
            return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # only a disconnect is left to wait for
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    answer = problem(Request(scope), 413, code="too_large", headers={"Connection": "close"},
                     message=f"the request body is larger than {limit:,} bytes",
                     message_zh=f"请求内容超过 {limit:,} 字节")
    await answer(scope, receive, send)


def _is_json(content_type: str | None) -> bool:
    """As FastAPI decides: no content type, or application/json, or application/…+json."""
    if not content_type:
        return True
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def _check_query(query: bytes) -> None:
    if b"%00" in query or b"\x00" in query:
        raise Hostile("query", "query: a NUL character (%00) cannot be stored",
                      "query：不能包含 NUL 字符（%00）")


class _NotFinite(str):
    """A number the JSON text spells (``NaN``, ``Infinity``, ``1e400``) that no float or decimal
    column can hold: kept as its text, so the walk can name where it stands."""


def _finite_float(text: str) -> float | _NotFinite:
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text[:40])


def inspect_json(body: bytes, *, max_depth: int) -> None:
    """Raise ``Hostile`` if the JSON document cannot be held safely (malformed JSON passes: the
    application names that problem itself)."""
    try:
        document = json.loads(body, parse_constant=_NotFinite, parse_float=_finite_float)
    except RecursionError:
        raise Hostile(None, f"the JSON document nests deeper than {max_depth} levels",
                      f"JSON 嵌套超过 {max_depth} 层") from None
    except ValueError:  # malformed, or an integer of thousands of digits
        return
    _walk(document, max_depth)


def _walk(document: Any, max_depth: int) -> None:
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        field = ".".join(("body", *path))
        if len(path) >= max_depth and isinstance(value, dict | list):
            raise Hostile(field, f"{field}: the JSON document nests deeper than {max_depth} levels",
                          f"{field}：JSON 嵌套超过 {max_depth} 层")
        if isinstance(value, _NotFinite):
            raise Hostile(field, f"{field}: a number must be finite, got {value}",
                          f"{field}：数值必须是有限数，收到 {value}")
        if isinstance(value, str):
            _text(field, value)
        elif isinstance(value, dict):  # pushed in reverse: the first problem in reading order is named
            for key in value:
                _text(field, key)
            stack.extend((value[key], (*path, key)) for key in reversed(value))
        elif isinstance(value, list):
            stack.extend((value[i], (*path, str(i))) for i in reversed(range(len(value))))


def _text(field: str, value: str) -> None:
    if _UNSTORABLE.search(value):
        safe = _UNSTORABLE.sub("\ufffd", field)
        raise Hostile(safe, f"{safe}: a text holds a NUL character or a lone surrogate "
                      "(not valid Unicode text)",
                      f"{safe}：文本含 NUL 字符或孤立代理项（不是有效的 Unicode 文本）")
