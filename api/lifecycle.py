"""Background work that runs beside the API while it serves (projections, for issue #5)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start background workers for `app.state.runtime`; stop them on shutdown."""
    yield
