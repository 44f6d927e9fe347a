"""The library's decimals: plain text, the decimal converter and ratios (humanaid._decimal)."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import CurrencyMismatch, Money
from humanaid._decimal import RATIO, is_plain_decimal, ratio, to_decimal


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("0", True),
        ("-1234.50", True),
        ("+0.06", True),
        ("1" * 64, True),
        ("1" * 65, False),
        ("", False),
        (" 0.06", False),
        ("0.06 ", False),
        ("6e-2", False),
        ("NaN", False),
        ("Infinity", False),
        ("1,000", False),
        ("1_000", False),
        (".5", False),
        ("5.", False),
        ("١٢", False),  # Arabic-Indic digits: Decimal reads them, the library does not
    ],
)
def test_plain_decimal_text(text: str, plain: bool) -> None:
    assert is_plain_decimal(text) is plain


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (3, Decimal(3)),
        (-7, Decimal(-7)),
        (Decimal("0.06"), Decimal("0.06")),
        (True, True),
        (0.5, 0.5),
        ("0.06", "0.06"),
        (None, None),
    ],
)
def test_to_decimal_turns_ints_into_decimals_and_leaves_the_rest(
    value: object, expected: object
) -> None:
    got = to_decimal(value)
    assert got == expected
    assert type(got) is type(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.06", Decimal("0.06")),
        ("-12", Decimal("-12")),
        (" 0.06", " 0.06"),  # the copy in revolving.py stripped spaces
        ("6e-2", "6e-2"),  # ... and read exponents
        ("NaN", "NaN"),  # ... and NaN, for the validator to refuse as a number
        ("1,000", "1,000"),
        (b"1", b"1"),
    ],
)
def test_to_decimal_with_text_reads_only_plain_decimals(value: object, expected: object) -> None:
    got = to_decimal(value, text=True)
    assert got == expected
    assert type(got) is type(expected)


@given(st.integers())
def test_to_decimal_of_an_int_is_exact(n: int) -> None:
    assert to_decimal(n) == Decimal(n)


@given(st.decimals(min_value=-(10**18), max_value=10**18, places=6))
def test_the_plain_text_of_a_decimal_reads_back(d: Decimal) -> None:
    text = format(d, "f")
    assert is_plain_decimal(text)
    assert to_decimal(text, text=True) == d


def test_ratio_of_decimals() -> None:
    assert ratio(Decimal(1), Decimal(4)) == Decimal("0.25")
    assert ratio(Decimal(2), Decimal(3)) == Decimal("0.6666666666666666666666666666666667")
    assert ratio(Decimal(1), Decimal(0)) is None
    assert ratio(Decimal(1), None) is None


def test_ratio_of_money_needs_one_currency_unless_mixed_is_ok() -> None:
    assert ratio(Money("25"), Money("100")) == Decimal("0.25")
    assert ratio(Money("25"), Money("0")) is None
    assert ratio(Money("25"), None) is None
    with pytest.raises(CurrencyMismatch):
        ratio(Money("25"), Money("100", "USD"))
    assert ratio(Money("25"), Money("100", "USD"), mixed_ok=True) is None
    # A zero whole is no figure before it is a currency question (compliance, revolving).
    assert ratio(Money("25"), Money("0", "USD")) is None


def test_ratio_refuses_a_decimal_over_money() -> None:
    with pytest.raises(TypeError, match="two Decimals or two Money values"):
        ratio(Decimal(1), Money("4"))  # type: ignore[call-overload]
    with pytest.raises(TypeError, match="two Decimals or two Money values"):
        ratio(Money("1"), Decimal(4))  # type: ignore[call-overload]


def test_ratio_ignores_the_ambient_context() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_DOWN
        assert ratio(Decimal(2), Decimal(3)) == RATIO.divide(Decimal(2), Decimal(3))
        assert len(ratio(Money("2"), Money("3")).as_tuple().digits) == 34  # type: ignore[union-attr]


@given(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9).filter(bool))
def test_ratio_undoes_an_exact_product(a: int, b: int) -> None:
    assert ratio(Decimal(a * b), Decimal(b)) == a


@given(st.integers(0, 10**12), st.integers(1, 10**12))
def test_ratio_of_money_is_the_ratio_of_its_amounts(part: int, whole: int) -> None:
    p, w = Money.from_minor_units(part), Money.from_minor_units(whole)
    assert ratio(p, w) == ratio(p.amount, w.amount)
