"""Ed25519 signature checks spread over a thread pool (OpenSSL's verify releases the GIL)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

CHUNK = 256
"""Signatures per task: large enough that queueing costs little, small enough to overlap."""


@dataclass(frozen=True)
class SignatureJob:
    """One signature to check, tagged with the entry index and keyid it belongs to."""

    index: int
    keyid: str
    public_key: bytes
    signature: bytes
    message: bytes


def _check(jobs: Sequence[SignatureJob]) -> list[bool]:
    keys: dict[bytes, Ed25519PublicKey | None] = {}
    results = []
    for job in jobs:
        if job.public_key not in keys:
            try:
                keys[job.public_key] = Ed25519PublicKey.from_public_bytes(job.public_key)
            except ValueError:
                keys[job.public_key] = None
        key = keys[job.public_key]
        try:
            if key is None or len(job.signature) != 64:
                raise InvalidSignature
            key.verify(job.signature, job.message)
        except InvalidSignature:
            results.append(False)
        else:
            results.append(True)
    return results


@dataclass
class SignaturePool:
    """Collects jobs, hands them to `workers` threads in chunks, returns the failed ones."""

    workers: int = 2
    _pending: list[SignatureJob] = field(default_factory=list)
    _submitted: list[tuple[list[SignatureJob], Future[list[bool]]]] = field(default_factory=list)
    _executor: ThreadPoolExecutor | None = None

    def __enter__(self) -> SignaturePool:
        if self.workers > 1:
            self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="jejak-verify")
        return self

    def __exit__(self, *_: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)

    @property
    def submitted(self) -> int:
        return sum(len(jobs) for jobs, _ in self._submitted)

    def add(self, job: SignatureJob) -> None:
        self._pending.append(job)
        if len(self._pending) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        jobs, self._pending = self._pending, []
        if not jobs:
            return
        future: Future[list[bool]]
        if self._executor is None:
            future = Future()
            future.set_result(_check(jobs))
        else:
            future = self._executor.submit(_check, jobs)
        self._submitted.append((jobs, future))

    def results(self) -> list[tuple[SignatureJob, bool]]:
        """Every job with its outcome, in the order added (waits for the threads)."""
        self._flush()
        return [
            (job, ok)
            for jobs, future in self._submitted
            for job, ok in zip(jobs, future.result(), strict=True)
        ]
