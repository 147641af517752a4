"""Browser fixtures: Debian's Chromium (installed when missing), a real demo server, pages
whose every request is checked to stay on the host."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from ledger.store import drop_postgres_schema
from tests.servers import Server

CHROMIUM = Path("/usr/bin/chromium")
# How long a page may take to show what is expected: generous, as the cores are shared.
WAIT_MS = 30_000
expect.set_options(timeout=WAIT_MS)


def _install_chromium() -> str | None:
    """apt-get Debian's chromium; the reason it failed, or None."""
    if shutil.which("apt-get") is None:
        return "apt-get is not available"
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            check=False,
        )
        if done.returncode != 0:
            return f"{' '.join(command)} failed: {done.stderr[-500:]}"
    return None if CHROMIUM.exists() else "chromium installed but /usr/bin/chromium is missing"


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        problem = _install_chromium()
        if problem is not None:
            if os.environ.get("CI") == "true":
                pytest.fail(f"the browser tests need Chromium: {problem}")
            pytest.skip(f"no Chromium: {problem}")
    return CHROMIUM


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def demo_database(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """The demo's store for the page tests: SQLite (the default file), then a fresh schema of
    the real PostgreSQL (dropped afterwards)."""
    if request.param == "sqlite":
        yield {}
        return
    server: str = request.getfixturevalue("postgres_server")
    url = f"{server}?schema=t_pages_{uuid.uuid4().hex[:12]}"
    yield {"JEJAK_DATABASE_URL": url}
    drop_postgres_schema(url)


@pytest.fixture(scope="session")
def demo_server(
    tmp_path_factory: pytest.TempPathFactory, demo_database: dict[str, str]
) -> Iterator[tuple[Server, dict[str, str]]]:
    data = tmp_path_factory.mktemp("browser-demo")
    server = Server({"JEJAK_DATA_DIR": str(data), **demo_database}, data / "server.log", "--demo")
    try:
        tokens = json.loads((data / "demo-tokens.json").read_text())
        yield server, tokens
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True)
        yield launched
        launched.close()


class OffHost:
    """Every request a page makes to anywhere but the server (aborted and remembered)."""

    def __init__(self, origin: str) -> None:
        self.netloc = urlsplit(origin).netloc
        self.seen: list[str] = []

    def __call__(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == self.netloc:
            route.continue_()
        else:
            self.seen.append(url)
            route.abort()


@pytest.fixture
def page(browser: Browser, demo_server: tuple[Server, dict[str, str]]) -> Iterator[Page]:
    server, _ = demo_server
    off_host = OffHost(server.url)
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    context.route("**/*", off_host)
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    yield opened
    context.close()
    assert off_host.seen == [], f"pages requested off the host: {off_host.seen}"
