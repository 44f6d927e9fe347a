"""Text as a terminal shows it: the columns a string takes, and padding to a width.

The plain-text tables of the library (a :class:`~humanaid.Table` printed, a
project's finance, a programme's funnel) line up Chinese and Latin text in one column.
A terminal gives an East Asian wide or fullwidth character (汉字, ＡＢＣ) two columns, a
combining mark (the accent of a decomposed é) and a zero-width character (a joiner, a
zero-width space, a soft hyphen) none, and everything else one. This module counts them
so once, for every table.

>>> display_width("捐赠 total")
10
>>> print(pad("捐赠", 6) + "|" + pad("12.50", 6, right=True) + "|")
捐赠  | 12.50|
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["char_width", "display_width", "pad"]

_ZERO_WIDTH_CATEGORIES: Final = frozenset({"Mn", "Me", "Cf"})
"""Nonspacing and enclosing marks, and format characters (zero-width space and joiners,
soft hyphen, bidi marks): they take no column of their own."""


def char_width(ch: str) -> int:
    r"""The columns one character takes: 0, 1 or 2.

    0 for a combining mark or a zero-width (format) character, 2 for an East Asian wide
    or fullwidth character, 1 for the rest.

    >>> [char_width(c) for c in "a汉\u0301\u200bＡ"]
    [1, 2, 0, 0, 2]
    """
    if unicodedata.combining(ch) or unicodedata.category(ch) in _ZERO_WIDTH_CATEGORIES:
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def display_width(text: str) -> int:
    r"""The columns ``text`` takes in a terminal: the sum of its characters' widths.

    >>> display_width("abc"), display_width("汉字"), display_width("Cafe\u0301")
    (3, 4, 4)
    """
    if text.isascii():  # every ASCII character takes one column
        return len(text)
    return sum(char_width(ch) for ch in text)


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` filled with spaces to ``width`` columns, aligned left or (``right``) right.

    The spaces go after the text, or before it with ``right=True`` (numbers are aligned
    right). Text already as wide or wider comes back unchanged.

    >>> pad("汉", 4) + "|", pad("12", 4, right=True)
    ('汉  |', '  12')
    """
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill
