"""The medical summary's columnar twin counts the screenings in the engine.

Over a columnar dataset, :func:`humanaid.medical_summary` counts the screenings (how
many, their persons, the persons found positive or referred, per programme and round)
in one engine query and reads back only the medical cases of a programme (their funnel
stage comes from their status history): the table, findings included, equals the one
the records give, on DuckDB, polars and Dask, while no screening is read back.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from humanaid import Dataset, Screening, Table, medical_summary
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import ENGINES, ColumnarSource, scan_dataset, write_dataset_parquet
from humanaid.testing import summary_datasets

pytest.importorskip("duckdb")
pytest.importorskip("polars")
pytest.importorskip("dask")


@pytest.fixture
def screenings_stay_in_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = ColumnarSource.__iter__

    def forbidden(self: ColumnarSource) -> Iterator[Any]:
        if self.record_type is Screening:
            raise AssertionError("the screenings were read back whole")
        return whole(self)

    monkeypatch.setattr(ColumnarSource, "__iter__", forbidden)


@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
@given(ds=summary_datasets())
def test_medical_summary_counting_screenings_in_the_engine_equals_the_python_loop(
    ds: Dataset, screenings_stay_in_the_engine: None
) -> None:
    found = ds.validate()
    summaries: list[Callable[[Dataset], Table]] = [
        lambda d: medical_summary(d),
        lambda d: medical_summary(d, 2020),
        lambda d: medical_summary(d, 2021, by_round=False),
    ]
    expected = [summary(ds) for summary in summaries]
    tables = {name: to_arrow(rows, ds.collection_types()[name]) for name, rows in ds if rows}
    with tempfile.TemporaryDirectory() as tmp:
        write_dataset_parquet(ds, tmp)
        for engine in ENGINES:
            twins: tuple[tuple[str, Dataset], ...] = (
                ("arrow", scan_dataset(tables, engine=engine, findings=found)),
                ("parquet", scan_dataset(Path(tmp), engine=engine)),
            )
            for where, twin in twins:
                for summary, want in zip(summaries, expected, strict=True):
                    got = summary(twin)
                    assert got == want, f"{where}/{engine}: {got}\n!=\n{want}"
