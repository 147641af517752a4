"""The second PostgreSQL cluster (tests/pg_cluster.py) starts, serves and is gone afterwards."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from tests.pg_cluster import port_open, running_cluster

pytestmark = pytest.mark.postgres


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def test_session_cluster_accepts_connections_with_its_settings(second_postgres_server: str) -> None:
    with psycopg.connect(second_postgres_server, connect_timeout=5) as conn:
        settings = {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in ("max_connections", "fsync", "port", "listen_addresses")
        }
        conn.execute("CREATE TEMPORARY TABLE probe (n int)")
        conn.execute("INSERT INTO probe VALUES (1)")
    assert settings == {
        "max_connections": "300",
        "fsync": "on",
        "port": str(port_of(second_postgres_server)),
        "listen_addresses": "127.0.0.1",
    }


def test_a_cluster_is_stopped_and_removed_on_exit(second_postgres_server: str) -> None:
    with running_cluster() as url:  # beside the session's cluster: the next free port
        assert port_of(url) != port_of(second_postgres_server)
        with psycopg.connect(url, connect_timeout=5) as conn:
            data = Path(str(conn.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
        assert data.is_dir()
    assert not data.parent.exists()
    assert not port_open(port_of(url))


def test_a_cluster_is_stopped_and_removed_when_the_body_fails(second_postgres_server: str) -> None:
    with pytest.raises(RuntimeError, match="the body failed"), running_cluster() as url:  # noqa: PT012
        with psycopg.connect(url, connect_timeout=5) as conn:
            data = Path(str(conn.execute("SHOW data_directory").fetchone()[0]))  # type: ignore[index]
        raise RuntimeError("the body failed")
    assert not data.parent.exists()
    assert not port_open(port_of(url))
