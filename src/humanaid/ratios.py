"""Exact ratios: each value's share of a total, and growth from one figure to the next.

:func:`shares` gives shares that add up to exactly 1 (or rounded one by one, on request);
:func:`growth` the change from a base as an exact ratio, ``None`` from a zero base. Both
take Money of one currency, ints or Decimals, and never a float. Tables use them for
:meth:`Table.with_shares <humanaid.Table.with_shares>` and
:meth:`Table.with_growth <humanaid.Table.with_growth>`.

>>> shares({"cash": 3, "goods": 1}), growth(125, 100)
({'cash': Decimal('0.75'), 'goods': Decimal('0.25')}, Decimal('0.25'))
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final, TypeVar, overload

from humanaid._decimal import EXACT as _SUM
from humanaid._decimal import RATIO as _RATIO
from humanaid._decimal import tidy
from humanaid.errors import CurrencyMismatch
from humanaid.money import Money, Rounding, _round_fraction, _rounding_mode

__all__ = ["SHARE_PLACES", "growth", "shares"]

K = TypeVar("K")

SHARE_PLACES: Final = 27
"""Decimal places of a share computed without ``places``: shares of at most 27 places
add up to exactly 1 even in Python's default decimal context (28 digits)."""

Number = Money | int | Decimal
"""What :func:`shares` and :func:`growth` take: Money, an int or a Decimal (never a float)."""


def _as_fraction(value: object, what: str) -> tuple[Fraction, str | None]:
    if isinstance(value, Money):
        return Fraction(value.amount), value.currency
    if isinstance(value, bool | float):
        raise TypeError(f"{what} must be Money, an int or a Decimal (got {value!r})")
    if isinstance(value, int):
        return Fraction(value), None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{what} must be finite (got {value!r})")
        return Fraction(value), None
    raise TypeError(f"{what} must be Money, an int or a Decimal (got {type(value).__name__})")


@overload
def shares(  # type: ignore[overload-overlap]
    values: Mapping[K, Number], *, places: int | None = ..., rounding: Rounding | str | None = ...
) -> dict[K, Decimal | None]: ...
@overload
def shares(
    values: Iterable[Number], *, places: int | None = ..., rounding: Rounding | str | None = ...
) -> tuple[Decimal | None, ...]: ...
def shares(
    values: Mapping[Any, Number] | Iterable[Number],
    *,
    places: int | None = None,
    rounding: Rounding | str | None = None,
) -> dict[Any, Decimal | None] | tuple[Decimal | None, ...]:
    """Each value's share of their total, as exact Decimals that add up to exactly 1.

    Each share is cut to ``places`` decimal places (default :data:`SHARE_PLACES`, 27,
    which is exact for every share that a decimal can write in 27 places) and the last
    places left over are handed out one each to the shares that lost most in the cut,
    earlier ones first on a tie, so the shares always add up to exactly 1 and each is
    within one unit of its last place of the true share. With ``rounding`` (a
    :class:`~humanaid.Rounding` mode) each share is instead rounded on its own, as a
    printed report does: then they may add up to a little more or less than 1.

    Values are Money of one currency, ints or Decimals, none negative. When they add up
    to zero every share is ``None``.

    Args:
        values: a mapping (the result maps the same keys) or a sequence (the result is
            a tuple in the same order).
        places: the decimal places of each share (``2`` for whole percentages).
        rounding: round each share on its own with this mode instead.

    Raises:
        CurrencyMismatch: if the amounts are in more than one currency.
        ValueError: if a value is negative.

    >>> shares([1, 1, 1])
    (Decimal('0.333333333333333333333333334'), Decimal('0.333333333333333333333333333'), \
Decimal('0.333333333333333333333333333'))
    >>> shares({"cash": Money("300"), "goods": Money("100")})
    {'cash': Decimal('0.75'), 'goods': Decimal('0.25')}
    >>> shares([1, 1, 1], places=2)
    (Decimal('0.34'), Decimal('0.33'), Decimal('0.33'))
    >>> shares([1, 1, 1], places=2, rounding="half_up")
    (Decimal('0.33'), Decimal('0.33'), Decimal('0.33'))
    """
    if isinstance(values, Mapping):
        keys = list(values)
        result = _shares(list(values.values()), places, rounding)
        return dict(zip(keys, result, strict=True))
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"'values' must be a mapping or a sequence (got {type(values).__name__})")
    return tuple(_shares(list(values), places, rounding))


def _shares(
    values: list[Any], places: int | None, rounding: Rounding | str | None
) -> list[Decimal | None]:
    p = SHARE_PLACES if places is None else places
    if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p <= 60:
        raise ValueError(f"'places' must be a whole number from 0 to 60 (got {places!r})")
    fractions: list[Fraction] = []
    currencies: set[str] = set()
    for i, v in enumerate(values):
        f, cur = _as_fraction(v, f"'values[{i}]'")
        if f < 0:
            raise ValueError(f"shares are of values that are not negative (got {v} at {i})")
        fractions.append(f)
        if cur is not None:
            currencies.add(cur)
    if len(currencies) > 1:
        raise CurrencyMismatch(
            f"cannot take shares of a total of {', '.join(sorted(currencies))} amounts"
        )
    whole = sum(fractions, Fraction(0))
    if whole == 0:
        return [None] * len(values)
    exact = [f / whole for f in fractions]
    unit = 10**p
    if rounding is not None:
        mode = str(_rounding_mode(rounding).value)
        return [
            tidy(Decimal(_round_fraction(s * unit, mode)).scaleb(-p, context=_SUM)) for s in exact
        ]
    floors = [(s.numerator * unit) // s.denominator for s in exact]
    left = unit - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] * unit - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    return [tidy(Decimal(n).scaleb(-p, context=_SUM)) for n in floors]


def growth(current: Number, previous: Number) -> Decimal | None:
    """The growth from ``previous`` to ``current``: ``(current - previous) / |previous|``.

    ``0.25`` means up by a quarter, ``-0.5`` down by half. Dividing by the size of
    ``previous`` keeps the sign meaning "up" or "down" even from a negative base. The
    ratio is exact when a decimal can write it in 34 significant digits, and otherwise
    rounded half-even to 34 (the precision of IEEE decimal128), in a local context.

    When ``previous`` is zero there is no ratio: the result is ``None`` (a table shows
    an empty cell), never an infinity.

    Raises:
        CurrencyMismatch: if the two amounts are in different currencies.

    >>> growth(Money("125"), Money("100"))
    Decimal('0.25')
    >>> growth(3, 0) is None
    True
    >>> growth(Decimal("1"), 3)
    Decimal('-0.6666666666666666666666666666666667')
    """
    cur, c1 = _as_fraction(current, "'current'")
    prev, c2 = _as_fraction(previous, "'previous'")
    if c1 is not None and c2 is not None and c1 != c2:
        raise CurrencyMismatch(f"cannot compare {c1} and {c2} amounts; convert one first")
    if (c1 is None) != (c2 is None):
        raise TypeError("'current' and 'previous' must both be Money, or both numbers")
    if prev == 0:
        return None
    ratio = (cur - prev) / abs(prev)
    return tidy(_RATIO.divide(Decimal(ratio.numerator), Decimal(ratio.denominator)))
