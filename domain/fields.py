"""Validated field types shared by the event data models, and the input bounds they keep."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

# The input bounds of DESIGN §5 (docs/input-bounds.md): every payload keeps them.
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)
MAX_TEXT = 4_000
MAX_STRING = MAX_TEXT
MAX_LIST = 1_000
MAX_ID = 128
MAX_NUMBER = 2**53
MAX_REQUEST_DATES = 31
MAX_TARGETS = 20
MAX_OUTPUTS = 50

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_SLUG = re.compile(r"[a-z0-9-]{1,64}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ID = re.compile(rf"[A-Za-z0-9._:/-]{{1,{MAX_ID}}}")
_NIP = re.compile(r"[0-9]{18}")
_DOT_SEGMENTS = frozenset({".", ".."})
_CONTROL = re.compile(r"[\x00-\x1f]")


def check_day(day: date) -> date:
    """The date lies within the ledger's years, EARLIEST to LATEST."""
    if not EARLIEST <= day <= LATEST:
        raise ValueError(
            f"{day.isoformat()} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}"
        )
    return day


def parse_iso_date(value: object) -> date:
    """An ISO `YYYY-MM-DD` string within bounds as a date; anything else is a ValueError."""
    if isinstance(value, str):
        if not _DATE.fullmatch(value):
            raise ValueError("expected a date as YYYY-MM-DD")
        day = date.fromisoformat(value)
        return day if EARLIEST <= day <= LATEST else check_day(day)
    if isinstance(value, date) and not isinstance(value, datetime):
        return check_day(value)
    raise ValueError("expected a date as YYYY-MM-DD")


def parse_instant(value: object) -> datetime:
    """An RFC 3339 instant with an offset, its wall date and its UTC date within bounds,
    as an aware datetime; anything else is a ValueError (never an OverflowError)."""
    if isinstance(value, str) and _INSTANT.fullmatch(value):
        year = int(value[:4])
        if not EARLIEST.year <= year <= LATEST.year:
            raise ValueError(
                f"{value[:10]} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}"
            )
        moment = datetime.fromisoformat(value.replace("z", "Z"))
        if EARLIEST.year < year < LATEST.year:
            return moment  # its UTC date is within a day of its wall date, so of that year
    elif isinstance(value, datetime) and value.tzinfo is not None:
        moment = value
    else:
        raise ValueError("expected an RFC 3339 instant with an offset")
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("expected an RFC 3339 instant with an offset")
    check_day(moment.date())
    check_day((moment.replace(tzinfo=None) - offset).date())
    return moment


def check_id(value: str) -> str:
    """An id: 1 to MAX_ID characters of `[A-Za-z0-9._:/-]`, no `.` or `..` path segment."""
    if not _ID.fullmatch(value):
        raise ValueError(f"expected an id of 1 to {MAX_ID} characters of A-Z a-z 0-9 . _ : / -")
    if "." in value and _DOT_SEGMENTS.intersection(value.split("/")):
        raise ValueError("an id has no '.' or '..' path segment")
    return value


def check_label(value: str) -> str:
    """A label (a position, a version): 1 to MAX_ID characters on one line."""
    if not 1 <= len(value) <= MAX_ID:
        raise ValueError(f"expected a label of 1 to {MAX_ID} characters")
    if _CONTROL.search(value):
        raise ValueError("a label holds no control character (no tab or newline)")
    return value


def check_nip(value: str) -> str:
    """A NIP: exactly 18 ASCII digits."""
    if not _NIP.fullmatch(value):
        raise ValueError("expected a NIP of exactly 18 ASCII digits")
    return value


def _check_hhmm(value: str) -> str:
    if not _HHMM.fullmatch(value):
        raise ValueError("expected a time as HH:MM")
    return value


def check_slug(value: str) -> str:
    """An organisation id: 1 to 64 characters of a-z, 0-9 and '-'."""
    if not _SLUG.fullmatch(value):
        raise ValueError("expected a slug of a-z, 0-9 and '-'")
    return value


def _check_hex64(value: str) -> str:
    if not _HEX64.fullmatch(value):
        raise ValueError("expected 64 lowercase hex digits")
    return value


IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
Instant = Annotated[datetime, BeforeValidator(parse_instant)]
HHMM = Annotated[str, AfterValidator(_check_hhmm)]
Slug = Annotated[str, AfterValidator(check_slug)]
Sha256Hex = Annotated[str, AfterValidator(_check_hex64)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]
Id = Annotated[str, AfterValidator(check_id)]
Nip = Annotated[str, AfterValidator(check_nip)]
Label = Annotated[str, AfterValidator(check_label)]
PublicKey = Annotated[str, Field(min_length=1, max_length=64)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


class Data(BaseModel):
    """Base of every event's `data` model: strict types, extra fields kept, immutable."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class Hours(Data):
    """A daily window of `start`–`end` local times."""

    start: HHMM
    end: HHMM
