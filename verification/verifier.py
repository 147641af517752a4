"""Verify a `jejak-bundle/2` against the log key alone: every log, every entry, the claim.

Records stream through once, grouped by log, the registry log first (docs/bundle.md); the range
records are known beforehand (a first pass over the file finds them without decoding the other
lines), so each range is rebuilt from its leaves as they go by. Memory holds one record, the
registry's keys, each subject's chain head and the replayed state, not the bundle.
"""

from __future__ import annotations

import gc
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import BinaryIO

from domain.events import OPERATOR
from verification import pool
from verification.entries import LogEntries
from verification.errors import VerificationError
from verification.facts import Facts
from verification.failures import (
    BundleFormatError,
    CheckpointError,
    FailedCheckError,
    HeadProofError,
    MissingEntryError,
    RangeProofError,
    UnusableInputError,
)
from verification.heads import check_head
from verification.keyring import Keyring
from verification.layout import read_header, read_whole, scan_ranges, stream_records
from verification.leaf import parse_instant
from verification.logcheck import (
    Inclusion,
    RangeCheck,
    check_checkpoint,
    check_consistency,
    check_subject_map,
    read_note,
)
from verification.note import Checkpoint, key_name
from verification.outcome import LogSummary, Outcome
from verification.progress import Phases
from verification.records import EntryRecord, Header, HeadRecord, LogRecord, RangeRecord, Record
from verification.report import partial_reasons

YOUNG_OBJECTS = 50_000
"""New objects between two collections of the youngest generation during the pass (the
default, 700, runs one every few entries, each walking what a chunk's results or the replay
just made, all of which lives on)."""

NOT_REPLAYED = "the rule replay was not run (the agency logs were checked only)"


def load_trusted_notes(notes: Sequence[str], log_key: str) -> dict[str, Checkpoint]:
    """Checkpoints the inspector kept, one per log (the origin names it); else unusable input."""
    prefix = f"{key_name(log_key)}/"
    found: dict[str, Checkpoint] = {}
    for note in notes:
        try:
            checkpoint = read_note(note, log_key)
        except VerificationError as error:
            raise UnusableInputError(f"a trusted checkpoint does not verify: {error}") from None
        if not checkpoint.origin.startswith(prefix):
            raise UnusableInputError(
                f"a trusted checkpoint's origin {checkpoint.origin!r} is not {prefix}<log>"
            )
        log = checkpoint.origin.removeprefix(prefix)
        if log in found:
            raise UnusableInputError(f"two trusted checkpoints for log {log}")
        found[log] = checkpoint
    return found


class _Run:
    """The walk over the records, one log group after another."""

    def __init__(
        self,
        header: Header,
        log_key: str,
        trusted: dict[str, Checkpoint],
        ranges: Sequence[RangeRecord],
        every_subject: bool = False,
        replay: bool = True,
    ) -> None:
        self.outcome = Outcome(header)
        self.shown = _shown(header, every_subject)
        self.outcome.replay.keep = self.shown
        self.log_key = log_key
        self.trusted = trusted
        self.ranges: dict[str, list[RangeRecord]] = defaultdict(list)
        for record in ranges:
            self.ranges[record.log].append(record)
        self.keyring = Keyring()
        self.replay = replay  # False: the agency logs are checked, not replayed (a bench's)
        self.current: LogEntries | None = None
        self.stage = "entries"  # within a log: entries, then ranges, then heads
        self.checks: dict[str, list[RangeCheck]] = {}
        self.first_versions: dict[str, dict[str, tuple[int, int]]] = {}
        self.subjects: dict[str, int] = {}  # log -> subjects with entries in the bundle
        self.headed: dict[str, int] = defaultdict(int)  # log -> head records of such subjects
        self.claimed_present: set[str] = set()  # claimed subjects with entries in the bundle

    def fail(self, log: str, failures: Iterable[FailedCheckError]) -> None:
        self.outcome.failures.extend(failure.in_log(log) for failure in failures)

    def record(self, record: Record, facts: Facts | None = None) -> None:
        if isinstance(record, LogRecord):
            self._open(record)
            return
        current = self.current
        if current is None or current.log != record.log:
            raise BundleFormatError(
                f"a {type(record).__name__} of log {record.log} outside its group"
            )
        failures: list[FailedCheckError] = []
        if isinstance(record, EntryRecord):
            if self.stage != "entries":
                raise BundleFormatError(f"log {record.log}: entry {record.index} after its ranges")
            step = current.check(record, failures, facts)
            self.outcome.tally.count(record, step)
            if self.shown(record.log, step.subject):
                self.outcome.steps.append(step)
        elif isinstance(record, RangeRecord):
            if self.stage == "heads":
                raise BundleFormatError(f"log {record.log}: a range after its heads")
            self.stage = "ranges"
            current.inclusion.finish_range(record, failures)
            current.summary.ranges.append((record.start, record.end))
        elif isinstance(record, HeadRecord):
            self.stage = "heads"
            self._head(current, record, failures)
        self.fail(record.log, failures)

    def _head(
        self, current: LogEntries, record: HeadRecord, failures: list[FailedCheckError]
    ) -> None:
        summary, subject = current.summary, record.subject
        if subject in summary.heads:
            failures.append(HeadProofError(None, f"two head records of {subject}"))
            summary.proven.pop(subject, None)
            return
        summary.heads.append(subject)
        chain = current.chain_head(subject)
        if chain is not None:
            self.headed[current.log] += 1
        proven = check_head(
            record,
            summary.subject_map,
            chain,
            current.first_versions.get(subject),
            failures,
            self.outcome.partial,
        )
        if proven is not None:
            summary.proven[subject] = proven

    def _open(self, record: LogRecord) -> None:
        self._close()
        logs = self.outcome.logs
        if record.log in logs:
            raise BundleFormatError(f"log {record.log} appears in two groups")
        if not logs and record.log != OPERATOR:
            raise BundleFormatError(f"the registry log {OPERATOR!r} must come first")
        failures: list[FailedCheckError] = []
        checkpoint = check_checkpoint(record, self.log_key, failures)
        note = None if checkpoint is None else record.checkpoint
        summary = logs[record.log] = LogSummary(record.log, checkpoint, note)
        if checkpoint is not None:
            summary.subject_map = check_subject_map(record, self.log_key, checkpoint, failures)
        trusted = self.trusted.get(record.log)
        if trusted is not None:
            summary.trusted = trusted
            if checkpoint is not None:
                broken = check_consistency(record, checkpoint, trusted)
                if broken is not None:
                    failures.append(broken)
        self.fail(record.log, failures)
        registry = logs[OPERATOR].checkpoint
        inclusion = Inclusion.of(checkpoint, self.ranges.get(record.log, ()))
        self.checks[record.log] = inclusion.ranges
        self.current = LogEntries(
            summary, inclusion, self.keyring, self.outcome.replay, registry, self.replay
        )
        self.stage = "entries"

    def _close(self) -> None:
        current = self.current
        if current is None:
            return
        failures: list[FailedCheckError] = []
        current.inclusion.finish(failures)
        self.fail(current.log, failures)
        self.first_versions[current.log] = current.first_versions
        self.subjects[current.log] = current.subjects
        claim = self.outcome.header.claim
        if current.log == claim.log:
            self.claimed_present = {s for s in claim.subjects if current.chain_head(s) is not None}
        self.current = None

    def finish(self, as_of: datetime | None) -> Outcome:
        self._close()
        outcome = self.outcome
        if OPERATOR not in outcome.logs:
            raise BundleFormatError("the bundle holds no registry log")
        outcome.failures.extend(outcome.replay.failures)
        if not self.replay:
            outcome.partial.append(NOT_REPLAYED)
        _check_claim(self, outcome)
        for log in sorted(set(self.trusted) - set(outcome.logs)):
            outcome.partial.append(
                f"the trusted checkpoint of log {log}: the bundle has no such log"
            )
        outcome.partial.extend(partial_reasons(outcome))
        outcome.as_of = _as_of(outcome, as_of)
        outcome.failures.sort(
            key=lambda f: (f.log or "", -1 if f.index is None else f.index, f.reason)
        )
        return outcome


def _shown(header: Header, every_subject: bool) -> Callable[[str, str], bool]:
    """Whose steps the outcome keeps (for the report's timelines): the claimed subjects of a
    subject or complaint claim, or every agency subject when asked (memory then grows with
    the bundle; a period is otherwise summarised from counts)."""
    if every_subject:
        return lambda log, subject: log != OPERATOR
    claim = header.claim
    claimed = frozenset(claim.subjects) if claim.kind != "period" else frozenset()
    return lambda log, subject: log == claim.log and subject in claimed


def _check_claim(run: _Run, outcome: Outcome) -> None:
    claim = outcome.header.claim
    summary = outcome.logs.get(claim.log)
    if summary is None:
        outcome.failures.append(
            CheckpointError("the claimed log is not in the bundle").in_log(claim.log)
        )
        return
    if claim.kind == "period" and claim.period is not None:
        _check_period(run, summary, claim.period, outcome)
        return
    first = run.first_versions.get(claim.log, {})
    for subject in claim.subjects:
        if subject in summary.heads:
            continue  # its head record's check said what it proved, or why not
        version, index = first.get(subject, (1, -1))
        if version > 1:
            detail = f"versions 1..{version - 1} of {subject} are not in the bundle"
            outcome.failures.append(MissingEntryError(index, detail).in_log(claim.log))
        outcome.partial.append(
            f"the head of {subject} in log {claim.log} is not proven: the bundle has no head"
            " record of it"
        )
    claimed_unheaded = len(run.claimed_present - set(summary.heads))
    unproven = run.subjects.get(claim.log, 0) - run.headed[claim.log] - claimed_unheaded
    if unproven > 0:
        outcome.partial.append(
            f"log {claim.log}: the chains of {unproven} context subject(s) are not proven"
            " whole (no head record)"
        )


def _day(text: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise BundleFormatError(f"claim: {text!r} is not a date") from None


def _check_period(
    run: _Run, summary: LogSummary, period: tuple[str | None, str | None], outcome: Outcome
) -> None:
    """The range reaches the last entry before the period and the first after it (or the log's
    ends); an open end (None) claims the log from its first entry, or to its checkpoint."""
    log = summary.log
    checks = run.checks.get(log, [])
    size = summary.checkpoint.size if summary.checkpoint is not None else None
    if not checks and size != 0:
        outcome.failures.append(
            RangeProofError(None, "a period claim without a range of the log").in_log(log)
        )
        return
    start = None if period[0] is None else _day(period[0])
    end = None if period[1] is None else _day(period[1]) + timedelta(days=1)
    for check in checks:
        record, first = check.record, check.first_at
        if record.start > 0 and first is not None and (start is None or first >= start):
            detail = f"entry {record.start - 1}, the last before the period, is not in the range"
            outcome.failures.append(MissingEntryError(record.start - 1, detail).in_log(log))
        last = check.last_at
        if (
            size is not None
            and record.end < size
            and last is not None
            and (end is None or last < end)
        ):
            detail = f"entry {record.end}, the first after the period, is not in the range"
            outcome.failures.append(MissingEntryError(record.end, detail).in_log(log))


def _as_of(outcome: Outcome, given: datetime | None) -> datetime | None:
    last = outcome.tally.last_integrated
    stated = given
    if stated is None and outcome.header.as_of is not None:
        try:
            stated = parse_instant(outcome.header.as_of)
        except ValueError as error:
            raise BundleFormatError(f"as_of: {error}") from None
    if stated is None:
        return last
    return stated if last is None or stated >= last else last


def verify_records(
    header: Header,
    records: Iterable[Record],
    ranges: Sequence[RangeRecord],
    log_key: str,
    trusted: Sequence[str] = (),
    *,
    as_of: datetime | None = None,
    phases: Phases | None = None,
    total: int | None = None,
    every_subject: bool = False,
    replay: bool = True,
) -> Outcome:
    """Check every record (raising BundleFormatError on unusable input, collecting failures).

    `phases` hears of the progress, as ("checking", done, total) with `total` records;
    `replay=False` checks without replaying the agency logs (the verdict is then partial)."""
    run = _Run(header, log_key, load_trusted_notes(trusted, log_key), ranges, every_subject, replay)
    return _walk(run, ((record, None) for record in records), as_of, phases, total)


def _walk(
    run: _Run,
    items: Iterable[tuple[Record, Facts | None]],
    as_of: datetime | None,
    phases: Phases | None,
    total: int | None,
) -> Outcome:
    walked = iter(items)
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], YOUNG_OBJECTS), *thresholds[1:])
    try:
        for done, (record, facts) in enumerate(walked, start=1):
            run.record(record, facts)
            if phases is not None and total:
                phases("checking", min(done, total), total)
    finally:
        gc.set_threshold(*thresholds)
        close = getattr(walked, "close", None)  # a pool's generator stops its workers
        if close is not None:
            close()
    if phases is not None:
        phases("finishing", 0, 1)
    return run.finish(as_of)


def verify_stream(
    stream: BinaryIO,
    log_key: str,
    trusted: Sequence[str] = (),
    *,
    as_of: datetime | None = None,
    phases: Phases | None = None,
    every_subject: bool = False,
    workers: int = 1,
    replay: bool = True,
) -> Outcome:
    """Verify a seekable bundle/2 file by its line layout: a scan for ranges, then one pass.

    `every_subject` keeps every agency subject's steps for the report (see `_shown`);
    `workers` > 1 makes each entry's own checks in that many processes (verification/pool.py),
    the rest in this one, in log order: the same outcome as one process."""
    key_name(log_key)
    start = stream.tell()
    size = stream.seek(0, io.SEEK_END) - start
    stream.seek(start)
    scan = scan_ranges(stream, None if phases is None else _reading(phases, start, size))
    stream.seek(start)
    header = read_header(stream)
    run = _Run(
        header, log_key, load_trusted_notes(trusted, log_key), scan.ranges, every_subject, replay
    )
    items: Iterable[tuple[Record, Facts | None]]
    if workers > 1 and scan.records >= pool.LEAST_RECORDS:
        items = pool.pooled_records(stream, run.keyring, workers)
    else:
        items = ((record, None) for record in stream_records(stream))
    return _walk(run, items, as_of, phases, scan.records)


def _reading(phases: Phases, start: int, size: int) -> Callable[[int], None]:
    """The first pass's progress, by bytes read of the file."""
    return lambda position: phases("reading", min(size, position - start), size)


def verify_whole(
    data: bytes,
    log_key: str,
    trusted: Sequence[str] = (),
    *,
    as_of: datetime | None = None,
    every_subject: bool = False,
) -> Outcome:
    """Verify a bundle/2 read whole as one JSON document (`--whole`)."""
    key_name(log_key)
    header, records = read_whole(data)
    ranges = [r for r in records if isinstance(r, RangeRecord)]
    return verify_records(
        header, records, ranges, log_key, trusted, as_of=as_of, every_subject=every_subject
    )


def verify_bytes(
    data: bytes,
    log_key: str,
    trusted: Sequence[str] = (),
    *,
    as_of: datetime | None = None,
    every_subject: bool = False,
    workers: int = 1,
) -> Outcome:
    """`verify_stream` over bytes at hand (tests, a fetched bundle); the layout is required."""
    return verify_stream(
        io.BytesIO(data),
        log_key,
        trusted,
        as_of=as_of,
        every_subject=every_subject,
        workers=workers,
    )
