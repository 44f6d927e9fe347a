"""The column-wise paths of :mod:`humanaid.interop.arrow` (private; needs pyarrow).

The record-wise code of :mod:`~humanaid.interop.arrow` is the reference: it checks and
converts one value at a time and reports every problem. The code here does the same
work a column at a time, and gives way to the reference for anything it is not sure of:

* **records -> Arrow** (:func:`encode_batch`): each column's values are gathered with
  ``operator.attrgetter`` over the records, their Python types checked at once
  (``set(map(type, values))``), enums turned to their values through a table of the
  members, nested records and lists encoded only where present, and each column built
  with one ``pa.array(values, type=...)``. A value of another type, or any error, makes
  the batch go through the record-wise encoder, which raises its own error.
* **Arrow -> records** (:func:`decode_table`): every column's checks are made with
  ``pyarrow.compute`` (ids and text by a regular expression that only plain ASCII
  passes, the rest by the field's own validator once for each distinct value; known
  currencies, the currency's decimal places, positive amounts, dates, enum values,
  nulls), and the rows that pass are built by a constructor generated for the class
  that skips the checks already made (:func:`trusted_builder`; where nothing but the
  slots is left to set, a slot column at a time: :func:`slot_filler`); the field checks it
  cannot make column-wise, and ``__attrs_post_init__`` (the cross-field rules), run as
  attrs runs them. Nested records (and tuples of them) are read the same way, a level
  down. Rows that fail anything are rebuilt by the record-wise path, so their problems
  are exactly the reference's.
* **JSON Lines -> Arrow** (:func:`json_schema`, :func:`json_columns`): ``pyarrow.json``
  reads the lines with the schema of the records' JSON form; the columns are converted
  to :func:`~humanaid.interop.arrow.to_arrow`'s types with conservative forms (a plain
  decimal, an ISO date that exists) and the same column-wise checks; the keys of the
  lines are counted against the rows (:func:`json_members`: pyarrow reads a missing key
  as null, and refuses a repeated or unknown one); nested records and tuples of them
  are checked the same way a level down (:func:`_json_nested`: the list flattened,
  each failing item mapped back to its row); a class's cross-field rules are checked
  by a column-wise twin where one is known (:func:`cross_field_marks`: a donation's,
  an in-kind item's, a restriction's), else by building the records and dropping them
  (:func:`needs_building`). Lines that fail or escape a check go to the record path.
"""

from __future__ import annotations

import collections
import enum
import functools
import importlib
import inspect
import itertools
import operator
import re
import types
import typing
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Final, get_args, get_origin

import attrs

from humanaid._currencies import MINOR_UNITS
from humanaid._decimal import to_decimal
from humanaid.errors import InvalidInput
from humanaid.money import MAX_AMOUNT, Money
from humanaid.money import _set_amount as _money_amount
from humanaid.money import _set_currency as _money_currency
from humanaid.records import _spec as _records_spec

__all__ = [
    "FILL_BLOCK",
    "Bad",
    "FieldChecks",
    "Reference",
    "ascii_id",
    "ascii_text",
    "cross_field_marks",
    "decode_table",
    "encode_batch",
    "encode_table",
    "exact_form",
    "field_checks",
    "json_columns",
    "json_members",
    "json_schema",
    "needs_building",
    "slot_filler",
    "trusted_builder",
]

_NONE: Final = type(None)
_new: Final = object.__new__
_EPOCH: Final = date(1970, 1, 1).toordinal()

# -- records -> Arrow ------------------------------------------------------------------------


def _python_type(pa: Any, t: Any) -> type | None:
    """The one Python type a plain column holds (``bool``, ``int``, ``str``, ``date``)."""
    if pa.types.is_boolean(t):
        return bool
    if pa.types.is_int64(t):
        return int
    if pa.types.is_string(t):
        return str
    if pa.types.is_date32(t):
        return date
    return None


@functools.cache
def _enum_values(cls: type[enum.Enum]) -> dict[int, Any]:
    """``id(member) -> member.value``, and ``id(None) -> None``: a lookup without hashing."""
    table: dict[int, Any] = {id(m): m.value for m in cls}
    table[id(None)] = None
    return table


_EMPTY: Final[list[Any]] = []
# Money's own slots: what its ``amount`` and ``currency`` properties return, without a call.
_MONEY_PARTS: Final = {
    "amount": operator.attrgetter("_amount"),
    "currency": operator.attrgetter("_currency"),
}


def encode_batch(pa: Any, plan: Any, records: list[Any]) -> Any | None:
    """The ``RecordBatch`` of ``records`` that the record-wise encoder makes, or ``None``.

    ``None`` (or an exception) means a value is not what the column takes, or is not of
    the exact type the column-wise code reads; the caller then runs the record-wise
    encoder, which gives the same batch or raises its own error.
    """
    if set(map(type, records)) - {plan.cls}:
        return None
    n = len(records)
    monies: dict[str, tuple[list[Any], bool]] = {}
    arrays = []
    for col, field in zip(plan.columns, plan.schema, strict=True):
        f = col.field
        if col.part is None and f.codec.plain and pa.types.is_string(field.type):
            array = _strings_of(pa, f, records)
            if array is None:
                return None
            arrays.append(array)
            continue
        values = _gather(pa, col, field.type, records, monies, n)
        if values is None:
            return None
        arrays.append(values if isinstance(values, pa.Array) else pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=plan.schema)


def _strings_of(pa: Any, f: Any, records: list[Any]) -> Any | None:
    """A ``str`` field's column, its type check fused into the conversion.

    ``pa.array`` with no type infers ``string`` exactly when every value is a ``str``
    (of any subclass, as the record-wise encoder accepts) or ``None``: ``bytes``,
    ``bytearray`` and ``memoryview`` make it ``binary``, anything else is refused. So
    one pass over the values checks and converts them, where the type check was a pass
    of its own (``set(map(type, values))``: 0.09 µs a value of distinct strings).
    ``None``: not sure, the record-wise encoder decides.
    """
    raw = list(map(operator.attrgetter(f.attr), records))
    array = pa.array(raw)
    if not isinstance(array, pa.Array):
        return None
    if pa.types.is_null(array.type):  # no value but None (or none at all)
        return pa.nulls(len(raw), pa.string()) if f.optional or not raw else None
    if not pa.types.is_string(array.type) or (array.null_count and not f.optional):
        return None
    return array


def _gather(
    pa: Any,
    col: Any,
    arrow_type: Any,
    records: list[Any],
    monies: dict[str, tuple[list[Any], bool]],
    n: int,
) -> Any:
    """A column's values for ``pa.array``, its Arrow array already made, or ``None``."""
    f = col.field
    if col.part is not None:  # top-level money: amount and currency columns
        seen = monies.get(f.attr)
        if seen is None:
            money = list(map(operator.attrgetter(f.attr), records)) if f.attr else records
            kinds = set(map(type, money))
            has_none = _NONE in kinds
            if kinds - {Money, _NONE} or (has_none and not f.optional):
                return None
            seen = monies[f.attr] = (money, has_none)
        money, has_none = seen
        if has_none:
            if col.part == "amount":
                return [None if m is None else m.amount for m in money]
            return [None if m is None else m.currency for m in money]
        return list(map(_MONEY_PARTS[col.part], money))
    raw = list(map(operator.attrgetter(f.attr), records))
    return _values_of(pa, f.codec, f.optional, arrow_type, raw)


def _values_of(pa: Any, codec: Any, optional: bool, arrow_type: Any, raw: list[Any]) -> Any:
    """The column of one field's values ``raw``, read a column at a time.

    What ``pa.array`` takes, an Arrow array already made, or ``None`` when a value is not
    what the column-wise code reads (the record-wise encoder then decides).
    """
    n = len(raw)
    kinds = set(map(type, raw))
    has_none = _NONE in kinds
    if has_none:
        if not optional:
            return None
        kinds.discard(_NONE)
    if codec.plain:
        expected = _python_type(pa, arrow_type)
        return raw if expected is not None and kinds <= {expected} else None
    decode = codec.decode
    if isinstance(decode, type) and issubclass(decode, enum.Enum):
        if not kinds <= {decode}:
            return None
        if _str_valued(decode):  # pa.array reads a member's str: its value
            return raw
        return list(map(_enum_values(decode).__getitem__, map(id, raw)))
    encode = codec.encode
    if pa.types.is_list(arrow_type) or pa.types.is_map(arrow_type):
        if not kinds <= {tuple, frozenset, dict, types.MappingProxyType}:
            return None
        filled = list(itertools.compress(range(n), raw))  # the non-empty ones
        item = codec.item
        if (
            item is not None
            and item.record is not None
            and kinds <= {tuple}
            and not has_none
            and len(filled) * DENSE >= n
        ):
            return _record_lists(pa, item.record, arrow_type, raw)
        values: list[Any] = [_EMPTY] * n
        for i in filled:
            values[i] = encode(raw[i])
        return values
    if pa.types.is_struct(arrow_type):
        present = list(
            itertools.compress(range(n), map(operator.is_not, raw, itertools.repeat(None)))
        )
        if len(present) * DENSE >= n and codec.record is not None:
            compact = _records_struct(pa, codec.record, arrow_type, _at(raw, present))
            return _placed(pa, compact, raw, present)
        if len(present) * DENSE >= n and codec.money and kinds <= {Money}:
            return _placed(pa, _money_struct(pa, arrow_type, _at(raw, present)), raw, present)
        values = [None] * n
        for i in present:
            values[i] = encode(raw[i])
        return values
    return [None if v is None else encode(v) for v in raw]


DENSE: Final = 4
"""A nested column is read a field's column at a time when at least one row in ``DENSE``
holds a value: its passes over all the rows cost, for a donation's optional restriction
(5% of rows), about what encoding the few present ones record by record costs
(0.33 µs a row against 0.26-0.32); dense, 0.49 µs against 1.50 (benchmarks/README.md,
"Issue 19, sixth pass")."""


@functools.cache
def _str_valued(cls: type[enum.Enum]) -> bool:
    """Whether each member of ``cls`` is a ``str`` whose text is its value (a StrEnum)."""
    return issubclass(cls, str) and all(
        isinstance(m.value, str) and str.__str__(m) == m.value for m in cls
    )


def _records_struct(pa: Any, record: Any, arrow_type: Any, records: list[Any]) -> Any:
    """The struct array of ``records`` (none ``None``), a field's column at a time.

    The record-wise encoder makes a dict of each record's encoded fields for
    ``pa.array``: 1.5 µs a donation's restriction, 0.49 here. Here each field is read over all
    the records and converted as a top-level column is (nested records likewise), and
    the struct is put together from the columns. ``None`` if a record or a value is not
    of the exact type the column-wise code reads: the caller takes the record-wise path.
    """
    cls, fields = record
    if set(map(type, records)) - {cls}:
        return None
    children = []
    for f, child in zip(fields, arrow_type, strict=True):
        raw = list(map(operator.attrgetter(f.attr), records))
        values = _values_of(pa, f.codec, f.optional, child.type, raw)
        if values is None:
            return None
        if not isinstance(values, pa.Array):
            values = pa.array(values, type=child.type)
        children.append(values)
    if not children:
        return None
    return pa.StructArray.from_arrays(children, fields=list(arrow_type))


def _money_struct(pa: Any, arrow_type: Any, money: list[Any]) -> Any:
    """The struct array of ``money`` (all ``Money``): its two slots, a column each."""
    amount, currency = arrow_type
    return pa.StructArray.from_arrays(
        [
            pa.array(list(map(_MONEY_PARTS["amount"], money)), type=amount.type),
            pa.array(list(map(_MONEY_PARTS["currency"], money)), type=currency.type),
        ],
        fields=list(arrow_type),
    )


def _at(values: list[Any], present: list[int]) -> list[Any]:
    return list(map(values.__getitem__, present))


def _placed(pa: Any, compact: Any, raw: list[Any], present: list[int]) -> Any:
    """The column of ``raw``: the values of ``compact`` at ``present``, null elsewhere.

    A null row's children hold a value (the first present row's), as ``pa.array``'s
    hold one: a field that is not nullable may not hold a null even under a null struct
    (Parquet refuses it), which ``take`` with null indices would put there.
    """
    if compact is None or len(present) == len(raw):
        return compact
    if not present:  # all null: pa.array makes it as the record-wise encoder does
        return [None] * len(raw)
    where = [0] * len(raw)
    collections.deque(map(where.__setitem__, present, range(len(present))), 0)
    taken = compact.take(pa.array(where, pa.int64()))
    absent = pa.array(list(map(operator.is_, raw, itertools.repeat(None))), pa.bool_())
    children = [taken.field(i) for i in range(taken.type.num_fields)]
    return pa.StructArray.from_arrays(children, fields=list(compact.type), mask=absent)


def _record_lists(pa: Any, record: Any, arrow_type: Any, raw: list[Any]) -> Any:
    """The list column of tuples of records, none encoded record by record.

    Their records are one struct array (:func:`_records_struct`) cut by offsets.
    """
    flat = [r for t in raw if t for r in t]
    values = _records_struct(pa, record, arrow_type.value_type, flat)
    if values is None:
        return None
    lengths = pa.array(list(map(len, raw)), pa.int32())  # small ints: no int made
    offsets = pa.concat_arrays(
        [pa.array([0], pa.int32()), pa.compute.cumulative_sum_checked(lengths)]
    )
    return pa.ListArray.from_arrays(offsets, values, type=arrow_type)


def _plain_type(pa: Any, t: Any) -> Any:
    """``t`` with every dictionary (at any depth) replaced by its value type."""
    if pa.types.is_dictionary(t):
        return t.value_type
    if pa.types.is_struct(t):
        return pa.struct([f.with_type(_plain_type(pa, f.type)) for f in t])
    if pa.types.is_list(t):
        return pa.list_(t.value_field.with_type(_plain_type(pa, t.value_type)))
    if pa.types.is_map(t):
        return pa.map_(
            t.key_field.with_type(_plain_type(pa, t.key_type)),
            t.item_field.with_type(_plain_type(pa, t.item_type)),
        )
    return t


def _dictionary_under_null(pa: Any, field: Any, *, under: bool) -> bool:
    """Whether ``field`` holds a dictionary inside a struct that may be null."""
    t = field.type
    if pa.types.is_dictionary(t):
        return under
    if pa.types.is_struct(t):
        return any(_dictionary_under_null(pa, f, under=under or field.nullable) for f in t)
    if pa.types.is_list(t):
        return _dictionary_under_null(pa, t.value_field, under=under)
    if pa.types.is_map(t):
        return any(_dictionary_under_null(pa, f, under=under) for f in (t.key_field, t.item_field))
    return False


def encode_table(pa: Any, plan: Any, table: Any, batch_size: int) -> Any:
    """``table`` (checked, of ``plan``'s columns) re-encoded as :func:`to_arrow` encodes.

    ``to_arrow`` makes one batch of ``batch_size`` rows after another, each dictionary
    (at any depth) in the order its values first appear in the batch; a checked table
    may hold the same values in other chunks and dictionaries. Each batch's columns are
    cast to their plain types (dictionaries decoded) and back to the schema's (encoded
    in the order of first appearance, as ``pa.array`` encodes values): the table
    ``to_arrow`` makes of the table's records, when they hold the table's values
    (:func:`exact_form`).
    """
    batches = []
    for start in range(0, table.num_rows, batch_size):
        part = table.slice(start, batch_size)
        arrays = []
        for col, field in zip(plan.columns, plan.schema, strict=True):
            column = part.column(col.name).combine_chunks()
            if _dictionary_under_null(pa, field, under=False):
                # pa.array gives a dictionary under a null struct an index 0 of no value:
                # made by the very call to_arrow makes (rare columns: an item's value)
                column = pa.array(column.to_pylist(), type=field.type)
            elif column.type != field.type or _plain_type(pa, field.type) != field.type:
                column = column.cast(_plain_type(pa, field.type)).cast(field.type)
            arrays.append(column)
        batches.append(pa.RecordBatch.from_arrays(arrays, schema=plan.schema))
    return pa.Table.from_batches(batches, schema=plan.schema)


def exact_form(cls: type) -> bool:
    """Whether records of ``cls`` built from checked columns hold the columns' values.

    True when no converter and no ``__attrs_post_init__`` without a column-wise twin
    (which may change a value) is met at any depth, and no field is a set or a mapping
    (which :func:`to_arrow` sorts): then a table whose rows all passed the column-wise
    checks, none read or rebuilt by the record-wise code, holds exactly the values
    ``to_arrow`` writes for its records. Cached once ``cls``'s field types are resolved
    (:func:`_types_resolved`).
    """
    return _exact_form(cls) if _types_resolved(cls) else False


@functools.cache
def _exact_form(cls: type) -> bool:
    if cls is Money:
        return True
    checks = field_checks(cls)
    if checks is None:
        return False
    if hasattr(cls, "__attrs_post_init__") and cls not in _cross_field_rules():
        return False
    return all(_keeps(c) and _exact_type(c.attribute.type) for c in checks)


def _keeps(c: FieldChecks) -> bool:
    """Whether the field's converter (if any) gives back every value read from Arrow.

    ``to_decimal`` returns a ``Decimal`` unchanged (it only turns ints into decimals).
    """
    conv = c.converter
    if conv is None:
        return True
    fn = conv.converter if isinstance(conv, attrs.Converter) else conv  # type: ignore[attr-defined]
    fn = getattr(fn, "func", fn)  # a functools.partial of it
    return fn is to_decimal and _unwrap(c.attribute.type) is Decimal


def _exact_type(t: Any) -> bool:
    inner = _unwrap(t)
    if inner in (str, int, bool, date, Decimal, Money):
        return True
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return True
    origin, args = get_origin(inner), get_args(inner)
    if origin is tuple:
        return len(args) == 2 and args[1] is Ellipsis and _exact_type(args[0])
    if isinstance(inner, type) and attrs.has(inner):
        return exact_form(inner)
    return False


# -- what each field checks, and which of it is made column-wise ------------------------------


def _dictionary(pa: Any, t: Any) -> bool:
    return bool(pa.types.is_dictionary(t))


def _flat_validators(v: Any) -> list[Any]:
    if v is None:
        return []
    inner = getattr(v, "_validators", None)
    if isinstance(inner, tuple) and type(v).__name__ == "_AndValidator":
        return [x for w in inner for x in _flat_validators(w)]
    return [v]


def _unwrap(t: Any) -> Any:
    if get_origin(t) in (types.UnionType, typing.Union):
        rest = [a for a in get_args(t) if a is not _NONE]
        return rest[0] if len(rest) == 1 else t
    return t


@attrs.frozen
class FieldChecks:
    """What one top-level field checks, split into column-wise checks and calls.

    Attributes:
        attribute: the attrs field.
        kind: ``"str"``, ``"enum"``, ``"money"``, ``"date"``, ``"record"`` or ``"other"``.
        none_ok: whether a null passes every column-wise check.
        text: the column-wise string checks: ``"id"`` and ``("text", cap)``.
        checked: the validators the column-wise checks stand for (called on doubtful
            distinct values to decide them exactly).
        nfc: whether the value must already be NFC (the field's converter normalises).
        currency: whether the value must be a known currency code.
        sign: ``"positive"`` or ``"non_negative"`` for money that must be.
        converter: the converter the built record must still call, if any.
        validators: the validators the built record must still call.
    """

    attribute: Any
    kind: str
    none_ok: bool
    text: tuple[Any, ...]
    checked: tuple[Any, ...]
    nfc: bool
    currency: bool
    sign: str | None
    converter: Any
    validators: tuple[Any, ...]


def _kind(t: Any) -> str:
    inner = _unwrap(t)
    if inner is str:
        return "str"
    if inner is Money:
        return "money"
    if inner is date:
        return "date"
    if isinstance(inner, type) and issubclass(inner, enum.Enum):
        return "enum"
    if isinstance(inner, type) and attrs.has(inner):
        return "record"
    return "other"


def _analyse(a: Any) -> FieldChecks:
    kind = _kind(a.type)
    inner = _unwrap(a.type)
    none_ok = True
    text: list[Any] = []
    checked: list[Any] = []
    nfc = currency = False
    sign: str | None = None
    converter: Any = None
    conv = a.converter
    if conv is not None:
        fn = conv.converter if isinstance(conv, attrs.Converter) else conv  # type: ignore[attr-defined]
        spec = _records_spec(fn) or ()
        if spec[:1] == ("nfc",) and kind == "str":
            nfc = True
        elif spec[:1] == ("enum",) and kind == "enum" and spec[1] is inner:
            none_ok = none_ok and bool(spec[2])
        elif (
            spec[:1] == ("tuple",)
            and get_origin(a.type) is tuple
            and get_args(a.type) == (spec[1], Ellipsis)
            and spec[1] not in (bool, int)
        ):
            none_ok = False
        else:
            converter = conv
    rest: list[Any] = []
    for v in _flat_validators(a.validator):
        spec = _records_spec(v) or ()
        what = spec[:1]
        if what in (("id",), ("ref",)) and kind == "str":
            text.append("id")
            checked.append(v)
            none_ok = none_ok and what == ("ref",) and a.default is None
        elif what == ("text",) and kind == "str" and isinstance(spec[2], int):
            text.append(("text", spec[2]))
            checked.append(v)
            none_ok = none_ok and bool(spec[1])
        elif what == ("currency",) and kind == "str":
            currency = True
            checked.append(v)
            none_ok = False
        elif (what == ("date",) and kind == "date") or (what == ("money",) and kind == "money"):
            none_ok = none_ok and a.default is None
        elif what in (("positive",), ("non_negative",)) and kind == "money":
            sign = what[0]
            none_ok = False
        elif (
            type(v).__name__ == "_OptionalValidator"
            and kind == "money"
            and sign is None
            and (_records_spec(getattr(v, "validator", None)) or ())[:1]
            in (("positive",), ("non_negative",))
        ):  # optional(positive): the sign where there is money, and None passes
            sign = (_records_spec(v.validator) or ("",))[0]
        elif (
            what == ("instance",)
            and kind in ("record", "money", "date")
            and isinstance(spec[1], type)
            and isinstance(inner, type)
            and issubclass(inner, spec[1])
        ):
            none_ok = none_ok and bool(spec[2])
        else:
            rest.append(v)
    return FieldChecks(
        a, kind, none_ok, tuple(text), tuple(checked), nfc, currency, sign, converter, tuple(rest)
    )


def _types_resolved(cls: Any) -> bool:
    """Whether ``cls``'s field types are types, resolving them now if they can be.

    A record type written under ``from __future__ import annotations`` has strings for
    field types until :func:`attrs.resolve_types` runs; analysed before that, every field
    is of the kind "other" and keeps all its validators (the slow path). The analyses
    below are cached, so they are made only once the types are resolved: a class whose
    types cannot be resolved yet gets an answer that is not cached (``None``: not built
    here), and the right one once they can be.
    """
    if not (isinstance(cls, type) and attrs.has(cls)):
        return True
    try:
        attrs.resolve_types(cls)
    except (NameError, TypeError, AttributeError):
        return False
    return True


def field_checks(cls: type) -> tuple[FieldChecks, ...] | None:
    """The checks of each field of ``cls``, or ``None`` if its records are not built here.

    A class is built here only when its ``__init__`` is attrs' own, with every field an
    argument and no ``__attrs_pre_init__``: then what that ``__init__`` does is known. Its
    field types are resolved first (:func:`_types_resolved`); ``None`` if they cannot be.
    """
    return _field_checks(cls) if _types_resolved(cls) else None


@functools.cache
def _field_checks(cls: type) -> tuple[FieldChecks, ...] | None:
    if not (isinstance(cls, type) and attrs.has(cls)):
        return None
    code = getattr(getattr(cls, "__init__", None), "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return None
    if hasattr(cls, "__attrs_pre_init__"):
        return None
    fields = attrs.fields(cls)
    if not all(a.init for a in fields):
        return None
    return tuple(_analyse(a) for a in fields)


def trusted_builder(cls: type, *, post_init: bool = True) -> Callable[..., Any] | None:
    """A constructor of ``cls`` from its fields in order, skipping the column-wise checks.

    It sets every field as attrs' ``__init__`` does, calls the converters and validators
    not made column-wise (in attrs' order) and ``__attrs_post_init__``: given values
    that passed :func:`decode_table`'s checks, it builds the record ``cls(...)`` builds,
    or raises what ``cls(...)`` raises. With ``post_init=False``, ``__attrs_post_init__``
    is not called: only for a class whose cross-field rules were checked column-wise
    (:func:`cross_field_marks`), whose ``__attrs_post_init__`` only checks. Cached once
    ``cls``'s field types are resolved (:func:`_types_resolved`).
    """
    return _trusted_builder(cls, post_init) if _types_resolved(cls) else None


@functools.cache
def _trusted_builder(cls: type, post_init: bool) -> Callable[..., Any] | None:
    checks = field_checks(cls)
    if checks is None:
        return None
    # Each slot is set through its descriptor, as the generated ``__init__`` and the
    # loaders do: a subclass taking plain assignments would be faster but visible in
    # ``cls.__subclasses__()`` (tests/test_hostile_fast_paths.py).
    ns: dict[str, Any] = {"_new": _new, "_cls": cls, "_osa": object.__setattr__}
    args = [f"v{i}" for i in range(len(checks))]
    lines = [
        f"def make({', '.join(args)}):",
        "    inst = _new(_cls)",
    ]
    for i, c in enumerate(checks):
        a = c.attribute
        if c.converter is not None:
            conv = c.converter
            ns[f"C{i}"] = conv.converter if isinstance(conv, attrs.Converter) else conv  # type: ignore[attr-defined]
            ns[f"A{i}"] = a
            extra = ""
            if isinstance(conv, attrs.Converter):
                extra += ", inst" if conv.takes_self else ""  # type: ignore[attr-defined]
                extra += f", A{i}" if conv.takes_field else ""  # type: ignore[attr-defined]
            lines.append(f"    v{i} = C{i}(v{i}{extra})")
        slot = inspect.getattr_static(cls, a.name, None)
        if type(slot).__name__ == "member_descriptor":
            ns[f"S{i}"] = slot.__set__
            lines.append(f"    S{i}(inst, v{i})")
        else:
            lines.append(f"    _osa(inst, {a.name!r}, v{i})")
    for i, c in enumerate(checks):
        for j, v in enumerate(c.validators):
            ns[f"V{i}_{j}"] = v
            ns[f"A{i}"] = c.attribute
            lines.append(f"    V{i}_{j}(inst, A{i}, v{i})")
    if hasattr(cls, "_attrs_cached_hash"):
        lines.append("    _osa(inst, '_attrs_cached_hash', None)")
    if post_init and hasattr(cls, "__attrs_post_init__"):
        lines.append("    inst.__attrs_post_init__()")
    lines.append("    return inst")
    source = "\n".join(lines) + "\n"
    name = f"<humanaid arrow builder {cls.__module__}.{cls.__qualname__}>"
    exec(compile(source, name, "exec"), ns)  # our own generated code
    make: Callable[..., Any] = ns["make"]
    make.__doc__ = source
    return make


FILL_BLOCK: Final = 4096
"""Records whose slots :func:`slot_filler` sets a column at a time before the next block.

A million donations do not fit in the caches: 17 passes over all of them cost in
memory traffic what the saved instructions gain; a block of 4,096 stays in cache."""


def slot_filler(
    cls: type, *, post_init: bool = True
) -> Callable[[list[Any], int], list[Any]] | None:
    """The records of ``cls`` from its fields' columns, a slot column at a time; or ``None``.

    Only for a class whose :func:`trusted_builder` does nothing but set the slots (no
    converter or validator left to call, no ``__attrs_post_init__`` to run): then the
    records it builds row by row are made here column by column instead. ``n`` bare
    instances first (``object.__new__``), then each slot's column set through the slot's
    descriptor by ``map`` consumed in C (``deque(..., maxlen=0)``), so no Python frame
    runs a record: 25% fewer CPU instructions than the row-wise builder for a donation's
    17 slots (``benchmarks/README.md``, "Issue 19, fifth pass"). It cannot fail: a
    descriptor sets any value. The records are the row-wise builder's: of the class
    itself (no subclass is made), equal, of the same hash, frozen. Cached once ``cls``'s
    field types are resolved (:func:`_types_resolved`).
    """
    return _slot_filler(cls, post_init) if _types_resolved(cls) else None


@functools.cache
def _slot_filler(cls: type, post_init: bool) -> Callable[[list[Any], int], list[Any]] | None:
    checks = field_checks(cls)
    if checks is None or trusted_builder(cls, post_init=post_init) is None:
        return None
    if post_init and hasattr(cls, "__attrs_post_init__"):
        return None
    if any(c.converter is not None or c.validators for c in checks):
        return None
    setters = []
    for c in checks:
        slot = inspect.getattr_static(cls, c.attribute.name, None)
        if type(slot).__name__ != "member_descriptor":
            return None
        setters.append(slot.__set__)
    cached = inspect.getattr_static(cls, "_attrs_cached_hash", None)
    if hasattr(cls, "_attrs_cached_hash") and type(cached).__name__ != "member_descriptor":
        return None
    unset = cached.__set__ if cached is not None else None
    consume = collections.deque

    def fill(columns: list[Any], n: int) -> list[Any]:
        made: list[Any] = list(map(_new, itertools.repeat(cls, n)))
        step = FILL_BLOCK  # a block of records stays in the caches while its slots are set
        for start in range(0, n, step):
            block = made[start : start + step] if n > step else made
            for setter, column in zip(setters, columns, strict=True):
                part = column if n <= step else column[start : start + step]
                consume(map(setter, block, part), 0)
            if unset is not None:
                consume(map(unset, block, itertools.repeat(None, len(block))), 0)
        return made

    return fill


# -- Arrow -> records --------------------------------------------------------------------------

# Printable ASCII that the id and text policies surely accept; any other value is decided
# by the field's own validator, once for each distinct value.
_ASCII_ID: Final = r"^[!-~](?:[ -~]{0,126}[!-~])?$"
_ASCII_TEXT: Final = r"^[ -~]*[!-~][ -~]*$"
_KNOWN: Final = tuple(sorted(MINOR_UNITS))


class Bad:
    """The rows found bad so far: a boolean mask per check, or'ed at the end."""

    def __init__(self, pa: Any, n: int) -> None:
        self.pa = pa
        self.n = n
        self.masks: list[Any] = []
        self.rows: set[int] = set()

    def mask(self, mask: Any) -> None:
        """Mark the rows where ``mask`` is true (a null counts as false)."""
        pc = self.pa.compute
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            self.masks.append(mask)

    def indices(self) -> list[int]:
        pc = self.pa.compute
        found = set(self.rows)
        for m in self.masks:
            found.update(pc.indices_nonzero(m).to_pylist())
        return sorted(found)


def ascii_id(pa: Any, column: Any) -> Any:
    """Where a string column matches ``_ASCII_ID``, without a regular expression.

    Printable ASCII (space to ``~``), 1 to 128 characters, neither first nor last a
    space: the regular expression's language, by four of Arrow's byte kernels (about a
    quarter of its cost). Null where the value is null.
    """
    pc = pa.compute
    size = pc.binary_length(column)
    spaced = pc.or_(pc.starts_with(column, " "), pc.ends_with(column, " "))
    fits = pc.and_(pc.greater_equal(size, 1), pc.less_equal(size, 128))
    return pc.and_(pc.and_(pc.ascii_is_printable(column), fits), pc.invert(spaced))


def ascii_text(pa: Any, column: Any) -> Any:
    """Where a string column matches ``_ASCII_TEXT``: printable ASCII, not all spaces.

    ``ascii_is_space`` is false for the empty string, and a printable string of white
    space is all spaces. Null where the value is null.
    """
    pc = pa.compute
    blank = pc.or_(pc.equal(pc.binary_length(column), 0), pc.ascii_is_space(column))
    return pc.and_(pc.ascii_is_printable(column), pc.invert(blank))


def _string_ok(pa: Any, column: Any, c: FieldChecks) -> Any:
    """A boolean array: the non-null values that surely pass the field's string checks."""
    pc = pa.compute
    sure = None
    for check in c.text:
        if check == "id":
            ok = ascii_id(pa, column)
        else:
            ok = pc.and_(ascii_text(pa, column), pc.less_equal(pc.binary_length(column), check[1]))
        sure = ok if sure is None else pc.and_(sure, ok)
    if c.currency:
        ok = pc.is_in(column, value_set=pa.array(_KNOWN, pa.string()))
        sure = ok if sure is None else pc.and_(sure, ok)
    if sure is None:  # only NFC to check: ASCII is NFC
        sure = pc.string_is_ascii(column)
    sure = pc.fill_null(sure, False)
    doubtful = pc.filter(column, pc.and_(pc.invert(sure), pc.is_valid(column)))
    if len(doubtful):
        distinct = pc.unique(doubtful).to_pylist()
        good = [v for v in distinct if _passes(c, v)]
        if good:
            sure = pc.or_(sure, pc.fill_null(pc.is_in(column, value_set=pa.array(good)), False))
    return sure


def _passes(c: FieldChecks, value: str) -> bool:
    """Whether ``value`` passes the field's converter and the validators checked column-wise."""
    if c.nfc and not unicodedata.is_normalized("NFC", value):
        return False  # the record path would keep it normalised: it rebuilds the row
    try:
        for v in c.checked:
            v(None, c.attribute, value)
    except (TypeError, ValueError):
        return False
    return True


def _nulls(pa: Any, column: Any, none_ok: bool, bad: Bad) -> None:
    if column.null_count and not none_ok:
        bad.mask(pa.compute.is_null(column))


def _strings(
    pa: Any, column: Any, c: FieldChecks, none_ok: bool, bad: Bad, *, make: bool = True
) -> list[Any] | None:
    if c.text or c.currency or c.nfc:
        pc = pa.compute
        bad.mask(pc.and_(pc.is_valid(column), pc.invert(_string_ok(pa, column, c))))
    _nulls(pa, column, none_ok, bad)
    return column.to_pylist() if make else None


def _enums(
    pa: Any,
    column: Any,
    cls: type[enum.Enum],
    c: FieldChecks,
    none_ok: bool,
    bad: Bad,
    *,
    make: bool = True,
) -> list[Any] | None:
    out: list[Any] = []
    offset = 0
    for chunk in column.chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = chunk.dictionary_encode()
        members: dict[Any, Any] = {None: None}
        for k, word in enumerate(chunk.dictionary.to_pylist()):
            try:
                members[k] = cls(word)
                if members[k].value != word:  # an alias (``_missing_``): the record path
                    raise ValueError(word)
            except ValueError:
                members[k] = None
                hit = pa.compute.equal(chunk.indices, k)
                bad.rows.update(offset + i for i in pa.compute.indices_nonzero(hit).to_pylist())
        if make:
            out.extend(map(members.__getitem__, chunk.indices.to_pylist()))
        offset += len(chunk)
    _nulls(pa, column, none_ok, bad)
    return out if make else None


def _dates(
    pa: Any, column: Any, c: FieldChecks, none_ok: bool, bad: Bad, *, make: bool = True
) -> list[Any] | None:
    days = column.cast(pa.int32())
    known: dict[Any, Any] = {None: None}
    for d in pa.compute.unique(days).to_pylist():
        if d is None:
            continue
        try:
            known[d] = date.fromordinal(_EPOCH + d)
        except (ValueError, OverflowError):
            known[d] = None
            bad.mask(pa.compute.equal(days, d))
    _nulls(pa, column, none_ok, bad)
    return list(map(known.__getitem__, days.to_pylist())) if make else None


def _money_values(
    pa: Any,
    amount: Any,
    currency: Any,
    c: FieldChecks | None,
    optional: bool,
    bad: Bad,
    *,
    make: bool = True,
) -> list[Any]:
    """Money from an amount column (``decimal128(38, 4)``) and a currency column.

    With ``make=False`` only the checks are made (and nothing is returned).
    """
    pc = pa.compute
    amount = amount.combine_chunks() if amount.num_chunks != 1 else amount.chunk(0)
    currency = currency.combine_chunks() if currency.num_chunks != 1 else currency.chunk(0)
    if not pa.types.is_dictionary(currency.type):
        currency = currency.dictionary_encode()
    words = currency.dictionary.to_pylist()
    places = [MINOR_UNITS.get(w) if isinstance(w, str) else None for w in words]
    indices = currency.indices
    # one of the two halves null, or both where the field is required: the record path
    bad.mask(pc.not_equal(pc.is_null(amount), pc.is_null(indices)))
    if not optional or (c is not None and not c.none_ok):
        bad.mask(pc.is_null(amount))
    unknown = [k for k, p in enumerate(places) if p is None]
    if unknown:
        bad.mask(pc.is_in(indices, value_set=pa.array(unknown, indices.type)))
    bad.mask(pc.greater_equal(pc.abs(amount), pa.scalar(MAX_AMOUNT, amount.type)))
    if c is not None and c.sign == "positive":
        bad.mask(pc.less_equal(amount, pa.scalar(Decimal(0), amount.type)))
    elif c is not None and c.sign == "non_negative":
        bad.mask(pc.less(amount, pa.scalar(Decimal(0), amount.type)))
    text: Any = None
    row_places = pc.take(pa.array(places, pa.int32()), indices)
    for p in sorted({p for p in places if p is not None}):
        exact = amount.cast(pa.decimal128(38, p), safe=False)
        these = pc.equal(row_places, p)
        bad.mask(pc.and_(these, pc.not_equal(exact.cast(amount.type), amount)))
        if not make:
            continue
        shown = exact.cast(pa.string())
        text = shown if text is None else pc.if_else(these, shown, text)
    if text is None:
        return [None] * len(amount)
    # Money for each distinct (amount, currency) once; the rows share them (immutable).
    used = pc.unique(indices.drop_null()).to_pylist()
    if len(used) == 1:  # one currency: the amounts alone say which money
        encoded = text.dictionary_encode()
        codes: Any = itertools.repeat(words[used[0]])
    else:
        pairs = pc.binary_join_element_wise(
            text, pc.take(pa.array(words, pa.string()), indices).cast(pa.string()), " "
        )
        encoded = pairs.dictionary_encode()
        split = [p.partition(" ") for p in encoded.dictionary.to_pylist()]
        codes = [code for _, _, code in split]
    shown = [a for a, _, _ in split] if len(used) != 1 else encoded.dictionary.to_pylist()
    # Money from amounts already at their currency's places (checked above), its two
    # slots set a column at a time as :func:`slot_filler` sets a record's: no Python
    # frame a value
    made: list[Money | None] = list(map(_new, itertools.repeat(Money, len(shown))))
    collections.deque(map(_money_amount, made, map(Decimal, shown)), 0)
    collections.deque(map(_money_currency, made, codes), 0)
    made.append(None)  # for the null rows
    rows = pc.fill_null(encoded.indices, len(made) - 1).to_pylist()
    return list(map(made.__getitem__, rows))


class Reference(typing.Protocol):
    """The record-wise code of :mod:`humanaid.interop.arrow` that this module defers to.

    ``exact`` stays true while no value was read or rebuilt by the record-wise code (whose
    records may hold values the table does not: normalised text, a sorted set).
    """

    exact: bool

    def plan(self, cls: type) -> Any:
        """The columns and schema of ``cls`` records."""

    def column(self, table: Any, name: str, expected: Any) -> Any:
        """The column ``name`` of ``table`` cast to ``expected``."""

    def read(self, column: Any, decode: Any, name: str, problems: dict[int, Any]) -> list[Any]:
        """A column's values, decoded one at a time (problems noted by row)."""

    def rebuild(self, plan: Any, table: Any) -> list[Any]:
        """The records of ``table`` built one at a time, or the reference's problems."""


def decode_table(
    pa: Any,
    plan: Any,
    table: Any,
    ref: Reference,
    *,
    check_only: bool = False,
    keep: bool = True,
) -> list[Any] | None:
    """The records of ``table``, checked column-wise; ``None`` if ``cls`` is not built here.

    With ``check_only``, the indices of the rows that fail a check (records are built, to
    run the checks only building makes, and dropped). The rows that fail are otherwise
    rebuilt by ``ref.rebuild``, which builds them or raises the reference's problems
    (each at its row of ``table``). With ``keep=False``, a class whose every check is
    made column-wise (not :func:`needs_building`) has the rows that pass left ``None``
    instead of built: the table is only checked.
    """
    column_of = functools.partial(ref.column, table)
    rebuild = None if check_only else functools.partial(ref.rebuild, plan)
    importlib.import_module("pyarrow.compute")  # pa.compute from here on
    cls = plan.cls
    n = table.num_rows
    bad = Bad(pa, n)
    if cls is Money:
        col_a, col_c = plan.columns
        (field_a, field_c) = plan.schema
        values = _money_values(
            pa,
            column_of(col_a.name, field_a.type),
            column_of(col_c.name, field_c.type),
            None,
            False,
            bad,
            make=keep or check_only,
        )
        return _finish(pa, table, values, bad, rebuild, None)
    checks = field_checks(cls)
    # a known column-wise twin of the cross-field rules stands for __attrs_post_init__
    # (1 µs of a donation's 7 to build): the rows it marks are rebuilt, which runs it
    twin = _cross_field_rules().get(cls) if hasattr(cls, "__attrs_post_init__") else None
    make = trusted_builder(cls, post_init=twin is None)
    fill = slot_filler(cls, post_init=twin is None)
    if checks is None or make is None:
        return None
    # Only checking (``keep=False``) a class whose every check is made here: no column
    # is read into Python values at all, only the checks run.
    build = keep or check_only or needs_building(cls)
    by_name = {c.attribute.name: c for c in checks}
    columns: list[list[Any] | None] = []
    pending: dict[str, Any] = {}
    arrow_columns: dict[str, Any] = {}
    for col, field in zip(plan.columns, plan.schema, strict=True):
        f = col.field
        c = by_name.get(f.attr)
        if c is None:
            return None
        column = arrow_columns[col.name] = column_of(col.name, field.type)
        if col.part is not None:
            pending[col.part] = column
            if len(pending) < 2:
                continue
            columns.append(
                _money_values(
                    pa, pending["amount"], pending["currency"], c, f.optional, bad, make=build
                )
            )
            pending = {}
            continue
        none_ok = c.none_ok and f.optional
        if c.kind == "str" and _python_type(pa, field.type) is str:
            if not pa.types.is_string(column.type):  # a dictionary, large strings
                column = column.cast(pa.string())
            columns.append(_strings(pa, column, c, none_ok, bad, make=build))
        elif c.kind == "enum" and c.converter is None and _dictionary(pa, field.type):
            cls_ = _unwrap(c.attribute.type)
            columns.append(_enums(pa, column, cls_, c, none_ok, bad, make=build))
        elif c.kind == "date" and pa.types.is_date32(column.type):
            columns.append(_dates(pa, column, c, none_ok, bad, make=build))
        elif pa.types.is_boolean(column.type) or pa.types.is_int64(column.type):
            _nulls(pa, column, none_ok, bad)
            columns.append(column.to_pylist() if build else None)
        else:
            columns.append(_nested(pa, column, f, c, none_ok, ref, bad, make=build))
    if twin is not None:
        bad.mask(twin(pa, _OneChunk(arrow_columns)))
    return _finish(pa, table, columns, bad, rebuild, make, build=build, fill=fill)


def _one_chunk(column: Any) -> Any:
    """A chunked array as one array (the twins of the cross-field rules take arrays)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


class _OneChunk(dict[str, Any]):
    """A table's columns, each made one array (:func:`_one_chunk`) only when a twin reads it.

    A donation's twin reads 10 of its 19 columns: the others (the ids, the items' long
    list column) are not copied into one chunk for nothing.
    """

    def __init__(self, columns: dict[str, Any]) -> None:
        super().__init__()
        self._columns = columns

    def __missing__(self, name: str) -> Any:
        array = self[name] = _one_chunk(self._columns[name])
        return array


def _nested(
    pa: Any,
    column: Any,
    f: Any,
    c: FieldChecks,
    none_ok: bool,
    ref: Reference,
    bad: Bad,
    *,
    make: bool = True,
) -> list[Any]:
    """Decimals, records, lists and maps, where present.

    A record, or a tuple of records, is read column-wise too (its own fields checked and
    built as the top level's); anything else, and any nested value that fails, by the
    record-wise reader. With ``make=False`` the nested records are only checked where
    their class allows it (the values returned are then not the records).
    """
    problems: dict[int, Any] = {}
    pc = pa.compute
    t = column.type
    inner = _unwrap(c.attribute.type)
    item: Any = None
    if pa.types.is_list(t):
        present = pc.fill_null(pc.greater(pc.list_value_length(column), 0), False)
        empty: Any = f.codec.decode(()) if f.codec.decode is not None else []
        args = get_args(inner)
        if get_origin(inner) is tuple and len(args) == 2 and args[1] is Ellipsis:
            item = args[0]
    elif pa.types.is_struct(t):
        present = pc.is_valid(column)
        empty = None
        item = inner
    else:
        present = None
        empty = None
    _nulls(pa, column, none_ok, bad)
    if present is None:
        values = ref.read(column, f.codec.decode, f.arg, problems)
        bad.rows.update(problems)
        return values
    where = pc.indices_nonzero(present).to_pylist()
    values = [empty] * len(column)
    if not where:
        return values
    rows = pc.take(column, pa.array(where, pa.int64()))
    rows = rows.combine_chunks() if hasattr(rows, "combine_chunks") else rows
    got = _records_of(pa, rows, item, ref, keep=make) if item is not None else None
    if got is None:
        ref.exact = False  # read by the record-wise code
        found: dict[int, Any] = {}
        got = ref.read(pa.chunked_array([rows]), f.codec.decode, f.arg, found)
        bad.rows.update(where[j] for j in found)
    for i, v in zip(where, got, strict=True):
        values[i] = v
    return values


def _records_of(
    pa: Any, rows: Any, cls: Any, ref: Reference, *, keep: bool = True
) -> list[Any] | None:
    """The records of a struct array, or the tuples of a list array; ``None``: not here."""
    if not (cls is Money or (isinstance(cls, type) and field_checks(cls) is not None)):
        return None
    listed = pa.types.is_list(rows.type)
    structs = rows.flatten() if listed else rows
    if not pa.types.is_struct(structs.type):
        return None
    plan = ref.plan(cls)
    if cls is Money:
        arrays = list(structs.flatten())
    else:
        children = dict(zip([x.name for x in structs.type], structs.flatten(), strict=True))
        arrays = []
        for col in plan.columns:
            if col.part is None:
                arrays.append(children[col.name])
            else:
                amount, currency = children[col.field.arg].flatten()
                arrays.append(amount if col.part == "amount" else currency)
    table = pa.Table.from_arrays(arrays, names=[col.name for col in plan.columns])
    try:
        built = decode_table(pa, plan, table, ref, keep=keep)
    except InvalidInput:  # the row-wise reader says which rows, and what
        return None
    if built is None or not listed:
        return built
    lengths = pa.compute.list_value_length(rows).to_pylist()
    it = iter(built)
    return [tuple(itertools.islice(it, k)) for k in lengths]


def _finish(
    pa: Any,
    table: Any,
    columns: Any,
    bad: Bad,
    rebuild: Callable[[Any], list[Any]] | None,
    make: Callable[..., Any] | None,
    *,
    build: bool = True,
    fill: Callable[[list[Any], int], list[Any]] | None = None,
) -> list[Any] | list[int]:
    """The records, the bad rows rebuilt by ``rebuild``; without it, the bad rows.

    Without ``build``, the rows that pass are left ``None`` (only the bad ones rebuilt).
    ``fill`` (:func:`slot_filler`), where the class has one, builds the rows that pass
    a slot column at a time instead of ``make`` a row at a time.
    """
    n = table.num_rows
    rows = bad.indices()
    if make is None:  # Money itself: the column is the records
        built: list[Any] = columns
    elif not build:
        built = [None] * n
    elif not rows:
        built = fill(columns, n) if fill is not None else _build_all(make, columns, n, bad)
        rows = sorted(bad.rows)
    else:
        built = [None] * n
        keep = sorted(set(range(n)) - set(rows))
        if keep:
            pick = operator.itemgetter(*keep)
            picked = [pick(col) for col in columns]
            if len(keep) == 1:
                picked = [(v,) for v in picked]
            sub = Bad(pa, len(keep))
            made = (
                fill(picked, len(keep))
                if fill is not None
                else _build_all(make, picked, len(keep), sub)
            )
            for i, r in zip(keep, made, strict=True):
                built[i] = r
            rows = sorted({*rows, *(keep[j] for j in sub.rows)})
    if rebuild is None:
        return rows
    if rows:
        try:
            again = rebuild(table.take(pa.array(rows, pa.int64())))
        except InvalidInput as exc:  # each problem at its row of the whole table
            raise InvalidInput(
                [attrs.evolve(p, path=(rows[int(p.path[0])], *p.path[1:])) for p in exc.problems],
                subject=exc.subject,
            ) from None
        for i, r in zip(rows, again, strict=True):
            built[i] = r
    return built


def _build_all(make: Callable[..., Any], columns: list[Any], n: int, bad: Bad) -> list[Any]:
    """Build every row; a row whose record refuses it is marked bad (left ``None``)."""
    if not columns:
        return [make() for _ in range(n)]
    try:
        return list(map(make, *columns))
    except Exception:  # a row that fails: find each, row by row
        out: list[Any] = []
        for i, row in enumerate(zip(*columns, strict=True)):
            try:
                out.append(make(*row))
            except Exception:
                bad.rows.add(i)
                out.append(None)
        return out


# -- JSON Lines -> Arrow -----------------------------------------------------------------------


def _json_type(pa: Any, tp: Any) -> Any | None:
    """The Arrow type ``pyarrow.json`` reads a field's JSON form as (``None``: not read here)."""
    tp = _unwrap(tp)
    if tp is bool:
        return pa.bool_()
    if tp is int:
        return pa.int64()
    if tp in (str, date, Decimal):
        return pa.string()
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return pa.string() if all(isinstance(m.value, str) for m in tp) else None
    if tp is Money:
        return pa.struct([("amount", pa.string()), ("currency", pa.string())])
    origin, args = get_origin(tp), get_args(tp)
    if (origin is tuple and len(args) == 2 and args[1] is Ellipsis) or origin is frozenset:
        item = _json_type(pa, args[0])
        return None if item is None else pa.list_(item)
    if isinstance(tp, type) and attrs.has(tp):
        fields = []
        for a in attrs.fields(tp):
            t = _json_type(pa, a.type)
            if t is None or not a.init:
                return None
            fields.append(pa.field(a.name, t))
        return pa.struct(fields)
    return None


def json_schema(pa: Any, plan: Any) -> Any | None:
    """The explicit schema of the JSON form of ``plan.cls`` records, if pyarrow reads it."""
    if plan.cls is Money:
        return pa.schema([("amount", pa.string()), ("currency", pa.string())])
    if field_checks(plan.cls) is None:
        return None
    fields = []
    for a in attrs.fields(plan.cls):
        t = _json_type(pa, a.type)
        if t is None:
            return None
        fields.append(pa.field(a.name, t))
    return pa.schema(fields)


# Conservative forms: what matches surely reads as the record path reads it; anything else
# goes to the record path, which decides.
_JSON_AMOUNT: Final = r"^-?[0-9]{1,18}(?:\.[0-9]{1,4})?$"
_JSON_DECIMAL: Final = r"^-?[0-9]{1,19}(?:\.[0-9]{1,18})?$"
_INT_LIMIT: Final = 10**18
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)  # as the record path


def _json_money(pa: Any, struct: Any, c: FieldChecks | None, optional: bool, bad: Bad) -> Any:
    pc = pa.compute
    struct = struct.combine_chunks() if hasattr(struct, "combine_chunks") else struct
    amount, currency = struct.flatten()  # the struct's nulls taken into each
    plain = pc.fill_null(pc.match_substring_regex(amount, _JSON_AMOUNT), False)
    bad.mask(pc.and_(pc.is_valid(amount), pc.invert(plain)))
    amount = pc.if_else(plain, amount, pa.scalar(None, pa.string())).cast(pa.decimal128(38, 4))
    currency = currency.dictionary_encode()
    _money_values(
        pa,
        pa.chunked_array([amount]),
        pa.chunked_array([currency]),
        c,
        optional,
        bad,
        make=False,
    )
    return amount, currency


def _json_date(pa: Any, column: Any, bad: Bad) -> Any:
    """ISO dates (``YYYY-MM-DD``, real days) as ``date32``; each distinct text read once."""
    pc = pa.compute
    encoded = column.dictionary_encode()
    days: list[Any] = []
    for text in encoded.dictionary.to_pylist():
        try:
            day = date.fromisoformat(text) if _ISO_DATE.match(text) else None
        except ValueError:  # not a real day
            day = None
        days.append(None if day is None else day.toordinal() - _EPOCH)
    known = pa.array(days, pa.int32())
    out = pc.take(known, encoded.indices)
    bad.mask(pc.and_(pc.is_valid(column), pc.is_null(out)))
    return out.cast(pa.date32())


def _empty_column(pa: Any, arrow_type: Any, n: int) -> Any:
    if pa.types.is_list(arrow_type):
        offsets = pa.array([0] * (n + 1), pa.int32())
        return pa.ListArray.from_arrays(offsets, pa.array([], arrow_type.value_type), arrow_type)
    return pa.nulls(n, arrow_type)


def json_columns(
    pa: Any, plan: Any, jt: Any, bad: Bad, plan_of: Callable[[type], Any] | None = None
) -> tuple[list[Any], Any]:
    """``jt`` (the JSON form, read by pyarrow) as the columns of ``plan.schema``, checked.

    Returns the columns and the number of object members each row should have (what a
    byte count of the line's keys is compared with). Rows marked bad hold nulls or
    anything in the columns; they are read again by the record path. With ``plan_of``
    (the plan of a class), nested records and tuples of them are checked the same way,
    a level down (:func:`_json_nested`); without it, a row holding one is marked bad.
    """
    pc = pa.compute
    n = jt.num_rows
    cls = plan.cls
    if cls is Money:
        struct = pa.StructArray.from_arrays(
            [jt.column("amount").combine_chunks(), jt.column("currency").combine_chunks()],
            names=["amount", "currency"],
        )
        amount, currency = _json_money(pa, struct, None, False, bad)
        return [amount, currency], pa.array([2] * n, pa.int64())
    checks = field_checks(cls)
    assert checks is not None  # json_schema said so
    by_name = {c.attribute.name: c for c in checks}
    members: Any = pa.array([len(checks)] * n, pa.int64())
    out: list[Any] = []
    monies: dict[str, tuple[Any, Any]] = {}
    for col, field in zip(plan.columns, plan.schema, strict=True):
        f = col.field
        c = by_name[f.attr]
        raw = jt.column(f.attr).combine_chunks()
        none_ok = c.none_ok and f.optional
        target = field.type
        if col.part is not None:
            if f.attr not in monies:
                monies[f.attr] = _json_money(pa, raw, c, f.optional, bad)
                two = pc.multiply(pc.cast(raw.is_valid(), pa.int64()), 2)
                members = pc.add(members, two)
            amount, currency = monies[f.attr]
            out.append(amount if col.part == "amount" else currency)
            continue
        _nulls(pa, raw, none_ok, bad)
        if c.kind == "str" and _python_type(pa, target) is str:
            if c.text or c.currency or c.nfc:
                bad.mask(pc.and_(pc.is_valid(raw), pc.invert(_string_ok(pa, raw, c))))
            out.append(raw)
        elif c.kind == "enum" and _dictionary(pa, target):
            known = pa.array([m.value for m in _unwrap(c.attribute.type)], pa.string())
            bad.mask(pc.and_(pc.is_valid(raw), pc.invert(pc.is_in(raw, value_set=known))))
            out.append(raw.dictionary_encode())
        elif pa.types.is_date32(target):
            out.append(_json_date(pa, raw, bad))
        elif pa.types.is_int64(target):
            big = pc.or_(pc.greater_equal(raw, _INT_LIMIT), pc.less_equal(raw, -_INT_LIMIT))
            bad.mask(big)
            out.append(raw)
        elif pa.types.is_boolean(target):
            out.append(raw)
        elif pa.types.is_decimal(target):
            plain = pc.fill_null(pc.match_substring_regex(raw, _JSON_DECIMAL), False)
            bad.mask(pc.and_(pc.is_valid(raw), pc.invert(plain)))
            text = pc.if_else(plain, raw, pa.scalar(None, pa.string()))
            if c.converter is not None or c.validators:
                bad.mask(_json_decimal_refused(pa, text, c))
            out.append(text.cast(target))
        elif (
            plan_of is not None
            and (nested := _json_nested(pa, raw, c, target, bad, plan_of)) is not None
        ):
            column, inside = nested
            out.append(column)
            members = pc.add(members, inside)
        else:  # a nested record or a list: where present, the record path reads the row
            if pa.types.is_list(raw.type):
                bad.mask(pc.greater(pc.list_value_length(raw), 0))
            else:
                bad.mask(raw.is_valid())
            out.append(_empty_column(pa, target, n))
    return out, members


def _json_decimal_refused(pa: Any, text: Any, c: FieldChecks) -> Any:
    """The plain decimals (as text) the field's converter and validators refuse or change.

    Each distinct value is decided once, as the record path decides it: the JSON text
    read as a ``Decimal``, then the converter, then the validators (with no instance;
    one that needs it refuses, and the record path decides).
    """
    pc = pa.compute
    conv = c.converter
    if isinstance(conv, attrs.Converter):
        if conv.takes_self or conv.takes_field:  # type: ignore[attr-defined]
            return pc.is_valid(text)
        conv = conv.converter  # type: ignore[attr-defined]
    refused = []
    for word in pc.unique(text.drop_null()).to_pylist():
        try:
            value = Decimal(word)
            got = value if conv is None else conv(value)
            if type(got) is not Decimal or got != value:
                raise ValueError(word)
            for v in c.validators:
                v(None, c.attribute, got)
        except Exception:  # anything refused: the record path says what
            refused.append(word)
    if not refused:
        return pa.array([False] * len(text), pa.bool_())
    return pc.is_in(text, value_set=pa.array(refused, pa.string()))


def _json_nested(
    pa: Any,
    raw: Any,
    c: FieldChecks,
    target: Any,
    bad: Bad,
    plan_of: Callable[[type], Any],
) -> tuple[Any, Any] | None:
    """A nested record (struct) or tuple of records (list), checked a level down.

    Returns the column in ``target`` (the type :func:`to_arrow` gives it) and the
    object members each row holds inside it; a row whose nested values fail a check is
    marked bad. ``None``: not read here (the caller marks the rows that hold one).
    """
    pc = pa.compute
    inner = _unwrap(c.attribute.type)
    if pa.types.is_list(raw.type) and pa.types.is_list(target):
        args = get_args(inner)
        if not (get_origin(inner) is tuple and len(args) == 2 and args[1] is Ellipsis):
            return None
        offsets = raw.offsets
        if len(offsets) and offsets[0].as_py():
            offsets = pc.subtract(offsets, offsets[0])
        items = raw.flatten()
        got = _json_records(pa, args[0], items, target.value_type, plan_of)
        if got is None:
            return None
        structs, inside, failing = got
        if failing:
            parents = pc.list_parent_indices(raw)
            bad.rows.update(pc.take(parents, pa.array(failing, pa.int64())).to_pylist())
        column = pa.ListArray.from_arrays(offsets, structs, type=target)
        sums = pa.concat_arrays(
            [pa.array([0], pa.int64()), pc.cumulative_sum(inside.cast(pa.int64()))]
        )
        ends = pc.take(sums, offsets[1:])
        starts = pc.take(sums, offsets[:-1])
        return column, pc.subtract(ends, starts)
    if pa.types.is_struct(raw.type) and pa.types.is_struct(target):
        present = raw.is_valid()
        where = pc.indices_nonzero(present)
        got = _json_records(pa, inner, pc.take(raw, where), target, plan_of)
        if got is None:
            return None
        structs, inside, failing = got
        if failing:
            bad.rows.update(pc.take(where, pa.array(failing, pa.int64())).to_pylist())
        rank = pc.subtract(pc.cumulative_sum(present.cast(pa.int64())), 1)
        index = pc.if_else(present, rank, pa.scalar(None, pa.int64()))
        column = pc.take(structs, index)
        return column, pc.fill_null(pc.take(inside.cast(pa.int64()), index), 0)
    return None


def _json_records(
    pa: Any, cls: Any, structs: Any, target: Any, plan_of: Callable[[type], Any]
) -> tuple[Any, Any, list[int]] | None:
    """The nested records ``structs`` (JSON form) as ``target`` structs, checked.

    Returns the structs, the members each holds, and the indices of those that fail a
    check; ``None`` if ``cls`` is not read here.
    """
    pc = pa.compute
    if not (isinstance(cls, type) and cls is not Money and attrs.has(cls)):
        return None
    plan = plan_of(cls)  # first: it resolves the class's annotations, which the checks read
    checks = field_checks(cls)
    if checks is None:
        return None
    if hasattr(cls, "__attrs_post_init__") and cls not in _cross_field_rules():
        return None
    for c in checks:  # the checks only building makes: only a decimal's are known here
        if (c.converter is not None or c.validators) and _unwrap(c.attribute.type) is not Decimal:
            return None
    if isinstance(structs, pa.ChunkedArray):
        structs = structs.combine_chunks()
    names = [f.name for f in structs.type]
    jt = pa.Table.from_arrays(list(structs.flatten()), names=names)
    sub = Bad(pa, len(structs))
    columns, inside = json_columns(pa, plan, jt, sub, plan_of)
    by_name = {col.name: a for col, a in zip(plan.columns, columns, strict=True)}
    rules = _cross_field_rules().get(cls)
    if rules is not None:
        sub.mask(rules(pa, by_name))
    arrays = []
    for field in target:
        if pa.types.is_struct(field.type) and f"{field.name}.amount" in by_name:
            amount = by_name[f"{field.name}.amount"]
            currency = by_name[f"{field.name}.currency"]
            arrays.append(
                pa.StructArray.from_arrays(
                    [amount, currency], fields=list(field.type), mask=pc.is_null(amount)
                )
            )
        else:
            arrays.append(by_name[field.name])
    out = pa.StructArray.from_arrays(arrays, fields=list(target))
    return out, inside, sub.indices()


# Products of amounts below this (as floats) surely fit in Money (MAX_AMOUNT): a margin
# far wider than a float's rounding; anything above goes to the record path.
_SAFE_PRODUCT: Final = float(MAX_AMOUNT) / 4


def _item_values(pa: Any, quantity: Any, amount: Any) -> Any:
    """``quantity`` x ``amount`` as floats (an estimate, null where no unit value)."""
    pc = pa.compute
    return pc.abs(pc.multiply(quantity.cast(pa.float64()), amount.cast(pa.float64())))


def _in_kind_item_rules(pa: Any, columns: dict[str, Any]) -> Any:
    """The items whose ``InKindItem.__attrs_post_init__`` might refuse them.

    An ``unvalued`` item with a unit value, a valued basis without one, and a value
    (quantity x unit value) that might not fit in Money.
    """
    from humanaid.donors import ValuationBasis

    pc = pa.compute
    valuation = columns["valuation"].cast(pa.string())
    has_value = pc.is_valid(columns["unit_value.amount"])
    unvalued = pc.fill_null(pc.equal(valuation, ValuationBasis.UNVALUED.value), False)
    product = _item_values(pa, columns["quantity"], columns["unit_value.amount"])
    marks = [
        pc.and_(unvalued, has_value),
        pc.and_(pc.and_(pc.is_valid(valuation), pc.invert(unvalued)), pc.invert(has_value)),
        pc.fill_null(pc.greater_equal(product, _SAFE_PRODUCT), False),
    ]
    return functools.reduce(pc.or_, marks)


def _restriction_rules(pa: Any, columns: dict[str, Any]) -> Any:
    """The restrictions ``Restriction.__attrs_post_init__`` refuses: naming nothing."""
    pc = pa.compute
    named = [pc.is_valid(columns[k]) for k in ("fund_id", "project_id", "purpose")]
    return pc.invert(functools.reduce(pc.or_, named))


def _donation_items(pa: Any, columns: dict[str, Any]) -> Any:
    """The gifts whose items ``Donation.__attrs_post_init__`` might refuse.

    Items in a cash gift, an item's unit value in another currency than the gift's
    value, and items whose values might add up to more than Money holds.
    """
    from humanaid.donors import DonationForm

    pc = pa.compute
    items = columns["items"]
    if isinstance(items, pa.ChunkedArray):
        items = items.combine_chunks()
    lengths = pc.list_value_length(items)
    form = columns["form"].cast(pa.string())
    marks = [pc.and_(pc.equal(form, DonationForm.CASH.value), pc.greater(lengths, 0))]
    flat = items.flatten()
    if len(flat):
        parents = pc.list_parent_indices(items)
        fields = dict(zip([f.name for f in flat.type], flat.flatten(), strict=True))
        amount, currency = fields["unit_value"].flatten()
        value = columns["value.currency"].cast(pa.string())
        other = pc.not_equal(currency.cast(pa.string()), pc.take(value, parents))
        product = pc.fill_null(_item_values(pa, fields["quantity"], amount), 0.0)
        offsets = items.offsets
        if offsets[0].as_py():
            offsets = pc.subtract(offsets, offsets[0])
        others = _per_row(pa, pc.fill_null(other, False).cast(pa.float64()), offsets)
        marks.append(pc.greater(others, 0.0))
        marks.append(pc.greater_equal(_per_row(pa, product, offsets), _SAFE_PRODUCT))
    return functools.reduce(pc.or_, marks)


def _per_row(pa: Any, values: Any, offsets: Any) -> Any:
    """The sum of each list's ``values`` (float64, one per item), by the list offsets."""
    pc = pa.compute
    sums = pa.concat_arrays([pa.array([0.0]), pc.cumulative_sum(values)])
    return pc.subtract(pc.take(sums, offsets[1:]), pc.take(sums, offsets[:-1]))


def _donation_rules(pa: Any, columns: dict[str, Any]) -> Any:
    """The rows whose cross-field rules ``Donation.__attrs_post_init__`` might refuse.

    Its rules, column-wise: fees in the currency of the value; a platform exactly for
    online-platform gifts; a fund for gifts via a special fund; not both a receipt
    number and a reason for none; and the rules on its items (:func:`_donation_items`).
    """
    from humanaid.donors import Channel

    pc = pa.compute
    value = columns["value.currency"].cast(pa.string())
    fees = columns["fees.currency"].cast(pa.string())
    channel = columns["channel"].cast(pa.string())
    online = pc.equal(channel, Channel.ONLINE_PLATFORM.value)
    marks = [
        pc.not_equal(value, fees),
        pc.not_equal(online, pc.is_valid(columns["platform"])),
        pc.and_(pc.equal(channel, Channel.VIA_SPECIAL_FUND.value), pc.is_null(columns["fund_id"])),
        pc.and_(pc.is_valid(columns["receipt_number"]), pc.is_valid(columns["no_receipt_reason"])),
        _donation_items(pa, columns),
    ]
    return functools.reduce(pc.or_, (pc.fill_null(m, True) for m in marks))


def _cross_field_rules() -> dict[type, Callable[[Any, dict[str, Any]], Any]]:
    from humanaid.donors import Donation, InKindItem, Restriction

    return {
        Donation: _donation_rules,
        InKindItem: _in_kind_item_rules,
        Restriction: _restriction_rules,
    }


def needs_building(cls: type) -> bool:
    """Whether ``cls`` has checks that only building the record makes.

    Validators and converters not made column-wise, and ``__attrs_post_init__`` unless a
    column-wise twin of its rules is known (:func:`_cross_field_rules`).
    """
    checks = field_checks(cls)
    if checks is None:
        return cls is not Money
    if any(c.validators or c.converter is not None for c in checks):
        return True
    return hasattr(cls, "__attrs_post_init__") and cls not in _cross_field_rules()


def cross_field_marks(pa: Any, plan: Any, columns: list[Any]) -> Any | None:
    """The rows a known column-wise twin of the class's cross-field rules marks, if any."""
    rules = _cross_field_rules().get(plan.cls)
    if rules is None:
        return None
    return rules(pa, {c.name: a for c, a in zip(plan.columns, columns, strict=True)})


def json_members(pa: Any, jt: Any) -> int:
    """The object members (keys) the JSON lines read into ``jt`` hold in all."""
    total = 0
    for name in jt.column_names:
        total += jt.num_rows  # the key of the column in every line
        for chunk in jt.column(name).chunks:
            total += _members(pa, chunk)
    return total


def _members(pa: Any, array: Any) -> int:
    t = array.type
    if pa.types.is_struct(t):
        valid: int = len(array) - array.null_count
        return valid * int(t.num_fields) + sum(_members(pa, child) for child in array.flatten())
    if pa.types.is_list(t):
        return _members(pa, array.flatten())
    return 0
