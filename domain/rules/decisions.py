"""Flag rule: a rejection, revision request or revocation by someone not entitled to decide."""

from __future__ import annotations

from collections.abc import Collection

from domain.aggregates import Employee, Request
from domain.flags import Flag


def flag_decision_by_non_approver(
    entry: int,
    request: Request,
    employee: Employee,
    decider: str,
    decision: str,
    named: Collection[str] = (),
) -> Flag | None:
    """The decision is taken by someone other than the employee's supervisor or an approver
    the policy names (PermenPANRB 4/2025), or by the employee on their own request."""
    if decider != request.employee and (decider == employee.supervisor or decider in named):
        return None
    what = decision.replace("_", " ")
    return Flag(
        "decision-by-non-approver",
        entry,
        f"request {request.id} {what} by {decider}, who is not the supervisor "
        f"({employee.supervisor}) of {employee.nip}",
    )
