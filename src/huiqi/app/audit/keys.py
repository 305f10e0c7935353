"""The audit key ring: secrets held outside the database, so a database writer cannot re-sign.

Where the keys come from, first found wins:
1. ``HUIQI_AUDIT_KEY`` — one or more secrets separated by commas, the last one current;
2. ``HUIQI_AUDIT_KEY_FILE`` — a file with one secret per line (``#`` comments), the last current;
3. the embedded default: ``audit.key`` in the audit folder (see ``config``), created with mode 0600
   and a warning on first use — fine for the demo, not for production.

A key is named by its fingerprint (``key_id``), never by its secret; entries and checkpoints record
the id, so old keys stay in the ring to verify old entries after a rotation. The MAC is HMAC-SM3
(GB/T 32905) when the platform's OpenSSL offers SM3, HMAC-SHA-256 otherwise; each entry records which.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from huiqi.app.errors import DomainError

log = logging.getLogger("huiqi.audit")
ENV_KEY = "HUIQI_AUDIT_KEY"
ENV_KEY_FILE = "HUIQI_AUDIT_KEY_FILE"
MIN_SECRET = 32  # characters; a generated secret is 64 hex digits (256 bits)
MACS = {"hmac-sm3": "sm3", "hmac-sha256": "sha256"}
PREFERRED_MAC = "hmac-sm3" if "sm3" in hashlib.algorithms_available else "hmac-sha256"


class AuditKeyError(DomainError):
    """The key ring is missing, unreadable or malformed."""

    status = 503  # the platform cannot record who did what: it must not act
    code = "audit_key"


def fingerprint(secret: bytes) -> str:
    """A key's public name: derived from it, revealing nothing usable about it."""
    return hmac.new(secret, b"huiqi audit key id", "sha256").hexdigest()[:16]


@dataclass(frozen=True)
class KeyRing:
    """Every known key by id; ``current`` signs new entries and checkpoints."""

    keys: dict[str, bytes]
    current: str
    source: str  # where the ring was read from, for messages (never the secrets)

    def mac(self, key_id: str, mac: str, message: bytes) -> str | None:
        """The MAC of ``message`` under key ``key_id``; None when that key or algorithm is unknown."""
        secret, algorithm = self.keys.get(key_id), MACS.get(mac)
        if secret is None or algorithm is None or algorithm not in hashlib.algorithms_available:
            return None
        return hmac.new(secret, message, algorithm).hexdigest()

    @property
    def signer(self) -> tuple[str, str]:
        """(MAC name, key id) that new entries and checkpoints are signed with."""
        return PREFERRED_MAC, self.current

    def sign(self, message: bytes) -> str:
        """The MAC of ``message`` under the current key."""
        return hmac.new(self.keys[self.current], message, MACS[PREFERRED_MAC]).hexdigest()


def parse(secrets_: list[str], source: str) -> KeyRing:
    """A ring from secrets in order of age (the last current); refuses short secrets."""
    values = [s.strip() for s in secrets_ if s.strip() and not s.strip().startswith("#")]
    if not values:
        raise AuditKeyError(f"{source}: no audit key found (expected one secret per line)")
    short = [i + 1 for i, s in enumerate(values) if len(s) < MIN_SECRET]
    if short:
        raise AuditKeyError(f"{source}: audit key number {short} is shorter than {MIN_SECRET} "
                        "characters; generate one with `huiqi audit rotate-key`")
    keys = {fingerprint(s.encode()): s.encode() for s in values}
    return KeyRing(keys=keys, current=fingerprint(values[-1].encode()), source=source)


def new_secret() -> str:
    return secrets.token_hex(32)


def create_key_file(path: Path) -> None:
    """A new key file readable by its owner only (0600), holding one fresh secret. Written aside
    and linked into place, so a second process starting at once finds either none or a whole one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")  # mode 0600
    try:
        with os.fdopen(fd, "w") as f:
            f.write("# huiqi audit keys: one per line, the last one signs; keep old ones to verify\n")
            f.write(new_secret() + "\n")
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process made it first: use theirs
    finally:
        os.unlink(tmp)


def key_file(default: Path) -> Path | None:
    """The key file in use (None when the keys come from the environment)."""
    if os.environ.get(ENV_KEY):
        return None
    named = os.environ.get(ENV_KEY_FILE)
    return Path(named) if named else default


def load(default: Path) -> KeyRing:
    """The ring from the environment, the named key file, or the default file (created if absent)."""
    if env := os.environ.get(ENV_KEY):
        return parse(env.split(","), ENV_KEY)
    path = key_file(default)
    assert path is not None
    if path == default and not path.exists():
        create_key_file(path)
        log.warning("audit key created at %s (mode 0600); for production keep it elsewhere and set "
                    "%s or %s", path, ENV_KEY, ENV_KEY_FILE)
    try:
        return parse(path.read_text().splitlines(), str(path))
    except OSError as exc:
        raise AuditKeyError(f"{path}: audit key file unreadable ({exc.strerror})") from None


def rotate(default: Path) -> tuple[Path, str]:
    """Append a fresh secret to the key file, which becomes current; returns (file, new key id)."""
    path = key_file(default)
    if path is None:
        raise AuditKeyError(f"the keys come from {ENV_KEY}: append a new secret to it (comma-separated, "
                        "last one current; e.g. from `python -c 'import secrets; "
                        "print(secrets.token_hex(32))'`) and restart")
    if not path.exists():
        create_key_file(path)
    else:
        load(default)  # refuse to append to a malformed file
        with path.open("a") as f:
            f.write(new_secret() + "\n")
    return path, load(default).current
