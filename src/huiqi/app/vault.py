"""Personal data at rest: ID numbers and bank account numbers encrypted, found by a keyed hash.

The keys live outside the database:
- ``HUIQI_DATA_KEY``: ``kid:base64key[,kid:base64key…]`` (32-byte keys); the first encrypts,
  every one decrypts — rotate by putting a new key first, then ``huiqi data rekey``;
- ``HUIQI_DATA_KEY_FILE``: a file with the same keys, one ``kid:base64key`` a line;
- neither: a generated key file (mode 0600) ``data.key`` in ``HUIQI_KEY_DIR``, by default — for
  an embedded SQLite database only — a ``keys`` folder beside the database file, with a warning
  (the demo); a server database without any of these refuses personal data (503).

``HUIQI_DATA_CIPHER=sm4`` encrypts with SM4-GCM (GB/T 32907) where the ``cryptography`` build
offers SM4, otherwise AES-256-GCM. A stored value says its cipher and key id
(``enc1:aes|sm4:kid:base64(nonce‖ciphertext‖tag)``), so both ciphers and old keys keep decrypting.
The lookup hash is HMAC-SHA256 under a key derived from each data key: lookups try every key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from huiqi.app.errors import DomainError

log = logging.getLogger(__name__)
PREFIX = "enc1"
KEY_FILE = "data.key"


class KeyMissing(DomainError):
    """The server has no data key for personal data: a configuration problem, not the user's."""

    status = 503
    code = "data_key_missing"


def _sm4_available() -> bool:
    try:
        Cipher(algorithms.SM4(bytes(16)), modes.GCM(bytes(12))).encryptor()
    except Exception:  # any failure means the build lacks SM4-GCM
        return False
    return True


SM4 = _sm4_available()


def _derive(key: bytes, purpose: str, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None,
                info=f"huiqi {purpose}".encode()).derive(key)


@dataclass(frozen=True)
class Keyring:
    """Data keys by id; ``current`` encrypts. ``cipher`` is ``aes`` or ``sm4``."""

    keys: dict[str, bytes]
    current: str
    cipher: str = "aes"

    def seal(self, value: str, purpose: str) -> str:
        """``value`` encrypted, bound to its ``purpose`` (e.g. ``id_number``) as associated data."""
        key, nonce = self.keys[self.current], secrets.token_bytes(12)
        if self.cipher == "sm4":
            enc = Cipher(algorithms.SM4(_derive(key, "sm4", 16)), modes.GCM(nonce)).encryptor()
            enc.authenticate_additional_data(purpose.encode())
            body = enc.update(value.encode()) + enc.finalize() + enc.tag
        else:
            body = AESGCM(key).encrypt(nonce, value.encode(), purpose.encode())
        return f"{PREFIX}:{self.cipher}:{self.current}:{base64.b64encode(nonce + body).decode()}"

    def open(self, stored: str, purpose: str) -> str:
        """The clear value of ``stored`` (one of ours, sealed for ``purpose``)."""
        prefix, cipher, kid, data = stored.split(":", 3)
        if prefix != PREFIX or kid not in self.keys:
            raise KeyMissing(f"a stored value needs data key {kid!r}, which is not configured")
        raw, key = base64.b64decode(data), self.keys[kid]
        nonce, body = raw[:12], raw[12:]
        try:
            if cipher == "sm4":
                dec = Cipher(algorithms.SM4(_derive(key, "sm4", 16)), modes.GCM(nonce, body[-16:])
                             ).decryptor()
                dec.authenticate_additional_data(purpose.encode())
                return (dec.update(body[:-16]) + dec.finalize()).decode()
            return AESGCM(key).decrypt(nonce, body, purpose.encode()).decode()
        except InvalidTag:
            raise KeyMissing(f"a stored {purpose} does not decrypt with data key {kid!r}") from None

    def lookup(self, value: str, purpose: str) -> str:
        """The keyed hash stored beside the value (current key)."""
        return self._hash(self.keys[self.current], value, purpose)

    def lookups(self, value: str, purpose: str) -> list[str]:
        """The keyed hash under every key: finds rows not yet re-keyed after a rotation."""
        return [self._hash(k, value, purpose) for k in self.keys.values()]

    @staticmethod
    def _hash(key: bytes, value: str, purpose: str) -> str:
        return hmac.new(_derive(key, "lookup"), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def is_sealed(value: str | None) -> bool:
    return value is not None and value.startswith(PREFIX + ":")


def parse_keys(text: str) -> dict[str, bytes]:
    """``kid:base64key`` entries separated by commas or lines; the first is the current one."""
    keys: dict[str, bytes] = {}
    for entry in text.replace(",", "\n").splitlines():
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        kid, sep, b64 = entry.partition(":")
        key = base64.b64decode(b64) if sep else b""
        if not kid.isalnum() or len(key) != 32:
            raise KeyMissing(f"data key {kid!r}: expected 'id:base64 of 32 bytes' (id letters/digits)")
        keys[kid] = key
    if not keys:
        raise KeyMissing("the data key is empty")
    return keys


def new_key_line(kid: str) -> str:
    return f"{kid}:{base64.b64encode(secrets.token_bytes(32)).decode()}"


def _default_file(database: str | None) -> Path | None:
    folder = os.environ.get("HUIQI_KEY_DIR")
    if folder:
        return Path(folder) / KEY_FILE
    if database and database != ":memory:":
        return Path(database).resolve().parent / "keys" / KEY_FILE
    return None


@lru_cache(maxsize=32)
def _load(env_key: str | None, env_file: str | None, default: Path | None, cipher: str) -> Keyring:
    if env_key:
        text = env_key
    elif env_file:
        text = Path(env_file).read_text()
    elif default is not None:
        if not default.exists():
            default.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(default, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(new_key_line("k1") + "\n")
            log.warning("personal data key generated at %s (demo default): keep it outside backups "
                        "of the database, or set HUIQI_DATA_KEY / HUIQI_DATA_KEY_FILE", default)
        text = default.read_text()
    else:
        raise KeyMissing("no data key for personal data: set HUIQI_DATA_KEY or HUIQI_DATA_KEY_FILE "
                         "(未配置个人信息加密密钥)")
    keys = parse_keys(text)
    return Keyring(keys, next(iter(keys)), "sm4" if cipher == "sm4" and SM4 else "aes")


def keyring(database: str | None = None) -> Keyring:
    """The keyring for a database; ``database`` is the SQLite file (None for a server database)."""
    cipher = os.environ.get("HUIQI_DATA_CIPHER", "aes").lower()
    if cipher == "sm4" and not SM4:
        log.warning("HUIQI_DATA_CIPHER=sm4 but this cryptography build has no SM4-GCM; using AES-256-GCM")
    return _load(os.environ.get("HUIQI_DATA_KEY"), os.environ.get("HUIQI_DATA_KEY_FILE"),
                 _default_file(database), cipher)


def of(session: Session) -> Keyring:
    """The keyring of the session's database."""
    bind = session.get_bind()
    url = bind.engine.url if isinstance(bind, Connection) else bind.url
    return keyring(url.database if url.get_backend_name() == "sqlite" else None)
