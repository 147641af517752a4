"""Every flag and event type has its words in both languages (no raw code on a page)."""

from __future__ import annotations

import re
from pathlib import Path

from api.pages.i18n import EVENT_TERMS, TERMS
from domain.event_data import EVENT_TYPES

RULES = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def _flags() -> set[str]:
    section = RULES.read_text().split("## Flags", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE))


def test_every_flag_in_rules_md_has_terms_in_both_languages() -> None:
    flags = _flags()
    assert len(flags) >= 20
    assert flags - set(TERMS) == set()
    assert all(all(TERMS[flag]) for flag in flags)


def test_every_event_type_has_terms_in_both_languages() -> None:
    assert set(EVENT_TYPES) - set(EVENT_TERMS) == set()
    assert all(all(EVENT_TERMS[kind]) for kind in EVENT_TYPES)
