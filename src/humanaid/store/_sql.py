"""The SQL behind :class:`humanaid.store.Store`: tables from the record types, and the work.

Private, and imported only when a store is opened, so that ``import humanaid.store``
needs nothing beyond the core and only opening a store needs the ``sql`` extra
(SQLAlchemy, and psycopg for PostgreSQL).

A table is made for each collection of the dataset class, from its record type's fields:

* the record's ``id`` is the primary key;
* text, whole numbers and booleans are columns of their own type, dates are ``DATE``;
* an enumeration is text checked against its values (a ``CHECK`` constraint);
* :class:`~humanaid.Money` is two columns: the amount under the field's name (exact:
  ``NUMERIC`` on PostgreSQL; decimal text on SQLite, which has no exact decimal type) and
  ``<field>_currency``; a ``Decimal`` is one such amount column;
* a nested record whose fields are all required plain values (a
  :class:`~humanaid.Period`, a flow's :class:`~humanaid.Party`) is one column a field,
  ``<field>_<part>`` (``period_start``, ``source_kind``);
* anything else (tuples, sets, records with parts of their own) is JSON, written and read
  by :mod:`humanaid.serialize`, the one converter;
* personal-data fields carry the column comment ``personal data``.

Rows are read back into the form :func:`humanaid.to_dict` writes and loaded with
:func:`humanaid.from_dict`, so a store holds exactly what the converter reads and a row
edited by hand into something invalid is reported as :class:`~humanaid.InvalidInput`.
"""

from __future__ import annotations

import enum
import functools
import json
import os
import random
import time
import types
import typing
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final, cast

import attrs

from humanaid._extras import missing_extra

try:
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise missing_extra("humanaid.store", "sqlalchemy", "sql") from exc

from humanaid import _gc
from humanaid.dataset import Dataset
from humanaid.errors import InvalidInput
from humanaid.funds import Party, PartyKind
from humanaid.money import Money
from humanaid.periods import Period
from humanaid.records import REF, is_pii
from humanaid.serialize import from_dict, make_converter, to_dict
from humanaid.store import (
    SCHEMA_VERSION,
    AddResult,
    Change,
    HistoryEntry,
    Progress,
    StoreConflict,
    StoreVersionError,
)

META: Final = "humanaid_meta"
HISTORY: Final = "humanaid_history"
BATCH: Final = 1000  # records a statement, rows a fetch
_NONE: Final = type(None)
_LOCKED_RETRIES: Final = 8  # BEGIN IMMEDIATE retried after the busy timeout, with backoff
_BUSY_TIMEOUT_MS: Final = 30_000


# -- what a field becomes ------------------------------------------------------------------------


@attrs.frozen
class _Leaf:
    """A plain value kept in one column: its kind, and an enumeration's values."""

    kind: str  # text | integer | boolean | date | decimal | enum
    values: tuple[str, ...] = ()


_PLAIN: Final[Mapping[Any, str]] = {
    str: "text",
    int: "integer",
    bool: "boolean",
    date: "date",
    Decimal: "decimal",
}


def _leaf(t: Any) -> _Leaf | None:
    kind = _PLAIN.get(t)
    if kind is not None:
        return _Leaf(kind)
    if isinstance(t, type) and issubclass(t, enum.Enum):
        values = tuple(m.value for m in t)
        if all(isinstance(v, str) for v in values):
            return _Leaf("enum", values)
    return None


def _unoptional(t: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None``; ``(t, False)`` for anything else."""
    if typing.get_origin(t) in (types.UnionType, typing.Union):
        args = typing.get_args(t)
        rest = [a for a in args if a is not _NONE]
        if len(rest) == 1 and len(args) == 2:
            return rest[0], True
    return t, False


def _flat_parts(t: Any) -> list[tuple[str, _Leaf]] | None:
    """The parts of a nested record kept one column each, or ``None`` (it goes as JSON)."""
    if not (isinstance(t, type) and attrs.has(t)) or t is Money:
        return None
    hints = typing.get_type_hints(t)
    parts = []
    for a in attrs.fields(t):
        if not a.init:
            return None
        leaf = _leaf(hints[a.name])
        if leaf is None:
            return None
        parts.append((a.name, leaf))
    return parts or None


@attrs.frozen
class Column:
    """One column of a collection's table."""

    name: str
    leaf: _Leaf | None  # None: JSON
    nullable: bool
    pii: bool


@attrs.frozen
class Field:
    """One field of a record and the columns it is kept in."""

    name: str
    shape: str  # leaf | money | flat | json
    optional: bool
    columns: tuple[Column, ...]
    parts: tuple[str, ...] = ()  # a flat record's field names, in column order
    type: Any = None  # the declared type (for JSON)


def fields_of(record_type: type) -> tuple[Field, ...]:
    """The fields of ``record_type`` and their columns, in the record's field order."""
    if not (attrs.has(record_type) and "id" in attrs.fields_dict(record_type)):
        raise TypeError(
            f"a store keeps records with an 'id' field: {record_type.__name__} has none"
        )
    hints = typing.get_type_hints(record_type)
    out = []
    seen: dict[str, str] = {}
    for a in attrs.fields(record_type):
        if not a.init:
            continue
        declared = hints[a.name]
        inner, optional = _unoptional(declared)
        pii = is_pii(a)
        leaf = _leaf(inner)
        if leaf is not None:
            f = Field(a.name, "leaf", optional, (Column(a.name, leaf, optional, pii),))
        elif inner is Money:
            cols = (
                Column(a.name, _Leaf("decimal"), optional, pii),
                Column(f"{a.name}_currency", _Leaf("text"), optional, pii),
            )
            f = Field(a.name, "money", optional, cols)
        elif (parts := _flat_parts(inner)) is not None:
            flat = tuple(Column(f"{a.name}_{p}", lf, optional, pii) for p, lf in parts)
            f = Field(a.name, "flat", optional, flat, parts=tuple(p for p, _ in parts))
        else:
            f = Field(a.name, "json", True, (Column(a.name, None, True, pii),), type=declared)
        for c in f.columns:
            if c.name in seen:
                raise TypeError(
                    f"{record_type.__name__}: the column {c.name!r} of field {a.name!r} "
                    f"is also a column of field {seen[c.name]!r}"
                )
            seen[c.name] = a.name
        out.append(f)
    return tuple(out)


# -- which records a period and organisations select ----------------------------------------------

# The field a collection's records are dated by: a date (the record is in a period when
# the date is) or a Period (when the two overlap). None: the collection is loaded whole
# whatever the period (standing records, and loans, whose repayments in any year refer
# to them). A collection not named here is dated by its one required date or Period
# field, if it has exactly one, and otherwise loaded whole.
WHEN: Final[Mapping[str, str | None]] = {
    "organizations": None,
    "admin_areas": None,
    "donors": None,
    "donations": "received_on",
    "pledges": "pledged_on",
    "campaigns": "period",
    "funds": None,
    "flows": "on",
    "persons": None,
    "households": None,
    "cases": None,
    "screenings": "on",
    "distributions": "on",
    "programs": None,
    "projects": "period",
    "indicators": None,
    "indicator_values": "period",
    "revolving_funds": None,
    "loans": None,
    "repayments": "paid_on",
    "write_offs": "on",
    "reported_figures": "period",
}

# How a record belongs to an organisation: the fields that tie it to one, directly (a
# reference to ``organizations``), through a record that itself belongs (a fund, a
# project, a loan ...), or through a party (a flow's source or destination). Empty: the
# collection has no organisation of its own and is loaded whole (donors, persons and
# households are shared by the organisations of a store). A collection not named here
# belongs through its ``organization_id`` field, if it has one.
BELONGS: Final[Mapping[str, tuple[str, ...]]] = {
    "organizations": ("id",),
    "admin_areas": (),
    "donors": (),
    "donations": ("organization_id",),
    "pledges": ("organization_id",),
    "campaigns": ("organizer_id", "host_id"),
    "funds": ("organization_id",),
    "flows": ("source", "destination"),
    "persons": (),
    "households": (),
    "cases": ("program_id", "project_id", "fund_id"),
    "screenings": ("program_id", "project_id"),
    "distributions": ("program_id", "project_id", "fund_id", "campaign_id"),
    "programs": ("organization_id",),
    "projects": ("organization_id",),
    "indicators": (),
    "indicator_values": ("organization_id", "project_id"),
    "revolving_funds": ("organization_id", "project_id", "fund_id"),
    "loans": ("fund_id",),
    "repayments": ("loan_id",),
    "write_offs": ("loan_id",),
    "reported_figures": ("organization_id",),
}

_PARTY_COLLECTIONS: Final = {
    k.value: c for k in PartyKind if (c := Party(kind=k, id="x").collection) is not None
}


def dated_by(name: str, record_type: type) -> str | None:
    """The field that dates the records of collection ``name`` (see :data:`WHEN`)."""
    if name in WHEN:
        return WHEN[name]
    hints = typing.get_type_hints(record_type)
    dated = [a.name for a in attrs.fields(record_type) if hints[a.name] in (date, Period)]
    return dated[0] if len(dated) == 1 else None


def belongs_by(name: str, record_type: type) -> tuple[str, ...]:
    """The fields that tie a record of ``name`` to an organisation (see :data:`BELONGS`)."""
    names = attrs.fields_dict(record_type)
    if name in BELONGS:
        return tuple(f for f in BELONGS[name] if f in names)
    refs = {a.name: a.metadata.get(REF) for a in attrs.fields(record_type)}
    return ("organization_id",) if refs.get("organization_id") == "organizations" else ()


# -- the tables ------------------------------------------------------------------------------------


class _Ddl(sa.types.UserDefinedType[Any]):
    """A column type that SQLite is told by name and whose values pass unchanged.

    Dates are kept as ISO text (``DATE`` gives no affinity that would change them) and
    decimals as text (SQLite's ``NUMERIC`` affinity would turn them into binary floats).
    """

    cache_ok = True

    def __init__(self, ddl: str) -> None:
        self.ddl = ddl

    def get_col_spec(self, **kw: Any) -> str:
        return self.ddl


def _column_type(leaf: _Leaf | None, dialect: str) -> Any:
    sqlite = dialect == "sqlite"
    if leaf is None:  # JSON: on SQLite written and read by the generated code
        return _Ddl("JSON") if sqlite else postgresql.JSONB(none_as_null=True)
    if leaf.kind == "date":
        return _Ddl("DATE") if sqlite else sa.Date()
    if leaf.kind == "decimal":
        return _Ddl("TEXT") if sqlite else sa.Numeric(asdecimal=True)
    if leaf.kind == "integer":
        return sa.BigInteger()
    if leaf.kind == "boolean":
        return sa.Boolean()
    return sa.Text()


def _json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_loads(text: str) -> Any:
    return [] if text == "[]" else json.loads(text)


def _bind_expr(leaf: _Leaf, sqlite: bool, value: str) -> str:
    """The Python expression of a plain value's column, from the expression ``value``."""
    if leaf.kind == "enum":
        return f"{value}.value"
    if leaf.kind == "date" and sqlite:
        return f"{value}.isoformat()"
    if leaf.kind == "decimal" and sqlite:
        return f'_format({value}, "f")'
    return value


def _read_expr(leaf: _Leaf, sqlite: bool, value: str) -> str:
    """The expression of a plain value as :func:`humanaid.to_dict` writes it, from a cell."""
    if leaf.kind == "date" and not sqlite:
        return f"{value}.isoformat()"
    if leaf.kind == "decimal" and not sqlite:
        return f'_format({value}, "f")'
    return value


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _compiled(lines: list[str], scope: dict[str, Any], name: str, c: CollectionTable) -> Any:
    source = "\n".join(lines) + "\n"
    filename = f"<humanaid.store {name} of {c.record_type.__module__}.{c.record_type.__qualname__}>"
    exec(compile(source, filename, "exec"), scope)
    return scope[name]


class CollectionTable:
    """One collection: its table, and records to rows and back."""

    def __init__(
        self,
        name: str,
        record_type: type,
        metadata: sa.MetaData,
        dialect: str,
        converter: Any,
    ) -> None:
        self.name = name
        self.record_type = record_type
        self.fields = fields_of(record_type)
        self.sqlite = dialect == "sqlite"
        self.dated_by = dated_by(name, record_type)
        self.belongs_by = belongs_by(name, record_type)
        self.by_name = {f.name: f for f in self.fields}
        cols: list[sa.Column[Any]] = []
        checks: list[sa.CheckConstraint] = []
        for f in self.fields:
            for c in f.columns:
                column = sa.Column(
                    c.name,
                    _column_type(c.leaf, dialect),
                    primary_key=c.name == "id",
                    nullable=c.nullable and c.name != "id",
                    comment="personal data" if c.pii else None,
                )
                cols.append(column)
                if c.leaf is not None and c.leaf.kind == "enum":
                    checks.append(sa.CheckConstraint(column.in_(c.leaf.values)))
            if f.shape in ("money", "flat") and f.optional:
                # all parts, or none
                names = [c.name for c in f.columns]
                every = sa.and_(*(sa.column(n).is_not(None) for n in names))
                none = sa.and_(*(sa.column(n).is_(None) for n in names))
                checks.append(sa.CheckConstraint(sa.or_(every, none)))
        self.value_columns = [c.name for c in cols]
        extra: list[Any] = []
        if not self.sqlite:  # the order records were added in (SQLite has its rowid)
            extra.append(sa.Column("_seq", sa.BigInteger, sa.Identity(), nullable=False))
        self.table = sa.Table(name, metadata, *cols, *extra, *checks)
        t = self.table
        if not self.sqlite:
            sa.Index(f"{name}__seq", t.c._seq, unique=True)
        when = self.by_name.get(self.dated_by) if self.dated_by else None
        if when is not None:
            sa.Index(f"{name}_{when.name}", *(t.c[c.name] for c in when.columns))
        for b in self.belongs_by:
            if b != "id" and b in self.by_name:
                f = self.by_name[b]
                key = f.columns[-1] if f.shape == "flat" else f.columns[0]
                sa.Index(f"{name}_{key.name}", t.c[key.name])
        self.order = sa.literal_column("rowid") if self.sqlite else t.c._seq
        quoted = ", ".join(_quote(c) for c in self.value_columns)
        marks = ", ".join("?" for _ in self.value_columns)
        # SQLite's inserts go to the driver's executemany as they are (SQLAlchemy would
        # build a dict of parameters a row, as much work as the row itself)
        self.insert_sql = f"INSERT INTO {_quote(name)} ({quoted}) VALUES ({marks})"
        self.existing = sa.select(*self.columns()).where(
            t.c.id.in_(sa.bindparam("ids", expanding=True))
        )
        self._to_values = self._make_writer(converter)
        self._from_row = self._make_reader()

    # records to rows and back: one function each, generated for the record type (a row of
    # a donation is 18 columns; a loop of small functions per column costs three times as
    # much as the one dict literal these compile to)

    def _make_writer(self, converter: Any) -> Callable[[Any], tuple[Any, ...]]:
        sqlite = self.sqlite
        scope: dict[str, Any] = {
            "_unstructure": converter.unstructure,
            "_dumps": _json_dumps,
            "_format": format,
        }
        lines = ["def to_values(r):"]
        values: list[str] = []
        for k, f in enumerate(self.fields):
            v = f"v{k}"
            lines.append(f"    {v} = r.{f.name}")
            exprs: list[str] = []
            if f.shape == "leaf":
                exprs.append(_bind_expr(cast(_Leaf, f.columns[0].leaf), sqlite, v))
            elif f.shape == "money":
                exprs += [f'_format({v}.amount, "f")' if sqlite else f"{v}.amount", f"{v}.currency"]
            elif f.shape == "flat":
                for c, part in zip(f.columns, f.parts, strict=True):
                    exprs.append(_bind_expr(cast(_Leaf, c.leaf), sqlite, f"{v}.{part}"))
            else:
                scope[f"_T{k}"] = f.type
                value = f"_unstructure({v}, _T{k})"
                if sqlite:
                    value = f"_dumps({value})"
                if typing.get_origin(_unoptional(f.type)[0]) in (tuple, frozenset):
                    empty = "'[]'" if sqlite else "[]"
                    value = f"({empty} if not {v} else {value})"
                exprs.append(value)
            if f.optional or f.shape == "json":
                exprs = [e if e == v else f"(None if {v} is None else {e})" for e in exprs]
            values += exprs
        lines.append(f"    return ({', '.join(values)},)")
        return cast(Callable[[Any], tuple[Any, ...]], _compiled(lines, scope, "to_values", self))

    def to_values(self, record: Any) -> tuple[Any, ...]:
        """The column values of ``record``, in the order of :attr:`value_columns`."""
        return self._to_values(record)

    def to_row(self, record: Any) -> dict[str, Any]:
        """The column values of ``record`` by column name."""
        return dict(zip(self.value_columns, self._to_values(record), strict=True))

    def _make_reader(self) -> Callable[[Sequence[Any]], dict[str, Any]]:
        sqlite = self.sqlite
        scope: dict[str, Any] = {"_loads": _json_loads, "_format": format}
        items = []
        i = 0
        for f in self.fields:
            n = len(f.columns)
            if f.shape == "leaf":
                expr = _read_expr(cast(_Leaf, f.columns[0].leaf), sqlite, f"row[{i}]")
            elif f.shape == "money":
                number = f"row[{i}]" if sqlite else f'_format(row[{i}], "f")'
                expr = f'{{"amount": {number}, "currency": row[{i + 1}]}}'
            elif f.shape == "flat":
                parts = ", ".join(
                    f"{p!r}: {_read_expr(cast(_Leaf, c.leaf), sqlite, f'row[{i + j}]')}"
                    for j, (c, p) in enumerate(zip(f.columns, f.parts, strict=True))
                )
                expr = f"{{{parts}}}"
            else:
                expr = f"_loads(row[{i}])" if sqlite else f"row[{i}]"
            if (f.optional or f.shape == "json") and expr != f"row[{i}]":
                # all of a value's columns are null or none are (a CHECK constraint)
                expr = f"None if row[{i}] is None else {expr}"
            items.append(f"{f.name!r}: {expr}")
            i += n
        lines = ["def from_row(row):", "    return {" + ", ".join(items) + "}"]
        return cast(
            Callable[[Sequence[Any]], dict[str, Any]], _compiled(lines, scope, "from_row", self)
        )

    def load(self, row: Sequence[Any]) -> Any:
        """The record of a row (its value columns, in table order)."""
        data = self._from_row(row)
        try:
            return from_dict(data, self.record_type)
        except InvalidInput as exc:
            subject = f"{self.name} {data.get('id')!r} in the store"
            raise InvalidInput(exc.problems, subject=subject) from None

    def columns(self) -> list[sa.Column[Any]]:
        """The value columns, in the order :meth:`load` reads them."""
        return [self.table.c[n] for n in self.value_columns]

    def fingerprint(self) -> str:
        """The columns and their kinds, as this version of humanaid makes them."""
        parts = []
        for f in self.fields:
            for c in f.columns:
                kind = "json" if c.leaf is None else c.leaf.kind
                if c.leaf is not None and c.leaf.values:
                    kind += "(" + "|".join(c.leaf.values) + ")"
                parts.append(f"{c.name} {kind}{' null' if c.nullable else ''}")
        return ", ".join(parts)


# -- the engine ------------------------------------------------------------------------------------


def make_engine(url: str | os.PathLike[str]) -> sa.Engine:
    """An engine for a store: a path or ``sqlite:///`` URL, or a PostgreSQL URL."""
    text = os.fspath(url)
    if "://" not in text:
        parsed = sa.engine.URL.create("sqlite", database=text)
    else:
        parsed = sa.engine.make_url(text)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ValueError(
            f"a store is an SQLite file or a PostgreSQL database (got a {backend} URL)"
        )
    try:
        if backend == "sqlite":
            engine = sa.create_engine(
                parsed,
                json_serializer=_json_dumps,
                connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000},
            )
            _sqlite_events(engine)
        else:
            engine = sa.create_engine(parsed, json_serializer=_json_dumps)
    except ImportError as exc:
        raise missing_extra(f"opening a {backend} store", str(exc.name), "sql") from exc
    return engine


def _sqlite_events(engine: sa.Engine) -> None:
    """WAL, a busy timeout, and transactions begun here (writers: ``BEGIN IMMEDIATE``).

    pysqlite's own transaction handling is turned off so that a writer takes SQLite's
    write lock when it begins, not at its first write: two writers that both read first
    would otherwise deadlock, one failing with ``database is locked``.
    """

    @sa.event.listens_for(engine, "connect")
    def connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def begin(conn: sa.Connection) -> None:
        write = conn.get_execution_options().get("humanaid_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _locked(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


# -- the store's work ------------------------------------------------------------------------------


@functools.cache
def _schema(
    dataset_type: type[Dataset], dialect: str
) -> tuple[sa.MetaData, sa.Table, sa.Table, dict[str, CollectionTable]]:
    """The tables of a dataset class on a dialect, made once (they hold no connection)."""
    converter = make_converter()
    metadata = sa.MetaData()
    meta = sa.Table(
        META,
        metadata,
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    json_type = (
        sa.JSON(none_as_null=True) if dialect == "sqlite" else postgresql.JSONB(none_as_null=True)
    )
    history = sa.Table(
        HISTORY,
        metadata,
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("collection", sa.Text, nullable=False),
        sa.Column("record_id", sa.Text, nullable=False),
        sa.Column("change", sa.Text, nullable=False),
        sa.Column("who", sa.Text),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old", json_type, comment="may hold personal data"),
        sa.Column("new", json_type, comment="may hold personal data"),
        sa.CheckConstraint(sa.column("change").in_([c.value for c in Change])),
    )
    sa.Index(f"{HISTORY}_record", history.c.collection, history.c.record_id)
    collections = {
        name: CollectionTable(name, t, metadata, dialect, converter)
        for name, t in dataset_type.collection_types().items()
    }
    return metadata, meta, history, collections


class Backend:
    """The engine, the tables and the operations of one store."""

    def __init__(
        self, url: str | os.PathLike[str], dataset_type: type[Dataset], *, create: bool
    ) -> None:
        self.engine = make_engine(url)  # connects only when first used
        database = self.engine.url.database
        if (
            not create
            and self.engine.dialect.name == "sqlite"
            and database not in (None, "", ":memory:")
            and not os.path.exists(database)
        ):
            raise FileNotFoundError(f"no store at {database!r} (pass create=True to make one)")
        self.dialect = self.engine.dialect.name
        self.sqlite = self.dialect == "sqlite"
        self.dataset_type = dataset_type
        # a class is hashable; mypy reads attrs eq=True as making the class unhashable
        schema = _schema(dataset_type, self.dialect)  # type: ignore[arg-type]
        self.metadata, self.meta, self.history_table, self.collections = schema
        by_type: dict[type, list[str]] = {}
        for name, t in dataset_type.collection_types().items():
            by_type.setdefault(t, []).append(name)
        self.by_type = by_type
        try:
            self._open(create)
        except BaseException:
            self.engine.dispose()
            raise

    # transactions

    @contextmanager
    def writing(self) -> Iterator[sa.Connection]:
        """A write transaction: all or nothing; on SQLite it holds the write lock."""
        attempt = 0
        while True:
            conn = self.engine.connect()
            if self.sqlite:
                conn = conn.execution_options(humanaid_write=True)
            try:
                tx = conn.begin()
            except sa.exc.OperationalError as exc:
                conn.close()
                if self.sqlite and _locked(exc) and attempt < _LOCKED_RETRIES:
                    attempt += 1
                    time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
                    continue
                raise
            break
        try:
            with tx:
                yield conn
        finally:
            conn.close()

    @contextmanager
    def reading(self) -> Iterator[sa.Connection]:
        """A read transaction: one consistent snapshot of the store."""
        conn = self.engine.connect()
        if not self.sqlite:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            with conn.begin():
                yield conn
        finally:
            conn.close()

    # opening: the version, the tables

    def _open(self, create: bool) -> None:
        with self.writing() as conn:
            if not self.sqlite:
                # one opener at a time makes the tables (DDL races otherwise)
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(7331017)"))
            inspector = sa.inspect(conn)
            has_meta = inspector.has_table(META)
            if not has_meta and not create:
                raise FileNotFoundError(
                    f"{self.url()} holds no humanaid store (pass create=True to make one)"
                )
            stored: dict[str, str] = {}
            if has_meta:
                query = sa.select(self.meta.c.key, self.meta.c.value)
                stored = {key: value for key, value in conn.execute(query)}  # noqa: C416
            version = stored.get("schema_version")
            if version is not None and int(version) > SCHEMA_VERSION:
                raise StoreVersionError(
                    f"{self.url()} was written by a newer humanaid (store schema version "
                    f"{version}, written by humanaid {stored.get('written_by', '?')}); this "
                    f"humanaid reads schema versions up to {SCHEMA_VERSION}: upgrade humanaid "
                    "to open it"
                )
            mismatched = []
            for name, c in self.collections.items():
                was = stored.get(f"columns:{name}")
                if was is not None and was != c.fingerprint():
                    mismatched.append(_mismatch(name, was, c.fingerprint()))
            if mismatched:
                raise StoreVersionError(
                    f"{self.url()} was made for other records than this humanaid's: "
                    + "; ".join(mismatched)
                )
            from humanaid._version import __version__

            wanted = {"schema_version": str(SCHEMA_VERSION)}
            if version is None:
                wanted["written_by"] = __version__
            for name, c in self.collections.items():
                wanted[f"columns:{name}"] = c.fingerprint()
            if any(stored.get(key) != value for key, value in wanted.items()):
                self.metadata.create_all(conn, checkfirst=True)  # a new store, or collection
            for key, value in wanted.items():
                if stored.get(key) != value:
                    if key in stored:
                        conn.execute(
                            self.meta.update().where(self.meta.c.key == key).values(value=value)
                        )
                    else:
                        conn.execute(self.meta.insert().values(key=key, value=value))

    def url(self) -> str:
        """The store's URL, its password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    # adding

    def collection_of(self, record: Any, given: str | None) -> str:
        """The collection ``record`` goes into."""
        if given is not None:
            return given
        names = self.by_type.get(type(record))
        if names is None:
            known = ", ".join(sorted({t.__name__ for t in self.by_type}))
            raise TypeError(
                f"a {type(record).__name__} is not a record of any collection of "
                f"{self.dataset_type.__name__} (records it keeps: {known})"
            )
        if len(names) > 1:
            raise TypeError(
                f"{type(record).__name__} records go into {' or '.join(names)}: "
                "pass collection= to say which"
            )
        return names[0]

    def add(
        self,
        records: Iterable[tuple[str, Any]],
        *,
        replace: bool,
        who: str | None,
        progress: Progress | None,
        total: int | None,
    ) -> AddResult:
        """Add ``(collection, record)`` pairs in one transaction."""
        counts: dict[str, list[int]] = {}
        pending: dict[str, dict[str, Any]] = {}
        done = 0
        with self.writing() as conn:
            for name, record in records:
                c = self.collections[name]
                if not isinstance(record, c.record_type):
                    raise TypeError(
                        f"{name} keeps {c.record_type.__name__} records "
                        f"(got a {type(record).__name__})"
                    )
                batch = pending.setdefault(name, {})
                rid: str = getattr(record, "id")  # noqa: B009 - any record type
                if rid in batch:  # the same id twice in one call: the earlier goes in first
                    self._flush(conn, c, batch, replace, who, counts)
                    batch.clear()
                batch[rid] = record
                if len(batch) >= BATCH:
                    self._flush(conn, c, batch, replace, who, counts)
                    batch.clear()
                done += 1
                if progress is not None and done % BATCH == 0:
                    progress(done, total)
            for name, batch in pending.items():
                if batch:
                    self._flush(conn, self.collections[name], batch, replace, who, counts)
            if progress is not None:
                progress(done, total)
        return AddResult(
            added=sum(n[0] for n in counts.values()),
            unchanged=sum(n[1] for n in counts.values()),
            replaced=sum(n[2] for n in counts.values()),
            by_collection={k: (v[0], v[1], v[2]) for k, v in counts.items()},
        )

    def _existing(
        self, conn: sa.Connection, c: CollectionTable, ids: Collection[str]
    ) -> dict[str, Sequence[Any]]:
        query = c.existing if self.sqlite else c.existing.with_for_update()
        return {row[0]: row for row in conn.execute(query, {"ids": list(ids)})}

    def _flush(
        self,
        conn: sa.Connection,
        c: CollectionTable,
        batch: Mapping[str, Any],
        replace: bool,
        who: str | None,
        counts: dict[str, list[int]],
    ) -> None:
        n = counts.setdefault(c.name, [0, 0, 0])
        existing = self._existing(conn, c, batch.keys())
        new = [rid for rid in batch if rid not in existing]
        if new:
            if self.sqlite:  # the write lock is held: no one else adds meanwhile
                conn.exec_driver_sql(c.insert_sql, [c.to_values(batch[rid]) for rid in new])
                n[0] += len(new)
            else:  # another transaction may add the same id meanwhile: compare with it
                rows = [c.to_row(batch[rid]) for rid in new]
                insert = postgresql.insert(c.table).on_conflict_do_nothing(index_elements=["id"])
                added = set(conn.scalars(insert.returning(c.table.c.id), rows))
                n[0] += len(added)
                raced = [rid for rid in new if rid not in added]
                if raced:
                    existing.update(self._existing(conn, c, raced))
        changed: list[tuple[Any, Any]] = []
        for rid, row in existing.items():
            old = c.load(row)
            record = batch[rid]
            if old == record:
                n[1] += 1
            elif replace:
                changed.append((old, record))
            else:
                raise StoreConflict(c.name, rid, _differing(old, record))
        if changed:
            t = c.table
            update = (
                t.update()
                .where(t.c.id == sa.bindparam("_id"))
                .values({k: sa.bindparam(k) for k in c.value_columns if k != "id"})
            )
            updates = []
            for _, record in changed:
                values = c.to_row(record)
                values["_id"] = values.pop("id")
                updates.append(values)
            conn.execute(update, updates)
            self._remember(conn, c.name, Change.REPLACED, who, changed)
            n[2] += len(changed)

    def _remember(
        self,
        conn: sa.Connection,
        collection: str,
        change: Change,
        who: str | None,
        pairs: Sequence[tuple[Any, Any | None]],
    ) -> None:
        at = datetime.now(UTC)
        conn.execute(
            self.history_table.insert(),
            [
                {
                    "collection": collection,
                    "record_id": old.id,
                    "change": change.value,
                    "who": who,
                    "at": at,
                    "old": to_dict(old),
                    "new": None if new is None else to_dict(new),
                }
                for old, new in pairs
            ],
        )

    # deleting

    def delete(
        self, collection: str, ids: Sequence[str], *, who: str | None, missing_ok: bool
    ) -> int:
        """Delete the records of ``ids``, keeping each in the history."""
        c = self.collections[collection]
        deleted = 0
        with self.writing() as conn:
            for start in range(0, len(ids), BATCH):
                chunk = list(dict.fromkeys(ids[start : start + BATCH]))
                existing = self._existing(conn, c, chunk)
                missing = [i for i in chunk if i not in existing]
                if missing and not missing_ok:
                    shown = ", ".join(repr(i) for i in missing[:5])
                    more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
                    raise KeyError(
                        f"{collection} has no record {shown}{more} in the store: nothing "
                        "was deleted (pass missing_ok=True to skip ids that are not there)"
                    )
                if existing:
                    olds = [(c.load(row), None) for row in existing.values()]
                    self._remember(conn, collection, Change.DELETED, who, olds)
                    conn.execute(c.table.delete().where(c.table.c.id.in_(list(existing))))
                    deleted += len(existing)
        return deleted

    def history(self, collection: str, id: str) -> tuple[HistoryEntry, ...]:
        """The old versions of one record, oldest first."""
        c = self.collections[collection]
        h = self.history_table
        query = (
            sa.select(h.c.change, h.c.who, h.c.at, h.c.old, h.c.new)
            .where(h.c.collection == collection, h.c.record_id == id)
            .order_by(h.c.seq)
        )
        out = []
        with self.reading() as conn:
            for change, who, at, old, new in conn.execute(query):
                if at.tzinfo is None:  # SQLite keeps the UTC time without its zone
                    at = at.replace(tzinfo=UTC)
                out.append(
                    HistoryEntry(
                        collection=collection,
                        id=id,
                        change=Change(change),
                        who=who,
                        at=at,
                        old=from_dict(old, c.record_type),
                        new=None if new is None else from_dict(new, c.record_type),
                    )
                )
        return tuple(out)

    # reading

    def where(
        self, c: CollectionTable, period: Period | None, organizations: Sequence[str] | None
    ) -> list[sa.ColumnElement[bool]]:
        """The conditions that select the records of ``c`` in a period and organisations."""
        conditions = []
        if period is not None and c.dated_by is not None:
            f = c.by_name[c.dated_by]
            t = c.table
            lo: Any = period.start
            hi: Any = period.end
            if self.sqlite:
                lo, hi = lo.isoformat(), hi.isoformat()
            if f.shape == "flat":  # a Period: the two overlap
                start, end = (t.c[col.name] for col in f.columns)
                conditions.append(sa.and_(start <= hi, end >= lo))
            else:
                conditions.append(t.c[f.columns[0].name].between(lo, hi))
        if organizations is not None:
            belongs = self._belongs(c.name, list(organizations), ())
            if belongs is not None:
                conditions.append(belongs)
        return conditions

    def _belongs(
        self, name: str, orgs: list[str], seen: tuple[str, ...]
    ) -> sa.ColumnElement[bool] | None:
        c = self.collections.get(name)
        if c is None or not c.belongs_by or name in seen:
            return None
        t = c.table
        seen = (*seen, name)
        ors: list[sa.ColumnElement[bool]] = []

        def owned(target: str) -> Any:
            if target == "organizations":
                return orgs
            sub = self._belongs(target, orgs, seen)
            if sub is None:
                return None
            tt = self.collections[target].table
            return sa.select(tt.c.id).where(sub).correlate(None).scalar_subquery()

        for field_name in c.belongs_by:
            if field_name == "id":
                ors.append(t.c.id.in_(orgs))
                continue
            f = c.by_name[field_name]
            if f.shape == "flat" and f.parts == ("kind", "id"):  # a Party
                kind, pid = (t.c[col.name] for col in f.columns)
                for k, target in _PARTY_COLLECTIONS.items():
                    ids = owned(target)
                    if ids is not None:
                        ors.append(sa.and_(kind == k, pid.in_(ids)))
                continue
            ref = attrs.fields_dict(c.record_type)[field_name].metadata.get(REF)
            if ref is None or f.shape != "leaf":
                continue
            ids = owned(ref)
            if ids is not None:
                ors.append(t.c[field_name].in_(ids))
        return sa.or_(*ors) if ors else sa.false()

    def count(
        self,
        conn: sa.Connection,
        c: CollectionTable,
        period: Period | None,
        organizations: Sequence[str] | None,
    ) -> int:
        """How many records of ``c`` the filters select."""
        query = sa.select(sa.func.count()).select_from(c.table)
        query = query.where(*self.where(c, period, organizations))
        return int(conn.execute(query).scalar_one())

    def rows(
        self,
        conn: sa.Connection,
        c: CollectionTable,
        period: Period | None,
        organizations: Sequence[str] | None,
    ) -> Iterator[Sequence[Sequence[Any]]]:
        """The selected rows in batches, in the order they were added (a server-side cursor)."""
        query = (
            sa.select(*c.columns()).where(*self.where(c, period, organizations)).order_by(c.order)
        )
        result = conn.execution_options(yield_per=BATCH).execute(query)
        yield from result.partitions(BATCH)

    def records(
        self,
        conn: sa.Connection,
        c: CollectionTable,
        period: Period | None,
        organizations: Sequence[str] | None,
    ) -> Iterator[list[Any]]:
        """The selected records, a batch at a time (built with the collector paused)."""
        load = c.load
        for part in self.rows(conn, c, period, organizations):
            with _gc.paused():
                batch = [load(row) for row in part]
            yield batch


def _differing(old: Any, new: Any) -> tuple[str, ...]:
    return tuple(
        a.name
        for a in attrs.fields(type(old))
        if a.eq and getattr(old, a.name) != getattr(new, a.name)
    )


def _mismatch(name: str, was: str, now: str) -> str:
    before = was.split(", ")
    after = now.split(", ")
    gone = [c for c in before if c not in after]
    new = [c for c in after if c not in before]
    parts = []
    if gone:
        parts.append("the store has " + ", ".join(gone))
    if new:
        parts.append("this humanaid expects " + ", ".join(new))
    return f"table {name!r}: " + ("; ".join(parts) or "columns in another order")


__all__: list[str] = []
