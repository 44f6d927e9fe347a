"""The summaries of a columnar dataset equal those of the records, on every engine.

Each law: a generated dataset (:func:`humanaid.testing.summary_datasets`) is written to
Arrow tables and to a partitioned Parquet directory (:func:`write_dataset_parquet`); the
summary over :func:`scan_dataset` of either, on DuckDB, polars and Dask, is the table the
plain dataset gives (rows, exact money, order, notes and findings). Reading the large
collections back record by record is forbidden while the columnar summaries run: their
passes must run in the engine (what a summary fetches by id or condition,
``ColumnarSource.select``, is allowed, and the docs list it).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from humanaid import (
    Case,
    Dataset,
    Distribution,
    Donation,
    Flow,
    IndicatorValue,
    Refund,
    Repayment,
    Table,
    campaign_summary,
    fundraising_summary,
    medical_summary,
    project_summary,
    relief_summary,
    results_summary,
    revolving_summary,
    top_donors,
)
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import ENGINES, ColumnarSource, scan_dataset, write_dataset_parquet
from humanaid.testing import summary_datasets

pytest.importorskip("duckdb")
pytest.importorskip("polars")
pytest.importorskip("dask")

LARGE = (Donation, Distribution, Case, IndicatorValue, Repayment, Flow, Refund)
"""The record types a columnar summary must never read back whole."""

SETTINGS = settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))

Summary = Callable[[Dataset], Table]


def _twins(ds: Dataset) -> Iterator[tuple[str, Dataset]]:
    """The dataset scanned from Arrow tables and from a Parquet directory, on each engine."""
    found = ds.validate()
    tables = {
        name: to_arrow(records, ds.collection_types()[name]) for name, records in ds if records
    }
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset_parquet(ds, tmp)
        for engine in ENGINES:
            yield f"arrow/{engine}", scan_dataset(tables, engine=engine, findings=found)
            yield f"parquet/{engine}", scan_dataset(Path(tmp), engine=engine)


@pytest.fixture
def no_read_back(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = ColumnarSource.__iter__

    def forbidden(self: ColumnarSource) -> Iterator[Any]:
        if self.record_type in LARGE:
            raise AssertionError(f"{self.record_type.__name__} records were read back whole")
        return whole(self)

    monkeypatch.setattr(ColumnarSource, "__iter__", forbidden)


def _check(ds: Dataset, summaries: list[Summary]) -> None:
    expected: list[Table | ValueError] = []
    for summary in summaries:
        try:
            expected.append(summary(ds))
        except ValueError as exc:  # a handout to a household the dataset lacks
            expected.append(exc)
    for where, twin in _twins(ds):
        for summary, want in zip(summaries, expected, strict=True):
            if isinstance(want, ValueError):
                with pytest.raises(ValueError, match="is not among the households"):
                    summary(twin)
                continue
            got = summary(twin)
            assert got == want, f"{where}: {got}\n!=\n{want}"


@SETTINGS
@given(ds=summary_datasets())
def test_fundraising_summary_columnar_twin_equals_the_python_loop(
    ds: Dataset, no_read_back: None
) -> None:
    _check(
        ds,
        [
            lambda d: fundraising_summary(d),
            lambda d: fundraising_summary(d, 2020, by=("channel", "donor_kind")),
            lambda d: fundraising_summary(d, 2021, by=("campaign",), granularity="quarter"),
        ],
    )


@SETTINGS
@given(ds=summary_datasets())
def test_top_donors_and_campaign_summary_columnar_twins_equal_the_python_loop(
    ds: Dataset, no_read_back: None
) -> None:
    _check(
        ds,
        [
            lambda d: top_donors(d, n=2),
            lambda d: top_donors(d, 2021),
            lambda d: campaign_summary(d),
            lambda d: campaign_summary(d, 2020),
        ],
    )


@SETTINGS
@given(ds=summary_datasets())
def test_relief_and_medical_summary_columnar_twins_equal_the_python_loop(
    ds: Dataset, no_read_back: None
) -> None:
    _check(
        ds,
        [
            lambda d: relief_summary(d),
            lambda d: relief_summary(d, 2020),
            lambda d: medical_summary(d),
            lambda d: medical_summary(d, 2020, by_round=False),
        ],
    )


@SETTINGS
@given(ds=summary_datasets())
def test_results_summary_columnar_twin_equals_the_python_loop(
    ds: Dataset, no_read_back: None
) -> None:
    _check(
        ds,
        [
            lambda d: results_summary(d),
            lambda d: results_summary(d, by="organization", as_of=date(2020, 6, 30)),
            lambda d: results_summary(d, by="period"),
        ],
    )


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(ds=summary_datasets(max_size=6))
def test_ledger_summaries_of_a_columnar_dataset_read_it_back_and_equal_the_python_loop(
    ds: Dataset,
) -> None:
    # project_summary and revolving_summary read the ledger, which is not columnar yet:
    # over a columnar dataset they read its records back, and give the same tables
    tables = {
        name: to_arrow(records, ds.collection_types()[name]) for name, records in ds if records
    }
    twin: Dataset = scan_dataset(tables, engine="duckdb", findings=ds.validate())
    summaries: list[Summary] = [
        lambda d: project_summary(d),
        lambda d: project_summary(d, by="program"),
        lambda d: revolving_summary(d, as_of=date(2021, 6, 30)),
    ]
    for summary in summaries:
        assert summary(twin) == summary(ds)
