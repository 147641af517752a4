"""Refusal rule: flexible work needs a policy version in force on the relevant date."""

from __future__ import annotations

from datetime import date

from domain.aggregates import Policy, PolicyVersion
from domain.errors import ImpossibleTransition, NoPolicyInForce


def require_policy(agency: str, policy: Policy | None, on: date) -> PolicyVersion:
    """The agency's policy version in force on `on`."""
    version = policy.in_force(on) if policy is not None else None
    if version is None:
        raise NoPolicyInForce(f"agency {agency!r} has no policy in force on {on.isoformat()}")
    return version


def decision_policy(
    agency: str, policy: Policy | None, decided_on: date, first_day: date
) -> PolicyVersion:
    """The version in force on the decision date, else (decided early) on the first day."""
    version = policy.in_force(decided_on) if policy is not None else None
    return version or require_policy(agency, policy, first_day)


def check_policy_version_new(policy: Policy | None, version: int | str) -> None:
    """A policy version number is enacted once."""
    if policy is not None and any(v.version == version for v in policy.versions):
        raise ImpossibleTransition(f"policy version {version!r} is already enacted")
