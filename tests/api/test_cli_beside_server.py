"""The README flow with the server up: what the CLI registers, the next append can use."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.signing import EnvelopeSigner
from tests.api.test_readme_example import readme_example
from tests.servers import Server, jejak

pytestmark = pytest.mark.slow


def _jejak(env: dict[str, str], *args: str) -> str:
    done = jejak(env, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_first_append_after_the_cli_registers_succeeds_at_once(
    tmp_path: Path, sqlite_url: str
) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": sqlite_url}
    server = Server(env, tmp_path / "server.log")  # up before anything is registered
    try:
        key = Ed25519PrivateKey.generate()
        public = EnvelopeSigner(key).public_key_b64
        _jejak(env, "org", "add", "kab-contoh", "--kind", "agency", "--name", "Kabupaten Contoh")
        _jejak(env, "key", "add", "kab-contoh", "--public-key", public)
        token = _jejak(env, "token", "create", "--role", "agency", "--org", "kab-contoh").strip()
        script = tmp_path / "client.py"
        script.write_text(readme_example())
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        done = subprocess.run(
            [sys.executable, str(script)],
            env={
                **os.environ,
                "JEJAK_URL": server.url,
                "JEJAK_TOKEN": token.splitlines()[-1],
                "JEJAK_SIGNING_KEY": base64.b64encode(seed).decode(),
            },
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert len(done.stdout.split()) == 2  # the receipt's index and leaf hash
    finally:
        server.stop()
