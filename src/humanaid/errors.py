"""The library's exceptions.

Two kinds of failure reach a user:

* A record that cannot exist raises a plain :class:`ValueError` or :class:`TypeError`
  from its constructor, whose message names the field, the rule and (unless the field
  holds personal data) the value received.
* Input loaded through :mod:`humanaid.serialize` raises one :class:`InvalidInput` that
  lists **every** problem found, each with a JSON path, a stable code and a message.

Problems with a whole dataset are never exceptions: they are
:class:`~humanaid.findings.Finding` values returned by the rules. Two exceptions guard
the figures computed from a dataset:

* An id given to a figure function that names no record of the dataset (a misspelt
  organisation, fund, programme or project) raises :class:`UnknownId`, which names the
  argument and the nearest known ids, instead of printing a table of zeros.
* A summary asked for with ``strict=True`` over records that carry error findings
  raises :class:`FindingsError`, which carries them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

if TYPE_CHECKING:
    from humanaid.findings import Findings

__all__ = [
    "ERROR_CODES",
    "CurrencyMismatch",
    "FindingsError",
    "InvalidInput",
    "Problem",
    "UnknownId",
    "format_path",
]

ERROR_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        # the converter (humanaid.serialize), and the Arrow reader (humanaid.interop.arrow)
        "invalid-json": "the text is not JSON, or a JSON cell of a CSV file is not",
        "wrong-type": "a value of the wrong JSON type (a number where text belongs ...)",
        "missing": "a required field is absent, or its cell or Arrow value is empty",
        "unknown-key": "a key the record does not have",
        "duplicate-key": "a key given twice in one JSON object",
        "float-not-allowed": "a JSON float where money or a decimal belongs",
        "not-finite": "a number that is not finite: NaN or Infinity",
        "invalid-decimal": "a string that is not a plain decimal",
        "invalid-date": "not a date in the expected form, or not a real date",
        "unknown-value": "not one of an enumeration's values",
        "invalid": "a record's own rule refused the value (the message names the rule)",
        # CSV files (humanaid.io): the file, its header, its rows and their cells
        "empty-file": "the file has no header row",
        "invalid-encoding": "the header or a row is not text in the file's encoding",
        "invalid-csv": "the file cannot be read as CSV (a quoted cell is never closed ...)",
        "missing-column": "a column the record needs is not in the header",
        "unknown-column": "a header names a column the schema does not know",
        "duplicate-column": "a column appears more than once in the header",
        "wrong-cell-count": "a row has more or fewer cells than the header",
        "invalid-amount": "a cell is not an amount of money",
        "invalid-integer": "a cell is not a whole number",
        "invalid-boolean": "a cell is not true or false (or 1 or 0)",
        "invalid-party": "a cell is not a party written kind:id, such as fund:f1",
        # Excel workbooks (humanaid.excel): what Excel does to data, and the workbook itself
        "invalid-workbook": "the file is not an Excel workbook (.xlsx) that can be read",
        "lost-digits": "a number of more than 15 digits (an ID number) lost its last digits",
        "date-serial": "a date column holds a number (a date serial), not a date",
        "date-text": "a date column holds text that is not an ISO date (2020-01-05)",
        "formula-without-value": "a formula that was never calculated, so it has no value",
        "error-cell": "a cell shows an Excel error such as #DIV/0! or #N/A",
        "merged-cells": "merged cells: only the first holds a value; their rows are not read",
        "hidden-sheet": "a hidden sheet of a collection, not read",
        "unknown-sheet": "a sheet holding data that is named after no collection",
        "duplicate-sheet": "a second sheet of one collection, not read",
    }
)
"""Every stable :attr:`Problem.code`, with what it means.

A program may branch on these codes; each is kept from release to release. The same
codes come from JSON and dicts (:mod:`humanaid.serialize`), CSV files (:mod:`humanaid.io`,
whose :class:`~humanaid.CsvProblem` adds its own) and Arrow tables.

>>> ERROR_CODES["float-not-allowed"]
'a JSON float where money or a decimal belongs'
"""

PathSegment = str | int
"""A step in a JSON path: a key of an object or an index into an array."""


def format_path(segments: Sequence[PathSegment]) -> str:
    """Render path segments as a JSONPath-like string.

    Keys that are plain identifiers are written with a dot, others are quoted.

    >>> format_path(["donations", 3, "value", "amount"])
    '$.donations[3].value.amount'
    >>> format_path([])
    '$'
    >>> format_path(["figures", "a b"])
    "$.figures['a b']"
    """
    out = ["$"]
    for seg in segments:
        if isinstance(seg, int):
            out.append(f"[{seg}]")
        elif seg.isidentifier():
            out.append(f".{seg}")
        else:
            out.append(f"[{seg!r}]")
    return "".join(out)


def _path(segments: Iterable[PathSegment]) -> tuple[PathSegment, ...]:
    return tuple(segments)


@attrs.frozen(kw_only=True)
class Problem:
    """One thing wrong with loaded input.

    Attributes:
        path: where the problem is, as segments from the document root
            (``("donations", 3, "value", "amount")``); ``str(problem)`` renders it as
            ``$.donations[3].value.amount``.
        code: a stable, machine-readable code such as ``"missing"``, ``"unknown-key"``,
            ``"wrong-type"``, ``"float-not-allowed"`` or ``"invalid"``.
        message: a sentence for a person saying which rule the input broke.
        got: a short ``repr`` of the value received, or ``None`` when the field holds
            personal data (or there is no single value to show).

    >>> p = Problem(path=("value", "amount"), code="float-not-allowed",
    ...             message="must be a string, not a float", got="1.5")
    >>> str(p)
    '$.value.amount: must be a string, not a float (got 1.5)'
    """

    path: tuple[PathSegment, ...] = attrs.field(converter=_path)
    code: str
    message: str
    got: str | None = None

    @property
    def location(self) -> str:
        """The path rendered as a string, such as ``$.donations[3].value``."""
        return format_path(self.path)

    def __str__(self) -> str:
        got = f" (got {self.got})" if self.got is not None else ""
        return f"{self.location}: {self.message}{got}"

    def under(self, *prefix: PathSegment) -> Problem:
        """Return the same problem placed under ``prefix`` (used when nesting)."""
        path: tuple[PathSegment, ...] = (*prefix, *self.path)
        return attrs.evolve(self, path=path)


class InvalidInput(ValueError):
    """Loaded input broke one or more rules.

    ``problems`` lists every problem found, not just the first; ``str()`` shows them one
    per line.

    >>> err = InvalidInput([Problem(path=("a",), code="missing", message="is required")])
    >>> print(err)
    1 problem in the input:
      $.a: is required
    >>> err.problems[0].code
    'missing'
    """

    problems: tuple[Problem, ...]

    def __init__(self, problems: Iterable[Problem], *, subject: str = "the input") -> None:
        self.problems = tuple(problems)
        self.subject = subject
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in {self.subject}:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_invalid_input, (self.problems, self.subject))


def _rebuild_invalid_input(problems: tuple[Problem, ...], subject: str) -> InvalidInput:
    return InvalidInput(problems, subject=subject)


class CurrencyMismatch(ValueError):
    """Two amounts of different currencies met in arithmetic or ordering.

    Converting between currencies needs a rate and a date, so the library never does it
    silently.

    >>> from humanaid import Money
    >>> Money("1.00", "CNY") + Money("1.00", "USD")
    Traceback (most recent call last):
    ...
    humanaid.errors.CurrencyMismatch: cannot add CNY and USD amounts; convert one first
    """


class _Indexed(Protocol):
    """What :meth:`UnknownId.lookup` reads: a dataset, or any record source."""

    def index(self, name: str, *, missing_ok: bool = False) -> Mapping[str, Any]:
        """A read-only map from id to record; empty if missing and ``missing_ok``."""
        ...


_SHOWN_KNOWN: Final = 5  # known ids listed when none is close to the one given


class UnknownId(KeyError):
    """An id given to a figure function names no record of the dataset.

    A misspelt organisation, fund, programme or project id would otherwise give a table
    of zeros that reads like a quiet year. The message names the argument, the id and
    the nearest ids the dataset knows (:func:`difflib.get_close_matches`); the same are
    attributes, for a program to use. It is a :class:`KeyError`, as a failed look-up
    is, whose ``str()`` is the plain message.

    Attributes:
        collection: the collection looked in, such as ``"organizations"``.
        id: the id given.
        argument: the argument that gave it, such as ``"organization_id"``.
        suggestions: the nearest known ids, closest first (at most three; none when
            nothing is close).

    >>> from humanaid import Dataset, Organization
    >>> ds = Dataset(organizations=[Organization(id="qujing", name="曲靖市红十字会",
    ...                                          level="city")])
    >>> UnknownId.lookup(ds, "organizations", "qujin", argument="organization_id")
    Traceback (most recent call last):
    ...
    humanaid.errors.UnknownId: organization_id 'qujin' is not among the dataset's \
organizations; did you mean 'qujing'?
    >>> UnknownId.lookup(ds, "organizations", "qujing", argument="organization_id").name
    '曲靖市红十字会'
    """

    collection: str
    id: str
    argument: str
    suggestions: tuple[str, ...]

    def __init__(
        self,
        collection: str,
        id: str,
        *,
        argument: str,
        known: Iterable[str] = (),
        suggestions: Iterable[str] | None = None,
    ) -> None:
        known_ids = sorted(known)
        self.collection = collection
        self.id = id
        self.argument = argument
        self.suggestions = (
            tuple(difflib.get_close_matches(id, known_ids, n=3))
            if suggestions is None
            else tuple(suggestions)
        )
        self._known = tuple(known_ids[:_SHOWN_KNOWN])
        self._more = max(len(known_ids) - _SHOWN_KNOWN, 0)
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"{self.argument} {self.id!r} is not among the dataset's {self.collection}"
        if self.suggestions:
            *first, last = (repr(s) for s in self.suggestions)
            either = f"{', '.join(first)} or {last}" if first else last
            return f"{head}; did you mean {either}?"
        if self._known:
            more = f" and {self._more} more" if self._more else ""
            return f"{head} (none is close; known: {', '.join(self._known)}{more})"
        return f"{head} (it has none)"

    def __str__(self) -> str:
        # KeyError's own str() is the repr of its argument: show the sentence instead.
        return str(self.args[0])

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_unknown_id,
            (self.collection, self.id, self.argument, self.suggestions, self._known, self._more),
        )

    @classmethod
    def lookup(
        cls,
        source: _Indexed,
        collection: str,
        id: str,
        *,
        argument: str,
        named: Iterable[str | None] | None = None,
    ) -> Any:
        """The record ``id`` of ``collection`` in ``source``, or raise :class:`UnknownId`.

        The one check every figure function makes of an id it is given. ``source`` is a
        :class:`~humanaid.Dataset` or any :class:`~humanaid.source.RecordSource`; a
        collection it lacks holds no ids.

        A function that needs no more than the id (a filter: the programme of
        :func:`~humanaid.reach`) passes ``named``, the ids its records name: an id no
        record has but some record names is not misspelt, only not modelled (the rule
        ``integrity.missing-reference`` reports that), and ``None`` is returned for it.

        Args:
            source: the records.
            collection: the collection the id belongs to, such as ``"projects"``.
            id: the id given.
            argument: the name of the argument that gave it, for the message.
            named: the ids the records read name, which count as known too.

        Returns:
            The record, or ``None`` for an id only ``named``.

        Raises:
            UnknownId: naming the argument, the id and the nearest known ids.
            TypeError: if ``id`` is not a ``str``.
        """
        if not isinstance(id, str):
            raise TypeError(f"{argument!r} must be a str id (got {id!r})")
        index = source.index(collection, missing_ok=True)
        record = index.get(id)
        if record is not None:
            return record
        if named is None:
            raise cls(collection, id, argument=argument, known=index)
        others = {n for n in named if n is not None}
        if id in others:
            return None
        raise cls(collection, id, argument=argument, known=others.union(index))


def _rebuild_unknown_id(
    collection: str,
    id: str,
    argument: str,
    suggestions: tuple[str, ...],
    known: tuple[str, ...],
    more: int,
) -> UnknownId:
    err = UnknownId(collection, id, argument=argument, known=known, suggestions=suggestions)
    err._more = more
    err.args = (err._render(),)
    return err


class FindingsError(ValueError):
    """Figures asked for with ``strict=True`` read records that carry error findings.

    Every summary of :mod:`humanaid.summaries` (and :func:`~humanaid.portfolio_report`)
    returns the error findings about the records it read with its figures; with
    ``strict=True`` it refuses instead, and this error carries them.

    Attributes:
        findings: the findings, most severe first (a :class:`~humanaid.Findings`).
        what: what refused, such as ``"project_summary"``.

    >>> from humanaid import Finding, Findings
    >>> err = FindingsError(Findings([Finding(rule="funds.overdrawn", severity="error",
    ...                                       subject="f1", message="f1 is overdrawn")]),
    ...                     what="year_at_a_glance")
    >>> print(err)
    year_at_a_glance refused: the records it read carry 1 finding (1 error):
      ERROR funds.overdrawn [f1]: f1 is overdrawn
    """

    findings: Findings
    what: str

    def __init__(self, findings: Iterable[Any], *, what: str = "the figures") -> None:
        # findings imports money, which imports this module: import it when needed
        from humanaid.findings import Findings

        self.findings = Findings(findings)
        self.what = what
        body = str(self.findings).split("\n", 1)
        head = f"{what} refused: the records it read carry {body[0]}"
        super().__init__("\n".join([head, *body[1:]]))

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_findings_error, (tuple(self.findings), self.what))


def _rebuild_findings_error(findings: tuple[Any, ...], what: str) -> FindingsError:
    return FindingsError(findings, what=what)
