"""Records to Apache Arrow and back, exactly (extra ``arrow``).

:func:`to_arrow` turns records of one type into a ``pyarrow.Table`` whose columns follow
the record's fields and their types; :func:`from_arrow` rebuilds equal records from it.
:func:`read_json_lines_arrow` loads JSON Lines straight into Arrow with every check made
a column at a time (:func:`iter_json_lines_arrow` streams them, a block of lines at a
time, in bounded memory), and :func:`read_json_lines` through the strict converter, one
batch at a time. :func:`to_polars` and :func:`to_pandas` hand records to polars and pandas
through Arrow.

Both directions work a column at a time: :func:`to_arrow` gathers each field of all the
records at once, and :func:`from_arrow` checks each column with ``pyarrow.compute`` and
builds the rows that pass without checking them again; anything the column-wise code is
not sure of (a value of an unexpected type, a row that fails a check) goes through the
record-wise code, so results and errors are the same either way. From Arrow, DuckDB,
Polars, pandas, Parquet files or a distributed engine (Spark, Dask) can take over data
beyond one machine's memory.

pyarrow is imported by the first function that needs it; without it they raise an
``ImportError`` that names the extra: ``pip install 'humanaid[arrow]'``.

How each field type is stored (:func:`arrow_schema` gives the whole schema):

* ``str``: ``string``; ``int``: ``int64``; ``bool``: ``bool``; ``date``: ``date32``.
* ``Decimal``: ``decimal128(38, 18)`` (:data:`DECIMAL_SCALE`). A value with more than 18
  places, or 20 or more integer digits, is refused, never rounded. A value comes back
  equal, without trailing zeros (``Decimal("1.50")`` as ``Decimal("1.5")``).
* An enum (with ``str`` values): its values, dictionary-encoded
  (``dictionary<int32, string>``).
* ``Money`` at the top level of a record: **two columns**, ``<field>.amount`` as
  ``decimal128(38, 4)`` (:data:`MONEY_SCALE`: every ISO 4217 minor unit fits, with 34
  integer digits to spare for sums) and ``<field>.currency``, dictionary-encoded. Plain
  columns are what every tool sums and groups by (``SUM("value.amount") ... GROUP BY
  "value.currency"`` in DuckDB, ``groupby("value.currency")`` in pandas). Inside a
  nested record or a list, money is a ``struct<amount, currency>`` of the same two.
* Another record (a ``Period``, an ``InKindItem`` ...): a ``struct`` of its fields.
* ``tuple[X, ...]`` and ``frozenset[X]`` (sorted): ``list<X>``.
  ``Mapping[K, V]``: ``map<K, V>``, sorted by key.
* ``X | None``: the column of ``X``, nullable. Other fields are declared not nullable.

A field of any other type (another union, ``Any``, a fixed-length tuple) makes the
record type unsupported: :class:`~humanaid.Finding` is (its ``figures`` mix text,
numbers, money and dates), and so is :class:`~humanaid.Dataset`, whose collections go
one table each with :func:`dataset_to_arrow`. Fields of personal data go along as they
are, marked ``humanaid.pii`` in the field metadata: redact first
(:func:`humanaid.privacy.redact`) what must not leave.

Bulk conversions (:func:`to_arrow`, :func:`from_arrow`, :func:`read_json_lines`) pause
Python's cyclic garbage collector while they build their many small, cycle-free objects,
and restore it afterwards; reference counting frees memory as usual meanwhile.

>>> from humanaid import Money, Period
>>> t = to_arrow([Period.year(2020), Period.month(2021, 2)])
>>> t.column_names, str(t.schema.field("start").type)
(['start', 'end'], 'date32[day]')
>>> from_arrow(t, Period) == [Period.year(2020), Period.month(2021, 2)]
True
>>> to_arrow([Money("12.50"), Money("3", "USD")]).column("amount").to_pylist()
[Decimal('12.5000'), Decimal('3.0000')]
"""

from __future__ import annotations

import collections.abc
import decimal
import enum
import functools
import importlib
import itertools
import operator
import os
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Final, TypeVar, get_args, get_origin

import attrs

from humanaid import _gc
from humanaid._decimal import tidy
from humanaid._extras import import_extra
from humanaid.dataset import Dataset
from humanaid.errors import LIMITS, FieldError, InvalidInput, Problem
from humanaid.money import Money
from humanaid.ordering import sort_key
from humanaid.records import is_pii
from humanaid.serialize import from_json, iter_json_lines

__all__ = [
    "DECIMAL_SCALE",
    "MONEY_SCALE",
    "ArrowRecords",
    "arrow_schema",
    "dataset_to_arrow",
    "from_arrow",
    "iter_json_lines_arrow",
    "read_json_lines",
    "read_json_lines_arrow",
    "record_batches",
    "to_arrow",
    "to_pandas",
    "to_polars",
]

T = TypeVar("T")

MONEY_SCALE: Final = 4
"""Decimal places of every money amount column: ``decimal128(38, 4)``."""

DECIMAL_SCALE: Final = 18
"""Decimal places of every ``Decimal`` column: ``decimal128(38, 18)``."""

DEFAULT_BATCH_SIZE: Final = 65536
# Decimals are inspected in a local context wide enough for any decimal128 value, never
# in the ambient one (whose 28 digits would round them).
_WIDE: Final = decimal.Context(prec=80, Emax=999, Emin=-999, traps=[decimal.InvalidOperation])
_tidy_wide: Final = functools.partial(tidy, context=_WIDE)
"""Drop the trailing zeros Arrow's fixed scale added, without going to 1E+2."""
_INT64: Final = (-(2**63), 2**63 - 1)
_NONE: Final = type(None)


def _pyarrow() -> Any:
    return import_extra("pyarrow", "humanaid.interop.arrow", "arrow")


class _Unsupported(TypeError):
    """A record type with a field Arrow cannot hold (raised as a plain TypeError)."""


# -- codecs: one per field type ----------------------------------------------------------------


@attrs.frozen
class _Codec:
    """How values of one Python type go to Arrow and back.

    ``encode`` checks a (non-None) value and returns what pyarrow takes; ``decode`` turns
    what pyarrow's ``to_pylist`` gives back into the Python value. ``plain`` means that
    ``encode`` returns its argument unchanged (so a column may skip it after a check).
    """

    type: Any
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any] | None
    plain: bool = False
    money: bool = False
    # a record type's codec: the type and its fields (read a column at a time by
    # ``_arrow_fast``); a tuple's codec: its item's codec
    record: tuple[type, tuple[Any, ...]] | None = None
    item: _Codec | None = None


def _optional(codec: _Codec) -> _Codec:
    enc, dec = codec.encode, codec.decode

    def encode(v: Any) -> Any:
        return None if v is None else enc(v)

    decode = None if dec is None else (lambda v: None if v is None else dec(v))
    return _Codec(codec.type, encode, decode, codec.plain, codec.money, codec.record)


def _leaf(pa: Any, tp: Any, where: str) -> _Codec | None:
    if tp is bool:

        def enc_bool(v: Any) -> Any:
            if not isinstance(v, bool):
                raise TypeError(f"{where} must be a bool (got {v!r})")
            return v

        return _Codec(pa.bool_(), enc_bool, None, plain=True)
    if tp is int:

        def enc_int(v: Any) -> Any:
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"{where} must be an int (got {v!r})")
            if not _INT64[0] <= v <= _INT64[1]:
                raise ValueError(f"{where} does not fit in a 64-bit integer (got {v})")
            return v

        return _Codec(pa.int64(), enc_int, None, plain=True)
    if tp is str:

        def enc_str(v: Any) -> Any:
            if not isinstance(v, str):
                raise TypeError(f"{where} must be a str (got {type(v).__name__})")
            return v

        return _Codec(pa.string(), enc_str, None, plain=True)
    if tp is date:

        def enc_date(v: Any) -> Any:
            if not isinstance(v, date) or isinstance(v, datetime):
                raise TypeError(f"{where} must be a date (got {v!r})")
            return v

        return _Codec(pa.date32(), enc_date, None, plain=True)
    if tp is Decimal:
        return _Codec(pa.decimal128(38, DECIMAL_SCALE), _decimal_encoder(where), _tidy_wide)
    if tp is Money:
        return _money_codec(pa, where)
    if tp is datetime:
        raise _Unsupported(f"{where} is a datetime; humanaid records keep dates")
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum_codec(pa, tp, where)
    return None


def _decimal_encoder(where: str) -> Callable[[Any], Any]:
    limit = 38 - DECIMAL_SCALE

    def encode(v: Any) -> Any:
        if isinstance(v, int) and not isinstance(v, bool):
            v = Decimal(v)
        if not isinstance(v, Decimal):
            raise TypeError(f"{where} must be a Decimal (got {v!r})")
        if not v.is_finite():
            raise ValueError(f"{where} must be finite (got {v})")
        exponent = v.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -DECIMAL_SCALE:
            exponent = v.normalize(_WIDE).as_tuple().exponent
            if isinstance(exponent, int) and exponent < -DECIMAL_SCALE:
                raise ValueError(
                    f"{where} has more than {DECIMAL_SCALE} decimal places, which Arrow's "
                    f"decimal128(38, {DECIMAL_SCALE}) cannot hold exactly (got {v}); round it "
                    "first"
                )
        if v and v.adjusted() >= limit:
            raise ValueError(f"{where} has {limit} or more integer digits (got {v})")
        return v

    return encode


def _currency_type(pa: Any) -> Any:
    return pa.dictionary(pa.int32(), pa.string())


def _money_codec(pa: Any, where: str) -> _Codec:
    struct = pa.struct(
        [
            pa.field("amount", pa.decimal128(38, MONEY_SCALE), nullable=False),
            pa.field("currency", _currency_type(pa), nullable=False),
        ]
    )

    def encode(v: Any) -> Any:
        if not isinstance(v, Money):
            raise TypeError(f"{where} must be Money (got {v!r})")
        return {"amount": v.amount, "currency": v.currency}

    def decode(v: Any) -> Any:
        return Money(v["amount"], v["currency"])

    return _Codec(struct, encode, decode, money=True)


def _enum_codec(pa: Any, cls: type[enum.Enum], where: str) -> _Codec:
    if not all(isinstance(m.value, str) for m in cls):
        raise _Unsupported(f"{where} is the enum {cls.__name__}, whose values are not all str")

    def encode(v: Any) -> Any:
        if not isinstance(v, cls):
            raise TypeError(f"{where} must be a {cls.__name__} (got {v!r})")
        return v.value

    return _Codec(_currency_type(pa), encode, cls)


def _union_args(tp: Any) -> tuple[Any, ...] | None:
    if get_origin(tp) in (types.UnionType, typing.Union):
        return get_args(tp)
    return None


def _codec(pa: Any, tp: Any, where: str, building: tuple[type, ...]) -> tuple[_Codec, bool]:
    """The codec of ``tp`` and whether it is optional (``X | None``)."""
    args = _union_args(tp)
    if args is not None:
        rest = [a for a in args if a is not _NONE]
        if len(rest) == 1 and len(args) == 2:
            inner, _ = _codec(pa, rest[0], where, building)
            return _optional(inner), True
        shown = " | ".join(getattr(a, "__name__", str(a)) for a in args)
        raise _Unsupported(f"{where} is the union {shown}, which one Arrow column cannot hold")
    leaf = _leaf(pa, tp, where)
    if leaf is not None:
        return leaf, False
    origin, params = get_origin(tp), get_args(tp)
    if origin is tuple:
        if len(params) == 2 and params[1] is Ellipsis:
            item, _ = _codec(pa, params[0], f"{where}[]", building)
            return _list_codec(pa, item, tuple, where), False
        raise _Unsupported(f"{where} is a fixed-length tuple; use tuple[X, ...]")
    if origin in (frozenset, set, collections.abc.Set):
        (param,) = params
        item, _ = _codec(pa, param, f"{where}[]", building)
        return _list_codec(pa, item, frozenset, where, sort=True), False
    if origin in (dict, Mapping, types.MappingProxyType):
        key_type, value_type = params
        key, key_optional = _codec(pa, key_type, f"{where} key", building)
        if key_optional:
            raise _Unsupported(f"{where} has optional keys")
        value, value_optional = _codec(pa, value_type, f"{where}[]", building)
        return _map_codec(pa, key, value, value_optional, where), False
    if isinstance(tp, type) and attrs.has(tp):
        return _record_codec(pa, tp, where, building), False
    shown = getattr(tp, "__name__", None) or str(tp)
    raise _Unsupported(f"{where} is of type {shown}, which has no Arrow form here")


def _list_codec(
    pa: Any, item: _Codec, back: Callable[[Any], Any], where: str, *, sort: bool = False
) -> _Codec:
    enc_item, dec_item = item.encode, item.decode

    def encode(v: Any) -> Any:
        if isinstance(v, str | bytes | Mapping) or not isinstance(v, Iterable):
            raise TypeError(f"{where} must be a collection (got {type(v).__name__})")
        values = sorted(v, key=sort_key) if sort else v
        return [enc_item(x) for x in values]

    if dec_item is None:
        decode: Callable[[Any], Any] = back
    else:
        decode = lambda v: back(dec_item(x) for x in v)  # noqa: E731
    kept = None if sort else item  # a sorted collection is read record by record
    return _Codec(pa.list_(pa.field("item", item.type, nullable=False)), encode, decode, item=kept)


def _map_codec(pa: Any, key: _Codec, value: _Codec, optional: bool, where: str) -> _Codec:
    enc_k, enc_v = key.encode, value.encode
    dec_k, dec_v = key.decode, value.decode

    def encode(v: Any) -> Any:
        if not isinstance(v, Mapping):
            raise TypeError(f"{where} must be a mapping (got {type(v).__name__})")
        return [(enc_k(k), enc_v(x)) for k, x in sorted(v.items(), key=lambda kv: sort_key(kv[0]))]

    def decode(v: Any) -> Any:
        return {
            (k if dec_k is None else dec_k(k)): (x if dec_v is None else dec_v(x)) for k, x in v
        }

    return _Codec(
        pa.map_(key.type, pa.field("value", value.type, nullable=optional)), encode, decode
    )


@attrs.frozen
class _Field:
    attr: str
    arg: str
    codec: _Codec
    optional: bool
    pii: bool


def _fields(pa: Any, cls: Any, where: str, building: tuple[type, ...]) -> list[_Field]:
    if cls in building:
        raise _Unsupported(f"{where}: {cls.__name__} contains itself, which Arrow cannot hold")
    if issubclass(cls, Dataset):
        raise _Unsupported(
            f"{where} is a dataset of collections; convert them, one table each, with "
            "dataset_to_arrow(dataset)"
        )
    try:
        attrs.resolve_types(cls)
    except NameError as exc:
        raise _Unsupported(
            f"{where}: the field types of {cls.__name__} cannot be read ({exc})"
        ) from None
    out = []
    for a in attrs.fields(cls):
        if not a.init:
            continue
        if a.type is None:
            raise _Unsupported(f"{cls.__name__}.{a.name} has no type annotation")
        codec, optional = _codec(pa, a.type, f"{cls.__name__}.{a.name}", (*building, cls))
        out.append(_Field(a.name, a.alias or a.name, codec, optional, is_pii(a)))
    return out


def _record_codec(pa: Any, cls: type, where: str, building: tuple[type, ...]) -> _Codec:
    fields = _fields(pa, cls, where, building)
    struct = pa.struct(
        [pa.field(f.arg, f.codec.type, nullable=f.optional, metadata=_meta(f)) for f in fields]
    )
    plan = [(f.attr, f.arg, f.codec.encode, f.codec.decode) for f in fields]

    def encode(v: Any) -> Any:
        if not isinstance(v, cls):
            raise TypeError(f"{where} must be a {cls.__name__} (got {type(v).__name__})")
        return {arg: enc(getattr(v, attr)) for attr, arg, enc, _ in plan}

    def decode(v: Any) -> Any:
        return cls(**{arg: (x if dec is None else dec(x)) for (_, arg, _, dec), x in _zip(plan, v)})

    return _Codec(struct, encode, decode, record=(cls, tuple(fields)))


def _zip(plan: list[tuple[str, str, Any, Any]], struct: Mapping[str, Any]) -> Iterator[Any]:
    for step in plan:
        yield step, struct[step[1]]


def _meta(f: _Field) -> dict[bytes, bytes] | None:
    return {b"humanaid.pii": b"true"} if f.pii else None


# -- the top level: a record type as columns ------------------------------------------------


@attrs.frozen
class _Column:
    """One column of a record type's table; top-level money gives two."""

    name: str
    field: _Field
    part: str | None  # None, or "amount" / "currency" of a top-level money field


@attrs.frozen
class _Plan:
    cls: type
    columns: tuple[_Column, ...]
    schema: Any


@functools.cache
def _plan(cls: type) -> _Plan:
    pa = _pyarrow()
    if cls is Money:
        money = _Field("", "", _money_codec(pa, "Money"), False, False)
        fields = [money]
    elif isinstance(cls, type) and attrs.has(cls):
        fields = _fields(pa, cls, cls.__name__, ())
    else:
        raise TypeError(f"to_arrow needs attrs records or Money (got {cls!r})")
    columns: list[_Column] = []
    arrow_fields = []
    for f in fields:
        if f.codec.money:
            prefix = f"{f.arg}." if f.arg else ""
            for part, typ in (
                ("amount", pa.decimal128(38, MONEY_SCALE)),
                ("currency", _currency_type(pa)),
            ):
                columns.append(_Column(prefix + part, f, part))
                arrow_fields.append(
                    pa.field(prefix + part, typ, nullable=f.optional, metadata=_meta(f))
                )
        else:
            columns.append(_Column(f.arg, f, None))
            arrow_fields.append(
                pa.field(f.arg, f.codec.type, nullable=f.optional, metadata=_meta(f))
            )
    metadata = {
        b"humanaid.record": f"{cls.__module__}.{cls.__qualname__}".encode(),
        b"humanaid.money_scale": str(MONEY_SCALE).encode(),
        b"humanaid.decimal_scale": str(DECIMAL_SCALE).encode(),
    }
    return _Plan(cls, tuple(columns), pa.schema(arrow_fields, metadata=metadata))


def _checked_plan(cls: type) -> _Plan:
    try:
        return _plan(cls)
    except _Unsupported as exc:
        name = getattr(cls, "__name__", repr(cls))
        raise TypeError(f"{name} records cannot go to Arrow: {exc}") from None


def arrow_schema(cls: type) -> Any:
    """The ``pyarrow.Schema`` of the table :func:`to_arrow` makes for ``cls`` records.

    Raises:
        TypeError: naming the field, if ``cls`` has a field of a type with no Arrow form.
        ImportError: naming the extra, if pyarrow is not installed.

    >>> from humanaid import Finding
    >>> arrow_schema(Finding)
    Traceback (most recent call last):
    ...
    TypeError: Finding records cannot go to Arrow: Finding.figures[] is the union ...
    """
    _pyarrow()
    return _checked_plan(cls).schema


def _values(records: list[Any], col: _Column) -> list[Any]:
    f = col.field
    if col.part is None:
        raw = [getattr(r, f.attr) for r in records]
        if f.codec.plain:
            check = f.codec.encode
            for v in raw:
                if v is not None:
                    check(v)
            return raw
        encode = f.codec.encode
        return [None if v is None else encode(v) for v in raw]
    money = records if not f.attr else [getattr(r, f.attr) for r in records]
    for v in money:
        if v is not None and not isinstance(v, Money):
            raise TypeError(f"{f.attr or 'the record'} must be Money (got {v!r})")
    if col.part == "amount":
        return [None if m is None else m.amount for m in money]
    return [None if m is None else m.currency for m in money]


def _batch(pa: Any, plan: _Plan, records: list[Any], start: int) -> Any:
    """The batch of ``records``: column-wise, else record by record (which says what is wrong)."""
    from humanaid.interop import _arrow_fast

    try:
        batch = _arrow_fast.encode_batch(pa, plan, records)
    except (TypeError, ValueError, OverflowError, pa.ArrowException):
        batch = None
    if batch is not None:
        return batch
    return _batch_by_record(pa, plan, records, start)


def _batch_by_record(pa: Any, plan: _Plan, records: list[Any], start: int) -> Any:
    """The reference: each value checked and converted on its own."""
    for i, r in enumerate(records):
        if not isinstance(r, plan.cls):
            raise TypeError(
                f"record {start + i} is a {type(r).__name__}, not a {plan.cls.__name__}: "
                "a table holds records of one type"
            )
    arrays = []
    for col, field in zip(plan.columns, plan.schema, strict=True):
        try:
            values = _values(records, col)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{_first_bad(records, col, start)}{exc}") from None
        arrays.append(pa.array(values, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=plan.schema)


def _first_bad(records: list[Any], col: _Column, start: int) -> str:
    for i, r in enumerate(records):
        try:
            _values([r], col)
        except (TypeError, ValueError):
            return f"record {start + i}: "
    return ""


def _peek(records: Iterable[T], cls: type | None) -> tuple[type, Iterator[T]]:
    it = iter(records)
    if cls is not None:
        return cls, it
    first = next(it, None)
    if first is None:
        raise ValueError("no records to convert: pass cls= to make an empty table")
    return type(first), itertools.chain([first], it)


def record_batches(
    records: Iterable[Any], cls: type | None = None, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Iterator[Any]:
    """Convert records to ``pyarrow.RecordBatch`` es of ``batch_size`` rows, as they come.

    Only one batch of records is held at a time, so a generator of any length can be
    written to Parquet with bounded memory::

        import pyarrow.parquet as pq
        with pq.ParquetWriter("gifts.parquet", arrow_schema(Donation)) as out:
            for batch in record_batches(iter_json_lines("gifts.jsonl", Donation), Donation):
                out.write_batch(batch)

    Args:
        records: records of one type.
        cls: their type; by default the type of the first record.
        batch_size: rows per batch.
    """
    pa = _pyarrow()
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"'batch_size' must be a whole number >= 1 (got {batch_size!r})")
    kind, it = _peek(records, cls)
    plan = _checked_plan(kind)
    start = 0
    while True:
        chunk = list(itertools.islice(it, batch_size))
        if not chunk:
            return
        yield _batch(pa, plan, chunk, start)
        start += len(chunk)


def to_arrow(
    records: Iterable[Any], cls: type | None = None, *, batch_size: int = DEFAULT_BATCH_SIZE
) -> Any:
    """Convert records of one type to a ``pyarrow.Table`` (see the module for the types).

    Args:
        records: records of one attrs type (or Money), as a list or any iterable; an
            :class:`ArrowRecords` view goes back without its records where it can.
        cls: their type; by default the type of the first record (required for none;
            a view's own type).
        batch_size: rows converted at a time.

    Raises:
        TypeError: if a record is of another type, a field's type has no Arrow form, or
            a value does not match its field's type (naming the record and field).
        ValueError: if a Decimal has more places than :data:`DECIMAL_SCALE` or an int
            does not fit in 64 bits.
        ImportError: naming the extra, if pyarrow is not installed.
    """
    pa = _pyarrow()
    if isinstance(records, ArrowRecords) and (cls is None or cls is records._cls):
        table = _stored(pa, records, batch_size)
        if table is not None:
            return table
        cls = records._cls  # a view knows its records' type, even with none
    kind, it = _peek(records, cls)
    plan = _checked_plan(kind)
    with _gc.paused():  # 5.4 µs a record instead of 5.8 (the figures: humanaid._gc)
        batches = list(record_batches(it, kind, batch_size=batch_size))
    return pa.Table.from_batches(batches, schema=plan.schema)


def _stored(pa: Any, view: ArrowRecords[Any], batch_size: int) -> Any | None:
    """The view's table as :func:`to_arrow` would make it of the view's records, or ``None``.

    Only for a view whose records hold exactly its table's values (every row passed the
    column-wise checks; :func:`humanaid.interop._arrow_fast.exact_form`): the table is
    re-encoded in ``to_arrow``'s batches and dictionary order, without any record.
    """
    from humanaid.interop import _arrow_fast

    if view._exact is None or view._exact is not view.table:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        return None  # to_arrow's own path says what is wrong
    try:
        return _arrow_fast.encode_table(pa, view._plan, view.table, batch_size)
    except (*_UNSURE, pa.ArrowException):  # not foreseen: through the records
        return None


def read_json_lines(
    source: str | IO[str] | IO[bytes] | Iterable[str] | Iterable[bytes] | Any,
    cls: type,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int | None], object] | None = None,
) -> Any:
    """Load JSON Lines of ``cls`` records into a ``pyarrow.Table``, strictly, in batches.

    Each line goes through the strict converter (:func:`humanaid.iter_json_lines`), so bad
    input is an :class:`~humanaid.InvalidInput` naming the line and every problem in it.
    Only ``batch_size`` records are held as Python objects at a time; the table keeps the
    data in Arrow's compact columns.

    Args:
        source: a path, an open file or an iterable of lines.
        cls: the record type of every line.
        batch_size: records converted at a time.
        progress: as for :func:`humanaid.iter_json_lines` (bytes of a path read so far
            and its size; lines otherwise).
    """
    pa = _pyarrow()
    plan = _checked_plan(cls)
    with _gc.paused():  # 14.6 µs a record instead of 17.9 (the figures: humanaid._gc)
        batches = list(
            record_batches(
                iter_json_lines(source, cls, progress=progress), cls, batch_size=batch_size
            )
        )
    return pa.Table.from_batches(batches, schema=plan.schema)


_LINE_LENGTH: Final = LIMITS["line_length"]
_UNSURE: Final = (ArithmeticError, LookupError, TypeError, ValueError, NotImplementedError)
"""What the column-wise code may meet in data it did not foresee (and ``ArrowException``,
the base of pyarrow's errors): the record-wise code then decides."""
_CHUNK_LINES: Final = 8192
_BLANK: Final = r"^[ \t\n\r\x0b\x0c]*$"  # what bytes.isspace() calls blank, or nothing


def read_json_lines_arrow(
    source: str | os.PathLike[str] | IO[str] | IO[bytes] | Iterable[str] | Iterable[bytes],
    cls: type,
    *,
    errors: str = "raise",
    batch_size: int | None = None,
) -> Any:
    """Load JSON Lines of ``cls`` records into a ``pyarrow.Table``, checked column-wise.

    The table equals ``to_arrow(list(iter_json_lines(source, cls)), cls)``, and bad input
    gives the same problems as :func:`humanaid.iter_json_lines`, each naming its line
    and field (``1 problem in line 3 of gifts.jsonl: $.value.amount ...``), but the
    records are never made: ``pyarrow.json`` parses the lines with the schema of the
    records' JSON form, and every check runs a column at a time with
    ``pyarrow.compute`` (plain decimals with the currency's places and known currencies,
    ISO dates that exist, enum values, ids and text, required values, the number of
    keys of each line, so that a missing, repeated or unknown key is found, and the
    cross-field rules where a column-wise twin of them is known). A line pyarrow cannot
    parse, or that fails or escapes a check, is read by the record path
    (:func:`humanaid.from_json`), which accepts it or says what is wrong with it, so
    the answer is always the record path's. Record types with checks only their
    constructor makes are built, on the column-wise path, and dropped.

    By default the whole input is read at once (as bytes, then as Arrow columns); with
    ``batch_size``, ``batch_size`` lines at a time, so only one block of the input's text
    is held beside the table's compact columns (:func:`iter_json_lines_arrow` streams the
    blocks themselves, in bounded memory).

    Args:
        source: a path (read as UTF-8 bytes), an open file or an iterable of lines.
        cls: the record type of every line.
        errors: ``"raise"`` (the default) raises the problems of the first bad line,
            as :func:`humanaid.iter_json_lines` does; ``"collect"`` returns
            ``(table, problems)``: the table of the good lines and one
            :class:`~humanaid.InvalidInput` for each bad line, in line order.
        batch_size: lines read at a time (``None``: all at once).

    Raises:
        InvalidInput: with ``errors="raise"``, for the first bad line.
        TypeError: if ``cls`` has no Arrow form or ``source`` is not a source of lines.
        ValueError: if ``errors`` or ``batch_size`` is not one of the values above.
        ImportError: naming the extra, if pyarrow is not installed.

    >>> from humanaid import Money
    >>> lines = ['{"amount": "1.50", "currency": "CNY"}', '{"amount": "2", "currency": "USD"}']
    >>> read_json_lines_arrow(lines, Money).column("amount").to_pylist()
    [Decimal('1.5000'), Decimal('2.0000')]
    >>> table, problems = read_json_lines_arrow(
    ...     lines + ['{"amount": "1.505", "currency": "CNY"}'], Money, errors="collect"
    ... )
    >>> table.num_rows, str(problems[0]).splitlines()[0]
    (2, '1 problem in line 3 of the input:')
    """
    pa = _pyarrow()
    _check_errors(errors)
    plan = _checked_plan(cls)
    tables: list[Any] = []
    problems: list[InvalidInput] = []
    for table, found in _raising(_json_blocks(pa, plan, source, _block_size(batch_size)), errors):
        problems.extend(found)
        tables.append(table)
    if len(tables) == 1:
        table = tables[0]
    else:
        table = pa.Table.from_batches(
            [b for t in tables for b in t.to_batches()], schema=plan.schema
        )
    if errors == "collect":
        return table, problems
    return table


def iter_json_lines_arrow(
    source: str | os.PathLike[str] | IO[str] | IO[bytes] | Iterable[str] | Iterable[bytes],
    cls: type,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    errors: str = "raise",
) -> Iterator[Any]:
    """Stream JSON Lines of ``cls`` records as ``pyarrow.RecordBatch`` es, checked column-wise.

    The input is read ``batch_size`` lines at a time, and each block is checked as
    :func:`read_json_lines_arrow` checks a whole file (the same problems, naming the
    line of the whole input), then handed on as one batch of its good lines. Only one
    block is held at a time, so a file of any length goes to Parquet in bounded memory
    (:func:`humanaid.interop.columnar.write_parquet_dataset` takes the batches)::

        import pyarrow.parquet as pq
        with pq.ParquetWriter("gifts.parquet", arrow_schema(Donation)) as out:
            for batch in iter_json_lines_arrow("gifts.jsonl", Donation):
                out.write_batch(batch)

    Args:
        source: a path (read as UTF-8 bytes), an open file or an iterable of lines.
        cls: the record type of every line.
        batch_size: lines read at a time (a batch holds at most as many rows).
        errors: ``"raise"`` (the default): the batches of the blocks before the first
            bad line, then its :class:`~humanaid.InvalidInput`; ``"collect"``: a pair
            ``(batch, problems)`` for every block, its problems in line order.

    Raises:
        InvalidInput: with ``errors="raise"``, for the first bad line.
        TypeError: if ``cls`` has no Arrow form or ``source`` is not a source of lines.
        ValueError: if ``errors`` or ``batch_size`` is not one of the values above.

    >>> from humanaid import Money
    >>> lines = [f'{{"amount": "{i}.50", "currency": "CNY"}}' for i in range(5)]
    >>> [b.num_rows for b in iter_json_lines_arrow(lines, Money, batch_size=2)]
    [2, 2, 1]
    >>> lines[3] = '{"amount": "1.505", "currency": "CNY"}'
    >>> [(b.num_rows, [p.subject for p in found])
    ...  for b, found in iter_json_lines_arrow(lines, Money, batch_size=2, errors="collect")]
    [(2, []), (1, ['line 4 of the input']), (1, [])]
    """
    pa = _pyarrow()
    _check_errors(errors)
    size = _block_size(batch_size)
    if size is None:
        raise ValueError(f"'batch_size' must be a whole number >= 1 (got {batch_size!r})")
    plan = _checked_plan(cls)
    return _iter_json_batches(pa, plan, _json_blocks(pa, plan, source, size), errors)


def _iter_json_batches(
    pa: Any, plan: _Plan, tables: Iterator[tuple[Any, list[InvalidInput]]], errors: str
) -> Iterator[Any]:
    for table, found in _raising(tables, errors):
        batch = _one_batch(pa, plan, table)
        if errors == "collect":
            yield batch, found
        elif batch.num_rows:
            yield batch


def _raising(
    blocks: Iterator[tuple[Any, list[InvalidInput]]], errors: str
) -> Iterator[tuple[Any, list[InvalidInput]]]:
    """The checked blocks as they come; with ``errors="raise"``, the first problem raised."""
    for table, found in blocks:
        if found and errors == "raise":
            raise found[0]
        yield table, found


def _one_batch(pa: Any, plan: _Plan, table: Any) -> Any:
    """The rows of ``table`` as one ``RecordBatch`` (dictionaries unified)."""
    batches = table.combine_chunks().to_batches()
    if len(batches) == 1:
        return batches[0]
    if not batches:
        return pa.RecordBatch.from_pylist([], schema=plan.schema)
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _check_errors(errors: str) -> None:
    if errors not in ("raise", "collect"):
        raise ValueError(f"'errors' must be 'raise' or 'collect' (got {errors!r})")


def _block_size(batch_size: int | None) -> int | None:
    if batch_size is None:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"'batch_size' must be a whole number >= 1 (got {batch_size!r})")
    return batch_size


_Block = tuple[list[bytes], list[int], list[int], Any]
"""A block of lines: the lines, the blank ones, the ones too long, the text."""


def _json_blocks(
    pa: Any, plan: _Plan, source: Any, size: int | None
) -> Iterator[tuple[Any, list[InvalidInput]]]:
    """The table and problems of each block of ``size`` lines of ``source`` (or of all).

    The source is checked at once; its blocks are read as the tables are asked for.
    """
    importlib.import_module("pyarrow.compute")
    blocks, name = _json_source(source, size)
    return _block_tables(pa, plan, blocks, name)


def _block_tables(
    pa: Any, plan: _Plan, blocks: Iterator[_Block], name: str
) -> Iterator[tuple[Any, list[InvalidInput]]]:
    first = 0
    for lines, blank, too_long, data in blocks:
        with _gc.paused():
            table, problems = _json_table(pa, plan, lines, blank, too_long, name, data, first)
        first += len(lines)
        yield table, problems


def _json_source(source: Any, size: int | None) -> tuple[Iterator[_Block], str]:
    """The blocks of ``source`` (``size`` lines each, or one for all) and its name.

    A block is its lines, the blank ones, the ones too long and its text: lines are
    bytes without their line ends; blank and too long are as
    :func:`humanaid.iter_json_lines` says; the text is ``None`` if pyarrow may not parse
    it as it is. Lines are numbered within the block.
    """
    if isinstance(source, str) or hasattr(source, "__fspath__"):
        path = os.fspath(source)
        with open(path, "rb"):  # a missing file fails here, not at the first block
            pass
        return _path_blocks(path, size), path
    if isinstance(source, str | bytes) or not isinstance(source, Iterable):
        raise TypeError(
            "'source' must be a path, an open file or an iterable of lines "
            f"(got {type(source).__name__})"
        )
    name = str(getattr(source, "name", "the input"))
    return _line_blocks(iter(source), size), name


def _path_blocks(path: str, size: int | None) -> Iterator[_Block]:
    with open(path, "rb") as f:
        if size is None:
            data = f.read()
            lines = data.split(b"\n")
            yield lines, *_marks(lines, complete=False), data
            return
        while True:
            chunk = list(itertools.islice(f, size))
            if not chunk:
                return
            data = b"".join(chunk)
            lines = data.split(b"\n")
            if data.endswith(b"\n"):
                lines.pop()  # the end of the last line, not a line
            yield lines, *_marks(lines, complete=data.endswith(b"\n")), data


def _marks(lines: list[bytes], *, complete: bool) -> tuple[list[int], list[int]]:
    """The blank lines, and those too long with their line end.

    All but the last line have one; the last too if ``complete``.
    """
    n = len(lines)
    blank = sorted(
        {
            *itertools.compress(range(n), map(operator.not_, lines)),
            *itertools.compress(range(n), map(bytes.isspace, lines)),
        }
    )
    too_long: list[int] = []
    if lines and max(map(len, lines)) >= _LINE_LENGTH:  # with its "\n"
        too_long = [
            i for i, line in enumerate(lines) if len(line) + (complete or i < n - 1) > _LINE_LENGTH
        ]
    return blank, too_long


def _line_blocks(it: Iterator[Any], size: int | None) -> Iterator[_Block]:
    while True:
        chunk = list(it) if size is None else list(itertools.islice(it, size))
        if not chunk and size is not None:
            return
        raw: list[bytes] = []
        blank: list[int] = []
        too_long: list[int] = []
        whole_ok = True
        for i, line in enumerate(chunk):
            if not line or line.isspace():
                blank.append(i)
            if len(line) > _LINE_LENGTH:
                too_long.append(i)
            if isinstance(line, str):
                body = line[:-1] if line.endswith("\n") else line
                try:
                    encoded = body.encode()
                except UnicodeEncodeError:  # lone surrogates: the record path reads the text
                    encoded = b"\xef\xbb\xbf"
                if encoded.startswith(b"\xef\xbb\xbf"):  # and a BOM, which json refuses in text
                    raw.append(body)  # type: ignore[arg-type]
                    whole_ok = False
                    continue
            elif isinstance(line, bytes | bytearray):
                encoded = bytes(line[:-1] if line.endswith(b"\n") else line)
            else:
                raise TypeError(f"a line must be str or bytes (got {type(line).__name__})")
            if b"\n" in encoded:
                whole_ok = False  # a line holding line breaks: the record path reads it
            raw.append(encoded)
        yield raw, blank, too_long, b"\n".join(raw) if whole_ok else None
        if size is None:
            return


def _json_table(
    pa: Any,
    plan: _Plan,
    lines: list[bytes],
    blank: list[int],
    too_long: list[int],
    name: str,
    data: Any,
    first: int = 0,
) -> tuple[Any, list[InvalidInput]]:
    """The table and problems of one block of lines (``first``: lines before it)."""
    from humanaid.interop import _arrow_fast as fast

    pc = pa.compute
    pj = importlib.import_module("pyarrow.json")
    schema = fast.json_schema(pa, plan)
    skipped = set(blank)
    long_set = set(too_long)
    slow: list[int] = [i for i in too_long if i not in skipped]
    if skipped or long_set:
        wanted = [i for i in range(len(lines)) if i not in skipped and i not in long_set]
    else:
        wanted = list(range(len(lines)))
    parts: list[tuple[Any, Any]] = []
    if schema is None or data is None:
        slow.extend(wanted)
    elif wanted:
        options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
        read = pj.ReadOptions(block_size=max(1 << 20, 2 * _LINE_LENGTH + 2))

        def parse(text: bytes) -> Any:
            if not text[: _LINE_LENGTH + 1].lstrip().startswith(b"{"):
                return None  # pyarrow.json crashes the process on a text that opens with null
            try:
                return pj.read_json(pa.BufferReader(text), read_options=read, parse_options=options)
            except (pa.ArrowException, ValueError):
                return None

        def segment(positions: list[int], text: bytes) -> None:
            jt = parse(text)
            if jt is not None and jt.num_rows == len(positions):
                try:
                    _json_checked(pa, fast, plan, jt, lines, positions, text, parts, slow)
                except (*_UNSURE, pa.ArrowException):  # not foreseen: the record path reads them
                    slow.extend(positions)
                return
            if len(positions) == 1:
                slow.append(positions[0])
                return
            step = _CHUNK_LINES if len(positions) > _CHUNK_LINES else (len(positions) + 1) // 2
            for start in range(0, len(positions), step):
                part = positions[start : start + step]
                segment(part, b"\n".join([lines[i] for i in part]))

        # blank lines are skipped by pyarrow too; a line too long is left out
        try:
            segment(wanted, data if not long_set else b"\n".join([lines[i] for i in wanted]))
        finally:
            # segment calls itself: its closure is a reference cycle that holds the
            # block's text and tables until a full collection, which a stream of blocks
            # may not meet for a long time (835 MiB of a million lines); freed here
            del segment
    records: list[Any] = []
    where: list[int] = []
    problems: list[InvalidInput] = []
    for pos in sorted(slow):
        subject = f"line {first + pos + 1} of {name}"
        if pos in long_set:
            message = f"is longer than {_LINE_LENGTH} characters"
            problems.append(
                InvalidInput([Problem(path=(), code="too-long", message=message)], subject=subject)
            )
            continue
        try:
            records.append(from_json(lines[pos], plan.cls))
        except InvalidInput as exc:
            problems.append(InvalidInput(exc.problems, subject=subject))
            continue
        where.append(pos)
    if records:
        parts.append((to_arrow(records, plan.cls), where))
    if not parts:
        return pa.Table.from_batches([], schema=plan.schema), problems
    if len(parts) == 1:
        return parts[0][0], problems
    table = pa.concat_tables([t for t, _ in parts]).unify_dictionaries()
    order = pc.sort_indices(pa.array([i for _, p in parts for i in p], pa.int64()))
    return table.take(order), problems


def _json_checked(
    pa: Any,
    fast: Any,
    plan: _Plan,
    jt: Any,
    lines: list[bytes],
    positions: list[int],
    text: bytes,
    parts: list[tuple[Any, Any]],
    slow: list[int],
) -> None:
    """Check the rows pyarrow read; keep the good ones, send the others to ``slow``."""
    pc = pa.compute
    bad = fast.Bad(pa, jt.num_rows)
    columns, members = fast.json_columns(pa, plan, jt, bad, _checked_plan)
    # pyarrow refuses a repeated or unknown key, and reads a missing one as null: the
    # keys of the lines (each ends '":', unless escaped) must then be those of the rows
    keys = text.count(b'":')
    escaped = b"\\" in text  # no backslash (the common case): no escaped quote to count
    if escaped:
        keys -= text.count(b'\\":')
    if keys != fast.json_members(pa, jt):
        found = list(map(bytes.count, (lines[i] for i in positions), itertools.repeat(b'":')))
        if escaped and b'\\":' in text:
            quoted = (lines[i].count(b'\\":') for i in positions)
            found = [k - e for k, e in zip(found, quoted, strict=True)]
        bad.mask(pc.not_equal(pa.array(found, pa.int64()), members))
    marks = fast.cross_field_marks(pa, plan, columns)
    if marks is not None:
        bad.mask(marks)
    table = pa.Table.from_arrays(columns, schema=plan.schema)
    rows = bad.indices()
    if fast.needs_building(plan.cls):
        keep = sorted(set(range(jt.num_rows)) - set(rows))
        if keep:
            subset = table.take(pa.array(keep, pa.int64()))
            failing = fast.decode_table(pa, plan, subset, _Reference(pa), check_only=True)
            if failing is None:  # not built column-wise: the record path reads them all
                failing = list(range(len(keep)))
            rows = sorted({*rows, *(keep[j] for j in failing)})
    if rows:
        bad_rows = set(rows)
        slow.extend(positions[i] for i in rows)
        good = [i for i in range(jt.num_rows) if i not in bad_rows]
        table = table.take(pa.array(good, pa.int64()))
        positions = [positions[i] for i in good]
    if table.num_rows:
        parts.append((table, positions))


def to_polars(records: Iterable[Any], cls: type | None = None) -> Any:
    """Records of one type as a ``polars.DataFrame``, through Arrow (extra ``polars``).

    The columns are :func:`to_arrow`'s, handed to polars without a copy through Python
    objects: money amounts as exact ``Decimal(38, 4)`` columns beside their currency,
    enums and currencies as categoricals, dates as dates, nested records as structs.

    >>> from humanaid import Money
    >>> frame = to_polars([Money("12.50"), Money("3", "USD")])
    >>> frame.columns, str(frame["amount"].sum())
    (['amount', 'currency'], '15.5000')

    Raises:
        ImportError: naming the extra, if polars (or pyarrow) is not installed.
    """
    pl = import_extra("polars", "to_polars", "polars")
    return pl.from_arrow(to_arrow(records, cls))


def to_pandas(
    records: Iterable[Any], cls: type | None = None, *, arrow_backed: bool = False
) -> Any:
    """Records of one type as a ``pandas.DataFrame``, through Arrow (extras ``pandas``, ``arrow``).

    The columns are :func:`to_arrow`'s, converted by pyarrow (no Python dict a record):
    amounts as exact :class:`~decimal.Decimal` values, enums and currencies as
    categoricals, dates as ``datetime.date``. With ``arrow_backed``, every column stays
    in Arrow memory (``pandas.ArrowDtype``), without a copy.

    >>> from humanaid import Money
    >>> frame = to_pandas([Money("12.50"), Money("3", "USD")])
    >>> frame["amount"].sum()
    Decimal('15.5000')

    Raises:
        ImportError: naming the extras, if pandas or pyarrow is not installed.
    """
    pd = import_extra("pandas", "to_pandas", "pandas,arrow")
    table = to_arrow(records, cls)
    if arrow_backed:
        return table.to_pandas(types_mapper=pd.ArrowDtype)
    return table.to_pandas()


def dataset_to_arrow(dataset: Dataset) -> dict[str, Any]:
    """One ``pyarrow.Table`` per collection of ``dataset``, by collection name.

    Register them in DuckDB (``con.register(name, table)``) to query a whole dataset
    with SQL.
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"'dataset' must be a Dataset (got {type(dataset).__name__})")
    return {
        name: to_arrow(dataset.records(name), record_type)
        for name, record_type in dataset.collection_types().items()
    }


# -- back from Arrow ---------------------------------------------------------------------------


def _loose(pa: Any, t: Any) -> Any:
    """A type with dictionary encodings and large strings replaced by plain ones."""
    types_ = pa.types
    if types_.is_dictionary(t):
        return _loose(pa, t.value_type)
    is_view = getattr(types_, "is_string_view", None)  # pyarrow 16 and later
    if types_.is_large_string(t) or (is_view is not None and is_view(t)):
        return pa.string()
    if types_.is_struct(t):
        return pa.struct(
            [
                pa.field(f.name, _loose(pa, f.type))
                for f in (t.field(i) for i in range(t.num_fields))
            ]
        )
    if types_.is_map(t):
        return pa.map_(_loose(pa, t.key_type), _loose(pa, t.item_type))
    if types_.is_list(t) or types_.is_large_list(t):
        return pa.list_(_loose(pa, t.value_type))
    return t


def _column(pa: Any, table: Any, name: str, expected: Any) -> Any:
    col = table.column(name)
    if col.type == expected or _loose(pa, col.type) == _loose(pa, expected):
        return col
    if pa.types.is_floating(col.type):
        raise TypeError(
            f"column {name!r} holds {col.type}: binary floats cannot hold decimal amounts "
            f"exactly, so they are not read as {expected}; convert them to decimal first"
        )
    try:
        return col.cast(expected)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise TypeError(
            f"column {name!r} holds {col.type}, which cannot be read as {expected} ({exc})"
        ) from None


def from_arrow(table: Any, cls: type[T]) -> list[T]:
    """Rebuild ``cls`` records from a table made by :func:`to_arrow` (or one like it).

    ``table`` is a ``pyarrow.Table``, a ``RecordBatch`` or a ``RecordBatchReader`` (what
    DuckDB's ``relation.arrow()`` returns), read whole.

    Columns are matched by name; a column of another but compatible type (``string``
    for a dictionary, a decimal of another scale) is cast, safely. Every record is built
    with its constructor, so its checks run: rows that break them, or that have no value
    where the field is required, are reported together in one
    :class:`~humanaid.InvalidInput`, each at its row (``$[3].value.amount``).

    Raises:
        ValueError: if columns are missing or not fields of ``cls``.
        TypeError: if a column cannot be read as its field's type, or ``cls`` has no
            Arrow form.
        InvalidInput: listing every row that cannot be made into a record.
    """
    pa = _pyarrow()
    plan = _checked_plan(cls)
    return _records(pa, plan, _table_of(pa, plan, table), cls)


def _table_of(pa: Any, plan: _Plan, table: Any) -> Any:
    """``table`` as a ``pyarrow.Table`` whose columns are those of ``plan``'s records."""
    if isinstance(table, pa.RecordBatch):
        table = pa.Table.from_batches([table])
    elif isinstance(table, pa.RecordBatchReader):  # DuckDB's relation.arrow(), a stream
        table = table.read_all()
    if not isinstance(table, pa.Table):
        raise TypeError(
            "'table' must be a pyarrow Table, RecordBatch or RecordBatchReader "
            f"(got {type(table).__name__})"
        )
    wanted = [c.name for c in plan.columns]
    missing = [n for n in wanted if n not in table.column_names]
    unknown = [n for n in table.column_names if n not in wanted]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing columns: {', '.join(missing)}")
        if unknown:
            parts.append(
                f"columns that are not fields of {plan.cls.__name__}: {', '.join(unknown)}"
            )
        raise ValueError(
            f"the table does not match {plan.cls.__name__} records ({'; '.join(parts)})"
        )
    return table


def _records(
    pa: Any,
    plan: _Plan,
    table: Any,
    cls: type[T],
    *,
    keep: bool = True,
    ref: _Reference | None = None,
) -> list[T]:
    """The records of a table of the right columns: column-wise, else record by record.

    With ``keep=False`` the table is only checked: rows may be left ``None``. ``ref``
    (made here by default) says afterwards whether the record-wise code was used.
    """
    from humanaid.interop import _arrow_fast

    ref = _Reference(pa) if ref is None else ref
    with _gc.paused():  # 14.2 µs a record instead of 18.3 (the figures: humanaid._gc)
        try:
            built = _arrow_fast.decode_table(pa, plan, table, ref, keep=keep)
        except InvalidInput:
            raise
        except (*_UNSURE, pa.ArrowException):  # not foreseen: the record-wise path
            built = None
        if built is not None:
            return built
        ref.exact = False
        return _rebuild(pa, plan, table, cls)


_CHECK_ROWS = DEFAULT_BATCH_SIZE
"""Rows an :class:`ArrowRecords` checks at a time when it is made."""


class ArrowRecords(collections.abc.Sequence[T]):
    """The records of an Arrow table, built only when read: columns that stay columns.

    The table is checked whole when the view is made, as :func:`from_arrow` checks it
    (the same errors, each problem at its row), a block at a time and keeping nothing;
    then a record is built only when it is read: indexing builds the block of
    ``block_size`` rows around it (the last block read is kept), iterating builds one
    block of 65,536 rows (or ``block_size``, if larger) after another, and slicing gives
    another view (nothing built). The check builds no record when every check of ``cls``
    is made column-wise (a :class:`~humanaid.Donation`'s are). A full pass
    costs about one :func:`from_arrow` more than the check; what it saves is memory (one
    block of records at a time) and the records never read. Equal, item by item, to
    ``from_arrow(table, cls)``; compare ``list(view)`` with a list (a view is a
    ``Sequence``, not a ``list``).

    Whatever takes records as an iterable takes a view (:func:`humanaid.fundraising_summary`,
    :func:`humanaid.top_donors`, the engine of :func:`humanaid.tabulate`); the columnar
    twins take its :attr:`table` (``scan(view.table, Donation)`` in
    :mod:`humanaid.interop.columnar`), so summaries run without any record.
    :func:`to_arrow` of a view hands back its table, re-encoded in ``to_arrow``'s batches
    and dictionary order, without any record, when every row passed the column-wise
    checks and the records hold exactly the table's values (a donation's do); otherwise
    (a name not in NFC that the record normalises, a set that ``to_arrow`` sorts ...) it
    goes through the records. Either way the table is ``to_arrow(list(view))``.

    Args:
        table: a ``pyarrow.Table``, ``RecordBatch`` or ``RecordBatchReader``, as for
            :func:`from_arrow`.
        cls: the record type.
        block_size: rows built at a time when reading.

    Raises:
        ValueError: if columns are missing or not fields of ``cls``, or ``block_size``
            is not a whole number >= 1.
        TypeError: if a column cannot be read as its field's type, or ``cls`` has no
            Arrow form.
        InvalidInput: listing every row that cannot be made into a record.

    >>> from humanaid import Money
    >>> view = ArrowRecords(to_arrow([Money(1), Money("2.50", "USD"), Money(3)]), Money)
    >>> len(view), view[1], view[-1]
    (3, Money('2.50', 'USD'), Money('3.00', 'CNY'))
    >>> list(view[::2]) == [Money(1), Money(3)]
    True
    """

    __slots__ = ("_block", "_built", "_cls", "_exact", "_plan", "_size", "_start", "table")

    table: Any
    """The checked table (what the columnar twins and Arrow tools read)."""

    def __init__(self, table: Any, cls: type[T], *, block_size: int = 4096) -> None:
        if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f"'block_size' must be a whole number >= 1 (got {block_size!r})")
        pa = _pyarrow()
        plan = _checked_plan(cls)
        table = _table_of(pa, plan, table)
        problems: list[Problem] = []
        ref = _Reference(pa)
        for start in range(0, table.num_rows, _CHECK_ROWS):
            try:
                _records(pa, plan, table.slice(start, _CHECK_ROWS), cls, keep=False, ref=ref)
            except InvalidInput as exc:  # each problem at its row of the whole table
                problems.extend(
                    attrs.evolve(p, path=(start + int(p.path[0]), *p.path[1:]))
                    for p in exc.problems
                )
        if problems:
            raise InvalidInput(problems, subject="the Arrow table")
        from humanaid.interop import _arrow_fast

        # every row passed the column-wise checks and the records hold the table's values
        names = table.column_names
        exact = ref.exact and len(set(names)) == len(names) and _arrow_fast.exact_form(plan.cls)
        self._init(table, cls, plan, block_size, table if exact else None)

    def _init(
        self, table: Any, cls: type[T], plan: _Plan, block_size: int, exact: Any = None
    ) -> None:
        self.table = table
        self._exact = exact  # the table itself, if to_arrow may re-encode it
        self._cls = cls
        self._plan = plan
        self._size = block_size
        self._start = -1
        self._built: list[T] = []

    def _view(self, table: Any) -> ArrowRecords[T]:
        """Another view of rows of this checked table (checked already: not again)."""
        view: ArrowRecords[T] = object.__new__(ArrowRecords)
        exact = table if self._exact is not None and self._exact is self.table else None
        view._init(table, self._cls, self._plan, self._size, exact)
        return view

    def _read(self, start: int) -> list[T]:
        return _records(_pyarrow(), self._plan, self.table.slice(start, self._size), self._cls)

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @typing.overload
    def __getitem__(self, index: int) -> T: ...

    @typing.overload
    def __getitem__(self, index: slice) -> ArrowRecords[T]: ...

    def __getitem__(self, index: int | slice) -> T | ArrowRecords[T]:
        n = len(self)
        if isinstance(index, slice):
            start, stop, step = index.indices(n)
            if step == 1:
                return self._view(self.table.slice(start, max(0, stop - start)))
            rows = _pyarrow().array(range(start, stop, step), _pyarrow().int64())
            return self._view(self.table.take(rows))
        i = operator.index(index)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"record {index} of {n}")
        start = i - i % self._size
        if start != self._start:
            self._built = self._read(start)
            self._start = start
        return self._built[i - start]

    def __iter__(self) -> Iterator[T]:
        size = max(self._size, _CHECK_ROWS)  # in order: the larger blocks of the check
        for start in range(0, len(self), size):
            yield from _records(_pyarrow(), self._plan, self.table.slice(start, size), self._cls)

    def __repr__(self) -> str:
        return f"<ArrowRecords of {len(self):,} {self._cls.__name__} records>"


def _rebuild(pa: Any, plan: _Plan, table: Any, cls: type[T]) -> list[T]:
    n = table.num_rows
    problems: dict[int, list[Problem]] = {}
    values: dict[str, list[Any]] = {}
    money: dict[str, dict[str, list[Any]]] = {}
    optional = {c.field.arg: c.field.optional for c in plan.columns}
    for col, field in zip(plan.columns, plan.schema, strict=True):
        f = col.field
        column = _column(pa, table, col.name, field.type)
        decode = f.codec.decode if col.part is None else None
        data = _read(pa, column, decode, col.name, problems)
        if col.part is None and not f.optional and column.null_count:
            for i, v in enumerate(data):
                if v is None and i not in problems:
                    problems[i] = [
                        Problem(path=(i, col.name), code="missing", message="is null but required")
                    ]
        if col.part is not None:
            money.setdefault(f.arg, {})[col.part] = data
        else:
            values[f.arg] = data
    for arg, halves in money.items():
        amounts, currencies = halves["amount"], halves["currency"]
        try:
            values[arg] = [Money(a, c) for a, c in zip(amounts, currencies, strict=True)]
        except (TypeError, ValueError):  # a null or a bad value: find each, row by row
            values[arg] = [
                _money_cell(a, c, i, arg, optional[arg], problems)
                for i, (a, c) in enumerate(zip(amounts, currencies, strict=True))
            ]
    records: list[T] = []
    args = list(values)
    columns = [values[a] for a in args]
    build: Callable[..., T] = _money_from_kwargs if cls is Money else cls
    for i, row in enumerate(zip(*columns, strict=True) if columns else ([()] * n)):
        if i in problems:
            continue
        try:
            records.append(build(**dict(zip(args, row, strict=True))))
        except (TypeError, ValueError) as exc:
            problems[i] = [_problem(exc, (i,), field_named=True)]
    if problems:
        found = [p for i in sorted(problems) for p in problems[i]]
        raise InvalidInput(found, subject="the Arrow table")
    return records


class _Reference:
    """The record-wise code, for the column-wise code to defer to (``_arrow_fast.Reference``)."""

    def __init__(self, pa: Any) -> None:
        self.pa = pa
        self.exact = True

    def plan(self, cls: type) -> _Plan:
        return _checked_plan(cls)

    def column(self, table: Any, name: str, expected: Any) -> Any:
        return _column(self.pa, table, name, expected)

    def read(
        self, column: Any, decode: Any, name: str, problems: dict[int, list[Problem]]
    ) -> list[Any]:
        return _read(self.pa, column, decode, name, problems)

    def rebuild(self, plan: _Plan, table: Any) -> list[Any]:
        self.exact = False
        return _rebuild(self.pa, plan, table, plan.cls)


def _problem(exc: Exception, path: tuple[Any, ...], *, field_named: bool = False) -> Problem:
    """The problem of a refused value, from the error's own structure (never its text).

    A :class:`~humanaid.errors.FieldError` says its code, its rule and whether the value
    is personal (then never shown); with ``field_named``, the path goes on to the field it
    names. Any other error keeps its message, at ``path``.
    """
    if isinstance(exc, FieldError):
        where = (*path, exc.field, *exc.at) if field_named and exc.field else (*path, *exc.at)
        return Problem(
            path=where, code=exc.code, message=exc.rule, got=None if exc.pii else exc.got
        )
    return Problem(path=path, code="invalid", message=str(exc))


_EPOCH: Final = date(1970, 1, 1).toordinal()


def _read(
    pa: Any,
    column: Any,
    decode: Callable[[Any], Any] | None,
    name: str,
    problems: dict[int, list[Problem]],
) -> list[Any]:
    """A column's values as Python values, decoded, with a problem for each bad one.

    ``to_pylist`` is slow for dictionaries, dates and decimals; they are read here by
    decoding each dictionary once, dates as day numbers and decimals from their text.
    """
    out: list[Any] = []
    types_ = pa.types
    offset = 0

    def bad(i: int, exc: Exception) -> None:
        problems.setdefault(i, []).append(_problem(exc, (i, name)))

    for chunk in column.chunks:
        t = chunk.type
        if types_.is_dictionary(t):
            words = _read(pa, pa.chunked_array([chunk.dictionary]), None, name, {})
            decoded: list[Any] = []
            failed: dict[int, Exception] = {}
            for k, w in enumerate(words):
                try:
                    decoded.append(w if decode is None or w is None else decode(w))
                except (TypeError, ValueError) as exc:
                    failed[k] = exc
                    decoded.append(None)
            for j, k in enumerate(chunk.indices.to_pylist()):
                if k in failed:
                    bad(offset + j, failed[k])
                out.append(None if k is None else decoded[k])
        else:
            raw: list[Any]
            if types_.is_date32(t):
                raw = _dates(chunk.cast(pa.int32()).to_pylist(), offset, bad)
            elif types_.is_decimal(t):
                raw = [
                    None if x is None else Decimal(x) for x in chunk.cast(pa.string()).to_pylist()
                ]
            else:
                raw = chunk.to_pylist()
            if decode is None:
                out.extend(raw)
            else:
                for j, v in enumerate(raw):
                    try:
                        out.append(None if v is None else decode(v))
                    except (TypeError, ValueError) as exc:
                        bad(offset + j, exc)
                        out.append(None)
        offset += len(chunk)
    return out


def _dates(days: list[Any], offset: int, bad: Callable[[int, Exception], None]) -> list[Any]:
    seen: dict[int, date] = {}
    out: list[Any] = []
    for j, d in enumerate(days):
        if d is None:
            out.append(None)
            continue
        hit = seen.get(d)
        if hit is None:
            try:
                hit = seen[d] = date.fromordinal(_EPOCH + d)
            except (ValueError, OverflowError):
                bad(offset + j, ValueError(f"day {d} after 1970-01-01 is not a date Python has"))
                out.append(None)
                continue
        out.append(hit)
    return out


def _money_from_kwargs(**kwargs: Any) -> Any:
    return kwargs[""]


def _money_cell(
    amount: Any,
    currency: Any,
    i: int,
    arg: str,
    optional: bool,
    problems: dict[int, list[Problem]],
) -> Money | None:
    prefix = f"{arg}." if arg else ""
    if amount is None and currency is None:
        if not optional:
            problems.setdefault(i, []).append(
                Problem(path=(i, prefix + "amount"), code="missing", message="is null but required")
            )
        return None
    if amount is None or currency is None:
        which = "amount" if amount is None else "currency"
        problems.setdefault(i, []).append(
            Problem(
                path=(i, prefix + which),
                code="missing",
                message="is null while the other half of the amount is not",
            )
        )
        return None
    try:
        return Money(amount, currency)
    except (TypeError, ValueError) as exc:
        half = exc.field if isinstance(exc, FieldError) and exc.field == "currency" else "amount"
        problems.setdefault(i, []).append(_problem(exc, (i, prefix + half)))
        return None
