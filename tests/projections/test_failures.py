"""An entry a read model cannot apply parks its agency, recorded and shown; others move on."""

from __future__ import annotations

import json
import logging

import pytest

import domain.state
import projections.rows
from api.cli import main
from ledger.bootstrap import Runtime
from tests.projections.helpers import runner_for, table_rows
from tests.support import (
    AGENCY,
    HEAD,
    OTHER_AGENCY,
    STAFF,
    World,
    payload,
    policy_data,
    unit_payload,
    wfa_request,
)

POISON_UNIT = f"{AGENCY}/poison"
OTHER_UNIT = f"{OTHER_AGENCY}/loket"
OTHER_HEAD = "196001012000011001"
OTHER_STAFF = "196502022000012002"


def _other_agency_request(world: World, subject: str) -> None:
    """A request of the other agency, approved by its head: one jp_requests row."""

    def other(kind: str, subj: str, actor: str, data: dict[str, object]) -> dict[str, object]:
        return payload(kind, subj, actor, data, agency=OTHER_AGENCY)

    staff: list[dict[str, object]] = []
    if world.runtime.logs.log(OTHER_AGENCY).agency_state.unit(OTHER_UNIT) is None:
        staff = [
            other("policy.enacted", f"policy:{OTHER_AGENCY}", OTHER_HEAD, policy_data()),
            {**unit_payload(OTHER_UNIT), "agency": OTHER_AGENCY},
            *(
                other(
                    "employee.enrolled",
                    nip,
                    OTHER_HEAD,
                    {
                        "name": name,
                        "unit": OTHER_UNIT,
                        "position": "Analis",
                        "supervisor": supervisor,
                        "placed_at": "2020-01-01",
                        "discipline": "none",
                    },
                )
                for nip, name, supervisor in (
                    (OTHER_HEAD, "Kepala", None),
                    (OTHER_STAFF, "Staf", OTHER_HEAD),
                )
            ),
        ]
    logs = world.runtime.logs
    items = [
        *staff,
        other("wfa.requested", subject, OTHER_STAFF, wfa_request(OTHER_STAFF)),
        other("wfa.approved", subject, OTHER_HEAD, {"note": "ok"}),
    ]
    logs.append([logs.prepare(world.other_signer.sign(p)) for p in items])


def _request(world: World, subject: str) -> None:
    world.append(
        payload("wfa.requested", subject, STAFF, wfa_request(STAFF)),
        payload("wfa.approved", subject, HEAD, {"note": "ok"}),
    )


def _requests(runtime: Runtime) -> set[tuple[str, str]]:
    runner = runner_for(runtime)
    found = table_rows(runner, "jp_requests", "subject, agency")
    runner.close()
    return {(str(r["subject"]), str(r["agency"])) for r in found}


def _size(runtime: Runtime, log: str = AGENCY) -> int:
    return runtime.logs.log(log).size


def test_an_entry_the_fold_cannot_apply_parks_its_agency_and_others_catch_up(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = World(runtime).setup()
    _request(world, "req-before")
    world.append(unit_payload(POISON_UNIT))
    poison_index = _size(runtime) - 1
    _request(world, "req-after")  # same agency, after the poisoned entry: parked
    _other_agency_request(world, "req-other")  # another agency, after it: applied

    rule = domain.state.check_subject_kind

    def faulty(subject: str, existing: str | None, event_type: str) -> None:
        if subject == POISON_UNIT:  # a read-model bug on one entry the writer accepted
            raise OverflowError("date value out of range")
        rule(subject, existing, event_type)

    monkeypatch.setattr(domain.state, "check_subject_kind", faulty)
    runner = runner_for(runtime)
    with caplog.at_level(logging.ERROR, logger="jejak.projections"):
        runner.catch_up()  # no exception: no stall
    assert f"cannot apply entry {poison_index} of {AGENCY}" in caplog.text
    assert "OverflowError" in caplog.text  # with the traceback
    assert {s.lag for s in runner.status()} == {0}
    assert runner.wait_for(AGENCY, _size(runtime) - 1, timeout=30)
    assert runner.wait_for(OTHER_AGENCY, _size(runtime, OTHER_AGENCY) - 1, timeout=30)
    assert _requests(runtime) == {("req-before", AGENCY), ("req-other", OTHER_AGENCY)}
    [failure] = runner.failures()
    assert (failure.agency, failure.entry) == (AGENCY, poison_index)
    assert failure.error == "OverflowError: date value out of range"
    runner.close()

    # the failure is durable: a restarted runner keeps the agency parked and moves the others
    _other_agency_request(world, "req-other-2")
    restarted = runner_for(runtime)
    restarted.catch_up()
    assert ("req-other-2", OTHER_AGENCY) in _requests(runtime)
    assert ("req-after", AGENCY) not in _requests(runtime)
    assert [f.entry for f in restarted.failures()] == [poison_index]
    restarted.close()

    monkeypatch.setenv("JEJAK_DATABASE_URL", runtime.settings.database_url)
    capsys.readouterr()
    assert main(["projections", "status"]) == 1
    shown = capsys.readouterr().out
    assert f"{AGENCY} parked from entry {poison_index}: OverflowError" in shown
    rows = [line.split() for line in shown.splitlines()[1:] if line.startswith(("kab", "kota"))]
    assert {(r[0], r[1], r[3]) for r in rows} >= {(AGENCY, "requests", "0")}
    assert {r[0] for r in rows} == {AGENCY, OTHER_AGENCY}  # each log's models, with their lag
    assert main(["projections", "status", "--log", OTHER_AGENCY]) == 0  # that log is not parked
    assert AGENCY not in capsys.readouterr().out
    assert main(["projections", "status", "--json"]) == 1
    status = json.loads(capsys.readouterr().out)
    assert status["failures"] == [
        {"agency": AGENCY, "entry": poison_index, "error": "OverflowError: date value out of range"}
    ]
    assert {m["lag"] for m in status["models"]} == {0}
    assert {m["log"] for m in status["models"]} == {AGENCY, OTHER_AGENCY}

    # a rebuild with the bug still there names the parked agency and exits 1
    assert main(["projections", "rebuild"]) == 1
    assert (
        f"jejak: read models: {AGENCY} parked from entry {poison_index}" in capsys.readouterr().err
    )

    # once the bug is fixed, a rebuild clears the failure and applies everything
    monkeypatch.setattr(domain.state, "check_subject_kind", rule)
    fixed = runner_for(runtime)
    fixed.rebuild()
    assert fixed.failures() == []
    assert ("req-after", AGENCY) in _requests(runtime)
    fixed.close()


def test_a_row_that_cannot_be_computed_parks_its_agency_and_others_catch_up(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(runtime).setup()
    _request(world, "req-bad")
    bad_index = _size(runtime) - 1
    _other_agency_request(world, "req-other")
    row = projections.rows.request_row

    def faulty(request: object, *args: object) -> object:
        if getattr(request, "id", None) == "req-bad":
            raise ValueError("cannot render this request")
        return row(request, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(projections.rows, "request_row", faulty)
    runner = runner_for(runtime)
    runner.catch_up()
    assert {s.lag for s in runner.status()} == {0}
    assert _requests(runtime) == {("req-other", OTHER_AGENCY)}
    assert [(f.agency, f.entry) for f in runner.failures()] == [(AGENCY, bad_index)]
    runner.close()


def test_a_row_the_database_cannot_store_parks_its_agency_not_the_batch(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = World(runtime).setup()
    _request(world, "req-nul")
    nul_index = _size(runtime) - 1
    _other_agency_request(world, "req-other")
    row = projections.rows.request_row

    def with_nul(request: object, *args: object) -> tuple[object, ...]:
        values: tuple[object, ...] = row(request, *args)  # type: ignore[arg-type]
        if getattr(request, "id", None) == "req-nul":  # e.g. a policy version holding NUL
            values = tuple(f"{v}\x00" if isinstance(v, str) else v for v in values)
        return values

    monkeypatch.setattr(projections.rows, "request_row", with_nul)
    runner = runner_for(runtime)
    runner.catch_up()  # on PostgreSQL the NUL would have failed the whole transaction
    assert {s.lag for s in runner.status()} == {0}
    assert _requests(runtime) == {("req-other", OTHER_AGENCY)}
    [failure] = runner.failures()
    assert (failure.agency, failure.entry) == (AGENCY, nul_index)
    assert "NUL" in failure.error
    runner.close()
