"""The per-log fold: the registry as of a prefix, an agency log's key rules and namespaces, and
a state whose maps are backed by a loader."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.entry import Entry
from domain.errors import (
    DomainError,
    EntryOutOfOrderError,
    KeyRevoked,
    SubjectInOtherNamespace,
    UnknownEventType,
    UnknownKey,
    WrongLog,
)
from domain.registry import RegistryState
from domain.state import LedgerState
from tests.domain.builders import (
    AGENCY,
    HEAD,
    OTHER,
    STAFF,
    UNIT,
    employee_data,
    key_data,
    keyid,
    request_data,
)
from tests.domain.log_builders import Logs, logs


def test_registry_view_shows_a_key_only_from_the_entry_after_its_registration() -> None:
    w = Logs().genesis()
    w.operator("org.registered", AGENCY, {"kind": "agency", "name": "A"})
    w.operator("key.registered", f"key:{keyid(AGENCY)}", key_data(AGENCY, AGENCY))
    assert w.registry.view(2).key(keyid(AGENCY)) is None
    assert w.registry.view(3).key(keyid(AGENCY)) is not None
    assert w.registry.view(1).org(AGENCY) is None
    assert w.registry.view(2).org(AGENCY) is not None


def test_registry_view_applies_a_revocation_only_after_it() -> None:
    w = Logs().genesis().org(AGENCY)
    w.operator(
        "key.revoked",
        f"key:{keyid(AGENCY)}",
        {"effective_at": "2026-01-02T00:00:00Z", "reason": "lost"},
    )
    assert w.registry.view(3).key(keyid(AGENCY)).revoked_at is None  # type: ignore[union-attr]
    assert w.registry.view(4).key(keyid(AGENCY)).revoked_at is not None  # type: ignore[union-attr]


def test_registry_refuses_agency_events() -> None:
    w = Logs().genesis().org(AGENCY)
    entry = w.entry(
        "unit.registered",
        UNIT,
        {
            "name": "x",
            "public_service": False,
            "service_hours": {"start": "08:00", "end": "16:00"},
            "min_on_site": 0,
        },
    )
    with pytest.raises(UnknownEventType, match="does not belong to the registry log"):
        w.registry.record(replace(entry, index=w.registry.size, registry_size=0))


def test_records_a_redaction_once_for_an_agency_log() -> None:
    w = Logs().genesis().org(AGENCY)
    data = {"log": AGENCY, "index": 3, "basis": "UU 27/2022 Pasal 43", "reason": "permintaan"}
    w.operator("entry.redacted", f"redaction:{AGENCY}:3", data)
    found = w.registry.redaction(AGENCY, 3)
    assert found is not None
    assert found.basis == "UU 27/2022 Pasal 43"
    with pytest.raises(Exception, match="already"):
        w.operator("entry.redacted", f"redaction:{AGENCY}:3", data)


def test_agency_entry_judges_its_key_by_its_registry_size() -> None:
    w = Logs().genesis()
    w.operator("org.registered", AGENCY, {"kind": "agency", "name": "A"})
    w.operator("key.registered", f"key:{keyid(AGENCY)}", key_data(AGENCY, AGENCY))
    data = employee_data(supervisor=None)
    with pytest.raises(UnknownKey):
        w.agency.record(
            w.entry(
                "unit.registered",
                UNIT,
                {
                    "name": "u",
                    "public_service": False,
                    "service_hours": {"start": "08:00", "end": "16:00"},
                    "min_on_site": 0,
                },
                registry_size=2,
            )
        )
    w.add(
        "unit.registered",
        UNIT,
        {
            "name": "u",
            "public_service": False,
            "service_hours": {"start": "08:00", "end": "16:00"},
            "min_on_site": 0,
        },
    )
    w.add("employee.enrolled", HEAD, data)
    assert w.agency.employee(HEAD) is not None


def test_agency_entry_with_a_key_revoked_before_its_registry_size_is_refused() -> None:
    w = logs()
    w.operator(
        "key.revoked",
        f"key:{keyid(AGENCY)}",
        {"effective_at": "2026-01-02T00:00:00Z", "reason": "lost"},
    )
    with pytest.raises(KeyRevoked):
        w.add("employee.enrolled", "199901012020011001", employee_data())
    w.add(
        "employee.enrolled",
        "199901012020011001",
        employee_data(),
        registry_size=w.registry.size - 1,
    )


def test_agency_log_refuses_another_agencys_event() -> None:
    w = logs()
    with pytest.raises(WrongLog):
        w.add("employee.enrolled", "199901012020011001", employee_data(), agency=OTHER)


@pytest.mark.parametrize(
    "subject", [f"key:{'a' * 64}", f"redaction:{AGENCY}:1", f"{OTHER}/unit", OTHER, AGENCY]
)
def test_agency_log_refuses_subjects_in_other_namespaces(subject: str) -> None:
    w = logs()
    hours = {"start": "08:00", "end": "16:00"}
    with pytest.raises(SubjectInOtherNamespace):
        w.add(
            "unit.registered",
            subject,
            {"name": "u", "public_service": False, "service_hours": hours, "min_on_site": 0},
        )


def test_record_says_what_the_entry_did() -> None:
    w = logs()
    recorded = w.add("wfa.requested", "req-1", request_data(), actor=STAFF)
    assert recorded.kind == "request"
    assert recorded.value is not None
    assert recorded.value.status == "requested"
    recorded = w.add("wfa.approved", "req-1", {}, actor=HEAD)
    assert recorded.value.status == "approved"  # type: ignore[union-attr]


def test_a_loader_backed_state_settles_its_changes_and_reads_them_back_after_forgetting() -> None:
    stored: dict[tuple[str, object], object] = {}
    loads: list[tuple[str, object]] = []

    def loader(name: str, key: object) -> object | None:
        loads.append((name, key))
        return stored.get((name, key))

    w = logs(loader)
    for name, changes in w.agency.dirty().items():
        for key, value in changes.items():
            stored[(name, key)] = value
    w.agency.settle()
    assert w.agency.dirty() == {}
    w.agency.forget(w.agency.size, w.agency.last_integrated_at)
    loads.clear()
    assert w.agency.employee(STAFF) is not None
    assert ("employees", STAFF) in loads
    w.add("wfa.requested", "req-1", request_data(), actor=STAFF)
    assert set(w.agency.dirty()) >= {"requests", "kinds"}


def test_a_fork_of_a_per_log_state_commits_into_it() -> None:
    w = logs()
    fork = w.agency.fork()
    fork.record(w.entry("wfa.requested", "req-9", request_data(), actor=STAFF))
    assert w.agency.request("req-9") is None
    fork.commit()
    assert w.agency.request("req-9") is not None
    assert isinstance(w.registry, RegistryState)
    assert isinstance(w.agency, LedgerState)


def test_an_agency_state_keeping_steps_serves_subject_views() -> None:
    w = logs()
    w.add("wfa.requested", "req-1", request_data(), actor=STAFF)
    steps = LedgerState(AGENCY, w.registry, keep_steps=True)
    for entry in w.agency_entries:
        steps.record(entry)
    view = steps.subject_view("req-1")
    assert view is not None
    assert view.state["status"] == "requested"
    assert view.indexes == (w.agency_entries[-1].index,)
    assert steps.request("req-1") == w.agency.request("req-1")
    with pytest.raises(DomainError, match="keeps no steps"):
        w.agency.subject_view("req-1")


def test_a_registry_selection_replays_with_gaps_and_judges_keys_by_index() -> None:
    full = logs()

    def wanted(entry: Entry) -> bool:  # the genesis, the other agency and its keys
        org = getattr(entry.event.data, "org", None)
        return entry.index == 0 or entry.event.subject == OTHER or org == OTHER

    chosen = [e for e in full.registry_entries if wanted(e)]
    assert [e.index for e in chosen] != list(range(len(chosen)))  # a selection with gaps
    selection = RegistryState(allow_gaps=True)
    for entry in chosen:
        selection.record(entry)
    assert selection.size == chosen[-1].index + 1
    for record in full.registry.keys():  # noqa: SIM118 (a list of key records)
        if record.key.org == OTHER:
            assert selection.view(record.registered).key(record.key.keyid) is None
            assert selection.view(record.registered + 1).key(record.key.keyid) is not None
    with pytest.raises(EntryOutOfOrderError):
        RegistryState().record(chosen[-1])  # without gaps a later entry alone is refused
