from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from datetime import date

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from humanaid import (
    Boundary,
    Dataset,
    Finding,
    Organization,
    OrgKind,
    Severity,
    campaign_summary,
    collection,
    from_json,
    fundraising_summary,
    id_field,
    medical_summary,
    project_summary,
    ref_field,
    relief_summary,
    to_json,
    validate,
    year_at_a_glance,
)
from humanaid.rules import BUILTIN_RULES
from humanaid.testing import datasets, ids, summary_datasets


@attrs.frozen(kw_only=True)
class Area:
    id: str = id_field()
    parent_id: str | None = ref_field("areas", optional=True)


@attrs.frozen(kw_only=True)
class Site:
    id: str = id_field()
    area_id: str = ref_field("areas")
    elsewhere_id: str | None = ref_field("not_here", optional=True)


@attrs.frozen(kw_only=True)
class SiteData(Dataset):
    areas: tuple[Area, ...] = collection(Area)
    places: tuple[Site, ...] = collection(Site)


def test_collections_are_declared_on_the_class() -> None:
    types = SiteData.collection_types()
    assert (types["areas"], types["places"]) == (Area, Site)
    assert set(Dataset.collection_types()) < set(types)  # the library's own, plus these
    ds = SiteData(areas=(Area(id="a1"),), places=())
    assert ds.areas == (Area(id="a1"),)
    assert ds.counts()["areas"] == 1
    assert ds.counts()["places"] == 0
    assert ds.size() == 1
    assert repr(ds) == "SiteData(areas=1)"
    # Lists are converted to tuples at run time (typed code passes tuples).
    assert SiteData(areas=[Area(id="a1")]) == ds  # type: ignore[arg-type]


def test_collections_refuse_records_of_another_type() -> None:
    with pytest.raises(TypeError, match=r"'places\[1\]' must be a Site \(got Area\)"):
        SiteData(places=(Site(id="s", area_id="a"), Area(id="a")))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'areas' must be a sequence of Area"):
        SiteData(areas="a1")  # type: ignore[arg-type]


def test_index_and_get() -> None:
    ds = SiteData(
        areas=(
            Area(id="a1"),
            Area(id="a2"),
            Area(id="a1", parent_id="a2"),
        )
    )
    assert ds.get("areas", "a1") == Area(id="a1")  # the first wins
    assert ds.get("areas", "zz") is None
    assert set(ds.index("areas")) == {"a1", "a2"}
    assert ds.index("areas") is ds.index("areas")
    with pytest.raises(KeyError, match="has no collection 'spaceships'"):
        ds.records("spaceships")


@given(st.lists(st.tuples(st.sampled_from(["a1", "a2", "a3", "b"]), st.booleans()), max_size=12))
def test_an_index_maps_each_id_to_its_first_record_in_order(
    drawn: list[tuple[str, bool]],
) -> None:
    # The definition: a loop that keeps the first record of each id, ids in first-seen
    # order (the index is built at C speed when no id repeats, by that loop otherwise).
    areas = tuple(Area(id=i, parent_id="b" if under else None) for i, under in drawn)
    first: dict[str, Area] = {}
    for area in areas:
        first.setdefault(area.id, area)
    index = SiteData(areas=areas).index("areas")
    assert list(index.items()) == list(first.items())
    assert all(index[i] is first[i] for i in first)


@given(
    st.lists(
        st.tuples(st.sampled_from(["a1", "a2", "a3"]), st.none() | st.sampled_from(["a1", "a9"]))
    ),
    st.lists(st.sampled_from(["a1", "a2", "a8", "a9"]), max_size=8),
)
def test_missing_references_are_each_record_checked_in_turn(
    areas_drawn: list[tuple[str, str | None]], places_drawn: list[str]
) -> None:
    from humanaid.rules.integrity import missing_references

    ds = SiteData(
        areas=tuple(Area(id=i, parent_id=p) for i, p in areas_drawn),
        places=tuple(Site(id=f"s{n}", area_id=a) for n, a in enumerate(places_drawn)),
    )
    # the definition: every record's every reference, in the collections' order
    expected = []
    for name, field, rows in (("areas", "parent_id", ds.areas), ("places", "area_id", ds.places)):
        for record in rows:
            value = getattr(record, field)
            if value is not None and value not in {a.id for a in ds.areas}:
                expected.append(
                    Finding(
                        rule="integrity.missing-reference",
                        severity=Severity.ERROR,
                        subject=record.id,
                        message=f"{name} {record.id!r} refers in {field!r} to {value!r}, "
                        "which is not in 'areas'",
                        figures={"collection": name, "field": field, "target": "areas"},
                    )
                )
    assert list(missing_references(ds)) == expected


def test_add_returns_a_new_dataset() -> None:
    ds = SiteData(areas=(Area(id="a1"),))
    more = ds.add(places=(Site(id="s1", area_id="a1"),))
    assert ds.places == ()
    assert more.places == (Site(id="s1", area_id="a1"),)
    with pytest.raises(TypeError, match="'spaceships' is not a collection"):
        ds.add(spaceships=[])


def test_duplicate_ids_and_missing_references_are_findings() -> None:
    ds = SiteData(
        areas=(
            Area(id="a1"),
            Area(id="a1"),
            Area(id="a2", parent_id="a9"),
        ),
        places=(
            Site(id="s1", area_id="a1"),
            Site(id="s2", area_id="nowhere", elsewhere_id="x"),
        ),
    )
    found = ds.validate()
    assert [(f.rule, f.subject) for f in found] == [
        ("integrity.duplicate-id", "a1"),
        ("integrity.missing-reference", "a2"),
        ("integrity.missing-reference", "s2"),
    ]
    assert all(f.severity is Severity.ERROR for f in found)
    assert found[2].figures == {"collection": "places", "field": "area_id", "target": "areas"}
    assert validate(ds) == found


def test_a_clean_dataset_has_no_findings() -> None:
    ds = SiteData(
        areas=(
            Area(id="a1"),
            Area(id="a2", parent_id="a1"),
        ),
        places=(Site(id="s", area_id="a2"),),
    )
    assert ds.validate() == ()
    assert ds.validate().ok


def test_user_rules_run_after_the_builtin_ones() -> None:
    def no_sites(dataset: Dataset) -> Iterator[Finding]:
        if not dataset.records("places"):
            yield Finding(rule="mine.no-sites", severity="warning", message="no sites yet")

    ds = SiteData(
        areas=(
            Area(id="a"),
            Area(id="a"),
        )
    )
    assert [f.rule for f in ds.validate([no_sites])] == ["integrity.duplicate-id", "mine.no-sites"]
    assert [f.rule for f in ds.validate([no_sites], builtin=False)] == ["mine.no-sites"]
    assert type(BUILTIN_RULES) is tuple  # an immutable tuple, not a registry to append to


def test_a_rule_that_crashes_is_named() -> None:
    def broken(dataset: Dataset) -> Iterator[Finding]:
        raise RuntimeError("bug in my rule")

    with pytest.raises(RuntimeError) as info:
        SiteData().validate([broken])
    assert any("broken" in note for note in info.value.__notes__)


def test_dataset_round_trips_through_json() -> None:
    ds = SiteData(name="2020", areas=(Area(id="a1"),), places=(Site(id="s", area_id="a1"),))
    assert from_json(to_json(ds), SiteData) == ds


@given(datasets(cls=SiteData, collections={"areas": ids().map(lambda i: Area(id=i))}))
def test_generated_datasets_have_unique_ids(ds: SiteData) -> None:
    assert not ds.validate().where(rule="integrity.duplicate-id")
    assert from_json(to_json(ds), SiteData) == ds


def test_a_collection_of_records_without_ids_is_checked_without_them() -> None:
    @attrs.frozen(kw_only=True)
    class Membership:
        area_id: str = ref_field("areas")

    @attrs.frozen(kw_only=True)
    class Links(SiteData):
        memberships: tuple[Membership, ...] = collection(Membership)

    ds = Links(
        areas=(Area(id="a1"),), memberships=(Membership(area_id="a1"), Membership(area_id="zz"))
    )
    (finding,) = ds.validate()
    assert finding.rule == "integrity.missing-reference"
    assert finding.subject is None
    assert finding.message == "memberships[1] refers in 'area_id' to 'zz', which is not in 'areas'"
    with pytest.raises(TypeError, match="have no 'id' to index them by"):
        ds.index("memberships")


def test_a_dataset_survives_pickle_and_deepcopy_after_lookups() -> None:
    import copy
    import pickle

    ds = SiteData(areas=(Area(id="a1"),), places=(Site(id="s", area_id="a1"),))
    assert ds.get("areas", "a1") == Area(id="a1")
    ds.validate()
    again = pickle.loads(pickle.dumps(ds))
    assert again == ds
    assert again.get("areas", "a1") == Area(id="a1")
    assert copy.deepcopy(ds) == ds


def test_derived_values_and_indexes_do_not_share_a_cache_key() -> None:
    ds = SiteData(areas=(Area(id="a1"),))
    assert ds.derived("areas", lambda d: "not an index") == "not an index"
    assert ds.index("areas") == {"a1": Area(id="a1")}
    ds.derived("ledger", lambda d: "LEDGER")
    with pytest.raises(KeyError, match="no collection 'derived:ledger'"):
        ds.index("derived:ledger")


def test_a_derived_value_of_none_is_computed_once() -> None:
    calls: list[int] = []

    def make(dataset: SiteData) -> None:
        calls.append(1)

    ds = SiteData()
    ds.derived("nothing", make)
    ds.derived("nothing", make)
    assert calls == [1]


def test_a_rule_that_yields_something_else_is_named() -> None:
    def sloppy(dataset: Dataset) -> Iterator[Finding]:
        yield "not a finding"  # type: ignore[misc]

    with pytest.raises(TypeError, match="must yield Finding values") as info:
        SiteData().validate([sloppy])
    assert any("sloppy" in note for note in info.value.__notes__)


def test_one_rule_given_without_a_list_is_a_clear_error() -> None:
    def mine(dataset: Dataset) -> Iterator[Finding]:
        yield from ()

    with pytest.raises(TypeError, match=r"rules must be an iterable of rules.*\[mine\]"):
        SiteData().validate(mine)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rule 'abc' is not callable"):
        SiteData().validate(["abc"])  # type: ignore[list-item]


def test_the_builtin_rules_run_once_per_dataset_and_progress_still_counts_them() -> None:
    from humanaid import Donation, Money

    gift = Donation(id="g1", organization_id="rc", received_on=date(2020, 1, 1),
                    value=Money("100"), donor_id="nobody")  # fmt: skip
    ds = Dataset(donations=(gift, gift))
    steps: list[tuple[int, int | None]] = []
    first = ds.validate(progress=lambda done, total: steps.append((done, total)))
    again = ds.validate(progress=lambda done, total: steps.append((done, total)))
    assert first  # a duplicate id at least
    assert again == first  # the same findings, kept from the first run
    n = len(BUILTIN_RULES)
    assert steps == [(k, n) for k in range(n + 1)] * 2


@settings(max_examples=30, deadline=None)
@given(summary_datasets())
def test_a_dataset_and_what_it_derived_are_freed_without_the_collector(drawn: Dataset) -> None:
    # What a dataset keeps (indexes, the ledger, findings, what rules and summaries
    # share) makes no reference cycle with it: dropping the last reference frees it at
    # once, as a million records should be, with no pass of the cyclic collector.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        societies = tuple(Organization(id=o, name=o, kind=OrgKind.FOUNDATION) for o in ("qj", "xw"))
        data = attrs.evolve(drawn, organizations=societies)  # a copy, its caches empty
        data.validate()
        ledger = data.ledger()
        for organization in ("qj", "xw"):
            year_at_a_glance(data, 2020, organization_id=organization)
            ledger.totals(Boundary.organization(data, organization))
        for summary in (fundraising_summary, campaign_summary, medical_summary, project_summary):
            summary(data)
        relief_summary(data, 2020)
        freed = weakref.ref(data)
        del data, ledger
        assert freed() is None
    finally:
        if was_enabled:
            gc.enable()
