"""Hypothesis strategies for datasets of money events (re-exported by :mod:`humanaid.testing`).

:func:`event_datasets` draws one society's year of every kind of money event (gifts,
handouts, paid cases, loans, repayments, write-offs), each with the references the
ledger needs to derive its flows, and some of them booked by hand instead: as flows that
name the record as their ``origin``. It is what the property "every money event reaches
the ledger exactly once" runs on, and yours can too.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
from hypothesis import strategies as st

from humanaid.beneficiaries import Household, Person
from humanaid.cases import Case, CaseEvent, CaseKind, CaseStatus, Distribution
from humanaid.dataset import Dataset
from humanaid.donors import Campaign, Donation, Donor, DonorKind, NoReceiptReason
from humanaid.funds import Flow, FlowKind, Fund, FundKind, Party
from humanaid.ledger import dataset_flows
from humanaid.money import Money
from humanaid.organizations import Organization, OrgKind, OrgLevel
from humanaid.periods import Period
from humanaid.projects import Program, Project, ProjectKind
from humanaid.revolving import (
    LendingTerms,
    Loan,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
    WriteOff,
)
from humanaid.testing._common import money_units

__all__ = ["event_datasets"]

_SOCIETY = "society"
_HOSPITAL = "hospital"
_RELIEF = "relief"  # a restricted fund: handouts from it carry its purpose
_YEAR = Period.year(2020)
_PAYERS = ("fund", "restricted-fund", "project", "campaign-fund", "campaign-body", "programme")
_CASE_PAYERS = ("fund", "project", "programme")


def _frame(currency: str) -> dict[str, Any]:
    """The records every drawn dataset shares: who gives, holds, pays and is paid."""
    return {
        "organizations": (
            Organization(id=_SOCIETY, name="city society", level=OrgLevel.CITY),
            Organization(id=_HOSPITAL, name="hospital", kind=OrgKind.HOSPITAL),
            Organization(id="province", name="provincial society", level=OrgLevel.PROVINCE),
        ),
        "donors": tuple(Donor(id=f"donor-{i}", kind=DonorKind.INDIVIDUAL) for i in range(3)),
        "funds": (
            Fund(id="general", name="general fund", organization_id=_SOCIETY),
            Fund(
                id=_RELIEF,
                name="relief fund",
                kind=FundKind.RESTRICTED,
                organization_id=_SOCIETY,
                purposes=(_RELIEF,),
            ),
        ),
        "campaigns": (
            Campaign(
                id="drive",
                name="relief drive",
                organizer_id=_SOCIETY,
                period=_YEAR,
                fund_id=_RELIEF,
                public=False,
            ),
            Campaign(
                id="appeal",
                name="winter appeal",
                organizer_id=_SOCIETY,
                period=_YEAR,
                public=False,
            ),
        ),
        "programs": (Program(id="aid", name="aid", organization_id=_SOCIETY),),
        "projects": (
            Project(
                id="village",
                name="village project",
                kind=ProjectKind.LIVELIHOOD,
                organization_id=_SOCIETY,
                period=_YEAR,
                budget=Money("10000000", currency),
            ),
        ),
        "households": tuple(Household(id=f"home-{i}", members=3) for i in range(4)),
        "persons": tuple(
            Person(id=f"person-{i}", name=name, household_id=f"home-{i}")
            for i, name in enumerate(("王明", "李丽", "张强", "刘敏"))
        ),
    }


def _grant(to: Party, amount: Money, source: Party | None = None) -> Flow:
    """Money that is no event of its own record: a grant, written as a flow."""
    return Flow(
        id=f"grant-{to.id}",
        source=source or Party.organization("province"),
        destination=to,
        amount=amount,
        on=_YEAR.start,
        kind=FlowKind.GRANT,
    )


def _payer_fields(payer: str) -> dict[str, Any]:
    """A handout's or a case's fields that say who paid, one way of each."""
    return {
        "fund": {"fund_id": "general"},
        "restricted-fund": {"fund_id": _RELIEF, "purpose": _RELIEF},
        "project": {"project_id": "village"},
        "campaign-fund": {"campaign_id": "drive", "purpose": _RELIEF},
        "campaign-body": {"campaign_id": "appeal"},
        "programme": {"program_id": "aid"},
    }[payer]


def _day(draw: st.DrawFn) -> date:
    return _YEAR.start + timedelta(days=draw(st.integers(0, 300)))


def event_datasets(
    *, currency: str = "CNY", max_events: int = 4, by_hand: bool | None = None
) -> st.SearchStrategy[Dataset]:
    """Datasets of money events whose flows the ledger can derive, some booked by hand.

    Each draws up to ``max_events`` donations, distributions, cases (paid, or not yet),
    and loans of a village seed fund with repayments and write-offs, all in
    ``currency``, in 2020. Every handout and case says who paid in one of the ways the
    ledger reads (its fund, its project, its campaign's fund or body, its programme's
    organisation). With ``by_hand=True`` every event is booked by hand, as the flows the
    ledger would derive, under ids of their own (``hand:...``) and naming the record as
    their ``origin`` (a handout or a case sometimes in two parts); with ``False`` none
    is; with ``None`` (the default) some are.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=5)
    ... @given(event_datasets(by_hand=False))
    ... def test_nothing_booked_by_hand(ds):
    ...     assert all(f.origin is None for f in ds.flows)
    >>> test_nothing_booked_by_hand()
    """
    amounts = money_units(currency=currency, min_value=100, max_value=10**7)

    @st.composite
    def build(draw: st.DrawFn) -> Dataset:
        records = _frame(currency)
        n = st.integers(0, max_events)
        records["donations"] = tuple(
            Donation(
                id=f"gift-{i}",
                organization_id=_SOCIETY,
                received_on=_day(draw),
                value=draw(amounts),
                donor_id=draw(st.none() | st.sampled_from([f"donor-{k}" for k in range(3)])),
                fund_id=draw(st.sampled_from([None, "general"])),
                no_receipt_reason=NoReceiptReason.NOT_REQUESTED,
            )
            for i in range(draw(n))
        )
        records["distributions"] = tuple(
            Distribution.cash(
                id=f"handout-{i}",
                household_id=f"home-{draw(st.integers(0, 3))}",
                on=_day(draw),
                value=draw(amounts),
                **_payer_fields(draw(st.sampled_from(_PAYERS))),
            )
            for i in range(draw(n))
        )
        records["cases"] = tuple(_case(draw, i, amounts) for i in range(draw(n)))
        records.update(_loans(draw, draw(n), currency))
        # The funds and the project that pay get their money from the province, and the
        # village fund its seed money from the project.
        plenty = Money("10000000", currency)
        grants = [_grant(Party.fund(f), plenty) for f in ("general", _RELIEF)]
        grants.append(_grant(Party.project("village"), plenty))
        if records["loans"]:
            seed = Party.revolving_fund("seed")
            grants.append(_grant(seed, Money("1000000", currency), Party.project("village")))
        plain = Dataset(**records, flows=tuple(grants))
        if by_hand is False:
            return plain
        return _booked_by_hand(draw, plain, every=by_hand is True)

    return build()


def _case(draw: st.DrawFn, i: int, amounts: st.SearchStrategy[Money]) -> Case:
    start = _day(draw)
    medical = draw(st.booleans())
    steps = [CaseStatus.SCREENED, CaseStatus.ASSESSED, CaseStatus.APPROVED]
    paid = draw(st.booleans())
    if paid:
        steps.append(CaseStatus.IN_TREATMENT)
    history = tuple(
        CaseEvent(status=status, on=start + timedelta(days=3 * k))
        for k, status in enumerate((CaseStatus.REFERRED, *steps))
    )
    approved = draw(amounts)
    return Case(
        id=f"case-{i}",
        kind=CaseKind.MEDICAL if medical else CaseKind.HARDSHIP,
        person_id=f"person-{i % 4}",
        hospital_id=_HOSPITAL if medical and draw(st.booleans()) else None,
        approved=approved,
        paid=approved if paid else None,
        history=history,
        **_payer_fields(draw(st.sampled_from(_CASE_PAYERS))),
    )


def _loans(draw: st.DrawFn, count: int, currency: str) -> dict[str, Any]:
    """A village seed fund lending ``count`` loans, some repaid in part, some written off."""
    terms = LendingTerms(
        term_months=12,
        method=RepaymentMethod.INTEREST_FREE,
        frequency=RepaymentFrequency.QUARTERLY,
    )
    fund = RevolvingFund(
        id="seed", name="village seed fund", project_id="village", organization_id=_SOCIETY,
        terms=terms, currency=currency,
    )  # fmt: skip
    loans, repayments, write_offs = [], [], []
    for i in range(count):
        principal = draw(money_units(currency=currency, min_value=10_000, max_value=10**6))
        loan = Loan.from_fund(
            fund,
            id=f"loan-{i}",
            household_id=f"home-{i % 4}",
            principal=principal,
            disbursed_on=_day(draw),
            purpose="pigs",
        )
        loans.append(loan)
        repaid_in_full = False
        if draw(st.booleans()):
            part = draw(
                money_units(currency=currency, min_value=1, max_value=principal.minor_units)
            )
            repaid_in_full = part == principal
            repayments.append(
                Repayment(id=f"repaid-{i}", loan_id=loan.id, amount=part,
                          paid_on=loan.disbursed_on + timedelta(days=draw(st.integers(1, 90))))
            )  # fmt: skip
        if not repaid_in_full and draw(st.booleans()):  # what is left, lost
            write_offs.append(
                WriteOff(id=f"lost-{i}", loan_id=loan.id, reason="cattle died",
                         on=loan.disbursed_on + timedelta(days=draw(st.integers(91, 180))))
            )  # fmt: skip
    return {
        "revolving_funds": (fund,) if loans else (),
        "loans": tuple(loans),
        "repayments": tuple(repayments),
        "write_offs": tuple(write_offs),
    }


def _booked_by_hand(draw: st.DrawFn, plain: Dataset, *, every: bool = False) -> Dataset:
    """``plain`` with some of its events booked by hand, as the flows the ledger derives."""
    derived: dict[tuple[str, str], list[Flow]] = {}
    for flow in dataset_flows(plain):
        if flow.origin is not None:
            derived.setdefault((flow.origin.collection, flow.origin.id), []).append(flow)
    hand: list[Flow] = []
    for (collection, _), flows in derived.items():
        if not every and not draw(st.booleans()):
            continue
        if collection in ("distributions", "cases") and draw(st.booleans()):
            flows = _in_two_parts(flows[0])
        hand.extend(attrs.evolve(f, id=f"hand:{f.id}:{k}") for k, f in enumerate(flows))
    return attrs.evolve(plain, flows=(*plain.flows, *hand))


def _in_two_parts(flow: Flow) -> list[Flow]:
    """One flow as two on the same day that add up to it (a payment in instalments)."""
    if flow.amount.minor_units < 2:
        return [flow]
    first, second = flow.amount.split(2)
    return [attrs.evolve(flow, amount=first), attrs.evolve(flow, amount=second)]
