from __future__ import annotations

import enum
import gc
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from humanaid import (
    Dataset,
    Donation,
    Finding,
    InvalidInput,
    Money,
    Period,
    _gc,
    fundraising_summary,
    to_json,
)
from humanaid.interop.arrow import (
    DECIMAL_SCALE,
    MONEY_SCALE,
    arrow_schema,
    dataset_to_arrow,
    from_arrow,
    read_json_lines,
    record_batches,
    to_arrow,
)
from humanaid.records import money_field, pii_field, positive, tuple_field
from humanaid.testing import datasets, donations, record_strategies

pa = pytest.importorskip("pyarrow")

UNSUPPORTED = {Finding: "figures", Dataset: "dataset_to_arrow"}


class Form(enum.Enum):
    CASH = "cash"
    IN_KIND = "in_kind"


@attrs.frozen(kw_only=True)
class Item:
    name: str
    value: Money
    period: Period | None = None


@attrs.frozen(kw_only=True)
class Everything:
    id: str
    count: int
    ok: bool
    rate: Decimal
    on: date
    form: Form
    value: Money = money_field(validator=positive)
    fee: Money | None = None
    note: str | None = pii_field(default=None)
    items: tuple[Item, ...] = tuple_field(Item)
    parts: tuple[Money, ...] = ()
    tags: frozenset[str] = frozenset()
    by_form: Mapping[Form, Money] = attrs.field(factory=dict)
    span: Period | None = None


def everything(i: int = 1, **kw: Any) -> Everything:
    values: dict[str, Any] = {
        "id": f"e{i}",
        "count": i,
        "ok": True,
        "rate": Decimal("0.125"),
        "on": date(2020, 2, 29),
        "form": Form.CASH,
        "value": Money("12.50"),
        "fee": Money("1", "JPY"),
        "note": "张三 called",
        "items": (Item(name="rice", value=Money("3.10"), period=Period.year(2020)),),
        "parts": (Money("1.00"), Money("2.000", "KWD")),
        "tags": frozenset({"b", "a"}),
        "by_form": {Form.IN_KIND: Money("4.00"), Form.CASH: Money("5.00")},
        "span": Period.quarter(2020, 1),
    }
    values.update(kw)
    return Everything(**values)


# -- the law --------------------------------------------------------------------------------


SUPPORTED = [t for t in record_strategies() if t not in UNSUPPORTED]


@pytest.mark.parametrize("record_type", SUPPORTED, ids=lambda t: t.__name__)
@given(data=st.data())
def test_arrow_round_trip_is_lossless_for_every_supported_record_type(
    record_type: type, data: st.DataObject
) -> None:
    strategy = record_strategies()[record_type]()
    records = data.draw(st.lists(strategy, max_size=4))
    table = to_arrow(records, record_type)
    assert table.schema == arrow_schema(record_type)
    assert from_arrow(table, record_type) == records


@pytest.mark.parametrize("record_type", list(UNSUPPORTED), ids=lambda t: t.__name__)
def test_the_record_types_arrow_cannot_hold_say_why(record_type: type) -> None:
    with pytest.raises(TypeError, match=UNSUPPORTED[record_type]):
        arrow_schema(record_type)
    with pytest.raises(TypeError, match=UNSUPPORTED[record_type]):
        to_arrow([], record_type)


@given(datasets(max_size=3))
def test_every_collection_of_a_dataset_round_trips(dataset: Dataset) -> None:
    tables = dataset_to_arrow(dataset)
    assert set(tables) == set(dataset.collection_types())
    for name, record_type in dataset.collection_types().items():
        assert from_arrow(tables[name], record_type) == list(dataset.records(name))


@given(st.lists(st.decimals(places=DECIMAL_SCALE, min_value=-(10**19), max_value=10**19)))
def test_decimals_come_back_equal(values: list[Decimal]) -> None:
    records = [everything(rate=v) for v in values]
    assert [r.rate for r in from_arrow(to_arrow(records, Everything), Everything)] == values


# -- the schema -----------------------------------------------------------------------------


def test_the_schema_follows_the_field_types() -> None:
    schema = arrow_schema(Everything)
    money = pa.struct(
        [
            pa.field("amount", pa.decimal128(38, MONEY_SCALE), nullable=False),
            pa.field("currency", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        ]
    )
    types = {f.name: f.type for f in schema}
    assert types["id"] == pa.string()
    assert types["count"] == pa.int64()
    assert types["ok"] == pa.bool_()
    assert types["rate"] == pa.decimal128(38, 18)
    assert types["on"] == pa.date32()
    assert types["form"] == pa.dictionary(pa.int32(), pa.string())
    assert types["value.amount"] == pa.decimal128(38, 4)
    assert types["value.currency"] == pa.dictionary(pa.int32(), pa.string())
    assert types["parts"] == pa.list_(pa.field("item", money, nullable=False))
    assert types["span"] == pa.struct(
        [pa.field("start", pa.date32(), False), pa.field("end", pa.date32(), False)]
    )
    assert pa.types.is_map(types["by_form"])
    assert types["tags"] == pa.list_(pa.field("item", pa.string(), nullable=False))
    nullable = {f.name for f in schema if f.nullable}
    assert nullable == {"fee.amount", "fee.currency", "note", "span"}
    assert schema.field("note").metadata == {b"humanaid.pii": b"true"}
    assert schema.metadata[b"humanaid.record"].endswith(b"Everything")


def test_values_are_exact_and_readable_by_other_tools() -> None:
    table = to_arrow([everything(1), everything(2, fee=None, form=Form.IN_KIND)])
    assert table.column("value.amount").to_pylist() == [Decimal("12.5000")] * 2
    assert table.column("value.currency").to_pylist() == ["CNY", "CNY"]
    assert table.column("fee.amount").to_pylist() == [Decimal("1.0000"), None]
    assert table.column("form").to_pylist() == ["cash", "in_kind"]
    assert table.column("tags").to_pylist()[0] == ["a", "b"]
    assert table.column("by_form").to_pylist()[0] == [
        ("cash", {"amount": Decimal("5.0000"), "currency": "CNY"}),
        ("in_kind", {"amount": Decimal("4.0000"), "currency": "CNY"}),
    ]
    assert table.column("items").to_pylist()[0][0]["period"] == {
        "start": date(2020, 1, 1),
        "end": date(2020, 12, 31),
    }
    assert pa.compute.sum(table.column("value.amount")).as_py() == Decimal("25.0000")


def test_records_with_a_field_arrow_cannot_hold_are_refused_by_name() -> None:
    @attrs.frozen
    class Mixed:
        amount: int | Decimal

    @attrs.frozen
    class Pair:
        both: tuple[int, int]

    @attrs.frozen
    class Loose:
        anything: Any

    @attrs.frozen
    class Timed:
        at: Any

    with pytest.raises(TypeError, match=r"Mixed\.amount is the union int \| Decimal"):
        to_arrow([Mixed(1)])
    with pytest.raises(TypeError, match="fixed-length tuple"):
        arrow_schema(Pair)
    with pytest.raises(TypeError, match="has no Arrow form"):
        arrow_schema(Loose)
    with pytest.raises(TypeError, match="needs attrs records"):
        to_arrow([1, 2])
    with pytest.raises(TypeError, match=r"Finding\.figures\[\] is the union"):
        arrow_schema(Finding)


def test_values_that_do_not_fit_are_refused_with_the_record_named() -> None:
    with pytest.raises(ValueError, match=r"record 1: Everything\.rate has more than 18 decimal"):
        to_arrow([everything(1), everything(2, rate=Decimal("1E-19"))])
    with pytest.raises(ValueError, match="integer digits"):
        to_arrow([everything(rate=Decimal("1E+20"))])
    with pytest.raises(ValueError, match="64-bit"):
        to_arrow([everything(count=2**63)])
    with pytest.raises(TypeError, match=r"record 0: Everything\.count must be an int"):
        to_arrow([everything(count="3")])
    with pytest.raises(TypeError, match="must be a Form"):
        to_arrow([everything(form="cash")])
    with pytest.raises(TypeError, match="not a Everything"):
        to_arrow([everything(), Item(name="x", value=Money(1))], Everything)
    assert to_arrow([everything(rate=Decimal("1.000000000000000000000"))]).num_rows == 1


def test_an_empty_table_needs_the_record_type() -> None:
    table = to_arrow([], Everything)
    assert table.num_rows == 0
    assert table.schema == arrow_schema(Everything)
    assert from_arrow(table, Everything) == []
    with pytest.raises(ValueError, match="pass cls="):
        to_arrow([])


# -- back from Arrow ------------------------------------------------------------------------


def test_columns_must_match_the_record_type() -> None:
    table = to_arrow([everything()])
    with pytest.raises(ValueError, match="missing columns: count"):
        from_arrow(table.drop_columns(["count"]), Everything)
    with pytest.raises(ValueError, match="not fields of Everything: extra"):
        from_arrow(table.append_column("extra", pa.array([1])), Everything)
    with pytest.raises(TypeError, match="'count' holds string"):
        from_arrow(table.set_column(1, "count", pa.array(["many"])), Everything)
    with pytest.raises(TypeError, match="pyarrow Table"):
        from_arrow([everything()], Everything)


def test_compatible_columns_from_other_tools_are_read() -> None:
    table = pa.table(
        {
            "name": pa.array(["rice"], pa.large_string()),
            "value.amount": pa.array([Decimal("3.10")], pa.decimal128(10, 2)),
            "value.currency": pa.array(["CNY"], pa.string()),
            "period": pa.array([None], pa.struct([("start", pa.date32()), ("end", pa.date32())])),
        }
    )
    assert from_arrow(table, Item) == [Item(name="rice", value=Money("3.10"))]
    assert from_arrow(table.to_batches()[0], Item) == [Item(name="rice", value=Money("3.10"))]


def test_rows_that_break_the_records_rules_are_all_reported() -> None:
    table = to_arrow([everything(1), everything(2), everything(3)])
    amounts = pa.array([Decimal("-1"), Decimal("2"), Decimal("3.333")], pa.decimal128(38, 4))
    currencies = pa.array(["CNY", "CNY", None], pa.string())
    ids = pa.array(["e1", None, "e3"], pa.string())
    broken = (
        table.set_column(table.column_names.index("value.amount"), "value.amount", amounts)
        .set_column(table.column_names.index("value.currency"), "value.currency", currencies)
        .set_column(0, "id", ids)
    )
    with pytest.raises(InvalidInput) as err:
        from_arrow(broken, Everything)
    found = [(p.location, p.code) for p in err.value.problems]
    # the record's check names its field (a FieldError), so the problem is placed there
    assert found == [
        ("$[0].value", "invalid"),
        ("$[1].id", "missing"),
        ("$[2]['value.currency']", "missing"),
    ]
    assert "must be positive" in err.value.problems[0].message
    assert "the Arrow table" in str(err.value)
    bad_enum = table.set_column(
        table.column_names.index("form"), "form", pa.array(["cash", "gift", "cash"])
    )
    with pytest.raises(InvalidInput) as err2:
        from_arrow(bad_enum, Everything)
    assert [(p.location, p.code) for p in err2.value.problems] == [("$[1].form", "invalid")]
    bad_money = table.set_column(
        table.column_names.index("fee.currency"), "fee.currency", pa.array(["JPY", "XYZ", None])
    )
    with pytest.raises(InvalidInput, match="fee"):
        from_arrow(bad_money, Everything)


def test_parquet_keeps_everything(tmp_path: Path) -> None:
    parquet = pytest.importorskip("pyarrow.parquet")
    records = [everything(i) for i in range(5)]
    parquet.write_table(to_arrow(records), tmp_path / "e.parquet")
    assert from_arrow(parquet.read_table(tmp_path / "e.parquet"), Everything) == records


# -- streaming ------------------------------------------------------------------------------


def write_lines(path: Path, records: list[Any]) -> None:
    path.write_text("".join(to_json(r) + "\n" for r in records), encoding="utf-8")


def test_json_lines_load_into_arrow_in_batches(tmp_path: Path) -> None:
    records = [Item(name=f"item {i}", value=Money(i + 1)) for i in range(10)]
    path = tmp_path / "items.jsonl"
    write_lines(path, records)
    table = read_json_lines(path, Item, batch_size=3)
    assert len(table.to_batches()) == 4
    assert table.equals(to_arrow(records))
    assert from_arrow(table, Item) == records
    with path.open("rb") as f:
        assert read_json_lines(f, Item).num_rows == 10


def test_a_bad_json_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text(
        '{"name": "a", "value": {"amount": "1", "currency": "CNY"}, "period": null}\n'
        "\n"
        '{"name": "b", "value": {"amount": 1.5, "currency": "CNY"}, "period": null}\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput) as err:
        read_json_lines(str(path), Item)
    assert str(err.value).startswith(f"1 problem in line 3 of {path}:")
    assert [(p.location, p.code) for p in err.value.problems] == [
        ("$.value.amount", "float-not-allowed")
    ]


def test_record_batches_stream_any_iterable() -> None:
    def stream() -> Any:
        for i in range(7):
            yield Item(name=str(i), value=Money(i))

    batches = list(record_batches(stream(), batch_size=3))
    assert [b.num_rows for b in batches] == [3, 3, 1]
    assert list(record_batches([], Item)) == []
    with pytest.raises(ValueError, match="batch_size"):
        list(record_batches([], Item, batch_size=0))


# -- the collector ----------------------------------------------------------------------------


def test_bulk_conversions_leave_the_collector_as_they_found_it(tmp_path: Path) -> None:
    path = tmp_path / "periods.jsonl"
    path.write_text(to_json(Period.year(2020)) + "\n", encoding="utf-8")
    years = [Period.year(2020), Period.year(2021)]
    assert gc.isenabled()
    from_arrow(to_arrow(years), Period)
    read_json_lines(path, Period)
    assert gc.isenabled()
    gc.disable()
    try:
        from_arrow(to_arrow(years), Period)
        read_json_lines(path, Period)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_conversion_that_ends_does_not_end_another_threads_pause() -> None:
    # B's to_arrow pauses first, A's bulk job pauses next, B ends: A's pause must hold.
    b_in, a_in, b_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def years() -> Iterator[Period]:
        yield Period.year(2020)  # read before the pause begins
        b_in.set()  # the rest are read inside it
        assert a_in.wait(10)
        yield Period.year(2021)

    def a() -> None:
        assert b_in.wait(10)
        with _gc.paused():
            a_in.set()
            assert b_out.wait(10)
            seen.append(gc.isenabled())

    def b() -> None:
        to_arrow(years(), Period)
        b_out.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False]
    assert gc.isenabled()


# -- the extra ------------------------------------------------------------------------------


def test_without_pyarrow_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install 'humanaid\[arrow\]'"):
        to_arrow([everything()])
    with pytest.raises(ImportError, match=r"humanaid\[arrow\]"):
        arrow_schema(Everything)


def test_importing_the_module_does_not_import_pyarrow() -> None:
    code = "import sys, humanaid.interop.arrow; print('pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_float_column_is_never_read_as_money() -> None:
    floats = pa.table(
        {
            "amount": pa.array([0.1 + 0.2, 0.3], pa.float64()),
            "currency": pa.array(["CNY", "CNY"]).dictionary_encode(),
        }
    )
    with pytest.raises(TypeError, match="binary floats cannot hold decimal amounts exactly"):
        from_arrow(floats, Money)


def test_a_record_batch_reader_is_read_like_a_table() -> None:
    # DuckDB's relation.arrow() and many Arrow streams hand back a RecordBatchReader.
    records = [everything(i) for i in range(5)]
    table = to_arrow(records, batch_size=2)
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    assert from_arrow(reader, Everything) == records


@settings(max_examples=25, deadline=None)
@given(st.lists(donations(min_value="0.01"), max_size=20, unique_by=lambda d: d.id))
def test_duckdb_over_parquet_gives_the_fundraising_figures(
    tmp_path_factory: pytest.TempPathFactory, gifts: list[Donation]
) -> None:
    duckdb = pytest.importorskip("duckdb")
    parquet = pytest.importorskip("pyarrow.parquet")
    path = tmp_path_factory.mktemp("gifts") / "gifts.parquet"
    parquet.write_table(to_arrow(gifts, Donation), path)
    con = duckdb.connect()
    rows = con.execute(
        'SELECT channel, SUM("value.amount"), COUNT(*) FROM read_parquet(?) GROUP BY channel',
        [str(path)],
    ).fetchall()
    got = {channel: (Money(raised, "CNY"), n) for channel, raised, n in rows}
    summary = fundraising_summary(gifts, by="channel")
    assert got == {r["channel"].value: (r["raised"], r["gifts"]) for r in summary}
    back = con.read_parquet(str(path)).arrow()  # a RecordBatchReader in DuckDB 1.4+
    assert from_arrow(back, Donation) == gifts
