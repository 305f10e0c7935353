"""The second factor: time-based one-time codes (RFC 6238, 30 s steps, 6 digits) through pyotp,
enrolled by scanning an otpauth:// URI shown as a QR code (SVG, through segno).

A code is accepted for the step before, the current one and the step after (clock drift), and
only once: a code of a step at or before the last one used is refused (replay)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno

ISSUER = "huiqi 惠企"
DRIFT = 1  # steps either side


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str
    qr_svg: str


def enrolment(secret: str, username: str) -> Enrolment:
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    return Enrolment(secret, uri, segno.make(uri, error="m").svg_inline(scale=4))


def step_of(secret: str, code: str, *, last_step: int | None, now: datetime) -> int | None:
    """The step ``code`` belongs to, if it is valid now and newer than ``last_step``; else None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for offset in range(-DRIFT, DRIFT + 1):
        step = current + offset
        if (last_step is None or step > last_step) and hmac.compare_digest(
                totp.at(now, counter_offset=offset), code.strip()):
            return step
    return None
