"""PostgreSQL connections killed or the server unreachable: 503 problems, then recovery."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from ledger.store import drop_postgres_schema
from tests.api.tcp_proxy import TcpProxy
from tests.support import AGENCY, World

pytestmark = pytest.mark.postgres

READS = [
    f"/v1/logs/{AGENCY}/entries/0",
    f"/v1/logs/{AGENCY}/subjects/kab-contoh/dukcapil-loket",
    "/v1/logs",
    f"/v1/logs/{AGENCY}/checkpoint",
    f"/v1/logs/{AGENCY}/checkpoints/5",  # World.setup's five entries: one group commit
    "/v1/logs/operator/checkpoints/1",
    f"/v1/logs/{AGENCY}/proofs/inclusion?index=0&size=2",
    "/v1/logs/operator/entries/0",
    f"/v1/agencies/{AGENCY}/requests",
]


@pytest.fixture
def proxy(postgres_server: str) -> Iterator[TcpProxy]:
    parts = urlsplit(postgres_server)
    tcp = TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432))
    tcp.up()
    yield tcp
    tcp.down()


@pytest.fixture
def proxied(postgres_server: str, proxy: TcpProxy, tmp_path: Path) -> Iterator[tuple[Runtime, str]]:
    """A runtime whose every connection to PostgreSQL passes through the proxy."""
    parts = urlsplit(postgres_server)
    direct = f"{postgres_server}?schema=t_{uuid.uuid4().hex[:12]}"
    netloc = f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}"
    url = direct.replace(parts.netloc, netloc, 1)
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": url}
    )
    runtime = open_runtime(settings)
    yield runtime, direct
    runtime.close()
    drop_postgres_schema(direct)


def answers(client: TestClient, token: str) -> list[tuple[str, int, str]]:
    headers = {"Authorization": f"Bearer {token}"}
    found = []
    for path in READS:
        response = client.get(path, headers=headers)
        found.append((path, response.status_code, response.headers.get("content-type", "")))
    return found


def kill_backends(postgres_server: str, ports: set[int]) -> int:
    """pg_terminate_backend on the backends that serve these client ports (ours only)."""
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE client_port = ANY(%s) AND pid <> pg_backend_pid()",
            (sorted(ports),),
        ).fetchall()
    return len(rows)


def test_reads_after_backends_are_terminated_are_answered(
    proxied: tuple[Runtime, str], proxy: TcpProxy, postgres_server: str
) -> None:
    runtime, _ = proxied
    world = World(runtime).setup()
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        token = world.tokens["inspector"]
        assert all(status == 200 for _, status, _ in answers(client, token))
        assert kill_backends(postgres_server, proxy.upstream_ports) > 0
        for _ in range(3):
            found = answers(client, token)
            assert all(status == 200 for _, status, _ in found), found


def test_reads_while_the_store_is_unreachable_are_503_problems_then_recover(
    proxied: tuple[Runtime, str], proxy: TcpProxy
) -> None:
    runtime, _ = proxied
    world = World(runtime).setup()
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        token = world.tokens["inspector"]
        assert all(status == 200 for _, status, _ in answers(client, token))
        proxy.down()
        headers = {"Authorization": f"Bearer {token}"}
        down = client.get(f"/v1/logs/{AGENCY}/entries/0", headers=headers)
        assert down.status_code == 503, down.text
        assert down.headers["content-type"] == "application/problem+json"
        assert down.json()["type"] == "urn:jejak:problem:store-unavailable"
        proxy.up()
        for _ in range(
            120
        ):  # the pools reconnect with backoff: every answer meanwhile is a problem
            found = answers(client, token)
            for path, status, kind in found:
                assert status in (200, 503), found
                assert status == 200 or kind == "application/problem+json", (path, kind)
            if all(status == 200 for _, status, _ in found):
                break
            time.sleep(0.5)
        assert all(status == 200 for _, status, _ in found), found
