"""JEJAK_PLACEMENT: which server holds which log, and a ledger whose logs span two servers."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from ledger.bootstrap import Runtime, open_runtime
from ledger.errors import ConfigurationError
from ledger.export import BundleQuery, plan_export, stream_bundle
from ledger.placement import REGISTRY_LOG, Placement, log_file_name, sqlite_log_url
from ledger.settings import Settings
from ledger.store import store_environment
from tests.support import AGENCY, OTHER_AGENCY, STAFF, World, payload, unit_payload, wfa_request
from verification.verifier import verify_bytes

PG1 = "postgresql://a@db1:5432/jejak"
PG2 = "postgresql://a@db2:5432/jejak"


def test_a_log_goes_to_its_named_server_others_to_the_default_registry_to_the_first() -> None:
    placement = Placement.parse(
        {"servers": {"pg1": PG1, "pg2": PG2}, "logs": {"kab-a": "pg2"}, "default": "pg2"}
    )
    assert placement.server_url("kab-a") == PG2
    assert placement.server_url("kab-b") == PG2
    assert placement.server_url(REGISTRY_LOG) == PG1
    assert Placement.parse({"servers": {"pg1": PG1, "pg2": PG2}}).server_url("kab-b") == PG1


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "must be an object"),
        ({"servers": {}}, "at least one database URL"),
        ({"servers": {"pg1": "sqlite:///x.db"}}, "postgresql:// URL"),
        ({"servers": {"pg1": PG1}, "logs": {"kab-a": "pg9"}}, "map log ids to server names"),
        ({"servers": {"pg1": PG1}, "default": "pg9"}, "'default' 'pg9' is not a server"),
        (
            {"servers": {"pg1": PG1, "pg2": PG2}, "logs": {REGISTRY_LOG: "pg2"}},
            "registry log lives on the first server",
        ),
    ],
)
def test_a_bad_placement_is_refused_in_one_line(raw: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Placement.parse(raw)


def test_placement_files_are_json_or_toml(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps({"servers": {"pg1": PG1}}), encoding="utf-8")
    (tmp_path / "p.toml").write_text(
        f'default = "pg2"\n[servers]\npg1 = "{PG1}"\npg2 = "{PG2}"\n', encoding="utf-8"
    )
    assert Placement.load(tmp_path / "p.json").server_url("x") == PG1
    assert Placement.load(tmp_path / "p.toml").server_url("x") == PG2
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="is not valid"):
        Placement.load(tmp_path / "bad.json")
    with pytest.raises(ConfigurationError, match="No such file"):
        Placement.load(tmp_path / "missing.json")


def test_sqlite_logs_are_files_beside_the_main_one_with_safe_names() -> None:
    assert log_file_name("kab-a") == "log-kab-a.db"
    assert log_file_name("org:x/y") == "log-org%3Ax%2Fy.db"
    assert sqlite_log_url("sqlite:////var/jejak/jejak.db", "kab-a") == (
        "sqlite:////var/jejak/jejak.logs/log-kab-a.db"
    )
    assert sqlite_log_url("sqlite:///var/w1.db", "kab-a") == "sqlite:///var/w1.logs/log-kab-a.db"


def _rows(url: str, table: str, log: str) -> int:
    env = store_environment(url)
    with psycopg.connect(url.split("?")[0]) as conn:
        query = SQL("SELECT count(*) FROM {}.{} WHERE log = %s").format(
            Identifier(env["POSTGRES_SCHEMA"]), Identifier(table)
        )
        row = conn.execute(query, (log,)).fetchone()
    return int(row[0]) if row else 0


def _append_to_both(runtime: Runtime) -> World:
    world = World(runtime).setup()
    logs = runtime.logs
    for i in range(3):
        logs.append(
            [
                logs.prepare(
                    world.agency_signer.sign(
                        payload("wfa.requested", f"{AGENCY}/wfa/{i}", STAFF, wfa_request())
                    )
                )
            ]
        )
    other = world.other_signer.sign(
        unit_payload(f"{OTHER_AGENCY}/unit-1") | {"agency": OTHER_AGENCY}
    )
    logs.append([logs.prepare(other)])
    return world


def test_logs_split_over_two_servers_keep_their_rows_where_placed(
    split_runtime: Runtime, split_env: dict[str, str]
) -> None:
    _append_to_both(split_runtime)
    placement = Placement.load(Path(split_env["JEJAK_PLACEMENT"]))
    first, second = placement.servers["pg1"], placement.servers["pg2"]
    size = split_runtime.logs.log(AGENCY).size
    assert size == 8  # policy, unit, three staff, three requests
    assert _rows(second, "jejak_entries", AGENCY) == size
    assert _rows(first, "jejak_entries", AGENCY) == 0
    assert _rows(first, "jejak_entries", OTHER_AGENCY) == 1
    assert _rows(first, "jejak_entries", REGISTRY_LOG) == split_runtime.registry.size
    assert _rows(second, "jejak_entries", REGISTRY_LOG) == 0
    assert _rows(second, "jejak_checkpoints", AGENCY) >= 1


def test_a_ledger_split_over_two_servers_reopens_with_every_log(
    split_runtime: Runtime, split_env: dict[str, str]
) -> None:
    _append_to_both(split_runtime)
    sizes = {log: split_runtime.logs.log(log).size for log in split_runtime.logs.ids()}
    split_runtime.close()
    again = open_runtime(Settings.from_env(split_env), open_logs=True)
    try:
        assert {log: again.logs.log(log).size for log in again.logs.ids()} == sizes
        checkpoint = again.logs.log(AGENCY).latest_checkpoint()
        assert checkpoint.note.startswith(f"jejak.localhost/log/{AGENCY}\n{sizes[AGENCY]}\n")
    finally:
        again.close()


def test_a_period_bundle_of_a_log_on_the_second_server_verifies_complete(
    split_runtime: Runtime,
) -> None:
    _append_to_both(split_runtime)
    logs = split_runtime.logs
    plan = plan_export(logs, BundleQuery(agency=AGENCY), None)
    text = "".join(stream_bundle(logs, plan))
    outcome = verify_bytes(text.encode(), split_runtime.log_verifier_key)
    assert outcome.failures == []
    assert outcome.verdict == "VERIFIED, COMPLETE"
    assert outcome.logs[AGENCY].entries == logs.log(AGENCY).size  # the registry's from pg1
    assert outcome.logs[REGISTRY_LOG].entries > 0
