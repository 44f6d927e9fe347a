"""A real database for the records: an SQLite file or PostgreSQL, the same code (extra ``sql``).

>>> from datetime import date
>>> from humanaid import Dataset, Donation, Money, Organization, OrgKind, Period
>>> with Store(":memory:") as store:
...     gift = Donation(id="g1", organization_id="qujing", received_on=date(2020, 3, 1),
...                     value=Money("100.00"))
...     store.add([gift], who="li.na")
...     store.add([gift])  # the same record again: nothing changes
...     store.dataset(period=Period.year(2020)).donations == (gift,)
AddResult(added=1, unchanged=0, replaced=0)
AddResult(added=0, unchanged=1, replaced=0)
True

``Store("society.db")`` opens (or makes) an SQLite file; ``Store("postgresql://user@host/db")``
a PostgreSQL database (the ``psycopg`` driver, which the extra installs). Each collection of
the :class:`~humanaid.Dataset` class is a table made from its record type: the id is the
primary key, money an exact amount and a currency, dates ``DATE``, enumerations checked,
nested records and tuples JSON written by :mod:`humanaid.serialize`. Records go in with
:meth:`Store.add`, all in one transaction or none, and come out with
:meth:`Store.dataset` or :meth:`Store.iter_records`, read from a server-side cursor a batch
at a time, selected by period and organisation in the database.

A record is never changed silently: adding a record whose id is taken by a different
record raises :class:`StoreConflict` unless ``replace=True``, and every replaced or
deleted record is kept in the store's history (:meth:`Store.history`: who, when, the old
and the new record).

Several processes may write at once. SQLite stores use WAL (readers never wait for a
writer), take the write lock when a writing transaction begins, wait up to 30 s for it and
then retry; PostgreSQL transactions and row locks do the same there.

SQLAlchemy is imported when the first store is opened: without it, :class:`Store` raises
an ``ImportError`` naming the extra (``pip install 'humanaid[sql]'``).
"""

from __future__ import annotations

import enum
import importlib
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self, cast

import attrs

from humanaid.dataset import Dataset
from humanaid.periods import Period

if TYPE_CHECKING:
    from humanaid.store._sql import Backend

__all__ = [
    "SCHEMA_VERSION",
    "AddResult",
    "Change",
    "HistoryEntry",
    "Progress",
    "Store",
    "StoreConflict",
    "StoreVersionError",
]

SCHEMA_VERSION: Final = 1
"""The version of the tables this humanaid writes; a store of a later one is refused."""

Progress = Callable[[int, int | None], None]
"""A progress callback: ``progress(done, total)``; ``total`` is ``None`` when unknown."""


class StoreVersionError(Exception):
    """The store was written by a newer humanaid, or for other record types.

    Opening it could misread or damage it, so it is refused; the message says which
    version wrote it (or which columns differ) and that upgrading humanaid opens it.
    """


class StoreConflict(ValueError):
    """A record's id is taken in the store by a different record.

    Attributes:
        collection: the collection, such as ``"donations"``.
        id: the record's id.
        fields: the fields whose values differ (names only: a value may be personal data).
    """

    def __init__(self, collection: str, id: str, fields: Iterable[str]) -> None:
        self.collection = collection
        self.id = id
        self.fields = tuple(fields)
        differ = ", ".join(self.fields) or "none compared equal"
        super().__init__(
            f"{collection} {id!r} is already in the store as a different record (fields that "
            f"differ: {differ}): pass replace=True to replace it (the old record is kept in "
            "the store's history); nothing was added"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (StoreConflict, (self.collection, self.id, self.fields))


class Change(enum.StrEnum):
    """What happened to a record kept in a store's history."""

    REPLACED = "replaced"
    DELETED = "deleted"


@attrs.frozen(kw_only=True)
class AddResult:
    """What :meth:`Store.add` did: records added, already there unchanged, and replaced.

    Attributes:
        added: records that were new.
        unchanged: records already in the store, equal to the one given (nothing done).
        replaced: records that replaced a different record under their id
            (``replace=True``), the old one kept in the history.
        by_collection: ``(added, unchanged, replaced)`` for each collection touched.
    """

    added: int
    unchanged: int
    replaced: int
    by_collection: Mapping[str, tuple[int, int, int]] = attrs.field(factory=dict, repr=False)


@attrs.frozen(kw_only=True)
class HistoryEntry:
    """An old version of a record: who replaced or deleted it, and when.

    Attributes:
        collection: the record's collection.
        id: the record's id.
        change: replaced or deleted.
        who: whoever the writer named (``who=`` of :meth:`Store.add` and
            :meth:`Store.delete`), or ``None``.
        at: when, in UTC.
        old: the record as it was.
        new: the record that replaced it; ``None`` for a deletion.
    """

    collection: str
    id: str
    change: Change
    who: str | None
    at: datetime
    old: Any
    new: Any | None

    def changed(self) -> tuple[str, ...]:
        """The names of the fields the change altered (every field, for a deletion)."""
        fields = attrs.fields(type(self.old))
        if self.new is None:
            return tuple(a.name for a in fields)
        return tuple(
            a.name for a in fields if getattr(self.old, a.name) != getattr(self.new, a.name)
        )


def _period(period: Period | int | None) -> Period | None:
    if period is None or isinstance(period, Period):
        return period
    if isinstance(period, int) and not isinstance(period, bool):
        return Period.year(period)
    raise TypeError(f"'period' must be a Period or a year (got {type(period).__name__})")


def _ids(value: object, name: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(f"{name!r} must be a list of ids, not a {type(value).__name__}")
    ids = list(value)
    for i in ids:
        if not isinstance(i, str):
            raise TypeError(f"{name!r} must hold id strings (got a {type(i).__name__})")
    return ids


class Store:
    """Records kept in an SQLite file or a PostgreSQL database.

    Args:
        url: a path (an SQLite file, made if missing), ``":memory:"``, an ``sqlite:///``
            URL or a PostgreSQL URL (``postgresql://user:password@host/db``; the
            ``postgresql+psycopg://`` form too).
        dataset_type: the :class:`~humanaid.Dataset` class whose collections are kept (a
            subclass with collections of your own works too).
        create: make the store's tables when they are missing (the default); with
            ``False`` a path or database without a store is ``FileNotFoundError``.

    Raises:
        StoreVersionError: the store was written by a newer humanaid.
        ImportError: SQLAlchemy (or psycopg, for PostgreSQL) is not installed.

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        url: str | os.PathLike[str],
        *,
        dataset_type: type[Dataset] = Dataset,
        create: bool = True,
    ) -> None:
        if not (isinstance(dataset_type, type) and issubclass(dataset_type, Dataset)):
            raise TypeError("'dataset_type' must be Dataset or a subclass of it")
        sql = importlib.import_module("humanaid.store._sql")
        self._backend: Backend = sql.Backend(url, dataset_type, create=create)

    # -- the store ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The store's URL, its password hidden."""
        return self._backend.url()

    @property
    def dataset_type(self) -> type[Dataset]:
        """The dataset class whose collections the store keeps."""
        return self._backend.dataset_type

    def collections(self) -> tuple[str, ...]:
        """The names of the collections kept, one table each."""
        return tuple(self._backend.collections)

    def close(self) -> None:
        """Close the store's connections."""
        self._backend.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    # -- writing -----------------------------------------------------------------------

    def add(
        self,
        records: Iterable[Any],
        *,
        replace: bool = False,
        who: str | None = None,
        progress: Progress | None = None,
        collection: str | None = None,
    ) -> AddResult:
        """Add records, in one transaction: all of them or, on any error, none.

        Each record goes into the collection of its type (``collection=`` names it where a
        dataset class keeps one type in two collections). Records are read from
        ``records`` as they come, so a generator of millions is added in the memory of a
        batch.

        Args:
            records: the records; a :class:`~humanaid.Dataset` adds every collection.
            replace: replace a different record already under a record's id, keeping the
                old one in the history; without it, that is a :class:`StoreConflict`.
            who: the name kept in the history for replaced records.
            progress: called as ``progress(done, total)`` every 1,000 records and at the
                end (``total`` is ``None`` unless ``records`` has a length).
            collection: the collection of every record (by default, of its type).

        Returns:
            How many records were added, unchanged (the same record again: a no-op) and
            replaced.

        Raises:
            StoreConflict: an id is taken by a different record and ``replace`` is off.
            TypeError: a record of no collection of the store's dataset class.
        """
        if isinstance(records, Dataset):
            return self.add_dataset(records, replace=replace, who=who, progress=progress)
        if collection is not None:
            self._collection(collection)
        b = self._backend
        pairs = ((b.collection_of(r, collection), r) for r in records)
        total = len(records) if isinstance(records, Sized) else None
        return b.add(pairs, replace=replace, who=who, progress=progress, total=total)

    def add_dataset(
        self,
        dataset: Dataset,
        *,
        replace: bool = False,
        who: str | None = None,
        progress: Progress | None = None,
    ) -> AddResult:
        """Add every collection of ``dataset``, in one transaction (see :meth:`add`)."""
        if not isinstance(dataset, self.dataset_type):
            raise TypeError(
                f"this store keeps {self.dataset_type.__name__} collections "
                f"(got a {type(dataset).__name__})"
            )
        pairs = ((name, r) for name, records in dataset for r in records)
        return self._backend.add(
            pairs, replace=replace, who=who, progress=progress, total=dataset.size()
        )

    def delete(
        self,
        collection: str,
        ids: Iterable[str],
        *,
        who: str | None = None,
        missing_ok: bool = False,
    ) -> int:
        """Delete records by id, in one transaction; each is kept in the history.

        Returns:
            How many records were deleted.

        Raises:
            KeyError: an id is not in the store (nothing is deleted), unless ``missing_ok``.
        """
        self._collection(collection)
        given = _ids(ids, "ids") or []
        return self._backend.delete(collection, given, who=who, missing_ok=missing_ok)

    def history(self, collection: str, id: str) -> tuple[HistoryEntry, ...]:
        """The old versions of a record, oldest first: who replaced or deleted it, when."""
        self._collection(collection)
        return self._backend.history(collection, id)

    # -- reading -----------------------------------------------------------------------

    def count(
        self,
        collection: str,
        *,
        period: Period | int | None = None,
        organizations: Iterable[str] | None = None,
    ) -> int:
        """How many records of ``collection`` :meth:`iter_records` would give."""
        b = self._backend
        c = b.collections[self._collection(collection)]
        with b.reading() as conn:
            return b.count(conn, c, _period(period), _ids(organizations, "organizations"))

    def iter_records(
        self,
        collection: str,
        *,
        period: Period | int | None = None,
        organizations: Iterable[str] | None = None,
    ) -> Iterator[Any]:
        """The records of one collection, streamed in the order they were added.

        Rows are read from a server-side cursor 1,000 at a time, so memory stays bounded
        whatever the size of the table. ``period`` and ``organizations`` select as in
        :meth:`dataset`.
        """
        b = self._backend
        c = b.collections[self._collection(collection)]
        when = _period(period)
        orgs = _ids(organizations, "organizations")

        def stream() -> Iterator[Any]:
            with b.reading() as conn:
                for batch in b.records(conn, c, when, orgs):
                    yield from batch

        return stream()

    def dataset(
        self,
        *,
        period: Period | int | None = None,
        organizations: Iterable[str] | None = None,
        collections: Iterable[str] | None = None,
        progress: Progress | None = None,
        name: str = "",
    ) -> Dataset:
        """The records of the store as a dataset, read in one consistent snapshot.

        Rows are streamed from the database a batch at a time and built into records as
        they come: the memory needed is the records' own and one batch.

        Args:
            period: a :class:`~humanaid.Period` (or a year): records dated in it. Records
                with a date (donations, pledges, flows, screenings, distributions,
                repayments, write-offs) are selected by it; records with a period
                (campaigns, projects, indicator values, reported figures) when it overlaps
                the period; standing records (organisations, areas, donors, funds,
                persons, households, cases, programmes, indicators, seed funds and their
                loans) whatever the period.
            organizations: organisation ids: the records of these organisations. An
                organisation itself by its id; a record with an organisation field
                (``organization_id``; a campaign's organiser or host) by it; a record tied
                to a fund, project, programme, campaign, seed fund or loan by that
                record's organisation (a case by its programme, project or fund; a
                repayment by its loan's seed fund); a flow by its source or destination
                party. Areas, donors, persons, households and indicators, shared by the
                organisations of a store, are loaded whole.
            collections: the collections to load (the others are left empty); all by
                default.
            progress: called as ``progress(done, total)`` as records are loaded.
            name: the dataset's name.

        Raises:
            KeyError: a collection the store does not keep.
        """
        b = self._backend
        chosen = (
            list(b.collections)
            if collections is None
            else [self._collection(n) for n in _ids(collections, "collections") or []]
        )
        when = _period(period)
        orgs = _ids(organizations, "organizations")
        loaded: dict[str, list[Any]] = {}
        with b.reading() as conn:
            total = None
            if progress is not None:
                total = sum(b.count(conn, b.collections[n], when, orgs) for n in chosen)
                progress(0, total)
            done = 0
            for n in chosen:
                records: list[Any] = []
                for batch in b.records(conn, b.collections[n], when, orgs):
                    records += batch
                    done += len(batch)
                    if progress is not None:
                        progress(done, total)
                loaded[n] = records
        return self.dataset_type(name=name, **cast(dict[str, Any], loaded))

    def _collection(self, name: str) -> str:
        if name not in self._backend.collections:
            known = ", ".join(self._backend.collections)
            raise KeyError(f"the store keeps no collection {name!r} (known: {known})")
        return name
