"""The repayment engine: a loan's schedule, repayments, write-offs and reschedules applied.

:func:`allocate_repayments` applies a loan's events in date order and returns its
:class:`LoanState`: how each repayment was split (:class:`RepaymentAllocation`), what
write-offs and reschedules did (:class:`AppliedWriteOff`, :class:`AppliedReschedule`), and
every instalment as it stands (:class:`InstallmentState`).

Inside, the engine counts whole minor units (fen). An instalment owes one amount of each
charge, penalty, fee, interest and principal, and a repayment pays them in that order
(``_Charge``); the events of one day apply repayments first, then write-offs, then the
reschedule (``_EventKind``). Money is made only for the records it returns, and the
instalments' states only when asked for.
"""

from __future__ import annotations

import enum
import functools
import operator
from collections.abc import Iterable
from datetime import date
from typing import Final, NamedTuple

import attrs

from humanaid.errors import CurrencyMismatch, FieldValueError
from humanaid.money import Money
from humanaid.revolving._fields import _check_day, _units
from humanaid.revolving.loans import Loan, Repayment, Reschedule, WriteOff
from humanaid.revolving.terms import repayment_schedule

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
        duplicate_repayments: the repayments not applied because an earlier one (by
            day, then id) carries the same ``transaction_ref``: entered twice, booked
            once.
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
    _rows: tuple[_Row, ...] = attrs.field(default=(), repr=False)
    duplicate_repayments: tuple[str, ...] = ()

    @functools.cached_property
    def installments(self) -> tuple[InstallmentState, ...]:
        """The schedule in force, instalment by instalment (built when first asked for)."""
        currency = self.principal.currency
        return tuple(row.state(currency) for row in self._rows)

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


# -- the engine ---------------------------------------------------------------------------------


class _Charge(enum.IntEnum):
    """What an instalment owes: one amount of each charge, paid in this order.

    A repayment pays the oldest open instalment's penalty, then its fee, its interest and
    its principal, before it pays anything of the next. A member's value is its place in
    that order and its index in :attr:`_Inst.owed` and :attr:`_Inst.paid`. A new kind of
    charge is a member here, at its place, and its fields on the public records
    (:class:`~humanaid.Installment` if the schedule sets it, :class:`InstallmentState`,
    :class:`RepaymentAllocation`, :class:`LoanState`); the allocation itself, write-offs,
    reschedules and arrears handle every charge alike.
    """

    PENALTY = 0
    FEE = 1
    INTEREST = 2
    PRINCIPAL = 3


# The charges as plain ints, for the paths taken for every instalment and repayment: there
# an IntEnum member costs several times an int (a class attribute, then a slower index).
_CHARGES: Final = tuple(int(c) for c in sorted(_Charge))  # every charge, in allocation order
_PENALTY: Final = int(_Charge.PENALTY)
_FEE: Final = int(_Charge.FEE)
_INTEREST: Final = int(_Charge.INTEREST)
_PRINCIPAL: Final = int(_Charge.PRINCIPAL)
_NOTHING: Final = (0,) * len(_Charge)  # no amount of any charge


class _EventKind(enum.IntEnum):
    """What happens to a loan on a day; the events of one day apply in this order."""

    REPAYMENT = 0
    WRITE_OFF = 1
    RESCHEDULE = 2


class _Event(NamedTuple):
    """An event of a loan, where it falls in the order they are applied."""

    on: date
    kind: _EventKind
    key: str  # the order within a day and kind: the record's id, or the reschedule's place
    record: Repayment | WriteOff | Reschedule


# The order events apply in: by day, kind and key (never by the record, which has no order).
_EVENT_ORDER: Final = operator.attrgetter("on", "kind", "key")


class _Inst:
    """An instalment being allocated, in whole minor units.

    ``owed`` and ``paid`` hold one amount per :class:`_Charge`, indexed by it. ``owed``
    is what has to be paid in the end: principal written off, dues waived by a full
    write-off and dues of a cancelled instalment leave it (``written_off`` and ``waived``
    keep count), so what is unpaid of a charge is always ``owed[c] - paid[c]``.
    """

    __slots__ = (
        "cancelled",
        "due_on",
        "due_then",
        "evaluated",
        "number",
        "owed",
        "paid",
        "paid_then",
        "settled_on",
        "waived",
        "written_off",
    )

    def __init__(self, number: int, due_on: date, fee: int, interest: int, principal: int) -> None:
        self.number = number
        self.due_on = due_on
        owed = list(_NOTHING)  # penalties are charged later, if it is paid late
        owed[_FEE] = fee
        owed[_INTEREST] = interest
        owed[_PRINCIPAL] = principal
        self.owed = owed
        self.paid = list(_NOTHING)
        self.written_off = 0
        self.waived = 0
        self.settled_on: date | None = None
        self.cancelled = False
        self.evaluated = False
        self.due_then: int | None = None
        self.paid_then: int | None = None

    def unpaid_principal(self) -> int:
        return self.owed[_PRINCIPAL] - self.paid[_PRINCIPAL]

    def unpaid(self) -> int:
        return sum(self.owed) - sum(self.paid)

    def is_settled(self) -> bool:
        """Whether nothing is owed on it any more (no charge is ever paid beyond what is owed)."""
        return self.owed == self.paid

    def fall_due(self) -> None:
        """Keep what it asks for at the end of its due date, and what was paid of it.

        Penalties aside: they are charged for being late, not scheduled.
        """
        self.due_then = sum(self.owed) - self.owed[_PENALTY]
        self.paid_then = sum(self.paid) - self.paid[_PENALTY]

    def row(self) -> _Row:
        """A snapshot of it for the :class:`LoanState`."""
        # The fields in their order, straight into the tuple: keywords cost four times more.
        return tuple.__new__(_Row, (
            self.number, self.due_on, tuple(self.owed), tuple(self.paid), self.written_off,
            self.waived, self.settled_on, self.cancelled, self.due_then, self.paid_then,
        ))  # fmt: skip


class _Row(NamedTuple):
    """An instalment as the engine left it, in minor units (see :class:`_Inst`).

    A :class:`LoanState` keeps these and builds its :class:`InstallmentState` s (Money
    for every amount) only when asked for.
    """

    number: int
    due_on: date
    owed: tuple[int, ...]
    paid: tuple[int, ...]
    written_off: int
    waived: int
    settled_on: date | None
    cancelled: bool
    due_then: int | None
    paid_then: int | None

    def state(self, currency: str) -> InstallmentState:
        def m(units: int) -> Money:
            return _units(units, currency)

        owed, paid, due_then, paid_then = self.owed, self.paid, self.due_then, self.paid_then
        return InstallmentState(
            number=self.number,
            due_on=self.due_on,
            # The principal in force: what is still owed or was paid, and what was written off.
            principal=m(owed[_PRINCIPAL] + self.written_off),
            interest=m(owed[_INTEREST]),
            fee=m(owed[_FEE]),
            penalty=m(owed[_PENALTY]),
            principal_paid=m(paid[_PRINCIPAL]),
            interest_paid=m(paid[_INTEREST]),
            fee_paid=m(paid[_FEE]),
            penalty_paid=m(paid[_PENALTY]),
            written_off=m(self.written_off),
            waived=m(self.waived),
            settled_on=self.settled_on,
            cancelled=self.cancelled,
            due_then=None if due_then is None else m(due_then),
            paid_by_due_date=None
            if paid_then is None or due_then is None
            else m(min(paid_then, due_then)),
        )


class _Allocator:
    """Applies a loan's events in date order; see :func:`allocate_repayments`."""

    def __init__(self, loan: Loan) -> None:
        self.loan = loan
        self.currency = loan.currency
        self.late_fee = 0 if loan.terms.late_fee is None else loan.terms.late_fee.minor_units
        self.insts = [_Inst(k + 1, *units) for k, units in enumerate(loan._schedule_units)]
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
            inst.fall_due()
            if self.closed_on is None and self.late_fee and not inst.is_settled():
                inst.owed[_PENALTY] += self.late_fee

    def advance_open(self) -> None:
        insts = self.insts
        while self.first_open < len(insts) and insts[self.first_open].is_settled():
            self.first_open += 1

    def repay(self, r: Repayment) -> None:
        if r.amount.currency != self.currency:
            raise CurrencyMismatch(
                f"repayment {r.id!r} is in {r.amount.currency}, loan {self.loan.id!r} in "
                f"{self.currency}"
            )
        left = r.amount.minor_units
        after_close = self.closed_on is not None
        parts = list(_NOTHING)  # what it paid of each charge
        if not after_close:
            for inst in self.insts[self.first_open :]:
                if not left:
                    break
                owed, paid = inst.owed, inst.paid
                for charge in _CHARGES:
                    take = owed[charge] - paid[charge]
                    if take > 0:
                        if take > left:
                            take = left
                        paid[charge] += take
                        parts[charge] += take
                        left -= take
                if inst.settled_on is None and inst.is_settled():
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
                penalties=m(parts[_PENALTY]),
                fees=m(parts[_FEE]),
                interest=m(parts[_INTEREST]),
                principal=m(parts[_PRINCIPAL]),
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
                written = inst.unpaid_principal()
                inst.written_off += written
                inst.owed[_PRINCIPAL] -= written
                rest = inst.unpaid()
                if inst.due_on >= w.on and not inst.evaluated:
                    inst.cancelled = True  # it will never fall due: its interest never runs
                elif rest:
                    waived += rest
                    inst.waived += rest
                inst.owed = list(inst.paid)  # nothing more is owed on it
            self.closed_on, self.status = w.on, LoanStatus.WRITTEN_OFF
            self.first_open = len(insts)
        else:
            left = wanted
            for inst in reversed(insts):
                take = min(inst.unpaid_principal(), left)
                inst.written_off += take
                inst.owed[_PRINCIPAL] -= take
                left -= take
                if inst.settled_on is None and take and inst.is_settled():
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
            inst.owed[_PRINCIPAL] = inst.paid[_PRINCIPAL]  # the rest moves to the new schedule
            if inst.due_on > r.on and not inst.evaluated:
                inst.owed = list(inst.paid)  # not due yet: what was not paid is cancelled
                inst.cancelled = True
                if not any(inst.paid) and not inst.written_off:
                    continue  # nothing was paid on it: it simply goes
            if inst.settled_on is None and inst.is_settled():
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
        added = [
            _Inst(
                number + k + 1,
                inst.due_on,
                inst.fee.minor_units,
                inst.interest.minor_units,
                inst.principal.minor_units,
            )
            for k, inst in enumerate(new)
        ]
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
                inst.fall_due()
        m = self.money
        insts = self.insts
        overdue = [i for i in insts if i.due_on < as_of and not i.is_settled()]
        principal_late = next((i for i in overdue if i.unpaid_principal() > 0), None)
        status = self.status
        if status is None:
            status = LoanStatus.IN_ARREARS if overdue else LoanStatus.ACTIVE
        paid = [sum(i.paid[charge] for i in insts) for charge in _CHARGES]
        principal_paid = paid[_PRINCIPAL]
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
            interest_paid=m(paid[_INTEREST]),
            fees_paid=m(paid[_FEE]),
            penalties_paid=m(paid[_PENALTY]),
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
            rows=tuple(i.row() for i in insts),
        )

    def figures(self, as_of: date) -> _Figures:
        """What :meth:`state` gives a fund's report, in minor units, without the state.

        The same judging at ``as_of`` and the same sums (the tests hold the two equal);
        no :class:`LoanState`, instalment row or money is made.
        """
        self.judge(as_of)
        for inst in self.insts[self.evaluated :]:
            if inst.due_on != as_of:
                break
            if not inst.cancelled:
                inst.fall_due()
        insts = self.insts
        overdue = principal_paid = interest = fees = penalties = written_off = 0
        fallen_due = on_time = 0
        late = False
        principal_late: date | None = None
        for i in insts:
            owed, paid = i.owed, i.paid
            principal_paid += paid[_PRINCIPAL]
            interest += paid[_INTEREST]
            fees += paid[_FEE]
            penalties += paid[_PENALTY]
            written_off += i.written_off
            if i.due_on < as_of and owed != paid:
                late = True
                overdue += sum(owed) - sum(paid)
                if principal_late is None and owed[_PRINCIPAL] > paid[_PRINCIPAL]:
                    principal_late = i.due_on
            due_then = i.due_then
            if due_then is not None:
                fallen_due += due_then
                on_time += min(i.paid_then or 0, due_then)
        status = self.status
        if status is None:
            status = LoanStatus.IN_ARREARS if late else LoanStatus.ACTIVE
        return _Figures(
            status,
            principal_paid,
            interest,
            fees,
            penalties,
            written_off,
            self.loan.principal.minor_units - principal_paid - written_off,
            overdue,
            0 if principal_late is None else (as_of - principal_late).days,
            any(not r.after_close for r in self.reschedules),
            fallen_due,
            on_time,
        )


class _Figures(NamedTuple):
    """A loan's figures as of a day, in minor units (:meth:`_Allocator.figures`)."""

    status: LoanStatus
    principal_paid: int
    interest_paid: int
    fees_paid: int
    penalties_paid: int
    written_off: int
    outstanding: int
    overdue: int
    days_principal_past_due: int
    restructured: bool
    fallen_due: int
    paid_on_time: int


def _untouched_state(loan: Loan, as_of: date) -> LoanState:
    """``_Allocator(loan).state(as_of)`` for a loan no event has touched by ``as_of``.

    Nothing paid, written off or rescheduled: each instalment is what the schedule asks
    for, fallen due by the end of ``as_of`` if its day has come, charged the late fee
    once its day is over (and it asks for anything). The same state, field for field,
    without replaying the loan through the engine's instalments (the tests hold the two
    equal); most loans of a fund have no repayment yet on a day of its books.
    """
    currency = loan.currency
    late_fee = 0 if loan.terms.late_fee is None else loan.terms.late_fee.minor_units
    rows: list[_Row] = []
    overdue_units = overdue_principal = fallen_due = 0
    first_late: date | None = None
    first_principal_late: date | None = None
    nothing = _NOTHING
    for k, (due_on, fee, interest, principal) in enumerate(loan._schedule_units):
        owes = fee + interest + principal
        penalty = late_fee if due_on < as_of and late_fee and owes else 0
        owed = [0, 0, 0, 0]
        owed[_PENALTY], owed[_FEE], owed[_INTEREST], owed[_PRINCIPAL] = (
            penalty,
            fee,
            interest,
            principal,
        )
        due_then = paid_then = None
        if due_on <= as_of:
            due_then, paid_then = owes, 0
            fallen_due += owes
        if due_on < as_of and owes + penalty:
            overdue_units += owes + penalty
            overdue_principal += principal
            if first_late is None:
                first_late = due_on
            if principal and first_principal_late is None:
                first_principal_late = due_on
        rows.append(
            tuple.__new__(
                _Row, (k + 1, due_on, tuple(owed), nothing, 0, 0, None, False, due_then, paid_then)
            )
        )

    def m(units: int) -> Money:
        return _units(units, currency)

    zero = m(0)
    return LoanState(
        loan_id=loan.id,
        fund_id=loan.fund_id,
        household_id=loan.household_id,
        as_of=as_of,
        status=LoanStatus.IN_ARREARS if first_late is not None else LoanStatus.ACTIVE,
        principal=loan.principal,
        allocations=(),
        write_offs=(),
        reschedules=(),
        principal_paid=zero,
        interest_paid=zero,
        fees_paid=zero,
        penalties_paid=zero,
        written_off=zero,
        waived=zero,
        credit=zero,
        outstanding_principal=m(loan.principal.minor_units),
        overdue=m(overdue_units),
        overdue_principal=m(overdue_principal),
        days_in_arrears=0 if first_late is None else (as_of - first_late).days,
        days_principal_past_due=0
        if first_principal_late is None
        else (as_of - first_principal_late).days,
        closed_on=None,
        fallen_due=m(fallen_due),
        paid_on_time=zero,
        rows=tuple(rows),
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

    **Entered twice.** A repayment whose ``transaction_ref`` an earlier one (by day,
    then id) already carries is the same payment entered again: it is not applied, and
    :attr:`LoanState.duplicate_repayments` names it.

    Raises:
        CurrencyMismatch: if a repayment or write-off of this loan is in another currency.
        TypeError: if ``loan`` is not a :class:`Loan` or ``as_of`` not a date.
        ValueError: if ``as_of`` is before the loan was disbursed.
    """
    if not isinstance(loan, Loan):
        raise TypeError(f"'loan' must be a Loan (got {type(loan).__name__} {loan!r})")
    _check_day("as_of", as_of)
    if as_of < loan.disbursed_on:
        raise FieldValueError(
            "as_of",
            f"{as_of.isoformat()} is before loan {loan.id!r} was disbursed on "
            f"{loan.disbursed_on.isoformat()}",
        )
    events: list[_Event] = []
    for r in repayments:
        if r.loan_id == loan.id and r.paid_on <= as_of:
            events.append(_Event(r.paid_on, _EventKind.REPAYMENT, r.id, r))
    for w in write_offs:
        if w.loan_id == loan.id and w.on <= as_of:
            events.append(_Event(w.on, _EventKind.WRITE_OFF, w.id, w))
    for k, s in enumerate(loan.reschedules):
        if s.on <= as_of:
            events.append(_Event(s.on, _EventKind.RESCHEDULE, f"{k:06d}", s))
    if not events:  # nothing happened to it yet: its schedule as of the day
        return _untouched_state(loan, as_of)
    allocator, duplicates = _replay(loan, events)
    state = allocator.state(as_of)
    return attrs.evolve(state, duplicate_repayments=tuple(duplicates)) if duplicates else state


def _replay(loan: Loan, events: list[_Event]) -> tuple[_Allocator, list[str]]:
    """The engine with ``events`` applied in order, and the repayments entered twice."""
    events.sort(key=_EVENT_ORDER)
    allocator = _Allocator(loan)
    refs: set[str] = set()
    duplicates: list[str] = []
    for event in events:
        record = event.record
        if isinstance(record, Repayment) and record.transaction_ref is not None:
            if record.transaction_ref in refs:
                duplicates.append(record.id)  # entered twice: booked once
                continue
            refs.add(record.transaction_ref)
        allocator.judge(event.on)
        if isinstance(record, Repayment):
            allocator.repay(record)
        elif isinstance(record, WriteOff):
            allocator.write_off(record)
        else:
            allocator.reschedule(record)
    return allocator, duplicates


def _touched(
    loan: Loan, repayments: list[Repayment], write_offs: list[WriteOff], as_of: date
) -> _Allocator | None:
    """The engine with the loan's events up to ``as_of`` applied; ``None`` if it has none.

    What :func:`allocate_repayments` replays (the loan's own repayments, write-offs and
    reschedules up to the day), for :meth:`_Allocator.figures`; the records are the
    loan's own (its events, checked by the caller).
    """
    events = [_Event(r.paid_on, _EventKind.REPAYMENT, r.id, r) for r in repayments
              if r.paid_on <= as_of]  # fmt: skip
    events += (_Event(w.on, _EventKind.WRITE_OFF, w.id, w) for w in write_offs if w.on <= as_of)
    events += (
        _Event(s.on, _EventKind.RESCHEDULE, f"{k:06d}", s)
        for k, s in enumerate(loan.reschedules)
        if s.on <= as_of
    )
    return _replay(loan, events)[0] if events else None


def _repaid_only(
    loan: Loan, repayments: list[Repayment], write_offs: list[WriteOff], as_of: date
) -> tuple[_Figures, list[tuple[str, int, int, int]]] | None:
    """``_touched(...).figures(as_of)`` and its allocations, for a loan only repaid; or ``None``.

    A loan with no late fee, no write-off and no reschedule by ``as_of``, and at least
    one repayment by then (every one in its currency), owes a fixed sequence of charges:
    each instalment's fee, interest and principal, in schedule order, none added later
    (no penalty). Its repayments then fill that sequence as running sums: the cash paid
    so far against the charges in order, oldest first, each charge paid up to what it
    asks, what is beyond them all held as credit. This works the figures out so, in
    minor units, with no instalment object, allocation record or money; each
    instalment's payment by its due date is the running sum taken at the first event
    after it (as the engine judges it). ``None`` where the engine must replay the loan
    (the caller then does). The allocations: ``(repayment id, amount, interest and
    fees, credit)`` for each repayment applied, in order (a repayment whose
    transaction number an earlier one carries is not applied, as the engine skips it).
    The tests hold both equal to the engine's on generated loans.
    """
    terms = loan.terms
    if (terms.late_fee is not None and terms.late_fee.minor_units) or any(
        w.on <= as_of for w in write_offs
    ):
        return None
    if any(s.on <= as_of for s in loan.reschedules):
        return None
    currency = loan.currency
    mine = [r for r in repayments if r.paid_on <= as_of]
    if not mine or any(r.amount.currency != currency for r in mine):
        return None
    mine.sort(key=_REPAYMENT_ORDER)
    units = loan._schedule_units
    n = len(units)
    paid_fee = [0] * n
    paid_interest = [0] * n
    paid_principal = [0] * n
    paid_then: list[int | None] = [None] * n
    judged = 0  # instalments before this index have their payment by their due date kept
    first_open = 0  # instalments before this index are settled
    closed = False
    refs: set[str] = set()
    out: list[tuple[str, int, int, int]] = []
    for r in mine:
        ref = r.transaction_ref
        if ref is not None:
            if ref in refs:
                continue  # entered twice: applied once
            refs.add(ref)
        day = r.paid_on
        while judged < n and units[judged][0] < day:
            paid_then[judged] = paid_fee[judged] + paid_interest[judged] + paid_principal[judged]
            judged += 1
        amount = r.amount.minor_units
        left = amount
        earned = 0
        if not closed:
            k = first_open
            while k < n and left:
                _, fee, interest, principal = units[k]
                take = fee - paid_fee[k]
                if take > 0:
                    take = min(take, left)
                    paid_fee[k] += take
                    earned += take
                    left -= take
                take = interest - paid_interest[k]
                if take > 0 and left:
                    take = min(take, left)
                    paid_interest[k] += take
                    earned += take
                    left -= take
                take = principal - paid_principal[k]
                if take > 0 and left:
                    take = min(take, left)
                    paid_principal[k] += take
                    left -= take
                k += 1
            while first_open < n and (
                paid_fee[first_open] == units[first_open][1]
                and paid_interest[first_open] == units[first_open][2]
                and paid_principal[first_open] == units[first_open][3]
            ):
                first_open += 1
            closed = first_open == n
        out.append((r.id, amount, earned, left))
    while judged < n and units[judged][0] <= as_of:
        paid_then[judged] = paid_fee[judged] + paid_interest[judged] + paid_principal[judged]
        judged += 1
    overdue = fallen_due = on_time = 0
    late = False
    principal_late: date | None = None
    for k in range(n):
        due_on, fee, interest, principal = units[k]
        owes = fee + interest + principal
        then = paid_then[k]
        if then is not None:
            fallen_due += owes
            on_time += min(then, owes)
        if due_on < as_of:
            unpaid = owes - paid_fee[k] - paid_interest[k] - paid_principal[k]
            if unpaid:
                late = True
                overdue += unpaid
                if principal_late is None and principal > paid_principal[k]:
                    principal_late = due_on
    principal_paid = sum(paid_principal)
    status = LoanStatus.IN_ARREARS if late else LoanStatus.ACTIVE
    if closed:
        status = LoanStatus.REPAID
    figures = _Figures(
        status,
        principal_paid,
        sum(paid_interest),
        sum(paid_fee),
        0,
        0,
        loan.principal.minor_units - principal_paid,
        overdue,
        0 if principal_late is None else (as_of - principal_late).days,
        False,
        fallen_due,
        on_time,
    )
    return figures, out


# The order a loan's repayments apply in (those of :data:`_EVENT_ORDER`: by day, then id).
_REPAYMENT_ORDER: Final = operator.attrgetter("paid_on", "id")
