"""Lines a test wants shown at the end of the run (``tests/conftest.py`` prints them).

A test calls :func:`show` with pytest's ``record_property``; the line travels with the
test's report (also from a pytest-xdist worker to the controller), and the
``pytest_terminal_summary`` hook of ``tests/conftest.py`` writes every such line under a
"humanaid" section after the results, so a CI log shows a measured figure (the
hostile-input corpus: how many cases, how many refused) without ``-s`` or ``-rP``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

KEY = "humanaid-summary"


def show(record_property: Callable[[str, object], None], line: str) -> None:
    """Have ``line`` printed at the end of the run."""
    record_property(KEY, line)


def lines(reports: Iterable[Any]) -> list[str]:
    """The lines the tests of ``reports`` asked to show, in order, each once."""
    out: list[str] = []
    for report in reports:
        for key, value in getattr(report, "user_properties", ()):
            if key == KEY and str(value) not in out:
                out.append(str(value))
    return out
