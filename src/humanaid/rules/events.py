"""Rules for money events: each one in the ledger once, and each flow like its record.

A money event (a donation, a distribution, a paid case, a loan, a repayment, a
write-off: :data:`humanaid.ledger.EVENT_COLLECTIONS`) reaches the ledger through the
flows that name it as their ``origin``, written in ``flows`` or derived by
:func:`humanaid.ledger.dataset_flows`. These rules report where that fails:

* ``events.flow-missing`` (ERROR): a record that moved money but has no flow in the
  ledger: no flow names it, and none can be derived (a handout or a paid case whose
  payer the records do not say);
* ``events.counted-twice`` (ERROR): a flow in ``flows`` that pays a record without
  naming it as its origin, while the ledger derives the record's own flow too;
* ``events.flow-disagrees`` (ERROR): a flow that names a record as its origin and
  disagrees with it on the amount, the day, a party or the currency.
"""

from __future__ import annotations

import heapq
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs

from humanaid import _gc
from humanaid.findings import Finding, Severity
from humanaid.funds import (
    _ON_THEN_ID,
    Flow,
    FlowKind,
    Party,
    PartyKind,
    _gift_flows,
    _in_ledger_order,
)
from humanaid.ledger import EVENT_COLLECTIONS, booked_flows, not_booked
from humanaid.money import Money
from humanaid.revolving import latest_loan_states

if TYPE_CHECKING:
    from humanaid.dataset import Dataset

__all__ = [
    "events_in_the_ledger_once",
    "flows_agree_with_their_records",
]

_ORIGIN: Final = operator.attrgetter("origin")

_NOUN: Final = {
    "donations": "donation",
    "distributions": "distribution",
    "cases": "case",
    "loans": "loan",
    "repayments": "repayment",
    "write_offs": "write-off",
}


@attrs.frozen(kw_only=True)
class _Expected:
    """What the flows of one record must carry, in all, and where and when.

    ``amount`` is the net sum (refunds taken off) of the flows of ``kinds`` (of every
    kind when ``None``); ``on`` the day each of them moved, or ``not_before`` the first
    day they may; ``sources`` and ``destinations`` the parties the record names
    (``None``: it names none). ``None`` leaves a check to another rule or to nobody.
    """

    amount: Money | None
    currency: str
    kinds: frozenset[FlowKind] | None = None
    on: date | None = None
    not_before: date | None = None
    sources: frozenset[Party] | None = None
    destinations: frozenset[Party] | None = None


def _parties(*parties: Party | None) -> frozenset[Party] | None:
    named = frozenset(p for p in parties if p is not None)
    return named or None


def _fund(id: str | None) -> Party | None:
    return None if id is None else Party.fund(id)


def _project(id: str | None) -> Party | None:
    return None if id is None else Party.project(id)


def _named_payer(record: Any) -> Party | None:
    """The payer a handout or a case names itself: its fund, else its project."""
    return _fund(record.fund_id) or _project(record.project_id)


class _Books:
    """What both rules read, gathered once: which records the ledger's flows stem from."""

    def __init__(self, dataset: Dataset) -> None:
        self.collections = frozenset(dataset.collection_types()) & frozenset(EVENT_COLLECTIONS)
        # Flows reversed or entered twice are not in the ledger (ledger.not_booked).
        self.own: tuple[Flow, ...] = booked_flows(dataset)
        self.skipped = not_booked(dataset)
        self.named: dict[tuple[str, str], list[Flow]] = defaultdict(list)
        for flow in self.own:
            origin = flow.origin
            if origin is not None and origin.collection in self.collections:
                self.named[(origin.collection, origin.id)].append(flow)
        # Cases paid by hand the older way, by flows to Party.case(id): their amounts are
        # cases.payment-not-in-ledger's to check.
        self.paid_to_case = {
            f.destination.id for f in self.own if f.destination.kind is PartyKind.CASE
        }
        # The ledger holds the dataset's own flows as they are: the rest it derived, each
        # with an origin (an own flow without one is never taken for a derived flow).
        own_ids = {id(f) for f in self.own if f.origin is not None}
        # the ids of the records the ledger derived flows for, by collection
        self.reached: dict[str, set[str]] = defaultdict(set)
        # The derived flows that may pay what a flow of ``flows`` without an origin pays
        # (a refund never does): those carrying one of these amounts (_twice).
        self.amounts = {
            f.amount.amount for f in self.own if f.origin is None and f.kind is not FlowKind.REFUND
        }
        # A dataset's ledger holds its gifts as donations: their flows are not made, but
        # for the few gifts whose value or fees is one of the amounts above.
        self.gift_flows: list[Flow] | None = None
        # ... and the donations none of its gifts stands for, in their order: the only ones
        # events.flow-missing reads (a million gifts are not walked again by id)
        self.unreached_gifts: list[Any] | None = None
        with _gc.paused():  # an id for each of (perhaps) a million flows
            ledger = dataset.ledger()
            split = ledger._without_gifts()
            flows = ledger.flows if split is None else split[0]
            self.derived: list[Flow] = (
                [f for f in flows if f.origin is not None and id(f) not in own_ids]
                if own_ids
                else [f for f in flows if f.origin is not None]
            )
            collection, ids = None, set()
            for origin in map(_ORIGIN, self.derived):
                if origin.collection != collection:  # runs of one collection: one lookup
                    collection = origin.collection
                    ids = self.reached[collection]
                ids.add(origin.id)
            if split is not None:
                ends = split[1].ends()
                self.gift_flows = self._gifts_picked(ends)
                self.unreached_gifts = _not_in_ends(dataset, ends)
        has_loans = "loans" in self.collections
        self.states = latest_loan_states(dataset) if has_loans else {}
        self.loans: Mapping[str, Any] = dataset.index("loans") if has_loans else {}

    def _gifts_picked(self, ends: Sequence[tuple[Any, Party, Party, Party | None]]) -> list[Flow]:
        """The flows ``_twice`` reads of the gifts the ledger brings in, in ledger order.

        Of each gift in ``ends`` (:func:`~humanaid.funds._gift_parts`) whose flows could
        meet a flow of ``flows`` without an origin (:func:`~humanaid.funds._gift_flows`):
        one going to the gift's fund or platform, or a donation from its donor, on its
        day, and carrying its value or fees (``amounts``). No other gift flow can be
        counted twice, and a derived gift never meets ``named``: the gifts a flow names
        are not derived. The day and the party are asked first: a date's and a str's
        hash are kept in the object, and most gifts fail there.
        """
        amounts = self.amounts
        if not amounts:
            return []
        # the days of the flows without an origin (a refund never pays the same), by the
        # party they go to, and the donations' by their donor too
        to: dict[str, set[date]] = defaultdict(set)
        given: dict[str, set[date]] = defaultdict(set)
        for flow in self.own:
            if flow.origin is None and flow.kind is not FlowKind.REFUND:
                to[flow.destination.id].add(flow.on)
                if flow.kind is FlowKind.DONATION and flow.source.kind is PartyKind.DONOR:
                    given[flow.source.id].add(flow.on)
        days_to, days_given = to.get, given.get
        picked: list[Flow] = []
        for donation, source, destination, platform in ends:
            on = donation.received_on
            days = days_to(destination.id)
            if days is None or on not in days:
                # a donor's party is read only when some donor gave by a flow of its own
                days = days_given(source.id) if given else None
                if days is None or on not in days:
                    if platform is None:
                        continue
                    days = days_to(platform.id)
                    if days is None or on not in days:
                        continue
            if donation.value.amount in amounts or (
                platform is not None and donation.fees.amount in amounts
            ):
                picked.extend(_gift_flows((donation,)))
        return list(_in_ledger_order(picked))

    def derived_in_order(self) -> Iterable[Flow]:
        """The ledger's derived flows ``_twice`` reads, in ledger order.

        All of them for a ledger of flows; for a ledger holding its gifts as donations,
        the other derived flows merged with the gift flows picked (:meth:`_gifts_reached`):
        a gift's flows come before the others' of the same day and id, as in the ledger.
        """
        if self.gift_flows is None:
            return self.derived
        return heapq.merge(self.gift_flows, self.derived, key=_ON_THEN_ID)

    def written_off(self, write_off: Any) -> Money | None:
        """The principal a write-off takes off the books, or ``None`` for an unknown loan."""
        state = self.states.get(write_off.loan_id)
        if state is None:
            return None
        for applied in state.write_offs:
            if applied.write_off_id == write_off.id:
                return applied.principal
        return None  # in another currency than its loan: not applied

    def moved(self, collection: str, record: Any) -> Money | None:
        """What the record moved, which the ledger must hold; ``None`` if it moved nothing.

        Records whose money the engine cannot book (a repayment or write-off of an unknown
        loan, or in another currency) are left to the integrity and revolving rules.
        """
        amount: Money | None
        if collection in ("donations", "distributions"):
            amount = record.value
        elif collection == "cases":
            amount = record.paid
        elif collection == "loans":
            amount = record.principal
        elif collection == "repayments":
            loan = self.loans.get(record.loan_id)
            known = loan is not None and loan.currency == record.amount.currency
            amount = record.amount if known else None
        else:
            amount = self.written_off(record)
        return amount if amount is not None and amount.is_positive() else None

    def expected(self, collection: str, record: Any) -> _Expected:
        """What the flows naming ``record`` must agree with."""
        if collection == "donations":
            fund_id = record.fund_id
            if fund_id is None and record.restricted_to is not None:
                fund_id = record.restricted_to.fund_id
            donor = None if record.donor_id is None else Party.donor(record.donor_id)
            # The amount is funds.flow-mismatch's to check; the day and parties the gift's.
            return _Expected(
                amount=None,
                currency=record.value.currency,
                kinds=frozenset({FlowKind.DONATION}),
                on=record.received_on,
                sources=_parties(donor),
                destinations=_parties(_fund(fund_id)),
            )
        if collection == "distributions":
            return _Expected(
                amount=record.value,
                currency=record.value.currency,
                on=record.on,
                sources=_parties(_named_payer(record)),
                destinations=frozenset({Party.household(record.household_id)}),
            )
        if collection == "cases":
            paid = record.paid
            currency = (paid or record.approved or Money.zero()).currency
            return _Expected(
                amount=paid if paid is not None else Money.zero(currency),
                currency=currency,
                not_before=record.opened_on,
                sources=_parties(_named_payer(record)),
                destinations=_parties(
                    Party.case(record.id),
                    _organization(record.hospital_id),
                    None if record.person_id is None else Party.person(record.person_id),
                    None if record.household_id is None else Party.household(record.household_id),
                ),
            )
        if collection == "loans":
            return _Expected(
                amount=record.principal,
                currency=record.principal.currency,
                on=record.disbursed_on,
                sources=frozenset({Party.revolving_fund(record.fund_id)}),
                destinations=frozenset({Party.loan(record.id)}),
            )
        loan = self.loans.get(record.loan_id)
        if collection == "repayments":
            return _Expected(
                amount=record.amount,
                currency=record.amount.currency,
                on=record.paid_on,
                sources=None
                if loan is None
                else frozenset({Party.loan(loan.id), Party.household(loan.household_id)}),
                destinations=None
                if loan is None
                else frozenset({Party.revolving_fund(loan.fund_id)}),
            )
        currency = record.amount.currency if record.amount is not None else None
        if currency is None and loan is not None:
            currency = loan.currency
        return _Expected(
            amount=self.written_off(record),
            currency=currency or "CNY",
            on=record.on,
            sources=frozenset({Party.loan(record.loan_id)}),
        )


def _not_in_ends(
    dataset: Dataset, ends: Sequence[tuple[Any, Party, Party, Party | None]]
) -> list[Any]:
    """The dataset's donations whose id no donation of ``ends`` has, in their order.

    ``ends`` lists booked donations (:func:`~humanaid.funds._gift_parts`) in the
    dataset's order, some left out: the two are walked side by side by identity, no id
    hashed. When every donation is in ``ends`` none is left; when an id repeats, a
    donation left out whose id another one in ``ends`` has is dropped by its id.
    """
    donations = dataset.records("donations")
    if len(ends) == len(donations):
        return []
    missed: list[Any] = []
    kept = iter([end[0] for end in ends])
    following = next(kept, None)
    for donation in donations:
        if donation is following:
            following = next(kept, None)
        else:
            missed.append(donation)
    if following is not None:  # not a subsequence (never by construction): by id
        ids = {end[0].id for end in ends}
        return [d for d in donations if d.id not in ids]
    if missed and len(dataset.index("donations")) != len(donations):  # an id repeats
        ids = {end[0].id for end in ends}
        missed = [d for d in missed if d.id not in ids]
    return missed


def _organization(id: str | None) -> Party | None:
    return None if id is None else Party.organization(id)


def _books(dataset: Dataset) -> _Books:
    books: _Books = dataset.derived("events:books", _Books)
    return books


def _describe(collection: str, record: Any) -> str:
    return _record_of(collection, record.id)


# -- in the ledger once ----------------------------------------------------------------------


def _why_not_derived(collection: str, record: Any) -> str:
    if collection == "distributions":
        return (
            "the records do not say who paid for it (name a fund_id, or a project, a "
            "campaign or a programme that is in the dataset)"
        )
    if collection == "cases":
        return (
            "the records do not say who paid for it (name a fund_id, or a project or a "
            "programme that is in the dataset)"
        )
    return "no flow was derived from it"


def _pays_the_same(own: Flow, derived: Flow, collection: str) -> bool:
    """Whether ``own`` (no origin, to the same party on the same day) pays the record again."""
    if own.kind is FlowKind.REFUND or own.amount != derived.amount:
        return False
    if own.source == derived.source and own.kind is derived.kind:
        return True  # the derived flow's twin
    # plainly the same event: a handout of its value to its household on its day, the
    # disbursement of the loan, or the donor's gift of its value on its day
    if collection == "distributions":
        return True
    if collection == "loans":
        return own.kind is FlowKind.LOAN_DISBURSEMENT
    return own.kind is FlowKind.DONATION and own.source == derived.source


def _record_of(collection: str, record_id: str) -> str:
    return f"{_NOUN.get(collection, collection)} {record_id!r}"


def events_in_the_ledger_once(dataset: Dataset) -> Iterator[Finding]:
    """Every money event is in the ledger once: never missing, never counted twice.

    Rule code ``events.flow-missing``, severity ERROR: a record that moved money (a
    donation, a distribution, a case with a paid amount, a loan, a repayment, a
    write-off that took principal off the books) with no flow in the ledger: no flow of
    ``flows`` names it as its origin, and the ledger could not derive one (a handout or
    a paid case whose payer the records do not say: see
    :func:`humanaid.ledger.distribution_payer` and :func:`humanaid.ledger.case_payer`).
    Repayments and write-offs of unknown loans or in another currency are left to the
    integrity and revolving rules, which report them; records the books treat as never
    having happened (reversed, or entered twice: :func:`humanaid.not_booked`) to the
    rules that report those.

    Rule code ``events.counted-twice``, severity ERROR: a flow of ``flows`` without an
    origin that pays a record the ledger also derives flows for, so the money is
    counted twice. A flow pays a record when it is the derived flow's twin (the same
    parties, amount, day and kind), or is plainly the same event: a handout of the
    distribution's value to its household on its day, the disbursement of the loan, the
    donor's gift of the donation's value on its day. Name the record as the flow's
    ``origin`` (then nothing is derived) or remove the flow. A flow paid to a case
    (``Party.case(id)``) stands for the case's payment, and nothing is derived for it.
    """
    books = _books(dataset)
    for collection in EVENT_COLLECTIONS:
        if collection not in books.collections:
            continue
        reached = books.reached.get(collection, set())
        records: Iterable[Any] = dataset.records(collection)
        if collection == "donations" and books.unreached_gifts is not None:
            records = books.unreached_gifts  # the others' gifts are in the ledger
        for record in records:
            if record.id in reached:
                continue
            key = (collection, record.id)
            if key in books.named or key in books.skipped:
                continue
            if collection == "cases" and record.id in books.paid_to_case:
                continue
            moved = books.moved(collection, record)
            if moved is None:
                continue
            yield Finding(
                rule="events.flow-missing",
                severity=Severity.ERROR,
                subject=record.id,
                message=(
                    f"{_describe(collection, record)} moved {moved.format(grouping=True)} "
                    f"but no flow is in the ledger for it: none names it as its origin, "
                    f"and {_why_not_derived(collection, record)}"
                ),
                figures={"collection": collection, "amount": moved},
            )
    yield from _twice(books)


def _twice(books: _Books) -> Iterator[Finding]:
    """The flows of ``flows`` that pay again a record the ledger derives flows for."""
    # The flows without an origin, by where they go, when and how much, and gifts by
    # their donor, day and amount too (a gift booked by hand into another fund than the
    # derived one). A flow pays a record again only if it carries the derived flow's
    # amount (_pays_the_same), so the amount is in the key: a derived flow meets only
    # the few flows it could match, found by an id, a day and an amount (hashed in C),
    # and the party itself is compared on a hit. A refund never pays the same: left out.
    to: dict[tuple[str, date, Decimal, str], list[Flow]] = defaultdict(list)
    gifts: dict[tuple[str, date, Decimal, str], list[Flow]] = defaultdict(list)
    for flow in books.own:
        if flow.origin is None and flow.kind is not FlowKind.REFUND:
            money = flow.amount
            how_much = (flow.on, money.amount, money.currency)
            to[(flow.destination.id, *how_much)].append(flow)
            if flow.kind is FlowKind.DONATION and flow.source.kind is PartyKind.DONOR:
                gifts[(flow.source.id, *how_much)].append(flow)
    named = books.named
    if not to and not named:
        return
    find_to, find_gifts = to.get, gifts.get
    # the amounts those flows carry: most derived flows carry none of them
    amounts = books.amounts
    gift = FlowKind.DONATION
    reported: set[str] = set()
    for derived in books.derived_in_order():
        origin = derived.origin
        if origin is None:  # books.derived holds only flows with an origin
            continue
        if named:
            both = named.get((origin.collection, origin.id))
            if both is not None and both[0].id not in reported:  # a ledger built otherwise
                reported.add(both[0].id)
                yield _counted_twice(both[0], origin.collection, origin.id, derived)
        money = derived.amount
        amount = money.amount
        if amount not in amounts:
            continue
        on, currency = derived.on, money.currency
        destination = derived.destination
        same = find_to((destination.id, on, amount, currency))
        candidates: list[Flow] = (
            [] if same is None else [f for f in same if f.destination == destination]
        )
        if gifts and derived.kind is gift:
            source = derived.source
            more = find_gifts((source.id, on, amount, currency))
            if more:
                candidates.extend(f for f in more if f.source == source)
        for own in candidates:
            if own.id not in reported and _pays_the_same(own, derived, origin.collection):
                reported.add(own.id)
                yield _counted_twice(own, origin.collection, origin.id, derived)
                break


def _counted_twice(flow: Flow, collection: str, record_id: str, derived: Flow) -> Finding:
    what = _record_of(collection, record_id)
    how = "names" if flow.origin is not None else "pays, without naming it as its origin,"
    return Finding(
        rule="events.counted-twice",
        severity=Severity.ERROR,
        subject=flow.id,
        message=(
            f"flow {flow.id!r} {how} {what}, and the ledger derives {derived.id!r} from it "
            f"too: {flow.amount.format(grouping=True)} counted twice"
        ),
        figures={"collection": collection, "record": record_id, "derived": derived.id},
    )


# -- each flow like its record ---------------------------------------------------------------


def _disagreement(
    flow: Flow, what: str, field: str, found: object, wanted: object, note: str = ""
) -> Finding:
    return Finding(
        rule="events.flow-disagrees",
        severity=Severity.ERROR,
        subject=flow.id,
        message=f"flow {flow.id!r} {note or 'disagrees with'} {what} on its {field}: "
        f"{found} where the record says {wanted}",
        figures={"field": field, "flow": str(found), "record": str(wanted)},
    )


def _shown(parties: frozenset[Party]) -> str:
    return " or ".join(sorted(str(p) for p in parties))


def _check_flows(what: str, flows: list[Flow], expected: _Expected) -> Iterator[Finding]:
    """The findings of one record's flows against what the record says."""
    counted = [f for f in flows if expected.kinds is None or f.kind in expected.kinds]
    same_currency = True
    for flow in counted:
        if flow.amount.currency != expected.currency:
            same_currency = False
            yield _disagreement(flow, what, "currency", flow.amount.currency, expected.currency)
    for flow in counted:
        if flow.kind is FlowKind.REFUND:
            if expected.on is not None and flow.on < expected.on:
                yield _disagreement(flow, what, "day", flow.on, f"not before {expected.on}")
            continue
        if expected.on is not None and flow.on != expected.on:
            yield _disagreement(flow, what, "day", flow.on, expected.on)
        if expected.not_before is not None and flow.on < expected.not_before:
            yield _disagreement(
                flow, what, "day", flow.on, f"not before {expected.not_before.isoformat()}"
            )
        if expected.sources is not None and flow.source not in expected.sources:
            yield _disagreement(flow, what, "source", flow.source, _shown(expected.sources))
        if expected.destinations is not None and flow.destination not in expected.destinations:
            yield _disagreement(
                flow, what, "destination", flow.destination, _shown(expected.destinations)
            )
    if expected.amount is None or not same_currency or not counted:
        return
    total = Money.zero(expected.currency)
    for flow in counted:
        total = total - flow.amount if flow.kind is FlowKind.REFUND else total + flow.amount
    if total != expected.amount:
        first = counted[0]
        shown = "its flows carry" if len(counted) > 1 else "it carries"
        yield Finding(
            rule="events.flow-disagrees",
            severity=Severity.ERROR,
            subject=first.id,
            message=(
                f"flow {first.id!r} disagrees with {what} on its amount: {shown} "
                f"{total.format(grouping=True)} where the record says "
                f"{expected.amount.format(grouping=True)}"
            ),
            figures={
                "field": "amount",
                "flow": total,
                "record": expected.amount,
                "flows": ", ".join(f.id for f in counted),
            },
        )


def flows_agree_with_their_records(dataset: Dataset) -> Iterator[Finding]:
    """A flow of ``flows`` that names a money event as its origin agrees with it.

    Rule code ``events.flow-disagrees``, severity ERROR: one finding for each thing a
    flow gets wrong, with ``field`` among its figures:

    * ``amount``: the flows that name a record (net of refunds) carry what it moved: a
      distribution's value, a case's paid amount, a loan's principal, a repayment's
      amount, the principal a write-off took off the books (a donation's amount is
      ``funds.flow-mismatch``'s to check);
    * ``currency``: each flow is in the record's currency;
    * ``day``: each moved on the record's day (a donation's gift flows on the day it
      was received, a handout on its day, a loan on its disbursement, a repayment on
      the day it was paid, a write-off on its day); a case's payments not before the case
      was opened; a refund not before the record;
    * ``source`` and ``destination``: the parties the record names. A handout goes to
      its household, from the fund or project it names; a case's payment to its case,
      hospital, patient or household, from the fund or project it names; a loan from
      its revolving fund to the loan; a repayment from the loan or its household to the
      revolving fund; a write-off from the loan; a donation's gift from its donor into
      the fund it names. A payer the record does not name is not checked: who paid is
      the flow's to say.

    Flows that the ledger derives agree by construction and are not checked.
    """
    books = _books(dataset)
    if not books.named:
        return
    for collection in EVENT_COLLECTIONS:
        if collection not in books.collections:
            continue
        for record in dataset.records(collection):
            flows = books.named.get((collection, record.id))
            if not flows:
                continue
            expected = books.expected(collection, record)
            yield from _check_flows(_describe(collection, record), flows, expected)
