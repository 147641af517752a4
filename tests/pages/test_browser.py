"""The pages in a real headless Chromium against a real `jejak serve --demo`."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.demo.cast import KAB, KEMEN
from api.demo.load import demo_period
from api.demo.story import complaint_id
from tests.servers import ROOT, Server

Demo = tuple[Server, dict[str, str]]
SHOTS = ROOT / "docs" / "screenshots"
UNIT = "bu-disdukcapil"
REQUEST = "fwa-bu-2026w47-andi"


def complaint() -> str:
    return complaint_id(demo_period())


def sign_in(page: Page, token: str) -> None:
    page.goto("/")
    page.fill("#token", token)
    page.click("#sign-in button[type=submit]")
    expect(page.locator("#sign-out")).to_be_visible()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_sign_in_and_sign_out(page: Page, demo_server: Demo) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["inspector"])
    expect(page.locator(".who")).to_contain_text("Inspektorat")
    page.click("#sign-out")
    expect(page.locator("#token")).to_be_visible()
    assert page.goto(f"/agencies/{KAB}") is not None
    expect(page.locator("#token")).to_be_visible()


def test_a_wrong_token_is_refused_in_the_page(page: Page) -> None:
    page.goto("/")
    page.fill("#token", "jejak_not-a-token")
    page.click("#sign-in button[type=submit]")
    expect(page.locator("[role=alert]")).to_have_text("Token tidak dikenal.")


def test_the_report_is_three_clicks_from_the_front_page(page: Page, demo_server: Demo) -> None:
    _, tokens = demo_server
    page.goto("/")
    page.fill("#token", tokens["ombudsman"])
    page.click("#sign-in button[type=submit]")  # 1
    page.click("#to-complaints")  # 2
    page.click(f"a[href='/logs/{KAB}/complaints/{complaint()}']")  # 3
    expect(page.locator("#complaint-id")).to_have_text(complaint())


@pytest.mark.parametrize(
    ("role", "pages", "refused"),
    [
        ("inspector", ["/", f"/agencies/{KAB}", f"/agencies/{KEMEN}", "/complaints"], []),
        ("ombudsman", ["/", f"/agencies/{KAB}", "/complaints", f"/logs/{KAB}/subjects/{REQUEST}"],
         []),
        (
            f"agency {KAB}",
            ["/", f"/agencies/{KAB}", f"/agencies/{KAB}/units/{UNIT}", "/complaints"],
            [f"/agencies/{KEMEN}"],
        ),
        (
            f"agency {KEMEN}",
            ["/", f"/agencies/{KEMEN}", "/complaints"],
            [f"/agencies/{KAB}", f"/agencies/{KAB}/units/{UNIT}", f"/logs/{KAB}/subjects/{REQUEST}",
             f"/logs/{KAB}/complaints/{complaint()}", f"/logs/{KAB}/entries/5",
             f"/logs/{KEMEN}/complaints/{complaint()}"],
        ),
        ("operator", ["/", f"/agencies/{KAB}"], ["/complaints"]),
    ],
)  # fmt: skip
def test_each_role_sees_its_pages_and_not_others(
    page: Page, demo_server: Demo, role: str, pages: list[str], refused: list[str]
) -> None:
    _, tokens = demo_server
    sign_in(page, tokens[role])
    for path in pages:
        answer = page.goto(path)
        assert answer is not None
        assert answer.status == 200, path
        expect(page.locator("h1")).not_to_contain_text("Tidak ditemukan")
    for path in refused:
        answer = page.goto(path)
        assert answer is not None
        assert answer.status == 404, path
        expect(page.locator("h1")).to_have_text("Tidak ditemukan")


def test_dashboard_charts_flags_and_filters_requests(page: Page, demo_server: Demo) -> None:
    server, tokens = demo_server
    sign_in(page, tokens[f"agency {KAB}"])
    page.goto(f"/agencies/{KAB}")
    auth = {"Authorization": f"Bearer {tokens[f'agency {KAB}']}"}
    flags = httpx.get(f"{server.url}/v1/agencies/{KAB}/compliance", headers=auth).json()
    bars = page.locator("#flags-chart rect")
    drawn = sum(int(bars.nth(n).get_attribute("data-count") or 0) for n in range(bars.count()))
    assert drawn == len(flags["items"])
    expect(page.locator("#flags-table")).to_contain_text("Kuota unit terlampaui")
    shoot(page, "dashboard")
    page.select_option("#request-filters select[name=status]", "rejected")
    page.click("#request-filters button")
    rejected = httpx.get(
        f"{server.url}/v1/agencies/{KAB}/requests?status=rejected", headers=auth
    ).json()["items"]
    rows = page.locator("#requests tr[data-subject]")
    expect(rows).to_have_count(len(rejected))
    assert rejected
    expect(page.locator("#requests")).to_contain_text("Ditolak")


def test_calendar_marks_the_breached_day_red(page: Page, demo_server: Demo) -> None:
    server, tokens = demo_server
    sign_in(page, tokens["inspector"])
    page.goto(f"/agencies/{KAB}/units/{UNIT}?month=2026-11")
    lapse_day = "2026-11-18"
    cell = page.locator(f"#calendar td[data-day='{lapse_day}']")
    expect(cell).to_have_class("day breached")
    auth = {"Authorization": f"Bearer {tokens['inspector']}"}
    days = httpx.get(
        f"{server.url}/v1/agencies/{KAB}/units/{UNIT}/days?from={lapse_day}&to={lapse_day}",
        headers=auth,
    ).json()["items"]
    assert cell.get_attribute("data-on-site") == str(days[0]["on_site_count"])
    assert cell.get_attribute("data-minimum") == str(days[0]["min_on_site"])
    assert page.locator("#calendar td.breached").count() >= 1
    shoot(page, "calendar")


def test_timeline_shows_who_when_what_policy_flags_and_proof(page: Page, demo_server: Demo) -> None:
    server, tokens = demo_server
    auth = {"Authorization": f"Bearer {tokens['inspector']}"}
    subject = httpx.get(f"{server.url}/v1/logs/{KAB}/subjects/{REQUEST}", headers=auth).json()
    [entry] = [e for e in subject["entries"] if e["payload"]["type"] == "wfa.approved"]
    index = entry["index"]
    assert [f["rule"] for f in subject["flags"] if f["entry"] == index] == ["unit-quota-exceeded"]
    sign_in(page, tokens["inspector"])
    page.goto(f"/logs/{KAB}/subjects/{REQUEST}")
    approved = page.locator(f"#timeline tr[data-index='{index}']")
    expect(approved).to_contain_text("Permohonan disetujui")
    expect(approved).to_contain_text("Hendra Gunawan")
    expect(approved).to_contain_text("WIB")
    expect(approved).to_contain_text("Kuota unit terlampaui")
    expect(approved.locator(".hash")).to_have_text(entry["leaf_hash"])
    shoot(page, "timeline")
    approved.locator(f"a[href='/logs/{KAB}/entries/{index}']").click()
    expect(page.locator("h1")).to_contain_text(f"#{index}")
    expect(page.locator("#entry-log")).to_have_text(KAB)


def test_report_figures_match_the_report_api(page: Page, demo_server: Demo) -> None:
    server, tokens = demo_server
    auth = {"Authorization": f"Bearer {tokens['ombudsman']}"}
    report = httpx.get(f"{server.url}/v1/complaints/{complaint()}/report", headers=auth).json()
    key = httpx.get(f"{server.url}/v1/log-key").text.strip()
    sign_in(page, tokens["ombudsman"])
    page.goto(f"/logs/{KAB}/complaints/{complaint()}?lang=en")
    expect(page.locator("#on-site-count")).to_have_text(str(len(report["on_site"])))
    nips = page.locator("#on-site tr[data-nip]")
    assert [nips.nth(n).get_attribute("data-nip") for n in range(nips.count())] == [
        p["nip"] for p in report["on_site"]
    ]
    flexible = page.locator("#flexible tr[data-request]")
    assert [flexible.nth(n).get_attribute("data-request") for n in range(flexible.count())] == [
        a["request"] for a in report["flexible"]
    ]
    expect(page.locator("#minimum")).to_contain_text("breached" if not report["minimum_held"]
                                                     else "held")  # fmt: skip
    expect(page.locator("#statements li")).to_have_count(len(report["statements"]))
    expect(page.locator("#present-count")).to_have_text(str(report["present_at_lapse"]["count"]))
    present = page.locator("#presence tr[data-present='yes']")
    assert sorted(
        present.nth(n).get_attribute("data-nip") or "" for n in range(present.count())
    ) == sorted(report["present_at_lapse"]["nips"])
    size = int(page.locator("#checkpoint-size").inner_text())
    assert size > max(report["entries"])  # the checkpoint of the agency's log it rests on
    expect(page.locator("#checkpoint-log")).to_have_text(KAB)
    checkpoint = httpx.get(f"{server.url}/v1/logs/{KAB}/checkpoints/{size}").text
    assert checkpoint.startswith(f"{key.split('+', 1)[0]}/{KAB}\n{size}\n")
    raw = base64.b64decode(key.split("+", 2)[2])[1:]
    expect(page.locator("#key-fingerprint")).to_have_text(hashlib.sha256(raw).hexdigest())
    expect(page.locator("#report")).to_contain_text("Undue delay")
    shoot(page, "report")


def test_report_citations_open_and_the_bundle_downloads(page: Page, demo_server: Demo) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["ombudsman"])
    page.goto(f"/logs/{KAB}/complaints/{complaint()}")
    with page.expect_download() as download:
        page.click("#download-bundle")
    saved = Path(download.value.path())
    assert saved.read_bytes().startswith(b"{")
    first = page.locator("#statements a").first
    target = first.get_attribute("href")
    first.click()
    expect(page.locator("h1")).to_contain_text(f"#{str(target).rsplit('/', 1)[-1]}")


def test_report_prints_without_navigation(page: Page, demo_server: Demo) -> None:
    _, tokens = demo_server
    sign_in(page, tokens["ombudsman"])
    page.goto(f"/logs/{KAB}/complaints/{complaint()}")
    page.emulate_media(media="print")
    expect(page.locator("header.bar")).to_be_hidden()
    expect(page.locator("#download-bundle")).to_be_hidden()
    expect(page.locator("#statements")).to_be_visible()


def test_docs_render_offline(page: Page) -> None:
    page.goto("/docs")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    expect(page.locator(".swagger-ui .btn.authorize")).to_be_visible()
