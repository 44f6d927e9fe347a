"""Rules for currencies: money a rate can convert, and rates stated once.

A summary converts money in another currency with the rate of its day
(:mod:`humanaid.rates`); money no rate converts is left out of its figures. These rules
say so before any summary is asked for:

* ``currency.unconvertible`` (WARNING): a money event (a flow of the ledger, or a
  project's budget) is in a currency that no exchange rate of the dataset converts to
  the reporting currency on its day, under any policy (no daily rate at most
  :data:`~humanaid.rates.DEFAULT_MAX_AGE` days old, no monthly average of its month, no
  budget rate set before it): summaries in the reporting currency will leave it out;
* ``currency.duplicate-rate`` (ERROR): two exchange rates of the same kind state the
  same pair, in the same direction, for the same day (a monthly average: the same
  month) from the same source; which one a summary used would depend on nothing.

A rate that converts a currency to itself, or a rate of zero or less, cannot be made
(:class:`~humanaid.ExchangeRate` refuses it), so no rule needs to look for one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from humanaid.findings import Finding, Severity
from humanaid.funds import Flow, Ledger, _gift_flows, _in_ledger_order
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.rates import ExchangeRate, RateKind, RatePolicy, RateTable

if TYPE_CHECKING:
    from humanaid.dataset import Dataset

__all__ = ["duplicate_rates", "money_without_rates"]

_POLICIES = (RatePolicy.daily(), RatePolicy.monthly_average(), RatePolicy.budget())


def money_without_rates(dataset: Dataset, *, currency: str = DEFAULT_CURRENCY) -> Iterator[Finding]:
    """Money events in a currency no rate converts to ``currency`` on their day.

    The built-in rule checks against the library's default reporting currency (CNY);
    for another, run ``functools.partial(money_without_rates, currency="USD")``. Each
    record is reported once (the first of its days without a rate); a flow that stems
    from a record is reported under that record's id.
    """
    rates = RateTable(dataset.records("exchange_rates", missing_ok=True))
    seen: set[str] = set()

    def check(amount: Money, on: date, subject: str, what: str) -> Finding | None:
        if amount.currency == currency or subject in seen:
            return None
        if any(rates.find(amount.currency, currency, on, policy=p) for p in _POLICIES):
            return None
        seen.add(subject)
        return Finding(
            rule="currency.unconvertible",
            severity=Severity.WARNING,
            subject=subject,
            message=(
                f"{what} {subject!r} moves {amount} on {on.isoformat()}, and no exchange "
                f"rate converts {amount.currency} to {currency} for that day: summaries in "
                f"{currency} will leave it out"
            ),
            figures={"amount": amount, "on": on},
        )

    for flow in _foreign_flows(dataset.ledger(), currency):
        subject, what = flow.id, "flow"
        if flow.origin is not None:
            subject, what = flow.origin.id, flow.origin.collection.rstrip("s").replace("_", "-")
        found = check(flow.amount, flow.on, subject, what)
        if found is not None:
            yield found
    for project in dataset.projects:
        found = check(project.budget, project.period.start, project.id, "the budget of project")
        if found is not None:
            yield found


def _foreign_flows(ledger: Ledger, currency: str) -> Iterable[Flow]:
    """The ledger's flows in another currency than ``currency``, in ledger order.

    A ledger holding its gifts as donations (a dataset's) makes a flow only for a gift
    whose value or fees are in another currency (:func:`~humanaid.funds._gift_flows`
    of that donation), and orders those few with the other flows in that currency as
    the ledger orders all of its flows (day, then id; the dataset's own flows, then the
    gifts', then the rest where both tie).
    """
    split = ledger._without_gifts()
    if split is None:
        return (f for f in ledger.flows if f.amount.currency != currency)
    gifts = split[1]
    made: list[Flow] = []
    for donation, _, _, platform in gifts.ends():
        if donation.value.currency != currency or (
            platform is not None and donation.fees.currency != currency
        ):
            made.extend(f for f in _gift_flows((donation,)) if f.amount.currency != currency)
    return _in_ledger_order(
        [
            *(f for f in gifts.own if f.amount.currency != currency),
            *made,
            *(f for f in gifts.rest if f.amount.currency != currency),
        ]
    )


def _slot(rate: ExchangeRate) -> tuple[object, ...]:
    monthly = rate.kind is RateKind.MONTHLY_AVERAGE
    day: object = (rate.on.year, rate.on.month) if monthly else rate.on
    return (rate.from_currency, rate.to_currency, rate.kind, rate.source, day)


def duplicate_rates(dataset: Dataset) -> Iterator[Finding]:
    """Exchange rates that state the same pair, kind, day (or month) and source twice."""
    first: dict[tuple[object, ...], ExchangeRate] = {}
    for rate in dataset.records("exchange_rates", missing_ok=True):
        slot = _slot(rate)
        earlier = first.setdefault(slot, rate)
        if earlier is rate:
            continue
        when = (
            f"the month {rate.on:%Y-%m}"
            if rate.kind is RateKind.MONTHLY_AVERAGE
            else rate.on.isoformat()
        )
        same = "the same rate" if earlier.rate == rate.rate else f"{earlier.rate} and {rate.rate}"
        yield Finding(
            rule="currency.duplicate-rate",
            severity=Severity.ERROR,
            subject=rate.id,
            message=(
                f"exchange rates {earlier.id!r} and {rate.id!r} both state the {rate.kind.value} "
                f"rate from {rate.from_currency} to {rate.to_currency} for {when} from "
                f"{rate.source!r} ({same})"
            ),
            figures={"rate": rate.rate, "other": earlier.rate, "on": rate.on},
        )
