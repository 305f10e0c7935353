"""Supporting documents of an application: upload (multipart, the applicant), list, download.

Whoever may read the application may list and download its documents; another enterprise gets 404.
A download is always an attachment with its checked type and ``nosniff``: never shown inline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from huiqi.app.api.deps import DB, Current, factory
from huiqi.app.applications import documents
from huiqi.app.auth.roles import Actor
from huiqi.app.db import transaction
from huiqi.app.errors import NotFound

router = APIRouter(tags=["applications"])


def document_json(d: documents.Document, application_id: int) -> dict[str, Any]:
    return {"id": d.id, "application": d.application_id, "label": d.label, "filename": d.filename,
            "content_type": d.content_type, "size": d.size, "sha256": d.sha256,
            "uploaded_by": d.uploaded_by, "uploaded_at": d.uploaded_at.isoformat(),
            "download": f"/applications/{application_id}/documents/{d.id}"}


def store(request: Request, *, actor: Actor, application_id: int, label: str,
          upload: UploadFile) -> dict[str, Any]:
    """Read at most the limit (plus one byte, to know it was passed), check, store and commit;
    a file whose row is not committed is removed. Shared by the API and the pages."""
    limit = documents.max_bytes()
    data = upload.file.read(limit + 1)
    folder: Path = request.app.state.files
    written: Path | None = None
    try:
        with transaction(factory(request)) as s:
            doc = documents.upload(s, actor=actor, folder=folder, application_id=application_id,
                                   label=label, filename=upload.filename or "", data=data, limit=limit)
            written = documents.path_of(folder, doc)
            out = document_json(doc, application_id)
    except BaseException:
        if written is not None:
            documents.discard(written)
        raise
    return out


def download(request: Request, doc: documents.Document) -> FileResponse:
    path = documents.path_of(request.app.state.files, doc)
    if not path.is_file():
        raise NotFound(f"document {doc.id}: its file is missing from the files folder")
    return FileResponse(path, media_type=doc.content_type, filename=doc.filename,
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


@router.post("/applications/{application_id}/documents", status_code=201,
             summary="Attach a supporting document: PDF, PNG or JPEG (applicant, draft or returned)")
def upload(request: Request, application_id: int, actor: Current,
           file: Annotated[UploadFile, File(description="the file (PDF, PNG or JPEG)")],
           label: Annotated[str, Form(max_length=200, description="what the document is")]) -> dict[str, Any]:
    return store(request, actor=actor, application_id=application_id, label=label, upload=file)


@router.get("/applications/{application_id}/documents", summary="An application's documents")
def listing(application_id: int, db: DB, actor: Current) -> list[dict[str, Any]]:
    return [document_json(d, application_id)
            for d in documents.listing(db, actor=actor, application_id=application_id)]


@router.get("/applications/{application_id}/documents/{document_id}", summary="Download a document",
            response_class=FileResponse)
def fetch(request: Request, application_id: int, document_id: int, db: DB, actor: Current) -> FileResponse:
    doc = documents.one(db, actor=actor, application_id=application_id, document_id=document_id)
    return download(request, doc)


@router.delete("/applications/{application_id}/documents/{document_id}", status_code=204,
               summary="Remove a document (applicant, draft or returned)")
def remove(request: Request, application_id: int, document_id: int, actor: Current) -> None:
    with transaction(factory(request)) as s:
        path = documents.remove(s, actor=actor, folder=request.app.state.files,
                                application_id=application_id, document_id=document_id)
    documents.discard(path)
