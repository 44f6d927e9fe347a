"""The ``humanaid`` command: check, summarise, convert and redact data without Python.

A data officer who keeps the year in workbooks and files runs::

    humanaid validate society-2020.xlsx              # every problem, located; exit 1 if any
    humanaid summary fundraising society-2020.xlsx --period 2020 --output raised.xlsx
    humanaid convert donations.jsonl society.db      # into a store (SQLite), streamed
    humanaid template donations entry.xlsx           # an empty workbook to fill in
    humanaid redact society.json public.json --key-file secret.key
    humanaid schema donations                        # the JSON Schema of a donation

``python -m humanaid`` is the same command. Each subcommand's ``--help`` says more.

**Inputs** are told apart by their names: ``.json`` (a whole dataset, as
:func:`humanaid.to_json` writes it), ``.jsonl``/``.ndjson`` (JSON Lines, one record a
line), ``.csv``, ``.parquet`` (one collection each: named by ``--collection``, or by the
file's name, such as ``donations.csv`` or ``2020-donations.jsonl``), ``.xlsx`` (a
workbook, :mod:`humanaid.excel`), and a store: a URL such as ``sqlite:///society.db`` or
``postgresql://...``, or a file ending ``.db``, ``.sqlite`` or ``.sqlite3``
(:mod:`humanaid.store`). Workbooks need the ``excel`` extra, stores the ``sql`` extra,
Parquet the ``arrow`` extra.

**Exit status**: 0 when all is well; 1 when the input holds problems or ``validate``
finds an ERROR (nothing is converted or summarised from input with problems: the
figures would be wrong); 2 when an input cannot be read at all, or the command is
wrong (a one-line message on stderr, never a traceback).

**Progress**: long work (reading a large file, checking the rules, writing a store)
shows a progress bar on stderr when stderr is a terminal; nothing otherwise, so
pipes and logs stay clean. ``--no-progress`` turns it off.
"""

from __future__ import annotations

import argparse
import contextlib
import enum
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from humanaid.dataset import Dataset
    from humanaid.findings import Finding, Findings
    from humanaid.io import CsvRead
    from humanaid.periods import Period
    from humanaid.table import Table

__all__ = ["ProgressBar", "main"]

EXIT_OK: Final = 0
EXIT_PROBLEMS: Final = 1
EXIT_UNREADABLE: Final = 2

Progress = Callable[[int, int | None], None]

_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_KINDS: Final = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".jsonlines": "jsonl",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".db": "store",
    ".sqlite": "store",
    ".sqlite3": "store",
}
_ONE_COLLECTION: Final = frozenset({"jsonl", "csv", "parquet"})
_FORMATS: Final = (
    ".json, .jsonl, .csv, .xlsx, .parquet, or a store (sqlite:///file.db, postgresql://...)"
)


# -- failures, each with its exit status ------------------------------------------------------


class _Unreadable(Exception):
    """An input that cannot be read, or a command that cannot run: exit 2."""


class _HasProblems(Exception):
    """Input that was read but holds problems, so nothing is made from it: exit 1."""


# -- the progress bar ------------------------------------------------------------------------


class ProgressBar:
    """A plain-text progress bar on a terminal stream, drawn over one line.

    Called as ``bar(done, total)`` (the ``progress=`` callbacks of the library take it);
    with a ``total`` it draws a bar and a percentage, without one a running count. It
    redraws at most ten times a second, and :meth:`close` wipes the line. It draws
    nothing on a stream that is not a terminal (a pipe, a file, a CI log).

    Args:
        label: what is being done (``reading donations.jsonl``).
        unit: what ``done`` counts: ``"bytes"`` (shown as KB, MB ...) or a word such as
            ``"rows"``.
        stream: where to draw (default: ``sys.stderr``).
        enabled: draw even on a stream that is not a terminal (tests), or never.

    >>> import io
    >>> out = io.StringIO()
    >>> bar = ProgressBar("reading gifts.jsonl", unit="bytes", stream=out, enabled=True)
    >>> bar(512, 2048)
    >>> out.getvalue().strip()
    'reading gifts.jsonl [######..................]  25%  512 B of 2.0 KB'
    """

    WIDTH: Final = 24

    def __init__(
        self,
        label: str,
        *,
        unit: str = "bytes",
        stream: IO[str] | None = None,
        enabled: bool | None = None,
    ) -> None:
        self.label = label
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream
        if enabled is None:
            isatty = getattr(self.stream, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled = enabled
        self._last = 0.0
        self._shown = 0

    def __call__(self, done: int, total: int | None) -> None:
        """Show that ``done`` of ``total`` (``None``: unknown) is done."""
        if not self.enabled:
            return
        now = time.monotonic()
        finished = total is not None and done >= total
        if self._shown and now - self._last < 0.1 and not finished:
            return
        self._last = now
        if total:
            share = min(max(done / total, 0.0), 1.0)
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            text = (
                f"{self.label} [{bar}] {share:4.0%}  {self._amount(done)} of {self._amount(total)}"
            )
        else:
            text = f"{self.label}  {self._amount(done)}"
        pad = " " * max(0, self._shown - len(text))
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()
        self._shown = len(text)

    def _amount(self, n: int) -> str:
        if self.unit != "bytes":
            return f"{n:,} {self.unit}"
        size = float(n)
        for unit in ("B", "KB", "MB", "GB"):
            if size < 1024 or unit == "GB":
                return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
            size /= 1024
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Wipe the bar's line, so that what is printed next starts clean."""
        if self.enabled and self._shown:
            self.stream.write("\r" + " " * self._shown + "\r")
            self.stream.flush()
            self._shown = 0


class _Bars:
    """Makes the progress bars of one run, or none (``--no-progress``)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @contextlib.contextmanager
    def __call__(self, label: str, unit: str = "bytes") -> Iterator[Progress | None]:
        if not self.enabled:
            yield None
            return
        bar = ProgressBar(label, unit=unit)
        try:
            yield bar if bar.enabled else None
        finally:
            bar.close()


# -- what an input is ------------------------------------------------------------------------


def _kind(name: str) -> str:
    """The kind of an input or output, from its name (``jsonl``, ``store`` ...)."""
    if _URL.match(name):
        return "store"
    kind = _KINDS.get(Path(name).suffix.lower())
    if kind is None:
        raise _Unreadable(f"{name}: cannot tell the format from the name; use {_FORMATS}")
    return kind


def _collections() -> dict[str, type]:
    from humanaid.dataset import Dataset

    return Dataset.collection_types()


def _collection_named(name: str) -> str:
    """A collection from its name (``donations``) or its record type's (``Donation``)."""
    types_ = _collections()
    if name in types_:
        return name
    for collection, record_type in types_.items():
        if record_type.__name__.lower() == name.lower() or collection == name.lower():
            return collection
    raise _Unreadable(f"{name!r} is not a collection; the collections: {', '.join(types_)}")


def _collection_of(path: str, given: str | None) -> str:
    """The collection of a one-collection file: ``--collection``, or from its name."""
    if given is not None:
        return _collection_named(given)
    stem = Path(path).name.lower().split(".", 1)[0]
    found: set[str] = set()
    for name, record_type in _collections().items():
        singular = record_type.__name__.lower()
        for word in (name, singular):
            if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", stem):
                found.add(name)
    # a longer name holds a shorter one (indicator_values, indicators): keep the longest
    chosen = {n for n in found if not any(n != m and n in m for m in found)}
    if len(chosen) == 1:
        return chosen.pop()
    what = f"names {', '.join(sorted(chosen))}" if chosen else "names no collection"
    raise _Unreadable(
        f"{path}: the file {what}; say which records it holds with --collection "
        f"(one of {', '.join(_collections())})"
    )


# -- reading -------------------------------------------------------------------------------------


class _Problem:
    """A problem in an input, or a finding of the rules, as the command reports it."""

    __slots__ = ("code", "location", "message", "severity", "source", "subject")

    def __init__(
        self,
        *,
        source: str,
        location: str,
        code: str,
        message: str,
        severity: str = "error",
        subject: str | None = None,
    ) -> None:
        self.source = source
        self.location = location
        self.code = code
        self.message = message
        self.severity = severity
        self.subject = subject

    @classmethod
    def of(cls, source: str, problem: Any, where: str = "") -> _Problem:
        """An input problem (a :class:`~humanaid.Problem`, a workbook's ...)."""
        location = str(getattr(problem, "location", "") or "")
        text = str(problem)
        message = text[len(location) + 2 :] if text.startswith(f"{location}: ") else text
        if where:
            location = f"{where} {location}" if location else where
        return cls(
            source=source,
            location=location,
            code=str(getattr(problem, "code", "invalid")),
            message=message,
        )

    @classmethod
    def finding(cls, f: Finding) -> _Problem:
        return cls(
            source="",
            location="",
            code=f.rule,
            message=f.message,
            severity=f.severity.value,
            subject=f.subject,
        )

    def as_dict(self) -> dict[str, str | None]:
        return {
            "source": self.source or None,
            "location": self.location or None,
            "severity": self.severity,
            "code": self.code,
            "subject": self.subject,
            "message": self.message,
        }

    def __str__(self) -> str:
        if self.source:
            where = f"{self.source}: {self.location}: " if self.location else f"{self.source}: "
            return f"{where}{self.message} [{self.code}]"
        about = f" [{self.subject}]" if self.subject is not None else ""
        return f"{self.severity.upper()} {self.code}{about}: {self.message}"


class _Read:
    """What the inputs held: records by collection, and the problems met reading them."""

    def __init__(self) -> None:
        self.records: dict[str, list[Any]] = {}
        self.problems: list[_Problem] = []
        self.whole = False  # an input was a whole dataset (json, xlsx, a store)
        self.name = ""

    def add(self, collection: str, records: Iterable[Any]) -> None:
        self.records.setdefault(collection, []).extend(records)

    def add_dataset(self, dataset: Dataset) -> None:
        self.whole = True
        self.name = self.name or dataset.name
        for name, records in dataset:
            if records:
                self.add(name, records)

    def dataset(self) -> Dataset:
        from humanaid.dataset import Dataset

        collections: dict[str, Any] = dict(self.records)
        return Dataset(name=self.name, **collections)


def _open_failed(path: str, exc: OSError) -> _Unreadable:
    return _Unreadable(f"{path}: cannot be read: {exc.strerror or exc}")


def _read_json(path: str, read: _Read) -> None:
    from humanaid.dataset import Dataset
    from humanaid.errors import InvalidInput
    from humanaid.serialize import from_json

    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise _open_failed(path, exc) from None
    try:
        dataset = from_json(text, Dataset)
    except InvalidInput as exc:
        unreadable = [p for p in exc.problems if p.code in ("invalid-json", "wrong-type")]
        if unreadable and not unreadable[0].path:
            raise _Unreadable(
                f"{path}: is not a dataset in JSON ({unreadable[0].message}); "
                "a .json input holds a whole dataset, as humanaid.to_json writes it"
            ) from None
        read.whole = True
        read.problems += [_Problem.of(path, p) for p in exc.problems]
        return
    read.add_dataset(dataset)


def _read_json_lines(path: str, collection: str, read: _Read, bars: _Bars) -> None:
    from humanaid.errors import InvalidInput
    from humanaid.serialize import from_json

    cls = _collections()[collection]
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise _open_failed(path, exc) from None
    records: list[Any] = []
    with f, bars(f"reading {Path(path).name}") as bar:
        total = os.fstat(f.fileno()).st_size
        done = 0
        for number, line in enumerate(f, start=1):
            done += len(line)
            if bar is not None and not number % 1024:
                bar(done, total)
            if not line.strip():
                continue
            try:
                records.append(from_json(line, cls))
            except InvalidInput as exc:
                read.problems += [_Problem.of(path, p, f"line {number}") for p in exc.problems]
            except UnicodeDecodeError:
                read.problems.append(
                    _Problem(
                        source=path,
                        location=f"line {number}",
                        code="invalid-encoding",
                        message="is not UTF-8 text",
                    )
                )
    read.add(collection, records)


def _csv_schema(collection: str) -> Any:
    """The CSV columns of a collection: one a field, text escaped against formulas.

    :func:`~humanaid.write_csv` puts an apostrophe before text a spreadsheet would run
    as a formula (``'-``, ``'=``); ``escaped=True`` takes it off again on reading, so
    what the command writes reads back exactly.
    """
    from humanaid.io import CsvSchema

    return CsvSchema.for_type(_collections()[collection], escaped=True)


def _read_csv(path: str, collection: str, read: _Read, bars: _Bars) -> None:
    from humanaid.io import read_csv

    with bars(f"reading {Path(path).name}", "rows") as bar:
        try:
            result: CsvRead[Any] = read_csv(path, _csv_schema(collection), progress=bar)
        except OSError as exc:
            raise _open_failed(path, exc) from None
    read.problems += [_Problem.of(path, p) for p in result.problems]
    read.add(collection, result.records)


def _read_parquet(path: str, collection: str, read: _Read, bars: _Bars) -> None:
    """The records of a Parquet file, batch by batch; a bad row's problems, at its row."""
    from humanaid.errors import InvalidInput
    from humanaid.interop.arrow import from_arrow

    cls = _collections()[collection]
    for first, table in _parquet_batches(path, bars):
        try:
            read.add(collection, from_arrow(table, cls))
            continue
        except InvalidInput as exc:
            problems = exc.problems
        read.problems += [_row_problem(path, first, p) for p in problems]
        bad = {p.path[0] for p in problems if p.path and isinstance(p.path[0], int)}
        good = [i for i in range(table.num_rows) if i not in bad]
        if bad and good:  # the other rows of the batch are records all the same
            with contextlib.suppress(InvalidInput):
                read.add(collection, from_arrow(table.take(good), cls))


def _row_problem(path: str, first: int, problem: Any) -> _Problem:
    """A problem of :func:`~humanaid.interop.arrow.from_arrow`, at its row of the file.

    Its path starts with the row's index in the batch (``$[1].value``); the row is
    counted from 1, as a spreadsheet shows it, and the rest of the path follows.
    """
    from humanaid.errors import format_path

    segments = tuple(problem.path)
    if segments and isinstance(segments[0], int):
        where = f"row {first + segments[0] + 1}"
        segments = segments[1:]
    else:
        where = f"rows from {first + 1}"
    if segments:
        where += f" {format_path(segments)}"
    got = f" (got {problem.got})" if problem.got is not None else ""
    return _Problem(
        source=path, location=where, code=problem.code, message=f"{problem.message}{got}"
    )


def _pyarrow(module: str = "pyarrow") -> Any:
    from humanaid._extras import import_extra

    return import_extra(module, "Parquet", "arrow")


def _parquet_batches(path: str, bars: _Bars) -> Iterator[tuple[int, Any]]:
    """Each batch of a Parquet file as a ``pyarrow.Table``, with its first row (from 0)."""
    pa = _pyarrow()
    pq = _pyarrow("pyarrow.parquet")
    try:
        pf = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise _Unreadable(f"{path}: cannot be read as Parquet: {exc}") from None
    total = pf.metadata.num_rows
    first = 0
    with bars(f"reading {Path(path).name}", "rows") as bar:
        for batch in pf.iter_batches():
            yield first, pa.Table.from_batches([batch])
            first += batch.num_rows
            if bar is not None:
                bar(first, total)


def _store(url: str, *, create: bool = False) -> Any:
    """Open the store at ``url`` (closed by the caller); made if missing with ``create``."""
    from humanaid.store import Store

    try:
        return Store(url, create=create)
    except ImportError:
        raise
    except FileNotFoundError:
        raise _Unreadable(f"{url}: cannot be read: there is no store there") from None
    except Exception as exc:  # the command's edge: any failure to open is one line
        raise _Unreadable(f"{url}: cannot open the store: {exc}") from None


@contextlib.contextmanager
def _adding(url: str) -> Iterator[Any]:
    """The store at ``url`` (made if missing) to add to; a conflict is a problem (exit 1)."""
    from humanaid.store import StoreConflict

    with _closing(_store(url, create=True)) as store:
        try:
            yield store
        except StoreConflict as exc:
            raise _HasProblems(
                f"{url}: {_one_line(str(exc))}; to replace the records in the store, add "
                "--replace (the old versions are kept in its history)"
            ) from None


def _report_added(url: str, added: Any) -> None:
    """Say on stderr what adding to a store did (an :class:`~humanaid.store.AddResult`)."""
    print(
        f"{url}: {added.added:,} added, {added.unchanged:,} already there unchanged, "
        f"{added.replaced:,} replaced",
        file=sys.stderr,
    )


def _who() -> str:
    """Who replaced records, for the store's history: the command and the user."""
    import getpass

    try:
        return f"humanaid convert ({getpass.getuser()})"
    except Exception:  # no user name in this environment (a container, a service)
        return "humanaid convert"


def _closing(thing: Any) -> contextlib.AbstractContextManager[Any]:
    if hasattr(thing, "close"):
        return contextlib.closing(thing)
    return contextlib.nullcontext(thing)


def _read_store(url: str, read: _Read, bars: _Bars) -> None:
    with _closing(_store(url)) as store, bars(f"reading {url}", "records") as bar:
        dataset = store.dataset(progress=bar) if bar is not None else store.dataset()
    read.add_dataset(dataset)


def _read_workbook(path: str, read: _Read, bars: _Bars) -> None:
    from humanaid.excel import read_workbook

    if not Path(path).is_file():
        raise _Unreadable(f"{path}: cannot be read: no such file")
    with bars(f"reading {Path(path).name}", "rows") as bar:
        try:
            result = read_workbook(path, progress=bar)
        except OSError as exc:
            raise _open_failed(path, exc) from None
        except Exception as exc:  # not a workbook at all (a zip error, a bad file)
            raise _Unreadable(f"{path}: cannot be read as a workbook: {exc}") from None
    read.problems += [_Problem.of(path, p) for p in result.problems]
    read.add_dataset(result.dataset)


def _read(paths: Sequence[str], collection: str | None, bars: _Bars) -> _Read:
    """Read every input into one :class:`_Read`."""
    read = _Read()
    for path in paths:
        kind = _kind(path)
        if kind == "json":
            _read_json(path, read)
        elif kind == "xlsx":
            _read_workbook(path, read, bars)
        elif kind == "store":
            _read_store(path, read, bars)
        else:
            name = _collection_of(path, collection)
            if not Path(path).exists():
                raise _Unreadable(f"{path}: cannot be read: no such file")
            if kind == "jsonl":
                _read_json_lines(path, name, read, bars)
            elif kind == "csv":
                _read_csv(path, name, read, bars)
            else:
                _read_parquet(path, name, read, bars)
    return read


def _dataset(paths: Sequence[str], collection: str | None, bars: _Bars) -> Dataset:
    """The one dataset of the inputs; input with problems is refused (exit 1)."""
    read = _read(paths, collection, bars)
    if read.problems:
        n = len(read.problems)
        raise _HasProblems(
            f"{n} problem{'s' if n != 1 else ''} in the input, the first: "
            f"{read.problems[0]}; run 'humanaid validate {' '.join(paths)}' to see "
            f"{'them all' if n > 1 else 'it'}"
        )
    return read.dataset()


# -- validate ------------------------------------------------------------------------------------


def _check(read: _Read, bars: _Bars) -> tuple[Findings, set[str]]:
    """Every finding of the built-in rules, and the collections references went unchecked in.

    Inputs that hold only some collections (``donations.csv`` alone) cannot show that a
    donor exists: references into a collection no input holds are not checked (and are
    named), rather than reported missing one by one. The rule that checks references then
    sees only the collections the inputs hold, as it sees a dataset class that lacks the
    others; the other rules see the whole dataset.
    """
    from humanaid.dataset import Dataset
    from humanaid.records import references
    from humanaid.rules import BUILTIN_RULES
    from humanaid.rules.integrity import missing_references

    dataset = read.dataset()
    with bars(f"checking {len(BUILTIN_RULES)} rules", "rules") as bar:
        if read.whole:
            return dataset.validate(progress=bar), set()
        held = {name for name, records in read.records.items() if records}
        types_ = Dataset.collection_types()
        kept = {name: t for name, t in types_.items() if name in held}
        unchecked = {
            target
            for name in held
            for field, target in references(types_[name]).items()
            if target not in held and any(getattr(r, field) is not None for r in read.records[name])
        }

        class _Held(Dataset):
            """The dataset as the reference rule sees it: the collections held only."""

            @classmethod
            def collection_types(cls) -> dict[str, type]:
                return dict(kept)

        held_only = _Held(**{name: getattr(dataset, name) for name in held})

        def missing_references_among_the_inputs(_: Dataset) -> Iterable[Finding]:
            return missing_references(held_only)

        rules = [
            missing_references_among_the_inputs if rule is missing_references else rule
            for rule in BUILTIN_RULES
        ]
        return dataset.validate(rules, builtin=False, progress=bar), unchecked


def _cmd_validate(args: argparse.Namespace, bars: _Bars) -> int:
    read = _read(args.paths, args.collection, bars)
    kept, unchecked = _check(read, bars)
    found = [*read.problems, *(_Problem.finding(f) for f in kept)]
    errors = sum(p.severity == "error" for p in found)
    out = _output(args.output)
    with out as f:
        if args.format == "json":
            doc = {
                "ok": errors == 0,
                "records": {k: len(v) for k, v in read.records.items()},
                "problems": [p.as_dict() for p in found],
                "unchecked_references": sorted(unchecked),
            }
            f.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        elif args.format == "csv":
            _write_problems_csv(found, f)
        else:
            _write_problems_text(read, found, errors, unchecked, f)
    return EXIT_PROBLEMS if errors else EXIT_OK


def _write_problems_csv(found: list[_Problem], f: IO[str]) -> None:
    import csv

    from humanaid._formulas import runs_as_formula

    writer = csv.writer(f, lineterminator="\r\n")
    columns = ["source", "location", "severity", "code", "subject", "message"]
    writer.writerow(columns)
    for p in found:
        row = p.as_dict()
        cells = ["" if row[c] is None else str(row[c]) for c in columns]
        # a cell a spreadsheet would run as a formula is written with an apostrophe
        writer.writerow([f"'{c}" if runs_as_formula(c) else c for c in cells])


def _write_problems_text(
    read: _Read, found: list[_Problem], errors: int, unchecked: set[str], f: IO[str]
) -> None:
    counts = ", ".join(f"{len(v):,} {k}" for k, v in read.records.items()) or "no records"
    f.write(f"read {counts}\n")
    for p in found:
        f.write(f"{p}\n")
    if unchecked:
        f.write(
            f"references into {', '.join(sorted(unchecked))} were not checked: no input "
            "holds those records (pass their files too)\n"
        )
    problems = len(read.problems)
    findings = len(found) - problems
    if not found:
        f.write("no problems\n")
    else:
        f.write(
            f"{problems:,} problem{'s' if problems != 1 else ''} in the input, "
            f"{findings:,} finding{'s' if findings != 1 else ''}; "
            f"{errors:,} error{'s' if errors != 1 else ''}\n"
        )


@contextlib.contextmanager
def _output(path: str | None, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Standard output, or a file written whole or not at all."""
    if path is None or path == "-":
        yield sys.stdout.buffer if binary else sys.stdout
        return
    with _replacing(path) as tmp:
        mode = "wb" if binary else "w"
        kwargs: dict[str, Any] = {} if binary else {"encoding": "utf-8", "newline": ""}
        with open(tmp, mode, **kwargs) as f:
            yield f


@contextlib.contextmanager
def _replacing(path: str) -> Iterator[str]:
    """A temporary path beside ``path`` that replaces it when the block ends well."""
    target = Path(path)
    tmp = target.with_name(f".{target.stem}.partial{target.suffix}")
    try:
        yield str(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


# -- summary -------------------------------------------------------------------------------------

_SUMMARIES: Final = (
    "fundraising",
    "top-donors",
    "campaigns",
    "relief",
    "medical",
    "projects",
    "results",
    "revolving",
    "year-at-a-glance",
    "report",
)
_SUMMARY_FORMATS: Final = {
    ".txt": "text",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".html": "html",
    ".htm": "html",
}


def _within(dataset: Dataset, org: str) -> Dataset:
    """The records of ``org`` and its sub-units (records without an organisation stay)."""
    import attrs

    from humanaid.organizations import ancestors

    index = dataset.index("organizations")
    if org not in index:
        raise _Unreadable(f"--org {org!r} is not an organisation of the input")
    inside = {org} | {
        o.id for o in dataset.organizations if org in (a.id for a in ancestors(o.id, index))
    }
    kept: dict[str, Any] = {}
    for name, records in dataset:
        cls = dataset.collection_types()[name]
        if records and "organization_id" in attrs.fields_dict(cls):
            kept[name] = [r for r in records if r.organization_id in inside]
    return attrs.evolve(dataset, **kept)


def _summary(name: str, dataset: Dataset, period: Period, args: argparse.Namespace) -> Any:
    from humanaid import summaries

    currency, strict = args.currency, args.strict
    if name == "year-at-a-glance":
        if args.org is None:
            raise _Unreadable("year-at-a-glance needs the organisation: --org ID")
        return summaries.year_at_a_glance(
            dataset, period, organization_id=args.org, currency=currency, strict=strict
        )
    if args.org is not None:
        dataset = _within(dataset, args.org)
    if name == "fundraising":
        by = tuple(b.strip() for b in args.by.split(",")) if args.by else ("donor_kind",)
        return summaries.fundraising_summary(
            dataset, period, by=by, currency=currency, strict=strict
        )
    if name == "top-donors":
        return summaries.top_donors(dataset, period, n=args.top, currency=currency, strict=strict)
    if name == "campaigns":
        return summaries.campaign_summary(dataset, period, currency=currency, strict=strict)
    if name == "relief":
        return summaries.relief_summary(dataset, period, currency=currency, strict=strict)
    if name == "medical":
        return summaries.medical_summary(dataset, period, currency=currency, strict=strict)
    if name == "projects":
        return summaries.project_summary(
            dataset, as_of=period.end, currency=currency, strict=strict
        )
    if name == "results":
        return summaries.results_summary(dataset, as_of=period.end, strict=strict)
    return summaries.revolving_summary(dataset, as_of=period.end, strict=strict)


def _cell(value: Any) -> Any:
    """A table cell as JSON: money as ``{"amount", "currency"}``, decimals as strings."""
    from humanaid.money import Money

    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # a Period, and anything else a table may show


def _table_json(table: Table) -> dict[str, Any]:
    from humanaid.serialize import to_dict

    return {
        "title": table.title,
        "columns": [
            {"name": c.name, "kind": c.kind.value, "currency": c.currency} for c in table.columns
        ],
        "rows": [{k: _cell(v) for k, v in row.items()} for row in table.to_rows()],
        "notes": list(table.notes),
        "findings": [to_dict(f) for f in table.findings],
    }


def _cmd_summary(args: argparse.Namespace, bars: _Bars) -> int:
    from humanaid.periods import Period
    from humanaid.summaries import YearAtAGlance

    try:
        period = Period.parse(args.period)
    except ValueError as exc:
        raise _Unreadable(f"--period: {exc}") from None
    fmt = args.format
    if fmt is None:
        suffix = Path(args.output).suffix.lower() if args.output else ""
        fmt = _SUMMARY_FORMATS.get(suffix, "text")
    if fmt == "xlsx" and (args.output is None or args.output == "-"):
        raise _Unreadable("--format xlsx writes a workbook: name it with --output FILE.xlsx")
    if args.name == "report" and (fmt != "xlsx" or args.org is None):
        raise _Unreadable(
            "report writes an organisation's annual report as a workbook: "
            "--org ID --output FILE.xlsx"
        )
    dataset = _dataset(args.paths, args.collection, bars)
    if args.name == "report":
        from humanaid.excel import write_report

        with _replacing(args.output) as tmp:
            write_report(dataset, tmp, organization=args.org, period=period, currency=args.currency)
        return EXIT_OK
    result: Any = _summary(args.name, dataset, period, args)
    table: Table = result.table() if isinstance(result, YearAtAGlance) else result
    if fmt == "xlsx":
        from humanaid.excel import write_table

        with _replacing(args.output) as tmp:
            write_table(table, tmp)
        return EXIT_OK
    with _output(args.output) as f:
        if fmt == "text":
            f.write(f"{result}\n")
        elif fmt == "csv":
            f.write(table.to_csv())
        elif fmt == "json":
            f.write(json.dumps(_table_json(table), ensure_ascii=False, indent=2) + "\n")
        else:
            title = _html_escape(table.title or "humanaid summary")
            f.write(
                f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title>'
                f"</head>\n<body>\n{table.to_html()}\n</body></html>\n"
            )
    return EXIT_OK


def _html_escape(text: str) -> str:
    import html

    return html.escape(text)


# -- convert and redact ----------------------------------------------------------------------------


def _stream(path: str, kind: str, collection: str, bars: _Bars) -> Iterator[Any]:
    """The records of a one-collection input, one at a time; a bad one stops it (exit 1)."""
    from humanaid.errors import InvalidInput

    cls = _collections()[collection]
    if kind == "jsonl":
        from humanaid.serialize import iter_json_lines

        if not Path(path).is_file():
            raise _Unreadable(f"{path}: cannot be read: no such file")
        with bars(f"reading {Path(path).name}") as bar:
            try:
                yield from iter_json_lines(path, cls, progress=bar)
            except InvalidInput as exc:
                raise _HasProblems(
                    f"{exc}\nrun 'humanaid validate {path}' to see every problem"
                ) from None
    elif kind == "csv":
        from humanaid.io import iter_csv

        if not Path(path).is_file():
            raise _Unreadable(f"{path}: cannot be read: no such file")
        with bars(f"reading {Path(path).name}", "rows") as bar:
            n = 0
            rows: Iterator[Any] = iter_csv(path, _csv_schema(collection))
            for row in rows:
                if row.problems:
                    problems = "; ".join(str(p) for p in row.problems)
                    raise _HasProblems(
                        f"{path}: {problems}; run 'humanaid validate {path}' to see every problem"
                    )
                record = row.record
                if record is not None:
                    n += 1
                    if bar is not None and not n % 1024:
                        bar(n, None)
                    yield record
    elif kind == "parquet":
        from humanaid.interop.arrow import from_arrow

        for first, table in _parquet_batches(path, bars):
            try:
                records: list[Any] = from_arrow(table, cls)
            except InvalidInput as exc:
                p = _row_problem(path, first, exc.problems[0])
                raise _HasProblems(
                    f"{p.source}: {p.location}: {p.message}; run 'humanaid validate {path}' "
                    "to see every problem"
                ) from None
            yield from records
    else:  # a store
        with _closing(_store(path)) as store:
            yield from store.iter_records(collection)


def _write_stream(
    out: str,
    kind: str,
    collection: str,
    records: Iterator[Any],
    bars: _Bars,
    *,
    replace: bool = False,
) -> int:
    """Write the records of one collection to a one-collection output or a store."""
    cls = _collections()[collection]
    n = 0

    def counted() -> Iterator[Any]:
        nonlocal n
        for r in records:
            n += 1
            yield r

    if kind == "jsonl":
        from humanaid.serialize import write_json_lines

        with _output(out) as f:
            write_json_lines(counted(), f)
    elif kind == "csv":
        from humanaid.io import write_csv

        with _replacing(out) as tmp:
            write_csv(counted(), tmp, _csv_schema(collection))
    elif kind == "parquet":
        from humanaid.interop.arrow import arrow_schema, record_batches

        pq = _pyarrow("pyarrow.parquet")

        with _replacing(out) as tmp, pq.ParquetWriter(tmp, arrow_schema(cls)) as writer:
            for batch in record_batches(counted(), cls):
                writer.write_batch(batch)
    elif kind == "store":
        with _adding(out) as store, bars(f"writing {out}", "records") as bar:
            added = store.add(
                counted(), replace=replace, who=_who() if replace else None, progress=bar
            )
        _report_added(out, added)
    else:
        from humanaid.dataset import Dataset

        held: dict[str, Any] = {collection: list(counted())}
        _write_dataset(out, kind, Dataset(**held), bars, replace=replace)
    return n


def _write_dataset(
    out: str, kind: str, dataset: Dataset, bars: _Bars, *, replace: bool = False
) -> None:
    if kind == "json":
        from humanaid.serialize import to_json

        with _output(out) as f:
            f.write(to_json(dataset))
            f.write("\n")
    elif kind == "xlsx":
        from humanaid.excel import write_workbook

        with _replacing(out) as tmp, bars(f"writing {Path(out).name}", "records") as bar:
            if bar is not None:
                write_workbook(dataset, tmp, progress=bar)
            else:
                write_workbook(dataset, tmp)
    else:
        with _adding(out) as store, bars(f"writing {out}", "records") as bar:
            added = store.add_dataset(
                dataset, replace=replace, who=_who() if replace else None, progress=bar
            )
        _report_added(out, added)


def _one_collection(dataset: Dataset, given: str | None, out: str) -> str:
    """The collection to write to a one-collection output from a whole dataset."""
    if given is not None:
        return _collection_named(given)
    held = [name for name, records in dataset if records]
    if len(held) == 1:
        return held[0]
    raise _Unreadable(
        f"{out} holds one collection and the input holds "
        f"{', '.join(held) or 'none'}: say which with --collection"
    )


def _convert(
    source: str,
    out: str,
    collection: str | None,
    bars: _Bars,
    change: Callable[[Any], Any] | None = None,
    *,
    replace: bool = False,
) -> int:
    """Convert ``source`` to ``out``, streaming when both hold one collection at a time."""
    in_kind, out_kind = _kind(source), _kind(out)
    if Path(source).resolve() == Path(out).resolve() and in_kind != "store":
        raise _Unreadable(f"{out}: the output would overwrite the input")
    streams_in = in_kind in _ONE_COLLECTION or (in_kind == "store" and collection is not None)
    if streams_in:
        name = (
            _collection_of(source, collection)
            if in_kind != "store"
            else _collection_named(collection or "")
        )
        records = _stream(source, in_kind, name, bars)
        if change is not None:
            records = (change(r) for r in records)
        return _write_stream(out, out_kind, name, records, bars, replace=replace)
    dataset = _dataset([source], collection, bars)
    if change is not None:
        dataset = change(dataset)
    if out_kind in _ONE_COLLECTION:
        name = _one_collection(dataset, collection, out)
        return _write_stream(
            out, out_kind, name, iter(dataset.records(name)), bars, replace=replace
        )
    _write_dataset(out, out_kind, dataset, bars, replace=replace)
    return dataset.size()


def _cmd_convert(args: argparse.Namespace, bars: _Bars) -> int:
    n = _convert(args.input, args.output, args.collection, bars, replace=args.replace)
    if args.output != "-" and _kind(args.output) != "store":
        print(f"wrote {n:,} record{'s' if n != 1 else ''} to {args.output}", file=sys.stderr)
    return EXIT_OK


def _cmd_redact(args: argparse.Namespace, bars: _Bars) -> int:
    from humanaid.privacy import KEY_MIN_BYTES, redact

    try:
        key = Path(args.key_file).read_bytes().strip()
    except OSError as exc:
        raise _Unreadable(f"{args.key_file}: cannot read the key: {exc.strerror or exc}") from None
    if len(key) < KEY_MIN_BYTES:
        raise _Unreadable(
            f"{args.key_file}: the key must be at least {KEY_MIN_BYTES} bytes (it holds "
            f'{len(key)}); make one with: python -c "import secrets; '
            f'print(secrets.token_hex(32))" > {args.key_file}'
        )

    def change(obj: Any) -> Any:
        try:
            return redact(obj, key=key)
        except ValueError as exc:
            raise _Unreadable(f"cannot redact: {exc}") from None

    n = _convert(args.input, args.output, args.collection, bars, change)
    if args.output != "-":
        print(
            f"wrote {n:,} redacted record{'s' if n != 1 else ''} to {args.output}", file=sys.stderr
        )
    return EXIT_OK


# -- template and schema ---------------------------------------------------------------------------


def _cmd_template(args: argparse.Namespace, bars: _Bars) -> int:
    from humanaid.excel import write_template

    collection = _collection_named(args.collection)
    if _kind(args.output) != "xlsx":
        raise _Unreadable(f"{args.output}: a template is a workbook: name it .xlsx")
    with _replacing(args.output) as tmp:
        write_template(collection, tmp)
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace, bars: _Bars) -> int:
    from humanaid.schema import dataset_json_schema, json_schema

    if args.record is None:
        schema = dataset_json_schema()
    else:
        record_type = _record_type(args.record)
        schema = json_schema(record_type)
    with _output(args.output) as f:
        f.write(json.dumps(schema, ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK


def _record_type(name: str) -> type:
    """A record type from a collection's name or a type's (``donations``, ``Money``)."""
    import attrs

    import humanaid

    with contextlib.suppress(_Unreadable):
        return _collections()[_collection_named(name)]
    for public in humanaid.__all__:
        obj = getattr(humanaid, public)
        if public.lower() == name.lower() and isinstance(obj, type) and attrs.has(obj):
            return obj
    if name.lower() == "money":
        return humanaid.Money
    raise _Unreadable(
        f"{name!r} is not a record type or a collection; the collections: "
        f"{', '.join(_collections())}"
    )


# -- the parser ----------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    from humanaid._version import __version__

    parser = argparse.ArgumentParser(
        prog="humanaid",
        description="Check, summarise, convert and redact humanitarian aid data.",
        epilog="Exit status: 0 all well, 1 problems or ERROR findings, 2 unreadable input.",
    )
    parser.add_argument("--version", action="version", version=f"humanaid {__version__}")
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (there is none anyway when stderr is not a terminal)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    collection_help = (
        "the collection a .jsonl, .csv or .parquet file holds (donations, persons ...); "
        "by default read from the file's name"
    )

    p = sub.add_parser(
        "validate",
        help="check files, workbooks or a store: every problem, located",
        description="Read every input into one dataset and check it against the built-in "
        "rules. Exit 0 when clean, 1 with problems in the input or ERROR findings, 2 when "
        "an input cannot be read.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help=f"an input: {_FORMATS}")
    p.add_argument("--collection", help=collection_help)
    p.add_argument("--format", choices=("text", "json", "csv"), default="text")
    p.add_argument("--output", "-o", help="write the report to this file (default: stdout)")
    p.set_defaults(run=_cmd_validate)

    p = sub.add_parser(
        "summary",
        help="a published summary (fundraising, relief, year-at-a-glance ...)",
        description="Compute one of the summaries of humanaid.summaries over the inputs.",
    )
    p.add_argument("name", choices=_SUMMARIES, metavar="NAME", help=", ".join(_SUMMARIES))
    p.add_argument("paths", nargs="+", metavar="PATH", help=f"an input: {_FORMATS}")
    p.add_argument(
        "--period",
        required=True,
        help="2020, 2020-Q1, 2020-03 or 2020-01-01/2020-06-30 (projects, results and "
        "revolving: as of its last day)",
    )
    p.add_argument(
        "--org",
        help="an organisation's id: its records and its sub-units' (year-at-a-glance: "
        "required, its boundary)",
    )
    p.add_argument("--currency", default="CNY", help="the currency of the figures (CNY)")
    p.add_argument("--format", choices=("text", "csv", "xlsx", "json", "html"))
    p.add_argument("--output", "-o", help="write to this file (the format from its name)")
    p.add_argument("--collection", help=collection_help)
    p.add_argument("--by", help="fundraising: group by (donor_kind, channel, form ...)")
    p.add_argument("--top", type=int, default=10, help="top-donors: how many (10)")
    p.add_argument(
        "--strict",
        action="store_true",
        help="refuse (exit 1) instead of showing figures beside ERROR findings about "
        "the records they add up",
    )
    p.set_defaults(run=_cmd_summary)

    p = sub.add_parser(
        "convert",
        help="between JSON, JSON Lines, CSV, xlsx, Parquet and a store",
        description="Convert records from one form to another. One collection at a time "
        "(JSON Lines, CSV, Parquet, a store with --collection) is streamed: it is never "
        "all in memory. Input with a problem is not converted (exit 1).",
    )
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    p.add_argument("--collection", help=collection_help)
    p.add_argument(
        "--replace",
        action="store_true",
        help="into a store: replace a different record under an id already there (the "
        "old version is kept in the store's history); without it, that is refused",
    )
    p.set_defaults(run=_cmd_convert)

    p = sub.add_parser(
        "template",
        help="an empty workbook for entering one collection",
        description="Write an empty workbook for data entry, with drop-down lists and an "
        "instruction sheet.",
    )
    p.add_argument("collection", metavar="COLLECTION")
    p.add_argument("output", metavar="OUT.xlsx")
    p.set_defaults(run=_cmd_template)

    p = sub.add_parser(
        "redact",
        help="a copy with personal data pseudonymised or dropped",
        description="Write a copy of the input with its personal data protected "
        "(humanaid.privacy.redact); the same key gives the same pseudonyms.",
    )
    p.add_argument("input", metavar="IN")
    p.add_argument("output", metavar="OUT")
    p.add_argument(
        "--key-file",
        required=True,
        help="a file holding the secret key (at least 16 bytes; surrounding white "
        "space is ignored)",
    )
    p.add_argument("--collection", help=collection_help)
    p.set_defaults(run=_cmd_redact)

    p = sub.add_parser(
        "schema",
        help="the JSON Schema of a record type, or of a whole dataset",
        description="Print the JSON Schema (draft 2020-12) of a record type (a collection "
        "such as donations, or a type such as Money) or, without one, of a whole dataset.",
    )
    p.add_argument("record", nargs="?", metavar="RECORD")
    p.add_argument("--output", "-o", help="write to this file (default: stdout)")
    p.set_defaults(run=_cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``humanaid`` command with ``argv`` (default: the process's arguments).

    Returns the exit status: 0 when all is well, 1 when the input holds problems or
    ``validate`` finds an ERROR, 2 when an input cannot be read or the command is wrong.
    Failures are one line on stderr (``humanaid: error: ...``), never a traceback.

    >>> main(["schema", "Period"])  # doctest: +ELLIPSIS
    {
      "$schema": "https://json-schema.org/draft/2020-12/schema",
      "title": "Period",
    ...
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    bars = _Bars(enabled=not args.no_progress)
    run: Callable[[argparse.Namespace, _Bars], int] = args.run
    from humanaid.errors import FindingsError

    try:
        return run(args, bars)
    except FindingsError as exc:
        print(f"humanaid: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_PROBLEMS
    except _HasProblems as exc:
        print(f"humanaid: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except _Unreadable as exc:
        print(f"humanaid: error: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except ImportError as exc:
        print(f"humanaid: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_UNREADABLE
    except BrokenPipeError:  # pragma: no cover - `humanaid ... | head`
        return EXIT_OK
    except (ValueError, TypeError, KeyError, OSError) as exc:
        # what the library refuses (an unknown id, a mixed currency ...): one line
        print(f"humanaid: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_UNREADABLE
    except KeyboardInterrupt:  # pragma: no cover
        print("humanaid: interrupted", file=sys.stderr)
        return 130


def _one_line(text: str) -> str:
    lines = [x.strip() for x in text.strip().splitlines() if x.strip()]
    if len(lines) <= 1:
        return lines[0] if lines else "failed"
    return f"{lines[0]} {lines[1]}" + (f" (and {len(lines) - 2} more)" if len(lines) > 2 else "")
