"""Where the audit's outside-the-database pieces live, and how often the chain head is anchored.

- ``HUIQI_AUDIT_DIR``: the folder of ``checkpoints.jsonl`` (and of the default ``audit.key``).
  Default: beside a SQLite database, ``<name>-audit/`` (``huiqi.db`` → ``huiqi-audit/``); for
  PostgreSQL, ``huiqi-audit-<database>/`` in the working folder.
- ``HUIQI_AUDIT_CHECKPOINT_EVERY`` (default 100): a checkpoint after every that many entries;
- ``HUIQI_AUDIT_CHECKPOINT_SECONDS`` (default 300): and at least that often while entries are
  written (the API server also checks on that period when idle).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from huiqi.app.db import normalise_url

ENV_DIR = "HUIQI_AUDIT_DIR"
ENV_EVERY = "HUIQI_AUDIT_CHECKPOINT_EVERY"
ENV_SECONDS = "HUIQI_AUDIT_CHECKPOINT_SECONDS"


@dataclass(frozen=True)
class AuditConfig:
    folder: Path
    every: int
    seconds: float

    @property
    def checkpoints(self) -> Path:
        return self.folder / "checkpoints.jsonl"

    @property
    def default_key(self) -> Path:
        return self.folder / "audit.key"


def default_folder(url: str) -> Path:
    """The audit folder of the database at ``url`` when ``HUIQI_AUDIT_DIR`` is not set."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return Path("huiqi-audit-memory")
        db = Path(u.database)
        return db.with_name(f"{db.stem}-audit")
    return Path(f"huiqi-audit-{u.database or 'postgres'}")


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name}: expected a positive number, got {raw!r}")
    return value


def config(url: str) -> AuditConfig:
    """The audit settings for the database at ``url`` (from the environment, with defaults)."""
    folder = os.environ.get(ENV_DIR)
    return AuditConfig(folder=Path(folder) if folder else default_folder(url),
                       every=int(_positive(ENV_EVERY, 100)),
                       seconds=_positive(ENV_SECONDS, 300))
