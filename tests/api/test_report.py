"""The investigation report over HTTP: JSON, printable HTML, and who may read it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo.cast import KAB, KEMEN
from api.demo.load import demo_period, demo_tokens, open_demo_runtime
from api.demo.story import complaint_id, minor_complaint_id
from ledger.settings import Settings


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings.from_env({"JEJAK_DATA_DIR": str(tmp_path_factory.mktemp("report"))})
    runtime, _ = open_demo_runtime(settings)
    with TestClient(create_app(runtime)) as client:
        yield client, demo_tokens(settings)
    runtime.close()


def auth(token: str, accept: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": accept}


def test_report_json_cites_entries_and_links_the_bundle(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    subject = complaint_id(demo_period())
    got = client.get(f"/v1/complaints/{subject}/report", headers=auth(tokens["ombudsman"]))
    assert got.status_code == 200
    body = got.json()
    assert body["minimum_held"] is False
    assert all(s["entries"] for s in body["statements"])
    assert body["bundle"] == f"/v1/bundles?complaint={subject}"


def test_report_is_a_printable_page_when_html_is_asked(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    subject = complaint_id(demo_period())
    got = client.get(
        f"/v1/complaints/{subject}/report", headers=auth(tokens["inspector"], "text/html")
    )
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/html")
    assert "Meli Susanti" in got.text
    assert f"/v1/bundles?complaint={subject}" in got.text


@pytest.mark.parametrize(
    ("label", "status"), [(f"agency {KAB}", 200), (f"agency {KEMEN}", 404), ("operator", 403)]
)
def test_report_is_read_by_oversight_and_the_agency_concerned(
    demo: tuple[TestClient, dict[str, str]], label: str, status: int
) -> None:
    client, tokens = demo
    subject = complaint_id(demo_period())
    assert (
        client.get(f"/v1/complaints/{subject}/report", headers=auth(tokens[label])).status_code
        == status
    )
    assert (
        client.get(f"/v1/complaints/{subject}", headers=auth(tokens[label])).status_code == status
    )


def test_complaint_state_shows_the_investigation(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = demo
    subject = complaint_id(demo_period())
    body = client.get(f"/v1/complaints/{subject}", headers=auth(tokens["ombudsman"])).json()
    assert body["status"] == body["state"]["status"]
    assert body["unit"] == "bu-disdukcapil"
    assert body["state"]["substantiated"] is True


def test_complaints_list_shows_oversight_every_complaint(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    got = client.get("/v1/complaints", headers=auth(tokens["ombudsman"]))
    assert got.status_code == 200
    period = demo_period()  # the minor complaint was filed first
    expected = [minor_complaint_id(period), complaint_id(period)]
    assert [c["subject"] for c in got.json()["items"]] == expected


def test_complaints_list_shows_an_agency_only_its_own(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    own = client.get("/v1/complaints", headers=auth(tokens[f"agency {KAB}"])).json()
    other = client.get("/v1/complaints", headers=auth(tokens[f"agency {KEMEN}"])).json()
    assert [c["agency"] for c in own["items"]] == [KAB, KAB]  # both demo complaints
    assert other["items"] == []


def test_complaints_list_refuses_the_operator_and_foreign_cursors(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    refused = client.get("/v1/complaints", headers=auth(tokens["operator"]))
    bad = client.get("/v1/complaints?cursor=zzz", headers=auth(tokens["inspector"]))
    assert refused.status_code == 403
    assert bad.status_code == 400
    assert bad.json()["type"] == "urn:jejak:problem:bad-query"
