"""The read-model tables: one DDL list shared by SQLite and PostgreSQL (`{s}` is the schema).

Every row belongs to one agency log, named by its `agency` column (an agency log holds only
that agency's events), which is part of every primary key: on PostgreSQL the logs of one server
share these tables, and two agencies may use the same subject ids."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A read-model table: its name, columns (first `key` of them are the primary key)."""

    name: str
    columns: tuple[str, ...]
    key: int
    model: str

    def create(self) -> str:
        cols = ", ".join(f"{c} {_type(c)}" for c in self.columns)
        pk = ", ".join(self.columns[: self.key])
        return f"CREATE TABLE IF NOT EXISTS {{s}}{self.name} ({cols}, PRIMARY KEY ({pk}))"

    def upsert(self) -> str:
        names = ", ".join(self.columns)
        marks = ", ".join("?" for _ in self.columns)
        pk = ", ".join(self.columns[: self.key])
        rest = self.columns[self.key :]
        if not rest:
            return f"INSERT INTO {{s}}{self.name} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608
        sets = ", ".join(f"{c} = excluded.{c}" for c in rest)
        insert = f"INSERT INTO {{s}}{self.name} ({names}) VALUES ({marks})"  # noqa: S608
        return f"{insert} ON CONFLICT ({pk}) DO UPDATE SET {sets}"


def _type(column: str) -> str:
    """The column's SQL type; `{bytes}` is the backend's byte string (BLOB, BYTEA)."""
    if column in _BYTES:
        return "{bytes}"
    return "BIGINT" if column in _INTEGERS else "TEXT"


_BYTES = frozenset({"value"})
_INTEGERS = frozenset(
    {
        "format",
        "entry",
        "position",
        "log_size",
        "requested_entry",
        "decision_entry",
        "filed_entry",
        "staff",
        "on_site_count",
        "location_count",
        "time_count",
        "min_on_site",
        "quota_pct",
        "quota_allowed",
        "reported",
        "in_effect",
        "public_service",
        "policy_entry",
    }
)

REQUESTS = Table(
    "jp_requests",
    (
        "subject",
        "agency",
        "unit",
        "employee",
        "kind",
        "status",
        "approver",
        "first_day",
        "last_day",
        "dates",
        "approved_dates",
        "decided_at",
        "requested_entry",
        "decision_entry",
        "policy_version",
        "flags",
        "entries",
    ),
    2,
    "requests",
)
UNIT_DAYS = Table(
    "jp_unit_days",
    (
        "unit",
        "day",
        "agency",
        "public_service",
        "service_hours",
        "staff",
        "on_site",
        "location",
        "time",
        "on_site_count",
        "location_count",
        "time_count",
        "min_on_site",
        "quota_pct",
        "quota_allowed",
        "policy_version",
        "policy_entry",
        "entries",
    ),
    3,
    "unit_days",
)
FLAGS = Table(
    "jp_flags",
    ("entry", "rule", "detail", "agency", "subject", "unit"),
    4,
    "compliance",
)
WORK_DAYS = Table(
    "jp_work_days",
    (
        "request",
        "day",
        "agency",
        "unit",
        "employee",
        "kind",
        "in_effect",
        "deadline",
        "missing_from",
        "decision_entry",
        "attendance",
        "outputs",
        "reported",
    ),
    3,
    "work_days",
)
EVALUATIONS = Table(
    "jp_evaluations",
    (
        "subject",
        "agency",
        "unit",
        "employee",
        "period",
        "results",
        "behaviour",
        "predikat",
        "evaluator",
        "entry",
        "flags",
    ),
    2,
    "evaluations",
)
COMPLAINTS = Table(
    "jp_complaints",
    ("subject", "agency", "unit", "status", "lapse_at", "form", "filed_entry", "state", "entries"),
    2,
    "complaints",
)
# how many entries of each log each model has applied, written with the rows in one transaction
POSITIONS = Table("jp_positions", ("log", "model", "log_size"), 2, "")
# an agency log whose entry a read model could not apply: its later entries are parked (skipped)
FAILURES = Table("jp_failures", ("agency", "entry", "error"), 1, "")

# the projector's folded state at its position (projections/state_rows.py): one row per value
# of each map (the domain's and the projector's own indexes), written with the rows it led to
STATE = Table("jp_state", ("log", "map", "key", "value"), 3, "")
# per log, where that state stands (the projector's position, the fold's `Position`)
SNAPSHOTS = Table("jp_snapshots", ("log", "format", "position", "value"), 1, "")

TABLES = (REQUESTS, UNIT_DAYS, FLAGS, WORK_DAYS, EVALUATIONS, COMPLAINTS)
MODELS = tuple(t.model for t in TABLES)
INDEXES = (
    "CREATE INDEX IF NOT EXISTS jp_requests_agency ON {s}jp_requests (agency, first_day)",
    "CREATE INDEX IF NOT EXISTS jp_flags_agency ON {s}jp_flags (agency, entry)",
    "CREATE INDEX IF NOT EXISTS jp_work_days_unit ON {s}jp_work_days (unit, day)",
    "CREATE INDEX IF NOT EXISTS jp_complaints_agency ON {s}jp_complaints (agency, filed_entry)",
    "CREATE INDEX IF NOT EXISTS jp_evaluations_agency ON {s}jp_evaluations (agency, subject)",
    # the filters of a requests or evaluations page, each in its page's order
    "CREATE INDEX IF NOT EXISTS jp_requests_employee ON {s}jp_requests"
    " (agency, employee, first_day)",
    "CREATE INDEX IF NOT EXISTS jp_requests_unit ON {s}jp_requests (agency, unit, first_day)",
    "CREATE INDEX IF NOT EXISTS jp_requests_status ON {s}jp_requests (agency, status, first_day)",
    "CREATE INDEX IF NOT EXISTS jp_evaluations_period ON {s}jp_evaluations"
    " (agency, period, subject)",
    "CREATE INDEX IF NOT EXISTS jp_evaluations_unit ON {s}jp_evaluations (agency, unit, subject)",
    # a unit's flags and complaints (a complaint's report), and an agency's units (a skip scan)
    "CREATE INDEX IF NOT EXISTS jp_flags_unit ON {s}jp_flags (unit, entry)",
    "CREATE INDEX IF NOT EXISTS jp_complaints_unit ON {s}jp_complaints (unit, filed_entry)",
    "CREATE INDEX IF NOT EXISTS jp_unit_days_agency ON {s}jp_unit_days (agency, unit)",
    # the days still without an output report, in flag order (the missing-report flags); they
    # replace an index by due date, which led the planner through every day ever booked
    "DROP INDEX IF EXISTS {s}jp_work_days_due",
    "CREATE INDEX IF NOT EXISTS jp_work_days_unreported ON {s}jp_work_days"
    " (agency, decision_entry, day, request) WHERE in_effect = 1 AND reported = 0",
    "CREATE INDEX IF NOT EXISTS jp_work_days_unit_unreported ON {s}jp_work_days"
    " (unit, decision_entry, day, request) WHERE in_effect = 1 AND reported = 0",
)


def table_of(model: str) -> Table:
    for table in TABLES:
        if table.model == model:
            return table
    raise KeyError(model)
