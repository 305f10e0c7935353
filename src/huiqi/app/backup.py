"""Backup and restore of the platform: the database and the audit checkpoints, in one archive.

The archive is a tar file: ``manifest.json`` (format, kind of database, schema revision, the
checkpoint written for it, SHA-256 of each member), the database, and ``checkpoints.jsonl``.
The audit key is *not* in it: keep the key ring apart (whoever holds both could rewrite history);
restoring needs the same keys to verify.

- SQLite: SQLite's online backup API copies a consistent image while the platform runs.
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` from the installed client. They take
  a consistent snapshot without stopping writers and bring back triggers (the append-only guards),
  functions and sequence positions exactly — a dump of our own through SQLAlchemy would have to
  re-create each of those, a second, less tried copy of pg_dump.

Order matters: a checkpoint is written, the checkpoints file is copied, *then* the database, so
the database image holds at least every entry a copied checkpoint names.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL, make_url

from huiqi.app.audit import checkpoints
from huiqi.app.db import make_engine, normalise_url, utcnow
from huiqi.app.errors import DomainError

FORMAT = "huiqi-backup/1"
DATABASE = {"sqlite": "database.sqlite", "postgresql": "database.pgdump"}
CHECKPOINTS = "checkpoints.jsonl"


class BackupError(DomainError):
    code = "backup"


@dataclass(frozen=True)
class Manifest:
    kind: str
    revision: str | None
    entries: int
    head: str


def _kind(url: URL) -> str:
    kind = url.get_backend_name()
    if kind not in DATABASE:
        raise BackupError(f"--db: backup supports SQLite and PostgreSQL, not {kind}")
    return kind


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("--db: an SQLite database file is needed (not an in-memory database)")
    return Path(url.database)


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """pg_dump/pg_restore connection arguments; the password goes in the environment, not argv."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return ["--dbname", plain], env


def _run(tool: str, args: list[str], env: dict[str, str]) -> None:
    exe = shutil.which(tool)
    if exe is None:
        raise BackupError(f"{tool} not found: install the PostgreSQL client of the server's major "
                          "version (Debian: postgresql-client)")
    done = subprocess.run([exe, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        raise BackupError(f"{tool} failed: {done.stderr.strip()[-500:]}")


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent image of ``source`` written over ``target``."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def _revision(engine: Engine) -> str | None:
    with engine.connect() as c:
        return MigrationContext.configure(c).get_current_revision()


def backup(db_url: str, out: Path) -> Manifest:
    """Write the archive of the database at ``db_url`` (and its audit checkpoints) to ``out``."""
    url = make_url(normalise_url(db_url))
    kind = _kind(url)
    engine = make_engine(db_url)
    try:
        anchor = checkpoints.write(engine)
        assert anchor is not None
        folder = checkpoints.config_for(engine)
        marks = folder.checkpoints.read_bytes()
        manifest = Manifest(kind, _revision(engine), anchor.entries, anchor.head)
    finally:
        engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / DATABASE[kind]
        if kind == "sqlite":
            _sqlite_copy(_sqlite_path(url), image)
        else:
            args, env = _libpq(url)
            _run("pg_dump", [*args, "--format=custom", "--no-owner", "--no-privileges",
                             "--file", str(image)], env)
        members = {DATABASE[kind]: image.read_bytes(), CHECKPOINTS: marks}
        _write_archive(out, manifest, members)
    return manifest


def _write_archive(out: Path, manifest: Manifest, members: dict[str, bytes]) -> None:
    head = {"format": FORMAT, "created": utcnow().isoformat(timespec="seconds"),
            "kind": manifest.kind, "revision": manifest.revision,
            "audit": {"entries": manifest.entries, "head": manifest.head},
            "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}}
    partial = out.with_name(out.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        for name, data in [("manifest.json", json.dumps(head, indent=2).encode()), *members.items()]:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), int(utcnow().timestamp()), 0o600
            tar.addfile(info, io.BytesIO(data))
    os.chmod(partial, 0o600)
    partial.replace(out)  # a crash never leaves a half archive under the final name


def read_archive(path: Path) -> tuple[Manifest, dict[str, bytes]]:
    """The manifest and members of an archive, each member checked against its recorded digest."""
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {}
            for m in tar.getmembers():
                f = tar.extractfile(m) if m.isfile() else None
                if f is not None:
                    members[m.name] = f.read()
        head = json.loads(members.pop("manifest.json"))
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{path}: not a huiqi backup archive ({exc})") from None
    if head.get("format") != FORMAT:
        raise BackupError(f"{path}: format {head.get('format')!r}, expected {FORMAT!r}")
    for name, digest in head["sha256"].items():
        if name not in members or hashlib.sha256(members[name]).hexdigest() != digest:
            raise BackupError(f"{path}: member {name} is missing or damaged (digest differs)")
    audit = head["audit"]
    return Manifest(head["kind"], head["revision"], int(audit["entries"]), audit["head"]), members


def restore(archive: Path, db_url: str, *, replace: bool = False) -> Manifest:
    """Restore ``archive`` into the database at ``db_url`` (empty, or ``replace``) and put its
    checkpoints in that database's audit folder (a different file there is kept aside)."""
    manifest, members = read_archive(archive)
    url = make_url(normalise_url(db_url))
    kind = _kind(url)
    if kind != manifest.kind:
        raise BackupError(f"{archive}: a {manifest.kind} backup restores to {manifest.kind}, "
                          f"--db is {kind}")
    engine = make_engine(db_url)
    try:
        tables = inspect(engine).get_table_names()
        if tables and not replace:
            raise BackupError(f"--db: the database already holds {len(tables)} tables; restore into "
                              "an empty database or pass --replace to overwrite it")
        if tables and kind == "postgresql":
            with engine.begin() as c:
                c.execute(text("DROP SCHEMA public CASCADE"))
                c.execute(text("CREATE SCHEMA public"))
        folder = checkpoints.config_for(engine)
    finally:
        engine.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / DATABASE[kind]
        image.write_bytes(members[DATABASE[kind]])
        if kind == "sqlite":
            _sqlite_copy(image, _sqlite_path(url))
        else:
            args, env = _libpq(url)
            _run("pg_restore", [*args, "--no-owner", "--no-privileges", "--exit-on-error",
                                "--single-transaction", str(image)], env)
    _put_checkpoints(folder.checkpoints, members.get(CHECKPOINTS, b""))
    return manifest


def _put_checkpoints(path: Path, marks: bytes) -> None:
    """The backup's checkpoints become the folder's; a different file there is renamed, not lost."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_bytes() != marks:
        path.replace(path.with_name(f"{path.name}.before-restore-{utcnow():%Y%m%dT%H%M%S}"))
    path.write_bytes(marks)
    checkpoints.forget(path.parent)
