"""The library's decimals: local contexts, plain decimal text, ratios and percentages.

Every computation on amounts, counts and ratios runs in one of these contexts, never the
ambient one, so that a user's ``decimal.getcontext().prec = 5`` cannot change a total or
a figure in a report. They live here once so that every module rounds the same way, and
so do the few helpers every module needs of a decimal: what text counts as one
(:data:`PLAIN_DECIMAL`), the converter of a decimal field (:func:`to_decimal`), one
amount over another (:func:`ratio`) and a ratio shown as a percentage (:func:`percent`).
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Final, overload

if TYPE_CHECKING:
    from humanaid.money import Money

__all__ = [
    "EXACT",
    "PLAIN_DECIMAL",
    "PLAIN_DECIMAL_MAX_LENGTH",
    "RATIO",
    "SHOWN",
    "is_plain_decimal",
    "percent",
    "plain_digits",
    "ratio",
    "tidy",
    "to_decimal",
]

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


def tidy(d: Decimal, context: decimal.Context = EXACT) -> Decimal:
    """``d`` without trailing zeros (0.7500 -> 0.75), a whole number kept plain (1, not 1E+0).

    >>> tidy(Decimal("0.7500")), tidy(Decimal("100.00"))
    (Decimal('0.75'), Decimal('100'))
    """
    n = d.normalize(context)
    exponent = n.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        n = n.quantize(Decimal(1), context=context)
    return n


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


PLAIN_DECIMAL: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?\Z", re.ASCII)
"""A decimal as the library writes and reads it: ASCII digits, an optional sign and point,
no exponent, separators or spaces (``"-1234.50"``)."""

PLAIN_DECIMAL_MAX_LENGTH: Final = 64
"""The longest plain decimal text accepted: more digits than any amount or rate holds."""


def is_plain_decimal(text: str) -> bool:
    """Whether ``text`` is a plain decimal of at most 64 characters.

    >>> is_plain_decimal("-1234.50"), is_plain_decimal("1e3"), is_plain_decimal(" 1")
    (True, False, False)
    """
    return len(text) <= PLAIN_DECIMAL_MAX_LENGTH and PLAIN_DECIMAL.match(text) is not None


def plain_digits(value: Decimal) -> int:
    """How many digits a finite decimal's plain text holds (what the JSON reader counts).

    Counted from the exponent, never by writing the text (``1E-999999999`` would take a
    billion characters).

    >>> [plain_digits(Decimal(d)) for d in ("0.06", "1E-100", "123.4500", "1E+3", "0E-40")]
    [3, 101, 7, 4, 41]
    """
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int), "a finite decimal"
    whole = max(1, len(digits) + exponent)  # digits before the point: at least "0"
    return whole + max(0, -exponent)


def to_decimal(value: object, *, text: bool = False) -> object:
    """The converter of a decimal field: an int becomes a :class:`~decimal.Decimal`.

    A bool is not an int here (``True`` is not 1 of anything). With ``text=True`` a plain
    decimal string (:func:`is_plain_decimal`: ``"0.06"``, never ``" 0.06"``, ``"6e-2"`` or
    ``"NaN"``) becomes one too. Anything else comes back unchanged, for the field's
    validator to refuse by name, so that a float is never turned into an inexact decimal.

    >>> to_decimal(3), to_decimal("0.06", text=True)
    (Decimal('3'), Decimal('0.06'))
    >>> to_decimal("0.06"), to_decimal("6e-2", text=True), to_decimal(True), to_decimal(0.5)
    ('0.06', '6e-2', True, 0.5)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if text and isinstance(value, str) and is_plain_decimal(value):
        return Decimal(value)
    return value


@overload
def ratio(part: Decimal, whole: Decimal | None) -> Decimal | None: ...


@overload
def ratio(part: Money, whole: Money | None, *, mixed_ok: bool = False) -> Decimal | None: ...


def ratio(
    part: Decimal | Money, whole: Decimal | Money | None, *, mixed_ok: bool = False
) -> Decimal | None:
    """``part / whole`` to 34 significant digits, half-even; ``None`` with nothing to divide by.

    The ratio is exact to :data:`RATIO`'s precision and not rounded for show (that is
    :func:`percent`'s job). It is ``None`` when ``whole`` is ``None`` or zero: a share of
    nothing is no figure, not an error.

    Two amounts of money must be in one currency: another currency raises
    :class:`~humanaid.errors.CurrencyMismatch`, since a ratio of yuan to dollars is a
    bug in the figures. ``mixed_ok=True`` is for a table that shows a ratio where it can
    (a campaign whose target is in another currency has no share of it): there the
    mismatch gives ``None``.

    >>> ratio(Decimal(1), Decimal(3))
    Decimal('0.3333333333333333333333333333333333')
    >>> ratio(Decimal(1), Decimal(0)) is None, ratio(Decimal(1), None) is None
    (True, True)
    >>> from humanaid.money import Money
    >>> ratio(Money("25"), Money("100"))
    Decimal('0.25')
    >>> ratio(Money("25"), Money("100", "USD"), mixed_ok=True) is None
    True
    """
    if whole is None or whole.is_zero():
        return None
    if isinstance(part, Decimal) or isinstance(whole, Decimal):
        if not (isinstance(part, Decimal) and isinstance(whole, Decimal)):
            raise TypeError(
                f"a ratio is of two Decimals or two Money values "
                f"(got {type(part).__name__} and {type(whole).__name__})"
            )
        return RATIO.divide(part, whole)
    if mixed_ok and part.currency != whole.currency:
        return None
    result: Decimal = part / whole  # CurrencyMismatch for another currency
    return result
