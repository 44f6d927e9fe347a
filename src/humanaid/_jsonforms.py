"""The forms of the library's JSON that its two paths must agree on.

:mod:`humanaid.serialize` (the converter, whose hooks check everything and report every
problem) and :mod:`humanaid._serialize_fast` (the loaders and writers generated for good
input) must read and write exactly the same: they tell a field's type apart the same
way (a record, an enum, a union, a tuple ...), accept the same text for a date, and
write the same compact text. Both take those forms from here.

>>> is_union(int | None), is_tuple(tuple[str, ...]), NONE_TYPE in (int | None).__args__
(True, True, True)
>>> COMPACT.encode({"name": "曲靖", "n": [1, 2]})
'{"name":"曲靖","n":[1,2]}'
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Final, get_origin

import attrs

from humanaid._decimal import plain_digits
from humanaid.money import Money

__all__ = [
    "COMPACT",
    "ISO_DATE",
    "NONE_TYPE",
    "decimal_text",
    "is_enum",
    "is_frozenset",
    "is_mapping",
    "is_record",
    "is_tuple",
    "is_union",
]

NONE_TYPE: Final = type(None)
"""The type of ``None``, as it appears in an optional field's union."""

ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)
"""A date as JSON holds it: ``YYYY-MM-DD``, nothing else ``date.fromisoformat`` takes."""


_PLAIN_SPAN: Final = 10_000
"""Digits of the plain text (:func:`humanaid._decimal.plain_digits`) beyond which a decimal
keeps its exponent form: written plain, ``1E-999999999`` would be a billion digits. Every
decimal a reader takes back (:data:`humanaid.errors.LIMITS`, a finding's figures) is well
within."""


def decimal_text(value: Decimal) -> str:
    """A decimal as the plain text both paths write and read back.

    Never an exponent, unless the plain text would run past :data:`_PLAIN_SPAN` digits
    (``1E-999999999`` would take a billion characters; no reader takes it either way).

    >>> [decimal_text(Decimal(d)) for d in ("1.41E-7", "1E+3", "2.50")]
    ['0.000000141', '1000', '2.50']
    """
    text = str(value)
    if "E" not in text:  # NaN and Infinity too: their text has no exponent
        return text
    return format(value, "f") if plain_digits(value) <= _PLAIN_SPAN else text


COMPACT: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""The encoder of ``to_json``'s text: no spaces, Chinese and every other text as is."""


def is_record(t: Any) -> bool:
    """Whether ``t`` is a record class loaded field by field (attrs; Money has its own hook)."""
    return isinstance(t, type) and attrs.has(t) and t is not Money


def is_enum(t: Any) -> bool:
    """Whether ``t`` is an enum class."""
    return isinstance(t, type) and issubclass(t, enum.Enum)


def is_union(t: Any) -> bool:
    """Whether ``t`` is a union (``X | Y``, ``X | None``, ``Optional[X]``)."""
    return get_origin(t) in (types.UnionType, typing.Union)


def is_tuple(t: Any) -> bool:
    """Whether ``t`` is a tuple type (``tuple[X, ...]`` or a fixed-length one)."""
    return get_origin(t) is tuple


def is_frozenset(t: Any) -> bool:
    """Whether ``t`` is a set type (``frozenset[X]``, ``AbstractSet[X]``, ``set[X]``)."""
    return get_origin(t) in (frozenset, typing.AbstractSet, set)


def is_mapping(t: Any) -> bool:
    """Whether ``t`` is a mapping type (``Mapping[K, V]``, ``dict[K, V]`` ...)."""
    return get_origin(t) in (dict, Mapping, typing.Mapping, types.MappingProxyType)
