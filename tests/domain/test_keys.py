"""Key refusals: unknown, not yet valid, revoked, foreign; the genesis entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.aggregates import Key
from domain.errors import (
    ImpossibleTransition,
    KeyNotOfActor,
    KeyNotOfOrganisation,
    KeyNotYetValid,
    KeyRevoked,
    UnknownKey,
    UnknownOrganisation,
)
from domain.rules.keys import check_key_valid
from domain.state import LedgerState
from tests.domain.builders import (
    AGENCY,
    HEAD,
    INSPECTORATE,
    OMBUDSMAN,
    OTHER,
    STAFF,
    UNIT,
    World,
    key_data,
    keyid,
    world,
)

HOURS = {"start": "08:00", "end": "16:00"}
UNIT_DATA = {"name": "X", "public_service": False, "service_hours": HOURS, "min_on_site": 0}
AT = datetime(2026, 6, 1, tzinfo=UTC)


def a_key(**kw: object) -> Key:
    fields: dict[str, object] = {
        "keyid": "k",
        "org": AGENCY,
        "public_key": b"\0" * 32,
        "holder": None,
        "valid_from": AT - timedelta(days=1),
    }
    fields.update(kw)
    return Key(**fields)  # type: ignore[arg-type]


def test_check_key_valid_accepts_a_current_key() -> None:
    key = a_key()
    assert check_key_valid("k", key, AT) is key


def test_check_key_valid_refuses_unknown() -> None:
    with pytest.raises(UnknownKey, match="not registered"):
        check_key_valid("k", None, AT)


def test_check_key_valid_refuses_not_yet_valid() -> None:
    with pytest.raises(KeyNotYetValid, match="valid only from"):
        check_key_valid("k", a_key(valid_from=AT + timedelta(seconds=1)), AT)


def test_check_key_valid_refuses_revoked_at_or_before() -> None:
    with pytest.raises(KeyRevoked, match="revoked effective"):
        check_key_valid("k", a_key(revoked_at=AT), AT)
    assert check_key_valid("k", a_key(revoked_at=AT + timedelta(seconds=1)), AT)


def test_genesis_registers_operator_and_its_key() -> None:
    w = World().genesis()
    assert w.state.org("operator") is not None
    assert w.state.public_key(keyid("operator")) is not None
    view = w.state.subject_view(f"key:{keyid('operator')}")
    assert view is not None
    assert view.kind == "key"
    assert view.indexes == (0,)


def test_refuses_genesis_signed_by_another_key() -> None:
    w = World()
    with pytest.raises(UnknownKey, match="entry 0"):
        w.add(
            "key.registered",
            f"key:{keyid('operator')}",
            key_data("operator", "operator"),
            agency="operator",
            keys=(keyid("someone"),),
        )
    assert w.state.size == 0


def test_refuses_genesis_of_a_non_operator_key() -> None:
    with pytest.raises(UnknownKey, match="entry 0"):
        World().add(
            "key.registered",
            f"key:{keyid(AGENCY)}",
            key_data(AGENCY, AGENCY),
            agency="operator",
            keys=(keyid(AGENCY),),
        )


def test_refuses_unregistered_key() -> None:
    w = world()
    with pytest.raises(UnknownKey, match="not registered"):
        w.add("unit.registered", "u-new", UNIT_DATA, keys=(keyid("stranger"),))


def test_refuses_entry_without_signatures() -> None:
    w = world()
    with pytest.raises(UnknownKey, match="no verified signature"):
        w.add("unit.registered", "u-new", UNIT_DATA, keys=())


def test_refuses_revoked_key() -> None:
    w = world()
    w.add(
        "key.revoked",
        f"key:{keyid(AGENCY)}",
        {"effective_at": "2026-12-01T00:00:00Z", "reason": "lost"},
        agency="operator",
    )
    with pytest.raises(KeyRevoked, match="revoked effective 2026-12-01T00:00:00"):
        w.add("unit.registered", "u-new", UNIT_DATA)


def test_key_revoked_in_the_future_still_signs() -> None:
    w = world()
    w.add(
        "key.revoked",
        f"key:{keyid(AGENCY)}",
        {"effective_at": "2027-01-01T00:00:00Z", "reason": "rotation"},
        agency="operator",
    )
    w.add("unit.registered", "u-new", UNIT_DATA)
    view = w.state.subject_view(f"key:{keyid(AGENCY)}")
    assert view is not None
    assert view.state["revoked"] == {
        "effective_at": "2027-01-01T00:00:00+00:00",
        "reason": "rotation",
    }


def test_refuses_key_not_yet_valid() -> None:
    w = world()
    w.add(
        "key.registered",
        f"key:{keyid('late')}",
        key_data("late", AGENCY, "2027-01-01T00:00:00Z"),
        agency="operator",
    )
    with pytest.raises(KeyNotYetValid, match="valid only from 2027"):
        w.add("unit.registered", "u-new", UNIT_DATA, keys=(keyid("late"),))


def test_refuses_key_of_another_agency() -> None:
    w = world()
    with pytest.raises(KeyNotOfOrganisation, match=r"may not sign unit\.registered for 'kab-a'"):
        w.add("unit.registered", "u-new", UNIT_DATA, keys=(keyid(OTHER),))


def test_refuses_operator_event_signed_by_agency_key() -> None:
    w = world()
    with pytest.raises(KeyNotOfOrganisation, match=r"org\.registered"):
        w.add(
            "org.registered",
            "kab-z",
            {"kind": "agency", "name": "Z"},
            agency="operator",
            keys=(keyid(AGENCY),),
        )


def test_refuses_complaint_signed_by_agency_key() -> None:
    w = world()
    data = {
        "unit": UNIT,
        "service": "KTP",
        "lapse_at": "2026-11-30T10:00:00+07:00",
        "form": "penundaan_berlarut",
        "summary": "s",
    }
    with pytest.raises(KeyNotOfOrganisation, match=r"complaint\.filed"):
        w.add("complaint.filed", "c-1", data, keys=(keyid(AGENCY),))


def test_annotation_may_be_signed_by_oversight_bodies() -> None:
    w = world()
    w.add("entry.annotated", UNIT, {"entry": 3, "note": "checked"}, keys=(keyid(INSPECTORATE),))
    w.add("entry.annotated", UNIT, {"entry": 3, "note": "seen"}, keys=(keyid(OMBUDSMAN),))
    view = w.state.subject_view(UNIT)
    assert view is not None
    assert [a["note"] for a in view.state["annotations"]] == ["checked", "seen"]  # type: ignore[attr-defined]


def test_one_good_key_among_several_suffices() -> None:
    w = world()
    w.add("unit.registered", "u-new", UNIT_DATA, keys=(keyid("stranger"), keyid(AGENCY)))
    assert w.state.unit("u-new") is not None


def test_reports_first_key_refusal_when_none_passes() -> None:
    w = world()
    with pytest.raises(UnknownKey):
        w.add("unit.registered", "u-new", UNIT_DATA, keys=(keyid("stranger"), keyid(OTHER)))


def test_refuses_key_for_unregistered_org() -> None:
    w = world()
    with pytest.raises(UnknownOrganisation, match="'kab-z'"):
        w.add("key.registered", f"key:{keyid('z')}", key_data("z", "kab-z"), agency="operator")


def test_refuses_registering_a_key_twice() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="already registered"):
        w.add("key.registered", f"key:{keyid(AGENCY)}", key_data(AGENCY, AGENCY), agency="operator")


def test_refuses_revoking_unknown_key() -> None:
    w = world()
    with pytest.raises(ImpossibleTransition, match="not registered"):
        w.add(
            "key.revoked",
            f"key:{keyid('ghost')}",
            {"effective_at": "2026-12-01T00:00:00Z", "reason": "x"},
            agency="operator",
        )


def test_refuses_revoking_a_key_twice() -> None:
    w = world()
    revoke = {"effective_at": "2027-01-01T00:00:00Z", "reason": "x"}
    w.add("key.revoked", f"key:{keyid(AGENCY)}", revoke, agency="operator")
    with pytest.raises(ImpossibleTransition, match="already revoked"):
        w.add("key.revoked", f"key:{keyid(AGENCY)}", revoke, agency="operator")


def test_public_key_is_kept_after_revocation() -> None:
    w = world()
    w.add(
        "key.revoked",
        f"key:{keyid(AGENCY)}",
        {"effective_at": "2026-12-01T00:00:00Z", "reason": "x"},
        agency="operator",
    )
    assert w.state.public_key(keyid(AGENCY)) is not None
    assert LedgerState().public_key(keyid(AGENCY)) is None


def _personal_key(w: World, name: str, holder: str) -> str:
    data = {**key_data(name, AGENCY), "holder": holder}
    w.add("key.registered", f"key:{keyid(name)}", data, agency="operator")
    return keyid(name)


def test_personal_key_signs_for_its_holder() -> None:
    w = world()
    head_key = _personal_key(w, "head-personal", HEAD)
    w.request()
    w.add("wfa.approved", "req-1", {}, keys=(head_key,))
    request = w.state.request("req-1")
    assert request is not None
    assert request.status == "approved"


def test_refuses_personal_key_acting_for_another_official() -> None:
    w = world()
    staff_key = _personal_key(w, "staff-personal", STAFF)
    w.request()
    # the requester's own key signs an approval in the supervisor's name
    with pytest.raises(
        KeyNotOfActor, match=f"belongs to {STAFF}; it may not sign for actor {HEAD}"
    ):
        w.add("wfa.approved", "req-1", {}, keys=(staff_key,))
    request = w.state.request("req-1")
    assert request is not None
    assert request.status == "requested"


def test_organisation_key_next_to_a_mismatched_personal_key_suffices() -> None:
    w = world()
    staff_key = _personal_key(w, "staff-personal", STAFF)
    w.request()
    w.add("wfa.approved", "req-1", {}, keys=(staff_key, keyid(AGENCY)))
    request = w.state.request("req-1")
    assert request is not None
    assert request.status == "approved"
