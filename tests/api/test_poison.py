"""A poison client amid valid ones: every hostile input is refused alone, nobody else suffers.

A real `jejak serve` process; 15 clients append valid entries for two agencies for 10 s while
one client sends, in a loop, every hostile case of the input-bounds issue. Every valid append
must be accepted, every hostile one answered with a 4xx problem (never a 5xx, never a hang),
and both agencies' read models must have caught up shortly after the load ends.
"""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ledger.bootstrap import open_runtime
from ledger.settings import Settings
from tests.servers import Server
from tests.support import AGENCY, HEAD, OTHER_AGENCY, UNIT, World, payload, signer, wfa_request

pytestmark = pytest.mark.slow
VALID_CLIENTS = 15
LOAD_SECONDS = 10.0
OTHER_HEAD = "196801012000031005"


def _unit(agency: str, client: int, i: int) -> dict[str, object]:
    return payload(
        "unit.registered",
        f"{agency}/load-{client}-{i}",
        HEAD if agency == AGENCY else OTHER_HEAD,
        {
            "name": f"Unit {client}.{i}",
            "public_service": False,
            "service_hours": {"start": "08:00", "end": "16:00"},
            "min_on_site": 0,
        },
        agency=agency,
    )


class Hostile:
    """Every hostile case, each a callable sending one request and answering its status."""

    def __init__(self, world: World, url: str, token: str) -> None:
        self.world = world
        self.url = url
        self.http = httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        self.serial = 0

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def _signed(self, body: dict[str, object]) -> dict[str, object]:
        envelope: dict[str, object] = self.world.agency_signer.sign(body)
        return envelope

    def _post(self, envelope: object) -> int:
        return self.http.post("/v1/entries", json=envelope).status_code

    def _raw(self, content: bytes) -> int:
        return self.http.post(
            "/v1/entries", content=content, headers={"Content-Type": "application/json"}
        ).status_code

    def far_future_request(self) -> int:
        data = wfa_request()
        data["dates"] = ["9999-12-31"]
        return self._post(
            self._signed(payload("wfa.requested", f"wfa-poison-{self._next()}", HEAD, data))
        )

    def nul_in_policy_version(self) -> int:
        body = payload(
            "unit.registered",
            f"{AGENCY}/nul-{self._next()}",
            HEAD,
            {
                "name": "Unit\x00",
                "public_service": False,
                "service_hours": {"start": "08:00", "end": "16:00"},
                "min_on_site": 0,
            },
        )
        return self._post(self._signed(body))

    def deep_nesting(self) -> int:
        return self._raw(b"[" * 100_000 + b"]" * 100_000)

    def deep_nesting_in_batch(self) -> int:
        body = b'{"envelopes": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
        return self.http.post(
            "/v1/entries/batch", content=body, headers={"Content-Type": "application/json"}
        ).status_code

    def huge_index(self) -> int:
        return self.http.get(f"/v1/logs/{AGENCY}/entries/99999999999999999999").status_code

    def huge_checkpoint(self) -> int:
        return self.http.get(f"/v1/logs/{AGENCY}/checkpoints/99999999999999999999").status_code

    def far_future_bundle(self) -> int:
        return self.http.get(
            "/v1/bundles", params={"agency": AGENCY, "from": "9999-12-31", "to": "9999-12-31"}
        ).status_code

    def extreme_as_of(self) -> int:
        return self.http.get(
            f"/v1/agencies/{AGENCY}/requests", params={"as_of": "9999-12-31T23:59:59-23:59"}
        ).status_code

    def ancient_as_of(self) -> int:
        return self.http.get(
            f"/v1/agencies/{AGENCY}/compliance", params={"as_of": "0001-01-01T00:00:00Z"}
        ).status_code

    def unknown_signatures(self) -> int:
        envelope = self._signed(_unit(AGENCY, 99, self._next()))
        signatures = list(envelope["signatures"])  # type: ignore[call-overload]
        for n in range(7):
            stranger = signer(f"stranger-{n}").sign(_unit(AGENCY, 99, 0))
            signatures.append(stranger["signatures"][0])
        envelope["signatures"] = signatures
        return self._post(envelope)

    def registry_namespace(self) -> int:
        return self._post(
            self._signed(
                payload(
                    "unit.registered",
                    f"key:future-{self._next()}",
                    HEAD,
                    _unit(AGENCY, 0, 0)["data"],  # type: ignore[arg-type]
                )
            )
        )

    def other_agency_namespace(self) -> int:
        return self._post(
            self._signed(
                payload(
                    "unit.registered",
                    f"{OTHER_AGENCY}/taken-{self._next()}",
                    HEAD,
                    _unit(AGENCY, 0, 0)["data"],  # type: ignore[arg-type]
                )
            )
        )

    def path_traversal_subject(self) -> int:
        return self._post(
            self._signed(
                payload(
                    "unit.registered",
                    "../../etc/passwd",
                    HEAD,
                    _unit(AGENCY, 0, 0)["data"],  # type: ignore[arg-type]
                )
            )
        )

    def fullwidth_nip(self) -> int:
        data = wfa_request()
        data["employee"] = "１９８７０３１２２０１００１１００２"
        return self._post(
            self._signed(payload("wfa.requested", f"wfa-fw-{self._next()}", HEAD, data))
        )

    def number_out_of_range(self) -> int:
        envelope = self._signed(_unit(AGENCY, 98, self._next()))
        body = json.loads(base64.b64decode(envelope["payload"]))  # type: ignore[arg-type]
        body["data"]["min_on_site"] = 10**30
        return self._post(self._signed(body))

    def slow_body(self) -> int:
        """A Content-Length that the body never reaches: the server must give up by itself."""
        host, port = self.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=60) as sock:
            sock.sendall(
                b"POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 5000\r\n\r\n{"
            )
            answer = sock.recv(4096)
        return int(answer.split(b" ", 2)[1]) if answer else 0

    def cases(self) -> list[Callable[[], int]]:
        return [
            self.far_future_request,
            self.nul_in_policy_version,
            self.deep_nesting,
            self.deep_nesting_in_batch,
            self.huge_index,
            self.huge_checkpoint,
            self.far_future_bundle,
            self.extreme_as_of,
            self.ancient_as_of,
            self.unknown_signatures,
            self.registry_namespace,
            self.other_agency_namespace,
            self.path_traversal_subject,
            self.fullwidth_nip,
            self.number_out_of_range,
        ]


def _setup(database_url: str, tmp_path: Path) -> tuple[dict[str, str], World]:
    env = {"JEJAK_DATA_DIR": str(tmp_path / "data"), "JEJAK_DATABASE_URL": database_url}
    runtime = open_runtime(Settings.from_env(env))
    world = World(runtime).setup()
    other_unit = _unit(OTHER_AGENCY, 0, 0)
    other_unit["subject"] = f"{OTHER_AGENCY}/sekretariat"
    world.runtime.logs.append(
        [
            world.runtime.logs.prepare(world.other_signer.sign(other_unit)),
            world.runtime.logs.prepare(
                world.other_signer.sign(
                    payload(
                        "employee.enrolled",
                        OTHER_HEAD,
                        OTHER_HEAD,
                        {
                            "name": "Kepala Kota",
                            "unit": f"{OTHER_AGENCY}/sekretariat",
                            "position": "Kepala",
                            "supervisor": None,
                            "placed_at": "2020-01-01",
                            "discipline": "none",
                        },
                        agency=OTHER_AGENCY,
                    )
                )
            ),
        ]
    )
    runtime.close()
    assert UNIT.startswith(AGENCY)
    return env, world


def _caught_up(url: str, agency: str, token: str, index: int, since: float) -> float:
    """Seconds from `since` until the agency's read models answer having applied `index`.

    Each request waits (read-your-writes) up to the server's own bound and answers 503
    `projection-lag` beyond it; a loaded machine may need more than one such wait, so this asks
    again for up to two minutes. A read model that stalled never answers 200: the test fails.
    """
    deadline = since + 120
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as http:
        while True:
            response = http.get(f"/v1/agencies/{agency}/requests", params={"min_index": index})
            if response.status_code == 200:
                return time.monotonic() - since
            assert response.status_code == 503, response.text
            assert time.monotonic() < deadline, f"{agency}'s read models stalled: {response.text}"


def test_poison_client_harms_nobody(database_url: str, tmp_path: Path) -> None:
    env, world = _setup(database_url, tmp_path)
    server = Server(env, tmp_path / "server.log")
    accepted: Counter[str] = Counter()
    refused: list[str] = []
    hostile_answers: Counter[tuple[str, int]] = Counter()
    last_index: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def valid_client(n: int) -> None:
        agency, signer, token = (
            (AGENCY, world.agency_signer, world.tokens["agency"])
            if n % 2 == 0
            else (OTHER_AGENCY, world.other_signer, world.tokens["other"])
        )
        with httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http:
            i = 0
            while not stop.is_set():
                response = http.post("/v1/entries", json=signer.sign(_unit(agency, n, i)))
                i += 1
                with lock:
                    if response.status_code == 201:
                        accepted[agency] += 1
                        last_index[agency] = max(
                            last_index.get(agency, 0), response.json()["index"]
                        )
                    else:
                        refused.append(f"{response.status_code} {response.text[:200]}")

    def poison_client() -> None:
        hostile = Hostile(world, server.url, world.tokens["agency"])
        while not stop.is_set():
            for case in hostile.cases():
                try:
                    status = case()
                except httpx.HTTPError:
                    status = 0  # the server dropped the connection: as bad as a 5xx
                with lock:
                    hostile_answers[(case.__name__, status)] += 1
                if stop.is_set():
                    break

    def slow_client() -> None:
        """Bodies that never arrive, one after another: each holds a connection until refused."""
        hostile = Hostile(world, server.url, world.tokens["agency"])
        while not stop.is_set():
            try:
                status = hostile.slow_body()
            except OSError:
                status = 0
            with lock:
                hostile_answers[("slow_body", status)] += 1

    threads = [threading.Thread(target=valid_client, args=(n,)) for n in range(VALID_CLIENTS)]
    threads += [threading.Thread(target=poison_client), threading.Thread(target=slow_client)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(LOAD_SECONDS)
        stop.set()
        for thread in threads[:VALID_CLIENTS]:
            thread.join(timeout=120)
        ended = time.monotonic()  # the valid load's end; the slow body may still be pending
        caught_up = {
            agency: _caught_up(server.url, agency, world.tokens[token], last_index[agency], ended)
            for agency, token in ((AGENCY, "agency"), (OTHER_AGENCY, "other"))
        }
        for thread in threads[VALID_CLIENTS:]:
            thread.join(timeout=120)
    finally:
        server.stop()

    print(
        f"\nvalid accepted {dict(accepted)}, refused {len(refused)}; "
        f"hostile answers {sorted(hostile_answers.items())}; caught up after {caught_up}"
    )
    assert refused == []
    assert accepted[AGENCY] > 0
    assert accepted[OTHER_AGENCY] > 0
    bad = {case: status for (case, status) in hostile_answers if not 400 <= status < 500}
    assert bad == {}
    assert {case for case, _ in hostile_answers} >= {
        case.__name__ for case in Hostile(world, server.url, "").cases()
    } | {"slow_body"}
