"""The projects' books summed in the engine (``humanaid.crossings._summed_books``).

Over a columnar dataset, :func:`humanaid.project_summary` lets the engine sum the plain
flows into and out of each project (and the handouts a project pays for) by their ends,
kind and currency, and reads one by one only the flows whose figures need more (a
parent, a case paid, another currency, a finding). Each law holds the figures of those
books to the figures of the records: the straightforward definition.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from builders import RED_CROSS, flows_between, qingyun
from humanaid import (
    Case,
    Dataset,
    Distribution,
    Donation,
    Flow,
    FlowKind,
    Money,
    Party,
    PartyKind,
    Program,
    Refund,
    program_finance,
    project_finance,
    project_summary,
)
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import ColumnarSource, scan, scan_dataset
from humanaid.testing import event_datasets, flows, parties, society_books, summary_datasets

pytest.importorskip("duckdb")
pytest.importorskip("polars")

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
LARGE = (Donation, Distribution, Case, Flow, Refund)
DAYS = (None, date(2019, 12, 31), date(2020, 6, 30), date(2021, 12, 31))


@pytest.fixture
def no_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = ColumnarSource.__iter__

    def forbidden(self: ColumnarSource) -> Iterator[Any]:
        if self.record_type in LARGE:
            raise AssertionError(f"{self.record_type.__name__} records were read back whole")
        return whole(self)

    monkeypatch.setattr(ColumnarSource, "__iter__", forbidden)


def _twins(ds: Dataset) -> Iterator[tuple[str, Dataset]]:
    found = ds.validate()
    tables = {name: to_arrow(r, ds.collection_types()[name]) for name, r in ds if r}
    for engine in ("duckdb", "polars"):
        yield engine, scan_dataset(tables, engine=engine, findings=found)


def _summed(twin: Dataset, as_of: date | None) -> Any:
    from humanaid.crossings import _summed_books
    from humanaid.summaries import _errors_by_subject

    subjects = _errors_by_subject(twin).keys()
    return _summed_books(twin, as_of=as_of, currency="CNY", subjects=subjects)


def _check(ds: Dataset, as_of: date | None) -> None:
    for engine, twin in _twins(ds):
        books = _summed(twin, as_of)
        event(f"summed in the engine: {books is not None}")
        if books is None:
            continue  # a flow passed on is summed: project_summary reads them one by one
        for p in ds.projects:
            want = project_finance(ds, p.id, as_of=as_of)
            got = project_finance(books, p.id, as_of=as_of)
            assert (got.budget, got.lines, got.spent, got.findings) == (
                want.budget,
                want.lines,
                want.spent,
                want.findings,
            ), f"{engine}: {p.id}"
        for prog in {p.program_id for p in ds.projects} - {None}:
            assert prog is not None
            want_g = program_finance(ds, prog, as_of=as_of)
            got_g = program_finance(books, prog, as_of=as_of)
            assert (got_g.budget, got_g.lines, got_g.spent) == (
                want_g.budget,
                want_g.lines,
                want_g.spent,
            ), f"{engine}: {prog}"


@SETTINGS
@given(ds=society_books(), as_of=st.sampled_from(DAYS))
def test_summed_project_books_give_each_projects_finance_of_the_records(
    ds: Dataset, as_of: date | None, no_read_back: None
) -> None:
    _check(ds, as_of)


@SETTINGS
@given(ds=event_datasets(), as_of=st.sampled_from(DAYS))
def test_summed_project_books_give_the_finance_of_the_records_on_money_events(
    ds: Dataset, as_of: date | None, no_read_back: None
) -> None:
    # handouts and cases a project pays for, flows booked by hand naming their record
    _check(ds, as_of)


@SETTINGS
@given(ds=summary_datasets(), as_of=st.sampled_from(DAYS))
def test_project_summary_over_summed_books_equals_the_records(
    ds: Dataset, as_of: date | None, no_read_back: None
) -> None:
    # summary datasets carry findings (ids named twice, missing references): the flows
    # and handouts a finding names are read one by one, the rest summed
    extra = [
        Flow(
            id=f"grant-{p.id}-{k}",
            source=Party.organization("qj"),
            destination=p.party,
            amount=Money(f"{100 * (k + 1)}.25"),
            on=date(2020, 1 + k, 1),
            kind=FlowKind.GRANT,
        )
        for p in ds.projects
        for k in range(3)
    ]
    ds = attrs.evolve(ds, flows=(*ds.flows, *extra))
    for _, twin in _twins(ds):
        order: dict[str, Any] = {
            n: tuple(twin.records(n)) for n in ("projects", "programs") if ds.records(n)
        }
        same = attrs.evolve(ds, **order)
        for by in ("project", "program"):
            assert project_summary(twin, by=by, as_of=as_of) == project_summary(
                same, by=by, as_of=as_of
            )


@SETTINGS
@given(
    records=st.lists(
        flows(
            sources=parties(kinds=[PartyKind.PROJECT, PartyKind.FUND, PartyKind.OUTSIDE]),
            destinations=parties(kinds=[PartyKind.PROJECT, PartyKind.CASE, PartyKind.OUTSIDE]),
        ),
        max_size=20,
    ),
    kind=st.sampled_from([PartyKind.PROJECT, PartyKind.FUND, PartyKind.CASE]),
)
def test_the_flows_touching_a_kind_are_those_with_either_end_of_it_each_once_in_data_order(
    records: list[Flow], kind: PartyKind
) -> None:
    # one scan with any_of (a flow from one project to another is one flow, not two)
    from humanaid.crossings import _touching

    records = [attrs.evolve(f, id=f"f{i}") for i, f in enumerate(records)]
    want = [f for f in records if f.source.kind is kind or f.destination.kind is kind]
    for engine in ("duckdb", "polars"):
        source = scan(to_arrow(records, Flow), Flow, engine=engine)
        assert _touching(source, kind) == want, engine
    assert _touching(records, kind) == want


_PROGRAMME = ("pa", "pb", "pc")
_AROUND = (
    *(Party.project(p) for p in _PROGRAMME),
    Party.organization("huize"),
    Party.organization("yunnan"),
    Party.donor("d"),
    Party.outside("supplier"),
    Party.household("h"),
)


@SETTINGS
@given(
    moved=st.lists(
        flows_between(_AROUND, currencies=["CNY"], ids=st.integers(0, 10**6).map("f{}".format)),
        max_size=14,
        unique_by=lambda f: f.id,
    ),
    as_of=st.sampled_from(DAYS),
)
def test_summed_books_count_money_moved_between_a_programmes_projects_once_as_the_records(
    moved: list[Flow], as_of: date | None, no_read_back: None
) -> None:
    # every flow is plain, so each project's books are the engine's sums (the ledger holds
    # only the flows an error finding names): a sum from one of the programme's projects
    # to another is read from both ends, as received by one and spent by the other, and
    # taken out of the programme's
    ds = Dataset(
        organizations=RED_CROSS,
        programs=(Program(id="boai", name="博爱家园", organization_id="qujing"),),
        projects=tuple(qingyun(id=p) for p in _PROGRAMME),
        flows=tuple(moved),
    )
    from humanaid.summaries import _errors_by_subject

    for _, twin in _twins(ds):
        books = _summed(twin, as_of)
        assert books is not None
        assert {f.id for f in books.ledger().flows} <= _errors_by_subject(twin).keys()
    _check(ds, as_of)
