"""``python -m humanaid``: the ``humanaid`` command (:mod:`humanaid.cli`)."""

from __future__ import annotations

import sys

from humanaid.cli import main

if __name__ == "__main__":
    sys.exit(main())
