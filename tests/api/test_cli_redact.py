"""`jejak redact` on both stores: the payload is erased and the basis printed; an open
complaint's entry is refused with one line and a non-zero exit, and nothing is stored."""

from __future__ import annotations

from pathlib import Path

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.servers import jejak
from tests.support import AGENCY, HEAD, OMBUDSMAN_OFFICER, UNIT, World, now, payload

BASIS = "UU 27/2022 Pasal 43"


def _world(env: dict[str, str]) -> tuple[int, int]:
    """The test world with an open complaint: (an entry it cites, an entry it does not)."""
    runtime = open_runtime(Settings.from_env(env))
    try:
        world = World(runtime).setup()
        free = runtime.logs.log(AGENCY).size - 1
        filed = payload(
            "complaint.filed",
            "lm-cli-1",
            OMBUDSMAN_OFFICER,
            {
                "unit": UNIT,
                "service": "KTP-el",
                "lapse_at": now().isoformat(),
                "form": "penundaan_berlarut",
                "summary": "Loket tutup",
            },
        )
        logs = runtime.logs
        logs.append([logs.prepare(world.ombudsman_signer.sign(filed))])
        world.append(payload("complaint.evidence_submitted", "lm-cli-1", HEAD, {"text": "bukti"}))
        return logs.log(AGENCY).size - 1, free
    finally:
        runtime.close()


def test_redact_erases_the_payload_and_refuses_an_entry_under_legal_hold(
    database_url: str, tmp_path: Path
) -> None:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    held, free = _world(env)

    refused = jejak(env, "redact", AGENCY, str(held), "--basis", BASIS)
    assert refused.returncode == 1
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert "lm-cli-1" in lines[0]
    assert "legal hold" in lines[0]

    done = jejak(env, "redact", AGENCY, str(free), "--basis", BASIS, "--reason", "data pribadi")
    assert done.returncode == 0, done.stderr
    assert BASIS in done.stdout

    missing = jejak(env, "redact", AGENCY, "9999", "--basis", BASIS)
    assert missing.returncode == 1
    assert "no entry 9999" in missing.stderr

    runtime = open_runtime(Settings.from_env(env))
    try:
        ledger = runtime.logs.log(AGENCY)
        assert ledger.entry(free).payload_b64 is None
        assert ledger.entry(held).payload_b64 is not None
        registry = runtime.logs.registry_state
        assert registry.redaction(AGENCY, held) is None
        found = registry.redaction(AGENCY, free)
        assert found is not None
        assert found.basis == BASIS
    finally:
        runtime.close()
