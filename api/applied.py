"""Read-your-writes: waiting until the read models have applied a log's entries."""

from __future__ import annotations

from projections.runner import ProjectionRunner


def wait_applied(runner: ProjectionRunner, log: str, size: int, timeout: float) -> bool:
    """Wait up to `timeout` s until the read models have applied the first `size` entries of
    `log` (no other log is waited for); say whether they did."""
    return size <= 0 or runner.wait_for(log, size - 1, timeout)
