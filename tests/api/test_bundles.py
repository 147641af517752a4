"""`GET /v1/bundles`: roles, problem details, streamed bundles that verify; `verify --server`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger.bootstrap import Runtime
from tests.servers import ROOT, Server
from tests.support import (
    AGENCY,
    HEAD,
    OMBUDSMAN,
    OMBUDSMAN_OFFICER,
    STAFF,
    STAFF2,
    UNIT,
    World,
    now,
    payload,
    unit_payload,
    wfa_request,
)

REQUEST = "req-bundle-1"
COMPLAINT = "lm-test-0001"


def _auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


def _story(runtime: Runtime, world: World) -> None:
    world.append(payload("wfa.requested", REQUEST, STAFF, wfa_request(days=2)))
    world.append(payload("wfa.approved", REQUEST, HEAD, {"note": "ok"}))
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
    logs = runtime.logs
    logs.append([logs.prepare(world.ombudsman_signer.sign(filed))])


def _verified(runtime: Runtime, body: bytes) -> dict[str, object]:
    from verification.verifier import verify_whole

    result = verify_whole(body, runtime.log_verifier_key)
    assert result.failures == []
    return json.loads(body)  # type: ignore[no-any-return]


def _entries(bundle: dict[str, object]) -> list[dict[str, object]]:
    records = bundle["records"]
    assert isinstance(records, list)
    return [r for r in records if r["record"] == "entry"]


def _subjects(bundle: dict[str, object]) -> set[str]:
    return {str(e["leaf"]["subject"]) for e in _entries(bundle)}  # type: ignore[index]


@pytest.mark.parametrize(
    ("who", "params"),
    [
        ("inspector", {"log": AGENCY, "subject": REQUEST}),
        ("ombudsman", {"complaint": COMPLAINT}),
        ("agency", {"log": AGENCY, "subject": REQUEST}),
        ("agency", {"agency": AGENCY, "from": "2000-01-01", "to": "2099-12-31"}),
        ("inspector", {"log": AGENCY, "subject": REQUEST, "consistency_from": 3}),
    ],
)
def test_bundle_streams_and_verifies(
    runtime: Runtime, world: World, client: TestClient, who: str, params: dict[str, object]
) -> None:
    _story(runtime, world)
    response = client.get("/v1/bundles", params=params, headers=_auth(world, who))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    bundle = _verified(runtime, response.content)
    assert bundle["format"] == "jejak-bundle/2"
    assert response.headers["x-jejak-log"] == AGENCY
    assert int(response.headers["x-jejak-entries"]) == len(_entries(bundle))
    assert {e["log"] for e in _entries(bundle)} == {"operator", AGENCY}


def test_complaint_bundle_holds_the_unit_and_its_staff(
    runtime: Runtime, world: World, client: TestClient
) -> None:
    _story(runtime, world)
    response = client.get(
        "/v1/bundles", params={"complaint": COMPLAINT}, headers=_auth(world, "inspector")
    )
    subjects = _subjects(_verified(runtime, response.content))
    assert {COMPLAINT, UNIT, HEAD, STAFF, REQUEST, f"policy:{AGENCY}", OMBUDSMAN} <= subjects


def test_bundles_keep_staff_who_moved_on_and_replay_agrees(
    runtime: Runtime, world: World, client: TestClient
) -> None:
    _story(runtime, world)
    world.append(
        unit_payload(f"{AGENCY}/umum"),
        payload("employee.updated", STAFF2, HEAD, {"unit": f"{AGENCY}/umum"}),
    )
    for params in ({"log": AGENCY, "subject": REQUEST}, {"complaint": COMPLAINT}):
        response = client.get("/v1/bundles", params=params, headers=_auth(world, "inspector"))
        assert STAFF2 in _subjects(_verified(runtime, response.content)), params


@pytest.mark.parametrize(
    ("who", "params", "status", "rule"),
    [
        ("other", {"log": AGENCY, "subject": REQUEST}, 404, "not-found"),
        ("other", {"agency": AGENCY}, 403, "not-permitted"),
        ("operator", {"log": AGENCY, "subject": REQUEST}, 403, "not-permitted"),
        ("inspector", {}, 400, "bad-bundle-query"),
        ("inspector", {"subject": REQUEST}, 400, "bad-bundle-query"),
        ("inspector", {"log": "operator", "subject": OMBUDSMAN}, 400, "bad-bundle-query"),
        ("inspector", {"log": "no-such-log", "subject": REQUEST}, 404, "not-found"),
        (
            "inspector",
            {"log": AGENCY, "subject": REQUEST, "complaint": COMPLAINT},
            400,
            "bad-bundle-query",
        ),
        (
            "inspector",
            {"log": AGENCY, "subject": REQUEST, "from": "2026-01-01"},
            400,
            "bad-bundle-query",
        ),
        ("inspector", {"agency": AGENCY, "from": "not-a-day"}, 422, "invalid-request"),
        ("inspector", {"log": AGENCY, "subject": "no-such-subject"}, 404, "not-found"),
        ("inspector", {"complaint": "no-such-complaint"}, 404, "not-found"),
        (
            "inspector",
            {"log": AGENCY, "subject": REQUEST, "consistency_from": 100000},
            400,
            "impossible-proof",
        ),
    ],
)
def test_bundle_refusals_are_problem_details(
    runtime: Runtime,
    world: World,
    client: TestClient,
    who: str,
    params: dict[str, object],
    status: int,
    rule: str,
) -> None:
    _story(runtime, world)
    response = client.get("/v1/bundles", params=params, headers=_auth(world, who))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"urn:jejak:problem:{rule}"


def test_bundle_needs_a_token(runtime: Runtime, world: World, client: TestClient) -> None:
    params = {"log": AGENCY, "subject": REQUEST}
    assert client.get("/v1/bundles", params=params).status_code == 401


def _verify_remote(
    server: Server, token: str, state: Path, log_key: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "verification",
            "verify",
            "--server",
            server.url,
            "--log",
            AGENCY,
            "--subject",
            REQUEST,
            "--token",
            token,
            "--state",
            str(state),
            "--log-key",
            log_key,
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_verify_server_keeps_the_checkpoint_and_catches_a_rewritten_log(
    sqlite_url: str, tmp_path: Path
) -> None:
    from ledger.bootstrap import open_runtime
    from ledger.settings import Settings

    env = {"JEJAK_DATA_DIR": str(tmp_path / "a")}
    runtime = open_runtime(Settings.from_env(env))
    world = World(runtime).setup()
    _story(runtime, world)
    log_private = runtime.settings.log_key_file.read_text().strip()
    log_key, token = runtime.log_verifier_key, world.tokens["inspector"]
    runtime.close()
    state = tmp_path / "checkpoints.json"
    server = Server(env, tmp_path / "a.log")
    try:
        first = _verify_remote(server, token, state, log_key)
        assert first.returncode == 0, first.stdout + first.stderr  # COMPLETE: heads proven
        assert json.loads(first.stdout)["ok"], first.stdout
        kept = json.loads(state.read_text())["logs"]
        origin = runtime.settings.origin
        assert sorted(kept) == sorted([f"{origin}/operator", f"{origin}/{AGENCY}"])
        second = _verify_remote(server, token, state, log_key)
        assert second.returncode == 0, second.stdout + second.stderr
        assert json.loads(second.stdout)["ok"], second.stdout
    finally:
        server.stop()
    # a second history under the same log key: the kept checkpoint exposes it
    forked_env = {"JEJAK_DATA_DIR": str(tmp_path / "b"), "JEJAK_LOG_KEY": log_private}
    forked = open_runtime(Settings.from_env(forked_env))
    forked_world = World(forked).setup()
    _story(forked, forked_world)
    forked_world.append(payload("entry.annotated", REQUEST, HEAD, {"entry": 1, "note": "x"}))
    forked_token = forked_world.tokens["inspector"]
    forked.close()
    server = Server(forked_env, tmp_path / "b.log")
    try:
        third = _verify_remote(server, forked_token, state, log_key)
    finally:
        server.stop()
    assert third.returncode == 1, third.stdout + third.stderr
    failures = json.loads(third.stdout)["failures"]
    assert {f["reason"] for f in failures} == {"consistency"}, failures
    assert AGENCY in {f.get("log") for f in failures}, failures
