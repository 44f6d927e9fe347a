from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import given, settings

from humanaid import (
    BUILTIN_RULES,
    Case,
    Dataset,
    Disaggregation,
    Distribution,
    Finding,
    Flow,
    FlowKind,
    FundingShare,
    FundingSourceKind,
    IndicatorValue,
    Money,
    Party,
    Period,
    Program,
    ProgramBatch,
    Project,
    ProjectKind,
    ProjectStatus,
    Screening,
    ScreeningOutcome,
    Sex,
)
from humanaid.rules.projects import (
    breakdowns_add_up,
    completed_projects_report_results,
    funding_adds_up_to_budget,
    records_in_their_project_programme,
    results_within_project_period,
    spending_within_budget,
    spending_within_period,
    stated_totals_match,
)
from humanaid.testing import datasets

YEAR = Period.year(2020)
PROJECT_RULES: tuple[Callable[[Dataset], Iterator[Finding]], ...] = (
    funding_adds_up_to_budget,
    spending_within_budget,
    spending_within_period,
    completed_projects_report_results,
    stated_totals_match,
    breakdowns_add_up,
    results_within_project_period,
    records_in_their_project_programme,
)


def project(id: str = "p1", **kw: Any) -> Project:
    base: dict[str, Any] = {
        "id": id,
        "name": f"village project {id}",
        "kind": ProjectKind.COMMUNITY_RESILIENCE,
        "organization_id": "huize",
        "period": YEAR,
        "budget": Money("100000"),
        "status": ProjectStatus.ACTIVE,
        "funding": (
            FundingShare(source=FundingSourceKind.HIGHER_LEVEL_GRANT, amount=Money("60000")),
            FundingShare(source=FundingSourceKind.COUNTY_TOWNSHIP_MATCH, amount=Money("40000")),
        ),
    }
    base.update(kw)
    return Project(**base)


def pay(id: str, project_id: str, amount: str, on: date, **kw: Any) -> Flow:
    kw.setdefault("kind", FlowKind.DISBURSEMENT)
    return Flow(
        id=id,
        source=Party.project(project_id),
        destination=Party.outside("supplier"),
        amount=Money(amount),
        on=on,
        **kw,
    )


def result(id: str, project_id: str = "p1", value: int = 10, **kw: Any) -> IndicatorValue:
    return IndicatorValue(
        id=id,
        indicator_id="people-trained",
        project_id=project_id,
        period=kw.pop("period", YEAR),
        value=value,
        **kw,
    )


def found(ds: Dataset, rule: Callable[[Dataset], Iterator[Finding]]) -> list[tuple[str, str]]:
    return [(f.rule, f.subject or "") for f in rule(ds)]


def clean() -> Dataset:
    return Dataset(
        programs=(
            Program(
                id="boai",
                name="博爱家园",
                organization_id="qujing",
                stated_budget=Money("200000"),
                stated_projects=2,
                stated_batches=1,
                batches=(ProgramBatch(number=1, projects=2, budget=Money("200000")),),
            ),
        ),
        projects=(
            project("p1", program_id="boai", batch=1, status=ProjectStatus.COMPLETED),
            project("p2", program_id="boai", batch=1),
            project("gone", program_id="boai", batch=1, status=ProjectStatus.CANCELLED),
        ),
        flows=(
            Flow(
                id="in",
                source=Party.organization("qujing"),
                destination=Party.project("p1"),
                amount=Money("100000"),
                on=date(2020, 1, 5),
                kind=FlowKind.GRANT,
            ),
            pay("s1", "p1", "90000", date(2020, 6, 1)),
            pay("r1", "p1", "5000", date(2021, 2, 1), kind=FlowKind.REFUND),
        ),
        indicator_values=(
            result("t", target=True, value=200),
            result("a", value=150),
            result("f", value=90, disaggregation=Disaggregation(sex=Sex.FEMALE)),
            result("m", value=60, disaggregation=Disaggregation(sex=Sex.MALE)),
        ),
    )


def test_a_clean_dataset_gives_no_project_findings() -> None:
    ds = clean()
    for rule in PROJECT_RULES:
        assert list(rule(ds)) == [], rule.__name__
    assert all(rule in BUILTIN_RULES for rule in PROJECT_RULES)
    assert [f for f in ds.validate() if f.rule.startswith("projects.")] == []


def test_funding_that_does_not_add_up_to_the_budget_is_found() -> None:
    short = project(
        "short", funding=(FundingShare(source=FundingSourceKind.OWN_FUNDS, amount=Money("30000")),)
    )
    over = project(
        "over",
        funding=(
            *project().funding,
            FundingShare(source=FundingSourceKind.SOCIAL_DONATIONS, amount=Money("0.01")),
        ),
    )
    unplanned = project("unplanned", funding=())
    ds = Dataset(projects=(short, over, unplanned, project("fine")))
    findings = list(funding_adds_up_to_budget(ds))
    assert [(f.rule, f.subject) for f in findings] == [
        ("projects.funding-mismatch", "short"),
        ("projects.funding-mismatch", "over"),
    ]
    assert findings[0].figures == {
        "budget": Money("100000"),
        "planned": Money("30000"),
        "difference": Money("-70000"),
    }
    assert findings[0].message == (
        "project 'short' plans funding of 3万元, short of its budget of 10万元"
    )
    assert "more than its budget" in findings[1].message


def test_spending_over_budget_is_found() -> None:
    ds = Dataset(
        projects=(project("p1"), project("p2")),
        flows=(
            pay("a", "p1", "80000", date(2020, 3, 1)),
            pay("b", "p1", "30000", date(2020, 4, 1)),
            # a refund out of the project is not spending; a supplier's refund lowers it
            pay("c", "p2", "100000", date(2020, 4, 1)),
            pay("d", "p2", "50000", date(2020, 5, 1), kind=FlowKind.REFUND),
            Flow(
                id="e",
                source=Party.outside("supplier"),
                destination=Party.project("p2"),
                amount=Money("1"),
                on=date(2020, 6, 1),
                kind=FlowKind.REFUND,
            ),
            pay("f", "p2", "1", date(2020, 6, 2)),
        ),
    )
    (finding,) = spending_within_budget(ds)
    assert (finding.rule, finding.subject) == ("projects.over-budget", "p1")
    assert finding.figures["over"] == Money("10000")
    assert finding.message == "project 'p1' spent 11万元, 1万元 over its budget of 10万元"
    # money in another currency than the budget's is not counted
    usd = Dataset(
        projects=(project("p2"),),
        flows=(pay("c", "p2", "100000", date(2020, 4, 1)),
               Flow(id="u", source=Party.project("p2"), destination=Party.outside(),
                    amount=Money("5", "USD"), on=date(2020, 4, 1), kind=FlowKind.DISBURSEMENT)),
    )  # fmt: skip
    assert list(spending_within_budget(usd)) == []


def test_spending_outside_the_period_is_found_per_flow() -> None:
    ds = Dataset(
        projects=(project("p1"),),
        flows=(
            pay("early", "p1", "100", date(2019, 12, 31)),
            pay("first-day", "p1", "100", date(2020, 1, 1)),
            pay("last-day", "p1", "100", date(2020, 12, 31)),
            pay("late", "p1", "100", date(2021, 1, 1)),
            pay("late-refund", "p1", "100", date(2021, 1, 1), kind=FlowKind.REFUND),
        ),
    )
    findings = list(spending_within_period(ds))
    assert [(f.rule, f.subject) for f in findings] == [
        ("projects.spending-outside-period", "early"),
        ("projects.spending-outside-period", "late"),
    ]
    assert findings[0].message == (
        "project 'p1' spent 0.01万元 on 2019-12-31, before it started (its period is 2020)"
    )
    assert "after it ended" in findings[1].message
    assert findings[1].figures["project"] == "p1"


def test_a_completed_project_without_results_is_found() -> None:
    ds = Dataset(
        projects=(
            project("done", status=ProjectStatus.COMPLETED),
            project("only-target", status=ProjectStatus.COMPLETED),
            project("reported", status=ProjectStatus.COMPLETED),
            project("running"),
        ),
        indicator_values=(
            result("t", "only-target", target=True),
            result("a", "reported"),
            IndicatorValue(
                id="o",
                indicator_id="people-trained",
                organization_id="done",
                period=YEAR,
                value=1,
            ),
        ),
    )
    assert found(ds, completed_projects_report_results) == [
        ("projects.no-results", "done"),
        ("projects.no-results", "only-target"),
    ]


def test_a_batch_or_programme_that_disagrees_with_its_stated_totals_is_found() -> None:
    program = Program(
        id="boai",
        name="博爱家园",
        organization_id="qujing",
        stated_budget=Money.parse("690万元"),
        stated_projects=16,
        stated_batches=4,
        batches=(
            ProgramBatch(number=1, projects=2, budget=Money("200000")),
            ProgramBatch(number=2, projects=3, budget=Money("150000")),
        ),
    )
    ds = Dataset(
        programs=(program,),
        projects=(
            project("a", program_id="boai", batch=1),
            project("b", program_id="boai", batch=1),
            project("c", program_id="boai", batch=2),
            project("d", program_id="boai", batch=2, status=ProjectStatus.CANCELLED),
            project("e", program_id="boai", batch=2, budget=Money("5", "USD"), funding=()),
            project("f", program_id="other", batch=2),
        ),
    )
    findings = list(stated_totals_match(ds))
    summary = [(f.figures["what"], f.figures.get("batch"), f.figures["stated"],
                f.figures["recorded"]) for f in findings]  # fmt: skip
    assert summary == [
        ("budget", None, Money("6900000"), Money("300000")),
        ("projects", None, 16, 4),
        ("batches", None, 4, 2),
        ("budget", 2, Money("150000"), Money("100000")),
        ("projects", 2, 3, 2),
    ]
    assert all(f.rule == "projects.stated-total-mismatch" for f in findings)
    assert all(f.subject == "boai" for f in findings)
    assert findings[0].message == (
        "programme 'boai' states a budget of 690万元 but its projects' budgets add up to 30万元"
    )
    assert findings[1].message == "programme 'boai' states 16 projects but 4 are recorded"
    assert findings[4].message == "batch 2 of programme 'boai' states 3 projects but 2 are recorded"


def test_a_breakdown_that_does_not_add_up_to_its_total_is_found() -> None:
    q1 = Period.quarter(2020, 1)
    ds = Dataset(
        indicator_values=(
            result("t", value=100),
            result("f", value=40, disaggregation=Disaggregation(sex=Sex.FEMALE)),
            result("y", value=30, disaggregation=Disaggregation(age_group="0-17")),
            result("o", value=70, disaggregation=Disaggregation(age_group="18+")),
            # only a breakdown, no total: nothing to compare with
            result("q", value=5, period=q1, disaggregation=Disaggregation(sex=Sex.MALE)),
            # a target and its breakdown are compared with each other, not with results
            result("tt", value=100, target=True),
            result("tf", value=100, target=True, disaggregation=Disaggregation(sex=Sex.FEMALE)),
        ),
    )
    findings = list(breakdowns_add_up(ds))
    assert [(f.rule, f.subject) for f in findings] == [("projects.breakdown-mismatch", "p1")]
    assert findings[0].figures["breakdown"] == Decimal(40)
    assert findings[0].message == (
        "project 'p1' reports a result of 100 for 'people-trained' in 2020, but its "
        "breakdown by sex adds up to 40"
    )


@settings(max_examples=30)
@given(datasets(max_size=4))
def test_project_rules_never_raise_on_generated_datasets(ds: Dataset) -> None:
    for rule in PROJECT_RULES:
        for finding in rule(ds):
            assert finding.rule.startswith("projects.")


# -- found in review ---------------------------------------------------------------------------


def test_a_batch_numbered_beyond_the_stated_batches_is_found() -> None:
    program = Program(
        id="boai",
        name="博爱家园",
        organization_id="qujing",
        stated_batches=4,
        batches=(ProgramBatch(number=6),),
    )
    # four batches recorded, as stated, but numbered 1, 2, 3 and 5: 四批 has no 5th
    ds = Dataset(
        programs=(program,),
        projects=tuple(
            project(f"p{n}", program_id="boai", batch=n, funding=()) for n in (1, 2, 3, 5)
        ),
    )
    findings = list(stated_totals_match(ds))
    assert [(f.rule, f.subject, f.figures["what"], f.figures["batch"]) for f in findings] == [
        ("projects.stated-total-mismatch", "boai", "batch number", 5),
        ("projects.stated-total-mismatch", "boai", "batch number", 6),
    ]
    assert findings[0].message == "programme 'boai' states 4 batches but records batch 5"


def test_a_result_for_a_period_outside_its_project_is_found() -> None:
    ds = Dataset(
        projects=(project("p1", period=Period(date(2020, 3, 1), date(2020, 12, 31))),),
        indicator_values=(
            result("in"),  # the year overlaps the project: an annual figure is fine
            result("same-day", period=Period.day(date(2020, 12, 31))),
            result("after", period=Period.quarter(2021, 1)),
            result("before", period=Period.month(2020, 2), target=True),
            result("unknown", project_id="nowhere", period=Period.year(1999)),
        ),
    )
    findings = list(results_within_project_period(ds))
    assert [(f.rule, f.subject) for f in findings] == [
        ("projects.result-outside-period", "after"),
        ("projects.result-outside-period", "before"),
    ]
    assert findings[0].message == (
        "project 'p1' reports a result of 10 for 'people-trained' in 2021-Q1, outside its "
        "period 2020-03-01/2020-12-31"
    )
    assert "reports a target of 10" in findings[1].message


def test_a_record_paid_by_a_project_of_another_programme_is_found() -> None:
    ds = Dataset(
        programs=(
            Program(id="heart", name="救心行动", organization_id="qujing"),
            Program(id="eyes", name="爱心光明行", organization_id="qujing"),
        ),
        projects=(
            project("round-10", program_id="heart", funding=()),
            project("loose", funding=()),
        ),
        cases=tuple(
            Case.refer(id=id_, kind="medical", person_id=person, on=date(2020, 3, 1), **paid_by)
            for id_, person, paid_by in (
                ("ok", "a", {"program_id": "heart", "project_id": "round-10"}),
                ("bad", "b", {"program_id": "eyes", "project_id": "round-10"}),
                ("no-programme", "c", {"project_id": "round-10"}),
                ("loose-project", "d", {"program_id": "eyes", "project_id": "loose"}),
            )
        ),
        screenings=(
            Screening(
                id="s1",
                person_id="a",
                program_id="eyes",
                on=date(2020, 2, 29),
                outcome=ScreeningOutcome.NEGATIVE,
                project_id="round-10",
            ),
        ),
        distributions=(
            Distribution.cash(
                id="d1",
                household_id="h",
                on=date(2020, 1, 1),
                value=Money("1"),
                program_id="eyes",
                project_id="round-10",
            ),
        ),
    )
    findings = list(records_in_their_project_programme(ds))
    assert [(f.rule, f.subject) for f in findings] == [
        ("projects.program-mismatch", "bad"),
        ("projects.program-mismatch", "s1"),
        ("projects.program-mismatch", "d1"),
    ]
    assert findings[0].message == (
        "case 'bad' is in programme 'eyes' but paid by project 'round-10' of programme 'heart'"
    )


@settings(max_examples=30)
@given(datasets(max_size=4))
def test_new_project_rules_never_raise_on_generated_datasets(ds: Dataset) -> None:
    for rule in (results_within_project_period, records_in_their_project_programme):
        for finding in rule(ds):
            assert finding.rule.startswith("projects.")
