"""Deeply nested bodies are refused with 400 before any handler parses them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import World


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def log_size(world: World) -> int:
    """Entries in every log together."""
    logs = world.runtime.logs
    return sum(logs.stores.log(log).recorder.log_size() for log in logs.ids())


def nested(depth: int, opening: str = "[", closing: str = "]") -> str:
    return opening * depth + closing * depth


DEEP_BODIES = {
    "arrays": nested(100_000),
    "objects": '{"a":' * 100_000 + "1" + "}" * 100_000,
    "batch": '{"envelopes":[' + nested(100_000) + "]}",
    "batch-object": '{"envelopes":[{"payload":' + nested(100_000) + "}]}",
}


@pytest.mark.parametrize("name", sorted(DEEP_BODIES))
@pytest.mark.parametrize("path", ["/v1/entries", "/v1/entries/batch"])
def test_refuses_deeply_nested_bodies_with_400_storing_nothing(
    client: TestClient, world: World, name: str, path: str
) -> None:
    before = log_size(world)
    response = client.post(
        path,
        content=DEEP_BODIES[name],
        headers={**auth(world.tokens["agency"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:jejak:problem:too-deep"
    assert log_size(world) == before


def test_refuses_deeply_nested_operator_bodies_with_400(client: TestClient, world: World) -> None:
    response = client.post(
        "/v1/orgs",
        content='{"id":"x","kind":"agency","name":' + nested(100_000) + "}",
        headers={**auth(world.tokens["operator"]), "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "urn:jejak:problem:too-deep"


def test_nesting_to_the_limit_is_judged_on_its_content(client: TestClient, world: World) -> None:
    response = client.post("/v1/entries", content=nested(64), headers=auth(world.tokens["agency"]))
    assert response.status_code == 400, response.text
    assert response.json()["type"] != "urn:jejak:problem:too-deep"


def test_brackets_inside_strings_do_not_count_as_nesting(client: TestClient, world: World) -> None:
    body = '{"envelopes": "' + "[" * 1000 + '"}'
    response = client.post("/v1/entries/batch", content=body, headers=auth(world.tokens["agency"]))
    assert response.status_code == 400, response.text
    assert response.json()["type"] != "urn:jejak:problem:too-deep"
