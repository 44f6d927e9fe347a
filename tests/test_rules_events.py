"""Every money event reaches the ledger once, and every flow agrees with its record.

The rules of ``humanaid.rules.events`` and, over generated datasets
(``humanaid.testing.event_datasets``), the law they keep: each money-bearing record is in
the ledger exactly once, by hand or derived, never both and never neither.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from humanaid import (
    BUILTIN_RULES,
    Campaign,
    Case,
    Dataset,
    Distribution,
    Donation,
    Finding,
    Flow,
    FlowKind,
    Fund,
    FundKind,
    Ledger,
    LendingTerms,
    Loan,
    Money,
    Origin,
    Party,
    PartyKind,
    Period,
    Program,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
    WriteOff,
)
from humanaid.ledger import EVENT_COLLECTIONS, aid_flows
from humanaid.revolving import latest_loan_states
from humanaid.rules.events import events_in_the_ledger_once, flows_agree_with_their_records
from humanaid.testing import event_datasets

D = date(2020, 1, 15)
RELIEF = Fund(id="relief", name="relief fund", kind=FundKind.RESTRICTED, organization_id="rc",
              purposes=("relief",))  # fmt: skip
DRIVE = Campaign(id="drive", name="博爱送万家", organizer_id="rc", period=Period.year(2020),
                 fund_id="relief")  # fmt: skip
AID = Program(id="aid", name="医疗救助", organization_id="rc")
SEED = RevolvingFund(
    id="seed", name="village fund", project_id="village", organization_id="rc",
    terms=LendingTerms(term_months=12, method=RepaymentMethod.INTEREST_FREE,
                       frequency=RepaymentFrequency.QUARTERLY),
)  # fmt: skip
LOAN = Loan.from_fund(SEED, id="L1", household_id="h1", principal=Money("8000"),
                      disbursed_on=date(2020, 2, 1), purpose="pigs")  # fmt: skip


def handout(id: str = "d1", **kw: Any) -> Distribution:
    fields: dict[str, Any] = {"household_id": "h1", "on": D, "value": Money("300")}
    fields.update(kw)
    return Distribution.cash(id=id, **fields)


def paid_case(id: str = "c1", paid: str | None = "18000", **kw: Any) -> Case:
    fields: dict[str, Any] = {"kind": "medical", "person_id": "p1", "hospital_id": "fuwai"}
    fields.update(kw)
    case = Case.refer(id=id, on=date(2020, 3, 2), **fields)
    case = case.advance("screened", on=date(2020, 3, 5)).advance("assessed", on=date(2020, 3, 9))
    case = case.advance("approved", on=date(2020, 3, 12), approved=Money("18000"))
    if paid is None:
        return case
    return case.advance("in_treatment", on=date(2020, 4, 1), paid=Money(paid))


def flow(id: str, src: Party, dst: Party, amount: str, on: date = D, **kw: Any) -> Flow:
    kw.setdefault("kind", FlowKind.DISBURSEMENT)
    return Flow(id=id, source=src, destination=dst, amount=Money(amount), on=on, **kw)


def origin(collection: str, id: str) -> Origin:
    return Origin(collection=collection, id=id)


def found(ds: Dataset) -> list[tuple[str, str | None]]:
    return [
        (f.rule, f.subject)
        for f in (*events_in_the_ledger_once(ds), *flows_agree_with_their_records(ds))
    ]


def fields_found(ds: Dataset) -> list[tuple[str | None, object]]:
    return [(f.subject, f.figures.get("field")) for f in flows_agree_with_their_records(ds)]


# -- the rules run with every validate() -------------------------------------------------------


def test_the_events_rules_are_built_in() -> None:
    assert events_in_the_ledger_once in BUILTIN_RULES
    assert flows_agree_with_their_records in BUILTIN_RULES
    ds = Dataset(distributions=(handout(),))
    assert [f.rule for f in ds.validate().where(rule="events.")] == ["events.flow-missing"]


# -- events.flow-missing -----------------------------------------------------------------------


def test_a_handout_nobody_is_known_to_have_paid_for_is_missing_from_the_ledger() -> None:
    ds = Dataset(distributions=(handout(),))
    (finding,) = events_in_the_ledger_once(ds)
    assert (finding.rule, finding.subject) == ("events.flow-missing", "d1")
    assert finding.figures == {"collection": "distributions", "amount": Money("300")}
    assert "distribution 'd1' moved 300.00元 but no flow is in the ledger" in finding.message
    assert "do not say who paid" in finding.message
    # A campaign that is not in the dataset says nothing: reported too ...
    in_drive = attrs.evolve(ds, distributions=(handout(campaign_id="drive"),))
    assert found(in_drive) == [("events.flow-missing", "d1")]
    # ... and with the campaign in the dataset, its fund pays: nothing is missing.
    assert found(attrs.evolve(in_drive, campaigns=(DRIVE,))) == []
    assert [str(f.source) for f in attrs.evolve(in_drive, campaigns=(DRIVE,)).ledger().flows] == [
        "fund:relief"
    ]


def test_a_paid_case_nobody_is_known_to_have_paid_is_missing_and_an_unpaid_one_is_not() -> None:
    ds = Dataset(
        cases=(paid_case("c1"), paid_case("c2", paid=None), paid_case("c3", paid="0"),
               paid_case("c4", program_id="aid")),
        programs=(AID,),
    )  # fmt: skip
    assert found(ds) == [("events.flow-missing", "c1")]
    assert [f.id for f in ds.ledger().flows] == ["case:c4:paid"]


def test_a_repayment_of_an_unknown_loan_is_left_to_the_integrity_rule() -> None:
    stray = Repayment(id="r9", loan_id="L9", paid_on=date(2020, 5, 1), amount=Money("10"))
    wrong = Repayment(id="r8", loan_id="L1", paid_on=date(2020, 5, 1), amount=Money("10", "USD"))
    ds = Dataset(revolving_funds=(SEED,), loans=(LOAN,), repayments=(stray, wrong))
    assert found(ds) == []
    rules = {f.rule for f in ds.validate()}
    assert "integrity.missing-reference" in rules
    assert "revolving.currency-mismatch" in rules


def test_a_write_off_after_the_loan_was_repaid_moves_nothing_and_needs_no_flow() -> None:
    repaid = Repayment(id="r1", loan_id="L1", paid_on=date(2020, 5, 1), amount=Money("8000"))
    late = WriteOff(id="w1", loan_id="L1", on=date(2020, 9, 1), reason="lost")
    ds = Dataset(revolving_funds=(SEED,), loans=(LOAN,), repayments=(repaid,), write_offs=(late,))
    assert found(ds) == []
    assert "write_off:w1" not in {f.id for f in ds.ledger().flows}


# -- events.counted-twice ----------------------------------------------------------------------


def test_a_handout_booked_by_hand_without_naming_it_is_counted_twice() -> None:
    by_hand = flow("fl1", Party.fund("general"), Party.household("h1"), "300")
    ds = Dataset(funds=(RELIEF,), distributions=(handout(fund_id="relief", purpose="relief"),),
                 flows=(by_hand,))  # fmt: skip
    (finding,) = events_in_the_ledger_once(ds)
    assert (finding.rule, finding.subject) == ("events.counted-twice", "fl1")
    assert finding.figures == {
        "collection": "distributions", "record": "d1", "derived": "distribution:d1",
    }  # fmt: skip
    assert finding.message == (
        "flow 'fl1' pays, without naming it as its origin, distribution 'd1', and the ledger "
        "derives 'distribution:d1' from it too: 300.00元 counted twice"
    )
    # Named as its origin, it stands for the handout, and nothing is derived.
    named = attrs.evolve(by_hand, origin=origin("distributions", "d1"))
    fixed = attrs.evolve(ds, flows=(named,))
    assert [f.id for f in fixed.ledger().flows] == ["fl1"]
    # ... though it then says who paid: the general fund, where the record names relief.
    assert fields_found(fixed) == [("fl1", "source")]


def test_a_gift_or_a_loan_booked_by_hand_without_naming_it_is_counted_twice() -> None:
    gift = Donation(id="g1", donor_id="d1", organization_id="rc", received_on=D,
                    value=Money("500"), receipt_number="R1")  # fmt: skip
    ds = Dataset(
        donations=(gift,), revolving_funds=(SEED,), loans=(LOAN,),
        flows=(
            flow("gift", Party.donor("d1"), Party.fund("general"), "500", kind=FlowKind.DONATION),
            flow("lent", SEED.party, LOAN.party, "8000", date(2020, 2, 1),
                 kind=FlowKind.LOAN_DISBURSEMENT),
            flow("other", Party.donor("d1"), Party.fund("general"), "501",
                 kind=FlowKind.DONATION),
        ),
    )  # fmt: skip
    assert found(ds) == [("events.counted-twice", "gift"), ("events.counted-twice", "lent")]


def test_a_flow_to_the_case_stands_for_its_payment_and_nothing_is_derived() -> None:
    # The older way: a flow paid to Party.case(id). The amount is then the rule
    # cases.payment-not-in-ledger's to check.
    to_case = flow("pay", Party.project("heart"), Party.case("c1"), "18000", date(2020, 4, 2))
    ds = Dataset(cases=(paid_case("c1", project_id="heart"),), flows=(to_case,))
    assert [f.id for f in ds.ledger().flows] == ["pay"]
    assert found(ds) == []


# -- events.flow-disagrees ---------------------------------------------------------------------


def test_a_flow_naming_a_handout_must_carry_its_value_day_parties_and_currency() -> None:
    d = handout(fund_id="relief", purpose="relief")
    o = origin("distributions", "d1")
    good = flow("ok", Party.fund("relief"), Party.household("h1"), "300", origin=o)
    ds = Dataset(funds=(RELIEF,), distributions=(d,), flows=(good,))
    assert found(ds) == []
    for wrong, field in (
        (attrs.evolve(good, amount=Money("301")), "amount"),
        (attrs.evolve(good, amount=Money("300", "USD")), "currency"),
        (attrs.evolve(good, on=date(2020, 1, 16)), "day"),
        (attrs.evolve(good, source=Party.fund("general")), "source"),
        (attrs.evolve(good, destination=Party.household("h2")), "destination"),
    ):
        assert fields_found(attrs.evolve(ds, flows=(wrong,))) == [("ok", field)], field
    (finding,) = flows_agree_with_their_records(
        attrs.evolve(ds, flows=(attrs.evolve(good, on=date(2020, 1, 16)),))
    )
    assert finding.message == (
        "flow 'ok' disagrees with distribution 'd1' on its day: 2020-01-16 where the record "
        "says 2020-01-15"
    )


def test_a_handout_paid_in_parts_adds_up_and_a_refund_counts_against_it() -> None:
    o = origin("distributions", "d1")
    src, dst = Party.project("village"), Party.household("h1")
    parts = (flow("a", src, dst, "200", origin=o), flow("b", src, dst, "100", origin=o))
    ds = Dataset(distributions=(handout(project_id="village"),), flows=parts)
    assert found(ds) == []
    short = attrs.evolve(ds, flows=(parts[0],))
    (finding,) = flows_agree_with_their_records(short)
    assert finding.figures["field"] == "amount"
    assert "it carries 200.00元 where the record says 300.00元" in finding.message
    back = flow("back", dst, src, "100", date(2020, 2, 1), kind=FlowKind.REFUND, origin=o)
    (finding,) = flows_agree_with_their_records(attrs.evolve(ds, flows=(*parts, back)))
    assert "its flows carry 200.00元 where the record says 300.00元" in finding.message
    assert finding.figures["flows"] == "a, b, back"


def test_a_case_is_paid_to_its_hospital_patient_household_or_itself_and_not_before_it() -> None:
    o = origin("cases", "c1")
    c = paid_case("c1", household_id="home", fund_id="heart")
    pay = flow("pay", Party.fund("heart"), Party.organization("fuwai"), "18000",
               date(2020, 5, 1), origin=o)  # fmt: skip
    ds = Dataset(cases=(c,), flows=(pay,))
    for to in (Party.person("p1"), Party.household("home"), Party.case("c1")):
        assert found(attrs.evolve(ds, flows=(attrs.evolve(pay, destination=to),))) == []
    assert fields_found(attrs.evolve(ds, flows=(attrs.evolve(pay, on=date(2020, 3, 1)),))) == [
        ("pay", "day")
    ]
    assert fields_found(
        attrs.evolve(ds, flows=(attrs.evolve(pay, destination=Party.organization("other")),))
    ) == [("pay", "destination")]
    # A flow for a case that records nothing paid disagrees on the amount.
    assert fields_found(attrs.evolve(ds, cases=(paid_case("c1", paid=None),))) == [
        ("pay", "amount")
    ]


def test_loans_repayments_and_write_offs_booked_by_hand_agree_with_their_records() -> None:
    paid = Repayment(id="r1", loan_id="L1", paid_on=date(2020, 5, 1), amount=Money("2000"))
    lost = WriteOff(id="w1", loan_id="L1", on=date(2020, 9, 1), reason="swine fever")
    hand = (
        flow("lent", SEED.party, LOAN.party, "8000", date(2020, 2, 1),
             kind=FlowKind.LOAN_DISBURSEMENT, origin=origin("loans", "L1")),
        flow("back", Party.household("h1"), SEED.party, "2000", date(2020, 5, 1),
             kind=FlowKind.LOAN_REPAYMENT, origin=origin("repayments", "r1")),
        flow("gone", LOAN.party, Party.outside("written off"), "6000", date(2020, 9, 1),
             kind=FlowKind.WRITE_OFF, origin=origin("write_offs", "w1")),
    )  # fmt: skip
    ds = Dataset(revolving_funds=(SEED,), loans=(LOAN,), repayments=(paid,), write_offs=(lost,),
                 flows=hand)  # fmt: skip
    assert found(ds) == []
    wrong = (
        attrs.evolve(hand[0], on=date(2020, 2, 2)),
        attrs.evolve(hand[1], destination=Party.fund("general")),
        attrs.evolve(hand[2], amount=Money("5000")),
    )
    assert fields_found(attrs.evolve(ds, flows=wrong)) == [
        ("lent", "day"), ("back", "destination"), ("gone", "amount"),
    ]  # fmt: skip


def test_a_gift_booked_by_hand_comes_from_its_donor_into_its_fund_on_its_day() -> None:
    gift = Donation(id="g1", donor_id="d1", organization_id="rc", received_on=D,
                    value=Money("500"), fund_id="general", receipt_number="R1")  # fmt: skip
    o = origin("donations", "g1")
    good = flow("gift", Party.donor("d1"), Party.fund("general"), "500", kind=FlowKind.DONATION,
                origin=o)  # fmt: skip
    general = Fund(id="general", name="general fund", organization_id="rc")
    ds = Dataset(funds=(general,), donations=(gift,), flows=(good,))
    assert found(ds) == []
    wrong = attrs.evolve(good, source=Party.donor("d2"), destination=Party.fund("x"),
                         on=date(2020, 1, 16))  # fmt: skip
    assert fields_found(attrs.evolve(ds, flows=(wrong,))) == [
        ("gift", "day"), ("gift", "source"), ("gift", "destination"),
    ]  # fmt: skip
    # The amount is funds.flow-mismatch's to report, not this rule's too.
    other = attrs.evolve(ds, flows=(attrs.evolve(good, amount=Money("501")),))
    assert found(other) == []
    assert [f.subject for f in other.validate().where(rule="funds.flow-mismatch")] == ["gift"]


# -- the law, over generated datasets ----------------------------------------------------------

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _moved(ds: Dataset, collection: str, record: Any) -> Money | None:
    """What a record moved, which its flows in the ledger must carry in all."""
    if collection in ("donations", "distributions"):
        value: Money = record.value
        return value
    if collection == "cases":
        paid: Money | None = record.paid
        return paid if paid is not None and paid.is_positive() else None
    if collection == "loans":
        principal: Money = record.principal
        return principal
    if collection == "repayments":
        amount: Money = record.amount
        return amount
    state = latest_loan_states(ds)[record.loan_id]
    (applied,) = [w for w in state.write_offs if w.write_off_id == record.id]
    return applied.principal if applied.principal.is_positive() else None


@FAST
@given(event_datasets())
def test_every_money_bearing_record_reaches_the_ledger_exactly_once(ds: Dataset) -> None:
    by_hand = set(map(id, ds.flows))
    stemming: dict[tuple[str, str], list[Flow]] = defaultdict(list)
    for f in ds.ledger().flows:
        if f.origin is not None:
            stemming[(f.origin.collection, f.origin.id)].append(f)
    for collection in EVENT_COLLECTIONS:
        for record in ds.records(collection):
            flows = stemming.pop((collection, record.id), [])
            moved = _moved(ds, collection, record)
            if moved is None:  # moved no money: no flow
                assert flows == [], (collection, record.id)
                continue
            # never both: by hand or derived, all of them
            assert len({id(f) in by_hand for f in flows}) == 1, (collection, record.id)
            # never neither, and once: the flows carry what the record moved, no more
            counted = [f for f in flows if collection != "donations" or f.kind is FlowKind.DONATION]
            assert Money.total((f.amount for f in counted), moved.currency) == moved
    assert stemming == {}  # no flow stems from a record that is not there
    # Flows without an origin are the dataset's own, as written.
    assert [f for f in ds.ledger().flows if f.origin is None] == [
        f for f in sorted(ds.flows, key=lambda f: (f.on, f.id)) if f.origin is None
    ]
    assert found(ds) == []


@FAST
@given(event_datasets(by_hand=True))
def test_an_event_booked_by_hand_or_derived_moves_the_same_money(ds: Dataset) -> None:
    derived = attrs.evolve(ds, flows=tuple(f for f in ds.flows if f.origin is None))
    parties = {p for f in ds.ledger().flows for p in (f.source, f.destination)}
    assert parties == {p for f in derived.ledger().flows for p in (f.source, f.destination)}
    for party in parties:
        assert ds.ledger().balance(party) == derived.ledger().balance(party), party
    assert found(ds) == found(derived) == []


@FAST
@given(event_datasets(by_hand=False), st.data())
def test_a_handout_or_case_whose_payer_is_unknown_is_reported_never_dropped(
    ds: Dataset, data: st.DataObject
) -> None:
    paid = [c for c in ds.cases if c.paid is not None and c.paid.is_positive()]
    records: list[Any] = [*ds.distributions, *paid]
    if not records:
        return
    record = data.draw(st.sampled_from(records))
    unsaid: dict[str, Any] = {"fund_id": None, "project_id": None, "program_id": None}
    if isinstance(record, Distribution):
        unsaid["campaign_id"] = None
        handouts = tuple(d for d in ds.distributions if d.id != record.id)
        bare = attrs.evolve(ds, distributions=(*handouts, attrs.evolve(record, **unsaid)))
    else:
        cases = tuple(c for c in ds.cases if c.id != record.id)
        bare = attrs.evolve(ds, cases=(*cases, attrs.evolve(record, **unsaid)))
    assert found(bare) == [("events.flow-missing", record.id)]


@FAST
@given(event_datasets(by_hand=False), st.data())
def test_a_derived_flow_copied_by_hand_without_its_origin_is_counted_twice(
    ds: Dataset, data: st.DataObject
) -> None:
    derived = [f for f in ds.ledger().flows if f.origin is not None]
    if not derived:
        return
    copy = data.draw(st.sampled_from(derived))
    twin = attrs.evolve(copy, id="copied by hand", origin=None)
    twice = attrs.evolve(ds, flows=(*ds.flows, twin))
    assert found(twice) == [("events.counted-twice", "copied by hand")]


@pytest.mark.parametrize("collection", EVENT_COLLECTIONS)
def test_every_event_collection_is_a_dataset_collection(collection: str) -> None:
    assert collection in Dataset.collection_types()


def test_a_record_a_ledger_both_derives_and_holds_by_hand_is_counted_twice() -> None:
    # A dataset of one's own whose ledger derives flows without looking at origins.
    @attrs.frozen(kw_only=True)
    class Careless(Dataset):
        def ledger(self) -> Ledger:
            return Ledger((*self.flows, *aid_flows(self, covered_by=())))

    by_hand = flow("pack", Party.fund("relief"), Party.household("h1"), "300",
                   origin=origin("distributions", "d1"))  # fmt: skip
    ds = Careless(funds=(RELIEF,), distributions=(handout(fund_id="relief", purpose="relief"),),
                  flows=(by_hand,))  # fmt: skip
    (finding,) = events_in_the_ledger_once(ds)
    assert (finding.rule, finding.subject) == ("events.counted-twice", "pack")
    assert finding.message.startswith("flow 'pack' names distribution 'd1', and the ledger")


# -- the counted-twice index by id, day and amount ------------------------------------------


def _books_one_flow_at_a_time(books: Any, ds: Dataset) -> tuple[list[Flow], dict[str, set[str]]]:
    # the definition: every ledger flow with an origin that is not one of the dataset's own
    own_ids = {id(f) for f in books.own}
    derived, reached = [], defaultdict(set)
    for f in ds.ledger().flows:
        if f.origin is not None and id(f) not in own_ids:
            derived.append(f)
            reached[f.origin.collection].add(f.origin.id)
    return derived, dict(reached)


def _twice_by_party_and_day(books: Any, derived_flows: list[Flow]) -> list[Finding]:
    # the definition: each derived flow against every flow without an origin to its party
    # on its day (and gifts from its donor on its day), the first that pays it again
    from humanaid.rules.events import _counted_twice, _pays_the_same

    to: dict[tuple[Party, date], list[Flow]] = defaultdict(list)
    gifts: dict[tuple[Party, date], list[Flow]] = defaultdict(list)
    for f in books.own:
        if f.origin is None and f.kind is not FlowKind.REFUND:
            to[(f.destination, f.on)].append(f)
            if f.kind is FlowKind.DONATION and f.source.kind is PartyKind.DONOR:
                gifts[(f.source, f.on)].append(f)
    out: list[Finding] = []
    reported: set[str] = set()
    for derived in derived_flows:
        origin = derived.origin
        assert origin is not None  # a derived flow names its record
        both = books.named.get((origin.collection, origin.id))
        if both is not None and both[0].id not in reported:
            reported.add(both[0].id)
            out.append(_counted_twice(both[0], origin.collection, origin.id, derived))
        candidates = list(to.get((derived.destination, derived.on), ()))
        if derived.kind is FlowKind.DONATION:
            candidates += gifts.get((derived.source, derived.on), [])
        for own in candidates:
            if own.id not in reported and _pays_the_same(own, derived, origin.collection):
                reported.add(own.id)
                out.append(_counted_twice(own, origin.collection, origin.id, derived))
                break
    return out


@FAST
@given(event_datasets(by_hand=False), st.data())
def test_flows_counted_twice_found_by_id_day_and_amount_are_those_found_by_party_and_day(
    ds: Dataset, data: st.DataObject
) -> None:
    from humanaid.rules.events import _Books, _twice

    derived = [f for f in ds.ledger().flows if f.origin is not None]
    by_hand = []
    for i, copy in enumerate(data.draw(st.lists(st.sampled_from(derived), max_size=6))
                             if derived else []):  # fmt: skip
        # copied by hand without its origin, maybe to another party, day, amount or kind,
        # or as a gift from its donor into another fund
        change = data.draw(
            st.sampled_from(["none", "none", "amount", "day", "party", "kind", "fund"])
        )
        twin = attrs.evolve(copy, id=f"by hand {i}", origin=None, parent_id=None)
        if change == "amount":
            twin = attrs.evolve(twin, amount=twin.amount + Money("1", twin.amount.currency))
        elif change == "day":
            twin = attrs.evolve(twin, on=twin.on.replace(day=1 if twin.on.day > 1 else 2))
        elif change == "party" and twin.source != Party.fund("elsewhere"):
            twin = attrs.evolve(twin, destination=Party.fund("elsewhere"))
        elif change == "kind":
            twin = attrs.evolve(twin, kind=FlowKind.GRANT)
        elif change == "fund" and twin.source.kind is PartyKind.DONOR:
            twin = attrs.evolve(twin, destination=Party.fund("another"), kind=FlowKind.DONATION)
        by_hand.append(twin)
    ds = attrs.evolve(ds, flows=(*ds.flows, *by_hand))
    books = _Books(ds)
    derived, reached = _books_one_flow_at_a_time(books, ds)
    # the dataset's ledger holds its gifts as donations: _Books reads the other derived
    # flows as flows, the gifts from the donations (and makes the few _twice may need)
    assert books.derived == [f for f in derived if f.origin and f.origin.collection != "donations"]
    # ... and the donations none of its gifts stands for (the only ones flow-missing
    # reads), found by identity, are those whose id no derived flow names, in order
    gifts_reached = reached.pop("donations", set())
    assert dict(books.reached) == reached
    assert books.unreached_gifts == [d for d in ds.donations if d.id not in gifts_reached]
    found = list(_twice(books))
    assert found == _twice_by_party_and_day(books, derived)
    event(f"counted twice: {min(len(found), 3)}")
    # a donor's days are asked only when some donor gave by a flow of its own
    given = any(f.origin is None and f.kind is FlowKind.DONATION
                and f.source.kind is PartyKind.DONOR for f in books.own)  # fmt: skip
    event(f"a donor gave by a flow of its own: {given}")


def test_the_donations_no_gift_flow_stands_for_are_found_by_identity_and_by_id() -> None:
    from humanaid.rules.events import _Books

    def gift(id: str, ref: str | None = None, value: str = "500") -> Donation:
        return Donation(id=id, donor_id="d1", organization_id="rc", received_on=D,
                        value=Money(value), receipt_number="R1", transaction_ref=ref)  # fmt: skip

    def definition(ds: Dataset) -> list[Donation]:
        # the gifts a flow the ledger derived (not one of ``flows``) stems from
        derived = [f for f in ds.ledger().flows if f not in ds.flows]
        ids = {f.origin.id for f in derived if f.origin and f.origin.collection == "donations"}
        return [d for d in ds.donations if d.id not in ids]

    named = flow(
        "named",
        Party.donor("d1"),
        Party.fund("general"),
        "500",
        kind=FlowKind.DONATION,
        origin=Origin(collection="donations", id="g2"),
    )
    # g2 is named by a flow (no gift flow derived); g4 repeats g3's transaction (not booked)
    plain = Dataset(
        donations=(gift("g1"), gift("g2"), gift("g3", "t"), gift("g4", "t"), gift("g5")),
        flows=(named,),
    )  # fmt: skip
    assert [d.id for d in _Books(plain).unreached_gifts or ()] == ["g2", "g4"]
    # ids used twice: a gift is booked or not, and named or not, by its id
    for twice in (
        Dataset(donations=(gift("g1"), gift("g1", "t"), gift("g3", "t"))),
        Dataset(donations=(gift("g2"), gift("g2"), gift("g1")), flows=(named,)),
    ):
        assert _Books(twice).unreached_gifts == definition(twice)
    # every gift booked: nothing is walked
    assert _Books(Dataset(donations=(gift("g1"), gift("g2")))).unreached_gifts == []
