"""One total order over mixed values: how tables sort their rows.

:func:`sort_key` is the order :func:`humanaid.tabulate` gives its groups,
:meth:`Table.sort_by <humanaid.Table.sort_by>` its rows and :mod:`humanaid.interop.arrow`
the items of a set or the keys of a map. It sorts values of one kind naturally, keeps
kinds apart in a fixed order, and never raises on values that do not compare.

>>> from humanaid import Money
>>> sorted([Money("5", "USD"), None, Money("1")], key=sort_key)
[Money('1.00', 'CNY'), Money('5.00', 'USD'), None]
"""

from __future__ import annotations

import enum
import functools
from datetime import date
from decimal import Decimal
from typing import Any

from humanaid.money import Money
from humanaid.periods import Period

__all__ = ["sort_key"]

_ENUM_ORDER: dict[type, dict[Any, int]] = {}  # each enum's members by position, made on first use


def sort_key(value: object) -> tuple[Any, ...]:
    """The key :func:`~humanaid.tabulate` sorts groups by: a total order over mixed values.

    Values of one kind sort naturally (numbers by value, text by code point, dates and
    periods in time, money by currency then amount, tuples item by item); enum members
    sort in the order the enum declares them. Values of different kinds are kept apart
    in a fixed order of kinds (booleans, numbers, text, dates, periods, money, enums,
    tuples, then anything else by type name), and ``None`` comes last.

    >>> sorted([None, "b", 2, "a", 1], key=sort_key)
    [1, 2, 'a', 'b', None]
    """
    if value is None:
        return (9,)
    if isinstance(value, bool):
        return (0, value)
    if isinstance(value, enum.Enum):
        cls = type(value)
        order = _ENUM_ORDER.get(cls)
        if order is None:
            order = _ENUM_ORDER[cls] = {m: i for i, m in enumerate(cls)}
        return (6, cls.__module__, cls.__qualname__, order.get(value, -1))
    if isinstance(value, int | Decimal):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, Period):
        return (4, value.start, value.end)
    if isinstance(value, date):
        return (3, value.toordinal(), str(value))
    if isinstance(value, Money):
        return (5, value.currency, value.amount)
    if isinstance(value, tuple):
        return (7, tuple(sort_key(v) for v in value))
    return (8, type(value).__module__, type(value).__qualname__, _Opaque(value))


@functools.total_ordering
class _Opaque:
    """Wrap a value of an unknown type: compare naturally, or by repr if it cannot."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Opaque) and bool(self.value == other.value)

    def __lt__(self, other: _Opaque) -> bool:
        try:
            return bool(self.value < other.value)  # type: ignore[operator]
        except TypeError:
            return repr(self.value) < repr(other.value)

    def __hash__(self) -> int:
        return hash(repr(self.value))
