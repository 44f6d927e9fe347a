"""Exact ratios: shares that add up to exactly 1, and growth from a base."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import CurrencyMismatch, Money
from humanaid.ratios import SHARE_PLACES, growth, shares

# -- the laws ---------------------------------------------------------------------------

amounts = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10**9),
        st.decimals(places=4, min_value=0, max_value=10**6),
    ),
    min_size=1,
    max_size=12,
)


@given(amounts)
def test_shares_sum_to_exactly_one_when_unrounded(values: list[int | Decimal]) -> None:
    result = shares(values)
    if sum(Fraction(v) for v in values) == 0:
        assert result == (None,) * len(values)
        return
    assert all(s is not None for s in result)
    parts = [s for s in result if s is not None]
    # in the default decimal context too, as the documentation promises
    assert sum(parts, Decimal(0)) == 1
    whole = sum(Fraction(v) for v in values)
    for v, s in zip(values, parts, strict=True):
        assert abs(Fraction(s) - Fraction(v) / whole) <= Fraction(1, 10**SHARE_PLACES)


@given(amounts, st.integers(min_value=0, max_value=4))
def test_shares_at_fixed_places_sum_to_exactly_one(values: list[int | Decimal], p: int) -> None:
    result = shares(values, places=p)
    if all(s is None for s in result):
        return
    parts = [s for s in result if s is not None]
    assert sum(parts, Decimal(0)) == 1
    whole = sum(Fraction(v) for v in values)
    for v, s in zip(values, parts, strict=True):
        assert abs(Fraction(s) - Fraction(v) / whole) < Fraction(1, 10**p)
        assert -s.as_tuple().exponent <= p  # type: ignore[operator]


@given(amounts, st.sampled_from(["half_up", "half_even", "down", "up"]))
def test_shares_rounded_each_on_its_own_are_within_one_unit(
    values: list[int | Decimal], rounding: str
) -> None:
    result = shares(values, places=2, rounding=rounding)
    whole = sum(Fraction(v) for v in values)
    if whole == 0:
        return
    for v, s in zip(values, result, strict=True):
        assert s is not None
        assert abs(Fraction(s) - Fraction(v) / whole) <= Fraction(1, 100)


# -- shares and growth ------------------------------------------------------------------


def test_growth_is_an_exact_ratio_or_none_from_zero() -> None:
    assert growth(Money("125.00"), Money("100.00")) == Decimal("0.25")
    assert growth(50, 100) == Decimal("-0.5")
    assert growth(Decimal("-50"), Decimal("-100")) == Decimal("0.5")  # up, from a loss
    assert growth(Money(5), Money(0)) is None
    assert growth(2, 3) == Decimal("-0.3333333333333333333333333333333333")
    assert growth(3, 3) == 0
    with pytest.raises(CurrencyMismatch):
        growth(Money(1), Money(1, "USD"))
    with pytest.raises(TypeError, match="both be Money"):
        growth(Money(1), 1)
    with pytest.raises(TypeError, match="must be Money, an int or a Decimal"):
        growth(1.5, 1)  # type: ignore[arg-type]


def test_shares_of_money_keep_keys_and_refuse_mixing() -> None:
    assert shares({"a": Money("1.00"), "b": Money("3.00")}) == {
        "a": Decimal("0.25"),
        "b": Decimal("0.75"),
    }
    assert shares([Money(0), Money(0)]) == (None, None)
    assert shares([5]) == (Decimal(1),)
    with pytest.raises(CurrencyMismatch):
        shares([Money(1), Money(1, "USD")])
    with pytest.raises(ValueError, match="not negative"):
        shares([1, -1])
    with pytest.raises(ValueError, match="'rounding'"):
        shares([1], rounding="sideways")
    with pytest.raises(ValueError, match="'places'"):
        shares([1], places=-1)
    with pytest.raises(TypeError):
        shares("abc")  # type: ignore[arg-type]


def test_rounding_modes_of_shares() -> None:
    values = [1, 7]  # 0.125 and 0.875
    assert shares(values, places=2, rounding="half_even") == (Decimal("0.12"), Decimal("0.88"))
    assert shares(values, places=2, rounding="half_up") == (Decimal("0.13"), Decimal("0.88"))
    assert shares(values, places=2, rounding="half_down") == (Decimal("0.12"), Decimal("0.87"))
    assert shares(values, places=1, rounding="down") == (Decimal("0.1"), Decimal("0.8"))
    assert shares(values, places=1, rounding="ceiling") == (Decimal("0.2"), Decimal("0.9"))
