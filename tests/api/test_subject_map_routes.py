"""The subject-map note and proof over HTTP: public, verifiable against the note of the same
size, and problems (never 5xx) for sizes that published none."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import AGENCY, HEAD, STAFF, World, payload, wfa_request
from verification.logcheck import read_note
from verification.subject_map import parse_subject_proof, verify_subject_proof


def test_a_subject_head_is_proven_against_the_note_of_each_published_size(
    client: TestClient, world: World
) -> None:
    world.append(payload("wfa.requested", "req-map", STAFF, wfa_request(STAFF)))
    first = int(client.get(f"/v1/logs/{AGENCY}/checkpoint").text.split("\n")[1])
    world.append(payload("wfa.approved", "req-map", HEAD, {"note": "ok"}))
    key = client.get("/v1/log-key").text.strip()
    latest = first + 1
    for size, version in ((first, 1), (latest, 2)):
        note = client.get(f"/v1/logs/{AGENCY}/subject-maps/{size}")
        assert note.status_code == 200, note.text
        assert note.headers["content-type"].startswith("text/plain")
        parsed = read_note(note.text, key)
        assert (parsed.origin, parsed.size) == (f"{key.split('+')[0]}/{AGENCY}/subjects", size)
        answer = client.get(f"/v1/logs/{AGENCY}/proofs/subject?subject=req-map&size={size}")
        assert answer.status_code == 200, answer.text
        head = verify_subject_proof(parse_subject_proof(answer.json()), parsed.root, size)
        assert head is not None
        assert head.version == version
    absent = client.get(f"/v1/logs/{AGENCY}/proofs/subject?subject=req-none&size={latest}")
    root = read_note(client.get(f"/v1/logs/{AGENCY}/subject-maps/{latest}").text, key).root
    assert verify_subject_proof(parse_subject_proof(absent.json()), root, latest) is None


def test_sizes_without_a_note_are_404_problems(client: TestClient, world: World) -> None:
    size = int(client.get(f"/v1/logs/{AGENCY}/checkpoint").text.split("\n")[1])
    for path in (
        f"/v1/logs/{AGENCY}/subject-maps/{size + 5}",
        f"/v1/logs/{AGENCY}/proofs/subject?subject=req-1&size={size + 5}",
        "/v1/logs/no-such-log/subject-maps/1",
        "/v1/logs/no-such-log/proofs/subject?subject=req-1&size=1",
    ):
        response = client.get(path)
        assert response.status_code == 404, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
