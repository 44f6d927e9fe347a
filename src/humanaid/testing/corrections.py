"""Strategies for undoing and retrying money events, and for merges of duplicates.

Re-exported by :mod:`humanaid.testing`.

Refunds of gifts, reversals of flows, repayments and refunds, bank transaction numbers
(the idempotency keys of gifts, refunds, flows and repayments), balance assertions from
bank statements, and merges of duplicate persons or donors. Every strategy builds valid
records from the shared building blocks of :mod:`humanaid.testing._common`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from hypothesis import strategies as st

from humanaid.dedupe import Merge
from humanaid.donors import Refund
from humanaid.funds import REVERSIBLE_COLLECTIONS, BalanceAssertion, Reversal
from humanaid.money import Money
from humanaid.testing._common import dates, money_units, short_ids

__all__ = ["balance_assertions", "merges", "refunds", "reversals", "transaction_refs"]

_REASONS = ("paid twice by the donor", "campaign cancelled", "entered twice", "wrong loan")


def transaction_refs() -> st.SearchStrategy[str]:
    """Bank or platform transaction numbers: ``TX-`` and a short id, often the same twice.

    Drawn from a small alphabet so that two records of one example often share one: the
    case the idempotency rules are about.
    """
    return short_ids(prefix="TX-")


def refunds(
    *,
    currency: str = "CNY",
    donation_id: str | None = None,
    min_date: date = date(2015, 1, 1),
    max_date: date = date(2025, 12, 31),
    max_value: str = "100000.00",
) -> st.SearchStrategy[Refund]:
    """Valid refunds: a positive amount up to ``max_value``, of ``donation_id`` (or any)."""
    return st.builds(
        Refund,
        id=short_ids(),
        donation_id=st.just(donation_id) if donation_id is not None else short_ids(),
        on=dates(min_value=min_date, max_value=max_date),
        amount=money_units(
            currency=currency, min_value=1, max_value=Money(max_value, currency).minor_units
        ),
        reason=st.sampled_from(_REASONS),
        transaction_ref=st.none() | transaction_refs(),
    )


def reversals(
    *,
    collections: tuple[str, ...] = REVERSIBLE_COLLECTIONS,
    min_date: date = date(2015, 1, 1),
    max_date: date = date(2025, 12, 31),
) -> st.SearchStrategy[Reversal]:
    """Valid reversals of a record of one of ``collections`` (by default, any reversible)."""
    return st.builds(
        Reversal,
        id=short_ids(),
        collection=st.sampled_from(collections),
        record_id=short_ids(),
        on=dates(min_value=min_date, max_value=max_date),
        reason=st.sampled_from(_REASONS),
    )


def balance_assertions(
    *,
    currency: str = "CNY",
    fund_id: str | None = None,
    min_date: date = date(2015, 1, 1),
    max_date: date = date(2025, 12, 31),
) -> st.SearchStrategy[BalanceAssertion]:
    """Valid balance assertions: any balance, overdrawn ones included."""
    return st.builds(
        BalanceAssertion,
        id=short_ids(),
        fund_id=st.just(fund_id) if fund_id is not None else short_ids(),
        on=dates(min_value=min_date, max_value=max_date),
        expected=money_units(currency=currency, min_value=-(10**9), max_value=10**9),
        source=st.sampled_from(["bank statement", "ICBC 2021-03", "cash count"]),
    )


def merges(*, collection: str | None = None) -> st.SearchStrategy[Merge]:
    """Valid merges of two different persons or donors (or of ``collection``)."""
    return st.builds(
        lambda ids, **kw: Merge(kept_id=ids[0], dropped_id=ids[1], **kw),
        st.tuples(short_ids(), short_ids()).filter(lambda p: p[0] != p[1]),
        id=short_ids(),
        collection=st.just(collection) if collection else st.sampled_from(["persons", "donors"]),
        on=dates(),
        reason=st.sampled_from(["registered twice", "one firm", "same ID number"]),
        filled=st.lists(st.sampled_from(["phone", "birth_date", "email"]), unique=True).map(tuple),
    )


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this module and its default strategy (for ``record_strategies``)."""
    return {
        Refund: refunds,
        Reversal: reversals,
        BalanceAssertion: balance_assertions,
        Merge: merges,
    }
