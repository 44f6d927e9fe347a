"""The library's local decimal contexts and its one way of showing a ratio as a percentage.

Every computation on amounts, counts and ratios runs in one of these contexts, never the
ambient one, so that a user's ``decimal.getcontext().prec = 5`` cannot change a total or
a figure in a report. They live here once so that every module rounds the same way.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from typing import Final

EXACT: Final = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=999,
    Emin=-999,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
)
"""Sums and exact products: 60 digits hold any sum of amounts below 10**18, and Inexact is
trapped in case one ever does not fit."""

RATIO: Final = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
)
"""Ratios (shares, rates, leverage): 34 significant digits, as IEEE decimal128, half-even."""

SHOWN: Final = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_UP,
    traps=[decimal.InvalidOperation, decimal.Overflow],
)
"""Figures rounded for people to read: half-up (四舍五入)."""


def percent(ratio: Decimal | int | None, places: int = 2, *, missing: str = "n/a") -> str:
    """Show a ratio as a percentage rounded half-up to ``places`` (``missing`` for None).

    >>> percent(Decimal("0.16666"))
    '16.67%'
    >>> percent(Decimal("0.95"), 1), percent(None)
    ('95.0%', 'n/a')
    """
    if ratio is None:
        return missing
    quantum = Decimal((0, (1,), -places))
    shown = SHOWN.multiply(Decimal(ratio), 100).quantize(quantum, context=SHOWN)
    return f"{shown:f}%"
