"""How far the read models trail the log while a bench appends (issue 14: lag p99 ≤ 1 s).

A thread samples, every `every` seconds, the log's size (its latest checkpoint) and how many
of its entries the read models have applied (`applied` of a one-item compliance page). A
sample's lag is how long ago the log first reached the size the read models stand at: zero when
they have applied everything, else the time since the first sample that saw the log at least
that long (so the lag is measured to the sampling step, 50 ms by default).
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

import httpx


class LagSampler:
    """Samples the read models' lag behind one agency log while its `with` block runs."""

    def __init__(self, url: str, log: str, token: str, every: float = 0.05) -> None:
        self.url, self.log, self.every = url, log, every
        self.headers = {"Authorization": f"Bearer {token}"}
        self.sizes: list[tuple[float, int]] = []  # (instant, log size)
        self.lags: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="read-lag", daemon=True)

    def __enter__(self) -> LagSampler:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, headers=self.headers, timeout=30) as http:
            while not self._stop.wait(self.every):
                note = http.get(f"/v1/logs/{self.log}/checkpoint")
                page = http.get(f"/v1/agencies/{self.log}/compliance", params={"limit": 1})
                if note.status_code != 200 or page.status_code != 200:
                    continue
                at = time.monotonic()
                size = int(note.text.splitlines()[1])
                self.sizes.append((at, size))
                applied = int(page.json()["applied"])
                reached = next((t for t, s in self.sizes if s >= applied), at)
                self.lags.append(0.0 if applied >= size else at - reached)

    def p99(self) -> float:
        """The 99th percentile of the sampled lags in seconds (NaN: no sample)."""
        if not self.lags:
            return float("nan")
        ordered = sorted(self.lags)
        return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
