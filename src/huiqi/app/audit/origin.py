"""Where the current request came from: set by the API's middleware, read by ``record``.

A context variable, so each request (and the worker thread running its endpoint) sees its own;
outside a request — the command line, the system's scheduled work — there is none.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

SOURCE_LENGTH = 64  # an IPv6 address with a zone fits
USER_AGENT_LENGTH = 200


@dataclass(frozen=True)
class Origin:
    source: str | None
    user_agent: str | None

    @classmethod
    def of(cls, source: str | None, user_agent: str | None) -> Origin:
        """Clipped to the columns' sizes; undecodable characters replaced, never refused."""
        def clip(value: str | None, size: int) -> str | None:
            if not value:
                return None
            return value.encode("utf-8", "replace").decode("utf-8", "replace")[:size]
        return cls(clip(source, SOURCE_LENGTH), clip(user_agent, USER_AGENT_LENGTH))


current: ContextVar[Origin | None] = ContextVar("huiqi_request_origin", default=None)
