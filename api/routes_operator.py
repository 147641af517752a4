"""The operator's administration endpoints: organisations, keys, revocations, redactions, tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import RuntimeDep, require
from ledger.redaction import redact
from ledger.tokens import Principal, issue_token
from verification.leaf import format_instant

router = APIRouter(prefix="/v1", tags=["operator"])
OperatorDep = Annotated[Principal, Depends(require("operator"))]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]


class OrgRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Slug
    kind: Literal["agency", "ombudsman", "inspectorate"]
    name: Annotated[str, Field(min_length=1, max_length=300)]


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    public_key: Annotated[str, Field(min_length=40, max_length=60)]
    holder: Annotated[str | None, Field(max_length=40)] = None
    valid_from: datetime | None = None


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=1000)]
    effective_at: datetime | None = None


class RedactionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    log: Annotated[str, Field(min_length=1, max_length=128)]
    index: Annotated[int, Field(ge=0, le=2**53)]
    basis: Annotated[str, Field(min_length=1, max_length=4000)]
    reason: Annotated[str, Field(max_length=4000)] = ""


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["operator", "agency", "ombudsman", "inspector"]
    org: Slug | None = None
    label: Annotated[str, Field(max_length=200)] = ""


@router.post("/orgs", status_code=201)
async def add_org(body: OrgRequest, runtime: RuntimeDep, _: OperatorDep) -> dict[str, object]:
    """Register an organisation (an `org.registered` operator entry)."""
    receipt = await run_in_threadpool(runtime.operator.add_org, body.id, body.kind, body.name)
    return {"org": body.id, "receipt": receipt.as_json()}


@router.post("/orgs/{org}/keys", status_code=201)
async def add_key(
    org: str, body: KeyRequest, runtime: RuntimeDep, _: OperatorDep
) -> dict[str, object]:
    """Register a signing key for an organisation; answers with its keyid."""
    keyid, receipt = await run_in_threadpool(
        runtime.operator.add_key, org, body.public_key, body.holder, body.valid_from
    )
    return {"keyid": keyid, "receipt": receipt.as_json()}


@router.post("/keys/{keyid}/revoke", status_code=201)
async def revoke_key(
    keyid: str, body: RevokeRequest, runtime: RuntimeDep, _: OperatorDep
) -> dict[str, object]:
    """Revoke a key from `effective_at` (default now)."""
    receipt = await run_in_threadpool(
        runtime.operator.revoke_key, keyid, body.reason, body.effective_at
    )
    return {"keyid": keyid, "receipt": receipt.as_json()}


@router.post("/redactions", status_code=201)
async def add_redaction(
    body: RedactionRequest, runtime: RuntimeDep, _: OperatorDep
) -> dict[str, object]:
    """Redact one entry's payload (UU 27/2022): an `entry.redacted` in the registry log, then
    the payload erased from the store; refused (409 `legal-hold`) while an open complaint
    cites the entry."""
    redacted = await run_in_threadpool(
        redact, runtime.logs, runtime.operator, body.log, body.index, body.basis, body.reason
    )
    return redacted.as_json()


@router.post("/tokens", status_code=201)
def create_token(body: TokenRequest, runtime: RuntimeDep, _: OperatorDep) -> JSONResponse:
    """Issue a bearer token; it is shown once and stored only as its hash."""
    registry = runtime.registry
    registry.sync()  # an organisation another process registered since
    with registry.read_lock():
        token = issue_token(
            registry.store.recorder,
            runtime.logs.registry_state,
            body.role,
            body.org,
            body.label,
            format_instant(registry.clock()),
        )
    return JSONResponse({"token": token, "role": body.role, "org": body.org}, status_code=201)
