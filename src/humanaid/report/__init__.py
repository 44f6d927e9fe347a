"""Deprecated: the old path of :mod:`humanaid.table`, kept for one release.

``Table``, ``Column`` and ``ColumnKind`` live in :mod:`humanaid.table` (or come from
:mod:`humanaid` itself). Importing this module warns with a :class:`DeprecationWarning`;
the module goes in the next release.

It is a package rather than a ``report.py`` beside ``table.py`` only so that git sees
``report.py`` renamed to ``table.py`` and merges changes made to the old file into the
new one.
"""

from __future__ import annotations

import warnings
from typing import Any

from humanaid import table as _table
from humanaid.table import CURRENCY_COLUMN, MONEY_UNITS, Column, ColumnKind, Table

__all__ = ["CURRENCY_COLUMN", "MONEY_UNITS", "Column", "ColumnKind", "Table"]

warnings.warn(
    "humanaid.report is now humanaid.table; the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    """Anything else the old module held, from :mod:`humanaid.table`."""
    try:
        return getattr(_table, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
