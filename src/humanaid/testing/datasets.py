"""Strategies for whole datasets and their findings, and the map of every record's strategy.

:func:`record_strategies` gathers the strategy of each record type from the family
modules; :func:`datasets` fills a :class:`~humanaid.Dataset`'s collections from it.
Re-exported by :mod:`humanaid.testing`.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from typing import Any, cast

from hypothesis import strategies as st

from humanaid.dataset import Dataset
from humanaid.findings import Finding, Severity
from humanaid.money import Money
from humanaid.periods import Period
from humanaid.testing._common import dates, decimals, ids, money, periods
from humanaid.testing.beneficiaries import record_strategies as _beneficiaries
from humanaid.testing.corrections import record_strategies as _corrections
from humanaid.testing.fundraising import record_strategies as _fundraising
from humanaid.testing.funds import record_strategies as _funds
from humanaid.testing.projects import record_strategies as _projects
from humanaid.testing.rates import record_strategies as _rates
from humanaid.testing.reported import record_strategies as _reported
from humanaid.testing.revolving import record_strategies as _revolving
from humanaid.testing.sites import record_strategies as _sites
from humanaid.testing.three_donations import record_strategies as _three_donations
from humanaid.testing.training import record_strategies as _training
from humanaid.testing.volunteers import record_strategies as _volunteers

__all__ = ["datasets", "findings", "record_strategies"]


def _figures() -> st.SearchStrategy[dict[str, Any]]:
    values: st.SearchStrategy[Any] = st.one_of(
        st.text(max_size=20),
        st.integers(min_value=-(10**9), max_value=10**9),
        decimals(min_value=-(10**6), max_value=10**6, places=4),
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
    label = st.text(
        st.characters(exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")), max_size=10
    )
    return st.fixed_dictionaries({"name": label, **parts}).map(
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
        **_fundraising(),  # organisations, donors and fundraising
        **_funds(),  # funds and the ledger
        **_beneficiaries(),  # persons, households, cases, screenings and distributions
        **_projects(),  # programmes, projects and results
        **_revolving(),  # village seed funds
        **_reported(),  # reported figures
        **_rates(),  # exchange rates
        **_volunteers(),  # volunteers, teams, activities, hours, members and dues
        **_sites(),  # service sites and their assessments
        **_training(),  # first-aid training, certificates and on-site rescues
        **_three_donations(),  # blood drives, donor registrations and their events
        **_corrections(),  # refunds, reversals, balance assertions, merges
    }
