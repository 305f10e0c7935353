"""Compiled SQL (and lowered graphs) kept on disk between runs, keyed by all they depend on.

Turning a policy's expressions into SQL takes seconds; the SQL depends only on the code and data
files of the package, the year, the parameter values in force and the compile options. The key is
a digest of all of these, so a changed rule or parameter file never meets a stale entry. The
folder is ``$HUIQI_CACHE_DIR`` or ``~/.cache/huiqi``; if it cannot be written, nothing is cached.
The in-process evaluator keeps its lowered graphs here too, as pickles (``load_bytes``).
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).parents[1]


@cache
def _code_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in {".py", ".yaml"}:
            h.update(str(path.relative_to(PACKAGE)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def _folder() -> Path:
    return Path(os.environ.get("HUIQI_CACHE_DIR") or Path.home() / ".cache" / "huiqi") / "sql"


def _path(key: str, suffix: str = ".sql") -> Path:
    digest = hashlib.sha256((_code_digest() + key).encode()).hexdigest()
    return _folder() / f"{digest}{suffix}"


def load(key: str) -> str | None:
    """The SQL stored for ``key``, if any."""
    data = load_bytes(key, ".sql")
    return None if data is None else data.decode("utf-8")


def store(key: str, sql: str) -> None:
    """Keep ``sql`` for ``key``; a cache that cannot be written is simply skipped."""
    store_bytes(key, sql.encode("utf-8"), ".sql")


def load_bytes(key: str, suffix: str) -> bytes | None:
    """The bytes stored for ``key`` under ``suffix``, if any."""
    try:
        return _path(key, suffix).read_bytes()
    except OSError:
        return None


def store_bytes(key: str, data: bytes, suffix: str) -> None:
    """Keep ``data`` for ``key``; a cache that cannot be written is simply skipped."""
    path = _path(key, suffix)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # atomic: concurrent runs never read half a file
    except OSError:
        return
