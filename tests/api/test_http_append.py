"""End-to-end: appending through the real HTTP app, every status code of DESIGN §7."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient

from tests.support import (
    AGENCY,
    HEAD,
    OMBUDSMAN,
    OTHER_AGENCY,
    STAFF,
    UNIT,
    World,
    payload,
    signed_complaint,
    signer,
    unit_payload,
    wfa_request,
)
from verification.merkle import verify_inclusion
from verification.note import parse_checkpoint, verify_note


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def request_envelope(world: World, subject: str = "req-1", **kw: object) -> dict[str, object]:
    return world.agency_signer.sign(payload("wfa.requested", subject, STAFF, wfa_request(**kw)))  # type: ignore[arg-type]


def log_size(world: World, log: str = AGENCY) -> int:
    return world.runtime.logs.stores.log(log).recorder.log_size()


def test_append_answers_201_with_a_receipt_whose_proof_verifies(
    client: TestClient, world: World
) -> None:
    response = client.post(
        "/v1/entries", json=request_envelope(world), headers=auth(world.tokens["agency"])
    )
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["subject"] == "req-1"
    assert receipt["version"] == 1
    assert receipt["log"] == AGENCY
    assert receipt["index"] == log_size(world) - 1
    text = verify_note(receipt["checkpoint"], world.runtime.log_verifier_key)
    checkpoint = parse_checkpoint(text)
    assert checkpoint.origin == f"{world.runtime.settings.origin}/{AGENCY}"
    assert checkpoint.size > receipt["index"]
    verify_inclusion(
        bytes.fromhex(receipt["leaf_hash"]),
        receipt["index"],
        checkpoint.size,
        [bytes.fromhex(h) for h in receipt["inclusion_proof"]],
        checkpoint.root,
    )


def test_exact_resubmission_returns_the_original_receipt_and_stores_nothing(
    client: TestClient, world: World
) -> None:
    envelope = request_envelope(world)
    first = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    size = log_size(world)
    again = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert again.status_code == 200
    assert again.json()["index"] == first.json()["index"]
    assert again.json()["leaf_hash"] == first.json()["leaf_hash"]
    assert log_size(world) == size


def test_refuses_body_that_is_not_json_with_400(client: TestClient, world: World) -> None:
    response = client.post(
        "/v1/entries", content=b"{not json", headers=auth(world.tokens["agency"])
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("not-json")


def test_refuses_envelope_with_bad_base64_with_400(client: TestClient, world: World) -> None:
    envelope = request_envelope(world)
    envelope["payload"] = "***"
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 400
    assert response.json()["type"].endswith("malformed-envelope")


def test_refuses_envelope_without_signatures_with_400(client: TestClient, world: World) -> None:
    envelope = request_envelope(world)
    del envelope["signatures"]
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 400


def test_refuses_missing_and_unknown_tokens_with_401(client: TestClient, world: World) -> None:
    envelope = request_envelope(world)
    assert client.post("/v1/entries", json=envelope).status_code == 401
    response = client.post("/v1/entries", json=envelope, headers=auth("jejak_unknown"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_refuses_agency_token_writing_for_another_agency_with_403(
    client: TestClient, world: World
) -> None:
    response = client.post(
        "/v1/entries", json=request_envelope(world), headers=auth(world.tokens["other"])
    )
    assert response.status_code == 403
    assert OTHER_AGENCY in response.json()["detail"]


def test_refuses_inspector_and_ombudsman_writing_agency_events_with_403(
    client: TestClient, world: World
) -> None:
    envelope = request_envelope(world)
    assert (
        client.post(
            "/v1/entries", json=envelope, headers=auth(world.tokens["inspector"])
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/v1/entries", json=envelope, headers=auth(world.tokens["ombudsman"])
        ).status_code
        == 403
    )


def test_refuses_deciding_an_unknown_request_with_409(client: TestClient, world: World) -> None:
    envelope = world.agency_signer.sign(
        payload("wfa.approved", "no-such-request", HEAD, {"note": "ok"})
    )
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 409
    assert response.json()["type"].endswith("impossible-transition")


def test_refuses_same_payload_under_other_signatures_with_409(
    client: TestClient, world: World
) -> None:
    envelope = request_envelope(world)
    client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    doubled = dict(envelope)
    doubled["signatures"] = [*envelope["signatures"], *envelope["signatures"]]  # type: ignore[misc]
    response = client.post("/v1/entries", json=doubled, headers=auth(world.tokens["agency"]))
    assert response.status_code == 409
    assert response.json()["type"].endswith("duplicate-payload")


def test_refuses_body_over_one_mebibyte_with_413(client: TestClient, world: World) -> None:
    size = log_size(world)
    body = b'{"payload": "' + b"A" * (1024 * 1024 + 10) + b'"}'
    response = client.post("/v1/entries", content=body, headers=auth(world.tokens["agency"]))
    assert response.status_code == 413
    assert response.json()["type"].endswith("body-too-large")
    assert log_size(world) == size


def test_refuses_bad_signature_with_422(client: TestClient, world: World) -> None:
    envelope = request_envelope(world)
    other = world.other_signer.sign(payload("wfa.requested", "req-x", STAFF, wfa_request()))
    envelope["signatures"] = [
        {"keyid": world.agency_signer.keyid, "sig": other["signatures"][0]["sig"]}
    ]  # type: ignore[index]
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422
    assert response.json()["type"].endswith("bad-signature")


def test_refuses_unknown_key_with_422(client: TestClient, world: World) -> None:
    envelope = signer("stranger").sign(payload("wfa.requested", "req-2", STAFF, wfa_request()))
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422
    assert response.json()["type"].endswith("key-unknown")


def test_refuses_key_of_another_organisation_with_422(client: TestClient, world: World) -> None:
    envelope = world.other_signer.sign(payload("wfa.requested", "req-2", STAFF, wfa_request()))
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422
    assert response.json()["type"].endswith("key-foreign")


def test_refuses_personal_key_acting_for_another_official_with_422(
    client: TestClient, world: World
) -> None:
    personal = signer("staff-personal")
    world.runtime.operator.add_key(AGENCY, personal.public_key_b64, holder=HEAD)
    refused = personal.sign(payload("wfa.requested", "req-2", STAFF, wfa_request()))
    response = client.post("/v1/entries", json=refused, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422
    assert response.json()["type"].endswith("key-holder-mismatch")
    assert world.runtime.logs.log(AGENCY).agency_state.request("req-2") is None
    accepted = personal.sign(unit_payload("unit-x"))
    response = client.post("/v1/entries", json=accepted, headers=auth(world.tokens["agency"]))
    assert response.status_code == 201, response.text


def test_refuses_revoked_key_with_422(client: TestClient, world: World) -> None:
    world.runtime.operator.revoke_key(world.agency_signer.keyid, "lost laptop")
    response = client.post(
        "/v1/entries", json=request_envelope(world), headers=auth(world.tokens["agency"])
    )
    assert response.status_code == 422
    assert response.json()["type"].endswith("key-revoked")


def test_refuses_unknown_event_type_with_422(client: TestClient, world: World) -> None:
    envelope = world.agency_signer.sign(payload("wfa.teleported", "req-1", STAFF, {}))
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422
    assert response.json()["type"].endswith("unknown-event-type")


def test_refuses_payload_schema_violation_with_422(client: TestClient, world: World) -> None:
    data = wfa_request()
    data["kind"] = "teleport"
    envelope = world.agency_signer.sign(payload("wfa.requested", "req-1", STAFF, data))
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422
    assert response.json()["type"].endswith("payload-schema")


def test_refuses_unknown_actor_with_422(client: TestClient, world: World) -> None:
    data = wfa_request(employee_nip="199999999999999999")
    envelope = world.agency_signer.sign(
        payload("wfa.requested", "req-1", "199999999999999999", data)
    )
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422
    assert response.json()["type"].endswith("unknown-actor")


def test_refuses_unknown_payload_type_with_422(client: TestClient, world: World) -> None:
    envelope = request_envelope(world)
    envelope["payloadType"] = "text/plain"
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422


def test_every_refusal_stores_nothing(client: TestClient, world: World) -> None:
    size = log_size(world)
    bad = request_envelope(world)
    bad["payload"] = base64.b64encode(b'{"type": "x"}').decode()
    for body, token in (
        (bad, world.tokens["agency"]),
        (request_envelope(world), world.tokens["other"]),
        (
            world.agency_signer.sign(payload("wfa.approved", "nope", HEAD, {})),
            world.tokens["agency"],
        ),
    ):
        assert client.post("/v1/entries", json=body, headers=auth(token)).status_code >= 400
    assert log_size(world) == size
    assert world.runtime.logs.log(AGENCY).size == size


def test_batch_is_all_or_nothing_and_names_the_failing_position(
    client: TestClient, world: World
) -> None:
    size = log_size(world)
    good = [request_envelope(world, "req-a"), request_envelope(world, "req-b")]
    bad = world.agency_signer.sign(payload("wfa.approved", "nope", HEAD, {}))
    response = client.post(
        "/v1/entries/batch",
        json={"envelopes": [good[0], bad, good[1]]},
        headers=auth(world.tokens["agency"]),
    )
    assert response.status_code == 409
    assert response.json()["position"] == 1
    assert log_size(world) == size
    accepted = client.post(
        "/v1/entries/batch", json={"envelopes": good}, headers=auth(world.tokens["agency"])
    )
    assert accepted.status_code == 201
    receipts = accepted.json()["receipts"]
    assert [r["index"] for r in receipts] == [size, size + 1]
    assert {r["log"] for r in receipts} == {AGENCY}


def test_batch_spanning_two_logs_is_refused_with_422_and_stores_nothing(
    client: TestClient, world: World
) -> None:
    sizes = (log_size(world), log_size(world, OTHER_AGENCY))
    mine = signed_complaint(world, "lm-1", AGENCY, UNIT)
    theirs = signed_complaint(world, "lm-2", OTHER_AGENCY, f"{OTHER_AGENCY}/loket")
    response = client.post(
        "/v1/entries/batch",
        json={"envelopes": [mine, theirs]},
        headers=auth(world.tokens["ombudsman"]),
    )
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("batch-spans-logs")
    assert (log_size(world), log_size(world, OTHER_AGENCY)) == sizes
    alone = client.post(
        "/v1/entries/batch", json={"envelopes": [mine]}, headers=auth(world.tokens["ombudsman"])
    )
    assert alone.status_code == 201, alone.text
    assert alone.json()["receipts"][0]["log"] == AGENCY


def test_batch_names_the_position_of_a_malformed_item(client: TestClient, world: World) -> None:
    response = client.post(
        "/v1/entries/batch",
        json={"envelopes": [request_envelope(world, "req-a"), {"payload": 1}]},
        headers=auth(world.tokens["agency"]),
    )
    assert response.status_code == 400
    assert response.json()["position"] == 1


def test_batch_may_decide_a_request_it_creates(client: TestClient, world: World) -> None:
    approve = world.agency_signer.sign(payload("wfa.approved", "req-a", HEAD, {"note": "ok"}))
    response = client.post(
        "/v1/entries/batch",
        json={"envelopes": [request_envelope(world, "req-a"), approve]},
        headers=auth(world.tokens["agency"]),
    )
    assert response.status_code == 201, response.text
    assert [r["version"] for r in response.json()["receipts"]] == [1, 2]


def test_reads_entry_and_subject_with_state(client: TestClient, world: World) -> None:
    receipt = client.post(
        "/v1/entries", json=request_envelope(world), headers=auth(world.tokens["agency"])
    ).json()
    entry = client.get(
        f"/v1/logs/{AGENCY}/entries/{receipt['index']}", headers=auth(world.tokens["inspector"])
    )
    assert entry.status_code == 200
    body = entry.json()
    assert body["log"] == body["leaf"]["log"] == AGENCY
    assert body["payload"]["type"] == "wfa.requested"
    assert body["leaf"]["prev"] is None
    assert body["leaf_hash"] == receipt["leaf_hash"]
    approve = world.agency_signer.sign(payload("wfa.approved", "req-1", STAFF, {"note": "self"}))
    client.post("/v1/entries", json=approve, headers=auth(world.tokens["agency"]))
    subject = client.get(
        f"/v1/logs/{AGENCY}/subjects/req-1", headers=auth(world.tokens["agency"])
    ).json()
    assert subject["log"] == AGENCY
    assert [e["leaf"]["version"] for e in subject["entries"]] == [1, 2]
    assert subject["entries"][1]["leaf"]["prev"] == receipt["leaf_hash"]
    assert "self-approval" in {f["rule"] for f in subject["flags"]}
    agency, other = auth(world.tokens["agency"]), auth(world.tokens["other"])
    assert client.get(f"/v1/logs/{AGENCY}/subjects/req-1", headers=other).status_code == 404
    assert client.get(f"/v1/logs/{OTHER_AGENCY}/subjects/req-1", headers=agency).status_code == 404
    assert client.get(f"/v1/logs/{AGENCY}/subjects/nope", headers=agency).status_code == 404
    assert client.get(f"/v1/logs/{AGENCY}/entries/{10**6}", headers=agency).status_code == 404
    assert client.get("/v1/logs/no-such-log/entries/0", headers=agency).status_code == 404
    assert client.get(f"/v1/logs/{AGENCY}/entries/0").status_code == 401


def test_the_registry_log_entries_are_public(client: TestClient, world: World) -> None:
    genesis = client.get("/v1/logs/operator/entries/0")
    assert genesis.status_code == 200, genesis.text
    assert genesis.json()["payload"]["type"] == "key.registered"
    assert genesis.json()["log"] == "operator"
    size = log_size(world, "operator")
    assert client.get(f"/v1/logs/operator/entries/{size}").status_code == 404


def test_lists_every_log_with_its_size_and_checkpoint(client: TestClient, world: World) -> None:
    key = world.runtime.log_verifier_key
    logs = client.get("/v1/logs").json()["logs"]
    assert [log["id"] for log in logs] == ["operator", AGENCY, OTHER_AGENCY]
    for log in logs:
        assert log["origin"] == f"{world.runtime.settings.origin}/{log['id']}"
        assert log["size"] == log_size(world, log["id"])
    empty = logs[2]
    assert empty["size"] == 0
    assert empty["checkpoint"] is None
    for log in logs[:2]:
        checkpoint = parse_checkpoint(verify_note(log["checkpoint"], key))
        assert (checkpoint.origin, checkpoint.size) == (log["origin"], log["size"])


@pytest.mark.parametrize("log", ["operator", AGENCY])
def test_public_log_endpoints(client: TestClient, world: World, log: str) -> None:
    key = client.get("/v1/log-key").text.strip()
    assert key == world.runtime.log_verifier_key
    base = f"/v1/logs/{log}"
    note = client.get(f"{base}/checkpoint").text
    checkpoint = parse_checkpoint(verify_note(note, key))
    assert checkpoint.origin == f"{world.runtime.settings.origin}/{log}"
    assert client.get(f"{base}/checkpoints/{checkpoint.size}").text == note
    assert client.get(f"{base}/checkpoints/{checkpoint.size + 100}").status_code == 404
    proof = client.get(f"{base}/proofs/inclusion?index=0&size={checkpoint.size}").json()
    assert proof["log"] == log
    verify_inclusion(
        bytes.fromhex(proof["leaf_hash"]),
        0,
        checkpoint.size,
        [bytes.fromhex(h) for h in proof["hashes"]],
        checkpoint.root,
    )
    size = checkpoint.size
    assert client.get(f"{base}/proofs/inclusion?index={size}&size={size}").status_code == 400
    assert client.get(f"{base}/proofs/consistency?old=2&new=1").status_code == 400
    assert client.get(f"{base}/proofs/consistency?old=1&new={size}").status_code == 200
    assert client.get(f"{base}/proofs/consistency?old=1&new={size + 1}").status_code == 404


def test_unknown_and_empty_logs_answer_404(client: TestClient, world: World) -> None:
    for path in ("checkpoint", "checkpoints/1", "proofs/inclusion?index=0&size=1"):
        assert client.get(f"/v1/logs/no-such-log/{path}").status_code == 404, path
        assert client.get(f"/v1/logs/{OTHER_AGENCY}/{path}").status_code == 404, path
    assert client.get(f"/v1/logs/{OMBUDSMAN}/checkpoint").status_code == 404  # not an agency


def test_operator_endpoints_register_orgs_keys_and_tokens(client: TestClient, world: World) -> None:
    operator = auth(world.tokens["operator"])
    assert (
        client.post(
            "/v1/orgs",
            json={"id": "kab-baru", "kind": "agency", "name": "Kab Baru"},
            headers=operator,
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/v1/orgs",
            json={"id": "kab-baru", "kind": "agency", "name": "Kab Baru"},
            headers=operator,
        ).status_code
        == 409
    )
    new_key = signer("kab-baru")
    added = client.post(
        "/v1/orgs/kab-baru/keys", json={"public_key": new_key.public_key_b64}, headers=operator
    )
    assert added.status_code == 201
    assert added.json()["keyid"] == new_key.keyid
    token = client.post("/v1/tokens", json={"role": "agency", "org": "kab-baru"}, headers=operator)
    assert token.status_code == 201
    assert (
        client.post(
            "/v1/tokens", json={"role": "agency", "org": "nope"}, headers=operator
        ).status_code
        == 422
    )
    revoked = client.post(
        f"/v1/keys/{new_key.keyid}/revoke", json={"reason": "test"}, headers=operator
    )
    assert revoked.status_code == 201
    assert (
        client.post(
            "/v1/orgs",
            json={"id": "x", "kind": "agency", "name": "X"},
            headers=auth(world.tokens["agency"]),
        ).status_code
        == 403
    )


def test_problem_details_name_the_rule_and_status(client: TestClient, world: World) -> None:
    response = client.post("/v1/entries", content=b"[]", headers=auth(world.tokens["agency"]))
    problem = response.json()
    assert set(problem) >= {"type", "title", "status", "detail"}
    assert problem["status"] == response.status_code == 400
    assert json.loads(response.content)["type"].startswith("urn:jejak:problem:")


def test_strict_flag_is_refused_with_422(client: TestClient, world: World) -> None:
    from tests.support import policy_data

    world.append(
        payload(
            "policy.enacted",
            f"policy:{AGENCY}",
            HEAD,
            policy_data(version=2, strict=["self-approval"]),
        )
    )
    client.post("/v1/entries", json=request_envelope(world), headers=auth(world.tokens["agency"]))
    approve = world.agency_signer.sign(payload("wfa.approved", "req-1", STAFF, {"note": "self"}))
    response = client.post("/v1/entries", json=approve, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422
    assert "self-approval" in response.text


def test_refused_item_in_a_group_never_fails_its_neighbours(
    client: TestClient, world: World
) -> None:
    import threading

    from tests.support import unit_payload

    bad = world.agency_signer.sign(payload("wfa.approved", "nope", HEAD, {}))
    bodies = [world.agency_signer.sign(unit_payload(f"u-{i}")) for i in range(20)] + [bad] * 5
    statuses: list[int] = []

    def send(body: dict[str, object]) -> None:
        statuses.append(
            client.post("/v1/entries", json=body, headers=auth(world.tokens["agency"])).status_code
        )

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 20 + [409] * 5
