"""A revolving fund's figures as of a day: :func:`portfolio_report`.

The report reads cash, capital, income and expenses off the ledger and lending,
repayment, arrears and write-offs off the loans' states, and checks that the two agree
(the capital identity of :class:`PortfolioReport`).

What the books leave out because it cannot be right (a repayment or a write-off dated
before its loan was disbursed: :func:`~humanaid.revolving.books.repayments_left_out`,
:func:`~humanaid.revolving.books.write_offs_left_out`) is in no figure of the report and
in its :attr:`~PortfolioReport.findings`; ``strict=True`` refuses instead.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence, Set
from datetime import date
from decimal import Decimal
from typing import Final

import attrs

from humanaid import _gc
from humanaid._decimal import EXACT as _SUM
from humanaid._decimal import SHOWN, percent
from humanaid._decimal import ratio as _ratio
from humanaid.errors import FindingsError, UnknownId
from humanaid.findings import Findings
from humanaid.funds import Flow, FlowKind, Party, PartyKind
from humanaid.money import Money
from humanaid.revolving._fields import _check_day
from humanaid.revolving.books import (
    _booked_covered,
    _events_by_loan,
    _fund_booked,
    _fund_loans,
    _loans,
    repayments_left_out,
    write_offs_left_out,
)
from humanaid.revolving.engine import (
    _REPAYMENT_ORDER,
    LoanStatus,
    RepaymentAllocation,
    _Figures,
    _repaid_only,
    _touched,
)
from humanaid.revolving.loans import Loan, Repayment, WriteOff
from humanaid.source import RecordSource

__all__ = [
    "PortfolioReport",
    "portfolio_report",
]

_ZERO: Final = Decimal(0)


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

    :attr:`findings` lists the fund's events that no figure counts because they cannot
    be right (a repayment or a write-off dated before its loan was disbursed), empty
    when there are none; ``str()`` shows them under the figures.
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
    findings: Findings = attrs.field(factory=Findings, converter=Findings)

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
        if self.findings:
            lines.append(f"  left out              {self.findings}".replace("\n", "\n  "))
        return "\n".join(lines)


def _entries(flows: Iterable[Flow], party: Party) -> Iterator[tuple[Flow, int]]:
    """The flows touching ``party``, each with +1 (in) or -1 (out), as a ledger's entries."""
    for flow in flows:
        if flow.source == party:
            yield flow, -1
        if flow.destination == party:
            yield flow, +1


def _capital_flows(
    flows: Sequence[Flow], party: Party, as_of: date, first_loan: date | None, currency: str
) -> tuple[Money, Money, Money, Money, Money, Money]:
    """Seed, top-ups, income, credits held, expenses and cash of ``party`` up to ``as_of``."""
    zero = Money.zero(currency)
    seed = top_ups = income = credits = expenses = zero
    cash = _ZERO
    for flow, sign in _entries(flows, party):
        if flow.on > as_of or flow.amount.currency != currency:
            continue
        amount = flow.amount.amount
        cash = _SUM.add(cash, amount) if sign > 0 else _SUM.subtract(cash, amount)
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
    return seed, top_ups, income, credits, expenses, Money(cash, currency)


_PAR_DAYS: Final = (30, 60, 90)


class _LoanSums:
    """A fund's loans' figures as of a day, added up in minor units (one fund's report).

    What :func:`portfolio_report` totals over :func:`loan_states` (those in the fund's
    currency): each figure an exact int, made into money once.
    """

    __slots__ = (
        "at_risk",
        "cash",
        "count",
        "credits",
        "fallen_due",
        "fees",
        "households",
        "income",
        "interest",
        "lent",
        "loans",
        "outstanding",
        "overdue",
        "paid_on_time",
        "penalties",
        "principal_paid",
        "restructured",
        "written_off",
    )

    def __init__(self) -> None:
        self.interest = self.fees = self.penalties = self.lent = self.written_off = 0
        self.outstanding = self.principal_paid = self.overdue = self.restructured = 0
        self.paid_on_time = self.fallen_due = self.loans = 0
        self.cash = self.income = self.credits = 0
        self.at_risk = [0, 0, 0]
        self.count = dict.fromkeys(LoanStatus, 0)
        self.households: set[str] = set()

    def add_figures(self, loan: Loan, f: _Figures) -> None:
        """Add a replayed loan's figures (as ``portfolio_report`` totals its state)."""
        self.loans += 1
        self.interest += f.interest_paid
        self.fees += f.fees_paid
        self.penalties += f.penalties_paid
        self.lent += loan.principal.minor_units
        self.written_off += f.written_off
        outstanding = f.outstanding
        self.outstanding += outstanding
        self.principal_paid += f.principal_paid
        if f.status.is_open:
            self.overdue += f.overdue
            if f.restructured:
                self.restructured += outstanding
            for k, days in enumerate(_PAR_DAYS):
                if f.restructured or f.days_principal_past_due > days:
                    self.at_risk[k] += outstanding
        self.paid_on_time += f.paid_on_time
        self.fallen_due += f.fallen_due
        self.count[f.status] += 1
        self.households.add(loan.household_id)

    def add_cash(
        self, allocations: Iterable[RepaymentAllocation], covered: Set[tuple[str, str]]
    ) -> None:
        """Add what a loan's repayments brought into the fund's cash (see ``_fund_loan_sums``)."""
        for a in allocations:
            if ("repayments", a.repayment_id) in covered:
                continue
            earned = a.interest.minor_units + a.fees.minor_units + a.penalties.minor_units
            credit = a.credit.minor_units
            self.cash += a.principal.minor_units + earned + credit
            self.income += earned
            self.credits += credit

    def add_parts(
        self, parts: Iterable[tuple[str, int, int, int]], covered: Set[tuple[str, str]]
    ) -> None:
        """:meth:`add_cash` of ``engine._repaid_only``'s allocations.

        Each is ``(repayment id, amount, interest and fees, credit)``, in minor units.
        """
        for repayment_id, amount, earned, credit in parts:
            if ("repayments", repayment_id) in covered:
                continue
            self.cash += amount
            self.income += earned
            self.credits += credit

    def add_columns(self, figures: Sequence[int], households: Set[str]) -> None:
        """Add plain loans' figures summed column-wise (``_columns.FIGURES``, in its order)."""
        (loans, lent, interest, fees, outstanding, principal_paid, overdue, r30, r60, r90,
         fallen_due, on_time, active, in_arrears, repaid, cash, income, credits) = (
            figures
        )  # fmt: skip
        self.loans += loans
        self.lent += lent
        self.interest += interest
        self.fees += fees
        self.outstanding += outstanding
        self.principal_paid += principal_paid
        self.overdue += overdue
        for k, units in enumerate((r30, r60, r90)):
            self.at_risk[k] += units
        self.fallen_due += fallen_due
        self.paid_on_time += on_time
        self.count[LoanStatus.ACTIVE] += active
        self.count[LoanStatus.IN_ARREARS] += in_arrears
        self.count[LoanStatus.REPAID] += repaid
        self.cash += cash
        self.income += income
        self.credits += credits
        self.households |= households

    def add_untouched(self, loan: Loan, as_of: date) -> None:
        """Add a loan no event has touched by ``as_of``: its state read off its schedule.

        The figures of ``allocate_repayments(loan, as_of=as_of)`` (``_untouched_state``):
        nothing paid, written off or rescheduled; each instalment fallen due by the end
        of its day, overdue (with the late fee) once its day is over.
        """
        late_fee = loan.terms.late_fee
        fee = 0 if late_fee is None else late_fee.minor_units
        overdue = fallen = 0
        late = principal_late = None
        for due_on, charge, interest, principal in loan._schedule_units:
            if due_on > as_of:
                continue
            owes = charge + interest + principal
            fallen += owes
            if due_on < as_of:
                owed = owes + fee if fee and owes else owes
                if owed:
                    overdue += owed
                    if late is None:
                        late = due_on
                    if principal and principal_late is None:
                        principal_late = due_on
        units = loan.principal.minor_units
        self.loans += 1
        self.lent += units
        self.outstanding += units
        self.overdue += overdue
        if principal_late is not None:
            days = (as_of - principal_late).days
            for k, limit in enumerate(_PAR_DAYS):
                if days > limit:
                    self.at_risk[k] += units
        self.fallen_due += fallen
        self.count[LoanStatus.IN_ARREARS if late is not None else LoanStatus.ACTIVE] += 1
        self.households.add(loan.household_id)


def _loan_sums(
    dataset: RecordSource, fund_id: str, as_of: date, currency: str, batch: _FundBatch | None
) -> _LoanSums:
    """The fund's loans' figures as of ``as_of`` (in ``currency``), and what they move.

    Every loan of the fund disbursed by then, as :func:`loan_states` takes them: a loan
    with an event (repayment, write-off, reschedule) on or before ``as_of`` is replayed
    once (its :meth:`~humanaid.revolving.engine._Allocator.figures`, no state made), the
    others' figures come from their schedules alone. The fund's cash, income and credits
    from its loans are those of :func:`~humanaid.revolving.books._fund_loan_sums`: each
    disbursement out, each repayment allocated by the day in (none a booked flow
    stands for); a repayment's split depends only on what came before it, so the
    replay up to ``as_of`` splits each one as the replay up to the loan's last event does.

    With ``batch`` (the fund's part of :func:`_column_sums`, when every fund of a dataset
    is reported on one day: :func:`_portfolio_reports`), its plain loans' figures are
    those summed column-wise, and only its other loans are replayed here.
    """
    sums = _LoanSums()
    loans: Sequence[Loan] = _fund_loans(dataset, fund_id)
    if batch is not None:
        sums.add_columns(batch.figures, batch.households)
        loans = batch.rest
    events = _events_by_loan(dataset)
    covered = _booked_covered(dataset)
    with _gc.paused():  # the engine's instalments and allocations for each loan replayed
        for loan in loans:
            if loan.disbursed_on > as_of:
                continue
            mine = loan.currency == currency
            if mine and ("loans", loan.id) not in covered:
                sums.cash -= loan.principal.minor_units
            reps, wos = events.get(loan.id, _NO_EVENTS)
            if not reps and not wos and not loan.reschedules:
                if mine:
                    sums.add_untouched(loan, as_of)
                continue
            if mine:
                quick = _repaid_only(loan, reps, wos, as_of)
                if quick is not None:  # repayments alone: their running sums, no replay
                    figures, parts = quick
                    sums.add_figures(loan, figures)
                    sums.add_parts(parts, covered)
                    continue
            engine = _touched(loan, reps, wos, as_of)
            if engine is None:
                if mine:
                    sums.add_untouched(loan, as_of)
                continue
            figures = engine.figures(as_of)
            if mine:
                sums.add_figures(loan, figures)
                sums.add_cash(engine.allocations, covered)
    return sums


_COLUMNS_FROM: int = 256
"""The fewest loans in a dataset for which its funds' plain loans are summed column-wise."""


@attrs.frozen
class _FundBatch:
    """A fund's part of :func:`_column_sums`.

    ``figures``: its :data:`~humanaid.revolving._columns.FIGURES` over its plain loans in
    its currency; ``households``: theirs; ``rest``: its other loans disbursed by the day
    (replayed); ``first_loan``: the day of its first loan in its currency (any day).
    """

    figures: tuple[int, ...]
    households: set[str]
    rest: list[Loan]
    first_loan: date | None


def _plain(
    loan: Loan, reps: list[Repayment], wos: list[WriteOff], as_of: date
) -> list[Repayment] | None:
    """The repayments a plain loan applies by ``as_of``, in order; ``None`` if it is not plain.

    Plain: no write-off or reschedule by then, and either no repayment by then (its
    schedule alone) or no late fee and repayments in its currency, none carrying a
    transaction number an earlier one of the loan carries (``engine._repaid_only``'s
    loans, less those whose duplicates the engine must skip).
    """
    for w in wos:
        if w.on <= as_of:
            return None
    for s in loan.reschedules:
        if s.on <= as_of:
            return None
    mine = [r for r in reps if r.paid_on <= as_of]
    if not mine:
        return mine
    late_fee = loan.terms.late_fee
    if late_fee is not None and late_fee.minor_units:
        return None
    currency = loan.currency
    refs: set[str] = set()
    for r in mine:
        if r.amount.currency != currency:
            return None
        ref = r.transaction_ref
        if ref is not None:
            if ref in refs:
                return None
            refs.add(ref)
    mine.sort(key=_REPAYMENT_ORDER)
    return mine


def _column_sums(dataset: RecordSource, as_of: date) -> dict[str, _FundBatch]:
    """Every fund's plain loans summed column-wise as of ``as_of``, by fund id.

    The plain loans' columns are gathered here and summed in polars
    (:func:`~humanaid.revolving._columns.fund_sums`).
    """
    from humanaid.revolving._columns import FIGURES, fund_sums

    funds = dataset.index("revolving_funds", missing_ok=True)
    currencies = {fund_id: fund.currency for fund_id, fund in funds.items()}
    events = _events_by_loan(dataset)
    covered = _booked_covered(dataset)
    plain: list[Loan] = []
    late_fees: list[int] = []
    paid: list[int] = []
    rep_loan: list[int] = []
    rep_day: list[int] = []
    rep_amount: list[int] = []
    homes: dict[str, set[str]] = {}
    rest: dict[str, list[Loan]] = {}
    first: dict[str, date] = {}
    for loan in _loans(dataset):
        fund_id = loan.fund_id
        currency = currencies.get(fund_id)
        if currency is None:
            continue
        mine = loan.currency == currency
        if mine:
            on = loan.disbursed_on
            was = first.get(fund_id)
            if was is None or on < was:
                first[fund_id] = on
        if loan.disbursed_on > as_of:
            continue
        got = events.get(loan.id)
        applied: list[Repayment] | None = None  # (a loan in another currency: replayed)
        if mine:
            if got is None and not loan.reschedules:
                applied = []  # untouched: no event at all
            else:
                reps, wos = got or _NO_EVENTS
                applied = _plain(loan, reps, wos, as_of)
                if applied and covered and any(("repayments", r.id) in covered for r in applied):
                    applied = None  # its cash is counted without them: replayed
        if applied is None:
            rest.setdefault(fund_id, []).append(loan)
            continue
        n = len(plain)
        plain.append(loan)
        total = 0
        for r in applied:
            amount = r.amount.minor_units
            total += amount
            rep_loan.append(n)
            rep_day.append(r.paid_on.toordinal())
            rep_amount.append(amount)
        paid.append(total)
        late_fee = loan.terms.late_fee
        late_fees.append(0 if late_fee is None else late_fee.minor_units)
        homes.setdefault(fund_id, set()).add(loan.household_id)
    summed: dict[str, tuple[int, ...]] = {}
    if plain:
        columns = [loan._schedule_columns for loan in plain]
        flat = itertools.chain.from_iterable
        summed = fund_sums(
            {
                "fund": [loan.fund_id for loan in plain],
                "late_fee": late_fees,
                "paid": paid,
                "booked": [("loans", loan.id) in covered for loan in plain]
                if covered
                else [False] * len(plain),
            },
            {
                "loan": list(flat(itertools.repeat(k, len(c[0])) for k, c in enumerate(columns))),
                "due": list(flat(c[0] for c in columns)),
                "fee": list(flat(c[1] for c in columns)),
                "interest": list(flat(c[2] for c in columns)),
                "principal": list(flat(c[3] for c in columns)),
            },
            {"loan": rep_loan, "day": rep_day, "amount": rep_amount},
            as_of,
        )
    none = (0,) * len(FIGURES)
    return {
        fund: _FundBatch(
            summed.get(fund, none), homes.get(fund, set()), rest.get(fund, []), first.get(fund)
        )
        for fund in currencies
    }


_NO_EVENTS: Final[tuple[list[Repayment], list[WriteOff]]] = ([], [])


def portfolio_report(
    dataset: RecordSource, fund_id: str, *, as_of: date, strict: bool = False
) -> PortfolioReport:
    """The figures of revolving fund ``fund_id`` at the end of ``as_of``.

    Cash, capital, income and expenses are read off the dataset's ledger; lending,
    repayment, arrears and write-offs off :func:`loan_states`. See
    :class:`PortfolioReport` for the definitions. Loans in another currency than the
    fund's are left out (the rule ``revolving.currency-mismatch`` reports them).
    Repayments and write-offs dated before their loan was disbursed are in no figure:
    the report's :attr:`~PortfolioReport.findings` name them.

    Args:
        dataset: the records.
        fund_id: the revolving fund.
        as_of: the day; the figures are those at its end.
        strict: refuse with :class:`~humanaid.FindingsError` when events were left out,
            instead of reporting them in :attr:`~PortfolioReport.findings`.

    Raises:
        UnknownId: if the dataset has no revolving fund ``fund_id`` (a
            :class:`KeyError`), naming the nearest fund ids.
        TypeError: if ``as_of`` is not a date.
        FindingsError: with ``strict=True``, if events were left out.
    """
    return _portfolio_reports(dataset, (fund_id,), as_of=as_of, strict=strict)[0]


def _portfolio_reports(
    dataset: RecordSource, fund_ids: Sequence[str], *, as_of: date, strict: bool = False
) -> list[PortfolioReport]:
    """:func:`portfolio_report` of each of ``fund_ids``, in order, on one day.

    For more than one fund (as :func:`~humanaid.revolving_summary` asks), with
    :data:`_COLUMNS_FROM` loans or more in the dataset and polars importable, every fund's
    plain loans are summed once, column-wise (:func:`_column_sums`), and only the others
    are replayed, fund by fund; otherwise each fund's loans are summed in Python.
    """
    _check_day("as_of", as_of)
    batch: dict[str, _FundBatch] | None = None
    if len(fund_ids) > 1 and len(dataset.index("loans")) >= _COLUMNS_FROM:
        from humanaid.revolving import _columns

        if _columns.available():
            batch = _column_sums(dataset, as_of)
    return [
        _report(dataset, fund_id, as_of, strict, None if batch is None else batch.get(fund_id))
        for fund_id in fund_ids
    ]


def _report(
    dataset: RecordSource, fund_id: str, as_of: date, strict: bool, batch: _FundBatch | None
) -> PortfolioReport:
    """:func:`portfolio_report` of one fund, with its part of :func:`_column_sums` if taken."""
    fund = UnknownId.lookup(dataset, "revolving_funds", fund_id, argument="fund_id")
    left_out = Findings(
        (
            *repayments_left_out(dataset, fund_id=fund_id, as_of=as_of),
            *write_offs_left_out(dataset, fund_id=fund_id, as_of=as_of),
        )
    )
    if strict and left_out:
        raise FindingsError(left_out, what=f"portfolio_report of {fund_id!r}")
    currency = fund.currency
    if batch is None:
        loans = _fund_loans(dataset, fund_id)
        days = (loan.disbursed_on for loan in loans if loan.currency == currency)
        first_loan = min(days, default=None)
    else:
        first_loan = batch.first_loan
    party = Party.revolving_fund(fund_id)
    # Each loan's figures as of the day, summed in minor units (_LoanSums): a loan no event
    # has touched by then straight from its schedule, the others replayed once, their
    # state kept for the flows they imply. The same figures as loan_states() summed.
    sums = _loan_sums(dataset, fund_id, as_of, currency, batch)
    # Only the flows touching the fund (of the ledger's flows: _fund_flows), not the ledger
    # of the whole dataset: a fund's report costs what its own books hold. A loan whose
    # events all fall by as_of is replayed once, for its state and for its flows.
    seed, top_ups, income, credits, expenses, cash = _capital_flows(
        _fund_booked(dataset, fund_id), party, as_of, first_loan, currency
    )

    def m(units: int) -> Money:
        return Money.from_minor_units(units, currency)

    # What the fund's loans move (the flows of _loan_flows touching it), added as sums.
    cash, income, credits = cash + m(sums.cash), income + m(sums.income), credits + m(sums.credits)

    interest, fees, penalties = m(sums.interest), m(sums.fees), m(sums.penalties)
    lent, written_off, outstanding = m(sums.lent), m(sums.written_off), m(sums.outstanding)
    capital = seed + top_ups
    return PortfolioReport(
        fund_id=fund_id,
        as_of=as_of,
        currency=currency,
        cash=cash,
        seed_capital=seed,
        top_ups=top_ups,
        interest_collected=interest,
        fees_collected=fees,
        penalties_collected=penalties,
        other_income=income - interest - fees - penalties,
        credits_held=credits,
        expenses=expenses,
        cumulative_lent=lent,
        principal_repaid=m(sums.principal_paid),
        written_off=written_off,
        outstanding_principal=outstanding,
        overdue=m(sums.overdue),
        restructured=m(sums.restructured),
        loans_made=sums.loans,
        active_loans=sums.count[LoanStatus.ACTIVE],
        loans_in_arrears=sums.count[LoanStatus.IN_ARREARS],
        loans_repaid=sums.count[LoanStatus.REPAID],
        loans_written_off=sums.count[LoanStatus.WRITTEN_OFF],
        households_reached=len(sums.households),
        par30=_ratio(m(sums.at_risk[0]), outstanding),
        par60=_ratio(m(sums.at_risk[1]), outstanding),
        par90=_ratio(m(sums.at_risk[2]), outstanding),
        repayment_rate=_ratio(m(sums.paid_on_time), m(sums.fallen_due)),
        write_off_ratio=_ratio(written_off, lent),
        revolving_multiple=_ratio(lent, seed),
        lending_cycles=0 if capital.is_zero() else lent.minor_units // capital.minor_units,
        findings=left_out,
    )
