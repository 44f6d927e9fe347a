"""Deprecated: the old path of :mod:`humanaid.reported_figures` and :mod:`humanaid.reconciliation`.

``ReportedFigure`` and ``parse_figure`` live in :mod:`humanaid.reported_figures` (the
record), ``reconcile``, ``Reconciliation`` and ``ReconciledFigure`` in
:mod:`humanaid.reconciliation`; all of them come from :mod:`humanaid` itself. Importing
this module warns with a :class:`DeprecationWarning`; the module goes in the next
release.

It is a package rather than a ``reported.py`` beside the new modules only so that git
sees ``reported.py`` renamed to ``reported_figures.py`` and merges changes made to the
old file into the new one.
"""

from __future__ import annotations

import warnings
from typing import Any

from humanaid import reconciliation as _reconciliation
from humanaid import reported_figures as _reported_figures
from humanaid.reconciliation import ReconciledFigure, Reconciliation, reconcile
from humanaid.reported_figures import ReportedFigure, parse_figure

__all__ = ["ReconciledFigure", "Reconciliation", "ReportedFigure", "parse_figure", "reconcile"]

warnings.warn(
    "humanaid.reported is now humanaid.reported_figures (the record, parse_figure) and "
    "humanaid.reconciliation (reconcile); the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)


def __getattr__(name: str) -> Any:
    """Anything else the old module held, from the two modules it became."""
    for module in (_reported_figures, _reconciliation):
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
