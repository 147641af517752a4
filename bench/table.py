"""Printing a benchmark's rows: a fixed-width table for people, then one JSON line for tools."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence


def print_results(bench: str, rows: Sequence[Mapping[str, object]], **context: object) -> None:
    header = list(rows[0])
    print(" | ".join(f"{h:>16}" for h in header))
    for row in rows:
        print(" | ".join(f"{row[h]!s:>16}" for h in header))
    print(json.dumps({"bench": bench, **context, "results": list(rows)}))
