"""Findings: what the dataset-level rules report, instead of raising.

A *rule* (:class:`~humanaid.Rule`) is any callable that takes a
:class:`~humanaid.Dataset` and yields :class:`Finding` values. Rules never raise on bad
data: a fund overdrawn, a donation to an unknown donor or a spending ratio below the legal
floor is a finding that names the rule, the record it is about, a sentence for a person
and the figures behind it.

>>> f = Finding(
...     rule="funds.overdrawn", severity=Severity.ERROR, subject="fund-1",
...     message="fund-1 is overdrawn on 2020-03-01",
...     figures={"balance": Money("-20.00")},
... )
>>> print(f)
ERROR funds.overdrawn [fund-1]: fund-1 is overdrawn on 2020-03-01
>>> f.figures["balance"]
Money('-20.00', 'CNY')
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Final, TypeAlias

import attrs

from humanaid.errors import FieldValueError
from humanaid.money import Money

__all__ = ["Figure", "Finding", "Findings", "Severity"]

Figure: TypeAlias = str | int | Decimal | Money | date
"""A value that a finding reports: text, a count, a ratio, an amount or a date."""

_RULE_CODE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]*\Z")


class Severity(enum.Enum):
    """How much a finding matters.

    ``ERROR``: the data breaks a rule (money overdrawn, a law's ratio missed).
    ``WARNING``: probably wrong, worth a look (a probable duplicate person).
    ``INFO``: worth knowing, not wrong.
    """

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for ERROR, 1 for WARNING, 2 for INFO: the order findings are listed in."""
        return _RANK[self]


_RANK: Final = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _severity(value: Severity | str) -> Severity:
    if isinstance(value, Severity):
        return value
    try:
        return Severity(value)
    except ValueError:
        raise ValueError(
            f"'severity' must be one of error, warning, info (got {value!r})"
        ) from None


def _rule_code(_: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _RULE_CODE.match(value):
        raise FieldValueError(
            attribute.name, f"must be a lower-case code such as 'funds.overdrawn' (got {value!r})"
        )


def _figures(value: Mapping[str, Figure] | None) -> Mapping[str, Figure]:
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise TypeError(f"'figures' must be a mapping of names to values (got {value!r})")
    out: dict[str, Figure] = {}
    for key, v in value.items():
        if not isinstance(key, str):
            raise TypeError(f"'figures' keys must be str (got {key!r})")
        if isinstance(v, float):
            raise TypeError(f"'figures' value {key!r} must not be a float (got {v!r})")
        if not isinstance(v, str | int | Decimal | Money | date):
            raise TypeError(
                f"'figures' value {key!r} must be str, int, Decimal, Money or date "
                f"(got {type(v).__name__})"
            )
        out[key] = v
    return MappingProxyType(out)


@attrs.frozen(kw_only=True)
class Finding:
    """One problem (or fact) a rule found in a dataset.

    Attributes:
        rule: the code of the rule that found it, such as ``"integrity.missing-reference"``.
        severity: how much it matters.
        subject: the id of the record it is about, or ``None`` for the dataset as a whole.
        message: a sentence for a person. Rules never put personal data in it.
        figures: the values that triggered it, by name (read-only).
    """

    rule: str = attrs.field(
        validator=attrs.validators.and_(_rule_code, attrs.validators.max_len(100))
    )
    severity: Severity = attrs.field(converter=_severity)
    subject: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(str))
    )
    message: str = attrs.field(validator=attrs.validators.instance_of(str))
    figures: Mapping[str, Figure] = attrs.field(
        factory=dict, converter=_figures, hash=False, order=False
    )

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # The read-only figures view cannot be pickled or deep-copied: hand over a dict.
        args = (self.rule, self.severity, self.subject, self.message, dict(self.figures))
        return _finding, args

    def __str__(self) -> str:
        where = f" [{self.subject}]" if self.subject is not None else ""
        return f"{self.severity.name} {self.rule}{where}: {self.message}"

    @property
    def sort_key(self) -> tuple[int, str, str, str]:
        """Severity first, then rule, subject and message: the order of :class:`Findings`."""
        return (self.severity.rank, self.rule, self.subject or "", self.message)


def _finding(
    rule: str, severity: Severity, subject: str | None, message: str, figures: dict[str, Figure]
) -> Finding:
    """Rebuild a pickled or copied :class:`Finding`."""
    return Finding(rule=rule, severity=severity, subject=subject, message=message, figures=figures)


class Findings(tuple[Finding, ...]):
    """An ordered, immutable collection of findings, most severe first.

    It is a tuple, so it can be iterated, indexed, compared and stored, with a few views:

    >>> fs = Findings([
    ...     Finding(rule="b.rule", severity="warning", subject="x", message="look"),
    ...     Finding(rule="a.rule", severity="error", subject="y", message="wrong"),
    ... ])
    >>> [f.rule for f in fs]
    ['a.rule', 'b.rule']
    >>> fs.ok, len(fs.errors), fs.counts()
    (False, 1, {'a.rule': 1, 'b.rule': 1})
    >>> print(fs)
    2 findings (1 error, 1 warning):
      ERROR a.rule [y]: wrong
      WARNING b.rule [x]: look
    """

    __slots__ = ()

    def __new__(cls, findings: Iterable[Finding] = ()) -> Findings:
        """Collect ``findings`` (any iterable of :class:`Finding`), most severe first."""
        items = list(findings)
        for f in items:
            if not isinstance(f, Finding):
                raise TypeError(f"a rule must yield Finding values (got {type(f).__name__})")
        items.sort(key=lambda f: f.sort_key)
        return super().__new__(cls, items)

    @property
    def errors(self) -> Findings:
        """Only the findings of severity ERROR."""
        return self.where(severity=Severity.ERROR)

    @property
    def warnings(self) -> Findings:
        """Only the findings of severity WARNING."""
        return self.where(severity=Severity.WARNING)

    @property
    def ok(self) -> bool:
        """True when there is no ERROR finding."""
        return not any(f.severity is Severity.ERROR for f in self)

    def where(
        self,
        *,
        rule: str | None = None,
        severity: Severity | str | None = None,
        subject: str | None = None,
    ) -> Findings:
        """Filter by rule code (or a prefix ending in ``.``), severity and subject.

        >>> fs = Findings([Finding(rule="funds.overdrawn", severity="error", message="m")])
        >>> len(fs.where(rule="funds.")), len(fs.where(rule="donors."))
        (1, 0)
        """
        sev = None if severity is None else _severity(severity)

        def keep(f: Finding) -> bool:
            if rule is not None and not (
                f.rule == rule or (rule.endswith(".") and f.rule.startswith(rule))
            ):
                return False
            if sev is not None and f.severity is not sev:
                return False
            return subject is None or f.subject == subject

        return Findings(f for f in self if keep(f))

    def counts(self) -> dict[str, int]:
        """Number of findings per rule code, in code order."""
        return dict(sorted(Counter(f.rule for f in self).items()))

    def __str__(self) -> str:
        if not self:
            return "no findings"
        by_sev = Counter(f.severity for f in self)
        parts = [
            f"{by_sev[s]} {s.value}{'s' if by_sev[s] != 1 else ''}" for s in Severity if by_sev[s]
        ]
        n = len(self)
        head = f"{n} finding{'s' if n != 1 else ''} ({', '.join(parts)}):"
        return "\n".join([head, *(f"  {f}" for f in self)])

    def __repr__(self) -> str:
        return f"Findings({list(self)!r})"

    def __iter__(self) -> Iterator[Finding]:
        return super().__iter__()
