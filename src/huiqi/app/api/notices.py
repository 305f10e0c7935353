"""站内信: the caller's notices, unread first, and marking one read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from huiqi.app.api.deps import DB, Current
from huiqi.app.notices import service as notices
from huiqi.app.notices.models import Notice

router = APIRouter(tags=["notices"])


def notice_json(n: Notice) -> dict[str, Any]:
    return {"id": n.id, "kind": n.kind, "subject_zh": n.subject_zh, "subject_en": n.subject_en,
            "body_zh": n.body_zh, "body_en": n.body_en, "link": n.link,
            "created_at": n.created_at.isoformat(),
            "read_at": n.read_at.isoformat() if n.read_at else None}


@router.get("/notices", summary="My notices (站内信), unread first")
def listing(db: DB, actor: Current, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
            offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
    return [notice_json(n) for n in notices.listing(db, actor=actor, limit=limit, offset=offset)]


@router.post("/notices/{notice_id}/read", summary="Mark one of my notices read")
def read(notice_id: int, db: DB, actor: Current) -> dict[str, Any]:
    return notice_json(notices.mark_read(db, actor=actor, notice_id=notice_id))
