"""The flag a rule raises on an entry: recorded with the entry, shown to inspectors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Flag:
    """A rule violation recorded against the entry that raised it."""

    rule: str
    entry: int
    detail: str

    def as_json(self) -> dict[str, object]:
        """The flag as the API and bundles show it."""
        return {"rule": self.rule, "entry": self.entry, "detail": self.detail}
