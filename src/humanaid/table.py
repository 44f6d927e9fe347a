"""Tables: what every summary returns, for people, notebooks, spreadsheets and pandas.

A :class:`Table` is an immutable value: named, typed :class:`Column` s and rows of plain
Python values (``Money``, ``Period``, ``int``, ``Decimal``, ``date``, enums, text). It
renders itself as aligned plain text (``print(table)``), as HTML in Jupyter, as a list of
dicts, as CSV safe to open in a spreadsheet, and as a pandas ``DataFrame`` when pandas is
installed (extra ``pandas``).

Money is shown as reports print it, with :meth:`Money.format <humanaid.Money.format>`:
in 元 (the default) to the fen with thousands separators (``1,234,567.89元``), in 万元 or
亿元 (``money_unit=``) rounded half-up to two decimals (``989.32万元``); ``money_places``
asks for other places. When a shown amount is rounded, a note under the table says so.
The cells keep the exact amounts: :meth:`Table.to_rows`, :meth:`Table.to_pandas` and
:meth:`Table.to_csv` give them. Ratios (shares, growth) are exact decimals, shown as
percentages.

A table also carries :attr:`Table.findings`: what is wrong with the records its figures
were computed from, shown under it in text and HTML and kept out of its rows, CSV and
pandas forms.

>>> from humanaid import Money, Period
>>> t = Table(
...     columns=[Column("year", "period", key=True), Column("raised", "money", currency="CNY")],
...     rows=[(Period.year(2019), Money("3877990.00")), (Period.year(2020), Money("9893200.00"))],
...     title="Raised by year",
... )
>>> print(t)
Raised by year
year          raised
----  --------------
2019  3,877,990.00元
2020  9,893,200.00元
>>> print(t.with_format(money_unit="万元"))
Raised by year
year      raised
----  ----------
2019  387.80万元
2020  989.32万元
note: amounts in 万元 are rounded half-up to two decimals (totals from their exact sums);
exact amounts are in to_rows(), to_pandas() and to_csv()
>>> t.row("2019")["raised"]
Money('3877990.00', 'CNY')
>>> print(t.to_csv(money_unit="万元"), end="")
year,raised (万元)
2019,387.799
2020,989.32
"""

from __future__ import annotations

import csv
import enum
import html
import importlib
import io
import os
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Final

import attrs

from humanaid._decimal import SHOWN as _EXACT
from humanaid._decimal import percent
from humanaid._extras import missing_extra
from humanaid._formulas import guard
from humanaid._text import display_width as _width
from humanaid._text import pad as _pad
from humanaid.errors import CurrencyMismatch
from humanaid.findings import Finding, Findings
from humanaid.money import Money, Rounding, known_currencies
from humanaid.ordering import sort_key
from humanaid.periods import Period
from humanaid.ratios import growth, shares

__all__ = ["Column", "ColumnKind", "Table"]

MONEY_UNITS: Final = ("元", "万元", "亿元")
_SHIFT: Final = {"元": 0, "万元": 4, "亿元": 8}
# Other currencies have no 元: the same scale is written 万/亿 before the code.
_FOREIGN_UNIT: Final = {"元": None, "万元": "万", "亿元": "亿"}
# How reports print money by default: 元 to the fen (the currency's places, so exactly),
# 万元 and 亿元 to two decimals (989.32万元), half-up (四舍五入).
_SHOWN_PLACES: Final = {"元": None, "万元": 2, "亿元": 2}
_PLACES_IN_WORDS: Final = {0: "whole numbers", 1: "one decimal", 2: "two decimals"}
# Shown escaped in plain text, where they would break a line or a column.
_BREAKING_CATEGORIES: Final = frozenset({"Cc", "Zl", "Zp"})
CURRENCY_COLUMN: Final = "currency"
FINDINGS_SHOWN: Final = 10
"""How many findings text and HTML show under a table; the rest are counted."""


class ColumnKind(enum.StrEnum):
    """What a column holds; it decides how cells are checked, aligned and written.

    =========  =====================================  ===========================
    kind       cells                                  shown as
    =========  =====================================  ===========================
    text       ``str``, an enum, or any other value   the text (an enum's value)
    integer    ``int`` (counts)                       ``1330``
    decimal    ``Decimal`` or ``int`` (sums)           every digit, no exponent
    ratio      ``Decimal`` (shares, growth)           a percentage, ``12.35%``
    money      :class:`~humanaid.Money`               ``989.32万元``
    date       :class:`datetime.date`                 ``2020-02-29``
    period     :class:`~humanaid.Period`              ``2020-Q1``
    boolean    ``bool``                               ``yes`` / ``no``
    =========  =====================================  ===========================

    Any cell may be ``None`` (nothing to show); floats are refused everywhere.
    """

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    RATIO = "ratio"
    MONEY = "money"
    DATE = "date"
    PERIOD = "period"
    BOOLEAN = "boolean"

    @property
    def numeric(self) -> bool:
        """Whether cells of this kind are numbers (right-aligned, never CSV-escaped)."""
        return self in (ColumnKind.INTEGER, ColumnKind.DECIMAL, ColumnKind.RATIO, ColumnKind.MONEY)

    @classmethod
    def infer(cls, values: Iterable[Any]) -> ColumnKind:
        """The narrowest kind that holds every value (``None`` is ignored; text if none).

        >>> ColumnKind.infer([1, 2, None])
        <ColumnKind.INTEGER: 'integer'>
        >>> ColumnKind.infer([1, Decimal("2.5")])
        <ColumnKind.DECIMAL: 'decimal'>
        >>> ColumnKind.infer(["a", 1])
        <ColumnKind.TEXT: 'text'>
        """
        seen: set[ColumnKind] = set()
        for v in values:
            if v is None:
                continue
            if isinstance(v, float):
                raise TypeError(f"a table cell must not be a float (got {v!r}); use Decimal")
            seen.add(_kind_of(v))
            if len(seen) > 2:
                return cls.TEXT
        if not seen:
            return cls.TEXT
        if len(seen) == 1:
            return seen.pop()
        if seen == {cls.INTEGER, cls.DECIMAL}:
            return cls.DECIMAL
        return cls.TEXT


def _kind_of(v: object) -> ColumnKind:
    if isinstance(v, bool):
        return ColumnKind.BOOLEAN
    if isinstance(v, enum.Enum):
        return ColumnKind.TEXT
    if isinstance(v, int):
        return ColumnKind.INTEGER
    if isinstance(v, Decimal):
        return ColumnKind.DECIMAL
    if isinstance(v, Money):
        return ColumnKind.MONEY
    if isinstance(v, Period):
        return ColumnKind.PERIOD
    if isinstance(v, date) and not isinstance(v, datetime):
        return ColumnKind.DATE
    return ColumnKind.TEXT


def _column_name(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{attribute.name}' must be a non-empty str (got {value!r})")


def _column_currency(column: Column, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if value not in known_currencies():
        raise ValueError(f"'currency' must be a known ISO 4217 code (got {value!r})")
    if column.kind is not ColumnKind.MONEY:
        raise ValueError(
            f"'currency' is only for money columns (column {column.name!r} is {column.kind.value})"
        )


@attrs.frozen
class Column:
    """A named, typed column of a :class:`Table`.

    Attributes:
        name: the header; unique in its table.
        kind: what the cells hold (a :class:`ColumnKind` or its value, ``"money"``).
        key: whether the column identifies the row (a group key), as opposed to a figure.
        currency: for a money column, the one currency of all its cells if there is one;
            ``None`` means each cell carries its own (see :meth:`Table.to_csv`).

    >>> Column("raised", "money", currency="CNY")
    Column(name='raised', kind=<ColumnKind.MONEY: 'money'>, key=False, currency='CNY')
    """

    name: str = attrs.field(validator=_column_name)
    kind: ColumnKind = attrs.field(converter=ColumnKind)
    key: bool = attrs.field(default=False, kw_only=True)
    currency: str | None = attrs.field(default=None, kw_only=True, validator=_column_currency)


def _columns(value: Iterable[Column]) -> tuple[Column, ...]:
    cols = tuple(value)
    for i, c in enumerate(cols):
        if not isinstance(c, Column):
            raise TypeError(f"'columns[{i}]' must be a Column (got {type(c).__name__})")
    names = [c.name for c in cols]
    dups = sorted({n for n in names if names.count(n) > 1})
    if dups:
        raise ValueError(f"'columns' must have unique names (repeated: {', '.join(dups)})")
    return cols


def _rows(value: Iterable[Sequence[Any]]) -> tuple[tuple[Any, ...], ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"'rows' must be a sequence of row sequences (got {type(value).__name__})")
    out = []
    for i, row in enumerate(value):
        if isinstance(row, str | bytes | Mapping) or not isinstance(row, Sequence):
            raise TypeError(
                f"'rows[{i}]' must be a sequence of cells (got {type(row).__name__}); "
                "use Table.from_rows for dicts"
            )
        out.append(tuple(row))
    return tuple(out)


def _notes(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    notes = tuple(value)
    for i, note in enumerate(notes):
        if not isinstance(note, str):
            raise TypeError(f"'notes[{i}]' must be a str (got {type(note).__name__})")
    return notes


def _findings(value: Iterable[Finding]) -> Findings:
    if isinstance(value, Findings):
        return value
    if isinstance(value, str | bytes | Finding) or not isinstance(value, Iterable):
        raise TypeError(f"'findings' must be an iterable of Finding (got {type(value).__name__})")
    return Findings(value)


def _money_unit(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value not in MONEY_UNITS:
        raise ValueError(f"'{attribute.name}' must be one of 元, 万元, 亿元 (got {value!r})")


def _places(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "money_places":
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 20:
        raise ValueError(f"'{attribute.name}' must be a whole number from 0 to 20 (got {value!r})")


def _check_cell(column: Column, value: object, where: str) -> None:
    if value is None:
        return
    kind = column.kind
    if isinstance(value, float):
        raise TypeError(f"{where} must not be a float (got {value!r}); use Decimal or Money")
    ok: bool
    if isinstance(value, Money) and column.currency not in (None, value.currency):
        raise ValueError(
            f"{where} must be in {column.currency}, the column's currency (got {value})"
        )
    if kind is ColumnKind.TEXT:
        ok = True
    elif kind is ColumnKind.INTEGER:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind in (ColumnKind.DECIMAL, ColumnKind.RATIO):
        ok = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, Decimal) and value.is_finite()
        )
    elif kind is ColumnKind.MONEY:
        ok = isinstance(value, Money)
    elif kind is ColumnKind.DATE:
        ok = isinstance(value, date) and not isinstance(value, datetime)
    elif kind is ColumnKind.PERIOD:
        ok = isinstance(value, Period)
    else:
        ok = isinstance(value, bool)
    if not ok:
        raise TypeError(f"{where} must hold a {kind.value} value (got {value!r})")


@attrs.frozen(kw_only=True)
class Table:
    """An immutable table of figures: what every summary in humanaid returns.

    Build one from columns and rows, or with :meth:`from_rows` from dicts; the
    aggregation engine (:func:`humanaid.tabulate`) returns one. Every cell is checked
    against its column's kind when the table is made.

    Attributes:
        columns: the columns, in order; names are unique.
        rows: the rows, each a tuple with one cell per column.
        title: a caption shown above the text and HTML forms.
        notes: footnotes shown below them (for example what was suppressed).
        findings: what is wrong with the records the figures were computed from (a
            :class:`~humanaid.Findings`, empty by default): the summaries put here the
            error findings about the records they read. Shown below the notes in text
            and HTML (the first ten, then how many more); never a row, so
            :meth:`to_rows`, :meth:`to_csv` and :meth:`to_pandas` leave them out.
        money_unit: how money is shown: ``"元"`` (default), ``"万元"`` or ``"亿元"``.
        money_places: the places money is shown with, rounded half-up; ``None`` (the
            default) shows it as reports print it: in 元 to the currency's places (every
            digit), with thousands separators; in 万元 and 亿元 to two decimals. Rounding
            changes only what is shown, and a note under the table says when it did.
        percent_places: the places of a ratio shown as a percentage (default 2, half-up).

    The three display settings do not take part in equality: two tables with the same
    columns, rows, title, notes and findings are equal however they are shown.

    >>> t = Table.from_rows([{"kind": "company", "gifts": 3}, {"kind": "person", "gifts": 12}],
    ...                     keys=["kind"])
    >>> print(t)
    kind     gifts
    -------  -----
    company      3
    person      12
    >>> t.to_rows()
    [{'kind': 'company', 'gifts': 3}, {'kind': 'person', 'gifts': 12}]
    """

    columns: tuple[Column, ...] = attrs.field(converter=_columns)
    rows: tuple[tuple[Any, ...], ...] = attrs.field(converter=_rows)
    title: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    notes: tuple[str, ...] = attrs.field(default=(), converter=_notes)
    findings: Findings = attrs.field(factory=Findings, converter=_findings)
    money_unit: str = attrs.field(default="元", validator=_money_unit, eq=False)
    money_places: int | None = attrs.field(default=None, validator=_places, eq=False)
    percent_places: int = attrs.field(default=2, validator=_places, eq=False)

    def __attrs_post_init__(self) -> None:
        width = len(self.columns)
        currency_at = self._index_or_none(CURRENCY_COLUMN)
        for i, row in enumerate(self.rows):
            if len(row) != width:
                raise ValueError(
                    f"'rows[{i}]' has {len(row)} cells but the table has {width} columns"
                )
            for column, cell in zip(self.columns, row, strict=True):
                _check_cell(column, cell, f"'rows[{i}]' cell {column.name!r}")
                if (
                    currency_at is not None
                    and column.kind is ColumnKind.MONEY
                    and column.currency is None
                    and isinstance(cell, Money)
                    and row[currency_at] != cell.currency
                ):
                    raise ValueError(
                        f"'rows[{i}]' cell {column.name!r} is in {cell.currency} but the row's "
                        f"{CURRENCY_COLUMN!r} is {row[currency_at]!r}"
                    )

    # -- building ---------------------------------------------------------------------

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[Mapping[str, Any]],
        *,
        columns: Sequence[str | Column] | None = None,
        keys: Iterable[str] = (),
        title: str = "",
    ) -> Table:
        """Build a table from dicts, one per row, inferring each column's kind.

        Args:
            rows: the rows; each maps a column name to its cell (a missing name is
                ``None``; a name that is not a column is an error).
            columns: the column names (or :class:`Column` s) in order; by default the
                names of the first row, in its order.
            keys: the names of the key columns (only for columns given as names).
            title: the table's caption.

        >>> Table.from_rows([{"year": Period.year(2020), "gifts": 3}], keys=["year"]).columns
        (Column(name='year', kind=<ColumnKind.PERIOD: 'period'>, key=True, currency=None), \
Column(name='gifts', kind=<ColumnKind.INTEGER: 'integer'>, key=False, currency=None))
        """
        dicts = [dict(r) for r in rows]
        specs: list[str | Column] = (
            list(columns) if columns is not None else list(dicts[0] if dicts else ())
        )
        names = [c.name if isinstance(c, Column) else c for c in specs]
        for i, d in enumerate(dicts):
            unknown = [k for k in d if k not in names]
            if unknown:
                raise ValueError(f"'rows[{i}]' has cells for unknown columns: {unknown}")
        key_names = set(keys)
        cells = [tuple(d.get(n) for n in names) for d in dicts]
        cols: list[Column] = []
        for j, spec in enumerate(specs):
            if isinstance(spec, Column):
                cols.append(spec)
                continue
            values = [row[j] for row in cells]
            kind = ColumnKind.infer(values)
            currency = None
            if kind is ColumnKind.MONEY:
                found = {v.currency for v in values if v is not None}
                currency = found.pop() if len(found) == 1 else None
            cols.append(Column(spec, kind, key=spec in key_names, currency=currency))
        return cls(columns=cols, rows=cells, title=title)

    # -- looking at it ----------------------------------------------------------------

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def key_columns(self) -> tuple[Column, ...]:
        """The key columns (those that identify a row), in order."""
        return tuple(c for c in self.columns if c.key)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Iterate over the rows as dicts from column name to cell."""
        names = self.column_names
        for row in self.rows:
            yield dict(zip(names, row, strict=True))

    def _index_or_none(self, name: str) -> int | None:
        for i, c in enumerate(self.columns):
            if c.name == name:
                return i
        return None

    def _index(self, name: str) -> int:
        i = self._index_or_none(name)
        if i is None:
            known = ", ".join(self.column_names) or "none"
            raise KeyError(f"the table has no column {name!r} (columns: {known})")
        return i

    def column(self, name: str) -> tuple[Any, ...]:
        """The cells of one column, top to bottom.

        Raises:
            KeyError: naming the columns there are when ``name`` is not one of them.
        """
        i = self._index(name)
        return tuple(row[i] for row in self.rows)

    def _key_of(self, row: tuple[Any, ...]) -> Any:
        idx = [i for i, c in enumerate(self.columns) if c.key]
        if len(idx) == 1:
            return row[idx[0]]
        return tuple(row[i] for i in idx)

    def as_dict(self, column: str) -> dict[Any, Any]:
        """Map each row's key to its cell in ``column``.

        The key is the value of the key column when there is one, else a tuple of the
        key columns' values in order.

        >>> t = Table.from_rows([{"kind": "company", "gifts": 3}], keys=["kind"])
        >>> t.as_dict("gifts")
        {'company': 3}
        """
        i = self._index(column)
        return {self._key_of(row): row[i] for row in self.rows}

    def row(self, *key: Any) -> dict[str, Any]:
        """The one row whose key columns hold ``key``, as a dict.

        A ``str`` stands for a period in a period column (``"2020-Q1"``) and for a date
        in a date column (``"2020-02-29"``).

        Raises:
            KeyError: when no row, or more than one, has that key.
        """
        keys = self.key_columns
        if len(key) != len(keys):
            names = ", ".join(c.name for c in keys) or "none"
            raise KeyError(f"give one value per key column ({names}); got {len(key)}")
        wanted = tuple(_coerce_key(c, v) for c, v in zip(keys, key, strict=True))
        idx = [i for i, c in enumerate(self.columns) if c.key]
        found = [r for r in self.rows if tuple(r[i] for i in idx) == wanted]
        if len(found) != 1:
            what = "no row" if not found else f"{len(found)} rows"
            raise KeyError(f"{what} with key {wanted!r}")
        return dict(zip(self.column_names, found[0], strict=True))

    # -- new tables from this one -------------------------------------------------------

    def with_format(
        self,
        *,
        money_unit: str | None = None,
        money_places: int | None = None,
        percent_places: int | None = None,
    ) -> Table:
        """The same table, shown with other display settings (see the attributes).

        >>> from humanaid import Money
        >>> print(Table.from_rows([{"raised": Money("12345.67")}]).with_format(
        ...     money_unit="万元", money_places=4))
            raised
        ----------
        1.2346万元
        note: amounts in 万元 are rounded half-up to 4 decimals (totals from their exact
        sums); exact amounts are in to_rows(), to_pandas() and to_csv()
        """
        changes: dict[str, Any] = {}
        if money_unit is not None:
            changes["money_unit"] = money_unit
        if money_places is not None:
            changes["money_places"] = money_places
        if percent_places is not None:
            changes["percent_places"] = percent_places
        return attrs.evolve(self, **changes)

    def with_title(self, title: str) -> Table:
        """The same table with another caption."""
        return attrs.evolve(self, title=title)

    def with_note(self, note: str) -> Table:
        """The same table with one more footnote."""
        return attrs.evolve(self, notes=(*self.notes, note))

    def with_findings(self, findings: Iterable[Finding]) -> Table:
        """The same table with ``findings`` added to those it carries (shown under it).

        >>> from humanaid import Finding
        >>> t = Table.from_rows([{"fund": "f1", "gifts": 3}], keys=["fund"]).with_findings(
        ...     [Finding(rule="funds.overdrawn", severity="error", subject="f1",
        ...              message="fund 'f1' is overdrawn by 20.00元 on 2020-05-01")])
        >>> print(t)
        fund  gifts
        ----  -----
        f1        3
        1 finding (1 error):
          ERROR funds.overdrawn [f1]: fund 'f1' is overdrawn by 20.00元 on 2020-05-01
        >>> t.to_rows()
        [{'fund': 'f1', 'gifts': 3}]
        """
        return attrs.evolve(self, findings=Findings((*self.findings, *_findings(findings))))

    def select(self, *names: str) -> Table:
        """A table of only the named columns, in the order given."""
        idx = [self._index(n) for n in names]
        return attrs.evolve(
            self,
            columns=[self.columns[i] for i in idx],
            rows=[tuple(r[i] for i in idx) for r in self.rows],
        )

    def rename(self, names: Mapping[str, str]) -> Table:
        """A table whose columns are renamed by ``names`` (old name -> new name).

        >>> Table.from_rows([{"gifts": 3}]).rename({"gifts": "笔数"}).column_names
        ('笔数',)
        """
        for old in names:
            self._index(old)
        cols = [attrs.evolve(c, name=names.get(c.name, c.name)) for c in self.columns]
        return attrs.evolve(self, columns=cols)

    def where(self, predicate: Callable[[dict[str, Any]], bool]) -> Table:
        """A table of the rows for which ``predicate(row_dict)`` is true."""
        names = self.column_names
        kept = [r for r in self.rows if predicate(dict(zip(names, r, strict=True)))]
        return attrs.evolve(self, rows=kept)

    def sort_by(self, *names: str, descending: bool = False) -> Table:
        """A table sorted by the named columns (``None`` last, stable).

        Money of different currencies is never compared: sorting a money column that
        mixes currencies raises :class:`~humanaid.CurrencyMismatch`.
        """
        idx = [self._index(n) for n in names]
        rows = list(self.rows)
        for i in reversed(idx):
            present = [r for r in rows if r[i] is not None]
            missing = [r for r in rows if r[i] is None]
            if self.columns[i].kind is ColumnKind.MONEY:
                currencies = {r[i].currency for r in present}
                if len(currencies) > 1:
                    raise CurrencyMismatch(
                        f"cannot sort {self.columns[i].name!r} by amount: it holds "
                        f"{', '.join(sorted(currencies))} amounts"
                    )
            present.sort(key=lambda r: sort_key(r[i]), reverse=descending)
            rows = present + missing
        return attrs.evolve(self, rows=rows)

    def head(self, n: int) -> Table:
        """A table of the first ``n`` rows (top donors: ``sort_by(..., descending=True)``)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"'n' must be a whole number >= 0 (got {n!r})")
        return attrs.evolve(self, rows=self.rows[:n])

    def with_column(
        self,
        name: str,
        compute: Callable[[dict[str, Any]], Any],
        *,
        kind: ColumnKind | str | None = None,
        currency: str | None = None,
    ) -> Table:
        """A table with one more column, computed from each row (as a dict).

        The kind is inferred from the values unless given.

        >>> t = Table.from_rows([{"gifts": 3, "donors": 2}])
        >>> t.with_column("gifts per donor", lambda r: Decimal(r["gifts"]) / r["donors"]
        ...              ).column("gifts per donor")
        (Decimal('1.5'),)
        """
        values = [compute(row) for row in self]
        k = ColumnKind(kind) if kind is not None else ColumnKind.infer(values)
        col = Column(name, k, currency=currency)
        return attrs.evolve(
            self,
            columns=[*self.columns, col],
            rows=[(*r, v) for r, v in zip(self.rows, values, strict=True)],
        )

    def with_shares(
        self,
        column: str,
        *,
        name: str | None = None,
        within: Iterable[str] = (),
        places: int | None = None,
        rounding: Rounding | str | None = None,
    ) -> Table:
        """A table with a ratio column: each row's share of ``column``'s total.

        Shares are computed with :func:`humanaid.aggregate.shares` (exact, adding up to exactly 1
        unless ``rounding`` asks for each share to be rounded on its own), over all rows
        or, with ``within``, separately within each group of rows that agree on those
        columns (the share of each channel within its year). Empty cells get no share.

        >>> from humanaid import Money
        >>> t = Table.from_rows([{"kind": "company", "raised": Money("300")},
        ...                      {"kind": "person", "raised": Money("100")}], keys=["kind"])
        >>> t.with_shares("raised").column("raised share")
        (Decimal('0.75'), Decimal('0.25'))
        """
        i = self._index(column)
        groups_at = [self._index(n) for n in within]
        by_group: dict[tuple[Any, ...], list[int]] = {}
        for r, row in enumerate(self.rows):
            if row[i] is not None:
                by_group.setdefault(tuple(row[g] for g in groups_at), []).append(r)
        out: list[Decimal | None] = [None] * len(self.rows)
        for members in by_group.values():
            parts = shares([self.rows[r][i] for r in members], places=places, rounding=rounding)
            for r, s in zip(members, parts, strict=True):
                out[r] = s
        col = Column(name or f"{column} share", ColumnKind.RATIO)
        return attrs.evolve(
            self,
            columns=[*self.columns, col],
            rows=[(*row, s) for row, s in zip(self.rows, out, strict=True)],
        )

    def with_growth(self, column: str, *, over: str, name: str | None = None) -> Table:
        """A table with a ratio column: growth of ``column`` since the previous period.

        ``over`` names a key column of periods (or of ``int`` years). For each row, the
        row with the same other keys and the period just before
        (:meth:`Period.previous <humanaid.Period.previous>`) is the base, and the growth
        is :func:`humanaid.aggregate.growth` of the two: ``None`` when there is no such row or its
        figure is zero.

        >>> from humanaid import Money, Period
        >>> t = Table.from_rows([{"year": Period.year(2019), "raised": Money("100")},
        ...                      {"year": Period.year(2020), "raised": Money("125")}],
        ...                     keys=["year"])
        >>> t.with_growth("raised", over="year").column("raised growth")
        (None, Decimal('0.25'))
        """
        i = self._index(column)
        p = self._index(over)
        others = [j for j, c in enumerate(self.columns) if c.key and j != p]
        index: dict[tuple[Any, ...], Any] = {}
        for row in self.rows:
            index[(tuple(row[j] for j in others), row[p])] = row[i]
        out: list[Decimal | None] = []
        for row in self.rows:
            period = row[p]
            if isinstance(period, Period):
                before: Any = period.previous()
            elif isinstance(period, int) and not isinstance(period, bool):
                before = period - 1
            elif period is None:
                out.append(None)
                continue
            else:
                raise TypeError(
                    f"'over' must name a column of periods or int years ({over!r} holds "
                    f"{type(period).__name__})"
                )
            base = index.get((tuple(row[j] for j in others), before))
            out.append(None if base is None or row[i] is None else growth(row[i], base))
        col = Column(name or f"{column} growth", ColumnKind.RATIO)
        return attrs.evolve(
            self,
            columns=[*self.columns, col],
            rows=[(*row, g) for row, g in zip(self.rows, out, strict=True)],
        )

    def suppress_small_cells(self, k: int = 5, *, columns: Iterable[str] | None = None) -> Table:
        """Blank the counts below ``k`` before publishing, and the cells that reveal them.

        Each count column (``columns``; by default every integer column that is not a
        key) is handed to :func:`humanaid.privacy.suppress_small_cells` as a two-way
        table: the last key column across, the other key columns down (a table with one
        key is one column of counts). Its counts from 1 to ``k - 1`` are blanked, and so
        are the further cells needed so that no blank can be worked out from the others
        and from the totals a reader could add up. In a row where a count is blanked,
        the row's other figures that are not keys or counts (money raised by those few
        people, a share) are blanked too. The table gets a note saying so.

        Rows must be identified by their key columns, and rows should not overlap (a
        table rolled up through an area hierarchy should be suppressed one level at a
        time).

        Args:
            k: the smallest count that may be published.
            columns: the count columns to check.

        Raises:
            ValueError: if a named column is not an integer column, a count is already
                blank or negative, or two rows have the same key.

        >>> t = Table.from_rows([{"village": v, "households": n}
        ...                      for v, n in [("a", 12), ("b", 3), ("c", 9)]], keys=["village"])
        >>> print(t.suppress_small_cells(k=5))
        village  households
        -------  ----------
        a                12
        b
        c
        note: counts below 5 are left blank, with the cells that would give them away
        """
        from humanaid.privacy import suppress_small_cells

        if columns is None:
            checked = [
                j for j, c in enumerate(self.columns) if not c.key and c.kind is ColumnKind.INTEGER
            ]
        else:
            checked = [self._index(n) for n in columns]
        for j in checked:
            c = self.columns[j]
            if c.key or c.kind is not ColumnKind.INTEGER:
                raise ValueError(f"column {c.name!r} is not a column of counts (integers)")
        keys = [j for j, c in enumerate(self.columns) if c.key]
        down, across = (keys[:-1], keys[-1:]) if len(keys) > 1 else (keys, [])
        rows_at: dict[tuple[Any, ...], int] = {}
        cols_at: dict[tuple[Any, ...], int] = {}
        place: list[tuple[int, int]] = []
        for row in self.rows:
            a = rows_at.setdefault(tuple(row[j] for j in down), len(rows_at))
            b = cols_at.setdefault(tuple(row[j] for j in across), len(cols_at))
            place.append((a, b))
        if len(set(place)) != len(place):
            raise ValueError("small cells can only be suppressed in a table whose keys are unique")
        blank: set[tuple[int, int]] = set()
        rows_hit: set[int] = set()
        for j in checked:
            counts: dict[tuple[int, int], int] = {}
            for r, row in enumerate(self.rows):
                if row[j] is None:
                    raise ValueError(
                        f"column {self.columns[j].name!r} already has blank cells; "
                        "suppress once, on the full table"
                    )
                if row[j] < 0:
                    raise ValueError(
                        f"column {self.columns[j].name!r} has a negative count in 'rows[{r}]' "
                        f"(got {row[j]}); only counts can be suppressed"
                    )
                counts[place[r]] = row[j]
            result = suppress_small_cells(counts, k=k)
            for r in range(len(self.rows)):
                if place[r] in result.blanked:
                    blank.add((r, j))
                    rows_hit.add(r)
        counted = set(checked)
        others = [
            j
            for j, c in enumerate(self.columns)
            if not c.key and j not in counted and c.kind.numeric
        ]
        for r in rows_hit:
            blank.update((r, j) for j in others)
        rows = [
            tuple(None if (r, j) in blank else v for j, v in enumerate(row))
            for r, row in enumerate(self.rows)
        ]
        note = f"counts below {k} are left blank, with the cells that would give them away"
        return attrs.evolve(self, rows=rows, notes=(*self.notes, note))

    # -- rendering ---------------------------------------------------------------------

    def _shown(self, column: Column, value: object, unit: str, places: int | None) -> str:
        if value is None:
            return ""
        if isinstance(value, Money):
            u = unit if value.currency == "CNY" else _FOREIGN_UNIT[unit]
            shown = _SHOWN_PLACES[unit] if places is None else places
            return value.format(unit=u, places=shown, grouping=unit == "元")
        if column.kind is ColumnKind.RATIO and isinstance(value, int | Decimal):
            return percent(value, self.percent_places)
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, enum.Enum):
            return str(value.value)
        if isinstance(value, Decimal):
            return f"{value:f}"
        if isinstance(value, date):
            return value.isoformat()
        return str(value)

    def _rounding_note(self, unit: str, places: int | None) -> tuple[str, ...]:
        """The note that says shown amounts are rounded, if one of them is (else none)."""
        shown = _SHOWN_PLACES[unit] if places is None else places
        if shown is None:  # in 元 at the currency's places: every digit is shown
            return ()
        shift = _SHIFT[unit]
        units: dict[str, None] = {}
        for row in self.rows:
            for cell in row:
                if isinstance(cell, Money) and _rounds(cell.amount, shift, shown):
                    cur = cell.currency
                    prefix = _FOREIGN_UNIT[unit]
                    label = unit if cur == "CNY" else f"{prefix} {cur}" if prefix else cur
                    units[label] = None
        if not units:
            return ()
        words = _PLACES_IN_WORDS.get(shown, f"{shown} decimals")
        return (
            f"amounts in {' and '.join(units)} are rounded half-up to {words} (totals from "
            "their exact sums); exact amounts are in to_rows(), to_pandas() and to_csv()",
        )

    def to_text(self, *, money_unit: str | None = None, money_places: int | None = None) -> str:
        r"""The table as aligned plain text (what ``str(table)`` and ``print`` show).

        Numbers are right-aligned; widths count Chinese characters as two columns and
        combining or invisible characters as none, as a terminal shows them. Line breaks,
        tabs and other control characters in a cell are shown escaped (``\n``), so that a
        cell never breaks its row. Money is shown as the table's ``money_unit`` and
        ``money_places`` (or the arguments) say; when an amount is shown rounded, the last
        note says so.
        """
        unit = self._unit(money_unit)
        places = self.money_places if money_places is None else money_places
        header = [_one_line(n) for n in self.column_names]
        body = [
            [
                _one_line(self._shown(c, v, unit, places))
                for c, v in zip(self.columns, row, strict=True)
            ]
            for row in self.rows
        ]
        widths = [max(_width(s) for s in [h] + [r[j] for r in body]) for j, h in enumerate(header)]

        def line(cells: list[str]) -> str:
            parts = [
                _pad(s, w, right=c.kind.numeric)
                for s, w, c in zip(cells, widths, self.columns, strict=True)
            ]
            return "  ".join(parts).rstrip()

        out = [self.title] if self.title else []
        out.append(line(header))
        out.append("  ".join("-" * w for w in widths))
        out.extend(line(r) for r in body)
        out.extend(f"note: {n}" for n in (*self.notes, *self._rounding_note(unit, places)))
        out.extend(_findings_lines(self.findings))
        return "\n".join(out)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        # A table is read, not rebuilt from its repr: show it (as pandas does), so a
        # terminal or a notebook's plain-text view gets the rows, not the attrs fields.
        return self.to_text()

    def to_html(self, *, money_unit: str | None = None, money_places: int | None = None) -> str:
        """The table as an HTML ``<table>``; every text is escaped.

        Cells are shown as in :meth:`to_text`. The notes (with the one that says when an
        amount is shown rounded) and the findings are the table's footer, its one
        ``<tfoot>`` (HTML allows a table one): a row each note, of class
        ``humanaid-note``, then the findings, a row each of class ``humanaid-finding``
        and ``humanaid-error`` (or ``-warning``, ``-info``), after a head row of class
        ``humanaid-findings-head``.
        """
        unit = self._unit(money_unit)
        places = self.money_places if money_places is None else money_places
        esc = html.escape
        right = ' style="text-align: right"'
        parts = ['<table class="humanaid-table">']
        if self.title:
            parts.append(f"<caption>{esc(self.title)}</caption>")
        heads = "".join(
            f"<th{right if c.kind.numeric else ''}>{esc(c.name)}</th>" for c in self.columns
        )
        parts.append(f"<thead><tr>{heads}</tr></thead>")
        parts.append("<tbody>")
        for row in self.rows:
            cells = "".join(
                f"<{'th' if c.key else 'td'}{right if c.kind.numeric else ''}>"
                f"{esc(self._shown(c, v, unit, places))}</{'th' if c.key else 'td'}>"
                for c, v in zip(self.columns, row, strict=True)
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody>")
        notes = (*self.notes, *self._rounding_note(unit, places))
        span = max(len(self.columns), 1)
        foot = [f'<tr class="humanaid-note"><td colspan="{span}">{esc(n)}</td></tr>' for n in notes]
        if self.findings:
            foot.extend(_findings_html(self.findings, span))
        if foot:
            parts.append(f"<tfoot>{''.join(foot)}</tfoot>")
        parts.append("</table>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _unit(self, money_unit: str | None) -> str:
        unit = self.money_unit if money_unit is None else money_unit
        if unit not in MONEY_UNITS:
            raise ValueError(f"'money_unit' must be one of 元, 万元, 亿元 (got {unit!r})")
        return unit

    # -- flat forms: rows, CSV, pandas -------------------------------------------------

    def to_rows(self) -> list[dict[str, Any]]:
        """The rows as a list of dicts, cells as they are (``Money``, ``Period`` ...)."""
        return list(self)

    def _flat(self, unit: str) -> tuple[list[str], list[ColumnKind], list[list[Any]]]:
        """Headers, kinds and rows with money as plain numbers in ``unit``."""
        has_currency = self._index_or_none(CURRENCY_COLUMN) is not None
        shift = _SHIFT[unit]
        headers: list[str] = []
        kinds: list[ColumnKind] = []
        plan: list[tuple[int, str]] = []
        for j, c in enumerate(self.columns):
            if c.kind is not ColumnKind.MONEY:
                headers.append(c.name)
                kinds.append(c.kind)
                plan.append((j, "cell"))
                continue
            headers.append(_money_header(c, unit))
            kinds.append(ColumnKind.DECIMAL)
            plan.append((j, "amount"))
            if c.currency is None and not has_currency:
                headers.append(f"{c.name} currency")
                kinds.append(ColumnKind.TEXT)
                plan.append((j, "currency"))
        rows: list[list[Any]] = []
        for row in self.rows:
            out: list[Any] = []
            for j, what in plan:
                v = row[j]
                if what == "cell" or v is None:
                    out.append(v)
                elif what == "amount":
                    out.append(_scaled(v.amount, shift))
                else:
                    out.append(v.currency)
            rows.append(out)
        clashes = sorted({h for h in headers if headers.count(h) > 1})
        if clashes:
            raise ValueError(
                f"the headers {', '.join(map(repr, clashes))} clash: a money column's "
                "header (with its unit, or its currency column) is also the name of another "
                "column; rename one with Table.rename"
            )
        return headers, kinds, rows

    def to_csv(
        self,
        target: str | os.PathLike[str] | IO[str] | None = None,
        *,
        money_unit: str | None = None,
        encoding: str = "utf-8",
    ) -> str:
        """Write the table as CSV (RFC 4180), safe to open in a spreadsheet.

        Money is written as a plain number in ``money_unit`` (default: the table's), with
        the unit in the header (``raised (万元)``; ``raised (USD)`` for another declared
        currency). A money column without one currency gets a ``<name> currency`` column
        after it, unless the table has a ``currency`` column. Periods, dates and enums are
        written as text, ``None`` as an empty cell, booleans as ``true``/``false``.

        A text cell (or header) that starts with ``=``, ``+``, ``-``, ``@`` or a control
        character (tab, carriage return, line feed, NUL), or with ``=``, ``+``, ``-`` or
        ``@`` after blanks or in a full-width form (``＝``), is written with a leading
        apostrophe, so that a spreadsheet does not run it as a formula (OWASP's advice on
        CSV injection). Numbers are not touched: ``-5.00`` stays a number.

        Args:
            target: a path or an open text file to write to; by default nothing is
                written and the text is only returned.
            money_unit: ``"元"``, ``"万元"`` or ``"亿元"``.
            encoding: the encoding of a file written to a path (``"utf-8-sig"`` helps
                older Excel read Chinese).

        Returns:
            The CSV text.

        >>> print(Table.from_rows([{"name": "=1+2", "n": -3}]).to_csv(), end="")
        name,n
        '=1+2,-3
        """
        headers, kinds, rows = self._flat(self._unit(money_unit))
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow([_csv_text(h) for h in headers])
        for row in rows:
            writer.writerow([_csv_cell(v, k) for v, k in zip(row, kinds, strict=True)])
        text = buf.getvalue()
        if isinstance(target, str | os.PathLike):
            with open(target, "w", encoding=encoding, newline="") as f:
                f.write(text)
        elif target is not None:
            target.write(text)
        return text

    def to_pandas(self, *, money_unit: str | None = None) -> Any:
        """The table as a pandas ``DataFrame`` (needs the ``pandas`` extra).

        Columns are those of :meth:`to_csv` (money as exact ``Decimal`` amounts in
        ``money_unit``, its unit in the header). Integer and boolean columns use pandas'
        nullable ``Int64`` and ``boolean`` types, so an empty cell never turns a count
        into a float; decimals stay exact ``Decimal`` objects; periods and enums become
        their text; dates stay ``datetime.date``.

        Raises:
            ImportError: naming the extra, when pandas is not installed.
        """
        try:
            pd = importlib.import_module("pandas")
        except ImportError as exc:
            raise missing_extra("Table.to_pandas", "pandas", "pandas") from exc
        headers, kinds, rows = self._flat(self._unit(money_unit))
        data: dict[str, Any] = {}
        for j, (h, k) in enumerate(zip(headers, kinds, strict=True)):
            values = [_pandas_cell(r[j]) for r in rows]
            if k is ColumnKind.INTEGER:
                data[h] = pd.array(values, dtype="Int64")
            elif k is ColumnKind.BOOLEAN:
                data[h] = pd.array(values, dtype="boolean")
            else:
                data[h] = pd.array(values, dtype=object)
        return pd.DataFrame(data, columns=headers)

    def to_arrow(self, *, money_unit: str | None = None) -> Any:
        """The table as a ``pyarrow.Table`` (needs the ``arrow`` extra).

        Columns are those of :meth:`to_csv`: money as exact ``decimal128`` amounts in
        ``money_unit`` (its unit in the header), integers as ``int64``, ratios and
        decimals as exact decimals, periods and enums as their text, dates as ``date32``.
        The table's title goes in the schema's metadata (``humanaid.title``).

        Arrow readers take a :class:`Table` directly through the Arrow PyCapsule
        interface (:meth:`__arrow_c_stream__`): ``pyarrow.table(t)``,
        ``polars.DataFrame(t)``, and DuckDB's ``FROM t``.

        Raises:
            ImportError: naming the extra, when pyarrow is not installed.
        """
        try:
            pa = importlib.import_module("pyarrow")
        except ImportError as exc:
            raise missing_extra("Table.to_arrow", "pyarrow", "arrow") from exc
        headers, kinds, rows = self._flat(self._unit(money_unit))
        arrays = []
        for j, k in enumerate(kinds):
            values = [_pandas_cell(r[j]) for r in rows]
            if k is ColumnKind.INTEGER:
                arrays.append(pa.array(values, type=pa.int64()))
            elif k is ColumnKind.BOOLEAN:
                arrays.append(pa.array(values, type=pa.bool_()))
            elif k is ColumnKind.DATE:
                arrays.append(pa.array(values, type=pa.date32()))
            elif k in (ColumnKind.DECIMAL, ColumnKind.RATIO):
                arrays.append(_decimal_array(pa, values))
            else:
                arrays.append(
                    pa.array([None if v is None else str(v) for v in values], pa.string())
                )
        schema = pa.schema(
            [pa.field(h, a.type) for h, a in zip(headers, arrays, strict=True)],
            metadata={"humanaid.title": self.title},
        )
        return pa.Table.from_arrays(arrays, schema=schema)

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream of :meth:`to_arrow` (``pyarrow.table(t)`` reads it)."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)


def _findings_head(findings: Findings) -> str:
    """``2 findings (1 error, 1 warning):``, the first line of ``str(findings)``."""
    return str(findings).split("\n", 1)[0]


def _findings_more(findings: Findings) -> str | None:
    """``... and 12 more (all of them in .findings)``, or ``None`` when all are shown."""
    more = len(findings) - FINDINGS_SHOWN
    return f"... and {more} more (all of them in .findings)" if more > 0 else None


def _findings_lines(findings: Findings) -> list[str]:
    """The findings as text lines: a head line, then the first few, one a line."""
    if not findings:
        return []
    lines = [_findings_head(findings)]
    lines += [f"  {_one_line(str(f))}" for f in findings[:FINDINGS_SHOWN]]
    more = _findings_more(findings)
    return lines if more is None else [*lines, f"  {more}"]


def _findings_html(findings: Findings, span: int) -> list[str]:
    """The findings as rows of the ``<tfoot>``: a head line, then the first few."""
    cell = f'<td colspan="{span}">'
    head = html.escape(_findings_head(findings))
    rows = [f'<tr class="humanaid-findings-head">{cell}{head}</td></tr>']
    for f in findings[:FINDINGS_SHOWN]:
        rows.append(
            f'<tr class="humanaid-finding humanaid-{f.severity.value}">'
            f"{cell}{html.escape(str(f))}</td></tr>"
        )
    more = _findings_more(findings)
    if more is not None:
        rows.append(f'<tr class="humanaid-findings-more">{cell}{html.escape(more)}</td></tr>')
    return rows


def _coerce_key(column: Column, value: object) -> object:
    if isinstance(value, str):
        if column.kind is ColumnKind.PERIOD:
            return Period.parse(value)
        if column.kind is ColumnKind.DATE:
            return date.fromisoformat(value)
    return value


def _money_header(column: Column, unit: str) -> str:
    cur = column.currency
    if cur == "CNY":
        return f"{column.name} ({unit})"
    prefix = _FOREIGN_UNIT[unit]
    if cur is None:
        return f"{column.name} ({prefix})" if prefix else column.name
    return f"{column.name} ({prefix} {cur})" if prefix else f"{column.name} ({cur})"


def _scaled(amount: Decimal, shift: int) -> Decimal:
    if not shift:
        return amount
    value = amount.scaleb(-shift, context=_EXACT).normalize(_EXACT)
    # normalize() writes 1000 as 1E+3; give it back its zeros.
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        value = value.quantize(Decimal(1), context=_EXACT)
    return value


def _rounds(amount: Decimal, shift: int, places: int) -> bool:
    """Whether ``amount``, in units of ``10**shift``, has digits beyond ``places`` decimals."""
    exponent = amount.normalize(_EXACT).as_tuple().exponent
    return bool(amount) and isinstance(exponent, int) and exponent < shift - places


def _csv_text(text: str) -> str:
    return guard(text)


def _csv_cell(value: object, kind: ColumnKind) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind.numeric or kind is ColumnKind.INTEGER:
        return f"{value:f}" if isinstance(value, Decimal) else str(value)
    if isinstance(value, enum.Enum):
        return _csv_text(str(value.value))
    if isinstance(value, date):
        return value.isoformat()
    return _csv_text(str(value))


def _decimal_array(pa: Any, values: list[Any]) -> Any:
    """Exact decimals: the precision and scale that hold every value (at least 38, 4)."""
    scale = 4
    digits = 1
    for v in values:
        if v is None:
            continue
        _sign, ds, exp = Decimal(v).as_tuple()
        if isinstance(exp, int):
            scale = max(scale, -exp)
            digits = max(digits, len(ds) + exp)
    precision = max(38, digits + scale)
    kind = pa.decimal128(precision, scale) if precision <= 38 else pa.decimal256(precision, scale)
    return pa.array([None if v is None else Decimal(v) for v in values], type=kind)


def _pandas_cell(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Period):
        return str(value)
    return value


def _one_line(text: str) -> str:
    """``text`` with line breaks and control characters escaped, for plain text."""
    if text.isprintable():
        return text
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch) in _BREAKING_CATEGORIES
        else ch
        for ch in text
    )
