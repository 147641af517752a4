"""The read-model queries read through indexes, never a scan of a table (SQLite's query plan of
every statement the API's queries run), and the merged compliance pages (recorded flags and
missing reports, each read one page at a time) list exactly the flags of one whole page."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from projections import queries
from projections.store import ReadRecorder, Row
from tests.projections.helpers import runner_for
from tests.support import AGENCY, HEAD, STAFF, STAFF2, UNIT, World, payload, wfa_request

LATER = datetime.now(UTC) + timedelta(days=400)  # every approved day's report deadline passed


def _approved_without_outputs(world: World, count: int) -> None:
    for n in range(count):
        who = STAFF if n % 2 == 0 else STAFF2
        world.append(
            payload("wfa.requested", f"req-{n}", who, wfa_request(who, days=2)),
            payload("wfa.approved", f"req-{n}", HEAD, {"note": "ok"}),
        )


class Recording:
    """A read recorder that keeps every statement it ran."""

    def __init__(self, reads: ReadRecorder) -> None:
        self.reads = reads
        self.statements: list[tuple[str, Sequence[object]]] = []

    def rows(self, statement: str, params: Sequence[object] = ()) -> list[Row]:
        self.statements.append((statement, params))
        return self.reads.rows(statement, params)


def _plan(reads: ReadRecorder, statement: str, params: Sequence[object]) -> list[str]:
    return [str(r["detail"]) for r in reads.rows(f"EXPLAIN QUERY PLAN {statement}", params)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's plans are read
def test_every_query_of_the_api_searches_an_index(world: World) -> None:
    _approved_without_outputs(world, 4)
    runner = runner_for(world.runtime)
    runner.catch_up()
    reads = runner.reads_of(AGENCY)
    recording = Recording(reads)
    first = queries.compliance(recording, AGENCY, LATER, limit=2)  # type: ignore[arg-type]
    queries.compliance(recording, AGENCY, LATER, 2, first.next_cursor)  # type: ignore[arg-type]
    queries.compliance(recording, AGENCY, LATER, 2, first.next_cursor, UNIT)  # type: ignore[arg-type]
    queries.requests(recording, AGENCY, LATER, limit=2)  # type: ignore[arg-type]
    queries.units_of(recording, AGENCY)  # type: ignore[arg-type]
    queries.unit_complaints(recording, UNIT, AGENCY)  # type: ignore[arg-type]
    queries.last_unit_day(recording, UNIT, AGENCY)  # type: ignore[arg-type]
    assert len(recording.statements) >= 10
    for statement, params in recording.statements:
        details = _plan(reads, statement, params)
        scans = [d for d in details if d.startswith("SCAN jp_")]
        assert not scans, (statement, details)
        if "reported = 0" in statement:
            assert any("unreported" in d for d in details), (statement, details)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("model", "name", "value"),
    [
        ("requests", "employee", STAFF2),
        ("requests", "unit", UNIT),
        ("requests", "status", "approved"),
        ("evaluations", "period", "2026-11"),
        ("evaluations", "unit", UNIT),
    ],
)
def test_a_filtered_page_walks_the_filter_s_own_index(
    world: World, model: str, name: str, value: str
) -> None:
    """A filter on an index of the agency alone would read every row it skips."""
    runner = runner_for(world.runtime)
    runner.catch_up()
    reads = runner.reads_of(AGENCY)
    recording = Recording(reads)
    arguments: dict[str, object] = {name: value, "limit": 2}
    if model == "requests":
        queries.requests(recording, AGENCY, LATER, **arguments)  # type: ignore[arg-type]
    else:
        queries.evaluations(recording, AGENCY, **arguments)  # type: ignore[arg-type]
    pages = [(st, ps) for st, ps in recording.statements if "LIMIT" in st]
    assert pages
    for statement, params in pages:
        details = _plan(reads, statement, params)
        assert any(f"jp_{model}_{name}" in d for d in details), (statement, details)


def test_compliance_pages_merge_recorded_flags_and_missing_reports(world: World) -> None:
    _approved_without_outputs(world, 5)
    runner = runner_for(world.runtime)
    runner.catch_up()
    reads = runner.reads_of(AGENCY)
    whole = queries.compliance(reads, AGENCY, LATER, limit=500).items
    assert sum(f["rule"] == "missing-output-report" for f in whole) == 10  # 5 requests x 2 days
    for limit in (1, 3, 4):
        seen, cursor = [], None
        while True:
            page = queries.compliance(reads, AGENCY, LATER, limit, cursor)
            assert len(page.items) <= limit
            seen += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
        assert seen == whole


def test_requests_carry_only_their_own_missing_reports(world: World) -> None:
    _approved_without_outputs(world, 3)
    runner = runner_for(world.runtime)
    runner.catch_up()
    page = queries.requests(runner.reads_of(AGENCY), AGENCY, LATER, limit=2)
    for item in page.items:
        missing = [f for f in item["flags"] if f["rule"] == "missing-output-report"]  # type: ignore[attr-defined]
        assert len(missing) == 2
        assert all(f"of request {item['subject']} " in f["detail"] for f in missing)


@pytest.mark.parametrize("key", [["1", "r", "d"], [1, 2, "d"], [True, "r", "d"], [1.5, "r", "d"]])
def test_a_compliance_cursor_of_other_types_is_refused(world: World, key: list[object]) -> None:
    runner = runner_for(world.runtime)
    runner.catch_up()
    cursor = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    with pytest.raises(queries.BadCursorError):
        queries.compliance(runner.reads_of(AGENCY), AGENCY, LATER, 2, cursor)


def test_the_units_of_an_agency(world: World) -> None:
    _approved_without_outputs(world, 1)
    runner = runner_for(world.runtime)
    runner.catch_up()
    assert queries.units_of(runner.reads_of(AGENCY), AGENCY) == [UNIT]
    assert queries.units_of(runner.reads_of(AGENCY), "kab-none") == []
