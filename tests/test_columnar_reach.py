"""reach counted in the engine: the distinct persons and households, by DuckDB and polars.

(A Dask dataset's are counted by DuckDB, what its tasks run, in one query.)

Over a columnar dataset :func:`humanaid.reach` (and so the year at a glance's reach) has
the engine count the distinct persons and households reached (``COUNT(DISTINCT ...)``,
``n_unique``); only the cases are read back. Each property draws small datasets whose
ids collide on purpose (a person screened and reached through their household, a
person listed in one household and named by a case with another, a case naming a
person the persons do not list, a household id used twice, handouts to a household
nobody lists, filters that leave nothing) and checks the engine's count, or its error,
against the record path's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, cast
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("duckdb")
pytest.importorskip("polars")
pytest.importorskip("dask")

import humanaid.interop.columnar as columnar_module
from humanaid import (
    Case,
    Dataset,
    Distribution,
    Household,
    Money,
    Period,
    Person,
    Reach,
    Screening,
    ScreeningOutcome,
    aggregate,
    reach,
)
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import ColumnarSource, scan, scan_dataset
from humanaid.reach import _reach_in_engine

ENGINES = ("duckdb", "polars", "dask")
EXAMPLES = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HOMES = ("h0", "h1", "h2", "h3")
PEOPLE = ("p0", "p1", "p2", "p3", "p4", "p5")
DAYS = (date(2019, 6, 1), date(2020, 3, 1), date(2020, 11, 30))
PROGRAMS = (None, "aid", "heart")
PROJECTS = (None, "pj1", "pj2")


@st.composite
def reach_datasets(draw: st.DrawFn, *, unknown_homes: bool = False) -> Dataset:
    """Persons, households, screenings, handouts and cases over a few colliding ids."""
    homes = [
        Household(id=h, members=draw(st.integers(1, 4)))
        for h in draw(st.lists(st.sampled_from(HOMES), max_size=5))  # an id may repeat
    ]
    home_ids = [h.id for h in homes] or ["h0"]
    handed_to = st.sampled_from(home_ids + (["hx"] if unknown_homes else []))
    persons = [
        Person(id=p, name=f"person {p}", household_id=draw(st.sampled_from((None, "hx", *HOMES))))
        for p in draw(st.lists(st.sampled_from(PEOPLE), max_size=7))  # an id may repeat
    ]
    screenings = [
        Screening(
            id=f"s{i}",
            person_id=draw(st.sampled_from((*PEOPLE, "p9"))),
            program_id=draw(st.sampled_from(("aid", "heart"))),
            project_id=draw(st.sampled_from(PROJECTS)),
            on=draw(st.sampled_from(DAYS)),
            outcome=ScreeningOutcome.NEGATIVE,
        )
        for i in range(draw(st.integers(0, 6)))
    ]
    handouts = [
        Distribution(
            id=f"d{i}",
            household_id=draw(handed_to),
            on=draw(st.sampled_from(DAYS)),
            value=Money("10"),
            program_id=draw(st.sampled_from(PROGRAMS)),
            project_id=draw(st.sampled_from(PROJECTS)),
            campaign_id=draw(st.sampled_from((None, "drive"))),
        )
        for i in range(draw(st.integers(0, 6)))
    ]
    cases = []
    for i in range(draw(st.integers(0, 4))):
        person = draw(st.sampled_from((None, *PEOPLE, "p8")))
        household = draw(st.sampled_from((None, *home_ids)) if person else handed_to)
        opened = draw(st.sampled_from(DAYS))
        case = Case.refer(
            id=f"c{i}",
            kind="medical",
            person_id=person,
            household_id=household,
            program_id=draw(st.sampled_from(PROGRAMS)),
            project_id=draw(st.sampled_from(PROJECTS)),
            on=opened,
        )
        if draw(st.booleans()):  # served, so it reached someone
            case = case.advance("screened", on=opened).advance("assessed", on=opened)
            case = case.advance("approved", on=opened, approved=Money("100"))
            later = DAYS[DAYS.index(opened) :]
            case = case.advance("in_treatment", on=draw(st.sampled_from(later)))
        cases.append(case)
    return Dataset(
        persons=tuple(persons),
        households=tuple(homes),
        screenings=tuple(screenings),
        distributions=tuple(handouts),
        cases=tuple(cases),
    )


QUERIES = st.fixed_dictionaries(
    {
        "period": st.sampled_from((None, Period.year(2020), Period.year(2018))),
        "program_id": st.sampled_from((None, "aid")),
        "campaign_id": st.sampled_from((None, "drive")),
    }
)
KINDS: dict[str, type] = {
    "persons": Person,
    "households": Household,
    "screenings": Screening,
    "distributions": Distribution,
    "cases": Case,
}


def columnar(ds: Dataset, engine: str, names: tuple[str, ...] = tuple(KINDS)) -> Dataset:
    """``ds`` with the collections ``names`` as Arrow tables held by ``engine``."""
    held: dict[str, Any] = dict(ds)
    for name in names:
        held[name] = scan(to_arrow(list(held[name]), KINDS[name]), KINDS[name], engine=engine)
    return Dataset(**held)


def outcome(count: Callable[[], Reach]) -> Reach | tuple[str, str]:
    """The count, or the error it raised (its type and message: a household's, a programme's)."""
    try:
        return count()
    except (ValueError, LookupError) as exc:
        return type(exc).__name__, str(exc)


@contextlib.contextmanager
def counted_by(engine: str) -> Iterator[None]:
    """Inside, reach of a columnar dataset may not tally groups in Python (on any engine)."""
    with mock.patch("humanaid.reach._groups", side_effect=AssertionError("groups read back")):
        yield


@pytest.mark.parametrize("engine", ENGINES)
@EXAMPLES
@given(ds=reach_datasets(unknown_homes=True), query=QUERIES)
def test_reach_counted_in_the_engine_equals_the_record_path(
    engine: str, ds: Dataset, query: dict[str, Any]
) -> None:
    twin = columnar(ds, engine)
    with counted_by(engine):
        got = outcome(lambda: reach(twin, **query))
    assert got == outcome(lambda: reach(ds, **query))


@pytest.mark.parametrize("engine", ENGINES)
@EXAMPLES
@given(ds=reach_datasets(), query=QUERIES, data=st.data())
def test_reach_counts_the_same_whichever_collections_are_columnar(
    engine: str, ds: Dataset, query: dict[str, Any], data: st.DataObject
) -> None:
    names = data.draw(st.lists(st.sampled_from(tuple(KINDS)), min_size=1, unique=True))
    twin = columnar(ds, engine, tuple(names))
    assert outcome(lambda: reach(twin, **query)) == outcome(lambda: reach(ds, **query))


@pytest.mark.parametrize("engine", ENGINES)
@EXAMPLES
@given(
    ds=reach_datasets(unknown_homes=True),
    query=QUERIES,
    kept=st.sets(st.sampled_from([(pj, pg) for pj in PROJECTS for pg in PROGRAMS])),
)
def test_reach_of_the_records_a_keep_passes_equals_the_record_path(
    engine: str, ds: Dataset, query: dict[str, Any], kept: set[tuple[Any, Any]]
) -> None:
    """The year at a glance's ``keep`` (an organisation's own work) filters the same records."""

    def keep(project: str | None, program: str | None) -> bool:
        return (project, program) in kept

    records = [
        r
        for name in ("screenings", "cases", "distributions")
        for r in ds.records(name)
        if keep(r.project_id, r.program_id)
    ]
    twin = columnar(ds, engine)
    expected = outcome(
        lambda: reach(records, persons=ds.persons, households=ds.households, **query)
    )
    with counted_by(engine):
        assert outcome(lambda: _reach_in_engine(twin, keep=keep, **query)) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_reach_over_no_records_is_nobody(engine: str) -> None:
    twin = columnar(Dataset(), engine)
    assert reach(twin) == Reach(person_times=0, persons=0, households=0)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_person_screened_and_reached_with_their_household_counts_once(engine: str) -> None:
    ds = Dataset(
        households=(Household(id="h1", members=3),),
        persons=(Person(id="p1", name="p", household_id="h1"),),
        screenings=(
            Screening(
                id="s1",
                person_id="p1",
                program_id="aid",
                on=DAYS[1],
                outcome=ScreeningOutcome.NEGATIVE,
            ),
        ),
        distributions=(Distribution(id="d1", household_id="h1", on=DAYS[1], value=Money("5")),),
    )
    expected = Reach(person_times=4, persons=3, households=1)
    assert reach(ds) == expected
    assert reach(columnar(ds, engine)) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_a_handout_to_an_unknown_household_names_it(engine: str) -> None:
    ds = Dataset(
        households=(Household(id="h1", members=3),),
        distributions=(Distribution(id="d1", household_id="h9", on=DAYS[1], value=Money("5")),),
    )
    with pytest.raises(ValueError, match="household 'h9' is not among the households given"):
        reach(columnar(ds, engine))


# -- scan_dataset's DuckDB settings and its one connection (issue 19, fifth pass) --------------


def scanned(ds: Dataset, engine: str, **settings_: Any) -> Dataset:
    """``ds`` as :func:`scan_dataset` holds it: every collection an Arrow table of ``engine``."""
    tables = {name: to_arrow(list(ds.records(name)), kind) for name, kind in KINDS.items()}
    return scan_dataset(tables, engine=engine, dataset_type=Dataset, findings=(), **settings_)


@contextlib.contextmanager
def connections() -> Iterator[list[object]]:
    """Inside, the DuckDB connections humanaid opens are listed (each a ``None``)."""
    opened: list[object] = []
    original = columnar_module._connect

    def counting(settings_: Any) -> Any:
        opened.append(None)
        return original(settings_)

    with mock.patch.object(columnar_module, "_connect", counting):
        yield opened


@pytest.mark.parametrize("engine", ENGINES)
@EXAMPLES
@given(ds=reach_datasets(unknown_homes=True), query=QUERIES)
def test_reach_of_a_scanned_dataset_on_one_thread_equals_the_record_path(
    engine: str, ds: Dataset, query: dict[str, Any]
) -> None:
    """``scan_dataset(duckdb_settings=)`` counts the same, on one connection a dataset."""
    twin = scanned(ds, engine, duckdb_settings={"threads": 1})
    with connections() as opened, counted_by(engine):
        first = outcome(lambda: reach(twin, **query))
        again = outcome(lambda: reach(twin, **query))
    assert first == again == outcome(lambda: reach(ds, **query))
    # reach runs on the sources' shared connection (polars needs none): at most one is
    # opened (none where nothing is counted), the first time
    assert len(opened) <= (0 if engine == "polars" else 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_scan_dataset_passes_its_settings_to_every_collection_on_one_connection(
    engine: str,
) -> None:
    with mock.patch.object(columnar_module, "_OPEN", {}), connections() as opened:
        twin = scanned(Dataset(), engine, duckdb_settings={"threads": 1})
        sources = [cast(ColumnarSource, twin.records(name)) for name in KINDS]
        assert all(s.duckdb_settings == {"threads": 1} for s in sources)
        if engine != "polars":  # every collection's query on the one connection opened
            for source in sources:
                aggregate.tabulate(source, measures={"n": aggregate.count()})
        assert len(opened) == 1  # by checking the settings, and kept for the queries
    plain = cast(ColumnarSource, scanned(Dataset(), engine).records("cases"))
    assert plain.duckdb_settings is None


def test_scan_dataset_refuses_settings_duckdb_refuses() -> None:
    with pytest.raises(ValueError, match=r"'duckdb_settings' .* are refused by DuckDB"):
        scanned(Dataset(), "duckdb", duckdb_settings={"threads": "many"})
    with pytest.raises(ValueError, match="refused by DuckDB"):
        scanned(Dataset(), "duckdb", duckdb_settings={"no_such_setting": 1})
    with pytest.raises(TypeError, match="'duckdb_settings' must be a mapping"):
        scanned(Dataset(), "duckdb", duckdb_settings=[("threads", 1)])
    with pytest.raises(ValueError, match="'engine' must be one of"):  # the engine first
        scanned(Dataset(), "spark", duckdb_settings={"threads": "many"})
