"""Flag rule: a disciplinary penalty recorded while the employee holds approved future days."""

from __future__ import annotations

from datetime import date

from domain.aggregates import Request
from domain.flags import Flag


def flag_arrangement_after_penalty(
    entry: int, nip: str, request: Request, penalised_on: date
) -> Flag | None:
    """The request still holds approved days from the penalty's date on (until revoked)."""
    days = [day for day in request.open_dates() if day >= penalised_on]
    if not days:
        return None
    listed = ", ".join(day.isoformat() for day in days)
    return Flag(
        "arrangement-after-penalty",
        entry,
        f"{nip} is penalised on {penalised_on.isoformat()} but request {request.id} still "
        f"holds approved flexible days {listed}",
    )
