"""Fixtures for end-to-end tests through the real FastAPI app on each store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.bootstrap import Runtime, open_runtime
from ledger.settings import Settings
from tests.support import World


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    settings = Settings.from_env(
        {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    )
    opened = open_runtime(settings)
    yield opened
    opened.close()


@pytest.fixture
def world(runtime: Runtime) -> World:
    return World(runtime).setup()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client
