"""Lines a test wants shown at the end of the run (``tests/conftest.py`` prints them).

A test appends a line here; the ``pytest_terminal_summary`` hook of ``tests/conftest.py``
writes every line under a "humanaid" section after the results, so a CI log shows a
measured figure (the hostile-input corpus: how many cases, how many refused) without
``-s`` or ``-rP``.
"""

from __future__ import annotations

LINES: list[str] = []
