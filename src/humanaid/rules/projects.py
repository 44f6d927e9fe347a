"""Rules for programmes, projects and their results.

A funding plan that does not add up to the budget, a project that spends more than its
budget or outside its period, a completed project with no results reported, a
programme whose recorded projects disagree with the totals it states, a breakdown
of a result that does not add up to the total reported beside it, a result reported
for a period outside its project, and a case, screening or distribution paid by a
project of another programme.

Spending is read off the dataset's ledger (:func:`humanaid.project_spending`): flows out
of ``Party.project(id)`` other than refunds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from humanaid._decimal import EXACT as _EXACT
from humanaid.findings import Finding, Severity
from humanaid.funds import FlowKind, Ledger, Party, PartyKind
from humanaid.money import Money
from humanaid.periods import Period
from humanaid.projects import (
    IndicatorValue,
    Program,
    Project,
    ProjectStatus,
    project_spending,
)
from humanaid.rules._helpers import party_ledgers

if TYPE_CHECKING:
    from humanaid.dataset import Dataset

__all__ = [
    "breakdowns_add_up",
    "completed_projects_report_results",
    "funding_adds_up_to_budget",
    "records_in_their_project_programme",
    "results_within_project_period",
    "spending_within_budget",
    "spending_within_period",
    "stated_totals_match",
]

# Results are added in a local, exact context, never the ambient one.

_NO_FLOWS: Final = Ledger(())
"""The ledger of a project no flow touches."""


def _wan(m: Money) -> str:
    return m.format(unit="万元") if m.currency == "CNY" else m.format(grouping=True)


def funding_adds_up_to_budget(dataset: Dataset) -> Iterator[Finding]:
    """A project's funding shares add up to its budget (``projects.funding-mismatch``).

    A project with no funding plan recorded is not checked. Severity ERROR.
    """
    for project in dataset.records("projects", missing_ok=True):
        if not project.funding:
            continue
        planned = project.planned
        if planned == project.budget:
            continue
        short = "short of" if planned < project.budget else "more than"
        yield Finding(
            rule="projects.funding-mismatch",
            severity=Severity.ERROR,
            subject=project.id,
            message=(
                f"project {project.id!r} plans funding of {_wan(planned)}, {short} its "
                f"budget of {_wan(project.budget)}"
            ),
            figures={
                "budget": project.budget,
                "planned": planned,
                "difference": planned - project.budget,
            },
        )


def spending_within_budget(dataset: Dataset) -> Iterator[Finding]:
    """A project spends no more than its budget (``projects.over-budget``).

    Spending is every flow out of the project other than a refund, less refunds back to
    it, in the budget's currency. Severity ERROR.
    """
    projects = dataset.records("projects", missing_ok=True)
    if not projects:
        return
    ledgers = party_ledgers(dataset, PartyKind.PROJECT)
    for project in projects:
        spent = project_spending(ledgers.get(project.id, _NO_FLOWS), project)
        if spent > project.budget:
            yield Finding(
                rule="projects.over-budget",
                severity=Severity.ERROR,
                subject=project.id,
                message=(
                    f"project {project.id!r} spent {_wan(spent)}, "
                    f"{_wan(spent - project.budget)} over its budget of {_wan(project.budget)}"
                ),
                figures={
                    "budget": project.budget,
                    "spent": spent,
                    "over": spent - project.budget,
                },
            )


def spending_within_period(dataset: Dataset) -> Iterator[Finding]:
    """A project spends only within its period (``projects.spending-outside-period``).

    One finding per flow out of a project (other than a refund) dated before its
    period starts or after it ends; its subject is the flow. Severity WARNING: a last
    invoice paid after the end may be fine, but it is worth a look.
    """
    projects = dataset.records("projects", missing_ok=True)
    if not projects:
        return
    ledgers = party_ledgers(dataset, PartyKind.PROJECT)
    for project in projects:
        period: Period = project.period
        for flow in ledgers.get(project.id, _NO_FLOWS).outflows(project.party):
            if flow.kind is FlowKind.REFUND or flow.on in period:
                continue
            when = "before it started" if flow.on < period.start else "after it ended"
            yield Finding(
                rule="projects.spending-outside-period",
                severity=Severity.WARNING,
                subject=flow.id,
                message=(
                    f"project {project.id!r} spent {_wan(flow.amount)} on "
                    f"{flow.on.isoformat()}, {when} (its period is {period})"
                ),
                figures={
                    "project": project.id,
                    "amount": flow.amount,
                    "on": flow.on,
                    "period": str(period),
                },
            )


def completed_projects_report_results(dataset: Dataset) -> Iterator[Finding]:
    """A completed project has at least one achieved result reported (``projects.no-results``).

    Targets do not count. Severity WARNING.
    """
    reported = {
        v.project_id
        for v in dataset.records("indicator_values", missing_ok=True)
        if not v.target and v.project_id is not None
    }
    for project in dataset.records("projects", missing_ok=True):
        if project.status is ProjectStatus.COMPLETED and project.id not in reported:
            yield Finding(
                rule="projects.no-results",
                severity=Severity.WARNING,
                subject=project.id,
                message=f"project {project.id!r} is completed but reports no results",
                figures={"status": project.status.value},
            )


def _mismatch(
    program: Program,
    what: str,
    stated: Money | int,
    recorded: Money | int,
    batch: int | None,
) -> Finding:
    where = f"batch {batch} of programme" if batch is not None else "programme"
    if isinstance(stated, Money) and isinstance(recorded, Money):
        claim = f"a budget of {_wan(stated)}"
        found = f"its projects' budgets add up to {_wan(recorded)}"
    else:
        claim = f"{stated} {what}"
        found = f"{recorded} {'is' if recorded == 1 else 'are'} recorded"
    figures: dict[str, Money | int | str] = {"what": what, "stated": stated, "recorded": recorded}
    if batch is not None:
        figures["batch"] = batch
    return Finding(
        rule="projects.stated-total-mismatch",
        severity=Severity.WARNING,
        subject=program.id,
        message=f"{where} {program.id!r} states {claim} but {found}",
        figures=figures,
    )


def stated_totals_match(dataset: Dataset) -> Iterator[Finding]:
    """A programme's stated figures match its projects (``projects.stated-total-mismatch``).

    Checked, where the programme states them: its total budget, number of projects and
    number of batches (and that no project or stated batch is numbered beyond them: four
    batches numbered 1, 2, 3 and 5 are reported for batch 5), and for each batch it
    describes, the batch's budget and number of projects. Cancelled projects do not
    count; budgets in another currency than the stated one are left out of the sum.
    Severity WARNING: the statement or the records are incomplete or wrong.
    """
    by_program: dict[str, list[Project]] = defaultdict(list)
    for project in dataset.records("projects", missing_ok=True):
        if project.program_id is not None and project.status is not ProjectStatus.CANCELLED:
            by_program[project.program_id].append(project)
    for program in dataset.records("programs", missing_ok=True):
        projects = by_program.get(program.id, [])
        yield from _check_group(program, projects, program.stated_budget, None)
        if program.stated_projects is not None and program.stated_projects != len(projects):
            yield _mismatch(program, "projects", program.stated_projects, len(projects), None)
        if program.stated_batches is not None:
            batches = len({p.batch for p in projects if p.batch is not None})
            if batches != program.stated_batches:
                yield _mismatch(program, "batches", program.stated_batches, batches, None)
            yield from _batches_beyond(program, projects, program.stated_batches)
        for batch in program.batches:
            members = [p for p in projects if p.batch == batch.number]
            yield from _check_group(program, members, batch.budget, batch.number)
            if batch.projects is not None and batch.projects != len(members):
                yield _mismatch(program, "projects", batch.projects, len(members), batch.number)


def _batches_beyond(program: Program, projects: list[Project], stated: int) -> Iterator[Finding]:
    numbers = {p.batch for p in projects if p.batch is not None}
    numbers.update(b.number for b in program.batches)
    for number in sorted(n for n in numbers if n > stated):
        yield Finding(
            rule="projects.stated-total-mismatch",
            severity=Severity.WARNING,
            subject=program.id,
            message=f"programme {program.id!r} states {stated} batches but records batch {number}",
            figures={"what": "batch number", "stated": stated, "recorded": number, "batch": number},
        )


def _check_group(
    program: Program, projects: list[Project], stated: Money | None, batch: int | None
) -> Iterator[Finding]:
    if stated is None:
        return
    total = Money.total(
        (p.budget for p in projects if p.budget.currency == stated.currency), stated.currency
    )
    if total != stated:
        yield _mismatch(program, "budget", stated, total, batch)


def breakdowns_add_up(dataset: Dataset) -> Iterator[Finding]:
    """A breakdown of a result adds up to the total reported beside it.

    Values of one indicator, subject (project or organisation), period and target flag
    form a cell. When the cell has an undisaggregated total, each breakdown in it (by
    sex, by age group, by both) must add up to that total: a partial breakdown ("of whom
    women: 40") would otherwise be mistaken for a complete one where no total is given.
    Roll-ups count the total and never add a breakdown to it
    (``projects.breakdown-mismatch``, WARNING, one finding per cell and breakdown; the
    subject is the project or organisation).
    """
    totals: dict[tuple[Any, ...], Decimal] = {}
    parts: dict[tuple[Any, ...], dict[tuple[str, ...], Decimal]] = defaultdict(dict)
    for value in dataset.records("indicator_values", missing_ok=True):
        v: IndicatorValue = value
        period = v.period
        cell = (v.indicator_id, v.project_id, v.organization_id, period.start, period.end, v.target)
        if v.disaggregation is None:
            totals[cell] = _EXACT.add(totals.get(cell, Decimal(0)), v.value)
        else:
            dims = v.disaggregation.dimensions
            by_dims = parts[cell]
            by_dims[dims] = _EXACT.add(by_dims.get(dims, Decimal(0)), v.value)
    yield from _breakdown_findings(totals, parts)


def _breakdown_findings(
    totals: Mapping[tuple[Any, ...], Decimal],
    parts: Mapping[tuple[Any, ...], Mapping[tuple[str, ...], Decimal]],
) -> Iterator[Finding]:
    for cell, by_dims in parts.items():
        total = totals.get(cell)
        if total is None:
            continue
        indicator_id, project_id, organization_id, start, end, target = cell
        subject = (
            Party.project(project_id)
            if project_id is not None
            else Party.organization(organization_id)
        )
        period = Period(start, end)
        for dims, amount in by_dims.items():
            if amount == total:
                continue
            what = "target" if target else "result"
            yield Finding(
                rule="projects.breakdown-mismatch",
                severity=Severity.WARNING,
                subject=subject.id,
                message=(
                    f"{subject.kind.value} {subject.id!r} reports a {what} of {total:f} for "
                    f"{indicator_id!r} in {period}, but its breakdown by "
                    f"{' and '.join(dims)} adds up to {amount:f}"
                ),
                figures={
                    "indicator": indicator_id,
                    "period": str(period),
                    "total": total,
                    "breakdown": amount,
                },
            )


def results_within_project_period(dataset: Dataset) -> Iterator[Finding]:
    """A project's results are reported for its period (``projects.result-outside-period``).

    One finding per value (achieved or target) of a project in the dataset whose period
    does not overlap the project's period at all; a yearly figure for a project that ran
    part of the year is fine. The subject is the value. Severity WARNING: a follow-up
    figure after the end may be meant, but it is not the project's result.
    """
    projects: Mapping[str, Project] = dataset.index("projects", missing_ok=True)
    for value in dataset.records("indicator_values", missing_ok=True):
        v: IndicatorValue = value
        project = projects.get(v.project_id) if v.project_id is not None else None
        if project is None or v.period.overlaps(project.period):
            continue
        what = "target" if v.target else "result"
        yield Finding(
            rule="projects.result-outside-period",
            severity=Severity.WARNING,
            subject=v.id,
            message=(
                f"project {project.id!r} reports a {what} of {v.value:f} for "
                f"{v.indicator_id!r} in {v.period}, outside its period {project.period}"
            ),
            figures={
                "project": project.id,
                "indicator": v.indicator_id,
                "period": str(v.period),
                "project_period": str(project.period),
            },
        )


_PAID_RECORDS = (("cases", "case"), ("screenings", "screening"), ("distributions", "distribution"))


def records_in_their_project_programme(dataset: Dataset) -> Iterator[Finding]:
    """A case, screening or distribution and the project paying for it share a programme.

    Reported (``projects.program-mismatch``, WARNING, subject the record) when the record
    names a programme and its project belongs to another one: the help would be counted
    in one programme and paid from another's money. A record or project naming no
    programme, or a project not in the dataset, is not reported.
    """
    projects: Mapping[str, Project] = dataset.index("projects", missing_ok=True)
    for collection, noun in _PAID_RECORDS:
        for record in dataset.records(collection, missing_ok=True):
            if record.program_id is None or record.project_id is None:
                continue
            project = projects.get(record.project_id)
            if project is None or project.program_id is None:
                continue
            if project.program_id == record.program_id:
                continue
            yield Finding(
                rule="projects.program-mismatch",
                severity=Severity.WARNING,
                subject=record.id,
                message=(
                    f"{noun} {record.id!r} is in programme {record.program_id!r} but paid by "
                    f"project {project.id!r} of programme {project.program_id!r}"
                ),
                figures={
                    "program": record.program_id,
                    "project": project.id,
                    "project_program": project.program_id,
                },
            )
