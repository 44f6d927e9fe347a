from __future__ import annotations

import decimal
import enum
import gc
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import CurrencyMismatch, InvalidInput, Money, Period, to_json
from humanaid.aggregate import (
    FieldCondition,
    Measure,
    area_key,
    count,
    distinct,
    field_between,
    field_is,
    lookup_key,
    parent_map,
    period_key,
    sum_of,
    tabulate,
    total,
)
from humanaid.ordering import sort_key
from humanaid.serialize import iter_json_lines
from humanaid.table import ColumnKind, Table
from humanaid.testing import dates, money


class Channel(enum.Enum):
    ONLINE = "online"
    BANK = "bank"
    CASH_BOX = "cash_box"


@attrs.frozen(kw_only=True)
class Gift:
    id: str
    donor_id: str | None
    received_on: date | None
    value: Money | None
    channel: Channel = Channel.ONLINE
    area_id: str | None = None
    persons: int | Decimal | None = None


@attrs.frozen(kw_only=True)
class Donor:
    id: str
    kind: str


def gift(i: int, on: date, amount: str, currency: str = "CNY", **kw: Any) -> Gift:
    kw.setdefault("donor_id", f"d{i % 3}")
    return Gift(id=f"g{i}", received_on=on, value=Money(amount, currency), **kw)


GIFTS = [
    gift(1, date(2019, 5, 1), "100.00", channel=Channel.BANK),
    gift(2, date(2020, 1, 9), "50.00"),
    gift(3, date(2020, 3, 2), "25.50"),
    gift(4, date(2020, 11, 30), "7.00", "USD", channel=Channel.CASH_BOX),
]


# -- strategies ---------------------------------------------------------------------------


@st.composite
def gifts(draw: st.DrawFn, *, currencies: tuple[str, ...] = ("CNY", "USD", "JPY")) -> Gift:
    currency = draw(st.sampled_from(currencies))
    return Gift(
        id=draw(st.text("abc", min_size=1, max_size=3)),
        donor_id=draw(st.none() | st.sampled_from(["d1", "d2", "d3", "d4"])),
        received_on=draw(dates(min_value=date(2018, 1, 1), max_value=date(2021, 12, 31))),
        value=draw(st.none() | money(currency=currency, min_value=0, max_value=10**6)),
        channel=draw(st.sampled_from(Channel)),
        area_id=draw(st.sampled_from(["v1", "v2", "v3", "t1", None])),
        persons=draw(
            st.none()
            | st.integers(min_value=0, max_value=10**6)
            | st.decimals(places=3, min_value=0, max_value=10**6)
        ),
    )


MEASURES = {
    "raised": total("value"),
    "gifts": count(),
    "persons": sum_of("persons"),
    "donors": distinct("donor_id"),
}


def by_currency(table: Table) -> dict[Any, dict[str, Any]]:
    """Add up the additive columns of a table per currency."""
    out: dict[Any, dict[str, Any]] = {}
    for row in table:
        acc = out.setdefault(row["currency"], {"raised": None, "gifts": 0, "persons": 0})
        if row["raised"] is not None:
            acc["raised"] = (
                row["raised"] if acc["raised"] is None else acc["raised"] + row["raised"]
            )
        acc["gifts"] += row["gifts"]
        acc["persons"] += row["persons"]
    return out


# -- the laws ---------------------------------------------------------------------------


@given(st.lists(st.tuples(gifts(), st.integers(min_value=0, max_value=3)), max_size=30))
def test_totals_over_any_partition_add_up_to_the_total(tagged: list[tuple[Gift, int]]) -> None:
    records = [g for g, _ in tagged]
    whole = by_currency(tabulate(records, measures=MEASURES))
    parts: dict[Any, dict[str, Any]] = {}
    for part in range(4):
        chosen = [g for g, p in tagged if p == part]
        for cur, acc in by_currency(tabulate(chosen, measures=MEASURES)).items():
            into = parts.setdefault(cur, {"raised": None, "gifts": 0, "persons": 0})
            if acc["raised"] is not None:
                r = into["raised"]
                into["raised"] = acc["raised"] if r is None else r + acc["raised"]
            into["gifts"] += acc["gifts"]
            into["persons"] += acc["persons"]
    assert parts == whole


@given(st.lists(gifts(), max_size=30), st.sampled_from(["year", "quarter", "month"]))
def test_grouping_by_period_then_summing_equals_the_ungrouped_total(
    records: list[Gift], granularity: str
) -> None:
    grouped = tabulate(records, by=period_key("received_on", granularity), measures=MEASURES)
    assert by_currency(grouped) == by_currency(tabulate(records, measures=MEASURES))


@given(st.lists(gifts(), max_size=30))
def test_grouping_by_year_then_summing_equals_the_ungrouped_total_in_one_currency(
    records: list[Gift],
) -> None:
    cny = [g for g in records if g.value is not None and g.value.currency == "CNY"]
    measures = {"raised": total("value", currency="CNY"), "gifts": count()}
    by_year = tabulate(cny, by=period_key("received_on"), measures=measures)
    (everything,) = tabulate(cny, measures=measures)
    assert sum(by_year.column("raised"), Money.zero()) == everything["raised"]
    assert sum(by_year.column("gifts")) == everything["gifts"] == len(cny)


@given(st.lists(gifts(), max_size=30))
def test_distinct_count_is_at_most_count(records: list[Gift]) -> None:
    table = tabulate(
        records,
        by=["channel", period_key("received_on")],
        measures={"gifts": count(), "donors": distinct("donor_id")},
    )
    for row in table:
        assert 0 <= row["donors"] <= row["gifts"]


@given(st.lists(gifts(), max_size=30), st.sampled_from(["year", "quarter", "month"]))
def test_engine_agrees_with_a_hand_written_loop(records: list[Gift], granularity: str) -> None:
    expected: dict[tuple[Any, ...], list[Any]] = {}
    for g in records:
        assert g.received_on is not None
        cur = None if g.value is None else g.value.currency
        key = (Period.containing(g.received_on, granularity), g.channel, cur)
        acc = expected.setdefault(key, [Decimal(0), 0, set()])
        if g.value is not None:
            acc[0] += g.value.amount
        acc[1] += 1
        if g.donor_id is not None:
            acc[2].add(g.donor_id)
    table = tabulate(
        records,
        by=[period_key("received_on", granularity), "channel"],
        measures={"raised": total("value"), "gifts": count(), "donors": distinct("donor_id")},
    )
    got = {
        (r[granularity], r["channel"], r["currency"]): (r["raised"], r["gifts"], r["donors"])
        for r in table
    }
    assert got == {
        k: (None if k[2] is None else Money(a[0], k[2]), a[1], len(a[2]))
        for k, a in expected.items()
    }
    assert list(got) == sorted(got, key=lambda k: tuple(sort_key(v) for v in k))


@given(st.lists(gifts(), max_size=20), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_the_order_of_records(records: list[Gift], rnd: Any) -> None:
    shuffled = list(records)
    rnd.shuffle(shuffled)
    by = [period_key("received_on", "quarter"), "channel", "area_id"]
    assert tabulate(records, by=by, measures=MEASURES) == tabulate(
        shuffled, by=by, measures=MEASURES
    )


# -- grouping ---------------------------------------------------------------------------


def test_a_total_in_one_currency_refuses_another() -> None:
    with pytest.raises(CurrencyMismatch, match=r"adds CNY amounts and met 7\.00 USD"):
        tabulate(GIFTS, measures={"raised": total("value", currency="CNY")})


def test_totals_without_a_currency_give_one_row_per_group_and_currency() -> None:
    table = tabulate(GIFTS, by=period_key("received_on"), measures={"raised": total("value")})
    assert table.column_names == ("year", "currency", "raised")
    assert [(str(r["year"]), r["currency"], r["raised"]) for r in table] == [
        ("2019", "CNY", Money("100.00")),
        ("2020", "CNY", Money("75.50")),
        ("2020", "USD", Money("7.00", "USD")),
    ]
    assert table.columns[2].currency is None
    assert table.key_columns == table.columns[:2]


def test_records_without_an_amount_go_to_the_rows_without_a_currency() -> None:
    records = [*GIFTS, Gift(id="x", donor_id=None, received_on=date(2020, 1, 1), value=None)]
    table = tabulate(records, measures={"raised": total("value"), "n": count()})
    assert [(r["currency"], r["raised"], r["n"]) for r in table] == [
        ("CNY", Money("175.50"), 3),
        ("USD", Money("7.00", "USD"), 1),
        (None, None, 1),
    ]


def test_totals_without_a_currency_must_read_one_field() -> None:
    with pytest.raises(ValueError, match="must all read one field"):
        tabulate(GIFTS, measures={"a": total("value"), "b": total("other")})
    # the same field twice is fine, with different filters
    table = tabulate(
        GIFTS,
        measures={
            "all": total("value"),
            "bank": total("value", where=lambda g: g.channel is Channel.BANK),
        },
    )
    assert table.row("CNY")["bank"] == Money("100.00")
    assert table.row("USD")["bank"] == Money.zero("USD")


def test_a_single_currency_total_of_nothing_is_zero() -> None:
    (row,) = tabulate([], measures={"raised": total("value", currency="USD"), "n": count()})
    assert row == {"raised": Money.zero("USD"), "n": 0}
    assert len(tabulate([], measures={"raised": total("value")})) == 0
    assert len(tabulate([], by="channel", measures={"n": count()})) == 0


def test_a_generator_is_read_once_and_records_are_not_kept() -> None:
    alive = 0
    most = 0

    class Tracked:
        def __init__(self, i: int) -> None:
            nonlocal alive, most
            self.value = Money(i)
            self.parity = i % 2
            alive += 1
            most = max(most, alive)

        def __del__(self) -> None:
            nonlocal alive
            alive -= 1

    def stream() -> Iterator[Tracked]:
        for i in range(2000):
            yield Tracked(i)

    gc.collect()
    table = tabulate(stream(), by="parity", measures={"sum": total("value", currency="CNY")})
    assert table.as_dict("sum") == {0: Money(999000), 1: Money(1000000)}
    assert most <= 3


def test_dotted_paths_read_nested_fields_and_none_on_the_way_is_none() -> None:
    records = [*GIFTS, Gift(id="x", donor_id=None, received_on=None, value=None)]
    table = tabulate(records, by="value.currency", measures={"n": count()})
    assert table.as_dict("n") == {"CNY": 3, "USD": 1, None: 1}
    assert table.column_names == ("value.currency", "n")


def test_a_missing_field_is_named() -> None:
    with pytest.raises(AttributeError, match="Gift records have no field 'colour'"):
        tabulate(GIFTS, by="colour", measures={"n": count()})
    with pytest.raises(AttributeError, match=r"'value' \(Money\) has no field 'colour'"):
        tabulate(GIFTS, by="value.colour", measures={"n": count()})
    with pytest.raises(ValueError, match="dotted path"):
        tabulate(GIFTS, by="value..currency", measures={"n": count()})


def test_keys_can_be_functions_named_by_their_name_or_a_mapping() -> None:
    def big(g: Gift) -> bool:
        return g.value is not None and g.value.amount >= 50

    assert tabulate(GIFTS, by=big, measures={"n": count()}).as_dict("n") == {False: 2, True: 2}
    table = tabulate(GIFTS, by={"donor": lambda g: g.donor_id}, measures={"n": count()})
    assert table.column_names == ("donor", "n")
    with pytest.raises(ValueError, match="name its column with a mapping"):
        tabulate(GIFTS, by=[lambda g: g.id], measures={"n": count()})


def test_several_keys_and_filters() -> None:
    table = tabulate(
        GIFTS,
        by=["channel", period_key("received_on")],
        measures={
            "n": count(),
            "cash box": count(where=lambda g: g.channel is Channel.CASH_BOX),
        },
        where=lambda g: g.received_on.year >= 2020,
    )
    assert [(r["channel"], str(r["year"]), r["n"], r["cash box"]) for r in table] == [
        (Channel.ONLINE, "2020", 2, 0),
        (Channel.CASH_BOX, "2020", 1, 1),
    ]


def test_groups_sort_in_time_with_none_last() -> None:
    records = [*GIFTS, Gift(id="x", donor_id=None, received_on=None, value=None)]
    table = tabulate(records, by=period_key("received_on", "month"), measures={"n": count()})
    assert [None if p is None else str(p) for p in table.column("month")] == [
        "2019-05",
        "2020-01",
        "2020-03",
        "2020-11",
        None,
    ]


def test_period_keys_by_quarter_and_of_dates_from_a_function() -> None:
    table = tabulate(
        GIFTS, by=period_key(lambda g: g.received_on, "quarter"), measures={"n": count()}
    )
    assert {str(p): n for p, n in table.as_dict("n").items()} == {
        "2019-Q2": 1,
        "2020-Q1": 2,
        "2020-Q4": 1,
    }
    assert table.columns[0].kind is ColumnKind.PERIOD
    with pytest.raises(TypeError, match="needs dates"):
        tabulate(GIFTS, by=period_key("id"), measures={"n": count()})
    with pytest.raises(TypeError, match="needs dates"):
        tabulate(GIFTS, by=period_key(lambda g: g.id), measures={"n": count()})


# -- areas ------------------------------------------------------------------------------

PARENTS: dict[str, str | None] = {
    "yunnan": None,
    "qujing": "yunnan",
    "huize": "qujing",
    "fuyuan": "qujing",
    "t1": "huize",
    "v1": "t1",
    "v2": "t1",
    "v3": "fuyuan",
}


def area_gifts() -> list[Gift]:
    return [
        gift(1, date(2020, 1, 1), "10.00", area_id="v1", donor_id="a"),
        gift(2, date(2020, 1, 1), "20.00", area_id="v2", donor_id="a"),
        gift(3, date(2020, 1, 1), "30.00", area_id="v3", donor_id="b"),
        gift(4, date(2020, 1, 1), "40.00", area_id="t1", donor_id="a"),
    ]


def test_a_record_counts_in_its_area_and_every_area_above() -> None:
    table = tabulate(
        area_gifts(),
        by=area_key("area_id", PARENTS),
        measures={
            "raised": total("value", currency="CNY"),
            "gifts": count(),
            "donors": distinct("donor_id"),
        },
    )
    got = {r["area"]: (r["raised"].amount, r["gifts"], r["donors"]) for r in table}
    assert got == {
        "fuyuan": (30, 1, 1),
        "huize": (70, 3, 1),
        "qujing": (100, 4, 2),
        "t1": (70, 3, 1),
        "v1": (10, 1, 1),
        "v2": (20, 1, 1),
        "v3": (30, 1, 1),
        "yunnan": (100, 4, 2),
    }


def test_areas_can_be_reported_at_chosen_levels_only() -> None:
    counties = tabulate(
        area_gifts(),
        by=area_key("area_id", PARENTS, only={"huize", "fuyuan"}),
        measures={"n": count()},
    )
    assert counties.as_dict("n") == {"fuyuan": 1, "huize": 3}
    own = tabulate(
        area_gifts(), by=area_key("area_id", PARENTS, rollup=False), measures={"n": count()}
    )
    assert own.as_dict("n") == {"t1": 1, "v1": 1, "v2": 1, "v3": 1}
    by_func = tabulate(
        area_gifts(),
        by=area_key("area_id", PARENTS.get, only=lambda a: a == "qujing"),
        measures={"n": count()},
    )
    assert by_func.as_dict("n") == {"qujing": 4}


def test_an_unknown_area_is_a_top_area_and_a_cycle_is_refused() -> None:
    records = [
        gift(1, date(2020, 1, 1), "1.00", area_id="elsewhere"),
        gift(2, date(2020, 1, 1), "1.00"),
    ]
    table = tabulate(records, by=area_key("area_id", PARENTS), measures={"n": count()})
    assert table.as_dict("n") == {"elsewhere": 1, None: 1}
    with pytest.raises(ValueError, match="cycle: v1 -> t1 -> v1"):
        tabulate(
            area_gifts(), by=area_key("area_id", {"v1": "t1", "t1": "v1"}), measures={"n": count()}
        )
    deep = {f"a{i}": f"a{i + 1}" for i in range(100)}
    with pytest.raises(ValueError, match="deeper than 64"):
        tabulate(
            [gift(1, date(2020, 1, 1), "1.00", area_id="a0")],
            by=area_key("area_id", deep),
            measures={"n": count()},
        )


def test_parent_map_reads_area_records() -> None:
    @attrs.frozen
    class Area:
        id: str
        parent_id: str | None

    assert parent_map([Area("p", None), Area("c", "p")]) == {"p": None, "c": "p"}


def test_lookup_key_groups_by_a_field_of_the_referenced_record() -> None:
    donors = {"d0": Donor(id="d0", kind="company"), "d1": Donor(id="d1", kind="person")}
    donors["d2"] = Donor(id="d2", kind="person")
    records = [*GIFTS, gift(9, date(2020, 1, 1), "1.00", donor_id="unknown")]
    table = tabulate(
        records,
        by=lookup_key("donor_id", donors, "kind", name="donor kind"),
        measures={"gifts": count(), "donors": distinct("donor_id")},
    )
    assert table.as_dict("gifts") == {"company": 1, "person": 3, None: 1}
    assert table.as_dict("donors") == {"company": 1, "person": 2, None: 1}


# -- sums ---------------------------------------------------------------------------------


def test_sums_stay_ints_or_become_exact_decimals() -> None:
    ints = [gift(i, date(2020, 1, 1), "1.00", persons=i) for i in range(4)]
    assert tabulate(ints, measures={"p": sum_of("persons")}).column("p") == (6,)
    assert tabulate(ints, measures={"p": sum_of("persons")}).columns[0].kind is ColumnKind.INTEGER
    mixed = [*ints, gift(9, date(2020, 1, 1), "1.00", persons=Decimal("0.5"))]
    assert tabulate(mixed, measures={"p": sum_of("persons")}).column("p") == (Decimal("6.5"),)
    big = [
        gift(1, date(2020, 1, 1), "1.00", persons=Decimal("1E+20")),
        gift(2, date(2020, 1, 1), "1.00", persons=Decimal("0.0000000001")),
    ]
    with decimal.localcontext() as ctx:
        ctx.prec = 5
        (p,) = tabulate(big, measures={"p": sum_of("persons")}).column("p")
    assert p == Decimal("100000000000000000000.0000000001")


def test_sums_refuse_floats_bools_and_money() -> None:
    for bad, message in [(1.5, "float"), (True, "bool"), (Money(1), "use total"), ("1", "str")]:
        records = [attrs.evolve(GIFTS[0], persons=bad)]  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=message):
            tabulate(records, measures={"p": sum_of("persons")})


def test_totals_refuse_what_is_not_money_and_too_large_a_total() -> None:
    records = [attrs.evolve(GIFTS[0], value=Decimal(1))]  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must read Money values"):
        tabulate(records, measures={"r": total("value", currency="CNY")})
    with pytest.raises(TypeError, match="must read Money values"):
        tabulate(records, measures={"r": total("value")})
    huge = [attrs.evolve(GIFTS[0], value=Money(10**17 * 6)) for _ in range(2)]
    with pytest.raises(ValueError, match="measure 'r'"):
        tabulate(huge, measures={"r": total("value")})


def test_queries_that_make_no_sense_are_refused_before_reading() -> None:
    read: list[bool] = []

    def never() -> Iterator[Gift]:
        read.append(True)
        yield from GIFTS

    with pytest.raises(ValueError, match="unique"):
        tabulate(never(), by="channel", measures={"channel": count()})
    with pytest.raises(ValueError, match="unique"):
        tabulate(never(), by={"currency": "id"}, measures={"r": total("value")})
    with pytest.raises(TypeError, match="built with total"):
        tabulate(never(), measures={"n": len})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="must map column names"):
        tabulate(never(), measures=[count()])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="known ISO 4217"):
        total("value", currency="XXX")
    with pytest.raises(TypeError, match="'by' must be"):
        tabulate(never(), by=3, measures={"n": count()})
    with pytest.raises(TypeError, match="'where' must be"):
        count(where="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'records' must be"):
        tabulate({"a": 1}, measures={"n": count()})
    assert not read


def test_measures_show_how_they_were_built() -> None:
    assert repr(total("value", currency="CNY")) == "total('value', currency='CNY')"
    assert repr(count()) == "count()"
    assert repr(distinct("donor_id")) == "distinct('donor_id')"

    def cash(g: Gift) -> bool:
        return True

    assert repr(sum_of("persons", where=cash)).startswith("sum_of('persons', where=")


def test_ratios_and_the_order_of_rows_are_importable_from_here_too() -> None:
    from humanaid import aggregate, ordering, ratios

    assert aggregate.shares is ratios.shares
    assert aggregate.growth is ratios.growth
    assert aggregate.SHARE_PLACES == ratios.SHARE_PLACES
    assert aggregate.sort_key is ordering.sort_key


def test_tables_of_counts_by_key_match_a_counter() -> None:
    records = [
        gift(i, date(2020, 1 + i % 12, 1), "1.00", channel=list(Channel)[i % 3]) for i in range(100)
    ]
    table = tabulate(records, by="channel", measures={"n": count()})
    assert table.as_dict("n") == dict(Counter(g.channel for g in records))
    sums: defaultdict[Any, Money] = defaultdict(Money.zero)
    for g in records:
        assert g.value is not None
        sums[g.channel] += g.value
    assert tabulate(records, by="channel", measures={"r": total("value", currency="CNY")}).as_dict(
        "r"
    ) == dict(sums)


# -- streaming from JSON Lines ----------------------------------------------------------


@attrs.frozen(kw_only=True)
class Line:
    donor_id: str
    received_on: date
    value: Money


def test_a_json_lines_file_is_aggregated_as_it_is_read(tmp_path: Path) -> None:
    records = [
        Line(donor_id=f"d{i % 7}", received_on=date(2019 + i % 3, 1 + i % 12, 1), value=Money(i))
        for i in range(200)
    ]
    path = tmp_path / "gifts.jsonl"
    path.write_text("".join(to_json(r) + "\n" for r in records), encoding="utf-8")
    measures = {"raised": total("value"), "gifts": count(), "donors": distinct("donor_id")}
    by = period_key("received_on", "quarter")
    streamed = tabulate(iter_json_lines(path, Line), by=by, measures=measures)
    assert streamed == tabulate(records, by=by, measures=measures)


def test_json_lines_come_from_paths_files_or_lines(tmp_path: Path) -> None:
    one = Line(donor_id="a", received_on=date(2020, 1, 1), value=Money("1.50"))
    text = to_json(one) + "\n\n  \n" + to_json(one) + "\n"
    path = tmp_path / "x.jsonl"
    path.write_text(text, encoding="utf-8")
    assert list(iter_json_lines(path, Line)) == [one, one]
    assert list(iter_json_lines(str(path), Line)) == [one, one]
    with path.open("rb") as f:
        assert list(iter_json_lines(f, Line)) == [one, one]
    with path.open(encoding="utf-8") as f:
        assert list(iter_json_lines(f, Line)) == [one, one]
    assert list(iter_json_lines(text.splitlines(), Line)) == [one, one]
    with pytest.raises(TypeError, match="'source' must be"):
        list(iter_json_lines(3, Line))  # type: ignore[arg-type]


def test_a_bad_json_line_is_reported_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    money = '"value": {"amount": "1", "currency": "CNY"}'
    path.write_text(
        f'{{"donor_id": "a", "received_on": "2020-01-01", {money}}}\n'
        "\n"
        f'{{"donor_id": "a", "received_on": "2023-02-29", {money}}}\n'
        "not json\n",
        encoding="utf-8",
    )
    lines = iter_json_lines(path, Line)
    assert next(lines).donor_id == "a"
    with pytest.raises(InvalidInput) as err:
        next(lines)
    assert str(err.value).startswith(f"1 problem in line 3 of {path}:")
    assert [(p.location, p.code) for p in err.value.problems] == [("$.received_on", "invalid-date")]
    with pytest.raises(InvalidInput, match="line 1 of the input") as err2:
        list(iter_json_lines(["not json"], Line))
    assert err2.value.problems[0].code == "invalid-json"


# -- the generated loop's fast paths (issue 9): each gives what the plain path gives ------------

DONOR_KINDS = {"d1": Donor(id="d1", kind="person"), "d2": Donor(id="d2", kind="company")}
DONOR_KINDS["d3"] = Donor(id="d3", kind="person")  # d4 is unknown: the None group


def _kind_of(record: Gift) -> str | None:
    donor = DONOR_KINDS.get(record.donor_id) if record.donor_id is not None else None
    return None if donor is None else donor.kind


@given(st.lists(gifts(), max_size=30), st.booleans())
def test_inlined_lookup_gives_the_same_table_as_a_callable_key(
    records: list[Gift], with_channel: bool
) -> None:
    looked = lookup_key("donor_id", DONOR_KINDS, "kind")
    by: dict[str, Any] = {"kind": looked}
    by_function: dict[str, Any] = {"kind": _kind_of}
    if with_channel:
        by["channel"] = by_function["channel"] = "channel"
    assert tabulate(records, by=by, measures=MEASURES) == tabulate(
        records, by=by_function, measures=MEASURES
    )


@given(
    st.lists(gifts(), max_size=30),
    st.sets(st.sampled_from(Channel)),
    dates(min_value=date(2018, 1, 1), max_value=date(2021, 12, 31)),
    st.integers(min_value=0, max_value=800),
)
def test_conditions_give_the_same_table_as_the_same_test_written_as_a_function(
    records: list[Gift], channels: set[Channel], start: date, days: int
) -> None:
    end = date.fromordinal(min(start.toordinal() + days, date(2021, 12, 31).toordinal()))
    picked = field_is("channel", *channels) if channels else field_is("channel", None)
    inside = field_between("received_on", start, end)

    def picked_fn(r: Gift) -> bool:
        return r.channel in channels if channels else r.channel is None

    def inside_fn(r: Gift) -> bool:
        return r.received_on is not None and start <= r.received_on <= end

    for r in records:
        assert picked(r) is picked_fn(r)
        assert inside(r) is inside_fn(r)

    def measures(where: Any) -> dict[str, Measure]:
        return {
            "all": total("value"),
            "picked": total("value", where=where),
            "gifts": count(where=where),
            "donors": distinct("donor_id", where=where),
            "persons": sum_of("persons", where=where),
        }

    inline = tabulate(records, by="area_id", measures=measures(picked), where=inside)
    called = tabulate(records, by="area_id", measures=measures(picked_fn), where=inside_fn)
    assert inline == called


@given(st.lists(st.tuples(gifts(currencies=("CNY",)), st.booleans()), max_size=30))
def test_totals_restricted_by_complementary_conditions_add_up_to_the_total(
    tagged: list[tuple[Gift, bool]],
) -> None:
    records = [g for g, _ in tagged]
    shown = {g.channel for g, keep in tagged if keep}
    rest = set(Channel) - shown
    table = tabulate(
        records,
        measures={
            "all": total("value", currency="CNY"),
            "shown": total("value", currency="CNY", where=field_is("channel", None, *shown)),
            "rest": total("value", currency="CNY", where=field_is("channel", None, *rest)),
            "n": count(),
            "n shown": count(where=field_is("channel", None, *shown)),
            "n rest": count(where=field_is("channel", None, *rest)),
        },
    )
    (row,) = table
    assert row["shown"] + row["rest"] == row["all"]
    assert row["n shown"] + row["n rest"] == row["n"] == len(records)


@given(st.lists(gifts(), max_size=30), st.sampled_from(["year", "quarter", "month"]))
def test_a_list_a_tuple_and_a_generator_give_the_same_table(
    records: list[Gift], granularity: str
) -> None:
    # A list or tuple takes the loop that adds with += in a local context; a generator
    # the loop that adds through the context's method; both must agree exactly.
    query: dict[str, Any] = {
        "by": [period_key("received_on", granularity), lookup_key("donor_id", DONOR_KINDS, "kind")],
        "measures": {**MEASURES, "cash": total("value", where=field_is("channel", Channel.BANK))},
    }
    as_list = tabulate(records, **query)
    assert tabulate(tuple(records), **query) == as_list
    assert tabulate((r for r in records), **query) == as_list


def test_the_fast_loop_leaves_the_callers_decimal_context_alone() -> None:
    records = [gift(i, date(2020, 1, 1), "123456789.12") for i in range(40)]
    with decimal.localcontext() as ctx:
        ctx.prec = 5  # would round every sum if the engine used it
        before = decimal.getcontext()
        table = tabulate(records, measures={"raised": total("value", currency="CNY")})
        assert decimal.getcontext() is before
        assert decimal.getcontext().prec == 5
        assert table.rows[0][0] == Money("4938271564.80")
        bad = [*records, gift(99, date(2020, 1, 1), "1.00", "USD")]
        with pytest.raises(CurrencyMismatch):
            tabulate(bad, measures={"raised": total("value", currency="CNY")})
        assert decimal.getcontext() is before
        assert decimal.getcontext().prec == 5


def test_each_field_is_read_once_a_record_however_many_read_it() -> None:
    reads = Counter[str]()

    class Counted:
        def __init__(self, i: int) -> None:
            self._value = Money(i)
            self._kind = "odd" if i % 2 else "even"

        @property
        def value(self) -> Money:
            reads["value"] += 1
            return self._value

        @property
        def kind(self) -> str:
            reads["kind"] += 1
            return self._kind

    records = [Counted(i) for i in range(10)]
    table = tabulate(
        records,
        by="kind",
        measures={
            "raised": total("value", currency="CNY"),
            "again": total("value", currency="CNY"),
            "kinds": distinct("kind"),
            "values": distinct("value"),
        },
    )
    assert table.as_dict("raised") == {"even": Money(20), "odd": Money(25)}
    assert reads == {"value": 10, "kind": 10}


def test_paths_that_cannot_be_written_in_the_source_are_read_all_the_same() -> None:
    # a keyword and a non-ASCII name are read through attrgetter, not written inline
    from types import SimpleNamespace

    records = [SimpleNamespace(**{"class": c, "金额": Money(v)}) for c, v in [("a", 1), ("b", 2)]]
    records.append(SimpleNamespace(**{"class": "a", "金额": Money(3)}))
    table = tabulate(records, by={"class": "class"}, measures={"sum": total("金额")})
    assert table.as_dict("sum") == {("a", "CNY"): Money(4), ("b", "CNY"): Money(2)}
    only_a = tabulate(records, measures={"n": count()}, where=field_is("class", "a"))
    assert only_a.rows == ((2,),)


def test_a_lookup_key_reads_each_id_once_and_names_a_missing_field() -> None:
    looked_up = Counter[Any]()

    class CountingIndex(dict[str, Donor]):
        def get(self, key: Any, default: Any = None) -> Any:
            looked_up[key] += 1
            return super().get(key, default)

    index = CountingIndex(DONOR_KINDS)
    records = [gift(i, date(2020, 1, 1), "1.00", donor_id=f"d{i % 5}") for i in range(50)]
    records += [gift(99, date(2020, 1, 1), "1.00", donor_id=None)]
    table = tabulate(records, by=lookup_key("donor_id", index, "kind"), measures={"n": count()})
    assert table.as_dict("n") == {"company": 10, "person": 20, None: 21}
    assert looked_up == {"d0": 1, "d1": 1, "d2": 1, "d3": 1, "d4": 1}  # None is not looked up
    with pytest.raises(AttributeError, match="no field 'colour'"):
        tabulate(records, by=lookup_key("donor_id", index, "colour"), measures={"n": count()})


def test_conditions_check_their_arguments_and_show_how_they_were_built() -> None:
    assert repr(field_is("channel", Channel.BANK, None)) == (
        "field_is('channel', <Channel.BANK: 'bank'>, None)"
    )
    assert repr(field_between("persons", 1, 5)) == "field_between('persons', 1, 5)"
    assert repr(count(where=field_is("area_id", "v1"))) == "count(where=field_is('area_id', 'v1'))"
    with pytest.raises(ValueError, match="'high' must not be below 'low'"):
        field_between("received_on", date(2020, 2, 1), date(2020, 1, 1))
    with pytest.raises(TypeError, match="not None"):
        field_between("received_on", None, date(2020, 1, 1))
    with pytest.raises(ValueError, match="dotted path"):
        field_is("no such path", 1)
    with pytest.raises(ValueError, match="dotted path"):
        FieldCondition(path="x; import os", values=(1,))
    with pytest.raises(ValueError, match="both 'low' and 'high'"):
        FieldCondition(path="persons", low=1)
    with pytest.raises(TypeError, match="must be a tuple"):
        FieldCondition(path="persons", values=[1])  # type: ignore[arg-type]
    # a None on the way reads as None; a missing field is named
    assert field_is("value.currency", None)(gift(1, date(2020, 1, 1), "1.00")) is False
    assert field_between("persons", 0, 9)(gift(1, date(2020, 1, 1), "1.00")) is False
    with pytest.raises(AttributeError, match="no field 'colour'"):
        tabulate(GIFTS, measures={"n": count()}, where=field_is("colour", "red"))


def test_the_engine_benchmark_runs_at_a_small_n() -> None:
    # benchmarks/engine.py checks the engine against run.py's hand loop group by group; run
    # it small so that it cannot rot (no figure is checked: that would measure the machine).
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "benchmarks" / "engine.py"
    out = subprocess.run(
        [sys.executable, str(script), "--n", "400", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    assert "N = 400 donations" in out
    assert "hand loop" in out
    assert "ratio" in out


def test_money_of_a_subclass_is_added_and_other_values_refused_on_both_loops() -> None:
    class Yuan(Money):
        __slots__ = ()

    records = [gift(1, date(2020, 1, 1), "1.00"), gift(2, date(2020, 1, 1), "2.00")]
    records.append(attrs.evolve(records[0], value=Yuan("4.00")))
    for source in (records, iter(records)):
        table = tabulate(source, measures={"raised": total("value", currency="CNY")})
        assert table.rows == ((Money("7.00"),),)
    bad = [*records, attrs.evolve(records[0], value=Decimal("1"))]  # type: ignore[arg-type]
    for source in (bad, iter(bad)):
        with pytest.raises(TypeError, match="must read Money values"):
            tabulate(source, measures={"raised": total("value", currency="CNY")})
