"""parse_instant, parse_iso_date and check_id take shortcuts for the common case (a year inside
the bounds, a date inside them, an id without a dot): they agree with the plain reading of
their rules, kept here as it was written before the shortcuts, on any input."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.fields import EARLIEST, LATEST, MAX_ID, check_day, check_id, parse_instant
from domain.fields import parse_iso_date as parse_date

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
)
_ID = re.compile(rf"[A-Za-z0-9._:/-]{{1,{MAX_ID}}}")


def reference_date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return check_day(value)
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("expected a date as YYYY-MM-DD")
    return check_day(date.fromisoformat(value))


def reference_instant(value: object) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        moment = value
    elif isinstance(value, str) and _INSTANT.fullmatch(value):
        if not EARLIEST.year <= int(value[:4]) <= LATEST.year:
            raise ValueError(
                f"{value[:10]} is outside {EARLIEST.isoformat()}..{LATEST.isoformat()}"
            )
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    else:
        raise ValueError("expected an RFC 3339 instant with an offset")
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError("expected an RFC 3339 instant with an offset")
    check_day(moment.date())
    check_day((moment.replace(tzinfo=None) - offset).date())
    return moment


def reference_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(f"expected an id of 1 to {MAX_ID} characters of A-Z a-z 0-9 . _ : / -")
    if {".", ".."}.intersection(value.split("/")):
        raise ValueError("an id has no '.' or '..' path segment")
    return value


def result(parse: object, value: object) -> tuple[object, ...]:
    try:
        parsed = parse(value)  # type: ignore[operator]
    except ValueError as exc:
        return ("refused", str(exc))
    return ("parsed", type(parsed), repr(parsed))


_YEARS = st.sampled_from(["0000", "0001", "1999", "2000", "2001", "2050", "2098", "2099", "2100"])
_OFFSETS = st.sampled_from(
    ["Z", "z", "+00:00", "-00:00", "+07:00", "-05:00", "+23:59", "-23:59", "+05:99", "+24:00", ""]
)
_INSTANTS = st.builds(
    lambda year, month, day, sep, hms, frac, offset: (
        f"{year}-{month:02d}-{day:02d}{sep}{hms}{frac}{offset}"
    ),
    _YEARS,
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["T", "t", " ", "x"]),
    st.sampled_from(["00:00:00", "23:59:59", "12:30:00", "24:00:00", "23:60:00"]),
    st.sampled_from(["", ".5", ".123456", ".1234567"]),
    _OFFSETS,
)
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=7)), timezone(timedelta(hours=-23))])
_MOMENTS = st.one_of(
    st.datetimes(timezones=_ZONES),
    st.datetimes(),
    st.dates(),
    st.none(),
    st.integers(),
)


@settings(max_examples=1000, deadline=None)
@given(value=st.one_of(_INSTANTS, _MOMENTS, st.text(max_size=40)))
@example("2099-12-31T23:00:00-05:00")
@example("2000-01-01T03:00:00+07:00")
@example("2098-12-31T23:00:00-05:00")
@example("2001-01-01T03:00:00+07:00")
@example("2026-02-30T00:00:00Z")
def test_parse_instant_as_before(value: object) -> None:
    assert result(parse_instant, value) == result(reference_instant, value)


@settings(max_examples=1000, deadline=None)
@given(
    value=st.one_of(
        st.builds(
            lambda year, month, day: f"{year}-{month:02d}-{day:02d}",
            _YEARS,
            st.integers(0, 13),
            st.integers(0, 32),
        ),
        _MOMENTS,
        st.text(max_size=12),
    )
)
def test_parse_iso_date_as_before(value: object) -> None:
    assert result(parse_date, value) == result(reference_date, value)


@settings(max_examples=1000, deadline=None)
@given(value=st.text(alphabet="ab./:-_\u00e9", max_size=12))
@example(".")
@example("a/../b")
@example("a/.b")
def test_check_id_as_before(value: str) -> None:
    assert result(check_id, value) == result(reference_id, value)


@pytest.mark.parametrize(
    "instant", ["2026-12-01T08:00:00+07:00", "2001-01-01T00:30:00+01:00", "2098-12-31T23:59:59Z"]
)
def test_instants_inside_the_bounds_keep_their_offset(instant: str) -> None:
    moment = parse_instant(instant)
    assert moment == datetime.fromisoformat(instant)
    assert moment.utcoffset() == datetime.fromisoformat(instant).utcoffset()
