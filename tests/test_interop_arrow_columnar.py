"""The column-wise Arrow paths give what the record-wise paths give, results and errors.

``humanaid.interop.arrow`` converts records to Arrow and back a column at a time, and
reads JSON Lines straight into Arrow with every check made column-wise
(``read_json_lines_arrow``). The laws: the batches are the record-wise encoder's, the
records and the problems of ``from_arrow`` are the record-wise reader's, and a JSON
Lines file gives the table ``to_arrow`` makes of ``iter_json_lines``' records, or the
problems ``iter_json_lines`` reports, line by line (the hostile-input corpus included).
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import (
    Dataset,
    Donation,
    Finding,
    InvalidInput,
    Money,
    Period,
    iter_json_lines,
    to_dict,
    to_json,
)
from humanaid.interop import _arrow_fast
from humanaid.interop import arrow as arrow_module
from humanaid.interop.arrow import (
    ArrowRecords,
    arrow_schema,
    from_arrow,
    iter_json_lines_arrow,
    read_json_lines_arrow,
    to_arrow,
    to_pandas,
    to_polars,
)
from humanaid.records import id_field, money_field, text_field
from humanaid.testing import donations, record_strategies
from humanaid.testing.hostile import example_records, hostile_inputs

pa = pytest.importorskip("pyarrow")
parquet = pytest.importorskip("pyarrow.parquet")

SUPPORTED = [t for t in record_strategies() if t not in (Finding, Dataset)]
# The record types of the hostile law: the benchmark's, money and a period alone, and
# records with nested records, lists, optional enums and free text.
HOSTILE_TYPES = [Donation, Money, Period, *SUPPORTED[:: max(1, len(SUPPORTED) // 3)]]


def record_wise_table(records: list[Any], cls: type) -> Any:
    plan = arrow_module._checked_plan(cls)
    batch = arrow_module._batch_by_record(pa, plan, records, 0)
    return pa.Table.from_batches([batch], schema=plan.schema)


def record_wise_records(table: Any, cls: type) -> list[Any]:
    return arrow_module._rebuild(pa, arrow_module._checked_plan(cls), table, cls)


def outcome(call: Any) -> tuple[str, Any]:
    try:
        return "ok", call()
    except InvalidInput as exc:
        return "refused", (str(exc), exc.problems)


# -- records -> Arrow --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record_type", list(dict.fromkeys([Money, Period, *SUPPORTED])), ids=lambda t: t.__name__
)
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_column_wise_batches_equal_the_record_wise_batches(
    record_type: type, data: st.DataObject
) -> None:
    """Every supported record type: nested records (optional ones null or not) and tuples
    of records are read a field's column at a time, as top-level columns are."""
    records = data.draw(st.lists(record_strategies()[record_type](), max_size=4))
    plan = arrow_module._checked_plan(record_type)
    batch = _arrow_fast.encode_batch(pa, plan, records)
    assert batch is not None
    assert batch.equals(arrow_module._batch_by_record(pa, plan, records, 0))
    # and Parquet takes it (no null in a field that is not nullable, even under a null)
    table = pa.Table.from_batches([batch], schema=plan.schema)
    sink = pa.BufferOutputStream()
    parquet.write_table(table, sink)
    assert parquet.read_table(pa.BufferReader(sink.getvalue())).equals(table)


def test_values_of_another_type_take_the_record_wise_path_and_its_error() -> None:
    good = Period.year(2020)
    odd = attrs.evolve(good)
    object.__setattr__(odd, "end", "2020-12-31")  # a str where a date belongs
    plan = arrow_module._checked_plan(Period)
    assert _arrow_fast.encode_batch(pa, plan, [good, odd]) is None
    with pytest.raises(TypeError, match=r"record 1: Period\.end must be a date"):
        to_arrow([good, odd], Period)


# -- Arrow -> records --------------------------------------------------------------------------


def _broken(table: Any, column: str, row: int, value: Any) -> Any:
    values = table.column(column).to_pylist()
    values[row] = value
    return table.set_column(
        table.column_names.index(column),
        table.schema.field(column),
        pa.array(values, type=table.schema.field(column).type),
    )


BAD_CELLS = st.sampled_from(
    [
        ("id", None),
        ("id", " g1"),
        ("id", "g\u200b1"),
        ("id", "x" * 129),
        ("id", "é"),  # fine: not ASCII, decided by the validator
        ("organization_id", "e\u0301"),  # not NFC is no problem for an id
        ("platform", "Cafe\u0301"),  # not NFC: the record keeps it normalised
        ("platform", "  "),
        ("platform", "\x1b[2J"),
        ("received_on", None),
        ("value.amount", Decimal("0.125")),
        ("value.amount", Decimal("-5")),
        ("value.amount", Decimal("0")),
        ("value.amount", None),
        ("value.currency", "XXX"),
        ("value.currency", "usd"),
        ("value.currency", None),
        ("fees.currency", "USD"),
        ("fees.amount", Decimal("-0.01")),
        ("form", "gift"),
        ("channel", None),
        ("receipt_number", "R1"),
        ("no_receipt_reason", "anonymous"),
        ("fund_id", None),
        ("restricted_to", {"fund_id": None, "project_id": None, "purpose": None}),
    ]
)


@given(
    gifts=st.lists(donations(), min_size=1, max_size=3),
    cells=st.lists(st.tuples(st.integers(0, 2), BAD_CELLS), max_size=3),
)
def test_from_arrow_gives_the_record_wise_records_or_problems(
    gifts: list[Donation], cells: list[tuple[int, tuple[str, Any]]]
) -> None:
    table = to_arrow(gifts, Donation)
    for row, (column, value) in cells:
        table = _broken(table, column, row % len(gifts), value)
    assert outcome(lambda: from_arrow(table, Donation)) == outcome(
        lambda: record_wise_records(table, Donation)
    )


@pytest.mark.parametrize(
    "record_type", [t for t in SUPPORTED if attrs.has(t)], ids=lambda t: t.__name__
)
@settings(max_examples=15, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_records_filled_by_the_trusted_builder_are_the_constructors_records(
    record_type: type, data: st.DataObject
) -> None:
    """The trusted builder fills the slots itself: the records must be of the class
    itself, equal, of the same hash and still frozen."""
    records = data.draw(st.lists(record_strategies()[record_type](), min_size=1, max_size=3))
    built: list[Any] = from_arrow(to_arrow(records, record_type), record_type)
    assert built == records
    assert [type(r) for r in built] == [record_type] * len(records)
    assert [hash(r) for r in built] == [hash(r) for r in records]
    first = attrs.fields(record_type)[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(built[0], first, getattr(built[0], first))


@pytest.mark.parametrize(
    "record_type", [t for t in SUPPORTED if attrs.has(t)], ids=lambda t: t.__name__
)
@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_records_filled_a_slot_column_at_a_time_are_the_row_builders_records(
    record_type: type, data: st.DataObject
) -> None:
    """Where a class has a slot filler (nothing but slots to set), the records it fills
    column by column are the row-wise trusted builder's and the constructor's: of the
    class itself, equal, of the same repr and hash, frozen; and no subclass is made."""
    arrow_module._checked_plan(record_type)  # the field types resolved, as from_arrow does
    twin = _arrow_fast._cross_field_rules().get(record_type)
    post_init = twin is None and hasattr(record_type, "__attrs_post_init__")
    fill = _arrow_fast.slot_filler(record_type, post_init=post_init)
    make = _arrow_fast.trusted_builder(record_type, post_init=post_init)
    if fill is None:  # converters, validators or cross-field rules left: make builds
        return
    assert make is not None
    records = data.draw(st.lists(record_strategies()[record_type](), max_size=4))
    names = [a.name for a in attrs.fields(record_type)]
    columns = [[getattr(r, name) for r in records] for name in names]
    with pytest.MonkeyPatch.context() as patch:  # filled in blocks of 1-5 records
        patch.setattr(_arrow_fast, "FILL_BLOCK", data.draw(st.integers(1, 5)))
        filled = fill(columns, len(records))
    made = [make(*(getattr(r, name) for name in names)) for r in records]
    assert filled == made == records
    assert [type(r) for r in filled] == [record_type] * len(records)
    assert [repr(r) for r in filled] == [repr(r) for r in records]
    assert [hash(r) for r in filled] == [hash(r) for r in records]
    if filled:
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(filled[0], names[0], getattr(filled[0], names[0]))
    assert record_type.__subclasses__() == []


def test_a_donation_and_its_nested_records_are_filled_a_slot_column_at_a_time() -> None:
    """The benchmark's records take the column-wise filler (the law above is not empty)."""
    from humanaid.donors import Restriction

    arrow_module._checked_plan(Donation)
    assert _arrow_fast.slot_filler(Donation, post_init=False) is not None
    assert _arrow_fast.slot_filler(Restriction, post_init=False) is not None
    # with its cross-field rules to run, a donation is built row by row
    assert _arrow_fast.slot_filler(Donation, post_init=True) is None


@attrs.frozen(kw_only=True)
class _TypedLate:
    """A user's record whose field types are strings until resolved (this module's
    ``from __future__ import annotations``), never planned for Arrow before the test."""

    id: str = id_field()
    value: Money = money_field()


@attrs.frozen(kw_only=True)
class _ForwardGift:
    """A record naming a class defined after it: its types cannot be resolved at first."""

    id: str = id_field()
    part: _LaterPart = attrs.field()


def test_the_fast_paths_analyse_a_class_by_its_resolved_types_whoever_asks_first() -> None:
    """Asked before ``arrow`` plans a class (which resolves its field types), the
    analyses were cached from the string annotations: every field of the kind "other",
    all validators kept, no slot filler (the slow path, for good). Now each resolves the
    types first, and a class that cannot be resolved yet is not answered for good."""
    late: Any = attrs.fields(_TypedLate).value.type
    assert late == "Money"  # not resolved by anyone yet
    checks = _arrow_fast.field_checks(_TypedLate)
    assert checks is not None
    assert [c.kind for c in checks] == ["str", "money"]
    assert all(not c.validators for c in checks)
    assert _arrow_fast.slot_filler(_TypedLate) is not None
    assert _arrow_fast.exact_form(_TypedLate)
    records = [_TypedLate(id="g1", value=Money("1.50", "EUR"))]
    assert from_arrow(to_arrow(records, _TypedLate), _TypedLate) == records

    with pytest.MonkeyPatch.context() as patch:  # the name is not there yet
        patch.delitem(globals(), "_LaterPart")
        assert _arrow_fast.field_checks(_ForwardGift) is None  # no answer, none cached
        assert _arrow_fast.trusted_builder(_ForwardGift) is None
        assert _arrow_fast.slot_filler(_ForwardGift) is None
        assert not _arrow_fast.exact_form(_ForwardGift)
    checks = _arrow_fast.field_checks(_ForwardGift)
    assert checks is not None
    assert [c.kind for c in checks] == ["str", "record"]
    assert _arrow_fast.slot_filler(_ForwardGift) is not None
    gifts = [_ForwardGift(id="g2", part=_LaterPart(id="p1"))]
    assert from_arrow(to_arrow(gifts, _ForwardGift), _ForwardGift) == gifts


@attrs.frozen(kw_only=True)
class _LaterPart:
    id: str = id_field()


def test_from_arrow_leaves_no_subclass_of_a_users_class_behind() -> None:
    @attrs.frozen(kw_only=True)
    class Gift:
        id: str = id_field()
        note: str = text_field(kind="label")

    gifts = [Gift(id="a", note="x"), Gift(id="b", note="y")]
    assert from_arrow(to_arrow(gifts, Gift), Gift) == gifts
    assert Gift.__subclasses__() == []


def test_rows_that_fail_are_reported_at_their_row_of_the_whole_table() -> None:
    gifts = [
        Donation(id=f"g{i}", organization_id="o", received_on=date(2020, 1, 1), value=Money(1))
        for i in range(5)
    ]
    table = _broken(_broken(to_arrow(gifts), "value.amount", 3, Decimal("0.001")), "id", 1, "")
    with pytest.raises(InvalidInput) as caught:
        from_arrow(table, Donation)
    assert [p.path[0] for p in caught.value.problems] == [1, 3]
    assert str(caught.value) == outcome(lambda: record_wise_records(table, Donation))[1][0]


# -- columns that stay columns: ArrowRecords ---------------------------------------------------


@given(
    gifts=st.lists(donations(), max_size=7),
    block_size=st.integers(1, 4),
    check_rows=st.integers(1, 5),
    picks=st.lists(st.integers(-9, 9), max_size=5),
    cut=st.tuples(
        st.none() | st.integers(-9, 9),
        st.none() | st.integers(-9, 9),
        st.none() | st.integers(-3, 3).filter(bool),
    ),
)
def test_a_view_reads_as_the_list_from_arrow_gives(
    gifts: list[Donation],
    block_size: int,
    check_rows: int,
    picks: list[int],
    cut: tuple[int | None, int | None, int | None],
) -> None:
    table = to_arrow(gifts, Donation)
    eager = from_arrow(table, Donation)
    with pytest.MonkeyPatch.context() as patch:  # checked and iterated in small blocks
        patch.setattr(arrow_module, "_CHECK_ROWS", check_rows)
        view = ArrowRecords(table, Donation, block_size=block_size)
        assert len(view) == len(eager)
        assert list(view) == eager
    for i in picks:  # any order: blocks are built, dropped and built again
        assert outcome_of_index(view, i) == outcome_of_index(eager, i)
    part = view[slice(*cut)]
    assert isinstance(part, ArrowRecords)
    assert list(part) == eager[slice(*cut)]
    assert [part[i] for i in range(len(part))] == eager[slice(*cut)]
    assert view.table is table


def outcome_of_index(records: Any, i: int) -> tuple[str, Any]:
    try:
        return "ok", records[i]
    except IndexError:
        return "IndexError", None


@given(
    gifts=st.lists(donations(), min_size=1, max_size=5),
    cells=st.lists(st.tuples(st.integers(0, 4), BAD_CELLS), max_size=3),
    check_rows=st.integers(1, 3),
)
def test_a_view_refuses_what_from_arrow_refuses_with_the_same_problems(
    gifts: list[Donation],
    cells: list[tuple[int, tuple[str, Any]]],
    check_rows: int,
) -> None:
    table = to_arrow(gifts, Donation)
    for row, (column, value) in cells:
        table = _broken(table, column, row % len(gifts), value)
    with pytest.MonkeyPatch.context() as patch:  # checked in small blocks: rows renumbered
        patch.setattr(arrow_module, "_CHECK_ROWS", check_rows)
        made = outcome(lambda: list(ArrowRecords(table, Donation)))
    assert made == outcome(lambda: from_arrow(table, Donation))


@given(gifts=st.lists(donations(), min_size=1, max_size=4))
def test_checking_a_donation_table_builds_no_record_and_refuses_what_from_arrow_refuses(
    gifts: list[Donation],
) -> None:
    table = to_arrow(gifts, Donation)
    plan = arrow_module._checked_plan(Donation)
    assert not _arrow_fast.needs_building(Donation)
    checked = _arrow_fast.decode_table(pa, plan, table, arrow_module._Reference(pa), keep=False)
    assert checked == [None] * len(gifts)
    bad = _broken(table, "value.amount", 0, Decimal("0.001"))
    assert outcome(lambda: arrow_module._records(pa, plan, bad, Donation, keep=False)) == (
        outcome(lambda: from_arrow(bad, Donation))
    )


def test_a_view_takes_and_refuses_what_from_arrow_does() -> None:
    table = to_arrow([Money(1)])
    assert list(ArrowRecords(table.to_batches()[0], Money)) == [Money(1)]
    with pytest.raises(TypeError, match="'table' must be a pyarrow Table"):
        ArrowRecords([Money(1)], Money)
    with pytest.raises(ValueError, match="missing columns: currency"):
        ArrowRecords(table.drop_columns(["currency"]), Money)
    for size in (0, True, 1.5):
        with pytest.raises(ValueError, match="'block_size' must be a whole number"):
            ArrowRecords(table, Money, block_size=size)  # type: ignore[arg-type]
    assert repr(ArrowRecords(table, Money)) == "<ArrowRecords of 1 Money records>"


def test_a_view_checked_in_blocks_reports_each_problem_at_its_row_of_the_table() -> None:
    gifts = [
        Donation(id=f"g{i}", organization_id="o", received_on=date(2020, 1, 1), value=Money(1))
        for i in range(5)
    ]
    table = _broken(_broken(to_arrow(gifts), "value.amount", 3, Decimal("0.001")), "id", 1, "")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(arrow_module, "_CHECK_ROWS", 2)
        with pytest.raises(InvalidInput) as caught:
            ArrowRecords(table, Donation)
    assert [p.path[0] for p in caught.value.problems] == [1, 3]
    assert outcome(lambda: ArrowRecords(table, Donation)) == outcome(
        lambda: from_arrow(table, Donation)
    )


# -- JSON Lines -> Arrow -----------------------------------------------------------------------


def _spaced(record: Any) -> str:
    return json.dumps(to_dict(record), ensure_ascii=False)


@pytest.mark.parametrize("record_type", HOSTILE_TYPES, ids=lambda t: t.__name__)
@given(data=st.data())
def test_json_lines_read_column_wise_give_the_table_of_the_records(
    record_type: type, data: st.DataObject
) -> None:
    records = data.draw(st.lists(record_strategies()[record_type](), max_size=3))
    writers: list[Callable[[Any], str]] = [to_json, _spaced]
    write = data.draw(st.sampled_from(writers))
    lines = [write(r) for r in records]
    table = read_json_lines_arrow(lines, record_type)
    assert table.schema == arrow_schema(record_type)
    assert table.to_pylist() == to_arrow(records, record_type).to_pylist()


def _hostile_cases() -> list[Any]:
    cases = []
    for record_type in HOSTILE_TYPES:
        example = example_records(record_strategies()[record_type](), count=2)[0]
        for case in hostile_inputs(record_type, example, channels=("jsonl",), nested=1):
            cases.append((record_type, example, case))
    return cases


def test_the_column_wise_validator_reports_the_same_problems_as_the_record_path() -> None:
    cases = _hostile_cases()
    assert len(cases) > 100
    for record_type, example, case in cases:
        good = to_json(example)
        lines = [good, case.payload, good]
        expected = outcome(lambda: list(iter_json_lines(lines, record_type)))  # noqa: B023
        got = outcome(lambda: read_json_lines_arrow(lines, record_type))  # noqa: B023
        assert got[0] == expected[0] == "refused", case.label
        assert got[1] == expected[1], case.label
        table, problems = read_json_lines_arrow(lines, record_type, errors="collect")
        assert [str(p) for p in problems] == [expected[1][0]], case.label
        assert table.to_pylist() == to_arrow([example, example], record_type).to_pylist()


# The cross-field rules of a donation, which the column-wise twin must find exactly.
CROSS_FIELDS = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(
            ["offline", "bank_transfer", "online_platform", "via_special_fund"]
        ),
        "platform": st.sampled_from([None, "腾讯公益", "alipay"]),
        "fund_id": st.sampled_from([None, "special-1"]),
        "receipt_number": st.sampled_from([None, "R1"]),
        "no_receipt_reason": st.sampled_from([None, "anonymous", "not_requested"]),
        "fees": st.sampled_from(
            [
                {"amount": "0.00", "currency": "CNY"},
                {"amount": "1", "currency": "USD"},
                {"amount": "0.5", "currency": "CNY"},
            ]
        ),
        "form": st.sampled_from(["cash", "in_kind"]),
    }
)


@given(gifts=st.lists(st.tuples(donations(), CROSS_FIELDS), min_size=1, max_size=3))
def test_the_cross_field_twin_finds_what_the_record_path_finds(
    gifts: list[tuple[Donation, dict[str, Any]]],
) -> None:
    lines = []
    for gift, changes in gifts:
        data = to_dict(gift)
        data.update(changes)
        lines.append(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    table, problems = read_json_lines_arrow(lines, Donation, errors="collect")
    records: list[Donation] = []
    expected: list[str] = []
    for number, line in enumerate(lines, start=1):
        try:
            records.extend(iter_json_lines([line], Donation))
        except InvalidInput as exc:
            expected.append(str(exc).replace("line 1 of", f"line {number} of"))
    assert [str(p) for p in problems] == expected
    assert table.to_pylist() == to_arrow(records, Donation).to_pylist()


def test_keys_missing_repeated_or_unknown_are_found_though_pyarrow_cannot_see_them() -> None:
    good = to_dict(
        Donation(id="g1", organization_id="o", received_on=date(2020, 1, 1), value=Money(5))
    )
    text = json.dumps(good, separators=(",", ":"))
    missing = text.replace('"pledge_id":null,', "")  # a default: the record path takes it
    no_fees = text.replace('"fees":{"amount":"0.00","currency":"CNY"},', "")
    repeated = text.replace('"pledge_id":null', '"pledge_id":null,"pledge_id":null')
    unknown = text.replace('"pledge_id":null', '"pledge_id":null,"zz":1')
    nested = text.replace('"currency":"CNY"}', '"currency":"CNY","currency":"CNY"}', 1)
    quoted = text.replace('"transaction_ref":null', '"transaction_ref":"a\\":b"')
    lines = [text, missing, no_fees, repeated, unknown, nested, quoted, "", "   "]
    table, problems = read_json_lines_arrow(lines, Donation, errors="collect")
    expected = []
    for number, line in enumerate(lines, start=1):
        try:
            list(iter_json_lines([line], Donation))
        except InvalidInput as exc:
            expected.append(str(exc).replace("line 1 of", f"line {number} of"))
    assert [p.subject for p in problems] == [f"line {n} of the input" for n in (4, 5, 6)]
    assert [str(p) for p in problems] == expected
    assert table.num_rows == 4  # the good line, the two with defaults and the quoted one
    assert table.column("transaction_ref").to_pylist()[-1] == 'a":b'


def test_a_file_gives_line_numbers_of_the_file_blank_lines_counted(tmp_path: Path) -> None:
    gifts = [
        Donation(id=f"g{i}", organization_id="o", received_on=date(2020, 1, 1), value=Money(i + 1))
        for i in range(3)
    ]
    path = tmp_path / "gifts.jsonl"
    bad = to_json(gifts[1]).replace('"1.00"', '"1.001"').replace('"2.00"', '"2.001"')
    path.write_text(f"{to_json(gifts[0])}\n\n{bad}\n{to_json(gifts[2])}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=f"1 problem in line 3 of {path}"):
        read_json_lines_arrow(path, Donation)
    with pytest.raises(InvalidInput) as expected:
        list(iter_json_lines(path, Donation))
    table, problems = read_json_lines_arrow(str(path), Donation, errors="collect")
    assert [str(p) for p in problems] == [str(expected.value)]
    assert from_arrow(table, Donation) == [gifts[0], gifts[2]]
    binary = io.BytesIO(path.read_bytes())
    assert read_json_lines_arrow(binary, Donation, errors="collect")[0].equals(table)


def test_errors_must_be_raise_or_collect() -> None:
    with pytest.raises(ValueError, match="'errors' must be"):
        read_json_lines_arrow([], Money, errors="ignore")
    assert read_json_lines_arrow([], Money).num_rows == 0


# -- interchange -------------------------------------------------------------------------------


def test_records_go_to_polars_and_pandas_through_arrow() -> None:
    gifts = [
        Donation(id=f"g{i}", organization_id="o", received_on=date(2020, 1, 1), value=Money("1.25"))
        for i in range(3)
    ]
    frame = to_polars(gifts)
    assert frame.columns == to_arrow(gifts).column_names
    assert str(frame["value.amount"].sum()) == "3.7500"
    table = to_pandas(gifts, Donation)
    assert table["value.amount"].sum() == Decimal("3.7500")
    assert list(table["id"]) == ["g0", "g1", "g2"]
    backed = to_pandas(gifts, arrow_backed=True)
    assert str(backed["value.amount"].dtype).startswith("decimal128")


# -- nested values (a gift's items, its restriction), checked column-wise a level down -------


def _in_kind_gift() -> dict[str, Any]:
    from humanaid import InKindItem, Restriction, ValuationBasis

    rice = InKindItem(
        description="大米",
        quantity=Decimal("2.5"),
        unit="袋",
        unit_value=Money("45.50"),
        valuation=ValuationBasis.INVOICE,
    )
    oil = InKindItem(description="oil", quantity=3, unit="L")
    gift = Donation.in_kind(
        items=[rice, oil],
        id="g-in-kind",
        organization_id="o",
        received_on=date(2020, 1, 1),
        restricted_to=Restriction(purpose="救心行动"),
    )
    data: dict[str, Any] = to_dict(gift)
    return data


def _set(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """``data`` with the value at ``path`` changed (unchanged if an earlier change took it)."""
    data = dict(json.loads(json.dumps(data)))
    *head, last = path
    place: Any = data
    for key in head:
        try:
            place = place[key]
        except (LookupError, TypeError):
            return data
    if not isinstance(place, dict | list) or (isinstance(place, list) and last >= len(place)):
        return data
    if value is _DROP:
        if isinstance(place, dict):
            place.pop(last, None)
    else:
        place[last] = value
    return data


_DROP = object()
# (path, value): a change to a nested value, good or bad, each decided by the record path
NESTED_CHANGES: list[tuple[tuple[Any, ...], Any]] = [
    (("items", 0, "quantity"), "0"),
    (("items", 0, "quantity"), "-1"),
    (("items", 0, "quantity"), "1.1234567"),
    (("items", 0, "quantity"), "1.123456"),
    (("items", 0, "quantity"), "1e3"),
    (("items", 0, "quantity"), "1000000000000"),
    (("items", 0, "quantity"), "999999999999"),
    (("items", 0, "quantity"), 2),
    (("items", 0, "quantity"), 2.5),
    (("items", 0, "quantity"), "abc"),
    (("items", 0, "quantity"), None),
    (("items", 1, "quantity"), "007"),
    (("items", 0, "unit_value", "currency"), "USD"),
    (("items", 0, "unit_value", "currency"), "XXX"),
    (("items", 0, "unit_value", "amount"), "1.001"),
    (("items", 0, "unit_value", "amount"), "-1"),
    (("items", 0, "unit_value", "amount"), "0"),
    (("items", 0, "unit_value", "amount"), "999999999999999.99"),
    (("items", 0, "unit_value"), None),
    (("items", 0, "valuation"), "unvalued"),
    (("items", 0, "valuation"), "bogus"),
    (("items", 0, "valuation"), None),
    (("items", 1, "valuation"), "invoice"),
    (("items", 0, "description"), ""),
    (("items", 0, "description"), "   "),
    (("items", 0, "description"), "a\u00adb"),
    (("items", 0, "description"), "e\u0301"),
    (("items", 0, "unit"), None),
    (("items", 0, "unit"), _DROP),
    (("items", 0, "extra"), 1),
    (("items",), []),
    (("items",), None),
    (("form",), "cash"),
    (("restricted_to", "purpose"), "   "),
    (("restricted_to", "purpose"), ""),
    (("restricted_to", "purpose"), None),
    (("restricted_to", "purpose"), _DROP),
    (("restricted_to", "fund_id"), "f 1"),
    (("restricted_to", "fund_id"), "f-1"),
    (("restricted_to", "project_id"), "p\u00851"),
    (("restricted_to", "extra"), "x"),
    (("restricted_to",), {}),
    (("restricted_to",), None),
    (("restricted_to",), "purpose"),
]


def _record_path_problems(lines: list[str]) -> tuple[list[Donation], list[str]]:
    records: list[Donation] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        try:
            records.extend(iter_json_lines([line], Donation))
        except InvalidInput as exc:
            problems.append(str(exc).replace("line 1 of", f"line {number} of"))
    return records, problems


@given(changes=st.lists(st.lists(st.sampled_from(NESTED_CHANGES), max_size=2), max_size=4))
def test_nested_values_give_the_record_paths_problems_at_their_line_and_field(
    changes: list[list[tuple[tuple[Any, ...], Any]]],
) -> None:
    base = _in_kind_gift()
    lines = [json.dumps(base, ensure_ascii=False)]
    for number, edits in enumerate(changes):
        data = _set(base, ("id",), f"g-{number}")
        for path, value in edits:
            data = _set(data, path, value)
        lines.append(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    records, expected = _record_path_problems(lines)
    table, problems = read_json_lines_arrow(lines, Donation, errors="collect")
    assert [str(p) for p in problems] == expected
    assert table.to_pylist() == to_arrow(records, Donation).to_pylist()


def test_each_nested_failure_is_reported_at_its_line_and_field_path() -> None:
    base = _in_kind_gift()
    lines = [json.dumps(base, ensure_ascii=False)]
    for path, value in NESTED_CHANGES:
        lines.append(json.dumps(_set(base, path, value), ensure_ascii=False))
    records, expected = _record_path_problems(lines)
    table, problems = read_json_lines_arrow(lines, Donation, errors="collect")
    assert [str(p) for p in problems] == expected
    assert table.to_pylist() == to_arrow(records, Donation).to_pylist()
    quantity = next(p for p in problems if p.subject == "line 2 of the input")
    assert [x.path for x in quantity.problems] == [("items", 0, "quantity")]
    purpose = next(p for p in problems if p.subject == "line 35 of the input")
    assert purpose.problems[0].path[:2] == ("restricted_to", "purpose")
    assert len(problems) > 30


def test_good_nested_values_are_read_without_the_record_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = _in_kind_gift()
    lines = [json.dumps(_set(base, ("id",), f"g-{i}"), ensure_ascii=False) for i in range(5)]

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a good nested line took the record path")

    expected = to_arrow(list(iter_json_lines(lines, Donation)), Donation)
    monkeypatch.setattr(arrow_module, "from_json", refused)
    table = read_json_lines_arrow(lines, Donation)
    assert table.to_pylist() == expected.to_pylist()
    items = table.column("items").to_pylist()[0]
    assert [i["quantity"] for i in items] == [Decimal("2.5"), Decimal(3)]


# -- JSON Lines -> Arrow in blocks -------------------------------------------------------------

# Blocks of one line, two, seven and the whole input: every block boundary a bad line can
# meet (the first, the last and the middle of a block, a block of its own).
BLOCK_SIZES = [1, 2, 7, None]


def test_the_hostile_corpus_gives_the_same_problems_in_blocks_of_any_size() -> None:
    cases = _hostile_cases()
    assert len(cases) > 100
    for record_type, example, case in cases:
        good = to_json(example)
        lines = [good] * 7 + [case.payload, good]  # the bad line is the 8th
        expected = outcome(lambda: list(iter_json_lines(lines, record_type)))  # noqa: B023
        assert expected[0] == "refused", case.label
        whole = to_arrow([example] * 8, record_type).to_pylist()
        for size in BLOCK_SIZES:
            got = outcome(lambda: read_json_lines_arrow(lines, record_type, batch_size=size))  # noqa: B023
            assert got == expected, (case.label, size)
            table, problems = read_json_lines_arrow(
                lines, record_type, errors="collect", batch_size=size
            )
            assert [str(p) for p in problems] == [expected[1][0]], (case.label, size)
            assert table.to_pylist() == whole, (case.label, size)


def _broken_line(gift: Donation, how: int) -> str:
    """A gift's line, broken one of several ways (0: not broken)."""
    line = to_json(gift)
    if how == 1:
        return line.replace('"amount":"', '"amount":"x', 1)  # not a number
    if how == 2:
        return line.replace('"id":', '"zz":1,"id":', 1)  # an unknown key
    if how == 3:
        return "{not json"
    if how == 4:
        return "   "  # blank: skipped, but counted
    return line


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(
    gifts=st.lists(st.tuples(donations(), st.sampled_from([0, 0, 0, 1, 2, 3, 4])), max_size=9),
    size=st.integers(min_value=1, max_value=10),
)
def test_blocks_of_any_size_give_the_rows_and_problems_of_the_whole_input(
    gifts: list[tuple[Donation, int]], size: int
) -> None:
    lines = [_broken_line(gift, how) for gift, how in gifts]
    whole, whole_problems = read_json_lines_arrow(lines, Donation, errors="collect")
    table, problems = read_json_lines_arrow(lines, Donation, errors="collect", batch_size=size)
    assert [str(p) for p in problems] == [str(p) for p in whole_problems]
    assert table.schema == whole.schema
    assert table.to_pylist() == whole.to_pylist()
    streamed = list(iter_json_lines_arrow(lines, Donation, batch_size=size, errors="collect"))
    assert len(streamed) == -(-len(lines) // size)  # one pair a block
    assert all(b.num_rows <= size and b.schema == whole.schema for b, _ in streamed)
    assert [str(p) for _, found in streamed for p in found] == [str(p) for p in problems]
    rows = [r for b, _ in streamed for r in b.to_pylist()]
    assert rows == whole.to_pylist()
    expected = outcome(lambda: list(iter_json_lines(lines, Donation)))
    if expected[0] == "ok":
        assert from_arrow(table, Donation) == expected[1]


def test_a_file_read_in_blocks_numbers_the_lines_of_the_file(tmp_path: Path) -> None:
    gifts = [
        Donation(id=f"g{i}", organization_id="o", received_on=date(2020, 1, 1), value=Money(i + 1))
        for i in range(6)
    ]
    lines = [to_json(g) for g in gifts]
    lines[3] = lines[3].replace('"4.00"', '"4.001"')
    too_long = "x" * arrow_module._LINE_LENGTH
    text = "\n".join([lines[0], "", lines[1], too_long, lines[2], lines[3], "  ", *lines[4:]])
    for ending in ("", "\n"):  # the last line with and without its line end
        path = tmp_path / f"gifts{len(ending)}.jsonl"
        path.write_text(text + ending, encoding="utf-8")
        expected: list[str] = []
        for number, line in enumerate((text + ending).split("\n"), start=1):
            try:
                list(iter_json_lines([line + "\n"], Donation))
            except InvalidInput as exc:
                expected.append(str(exc).replace("line 1 of the input", f"line {number} of {path}"))
        assert len(expected) == 2  # the line too long (4th) and the bad amount (6th)
        good = [gifts[i] for i in (0, 1, 2, 4, 5)]
        for size in BLOCK_SIZES:
            table, problems = read_json_lines_arrow(
                path, Donation, errors="collect", batch_size=size
            )
            assert [str(p) for p in problems] == expected, size
            assert from_arrow(table, Donation) == good, size
            with pytest.raises(InvalidInput, match=f"line 4 of {path}"):
                read_json_lines_arrow(path, Donation, batch_size=size)
        # raising: the blocks before the first bad line come first
        got: list[Any] = []
        with pytest.raises(InvalidInput, match=f"line 4 of {path}"):
            got.extend(iter_json_lines_arrow(path, Donation, batch_size=3))
        assert [b.num_rows for b in got] == [2]


def test_streaming_checks_its_arguments_at_once() -> None:
    for size in (0, -1, True, 2.0, None):
        with pytest.raises(ValueError, match="'batch_size' must be"):
            iter_json_lines_arrow([], Money, batch_size=size)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'batch_size' must be"):
        read_json_lines_arrow([], Money, batch_size=0)
    with pytest.raises(ValueError, match="'errors' must be"):
        iter_json_lines_arrow([], Money, errors="ignore")
    with pytest.raises(TypeError, match="'source' must be"):
        iter_json_lines_arrow(42, Money)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        iter_json_lines_arrow("/no/such/file.jsonl", Money)
    with pytest.raises(TypeError, match="cannot go to Arrow"):
        iter_json_lines_arrow([], Finding)
    assert list(iter_json_lines_arrow([], Money)) == []
    assert read_json_lines_arrow([], Money, batch_size=3).num_rows == 0


def test_json_lines_go_to_partitioned_parquet_without_the_records(tmp_path: Path) -> None:
    from humanaid.interop.columnar import write_parquet_dataset

    pq = pytest.importorskip("pyarrow.parquet")
    gifts = [
        Donation(
            id=f"g{i}",
            organization_id=f"o{i % 2}",
            received_on=date(2020 + i % 3, 1, 1),
            value=Money(i + 1),
        )
        for i in range(10)
    ]
    source = tmp_path / "gifts.jsonl"
    source.write_text("".join(to_json(g) + "\n" for g in gifts), encoding="utf-8")
    batches = iter_json_lines_arrow(source, Donation, batch_size=3)
    files = write_parquet_dataset(batches, tmp_path / "out", Donation, date_field="received_on")
    assert len(files) == 6  # 3 years x 2 organisations
    read = [r for f in files for r in from_arrow(pq.read_table(f), Donation)]
    assert sorted(read, key=lambda g: g.id) == sorted(gifts, key=lambda g: g.id)
    with pytest.raises(TypeError, match="need their record_type"):
        write_parquet_dataset(iter_json_lines_arrow(source, Donation), tmp_path / "again")


def test_a_block_leaves_no_reference_cycle_behind() -> None:
    # a stream holds one block at a time only if each block is freed by reference
    # counting: a cycle would keep its text and tables until a full collection
    import gc

    lines = [to_json(Money(i + 1)) for i in range(20)]
    lines[5] = lines[5].replace('"amount":"', '"amount":"x')  # the record path too

    def read() -> int:
        got = list(iter_json_lines_arrow(lines, Money, batch_size=3, errors="collect"))
        table = read_json_lines_arrow(lines, Money, batch_size=4, errors="collect")[0]
        return int(sum(b.num_rows for b, _ in got) + table.num_rows)

    assert read() == 2 * 19  # once first: imports and caches are no garbage
    gc.collect()
    gc.disable()
    try:
        assert read() == 2 * 19
        left = gc.collect()
    finally:
        gc.enable()
    assert left == 0


# -- fourth pass: byte kernels for the ASCII checks; to_arrow of a view without records -------

ASCII_EDGES = st.text(
    alphabet=st.sampled_from([" ", "!", "~", "a", "0", "\x1f", "\x7f", "\t", "\n", "é", "\u3000"]),
    max_size=130,
) | st.text(max_size=8)


@given(values=st.lists(st.none() | ASCII_EDGES, max_size=12))
def test_the_byte_kernels_pass_exactly_what_the_ascii_patterns_pass(
    values: list[str | None],
) -> None:
    """``ascii_id`` and ``ascii_text`` stand for the two regular expressions: the same
    true, false and null for every value (lengths 0, 1, 128 and 129 among them)."""
    pc = pytest.importorskip("pyarrow.compute")
    column = pa.array(values, pa.string())
    for kernel, pattern in (
        (_arrow_fast.ascii_id, _arrow_fast._ASCII_ID),
        (_arrow_fast.ascii_text, _arrow_fast._ASCII_TEXT),
    ):
        assert kernel(pa, column).to_pylist() == (
            pc.match_substring_regex(column, pattern).to_pylist()
        )


def _shuffled_dictionaries(table: Any) -> Any:
    """The table with each top-level dictionary column's dictionary in reverse order."""
    pc = pytest.importorskip("pyarrow.compute")
    for i, field in enumerate(table.schema):
        if not pa.types.is_dictionary(field.type):
            continue
        plain = table.column(i).cast(field.type.value_type).combine_chunks()
        words = pa.array(sorted(set(plain.drop_null().to_pylist()), reverse=True), pa.string())
        indices = pc.index_in(plain, value_set=words).cast(pa.int32())
        table = table.set_column(i, field, pa.DictionaryArray.from_arrays(indices, words))
    return table


def _rechunked(table: Any, cuts: list[int]) -> Any:
    """The same rows in other chunks (cut at ``cuts``)."""
    n = table.num_rows
    edges = sorted({0, n, *(c % (n + 1) for c in cuts)})
    parts = [table.slice(a, b - a) for a, b in itertools.pairwise(edges) if b > a]
    return pa.concat_tables(parts) if parts else table


@pytest.mark.parametrize("record_type", SUPPORTED, ids=lambda t: getattr(t, "__name__", str(t)))
@settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_to_arrow_of_a_view_is_to_arrow_of_its_records(
    record_type: type, data: st.DataObject
) -> None:
    """The view's table handed back (re-encoded, no record made) is exactly the table
    ``to_arrow`` makes of the view's records: schema, values, dictionaries' order and
    batches, whatever the stored table's chunks, dictionaries and slice."""
    records = data.draw(st.lists(record_strategies()[record_type](), max_size=5))
    table = to_arrow(records, record_type)
    if data.draw(st.booleans()):
        table = _shuffled_dictionaries(table)
    table = _rechunked(table, data.draw(st.lists(st.integers(0, 6), max_size=3)))
    view: Any = ArrowRecords(table, record_type)
    assert list(view) == from_arrow(table, record_type)  # the check alone, every type
    cut = data.draw(st.sampled_from([slice(None), slice(1, None), slice(None, None, 2)]))
    part = view[cut]
    size = data.draw(st.integers(1, 3))
    got = to_arrow(part, batch_size=size)  # a view knows its type, even with no record
    expected = to_arrow(list(part), record_type, batch_size=size)
    assert got.schema.equals(expected.schema, check_metadata=True)
    assert got.equals(expected)
    assert [b.num_rows for b in got.to_batches()] == [b.num_rows for b in expected.to_batches()]


def test_a_donation_view_goes_back_without_records_unless_a_row_needed_them() -> None:
    gifts = [
        Donation(id=f"g{i}", organization_id="o", received_on=date(2020, 1, 1), value=Money(i + 1))
        for i in range(4)
    ]
    table = to_arrow(gifts)
    view: Any = ArrowRecords(table, Donation)
    assert view._exact is view.table  # every row passed the column-wise checks
    part = view[1:]
    assert part._exact is part.table
    assert to_arrow(view).equals(table)
    # a name not in NFC: the record keeps it normalised, so the view goes through records
    odd = _broken(table, "platform", 2, None)
    odd = _broken(_broken(odd, "channel", 2, "online_platform"), "platform", 2, "Cafe\u0301")
    view = ArrowRecords(odd, Donation)
    assert view._exact is None
    assert to_arrow(view).equals(to_arrow(list(view), Donation))
    assert to_arrow(view).column("platform")[2].as_py() == "Caf\u00e9"
    view.table = table  # a table put in its place is not the one checked
    assert _stored_or_none(view) is None


def _stored_or_none(view: Any) -> Any:
    return arrow_module._stored(pa, view, 65536)
