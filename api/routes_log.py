"""The logs: the verifier key, every log with its latest checkpoint, and per log its entries,
checkpoints and proofs (DESIGN §7). Checkpoints and proofs are public, and so are the registry
log's entries; an agency log's entries are for readers of that agency."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from api.deps import RuntimeDep, get_principal, log_store
from api.params import Index, QueryIndex, QuerySize, QuerySubject, Size
from api.routes_entries import entry_json
from ledger.bootstrap import Runtime
from ledger.errors import NotFoundError
from ledger.placement import REGISTRY_LOG
from ledger.proofs import ProofReader
from ledger.records import EntryRecorded
from ledger.signing import log_origin
from ledger.store import LogStore
from ledger.subject_map import published_note, stored_proof
from ledger.tokens import Principal
from verification.leaf import format_instant

router = APIRouter(prefix="/v1", tags=["log"])
NOTE = "text/plain; charset=utf-8"


@router.get("/log-key", response_class=PlainTextResponse)
def log_key(runtime: RuntimeDep) -> PlainTextResponse:
    """The ledger's verifier key in the Go note format (it signs every log's checkpoints)."""
    return PlainTextResponse(runtime.log_verifier_key + "\n", media_type=NOTE)


def _log_json(runtime: Runtime, log_id: str) -> dict[str, object]:
    recorder = runtime.logs.stores.log(log_id).recorder
    checkpoint = recorder.checkpoint(None)
    return {
        "id": log_id,
        "origin": log_origin(runtime.settings.origin, log_id),
        "size": recorder.log_size(),
        "checkpoint": None if checkpoint is None else checkpoint.note,
    }


@router.get("/logs")
async def list_logs(runtime: RuntimeDep) -> dict[str, object]:
    """Every log, the registry log first: its id, checkpoint origin, size and latest signed
    checkpoint (null before its first entry). Read from the stores: no log is replayed."""

    def build() -> dict[str, object]:
        return {"logs": [_log_json(runtime, log_id) for log_id in runtime.logs.ids()]}

    return await run_in_threadpool(build)


@router.get("/logs/{log}/checkpoint", response_class=PlainTextResponse)
def latest_checkpoint(log: str, runtime: RuntimeDep) -> PlainTextResponse:
    """The log's latest signed checkpoint."""
    checkpoint = log_store(runtime, log).recorder.checkpoint(None)
    if checkpoint is None:
        raise NotFoundError(f"log {log} has no checkpoint yet: it holds no entry")
    return PlainTextResponse(checkpoint.note, media_type=NOTE)


@router.get("/logs/{log}/checkpoints/{size}", response_class=PlainTextResponse)
def checkpoint_at(log: str, size: Size, runtime: RuntimeDep) -> PlainTextResponse:
    """The checkpoint the log published at exactly `size`; 404 when it published none."""
    checkpoint = log_store(runtime, log).recorder.checkpoint(size)
    if checkpoint is None:
        raise NotFoundError(f"log {log} published no checkpoint at size {size}")
    return PlainTextResponse(checkpoint.note, media_type=NOTE)


@router.get("/logs/{log}/subject-maps/{size}", response_class=PlainTextResponse)
def subject_map_at(log: str, size: Size, runtime: RuntimeDep) -> PlainTextResponse:
    """The subject-map note the log published beside its checkpoint of `size`
    (docs/subject-map.md); 404 when it published none at that size."""
    note = published_note(log_store(runtime, log).recorder, size)
    return PlainTextResponse(note.note, media_type=NOTE)


def redaction_json(runtime: Runtime, log: str, index: int) -> dict[str, object] | None:
    """The registry's `entry.redacted` of an entry whose payload was erased."""
    logs = runtime.logs
    found = logs.registry_state.redaction(log, index)
    if found is None:
        logs.registry.sync()  # appended by another process since
        found = logs.registry_state.redaction(log, index)
    if found is None:
        return None
    return {
        "basis": found.basis,
        "reason": found.reason,
        "registry_index": found.entry,
        "at": format_instant(found.at),
    }


def _entry(store: LogStore, index: int) -> EntryRecorded:
    stored = store.recorder.entries(index, index + 1)
    if not stored:
        raise NotFoundError(f"log {store.log} has no entry {index}")
    return store.decode(stored[0])


async def reader_of_log(log: str, request: Request, runtime: RuntimeDep) -> Principal | None:
    """The bearer, required for every log but the registry log, whose entries are public."""
    return None if log == REGISTRY_LOG else await get_principal(request, runtime)


@router.get("/logs/{log}/entries/{index}")
async def read_entry(
    log: str,
    index: Index,
    runtime: RuntimeDep,
    principal: Annotated[Principal | None, Depends(reader_of_log)],
) -> dict[str, object]:
    """One entry: its leaf, envelope and decoded payload. The registry log's entries are
    public; an agency log's are read with a token of that agency or of oversight, and
    another agency's log answers 404 exactly as a missing one."""

    def build() -> dict[str, object]:
        found = entry_json(log, _entry(log_store(runtime, log, principal), index))
        if found.get("missing") == "redacted":
            found["redaction"] = redaction_json(runtime, log, index)
        return found

    return await run_in_threadpool(build)


@router.get("/logs/{log}/proofs/inclusion")
async def inclusion(
    log: str, runtime: RuntimeDep, index: QueryIndex, size: QuerySize
) -> dict[str, object]:
    """The inclusion proof of entry `index` in the log's tree of `size` entries."""

    def build() -> dict[str, object]:
        store = log_store(runtime, log)
        _require_size(store, size)
        [proof] = ProofReader(store.recorder).inclusion_proofs([index], size)
        return {
            "log": log,
            "index": index,
            "size": size,
            "leaf_hash": _entry(store, index).leaf_hash,
            "hashes": [h.hex() for h in proof],
        }

    return await run_in_threadpool(build)


@router.get("/logs/{log}/proofs/consistency")
async def consistency(
    log: str, runtime: RuntimeDep, old: QuerySize, new: QuerySize
) -> dict[str, object]:
    """The consistency proof between the log's tree sizes `old` and `new`."""

    def build() -> dict[str, object]:
        store = log_store(runtime, log)
        _require_size(store, new)
        proof = ProofReader(store.recorder).consistency_proof(old, new)
        return {"log": log, "old": old, "new": new, "hashes": [h.hex() for h in proof]}

    return await run_in_threadpool(build)


@router.get("/logs/{log}/proofs/subject")
async def subject_proof(
    log: str, runtime: RuntimeDep, subject: QuerySubject, size: QuerySize
) -> dict[str, object]:
    """The subject-map proof of `subject`'s head (or of its absence) at `size`, against the
    subject-map note of that size (docs/subject-map.md)."""

    def build() -> dict[str, object]:
        store = log_store(runtime, log)
        return stored_proof(store.recorder, subject, size).as_json()

    return await run_in_threadpool(build)


def _require_size(store: LogStore, size: int) -> None:
    available = store.recorder.log_size()
    if size > available:
        raise NotFoundError(f"log {store.log} holds {available} entries, fewer than {size}")
