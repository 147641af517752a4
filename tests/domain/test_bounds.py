"""The input bounds of DESIGN §5: every out-of-bounds payload is refused, naming its field."""

from __future__ import annotations

import re
from datetime import UTC, date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import PayloadInvalid, SubjectInOtherNamespace
from domain.event_data import PolicyEnacted, WfaRequested
from domain.events import parse_payload
from tests.domain.builders import (
    AGENCY,
    HEAD,
    OTHER,
    STAFF,
    WIB,
    employee_data,
    key_data,
    keyid,
    payload,
    policy_data,
    request_data,
    world,
)

UNIT_DATA = {
    "name": "Umum",
    "public_service": False,
    "service_hours": {"start": "08:00", "end": "16:00"},
    "min_on_site": 0,
}


def request(**data: object) -> bytes:
    return payload("wfa.requested", "req-1", {**request_data(), **data}, actor=STAFF)


def refused(body: bytes, field: str) -> PayloadInvalid:
    """parse_payload refuses the body with a detail that starts by naming the field."""
    with pytest.raises(PayloadInvalid, match="^" + re.escape(field) + r"\b") as caught:
        parse_payload(body)
    return caught.value


def days(count: int) -> list[str]:
    return [(date(2026, 12, 7) + timedelta(days=i)).isoformat() for i in range(count)]


# -- dates and instants ----------------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31", "2100-01-01", "0001-01-01"])
def test_refuses_request_date_outside_2000_to_2099(day: str) -> None:
    error = refused(request(dates=[day]), "data.dates.0")
    assert "outside 2000-01-01..2099-12-31" in str(error)


@pytest.mark.parametrize("day", ["2000-01-01", "2099-12-31"])
def test_accepts_request_dates_at_the_bounds(day: str) -> None:
    event = parse_payload(request(dates=[day]))
    assert isinstance(event.data, WfaRequested)
    assert event.data.dates == [date.fromisoformat(day)]


def test_refuses_approval_dated_9999_and_records_nothing() -> None:
    w = world()
    w.request()
    size = w.state.size
    with pytest.raises(PayloadInvalid, match=r"^data\.dates\.0: .*outside 2000-01-01"):
        w.approve(dates=["9999-12-31"])
    assert w.state.size == size
    request_state = w.state.request("req-1")
    assert request_state is not None
    assert request_state.status == "requested"


@pytest.mark.parametrize(
    "instant",
    [
        "9999-12-31T23:59:59-23:59",
        "0001-01-01T00:00:00Z",
        "1999-12-31T23:59:59+07:00",
        "2100-01-01T00:00:00Z",
        "2099-12-31T23:00:00-05:00",  # 2100-01-01 in UTC
        "2000-01-01T03:00:00+07:00",  # 1999-12-31 in UTC
    ],
)
def test_refuses_occurred_at_outside_2000_to_2099_without_overflow(instant: str) -> None:
    with pytest.raises(PayloadInvalid, match=r"^occurred_at .*outside 2000-01-01\.\.2099-12-31"):
        parse_payload(payload("wfa.requested", "req-1", request_data(), occurred_at=instant))


@pytest.mark.parametrize("instant", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00Z"])
def test_refuses_instants_in_data_outside_the_bounds(instant: str) -> None:
    key = key_data("kab-c", "kab-c", valid_from=instant)
    body = payload("key.registered", f"key:{keyid('kab-c')}", key, agency="operator")
    refused(body, "data.valid_from")


def test_refuses_offset_minutes_beyond_59() -> None:
    body = payload(
        "wfa.requested", "req-1", request_data(), occurred_at="2026-12-01T08:00:00+05:99"
    )
    with pytest.raises(PayloadInvalid, match=r"^occurred_at "):
        parse_payload(body)


_INSTANTS = st.from_regex(
    r"[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9](Z|[+-][0-2][0-9]:[0-9]{2})",
    fullmatch=True,
)


@settings(max_examples=300, deadline=None)
@given(instant=_INSTANTS, day=st.from_regex(r"[0-9]{4}-[01][0-9]-[0-3][0-9]", fullmatch=True))
def test_any_accepted_instant_or_date_converts_without_overflow(instant: str, day: str) -> None:
    """Whatever parse_payload accepts, a reader can convert to UTC, to WIB and add a week."""
    body = payload(
        "wfa.requested", "req-1", request_data(dates=(day,)), actor=STAFF, occurred_at=instant
    )
    try:
        event = parse_payload(body)
    except PayloadInvalid:
        return
    assert isinstance(event.data, WfaRequested)
    for moment in (event.occurred_at.astimezone(UTC), event.occurred_at.astimezone(WIB)):
        assert date(1999, 12, 31) <= moment.date() <= date(2100, 1, 1)
    assert event.data.dates[0] + timedelta(days=7) > event.data.dates[0]


def test_accepts_instants_at_the_bounds() -> None:
    for instant in ("2000-01-01T00:00:00Z", "2099-12-31T23:59:59.999999+00:00"):
        event = parse_payload(
            payload("wfa.requested", "req-1", request_data(), occurred_at=instant)
        )
        assert event.occurred_at.isoformat().startswith(instant[:19])


# -- control characters ----------------------------------------------------------------------


def test_refuses_nul_in_policy_version() -> None:
    body = payload("policy.enacted", f"policy:{AGENCY}", policy_data(version="v1\x00"))
    error = refused(body, "data.version")
    assert "U+0000" in str(error)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\r", "\x1f"])
def test_refuses_c0_control_characters_in_free_text(char: str) -> None:
    refused(request(reason=f"fokus{char}laporan"), "data.reason")


def test_refuses_control_characters_in_extra_fields_and_their_keys() -> None:
    refused(request(e_kinerja_ref="EK\x007"), "data.e_kinerja_ref")
    refused(request(**{"ref\n": "EK-7"}), "a key of data")


def test_accepts_tab_and_newline_in_free_text() -> None:
    event = parse_payload(request(reason="baris satu\nbaris dua\tkolom"))
    assert isinstance(event.data, WfaRequested)
    assert event.data.reason == "baris satu\nbaris dua\tkolom"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (request(targets=[{"id": "t\t1", "description": "draf"}]), "data.targets.0.id"),
        (payload("employee.enrolled", STAFF, employee_data(position="analis\n")), "data.position"),
        (payload("wfa.requested", "req-1", request_data(), actor=STAFF + "\n"), "actor"),
        (payload("policy.enacted", f"policy:{AGENCY}", policy_data(version="1\t")), "data.version"),
    ],
)
def test_refuses_tab_and_newline_outside_free_text(body: bytes, field: str) -> None:
    refused(body, field)


# -- ids and NIPs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        ".",
        "..",
        "../../etc/passwd",
        "kab-a/./umum",
        "kab-a/..",
        "x" * 129,
        "caf\u00e9",
        "cafe\u0301",
    ],
)
def test_refuses_subject_outside_the_id_bounds(subject: str) -> None:
    refused(payload("unit.registered", subject, UNIT_DATA), "subject")


def test_accepts_subject_of_every_allowed_character() -> None:
    subject = "kab-a/Unit_1.2:loket" + "x" * (128 - 20)
    event = parse_payload(payload("unit.registered", subject, UNIT_DATA))
    assert event.subject == subject


@pytest.mark.parametrize(
    "nip",
    [
        "\uff11\uff19\uff18\uff10" + "01012005011001",  # fullwidth digits
        "19800101200501100",  # 17 digits
        "1980010120050110011",  # 19 digits
        "19800101-005011001",
    ],
)
def test_refuses_employee_subject_that_is_not_an_ascii_nip(nip: str) -> None:
    refused(payload("employee.enrolled", nip, employee_data()), "subject")


def test_refuses_fullwidth_nip_in_data_fields() -> None:
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in HEAD)
    body = payload("employee.enrolled", STAFF, employee_data(supervisor=fullwidth))
    refused(body, "data.supervisor")
    refused(request(employee=fullwidth), "data.employee")


def test_fullwidth_nip_enrols_no_look_alike_employee() -> None:
    w = world()
    size = w.state.size
    fullwidth = "".join(chr(0xFF10 + int(d)) for d in STAFF)
    with pytest.raises(PayloadInvalid, match=r"^subject: "):
        w.add("employee.enrolled", fullwidth, employee_data())
    assert w.state.size == size
    assert w.state.employee(fullwidth) is None


# -- subject namespaces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        f"key:{keyid('future-key')}",
        "redaction:kab-a:3",
        OTHER,
        f"{OTHER}/umum",
        f"policy:{OTHER}",
        "policy:kab-future",
        "operator",
        "operator/umum",
        AGENCY,
    ],
)
def test_refuses_unit_in_the_registry_or_another_organisations_namespace(subject: str) -> None:
    w = world()
    size = w.state.size
    with pytest.raises(SubjectInOtherNamespace, match=f"^subject '{re.escape(subject)}' is "):
        w.add("unit.registered", subject, UNIT_DATA)
    assert w.state.size == size
    assert w.state.unit(subject) is None


def test_registry_can_still_register_the_key_an_agency_tried_to_squat() -> None:
    w = world()
    with pytest.raises(SubjectInOtherNamespace):
        w.add("unit.registered", f"key:{keyid('kab-a-2')}", UNIT_DATA)
    w.add(
        "key.registered", f"key:{keyid('kab-a-2')}", key_data("kab-a-2", AGENCY), agency="operator"
    )
    assert w.state.key(keyid("kab-a-2")) is not None


def test_accepts_unit_in_its_own_namespace() -> None:
    w = world()
    w.add("unit.registered", f"{AGENCY}/umum", UNIT_DATA)
    assert w.state.unit(f"{AGENCY}/umum") is not None


# -- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["1e400", "-1e400", "9007199254740993", "-9007199254740993", "1" * 400, "1.0e16"],
)
def test_refuses_numbers_that_are_not_finite_or_beyond_2_53(number: str) -> None:
    text = request().decode().replace('"reason":', f'"e_kinerja_score": {number}, "reason":')
    error = refused(text.encode(), "data.e_kinerja_score")
    assert "finite number within ±2^53" in str(error)


def test_refuses_out_of_range_number_in_a_typed_field() -> None:
    body = payload("entry.annotated", "req-1", {"entry": 2**53 + 1, "note": "x"})
    refused(body, "data.entry")


def test_accepts_numbers_at_the_bounds() -> None:
    body = request(e_kinerja_score=2**53, e_kinerja_low=-(2**53), weight=0.5)
    event = parse_payload(body)
    extra = event.data.model_dump()
    assert extra["e_kinerja_score"] == 2**53
    assert extra["e_kinerja_low"] == -(2**53)


# -- free text and lists ---------------------------------------------------------------------


def test_refuses_free_text_over_4000_characters_and_accepts_4000() -> None:
    refused(request(reason="x" * 4_001), "data.reason")
    event = parse_payload(request(reason="x" * 4_000))
    assert isinstance(event.data, WfaRequested)
    assert len(event.data.reason) == 4_000


def test_refuses_request_of_32_dates_and_accepts_31() -> None:
    refused(request(dates=days(32)), "data.dates")
    event = parse_payload(request(dates=days(31)))
    assert isinstance(event.data, WfaRequested)
    assert len(event.data.dates) == 31


def test_refuses_approval_of_32_dates() -> None:
    refused(payload("wfa.approved", "req-1", {"dates": days(32)}), "data.dates")


def test_refuses_request_of_21_targets_and_accepts_20() -> None:
    targets = [{"id": f"t{i}", "description": "draf"} for i in range(21)]
    refused(request(targets=targets), "data.targets")
    event = parse_payload(request(targets=targets[:20]))
    assert isinstance(event.data, WfaRequested)
    assert len(event.data.targets) == 20


def test_refuses_report_of_51_outputs_and_accepts_50() -> None:
    outputs = [{"title": f"o{i}", "target": "t1", "evidence_sha256": None} for i in range(51)]
    data: dict[str, object] = {"date": "2026-12-07", "outputs": outputs}
    refused(payload("work.output_reported", "req-1", data, actor=STAFF), "data.outputs")
    event = parse_payload(
        payload("work.output_reported", "req-1", {**data, "outputs": outputs[:50]}, actor=STAFF)
    )
    assert event.type == "work.output_reported"


def test_a_policy_within_every_bound_is_accepted() -> None:
    event = parse_payload(payload("policy.enacted", f"policy:{AGENCY}", policy_data()))
    assert isinstance(event.data, PolicyEnacted)


def test_bounded_payloads_replay_into_a_world() -> None:
    """The clean cases above also pass the rules: the bounds refuse nothing a world needs."""
    w = world()
    w.request(dates=tuple(days(2)), reason="baris satu\nbaris dua")
    flags = w.approve(note="disetujui\tsemua")
    assert isinstance(flags, tuple)
    request_state = w.state.request("req-1")
    assert request_state is not None
    assert request_state.status == "approved"
