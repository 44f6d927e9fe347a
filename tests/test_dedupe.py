"""Probable duplicates of persons and donors, by sound, phone and ID number; merging two."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from humanaid import (
    Case,
    Dataset,
    Donation,
    Donor,
    DonorKind,
    DuplicateMatch,
    Flow,
    FlowKind,
    Household,
    Merge,
    Money,
    Party,
    Person,
    Pledge,
    dedupe,
    merge_donors,
    merge_persons,
    names_compared_by_sound,
    probable_duplicates,
    references,
    sound_key,
)
from humanaid.testing import merges

BORN = date(1980, 5, 1)


def _dataset(**collections: Iterable[Any]) -> Dataset:
    """A dataset of these records (lists welcome: ``Dataset.add`` takes any iterable)."""
    return Dataset().add(**collections)


def _person(id: str, **kw: Any) -> Person:
    return Person(id=id, **kw)


def _found(ds: Dataset, collection: str = "persons", **kw: Any) -> list[tuple[Any, ...]]:
    return [
        (m.id, m.same_as, str(m.score), m.fields) for m in probable_duplicates(ds, collection, **kw)
    ]


def test_homophone_names_are_one_person_by_sound() -> None:
    assert names_compared_by_sound()  # the test extra installs pypinyin
    ds = _dataset(
        persons=[
            _person("p1", name="张三", birth_date=BORN, area_id="v1"),
            _person("p2", name="章三", birth_date=BORN, area_id="v1"),
            _person("p3", name="王晓明", birth_date=BORN, phone="13800138000", area_id="v2"),
            _person("p4", name="王小明", birth_date=BORN, phone="+8613800138000", area_id="v2"),
        ]
    )
    assert _found(ds) == [
        ("p2", "p1", "0.8", ("name_sound", "birth_date", "area")),
        ("p4", "p3", "1", ("name_sound", "birth_date", "phone", "area")),
    ]


def test_without_pypinyin_names_are_compared_exactly_and_it_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dedupe, "_pinyin", lambda: None)
    sound_key.cache_clear()
    assert not names_compared_by_sound()
    ds = _dataset(
        persons=[
            _person("p1", name="张三", birth_date=BORN, area_id="v1"),
            _person("p2", name="章三", birth_date=BORN, area_id="v1"),
            _person("p3", name="张三", birth_date=BORN, area_id="v1"),
        ]
    )
    assert _found(ds) == [("p3", "p1", "0.9", ("name", "birth_date", "area"))]
    with pytest.raises(ImportError, match=r"pip install 'humanaid\[dedupe\]'"):
        probable_duplicates(ds, by_sound=True)
    with pytest.raises(ImportError, match="dedupe"):
        sound_key("张三")


def test_two_different_id_numbers_are_two_people_and_one_number_is_one() -> None:
    a, b = "110101199003074477", "110101199003075111"
    ds = _dataset(
        persons=[
            _person("p1", name="李丽", id_number=a, area_id="v1"),
            _person("p2", name="李丽", id_number=b, area_id="v1"),
            _person("p3", name="李莉", id_number=a),
        ]
    )
    assert _found(ds) == [("p3", "p1", "1", ("id_number",))]


def test_a_shared_phone_and_area_alone_are_a_family_not_one_person() -> None:
    ds = _dataset(
        persons=[
            _person("p1", name="王明", phone="13900000000", area_id="v1", birth_date=BORN),
            _person("p2", name="王红", phone="13900000000", area_id="v1", birth_date=BORN),
        ]
    )
    assert _found(ds) == []


def test_donors_by_phone_email_and_sound() -> None:
    ds = _dataset(
        donors=[
            Donor(id="d1", kind=DonorKind.INDIVIDUAL, name="张三", email="Zhang@Example.com"),
            Donor(id="d2", kind=DonorKind.INDIVIDUAL, name="张三"),
            Donor(id="d3", kind=DonorKind.ENTERPRISE, email="zhang@example.com"),
            Donor(id="d4", kind=DonorKind.INDIVIDUAL, name="章三", phone="0874 3123456"),
            Donor(id="d5", kind=DonorKind.INDIVIDUAL, name="张叁", phone="08743123456"),
        ]
    )
    # an e-mail alone is 0.6: not reported by default; one phone and one sound is
    assert _found(ds, "donors") == [("d5", "d4", "0.9", ("phone", "name_sound", "kind"))]
    assert _found(ds, "donors", min_score="0.5") == [
        ("d2", "d1", "0.5", ("name", "kind")),
        ("d3", "d1", "0.6", ("email",)),
        ("d5", "d4", "0.9", ("phone", "name_sound", "kind")),
    ]


def test_the_area_of_a_person_is_their_households_when_they_have_none() -> None:
    ds = _dataset(
        households=[Household(id="h1", members=2, area_id="v1")],
        persons=[
            _person("p1", name="刘敏", birth_date=BORN, area_id="v1"),
            _person("p2", name="刘敏", birth_date=BORN, household_id="h1"),
        ],
    )
    assert _found(ds) == [("p2", "p1", "0.9", ("name", "birth_date", "area"))]


def test_bad_arguments_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'collection' must be"):
        probable_duplicates(Dataset(), "cases")
    with pytest.raises(ValueError, match="'min_score'"):
        probable_duplicates(Dataset(), min_score="1.5")
    with pytest.raises(TypeError, match="'min_score'"):
        probable_duplicates(Dataset(), min_score=0.7)  # type: ignore[arg-type]


# -- the blocked search finds what comparing every pair finds --------------------------------

_NAMES = ("张三", "章三", "李丽", "王晓明", "王小明")
_IDS = ("110101199003074477", "110101199003075111")


@st.composite
def _people(draw: st.DrawFn) -> Dataset:
    n = draw(st.integers(0, 5))
    persons = []
    for i in range(n):
        number = draw(st.none() | st.sampled_from(_IDS))
        days = [date(1990, 3, 7)] if number else [BORN, date(1990, 3, 7)]  # the ID's own
        persons.append(
            Person(
                id=f"p{i}",
                name=draw(st.sampled_from(_NAMES)),
                birth_date=draw(st.none() | st.sampled_from(days)),
                phone=draw(st.none() | st.sampled_from(["13800138000", "13900000000"])),
                area_id=draw(st.none() | st.sampled_from(["v1", "v2"])),
                id_number=number,
            )
        )
    return _dataset(persons=persons)


def _every_pair(ds: Dataset) -> list[tuple[str, str, Decimal, tuple[str, ...]]]:
    """The quadratic search the blocks stand in for: every earlier person, best first."""
    profiles = [dedupe._person_profile(i, p, {}, True) for i, p in enumerate(ds.persons)]
    out = []
    for p in profiles:
        best = None
        for other in profiles[: p.index]:
            scored = dedupe._score(p, other, dedupe._PERSON_WEIGHTS, dedupe._PERSON_IDENTIFYING)
            if scored is None or scored[0] < dedupe.MIN_SCORE:
                continue
            if best is None or scored[0] > best[2]:
                best = (p.id, other.id, scored[0], scored[1])
        if best is not None:
            out.append(best)
    return out


@settings(max_examples=200)
@given(_people())
def test_blocking_finds_every_pair_comparing_every_pair_finds(ds: Dataset) -> None:
    found = [(m.id, m.same_as, m.score, m.fields) for m in probable_duplicates(ds)]
    assert found == _every_pair(ds)


@given(_people())
def test_a_match_never_pairs_two_different_id_numbers_and_scores_at_most_one(
    ds: Dataset,
) -> None:
    persons = ds.index("persons")
    for m in probable_duplicates(ds):
        a, b = persons[m.id], persons[m.same_as]
        assert not (a.id_number and b.id_number and a.id_number != b.id_number)
        assert dedupe.MIN_SCORE <= m.score <= 1
        assert isinstance(m, DuplicateMatch)
        assert m.fields


def test_an_adversarial_block_costs_a_few_comparisons_a_person(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    compared = itertools.count()
    score = dedupe._score

    def counting(*args: Any) -> Any:
        next(compared)
        return score(*args)

    monkeypatch.setattr(dedupe, "_score", counting)
    n = 2000  # one name, one birth date, one village, each a different ID number
    persons = [Person(id=f"p{i}", name="张三", area_id="v1", birth_date=BORN) for i in range(n)]
    found = probable_duplicates(_dataset(persons=persons))
    assert len(found) == n - 1
    assert next(compared) <= n * 4 * (dedupe.BLOCK_REPRESENTATIVES + 1)


# -- merging -----------------------------------------------------------------------------------


def _registered_twice() -> Dataset:
    return _dataset(
        households=[Household(id="h1", members=2)],
        persons=[
            Person(id="p1", name="王晓明", household_id="h1"),
            Person(id="p2", name="王小明", birth_date=BORN, phone="13800138000"),
        ],
        cases=[Case.refer(id="c1", kind="medical", person_id="p2", on=date(2021, 3, 1))],
        flows=[
            Flow(
                id="f1",
                source=Party.fund("relief"),
                destination=Party.person("p2"),
                amount=Money("300"),
                on=date(2021, 3, 2),
                kind=FlowKind.DISBURSEMENT,
            ),
        ],
    )


def test_a_merge_rewrites_every_reference_and_keeps_the_history() -> None:
    ds = _registered_twice()
    merged = merge_persons(ds, keep="p1", drop="p2", on=date(2021, 4, 1), reason="registered twice")
    assert [p.id for p in merged.persons] == ["p1"]
    kept = merged.persons[0]
    assert (kept.birth_date, kept.household_id) == (BORN, "h1")
    assert merged.cases[0].person_id == "p1"
    assert merged.flows[0].destination == Party.person("p1")
    assert merged.merges == (
        Merge(id="persons:p2", collection="persons", kept_id="p1", dropped_id="p2",
              on=date(2021, 4, 1), reason="registered twice", filled=("birth_date", "phone")),
    )  # fmt: skip
    assert ds.persons[1].id == "p2"  # the dataset given is unchanged
    assert not [f for f in merged.validate() if f.rule == "integrity.missing-reference"]


def test_a_merge_without_filling_keeps_the_kept_record_as_it_was() -> None:
    ds = _registered_twice()
    merged = merge_persons(ds, keep="p1", drop="p2", on=date(2021, 4, 1), reason="x", fill=False)
    assert merged.persons[0] == ds.persons[0]
    assert merged.merges[0].filled == ()


def test_merging_donors_moves_their_gifts_and_pledges() -> None:
    ds = _dataset(
        donors=[Donor(id=d, kind=DonorKind.INDIVIDUAL) for d in ("d1", "d2")],
        donations=[Donation(id="g1", donor_id="d2", organization_id="rc",
                            received_on=date(2021, 1, 5), value=Money("100"))],
        pledges=[Pledge(id="pl1", donor_id="d2", organization_id="rc", pledged_on=date(2021, 1, 1),
                        amount=Money("500"), due_on=date(2021, 12, 31))],
    )  # fmt: skip
    merged = merge_donors(ds, keep="d1", drop="d2", on=date(2021, 2, 1), reason="one person")
    assert merged.donations[0].donor_id == merged.pledges[0].donor_id == "d1"
    assert merged.ledger().balance(Party.donor("d1")) == Money("-100")


def test_merging_refuses_unknown_or_equal_records() -> None:
    ds = _registered_twice()
    with pytest.raises(KeyError, match="drop='p9'"):
        merge_persons(ds, keep="p1", drop="p9", on=BORN, reason="x")
    with pytest.raises(ValueError, match="'drop' must differ"):
        merge_persons(ds, keep="p1", drop="p1", on=BORN, reason="x")
    with pytest.raises(ValueError, match="'dropped_id' must differ"):
        Merge(id="m", collection="persons", kept_id="a", dropped_id="a", on=BORN, reason="x")


@given(merges())
def test_merges_are_valid_records(merge: Merge) -> None:
    assert merge.kept_id != merge.dropped_id


@settings(max_examples=50)
@given(st.data())
def test_a_merge_leaves_no_reference_to_the_dropped_record(data: st.DataObject) -> None:
    ds = data.draw(_people())
    if len(ds.persons) < 2:
        return
    keep, drop = data.draw(st.permutations([p.id for p in ds.persons]))[:2]
    cases = [Case.refer(id=f"c{i}", kind="medical", person_id=p.id, on=BORN)
             for i, p in enumerate(ds.persons)]  # fmt: skip
    merged = merge_persons(ds.add(cases=cases), keep=keep, drop=drop, on=BORN, reason="x")
    for name, records in merged:
        for field, target in references(merged.collection_types()[name]).items():
            if target == "persons":
                assert all(getattr(r, field) != drop for r in records)
    assert len(merged.persons) == len(ds.persons) - 1
    assert len(merged.cases) == len(ds.persons)
