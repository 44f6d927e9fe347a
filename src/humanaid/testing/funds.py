"""Hypothesis strategies for funds, parties and flows (re-exported by humanaid.testing)."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from humanaid.funds import Flow, FlowKind, Fund, FundKind, Origin, Party, PartyKind
from humanaid.money import Money

__all__ = ["flows", "funds", "parties"]

_IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)


def parties(*, kinds: list[PartyKind] | None = None) -> st.SearchStrategy[Party]:
    """Parties of the given kinds (all kinds by default), with short ids."""
    return st.builds(Party, kind=st.sampled_from(kinds or list(PartyKind)), id=_IDS)


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
        _IDS,
        _IDS,
        _IDS,
        st.lists(_IDS, max_size=3),
        st.lists(
            st.sampled_from(["medical", "relief", "livelihood", "training"]),
            max_size=2,
            unique=True,
        ),
        st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)),
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
    amount = st.integers(min_value=1, max_value=10**9).map(
        lambda units: Money.from_minor_units(units, currency)
    )
    ends = st.tuples(
        sources if sources is not None else parties(),
        destinations if destinations is not None else parties(),
    ).filter(lambda p: p[0] != p[1])
    return st.builds(
        lambda ends, **kw: Flow(source=ends[0], destination=ends[1], **kw),
        ends,
        id=_IDS,
        amount=amount,
        on=st.dates(min_value=min_date, max_value=max_date),
        kind=st.sampled_from(FlowKind),
        in_kind=st.booleans(),
        origin=st.none() | st.builds(Origin, collection=st.just("donations"), id=_IDS),
        parent_id=st.none() | _IDS,
        purpose=st.none() | st.sampled_from(["medical", "relief"]),
    )
