from __future__ import annotations

import ast
import importlib
import json
import math
import sys
from decimal import ROUND_CEILING, Decimal, localcontext

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import humanaid.reconciliation
import humanaid.reported_figures
from builders import figure, figures_dataset
from humanaid import (
    Dataset,
    InvalidInput,
    Money,
    ReportedFigure,
    from_json,
    parse_figure,
    to_json,
)
from humanaid.rules.reported import REPORTED_RULES, parts_within_total
from humanaid.testing import reported_figures, stated_figures

dataset = figures_dataset


# -- parsing the printed forms -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("stated", "value", "step", "unit"),
    [
        ("4189万元", "41890000", "10000", "元"),
        ("2308万元", "23080000", "10000", "元"),
        ("28.42万人次", "284200", "100", "人次"),
        ("2391.70万余元", "23917000", "100", "元"),
        ("2.6亿元", "260000000", "10000000", "元"),
        ("989.32万元", "9893200", "100", "元"),
        ("1330例", "1330", "1", "例"),
        ("29.33万笔(次)", "293300", "100", "笔(次)"),
        ("1,479起", "1479", "1", "起"),
        ("1,234,567.50元", "1234567.50", "0.01", "元"),
        ("４１８９万元", "41890000", "10000", "元"),  # full-width digits
        ("１，３３０例", "1330", "1", "例"),  # full-width comma
        ("２３９１．７０万余元", "23917000", "100", "元"),  # full-width full stop
        ("  6309户 ", "6309", "1", "户"),
        ("46个", "46", "1", "个"),
        ("100万人民币元", "1000000", "10000", "人民币元"),
        ("400多人", "400", "100", "人"),  # 四百多人: 400 to 499
        ("1330余例", "1330", "10", "例"),
        ("1,000余人", "1000", "1000", "人"),
        ("1333多人", "1333", "1", "人"),
        ("10万余元", "100000", "10000", "元"),  # 万余: the remainder is under a 万
        ("0人", "0", "1", "人"),
    ],
)
def test_parse_figure_reads_the_printed_forms(
    stated: str, value: str, step: str, unit: str
) -> None:
    number, got_step, got_unit = parse_figure(stated)
    assert (number, got_step, got_unit) == (Decimal(value), Decimal(step), unit)


@pytest.mark.parametrize(
    "stated",
    [
        "很多",
        "",
        "   ",
        "4189",  # no unit
        "4189万",  # no unit after 万
        "-5元",
        "1,2345元",  # a comma out of place
        "1,234,56元",
        "12.5.3元",
        "4189万万元",
        "10余万元",  # 余 before 万 is not read
        "4189 万元",
        "0.001元",  # finer than a fen
        "0.0000001万元",
        "1" * 19 + "元",  # 10**18 and more
        "1" * 11 + "亿元",
        "1.123456789人",  # more than 8 places
    ],
)
def test_a_figure_not_as_printed_is_refused_naming_stated(stated: str) -> None:
    with pytest.raises(ValueError, match="'stated'"):
        figure(stated)


def test_stated_must_be_text() -> None:
    with pytest.raises(TypeError, match="'stated'"):
        figure(4189)  # type: ignore[arg-type]


def test_a_money_figure_knows_its_currency_and_a_count_has_none() -> None:
    money, count = figure("4189万元"), figure("28.42万人次")
    assert (money.is_money, money.currency, money.unit) == (True, "CNY", "元")
    assert (count.is_money, count.currency, count.unit) == (False, None, "人次")
    assert figure("100万人民币元").currency == "CNY"
    assert money.value == Money("41890000")
    assert count.value == Decimal("284200")


def test_a_rounded_figure_is_half_a_step_either_side() -> None:
    f = figure("28.42万人次")
    assert (f.lower, f.upper, f.step) == (Decimal(284150), Decimal(284250), Decimal(100))
    assert not f.at_least


def test_an_at_least_figure_runs_from_its_value_to_one_step_more() -> None:
    f = figure("2391.70万余元")
    assert (f.lower, f.upper) == (Decimal(23917000), Decimal(23917100))
    assert f.at_least
    assert figure("400多人").lower == 400
    assert figure("400多人").upper == 500


def test_a_figure_is_never_below_zero() -> None:
    assert figure("0人").lower == 0
    assert not figure("0元").admits(Money("-0.30"))


def test_the_value_does_not_depend_on_the_ambient_decimal_context() -> None:
    f = figure("2.6亿元")
    with localcontext() as ctx:
        ctx.prec = 3
        assert f.value == Money("260000000")
        assert (f.lower, f.upper) == (Decimal(255000000), Decimal(265000000))


# -- admits and format_like ------------------------------------------------------------------


def test_admits_the_range_and_nothing_outside_it() -> None:
    f = figure("4189万元")
    assert f.admits(Money("41885000"))
    assert f.admits(Money("41894999.99"))
    assert not f.admits(Money("41884999.99"))
    assert not f.admits(Money("41895000"))  # rounds half up to 4190万
    at_least = figure("2391.70万余元")
    assert at_least.admits(Money("23917000"))
    assert at_least.admits(Money("23917099.99"))
    assert not at_least.admits(Money("23917100"))
    assert not at_least.admits(Money("23916999.99"))


def test_admits_refuses_the_wrong_kind_of_figure() -> None:
    assert not figure("4189万元").admits(41890000)  # money needs Money
    assert not figure("4189万元").admits(Money("41890000", "USD"))
    assert not figure("6309户").admits(Money("6309"))
    with pytest.raises(TypeError, match="'computed' must be Money, an int or a Decimal"):
        figure("1户").admits(True)
    with pytest.raises(TypeError, match=r"got float 6309\.0"):
        figure("6309户").admits(6309.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'computed' must be a finite figure"):
        figure("6309户").admits(Decimal("NaN"))
    with pytest.raises(ValueError, match="below 10\\*\\*18"):
        figure("6309户").admits(Decimal("1E+100"))
    assert figure("6309户").admits(6309)
    assert figure("6309户").admits(Decimal("6309.4"))


def test_format_like_prints_as_the_report_does() -> None:
    assert figure("4189万元").format_like(Money("48673100")) == "4867万元"
    assert figure("4189万元").format_like(Money("48675000")) == "4868万元"  # half up
    assert figure("28.42万人次").format_like(284249) == "28.42万人次"
    assert figure("2391.70万余元").format_like(Money("23917012.50")) == "2391.70万余元"
    assert figure("2391.70万余元").format_like(Money("23917000")) == "2391.70万元"
    assert figure("2391.70万余元").format_like(Money("23917099.99")) == "2391.70万余元"
    assert figure("400多人").format_like(456) == "400多人"
    assert figure("400余人").format_like(456) == "400余人"
    assert figure("2.6亿元").format_like(Money("263000000")) == "2.6亿元"
    assert figure("1,330例").format_like(1330) == "1330例"


def test_format_like_of_the_wrong_kind_shows_it_as_it_is() -> None:
    assert figure("4189万元").format_like(41890000) == "41890000"
    assert figure("6309户").format_like(Money("1")) == "1.00 CNY"


# -- serialisation ---------------------------------------------------------------------------


def test_a_reported_figure_round_trips_through_json() -> None:
    f = figure("2391.70万余元", id="paid", part_of="put-in", source="红十字论坛")
    assert from_json(to_json(f), ReportedFigure) == f


def test_from_json_of_a_bad_figure_names_its_path() -> None:
    good = json.loads(to_json(figure("4189万元", id="put-in")))
    text = json.dumps({"reported_figures": [good, dict(good, id="bad", stated="1,2345元")]})
    with pytest.raises(InvalidInput) as err:
        from_json(text, Dataset)
    assert [(p.location, p.code) for p in err.value.problems] == [
        ("$.reported_figures[1].stated", "invalid")
    ]
    assert "1,2345元" in str(err.value)


def test_from_json_collects_every_bad_field_of_a_figure() -> None:
    bad = json.loads(to_json(figure("4189万元")))
    bad.update(stated="很多", subject="", period={"start": "2020-02-30", "end": "2020-12-31"})
    with pytest.raises(InvalidInput) as err:
        from_json(json.dumps(bad), ReportedFigure)
    locations = {p.location for p in err.value.problems}
    assert {"$.stated", "$.subject"} <= locations
    assert any(loc.startswith("$.period") for loc in locations)


# -- properties ------------------------------------------------------------------------------


@st.composite
def figures_and_admitted_values(draw: st.DrawFn) -> tuple[ReportedFigure, Money | Decimal]:
    """A figure and a value it admits, at a resolution finer than its step."""
    f = draw(reported_figures())
    quantum = f.step / 100
    if f.is_money:
        quantum = max(quantum, Decimal("0.01"))
    low = math.ceil(f.lower / quantum)
    high = math.ceil(f.upper / quantum) - 1  # the upper bound is not in the range
    n = draw(st.integers(low, high))
    amount = (n * quantum).normalize()
    if f.is_money:
        return f, Money(amount.quantize(Decimal("0.01")), "CNY")
    return f, amount


@given(reported_figures())
def test_a_figure_admits_its_own_value(f: ReportedFigure) -> None:
    assert f.admits(f.value)


@given(reported_figures())
def test_lower_is_at_most_value_is_at_most_upper(f: ReportedFigure) -> None:
    number = parse_figure(f.stated)[0]
    assert 0 <= f.lower <= number < f.upper
    if f.at_least or number >= f.step / 2:
        assert f.upper - f.lower == f.step
    else:  # near zero the range is cut at zero
        assert f.lower == 0
        assert f.upper == number + f.step / 2


@given(figures_and_admitted_values())
def test_format_like_round_trips_through_parse_for_values_in_range(
    pair: tuple[ReportedFigure, Money | Decimal],
) -> None:
    f, value = pair
    assert f.admits(value)
    printed = f.format_like(value)
    again = figure(printed)
    assert again.admits(value)
    assert again.unit == f.unit
    assert again.step <= f.step


@given(reported_figures(), st.integers(0, 10**15))
def test_format_like_always_prints_a_figure_that_admits_the_value(
    f: ReportedFigure, units: int
) -> None:
    value: Money | int = Money.from_minor_units(units, "CNY") if f.is_money else units
    assert figure(f.format_like(value)).admits(value)


@given(reported_figures())
def test_a_plain_figure_formats_its_own_value_as_printed(f: ReportedFigure) -> None:
    assume(not f.at_least and "," not in f.stated and "，" not in f.stated)
    assert f.format_like(f.value) == f.stated


@given(reported_figures(), st.integers(1, 10**6))
def test_a_figure_admits_nothing_beyond_its_range(f: ReportedFigure, k: int) -> None:
    quantum = Decimal("0.01") if f.is_money else Decimal("0.0001")
    first_above = math.ceil(f.upper / quantum)
    last_below = math.ceil(f.lower / quantum) - 1
    for n in (first_above + k - 1, last_below - k + 1):
        amount = n * quantum
        assert not f.admits(Money(amount, "CNY") if f.is_money else amount)


@given(st.lists(stated_figures(units=["人"], at_least=False), min_size=1, max_size=5))
def test_parts_whose_upper_bounds_add_to_at_most_the_total_are_never_reported(
    parts: list[str],
) -> None:
    members = [figure(s, id=f"p{i}", part_of="t") for i, s in enumerate(parts)]
    most = sum((m.upper for m in members), Decimal(0))
    total = figure(f"{most.quantize(Decimal(1), rounding=ROUND_CEILING):f}人", id="t")
    assert sum((m.upper for m in members), Decimal(0)) <= total.upper
    assert list(parts_within_total(dataset(total, *members))) == []


@given(
    st.lists(st.integers(0, 10**7), min_size=1, max_size=6),
    st.sampled_from(["4189万人", "28.42万人", "6309人", "2.6亿人", "400多人", "2391.70万余人"]),
)
def test_rounded_figures_of_true_parts_and_their_total_are_never_reported(
    amounts: list[int], template: str
) -> None:
    pattern = figure(template)
    total = figure(pattern.format_like(sum(amounts)), id="t")
    parts = [figure(pattern.format_like(a), id=f"p{i}", part_of="t") for i, a in enumerate(amounts)]
    assert [f for rule in REPORTED_RULES for f in rule(dataset(total, *parts))] == []


@given(st.lists(stated_figures(units=["户"]), min_size=1, max_size=4), stated_figures(units=["户"]))
def test_parts_exceed_total_exactly_when_their_least_sum_reaches_its_bound(
    parts: list[str], stated: str
) -> None:
    total = figure(stated, id="t")
    members = [figure(s, id=f"p{i}", part_of="t") for i, s in enumerate(parts)]
    found = list(parts_within_total(dataset(total, *members)))
    least = sum((m.lower for m in members), Decimal(0))
    assert bool(found) == (least >= total.upper)
    for f in found:
        assert (f.subject, f.figures["parts_at_least"]) == ("t", least)


@pytest.mark.parametrize(
    "text", ["4189万元,", "4189万元。", "1e5元", "5元人民币", "100万日元", "1330 例", "E5元"]
)
def test_units_with_punctuation_latin_letters_or_unknown_money_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="'stated'"):
        figure(text)


def test_money_in_other_currencies_is_money() -> None:
    assert (figure("100万美元").currency, figure("100万美元").value) == (
        "USD",
        Money("1000000", "USD"),
    )
    assert figure("5万人民币").currency == "CNY"
    assert figure("29.33万笔(次)").unit == "笔(次)"


def test_a_number_in_chinese_numerals_is_read_and_printed_back_so() -> None:
    rounds, batches = figure("十轮"), figure("四批")
    assert (rounds.value, rounds.unit, rounds.step) == (Decimal(10), "轮", Decimal(1))
    assert batches.admits(4)
    assert not batches.admits(5)
    assert rounds.format_like(10) == "十轮"
    assert rounds.format_like(12) == "十二轮"
    assert figure("一百零五人").value == 105
    assert figure("两千户").format_like(2020) == "二千零二十户"


# -- where the record lives --------------------------------------------------------------------

# The layers above the domain: a record the dataset holds may import none of them, not
# lazily inside a function and not for type checking either.
ABOVE_THE_DOMAIN = (
    "humanaid.dataset",
    "humanaid.rules",
    "humanaid.aggregate",
    "humanaid.reach",
    "humanaid.summaries",
    "humanaid.table",
    "humanaid.report",
    "humanaid.reported",
    "humanaid.reconciliation",
    "humanaid.serialize",
    "humanaid.io",
    "humanaid.interop",
    "humanaid.testing",
)


def test_the_record_module_imports_nothing_above_the_domain() -> None:
    path = humanaid.reported_figures.__file__
    assert path is not None
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            imported.add(node.module)
    assert "humanaid" not in imported  # the package face, which imports everything
    above = sorted(
        m for m in imported for top in ABOVE_THE_DOMAIN if m == top or m.startswith(top + ".")
    )
    assert not above, f"humanaid.reported_figures imports {above}"


def test_the_old_path_humanaid_reported_still_works_and_warns() -> None:
    # Deprecated in this release, gone in the next: a fresh import warns and gives the
    # objects of the two modules it became.
    sys.modules.pop("humanaid.reported", None)
    try:
        with pytest.deprecated_call(match=r"humanaid\.reported is now humanaid\.reported_figures"):
            old = importlib.import_module("humanaid.reported")
        assert old.ReportedFigure is ReportedFigure
        assert old.parse_figure is parse_figure
        assert old.reconcile is humanaid.reconciliation.reconcile
        assert old.Reconciliation is humanaid.reconciliation.Reconciliation
        assert old.ReconciledFigure is humanaid.reconciliation.ReconciledFigure
        # private names too, for one release, from whichever module holds them now
        assert old._parse is humanaid.reported_figures._parse
        assert old._explains is humanaid.reconciliation._explains
        with pytest.raises(AttributeError, match="no attribute 'nothing'"):
            _ = old.nothing
    finally:
        sys.modules.pop("humanaid.reported", None)
