"""Hypothesis strategies for village seed funds (re-exported by :mod:`humanaid.testing`).

Every strategy builds valid records, from the shared building blocks of
:mod:`humanaid.testing._common`: terms whose term is a whole number of periods, loans
whose explicit schedules add up to the principal, reschedules in order after the loan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from humanaid.money import Money
from humanaid.revolving import (
    Installment,
    LendingTerms,
    Loan,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    Reschedule,
    RevolvingFund,
    WriteOff,
)
from humanaid.testing._common import dates, members_of, money_units, short_ids

__all__ = [
    "installments",
    "lending_terms",
    "loans",
    "repayments",
    "reschedules",
    "revolving_funds",
    "write_offs",
]

_REASONS = st.sampled_from(["drought", "animal died", "illness", "moved away", "flood"])
_PURPOSES = st.sampled_from(["pigs", "cattle", "goats", "potatoes", "walnut trees", "tea"])


def lending_terms(
    *,
    currency: str = "CNY",
    methods: list[RepaymentMethod] | None = None,
    frequencies: list[RepaymentFrequency] | None = None,
    max_term_months: int = 36,
) -> st.SearchStrategy[LendingTerms]:
    """Valid lending terms: every method and frequency, grace periods, fees and penalties.

    Args:
        currency: the currency of the maximum loan and the fees.
        methods: the repayment methods to draw from (all by default).
        frequencies: the repayment frequencies to draw from (all by default).
        max_term_months: the longest term (at least 12, at most 600, the longest a
            loan may run).
    """
    if max_term_months < 12:
        raise ValueError(f"max_term_months must be at least 12 (got {max_term_months})")
    if max_term_months > 600:
        raise ValueError(
            f"max_term_months must be at most 600, the longest term a loan may run "
            f"(got {max_term_months})"
        )

    @st.composite
    def build(draw: st.DrawFn) -> LendingTerms:
        method = draw(members_of(RepaymentMethod, only=methods))
        frequency = draw(members_of(RepaymentFrequency, only=frequencies))
        months = frequency.months
        if months is None:
            term, grace = draw(st.integers(1, max_term_months)), 0
        else:
            most = max_term_months // months
            periods = draw(st.integers(1, most))
            grace = months * draw(st.integers(0, min(2, most - periods)))
            term = periods * months + grace
        rate = Decimal(0)
        if method is not RepaymentMethod.INTEREST_FREE:
            rate = Decimal(draw(st.integers(0, 3000))).scaleb(-4)
        return LendingTerms(
            term_months=term,
            method=method,
            frequency=frequency,
            annual_rate=rate,
            grace_months=grace,
            max_loan=draw(
                st.none() | money_units(currency=currency, min_value=100_000, max_value=10_000_000)
            ),
            service_fee=draw(
                st.none() | money_units(currency=currency, min_value=0, max_value=5_000)
            ),
            service_fee_rate=Decimal(draw(st.integers(0, 300))).scaleb(-4),
            late_fee=draw(st.none() | money_units(currency=currency, min_value=0, max_value=5_000)),
        )

    return build()


def installments(
    *,
    currency: str = "CNY",
    min_date: date = date(2015, 1, 1),
    max_date: date = date(2030, 12, 31),
) -> st.SearchStrategy[Installment]:
    """Valid single instalments: non-negative principal, interest and fee in one currency."""
    return st.builds(
        Installment,
        due_on=dates(min_value=min_date, max_value=max_date),
        principal=money_units(currency=currency, min_value=0, max_value=10**8),
        interest=money_units(currency=currency, min_value=0, max_value=10**6),
        fee=money_units(currency=currency, min_value=0, max_value=10**5),
    )


def revolving_funds(*, currency: str = "CNY") -> st.SearchStrategy[RevolvingFund]:
    """Valid revolving funds: each names a village, an operator or both."""

    @st.composite
    def build(draw: st.DrawFn) -> RevolvingFund:
        where = draw(st.sampled_from(["area", "organization", "both"]))
        return RevolvingFund(
            id=draw(short_ids()),
            name=f"village fund {draw(short_ids())}",
            project_id=draw(short_ids()),
            area_id=draw(short_ids()) if where != "organization" else None,
            organization_id=draw(short_ids()) if where != "area" else None,
            terms=draw(lending_terms(currency=currency)),
            currency=currency,
            fund_id=draw(st.none() | short_ids()),
            opened_on=draw(
                st.none() | dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31))
            ),
        )

    return build()


def reschedules(
    *, currency: str = "CNY", after: date = date(2016, 1, 1)
) -> st.SearchStrategy[Reschedule]:
    """Valid reschedules after ``after``: new terms, or explicit instalments in order."""

    @st.composite
    def build(draw: st.DrawFn) -> Reschedule:
        on = after + timedelta(days=draw(st.integers(1, 400)))
        reason = draw(_REASONS)
        if draw(st.booleans()):
            return Reschedule(on=on, reason=reason, terms=draw(lending_terms(currency=currency)))
        gaps = draw(st.lists(st.integers(1, 120), min_size=1, max_size=4))
        days, day = [], on
        for gap in gaps:
            day = day + timedelta(days=gap)
            days.append(day)
        return Reschedule(
            on=on,
            reason=reason,
            installments=tuple(
                Installment(
                    due_on=d,
                    principal=draw(money_units(currency=currency, min_value=1, max_value=10**7)),
                )
                for d in days
            ),
        )

    return build()


def loans(
    *,
    currency: str = "CNY",
    fund_id: str | None = None,
    household_ids: list[str] | None = None,
    min_date: date = date(2016, 1, 1),
    max_date: date = date(2025, 12, 31),
    min_principal: str = "100.00",
    max_principal: str = "50000.00",
    terms: st.SearchStrategy[LendingTerms] | None = None,
    with_reschedules: bool = True,
) -> st.SearchStrategy[Loan]:
    """Valid loans; some carry an explicit schedule (adding up) and some reschedules.

    Args:
        currency: the loan's currency.
        fund_id: the fund (random ids by default).
        household_ids: the households to draw from (random ids by default).
        min_date: the earliest disbursement.
        max_date: the latest disbursement.
        min_principal: the smallest principal.
        max_principal: the largest principal.
        terms: a strategy for the terms (:func:`lending_terms` by default).
        with_reschedules: whether some loans carry reschedules.
    """
    low = Money(min_principal, currency).minor_units
    high = Money(max_principal, currency).minor_units

    @st.composite
    def build(draw: st.DrawFn) -> Loan:
        disbursed = draw(dates(min_value=min_date, max_value=max_date))
        principal = draw(money_units(currency=currency, min_value=low, max_value=high))
        loan_terms = draw(terms if terms is not None else lending_terms(currency=currency))
        households = st.sampled_from(household_ids) if household_ids else short_ids()
        loan = Loan(
            id=draw(short_ids()),
            fund_id=fund_id if fund_id is not None else draw(short_ids()),
            household_id=draw(households),
            borrower_id=draw(st.none() | short_ids()),
            principal=principal,
            disbursed_on=disbursed,
            purpose=draw(_PURPOSES),
            terms=loan_terms,
        )
        extra: dict[str, Any] = {}
        if draw(st.integers(0, 4)) == 0:
            schedule = list(loan.terms_schedule)
            if len(schedule) > 1 and schedule[0].principal.minor_units > 0:
                moved = Money.from_minor_units(1, currency)
                schedule[0] = Installment(
                    due_on=schedule[0].due_on,
                    principal=schedule[0].principal - moved,
                    interest=schedule[0].interest,
                    fee=schedule[0].fee,
                )
                schedule[-1] = Installment(
                    due_on=schedule[-1].due_on,
                    principal=schedule[-1].principal + moved,
                    interest=schedule[-1].interest,
                    fee=schedule[-1].fee,
                )
            extra["installments"] = tuple(schedule)
        if with_reschedules and draw(st.integers(0, 3)) == 0:
            found, after = [], disbursed
            for _ in range(draw(st.integers(1, 2))):
                r = draw(reschedules(currency=currency, after=after))
                found.append(r)
                after = r.on
            extra["reschedules"] = tuple(found)
        return attrs.evolve(loan, **extra) if extra else loan

    return build()


def _loan_ids(loan_id: str | None) -> st.SearchStrategy[str]:
    """The one loan given, or any loan id."""
    return st.just(loan_id) if loan_id is not None else short_ids()


def repayments(
    *,
    currency: str = "CNY",
    loan_id: str | None = None,
    min_date: date = date(2016, 1, 1),
    max_date: date = date(2028, 12, 31),
    max_value: str = "20000.00",
) -> st.SearchStrategy[Repayment]:
    """Valid repayments: positive amounts up to ``max_value``."""
    return st.builds(
        Repayment,
        id=short_ids(),
        loan_id=_loan_ids(loan_id),
        paid_on=dates(min_value=min_date, max_value=max_date),
        amount=money_units(
            currency=currency, min_value=1, max_value=Money(max_value, currency).minor_units
        ),
        note=st.sampled_from(["", "cash at the village office", "by bank transfer"]),
    ).flatmap(_with_transaction_ref)


def write_offs(
    *,
    currency: str = "CNY",
    loan_id: str | None = None,
    min_date: date = date(2016, 1, 1),
    max_date: date = date(2028, 12, 31),
) -> st.SearchStrategy[WriteOff]:
    """Valid write-offs: of the remaining balance, or of a positive amount."""
    return st.builds(
        WriteOff,
        id=short_ids(),
        loan_id=_loan_ids(loan_id),
        on=dates(min_value=min_date, max_value=max_date),
        reason=_REASONS,
        amount=st.none() | money_units(currency=currency, min_value=1, max_value=5_000_000),
    )


def _with_transaction_ref(record: Repayment) -> st.SearchStrategy[Repayment]:
    """The record, or the record with a bank number unique to it (``TX-<id>``).

    Two records share a number only when a test makes them: the tests of the law that a
    transaction is booked once draw their own.
    """
    return st.sampled_from([record, attrs.evolve(record, transaction_ref=f"TX-{record.id}")])


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this module and its default strategy (for ``record_strategies``)."""
    return {
        LendingTerms: lending_terms,
        Installment: installments,
        RevolvingFund: revolving_funds,
        Reschedule: reschedules,
        Loan: loans,
        Repayment: repayments,
        WriteOff: write_offs,
    }
