"""A small keep-alive HTTP/1.1 load generator on asyncio streams (lighter than an HTTP library)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """What a run achieved: requests done, seconds taken, latency of each request."""

    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_cpu: float = 0.0  # CPU seconds of the server and its processes during the run
    lag_p99: float = float("nan")  # the read models' lag behind the log during the run, p99 s

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value.strip())
    return status, await reader.readexactly(length)


def request_bytes(method: str, host: str, path: str, token: str, body: bytes = b"") -> bytes:
    """One HTTP/1.1 request on a keep-alive connection (JSON body for POST)."""
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
    if method == "POST":
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


async def _client(
    host: str, port: int, path: str, token: str, bodies: list[bytes], result: LoadResult
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        for body in bodies:
            started = time.perf_counter()
            writer.write(request_bytes("POST", host, path, token, body))
            await writer.drain()
            status, _ = await read_response(reader)
            result.latencies.append(time.perf_counter() - started)
            result.statuses[status] = result.statuses.get(status, 0) + 1
    finally:
        writer.close()


def run_load(
    url: str, path: str, token: str | Sequence[str], per_client: Sequence[list[bytes]]
) -> LoadResult:
    """Send each client's bodies sequentially over its own connection, all clients at once;
    `token` is one for every client, or one per client."""
    host, _, port = url.removeprefix("http://").partition(":")
    result = LoadResult(requests=sum(len(b) for b in per_client), seconds=0.0)
    tokens = [token] * len(per_client) if isinstance(token, str) else list(token)

    async def main() -> None:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                _client(host, int(port), path, tokens[i], bodies, result)
                for i, bodies in enumerate(per_client)
            )
        )
        result.seconds = time.perf_counter() - started

    asyncio.run(main())
    return result


def batch_body(envelopes: Sequence[dict[str, object]]) -> bytes:
    return json.dumps({"envelopes": list(envelopes)}).encode()
