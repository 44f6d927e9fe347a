"""The library's exceptions.

Two kinds of failure reach a user:

* A record that cannot exist raises a plain :class:`ValueError` or :class:`TypeError`
  from its constructor, whose message names the field, the rule and (unless the field
  holds personal data) the value received.
* Input loaded through :mod:`humanaid.serialize` raises one :class:`InvalidInput` that
  lists **every** problem found, each with a JSON path, a stable code and a message.

Problems with a whole dataset are never exceptions: they are
:class:`~humanaid.findings.Finding` values returned by the rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Final

import attrs

__all__ = ["ERROR_CODES", "CurrencyMismatch", "InvalidInput", "Problem", "format_path"]

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
