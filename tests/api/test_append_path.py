"""The appends' lean ASGI path (api/append_path.py) answers as the FastAPI routes do."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.append_path import AppendPath
from api.routes_entries import parse_body
from ledger.bootstrap import Runtime
from tests.support import (
    AGENCY,
    OTHER_AGENCY,
    STAFF,
    UNIT,
    World,
    payload,
    signed_complaint,
    wfa_request,
)

Answer = tuple[int, list[tuple[str, str]], bytes]


@pytest.fixture
def clients(runtime: Runtime, world: World) -> Iterator[tuple[TestClient, TestClient]]:
    """The app as `create_app` builds it, and the same app without the lean path (its appends
    answered by the FastAPI routes), on one runtime."""
    routed = create_app(runtime, "external")
    routed.user_middleware = [m for m in routed.user_middleware if m.cls is not AppendPath]
    with (
        TestClient(create_app(runtime), raise_server_exceptions=False) as lean,
        TestClient(routed, raise_server_exceptions=False) as through_routes,
    ):
        yield lean, through_routes


def answer(client: TestClient, path: str, body: bytes, headers: dict[str, str]) -> Answer:
    response = client.post(path, content=body, headers=headers, follow_redirects=False)
    return response.status_code, list(response.headers.multi_items()), response.content


def envelope(world: World, subject: str) -> dict[str, object]:
    return world.agency_signer.sign(payload("wfa.requested", subject, STAFF, wfa_request()))


def test_every_refusal_is_answered_byte_for_byte_as_by_the_routes(
    clients: tuple[TestClient, TestClient], world: World
) -> None:
    lean, routed = clients
    agency = {"Authorization": f"Bearer {world.tokens['agency']}"}
    good = envelope(world, "lean-1")
    text = json.dumps(good)
    forged = {**good, "signatures": [{**good["signatures"][0], "sig": "AAAA"}]}  # type: ignore[index, dict-item]
    mine = signed_complaint(world, "lean-c1", AGENCY, UNIT)
    theirs = signed_complaint(world, "lean-c2", OTHER_AGENCY, f"{OTHER_AGENCY}/loket")
    cases: list[tuple[str, bytes, dict[str, str]]] = [
        ("/v1/entries", b"{}", agency),
        ("/v1/entries", b"{not json", agency),
        ("/v1/entries", b"", agency),
        ("/v1/entries", b"\xff\xfe", agency),
        ("/v1/entries", b"[NaN]", agency),
        ("/v1/entries", b'{"payload": Infinity}', agency),
        ("/v1/entries", b"\xef\xbb\xbf{}", agency),  # json.loads takes a byte-order mark
        ("/v1/entries", "{}".encode("utf-16"), agency),
        ("/v1/entries", b'{"payload": 123456789012345678901234567890}', agency),
        ("/v1/entries", b'{"payload": "\\ud800"}', agency),
        ("/v1/entries", b'{"payload": 1e400}', agency),
        ("/v1/entries", json.dumps({"payload": "***"}).encode(), agency),
        ("/v1/entries", json.dumps(forged).encode(), agency),
        ("/v1/entries", ('{"payload": "x", ' + text[1:]).encode(), {}),  # a duplicate key
        ("/v1/entries", text.encode(), {}),
        ("/v1/entries", text.encode(), {"Authorization": "Basic abc"}),
        ("/v1/entries", text.encode(), {"Authorization": "Bearer "}),
        ("/v1/entries", text.encode(), {"Authorization": "Bearer jejak_unknown"}),
        ("/v1/entries", text.encode(), {"Authorization": f"Bearer {world.tokens['other']}"}),
        ("/v1/entries", text.encode(), {"Authorization": f"Bearer {world.tokens['inspector']}"}),
        ("/v1/entries?x=%00", text.encode(), agency),
        ("/v1/entries", b"[" * 100 + b"]" * 100, agency),
        ("/v1/entries", b" " * (1024 * 1024 + 1), agency),
        ("/v1/entries/batch", b"{}", agency),
        ("/v1/entries/batch", b'{"envelopes": []}', agency),
        ("/v1/entries/batch", json.dumps({"envelopes": [{}] * 1001}).encode(), agency),
        ("/v1/entries/batch", json.dumps({"envelopes": [good, {"payload": 1}]}).encode(), agency),
        ("/v1/entries/batch", json.dumps({"envelopes": [good, {}]}).encode(), agency),
        ("/v1/entries/batch", b"[]", agency),
        ("/v1/entries/batch", b"nope", agency),
        ("/v1/entries/batch", json.dumps({"envelopes": [mine, theirs]}).encode(), agency),
        (
            "/v1/entries/batch",
            json.dumps({"envelopes": [mine, theirs]}).encode(),
            {"Authorization": f"Bearer {world.tokens['ombudsman']}"},
        ),
        ("/v1/entries/", text.encode(), agency),  # not an append path: a redirect
    ]
    for path, body, headers in cases:
        expected = answer(routed, path, body, headers)
        assert expected[0] >= 300, (path, body[:80], expected)
        assert answer(lean, path, body, headers) == expected, (path, body[:80])
    assert lean.get("/v1/entries", headers=agency).status_code == 405


def test_appends_and_resubmissions_are_answered_as_by_the_routes(
    clients: tuple[TestClient, TestClient], world: World
) -> None:
    lean, routed = clients
    agency = {"Authorization": f"Bearer {world.tokens['agency']}"}
    first, second = (json.dumps(envelope(world, s)).encode() for s in ("lean-a", "lean-b"))
    created = answer(lean, "/v1/entries", first, agency)
    assert created[0] == 201
    assert answer(routed, "/v1/entries", first, agency)[1:] == created[1:]
    created = answer(routed, "/v1/entries", second, agency)
    assert created[0] == 201
    assert answer(lean, "/v1/entries", second, agency) == (200, *created[1:])
    batch = json.dumps({"envelopes": [envelope(world, f"lean-{n}") for n in range(3)]})
    receipts = answer(lean, "/v1/entries/batch", batch.encode(), agency)
    assert receipts[0] == 201
    assert [r["subject"] for r in json.loads(receipts[2])["receipts"]] == [
        "lean-0",
        "lean-1",
        "lean-2",
    ]
    assert answer(routed, "/v1/entries/batch", batch.encode(), agency) == receipts


@pytest.mark.parametrize(
    ("failure", "status"),
    [(RuntimeError("unexpected"), 500), (psycopg.OperationalError("gone"), 503)],
)
def test_failures_are_answered_as_by_the_routes(
    clients: tuple[TestClient, TestClient],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    status: int,
) -> None:
    lean, routed = clients
    agency = {"Authorization": f"Bearer {world.tokens['agency']}"}

    def fail(_: object) -> None:
        raise failure

    monkeypatch.setattr(world.runtime.logs, "prepare", fail)
    body = json.dumps(envelope(world, "lean-f")).encode()
    expected = answer(routed, "/v1/entries", body, agency)
    assert expected[0] == status
    assert answer(lean, "/v1/entries", body, agency) == expected


def test_only_the_two_append_posts_take_the_lean_path() -> None:
    passed: list[tuple[str, str]] = []

    async def rest(scope: Scope, receive: Receive, send: Send) -> None:
        passed.append((scope["method"], scope["path"]))

    lean = AppendPath(rest)

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        raise AssertionError("the lean path answered")

    for method, path in [
        ("GET", "/v1/entries"),
        ("PUT", "/v1/entries/batch"),
        ("POST", "/v1/entries/"),
        ("POST", "/v1/entries/batch/"),
        ("POST", "/v1/entriesx"),
        ("POST", "/v1/logs"),
    ]:
        scope = {"type": "http", "method": method, "path": path, "headers": []}
        asyncio.run(lean(scope, receive, send))
    assert len(passed) == 6


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": [2, {"b": "c", "b": null}]}',
        b'{"n": -9223372036854775808, "m": 18446744073709551615, "f": [0.1, -0.0, 1e308]}',
        b'{"big": 123456789012345678901, "neg": -12345678901234567890}',
        b'{"nan": NaN, "inf": [Infinity, -Infinity], "huge": 1e999}',
        b'"\\ud83d\\ude00 \\ud800 \\u0000"',
        b"\xef\xbb\xbf[1]",
        '{"ü": "€"}'.encode("utf-16"),
        '{"ü": "€"}'.encode("utf-32"),
        base64.b64encode(b"x" * 60),
    ],
)
def test_the_body_is_read_as_json_loads_reads_it(body: bytes) -> None:
    try:
        expected: object = json.loads(body)
    except ValueError:
        with pytest.raises(Exception, match="not JSON"):
            parse_body(body)
        return
    got = parse_body(body)
    assert repr(got) == repr(expected)
    assert [type(v) for v in _leaves(got)] == [type(v) for v in _leaves(expected)]


def _leaves(value: object) -> list[object]:
    if isinstance(value, dict):
        return [k for k in value] + [x for v in value.values() for x in _leaves(v)]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]
