"""Read-your-writes: waiting until the read models have applied a log's entries."""

from __future__ import annotations

from projections.runner import ProjectionRunner


def wait_applied(runner: ProjectionRunner, log: str, size: int, timeout: float) -> bool:
    """Wait up to `timeout` s until the read models have applied the first `size` entries of
    `log`; say whether they did."""
    del log  # the runner follows every log's entries as one stream (projections/runner.py)
    return runner.wait_for(size, timeout)
