"""Second-factor codes for the demo's staff in the page and browser tests: the demo's published
secret, codes computed with pyotp, each code accepted once per user (the server refuses a step at
or before the last one used), so a user's logins take successive steps — the one before the
current, the current, the next — and wait for the clock when all three are used."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pyotp

from huiqi.app.demo import TOTP_SECRET

_used: dict[tuple[str, str], int] = {}  # (server or database, username) → last step given


def code(place: str, username: str, secret: str = TOTP_SECRET) -> str:
    """A code the server at ``place`` accepts now and has not yet seen for ``username``."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    current = totp.timecode(datetime.fromtimestamp(now, UTC))
    # the previous step only well inside the current one (the server reads its clock a little later)
    step = max(_used.get((place, username), -10) + 1, current - 1 if now % 30 < 29 else current)
    if step > current + 1:
        time.sleep((step - 1) * 30 - now + 0.05)
    _used[(place, username)] = step
    return totp.generate_otp(step)
