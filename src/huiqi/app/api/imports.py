"""Imports into the registry: a CSV or .xlsx file of organisations or annual facts, all rows or none.

A refused file answers 422 with the row-by-row report (``errors``: row, column, message) and
writes nothing; the columns a file may have are listed in ``huiqi.app.registry.importing``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from huiqi.app.api.deps import DB, Current
from huiqi.app.api.problems import problem
from huiqi.app.auth.roles import Actor, Role
from huiqi.app.errors import Refused
from huiqi.app.registry import importing
from huiqi.app.registry.importing import ImportRefused

router = APIRouter(tags=["registry"])
REFUSED: dict[int | str, dict[str, Any]] = {
    422: {"description": "the file has problems, listed row by row in `errors`; nothing was imported"}}


def _run(request: Request, importer: importing.Importer, file: UploadFile, db: Session,
         actor: Actor) -> dict[str, int] | JSONResponse:
    actor.require(Role.OFFICE)
    most = request.app.state.config.upload_max_bytes  # the whole body was held to it already
    data = file.file.read(most + 1)
    if len(data) > most:
        raise Refused(f"file: larger than {most:,} bytes; split it")
    try:
        imported = importer(db, actor=actor, data=data, filename=file.filename or "")
    except ImportRefused as exc:
        return problem(request, exc.status, code=exc.code, message=exc.message,
                       errors=[e.as_json() for e in exc.errors])
    return {"imported": imported}


@router.post("/imports/organisations", response_model=None, responses=REFUSED,
             summary="Register organisations from a CSV or .xlsx file, all or none (office)")
def import_organisations(request: Request, file: UploadFile, db: DB,
                         actor: Current) -> dict[str, int] | JSONResponse:
    return _run(request, importing.import_organisations, file, db, actor)


@router.post("/imports/facts", response_model=None, responses=REFUSED,
             summary="Record annual facts from a CSV or .xlsx file, all or none (office)")
def import_facts(request: Request, file: UploadFile, db: DB,
                 actor: Current) -> dict[str, int] | JSONResponse:
    return _run(request, importing.import_facts, file, db, actor)
