"""Rules for village seed funds: loans within the terms, lent from cash, repaid while open.

The rules read the loans' states from :func:`humanaid.revolving.latest_loan_states` and
the cash from the dataset's ledger (:meth:`humanaid.Dataset.ledger`), both built once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from humanaid.findings import Finding, Severity
from humanaid.funds import Flow, FlowKind, FundKind, Party, PartyKind
from humanaid.money import Money
from humanaid.revolving import (
    Loan,
    LoanState,
    LoanStatus,
    Repayment,
    WriteOff,
    allocate_repayments,
    latest_loan_states,
)
from humanaid.revolving.books import (
    repayment_before_disbursement,
    repayments_not_booked,
    write_off_before_disbursement,
)
from humanaid.rules._helpers import party_ledgers

if TYPE_CHECKING:
    from humanaid.dataset import Dataset

__all__ = [
    "currencies_match",
    "disbursements_covered_by_cash",
    "duplicate_repayment_transactions",
    "loans_within_maximum",
    "no_loans_to_households_in_arrears",
    "repayments_on_open_loans",
    "revolving_funds_linked",
    "schedules_match_terms",
    "write_offs_on_open_loans",
]


def _money(m: Money) -> str:
    return m.format(grouping=True)


def loans_within_maximum(dataset: Dataset) -> Iterator[Finding]:
    """A loan is not larger than its terms allow (``revolving.loan-over-maximum``).

    The maximum is the one in the loan's own terms; if they name none, the one in its
    fund's current terms.
    """
    funds = dataset.index("revolving_funds")
    for loan in dataset.records("loans"):
        limit, where = loan.terms.max_loan, "its terms allow"
        if limit is None:
            fund = funds.get(loan.fund_id)
            if fund is not None:
                limit, where = fund.terms.max_loan, f"fund {fund.id!r} allows"
        if limit is None or limit.currency != loan.currency or loan.principal <= limit:
            continue
        yield Finding(
            rule="revolving.loan-over-maximum",
            severity=Severity.ERROR,
            subject=loan.id,
            message=(
                f"loan {loan.id!r} of {_money(loan.principal)} is over the maximum of "
                f"{_money(limit)} that {where}"
            ),
            figures={"principal": loan.principal, "max_loan": limit},
        )


def disbursements_covered_by_cash(dataset: Dataset) -> Iterator[Finding]:
    """A revolving fund lends only cash it holds (``revolving.disbursement-without-cash``).

    The cash a day's loans may use is the fund's balance at the end of the day before plus
    everything else that moved that day (a repayment received in the morning may be lent
    in the afternoon); the day's loans draw on it in id order, and each loan that finds
    too little is reported.
    """
    ledgers = party_ledgers(dataset, PartyKind.REVOLVING_FUND)
    for party in sorted(Party.revolving_fund(i) for i in ledgers):
        ledger = ledgers[party.id]
        by_day: dict[tuple[date, str], list[Flow]] = defaultdict(list)
        for flow in ledger.outflows(party, kind=FlowKind.LOAN_DISBURSEMENT):
            by_day[(flow.on, flow.amount.currency)].append(flow)
        for (day, currency), group in by_day.items():
            lent = Money.total((f.amount for f in group), currency)
            available = ledger.balance(party, day, currency=currency) + lent
            for flow in sorted(group, key=lambda f: f.id):
                if flow.amount > available:
                    shown = available if available.is_positive() else Money.zero(currency)
                    yield Finding(
                        rule="revolving.disbursement-without-cash",
                        severity=Severity.ERROR,
                        subject=flow.origin.id if flow.origin is not None else flow.id,
                        message=(
                            f"revolving fund {party.id!r} lent {_money(flow.amount)} on "
                            f"{day.isoformat()} but had only {_money(shown)} in cash for it"
                        ),
                        figures={"principal": flow.amount, "cash_available": shown, "on": day},
                    )
                available = available - flow.amount


def _events(
    dataset: Dataset,
) -> tuple[dict[str, list[Repayment]], dict[str, list[WriteOff]]]:
    loans = dataset.index("loans")
    repayments: dict[str, list[Repayment]] = defaultdict(list)
    write_offs: dict[str, list[WriteOff]] = defaultdict(list)
    for r in dataset.records("repayments"):
        loan = loans.get(r.loan_id)
        if loan is not None and r.amount.currency == loan.currency:
            repayments[r.loan_id].append(r)
    for w in dataset.records("write_offs"):
        loan = loans.get(w.loan_id)
        if loan is not None and (w.amount is None or w.amount.currency == loan.currency):
            write_offs[w.loan_id].append(w)
    return repayments, write_offs


def no_loans_to_households_in_arrears(dataset: Dataset) -> Iterator[Finding]:
    """No new loan to a household in arrears (``revolving.loan-while-in-arrears``).

    A household is in arrears on the day of a new loan when one of its earlier loans (of
    any fund) has an instalment due before that day not fully paid by the end of it.
    """
    by_household: dict[str, list[Loan]] = defaultdict(list)
    for loan in dataset.index("loans").values():
        by_household[loan.household_id].append(loan)
    latest = latest_loan_states(dataset)
    repayments, write_offs = _events(dataset)
    for loans in by_household.values():
        if len(loans) < 2:
            continue
        loans.sort(key=lambda loan: (loan.disbursed_on, loan.id))
        for k, loan in enumerate(loans):
            for earlier in loans[:k]:
                closed_on = latest[earlier.id].closed_on
                if earlier.disbursed_on >= loan.disbursed_on or (
                    closed_on is not None and closed_on < loan.disbursed_on
                ):
                    continue
                state = allocate_repayments(
                    earlier,
                    repayments.get(earlier.id, ()),
                    write_offs.get(earlier.id, ()),
                    as_of=loan.disbursed_on,
                )
                if state.status is not LoanStatus.IN_ARREARS:
                    continue
                yield Finding(
                    rule="revolving.loan-while-in-arrears",
                    severity=Severity.ERROR,
                    subject=loan.id,
                    message=(
                        f"loan {loan.id!r} went on {loan.disbursed_on.isoformat()} to household "
                        f"{loan.household_id!r}, whose loan {earlier.id!r} was "
                        f"{state.days_in_arrears} days in arrears"
                    ),
                    figures={
                        "loan_in_arrears": earlier.id,
                        "days_in_arrears": state.days_in_arrears,
                        "overdue": state.overdue,
                    },
                )
                break


def repayments_on_open_loans(dataset: Dataset) -> Iterator[Finding]:
    """A repayment is made on a loan that exists and is open.

    ``revolving.repayment-unknown-loan`` (error): the loan is not in the dataset, so the
    money cannot be allocated and no flow books it. ``revolving.repayment-before-disbursement``
    (error): it is dated before the loan was paid out. ``revolving.repayment-after-close``
    (warning): the loan had been repaid in full or written off, so the whole amount is
    held as a credit for the household. ``revolving.overpaid`` (info): a repayment paid
    more than the loan still owed; the rest is held as a credit.
    """
    loans = dataset.index("loans")
    latest = latest_loan_states(dataset)
    allocations = {
        a.repayment_id: (state, a) for state in latest.values() for a in state.allocations
    }
    for r in dataset.records("repayments"):
        loan = loans.get(r.loan_id)
        if loan is None:
            yield Finding(
                rule="revolving.repayment-unknown-loan",
                severity=Severity.ERROR,
                subject=r.id,
                message=(
                    f"repayment {r.id!r} of {_money(r.amount)} names loan {r.loan_id!r}, which "
                    "is not in the dataset: it cannot be allocated or booked"
                ),
                figures={"loan": r.loan_id, "amount": r.amount},
            )
            continue
        if r.paid_on < loan.disbursed_on:
            yield repayment_before_disbursement(r, loan)
        found = allocations.get(r.id)
        if found is None or found[0].loan_id != loan.id:
            continue
        state, a = found
        if a.after_close:
            how = "written off" if state.status is LoanStatus.WRITTEN_OFF else "repaid in full"
            closed = state.closed_on.isoformat() if state.closed_on else "earlier"
            yield Finding(
                rule="revolving.repayment-after-close",
                severity=Severity.WARNING,
                subject=r.id,
                message=(
                    f"repayment {r.id!r} of {_money(r.amount)} on {r.paid_on.isoformat()} came "
                    f"after loan {loan.id!r} was {how} on {closed}; it is held as a credit"
                ),
                figures={"amount": r.amount, "credit": a.credit},
            )
        elif a.credit.is_positive():
            yield Finding(
                rule="revolving.overpaid",
                severity=Severity.INFO,
                subject=r.id,
                message=(
                    f"repayment {r.id!r} paid {_money(a.credit)} more than loan {loan.id!r} "
                    "owed; it is held as a credit for the household"
                ),
                figures={"amount": r.amount, "credit": a.credit},
            )


def write_offs_on_open_loans(dataset: Dataset) -> Iterator[Finding]:
    """A write-off takes principal off an open loan, no more than it owes.

    ``revolving.write-off-before-disbursement`` (error): it is dated before the loan was
    paid out; the books leave it out (:func:`~humanaid.write_offs_left_out`).
    ``revolving.write-off-after-close`` (warning): the loan was already repaid or written
    off, so nothing was written off. ``revolving.write-off-over-balance`` (warning): the
    amount was more than the principal outstanding; only that was written off.
    """
    loans = dataset.index("loans")
    for w in dataset.records("write_offs"):
        loan = loans.get(w.loan_id)
        if loan is not None and w.on < loan.disbursed_on:
            yield write_off_before_disbursement(w, loan)
    latest = latest_loan_states(dataset)
    for state in latest.values():
        for w in state.write_offs:
            if w.after_close:
                yield Finding(
                    rule="revolving.write-off-after-close",
                    severity=Severity.WARNING,
                    subject=w.write_off_id,
                    message=(
                        f"write-off {w.write_off_id!r} on {w.on.isoformat()} names loan "
                        f"{state.loan_id!r}, which was already closed: nothing was written off"
                    ),
                    figures={"loan": state.loan_id, "on": w.on},
                )
            elif w.requested is not None and w.requested > w.principal:
                yield Finding(
                    rule="revolving.write-off-over-balance",
                    severity=Severity.WARNING,
                    subject=w.write_off_id,
                    message=(
                        f"write-off {w.write_off_id!r} asks for {_money(w.requested)} but loan "
                        f"{state.loan_id!r} owed only {_money(w.principal)} in principal"
                    ),
                    figures={"requested": w.requested, "written_off": w.principal},
                )


def schedules_match_terms(dataset: Dataset) -> Iterator[Finding]:
    """A loan's schedule matches its terms, and a reschedule schedules what was owed.

    ``revolving.schedule-mismatch`` (warning): a loan's explicit ``installments`` are not
    the schedule its terms give (different dates or amounts). ``revolving.reschedule-mismatch``
    (error): an explicit reschedule's principal is not the principal owed when it took
    effect (the last instalment was adjusted so the loan still adds up).
    ``revolving.reschedule-after-close`` (warning): the loan was closed by then.
    """
    latest = latest_loan_states(dataset)
    for loan in dataset.index("loans").values():
        if loan.installments:
            expected = loan.terms_schedule
            if expected != loan.installments:
                yield _schedule_mismatch(loan, expected)
        state = latest.get(loan.id)
        if state is None:
            continue
        yield from _reschedule_findings(loan, state)


def _schedule_mismatch(loan: Loan, expected: tuple[object, ...]) -> Finding:
    differs = next(
        (
            k + 1
            for k, (a, b) in enumerate(zip(loan.installments, expected, strict=False))
            if a != b
        ),
        min(len(loan.installments), len(expected)) + 1,
    )
    return Finding(
        rule="revolving.schedule-mismatch",
        severity=Severity.WARNING,
        subject=loan.id,
        message=(
            f"loan {loan.id!r} has {len(loan.installments)} instalments on record but its "
            f"terms give {len(expected)}; they first differ at instalment {differs}"
            if len(loan.installments) != len(expected)
            else f"loan {loan.id!r} has the {len(expected)} instalments its terms give, but "
            f"with other dates or amounts, first at instalment {differs}"
        ),
        figures={
            "recorded": len(loan.installments),
            "from_terms": len(expected),
            "first_difference": differs,
        },
    )


def _reschedule_findings(loan: Loan, state: LoanState) -> Iterator[Finding]:
    for r in state.reschedules:
        if r.after_close:
            yield Finding(
                rule="revolving.reschedule-after-close",
                severity=Severity.WARNING,
                subject=loan.id,
                message=(
                    f"loan {loan.id!r} was rescheduled on {r.on.isoformat()} after it had closed"
                ),
                figures={"on": r.on},
            )
        elif not r.matches:
            yield Finding(
                rule="revolving.reschedule-mismatch",
                severity=Severity.ERROR,
                subject=loan.id,
                message=(
                    f"loan {loan.id!r} was rescheduled on {r.on.isoformat()} with "
                    f"{_money(r.scheduled)} of principal, but {_money(r.outstanding)} was owed"
                ),
                figures={"outstanding": r.outstanding, "scheduled": r.scheduled, "on": r.on},
            )


def currencies_match(dataset: Dataset) -> Iterator[Finding]:
    """Loans are in their fund's currency; repayments and write-offs in their loan's.

    ``revolving.currency-mismatch`` (error); a repayment or write-off in another currency
    is left out of the loan's state and the ledger.
    """
    funds = dataset.index("revolving_funds")
    loans = dataset.index("loans")
    for loan in loans.values():
        fund = funds.get(loan.fund_id)
        if fund is not None and fund.currency != loan.currency:
            yield _currency_finding("loan", loan.id, loan.currency, "fund", fund.id, fund.currency)
    for r in dataset.records("repayments"):
        loan = loans.get(r.loan_id)
        if loan is not None and loan.currency != r.amount.currency:
            yield _currency_finding(
                "repayment", r.id, r.amount.currency, "loan", loan.id, loan.currency
            )
    for w in dataset.records("write_offs"):
        loan = loans.get(w.loan_id)
        if loan is not None and w.amount is not None and loan.currency != w.amount.currency:
            yield _currency_finding(
                "write-off", w.id, w.amount.currency, "loan", loan.id, loan.currency
            )


def _currency_finding(
    what: str, id_: str, currency: str, of: str, of_id: str, expected: str
) -> Finding:
    return Finding(
        rule="revolving.currency-mismatch",
        severity=Severity.ERROR,
        subject=id_,
        message=f"{what} {id_!r} is in {currency} but its {of} {of_id!r} is in {expected}",
        figures={"currency": currency, "expected": expected},
    )


def revolving_funds_linked(dataset: Dataset) -> Iterator[Finding]:
    """A revolving fund is linked to its books and lends only once it is open.

    ``revolving.fund-kind`` (warning): its ``fund_id`` names a fund not of kind
    ``REVOLVING`` (a missing fund is the integrity rule's to report).
    ``revolving.loan-before-fund-opened`` (error): a loan was disbursed before the day
    its revolving fund opened (``opened_on``; not checked when unknown).
    """
    revolving = dataset.index("revolving_funds")
    for loan in dataset.index("loans").values():
        rf = revolving.get(loan.fund_id)
        if rf is None or rf.opened_on is None or loan.disbursed_on >= rf.opened_on:
            continue
        yield Finding(
            rule="revolving.loan-before-fund-opened",
            severity=Severity.ERROR,
            subject=loan.id,
            message=(
                f"loan {loan.id!r} was disbursed on {loan.disbursed_on.isoformat()}, before its "
                f"revolving fund {rf.id!r} opened on {rf.opened_on.isoformat()}"
            ),
            figures={"disbursed_on": loan.disbursed_on, "opened_on": rf.opened_on},
        )
    funds = dataset.index("funds")
    for rf in dataset.records("revolving_funds"):
        if rf.fund_id is None:
            continue
        fund = funds.get(rf.fund_id)
        if fund is not None and fund.kind is not FundKind.REVOLVING:
            yield Finding(
                rule="revolving.fund-kind",
                severity=Severity.WARNING,
                subject=rf.id,
                message=(
                    f"revolving fund {rf.id!r} is accounted for in fund {fund.id!r}, which is a "
                    f"{fund.kind.value} fund, not a revolving one"
                ),
                figures={"fund": fund.id, "kind": fund.kind.value},
            )


def duplicate_repayment_transactions(dataset: Dataset) -> Iterator[Finding]:
    """A repayment entered again under the transaction number of an earlier one.

    The first of a number (by day, then id) is applied; each later one is not, so a
    household's payment is booked once, and the loan's schedule, arrears and the fund's
    cash are as if it had been entered once (:func:`humanaid.repayments_not_booked`).
    Rule code ``revolving.duplicate-transaction``, severity WARNING: one finding per
    later repayment, naming the first (``same_as``).
    """
    reps = dataset.index("repayments", missing_ok=True)
    for rid, why in repayments_not_booked(dataset).items():
        if not why.startswith("duplicate of "):
            continue
        first_id = why.removeprefix("duplicate of ")
        r, first = reps.get(rid), reps.get(first_id)
        if r is None or first is None:
            continue
        agree = (
            "the same amount"
            if r.amount == first.amount
            else f"{_money(r.amount)} against {_money(first.amount)}"
        )
        yield Finding(
            rule="revolving.duplicate-transaction",
            severity=Severity.WARNING,
            subject=rid,
            message=(
                f"repayment {rid!r} on loan {r.loan_id!r} carries the transaction number of "
                f"repayment {first_id!r} ({agree}): booked once, as {first_id!r}"
            ),
            figures={"same_as": first_id, "loan_id": r.loan_id},
        )
