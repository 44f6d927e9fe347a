"""Columnar twins: every engine gives the table the Python loop gives, row for row, to the fen."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path
from typing import Any, cast

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import (
    Dataset,
    Donation,
    DonationForm,
    Donor,
    DonorKind,
    Money,
    Refund,
    fundraising_summary,
    top_donors,
)
from humanaid.aggregate import (
    all_of,
    any_of,
    area_key,
    count,
    distinct,
    field_between,
    field_in,
    field_is,
    field_not_empty,
    field_not_in,
    lookup_key,
    period_key,
    sum_of,
    tabulate,
    total,
)
from humanaid.errors import CurrencyMismatch
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import (
    ENGINES,
    ColumnarFallbackWarning,
    ColumnarSource,
    scan,
    write_parquet_dataset,
)
from humanaid.testing import donations, donors

pytest.importorskip("duckdb")
pytest.importorskip("polars")
pytest.importorskip("dask")

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _unique(gifts: list[Donation]) -> list[Donation]:
    return [attrs.evolve(g, id=f"g{i}") for i, g in enumerate(gifts)]


def _queries(index: dict[str, Donor]) -> list[dict[str, Any]]:
    cny = "CNY"
    return [
        {"by": (), "measures": {"raised": total("value", currency=cny), "gifts": count()}},
        {
            "by": {"month": period_key("received_on", "month"), "channel": "channel"},
            "measures": {
                "raised": total("value", currency=cny),
                "in kind": total(
                    "value", currency=cny, where=field_is("form", DonationForm.IN_KIND)
                ),
                "fees": total("fees", currency=cny),
                "gifts": count(),
                "donors": distinct("donor_id"),
            },
        },
        {
            "by": {
                "year": period_key("received_on"),
                "quarter": period_key("received_on", "quarter"),
            },
            "measures": {"raised": total("value"), "campaigns": distinct("campaign_id")},
        },
        {
            "by": {"kind": lookup_key("donor_id", index, "kind")},
            "measures": {"raised": total("value", currency=cny), "donors": distinct("donor_id")},
            "where": field_between("received_on", date(2015, 1, 1), date(2030, 12, 31)),
        },
        {
            "by": {"area": area_key("organization_id", {"org-a": "org-top", "org-b": "org-top"})},
            "measures": {
                "gifts": count(where=field_is("donor_id", None)),
                "platforms": distinct("platform"),
            },
        },
        {
            "by": ("value.currency", "form"),
            "measures": {"amount": sum_of("value.amount"), "gifts": count()},
        },
        {
            "by": "channel",
            "measures": {
                "goods": count(where=field_not_empty("items")),
                "known": count(where=field_not_in("donor_id", [None])),
                "elsewhere": count(where=field_not_in("organization_id", ["org-a", "org-z"])),
                "donors": distinct("donor_id", where=field_in("form", [DonationForm.CASH])),
            },
            "where": all_of(
                field_in("organization_id", ["org-a", "org-b"]),
                field_not_in("donor_id", list(index)[:1]),
            ),
        },
        {
            "by": "organization_id",
            "measures": {
                "either": count(where=any_of(field_is("donor_id", None), field_not_empty("items"))),
                "raised": total("value", currency=cny),
            },
            "where": any_of(
                field_is("organization_id", "org-a"),
                all_of(field_is("channel", "offline"), field_not_in("donor_id", [None])),
            ),
        },
    ]


@st.composite
def _gift_sets(draw: st.DrawFn) -> tuple[list[Donation], dict[str, Donor]]:
    people = draw(st.lists(donors(), max_size=5, unique_by=lambda d: d.id))
    ids = [d.id for d in people]
    gifts = draw(st.lists(donations(currency=draw(st.sampled_from(["CNY", "USD"]))), max_size=25))
    gifts += draw(st.lists(donations(), max_size=25))
    out = []
    for i, g in enumerate(gifts):
        donor = draw(st.none() | st.sampled_from(ids)) if ids else None
        org = draw(st.sampled_from(["org-a", "org-b", "org-c"]))
        out.append(attrs.evolve(g, id=f"g{i}", donor_id=donor, organization_id=org))
    return out, {d.id: d for d in people}


@pytest.mark.parametrize("engine", ENGINES)
@SETTINGS
@given(data=_gift_sets())
def test_columnar_tabulate_equals_the_python_loop(
    engine: str, data: tuple[list[Donation], dict[str, Donor]]
) -> None:
    gifts, index = data
    table = to_arrow(gifts, Donation)
    source = scan(table, Donation, engine=engine, rows_per_part=7)
    for query in _queries(index):
        try:
            expected = tabulate(gifts, **query)
        except CurrencyMismatch:
            with pytest.raises(CurrencyMismatch):
                tabulate(source, **query)
            continue
        got = tabulate(source, **query)
        assert got == expected, query
        assert got.to_rows() == expected.to_rows()


@st.composite
def _conditions(draw: st.DrawFn, depth: int = 2) -> Any:
    """A condition on a gift: field tests, ``all_of`` and ``any_of`` of them, nested."""
    leaves = st.one_of(
        st.lists(st.sampled_from(["org-a", "org-b", "org-c", "org-z"]), min_size=1).map(
            lambda v: field_in("organization_id", v)
        ),
        st.lists(st.none() | st.sampled_from(["d0", "d1"]), min_size=1).map(
            lambda v: field_not_in("donor_id", v)
        ),
        st.sampled_from([DonationForm.CASH, DonationForm.IN_KIND]).map(
            lambda f: field_is("form", f)
        ),
        st.dates(date(2015, 1, 1), date(2030, 1, 1)).map(
            lambda d: field_between("received_on", d, date(d.year + 2, 12, 31))
        ),
        st.just(field_not_empty("items")),
        st.just(field_is("donor_id", None)),
    )
    if depth == 0:
        return draw(leaves)
    parts = draw(st.lists(leaves | _conditions(depth - 1), min_size=1, max_size=3))
    return draw(st.sampled_from([any_of, all_of]))(*parts)


@pytest.mark.parametrize("engine", ENGINES)
@SETTINGS
@given(data=_gift_sets(), condition=_conditions())
def test_any_of_keeps_in_every_engine_the_records_python_keeps(
    engine: str, tmp_path_factory: pytest.TempPathFactory, data: Any, condition: Any
) -> None:
    gifts, _ = data
    expected = [g for g in gifts if condition(g)]
    query: dict[str, Any] = {
        "by": "channel",
        "measures": {"n": count(), "kept": count(where=condition)},
        "where": any_of(condition, field_is("form", DonationForm.CASH)),
    }
    sources = [scan(to_arrow(gifts, Donation), Donation, engine=engine)]
    if gifts:  # (no rows, no file)
        path = tmp_path_factory.mktemp("gifts")
        write_parquet_dataset(gifts, path, date_field="received_on")
        sources.append(scan(path, Donation, engine=engine, rows_per_part=10))
    for source in sources:
        assert tabulate(source, **query).to_rows() == tabulate(gifts, **query).to_rows()
        picked = source.select(condition)
        assert sorted(g.id for g in picked) == sorted(g.id for g in expected)
        # (pyarrow's mask: the columns of a narrowed source are filtered by it)
        kept = source.narrowed(condition).values_by_id("channel")
        assert kept == {g.id: g.channel for g in expected}


def test_any_of_needs_conditions_and_flattens() -> None:
    a, b, c = field_is("form", "cash"), field_is("channel", "offline"), field_is("id", "g1")
    assert any_of(a) is a
    assert any_of(any_of(a, b), c) == any_of(a, b, c)
    with pytest.raises(ValueError, match="at least one condition"):
        any_of()
    with pytest.raises(TypeError, match="function of a record"):
        any_of(a, None)


def _never_read_back(self: ColumnarSource) -> Any:
    raise AssertionError("the records were read back: the query did not run in the engine")


@pytest.mark.parametrize("engine", ENGINES)
@SETTINGS
@given(data=_gift_sets())
def test_columnar_summary_equals_its_python_twin(
    engine: str, data: tuple[list[Donation], dict[str, Donor]], tmp_path_factory: Any
) -> None:
    gifts, index = data
    gifts = [g for g in gifts if g.value.currency == "CNY" and g.fees.currency == "CNY"]
    folder = tmp_path_factory.mktemp("parquet")
    # the twin runs in the engine: reading the records back would be the Python loop
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(ColumnarSource, "__iter__", _never_read_back)
        write_parquet_dataset(gifts, folder, Donation, date_field="received_on")
        for source in (
            scan(to_arrow(gifts, Donation), Donation, engine=engine),
            *([scan(folder, Donation, engine=engine, rows_per_part=5)] if gifts else []),
        ):
            for by in ("channel", ("form", "organization"), ()):
                expected = fundraising_summary(gifts, by=by, granularity="year")
                assert fundraising_summary(source, by=by, granularity="year") == expected
            by_kind = fundraising_summary(gifts, 2020, by="donor_kind", donors=index)
            assert fundraising_summary(source, 2020, by="donor_kind", donors=index) == by_kind
            assert top_donors(source, n=3, donors=index) == top_donors(gifts, n=3, donors=index)


def test_partitioned_parquet_keeps_every_record(tmp_path: Path) -> None:
    gifts = [
        Donation(
            id=f"g{i}",
            organization_id=org,
            received_on=date(2019 + i % 3, 1 + i % 12, 1),
            value=Money(f"{i + 1}.25"),
            receipt_number=f"R{i}",
        )
        for i, org in enumerate(["qj", "lp/1", "qj", "xw"] * 5)
    ]
    files = write_parquet_dataset(gifts, tmp_path, date_field="received_on", batch_size=3)
    assert {f.parent.parent.name for f in files} == {"year=2019", "year=2020", "year=2021"}
    assert "organization=lp%2F1" in {f.parent.name for f in files}
    back = sorted(scan(tmp_path, Donation), key=lambda g: int(g.id[1:]))
    assert back == gifts


def test_a_python_function_in_a_query_falls_back_with_a_warning() -> None:
    gifts = [
        Donation(id="g1", organization_id="qj", received_on=date(2020, 1, 1), value=Money("5"))
    ]
    source = scan(to_arrow(gifts), Donation)
    query: dict[str, Any] = {
        "by": {"big": lambda g: g.value.amount > 1},
        "measures": {"n": count()},
    }
    with pytest.warns(ColumnarFallbackWarning, match="Python function"):
        got = tabulate(source, **query)
    assert got == tabulate(gifts, **query)


def test_a_gift_in_another_currency_is_reported_as_by_the_loop() -> None:
    gifts = [
        Donation(
            id="g1", organization_id="qj", received_on=date(2020, 1, 1), value=Money("5", "USD")
        )
    ]
    expected = fundraising_summary(gifts, by="channel")
    for engine in ENGINES:
        got = fundraising_summary(scan(to_arrow(gifts), Donation, engine=engine), by="channel")
        assert got == expected
        assert [f.rule for f in got.findings] == [f.rule for f in expected.findings]
        with pytest.raises(CurrencyMismatch, match="USD"):
            tabulate(
                scan(to_arrow(gifts), Donation, engine=engine),
                measures={"r": total("value", currency="CNY")},
            )


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'engine' must be one of"):
        scan(to_arrow([], Donation), Donation, engine="spark")
    with pytest.raises(FileNotFoundError, match="no Parquet files"):
        scan(tmp_path, Donation)
    with pytest.raises(TypeError, match=r"pyarrow\.Table, a Parquet file or a directory"):
        scan([1, 2], Donation)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert top_donors(scan(to_arrow([], Donation), Donation)).rows == ()


def test_a_dataset_keeps_a_columnar_collection_and_its_summaries_run_in_the_engine(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gifts = [
        Donation(
            id=f"g{i}",
            organization_id="qj",
            received_on=date(2020, 1 + i % 12, 1),
            value=Money(f"{i + 1}.50"),
            receipt_number=f"R{i}",
        )
        for i in range(30)
    ]
    source: Any = scan(to_arrow(gifts, Donation), Donation)
    ds = Dataset(donations=source)
    assert ds.donations is source
    assert len(ds.donations) == 30
    assert ds.counts()["donations"] == 30
    plain = Dataset(donations=tuple(gifts))
    expected = fundraising_summary(plain, 2020, by="channel")
    found = plain.validate()
    # the findings come from elsewhere (scan_dataset keeps them beside the files): the
    # summary then reads no gift back, the booked gifts included
    ds.derived("summaries:validated", lambda _: found)
    monkeypatch.setattr(ColumnarSource, "__iter__", _never_read_back)
    assert fundraising_summary(ds, 2020, by="channel") == expected
    with pytest.raises(TypeError, match=r"'cases' must hold Case records .*'Donation'"):
        Dataset(cases=cast(Any, source))


# -- DuckDB settings for bounded memory (scan(..., duckdb_settings=); benchmarks/hundred_million.py)


@pytest.mark.parametrize("engine", ["duckdb", "dask"])
@SETTINGS
@given(data=_gift_sets())
def test_duckdb_settings_never_change_a_summary(
    engine: str, data: tuple[list[Donation], dict[str, Donor]]
) -> None:
    from humanaid.interop.columnar import BOUNDED_MEMORY

    gifts, _ = data
    table = to_arrow([g for g in gifts if g.value.currency == "CNY"], Donation)
    bounded = {**BOUNDED_MEMORY, "threads": 1, "memory_limit": "256MB"}
    plain = fundraising_summary(scan(table, Donation, engine=engine), by="channel")
    limited = scan(table, Donation, engine=engine, duckdb_settings=bounded, rows_per_part=7)
    assert fundraising_summary(limited, by="channel") == plain


def test_duckdb_settings_reach_duckdb_and_a_bad_one_is_a_clear_error() -> None:
    import duckdb

    gift = Donation(id="g1", organization_id="qj", received_on=date(2020, 1, 1), value=Money("5"))
    table = to_arrow([gift], Donation)
    with pytest.raises(TypeError, match="'duckdb_settings' must be a mapping"):
        scan(table, Donation, duckdb_settings=[("threads", 1)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no_such_option"):  # DuckDB's verdict, when scanned
        scan(table, Donation, duckdb_settings={"no_such_option": 1})
    unchecked = ColumnarSource(
        data=table, record_type=Donation, duckdb_settings={"no_such_option": 1}
    )
    with pytest.raises(duckdb.Error, match="no_such_option"):
        fundraising_summary(unchecked, by="channel")
    with pytest.raises(duckdb.Error, match="no_such_option"):  # the small queries too
        unchecked.repeated("donor_id")
    source = scan(table, Donation, duckdb_settings={"threads": 1})
    assert source.duckdb_settings == {"threads": 1}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_narrowed_source_keeps_its_conditions_in_every_query_and_read(
    engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gifts = [
        Donation(
            id=f"g{i}",
            organization_id=("qj", "xw")[i % 2],
            donor_id=None if i % 3 == 0 else f"d{i % 4}",
            received_on=date(2020, 1 + i % 12, 1),
            value=Money(f"{i + 1}.25"),
            receipt_number=f"R{i}",
            transaction_ref=f"T{i % 5}" if i % 2 else None,
        )
        for i in range(40)
    ]
    write_parquet_dataset(gifts, tmp_path, date_field="received_on")
    for source in (
        scan(to_arrow(gifts, Donation), Donation, engine=engine),
        scan(tmp_path, Donation, engine=engine, rows_per_part=10),
    ):
        assert source.repeated("transaction_ref") == frozenset({"T0", "T1", "T2", "T3", "T4"})
        kept = source.without("id", ["g1", "g2"]).narrowed(None, field_is("organization_id", "qj"))
        expected = [g for g in gifts if g.id not in ("g1", "g2") and g.organization_id == "qj"]
        assert len(kept) == len(expected)
        assert sorted(g.id for g in kept) == sorted(g.id for g in expected)
        query: dict[str, Any] = {
            "by": "donor_id",
            "measures": {"n": count(), "raised": total("value")},
        }
        monkeypatch.setattr(ColumnarSource, "__iter__", _never_read_back)
        assert tabulate(kept, **query) == tabulate(expected, **query)
        assert sorted(g.id for g in kept.matching("donor_id", ["d2", None])) == sorted(
            g.id for g in expected if g.donor_id in ("d2", None)
        )
        assert kept.select(field_between("received_on", date(2020, 3, 1), date(2020, 3, 31))) == [
            g for g in expected if g.received_on.month == 3
        ]
        donors_ = [g.donor_id for g in gifts if g.donor_id is not None]
        assert source.repeated("donor_id") == {d for d in donors_ if donors_.count(d) > 1}
        with pytest.raises(ValueError, match="a condition the engines run"):
            source.select(lambda g: True)
        monkeypatch.undo()


# -- top_donors: the engine returns only the donors that can make the list ---------------------


@st.composite
def _tied_gifts(
    draw: st.DrawFn,
) -> tuple[list[Donation], list[Donor], list[Refund], int]:
    """Gifts of few distinct amounts (ties at every cut), to known, anonymous, unknown or
    no donors, some refunded in part or whole, and how many donors to list."""
    people = draw(st.lists(donors(), min_size=1, max_size=8, unique_by=lambda d: d.id))
    people += draw(st.lists(donors(kinds=[DonorKind.ANONYMOUS]), max_size=3))
    people = list({d.id: d for d in people}.values())
    ids = [d.id for d in people] + ["d-unlisted"]
    base = draw(st.lists(donations(forms=[DonationForm.CASH]), max_size=30))
    gifts = []
    for i, g in enumerate(base):
        value = Money(draw(st.sampled_from(["5.00", "10.00", "10.00", "25.50"])))
        donor = draw(st.none() | st.sampled_from(ids))
        gifts.append(attrs.evolve(g, id=f"g{i}", donor_id=donor, value=value, fees=Money("0")))
    refunds = []
    for i, g in enumerate(draw(st.lists(st.sampled_from(gifts), unique=True)) if gifts else []):
        amount = draw(st.sampled_from([g.value, Money("5.00")]))
        refunds.append(
            Refund(
                id=f"r{i}",
                donation_id=g.id,
                on=g.received_on,
                amount=amount,
                reason="duplicate payment",
            )
        )
    return gifts, people, refunds, draw(st.integers(0, 6))


@pytest.mark.parametrize("engine", ENGINES)
@SETTINGS
@given(data=_tied_gifts())
def test_top_donors_cut_in_the_engine_equals_the_python_list(
    engine: str, data: tuple[list[Donation], list[Donor], list[Refund], int]
) -> None:
    gifts, people, refunds, n = data
    index = {d.id: d for d in people}
    source = scan(to_arrow(gifts, Donation), Donation, engine=engine, rows_per_part=7)
    expected = top_donors(gifts, n=n, donors=index)
    assert top_donors(source, n=n, donors=index) == expected
    assert top_donors(source, n=n, donors=people) == expected
    # from a dataset, each donor's refunds are netted after the engine's cut
    plain = Dataset(donations=tuple(gifts), donors=tuple(people), refunds=tuple(refunds))
    columnar = Dataset(donations=cast(Any, source), donors=tuple(people), refunds=tuple(refunds))
    assert top_donors(columnar, n=n).rows == top_donors(plain, n=n).rows
