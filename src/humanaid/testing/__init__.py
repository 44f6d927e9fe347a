"""Hypothesis strategies for humanaid's values and records, for your tests too.

Every strategy takes keyword arguments only, in Hypothesis' own style
(``min_value``/``max_value``), and builds valid values: records made here always pass
their own validators. ``st.builds()`` cannot see the library's validators, so these are
written by hand.

This package's face gathers them from their rooms, one per family (``fundraising``,
``funds``, ``beneficiaries``, ``projects``, ``revolving``, ``reported``, ``training``,
``three_donations``, ``corrections`` (refunds, reversals, transaction numbers, balance
assertions, merges), ``datasets``
and ``events`` for whole datasets, and ``books`` for a society's books, over which the
laws of counting by crossing are stated). Every family draws its ids, money, days, text
and kinds from one set of building blocks (``humanaid.testing._common``), so what a valid
id or amount is, is said once.

This package needs Hypothesis (the ``test`` extra): ``pip install 'humanaid[test]'``.

>>> from hypothesis import given
>>> @given(money(currency="CNY", min_value="0.01", max_value="100.00"))
... def test_gifts_are_positive(m):
...     assert m.is_positive()
>>> test_gifts_are_positive()
"""

from __future__ import annotations

try:
    import hypothesis  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from humanaid._extras import missing_extra

    raise missing_extra("humanaid.testing", "hypothesis", "test") from exc

from humanaid.testing._common import (
    currencies,
    dates,
    ids,
    money,
    periods,
    phone_numbers,
)
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
from humanaid.testing.books import organization_splits, rewired_books, society_books
from humanaid.testing.corrections import (
    balance_assertions,
    merges,
    refunds,
    reversals,
    transaction_refs,
)
from humanaid.testing.datasets import datasets, findings, record_strategies
from humanaid.testing.events import event_datasets
from humanaid.testing.fundraising import (
    admin_areas,
    campaigns,
    donations,
    donors,
    governances,
    in_kind_items,
    organizations,
    personal_names,
    pledges,
    qualifications,
    restrictions,
)
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
from humanaid.testing.rates import exchange_rates
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
from humanaid.testing.sites import service_sites, site_assessments
from humanaid.testing.summaries import summary_datasets
from humanaid.testing.three_donations import (
    blood_donations,
    blood_drives,
    completed_donations,
    consent_withdrawals,
    donor_registrations,
    hla_matches,
    registration_lives,
)
from humanaid.testing.training import (
    assessments,
    attendances,
    certificates,
    courses,
    on_site_rescues,
    trainers,
)
from humanaid.testing.volunteers import (
    dues_payments,
    members,
    service_activities,
    service_hours,
    volunteer_teams,
    volunteers,
)

__all__ = [
    "admin_areas",
    "assessments",
    "attendances",
    "balance_assertions",
    "blood_donations",
    "blood_drives",
    "campaigns",
    "case_events",
    "cases",
    "certificates",
    "chinese_names",
    "completed_donations",
    "consent_withdrawals",
    "courses",
    "currencies",
    "datasets",
    "dates",
    "disaggregations",
    "distributions",
    "donations",
    "donor_registrations",
    "donors",
    "dues_payments",
    "event_datasets",
    "exchange_rates",
    "findings",
    "flows",
    "funding_shares",
    "funds",
    "governances",
    "hla_matches",
    "households",
    "ids",
    "in_kind_items",
    "indicator_values",
    "indicators",
    "installments",
    "lending_terms",
    "loans",
    "members",
    "merges",
    "money",
    "on_site_rescues",
    "organization_splits",
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
    "refunds",
    "registration_lives",
    "repayments",
    "reported_figures",
    "reschedules",
    "resident_ids",
    "restrictions",
    "reversals",
    "revolving_funds",
    "rewired_books",
    "screenings",
    "service_activities",
    "service_hours",
    "service_sites",
    "site_assessments",
    "society_books",
    "stated_figures",
    "summary_datasets",
    "trainers",
    "transaction_refs",
    "volunteer_teams",
    "volunteers",
    "write_offs",
]
