"""Loading the demo data set into new logs through the append path, on a simulated clock:
the organisations and keys into the registry log, each agency's events into its own log."""

from __future__ import annotations

import json
import os
import textwrap
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import groupby
from pathlib import Path

from api.demo.cast import AGENCIES, INSPECTORATE, KEYS, OMBUDSMAN, ORGS, PEOPLE, signer_for
from api.demo.plan import WIB, Period, Planned, at
from api.demo.story import build_plan, complaint_id, minor_complaint_id
from ledger.bootstrap import Runtime, open_runtime
from ledger.errors import LedgerError
from ledger.ledger import Progress, Receipt
from ledger.logs import log_of
from ledger.permissions import check_may_write
from ledger.settings import Settings
from ledger.tokens import Principal, issue_token
from verification.leaf import format_instant

__all__ = [
    "TOKENS_FILE",
    "DemoClock",
    "DemoNeedsNewLogError",
    "demo_loaded",
    "demo_period",
    "demo_tokens",
    "open_demo_runtime",
    "run_demo",
]

TOKENS_FILE = "demo-tokens.json"
SLOT = timedelta(minutes=30)  # events due in one half hour are appended as one batch
LAG = timedelta(minutes=3)  # integration follows the batch's last event by a few minutes


class DemoNeedsNewLogError(LedgerError):
    """The demo loads only into a new log: its entries are integrated on a past timeline."""

    rule = "demo-needs-new-log"


class DemoClock:
    """The ledger's clock: a settable simulated time while the demo loads, real UTC afterwards."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._simulated: datetime | None = start

    def __call__(self) -> datetime:
        return self._simulated if self._simulated is not None else datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        if self._simulated is None:
            raise RuntimeError("the demo clock already runs in real time")
        self._simulated = max(self._simulated, moment)

    def release(self) -> None:
        """Switch to real time for good."""
        self._simulated = None


def demo_period(now: datetime | None = None) -> Period:
    """The last three full ISO weeks before the current one (in WIB)."""
    today = (now or datetime.now(UTC)).astimezone(WIB).date()
    return Period.ending_before(today)


def open_demo_runtime(
    settings: Settings,
    progress: Progress | None = None,
    loading: Progress | None = None,
    now: datetime | None = None,
) -> tuple[Runtime, str | None]:
    """Open the ledger; on a new log load the demo and return its summary, else return None.

    `progress` follows the replay of an existing log, `loading` the demo's events appended.
    The returned runtime's clock reads real time in both cases.
    """
    period = demo_period(now)
    clock = DemoClock(at(period.setup, "08:00"))
    runtime = open_runtime(settings, clock=clock, progress=progress)
    try:
        if not _new_log(runtime, clock):
            clock.release()
            return runtime, None
        summary = _load(runtime, clock, period, loading)
    except BaseException:
        clock.release()
        runtime.close()
        raise
    clock.release()
    return runtime, summary


def run_demo(
    settings: Settings, progress: Progress | None = None, loading: Progress | None = None
) -> str:
    """`jejak demo`: load the demo into a new log, or say it is there; refuse any other log."""
    runtime, summary = open_demo_runtime(settings, progress, loading)
    try:
        if summary is not None:
            return summary
        size = sum(runtime.logs.log(log).size for log in runtime.logs.ids())
        if demo_loaded(runtime):
            return f"The demo is already loaded ({size} entries); nothing was added."
        raise DemoNeedsNewLogError(
            f"this log is not new ({size} entries); the demo loads only into a new log "
            "(point JEJAK_DATA_DIR at an empty directory)"
        )
    finally:
        runtime.close()


def demo_loaded(runtime: Runtime) -> bool:
    """Whether the logs hold the demo's organisations (registry) and people (agency logs)."""
    logs = runtime.logs
    logs.registry.sync()
    if not all(logs.registry_state.org(org) is not None for org, _, _ in ORGS):
        return False
    return all(logs.log(who.agency).agency_state.employee(who.nip) is not None for who in PEOPLE)


def demo_tokens(settings: Settings) -> dict[str, str]:
    """The tokens saved when the demo was loaded ({} when there are none)."""
    path = settings.data_dir / TOKENS_FILE
    if not path.exists():
        return {}
    loaded = json.loads(path.read_text())
    if not isinstance(loaded, dict):
        return {}
    return {str(label): str(token) for label, token in loaded.items()}


def _new_log(runtime: Runtime, clock: DemoClock) -> bool:
    """Only the registry log's genesis entry, written just now at the simulated start."""
    registry = runtime.registry
    if registry.size != 1:
        return False
    return str(registry.entry(0).leaf["integrated_at"]) == format_instant(clock.start)


def _load(runtime: Runtime, clock: DemoClock, period: Period, loading: Progress | None) -> str:
    operator = runtime.operator
    for n, (org, kind, name) in enumerate(ORGS):
        clock.set(at(period.setup, "08:05", n))
        operator.add_org(org, kind, name)
    for n, spec in enumerate(KEYS):
        clock.set(at(period.setup, "08:10", n))
        operator.add_key(spec.org, signer_for(spec.label).public_key_b64, spec.holder)
    plan = build_plan(period)
    _append_plan(runtime, clock, plan, loading)
    clock.release()
    path = _save_tokens(runtime)
    return _summary(runtime, period, plan, path)


def _batches(plan: Sequence[Planned]) -> Iterator[list[Planned]]:
    """Planned events in the order they reach the ledger, grouped by half hour."""
    ordered = sorted(plan, key=lambda e: (e.due, e.occurred_at))
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    for _, batch in groupby(ordered, key=lambda e: (e.due - epoch) // SLOT):
        yield list(batch)


def _by_log(batch: Sequence[Planned]) -> list[list[Planned]]:
    """A half hour's events split by the log each goes to (a batch commits within one log),
    in order within each log."""
    logs: dict[str, list[Planned]] = {}
    for event in batch:
        logs.setdefault(log_of(event.type, event.agency), []).append(event)
    return list(logs.values())


def _append_plan(
    runtime: Runtime, clock: DemoClock, plan: Sequence[Planned], loading: Progress | None
) -> None:
    """Sign and append every planned event, batch by batch and log by log, as an agency
    integration would; a tag names the (log, index) its event landed at."""
    logs, signers = runtime.logs, {spec.label: signer_for(spec.label) for spec in KEYS}
    landed: dict[str, tuple[str, int]] = {}
    done = 0
    for batch in _batches(plan):
        clock.set(max(e.due for e in batch) + LAG)
        for group in _by_log(batch):
            submissions = []
            for event in group:
                submission = logs.prepare(signers[event.signer].sign(event.payload(landed)))
                org = OMBUDSMAN if event.writer == "ombudsman" else event.agency
                check_may_write(Principal(event.writer, org), submission.event)
                submissions.append(submission)
            receipts: list[Receipt] = logs.append(submissions)
            for event, receipt in zip(group, receipts, strict=True):
                if event.tag is not None:
                    landed[event.tag] = (receipt.log, receipt.index)
        done += len(batch)
        if loading is not None:
            loading(done, len(plan))


def _save_tokens(runtime: Runtime) -> Path:
    """Issue the demo's tokens and save them, readable by the owner only."""
    logs = runtime.logs
    now = format_instant(logs.clock())
    wanted = [
        ("operator", "operator", None),
        ("inspector", "inspector", INSPECTORATE),
        ("ombudsman", "ombudsman", OMBUDSMAN),
        *((f"agency {agency}", "agency", agency) for agency in AGENCIES),
    ]
    tokens = {
        label: issue_token(
            runtime.registry.store.recorder, logs.registry_state, role, org, f"demo {label}", now
        )
        for label, role, org in wanted
    }
    path = runtime.settings.data_dir / TOKENS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(tokens, handle, indent=2)
        handle.write("\n")
    return path


def _summary(runtime: Runtime, period: Period, plan: Sequence[Planned], tokens: Path) -> str:
    """A few lines on what was loaded, with the flags as of now by rule."""
    logs, now = runtime.logs, datetime.now(UTC)
    states = {agency: logs.log(agency).agency_state for agency in AGENCIES}
    flags = Counter(f.rule for agency in AGENCIES for f in logs.log(agency).compliance_flags(now))
    by_rule = ", ".join(f"{rule} {count}" for rule, count in sorted(flags.items()))
    statuses: Counter[str] = Counter()
    requested = {(e.agency, e.subject): None for e in plan if e.type == "wfa.requested"}
    for agency, subject in requested:
        request = states[agency].request(subject)
        statuses[request.status if request else "missing"] += 1
    sizes = {log: logs.log(log).size for log in logs.ids()}
    per_log = ", ".join(f"{log} {size}" for log, size in sizes.items())
    outcome = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    evaluations = sum(1 for e in plan if e.type == "evaluation.recorded")
    return "\n".join(
        [
            f"Loaded the Jejak demo: {sum(sizes.values())} entries, "
            f"{period.start.isoformat()} to {period.end.isoformat()} (WIB).",
            f"  logs           {per_log}",
            f"  organisations  {', '.join(org for org, _, _ in ORGS)}",
            f"  employees      {len(PEOPLE)} in 4 units; {evaluations} evaluations",
            f"  requests       {statuses.total()}: {outcome}",
            f"  complaints     {complaint_id(period)}, {minor_complaint_id(period)}",
            textwrap.fill(
                f"{flags.total()}: {by_rule}",
                width=96,
                break_on_hyphens=False,
                initial_indent="  flags          ",
                subsequent_indent=" " * 17,
            ),
            f"  tokens         {tokens} (mode 0600)",
        ]
    )
