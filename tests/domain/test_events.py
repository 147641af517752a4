"""parse_payload: schema, shapes and sizes of event payloads."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from domain.errors import PayloadInvalid, UnknownEventType
from domain.event_data import EVENT_TYPES, WfaRequested
from domain.events import parse_payload
from tests.domain.builders import AGENCY, STAFF, key_data, keyid, payload, policy_data, request_data


def body(**fields: object) -> bytes:
    base: dict[str, object] = {
        "type": "wfa.requested",
        "agency": AGENCY,
        "subject": "req-1",
        "actor": STAFF,
        "occurred_at": "2026-12-01T08:00:00+07:00",
        "data": request_data(),
    }
    base.update(fields)
    return json.dumps(base).encode()


def test_parses_a_request_into_typed_data() -> None:
    event = parse_payload(body())
    assert event.type == "wfa.requested"
    assert isinstance(event.data, WfaRequested)
    assert event.data.dates == [date(2026, 12, 7)]
    assert event.occurred_at.utcoffset() == timedelta(hours=7)
    assert event.payload["subject"] == "req-1"


def test_keeps_extra_fields() -> None:
    event = parse_payload(body(data={**request_data(), "e_kinerja_ref": "EK-7"}))
    assert event.data.model_dump()["e_kinerja_ref"] == "EK-7"


def test_catalogue_has_every_design_event_type() -> None:
    assert len(EVENT_TYPES) == 26


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"{not json", "not UTF-8 JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "a", "type": "b"}', "repeats the key"),
        (b'{"x": NaN}', "non-JSON number"),
    ],
)
def test_refuses_undecodable_payload(raw: bytes, match: str) -> None:
    with pytest.raises(PayloadInvalid, match=match):
        parse_payload(raw)


def test_refuses_missing_fields() -> None:
    with pytest.raises(PayloadInvalid, match="misses the field"):
        parse_payload(json.dumps({"type": "wfa.requested"}).encode())


@pytest.mark.parametrize("subject", ["req-1/history", "kab-a/umum/history"])
def test_refuses_subjects_the_history_route_would_shadow(subject: str) -> None:
    with pytest.raises(PayloadInvalid, match="reserved"):
        parse_payload(body(subject=subject))


def test_accepts_history_inside_a_subject() -> None:
    assert parse_payload(body(subject="req-history/1")).subject == "req-history/1"


def test_refuses_unknown_event_type() -> None:
    with pytest.raises(UnknownEventType, match=r"wfa\.teleported"):
        parse_payload(body(type="wfa.teleported"))


@pytest.mark.parametrize("when", ["2026-12-01T08:00:00", "2026-12-01", "yesterday", 1764550800])
def test_refuses_occurred_at_without_offset(when: object) -> None:
    with pytest.raises(PayloadInvalid, match="occurred_at"):
        parse_payload(body(occurred_at=when))


def test_accepts_z_offset() -> None:
    assert parse_payload(
        body(occurred_at="2026-12-01T01:00:00.5Z")
    ).occurred_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({**request_data(), "dates": ["07-12-2026"]}, "dates"),
        ({**request_data(), "dates": []}, "dates"),
        ({**request_data(), "dates": ["2026-12-07", "2026-12-07"]}, "repeat"),
        ({**request_data(), "kind": "anywhere"}, "kind"),
        ({**request_data(), "location": None}, "needs a location"),
        ({**request_data(), "kind": "time"}, "needs a time_pattern"),
        ({k: v for k, v in request_data().items() if k != "reason"}, "reason"),
        ({**request_data(), "employee": 198001}, "employee"),
    ],
)
def test_refuses_request_breaking_schema(data: dict[str, object], match: str) -> None:
    with pytest.raises(PayloadInvalid, match=match):
        parse_payload(body(data=data))


def test_refuses_bad_time_of_day() -> None:
    data = {"date": "2026-12-07", "start": "8:00", "end": "16:00", "location_kind": "domicile"}
    with pytest.raises(PayloadInvalid, match="HH:MM"):
        parse_payload(body(type="attendance.recorded", data=data))


def test_refuses_data_that_is_not_an_object() -> None:
    with pytest.raises(PayloadInvalid, match="'data'"):
        parse_payload(body(data=[1]))


def test_refuses_absurdly_long_list() -> None:
    dates = [(date(2026, 1, 1) + timedelta(days=i)).isoformat() for i in range(1001)]
    with pytest.raises(PayloadInvalid, match="list longer than 1000"):
        parse_payload(body(data={**request_data(), "dates": dates}))


def test_refuses_absurdly_long_string() -> None:
    with pytest.raises(PayloadInvalid, match=r"data\.reason holds a string longer than 4000"):
        parse_payload(body(data={**request_data(), "reason": "x" * 4_001}))


def test_refuses_deep_nesting() -> None:
    deep: object = 1
    for _ in range(40):
        deep = [deep]
    with pytest.raises(PayloadInvalid, match="nests deeper"):
        parse_payload(body(data={**request_data(), "extra": deep}))


def test_refuses_operator_event_from_an_agency() -> None:
    with pytest.raises(PayloadInvalid, match="operator event"):
        parse_payload(payload("org.registered", "kab-z", {"kind": "agency", "name": "Z"}))


def test_refuses_key_subject_not_a_keyid() -> None:
    raw = payload(
        "key.revoked",
        "key:abc",
        {"effective_at": "2026-12-01T00:00:00Z", "reason": "x"},
        agency="operator",
    )
    with pytest.raises(PayloadInvalid, match="key:<64 hex keyid>"):
        parse_payload(raw)


def test_refuses_key_subject_not_matching_public_key() -> None:
    raw = payload(
        "key.registered", f"key:{keyid('other')}", key_data("mine", AGENCY), agency="operator"
    )
    with pytest.raises(PayloadInvalid, match="sha256 of the public key"):
        parse_payload(raw)


def test_refuses_public_key_of_wrong_length() -> None:
    data = {**key_data("mine", AGENCY), "public_key": "AAAA"}
    with pytest.raises(PayloadInvalid, match="3 bytes, not 32"):
        parse_payload(payload("key.registered", f"key:{keyid('mine')}", data, agency="operator"))


def test_refuses_policy_subject_of_another_agency() -> None:
    with pytest.raises(PayloadInvalid, match="policy:kab-a"):
        parse_payload(payload("policy.enacted", "policy:kab-b", policy_data()))


def test_refuses_evaluation_subject_not_matching_data() -> None:
    data = {
        "employee": STAFF,
        "period": "2026",
        "results": "sesuai",
        "behaviour": "sesuai",
        "predikat": "baik",
    }
    parse_payload(payload("evaluation.recorded", f"eval:{STAFF}:2026", data))
    with pytest.raises(PayloadInvalid, match=r"evaluation\.recorded subject"):
        parse_payload(payload("evaluation.recorded", f"eval:{STAFF}:2025", data))


def test_refuses_org_id_that_is_not_a_slug() -> None:
    with pytest.raises(PayloadInvalid, match="not an org slug"):
        parse_payload(
            payload("org.registered", "Kab-A", {"kind": "agency", "name": "A"}, agency="operator")
        )


def test_refuses_policy_with_quota_over_100() -> None:
    with pytest.raises(PayloadInvalid, match="unit_quota_pct"):
        parse_payload(payload("policy.enacted", "policy:kab-a", policy_data(unit_quota_pct=130)))


def test_refuses_employee_update_naming_no_field() -> None:
    with pytest.raises(PayloadInvalid, match="at least one"):
        parse_payload(payload("employee.updated", STAFF, {}))


def test_refuses_lone_surrogate_escapes_anywhere_in_the_payload() -> None:
    body = (
        b'{"type":"unit.registered","agency":"kab-x","subject":"\\ud800","actor":"1",'
        b'"occurred_at":"2026-01-01T00:00:00Z","data":{"name":"x","public_service":false,'
        b'"service_hours":{"start":"08:00","end":"10:00"},"min_on_site":0}}'
    )
    with pytest.raises(PayloadInvalid, match="surrogate"):
        parse_payload(body)
