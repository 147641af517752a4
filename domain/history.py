"""A subject's view as of an instant, from its steps: state, annotations and flags."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from domain.aggregates import Aggregate, Policy, Request
from domain.flags import Flag
from domain.rules.timing import missing_output_flags
from domain.store import Step
from domain.views import SubjectView, render, render_annotations


def flag_order(flag: Flag) -> tuple[int, str, str]:
    return (flag.entry, flag.rule, flag.detail)


def steps_until(steps: Sequence[Step], at: datetime) -> tuple[Step, ...]:
    """The steps integrated by `at`."""
    return tuple(step for step in steps if step.integrated_at <= at)


def value_of(steps: Sequence[Step]) -> Aggregate | None:
    """The aggregate value the last of the steps left."""
    for step in reversed(steps):
        if step.value is not None:
            return step.value
    return None


def missing_outputs(value: Aggregate | None, at: datetime, policy: Policy | None) -> list[Flag]:
    """Approved days of a request left without an output report past the deadline, at `at`."""
    if not isinstance(value, Request) or policy is None:
        return []
    return list(missing_output_flags(value, at, policy.in_force))


def subject_view(
    subject: str, kind: str, steps: Sequence[Step], at: datetime, policy: Policy | None
) -> SubjectView | None:
    """The subject as its steps integrated by `at` left it, with the time-dependent flags
    (missing output reports) judged at `at` under `policy` (the agency's, as of `at`)."""
    until = steps_until(steps, at)
    if not until:
        return None
    value = value_of(until)
    state = render(value)
    annotations = tuple(step.annotation for step in until if step.annotation is not None)
    if annotations:
        state["annotations"] = render_annotations(annotations)
    recorded = [flag for step in until for flag in step.flags]
    flags = tuple(sorted(recorded + missing_outputs(value, at, policy), key=flag_order))
    return SubjectView(subject, kind, state, flags, tuple(step.index for step in until))
