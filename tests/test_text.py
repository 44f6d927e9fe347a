"""The width of text in a terminal, and padding to it (humanaid._text)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid._text import char_width, display_width, pad


@pytest.mark.parametrize(
    ("ch", "width"),
    [
        ("a", 1),
        (" ", 1),
        ("é", 1),  # precomposed
        ("汉", 2),  # East Asian Wide
        ("Ａ", 2),  # Fullwidth
        ("，", 2),  # a fullwidth comma
        ("\u0301", 0),  # a combining acute accent (Mn)
        ("\u20dd", 0),  # a combining enclosing circle (Me)
        ("\u200b", 0),  # zero-width space (Cf)
        ("\u200d", 0),  # zero-width joiner (Cf)
        ("\u00ad", 0),  # soft hyphen (Cf)
        ("\ufeff", 0),  # zero-width no-break space (Cf)
    ],
)
def test_char_width(ch: str, width: int) -> None:
    assert char_width(ch) == width


def test_a_decomposed_accent_takes_no_column_of_its_own() -> None:
    # The case the copies in projects.py and reach.py counted as two columns.
    assert display_width("Cafe\u0301") == display_width("Café") == 4
    assert display_width("a\u200bb") == 2
    assert display_width("捐赠 gifts") == 10


@given(st.text(), st.text())
def test_width_adds_up_over_concatenation(a: str, b: str) -> None:
    assert display_width(a + b) == display_width(a) + display_width(b)


@given(st.text())
def test_width_is_between_nought_and_two_columns_a_character(text: str) -> None:
    assert 0 <= display_width(text) <= 2 * len(text)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_takes_one_column_a_character(text: str) -> None:
    assert display_width(text) == len(text)


@given(st.text(alphabet=st.characters(categories=["Mn", "Me", "Cf"])))
def test_marks_and_format_characters_take_no_columns(text: str) -> None:
    assert display_width(text) == 0


@given(st.text(alphabet=st.characters(categories=["Lo"])))
def test_wide_characters_take_two_columns(text: str) -> None:
    wide = sum(unicodedata.east_asian_width(c) in ("W", "F") for c in text)
    assert display_width(text) == len(text) + wide


@given(st.text(max_size=10), st.integers(0, 30), st.booleans())
def test_pad_fills_to_the_width_and_keeps_the_text(text: str, width: int, right: bool) -> None:
    padded = pad(text, width, right=right)
    assert display_width(padded) == max(width, display_width(text))
    assert padded.endswith(text) if right else padded.startswith(text)
    assert set(padded.removesuffix(text) if right else padded.removeprefix(text)) <= {" "}


def test_pad_lines_up_chinese_and_latin_text() -> None:
    rows = [pad(t, 8) + "|" for t in ("捐赠", "gifts", "Cafe\u0301", "汉字ab")]
    assert {display_width(r) for r in rows} == {9}
    assert pad("12.50", 8, right=True) == "   12.50"
