"""Hypothesis strategies for funds, parties and flows (re-exported by :mod:`humanaid.testing`).

Every strategy builds valid records from the shared building blocks of
:mod:`humanaid.testing._common`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
from hypothesis import strategies as st

from humanaid.funds import Flow, FlowKind, Fund, FundKind, Origin, Party, PartyKind
from humanaid.testing._common import dates, members_of, money_units, short_ids

__all__ = ["flows", "funds", "parties"]

_PURPOSES = ("medical", "relief", "livelihood", "training")


def parties(*, kinds: list[PartyKind] | None = None) -> st.SearchStrategy[Party]:
    """Parties of the given kinds (all kinds by default), with short ids."""
    return st.builds(Party, kind=members_of(PartyKind, only=kinds), id=short_ids())


def funds(*, organization_id: str | None = None) -> st.SearchStrategy[Fund]:
    """Valid funds of every kind; special funds always have a sponsor."""

    def build(
        kind: FundKind,
        id_: str,
        org: str,
        sponsor: str,
        projects: list[str],
        purposes: list[str],
        opened: date | None,
    ) -> Fund:
        return Fund(
            id=id_,
            name=f"fund {id_}",
            kind=kind,
            organization_id=organization_id or org,
            sponsor_id=sponsor if kind is FundKind.SPECIAL else None,
            project_ids=tuple(projects),
            purposes=tuple(purposes),
            opened_on=opened,
        )

    return st.builds(
        build,
        st.sampled_from(FundKind),
        short_ids(),
        short_ids(),
        short_ids(),
        st.lists(short_ids(), max_size=3),
        st.lists(st.sampled_from(_PURPOSES), max_size=2, unique=True),
        st.none() | dates(),
    )


def flows(
    *,
    currency: str = "CNY",
    min_date: date = date(2015, 1, 1),
    max_date: date = date(2025, 12, 31),
    sources: st.SearchStrategy[Party] | None = None,
    destinations: st.SearchStrategy[Party] | None = None,
) -> st.SearchStrategy[Flow]:
    """Valid flows: positive amounts, source and destination always differ."""
    ends = st.tuples(
        sources if sources is not None else parties(),
        destinations if destinations is not None else parties(),
    ).filter(lambda p: p[0] != p[1])
    return st.builds(
        lambda ends, **kw: Flow(source=ends[0], destination=ends[1], **kw),
        ends,
        id=short_ids(),
        amount=money_units(currency=currency),
        on=dates(min_value=min_date, max_value=max_date),
        kind=st.sampled_from(FlowKind),
        in_kind=st.booleans(),
        origin=st.none() | st.builds(Origin, collection=st.just("donations"), id=short_ids()),
        parent_id=st.none() | short_ids(),
        purpose=st.none() | st.sampled_from(["medical", "relief"]),
    ).flatmap(_with_transaction_ref)


def _with_transaction_ref(record: Flow) -> st.SearchStrategy[Flow]:
    """The record, or the record with a bank number unique to it (``TX-<id>``).

    Two records share a number only when a test makes them: the tests of the law that a
    transaction is booked once draw their own.
    """
    return st.sampled_from([record, attrs.evolve(record, transaction_ref=f"TX-{record.id}")])


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this module and its default strategy (for ``record_strategies``)."""
    return {Fund: funds, Flow: flows, Party: parties}
