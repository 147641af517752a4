"""Redaction over HTTP on each store (UU 27/2022): the payload's bytes leave the database and
the read models, every proof still verifies, the bundle says `redacted` with its basis, a
restarted server folds the log the same way, and an open complaint holds the entry."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from ledger.bootstrap import Runtime, open_runtime
from projections.runner import ProjectionRunner
from tests.api.redaction_support import sqlite_files_holding, tables_holding
from tests.support import (
    AGENCY,
    HEAD,
    OMBUDSMAN_OFFICER,
    STAFF,
    UNIT,
    World,
    now,
    payload,
    wfa_request,
)
from verification.outcome import EXIT_COMPLETE, EXIT_PARTIAL
from verification.verifier import verify_whole

BASIS = "UU 27/2022 Pasal 43"
COMPLAINT = "lm-redaksi-0001"


def _auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def _settle(client: TestClient) -> None:
    """Let the read models fold every log as far as it goes (deterministic: no waiting)."""
    runner: ProjectionRunner = client.app.state.projections  # type: ignore[attr-defined]
    for log in runner.logs():
        follower = runner.follower(log)
        while follower.step(10_000):
            pass


def _complaint_with_evidence(world: World, marker: str) -> int:
    """A complaint whose agency evidence carries `marker`; the evidence entry's index."""
    logs = world.runtime.logs
    filed = payload(
        "complaint.filed",
        COMPLAINT,
        OMBUDSMAN_OFFICER,
        {
            "unit": UNIT,
            "service": "KTP-el",
            "lapse_at": now().isoformat(),
            "form": "penundaan_berlarut",
            "summary": "Loket tutup",
        },
    )
    logs.append([logs.prepare(world.ombudsman_signer.sign(filed))])
    world.append(
        payload(
            "complaint.evidence_submitted",
            COMPLAINT,
            HEAD,
            {"text": f"Daftar hadir petugas loket: {marker}"},
        )
    )
    return logs.log(AGENCY).size - 1


def _close(world: World) -> None:
    logs = world.runtime.logs
    closed = payload("complaint.closed", COMPLAINT, OMBUDSMAN_OFFICER, {"outcome": "selesai"})
    logs.append([logs.prepare(world.ombudsman_signer.sign(closed))])


def _redact(client: TestClient, world: World, index: int, who: str = "operator") -> object:
    body = {"log": AGENCY, "index": index, "basis": BASIS, "reason": "data pribadi"}
    return client.post("/v1/redactions", json=body, headers=_auth(world, who))


def test_redacted_payload_is_nowhere_in_the_store_or_the_read_models(
    runtime: Runtime, world: World, client: TestClient
) -> None:
    marker = f"PENANDA-{uuid.uuid4().hex}"
    index = _complaint_with_evidence(world, marker)
    _close(world)
    _settle(client)
    found = tables_holding(runtime, marker)
    assert any("jejak_payloads" in t for t in found), found  # the search finds what is there
    assert any("jp_complaints" in t for t in found), found

    response = _redact(client, world, index)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    _settle(client)

    assert tables_holding(runtime, marker) == []
    if runtime.settings.database_url.startswith("sqlite"):
        assert sqlite_files_holding(runtime, marker, vacuum=False) == []
        assert sqlite_files_holding(runtime, marker, vacuum=True) == []


def test_open_complaint_holds_its_entries_and_nothing_is_stored(
    world: World, client: TestClient
) -> None:
    marker = f"PENANDA-{uuid.uuid4().hex}"
    index = _complaint_with_evidence(world, marker)
    registry = world.runtime.logs.registry
    size = registry.size
    response = _redact(client, world, index)
    assert response.status_code == 409  # type: ignore[attr-defined]
    problem = response.json()  # type: ignore[attr-defined]
    assert problem["type"].endswith("legal-hold")
    assert problem["complaints"] == [COMPLAINT]
    assert registry.size == size  # no entry.redacted
    entry = client.get(f"/v1/logs/{AGENCY}/entries/{index}", headers=_auth(world, "agency"))
    assert marker in entry.json()["payload"]["data"]["text"]
    _close(world)
    assert _redact(client, world, index).status_code == 201  # type: ignore[attr-defined]


def test_redaction_needs_the_operator_and_a_redactable_entry(
    world: World, client: TestClient
) -> None:
    last = world.runtime.logs.log(AGENCY).size - 1
    registry = world.runtime.logs.registry
    size = registry.size
    assert _redact(client, world, last, "agency").status_code == 403  # type: ignore[attr-defined]
    assert _redact(client, world, last, "inspector").status_code == 403  # type: ignore[attr-defined]
    body = {"log": AGENCY, "index": last + 5, "basis": BASIS, "reason": ""}
    token = _auth(world, "operator")
    assert client.post("/v1/redactions", json=body, headers=token).status_code == 404
    body = {"log": "no-such-log", "index": 0, "basis": BASIS, "reason": ""}
    assert client.post("/v1/redactions", json=body, headers=token).status_code == 404
    body = {"log": "operator", "index": 1, "basis": BASIS, "reason": ""}
    refused = client.post("/v1/redactions", json=body, headers=token)
    assert refused.status_code == 422
    assert refused.json()["type"].endswith("redaction-refused")
    for bad in ({"index": -1}, {"basis": ""}, {"basis": "x" * 4001}, {"basis": "a\x00b"}):
        body = {"log": AGENCY, "index": last, "basis": BASIS, "reason": "", **bad}
        answer = client.post("/v1/redactions", json=body, headers=token)
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert registry.size == size  # every refusal stored nothing
    assert world.runtime.logs.log(AGENCY).entry(last).payload_b64 is not None
    assert _redact(client, world, last).status_code == 201  # type: ignore[attr-defined]
    again = _redact(client, world, last)
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert again.json()["type"].endswith("already-redacted")  # type: ignore[attr-defined]


def test_after_redaction_proofs_bundle_reads_and_a_restart_agree(
    runtime: Runtime, world: World, client: TestClient, tmp_path: Path
) -> None:
    marker = f"PENANDA-{uuid.uuid4().hex}"
    request = wfa_request()
    request["reason"] = f"Alasan pribadi {marker}"
    world.append(payload("wfa.requested", "req-r1", STAFF, request))
    requested = runtime.logs.log(AGENCY).size - 1
    world.append(payload("wfa.approved", "req-r1", HEAD, {"note": "ok"}))
    world.append(payload("wfa.requested", "req-r2", STAFF, wfa_request()))
    token = _auth(world, "agency")
    before = client.get(f"/v1/logs/{AGENCY}/entries/{requested}", headers=token).json()

    assert _redact(client, world, requested).status_code == 201  # type: ignore[attr-defined]

    entry = client.get(f"/v1/logs/{AGENCY}/entries/{requested}", headers=token).json()
    assert entry["payload"] is None
    assert entry["missing"] == "redacted"
    assert entry["redaction"]["basis"] == BASIS
    assert entry["leaf_hash"] == before["leaf_hash"]
    assert "payload" not in entry["envelope"]
    size = runtime.logs.log(AGENCY).size
    proof = client.get(
        f"/v1/logs/{AGENCY}/proofs/inclusion", params={"index": requested, "size": size}
    )
    assert proof.status_code == 200
    subject = client.get(f"/v1/logs/{AGENCY}/subjects/req-r1", headers=token).json()
    assert subject["state_unknown_from"] == requested
    assert [e.get("missing") for e in subject["entries"]] == ["redacted", None]

    params = {"agency": AGENCY, "from": "2000-01-01", "to": "2099-12-31"}
    bundle = client.get("/v1/bundles", params=params, headers=_auth(world, "inspector"))
    assert bundle.status_code == 200
    assert marker.encode() not in bundle.content
    outcome = verify_whole(bundle.content, runtime.log_verifier_key)
    assert outcome.failures == []
    summary = outcome.logs[AGENCY]
    assert summary.redacted == [requested]
    assert summary.redaction_basis == {requested: BASIS}
    # the approval rested on the redacted request: its effect is unknown, and said so
    assert outcome.exit_code == EXIT_PARTIAL
    assert any("req-r1" in reason for reason in outcome.partial)

    # a second server on the same store folds the log the same way, and appends continue
    again = open_runtime(runtime.settings)
    try:
        state = again.logs.log(AGENCY).agency_state
        assert state.unknown_from("req-r1") == requested
        assert state.request("req-r2") is not None
        with TestClient(create_app(again)) as second:
            signed = world.agency_signer.sign(
                payload("wfa.approved", "req-r2", HEAD, {"note": "ok"})
            )
            accepted = second.post("/v1/entries", json=signed, headers=token)
            assert accepted.status_code == 201, accepted.text
    finally:
        again.close()


def test_redaction_that_leaves_the_replay_whole_is_complete(
    runtime: Runtime, world: World, client: TestClient
) -> None:
    world.append(payload("wfa.requested", "req-r3", STAFF, wfa_request()))
    world.append(payload("entry.annotated", "req-r3", HEAD, {"entry": 1, "note": "catatan"}))
    note = runtime.logs.log(AGENCY).size - 1
    assert _redact(client, world, note).status_code == 201  # type: ignore[attr-defined]
    params = {"agency": AGENCY, "from": "2000-01-01", "to": "2099-12-31"}
    bundle = client.get("/v1/bundles", params=params, headers=_auth(world, "inspector"))
    outcome = verify_whole(bundle.content, runtime.log_verifier_key)
    assert outcome.failures == []
    assert outcome.logs[AGENCY].redacted == [note]
    assert outcome.exit_code == EXIT_COMPLETE, outcome.partial


def test_pages_show_a_redacted_entry_as_redacted(world: World, client: TestClient) -> None:
    from tests.pages.test_sessions import sign_in

    world.append(payload("wfa.requested", "req-r4", STAFF, wfa_request()))
    requested = world.runtime.logs.log(AGENCY).size - 1
    world.append(payload("entry.annotated", "req-r4", HEAD, {"entry": requested, "note": "n"}))
    assert _redact(client, world, requested).status_code == 201  # type: ignore[attr-defined]
    sign_in(client, world.tokens["inspector"])
    for path in (f"/logs/{AGENCY}/entries/{requested}", f"/logs/{AGENCY}/subjects/req-r4"):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert "Muatan entri disunting" in page.text
