"""Fixtures for end-to-end tests through the real FastAPI app on each store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from ledger.bootstrap import Runtime
from tests.support import World


@pytest.fixture
def world(runtime: Runtime) -> World:
    return World(runtime).setup()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime)) as test_client:
        yield test_client
