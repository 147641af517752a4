"""End-to-end: out-of-bounds payloads are 422 problems naming the field, and store nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import (
    AGENCY,
    HEAD,
    STAFF,
    World,
    payload,
    policy_data,
    signer,
    unit_payload,
    wfa_request,
)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def log_size(world: World) -> int:
    return world.runtime.logs.stores.log(AGENCY).recorder.log_size()


HOSTILE = {
    "approval dated 9999-12-31": (
        payload("wfa.approved", "req-1", HEAD, {"dates": ["9999-12-31"]}),
        "payload-schema",
        "data.dates.0",
    ),
    "NUL in a policy version": (
        payload("policy.enacted", f"policy:{AGENCY}", HEAD, policy_data(version="v2\x00")),
        "payload-schema",
        "data.version",
    ),
    "number beyond 2^53": (
        payload("wfa.requested", "req-2", STAFF, {**wfa_request(), "score": 10**400}),
        "payload-schema",
        "data.score",
    ),
    "subject ../../etc/passwd": (
        unit_payload("../../etc/passwd"),
        "payload-schema",
        "subject",
    ),
    "unit under a key subject": (
        unit_payload("key:" + "ab" * 32),
        "subject-namespace",
        "subject",
    ),
    "instant with an extreme offset": (
        {**unit_payload(f"{AGENCY}/x"), "occurred_at": "9999-12-31T23:59:59-23:59"},
        "payload-schema",
        "occurred_at",
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_refuses_out_of_bounds_payload_with_422_naming_the_field(
    client: TestClient, world: World, case: str
) -> None:
    token = auth(world.tokens["agency"])
    request = world.agency_signer.sign(payload("wfa.requested", "req-1", STAFF, wfa_request()))
    assert client.post("/v1/entries", json=request, headers=token).status_code == 201
    size = log_size(world)
    body, rule, field = HOSTILE[case]
    response = client.post("/v1/entries", json=world.agency_signer.sign(body), headers=token)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith(rule)
    assert field in problem["detail"]
    assert log_size(world) == size
    assert world.runtime.logs.log(AGENCY).size == size
    subject = client.get(f"/v1/logs/{AGENCY}/subjects/req-1", headers=token)
    assert subject.status_code == 200, subject.text


def test_accepts_payload_at_the_bounds(client: TestClient, world: World) -> None:
    data = {**wfa_request(), "reason": "baris satu\nbaris dua\t" + "x" * 3_970, "score": 2**53}
    envelope = world.agency_signer.sign(payload("wfa.requested", "req-1", STAFF, data))
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 201, response.text
    unit = world.agency_signer.sign(unit_payload(f"{AGENCY}/Loket_2.b:pagi"))
    response = client.post("/v1/entries", json=unit, headers=auth(world.tokens["agency"]))
    assert response.status_code == 201, response.text


def test_refuses_envelope_of_nine_signatures_with_422_and_stores_nothing(
    client: TestClient, world: World
) -> None:
    envelope = world.agency_signer.sign(payload("wfa.requested", "req-1", STAFF, wfa_request()))
    extra = [signer(f"stranger-{i}").sign(payload("x", "y", STAFF, {})) for i in range(8)]
    signatures = envelope["signatures"]
    assert isinstance(signatures, list)
    envelope["signatures"] = signatures + [e["signatures"][0] for e in extra]  # type: ignore[index]
    size = log_size(world)
    response = client.post("/v1/entries", json=envelope, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("too-many-signatures")
    assert response.json()["detail"].startswith("signatures: at most 8 signatures")
    batch = {"envelopes": [world.agency_signer.sign(unit_payload(f"{AGENCY}/u-ok")), envelope]}
    response = client.post("/v1/entries/batch", json=batch, headers=auth(world.tokens["agency"]))
    assert response.status_code == 422, response.text
    assert response.json()["position"] == 1
    assert response.json()["type"].endswith("too-many-signatures")
    assert log_size(world) == size
