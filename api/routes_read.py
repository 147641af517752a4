"""Read models and subject history over HTTP (to be built for issue #5)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["read models"])
