"""Text printed from a bundle keeps every character a terminal would act on as an escape."""

from __future__ import annotations

import json

import pytest

from tests.verification.fixtures.hostile import DANGEROUS, HOSTILE_TEXT
from verification.printable import printable, printable_json


@pytest.mark.parametrize("char", sorted(DANGEROUS | {"\n", "\U000e0041", "\ud800"}))
def test_every_control_and_invisible_format_character_is_escaped(char: str) -> None:
    shown = printable(f"a{char}b")
    assert shown.startswith("a\\")
    assert shown.endswith("b")
    assert shown.isascii()


def test_readable_text_is_left_as_it_is() -> None:
    text = "Penyusunan laporan — Dinas Kependudukan, Arga Makmur 🙂 'ok' \\n"
    assert printable(text) == text


def test_common_controls_have_their_short_escapes() -> None:
    assert printable("\x1b[2J\r\nVERIFIED\t") == "\\x1b[2J\\r\\nVERIFIED\\t"


def test_json_keeps_its_meaning_and_its_line_breaks() -> None:
    value = {"subject": HOSTILE_TEXT, "astral": "\U000e0041🙂", "lone": "\ud800"}
    text = printable_json(json.dumps(value, ensure_ascii=False, indent=2))
    assert json.loads(text) == value
    assert not DANGEROUS & set(text)
    assert text.count("\n") == 4
