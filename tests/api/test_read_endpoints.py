"""The read API over HTTP on each store: filters, pagination, roles, 404, as_of and min_index."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.support import (
    AGENCY,
    HEAD,
    OTHER_AGENCY,
    STAFF,
    STAFF2,
    UNIT,
    World,
    payload,
    wfa_request,
)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _requests(world: World, count: int) -> int:
    for n in range(count):
        who = STAFF if n % 2 == 0 else STAFF2
        world.append(
            payload("wfa.requested", f"req-{n}", who, wfa_request(who)),
            payload("wfa.approved", f"req-{n}", HEAD, {"note": "ok"}),
        )
    return world.runtime.logs.log(AGENCY).size - 1


def test_requests_are_paginated_and_filtered(client: TestClient, world: World) -> None:
    last = _requests(world, 5)
    token = auth(world.tokens["agency"])
    url = f"/v1/agencies/{AGENCY}/requests"
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, object] = {"limit": 2, "min_index": last}
        if cursor:
            params["cursor"] = cursor
        body = client.get(url, params=params, headers=token).json()
        seen += [item["subject"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == [f"req-{n}" for n in range(5)]
    mine = client.get(url, params={"employee": STAFF2, "status": "approved"}, headers=token)
    assert {i["employee"] for i in mine.json()["items"]} == {STAFF2}
    assert len(mine.json()["items"]) == 2
    far = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    assert client.get(url, params={"from": far}, headers=token).json()["items"] == []


def test_agency_may_not_read_another_agency_and_oversight_may(
    client: TestClient, world: World
) -> None:
    last = _requests(world, 1)
    url = f"/v1/agencies/{AGENCY}/compliance?min_index={last}"
    refused = client.get(url, headers=auth(world.tokens["other"]))
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("not-permitted")
    for role in ("inspector", "ombudsman", "operator", "agency"):
        assert client.get(url, headers=auth(world.tokens[role])).status_code == 200


def test_unknown_agency_and_unit_answer_404(client: TestClient, world: World) -> None:
    token = auth(world.tokens["inspector"])
    assert client.get("/v1/agencies/nope/requests", headers=token).status_code == 404
    days = client.get(f"/v1/agencies/{OTHER_AGENCY}/units/{UNIT}/days", headers=token)
    assert days.status_code == 404
    assert client.get("/v1/complaints/nope", headers=token).status_code == 404


def test_unit_days_show_who_is_away(client: TestClient, world: World) -> None:
    last = _requests(world, 1)
    url = f"/v1/agencies/{AGENCY}/units/{UNIT}/days"
    body = client.get(url, params={"min_index": last}, headers=auth(world.tokens["agency"])).json()
    [day] = body["items"]
    assert day["location"] == [[STAFF, "req-0"]]
    assert day["on_site_count"] == day["staff"] - 1


def test_history_as_of_shows_the_subject_before_its_approval(
    client: TestClient, world: World
) -> None:
    world.append(payload("wfa.requested", "req-h", STAFF, wfa_request(STAFF)))
    between = datetime.now(UTC).isoformat()
    world.append(payload("wfa.approved", "req-h", HEAD, {"note": "ok"}))
    token = auth(world.tokens["agency"])
    subject = f"/v1/logs/{AGENCY}/subjects/req-h"
    then = client.get(f"{subject}/history", params={"as_of": between}, headers=token)
    assert then.status_code == 200
    assert then.json()["state"]["status"] == "requested"
    assert len(then.json()["entries"]) == 1
    now = client.get(subject, headers=token).json()
    assert now["state"]["status"] == "approved"
    early = client.get(
        f"{subject}/history", params={"as_of": "2000-01-01T00:00:00Z"}, headers=token
    )
    assert early.status_code == 404
    other = client.get(
        f"{subject}/history", params={"as_of": between}, headers=auth(world.tokens["other"])
    )
    assert other.status_code == 404  # as for a missing subject: another agency's ids are hidden


def test_bad_cursor_answers_400(client: TestClient, world: World) -> None:
    token = auth(world.tokens["agency"])
    got = client.get(f"/v1/agencies/{AGENCY}/requests?cursor=zz", headers=token)
    assert got.status_code == 400
