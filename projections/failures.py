"""A read model's failure to apply an entry: which agency, from which entry, and the error."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProjectionFailure:
    """The read models could not apply `entry` of `agency`: that agency's entries from `entry`
    on are parked (not applied) until a fixed build rebuilds the read models."""

    agency: str
    entry: int
    error: str

    def as_json(self) -> dict[str, object]:
        return {"agency": self.agency, "entry": self.entry, "error": self.error}

    def describe(self) -> str:
        return f"{self.agency} parked from entry {self.entry}: {self.error}"
