from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import RED_CROSS, qingyun
from checks import problems_of
from humanaid import (
    INDICATOR_CATALOGUE,
    AdminArea,
    AdminLevel,
    Boundary,
    Crossing,
    Dataset,
    Disaggregation,
    Flow,
    FlowKind,
    Fund,
    FundingShare,
    FundingSourceKind,
    FundKind,
    Indicator,
    IndicatorAggregation,
    IndicatorValue,
    InvalidInput,
    Ledger,
    Money,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    PartyKind,
    Period,
    Program,
    ProgramBatch,
    Project,
    ProjectKind,
    Sex,
    UnknownId,
    from_dict,
    from_json,
    funding_source,
    indicator_total,
    indicator_totals,
    leverage,
    program_finance,
    progress,
    project_finance,
    project_spending,
    results,
    to_json,
)
from humanaid.testing import indicator_values, money, parties, projects

YEAR = Period.year(2020)
D = date(2020, 3, 1)
RATIOS = decimal.Context(prec=34)  # ratios are taken to 34 significant digits


def ratio(a: int, b: int) -> Decimal:
    return RATIOS.divide(Decimal(a), Decimal(b))


# -- records ---------------------------------------------------------------------------------


def project(**kw: Any) -> Project:
    """The village project 青云村博爱家园 over 2020, in no programme and no area."""
    return qingyun(**{"period": YEAR, "program_id": None, "area_id": None, **kw})


def test_a_project_knows_its_plan_and_party() -> None:
    p = project(
        funding=(
            FundingShare(source=FundingSourceKind.HIGHER_LEVEL_GRANT, amount=Money("200000")),
            FundingShare(source=FundingSourceKind.COUNTY_TOWNSHIP_MATCH, amount=Money("150000")),
            FundingShare(source=FundingSourceKind.HIGHER_LEVEL_GRANT, amount=Money("50000")),
        )
    )
    assert p.party == Party.project("qingyun")
    assert p.planned == Money("400000")
    assert p.unplanned == Money("50000")
    assert p.planned_by_source() == {
        FundingSourceKind.HIGHER_LEVEL_GRANT: Money("250000"),
        FundingSourceKind.COUNTY_TOWNSHIP_MATCH: Money("150000"),
    }
    assert "青云村" in p.name


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"budget": Money("0")}, "'budget' must be positive (got 0.00 CNY)"),
        ({"kind": "village"}, "'kind' must be one of"),
        ({"status": "done"}, "'status' must be one of"),
        ({"period": "2020"}, "'period' must be a Period (got '2020')"),
        ({"batch": 0}, "'batch' must be at least 1 (got 0)"),
        ({"batch": True}, "'batch' must be an int (got True)"),
        ({"name": " "}, "'name' must not be empty"),
        ({"funding": [Money("1")]}, "'funding[0]' must be FundingShare"),
        (
            {
                "funding": (
                    FundingShare(source=FundingSourceKind.OWN_FUNDS, amount=Money("5", "USD")),
                )
            },
            "'funding[0]' must be in CNY, the budget's currency (got 5.00 USD)",
        ),
    ],
)
def test_bad_projects_are_refused_with_the_field_named(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        project(**changes)
    assert str(info.value).startswith(message)


def test_funding_shares_need_a_source_a_positive_amount_and_a_party() -> None:
    with pytest.raises(ValueError, match="'source' must be one of"):
        FundingShare(source="lottery", amount=Money("1"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'funder' must be a Party"):
        FundingShare(source=FundingSourceKind.OWN_FUNDS, amount=Money("1"), funder="org:x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="never float"):
        FundingShare(source=FundingSourceKind.OWN_FUNDS, amount=1.5)  # type: ignore[arg-type]


@given(
    total=money(min_value="0.01", max_value="100000000"),
    ratios=st.dictionaries(
        st.sampled_from(FundingSourceKind), st.integers(min_value=0, max_value=20), min_size=1
    ).filter(lambda r: any(r.values())),
)
def test_split_shares_add_up_to_the_total(
    total: Money, ratios: dict[FundingSourceKind, int]
) -> None:
    shares = FundingShare.split(total, ratios)
    assert Money.total((s.amount for s in shares), total.currency) == total
    assert {s.source for s in shares} <= {k for k, r in ratios.items() if r}


def test_a_programme_states_its_totals_and_batches() -> None:
    boai = Program(
        id="boai",
        name="博爱家园",
        organization_id="qujing",
        kind=ProjectKind.COMMUNITY_RESILIENCE,
        stated_budget=Money.parse("690万元"),
        stated_projects=16,
        stated_batches=4,
        batches=(ProgramBatch(number=1, projects=4, budget=Money.parse("172万元")),),
    )
    assert boai.kind is ProjectKind.COMMUNITY_RESILIENCE
    first = boai.batch(1)
    assert first is not None
    assert first.budget == Money("1720000")
    with pytest.raises(ValueError, match="'stated_projects' must be at least 1"):
        attrs.evolve(boai, stated_projects=0)
    with pytest.raises(ValueError, match="'budget' must be positive"):
        ProgramBatch(number=1, budget=Money("0"))


def test_indicator_values_are_exact_and_name_one_subject() -> None:
    v = IndicatorValue(
        id="v", indicator_id="x", organization_id="o", period=YEAR, value=Decimal("1E+2")
    )
    assert v.value == 100
    assert str(v.value) == "100"  # no exponent, so it travels as a plain decimal
    assert from_json(to_json(v), IndicatorValue) == v
    assert v.subject == Party.organization("o")
    with pytest.raises(TypeError, match="never a float"):
        IndicatorValue(id="v", indicator_id="x", project_id="p", period=YEAR, value=1.5)
    with pytest.raises(ValueError, match="at most 6 decimal places"):
        IndicatorValue(
            id="v", indicator_id="x", project_id="p", period=YEAR, value=Decimal("0.0000001")
        )
    with pytest.raises(ValueError, match=r"\(got both\)"):
        IndicatorValue(
            id="v", indicator_id="x", project_id="p", organization_id="o", period=YEAR, value=1
        )
    with pytest.raises(ValueError, match="'sex' must be one of 'female', 'male' or None"):
        Disaggregation(sex="other")  # type: ignore[arg-type]
    assert Disaggregation(sex=Sex.MALE, age_group="60+").dimensions == ("sex", "age_group")


def test_the_catalogue_is_immutable_and_extended_by_making_a_new_one() -> None:
    ids = [i.id for i in INDICATOR_CATALOGUE]
    assert len(ids) == len(set(ids)) == 7
    assert {
        "persons-screened",
        "operations-funded",
        "first-aiders-certified",
        "people-trained",
        "donors-registered",
        "stations-built",
        "households-reached",
    } == set(ids)
    assert isinstance(INDICATOR_CATALOGUE, tuple)
    mine = (*INDICATOR_CATALOGUE, Indicator(id="loans-made", name="loans made", unit="loans"))
    assert len(mine) == 8
    assert len(INDICATOR_CATALOGUE) == 7


def test_bad_project_json_reports_every_problem_with_its_path() -> None:
    data = {
        "id": "p1",
        "name": "x",
        "kind": "village",
        "organization_id": "o",
        "period": {"start": "2020-01-01", "end": "2020-02-30"},
        "budget": {"amount": 1000.5, "currency": "CNY"},
        "funding": [
            {"source": "own_funds", "amount": {"amount": "-5", "currency": "CNY"}},
            {"source": "own_funds", "amount": {"amount": "5", "currency": "CNY"}, "who": "x"},
        ],
        "batch": "2",
    }
    assert problems_of(data, Project) == [
        ("$.kind", "unknown-value"),
        ("$.period.end", "invalid-date"),
        ("$.budget.amount", "float-not-allowed"),
        ("$.batch", "wrong-type"),
        ("$.funding[0].amount", "invalid"),
        ("$.funding[1].who", "unknown-key"),
    ]


def test_bad_indicator_value_json_reports_every_problem_with_its_path() -> None:
    data = {
        "id": "v1",
        "indicator_id": "x",
        "period": {"start": "2020-01-01", "end": "2020-12-31"},
        "value": 1.5,
        "project_id": "p",
        "target": "yes",
        "disaggregation": {"sex": "unknown"},
    }
    assert problems_of(data, IndicatorValue) == [
        ("$.value", "float-not-allowed"),
        ("$.target", "wrong-type"),
        ("$.disaggregation.sex", "unknown-value"),
    ]
    both = {**data, "value": "3", "target": False, "disaggregation": None, "organization_id": "o"}
    assert problems_of(both, IndicatorValue) == [("$", "invalid")]


# -- money received and spent ----------------------------------------------------------------

BOAI = Program(id="boai", name="博爱家园", organization_id="qujing")

ORGS = (
    *RED_CROSS,
    Organization(id="station", name="青云村服务站", level=OrgLevel.VILLAGE, parent_id="huize"),
    Organization(id="fuyuan", name="富源县红十字会", level=OrgLevel.COUNTY, parent_id="qujing"),
    Organization(
        id="huize-gov", name="会泽县人民政府", kind=OrgKind.GOVERNMENT, level=OrgLevel.COUNTY
    ),
    Organization(
        id="yn-gov", name="云南省民政厅", kind=OrgKind.GOVERNMENT, level=OrgLevel.PROVINCE
    ),
    Organization(id="acme", name="曲靖某某实业有限公司", kind=OrgKind.ENTERPRISE),
    Organization(id="found", name="某慈善基金会", kind=OrgKind.FOUNDATION),
)
FUNDS = (
    Fund(id="huize-general", name="会泽县红会 general fund", organization_id="huize"),
    Fund(
        id="acme-fund",
        name="acme special fund",
        kind=FundKind.SPECIAL,
        organization_id="huize",
        sponsor_id="acme",
        purposes=("livelihood",),
    ),
    Fund(id="yn-fund", name="province fund", organization_id="yunnan"),
)
P = Party.project("qingyun")


def flow(id: str, src: Party, dst: Party, amount: str, on: date = D, **kw: Any) -> Flow:
    kw.setdefault("kind", FlowKind.DISBURSEMENT)
    return Flow(id=id, source=src, destination=dst, amount=Money(amount), on=on, **kw)


def finance_dataset(*flows: Flow, **kw: Any) -> Dataset:
    return Dataset(
        organizations=ORGS,
        funds=FUNDS,
        projects=(kw.pop("project", None) or project(),),
        flows=flows,
        **kw,
    )


@pytest.mark.parametrize(
    ("source", "kind", "expected"),
    [
        (Party.household("h1"), FlowKind.DONATION, FundingSourceKind.BENEFICIARY_CONTRIBUTION),
        (Party.person("x"), FlowKind.ALLOCATION, FundingSourceKind.BENEFICIARY_CONTRIBUTION),
        (Party.donor("d1"), FlowKind.DONATION, FundingSourceKind.SOCIAL_DONATIONS),
        (Party.organization("huize"), FlowKind.ALLOCATION, FundingSourceKind.OWN_FUNDS),
        (Party.organization("station"), FlowKind.ALLOCATION, FundingSourceKind.OWN_FUNDS),
        (Party.fund("huize-general"), FlowKind.ALLOCATION, FundingSourceKind.OWN_FUNDS),
        (Party.fund("acme-fund"), FlowKind.ALLOCATION, FundingSourceKind.SOCIAL_DONATIONS),
        (Party.organization("qujing"), FlowKind.GRANT, FundingSourceKind.HIGHER_LEVEL_GRANT),
        (Party.organization("rc-china"), FlowKind.GRANT, FundingSourceKind.HIGHER_LEVEL_GRANT),
        (Party.fund("yn-fund"), FlowKind.ALLOCATION, FundingSourceKind.HIGHER_LEVEL_GRANT),
        (Party.organization("yn-gov"), FlowKind.GRANT, FundingSourceKind.HIGHER_LEVEL_GRANT),
        (
            Party.organization("huize-gov"),
            FlowKind.GRANT,
            FundingSourceKind.COUNTY_TOWNSHIP_MATCH,
        ),
        (Party.organization("acme"), FlowKind.GRANT, FundingSourceKind.SOCIAL_DONATIONS),
        (Party.organization("found"), FlowKind.GRANT, FundingSourceKind.SOCIAL_DONATIONS),
        (Party.organization("fuyuan"), FlowKind.ALLOCATION, FundingSourceKind.OTHER),
        (Party.organization("fuyuan"), FlowKind.GRANT, FundingSourceKind.HIGHER_LEVEL_GRANT),
        (Party.organization("nobody"), FlowKind.DONATION, FundingSourceKind.SOCIAL_DONATIONS),
        (Party.fund("nowhere"), FlowKind.ALLOCATION, FundingSourceKind.OTHER),
        (Party.outside("bank"), FlowKind.INTEREST, FundingSourceKind.OTHER),
        (Party.outside(), FlowKind.GRANT, FundingSourceKind.HIGHER_LEVEL_GRANT),
        (Party.project("other"), FlowKind.ALLOCATION, FundingSourceKind.OTHER),
    ],
)
def test_money_received_is_classified_by_where_it_came_from(
    source: Party, kind: FlowKind, expected: FundingSourceKind
) -> None:
    f = flow("in", source, P, "100", kind=kind)
    ds = finance_dataset(f)
    assert funding_source(ds, "qingyun", f) is expected
    fin = project_finance(ds, "qingyun")
    assert fin.received_by_source() == {expected: Money("100")}
    assert fin.sources == {"in": expected}


@pytest.mark.parametrize(
    ("source", "kind", "expected"),
    [
        # The owner's boundary decides first: money neither raised nor brought in is other,
        # whatever its tag says (it used to follow the tag).
        (Party.project("other"), FlowKind.DONATION, FundingSourceKind.OTHER),
        (Party.project("other"), FlowKind.GRANT, FundingSourceKind.OTHER),
        (Party.case("c1"), FlowKind.DONATION, FundingSourceKind.OTHER),
        (Party.donor("d1"), FlowKind.INTEREST, FundingSourceKind.OTHER),
        (Party.organization("qujing"), FlowKind.LOAN_DISBURSEMENT, FundingSourceKind.OTHER),
        # raised money is social donations, however it is tagged
        (Party.donor("d1"), FlowKind.GRANT, FundingSourceKind.SOCIAL_DONATIONS),
        (Party.outside("anonymous"), FlowKind.GRANT, FundingSourceKind.SOCIAL_DONATIONS),
        # the owner's own money stays its own, however it is tagged
        (Party.fund("huize-general"), FlowKind.GRANT, FundingSourceKind.OWN_FUNDS),
    ],
)
def test_the_source_of_money_follows_how_the_owner_s_boundary_counts_it(
    source: Party, kind: FlowKind, expected: FundingSourceKind
) -> None:
    f = flow("in", source, P, "100", kind=kind)
    ds = finance_dataset(f)
    assert funding_source(ds, "qingyun", f) is expected
    crossing = Boundary.organization(ds, "huize").crossing_in(source, kind)
    if expected is FundingSourceKind.SOCIAL_DONATIONS:
        assert crossing is Crossing.RAISED
    elif expected is FundingSourceKind.OWN_FUNDS:
        assert crossing is Crossing.INTERNAL
    else:
        assert crossing is Crossing.OTHER_IN


def test_a_refund_is_classified_by_whom_it_goes_back_to() -> None:
    for to, expected in (
        (Party.donor("d1"), FundingSourceKind.SOCIAL_DONATIONS),
        (Party.organization("qujing"), FundingSourceKind.HIGHER_LEVEL_GRANT),
        (Party.fund("huize-general"), FundingSourceKind.OWN_FUNDS),
        (Party.outside("bank"), FundingSourceKind.OTHER),
    ):
        back = flow("back", P, to, "10", kind=FlowKind.REFUND)
        assert funding_source(finance_dataset(back), "qingyun", back) is expected, to


def test_money_passed_on_keeps_its_origin_through_parent_ids() -> None:
    grant = flow("g", Party.organization("yunnan"), Party.fund("huize-general"), "300",
                 kind=FlowKind.GRANT)  # fmt: skip
    passed = flow("p", Party.fund("huize-general"), P, "200", kind=FlowKind.ALLOCATION,
                  parent_id="g")  # fmt: skip
    own = flow("o", Party.fund("huize-general"), P, "50", kind=FlowKind.ALLOCATION)
    fin = project_finance(finance_dataset(grant, passed, own), "qingyun")
    assert fin.received_by_source() == {
        FundingSourceKind.HIGHER_LEVEL_GRANT: Money("200"),
        FundingSourceKind.OWN_FUNDS: Money("50"),
    }


def test_named_funders_come_first_then_the_plan_then_the_defaults() -> None:
    plan = (
        FundingShare(
            source=FundingSourceKind.COUNTY_TOWNSHIP_MATCH,
            amount=Money("100"),
            funder=Party.organization("acme"),
        ),
        FundingShare(
            source=FundingSourceKind.OWN_FUNDS,
            amount=Money("100"),
            funder=Party.organization("acme"),
        ),
    )
    f = flow("in", Party.organization("acme"), P, "100", kind=FlowKind.GRANT)
    ds = finance_dataset(f, project=project(funding=plan))
    assert funding_source(ds, "qingyun", f) is FundingSourceKind.COUNTY_TOWNSHIP_MATCH
    named = {Party.organization("acme"): FundingSourceKind.BENEFICIARY_CONTRIBUTION}
    assert funding_source(ds, "qingyun", f, sources=named) is (
        FundingSourceKind.BENEFICIARY_CONTRIBUTION
    )
    fin = project_finance(ds, "qingyun", sources=named)
    assert fin.received_by_source() == {FundingSourceKind.BENEFICIARY_CONTRIBUTION: Money("100")}
    # a funder named anywhere along the parent chain counts
    first = flow("a", Party.organization("acme"), Party.fund("huize-general"), "80",
                 kind=FlowKind.DONATION)  # fmt: skip
    passed = flow("b", Party.fund("huize-general"), P, "80", kind=FlowKind.ALLOCATION,
                  parent_id="a")  # fmt: skip
    ds2 = finance_dataset(first, passed, project=project(funding=plan))
    assert funding_source(ds2, "qingyun", passed) is FundingSourceKind.COUNTY_TOWNSHIP_MATCH
    with pytest.raises(TypeError, match="'sources' keys must be Party"):
        project_finance(ds, "qingyun", sources={"organization:acme": "own_funds"})  # type: ignore[dict-item]


def test_refunds_lower_what_was_received_and_what_was_spent() -> None:
    flows = (
        flow("in", Party.donor("d1"), P, "1000", kind=FlowKind.DONATION),
        flow("grant", Party.organization("qujing"), P, "500", kind=FlowKind.GRANT),
        flow("back", P, Party.donor("d1"), "100", date(2020, 4, 1), kind=FlowKind.REFUND),
        flow(
            "back-grant",
            P,
            Party.organization("qujing"),
            "50",
            date(2020, 4, 1),
            kind=FlowKind.REFUND,
            parent_id="grant",
        ),
        flow("pay", P, Party.household("h1"), "600", date(2020, 5, 1)),
        flow(
            "seed", P, Party.revolving_fund("rf"), "300", date(2020, 5, 2), kind=FlowKind.ALLOCATION
        ),
        flow(
            "supplier-refund",
            Party.outside("supplier"),
            P,
            "20",
            date(2020, 6, 1),
            kind=FlowKind.REFUND,
        ),
    )
    ds = finance_dataset(*flows)
    fin = project_finance(ds, "qingyun")
    assert fin.received_by_source() == {
        FundingSourceKind.HIGHER_LEVEL_GRANT: Money("450"),
        FundingSourceKind.SOCIAL_DONATIONS: Money("900"),
    }
    assert fin.received == Money("1350")
    assert fin.spent == Money("880")
    assert fin.unspent == Money("470")
    assert fin.sources["back"] is FundingSourceKind.SOCIAL_DONATIONS
    assert project_spending(Ledger(flows), project()) == Money("880")
    assert project_spending(Ledger(flows), project(), as_of=date(2020, 5, 1)) == Money("600")


def test_finance_as_of_a_day_gives_the_burn_rate() -> None:
    flows = (
        flow(
            "g", Party.organization("qujing"), P, "300000", date(2020, 1, 10), kind=FlowKind.GRANT
        ),
        flow(
            "m", Party.organization("huize-gov"), P, "100000", date(2020, 2, 1), kind=FlowKind.GRANT
        ),
        flow("s1", P, Party.outside("builder"), "150000", date(2020, 3, 1)),
        flow("s2", P, Party.outside("builder"), "135000", date(2020, 9, 1)),
        flow("usd", Party.donor("d"), P, "10", date(2020, 1, 1), kind=FlowKind.DONATION),
    )
    flows = (*flows[:4], attrs.evolve(flows[4], amount=Money("10", "USD")))
    plan = (
        FundingShare(source=FundingSourceKind.HIGHER_LEVEL_GRANT, amount=Money("300000")),
        FundingShare(source=FundingSourceKind.COUNTY_TOWNSHIP_MATCH, amount=Money("100000")),
        FundingShare(source=FundingSourceKind.OWN_FUNDS, amount=Money("50000")),
    )
    ds = finance_dataset(*flows, project=project(funding=plan))
    mid = project_finance(ds, "qingyun", as_of=date(2020, 6, 30))
    assert mid.received == Money("400000")
    assert mid.spent == Money("150000")
    assert mid.funding_gap == Money("50000")
    assert mid.remaining_budget == Money("300000")
    assert mid.spent_share == ratio(150000, 450000)
    assert mid.elapsed_share == ratio(182, 366)
    burn = mid.burn_rate
    assert burn is not None
    assert burn.quantize(Decimal("0.0001")) == Decimal("0.6703")
    assert [(line.source, line.gap) for line in mid.lines] == [
        (FundingSourceKind.HIGHER_LEVEL_GRANT, Money("0")),
        (FundingSourceKind.COUNTY_TOWNSHIP_MATCH, Money("0")),
        (FundingSourceKind.OWN_FUNDS, Money("50000")),
    ]
    assert mid.planned_leverage() == Decimal(8)
    assert mid.leverage() is None  # no own money received yet
    text = str(mid)
    assert "project qingyun as of 2020-06-30" in text
    assert "own funds (自有资金)" in text
    assert "5.00万元" in text
    assert "49.7% of the period elapsed, burn rate 0.67" in text
    before = project_finance(ds, "qingyun", as_of=date(2019, 12, 31))
    assert before.elapsed_share == 0
    assert before.burn_rate is None
    assert before.received == Money.zero()
    after = project_finance(ds, "qingyun", as_of=date(2021, 3, 1))
    assert after.elapsed_share == 1
    assert project_finance(ds, "qingyun").burn_rate is None
    rows = mid.rows()
    assert rows[-1] == {
        "source": "total",
        "planned": Money("450000"),
        "received": Money("400000"),
        "gap": Money("50000"),
    }
    # a misspelt id is an error naming the nearest projects, never a finance of zeros
    with pytest.raises(UnknownId, match=r"project_id 'qingyu' .* did you mean 'qingyun'") as e:
        project_finance(ds, "qingyu")
    assert (e.value.collection, e.value.id, e.value.suggestions) == (
        "projects",
        "qingyu",
        ("qingyun",),
    )
    assert isinstance(e.value, KeyError)
    with pytest.raises(UnknownId, match="project_id 'nope'"):
        project_finance(ds, "nope")


FLOW_KINDS = st.sampled_from(FlowKind)


@given(
    st.lists(
        st.tuples(
            parties(kinds=[k for k in PartyKind if k is not PartyKind.PROJECT]),
            st.booleans(),
            st.integers(min_value=1, max_value=10**8),
            FLOW_KINDS,
            st.dates(min_value=date(2019, 6, 1), max_value=date(2021, 6, 30)),
        ),
        max_size=25,
    ),
    st.none() | st.dates(min_value=date(2019, 6, 1), max_value=date(2021, 6, 30)),
)
def test_funding_received_by_source_sums_to_total_received(
    moves: list[tuple[Party, bool, int, FlowKind, date]], as_of: date | None
) -> None:
    flows = []
    for i, (other, incoming, units, kind, on) in enumerate(moves):
        src, dst = (other, P) if incoming else (P, other)
        parent = f"f{i - 1}" if i and units % 3 == 0 else None
        flows.append(
            Flow(
                id=f"f{i}",
                source=src,
                destination=dst,
                amount=Money.from_minor_units(units),
                on=on,
                kind=kind,
                parent_id=parent,
            )
        )
    ds = finance_dataset(*flows)
    fin = project_finance(ds, "qingyun", as_of=as_of)
    counted = [f for f in flows if as_of is None or f.on <= as_of]
    ins = Money.total(
        (f.amount for f in counted if f.destination == P and f.kind is not FlowKind.REFUND), "CNY"
    )
    back = Money.total(
        (f.amount for f in counted if f.source == P and f.kind is FlowKind.REFUND), "CNY"
    )
    assert Money.total(fin.received_by_source().values(), "CNY") == fin.received == ins - back
    assert sum((line.received for line in fin.lines), Money.zero()) == fin.received
    ledger = Ledger(flows)
    spent = project_spending(ledger, project(), as_of=as_of)
    assert fin.spent == spent
    # what the project holds is what it received less what it spent
    held = ledger.balance(P, as_of)
    assert fin.received - fin.spent == held


CURRENCIES = st.sampled_from(["CNY", "USD", "JPY"])  # JPY: no minor units


@given(
    st.lists(
        st.tuples(
            parties(kinds=[k for k in PartyKind if k is not PartyKind.PROJECT]),
            st.booleans(),
            st.integers(min_value=1, max_value=10**17),
            CURRENCIES,
            FLOW_KINDS,
            st.dates(min_value=date(2019, 6, 1), max_value=date(2021, 6, 30)),
        ),
        max_size=25,
    ),
    st.none() | st.dates(min_value=date(2019, 6, 1), max_value=date(2021, 6, 30)),
    CURRENCIES,
    st.sets(st.integers(0, 24)),
)
def test_project_spending_adds_up_its_flows_as_money_adds(
    moves: list[tuple[Party, bool, int, str, FlowKind, date]],
    as_of: date | None,
    currency: str,
    left_out: set[int],
) -> None:
    """The Decimal running sum made money once is the sum Money's ``+`` and ``-`` give."""
    flows = [
        Flow(id=f"f{i}", source=other if incoming else P, destination=P if incoming else other,
             amount=Money.from_minor_units(units, cur), on=on, kind=kind)
        for i, (other, incoming, units, cur, kind, on) in enumerate(moves)
    ]  # fmt: skip
    budget = Money("100", currency) if currency != "JPY" else Money("100", "JPY")
    proj = project(budget=budget, funding=())
    ledger = Ledger(flows)
    skipped = {f"f{i}" for i in left_out}
    want = Money.zero(currency)
    for f, sign in ledger.entries(P):  # the definition, in Money
        if f.id in skipped or f.amount.currency != currency or (as_of and f.on > as_of):
            continue
        if sign < 0 and f.kind is not FlowKind.REFUND:
            want = want + f.amount
        elif sign > 0 and f.kind is FlowKind.REFUND:
            want = want - f.amount
    got = project_spending(ledger, proj, as_of=as_of, left_out=skipped)
    assert (got, str(got.amount)) == (want, str(want.amount))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(FundingSourceKind),
            st.integers(min_value=-(10**16), max_value=10**16),
            st.sampled_from(["CNY", "CNY", "CNY", "USD"]),
        ),
        max_size=12,
    )
)
def test_money_by_source_adds_each_kind_as_money_adds(
    pairs: list[tuple[FundingSourceKind, int, str]],
) -> None:
    """Each kind's Decimal sum made money once: the Money sums, in the kinds' order, or the
    same error where an amount is in another currency."""
    from humanaid.projects import _by_source

    money_pairs = [(k, Money.from_minor_units(u, c)) for k, u, c in pairs]
    want: dict[FundingSourceKind, Money] | str = {}
    try:
        held: dict[FundingSourceKind, Money] = {}
        for kind, amount in money_pairs:
            held[kind] = held.get(kind, Money.zero("CNY")) + amount
        want = {k: held[k] for k in FundingSourceKind if k in held}
    except Exception as exc:  # the mismatch
        want = f"{type(exc).__name__}: {exc}"
    try:
        got: dict[FundingSourceKind, Money] | str = _by_source(money_pairs, "CNY")
    except Exception as exc:
        got = f"{type(exc).__name__}: {exc}"
    assert got == want
    if isinstance(got, dict) and isinstance(want, dict):
        assert list(got) == list(want)
        assert [str(m.amount) for m in got.values()] == [str(m.amount) for m in want.values()]


def test_a_programme_adds_up_its_projects() -> None:
    plan = FundingShare.split(Money("100000"), {"own_funds": 1, "social_donations": 3})
    a = project(id="a", budget=Money("100000"), program_id="boai", batch=1, funding=plan)
    b = project(id="b", budget=Money("100000"), program_id="boai", batch=2, funding=plan)
    c = project(id="c", budget=Money("5", "USD"), program_id="boai", batch=2)
    flows = (
        flow(
            "1", Party.fund("huize-general"), Party.project("a"), "20000", kind=FlowKind.ALLOCATION
        ),
        flow("2", Party.donor("d"), Party.project("a"), "60000", kind=FlowKind.DONATION),
        flow("3", Party.donor("d"), Party.project("b"), "70000", kind=FlowKind.DONATION),
        flow("4", Party.project("b"), Party.household("h"), "30000"),
    )
    ds = Dataset(organizations=ORGS, programs=(BOAI,), funds=FUNDS, projects=(a, b, c), flows=flows)
    fin = program_finance(ds, "boai")
    assert [p.project_id for p in fin.projects] == ["a", "b"]
    assert fin.budget == Money("200000")
    assert fin.planned == Money("200000")
    assert fin.received == Money("150000")
    assert fin.spent == Money("30000")
    assert fin.received_by_source() == {
        FundingSourceKind.SOCIAL_DONATIONS: Money("130000"),
        FundingSourceKind.OWN_FUNDS: Money("20000"),
    }
    assert leverage(fin) == Decimal("6.5")
    assert fin.planned_leverage() == Decimal(3)
    assert "programme boai: 2 projects" in str(fin)
    assert program_finance(ds, "boai", batch=2).received == Money("70000")
    assert program_finance(ds, "boai", currency="USD").budget == Money("5", "USD")


def test_leverage_is_money_brought_in_per_yuan_of_own_money() -> None:
    by_source = {
        FundingSourceKind.OWN_FUNDS: Money("100000"),
        FundingSourceKind.HIGHER_LEVEL_GRANT: Money("300000"),
        FundingSourceKind.COUNTY_TOWNSHIP_MATCH: Money("100000"),
    }
    assert leverage(by_source) == Decimal(4)
    assert leverage(by_source, own=("own_funds", "higher_level_grant")) == Decimal("0.25")
    assert leverage({"own_funds": Money("3"), "other": Money("1")}) == ratio(1, 3)
    assert leverage({}) is None
    assert leverage({FundingSourceKind.SOCIAL_DONATIONS: Money("5")}) is None
    with pytest.raises(TypeError, match="money by source, funding shares or a finance record"):
        leverage([Money("1")])  # type: ignore[list-item]


# -- results ---------------------------------------------------------------------------------

SUM = Indicator(id="trained", name="people trained", unit="persons")
LAST = Indicator(
    id="reached",
    name="households reached",
    unit="households",
    aggregation=IndicatorAggregation.LAST,
)
MAX = Indicator(
    id="volunteers", name="volunteers active", unit="persons", aggregation=IndicatorAggregation.MAX
)


def value(id: str, ind: Indicator, amount: int, period: Period = YEAR, **kw: Any) -> IndicatorValue:
    kw.setdefault("project_id", "p")
    return IndicatorValue(id=id, indicator_id=ind.id, period=period, value=amount, **kw)


def test_sum_last_and_max_aggregate_as_they_say() -> None:
    q = [Period.quarter(2020, i) for i in (1, 2, 3, 4)]
    values = [
        value("s1", SUM, 10, q[0]), value("s2", SUM, 20, q[1]),
        value("s3", SUM, 5, q[0], project_id="other"),
        value("l1", LAST, 30, q[0]), value("l2", LAST, 45, q[2]), value("l3", LAST, 40, q[1]),
        value("l4", LAST, 7, q[3], project_id="other"),
        value("m1", MAX, 3, q[0]), value("m2", MAX, 9, q[1]), value("m3", MAX, 4, q[2]),
        value("t", SUM, 100, YEAR, target=True),
    ]  # fmt: skip
    assert indicator_total(SUM, values) == 35
    assert indicator_total(LAST, values) == 45 + 7
    assert indicator_total(MAX, values) == 9
    assert indicator_total(SUM, values, target=True) == 100
    assert indicator_total(LAST, values, as_of=date(2020, 6, 30)) == 40
    assert indicator_total(MAX, []) is None


def test_a_breakdown_beside_a_total_is_not_counted_twice() -> None:
    female, male = Disaggregation(sex=Sex.FEMALE), Disaggregation(sex=Sex.MALE)
    young, old = Disaggregation(age_group="0-17"), Disaggregation(age_group="18+")
    values = [
        # project p: a total and two breakdowns of it
        value("t", SUM, 100),
        value("f", SUM, 60, disaggregation=female),
        value("m", SUM, 40, disaggregation=male),
        value("y", SUM, 30, disaggregation=young),
        value("o", SUM, 70, disaggregation=old),
        # project q: no total, a breakdown by sex and one by age: counted once
        value("qf", SUM, 11, project_id="q", disaggregation=female),
        value("qm", SUM, 9, project_id="q", disaggregation=male),
        value("qy", SUM, 5, project_id="q", disaggregation=young),
        value("qo", SUM, 15, project_id="q", disaggregation=old),
        # project r: by age only
        value("ry", SUM, 2, project_id="r", disaggregation=young),
    ]
    assert indicator_total(SUM, values) == 100 + 20 + 2


@given(
    st.lists(
        indicator_values(
            indicator_ids=["trained", "reached", "volunteers"],
            project_ids=["a", "b", "c", "d", "e"],
            periods=[Period.quarter(2020, i) for i in (1, 2, 3, 4)] + [YEAR],
        ),
        max_size=40,
    ),
    st.dictionaries(st.sampled_from("abcde"), st.integers(min_value=0, max_value=3)),
)
def test_rollups_over_any_partition_of_projects_equal_the_rollup_over_all(
    values: list[IndicatorValue], part_of: dict[str, int]
) -> None:
    def part(v: IndicatorValue) -> int:
        return part_of.get(v.project_id or "", 0)

    for ind in (SUM, LAST, MAX):
        whole = indicator_total(ind, values)
        parts = [indicator_total(ind, [v for v in values if part(v) == i]) for i in range(4)]
        present = [p for p in parts if p is not None]
        if whole is None:
            assert not present
            continue
        combined = max(present) if ind.aggregation is IndicatorAggregation.MAX else sum(present)
        assert combined == whole
    by_part = indicator_totals((SUM, LAST, MAX), values, part)
    for i, totals in by_part.items():
        assert totals.get("trained") == indicator_total(SUM, [v for v in values if part(v) == i])


def _results_dataset() -> Dataset:
    q1, q2 = Period.quarter(2020, 1), Period.quarter(2020, 2)
    return Dataset(
        programs=(Program(id="boai", name="博爱家园", organization_id="qujing"),),
        projects=(
            project(id="a", program_id="boai", area_id="530326001001"),
            project(id="b", program_id="boai", area_id="530381"),
            project(id="c", organization_id="fuyuan"),
        ),
        indicators=(*INDICATOR_CATALOGUE, SUM),
        indicator_values=(
            value("a1", SUM, 10, q1, project_id="a"),
            value("a2", SUM, 15, q2, project_id="a"),
            value("b1", SUM, 7, q2, project_id="b"),
            value("c1", SUM, 3, q1, project_id="c"),
            value("o1", SUM, 100, q2, project_id=None, organization_id="qujing"),
            value("a-target", SUM, 40, YEAR, project_id="a", target=True),
            value("ghost", Indicator(id="ghost", name="g", unit="u"), 1, q1, project_id="a"),
            IndicatorValue(
                id="h1", indicator_id="households-reached", project_id="a", period=q1, value=50
            ),
            IndicatorValue(
                id="h2", indicator_id="households-reached", project_id="a", period=q2, value=80
            ),
        ),
        admin_areas=_areas(),
        organizations=ORGS,
    )


def _areas() -> tuple[AdminArea, ...]:
    return (
        AdminArea(id="530300", name="曲靖市", level=AdminLevel.PREFECTURE),
        AdminArea(id="530326", name="会泽县", level=AdminLevel.COUNTY, parent_id="530300"),
        AdminArea(id="530381", name="宣威市", level=AdminLevel.COUNTY, parent_id="530300"),
        AdminArea(id="530326001", name="某镇", level=AdminLevel.TOWNSHIP, parent_id="530326"),
        AdminArea(
            id="530326001001", name="青云村", level=AdminLevel.VILLAGE, parent_id="530326001"
        ),
    )


def test_results_roll_up_by_project_programme_organisation_area_and_period() -> None:
    ds = _results_dataset()
    assert results(ds) == {
        "a": {"households-reached": Decimal(80), "trained": Decimal(25)},
        "b": {"trained": Decimal(7)},
        "c": {"trained": Decimal(3)},
    }
    assert results(ds, by="program") == {
        "boai": {"households-reached": Decimal(80), "trained": Decimal(32)}
    }
    assert results(ds, by="organization")["huize"] == {
        "households-reached": Decimal(80),
        "trained": Decimal(32),
    }
    assert results(ds, by="organization")["qujing"] == {"trained": Decimal(100)}
    assert results(ds, by="all") == {
        "all": {"households-reached": Decimal(80), "trained": Decimal(135)}
    }
    assert results(ds, by="area", level="county") == {
        "530326": {"households-reached": Decimal(80), "trained": Decimal(25)},
        "530381": {"trained": Decimal(7)},
    }
    assert results(ds, by="area")["530326001001"]["trained"] == 25
    assert results(ds, by="area", level="prefecture")["530300"]["trained"] == 32
    assert results(ds, by="period", granularity="quarter") == {
        "2020-Q1": {"households-reached": Decimal(50), "trained": Decimal(13)},
        "2020-Q2": {"households-reached": Decimal(80), "trained": Decimal(122)},
    }
    assert results(ds, target=True) == {"a": {"trained": Decimal(40)}}
    assert results(ds, by=lambda v: v.indicator_id) == {
        "trained": {"trained": Decimal(135)},
        "households-reached": {"households-reached": Decimal(80)},
    }
    with pytest.raises(ValueError, match="'by' must be one of"):
        results(ds, by="village")  # type: ignore[arg-type]


def test_progress_compares_targets_with_what_was_achieved() -> None:
    ds = _results_dataset()
    (trained, reached) = sorted(progress(ds, project_id="a"), key=lambda p: p.indicator.id)[::-1]
    assert trained.target == 40
    assert trained.actual == 25
    assert trained.share == Decimal("0.625")
    assert str(trained) == "people trained: 25 of 40 persons (62.5%)"
    assert reached.target is None
    assert reached.share is None
    assert str(reached) == "households reached: 80 of - households"
    by_programme = {p.indicator.id: p for p in progress(ds, program_id="boai")}
    assert by_programme["trained"].actual == 32
    assert {p.indicator.id for p in progress(ds)} == {"trained", "households-reached"}
    with pytest.raises(UnknownId, match="project_id 'nothing'"):
        progress(ds, project_id="nothing")
    with pytest.raises(UnknownId, match=r"program_id 'boia' .* did you mean 'boai'"):
        progress(ds, program_id="boia")
    with pytest.raises(ValueError, match="not both"):
        progress(ds, project_id="a", program_id="boai")


def test_a_dataset_of_projects_round_trips_through_json() -> None:
    ds = _results_dataset()
    assert from_json(to_json(ds), Dataset) == ds


@given(projects(currency="USD"))
def test_generated_projects_keep_their_plan_in_the_budget_currency(p: Project) -> None:
    assert all(s.amount.currency == "USD" for s in p.funding)
    assert p.planned.currency == "USD"


def test_bad_programme_json_reports_every_problem_with_its_path() -> None:
    data = {
        "id": "boai",
        "name": "博爱家园",
        "organization_id": "qujing",
        "stated_budget": {"amount": "0", "currency": "CNY"},
        "stated_projects": 16.0,
        "batches": [{"number": 1}, {"number": 0, "budget": {"amount": "5", "currency": "XXX"}}],
    }
    assert problems_of(data, Program) == [
        ("$.stated_budget", "invalid"),
        ("$.stated_projects", "wrong-type"),
        ("$.batches[1].number", "invalid"),
        ("$.batches[1].budget.currency", "invalid"),
    ]
    repeated = {**data, "stated_budget": None, "stated_projects": 16}
    repeated["batches"] = [{"number": 1}, {"number": 1}]
    with pytest.raises(InvalidInput) as info:
        from_dict(repeated, Program)
    assert [(p.location, p.code, p.message) for p in info.value.problems] == [
        ("$", "invalid", "'batches[1]' repeats batch number 1")
    ]


# -- found in review ---------------------------------------------------------------------------


def test_a_programme_with_no_projects_has_no_spent_share_and_prints() -> None:
    nothing = Program(id="nothing", name="nothing yet", organization_id="qujing")
    ds = finance_dataset().add(programs=[nothing])
    empty = program_finance(ds, "nothing")
    assert empty.budget == Money("0")
    assert empty.spent_share is None
    assert "programme nothing: 0 projects" in str(empty)
    assert "n/a of budget" in str(empty)
    # a programme the dataset does not have is an error, not an empty programme
    with pytest.raises(UnknownId, match=r"program_id 'nothng' .* did you mean 'nothing'"):
        program_finance(ds, "nothng")
    other_currency = program_finance(
        Dataset(programs=(BOAI,), projects=(project(program_id="boai"),)), "boai", currency="USD"
    )
    assert other_currency.spent_share is None
    assert "0 projects" in str(other_currency)


def test_money_moved_between_projects_of_a_programme_is_counted_once() -> None:
    a = project(id="a", budget=Money("100000"), program_id="boai", batch=1)
    b = project(id="b", budget=Money("100000"), program_id="boai", batch=2)
    flows = (
        flow("in", Party.donor("d"), Party.project("a"), "100000", kind=FlowKind.DONATION),
        flow("pass", Party.project("a"), Party.project("b"), "40000", kind=FlowKind.ALLOCATION),
        flow("back", Party.project("b"), Party.project("a"), "5000", kind=FlowKind.REFUND),
        flow("out", Party.project("b"), Party.household("h"), "30000"),
    )
    ds = Dataset(organizations=ORGS, programs=(BOAI,), projects=(a, b), flows=flows)
    fin = program_finance(ds, "boai")
    # Each project still shows its own account ...
    assert [p.received for p in fin.projects] == [Money("100000"), Money("35000")]
    assert [p.spent for p in fin.projects] == [Money("35000"), Money("30000")]
    # ... but the programme received the donation once and spent what left it.
    assert fin.received == Money("100000")
    assert fin.received_by_source() == {FundingSourceKind.SOCIAL_DONATIONS: Money("100000")}
    assert fin.spent == Money("30000")
    assert fin.unspent == Money("70000")
    # Within one batch, money from the other batch's project came from outside it.
    assert program_finance(ds, "boai", batch=2).received == Money("35000")
    assert program_finance(ds, "boai", batch=1).spent == Money("35000")


def test_no_own_money_left_after_refunds_gives_no_leverage() -> None:
    by_source = {"own_funds": Money("-1000"), "social_donations": Money("5000")}
    assert leverage(by_source) is None
    assert leverage({"own_funds": Money("0"), "social_donations": Money("1")}) is None


@pytest.mark.parametrize("figure", ["1E+15", "1E+200", "1E+2000", "9.99E+999"])
def test_a_huge_figure_is_refused_naming_the_field(figure: str) -> None:
    with pytest.raises(ValueError, match="'value' must be at least 0 and less than 10\\*\\*15"):
        IndicatorValue(id="v", indicator_id="x", project_id="p", period=YEAR, value=Decimal(figure))
    with pytest.raises(InvalidInput) as info:
        from_dict(
            {
                "id": "v",
                "indicator_id": "x",
                "project_id": "p",
                "period": {"start": "2020-01-01", "end": "2020-12-31"},
                "value": figure,
            },
            IndicatorValue,
        )
    assert [p.location for p in info.value.problems] == ["$.value"]


def test_a_negative_zero_figure_is_plain_zero() -> None:
    v = IndicatorValue(
        id="v", indicator_id="x", project_id="p", period=YEAR, value=Decimal("-0.00")
    )
    assert str(v.value) == "0.00"
    assert not v.value.is_signed()
