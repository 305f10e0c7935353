"""Security headers on every answer.

Every answer forbids framing, sniffing, referrers and inline script. API data is never cached
(``Cache-Control: no-store``); only the docs pages' own script and style files may be. The
Swagger UI and ReDoc pages start their bundled script with one inline ``<script>`` block: their
Content-Security-Policy allows exactly that block by its SHA-256 (computed from the page as sent),
and inline styles, which both renderers set; no other page may run inline script.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")
API_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-store",
}
DOCS_PAGES = ("/docs", "/redoc")
# fastapi-offline's bundled Swagger UI and ReDoc files, and the pages' vendored assets: cached
# (revalidated by ETag); every other answer — data, pages — is no-store
STATIC = ("/static-offline-docs/", "/static/")
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


class SecurityHeaders:
    """ASGI middleware: the headers above on every answer; docs pages get their script hashes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in DOCS_PAGES:
            await self._page(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                _secure(MutableHeaders(scope=message), cacheable=path.startswith(STATIC))
            await send(message)

        await self.app(scope, receive, send_secured)

    async def _page(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Hold the (small) page until its body is complete, to hash its inline script."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                body = b"".join(m.get("body", b"") for m in held[1:])
                headers = MutableHeaders(scope=held[0])
                _secure(headers, cacheable=False)
                hashes = " ".join(
                    f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'"
                    for s in _INLINE_SCRIPT.findall(body))
                headers["Content-Security-Policy"] = DOCS_CSP.format(hashes=hashes)
                for m in held:
                    await send(m)

        await self.app(scope, receive, hold)


def _secure(headers: MutableHeaders, *, cacheable: bool) -> None:
    for name, value in API_HEADERS.items():
        if name == "Cache-Control" and cacheable:
            continue
        headers[name] = value
    if "server" in headers:  # whatever the server would advertise (uvicorn runs with server_header off)
        del headers["server"]
