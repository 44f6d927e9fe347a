"""What a columnar source keeps between queries, and the few fields it reads for the ledger.

The laws of :mod:`humanaid.interop.columnar`'s plumbing: a source (and its narrowed
copies) opens one DuckDB connection however many queries it runs; its row count from the
files' footers is the number of records; ``fields_matching`` gives the fields of exactly
the records ``matching`` gives, in the same order, valued as the records hold them; and
the polars query, which compares categorical columns as held (no cast to text), groups
and filters by an enum exactly as the Python loop does.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import Channel, Donation, DonationForm, InvalidInput, Money
from humanaid.aggregate import count, distinct, field_in, tabulate, total
from humanaid.interop import columnar
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import ENGINES, ColumnarSource, scan
from humanaid.testing import donations

pytest.importorskip("duckdb")
pytest.importorskip("polars")
pytest.importorskip("dask")

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
_FIELDS = ("id", "transaction_ref", "received_on", "channel")


@st.composite
def _gifts(draw: st.DrawFn) -> list[Donation]:
    """Gifts numbered g0, g1 ..., sharing a few transaction numbers (or none)."""
    gifts = draw(st.lists(donations(), max_size=30))
    refs = st.none() | st.sampled_from(["T1", "T2", "T3"])
    return [attrs.evolve(g, id=f"g{i}", transaction_ref=draw(refs)) for i, g in enumerate(gifts)]


def _sources(gifts: list[Donation], folder: Path, per_file: int) -> list[ColumnarSource]:
    """The gifts as an Arrow table and as Parquet files of ``per_file`` rows, every engine."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    folder.mkdir(exist_ok=True)
    chunks = [gifts[i : i + per_file] for i in range(0, len(gifts), per_file)] or [[]]
    for at, chunk in enumerate(chunks):
        pq.write_table(to_arrow(chunk, Donation), folder / f"part-{at:03d}.parquet")
    return [
        scan(data, Donation, engine=engine)
        for data in (to_arrow(gifts, Donation), folder)
        for engine in ENGINES
    ]


@SETTINGS
@given(gifts=_gifts(), per_file=st.integers(1, 7), wanted=st.sets(st.sampled_from(["T1", "T2"])))
def test_fields_matching_are_the_fields_of_the_matching_records_in_their_order(
    gifts: list[Donation], per_file: int, wanted: set[str]
) -> None:
    expected = [
        tuple(getattr(g, name) for name in _FIELDS) for g in gifts if g.transaction_ref in wanted
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for source in _sources(gifts, Path(tmp) / "gifts", per_file):
            got = source.fields_matching(_FIELDS, "transaction_ref", wanted)
            assert [tuple(getattr(r, n) for n in _FIELDS) for r in got] == expected
            records = source.matching("transaction_ref", wanted)
            assert [r.id for r in got] == [r.id for r in records]


def test_fields_matching_reads_plain_fields_only() -> None:
    source = scan(to_arrow([], Donation), Donation)
    with pytest.raises(ValueError, match="reads plain fields"):
        source.fields_matching(("value",), "id", ["g1"])
    with pytest.raises(ValueError, match="reads plain fields"):
        source.fields_matching(("restricted_to.purpose",), "id", ["g1"])
    with pytest.raises(ValueError, match="reads plain fields"):
        source.fields_matching(("nothing",), "id", ["g1"])
    assert source.fields_matching(("id",), "id", []) == []


@SETTINGS
@given(gifts=_gifts(), per_file=st.integers(1, 7))
def test_the_footers_row_count_is_the_number_of_records(
    gifts: list[Donation], per_file: int
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for source in _sources(gifts, Path(tmp) / "gifts", per_file):
            assert len(source) == len(gifts)
            assert len(source) == len(gifts)  # (kept: the same answer again)
            kept = source.narrowed(field_in("transaction_ref", ["T1"]))
            assert len(kept) == sum(g.transaction_ref == "T1" for g in gifts)


@SETTINGS
@given(
    gifts=_gifts().filter(bool),  # (a folder with no file is refused)
    per_file=st.integers(1, 7),
    bad=st.none() | st.integers(0, 29),
    where=st.sampled_from([(), ("T1",)]),
)
def test_records_read_back_in_runs_of_files_are_each_files_records_or_its_error(
    gifts: list[Donation], per_file: int, bad: int | None, where: tuple[str, ...]
) -> None:
    # the batches of several small files are rebuilt together; a refused row must still
    # raise what its own file's batch raised (its row numbered in that batch), after the
    # records of the files before it
    import pyarrow as pa
    import pyarrow.parquet as pq

    from humanaid.interop.arrow import from_arrow

    bad = None if bad is None else bad % len(gifts)  # (the row whose id is refused)
    chunks = [gifts[i : i + per_file] for i in range(0, len(gifts), per_file)]

    def keep(g: Donation) -> bool:
        return not where or g.transaction_ref in where

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        tables = []
        for at, chunk in enumerate(chunks):
            table = to_arrow(chunk, Donation)
            if bad is not None and at == bad // per_file:  # an id with a leading space
                ids = table.column("id").to_pylist()
                ids[bad % per_file] = " " + ids[bad % per_file]
                column = table.schema.get_field_index("id")  # (the same field: one schema)
                field = table.schema.field(column)
                table = table.set_column(column, field, pa.array(ids, field.type))
            pq.write_table(table, folder / f"part-{at:03d}.parquet")
            tables.append(table)
        for engine in ENGINES:
            source = scan(folder, Donation, engine=engine)
            source = source.narrowed(field_in("transaction_ref", where)) if where else source
            got: list[Donation] = []
            if bad is None:
                got.extend(source)
                assert got == [g for g in gifts if keep(g)]
                continue
            with pytest.raises(InvalidInput) as caught:
                got.extend(source)
            with pytest.raises(InvalidInput) as alone:
                from_arrow(tables[bad // per_file], Donation)
            assert str(caught.value) == str(alone.value)
            assert got == [g for g in gifts[: bad - bad % per_file] if keep(g)]


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The settings of each DuckDB connection opened from now on, as a fresh process has none."""
    settings_opened: list[Any] = []
    connect: Callable[..., Any] = columnar._connect

    def counted(settings: Any) -> Any:
        settings_opened.append(settings)
        return connect(settings)

    monkeypatch.setattr(columnar, "_connect", counted)
    monkeypatch.setattr(columnar, "_OPEN", {})
    return settings_opened


def test_a_source_and_its_copies_open_one_duckdb_connection(opened: list[Any]) -> None:
    gifts = [
        Donation(
            id=f"g{i}",
            organization_id="rc",
            received_on=date(2020, 1, 1 + i),
            value=Money("10"),
            receipt_number=f"R{i}",
            transaction_ref="T1" if i % 2 else None,
        )
        for i in range(6)
    ]
    source = scan(to_arrow(gifts, Donation), Donation)
    source.repeated("transaction_ref")
    source.matching("transaction_ref", ["T1"])
    source.fields_matching(("id",), "transaction_ref", ["T1"])
    narrowed = source.without("id", ["g1"])
    tabulate(narrowed, by={"c": "channel"}, measures={"n": count()})
    tabulate(source, measures={"n": count()})
    assert len(opened) == 1


def test_a_process_opens_one_duckdb_connection_a_setting_for_every_source(
    opened: list[Any],
) -> None:
    """Sources of other data and other datasets reuse it; other settings open their own."""
    gifts = [
        Donation(
            id=f"g{i}", organization_id="rc", received_on=date(2020, 1, 1 + i),
            value=Money(str(10 + i)), receipt_number=f"R{i}",
        )
        for i in range(4)
    ]  # fmt: skip
    totals = []
    for part in (gifts[:2], gifts[2:], gifts):
        source = scan(to_arrow(part, Donation), Donation)
        totals.append(tabulate(source, measures={"v": total("value")}).to_rows())
    assert len(opened) == 1  # the first query opened it; the other sources' found it
    assert [rows[0]["v"] for rows in totals] == [Money("21"), Money("25"), Money("46")]
    one = scan(to_arrow(gifts, Donation), Donation, duckdb_settings={"threads": 1})
    assert len(opened) == 2  # checking the settings opened the connection kept for them
    assert tabulate(one, measures={"n": count()}).to_rows()[0]["n"] == 4
    again = scan(to_arrow(gifts, Donation), Donation, duckdb_settings={"threads": 1})
    assert tabulate(again, measures={"n": count()}).to_rows()[0]["n"] == 4
    assert opened == [None, {"threads": 1}]


@SETTINGS
@given(
    gifts=st.lists(donations(), max_size=30),
    per_file=st.integers(1, 7),
    forms=st.sets(st.sampled_from(DonationForm)),
    channels=st.sets(st.sampled_from(Channel)),
)
def test_enums_compared_as_held_group_and_filter_as_the_python_loop(
    gifts: list[Donation], per_file: int, forms: set[DonationForm], channels: set[Channel]
) -> None:
    query: dict[str, Any] = {
        "by": {"channel": "channel", "form": "form"},
        "measures": {
            "raised": total("value", currency="CNY"),
            "in form": total("value", currency="CNY", where=field_in("form", sorted(forms))),
            "gifts": count(),
            "donors": distinct("donor_id"),
        },
        "where": field_in("channel", sorted(channels)),
    }
    expected = tabulate(gifts, **query)
    with tempfile.TemporaryDirectory() as tmp:
        for source in _sources(gifts, Path(tmp) / "gifts", per_file):
            assert tabulate(source, **query) == expected
