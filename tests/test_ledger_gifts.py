"""A dataset's ledger holds its gifts as donations: every answer and every rule as with flows.

:func:`humanaid.ledger.dataset_ledger` keeps the booked donations and makes their flows
(:func:`humanaid.funds._gift_flows`, the one definition of a gift's flows) only when a
caller asks for single flows; the built-in rules read the donations instead. Each law
here holds that path equal to the ledger of the same flows, made at once: the same
answers, the same findings in the same order, the same figures.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from humanaid import (
    Boundary,
    BoundaryTotals,
    Channel,
    Crossing,
    Dataset,
    Donation,
    Flow,
    FlowKind,
    Ledger,
    Money,
    NoReceiptReason,
    Origin,
    Party,
    PartyKind,
    Period,
    Restriction,
    year_at_a_glance,
)
from humanaid.compliance import yearly_books
from humanaid.errors import UnknownId
from humanaid.funds import _gift_flows
from humanaid.ledger import _booked, booked_donations, booked_refunds, dataset_flows
from humanaid.records import ID_MAX_LENGTH
from humanaid.rules.currencies import money_without_rates
from humanaid.rules.events import events_in_the_ledger_once
from humanaid.rules.funds import lowest_fund_balances
from humanaid.testing import event_datasets, refunds
from humanaid.testing._common import money_units

_START = date(2020, 1, 1)


class _Flat(Dataset):
    """The same records, whose ledger is made of flows at once (the flow path of each rule)."""

    def ledger(self) -> Ledger:
        return self.derived("flat-ledger", lambda ds: Ledger(dataset_flows(ds)))


def _flat(ds: Dataset) -> _Flat:
    return _Flat(**{a.name: getattr(ds, a.name) for a in attrs.fields(Dataset) if a.init})


def _gift_ends(gift: Donation) -> tuple[Party, Party]:
    flow = _gift_flows((gift,))[0]
    return flow.source, flow.destination


@st.composite
def _gift(draw: st.DrawFn, i: int) -> Donation:
    currency = draw(st.sampled_from(["CNY", "CNY", "USD"]))
    value = draw(money_units(currency=currency, min_value=100, max_value=10**6))
    fees = draw(st.sampled_from([Money.zero(currency), Money("1", currency), Money("2", currency)]))
    fund = draw(st.sampled_from([None, None, "general", "relief"]))
    restricted = draw(
        st.sampled_from([None, None, Restriction(fund_id="relief"), Restriction(purpose="relief")])
    )
    platform = draw(st.sampled_from([None, "wechat", "p" * 80]))
    long = draw(st.booleans())
    gift_id = (f"g{i}-" + "x" * ID_MAX_LENGTH)[:ID_MAX_LENGTH] if long else f"gx-{i}"
    return Donation(
        id=gift_id,
        organization_id=draw(st.sampled_from(["society", "other"])),
        received_on=_START + timedelta(days=draw(st.integers(0, 400))),
        value=value,
        fees=fees,
        donor_id=draw(st.sampled_from([None, "donor-0", "donor-1"])),
        fund_id=fund,
        restricted_to=restricted,
        channel=Channel.OFFLINE if platform is None else Channel.ONLINE_PLATFORM,
        platform=platform,
        transaction_ref=draw(st.sampled_from([None, None, "T1", "T2"])),
        no_receipt_reason=NoReceiptReason.NOT_REQUESTED,
    )


@st.composite
def _by_hand(draw: st.DrawFn, gifts: list[Donation], i: int) -> Flow:
    """A flow of ``flows`` about a gift: its twin without an origin, one naming it, or its fees'."""
    gift = draw(st.sampled_from(gifts))
    source, destination = _gift_ends(gift)
    how = draw(st.sampled_from(["twin", "names", "fees", "overdraws"]))
    on = gift.received_on + timedelta(days=draw(st.sampled_from([0, 0, 1])))
    if how == "fees":
        return Flow(id=f"hand-{i}", source=destination, destination=Party.outside("fees"),
                    amount=gift.fees if gift.fees.is_positive() else gift.value, on=on,
                    kind=FlowKind.FUNDRAISING_COST)  # fmt: skip
    if how == "overdraws":
        return Flow(id=f"hand-{i}", source=Party.fund(draw(st.sampled_from(["general", "relief"]))),
                    destination=Party.household("home-1"), amount=gift.value.multiply(3), on=on,
                    kind=FlowKind.DISBURSEMENT)  # fmt: skip
    origin = Origin(collection="donations", id=gift.id) if how == "names" else None
    return Flow(id=draw(st.sampled_from([f"hand-{i}", f"donation:{gift.id}"[:ID_MAX_LENGTH]])),
                source=source, destination=destination, amount=gift.value, on=on,
                kind=FlowKind.DONATION, origin=origin)  # fmt: skip


@st.composite
def _gift_datasets(draw: st.DrawFn) -> Dataset:
    """Money events with gifts of every shape: funds, restrictions, fees, currencies, twins."""
    ds = draw(event_datasets(max_events=3))
    gifts = [draw(_gift(i)) for i in range(draw(st.integers(0, 8)))]
    hand = [draw(_by_hand(gifts, i)) for i in range(draw(st.integers(0, 4)))] if gifts else []
    return ds.add(donations=gifts, flows=hand)


def _answers(ledger: Ledger) -> dict[str, Any]:
    """Every public answer of a ledger."""
    parties = sorted(ledger.parties(), key=str)
    year = Period.year(2020)
    return {
        "len": len(ledger),
        "repr": repr(ledger),
        "flows": ledger.flows,
        "by id": [ledger.flow(f.id) for f in ledger.flows],
        "currencies": ledger.currencies(),
        "parties": parties,
        "balances": [
            ledger.balance(p, date(2020, 6, 30), currency=c)
            for p in parties
            for c in ("CNY", "USD")
        ],
        "lowest": [ledger.lowest_balance(p) for p in parties],
        "entries": [list(ledger.entries(p)) for p in parties],
        "statements": [ledger.statement(p, year) for p in parties],
        "held": ledger.total_held(),
        "traces": [ledger.trace(f.id) for f in ledger.flows],
        "totals": ledger.totals(Boundary(name="s", parties={Party.fund("general")}), year),
    }


@settings(max_examples=60, deadline=None)
@given(_gift_datasets())
def test_a_ledger_holding_its_gifts_as_donations_answers_as_the_ledger_of_its_flows(
    ds: Dataset,
) -> None:
    lazy = ds.ledger()
    flat = Ledger(dataset_flows(ds))
    # a party no gift touches is answered before any gift's flow is made
    for party in sorted({p for f in flat.flows for p in (f.source, f.destination)}, key=str):
        if party.kind.value in ("loan", "revolving_fund", "project", "household", "case"):
            assert list(lazy.entries(party)) == list(flat.entries(party))
            assert lazy.balance(party) == flat.balance(party)
    assert len(lazy) == len(flat)
    assert _answers(lazy) == _answers(flat)


@settings(max_examples=60, deadline=None)
@given(_gift_datasets())
def test_validating_makes_no_gift_flow_and_finds_what_the_flows_would(ds: Dataset) -> None:
    found = list(ds.validate())
    if not ds.balance_assertions:  # a fund's own ledger is made of its flows
        assert ds.ledger()._flows_cache is None
    assert found == list(_flat(ds).validate())


@settings(max_examples=60, deadline=None)
@given(_gift_datasets(), st.sampled_from(["relief", "pigs", "medical", "nowhere"]))
def test_a_ledgers_flows_for_a_purpose_are_its_flows_with_that_purpose_in_order(
    ds: Dataset, purpose: str
) -> None:
    lazy, flat = ds.ledger(), Ledger(dataset_flows(ds), currency="USD")
    chosen = lazy.for_purpose(purpose)
    assert chosen.flows == tuple(f for f in flat.flows if f.purpose == purpose)
    if not ds.balance_assertions:  # no gift's flow is made for it
        assert lazy._flows_cache is None
    assert (chosen.currency, flat.for_purpose(purpose).currency) == ("CNY", "USD")
    assert flat.for_purpose(purpose).flows == chosen.flows
    assert _answers(chosen) == _answers(Ledger(chosen.flows))


def _in_order(totals: BoundaryTotals) -> list[list[tuple[Any, Money]]]:
    """Each of a total's parts as the list of its items, in their order."""
    parts = (totals.entered, totals.inside, totals.left, totals.entered_from, totals.left_to,
             totals.through, totals.crossings)  # fmt: skip
    return [list(part.items()) for part in parts]


@settings(max_examples=60, deadline=None)
@given(_gift_datasets(), st.sampled_from([None, Period.year(2020), Period.month(2020, 3)]))
def test_a_ledgers_totals_count_its_gifts_as_their_flows_would_and_make_none(
    ds: Dataset, period: Period | None
) -> None:
    lazy, flat = ds.ledger(), Ledger(dataset_flows(ds))
    boundaries = [
        Boundary.organization(ds, "society"),
        Boundary.fund(ds, "general"),
        Boundary(name="donors", parties={Party.donor("donor-0"), Party.outside("anonymous")}),
        Boundary(name="platforms", parties={Party.outside("wechat"), Party.fund("relief")}),
    ]
    for boundary in boundaries:
        for currency in ("CNY", "USD"):
            got = lazy.totals(boundary, period, currency=currency)
            assert got == flat.totals(boundary, period, currency=currency)
            assert _in_order(got) == _in_order(flat.totals(boundary, period, currency=currency))
    if not ds.balance_assertions:
        assert lazy._flows_cache is None


@settings(max_examples=60, deadline=None)
@given(_gift_datasets())
def test_a_totals_parts_are_in_the_order_their_kinds_are_defined(ds: Dataset) -> None:
    totals = Ledger(dataset_flows(ds)).totals(Boundary.organization(ds, "society"))
    defined = {m: i for e in (FlowKind, PartyKind, Crossing) for i, m in enumerate(e)}
    for part in _in_order(totals):
        places = [defined[key] for key, _ in part]
        assert places == sorted(places)


@settings(max_examples=60, deadline=None)
@given(_gift_datasets())
def test_a_funds_entries_are_those_of_the_flows_with_only_its_gifts_flows_made(
    ds: Dataset,
) -> None:
    lazy, flat = ds.ledger(), Ledger(dataset_flows(ds))
    parties = {p for f in flat.flows for p in (f.source, f.destination)}
    summed = sorted((p for p in parties if p.kind.value in ("fund", "organization", "outside")),
                    key=str)  # fmt: skip
    year = Period.year(2020)
    for party in [*summed, Party.fund("missing")]:
        assert list(lazy.entries(party)) == list(flat.entries(party))
        assert lazy.outflows(party, year) == flat.outflows(party, year)
        assert lazy.statement(party, year) == flat.statement(party, year)
    if not ds.balance_assertions:
        assert lazy._flows_cache is None
    assert _answers(lazy) == _answers(flat)


def test_a_funds_flow_of_the_same_day_and_id_as_a_gift_flow_comes_before_it() -> None:
    gift = Donation(id="g1", donor_id="d1", organization_id="society", fund_id="relief",
                    received_on=date(2020, 3, 1), value=Money("500"), fees=Money("5"),
                    channel=Channel.ONLINE_PLATFORM, platform="wechat",
                    no_receipt_reason=NoReceiptReason.NOT_REQUESTED)  # fmt: skip
    twin = Flow(id="donation:g1", source=Party.donor("d1"), destination=Party.fund("relief"),
                amount=Money("500"), on=date(2020, 3, 1), kind=FlowKind.DONATION)  # fmt: skip
    ds = Dataset(donations=(gift,), flows=(twin,))
    lazy, flat = ds.ledger(), Ledger(dataset_flows(ds))
    entries = list(lazy.entries(Party.fund("relief")))
    assert [(f.id, f.origin, sign) for f, sign in entries] == [
        ("donation:g1", None, 1),
        ("donation:g1", Origin(collection="donations", id="g1"), 1),
        ("donation:g1:fees", Origin(collection="donations", id="g1"), -1),
    ]
    assert entries == list(flat.entries(Party.fund("relief")))
    assert lazy._flows_cache is None


@settings(max_examples=60, deadline=None)
@given(_gift_datasets())
def test_each_gift_aware_sweep_equals_its_sweep_of_the_flows(ds: Dataset) -> None:
    flat = _flat(ds)
    lazy_ledger, flat_ledger = ds.ledger(), flat.ledger()
    fund_ids = {"general", "relief", "missing"}
    assert lowest_fund_balances(lazy_ledger, fund_ids) == lowest_fund_balances(
        flat_ledger, fund_ids
    )
    boundaries = [
        Boundary.organization(ds, "society"),
        Boundary.fund(ds, "general"),
        Boundary(name="donors", parties={Party.donor("donor-0"), Party.outside("anonymous")}),
    ]

    def figures(ledger: Ledger) -> list[Any]:
        return [
            (
                {y: {k: getattr(s, k) for k in type(s).__slots__} for y, s in b.years.items()},
                b.active,
                b.foreign,
            )
            for b in yearly_books(ledger, boundaries)
        ]

    assert figures(lazy_ledger) == figures(flat_ledger)
    assert list(money_without_rates(ds)) == list(money_without_rates(flat))
    assert list(events_in_the_ledger_once(ds)) == list(events_in_the_ledger_once(flat))
    assert lazy_ledger._flows_cache is None


def test_a_gift_counted_twice_is_reported_in_the_ledgers_order() -> None:
    day = date(2020, 3, 1)
    gifts = [
        Donation(id=f"g{i}", organization_id="society", received_on=day + timedelta(days=i % 2),
                 value=Money("100"), fees=Money("1"), donor_id="d1",
                 no_receipt_reason=NoReceiptReason.NOT_REQUESTED)
        for i in range(4)
    ]  # fmt: skip
    twins = [
        Flow(id=f"hand-{i}", source=Party.donor("d1"), destination=Party.organization("society"),
             amount=Money("100"), on=day + timedelta(days=i % 2), kind=FlowKind.DONATION)
        for i in (3, 0)
    ]  # fmt: skip
    ds = Dataset(donations=tuple(gifts), flows=tuple(twins))
    found = [(f.subject, f.figures["derived"]) for f in events_in_the_ledger_once(ds)]
    # in the ledger's order of the derived gifts: g0 (1 March), then g1 (2 March) ...
    assert found == [("hand-0", "donation:g0"), ("hand-3", "donation:g1")]
    assert found == [
        (f.subject, f.figures["derived"]) for f in events_in_the_ledger_once(_flat(ds))
    ]
    assert ds.ledger()._flows_cache is None


@settings(max_examples=80, deadline=None)
@given(_gift_datasets(), st.sampled_from([None, date(2020, 1, 1), date(2020, 6, 30)]))
def test_every_funds_balance_summed_from_the_gifts_equals_the_balance_of_its_flows(
    ds: Dataset, as_of: date | None
) -> None:
    lazy = ds.ledger()
    flat = Ledger(dataset_flows(ds))
    funds = [Party.fund(f) for f in ("general", "relief", "missing")]
    others = [
        Party.organization("society"),
        Party.organization("other"),
        Party.outside("anonymous"),
        Party.outside("wechat"),
        *(p for p in flat.parties() if p.kind.value in ("fund", "organization", "outside")),
    ]
    for party in [*funds, *others]:
        for cur in ("CNY", "USD"):
            got = lazy.balance(party, as_of, currency=cur)
            want = flat.balance(party, as_of, currency=cur)
            assert (got, repr(got)) == (want, repr(want))
            lowest = lazy.lowest_balance(party, currency=cur)
            assert repr(lowest) == repr(flat.lowest_balance(party, currency=cur))
    assert lazy._flows_cache is None  # no gift's flow was made
    # the same errors
    for bad in ("fund:general", None):
        for ledger in (lazy, flat):
            with pytest.raises(TypeError, match="'party' must be a Party"):
                ledger.balance(bad)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(
    _gift_datasets(),
    st.sampled_from(["society", "other"]),
    st.sampled_from([2020, Period(date(2020, 3, 1), date(2021, 1, 20))]),
)
def test_a_year_at_a_glance_counts_the_gifts_as_it_counts_their_flows(
    ds: Dataset, organization_id: str, period: Period | int
) -> None:
    try:
        glance = year_at_a_glance(ds, period, organization_id=organization_id)
    except UnknownId as error:  # an organisation no record names: the same refusal
        with pytest.raises(UnknownId, match=re.escape(str(error))):
            year_at_a_glance(_flat(ds), period, organization_id=organization_id)
        return
    flat = year_at_a_glance(_flat(ds), period, organization_id=organization_id)
    assert (glance, str(glance), list(glance.findings)) == (flat, str(flat), list(flat.findings))
    if not ds.balance_assertions:
        assert ds.ledger()._flows_cache is None or any(
            g.value.currency != "CNY" for g in ds.donations
        )


@settings(max_examples=60, deadline=None)
@given(_gift_datasets(), st.data())
def test_booked_refunds_pair_each_refund_with_the_last_booked_gift_of_its_id(
    ds: Dataset, data: st.DataObject
) -> None:
    ids = [g.id for g in ds.donations] + ["no-such-gift"]
    drawn = data.draw(
        st.lists(
            refunds(donation_id=data.draw(st.sampled_from(ids)), min_date=_START)
            | refunds(currency="USD", donation_id=data.draw(st.sampled_from(ids))),
            max_size=4,
        )
    )
    ds = ds.add(refunds=drawn)
    gifts = {g.id: g for g in booked_donations(ds)}  # the definition: every gift, the last wins
    want = tuple(
        (refund, gift)
        for refund in _booked(ds, "refunds")
        if (gift := gifts.get(refund.donation_id)) is not None
        and refund.on >= gift.received_on
        and refund.amount.currency == gift.value.currency
    )
    assert booked_refunds(ds) == want
