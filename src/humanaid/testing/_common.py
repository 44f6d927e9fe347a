"""The building blocks every strategy family draws from: ids, money, days, numbers, text, kinds.

What an id, an amount, a day or a choice of kinds may be is said once, here; the family
modules (:mod:`~humanaid.testing.fundraising`, :mod:`~humanaid.testing.funds`, ...) build
their records from these blocks instead of redefining them. The value strategies users
meet (:func:`ids`, :func:`currencies`, :func:`money`, :func:`dates`, :func:`periods`,
:func:`phone_numbers`) are re-exported by :mod:`humanaid.testing`.

A block called twice with the same arguments returns the same strategy: the families draw
from blocks inside their ``@st.composite`` functions, and a strategy Hypothesis has seen
before is three times faster to draw from than a new one.

>>> from hypothesis import given
>>> @given(money_units(currency="JPY", min_value=1, max_value=9))
... def test_yen(m):
...     assert m.currency == "JPY" and 1 <= m.minor_units <= 9
>>> test_yen()
"""

from __future__ import annotations

import enum
import functools
import string
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import ParamSpec, TypeVar

from hypothesis import strategies as st

from humanaid._currencies import MINOR_UNITS
from humanaid.money import MAX_AMOUNT, Money
from humanaid.periods import Period

__all__ = [
    "GOODS",
    "GOODS_UNITS",
    "ID_ALPHABET",
    "MAX_DATE",
    "MIN_DATE",
    "SHORT_ID_ALPHABET",
    "currencies",
    "dates",
    "decimals",
    "ids",
    "labels",
    "members_of",
    "money",
    "money_units",
    "periods",
    "phone_numbers",
    "short_ids",
]

P = ParamSpec("P")
T = TypeVar("T")


def _reused(make: Callable[P, T]) -> Callable[P, T]:
    """Make each strategy once per distinct arguments (strategies are immutable values)."""
    cached: Callable[..., T] = functools.cache(make)

    @functools.wraps(make)
    def reuse(*args: P.args, **kwargs: P.kwargs) -> T:
        return cached(*args, **kwargs)

    return reuse


# -- ids ---------------------------------------------------------------------------------------

ID_ALPHABET = string.ascii_letters + string.digits + "-_.:/"
"""The characters :func:`ids` draws from (every one of them is valid in a record id)."""

SHORT_ID_ALPHABET = string.ascii_lowercase + string.digits + "-"
"""The characters :func:`short_ids` draws from."""


@_reused
def ids(*, prefix: str = "") -> st.SearchStrategy[str]:
    """Valid record ids: ``prefix`` followed by 1 to 12 id-safe characters.

    >>> from hypothesis import given
    >>> @given(ids(prefix="donor-"))
    ... def test_prefixed(i):
    ...     assert i.startswith("donor-") and len(i) > 6
    >>> test_prefixed()
    """
    return st.text(ID_ALPHABET, min_size=1, max_size=12).map(lambda s: prefix + s)


@_reused
def short_ids(*, prefix: str = "") -> st.SearchStrategy[str]:
    """Short ids for the records the families build: ``prefix`` and 1 to 8 of a-z, 0-9, -.

    Short lowercase ids keep a failing example easy to read, and draw the same id twice
    often enough that references between records sometimes resolve.
    """
    text = st.text(SHORT_ID_ALPHABET, min_size=1, max_size=8)
    return text.map(lambda s: prefix + s) if prefix else text


# -- money -------------------------------------------------------------------------------------


def currencies() -> st.SearchStrategy[str]:
    """ISO 4217 codes that :class:`~humanaid.Money` accepts, shrinking towards CNY."""
    return st.sampled_from(["CNY", *sorted(c for c in MINOR_UNITS if c != "CNY")])


@_reused
def money_units(
    *, currency: str = "CNY", min_value: int = 1, max_value: int = 10**9
) -> st.SearchStrategy[Money]:
    """Money of ``currency`` drawn as a whole number of minor units (fen, cents, yen).

    ``min_value`` and ``max_value`` count minor units: 1 to 10**9 fen is 0.01 to 1000万元.
    """
    return st.integers(min_value=min_value, max_value=max_value).map(
        lambda units: Money.from_minor_units(units, currency)
    )


def money(
    *,
    currency: str | None = "CNY",
    min_value: str | int | Decimal | None = None,
    max_value: str | int | Decimal | None = None,
) -> st.SearchStrategy[Money]:
    """Exact amounts of money.

    Args:
        currency: the currency, or ``None`` for any known currency.
        min_value: the smallest amount (default ``-10**12``).
        max_value: the largest amount (default ``10**12``).
    """
    if currency is None:
        return currencies().flatmap(
            lambda c: money(currency=c, min_value=min_value, max_value=max_value)
        )
    low = Money(min_value if min_value is not None else -(10**12), currency)
    high = Money(max_value if max_value is not None else 10**12, currency)
    if low > high:
        raise ValueError(f"min_value {low} is greater than max_value {high}")
    if abs(high.amount) >= MAX_AMOUNT:  # pragma: no cover - Money already refused it
        raise ValueError("max_value is too large")
    return money_units(currency=currency, min_value=low.minor_units, max_value=high.minor_units)


# -- days and periods --------------------------------------------------------------------------

MIN_DATE = date(2000, 1, 1)
"""The first day :func:`dates` and :func:`periods` draw by default."""

MAX_DATE = date(2035, 12, 31)
"""The last day :func:`dates` and :func:`periods` draw by default."""


def dates(*, min_value: date = MIN_DATE, max_value: date = MAX_DATE) -> st.SearchStrategy[date]:
    """Calendar dates (never datetimes), 2000 to 2035 by default."""
    return st.dates(min_value=min_value, max_value=max_value)


@_reused
def periods(*, min_value: date = MIN_DATE, max_value: date = MAX_DATE) -> st.SearchStrategy[Period]:
    """Periods within ``min_value`` .. ``max_value``, from single days to many years."""
    return st.tuples(
        dates(min_value=min_value, max_value=max_value),
        dates(min_value=min_value, max_value=max_value),
    ).map(lambda ab: Period(min(ab), max(ab)))


# -- numbers, kinds and text -------------------------------------------------------------------


def decimals(
    *, min_value: Decimal | int | str, max_value: Decimal | int | str, places: int
) -> st.SearchStrategy[Decimal]:
    """Finite decimals with ``places`` decimal places between the two bounds."""
    return st.decimals(
        min_value=min_value,
        max_value=max_value,
        places=places,
        allow_nan=False,
        allow_infinity=False,
    )


E = TypeVar("E", bound=enum.Enum)


def members_of(kind: type[E], *, only: Sequence[E] | None = None) -> st.SearchStrategy[E]:
    """Members of the enum ``kind``: those in ``only``, or all of them when it is empty."""
    return _members(kind, tuple(only) if only else tuple(kind))


@_reused
def _members(kind: type[E], chosen: tuple[E, ...]) -> st.SearchStrategy[E]:
    return st.sampled_from(chosen)


@_reused
def labels() -> st.SearchStrategy[str]:
    """Short display text (the name of an organisation, a campaign or a certificate).

    1 to 12 characters, Chinese, Latin and digits mixed, no outer spaces.
    """
    return st.text(
        "abcxyzAZé0123456789 曲靖市红十字会某县博爱家园", min_size=1, max_size=12
    ).filter(lambda s: s.strip() == s and s != "")


@_reused
def phone_numbers() -> st.SearchStrategy[str]:
    """Chinese mobile numbers: 1, then 3 to 9, then nine digits."""
    return st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


GOODS: tuple[str, ...] = (
    "大米",
    "食用油",
    "口罩",
    "棉被",
    "rice",
    "blankets",
    "帐篷",
    "衣物",
    "米面油礼包",
)
"""What is given and handed out in kind."""

GOODS_UNITS: tuple[str, ...] = ("袋", "kg", "箱", "件", "桶", "床")
"""The units goods are counted in."""
