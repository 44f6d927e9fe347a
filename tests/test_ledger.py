from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import attrs
import pytest

import humanaid
from humanaid import (
    Campaign,
    Case,
    Dataset,
    Distribution,
    Donation,
    DonationForm,
    Flow,
    FlowKind,
    InKindItem,
    Ledger,
    LendingTerms,
    Loan,
    Money,
    Origin,
    Party,
    Period,
    Program,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
    ValuationBasis,
    WriteOff,
    donation_flows,
    revolving_flows,
    revolving_ledger,
)
from humanaid.ledger import (
    EVENT_COLLECTIONS,
    aid_flows,
    case_payee,
    case_payer,
    case_payment_day,
    dataset_flows,
    dataset_ledger,
    distribution_payer,
    records_paid_by,
)

T = TypeVar("T")
D = date(2021, 1, 15)

FUND = RevolvingFund(
    id="village", name="village fund", project_id="p", area_id="v",
    terms=LendingTerms(term_months=12, method=RepaymentMethod.INTEREST_FREE,
                       frequency=RepaymentFrequency.QUARTERLY),
)  # fmt: skip
SEED = Flow(id="seed", source=Party.project("p"), destination=FUND.party, amount=Money("20000"),
            on=date(2021, 1, 1), kind=FlowKind.GRANT)  # fmt: skip
GIFT = Donation(id="g1", donor_id="d1", organization_id="o", received_on=D, value=Money("500"),
                fees=Money("3"))  # fmt: skip
LOAN = Loan.from_fund(FUND, id="L1", household_id="h1", principal=Money("8000"),
                      disbursed_on=date(2021, 2, 1), purpose="pigs")  # fmt: skip
PAID = Repayment(id="r1", loan_id="L1", paid_on=date(2021, 5, 1), amount=Money("2000"))
LOST = WriteOff(id="w1", loan_id="L1", on=date(2021, 9, 1), reason="swine fever")


def everything() -> Dataset:
    return Dataset(
        revolving_funds=(FUND,), flows=(SEED,), donations=(GIFT,), loans=(LOAN,),
        repayments=(PAID,), write_offs=(LOST,),
    )  # fmt: skip


# -- the flows of a dataset --------------------------------------------------------------------


def test_a_datasets_flows_are_its_own_then_donations_handouts_and_cases_then_loans() -> None:
    ds = everything()
    flows = dataset_flows(ds)
    assert flows == (SEED, *donation_flows(GIFT), *revolving_flows(ds))
    paid = attrs.evolve(
        Case.refer(id="c1", kind="hardship", household_id="h1", on=D, fund_id="f"),
        paid=Money("5"),
    )
    more = attrs.evolve(ds, distributions=(handout(fund_id="f"),), cases=(paid,))
    assert [f.id for f in dataset_flows(more)][2:5] == [
        "donation:g1:fees", "distribution:d1", "case:c1:paid",
    ]  # fmt: skip
    assert [f.id for f in flows] == [
        "seed", "donation:g1", "donation:g1:fees", "loan:L1", "repayment:r1:principal",
        "write_off:w1",
    ]  # fmt: skip


def test_an_event_already_booked_as_a_flow_is_not_booked_again() -> None:
    booked = [
        Flow(id="gift", source=Party.donor("d1"), destination=Party.organization("o"),
             amount=Money("500"), on=D, kind=FlowKind.DONATION,
             origin=Origin(collection="donations", id="g1")),
        Flow(id="lent", source=FUND.party, destination=LOAN.party, amount=Money("8000"),
             on=LOAN.disbursed_on, kind=FlowKind.LOAN_DISBURSEMENT,
             origin=Origin(collection="loans", id="L1")),
    ]  # fmt: skip
    ds = attrs.evolve(everything(), flows=(SEED, *booked))
    ids = [f.id for f in dataset_flows(ds)]
    assert ids == ["seed", "gift", "lent", "repayment:r1:principal", "write_off:w1"]


def test_collections_a_dataset_class_lacks_are_skipped() -> None:
    @attrs.frozen(kw_only=True)
    class Bare:
        def collection_types(self) -> dict[str, type]:
            return {}

    assert dataset_flows(Dataset(flows=(SEED,))) == (SEED,)
    assert dataset_flows(Bare()) == ()  # type: ignore[arg-type]


# -- handouts and paid cases -------------------------------------------------------------------

RELIEF_DRIVE = Campaign(id="drive", name="博爱送万家", organizer_id="rc", period=Period.year(2020),
                        fund_id="relief")  # fmt: skip
APPEAL = Campaign(id="appeal", name="winter appeal", organizer_id="county", host_id="rc",
                  period=Period.year(2020))  # fmt: skip
AID = Program(id="aid", name="医疗救助", organization_id="rc")


def handout(**kw: Any) -> Distribution:
    return Distribution.cash(id="d1", household_id="h1", on=D, value=Money("300"), **kw)


def served(**kw: Any) -> Case:
    case = Case.refer(id="c1", kind="medical", person_id="p1", on=date(2021, 3, 2), **kw)
    case = case.advance("screened", on=date(2021, 3, 5)).advance("assessed", on=date(2021, 3, 9))
    return case.advance("approved", on=date(2021, 3, 12), approved=Money("18000"))


@pytest.mark.parametrize(
    ("fields", "payer"),
    [
        ({"fund_id": "general", "project_id": "p", "campaign_id": "drive"}, "fund:general"),
        ({"project_id": "p", "campaign_id": "drive", "program_id": "aid"}, "project:p"),
        ({"campaign_id": "drive", "program_id": "aid"}, "fund:relief"),
        ({"campaign_id": "appeal", "program_id": "aid"}, "organization:rc"),  # its host
        ({"campaign_id": "elsewhere", "program_id": "aid"}, "organization:rc"),
        ({"program_id": "aid"}, "organization:rc"),
        ({"program_id": "elsewhere"}, None),
        ({"site_id": "shop-1"}, None),  # where it was handed out, not who paid
    ],
)
def test_a_handout_is_paid_by_its_fund_project_campaign_or_programme(
    fields: dict[str, Any], payer: str | None
) -> None:
    ds = Dataset(campaigns=(RELIEF_DRIVE, APPEAL), programs=(AID,))
    found = distribution_payer(ds, handout(**fields))
    assert (None if found is None else str(found)) == payer


def test_a_handout_implies_one_flow_of_its_value_to_its_household() -> None:
    goods = Distribution.in_kind(
        id="d2", household_id="h2", on=D, campaign_id="drive", purpose="relief",
        items=(InKindItem(description="大米", quantity=2, unit="袋", unit_value=Money("120"),
                          valuation=ValuationBasis.INVOICE),),
    )  # fmt: skip
    ds = Dataset(campaigns=(RELIEF_DRIVE,), distributions=(handout(fund_id="general"), goods))
    flows = aid_flows(ds)
    assert [(f.id, str(f.source), str(f.destination), f.amount, f.on, f.in_kind, f.purpose)
            for f in flows] == [
        ("distribution:d1", "fund:general", "household:h1", Money("300"), D, False, None),
        ("distribution:d2", "fund:relief", "household:h2", Money("240"), D, True, "relief"),
    ]  # fmt: skip
    assert all(f.kind is FlowKind.DISBURSEMENT for f in flows)
    assert [f.origin for f in flows] == [
        Origin(collection="distributions", id="d1"), Origin(collection="distributions", id="d2"),
    ]  # fmt: skip
    assert ds.ledger().balance(Party.household("h2")) == Money("240")


@pytest.mark.parametrize(
    ("case", "payee", "day"),
    [
        (served(hospital_id="fuwai").advance("in_treatment", on=date(2021, 4, 1)),
         "organization:fuwai", date(2021, 4, 1)),
        (served().advance("being_served", on=date(2021, 4, 2)), "person:p1", date(2021, 4, 2)),
        (served(), "person:p1", date(2021, 3, 12)),  # paid on approval, not yet served
        (served().advance("withdrawn", on=date(2021, 5, 1)), "person:p1", date(2021, 3, 12)),
        (Case.refer(id="c1", kind="hardship", household_id="h1", on=date(2021, 3, 2)),
         "household:h1", date(2021, 3, 2)),
    ],
)  # fmt: skip
def test_a_paid_case_goes_to_its_hospital_else_the_patient_on_the_day_help_was_given(
    case: Case, payee: str, day: date
) -> None:
    paid = attrs.evolve(case, paid=Money("17500"), program_id="aid")
    assert str(case_payee(paid)) == payee
    assert case_payment_day(paid) == day
    (flow,) = dataset_flows(Dataset(programs=(AID,), cases=(paid,)))
    assert (flow.id, str(flow.source), str(flow.destination), flow.on, flow.amount) == (
        "case:c1:paid", "organization:rc", payee, day, Money("17500"),
    )  # fmt: skip
    assert (flow.kind, flow.in_kind, flow.note) == (FlowKind.DISBURSEMENT, False, "")


def test_a_case_is_paid_by_its_fund_else_its_project_else_its_programmes_organisation() -> None:
    ds = Dataset(programs=(AID,))
    case = served(program_id="aid")
    assert str(case_payer(ds, case)) == "organization:rc"
    assert str(case_payer(ds, attrs.evolve(case, project_id="p"))) == "project:p"
    assert str(case_payer(ds, attrs.evolve(case, project_id="p", fund_id="heart"))) == "fund:heart"
    assert case_payer(Dataset(), case) is None


def test_an_unpaid_case_or_an_unknown_payer_implies_no_flow() -> None:
    ds = Dataset(
        cases=(served(program_id="aid"), attrs.evolve(served(), id="c2", paid=Money("0")),
               attrs.evolve(served(), id="c3", paid=Money("10"))),
        distributions=(handout(),),
    )  # fmt: skip
    assert aid_flows(ds) == ()
    assert [f.rule for f in ds.validate().where(rule="events.")] == [
        "events.flow-missing", "events.flow-missing",
    ]  # fmt: skip


def test_a_record_a_flow_stands_for_implies_no_flow_of_its_own() -> None:
    by_hand = (
        Flow(id="pack", source=Party.fund("general"), destination=Party.household("h1"),
             amount=Money("300"), on=D, kind=FlowKind.DISBURSEMENT,
             origin=Origin(collection="distributions", id="d1")),
        Flow(id="bill", source=Party.fund("heart"), destination=Party.case("c1"),
             amount=Money("10"), on=D, kind=FlowKind.DISBURSEMENT),
    )  # fmt: skip
    assert records_paid_by(by_hand) == {("distributions", "d1"), ("cases", "c1")}
    ds = Dataset(
        distributions=(handout(fund_id="general"),),
        cases=(attrs.evolve(served(), paid=Money("10"), fund_id="heart"),),
        flows=by_hand,
    )
    assert aid_flows(ds) == ()
    assert [f.id for f in dataset_flows(ds)] == ["pack", "bill"]
    assert aid_flows(ds, covered_by=()) != ()


def test_every_money_event_collection_is_one_the_ledger_reads() -> None:
    assert EVENT_COLLECTIONS == (
        "donations", "distributions", "cases", "loans", "repayments", "write_offs",
    )  # fmt: skip
    assert set(EVENT_COLLECTIONS) <= set(Dataset.collection_types())


# -- the ledger of a dataset -------------------------------------------------------------------


def test_the_dataset_ledger_holds_every_flow_and_is_new_each_time() -> None:
    ds = everything()
    ledger = dataset_ledger(ds)
    assert set(ledger.flows) == set(dataset_flows(ds))
    assert ledger.balance(FUND.party) == Money("14000")  # 20,000 seed - 8,000 + 2,000 repaid
    assert ledger.balance(LOAN.party) == Money("0")  # 6,000 written off
    assert dataset_ledger(ds) is not ledger
    assert dataset_ledger(ds, currency="USD").currency == "USD"


def test_a_dataset_keeps_one_ledger_and_every_way_to_ask_for_it_shares_it() -> None:
    ds = everything()
    ledger = ds.ledger()
    assert ledger is ds.ledger()
    assert Ledger.from_dataset(ds) is ledger
    assert revolving_ledger(ds) is ledger
    assert ds.derived("ledger", Ledger.from_dataset) is ledger
    assert ledger.flows == dataset_ledger(ds).flows


def test_a_rule_that_asks_for_the_ledger_first_still_shares_it() -> None:
    # The idiom of the figures: dataset.derived("ledger", Ledger.from_dataset).
    ds = everything()
    first = ds.derived("ledger", Ledger.from_dataset)
    assert ds.ledger() is first


def test_the_ledger_of_a_dataset_in_another_currency_has_the_same_flows() -> None:
    ds = everything()
    usd = Ledger.from_dataset(ds, currency="USD")
    assert usd.currency == "USD"
    assert usd is not ds.ledger()
    assert usd.flows == ds.ledger().flows


def test_a_subclass_of_ledger_gets_a_ledger_of_its_own_class() -> None:
    class Books(Ledger):
        pass

    books = Books.from_dataset(everything())
    assert type(books) is Books


@attrs.frozen
class Source:
    """A record source of one's own: a Dataset inside, its ledger built by dataset_ledger."""

    inner: Dataset
    cache: dict[str, Any] = attrs.field(factory=dict)

    def collection_types(self) -> dict[str, type]:
        return self.inner.collection_types()

    def records(self, name: str, *, missing_ok: bool = False) -> tuple[Any, ...]:
        return self.inner.records(name, missing_ok=missing_ok)

    def index(self, name: str, *, missing_ok: bool = False) -> Mapping[str, Any]:
        return self.inner.index(name, missing_ok=missing_ok)

    def get(self, name: str, id: str) -> Any | None:
        return self.inner.get(name, id)

    def derived(self, key: str, make: Callable[[Any], T]) -> T:
        if key not in self.cache:
            self.cache[key] = make(self)
        result: T = self.cache[key]
        return result

    def ledger(self) -> Ledger:
        return self.derived("ledger", dataset_ledger)


def test_a_record_source_of_ones_own_builds_its_ledger_with_dataset_ledger() -> None:
    source = Source(everything())
    assert isinstance(source, humanaid.RecordSource)
    assert Ledger.from_dataset(source) is source.ledger()
    assert source.ledger().flows == everything().ledger().flows
    assert revolving_ledger(source) is source.ledger()


# -- layers: funds and revolving import nothing above the domain ---------------------------------

SRC = Path(humanaid.__file__).resolve().parent

# DESIGN.md's layers above the domain: the dataset and its rules, the figures, the
# exchange formats, the testing strategies and the face (the package's __init__).
ABOVE_THE_DOMAIN = (
    "humanaid.dataset", "humanaid.ledger", "humanaid.rules", "humanaid.aggregate",
    "humanaid.reach", "humanaid.summaries", "humanaid.report", "humanaid.table",
    "humanaid.serialize", "humanaid.io", "humanaid.excel", "humanaid.store",
    "humanaid.schema", "humanaid.interop", "humanaid.testing", "humanaid.cli",
    "humanaid.__main__",
)  # fmt: skip


def _is_module(name: str) -> bool:
    parts = name.split(".")[1:]
    path = SRC.joinpath(*parts)
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_in(source: str, package: str) -> set[str]:
    """Every humanaid module ``source`` imports: at the top, in a function or for typing.

    ``package`` is the package the source's module is in (for relative imports).
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _is_module(candidate) else base)
    return {name for name in found if name == "humanaid" or name.startswith("humanaid.")}


def imports_of(path: Path) -> set[str]:
    package = ".".join(("humanaid", *path.relative_to(SRC).parent.parts))
    return imports_in(path.read_text(encoding="utf-8"), package)


def above_the_domain(module: str) -> bool:
    if module == "humanaid" or module.startswith("humanaid._testing"):
        return True  # the face, or the strategies behind humanaid.testing
    return any(module == m or module.startswith(m + ".") for m in ABOVE_THE_DOMAIN)


DOMAIN_FILES = [SRC / "funds.py", *sorted((SRC / "revolving").glob("*.py"))]


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.relative_to(SRC).as_posix())
def test_funds_and_revolving_import_nothing_above_the_domain(path: Path) -> None:
    assert [m for m in sorted(imports_of(path)) if above_the_domain(m)] == []


def test_funds_does_not_import_revolving_which_builds_on_it() -> None:
    assert not any(m.startswith("humanaid.revolving") for m in imports_of(SRC / "funds.py"))


def test_the_import_check_sees_lazy_and_typing_imports() -> None:
    text = (
        "from typing import TYPE_CHECKING\n"
        "from humanaid import _gc, Money\n"
        "from . import books\n"
        "if TYPE_CHECKING:\n    from humanaid.dataset import Dataset\n"
        "def f():\n    import humanaid.ledger\n    from ..rules import funds\n"
    )
    found = imports_in(text, "humanaid.revolving")
    assert found == {
        "humanaid", "humanaid._gc", "humanaid.revolving.books", "humanaid.dataset",
        "humanaid.ledger", "humanaid.rules.funds",
    }  # fmt: skip
    assert sorted(m for m in found if above_the_domain(m)) == [
        "humanaid", "humanaid.dataset", "humanaid.ledger", "humanaid.rules.funds",
    ]  # fmt: skip


# -- undoing and retrying money events (issue 18) ----------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from humanaid import (  # noqa: E402
    BalanceAssertion,
    OrgKind,
    Refund,
    Reversal,
    booked_donations,
    booked_refunds,
    fundraising_summary,
    latest_loan_states,
    not_booked,
    portfolio_report,
    year_at_a_glance,
)
from humanaid.testing import donations, event_datasets  # noqa: E402

_END = date(2021, 12, 31)


def _dataset(**collections: Iterable[Any]) -> Dataset:
    """A dataset of these records (lists welcome: ``Dataset.add`` takes any iterable)."""
    return Dataset().add(**collections)


def _figures(ds: Dataset) -> dict[str, Any]:
    """Every balance, schedule and figure a change to the records could move."""
    ledger = ds.ledger()
    out: dict[str, Any] = {
        "balances": {p: ledger.balance(p) for p in ledger.parties()},
        "lowest": {p: ledger.lowest_balance(p) for p in ledger.parties()},
        "loans": dict(latest_loan_states(ds)),
        "raised": fundraising_summary(ds, by=()).rows,
        "by year": fundraising_summary(ds, by="channel", granularity="year").rows,
    }
    glance = year_at_a_glance(ds, 2020, organization_id="society")
    out["year"] = (glance.raised, glance.put_in, glance.brought_in, glance.gifts, glance.donors)
    if ds.loans:
        out["portfolio"] = portfolio_report(ds, "seed", as_of=_END)
    return out


@st.composite
def _an_event(draw: st.DrawFn, ds: Dataset) -> tuple[str, Any]:
    """A flow, a repayment of one of the loans, or a refund of one of the gifts."""
    kinds = ["flows"] + (["repayments"] if ds.loans else []) + (["refunds"] if ds.donations else [])
    kind = draw(st.sampled_from(kinds))
    day = date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 600)))
    amount = Money(draw(st.integers(1, 10**7)), "CNY").multiply(Decimal("0.01"))
    if kind == "flows":
        src, dst = draw(
            st.sampled_from(
                [
                    (Party.organization("province"), Party.fund("general")),
                    (Party.fund("general"), Party.household("home-1")),
                    (Party.fund("relief"), Party.fund("general")),
                ]
            )
        )
        return kind, Flow(
            id="wrong", source=src, destination=dst, amount=amount, on=day, kind=FlowKind.ALLOCATION
        )
    if kind == "repayments":
        loan = draw(st.sampled_from(ds.loans))
        day = max(day, loan.disbursed_on)
        return kind, Repayment(id="wrong", loan_id=loan.id, paid_on=day, amount=amount)
    gift = draw(st.sampled_from(ds.donations))
    return kind, Refund(
        id="wrong",
        donation_id=gift.id,
        on=max(day, gift.received_on),
        amount=min(amount, gift.value),
        reason="asked",
    )


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_an_event_and_its_reversal_leave_every_balance_schedule_and_figure_as_before(
    data: st.DataObject,
) -> None:
    ds = data.draw(event_datasets(by_hand=False))
    collection, event = data.draw(_an_event(ds))
    undo = Reversal(
        id="undo",
        collection=collection,
        record_id="wrong",
        on=date(2022, 1, 5),
        reason="entered by mistake",
    )
    undone = ds.add(**{collection: [event]}, reversals=[undo])
    assert not_booked(undone) == {(collection, "wrong"): "reversed by undo"}
    assert _figures(undone) == _figures(ds)
    # and the event alone does move something
    if collection != "repayments":
        moved = ds.add(**{collection: [event]})
        assert _figures(moved)["balances"] != _figures(ds)["balances"]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_duplicate_transaction_ref_never_changes_any_figure(data: st.DataObject) -> None:
    ds = data.draw(event_datasets(by_hand=False))
    collection = data.draw(
        st.sampled_from([c for c in ("donations", "repayments") if getattr(ds, c)] or ["flows"])
    )
    first = data.draw(st.sampled_from(getattr(ds, collection)))
    numbered = attrs.evolve(first, transaction_ref="BANK-1")
    renumbered = tuple(numbered if r is first else r for r in getattr(ds, collection))
    ds = attrs.evolve(ds, **{collection: renumbered})  # type: ignore[arg-type]
    day = (
        "received_on" if collection == "donations" else "on" if collection == "flows" else "paid_on"
    )
    later = getattr(first, day) + timedelta(days=data.draw(st.integers(0, 30)))
    again = attrs.evolve(numbered, id="~again", **{day: later})
    twice = ds.add(**{collection: [again]})
    assert not_booked(twice) == {(collection, "~again"): f"duplicate of {first.id}"}
    assert _figures(twice) == _figures(ds)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_a_refund_lowers_raised_on_its_own_day_by_its_amount(data: st.DataObject) -> None:
    ds = data.draw(event_datasets(by_hand=False).filter(lambda d: bool(d.donations)))
    gift = data.draw(st.sampled_from(ds.donations))
    amount = Money(data.draw(st.integers(1, gift.value.minor_units)), "CNY").multiply(
        Decimal("0.01")
    )
    on = date(2021, data.draw(st.integers(1, 12)), 1)  # the gifts are all of 2020
    refund = Refund(id="rf", donation_id=gift.id, on=on, amount=amount, reason="asked")
    after = ds.add(refunds=[refund])
    assert booked_refunds(after) == ((refund, gift),)
    for year, lowered in ((2020, Money.zero()), (2021, amount)):
        (before_row,) = fundraising_summary(ds, year, by=())
        (after_row,) = fundraising_summary(after, year, by=())
        assert after_row["raised"] == before_row["raised"] - lowered
    held = Party.fund(gift.fund_id) if gift.fund_id else Party.organization("society")
    assert after.ledger().balance(held) == ds.ledger().balance(held) - amount
    assert after.ledger().balance(held, on - timedelta(days=1)) == ds.ledger().balance(
        held, on - timedelta(days=1)
    )
    assert year_at_a_glance(after, 2021, organization_id="society").refunds == amount
    assert (
        year_at_a_glance(after, 2020, organization_id="society").raised
        == year_at_a_glance(ds, 2020, organization_id="society").raised
    )


def test_gifts_entered_twice_are_booked_once_and_reported() -> None:
    gifts = [
        Donation(
            id=g,
            organization_id="rc",
            received_on=date(2021, 1, d),
            value=Money("100"),
            transaction_ref="WX-1",
        )
        for g, d in (("g2", 5), ("g1", 5), ("g3", 6))
    ]
    ds = _dataset(donations=gifts)
    assert [g.id for g in booked_donations(ds)] == ["g1"]
    assert not_booked(ds) == {
        ("donations", "g2"): "duplicate of g1",
        ("donations", "g3"): "duplicate of g1",
    }
    assert ds.ledger().balance(Party.organization("rc")) == Money("100")


def test_a_refund_before_its_gift_or_in_another_currency_is_left_out_of_the_books() -> None:
    gift = Donation(id="g1", organization_id="rc", received_on=date(2021, 1, 5), value=Money("100"))
    early = Refund(id="r1", donation_id="g1", on=date(2021, 1, 4), amount=Money("10"), reason="x")
    dollars = Refund(
        id="r2", donation_id="g1", on=date(2021, 2, 4), amount=Money("10", "USD"), reason="x"
    )
    unknown = Refund(id="r3", donation_id="g9", on=date(2021, 2, 4), amount=Money("10"), reason="x")
    ds = _dataset(donations=[gift], refunds=[early, dollars, unknown])
    assert booked_refunds(ds) == ()
    assert [f.id for f in ds.ledger().flows] == ["donation:g1"]


def test_a_flow_of_flows_that_pays_a_refund_stands_for_it() -> None:
    gift = Donation(id="g1", organization_id="rc", received_on=date(2021, 1, 5), value=Money("100"))
    back = Refund(id="r1", donation_id="g1", on=date(2021, 2, 4), amount=Money("10"), reason="x")
    paid = Flow(
        id="bank-9",
        source=Party.organization("rc"),
        destination=Party.outside("anonymous"),
        amount=Money("10"),
        on=date(2021, 2, 4),
        kind=FlowKind.REFUND,
        origin=Origin(collection="refunds", id="r1"),
    )
    ds = _dataset(donations=[gift], refunds=[back], flows=[paid])
    assert sorted(f.id for f in ds.ledger().flows) == ["bank-9", "donation:g1"]


def test_a_balance_assertion_is_a_record_of_the_dataset() -> None:
    a = BalanceAssertion(
        id="b1", fund_id="general", on=date(2021, 1, 1), expected=Money("-5"), source="bank"
    )
    assert _dataset(balance_assertions=[a]).get("balance_assertions", "b1") == a


# -- derived flows are made without validating them again, and are valid all the same --------


@settings(max_examples=30)
@given(ds=event_datasets(by_hand=False))
def test_derived_flows_are_the_flows_the_validating_constructor_makes(ds: Dataset) -> None:
    from humanaid.ledger import dataset_flows

    for flow in dataset_flows(ds):
        fields = {a.name: getattr(flow, a.name) for a in attrs.fields(Flow)}
        assert Flow(**fields) == flow


def test_a_case_paid_by_its_own_hospital_is_refused_as_the_flow_would_be() -> None:
    from humanaid import Case, Organization, Program
    from humanaid.errors import FieldValueError
    from humanaid.ledger import dataset_flows

    c = Case.refer(id="c1", kind="medical", person_id="p1", hospital_id="h",
                   on=date(2020, 3, 2), program_id="care")  # fmt: skip
    c = c.advance("screened", on=date(2020, 3, 5)).advance("assessed", on=date(2020, 3, 9))
    c = c.advance("approved", on=date(2020, 3, 12), approved=Money("100"))
    c = c.advance("in_treatment", on=date(2020, 4, 1), paid=Money("100"))
    ds = _dataset(
        organizations=[Organization(id="h", name="hospital", kind=OrgKind.HOSPITAL)],
        programs=[Program(id="care", name="care", organization_id="h")],
        cases=[c],
    )
    with pytest.raises(FieldValueError, match="must differ from 'source'"):
        dataset_flows(ds)


# -- a million gifts' flows in one loop ---------------------------------------------------


@given(
    st.lists(donations() | donations(forms=[DonationForm.IN_KIND]), max_size=8),
    st.sets(st.integers(0, 7)),
)
def test_gift_flows_of_many_donations_equal_each_donations_own_flows(
    gifts: list[Donation], covered_at: set[int]
) -> None:
    from humanaid.funds import _gift_flows

    gifts = [attrs.evolve(g, id=f"g{i % 5}") for i, g in enumerate(gifts)]  # ids repeat
    covered = {gifts[i].id for i in covered_at if i < len(gifts)}
    expected = [f for g in gifts if g.id not in covered for f in donation_flows(g)]
    assert _gift_flows(gifts, covered=covered) == expected


def test_a_dataset_dropped_after_its_ledger_and_validation_is_freed() -> None:
    # A ledger or a validation once froze what it built out of the collector's way
    # (gc.freeze): with it went every garbage cycle then alive, and a program that
    # validated big datasets in turn grew by each one it had dropped (120 MB a round of
    # 131,000 records; it froze from 100,000). Nothing is frozen now, and a dropped
    # dataset is freed.
    import gc
    import weakref

    frozen = gc.get_freeze_count()
    ds = _dataset(donations=[attrs.evolve(GIFT, id=f"g{i}") for i in range(100_000)])
    ds.ledger()
    ds.validate()
    gone = weakref.ref(ds)
    del ds
    gc.collect()
    assert gone() is None
    assert gc.get_freeze_count() == frozen


@given(st.lists(st.tuples(donations(), st.sampled_from(["T1", "T2", "T3", None])), max_size=10))
def test_duplicates_found_among_gifts_sharing_a_number_are_those_found_among_all(
    drawn: list[tuple[Donation, str | None]],
) -> None:
    from humanaid import duplicate_transactions
    from humanaid.ledger import _sharing_a_ref

    gifts = [attrs.evolve(g, id=f"g{i}", transaction_ref=ref) for i, (g, ref) in enumerate(drawn)]
    day = operator.attrgetter("received_on")
    assert duplicate_transactions(_sharing_a_ref(gifts), day=day) == duplicate_transactions(
        gifts, day=day
    )
