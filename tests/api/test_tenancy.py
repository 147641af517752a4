"""Another agency's subjects, entries, complaints and bundles answer exactly as missing ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response

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

REQUEST = "req-tenant-1"
COMPLAINT = "lm-tenant-0001"
MISSING_REQUEST = "req-tenant-missing"
MISSING_COMPLAINT = "lm-tenant-missing"
LOG = f"/v1/logs/{AGENCY}"
MISSING_LOG = "kab-tiada"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def story(world: World) -> World:
    """Agency A's request and a complaint about A, filed by the Ombudsman."""
    world.append(payload("wfa.requested", REQUEST, STAFF, wfa_request()))
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
    logs = world.runtime.logs
    logs.append([logs.prepare(world.ombudsman_signer.sign(filed))])
    return world


def as_missing(existing: Response, missing: Response, existing_id: str, missing_id: str) -> None:
    """Both answers are the same 404 problem, but for the id they name."""
    assert existing.status_code == missing.status_code == 404, (existing.text, missing.text)
    assert existing.headers["content-type"] == "application/problem+json"
    assert missing.headers["content-type"] == "application/problem+json"
    assert existing.text.replace(existing_id, missing_id) == missing.text


def test_another_agencys_subject_answers_as_a_missing_one(client: TestClient, story: World) -> None:
    other = auth(story.tokens["other"])
    mine = auth(story.tokens["agency"])
    assert client.get(f"{LOG}/subjects/{REQUEST}", headers=mine).status_code == 200
    existing = client.get(f"{LOG}/subjects/{REQUEST}", headers=other)
    missing = client.get(f"{LOG}/subjects/{MISSING_REQUEST}", headers=other)
    as_missing(existing, missing, REQUEST, MISSING_REQUEST)


@pytest.mark.parametrize("days", [-3650, -1, 0, 1])
def test_another_agencys_history_tells_nothing_of_when_it_was_recorded(
    client: TestClient, story: World, days: int
) -> None:
    other = auth(story.tokens["other"])
    at = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    existing = client.get(f"{LOG}/subjects/{REQUEST}/history", params={"as_of": at}, headers=other)
    missing = client.get(
        f"{LOG}/subjects/{MISSING_REQUEST}/history", params={"as_of": at}, headers=other
    )
    as_missing(existing, missing, REQUEST, MISSING_REQUEST)


def test_another_agencys_entry_answers_as_a_missing_one(client: TestClient, story: World) -> None:
    other = auth(story.tokens["other"])
    mine = client.get(f"{LOG}/subjects/{REQUEST}", headers=auth(story.tokens["agency"])).json()
    index = mine["entries"][0]["index"]
    size = story.runtime.logs.stores.log(AGENCY).recorder.log_size()
    existing = client.get(f"{LOG}/entries/{index}", headers=other)
    missing = client.get(f"{LOG}/entries/{size + 1000}", headers=other)
    as_missing(existing, missing, str(index), str(size + 1000))


@pytest.mark.parametrize("path", ["entries/0", f"subjects/{REQUEST}"])
def test_another_agencys_log_answers_as_a_missing_one(
    client: TestClient, story: World, path: str
) -> None:
    other = auth(story.tokens["other"])
    existing = client.get(f"{LOG}/{path}", headers=other)
    missing = client.get(f"/v1/logs/{MISSING_LOG}/{path}", headers=other)
    as_missing(existing, missing, AGENCY, MISSING_LOG)


@pytest.mark.parametrize("suffix", ["", "/report"])
def test_another_agencys_complaint_answers_as_a_missing_one(
    client: TestClient, story: World, suffix: str
) -> None:
    assert (
        client.get(
            f"/v1/complaints/{COMPLAINT}{suffix}", headers=auth(story.tokens["agency"])
        ).status_code
        == 200
    )
    other = auth(story.tokens["other"])
    existing = client.get(f"/v1/complaints/{COMPLAINT}{suffix}", headers=other)
    missing = client.get(f"/v1/complaints/{MISSING_COMPLAINT}{suffix}", headers=other)
    as_missing(existing, missing, COMPLAINT, MISSING_COMPLAINT)


@pytest.mark.parametrize(
    ("name", "existing", "missing"),
    [("subject", REQUEST, MISSING_REQUEST), ("complaint", COMPLAINT, MISSING_COMPLAINT)],
)
def test_another_agencys_bundle_answers_as_a_missing_one(
    client: TestClient, story: World, name: str, existing: str, missing: str
) -> None:
    other = auth(story.tokens["other"])
    log = {"log": AGENCY} if name == "subject" else {}
    found = client.get("/v1/bundles", params={**log, name: existing}, headers=other)
    absent = client.get("/v1/bundles", params={**log, name: missing}, headers=other)
    as_missing(found, absent, existing, missing)
