"""The ledger's figures over columnar data: boundary totals, the year at a glance, reach.

Each twin runs on DuckDB, polars and Dask over a generated dataset whose large
collections (donations, flows, handouts, cases, screenings, persons, households) are
Arrow tables that may not be read back (iterating them fails the test): every pass over
them is a query in the engine. The answers equal those of the records, to the fen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import date
from typing import Any
from unittest import mock

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("duckdb")
pytest.importorskip("polars")
pytest.importorskip("dask")

from humanaid import (
    Boundary,
    Case,
    Dataset,
    Distribution,
    Donation,
    Flow,
    Household,
    Party,
    Period,
    Person,
    Refund,
    Reversal,
    Screening,
    boundary_totals,
    reach,
    year_at_a_glance,
)
from humanaid.aggregate import count, tabulate
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import ENGINES, ColumnarSource, scan
from humanaid.summaries import _errors_by_subject
from humanaid.testing import event_datasets, society_books

LARGE: dict[str, type] = {
    "donations": Donation,
    "flows": Flow,
    "distributions": Distribution,
    "cases": Case,
    "screenings": Screening,
    "persons": Person,
    "households": Household,
}
EXAMPLES = settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def no_read_back() -> Iterator[None]:
    """Reading a large collection's records back from Arrow fails inside the block."""
    original = ColumnarSource.__iter__
    kinds = tuple(LARGE.values())

    def guarded(self: ColumnarSource) -> Iterator[Any]:
        if issubclass(self.record_type, kinds):
            raise AssertionError(f"{self.record_type.__name__} records were read back")
        yield from original(self)

    with mock.patch.object(ColumnarSource, "__iter__", guarded):
        yield


def columnar(ds: Dataset, engine: str) -> Dataset:
    """The dataset with its large collections as Arrow tables queried in ``engine``."""
    collections: dict[str, Any] = {}
    for name, records in ds:
        kind = LARGE.get(name)
        collections[name] = (
            records
            if kind is None
            else scan(to_arrow(list(records), kind), kind, engine=engine, rows_per_part=4)
        )
    return Dataset(**collections)


@st.composite
def corrected(draw: st.DrawFn, base: st.SearchStrategy[Dataset]) -> Dataset:
    """A dataset with some of its flows reversed, some entries repeated, some gifts refunded."""
    ds = draw(base)
    flows, gifts = list(ds.flows), list(ds.donations)
    extra: dict[str, Any] = {}
    if len(flows) > 0 and draw(st.booleans()):
        undone = draw(st.sampled_from(flows))
        extra["reversals"] = (
            Reversal(id="x1", collection="flows", record_id=undone.id, on=undone.on,
                     reason="entered twice"),
        )  # fmt: skip
    if len(gifts) > 1 and draw(st.booleans()):  # two gifts under one bank number
        i, j = draw(st.sampled_from([(0, 1), (1, 0)]))
        gifts[i] = attrs.evolve(gifts[i], transaction_ref="TX-1")
        gifts[j] = attrs.evolve(gifts[j], transaction_ref="TX-1")
    if len(flows) > 1 and draw(st.booleans()):
        flows[0] = attrs.evolve(flows[0], transaction_ref="TX-9")
        flows[-1] = attrs.evolve(flows[-1], transaction_ref="TX-9")
    if len(gifts) > 0 and draw(st.booleans()):
        gift = draw(st.sampled_from(gifts))
        extra["refunds"] = (
            Refund(id="rf1", donation_id=gift.id, on=gift.received_on, amount=gift.value,
                   reason="paid twice by the donor"),
        )  # fmt: skip
    return attrs.evolve(ds, flows=tuple(flows), donations=tuple(gifts), **extra)


DATASETS = corrected(
    st.one_of(society_books(max_events=4, max_flows=8), event_datasets(max_events=3))
)


def boundaries(ds: Dataset) -> list[Boundary]:
    """The society's boundary, and one that holds a donor, a household, a fund and more."""
    custom = Boundary(
        name="custom",
        parties={Party.donor("d0"), Party.household("home-0"), Party.fund("general")},
        predicate=lambda p: p.id.startswith("society-1"),
    )
    return [Boundary.organization(ds, "society"), custom]


@pytest.mark.parametrize("engine", ENGINES)
@EXAMPLES
@given(ds=DATASETS, year=st.sampled_from([None, 2019, 2020, 2021]))
def test_boundary_totals_columnar_twin_equals_the_ledger_totals(
    engine: str, ds: Dataset, year: int | None
) -> None:
    period = None if year is None else Period.year(year)
    twin = columnar(ds, engine)
    with no_read_back():
        for boundary in boundaries(ds):
            expected = ds.ledger().totals(boundary, period)
            assert boundary_totals(twin, boundary, period) == expected
            assert boundary_totals(ds, boundary, period) == expected


@pytest.mark.parametrize("engine", ENGINES)
@EXAMPLES
@given(ds=DATASETS, year=st.sampled_from([2019, 2020, 2021]), children=st.booleans())
def test_year_at_a_glance_columnar_twin_equals_the_python_loop(
    engine: str, ds: Dataset, year: int, children: bool
) -> None:
    twin = columnar(ds, engine)
    # the findings the records give, kept beside the columnar data (as a store keeps them)
    errors = _errors_by_subject(ds)
    twin.derived("summaries:errors", lambda _: errors)
    query: dict[str, Any] = {"organization_id": "society", "include_children": children}
    with no_read_back():
        got = year_at_a_glance(twin, year, **query)
    expected = year_at_a_glance(ds, year, **query)
    assert got == expected
    assert got.table() == expected.table()


@pytest.mark.parametrize("engine", ENGINES)
@EXAMPLES
@given(
    ds=event_datasets(max_events=4),
    year=st.sampled_from([None, 2020]),
    program=st.sampled_from([None, "aid"]),
    campaign=st.sampled_from([None, "drive"]),
)
def test_reach_columnar_twin_equals_the_python_loop(
    engine: str, ds: Dataset, year: int | None, program: str | None, campaign: str | None
) -> None:
    period = None if year is None else Period.year(year)
    query: dict[str, Any] = {"period": period, "program_id": program, "campaign_id": campaign}
    twin = columnar(ds, engine)
    with no_read_back():
        assert reach(twin, **query) == reach(ds, **query)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_case_history_key_comes_back_as_the_records_history(engine: str) -> None:
    c = Case.refer(id="c1", kind="medical", person_id="p1", on=date(2020, 3, 2))
    c = c.advance("screened", on=date(2020, 3, 5), note="ok")
    query: dict[str, Any] = {"by": ("id", "history"), "measures": {"n": count()}}
    got = tabulate(scan(to_arrow([c], Case), Case, engine=engine), **query)
    assert got == tabulate([c], **query)
    assert got.rows[0][1] == c.history


def test_boundary_totals_of_a_year_take_the_year() -> None:
    ds = Dataset()
    b = Boundary(name="b", parties={Party.fund("g")})
    assert boundary_totals(ds, b, 2020).period == Period.year(2020)
