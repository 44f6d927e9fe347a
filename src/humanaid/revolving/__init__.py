"""Village seed funds that lend and revolve: loans, schedules, repayments and the portfolio.

A :class:`RevolvingFund` (种子基金, 循环金) receives seed capital from a project, lends it
to households for production under :class:`LendingTerms`, is repaid and lends again. The
fund is a ledger party of its own, ``Party.revolving_fund(id)``: seed capital and top-ups
arrive as ordinary flows into it, and :func:`revolving_flows` turns every loan, repayment
and write-off into the flows they imply, so that the fund's cash is a ledger balance like
any other and money cannot appear or vanish.

A :class:`Loan` copies the terms it was made under and derives its schedule from them:

>>> from datetime import date
>>> from decimal import Decimal
>>> from humanaid import Money
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

The package has one room for each concept, and every name is also here:

* :mod:`~humanaid.revolving.terms`: :class:`LendingTerms`, the repayment methods and
  frequencies, and the :class:`Installment` schedules they give (:func:`repayment_schedule`);
* :mod:`~humanaid.revolving.loans`: the records: :class:`RevolvingFund`, :class:`Loan`,
  :class:`Reschedule`, :class:`Repayment` and :class:`WriteOff`;
* :mod:`~humanaid.revolving.engine`: :func:`allocate_repayments`, which applies a loan's
  events in date order, and the :class:`LoanState` it returns;
* :mod:`~humanaid.revolving.books`: a dataset's loans as states (:func:`loan_states`,
  :func:`latest_loan_states`) and as flows in its ledger (:func:`revolving_flows`);
* :mod:`~humanaid.revolving.portfolio`: a fund's figures as of a day
  (:func:`portfolio_report`).
"""

from __future__ import annotations

from humanaid.revolving.books import (
    WRITE_OFF_FLOW_KIND,
    WRITTEN_OFF,
    latest_loan_states,
    loan_states,
    revolving_flows,
    revolving_ledger,
)
from humanaid.revolving.engine import (
    AppliedReschedule,
    AppliedWriteOff,
    InstallmentState,
    LoanState,
    LoanStatus,
    RepaymentAllocation,
    allocate_repayments,
)
from humanaid.revolving.loans import (
    Loan,
    Repayment,
    Reschedule,
    RevolvingFund,
    WriteOff,
)
from humanaid.revolving.portfolio import (
    PortfolioReport,
    portfolio_report,
)
from humanaid.revolving.terms import (
    Installment,
    LendingTerms,
    RepaymentFrequency,
    RepaymentMethod,
    repayment_schedule,
)

__all__ = [
    "WRITE_OFF_FLOW_KIND",
    "WRITTEN_OFF",
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
