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
    log: str | None = None,
    subject: str | None = None,
    agency: str | None = None,
    start: From = None,
    end: To = None,
    complaint: str | None = None,
    consistency_from: OptionalSize = None,
) -> StreamingResponse:
    """A jejak-bundle/2 for a subject of a log (`log` and `subject`), an agency's log over a
    period (`agency`, `from`, `to`), or a complaint; `consistency_from` adds a consistency
    proof of the agency log from that size."""
    query = BundleQuery(subject, agency, start, end, complaint, consistency_from, log)
    query.check()  # BundleQueryError: 400 problem details
    logs = runtime.logs
    plan = await run_in_threadpool(plan_export, logs, query, principal)
    return StreamingResponse(
        stream_bundle(logs, plan),
        media_type="application/json",
        headers={
            "X-Jejak-Log": plan.log,
            "X-Jejak-Entries": str(sum(len(part.indexes) for part in plan.parts)),
        },
    )
