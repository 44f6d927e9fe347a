from __future__ import annotations

import copy
import decimal
import inspect
import math
import pickle
import re
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import CurrencyMismatch, Money, Rounding, known_currencies
from humanaid.testing import money

cny = money(currency="CNY", min_value=-(10**9), max_value=10**9)


# -- construction ----------------------------------------------------------------------------


def test_amounts_are_normalised_to_the_currency_places() -> None:
    assert Money("1").amount == Decimal("1.00")
    assert str(Money(Decimal("1.000"))) == "1.00 CNY"
    assert Money("5", "JPY").amount == Decimal("5")
    assert Money("0.125", "KWD").amount == Decimal("0.125")
    assert Money("12.5").currency == "CNY"


def test_negative_zero_is_zero() -> None:
    assert repr(Money("-0.00")) == "Money('0.00', 'CNY')"
    assert repr(-Money.zero()) == "Money('0.00', 'CNY')"


# The bad-input corpus: every case must end in TypeError or ValueError with a clear message.
BAD_AMOUNTS: list[tuple[object, type[Exception], str]] = [
    (0.1, TypeError, "must not be a float"),
    (1.0, TypeError, "must not be a float"),
    (float("nan"), TypeError, "must not be a float"),
    (float("inf"), TypeError, "must not be a float"),
    (True, TypeError, "not bool"),
    (None, TypeError, "must be a str, int or Decimal"),
    ([1], TypeError, "must be a str, int or Decimal"),
    (Decimal("NaN"), ValueError, "finite"),
    (Decimal("sNaN"), ValueError, "finite"),
    (Decimal("Infinity"), ValueError, "finite"),
    (Decimal("-Infinity"), ValueError, "finite"),
    ("NaN", ValueError, "plain decimal"),
    ("Infinity", ValueError, "plain decimal"),
    ("1e999", ValueError, "plain decimal"),
    ("1E2", ValueError, "plain decimal"),
    ("１２３", ValueError, "plain decimal"),
    ("١٢٣", ValueError, "plain decimal"),
    ("1_000", ValueError, "plain decimal"),
    ("1,000", ValueError, "plain decimal"),
    (" 12", ValueError, "plain decimal"),
    ("12 ", ValueError, "plain decimal"),
    ("", ValueError, "plain decimal"),
    (".5", ValueError, "plain decimal"),
    ("5.", ValueError, "plain decimal"),
    ("--5", ValueError, "plain decimal"),
    ("0x10", ValueError, "plain decimal"),
    ("1" * 100, ValueError, "plain decimal"),
    ("1.234", ValueError, "at most 2 decimal places"),
    (Decimal("0.001"), ValueError, "at most 2 decimal places"),
    (Decimal("1E+30"), ValueError, "smaller than 10**18"),
    (10**18, ValueError, "smaller than 10**18"),
]


@pytest.mark.parametrize(("value", "error", "text"), BAD_AMOUNTS)
def test_bad_amounts_are_refused_with_a_clear_error(
    value: object, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match="'amount'") as info:
        Money(value)  # type: ignore[arg-type]
    assert text in str(info.value)


@pytest.mark.parametrize("currency", ["cny", "RMB", "XXX", "", 156, None])
def test_unknown_currencies_are_refused(currency: object) -> None:
    with pytest.raises((TypeError, ValueError), match="'currency'"):
        Money("1", currency)  # type: ignore[arg-type]


def test_lower_case_currency_gets_a_hint() -> None:
    with pytest.raises(ValueError, match="upper case"):
        Money("1", "usd")


def test_money_is_immutable_and_a_value() -> None:
    m = Money("1.50")
    with pytest.raises(AttributeError):
        m._amount = Decimal(2)
    assert {Money("1.5"), Money("1.50")} == {m}
    assert pickle.loads(pickle.dumps(m)) == m
    assert copy.deepcopy(m) is m


class _Yuan(Money):
    __slots__ = ()


@given(money(), st.sampled_from([Money, _Yuan]))
def test_the_slots_read_back_what_every_way_of_building_money_put_in(
    m: Money, cls: type[Money]
) -> None:
    built = (
        cls(m.amount, m.currency),
        cls.trusted(m.amount, m.currency),
        pickle.loads(pickle.dumps(cls(str(m.amount), m.currency))),
        Money.from_minor_units(m.minor_units, m.currency),
    )
    for other in built:
        assert (other.amount, other.currency) == (other._amount, other._currency)
        assert (other.amount, other.currency) == (m.amount, m.currency)
        assert str(other.amount) == str(m.amount)  # the same places, not only equal
        assert repr(other) == repr(m)
        assert hash(other) == hash(m)


def test_amount_and_currency_are_read_only_slots_documented_as_before() -> None:
    m = Money("1.50", "USD")
    for name, value in (("amount", Decimal(2)), ("currency", "CNY")):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(m, name, value)
        with pytest.raises(AttributeError, match="immutable"):
            delattr(m, name)
    assert (m.amount, m.currency) == (m._amount, m._currency) == (Decimal("1.50"), "USD")
    # the older private names are the same slots, which the library's fast paths write
    assert Money.__dict__["_amount"] is Money.__dict__["amount"]
    assert inspect.getdoc(Money.amount) == (
        "The exact amount, with exactly the currency's number of places."
    )
    assert inspect.getdoc(Money.currency) == "The ISO 4217 currency code."
    assert not hasattr(m, "__dict__")


# -- arithmetic --------------------------------------------------------------------------------


def test_currencies_never_mix() -> None:
    a, b = Money("1", "CNY"), Money("1", "USD")
    for op in (
        lambda: a + b,
        lambda: a - b,
        lambda: a < b,
        lambda: a <= b,
        lambda: a > b,
        lambda: a >= b,
        lambda: a / b,
    ):
        with pytest.raises(CurrencyMismatch, match="CNY and USD"):
            op()
    assert issubclass(CurrencyMismatch, ValueError)
    # Equality is value equality: different currencies are different values.
    assert a != b


def test_sum_needs_an_explicit_start() -> None:
    values = [Money("1.10"), Money("2.20")]
    assert sum(values, Money.zero()) == Money("3.30")
    with pytest.raises(TypeError, match=r"sum\(values, Money.zero\('CNY'\)\)"):
        sum(values)
    assert Money.total([], "USD") == Money.zero("USD")


def test_multiplication_is_exact_or_refused() -> None:
    assert Money("1.01") * 3 == Money("3.03")
    assert 3 * Money("1.01") == Money("3.03")
    assert Money("10.00") * Decimal("0.5") == Money("5.00")
    with pytest.raises(ValueError, match=r"multiply\(factor, rounding"):
        Money("10.01") * Decimal("0.5")
    with pytest.raises(TypeError, match="not a float"):
        Money("1") * 0.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money("1") * Money("1")  # type: ignore[operator]
    assert Money("10.01").multiply(Decimal("0.5")) == Money("5.01")
    assert Money("10.01").multiply(Decimal("0.5"), rounding=Rounding.HALF_EVEN) == Money("5.00")


def test_division_is_exact_or_refused() -> None:
    assert Money("100.00") / 4 == Money("25.00")
    with pytest.raises(ValueError, match=r"divide\(divisor, rounding"):
        Money("100.00") / 3
    with pytest.raises(ZeroDivisionError):
        Money("1") / 0
    with pytest.raises(ZeroDivisionError):
        Money("1") / Money("0")
    assert Money("100.00").divide(3) == Money("33.33")
    assert Money("100.00").divide(3, rounding="ceiling") == Money("33.34")
    ratio = Money("1.00") / Money("4.00")
    assert ratio == Decimal("0.25")
    assert isinstance(ratio, Decimal)


def test_rounding_names_its_mode() -> None:
    assert Money.rounded("2.345") == Money("2.35")  # half-up, 四舍五入
    assert Money.rounded("2.345", rounding=Rounding.HALF_EVEN) == Money("2.34")
    assert Money.rounded("2.345", rounding="ROUND_DOWN") == Money("2.34")
    assert Money.rounded("-2.345") == Money("-2.35")
    assert Money("1234.50").round() == Money("1235.00")
    assert round(Money("2.50")) == Money("3.00")
    with pytest.raises(ValueError, match="'rounding'"):
        Money.rounded("1", rounding="nearest")
    with pytest.raises(ValueError, match="'places'"):
        Money("1").round(3)


def test_arithmetic_does_not_depend_on_the_ambient_decimal_context() -> None:
    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_FLOOR
        total = Money("123456.78") + Money("0.01")
        assert total == Money("123456.79")
        assert Money.rounded("2.345") == Money("2.35")
        assert Money("100").divide(3) == Money("33.33")
        assert Money("123456.78").split(3)[0] == Money("41152.26")
        assert Money("1234567.89").minor_units == 123456789
        assert Money.parse("123456.78万元") == Money("1234567800")
        assert Money("1234567800").format(unit="万元") == "123456.78万元"
        assert Money("123456.78").multiply(Decimal("1.5")) == Money("185185.17")
        assert -Money("123456.78") == Money("-123456.78")


def test_comparisons_and_predicates() -> None:
    assert Money("1") < Money("2") <= Money("2") < Money("3")
    assert max(Money("1"), Money("5")) == Money("5")
    assert Money("0").is_zero()
    assert not Money("0")
    assert Money("-1").is_negative()
    assert abs(Money("-1")) == Money("1")
    assert Money("1").is_positive()
    assert (Money("1") == 1) is False


# -- laws ------------------------------------------------------------------------------------


@given(cny, cny, cny)
def test_addition_is_associative(a: Money, b: Money, c: Money) -> None:
    assert (a + b) + c == a + (b + c)


@given(cny, cny)
def test_addition_is_commutative(a: Money, b: Money) -> None:
    assert a + b == b + a


@given(cny)
def test_zero_is_the_identity_and_negation_the_inverse(a: Money) -> None:
    assert a + Money.zero() == a
    assert a + (-a) == Money.zero()
    assert a - a == Money.zero()


@given(
    money(currency=None),
    st.lists(
        st.one_of(st.integers(0, 1000), st.decimals(min_value=0, max_value=100, places=3)),
        min_size=1,
        max_size=12,
    ).filter(lambda rs: sum(rs) > 0),
)
def test_allocate_parts_sum_to_the_original(m: Money, ratios: list[int | Decimal]) -> None:
    parts = m.allocate(ratios)
    assert len(parts) == len(ratios)
    assert Money.total(parts, m.currency) == m
    total = sum(Decimal(r) for r in ratios)
    unit = Decimal(1).scaleb(-m.places)
    for part, r in zip(parts, ratios, strict=True):
        fair = m.amount * Decimal(r) / total
        assert abs(part.amount - fair) < unit


@given(money(currency=None), st.integers(min_value=1, max_value=50))
def test_split_parts_sum_to_the_original_and_differ_by_at_most_one_unit(m: Money, n: int) -> None:
    parts = m.split(n)
    assert Money.total(parts, m.currency) == m
    units = [p.minor_units for p in parts]
    assert max(units) - min(units) <= 1
    assert units == sorted(units, reverse=m.amount >= 0)  # the larger parts come first


def test_allocate_refuses_bad_ratios() -> None:
    with pytest.raises(ValueError, match="must not be empty"):
        Money("1").allocate([])
    with pytest.raises(ValueError, match="must not be negative"):
        Money("1").allocate([1, -1])
    with pytest.raises(ValueError, match="at least one positive"):
        Money("1").allocate([0, 0])
    with pytest.raises(TypeError, match="not a float"):
        Money("1").allocate([0.5, 0.5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="'n'"):
        Money("1").split(0)


@given(
    money(currency="CNY"), st.sampled_from([None, "元", "万元", "亿元", "万", "亿"]), st.booleans()
)
def test_parse_of_format_is_identity_for_cny(m: Money, unit: str | None, grouping: bool) -> None:
    assert Money.parse(m.format(unit=unit, grouping=grouping)) == m


@given(money(currency=None), st.sampled_from([None, "万", "亿"]), st.booleans())
def test_parse_of_format_is_identity_for_any_currency(
    m: Money, unit: str | None, grouping: bool
) -> None:
    assert Money.parse(m.format(unit=unit, grouping=grouping)) == m


@given(money(currency=None))
def test_parse_of_str_is_identity(m: Money) -> None:
    assert Money.parse(str(m)) == m


# -- parsing and formatting examples from the source article ----------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("989.32万元", Money("9893200.00")),
        ("4189万元", Money("41890000")),
        ("2391.70万元", Money("23917000")),
        ("2.6亿元", Money("260000000")),
        ("¥1,234.50", Money("1234.50")),
        ("￥1,234.50", Money("1234.50")),
        ("RMB 1234.50", Money("1234.50")),
        ("1234.5", Money("1234.50")),
        ("-1,234.50元", Money("-1234.50")),
        ("¥-5", Money("-5")),
        ("12.5 USD", Money("12.50", "USD")),
        ("USD 12.5", Money("12.50", "USD")),
        ("$3", Money("3", "USD")),
        ("1.5万 USD", Money("15000", "USD")),
        ("1,000,000 JPY", Money("1000000", "JPY")),
    ],
)
def test_parse_reads_amounts_as_reports_write_them(text: str, expected: Money) -> None:
    assert Money.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "万元",
        "1,23",
        "1,2345",
        "12.5.5",
        "１２３元",
        "1e5",
        "NaN",
        "--1",
        "+-1",
        "1.234元",
        "0.5 JPY",
        "¥5 USD",
        "5元 USD",
        "abc",
    ],
)
def test_parse_refuses_what_it_cannot_read_exactly(text: str) -> None:
    with pytest.raises(ValueError, match=r"cannot read|more than one currency|decimal place"):
        Money.parse(text)


def test_parse_checks_the_requested_currency() -> None:
    assert Money.parse("12.50", currency="USD") == Money("12.50", "USD")
    with pytest.raises(ValueError, match="more than one currency"):
        Money.parse("¥12.50", currency="USD")


@pytest.mark.parametrize(
    ("m", "kwargs", "text"),
    [
        (Money("9893200"), {"unit": "万元"}, "989.32万元"),
        (Money("23917000"), {"unit": "万元"}, "2391.7万元"),
        (Money("23917000"), {"unit": "万元", "places": 2}, "2391.70万元"),
        (Money("41890000"), {"unit": "万元"}, "4189万元"),
        (Money("0"), {"unit": "万元"}, "0万元"),
        (Money("23917000"), {"unit": "万元", "places": 0}, "2392万元"),
        (Money("260000000"), {"unit": "亿元"}, "2.6亿元"),
        (Money("1234567.5"), {"grouping": True}, "1,234,567.50元"),
        (Money("5"), {"unit": "万元"}, "0.0005万元"),
        (Money("12.5", "USD"), {}, "12.50 USD"),
        (Money("12500", "USD"), {"unit": "万"}, "1.25万 USD"),
        (Money("3", "JPY"), {}, "3 JPY"),
    ],
)
def test_format_writes_amounts_as_reports_do(
    m: Money, kwargs: dict[str, object], text: str
) -> None:
    assert m.format(**kwargs) == text  # type: ignore[arg-type]


def test_format_refuses_yuan_units_for_other_currencies() -> None:
    with pytest.raises(ValueError, match="'unit'"):
        Money("1", "USD").format(unit="万元")
    with pytest.raises(ValueError, match="'unit'"):
        Money("1").format(unit="千元")


def test_known_currencies_has_the_iso_codes() -> None:
    codes = known_currencies()
    assert {"CNY", "USD", "EUR", "JPY", "HKD"} <= codes
    assert all(len(c) == 3 and c.isupper() for c in codes)


def test_multiply_and_divide_round_once_from_the_exact_value() -> None:
    just_below_half = Decimal("0.0049999999999999999999999999999999999")
    assert Money("1.00").multiply(just_below_half) == Money("0.00")
    assert Money("1.00").multiply(Decimal("0.005")) == Money("0.01")
    assert Money("-1.00").multiply(Decimal("0.005")) == Money("-0.01")
    assert Money("1.00").multiply(Decimal("0.005"), rounding=Rounding.HALF_EVEN) == Money("0.00")
    assert Money("0.01").divide(2, rounding="floor") == Money("0.00")
    assert Money("-0.01").divide(2, rounding="floor") == Money("-0.01")
    assert Money("-0.01").divide(2, rounding="ceiling") == Money("0.00")
    assert Money("-0.01").divide(2, rounding="up") == Money("-0.01")
    assert Money("0.03").divide(2, rounding="half_down") == Money("0.01")


@given(
    cny,
    st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False),
    st.sampled_from(list(Rounding)),
)
def test_multiply_agrees_with_decimal_rounding_of_the_exact_product(
    m: Money, k: Decimal, mode: Rounding
) -> None:
    exact = m.amount * k  # exact: at most 2 + 6 places, well within the default precision
    expected = exact.quantize(Decimal("0.01"), rounding=mode.value)
    assert m.multiply(k, rounding=mode).amount == expected


def test_parse_reads_a_currency_sign_after_the_number_too() -> None:
    assert Money.parse("100 RMB") == Money("100")
    assert Money.parse("RMB 100") == Money("100")


# -- the trusted constructor and the loaders' fast path ---------------------------------------


@given(cny)
def test_trusted_equals_the_checked_constructor(m: Money) -> None:
    made = Money.trusted(m.amount, m.currency)
    assert made == m
    assert repr(made) == repr(m)


def test_trusted_pads_to_the_currency_places_and_has_one_zero() -> None:
    assert repr(Money.trusted(Decimal("12.5"), "CNY")) == "Money('12.50', 'CNY')"
    assert repr(Money.trusted(Decimal("-0"), "CNY")) == "Money('0.00', 'CNY')"
    assert repr(Money.trusted(Decimal("7"), "JPY")) == "Money('7', 'JPY')"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        (Decimal("0.125"), "CNY"),
        (Decimal("1.5"), "JPY"),
        (Decimal("1"), "XXX"),
        (Decimal("NaN"), "CNY"),
        (Decimal("Infinity"), "CNY"),
        (Decimal(10) ** 18, "CNY"),
    ],
)
def test_trusted_refuses_rather_than_rounds(amount: Decimal, currency: str) -> None:
    with pytest.raises(ValueError, match=r"Money\.trusted|too large"):
        Money.trusted(amount, currency)


PLAIN_TEXT = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{1,22}(\.[0-9]{1,5})?\Z"),
    st.sampled_from(["-0.00", "0", "+1.5", "1e3", " 1", "1_000", "١٢", "nan", "", "."]),
    st.text(max_size=8),
)


@given(PLAIN_TEXT, st.sampled_from(["CNY", "JPY", "KWD", "USD", "XTS", "cny", ""]))
def test_fast_money_equals_the_constructor_of_its_decimal(text: str, currency: str) -> None:
    from humanaid.money import _from_plain

    try:
        expected: Money | None = Money(Decimal(text), currency)
    except (TypeError, ValueError, decimal.InvalidOperation):
        expected = None
    # The fast path takes the plain decimals the serializer accepts (no exponent, no
    # spaces): for those it is the constructor, for anything else it declines.
    plain = text.isascii() and bool(text) and all(c in "+-.0123456789" for c in text)
    got = _from_plain(text, currency)
    got_again = _from_plain(text, currency)  # the second time from what it kept
    for value in (got, got_again):
        if value is None:
            assert expected is None or not plain
        else:
            assert expected is not None
            assert repr(value) == repr(expected)


@given(
    money(currency=None, min_value=-(10**12), max_value=10**12),
    st.decimals(min_value=-(10**6), max_value=10**6, allow_nan=False, allow_infinity=False),
    st.sampled_from(list(Rounding)),
)
def test_multiply_equals_rounding_the_exact_fraction(m: Money, k: Decimal, mode: Rounding) -> None:
    from fractions import Fraction

    try:
        expected: Money | None = m._from_fraction(Fraction(m.amount) * Fraction(k), mode)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError, match="too large"):
            m.multiply(k, rounding=mode)
    else:
        assert repr(m.multiply(k, rounding=mode)) == repr(expected)


@given(st.sampled_from(sorted(known_currencies())))
def test_zero_equals_the_constructor_of_zero(currency: str) -> None:
    assert repr(Money.zero(currency)) == repr(Money(0, currency))


# -- review: extremes give clear errors, never a bare decimal signal -------------------------


@pytest.mark.parametrize(
    "text",
    ["1" * 61, "1" * 70, "0." + "1" * 70, "1" * 40 + "万元", "9" * 19, "1" * 30 + "亿"],
)
def test_parse_of_too_many_digits_is_a_clear_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="'amount' must") as info:
        Money.parse(text)
    assert not isinstance(info.value, decimal.DecimalException)


def test_from_minor_units_out_of_range_is_a_clear_value_error() -> None:
    for units in (10**20, 10**70 + 1, -(10**70) - 1):
        with pytest.raises(ValueError, match="too large") as info:
            Money.from_minor_units(units)
        assert not isinstance(info.value, decimal.DecimalException)
    assert Money.from_minor_units(10**20 - 1) == Money("999999999999999999.99")


@pytest.mark.parametrize(
    ("m", "verb", "k"),
    [
        (Money("1.01"), "multiply", Decimal("1" * 70)),
        (Money("1.01"), "divide", Decimal("3E-100")),
        (Money("-1.01", "KWD"), "divide", Decimal("7E-90")),
    ],
)
def test_rounding_arithmetic_that_overflows_is_a_clear_value_error(
    m: Money, verb: str, k: Decimal
) -> None:
    with pytest.raises(ValueError, match="too large") as info:
        getattr(m, verb)(k, rounding="down")
    assert not isinstance(info.value, decimal.DecimalException)


@pytest.mark.parametrize(
    "ratios",
    [
        [Decimal("1E+999"), Decimal("0.1")],
        [Decimal("1E-999999"), 1],
        [Decimal("1" * 61), 1],
    ],
)
def test_allocate_refuses_ratios_it_cannot_scale_with_a_clear_error(
    ratios: list[int | Decimal],
) -> None:
    with pytest.raises(ValueError, match="'ratios'") as info:
        Money("1.00").allocate(ratios)
    assert not isinstance(info.value, decimal.DecimalException)


@pytest.mark.parametrize(
    ("m", "unit", "places", "expected"),
    [
        (Money("-0.40"), None, 0, "0元"),
        (Money("-1"), "万元", 2, "0.00万元"),
        (Money("-0.004", "KWD"), None, 2, "0.00 KWD"),
        (Money("-49", "JPY"), "万", 0, "0万 JPY"),
        (Money("-0.50"), None, 0, "-1元"),
    ],
)
def test_format_never_shows_a_negative_zero(
    m: Money, unit: str | None, places: int, expected: str
) -> None:
    assert m.format(unit=unit, places=places) == expected


@given(money(currency=None), st.sampled_from([None, "万", "亿"]), st.integers(0, 6))
def test_format_with_places_shows_one_zero(m: Money, unit: str | None, places: int) -> None:
    text = m.format(unit=unit, places=places)
    assert not text.startswith("-") or any(c in "123456789" for c in text)


def test_format_with_many_places_of_a_large_amount_is_exact() -> None:
    m = Money("999999999999999999.99")
    assert m.format(places=20) == "999999999999999999.99" + "0" * 18 + "元"
    assert m.format(unit="亿元", places=30) == "9999999999.9999999999" + "0" * 20 + "亿元"


def test_format_spec_rounds_half_up_whatever_the_ambient_context() -> None:
    assert f"{Money('2.25'):.1f}" == "2.3 CNY"
    with decimal.localcontext() as ctx:
        ctx.rounding = decimal.ROUND_DOWN
        ctx.prec = 3
        assert f"{Money('2.29'):.1f}" == "2.3 CNY"
        assert f"{Money('123456.78'):,.1f}" == "123,456.8 CNY"
    assert f"{Money('-0.40'):.0f}" == "0 CNY"
    assert f"{Money('-0.40'):>6.0f}" == "     0 CNY"
    assert f"{Money('-1.50'):.0f}" == "-2 CNY"


@given(st.sampled_from(["CNY", "USD", "JPY", "KWD", "EUR"]))
def test_zero_is_shared_and_equals_the_constructor_of_zero(currency: str) -> None:
    zero = Money.zero(currency)
    assert Money.zero(currency) is zero  # immutable: one a currency
    assert repr(zero) == repr(Money(0, currency))
    assert type(zero) is Money


@given(
    st.integers(min_value=1, max_value=20),
    st.integers(min_value=0, max_value=4),
    st.sampled_from(["CNY", "JPY", "KWD"]),
    st.randoms(use_true_random=False),
)
def test_fast_money_of_the_common_form_equals_the_constructor(
    digits: int, places: int, currency: str, rng: Any
) -> None:
    """Unsigned digits, a point and some places, 18 to 20 digits long too (the limit)."""
    whole = "".join(rng.choice("0123456789") for _ in range(digits))
    text = whole + (
        "." + "".join(rng.choice("0123456789") for _ in range(places)) if places else ""
    )
    try:
        expected: Money | None = Money(Decimal(text), currency)
    except ValueError:
        expected = None
    _from_plain_is(text, currency, expected)


def _from_plain_is(text: str, currency: str, expected: Money | None) -> None:
    """``_from_plain(text, currency)`` gives ``expected`` (``None``: no money), twice (the
    second from what the first kept): a frozen ``Money`` of the same amount, digit for digit."""
    from humanaid.money import _from_plain

    for got in (_from_plain(text, currency), _from_plain(text, currency)):
        if expected is None:
            assert got is None
        else:
            assert got is not None
            assert type(got) is Money
            assert repr(got) == repr(expected)
            assert got.amount.as_tuple() == expected.amount.as_tuple()
            with pytest.raises(AttributeError):
                got._amount = Decimal(0)


AMOUNT_TEXT = st.one_of(
    # the common form and its near misses: points anywhere, two points, a trailing point,
    # signs, spaces, exponents, underscores, digits of other scripts
    st.text(alphabet="0123456789.", min_size=1, max_size=22),
    st.text(alphabet="0123456789.+- e_١٢", max_size=12),
    st.from_regex(r"\A[0-9]{1,20}\.[0-9]{0,4}\Z"),
    st.sampled_from(["0.00", "00.00", "-0.00", "1.", ".50", "1..0", "1.0.0", "１.00"]),
)


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(AMOUNT_TEXT, st.sampled_from(["CNY", "JPY", "KWD", "USD", "XXX", "cny"]))
def test_fast_money_takes_exactly_what_the_constructor_takes_from_text(
    text: str, currency: str
) -> None:
    """``_from_plain(text, code)`` is ``Money(text, code)`` (the text, not a Decimal: the
    constructor's own plain-decimal rule), or ``None`` exactly where that raises."""
    try:
        expected: Money | None = Money(text, currency)
    except (TypeError, ValueError):
        expected = None
    _from_plain_is(text, currency, expected)


# -- allocate: the per-distinct-weight path for whole numbers ----------------------------------


def _largest_remainder(m: Money, ratios: Sequence[int | Decimal]) -> tuple[Money, ...]:
    """The straightforward definition: exact fair shares, floors, then the units left over
    one each to the largest remainders, earlier parts first on a tie."""
    units = m.minor_units
    sign, units = (-1, -units) if units < 0 else (1, units)
    whole = sum(Fraction(r) for r in ratios)
    shares = [units * Fraction(r) / whole for r in ratios]
    floors = [math.floor(s) for s in shares]
    order = sorted(range(len(ratios)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[: units - sum(floors)]:
        floors[i] += 1
    return tuple(Money.from_minor_units(sign * f, m.currency) for f in floors)


_whole_weights = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=300)


@given(money(currency=None), _whole_weights.filter(any))
def test_allocate_of_whole_weights_is_the_largest_remainder_split(
    m: Money, weights: list[int]
) -> None:
    parts = m.allocate(weights)
    assert parts == _largest_remainder(m, weights)
    assert parts == m._allocate_exact(weights) == m.allocate(tuple(weights))


@given(money(currency=None), st.integers(min_value=1, max_value=40), st.integers(1, 4000))
def test_allocate_of_many_equal_weights_is_the_largest_remainder_split(
    m: Money, weight: int, n: int
) -> None:
    assert m.allocate([weight] * n) == _largest_remainder(m, [weight] * n)


@given(
    money(currency=None),
    st.lists(
        st.one_of(
            st.integers(0, 10**40),
            st.decimals(min_value=0, max_value=10**6, places=4),
        ),
        min_size=1,
        max_size=20,
    ).filter(lambda rs: sum(rs) > 0),
)
def test_allocate_of_any_ratios_is_the_largest_remainder_split(
    m: Money, ratios: list[int | Decimal]
) -> None:
    assert m.allocate(ratios) == _largest_remainder(m, ratios)


class _Int(int):
    """An int subclass: never the whole-number path (the exact path decides)."""


_any_ratio = st.one_of(
    st.integers(-5, 60),
    st.integers(10**59, 10**61),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.booleans(),
    st.floats(),
    st.none(),
    st.text(max_size=2),
    st.builds(_Int, st.integers(0, 9)),
    st.lists(st.integers(), max_size=1),
)


@given(money(currency=None), st.lists(_any_ratio, max_size=8), st.booleans())
def test_allocate_answers_or_refuses_as_the_exact_path_does(
    m: Money, ratios: list[Any], as_tuple: bool
) -> None:
    given_ratios: Any = tuple(ratios) if as_tuple else ratios
    try:
        expected = m._allocate_exact(given_ratios)
    except (TypeError, ValueError, ArithmeticError) as error:
        with pytest.raises(type(error), match=f"^{re.escape(str(error))}$"):
            m.allocate(given_ratios)
    else:
        assert m.allocate(given_ratios) == expected


def test_allocate_makes_equal_parts_one_money() -> None:
    parts = Money("1000.00").allocate([1] * 1000)
    assert len({id(p) for p in parts}) == 1
    assert parts == Money("1000.00")._allocate_exact([1] * 1000)
