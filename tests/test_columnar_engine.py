"""What the engines finish themselves: exact Dask parts, household sizes, the drive, errors.

The laws of :mod:`humanaid.interop.columnar` that make the twins fast without changing a
figure: Dask parts hash-partitioned on the field a query counts (or on its key, for a
top-k cut) merge exactly, by adding counts and by taking the top of the tops; the
households' sizes computed from two columns equal those the records give; the drive of
a handout computed by the engines is :attr:`Distribution.drive`; an engine's error is
never swallowed.
"""

from __future__ import annotations

import tempfile
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
    Channel,
    Dataset,
    Disaggregation,
    Distribution,
    Donation,
    Donor,
    Household,
    Indicator,
    IndicatorAggregation,
    IndicatorValue,
    Money,
    Period,
    Person,
    Project,
    ProjectKind,
    Sex,
    fundraising_summary,
    results_summary,
)
from humanaid.aggregate import (
    _tabulate_rows,
    count,
    distinct,
    field_between,
    field_in,
    field_is,
    field_not_in,
    lookup_key,
    period_key,
    tabulate,
    total,
)
from humanaid.interop import columnar
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import ENGINES, ColumnarSource, scan
from humanaid.ordering import sort_key
from humanaid.summaries import top_donors
from humanaid.testing import (
    distributions,
    donations,
    donors,
    households,
    indicator_values,
    persons,
)

pytest.importorskip("duckdb")
pytest.importorskip("polars")
pytest.importorskip("dask")

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
_DAY = date(2020, 5, 1)
_ONE = Money("1")


@st.composite
def _gifts(draw: st.DrawFn) -> tuple[list[Donation], dict[str, Donor]]:
    """Gifts in CNY from up to twelve donors (some missing, some anonymous), many days."""
    people = draw(st.lists(donors(), max_size=12, unique_by=lambda d: d.id))
    ids = [d.id for d in people] + ["d-missing"]
    gifts = draw(st.lists(donations(), max_size=40))
    out = []
    for i, g in enumerate(gifts):
        donor = draw(st.none() | st.sampled_from(ids))
        out.append(attrs.evolve(g, id=f"g{i}", donor_id=donor))
    return out, {d.id: d for d in people}


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record the hash share of every Dask task (``None``: a slice of the rows)."""
    shares: list[Any] = []
    part = columnar._dask_part

    def spied(*args: Any) -> Any:
        shares.append(args[4] if len(args) > 4 else None)
        return part(*args)

    monkeypatch.setattr(columnar, "_dask_part", spied)
    return shares


# -- Dask: parts hash-partitioned on the counted field merge exactly ---------------------------


@SETTINGS
@given(data=_gifts(), per_part=st.integers(1, 9))
def test_dask_parts_hashed_on_the_counted_field_count_distinct_donors_exactly(
    data: tuple[list[Donation], dict[str, Donor]], per_part: int
) -> None:
    gifts, index = data
    with pytest.MonkeyPatch.context() as mp:
        shares = _spy(mp)
        source = scan(to_arrow(gifts, Donation), Donation, engine="dask", rows_per_part=per_part)
        query: dict[str, Any] = {
            "by": ("channel", period_key("received_on", "year")),
            "measures": {"gifts": count(), "donors": distinct("donor_id")},
        }
        assert tabulate(source, **query) == tabulate(gifts, **query)
        by_kind = fundraising_summary(source, by="donor_kind", donors=index)
        assert by_kind == fundraising_summary(gifts, by="donor_kind", donors=index)
    # every task kept its share of the donors' hashes, and the shares cover them all
    hashed = [s for s in shares if s is not None]
    assert hashed
    assert len(hashed) == len(shares)
    for n in {s[1] for s in hashed}:
        assert {s[2] for s in hashed if s[1] == n} == set(range(n))


@SETTINGS
@given(data=_gifts(), per_part=st.integers(1, 9), n=st.integers(0, 6))
def test_dask_top_donors_cut_per_hashed_part_equals_the_python_list(
    data: tuple[list[Donation], dict[str, Donor]], per_part: int, n: int
) -> None:
    gifts, index = data
    with pytest.MonkeyPatch.context() as mp:
        shares = _spy(mp)
        source = scan(to_arrow(gifts, Donation), Donation, engine="dask", rows_per_part=per_part)
        assert top_donors(source, n=n, donors=index) == top_donors(gifts, n=n, donors=index)
    assert shares
    assert all(s is not None and "donor_id" in s[0] for s in shares)


def test_dask_hashes_only_where_the_parts_then_merge_exactly() -> None:
    from humanaid.aggregate import _Plan

    def on(by: object, measures: dict[str, Any], largest: tuple[int, int] | None = None) -> Any:
        plan = _Plan(by, measures, None)
        q = columnar._query(Donation, plan)
        col = columnar._hash_column(q, columnar._cut(q, largest))
        return None if col is None else col.column

    donors_ = {"donors": distinct("donor_id")}
    assert on("channel", donors_) == "donor_id"  # counts of disjoint donors add up
    assert on((), donors_) == "donor_id"
    assert on("channel", {"n": count()}) is None  # nothing to count: slices of the rows
    # a quarter gathers three months (groups merged afterwards): sets, not counts
    assert on(period_key("received_on", "quarter"), donors_) is None
    two = {"donors": distinct("donor_id"), "places": distinct("campaign_id")}
    assert on("channel", two) == "channel"  # two fields counted: whole groups
    assert on(period_key("received_on", "year"), two) is None
    top = {"raised": total("value", currency="CNY")}
    assert on("donor_id", top, (0, 3)) == "donor_id"  # a cut: whole groups


# -- two distinct counts of one field, counted in two levels on DuckDB ------------------------

_TWO_LEVEL_KEYS: Any = st.sampled_from(
    [(), ("channel",), (period_key("received_on", "year"),), ("campaign_id", "channel")]
)
_SOME_DAYS = field_between("received_on", date(2019, 1, 1), date(2021, 12, 31))
_DONOR_CONDITIONS: Any = st.sampled_from(
    [
        None,
        _SOME_DAYS,
        field_in("channel", [Channel.ONLINE_PLATFORM, Channel.BANK_TRANSFER]),
        field_not_in("campaign_id", [None]),
        field_is("donor_id", None),
    ]
)


@SETTINGS
@given(
    data=_gifts(),
    keys=_TWO_LEVEL_KEYS,
    conds=st.lists(_DONOR_CONDITIONS, min_size=2, max_size=3),
    counted=st.lists(_DONOR_CONDITIONS, max_size=2),
    where=st.none() | st.just(_SOME_DAYS),
    engine=st.sampled_from(ENGINES),
)
def test_two_distinct_counts_of_one_field_equal_the_python_loop(
    data: tuple[list[Donation], dict[str, Donor]],
    keys: tuple[Any, ...],
    conds: list[Any],
    counted: list[Any],
    where: Any,
    engine: str,
) -> None:
    gifts, _ = data
    measures: dict[str, Any] = {f"d{i}": distinct("donor_id", where=c) for i, c in enumerate(conds)}
    measures |= {f"n{i}": count(where=c) for i, c in enumerate(counted)}
    query: dict[str, Any] = {"by": keys, "measures": measures, "where": where}
    source = scan(to_arrow(gifts, Donation), Donation, engine=engine, rows_per_part=7)
    # (the raw rows in any order: each group once, with the loop's figures)
    assert sorted(_tabulate_rows(source, **query), key=repr) == sorted(
        _tabulate_rows(gifts, **query), key=repr
    )
    assert tabulate(source, **query) == tabulate(gifts, **query)


def test_only_two_or_more_distinct_counts_of_one_field_with_counts_go_two_levels() -> None:
    from humanaid.aggregate import _Plan

    def shared(measures: dict[str, Any]) -> str | None:
        q = columnar._query(Donation, _Plan(("channel",), measures, None))
        col = columnar._shared_distinct(q)
        return None if col is None else col.column

    two = {"a": distinct("donor_id"), "b": distinct("donor_id", where=_SOME_DAYS)}
    assert shared(two) == "donor_id"
    assert shared(two | {"n": count(where=_SOME_DAYS)}) == "donor_id"
    assert shared({"a": distinct("donor_id")}) is None  # one: measured slower in two levels
    assert shared(two | {"c": distinct("campaign_id")}) is None  # two fields
    assert shared(two | {"raised": total("value", currency="CNY")}) is None  # not a count
    sql, shape = columnar._duckdb_sql(
        columnar._query(Donation, _Plan(("channel",), two, None)), "{relation}", sets=False
    )
    assert "count(DISTINCT" not in sql
    assert shape == ["key", "distinct", "distinct"]
    sets, _ = columnar._duckdb_sql(
        columnar._query(Donation, _Plan(("channel",), two, None)), "{relation}", sets=True
    )
    assert "list(DISTINCT" in sets  # (Dask's parts that must merge sets: one level)


# -- households' sizes from two columns ---------------------------------------------------------


@st.composite
def _homes_and_people(draw: st.DrawFn) -> tuple[list[Household], list[Person]]:
    """Households and persons whose ids repeat (the first wins), some in no household."""
    homes = [
        attrs.evolve(h, id=f"h{draw(st.integers(0, 4))}")
        for h in draw(st.lists(households(max_members=4), max_size=8))
    ]
    people = [
        attrs.evolve(p, id=f"p{draw(st.integers(0, 9))}")
        for p in draw(
            st.lists(
                persons(household_ids=st.none() | st.sampled_from(["h0", "h1", "h2", "h9"])),
                max_size=12,
            )
        )
    ]
    return homes, people


def _sizes_of_records(homes: list[Household], people: list[Person]) -> dict[str, int]:
    first_home: dict[str, Household] = {}
    for h in homes:
        first_home.setdefault(h.id, h)
    first_person: dict[str, Person] = {}
    for p in people:
        first_person.setdefault(p.id, p)
    listed: dict[str, set[str]] = {}
    for p in first_person.values():
        if p.household_id is not None:
            listed.setdefault(p.household_id, set()).add(p.id)
    return {hid: max(h.members, len(listed.get(hid, ()))) for hid, h in first_home.items()}


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=_homes_and_people())
def test_household_sizes_from_two_columns_equal_those_the_records_give(
    data: tuple[list[Household], list[Person]],
) -> None:
    homes, people = data
    expected = _sizes_of_records(homes, people)
    source = scan(to_arrow(homes, Household), Household)
    for given_people in (people, scan(to_arrow(people, Person), Person)):
        sizes = source.household_sizes(given_people)
        assert {hid: sizes[hid].size for hid in sizes} == expected
        # and the engines join them as they are: grouped by size, as the records group
        handouts = [
            Distribution.cash(id=f"x{i}", household_id=hid, on=_DAY, value=_ONE)
            for i, hid in enumerate(sorted(expected))
        ]
        table = to_arrow(handouts, Distribution)
        query: Callable[[Any], Any] = lambda idx: {  # noqa: E731
            "by": {"size": lookup_key("household_id", idx, "size")},
            "measures": {"n": count()},
        }
        want = tabulate(handouts, **query(sizes))
        for engine in ENGINES:
            assert tabulate(scan(table, Distribution, engine=engine), **query(sizes)) == want


# -- the drive, computed by the engines --------------------------------------------------------


@SETTINGS
@given(
    handed=st.lists(
        distributions(campaign_ids=st.none() | st.sampled_from(["c0", "c:1"])), max_size=15
    )
)
def test_the_drive_the_engines_compute_is_the_distribution_drive(
    handed: list[Distribution],
) -> None:
    query: dict[str, Any] = {
        "by": {"drive": "drive"},
        "measures": {"n": count(), "homes": distinct("household_id")},
    }
    want = tabulate(handed, **query)
    table = to_arrow(handed, Distribution)
    for engine in ENGINES:
        assert tabulate(scan(table, Distribution, engine=engine, rows_per_part=4), **query) == want


def test_a_condition_on_the_drive_is_not_run_in_an_engine() -> None:
    table = to_arrow(
        [Distribution.cash(id="x", household_id="h", on=_DAY, value=_ONE)], Distribution
    )
    with pytest.raises(ValueError, match="tests a property, not a field"):
        scan(table, Distribution).select(field_is("drive", "campaign:c0"))


# -- no engine error is swallowed ---------------------------------------------------------------


def test_select_lets_an_engine_error_surface_naming_the_setting() -> None:
    import duckdb

    gift = Donation(id="g1", organization_id="qj", received_on=_DAY, value=_ONE)
    table = to_arrow([gift], Donation)
    for bad, name in (({"no_such_option": 1}, "no_such_option"), ({"threads": "many"}, "threads")):
        settings = {"memory_limit": "1GB", **bad}
        with pytest.raises(ValueError, match=name):  # scan() asks DuckDB at once
            scan(table, Donation, duckdb_settings=settings)
        # a source made by hand is not asked: its queries still name the setting
        source = ColumnarSource(data=table, record_type=Donation, duckdb_settings=settings)
        with pytest.raises(
            duckdb.Error, match=rf"duckdb_settings: DuckDB refused the setting '{name}'"
        ):
            source.select(field_is("id", "g1"))
        with pytest.raises(duckdb.Error, match=name):
            source.matching("id", ["g1"])
    good = scan(table, Donation, duckdb_settings={"threads": 1})
    assert good.select(field_is("id", "g1")) == [gift]


# -- the rows of a query, with no table ---------------------------------------------------------


@SETTINGS
@given(data=_gifts())
def test_tabulate_rows_are_the_tables_rows_in_some_order(
    data: tuple[list[Donation], dict[str, Donor]],
) -> None:
    gifts, _ = data
    query: dict[str, Any] = {
        "by": ("channel", "donor_id"),
        "measures": {"raised": total("value", currency="CNY"), "donors": distinct("donor_id")},
    }
    want = tabulate(gifts, **query).rows
    table = to_arrow(gifts, Donation)
    for records in (gifts, iter(gifts), *(scan(table, Donation, engine=e) for e in ENGINES)):
        got = _tabulate_rows(records, **query)
        assert sorted(got, key=lambda r: tuple(sort_key(v) for v in r[:2])) == list(want)


# -- one field of a small collection, by id ------------------------------------------------------


@SETTINGS
@given(
    homes=st.lists(households(max_members=4), max_size=8),
    ids=st.lists(st.integers(0, 3), min_size=8, max_size=8),
)
def test_values_by_id_read_from_two_columns_equal_the_first_records_values(
    homes: list[Household], ids: list[int]
) -> None:
    homes = [attrs.evolve(h, id=f"h{i}") for h, i in zip(homes, ids, strict=False)]
    first: dict[str, Household] = {}
    for h in homes:
        first.setdefault(h.id, h)
    source = scan(to_arrow(homes, Household), Household)
    assert source.values_by_id("members") == {ref: h.members for ref, h in first.items()}
    assert source.values_by_id("area_id") == {ref: h.area_id for ref, h in first.items()}
    with pytest.raises(ValueError, match="reads a plain field"):
        scan(to_arrow(homes, Household), Household).values_by_id("flags.x")


# -- household sizes, computed by the engine inside the query that joins them ------------------


def _in_files(records: list[Any], record_type: type, folder: Path, per_file: int) -> Path:
    """The records in Parquet files of up to ``per_file`` rows each (at least one file)."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    folder.mkdir()
    chunks = [records[i : i + per_file] for i in range(0, len(records), per_file)] or [[]]
    for at, chunk in enumerate(chunks):
        pq.write_table(to_arrow(chunk, record_type), folder / f"part-{at:03d}.parquet")
    return folder


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=_homes_and_people(), per_file=st.integers(1, 4), listed=st.booleans())
def test_household_sizes_the_engines_join_are_those_of_the_first_record_of_each_id(
    data: tuple[list[Household], list[Person]], per_file: int, listed: bool
) -> None:
    homes, people = data
    people = people if listed else []
    expected = _sizes_of_records(homes, people)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = scan(_in_files(homes, Household, root / "homes", per_file), Household)
        given_people: Any = (
            scan(_in_files(people, Person, root / "people", per_file), Person) if listed else []
        )
        sizes = source.household_sizes(given_people)
        # the first record of an id wins across files and within one, in the engines too
        assert isinstance(sizes, columnar._HouseholdSizes)
        handouts = [
            Distribution.cash(id=f"x{i}", household_id=hid, on=_DAY, value=_ONE)
            for i, hid in enumerate(sorted(expected))
        ]
        query: dict[str, Any] = {
            "by": {"home": "household_id", "size": lookup_key("household_id", sizes, "size")},
            "measures": {"n": count()},
        }
        want = tabulate(
            handouts,
            by={"home": "household_id", "size": lambda d: expected[d.household_id]},
            measures={"n": count()},
        )
        table = to_arrow(handouts, Distribution)
        for engine in ENGINES:
            assert tabulate(scan(table, Distribution, engine=engine), **query) == want, engine
        # read as a mapping (the Python loop), they are the same sizes
        assert {hid: sizes[hid].size for hid in sizes} == expected


# -- results: each indicator rolled up per subject in the engine -------------------------------

_PERIODS = [  # two periods end together (LAST breaks the tie by the start), three years
    Period(date(2019, 1, 1), date(2019, 12, 31)),
    Period(date(2020, 1, 1), date(2020, 6, 30)),
    Period(date(2020, 4, 1), date(2020, 6, 30)),
    Period(date(2020, 7, 1), date(2020, 12, 31)),
    Period(date(2021, 1, 1), date(2021, 3, 31)),
]
_SUBJECTS = [("p0", None), ("p1", None), ("p2", None), ("p-gone", None), (None, "o0"), (None, "o9")]
_BY = ["project", "organization", "program", "area", "period", "all", "no such grouping"]


_MEASURES: list[Indicator] = [
    Indicator(id=f"i-{how.value}", name=how.value, unit="persons", aggregation=how)
    for how in IndicatorAggregation
]
"""An indicator of each roll-up (the cells of the roll-up laws)."""


@st.composite
def _indicator_dataset(draw: st.DrawFn) -> tuple[list[Any], list[IndicatorValue]]:
    """Indicators of each roll-up, projects of two organisations, values with breakdowns."""
    measures = _MEASURES
    projects = [
        Project(
            id=f"p{i}",
            name=f"project {i}",
            kind=ProjectKind.OTHER,
            organization_id=f"o{i % 2}",
            program_id=None if i == 2 else f"pg{i}",
            period=Period.year(2020),
            budget=Money("1000"),
        )
        for i in range(3)
    ]
    drawn = draw(
        st.lists(
            st.tuples(
                indicator_values(
                    indicator_ids=[m.id for m in measures] + ["i-unknown"], periods=_PERIODS
                ),
                st.sampled_from(_SUBJECTS),
                st.none() | st.integers(0, 3),
            ),
            max_size=40,
        )
    )
    values = []
    for i, (v, (project_id, org_id), small) in enumerate(drawn):
        value = v.value if small is None else Decimal(small)  # (small: ties for MAX)
        values.append(
            attrs.evolve(v, id=f"v{i}", project_id=project_id, organization_id=org_id, value=value)
        )
    return [*measures, *projects], values


def _results(ds: Dataset, by: str, as_of: date | None) -> Any:
    try:
        return results_summary(ds, by=by, as_of=as_of)
    except ValueError as exc:  # an unknown grouping: the same error either way
        return type(exc), str(exc)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    held=_indicator_dataset(),
    by=st.sampled_from(_BY),
    as_of=st.none() | st.sampled_from([date(2020, 6, 30), date(2020, 12, 31)]),
    per_part=st.integers(1, 7),
)
def test_indicator_rollups_in_the_engine_equal_the_records_roll_up(
    held: tuple[list[Any], list[IndicatorValue]], by: str, as_of: date | None, per_part: int
) -> None:
    small, values = held
    plain = Dataset(
        indicators=tuple(r for r in small if isinstance(r, Indicator)),
        projects=tuple(r for r in small if isinstance(r, Project)),
        indicator_values=tuple(values),
    )
    want = _results(plain, by, as_of)
    table = to_arrow(values, IndicatorValue)
    for engine in ENGINES:
        source = scan(table, IndicatorValue, engine=engine, rows_per_part=per_part)
        twin = attrs.evolve(plain, indicator_values=source)  # type: ignore[arg-type]
        got = _results(twin, by, as_of)
        assert got == want, engine
        # the same Decimals as written, not only equal: 3 stays 3 (not 3.000 or 3E+0)
        assert _shown(got) == _shown(want), engine


def _shown(table: Any) -> Any:
    return table if isinstance(table, tuple) else [tuple(map(str, r)) for r in table.rows]


_BREAKDOWN = st.sampled_from(
    [
        None,
        Disaggregation(sex=Sex.FEMALE),
        Disaggregation(sex=Sex.MALE),
        Disaggregation(age_group="0-17"),
        Disaggregation(age_group="18+"),
        Disaggregation(sex=Sex.FEMALE, age_group="0-17"),
        Disaggregation(sex=Sex.MALE, age_group="18+"),
    ]
)


@SETTINGS
@given(
    drawn=st.lists(
        st.tuples(
            st.sampled_from(list(IndicatorAggregation)),
            st.sampled_from(["p0", "p1"]),
            st.sampled_from(_PERIODS[1:3]),
            st.booleans(),
            st.lists(st.tuples(_BREAKDOWN, st.integers(0, 9)), min_size=1, max_size=5),
        ),
        min_size=1,
        max_size=8,
    ),
    by=st.sampled_from(["project", "period", "all"]),
)
def test_a_cells_figure_in_the_engine_is_its_total_else_its_finest_breakdown_as_records_take_it(
    drawn: list[
        tuple[IndicatorAggregation, str, Period, bool, list[tuple[Disaggregation | None, int]]]
    ],
    by: str,
) -> None:
    # cells (an indicator of each roll-up, two projects, two periods that end together),
    # each drawn with a mix of totals and breakdowns: the engines' ranking of a cell's
    # rows (total, sex by age group, sex, age group) against indicator_totals' own choice
    measures = _MEASURES
    values = [
        IndicatorValue(
            id=f"v{i}-{j}",
            indicator_id=f"i-{how.value}",
            period=period,
            value=Decimal(figure),
            project_id=project_id,
            target=target,
            disaggregation=split,
        )
        for i, (how, project_id, period, target, held) in enumerate(drawn)
        for j, (split, figure) in enumerate(held)
    ]
    plain = Dataset(indicators=tuple(measures), indicator_values=tuple(values))
    want = _results(plain, by, None)
    table = to_arrow(values, IndicatorValue)
    for engine in ENGINES:
        twin = attrs.evolve(plain, indicator_values=scan(table, IndicatorValue, engine=engine))  # type: ignore[arg-type]
        got = _results(twin, by, None)
        assert got == want, engine
        assert _shown(got) == _shown(want), engine


@SETTINGS
@given(
    picked=st.lists(
        st.tuples(st.sampled_from(["p0", "p1", "p2", "p3"]), st.none() | st.integers(1, 4)),
        max_size=12,
    ),
    split=st.integers(0, 12),
    keyed=st.lists(st.sampled_from(["p0", "p1", "p2", "p3", None]), max_size=20),
)
def test_index_of_a_field_is_the_first_records_value_by_id_as_the_dataset_index_keeps_it(
    picked: list[tuple[str, int | None]], split: int, keyed: list[str | None]
) -> None:
    # ids repeat (the first record wins), batches may be none; from a table and from two
    # Parquet files (the first file's records first), read as a mapping and joined by the
    # engines for lookup_key
    projects = [
        Project(
            id=ref,
            name=f"project {i}",
            kind=ProjectKind.OTHER,
            organization_id="o0",
            period=Period.year(2020),
            budget=Money("1000"),
            batch=batch,
        )
        for i, (ref, batch) in enumerate(picked)
    ]
    pq = pytest.importorskip("pyarrow.parquet")
    want = Dataset(projects=tuple(projects)).index("projects")
    handouts = [
        Distribution(id=f"d{i}", household_id="h0", on=_DAY, value=Money("1"), project_id=ref)
        for i, ref in enumerate(keyed)
    ]
    query: dict[str, Any] = {"measures": {"n": count()}}
    expected = tabulate(handouts, by={"b": lookup_key("project_id", want, "batch")}, **query)
    with tempfile.TemporaryDirectory() as tmp:
        parts = (projects[:split], projects[split:])
        for at, part in enumerate(parts):
            if part:
                pq.write_table(to_arrow(part, Project), Path(tmp) / f"part-{at}.parquet")
        sources: list[Any] = [to_arrow(projects, Project)]
        if projects:
            sources.append(Path(tmp))
        for data in sources:
            for engine in ENGINES:
                index = scan(data, Project, engine=engine).index_of("batch")
                assert {ref: index[ref].batch for ref in index} == {
                    ref: p.batch for ref, p in want.items()
                }
                by = {"b": lookup_key("project_id", index, "batch")}
                source = scan(to_arrow(handouts, Distribution), Distribution, engine=engine)
                assert tabulate(source, by=by, **query) == expected, engine
