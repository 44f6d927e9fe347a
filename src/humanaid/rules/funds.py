"""Rules for money.

Funds never overdrawn, restricted money kept to its purpose, flows that match the
records they stem from, and parties that exist; reversals that undo a record once,
flows entered once, and balances that agree with the bank's statements.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from humanaid.findings import Finding, Severity
from humanaid.funds import (
    REVERSIBLE_COLLECTIONS,
    BalanceAssertion,
    Flow,
    FlowKind,
    Fund,
    Ledger,
    Party,
    PartyKind,
    Reversal,
    _gift_ends,
    derived_flow_id,
)
from humanaid.ledger import booked_donations, booked_flows, not_booked
from humanaid.money import Money
from humanaid.rules._helpers import finding, party_ledgers

if TYPE_CHECKING:
    from humanaid.dataset import Dataset
    from humanaid.donors import Donation

__all__ = [
    "balances_as_asserted",
    "duplicate_flow_transactions",
    "flows_match_their_origin",
    "flows_name_known_parties",
    "funds_not_overdrawn",
    "ledger_of",
    "lowest_fund_balances",
    "restricted_gifts_not_in_general_funds",
    "restricted_money_kept_to_purpose",
    "reversals_undo_once",
]


def ledger_of(dataset: Dataset) -> Ledger:
    """The dataset's ledger, built once and shared by every rule."""
    return dataset.ledger()


def funds_not_overdrawn(dataset: Dataset) -> Iterator[Finding]:
    """A fund's end-of-day balance never goes below zero (``funds.overdrawn``).

    Flows are applied in date order, then by id; one finding per fund and currency names
    the first day of the lowest balance.
    """
    funds: tuple[Fund, ...] = dataset.records("funds")
    if not funds:
        return
    lowest = lowest_fund_balances(ledger_of(dataset), {f.id for f in funds})
    for fund in funds:
        found = lowest.get(fund.id)
        if found is None:
            continue
        for currency in sorted(found):
            low, when = found[currency]
            yield Finding(
                rule="funds.overdrawn",
                severity=Severity.ERROR,
                subject=fund.id,
                message=(
                    f"fund {fund.id!r} is overdrawn by {(-low).format(grouping=True)}"
                    f" on {when.isoformat()}"
                ),
                figures={"lowest_balance": low, "on": when},
            )


def lowest_fund_balances(
    ledger: Ledger, fund_ids: Collection[str]
) -> dict[str, dict[str, tuple[Money, date]]]:
    """Each overdrawn fund's lowest end-of-day balance per currency, and its first day.

    What :meth:`Ledger.lowest_balance` answers, for each of ``fund_ids`` and each
    currency its money moved in: the balance is judged when a fund's day ends, and only a
    balance below zero is kept. Funds and currencies never below zero are absent. A
    dataset's ledger answers from its funds' end-of-day sums, making no gift's flow.
    """
    out: dict[str, dict[str, tuple[Money, date]]] = {}
    for fund_id in fund_ids:
        party = Party.fund(fund_id)
        balances = ledger._balances(party)
        if balances is None:
            continue
        for currency in balances.running:
            low, when = ledger.lowest_balance(party, currency=currency)
            if when is not None:
                out.setdefault(fund_id, {})[currency] = (low, when)
    return out


def _carries_restriction(fund: Fund, target: Fund | None) -> bool:
    """Whether moving money from ``fund`` into ``target`` keeps it to the same purpose."""
    if target is None or not target.kind.is_restricted:
        return False
    return set(target.project_ids) <= set(fund.project_ids) and set(target.purposes) <= set(
        fund.purposes
    )


def restricted_money_kept_to_purpose(dataset: Dataset) -> Iterator[Finding]:
    """Money leaves a restricted or special fund only for the fund's purpose.

    Allowed: a payment to a project the fund names or for a purpose it names, a refund,
    a move into another restricted fund with the same or a narrower purpose (a purpose
    tag on a move into a fund does not count: the money follows the fund's rules), and the
    platform fees deducted from a gift on its way in. Anything else is
    ``funds.restricted-misuse``.
    """
    funds: dict[str, Fund] = dict(dataset.index("funds"))
    from_a_fund = PartyKind.FUND
    ledger = ledger_of(dataset)
    split = ledger._without_gifts()
    # A gift's flow comes from a donor or the outside, and its fees' flow, from the fund
    # or organisation it went to, is a fundraising cost that stems from the donation:
    # neither is ever a misuse, so a ledger holding its gifts as donations is read
    # without them (the other flows, in ledger order).
    for flow in ledger.flows if split is None else split[0]:
        if flow.source.kind is from_a_fund:  # the others, most gifts, at once
            yield from _misuse(flow, funds)


def _misuse(flow: Flow, funds: dict[str, Fund]) -> Iterator[Finding]:
    if flow.source.kind is not PartyKind.FUND:
        return
    fund = funds.get(flow.source.id)
    if fund is None or not fund.kind.is_restricted or flow.kind is FlowKind.REFUND:
        return
    target = funds.get(flow.destination.id) if flow.destination.kind is PartyKind.FUND else None
    if target is not None:
        # Money that lands in a fund is kept to a purpose only by that fund's own
        # restriction: a purpose tag on the move does not follow it there.
        if _carries_restriction(fund, target):
            return
    elif fund.allows(flow.destination, flow.purpose):
        return
    if flow.kind is FlowKind.FUNDRAISING_COST and flow.origin is not None:
        return
    yield Finding(
        rule="funds.restricted-misuse",
        severity=Severity.ERROR,
        subject=flow.id,
        message=(
            f"flow {flow.id!r} pays {flow.amount.format(grouping=True)} from {fund.kind.value} "
            f"fund {fund.id!r} to {flow.destination}"
            + (f" for {flow.purpose!r}" if flow.purpose else "")
            + ", outside the fund's purpose"
        ),
        figures={"fund": fund.id, "amount": flow.amount, "destination": str(flow.destination)},
    )


def restricted_gifts_not_in_general_funds(dataset: Dataset) -> Iterator[Finding]:
    """A gift the donor restricted must not land in unrestricted money.

    A general fund or an organisation's own account are unrestricted
    (``funds.restricted-gift-unrestricted``).

    The ledger's gift flows are read from the records they come from, never from the
    ledger's two million flows: a dataset's own flows that name a donation, then the
    gift each booked donation no such flow stands for brings in
    (:func:`humanaid.ledger.dataset_flows`), of the restricted gifts only, reported in
    the ledger's order (day, then flow id).
    """
    if "donations" not in dataset.collection_types():
        return
    # the restricted gifts, by id (the first record of an id, as the index keeps it)
    index = dataset.index("donations")
    restricted = {d.id: d for d in index.values() if d.restricted_to is not None}
    if not restricted:
        return
    from humanaid.dataset import Dataset

    if type(dataset).ledger is not Dataset.ledger:  # a ledger built otherwise: read it
        yield from _restricted_gifts_in(dataset, ledger_of(dataset).flows, restricted)
        return
    gift = FlowKind.DONATION
    # (day, flow id, n): the ledger's order, which is stable (n keeps equal keys in turn)
    found: list[tuple[date, str, int, Party, Money, str]] = []
    covered: set[str] = set()
    for flow in booked_flows(dataset):
        origin = flow.origin
        if origin is None or origin.collection != "donations":
            continue
        covered.add(origin.id)
        if flow.kind is gift and origin.id in restricted:
            found.append((flow.on, flow.id, len(found), flow.destination, flow.amount, origin.id))
    get = restricted.get
    booked = booked_donations(dataset)
    gifts: Iterable[Donation] = booked
    # No id repeats (as a rule): a booked gift is among the restricted just when it is
    # restricted itself, asked of the record before its id is hashed (most gifts are not).
    count = len(dataset.records("donations"))
    unique = len(index) == count
    if unique and len(booked) == count:
        # ... and every gift is booked: the booked restricted gifts are the restricted
        # gifts, in their order (a million gifts are not walked again for a few)
        gifts = restricted.values()
    for donation in gifts:
        if unique and donation.restricted_to is None:
            continue
        gift_id = donation.id
        if get(gift_id) is None or gift_id in covered:
            continue
        _, destination = _gift_ends(donation)
        found.append(
            (donation.received_on, derived_flow_id("donation", gift_id), len(found),
             destination, donation.value, gift_id)
        )  # fmt: skip
    found.sort()
    funds = dataset.index("funds")
    for _, _, _, dest, amount, gift_id in found:
        target = funds.get(dest.id) if dest.kind is PartyKind.FUND else None
        if target is not None and target.kind.is_restricted:
            continue
        yield _unrestricted(gift_id, dest, amount, target is not None)


def _restricted_gifts_in(
    dataset: Dataset, flows: Iterable[Flow], restricted: Mapping[str, Any]
) -> Iterator[Finding]:
    """``funds.restricted-gift-unrestricted`` read from a ledger's flows, in their order."""
    funds = dataset.index("funds")
    gift = FlowKind.DONATION
    for flow in flows:
        origin = flow.origin
        if flow.kind is not gift or origin is None or origin.collection != "donations":
            continue
        if origin.id not in restricted:
            continue
        dest = flow.destination
        target = funds.get(dest.id) if dest.kind is PartyKind.FUND else None
        if target is not None and target.kind.is_restricted:
            continue
        yield _unrestricted(origin.id, dest, flow.amount, target is not None)


def _unrestricted(gift_id: str, dest: Party, amount: Money, general: bool) -> Finding:
    where = f"general fund {dest.id!r}" if general else str(dest)
    return finding(
        rule="funds.restricted-gift-unrestricted",
        severity=Severity.ERROR,
        subject=gift_id,
        message=f"donation {gift_id!r} is restricted by its donor but was put into {where}",
        figures={"amount": amount, "destination": str(dest)},
    )


def flows_match_their_origin(dataset: Dataset) -> Iterator[Finding]:
    """A flow that stems from a record matches it, and the record exists.

    A donation flow carries exactly the donation's value (``funds.flow-mismatch``); a
    flow's origin must be in the dataset (``funds.unknown-origin``).
    """
    collections = dataset.collection_types()
    for flow in dataset.records("flows"):
        if flow.origin is None:
            continue
        if flow.origin.collection not in collections:
            continue
        record: Any = dataset.get(flow.origin.collection, flow.origin.id)
        if record is None:
            yield Finding(
                rule="funds.unknown-origin",
                severity=Severity.ERROR,
                subject=flow.id,
                message=(
                    f"flow {flow.id!r} stems from {flow.origin.collection} "
                    f"{flow.origin.id!r}, which is not in the dataset"
                ),
                figures={"collection": flow.origin.collection, "id": flow.origin.id},
            )
            continue
        if flow.origin.collection == "donations" and flow.kind is FlowKind.DONATION:
            expected = record.value
            if flow.amount != expected:
                yield Finding(
                    rule="funds.flow-mismatch",
                    severity=Severity.ERROR,
                    subject=flow.id,
                    message=(
                        f"flow {flow.id!r} carries {flow.amount} but donation "
                        f"{record.id!r} is {expected}"
                    ),
                    figures={"flow_amount": flow.amount, "record_amount": expected},
                )


def flows_name_known_parties(dataset: Dataset) -> Iterator[Finding]:
    """Every party a flow names exists in the dataset (``funds.unknown-party``).

    Parties whose collection the dataset does not have, and ``OUTSIDE``, are not checked.
    """
    collections = dataset.collection_types()
    for flow in dataset.records("flows"):
        for role, party in (("source", flow.source), ("destination", flow.destination)):
            collection = party.collection
            if collection is None or collection not in collections:
                continue
            if party.id not in dataset.index(collection):
                yield Finding(
                    rule="funds.unknown-party",
                    severity=Severity.ERROR,
                    subject=flow.id,
                    message=(
                        f"flow {flow.id!r} names {party} as its {role}, which is not in "
                        f"{collection!r}"
                    ),
                    figures={"role": role, "party": str(party)},
                )


# -- undoing and retrying ---------------------------------------------------------------------

_DAY_OF: dict[str, str] = {"flows": "on", "repayments": "paid_on", "refunds": "on"}


def reversals_undo_once(dataset: Dataset) -> Iterator[Finding]:
    """Each reversal undoes one record the dataset has, once, and is not itself undone.

    Rule code ``funds.reversal-unknown-record``, severity ERROR: a reversal naming a
    record its collection lacks, or a collection that cannot be reversed
    (:data:`humanaid.REVERSIBLE_COLLECTIONS`): it undoes nothing.

    Rule code ``funds.reversal-of-reversal``, severity ERROR: a reversal naming another
    reversal. A reversal is itself a correction; to restore a record, remove the
    reversal (or enter the event again): a reversal of a reversal undoes nothing.

    Rule code ``funds.reversed-twice``, severity WARNING: a second reversal of one
    record (the record is undone once; the later reversal changes nothing).

    Rule code ``funds.reversal-before-record``, severity WARNING: a reversal dated
    before the record it undoes (the record is undone all the same; one of the days is
    probably wrong).
    """
    reversals: tuple[Reversal, ...] = dataset.records("reversals", missing_ok=True)
    first: dict[tuple[str, str], str] = {}
    for x in sorted(reversals, key=lambda r: (r.on, r.id)):
        target = (x.collection, x.record_id)
        if x.collection == "reversals":
            yield Finding(
                rule="funds.reversal-of-reversal",
                severity=Severity.ERROR,
                subject=x.id,
                message=(
                    f"reversal {x.id!r} reverses reversal {x.record_id!r}: it undoes nothing "
                    "(remove the reversal, or enter the event again, to restore a record)"
                ),
                figures={"record_id": x.record_id},
            )
            continue
        known = x.collection in REVERSIBLE_COLLECTIONS and x.record_id in dataset.index(
            x.collection, missing_ok=True
        )
        if not known:
            what = (
                f"no record {x.record_id!r} in {x.collection!r}"
                if x.collection in REVERSIBLE_COLLECTIONS
                else f"{x.collection!r} cannot be reversed (only "
                f"{', '.join(REVERSIBLE_COLLECTIONS)})"
            )
            yield Finding(
                rule="funds.reversal-unknown-record",
                severity=Severity.ERROR,
                subject=x.id,
                message=f"reversal {x.id!r} undoes nothing: {what}",
                figures={"collection": x.collection, "record_id": x.record_id},
            )
            continue
        if target in first:
            yield Finding(
                rule="funds.reversed-twice",
                severity=Severity.WARNING,
                subject=x.id,
                message=(
                    f"reversal {x.id!r} reverses {x.collection} {x.record_id!r} again: "
                    f"reversal {first[target]!r} already did"
                ),
                figures={"same_as": first[target], "record_id": x.record_id},
            )
            continue
        first[target] = x.id
        record = dataset.index(x.collection)[x.record_id]
        day = getattr(record, _DAY_OF[x.collection])
        if x.on < day:
            yield Finding(
                rule="funds.reversal-before-record",
                severity=Severity.WARNING,
                subject=x.id,
                message=(
                    f"reversal {x.id!r} on {x.on.isoformat()} is dated before "
                    f"{x.collection} {x.record_id!r} on {day.isoformat()}"
                ),
                figures={"on": x.on, "record_on": day},
            )


def duplicate_flow_transactions(dataset: Dataset) -> Iterator[Finding]:
    """A flow entered again under the transaction number of an earlier one.

    The first of a number (by day, then id) is in the ledger; each later one is not, so
    the money moves once (:func:`humanaid.not_booked`). Rule code
    ``funds.duplicate-transaction``, severity WARNING: one finding per later flow,
    naming the first (``same_as``).
    """
    flows = dataset.index("flows", missing_ok=True)
    for (collection, flow_id), why in not_booked(dataset).items():
        if collection != "flows" or not why.startswith("duplicate of "):
            continue
        first_id = why.removeprefix("duplicate of ")
        flow, first = flows.get(flow_id), flows.get(first_id)
        if flow is None or first is None:
            continue
        agree = (
            "the same amount"
            if flow.amount == first.amount
            else f"{flow.amount.format(grouping=True)} against {first.amount.format(grouping=True)}"
        )
        yield Finding(
            rule="funds.duplicate-transaction",
            severity=Severity.WARNING,
            subject=flow_id,
            message=(
                f"flow {flow_id!r} carries the transaction number of flow {first_id!r} "
                f"({agree}): booked once, as {first_id!r}"
            ),
            figures={"same_as": first_id},
        )


def balances_as_asserted(dataset: Dataset) -> Iterator[Finding]:
    """A fund holds, at the start of each asserted day, what its bank statement says.

    As beancount's ``balance`` directive: the ledger's balance of the fund from every
    flow dated before the day (none of the day's own), in the currency of the expected
    balance, must equal it to the fen. An assertion on a fund the dataset lacks is
    ``integrity.missing-reference``'s to report.

    Rule code ``funds.balance-mismatch``, severity ERROR, with the computed and expected
    balances and their difference in ``figures``.
    """
    assertions: tuple[BalanceAssertion, ...] = dataset.records(
        "balance_assertions", missing_ok=True
    )
    if not assertions:
        return
    funds = dataset.index("funds", missing_ok=True)
    ledgers = party_ledgers(dataset, PartyKind.FUND)
    for a in assertions:
        if a.fund_id not in funds:
            continue
        currency = a.expected.currency
        ledger = ledgers.get(a.fund_id)
        if a.on == date.min or ledger is None:  # nothing moved before the first day
            computed = Money.zero(currency)
        else:
            computed = ledger.balance(
                Party.fund(a.fund_id), a.on - timedelta(days=1), currency=currency
            )
        if computed == a.expected:
            continue
        difference = computed - a.expected
        yield Finding(
            rule="funds.balance-mismatch",
            severity=Severity.ERROR,
            subject=a.id,
            message=(
                f"fund {a.fund_id!r} held {computed.format(grouping=True)} at the start of "
                f"{a.on.isoformat()}, but {a.source} says {a.expected.format(grouping=True)} "
                f"(a difference of {difference.format(grouping=True)})"
            ),
            figures={"computed": computed, "expected": a.expected, "difference": difference},
        )
