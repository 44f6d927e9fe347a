"""When a spreadsheet would run a text cell as a formula (OWASP's advice on CSV injection).

One test for every writer of cells and headers (:meth:`humanaid.Table.to_csv`,
:func:`humanaid.write_csv`, :mod:`humanaid.interop.hxl`, a spreadsheet writer), so that
what one escapes the others escape too: :func:`runs_as_formula` says whether a text needs
a guard, :func:`guard` puts it on.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["guard", "runs_as_formula"]

_TRIGGERS: Final = ("=", "+", "-", "@")
# Skipped before looking for a trigger: spreadsheets drop leading blanks and invisibles.
_BLANK_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def runs_as_formula(text: str) -> bool:
    r"""Whether a spreadsheet may take ``text`` for a formula, so a writer must guard it.

    True when, after any leading apostrophes, ``text`` starts with a control character
    (tab, carriage return, line feed, NUL ...), or its first character that is not blank
    or invisible is ``=``, ``+``, ``-`` or ``@`` in any width (``＝``, ``﹦``). Leading
    apostrophes are skipped so that a guard is undone exactly: a reader removes one
    apostrophe from a cell ``c`` when ``c`` starts with one and ``runs_as_formula(c)``.

    >>> [runs_as_formula(t) for t in ("=1+2", " =1", "＝1", "'=x", "\t", "-5", "a=b", "")]
    [True, True, True, True, True, True, False, False]
    """
    text = text.lstrip("'")
    if not text:
        return False
    if unicodedata.category(text[0]) == "Cc":
        return True
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in _BLANK_CATEGORIES:
            continue
        return unicodedata.normalize("NFKC", ch).startswith(_TRIGGERS)
    return False


def guard(text: str) -> str:
    """``text`` as a cell or header a spreadsheet shows instead of running it.

    A text that :func:`runs_as_formula` gets one leading apostrophe, which spreadsheets
    hide; anything else is written as it is. A reader that removes one apostrophe from a
    cell that starts with one and runs as a formula gets the text back exactly.

    >>> [guard(t) for t in ("=1+2", "＋86 138", "'=x", "-5", "张三")]
    ["'=1+2", "'＋86 138", "''=x", "'-5", '张三']
    """
    return "'" + text if runs_as_formula(text) else text
