from __future__ import annotations

import calendar
import itertools
import re
from datetime import date, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import periods
from humanaid.periods import Frequency, Granularity, Period, due_dates

# -- local strategies (to move into humanaid.testing later) ----------------------------

MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2100, 12, 31)


def dates() -> st.SearchStrategy[date]:
    return st.dates(min_value=MIN_DATE, max_value=MAX_DATE)


def years() -> st.SearchStrategy[int]:
    return st.integers(min_value=MIN_DATE.year, max_value=MAX_DATE.year)


@st.composite
def _ranges(draw: st.DrawFn) -> Period:
    a = draw(dates())
    b = draw(dates())
    return Period(min(a, b), max(a, b))


def periods_() -> st.SearchStrategy[Period]:
    """Any period: arbitrary ranges, calendar years, quarters, months and single days."""
    return st.one_of(
        _ranges(),
        st.builds(Period.year, years()),
        st.builds(Period.quarter, years(), st.integers(1, 4)),
        st.builds(Period.month, years(), st.integers(1, 12)),
        st.builds(Period.day, dates()),
    )


def granularities() -> st.SearchStrategy[Granularity]:
    return st.sampled_from(Granularity)


def frequencies() -> st.SearchStrategy[Frequency]:
    return st.sampled_from(Frequency)


def last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


# -- module surface --------------------------------------------------------------------


def test_all_lists_the_public_names() -> None:
    assert sorted(periods.__all__) == ["Frequency", "Granularity", "Period", "due_dates"]
    for name in periods.__all__:
        assert getattr(periods, name).__doc__


# -- construction and validation -------------------------------------------------------


def test_period_positional_and_keyword_construction() -> None:
    p = Period(date(2020, 1, 1), date(2020, 12, 31))
    assert p == Period(start=date(2020, 1, 1), end=date(2020, 12, 31))
    assert p.start == date(2020, 1, 1)
    assert p.end == date(2020, 12, 31)


def test_period_single_day_is_allowed() -> None:
    p = Period(date(2020, 2, 3), date(2020, 2, 3))
    assert p.days == 1


def test_period_is_frozen_and_hashable() -> None:
    p = Period.year(2020)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        p.start = date(2021, 1, 1)  # type: ignore[misc]
    assert len({p, Period.year(2020), Period.year(2021)}) == 2


@pytest.mark.parametrize("field", ["start", "end"])
def test_period_refuses_datetime(field: str) -> None:
    kwargs = {"start": date(2020, 1, 1), "end": date(2020, 12, 31)}
    kwargs[field] = datetime(2020, 6, 1)
    with pytest.raises(TypeError, match=rf"'{field}' must be a datetime\.date, not datetime"):
        Period(**kwargs)


def test_period_datetime_message_shows_the_value() -> None:
    with pytest.raises(TypeError, match=r"got datetime\.datetime\(2020, 1, 1, 0, 0\)"):
        Period(datetime(2020, 1, 1), date(2020, 1, 2))


@pytest.mark.parametrize("field", ["start", "end"])
def test_period_refuses_non_dates(field: str) -> None:
    kwargs: dict[str, object] = {"start": date(2020, 1, 1), "end": date(2020, 12, 31)}
    kwargs[field] = "2020-06-01"
    with pytest.raises(TypeError, match=rf"'{field}' must be a datetime\.date.*'2020-06-01'"):
        Period(**kwargs)  # type: ignore[arg-type]


def test_period_refuses_end_before_start() -> None:
    with pytest.raises(ValueError, match=r"'end' must not be before 'start'") as info:
        Period(date(2020, 2, 1), date(2020, 1, 31))
    assert str(info.value) == (
        "'end' must not be before 'start' (got start=2020-02-01, end=2020-01-31)"
    )


# -- named constructors ----------------------------------------------------------------


def test_year() -> None:
    assert Period.year(2020) == Period(date(2020, 1, 1), date(2020, 12, 31))


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [
        (1, date(2020, 1, 1), date(2020, 3, 31)),
        (2, date(2020, 4, 1), date(2020, 6, 30)),
        (3, date(2020, 7, 1), date(2020, 9, 30)),
        (4, date(2020, 10, 1), date(2020, 12, 31)),
    ],
)
def test_quarter(quarter: int, start: date, end: date) -> None:
    assert Period.quarter(2020, quarter) == Period(start, end)


@pytest.mark.parametrize(
    ("year", "month", "end"),
    [
        (2020, 2, date(2020, 2, 29)),
        (2021, 2, date(2021, 2, 28)),
        (2020, 4, date(2020, 4, 30)),
        (2020, 12, date(2020, 12, 31)),
    ],
)
def test_month(year: int, month: int, end: date) -> None:
    assert Period.month(year, month) == Period(date(year, month, 1), end)


def test_day() -> None:
    d = date(2020, 2, 3)
    assert Period.day(d) == Period(d, d)


def test_day_refuses_datetime() -> None:
    with pytest.raises(TypeError, match=r"'d' must be a datetime\.date, not datetime"):
        Period.day(datetime(2020, 2, 3))


@pytest.mark.parametrize("quarter", [0, 5, -1])
def test_quarter_out_of_range(quarter: int) -> None:
    with pytest.raises(ValueError, match=rf"'quarter' must be between 1 and 4 \(got {quarter}\)"):
        Period.quarter(2020, quarter)


@pytest.mark.parametrize("month", [0, 13])
def test_month_out_of_range(month: int) -> None:
    with pytest.raises(ValueError, match=rf"'month' must be between 1 and 12 \(got {month}\)"):
        Period.month(2020, month)


@pytest.mark.parametrize("year", [0, 10000])
def test_year_out_of_range(year: int) -> None:
    with pytest.raises(ValueError, match=r"'year' must be between 1 and 9999"):
        Period.year(year)


def test_year_refuses_bool_and_str() -> None:
    with pytest.raises(TypeError, match=r"'year' must be an int"):
        Period.year(True)
    with pytest.raises(TypeError, match=r"'year' must be an int"):
        Period.year("2020")  # type: ignore[arg-type]


def test_month_refuses_bool() -> None:
    with pytest.raises(TypeError, match=r"'month' must be an int"):
        Period.month(2020, True)


@pytest.mark.parametrize(
    ("granularity", "expected"),
    [
        (Granularity.YEAR, Period.year(2020)),
        (Granularity.QUARTER, Period.quarter(2020, 2)),
        (Granularity.MONTH, Period.month(2020, 5)),
        ("year", Period.year(2020)),
        ("quarter", Period.quarter(2020, 2)),
        ("month", Period.month(2020, 5)),
    ],
)
def test_containing(granularity: Granularity | str, expected: Period) -> None:
    assert Period.containing(date(2020, 5, 17), granularity) == expected


def test_containing_refuses_unknown_granularity() -> None:
    with pytest.raises(ValueError, match=r"'granularity' must be one of .*'week'"):
        Period.containing(date(2020, 5, 17), "week")


def test_containing_refuses_non_string_granularity() -> None:
    with pytest.raises(TypeError, match=r"'granularity' must be a Granularity or str"):
        Period.containing(date(2020, 5, 17), 3)  # type: ignore[arg-type]


def test_containing_refuses_datetime() -> None:
    with pytest.raises(TypeError, match=r"'d' must be a datetime\.date, not datetime"):
        Period.containing(datetime(2020, 5, 17), "year")


# -- parse and str ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2020", Period.year(2020)),
        ("2020-Q1", Period.quarter(2020, 1)),
        ("2020Q1", Period.quarter(2020, 1)),
        ("2020-Q4", Period.quarter(2020, 4)),
        ("2020-02", Period.month(2020, 2)),
        ("2020-02-03", Period.day(date(2020, 2, 3))),
        ("2020-01-01/2020-06-30", Period(date(2020, 1, 1), date(2020, 6, 30))),
        ("2020-01-01/2020-03-31", Period.quarter(2020, 1)),
        ("0001", Period.year(1)),
    ],
)
def test_parse(text: str, expected: Period) -> None:
    assert Period.parse(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2020-13",
        "20-1",
        "",
        "2020-Q5",
        "2020-Q0",
        "2020-00",
        "2020-02-30",
        "2020-2",
        "2020-02-3",
        "20200203",
        "2020-W01",
        "2020-q1",
        " 2020",
        "2020 ",
        "0000",
        "2020-06-30/2020-01-01",
        "2020-01-01/2020-02-30",
        "2020-01-01/",
        "2020/2021",
        "2020-01-01T00:00",
        "abcd",
        "٢٠٢٠",  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_parse_garbage(text: str) -> None:
    with pytest.raises(ValueError, match=r"'text' is not a period") as info:
        Period.parse(text)
    assert repr(text) in str(info.value)


def test_parse_refuses_non_strings() -> None:
    with pytest.raises(TypeError, match=r"'text' must be a str"):
        Period.parse(2020)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("period", "text"),
    [
        (Period.year(2020), "2020"),
        (Period.quarter(2020, 1), "2020-Q1"),
        (Period.month(2020, 2), "2020-02"),
        (Period.day(date(2020, 2, 3)), "2020-02-03"),
        (Period(date(2020, 1, 1), date(2020, 6, 30)), "2020-01-01/2020-06-30"),
        (Period(date(2020, 1, 2), date(2020, 1, 31)), "2020-01-02/2020-01-31"),
        (Period(date(2020, 1, 1), date(2021, 12, 31)), "2020-01-01/2021-12-31"),
        (Period.year(1), "0001"),
        (Period.quarter(987, 3), "0987-Q3"),
    ],
)
def test_str(period: Period, text: str) -> None:
    assert str(period) == text


# -- queries ---------------------------------------------------------------------------


def test_contains() -> None:
    q1 = Period.quarter(2020, 1)
    assert date(2020, 1, 1) in q1
    assert date(2020, 2, 29) in q1
    assert date(2020, 3, 31) in q1
    assert date(2019, 12, 31) not in q1
    assert date(2020, 4, 1) not in q1


def test_contains_refuses_datetime() -> None:
    with pytest.raises(TypeError, match=r"must be a datetime\.date, not datetime"):
        _ = datetime(2020, 1, 1) in Period.year(2020)


def test_contains_refuses_non_dates() -> None:
    with pytest.raises(TypeError, match=r"must be a datetime\.date"):
        _ = "2020-01-01" in Period.year(2020)


class _Day(date):
    """A subclass of date: not the plain date the fast path of ``in`` takes."""


@given(
    periods_(),
    st.one_of(
        dates(),
        st.builds(lambda d: _Day(d.year, d.month, d.day), dates()),
        st.datetimes(),
        st.text(max_size=3),
        st.none(),
        st.integers(),
    ),
)
def test_membership_is_the_checked_comparison_of_the_day_with_both_ends(
    p: Period, item: object
) -> None:
    try:
        expected: object = p.start <= periods._check_date("item", item) <= p.end
    except TypeError as error:
        expected = error
    if isinstance(expected, TypeError):
        with pytest.raises(type(expected), match=re.escape(str(expected))):
            _ = item in p
    else:
        assert (item in p) is expected


def test_days() -> None:
    assert Period.year(2020).days == 366
    assert Period.year(2021).days == 365
    assert Period.quarter(2021, 1).days == 90
    assert Period.month(2020, 2).days == 29
    assert Period.day(date(2020, 2, 3)).days == 1


def test_overlaps() -> None:
    q1 = Period.quarter(2020, 1)
    assert q1.overlaps(Period.month(2020, 3))
    assert q1.overlaps(Period.day(date(2020, 3, 31)))
    assert q1.overlaps(Period.year(2020))
    assert not q1.overlaps(Period.month(2020, 4))
    assert not q1.overlaps(Period.year(2019))


def test_intersection() -> None:
    a = Period.parse("2020-01-15/2020-05-15")
    assert a.intersection(Period.quarter(2020, 2)) == Period.parse("2020-04-01/2020-05-15")
    assert a.intersection(Period.year(2020)) == a
    assert Period.quarter(2020, 1).intersection(Period.quarter(2020, 2)) is None
    touching = Period.parse("2020-03-31/2020-04-30")
    assert Period.quarter(2020, 1).intersection(touching) == Period.day(date(2020, 3, 31))


def test_contains_period() -> None:
    year = Period.year(2020)
    assert year.contains_period(year)
    assert year.contains_period(Period.month(2020, 2))
    assert not Period.month(2020, 2).contains_period(year)
    assert not year.contains_period(Period.parse("2020-12-01/2021-01-31"))


# -- cutting ---------------------------------------------------------------------------


def test_split_months() -> None:
    p = Period.parse("2020-01-15/2020-03-10")
    assert p.split("month") == (
        Period.parse("2020-01-15/2020-01-31"),
        Period.month(2020, 2),
        Period.parse("2020-03-01/2020-03-10"),
    )
    assert p.split(Granularity.MONTH) == p.months()


def test_split_quarters() -> None:
    p = Period.parse("2019-11-01/2020-04-30")
    assert p.quarters() == (
        Period.parse("2019-11-01/2019-12-31"),
        Period.quarter(2020, 1),
        Period.month(2020, 4),
    )
    assert p.split("quarter") == p.quarters()


def test_split_years() -> None:
    p = Period.parse("2019-07-01/2021-06-30")
    assert p.years() == (
        Period.parse("2019-07-01/2019-12-31"),
        Period.year(2020),
        Period.parse("2021-01-01/2021-06-30"),
    )
    assert p.split("year") == p.years()


def test_split_inside_one_unit_returns_the_period() -> None:
    d = Period.day(date(2020, 2, 3))
    assert d.months() == (d,)
    assert d.quarters() == (d,)
    assert d.years() == (d,)
    assert Period.year(2020).years() == (Period.year(2020),)


def test_split_year_into_months() -> None:
    months = Period.year(2020).months()
    assert months == tuple(Period.month(2020, m) for m in range(1, 13))


def test_split_at_the_end_of_the_calendar() -> None:
    p = Period(date(9999, 12, 1), date.max)
    assert p.months() == (Period.month(9999, 12),)
    assert p.years() == (p,)


def test_split_refuses_unknown_granularity() -> None:
    with pytest.raises(ValueError, match=r"'granularity' must be one of"):
        Period.year(2020).split("week")


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (Period.year(2020), Period.year(2019)),
        (Period.quarter(2020, 1), Period.quarter(2019, 4)),
        (Period.quarter(2020, 3), Period.quarter(2020, 2)),
        (Period.month(2020, 1), Period.month(2019, 12)),
        (Period.month(2020, 3), Period.month(2020, 2)),
        (Period.month(2020, 2), Period.month(2020, 1)),
        (Period.day(date(2020, 3, 1)), Period.day(date(2020, 2, 29))),
        (Period.parse("2020-03-01/2020-03-10"), Period.parse("2020-02-20/2020-02-29")),
        (Period.parse("2020-01-01/2020-06-30"), Period.parse("2019-07-03/2019-12-31")),
    ],
)
def test_previous(period: Period, expected: Period) -> None:
    assert period.previous() == expected


def test_previous_at_the_start_of_the_calendar() -> None:
    with pytest.raises(ValueError, match=r"no period before 0001"):
        Period.year(1).previous()
    with pytest.raises(ValueError, match=r"no period before"):
        Period(date.min, date(1, 1, 5)).previous()


def test_ordering_is_by_start_then_end() -> None:
    a = Period.parse("2020-01-01/2020-01-31")
    b = Period.parse("2020-01-01/2020-12-31")
    c = Period.parse("2020-02-01/2020-02-02")
    assert sorted([c, b, a]) == [a, b, c]
    assert a < b < c
    assert max(a, b, c) == c


# -- Granularity and Frequency ---------------------------------------------------------


def test_granularity_values() -> None:
    assert [g.value for g in Granularity] == ["year", "quarter", "month"]
    assert Granularity("month") is Granularity.MONTH


@pytest.mark.parametrize(
    ("frequency", "months"),
    [
        (Frequency.MONTHLY, 1),
        (Frequency.QUARTERLY, 3),
        (Frequency.SEMIANNUAL, 6),
        (Frequency.ANNUAL, 12),
    ],
)
def test_frequency_months(frequency: Frequency, months: int) -> None:
    assert frequency.months == months
    assert Frequency(frequency.value) is frequency


# -- due_dates -------------------------------------------------------------------------


def test_due_dates_month_end_anchor() -> None:
    assert due_dates(date(2024, 1, 31), count=3) == (
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    )


def test_due_dates_first_after_zero_starts_at_anchor() -> None:
    assert due_dates(date(2024, 1, 31), count=2, first_after=0) == (
        date(2024, 1, 31),
        date(2024, 2, 29),
    )


def test_due_dates_grace_period() -> None:
    assert due_dates(date(2024, 1, 15), count=2, first_after=3) == (
        date(2024, 4, 15),
        date(2024, 5, 15),
    )


@pytest.mark.parametrize(
    ("anchor", "frequency", "expected"),
    [
        (
            date(2024, 1, 31),
            "quarterly",
            (date(2024, 4, 30), date(2024, 7, 31), date(2024, 10, 31)),
        ),
        (
            date(2024, 8, 31),
            Frequency.SEMIANNUAL,
            (date(2025, 2, 28), date(2025, 8, 31), date(2026, 2, 28)),
        ),
        (
            date(2024, 2, 29),
            "annual",
            (date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)),
        ),
    ],
)
def test_due_dates_frequencies(
    anchor: date, frequency: Frequency | str, expected: tuple[date, ...]
) -> None:
    assert due_dates(anchor, count=len(expected), frequency=frequency) == expected


def test_due_dates_count_zero() -> None:
    assert due_dates(date(2024, 1, 31), count=0) == ()


def test_due_dates_refuses_negative_count() -> None:
    with pytest.raises(ValueError, match=r"'count' must be at least 0 \(got -1\)"):
        due_dates(date(2024, 1, 31), count=-1)


def test_due_dates_refuses_bool_count() -> None:
    with pytest.raises(TypeError, match=r"'count' must be an int \(got bool True\)"):
        due_dates(date(2024, 1, 31), count=True)


def test_due_dates_refuses_str_count() -> None:
    with pytest.raises(TypeError, match=r"'count' must be an int"):
        due_dates(date(2024, 1, 31), count="3")  # type: ignore[arg-type]


def test_due_dates_refuses_negative_first_after() -> None:
    with pytest.raises(ValueError, match=r"'first_after' must be at least 0"):
        due_dates(date(2024, 1, 31), count=1, first_after=-1)


def test_due_dates_refuses_datetime_anchor() -> None:
    with pytest.raises(TypeError, match=r"'anchor' must be a datetime\.date, not datetime"):
        due_dates(datetime(2024, 1, 31), count=1)


def test_due_dates_refuses_unknown_frequency() -> None:
    with pytest.raises(ValueError, match=r"'frequency' must be one of .*'weekly'"):
        due_dates(date(2024, 1, 31), count=1, frequency="weekly")


def test_due_dates_refuses_running_past_9999() -> None:
    with pytest.raises(ValueError, match=r"runs past the year 9999"):
        due_dates(date(9999, 6, 30), count=12)


# -- laws ------------------------------------------------------------------------------


@given(periods_())
def test_parse_of_str_is_identity(p: Period) -> None:
    assert Period.parse(str(p)) == p


@given(periods_(), granularities())
def test_split_days_add_up_to_period_days(p: Period, g: Granularity) -> None:
    assert sum(part.days for part in p.split(g)) == p.days


@given(periods_())
def test_split_months_days_add_up_to_period_days(p: Period) -> None:
    assert sum(part.days for part in p.months()) == p.days


@given(periods_(), granularities())
def test_split_parts_are_contiguous_and_cover_period(p: Period, g: Granularity) -> None:
    parts = p.split(g)
    assert parts[0].start == p.start
    assert parts[-1].end == p.end
    for before, after in itertools.pairwise(parts):
        assert before.end + timedelta(days=1) == after.start


@given(periods_(), granularities())
def test_split_parts_each_lie_in_one_calendar_unit(p: Period, g: Granularity) -> None:
    for part in p.split(g):
        assert Period.containing(part.start, g).contains_period(part)


@given(periods_(), granularities())
def test_split_is_sorted(p: Period, g: Granularity) -> None:
    parts = p.split(g)
    assert list(parts) == sorted(parts)


@given(periods_(), periods_())
def test_intersection_is_commutative(a: Period, b: Period) -> None:
    assert a.intersection(b) == b.intersection(a)


@given(periods_(), periods_())
def test_intersection_is_contained_in_both(a: Period, b: Period) -> None:
    both = a.intersection(b)
    if both is not None:
        assert a.contains_period(both)
        assert b.contains_period(both)


@given(periods_(), periods_())
def test_overlaps_iff_intersection_exists(a: Period, b: Period) -> None:
    assert a.overlaps(b) == (a.intersection(b) is not None)
    assert a.overlaps(b) == b.overlaps(a)


@given(periods_(), periods_())
def test_contains_period_iff_intersection_is_other(a: Period, b: Period) -> None:
    assert a.contains_period(b) == (a.intersection(b) == b)


@given(periods_())
def test_previous_is_adjacent(p: Period) -> None:
    assert p.previous().end + timedelta(days=1) == p.start


@given(periods_())
def test_previous_keeps_the_kind(p: Period) -> None:
    prev = p.previous()
    text = str(p)
    if "/" in text:
        assert prev.days == p.days
    else:
        # A year stays a year, a quarter a quarter, a month a month, a day a day.
        assert len(str(prev)) == len(text)
        assert ("Q" in str(prev)) == ("Q" in text)


@given(periods_(), dates())
def test_contains_agrees_with_bounds(p: Period, d: date) -> None:
    assert (d in p) == (p.start <= d <= p.end)


@given(dates(), granularities())
def test_containing_contains_the_date(d: date, g: Granularity) -> None:
    assert d in Period.containing(d, g)


@given(periods_(), periods_())
def test_ordering_matches_start_end_tuples(a: Period, b: Period) -> None:
    assert (a < b) == ((a.start, a.end) < (b.start, b.end))
    assert (a == b) == ((a.start, a.end) == (b.start, b.end))


@given(dates(), st.integers(0, 60), frequencies(), st.integers(0, 12))
def test_due_dates_strictly_increase(
    anchor: date, count: int, frequency: Frequency, first_after: int
) -> None:
    ds = due_dates(anchor, count=count, frequency=frequency, first_after=first_after)
    assert len(ds) == count
    assert all(a < b for a, b in itertools.pairwise(ds))
    if ds:
        assert ds[0] >= anchor
        assert (ds[0] == anchor) == (first_after == 0)


@given(dates(), st.integers(0, 60), frequencies(), st.integers(0, 12))
def test_due_dates_never_drift_from_anchor_day(
    anchor: date, count: int, frequency: Frequency, first_after: int
) -> None:
    for d in due_dates(anchor, count=count, frequency=frequency, first_after=first_after):
        assert d.day == min(anchor.day, last_day(d.year, d.month))


@given(dates(), st.integers(1, 60), frequencies(), st.integers(0, 12))
def test_due_dates_are_whole_steps_from_anchor(
    anchor: date, count: int, frequency: Frequency, first_after: int
) -> None:
    ds = due_dates(anchor, count=count, frequency=frequency, first_after=first_after)
    for i, d in enumerate(ds):
        months = (d.year - anchor.year) * 12 + (d.month - anchor.month)
        assert months == (first_after + i) * frequency.months


@given(dates(), st.integers(0, 30), st.integers(0, 30), frequencies(), st.integers(0, 12))
def test_due_dates_longer_schedule_extends_shorter(
    anchor: date, count: int, extra: int, frequency: Frequency, first_after: int
) -> None:
    short = due_dates(anchor, count=count, frequency=frequency, first_after=first_after)
    long = due_dates(anchor, count=count + extra, frequency=frequency, first_after=first_after)
    assert long[:count] == short


@given(dates(), st.integers(0, 30), frequencies(), st.integers(0, 12))
def test_due_dates_grace_shifts_the_schedule(
    anchor: date, count: int, frequency: Frequency, first_after: int
) -> None:
    later = due_dates(anchor, count=count, frequency=frequency, first_after=first_after + 1)
    earlier = due_dates(anchor, count=count + 1, frequency=frequency, first_after=first_after)
    assert later == earlier[1:]


def test_comparing_a_period_with_something_else_names_the_argument() -> None:
    year = Period.year(2020)
    for method in (year.overlaps, year.intersection, year.contains_period):
        with pytest.raises(TypeError, match="'other' must be a Period"):
            method(date(2020, 1, 1))  # type: ignore[arg-type]
