"""What the rooms of :mod:`humanaid.revolving` share: field helpers, checks, money from units.

Private to the package: the attrs field helpers of its records (a whole number in a
range, a rate, an optional amount, a text), the checks of a day and of a currency code,
and :func:`_units`, the cached :class:`~humanaid.Money` that schedules and the engine
build from whole minor units.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from humanaid._currencies import MINOR_UNITS
from humanaid._decimal import plain_digits, to_decimal
from humanaid.errors import LIMITS, FieldValueError
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.records import text_field

__all__: list[str] = []  # private to humanaid.revolving: nothing here is public


_RATE_TEXT: Final = functools.partial(to_decimal, text=True)
"""A rate given as an int or plain decimal text ("0.06") becomes a Decimal; the rest is
left to :func:`_fraction` to refuse."""


def _fraction(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A rate: a finite Decimal from 0 to 1 (0.06 is 6%)."""
    if not isinstance(value, Decimal):
        hint = " (never a float)" if isinstance(value, float) else ""
        raise TypeError(
            f"'{attribute.name}' must be a Decimal, an int or plain decimal text such as "
            f"'0.06'{hint} (got {value!r})"
        )
    if not value.is_finite() or not 0 <= value <= 1:
        raise FieldValueError(
            attribute.name, f"must be a fraction from 0 to 1, such as 0.06 for 6% (got {value})"
        )
    if plain_digits(value) > LIMITS["digits"]:  # what the JSON reader would refuse
        raise FieldValueError(
            attribute.name,
            f"must be written in at most {LIMITS['digits']} digits "
            f"(got {value}: {plain_digits(value)} digits written plain)",
        )


def _rate_field() -> Any:
    return attrs.field(default=Decimal(0), converter=_RATE_TEXT, validator=_fraction)


def _optional_money(*, validator: Any) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, Money):
            hint = " (amounts are humanaid.Money, never float)" if isinstance(value, float) else ""
            raise TypeError(f"'{attribute.name}' must be Money or None{hint} (got {value!r})")
        validator(instance, attribute, value)

    return attrs.field(default=None, validator=check)


def _text(kind: str = "text") -> Any:
    return text_field(kind=kind)


def _zero_like(field: str) -> Any:
    def make(self: Any) -> Money:
        value = getattr(self, field)
        # Not Money: the field's own validator names the problem (it runs after defaults).
        return Money.zero(value.currency if isinstance(value, Money) else DEFAULT_CURRENCY)

    return attrs.Factory(make, takes_self=True)


def _check_day(name: str, value: object) -> date:
    """Return ``value`` if it is a plain date, else raise a TypeError naming ``name``."""
    if isinstance(value, datetime):
        raise TypeError(f"{name!r} must be a datetime.date, not a datetime (got {value!r})")
    if not isinstance(value, date):
        raise TypeError(f"{name!r} must be a datetime.date (got {type(value).__name__} {value!r})")
    return value


def _check_currency(code: object) -> None:
    if not isinstance(code, str) or code not in MINOR_UNITS:
        raise FieldValueError("currency", f"must be a known ISO 4217 code (got {code!r})")


@functools.lru_cache(maxsize=1 << 16)
def _units(units: int, currency: str) -> Money:
    """Money from minor units; amounts repeat a lot in schedules, so they are shared."""
    return Money.from_minor_units(units, currency)
