"""Validated field types shared by the event data models (dates, instants, times, slugs)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_SLUG = re.compile(r"[a-z0-9-]{1,64}")
_HEX64 = re.compile(r"[0-9a-f]{64}")

MAX_STRING = 10_000
MAX_LIST = 1_000


def parse_iso_date(value: object) -> date:
    """An ISO `YYYY-MM-DD` string as a date; anything else is a ValueError."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return date.fromisoformat(value)


def parse_instant(value: object) -> datetime:
    """An RFC 3339 instant with an offset as an aware datetime; anything else is a ValueError."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        raise ValueError("expected an RFC 3339 instant with an offset")
    return datetime.fromisoformat(value.replace("z", "Z"))


def _check_hhmm(value: str) -> str:
    if not _HHMM.fullmatch(value):
        raise ValueError("expected a time as HH:MM")
    return value


def _check_slug(value: str) -> str:
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
Slug = Annotated[str, AfterValidator(_check_slug)]
Sha256Hex = Annotated[str, AfterValidator(_check_hex64)]
Text = Annotated[str, Field(max_length=MAX_STRING)]
Id = Annotated[str, Field(min_length=1, max_length=256)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


class Data(BaseModel):
    """Base of every event's `data` model: strict types, extra fields kept, immutable."""

    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class Hours(Data):
    """A daily window of `start`–`end` local times."""

    start: HHMM
    end: HHMM
