"""The store (humanaid.store): the same tests on SQLite and on a real PostgreSQL server.

PostgreSQL is the server ``HUMANAID_TEST_POSTGRESQL_URL`` names (``. .ci/postgres.sh``
starts a throwaway one and sets it; ``.ci/run`` does so before the tests). Each test gets
a schema of its own there, dropped afterwards. Without the variable the PostgreSQL cases
are skipped, except in CI (``CI`` set), where they fail: CI must not skip them silently.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import (
    Case,
    CaseKind,
    Dataset,
    Donation,
    Donor,
    DonorKind,
    Flow,
    FlowKind,
    Fund,
    FundKind,
    InvalidInput,
    LendingTerms,
    Loan,
    Money,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    Period,
    Program,
    Project,
    ProjectKind,
    Repayment,
    RepaymentMethod,
    RevolvingFund,
    collection,
)
from humanaid.records import date_field, id_field, ref_field
from humanaid.store import (
    SCHEMA_VERSION,
    AddResult,
    Change,
    Store,
    StoreConflict,
    StoreVersionError,
)
from humanaid.testing import datasets, periods

POSTGRESQL_URL = "HUMANAID_TEST_POSTGRESQL_URL"
TABLES = (*Dataset.collection_types(), "humanaid_history")

# What a period selects, as the how-to states it: the field a collection is dated by.
# Every other collection is standing: all its records, whatever the period.
DATED_BY = {
    "donations": "received_on",
    "pledges": "pledged_on",
    "campaigns": "period",
    "flows": "on",
    "screenings": "on",
    "distributions": "on",
    "projects": "period",
    "indicator_values": "period",
    "repayments": "paid_on",
    "write_offs": "on",
    "reported_figures": "period",
    # the collections added since, each dated by its one date
    "exchange_rates": "on",
    "volunteers": "joined",
    "service_activities": "period",
    "service_hours": "on",
    "members": "joined",
    "dues": "paid_on",
    "sites": "opened",
    "site_assessments": "on",
    "attendances": "on",
    "assessments": "on",
    "on_site_rescues": "on",
    "blood_drives": "on",
    "blood_donations": "on",
    "hla_matches": "on",
    "completed_donations": "on",
    "consent_withdrawals": "on",
    "refunds": "on",
    "reversals": "on",
    "balance_assertions": "on",
    "merges": "on",
}


def _postgresql_base() -> str:
    base = os.environ.get(POSTGRESQL_URL)
    if not base:
        if os.environ.get("CI"):
            pytest.fail(
                f"{POSTGRESQL_URL} is not set: CI must test the store on PostgreSQL "
                "(.ci/run starts a server with .ci/postgres.sh)"
            )
        pytest.skip(f"no PostgreSQL server: set {POSTGRESQL_URL} (. .ci/postgres.sh starts one)")
    return base


@contextlib.contextmanager
def _postgresql_schema() -> Iterator[str]:
    """The URL of a new schema of the test server, dropped afterwards."""
    base = sa.make_url(_postgresql_base())
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty store: an SQLite file, or a schema of its own on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
    else:
        with _postgresql_schema() as url:
            yield url


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A URL of an empty store on the PostgreSQL test server only."""
    with _postgresql_schema() as url:
        yield url


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _wipe(url: str) -> None:
    """Empty every table of the store at ``url`` (between Hypothesis' examples)."""
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            for table in TABLES:
                quoted = conn.dialect.identifier_preparer.quote(table)
                conn.execute(sa.text(f"DELETE FROM {quoted}"))
    finally:
        engine.dispose()


def _sql(url: str, statement: str, **params: Any) -> list[Any]:
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(sa.text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def gift(
    id: str,
    *,
    org: str = "qujing",
    on: date = date(2020, 3, 1),
    amount: str = "100.00",
    fund: str | None = None,
) -> Donation:
    return Donation(id=id, organization_id=org, received_on=on, value=Money(amount), fund_id=fund)


# -- round trips -------------------------------------------------------------------------------


@settings(
    max_examples=20,  # each example writes and reads a whole store (on PostgreSQL too)
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(dataset=datasets())
def test_a_dataset_comes_back_from_the_store_record_for_record(url: str, dataset: Dataset) -> None:
    with Store(url) as store:
        first = store.add_dataset(dataset)
        again = store.add_dataset(dataset)
        back = store.dataset(name=dataset.name)
    _wipe(url)
    assert back == dataset  # every collection, record for record, in the order added
    assert (first.added, first.unchanged, first.replaced) == (dataset.size(), 0, 0)
    assert (again.added, again.unchanged, again.replaced) == (0, dataset.size(), 0)
    assert first.by_collection == {n: (k, 0, 0) for n, k in dataset.counts().items() if k}


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(dataset=datasets(), period=periods())
def test_a_period_selects_the_records_dated_in_it_and_every_standing_record(
    url: str, dataset: Dataset, period: Period
) -> None:
    with Store(url) as store:
        store.add_dataset(dataset)
        got = store.dataset(period=period)
        counts = {name: store.count(name, period=period) for name in dataset.collection_types()}
    _wipe(url)

    def dated_in(record: Any, field: str) -> bool:
        value = getattr(record, field)
        if isinstance(value, Period):
            return value.start <= period.end and value.end >= period.start
        return bool(period.start <= value <= period.end)

    for name, records in dataset:
        field = DATED_BY.get(name)
        expected = records if field is None else tuple(r for r in records if dated_in(r, field))
        assert getattr(got, name) == expected, name
        assert counts[name] == len(expected), name


def test_iter_records_streams_one_collection_in_the_order_added(url: str) -> None:
    gifts = [gift(f"g{i:04d}", on=date(2015 + i % 6, 1 + i % 12, 1)) for i in range(2500)]
    with Store(url) as store:
        store.add(reversed(gifts))  # a generator, read as it comes
        streamed = store.iter_records("donations")
        assert next(streamed) == gifts[-1]
        rest = list(streamed)
        assert [gifts[-1], *rest] == gifts[::-1]
        in_2017 = list(store.iter_records("donations", period=2017))
    assert in_2017 == [g for g in gifts[::-1] if g.received_on.year == 2017]
    assert len(in_2017) == 417


# -- adding: all or nothing, no-ops, conflicts, replacing, deleting -----------------------------


def test_a_different_record_under_a_taken_id_is_refused_and_nothing_is_added(url: str) -> None:
    with Store(url) as store:
        store.add([gift("g1")])
        batch = [gift(f"new{i}") for i in range(1500)] + [gift("g1", amount="99.00")]
        with pytest.raises(StoreConflict) as caught:
            store.add(batch)
        assert caught.value.collection == "donations"
        assert caught.value.id == "g1"
        assert caught.value.fields == ("value",)
        assert "donations 'g1' is already in the store" in str(caught.value)
        assert "replace=True" in str(caught.value)
        assert store.count("donations") == 1  # the 1,500 new gifts went back out too
        assert list(store.iter_records("donations")) == [gift("g1")]
        assert store.history("donations", "g1") == ()


def test_the_same_id_twice_in_one_call_is_a_no_op_if_equal_and_a_conflict_if_not(
    url: str,
) -> None:
    with Store(url) as store:
        result = store.add([gift("g1"), gift("g1")])
        assert (result.added, result.unchanged) == (1, 1)
        with pytest.raises(StoreConflict):
            store.add([gift("g2"), gift("g2", amount="5.00")])
        assert store.count("donations") == 1


def test_replacing_keeps_the_old_record_in_the_history(url: str) -> None:
    before = datetime.now(UTC)
    with Store(url) as store:
        store.add([gift("g1"), gift("g2")], who="li.na")
        result = store.add([gift("g1", amount="120.00"), gift("g2")], replace=True, who="wang.fang")
        assert result == AddResult(
            added=0, unchanged=1, replaced=1, by_collection={"donations": (0, 1, 1)}
        )
        store.add([gift("g1", amount="130.00", org="qilin")], replace=True)
        assert store.dataset().donations == (gift("g1", amount="130.00", org="qilin"), gift("g2"))
        first, second = store.history("donations", "g1")
        assert store.history("donations", "g2") == ()
    assert first.change is Change.REPLACED
    assert (first.old, first.new) == (gift("g1"), gift("g1", amount="120.00"))
    assert first.who == "wang.fang"
    assert before <= first.at <= second.at <= datetime.now(UTC)
    assert first.changed() == ("value",)
    assert second.who is None
    assert second.changed() == ("organization_id", "value")


def test_deleting_is_explicit_and_kept_in_the_history(url: str) -> None:
    with Store(url) as store:
        store.add([gift("g1"), gift("g2"), gift("g3")])
        with pytest.raises(KeyError, match=r"donations has no record 'nope' in the store"):
            store.delete("donations", ["g1", "nope"])
        assert store.count("donations") == 3  # nothing was deleted
        assert store.delete("donations", ["g1", "g3"], who="li.na") == 2
        assert store.delete("donations", ["g1", "g2"], missing_ok=True) == 1
        assert store.count("donations") == 0
        (entry,) = store.history("donations", "g1")
        with pytest.raises(TypeError, match="'ids' must be a list of ids"):
            store.delete("donations", "g1")
        with pytest.raises(KeyError, match="the store keeps no collection 'gifts'"):
            store.delete("gifts", ["g1"])
        store.add([gift("g1")])  # a deleted id may be used again
        assert store.count("donations") == 1
    assert entry.change is Change.DELETED
    assert (entry.old, entry.new, entry.who) == (gift("g1"), None, "li.na")
    assert "value" in entry.changed()


def test_records_of_no_collection_are_refused(url: str) -> None:
    with Store(url) as store:
        with pytest.raises(TypeError, match="a Money is not a record of any collection"):
            store.add([gift("g1"), Money("1")])
        with pytest.raises(TypeError, match="donors keeps Donor records"):
            store.add([gift("g2")], collection="donors")
        assert store.count("donations") == 0


def test_progress_is_reported_while_adding_and_loading(url: str) -> None:
    gifts = [gift(f"g{i}") for i in range(2100)]
    added: list[tuple[int, int | None]] = []
    loaded: list[tuple[int, int | None]] = []
    with Store(url) as store:
        store.add(gifts, progress=lambda done, total: added.append((done, total)))
        store.add(iter([gift("x")]), progress=lambda done, total: added.append((done, total)))
        store.dataset(progress=lambda done, total: loaded.append((done, total)))
    assert added == [(1000, 2100), (2000, 2100), (2100, 2100), (1, None)]
    assert loaded[0] == (0, 2101)
    assert loaded[-1] == (2101, 2101)
    assert [d for d, _ in loaded] == sorted(d for d, _ in loaded)


# -- organisations ------------------------------------------------------------------------------


def _two_societies() -> Dataset:
    terms = LendingTerms(term_months=12, method=RepaymentMethod.FLAT)
    day = date(2020, 5, 1)
    orgs = [
        Organization(id=o, name=o, kind=OrgKind.RED_CROSS_SOCIETY, level=OrgLevel.COUNTY)
        for o in ("qj", "ql")
    ]
    funds = [
        Fund(id=f"{o}-fund", name="f", kind=FundKind.GENERAL, organization_id=o)
        for o in ("qj", "ql")
    ]
    programs = [Program(id=f"{o}-prog", name="p", organization_id=o) for o in ("qj", "ql")]
    projects = [
        Project(
            id=f"{o}-proj",
            name="p",
            kind=ProjectKind.OTHER,
            organization_id=o,
            period=Period.year(2020),
            budget=Money("1000"),
        )
        for o in ("qj", "ql")
    ]
    seed = [
        RevolvingFund(
            id=f"{o}-seed", name="s", project_id=f"{o}-proj", area_id="village", terms=terms
        )
        for o in ("qj", "ql")
    ]
    loans = [
        Loan(
            id=f"{o}-loan",
            fund_id=f"{o}-seed",
            household_id="h1",
            principal=Money("1000"),
            disbursed_on=day,
            purpose="pigs",
            terms=terms,
        )
        for o in ("qj", "ql")
    ]
    repayments = [
        Repayment(id=f"{o}-rep", loan_id=f"{o}-loan", paid_on=day, amount=Money("10"))
        for o in ("qj", "ql")
    ]
    cases = [
        Case.refer(
            id="case-prog", kind=CaseKind.MEDICAL, person_id="p1", program_id="qj-prog", on=day
        ),
        Case.refer(
            id="case-fund", kind=CaseKind.MEDICAL, person_id="p2", fund_id="ql-fund", on=day
        ),
    ]
    flows = [
        Flow(
            id="to-qj-fund",
            source=Party.donor("d1"),
            destination=Party.fund("qj-fund"),
            amount=Money("5"),
            on=day,
            kind=FlowKind.DONATION,
        ),
        Flow(
            id="from-ql",
            source=Party.organization("ql"),
            destination=Party.outside("bank"),
            amount=Money("5"),
            on=day,
            kind=FlowKind.ADMIN_EXPENSE,
        ),
    ]
    return Dataset(
        organizations=tuple(orgs),
        donors=(Donor(id="d1", kind=DonorKind.INDIVIDUAL),),
        donations=(gift("qj-gift", org="qj"), gift("ql-gift", org="ql")),
        funds=tuple(funds),
        programs=tuple(programs),
        projects=tuple(projects),
        revolving_funds=tuple(seed),
        loans=tuple(loans),
        repayments=tuple(repayments),
        cases=tuple(cases),
        flows=tuple(flows),
    )


def test_organizations_select_their_records_and_those_tied_to_them(url: str) -> None:
    everything = _two_societies()
    with Store(url) as store:
        store.add_dataset(everything)
        qj = store.dataset(organizations=["qj"])
        both = store.dataset(organizations=["qj", "ql"])
        nobody = store.dataset(organizations=[])
        gifts = list(store.iter_records("donations", organizations=["ql"], period=2020))
    assert both == everything
    ids = {name: [r.id for r in records] for name, records in qj if records}
    assert ids == {
        "organizations": ["qj"],
        "donors": ["d1"],  # shared: loaded whole
        "donations": ["qj-gift"],
        "funds": ["qj-fund"],
        "flows": ["to-qj-fund"],  # to one of its funds
        "cases": ["case-prog"],  # through its programme
        "programs": ["qj-prog"],
        "projects": ["qj-proj"],
        "revolving_funds": ["qj-seed"],  # through its project
        "loans": ["qj-loan"],  # through the seed fund
        "repayments": ["qj-rep"],  # through the loan
    }
    assert [r.id for r in nobody.donations] == []
    assert nobody.donors == everything.donors
    assert [g.id for g in gifts] == ["ql-gift"]


# -- the tables -----------------------------------------------------------------------------------


def test_money_is_exact_dates_are_dates_and_enums_are_checked(url: str) -> None:
    big = "12345678901234.56"
    with Store(url) as store:
        store.add([gift("g1", amount=big)])
        assert store.dataset().donations[0].value == Money(big)
    kind = _sql(url, "SELECT value, value_currency, received_on FROM donations")[0]
    if url.startswith("sqlite"):
        assert kind == (big, "CNY", "2020-03-01")  # exact decimal text; ISO date text
    else:
        assert kind == (Decimal(big), "CNY", date(2020, 3, 1))
        types = dict(
            _sql(
                url,
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = 'donations' AND table_schema = current_schema()",
            )
        )
        assert types["value"] == "numeric"
        assert types["received_on"] == "date"
        assert types["items"] == "jsonb"
    with pytest.raises(sa.exc.IntegrityError):
        _sql(url, "UPDATE donations SET channel = 'carrier pigeon'")


def test_a_row_edited_into_an_invalid_record_is_reported_with_its_id(url: str) -> None:
    with Store(url) as store:
        store.add([gift("g1")])
        _sql(url, "UPDATE donations SET value = '-5.00'")
        with pytest.raises(InvalidInput, match=r"in donations 'g1' in the store:\n  \$\.value"):
            store.dataset()


def test_a_store_written_by_a_newer_humanaid_is_refused(url: str) -> None:
    Store(url).close()
    newer = str(SCHEMA_VERSION + 1)
    _sql(url, "UPDATE humanaid_meta SET value = :v WHERE key = 'schema_version'", v=newer)
    with pytest.raises(StoreVersionError, match=f"store schema version {newer}.*upgrade humanaid"):
        Store(url)


def test_a_store_made_for_other_records_is_refused(url: str) -> None:
    Store(url).close()
    _sql(
        url,
        "UPDATE humanaid_meta SET value = value || ', wish text' WHERE key = 'columns:donations'",
    )
    with pytest.raises(StoreVersionError, match=r"table 'donations': the store has wish text"):
        Store(url)


def test_a_missing_store_is_not_made_when_create_is_off(tmp_path: Path) -> None:
    path = tmp_path / "nothing.db"
    with pytest.raises(FileNotFoundError, match="no store at"):
        Store(path, create=False)
    with pytest.raises(FileNotFoundError, match="no store at"):
        Store(f"sqlite:///{path}", create=False)
    assert not path.exists()
    with Store(path) as store:  # a path: an SQLite file, made
        assert store.url == f"sqlite:///{path}"
        assert repr(store) == f"Store('sqlite:///{path}')"
    Store(path, create=False).close()
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    with db:
        db.execute("CREATE TABLE notes (text TEXT)")
    db.close()
    with pytest.raises(FileNotFoundError, match="holds no humanaid store"):
        Store(other, create=False)


def test_the_url_shown_hides_the_password(postgresql_url: str) -> None:
    given = sa.make_url(postgresql_url).set(password="s3cret").render_as_string(hide_password=False)
    with Store(given) as store:  # the test server trusts local connections
        assert "s3cret" not in store.url
        assert "s3cret" not in repr(store)
        assert "***" in store.url


@attrs.frozen(kw_only=True)
class Village:
    id: str = id_field()
    organization_id: str = ref_field("organizations")
    visited_on: date = date_field()
    twin_id: str | None = ref_field("villages", optional=True)


@attrs.frozen(kw_only=True)
class VillageData(Dataset):
    villages: tuple[Village, ...] = collection(Village)


def test_a_dataset_class_of_your_own_is_kept_and_selected_by_its_own_fields(url: str) -> None:
    villages = [
        Village(id="v1", organization_id="qj", visited_on=date(2019, 5, 1)),
        Village(id="v2", organization_id="ql", visited_on=date(2020, 5, 1), twin_id="v1"),
    ]
    with Store(url, dataset_type=VillageData) as store:
        store.add(villages)
        assert store.dataset() == VillageData(villages=tuple(villages))
        assert store.dataset(period=2020) == VillageData(villages=(villages[1],))
        assert store.dataset(organizations=["qj"]) == VillageData(villages=(villages[0],))
        with pytest.raises(TypeError, match="this store keeps VillageData collections"):
            store.add_dataset(Dataset())


def test_a_store_needs_the_sql_extra() -> None:
    code = (
        "import sys; sys.modules['sqlalchemy'] = None\n"
        "from humanaid.store import Store\n"
        "try:\n    Store(':memory:')\nexcept ImportError as e:\n    print(e)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "pip install 'humanaid[sql]'" in out


# -- writers in parallel processes ----------------------------------------------------------------

WRITERS = 4
GIFTS_EACH = 120
CALLS_EACH = 6


def _writer(url: str, writer: int) -> int:
    shared = gift("shared")
    added = 0
    with Store(url) as store:
        per_call = GIFTS_EACH // CALLS_EACH
        for call in range(CALLS_EACH):
            first = call * per_call
            batch = [gift(f"w{writer}-{i}") for i in range(first, first + per_call)]
            added += store.add([shared, *batch], who=f"writer {writer}").added
    return added


def test_writers_in_parallel_processes_lose_nothing(url: str) -> None:
    Store(url).close()  # the tables exist before the writers start
    context = multiprocessing.get_context("spawn")
    with context.Pool(WRITERS) as pool:
        added = pool.starmap(_writer, [(url, w) for w in range(WRITERS)])
    with Store(url) as store:
        ids = sorted(g.id for g in store.iter_records("donations"))
    expected = sorted(["shared", *(f"w{w}-{i}" for w in range(WRITERS) for i in range(GIFTS_EACH))])
    assert ids == expected
    assert sum(added) == len(expected)  # the shared gift was added once, a no-op elsewhere


@given(st.integers(min_value=2000, max_value=2030))
def test_a_year_is_a_period(year: int) -> None:
    with Store(":memory:") as store:
        store.add([gift("g", on=date(year, 6, 1))])
        assert store.count("donations", period=year) == 1
        assert store.count("donations", period=Period.year(year + 1)) == 0
        with pytest.raises(TypeError, match="'period' must be a Period or a year"):
            store.count("donations", period="2020")  # type: ignore[arg-type]
