"""Summaries over Arrow data, run by DuckDB, polars or Dask (extras of the same names).

:func:`scan` wraps columnar data (an in-memory ``pyarrow.Table``, a Parquet file, or a
directory of Parquet files partitioned by year and organisation, as
:func:`write_parquet_dataset` writes) as a source of records of one type. Hand it to
:func:`~humanaid.aggregate.tabulate`, or to any summary built on it
(:func:`~humanaid.fundraising_summary`, :func:`~humanaid.top_donors` ...), and the query
runs in the engine instead of a Python loop:

* the engine computes, per group, the same raw figures as the Python loop (counts, the
  set of distinct values, exact ``DECIMAL`` sums of money in the fen);
* the finishing steps (roll-ups, rounding-free cells, the order of rows) are those of
  :func:`~humanaid.aggregate.tabulate` itself, so the table is identical, row for row
  and to the fen, to the one the records give. One definition of each summary's groups
  and measures drives both paths: they cannot drift.

The engines:

* ``"duckdb"`` (default): one SQL query, streaming over the files, in bounded memory;
* ``"polars"``: one lazy query (``scan_parquet`` or ``from_arrow``);
* ``"dask"``: the query split by file (or by slices of an in-memory table), each part
  aggregated by DuckDB in a Dask task, the parts' figures merged exactly in Python. A
  query with distinct counts of one field, or a top-k (:func:`~humanaid.top_donors`), is
  hash-partitioned instead, on the counted field or on its key: each task reads every
  file and keeps the rows that hash to its part, so the parts' counts add up and each
  group lies whole in one part (no set of values comes back to be merged). Dask's
  scheduler runs the parts: threads by default, processes or a cluster with
  ``scheduler=`` (any value ``dask.compute`` takes).

What runs in the engine: keys that are field paths (a nested record's field as a dotted
path), :func:`~humanaid.aggregate.period_key`, :func:`~humanaid.aggregate.area_key` and
:func:`~humanaid.aggregate.lookup_key` (its index joined in the engine as a table of id
and value, where the values are plain); every measure; conditions built with
:func:`~humanaid.aggregate.field_is`, :func:`~humanaid.aggregate.field_between`,
:func:`~humanaid.aggregate.field_in`, :func:`~humanaid.aggregate.field_not_in`,
:func:`~humanaid.aggregate.field_not_empty`, :func:`~humanaid.aggregate.all_of` and
:func:`~humanaid.aggregate.any_of` (``OR``: one scan where two queries would read the data
twice). A
query with a Python function as a key, a measure's source or a condition cannot be
translated: the source then reads its records back (:func:`~humanaid.interop.arrow.from_arrow`,
a batch at a time) and runs the Python loop, with a :class:`ColumnarFallbackWarning`,
so the answer is the same, only slower.

:func:`scan_dataset` reads a whole dataset (as :func:`write_dataset_parquet` writes it)
as a :class:`~humanaid.Dataset` of columnar sources: its summaries run in the engine too
(see :doc:`/concepts/columnar` for what each one reads back).

>>> from datetime import date
>>> from humanaid import Donation, Money
>>> from humanaid.aggregate import count, tabulate, total
>>> from humanaid.interop.arrow import to_arrow
>>> gifts = [Donation(id=f"g{i}", organization_id="qj", received_on=date(2020, 1, i + 1),
...                   value=Money(v), channel=c, receipt_number=f"R{i}")
...          for i, (v, c) in enumerate([("100", "offline"), ("50.5", "offline"),
...                                      ("25", "bank_transfer")])]
>>> query = dict(by="channel", measures={"raised": total("value", currency="CNY"),
...                                      "gifts": count()})
>>> tabulate(scan(to_arrow(gifts), Donation), **query) == tabulate(gifts, **query)
True
>>> print(tabulate(scan(to_arrow(gifts), Donation, engine="polars"), **query))
channel           raised  gifts
-------------  --------  -----
offline          150.50元      2
bank_transfer     25.00元      1
"""

from __future__ import annotations

import enum
import functools
import itertools
import os
import threading
import types
import typing
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal, TypeVar, cast

import attrs

from humanaid._decimal import tidy
from humanaid._extras import import_extra
from humanaid.aggregate import (
    AllOf,
    AnyOf,
    FieldCondition,
    Key,
    NotEmpty,
    NotIn,
    all_of,
    count,
    field_between,
    field_in,
)
from humanaid.money import Money
from humanaid.periods import Granularity

__all__ = [
    "BOUNDED_MEMORY",
    "ENGINES",
    "ColumnarFallbackWarning",
    "ColumnarSource",
    "scan",
    "scan_dataset",
    "write_dataset_parquet",
    "write_parquet_dataset",
]

T = TypeVar("T")
Engine = Literal["duckdb", "polars", "dask"]
ENGINES: Final[tuple[str, ...]] = ("duckdb", "polars", "dask")
"""The engines :func:`scan` can hand a query to."""


def _require(module: str) -> Any:
    """Import an engine's module, or raise the error naming its extra.

    pyarrow comes with each engine's extra, so without it the error offers the three.
    """
    top = module.split(".")[0]
    if top == "pyarrow":
        return import_extra(
            module,
            "humanaid.interop.columnar",
            "duckdb",
            also="(or polars, or dask: each brings pyarrow)",
        )
    return import_extra(module, "humanaid.interop.columnar", top)


class ColumnarFallbackWarning(UserWarning):
    """A query had a Python function in it, so its records were read back and looped over."""


class _NotColumnar(Exception):
    """Raised while translating a query that has a part the engine cannot run."""


# -- what a field path reads in Arrow ------------------------------------------------------------


@attrs.frozen
class _Column:
    """A field path as the Arrow columns hold it.

    ``column`` is the top-level column, ``inner`` the fields inside a struct; ``python``
    the type of the value (an enum's values come back as text and are turned back).
    """

    column: str
    inner: tuple[str, ...]
    python: Any
    money: bool = False  # a top-level Money field: ".amount" and ".currency" columns
    # a property the engines compute from fields (_DERIVED): its SQL and its polars
    derived: tuple[Callable[..., str], Callable[[Any], Any]] | None = None


def _drive_sql(col: Callable[[str], str]) -> str:
    campaign, program, on = col("campaign_id"), col("program_id"), col("on")
    return (
        f"(CASE WHEN {campaign} IS NOT NULL THEN 'campaign:' || {campaign} "
        f"WHEN {program} IS NOT NULL THEN 'program:' || {program} || ':' || "
        f"CAST(year({on}) AS VARCHAR) END)"
    )


def _drive_pl(pl: Any) -> Any:
    campaign, program = pl.col("campaign_id"), pl.col("program_id")
    year = pl.col("on").dt.year().cast(pl.String)
    return (
        pl.when(campaign.is_not_null())
        .then(pl.lit("campaign:") + campaign)
        .when(program.is_not_null())
        .then(pl.lit("program:") + program + pl.lit(":") + year)
        .otherwise(pl.lit(None, pl.String))
    )


def _case_day_sql(statuses: Sequence[str] | None) -> Callable[[Callable[[str], str]], str]:
    """A case's first day of one of ``statuses`` in its history (``None``: its first event)."""

    def sql(col: Callable[[str], str]) -> str:
        history = col("history")
        if statuses is not None:
            listed = ", ".join(_lit(s) for s in statuses)
            history = (
                f"list_filter({history}, lambda e: "
                f"CAST(struct_extract(e, 'status') AS VARCHAR) IN ({listed}))"
            )
        return f"struct_extract(list_extract({history}, 1), 'on')"

    return sql


def _case_day_pl(statuses: Sequence[str] | None) -> Callable[[Any], Any]:
    """:func:`_case_day_sql` in polars (list expressions)."""

    def expr(pl: Any) -> Any:
        history = pl.col("history")
        if statuses is None:
            return history.list.first().struct.field("on")
        status = pl.element().struct.field("status").cast(pl.String)
        picked = pl.element().filter(status.is_in(list(statuses))).struct.field("on")
        return history.list.eval(picked).list.first()

    return expr


def _case_day(
    *statuses: str, first: bool = False
) -> tuple[Callable[..., str], Callable[[Any], Any]]:
    chosen = None if first else tuple(statuses)
    return (_case_day_sql(chosen), _case_day_pl(chosen))


_DERIVED: Final[Mapping[tuple[str, str], tuple[Callable[..., str], Callable[[Any], Any]]]] = {
    # Distribution.drive: "campaign:<id>", else "program:<id>:<year>", else None
    ("humanaid.cases.Distribution", "drive"): (_drive_sql, _drive_pl),
    # Case.opened_on, .approved_on, .served_on: the first event's day, the first approved
    # event's, the first event of a service status's (SERVICE_STATUSES), from the history
    ("humanaid.cases.Case", "opened_on"): _case_day(first=True),
    ("humanaid.cases.Case", "approved_on"): _case_day("approved"),
    ("humanaid.cases.Case", "served_on"): _case_day("in_treatment", "being_served", "served"),
}
"""Properties of records (not fields) that the engines compute, as SQL and as polars.

Each is the property's own definition written again for the engines; the law tests
(the columnar twins equal the Python loop) hold them to it.
"""


def _derived(cls: type, path: str) -> tuple[Callable[..., str], Callable[[Any], Any]] | None:
    return _DERIVED.get((f"{cls.__module__}.{cls.__qualname__}", path))


_DERIVED_TYPES: Final[Mapping[tuple[str, str], type]] = {
    ("humanaid.cases.Case", "opened_on"): date,
    ("humanaid.cases.Case", "approved_on"): date,
    ("humanaid.cases.Case", "served_on"): date,
}
"""The type of a derived property's values, where it is not text."""


@functools.cache
def _hints(cls: type) -> Mapping[str, Any]:
    """The type hints of ``cls``, worked out once a record type.

    (``typing.get_type_hints`` evaluates every annotation's text at each call.)
    """
    return types.MappingProxyType(typing.get_type_hints(cls))


def _strip_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


@functools.lru_cache(maxsize=1024)
def _resolve(cls: type, path: str) -> _Column:
    """How the field ``path`` of ``cls`` records is held in Arrow; worked out once a path.

    Raises:
        _NotColumnar: the path names no field the engines can read (not cached: raised
            again each time, as an ``lru_cache`` keeps only answers).
    """
    parts = path.split(".")
    top = parts[0]
    hints = _hints(cls) if attrs.has(cls) else {}
    computed = None if top in hints else _derived(cls, path)
    if computed is not None:
        python = _DERIVED_TYPES.get((f"{cls.__module__}.{cls.__qualname__}", path), str)
        return _Column(column=path, inner=(), python=python, derived=computed)
    if top not in hints:
        raise _NotColumnar(f"{cls.__name__} records have no field {top!r}")
    tp = _strip_optional(hints[top])
    if tp is Money:
        if len(parts) == 1:
            return _Column(column=top, inner=(), python=Money, money=True)
        if len(parts) == 2 and parts[1] in ("amount", "currency"):
            return _Column(
                column=f"{top}.{parts[1]}",
                inner=(),
                python=Decimal if parts[1] == "amount" else str,
            )
        raise _NotColumnar(f"money has no field {parts[1]!r} in {path!r}")
    inner: list[str] = []
    for part in parts[1:]:
        if not attrs.has(tp):
            raise _NotColumnar(f"{path!r} reads into a {tp!r}, which has no fields")
        sub = _hints(tp)
        if part not in sub:
            raise _NotColumnar(f"{tp.__name__} has no field {part!r} (in {path!r})")
        inner.append(part)
        tp = _strip_optional(sub[part])
        if tp is Money:
            raise _NotColumnar(f"{path!r} is money inside a record")
    return _Column(column=top, inner=tuple(inner), python=tp)


def _nested(tp: Any) -> Callable[[Any], Any] | None:
    """For a key that is a record or a tuple of records (a case's history): its decoder.

    The engine groups by the whole nested value and gives it back as dicts and lists;
    the codec of :mod:`humanaid.interop.arrow` makes the records again, so the key is the
    very value the record holds (and hashable, as the Python loop's key is).
    """
    is_tuple = typing.get_origin(tp) is tuple
    if not (is_tuple or (isinstance(tp, type) and attrs.has(tp))):
        return None
    from humanaid.interop.arrow import _codec

    codec, _ = _codec(_require("pyarrow"), tp, "key", ())
    decode = codec.decode
    if decode is None:
        return lambda v: None if v is None else (tuple(v) if is_tuple else v)
    return lambda v: None if v is None else decode(v)


def _python(tp: Any) -> Callable[[Any], Any]:
    """Turn a value the engine gives back into the value the record holds."""
    nested = _nested(tp)
    if nested is not None:
        return nested
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {m.value: m for m in tp}
        return lambda v: None if v is None else members.get(v, v)
    if tp is Decimal:
        return lambda v: None if v is None else tidy(Decimal(v))
    if tp is date:
        return lambda v: v.date() if hasattr(v, "date") and callable(v.date) else v
    return _same


def _same(v: Any) -> Any:
    return v


def _literal(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Money):
        raise _NotColumnar("a condition on money")
    return value


def _fitting(column: _Column, path: str, values: Iterable[Any]) -> None:
    """Raise _NotColumnar for a value an engine would compare otherwise than Python does.

    A value of another type than the field's (a number for a text, a datetime for a
    date), a text that is not UTF-8 (a lone surrogate), a decimal with more places than
    the column (DuckDB rounds it to them) or not finite: the engines refuse, cast or
    round it; Python's ``==`` and ``<=`` are then the answer.
    """
    from humanaid.interop.arrow import DECIMAL_SCALE, MONEY_SCALE

    places = MONEY_SCALE if "." in column.column else DECIMAL_SCALE  # "value.amount"
    tp = column.python
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        tp = str
    for v in values:
        if tp is str:
            ok = isinstance(v, str) and _utf8(v)
        elif tp is Decimal:
            ok = type(v) is Decimal and v.is_finite()
            ok = ok and -places <= int(v.as_tuple().exponent) and v.adjusted() < 38 - places
        else:
            ok = type(v) is tp or tp not in (int, bool, date)
        if v is not None and not ok:
            name = getattr(tp, "__name__", tp)
            raise _NotColumnar(f"the value {v!r} in a condition on {path!r} (a {name} field)")


def _utf8(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


# -- the query, as the engines see it -----------------------------------------------------------


@attrs.frozen
class _KeySpec:
    kind: str  # "field", "area", "year", "quarter", "month", "lookup", "joined", "currency"
    column: _Column
    look: Callable[[Any], Any] | None = None
    # "joined": the looked-up values as a table (id -> value) the engine joins, and the
    # engine's values back to the record's (an enum's member for its text)
    joined: Any = None
    back: Mapping[Any, Any] | None = None


@attrs.frozen
class _Cond:
    column: _Column
    values: tuple[Any, ...] | None
    low: Any
    high: Any
    negate: bool = False  # NOT IN the values (``None`` passes unless among them)
    filled: bool = False  # a list holding at least one item (low, high, values unused)


@attrs.frozen
class _Either(_Cond):
    """:func:`~humanaid.aggregate.any_of`: one of ``options`` holds, each a conjunction.

    Its ``column`` is its first option's (for code that names a condition's column);
    :func:`_cond_columns` gives every column it reads.
    """

    options: tuple[tuple[_Cond, ...], ...] = ()


def _cond_columns(conds: Iterable[_Cond]) -> Iterator[str]:
    """The top-level columns ``conds`` read (an :class:`_Either` 's options' too)."""
    for c in conds:
        if isinstance(c, _Either):
            for option in c.options:
                yield from _cond_columns(option)
        else:
            yield c.column.column


@attrs.frozen
class _MeasureSpec:
    what: str  # "count", "distinct", "total", "sum_of"
    column: _Column | None
    currency: str | None
    where: tuple[_Cond, ...]
    label: str


@attrs.frozen
class _Query:
    keys: tuple[_KeySpec, ...]
    measures: tuple[_MeasureSpec, ...]
    where: tuple[_Cond, ...]

    @property
    def merges(self) -> bool:
        """Whether groups of the engine may be merged afterwards (so distinct needs sets).

        An area rolls up into the areas above it, a quarter gathers three months, and a
        value looked up in Python may be shared by many ids: their groups meet, and a
        value counted in two of them must count once. (A lookup the engine joins groups by
        the looked-up value itself: nothing meets afterwards.)
        """
        return any(k.kind in ("area", "lookup", "quarter") for k in self.keys)

    @property
    def lookups(self) -> dict[str, Any]:
        """The tables of looked-up values the engine joins, by name."""
        return {f"humanaid_lk{i}": k.joined for i, k in enumerate(self.keys) if k.kind == "joined"}


class _Counted:
    """A distinct count made by the engine, where no group is merged with another.

    Or merged only with the same group of another Dask part of a query hash-partitioned
    on the counted field (:func:`_hash_column`): the parts hold disjoint sets of its
    values, so the union of two counts is their sum.
    """

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __or__(self, other: _Counted) -> _Counted:
        return _Counted(self.n + other.n)


def _condition(cls: type, cond: object, *, derived: bool = False) -> tuple[_Cond, ...]:
    """A condition (or several, :func:`~humanaid.aggregate.all_of`) in the engines' terms.

    With ``derived``, a condition may test a derived property (``_DERIVED``): for a
    query that only the engines run (:func:`_query`), never for rows that pyarrow
    filters (:func:`_pa_mask` has no such column).
    """
    if cond is None:
        return ()
    if isinstance(cond, AllOf):
        return tuple(c for part in cond.conditions for c in _condition(cls, part, derived=derived))
    if isinstance(cond, AnyOf):
        options = tuple(_condition(cls, part, derived=derived) for part in cond.conditions)
        first = options[0][0].column  # (each option is a condition: at least one term)
        return (_Either(column=first, values=None, low=None, high=None, options=options),)
    path = getattr(cond, "path", None)
    if isinstance(path, str) and not derived and _resolve(cls, path).derived is not None:
        # (pyarrow filters too, where an engine's rows are read back: it has no such column)
        raise _NotColumnar(f"the condition {cond!r} tests a property, not a field")
    if isinstance(cond, NotEmpty):
        column = _resolve(cls, cond.path)
        if typing.get_origin(column.python) is not tuple:
            raise _NotColumnar(f"the condition {cond!r} tests a field that is not a list")
        return (_Cond(column=column, values=None, low=None, high=None, filled=True),)
    if isinstance(cond, NotIn):
        column = _resolve(cls, cond.path)
        if column.money:
            raise _NotColumnar(f"the condition {cond!r} tests money")
        values = tuple(sorted((_literal(v) for v in cond.values), key=repr))
        _fitting(column, cond.path, values)
        return (_Cond(column=column, values=values, low=None, high=None, negate=True),)
    if not isinstance(cond, FieldCondition):
        raise _NotColumnar(f"the condition {cond!r} is a Python function")
    column = _resolve(cls, cond.path)
    if column.money:
        raise _NotColumnar(f"the condition {cond!r} tests money")
    listed = None if cond.values is None else tuple(_literal(v) for v in cond.values)
    _fitting(column, cond.path, (*(listed or ()), _literal(cond.low), _literal(cond.high)))
    return (_Cond(column=column, values=listed, low=_literal(cond.low), high=_literal(cond.high)),)


_PLAIN: Final = (str, int, date)


class _ArrowIndex(Mapping[Any, Any]):
    """A lookup index held as two Arrow columns: ids, and the value each one looks up.

    :func:`~humanaid.aggregate.lookup_key` over it (with its ``field``) is joined by the
    engines as it is, with no Python a row or an id; where a query falls back to the
    Python loop, it reads as a mapping from id to an object holding the value under
    ``field`` (built on first use).
    """

    def __init__(self, ids: Any, values: Any, field: str) -> None:
        pa = _require("pyarrow")
        self._table: Any = pa.table({"id": ids.cast(pa.string()), "value": values})
        self.field = field
        self._by_id: dict[Any, Any] | None = None

    @property
    def table(self) -> Any:
        """The index as an Arrow table: ``id``, ``value``."""
        return self._table

    def _index(self) -> dict[Any, Any]:
        if self._by_id is None:
            ids = self.table.column("id").to_pylist()
            values = self.table.column("value").to_pylist()
            self._by_id = {}
            for ref, value in zip(ids, values, strict=True):
                self._by_id.setdefault(ref, types.SimpleNamespace(**{self.field: value}))
        return self._by_id

    def __getitem__(self, ref: Any) -> Any:
        return self._index()[ref]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._index())

    def __len__(self) -> int:
        return len(self._index())


class _HouseholdSizes(_ArrowIndex):
    """Households' sizes the engine computes inside the query that joins them.

    :meth:`ColumnarSource.household_sizes` over Parquet files: the sizes are not computed
    here but by the engine, in the plan of the query that groups by them (one query, one
    read of each file's footer, no table handed back and forth). As a mapping (the Python
    loop, a missing household's message) or as :attr:`table` they are computed on first
    use with pyarrow, as before.
    """

    def __init__(self, homes: ColumnarSource, persons: ColumnarSource | None) -> None:
        self.homes = homes
        self.persons = persons
        self.field = "size"
        self._by_id = None
        self._table = None
        # the conditions of each source, in the engines' terms (checked here: a source
        # whose conditions the engines cannot run is not deferred, see household_sizes)
        self._home_conds = _condition(homes.record_type, all_of(*homes.where))
        self._people_conds = (
            () if persons is None else _condition(persons.record_type, all_of(*persons.where))
        )

    @property
    def table(self) -> Any:
        if self._table is None:
            pa = _require("pyarrow")
            people = (
                pa.table({"id": pa.nulls(0, pa.string()), "household_id": pa.nulls(0, pa.string())})
                if self.persons is None
                else self.persons._columns(("id", "household_id"))
            )
            ids, sizes = _sizes_of(self.homes._columns(("id", "members")), people)
            self._table = pa.table({"id": ids.cast(pa.string()), "value": sizes})
        return self._table

    def duckdb_sql(self, key: str, value: str) -> str:
        """The sizes as one SELECT (``key``: the household's id, ``value``: its size).

        The first row of an id wins: the rows are numbered by file (in the source's order)
        and by row within the file, and each id keeps the value of its lowest number.
        """

        def first(source: ColumnarSource, conds: tuple[_Cond, ...], field: str) -> str:
            files = [str(f) for f in source._data()]
            listed = ", ".join(_lit(f) for f in files)
            relation = (
                f"read_parquet([{listed}], hive_partitioning = false, union_by_name = true, "
                "filename = true, file_row_number = true)"
            )
            at = f"(list_position([{listed}], filename)::BIGINT << 40) + file_row_number"
            where = _sql_cond(conds)
            kept = f" WHERE {where}" if where else ""
            # (a struct: arg_min would skip a null value, and a first null must win)
            return (
                f"SELECT id, arg_min({{'v': {_q(field)}}}, {at})['v'] AS {_q(field)} "
                f"FROM {relation}{kept} GROUP BY id"
            )

        homes = first(self.homes, self._home_conds, "members")
        if self.persons is None:
            return f"SELECT id AS {_q(key)}, members::BIGINT AS {_q(value)} FROM ({homes})"
        people = first(self.persons, self._people_conds, "household_id")
        listed = (
            f"SELECT household_id AS id, count(*) AS listed FROM ({people}) "
            "WHERE household_id IS NOT NULL GROUP BY household_id"
        )
        return (
            f"SELECT h.id AS {_q(key)}, "
            f"greatest(h.members::BIGINT, coalesce(l.listed, 0)::BIGINT) AS {_q(value)} "
            f"FROM ({homes}) AS h LEFT JOIN ({listed}) AS l ON h.id = l.id"
        )

    def polars_frame(self, key: str, value: str) -> Any:
        """The sizes as a polars lazy frame (``key``, ``value``), for the query to join.

        Polars keeps the rows' order within each group, so ``first()`` is the first row.
        """
        pl = _require("polars")

        def first(source: ColumnarSource, conds: tuple[_Cond, ...], field: str) -> Any:
            frame = source._polars_frame()
            cond = _pl_cond(pl, conds)
            frame = frame if cond is None else frame.filter(cond)
            ids = pl.col("id").cast(pl.String)
            return frame.group_by(ids).agg(pl.col(field).first())

        homes = first(self.homes, self._home_conds, "members")
        size = pl.col("members").cast(pl.Int64)
        if self.persons is not None:
            people = first(self.persons, self._people_conds, "household_id")
            listed = (
                people.filter(pl.col("household_id").is_not_null())
                .group_by(pl.col("household_id").cast(pl.String).alias("id"))
                .agg(pl.len().cast(pl.Int64).alias("listed"))
            )
            homes = homes.join(listed, on="id", how="left")
            size = pl.max_horizontal(size, pl.col("listed").fill_null(0))
        return homes.select(pl.col("id").alias(key), size.alias(value))


def _sizes_of(homes: Any, people: Any) -> tuple[Any, Any]:
    """Households' ids and sizes from their (``id``, ``members``) and the persons' two columns."""
    pa = _require("pyarrow")
    pc = _require("pyarrow.compute")
    homes = _first_per_id(homes, "members")
    people = _first_per_id(people, "household_id")
    people = people.filter(pc.is_valid(people.column("household_id")))
    listed = _grouped_count(people, "household_id", "id").rename_columns(["id", "listed"])
    joined = homes.join(listed, keys="id", join_type="left outer", use_threads=False)
    # (the join keeps no order; the index is by id, and each id is once in ``homes``;
    # a household with no listed member has a null count, which the maximum skips)
    members = joined.column("members").cast(pa.int64())
    sizes = pc.max_element_wise(members, joined.column("listed").cast(pa.int64()))
    return joined.column("id"), sizes


def _first_per_id(table: Any, value: str) -> Any:
    """``table`` (``id``, ``value``) keeping the first row of each id, as an index keeps it."""
    pc = _require("pyarrow.compute")
    first = pc.ScalarAggregateOptions(skip_nulls=False)
    out = table.group_by("id", use_threads=False).aggregate([(value, "first", first)])
    return out.rename_columns(["id", value])


def _grouped_count(table: Any, key: str, counted: str) -> Any:
    return table.group_by(key, use_threads=False).aggregate([(counted, "count")])


def _lookup_table(at: int, col: _Column, key: Any) -> tuple[Any, dict[Any, Any]] | None:
    """A lookup's index as a table of id -> looked-up value, for the engine to join.

    The engine then groups by the looked-up value itself (a donor's kind: a few groups),
    not by id (a hundred thousand donors, each looked up in Python). ``None`` when the
    ids are not text or a value is not plain (text, a number, a day, an enum member):
    the engine then groups by id and Python looks each one up, as before.
    """
    if col.python is not str:
        return None
    pa = _require("pyarrow")
    if isinstance(key.index, _HouseholdSizes) and key.field == key.index.field:
        return key.index, {}  # computed by the engine, inside the query
    if isinstance(key.index, _ArrowIndex) and key.field == key.index.field:
        held = key.index.table
        names = [f"humanaid_k{at}", f"humanaid_v{at}"]
        return held.rename_columns(names), {}
    look = key._looker()
    ids: list[str] = []
    values: list[Any] = []
    back: dict[Any, Any] = {}
    for ref in key.index:
        if not isinstance(ref, str):
            return None
        value = look(ref)
        plain = value.value if isinstance(value, enum.Enum) else value
        if plain is not None and (
            not isinstance(plain, _PLAIN) or isinstance(plain, bool | datetime)
        ):
            return None
        if back.setdefault(plain, value) != value:
            return None  # two values the engine would not tell apart
        ids.append(ref)
        values.append(plain)
    try:
        table = pa.table(
            {f"humanaid_k{at}": pa.array(ids, pa.string()), f"humanaid_v{at}": pa.array(values)}
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return table, back


def _query(cls: type, plan: Any, base: tuple[Any, ...] = ()) -> _Query:
    """Translate an aggregate plan into the engines' terms, or raise _NotColumnar.

    ``base`` are the source's own conditions (:meth:`ColumnarSource.narrowed`).
    """
    from humanaid import aggregate as agg

    keys: list[_KeySpec] = []
    for k in plan.keys:
        if isinstance(k, agg._CurrencyKey):
            col = _resolve(cls, str(k.source)) if isinstance(k.source, str) else None
            if col is None or not col.money:
                raise _NotColumnar(f"rows split by the currency of {k.source!r}")
            keys.append(_KeySpec(kind="currency", column=col))
            continue
        if not isinstance(k.source, str):
            raise _NotColumnar(f"the key {k.name!r} is a Python function")
        col = _resolve(cls, k.source)
        if col.money:
            raise _NotColumnar(f"the key {k.name!r} groups by money")
        if isinstance(k, agg._PeriodKey):
            kind = {Granularity.YEAR: "year", Granularity.QUARTER: "quarter"}.get(
                k.granularity, "month"
            )
            keys.append(_KeySpec(kind=kind, column=col))
        elif isinstance(k, agg._LookupKey):
            joined = _lookup_table(len(keys), col, k)
            if joined is not None:
                table, back = joined
                keys.append(_KeySpec(kind="joined", column=col, joined=table, back=back))
            else:
                keys.append(_KeySpec(kind="lookup", column=col, look=k._looker()))
        elif type(k) is Key:
            keys.append(_KeySpec(kind="field", column=col))
        elif isinstance(k, agg._AreaKey):
            keys.append(_KeySpec(kind="area", column=col))
        else:
            raise _NotColumnar(f"the key {k.name!r} ({type(k).__name__})")
    measures: list[_MeasureSpec] = []
    for name, m in zip(plan.names, plan.measures, strict=True):
        col = None
        if m.source is not None:
            if not isinstance(m.source, str):
                raise _NotColumnar(f"the measure {name!r} reads a Python function")
            col = _resolve(cls, m.source)
            if m.what.value == "total" and not col.money:
                raise _NotColumnar(f"the measure {name!r} adds up a field that is not money")
        measures.append(
            _MeasureSpec(
                what=m.what.value,
                column=col,
                currency=m.currency,
                where=_condition(cls, m.where, derived=True),
                label=f"measure {name!r} ({m!r})",
            )
        )
    where = _condition(cls, all_of(*base, plan.where), derived=True)
    return _Query(keys=tuple(keys), measures=tuple(measures), where=where)


# -- DuckDB ------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_col(col: _Column, part: str | None = None) -> str:
    if col.derived is not None:
        return col.derived[0](_q)
    if col.money:
        return _q(f"{col.column}.{part or 'amount'}")
    out = _q(col.column)
    for inner in col.inner:
        out = f"struct_extract({out}, '{inner}')"
    return out


def _lit(value: object) -> str:
    """A literal in SQL text (no parameters: one condition may appear twice)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _NotColumnar(f"the value {value!r} in a condition")
        return f"{value:f}"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        text = "'" + value.replace("'", "''") + "'"
        # the query's relation replaces "{relation}" in the text: no literal may hold it
        return text if "{" not in text else "(" + text.replace("{", "{' || '") + ")"
    raise _NotColumnar(f"the value {value!r} ({type(value).__name__}) in a condition")


_INLINE: Final = 16
"""Up to this many values, ``IN (a, b ...)``; more, ``IN (SELECT unnest([...]))``."""


def _sql_one(c: _Cond) -> str:
    if isinstance(c, _Either):
        # (each option true or false, never NULL: the OR means what Python's ``any`` does)
        return "(" + " OR ".join(f"coalesce({_sql_cond(o)}, FALSE)" for o in c.options) + ")"
    col = _sql_col(c.column)
    if c.filled:
        return f"(coalesce(len({col}), 0) > 0)"
    if c.values is not None:
        real = [v for v in c.values if v is not None]
        nulls = len(real) < len(c.values)
        listed = None
        if len(real) > _INLINE:  # many ids: a hash semi-join, not a chain of comparisons
            listed = f"{col} IN (SELECT unnest([{', '.join(_lit(v) for v in real)}]))"
        elif real:
            listed = f"{col} IN ({', '.join(_lit(v) for v in real)})"
        if c.negate:
            # Python's ``value not in values``: None passes unless it is among them
            parts = [f"{col} IS NOT NULL" if nulls else f"{col} IS NULL"]
            if listed is not None:
                parts.append(f"NOT ({listed})")
                return f"({parts[0]} {'AND' if nulls else 'OR'} {parts[1]})"
            return "TRUE" if not nulls else f"({parts[0]})"
        parts = [] if listed is None else [listed]
        if nulls:
            parts.append(f"{col} IS NULL")
        return "(" + " OR ".join(parts) + ")" if parts else "FALSE"
    return f"({col} BETWEEN {_lit(c.low)} AND {_lit(c.high)})"


def _sql_cond(conds: tuple[_Cond, ...]) -> str | None:
    if not conds:
        return None
    return " AND ".join(_sql_one(c) for c in conds)


def _both(*conds: str | None) -> str | None:
    real = [c for c in conds if c]
    return " AND ".join(real) if real else None


def _filtered(agg: str, cond: str | None) -> str:
    return agg if cond is None else f"{agg} FILTER (WHERE {cond})"


def _shared_distinct(q: _Query) -> _Column | None:
    """The column of a query's distinct counts, where they are better counted in two levels.

    Two or more distinct counts of one column (the screenings' persons and positive
    persons) each build a hash set of their own in ``count(DISTINCT ...)``; grouped first
    by the keys and that column, then by the keys, they share one grouping (DuckDB only:
    polars' ``n_unique`` is cheaper in one). A single distinct count is left as it is (the
    fundraising query's distinct donors were measured slower in two levels), as is a
    query with measures other than counts.
    """
    distinct = [m for m in q.measures if m.what == "distinct"]
    if len(distinct) < 2 or any(m.what not in ("count", "distinct") for m in q.measures):
        return None
    cols = {_sql_col(m.column): m.column for m in distinct if m.column is not None}
    return next(iter(cols.values())) if len(cols) == 1 else None


def _duckdb_two_level(q: _Query, relation: str, col: _Column) -> tuple[str, list[str]]:
    """:func:`_duckdb_sql` with its distinct counts of ``col`` counted in two levels.

    The inner query groups by the keys and ``col``: each count measure counts its rows
    there (added up outside), each distinct measure notes whether any row of the value
    meets its condition (the value counts once outside, where it did and is not null).
    """
    inner, group, shape, relation = _sql_keys(q, relation)
    outer = list(group)
    for j, m in enumerate(q.measures):
        cond = _sql_cond(m.where)
        if m.what == "count":
            inner.append(_filtered("count(*)", cond) + f" AS c{j}")
            outer.append(f"coalesce(CAST(sum(c{j}) AS BIGINT), 0) AS m{j}")
            shape.append("count")
        else:
            inner.append(f"bool_or({cond or 'TRUE'}) AS b{j}")
            outer.append(f"count(*) FILTER (WHERE b{j} AND humanaid_d IS NOT NULL) AS m{j}")
            shape.append("distinct")
    text = f"SELECT {', '.join([*inner, f'{_sql_col(col)} AS humanaid_d'])} FROM {relation}"
    where = _sql_cond(q.where)
    if where:
        text += f" WHERE {where}"
    text += f" GROUP BY {', '.join([*group, 'humanaid_d'])}"
    text = f"SELECT {', '.join(outer)} FROM ({text}) AS humanaid_i"
    if group:
        text += f" GROUP BY {', '.join(group)}"
    return text, shape


def _sql_keys(q: _Query, relation: str) -> tuple[list[str], list[str], list[str], str]:
    """The keys' SELECT items, their names (to group by), their shape, and the relation.

    (The relation as the keys need it: joined with each looked-up key's table.)
    """
    select: list[str] = []
    group: list[str] = []
    shape: list[str] = []
    for i, k in enumerate(q.keys):
        if k.kind == "currency":
            expr = _sql_col(k.column, "currency")
        elif k.kind == "year":
            expr = f"year({_sql_col(k.column)})"
        elif k.kind in ("month", "quarter"):
            base = _sql_col(k.column)
            select.append(f"year({base}) AS k{i}y")
            group.append(f"k{i}y")
            shape.append("key")
            expr = f"month({base})"
        elif k.kind == "joined":
            expr = f"humanaid_lk{i}.humanaid_v{i}"
            relation += (
                f" LEFT JOIN humanaid_lk{i} ON {_sql_col(k.column)} = humanaid_lk{i}.humanaid_k{i}"
            )
        else:
            expr = _sql_col(k.column)
        select.append(f"{expr} AS k{i}")
        group.append(f"k{i}")
        shape.append("key")
    return select, group, shape, relation


def _duckdb_sql(q: _Query, relation: str, *, sets: bool) -> tuple[str, list[str]]:
    """The SELECT for a query, and what each output column holds."""
    if not sets:
        shared = _shared_distinct(q)
        if shared is not None:
            return _duckdb_two_level(q, relation, shared)
    select, group, shape, relation = _sql_keys(q, relation)
    for j, m in enumerate(q.measures):
        cond = _sql_cond(m.where)
        if m.what == "count":
            select.append(_filtered("count(*)", cond) + f" AS m{j}")
            shape.append("count")
        elif m.what == "distinct":
            assert m.column is not None
            col = _sql_col(m.column)
            agg = f"list(DISTINCT {col})" if sets else f"count(DISTINCT {col})"
            select.append(_filtered(agg, _both(cond, f"{col} IS NOT NULL")) + f" AS m{j}")
            shape.append("distinct")
        elif m.what == "total":
            assert m.column is not None
            amount = _sql_col(m.column, "amount")
            select.append(_filtered(f"sum({amount})", cond) + f" AS m{j}")
            shape.append("total")
            if m.currency is not None:
                cur = _sql_col(m.column, "currency")
                wrong = f"{cur} <> {_lit(m.currency)} AND {amount} IS NOT NULL"
                agg = f"min({cur}) FILTER (WHERE {_both(cond, wrong)})"
                select.append(f"{agg} AS w{j}")
                shape.append("wrong")
        else:
            assert m.column is not None
            col = _sql_col(m.column)
            select.append(_filtered(f"sum({col})", cond) + f" AS m{j}")
            shape.append("sum")
    text = f"SELECT {', '.join(select)} FROM {relation}"
    where = _sql_cond(q.where)
    if where:
        text += f" WHERE {where}"
    if group:
        text += f" GROUP BY {', '.join(group)}"
    return text, shape


def _cut(q: _Query, largest: object) -> tuple[int, int] | None:
    """Which measure and how many groups a query keeps, when its engine may cut at all.

    Only for a query grouped by plain fields (every engine group a table row, nothing
    merged afterwards) whose measure is a total in one currency.
    """
    if largest is None or not q.keys:
        return None
    j, k = cast("tuple[int, int]", largest)
    m = q.measures[j]
    if m.what != "total" or m.currency is None or any(key.kind != "field" for key in q.keys):
        return None
    return j, k


def _duckdb_largest(q: _Query, sql: str, j: int, k: int) -> str:
    """``sql`` keeping the groups whose total ``m{j}`` is among the ``k`` largest (ties kept).

    Groups with a ``None`` key or no total, and groups that met another currency, are
    kept too: the caller drops the first, and the last must raise as without the cut.
    """
    m = f"m{j}"
    keep = [f"{m} IS NULL", f"w{j} IS NOT NULL"] + [f"k{i} IS NULL" for i in range(len(q.keys))]
    least = (
        f"SELECT min({m}) FROM (SELECT {m} FROM humanaid_g WHERE {m} IS NOT NULL "
        f"ORDER BY {m} DESC LIMIT {int(k)})"
    )
    keep.append(f"{m} >= ({least})")
    return f"WITH humanaid_g AS ({sql}) SELECT * FROM humanaid_g WHERE " + " OR ".join(keep)


def _pl_largest(pl: Any, q: _Query, j: int, k: int) -> Any:
    """The polars twin of :func:`_duckdb_largest`'s condition."""
    m = pl.col(f"m{j}")
    keep = m.is_null() | pl.col(f"w{j}").is_not_null()
    for i in range(len(q.keys)):
        keep = keep | pl.col(f"k{i}").is_null()
    least = m.drop_nulls().sort(descending=True).head(int(k)).min()
    return keep | (m >= least).fill_null(False)


# -- the engines' rows, as the Python loop's groups ----------------------------------------------


def _pair(v: Sequence[Any]) -> Any:
    return (v[0], v[1])


def _first(v: Sequence[Any]) -> Any:
    return v[0]


def _converted(conv: Callable[[Any], Any]) -> Callable[[Sequence[Any]], Any]:
    return lambda v: conv(v[0])


def _looked(conv: Callable[[Any], Any], look: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda v: look(conv(v))


def _back(values: Mapping[Any, Any]) -> Callable[[Sequence[Any]], Any]:
    return lambda v: None if v[0] is None else values.get(v[0], v[0])


def _key_readers(q: _Query) -> list[tuple[int, Callable[[Sequence[Any]], Any]]]:
    """For each key, how many output columns it takes and how they become its raw value."""
    out: list[tuple[int, Callable[[Sequence[Any]], Any]]] = []
    for k in q.keys:
        if k.kind in ("month", "quarter"):
            out.append((2, _pair))
        elif k.kind in ("year", "currency"):
            out.append((1, _first))
        elif k.kind == "joined":
            assert k.back is not None
            out.append((1, _back(k.back)))
        elif k.kind == "lookup":
            conv = _python(k.column.python)
            look = k.look
            assert look is not None
            out.append((1, _converted(_looked(conv, look))))
        else:
            conv = _python(k.column.python)
            out.append((1, _first if conv is _same else _converted(conv)))
    return out


def _groups(q: _Query, plan: Any, rows: Iterable[Sequence[Any]]) -> dict[Any, list[Any]]:
    """The engine's rows as the raw groups of :func:`~humanaid.aggregate.tabulate`'s loop."""
    from humanaid.errors import CurrencyMismatch

    readers = _key_readers(q)
    convs = [None if m.column is None else _python(m.column.python) for m in q.measures]
    groups: dict[Any, list[Any]] = {}
    for row in rows:
        at = 0
        parts: list[Any] = []
        for width, read in readers:
            parts.append(read(row[at : at + width]))
            at += width
        key: Any = () if not parts else parts[0] if len(parts) == 1 else tuple(parts)
        state: list[Any] = []
        for m, conv in zip(q.measures, convs, strict=True):
            value = row[at]
            at += 1
            if m.what == "count":
                state.append(int(value or 0))
            elif m.what == "distinct":
                assert conv is not None
                if isinstance(value, int):
                    state.append(_Counted(value))
                else:
                    state.append({conv(v) for v in value or ()})
            elif m.what == "total":
                state.append(Decimal(0) if value is None else Decimal(value))
                if m.currency is not None:
                    wrong = row[at]
                    at += 1
                    if wrong is not None:
                        raise CurrencyMismatch(
                            f"{m.label} adds {m.currency} amounts and met an amount in "
                            f"{wrong}; group by the currency (leave out currency=) or filter "
                            "the records"
                        )
            elif value is None:
                state += [0, None]
            elif isinstance(value, Decimal) and m.column is not None and m.column.python is Decimal:
                state += [0, tidy(value)]
            else:
                state += [int(value), None]
        into = groups.get(key)
        if into is None:
            groups[key] = state
        else:
            plan.merge(into, state)
    return groups


# -- where the data is ----------------------------------------------------------------------------


def _pa_mask(table: Any, conds: tuple[_Cond, ...]) -> Any:
    """The rows of an Arrow table that pass ``conds``, as a boolean array (None: all)."""
    pc = _require("pyarrow.compute")
    mask = None
    for c in conds:
        one = _pa_one(table, c)
        mask = one if mask is None else pc.and_(mask, one)
    return mask


def _pa_one(table: Any, c: _Cond) -> Any:
    """The rows of an Arrow table that pass one condition, as a boolean array."""
    pa = _require("pyarrow")
    pc = _require("pyarrow.compute")
    if isinstance(c, _Either):
        either = None
        for option in c.options:
            one = _pa_mask(table, option)
            either = one if either is None else pc.or_(either, one)
        return either
    col: Any = table.column(c.column.column)
    for inner in c.column.inner:
        col = pc.struct_field(col, inner)
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if c.filled:
        one = pc.fill_null(pc.greater(pc.list_value_length(col), 0), False)
    elif c.values is not None:
        real = [v for v in c.values if v is not None]
        nulls = len(real) < len(c.values)
        isnull = pc.is_null(col)
        if real:
            found = pc.is_in(col, value_set=pa.array(real, type=col.type))
            listed = pc.fill_null(found, False)
        else:
            listed = pc.and_(isnull, pc.invert(isnull))  # false everywhere
        if c.negate:
            one = pc.invert(listed)
            one = pc.and_(one, pc.invert(isnull)) if nulls else one
        else:
            one = pc.or_(listed, isnull) if nulls else listed
    else:
        low, high = (pa.scalar(v, type=col.type) for v in (c.low, c.high))
        one = pc.fill_null(pc.and_(pc.greater_equal(col, low), pc.less_equal(col, high)), False)
    return one


def _runs(batches: Iterable[Any], rows: int) -> Iterator[list[Any]]:
    """Consecutive record batches of one schema, in runs of at most ``rows`` rows.

    A batch larger than ``rows`` is a run of its own; the order is the batches'.
    """
    run: list[Any] = []
    held = 0
    for batch in batches:
        if run and (held + batch.num_rows > rows or not batch.schema.equals(run[0].schema)):
            yield run
            run, held = [], 0
        run.append(batch)
        held += batch.num_rows
    if run:
        yield run


def _is_arrow_table(data: object) -> bool:
    return type(data).__module__.startswith("pyarrow") and hasattr(data, "schema")


def _parquet_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*.parquet")
            if not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
        )
        if not files:
            raise FileNotFoundError(f"no Parquet files under {str(path)!r}")
        return files
    if not path.exists():
        raise FileNotFoundError(f"no such Parquet file or directory: {str(path)!r}")
    return [path]


def _duckdb_relation(files: Sequence[Path]) -> str:
    names = ", ".join(_lit(str(f)) for f in files)
    return f"read_parquet([{names}], hive_partitioning = false, union_by_name = true)"


def _connect(settings: Mapping[str, Any] | None) -> Any:
    """A DuckDB connection with ``settings`` (``scan(..., duckdb_settings=)``), for every read.

    Raises:
        duckdb.Error: of the kind DuckDB raised, naming the setting it refused and its
            value, when a setting is unknown to DuckDB or its value is refused.
    """
    duckdb = _require("duckdb")
    if not settings:
        return duckdb.connect()
    try:
        return duckdb.connect(config=dict(settings))
    except duckdb.Error as exc:
        for name, value in settings.items():  # which one: each alone
            try:
                duckdb.connect(config={name: value}).close()
            except duckdb.Error as alone:
                raise type(alone)(
                    f"duckdb_settings: DuckDB refused the setting {name!r} = {value!r}: {alone}"
                ) from None
        refused = f"duckdb_settings: DuckDB refused the settings {dict(settings)!r}: {exc}"
        raise type(exc)(refused) from None


def _run_duckdb(
    sql_of: Callable[[str], str],
    data: Any,
    settings: Mapping[str, Any] | None = None,
    lookups: Mapping[str, Any] | None = None,
    shared: _Shared | None = None,
) -> list[tuple[Any, ...]]:
    """The rows of one query, on a cursor of the process's connection (:func:`_process_cursor`)."""
    con = _process_cursor(settings) if shared is None else shared.cursor(settings)
    try:
        for name, table in (lookups or {}).items():
            if isinstance(table, _HouseholdSizes):  # the engine computes it in the query
                at = name.removeprefix("humanaid_lk")
                sql = table.duckdb_sql(f"humanaid_k{at}", f"humanaid_v{at}")
                con.execute(f"CREATE TEMP VIEW {name} AS {sql}")
            else:
                con.register(name, table)
        if _is_arrow_table(data):
            con.register("humanaid_source", data)
            text = sql_of("humanaid_source")
        else:
            text = sql_of(_duckdb_relation(data))
        return [tuple(r) for r in con.execute(text).fetchall()]
    finally:
        con.close()


def _packed(files: Sequence[Path], rows: int) -> list[list[Path]]:
    """The files in runs of about ``rows`` rows (a file is never split): one task each."""
    pq = _require("pyarrow.parquet")
    parts: list[list[Path]] = []
    held = 0
    for f in files:
        n = pq.ParquetFile(f).metadata.num_rows
        if not parts or held + n > rows:
            parts.append([])
            held = 0
        parts[-1].append(f)
        held += n
    return parts


def _dask_part(
    sql: str,
    data: Any,
    settings: Mapping[str, Any] | None = None,
    lookups: Mapping[str, Any] | None = None,
    share: tuple[str, int, int] | None = None,
    shared: _Shared | None = None,
) -> list[tuple[Any, ...]]:
    """One Dask task: the query over one file (or one slice of a table), by DuckDB.

    With ``share`` (an expression, how many parts, which one): over the rows whose
    expression hashes to that part, of all of ``data`` (hash partitioning).
    """

    def sql_of(relation: str) -> str:
        if share is not None:
            expr, parts, at = share
            kept = f"coalesce(hash({expr}) % {int(parts)}, 0) = {int(at)}"
            relation = f"(SELECT * FROM {relation} WHERE {kept}) AS humanaid_part"
        return sql.replace("{relation}", relation)

    return _run_duckdb(sql_of, data, settings, lookups, shared)


def _hash_column(q: _Query, cut: tuple[int, int] | None) -> _Column | None:
    """The column a Dask query is hash-partitioned on, so that its parts merge exactly.

    With a cut (the groups whose total is among the k largest), the first key: each
    group then lies whole in one part, so each part's own top k holds every group of the
    top k of all. Else, where the query has distinct counts and no group is merged
    afterwards: the field they count, if they all count one (each part then holds
    values the others do not, and the counts add up), else a key field (whole groups).
    ``None``: the files are split as they are, and distinct counts merge as sets.
    """
    if cut is not None:
        return q.keys[0].column
    counted = [m.column for m in q.measures if m.what == "distinct" and m.column is not None]
    if not counted or q.merges:
        return None
    if all(c == counted[0] for c in counted):
        return counted[0]
    whole = [k.column for k in q.keys if k.kind == "field"]
    return whole[0] if whole else None


# -- polars ----------------------------------------------------------------------------------------


def _pl_col(pl: Any, col: _Column, part: str | None = None) -> Any:
    if col.derived is not None:
        return col.derived[1](pl)
    if col.money:
        return pl.col(f"{col.column}.{part or 'amount'}")
    expr = pl.col(col.column)
    for inner in col.inner:
        expr = expr.struct.field(inner)
    return expr


def _pl_value(pl: Any, value: object, col: _Column) -> Any:
    return pl.lit(value)  # a bare text would name a column


def _pl_one(pl: Any, c: _Cond) -> Any:
    if isinstance(c, _Either):
        return pl.any_horizontal([_pl_cond(pl, o) for o in c.options])
    col = _pl_col(pl, c.column)
    if c.filled:
        return (col.list.len() > 0).fill_null(False)
    if c.values is not None:  # (an enum's column compared as held: categorical or text)
        real = [v for v in c.values if v is not None]
        nulls = len(real) < len(c.values)
        listed = col.is_in(real).fill_null(False) if real else pl.lit(False)
        if c.negate:
            return (~listed) & (col.is_not_null() if nulls else pl.lit(True))
        return listed | col.is_null() if nulls else listed
    if isinstance(c.column.python, type) and issubclass(c.column.python, enum.Enum):
        col = col.cast(pl.String)  # (ordered as text, not as a categorical's codes)
    low, high = (_pl_value(pl, v, c.column) for v in (c.low, c.high))
    return col.is_between(low, high).fill_null(False)


def _pl_plain(pl: Any, dtype: Any) -> Any:
    """``dtype`` with its categoricals as text, for a key that is a list of structs.

    Polars can panic grouping by a list of structs that holds a categorical (a case's
    history); the same values as text group the same.
    """
    if isinstance(dtype, pl.Categorical | pl.Enum) or dtype in (pl.Categorical, pl.Enum):
        return pl.String
    if isinstance(dtype, pl.List):
        return pl.List(_pl_plain(pl, dtype.inner))
    if isinstance(dtype, pl.Struct):
        return pl.Struct({f.name: _pl_plain(pl, f.dtype) for f in dtype.fields})
    return dtype


def _pl_cond(pl: Any, conds: tuple[_Cond, ...]) -> Any:
    out = None
    for c in conds:
        out = _pl_and(out, _pl_one(pl, c))
    return out


def _pl_and(a: Any, b: Any) -> Any:
    if a is None:
        return b
    if b is None:
        return a
    return a & b


def _polars_rows(
    q: _Query, frame: Any, cut: tuple[int, int] | None = None
) -> list[tuple[Any, ...]]:
    pl = _require("polars")
    keys: list[Any] = []
    for i, k in enumerate(q.keys):
        if k.kind == "currency":
            keys.append(_pl_col(pl, k.column, "currency").cast(pl.String).alias(f"k{i}"))
        elif k.kind == "year":
            keys.append(_pl_col(pl, k.column).dt.year().cast(pl.Int64).alias(f"k{i}"))
        elif k.kind in ("month", "quarter"):
            base = _pl_col(pl, k.column)
            keys.append(base.dt.year().cast(pl.Int64).alias(f"k{i}y"))
            keys.append(base.dt.month().cast(pl.Int64).alias(f"k{i}"))
        elif k.kind == "joined":
            looked = (
                k.joined.polars_frame(f"humanaid_k{i}", f"humanaid_v{i}")
                if isinstance(k.joined, _HouseholdSizes)
                else pl.from_arrow(k.joined).lazy()
            )
            frame = frame.join(
                looked, left_on=_pl_col(pl, k.column), right_on=f"humanaid_k{i}", how="left"
            )
            keys.append(pl.col(f"humanaid_v{i}").alias(f"k{i}"))
        else:
            col = _pl_col(pl, k.column)
            if isinstance(k.column.python, type) and issubclass(k.column.python, enum.Enum):
                pass  # grouped as held (categorical, or text): its values come back as text
            elif _nested(k.column.python) is not None and not k.column.inner:
                col = col.cast(_pl_plain(pl, frame.collect_schema()[k.column.column]))
            keys.append(col.alias(f"k{i}"))
    aggs: list[Any] = []
    for j, m in enumerate(q.measures):
        cond = _pl_cond(pl, m.where)
        if m.what == "count":
            aggs.append((pl.len() if cond is None else cond.sum()).alias(f"m{j}"))
            continue
        assert m.column is not None
        col = _pl_col(pl, m.column)
        if m.what == "distinct":
            if isinstance(m.column.python, type) and issubclass(m.column.python, enum.Enum):
                col = col.cast(pl.String)
            # (drop_nulls: polars' group-wise fast path; a filter on not-null is ~2x slower)
            picked = col.drop_nulls() if cond is None else col.filter(cond).drop_nulls()
            distinct = picked.unique().implode() if q.merges else picked.n_unique()
            aggs.append(distinct.alias(f"m{j}"))
        elif m.what == "total":
            picked = col if cond is None else col.filter(cond)
            aggs.append(picked.sum().alias(f"m{j}"))
            if m.currency is not None:  # (compared as held, categorical: cast only the few)
                cur = _pl_col(pl, m.column, "currency")
                wrong = (cur != m.currency) & col.is_not_null()
                picked = cur.filter(_pl_and(cond, wrong)).cast(pl.String)
                aggs.append(picked.min().alias(f"w{j}"))
        else:
            picked = col if cond is None else col.filter(cond)
            aggs.append(
                pl.when(picked.count() > 0).then(picked.sum()).otherwise(None).alias(f"m{j}")
            )
    where = _pl_cond(pl, q.where)
    lazy = frame if where is None else frame.filter(where)
    # (two distinct counts of one field stay in one grouping here, unlike DuckDB's
    # _duckdb_two_level: polars' n_unique measured cheaper so, the screenings' 0.83x)
    out = lazy.group_by(keys).agg(aggs).collect() if keys else lazy.select(aggs).collect()
    if cut is not None:
        out = out.filter(_pl_largest(pl, q, *cut))
    rows = out.rows()
    return [tuple(r) for r in rows]


_BREAKDOWNS: Final = ((False, False), (True, True), (True, False), (False, True))
"""Which of a cell's rows make its figure: (sex given, age group given), first held wins.

A cell's figure is its undisaggregated total, else its breakdown by sex and age group,
else by sex, else by age group (as :func:`~humanaid.indicator_totals` takes it): DuckDB
adds up each kind's rows and takes the first sum held, in this order; polars ranks each
row by its place here and adds up the rows of the cell's lowest rank (0.7x of the four
sums there; DuckDB's ranking measured no faster than its four sums).
"""


def _duckdb_rollups(cols: Mapping[str, _Column], conds: tuple[_Cond, ...], yearly: bool) -> str:
    """The SQL of :meth:`ColumnarSource.__humanaid_indicator_rollups__` (``{relation}``)."""
    picked = ", ".join(f"{_sql_col(c)} AS {name}" for name, c in cols.items())
    where = _sql_cond(conds)
    given = {True: "IS NOT NULL", False: "IS NULL"}
    cell = ", ".join(  # (the first held, in DuckDB: each rank's sum, coalesced in order)
        f"sum(x) FILTER (WHERE sx {given[sex]} AND ag {given[age]})" for sex, age in _BREAKDOWNS
    )
    year = "year(e)" if yearly else "NULL::BIGINT"
    return (
        f"WITH v AS (SELECT {picked} FROM {{relation}}"
        + (f" WHERE {where}" if where else "")
        + f"), c AS (SELECT i, p, o, s, e, t, coalesce({cell}) AS c FROM v "
        "GROUP BY i, p, o, s, e, t) "
        f"SELECT i, t, p, o, {year} AS y, sum(c), max(c), arg_max(c, struct_pack(e, s)) "
        "FROM c GROUP BY i, t, p, o, y"
    )


def _polars_rollups(
    frame: Any, cols: Mapping[str, _Column], conds: tuple[_Cond, ...], yearly: bool
) -> list[tuple[Any, ...]]:
    """:meth:`ColumnarSource.__humanaid_indicator_rollups__` in polars (as the SQL above)."""
    pl = _require("polars")
    cond = _pl_cond(pl, conds)
    frame = frame if cond is None else frame.filter(cond)
    v = frame.select([_pl_col(pl, c).alias(name) for name, c in cols.items()])
    sx, ag = pl.col("sx").is_not_null(), pl.col("ag").is_not_null()
    rank: Any = pl
    for at, (sex, age) in enumerate(_BREAKDOWNS):
        rank = rank.when((sx if sex else ~sx) & (ag if age else ~ag)).then(at)
    cell = ["i", "p", "o", "s", "e", "t"]
    k = pl.col("k")
    ranked = v.group_by(*cell, rank.cast(pl.UInt8).alias("k")).agg(pl.col("x").sum().alias("c"))
    cells = ranked.filter(k == k.min().over(cell))
    year = pl.col("e").dt.year().cast(pl.Int64) if yearly else pl.lit(None, pl.Int64)
    c = pl.col("c")
    out = (
        cells.with_columns(year.alias("y"))
        .group_by("i", "t", "p", "o", "y")
        .agg(c.sum().alias("sum"), c.max().alias("max"), c.sort_by("e", "s").last().alias("last"))
        .collect()
    )
    return [tuple(r) for r in out.rows()]


# -- the source --------------------------------------------------------------------------------
# -- the source --------------------------------------------------------------------------------


_OPEN: dict[tuple[Any, ...], Any] = {}
"""The process's DuckDB connections, by process id and settings (:func:`_process_cursor`)."""
_OPEN_LOCK: Final = threading.Lock()


def _process_cursor(settings: Mapping[str, Any] | None) -> Any:
    """A new cursor of this process's DuckDB connection with ``settings`` (opened once).

    Opening a connection costs 25-40 ms of CPU (the first of a process the most), a
    cursor microseconds: every source with the same settings, of any dataset, runs its
    queries on cursors of one connection, so a process pays the opening once per
    settings, not once per dataset scanned. A cursor has its own registered tables and
    temporary views and each query closes its own: nothing of one query or dataset stays
    for the next, and two threads never see each other's. The key holds the process id,
    so a forked child opens its own; a connection that failed to open is not kept (the
    next query tries again and raises the same error).
    """
    items = sorted((settings or {}).items(), key=lambda kv: kv[0])
    key = (os.getpid(), tuple((k, type(v).__name__, repr(v)) for k, v in items))
    with _OPEN_LOCK:
        con = _OPEN.get(key)
        if con is None:
            con = _OPEN[key] = _connect(settings)
        return con.cursor()


class _Shared:
    """What a source and its narrowed copies keep between queries (never compared).

    The polars lazy frame of the data and the number of rows the files' footers hold,
    made on first use; a narrowed copy (:meth:`ColumnarSource.narrowed`) shares them, as
    it shares the data. Its DuckDB queries run on cursors of the process's connection for
    their settings (:func:`_process_cursor`), which every source shares.
    """

    __slots__ = ("frame", "rows")

    def __init__(self) -> None:
        self.frame: Any = None
        self.rows: int | None = None

    def cursor(self, settings: Mapping[str, Any] | None) -> Any:
        """A new cursor of the process's connection for ``settings`` (closing it keeps that)."""
        return _process_cursor(settings)


def _check_engine(engine: object) -> str:
    if engine not in ENGINES:
        raise ValueError(f"'engine' must be one of {', '.join(ENGINES)} (got {engine!r})")
    return str(engine)


@attrs.frozen(kw_only=True, eq=False)
class ColumnarSource:
    """Records of one type held as Arrow data, queried in a columnar engine.

    Build it with :func:`scan`. It is an iterable of records (read back a batch at a
    time), so it goes wherever records go; :func:`~humanaid.aggregate.tabulate`, and the
    summaries built on it, hand it their query instead of looping over it.

    Attributes:
        data: a ``pyarrow.Table``, or the Parquet files to read.
        record_type: the type of the records.
        engine: ``"duckdb"``, ``"polars"`` or ``"dask"``.
        scheduler: for ``"dask"``, the scheduler ``dask.compute`` uses (``None``: threads).
        rows_per_part: for ``"dask"``, about how many rows each task reads.
        duckdb_settings: DuckDB configuration of the source's connection (``"duckdb"``:
            one a source, opened by its first query; its queries run on cursors of it)
            and of each ``"dask"`` task's, e.g. ``memory_limit``.
        where: conditions every record of the source passes (:meth:`narrowed`): the
            engine adds them to every query; ``()`` for all the rows.
    """

    data: Any
    record_type: type
    engine: str = attrs.field(default="duckdb", converter=_check_engine)
    scheduler: Any = None
    rows_per_part: int = 1_000_000
    duckdb_settings: Mapping[str, Any] | None = None
    where: tuple[Any, ...] = ()
    _pending: _SchemaCheck | None = attrs.field(default=None, eq=False, repr=False, alias="pending")
    _shared: _Shared = attrs.field(factory=_Shared, eq=False, repr=False, alias="shared")

    def _data(self) -> Any:
        """:attr:`data`, its schema checked first if :func:`scan_dataset` left that to now."""
        if self._pending is not None:
            self._pending.run()
        return self.data

    def narrowed(self, *conditions: Callable[[Any], bool] | None) -> ColumnarSource:
        """The same data, keeping only the records that pass ``conditions`` as well.

        Nothing is read: the conditions (:func:`~humanaid.aggregate.field_is`,
        :func:`~humanaid.aggregate.field_between`, :func:`~humanaid.aggregate.field_not_in`
        ...) join every query the source runs. ``None`` s are ignored.
        """
        added = all_of(*conditions)
        if added is None:
            return self
        return attrs.evolve(self, where=(*self.where, added))

    def without(self, path: str, values: Iterable[Any]) -> ColumnarSource:
        """The records whose field ``path`` is none of ``values`` (a narrowed source).

        The ledger leaves out the gifts entered twice with it
        (:func:`humanaid.booked_donations`): a few ids out of millions, in the engine.
        """
        from humanaid.aggregate import field_not_in

        chosen = frozenset(values)
        return self if not chosen else self.narrowed(field_not_in(path, chosen))

    def repeated(self, path: str) -> frozenset[Any]:
        """The values of field ``path`` that more than one record holds (``None`` never).

        One grouping query in the engine (a transaction number used twice ...): the answer
        is as small as the repetitions.
        """
        column = _resolve(self.record_type, path)
        if column.money:
            raise ValueError(f"{path!r} is money: repeated() reads a plain field")
        conv = _python(column.python)
        try:
            conds = _condition(self.record_type, all_of(*self.where))
        except _NotColumnar as why:
            raise ValueError(f"repeated() needs conditions the engines run: {why}") from None
        where = _sql_cond(conds)
        col = _sql_col(column)
        sql = (
            f"SELECT {col} AS v FROM {{relation}} WHERE {col} IS NOT NULL"
            + (f" AND {where}" if where else "")
            + " GROUP BY v HAVING count(*) > 1"
        )
        if self.engine == "polars":
            pl = _require("polars")
            frame = self._polars_frame()
            expr = _pl_col(pl, column)
            if isinstance(column.python, type) and issubclass(column.python, enum.Enum):
                expr = expr.cast(pl.String)
            cond = _pl_and(_pl_cond(pl, conds), expr.is_not_null())
            out = (
                frame.filter(cond)
                .group_by(expr.alias("v"))
                .agg(pl.len().alias("n"))
                .filter(pl.col("n") > 1)
                .select("v")
                .collect()
            )
            return frozenset(conv(v) for v in out.to_series().to_list())
        rows = _dask_part(sql, self._data(), self.duckdb_settings, shared=self._shared)
        return frozenset(conv(r[0]) for r in rows)

    def select(self, condition: Callable[[Any], bool] | None = None) -> list[Any]:
        """The records that pass ``condition`` (and the source's own), read back.

        For the few records a summary needs whole (the gifts a refund names, the rows of a
        repeated transaction number): the engine filters the rows (DuckDB, or polars for a
        polars source; pyarrow, batch by batch, where an engine's types do not cast back),
        so only the rows that pass become records. Their order is the data's.

        Raises:
            ValueError: if ``condition`` is a Python function (it must be a condition the
                engines run: :func:`~humanaid.aggregate.field_is`, ``field_in`` ...).
        """
        from humanaid.interop.arrow import arrow_schema, from_arrow

        try:
            conds = _condition(self.record_type, all_of(*self.where, condition))
        except _NotColumnar as why:
            raise ValueError(f"select() needs a condition the engines run: {why}") from None
        pa = _require("pyarrow")
        schema = arrow_schema(self.record_type)
        names = schema.names
        got = self._select_in_engine(conds, names)  # the engine's own errors surface
        try:
            picked = got.cast(schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            picked = None  # an engine's types pyarrow cannot cast back: filter here
        if picked is not None:
            return list(from_arrow(picked.combine_chunks(), self.record_type))
        if _is_arrow_table(self._data()):
            table = self._data().select(names)
            mask = _pa_mask(table, conds)
            picked = table if mask is None else table.filter(mask)
        else:
            pq = _require("pyarrow.parquet")
            parts = []
            for f in self._data():
                for batch in pq.ParquetFile(f).iter_batches(batch_size=65_536, columns=names):
                    part = pa.Table.from_batches([batch])
                    mask = _pa_mask(part, conds)
                    parts.append(part if mask is None else part.filter(mask))
            picked = pa.concat_tables(parts) if parts else schema.empty_table()
        return list(from_arrow(picked.combine_chunks(), self.record_type))

    def _select_in_engine(self, conds: tuple[_Cond, ...], names: Sequence[str]) -> Any:
        """The rows that pass ``conds``, filtered by the engine, as an Arrow table."""
        if self.engine == "polars":
            pl = _require("polars")
            frame = self._polars_frame()
            cond = _pl_cond(pl, conds)
            frame = frame if cond is None else frame.filter(cond)
            return frame.select(list(names)).collect().to_arrow()
        where = _sql_cond(conds)
        cols = ", ".join(_q(n) for n in names)
        sql = f"SELECT {cols} FROM {{relation}}" + (f" WHERE {where}" if where else "")
        con = self._shared.cursor(self.duckdb_settings)
        try:
            if _is_arrow_table(self._data()):
                con.register("humanaid_source", self._data())
                relation = con.sql(sql.replace("{relation}", "humanaid_source"))
            else:
                relation = con.sql(sql.replace("{relation}", _duckdb_relation(self._data())))
            return relation.to_arrow_table()
        finally:
            con.close()

    def household_sizes(self, persons: Iterable[Any]) -> Mapping[str, Any]:
        """Each household's size as :func:`humanaid.reach` counts it, for a ``lookup_key``.

        The source holds households: a household reached counts its listed members (the
        ``persons`` whose ``household_id`` it is) and, where fewer are listed than its
        ``members``, as many unnamed persons: its size is the larger of the two. Where an
        id is used twice, the first record wins (as :meth:`Dataset.index
        <humanaid.Dataset.index>` keeps it). Only the ids, the sizes and the persons'
        households are read (two columns each), never the records; the result is a map
        from household id to an object whose ``size`` is the size, which the engines
        join as a table (``lookup_key("household_id", sizes, "size")``). Where the
        households (and the persons, if any) are Parquet files, nothing is read here: the
        engine computes the sizes inside the query that joins them (the first record of an
        id by file and row), and the mapping is computed only when it is read as one.

        Args:
            persons: the persons (a columnar source, read by two columns, or records).
        """
        pa = _require("pyarrow")
        files = not _is_arrow_table(self._data())
        if files and (isinstance(persons, ColumnarSource) or not persons):
            people = persons if isinstance(persons, ColumnarSource) else None
            if people is None or not _is_arrow_table(people.data):
                try:  # the engine computes them in the query that joins them
                    return _HouseholdSizes(self, people)
                except _NotColumnar:
                    pass  # a condition the engines cannot run: pyarrow, as below
        if isinstance(persons, ColumnarSource):
            listed = persons._columns(("id", "household_id"))
        else:
            pairs = [(person.id, person.household_id) for person in persons]
            listed = pa.table(
                {  # (no persons: no conversion of Python values, which loads pandas)
                    "id": pa.array([p[0] for p in pairs], pa.string())
                    if pairs
                    else pa.nulls(0, pa.string()),
                    "household_id": pa.array([p[1] for p in pairs], pa.string())
                    if pairs
                    else pa.nulls(0, pa.string()),
                }
            )
        ids, sizes = _sizes_of(self._columns(("id", "members")), listed)
        return _ArrowIndex(ids, sizes, "size")

    def values_by_id(self, field: str) -> dict[Any, Any]:
        """Each record's ``field`` by its id (the first record of an id wins, as in an index).

        Two columns are read, never the records: for a summary that needs one field of a
        small collection (a campaign's name). The values are as the records hold them.

        Raises:
            ValueError: ``field`` is not a plain field of the records (money, a property).
        """
        try:
            column = _resolve(self.record_type, field)
        except _NotColumnar as why:
            raise ValueError(f"values_by_id() reads a plain field: {why}") from None
        if column.money or column.derived is not None or column.inner:
            raise ValueError(f"values_by_id() reads a plain field (got {field!r})")
        conv = _python(column.python)
        table = self._columns(("id", field))
        out: dict[Any, Any] = {}
        ids, values = table.column("id").to_pylist(), table.column(field).to_pylist()
        for ref, value in zip(ids, values, strict=True):
            if ref not in out:
                out[ref] = conv(value)
        return out

    def index_of(self, field: str) -> Mapping[str, Any]:
        """Each record's ``field`` by its id, as an index ``lookup_key`` reads it.

        Two columns are read, never the records (the first record of an id wins, as in
        :meth:`Dataset.index <humanaid.Dataset.index>`): the engines join them as a table
        for ``lookup_key(path, index, field)`` (a project's batch); read as a mapping, each
        id gives an object holding the value under ``field``.

        Raises:
            ValueError: ``field`` is not a plain field of text, a whole number or a day.
        """
        try:
            column = _resolve(self.record_type, field)
        except _NotColumnar as why:
            raise ValueError(f"index_of() reads a plain field: {why}") from None
        if column.python not in _PLAIN or column.derived is not None or column.inner:
            raise ValueError(f"index_of() reads a plain field (got {field!r})")
        first = _first_per_id(self._columns(("id", field)), field)
        return _ArrowIndex(first.column("id"), first.column(field), field)

    def _columns(self, names: Sequence[str]) -> Any:
        """Some columns of the rows (those passing the source's conditions), in data order."""
        pa = _require("pyarrow")
        conds = _condition(self.record_type, all_of(*self.where))
        if _is_arrow_table(self._data()):
            parts = [self._data()]
        else:
            pq = _require("pyarrow.parquet")
            read = list(dict.fromkeys([*names, *_cond_columns(conds)]))
            parts = [pq.ParquetFile(f).read(columns=read) for f in self._data()]
        out = []
        for part in parts:
            mask = _pa_mask(part, conds)
            out.append((part if mask is None else part.filter(mask)).select(list(names)))
        table = pa.concat_tables(out, promote_options="permissive") if out else None
        if table is None:
            schema = _require("humanaid.interop.arrow").arrow_schema(self.record_type)
            table = schema.empty_table().select(list(names))
        columns = []
        for column in table.columns:
            columns.append(
                column.cast(column.type.value_type)
                if pa.types.is_dictionary(column.type)
                else column
            )
        return pa.table(dict(zip(names, columns, strict=True)))

    def matching(self, path: str, values: Iterable[Any]) -> list[Any]:
        """The records whose field ``path`` is one of ``values``, read back (:meth:`select`)."""
        chosen = tuple(dict.fromkeys(values))
        return self.select(field_in(path, chosen)) if chosen else []

    def fields_matching(
        self, fields: Sequence[str], path: str, values: Iterable[Any]
    ) -> list[types.SimpleNamespace]:
        """Some plain fields of the records whose ``path`` is one of ``values``, in data order.

        Each answer has the ``fields`` as attributes, valued as the records hold them
        (dates, enums, text): for a caller that needs a few fields of a few records (the
        ledger's duplicate transaction numbers: an id, a number and a day), so the engine
        reads those columns only, not every column of every file as :meth:`matching`
        must to build whole records.

        Raises:
            ValueError: a field is not a plain top-level field of the records (money, a
                nested field or a property).
        """
        convs = []
        for name in fields:
            try:
                column = _resolve(self.record_type, name)
            except _NotColumnar as why:
                raise ValueError(f"fields_matching() reads plain fields: {why}") from None
            if column.money or column.derived is not None or column.inner:
                raise ValueError(f"fields_matching() reads plain fields (got {name!r})")
            convs.append(_python(column.python))
        chosen = tuple(dict.fromkeys(values))
        if not chosen:
            return []
        try:
            conds = _condition(self.record_type, all_of(*self.where, field_in(path, chosen)))
        except _NotColumnar as why:
            raise ValueError(f"fields_matching() needs conditions the engines run: {why}") from None
        got = self._select_in_engine(conds, list(dict.fromkeys(fields)))
        columns = [
            [conv(v) for v in got.column(name).to_pylist()]
            for name, conv in zip(fields, convs, strict=True)
        ]
        make = types.SimpleNamespace
        return [make(**dict(zip(fields, row, strict=True))) for row in zip(*columns, strict=True)]

    def __len__(self) -> int:
        """The number of records (from the Parquet files' footers; nothing is read).

        A narrowed source (:meth:`narrowed`) counts its records in the engine.
        """
        if self.where:
            from humanaid.aggregate import tabulate

            return int(tabulate(self, measures={"n": count()}).rows[0][0])
        data = self._data()
        if _is_arrow_table(data):
            return int(data.num_rows)
        shared = self._shared
        if shared.rows is None:  # (the schema check counted them, reading the footers)
            checked = self._pending.rows if self._pending is not None else None
            if checked is None:
                pq = _require("pyarrow.parquet")
                checked = sum(int(pq.ParquetFile(f).metadata.num_rows) for f in data)
            shared.rows = checked
        return shared.rows

    def __iter__(self) -> Iterator[Any]:
        """The records, rebuilt from the Arrow data up to 65,536 rows at a time.

        The batches of consecutive files of one schema are rebuilt together (a hundred
        projects in ten files: one rebuild, not ten); a batch whose rows are refused is
        rebuilt alone, so the error names its rows as it always did.
        """
        from humanaid.interop.arrow import arrow_schema, from_arrow

        pa = _require("pyarrow")
        names = arrow_schema(self.record_type).names
        data = self._data()
        if _is_arrow_table(data):
            batches: Iterable[Any] = data.select(names).to_batches(max_chunksize=65_536)
        else:
            pq = _require("pyarrow.parquet")
            batches = itertools.chain.from_iterable(
                pq.ParquetFile(f).iter_batches(batch_size=65_536, columns=names) for f in data
            )
        keep = all_of(*self.where)
        for run in _runs(batches, 65_536):
            try:  # the batches of small files rebuilt at once: the fixed cost paid once
                decoded: Iterable[list[Any]] = [
                    from_arrow(pa.Table.from_batches(run), self.record_type)
                ]
            except (ValueError, TypeError):  # refused: batch by batch, as each raised it
                if len(run) == 1:
                    raise
                decoded = (from_arrow(pa.Table.from_batches([b]), self.record_type) for b in run)
            for got in decoded:
                yield from (got if keep is None else (r for r in got if keep(r)))

    def __humanaid_tabulate__(self, plan: Any) -> dict[Any, list[Any]]:
        """Run a :func:`~humanaid.aggregate.tabulate` query: its raw groups, by the engine."""
        try:
            q = _query(self.record_type, plan, self.where)
        except _NotColumnar as why:
            warnings.warn(
                f"this query cannot run in {self.engine}: {why}; reading the records back "
                "and running it in Python instead",
                ColumnarFallbackWarning,
                stacklevel=3,
            )
            return plan.run(iter(self))  # type: ignore[no-any-return]
        cut = _cut(q, getattr(plan, "largest", None))
        if self.engine == "polars":
            return _groups(q, plan, _polars_rows(q, self._polars_frame(), cut))
        if self.engine == "duckdb":
            sql, _ = _duckdb_sql(q, "{relation}", sets=q.merges)
            if cut is not None:
                sql = _duckdb_largest(q, sql, *cut)
            rows = _dask_part(
                sql, self._data(), self.duckdb_settings, q.lookups, shared=self._shared
            )
            return _groups(q, plan, rows)
        on = _hash_column(q, cut)
        if on is not None:  # parts that merge exactly: counts add up, a top k is whole
            sql, _ = _duckdb_sql(q, "{relation}", sets=False)
            if cut is not None:
                sql = _duckdb_largest(q, sql, *cut)
            return self._dask(q, plan, sql, on)
        # the files split as they are: a value seen in two parts must count once (sets)
        sql, _ = _duckdb_sql(q, "{relation}", sets=True)
        return self._dask(q, plan, sql)

    def __humanaid_indicator_rollups__(
        self, as_of: date | None, yearly: bool
    ) -> list[tuple[Any, ...]]:
        """The indicator values rolled up per subject, by the engine (``results_summary``).

        :func:`~humanaid.indicator_totals` gathers values per cell (indicator, subject,
        period, achieved or target), takes a cell's undisaggregated total or else one
        breakdown's sum (sex by age, else sex, else age group), then combines the cells of
        a subject: added (``SUM``), the largest (``MAX``), the latest by period end and
        start (``LAST``). All of that runs here, in one query, for all three roll-ups at
        once; each row is ``(indicator id, target, project id, organisation id, year,
        sum, largest, latest)`` (``year`` the year the period ends in, with ``yearly``,
        else ``None``), the figures exact ``Decimal`` s as the engine holds them (at its
        scale: ``tidy`` the one a caller keeps; each row's three are not all kept). What
        is left to Python is the small step from subjects to groups (a project's
        organisation, programme, area), which combines the subjects' figures the same
        way (added, or the largest).

        Raises:
            ValueError: the records are not indicator values the engines can read.
        """
        rt = self.record_type
        try:
            cols = {
                name: _resolve(rt, path)
                for name, path in (
                    ("i", "indicator_id"),
                    ("p", "project_id"),
                    ("o", "organization_id"),
                    ("s", "period.start"),
                    ("e", "period.end"),
                    ("t", "target"),
                    ("sx", "disaggregation.sex"),
                    ("ag", "disaggregation.age_group"),
                    ("x", "value"),
                )
            }
            ended = None if as_of is None else field_between("period.end", date.min, as_of)
            conds = _condition(rt, all_of(*self.where, ended))
        except _NotColumnar as why:
            raise ValueError(f"indicator roll-ups need indicator values' columns: {why}") from None
        data = self._data()
        if self.engine == "polars":
            return _polars_rollups(self._polars_frame(), cols, conds, yearly)
        sql = _duckdb_rollups(cols, conds, yearly)
        if self.engine == "duckdb":
            rows = _dask_part(sql, data, self.duckdb_settings, shared=self._shared)
        else:  # a subject's cells in one task: each part holds the subjects hashed to it
            dask = _require("dask")
            n = (
                max(1, -(-data.num_rows // self.rows_per_part))
                if _is_arrow_table(data)
                else len(_packed(data, self.rows_per_part))
            )
            share = f"{_sql_col(cols['p'])}, {_sql_col(cols['o'])}"
            tasks = [
                dask.delayed(_dask_part)(sql, data, self.duckdb_settings, None, (share, n, at))
                for at in range(n)
            ]
            rows = [r for part in dask.compute(*tasks, scheduler=self.scheduler) for r in part]
        return [tuple(r) for r in rows]

    def __humanaid_reach__(self, dataset: Any, **query: Any) -> tuple[int, int, int] | None:
        """:func:`humanaid.reach`'s three counts of ``dataset``, counted by this engine.

        ``None`` where the engine cannot count them (then reach counts the groups).
        """
        return _reach_counts(dataset, self.engine, **query)

    def _polars_frame(self) -> Any:
        """The data as a polars lazy frame, made once a source (its copies share it)."""
        data = self._data()
        shared = self._shared
        if shared.frame is None:
            shared.frame = self._new_polars_frame(data)
        return shared.frame

    def _new_polars_frame(self, data: Any) -> Any:
        pl = _require("polars")
        if _is_arrow_table(data):
            try:
                return pl.from_arrow(data).lazy()
            except BaseException as exc:  # polars raises a Rust panic, not an Exception
                if type(exc).__name__ != "PanicException":
                    raise
            # to_arrow writes an absent struct whose dictionary child holds an index into
            # an empty dictionary (an absent breakdown): polars panics on it, DuckDB reads
            # it, and hands polars the same rows as plain Arrow
            con = self._shared.cursor(self.duckdb_settings)
            try:
                con.register("humanaid_source", data)
                plain = con.sql("SELECT * FROM humanaid_source").to_arrow_table()
            finally:
                con.close()
            return pl.from_arrow(plain).lazy()
        return pl.scan_parquet([str(f) for f in data], hive_partitioning=False, glob=False)

    def _dask(
        self, q: _Query, plan: Any, sql: str, on: _Column | None = None
    ) -> dict[Any, list[Any]]:
        """The query in Dask tasks, by DuckDB each; their groups merged here.

        Without ``on``, a task a slice of the rows (whole files packed up to about
        ``rows_per_part`` rows). With ``on``, as many tasks, each over every row whose
        ``on`` hashes to its part (it reads the query's columns of every file, and keeps
        its share): see :func:`_hash_column`.
        """
        dask = _require("dask")
        if _is_arrow_table(self._data()):
            step = max(1, self.rows_per_part)
            parts: list[Any] = [
                self._data().slice(i, step) for i in range(0, max(self._data().num_rows, 1), step)
            ]
        else:
            parts = _packed(self._data(), self.rows_per_part)
        settings, lookups = self.duckdb_settings, q.lookups
        if on is None:
            tasks = [dask.delayed(_dask_part)(sql, part, settings, lookups) for part in parts]
        else:
            expr, n = _sql_col(on), len(parts)
            tasks = [
                dask.delayed(_dask_part)(sql, self._data(), settings, lookups, (expr, n, at))
                for at in range(n)
            ]
        results = dask.compute(*tasks, scheduler=self.scheduler)
        groups: dict[Any, list[Any]] = {}
        for rows in results:
            for key, state in _groups(q, plan, rows).items():
                into = groups.get(key)
                if into is None:
                    groups[key] = state
                else:
                    plan.merge(into, state)
        return groups


def _kind(pa: Any, tp: Any) -> str:
    """What an Arrow type holds, as far as the engines care (text of any width is text)."""
    if pa.types.is_dictionary(tp):
        tp = tp.value_type
    kinds = ("string", "large_string", "string_view", "integer", "decimal", "date", "boolean")
    for kind in (*kinds, "timestamp", "floating", "struct", "list", "large_list", "null"):
        if getattr(pa.types, f"is_{kind}", lambda _: False)(tp):
            return kind.replace("large_", "").replace("_view", "")
    return str(tp)


def _check_schema(data: Any, record_type: type) -> int:
    """Refuse a table or Parquet file whose columns are not those of ``record_type``.

    Returns:
        the number of rows it holds (from the footer of a file).
    """
    from humanaid.interop.arrow import arrow_schema

    pa = _require("pyarrow")
    where = "the table" if _is_arrow_table(data) else repr(str(data))
    nulls: dict[str, int] = {}  # by column: the engines would skip them silently
    if _is_arrow_table(data):
        schema = data.schema
        nulls = {name: data.column(name).null_count for name in set(schema.names)}
    else:
        try:
            meta = _require("pyarrow.parquet").read_metadata(data)
            schema = meta.schema.to_arrow_schema()
        except (pa.ArrowException, OSError) as why:
            raise ValueError(f"{where} is not a Parquet file that can be read: {why}") from None
        # (only the required columns' counts matter: a leaf named as one, checked by path)
        required = {f.name for f in arrow_schema(record_type) if not f.nullable}
        leaves = [c for c, name in enumerate(meta.schema.names) if name in required]
        for group in (meta.row_group(r) for r in range(meta.num_row_groups)):
            for col in (group.column(c) for c in leaves):
                stats = col.statistics  # (none written: the nulls cannot be known here)
                if stats is not None and stats.has_null_count:
                    before = nulls.get(col.path_in_schema, 0)
                    nulls[col.path_in_schema] = before + stats.null_count
    for field in arrow_schema(record_type):
        if not field.nullable and nulls.get(field.name):
            raise ValueError(
                f"{where}: the column {field.name!r} of {record_type.__name__} records holds "
                f"{nulls[field.name]} nulls, but is required"
            )
    wrong = _schema_fault(schema, record_type)
    if wrong is not None:
        raise ValueError(where + wrong)
    return int(data.num_rows if _is_arrow_table(data) else meta.num_rows)


@functools.lru_cache(maxsize=64)
def _schema_fault(schema: Any, record_type: type) -> str | None:
    """What is wrong with the columns of ``schema`` for ``record_type`` (after the name).

    The files of a directory share their schema: each one is checked once, not a file at
    a time (a hundred files' footers are read to count their nulls, not compared again).
    """
    from humanaid.interop.arrow import arrow_schema

    pa = _require("pyarrow")
    for field in arrow_schema(record_type):
        held = [f.type for f in schema if f.name == field.name]
        if len(held) != 1:
            how = "has no column" if not held else "has more than one column"
            return f" {how} {field.name!r} of {record_type.__name__} records"
        if _kind(pa, held[0]) not in (_kind(pa, field.type), "null"):
            return (
                f": the column {field.name!r} of {record_type.__name__} records must "
                f"hold {field.type} (it holds {held[0]})"
            )
    return None


def scan(
    data: Any,
    record_type: type[T],
    *,
    engine: Engine | str = "duckdb",
    scheduler: Any = None,
    rows_per_part: int = 1_000_000,
    duckdb_settings: Mapping[str, Any] | None = None,
) -> ColumnarSource:
    """Records of ``record_type`` held as Arrow data, for summaries run in ``engine``.

    Args:
        data: a ``pyarrow.Table`` (as :func:`~humanaid.interop.arrow.to_arrow` makes), a
            Parquet file, or a directory of Parquet files (read recursively; files and
            folders whose names start with ``_`` or ``.`` are skipped, as pyarrow does).
        record_type: the type of the records (their Arrow schema is
            :func:`~humanaid.interop.arrow.arrow_schema` of it).
        engine: ``"duckdb"``, ``"polars"`` or ``"dask"``.
        scheduler: for ``"dask"``: ``"threads"``, ``"processes"``, ``"synchronous"`` or
            a ``distributed.Client``'s ``get``; ``None`` for Dask's default.
        rows_per_part: for ``"dask"``, about how many rows each task reads (a slice of an
            in-memory table, or whole files packed together up to that many rows); a
            hash-partitioned query runs as many tasks, each over every file.
        duckdb_settings: DuckDB configuration options set on the source's connection
            (with ``"duckdb"``: one a source) and in each ``"dask"`` task, such as
            :data:`BOUNDED_MEMORY`: ``{"memory_limit": "2GB", "threads": 2,
            "temp_directory": "/scratch", "preserve_insertion_order": False}``. An
            option or value DuckDB refuses is refused here, by DuckDB.

    Raises:
        ValueError: for an unknown engine, settings DuckDB refuses, or data whose
            columns are not those of ``record_type`` (naming the file and the column).
        FileNotFoundError: for a path with no Parquet file.
        ImportError: naming the extra, when the engine is not installed.
    """
    return _scan(
        data,
        record_type,
        engine=engine,
        scheduler=scheduler,
        rows_per_part=rows_per_part,
        duckdb_settings=duckdb_settings,
        lazy=False,
    )


class _SchemaCheck:
    """A source's schema check, run once, the first time a query reads the source.

    :func:`scan_dataset` scans every collection of a dataset, most of which a summary
    never reads: each one's files (their footers, their null counts) are checked when a
    query first needs them, not all at once. Copies of the source (:meth:`narrowed
    <ColumnarSource.narrowed>`) share the one check.
    """

    __slots__ = ("data", "done", "record_type", "rows")

    def __init__(self, data: Any, record_type: type) -> None:
        self.data, self.record_type, self.done = data, record_type, False
        self.rows: int | None = None  # how many the footers hold, once checked

    def run(self) -> None:
        if self.done:
            return
        parts = (self.data,) if _is_arrow_table(self.data) else self.data
        self.rows = sum(_check_schema(part, self.record_type) for part in parts)
        self.done = True  # (a check that failed runs again, and fails again, next time)


def _scan(
    data: Any,
    record_type: type[T],
    *,
    engine: Engine | str,
    scheduler: Any,
    rows_per_part: int,
    duckdb_settings: Mapping[str, Any] | None,
    lazy: bool,
    settings_checked: bool = False,
) -> ColumnarSource:
    """:func:`scan`; with ``lazy``, the schema is checked when a query first reads the data.

    With ``settings_checked``, ``duckdb_settings`` were checked already (once a dataset,
    not once a collection).
    """
    _check_engine(engine)
    if isinstance(rows_per_part, bool) or not isinstance(rows_per_part, int) or rows_per_part < 1:
        raise ValueError(f"'rows_per_part' must be a whole number >= 1 (got {rows_per_part!r})")
    if isinstance(data, str | os.PathLike):
        files: Any = tuple(_parquet_files(Path(data)))
    elif _is_arrow_table(data):
        files = data
    else:
        raise TypeError(
            f"'data' must be a pyarrow.Table, a Parquet file or a directory (got "
            f"{type(data).__name__})"
        )
    check = _SchemaCheck(files, record_type)
    if not lazy:
        check.run()
    return ColumnarSource(
        data=files,
        record_type=record_type,
        engine=engine,
        scheduler=scheduler,
        rows_per_part=rows_per_part,
        duckdb_settings=(
            duckdb_settings if settings_checked else _checked_settings(duckdb_settings)
        ),
        pending=check,  # (checked already unless lazy: it keeps the rows counted)
        shared=_Shared(),
    )


BOUNDED_MEMORY: Final[Mapping[str, Any]] = types.MappingProxyType(
    {"memory_limit": "2GB", "preserve_insertion_order": False}
)
"""DuckDB settings that keep a summary of a hundred million rows near 2 GB of memory.

DuckDB by default lets a query take 80 % of the machine's memory; with ``memory_limit``
its hash tables spill to its temporary directory instead, and without
``preserve_insertion_order`` it need not hold rows back to keep their order (the
summaries order their rows themselves). Pass it as
``scan(..., duckdb_settings=BOUNDED_MEMORY)``, with ``"temp_directory"`` added to choose
where it spills. ``benchmarks/hundred_million.py`` measured the fundraising summary of
100,000,000 donations at a peak of 2,074 MiB with it, 4.6 GB without. What comes back
to Python is not bounded by it: one row a group (a summary by donor holds every donor).
"""


def _checked_settings(settings: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if settings is None:
        return None
    if not isinstance(settings, Mapping) or not all(isinstance(k, str) for k in settings):
        raise TypeError(
            "'duckdb_settings' must be a mapping of DuckDB option names to values "
            f"(got {settings!r})"
        )
    checked = dict(settings)  # a plain dict: Dask's process scheduler pickles it
    try:
        _process_cursor(checked).close()  # (kept open for the queries: opened once)
    except ImportError:
        raise
    except Exception as why:  # DuckDB's error (a RuntimeError for text it cannot read)
        raise ValueError(f"'duckdb_settings' {checked!r} are refused by DuckDB: {why}") from None
    return checked


def write_parquet_dataset(
    records: Iterable[Any],
    directory: str | os.PathLike[str],
    record_type: type | None = None,
    *,
    date_field: str | None = None,
    organization_field: str | None = "organization_id",
    batch_size: int = 100_000,
) -> list[Path]:
    """Write records as Parquet files partitioned by year and organisation, in bounded memory.

    Files go to ``directory/year=2020/organization=qj/part-0.parquet`` (Hive-style
    folders, which DuckDB, polars, Spark and Dask read as partitions); the records keep
    every field in the files, so :func:`scan` and :func:`~humanaid.interop.arrow.from_arrow`
    read them back whole. One batch of records is held at a time, plus one open writer per
    partition met so far.

    Args:
        records: records of one type, from any iterable (a generator over a file),
            or ``pyarrow`` record batches of :func:`~humanaid.interop.arrow.arrow_schema`
            (what :func:`~humanaid.interop.arrow.iter_json_lines_arrow` streams: JSON
            Lines to Parquet without making the records; ``record_type`` required).
        directory: where to write (created if missing).
        record_type: their type; by default the type of the first record.
        date_field: the date that gives the year (``"received_on"``); ``None``: no year.
        organization_field: the organisation id field; ``None``: no organisation folders.
        batch_size: records converted at a time.

    Returns:
        The files written, sorted.
    """
    from humanaid.interop.arrow import arrow_schema, record_batches

    pa = _require("pyarrow")
    pq = _require("pyarrow.parquet")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    it = iter(records)
    first = next(it, None)
    if first is None:
        return []
    arrow = isinstance(first, pa.RecordBatch | pa.Table)  # batches already (JSON Lines)
    if arrow and record_type is None:
        raise TypeError("Arrow batches need their record_type")
    cls = record_type or type(first)
    schema = arrow_schema(cls)
    if date_field is not None:
        _resolve(cls, date_field)
    writers: dict[tuple[Any, Any], Any] = {}
    stream = itertools.chain([first], it)
    try:
        for batch in stream if arrow else record_batches(stream, cls, batch_size=batch_size):
            table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
            years: list[Any] = (
                [None] * table.num_rows
                if date_field is None
                else [None if d is None else d.year for d in table.column(date_field).to_pylist()]
            )
            orgs: list[Any] = (
                [None] * table.num_rows
                if organization_field is None
                else table.column(organization_field).to_pylist()
            )
            where: dict[tuple[Any, Any], list[int]] = {}
            for i, key in enumerate(zip(years, orgs, strict=True)):
                where.setdefault(key, []).append(i)
            for key, rows in where.items():
                writer = writers.get(key)
                if writer is None:
                    folder = out
                    if date_field is not None:
                        folder = folder / f"year={'null' if key[0] is None else key[0]}"
                    if organization_field is not None:
                        folder = folder / f"organization={_safe_folder(key[1])}"
                    folder.mkdir(parents=True, exist_ok=True)
                    writer = writers[key] = pq.ParquetWriter(folder / "part-0.parquet", schema)
                writer.write_table(table.take(rows))
    finally:
        for writer in writers.values():
            writer.close()
    return sorted(_parquet_files(out))


def _safe_folder(value: object) -> str:
    if value is None:
        return "null"
    import hashlib

    # each other character as its UTF-8 bytes, %XX each: two ids never meet in one folder
    text = str(value)
    safe = "".join(
        c
        if c.isalnum() or c in "-_."
        else "".join(f"%{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
        for c in text
    )
    if safe in ("", "null"):  # None is "null"
        return "%6Eull" if safe else "%"
    if safe in (".", ".."):  # never a folder's own name or its parent's, even alone
        return safe.replace(".", "%2E")
    if len(safe.encode()) <= 200:  # a file name holds 255 bytes
        return safe
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return safe.encode()[:150].decode(errors="ignore") + "~" + digest


# -- whole datasets ------------------------------------------------------------------------------

_META: Final = "_humanaid.json"
"""The file beside a dataset's collections: its name and its findings (when stored)."""


def _date_field(record_type: type) -> str | None:
    """The first field that always holds a date (the year partitions by it), or None."""
    hints = _hints(record_type)
    for field in attrs.fields(record_type):
        if hints.get(field.name) is date:
            return str(field.name)
    return None


def write_dataset_parquet(
    dataset: Any,
    directory: str | os.PathLike[str],
    *,
    findings: bool = True,
    batch_size: int = 100_000,
) -> dict[str, list[Path]]:
    """Write each non-empty collection of a dataset as a partitioned Parquet dataset.

    ``directory/donations/year=2020/organization=qj/part-0.parquet`` ...: one folder per
    collection, partitioned (:func:`write_parquet_dataset`) by the year of the record
    type's first date field and by ``organization_id``, where the type has them. Beside
    them, ``_humanaid.json`` keeps the dataset's name and, with ``findings=True``, the
    findings of :meth:`Dataset.validate <humanaid.Dataset.validate>` (run here, once), so
    that the summaries of :func:`scan_dataset` carry the same findings as those of the
    dataset itself without reading its records back to check them.

    Args:
        dataset: the :class:`~humanaid.Dataset` (its collections may be columnar too).
        directory: where to write (created if missing; existing files are overwritten).
        findings: run the built-in rules and keep their findings (``False``: the summaries
            of the scanned dataset validate it when they first need to, reading it back).
        batch_size: records converted at a time.

    Returns:
        The files written, by collection.

    >>> import tempfile
    >>> from datetime import date
    >>> from humanaid import Dataset, Donation, Money, fundraising_summary
    >>> ds = Dataset(donations=[Donation(id="g1", organization_id="qj",
    ...     received_on=date(2020, 5, 1), value=Money("100"), receipt_number="R1")])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = write_dataset_parquet(ds, tmp)
    ...     print([str(f.relative_to(tmp)) for f in files["donations"]])
    ...     same = fundraising_summary(scan_dataset(tmp), 2020) == fundraising_summary(ds, 2020)
    ['donations/year=2020/organization=qj/part-0.parquet']
    >>> same
    True
    """
    import json

    from humanaid.serialize import to_dict

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, list[Path]] = {}
    for name, record_type in dataset.collection_types().items():
        records = dataset.records(name)
        if not len(records):
            continue
        has = attrs.fields_dict(record_type)
        written[name] = write_parquet_dataset(
            records,
            out / name,
            record_type,
            date_field=_date_field(record_type),
            organization_field="organization_id" if "organization_id" in has else None,
            batch_size=batch_size,
        )
    meta: dict[str, Any] = {"name": dataset.name}
    if findings:
        meta["findings"] = [to_dict(f) for f in dataset.validate()]
    (out / _META).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    return written


def _read_meta(path: Path) -> dict[str, Any]:
    """The dataset's name and findings as :func:`write_dataset_parquet` kept them."""
    import json

    try:
        meta = json.loads(path.read_bytes())
    except (ValueError, RecursionError) as why:  # not JSON, not UTF-8, nested too deep
        raise ValueError(f"{str(path)!r} is not JSON: {str(why)[:200]}") from None
    if (
        not isinstance(meta, dict)
        or not isinstance(meta.get("name"), str | None)
        or not isinstance(meta.get("findings"), list | None)
    ):
        raise ValueError(
            f"{str(path)!r} must be an object with a text 'name' and a list of 'findings' "
            f"(got {type(meta).__name__})"
        )
    return meta


def scan_dataset(
    source: str | os.PathLike[str] | Mapping[str, Any],
    *,
    engine: Engine | str = "duckdb",
    dataset_type: type[T] | None = None,
    findings: Iterable[Any] | None = None,
    scheduler: Any = None,
    rows_per_part: int = 1_000_000,
    duckdb_settings: Mapping[str, Any] | None = None,
) -> T:
    """A dataset whose collections are Arrow data, for summaries run in ``engine``.

    Each collection is a :class:`ColumnarSource` (:func:`scan`); the summaries
    (:func:`~humanaid.fundraising_summary`, :func:`~humanaid.top_donors`,
    :func:`~humanaid.campaign_summary` ...) run their passes over the large collections
    as queries in the engine and return the table the records give (see
    :doc:`/concepts/columnar`, which says what each summary reads back).

    Args:
        source: a directory written by :func:`write_dataset_parquet` (one sub-folder per
            collection), or a mapping from collection name to a ``pyarrow.Table``, a
            Parquet file or a directory of them.
        engine: ``"duckdb"``, ``"polars"`` or ``"dask"``.
        dataset_type: the dataset class (:class:`~humanaid.Dataset` by default, or a
            subclass with collections of its own).
        findings: the findings of :meth:`Dataset.validate <humanaid.Dataset.validate>`
            for these records, when known; by default those
            :func:`write_dataset_parquet` kept. Without either, a summary that reports
            findings validates the dataset, which reads every record back.
        scheduler: for ``"dask"``, as :func:`scan` takes it.
        rows_per_part: for ``"dask"``, as :func:`scan` takes it.
        duckdb_settings: DuckDB configuration options, as :func:`scan` takes them (such
            as :data:`BOUNDED_MEMORY`, or ``{"threads": 1}``), checked once: with
            ``"duckdb"``, the connection every collection's queries share (one a
            process for these settings, opened by its first query and kept); with
            ``"dask"``, each task's.

    Raises:
        ValueError: a folder or key that names no collection of ``dataset_type``, an
            unknown engine, settings DuckDB refuses, or a ``_humanaid.json`` that is not
            the one it wrote. A
            collection whose columns are not those of its records (as :func:`scan`
            refuses them) is refused by the first query that reads it, not here: a
            summary checks only the collections it reads.
        FileNotFoundError: a path with no Parquet file.
    """
    from humanaid.dataset import Dataset
    from humanaid.findings import Finding, Findings
    from humanaid.serialize import from_dict
    from humanaid.summaries import _VALIDATED

    _check_engine(engine)
    settings = _checked_settings(duckdb_settings)
    cls: Any = Dataset if dataset_type is None else dataset_type
    if not (isinstance(cls, type) and issubclass(cls, Dataset)):
        raise TypeError(f"'dataset_type' must be a Dataset class (got {cls!r})")
    types_ = cls.collection_types()
    parts: dict[str, Any] = {}
    name = ""
    stored: list[Any] | None = None
    if isinstance(source, str | os.PathLike):
        root = Path(source)
        if not root.is_dir():
            raise FileNotFoundError(f"no such dataset directory: {str(root)!r}")
        meta_file = root / _META
        if meta_file.exists():
            meta = _read_meta(meta_file)
            name = str(meta.get("name") or "")
            stored = meta.get("findings")
        for folder in sorted(root.iterdir()):
            if folder.is_dir() and not folder.name.startswith(("_", ".")):
                parts[folder.name] = folder
    elif isinstance(source, Mapping):
        parts = dict(source)
    else:
        raise TypeError(
            f"'source' must be a directory or a mapping of collection name to Arrow data "
            f"(got {type(source).__name__})"
        )
    collections: dict[str, Any] = {}
    for key, data in parts.items():
        if key not in types_:
            known = ", ".join(types_)
            raise ValueError(f"{key!r} is not a collection of {cls.__name__} (known: {known})")
        collections[key] = _scan(  # each one's schema checked when a query first reads it
            data,
            types_[key],
            engine=engine,
            scheduler=scheduler,
            rows_per_part=rows_per_part,
            duckdb_settings=settings,
            lazy=True,
            settings_checked=True,
        )
    dataset = cls(name=name, **collections)
    if findings is None and stored is not None:
        findings = [from_dict(f, Finding, subject=f"{_META} findings") for f in stored]
    if findings is not None:
        known_findings = Findings(findings)
        dataset.derived(_VALIDATED, lambda _: known_findings)
    return cast(T, dataset)


# -- reach counted in the engine (reach, boundary totals' and the year at a glance's reach) ----
#
# reach() of a columnar dataset: the distinct persons and households reached are counted by
# the engine (COUNT(DISTINCT ...) in DuckDB, n_unique in polars) over the screenings, the
# handouts, the persons and the households, never handed back row by row. Only the cases,
# whose day of help is read from their history, are read back as records and sent to the
# engine as three small tables (who a case reaches alone, which household it reaches as a
# whole, whom it names with a household); the definition is _Tally's (humanaid.reach).

_REACHED: Final = ("screenings", "cases", "distributions", "persons", "households")
_REACH_COLUMNS: Final[Mapping[str, tuple[tuple[str, str], ...]]] = {
    "screenings": (
        ("person_id", "string"),
        ("program_id", "string"),
        ("project_id", "string"),
        ("on", "date"),
    ),
    "distributions": (
        ("household_id", "string"),
        ("program_id", "string"),
        ("project_id", "string"),
        ("campaign_id", "string"),
        ("on", "date"),
    ),
    "persons": (("id", "string"), ("household_id", "string")),
    "households": (("id", "string"), ("members", "int64")),
}
_NO_HOME_MESSAGE: Final = (
    "household {!r} is not among the households given: its size is needed to count the "
    "persons it reaches"
)


def _records_table(name: str, records: Iterable[Any]) -> Any:
    """The columns reach reads of ``name``, from records (a collection not held columnar)."""
    pa = _require("pyarrow")
    rows = list(records)
    if name in ("persons", "households"):  # the first record of an id wins, as an index
        first: dict[str, Any] = {}
        for r in rows:
            first.setdefault(r.id, r)
        rows = list(first.values())
    types_ = {"string": pa.string(), "date": pa.date32(), "int64": pa.int64()}
    return pa.table(
        {
            col: pa.array([getattr(r, col) for r in rows], types_[kind])
            for col, kind in _REACH_COLUMNS[name]
        }
    )


def _case_tables(
    cases: Iterable[Any],
    *,
    program_id: str | None,
    campaign_id: str | None,
    period: Any,
    keep: Callable[[str | None, str | None], bool] | None,
) -> tuple[Any, Any, Any, list[str]]:
    """What the cases reach, as three Arrow tables, and the households they reach whole.

    ``alone`` (p, h, n): a case that reached its person (with the case's household, for a
    person whose own is unknown); ``whole`` (h, n): a case that reached a household as a
    whole; ``named`` (p, h): every case naming a person with a household. The last item
    lists the households reached whole, in the cases' order (for the error's message).
    """
    pa = _require("pyarrow")
    alone: list[tuple[str, str | None]] = []
    whole: list[str] = []
    named: list[tuple[str, str]] = []
    for case in cases:
        project, program = case.project_id, case.program_id
        if keep is not None and not keep(project, program):
            continue
        person, household = case.person_id, case.household_id
        if person is not None and household is not None:
            named.append((person, household))
        day = case.served_on
        if day is None or (program_id is not None and program != program_id):
            continue
        if campaign_id is not None or (period is not None and day not in period):
            continue
        if person is not None:
            alone.append((person, household))
        elif household is not None:
            whole.append(household)
    text = pa.string()
    return (
        pa.table(
            {
                "p": pa.array([p for p, _ in alone], text),
                "h": pa.array([h for _, h in alone], text),
                "n": pa.array([1] * len(alone), pa.int64()),
            }
        ),
        pa.table({"h": pa.array(whole, text), "n": pa.array([1] * len(whole), pa.int64())}),
        pa.table(
            {"p": pa.array([p for p, _ in named], text), "h": pa.array([h for _, h in named], text)}
        ),
        whole,
    )


def _reach_condition(
    name: str, source: Any, program_id: str | None, campaign_id: str | None, period: Any
) -> Any:
    """What a screening or handout counted passes (``False``: none counts), a condition."""
    from humanaid.aggregate import field_is

    if name == "screenings" and campaign_id is not None:
        return False  # a screening belongs to no campaign
    return all_of(
        *getattr(source, "where", ()),
        None if period is None else field_between("on", period.start, period.end),
        None if program_id is None else field_is("program_id", program_id),
        None if campaign_id is None else field_is("campaign_id", campaign_id),
    )


def _reach_conditions(name: str, source: Any, *query: Any) -> tuple[_Cond, ...] | None:
    """:func:`_reach_condition` in the engines' terms (``None``: nothing of it counts)."""
    cond = _reach_condition(name, source, *query)
    if cond is False:
        return None
    if isinstance(source, ColumnarSource):
        return _condition(source.record_type, cond)
    from humanaid.cases import Distribution, Screening

    return _condition(Screening if name == "screenings" else Distribution, cond)


def _reach_counts(
    dataset: Any,
    engine: str,
    *,
    program_id: str | None = None,
    campaign_id: str | None = None,
    period: Any = None,
    keep: Callable[[str | None, str | None], bool] | None = None,
) -> tuple[int, int, int] | None:
    """:func:`humanaid.reach`'s (person-times, persons, households) counted by ``engine``.

    ``None`` when the engine cannot count them (a condition of a source's own that the
    engines cannot run): :func:`humanaid.reach` then counts the engine's groups in Python.
    A Dask source is counted by DuckDB (what its tasks run) in one query: the distinct
    persons of parts would have to be merged as sets.
    """
    held = {name: dataset.records(name, missing_ok=True) for name in _REACHED}
    try:
        conds = {
            name: _reach_conditions(name, held[name], program_id, campaign_id, period)
            for name in ("screenings", "distributions")
        }
        own = {
            name: _condition(held[name].record_type, all_of(*held[name].where))
            for name in ("persons", "households")
            if isinstance(held[name], ColumnarSource)
        }
    except _NotColumnar:
        return None
    cases = held["cases"]
    read = cases.select() if isinstance(cases, ColumnarSource) else cases
    ca, cw, nm, whole = _case_tables(
        read, program_id=program_id, campaign_id=campaign_id, period=period, keep=keep
    )
    run = _reach_duckdb if engine != "polars" else _reach_polars
    settings = next(
        (s.duckdb_settings for s in held.values() if isinstance(s, ColumnarSource)), None
    )
    counts, missing = run(held, conds, own, (ca, cw, nm), keep, settings)
    if missing:
        cond = _reach_condition(
            "distributions", held["distributions"], program_id, campaign_id, period
        )
        _no_home(held["distributions"], cond, whole, set(missing), keep)
    return counts


def _no_home(
    handed: Any,
    cond: Any,
    by_cases: Sequence[str],
    missing: set[str],
    keep: Callable[[str | None, str | None], bool] | None,
) -> None:
    """Raise the records path's error: the first case, else handout, of an unknown household."""
    for household in by_cases:
        if household in missing:
            raise ValueError(_NO_HOME_MESSAGE.format(household))
    from humanaid.aggregate import field_is

    if isinstance(handed, ColumnarSource):
        records = handed.select(field_is("household_id", *sorted(missing)))
    else:
        records = [d for d in handed if d.household_id in missing]
    for d in records:  # in the data's order; the conditions again, on the few read back
        if (cond is None or cond(d)) and (keep is None or keep(d.project_id, d.program_id)):
            raise ValueError(_NO_HOME_MESSAGE.format(d.household_id))
    raise ValueError(_NO_HOME_MESSAGE.format(min(missing)))  # (not reached: a guard)


def _reach_duckdb(
    held: Mapping[str, Any],
    conds: Mapping[str, tuple[_Cond, ...] | None],
    own: Mapping[str, tuple[_Cond, ...]],
    cases: tuple[Any, Any, Any],
    keep: Callable[[str | None, str | None], bool] | None,
    settings: Mapping[str, Any] | None,
) -> tuple[tuple[int, int, int], list[str]]:
    """The counts by one DuckDB query, and the households reached whose size is unknown.

    It runs on a cursor of the process's connection for ``settings``
    (:func:`_process_cursor`).
    """
    pa = _require("pyarrow")
    columnar = [s for s in held.values() if isinstance(s, ColumnarSource)]
    con = columnar[0]._shared.cursor(settings) if columnar else _process_cursor(settings)
    try:

        def relation(name: str, *, numbered: bool = False) -> str:
            """The collection as a relation (with ``humanaid_at``, its rows' order)."""
            source = held[name]
            if isinstance(source, ColumnarSource) and not _is_arrow_table(source._data()):
                files = [str(f) for f in source._data()]
                listed = ", ".join(_lit(f) for f in files)
                if not numbered:
                    return _duckdb_relation(source._data())
                at = f"(list_position([{listed}], filename)::BIGINT << 40) + file_row_number"
                return (
                    f"(SELECT *, {at} AS humanaid_at FROM read_parquet([{listed}], "
                    "hive_partitioning = false, union_by_name = true, filename = true, "
                    "file_row_number = true))"
                )
            table = (
                source._data()
                if isinstance(source, ColumnarSource)
                else _records_table(name, source)
            )
            if numbered:
                table = table.append_column(
                    "humanaid_at", pa.array(range(table.num_rows), pa.int64())
                )
            con.register(f"humanaid_{name}", table)
            return f"humanaid_{name}"

        def first(name: str, field: str) -> str:
            where = _sql_cond(own.get(name, ()))
            kept = f" WHERE {where}" if where else ""
            return (
                f"SELECT id::VARCHAR AS id, arg_min({{'v': {_q(field)}}}, humanaid_at)['v'] "
                f"AS {_q(field)} FROM {relation(name, numbered=True)}{kept} GROUP BY id"
            )

        def counted(name: str, key: str) -> str:
            c = conds[name]
            if c is None:
                return "SELECT NULL::VARCHAR AS k, 0::BIGINT AS n WHERE FALSE"
            rel = relation(name)
            where = _sql_cond(c) or "TRUE"
            if keep is not None:
                pairs = con.execute(
                    f"SELECT DISTINCT project_id::VARCHAR, program_id::VARCHAR FROM {rel} "
                    f"WHERE {where}"
                ).fetchall()
                kept = [p for p in pairs if keep(p[0], p[1])]
                if len(kept) < len(pairs):
                    con.register(
                        f"humanaid_kept_{name}",
                        pa.table(
                            {
                                "pj": pa.array([p[0] for p in kept], pa.string()),
                                "pg": pa.array([p[1] for p in kept], pa.string()),
                            }
                        ),
                    )
                    where += (
                        f" AND EXISTS (SELECT 1 FROM humanaid_kept_{name} AS kp WHERE "
                        "kp.pj IS NOT DISTINCT FROM project_id::VARCHAR AND "
                        "kp.pg IS NOT DISTINCT FROM program_id::VARCHAR)"
                    )
            return (
                f"SELECT {_q(key)}::VARCHAR AS k, count(*)::BIGINT AS n FROM {rel} "
                f"WHERE {where} GROUP BY 1"
            )

        ca, cw, nm = cases
        con.register("humanaid_case_alone", ca)
        con.register("humanaid_case_whole", cw)
        con.register("humanaid_case_named", nm)
        sql = f"""
        WITH
        people AS ({first("persons", "household_id")}),
        homes AS ({first("households", "members")}),
        alone AS (
            SELECT k AS p, NULL::VARCHAR AS h, n FROM ({counted("screenings", "person_id")})
            UNION ALL SELECT p, h, n FROM humanaid_case_alone),
        whole AS (
            SELECT k AS h, n FROM ({counted("distributions", "household_id")})
            UNION ALL SELECT h, n FROM humanaid_case_whole),
        reached AS (SELECT h, sum(n)::BIGINT AS n FROM whole GROUP BY h),
        homed AS (
            SELECT id AS p, household_id::VARCHAR AS h FROM people
            WHERE household_id IS NOT NULL),
        named AS (
            SELECT c.p, min(c.h) AS h FROM humanaid_case_named AS c
            WHERE NOT EXISTS (SELECT 1 FROM homed WHERE homed.p = c.p)
            GROUP BY c.p HAVING count(DISTINCT c.h) = 1),
        members AS (SELECT p, h FROM homed UNION ALL SELECT p, h FROM named),
        known AS (
            SELECT m.h, count(*)::BIGINT AS k FROM members AS m
            WHERE m.h IN (SELECT h FROM reached) GROUP BY m.h),
        sized AS (
            SELECT r.h, r.n, s.members::BIGINT AS size, coalesce(known.k, 0) AS k
            FROM reached AS r LEFT JOIN homes AS s ON s.id = r.h
            LEFT JOIN known ON known.h = r.h),
        whole_counted AS (
            SELECT h, n, k, greatest(size - k, 0) AS unseen FROM sized
            WHERE size IS NOT NULL AND (k > 0 OR size > k))
        SELECT
            (SELECT coalesce(sum(n), 0) FROM alone)
                + (SELECT coalesce(sum(n * (k + unseen)), 0) FROM whole_counted),
            (SELECT count(DISTINCT p) FROM (
                SELECT p FROM alone
                UNION ALL SELECT m.p FROM members AS m JOIN whole_counted AS w ON m.h = w.h))
                + (SELECT coalesce(sum(unseen), 0) FROM whole_counted),
            (SELECT count(DISTINCT h) FROM (
                SELECT coalesce(homed.h, a.h) AS h FROM alone AS a
                LEFT JOIN homed ON homed.p = a.p
                UNION ALL SELECT h FROM whole_counted) WHERE h IS NOT NULL),
            (SELECT list(h) FROM sized WHERE size IS NULL)
        """
        times, persons, households, missing = con.execute(sql).fetchone()
    finally:
        con.close()
    return (int(times), int(persons), int(households)), list(missing or ())


def _reach_polars(
    held: Mapping[str, Any],
    conds: Mapping[str, tuple[_Cond, ...] | None],
    own: Mapping[str, tuple[_Cond, ...]],
    cases: tuple[Any, Any, Any],
    keep: Callable[[str | None, str | None], bool] | None,
    settings: Mapping[str, Any] | None,
) -> tuple[tuple[int, int, int], list[str]]:
    """The counts by polars (one lazy plan a figure), and the households of unknown size."""
    pl = _require("polars")
    text = pl.String

    def frame(name: str) -> Any:
        source = held[name]
        if isinstance(source, ColumnarSource):
            return source._polars_frame()
        return pl.from_arrow(_records_table(name, source)).lazy()

    def first(name: str, field: str) -> Any:
        got = frame(name)
        cond = _pl_cond(pl, own.get(name, ()))
        got = got if cond is None else got.filter(cond)
        return got.group_by(pl.col("id").cast(text)).agg(pl.col(field).first())

    def counted(name: str, key: str) -> Any:
        c = conds[name]
        empty = pl.LazyFrame(schema={"k": text, "n": pl.Int64})
        if c is None:
            return empty
        got = frame(name)
        cond = _pl_cond(pl, c)
        got = got if cond is None else got.filter(cond)
        if keep is not None:
            pair = [pl.col("project_id").cast(text), pl.col("program_id").cast(text)]
            pairs = got.select(pair).unique().collect().rows()
            kept = [p for p in pairs if keep(p[0], p[1])]
            if len(kept) < len(pairs):
                table = pl.LazyFrame(
                    {"project_id": [p[0] for p in kept], "program_id": [p[1] for p in kept]},
                    schema={"project_id": text, "program_id": text},
                )
                got = got.with_columns(pair).join(
                    table, on=["project_id", "program_id"], how="semi", nulls_equal=True
                )
        return got.group_by(pl.col(key).cast(text).alias("k")).agg(
            pl.len().cast(pl.Int64).alias("n")
        )

    ca, cw, nm = (pl.from_arrow(t).lazy() for t in cases)
    people = first("persons", "household_id")
    homes = first("households", "members").select(
        pl.col("id").alias("h"), pl.col("members").cast(pl.Int64).alias("size")
    )
    alone = pl.concat(
        [
            counted("screenings", "person_id").select(
                pl.col("k").alias("p"), pl.lit(None, text).alias("h"), "n"
            ),
            ca.select(pl.col("p").cast(text), pl.col("h").cast(text), pl.col("n").cast(pl.Int64)),
        ]
    )
    whole = pl.concat(
        [
            counted("distributions", "household_id").select(pl.col("k").alias("h"), "n"),
            cw.select(pl.col("h").cast(text), pl.col("n").cast(pl.Int64)),
        ]
    )
    reached = whole.group_by("h").agg(pl.col("n").sum())
    homed = people.filter(pl.col("household_id").is_not_null()).select(
        pl.col("id").alias("p"), pl.col("household_id").cast(text).alias("h")
    )
    named = (
        nm.select(pl.col("p").cast(text), pl.col("h").cast(text))
        .join(homed.select("p"), on="p", how="anti")
        .group_by("p")
        .agg(pl.col("h").min(), pl.col("h").n_unique().alias("c"))
        .filter(pl.col("c") == 1)
        .select("p", "h")
    )
    # the four inputs the figures read, each computed once (small: a row a person or
    # household reached, a row a listed person), then the figures over them
    alone, reached, homed, named = (
        f.lazy() for f in pl.collect_all([alone, reached, homed, named])
    )
    members = pl.concat([homed, named])
    known = (
        members.join(reached.select("h"), on="h", how="semi")
        .group_by("h")
        .agg(pl.len().cast(pl.Int64).alias("k"))
    )
    sized = (
        reached.join(homes, on="h", how="left")
        .join(known, on="h", how="left")
        .with_columns(pl.col("k").fill_null(0))
    )
    whole_counted = sized.filter(
        pl.col("size").is_not_null() & ((pl.col("k") > 0) | (pl.col("size") > pl.col("k")))
    ).with_columns(pl.max_horizontal(pl.col("size") - pl.col("k"), pl.lit(0)).alias("unseen"))
    persons = pl.concat(
        [alone.select("p"), members.join(whole_counted.select("h"), on="h", how="semi").select("p")]
    )
    households = pl.concat(
        [
            alone.join(homed.rename({"h": "home"}), on="p", how="left").select(
                pl.coalesce("home", "h").alias("h")
            ),
            whole_counted.select("h"),
        ]
    )
    got = pl.collect_all(
        [
            alone.select(pl.col("n").sum()),
            whole_counted.select(
                (pl.col("n") * (pl.col("k") + pl.col("unseen"))).sum(), pl.col("unseen").sum()
            ),
            persons.select(pl.col("p").n_unique()),
            households.select(pl.col("h").drop_nulls().n_unique()),
            sized.filter(pl.col("size").is_null()).select("h"),
        ]
    )
    times = int(got[0].item() or 0) + int(got[1].row(0)[0] or 0)
    unseen = int(got[1].row(0)[1] or 0)
    counts = (times, int(got[2].item()) + unseen, int(got[3].item()))
    return counts, [str(h) for h in got[4].to_series().to_list()]
