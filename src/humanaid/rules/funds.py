"""Rules for money.

Funds never overdrawn, restricted money kept to its purpose, flows that match the
records they stem from, and parties that exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from humanaid.findings import Finding, Severity
from humanaid.funds import Flow, FlowKind, Fund, Ledger, Party, PartyKind

if TYPE_CHECKING:
    from humanaid.dataset import Dataset

__all__ = [
    "flows_match_their_origin",
    "flows_name_known_parties",
    "funds_not_overdrawn",
    "ledger_of",
    "restricted_gifts_not_in_general_funds",
    "restricted_money_kept_to_purpose",
]


def ledger_of(dataset: Dataset) -> Ledger:
    """The dataset's ledger, built once and shared by every rule."""
    return dataset.ledger()


def funds_not_overdrawn(dataset: Dataset) -> Iterator[Finding]:
    """A fund's end-of-day balance never goes below zero (``funds.overdrawn``).

    Flows are applied in date order, then by id; one finding per fund and currency names
    the first day of the lowest balance.
    """
    ledger = ledger_of(dataset)
    for fund in dataset.records("funds"):
        party = Party.fund(fund.id)
        for currency in sorted(ledger.currencies()):
            lowest, when = ledger.lowest_balance(party, currency=currency)
            if when is not None and lowest.is_negative():
                yield Finding(
                    rule="funds.overdrawn",
                    severity=Severity.ERROR,
                    subject=fund.id,
                    message=(
                        f"fund {fund.id!r} is overdrawn by {(-lowest).format(grouping=True)}"
                        f" on {when.isoformat()}"
                    ),
                    figures={"lowest_balance": lowest, "on": when},
                )


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
    for flow in ledger_of(dataset).flows:
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
    """
    if "donations" not in dataset.collection_types():
        return
    funds = dataset.index("funds")
    ledger = ledger_of(dataset)
    for flow in ledger.flows:
        if flow.kind is not FlowKind.DONATION or flow.origin is None:
            continue
        if flow.origin.collection != "donations":
            continue
        donation = dataset.get("donations", flow.origin.id)
        if donation is None or getattr(donation, "restricted_to", None) is None:
            continue
        dest = flow.destination
        target = funds.get(dest.id) if dest.kind is PartyKind.FUND else None
        if target is not None and target.kind.is_restricted:
            continue
        where = f"general fund {dest.id!r}" if target is not None else str(dest)
        yield Finding(
            rule="funds.restricted-gift-unrestricted",
            severity=Severity.ERROR,
            subject=donation.id,
            message=(
                f"donation {donation.id!r} is restricted by its donor but was put into {where}"
            ),
            figures={"amount": flow.amount, "destination": str(dest)},
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
