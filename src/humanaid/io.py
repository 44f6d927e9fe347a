"""CSV in and out, with a column mapping; every bad row reported with its row and column.

A :class:`CsvSchema` maps the columns of a CSV file to the fields of one record type.
:meth:`CsvSchema.for_type` gives the default mapping (one column per field, named after
it) and changes it where a file differs: other header names, amounts written
``¥1,234.50`` or ``989.32万元``, dates written ``2020/1/5``, a value the file does not
hold. Each row is turned into plain data and built through the strict converter
(:func:`humanaid.from_dict`), so a row obeys exactly the rules a JSON document obeys, and
the converter's paths are mapped back to the CSV's own header names.

>>> from humanaid import Donation
>>> lines = [
...     "id,organization_id,received_on,value,currency",
...     "g1,qujing,2020-01-05,100.00,CNY",
...     'g2,qujing,2023-02-30,"1,234.5",CNY',
... ]
>>> result = read_csv(lines, Donation)
>>> [g.id for g in result.records]
['g1']
>>> for problem in result.problems:
...     print(problem)
row 3, column 'received_on': is not a real date (got '2023-02-30')
row 3, column 'value': must be a plain decimal: ASCII digits, optional sign and point, ...

Reading never stops at the first bad row: :func:`iter_csv` yields every row (streamed,
one at a time) and :func:`read_csv` collects them into a :class:`CsvRead`, or with
``strict=True`` raises one :class:`~humanaid.InvalidInput` listing every problem.
:func:`write_csv` writes records with the same mapping.

What a CSV file is taken to be:

* Text in UTF-8, with or without the byte-order mark Excel writes (``utf-8-sig``, the
  default); ``encoding="gb18030"`` for files saved by Chinese Excel as "CSV".
* The first row that is not blank is the header. Header names are matched exactly
  (case, width and spelling), after removing surrounding white space.
* Blank lines, and rows whose cells are all empty, are skipped. Surrounding white space
  in a cell is removed; white space inside is kept.
* A quoted cell may hold commas and line breaks; a quote that is never closed is reported
  (it would take in every line to the end of the file), never read as one long cell.
* An empty cell is "no value": the field takes its default (``None`` for optional
  fields), and a required field reports ``missing``.
* Row numbers are line numbers in the file, the header being line 1 when it comes first:
  the row number a spreadsheet shows, unless a cell above holds a line break.
"""

from __future__ import annotations

import csv
import difflib
import enum
import io
import itertools
import json
import os
import re
import types
import typing
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Final, Generic, TypeVar, cast

import attrs

from humanaid._formulas import guard, runs_as_formula
from humanaid.errors import (
    LIMITS,
    FieldError,
    FieldValueError,
    InvalidInput,
    Problem,
    format_path,
    shown,
)
from humanaid.funds import Party
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.records import is_pii
from humanaid.serialize import _loads, from_dict, to_dict

__all__ = [
    "CsvColumn",
    "CsvColumnKind",
    "CsvProblem",
    "CsvRead",
    "CsvRow",
    "CsvSchema",
    "iter_csv",
    "read_csv",
    "write_csv",
]

T = TypeVar("T")

DEFAULT_DELIMITER: Final = ";"
"""What separates the items of a tuple or set of plain values inside one cell."""

_INTEGER: Final = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)
_INTEGER_DIGITS: Final = LIMITS["integer_digits"]
_LINE_LENGTH: Final = LIMITS["line_length"]
_COLUMNS: Final = LIMITS["columns"]
_CELL_LENGTH: Final = 131_072  # the csv module's own limit of one cell (field_size_limit)
_TRUE: Final = frozenset({"true", "1"})
_FALSE: Final = frozenset({"false", "0"})
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_NONE_TYPE: Final = type(None)
_ENCODING_HINT: Final = (
    "pass the file's encoding, such as encoding='gb18030' for a file Chinese Excel saved as CSV"
)


# -- columns ---------------------------------------------------------------------------------


class CsvColumnKind(enum.StrEnum):
    """How a column's cells become a field's value.

    ``VALUE``: a plain value (text, number, date, enum value, true/false), or a tuple or
    set of them separated by a delimiter. ``MONEY``: an amount, with its currency from a
    currency column or fixed. ``PARTY``: a :class:`~humanaid.Party` written ``fund:f1``
    or as kind and id columns. ``JSON``: anything else (the goods of an in-kind gift, a
    case's history), as the JSON the converter reads.
    """

    VALUE = "value"
    MONEY = "money"
    PARTY = "party"
    JSON = "json"


def _check_header(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.default is None:
        return
    if not isinstance(value, str) or not value or value != value.strip():
        raise FieldValueError(
            attribute.name, "must be a header name without surrounding white space", value
        )
    if value.startswith("'") or runs_as_formula(value) or not value.isprintable():
        # One guard for every writer (humanaid._formulas): = + - @ in any width (＝ ＋ － ＠),
        # and no control or invisible character (a line break, a bidi control).
        raise FieldValueError(
            attribute.name,
            "must not start with = + - @ (in any width) or an apostrophe, nor hold a line "
            "break or another control or invisible character",
            value,
        )


def _check_field_path(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not all(part.isidentifier() for part in value.split(".")):
        raise ValueError(
            f"'{attribute.name}' must be a field name, or names joined by dots such as "
            f"'restricted_to.purpose' (got {value!r})"
        )


def _check_delimiter(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value or value.isspace() or '"' in value:
        raise ValueError(
            f"'{attribute.name}' must be one or more characters, not white space or a "
            f"double quote (got {value!r})"
        )


def _default_header(self: CsvColumn) -> str:
    return self.field


@attrs.frozen(kw_only=True)
class CsvColumn:
    """One column (or a money or party pair of columns) and the record field it fills.

    Make them with the named constructors :meth:`value`, :meth:`money`, :meth:`party`
    and :meth:`json`; each takes the field first and the header second (by default the
    field's name).

    Attributes:
        field: the record field, or a field of a nested record joined by dots
            (``"restricted_to.purpose"``).
        header: the header name of the column.
        kind: how cells become the value (see :class:`CsvColumnKind`).
        date_format: for a date field, a :func:`~datetime.datetime.strptime` format such
            as ``"%Y/%m/%d"``; by default ISO ``YYYY-MM-DD``.
        delimiter: for a tuple or set of plain values, what separates them in the cell
            (default ``";"``).
        currency: for money, the currency when the file has no currency column or its
            cell is empty.
        currency_header: for money, the header of the currency column (several money
            columns may share one).
        parse: for money, read the cell with :meth:`humanaid.Money.parse`: currency
            symbols, thousands separators and units such as ``万元`` are accepted.
            Otherwise the cell must be a plain decimal such as ``1234.50``.
        kind_header: for a party, the header of a column holding its kind; the party's
            id is then in ``header``. Without it the cell holds ``kind:id``.

    >>> CsvColumn.money("value", "金额", parse=True)
    CsvColumn(field='value', header='金额', kind=<CsvColumnKind.MONEY: 'money'>, ...)
    >>> CsvColumn(field="received_on", header="日期", parse=True)
    Traceback (most recent call last):
    ...
    ValueError: 'currency', 'currency_header' and 'parse' are for money columns

    Whether a column fits its field is checked when a :class:`CsvSchema` is made.
    """

    field: str = attrs.field(validator=_check_field_path)
    header: str = attrs.field(
        default=attrs.Factory(_default_header, takes_self=True), validator=_check_header
    )
    kind: CsvColumnKind = attrs.field(default=CsvColumnKind.VALUE, converter=CsvColumnKind)
    date_format: str | None = None
    delimiter: str | None = attrs.field(default=None, validator=_check_delimiter)
    currency: str | None = None
    currency_header: str | None = attrs.field(default=None, validator=_check_header)
    parse: bool = False
    kind_header: str | None = attrs.field(default=None, validator=_check_header)

    def __attrs_post_init__(self) -> None:
        k = self.kind
        if k is not CsvColumnKind.MONEY and (
            self.currency is not None or self.currency_header is not None or self.parse
        ):
            raise ValueError("'currency', 'currency_header' and 'parse' are for money columns")
        if k is not CsvColumnKind.PARTY and self.kind_header is not None:
            raise ValueError("'kind_header' is for party columns")
        if k is not CsvColumnKind.VALUE and (
            self.date_format is not None or self.delimiter is not None
        ):
            raise ValueError("'date_format' and 'delimiter' are for value columns")
        if self.currency is not None:
            Money.zero(self.currency)  # raises ValueError naming an unknown code
        if self.date_format is not None:
            _check_date_format(self.date_format)
        for other in (self.currency_header, self.kind_header):
            if other is not None and other == self.header:
                raise ValueError(f"the column's own header {self.header!r} is used twice")

    @classmethod
    def value(
        cls,
        field: str,
        header: str | None = None,
        *,
        date_format: str | None = None,
        delimiter: str | None = None,
    ) -> CsvColumn:
        """A column of plain values: text, numbers, dates, enum values, true/false.

        A tuple or set of plain values is one cell, its items separated by ``delimiter``
        (default ``";"``). Integers are written without separators; booleans are
        ``true``/``false`` (any case) or ``1``/``0``; enums by their value.
        """
        return cls(
            field=field,
            header=header if header is not None else field,
            date_format=date_format,
            delimiter=delimiter,
        )

    @classmethod
    def money(
        cls,
        field: str,
        header: str | None = None,
        *,
        currency: str | None = None,
        currency_header: str | None = None,
        parse: bool = False,
    ) -> CsvColumn:
        """A money column.

        The currency comes from the ``currency_header`` column when the file has it and
        its cell is not empty, else ``currency``, else (with ``parse=True``) what the
        text says (``¥`` or ``元`` is CNY, ``-12.5 USD`` is USD; CNY when it says
        nothing). A file's currency column that disagrees with a currency written in a
        parsed cell is a problem.
        """
        return cls(
            field=field,
            header=header if header is not None else field,
            kind=CsvColumnKind.MONEY,
            currency=currency,
            currency_header=currency_header,
            parse=parse,
        )

    @classmethod
    def party(
        cls, field: str, header: str | None = None, *, kind_header: str | None = None
    ) -> CsvColumn:
        """A party column: ``fund:f1`` in one cell, or a kind column and an id column."""
        return cls(
            field=field,
            header=header if header is not None else field,
            kind=CsvColumnKind.PARTY,
            kind_header=kind_header,
        )

    @classmethod
    def json(cls, field: str, header: str | None = None) -> CsvColumn:
        """A column whose cells hold the field as JSON, read by the strict converter.

        For what a row cannot hold otherwise: the goods of an in-kind gift
        (``[{"description": "大米", "quantity": "20", ...}]``), a case's history.
        """
        return cls(
            field=field, header=header if header is not None else field, kind=CsvColumnKind.JSON
        )

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header the column reads and writes, in the order they are written."""
        return tuple(
            h for h in (self.kind_header, self.header, self.currency_header) if h is not None
        )


def _check_date_format(fmt: str) -> None:
    try:
        text = date(2001, 12, 31).strftime(fmt)
        back = datetime.strptime(text, fmt).date()
    except ValueError:
        back = None
    if back != date(2001, 12, 31):
        raise ValueError(
            f"'date_format' must write and read back a whole date, as '%Y/%m/%d' does (got {fmt!r})"
        )


# -- the schema ------------------------------------------------------------------------------


class _Scalar(enum.Enum):
    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    DATE = "date"
    PLAIN = "plain"  # Decimal or enum: the cell goes to the converter as is


@attrs.frozen
class _Plan:
    """A column compiled against the record type."""

    column: CsvColumn
    path: tuple[str, ...]
    scalar: _Scalar | None
    many: bool
    pii: bool
    required: bool
    empty_is_default: bool = False

    @property
    def text(self) -> bool:
        """Whether the main cell is text (escaped against formulas on write)."""
        if self.column.kind is CsvColumnKind.PARTY:
            return self.column.kind_header is not None
        return self.column.kind is CsvColumnKind.JSON or self.scalar is _Scalar.TEXT


def _unwrap_optional(t: Any) -> tuple[Any, bool]:
    if typing.get_origin(t) in (types.UnionType, typing.Union):
        args = typing.get_args(t)
        rest = [a for a in args if a is not _NONE_TYPE]
        if len(rest) == 1 and len(rest) != len(args):
            return rest[0], True
    return t, False


def _scalar_of(t: Any) -> _Scalar | None:
    if t is str:
        return _Scalar.TEXT
    if t is bool:
        return _Scalar.BOOL
    if t is int:
        return _Scalar.INT
    if t is date:
        return _Scalar.DATE
    if t is Decimal or (isinstance(t, type) and issubclass(t, enum.Enum)):
        return _Scalar.PLAIN
    return None


def _collection_item(t: Any) -> Any:
    origin = typing.get_origin(t)
    args = typing.get_args(t)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    if origin in (frozenset, set, typing.AbstractSet) and len(args) == 1:
        return args[0]
    return None


def _is_record(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t) and t is not Money


def _init_fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    try:
        attrs.resolve_types(cls)
    except NameError as exc:
        raise TypeError(f"cannot resolve the field types of {cls.__name__}: {exc}") from None
    return tuple(a for a in attrs.fields(cls) if a.init)


def _resolve(cls: type, path: tuple[str, ...]) -> tuple[Any, bool, bool]:
    """The type at ``path`` in ``cls``, whether it may be None, and whether it is personal."""
    current: Any = cls
    pii = False
    optional = False
    for depth, name in enumerate(path):
        if not _is_record(current):
            where = ".".join(path[:depth])
            raise TypeError(f"'{where}' of {cls.__name__} is not a record with fields")
        fields = {a.name: a for a in _init_fields(current)}
        if name not in fields:
            known = ", ".join(fields)
            raise ValueError(
                f"{current.__name__} has no field {name!r} (fields: {known})"
                if depth == 0
                else f"{'.'.join(path[:depth])} ({current.__name__}) has no field {name!r} "
                f"(fields: {known})"
            )
        a = fields[name]
        pii = pii or is_pii(a)
        current, optional = _unwrap_optional(a.type)
    return current, optional, pii


def _compile(cls: type, column: CsvColumn) -> _Plan:
    path = tuple(column.field.split("."))
    t, _, pii = _resolve(cls, path)
    fields = {a.name: a for a in _init_fields(cls)}
    required = len(path) == 1 and fields[path[0]].default is attrs.NOTHING
    scalar: _Scalar | None = None
    many = False
    kind = column.kind
    where = f"{cls.__name__}.{column.field}"
    if kind is CsvColumnKind.MONEY:
        if t is not Money:
            raise TypeError(f"{where} is not Money: it cannot be a money column")
        if (
            required
            and column.currency is None
            and column.currency_header is None
            and not column.parse
        ):
            raise ValueError(f"the money column for {where} needs 'currency' or 'currency_header'")
    elif kind is CsvColumnKind.PARTY:
        if t is not Party:
            raise TypeError(f"{where} is not a Party: it cannot be a party column")
    elif kind is CsvColumnKind.VALUE:
        scalar = _scalar_of(t)
        if scalar is None:
            item = _collection_item(t)
            scalar = _scalar_of(item) if item is not None else None
            many = scalar is not None
        if scalar is None:
            hint = (
                "a money column"
                if t is Money
                else "a party column"
                if t is Party
                else "columns for its fields or a JSON column"
            )
            raise TypeError(f"{where} does not hold plain values: map it with {hint}")
        if column.date_format is not None and scalar is not _Scalar.DATE:
            raise ValueError(f"'date_format' is for date fields, and {where} is not one")
        if column.delimiter is not None and not many:
            raise ValueError(
                f"'delimiter' is for value columns over a tuple or set; {where} holds one value"
            )
    return _Plan(
        column=column,
        path=path,
        scalar=scalar,
        many=many,
        pii=pii,
        required=required,
        empty_is_default=_empty_default(cls, path),
    )


def _empty_default(cls: type, path: tuple[str, ...]) -> bool:
    """Whether an empty cell (the field's default) reads back as an empty collection."""
    owner: Any = cls
    if len(path) > 1:
        owner, _, _ = _resolve(cls, path[:-1])
    a = {f.name: f for f in _init_fields(owner)}[path[-1]]
    default: Any = a.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        if default.takes_self:
            return False
        default = default.factory()
    return isinstance(default, tuple | frozenset | dict | Mapping) and len(default) == 0


def _fixed(value: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return types.MappingProxyType(dict(value or {}))


def _columns(value: Iterable[CsvColumn]) -> tuple[CsvColumn, ...]:
    out = tuple(value)
    for c in out:
        if not isinstance(c, CsvColumn):
            raise TypeError(f"'columns' must hold CsvColumn values (got {c!r})")
    return out


def _record_type(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not _is_record(value):
        raise TypeError(f"'{attribute.name}' must be an attrs record class (got {value!r})")


@attrs.frozen(kw_only=True)
class CsvSchema(Generic[T]):
    """How the columns of a CSV file map to the fields of one record type.

    Start from :meth:`for_type`, which gives one column per field, and change what
    differs. A schema is checked when it is made: every column names a real field of a
    fitting type, no header is used twice, and every required field has a column or a
    fixed value.

    Attributes:
        record_type: the record class each row becomes.
        columns: the columns, in the order :func:`write_csv` writes them.
        fixed: values every row gets, for fields the file has no column for, as the plain
            data :func:`humanaid.from_dict` reads (``{"organization_id": "qujing"}``).
        escaped: whether text cells carry the apostrophe :func:`write_csv` puts before a
            leading ``= + - @``, tab or carriage return (against formula injection in
            spreadsheets). True for files humanaid wrote: the apostrophe is removed on
            reading. False (the default) for files from elsewhere: cells are read as
            they are.
        ignore_unknown: accept (and ignore) columns the schema does not map. By default
            an unknown column is a problem, so that no data is dropped unseen.

    >>> from humanaid import Donation
    >>> schema = CsvSchema.for_type(
    ...     Donation,
    ...     headers={"id": "编号", "received_on": "日期", "donor_id": "捐赠人"},
    ...     columns=[CsvColumn.money("value", "金额", parse=True)],
    ...     fixed={"organization_id": "qujing"},
    ...     omit=["items", "restricted_to"],
    ... )
    >>> schema.headers[:6]
    ('编号', '日期', '金额', '捐赠人', 'form', 'fees')
    """

    record_type: type[T] = attrs.field(validator=_record_type)
    columns: tuple[CsvColumn, ...] = attrs.field(converter=_columns)
    fixed: Mapping[str, Any] = attrs.field(factory=dict, converter=_fixed, hash=False)
    escaped: bool = False
    ignore_unknown: bool = False
    _plans: tuple[_Plan, ...] = attrs.field(init=False, repr=False, eq=False, hash=False)
    _owners: Mapping[tuple[str | int, ...], str] = attrs.field(
        init=False, repr=False, eq=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        cls = self.record_type
        plans = tuple(_compile(cls, c) for c in self.columns)
        fields = {a.name: a for a in _init_fields(cls)}
        for key in self.fixed:
            if key not in fields:
                raise ValueError(f"'fixed' names {key!r}, which is not a field of {cls.__name__}")
        paths = sorted((p.path, p.column.field) for p in plans)
        for (a, name_a), (b, name_b) in itertools.pairwise(paths):
            if b[: len(a)] == a:
                raise ValueError(f"the columns for {name_a!r} and {name_b!r} overlap")
        for p in plans:
            if p.path[0] in self.fixed:
                raise ValueError(f"{p.path[0]!r} has both a column and a fixed value")
        seen: dict[str, str] = {}
        currency_headers = {c.currency_header for c in self.columns} - {None}
        for c in self.columns:
            for h in c.headers:
                shared = h in currency_headers and h == c.currency_header
                if h in seen and not (shared and seen[h] == "currency"):
                    raise ValueError(f"the header {h!r} is used by two columns")
                seen[h] = "currency" if shared else "column"
        covered = {p.path[0] for p in plans} | set(self.fixed)
        missing = [n for n, a in fields.items() if a.default is attrs.NOTHING and n not in covered]
        if missing:
            names = ", ".join(repr(n) for n in missing)
            raise ValueError(f"{cls.__name__} needs {names}: give each a column or a fixed value")
        owners: dict[tuple[str | int, ...], str] = {}
        for p in plans:
            c = p.column
            owners[p.path] = c.header
            if c.kind is CsvColumnKind.MONEY:
                owners[(*p.path, "amount")] = c.header
                owners[(*p.path, "currency")] = c.currency_header or c.header
            elif c.kind is CsvColumnKind.PARTY:
                owners[(*p.path, "id")] = c.header
                owners[(*p.path, "kind")] = c.kind_header or c.header
        object.__setattr__(self, "_plans", plans)
        object.__setattr__(self, "_owners", types.MappingProxyType(owners))

    @classmethod
    def for_type(
        cls,
        record_type: type[T],
        *,
        headers: Mapping[str, str] | None = None,
        columns: Iterable[CsvColumn] = (),
        omit: Iterable[str] = (),
        fixed: Mapping[str, Any] | None = None,
        escaped: bool = False,
        ignore_unknown: bool = False,
    ) -> CsvSchema[T]:
        """The default schema of ``record_type``, changed where a file differs.

        By default there is one column per field, its header the field's name: plain
        values as they are; money as a plain decimal with a shared ``currency`` column
        (CNY when the file has none); a party as ``kind:id``; a nested record (such as a
        donation's ``restricted_to``) as one column per field, headed
        ``restricted_to.purpose`` and so on (all empty: no record); tuples and sets of
        plain values as one cell separated by ``;``; anything else as a JSON column.

        Args:
            record_type: the record class.
            headers: new names for default headers, ``{"value": "金额", "currency":
                "币种"}``.
            columns: columns that replace the default ones for the same field (and for
                fields inside it, or the record around it).
            omit: fields to leave out (they take their defaults).
            fixed: values for fields the file has no column for; their columns are left
                out.
            escaped: see :class:`CsvSchema`; True to read files humanaid wrote.
            ignore_unknown: see :class:`CsvSchema`.

        Raises:
            ValueError: for a header, field or omitted field the type does not have, or a
                schema that cannot build the record.
        """
        _record_type(None, attrs.fields(CsvSchema).record_type, record_type)
        defaults = _default_columns(record_type, ())
        fixed = dict(fixed or {})
        overrides = tuple(columns)
        omitted = tuple(tuple(o.split(".")) for o in omit)
        known_fields = {tuple(c.field.split(".")) for c in defaults}
        for gone in omitted:
            if not any(f[: len(gone)] == gone for f in known_fields):
                raise ValueError(f"'omit' names {'.'.join(gone)!r}, which has no default column")
        renames = dict(headers or {})
        default_headers = {h for c in defaults for h in c.headers}
        unknown = [h for h in renames if h not in default_headers]
        if unknown:
            raise ValueError(
                f"'headers' renames {', '.join(repr(h) for h in unknown)}, not default headers "
                f"of {record_type.__name__} (they are: {', '.join(sorted(default_headers))})"
            )

        def clashes(path: tuple[str, ...], other: tuple[str, ...]) -> bool:
            n = min(len(path), len(other))
            return path[:n] == other[:n]

        drop = [tuple(c.field.split(".")) for c in overrides]
        drop.extend(omitted)
        drop.extend((name,) for name in fixed)
        out: list[CsvColumn] = []
        placed: set[int] = set()
        for c in defaults:
            path = tuple(c.field.split("."))
            # An override takes the place of the first default column it replaces.
            for i, o in enumerate(overrides):
                if i not in placed and clashes(path, tuple(o.field.split("."))):
                    out.append(o)
                    placed.add(i)
            if any(clashes(path, d) for d in drop):
                continue
            currency_header = c.currency_header
            if currency_header is not None:
                currency_header = renames.get(currency_header, currency_header)
            out.append(
                attrs.evolve(
                    c, header=renames.get(c.header, c.header), currency_header=currency_header
                )
            )
        out.extend(o for i, o in enumerate(overrides) if i not in placed)
        return cls(
            record_type=record_type,
            columns=tuple(out),
            fixed=fixed,
            escaped=escaped,
            ignore_unknown=ignore_unknown,
        )

    @property
    def headers(self) -> tuple[str, ...]:
        """The header row :func:`write_csv` writes (a shared currency column once)."""
        return tuple(dict.fromkeys(h for c in self.columns for h in c.headers))


def _default_columns(
    cls: type, prefix: tuple[str, ...], currency_header: str | None = None
) -> list[CsvColumn]:
    if currency_header is None:
        # One shared "currency" column, unless the record has a field of that name.
        taken = {a.name for a in _init_fields(cls)}
        currency_header = "currency" if "currency" not in taken else ""
    out: list[CsvColumn] = []
    for a in _init_fields(cls):
        path = (*prefix, a.name)
        name = ".".join(path)
        t, _ = _unwrap_optional(a.type)
        if t is Money:
            out.append(
                CsvColumn.money(
                    name,
                    currency=DEFAULT_CURRENCY,
                    currency_header=currency_header or f"{name}.currency",
                )
            )
        elif t is Party:
            out.append(CsvColumn.party(name))
        elif _scalar_of(t) is not None:
            out.append(CsvColumn.value(name))
        elif (item := _collection_item(t)) is not None and _scalar_of(item) is not None:
            out.append(CsvColumn.value(name, delimiter=DEFAULT_DELIMITER))
        elif _is_record(t) and _flat(t):
            out.extend(_default_columns(t, path, currency_header))
        else:
            out.append(CsvColumn.json(name))
    return out


def _flat(cls: type) -> bool:
    """Whether a nested record has only plain fields (so one column per field is clear)."""
    for a in _init_fields(cls):
        t, _ = _unwrap_optional(a.type)
        if _scalar_of(t) is None:
            return False
    return True


def _schema(schema: CsvSchema[T] | type[T]) -> CsvSchema[T]:
    if isinstance(schema, CsvSchema):
        return schema
    if isinstance(schema, type):
        return CsvSchema.for_type(schema)
    raise TypeError(f"'schema' must be a CsvSchema or a record class (got {schema!r})")


# -- problems and results ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CsvProblem(Problem):
    """A problem in a CSV file: its row and column, and where in the record it lies.

    Attributes:
        row: the line number of the row in the file (the header is line 1).
        column: the header name of the column, or ``None`` for a problem with the whole
            row (such as a wrong number of cells).
        path: where in the record the problem lies, as in :class:`~humanaid.Problem`
            (``("history", 1, "on")`` inside a JSON cell); empty for the whole row.
        code: a stable code: the converter's (``missing``, ``invalid-decimal``,
            ``invalid-date``, ``unknown-value``, ``invalid`` ...) or one of the CSV's own:
            ``missing-column``, ``unknown-column``, ``duplicate-column``,
            ``wrong-cell-count``, ``invalid-amount``, ``invalid-integer``,
            ``invalid-boolean``, ``invalid-party``, ``invalid-json``,
            ``invalid-encoding``, ``invalid-csv``, ``empty-file``.
        message: a sentence for a person.
        got: the cell as read (``repr``), or ``None`` for personal data.

    >>> p = CsvProblem(row=3, column="金额", path=("value", "amount"), code="invalid-amount",
    ...                message="is not an amount", got="'12,34.5'")
    >>> print(p)
    row 3, column '金额': is not an amount (got '12,34.5')
    """

    row: int
    column: str | None = None

    @property
    def location(self) -> str:
        """``row 3, column 'amount'``, with the path inside a JSON cell when there is one."""
        where = f"row {self.row}"
        if self.column is not None:
            where += f", column {_column_name(self.column)}"
        if len(self.path) > 1 and any(isinstance(s, int) for s in self.path):
            where += f" ({format_path(self.path)})"
        return where

    def __str__(self) -> str:
        got = f" (got {self.got})" if self.got is not None else ""
        return f"{self.location}: {self.message}{got}"


def _column_name(name: str | None) -> str:
    """A header name as a message shows it: quoted, short, control characters escaped."""
    return shown(name)


@attrs.frozen(kw_only=True)
class CsvRow(Generic[T]):
    """One row read: its record, or the problems that kept it from being one.

    A row with problems has no record. A file whose header has problems gives no records
    (its rows are still checked, to report everything at once); those header problems
    come first, as a row of their own.

    Attributes:
        row: the line number of the row (the header is line 1).
        record: the record, or ``None``.
        problems: what is wrong with the row.
    """

    row: int
    record: T | None
    problems: tuple[CsvProblem, ...] = ()


@attrs.frozen(kw_only=True, repr=False)
class CsvRead(Generic[T]):
    """What :func:`read_csv` found: the records of the good rows and every problem.

    Attributes:
        records: the records, in file order.
        problems: every problem, in file order.
        rows: how many rows were read (not counting the header and blank lines).
    """

    records: tuple[T, ...]
    problems: tuple[CsvProblem, ...]
    rows: int

    @property
    def ok(self) -> bool:
        """Whether the file had no problems at all."""
        return not self.problems

    @property
    def bad_rows(self) -> tuple[int, ...]:
        """The row numbers with problems, in order (1 for the header)."""
        return tuple(sorted({p.row for p in self.problems}))

    def __repr__(self) -> str:
        return (
            f"CsvRead({len(self.records)} records from {self.rows} rows, "
            f"{len(self.problems)} problems in {len(self.bad_rows)} rows)"
        )


def _got(text: str, pii: bool) -> str | None:
    if pii:
        return None
    return shown(text)


# -- reading ----------------------------------------------------------------------------------


class _PathLike(typing.Protocol):
    def __fspath__(self) -> str: ...


Source = str | _PathLike | IO[str] | IO[bytes] | Iterable[str]


@attrs.define
class _Layout:
    """Where each column of a schema is in one file's header."""

    main: list[int | None]
    kind: list[int | None]
    currency: list[int | None]
    width: int
    suppressed: set[tuple[str, ...]]
    simple: list[tuple[str, int]] = attrs.Factory(list)
    other: list[int] = attrs.Factory(list)


def _escape(text: str) -> str:
    # Reading strips surrounding white space before it removes the apostrophe, so the
    # apostrophe must stand before what is read: white space around it is not written.
    # A text cell a spreadsheet would run as a formula (see runs_as_formula, which skips
    # leading apostrophes, so that escaping is undone exactly) gets one more apostrophe.
    return guard(text.strip())


def _unescape(text: str) -> str:
    return text[1:] if text.startswith("'") and runs_as_formula(text) else text


def _put(out: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for name in path[:-1]:
        out = out.setdefault(name, {})
    out[path[-1]] = value


class _Reader(Generic[T]):
    """Reads the rows of one file against a schema."""

    def __init__(self, schema: CsvSchema[T], encoding: str) -> None:
        self.schema = schema
        self.encoding = encoding
        self.plans = schema._plans
        self.layout: _Layout | None = None
        self.header_bad = False
        self.headers: list[str] = []
        self.order: dict[str | None, int] = {}

    # -- the header ---------------------------------------------------------------------------

    def read_header(self, cells: list[str], row: int) -> list[CsvProblem]:
        if cells and cells[0].startswith("\ufeff"):
            cells = [cells[0][1:], *cells[1:]]
        names = [c.strip() for c in cells]
        problems: list[CsvProblem] = []
        if len(names) > _COLUMNS:
            self._refuse_header(len(names))
            return [
                CsvProblem(
                    row=row,
                    column=None,
                    path=(),
                    code="too-many-columns",
                    message=f"the header has {len(names)} columns, more than {_COLUMNS}",
                )
            ]
        if _SURROGATE.search("\x00".join(names)):
            # Garbled names cannot be matched: say why once, not once per column.
            self.headers = [_SURROGATE.sub("\ufffd", n) for n in names]
            self.layout = _Layout(
                main=[None] * len(self.plans),
                kind=[None] * len(self.plans),
                currency=[None] * len(self.plans),
                width=len(names),
                suppressed={p.path for p in self.plans},
                other=list(range(len(self.plans))),
            )
            self.header_bad = True
            return [
                CsvProblem(
                    row=row,
                    column=None,
                    path=(),
                    code="invalid-encoding",
                    message=f"the header is not {self.encoding} text; {_ENCODING_HINT}",
                )
            ]
        self.headers = names
        self.order = {n: i for i, n in reversed(list(enumerate(names)))}
        positions: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            positions.setdefault(name, []).append(i)
        wanted = set(self.schema.headers)
        for name, where in positions.items():
            if len(where) > 1 and (name in wanted or not self.schema.ignore_unknown):
                problems.append(
                    CsvProblem(
                        row=row,
                        column=name,
                        path=(),
                        code="duplicate-column",
                        message=f"appears {len(where)} times in the header (columns "
                        f"{', '.join(str(i + 1) for i in where)}); it is not read",
                    )
                )
        unknown = [n for n in positions if n not in wanted]
        if unknown and not self.schema.ignore_unknown:
            for name in unknown:
                what = (
                    f"is not a column of the {self.schema.record_type.__name__} schema"
                    f"{_hint(name, wanted - set(positions))}"
                    if name
                    else "has no header name"
                )
                problems.append(
                    CsvProblem(
                        row=row,
                        column=name,
                        path=(),
                        code="unknown-column",
                        message=f"{what} (expected: {', '.join(self.schema.headers)})",
                    )
                )

        def index(header: str | None) -> int | None:
            if header is None:
                return None
            where = positions.get(header, [])
            return where[0] if len(where) == 1 else None

        layout = _Layout(main=[], kind=[], currency=[], width=len(names), suppressed=set())
        present = [n for n in positions if n]
        for p in self.plans:
            c = p.column
            layout.main.append(index(c.header))
            layout.kind.append(index(c.kind_header))
            layout.currency.append(index(c.currency_header))
            needed: list[str] = []
            if p.required:
                needed.append(c.header)
                if c.kind_header is not None:
                    needed.append(c.kind_header)
                if (
                    c.kind is CsvColumnKind.MONEY
                    and c.currency is None
                    and c.currency_header is not None
                    and not c.parse
                ):
                    needed.append(c.currency_header)
            for h in needed:
                if h not in positions:
                    layout.suppressed.add(p.path)  # reported here once, not in every row
                    problems.append(
                        CsvProblem(
                            row=row,
                            column=h,
                            path=p.path,
                            code="missing-column",
                            message=f"is missing from the header; the "
                            f"{self.schema.record_type.__name__} field {c.field!r} needs it"
                            f"{_hint(h, set(present) - wanted)} (the header has: "
                            f"{_listed(present) or 'nothing'})",
                        )
                    )
            if index(c.header) is None:
                layout.suppressed.add(p.path)
        for j, p in enumerate(self.plans):
            at = layout.main[j]
            if (
                at is not None
                and p.column.kind is CsvColumnKind.VALUE
                and p.scalar in (_Scalar.TEXT, _Scalar.PLAIN)
                and not p.many
                and len(p.path) == 1
                and not (self.schema.escaped and p.text)
            ):
                layout.simple.append((p.path[0], at))
            else:
                layout.other.append(j)
        self.layout = layout
        self.header_bad = bool(problems)
        return problems

    def _refuse_header(self, width: int) -> None:
        """A header that cannot be matched: every row is still checked for its shape."""
        self.headers = []
        self.layout = _Layout(
            main=[None] * len(self.plans),
            kind=[None] * len(self.plans),
            currency=[None] * len(self.plans),
            width=width,
            suppressed={p.path for p in self.plans},
            other=list(range(len(self.plans))),
        )
        self.header_bad = True

    # -- a row --------------------------------------------------------------------------------

    def read_row(self, raw: list[str], row: int) -> CsvRow[T]:
        layout = self.layout
        assert layout is not None  # set by read_header before any row
        if len(raw) > _COLUMNS and len(raw) != layout.width:
            return _problem_row(
                row, "too-many-columns", f"has {len(raw)} cells, more than {_COLUMNS}"
            )
        cells = [c.strip() for c in raw]
        width = layout.width
        if sum(len(c) for c in cells) > _LINE_LENGTH:
            return _problem_row(
                row, "too-long", f"is longer than {_LINE_LENGTH} characters; it is not read"
            )
        if len(cells) != width:
            return CsvRow(
                row=row,
                record=None,
                problems=(
                    CsvProblem(
                        row=row,
                        column=None,
                        path=(),
                        code="wrong-cell-count",
                        message=f"has {len(cells)} cells but the header has {width}"
                        + (
                            ": a comma in an unquoted amount such as 1,234.50 splits it in "
                            "two; quote the cell or leave out the thousands separator"
                            if len(cells) > width
                            else ""
                        ),
                    ),
                ),
            )
        problems: list[CsvProblem] = []
        if _SURROGATE.search("\x00".join(cells)):
            for i, cell in enumerate(cells[:width]):
                if _SURROGATE.search(cell):
                    problems.append(
                        CsvProblem(
                            row=row,
                            column=self.headers[i] if i < len(self.headers) else None,
                            path=(),
                            code="invalid-encoding",
                            message=f"is not {self.encoding} text; {_ENCODING_HINT}",
                        )
                    )
            return CsvRow(row=row, record=None, problems=tuple(problems))
        data: dict[str, Any] = dict(self.schema.fixed)
        failed: set[tuple[str, ...]] = set(layout.suppressed)
        escaped = self.schema.escaped
        for name, i in layout.simple:  # most columns: the cell is the value
            if cells[i]:
                data[name] = cells[i]
        for j in layout.other:
            p = self.plans[j]
            at = layout.main[j]
            c = p.column
            if c.kind is CsvColumnKind.MONEY:
                self._money(p, cells, at, layout.currency[j], row, data, problems, failed)
                continue
            if c.kind is CsvColumnKind.PARTY and c.kind_header is not None:
                k = layout.kind[j]
                kind_cell = cells[k] if k is not None else ""
                id_cell = cells[at] if at is not None else ""
                if escaped and id_cell:
                    id_cell = _unescape(id_cell)
                party: dict[str, str] = {}
                if kind_cell:
                    party["kind"] = kind_cell
                if id_cell:
                    party["id"] = id_cell
                elif kind_cell:  # a Party's id has a default: never take it silently
                    failed.add(p.path)
                    problems.append(
                        CsvProblem(
                            row=row,
                            column=c.header,
                            path=(*p.path, "id"),
                            code="missing",
                            message="is required, but the cell is empty",
                        )
                    )
                    continue
                if party:
                    _put(data, p.path, party)
                continue
            if at is None:
                continue
            cell = cells[at]
            if not cell:
                continue
            if escaped and p.text:
                cell = _unescape(cell)
            try:
                value = self._value(p, cell)
            except _CellError as exc:
                failed.add(p.path)
                problems.append(
                    CsvProblem(
                        row=row,
                        column=c.header,
                        path=p.path,
                        code=exc.code,
                        message=exc.message,
                        got=None if exc.hide else _got(cell, p.pii),
                    )
                )
                continue
            _put(data, p.path, value)
        record: T | None = None
        try:
            record = from_dict(data, self.schema.record_type)
        except InvalidInput as exc:
            found = exc.problems
            if problems:  # rules across fields saw defaults in place of the bad cells
                found = tuple(
                    q for q in found if q.path and not any(q.path[: len(f)] == f for f in failed)
                )
            problems.extend(self._placed(found, row, failed))
        if problems:
            problems = _scrub(problems, self._personal(cells))
            order = self.order
            problems.sort(key=lambda q: order.get(q.column, len(order)))  # left to right
            return CsvRow(row=row, record=None, problems=tuple(problems))
        return CsvRow(row=row, record=None if self.header_bad else record)

    def _value(self, p: _Plan, cell: str) -> Any:
        kind = p.column.kind
        if kind is CsvColumnKind.PARTY:
            party_kind, sep, ident = cell.partition(":")
            if not sep:
                raise _CellError(
                    "invalid-party", "must be a party written kind:id, such as 'fund:f1'"
                )
            return {"kind": party_kind, "id": ident}
        if kind is CsvColumnKind.JSON:
            # The converter's own reading: repeated keys, NaN and numbers of too many
            # digits are kept as markers for it to report at their paths.
            try:
                return _loads(cell)
            except json.JSONDecodeError as exc:
                raise _CellError(
                    "invalid-json",
                    f"is not valid JSON: {exc.msg} at character {exc.pos}",
                    hide=True,
                ) from None
            except RecursionError:
                raise _CellError(
                    "too-deep",
                    f"nests arrays and objects more than {LIMITS['depth']} deep",
                    hide=True,
                ) from None
            except ValueError:  # a number Python will not read
                raise _CellError(
                    "invalid-json", "is not JSON the library reads", hide=True
                ) from None
        if p.many:
            sep = p.column.delimiter or DEFAULT_DELIMITER
            parts = [s.strip() for s in cell.split(sep)]
            return [self._scalar(p, s) for s in parts if s]
        return self._scalar(p, cell)

    def _scalar(self, p: _Plan, cell: str) -> Any:
        s = p.scalar
        if s is _Scalar.INT:
            if not _INTEGER.match(cell):
                raise _CellError("invalid-integer", "must be a whole number such as 3")
            if len(cell.lstrip("+-")) > _INTEGER_DIGITS:
                raise _CellError(
                    "too-many-digits", f"must have at most {_INTEGER_DIGITS} digits", hide=True
                )
            return int(cell)
        if s is _Scalar.BOOL:
            low = cell.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise _CellError("invalid-boolean", "must be true or false (or 1 or 0)")
        if s is _Scalar.DATE and p.column.date_format is not None:
            fmt = p.column.date_format
            try:
                return datetime.strptime(cell, fmt).date().isoformat()
            except ValueError:
                raise _CellError("invalid-date", f"is not a real date written as {fmt!r}") from None
        return cell

    def _money(
        self,
        p: _Plan,
        cells: list[str],
        i: int | None,
        ci: int | None,
        row: int,
        data: dict[str, Any],
        problems: list[CsvProblem],
        failed: set[tuple[str, ...]],
    ) -> None:
        c = p.column
        amount = cells[i] if i is not None else ""
        if not amount:
            return
        currency = (cells[ci] if ci is not None else "") or c.currency
        if not c.parse:
            value: dict[str, Any] = {"amount": amount}
            if currency:
                value["currency"] = currency
            _put(data, p.path, value)
            return
        try:
            money = Money.parse(amount, currency) if currency else Money.parse(amount)
        except (TypeError, ValueError) as exc:
            failed.add(p.path)
            where = (*p.path, "amount")
            if isinstance(exc, FieldError) and exc.code == "too-many-digits":
                problem = CsvProblem(
                    row=row, column=c.header, path=where, code="too-many-digits", message=exc.rule
                )
            else:  # Money.parse says why, as data
                problem = CsvProblem(
                    row=row,
                    column=c.header,
                    path=where,
                    code="invalid-amount",
                    message=exc.rule if isinstance(exc, FieldError) else "is not an amount",
                    got=_got(amount, p.pii),
                )
            problems.append(problem)
            return
        _put(data, p.path, {"amount": str(money.amount), "currency": money.currency})

    def _placed(
        self,
        found: Iterable[Problem],
        row: int,
        failed: set[tuple[str, ...]],
    ) -> Iterator[CsvProblem]:
        for problem in found:
            path = problem.path
            if problem.code == "missing" and any(path[: len(f)] == f for f in failed):
                continue  # already reported (a bad cell, or a missing column)
            column = self._column_of(problem)
            message = problem.message
            if problem.code == "missing" and column is not None:
                message = "is required, but the cell is empty"
            yield CsvProblem(
                row=row,
                column=column,
                path=problem.path,
                code=problem.code,
                message=message,
                got=problem.got,
            )

    def _column_of(self, problem: Problem) -> str | None:
        """The column of a problem, from its path alone (never from its message).

        A rule across fields that names the field it blames has that field's path; one
        that names none is a problem of the whole row (no column).
        """
        owners = self.schema._owners
        path = problem.path
        for k in range(len(path), 0, -1):
            header = owners.get(path[:k])
            if header is not None:
                return header
        if path:
            for p in self.plans:  # a nested record with columns for its fields
                if p.path[: len(path)] == path:
                    return p.column.header
        return None

    def _personal(self, cells: list[str]) -> list[str]:
        layout = self.layout
        assert layout is not None
        out = []
        for j, p in enumerate(self.plans):
            i = layout.main[j]
            if p.pii and i is not None and cells[i]:
                out.append(cells[i])
        return out


def _problem_row(row: int, code: str, message: str) -> CsvRow[Any]:
    """A row that is no record, with one problem of the whole row (no column)."""
    return CsvRow(
        row=row,
        record=None,
        problems=(CsvProblem(row=row, column=None, path=(), code=code, message=message),),
    )


class _CellError(Exception):
    def __init__(self, code: str, message: str, *, hide: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hide = hide


def _scrub(problems: list[CsvProblem], personal: list[str]) -> list[CsvProblem]:
    """Belt and braces: no problem may quote a personal-data cell of its row."""
    if not personal:
        return problems
    out = []
    for p in problems:
        message, got = p.message, p.got
        for text in personal:
            if len(text) >= 2 and text in message:
                message = message.replace(text, "***")
            if got is not None and len(text) >= 2 and text in got:
                got = None
        out.append(
            attrs.evolve(p, message=message, got=got)
            if (message, got)
            != (
                p.message,
                p.got,
            )
            else p
        )
    return out


def _listed(names: list[str]) -> str:
    """The header names of a file, for a message: escaped, shortened, at most twenty."""
    out = ", ".join(n if n.isprintable() and len(n) <= 60 else shown(n) for n in names[:20])
    return out + (f" and {len(names) - 20} more" if len(names) > 20 else "")


def _hint(name: str, candidates: set[str]) -> str:
    lower = {c.casefold(): c for c in candidates}
    if name.casefold() in lower:
        return f"; did you mean {lower[name.casefold()]!r}?"
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.8)
    return f"; did you mean {close[0]!r}?" if close else ""


def _lines(source: Source, encoding: str) -> tuple[Iterator[str], str, Any]:
    """The source's lines, its name for messages, and what to close (or detach) after."""
    if isinstance(source, str) or hasattr(source, "__fspath__"):
        path = os.fspath(cast(_PathLike, source))
        f = open(path, encoding=encoding, errors="surrogateescape", newline="")  # noqa: SIM115
        return iter(f), path, f.close
    name = str(getattr(source, "name", "the CSV input"))
    if hasattr(source, "read"):
        if isinstance(source, io.TextIOBase):
            return iter(source), name, None
        probe = cast(IO[Any], source)
        if isinstance(source, io.RawIOBase | io.BufferedIOBase) or "b" in str(
            getattr(probe, "mode", "")
        ):
            wrapper = io.TextIOWrapper(
                cast(IO[bytes], source), encoding=encoding, errors="surrogateescape", newline=""
            )
            return iter(wrapper), name, wrapper.detach
        return iter(cast(IO[str], source)), name, None
    _check_source(source)
    return iter(source), name, None


def iter_csv(
    source: Source, schema: CsvSchema[T] | type[T], *, encoding: str = "utf-8-sig"
) -> Generator[CsvRow[T], None, None]:
    """Read a CSV file row by row: each row's record, or its problems.

    One row is held at a time, so a file of a million rows is read in the memory of one
    (hand the records to :func:`humanaid.tabulate` as they come). Blank rows are skipped;
    every other row is yielded, problems or not, and reading never stops at a bad row.
    Problems with the header (a missing, unknown or repeated column) come first, as a
    row of their own; a file with header problems yields no records, but each of its
    rows is still checked.

    Args:
        source: a path (opened and closed here), an open text or binary file (open text
            files with ``newline=""``), or any iterable of lines such as a list of
            strings.
        schema: a :class:`CsvSchema`, or a record class for its default schema.
        encoding: the encoding of a path or binary file: ``"utf-8-sig"`` (UTF-8, with
            or without a byte-order mark) by default, ``"gb18030"`` for files saved by
            Chinese Excel. Bytes that are not in the encoding are reported, per cell. An
            open text file decodes itself: if it cannot, that is reported once and reading
            stops.

    >>> from humanaid import Household
    >>> lines = ["id,members,flags", "h1,3,registered_poor;disaster_affected", "", "h2,0,"]
    >>> for r in iter_csv(lines, Household):
    ...     print(r.row, r.record.members if r.record else [str(p) for p in r.problems])
    2 3
    4 ["row 4, column 'members': must be at least 1 (got 0)"]
    """
    plan = _schema(schema)
    _check_source(source)
    return _iter(source, plan, encoding)


def _iter(source: Source, schema: CsvSchema[T], encoding: str) -> Generator[CsvRow[T], None, None]:
    lines, _, close = _lines(source, encoding)
    try:
        for _, row in _rows(lines, schema, encoding):
            yield row
    finally:
        if close is not None:
            close()


def _check_source(source: object) -> None:
    if isinstance(source, str) or hasattr(source, "__fspath__") or hasattr(source, "read"):
        return
    if isinstance(source, bytes | bytearray) or not isinstance(source, Iterable):
        raise TypeError(
            "'source' must be a path, an open file or an iterable of lines "
            f"(got {type(source).__name__})"
        )


def _file_problem(row: int, code: str, message: str) -> CsvRow[Any]:
    """A row that is no record, with one problem of the file itself (no column)."""
    return CsvRow(
        row=row,
        record=None,
        problems=(CsvProblem(row=row, column=None, path=(), code=code, message=message),),
    )


def _rows(
    lines: Iterator[str], schema: CsvSchema[T], encoding: str
) -> Iterator[tuple[bool, CsvRow[T]]]:
    """Each row with whether it is a data row (not the header, not the file as a whole)."""
    ended: list[bool] = []
    longest = [0]
    reader = csv.reader(_watch(lines, ended, longest), strict=False)
    rows = _Reader(schema, encoding)
    have_header = False
    last = 0
    while True:
        start = last + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except UnicodeDecodeError as exc:  # a text file opened in another encoding
            yield (
                True,
                _file_problem(
                    start,
                    "invalid-encoding",
                    f"the file is not {exc.encoding} text at this row or soon "
                    "after it, so reading stopped; open the file in its own encoding "
                    "(such as encoding='gb18030' for a file Chinese Excel saved as CSV), "
                    "or pass its path or the file opened in binary mode with encoding=",
                ),
            )
            return
        except csv.Error as exc:
            last = reader.line_num
            if longest[0] > _CELL_LENGTH:  # the csv module's limit of one cell
                yield (
                    True,
                    _file_problem(
                        start,
                        "too-long",
                        f"has a cell longer than {_CELL_LENGTH} characters; the row is not read",
                    ),
                )
            else:
                yield True, _file_problem(start, "invalid-csv", f"cannot be read as CSV: {exc}")
            longest[0] = 0
            continue
        longest[0] = 0
        last = reader.line_num
        if ended:
            # The reader only asks for a line after the last one inside a quoted cell: a
            # quote opened on this row was never closed and took in the rest of the file.
            have_header, is_data = True, have_header
            yield (
                is_data,
                _file_problem(
                    start,
                    "invalid-csv",
                    "has a quoted cell that is never closed, so it took in "
                    f"every line up to the end of the file (line {last}); close the "
                    'quote, or write a quote inside a cell as ""',
                ),
            )
            break
        if not any(c.strip() for c in cells):
            continue
        if not have_header:
            have_header = True
            header_problems = rows.read_header(cells, start)
            if header_problems:
                yield False, CsvRow(row=start, record=None, problems=tuple(header_problems))
            continue
        yield True, rows.read_row(cells, start)
    if not have_header:
        yield (
            False,
            _file_problem(
                1,
                "empty-file",
                f"the file has no header row: expected {', '.join(schema.headers)}",
            ),
        )


def _watch(lines: Iterator[str], ended: list[bool], longest: list[int]) -> Iterator[str]:
    """The lines, noting in ``ended`` when they run out and in ``longest`` the longest."""
    for line in lines:
        if len(line) > longest[0]:
            longest[0] = len(line)
        yield line
    ended.append(True)


def read_csv(
    source: Source,
    schema: CsvSchema[T] | type[T],
    *,
    encoding: str = "utf-8-sig",
    strict: bool = False,
    progress: Callable[[int, int | None], object] | None = None,
) -> CsvRead[T]:
    """Read a whole CSV file: the records of its good rows and every problem.

    Args:
        source: as for :func:`iter_csv` (a ``str`` is a path; wrap text in
            :class:`io.StringIO`).
        schema: a :class:`CsvSchema`, or a record class for its default schema.
        encoding: as for :func:`iter_csv`.
        strict: raise instead of returning when there is any problem.
        progress: called as ``progress(rows, None)`` every 1,024 data rows read and once
            at the end, ``rows`` being the data rows read so far (the total is not known
            before the end).

    Raises:
        InvalidInput: with ``strict=True``, listing every :class:`CsvProblem` of the file
            (``3 problems in gifts.csv: ...``).
    """
    plan = _schema(schema)
    records: list[T] = []
    problems: list[CsvProblem] = []
    count = 0
    lines, name, close = _lines(source, encoding)
    try:
        for is_data, r in _rows(lines, plan, encoding):
            if r.record is not None:
                records.append(r.record)
            problems.extend(r.problems)
            count += is_data
            if progress is not None and is_data and not count % 1024:
                progress(count, None)
    finally:
        if close is not None:
            close()
    if progress is not None:
        progress(count, None)
    if strict and problems:
        raise InvalidInput(problems, subject=name)
    return CsvRead(records=tuple(records), problems=tuple(problems), rows=count)


# -- writing ----------------------------------------------------------------------------------


def _at(data: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(name)
    return data


def _cell(p: _Plan, value: Any) -> str:
    if value is None:
        return ""
    c = p.column
    if p.many:
        sep = c.delimiter or DEFAULT_DELIMITER
        items = [_plain_cell(p, v) for v in value]
        for item in items:
            if not item or sep in item or item != item.strip():
                raise ValueError(
                    f"cannot write {c.field!r}: an item is empty, holds the delimiter "
                    f"{sep!r} or surrounding white space, so it would not read back"
                    + ("" if p.pii else f" (got {item!r})")
                )
        text = sep.join(items)
    else:
        text = _plain_cell(p, value)
    return _escape(text) if p.scalar is _Scalar.TEXT else text


def _plain_cell(p: _Plan, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if p.scalar is _Scalar.DATE and p.column.date_format is not None:
        fmt = p.column.date_format
        day = date.fromisoformat(value)
        text = day.strftime(fmt)
        try:
            back: date | None = datetime.strptime(text, fmt).date()
        except ValueError:
            back = None
        if back != day:  # a two-digit year of another century, a year before 1000
            said = f" reads back as {back.isoformat()}" if back else " does not read back"
            raise ValueError(
                f"cannot write {p.column.field!r} as {fmt!r}: "
                + (
                    "a date would not read back the same"
                    if p.pii
                    else f"{value} is written {text!r}, which{said}"
                )
            )
        return text
    return str(value)


class _Writer:
    def __init__(self, schema: CsvSchema[Any]) -> None:
        self.schema = schema
        self.headers = schema.headers
        self.position = {h: i for i, h in enumerate(self.headers)}
        self.fixed = dict(schema.fixed)

    def row(self, record: Any) -> list[str]:
        schema = self.schema
        if not isinstance(record, schema.record_type):
            raise TypeError(
                f"write_csv got a {type(record).__name__} for a "
                f"{schema.record_type.__name__} schema"
            )
        data = to_dict(record)
        for key, value in self.fixed.items():
            if data.get(key) != value:
                raise ValueError(
                    f"cannot write {schema.record_type.__name__} {_label(data)}: its "
                    f"{key!r} differs from the schema's fixed value, which the file has no "
                    "column for"
                )
        out = [""] * len(self.headers)
        for p in schema._plans:
            c = p.column
            value = _at(data, p.path)
            where = self.position[c.header]
            if c.kind is CsvColumnKind.MONEY:
                self._money(p, value, out, data)
            elif c.kind is CsvColumnKind.PARTY:
                if value is None:
                    continue
                if c.kind_header is None:
                    out[where] = f"{value['kind']}:{value['id']}"
                else:
                    out[self.position[c.kind_header]] = value["kind"]
                    out[where] = _escape(value["id"])
            elif c.kind is CsvColumnKind.JSON:
                if value is not None and not (p.empty_is_default and value in ([], {})):
                    out[where] = _escape(
                        json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                    )
            else:
                out[where] = _cell(p, value)
        return out

    def _money(self, p: _Plan, value: Any, out: list[str], data: Any) -> None:
        if value is None:
            return
        c = p.column
        amount, currency = value["amount"], value["currency"]
        out[self.position[c.header]] = amount
        if c.currency_header is not None:
            i = self.position[c.currency_header]
            if out[i] and out[i] != currency:
                raise ValueError(
                    f"cannot write {self.schema.record_type.__name__} {_label(data)}: the "
                    f"column {c.currency_header!r} would need both {out[i]} and {currency}"
                )
            out[i] = currency
        elif c.currency is not None:
            if currency != c.currency:
                raise ValueError(
                    f"cannot write {self.schema.record_type.__name__} {_label(data)}: "
                    f"column {c.header!r} is fixed to {c.currency} but the amount is in "
                    f"{currency}"
                )
        elif c.parse and currency != DEFAULT_CURRENCY:
            out[self.position[c.header]] = f"{amount} {currency}"


def _label(data: Any) -> str:
    ident = data.get("id") if isinstance(data, Mapping) else None
    return repr(ident) if isinstance(ident, str) else "(a record without an id)"


def write_csv(
    records: Iterable[T],
    target: str | _PathLike | IO[str],
    schema: CsvSchema[T] | type[T] | None = None,
    *,
    encoding: str = "utf-8-sig",
) -> int:
    """Write records as CSV with a schema's columns; return how many were written.

    Records are written one at a time (a generator is fine). Cells are what
    :func:`read_csv` reads back with the same schema: amounts as plain decimals (a
    ``parse=True`` column writes ``12.50`` or ``12.50 USD``), dates ISO or in the
    column's format, enums by value, ``true``/``false``, ``None`` as an empty cell,
    tuples and sets joined by the delimiter, JSON columns as compact JSON.

    A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
    written with a leading apostrophe, so that a spreadsheet shows it instead of running
    it as a formula (OWASP's advice on CSV injection); amounts and numbers are never
    touched, so ``-5.00`` stays a number. To read such a file back exactly, use a schema
    with ``escaped=True``, which removes that one apostrophe (and only it: a text that
    itself starts with apostrophes before a trigger gets one more on writing).

    Fields without a column are not written: leave personal data out of an export by
    leaving out its columns (``CsvSchema.for_type(Donor, omit=["name", "phone"])``).
    Surrounding white space in text is not written (reading would strip it), and a nested
    record whose fields are all empty reads back as no record.

    Args:
        records: the records, all of the schema's type.
        target: a path (written in ``encoding``, by default UTF-8 with the byte-order
            mark Excel needs to see Chinese) or an open text file (opened with
            ``newline=""``).
        schema: a :class:`CsvSchema`, a record class for its default schema, or
            ``None`` for the default schema of the first record's class.
        encoding: the encoding of a file written to a path.

    Raises:
        ValueError: for a record the file could not hold and read back (a tuple item
            holding the delimiter, an amount in another currency than a fixed one, a
            field that differs from a fixed value, a date its column's format would write
            in another century), or no records and no schema.

    >>> import io
    >>> from datetime import date
    >>> from humanaid import Donation, Money
    >>> buf = io.StringIO()
    >>> gift = Donation(id="-1", organization_id="qujing", received_on=date(2020, 1, 5),
    ...                 value=Money("100"))
    >>> write_csv([gift], buf, CsvSchema.for_type(Donation, omit=["items", "restricted_to"]))
    1
    >>> print(buf.getvalue().splitlines()[1])
    '-1,qujing,2020-01-05,100.00,CNY,,cash,0.00,offline,,,,,,,
    """
    it = iter(records)
    if schema is None:
        first = next(it, None)
        if first is None:
            raise ValueError("no records and no schema: pass schema= to write the header")
        plan: CsvSchema[Any] = CsvSchema.for_type(type(first))
        it = _chain(first, it)
    else:
        plan = _schema(schema)
    writer = _Writer(plan)
    if isinstance(target, str) or hasattr(target, "__fspath__"):
        path = os.fspath(cast(_PathLike, target))
        with open(path, "w", encoding=encoding, newline="") as f:
            return _write(f, writer, it)
    return _write(target, writer, it)


def _chain(first: T, rest: Iterator[T]) -> Iterator[T]:
    yield first
    yield from rest


def _write(f: IO[str], writer: _Writer, records: Iterator[Any]) -> int:
    out = csv.writer(f, lineterminator="\r\n")
    out.writerow(writer.headers)
    n = 0
    for record in records:
        out.writerow(writer.row(record))
        n += 1
    return n
