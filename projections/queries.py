"""Reading the read models: filters, keyset pagination and the time-dependent flags.

`reads` is the read store of the agency's log (`ProjectionRunner.reads_of(agency)`); a store
may hold several agencies' logs (a PostgreSQL server), so every query of one agency's rows
filters by `agency`. `complaints` reads across stores (`ProjectionRunner.readers()`)."""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from projections.rows import utc_text
from projections.store import ReadRecorder, Row

MAX_LIMIT = 500


class BadCursorError(ValueError):
    """A pagination cursor this server did not issue."""


@dataclass(frozen=True)
class Page:
    """One page of a read model and the cursor of the next (None on the last page)."""

    items: list[dict[str, object]]
    next_cursor: str | None

    def as_json(self, applied: int) -> dict[str, object]:
        return {"items": self.items, "next_cursor": self.next_cursor, "applied": applied}


def encode_cursor(key: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, width: int) -> list[object] | None:
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise BadCursorError(f"cursor {cursor!r} is not one this server issued") from None
    if not isinstance(key, list) or len(key) != width:
        raise BadCursorError(f"cursor {cursor!r} is not one this server issued")
    return key


def _page(rows: list[Row], limit: int, key: tuple[str, ...]) -> tuple[list[Row], str | None]:
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([rows[-1][k] for k in key])


def _json(row: Row, *names: str) -> Row:
    return {k: (json.loads(v) if k in names and v is not None else v) for k, v in row.items()}


def _match(
    clauses: list[str], params: list[object], conditions: Iterable[tuple[str, object | None]]
) -> None:
    """Add `<column> <operator> ?` for each condition whose value is given (None: no filter)."""
    for condition, value in conditions:
        if value is not None:
            clauses.append(f"{condition} ?")
            params.append(value)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _after(
    cursor: list[object] | None, columns: str, clauses: list[str], params: list[object]
) -> None:
    if cursor is not None:
        marks = ", ".join("?" for _ in cursor)
        clauses.append(f"({columns}) > ({marks})")
        params.extend(cursor)


def missing_reports(
    reads: ReadRecorder,
    as_of: datetime,
    agency: str | None = None,
    *,
    requests: Sequence[str] | None = None,
    unit: str | None = None,
    after: list[object] | None = None,
    limit: int | None = None,
) -> list[Row]:
    """Flags for approved days left without an output report after the policy's deadline: of
    the given `requests`, or in flag order (entry, rule, detail) the first `limit` after the key
    `after`. Read through the indexes of unreported days (a partial index), so the rows read
    are about the flags returned, not the days ever booked."""
    clauses = ["in_effect = 1", "reported = 0", "missing_from <= ?"]
    params: list[object] = [utc_text(as_of)]
    _match(clauses, params, (("agency =", agency), ("unit =", unit)))
    if requests is not None:
        if not requests:
            return []
        clauses.append(f"request IN ({', '.join('?' for _ in requests)})")
        params.extend(requests)
    if after is None:
        found = _unreported(reads, clauses, params, limit)
    else:  # the rest of the cursor's entry (one decision's days), then the entries after it
        same = _unreported(reads, [*clauses, "decision_entry = ?"], [*params, after[0]], None)
        later = _unreported(reads, [*clauses, "decision_entry > ?"], [*params, after[0]], limit)
        found = [*(f for f in same if _flag_key(f) > after), *later]
    return sorted(found, key=_flag_key)[:limit]


def _unreported(
    reads: ReadRecorder, clauses: list[str], params: list[object], limit: int | None
) -> list[Row]:
    tail = "" if limit is None else f" LIMIT {int(limit)}"
    found = reads.rows(
        "SELECT request, day, agency, unit, deadline, decision_entry FROM {s}jp_work_days"  # noqa: S608
        f" WHERE {' AND '.join(clauses)} ORDER BY decision_entry, day, request{tail}",
        params,
    )
    return [
        {
            "entry": r["decision_entry"],
            "rule": "missing-output-report",
            "detail": f"no output reported for {r['day']} of request {r['request']} "
            f"by {r['deadline']}",
            "agency": r["agency"],
            "subject": r["request"],
            "unit": r["unit"],
        }
        for r in found
    ]


def _flag_key(flag: Row) -> list[object]:
    return [flag["entry"], flag["rule"], flag["detail"]]


def requests(
    reads: ReadRecorder,
    agency: str,
    as_of: datetime,
    *,
    status: str | None = None,
    employee: str | None = None,
    unit: str | None = None,
    start: date | None = None,
    end: date | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> Page:
    """Requests of an agency overlapping [start, end], ordered by first day and id."""
    clauses, params = ["agency = ?"], list[object]([agency])
    _match(
        clauses,
        params,
        (
            ("status =", status),
            ("employee =", employee),
            ("unit =", unit),
            ("last_day >=", _iso(start)),
            ("first_day <=", _iso(end)),
        ),
    )
    _after(decode_cursor(cursor, 2), "first_day, subject", clauses, params)
    found = reads.rows(
        f"SELECT * FROM {{s}}jp_requests WHERE {' AND '.join(clauses)}"  # noqa: S608
        f" ORDER BY first_day, subject LIMIT {limit + 1}",
        params,
    )
    found, next_cursor = _page(found, limit, ("first_day", "subject"))
    missing: dict[str, list[Row]] = defaultdict(list)
    subjects = [str(row["subject"]) for row in found]
    for flag in missing_reports(reads, as_of, agency, requests=subjects):
        missing[str(flag["subject"])].append(flag)
    items = []
    for row in found:
        item = _json(row, "dates", "approved_dates", "flags", "entries")
        extra = [{k: f[k] for k in ("rule", "entry", "detail")} for f in missing[row["subject"]]]
        flags = [*item["flags"], *extra]
        item["flags"] = sorted(flags, key=lambda f: (f["entry"], f["rule"], f["detail"]))
        items.append(item)
    return Page(items, next_cursor)


def unit_days(
    reads: ReadRecorder,
    unit: str,
    start: date | None,
    end: date | None,
    limit: int = 100,
    cursor: str | None = None,
    agency: str | None = None,
) -> Page:
    """A unit's days with flexible work, in date order (of `agency`'s log when given)."""
    clauses, params = ["unit = ?"], list[object]([unit])
    _match(clauses, params, (("day >=", _iso(start)), ("day <=", _iso(end)), ("agency =", agency)))
    _after(decode_cursor(cursor, 1), "day", clauses, params)
    found = reads.rows(
        f"SELECT * FROM {{s}}jp_unit_days WHERE {' AND '.join(clauses)}"  # noqa: S608
        f" ORDER BY day LIMIT {limit + 1}",
        params,
    )
    found, next_cursor = _page(found, limit, ("day",))
    items = []
    for row in found:
        item = _json(row, "service_hours", "on_site", "location", "time", "entries")
        item["public_service"] = bool(item["public_service"])
        item["minimum_held"] = item["on_site_count"] >= item["min_on_site"]
        allowed = item["quota_allowed"]
        item["quota_held"] = allowed is None or item["location_count"] * 100 <= (
            item["quota_pct"] * item["staff"]
        )
        items.append(item)
    return Page(items, next_cursor)


def unit_agency(reads: ReadRecorder, unit: str) -> str | None:
    """The agency owning a unit that has days in the read model."""
    found = reads.rows("SELECT agency FROM {s}jp_unit_days WHERE unit = ? LIMIT 1", [unit])
    return None if not found else str(found[0]["agency"])


def compliance(
    reads: ReadRecorder,
    agency: str | None,
    as_of: datetime,
    limit: int = 100,
    cursor: str | None = None,
    unit: str | None = None,
) -> Page:
    """Every flag (recorded, and missing reports as of `as_of`) with the entry that raised it:
    the first `limit` after the cursor of each, merged."""
    key = decode_cursor(cursor, 3)
    if key is not None and not (
        type(key[0]) is int and isinstance(key[1], str) and isinstance(key[2], str)
    ):
        raise BadCursorError(f"cursor {cursor!r} is not one this server issued")
    clauses: list[str] = []
    params: list[object] = []
    _match(clauses, params, (("agency =", agency), ("unit =", unit)))
    _after(key, "entry, rule, detail", clauses, params)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    found = reads.rows(
        f"SELECT * FROM {{s}}jp_flags{where} ORDER BY entry, rule, detail"  # noqa: S608
        f" LIMIT {limit + 1}",
        params,
    )
    extra = missing_reports(reads, as_of, agency, unit=unit, after=key, limit=limit + 1)
    merged = sorted([*found, *extra], key=_flag_key)
    page, next_cursor = _page(merged, limit, ("entry", "rule", "detail"))
    return Page([{**f, "entries": [f["entry"]]} for f in page], next_cursor)


def evaluations(
    reads: ReadRecorder,
    agency: str,
    period: str | None = None,
    unit: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[Page, dict[str, dict[str, int]]]:
    """Evaluations of an agency, and the predikat distribution per unit (over all pages)."""
    clauses, params = ["agency = ?"], list[object]([agency])
    _match(clauses, params, (("period =", period), ("unit =", unit)))
    where = " AND ".join(clauses)
    counts = reads.rows(
        f"SELECT unit, predikat, COUNT(*) AS n FROM {{s}}jp_evaluations WHERE {where}"  # noqa: S608
        " GROUP BY unit, predikat",
        list(params),
    )
    distribution: dict[str, Counter[str]] = defaultdict(Counter)
    for row in counts:
        distribution[str(row["unit"])][str(row["predikat"])] = int(row["n"])
    _after(decode_cursor(cursor, 1), "subject", clauses, params)
    found = reads.rows(
        f"SELECT * FROM {{s}}jp_evaluations WHERE {' AND '.join(clauses)}"  # noqa: S608
        f" ORDER BY subject LIMIT {limit + 1}",
        params,
    )
    found, next_cursor = _page(found, limit, ("subject",))
    page = Page([_json(r, "flags") for r in found], next_cursor)
    return page, {u: dict(sorted(c.items())) for u, c in sorted(distribution.items())}


def _agency_clause(agency: str | None) -> tuple[str, list[object]]:
    return ("", []) if agency is None else (" AND agency = ?", [agency])


def complaint(reads: ReadRecorder, subject: str, agency: str | None = None) -> Row | None:
    """A complaint's row (in `agency`'s log when given: two agencies may share an id)."""
    extra, params = _agency_clause(agency)
    found = reads.rows(
        f"SELECT * FROM {{s}}jp_complaints WHERE subject = ?{extra} ORDER BY agency",  # noqa: S608
        [subject, *params],
    )
    return _json(found[0], "state", "entries") if found else None


def unit_complaints(reads: ReadRecorder, unit: str, agency: str | None = None) -> list[Row]:
    extra, params = _agency_clause(agency)
    found = reads.rows(
        "SELECT subject, status, lapse_at, form, filed_entry, entries FROM {s}jp_complaints"  # noqa: S608
        f" WHERE unit = ?{extra} ORDER BY filed_entry",
        [unit, *params],
    )
    return [_json(r, "entries") for r in found]


def work_days_on(reads: ReadRecorder, unit: str, day: date, agency: str | None = None) -> list[Row]:
    extra, params = _agency_clause(agency)
    found = reads.rows(
        f"SELECT * FROM {{s}}jp_work_days WHERE unit = ? AND day = ?{extra}"  # noqa: S608
        " ORDER BY employee, request",
        [unit, day.isoformat(), *params],
    )
    return [_json(r, "attendance", "outputs") for r in found]


def complaints(
    reads: ReadRecorder | Sequence[ReadRecorder],
    agency: str | None,
    limit: int = 100,
    cursor: str | None = None,
) -> Page:
    """Complaints of one agency or (None) of all, by agency then filing order (an index of
    that agency's log). `reads` may be several stores (`ProjectionRunner.readers()`): each
    is read with the same page bound and the pages merged."""
    clauses: list[str] = []
    params: list[object] = []
    _match(clauses, params, (("agency =", agency),))
    _after(decode_cursor(cursor, 2), "agency, filed_entry", clauses, params)
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    statement = (
        "SELECT subject, agency, unit, status, lapse_at, form, filed_entry, entries"  # noqa: S608
        f" FROM {{s}}jp_complaints{where} ORDER BY agency, filed_entry LIMIT {limit + 1}"
    )
    stores = [reads] if not isinstance(reads, Sequence) else list(reads)
    found = sorted(
        (row for store in stores for row in store.rows(statement, params)),
        key=lambda r: (str(r["agency"]), int(r["filed_entry"])),
    )
    found, next_cursor = _page(found, limit, ("agency", "filed_entry"))
    return Page([_json(r, "entries") for r in found], next_cursor)


def units_of(reads: ReadRecorder, agency: str) -> list[str]:
    """The units of an agency that have days in the read models (every request names its
    unit's days): one index probe per unit (a skip scan), not a scan of the agency's days."""
    found = reads.rows(
        "WITH RECURSIVE units(unit) AS ("
        " SELECT MIN(unit) FROM {s}jp_unit_days WHERE agency = ?"
        " UNION ALL SELECT (SELECT MIN(d.unit) FROM {s}jp_unit_days d"
        " WHERE d.agency = ? AND d.unit > units.unit)"
        " FROM units WHERE units.unit IS NOT NULL)"
        " SELECT unit FROM units WHERE unit IS NOT NULL",
        [agency, agency],
    )
    return sorted(str(r["unit"]) for r in found)


def last_unit_day(reads: ReadRecorder, unit: str, agency: str | None = None) -> date | None:
    """The latest day of a unit in the unit-days read model."""
    extra, params = _agency_clause(agency)
    found = reads.rows(
        f"SELECT MAX(day) AS day FROM {{s}}jp_unit_days WHERE unit = ?{extra}",  # noqa: S608
        [unit, *params],
    )
    day = found[0]["day"] if found else None
    return None if day is None else date.fromisoformat(str(day))


def complaint_logs(readers: Iterable[ReadRecorder], subject: str) -> list[str]:
    """The agency logs whose read models hold a complaint `subject` (two agencies' logs may
    hold the same id), over every read store (`ProjectionRunner.readers()`)."""
    found = {
        str(r["agency"])
        for reads in readers
        for r in reads.rows("SELECT agency FROM {s}jp_complaints WHERE subject = ?", [subject])
    }
    return sorted(found)
