"""On every demo leaf and payload, of every log, the fast canonical JSON is rfc8785's, byte for
byte."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from api.demo.load import open_demo_runtime
from ledger.bootstrap import Runtime
from ledger.settings import Settings
from verification.canonical import canonical_json, fast_path_safe, leaf_canonical
from verification.leaf import Leaf


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data: Path = tmp_path_factory.mktemp("demo")
    runtime, _ = open_demo_runtime(Settings.from_env({"JEJAK_DATA_DIR": str(data)}))
    yield runtime
    runtime.close()


def _recorded(runtime: Runtime) -> Iterator[tuple[str, dict[str, Any], bytes]]:
    for log in runtime.logs.ids():
        ledger = runtime.logs.log(log)
        store = ledger.store
        for start in range(0, ledger.size, 1000):
            for stored in store.recorder.entries(start, start + 1000):
                entry = store.decode(stored)
                payload = base64.b64decode(str(entry.envelope["payload"]))
                yield entry.leaf_json, entry.leaf, payload


def test_demo_leaves_and_payloads_encode_as_rfc8785(demo: Runtime) -> None:
    leaves = fast = 0
    for leaf_json, leaf, payload in _recorded(demo):
        expected = rfc8785.dumps(leaf)
        assert leaf_json.encode() == expected
        assert leaf_canonical(Leaf.from_json(leaf)) == expected
        assert canonical_json(leaf) == expected
        body = json.loads(payload)
        assert canonical_json(body) == rfc8785.dumps(body)
        leaves += 1
        fast += fast_path_safe(body)
    logs = demo.logs
    assert leaves == sum(logs.log(log).size for log in logs.ids()) > 100
    assert len(logs.ids()) > 2  # the registry log and the agencies' logs
    assert fast > leaves // 2  # the payloads mostly take the orjson path too
