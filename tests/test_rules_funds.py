from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st

from humanaid import Dataset, Finding, Flow, FlowKind, Fund, FundKind, Money, Origin, Party
from humanaid.ledger import booked_donations
from humanaid.rules.funds import (
    flows_match_their_origin,
    flows_name_known_parties,
    funds_not_overdrawn,
    ledger_of,
    restricted_gifts_not_in_general_funds,
    restricted_money_kept_to_purpose,
)

D = date(2020, 1, 1)


def flow(id: str, src: Party, dst: Party, amount: str, on: date = D, **kw: Any) -> Flow:
    kw.setdefault("kind", FlowKind.ALLOCATION)
    return Flow(id=id, source=src, destination=dst, amount=Money(amount), on=on, **kw)


GENERAL = Fund(id="general", name="general fund", organization_id="o")
MEDICAL = Fund(
    id="medical", name="heart fund", kind=FundKind.RESTRICTED, organization_id="o",
    project_ids=("heart-2020",), purposes=("medical",),
)  # fmt: skip
SPECIAL = Fund(
    id="special", name="enterprise fund", kind=FundKind.SPECIAL, organization_id="o",
    sponsor_id="acme", purposes=("elderly",),
)  # fmt: skip


def rules_of(ds: Dataset, rule: Any) -> list[tuple[str, str | None]]:
    return [(f.rule, f.subject) for f in rule(ds)]


def test_an_overdrawn_fund_is_found_with_the_day() -> None:
    ds = Dataset(
        funds=(GENERAL,),
        flows=(
            flow("in", Party.donor("d"), Party.fund("general"), "100", D, kind=FlowKind.DONATION),
            flow("out", Party.fund("general"), Party.project("p"), "150", date(2020, 2, 1),
                 kind=FlowKind.DISBURSEMENT),
            flow("back", Party.donor("d"), Party.fund("general"), "100", date(2020, 3, 1),
                 kind=FlowKind.DONATION),
        ),
    )  # fmt: skip
    (finding,) = funds_not_overdrawn(ds)
    assert finding.rule == "funds.overdrawn"
    assert finding.subject == "general"
    assert finding.figures == {"lowest_balance": Money("-50"), "on": date(2020, 2, 1)}
    assert "overdrawn by 50.00元 on 2020-02-01" in finding.message


def test_a_fund_that_stays_positive_is_fine() -> None:
    ds = Dataset(
        funds=(GENERAL,),
        flows=(flow("in", Party.donor("d"), Party.fund("general"), "100", kind=FlowKind.DONATION),),
    )
    assert list(funds_not_overdrawn(ds)) == []


def test_restricted_money_paid_outside_its_purpose_is_found() -> None:
    ds = Dataset(
        funds=(GENERAL, MEDICAL, SPECIAL),
        flows=(
            flow("ok-project", Party.fund("medical"), Party.project("heart-2020"), "10",
                 kind=FlowKind.DISBURSEMENT),
            flow("ok-purpose", Party.fund("medical"), Party.case("c1"), "10",
                 kind=FlowKind.DISBURSEMENT, purpose="medical"),
            flow("ok-refund", Party.fund("medical"), Party.donor("d"), "10", kind=FlowKind.REFUND),
            flow("bad-project", Party.fund("medical"), Party.project("roads"), "10",
                 kind=FlowKind.DISBURSEMENT),
            flow("bad-admin", Party.fund("special"), Party.outside("rent"), "10",
                 kind=FlowKind.ADMIN_EXPENSE),
            flow("bad-to-general", Party.fund("medical"), Party.fund("general"), "10"),
            flow("general-anything", Party.fund("general"), Party.outside("rent"), "10",
                 kind=FlowKind.ADMIN_EXPENSE),
        ),
    )  # fmt: skip
    assert rules_of(ds, restricted_money_kept_to_purpose) == [
        ("funds.restricted-misuse", "bad-admin"),
        ("funds.restricted-misuse", "bad-project"),
        ("funds.restricted-misuse", "bad-to-general"),
    ]


def test_moving_restricted_money_into_a_narrower_restricted_fund_is_allowed() -> None:
    narrow = Fund(id="narrow", name="narrow", kind=FundKind.PROJECT, organization_id="o",
                  project_ids=("heart-2020",))  # fmt: skip
    ds = Dataset(
        funds=(MEDICAL, narrow),
        flows=(flow("down", Party.fund("medical"), Party.fund("narrow"), "10"),),
    )
    assert list(restricted_money_kept_to_purpose(ds)) == []


def test_a_flow_must_match_the_donation_it_stems_from() -> None:
    from humanaid.donors import Donation

    def gift(id: str, amount: str) -> Donation:
        return Donation(id=id, organization_id="o", received_on=D, value=Money(amount),
                        receipt_number=f"R-{id}")  # fmt: skip

    ds = Dataset(
        donations=(gift("g1", "100"), gift("g2", "50")),
        flows=(
            flow("f1", Party.donor("d"), Party.fund("general"), "100", kind=FlowKind.DONATION,
                 origin=Origin(collection="donations", id="g1")),
            flow("f2", Party.donor("d"), Party.fund("general"), "55", kind=FlowKind.DONATION,
                 origin=Origin(collection="donations", id="g2")),
            flow("f3", Party.donor("d"), Party.fund("general"), "5", kind=FlowKind.DONATION,
                 origin=Origin(collection="donations", id="g9")),
        ),
    )  # fmt: skip
    assert rules_of(ds, flows_match_their_origin) == [
        ("funds.flow-mismatch", "f2"),
        ("funds.unknown-origin", "f3"),
    ]
    # The ledger does not add a second flow for a donation a flow already stems from.
    assert [f.id for f in ledger_of(ds).flows] == ["f1", "f2", "f3"]


def test_a_restricted_gift_put_into_a_general_fund_is_found() -> None:
    from humanaid.donors import Donation, Restriction

    def gift(id: str, fund: str, restricted: bool) -> Donation:
        return Donation(
            id=id, organization_id="o", received_on=D, value=Money("10"), fund_id=fund,
            receipt_number=f"R-{id}",
            restricted_to=Restriction(purpose="medical") if restricted else None,
        )  # fmt: skip

    ds = Dataset(
        funds=(GENERAL, MEDICAL),
        donations=(
            gift("ok", "medical", True),
            gift("bad", "general", True),
            gift("free", "general", False),
        ),
    )
    (finding,) = restricted_gifts_not_in_general_funds(ds)
    assert (finding.rule, finding.subject) == ("funds.restricted-gift-unrestricted", "bad")
    assert "general fund 'general'" in finding.message


def test_flows_must_name_parties_that_exist() -> None:
    ds = Dataset(
        funds=(GENERAL,),
        flows=(
            flow("ok", Party.fund("general"), Party.outside("bank"), "1", kind=FlowKind.INTEREST),
            flow("bad", Party.fund("ghost"), Party.fund("general"), "1"),
        ),
    )
    (finding,) = flows_name_known_parties(ds)
    assert (finding.rule, finding.subject) == ("funds.unknown-party", "bad")
    assert finding.figures == {"role": "source", "party": "fund:ghost"}


def test_validate_runs_the_fund_rules() -> None:
    ds = Dataset(
        funds=(GENERAL,),
        flows=(
            flow("out", Party.fund("general"), Party.project("p"), "1", kind=FlowKind.DISBURSEMENT),
        ),
    )
    found = ds.validate().where(rule="funds.")
    assert [f.rule for f in found] == ["funds.overdrawn", "funds.unknown-party"]


def test_restricted_money_tagged_with_its_purpose_still_may_not_move_to_a_general_fund() -> None:
    # A purpose tag on an allocation does not keep money to its purpose once it sits in
    # a fund that may spend on anything; only a restricted fund as narrow carries it on.
    wide = Fund(id="wide", name="wide", kind=FundKind.RESTRICTED, organization_id="o",
                purposes=("medical", "education"))  # fmt: skip
    ds = Dataset(
        funds=(GENERAL, MEDICAL, wide),
        flows=(
            flow("tagged-to-general", Party.fund("medical"), Party.fund("general"), "10",
                 purpose="medical"),
            flow("tagged-to-wider", Party.fund("medical"), Party.fund("wide"), "10",
                 purpose="medical"),
            flow("tagged-case", Party.fund("medical"), Party.case("c1"), "10",
                 kind=FlowKind.DISBURSEMENT, purpose="medical"),
        ),
    )  # fmt: skip
    assert rules_of(ds, restricted_money_kept_to_purpose) == [
        ("funds.restricted-misuse", "tagged-to-general"),
        ("funds.restricted-misuse", "tagged-to-wider"),
    ]


# -- reversals, flows entered twice, balance assertions (issue 18) ------------------------------


def _dataset(**collections: Iterable[Any]) -> Dataset:
    """A dataset of these records (lists welcome: ``Dataset.add`` takes any iterable)."""
    return Dataset().add(**collections)


def test_reversals_that_undo_nothing_or_twice_are_reported() -> None:
    from humanaid import Repayment, Reversal
    from humanaid.rules.funds import reversals_undo_once

    grant = Flow(id="f1", source=Party.organization("p"), destination=Party.fund("g"),
                 amount=Money("10"), on=date(2021, 3, 1), kind=FlowKind.GRANT)  # fmt: skip
    paid = Repayment(id="r1", loan_id="L1", paid_on=date(2021, 3, 5), amount=Money("5"))

    def undo(id: str, collection: str, record_id: str, day: int = 10) -> Reversal:
        return Reversal(id=id, collection=collection, record_id=record_id,
                        on=date(2021, 3, day), reason="mistake")  # fmt: skip

    ds = _dataset(
        flows=[grant],
        repayments=[paid],
        reversals=[
            undo("x1", "flows", "f1"),
            undo("x2", "flows", "f1", 11),
            undo("x3", "reversals", "x1"),
            undo("x4", "flows", "f9"),
            undo("x5", "loans", "L1"),
            undo("x6", "repayments", "r1", 1),
        ],
    )
    assert [(f.rule, f.subject) for f in reversals_undo_once(ds)] == [
        ("funds.reversal-before-record", "x6"),
        ("funds.reversal-of-reversal", "x3"),
        ("funds.reversal-unknown-record", "x4"),
        ("funds.reversal-unknown-record", "x5"),
        ("funds.reversed-twice", "x2"),
    ]
    assert ds.ledger().flows == ()  # the flow and the repayment are undone


def test_a_flow_entered_twice_is_booked_once_and_reported() -> None:
    from humanaid.rules.funds import duplicate_flow_transactions

    grant = Flow(id="f1", source=Party.organization("p"), destination=Party.fund("g"),
                 amount=Money("10"), on=date(2021, 3, 1), kind=FlowKind.GRANT,
                 transaction_ref="ICBC-7")  # fmt: skip
    ds = _dataset(flows=[grant, Flow(**{**_fields(grant), "id": "f2"})])
    assert [(f.subject, f.figures["same_as"]) for f in duplicate_flow_transactions(ds)] == [
        ("f2", "f1")
    ]
    assert ds.ledger().balance(Party.fund("g")) == Money("10")


def _fields(record: Any) -> dict[str, Any]:
    import attrs

    return attrs.asdict(record, recurse=False)


def test_a_balance_assertion_is_checked_at_the_start_of_its_day() -> None:
    from humanaid import BalanceAssertion
    from humanaid.rules.funds import balances_as_asserted

    fund = Fund(id="g", name="general", organization_id="o")
    flows = [
        Flow(id=f"f{d}", source=Party.organization("p"), destination=Party.fund("g"),
             amount=Money("10"), on=date(2021, 3, d), kind=FlowKind.GRANT)
        for d in (1, 2)
    ]  # fmt: skip

    def asserted(day: int, amount: str) -> BalanceAssertion:
        return BalanceAssertion(id=f"b{day}", fund_id="g", on=date(2021, 3, day),
                                expected=Money(amount), source="ICBC statement")  # fmt: skip

    ds = _dataset(
        funds=[fund],
        flows=flows,
        balance_assertions=[asserted(1, "0"), asserted(2, "10"), asserted(3, "25")],
    )
    (finding,) = balances_as_asserted(ds)
    assert finding.rule == "funds.balance-mismatch"
    assert finding.subject == "b3"
    assert finding.figures == {
        "computed": Money("20"), "expected": Money("25"), "difference": Money("-5")
    }  # fmt: skip
    assert "ICBC statement says 25.00元" in finding.message


# -- one sweep of the flows finds what each fund's lowest balance says ---------------------------


@st.composite
def funds_and_flows(draw: st.DrawFn) -> Dataset:
    """Three funds (one of them entered twice) and flows between them and the outside, in
    two currencies, many on the same day: balances that dip below zero within a day only."""
    from datetime import timedelta

    funds = [Fund(id=f"f{i}", name=f"fund {i}", organization_id="o") for i in range(3)]
    parties = [*(Party.fund(f.id) for f in funds), Party.fund("unknown"), Party.outside("bank")]
    flows = []
    for i in range(draw(st.integers(0, 25))):
        src = draw(st.sampled_from(parties))
        dst = draw(st.sampled_from([p for p in parties if p != src]))
        flows.append(
            Flow(id=f"x{draw(st.integers(0, 40)):02d}-{i}", source=src, destination=dst,
                 amount=Money(draw(st.integers(1, 500)), draw(st.sampled_from(["CNY", "USD"]))),
                 on=date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 6))),
                 kind=FlowKind.ALLOCATION)
        )  # fmt: skip
    return Dataset(funds=(*funds, funds[0]), flows=tuple(flows))


@given(funds_and_flows())
def test_funds_overdrawn_iff_their_lowest_end_of_day_balance_is_below_zero(ds: Dataset) -> None:
    ledger = ds.ledger()
    expected = []
    for fund in ds.funds:  # the straightforward definition: each fund's lowest balance
        for currency in sorted(ledger.currencies()):
            lowest, when = ledger.lowest_balance(Party.fund(fund.id), currency=currency)
            if when is not None and lowest.is_negative():
                expected.append((fund.id, lowest, when))
    found = [(f.subject, f.figures["lowest_balance"], f.figures["on"]) for f in
             funds_not_overdrawn(ds)]  # fmt: skip
    assert found == expected
    event(f"overdrawn: {min(len(found), 3)}")


@given(st.data())
def test_a_partys_own_ledger_answers_as_the_whole_ledger_does(data: st.DataObject) -> None:
    from humanaid import PartyKind
    from humanaid.rules._helpers import party_ledgers
    from humanaid.testing import society_books

    ds = data.draw(society_books(max_events=6, max_flows=12))
    ledger = ds.ledger()
    for kind in (PartyKind.FUND, PartyKind.PROJECT, PartyKind.REVOLVING_FUND):
        own = party_ledgers(ds, kind)
        parties = {p for p in ledger.parties() if p.kind is kind}
        assert {Party(kind=kind, id=i) for i in own} == parties
        for party in parties:
            mine = own[party.id]
            assert list(mine.entries(party)) == list(ledger.entries(party))
            for day in {f.on for f, _ in ledger.entries(party)}:
                assert mine.balance(party, day) == ledger.balance(party, day)


# -- restricted gifts read from the donations find what the ledger's gift flows show ------------


@st.composite
def restricted_gifts(draw: st.DrawFn) -> Dataset:
    """Gifts into general, restricted and unknown funds or an organisation, some restricted,
    ids and transaction numbers used twice, and flows of ``flows`` that name a gift (as its
    gift, or as something else), some entered twice, over a few days."""
    from datetime import timedelta

    from humanaid import Donation, Restriction

    funds = [GENERAL, MEDICAL, Fund(id="g2", name="second general fund", organization_id="o")]
    fund_ids = st.sampled_from([None, "general", "medical", "g2", "nowhere"])
    days = st.integers(0, 3).map(lambda i: D + timedelta(days=i))
    refs = st.none() | st.sampled_from(["t1", "t2"])
    gifts = []
    for _ in range(draw(st.integers(0, 12))):
        fund_id = draw(fund_ids)
        to_fund = draw(fund_ids)
        restricted_to = draw(
            st.sampled_from([None, Restriction(purpose="heart"), *(
                [Restriction(fund_id=to_fund)] if to_fund else []
            )])
        )  # fmt: skip
        gifts.append(
            Donation(id=f"g{draw(st.integers(0, 9))}{'x' * draw(st.sampled_from([0, 120]))}",
                     organization_id="o", received_on=draw(days),
                     value=Money(draw(st.integers(1, 900))), fund_id=fund_id,
                     restricted_to=restricted_to, transaction_ref=draw(refs))
        )  # fmt: skip
    own = []
    for i in range(draw(st.integers(0, 5))):
        named = draw(st.sampled_from([g.id for g in gifts] or ["g0"]))
        own.append(
            flow(f"own{draw(st.integers(0, 6))}-{i}", Party.donor("d"),
                 Party.fund(draw(st.sampled_from(["general", "medical", "nowhere"]))),
                 str(draw(st.integers(1, 900))), draw(days),
                 kind=draw(st.sampled_from([FlowKind.DONATION, FlowKind.ALLOCATION])),
                 origin=Origin(collection="donations", id=named),
                 transaction_ref=draw(refs))
        )  # fmt: skip
    return Dataset(funds=tuple(funds), donations=tuple(gifts), flows=tuple(own))


def _restricted_gifts_read_from_the_ledger(ds: Dataset) -> list[Finding]:
    """The straightforward definition: every gift flow of the ledger, in its order."""
    funds = ds.index("funds")
    restricted = {d.id for d in ds.index("donations").values() if d.restricted_to is not None}
    out = []
    for f in ds.ledger().flows:
        if f.kind is not FlowKind.DONATION or f.origin is None:
            continue
        if f.origin.collection != "donations" or f.origin.id not in restricted:
            continue
        target = funds.get(f.destination.id) if f.destination.kind.value == "fund" else None
        if target is not None and target.kind.is_restricted:
            continue
        where = f"general fund {f.destination.id!r}" if target is not None else str(f.destination)
        out.append(
            Finding(rule="funds.restricted-gift-unrestricted", severity="error",
                    subject=f.origin.id,
                    message=f"donation {f.origin.id!r} is restricted by its donor but was put "
                            f"into {where}",
                    figures={"amount": f.amount, "destination": str(f.destination)})
        )  # fmt: skip
    return out


@given(restricted_gifts())
def test_restricted_gifts_read_from_their_donations_are_those_the_ledgers_gift_flows_show(
    ds: Dataset,
) -> None:
    expected = _restricted_gifts_read_from_the_ledger(ds)
    found = list(restricted_gifts_not_in_general_funds(ds))
    assert found == expected
    assert [repr(f) for f in found] == [repr(f) for f in expected]
    event(f"findings: {min(len(found), 3)}")
    # the rule walks only the restricted gifts when every gift is booked and no id repeats
    every = len(booked_donations(ds)) == len(ds.donations) == len(ds.index("donations"))
    event(f"only the restricted walked: {every}")
