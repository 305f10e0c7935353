"""Routes of the requests domain."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["requests"])
