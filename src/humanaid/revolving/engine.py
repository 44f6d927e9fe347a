"""The repayment engine: a loan's schedule, repayments, write-offs and reschedules applied.

:func:`allocate_repayments` applies a loan's events in date order and returns its
:class:`LoanState`: how each repayment was split (:class:`RepaymentAllocation`), what
write-offs and reschedules did (:class:`AppliedWriteOff`, :class:`AppliedReschedule`), and
every instalment as it stands (:class:`InstallmentState`).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from humanaid.errors import CurrencyMismatch
from humanaid.money import Money
from humanaid.revolving._fields import _check_day, _units
from humanaid.revolving.loans import Loan, Repayment, Reschedule, WriteOff
from humanaid.revolving.terms import Installment, repayment_schedule

__all__ = [
    "AppliedReschedule",
    "AppliedWriteOff",
    "InstallmentState",
    "LoanState",
    "LoanStatus",
    "RepaymentAllocation",
    "allocate_repayments",
]


# -- the state of a loan on a day --------------------------------------------------------------


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
