"""Hypothesis strategies for exchange rates (re-exported by :mod:`humanaid.testing`).

Every strategy builds valid records from the shared building blocks of
:mod:`humanaid.testing._common`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from humanaid.rates import ExchangeRate, RateKind
from humanaid.testing._common import MAX_DATE, MIN_DATE, currencies, dates, decimals, short_ids

__all__ = ["exchange_rates"]

_SOURCES = ("PBOC central parity", "bank", "budget 2020", "中国银行折算价")


def exchange_rates(
    *,
    from_currency: str | None = None,
    to_currency: str | None = None,
    kind: RateKind | None = None,
    min_value: Decimal | int | str = Decimal("0.0001"),
    max_value: Decimal | int | str = 100_000,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
) -> st.SearchStrategy[ExchangeRate]:
    """Valid exchange rates: two different currencies, a rate from ``min_value`` to ``max_value``.

    ``from_currency``, ``to_currency`` and ``kind`` fix what they name (any when
    ``None``); rates have up to six decimal places, as published rates do.

    >>> from hypothesis import given
    >>> @given(exchange_rates(from_currency="USD", to_currency="CNY"))
    ... def test_pair(r):
    ...     assert r.pair == ("USD", "CNY") and r.rate > 0
    >>> test_pair()
    """
    pairs = st.tuples(
        st.just(from_currency) if from_currency is not None else currencies(),
        st.just(to_currency) if to_currency is not None else currencies(),
    ).filter(lambda p: p[0] != p[1])

    def build(
        id_: str, on: date, pair: tuple[str, str], rate: Decimal, source: str, kind_: RateKind
    ) -> ExchangeRate:
        return ExchangeRate(
            id=id_,
            on=on,
            from_currency=pair[0],
            to_currency=pair[1],
            rate=rate,
            source=source,
            kind=kind_,
        )

    return st.builds(
        build,
        short_ids(),
        dates(min_value=min_date, max_value=max_date),
        pairs,
        decimals(min_value=min_value, max_value=max_value, places=6).filter(lambda d: d > 0),
        st.sampled_from(_SOURCES),
        st.just(kind) if kind is not None else st.sampled_from(RateKind),
    )


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this module and its default strategy (for ``record_strategies``)."""
    return {ExchangeRate: exchange_rates}
