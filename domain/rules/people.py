"""Refusal rules for units, employees and evaluations."""

from __future__ import annotations

from domain.aggregates import Employee, Unit
from domain.errors import ImpossibleTransition, PayloadInvalid


def check_unit_new(subject: str, unit: Unit | None) -> None:
    """A unit is registered once."""
    if unit is not None:
        raise ImpossibleTransition(f"unit {subject!r} is already registered")


def check_unit_of_agency(unit_id: str, unit: Unit | None, agency: str) -> Unit:
    """The unit exists and belongs to the agency."""
    if unit is None or unit.agency != agency:
        raise ImpossibleTransition(f"unit {unit_id!r} is not a registered unit of {agency!r}")
    return unit


def check_employee_new(nip: str, employee: Employee | None) -> None:
    """An employee is enrolled once."""
    if employee is not None:
        raise ImpossibleTransition(f"employee {nip!r} is already enrolled")


def check_employee_known(nip: str, employee: Employee | None, agency: str) -> Employee:
    """The employee is enrolled in the agency."""
    if employee is None or employee.agency != agency:
        raise ImpossibleTransition(f"employee {nip!r} is not enrolled in {agency!r}")
    return employee


PRESENCE_PREFIX = "presence:"


def check_presence_subject(subject: str) -> str:
    """A presence stream is `presence:<NIP>`; returns the NIP."""
    nip = subject.removeprefix(PRESENCE_PREFIX)
    if nip == subject or not nip:
        raise PayloadInvalid(f"presence.recorded subject must be presence:<NIP>, not {subject!r}")
    return nip
