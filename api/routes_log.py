"""The public log endpoints: verifier key, checkpoints and proofs."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from api.deps import RuntimeDep
from api.params import QueryIndex, QuerySize, Size
from ledger.errors import NotFoundError

router = APIRouter(prefix="/v1", tags=["log"])
NOTE = "text/plain; charset=utf-8"


@router.get("/log-key", response_class=PlainTextResponse)
def log_key(runtime: RuntimeDep) -> PlainTextResponse:
    """The log's verifier key in the Go note format."""
    return PlainTextResponse(runtime.log_verifier_key + "\n", media_type=NOTE)


@router.get("/checkpoint", response_class=PlainTextResponse)
def latest_checkpoint(runtime: RuntimeDep) -> PlainTextResponse:
    """The latest signed checkpoint."""
    return PlainTextResponse(runtime.ledger.latest_checkpoint().note, media_type=NOTE)


@router.get("/checkpoints/{size}", response_class=PlainTextResponse)
def checkpoint_at(size: Size, runtime: RuntimeDep) -> PlainTextResponse:
    """The checkpoint published at exactly `size`; 404 when none was."""
    checkpoint = runtime.ledger.store.recorder.checkpoint(size)
    if checkpoint is None:
        raise NotFoundError(f"no checkpoint was published at size {size}")
    return PlainTextResponse(checkpoint.note, media_type=NOTE)


@router.get("/proofs/inclusion")
async def inclusion(runtime: RuntimeDep, index: QueryIndex, size: QuerySize) -> dict[str, object]:
    """The inclusion proof of entry `index` in the tree of `size` entries."""
    ledger = runtime.ledger

    def build() -> dict[str, object]:
        _require_size(runtime, size)
        [proof] = ledger.proofs.inclusion_proofs([index], size)
        return {
            "index": index,
            "size": size,
            "leaf_hash": ledger.entry(index).leaf_hash,
            "hashes": [h.hex() for h in proof],
        }

    return await run_in_threadpool(build)


@router.get("/proofs/consistency")
async def consistency(runtime: RuntimeDep, old: QuerySize, new: QuerySize) -> dict[str, object]:
    """The consistency proof between tree sizes `old` and `new`."""

    def build() -> dict[str, object]:
        _require_size(runtime, new)
        proof = runtime.ledger.proofs.consistency_proof(old, new)
        return {"old": old, "new": new, "hashes": [h.hex() for h in proof]}

    return await run_in_threadpool(build)


def _require_size(runtime: RuntimeDep, size: int) -> None:
    available = runtime.ledger.store.recorder.log_size()
    if size > available:
        raise NotFoundError(f"the log holds {available} entries, fewer than {size}")
