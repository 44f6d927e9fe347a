"""Counting money once: the laws of counting by crossing, over generated books.

* **wiring invariance**: the same events, wired through the society or straight to its
  project (or its households), give the same year at a glance, to the fen;
* **boundaries nest**: for any split of an organisation tree, the whole's raised is the
  parts' raised; its brought in is the parts' brought in less what the parts sent each
  other; its put in is the parts' put in less what the parts put into each other's
  projects;
* **one classification**: every boundary's totals are the sums of :func:`classify_flow`
  over the ledger, and what entered and left by kind accounts for every crossing.
"""

from __future__ import annotations

import importlib.util
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from humanaid import (
    Boundary,
    BoundaryTotals,
    Crossing,
    Dataset,
    Flow,
    FlowKind,
    Fund,
    Ledger,
    Money,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    PartyKind,
    Period,
    Program,
    Project,
    ProjectKind,
    classify_flow,
    year_at_a_glance,
)
from humanaid.testing import organization_splits, rewired_books, society_books

SOCIETY = "society"
YEARS = (2019, 2020, 2021)
SPAN = Period.parse("2019-01-01/2021-12-31")
GIVING = frozenset({FlowKind.DONATION, FlowKind.GRANT, FlowKind.ALLOCATION, FlowKind.DISBURSEMENT})


# -- wiring invariance -------------------------------------------------------------------------


def _figures(dataset: Dataset, period: int | Period) -> tuple[object, ...]:
    """Every figure of the society's year at a glance (not the findings about its records,
    which name the flows, and so differ with the wiring)."""
    y = year_at_a_glance(dataset, period, organization_id=SOCIETY)
    return (
        y.period,
        y.currency,
        y.put_in,
        y.brought_in,
        y.raised,
        y.gifts,
        y.donors,
        y.projects_built,
        y.reach,
    )


@settings(max_examples=60, deadline=None)
@given(rewired_books(society_id=SOCIETY))
def test_wiring_invariance(pair: tuple[Dataset, Dataset]) -> None:
    through, straight = pair
    for period in (*YEARS, SPAN):
        assert _figures(through, period) == _figures(straight, period)
    a = through.ledger().totals(Boundary.organization(through, SOCIETY))
    b = straight.ledger().totals(Boundary.organization(straight, SOCIETY))
    assert (a.raised, a.brought_in, a.put_in) == (b.raised, b.brought_in, b.put_in)


# -- boundaries nest ---------------------------------------------------------------------------


def _tree_ids(dataset: Dataset) -> list[str]:
    inside = Boundary.organization(dataset, SOCIETY).parties
    return sorted(p.id for p in inside if p.kind is PartyKind.ORGANIZATION)


def _parts_of(
    dataset: Dataset, parts: tuple[frozenset[str], ...]
) -> tuple[dict[Party, int], dict[Party, int]]:
    """Which part's books (organisations, funds) and work (projects, seed funds) a party is in."""
    part = {org: n for n, ids in enumerate(parts) for org in ids}
    books: dict[Party, int] = {Party.organization(o): n for o, n in part.items()}
    books |= {
        Party.fund(f.id): part[f.organization_id]
        for f in dataset.funds
        if f.organization_id in part
    }
    work: dict[Party, int] = {
        p.party: part[p.organization_id] for p in dataset.projects if p.organization_id in part
    }
    owner = dict(work)
    work |= {
        r.party: owner[Party.project(r.project_id)]
        for r in dataset.revolving_funds
        if Party.project(r.project_id) in owner
    }
    return books, work


def _sum(totals: list[BoundaryTotals], figure: str) -> Money:
    return Money.total((getattr(t, figure) for t in totals), "CNY")


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_boundaries_nest(data: st.DataObject) -> None:
    dataset = data.draw(society_books(society_id=SOCIETY))
    parts = data.draw(organization_splits(_tree_ids(dataset), max_parts=4))
    period = data.draw(st.sampled_from([None, *(Period.year(y) for y in YEARS)]))
    ledger = dataset.ledger()
    whole = ledger.totals(Boundary.organization(dataset, SOCIETY), period)
    pieces = [ledger.totals(Boundary.organizations(dataset, ids), period) for ids in parts]
    books, work = _parts_of(dataset, parts)
    sent = put = moved = Decimal(0)
    for f in ledger.flows:
        if period is not None and f.on not in period:
            continue
        a = books.get(f.source)
        b = books.get(f.destination, work.get(f.destination))
        if a is None or b is None or a == b:
            continue
        if f.destination in books:
            moved += f.amount.amount  # between the parts' books: inside the whole
        if f.kind in GIVING:
            sent += f.amount.amount  # the receiving part brought it in
            if f.destination in work:
                put += f.amount.amount  # ... and put it into its project
    assert whole.raised == _sum(pieces, "raised")
    assert whole.brought_in == _sum(pieces, "brought_in") - Money(sent)
    assert whole.put_in == _sum(pieces, "put_in") - Money(put)
    assert whole.total_inside == _sum(pieces, "total_inside") + Money(moved)


# -- one classification ------------------------------------------------------------------------


def _boundaries(dataset: Dataset) -> list[Boundary]:
    tree = _tree_ids(dataset)
    return [
        *(Boundary.organization(dataset, o) for o in tree),
        *(Boundary.organization(dataset, o, include_children=False) for o in tree),
        *(Boundary.project(dataset, p.id) for p in dataset.projects),
        *(Boundary.project(dataset, p.id, revolving_funds=False) for p in dataset.projects),
        *(Boundary.fund(dataset, f.id) for f in dataset.funds),
    ]


@settings(max_examples=40, deadline=None)
@given(society_books(society_id=SOCIETY), st.sampled_from([None, *(Period.year(y) for y in YEARS)]))
def test_totals_are_the_sums_of_the_one_classification(
    dataset: Dataset, period: Period | None
) -> None:
    ledger = dataset.ledger()
    for boundary in _boundaries(dataset):
        t = ledger.totals(boundary, period)
        by_hand: dict[Crossing, Decimal] = defaultdict(Decimal)
        for f in ledger.flows:
            if period is None or f.on in period:
                for member in classify_flow(f, boundary):
                    by_hand[member] += f.amount.amount
        assert {k: v.amount for k, v in t.crossings.items() if k is not Crossing.OUTSIDE} == {
            k: v for k, v in by_hand.items() if k is not Crossing.OUTSIDE
        }
        assert t.raised + t.brought_in + t.other_in == t.total_entered + t.total_through
        assert t.put_in + t.other_out == t.total_left + t.total_through
        assert t.crossings.get(Crossing.INTERNAL, Money.zero()) == t.total_inside


# -- the rules, one by one ---------------------------------------------------------------------

D = date(2020, 6, 1)
ORGS = (
    Organization(id="province", name="省红会", level=OrgLevel.PROVINCE),
    Organization(id="city", name="市红会", level=OrgLevel.CITY, parent_id="province"),
    Organization(id="county", name="县红会", level=OrgLevel.COUNTY, parent_id="city"),
    Organization(id="peer", name="邻市红会", level=OrgLevel.CITY, parent_id="province"),
    Organization(id="fdn", name="基金会", kind=OrgKind.FOUNDATION),
    Organization(id="gov", name="县政府", kind=OrgKind.GOVERNMENT),
    Organization(id="acme", name="企业", kind=OrgKind.ENTERPRISE),
    Organization(id="fuwai", name="医院", kind=OrgKind.HOSPITAL),
    Organization(id="shop", name="爱心超市", kind=OrgKind.OTHER),
    Organization(id="qsc", name="平台", kind=OrgKind.PLATFORM),
)
CITY_FUND, COUNTY_FUND = Party.fund("city-fund"), Party.fund("county-fund")
WORLD = Dataset(
    organizations=ORGS,
    funds=(
        Fund(id="city-fund", name="city", organization_id="city"),
        Fund(id="county-fund", name="county", organization_id="county"),
        Fund(id="peer-fund", name="peer", organization_id="peer"),
    ),
    programs=(Program(id="jiayuan", name="博爱家园", organization_id="city"),),
    projects=(
        Project(id="village", name="青云村", kind=ProjectKind.COMMUNITY_RESILIENCE,
                organization_id="county", period=Period.year(2020), budget=Money("1000"),
                program_id="jiayuan"),
        Project(id="elsewhere", name="邻村", kind=ProjectKind.COMMUNITY_RESILIENCE,
                organization_id="peer", period=Period.year(2020), budget=Money("1000")),
    ),
)  # fmt: skip
VILLAGE = Party.project("village")


def flow(src: Party, dst: Party, kind: FlowKind = FlowKind.GRANT) -> Flow:
    return Flow(id="f", source=src, destination=dst, amount=Money("100"), on=D, kind=kind)


CITY = Boundary.organization(WORLD, "city")
COUNTY = Boundary.organization(WORLD, "county")
CITY_ALONE = Boundary.organization(WORLD, "city", include_children=False)


@pytest.mark.parametrize(
    ("boundary", "src", "dst", "kind", "expected"),
    [
        # raised: donors, the anonymous giver, platforms, the outside giving
        (CITY, Party.donor("d"), CITY_FUND, FlowKind.DONATION, Crossing.RAISED),
        (CITY, Party.donor("d"), CITY_FUND, FlowKind.GRANT, Crossing.RAISED),
        (CITY, Party.outside("anonymous"), CITY_FUND, FlowKind.DONATION, Crossing.RAISED),
        (CITY, Party.organization("qsc"), CITY_FUND, FlowKind.ALLOCATION, Crossing.RAISED),
        (CITY, Party.outside("轻松筹"), CITY_FUND, FlowKind.DONATION, Crossing.RAISED),
        # brought in: any other organisation or government, whatever the tag
        (CITY, Party.organization("province"), CITY_FUND, FlowKind.GRANT, Crossing.BROUGHT_IN),
        (CITY, Party.organization("province"), CITY_FUND, FlowKind.ALLOCATION,
         Crossing.BROUGHT_IN),
        (CITY, Party.organization("fdn"), CITY_FUND, FlowKind.DONATION, Crossing.BROUGHT_IN),
        (CITY, Party.organization("acme"), CITY_FUND, FlowKind.DISBURSEMENT, Crossing.BROUGHT_IN),
        (CITY, Party.fund("peer-fund"), CITY_FUND, FlowKind.ALLOCATION, Crossing.BROUGHT_IN),
        (CITY, Party.outside(), CITY_FUND, FlowKind.GRANT, Crossing.BROUGHT_IN),
        (COUNTY, CITY_FUND, COUNTY_FUND, FlowKind.ALLOCATION, Crossing.BROUGHT_IN),
        # internal
        (CITY, CITY_FUND, COUNTY_FUND, FlowKind.ALLOCATION, Crossing.INTERNAL),
        (CITY, CITY_FUND, COUNTY_FUND, FlowKind.DISBURSEMENT, Crossing.INTERNAL),
        # put in: projects, cases, households, persons, loans, providers
        (CITY, CITY_FUND, VILLAGE, FlowKind.ALLOCATION, Crossing.PUT_IN),
        (CITY, CITY_FUND, Party.project("elsewhere"), FlowKind.GRANT, Crossing.PUT_IN),
        (CITY, COUNTY_FUND, Party.household("h"), FlowKind.DISBURSEMENT, Crossing.PUT_IN),
        (CITY, COUNTY_FUND, Party.household("h"), FlowKind.DONATION, Crossing.PUT_IN),
        (CITY, CITY_FUND, Party.case("c"), FlowKind.DISBURSEMENT, Crossing.PUT_IN),
        (CITY, CITY_FUND, Party.organization("fuwai"), FlowKind.DISBURSEMENT, Crossing.PUT_IN),
        (CITY, CITY_FUND, Party.organization("shop"), FlowKind.DISBURSEMENT, Crossing.PUT_IN),
        (CITY, CITY_FUND, Party.outside("suppliers"), FlowKind.DISBURSEMENT, Crossing.PUT_IN),
        (CITY, CITY_FUND, Party.loan("l"), FlowKind.LOAN_DISBURSEMENT, Crossing.PUT_IN),
        # straight from outside into the boundary's own project: as if through it
        (CITY, Party.organization("province"), VILLAGE, FlowKind.GRANT,
         Crossing.BROUGHT_IN | Crossing.PUT_IN),
        (CITY, Party.donor("d"), VILLAGE, FlowKind.DONATION, Crossing.RAISED | Crossing.PUT_IN),
        (CITY, Party.household("h"), VILLAGE, FlowKind.DONATION, Crossing.OUTSIDE),
        (CITY, Party.organization("province"), VILLAGE, FlowKind.INTEREST, Crossing.OUTSIDE),
        (CITY, VILLAGE, Party.household("h"), FlowKind.DISBURSEMENT, Crossing.OUTSIDE),
        (CITY_ALONE, Party.organization("province"), VILLAGE, FlowKind.GRANT, Crossing.OUTSIDE),
        # other crossings: costs, fees, refunds, repayments, interest, money passed on
        (CITY, CITY_FUND, Party.outside("rent"), FlowKind.ADMIN_EXPENSE, Crossing.OTHER_OUT),
        (CITY, CITY_FUND, Party.outside("qsc"), FlowKind.FUNDRAISING_COST, Crossing.OTHER_OUT),
        (CITY, CITY_FUND, Party.donor("d"), FlowKind.REFUND, Crossing.OTHER_OUT),
        (CITY, CITY_FUND, Party.donor("d"), FlowKind.DONATION, Crossing.OTHER_OUT),
        (CITY, CITY_FUND, Party.organization("peer"), FlowKind.GRANT, Crossing.OTHER_OUT),
        (CITY, CITY_FUND, Party.fund("peer-fund"), FlowKind.DISBURSEMENT, Crossing.OTHER_OUT),
        (CITY, CITY_FUND, Party.outside(), FlowKind.GRANT, Crossing.OTHER_OUT),
        (CITY_ALONE, CITY_FUND, COUNTY_FUND, FlowKind.ALLOCATION, Crossing.OTHER_OUT),
        (CITY, VILLAGE, CITY_FUND, FlowKind.REFUND, Crossing.OTHER_IN),
        (CITY, VILLAGE, CITY_FUND, FlowKind.ALLOCATION, Crossing.OTHER_IN),
        (CITY, Party.household("h"), CITY_FUND, FlowKind.DONATION, Crossing.OTHER_IN),
        (CITY, Party.outside("bank"), CITY_FUND, FlowKind.INTEREST, Crossing.OTHER_IN),
        (CITY, Party.organization("province"), CITY_FUND, FlowKind.LOAN_DISBURSEMENT,
         Crossing.OTHER_IN),
        (CITY, Party.organization("province"), CITY_FUND, FlowKind.REFUND, Crossing.OTHER_IN),
        # nothing to do with the boundary
        (CITY, Party.donor("d"), Party.fund("peer-fund"), FlowKind.DONATION, Crossing.OUTSIDE),
        (COUNTY, CITY_FUND, Party.household("h"), FlowKind.DISBURSEMENT, Crossing.OUTSIDE),
    ],
)  # fmt: skip
def test_where_money_crosses_decides_how_it_counts(
    boundary: Boundary, src: Party, dst: Party, kind: FlowKind, expected: Crossing
) -> None:
    assert classify_flow(flow(src, dst, kind), boundary) == expected


def test_a_project_boundary_counts_its_seed_fund_s_loans_as_put_in() -> None:
    from humanaid import LendingTerms, RepaymentMethod, RevolvingFund

    terms = LendingTerms(term_months=12, method=RepaymentMethod.EQUAL_PRINCIPAL)
    seed = RevolvingFund(id="seed", name="seed", project_id="village", area_id="v", terms=terms)
    ds = WORLD.add(revolving_funds=[seed])
    b = Boundary.project(ds, "village")
    assert b.parties == {VILLAGE, seed.party}
    assert classify_flow(flow(VILLAGE, seed.party, FlowKind.GRANT), b) is Crossing.INTERNAL
    assert classify_flow(flow(COUNTY_FUND, VILLAGE), b) is Crossing.BROUGHT_IN
    loan = flow(seed.party, Party.loan("l1"), FlowKind.LOAN_DISBURSEMENT)
    assert classify_flow(loan, b) is Crossing.PUT_IN
    back = flow(Party.loan("l1"), seed.party, FlowKind.LOAN_REPAYMENT)
    assert classify_flow(back, b) is Crossing.OTHER_IN
    assert Boundary.project(ds, "village", revolving_funds=False).parties == {VILLAGE}
    assert seed.party in Boundary.organization(ds, "city").work


def test_a_programme_holds_its_projects_and_a_fund_stands_alone() -> None:
    assert Boundary.program(WORLD, "jiayuan").parties == {VILLAGE}
    fund = Boundary.fund(WORLD, "county-fund")
    assert fund.parties == {COUNTY_FUND}
    assert classify_flow(flow(Party.organization("county"), COUNTY_FUND), fund) is (
        Crossing.BROUGHT_IN
    )
    assert Party.organization("fuwai") in fund.providers
    for make, id_ in (
        (Boundary.fund, "nope"),
        (Boundary.project, "nope"),
        (Boundary.program, "nope"),
    ):
        with pytest.raises(KeyError, match="'nope'"):
            make(WORLD, id_)
    with pytest.raises(ValueError, match="at least one"):
        Boundary.organizations(WORLD, [])


def test_crossing_in_and_out_are_the_halves_of_the_classification() -> None:
    assert CITY.crossing_in(CITY_FUND, FlowKind.GRANT) is Crossing.INTERNAL
    assert CITY.crossing_in(Party.organization("qsc"), FlowKind.GRANT) is Crossing.RAISED
    assert CITY.crossing_out(Party.organization("fuwai"), FlowKind.GRANT) is Crossing.PUT_IN
    assert CITY.crossing_out(Party.organization("peer"), FlowKind.GRANT) is Crossing.OTHER_OUT
    assert CITY.crossing_out(COUNTY_FUND, FlowKind.GRANT) is Crossing.INTERNAL


# -- the cases of issue 15 ---------------------------------------------------------------------


def _ledger(*flows: tuple[str, Party, Party, str, FlowKind]) -> Ledger:
    return Ledger(
        Flow(id=i, source=s, destination=d, amount=Money.parse(a), on=D, kind=k)
        for i, s, d, a, k in flows
    )


def test_the_same_provincial_grant_wired_two_ways_gives_the_same_headlines() -> None:
    province = Party.organization("province")
    through = _ledger(
        ("g", province, CITY_FUND, "138万元", FlowKind.GRANT),
        ("p", CITY_FUND, COUNTY_FUND, "138万元", FlowKind.ALLOCATION),
        ("d", COUNTY_FUND, VILLAGE, "138万元", FlowKind.DISBURSEMENT),
    )
    straight = _ledger(("g", province, VILLAGE, "138万元", FlowKind.GRANT))
    for ledger in (through, straight):
        t = ledger.totals(CITY, Period.year(2020))
        assert (t.brought_in, t.put_in) == (Money.parse("138万元"), Money.parse("138万元"))
    assert straight.totals(CITY).total_through == Money.parse("138万元")
    assert straight.totals(CITY).total_entered == Money.zero()  # never in the city's books


def test_a_city_s_allocation_to_its_own_branch_is_brought_in_at_the_branch() -> None:
    ledger = _ledger(
        ("a", CITY_FUND, COUNTY_FUND, "5万元", FlowKind.ALLOCATION),
        ("r", COUNTY_FUND, Party.household("h"), "3万元", FlowKind.DISBURSEMENT),
    )
    county = ledger.totals(COUNTY)
    assert (county.brought_in, county.put_in) == (Money.parse("5万元"), Money.parse("3万元"))
    city = ledger.totals(CITY)
    assert (city.brought_in, city.put_in, city.total_inside) == (
        Money.zero(),
        Money.parse("3万元"),
        Money.parse("5万元"),
    )
    alone = ledger.totals(CITY_ALONE)
    assert (alone.put_in, alone.other_out) == (Money.zero(), Money.parse("5万元"))


# -- the picture of docs/concepts/counting.rst ---------------------------------------------------


def test_the_picture_is_drawn_from_the_classification(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    picture = _picture()
    rows = dict(picture.table())
    # the city passing money down: internal to the city and the province, brought in below
    assert rows["city passes money down"] == ["internal", "internal", "brought in", ""]
    # money straight into the county's project counts as if it had passed through
    assert rows["foundation straight to the project"][:3] == ["brought in + put in"] * 3
    first, second = picture.draw(tmp_path / "a.svg"), picture.draw(tmp_path / "b.svg")
    text = first.read_text(encoding="utf-8")
    assert text.startswith("<?xml")
    assert "how each boundary counts each flow (humanaid.classify_flow)" in text
    assert first.read_bytes() == second.read_bytes()  # the same picture every build


def _picture() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "docs" / "counting_picture.py"
    spec = importlib.util.spec_from_file_location("counting_picture", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
