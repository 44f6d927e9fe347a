"""Aggregation: totals, counts and distinct counts by group, in one pass over any iterable.

:func:`tabulate` reads records once, from a list or from a generator over a file of a
million lines, and keeps one small accumulator per group: memory grows with the number
of groups, not of records. It returns a :class:`~humanaid.Table`.

* **Keys** say how records are grouped: a field name (``"channel"``, or a dotted path
  such as ``"value.currency"``), a function of the record, :func:`period_key` (the year,
  quarter or month of a date), :func:`area_key` (an area and, rolled up, every area
  above it) or :func:`lookup_key` (a field of another record the record refers to).
* **Measures** say what is computed per group: :func:`total` (money, exact, never mixing
  currencies), :func:`count`, :func:`distinct` and :func:`sum_of` (ints and Decimals).
* **Conditions** (:func:`field_is`, :func:`field_between`, :func:`field_in`,
  :func:`field_not_in`, and :func:`all_of` of several) restrict a query or a measure
  (``where=``); a columnar engine (:mod:`humanaid.interop.columnar`) runs them too.
* :func:`~humanaid.shares` and :func:`~humanaid.growth` turn figures into exact ratios
  (they live in :mod:`humanaid.ratios`, and rows sort by :func:`~humanaid.sort_key` of
  :mod:`humanaid.ordering`; all three are importable from here too).

>>> from datetime import date, datetime
>>> import attrs
>>> from humanaid import Money
>>> @attrs.frozen
... class Gift:
...     donor: str
...     on: date
...     value: Money
>>> gifts = [Gift("d1", date(2019, 5, 1), Money("100.00")),
...          Gift("d1", date(2020, 1, 9), Money("50.00")),
...          Gift("d2", date(2020, 3, 2), Money("25.50"))]
>>> print(tabulate(gifts, by=period_key("on", "year"), measures={
...     "raised": total("value", currency="CNY"), "gifts": count(), "donors": distinct("donor")}))
year    raised  gifts  donors
----  --------  -----  ------
2019  100.00元      1       1
2020   75.50元      2       2

How it runs
-----------
:func:`tabulate` checks the query, then runs a loop generated and compiled once per
shape of query, which reads fields inline, each once a record, and looks ids up through
a memo: about as fast as the loop one would write by hand. That loop, and what it buys,
is in the private module ``humanaid._aggregate_fast``; this module says what a query
is and finishes its table (roll-ups, cells, order).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs

from humanaid import _gc
from humanaid._aggregate_fast import KeyRead, Loop, MeasureRead, compile_loop
from humanaid._decimal import EXACT as _SUM
from humanaid.money import Money, known_currencies
from humanaid.ordering import sort_key
from humanaid.periods import Granularity, Period
from humanaid.ratios import SHARE_PLACES, growth, shares
from humanaid.table import CURRENCY_COLUMN, Column, ColumnKind, Table

__all__ = [
    "SHARE_PLACES",
    "AllOf",
    "AnyOf",
    "FieldCondition",
    "Key",
    "Measure",
    "NotEmpty",
    "NotIn",
    "all_of",
    "any_of",
    "area_key",
    "count",
    "distinct",
    "field_between",
    "field_in",
    "field_is",
    "field_not_empty",
    "field_not_in",
    "growth",
    "lookup_key",
    "parent_map",
    "period_key",
    "shares",
    "sort_key",
    "sum_of",
    "tabulate",
    "total",
]

_ZERO: Final = Decimal(0)  # a new group's total (the generated loop starts from it too)
_MAX_DEPTH: Final = 64

Source = str | Callable[[Any], Any]
"""Where a key or measure reads its value: a field name or dotted path, or a function."""


# -- reading values from records ---------------------------------------------------------------


def _check_path(path: str, what: str) -> str:
    if not isinstance(path, str) or not path or not all(p.isidentifier() for p in path.split(".")):
        raise ValueError(
            f"{what} must be a field name or a dotted path such as 'value.currency' (got {path!r})"
        )
    return path


def _safe_getter(path: str) -> Callable[[Any], Any]:
    """Read ``path``; ``None`` when a field on the way is ``None``; a clear error else."""
    parts = path.split(".")

    def get(record: Any) -> Any:
        value = record
        for i, part in enumerate(parts):
            if value is None:
                return None
            try:
                value = getattr(value, part)
            except AttributeError:
                if i == 0:
                    raise AttributeError(
                        f"{type(record).__name__} records have no field {part!r}"
                    ) from None
                where = ".".join(parts[:i])
                raise AttributeError(
                    f"'{where}' ({type(value).__name__}) has no field {part!r} (reading "
                    f"{path!r} from a {type(record).__name__} record)"
                ) from None
        return value

    return get


def _describe(source: Source) -> str:
    if isinstance(source, str):
        return repr(source)
    return getattr(source, "__qualname__", None) or repr(source)


def _check_source(source: object, what: str) -> Source:
    if isinstance(source, str):
        return _check_path(source, what)
    if callable(source):
        return source
    raise TypeError(f"{what} must be a field path or a function (got {type(source).__name__})")


# -- keys --------------------------------------------------------------------------------------

Finisher = Callable[[Any], tuple[Any, ...]]


@attrs.frozen(kw_only=True)
class Key:
    """One way of grouping records, and the name of its column in the table.

    Build keys with a field path (``"channel"``), a function, :func:`period_key`,
    :func:`area_key` or :func:`lookup_key`; give them names with a mapping
    (``by={"year": period_key("received_on")}``).

    Attributes:
        name: the column name.
        source: the field path or function that reads the raw value from a record.
    """

    name: str
    source: Source

    def _paths(self) -> tuple[str, ...] | None:
        """The attribute paths of the raw value (read inline in the loop), or None."""
        return (self.source,) if isinstance(self.source, str) else None

    def _safe(self) -> Callable[[Any], Any]:
        """The slow reader used when the fast one fails: None on the way, or a clear error."""
        paths = self._paths() or ()
        if len(paths) == 1:
            return _safe_getter(paths[0])
        safes = [_safe_getter(p) for p in paths]
        return lambda r: tuple(g(r) for g in safes)

    def _finisher(self) -> Finisher | None:
        """A function from a raw value to the key values it stands for (None: itself)."""
        return None

    def _kind(self) -> ColumnKind | None:
        return None

    def renamed(self, name: str) -> Key:
        """The same key with another column name."""
        return attrs.evolve(self, name=name)


@attrs.frozen(kw_only=True)
class _PeriodKey(Key):
    granularity: Granularity

    def _paths(self) -> tuple[str, ...] | None:
        # A date field is read as its year (and month) straight away, so that records
        # are grouped by year or month, not by day, and nothing is merged afterwards.
        if not isinstance(self.source, str):
            return None
        if self.granularity is Granularity.YEAR:
            return (f"{self.source}.year",)
        return (f"{self.source}.year", f"{self.source}.month")

    def _safe(self) -> Callable[[Any], Any]:
        get = _safe_getter(str(self.source))
        year_only = self.granularity is Granularity.YEAR
        source = self.source

        def read(record: Any) -> Any:
            d = get(record)
            if d is None:
                return None if year_only else (None, None)
            if not isinstance(d, date) or isinstance(d, datetime):
                raise TypeError(f"period_key({_describe(source)}) needs dates (got {d!r})")
            return d.year if year_only else (d.year, d.month)

        return read

    def _finisher(self) -> Finisher:
        cache: dict[Any, tuple[Any, ...]] = {}
        g = self.granularity
        source = self.source
        from_date = not isinstance(source, str)

        def period(raw: Any) -> Period | None:
            if from_date:
                if raw is None:
                    return None
                if isinstance(raw, date) and not isinstance(raw, datetime):
                    return Period.containing(raw, g)
            elif g is Granularity.YEAR:
                if raw is None:
                    return None
                if isinstance(raw, int) and not isinstance(raw, bool):
                    return Period.year(raw)
            elif isinstance(raw, tuple) and len(raw) == 2:
                year, month = raw
                if year is None and month is None:
                    return None
                if isinstance(year, int) and isinstance(month, int):
                    if g is Granularity.MONTH:
                        return Period.month(year, month)
                    return Period.quarter(year, (month + 2) // 3)
            raise TypeError(f"period_key({_describe(source)}) needs dates (got {raw!r})")

        def finish(raw: Any) -> tuple[Any, ...]:
            hit = cache.get(raw)
            if hit is None:
                hit = cache[raw] = (period(raw),)
            return hit

        return finish

    def _kind(self) -> ColumnKind:
        return ColumnKind.PERIOD


@attrs.frozen(kw_only=True)
class _AreaKey(Key):
    parents: Mapping[str, Any] | Callable[[str], str | None]
    rollup: bool
    only: Callable[[str], bool] | None

    def _finisher(self) -> Finisher:
        parents = self.parents
        parent: Callable[[str], str | None]
        if isinstance(parents, Mapping):

            def parent(area: str) -> str | None:
                up = parents.get(area)
                if up is None or isinstance(up, str):
                    return up
                return getattr(up, "parent_id", None)  # an index of area records

        else:
            parent = parents
        only = self.only
        rollup = self.rollup
        cache: dict[Any, tuple[Any, ...]] = {}

        def chain(area: Any) -> tuple[Any, ...]:
            hit = cache.get(area)
            if hit is not None:
                return hit
            if area is None:
                found: list[Any] = [None]
            else:
                found = [area]
                up = parent(area) if rollup else None
                while up is not None:
                    if up in found:
                        path = " -> ".join(str(a) for a in [*found, up])
                        raise ValueError(f"the area hierarchy has a cycle: {path}")
                    if len(found) >= _MAX_DEPTH:
                        raise ValueError(
                            f"the area hierarchy above {area!r} is deeper than {_MAX_DEPTH} levels"
                        )
                    found.append(up)
                    up = parent(up)
            result = tuple(a for a in found if only is None or (a is not None and only(a)))
            cache[area] = result
            return result

        return chain

    def _kind(self) -> ColumnKind:
        return ColumnKind.TEXT


@attrs.frozen(kw_only=True)
class _LookupKey(Key):
    index: Mapping[Any, Any]
    field: str

    def _paths(self) -> tuple[str, ...] | None:
        return None  # the id is read, then looked up (once per id, through a memo)

    def _looker(self) -> Callable[[Any], Any]:
        """The looked-up field for one id: ``None`` for a ``None`` or unknown id."""
        index = self.index
        get = _safe_getter(self.field)

        def look(ref: Any) -> Any:
            target = index.get(ref) if ref is not None else None
            return None if target is None else get(target)

        return look


@attrs.frozen(kw_only=True)
class _CurrencyKey(Key):
    def _kind(self) -> ColumnKind:
        return ColumnKind.TEXT


def period_key(
    source: Source, granularity: Granularity | str = Granularity.YEAR, *, name: str | None = None
) -> Key:
    """Group by the calendar year, quarter or month of a date field.

    The key values are :class:`~humanaid.Period` s, built with
    :meth:`Period.containing <humanaid.Period.containing>`; a record whose date is
    ``None`` goes to the ``None`` group.

    Args:
        source: the date field (``"received_on"``) or a function returning a date.
        granularity: ``"year"`` (default), ``"quarter"`` or ``"month"``.
        name: the column name; by default the granularity (``"year"``).

    >>> period_key("received_on", "quarter").name
    'quarter'
    """
    g = Granularity(granularity)
    src = _check_source(source, "'source'")
    return _PeriodKey(name=name or g.value, source=src, granularity=g)


def area_key(
    source: Source,
    parents: Mapping[str, Any] | Callable[[str], str | None],
    *,
    rollup: bool = True,
    only: Collection[str] | Callable[[str], bool] | None = None,
    name: str = "area",
) -> Key:
    """Group by an area and, rolled up, by every area above it.

    A record in a village counts in the village's group and in those of its township,
    county, city and province: ``parents`` says which area each one belongs to. Totals
    of different levels then overlap, so the rows of a rolled-up table do not add up to
    the grand total (the rows of one level do).

    The roll-up costs nothing per record: records are first grouped by their own area,
    and each area's figures are then merged into its ancestors' once. Distinct counts
    stay exact (a donor who gave in two villages of a county counts once in the county).

    Args:
        source: the field with the area id (``"area_id"``) or a function returning it.
        parents: the hierarchy: a map from an area id to its parent's id (``None`` at
            the top), such as :func:`parent_map` builds; or a map from an area id to
            its record with a ``parent_id`` (``dataset.index("admin_areas")``); or a
            function from an area id to its parent's. An id that is not in the map is a
            top area.
        rollup: set to ``False`` to group by the record's own area only.
        only: the areas to report (a collection of ids or a predicate), such as the
            ids of the counties; records still roll up through the others. ``None``
            reports every area.
        name: the column name.

    Raises:
        ValueError: (when tabulating) if the hierarchy has a cycle.

    >>> key = area_key("area_id", {"village-1": "county-1", "county-1": None})
    >>> key.name
    'area'
    """
    src = _check_source(source, "'source'")
    if not (isinstance(parents, Mapping) or callable(parents)):
        raise TypeError(
            f"'parents' must map area ids to parent ids, or be a function (got "
            f"{type(parents).__name__})"
        )
    pick: Callable[[str], bool] | None
    if only is None or callable(only):
        pick = only
    else:
        chosen = frozenset(only)
        pick = chosen.__contains__
    return _AreaKey(name=name, source=src, parents=parents, rollup=rollup, only=pick)


def lookup_key(
    source: Source, index: Mapping[Any, Any], field: str, *, name: str | None = None
) -> Key:
    """Group by a field of another record that each record refers to.

    ``lookup_key("donor_id", dataset.index("donors"), "kind")`` groups donations by
    their donor's kind. Each id is looked up once, the first time it is met, and the
    result kept in a memo for the rest of the pass: a record then costs one dictionary
    read, and records are grouped by the looked-up value (a few kinds), not by id (many
    donors). An id missing from ``index`` (or ``None``) goes to the ``None`` group.

    Args:
        source: the field holding the id (``"donor_id"``) or a function returning it.
        index: a map from id to record, such as :meth:`Dataset.index
            <humanaid.Dataset.index>` returns.
        field: the field (or dotted path) of the looked-up record to group by.
        name: the column name; by default ``field``.

    >>> lookup_key("donor_id", {}, "kind").name
    'kind'
    """
    src = _check_source(source, "'source'")
    _check_path(field, "'field'")
    if not isinstance(index, Mapping):
        raise TypeError(f"'index' must be a mapping from id to record (got {type(index).__name__})")
    return _LookupKey(name=name or field, source=src, index=index, field=field)


def parent_map(
    records: Iterable[Any], *, id: str = "id", parent: str = "parent_id"
) -> dict[str, str | None]:
    """Build the child -> parent map that :func:`area_key` needs from area records.

    >>> import attrs
    >>> @attrs.frozen
    ... class Area:
    ...     id: str
    ...     parent_id: str | None
    >>> parent_map([Area("yunnan", None), Area("qujing", "yunnan")])
    {'yunnan': None, 'qujing': 'yunnan'}
    """
    get_id = _safe_getter(_check_path(id, "'id'"))
    get_parent = _safe_getter(_check_path(parent, "'parent'"))
    return {get_id(r): get_parent(r) for r in records}


def _as_key(name: str | None, spec: object, position: str) -> Key:
    if isinstance(spec, Key):
        return spec if name is None else spec.renamed(name)
    if isinstance(spec, str):
        return Key(name=name or spec, source=_check_path(spec, position))
    if callable(spec):
        if name is None:
            fname = getattr(spec, "__name__", "")
            if not fname or not fname.isidentifier():
                raise ValueError(
                    f"{position} is a function without a usable name ({fname or spec!r}); "
                    "name its column with a mapping: by={'name': function}"
                )
            name = fname
        return Key(name=name, source=spec)
    raise TypeError(
        f"{position} must be a field path, a function or a Key (got {type(spec).__name__})"
    )


def _keys(by: object) -> list[Key]:
    if isinstance(by, Mapping):
        return [_as_key(str(n), spec, f"'by[{n!r}]'") for n, spec in by.items()]
    if isinstance(by, str | Key) or callable(by):
        return [_as_key(None, by, "'by'")]
    if isinstance(by, Iterable):
        return [_as_key(None, spec, f"'by[{i}]'") for i, spec in enumerate(by)]
    raise TypeError(f"'by' must be a key, a sequence of keys or a mapping (got {by!r})")


# -- measures ----------------------------------------------------------------------------------


class _What(enum.Enum):
    COUNT = "count"
    DISTINCT = "distinct"
    TOTAL = "total"
    SUM = "sum_of"


@attrs.frozen(kw_only=True, repr=False)
class Measure:
    """What to compute for each group.

    Build measures with :func:`total`, :func:`count`, :func:`distinct` and :func:`sum_of`.

    Every measure can be restricted to some records with ``where=`` (a function of the
    record, or faster a :func:`field_is` or :func:`field_between` condition), so one
    pass can count all gifts and the cash gifts side by side.
    """

    what: _What
    source: Source | None = None
    currency: str | None = None
    where: Callable[[Any], bool] | None = None

    def __repr__(self) -> str:
        args = [] if self.source is None else [_describe(self.source)]
        if self.currency is not None:
            args.append(f"currency={self.currency!r}")
        if self.where is not None:
            args.append(f"where={_describe(self.where)}")
        return f"{self.what.value}({', '.join(args)})"

    @property
    def slots(self) -> int:
        """How many accumulator cells the measure uses per group."""
        return 2 if self.what is _What.SUM else 1


def _where(where: object) -> Callable[[Any], bool] | None:
    if where is not None and not callable(where):
        raise TypeError(f"'where' must be a function of the record (got {type(where).__name__})")
    return where


def count(*, where: Callable[[Any], bool] | None = None) -> Measure:
    """Count the records of each group (笔数: each donation counts once).

    >>> count()
    count()
    """
    return Measure(what=_What.COUNT, where=_where(where))


def distinct(source: Source, *, where: Callable[[Any], bool] | None = None) -> Measure:
    """Count the different values of a field in each group (donors, households ...).

    ``None`` is not counted. The count is exact, so the engine keeps the set of values
    seen in each group: its memory grows with the number of different values (one
    entry per donor per group), not with the number of records.

    >>> distinct("donor_id")
    distinct('donor_id')
    """
    return Measure(
        what=_What.DISTINCT, source=_check_source(source, "'source'"), where=_where(where)
    )


def total(
    source: Source, *, currency: str | None = None, where: Callable[[Any], bool] | None = None
) -> Measure:
    """Add up a money field in each group, exactly, never mixing currencies.

    With ``currency="CNY"`` every amount must be in that currency: the cell is the
    total in it (zero when a group has no amount), and an amount in any other currency
    raises :class:`~humanaid.CurrencyMismatch`. Without a currency, the table gets a
    ``currency`` key column and one row per group **and currency**: each row's counts
    and totals are those of the records in that currency (records with no amount are in
    the rows whose currency is ``None``). All totals without a currency in one table
    must read the same field.

    ``None`` amounts (an optional money field) are skipped.

    >>> total("value", currency="CNY")
    total('value', currency='CNY')
    """
    if currency is not None and currency not in known_currencies():
        raise ValueError(f"'currency' must be a known ISO 4217 code (got {currency!r})")
    return Measure(
        what=_What.TOTAL,
        source=_check_source(source, "'source'"),
        currency=currency,
        where=_where(where),
    )


def sum_of(source: Source, *, where: Callable[[Any], bool] | None = None) -> Measure:
    """Add up an ``int`` or ``Decimal`` field in each group (indicator values, people).

    The sum is exact: an ``int`` while every value is one, else a ``Decimal`` computed
    in a local context that never rounds. ``None`` is skipped; floats, bools and money
    are refused (use :func:`total` for money).

    >>> sum_of("persons")
    sum_of('persons')
    """
    return Measure(what=_What.SUM, source=_check_source(source, "'source'"), where=_where(where))


# -- conditions --------------------------------------------------------------------------------


@attrs.frozen(kw_only=True, repr=False)
class FieldCondition:
    """A test of one field, for ``where=``, that the engine reads inline (no call a record).

    Build conditions with :func:`field_is` and :func:`field_between`. Any function of a
    record can restrict a query or a measure, but the engine must then call it for every
    record; a condition says what it tests, so the generated loop tests it in place. A
    condition is also a plain function of a record, true or false, usable anywhere a
    ``where`` function is. Its field is read as keys and measures read theirs: a dotted
    path gives ``None`` when a field on the way is ``None``.

    Attributes:
        path: the field (or dotted path) tested.
        values: for :func:`field_is`, the values that pass; else ``None``.
        low: for :func:`field_between`, the smallest value that passes.
        high: for :func:`field_between`, the largest value that passes.
    """

    path: str
    values: tuple[Any, ...] | None = None
    low: Any = None
    high: Any = None
    _get: Callable[[Any], Any] = attrs.field(
        init=False,
        eq=False,
        repr=False,
        default=attrs.Factory(lambda self: _safe_getter(self.path), takes_self=True),
    )

    def __attrs_post_init__(self) -> None:
        _check_path(self.path, "'path'")
        if self.values is None and (self.low is None or self.high is None):
            raise ValueError("a FieldCondition needs 'values', or both 'low' and 'high'")
        if self.values is not None and not isinstance(self.values, tuple):
            raise TypeError(f"'values' must be a tuple (got {type(self.values).__name__})")

    def __call__(self, record: Any) -> bool:
        """Whether ``record`` passes (the engine tests the same expression inline)."""
        value = self._get(record)
        if self.values is not None:
            return value in self.values
        return value is not None and bool(self.low <= value <= self.high)

    def __repr__(self) -> str:
        if self.values is not None:
            return f"field_is({self.path!r}, {', '.join(repr(v) for v in self.values)})"
        return f"field_between({self.path!r}, {self.low!r}, {self.high!r})"


def field_is(path: str, value: object, *more: object) -> FieldCondition:
    """True for records whose field equals ``value`` (or one of ``more``).

    ``total("value", where=field_is("form", DonationForm.IN_KIND))`` adds up the goods
    only; ``field_is("donor_id", None)`` picks the anonymous gifts. Values compare with
    ``==`` (as ``in`` does), so an enum member with a ``str`` value also equals its value.

    >>> from humanaid import DonationForm
    >>> field_is("form", DonationForm.IN_KIND)
    field_is('form', <DonationForm.IN_KIND: 'in_kind'>)
    """
    return FieldCondition(path=path, values=(value, *more))


def field_between(path: str, low: object, high: object) -> FieldCondition:
    """True for records whose field is from ``low`` to ``high``, both included.

    A ``None`` field never passes. Dates, numbers, text, anything that compares:
    ``field_between("received_on", period.start, period.end)`` keeps the gifts received
    in a :class:`~humanaid.Period` (which includes both its ends).

    Raises:
        ValueError: if ``high`` is below ``low`` (nothing could pass).
        TypeError: if ``low`` or ``high`` is ``None``.

    >>> from datetime import date
    >>> field_between("received_on", date(2020, 1, 1), date(2020, 12, 31))
    field_between('received_on', datetime.date(2020, 1, 1), datetime.date(2020, 12, 31))
    """
    if low is None or high is None:
        raise TypeError("'low' and 'high' must be values to compare with, not None")
    if high < low:  # type: ignore[operator]
        raise ValueError(f"'high' must not be below 'low' (got {low!r} to {high!r})")
    return FieldCondition(path=path, low=low, high=high)


def field_in(path: str, values: Iterable[object]) -> FieldCondition:
    """True for records whose field is one of ``values`` (:func:`field_is` with a collection).

    >>> field_in("channel", ["offline", "bank_transfer"])
    field_is('channel', 'offline', 'bank_transfer')
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"'values' must be a collection of values (got {type(values).__name__})")
    return FieldCondition(path=path, values=tuple(values))


@attrs.frozen(kw_only=True, repr=False)
class NotIn:
    """A test that a field is none of some values (:func:`field_not_in`).

    A plain function of a record, like :class:`FieldCondition`; a columnar engine
    translates it (``NOT IN``). A field that is ``None`` passes unless ``None`` is
    among the values.

    Attributes:
        path: the field (or dotted path) tested.
        values: the values that fail.
    """

    path: str
    values: frozenset[Any]
    _get: Callable[[Any], Any] = attrs.field(
        init=False,
        eq=False,
        repr=False,
        default=attrs.Factory(lambda self: _safe_getter(self.path), takes_self=True),
    )

    def __attrs_post_init__(self) -> None:
        _check_path(self.path, "'path'")

    def __call__(self, record: Any) -> bool:
        """Whether ``record`` passes: its field is none of the values."""
        return self._get(record) not in self.values

    def __repr__(self) -> str:
        shown = ", ".join(sorted(repr(v) for v in self.values))
        return f"field_not_in({self.path!r}, {{{shown}}})"


def field_not_in(path: str, values: Iterable[object]) -> NotIn:
    """True for records whose field is none of ``values``.

    ``field_not_in("id", skipped)`` leaves out a few records (gifts entered twice) from a
    query over millions, in Python and in a columnar engine alike.

    >>> field_not_in("id", ["g2"])
    field_not_in('id', {'g2'})
    >>> field_not_in("id", ["g2"])(attrs.make_class("G", ["id"])("g1"))
    True
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise TypeError(f"'values' must be a collection of values (got {type(values).__name__})")
    return NotIn(path=path, values=frozenset(values))


@attrs.frozen(kw_only=True, repr=False)
class NotEmpty:
    """A test that a field holds something: a non-empty list or text (:func:`field_not_empty`).

    Attributes:
        path: the field (or dotted path) tested.
    """

    path: str
    _get: Callable[[Any], Any] = attrs.field(
        init=False,
        eq=False,
        repr=False,
        default=attrs.Factory(lambda self: _safe_getter(self.path), takes_self=True),
    )

    def __attrs_post_init__(self) -> None:
        _check_path(self.path, "'path'")

    def __call__(self, record: Any) -> bool:
        """Whether ``record``'s field is truthy (``None`` and ``()`` are not)."""
        return bool(self._get(record))

    def __repr__(self) -> str:
        return f"field_not_empty({self.path!r})"


def field_not_empty(path: str) -> NotEmpty:
    """True for records whose field is a non-empty list (the goods of a handout).

    >>> field_not_empty("items")
    field_not_empty('items')
    """
    return NotEmpty(path=path)


@attrs.frozen(kw_only=True, repr=False)
class AllOf:
    """Several conditions that must all hold (:func:`all_of`).

    Attributes:
        conditions: the conditions, each a function of a record (a columnar engine
            translates the :class:`FieldCondition` s and :class:`NotIn` s among them).
    """

    conditions: tuple[Callable[[Any], bool], ...]

    def __call__(self, record: Any) -> bool:
        """Whether ``record`` passes every condition."""
        return all(c(record) for c in self.conditions)

    def __repr__(self) -> str:
        return f"all_of({', '.join(_describe(c) for c in self.conditions)})"


def all_of(*conditions: Callable[[Any], bool] | None) -> Callable[[Any], bool] | None:
    """The conditions together: true for a record that passes each of them.

    ``None`` s are left out (an optional period), nested :class:`AllOf` s flattened; one
    condition is returned as it is, and none as ``None`` (no restriction), so the
    result goes straight to ``where=``.

    >>> from datetime import date
    >>> all_of(None, field_is("form", "cash"))
    field_is('form', 'cash')
    >>> all_of(field_is("form", "cash"), field_between("received_on", date(2020, 1, 1),
    ...        date(2020, 12, 31)))
    all_of(field_is('form', 'cash'), field_between('received_on', ...))
    >>> all_of() is None
    True
    """
    flat: list[Callable[[Any], bool]] = []
    for c in conditions:
        if c is None:
            continue
        if isinstance(c, AllOf):
            flat.extend(c.conditions)
        elif callable(c):
            flat.append(c)
        else:
            raise TypeError(f"a condition must be a function of a record (got {type(c).__name__})")
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    return AllOf(conditions=tuple(flat))


@attrs.frozen(kw_only=True, repr=False)
class AnyOf:
    """Several conditions of which at least one must hold (:func:`any_of`).

    Attributes:
        conditions: the conditions, each a function of a record; a columnar engine
            translates them as it does any condition (``OR``), when it can translate
            each one.
    """

    conditions: tuple[Callable[[Any], bool], ...]

    def __call__(self, record: Any) -> bool:
        """Whether ``record`` passes one of the conditions (at least)."""
        return any(c(record) for c in self.conditions)

    def __repr__(self) -> str:
        return f"any_of({', '.join(_describe(c) for c in self.conditions)})"


def any_of(*conditions: Callable[[Any], bool] | None) -> Callable[[Any], bool]:
    """The conditions as alternatives: true for a record that passes one of them.

    ``any_of(field_is("source.kind", "project"), field_is("destination.kind", "project"))``
    keeps the flows out of a project or into one, each once, in one pass (a columnar
    engine reads the data once, where two queries would read it twice). Nested
    :class:`AnyOf` s are flattened; one condition is returned as it is.

    Raises:
        ValueError: if no condition is given (nothing could pass).
        TypeError: if a condition is ``None`` (no restriction: every record would pass,
            say so by leaving the ``any_of`` out) or not a function of a record.

    >>> either = any_of(field_is("form", "cash"), field_is("channel", "offline"))
    >>> either
    any_of(field_is('form', 'cash'), field_is('channel', 'offline'))
    >>> either(attrs.make_class("G", ["form", "channel"])("in_kind", "offline"))
    True
    >>> any_of(field_is("form", "cash"))
    field_is('form', 'cash')
    """
    if not conditions:
        raise ValueError("any_of needs at least one condition (none of nothing passes)")
    flat: list[Callable[[Any], bool]] = []
    for c in conditions:
        if isinstance(c, AnyOf):
            flat.extend(c.conditions)
        elif c is not None and callable(c):
            flat.append(c)
        else:
            raise TypeError(
                f"each condition of any_of must be a function of a record (got {type(c).__name__})"
            )
    if len(flat) == 1:
        return flat[0]
    return AnyOf(conditions=tuple(flat))


# -- the query ---------------------------------------------------------------------------------


def tabulate(
    records: Iterable[Any],
    *,
    by: object = (),
    measures: Mapping[str, Measure],
    where: Callable[[Any], bool] | None = None,
    title: str = "",
) -> Table:
    """Group records and compute measures per group, in one pass, into a :class:`Table`.

    Args:
        records: any iterable of records: a list, a dataset collection or a generator
            (read once, never stored).
        by: how to group: a key, a sequence of keys or a mapping from column name to key.
            A key is a field path (``"channel"``, ``"value.currency"``), a named function,
            or a :class:`Key` from :func:`period_key`, :func:`area_key` or
            :func:`lookup_key`. A dotted path gives ``None`` when a field on the way is
            ``None``. With no key, the table has one row for all records (even for none).
        measures: a mapping from column name to a measure: :func:`total`,
            :func:`count`, :func:`distinct` or :func:`sum_of`.
        where: keep only the records for which this function (or :class:`FieldCondition`,
            tested without a call) is true.
        title: the table's caption.

    Returns:
        A table with the key columns then the measure columns, one row per group,
        sorted by the keys (see :func:`~humanaid.sort_key`: ``None`` last; enums in the order of
        their members).

    Raises:
        CurrencyMismatch: if a total with a currency meets an amount in another one.
        TypeError: if a total meets a value that is not Money, or a sum one that is not
            an int or Decimal.

    Memory is one small accumulator per group (plus, for a distinct count, the set of
    values seen in the group); time is one short generated loop over the records.

    >>> import attrs
    >>> from humanaid import Money
    >>> @attrs.frozen
    ... class Gift:
    ...     channel: str
    ...     value: Money
    >>> gifts = [Gift("online", Money("10.00")), Gift("bank", Money("5.00", "USD")),
    ...          Gift("online", Money("2.50"))]
    >>> print(tabulate(gifts, by="channel", measures={"raised": total("value"), "n": count()}))
    channel  currency    raised  n
    -------  --------  --------  -
    bank     USD       5.00 USD  1
    online   CNY        12.50元  2
    """
    plan = _Plan(by, measures, where)
    if isinstance(records, Mapping | str | bytes):
        raise TypeError(f"'records' must be an iterable of records (got {type(records).__name__})")
    columnar = getattr(type(records), "__humanaid_tabulate__", None)
    if columnar is not None:
        # A columnar source (humanaid.interop.columnar) computes the same raw groups in
        # its engine; the finishing (roll-ups, cells, order) is this one, so the tables
        # cannot differ.
        return plan.table(columnar(records, plan), title)
    if not isinstance(records, list | tuple):
        # A stream (a generator over a file) makes its own objects as it goes, perhaps in
        # cycles; the collector keeps running so that memory stays bounded.
        return plan.table(plan.run(records), title)
    # Records already in memory: the pass makes no reference cycles. A query of ~200,000
    # groups takes 18.7 µs a record instead of 22.3; one of a few dozen, the same (_gc).
    with _gc.paused():
        return plan.table(plan.run(records), title)


def _tabulate_largest(
    records: Iterable[Any],
    *,
    largest: str,
    k: int,
    by: object = (),
    measures: Mapping[str, Measure],
    where: Callable[[Any], bool] | None = None,
    title: str = "",
) -> Table:
    """:func:`tabulate`, where a columnar engine may leave out groups outside the top ``k``.

    The table holds every group whose ``largest`` measure is among the ``k`` largest (a
    group tied with the k-th is kept), every group with a ``None`` key or no value, and
    every group whose total met another currency (so :class:`CurrencyMismatch` is raised
    as by :func:`tabulate`); a columnar source (:mod:`humanaid.interop.columnar`) may
    leave out the rest, any other collection keeps them. A caller that wants the top
    ``n`` of its own filter must ask ``k`` large enough for the groups it drops.
    """
    if isinstance(records, Mapping | str | bytes):
        raise TypeError(f"'records' must be an iterable of records (got {type(records).__name__})")
    columnar = getattr(type(records), "__humanaid_tabulate__", None)
    if columnar is None:
        return tabulate(records, by=by, measures=measures, where=where, title=title)
    plan = _Plan(by, measures, where)
    plan.largest = (plan.names.index(largest), k)
    return plan.table(columnar(records, plan), title)


def _tabulate_rows(
    records: Iterable[Any],
    *,
    by: object = (),
    measures: Mapping[str, Measure],
    where: Callable[[Any], bool] | None = None,
    ordered: bool = False,
) -> list[tuple[Any, ...]]:
    """:func:`tabulate`'s rows (keys, then the measures' cells), with no table.

    For a caller that reads the groups itself (thousands of cells rolled up again): the
    same figures as the table's rows, without building a :class:`Table`; in no order, or
    with ``ordered`` in the table's order (by the keys).
    """
    if isinstance(records, Mapping | str | bytes):
        raise TypeError(f"'records' must be an iterable of records (got {type(records).__name__})")
    plan = _Plan(by, measures, where)
    columnar = getattr(type(records), "__humanaid_tabulate__", None)
    if columnar is not None:
        return plan.rows(columnar(records, plan), ordered=ordered)
    if not isinstance(records, list | tuple):
        return plan.rows(plan.run(records), ordered=ordered)
    with _gc.paused():
        return plan.rows(plan.run(records), ordered=ordered)


# -- a query made ready to run -----------------------------------------------------------------


class _Plan:
    """A query made ready to run: names, the generated loop and the finishing steps."""

    def __init__(
        self,
        by: object,
        measures: Mapping[str, Measure],
        where: Callable[[Any], bool] | None,
    ) -> None:
        self.keys = _keys(by)
        if not isinstance(measures, Mapping):
            raise TypeError(
                "'measures' must map column names to measures, such as "
                "{'raised': total('value'), 'gifts': count()}"
            )
        self.names = [str(n) for n in measures]
        self.measures = list(measures.values())
        for n, m in zip(self.names, self.measures, strict=True):
            if not isinstance(m, Measure):
                raise TypeError(
                    f"measure {n!r} must be built with total(), count(), distinct() or "
                    f"sum_of() (got {type(m).__name__})"
                )
        self.where = _where(where)
        # (measure index, k): a columnar engine may return only the groups whose measure
        # is among the k largest (ties at the cut kept), see _tabulate_largest
        self.largest: tuple[int, int] | None = None
        per_currency = [m for m in self.measures if m.what is _What.TOTAL and m.currency is None]
        sources = {
            m.source if isinstance(m.source, str) else id(m.source): m.source for m in per_currency
        }
        if len(sources) > 1:
            found = ", ".join(sorted(_describe(s) for s in sources.values() if s is not None))
            raise ValueError(
                f"totals without a currency split rows by currency, so they must all read "
                f"one field (got {found}); give each a currency= or tabulate them separately"
            )
        self.currency_source: Source | None = per_currency[0].source if per_currency else None
        if self.currency_source is not None:
            self.keys.append(_CurrencyKey(name=CURRENCY_COLUMN, source=self.currency_source))
        all_names = [k.name for k in self.keys] + self.names
        dups = sorted({n for n in all_names if all_names.count(n) > 1})
        if dups:
            raise ValueError(f"column names must be unique (repeated: {', '.join(dups)})")
        self.offsets: list[int] = []
        at = 0
        for m in self.measures:
            self.offsets.append(at)
            at += m.slots
        self.width = at
        self.run = self._generate()

    # the loop ----------------------------------------------------------------------------------

    def _generate(self) -> Loop:
        """The query's loop, generated and compiled (:mod:`humanaid._aggregate_fast`)."""
        where = self.where
        keys = [
            KeyRead(
                source=k.source,
                paths=k._paths(),
                careful=k._safe,
                look=k._looker() if isinstance(k, _LookupKey) else None,
            )
            for k in self.keys
            if not isinstance(k, _CurrencyKey)
        ]
        measures = [
            MeasureRead(
                what=m.what.value,
                source=m.source,
                currency=m.currency,
                call=None if isinstance(m.where, FieldCondition) else m.where,
                test=m.where if isinstance(m.where, FieldCondition) else None,
                label=f"measure {name!r} ({m!r})",
                at=at,
            )
            for name, m, at in zip(self.names, self.measures, self.offsets, strict=True)
        ]
        splits = self.currency_source
        return compile_loop(
            keys,
            measures,
            where=None if isinstance(where, FieldCondition) else where,
            where_test=where if isinstance(where, FieldCondition) else None,
            currency=splits,
            currency_label="" if splits is None else f"total({_describe(splits)})",
            careful=_safe_getter,
        )

    # finishing ----------------------------------------------------------------------------------

    def fresh(self) -> list[Any]:
        """New accumulators for one group."""
        out: list[Any] = []
        for m in self.measures:
            if m.what is _What.COUNT:
                out.append(0)
            elif m.what is _What.DISTINCT:
                out.append(set())
            elif m.what is _What.TOTAL:
                out.append(_ZERO)
            else:
                out += [0, None]
        return out

    def merge(self, into: list[Any], other: list[Any]) -> None:
        """Add the accumulators ``other`` into ``into``."""
        for m, at in zip(self.measures, self.offsets, strict=True):
            if m.what is _What.COUNT:
                into[at] += other[at]
            elif m.what is _What.DISTINCT:
                into[at] |= other[at]
            elif m.what is _What.TOTAL:
                into[at] = _SUM.add(into[at], other[at])
            else:
                into[at] += other[at]
                d, e = into[at + 1], other[at + 1]
                into[at + 1] = e if d is None else d if e is None else _SUM.add(d, e)

    def cells(self, state: list[Any], currency: str | None) -> list[Any]:
        """The table cells of one group's measures."""
        out: list[Any] = []
        for name, m, at in zip(self.names, self.measures, self.offsets, strict=True):
            if m.what is _What.COUNT:
                out.append(state[at])
            elif m.what is _What.DISTINCT:
                out.append(len(state[at]))
            elif m.what is _What.TOTAL:
                cur = m.currency or currency
                out.append(None if cur is None else _money(state[at], cur, name))
            else:
                i, d = state[at], state[at + 1]
                if d is None:
                    out.append(i)
                else:
                    if not d.is_finite():
                        raise ValueError(f"measure {name!r} ({m!r}) met a value that is not finite")
                    out.append(_SUM.add(d, Decimal(i)))
        return out

    def table(self, groups: dict[Any, list[Any]], title: str) -> Table:
        """Turn the raw groups into the finished, sorted table."""
        nkeys = len(self.keys)
        rows = self.rows(groups, ordered=True)
        columns: list[Column] = []
        for i, k in enumerate(self.keys):
            kind = k._kind() or ColumnKind.infer(row[i] for row in rows)
            columns.append(Column(k.name, kind, key=True))
        for j, (name, m) in enumerate(zip(self.names, self.measures, strict=True)):
            if m.what is _What.TOTAL:
                columns.append(Column(name, ColumnKind.MONEY, currency=m.currency))
            elif m.what is _What.SUM:
                values = (row[nkeys + j] for row in rows)
                sum_kind = ColumnKind.infer(values)
                columns.append(Column(name, sum_kind if sum_kind.numeric else ColumnKind.INTEGER))
            else:
                columns.append(Column(name, ColumnKind.INTEGER))
        return Table(columns=columns, rows=rows, title=title)

    def rows(self, groups: dict[Any, list[Any]], *, ordered: bool) -> list[tuple[Any, ...]]:
        """The finished rows of the raw groups (keys, then cells); sorted if ``ordered``."""
        nkeys = len(self.keys)
        finishers = [k._finisher() for k in self.keys]
        if nkeys == 0 and not groups and self.currency_source is None:
            groups = {(): self.fresh()}
        final: dict[tuple[Any, ...], list[Any]] = {}
        identity = all(f is None for f in finishers)
        for raw, state in groups.items():
            comps: tuple[Any, ...] = raw if nkeys != 1 else (raw,)
            if identity:
                combos: Iterable[tuple[Any, ...]] = (comps,)
            else:
                options = [
                    (c,) if f is None else f(c) for f, c in zip(finishers, comps, strict=True)
                ]
                combos = itertools.product(*options)
            owned = False
            for combo in combos:
                into = final.get(combo)
                if into is None:
                    if owned:
                        into = final[combo] = self.fresh()
                        self.merge(into, state)
                    else:
                        final[combo] = state
                        owned = True
                else:
                    self.merge(into, state)
        order: Iterable[tuple[Any, ...]] = final
        if ordered:
            order = sorted(final, key=lambda combo: tuple(sort_key(v) for v in combo))
        cur_at = nkeys - 1 if self.currency_source is not None else None
        rows = []
        for combo in order:
            currency = combo[cur_at] if cur_at is not None else None
            rows.append((*combo, *self.cells(final[combo], currency)))
        return rows


def _money(amount: Decimal, currency: str, name: str) -> Money:
    try:
        return Money(amount, currency)
    except ValueError as exc:
        raise ValueError(f"measure {name!r}: the total {amount} {currency} {exc}") from None
