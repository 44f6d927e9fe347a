"""The seed fund's records: the fund, its loans, their reschedules, repayments and write-offs.

These are what a village committee writes down. Nothing here is derived: a loan's
state on a day comes from :mod:`humanaid.revolving.engine`, the flows it implies from
:mod:`humanaid.revolving.books`.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import attrs

from humanaid.errors import FieldValueError
from humanaid.funds import Party
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.records import (
    currency_field,
    date_field,
    free_text_field,
    id_field,
    instance_of,
    money_field,
    positive,
    ref_field,
    text_field,
    tuple_field,
)
from humanaid.revolving._fields import _check_currency, _optional_money, _text
from humanaid.revolving.terms import Installment, LendingTerms, _unit_schedule, repayment_schedule

__all__ = [
    "Loan",
    "Repayment",
    "Reschedule",
    "RevolvingFund",
    "WriteOff",
]


def _leaves_room(start: date, terms: LendingTerms) -> bool:
    """Whether a schedule under ``terms`` from ``start`` ends well before the year 9999."""
    return start.year + (terms.term_months + terms.grace_months) // 12 + 2 <= 9999


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
    name: str = _text("name")
    project_id: str = ref_field("projects")
    area_id: str | None = ref_field("admin_areas", optional=True)
    organization_id: str | None = ref_field("organizations", optional=True)
    terms: LendingTerms = attrs.field(validator=instance_of(LendingTerms))
    currency: str = currency_field(default=DEFAULT_CURRENCY)
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
                raise FieldValueError(
                    "terms", f"must be in the fund's currency {self.currency} (got {amount})"
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
    reason: str = _text("note")
    terms: LendingTerms | None = attrs.field(
        default=None, validator=attrs.validators.optional(instance_of(LendingTerms))
    )
    installments: tuple[Installment, ...] = tuple_field(Installment)

    def __attrs_post_init__(self) -> None:
        if (self.terms is None) == (not self.installments):
            raise ValueError("give either 'terms' or 'installments' for a reschedule, exactly one")
        if self.terms is not None and not _leaves_room(self.on, self.terms):
            # As for a loan: no rule may meet a schedule it cannot compute.
            raise FieldValueError(
                "on",
                f"must leave room for the new schedule before the year 9999 (got "
                f"{self.on.isoformat()} with {self.terms.term_months} months to run)",
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
    purpose: str = _text("name")
    terms: LendingTerms = attrs.field(validator=instance_of(LendingTerms))
    borrower_id: str | None = ref_field("persons", optional=True)
    installments: tuple[Installment, ...] = tuple_field(Installment)
    reschedules: tuple[Reschedule, ...] = tuple_field(Reschedule)

    def __attrs_post_init__(self) -> None:
        currency = self.principal.currency
        months = self.terms.term_months + self.terms.grace_months
        if not _leaves_room(self.disbursed_on, self.terms):
            # Checked here, cheaply, so that no rule meets a schedule it cannot compute.
            raise FieldValueError(
                "disbursed_on",
                f"must leave room for the schedule before the year 9999 "
                f"(got {self.disbursed_on.isoformat()} with {months} months to run)",
            )
        for amount in self.terms.amounts:
            if amount.currency != currency:
                raise FieldValueError(
                    "terms", f"must be in the loan's currency {currency} (got {amount})"
                )
        if self.installments:
            _check_installments(self.installments, currency, self.disbursed_on, "installments")
            total = Money.total((i.principal for i in self.installments), currency)
            if total != self.principal:
                raise FieldValueError(
                    "installments",
                    f"principal must add up to 'principal' (got {total}, "
                    f"principal {self.principal})",
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
            raise FieldValueError(
                "principal", f"must be in the fund's currency {fund.currency} (got {principal})"
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

    @functools.cached_property
    def _schedule_units(self) -> tuple[tuple[date, int, int, int], ...]:
        """:attr:`schedule` in minor units: due day, fee, interest, principal (kept).

        What the seed-fund engine starts every replay of the loan from; a loan's schedule
        depends on its own terms alone, so it is worked out once a loan.
        """
        if self.installments:
            return tuple(
                (i.due_on, i.fee.minor_units, i.interest.minor_units, i.principal.minor_units)
                for i in self.schedule
            )
        return _unit_schedule(self.principal, self.terms, self.disbursed_on)

    @functools.cached_property
    def _schedule_columns(
        self,
    ) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """:attr:`_schedule_units` as columns (kept): due days, fees, interest, principal.

        The days as ``toordinal``; what ``portfolio._column_sums`` hands the column-wise sums.
        """
        units = self._schedule_units
        return (
            tuple(due.toordinal() for due, _, _, _ in units),
            tuple(fee for _, fee, _, _ in units),
            tuple(interest for _, _, interest, _ in units),
            tuple(principal for _, _, _, principal in units),
        )

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
        transaction_ref: the bank's or receipt book's transaction number, if known: its
            idempotency key. A repayment entered twice with the same number is booked
            once (the first by day, then id); the rule
            ``revolving.duplicate-transaction`` reports the other.

    >>> Repayment(id="r1", loan_id="L1", paid_on=date(2021, 6, 30), amount=Money("-1"))
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'amount' must be positive (got -1.00 CNY)
    """

    id: str = id_field()
    loan_id: str = ref_field("loans")
    paid_on: date = date_field()
    amount: Money = money_field(validator=positive)
    note: str = free_text_field()
    transaction_ref: str | None = text_field(optional=True)


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
    reason: str = _text("note")
    amount: Money | None = _optional_money(validator=positive)

    @property
    def is_full(self) -> bool:
        """Whether it writes off the whole remaining balance."""
        return self.amount is None
