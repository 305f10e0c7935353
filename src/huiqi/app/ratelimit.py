"""Rate limits per client address (the public calculator's API and pages), on the app's limiter."""

from __future__ import annotations

import time

from fastapi import Request
from limits import parse_many

from huiqi.app.errors import RateLimited


def hit(request: Request, key: str, rates: str) -> None:
    """Count one request under ``key`` for this client; RateLimited (429) once ``rates`` are spent."""
    limiter = request.app.state.calc_limiter
    client = request.client.host if request.client else "unknown"
    for rate in parse_many(rates):
        if not limiter.hit(rate, key, client):
            wait = max(1, round(limiter.get_window_stats(rate, key, client).reset_time - time.time()))
            raise RateLimited(f"too many calculations from this address (at most {rate}); "
                              f"try again in {wait} s", retry_after=wait)
