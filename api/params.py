"""Path and query parameter types with their bounds: no value out of range reaches a store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, BeforeValidator

from domain.fields import EARLIEST, LATEST, MAX_ID
from verification.leaf import parse_instant

MAX_INT = 2**53
"""The largest index, size or count accepted: within what JSON numbers and every store hold."""
# dates and instants in queries lie in the bounds of payloads (DESIGN §5)
_FIRST_INSTANT = datetime(EARLIEST.year, 1, 1, tzinfo=UTC)
_AFTER_LAST_INSTANT = datetime(LATEST.year + 1, 1, 1, tzinfo=UTC)


def day_in_bounds(value: date | None) -> date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValueError(f"the date must lie between {EARLIEST} and {LATEST}")
    return value


def instant_in_bounds(value: object) -> object:
    """An RFC 3339 instant with an offset, between the bounds once read in UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("an instant is an RFC 3339 string with an offset")
    at = parse_instant(value)
    # aware comparison never converts to UTC, so 9999-12-31T23:59:59-23:59 does not overflow
    if not _FIRST_INSTANT <= at < _AFTER_LAST_INSTANT:
        raise ValueError(f"the instant must lie between {EARLIEST} and {LATEST} (UTC)")
    return at.astimezone(UTC)


Index = Annotated[int, Path(ge=0, le=MAX_INT)]
"""A log index in a path."""
Size = Annotated[int, Path(ge=0, le=MAX_INT)]
"""A tree size in a path."""
QueryIndex = Annotated[int, Query(ge=0, le=MAX_INT)]
QuerySize = Annotated[int, Query(ge=1, le=MAX_INT)]
QuerySubject = Annotated[str, Query(min_length=1, max_length=MAX_ID)]
"""A subject id in a query (the bounds of ids, DESIGN §5)."""
OptionalIndex = Annotated[int | None, Query(ge=0, le=MAX_INT)]
OptionalSize = Annotated[int | None, Query(ge=1, le=MAX_INT)]
From = Annotated[date | None, Query(alias="from"), AfterValidator(day_in_bounds)]
To = Annotated[date | None, Query(alias="to"), AfterValidator(day_in_bounds)]
AsOf = Annotated[
    datetime | None,
    Query(description="an RFC 3339 instant with an offset, 2000-01-01 to 2099-12-31"),
    BeforeValidator(instant_in_bounds),
]
"""An instant to read as of; absent: now."""
RequiredAsOf = Annotated[
    datetime,
    Query(description="an RFC 3339 instant with an offset, 2000-01-01 to 2099-12-31"),
    BeforeValidator(instant_in_bounds),
]
