"""A failing stream to one agency for 10 s: the other agencies' appends and read models go on.

`bench/isolation.py` drives a real `jejak serve --workers 2`: bystander clients append valid
requests to three agencies while clients send agency 0 first valid requests (the baseline: the
same traffic, accepted), then for 10 s envelopes that each fail in a different way (decisions and
outputs for requests that do not exist, an unknown actor, another agency's key, a flipped
signature byte, a date out of bounds, a subject in another agency's namespace). The rates are
printed, not judged (timed assertions are flaky on a shared machine; `python -m bench.isolation`
measures them, docs/performance.md has the figures). What is judged: every bystander append is
accepted in every phase, every failing envelope gets a 4xx problem, none of them stores
anything, and the bystanders' read models answer for their newest receipt after each phase.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.isolation import POISON_KINDS, run

pytestmark = pytest.mark.slow


def test_a_failing_stream_to_one_agency_harms_no_other(database_url: str, tmp_path: Path) -> None:
    alone, valid, poison = run(
        database_url, tmp_path, seconds=10.0, alone_seconds=3.0, clients=6, poison_clients=3
    )
    for phase in (alone, valid, poison):
        print(f"\n{phase.row()}")
        assert set(phase.statuses) == {201}, (phase.name, phase.statuses)
        assert len(phase.newest) == 3, (phase.name, phase.newest)  # every bystander appended
    assert valid.target_size[1] > valid.target_size[0]  # agency 0 itself can append
    assert set(poison.target_statuses) == set(POISON_KINDS)
    answers = {s for statuses in poison.target_statuses.values() for s in statuses}
    assert answers
    assert all(400 <= status < 500 for status in answers), poison.target_statuses
    assert poison.target_size[1] == poison.target_size[0]  # nothing of the stream was stored
