"""Village seed funds that lend and revolve: loans, schedules, repayments and the portfolio.

A :class:`RevolvingFund` (种子基金, 循环金) receives seed capital from a project, lends it
to households for production under :class:`LendingTerms`, is repaid and lends again. The
fund is a ledger party of its own, ``Party.revolving_fund(id)``: seed capital and top-ups
arrive as ordinary flows into it, and :func:`revolving_flows` turns every loan, repayment
and write-off into the flows they imply, so that the fund's cash is a ledger balance like
any other and money cannot appear or vanish.

A :class:`Loan` copies the terms it was made under and derives its schedule from them:

>>> from datetime import date
>>> terms = LendingTerms(max_loan=Money("20000"), term_months=12, annual_rate=Decimal("0.06"),
...                      method="declining_balance", frequency="quarterly")
>>> loan = Loan(id="L1", fund_id="qingyun", household_id="h1", principal=Money("10000"),
...             disbursed_on=date(2021, 3, 31), purpose="pigs", terms=terms)
>>> for i in loan.schedule:
...     print(i.due_on, i.principal, i.interest)
2021-06-30 2444.45 CNY 150.00 CNY
2021-09-30 2481.12 CNY 113.33 CNY
2021-12-31 2518.33 CNY 76.12 CNY
2022-03-31 2556.10 CNY 38.34 CNY

Repayments are allocated in a fixed order, oldest instalment first: penalties, fees,
interest, then principal; what is left pays the next instalments ahead of time, and only
money beyond everything owed is kept as a credit:

>>> paid = [Repayment(id="r1", loan_id="L1", paid_on=date(2021, 6, 30), amount=Money("2594.45")),
...         Repayment(id="r2", loan_id="L1", paid_on=date(2021, 11, 2), amount=Money("2000"))]
>>> state = allocate_repayments(loan, paid, as_of=date(2021, 11, 30))
>>> a = state.allocations[1]
>>> a.interest, a.principal, a.credit
(Money('113.33', 'CNY'), Money('1886.67', 'CNY'), Money('0.00', 'CNY'))
>>> state.status, state.days_in_arrears, state.outstanding_principal
(<LoanStatus.IN_ARREARS: 'in_arrears'>, 61, Money('5668.88', 'CNY'))
"""

from __future__ import annotations

import enum
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

import attrs

from humanaid._currencies import MINOR_UNITS
from humanaid._decimal import SHOWN, percent
from humanaid.errors import CurrencyMismatch
from humanaid.funds import Flow, FlowKind, Ledger, Origin, Party, PartyKind, derived_flow_id
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.periods import Frequency, due_dates
from humanaid.records import (
    date_field,
    enum_field,
    id_field,
    instance_of,
    money_field,
    nfc,
    non_empty_text,
    non_negative,
    positive,
    ref_field,
    tuple_field,
)

__all__ = [
    "WRITE_OFF_FLOW_KIND",
    "AppliedReschedule",
    "AppliedWriteOff",
    "Installment",
    "InstallmentState",
    "LendingTerms",
    "Loan",
    "LoanState",
    "LoanStatus",
    "PortfolioReport",
    "Repayment",
    "RepaymentAllocation",
    "RepaymentFrequency",
    "RepaymentMethod",
    "Reschedule",
    "RevolvingFund",
    "WriteOff",
    "allocate_repayments",
    "latest_loan_states",
    "loan_states",
    "portfolio_report",
    "repayment_schedule",
    "revolving_flows",
    "revolving_ledger",
]

WRITE_OFF_FLOW_KIND: Final = FlowKind.WRITE_OFF
"""The flow kind a write-off is booked with (from the loan to ``outside:written off``).

The principal given up leaves the loan, and the model, as a loss: it is neither spending
of the fund nor a repayment, so the fund's cash is untouched by it.
"""

WRITTEN_OFF: Final = Party.outside("written off")
"""Where written-off principal goes in the ledger."""

_MAX_TERM_MONTHS: Final = 600
_COLLECTIONS: Final = ("loans", "repayments", "write_offs")


# -- enums ------------------------------------------------------------------------------------


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


class LoanStatus(enum.StrEnum):
    """Where a loan stands on a day.

    ``ACTIVE``: open, nothing overdue. ``IN_ARREARS``: open, an instalment due before
    the day is not fully paid. ``REPAID``: everything owed was paid. ``WRITTEN_OFF``:
    the remaining principal was taken off the books.
    """

    ACTIVE = "active"
    IN_ARREARS = "in_arrears"
    REPAID = "repaid"
    WRITTEN_OFF = "written_off"

    @property
    def is_open(self) -> bool:
        """Whether the loan still has money lent out."""
        return self in (LoanStatus.ACTIVE, LoanStatus.IN_ARREARS)


# -- field helpers -----------------------------------------------------------------------------


def _whole(low: int, high: int) -> Any:
    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"'{attribute.name}' must be an int (got {value!r})")
        if not low <= value <= high:
            raise ValueError(f"'{attribute.name}' must be between {low} and {high} (got {value})")

    return check


def _to_decimal(value: object) -> object:
    """Accept an int or a plain decimal string for a rate; leave the rest to the validator."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except ArithmeticError:
            return value
    return value


def _fraction(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """A rate: a finite Decimal from 0 to 1 (0.06 is 6%)."""
    if not isinstance(value, Decimal):
        hint = " (never a float)" if isinstance(value, float) else ""
        raise TypeError(f"'{attribute.name}' must be a Decimal or int{hint} (got {value!r})")
    if not value.is_finite() or not 0 <= value <= 1:
        raise ValueError(
            f"'{attribute.name}' must be a fraction from 0 to 1, such as 0.06 for 6% (got {value})"
        )


def _rate_field() -> Any:
    return attrs.field(default=Decimal(0), converter=_to_decimal, validator=_fraction)


def _optional_money(*, validator: Any) -> Any:
    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None:
            return
        if not isinstance(value, Money):
            hint = " (amounts are humanaid.Money, never float)" if isinstance(value, float) else ""
            raise TypeError(f"'{attribute.name}' must be Money or None{hint} (got {value!r})")
        validator(instance, attribute, value)

    return attrs.field(default=None, validator=check)


def _text() -> Any:
    return attrs.field(converter=nfc, validator=non_empty_text)


def _zero_like(field: str) -> Any:
    def make(self: Any) -> Money:
        value = getattr(self, field)
        # Not Money: the field's own validator names the problem (it runs after defaults).
        return Money.zero(value.currency if isinstance(value, Money) else DEFAULT_CURRENCY)

    return attrs.Factory(make, takes_self=True)


def _check_day(name: str, value: object) -> date:
    """Return ``value`` if it is a plain date, else raise a TypeError naming ``name``."""
    if isinstance(value, datetime):
        raise TypeError(f"{name!r} must be a datetime.date, not a datetime (got {value!r})")
    if not isinstance(value, date):
        raise TypeError(f"{name!r} must be a datetime.date (got {type(value).__name__} {value!r})")
    return value


def _leaves_room(start: date, terms: LendingTerms) -> bool:
    """Whether a schedule under ``terms`` from ``start`` ends well before the year 9999."""
    return start.year + (terms.term_months + terms.grace_months) // 12 + 2 <= 9999


def _check_currency(code: object) -> None:
    if not isinstance(code, str) or code not in MINOR_UNITS:
        raise ValueError(f"'currency' must be a known ISO 4217 code (got {code!r})")


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
    ValueError: 'term_months' less 'grace_months' must be a whole number of quarterly periods ...
    """

    term_months: int = attrs.field(validator=_whole(1, _MAX_TERM_MONTHS))
    method: RepaymentMethod = enum_field(RepaymentMethod)
    frequency: RepaymentFrequency = enum_field(
        RepaymentFrequency, default=RepaymentFrequency.MONTHLY
    )
    annual_rate: Decimal = _rate_field()
    grace_months: int = attrs.field(default=0, validator=_whole(0, _MAX_TERM_MONTHS - 1))
    max_loan: Money | None = _optional_money(validator=positive)
    service_fee: Money | None = _optional_money(validator=non_negative)
    service_fee_rate: Decimal = _rate_field()
    late_fee: Money | None = _optional_money(validator=non_negative)

    def __attrs_post_init__(self) -> None:
        months = self.frequency.months
        if self.grace_months >= self.term_months:
            raise ValueError(
                f"'grace_months' must be less than 'term_months' (got grace {self.grace_months},"
                f" term {self.term_months})"
            )
        if months is None:
            if self.grace_months:
                raise ValueError(
                    "'grace_months' must be 0 for a loan repaid at maturity: the whole term"
                    f" is already free of instalments (got {self.grace_months})"
                )
        else:
            if self.grace_months % months:
                raise ValueError(
                    f"'grace_months' must be a whole number of {self.frequency.value} periods "
                    f"({months} months) (got {self.grace_months})"
                )
            if (self.term_months - self.grace_months) % months:
                raise ValueError(
                    f"'term_months' less 'grace_months' must be a whole number of "
                    f"{self.frequency.value} periods ({months} months) (got term "
                    f"{self.term_months}, grace {self.grace_months})"
                )
        if self.method is RepaymentMethod.INTEREST_FREE and self.annual_rate:
            raise ValueError(
                f"'annual_rate' must be 0 for an interest-free loan (got {self.annual_rate})"
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


@functools.lru_cache(maxsize=1 << 16)
def _units(units: int, currency: str) -> Money:
    """Money from minor units; amounts repeat a lot in schedules, so they are shared."""
    return Money.from_minor_units(units, currency)


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
    if not isinstance(principal, Money) or not principal.is_positive():
        raise ValueError(f"'principal' must be positive Money (got {principal!r})")
    currency = principal.currency
    for amount in terms.amounts:
        if amount.currency != currency:
            raise CurrencyMismatch(f"the terms are in {amount.currency}, the loan in {currency}")
    dates = terms.due_dates(start)
    n = len(dates)
    units = principal.minor_units
    rate = terms.period_rate
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
        interests, balance = [], units
        for part in principals:
            interests.append(_half_up(balance * rate))
            balance -= part
    fee = terms.fee_for(principal).minor_units
    zero = _units(0, currency)
    return tuple(
        Installment(
            due_on=d,
            principal=_units(p, currency),
            interest=_units(i, currency),
            fee=_units(fee, currency) if k == 0 else zero,
        )
        for k, (d, p, i) in enumerate(zip(dates, principals, interests, strict=True))
    )


def _check_installments(
    installments: tuple[Installment, ...], currency: str, after: date, field: str
) -> None:
    previous = after
    for k, inst in enumerate(installments):
        if inst.principal.currency != currency:
            raise ValueError(
                f"'{field}[{k}]' must be in {currency}, the loan's currency (got {inst.principal})"
            )
        if inst.due_on <= previous:
            raise ValueError(
                f"'{field}[{k}].due_on' must be after {previous.isoformat()} (the day before it"
                f" in the schedule): due dates strictly increase (got {inst.due_on.isoformat()})"
            )
        previous = inst.due_on


# -- the fund ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class RevolvingFund:
    """A village seed fund (种子基金, 循环金) that lends to households and is repaid.

    The fund is the ledger party ``Party.revolving_fund(id)``: seed capital and top-ups
    are flows into it (of kind ``GRANT`` or ``ALLOCATION``, usually from the project),
    loans and repayments are flows :func:`revolving_flows` derives. It does not store a
    balance.

    Attributes:
        id: the fund's id.
        name: its name, such as "青云村博爱家园循环金".
        project_id: the project (a 博爱家园 project) that set it up.
        area_id: the village (an admin area) it serves.
        organization_id: the body that runs it (a village committee or service station).
        terms: the terms it lends under now; each loan keeps a copy of its own.
        currency: the currency it lends in.
        fund_id: a :class:`~humanaid.Fund` of kind ``REVOLVING`` in a society's books
            that accounts for it, if any.
        opened_on: the day it opened.

    A fund names its village, its operator, or both.

    >>> fund = RevolvingFund(id="qingyun", name="青云村循环金", project_id="boai-qingyun",
    ...                      area_id="qingyun-village",
    ...                      terms=LendingTerms(term_months=12, method="bullet",
    ...                                         frequency="at_maturity"))
    >>> fund.party
    Party(kind=<PartyKind.REVOLVING_FUND: 'revolving_fund'>, id='qingyun')
    """

    id: str = id_field()
    name: str = _text()
    project_id: str = ref_field("projects")
    area_id: str | None = ref_field("admin_areas", optional=True)
    organization_id: str | None = ref_field("organizations", optional=True)
    terms: LendingTerms = attrs.field(validator=instance_of(LendingTerms))
    currency: str = attrs.field(default=DEFAULT_CURRENCY, validator=instance_of(str))
    fund_id: str | None = ref_field("funds", optional=True)
    opened_on: date | None = date_field(optional=True)

    def __attrs_post_init__(self) -> None:
        _check_currency(self.currency)
        if self.area_id is None and self.organization_id is None:
            raise ValueError(
                "give 'area_id' (the village), 'organization_id' (who runs it), or both"
            )
        for amount in self.terms.amounts:
            if amount.currency != self.currency:
                raise ValueError(
                    f"'terms' must be in the fund's currency {self.currency} (got {amount})"
                )

    @property
    def party(self) -> Party:
        """The fund as a ledger party."""
        return Party.revolving_fund(self.id)


# -- loans, reschedules, repayments, write-offs ------------------------------------------------


@attrs.frozen(kw_only=True)
class Reschedule:
    """A new schedule for what a loan still owes, from a day on (recorded on the loan).

    At the end of ``on`` (after that day's repayments), all principal not yet paid, overdue
    or not, moves into a new schedule; interest, fees and penalties of instalments already
    due stay owed on them (a reschedule forgives nothing); instalments not yet due are
    cancelled. The new schedule is derived from ``terms`` anchored to ``on``, or given
    explicitly as ``installments`` (whose principal should add up to what is owed; if it
    does not, the last instalment is adjusted and the rule ``revolving.reschedule-mismatch``
    says so).

    Attributes:
        on: the day it takes effect.
        reason: why (never personal data).
        terms: the new terms, for a derived schedule.
        installments: the new instalments, for an explicit schedule.

    >>> Reschedule(on=date(2022, 3, 1), reason="drought",
    ...            terms=LendingTerms(term_months=12, method="interest_free"))
    Reschedule(on=datetime.date(2022, 3, 1), reason='drought', terms=LendingTerms(...), ...)
    """

    on: date = date_field()
    reason: str = _text()
    terms: LendingTerms | None = attrs.field(
        default=None, validator=attrs.validators.optional(instance_of(LendingTerms))
    )
    installments: tuple[Installment, ...] = tuple_field(Installment)

    def __attrs_post_init__(self) -> None:
        if (self.terms is None) == (not self.installments):
            raise ValueError("give either 'terms' or 'installments' for a reschedule, exactly one")
        if self.terms is not None and not _leaves_room(self.on, self.terms):
            # As for a loan: no rule may meet a schedule it cannot compute.
            raise ValueError(
                f"'on' must leave room for the new schedule before the year 9999 (got "
                f"{self.on.isoformat()} with {self.terms.term_months} months to run)"
            )
        if self.installments:
            _check_installments(
                self.installments, self.installments[0].principal.currency, self.on, "installments"
            )


@attrs.frozen(kw_only=True)
class Loan:
    """A loan from a revolving fund to a household, and its schedule.

    Attributes:
        id: the loan's id.
        fund_id: the revolving fund that lent it.
        household_id: the household that borrowed.
        principal: the amount lent.
        disbursed_on: the day the money was paid out.
        purpose: what it is for ("pigs", "cattle", "potatoes").
        terms: the terms it was made under, a copy, so that changed fund terms never
            rewrite old loans.
        borrower_id: the person who signed for the household, by id.
        installments: an explicit schedule, when the one agreed on paper is not the one
            the terms give (empty: derived from the terms). Its principal parts must add
            up to ``principal`` and its due dates strictly increase.
        reschedules: the reschedules agreed later, in order.

    >>> fund = RevolvingFund(id="f", name="village fund", project_id="p", area_id="v",
    ...                      terms=LendingTerms(term_months=12, method="interest_free",
    ...                                         frequency="quarterly"))
    >>> loan = Loan.from_fund(fund, id="L1", household_id="h1", principal=Money("5000"),
    ...                       disbursed_on=date(2021, 5, 31), purpose="cattle")
    >>> [(str(i.due_on), str(i.principal)) for i in loan.schedule]  # doctest: +NORMALIZE_WHITESPACE
    [('2021-08-31', '1250.00 CNY'), ('2021-11-30', '1250.00 CNY'),
     ('2022-02-28', '1250.00 CNY'), ('2022-05-31', '1250.00 CNY')]
    """

    id: str = id_field()
    fund_id: str = ref_field("revolving_funds")
    household_id: str = ref_field("households")
    principal: Money = money_field(validator=positive)
    disbursed_on: date = date_field()
    purpose: str = _text()
    terms: LendingTerms = attrs.field(validator=instance_of(LendingTerms))
    borrower_id: str | None = ref_field("persons", optional=True)
    installments: tuple[Installment, ...] = tuple_field(Installment)
    reschedules: tuple[Reschedule, ...] = tuple_field(Reschedule)

    def __attrs_post_init__(self) -> None:
        currency = self.principal.currency
        months = self.terms.term_months + self.terms.grace_months
        if not _leaves_room(self.disbursed_on, self.terms):
            # Checked here, cheaply, so that no rule meets a schedule it cannot compute.
            raise ValueError(
                f"'disbursed_on' must leave room for the schedule before the year 9999 "
                f"(got {self.disbursed_on.isoformat()} with {months} months to run)"
            )
        for amount in self.terms.amounts:
            if amount.currency != currency:
                raise ValueError(
                    f"'terms' must be in the loan's currency {currency} (got {amount})"
                )
        if self.installments:
            _check_installments(self.installments, currency, self.disbursed_on, "installments")
            total = Money.total((i.principal for i in self.installments), currency)
            if total != self.principal:
                raise ValueError(
                    f"'installments' principal must add up to 'principal' (got {total}, "
                    f"principal {self.principal})"
                )
        previous = self.disbursed_on
        for k, r in enumerate(self.reschedules):
            if r.on <= previous:
                raise ValueError(
                    f"'reschedules[{k}].on' must be after {previous.isoformat()} (the "
                    "disbursement or the reschedule before it)"
                )
            previous = r.on
            if r.installments and r.installments[0].principal.currency != currency:
                raise ValueError(f"'reschedules[{k}].installments' must be in {currency}")
            if r.terms is not None:
                for amount in r.terms.amounts:
                    if amount.currency != currency:
                        raise ValueError(f"'reschedules[{k}].terms' must be in {currency}")

    @classmethod
    def from_fund(cls, fund: RevolvingFund, **kw: Any) -> Loan:
        """A loan from ``fund`` under a copy of the fund's current terms.

        ``terms=...`` in ``kw`` overrides them (a cattle loan repaid at maturity, say).
        The principal must be in the fund's currency.
        """
        principal = kw.get("principal")
        if isinstance(principal, Money) and principal.currency != fund.currency:
            raise ValueError(
                f"'principal' must be in the fund's currency {fund.currency} (got {principal})"
            )
        kw.setdefault("terms", fund.terms)
        return cls(fund_id=fund.id, **kw)

    @property
    def currency(self) -> str:
        """The loan's currency."""
        return self.principal.currency

    @property
    def party(self) -> Party:
        """The loan as a ledger party: it holds the principal lent and not yet repaid."""
        return Party.loan(self.id)

    @functools.cached_property
    def schedule(self) -> tuple[Installment, ...]:
        """The schedule as agreed at disbursement: explicit, or derived from the terms.

        Reschedules change what is owed from their day on; :func:`allocate_repayments`
        gives the schedule in force with every reschedule applied.
        """
        if self.installments:
            return self.installments
        return repayment_schedule(self.principal, self.terms, self.disbursed_on)

    @property
    def terms_schedule(self) -> tuple[Installment, ...]:
        """The schedule the terms give, whatever ``installments`` says."""
        if not self.installments:
            return self.schedule
        return repayment_schedule(self.principal, self.terms, self.disbursed_on)

    @property
    def matures_on(self) -> date:
        """The due date of the last instalment of the agreed schedule."""
        return self.schedule[-1].due_on


@attrs.frozen(kw_only=True)
class Repayment:
    """Money a household paid on a loan.

    How it is split (penalties, fees, interest, principal, credit) is derived by
    :func:`allocate_repayments`, never stored.

    Attributes:
        id: the repayment's id.
        loan_id: the loan it was paid on.
        paid_on: the day it was paid.
        amount: how much.
        note: free text (never personal data).

    >>> Repayment(id="r1", loan_id="L1", paid_on=date(2021, 6, 30), amount=Money("-1"))
    Traceback (most recent call last):
    ...
    ValueError: 'amount' must be positive (got -1.00 CNY)
    """

    id: str = id_field()
    loan_id: str = ref_field("loans")
    paid_on: date = date_field()
    amount: Money = money_field(validator=positive)
    note: str = attrs.field(default="", converter=nfc, validator=instance_of(str))


@attrs.frozen(kw_only=True)
class WriteOff:
    """Taking a loan's unrecoverable principal off the books on a day.

    Attributes:
        id: the write-off's id.
        loan_id: the loan.
        on: the day it was decided.
        reason: why (never personal data).
        amount: how much principal; ``None`` writes off the remaining balance, which
            closes the loan and forgives its unpaid interest, fees and penalties too. A
            partial amount is taken from the last instalments first.

    >>> WriteOff(id="w1", loan_id="L1", on=date(2023, 6, 30), reason="cattle died").is_full
    True
    """

    id: str = id_field()
    loan_id: str = ref_field("loans")
    on: date = date_field()
    reason: str = _text()
    amount: Money | None = _optional_money(validator=positive)

    @property
    def is_full(self) -> bool:
        """Whether it writes off the whole remaining balance."""
        return self.amount is None


# -- the state of a loan on a day --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class InstallmentState:
    """One instalment as of a day: what is owed on it, what was paid, what was forgiven.

    ``principal``, ``interest`` and ``fee`` are what is owed on it now: a reschedule
    moves unpaid principal out of old instalments and cancels those not yet due (keeping
    what was paid on them). ``due_then`` and ``paid_by_due_date`` are set once it has
    fallen due: what it asked for at the end of its due date (penalties aside) and how
    much of that had been paid by then.
    """

    number: int
    due_on: date
    principal: Money
    interest: Money
    fee: Money
    penalty: Money
    principal_paid: Money
    interest_paid: Money
    fee_paid: Money
    penalty_paid: Money
    written_off: Money
    waived: Money
    settled_on: date | None
    cancelled: bool
    due_then: Money | None
    paid_by_due_date: Money | None

    @property
    def paid(self) -> Money:
        """Everything paid on it."""
        return self.principal_paid + self.interest_paid + self.fee_paid + self.penalty_paid

    @property
    def unpaid(self) -> Money:
        """Everything still owed on it."""
        return (
            self.principal + self.interest + self.fee + self.penalty
            - self.paid - self.written_off
        )  # fmt: skip

    @property
    def unpaid_principal(self) -> Money:
        """Principal still owed on it."""
        return self.principal - self.principal_paid - self.written_off

    @property
    def is_settled(self) -> bool:
        """Whether nothing is owed on it any more."""
        return self.unpaid.is_zero()


@attrs.frozen(kw_only=True)
class RepaymentAllocation:
    """How one repayment was split, in the fixed order penalties, fees, interest, principal.

    ``credit`` is money beyond everything the loan owed (or paid after it closed): the
    fund holds it for the household, to refund or carry over; it is never lost, so the
    parts always add up to ``amount``.
    """

    repayment_id: str
    paid_on: date
    amount: Money
    penalties: Money
    fees: Money
    interest: Money
    principal: Money
    credit: Money
    after_close: bool

    @property
    def allocated(self) -> Money:
        """Everything allocated, credit included: always equal to ``amount``."""
        return self.penalties + self.fees + self.interest + self.principal + self.credit


@attrs.frozen(kw_only=True)
class AppliedWriteOff:
    """What a write-off took off the books: principal written off, other dues waived."""

    write_off_id: str
    on: date
    principal: Money
    waived: Money
    requested: Money | None
    after_close: bool


@attrs.frozen(kw_only=True)
class AppliedReschedule:
    """A reschedule as applied: the principal it moved and the principal it scheduled."""

    on: date
    outstanding: Money
    scheduled: Money
    after_close: bool

    @property
    def matches(self) -> bool:
        """Whether the new schedule's principal equals what was owed."""
        return self.after_close or self.outstanding == self.scheduled


@attrs.frozen(kw_only=True)
class LoanState:
    """A loan as of a day, derived from its schedule, repayments, write-offs and reschedules.

    Attributes:
        loan_id: the loan.
        fund_id: its revolving fund.
        household_id: its household.
        as_of: the day (events on it included).
        status: active, in arrears, repaid or written off.
        principal: the amount lent.
        installments: the schedule in force, instalment by instalment.
        allocations: how each repayment was split, in the order applied.
        write_offs: the write-offs applied.
        reschedules: the reschedules applied.
        principal_paid: principal repaid.
        interest_paid: interest paid.
        fees_paid: service fees paid.
        penalties_paid: late penalties paid.
        written_off: principal written off.
        waived: interest, fees and penalties forgiven by a full write-off.
        credit: money paid beyond what was owed (held for the household).
        outstanding_principal: principal lent and neither repaid nor written off.
        overdue: everything owed on instalments due before ``as_of``.
        overdue_principal: the principal part of ``overdue``.
        days_in_arrears: days since the oldest instalment not fully paid fell due (0 if
            none did before ``as_of``): unpaid interest, fees or penalties count.
        days_principal_past_due: days since the oldest instalment whose principal is not
            fully paid fell due (0 if none did before ``as_of``): only principal counts, as
            for portfolio at risk (:meth:`at_risk`). Never more than ``days_in_arrears``.
        closed_on: the day it was repaid in full or written off.
        fallen_due: what instalments due on or before ``as_of`` asked for (penalties
            aside), each at the end of its due date.
        paid_on_time: the part of ``fallen_due`` paid by each instalment's due date.
    """

    loan_id: str
    fund_id: str
    household_id: str
    as_of: date
    status: LoanStatus
    principal: Money
    allocations: tuple[RepaymentAllocation, ...]
    write_offs: tuple[AppliedWriteOff, ...]
    reschedules: tuple[AppliedReschedule, ...]
    principal_paid: Money
    interest_paid: Money
    fees_paid: Money
    penalties_paid: Money
    written_off: Money
    waived: Money
    credit: Money
    outstanding_principal: Money
    overdue: Money
    overdue_principal: Money
    days_in_arrears: int
    days_principal_past_due: int
    closed_on: date | None
    fallen_due: Money
    paid_on_time: Money
    _rows: tuple[tuple[Any, ...], ...] = attrs.field(default=(), repr=False)

    @functools.cached_property
    def installments(self) -> tuple[InstallmentState, ...]:
        """The schedule in force, instalment by instalment (built when first asked for)."""
        currency = self.principal.currency
        return tuple(_inst_state(row, currency) for row in self._rows)

    @property
    def paid(self) -> Money:
        """Everything paid on the loan, credit aside."""
        return self.principal_paid + self.interest_paid + self.fees_paid + self.penalties_paid

    @property
    def is_open(self) -> bool:
        """Whether money is still lent out on it."""
        return self.status.is_open

    @property
    def is_restructured(self) -> bool:
        """Whether a reschedule has changed its schedule (on or before ``as_of``).

        Reschedules recorded after the loan closed change nothing and do not count.
        """
        return any(not r.after_close for r in self.reschedules)

    def late_more_than(self, days: int) -> bool:
        """Whether it is open with an instalment not fully paid for more than ``days`` days.

        Any unpaid part counts, a late penalty or interest as much as principal (see
        ``days_in_arrears``); portfolio at risk uses :meth:`at_risk` instead.
        """
        return self.is_open and self.days_in_arrears > days

    def at_risk(self, days: int) -> bool:
        """Whether its outstanding principal is at risk for PAR(``days``).

        An open loan is at risk when an instalment's principal has been past due for more
        than ``days`` days (``days_principal_past_due``; unpaid interest, fees or penalties
        alone do not count), or when it has been restructured (:attr:`is_restructured`),
        whatever its days late: the standard definition (IRIS FP2635, SEEP/CGAP).
        """
        return self.is_open and (self.is_restructured or self.days_principal_past_due > days)


class _Inst:
    """An instalment being allocated, in whole minor units."""

    __slots__ = (
        "cancelled",
        "due_on",
        "due_then",
        "evaluated",
        "f_paid",
        "fee",
        "i_paid",
        "interest",
        "number",
        "p_paid",
        "paid_then",
        "penalty",
        "principal",
        "settled_on",
        "waived",
        "written_off",
        "x_paid",
    )

    def __init__(self, number: int, inst: Installment) -> None:
        self.number = number
        self.due_on = inst.due_on
        self.principal = inst.principal.minor_units
        self.interest = inst.interest.minor_units
        self.fee = inst.fee.minor_units
        self.penalty = 0
        self.p_paid = self.i_paid = self.f_paid = self.x_paid = 0
        self.written_off = 0
        self.waived = 0
        self.settled_on: date | None = None
        self.cancelled = False
        self.evaluated = False
        self.due_then: int | None = None
        self.paid_then: int | None = None

    def unpaid_principal(self) -> int:
        return self.principal - self.p_paid - self.written_off

    def unpaid(self) -> int:
        return (
            self.unpaid_principal()
            + self.interest - self.i_paid
            + self.fee - self.f_paid
            + self.penalty - self.x_paid
        )  # fmt: skip


class _Allocator:
    """Applies a loan's events in date order; see :func:`allocate_repayments`."""

    def __init__(self, loan: Loan) -> None:
        self.loan = loan
        self.currency = loan.currency
        self.late_fee = 0 if loan.terms.late_fee is None else loan.terms.late_fee.minor_units
        self.insts = [_Inst(k + 1, i) for k, i in enumerate(loan.schedule)]
        self.evaluated = 0  # instalments before this index have been judged at their due date
        self.first_open = 0  # instalments before this index are settled
        self.closed_on: date | None = None
        self.status: LoanStatus | None = None
        self.allocations: list[RepaymentAllocation] = []
        self.write_offs: list[AppliedWriteOff] = []
        self.reschedules: list[AppliedReschedule] = []
        self.credit = 0

    def money(self, units: int) -> Money:
        return _units(units, self.currency)

    def judge(self, before: date) -> None:
        """Judge every instalment due before ``before`` as it stood at its due date's end."""
        insts = self.insts
        while self.evaluated < len(insts) and insts[self.evaluated].due_on < before:
            inst = insts[self.evaluated]
            self.evaluated += 1
            if inst.cancelled:
                continue
            inst.evaluated = True
            inst.due_then = inst.principal - inst.written_off + inst.interest + inst.fee
            inst.paid_then = inst.p_paid + inst.i_paid + inst.f_paid
            if self.closed_on is None and self.late_fee and inst.unpaid() > 0:
                inst.penalty += self.late_fee

    def advance_open(self) -> None:
        insts = self.insts
        while self.first_open < len(insts) and insts[self.first_open].unpaid() == 0:
            self.first_open += 1

    def repay(self, r: Repayment) -> None:
        if r.amount.currency != self.currency:
            raise CurrencyMismatch(
                f"repayment {r.id!r} is in {r.amount.currency}, loan {self.loan.id!r} in "
                f"{self.currency}"
            )
        left = r.amount.minor_units
        after_close = self.closed_on is not None
        parts = [0, 0, 0, 0]  # penalties, fees, interest, principal
        if not after_close:
            for inst in self.insts[self.first_open :]:
                if not left:
                    break
                take = min(inst.penalty - inst.x_paid, left)
                inst.x_paid, parts[0], left = inst.x_paid + take, parts[0] + take, left - take
                take = min(inst.fee - inst.f_paid, left)
                inst.f_paid, parts[1], left = inst.f_paid + take, parts[1] + take, left - take
                take = min(inst.interest - inst.i_paid, left)
                inst.i_paid, parts[2], left = inst.i_paid + take, parts[2] + take, left - take
                take = min(inst.unpaid_principal(), left)
                inst.p_paid, parts[3], left = inst.p_paid + take, parts[3] + take, left - take
                if inst.settled_on is None and inst.unpaid() == 0:
                    inst.settled_on = r.paid_on
            self.advance_open()
            if self.first_open == len(self.insts):
                self.closed_on, self.status = r.paid_on, LoanStatus.REPAID
        self.credit += left
        m = self.money
        self.allocations.append(
            RepaymentAllocation(
                repayment_id=r.id,
                paid_on=r.paid_on,
                amount=r.amount,
                penalties=m(parts[0]),
                fees=m(parts[1]),
                interest=m(parts[2]),
                principal=m(parts[3]),
                credit=m(left),
                after_close=after_close,
            )
        )

    def write_off(self, w: WriteOff) -> None:
        if w.amount is not None and w.amount.currency != self.currency:
            raise CurrencyMismatch(
                f"write-off {w.id!r} is in {w.amount.currency}, loan {self.loan.id!r} in "
                f"{self.currency}"
            )
        if self.closed_on is not None:
            zero = self.money(0)
            self.write_offs.append(
                AppliedWriteOff(write_off_id=w.id, on=w.on, principal=zero, waived=zero,
                                requested=w.amount, after_close=True)
            )  # fmt: skip
            return
        insts = self.insts
        outstanding = sum(i.unpaid_principal() for i in insts)
        wanted = outstanding if w.amount is None else min(w.amount.minor_units, outstanding)
        waived = 0
        if wanted == outstanding:
            for inst in insts:
                inst.written_off += inst.unpaid_principal()
                rest = inst.unpaid()
                if inst.due_on >= w.on and not inst.evaluated:
                    inst.cancelled = True  # it will never fall due: its interest never runs
                elif rest:
                    waived += rest
                    inst.waived += rest
                inst.interest, inst.fee, inst.penalty = inst.i_paid, inst.f_paid, inst.x_paid
            self.closed_on, self.status = w.on, LoanStatus.WRITTEN_OFF
            self.first_open = len(insts)
        else:
            left = wanted
            for inst in reversed(insts):
                take = min(inst.unpaid_principal(), left)
                inst.written_off += take
                left -= take
                if inst.settled_on is None and take and inst.unpaid() == 0:
                    inst.settled_on = w.on
            self.advance_open()
        self.write_offs.append(
            AppliedWriteOff(write_off_id=w.id, on=w.on, principal=self.money(wanted),
                            waived=self.money(waived), requested=w.amount, after_close=False)
        )  # fmt: skip

    def reschedule(self, r: Reschedule) -> None:
        if self.closed_on is not None:
            zero = self.money(0)
            self.reschedules.append(
                AppliedReschedule(on=r.on, outstanding=zero, scheduled=zero, after_close=True)
            )
            return
        outstanding = 0
        kept: list[_Inst] = []
        for inst in self.insts:
            outstanding += inst.unpaid_principal()
            inst.principal = inst.p_paid + inst.written_off
            if inst.due_on > r.on and not inst.evaluated:
                inst.interest, inst.fee, inst.penalty = inst.i_paid, inst.f_paid, inst.x_paid
                inst.cancelled = True
                if inst.principal == 0 and inst.interest == 0 and inst.fee == 0:
                    continue  # nothing was paid on it: it simply goes
            if inst.settled_on is None and inst.unpaid() == 0:
                inst.settled_on = r.on
            kept.append(inst)
        if r.installments:
            new = list(r.installments)
            scheduled = sum(i.principal.minor_units for i in new)
            principals = _fit([i.principal.minor_units for i in new], outstanding)
            new = [
                attrs.evolve(i, principal=self.money(p))
                for i, p in zip(new, principals, strict=True)
            ]
        elif outstanding > 0 and r.terms is not None:
            new = list(repayment_schedule(self.money(outstanding), r.terms, r.on))
            scheduled = outstanding
        else:
            new, scheduled = [], 0
        number = max((i.number for i in self.insts), default=0)
        added = [_Inst(number + k + 1, inst) for k, inst in enumerate(new)]
        self.insts = sorted(kept + added, key=lambda i: (i.due_on, i.number))
        self.evaluated = sum(1 for i in self.insts if i.due_on < r.on)
        self.first_open = 0
        self.advance_open()
        self.reschedules.append(
            AppliedReschedule(on=r.on, outstanding=self.money(outstanding),
                              scheduled=self.money(scheduled), after_close=False)
        )  # fmt: skip
        if self.first_open == len(self.insts):
            self.closed_on, self.status = r.on, LoanStatus.REPAID

    def state(self, as_of: date) -> LoanState:
        self.judge(as_of)
        for inst in self.insts[self.evaluated :]:
            if inst.due_on != as_of:
                break
            if not inst.cancelled:  # fallen due today: its day is over as of the end of today
                inst.due_then = inst.principal - inst.written_off + inst.interest + inst.fee
                inst.paid_then = inst.p_paid + inst.i_paid + inst.f_paid
        m = self.money
        insts = self.insts
        overdue = [i for i in insts if i.due_on < as_of and i.unpaid() > 0]
        principal_late = next((i for i in overdue if i.unpaid_principal() > 0), None)
        status = self.status
        if status is None:
            status = LoanStatus.IN_ARREARS if overdue else LoanStatus.ACTIVE
        principal_paid = sum(i.p_paid for i in insts)
        written_off = sum(i.written_off for i in insts)
        fallen = [i for i in insts if i.due_then is not None]
        return LoanState(
            loan_id=self.loan.id,
            fund_id=self.loan.fund_id,
            household_id=self.loan.household_id,
            as_of=as_of,
            status=status,
            principal=self.loan.principal,
            allocations=tuple(self.allocations),
            write_offs=tuple(self.write_offs),
            reschedules=tuple(self.reschedules),
            principal_paid=m(principal_paid),
            interest_paid=m(sum(i.i_paid for i in insts)),
            fees_paid=m(sum(i.f_paid for i in insts)),
            penalties_paid=m(sum(i.x_paid for i in insts)),
            written_off=m(written_off),
            waived=m(sum(i.waived for i in insts)),
            credit=m(self.credit),
            outstanding_principal=m(self.loan.principal.minor_units - principal_paid - written_off),
            overdue=m(sum(i.unpaid() for i in overdue)),
            overdue_principal=m(sum(i.unpaid_principal() for i in overdue)),
            days_in_arrears=(as_of - overdue[0].due_on).days if overdue else 0,
            days_principal_past_due=0
            if principal_late is None
            else (as_of - principal_late.due_on).days,
            closed_on=self.closed_on,
            fallen_due=m(sum(i.due_then or 0 for i in fallen)),
            paid_on_time=m(sum(min(i.paid_then or 0, i.due_then or 0) for i in fallen)),
            rows=tuple(_row(i) for i in insts),
        )


def _fit(parts: list[int], total: int) -> list[int]:
    """Adjust ``parts`` so they add up to ``total``: the last ones give or take first."""
    diff = total - sum(parts)
    out = list(parts)
    if diff >= 0:
        out[-1] += diff
        return out
    for k in range(len(out) - 1, -1, -1):
        take = min(out[k], -diff)
        out[k] -= take
        diff += take
        if not diff:
            break
    return out


def _row(i: _Inst) -> tuple[Any, ...]:
    return (
        i.number, i.due_on, i.principal, i.interest, i.fee, i.penalty, i.p_paid, i.i_paid,
        i.f_paid, i.x_paid, i.written_off, i.waived, i.settled_on, i.cancelled, i.due_then,
        i.paid_then,
    )  # fmt: skip


def _inst_state(row: tuple[Any, ...], currency: str) -> InstallmentState:
    (number, due_on, principal, interest, fee, penalty, p_paid, i_paid, f_paid, x_paid,
     written_off, waived, settled_on, cancelled, due_then, paid_then) = row  # fmt: skip

    def m(units: int) -> Money:
        return _units(units, currency)

    return InstallmentState(
        number=number,
        due_on=due_on,
        principal=m(principal),
        interest=m(interest),
        fee=m(fee),
        penalty=m(penalty),
        principal_paid=m(p_paid),
        interest_paid=m(i_paid),
        fee_paid=m(f_paid),
        penalty_paid=m(x_paid),
        written_off=m(written_off),
        waived=m(waived),
        settled_on=settled_on,
        cancelled=cancelled,
        due_then=None if due_then is None else m(due_then),
        paid_by_due_date=None
        if paid_then is None or due_then is None
        else m(min(paid_then, due_then)),
    )


def allocate_repayments(
    loan: Loan,
    repayments: Iterable[Repayment] = (),
    write_offs: Iterable[WriteOff] = (),
    *,
    as_of: date,
) -> LoanState:
    """The state of ``loan`` at the end of ``as_of``: every repayment allocated.

    Events on or before ``as_of`` are applied in date order; on one day, repayments
    first (by id), then write-offs, then the loan's reschedule. Repayments and
    write-offs of other loans are ignored.

    **Allocation order.** A repayment pays the instalments oldest first, and within each
    instalment penalties, then fees, then interest, then principal (the default of
    microfinance systems). Money left once every instalment due is paid goes on to the
    next instalments ahead of time, in the same order; money beyond everything the loan
    owes, or paid after it closed, is ``credit`` held for the household. So
    ``penalties + fees + interest + principal + credit == amount`` for every repayment.

    **Penalties.** With a ``late_fee`` in the terms, an instalment not fully paid by the
    end of its due date is charged the fee once, on the next day.

    **Arrears.** An instalment is late from the day after its due date. The loan is in
    arrears while one is not fully paid; ``days_in_arrears`` counts from the oldest, and
    ``days_principal_past_due`` from the oldest whose principal is not fully paid.

    **Write-offs.** A full write-off (no amount, or the whole remaining principal) takes
    the remaining principal off the books, forgives the unpaid interest, fees and
    penalties and closes the loan; instalments not yet due are cancelled. A partial one
    takes principal from the last instalments first and leaves the loan open.

    Raises:
        CurrencyMismatch: if a repayment or write-off of this loan is in another currency.
        TypeError: if ``loan`` is not a :class:`Loan` or ``as_of`` not a date.
        ValueError: if ``as_of`` is before the loan was disbursed.
    """
    if not isinstance(loan, Loan):
        raise TypeError(f"'loan' must be a Loan (got {type(loan).__name__} {loan!r})")
    _check_day("as_of", as_of)
    if as_of < loan.disbursed_on:
        raise ValueError(
            f"'as_of' {as_of.isoformat()} is before loan {loan.id!r} was disbursed on "
            f"{loan.disbursed_on.isoformat()}"
        )
    events: list[tuple[date, int, str, Any]] = []
    for r in repayments:
        if r.loan_id == loan.id and r.paid_on <= as_of:
            events.append((r.paid_on, 0, r.id, r))
    for w in write_offs:
        if w.loan_id == loan.id and w.on <= as_of:
            events.append((w.on, 1, w.id, w))
    for k, s in enumerate(loan.reschedules):
        if s.on <= as_of:
            events.append((s.on, 2, f"{k:06d}", s))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    allocator = _Allocator(loan)
    for day, kind, _, event in events:
        allocator.judge(day)
        if kind == 0:
            allocator.repay(event)
        elif kind == 1:
            allocator.write_off(event)
        else:
            allocator.reschedule(event)
    return allocator.state(as_of)


# -- from a dataset: states, flows, the ledger --------------------------------------------------


def _events_by_loan(dataset: Any) -> dict[str, tuple[list[Repayment], list[WriteOff]]]:
    """Each loan's repayments and write-offs in its own currency (others are rule findings)."""

    def build(ds: Any) -> dict[str, tuple[list[Repayment], list[WriteOff]]]:
        loans = ds.index("loans")
        out: dict[str, tuple[list[Repayment], list[WriteOff]]] = defaultdict(lambda: ([], []))
        for r in ds.records("repayments"):
            loan = loans.get(r.loan_id)
            if loan is not None and loan.currency == r.amount.currency:
                out[r.loan_id][0].append(r)
        for w in ds.records("write_offs"):
            loan = loans.get(w.loan_id)
            if loan is not None and (w.amount is None or w.amount.currency == loan.currency):
                out[w.loan_id][1].append(w)
        return dict(out)

    result: dict[str, tuple[list[Repayment], list[WriteOff]]] = dataset.derived(
        "revolving:events", build
    )
    return result


def _loans(dataset: Any) -> tuple[Loan, ...]:
    """The dataset's loans, each id once (the first wins, as in the index)."""
    return tuple(dataset.index("loans").values())


def latest_loan_states(dataset: Any) -> Mapping[str, LoanState]:
    """Each loan's state, by loan id, as of its last recorded event (built once per dataset).

    Allocation depends only on what happened before, so these states split every
    repayment exactly as the state on any later day does; :func:`revolving_flows` and
    the rules read them.
    """

    def build(ds: Any) -> dict[str, LoanState]:
        events = _events_by_loan(ds)
        out: dict[str, LoanState] = {}
        for loan in _loans(ds):
            reps, wos = events.get(loan.id, ([], []))
            last = max(
                (
                    loan.disbursed_on,
                    *(r.paid_on for r in reps),
                    *(w.on for w in wos),
                    *(s.on for s in loan.reschedules),
                )
            )
            out[loan.id] = allocate_repayments(loan, reps, wos, as_of=last)
        return out

    result: dict[str, LoanState] = dataset.derived("revolving:final-states", build)
    return result


def loan_states(dataset: Any, *, as_of: date, fund_id: str | None = None) -> tuple[LoanState, ...]:
    """The state of every loan disbursed on or before ``as_of`` (of one fund, if given).

    Repayments and write-offs in another currency than their loan are left out (the rule
    ``revolving.currency-mismatch`` reports them).
    """
    _check_day("as_of", as_of)
    events = _events_by_loan(dataset)
    out = []
    for loan in _loans(dataset):
        if loan.disbursed_on > as_of or (fund_id is not None and loan.fund_id != fund_id):
            continue
        reps, wos = events.get(loan.id, ([], []))
        out.append(allocate_repayments(loan, reps, wos, as_of=as_of))
    return tuple(out)


def _covered(flows: Iterable[Flow]) -> set[tuple[str, str]]:
    return {
        (f.origin.collection, f.origin.id)
        for f in flows
        if f.origin is not None and f.origin.collection in _COLLECTIONS
    }


def revolving_flows(dataset: Any, *, covered_by: Iterable[Flow] | None = None) -> tuple[Flow, ...]:
    """The flows a dataset's loans, repayments and write-offs imply.

    * a loan: ``revolving_fund -> loan``, the principal, ``LOAN_DISBURSEMENT``;
    * a repayment, as :func:`allocate_repayments` splits it: principal
      ``loan -> revolving_fund`` (``LOAN_REPAYMENT``); interest, fees and penalties
      ``household -> revolving_fund`` (``INTEREST``, one flow each); credit
      ``household -> revolving_fund`` (``LOAN_REPAYMENT``, held for the household);
    * a write-off: ``loan -> outside:written off``, the principal written off
      (:data:`WRITE_OFF_FLOW_KIND`).

    So a loan's balance in the ledger is its outstanding principal, and the fund's is
    its cash. Ids are derived from the record's (``loan:L1``, ``repayment:r1:interest``),
    with ``origin`` naming it. A record that a flow in ``covered_by`` (by default the
    dataset's ``flows``) already stems from gets none, so nothing is counted twice.
    Repayments of unknown loans or in another currency imply no flow (rules report them).
    """
    if covered_by is None:
        covered_by = dataset.records("flows") if "flows" in dataset.collection_types() else ()
    covered = _covered(covered_by)
    states = latest_loan_states(dataset)
    out: list[Flow] = []
    for loan in _loans(dataset):
        fund, party = Party.revolving_fund(loan.fund_id), Party.loan(loan.id)
        household = Party.household(loan.household_id)
        if ("loans", loan.id) not in covered:
            out.append(
                Flow(id=derived_flow_id("loan", loan.id), source=fund, destination=party,
                     amount=loan.principal, on=loan.disbursed_on,
                     kind=FlowKind.LOAN_DISBURSEMENT, origin=Origin(collection="loans", id=loan.id),
                     note=f"loan for {loan.purpose}")
            )  # fmt: skip
        state = states[loan.id]
        for a in state.allocations:
            if ("repayments", a.repayment_id) in covered:
                continue
            origin = Origin(collection="repayments", id=a.repayment_id)
            for suffix, source, amount, kind in (
                (":principal", party, a.principal, FlowKind.LOAN_REPAYMENT),
                (":interest", household, a.interest, FlowKind.INTEREST),
                (":fees", household, a.fees, FlowKind.INTEREST),
                (":penalties", household, a.penalties, FlowKind.INTEREST),
                (":credit", household, a.credit, FlowKind.LOAN_REPAYMENT),
            ):
                if amount.is_positive():
                    out.append(
                        Flow(id=derived_flow_id("repayment", a.repayment_id, suffix), source=source,
                             destination=fund, amount=amount, on=a.paid_on, kind=kind,
                             origin=origin, note=f"loan {loan.id} {suffix[1:]}")
                    )  # fmt: skip
        for w in state.write_offs:
            if ("write_offs", w.write_off_id) in covered or not w.principal.is_positive():
                continue
            out.append(
                Flow(id=derived_flow_id("write_off", w.write_off_id), source=party,
                     destination=WRITTEN_OFF, amount=w.principal, on=w.on, kind=WRITE_OFF_FLOW_KIND,
                     origin=Origin(collection="write_offs", id=w.write_off_id),
                     note=f"loan {loan.id} written off")
            )  # fmt: skip
    return tuple(out)


def revolving_ledger(dataset: Any) -> Ledger:
    """The dataset's ledger, with the flows its loans, repayments and write-offs imply.

    The same ledger the fund rules use (:meth:`Ledger.from_dataset` includes
    :func:`revolving_flows`), built once per dataset.
    """
    result: Ledger = dataset.derived("ledger", Ledger.from_dataset)
    return result


# -- the portfolio ---------------------------------------------------------------------------


def _ratio(part: Money, whole: Money) -> Decimal | None:
    if whole.is_zero():
        return None
    ratio: Decimal = part / whole
    return ratio


@attrs.frozen(kw_only=True)
class PortfolioReport:
    """A revolving fund's figures as of a day.

    Money figures come from two independent sources: the ledger (cash, capital, income,
    expenses, credits) and the loans' states (lent, repaid, outstanding, written off).
    The **capital identity** ties them together::

        cash + outstanding principal + written off
          = seed capital + top-ups + interest, fees and penalties collected
            + other income + credits held - expenses

    and :attr:`identity_difference` is zero when every yuan is accounted for.

    Definitions:

    * **seed capital**: money received (other than repayments and interest) on or before
      the day of the fund's first loan; **top-ups**: such money received later.
    * **PAR30/60/90** (portfolio at risk, as IRIS metric FP2635 and the SEEP/CGAP ratio
      define it): the whole outstanding principal of open loans with an instalment's
      principal past due for more than 30/60/90 days, or restructured (rescheduled)
      whatever their days late, over all outstanding principal: weighted by balance, not
      by count, each loan once (:meth:`LoanState.at_risk`). Unpaid interest, fees or
      penalties alone put no loan at risk (they still put it in arrears).
    * **restructured**: the outstanding principal of open loans that have been
      rescheduled; all of it is in PAR30, PAR60 and PAR90.
    * **repayment rate**: what instalments due on or before the day asked for (penalties
      aside) and was paid by their due dates, over what they asked for.
    * **write-off ratio**: principal written off over principal lent, cumulatively.
    * **revolving multiple**: principal lent, cumulatively, over seed capital (撬动效应:
      how many yuan one yuan of seed money has lent).
    * **lending cycles**: how many times the whole capital (seed and top-ups) has been
      lent out: cumulative principal lent over capital, rounded down.

    Ratios are exact :class:`~decimal.Decimal` values (34 significant digits), or
    ``None`` when the denominator is zero.
    """

    fund_id: str
    as_of: date
    currency: str
    cash: Money
    seed_capital: Money
    top_ups: Money
    interest_collected: Money
    fees_collected: Money
    penalties_collected: Money
    other_income: Money
    credits_held: Money
    expenses: Money
    cumulative_lent: Money
    principal_repaid: Money
    written_off: Money
    outstanding_principal: Money
    overdue: Money
    restructured: Money
    loans_made: int
    active_loans: int
    loans_in_arrears: int
    loans_repaid: int
    loans_written_off: int
    households_reached: int
    par30: Decimal | None
    par60: Decimal | None
    par90: Decimal | None
    repayment_rate: Decimal | None
    write_off_ratio: Decimal | None
    revolving_multiple: Decimal | None
    lending_cycles: int

    @property
    def capital(self) -> Money:
        """Seed capital and top-ups."""
        return self.seed_capital + self.top_ups

    @property
    def assets(self) -> Money:
        """The left side of the identity: cash, outstanding principal and written off."""
        return self.cash + self.outstanding_principal + self.written_off

    @property
    def sources(self) -> Money:
        """The right side of the identity: capital, income and credits less expenses."""
        return (
            self.capital + self.interest_collected + self.fees_collected
            + self.penalties_collected + self.other_income + self.credits_held - self.expenses
        )  # fmt: skip

    @property
    def identity_difference(self) -> Money:
        """``assets - sources``: zero when no money appeared or vanished."""
        return self.assets - self.sources

    @property
    def identity_holds(self) -> bool:
        """Whether the capital identity holds to the fen."""
        return self.identity_difference.is_zero()

    def __str__(self) -> str:
        def f(m: Money) -> str:
            return m.format(grouping=True)

        multiple = (
            "n/a" if self.revolving_multiple is None
            else f"{self.revolving_multiple.quantize(Decimal('0.01'), context=SHOWN)}"
        )  # fmt: skip
        check = "holds" if self.identity_holds else f"is off by {f(self.identity_difference)}"
        lines = [
            f"Revolving fund {self.fund_id} as of {self.as_of.isoformat()}",
            f"  capital               seed {f(self.seed_capital)} + top-ups {f(self.top_ups)}",
            f"  lent                  {f(self.cumulative_lent)} in {self.loans_made} loans"
            f" to {self.households_reached} households",
            f"  repaid principal      {f(self.principal_repaid)}",
            f"  collected             interest {f(self.interest_collected)}, fees "
            f"{f(self.fees_collected)}, penalties {f(self.penalties_collected)}",
            f"  written off           {f(self.written_off)} "
            f"(write-off ratio {percent(self.write_off_ratio)})",
            f"  outstanding           {f(self.outstanding_principal)} in "
            f"{self.active_loans + self.loans_in_arrears} open loans "
            f"({self.loans_in_arrears} in arrears, overdue {f(self.overdue)})",
            f"  loans closed          {self.loans_repaid} repaid, "
            f"{self.loans_written_off} written off",
            f"  portfolio at risk     PAR30 {percent(self.par30)}, PAR60 {percent(self.par60)},"
            f" PAR90 {percent(self.par90)}",
            f"  restructured          {f(self.restructured)} (all of it in PAR30/60/90)",
            f"  repayment rate        {percent(self.repayment_rate)} on time",
            f"  cash                  {f(self.cash)}",
            f"  revolving multiple    {multiple} (lending cycles: {self.lending_cycles})",
            f"  capital identity      {check}: cash + outstanding + written off = {f(self.assets)}",
        ]
        return "\n".join(lines)


def _capital_flows(
    ledger: Ledger, party: Party, as_of: date, first_loan: date | None
) -> tuple[Money, Money, Money, Money, Money]:
    """Seed, top-ups, income, credits held and expenses of ``party`` up to ``as_of``."""
    currency = ledger.currency
    zero = Money.zero(currency)
    seed = top_ups = income = credits = expenses = zero
    for flow, sign in ledger.entries(party):
        if flow.on > as_of or flow.amount.currency != currency:
            continue
        if sign > 0:
            if flow.kind is FlowKind.INTEREST:
                income += flow.amount
            elif flow.kind is FlowKind.LOAN_REPAYMENT:
                if flow.source.kind is not PartyKind.LOAN:
                    credits += flow.amount
            elif first_loan is None or flow.on <= first_loan:
                seed += flow.amount
            else:
                top_ups += flow.amount
        elif flow.kind is FlowKind.LOAN_DISBURSEMENT:
            continue
        elif flow.kind is FlowKind.REFUND and flow.destination.kind is PartyKind.HOUSEHOLD:
            credits -= flow.amount
        else:
            expenses += flow.amount
    return seed, top_ups, income, credits, expenses


def portfolio_report(dataset: Any, fund_id: str, *, as_of: date) -> PortfolioReport:
    """The figures of revolving fund ``fund_id`` at the end of ``as_of``.

    Cash, capital, income and expenses are read off :func:`revolving_ledger`; lending,
    repayment, arrears and write-offs off :func:`loan_states`. See
    :class:`PortfolioReport` for the definitions. Loans in another currency than the
    fund's are left out (the rule ``revolving.currency-mismatch`` reports them).

    Raises:
        KeyError: if the dataset has no revolving fund ``fund_id``.
        TypeError: if ``as_of`` is not a date.
    """
    _check_day("as_of", as_of)
    fund = dataset.get("revolving_funds", fund_id)
    if fund is None:
        known = ", ".join(sorted(dataset.index("revolving_funds"))) or "none"
        raise KeyError(f"there is no revolving fund {fund_id!r} in the dataset (known: {known})")
    currency = fund.currency
    fund_loans = [
        loan for loan in _loans(dataset) if loan.fund_id == fund_id and loan.currency == currency
    ]
    first_loan = min((loan.disbursed_on for loan in fund_loans), default=None)
    ledger = revolving_ledger(dataset)
    if ledger.currency != currency:
        ledger = Ledger(ledger.flows, currency=currency)
    party = Party.revolving_fund(fund_id)
    seed, top_ups, income, credits, expenses = _capital_flows(ledger, party, as_of, first_loan)
    states = [
        s
        for s in loan_states(dataset, as_of=as_of, fund_id=fund_id)
        if s.principal.currency == currency
    ]

    def total(values: Iterable[Money]) -> Money:
        return Money.total(values, currency)

    interest = total(s.interest_paid for s in states)
    fees = total(s.fees_paid for s in states)
    penalties = total(s.penalties_paid for s in states)
    lent = total(s.principal for s in states)
    written_off = total(s.written_off for s in states)
    outstanding = total(s.outstanding_principal for s in states)
    capital = seed + top_ups

    def par(days: int) -> Decimal | None:
        return _ratio(
            total(s.outstanding_principal for s in states if s.at_risk(days)), outstanding
        )

    count = dict.fromkeys(LoanStatus, 0)
    for s in states:
        count[s.status] += 1
    return PortfolioReport(
        fund_id=fund_id,
        as_of=as_of,
        currency=currency,
        cash=ledger.balance(party, as_of),
        seed_capital=seed,
        top_ups=top_ups,
        interest_collected=interest,
        fees_collected=fees,
        penalties_collected=penalties,
        other_income=income - interest - fees - penalties,
        credits_held=credits,
        expenses=expenses,
        cumulative_lent=lent,
        principal_repaid=total(s.principal_paid for s in states),
        written_off=written_off,
        outstanding_principal=outstanding,
        overdue=total(s.overdue for s in states if s.is_open),
        restructured=total(
            s.outstanding_principal for s in states if s.is_open and s.is_restructured
        ),
        loans_made=len(states),
        active_loans=count[LoanStatus.ACTIVE],
        loans_in_arrears=count[LoanStatus.IN_ARREARS],
        loans_repaid=count[LoanStatus.REPAID],
        loans_written_off=count[LoanStatus.WRITTEN_OFF],
        households_reached=len({s.household_id for s in states}),
        par30=par(30),
        par60=par(60),
        par90=par(90),
        repayment_rate=_ratio(
            total(s.paid_on_time for s in states), total(s.fallen_due for s in states)
        ),
        write_off_ratio=_ratio(written_off, lent),
        revolving_multiple=_ratio(lent, seed),
        lending_cycles=0 if capital.is_zero() else lent.minor_units // capital.minor_units,
    )
