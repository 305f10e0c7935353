"""Supporting documents: the service (type by the file's own bytes, size, names, states, nothing
half-written, audited) and the API (upload, list, download for whoever reads the application;
another enterprise gets 404), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from huiqi.app.applications import documents
from huiqi.app.applications import service as apps
from huiqi.app.applications.documents import Document, clean_filename, sniff
from huiqi.app.audit.models import AuditEntry
from huiqi.app.auth import service as auth
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.db import transaction
from huiqi.app.errors import Conflict, NotFound, Refused
from huiqi.app.registry import service as registry
from tests.app.http import PASSWORD, add_users, client, login
from tests.app.world import AUDITOR, OFFICE, build, org_in

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 20
EXE = b"MZ\x90\x00" + b"\x00" * 60


def test_the_type_is_read_from_the_bytes_and_names_are_cleaned() -> None:
    assert sniff(PDF) == "application/pdf"
    assert sniff(JPEG) == "image/jpeg"
    assert sniff(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert sniff(EXE) is None and sniff(b"<html><script>") is None and sniff(b"") is None
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\x\\报告.pdf") == "报告.pdf"
    assert clean_filename("a\x00b\nc.pdf") == "abc.pdf"
    assert clean_filename("..") == "document" and clean_filename("") == "document"
    assert len(clean_filename("长" * 500 + ".pdf")) == 200


def _draft(factory: sessionmaker[Session]) -> tuple[Actor, int]:
    world = build(factory)
    with transaction(factory) as s:
        app = apps.start(s, actor=world.applicant, measure="m01.new", year=2024)
        return world.applicant, app.id


def _rows(factory: sessionmaker[Session]) -> int:
    with factory() as s:
        return int(s.scalar(select(func.count(Document.id))) or 0)


def test_a_document_is_stored_outside_the_database_under_a_random_name_and_audited(
        factory: sessionmaker[Session], tmp_path: Path) -> None:
    applicant, app_id = _draft(factory)
    folder = tmp_path / "files"
    with transaction(factory) as s:
        doc = documents.upload(s, actor=applicant, folder=folder, application_id=app_id,
                               label="  区域贡献  证明 ", filename="证明.pdf", data=PDF)
        doc_id, stored = doc.id, doc.stored_name
    assert [p.name for p in folder.iterdir()] == [stored]
    assert (folder / stored).read_bytes() == PDF and "证明" not in stored and len(stored) == 32
    with factory() as s:
        (got,) = documents.listing(s, actor=applicant, application_id=app_id)
        assert (got.label, got.filename, got.content_type, got.size, got.sha256, got.uploaded_by) == (
            "区域贡献 证明", "证明.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest(), "ent1")
        # the office and auditors read them (reviewers once it is submitted: the API test)
        assert documents.one(s, actor=OFFICE, application_id=app_id, document_id=doc_id).id == doc_id
        assert documents.one(s, actor=AUDITOR, application_id=app_id, document_id=doc_id).id == doc_id
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "document")).all()
        assert actions == ["document.upload"]
    with transaction(factory) as s:
        path = documents.remove(s, actor=applicant, folder=folder, application_id=app_id, document_id=doc_id)
    documents.discard(path)
    assert list(folder.iterdir()) == [] and _rows(factory) == 0
    with factory() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.entity == "document")
                            .order_by(AuditEntry.id)).all()
        assert actions == ["document.upload", "document.remove"]


@pytest.mark.parametrize(("name", "data", "label", "field"), [
    ("setup.pdf", EXE, "证明", "file"),  # an executable renamed .pdf
    ("big.pdf", PDF + b"0" * 1024, "证明", "file"),  # over the limit (1 KB here)
    ("empty.pdf", b"", "证明", "file"),
    ("a.pdf", PDF, "   ", "label"),
    ("a.pdf", PDF, "长" * 101, "label"),
])
def test_a_refused_upload_writes_nothing(factory: sessionmaker[Session], tmp_path: Path, name: str,
                                         data: bytes, label: str, field: str) -> None:
    applicant, app_id = _draft(factory)
    folder = tmp_path / "files"
    with pytest.raises(Refused) as refused, transaction(factory) as s:
        documents.upload(s, actor=applicant, folder=folder, application_id=app_id, label=label,
                         filename=name, data=data, limit=1024)
    assert refused.value.message.startswith(f"{field}:")
    assert _rows(factory) == 0
    assert not folder.exists() or list(folder.iterdir()) == []


def test_only_the_applicant_adds_and_only_while_draft_or_returned(factory: sessionmaker[Session],
                                                                  tmp_path: Path) -> None:
    applicant, app_id = _draft(factory)
    with transaction(factory) as s:
        other = registry.create_org(s, actor=OFFICE, data=org_in("91110112MA01B2002F", "别家公司"))
        stranger = Actor("ent9", Role.APPLICANT, org_id=other.id)
    with pytest.raises(NotFound), transaction(factory) as s:  # another enterprise: not found
        documents.upload(s, actor=stranger, folder=tmp_path, application_id=app_id, label="x",
                         filename="a.pdf", data=PDF)
    with pytest.raises(NotFound), factory() as s:
        documents.listing(s, actor=stranger, application_id=app_id)
    with transaction(factory) as s:
        apps.submit(s, actor=applicant, application_id=app_id, accept_commitment=True, signatory="张三")
    with pytest.raises(Conflict), transaction(factory) as s:
        documents.upload(s, actor=applicant, folder=tmp_path, application_id=app_id, label="x",
                         filename="a.pdf", data=PDF)
    assert _rows(factory) == 0


def test_the_api_uploads_lists_and_downloads_for_those_who_read_the_application(
        db_url: str, factory: sessionmaker[Session], tmp_path: Path) -> None:
    world = build(factory)
    with transaction(factory) as s:
        other = registry.create_org(s, actor=OFFICE, data=org_in("91110112MA01B2002F", "别家公司"))
        auth.new_user(s, by="test", username="ent9", password=PASSWORD, role=Role.APPLICANT,
                      display_name="ent9", org_id=other.id, must_change=False)
    add_users(factory, world.org_id)
    c = client(db_url)
    c.app.state.files = tmp_path / "files"  # type: ignore[attr-defined]
    ent1 = login(c, "ent1")
    app_id = c.post("/applications", json={"measure": "m01.new", "year": 2024}, headers=ent1).json()["id"]
    r = c.post(f"/applications/{app_id}/documents", headers=ent1, data={"label": "区域贡献证明"},
               files={"file": ("证明.PDF", PDF, "text/html")})  # the declared type is not believed
    assert r.status_code == 201, r.text
    doc = r.json()
    assert (doc["content_type"], doc["size"], doc["filename"]) == ("application/pdf", len(PDF), "证明.PDF")
    r = c.post(f"/applications/{app_id}/documents", headers=ent1, data={"label": "x"},
               files={"file": ("x.pdf", EXE, "application/pdf")})
    assert r.status_code == 422 and r.json()["field"] == "file"
    r = c.post(f"/applications/{app_id}/submit", headers=ent1,
               json={"accept_commitment": True, "signatory": "张三"})
    assert r.status_code == 200, r.text
    for user in ("econ1", "sci1", "office1", "auditor1", "ent1"):
        h = login(c, user)
        listed = c.get(f"/applications/{app_id}/documents", headers=h)
        assert listed.status_code == 200 and [d["id"] for d in listed.json()] == [doc["id"]], user
        got = c.get(doc["download"], headers=h)
        assert got.status_code == 200 and got.content == PDF
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"
    ent9 = login(c, "ent9")
    assert c.get(f"/applications/{app_id}/documents", headers=ent9).status_code == 404
    assert c.get(doc["download"], headers=ent9).status_code == 404
    assert c.get(f"/applications/{app_id}/documents", headers=login(c, "admin1")).status_code == 403
    # submitted: no more changes
    r = c.post(f"/applications/{app_id}/documents", headers=ent1, data={"label": "x"},
               files={"file": ("x.pdf", PDF, "application/pdf")})
    assert r.status_code == 409
    assert c.delete(doc["download"], headers=ent1).status_code == 409
