"""The README's interoperability example works exactly as written against a real server."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from ledger.signing import EnvelopeSigner
from tests.servers import ROOT, Server
from tests.support import World

pytestmark = pytest.mark.slow


def readme_example() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Appending from your own system", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match, "the README lost its Python example"
    return match.group(1)


def test_readme_client_appends_a_signed_unit(tmp_path: Path, sqlite_url: str) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": sqlite_url}
    runtime = open_runtime(Settings.from_env(env))
    key = Ed25519PrivateKey.generate()
    signer = EnvelopeSigner(key)
    runtime.operator.add_org("kab-contoh", "agency", "Pemerintah Kabupaten Contoh")
    runtime.operator.add_key("kab-contoh", signer.public_key_b64, None)
    token = World(runtime).token("agency", "kab-contoh")
    runtime.close()

    script = tmp_path / "client.py"
    script.write_text(readme_example())
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    server = Server(env, tmp_path / "server.log")
    try:
        done = subprocess.run(
            [sys.executable, str(script)],
            env={
                **os.environ,
                "JEJAK_URL": server.url,
                "JEJAK_TOKEN": token,
                "JEJAK_SIGNING_KEY": base64.b64encode(seed).decode(),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        index, leaf_hash = done.stdout.split()
        entry = httpx.get(
            f"{server.url}/v1/logs/kab-contoh/entries/{index}",
            headers={"Authorization": f"Bearer {token}"},
        )
        assert entry.json()["leaf_hash"] == leaf_hash
        assert entry.json()["payload"]["subject"] == "kab-contoh/dukcapil-loket"
    finally:
        server.stop()
