"""IATI 2.03 export: every document validates against the official schema."""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from builders import (
    RED_CROSS,
    ZHANG,
    cny,
    flows_between,
    huize_areas,
    owners_and_projects,
    qingyun,
    qujing_programs,
    relief_2020,
)
from humanaid import (
    INDICATOR_CATALOGUE,
    AdminArea,
    AdminLevel,
    Boundary,
    Case,
    CaseKind,
    Crossing,
    Dataset,
    Disaggregation,
    Donor,
    DonorKind,
    Flow,
    FlowKind,
    Fund,
    FundingShare,
    FundingSourceKind,
    FundKind,
    Household,
    Indicator,
    IndicatorValue,
    LendingTerms,
    Loan,
    Money,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    Period,
    Person,
    Project,
    ProjectKind,
    ProjectStatus,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
    Sex,
    UnknownId,
    classify_flow,
    project_finance,
    revolving_flows,
)
from humanaid.interop.iati import (
    ACTIVITY_STATUS,
    DAC_SECTORS,
    TransactionType,
    activity_transactions,
    to_iati,
    to_iati_xml,
    validate_iati,
)
from humanaid.testing import (
    currencies,
    donors,
    flows,
    indicator_values,
    parties,
    projects,
)
from humanaid.testing import datasets as any_datasets

etree: Any = importlib.import_module("lxml.etree")

# The schemas are vendored so that these tests never skip; CI also has the shared copy
# beside the clone, which must be the same files.
SCHEMA_DIR = Path(__file__).parent / "data" / "iati-2.03"
SCHEMA = SCHEMA_DIR / "iati-activities-schema.xsd"
SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "iati-2.03"

REPORTER = "CN-QJRC"


def schema() -> Any:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def assert_valid(xml: bytes) -> Any:
    doc = etree.fromstring(xml)
    checker = schema()
    assert checker.validate(doc), "\n".join(str(e) for e in checker.error_log)
    assert validate_iati(xml, SCHEMA) == ()
    return doc


def codes(codelist: str) -> set[str]:
    tree = etree.parse(str(SCHEMA_DIR / "codelists" / f"{codelist}.xml"))
    return {c.text for c in tree.iter("code")}


# -- a rich, hand-built dataset ------------------------------------------------------------------

VILLAGE_TERMS = LendingTerms(
    term_months=12,
    annual_rate=Decimal("0.06"),
    method=RepaymentMethod.DECLINING_BALANCE,
    frequency=RepaymentFrequency.QUARTERLY,
)


def rich() -> Dataset:
    orgs = [
        *RED_CROSS,
        Organization(
            id="station", name="青云村红十字服务站", level=OrgLevel.VILLAGE, parent_id="huize"
        ),
        Organization(
            id="huize-gov", name="会泽县人民政府", kind=OrgKind.GOVERNMENT, level=OrgLevel.COUNTY
        ),
        Organization(id="acme", name="曲靖某某实业有限公司", kind=OrgKind.ENTERPRISE),
        Organization(id="hospital", name="曲靖市第一人民医院", kind=OrgKind.HOSPITAL),
    ]
    donor_list = [
        Donor(
            id="d-acme",
            kind=DonorKind.ENTERPRISE,
            public_name="曲靖某某实业",
            organization_id="acme",
        ),
        ZHANG,
        Donor(id="d-li", kind=DonorKind.INDIVIDUAL, name="李四光", public_name="爱心人士"),
        Donor(id="d-anon", kind=DonorKind.ANONYMOUS),
    ]
    fund_list = [
        Fund(id="qj-general", name="曲靖市红十字会 general fund", organization_id="qujing"),
        Fund(
            id="acme-special",
            name="acme special fund",
            kind=FundKind.SPECIAL,
            organization_id="qujing",
            sponsor_id="acme",
            purposes=("medical", "relief"),
        ),
    ]
    project_list = [
        qingyun(
            batch=3,
            funding=(
                FundingShare(
                    source=FundingSourceKind.HIGHER_LEVEL_GRANT,
                    amount=cny("200000"),
                    funder=Party.organization("yunnan"),
                ),
                FundingShare(
                    source=FundingSourceKind.COUNTY_TOWNSHIP_MATCH,
                    amount=cny("150000"),
                    funder=Party.organization("huize-gov"),
                ),
                FundingShare(
                    source=FundingSourceKind.SOCIAL_DONATIONS,
                    amount=cny("100000"),
                    funder=Party.donor("d-acme"),
                ),
            ),
        ),
        relief_2020(budget="98932.00"),
        Project(
            id="heart-r10",
            name="救心行动 第十轮",
            kind=ProjectKind.MEDICAL_AID,
            organization_id="qujing",
            period=Period(date(2020, 3, 1), date(2021, 2, 28)),
            budget=cny("2391700.00"),
            status=ProjectStatus.COMPLETED,
            program_id="heart",
            batch=10,
            area_id="530300",
        ),
        Project(
            id="station-2021",
            name="服务站建设",
            kind=ProjectKind.SERVICE_STATION,
            organization_id="huize",
            period=Period(date(2021, 1, 1), date(2023, 6, 30)),
            budget=cny("30000.01"),
            status=ProjectStatus.PLANNED,
        ),
        Project(
            id="dropped",
            name="取消的项目",
            kind=ProjectKind.OTHER,
            organization_id="huize",
            period=Period.year(2019),
            budget=cny("1000"),
            status=ProjectStatus.CANCELLED,
        ),
    ]
    q, r, h = Party.project("qingyun"), Party.project("relief-2020"), Party.project("heart-r10")
    flow_list = [
        # 青云村: three co-financing sources, a small gift, a gift in dollars
        Flow(id="q-grant", source=Party.organization("yunnan"), destination=q,
             amount=cny("200000"), on=date(2019, 5, 6), kind=FlowKind.GRANT),
        Flow(id="q-match", source=Party.organization("huize-gov"), destination=q,
             amount=cny("150000"), on=date(2019, 6, 3), kind=FlowKind.GRANT),
        Flow(id="q-acme", source=Party.donor("d-acme"), destination=q,
             amount=cny("100000"), on=date(2019, 7, 1), kind=FlowKind.DONATION),
        Flow(id="q-zhang", source=Party.donor("d-zhang"), destination=q,
             amount=cny("2000"), on=date(2019, 7, 2), kind=FlowKind.DONATION),
        Flow(id="q-usd", source=Party.donor("d-li"), destination=q,
             amount=Money("1000", "USD"), on=date(2019, 8, 10), kind=FlowKind.DONATION),
        # ... seed capital into its own village fund, works, a station, refunds both ways
        Flow(id="q-seed", source=q, destination=Party.revolving_fund("qy-fund"),
             amount=cny("120000"), on=date(2019, 6, 15), kind=FlowKind.ALLOCATION),
        Flow(id="q-works", source=q, destination=Party.outside("suppliers"),
             amount=cny("80000"), on=date(2019, 9, 1), kind=FlowKind.DISBURSEMENT,
             note="water cellars"),
        Flow(id="q-station", source=q, destination=Party.organization("station"),
             amount=cny("20000"), on=date(2019, 10, 1), kind=FlowKind.DISBURSEMENT),
        Flow(id="q-back", source=Party.outside("suppliers"), destination=q,
             amount=cny("1500"), on=date(2019, 10, 15), kind=FlowKind.REFUND),
        Flow(id="q-refund", source=q, destination=Party.donor("d-zhang"),
             amount=cny("500"), on=date(2019, 8, 1), kind=FlowKind.REFUND),
        # money the funds hold
        Flow(id="gifts", source=Party.donor("d-anon"), destination=Party.fund("qj-general"),
             amount=cny("100000"), on=date(2019, 12, 1), kind=FlowKind.DONATION),
        Flow(id="acme-gift", source=Party.donor("d-acme"),
             destination=Party.fund("acme-special"), amount=cny("600000"),
             on=date(2019, 12, 1), kind=FlowKind.DONATION),
        # 博爱送万家 2020: general and special fund money, goods in kind to households
        Flow(id="r-general", source=Party.fund("qj-general"), destination=r,
             amount=cny("60000"), on=date(2020, 1, 5), kind=FlowKind.ALLOCATION),
        Flow(id="r-goods", source=Party.fund("acme-special"), destination=r,
             amount=cny("38932"), on=date(2020, 1, 6), kind=FlowKind.ALLOCATION, in_kind=True,
             purpose="relief"),
        Flow(id="r-suppliers", source=r, destination=Party.outside("suppliers"),
             amount=cny("97932"), on=date(2020, 1, 10), kind=FlowKind.DISBURSEMENT),
        Flow(id="r-h3", source=r, destination=Party.household("h3"),
             amount=cny("500"), on=date(2020, 1, 20), kind=FlowKind.DISBURSEMENT, in_kind=True),
        Flow(id="r-h4", source=r, destination=Party.household("h4"),
             amount=cny("500"), on=date(2020, 1, 20), kind=FlowKind.DISBURSEMENT, in_kind=True),
        # 救心行动: a national grant, the special fund, payments to the hospital
        Flow(id="h-national", source=Party.organization("rc-china"), destination=h,
             amount=cny("1000000"), on=date(2020, 3, 10), kind=FlowKind.GRANT),
        Flow(id="h-special", source=Party.fund("acme-special"), destination=h,
             amount=cny("500000"), on=date(2020, 3, 15), kind=FlowKind.ALLOCATION,
             purpose="medical"),
        Flow(id="h-pay-1", source=h, destination=Party.organization("hospital"),
             amount=cny("18000"), on=date(2020, 5, 1), kind=FlowKind.DISBURSEMENT),
        Flow(id="h-pay-2", source=h, destination=Party.case("c2"),
             amount=cny("19500"), on=date(2020, 6, 1), kind=FlowKind.DISBURSEMENT),
    ]  # fmt: skip
    households = [
        Household(id=f"h{i}", members=m, area_id="530326101201", address="某某村3组")
        for i, m in ((1, 4), (2, 3), (3, 5), (4, 2))
    ]
    persons = [
        Person(id="p1", name="王小明", household_id="h1"),
        Person(id="p2", name="王小红", household_id="h2"),
    ]
    fund = RevolvingFund(
        id="qy-fund",
        name="青云村循环金",
        project_id="qingyun",
        area_id="530326101201",
        organization_id="station",
        terms=VILLAGE_TERMS,
    )
    loans = [
        Loan.from_fund(fund, id="L1", household_id="h1", principal=cny("10000"),
                       disbursed_on=date(2019, 7, 1), purpose="pigs"),
        Loan.from_fund(fund, id="L2", household_id="h2", principal=cny("5000"),
                       disbursed_on=date(2019, 8, 1), purpose="potatoes"),
    ]  # fmt: skip
    repayments = [
        Repayment(id="rp1", loan_id="L1", paid_on=date(2019, 10, 1), amount=cny("2594.45")),
        Repayment(id="rp2", loan_id="L2", paid_on=date(2019, 11, 1), amount=cny("1000")),
        Repayment(id="rp3", loan_id="L1", paid_on=date(2020, 1, 2), amount=cny("2594.45")),
    ]

    def heart_case(case_id: str, person: str, amount: str | None) -> Case:
        case = Case.refer(
            id=case_id,
            kind=CaseKind.MEDICAL,
            person_id=person,
            program_id="heart",
            project_id="heart-r10",
            hospital_id="hospital",
            condition="congenital_heart_disease",
            on=date(2020, 3, 20),
        ).advance("screened", on=date(2020, 3, 21))
        if amount is None:
            return case.advance("withdrawn", on=date(2020, 3, 25))
        return case.advance("assessed", on=date(2020, 3, 28)).advance(
            "approved", on=date(2020, 4, 1), approved=cny(amount)
        )

    cases = [
        heart_case("c1", "p1", "18000"),
        heart_case("c2", "p2", "20000").advance(
            "in_treatment", on=date(2020, 5, 20), paid=cny("19500")
        ),
    ]
    cases.append(heart_case("c3", "p1", None))
    year = Period(date(2019, 4, 1), date(2019, 12, 31))
    values = [
        # a baseline: first aiders certified the year before 青云村's project started
        IndicatorValue(id="v0", indicator_id="first-aiders-certified", project_id="qingyun",
                       period=Period.year(2018), value=12),
        IndicatorValue(id="v1", indicator_id="first-aiders-certified", project_id="qingyun",
                       period=year, value=50, target=True),
        IndicatorValue(id="v2", indicator_id="first-aiders-certified", project_id="qingyun",
                       period=year, value=40),
        IndicatorValue(id="v3", indicator_id="first-aiders-certified", project_id="qingyun",
                       period=year, value=25, disaggregation=Disaggregation(sex=Sex.FEMALE)),
        IndicatorValue(id="v4", indicator_id="first-aiders-certified", project_id="qingyun",
                       period=year, value=15, disaggregation=Disaggregation(sex=Sex.MALE)),
        IndicatorValue(id="v5", indicator_id="households-reached", project_id="qingyun",
                       period=Period(date(2019, 4, 1), date(2021, 3, 31)), value=120,
                       target=True),
        IndicatorValue(id="v6", indicator_id="households-reached", project_id="qingyun",
                       period=Period.quarter(2019, 4), value=80),
        IndicatorValue(id="v7", indicator_id="households-reached", project_id="qingyun",
                       period=Period.year(2020), value=110),
        IndicatorValue(id="v8", indicator_id="operations-funded", project_id="heart-r10",
                       period=Period(date(2020, 3, 1), date(2021, 2, 28)), value=60,
                       target=True),
        IndicatorValue(id="v9", indicator_id="operations-funded", project_id="heart-r10",
                       period=Period(date(2020, 3, 1), date(2021, 2, 28)), value=50,
                       disaggregation=Disaggregation(age_group="0-17")),
        IndicatorValue(id="v10", indicator_id="operations-funded", project_id="heart-r10",
                       period=Period(date(2020, 3, 1), date(2021, 2, 28)), value=5,
                       disaggregation=Disaggregation(age_group="18-59")),
        IndicatorValue(id="v11", indicator_id="stations-built", organization_id="huize",
                       period=Period.year(2020), value=3),
        IndicatorValue(id="v12", indicator_id="wells-dug", project_id="qingyun",
                       period=Period.year(2020), value=Decimal("2.5")),
    ]  # fmt: skip
    return Dataset(
        name="rich",
        organizations=tuple(orgs),
        admin_areas=huize_areas(),
        donors=tuple(donor_list),
        funds=tuple(fund_list),
        flows=tuple(flow_list),
        persons=tuple(persons),
        households=tuple(households),
        cases=tuple(cases),
        programs=qujing_programs("boai", "relief", "heart"),
        projects=tuple(project_list),
        indicators=(*INDICATOR_CATALOGUE, Indicator(id="wells-dug", name="wells", unit="wells")),
        indicator_values=tuple(values),
        revolving_funds=(fund,),
        loans=tuple(loans),
        repayments=tuple(repayments),
    )


RICH = rich()


def export(ds: Dataset = RICH, **options: Any) -> Any:
    options.setdefault("reporting_org_id", REPORTER)
    options.setdefault("reporting_org", "qujing")
    return assert_valid(to_iati_xml(ds, **options))


def activity(doc: Any, project_id: str) -> Any:
    (found,) = doc.xpath(f"iati-activity[iati-identifier='{REPORTER}-{project_id}']")
    return found


def transaction_sums(act: Any) -> dict[tuple[str, str], Decimal]:
    sums: dict[tuple[str, str], Decimal] = {}
    for t in act.iter("transaction"):
        key = (t.find("transaction-type").get("code"), t.find("value").get("currency"))
        sums[key] = sums.get(key, Decimal(0)) + Decimal(t.find("value").text)
    return sums


# -- the rich dataset ----------------------------------------------------------------------------


def test_rich_dataset_is_clean_enough_to_publish() -> None:
    # (the charity-law spending ratios need a whole society's year, not this sample)
    errors = [
        f
        for f in RICH.validate()
        if f.severity.value == "error" and not f.rule.startswith("compliance.")
    ]
    assert errors == []


def test_rich_export_validates_against_the_schema() -> None:
    doc = export(generated=datetime(2021, 4, 1, 9, 30))
    assert doc.get("version") == "2.03"
    assert doc.get("generated-datetime") == "2021-04-01T09:30:00"
    assert len(doc.findall("iati-activity")) == len(RICH.projects)
    # 青云村 6 in, 3 out, 2 loans, 3 repayments of principal and interest (6); 博爱送万家
    # 2 in, 3 out; 救心行动 2 in, 2 out, 2 commitments
    assert len(doc.findall(".//transaction")) == 17 + 5 + 6


def test_every_code_written_is_in_its_code_list() -> None:
    doc = export()
    written = {
        "TransactionType": {e.get("code") for e in doc.iter("transaction-type")},
        "OrganisationRole": {e.get("role") for e in doc.iter("participating-org")},
        "ActivityStatus": {e.get("code") for e in doc.iter("activity-status")},
        "BudgetType": {e.get("type") for e in doc.iter("budget")},
        "BudgetStatus": {e.get("status") for e in doc.iter("budget")},
    }
    for codelist, found in written.items():
        assert found <= codes(codelist), codelist
    assert written["TransactionType"] == {"1", "2", "3", "4", "5", "6"}
    assert written["OrganisationRole"] == {"1", "2", "4"}
    assert set(ACTIVITY_STATUS.values()) <= codes("ActivityStatus")
    assert {t.value for t in TransactionType} == codes("TransactionType")


def test_incoming_and_spending_match_project_finance_without_village_funds() -> None:
    doc = export(revolving_funds=False, commitments=False)
    for project in RICH.projects:
        finance = project_finance(RICH, project.id)
        sums = transaction_sums(activity(doc, project.id))
        assert sums.get(("1", "CNY"), Decimal(0)) == finance.received.amount
        spent = sums.get(("3", "CNY"), Decimal(0)) + sums.get(("4", "CNY"), Decimal(0))
        assert spent == finance.spent.amount
    qingyun = transaction_sums(activity(doc, "qingyun"))
    assert qingyun == {
        ("1", "CNY"): Decimal("451500.00"),  # 200000 + 150000 + 100000 + 2000 - 500 given back
        ("1", "USD"): Decimal("1000.00"),
        ("3", "CNY"): Decimal("140000.00"),  # the village fund's seed and the station
        ("4", "CNY"): Decimal("78500.00"),  # works, less 1500 the suppliers gave back
    }


def test_village_fund_loans_repayments_and_interest_are_the_activitys() -> None:
    doc = export()
    sums = transaction_sums(activity(doc, "qingyun"))
    implied = revolving_flows(RICH)
    by_kind = Counter[str]()
    totals: dict[FlowKind, Decimal] = {}
    for flow in implied:
        by_kind[flow.kind.value] += 1
        totals[flow.kind] = totals.get(flow.kind, Decimal(0)) + flow.amount.amount
    assert totals[FlowKind.LOAN_DISBURSEMENT] == Decimal("15000.00")
    assert sums[("6", "CNY")] == totals[FlowKind.LOAN_REPAYMENT]
    assert sums[("5", "CNY")] == totals[FlowKind.INTEREST] > 0
    # the seed capital stays inside the activity; the loans leave it as disbursements
    assert sums[("3", "CNY")] == Decimal("20000.00") + totals[FlowKind.LOAN_DISBURSEMENT]
    loans = activity(doc, "qingyun").xpath("transaction[transaction-type/@code='6']")
    assert {t.find("finance-type").get("code") for t in loans} == {"410"}
    assert {t.find("provider-org/narrative").text for t in loans} == {"borrowing households"}
    assert {t.find("receiver-org/narrative").text for t in loans} == {"青云村循环金"}
    roles = [
        (p.get("role"), p.find("narrative").text)
        for p in activity(doc, "qingyun").findall("participating-org")
    ]
    assert ("4", "青云村红十字服务站") in roles  # the fund's operator implements too


def test_transactions_sorted_and_typed() -> None:
    found = activity_transactions(RICH, "relief-2020")
    assert [(t.type, t.value) for t in found] == [
        (TransactionType.INCOMING_FUNDS, cny("60000")),
        (TransactionType.INCOMING_FUNDS, cny("38932")),
        (TransactionType.EXPENDITURE, cny("97932")),
        (TransactionType.EXPENDITURE, cny("500")),
        (TransactionType.EXPENDITURE, cny("500")),
    ]
    assert [t.on for t in found] == sorted(t.on for t in found)
    assert found[1].in_kind
    # a misspelt project id names the argument and the nearest ids, never a bare KeyError
    with pytest.raises(UnknownId, match="project_id 'nope' is not among the dataset's projects"):
        activity_transactions(RICH, "nope")
    near = RICH.projects[0].id
    with pytest.raises(UnknownId, match=f"did you mean '{near}'") as e:
        activity_transactions(RICH, near[:-1] + "x")
    assert isinstance(e.value, KeyError)
    assert near in e.value.suggestions


def test_refunds_are_negative_and_reverse_their_ends() -> None:
    found = {t.ref: t for t in activity_transactions(RICH, "qingyun")}
    given_back = found["q-refund"]
    assert given_back.type is TransactionType.INCOMING_FUNDS
    assert given_back.value == cny("-500")
    assert (given_back.provider, given_back.receiver) == (
        Party.donor("d-zhang"),
        Party.project("qingyun"),
    )
    got_back = found["q-back"]
    assert (got_back.type, got_back.value) == (TransactionType.EXPENDITURE, cny("-1500"))
    assert got_back.receiver == Party.outside("suppliers")


def test_each_transaction_carries_how_the_project_s_boundary_counts_it() -> None:
    found = {t.ref: t for t in activity_transactions(RICH, "qingyun")}
    assert found["q-acme"].crossing is Crossing.RAISED
    assert found["q-match"].crossing is Crossing.BROUGHT_IN
    assert found["q-works"].crossing is Crossing.PUT_IN
    assert found["q-refund"].crossing is Crossing.OTHER_OUT
    assert found["q-back"].crossing is Crossing.OTHER_IN
    assert "q-seed" not in found  # into its own village fund: inside the activity
    boundary = Boundary.project(RICH, "qingyun")
    for t in found.values():
        if t.flow_kind is not None:
            flow = RICH.ledger().flow(t.ref)
            assert flow is not None
            assert t.crossing is classify_flow(flow, boundary)
        else:
            assert t.crossing is None  # a commitment moves no money


def test_approved_cases_are_outgoing_commitments() -> None:
    act = activity(export(), "heart-r10")
    commitments = act.xpath("transaction[transaction-type/@code='2']")
    assert [t.get("ref") for t in commitments] == ["case:c1:approved", "case:c2:approved"]
    assert sum(Decimal(t.find("value").text) for t in commitments) == Decimal("38000.00")
    assert {t.find("receiver-org/narrative").text for t in commitments} == {"曲靖市第一人民医院"}
    assert {t.find("transaction-date").get("iso-date") for t in commitments} == {"2020-04-01"}
    none = activity(export(commitments=False), "heart-r10")
    assert none.xpath("transaction[transaction-type/@code='2']") == []


def test_budget_lines_add_up_to_the_budget_and_keep_within_a_year() -> None:
    doc = export()
    for project in RICH.projects:
        budgets = activity(doc, project.id).findall("budget")
        total = sum((Decimal(b.find("value").text) for b in budgets), Decimal(0))
        assert total == project.budget.amount, project.id
        previous_end = project.period.start - timedelta(days=1)
        for b in budgets:
            start = date.fromisoformat(b.find("period-start").get("iso-date"))
            end = date.fromisoformat(b.find("period-end").get("iso-date"))
            assert start == previous_end + timedelta(days=1)
            assert start.year == end.year
            assert (end - start).days < 366
            assert b.get("type") == "1"
            previous_end = end
        assert previous_end == project.period.end
    station = activity(doc, "station-2021").findall("budget")
    assert [b.find("value").text for b in station] == ["12019.76", "12019.76", "5960.49"]
    assert {b.get("status") for b in station} == {"1"}  # planned: indicative
    assert {b.get("status") for b in activity(doc, "qingyun").findall("budget")} == {"2"}


def test_status_dates_sector_country_and_location() -> None:
    doc = export(location_vocabulary="A1")
    dates = {
        p: [(d.get("type"), d.get("iso-date")) for d in activity(doc, p).findall("activity-date")]
        for p in ("qingyun", "relief-2020", "station-2021")
    }
    assert dates["qingyun"] == [("1", "2019-04-01"), ("2", "2019-04-01"), ("3", "2021-03-31")]
    assert dates["relief-2020"] == [
        ("1", "2020-01-01"),
        ("2", "2020-01-01"),
        ("3", "2020-12-31"),
        ("4", "2020-12-31"),
    ]
    assert dates["station-2021"] == [("1", "2021-01-01"), ("3", "2023-06-30")]
    statuses = {
        p.id: activity(doc, p.id).find("activity-status").get("code") for p in RICH.projects
    }
    assert statuses == {
        "qingyun": "2",
        "relief-2020": "4",
        "heart-r10": "4",
        "station-2021": "1",
        "dropped": "5",
    }
    qingyun = activity(doc, "qingyun")
    assert qingyun.find("sector").attrib == {"vocabulary": "1", "code": "43060"}
    assert qingyun.find("recipient-country").get("code") == "CN"
    location = qingyun.find("location")
    assert location.get("ref") == "530326101201"
    assert location.find("name/narrative").text == "青云村"
    assert [a.get("code") for a in location.findall("administrative")] == [
        "530000",
        "530300",
        "530326",
        "530326101",
        "530326101201",
    ]
    assert activity(doc, "station-2021").find("location") is None
    plain = activity(export(country=None), "qingyun")
    assert plain.find("recipient-country") is None
    assert plain.find("location/administrative") is None


def test_participating_organisations_and_their_roles() -> None:
    doc = export(org_refs={"yunnan": "CN-YNRC", "acme": "CN-USCC-91530300X"})
    orgs = [
        (p.get("role"), p.get("ref"), p.get("type"), p.find("narrative").text)
        for p in activity(doc, "qingyun").findall("participating-org")
    ]
    assert orgs == [
        ("1", "CN-YNRC", "22", "云南省红十字会"),
        ("1", None, "11", "会泽县人民政府"),
        ("1", "CN-USCC-91530300X", "70", "曲靖某某实业有限公司"),
        ("1", None, None, "爱心人士"),
        ("2", None, "22", "会泽县红十字会"),
        ("4", None, "22", "会泽县红十字会"),
        ("4", None, "22", "青云村红十字服务站"),
    ]
    heart = [
        (p.get("role"), p.find("narrative").text)
        for p in activity(doc, "heart-r10").findall("participating-org")
    ]
    # the special fund's money is its sponsor's; the national society's grant is funding
    assert heart[:2] == [("1", "中国红十字会总会"), ("1", "曲靖某某实业有限公司")]
    reporting = activity(doc, "heart-r10").find("reporting-org")
    assert reporting.attrib == {"ref": REPORTER, "type": "22"}
    assert reporting.find("narrative").text == "曲靖市红十字会"


def test_results_baseline_targets_actuals_and_dimensions() -> None:
    doc = export()
    results = activity(doc, "qingyun").findall("result")
    assert [r.find("title/narrative").text for r in results] == [
        "first aiders certified",
        "households reached",
        "wells",
    ]
    certified = results[0].find("indicator")
    assert certified.find("reference").attrib == {
        "vocabulary": "99",
        "code": "first-aiders-certified",
    }
    baseline = certified.find("baseline")
    assert baseline.attrib == {"year": "2019", "iso-date": "2019-03-31", "value": "12"}
    (period,) = certified.findall("period")
    assert period.find("period-start").get("iso-date") == "2019-04-01"
    assert [t.get("value") for t in period.findall("target")] == ["50"]
    actuals = [
        (a.get("value"), [(d.get("name"), d.get("value")) for d in a.findall("dimension")])
        for a in period.findall("actual")
    ]
    assert actuals == [("40", []), ("25", [("sex", "female")]), ("15", [("sex", "male")])]
    reached = results[1].find("indicator")
    assert reached.find("baseline") is None
    periods = [
        (p.find("period-end").get("iso-date"), p[2].tag, p[2].get("value"))
        for p in reached.findall("period")
    ]
    assert periods == [  # in order of their start
        ("2021-03-31", "target", "120"),
        ("2019-12-31", "actual", "80"),
        ("2020-12-31", "actual", "110"),
    ]
    assert results[2].find("indicator/period/actual").get("value") == "2.5"
    heart = activity(doc, "heart-r10").find("result/indicator")
    period = heart.find("period")
    assert period.find("target").get("value") == "60"
    # only a breakdown by age was reported: its sum is the total
    assert [a.get("value") for a in period.findall("actual")] == ["55", "50", "5"]
    # organisation-level values belong to no activity
    assert doc.xpath("//indicator/reference[@code='stations-built']") == []


def test_no_personal_data_leaves() -> None:
    xml = etree.tostring(export(), encoding="unicode")
    for secret in ("张三丰", "13800138000", "李四光", "王小明", "王小红", "某某村3组"):
        assert secret not in xml
    assert "congenital_heart_disease" not in xml  # a case's condition is health data
    assert "individual donors" in xml  # the person who gave without a public name
    assert "爱心人士" in xml  # the person who agreed to be named so


def test_no_clock_is_read_without_generated() -> None:
    doc = export()
    assert doc.get("generated-datetime") is None
    assert all(a.get("last-updated-datetime") is None for a in doc.findall("iati-activity"))
    dated = export(generated=date(2021, 4, 1))
    assert dated.get("generated-datetime") == "2021-04-01T00:00:00"
    with pytest.raises(TypeError, match="'generated' must be a datetime or a date"):
        to_iati(RICH, reporting_org_id=REPORTER, generated="2021-04-01")  # type: ignore[arg-type]


def test_identifiers_prefix_projects_and_sectors() -> None:
    doc = export(
        projects=["heart-r10", "qingyun"],
        identifier_prefix="CN-QJRC-OLD",
        sectors={ProjectKind.COMMUNITY_RESILIENCE: "43040"},
    )
    ids = [a.findtext("iati-identifier") for a in doc.findall("iati-activity")]
    assert ids == ["CN-QJRC-OLD-heart-r10", "CN-QJRC-OLD-qingyun"]
    assert doc.findall("iati-activity")[1].find("sector").get("code") == "43040"
    with pytest.raises(UnknownId, match="projects 'ghost' is not among the dataset's projects"):
        to_iati(RICH, reporting_org_id=REPORTER, projects=["ghost"])
    anonymous = export(reporting_org=None)
    reporter = anonymous.find("iati-activity/reporting-org")
    assert reporter.find("narrative").text == REPORTER
    assert reporter.get("type") == "22"
    assert set(DAC_SECTORS) == set(ProjectKind)


def test_text_xml_cannot_hold_never_reaches_a_record() -> None:
    # Noncharacters and control characters cannot be written as XML; the records refuse
    # them, so an export never meets them (it would replace them with U+FFFD).
    with pytest.raises(ValueError, match="'name' must not contain control or invisible"):
        Project(
            id="odd",
            name="村\ufffe项目",
            kind=ProjectKind.OTHER,
            organization_id="huize",
            period=Period.year(2020),
            budget=cny("1"),
        )
    with pytest.raises(ValueError, match="'note' must not contain control or invisible"):
        Flow(
            id="odd-1",
            source=Party.outside("bank"),
            destination=Party.project("odd"),
            amount=cny("1"),
            on=date(2020, 1, 1),
            kind=FlowKind.INTEREST,
            note="bell\x07",
        )


def test_validate_reports_schema_errors() -> None:
    doc = export()
    act = doc.find("iati-activity")
    act.remove(act.find("reporting-org"))
    (problem,) = validate_iati(etree.tostring(doc), SCHEMA)
    assert problem.startswith("line ")
    assert problem.endswith("'title': This element is not expected. Expected is ( reporting-org ).")
    (again,) = validate_iati(etree.ElementTree(doc), str(SCHEMA))
    assert again.partition(": ")[2] == problem.partition(": ")[2]


def test_without_lxml_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, package: str | None = None) -> Any:
        if name.startswith("lxml"):
            raise ImportError("No module named 'lxml'")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", fake)
    with pytest.raises(ImportError, match=r"humanaid\[iati\]"):
        to_iati_xml(RICH, reporting_org_id=REPORTER)


def test_vendored_schemas_are_the_shared_ones() -> None:
    names = sorted(p.name for p in SCHEMA_DIR.glob("*.xsd"))
    assert names == [
        "iati-activities-schema.xsd",
        "iati-common.xsd",
        "iati-organisations-schema.xsd",
        "xml.xsd",
    ]
    if not SHARED_DIR.is_dir():  # a clone without ../shared: the vendored copy stands alone
        return
    for path in [*SCHEMA_DIR.glob("*.xsd"), *SCHEMA_DIR.glob("codelists/*.xml")]:
        shared = SHARED_DIR / path.relative_to(SCHEMA_DIR)
        assert shared.read_bytes() == path.read_bytes(), path.name


def test_the_schemas_own_examples_validate() -> None:
    # The vendored schema is the real one: the IATI examples pass, our broken one fails.
    examples = SHARED_DIR / "examples"
    checker = schema()
    for example in sorted(examples.glob("*.xml")) if examples.is_dir() else []:
        assert checker.validate(etree.parse(str(example))), example.name
    assert not checker.validate(etree.fromstring(b"<iati-activities version='2.03'/>"))


# -- generated datasets --------------------------------------------------------------------------

AREAS = (
    *huize_areas()[:3],  # down to the county
    AdminArea(id="530381", name="宣威市", level=AdminLevel.COUNTY, parent_id="530300"),
)


def money_moving(parties: list[Party]) -> st.SearchStrategy[Flow]:
    """Flows of every kind between ``parties``, in yuan or dollars."""
    return flows_between(
        parties,
        currencies=["CNY", "CNY", "USD"],
        ids=st.text("abcdefghij0123456789-", min_size=1, max_size=6),
        in_kind=st.booleans(),
        note=st.sampled_from(["", "water cellars", '<&> "quoted"']),
    )


@st.composite
def export_datasets(draw: st.DrawFn) -> Dataset:
    orgs, owned, ends = draw(owners_and_projects(max_size=4))
    givers = draw(st.lists(donors(), max_size=3, unique_by=lambda d: d.id))
    parties = [
        *ends,
        *(Party.donor(d.id) for d in givers),
        Party.household("h1"),
        Party.outside("suppliers"),
        Party.fund("unknown-fund"),
    ]
    money_flows = draw(st.lists(money_moving(parties), max_size=12, unique_by=lambda f: f.id))
    codes = [i.id for i in INDICATOR_CATALOGUE]
    values = draw(
        st.lists(
            indicator_values(indicator_ids=codes, project_ids=[p.id for p in owned]),
            max_size=8,
            unique_by=lambda v: v.id,
        )
    )
    return Dataset(
        organizations=tuple(orgs),
        admin_areas=AREAS,
        donors=tuple(givers),
        projects=tuple(owned),
        flows=tuple(money_flows),
        indicators=INDICATOR_CATALOGUE,
        indicator_values=tuple(values),
    )


def touching(ds: Dataset, project_id: str) -> Iterator[Flow]:
    party = Party.project(project_id)
    return (f for f in ds.flows if party in (f.source, f.destination))


@settings(max_examples=40, deadline=None)
@given(export_datasets())
def test_every_generated_export_validates_and_adds_up(ds: Dataset) -> None:
    doc = assert_valid(to_iati_xml(ds, reporting_org_id=REPORTER, generated=date(2024, 1, 1)))
    acts = doc.findall("iati-activity")
    assert len(acts) == len(ds.projects)
    for act, project in zip(acts, ds.projects, strict=True):
        budgets = [Decimal(v.text) for v in act.iterfind("budget/value")]
        assert sum(budgets, Decimal(0)) == project.budget.amount
        assert len(act.findall("transaction")) == len(list(touching(ds, project.id)))
        sums = transaction_sums(act)
        finance = project_finance(ds, project.id)
        received = [sums.get((t, project.currency), Decimal(0)) for t in ("1", "5", "6")]
        spent = [sums.get((t, project.currency), Decimal(0)) for t in ("3", "4")]
        assert sum(received, Decimal(0)) == finance.received.amount
        assert sum(spent, Decimal(0)) == finance.spent.amount


# -- what a publisher may get wrong ----------------------------------------------------------


def test_an_export_without_activities_is_refused_not_invalid() -> None:
    # The schema needs at least one iati-activity: an empty document would fail on upload.
    with pytest.raises(ValueError, match="no projects to export"):
        to_iati_xml(Dataset(), reporting_org_id=REPORTER)
    with pytest.raises(ValueError, match="no projects to export"):
        to_iati(RICH, reporting_org_id=REPORTER, projects=[])


def test_a_project_is_exported_once() -> None:
    # Two activities with one iati-identifier would clash in every IATI datastore.
    with pytest.raises(ValueError, match="'qingyun' more than once"):
        to_iati(RICH, reporting_org_id=REPORTER, projects=["qingyun", "qingyun"])


@pytest.mark.parametrize("language", ["zh_CN", "", "zh cn", "z\x00h"])
def test_a_language_xml_cannot_hold_is_refused(language: str) -> None:
    with pytest.raises(ValueError, match="'language' must be a language code"):
        to_iati(RICH, reporting_org_id=REPORTER, language=language)
    assert_valid(to_iati_xml(RICH, reporting_org_id=REPORTER, language="zh-Hans"))


@pytest.mark.parametrize(
    "options",
    [
        {"reporting_org_id": ""},
        {"reporting_org_id": "CN-\x00QJRC"},
        {"reporting_org_id": " CN-QJRC"},
        {"identifier_prefix": "CN-QJRC\x1f"},
        {"org_refs": {"huize": "CN-\ufffeHZ"}},
    ],
)
def test_identifiers_are_refused_not_silently_altered(options: dict[str, Any]) -> None:
    # An identifier with a character XML cannot hold would be written with U+FFFD: an
    # identifier nobody issued. It is refused, naming the option.
    options = {"reporting_org_id": REPORTER, **options}
    name = next((k for k in options if k != "reporting_org_id"), "reporting_org_id")
    with pytest.raises(ValueError, match=f"'{name}'"):
        to_iati(RICH, **options)


def test_an_earlier_prefix_is_reported_as_a_previous_reporting_org_identifier() -> None:
    # The iati-identifier must start with reporting-org/@ref or with a previous identifier
    # of the reporter given in other-identifier (type B1).
    doc = export(identifier_prefix="CN-QJRC-OLD")
    for act in doc.findall("iati-activity"):
        (other,) = act.findall("other-identifier")
        assert other.attrib == {"ref": "CN-QJRC-OLD", "type": "B1"}
        assert act.findtext("iati-identifier").startswith(other.get("ref") + "-")
    assert export().find("iati-activity/other-identifier") is None


@st.composite
def generated_datasets_with_projects(draw: st.DrawFn) -> Dataset:
    """Whatever humanaid.testing makes, with projects in any currency and their flows."""
    ds = draw(any_datasets(max_size=3))
    currency = draw(currencies())
    extra = draw(st.lists(projects(currency=currency), min_size=1, max_size=3))
    ends = st.sampled_from([Party.project(p.id) for p in extra]) | parties()
    moved = draw(st.lists(flows(currency=currency, sources=ends, destinations=ends), max_size=8))
    collections: dict[str, Any] = {n: ds.records(n) for n in ds.collection_types()}
    for name, more in (("projects", extra), ("flows", moved)):
        unique = {r.id: r for r in (*collections[name], *more)}
        collections[name] = tuple(unique.values())
    return Dataset(**collections)


@settings(max_examples=60, deadline=None)
@given(generated_datasets_with_projects(), st.sampled_from([REPORTER, "XM-DAC-41114"]))
def test_export_of_any_generated_dataset_is_schema_valid(ds: Dataset, reporter: str) -> None:
    xml = to_iati_xml(ds, reporting_org_id=reporter, generated=date(2024, 1, 1))
    doc = assert_valid(xml)
    assert len(doc.findall("iati-activity")) == len(ds.projects)
    for act in doc.findall("iati-activity"):
        assert act.findtext("iati-identifier").startswith(reporter + "-")
        for value in act.iter("value"):
            assert value.get("value-date")
            assert value.text.strip("-0123456789.") == ""  # plain, never 1E+2
            assert Decimal(value.text) == Decimal(value.text).quantize(Decimal(1).scaleb(-3))
