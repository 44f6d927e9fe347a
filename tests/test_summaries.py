"""The domain summaries: each figure equals the domain function that defines it."""

from __future__ import annotations

import decimal
import inspect
from collections import Counter
from collections.abc import Collection, Iterable
from datetime import date
from decimal import Decimal
from typing import Any, cast
from unittest import mock

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import flow, rice, wan
from humanaid import (
    Boundary,
    Campaign,
    Case,
    CaseKind,
    Dataset,
    Distribution,
    Donation,
    DonationForm,
    Donor,
    DonorKind,
    ExchangeRate,
    Finding,
    FindingsError,
    Flow,
    FlowKind,
    Fund,
    FundingShare,
    FundingSourceKind,
    Household,
    Indicator,
    IndicatorValue,
    Ledger,
    LendingTerms,
    Loan,
    Money,
    Organization,
    OrgLevel,
    Origin,
    Party,
    PartyKind,
    Period,
    Person,
    Program,
    Project,
    ProjectKind,
    ProjectStatus,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
    Screening,
    ScreeningOutcome,
    Severity,
    Table,
    UnknownId,
    campaign_summary,
    fundraising_summary,
    funnel,
    leverage,
    medical_summary,
    payments_before_case,
    portfolio_report,
    program_finance,
    project_finance,
    project_summary,
    reach,
    relief_summary,
    results_summary,
    revolving_summary,
    summaries,
    top_donors,
    year_at_a_glance,
)
from humanaid.testing import donations as donation_strategy
from humanaid.testing import society_books, summary_datasets

Y2020 = Period.year(2020)
CITY, COUNTY = "qujing", "huize"


def _gift(i: int, day: date, amount: str, donor: str | None, **kw: object) -> Donation:
    if donor is None:
        kw.setdefault("no_receipt_reason", "anonymous")
    else:
        kw.setdefault("receipt_number", f"R{i}")
    kw.setdefault("organization_id", CITY)
    return Donation(id=f"g{i}", donor_id=donor, received_on=day, value=Money(amount), **kw)  # type: ignore[arg-type]


def _dataset() -> Dataset:
    orgs = (
        Organization(id="yunnan", name="云南省红十字会", level=OrgLevel.PROVINCE),
        Organization(id=CITY, name="曲靖市红十字会", level=OrgLevel.CITY, parent_id="yunnan"),
        Organization(id=COUNTY, name="会泽县红十字会", level=OrgLevel.COUNTY, parent_id=CITY),
    )
    donors = (
        Donor(id="acme", kind=DonorKind.ENTERPRISE, public_name="某粮油公司", name="法人甲"),
        Donor(id="p1", kind=DonorKind.INDIVIDUAL, name="张三", phone="13800138000"),
        Donor(id="p2", kind=DonorKind.INDIVIDUAL, name="李四", public_name="爱心人士"),
    )
    bags = rice(100, "120")
    gifts = (
        _gift(1, date(2019, 12, 30), "1000", "acme"),
        _gift(2, date(2020, 1, 5), "50000", "acme", campaign_id="boai-2020"),
        _gift(3, date(2020, 1, 9), "300", "p1", campaign_id="boai-2020"),
        _gift(
            4,
            date(2020, 2, 2),
            "200",
            "p1",
            channel="online_platform",
            platform="轻松筹",
            fees=Money("1.20"),
            campaign_id="heart-crowd",
            receipt_number=None,
            no_receipt_reason="not_requested",
        ),
        _gift(5, date(2020, 3, 3), "80", None, campaign_id="heart-crowd"),
        _gift(6, date(2020, 7, 1), "500", "p2", organization_id=COUNTY),
        Donation.in_kind(
            id="g7",
            organization_id=CITY,
            donor_id="acme",
            received_on=date(2020, 1, 20),
            items=(bags,),
            receipt_number="R7",
        ),
    )
    campaigns = (
        Campaign(
            id="boai-2020",
            name="博爱送万家 2020",
            organizer_id=CITY,
            period=Period.parse("2020-01-01/2020-02-29"),
            target=Money("100000"),
        ),
        Campaign(
            id="heart-crowd",
            name="救心行动 轻松筹",
            organizer_id=CITY,
            period=Period.parse("2020-02-01/2020-03-31"),
            platform="轻松筹",
            target=Money("1000"),
        ),
        Campaign(id="old", name="旧活动", organizer_id=CITY, period=Period.year(2018)),
    )
    funds = (
        Fund(id="city-general", name="市红会 非限定", organization_id=CITY),
        Fund(id="county-general", name="县红会 非限定", organization_id=COUNTY),
    )
    city, county = Party.fund("city-general"), Party.fund("county-general")
    jiayuan, heart = Party.project("jiayuan-1"), Party.project("heart-r1")
    flows = (
        flow("f1", Party.organization("yunnan"), city, wan(20), date(2020, 3, 1), FlowKind.GRANT),
        flow("f2", city, county, wan(5), date(2020, 3, 2), FlowKind.ALLOCATION),
        flow("f3", county, jiayuan, wan(3), date(2020, 4, 1), FlowKind.DISBURSEMENT),
        flow("f4", city, heart, wan(4), date(2020, 5, 1), FlowKind.DISBURSEMENT),
        flow("f5", city, jiayuan, wan(2), date(2019, 5, 1), FlowKind.DISBURSEMENT),
        flow("f6", city, Party.outside("office"), wan(1), date(2020, 6, 1), FlowKind.ADMIN_EXPENSE),
    )
    programs = (
        Program(id="heart", name="救心行动", organization_id=CITY, kind=ProjectKind.MEDICAL_AID),
        Program(
            id="jiayuan",
            name="博爱家园",
            organization_id=CITY,
            kind=ProjectKind.COMMUNITY_RESILIENCE,
        ),
        Program(
            id="boai", name="博爱送万家", organization_id=CITY, kind=ProjectKind.RELIEF_DISTRIBUTION
        ),
    )
    projects = (
        Project(
            id="heart-r1",
            name="救心行动 第一轮",
            kind=ProjectKind.MEDICAL_AID,
            organization_id=CITY,
            period=Y2020,
            budget=wan("5"),
            program_id="heart",
            batch=1,
            status=ProjectStatus.ACTIVE,
        ),
        Project(
            id="heart-r2",
            name="救心行动 第二轮",
            kind=ProjectKind.MEDICAL_AID,
            organization_id=CITY,
            period=Period.year(2021),
            budget=wan("5"),
            program_id="heart",
            batch=2,
        ),
        Project(
            id="jiayuan-1",
            name="青云村博爱家园",
            kind=ProjectKind.COMMUNITY_RESILIENCE,
            organization_id=COUNTY,
            period=Period.parse("2019-05-01/2020-12-31"),
            budget=wan("6"),
            program_id="jiayuan",
            batch=1,
            status=ProjectStatus.ACTIVE,
            funding=FundingShare.split(
                wan("6"), {"higher_level_grant": 1, "county_township_match": 1}
            ),
        ),
        Project(
            id="cancelled",
            name="x",
            kind=ProjectKind.OTHER,
            organization_id=CITY,
            period=Y2020,
            budget=wan("1"),
            status=ProjectStatus.CANCELLED,
        ),
    )
    households = tuple(Household(id=f"h{i}", members=3 + i % 2) for i in range(6))
    persons = tuple(
        Person(id=f"p{i}", name=f"受助人{i}", household_id=f"h{i % 6}") for i in range(10)
    )
    distributions = (
        Distribution.in_kind(
            id="d1", household_id="h0", on=date(2020, 1, 15), campaign_id="boai-2020", items=(bags,)
        ),
        Distribution(
            id="d2",
            household_id="h1",
            on=date(2020, 1, 15),
            campaign_id="boai-2020",
            value=Money("500"),
        ),
        Distribution(
            id="d3", household_id="h1", on=date(2020, 6, 1), program_id="boai", value=Money("200")
        ),
        Distribution(
            id="d4", household_id="h2", on=date(2019, 6, 1), program_id="boai", value=Money("200")
        ),
    )
    screenings = tuple(
        Screening(
            id=f"s{i}",
            person_id=f"p{i % 5}",
            program_id="heart",
            project_id="heart-r1" if i < 6 else "heart-r2",
            on=date(2020, 5, 1) if i < 6 else date(2021, 5, 1),
            outcome=ScreeningOutcome.POSITIVE if i % 5 == 0 else ScreeningOutcome.NEGATIVE,
        )
        for i in range(8)
    )
    case = (
        Case.refer(
            id="c1",
            kind="medical",
            person_id="p0",
            program_id="heart",
            project_id="heart-r1",
            on=date(2020, 5, 2),
        )
        .advance("screened", on=date(2020, 5, 2))
        .advance("assessed", on=date(2020, 5, 9))
        .advance("approved", on=date(2020, 5, 9), approved=Money("18000"))
        .advance("in_treatment", on=date(2020, 6, 1), paid=Money("17500"))
    )
    indicators = (Indicator(id="trained", name="people trained", unit="persons"),)
    values = (
        IndicatorValue(
            id="v1", indicator_id="trained", project_id="jiayuan-1", period=Y2020, value=80
        ),
        IndicatorValue(
            id="v2",
            indicator_id="trained",
            project_id="jiayuan-1",
            period=Y2020,
            value=100,
            target=True,
        ),
    )
    terms = LendingTerms(
        term_months=12, method=RepaymentMethod.BULLET, frequency=RepaymentFrequency.AT_MATURITY
    )
    fund = RevolvingFund(
        id="qingyun", name="青云村循环金", project_id="jiayuan-1", area_id="qingyun", terms=terms
    )
    seed = flow("seed", jiayuan, fund.party, Money("20000"), date(2020, 4, 2), FlowKind.GRANT)
    loan = Loan(
        id="L1",
        fund_id="qingyun",
        household_id="h3",
        principal=Money("5000"),
        disbursed_on=date(2020, 4, 10),
        purpose="pigs",
        terms=terms,
    )
    repaid = Repayment(id="r1", loan_id="L1", paid_on=date(2021, 4, 10), amount=Money("5000"))
    return Dataset(
        name="曲靖 test",
        organizations=orgs,
        donors=donors,
        donations=gifts,
        campaigns=campaigns,
        funds=funds,
        flows=(*flows, seed),
        programs=programs,
        projects=projects,
        households=households,
        persons=persons,
        distributions=distributions,
        screenings=screenings,
        cases=(case,),
        indicators=indicators,
        indicator_values=values,
        revolving_funds=(fund,),
        loans=(loan,),
        repayments=(repaid,),
    )


DS = _dataset()


# -- fundraising -------------------------------------------------------------------------------


def test_raised_by_donor_kind_counts_gifts_and_distinct_donors() -> None:
    t = fundraising_summary(DS, Y2020)
    assert isinstance(t, Table)
    rows = {r["donor kind"]: r for r in t}
    assert rows[DonorKind.ENTERPRISE]["raised"] == Money("62000")  # 50000 + 12000 of rice
    assert rows[DonorKind.ENTERPRISE]["in kind"] == Money("12000")
    assert rows[DonorKind.ENTERPRISE]["gifts"] == 2
    assert rows[DonorKind.INDIVIDUAL]["gifts"] == 3
    assert rows[DonorKind.INDIVIDUAL]["donors"] == 2
    assert rows[DonorKind.INDIVIDUAL]["fees"] == Money("1.20")
    assert rows[None]["gifts"] == 1
    assert rows[None]["donors"] == 0
    assert t.title == "Raised by donor kind, 2020"
    assert t.money_unit == "万元"


def test_raised_by_channel_and_month() -> None:
    t = fundraising_summary(DS, 2020, by="channel", granularity="month")
    assert t.column_names[:2] == ("month", "channel")
    online = t.row("2020-02", "online_platform")
    assert online["raised"] == Money("200")
    assert online["gifts"] == 1


def test_summary_over_all_years_and_without_keys() -> None:
    t = fundraising_summary(DS, by=())
    assert len(t) == 1
    assert t.rows[0][t.column_names.index("gifts")] == len(DS.donations)


def test_summary_of_a_stream_needs_donors_for_the_kind() -> None:
    with pytest.raises(ValueError, match="needs the donors"):
        fundraising_summary(iter(DS.donations))
    t = fundraising_summary(iter(DS.donations), donors=DS.donors)
    # the same figures; a stream has no dataset to check, so it carries no findings
    assert t.findings == ()
    assert t == attrs.evolve(fundraising_summary(DS), findings=())


def test_summary_refuses_unknown_dimensions_and_leaves_out_money_without_a_rate() -> None:
    with pytest.raises(ValueError, match="'by' must name"):
        fundraising_summary(DS, by="colour")
    dollars = attrs.evolve(
        DS.donations[0], id="usd", value=Money("5", "USD"), fees=Money.zero("USD")
    )
    # a gift in dollars with no rate: never added as yuan, never a crash; left out, and said
    t = fundraising_summary(DS.add(donations=[dollars]), by=())
    assert t.column("raised") == fundraising_summary(DS, by=()).column("raised")
    assert [f.subject for f in t.findings.where(rule="currency.no-rate")] == ["usd"]
    with pytest.raises(FindingsError, match=r"currency\.no-rate"):
        fundraising_summary(DS.add(donations=[dollars]), strict=True)
    with pytest.raises(TypeError, match="'source'"):
        fundraising_summary({"a": 1})  # type: ignore[dict-item]


def test_top_donors_use_public_names_never_personal_names() -> None:
    t = top_donors(DS, Y2020, n=5)
    assert t.column("donor") == ("某粮油公司", "individual donor p1", "爱心人士")  # tie: by id
    assert t.column("rank") == (1, 2, 3)
    text = str(t) + t.to_csv() + t.to_html()
    for personal in ("张三", "李四", "法人甲", "13800138000"):
        assert personal not in text
    assert len(top_donors(DS, n=1)) == 1
    with pytest.raises(ValueError, match="'n'"):
        top_donors(DS, n=-1)


@pytest.mark.parametrize(
    ("n", "error", "message"),
    [
        (-1, ValueError, "'n' must not be negative (got -1)"),
        # A wrong type is a TypeError, as everywhere else (it was a ValueError here).
        (True, TypeError, "'n' must be an int (got True)"),
        ("3", TypeError, "'n' must be an int (got '3')"),
        (2.0, TypeError, "'n' must be an int (got 2.0)"),
    ],
)
def test_top_donors_say_what_is_wrong_with_n(
    n: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        top_donors(DS, n=n)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_campaign_progress_against_target() -> None:
    t = campaign_summary(DS, Y2020)
    assert t.column("campaign") == ("boai-2020", "heart-crowd")  # 'old' did not run in 2020
    boai = t.row("boai-2020")
    assert boai["raised"] == Money("50300")
    assert boai["gifts"] == 2
    assert boai["donors"] == 2
    assert boai["progress"] == Decimal("0.503")
    heart = t.row("heart-crowd")
    assert heart["fees"] == Money("1.20")
    assert heart["donors"] == 1
    assert heart["gifts"] == 2
    assert heart["progress"] == Decimal("0.28")
    assert campaign_summary(DS).column("campaign") == ("boai-2020", "heart-crowd", "old")


def test_campaigns_named_by_gifts_but_missing_are_listed_last() -> None:
    stray = attrs.evolve(DS.donations[1], id="stray", campaign_id="ghost")
    t = campaign_summary(DS.add(donations=[stray]), Y2020)
    assert t.column("campaign")[-1] == "ghost"
    assert t.row("ghost")["name"] is None


# -- relief and medical aid --------------------------------------------------------------------


def test_relief_per_drive_counts_people_with_reach() -> None:
    t = relief_summary(DS, Y2020)
    boai = t.row("campaign:boai-2020")
    expected = reach([DS.distributions[0], DS.distributions[1]], households=DS.households)
    assert (boai["households"], boai["persons"], boai["person-times"]) == (
        expected.households,
        expected.persons,
        expected.person_times,
    )
    assert boai["goods"] == Money("12000")
    assert boai["cash"] == Money("500")
    assert boai["name"] == "博爱送万家 2020"
    assert boai["handouts"] == 2
    assert t.row("program:boai:2020")["name"] == "博爱送万家 2020"
    assert "program:boai:2019" not in t.column("drive")
    assert "program:boai:2019" in relief_summary(DS).column("drive")


def test_medical_aid_per_round_is_the_funnel_of_the_round() -> None:
    t = medical_summary(DS)
    assert [(r["programme"], r["round"]) for r in t] == [("heart", 1), ("heart", 2)]
    first = t.row("heart", 1)
    f = funnel([*DS.screenings[:6], *DS.cases], program_id="heart")
    assert first["screened"] == f["screened"].count == 6
    assert first["screened persons"] == f["screened"].persons == 5
    assert first["treated"] == 1
    assert first["paid"] == Money("17500")
    whole = medical_summary(DS, by_round=False)
    assert "round" not in whole.column_names
    assert whole.row("heart")["screened"] == 8
    assert medical_summary(DS, 2021).row("heart", 2)["screened"] == 2


# -- projects, results, revolving funds --------------------------------------------------------


def test_project_rows_are_project_finance() -> None:
    t = project_summary(DS)
    assert t.column("project") == ("heart-r1", "heart-r2", "jiayuan-1", "cancelled")
    row = t.row("jiayuan-1")
    f = project_finance(DS, "jiayuan-1")
    assert row["received"] == f.received == wan("5")
    assert row["spent"] == f.spent
    assert row["budget"] == wan("6")
    assert row["funding gap"] == f.funding_gap
    by_program = project_summary(DS, by="program")
    assert by_program.row("heart")["budget"] == program_finance(DS, "heart").budget
    assert project_summary(DS, program_id="jiayuan").column("project") == ("jiayuan-1",)
    with pytest.raises(ValueError, match="'by'"):
        project_summary(DS, by="area")


@settings(max_examples=40, deadline=None)
@given(
    ds=society_books(),
    by=st.sampled_from(["project", "program"]),
    own=st.sampled_from([("own_funds",), ("own_funds", "higher_level_grant"), ()]),
)
def test_project_summary_rows_are_each_finance_figures(
    ds: Dataset, by: str, own: tuple[str, ...]
) -> None:
    """Each row's money is its finance's: received, by source, gap and leverage read off it."""
    t = project_summary(ds, by=by, own=own)
    kinds = [k for k in FundingSourceKind if k.label in t.column_names]
    for row in t:
        key = row["project" if by == "project" else "programme"]
        f = project_finance(ds, key) if by == "project" else program_finance(ds, key)
        got = f.received_by_source()
        assert set(got) <= set(kinds)
        assert row["received"] == f.received
        assert [row[k.label] for k in kinds] == [got.get(k, Money.zero()) for k in kinds]
        assert row["funding gap"] == f.funding_gap
        lev = leverage(f, own=own)
        two = None if lev is None else lev.quantize(Decimal("0.01"), decimal.ROUND_HALF_UP)
        assert row["leverage"] == two


def test_results_against_targets() -> None:
    t = results_summary(DS)
    row = t.row("jiayuan-1", "trained")
    assert row["achieved"] == 80
    assert row["target"] == 100
    assert row["progress"] == Decimal("0.8")


def test_results_figures_read_without_trailing_zeros_as_the_engine_gives_them() -> None:
    # values written 1.50 and 2.00 add up to 3.50: the table shows 3.5, as the columnar
    # twin does (the engine keeps no written scale); a target of 0.00 shows 0
    values = (
        IndicatorValue(
            id="a",
            indicator_id="trained",
            project_id="jiayuan-1",
            period=Y2020,
            value=Decimal("1.50"),
        ),
        IndicatorValue(
            id="b",
            indicator_id="trained",
            project_id="jiayuan-1",
            period=Y2020,
            value=Decimal("2.00"),
        ),
        IndicatorValue(
            id="t",
            indicator_id="trained",
            project_id="jiayuan-1",
            period=Y2020,
            value=Decimal("0.00"),
            target=True,
        ),
    )
    row = results_summary(attrs.evolve(DS, indicator_values=values)).row("jiayuan-1", "trained")
    assert (str(row["achieved"]), str(row["target"])) == ("3.5", "0")


def test_revolving_rows_are_portfolio_reports() -> None:
    t = revolving_summary(DS, as_of=date(2020, 12, 31))
    row = t.row("qingyun")
    r = portfolio_report(DS, "qingyun", as_of=date(2020, 12, 31))
    assert row["lent"] == r.cumulative_lent == Money("5000")
    assert row["outstanding"] == r.outstanding_principal
    assert row["restructured"] == r.restructured
    assert row["PAR30"] == r.par30
    assert row["identity holds"] is True


# -- the year at a glance ----------------------------------------------------------------------


def test_year_at_a_glance_matches_the_ledger_boundary_totals() -> None:
    y = year_at_a_glance(DS, 2020, organization_id=CITY)
    t = Ledger.from_dataset(DS).totals(Boundary.organization(DS, CITY), Y2020)
    assert (y.put_in, y.brought_in, y.raised) == (t.put_in, t.brought_in, t.raised)
    assert y.brought_in == wan("20")
    assert y.gifts == 6  # the county's gift counts: it is inside the city's boundary
    assert y.projects_built == 1  # heart-r1: not the cancelled one; jiayuan-1 began in 2019
    assert y.reach == reach(
        [*DS.screenings[:6], DS.cases[0], *DS.distributions[:3]],
        persons=DS.persons,
        households=DS.households,
        period=Y2020,
    )


def test_year_at_a_glance_prints_as_the_article_does() -> None:
    y = year_at_a_glance(DS, 2020, organization_id=CITY)
    text = str(y)
    assert text.startswith("曲靖市红十字会, 2020: year at a glance")
    assert f"投入帮扶资金物资{y.put_in.format(unit='万元', places='auto')}" in text
    assert "引进帮扶资金20万元 (brought in" in text
    assert "援建各类项目1个" in text
    assert f"受益群众{y.reach.households}户、{y.reach.persons}人" in text
    table = y.table()
    assert table.row("2020")["brought in"] == wan("20")
    assert table.money_unit == "万元"
    many = year_at_a_glance(DS, Period.parse("2019-01-01/2020-12-31"), organization_id=CITY)
    assert str(many).startswith("曲靖市红十字会, 2019-2020")


def test_years_at_a_glance_add_up_to_the_span() -> None:
    span = year_at_a_glance(DS, Period.parse("2019-01-01/2020-12-31"), organization_id=CITY)
    years = [year_at_a_glance(DS, y, organization_id=CITY) for y in (2019, 2020)]
    assert span.put_in == years[0].put_in + years[1].put_in
    assert span.raised == years[0].raised + years[1].raised
    assert span.projects_built == sum(y.projects_built for y in years)
    assert span.gifts == sum(y.gifts for y in years)


def test_a_county_sees_only_its_own_money() -> None:
    y = year_at_a_glance(DS, 2020, organization_id=COUNTY)
    # The city passes 5万元 down as an ALLOCATION: at the county's own boundary that is
    # money brought in from another organisation, whatever the flow's kind.
    assert y.brought_in == wan("5")
    assert y.put_in == wan("3")
    assert y.gifts == 1


def test_a_grant_counts_the_same_through_the_society_or_straight_to_its_project() -> None:
    yunnan, city, heart = (
        Party.organization("yunnan"),
        Party.fund("city-general"),
        Party.project("heart-r1"),
    )
    on = date(2020, 8, 1)
    straight = (flow("y", yunnan, heart, wan(7), on, FlowKind.GRANT),)
    through = (
        flow("y1", yunnan, city, wan(7), on, FlowKind.GRANT),
        flow("y2", city, heart, wan(7), on, FlowKind.DISBURSEMENT),
    )
    base = year_at_a_glance(DS, 2020, organization_id=CITY)
    years = [
        year_at_a_glance(attrs.evolve(DS, flows=(*DS.flows, *more)), 2020, organization_id=CITY)
        for more in (straight, through)
    ]
    assert (years[0].put_in, years[0].brought_in, years[0].raised) == (
        years[1].put_in,
        years[1].brought_in,
        years[1].raised,
    )
    assert years[0].brought_in == base.brought_in + wan(7)
    assert years[0].put_in == base.put_in + wan(7)


# -- properties --------------------------------------------------------------------------------

_DONORS = tuple(
    Donor(id=f"d{i}", kind=kind) for i, kind in enumerate([*DonorKind] * 2) if kind.is_body
)


@st.composite
def _gifts_and_partition(draw: st.DrawFn) -> tuple[list[Donation], list[int]]:
    gifts = draw(
        st.lists(
            donation_strategy(
                max_value=10**6, min_date=date(2019, 1, 1), max_date=date(2021, 12, 31)
            ),
            max_size=25,
        )
    )
    donor_ids = [None, *(d.id for d in _DONORS), "unknown"]
    gifts = [
        attrs.evolve(g, donor_id=draw(st.sampled_from(donor_ids)), id=f"g{i}")
        for i, g in enumerate(gifts)
    ]
    parts = draw(st.lists(st.integers(0, 3), min_size=len(gifts), max_size=len(gifts)))
    return gifts, parts


@settings(max_examples=50)
@given(_gifts_and_partition())
def test_fundraising_totals_over_any_partition_add_up_to_the_total(
    case: tuple[list[Donation], list[int]],
) -> None:
    gifts, parts = case
    by = ("donor_kind", "channel")
    whole = fundraising_summary(gifts, by=by, granularity="year", donors=_DONORS)
    pieces = [
        fundraising_summary(
            [g for g, p in zip(gifts, parts, strict=True) if p == k],
            by=by,
            granularity="year",
            donors=_DONORS,
        )
        for k in range(4)
    ]
    keys = ("year", "donor kind", "channel")
    added: dict[tuple[object, ...], list[object]] = {}
    for piece in pieces:
        for row in piece:
            key = tuple(row[k] for k in keys)
            acc = added.setdefault(key, [Money.zero(), Money.zero(), Money.zero(), 0, 0])
            for j, name in enumerate(("raised", "in kind", "fees", "gifts", "donors")):
                acc[j] = acc[j] + row[name]
    assert set(added) == {tuple(row[k] for k in keys) for row in whole}
    for row in whole:
        acc = added[tuple(row[k] for k in keys)]
        assert [row["raised"], row["in kind"], row["fees"], row["gifts"]] == acc[:4]
        assert row["donors"] <= acc[4]  # a donor may give in two parts: counted once
    assert sum(whole.column("gifts")) == len(gifts)
    assert Money.total(whole.column("raised")) == Money.total(g.value for g in gifts)


@st.composite
def _society(draw: st.DrawFn) -> Dataset:
    parties = [
        Party.fund("city-general"),
        Party.fund("county-general"),
        Party.organization(CITY),
        Party.organization("yunnan"),
        Party.project("p1"),
        Party.household("h1"),
        Party.outside("office"),
        Party.donor("acme"),
    ]
    flows = []
    for i in range(draw(st.integers(0, 12))):
        src, dst = draw(
            st.tuples(st.sampled_from(parties), st.sampled_from(parties)).filter(
                lambda p: p[0] != p[1]
            )
        )
        flows.append(
            Flow(
                id=f"f{i}",
                source=src,
                destination=dst,
                amount=Money.from_minor_units(draw(st.integers(1, 10**8))),
                on=draw(st.dates(date(2019, 1, 1), date(2021, 12, 31))),
                kind=draw(st.sampled_from(FlowKind)),
            )
        )
    gifts = draw(
        st.lists(
            donation_strategy(
                max_value=10**5, min_date=date(2019, 1, 1), max_date=date(2021, 12, 31)
            ),
            max_size=6,
        )
    )
    gifts = [
        attrs.evolve(g, id=f"g{i}", organization_id=draw(st.sampled_from([CITY, COUNTY, "x"])))
        for i, g in enumerate(gifts)
    ]
    return attrs.evolve(DS, flows=tuple(flows), donations=tuple(gifts))


@settings(max_examples=50)
@given(_society(), st.sampled_from([2019, 2020, 2021]), st.sampled_from([CITY, COUNTY]))
def test_year_at_a_glance_equals_the_ledger_boundary_totals(
    dataset: Dataset, year: int, org: str
) -> None:
    y = year_at_a_glance(dataset, year, organization_id=org)
    t = Ledger.from_dataset(dataset).totals(Boundary.organization(dataset, org), Period.year(year))
    assert y.put_in == t.put_in
    assert y.brought_in == t.brought_in
    assert y.raised == t.raised
    row = y.table().rows[0]
    assert row[1:4] == (t.put_in, t.brought_in, t.raised)


def _by_hand(gifts: list[Donation], period: Period) -> dict[tuple[object, ...], list[object]]:
    """The fundraising summary by donor kind and channel, written as a plain loop."""
    kinds = {d.id: d.kind for d in _DONORS}
    money: dict[tuple[object, ...], list[Money]] = {}
    counts: dict[tuple[object, ...], int] = {}
    donors: dict[tuple[object, ...], set[str]] = {}
    for g in gifts:
        if g.received_on not in period:
            continue
        key = (kinds.get(g.donor_id) if g.donor_id is not None else None, g.channel)
        acc = money.setdefault(key, [Money.zero(), Money.zero(), Money.zero()])
        acc[0] += g.value
        if g.form is DonationForm.IN_KIND:
            acc[1] += g.value
        acc[2] += g.fees
        counts[key] = counts.get(key, 0) + 1
        if g.donor_id is not None:
            donors.setdefault(key, set()).add(g.donor_id)
    return {k: [*v, counts[k], len(donors.get(k, ()))] for k, v in money.items()}


@settings(max_examples=50)
@given(_gifts_and_partition(), st.sampled_from([2019, 2020, 2021]))
def test_fundraising_summary_equals_the_hand_written_loop_for_lists_and_streams(
    case: tuple[list[Donation], list[int]], year: int
) -> None:
    # The engine's fast loop (a list), its plain loop (a generator) and a loop by hand agree.
    gifts, _ = case
    period = Period.year(year)
    by = ("donor_kind", "channel")
    table = fundraising_summary(gifts, period, by=by, donors=_DONORS)
    assert fundraising_summary(iter(gifts), period, by=by, donors=_DONORS) == table
    names = ("raised", "in kind", "fees", "gifts", "donors")
    got = {(r["donor kind"], r["channel"]): [r[n] for n in names] for r in table}
    assert got == _by_hand(gifts, period)


# -- review: what an auditor tries ------------------------------------------------------------


def test_top_donors_leave_out_anonymous_donors_even_when_kept_as_records() -> None:
    box = Donor(id="box", kind=DonorKind.ANONYMOUS, public_name="爱心人士")
    ds = DS.add(donors=[box], donations=[_gift(90, date(2020, 12, 31), "900000", "box")])
    t = top_donors(ds, Y2020, n=10)
    assert "box" not in str(t)
    assert DonorKind.ANONYMOUS not in t.column("kind")
    assert t.column("donor")[0] == "某粮油公司"


def test_year_at_a_glance_converts_money_in_another_currency_or_says_it_cannot() -> None:
    dollars = attrs.evolve(
        DS.donations[1], id="usd", value=Money("5000", "USD"), fees=Money.zero("USD")
    )
    ds = DS.add(donations=[dollars])
    base = year_at_a_glance(DS, 2020, organization_id=CITY)
    # no rate: the gift is left out of the money (never added as yuan), and said so
    year = year_at_a_glance(ds, 2020, organization_id=CITY)
    assert year.raised == base.raised
    (found,) = year.findings.where(rule="currency.no-rate")
    assert found.subject == "usd"
    assert "5000.00 USD" in found.message
    with pytest.raises(FindingsError, match=r"currency\.no-rate"):
        year_at_a_glance(ds, 2020, organization_id=CITY, strict=True)
    # with the day's rate, it is converted and the note names the rate's source
    rate = ExchangeRate(
        id="r", on=dollars.received_on, from_currency="USD", to_currency="CNY",
        rate="7.1", source="PBOC central parity",
    )  # fmt: skip
    year = year_at_a_glance(ds.add(exchange_rates=[rate]), 2020, organization_id=CITY)
    assert year.raised == base.raised + Money("35500")
    assert not year.findings.where(rule="currency.no-rate")
    assert "PBOC central parity" in year.notes[0]
    assert "note: amounts in USD" in str(year)
    # Outside the period it does not matter.
    assert not year_at_a_glance(ds, 2021, organization_id=CITY).findings.where(rule="currency.")


# -- figures that cannot be right are not printed as if they were -------------------------------


def test_an_unknown_organisation_is_an_error_not_a_year_of_zeros() -> None:
    with pytest.raises(UnknownId, match=r"organization_id 'qujin' .* did you mean 'qujing'") as e:
        year_at_a_glance(DS, 2020, organization_id="qujin")
    assert (e.value.collection, e.value.id, e.value.argument) == (
        "organizations",
        "qujin",
        "organization_id",
    )
    assert e.value.suggestions[0] == "qujing"
    with pytest.raises(UnknownId, match=r"program_id 'haert' .* did you mean 'heart'"):
        project_summary(DS, program_id="haert")
    with pytest.raises(UnknownId, match="program_id 'haert'"):
        project_summary(DS, by="program", program_id="haert")


def test_every_summary_can_be_strict() -> None:
    for name in summaries.__all__:
        function = getattr(summaries, name)
        if not inspect.isfunction(function):
            continue
        strict = inspect.signature(function).parameters.get("strict")
        assert strict is not None, name
        assert (strict.kind, strict.default) == (inspect.Parameter.KEYWORD_ONLY, False), name


def test_a_summary_carries_the_error_findings_about_the_records_it_read() -> None:
    t = fundraising_summary(DS, Y2020)
    # the two campaigns of 2020's gifts were public appeals without the qualification;
    # the 2018 campaign was not read, the overdrawn fund neither
    assert {(f.rule, f.subject) for f in t.findings} == {
        ("fundraising.unqualified-public-appeal", "boai-2020"),
        ("fundraising.unqualified-public-appeal", "heart-crowd"),
    }
    assert all(f.severity is Severity.ERROR for f in t.findings)
    text = str(t).splitlines()
    assert text[-3:] == [
        "2 findings (2 errors):",
        *(f"  {f}" for f in t.findings),
    ]
    assert 'class="humanaid-findings-head"' in t._repr_html_()
    assert "public campaign &#x27;boai-2020&#x27;" in t._repr_html_()
    # the findings are never a row
    assert all("boai-2020" not in str(row) for row in t.to_rows())
    assert "unqualified" not in t.to_csv()
    assert fundraising_summary(DS, 2019).findings == ()
    with pytest.raises(FindingsError, match="fundraising_summary refused") as e:
        fundraising_summary(DS, Y2020, strict=True)
    assert e.value.findings == t.findings
    assert fundraising_summary(DS, 2019, strict=True) == fundraising_summary(DS, 2019)
    assert top_donors(DS, Y2020).findings == t.findings


def test_the_findings_of_each_summary_are_those_of_what_it_read() -> None:
    def subjects(table: Table) -> set[str | None]:
        return {f.subject for f in table.findings}

    assert subjects(campaign_summary(DS)) == {"boai-2020", "heart-crowd", "old"}
    assert subjects(campaign_summary(DS, 2019)) == set()
    assert subjects(relief_summary(DS, Y2020)) == {"boai-2020"}
    assert subjects(medical_summary(DS, Y2020)) == set()
    assert subjects(results_summary(DS)) == set()
    assert subjects(project_summary(DS)) == set()
    # the seed fund names an area the dataset lacks
    seed_funds = revolving_summary(DS, as_of=date(2021, 6, 1))
    assert {(f.rule, f.subject) for f in seed_funds.findings} == {
        ("integrity.missing-reference", "qingyun")
    }
    # the city's boundary holds the overdrawn fund; the county's is clean
    city = year_at_a_glance(DS, 2020, organization_id=CITY)
    assert {(f.rule, f.subject) for f in city.findings} >= {("funds.overdrawn", "city-general")}
    assert "ERROR funds.overdrawn [city-general]" in str(city)
    assert city.table().findings == city.findings
    assert "ERROR funds.overdrawn" in str(city.table())
    assert year_at_a_glance(DS, 2020, organization_id=COUNTY).findings == ()
    with pytest.raises(FindingsError, match="year_at_a_glance of 'qujing' refused"):
        year_at_a_glance(DS, 2020, organization_id=CITY, strict=True)
    for strict in (relief_summary, campaign_summary):
        with pytest.raises(FindingsError):
            strict(DS, strict=True)


def test_a_payment_before_its_case_is_left_out_of_what_was_put_in() -> None:
    # the case was referred on 2020-05-02; a payment booked on 2020-05-01 cannot be its
    city, c1 = Party.fund("city-general"), Party.case("c1")
    before = flow("pay-c1", city, c1, Money("17500"), date(2020, 5, 1), FlowKind.DISBURSEMENT)
    on_time = attrs.evolve(before, on=date(2020, 6, 1))
    base = year_at_a_glance(DS, 2020, organization_id=CITY)
    early = year_at_a_glance(DS.add(flows=[before]), 2020, organization_id=CITY)
    paid = year_at_a_glance(DS.add(flows=[on_time]), 2020, organization_id=CITY)
    assert early.put_in == base.put_in
    assert paid.put_in == base.put_in + Money("17500")
    (found,) = early.findings.where(rule="cases.payment-before-case")
    assert (found.severity, found.subject) == (Severity.ERROR, "pay-c1")
    assert found.message == (
        "flow 'pay-c1' pays 17,500.00元 for case 'c1' on 2020-05-01, before the case was "
        "opened on 2020-05-02"
    )
    assert paid.findings.where(rule="cases.payment-before-case") == ()
    with pytest.raises(FindingsError, match="pay-c1"):
        year_at_a_glance(DS.add(flows=[before]), 2020, organization_id=CITY, strict=True)
    # outside the period it touched nothing
    assert (
        year_at_a_glance(DS.add(flows=[before]), 2021, organization_id=CITY).findings.where(
            rule="cases.payment-before-case"
        )
        == ()
    )
    # a project that paid the case too early: the project summary says so
    from_project = attrs.evolve(before, id="heart-pays", source=Party.project("heart-r1"))
    t = project_summary(DS.add(flows=[from_project]))
    assert [f.subject for f in t.findings.where(rule="cases.payment-before-case")] == ["heart-pays"]
    # ... and leaves it out of the project's spending, as the year leaves it out of put in.
    # The written flow stands for the case's payment (the ledger derives none beside it),
    # so the project spent nothing on the case; paid on time, it spent the 17,500 again.
    spent = project_finance(DS, "heart-r1").spent
    assert t.row("heart-r1")["spent"] == spent - Money("17500")
    finance = project_finance(DS.add(flows=[from_project]), "heart-r1")
    assert finance.spent == spent - Money("17500")
    assert [f.subject for f in finance.findings] == ["heart-pays"]
    on_time = attrs.evolve(from_project, on=date(2020, 6, 1))
    assert project_finance(DS.add(flows=[on_time]), "heart-r1").spent == spent
    assert project_finance(DS.add(flows=[on_time]), "heart-r1").findings == ()


def test_a_repayment_before_its_loan_is_in_no_seed_fund_figure() -> None:
    early = Repayment(id="r0", loan_id="L1", paid_on=date(2020, 4, 1), amount=Money("100"))
    ds = DS.add(repayments=[early])
    day = date(2021, 6, 1)
    t, clean = revolving_summary(ds, as_of=day), revolving_summary(DS, as_of=day)
    assert t.rows == clean.rows
    found = t.findings.where(rule="revolving.repayment-before-disbursement")
    assert [f.subject for f in found] == ["r0"]  # once, though the report and the rule both say it
    with pytest.raises(FindingsError, match="repayment 'r0'"):
        revolving_summary(ds, as_of=day, strict=True)
    assert year_at_a_glance(ds, 2020, organization_id=CITY).put_in == (
        year_at_a_glance(DS, 2020, organization_id=CITY).put_in
    )


# -- raised net of refunds, each on its own day (issue 18) -------------------------------------


def _records(**collections: Iterable[Any]) -> Dataset:
    """A dataset of these records (lists welcome: ``Dataset.add`` takes any iterable)."""
    return Dataset().add(**collections)


def _refunded() -> Dataset:
    from humanaid import Campaign, Donation, Donor, Refund

    gifts = [
        Donation(id="g1", donor_id="d1", organization_id="rc", received_on=date(2020, 5, 1),
                 value=Money("500"), receipt_number="R1", campaign_id="c1"),
        Donation(id="g2", donor_id="d2", organization_id="rc", received_on=date(2021, 5, 1),
                 value=Money("300"), receipt_number="R2", campaign_id="c1"),
    ]  # fmt: skip
    return _records(
        donors=[Donor(id="d1", kind=DonorKind.INDIVIDUAL),
                Donor(id="d2", kind=DonorKind.ENTERPRISE)],
        campaigns=[Campaign(id="c1", name="drive", organizer_id="rc", public=False,
                            period=Period.parse("2020-01-01/2021-12-31"),
                            target=Money("1000"))],
        donations=gifts,
        refunds=[Refund(id="rf1", donation_id="g1", on=date(2021, 1, 4), amount=Money("200"),
                        reason="paid twice")],
    )  # fmt: skip


def test_a_refund_lowers_the_year_it_is_paid_back_in_and_not_the_year_of_its_gift() -> None:
    ds = _refunded()
    by_year = fundraising_summary(ds, by="donor_kind", granularity="year")
    assert [c.name for c in by_year.columns][2:5] == ["gross", "refunds", "raised"]
    assert [(str(r["year"]), r["donor kind"], r["gross"], r["refunds"], r["raised"])
            for r in by_year] == [
        ("2020", DonorKind.INDIVIDUAL, Money("500"), Money("0"), Money("500")),
        ("2021", DonorKind.INDIVIDUAL, Money("0"), Money("200"), Money("-200")),
        ("2021", DonorKind.ENTERPRISE, Money("300"), Money("0"), Money("300")),
    ]  # fmt: skip
    assert "net of refunds" in by_year.notes[0]
    (y2020,) = fundraising_summary(ds, 2020, by=())
    assert y2020["raised"] == Money("500")  # what was reported for 2020 stays
    assert fundraising_summary(ds, 2020, by=()).columns[0].name == "raised"  # no refund in 2020


def test_top_donors_and_campaigns_are_net_of_refunds() -> None:
    ds = _refunded()
    assert [(r["donor"], r["raised"]) for r in top_donors(ds, 2021)] == [
        ("enterprise donor d2", Money("300"))
    ]  # d1's only money in 2021 went back
    assert [(r["donor"], r["raised"]) for r in top_donors(ds)] == [
        ("individual donor d1", Money("300")),
        ("enterprise donor d2", Money("300")),
    ]
    (row,) = campaign_summary(ds)
    assert (row["gross"], row["refunds"], row["raised"]) == (
        Money("800"), Money("200"), Money("600")
    )  # fmt: skip
    assert row["progress"] == Decimal("0.6")


# -- the year at a glance's fast paths, against their straightforward definitions ---------------

_SUBJECTS = ("f1", "g2", "acme", "p1", "qujing", "s1")


@st.composite
def _errors_by_subject(draw: st.DrawFn) -> dict[str, tuple[Finding, ...]]:
    subjects = draw(st.lists(st.sampled_from(_SUBJECTS), unique=True, max_size=4))
    return {
        s: tuple(
            Finding(rule=f"test.rule-{k}", severity=Severity.ERROR, subject=s, message=f"{s} {k}")
            for k in range(draw(st.integers(1, 2)))
        )
        for s in subjects
    }


@given(_errors_by_subject(), st.lists(st.sampled_from([None, "other", *_SUBJECTS]), max_size=30))
def test_the_errors_of_the_ids_read_are_those_a_set_of_the_ids_finds(
    errors: dict[str, tuple[Finding, ...]], ids: list[str | None]
) -> None:
    # _about intersects the ids read with the subjects; the plain way gathers them first
    plain = [f for s in set(ids) if s is not None for f in errors.get(s, ())]
    with mock.patch.object(summaries, "_errors_by_subject", return_value=errors):
        got = summaries._about(DS, lambda: iter(ids))
    assert Counter(got) == Counter(plain)
    assert summaries._about(None, lambda: iter(ids)) == []


def _plain_errors_read(
    errors: dict[str, tuple[Finding, ...]], read: Iterable[str | None]
) -> set[Finding]:
    """The error findings of the ids read, the plain way: every id gathered, then matched."""
    return {f for s in set(read) if s is not None for f in errors.get(s, ())}


@settings(max_examples=60)
@given(summary_datasets(), st.sampled_from([None, 2019, 2020]), st.data())
def test_the_summaries_find_the_errors_of_every_gift_screening_and_case_they_read(
    dataset: Dataset, year: int | None, data: st.DataObject
) -> None:
    # The readers test each record against the few ids with errors first (_naming), and
    # keep the gifts that name one per dataset (_gifts_naming): the plain way reads every
    # id of every record counted. Two sets of errors in turn: the kept gifts follow them.
    when = None if year is None else Period.year(year)
    records: list[Any] = [*dataset.donations, *dataset.screenings, *dataset.cases]
    ids = sorted(
        {
            v
            for r in records
            for v in (r.id, getattr(r, "donor_id", None), getattr(r, "person_id", None))
            if v is not None
        }
        | {"c0", "c1", "c9", "pg0", "pg9", "pj0", "pj1", "absent"}
    )
    gifts = [g for g in dataset.donations if when is None or g.received_on in when]
    gift_ids = [v for g in gifts for v in (g.id, g.donor_id, g.campaign_id)]
    medical: list[Screening | Case] = [
        r
        for r in cast(list[Screening | Case], [*dataset.screenings, *dataset.cases])
        if r.program_id is not None
        and (isinstance(r, Screening) or r.kind is CaseKind.MEDICAL)
        and (when is None or (r.on if isinstance(r, Screening) else r.opened_on) in when)
    ]
    medical_ids = [v for r in medical for v in (r.id, r.person_id, r.program_id, r.project_id)]
    for _ in range(2):
        subjects = data.draw(st.lists(st.sampled_from(ids), unique=True, max_size=5))
        errors: dict[str, tuple[Finding, ...]] = {
            s: (Finding(rule="test.error", severity=Severity.ERROR, subject=s, message=s),)
            for s in subjects
        }

        def ours(table: Table) -> set[Finding]:
            return {f for f in table.findings if f.rule == "test.error"}

        with mock.patch.object(summaries, "_errors_by_subject", return_value=errors):
            fast = summaries._about(dataset, lambda: summaries._gifts_read(dataset, when))
            assert set(fast) == _plain_errors_read(errors, gift_ids)
            assert ours(fundraising_summary(dataset, when)) == _plain_errors_read(errors, gift_ids)
            assert ours(medical_summary(dataset, when)) == _plain_errors_read(errors, medical_ids)


def test_naming_keeps_the_records_one_of_whose_fields_holds_a_subject() -> None:
    g = DS.donations[0]
    gifts = [
        attrs.evolve(g, id=f"g{i}", donor_id=d, campaign_id=c)
        for i, (d, c) in enumerate([("a", None), (None, "b"), ("c", "d")])
    ]
    assert summaries._naming(gifts, ("id", "donor_id", "campaign_id"), {"b", "g2"}) == [
        gifts[1],
        gifts[2],
    ]
    assert summaries._naming(gifts, ("donor_id",), {"a"}) == [gifts[0]]
    assert summaries._naming(gifts, ("donor_id",), set()) == []


def _counted_by_a_ledger(
    flows: Iterable[Flow],
    boundary: Boundary,
    when: Period,
    early: Collection[str],
    conv: Any,
) -> tuple[Any, Money]:
    """What the year at a glance counts, the plain way: a ledger of the flows it counts."""
    out = []
    for f in flows:
        if f.on not in when or f.id in early:
            continue
        if f.amount.currency != conv.currency:
            crossing = boundary.contains(f.source) or boundary.contains(f.destination)
            if not (crossing or f.destination in boundary.work):
                continue
            amount = conv(f.amount, f.on, subject=f.origin.id if f.origin else f.id)
            if amount is None or amount.is_zero():
                continue
            f = attrs.evolve(f, amount=amount)
        out.append(f)
    ledger = Ledger(out, currency=conv.currency)
    refunds = Money.total(
        (
            f.amount
            for f in ledger.flows
            if f.kind is FlowKind.REFUND
            and f.origin is not None
            and f.origin.collection == "refunds"
            and boundary.contains(f.source)
            and not boundary.contains(f.destination)
        ),
        conv.currency,
    )
    return ledger.totals(boundary, when), refunds


@settings(max_examples=60)
@given(
    _society(),
    st.sampled_from([2019, 2020, 2021]),
    st.sampled_from([CITY, COUNTY]),
    st.data(),
)
def test_the_year_at_a_glance_counts_its_flows_as_a_ledger_of_them_would(
    dataset: Dataset, year: int, org: str, data: st.DataObject
) -> None:
    # Some flows in dollars (some days with a rate), some refunds of gifts, some payments
    # left out as made before their case: one pass, summed by ends, against a new ledger.
    flows = []
    for f in dataset.flows:
        change: dict[str, Any] = {}
        if data.draw(st.booleans()):
            change["amount"] = Money(f.amount.amount, "USD")
        if data.draw(st.booleans()):
            change["kind"] = FlowKind.REFUND
            change["origin"] = Origin(collection="refunds", id=f"r-{f.id}")
        flows.append(attrs.evolve(f, **change))
    days = sorted({f.on for f in flows})
    rated = data.draw(st.lists(st.sampled_from(days), unique=True)) if days else []
    rates = [
        ExchangeRate(
            id=f"x{i}", on=d, from_currency="USD", to_currency="CNY", rate="7.1", source="test"
        )
        for i, d in enumerate(rated)
    ]
    ds = attrs.evolve(dataset, flows=tuple(flows), exchange_rates=tuple(rates))
    ids = [f.id for f in ds.ledger().flows]
    early = dict.fromkeys(data.draw(st.lists(st.sampled_from(ids), unique=True)) if ids else [])
    boundary, when = Boundary.organization(ds, org), Period.year(year)
    fast_conv = summaries._converter(ds, "CNY", None, "daily")
    plain_conv = summaries._converter(ds, "CNY", None, "daily")
    flows_in_year = summaries._period_flows(ds.ledger(), when)
    assert list(flows_in_year) == [f for f in ds.ledger().flows if f.on in when]
    got = summaries._counted_totals(flows_in_year, boundary, when, early, fast_conv)  # type: ignore[arg-type]
    assert got == _counted_by_a_ledger(ds.ledger().flows, boundary, when, early, plain_conv)
    assert fast_conv.findings == plain_conv.findings


@settings(max_examples=60)
@given(
    _society(),
    st.sampled_from([2019, 2020, 2021]),
    st.sampled_from([CITY, COUNTY]),
    _errors_by_subject(),
)
def test_the_year_at_a_glance_finds_the_errors_of_every_record_it_read(
    dataset: Dataset, year: int, org: str, errors: dict[str, tuple[Finding, ...]]
) -> None:
    # The plain way: every id the year reads, gathered, then matched with the subjects.
    boundary, when = Boundary.organization(dataset, org), Period.year(year)
    orgs = {p.id for p in boundary.parties if p.kind is PartyKind.ORGANIZATION}
    with mock.patch.object(summaries, "_errors_by_subject", return_value=errors):
        y = year_at_a_glance(dataset, year, organization_id=org)
    early = payments_before_case(dataset)
    read: set[str | None] = {p.id for p in boundary.parties}
    left_out = set()
    for f in dataset.ledger().flows:
        touches = boundary.contains(f.source) or boundary.contains(f.destination)
        if f.on in when and touches and f.id in early:
            left_out.add(early[f.id])
        elif f.on in when and touches:
            read.add(f.id)
            read.add(f.origin.id if f.origin else None)
    for g in dataset.donations:
        if g.organization_id in orgs and g.received_on in when:
            read |= {g.id, g.donor_id}
    read |= {p.id for p in dataset.projects if p.organization_id in orgs and p.period.start in when}
    owner = {p.id: p.organization_id for p in dataset.projects}
    owner.update({p.id: p.organization_id for p in dataset.programs})
    work_done: list[Screening | Case | Distribution] = [
        *dataset.screenings,
        *dataset.cases,
        *dataset.distributions,
    ]
    for r in work_done:
        # its own work: that of its projects, else of its programmes, else of nobody's
        work = r.project_id if r.project_id is not None else r.program_id
        day = r.served_on if isinstance(r, Case) else r.on
        if (work is None or owner.get(work) in orgs) and day is not None and day in when:
            read.add(r.id)
    plain = {f for s in read if s is not None for f in errors.get(s, ())}
    assert set(y.findings) == plain | left_out


@settings(max_examples=50)
@given(_society(), st.sampled_from([2019, 2020, 2021]), st.sampled_from([CITY, COUNTY]))
def test_year_at_a_glance_counts_the_gifts_and_donors_tabulate_counts(
    dataset: Dataset, year: int, org: str
) -> None:
    # the glance counts the year's gifts with a loop over records (the engine's count is
    # the definition) and picks the work it reaches by sets of project and programme ids
    # (a record's project, else its programme, looked up one by one, is the definition)
    from humanaid import reach, tabulate
    from humanaid.aggregate import count, distinct
    from humanaid.ledger import booked_donations
    from humanaid.summaries import _organizations_inside, _year_gifts

    ends = [  # gifts on the year's first and last days, and the days just outside it
        Donation(id=f"g-{on}", organization_id=org, received_on=on, value=Money("1.00"))
        for on in (date(year, 1, 1), date(year, 12, 31), date(year - 1, 12, 31))
    ]
    dataset = attrs.evolve(dataset, donations=(*dataset.donations, *ends))
    orgs = _organizations_inside(Boundary.organization(dataset, org))
    when = Period.year(year)
    expected = tabulate(
        booked_donations(dataset),
        measures={"gifts": count(), "donors": distinct("donor_id")},
        where=lambda d: d.organization_id in orgs and d.received_on in when,
    ).rows[0]
    assert _year_gifts(booked_donations(dataset), orgs, when) == tuple(expected)
    assert _year_gifts(iter(booked_donations(dataset)), orgs, when) == tuple(expected)
    y = year_at_a_glance(dataset, year, organization_id=org)
    assert (y.gifts, y.donors) == tuple(expected)
    projects, programs = dataset.index("projects"), dataset.index("programs")

    def ours(r: Any) -> bool:
        if r.project_id is not None:
            project = projects.get(r.project_id)
            return project is not None and project.organization_id in orgs
        if r.program_id is not None:
            program = programs.get(r.program_id)
            return program is not None and program.organization_id in orgs
        return True

    work: list[Any] = [*dataset.screenings, *dataset.cases, *dataset.distributions]
    persons, households = dataset.index("persons"), dataset.index("households")
    assert y.reach == reach(
        [r for r in work if ours(r)], persons=persons, households=households, period=when
    )
