"""Verification bundles: `GET /v1/bundles` (to be built for issue #4)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["bundles"])
