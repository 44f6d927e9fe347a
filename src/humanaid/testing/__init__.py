"""Hypothesis strategies for humanaid's values and records, for your tests too.

Every strategy takes keyword arguments only, in Hypothesis' own style
(``min_value``/``max_value``), and builds valid values: records made here always pass
their own validators. ``st.builds()`` cannot see the library's validators, so these are
written by hand.

This module needs Hypothesis (the ``test`` extra): ``pip install 'humanaid[test]'``.

>>> from hypothesis import given
>>> @given(money(currency="CNY", min_value="0.01", max_value="100.00"))
... def test_gifts_are_positive(m):
...     assert m.is_positive()
>>> test_gifts_are_positive()
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

try:
    from hypothesis import strategies as st
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "humanaid.testing needs Hypothesis: install the test extra with "
        "pip install 'humanaid[test]'"
    ) from exc

from humanaid._currencies import MINOR_UNITS
from humanaid.testing.beneficiaries import (
    case_events,
    cases,
    chinese_names,
    distributions,
    households,
    persons,
    pseudonyms,
    resident_ids,
    screenings,
)
from humanaid.testing.beneficiaries import record_strategies as _beneficiary_strategies
from humanaid.testing.fundraising import (
    admin_areas,
    campaigns,
    donations,
    donors,
    governances,
    in_kind_items,
    organizations,
    personal_names,
    phone_numbers,
    pledges,
    qualifications,
    restrictions,
)
from humanaid.testing.fundraising import record_strategies as _fundraising_strategies
from humanaid.testing.funds import flows, funds, parties
from humanaid.testing.projects import (
    disaggregations,
    funding_shares,
    indicator_values,
    indicators,
    program_batches,
    programs,
    projects,
)
from humanaid.testing.reported import record_strategies as _reported_strategies
from humanaid.testing.reported import reported_figures, stated_figures
from humanaid.testing.revolving import (
    installments,
    lending_terms,
    loans,
    repayments,
    reschedules,
    revolving_funds,
    write_offs,
)
from humanaid.testing.revolving import record_strategies as _revolving_strategies
from humanaid.dataset import Dataset
from humanaid.findings import Finding, Severity
from humanaid.funds import Flow, Fund, Party
from humanaid.money import MAX_AMOUNT, Money
from humanaid.periods import Period
from humanaid.projects import (
    Disaggregation,
    FundingShare,
    Indicator,
    IndicatorValue,
    Program,
    ProgramBatch,
    Project,
)

__all__ = [
    "admin_areas",
    "campaigns",
    "case_events",
    "cases",
    "chinese_names",
    "currencies",
    "datasets",
    "dates",
    "disaggregations",
    "distributions",
    "donations",
    "donors",
    "findings",
    "flows",
    "funding_shares",
    "funds",
    "governances",
    "households",
    "ids",
    "in_kind_items",
    "indicator_values",
    "indicators",
    "installments",
    "lending_terms",
    "loans",
    "money",
    "organizations",
    "parties",
    "periods",
    "personal_names",
    "persons",
    "phone_numbers",
    "pledges",
    "program_batches",
    "programs",
    "projects",
    "pseudonyms",
    "qualifications",
    "record_strategies",
    "repayments",
    "reported_figures",
    "reschedules",
    "resident_ids",
    "restrictions",
    "revolving_funds",
    "screenings",
    "stated_figures",
    "write_offs",
]

_ID_ALPHABET = string.ascii_letters + string.digits + "-_.:/"


def ids(*, prefix: str = "") -> st.SearchStrategy[str]:
    """Valid record ids: ``prefix`` followed by 1 to 12 id-safe characters.

    >>> from hypothesis import given
    >>> @given(ids(prefix="donor-"))
    ... def test_prefixed(i):
    ...     assert i.startswith("donor-") and len(i) > 6
    >>> test_prefixed()
    """
    return st.text(_ID_ALPHABET, min_size=1, max_size=12).map(lambda s: prefix + s)


def currencies() -> st.SearchStrategy[str]:
    """ISO 4217 codes that :class:`~humanaid.Money` accepts, shrinking towards CNY."""
    return st.sampled_from(["CNY", *sorted(c for c in MINOR_UNITS if c != "CNY")])


def money(
    *,
    currency: str | None = "CNY",
    min_value: str | int | Decimal | None = None,
    max_value: str | int | Decimal | None = None,
) -> st.SearchStrategy[Money]:
    """Exact amounts of money.

    Args:
        currency: the currency, or ``None`` for any known currency.
        min_value: the smallest amount (default ``-10**12``).
        max_value: the largest amount (default ``10**12``).
    """
    if currency is None:
        return currencies().flatmap(
            lambda c: money(currency=c, min_value=min_value, max_value=max_value)
        )
    places = MINOR_UNITS[currency]
    low = Money(min_value if min_value is not None else -(10**12), currency)
    high = Money(max_value if max_value is not None else 10**12, currency)
    if low > high:
        raise ValueError(f"min_value {low} is greater than max_value {high}")
    if abs(high.amount) >= MAX_AMOUNT:  # pragma: no cover - Money already refused it
        raise ValueError("max_value is too large")
    return st.integers(min_value=low.minor_units, max_value=high.minor_units).map(
        lambda units: Money(Decimal(units).scaleb(-places), currency)
    )


def dates(
    *, min_value: date = date(2000, 1, 1), max_value: date = date(2035, 12, 31)
) -> st.SearchStrategy[date]:
    """Calendar dates (never datetimes), 2000 to 2035 by default."""
    return st.dates(min_value=min_value, max_value=max_value)


def periods(
    *, min_value: date = date(2000, 1, 1), max_value: date = date(2035, 12, 31)
) -> st.SearchStrategy[Period]:
    """Periods within ``min_value`` .. ``max_value``, from single days to many years."""
    return st.tuples(
        dates(min_value=min_value, max_value=max_value),
        dates(min_value=min_value, max_value=max_value),
    ).map(lambda ab: Period(min(ab), max(ab)))


def _figures() -> st.SearchStrategy[dict[str, Any]]:
    values: st.SearchStrategy[Any] = st.one_of(
        st.text(max_size=20),
        st.integers(min_value=-(10**9), max_value=10**9),
        st.decimals(
            allow_nan=False, allow_infinity=False, places=4, max_value=10**6, min_value=-(10**6)
        ),
        money(currency=None),
        dates(),
    )
    return st.dictionaries(
        st.text(string.ascii_lowercase + "_", min_size=1, max_size=10), values, max_size=4
    )


def findings() -> st.SearchStrategy[Finding]:
    """Findings with any severity, a subject or none, and a few figures of each kind."""
    return st.builds(
        Finding,
        rule=st.from_regex(r"[a-z]{1,8}\.[a-z][a-z-]{0,12}", fullmatch=True),
        severity=st.sampled_from(Severity),
        subject=st.none() | ids(),
        message=st.text(max_size=40),
        figures=_figures(),
    )


def datasets(
    *,
    cls: type[Dataset] = Dataset,
    collections: Mapping[str, st.SearchStrategy[Any]] | None = None,
    max_size: int = 5,
) -> st.SearchStrategy[Dataset]:
    """Datasets of ``cls`` whose collections hold records drawn from ``collections``.

    ``collections`` maps a collection name to a strategy for one record; by default each
    collection of ``cls`` with a known strategy (see :func:`record_strategies`) is used.
    Ids are made unique per collection so the datasets are free of duplicate-id findings;
    references between records are not made to resolve.
    """
    known = record_strategies()
    chosen: dict[str, st.SearchStrategy[Any]] = {}
    for name, record_type in cls.collection_types().items():
        if collections is not None:
            if name in collections:
                chosen[name] = collections[name]
        elif record_type in known:
            chosen[name] = known[record_type]()
    parts = {
        name: st.lists(strategy, max_size=max_size, unique_by=lambda r: r.id)
        for name, strategy in chosen.items()
    }
    return st.fixed_dictionaries({"name": st.text(max_size=10), **parts}).map(
        lambda kw: cls(**cast(dict[str, Any], kw))
    )


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """A new map from each record type to a function making its default strategy.

    The library's own tests use it to check every record type (for example that
    ``from_json(to_json(x)) == x``); use it to do the same for yours.
    """
    return {
        Money: lambda: money(currency=None),
        Period: periods,
        Finding: findings,
        Dataset: datasets,
        # organisations, donors and fundraising
        **_fundraising_strategies(),
        # funds and the ledger
        Fund: funds,
        Flow: flows,
        Party: parties,
        # beneficiaries, cases, screenings and distributions
        **_beneficiary_strategies(),
        # programmes, projects and results
        Program: programs,
        ProgramBatch: program_batches,
        Project: projects,
        FundingShare: funding_shares,
        Indicator: indicators,
        IndicatorValue: indicator_values,
        Disaggregation: disaggregations,
        # village seed funds
        **_revolving_strategies(),
        # reported figures
        **_reported_strategies(),
    }
