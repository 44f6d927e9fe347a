"""Charity-law spending ratios as a dataset rule (see :mod:`humanaid.compliance`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from humanaid._decimal import percent
from humanaid.compliance import (
    SPENDING_RULES,
    CharityForm,
    SpendingRule,
    SpendingVerdict,
    assess_spending,
    yearly_books,
)
from humanaid.findings import Finding, Severity
from humanaid.funds import (
    Boundary,
)

if TYPE_CHECKING:
    from humanaid.dataset import Dataset, Rule

__all__ = ["DEFAULT_CHARITY_FORMS", "charity_spending_ratios", "spending_ratio_rule"]

DEFAULT_CHARITY_FORMS: Final[Mapping[str, CharityForm]] = MappingProxyType(
    {
        "foundation": CharityForm.FOUNDATION,
        "social_group": CharityForm.SOCIAL_GROUP,
        "red_cross_society": CharityForm.SOCIAL_GROUP,
    }
)
"""Organisation kind -> the legal form whose ratios apply (other kinds are not checked)."""


def spending_ratio_rule(
    *,
    years: Sequence[int] | None = None,
    forms: Mapping[str, CharityForm] | None = None,
    table: Sequence[SpendingRule] = SPENDING_RULES,
) -> Rule:
    """Make a spending-ratio rule with your own years, forms or threshold table.

    Args:
        years: the years to check (default: every year with flows in it and the year
            before).
        forms: organisation id or kind -> legal form (ids win over kinds); default
            :data:`DEFAULT_CHARITY_FORMS`.
        table: the thresholds (default :data:`humanaid.SPENDING_RULES`).
    """
    chosen = dict(DEFAULT_CHARITY_FORMS if forms is None else forms)

    def charity_spending_ratios(dataset: Dataset) -> Iterator[Finding]:
        """Check each charity's yearly spending and administrative costs against the law.

        Rule codes ``compliance.spending-below-floor`` and
        ``compliance.admin-above-ceiling``; each finding states the figures, the ratio,
        the threshold and its legal source. The ratios are taken in CNY: a year whose
        figures would need money in another currency (flows of that year or of the
        previous years it is judged against) is not judged but reported as
        ``compliance.currency-not-counted`` (a warning), since converting needs a rate.
        """
        collections = dataset.collection_types()
        if "organizations" not in collections or "funds" not in collections:
            return
        holders = {f.organization_id for f in dataset.records("funds")}
        judged: list[tuple[Any, CharityForm, Boundary]] = []
        for org in dataset.records("organizations"):
            form = chosen.get(org.id) or chosen.get(str(getattr(org, "kind", "")))
            if form is None or org.id not in holders:
                continue
            judged.append((org, form, Boundary.organization(dataset, org.id)))
        if not judged:
            return
        ledger = dataset.ledger()
        books = yearly_books(ledger, [b for _, _, b in judged])
        for (org, form, _), book in zip(judged, books, strict=True):
            if not book.active:
                continue  # no flow touched it: nothing to judge
            # its active years are years of the ledger's flows: no pass over them for those
            check = (
                years
                if years is not None
                else [y for y in sorted(book.active) if y - 1 in book.active]
            )
            for year in check:
                figures = book.figures(year)
                if not figures.prior_net_assets:
                    continue  # nothing is known of the year before: no ratio to judge
                used = range(year - len(figures.prior_net_assets), year + 1)
                others = sorted(set().union(*(book.foreign.get(y, set()) for y in used)))
                if others:
                    yield _not_counted(org.id, year, others)
                    continue
                public = _holds_public(org, date(year, 12, 31))
                verdict = assess_spending(figures, form, public=public, table=table)
                yield from _findings(org.id, form, public, verdict)

    return charity_spending_ratios


def _not_counted(org_id: str, year: int, currencies: Sequence[str]) -> Finding:
    listed = ", ".join(currencies)
    return Finding(
        rule="compliance.currency-not-counted",
        severity=Severity.WARNING,
        subject=org_id,
        message=(
            f"{org_id}'s spending ratios for {year} were not judged: the ratios are taken in "
            f"CNY and money in {listed} moved in that year or the years before it; convert "
            "it to CNY to have them judged"
        ),
        figures={"year": year, "currencies": listed},
    )


def _holds_public(org: Any, on: date) -> bool:
    holds = getattr(org, "holds", None)
    return bool(holds("public_fundraising", on=on)) if callable(holds) else False


def _findings(
    org_id: str, form: CharityForm, public: bool, v: SpendingVerdict
) -> Iterator[Finding]:
    f = v.figures
    kind = f"{'public' if public else 'non-public'} {form.value.replace('_', ' ')}"
    if not v.spending_ok:
        base = (
            "previous year's income"
            if v.rule.base.value == "prior_year_income"
            else ("previous year-end net assets")
        )
        yield Finding(
            rule="compliance.spending-below-floor",
            severity=Severity.ERROR,
            subject=org_id,
            message=(
                f"{org_id} ({kind}) spent {f.charitable_spending.format(unit='万元')} on "
                f"charitable activities in {f.year}: {percent(v.spending_ratio)} of its {base}"
                f" (three-year average: {percent(v.spending_ratio_3y)}), below the "
                f"{percent(v.rule.min_spending_ratio)} floor"
                + (
                    f" or {percent(v.income_ratio)} of income, "
                    f"below {percent(v.rule.min_income_ratio)}"
                    if v.rule.min_income_ratio is not None
                    else ""
                )
                + f" ({v.rule.source})"
            ),
            figures={
                "year": f.year,
                "charitable_spending": f.charitable_spending,
                "base": (f.prior_income if v.rule.base.value == "prior_year_income"
                         else f.prior_net_assets)[0],
                "ratio": v.spending_ratio if v.spending_ratio is not None else "n/a",
                "floor": v.rule.min_spending_ratio,
                "source": v.rule.source,
            },
        )  # fmt: skip
    if not v.admin_ok:
        yield Finding(
            rule="compliance.admin-above-ceiling",
            severity=Severity.ERROR,
            subject=org_id,
            message=(
                f"{org_id} ({kind}) spent {f.admin_costs.format(unit='万元')} on administration"
                f" in {f.year}: {percent(v.admin_ratio)} of its total spending of "
                f"{f.total_spending.format(unit='万元')}, above the "
                f"{percent(v.rule.max_admin_ratio)} ceiling ({v.rule.source})"
            ),
            figures={
                "year": f.year,
                "admin_costs": f.admin_costs,
                "total_spending": f.total_spending,
                "ratio": v.admin_ratio if v.admin_ratio is not None else "n/a",
                "ceiling": v.rule.max_admin_ratio,
                "source": v.rule.source,
            },
        )


charity_spending_ratios = spending_ratio_rule()
"""The built-in spending-ratio rule: every charity, every year with a year before it."""
