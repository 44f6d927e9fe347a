"""Exact money: a :class:`~decimal.Decimal` amount and an ISO 4217 currency.

:class:`Money` is the only way amounts travel through humanaid. It refuses floats, keeps
at most the currency's minor-unit places (fen for CNY), rounds only when asked, with a
named mode, in a local decimal context, and never mixes currencies.

>>> Money("989.32")
Money('989.32', 'CNY')
>>> Money.parse("989.32万元")
Money('9893200.00', 'CNY')
>>> Money("9893200").format(unit="万元")
'989.32万元'
>>> Money("100.00").split(3)
(Money('33.34', 'CNY'), Money('33.33', 'CNY'), Money('33.33', 'CNY'))
"""

from __future__ import annotations

import decimal
import enum
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn, SupportsIndex, cast

from humanaid._currencies import MINOR_UNITS
from humanaid._decimal import EXACT as _EXACT
from humanaid._decimal import PLAIN_DECIMAL as _PLAIN_DECIMAL
from humanaid._decimal import PLAIN_DECIMAL_MAX_LENGTH as _PLAIN_MAX
from humanaid._decimal import RATIO as _RATIO
from humanaid._decimal import SHOWN as _SHOWN
from humanaid.errors import LIMITS, CurrencyMismatch, FieldTypeError, FieldValueError

__all__ = ["DEFAULT_CURRENCY", "MAX_AMOUNT", "Money", "Rounding", "known_currencies"]

DEFAULT_CURRENCY: Final = "CNY"
"""The currency assumed when none is given: the library was born in Chinese reports."""

MAX_AMOUNT: Final = Decimal(10) ** 18
"""Amounts must be smaller than this in absolute value (a quintillion units).

The bound keeps every amount exact in a 38-digit decimal (Arrow's ``decimal128``) and
turns input such as ``"1e999"`` into a clear error instead of a silent giant.
"""

_QUANT: Final = {n: Decimal((0, (1,), -n)) for n in range(9)}
_ZERO: Final = {n: Decimal((0, (0,), -n)) for n in range(9)}
_FORMAT_SPEC: Final = re.compile(
    r"(?:.?[<>=^])?(?P<sign>[-+ ]?)(?P<z>z?)#?0?[0-9]*[,_]?(?:\.[0-9]+)?[eEfFgGn%]?\Z", re.DOTALL
)


def _round_fraction(value: Fraction, mode: str) -> int:
    """Round an exact rational number to an integer with a :mod:`decimal` rounding mode.

    Working on the exact value rounds once, so no intermediate rounding can flip a result
    that lies just below or above a half.
    """
    sign = -1 if value < 0 else 1
    q, r = divmod(abs(value.numerator), value.denominator)
    twice = 2 * r
    d = value.denominator
    if r == 0 or mode == decimal.ROUND_DOWN:
        up = False
    elif mode == decimal.ROUND_UP:
        up = True
    elif mode == decimal.ROUND_HALF_UP:
        up = twice >= d
    elif mode == decimal.ROUND_HALF_DOWN:
        up = twice > d
    elif mode == decimal.ROUND_HALF_EVEN:
        up = twice > d or (twice == d and q % 2 == 1)
    elif mode == decimal.ROUND_CEILING:
        up = sign > 0
    elif mode == decimal.ROUND_FLOOR:
        up = sign < 0
    else:  # pragma: no cover - _rounding() only yields the modes above
        raise ValueError(f"unsupported rounding mode {mode!r}")
    return sign * (q + 1 if up else q)


class Rounding(enum.Enum):
    """A named rounding mode; the value is the :mod:`decimal` constant.

    ``HALF_UP`` is 四舍五入, the rule Chinese accounts use and the library's default.

    >>> Money.rounded("2.345", rounding=Rounding.HALF_UP)
    Money('2.35', 'CNY')
    >>> Money.rounded("2.345", rounding=Rounding.HALF_EVEN)
    Money('2.34', 'CNY')
    """

    HALF_UP = decimal.ROUND_HALF_UP
    HALF_EVEN = decimal.ROUND_HALF_EVEN
    HALF_DOWN = decimal.ROUND_HALF_DOWN
    UP = decimal.ROUND_UP
    DOWN = decimal.ROUND_DOWN
    CEILING = decimal.ROUND_CEILING
    FLOOR = decimal.ROUND_FLOOR


def known_currencies() -> frozenset[str]:
    """Return the ISO 4217 codes that :class:`Money` accepts.

    >>> {"CNY", "USD", "JPY"} <= known_currencies()
    True
    """
    return frozenset(MINOR_UNITS)


def _currency(code: object) -> str:
    if not isinstance(code, str):
        raise FieldTypeError("currency", "must be an ISO 4217 code string", code, code="wrong-type")
    if code.__class__ is not str:  # a subclass is looked up (and kept) as its plain text
        code = str.__str__(code)
    if code not in MINOR_UNITS:
        hint = " (codes are upper case)" if code.upper() in MINOR_UNITS else ""
        raise FieldValueError("currency", f"must be a known ISO 4217 code{hint}", code)
    return code


_DIGITS: Final = LIMITS["digits"]


def _decimal(value: object, field: str = "amount") -> Decimal:
    """Turn str, int or Decimal into a finite Decimal; refuse everything else."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FieldValueError(field, "must be a finite number", value)
        return value
    if isinstance(value, bool):
        raise FieldTypeError(
            field, "must be a str, int or Decimal, not bool", value, code="wrong-type"
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        if len(value) > _PLAIN_MAX or not _PLAIN_DECIMAL.match(value):
            digits = len(value) - value.count(".") - value.startswith(("+", "-"))
            if digits > _DIGITS and _PLAIN_DECIMAL.match(value):
                raise FieldValueError(
                    field,
                    f"must be a plain decimal of at most {_DIGITS} digits",
                    value,
                    code="too-many-digits",
                    got=f"{digits} digits",
                )
            raise FieldValueError(
                field,
                "must be a plain decimal such as '1234.50': ASCII digits, an "
                "optional sign and point, no exponent, separators or spaces",
                value,
            )
        return Decimal(value)
    if isinstance(value, float):
        raise FieldTypeError(
            field,
            "must not be a float: binary floats cannot hold most decimal amounts "
            "exactly and lose fen; pass a string such as '12.50' or a Decimal",
            value,
            code="wrong-type",
        )
    raise FieldTypeError(
        field, "must be a str, int or Decimal", value, code="wrong-type", got=type(value).__name__
    )


_WEIGHT_LIMIT: Final = 10**60
"""Whole-number ratios below this scale exactly in :data:`humanaid._decimal.EXACT` (60
digits): :meth:`Money.allocate` takes its per-distinct-weight path for them."""


def _number(value: object, what: str) -> Decimal:
    """A factor or divisor: int or finite Decimal, never float or bool."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        if isinstance(value, float):
            raise TypeError(
                f"{what} must be an int or Decimal, not a float, so the result stays exact "
                f"(got {value!r})"
            )
        raise TypeError(f"{what} must be an int or Decimal (got {type(value).__name__})")
    return _decimal(value, field=what)


def _rounding_mode(mode: Rounding | str) -> Rounding:
    """``mode`` as a :class:`Rounding`: a member, or its name in any case, ``ROUND_`` or not.

    The one reading of a ``rounding=`` argument (``"half_up"``, ``"ROUND_HALF_UP"``).
    """
    if isinstance(mode, Rounding):
        return mode
    if isinstance(mode, str):
        try:
            return Rounding[mode.upper().removeprefix("ROUND_")]
        except KeyError:
            pass
    names = ", ".join(m.name for m in Rounding)
    raise ValueError(f"'rounding' must be one of {names} (got {mode!r})")


def _rounding(mode: Rounding | str) -> str:
    """The :mod:`decimal` constant of a ``rounding=`` argument."""
    return str(_rounding_mode(mode).value)


_SYMBOLS: Final = {"¥": "CNY", "￥": "CNY", "RMB": "CNY", "US$": "USD", "$": "USD", "€": "EUR"}
_SYMBOLS["£"] = "GBP"
_UNITS: Final = {"元": 0, "万元": 4, "亿元": 8, "万": 4, "亿": 8, "": 0}
_PARSE: Final = re.compile(
    r"""\s*
    (?P<sign>[-+])?\s*
    (?P<prefix>US\$|RMB|[A-Z]{3}|[¥￥$€£])?\s*
    (?P<sign2>[-+])?
    (?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)\s*
    (?P<unit>亿元|万元|元|亿|万)?\s*
    (?P<suffix>[A-Z]{3})?\s*\Z""",
    re.VERBOSE | re.ASCII,
)


class Money:
    """An exact amount of one currency.

    Build it from a ``str``, ``int`` or :class:`~decimal.Decimal` and an ISO 4217 code
    (default ``"CNY"``). Floats, bools, NaN, infinities and strings that are not plain
    decimals are refused, and so is an amount with more places than the currency has
    (CNY 2, JPY 0, KWD 3): round explicitly with :meth:`rounded`.

    Money adds, subtracts and compares only with money of the same currency; anything else
    raises :class:`~humanaid.CurrencyMismatch`. Multiplying and dividing by an ``int`` or
    ``Decimal`` is exact or raises; :meth:`multiply` and :meth:`divide` round with a named
    mode. Equality is value equality: ``Money("1", "CNY") != Money("1", "USD")``.

    >>> Money("12.5") + Money(3)
    Money('15.50', 'CNY')
    >>> sum([Money("1.10"), Money("2.20")], Money.zero())
    Money('3.30', 'CNY')
    >>> Money("0.1", "USD") * 3
    Money('0.30', 'USD')
    >>> Money(0.1)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldTypeError: 'amount' must not be a float: binary floats cannot hold ...
    """

    # The slots are the public names, so reading ``m.amount`` is a slot read (no call);
    # ``_amount``/``_currency`` are the same two descriptors (set below the class), kept
    # for the library's fast paths. Writes are refused by ``__setattr__``. Type checkers
    # see two read-only properties instead (a slot would read to them as writable).
    if TYPE_CHECKING:

        @property
        def amount(self) -> Decimal:
            """The exact amount, with exactly the currency's number of places."""

        @property
        def currency(self) -> str:
            """The ISO 4217 currency code."""

        _amount: Decimal
        _currency: str
    else:
        __slots__ = {
            "amount": "The exact amount, with exactly the currency's number of places.",
            "currency": "The ISO 4217 currency code.",
        }

    def __init__(self, amount: str | int | Decimal, currency: str = DEFAULT_CURRENCY) -> None:
        cur = _currency(currency)
        value = _decimal(amount)
        places = MINOR_UNITS[cur]
        if value.copy_abs() >= MAX_AMOUNT:
            raise FieldValueError("amount", "must be smaller than 10**18 in absolute value", amount)
        exact = value.quantize(_QUANT[places], context=_RATIO)
        if exact != value:
            raise FieldValueError(
                "amount",
                f"must have at most {places} decimal place{'s' if places != 1 else ''}"
                f" for {cur}; round it explicitly with "
                f"Money.rounded(amount, {cur!r}, rounding=...)",
                amount,
            )
        # A negative zero would print as '-0.00'; money has one zero.
        _set_amount(self, exact if exact else _ZERO[places])
        _set_currency(self, cur)

    @classmethod
    def trusted(cls, amount: Decimal, currency: str) -> Money:
        """Build money from a value already known to be valid, skipping the input checks.

        For code that holds exact amounts already: sums of ``Money`` amounts, a
        ``decimal128`` column read back from Arrow, a total kept as a ``Decimal`` in a
        tight loop. ``amount`` must be a finite :class:`~decimal.Decimal` with at most the
        currency's places and ``currency`` a known code: that is the caller's promise, and
        it is what makes this about five times cheaper than ``Money(amount, currency)``.
        It never rounds: an amount with more places, an unknown code or an amount of
        10**18 or more raises :class:`ValueError` rather than giving wrong money. Use the
        ordinary constructor for anything that comes from outside the program.

        >>> Money.trusted(Decimal("12.5"), "CNY")
        Money('12.50', 'CNY')
        >>> Money.trusted(Decimal("0.125"), "CNY")
        Traceback (most recent call last):
        ...
        ValueError: Money.trusted needs an exact amount of a known currency (got 0.125 CNY)
        """
        if amount.__class__ is not Decimal and not isinstance(amount, Decimal):
            raise TypeError(
                f"Money.trusted needs a Decimal amount (got {type(amount).__name__} {amount!r})"
            )
        try:
            if not amount.is_finite():  # whatever the caller's context traps
                raise decimal.InvalidOperation
            if currency.__class__ is not str:  # a subclass: kept as its plain text
                currency = str.__str__(currency)
            places = MINOR_UNITS[currency]
            value = amount.quantize(_QUANT[places], context=_EXACT) if amount else _ZERO[places]
            too_large = value.copy_abs() >= MAX_AMOUNT
        except (KeyError, TypeError, decimal.DecimalException):
            raise ValueError(
                f"Money.trusted needs an exact amount of a known currency (got {amount} {currency})"
            ) from None
        if too_large:
            raise ValueError(f"the result {amount} {currency} is too large to hold (limit 10**18)")
        self = object.__new__(cls)
        _set_amount(self, value)
        _set_currency(self, currency)
        return self

    _new = trusted  # the name the library's own modules have long used

    # -- construction -------------------------------------------------------------------

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        """Return zero of ``currency``: the explicit start for :func:`sum`.

        >>> Money.zero("USD")
        Money('0.00', 'USD')
        """
        if cls is Money and currency.__class__ is str:
            known = _ZEROS.get(currency)
            if known is not None:  # money is immutable: one zero a currency is shared
                return known
        places = MINOR_UNITS.get(currency) if currency.__class__ is str else None
        if places is None:  # let the constructor say what is wrong
            return cls(0, currency)
        self = object.__new__(cls)
        _set_amount(self, _ZERO[places])
        _set_currency(self, currency)
        if cls is Money:
            _ZEROS[currency] = self
        return self

    @classmethod
    def rounded(
        cls,
        amount: str | int | Decimal | Fraction,
        currency: str = DEFAULT_CURRENCY,
        *,
        rounding: Rounding | str = Rounding.HALF_UP,
    ) -> Money:
        """Build money from a more precise amount, rounding to the currency's places.

        A :class:`~fractions.Fraction` is an exact rational amount (a converted amount,
        ``amount / rate``): it is rounded once, with no decimal step before.

        >>> Money.rounded(Decimal("10") / Decimal("3"))
        Money('3.33', 'CNY')
        >>> Money.rounded("0.5", "JPY")
        Money('1', 'JPY')
        >>> Money.rounded(Fraction(100, 7), "USD")
        Money('14.29', 'USD')
        """
        cur = _currency(currency)
        if isinstance(amount, Fraction):
            if abs(amount) >= MAX_AMOUNT:
                raise ValueError(
                    f"'amount' must be smaller than 10**18 in absolute value (got {amount})"
                )
            units = _round_fraction(amount * 10 ** MINOR_UNITS[cur], _rounding(rounding))
            return cls.from_minor_units(units, cur)
        value = _decimal(amount)
        if value.copy_abs() >= MAX_AMOUNT:
            raise FieldValueError("amount", "must be smaller than 10**18 in absolute value", amount)
        q = value.quantize(_QUANT[MINOR_UNITS[cur]], rounding=_rounding(rounding), context=_RATIO)
        return cls._new(q, cur)

    @classmethod
    def from_minor_units(cls, units: int, currency: str = DEFAULT_CURRENCY) -> Money:
        """Build money from a whole number of minor units (fen for CNY).

        >>> Money.from_minor_units(12345)
        Money('123.45', 'CNY')
        """
        if isinstance(units, bool) or not isinstance(units, int):
            raise TypeError(f"'units' must be an int (got {units!r})")
        cur = _currency(currency)
        places = MINOR_UNITS[cur]
        if abs(units) >= 10 ** (18 + places):
            raise ValueError(
                f"the result {units} minor units of {cur} is too large to hold (limit 10**18)"
            )
        return cls._new(_EXACT.scaleb(Decimal(units), -places), cur)

    @classmethod
    def total(cls, values: Iterable[Money], currency: str = DEFAULT_CURRENCY) -> Money:
        """Add up ``values`` starting from zero of ``currency`` (so an empty input works).

        >>> Money.total([Money("1.50"), Money("2.50")])
        Money('4.00', 'CNY')
        >>> Money.total([], "USD")
        Money('0.00', 'USD')
        """
        result = cls.zero(currency)
        for v in values:
            result = result + v
        return result

    @classmethod
    def parse(cls, text: str, currency: str | None = None) -> Money:
        """Read an amount as reports write it.

        Accepts an optional sign, a currency symbol or code before or after the number
        (``¥``, ``￥``, ``RMB``, ``$``, ``€``, ``£`` or any ISO code), thousands separators
        in their proper places, and a unit: ``元``, ``万元`` (ten thousand yuan), ``亿元``
        (a hundred million), or ``万``/``亿`` alone. ``元`` units imply CNY. Full-width
        digits, exponents and misplaced separators are refused, as is a result with more
        places than the currency allows.

        >>> Money.parse("989.32万元")
        Money('9893200.00', 'CNY')
        >>> Money.parse("¥1,234.50")
        Money('1234.50', 'CNY')
        >>> Money.parse("1234.5")
        Money('1234.50', 'CNY')
        >>> Money.parse("-12.5 USD")
        Money('-12.50', 'USD')
        >>> Money.parse("1,23.4")
        Traceback (most recent call last):
        ...
        humanaid.errors.FieldValueError: 'text' is not an amount of money ...

        Its errors are :class:`~humanaid.errors.FieldValueError` of the field ``text``
        (``amount`` or ``currency`` for what the constructor refuses).
        """
        if not isinstance(text, str):
            raise FieldTypeError(
                "text", "must be a str", text, code="wrong-type", got=type(text).__name__
            )
        m = _PARSE.match(text) if len(text) <= 80 else None
        if m is None or (m["sign"] and m["sign2"]):
            count = len(text.strip())
            if count > _DIGITS and text.strip().isdigit() and text.strip().isascii():
                raise FieldValueError(
                    "text",
                    f"must have at most {_DIGITS} digits",
                    text,
                    code="too-many-digits",
                    got=f"{count} digits",
                )
            raise FieldValueError(
                "text",
                "is not an amount of money (cannot read an amount from it): write digits "
                "with an optional"
                " sign, point, thousands commas, currency and unit such as '¥1,234.50' or"
                " '989.32万元'",
                text,
            )
        unit = m["unit"] or ""
        implied = {
            _SYMBOLS.get(m["prefix"] or "", m["prefix"]),
            _SYMBOLS.get(m["suffix"] or "", m["suffix"]),
        }
        implied.discard(None)
        if unit.endswith("元"):
            implied.add("CNY")
        if currency is not None:
            implied.add(_currency(currency))
        if len(implied) > 1:
            found = ", ".join(sorted(c for c in implied if c))
            raise FieldValueError("text", f"names more than one currency ({found})", text)
        cur = implied.pop() if implied else DEFAULT_CURRENCY
        # Scaled by moving the exponent, exactly: no context can round or trap a long
        # number here, and the constructor names what is wrong with it.
        digits = Decimal(m["num"].replace(",", "")).as_tuple()
        negative = int("-" in (m["sign"], m["sign2"]))
        number = Decimal((negative, digits.digits, int(digits.exponent) + _UNITS[unit]))
        return cls(number, cur)

    # -- views --------------------------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """The amount as a whole number of minor units (fen for CNY).

        >>> Money("12.34").minor_units
        1234
        """
        return int(_EXACT.scaleb(self._amount, MINOR_UNITS[self._currency]))

    @property
    def places(self) -> int:
        """How many decimal places the currency has (CNY 2, JPY 0)."""
        return MINOR_UNITS[self._currency]

    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return not self._amount

    def is_positive(self) -> bool:
        """Whether the amount is greater than zero."""
        return self._amount > 0

    def is_negative(self) -> bool:
        """Whether the amount is less than zero."""
        return self._amount < 0

    # -- value protocol -----------------------------------------------------------------

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError("Money is immutable; build a new value instead")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError("Money is immutable")

    def __reduce__(self) -> tuple[type[Money], tuple[str, str]]:
        return (Money, (str(self._amount), self._currency))

    def __copy__(self) -> Money:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Money:
        return self

    def __repr__(self) -> str:
        return f"Money('{self._amount}', '{self._currency}')"

    def __str__(self) -> str:
        return f"{self._amount} {self._currency}"

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        # The spec's rounding is half-up (the library's default), not the ambient
        # context's, and a figure rounded to zero has no sign ('z').
        m = _FORMAT_SPEC.match(spec)
        if m is not None and not m["z"]:
            spec = f"{spec[: m.end('sign')]}z{spec[m.end('sign') :]}"
        with decimal.localcontext(_SHOWN):
            return f"{format(self._amount, spec)} {self._currency}"

    def __hash__(self) -> int:
        return hash((self._amount, self._currency))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Money):
            return self._currency == other._currency and self._amount == other._amount
        return NotImplemented

    def __bool__(self) -> bool:
        return bool(self._amount)

    def _same(self, other: object, verb: str) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot {verb} Money and {type(other).__name__}")
        if other._currency != self._currency:
            raise CurrencyMismatch(
                f"cannot {verb} {self._currency} and {other._currency} amounts; convert one first"
            )
        return other

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._amount < self._same(other, "compare")._amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._amount <= self._same(other, "compare")._amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._amount > self._same(other, "compare")._amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._amount >= self._same(other, "compare")._amount

    # -- arithmetic ---------------------------------------------------------------------

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        o = self._same(other, "add")
        return Money._new(_EXACT.add(self._amount, o._amount), self._currency)

    def __radd__(self, other: object) -> Money:
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            raise TypeError(
                "sum() of Money needs an explicit start, so an empty total still has a "
                f"currency: sum(values, Money.zero({self._currency!r}))"
            )
        return NotImplemented

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        o = self._same(other, "subtract")
        return Money._new(_EXACT.subtract(self._amount, o._amount), self._currency)

    def __neg__(self) -> Money:
        return Money._new(self._amount.copy_negate(), self._currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._new(self._amount.copy_abs(), self._currency)

    def _exact(self, value: Decimal, what: str, fix: str) -> Money:
        places = MINOR_UNITS[self._currency]
        if value != value.quantize(_QUANT[places], context=_RATIO):
            raise ValueError(
                f"{what} gives {value.normalize(_RATIO):f}, which has more than {places} "
                f"places for {self._currency}; use {fix} to round it explicitly"
            )
        return Money._new(value, self._currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        k = _number(factor, "the factor")
        try:
            product = _EXACT.multiply(self._amount, k)
        except decimal.Inexact:
            raise ValueError(
                f"multiplying {self} by {k} cannot be done exactly; use .multiply(factor, "
                "rounding=...)"
            ) from None
        return self._exact(product, f"{self} x {k}", ".multiply(factor, rounding=...)")

    __rmul__ = __mul__

    def __truediv__(self, divisor: int | Decimal | Money) -> Any:
        """Divide exactly by a number (giving Money), or by Money (giving a Decimal ratio).

        ``Money / Money`` of one currency is a plain :class:`~decimal.Decimal`, computed
        with 34 significant digits (the precision of IEEE decimal128) and half-even
        rounding, in a local context.

        >>> Money("100.00") / 4
        Money('25.00', 'CNY')
        >>> Money("1.00") / Money("3.00")
        Decimal('0.3333333333333333333333333333333333')
        """
        if isinstance(divisor, Money):
            o = self._same(divisor, "divide")
            if o.is_zero():
                raise ZeroDivisionError("cannot divide by zero money")
            return _RATIO.divide(self._amount, o._amount)
        k = _number(divisor, "the divisor")
        if not k:
            raise ZeroDivisionError(f"cannot divide {self} by zero")
        try:
            quotient = _EXACT.divide(self._amount, k)
        except decimal.Inexact:
            raise ValueError(
                f"dividing {self} by {k} does not come out exactly; use .divide(divisor, "
                "rounding=...) to round, or .split(n) for parts that add up"
            ) from None
        return self._exact(quotient, f"{self} / {k}", ".divide(divisor, rounding=...)")

    def multiply(
        self, factor: int | Decimal, *, rounding: Rounding | str = Rounding.HALF_UP
    ) -> Money:
        """Multiply by ``factor`` and round to the currency's places with ``rounding``.

        >>> Money("10.01").multiply(Decimal("0.5"))
        Money('5.01', 'CNY')
        """
        k = _number(factor, "the factor")
        mode = _rounding(rounding)
        try:
            # The exact product in 60 digits (Inexact is trapped), rounded once: the same
            # as rounding the exact rational product, without building fractions.
            product = _EXACT.multiply(self._amount, k)
            rounded = product.quantize(
                _QUANT[MINOR_UNITS[self._currency]], rounding=mode, context=_RATIO
            )
        except decimal.DecimalException:  # too many digits: round the exact fraction
            exact = Fraction(self._amount) * Fraction(k)
            return self._from_fraction(exact, rounding)
        return Money.trusted(rounded, self._currency)

    def divide(
        self, divisor: int | Decimal, *, rounding: Rounding | str = Rounding.HALF_UP
    ) -> Money:
        """Divide by ``divisor`` and round to the currency's places with ``rounding``.

        >>> Money("10.00").divide(3)
        Money('3.33', 'CNY')
        """
        k = _number(divisor, "the divisor")
        if not k:
            raise ZeroDivisionError(f"cannot divide {self} by zero")
        return self._from_fraction(Fraction(self._amount) / Fraction(k), rounding)

    def _from_fraction(self, value: Fraction, rounding: Rounding | str) -> Money:
        """Round an exact rational amount once, to the currency's places."""
        places = MINOR_UNITS[self._currency]
        units = _round_fraction(value * 10**places, _rounding(rounding))
        return Money.from_minor_units(units, self._currency)

    def round(self, places: int = 0, *, rounding: Rounding | str = Rounding.HALF_UP) -> Money:
        """Round to ``places`` decimal places (fewer than the currency has), half-up by default.

        >>> Money("1234.50").round()
        Money('1235.00', 'CNY')
        >>> Money("1234.45").round(1, rounding=Rounding.DOWN)
        Money('1234.40', 'CNY')
        """
        if isinstance(places, bool) or not isinstance(places, int):
            raise TypeError(f"'places' must be an int (got {places!r})")
        if not -18 < places <= MINOR_UNITS[self._currency]:
            raise ValueError(
                f"'places' must be at most {MINOR_UNITS[self._currency]} for {self._currency}"
                f" and more than -18 (got {places})"
            )
        q = Decimal((0, (1,), -places))
        value = self._amount.quantize(q, rounding=_rounding(rounding), context=_RATIO)
        return Money._new(value, self._currency)

    def __round__(self, ndigits: SupportsIndex | None = None) -> Money:
        return self.round(0 if ndigits is None else int(ndigits))

    # -- splitting ----------------------------------------------------------------------

    def allocate(self, ratios: Sequence[int | Decimal]) -> tuple[Money, ...]:
        """Split into parts proportional to ``ratios`` that add up exactly to this amount.

        Each part is its fair share rounded down to a minor unit; the units left over go
        one each to the parts with the largest remainders, earlier parts first on a tie.
        So every part is within one minor unit of its fair share and the result does not
        depend on anything but the input.

        >>> Money("100.00").allocate([1, 1, 1])
        (Money('33.34', 'CNY'), Money('33.33', 'CNY'), Money('33.33', 'CNY'))
        >>> Money("0.05").allocate([Decimal("0.3"), Decimal("0.7")])
        (Money('0.02', 'CNY'), Money('0.03', 'CNY'))
        """
        if ratios.__class__ is list or ratios.__class__ is tuple:
            parts = self._allocate_whole(ratios)
            if parts is not None:
                return parts
        return self._allocate_exact(ratios)

    def _allocate_whole(self, weights: Sequence[object]) -> tuple[Money, ...] | None:
        """:meth:`allocate` for whole-number weights, worked out per distinct weight.

        ``None`` unless every weight is an exact ``int`` below 10**60, none negative, one
        positive (else :meth:`_allocate_exact` decides, and raises its errors). Equal
        weights have equal floors and remainders, so a split into hundreds of thousands
        of parts with a few dozen distinct weights divides a few dozen times, and equal
        parts are one :class:`Money` (it is immutable). The parts are those of
        :meth:`_allocate_exact`: each floor, then one unit more to the largest remainders,
        earlier parts first on a tie (``tests/test_money.py`` holds the two equal).
        """
        if set(map(type, weights)) != {int}:
            return None
        ints = cast("Sequence[int]", weights)
        distinct = set(ints)
        if min(distinct) < 0 or max(distinct) >= _WEIGHT_LIMIT:
            return None
        whole = sum(ints)
        if not whole:
            return None
        units = self.minor_units
        sign = -1 if units < 0 else 1
        units = abs(units)
        parts = {w: divmod(units * w, whole) for w in distinct}
        floors = [parts[w][0] for w in ints]
        left = units - sum(floors)
        if left:
            # the indices by remainder, each list in index order: largest remainders first
            by_remainder: dict[int, list[int]] = {}
            for i, w in enumerate(ints):
                by_remainder.setdefault(parts[w][1], []).append(i)
            for remainder in sorted(by_remainder, reverse=True):
                indices = by_remainder[remainder]
                for i in indices[:left]:
                    floors[i] += 1
                left -= min(left, len(indices))
                if not left:
                    break
        made: dict[int, Money] = {}
        out = []
        for f in floors:
            money = made.get(f)
            if money is None:
                money = made[f] = Money.from_minor_units(sign * f, self._currency)
            out.append(money)
        return tuple(out)

    def _allocate_exact(self, ratios: Sequence[int | Decimal]) -> tuple[Money, ...]:
        """:meth:`allocate` for any ratios: each scaled to a whole number, part by part."""
        if isinstance(ratios, str | bytes) or not isinstance(ratios, Sequence):
            raise TypeError(f"'ratios' must be a sequence of int or Decimal (got {ratios!r})")
        if not ratios:
            raise ValueError("'ratios' must not be empty")
        numbers = []
        for i, r in enumerate(ratios):
            d = _number(r, f"ratio {i}")
            if d < 0:
                raise ValueError(f"'ratios' must not be negative (got {r!r} at index {i})")
            numbers.append(d)
        # Integer arithmetic throughout: every ratio scaled by the same power of ten is a
        # whole number, so shares, floors and remainders are exact (and fast for a
        # million parts, where fractions took seconds).
        places = max(max(-int(d.as_tuple().exponent), 0) for d in numbers)
        weights = []
        for i, d in enumerate(numbers):
            try:
                weights.append(int(d.scaleb(places, context=_EXACT)))
            except decimal.DecimalException:
                raise ValueError(
                    f"'ratios' must scale to whole numbers of at most 60 digits, with {places}"
                    f" places for the finest ratio (got {ratios[i]!r} at index {i})"
                ) from None
        total = sum(weights)
        if total == 0:
            raise ValueError("'ratios' must have at least one positive ratio")
        units = self.minor_units
        sign = -1 if units < 0 else 1
        units = abs(units)
        floors, remainders = [], []
        for w in weights:
            q, r = divmod(units * w, total)
            floors.append(q)
            remainders.append(r)
        left = units - sum(floors)
        order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
        for i in order[:left]:
            floors[i] += 1
        return tuple(Money.from_minor_units(sign * f, self._currency) for f in floors)

    def split(self, n: int) -> tuple[Money, ...]:
        """Split into ``n`` parts as equal as possible that add up exactly to this amount.

        >>> Money("0.10").split(3)
        (Money('0.04', 'CNY'), Money('0.03', 'CNY'), Money('0.03', 'CNY'))
        """
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"'n' must be an int (got {n!r})")
        if n < 1:
            raise ValueError(f"'n' must be at least 1 (got {n})")
        return self.allocate([1] * n)

    # -- formatting ---------------------------------------------------------------------

    def format(
        self,
        unit: str | None = None,
        *,
        places: int | Literal["auto"] | None = None,
        grouping: bool = False,
        rounding: Rounding | str = Rounding.HALF_UP,
    ) -> str:
        """Write the amount as reports do.

        ``unit`` is ``"元"``, ``"万元"`` or ``"亿元"`` for CNY (the default is ``"元"``),
        or ``"万"``/``"亿"`` for any currency; other currencies end with their code. By
        default every significant digit is kept, so :meth:`parse` gives back exactly the
        same money: in 元 with the currency's places, in 万 and 亿 without trailing zeros.
        ``places`` rounds the figure for display with ``rounding``; ``places="auto"``
        writes it as report prose does: whole numbers without decimals (4189万元), any
        other figure rounded to two decimals (989.32万元, 2353.61万元).

        >>> Money("23917000").format(unit="万元")
        '2391.7万元'
        >>> Money("23917000").format(unit="万元", places=2)
        '2391.70万元'
        >>> Money("12345.67").format(unit="万元")
        '1.234567万元'
        >>> Money("12345.67").format(unit="万元", places=2)
        '1.23万元'
        >>> Money("23536069").format(unit="万元", places="auto")
        '2353.61万元'
        >>> Money("41890000").format(unit="万元", places="auto")
        '4189万元'
        >>> Money("1234567.5").format(grouping=True)
        '1,234,567.50元'
        >>> Money("12.5", "USD").format()
        '12.50 USD'
        """
        cur = self._currency
        if unit is None:
            unit = "元" if cur == "CNY" else ""
        if unit not in _UNITS:
            raise ValueError(f"'unit' must be one of 元, 万元, 亿元, 万, 亿 (got {unit!r})")
        if unit.endswith("元") and cur != "CNY":
            raise ValueError(f"'unit' {unit!r} is for CNY amounts, not {cur}")
        value = self._amount.scaleb(-_UNITS[unit], context=_EXACT)
        if places == "auto":
            places = 0 if value == value.to_integral_value(context=_EXACT) else 2
        if places is None:
            # 元 shows the currency's places (1234.50元); 万 and 亿 show the digits that
            # matter (4189万元, 2.6亿元), as reports write them.
            shown = MINOR_UNITS[cur] if _UNITS[unit] == 0 else 0
            exponent = value.normalize(_EXACT).as_tuple().exponent
            if isinstance(exponent, int):
                shown = max(shown, -exponent)
            value = value.quantize(_QUANT.get(shown, Decimal((0, (1,), -shown))), context=_EXACT)
        else:
            if isinstance(places, bool) or not isinstance(places, int) or places < 0:
                raise ValueError(f"'places' must be a whole number >= 0 or 'auto' (got {places!r})")
            # Room for every digit of the result, so a large amount shown with many
            # places is exact rather than an InvalidOperation.
            room = decimal.Context(
                prec=max(value.adjusted(), 0) + places + 2,
                rounding=_rounding(rounding),
                traps=[decimal.InvalidOperation],
            )
            value = value.quantize(Decimal((0, (1,), -places)), context=room)
        if not value:  # rounded to zero for display: money has one zero, never '-0.00'
            value = value.copy_abs()
        number = f"{value:,f}" if grouping else f"{value:f}"
        if cur == "CNY" and unit.endswith("元"):
            return f"{number}{unit}"
        return f"{number}{unit} {cur}"


# ``_amount``/``_currency``: the slots under their older names (one descriptor each, two names).
setattr(Money, "_amount", Money.__dict__["amount"])  # noqa: B010
setattr(Money, "_currency", Money.__dict__["currency"])  # noqa: B010
_set_amount: Final = Money.__dict__["amount"].__set__
_set_currency: Final = Money.__dict__["currency"].__set__
_plain_match: Final = _PLAIN_DECIMAL.match
_places_of: Final = MINOR_UNITS.get
_quant: Final = _QUANT


class _Loading:
    """Money being built by :func:`_from_plain`: its slots take plain assignments.

    Money refuses ``m.x = v``; this twin (the same slots, the ordinary ``__setattr__``)
    is filled by two assignments and then made a :class:`Money` by assigning
    ``__class__``, a third cheaper than setting each slot through its descriptor. No
    instance of it is ever seen outside that function. It is a sibling of Money, not a
    subclass: ``Money.__subclasses__()`` stays empty.
    """

    __slots__ = ("amount", "currency")  # Money's slot names: ``__class__`` may change
    amount: Decimal
    currency: str


_ZEROS: Final[dict[str, Money]] = {}  # the zero of each known currency, made once
_SEEN: Final[dict[str, dict[str, Money]]] = {}
_SEEN_MAX: Final = 4096


def _from_plain(text: str, currency: str) -> Money | None:
    """Money from a JSON amount string and code, or ``None`` if ``Money()`` might refuse it.

    The loaders' fast path (``humanaid.serialize``): it accepts exactly what
    ``Money(Decimal(text), currency)`` accepts for a plain decimal string of at most 64
    characters and gives the same value; on ``None`` the caller takes the checked path,
    which explains the problem. Both arguments must be ``str``.

    Money is immutable, so the first few thousand distinct amounts seen are kept and
    shared (``0.00`` fees, round sums): loading them again costs a lookup and no memory.
    """
    seen = _SEEN.get(currency)
    if seen is not None:
        known = seen.get(text)
        if known is not None:
            return known
    places = _places_of(currency)
    if places is None:
        return None
    point = len(text) - places - 1
    if (
        0 < point <= 18
        and text[point] == "."
        and places
        and text.isascii()
        and text.replace(".", "", 1).isdigit()
    ):
        # The common form, as to_json writes it: unsigned ASCII digits, at most 18 of
        # them before the point (below 10**18) and the currency's places after it. It is
        # what the pattern below accepts, already exact; it is never a negative zero.
        # (The first point taken out, only digits are left: the point at ``point`` was
        # the only one; ``places`` is not 0, so digits follow it.)
        value = Decimal(text)
    elif places == 0 and 0 < len(text) <= 18 and text.isascii() and text.isdigit():
        value = Decimal(text)  # the same for a currency without minor units
    else:
        if len(text) > 64 or _plain_match(text) is None:
            return None
        value = Decimal(text)
        if len(text) > 18 and value.copy_abs() >= MAX_AMOUNT:
            return None
        point = text.find(".")
        decimals = len(text) - point - 1 if point >= 0 else 0
        if decimals != places:  # already at the currency's places otherwise
            exact = value.quantize(_quant[places], context=_RATIO)
            if exact != value:
                return None
            value = exact
        if not value:
            value = _ZERO[places]  # one zero: never '-0.00'
    loading = object.__new__(_Loading)
    loading.amount = value
    loading.currency = currency
    loading.__class__ = Money  # type: ignore[assignment]
    self: Money = loading  # type: ignore[assignment]  # now one (not a call of cast)
    if seen is None:
        if len(_SEEN) >= 8:  # a few currencies are kept, not every one ever seen
            return self
        seen = _SEEN.setdefault(currency, {})
    if len(seen) < _SEEN_MAX:
        seen[text] = self
    return self
