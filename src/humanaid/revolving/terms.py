"""Lending terms and the schedules they give: what falls due on which day.

:class:`LendingTerms` say how a fund lends (term, grace, rate, fees, penalties); the
:class:`RepaymentMethod` spreads principal and interest over the instalments, the
:class:`RepaymentFrequency` spaces their due dates. :func:`repayment_schedule` turns a
principal, terms and a start day into :class:`Installment` s, exactly, rounding each
amount half-up to the fen once.

>>> from datetime import date
>>> from humanaid import Money
>>> terms = LendingTerms(term_months=6, method="interest_free", frequency="quarterly")
>>> [(str(i.due_on), str(i.principal)) for i in repayment_schedule(Money("1001"), terms,
...                                                                  date(2024, 1, 31))]
[('2024-04-30', '500.50 CNY'), ('2024-07-31', '500.50 CNY')]
"""

from __future__ import annotations

import enum
import functools
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Final

import attrs

from humanaid.errors import CurrencyMismatch, FieldValueError
from humanaid.money import Money
from humanaid.periods import Frequency, due_dates
from humanaid.records import date_field, enum_field, money_field, non_negative, positive, whole
from humanaid.revolving._fields import _optional_money, _rate_field, _units, _zero_like

__all__ = [
    "Installment",
    "LendingTerms",
    "RepaymentFrequency",
    "RepaymentMethod",
    "repayment_schedule",
]

_MAX_TERM_MONTHS: Final = 600


class RepaymentMethod(enum.StrEnum):
    """How principal and interest are spread over the instalments.

    ``DECLINING_BALANCE``: equal instalments (an annuity); interest on the balance.
    ``EQUAL_PRINCIPAL``: the same principal each time; interest on the balance.
    ``FLAT``: the same principal each time; interest on the original principal.
    ``BULLET``: all principal with the last instalment; interest each period, if any
    (common for livestock loans: the pig is sold, the loan repaid).
    ``INTEREST_FREE``: the same principal each time and no interest.
    """

    DECLINING_BALANCE = "declining_balance"
    EQUAL_PRINCIPAL = "equal_principal"
    FLAT = "flat"
    BULLET = "bullet"
    INTEREST_FREE = "interest_free"


class RepaymentFrequency(enum.StrEnum):
    """How often instalments fall due; ``AT_MATURITY`` is once, at the end of the term.

    >>> RepaymentFrequency.QUARTERLY.months, RepaymentFrequency.AT_MATURITY.months
    (3, None)
    """

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"
    AT_MATURITY = "at_maturity"

    @property
    def months(self) -> int | None:
        """Months between two instalments (``None`` for one payment at maturity)."""
        frequency = self.frequency
        return None if frequency is None else frequency.months

    @property
    def frequency(self) -> Frequency | None:
        """The :class:`~humanaid.Frequency` of the due dates (``None`` at maturity)."""
        if self is RepaymentFrequency.AT_MATURITY:
            return None
        return Frequency(self.value)


# -- terms ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class LendingTerms:
    """The terms a revolving fund lends under, copied onto every loan made under them.

    Attributes:
        term_months: months from disbursement to the last instalment (1 to 600).
        method: how principal and interest are spread (:class:`RepaymentMethod`).
        frequency: how often instalments fall due (:class:`RepaymentFrequency`).
        annual_rate: the nominal yearly interest rate as a fraction (``0.06`` for 6%);
            often zero. A period's rate is ``annual_rate * months / 12``, exactly.
        grace_months: months after disbursement before the first period starts. Nothing
            falls due and no interest runs during them (a payment holiday); they count
            in ``term_months``.
        max_loan: the largest loan the fund makes (``None``: no limit).
        service_fee: a flat fee per loan, due with the first instalment.
        service_fee_rate: a fee as a fraction of the principal, rounded half-up to the
            fen, due with the first instalment (added to ``service_fee``).
        late_fee: a flat penalty charged once on each instalment not fully paid by the
            end of its due date (``None``: no penalties).

    ``term_months`` less ``grace_months`` must be a whole number of periods, and so must
    ``grace_months``; a loan repaid at maturity has no grace months.

    >>> t = LendingTerms(term_months=24, grace_months=6, frequency="quarterly",
    ...                  method="equal_principal", annual_rate=Decimal("0.048"))
    >>> t.instalment_count, t.period_rate
    (6, Fraction(3, 250))
    >>> LendingTerms(term_months=10, method="flat", frequency="quarterly")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'term_months' less 'grace_months' must be a whole number ...
    """

    term_months: int = attrs.field(validator=whole(low=1, high=_MAX_TERM_MONTHS))
    method: RepaymentMethod = enum_field(RepaymentMethod)
    frequency: RepaymentFrequency = enum_field(
        RepaymentFrequency, default=RepaymentFrequency.MONTHLY
    )
    annual_rate: Decimal = _rate_field()
    grace_months: int = attrs.field(default=0, validator=whole(low=0, high=_MAX_TERM_MONTHS - 1))
    max_loan: Money | None = _optional_money(validator=positive)
    service_fee: Money | None = _optional_money(validator=non_negative)
    service_fee_rate: Decimal = _rate_field()
    late_fee: Money | None = _optional_money(validator=non_negative)

    def __attrs_post_init__(self) -> None:
        months = self.frequency.months
        if self.grace_months >= self.term_months:
            raise FieldValueError(
                "grace_months",
                f"must be less than 'term_months' (got grace {self.grace_months},"
                f" term {self.term_months})",
            )
        if months is None:
            if self.grace_months:
                raise FieldValueError(
                    "grace_months",
                    "must be 0 for a loan repaid at maturity: the whole term"
                    f" is already free of instalments (got {self.grace_months})",
                )
        else:
            if self.grace_months % months:
                raise FieldValueError(
                    "grace_months",
                    f"must be a whole number of {self.frequency.value} periods "
                    f"({months} months) (got {self.grace_months})",
                )
            if (self.term_months - self.grace_months) % months:
                raise FieldValueError(
                    "term_months",
                    f"less 'grace_months' must be a whole number of "
                    f"{self.frequency.value} periods ({months} months) (got term "
                    f"{self.term_months}, grace {self.grace_months})",
                )
        if self.method is RepaymentMethod.INTEREST_FREE and self.annual_rate:
            raise FieldValueError(
                "annual_rate", f"must be 0 for an interest-free loan (got {self.annual_rate})"
            )
        currencies = {m.currency for m in self.amounts}
        if len(currencies) > 1:
            raise ValueError(
                "'max_loan', 'service_fee' and 'late_fee' must be in one currency "
                f"(got {', '.join(sorted(currencies))})"
            )

    @property
    def amounts(self) -> tuple[Money, ...]:
        """The money amounts the terms name (max loan, fees), those that are set."""
        return tuple(m for m in (self.max_loan, self.service_fee, self.late_fee) if m is not None)

    @property
    def period_months(self) -> int:
        """Months in one repayment period (the whole term less grace, at maturity)."""
        months = self.frequency.months
        return self.term_months - self.grace_months if months is None else months

    @property
    def instalment_count(self) -> int:
        """How many instalments a loan under these terms has."""
        return (self.term_months - self.grace_months) // self.period_months

    @property
    def period_rate(self) -> Fraction:
        """The interest rate of one period, exactly: ``annual_rate * period_months / 12``."""
        return Fraction(self.annual_rate) * self.period_months / 12

    def due_dates(self, start: date) -> tuple[date, ...]:
        """The instalments' due dates for a loan disbursed on ``start``, without drift.

        >>> t = LendingTerms(term_months=3, method="interest_free")
        >>> [str(d) for d in t.due_dates(date(2024, 1, 31))]
        ['2024-02-29', '2024-03-31', '2024-04-30']
        """
        frequency = self.frequency.frequency
        if frequency is None:
            return due_dates(
                start, count=1, frequency=Frequency.MONTHLY, first_after=self.term_months
            )
        return due_dates(
            start,
            count=self.instalment_count,
            frequency=frequency,
            first_after=self.grace_months // frequency.months + 1,
        )

    def fee_for(self, principal: Money) -> Money:
        """The service fee for a loan of ``principal`` (flat part plus rate, half-up)."""
        fee = principal.multiply(self.service_fee_rate)
        if self.service_fee is not None:
            fee = fee + self.service_fee
        return fee


# -- instalments and schedules ----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Installment:
    """One instalment of a loan's schedule: what falls due on a day.

    Attributes:
        due_on: the day it falls due.
        principal: the principal part.
        interest: the interest part (zero by default).
        fee: the service fee due with it (zero by default).

    >>> Installment(due_on=date(2021, 6, 30), principal=Money("2500"), interest=Money("150"))
    Installment(due_on=datetime.date(2021, 6, 30), principal=Money('2500.00', 'CNY'), ...)
    """

    due_on: date = date_field()
    principal: Money = money_field(validator=non_negative)
    interest: Money = money_field(validator=non_negative, default=_zero_like("principal"))
    fee: Money = money_field(validator=non_negative, default=_zero_like("principal"))

    def __attrs_post_init__(self) -> None:
        for name in ("interest", "fee"):
            value: Money = getattr(self, name)
            if value.currency != self.principal.currency:
                raise ValueError(
                    f"'{name}' must be in the currency of 'principal', "
                    f"{self.principal.currency} (got {value})"
                )

    @property
    def total(self) -> Money:
        """Principal, interest and fee together."""
        return self.principal + self.interest + self.fee


def _half_up(x: Fraction) -> int:
    """Round a non-negative exact amount of minor units half-up to a whole unit."""
    return (2 * x.numerator + x.denominator) // (2 * x.denominator)


def _equal_parts(units: int, n: int) -> list[int]:
    """``units`` in ``n`` parts as :meth:`Money.split` makes them: odd units go first."""
    base, extra = divmod(units, n)
    return [base + 1 if i < extra else base for i in range(n)]


def repayment_schedule(
    principal: Money, terms: LendingTerms, start: date
) -> tuple[Installment, ...]:
    """The instalments of a loan of ``principal`` under ``terms``, disbursed on ``start``.

    Amounts are computed exactly (rates as fractions, never floats) and rounded half-up
    to the currency's minor unit (fen) at one step each:

    * ``DECLINING_BALANCE``: the payment ``P*r / (1 - (1+r)**-n)`` is rounded once;
      each instalment's interest is the balance before it times ``r``, rounded; its
      principal is the payment less that interest. With a zero rate the principal is
      split in equal parts.
    * ``EQUAL_PRINCIPAL`` and ``INTEREST_FREE``: the principal is split in equal parts as
      :meth:`Money.split` does (the odd fen go to the earliest instalments); interest on
      the balance before each instalment, rounded.
    * ``FLAT``: equal principal parts; each period's interest is ``P * r``, rounded.
    * ``BULLET``: all principal with the last instalment; each period's interest is
      ``P * r``, rounded.

    The last instalment takes whatever principal is left, so the principal parts always
    add up to ``principal`` exactly. The service fee (:meth:`LendingTerms.fee_for`) is
    due with the first instalment.

    >>> t = LendingTerms(term_months=12, method="declining_balance",
    ...                  annual_rate=Decimal("0.12"))
    >>> s = repayment_schedule(Money("10000"), t, date(2021, 1, 15))
    >>> s[0].total, s[-1].total, Money.total(i.principal for i in s)
    (Money('888.49', 'CNY'), Money('888.47', 'CNY'), Money('10000.00', 'CNY'))
    """
    units = _unit_schedule(principal, terms, start)
    currency = principal.currency
    zero = _units(0, currency)
    return tuple(
        Installment(
            due_on=d,
            principal=_units(p, currency),
            interest=_units(i, currency),
            fee=_units(fee, currency) if fee else zero,
        )
        for d, fee, i, p in units
    )


@functools.lru_cache(maxsize=1 << 12)
def _plan(terms: LendingTerms, start: date) -> tuple[tuple[date, ...], Fraction, bool]:
    """The due dates, the period's rate and whether a fee is due, for ``terms`` from ``start``.

    Shared by every loan made under the same terms on the same day (a fund's loans
    usually are): working out due dates month by month is most of a schedule's cost.
    """
    fee = bool(terms.service_fee_rate) or terms.service_fee is not None
    return terms.due_dates(start), terms.period_rate, fee


def _unit_schedule(
    principal: Money, terms: LendingTerms, start: date
) -> tuple[tuple[date, int, int, int], ...]:
    """:func:`repayment_schedule` in minor units: ``(due day, fee, interest, principal)``.

    The same amounts, rounded the same way, and the same errors, without making an
    :class:`Installment` (and its money) for each instalment: what the seed-fund engine
    and the portfolio figures start from.

    >>> t = LendingTerms(term_months=6, method="equal_principal", frequency="quarterly",
    ...                  annual_rate=Decimal("0.12"), service_fee=Money("5"))
    >>> [(str(d), fee, i, p) for d, fee, i, p in _unit_schedule(Money("1000"), t,
    ...                                                          date(2021, 1, 15))]
    [('2021-04-15', 500, 3000, 50000), ('2021-07-15', 0, 1500, 50000)]
    """
    if not isinstance(principal, Money) or not principal.is_positive():
        raise FieldValueError("principal", f"must be positive Money (got {principal!r})")
    currency = principal.currency
    for amount in terms.amounts:
        if amount.currency != currency:
            raise CurrencyMismatch(f"the terms are in {amount.currency}, the loan in {currency}")
    dates, rate, charged = _plan(terms, start)
    n = len(dates)
    units = principal.minor_units
    method = terms.method
    principals: list[int]
    interests: list[int]
    if method is RepaymentMethod.BULLET:
        principals = [0] * (n - 1) + [units]
        interests = [_half_up(units * rate)] * n
    elif method is RepaymentMethod.FLAT:
        principals = _equal_parts(units, n)
        interests = [_half_up(units * rate)] * n
    elif method is RepaymentMethod.DECLINING_BALANCE and rate:
        growth = (1 + rate) ** n
        payment = _half_up(units * rate * growth / (growth - 1))
        principals, interests = [], []
        balance = units
        for i in range(n):
            interest = _half_up(balance * rate)
            part = balance if i == n - 1 else min(max(payment - interest, 0), balance)
            principals.append(part)
            interests.append(interest)
            balance -= part
    else:  # equal principal, interest-free, or declining balance at a zero rate
        principals = _equal_parts(units, n)
        if rate:
            interests, balance = [], units
            for part in principals:
                interests.append(_half_up(balance * rate))
                balance -= part
        else:
            interests = [0] * n
    fee = terms.fee_for(principal).minor_units if charged else 0
    out = [(d, 0, i, p) for d, p, i in zip(dates, principals, interests, strict=True)]
    if fee:
        d, _, i, p = out[0]
        out[0] = (d, fee, i, p)
    return tuple(out)
