"""Verification bundles: `GET /v1/bundles`, streamed as the entries are read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import RuntimeDep, require
from api.params import From, OptionalSize, To
from ledger.export import BundleQuery, plan_export, stream_bundle
from ledger.tokens import Principal

router = APIRouter(prefix="/v1", tags=["bundles"])
Reader = Annotated[Principal, Depends(require("inspector", "ombudsman", "agency"))]


@router.get("/bundles")
async def bundle(
    runtime: RuntimeDep,
    principal: Reader,
    subject: str | None = None,
    agency: str | None = None,
    start: From = None,
    end: To = None,
    complaint: str | None = None,
    consistency_from: OptionalSize = None,
) -> StreamingResponse:
    """A jejak-bundle/1 for a subject, an agency and period, or a complaint."""
    query = BundleQuery(subject, agency, start, end, complaint, consistency_from)
    query.check()  # BundleQueryError: 400 problem details
    ledger = runtime.ledger
    plan = await run_in_threadpool(plan_export, ledger, query, principal)
    return StreamingResponse(
        stream_bundle(ledger, plan),
        media_type="application/json",
        headers={"X-Jejak-Entries": str(len(plan.indexes))},
    )
