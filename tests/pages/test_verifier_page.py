"""The in-browser verifier (WebCrypto, in Chromium) reaches the verdict of `jejak verify` on every
named jejak-bundle/2 case, and on the demo's complaint bundle with the key the page fetches."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.demo.load import demo_period
from api.demo.story import complaint_id
from tests.pages.test_browser import shoot
from tests.servers import Server
from tests.verification.bundle2_damage import CASES
from verification.outcome import COMPLETE, FAILED, PARTIAL
from verification.verifier import verify_stream

Found = set[tuple[str, str, str]]  # (log, index, reason) as the page lists them
VERDICTS = {COMPLETE: "complete", PARTIAL: "partial", FAILED: "failed"}


def in_browser(page: Page, bundle: Path, log_key: str, trusted: list[Path]) -> tuple[str, Found]:
    page.goto("/verify")
    page.set_input_files("#bundle", str(bundle))
    if trusted:
        page.set_input_files("#trusted", [str(t) for t in trusted])
    page.fill("#log-key", log_key)
    page.click("#verify-form button[type=submit]")
    verdict = page.locator("#verdict[data-verdict]")
    expect(verdict).to_be_visible()
    items = page.locator("#failures li[data-reason]")
    found: Found = set()
    for n in range(items.count()):
        item = items.nth(n)
        found.add(
            (
                item.get_attribute("data-log") or "",
                item.get_attribute("data-index") or "",
                str(item.get_attribute("data-reason")),
            )
        )
    return str(verdict.get_attribute("data-verdict")), found


def by_the_cli(data: bytes, log_key: str, trusted: tuple[str, ...]) -> tuple[str, Found]:
    outcome = verify_stream(io.BytesIO(data), log_key, trusted)
    found = {
        (f.log or "", "" if f.index is None else str(f.index), f.reason) for f in outcome.failures
    }
    return VERDICTS[outcome.verdict], found


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_browser_reaches_the_cli_verdict_on_each_named_bundle(
    name: str, page: Page, tmp_path: Path
) -> None:
    built = CASES[name]()
    data = built.bundle.lines()
    bundle = tmp_path / f"{name}.json"
    bundle.write_bytes(data)
    trusted = []
    for n, note in enumerate(built.trusted):
        path = tmp_path / f"{name}-{n}.note"
        path.write_text(note)
        trusted.append(path)
    cli = by_the_cli(data, built.ledger.log_key, built.trusted)
    assert cli[0] == built.verdict
    assert in_browser(page, bundle, built.ledger.log_key, trusted) == cli
    if name == "genuine-period":
        shoot(page, "verify")


def test_the_demo_complaint_bundle_verifies_with_the_key_the_page_fetches(
    page: Page, demo_server: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = demo_server
    auth = {"Authorization": f"Bearer {tokens['ombudsman']}"}
    complaint = complaint_id(demo_period())
    got = httpx.get(f"{server.url}/v1/bundles?complaint={complaint}", headers=auth, timeout=60)
    assert got.status_code == 200, got.text
    bundle = tmp_path / "complaint.json"
    bundle.write_bytes(got.content)
    log_key = httpx.get(f"{server.url}/v1/log-key").text.strip()
    verdict, found = in_browser(page, bundle, "", [])  # the page fetches /v1/log-key itself
    cli = by_the_cli(got.content, log_key, ())
    assert cli[1] == set()
    assert cli[0] in ("complete", "partial")  # a complaint's chains are whole with heads (#11)
    assert (verdict, found) == cli
