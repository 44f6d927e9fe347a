"""A dataset's seed-fund books: its loans' states and the flows they imply in the ledger.

The bridge from records to figures: :func:`loan_states` and :func:`latest_loan_states`
run the engine over every loan of a :class:`~humanaid.source.RecordSource`, and
:func:`revolving_flows` turns loans, repayments and write-offs into the
:class:`~humanaid.Flow` s of the ledger (:func:`revolving_ledger` is the dataset's ledger,
which includes them).

A repayment or a write-off dated before its loan was disbursed cannot be right (one of
the two days is wrong): the books leave it out, so no state, flow or figure counts it,
and :func:`repayments_left_out` and :func:`write_offs_left_out` report it (the rules
``revolving.repayment-before-disbursement`` and ``revolving.write-off-before-disbursement``
report it in :meth:`~humanaid.Dataset.validate` too).

A repayment undone by a :class:`~humanaid.Reversal`, or entered again under the
``transaction_ref`` of an earlier one, is left out too (:func:`repayments_not_booked`):
every schedule, balance and PAR figure is as if it had never been entered.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Final

from humanaid import _gc
from humanaid._decimal import EXACT as _EXACT
from humanaid.errors import UnknownId
from humanaid.findings import Finding, Findings, Severity
from humanaid.funds import (
    Flow,
    FlowKind,
    Ledger,
    Origin,
    Party,
    PartyKind,
    derived_flow_id,
    duplicate_transactions,
    reversed_ids,
)
from humanaid.revolving._fields import _check_day
from humanaid.revolving.engine import LoanState, allocate_repayments
from humanaid.revolving.loans import Loan, Repayment, WriteOff
from humanaid.source import RecordSource

__all__ = [
    "WRITE_OFF_FLOW_KIND",
    "WRITTEN_OFF",
    "latest_loan_states",
    "loan_states",
    "repayments_left_out",
    "repayments_not_booked",
    "revolving_flows",
    "revolving_ledger",
    "write_offs_left_out",
]

WRITE_OFF_FLOW_KIND: Final = FlowKind.WRITE_OFF
"""The flow kind a write-off is booked with (from the loan to ``outside:written off``).

The principal given up leaves the loan, and the model, as a loss: it is neither spending
of the fund nor a repayment, so the fund's cash is untouched by it.
"""

WRITTEN_OFF: Final = Party.outside("written off")
"""Where written-off principal goes in the ledger."""

_COLLECTIONS: Final = ("loans", "repayments", "write_offs")
_NO_EVENTS: Final[tuple[list[Repayment], list[WriteOff]]] = ([], [])
_NONE: Final = Decimal(0)


def _before_disbursement(r: Repayment, loan: Loan) -> bool:
    return r.paid_on < loan.disbursed_on


def _written_off_before(w: WriteOff, loan: Loan) -> bool:
    return w.on < loan.disbursed_on


def _events_by_loan(dataset: RecordSource) -> dict[str, tuple[list[Repayment], list[WriteOff]]]:
    """Each loan's repayments and write-offs in its own currency (others are rule findings).

    Repayments and write-offs dated before their loan was disbursed are left out
    (:func:`repayments_left_out`, :func:`write_offs_left_out`).
    """

    def build(ds: RecordSource) -> dict[str, tuple[list[Repayment], list[WriteOff]]]:
        loans = ds.index("loans")
        skipped = repayments_not_booked(ds)
        out: dict[str, tuple[list[Repayment], list[WriteOff]]] = defaultdict(lambda: ([], []))
        for r in ds.records("repayments"):
            loan = loans.get(r.loan_id)
            if (
                r.id not in skipped
                and loan is not None
                and loan.currency == r.amount.currency
                and not _before_disbursement(r, loan)
            ):
                out[r.loan_id][0].append(r)
        for w in ds.records("write_offs"):
            loan = loans.get(w.loan_id)
            if (
                loan is not None
                and (w.amount is None or w.amount.currency == loan.currency)
                and not _written_off_before(w, loan)
            ):
                out[w.loan_id][1].append(w)
        return dict(out)

    result: dict[str, tuple[list[Repayment], list[WriteOff]]] = dataset.derived(
        "revolving:events", build
    )
    return result


def repayments_not_booked(dataset: RecordSource) -> Mapping[str, str]:
    """The repayments the books skip as not having happened, by id, each with why.

    A repayment undone by a :class:`~humanaid.Reversal` (``"reversed by <id>"``), and a
    repayment entered again under the ``transaction_ref`` of an earlier one, by day then
    id (``"duplicate of <id>"``): the same payment is booked once. Built once per
    dataset. The rules ``funds.reversal-*`` and ``revolving.duplicate-transaction``
    report them.

    >>> from datetime import date
    >>> from humanaid import Dataset, Money, Repayment, Reversal
    >>> reps = [Repayment(id=f"r{i}", loan_id="L1", paid_on=date(2021, 6, 30),
    ...                   amount=Money("100"), transaction_ref="B-77") for i in (1, 2, 3)]
    >>> undo = Reversal(id="x1", collection="repayments", record_id="r1",
    ...                 on=date(2021, 7, 1), reason="wrong loan")
    >>> dict(repayments_not_booked(Dataset(repayments=reps, reversals=[undo])))
    {'r1': 'reversed by x1', 'r3': 'duplicate of r2'}
    """

    def build(ds: RecordSource) -> dict[str, str]:
        reps = ds.records("repayments", missing_ok=True)
        reversals = ds.records("reversals", missing_ok=True)
        undone = reversed_ids(reversals, "repayments")
        out: dict[str, str] = {}
        if undone:
            by: dict[str, str] = {}
            for x in reversals:
                if x.collection == "repayments":
                    by.setdefault(x.record_id, x.id)
            out.update((r.id, f"reversed by {by[r.id]}") for r in reps if r.id in undone)
        # A reversed repayment is not booked, so it holds no transaction number either.
        kept = [r for r in reps if r.id not in undone]
        for dup, first in duplicate_transactions(kept, day=_paid_on).items():
            out.setdefault(dup, f"duplicate of {first.id}")
        return out

    result: dict[str, str] = dataset.derived("revolving:not-booked", build)
    return result


def _paid_on(r: Repayment) -> date:
    return r.paid_on


def _loans(dataset: RecordSource) -> tuple[Loan, ...]:
    """The dataset's loans, each id once (the first wins, as in the index)."""
    return tuple(dataset.index("loans").values())


def _loans_by_fund(dataset: RecordSource) -> Mapping[str, tuple[Loan, ...]]:
    """The loans of :func:`_loans` by fund id, each fund's in the same order (built once).

    A fund's report reads its own loans: looking them up here, not in every loan of the
    dataset, keeps the reports of all funds linear in the loans (a scan per fund was
    funds x loans: 10 million steps for 500 funds and 20,000 loans).
    """

    def build(ds: RecordSource) -> dict[str, tuple[Loan, ...]]:
        out: dict[str, list[Loan]] = defaultdict(list)
        for loan in _loans(ds):
            out[loan.fund_id].append(loan)
        return {fund: tuple(loans) for fund, loans in out.items()}

    result: dict[str, tuple[Loan, ...]] = dataset.derived("revolving:loans-by-fund", build)
    return result


def _fund_loans(dataset: RecordSource, fund_id: str | None) -> tuple[Loan, ...]:
    """The loans of ``fund_id`` (every loan with ``None``), in the order of :func:`_loans`."""
    if fund_id is None:
        return _loans(dataset)
    return _loans_by_fund(dataset).get(fund_id, ())


_Early = tuple[tuple[tuple[Repayment, Loan], ...], tuple[tuple[WriteOff, Loan], ...]]


def _early_events(dataset: RecordSource) -> _Early:
    """The repayments and write-offs dated before their loan, with it, in record order.

    Built once, so that each fund's :func:`repayments_left_out` reads these few, not
    every repayment of the dataset.
    """

    def build(ds: RecordSource) -> _Early:
        loans = ds.index("loans", missing_ok=True)
        reps = []
        for r in ds.records("repayments", missing_ok=True):
            loan = loans.get(r.loan_id)
            if loan is not None and _before_disbursement(r, loan):
                reps.append((r, loan))
        wos = []
        for w in ds.records("write_offs", missing_ok=True):
            loan = loans.get(w.loan_id)
            if loan is not None and _written_off_before(w, loan):
                wos.append((w, loan))
        return tuple(reps), tuple(wos)

    result: _Early = dataset.derived("revolving:early-events", build)
    return result


def latest_loan_states(dataset: RecordSource) -> Mapping[str, LoanState]:
    """Each loan's state, by loan id, as of its last recorded event (built once per dataset).

    Allocation depends only on what happened before, so these states split every
    repayment exactly as the state on any later day does; :func:`revolving_flows` and
    the rules read them.
    """

    def build(ds: RecordSource) -> dict[str, LoanState]:
        events = _events_by_loan(ds)
        out: dict[str, LoanState] = {}
        with _gc.paused():  # a state, its instalments and its allocations for every loan
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


def loan_states(
    dataset: RecordSource, *, as_of: date, fund_id: str | None = None
) -> tuple[LoanState, ...]:
    """The state of every loan disbursed on or before ``as_of`` (of one fund, if given).

    Repayments and write-offs in another currency than their loan are left out (the rule
    ``revolving.currency-mismatch`` reports them), and so are repayments and write-offs
    dated before their loan was disbursed (:func:`repayments_left_out`,
    :func:`write_offs_left_out`).

    Raises:
        UnknownId: if ``fund_id`` is neither a revolving fund of the dataset nor named
            by one of its loans.
    """
    _check_day("as_of", as_of)
    if fund_id is not None:
        named = _loans_by_fund(dataset)  # the fund ids the loans name
        UnknownId.lookup(dataset, "revolving_funds", fund_id, argument="fund_id", named=named)
    events = _events_by_loan(dataset)
    out = []
    with _gc.paused():  # a state, its instalments and its allocations for every loan
        for loan in _fund_loans(dataset, fund_id):
            if loan.disbursed_on > as_of:
                continue
            reps, wos = events.get(loan.id, ([], []))
            out.append(allocate_repayments(loan, reps, wos, as_of=as_of))
    return tuple(out)


def repayments_left_out(
    dataset: RecordSource, *, fund_id: str | None = None, as_of: date | None = None
) -> Findings:
    """The repayments the books leave out, as findings: those dated before their loan.

    A repayment paid before its loan was disbursed would be allocated to instalments
    that did not exist yet and booked into the fund's cash before the loan left it. The
    books (:func:`loan_states`, :func:`revolving_flows`, the ledger and every figure
    read from them) leave it out, and each one is reported here, once:
    ``revolving.repayment-before-disbursement`` (ERROR), the same finding
    :meth:`~humanaid.Dataset.validate` gives.

    Args:
        dataset: the records.
        fund_id: only the loans of this fund.
        as_of: only repayments paid on or before this day.

    >>> from datetime import date
    >>> from humanaid import Dataset, LendingTerms, Loan, Money, Repayment
    >>> loan = Loan(id="L1", fund_id="vf", household_id="h1", purpose="pigs",
    ...             principal=Money("1000"), disbursed_on=date(2021, 3, 1),
    ...             terms=LendingTerms(term_months=12, method="bullet"))
    >>> early = Repayment(id="r1", loan_id="L1", paid_on=date(2021, 2, 1), amount=Money("400"))
    >>> print(repayments_left_out(Dataset(loans=[loan], repayments=[early])))
    1 finding (1 error):
      ERROR revolving.repayment-before-disbursement [r1]: repayment 'r1' on 2021-02-01 is \
before loan 'L1' was disbursed on 2021-03-01
    """
    found = []
    for r, loan in _early_events(dataset)[0]:
        if (fund_id is not None and loan.fund_id != fund_id) or (
            as_of is not None and r.paid_on > as_of
        ):
            continue
        found.append(repayment_before_disbursement(r, loan))
    return Findings(found)


def repayment_before_disbursement(repayment: Repayment, loan: Loan) -> Finding:
    """The finding for a repayment dated before its loan was disbursed (left out).

    Rule code ``revolving.repayment-before-disbursement``, severity ERROR; the one
    wording of it, for :func:`repayments_left_out` and the built-in rule alike.
    """
    return Finding(
        rule="revolving.repayment-before-disbursement",
        severity=Severity.ERROR,
        subject=repayment.id,
        message=(
            f"repayment {repayment.id!r} on {repayment.paid_on.isoformat()} is before loan "
            f"{loan.id!r} was disbursed on {loan.disbursed_on.isoformat()}"
        ),
        figures={"paid_on": repayment.paid_on, "disbursed_on": loan.disbursed_on},
    )


def write_offs_left_out(
    dataset: RecordSource, *, fund_id: str | None = None, as_of: date | None = None
) -> Findings:
    """The write-offs the books leave out, as findings: those dated before their loan.

    A write-off dated before its loan was disbursed would close the loan before it
    began and take its principal off before it was lent. Like a repayment before its
    loan (:func:`repayments_left_out`), the books leave it out of every state, flow and
    figure, and each one is reported here, once:
    ``revolving.write-off-before-disbursement`` (ERROR), the same finding
    :meth:`~humanaid.Dataset.validate` gives.

    Args:
        dataset: the records.
        fund_id: only the loans of this fund.
        as_of: only write-offs dated on or before this day.

    >>> from datetime import date
    >>> from humanaid import Dataset, LendingTerms, Loan, Money, WriteOff
    >>> loan = Loan(id="L1", fund_id="vf", household_id="h1", purpose="pigs",
    ...             principal=Money("1000"), disbursed_on=date(2021, 3, 1),
    ...             terms=LendingTerms(term_months=12, method="bullet"))
    >>> early = WriteOff(id="w1", loan_id="L1", on=date(2021, 2, 1), reason="flood")
    >>> print(write_offs_left_out(Dataset(loans=[loan], write_offs=[early])))
    1 finding (1 error):
      ERROR revolving.write-off-before-disbursement [w1]: write-off 'w1' on 2021-02-01 is \
before loan 'L1' was disbursed on 2021-03-01; the books leave it out
    """
    found = []
    for w, loan in _early_events(dataset)[1]:
        if (fund_id is not None and loan.fund_id != fund_id) or (
            as_of is not None and w.on > as_of
        ):
            continue
        found.append(write_off_before_disbursement(w, loan))
    return Findings(found)


def write_off_before_disbursement(write_off: WriteOff, loan: Loan) -> Finding:
    """The finding for a write-off dated before its loan was disbursed (left out).

    Rule code ``revolving.write-off-before-disbursement``, severity ERROR; the one
    wording of it, for :func:`write_offs_left_out` and the built-in rule alike.
    """
    return Finding(
        rule="revolving.write-off-before-disbursement",
        severity=Severity.ERROR,
        subject=write_off.id,
        message=(
            f"write-off {write_off.id!r} on {write_off.on.isoformat()} is before loan "
            f"{loan.id!r} was disbursed on {loan.disbursed_on.isoformat()}; the books "
            "leave it out"
        ),
        figures={"on": write_off.on, "disbursed_on": loan.disbursed_on},
    )


def _covered(flows: Iterable[Flow]) -> set[tuple[str, str]]:
    return {
        (f.origin.collection, f.origin.id)
        for f in flows
        if f.origin is not None and f.origin.collection in _COLLECTIONS
    }


def _loan_flows(loan: Loan, state: LoanState, covered: set[tuple[str, str]]) -> list[Flow]:
    """The flows one loan, its repayments and write-offs imply (see :func:`revolving_flows`)."""
    out: list[Flow] = []
    fund, party = Party.revolving_fund(loan.fund_id), Party.loan(loan.id)
    household = Party.household(loan.household_id)
    if ("loans", loan.id) not in covered:
        out.append(
            Flow(id=derived_flow_id("loan", loan.id), source=fund, destination=party,
                 amount=loan.principal, on=loan.disbursed_on,
                 kind=FlowKind.LOAN_DISBURSEMENT, origin=Origin(collection="loans", id=loan.id),
                 note=f"loan for {loan.purpose}")
        )  # fmt: skip
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
    return out


def revolving_flows(
    dataset: RecordSource, *, covered_by: Iterable[Flow] | None = None
) -> tuple[Flow, ...]:
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
    Repayments of unknown loans, in another currency or dated before their loan was
    disbursed imply no flow, and neither do write-offs dated before it (rules report
    them; :func:`repayments_left_out` and :func:`write_offs_left_out` the last).
    """
    if covered_by is None:
        covered_by = dataset.records("flows", missing_ok=True)
    covered = _covered(covered_by)
    states = latest_loan_states(dataset)
    out: list[Flow] = []
    for loan in _loans(dataset):
        out.extend(_loan_flows(loan, states[loan.id], covered))
    return tuple(out)


def _booked_by_fund(dataset: RecordSource) -> dict[str, list[Flow]]:
    """The dataset's booked ``flows`` touching each revolving fund, by fund id.

    Booked as :func:`humanaid.booked_flows` books them: a flow undone by a reversal, or
    entered again under the ``transaction_ref`` of an earlier flow (by day, then id), is
    left out (the ledger's own rule, which this layer cannot import; the tests hold the
    two equal).
    """
    flows: tuple[Flow, ...] = dataset.records("flows", missing_ok=True)
    if not flows:
        return {}
    undone = reversed_ids(dataset.records("reversals", missing_ok=True), "flows")
    kept = [f for f in flows if f.id not in undone] if undone else list(flows)
    skipped = set(undone) | set(duplicate_transactions(kept, day=_flow_day))
    return _by_fund(f for f in flows if f.id not in skipped)


def _by_fund(flows: Iterable[Flow]) -> dict[str, list[Flow]]:
    """The booked ``flows`` touching each revolving fund, by fund id (others are skipped).

    The columnar twin of :func:`humanaid.revolving_summary` gives it the flows an engine
    found (``humanaid.crossings``), so both paths group them alike.
    """
    out: dict[str, list[Flow]] = defaultdict(list)
    revolving = PartyKind.REVOLVING_FUND
    for f in flows:
        src, dst = f.source, f.destination
        if src.kind is revolving or dst.kind is revolving:
            if src.kind is revolving:
                out[src.id].append(f)
            if dst.kind is revolving and dst != src:
                out[dst.id].append(f)
    return dict(out)


def _flow_day(f: Flow) -> date:
    return f.on


def _booked_covered(dataset: RecordSource) -> set[tuple[str, str]]:
    """The loans, repayments and write-offs a booked flow stands for (none derived)."""

    def build(ds: RecordSource) -> set[tuple[str, str]]:
        flows: tuple[Flow, ...] = ds.records("flows", missing_ok=True)
        covering = [
            f for f in flows if f.origin is not None and f.origin.collection in _COLLECTIONS
        ]
        if not covering:
            return set()
        undone = reversed_ids(ds.records("reversals", missing_ok=True), "flows")
        kept = [f for f in flows if f.id not in undone] if undone else list(flows)
        skipped = set(undone) | set(duplicate_transactions(kept, day=_flow_day))
        return _covered(f for f in covering if f.id not in skipped)

    covered: set[tuple[str, str]] = dataset.derived("revolving:covered", build)
    return covered


def _fund_flows(
    dataset: RecordSource, fund_id: str, known: Mapping[str, LoanState] | None = None
) -> tuple[Flow, ...]:
    """The flows of the dataset's ledger that touch revolving fund ``fund_id``, in its order.

    Equal to the flows of ``dataset.ledger()`` whose source or destination is
    ``Party.revolving_fund(fund_id)`` (day, then id), but derived from what the fund
    needs alone: the booked flows naming it and the flows its own loans, repayments and
    write-offs imply (:func:`revolving_flows`), not the flows of a million gifts.
    ``known`` are loans' states already replayed as of some day (by loan id): a loan
    whose every event is on or before that day is not replayed again, for its
    repayments were split the same way (only its state on the day differs).
    """
    party = Party.revolving_fund(fund_id)
    by_fund: dict[str, list[Flow]] = dataset.derived("revolving:booked-by-fund", _booked_by_fund)
    out = list(by_fund.get(fund_id, ()))
    loans = _fund_loans(dataset, fund_id)
    if loans:
        covered = _booked_covered(dataset)
        events = _events_by_loan(dataset)
        with _gc.paused():
            for loan in loans:
                out.extend(
                    f
                    for f in _loan_flows(loan, _latest_state(loan, events, known), covered)
                    if f.source == party or f.destination == party
                )
    out.sort(key=_ON_THEN_ID)
    return tuple(out)


def _fund_booked(dataset: RecordSource, fund_id: str) -> tuple[Flow, ...]:
    """The booked flows touching revolving fund ``fund_id`` (those of :func:`_fund_flows`)."""
    by_fund: dict[str, list[Flow]] = dataset.derived("revolving:booked-by-fund", _booked_by_fund)
    return tuple(by_fund.get(fund_id, ()))


def _fund_loan_sums(
    dataset: RecordSource,
    fund_id: str,
    currency: str,
    as_of: date,
    known: Mapping[str, LoanState] | None = None,
) -> tuple[Decimal, Decimal, Decimal]:
    """What the fund's own loans move through its cash up to ``as_of``, without their flows.

    ``(cash, income, credits)`` as the flows of :func:`_fund_flows` that its loans imply
    (:func:`_loan_flows`) add them up for the fund's report: a disbursement out of the
    cash; a repayment's principal into it; its interest, fees and penalties into it as
    income; its credit into it, held for the household. Only the flows in ``currency``
    dated on or before ``as_of`` count, none a booked flow stands for (a write-off never
    touches the fund's cash). The same sums as those flows give, without making them
    (the tests hold the two equal). :func:`~humanaid.portfolio_report` adds the same
    sums during its one replay of each loan (``portfolio._loan_sums``); the tests hold
    its figures to these.
    """
    cash = income = credits = _NONE
    loans = _fund_loans(dataset, fund_id)
    if not loans:
        return cash, income, credits
    add, sub = _EXACT.add, _EXACT.subtract
    covered = _booked_covered(dataset)
    events = _events_by_loan(dataset)
    with _gc.paused():
        for loan in loans:
            if loan.currency != currency:
                continue
            if loan.disbursed_on <= as_of and ("loans", loan.id) not in covered:
                cash = sub(cash, loan.principal.amount)
            if not events.get(loan.id, _NO_EVENTS)[0]:
                continue  # no repayment, so no allocation: nothing replayed
            state = _latest_state(loan, events, known)
            for a in state.allocations:
                if a.paid_on > as_of or ("repayments", a.repayment_id) in covered:
                    continue
                earned = add(add(a.interest.amount, a.fees.amount), a.penalties.amount)
                credit = a.credit.amount
                cash = add(cash, add(add(a.principal.amount, earned), credit))
                income = add(income, earned)
                credits = add(credits, credit)
    return cash, income, credits


def _latest_state(
    loan: Loan,
    events: Mapping[str, tuple[list[Repayment], list[WriteOff]]],
    known: Mapping[str, LoanState] | None = None,
) -> LoanState:
    """A loan's state as of its last recorded event (as :func:`latest_loan_states`).

    Or, with ``known``, its known state as of a later day: the same events applied in
    the same order, so the same allocations and write-offs (what its flows are made of).
    """
    reps, wos = events.get(loan.id, ([], []))
    last = max(
        (
            loan.disbursed_on,
            *(r.paid_on for r in reps),
            *(w.on for w in wos),
            *(s.on for s in loan.reschedules),
        )
    )
    state = None if known is None else known.get(loan.id)
    if state is not None and state.as_of >= last:
        return state
    return allocate_repayments(loan, reps, wos, as_of=last)


_ON_THEN_ID: Final = operator.attrgetter("on", "id")


def revolving_ledger(dataset: RecordSource) -> Ledger:
    """The dataset's ledger, with the flows its loans, repayments and write-offs imply.

    The dataset's own ``dataset.ledger()``, built once and shared with the fund rules and
    every figure (it includes :func:`revolving_flows`).
    """
    return dataset.ledger()
