"""The library's exceptions.

Two kinds of failure reach a user:

* A record that cannot exist raises a :class:`FieldValueError` (a :class:`ValueError`)
  or :class:`FieldTypeError` (a :class:`TypeError`) from its constructor, whose message
  names the field, the rule and (unless the field holds personal data) the value
  received, and which carries the same as data: ``field``, ``code``, ``value`` and
  ``pii`` (both derive from :class:`FieldError`).
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
import math
import os
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Final, Protocol

import attrs

if TYPE_CHECKING:
    from humanaid.findings import Findings

__all__ = [
    "ERROR_CODES",
    "LIMITS",
    "CurrencyMismatch",
    "FieldError",
    "FieldTypeError",
    "FieldValueError",
    "FindingsError",
    "InvalidInput",
    "Problem",
    "UnknownId",
    "format_path",
    "hide_input_in_errors",
    "input_hidden",
    "shown",
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
        # limits (LIMITS): what no input may exceed, whatever its record
        "too-deep": "arrays and objects nested deeper than LIMITS['depth']",
        "too-long": "a text longer than its kind of field allows, or a line of a file "
        "longer than LIMITS['line_length']",
        "too-many-digits": "a number with more digits than LIMITS['digits'] "
        "(LIMITS['integer_digits'] for whole numbers)",
        "too-many-columns": "a CSV row with more cells than LIMITS['columns']",
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
"""Every stable :attr:`Problem.code` (and :attr:`FieldError.code`), with what it means.

A program may branch on these codes; each is kept from release to release. The same
codes come from JSON and dicts (:mod:`humanaid.serialize`), CSV files (:mod:`humanaid.io`,
whose :class:`~humanaid.CsvProblem` adds its own) and Arrow tables.

>>> ERROR_CODES["float-not-allowed"]
'a JSON float where money or a decimal belongs'
"""

LIMITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "depth": 64,
        "digits": 34,
        "integer_digits": 18,
        "id_length": 128,
        "label_length": 100,
        "name_length": 200,
        "text_length": 1_000,
        "note_length": 4_000,
        "description_length": 20_000,
        "line_length": 1_048_576,
        "columns": 1_000,
    }
)
"""What no input may exceed; each breach is a problem with its path and code.

* ``depth``: arrays and objects nested in a JSON document or a JSON cell (code
  ``too-deep``). The deepest record (a dataset, its cases, their history, an amount) is
  about seven deep.
* ``digits``: the digits of a decimal number or amount, before and after the point (code
  ``too-many-digits``); 34 is what IEEE decimal128 holds. ``integer_digits``: the digits
  of a whole number (a count, a year): 18 fit a 64-bit integer.
* ``*_length``: the characters of a text field, by its kind (code ``too-long``): an
  ``id`` or reference; a ``label`` (a unit, a platform, a receipt number, a code); a
  ``name`` (of a person, a body, a fund; a purpose, an address); other ``text``; a
  ``note``; a ``description``.
* ``line_length``: the characters of one line (one row) of a CSV or JSON Lines file;
  ``columns``: the cells of one CSV row (codes ``too-long``, ``too-many-columns``).
  A row over either limit is reported and skipped, and the rest of the file is read.

>>> LIMITS["depth"], LIMITS["name_length"]
(64, 200)
"""

PathSegment = str | int
"""A step in a JSON path: a key of an object or an index into an array."""


# -- hiding input values --------------------------------------------------------------------

_ENV_HIDE: Final = "HUMANAID_HIDE_INPUT"
_hidden: list[bool] = [os.environ.get(_ENV_HIDE, "").strip().lower() in ("1", "true", "yes")]


def input_hidden() -> bool:
    """Whether errors hide every input value (see :func:`hide_input_in_errors`)."""
    return _hidden[0]


class hide_input_in_errors:  # noqa: N801 - used as a function, like decimal.localcontext
    """Hide every input value in errors and problems (or, with ``False``, show them again).

    Personal data is never shown in an error. Some deployments must not echo any input
    (a log of failed imports may be read by people who must not see the data at all):
    with the switch on, no :class:`Problem` keeps a ``got``, no :class:`FieldError` shows
    its value in its message (its ``value`` attribute still holds it, for the program
    that caught it), and no CSV problem quotes a cell. It is pydantic's
    ``hide_input_in_errors``, for the whole process.

    Call it to switch for the rest of the process, or use it as a context manager to
    switch for a block (the previous setting comes back at its end). The environment
    variable ``HUMANAID_HIDE_INPUT=1`` switches it on from the start.

    >>> from humanaid import Money, from_json
    >>> with hide_input_in_errors():
    ...     from_json('{"amount": 1.5, "currency": "CNY"}', Money)
    Traceback (most recent call last):
    ...
    humanaid.errors.InvalidInput: 1 problem in the input:
      $.amount: must be a string such as '12.50', not a float: floats cannot hold money exactly
    >>> input_hidden()
    False
    """

    def __init__(self, hide: bool = True) -> None:
        if not isinstance(hide, bool):
            raise TypeError(f"'hide' must be True or False (got {type(hide).__name__})")
        self._before = _hidden[0]
        _hidden[0] = hide

    def __enter__(self) -> hide_input_in_errors:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        _hidden[0] = self._before


_REPR: Final = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlong = 40
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = _REPR.maxfrozenset = 4


def shown(value: object) -> str:
    r"""A short, safe ``repr`` of an input value for a message: at most about 60 characters.

    It never fails and never recurses deeply: a value nested thousands deep is shown three
    levels down, a string of a million characters by its first few dozen, a number of
    thousands of digits by its first ones. Control and invisible characters are escaped,
    as ``repr`` escapes them, so a message never carries them to a terminal or a log.

    >>> len(shown("a" * 1_000_000)) <= 80
    True
    >>> shown([[[[[1]]]]]), shown(10**4999)
    ('[[[[...]]]]', '<an integer of 5000 digits>')
    >>> shown("\u202eevil")
    "'\\u202eevil'"
    """
    if isinstance(value, int) and value.bit_length() > 128:  # Python refuses to write some
        return f"<an integer of {math.floor(math.log10(abs(value))) + 1} digits>"
    try:
        text = _REPR.repr(value)
    except Exception:  # a repr that fails: say what it is
        text = f"<{type(value).__name__}>"
    if len(text) > 80:
        text = text[:77] + "..."
    return text.encode("ascii", "backslashreplace").decode() if not text.isprintable() else text


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


def _hidden_got(got: str | None) -> str | None:
    return None if got is None or input_hidden() else got


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
            personal data, when input is hidden (:func:`hide_input_in_errors`) or when
            there is no single value to show.

    >>> p = Problem(path=("value", "amount"), code="float-not-allowed",
    ...             message="must be a string, not a float", got="1.5")
    >>> str(p)
    '$.value.amount: must be a string, not a float (got 1.5)'
    """

    path: tuple[PathSegment, ...] = attrs.field(converter=_path)
    code: str
    message: str
    got: str | None = attrs.field(default=None, converter=_hidden_got)

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


_NO_VALUE: Final = object()


class FieldError(Exception):
    """A value a field (or an argument) refused, with what is wrong as data.

    Every check of the library's field helpers (:mod:`humanaid.records`), of
    :class:`~humanaid.Money` and of :class:`~humanaid.Period` raises one, as a
    :class:`FieldValueError` or a :class:`FieldTypeError`, so that code catching
    :class:`ValueError` or :class:`TypeError` keeps working, while the converter and the
    CSV reader read where and why from its attributes instead of from its message.

    Attributes:
        field: the name of the field or argument, such as ``"value"``.
        at: where inside the field, such as ``(3,)`` for the fourth item of a tuple.
        code: a stable code of :data:`ERROR_CODES`: ``"invalid"`` for a rule of the
            record, ``"too-long"``, ``"too-many-digits"`` ...
        rule: what the value broke, as the end of a sentence that starts with the
            field: ``"must be positive"``.
        value: the value refused (kept even when personal: for the program that caught
            the error, never shown).
        pii: whether the value is personal data, so never shown.

    >>> err = FieldValueError("value", "must be positive", -5)
    >>> str(err), err.code, err.path, isinstance(err, ValueError)
    ("'value' must be positive (got -5)", 'invalid', ('value',), True)
    >>> str(FieldValueError("name", "must not be empty", "  ", pii=True))
    "'name' must not be empty"
    >>> err.problem("donations", 3)
    Problem(path=('donations', 3, 'value'), code='invalid', message='must be positive', got='-5')
    """

    field: str
    at: tuple[PathSegment, ...]
    code: str
    rule: str
    value: object
    pii: bool

    def __init__(
        self,
        field: str,
        rule: str,
        value: object = _NO_VALUE,
        *,
        code: str = "invalid",
        pii: bool = False,
        at: Iterable[PathSegment] = (),
        got: str | None = None,
    ) -> None:
        self.field = field
        self.rule = rule
        self.value = value
        self.code = code
        self.pii = pii
        self.at = tuple(at)
        self._got = got
        super().__init__(field, rule)

    @property
    def path(self) -> tuple[PathSegment, ...]:
        """Where the value is, from the record: the field, then :attr:`at`."""
        return ((self.field,) if self.field else ()) + self.at

    @property
    def got(self) -> str | None:
        """The value as a message shows it, or ``None`` for personal data or hidden input."""
        if self.pii or self.value is _NO_VALUE or input_hidden():
            return None
        return self._got if self._got is not None else shown(self.value)

    def __str__(self) -> str:
        name = self.field + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in self.at)
        head = f"'{name}' {self.rule}" if name else self.rule
        got = self.got
        return f"{head} (got {got})" if got is not None else head

    def problem(self, *prefix: PathSegment) -> Problem:
        """This error as a :class:`Problem` at its path, placed under ``prefix``."""
        return Problem(path=(*prefix, *self.path), code=self.code, message=self.rule, got=self.got)

    def __reduce__(self) -> tuple[object, ...]:
        state = (self.field, self.rule, self.value, self.code, self.pii, self.at, self._got)
        return (_rebuild_field_error, (type(self), state))


def _rebuild_field_error(cls: type[FieldError], state: tuple[Any, ...]) -> FieldError:
    field, rule, value, code, pii, at, got = state
    return cls(field, rule, value, code=code, pii=pii, at=at, got=got)


class FieldValueError(FieldError, ValueError):
    """A :class:`FieldError` that is a :class:`ValueError`.

    A value of the right type that breaks a rule: an amount that is negative, a text
    that is too long.
    """


class FieldTypeError(FieldError, TypeError):
    """A :class:`FieldError` that is a :class:`TypeError`.

    A value of the wrong type: a float where money belongs, a list where a date belongs.
    """


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
