"""Integers, dates and instants in paths and queries out of range: 404 or 422, never 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support import AGENCY, World


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


HUGE = "9" * 20
HUGE_INT_GETS = [
    f"/v1/logs/{AGENCY}/entries/{HUGE}",
    f"/v1/logs/operator/entries/{HUGE}",
    f"/v1/logs/{AGENCY}/checkpoints/{HUGE}",
    f"/v1/logs/{AGENCY}/proofs/inclusion?index={HUGE}&size=1",
    f"/v1/logs/{AGENCY}/proofs/inclusion?index=0&size={HUGE}",
    f"/v1/logs/{AGENCY}/proofs/consistency?old={HUGE}&new=2",
    f"/v1/logs/{AGENCY}/proofs/consistency?old=1&new={HUGE}",
    f"/v1/logs/{AGENCY}/subject-maps/{HUGE}",
    f"/v1/logs/{AGENCY}/proofs/subject?subject=req-1&size={HUGE}",
    f"/v1/agencies/{AGENCY}/requests?limit={HUGE}",
    f"/v1/agencies/{AGENCY}/requests?min_index={HUGE}",
    f"/v1/bundles?log={AGENCY}&subject=req-1&consistency_from={HUGE}",
]


@pytest.mark.parametrize("path", HUGE_INT_GETS)
def test_integers_out_of_range_are_404_or_422_problems(
    client: TestClient, world: World, path: str
) -> None:
    response = client.get(path, headers=auth(world.tokens["inspector"]))
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/logs/{AGENCY}/entries/-{HUGE}",
        f"/v1/logs/{AGENCY}/entries/-1",
        f"/v1/logs/{AGENCY}/checkpoints/-1",
        f"/v1/logs/{AGENCY}/subject-maps/-1",
        f"/v1/logs/{AGENCY}/proofs/subject?subject=req-1&size=0",
        f"/v1/logs/{AGENCY}/proofs/subject?subject=&size=1",
        f"/v1/logs/{AGENCY}/proofs/subject?subject={'x' * 129}&size=1",
        f"/v1/logs/{AGENCY}/proofs/subject?size=1",
    ],
)
def test_negative_indexes_and_sizes_are_problems(
    client: TestClient, world: World, path: str
) -> None:
    response = client.get(path, headers=auth(world.tokens["inspector"]))
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"] == "application/problem+json"


OUT_OF_RANGE_INSTANTS = [
    "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "1999-12-31T23:59:59Z",
    "2100-01-01T00:00:00Z",
]


@pytest.mark.parametrize("at", OUT_OF_RANGE_INSTANTS)
@pytest.mark.parametrize(
    "path",
    [
        f"/v1/agencies/{AGENCY}/requests",
        f"/v1/agencies/{AGENCY}/compliance",
        f"/v1/logs/{AGENCY}/subjects/req-1/history",
    ],
)
def test_instants_out_of_bounds_are_422_problems(
    client: TestClient, world: World, path: str, at: str
) -> None:
    response = client.get(path, params={"as_of": at}, headers=auth(world.tokens["inspector"]))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "as_of" in response.json()["detail"]


@pytest.mark.parametrize(
    "params",
    [
        {"agency": AGENCY, "from": "9999-12-31", "to": "9999-12-31"},
        {"agency": AGENCY, "from": "0001-01-01", "to": "2026-01-01"},
        {"agency": AGENCY, "from": "2026-01-01", "to": "2100-01-01"},
    ],
)
def test_bundle_periods_out_of_bounds_are_422_problems(
    client: TestClient, world: World, params: dict[str, str]
) -> None:
    response = client.get("/v1/bundles", params=params, headers=auth(world.tokens["inspector"]))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("name", ["from", "to"])
@pytest.mark.parametrize(
    "path", [f"/v1/agencies/{AGENCY}/requests", f"/v1/agencies/{AGENCY}/units/u/days"]
)
def test_read_model_dates_out_of_bounds_are_422_problems(
    client: TestClient, world: World, path: str, name: str
) -> None:
    response = client.get(
        path, params={name: "9999-12-31"}, headers=auth(world.tokens["inspector"])
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_min_index_past_the_log_is_404_at_once_not_a_503_wait(
    client: TestClient, world: World
) -> None:
    size = world.runtime.logs.stores.log(AGENCY).recorder.log_size()
    response = client.get(
        f"/v1/agencies/{AGENCY}/requests",
        params={"min_index": size + 10},
        headers=auth(world.tokens["inspector"]),
    )
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/agencies/{AGENCY}/requests?status=%00",
        f"/v1/agencies/{AGENCY}/requests?employee=a%00b",
        f"/v1/agencies/{AGENCY}/compliance?unit=%00",
        f"/v1/agencies/{AGENCY}/evaluations?period=%00",
        f"/v1/logs/{AGENCY}/subjects/a%00b",
        f"/v1/logs/{AGENCY}/subjects/a%00b/history?as_of=2026-01-01T00:00:00Z",
        "/v1/logs/a%00b/entries/0",
        "/v1/logs/a%00b/checkpoint",
        "/v1/complaints/a%00b",
        f"/v1/bundles?log={AGENCY}&subject=a%00b",
        f"/v1/agencies/{AGENCY}/units/a%00b/days",
    ],
)
def test_nul_in_a_path_or_query_is_a_client_error(
    client: TestClient, world: World, path: str
) -> None:
    response = client.get(path, headers=auth(world.tokens["inspector"]))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
