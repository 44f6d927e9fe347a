"""Reconciliation: the figures a report printed beside the figures the records give.

A :class:`~humanaid.ReportedFigure` (in :mod:`humanaid.reported_figures`) keeps a figure
as printed and the range it stands for. :func:`reconcile` sets each beside the figure
computed from the records, marks the ones that disagree with a
``reports.figure-mismatch`` finding, and names the consistency findings of the report
itself (``reports.parts-exceed-total``, from :mod:`humanaid.rules.reported`) that
explain a disagreement: when a total's own parts add up to more than the total can be,
records that give more than the printed total are not the records' fault.

It runs the ``reports.*`` rules and returns a :class:`~humanaid.Table`, so it sits in
the figures layer, above the dataset and its rules; the record stays below them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from humanaid.dataset import Dataset
from humanaid.findings import Finding, Findings, Severity
from humanaid.money import Money
from humanaid.reported_figures import ReportedFigure, _amount
from humanaid.rules.reported import REPORTED_RULES
from humanaid.table import Column, ColumnKind, Table

__all__ = ["ReconciledFigure", "Reconciliation", "reconcile"]


@attrs.frozen(kw_only=True)
class ReconciledFigure:
    """A reported figure beside the one computed from the records.

    Attributes:
        figure: the reported figure.
        computed: the figure the records give, or ``None`` when none was computed.
        agrees: whether the computed figure lies in the printed figure's range (``False``
            when nothing was computed).
        explained_by: for a figure that disagrees with the records, the consistency
            findings that explain why: a ``reports.parts-exceed-total`` about this total
            when the records give more than the total can be (its own parts say it is
            too small). Empty for a figure that agrees, and for a disagreement nothing in
            the report explains.
    """

    figure: ReportedFigure
    computed: Money | Decimal | int | None
    agrees: bool
    explained_by: tuple[Finding, ...] = ()

    @property
    def computed_text(self) -> str:
        """The computed figure printed as the report prints its figure."""
        if self.computed is None:
            return "not computed"
        return self.figure.format_like(self.computed)


@attrs.frozen(kw_only=True)
class Reconciliation:
    """Reported figures beside the records' figures, with the findings that explain them.

    Attributes:
        figures: one :class:`ReconciledFigure` per reported figure, in the dataset's order.
        findings: the consistency findings among the reported figures
            (``reports.parts-exceed-total`` ...) and one ``reports.figure-mismatch``
            per figure that disagrees with the records.
    """

    figures: tuple[ReconciledFigure, ...]
    findings: Findings

    @property
    def unexplained(self) -> tuple[ReconciledFigure, ...]:
        """Figures that disagree with the records and that no consistency finding explains.

        A report and its records are reconciled when this is empty: every figure either
        matches, or the report's own figures show it cannot.
        """
        return tuple(f for f in self.figures if not f.agrees and not f.explained_by)

    def table(self, *, title: str | None = None) -> Table:
        """The figures as a table: stated, computed, agrees, and what explains a mismatch."""
        text = ColumnKind.TEXT
        columns = [
            Column("figure", text, key=True),
            Column("subject", text),
            Column("stated", text),
            Column("computed", text),
            Column("agrees", text),
            Column("explained by", text),
        ]
        rows = [
            (
                r.figure.id,
                r.figure.subject,
                r.figure.stated,
                r.computed_text,
                "yes" if r.agrees else "no",
                ", ".join(sorted({f.rule for f in r.explained_by})),
            )
            for r in self.figures
        ]
        return Table(columns=columns, rows=rows, title=title or "Reported and computed figures")


def _explains(finding: Finding, figure: ReportedFigure, computed: Decimal | None) -> bool:
    """Whether ``finding`` explains why the records give ``computed`` for ``figure``.

    Parts that cannot fit in their total explain a total the records put above it, and
    nothing else: not a computed total below the printed one, nor a part's mismatch.
    """
    return (
        finding.rule == "reports.parts-exceed-total"
        and finding.subject == figure.id
        and computed is not None
        and computed >= figure.upper
    )


def reconcile(
    dataset: Dataset,
    computed: Mapping[str, Money | Decimal | int],
    *,
    findings: Iterable[Finding] | None = None,
) -> Reconciliation:
    """Each reported figure beside the figure the records give, and why they differ.

    ``reports.figure-mismatch`` (WARNING): the figure computed from the records lies
    outside the range the printed figure stands for. One such finding per figure that
    disagrees; a figure nothing was computed for is not one.

    Args:
        dataset: the dataset holding the ``reported_figures``.
        computed: the figures computed from the records (with the library's summaries),
            by reported figure id.
        findings: the dataset's findings, if already computed (``dataset.validate()``);
            otherwise the ``reports.*`` rules are run here.

    Raises:
        ValueError: if ``computed`` names a figure the dataset does not hold, or holds a
            Decimal that is not finite.
        TypeError: if a computed figure is not Money, an int or a Decimal.

    >>> from datetime import date
    >>> from humanaid import Dataset, Money, Organization, Period, ReportedFigure
    >>> six_years = Period(date(2015, 1, 1), date(2020, 12, 31))
    >>> ds = Dataset(
    ...     organizations=[Organization(id="qj", name="曲靖市红十字会", level="city")],
    ...     reported_figures=[
    ...         ReportedFigure(id="put-in", organization_id="qj", subject="投入帮扶资金物资",
    ...                        stated="4189万元", period=six_years),
    ...         ReportedFigure(id="goods-2019", organization_id="qj", subject="爱心超市物资",
    ...                        stated="3877.99万元", period=Period.year(2019), part_of="put-in"),
    ...         ReportedFigure(id="goods-2020", organization_id="qj", subject="博爱送万家物资",
    ...                        stated="989.32万元", period=Period.year(2020), part_of="put-in"),
    ...     ],
    ... )
    >>> r = reconcile(ds, {"put-in": Money("48673100"), "goods-2019": Money("38779900"),
    ...                    "goods-2020": Money("9893200")})
    >>> print(r.table().select("figure", "stated", "computed", "agrees", "explained by"))
    Reported and computed figures
    figure      stated       computed     agrees  explained by
    ----------  -----------  -----------  ------  --------------------------
    put-in      4189万元     4867万元     no      reports.parts-exceed-total
    goods-2019  3877.99万元  3877.99万元  yes
    goods-2020  989.32万元   989.32万元   yes
    >>> r.unexplained
    ()
    >>> print(r.findings.where(rule="reports.parts-exceed-total")[0].message)
    ... # doctest: +NORMALIZE_WHITESPACE
    the parts of '投入帮扶资金物资 4189万元' add up to at least 4867.3万元 (3877.99万元 +
    989.32万元), while the total is less than 4189.5万元: the reported figures cannot
    all be true
    """
    figures = dataset.records("reported_figures")
    known = {f.id for f in figures}
    unknown = sorted(set(computed) - known)
    if unknown:
        raise ValueError(f"'computed' names figures the dataset does not hold: {unknown}")
    if findings is None:
        found = [f for rule in REPORTED_RULES for f in rule(dataset)]
    else:
        found = [f for f in findings if f.rule.startswith("reports.")]
    consistency = [f for f in found if f.rule != "reports.figure-mismatch"]
    rows: list[ReconciledFigure] = []
    mismatches: list[Finding] = []
    for figure in figures:
        value = computed.get(figure.id)
        amount = None if value is None else _amount(figure, value)
        agrees = value is not None and figure.admits(value)
        reasons = () if agrees else tuple(f for f in consistency if _explains(f, figure, amount))
        rows.append(
            ReconciledFigure(figure=figure, computed=value, agrees=agrees, explained_by=reasons)
        )
        if value is not None and not agrees:
            mismatches.append(
                Finding(
                    rule="reports.figure-mismatch",
                    severity=Severity.WARNING,
                    subject=figure.id,
                    message=(
                        f"{figure.subject} was reported as {figure.stated}; the records "
                        f"give {figure.format_like(value)}"
                    ),
                    figures={"stated": figure.stated, "computed": value},
                )
            )
    return Reconciliation(figures=tuple(rows), findings=Findings([*consistency, *mismatches]))
