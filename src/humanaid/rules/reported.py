"""Rules for the figures an organisation reported (:class:`~humanaid.ReportedFigure`).

A report's figures can contradict each other before any record is read: parts that add
up to more than the total they belong to, a part counted in another unit than its total,
or a part from outside the total's period. These rules say so; they never change a
figure. Comparing figures with the records is :func:`humanaid.reconcile`'s work.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from humanaid._decimal import EXACT as _EXACT
from humanaid.findings import Finding, Severity
from humanaid.reported_figures import ReportedFigure
from humanaid.rules._helpers import link_cycles

if TYPE_CHECKING:
    from humanaid.dataset import Dataset, Rule

__all__ = [
    "REPORTED_RULES",
    "parts_in_the_total_unit",
    "parts_within_period",
    "parts_within_total",
    "parts_without_cycles",
]


def _parts(dataset: Dataset) -> Iterator[tuple[ReportedFigure, list[ReportedFigure]]]:
    """Each total with its parts; figures caught in a cycle of ``part_of`` are left out."""
    figures = dataset.records("reported_figures", missing_ok=True)
    cyclic = {fid for cycle in link_cycles({f.id: f.part_of for f in figures}) for fid in cycle}
    by_id = {f.id: f for f in figures}
    parts: dict[str, list[ReportedFigure]] = defaultdict(list)
    for f in figures:
        if f.part_of in by_id and f.id not in cyclic and f.part_of not in cyclic:
            parts[f.part_of].append(f)
    for total_id, members in parts.items():
        yield by_id[total_id], members


def _within(part: ReportedFigure, total: ReportedFigure) -> bool:
    p, t = part.period, total.period
    return t.start <= p.start and p.end <= t.end


def _shown(figure: ReportedFigure, amount: Decimal) -> str:
    """An exact amount in the figure's own 万 or 亿 and unit (元 for money)."""
    multiplier = figure.stated_multiplier
    scale = {"": 1, "万": 10_000, "亿": 100_000_000}[multiplier]
    unit = "元" if figure.is_money else figure.unit
    number = _EXACT.divide(amount, Decimal(scale)).normalize(_EXACT)
    return f"{number:f}{multiplier}{unit}"


def _same_unit(part: ReportedFigure, total: ReportedFigure) -> bool:
    # 元 and 人民币元 are both CNY: money adds up by currency, counts by their unit.
    if part.is_money or total.is_money:
        return part.currency == total.currency
    return part.unit == total.unit


def parts_within_total(dataset: Dataset) -> Iterator[Finding]:
    """The parts of a reported total can add up to no more than the total can be.

    Each printed figure is a range (:attr:`~humanaid.ReportedFigure.lower` up to, not
    including, :attr:`~humanaid.ReportedFigure.upper`). When the least the parts can add
    up to reaches the bound the total stays below, the figures cannot all be true
    together: rule code ``reports.parts-exceed-total``, severity ERROR, one finding per
    total, its subject the total and its ``parts`` figure the ids of the parts. Parts in
    another unit than the total, or from outside its period, are not added (they are
    left to ``reports.part-unit-mismatch`` and ``reports.part-outside-period``), nor are
    figures caught in a cycle of ``part_of`` (``reports.part-cycle``).
    """
    for total, members in _parts(dataset):
        same = sorted(
            (p for p in members if _same_unit(p, total) and _within(p, total)),
            key=lambda p: p.id,
        )
        if not same:
            continue
        least = Decimal(0)
        for p in same:
            least = _EXACT.add(least, p.lower)
        if least < total.upper:
            continue
        yield Finding(
            rule="reports.parts-exceed-total",
            severity=Severity.ERROR,
            subject=total.id,
            message=(
                f"the parts of '{total.subject} {total.stated}' add up to at least "
                f"{_shown(total, least)} ({' + '.join(p.stated for p in same)}), while the "
                f"total is less than {_shown(total, total.upper)}: the reported figures "
                "cannot all be true"
            ),
            figures={
                "stated": total.stated,
                "parts_at_least": least,
                "total_below": total.upper,
                "parts": ", ".join(p.id for p in same),
            },
        )


def parts_in_the_total_unit(dataset: Dataset) -> Iterator[Finding]:
    """A part is counted in its total's unit (``reports.part-unit-mismatch``, WARNING).

    "2.24万人" cannot be part of a figure in 户: the parts and the total would not add.
    """
    for total, members in _parts(dataset):
        for part in members:
            if not _same_unit(part, total):
                yield Finding(
                    rule="reports.part-unit-mismatch",
                    severity=Severity.WARNING,
                    subject=part.id,
                    message=(
                        f"'{part.subject} {part.stated}' is counted in {part.unit}, but the "
                        f"total it is part of, {total.id!r}, in {total.unit}"
                    ),
                    figures={"unit": part.unit, "total_unit": total.unit, "total": total.id},
                )


def parts_within_period(dataset: Dataset) -> Iterator[Finding]:
    """A part covers days inside its total's period (``reports.part-outside-period``).

    Severity WARNING: a 2021 figure cannot be part of a 2015-2020 total.
    """
    for total, members in _parts(dataset):
        for part in members:
            p, t = part.period, total.period
            if not _within(part, total):
                yield Finding(
                    rule="reports.part-outside-period",
                    severity=Severity.WARNING,
                    subject=part.id,
                    message=(
                        f"'{part.subject} {part.stated}' covers {p}, outside the period of "
                        f"the total it is part of, {total.id!r} ({t})"
                    ),
                    figures={"period": str(p), "total_period": str(t), "total": total.id},
                )


def parts_without_cycles(dataset: Dataset) -> Iterator[Finding]:
    """No figure is a part of itself, directly or through others (``reports.part-cycle``).

    Severity ERROR, one finding per cycle, its subject the cycle's first figure in id
    order; the figures in a cycle are left out of the other rules' sums.
    """
    figures = dataset.records("reported_figures", missing_ok=True)
    for cycle in link_cycles({f.id: f.part_of for f in figures}):
        first = min(cycle)
        at = cycle.index(first)
        ordered = cycle[at:] + cycle[:at]
        chain = " -> ".join([*ordered, first])
        yield Finding(
            rule="reports.part-cycle",
            severity=Severity.ERROR,
            subject=first,
            message=f"reported figures are parts of themselves through 'part_of': {chain}",
            figures={"cycle": ", ".join(ordered)},
        )


REPORTED_RULES: Final[tuple[Rule, ...]] = (
    parts_without_cycles,
    parts_within_total,
    parts_in_the_total_unit,
    parts_within_period,
)
"""The rules on reported figures, in the order :func:`humanaid.reconcile` runs them."""
