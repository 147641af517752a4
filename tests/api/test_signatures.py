"""Every signature of an envelope counts (DESIGN §5), and DSSE as written is accepted."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from tests.support import AGENCY, STAFF, World, now, payload, wfa_request
from verification.dsse import PAYLOAD_TYPE, keyid_of, pae


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def log_size(world: World) -> int:
    return world.runtime.logs.stores.log(AGENCY).recorder.log_size()


def envelope(world: World, subject: str = "req-sig") -> dict[str, object]:
    return world.agency_signer.sign(payload("wfa.requested", subject, STAFF, wfa_request()))


def stranger_signatures(env: dict[str, object], count: int) -> list[dict[str, str]]:
    """Valid signatures over the envelope by keys that nobody registered."""
    message = pae(PAYLOAD_TYPE, base64.b64decode(str(env["payload"])))
    signatures = []
    for n in range(count):
        key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"stranger %d" % n).digest())
        signatures.append(
            {
                "keyid": keyid_of(key.public_key().public_bytes_raw()),
                "sig": base64.b64encode(key.sign(message)).decode(),
            }
        )
    return signatures


def with_signatures(env: dict[str, object], signatures: list[dict[str, str]]) -> dict[str, object]:
    return {**env, "signatures": signatures}


def own_signatures(env: dict[str, object]) -> list[dict[str, str]]:
    signatures = env["signatures"]
    assert isinstance(signatures, list)
    return list(signatures)


def post(client: TestClient, world: World, body: dict[str, object]) -> tuple[int, dict[str, str]]:
    response = client.post("/v1/entries", json=body, headers=auth(world.tokens["agency"]))
    return response.status_code, response.json()


def test_refuses_a_valid_signature_beside_seven_by_unknown_keys(
    client: TestClient, world: World
) -> None:
    env = envelope(world)
    before = log_size(world)
    status, body = post(
        client, world, with_signatures(env, own_signatures(env) + stranger_signatures(env, 7))
    )
    assert status == 422, body
    assert body["type"] == "urn:jejak:problem:key-unknown"
    assert log_size(world) == before


def test_refuses_an_unknown_key_signing_before_the_valid_one(
    client: TestClient, world: World
) -> None:
    env = envelope(world)
    signatures = stranger_signatures(env, 1) + own_signatures(env)
    status, body = post(client, world, with_signatures(env, signatures))
    assert status == 422, body
    assert body["type"] == "urn:jejak:problem:key-unknown"


def test_refuses_a_second_signature_by_another_agencys_key(
    client: TestClient, world: World
) -> None:
    env = envelope(world)
    message = pae(PAYLOAD_TYPE, base64.b64decode(str(env["payload"])))
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"jejak-test:kota-lain").digest())
    foreign = [
        {"keyid": world.other_signer.keyid, "sig": base64.b64encode(key.sign(message)).decode()}
    ]
    status, body = post(client, world, with_signatures(env, own_signatures(env) + foreign))
    assert status == 422, body
    assert body["type"] == "urn:jejak:problem:key-foreign"


def test_refuses_a_second_signature_by_a_revoked_key(client: TestClient, world: World) -> None:
    spare = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"spare").digest())
    raw = spare.public_key().public_bytes_raw()
    operator = world.runtime.operator
    operator.add_key("kab-contoh", base64.b64encode(raw).decode(), None, now() - timedelta(days=1))
    operator.revoke_key(keyid_of(raw), "lost", now() - timedelta(hours=1))
    env = envelope(world)
    message = pae(PAYLOAD_TYPE, base64.b64decode(str(env["payload"])))
    revoked = [{"keyid": keyid_of(raw), "sig": base64.b64encode(spare.sign(message)).decode()}]
    status, body = post(client, world, with_signatures(env, own_signatures(env) + revoked))
    assert status == 422, body
    assert body["type"] == "urn:jejak:problem:key-revoked"


def test_accepts_a_signature_without_keyid_and_names_the_key(
    client: TestClient, world: World
) -> None:
    env = envelope(world)
    status, receipt = post(
        client, world, with_signatures(env, [{"sig": own_signatures(env)[0]["sig"]}])
    )
    assert status == 201, receipt
    stored = client.get(
        f"/v1/logs/{AGENCY}/entries/{receipt['index']}", headers=auth(world.tokens["agency"])
    )
    assert stored.json()["envelope"]["signatures"] == own_signatures(env)
    assert stored.json()["leaf"]["signatures"] == own_signatures(env)


def test_refuses_a_signature_without_keyid_by_no_registered_key(
    client: TestClient, world: World
) -> None:
    env = envelope(world)
    [stranger] = stranger_signatures(env, 1)
    before = log_size(world)
    status, body = post(client, world, with_signatures(env, [{"sig": stranger["sig"]}]))
    assert status == 422, body
    assert body["type"] == "urn:jejak:problem:key-unknown"
    assert log_size(world) == before


def test_refuses_a_signature_without_keyid_by_another_agencys_key(
    client: TestClient, world: World
) -> None:
    env = envelope(world)
    message = pae(PAYLOAD_TYPE, base64.b64decode(str(env["payload"])))
    key = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"jejak-test:kota-lain").digest())
    sig = base64.b64encode(key.sign(message)).decode()
    status, body = post(client, world, with_signatures(env, [{"sig": sig}]))
    assert status == 422, body
    assert body["type"] == "urn:jejak:problem:key-unknown"


def url_safe(text: str) -> str:
    return text.replace("+", "-").replace("/", "_").rstrip("=")


def test_accepts_url_safe_base64_and_stores_the_standard_form(
    client: TestClient, world: World
) -> None:
    env = envelope(world)
    [signature] = own_signatures(env)
    sent = {
        **env,
        "payload": url_safe(str(env["payload"])),
        "signatures": [{"keyid": signature["keyid"], "sig": url_safe(signature["sig"])}],
    }
    status, receipt = post(client, world, sent)
    assert status == 201, receipt
    stored = client.get(
        f"/v1/logs/{AGENCY}/entries/{receipt['index']}", headers=auth(world.tokens["agency"])
    )
    assert stored.json()["envelope"]["payload"] == env["payload"]
    assert stored.json()["envelope"]["signatures"] == [signature]
    status, again = post(client, world, env)
    assert status == 200, again
    assert again["index"] == receipt["index"]


def test_refuses_base64_mixing_both_alphabets(client: TestClient, world: World) -> None:
    env = envelope(world)
    [signature] = own_signatures(env)
    mixed = "-" + signature["sig"][1:].replace("-", "+")
    if "/" not in mixed and "+" not in mixed:
        mixed = mixed[:-3] + "+" + mixed[-2:]
    status, body = post(client, world, with_signatures(env, [{**signature, "sig": mixed}]))
    assert status == 400, body
