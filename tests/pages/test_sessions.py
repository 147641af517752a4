"""The pages' sign-in, sessions, CSRF and tenant rules, through the app (no browser)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.demo.cast import KAB, KEMEN
from api.demo.load import demo_period, demo_tokens, open_demo_runtime
from api.demo.story import complaint_id
from ledger.settings import Settings
from ledger.store import drop_postgres_schema


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, demo_database: dict[str, str]
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    env = {"JEJAK_DATA_DIR": str(tmp_path_factory.mktemp("pages")), **demo_database}
    if "JEJAK_DATABASE_URL" in env:  # a schema of its own beside the browser tests' demo
        env["JEJAK_DATABASE_URL"] = env["JEJAK_DATABASE_URL"] + "_sessions"
    settings = Settings.from_env(env)
    runtime, _ = open_demo_runtime(settings)
    with TestClient(create_app(runtime)) as client:
        yield client, demo_tokens(settings)
    runtime.close()
    if "JEJAK_DATABASE_URL" in env:
        drop_postgres_schema(env["JEJAK_DATABASE_URL"])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, token: str) -> None:
    client.cookies.clear()
    form = client.get("/")
    got = client.post("/signin", data={"token": token, "csrf": csrf_of(form.text)})
    assert got.status_code == 200
    assert "jejak_session" in client.cookies


def test_sign_in_sets_an_http_only_strict_cookie_without_the_token(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    client.cookies.clear()
    form = client.get("/")
    got = client.post(
        "/signin",
        data={"token": tokens["ombudsman"], "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    cookie = got.headers["set-cookie"]
    assert got.status_code == 303
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert tokens["ombudsman"] not in cookie


def test_sign_in_without_the_form_token_is_refused(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    client.cookies.clear()
    client.get("/")
    got = client.post("/signin", data={"token": tokens["ombudsman"], "csrf": "forged"})
    assert got.status_code == 403
    assert "jejak_session" not in client.cookies


def test_an_unknown_token_does_not_sign_in(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = demo
    client.cookies.clear()
    form = client.get("/")
    got = client.post("/signin", data={"token": "jejak_nope", "csrf": csrf_of(form.text)})
    assert got.status_code == 401
    assert "Token tidak dikenal" in got.text


def test_pages_need_a_session(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, _ = demo
    client.cookies.clear()
    got = client.get(f"/agencies/{KAB}", follow_redirects=False)
    assert got.status_code == 303
    assert got.headers["location"] == "/"


def test_sign_out_needs_the_session_csrf_token_and_ends_the_session(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    sign_in(client, tokens["inspector"])
    home = client.get("/")
    forged = client.post("/signout", data={"csrf": "forged"})
    still = client.get(f"/agencies/{KAB}", follow_redirects=False)
    client.post("/signout", data={"csrf": csrf_of(home.text)})
    after = client.get(f"/agencies/{KAB}", follow_redirects=False)
    assert forged.status_code == 403
    assert still.status_code == 200
    assert after.status_code == 303


def test_an_agency_session_gets_404_for_another_agency(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    sign_in(client, tokens[f"agency {KEMEN}"])
    subject = complaint_id(demo_period())
    for path in (
        f"/agencies/{KAB}",
        f"/agencies/{KAB}/units/bu-disdukcapil",
        f"/logs/{KAB}/complaints/{subject}",
        f"/logs/{KAB}/complaints/{subject}/bundle",
        f"/logs/{KAB}/subjects/bu-disdukcapil",
        f"/logs/{KAB}/entries/5",
        f"/logs/{KEMEN}/complaints/{subject}",  # no such complaint in its own log
    ):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/agencies/{KEMEN}").status_code == 200


def test_pages_speak_indonesian_by_default_and_english_when_asked(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    sign_in(client, tokens["ombudsman"])
    subject = complaint_id(demo_period())
    indonesian = client.get(f"/logs/{KAB}/complaints/{subject}").text
    english = client.get(f"/logs/{KAB}/complaints/{subject}?lang=en").text
    assert "Penundaan berlarut" in indonesian
    assert "Undue delay" in english
    assert "10:40 WIB" in indonesian
    assert 'lang="en"' in english


def test_the_bundle_downloads_with_the_session(demo: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = demo
    sign_in(client, tokens["inspector"])
    subject = complaint_id(demo_period())
    page = client.get(f"/logs/{KAB}/complaints/{subject}/bundle")
    api = client.get(
        f"/v1/bundles?complaint={subject}",
        headers={"Authorization": f"Bearer {tokens['inspector']}"},
    )
    assert page.headers["content-disposition"].startswith("attachment")

    def entries(bundle: dict[str, list[dict[str, object]]]) -> list[tuple[object, object]]:
        return [(r["log"], r["index"]) for r in bundle["records"] if r["record"] == "entry"]

    assert entries(page.json()) == entries(api.json())
    assert {log for log, _ in entries(page.json())} == {"operator", KAB}


def test_every_report_statement_is_said_in_indonesian_with_its_citations(
    demo: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = demo
    subject = complaint_id(demo_period())
    report = client.get(
        f"/v1/complaints/{subject}/report",
        headers={"Authorization": f"Bearer {tokens['ombudsman']}"},
    ).json()
    sign_in(client, tokens["ombudsman"])
    page = client.get(f"/logs/{KAB}/complaints/{subject}").text
    said = re.findall(r'<li data-says="([a-z]+)">([^<]*)', page)
    assert [k for k, _ in said] == [s["says"] for s in report["statements"]]
    assert "Minimum di kantor 8: DILANGGAR menurut kehadiran (5 hadir pukul 10:40)" in page
    assert "Hendra Gunawan, S.Sos., M.M. (197805222003121002) oleh atasan langsung" in page
    for statement in report["statements"]:
        assert statement["statement"] not in page
