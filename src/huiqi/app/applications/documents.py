"""Supporting documents (证明材料) of an application: PDF or image files, checked by their first
bytes (never by the name or the declared type), kept outside the web root under a random name, the
database holding what was uploaded, by whom and its SHA-256.

The folder is ``HUIQI_FILES``; without it, beside a SQLite database ``<name>-files/`` (``huiqi.db``
→ ``huiqi-files/``), for PostgreSQL ``huiqi-files-<database>/`` in the working folder. An
applicant adds and removes documents while its application is a draft or returned; whoever may
read the application (its applicant, its reviewers, the office, finance, auditors) may read them.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
import unicodedata
from datetime import datetime
from pathlib import Path, PurePosixPath, PureWindowsPath

from sqlalchemy import BigInteger, ForeignKey, Integer, String, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Mapped, Session, mapped_column

from huiqi.app.applications import service as applications
from huiqi.app.applications.lifecycle import State
from huiqi.app.applications.models import Application
from huiqi.app.audit.service import record
from huiqi.app.auth.roles import Actor
from huiqi.app.db import Base, normalise_url, utcnow
from huiqi.app.errors import Conflict, NotFound, Refused

ENV_FILES = "HUIQI_FILES"
ENV_MAX = "HUIQI_DOCUMENT_MAX_BYTES"
DEFAULT_MAX = 10 * 1024 * 1024
# the file's own first bytes decide its type
MAGIC = {"application/pdf": (b"%PDF-",), "image/png": (b"\x89PNG\r\n\x1a\n",),
         "image/jpeg": (b"\xff\xd8\xff",)}
CHANGEABLE = (State.DRAFT.value, State.RETURNED.value)


class Document(Base):
    """One uploaded file of an application."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by: Mapped[str] = mapped_column(String(60))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


def default_folder(url: str) -> Path:
    """Where the files of the database at ``url`` go when ``HUIQI_FILES`` is not set."""
    u = make_url(normalise_url(url))
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return Path(tempfile.gettempdir()) / f"huiqi-files-{os.getpid()}"
        db = Path(u.database)
        return db.with_name(f"{db.stem}-files")
    return Path(f"huiqi-files-{u.database or 'postgres'}")


def folder_for(url: str) -> Path:
    found = os.environ.get(ENV_FILES)
    return Path(found) if found else default_folder(url)


def max_bytes() -> int:
    raw = os.environ.get(ENV_MAX, "")
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX


def sniff(data: bytes) -> str | None:
    """The content type the bytes themselves show (PDF, PNG, JPEG), or None."""
    return next((kind for kind, heads in MAGIC.items() if any(data.startswith(h) for h in heads)), None)


def clean_filename(name: str) -> str:
    """The name to show and to offer on download: no folders, no control characters, NFC,
    at most 200 characters; "document" when nothing is left."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '<>:"/\\|?*')
    base = base.strip(" .")
    return base[-200:] or "document"


def readable(session: Session, *, actor: Actor, application_id: int) -> Application:
    """The application, if the actor may read it; another enterprise's reads as not found."""
    return applications.get(session, actor=actor, application_id=application_id, hide=True)


def listing(session: Session, *, actor: Actor, application_id: int) -> list[Document]:
    readable(session, actor=actor, application_id=application_id)
    return list(session.scalars(select(Document).where(Document.application_id == application_id)
                                .order_by(Document.id)))


def one(session: Session, *, actor: Actor, application_id: int, document_id: int) -> Document:
    readable(session, actor=actor, application_id=application_id)
    doc = session.get(Document, document_id)
    if doc is None or doc.application_id != application_id:
        raise NotFound(f"document {document_id} of application {application_id} not found")
    return doc


def upload(session: Session, *, actor: Actor, folder: Path, application_id: int, label: str,
           filename: str, data: bytes, limit: int | None = None) -> Document:
    """Check, store and record one file. Everything is checked before a byte is written; a file
    written for a row that then fails to be recorded is removed again."""
    limit = limit or max_bytes()
    app = applications.own(session, actor=actor, application_id=application_id, for_change=True)
    if app.state not in CHANGEABLE:
        raise Conflict(f"state: documents can be added while draft or returned, not {app.state}")
    label = " ".join(label.split())
    if not label:
        raise Refused("label: say what the document is (证明材料名称)")
    if len(label) > 100:
        raise Refused("label: at most 100 characters")
    if not data:
        raise Refused("file: choose a file to upload (PDF, PNG or JPEG)")
    if len(data) > limit:
        raise Refused(f"file: larger than {limit:,} bytes")
    kind = sniff(data)
    if kind is None:
        raise Refused("file: only PDF, PNG or JPEG files are accepted")
    stored = secrets.token_hex(16)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / stored
    path.write_bytes(data)
    try:
        doc = Document(application_id=app.id, label=label, filename=clean_filename(filename),
                       content_type=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                       stored_name=stored, uploaded_by=actor.username, uploaded_at=utcnow())
        session.add(doc)
        session.flush()
        record(session, actor=actor, action="document.upload", entity="document", entity_id=doc.id,
               after={"application": app.id, "label": label, "filename": doc.filename,
                      "content_type": kind, "size": doc.size, "sha256": doc.sha256})
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return doc


def remove(session: Session, *, actor: Actor, folder: Path, application_id: int,
           document_id: int) -> Path:
    """Remove a document while the application is a draft or returned (audited); the file to
    delete once the change is committed (``discard``)."""
    app = applications.own(session, actor=actor, application_id=application_id, for_change=True)
    if app.state not in CHANGEABLE:
        raise Conflict(f"state: documents can be removed while draft or returned, not {app.state}")
    doc = one(session, actor=actor, application_id=application_id, document_id=document_id)
    record(session, actor=actor, action="document.remove", entity="document", entity_id=doc.id,
           before={"application": app.id, "label": doc.label, "filename": doc.filename,
                   "sha256": doc.sha256})
    path = path_of(folder, doc)
    session.delete(doc)
    session.flush()
    return path


def discard(path: Path) -> None:
    path.unlink(missing_ok=True)


def path_of(folder: Path, doc: Document) -> Path:
    return folder / doc.stored_name
