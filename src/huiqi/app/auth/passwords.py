"""The password rules: at least 12 characters, not one of the 10,000 most common passwords (with or
without digits and signs appended), not the user name nor containing it."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from huiqi.app.errors import Refused

MIN_LENGTH = 12
MAX_LENGTH = 200
_SUFFIX = re.compile(r"[\d\W_]+$")  # "password2024!" is as weak as "password"


@cache
def common() -> frozenset[str]:
    """The shipped list (``common-passwords.txt``: its header says where it comes from)."""
    text = resources.files("huiqi.app.auth").joinpath("common-passwords.txt").read_text("utf-8")
    return frozenset(w for w in text.splitlines() if w and not w.startswith("#"))


def check(password: str, *, username: str) -> None:
    """Refuse a password that breaks a rule, naming the rule (Chinese and English)."""
    if len(password) < MIN_LENGTH:
        raise Refused(f"password: 密码至少{MIN_LENGTH}个字符 at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise Refused(f"password: 密码至多{MAX_LENGTH}个字符 at most {MAX_LENGTH} characters")
    folded, name = password.casefold(), username.casefold()
    if name and name in folded:
        raise Refused("password: 密码不得包含用户名 must not contain the user name")
    stem = _SUFFIX.sub("", folded)
    words = common()
    if folded in words or stem in words or len(set(folded)) < 4:
        raise Refused("password: 密码过于常见或简单 is too common or too simple (in the list of "
                      "common passwords, or fewer than 4 different characters)")
