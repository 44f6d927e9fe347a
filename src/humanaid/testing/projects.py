"""Hypothesis strategies for programmes, projects and results (re-exported by humanaid.testing).

Every strategy builds valid records, from the shared building blocks of
:mod:`humanaid.testing._common`. A project's funding plan is in its budget's currency; by
default about half the plans add up to the budget exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from humanaid.beneficiaries import Sex
from humanaid.funds import Party, PartyKind
from humanaid.money import Money
from humanaid.periods import Period
from humanaid.projects import (
    Disaggregation,
    FundingShare,
    FundingSourceKind,
    Indicator,
    IndicatorAggregation,
    IndicatorValue,
    Program,
    ProgramBatch,
    Project,
    ProjectKind,
    ProjectStatus,
)
from humanaid.testing._common import decimals, money_units, short_ids
from humanaid.testing._common import periods as any_periods
from humanaid.testing.funds import parties

__all__ = [
    "disaggregations",
    "funding_shares",
    "indicator_values",
    "indicators",
    "program_batches",
    "programs",
    "projects",
]

_NAMES = st.sampled_from(["博爱家园", "救心行动", "博爱送万家", "红基工程", "village project"])
_AGE_GROUPS = st.sampled_from(["0-17", "18-59", "60+", "0-5"])


def _budgets(currency: str) -> st.SearchStrategy[Money]:
    """Positive amounts up to 10**10 minor units (1亿元): budgets and their shares."""
    return money_units(currency=currency, max_value=10**10)


def _funders() -> st.SearchStrategy[Party | None]:
    return st.none() | parties(kinds=[PartyKind.ORGANIZATION, PartyKind.DONOR, PartyKind.FUND])


def funding_shares(*, currency: str = "CNY") -> st.SearchStrategy[FundingShare]:
    """Funding shares of any source kind, with or without a named funder."""
    return st.builds(
        FundingShare,
        source=st.sampled_from(FundingSourceKind),
        amount=_budgets(currency),
        funder=_funders(),
    )


def _plan(
    budget: Money, ratios: Sequence[tuple[FundingSourceKind, int]], exact: bool, extra: int
) -> tuple[FundingShare, ...]:
    weights: dict[FundingSourceKind, int] = {}
    for kind, weight in ratios:
        weights[kind] = weights.get(kind, 0) + weight
    shares = FundingShare.split(budget, weights) if any(weights.values()) else ()
    if exact or not shares:
        return shares
    first = shares[0]
    bumped = FundingShare(
        source=first.source,
        amount=first.amount + Money.from_minor_units(extra, budget.currency),
        funder=first.funder,
    )
    return (bumped, *shares[1:])


def projects(
    *,
    currency: str = "CNY",
    program_ids: Sequence[str] | None = None,
    organization_ids: Sequence[str] | None = None,
    min_date: date = date(2010, 1, 1),
    max_date: date = date(2030, 12, 31),
) -> st.SearchStrategy[Project]:
    """Valid projects with a funding plan in the budget's currency.

    Args:
        currency: the budget's currency.
        program_ids: programmes to draw ``program_id`` from (default: any id, or none).
        organization_ids: owners to draw from (default: any id).
        min_date: the earliest day of a period.
        max_date: the latest day of a period.
    """
    program = st.none() | (st.sampled_from(list(program_ids)) if program_ids else short_ids())
    owner = st.sampled_from(list(organization_ids)) if organization_ids else short_ids()
    ratios = st.lists(
        st.tuples(st.sampled_from(FundingSourceKind), st.integers(min_value=0, max_value=10)),
        max_size=4,
    )

    @st.composite
    def build(draw: st.DrawFn) -> Project:
        budget = draw(_budgets(currency))
        funding = _plan(
            budget,
            draw(ratios),
            draw(st.booleans()),
            draw(st.integers(min_value=1, max_value=10**6)),
        )
        return Project(
            id=draw(short_ids()),
            name=draw(_NAMES),
            kind=draw(st.sampled_from(ProjectKind)),
            organization_id=draw(owner),
            period=draw(any_periods(min_value=min_date, max_value=max_date)),
            budget=budget,
            status=draw(st.sampled_from(ProjectStatus)),
            program_id=draw(program),
            batch=draw(st.none() | st.integers(min_value=1, max_value=12)),
            area_id=draw(st.none() | st.sampled_from(["530326", "530381", "530323001"])),
            funding=funding,
        )

    return build()


def program_batches(*, currency: str = "CNY") -> st.SearchStrategy[ProgramBatch]:
    """What a programme states about one batch."""
    return st.builds(
        ProgramBatch,
        number=st.integers(min_value=1, max_value=12),
        projects=st.none() | st.integers(min_value=1, max_value=50),
        budget=st.none() | _budgets(currency),
    )


def programs(*, currency: str = "CNY") -> st.SearchStrategy[Program]:
    """Valid programmes, sometimes with stated totals and batches (unique numbers)."""
    return st.builds(
        Program,
        id=short_ids(),
        name=_NAMES,
        organization_id=short_ids(),
        kind=st.none() | st.sampled_from(ProjectKind),
        stated_budget=st.none() | _budgets(currency),
        stated_projects=st.none() | st.integers(min_value=1, max_value=100),
        stated_batches=st.none() | st.integers(min_value=1, max_value=12),
        batches=st.lists(
            program_batches(currency=currency), max_size=4, unique_by=lambda b: b.number
        ).map(tuple),
    )


def indicators() -> st.SearchStrategy[Indicator]:
    """Indicators of every aggregation."""
    return st.builds(
        Indicator,
        id=short_ids(),
        name=_NAMES,
        unit=st.sampled_from(["persons", "person-times", "households", "stations"]),
        aggregation=st.sampled_from(IndicatorAggregation),
        description=st.sampled_from(["", "救护员培训", "households reached so far"]),
    )


def disaggregations() -> st.SearchStrategy[Disaggregation]:
    """A sex, an age group or both."""
    return st.one_of(
        st.builds(Disaggregation, sex=st.sampled_from(Sex)),
        st.builds(Disaggregation, age_group=_AGE_GROUPS),
        st.builds(Disaggregation, sex=st.sampled_from(Sex), age_group=_AGE_GROUPS),
    )


def _figures() -> st.SearchStrategy[Decimal]:
    return st.one_of(
        st.integers(min_value=0, max_value=10**9).map(Decimal),
        decimals(min_value=0, max_value=10**6, places=2),
    )


def indicator_values(
    *,
    indicator_ids: Sequence[str] | None = None,
    project_ids: Sequence[str] | None = None,
    periods: Sequence[Period] | None = None,
    disaggregated: bool = True,
) -> st.SearchStrategy[IndicatorValue]:
    """Valid indicator values for a project or an organisation.

    Args:
        indicator_ids: indicators to draw from (default: any id).
        project_ids: projects to draw from; when given, every value is for a project.
        periods: periods to draw from (default: any period from 2015 to 2025).
        disaggregated: whether values may carry a disaggregation.
    """
    indicator = st.sampled_from(list(indicator_ids)) if indicator_ids else short_ids()
    period = (
        st.sampled_from(list(periods))
        if periods
        else any_periods(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31))
    )
    subject: st.SearchStrategy[tuple[str | None, str | None]]
    if project_ids:
        subject = st.sampled_from(list(project_ids)).map(lambda p: (p, None))
    else:
        subject = st.one_of(
            short_ids().map(lambda p: (p, None)), short_ids().map(lambda o: (None, o))
        )
    breakdown = (st.none() | disaggregations()) if disaggregated else st.none()

    @st.composite
    def build(draw: st.DrawFn) -> IndicatorValue:
        project_id, organization_id = draw(subject)
        return IndicatorValue(
            id=draw(short_ids()),
            indicator_id=draw(indicator),
            period=draw(period),
            value=draw(_figures()),
            project_id=project_id,
            organization_id=organization_id,
            target=draw(st.booleans()),
            disaggregation=draw(breakdown),
        )

    return build()


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this module and its default strategy (for ``record_strategies``)."""
    return {
        Program: programs,
        ProgramBatch: program_batches,
        Project: projects,
        FundingShare: funding_shares,
        Indicator: indicators,
        IndicatorValue: indicator_values,
        Disaggregation: disaggregations,
    }
