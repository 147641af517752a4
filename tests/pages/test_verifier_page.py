"""The in-browser verifier (WebCrypto) reaches the verdict of `jejak verify` on every fixture."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.demo.load import demo_period
from api.demo.story import complaint_id
from tests.pages.test_browser import shoot
from tests.servers import Server
from tests.verification.fixtures.damage import DAMAGES
from tests.verification.fixtures.genuine import Genuine, build_genuine
from verification.bundle import parse_bundle
from verification.cli import main as jejak_verify
from verification.verifier import verify_bundle

Found = set[tuple[str, int | None]]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Genuine]:
    built = build_genuine(tmp_path_factory.mktemp("genuine-for-browser"))
    yield built
    built.runtime.close()


def in_browser(page: Page, bundle: Path, log_key: str, trusted: Path | None) -> tuple[str, Found]:
    page.goto("/verify")
    page.set_input_files("#bundle", str(bundle))
    if trusted is not None:
        page.set_input_files("#trusted", str(trusted))
    page.fill("#log-key", log_key)
    page.click("#verify-form button[type=submit]")
    verdict = page.locator("#verdict[data-verdict]")
    expect(verdict).to_be_visible()
    items = page.locator("#failures li")
    found: Found = set()
    for n in range(items.count()):
        index = items.nth(n).get_attribute("data-index") or ""
        found.add((str(items.nth(n).get_attribute("data-reason")), int(index) if index else None))
    return str(verdict.get_attribute("data-verdict")), found


def by_the_cli(bundle: Path, log_key: str, trusted: Path | None) -> tuple[int, Found]:
    args = ["verify", str(bundle), "--log-key", log_key, "--json"]
    if trusted is not None:
        args += ["--trusted-checkpoint", str(trusted)]
    with contextlib.redirect_stdout(io.StringIO()):
        code = jejak_verify(args)
    note = None if trusted is None else trusted.read_text()
    result = verify_bundle(parse_bundle(json.loads(bundle.read_text())), log_key, note)
    return code, {(f.reason, f.index) for f in result.failures}


def write(path: Path, bundle: object) -> Path:
    path.write_text(json.dumps(bundle))
    return path


def test_the_genuine_bundle_verifies_in_the_browser(
    page: Page, genuine: Genuine, tmp_path: Path
) -> None:
    bundle = write(tmp_path / "genuine.json", genuine.bundle)
    verdict, found = in_browser(page, bundle, genuine.log_key, None)
    code, expected = by_the_cli(bundle, genuine.log_key, None)
    assert (verdict, found) == ("verified", set())
    assert (code, expected) == (0, set())
    shoot(page, "verify")


@pytest.mark.parametrize("name", sorted(DAMAGES))
def test_the_browser_refuses_each_damaged_bundle_as_the_cli_does(
    name: str, page: Page, genuine: Genuine, tmp_path: Path
) -> None:
    damaged = DAMAGES[name](genuine, tmp_path)
    bundle = write(tmp_path / f"{name}.json", damaged.bundle)
    trusted = None
    if damaged.trusted is not None:
        trusted = tmp_path / f"{name}.trusted"
        trusted.write_text(damaged.trusted)
    verdict, found = in_browser(page, bundle, genuine.log_key, trusted)
    code, expected = by_the_cli(bundle, genuine.log_key, trusted)
    assert code == 1
    assert verdict == "failed"
    assert (damaged.reason, damaged.index) in found
    assert found <= expected, found - expected


def test_the_demo_complaint_bundle_verifies_with_the_key_the_page_fetches(
    page: Page, demo_server: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, tokens = demo_server
    auth = {"Authorization": f"Bearer {tokens['ombudsman']}"}
    complaint = complaint_id(demo_period())
    got = httpx.get(f"{server.url}/v1/bundles?complaint={complaint}", headers=auth, timeout=60)
    bundle = tmp_path / "complaint.json"
    bundle.write_bytes(got.content)
    log_key = httpx.get(f"{server.url}/v1/log-key").text.strip()
    verdict, found = in_browser(page, bundle, "", None)
    code, expected = by_the_cli(bundle, log_key, None)
    assert (code, expected) == (0, set())
    assert (verdict, found) == ("verified", set())
