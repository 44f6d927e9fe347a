"""A dataset's ledger: every flow its records hold or imply, in one :class:`~humanaid.Ledger`.

Money events are recorded in many collections: flows, donations, loans, repayments and
write-offs. :func:`dataset_flows` gathers the flows of all of them, each event once, and
:func:`dataset_ledger` builds the ledger of those flows, which every balance and figure
of the dataset reads (:meth:`humanaid.Dataset.ledger` keeps it, built once).

This room sits in the dataset layer, above the domain modules whose flows it gathers
(:mod:`humanaid.funds` for donations, :mod:`humanaid.revolving` for loans), so that
neither of them needs the other.

>>> from datetime import date
>>> from humanaid import Dataset, Donation, Money, Party
>>> gift = Donation(id="g1", donor_id="d1", organization_id="society",
...                 received_on=date(2020, 5, 1), value=Money("500"), fees=Money("3"))
>>> [(f.id, str(f.source), str(f.destination)) for f in dataset_flows(Dataset(donations=[gift]))]
[('donation:g1', 'donor:d1', 'organization:society'),
 ('donation:g1:fees', 'organization:society', 'outside:platform')]
>>> dataset_ledger(Dataset(donations=[gift])).balance(Party.organization("society"))
Money('497.00', 'CNY')
"""

from __future__ import annotations

from humanaid import _gc
from humanaid.funds import Flow, Ledger, donation_flows
from humanaid.money import DEFAULT_CURRENCY
from humanaid.revolving import revolving_flows
from humanaid.source import RecordSource

__all__ = ["dataset_flows", "dataset_ledger"]


def dataset_flows(dataset: RecordSource) -> tuple[Flow, ...]:
    """The dataset's flows plus the flows its records imply and no flow stems from yet.

    Donations imply their gift and fees (:func:`humanaid.donation_flows`); loans,
    repayments and write-offs imply theirs (:func:`humanaid.revolving_flows`). Works with
    any :class:`~humanaid.source.RecordSource`: collections it lacks are skipped.
    """
    collections = dataset.collection_types()
    flows: list[Flow] = list(dataset.records("flows")) if "flows" in collections else []
    if "donations" in collections:
        covered = {
            f.origin.id
            for f in flows
            if f.origin is not None and f.origin.collection == "donations"
        }
        with _gc.paused():  # a flow or two for each of (perhaps) a million gifts
            for donation in dataset.records("donations"):
                if donation.id not in covered:
                    flows.extend(donation_flows(donation))
    if "loans" in collections:
        flows.extend(revolving_flows(dataset, covered_by=flows))
    return tuple(flows)


def dataset_ledger(dataset: RecordSource, *, currency: str = DEFAULT_CURRENCY) -> Ledger:
    """A new ledger of every flow the dataset holds or implies (:func:`dataset_flows`).

    :meth:`humanaid.Dataset.ledger` builds its ledger with this and keeps it; call that
    instead to share the one ledger. A :class:`~humanaid.source.RecordSource` of your own
    can build its ``ledger()`` with this function too.
    """
    return Ledger(dataset_flows(dataset), currency=currency)
