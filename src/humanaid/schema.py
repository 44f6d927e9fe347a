r"""JSON Schema (draft 2020-12) for every record type and for a whole dataset.

An application in another language that sends records to humanaid (a case-management
app, an ETL job, a form on a phone) can check what it sends before it sends it.
:func:`json_schema` describes one record type as :func:`humanaid.to_json` writes it and
:func:`humanaid.from_json` reads it; :func:`dataset_json_schema` describes a whole
:class:`~humanaid.Dataset`. Both are generated from the records' attrs fields and from
the same field helpers (:mod:`humanaid.records`) the records are checked with, so a new
field or record type needs no schema code. ``humanaid schema [RECORD]`` prints them.

What the schema says, field by field:

* **Types**: text is a string, counts are integers, flags booleans, dates ``YYYY-MM-DD``
  strings (``"format": "date"`` and a pattern), decimals strings such as ``"0.25"``
  (an integer is accepted too, as the loader accepts it), enums their values, tuples
  arrays, sets arrays (a repeat is merged on loading), nested records objects (in ``$defs``).
* **Money** is ``{"amount": "12.50", "currency": "CNY"}``: the amount a plain decimal
  string (never a number: a float cannot hold money exactly), the currency a known ISO
  4217 code. A field that must be positive, or not negative, has an amount pattern that
  says so.
* **Required** fields are those without a default; **no other keys** are allowed
  (``additionalProperties: false``), as the loader refuses unknown keys.
* **Ids** (a record's own and its references) are 1 to 128 characters without control
  or invisible characters or surrounding white space; **text** has something other than
  white space in it and no control characters, with ``maxLength`` where the field caps
  it; **whole numbers** carry their ``minimum`` and ``maximum``.
* Annotations for tools (ignored by validators): ``x-humanaid-pii: true`` on personal
  data (see :func:`humanaid.privacy.redact`) and ``x-humanaid-ref`` naming the collection
  a reference points into.

What it cannot say, and the loader and :meth:`Dataset.validate
<humanaid.Dataset.validate>` still check:

* rules between fields of one record: an end not before its start, installments that
  add up to a principal, in-kind items that add up to a gift's value, a donation without
  a receipt saying why, the currency a fund or loan is kept in, an amount's decimal
  places for its currency (``"1.005"`` is too precise for CNY), amounts below 10**18;
* the checks some fields make in their own code: an ID number's check character, a
  phone number's form, an area code's digits, a date that exists (``2023-02-29`` has the
  right form but no day; a validator that checks ``format`` refuses it);
* rules across records: unique ids, references that resolve, balances, every finding of
  :meth:`Dataset.validate <humanaid.Dataset.validate>`;
* the few invisible characters outside the Basic Multilingual Plane, and lone
  surrogates, which the loader refuses in ids; and text is normalised to NFC on loading
  rather than refused.

Patterns are ECMA-262 regular expressions anchored with ``^`` and ``$``, as JSON Schema
prescribes. (A validator built on Python's :mod:`re`, whose ``$`` also matches before a
final line break, lets a date, id or amount end in one more ``\n``; the loader refuses
it.)

>>> from humanaid import Donation
>>> s = json_schema(Donation)
>>> s["$schema"]
'https://json-schema.org/draft/2020-12/schema'
>>> s["title"], s["required"][:3]
('Donation', ['id', 'organization_id', 'received_on'])
>>> s["properties"]["value"]["$ref"], s["properties"]["channel"]["enum"][:2]
('#/$defs/Money', ['offline', 'bank_transfer'])
>>> sorted(dataset_json_schema()["properties"])[:3]
['admin_areas', 'assessments', 'attendances']
"""

from __future__ import annotations

import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, get_args

import attrs

from humanaid._decimal import PLAIN_DECIMAL_MAX_LENGTH
from humanaid._jsonforms import (
    NONE_TYPE,
    is_enum,
    is_frozenset,
    is_mapping,
    is_record,
    is_tuple,
    is_union,
)
from humanaid.dataset import COLLECTION, Dataset
from humanaid.findings import Figure
from humanaid.money import Money, known_currencies
from humanaid.records import ID_MAX_LENGTH, PII, REF, _spec

__all__ = ["DRAFT", "dataset_json_schema", "json_schema"]

DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of every schema here (``$schema``)."""

_DECIMAL: Final = r"^[+-]?[0-9]+(?:\.[0-9]+)?$"
_POSITIVE: Final = r"^\+?(?:[0-9]*[1-9][0-9]*(?:\.[0-9]+)?|[0-9]+\.[0-9]*[1-9][0-9]*)$"
_NON_NEGATIVE: Final = r"^(?:\+?[0-9]+(?:\.[0-9]+)?|-0+(?:\.0+)?)$"
_DATE: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_CURRENCY: Final = r"^[A-Z]{3}$"
# The characters an id may never hold (humanaid.records: control, format and surrogate
# characters of the Basic Multilingual Plane; the astral ones are not expressed).
_UNSEEN: Final = (
    r"\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
)
_ID: Final = rf"^[^\s{_UNSEEN}](?:[^{_UNSEEN}]*[^\s{_UNSEEN}])?$"
_CONTROL: Final = r"\x00-\x1f\x7f-\x9f"
_TEXT: Final = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"


def _money_def() -> dict[str, Any]:
    return {
        "title": "Money",
        "description": "An exact amount: a plain decimal string and a known ISO 4217 code.",
        "type": "object",
        "properties": {
            "amount": {
                "type": "string",
                "pattern": _DECIMAL,
                "maxLength": PLAIN_DECIMAL_MAX_LENGTH,
                "examples": ["12.50"],
            },
            "currency": {
                "type": "string",
                "pattern": _CURRENCY,
                "enum": sorted(known_currencies()),
            },
        },
        "required": ["amount", "currency"],
        "additionalProperties": False,
    }


def _date() -> dict[str, Any]:
    return {"type": "string", "format": "date", "pattern": _DATE}


def _decimal() -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "string", "pattern": _DECIMAL, "maxLength": PLAIN_DECIMAL_MAX_LENGTH},
            {"type": "integer"},
        ]
    }


def _figure(builder: _Builder) -> dict[str, Any]:
    """A finding's figure: text, a count, ``{"decimal": ...}``, ``{"date": ...}`` or money."""
    return {
        "anyOf": [
            {"type": "string"},
            {"type": "integer"},
            {
                "type": "object",
                "properties": {"decimal": _decimal()["anyOf"][0]},
                "required": ["decimal"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"date": _date()},
                "required": ["date"],
                "additionalProperties": False,
            },
            builder.ref(Money),
        ]
    }


def _checks(a: attrs.Attribute[Any]) -> list[tuple[Any, ...]]:
    """What the field helpers of ``a`` check, as :mod:`humanaid.records` records it."""
    found: list[tuple[Any, ...]] = []
    validators: list[Any] = []
    v: Any = a.validator
    if v is not None:
        validators = list(getattr(v, "_validators", None) or [v])
    for fn in validators:
        spec = _spec(fn)
        if spec is not None:
            found.append(spec)
    conv: Any = a.converter
    if conv is not None:
        fn = conv.converter if isinstance(conv, attrs.Converter) else conv  # type: ignore[attr-defined]
        spec = _spec(fn)
        if spec is not None:
            found.append(spec)
    return found


class _Builder:
    """Builds one schema: the definitions of the nested records, by name."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}
        self.names: dict[type, str] = {}

    def name(self, cls: type) -> str:
        name = self.names.get(cls)
        if name is None:
            name = cls.__name__
            if name in self.names.values():  # two classes of one name: qualify the second
                name = f"{cls.__module__}.{cls.__qualname__}"
            self.names[cls] = name
        return name

    def ref(self, cls: type) -> dict[str, Any]:
        """A ``$ref`` to ``cls``'s definition, built the first time it is met."""
        name = self.name(cls)
        if name not in self.defs:
            self.defs[name] = {}  # a placeholder, so a record that holds itself ends
            self.defs[name] = _money_def() if cls is Money else self.record(cls)
        return {"$ref": f"#/$defs/{name}"}

    def record(self, cls: type) -> dict[str, Any]:
        if not is_record(cls):
            raise TypeError(
                f"json_schema() takes a record type such as humanaid.Donation "
                f"(got {getattr(cls, '__name__', repr(cls))})"
            )
        hints = typing.get_type_hints(cls)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for a in attrs.fields(cls):
            if not a.init:
                continue
            key = a.alias or a.name
            properties[key] = self.field(a, hints[a.name])
            if a.default is attrs.NOTHING:
                required.append(key)
        schema: dict[str, Any] = {"title": cls.__name__}
        doc = (cls.__doc__ or "").strip().split("\n", 1)[0]
        if doc:
            schema["description"] = doc
        schema.update(
            type="object",
            properties=properties,
            required=required,
            additionalProperties=False,
        )
        return schema

    def field(self, a: attrs.Attribute[Any], t: Any) -> dict[str, Any]:
        checks = _checks(a)
        kinds = {c[0] for c in checks}
        optional = is_union(t) and NONE_TYPE in get_args(t)
        inner = t
        if optional:
            rest = [x for x in get_args(t) if x is not NONE_TYPE]
            inner = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
        schema = self.type(inner)
        if inner is str and kinds & {"id", "ref"}:
            schema = {"type": "string", "minLength": 1, "maxLength": ID_MAX_LENGTH, "pattern": _ID}
        elif inner is str and "text" in kinds:
            max_length = next(c[2] for c in checks if c[0] == "text")
            schema = {"type": "string", "minLength": 1, "pattern": _TEXT}
            if max_length is not None:
                schema["maxLength"] = max_length
        elif inner is int and "whole" in kinds:
            _, low, high, _optional = next(c for c in checks if c[0] == "whole")
            schema = {"type": "integer", "minimum": low}
            if high is not None:
                schema["maximum"] = high
        elif inner is Money and kinds & {"positive", "non_negative"}:
            pattern = _POSITIVE if "positive" in kinds else _NON_NEGATIVE
            schema = {**schema, "properties": {"amount": {"pattern": pattern}}}
        if optional:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if a.metadata.get(PII):
            schema = {**schema, "x-humanaid-pii": True}
        if REF in a.metadata:
            schema = {**schema, "x-humanaid-ref": a.metadata[REF]}
        return schema

    def type(self, t: Any) -> dict[str, Any]:
        if t is Figure or (is_union(t) and set(get_args(t)) == set(get_args(Figure))):
            return _figure(self)
        if t is Money:
            return self.ref(Money)
        if t is bool:
            return {"type": "boolean"}
        if t is int:
            return {"type": "integer"}
        if t is str:
            return {"type": "string"}
        if t is Decimal:
            return _decimal()
        if t is date:
            return _date()
        if t is datetime:
            raise TypeError("humanaid keeps dates, not times: no schema for a datetime field")
        if is_enum(t):
            values = [m.value for m in t]
            schema: dict[str, Any] = {"enum": values}
            if all(isinstance(v, str) for v in values):
                schema = {"type": "string", "enum": values}
            return schema
        if is_union(t):
            members = get_args(t)
            anyof = [{"type": "null"} if m is NONE_TYPE else self.type(m) for m in members]
            return {"anyOf": anyof}
        if is_tuple(t):
            args = get_args(t)
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "items": self.type(args[0])}
            return {
                "type": "array",
                "prefixItems": [self.type(x) for x in args],
                "items": False,
                "minItems": len(args),
            }
        if is_frozenset(t):
            (item,) = get_args(t)
            # repeats are merged on loading, so they are not refused here
            return {"type": "array", "items": self.type(item)}
        if is_mapping(t):
            _, value = get_args(t)
            return {"type": "object", "additionalProperties": self.type(value)}
        if is_record(t):
            return self.ref(t)
        raise TypeError(f"no JSON Schema for the type {t!r}")

    def document(self, body: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"$schema": DRAFT, **body}
        if self.defs:
            out["$defs"] = dict(sorted(self.defs.items()))
        return out


def json_schema(record_type: type) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one record type, as ``to_json`` writes it.

    The record's own fields are at the top; the records it holds (``Money``,
    ``Period``, ``InKindItem`` ...) are in ``$defs``. Pass :class:`~humanaid.Dataset`
    (or a subclass) for :func:`dataset_json_schema`. Serialise the result with
    :func:`json.dumps`.

    Args:
        record_type: an attrs record class, such as :class:`humanaid.Donation`, or
            :class:`~humanaid.Money`.

    Raises:
        TypeError: for a class that is not a record, or a field of a type JSON cannot
            hold (a ``datetime``).

    >>> from humanaid import Household
    >>> s = json_schema(Household)
    >>> s["properties"]["members"], s["properties"]["address"]["x-humanaid-pii"]
    ({'type': 'integer', 'minimum': 1}, True)
    >>> s["properties"]["flags"]["items"]["enum"][:2]
    ['registered_poor', 'minimum_living_allowance']
    """
    if isinstance(record_type, type) and issubclass(record_type, Dataset):
        return dataset_json_schema(record_type)
    builder = _Builder()
    if record_type is Money:
        return builder.document(_money_def())
    return builder.document(builder.record(record_type))


def dataset_json_schema(dataset_type: type[Dataset] = Dataset) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a whole dataset, as ``to_json(dataset)`` writes it.

    An object with a ``name`` and one array per collection (``donations``, ``persons``
    ...), each item a record of the collection's type (in ``$defs``); every key is
    optional, none other is allowed.

    Args:
        dataset_type: :class:`~humanaid.Dataset`, or a subclass with collections of its own.

    >>> s = dataset_json_schema()
    >>> s["properties"]["donations"]
    {'type': 'array', 'items': {'$ref': '#/$defs/Donation'}}
    >>> s["required"], s["additionalProperties"]
    ([], False)
    """
    if not (isinstance(dataset_type, type) and issubclass(dataset_type, Dataset)):
        raise TypeError(f"'dataset_type' must be Dataset or a subclass (got {dataset_type!r})")
    builder = _Builder()
    properties: dict[str, Any] = {}
    for a in attrs.fields(dataset_type):
        if not a.init:
            continue
        if COLLECTION in a.metadata:
            properties[a.name] = {"type": "array", "items": builder.ref(a.metadata[COLLECTION])}
        elif a.name == "name":
            properties["name"] = {"type": "string"}
        else:  # a field a subclass added beside its collections
            properties[a.alias or a.name] = builder.type(
                typing.get_type_hints(dataset_type)[a.name]
            )
    return builder.document(
        {
            "title": dataset_type.__name__,
            "description": "All records of a programme or society, by kind.",
            "type": "object",
            "properties": properties,
            "required": [],
            "additionalProperties": False,
        }
    )
