from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import (
    Attendance,
    Case,
    CurrencyMismatch,
    Dataset,
    Distribution,
    Funnel,
    FunnelStage,
    Household,
    Money,
    OnSiteRescue,
    Period,
    Person,
    Program,
    Reach,
    Screening,
    ScreeningOutcome,
    UnknownId,
    funnel,
    reach,
)
from humanaid.reach import _homes, _Tally
from humanaid.testing import screenings

DAY = date(2020, 5, 1)
HEART = Program(id="heart", name="救心行动", organization_id="qujing")


def screening(i: int, person: str, outcome: str = "negative", **kw: Any) -> Screening:
    fields: dict[str, Any] = {"program_id": "heart", "on": DAY}
    fields.update(kw)
    return Screening(id=f"s{i}", person_id=person, outcome=ScreeningOutcome(outcome), **fields)


def handout(i: int, household: str, **kw: Any) -> Distribution:
    fields: dict[str, Any] = {"on": DAY, "value": Money("300"), "campaign_id": "boai-2020"}
    fields.update(kw)
    return Distribution(id=f"d{i}", household_id=household, **fields)


def served_case(
    i: int,
    person: str | None,
    *,
    household: str | None = None,
    approved: str | None = "18000",
    paid: str | None = None,
    serve: bool = True,
    on: date = DAY,
    program: str = "heart",
) -> Case:
    case = Case.refer(
        id=f"c{i}",
        kind="medical" if person else "disaster_relief",
        person_id=person,
        household_id=household,
        program_id=program,
        on=on,
    )
    case = case.advance("screened", on=on).advance("assessed", on=on + timedelta(days=1))
    case = case.advance(
        "approved",
        on=on + timedelta(days=2),
        approved=None if approved is None else Money(approved),
    )
    if serve:
        case = case.advance("in_treatment", on=on + timedelta(days=10))
    if paid is not None:
        case = Case(**{**_fields(case), "paid": Money(paid)})
    return case


def _fields(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "kind": case.kind,
        "person_id": case.person_id,
        "household_id": case.household_id,
        "program_id": case.program_id,
        "approved": case.approved,
        "history": case.history,
    }


# -- Reach -------------------------------------------------------------------------------------


def test_reach_says_what_each_count_counts() -> None:
    r = Reach(person_times=28420, persons=22400, households=6309)
    assert str(r) == "22,400 persons in 6,309 households (28,420 person-times)"
    assert str(Reach(person_times=1, persons=1, households=1)) == (
        "1 person in 1 household (1 person-time)"
    )
    with pytest.raises(ValueError, match="'persons' must not be negative"):
        Reach(person_times=0, persons=-1, households=0)
    with pytest.raises(TypeError, match="'households' must be an int"):
        Reach(person_times=0, persons=0, households=True)


def test_screenings_are_person_times_and_persons_are_distinct() -> None:
    records = [screening(1, "p1"), screening(2, "p1"), screening(3, "p2")]
    assert reach(records) == Reach(person_times=3, persons=2, households=0)
    people = [Person(id="p1", name="张三", household_id="h1"), Person(id="p2", name="李四")]
    assert reach(records, persons=people) == Reach(person_times=3, persons=2, households=1)


def test_a_household_counts_its_size_when_members_are_not_listed() -> None:
    homes = [Household(id="h1", members=4), Household(id="h2", members=3)]
    records = [handout(1, "h1"), handout(2, "h2"), handout(3, "h1", round=2)]
    assert reach(records, households=homes) == Reach(person_times=11, persons=7, households=2)


def test_listed_members_are_counted_once_with_those_reached_alone() -> None:
    homes = {"h1": Household(id="h1", members=4)}
    people = [
        Person(id="p1", name="张三", household_id="h1"),
        Person(id="p2", name="张四", household_id="h1"),
        Person(id="p9", name="王五"),
    ]
    records: list[Screening | Distribution] = [
        handout(1, "h1"),
        screening(1, "p1"),
        screening(2, "p9"),
    ]
    # h1: p1, p2 and two unnamed members; p1 was also screened; p9 has no household.
    assert reach(records, persons=people, households=homes) == Reach(
        person_times=6, persons=5, households=1
    )


def test_more_listed_members_than_the_size_counts_the_listed() -> None:
    homes = [Household(id="h1", members=1)]
    people = [Person(id=f"p{i}", name="张三", household_id="h1") for i in range(3)]
    assert reach([handout(1, "h1")], persons=people, households=homes) == Reach(
        person_times=3, persons=3, households=1
    )


def test_a_case_reaches_its_person_once_help_was_delivered() -> None:
    records = [
        served_case(1, "p1"),
        served_case(2, "p2", serve=False),  # approved, not yet treated
        served_case(3, None, household="h1"),  # a household case: all its members
    ]
    homes = [Household(id="h1", members=5)]
    assert reach(records, households=homes) == Reach(person_times=6, persons=6, households=1)


def test_reach_filters_by_programme_campaign_period_and_area() -> None:
    homes = [Household(id="h1", members=4, area_id="qilin"), Household(id="h2", members=2)]
    people = [
        Person(id="p1", name="张三", area_id="qilin"),
        Person(id="p2", name="李四", household_id="h1"),  # lives in qilin through h1
        Person(id="p3", name="王五", area_id="malong"),
    ]
    records: list[Any] = [
        screening(1, "p1"),
        screening(2, "p2", on=date(2020, 8, 1)),
        screening(3, "p3", program_id="eyes"),
        handout(1, "h1"),
        handout(2, "h2", campaign_id="other"),
        served_case(1, "p3", on=date(2020, 8, 1)),
    ]
    kw: dict[str, Any] = {"persons": people, "households": homes}
    assert reach(records, program_id="eyes", **kw) == Reach(person_times=1, persons=1, households=0)
    assert reach(records, campaign_id="boai-2020", **kw) == Reach(
        person_times=4, persons=4, households=1
    )
    assert reach(records, period=Period.month(2020, 8), **kw) == Reach(
        person_times=2, persons=2, households=1
    )
    in_qilin = reach(records, area_ids={"qilin"}, **kw)
    assert in_qilin == Reach(person_times=6, persons=5, households=1)


def test_reach_takes_a_dataset() -> None:
    ds = Dataset(
        persons=(Person(id="p1", name="张三", household_id="h1"),),
        households=(Household(id="h1", members=3), Household(id="h2", members=2)),
        screenings=(screening(1, "p1"), screening(2, "p1")),
        distributions=(handout(1, "h1"), handout(2, "h2")),
    )
    assert reach(ds) == Reach(person_times=7, persons=5, households=2)


def test_reach_needs_what_it_counts_by() -> None:
    with pytest.raises(ValueError, match="household 'h1' is not among the households given"):
        reach([handout(1, "h1")])
    with pytest.raises(ValueError, match="reach by area needs the persons"):
        reach([screening(1, "p1")], area_ids={"a"})
    with pytest.raises(TypeError, match="reach\\(\\) counts screenings, cases, distributions"):
        reach([Household(id="h1", members=1)])  # type: ignore[list-item]


# -- the laws ----------------------------------------------------------------------------------


@st.composite
def populations(draw: st.DrawFn) -> dict[str, Any]:
    n_homes = draw(st.integers(0, 6))
    homes = [Household(id=f"h{i}", members=draw(st.integers(1, 6))) for i in range(n_homes)]
    home_ids = [h.id for h in homes]
    people = [
        Person(
            id=f"p{i}",
            name="张三",
            household_id=draw(st.sampled_from([None, *home_ids])),
        )
        for i in range(draw(st.integers(1, 10)))
    ]
    person_ids = [p.id for p in people]
    records: list[Any] = []
    for i in range(draw(st.integers(0, 15))):
        kind = draw(st.sampled_from(["screening", "distribution", "case"]))
        if kind == "screening":
            records.append(screening(i, draw(st.sampled_from(person_ids))))
        elif kind == "distribution" and home_ids:
            records.append(
                handout(i, draw(st.sampled_from(home_ids)), round=draw(st.integers(1, 3)))
            )
        elif kind == "case":
            household = draw(st.sampled_from([None, *home_ids]))
            person = draw(st.sampled_from(person_ids)) if household is None else None
            records.append(served_case(i, person, household=household, serve=draw(st.booleans())))
    return {"records": records, "persons": people, "households": homes}


@given(populations())
def test_distinct_persons_never_exceed_person_times(population: dict[str, Any]) -> None:
    r = reach(
        population["records"], persons=population["persons"], households=population["households"]
    )
    assert r.persons <= r.person_times


@given(populations())
def test_distinct_households_never_exceed_persons(population: dict[str, Any]) -> None:
    r = reach(
        population["records"], persons=population["persons"], households=population["households"]
    )
    assert r.households <= r.persons


@given(populations(), st.randoms(use_true_random=False))
def test_reach_does_not_depend_on_the_order_of_records(
    population: dict[str, Any], rnd: random.Random
) -> None:
    records = list(population["records"])
    kw = {"persons": population["persons"], "households": population["households"]}
    before = reach(records, **kw)
    rnd.shuffle(records)
    assert reach(iter(records), **kw) == before


@given(populations(), st.booleans())
def test_persons_reached_alone_counted_together_count_as_each_added_in_turn(
    population: dict[str, Any], as_mapping: bool
) -> None:
    # reach() keeps the persons reached alone and counts them at the end (_Tally.alone);
    # the plain way adds each record's person as it comes (_Tally.add).
    def one_by_one(tally: _Tally, person_ids: list[str]) -> None:
        for person_id in person_ids:
            tally.add(person_id, None)

    people = population["persons"]
    kw = {
        "persons": {p.id: p for p in people} if as_mapping else people,
        "households": population["households"],
    }
    try:
        fast: object = reach(population["records"], **kw)
    except ValueError as error:
        fast = str(error)
    with mock.patch.object(_Tally, "alone", one_by_one):
        try:
            plain: object = reach(population["records"], **kw)
        except ValueError as error:
            plain = str(error)
    assert fast == plain


_WHO = st.sampled_from([f"p{i}" for i in range(8)])


@given(
    st.dictionaries(_WHO, st.sampled_from(["h1", "h2", "h3"]), max_size=6),
    st.lists(st.tuples(_WHO, st.none() | st.sampled_from(["h1", "h4"])), max_size=8),
    st.lists(_WHO, max_size=12),
)
def test_a_tally_of_persons_alone_in_one_go_is_each_added_in_turn(
    home_of: dict[str, str], before: list[tuple[str, str | None]], person_ids: list[str]
) -> None:
    # _Tally.alone adds the persons reached alone in one go (a set of them, less those
    # seen before, met with the households); adding each in turn gives the same persons,
    # households and person-times, whether few or many were seen before.
    def tally() -> _Tally:
        t = _Tally(home_of=home_of, listed={}, size=None)
        for person_id, household_id in before:
            t.add(person_id, household_id)
        return t

    fast, plain = tally(), tally()
    fast.alone(person_ids)
    for person_id in person_ids:
        plain.add(person_id, None)
    assert fast.seen_persons == plain.seen_persons
    assert fast.seen_households == plain.seen_households
    assert fast.person_times == plain.person_times


@given(populations(), st.lists(st.sampled_from(["p0", "p3", "p9", "x"]), max_size=4))
def test_the_homes_met_in_one_pass_are_those_each_persons_record_gives(
    population: dict[str, Any], asked: list[str]
) -> None:
    # reach() reads the persons once (_homes): each person's household, and each
    # household's persons in order; the plain way looks a person up when asked.
    people = {p.id: p for p in population["persons"]}
    home_of, listed = _homes(people)
    for key in [*people, *asked]:
        who = people.get(key)
        assert home_of.get(key) == (None if who is None else who.household_id)
    plain: dict[str, list[str]] = {}
    for person in people.values():
        if person.household_id is not None:
            plain.setdefault(person.household_id, []).append(person.id)
    assert dict(listed) == plain
    assert list(listed) == list(plain)
    assert _homes(None) == ({}, {})


@given(populations())
def test_reach_of_a_part_is_at_most_the_reach_of_the_whole(population: dict[str, Any]) -> None:
    kw = {"persons": population["persons"], "households": population["households"]}
    whole = reach(population["records"], **kw)
    part = reach(population["records"][::2], **kw)
    assert part.person_times <= whole.person_times
    assert part.persons <= whole.persons
    assert part.households <= whole.households


# -- the funnel --------------------------------------------------------------------------------


def heart_round() -> list[Any]:
    records: list[Any] = []
    # 20 children screened, 4 of them twice; 5 positive, one more referred.
    for i in range(24):
        outcome = "positive" if i < 5 else "referred" if i == 5 else "negative"
        records.append(screening(i, f"p{i % 20}", outcome))
    records.append(screening(99, "p0", program_id="eyes"))
    records += [
        served_case(1, "p0", paid="18000"),
        served_case(2, "p1", paid="17000"),
        served_case(3, "p2", serve=False),
        served_case(4, "p3", paid="20000"),  # paid over approval: a rule finds it
        Case.refer(id="c5", kind="medical", person_id="p4", program_id="heart", on=DAY),
    ]
    return records


def test_the_funnel_follows_a_programme_stage_by_stage() -> None:
    f = funnel(heart_round(), program_id="heart")
    assert [(s.name, s.persons, s.count, s.unit) for s in f] == [
        ("screened", 20, 24, "person-times"),
        ("positive", 6, 6, "person-times"),
        ("approved", 4, 4, "cases"),
        ("treated", 3, 3, "cases"),
        ("paid", 3, 3, "cases"),
    ]
    assert f["approved"].amount == Money("72000")
    assert f["treated"].amount == Money("54000")
    assert f["paid"].amount == Money("55000")
    assert f["screened"].amount is None
    assert f["screened"].rate is None
    assert f["positive"].rate == Decimal("0.3")
    assert f["approved"].rate == Decimal("0.6666666666666666666666666666666667")
    assert f["treated"].rate == Decimal("0.75")
    assert f["paid"].rate == Decimal(1)
    with pytest.raises(KeyError, match="no funnel stage 'cured'"):
        f["cured"]


@given(
    st.lists(
        screenings(
            person_ids=st.sampled_from(["p1", "p2", "p3"]),
            program_ids=st.sampled_from(["heart", "eyes"]),
        ),
        max_size=20,
    ),
    st.sampled_from([None, Period.year(2020), Period.year(2021)]),
)
def test_the_funnel_screens_and_finds_positive_as_each_screening_says(
    screened: list[Screening], period: Period | None
) -> None:
    # the plain way: each screening of the programme in the period, its outcome asked
    counted = [
        s for s in screened if s.program_id == "heart" and (period is None or s.on in period)
    ]
    f = funnel(screened, program_id="heart", period=period)
    assert f["screened"].count == len(counted)
    assert f["screened"].persons == len({s.person_id for s in counted})
    assert f["positive"].count == sum(1 for s in counted if s.outcome.is_positive)
    assert f["positive"].persons == len({s.person_id for s in counted if s.outcome.is_positive})


def test_funnel_rates_are_exact_decimals_in_any_context() -> None:
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 3
        rate = funnel(heart_round(), program_id="heart")["approved"].rate
    assert rate == Decimal("0.6666666666666666666666666666666667")


def test_the_funnel_prints_as_a_table() -> None:
    text = str(funnel(heart_round(), program_id="heart"))
    assert text.splitlines() == [
        "funnel of programme heart",
        "stage     persons  count                     amount    rate",
        "screened       20     24  person-times",
        "positive        6      6  person-times                30.0%",
        "approved        4      4  cases         72,000.00元   66.7%",
        "treated         3      3  cases         54,000.00元   75.0%",
        "paid            3      3  cases         55,000.00元  100.0%",
    ]


def test_the_funnel_lines_up_accents_and_chinese_as_a_terminal_shows_them() -> None:
    # A combining accent and a zero-width space take no column; a Chinese character two.
    # (The funnel's own width function counted the accent and the space as one each.)
    stages = (
        FunnelStage(name="e\u0301tape", persons=2, count=2, unit="cases"),
        FunnelStage(name="筛查", persons=10, count=12, unit="person\u200btimes"),
        FunnelStage(name="paid", persons=1, count=1, unit="cases"),
    )
    assert str(Funnel(program_id="p", stages=stages)).splitlines()[1:] == [
        "stage  persons  count               amount  rate",
        "e\u0301tape        2      2  cases",
        "筛查        10     12  person\u200btimes",
        "paid         1      1  cases",
    ]


def test_the_funnel_counts_a_payment_without_approval() -> None:
    case = Case.refer(id="c1", kind="medical", person_id="p1", program_id="heart", on=DAY)
    case = Case(**{**_fields(case), "paid": Money("500")})
    f = funnel([case], program_id="heart")
    assert (f["approved"].count, f["paid"].count, f["paid"].amount) == (0, 1, Money("500"))
    assert f["paid"].rate is None


def test_the_funnel_by_period_and_dataset() -> None:
    records = heart_round()
    records.append(served_case(7, "p9", on=date(2021, 3, 1), paid="1000"))
    ds = Dataset(
        programs=(HEART,),
        screenings=tuple(r for r in records if isinstance(r, Screening)),
        cases=tuple(r for r in records if isinstance(r, Case)),
    )
    whole = funnel(ds, program_id="heart")
    only_2020 = funnel(ds, program_id="heart", period=Period.year(2020))
    assert whole["paid"].count == 4
    assert only_2020["paid"].count == 3
    # a programme the dataset does not have is an error, not a funnel of zeros
    with pytest.raises(UnknownId, match=r"program_id 'haert' .* did you mean 'heart'"):
        funnel(ds, program_id="haert")
    # records alone hold no programmes to check against: nothing is counted
    assert funnel(records, program_id="nothing")["screened"].persons == 0


def test_reach_of_a_dataset_refuses_unknown_programmes_and_campaigns() -> None:
    ds = Dataset(
        programs=(HEART,),
        persons=(Person(id="p1", name="张三"),),
        screenings=(screening(1, "p1"),),
    )
    assert reach(ds, program_id="heart").person_times == 1
    with pytest.raises(UnknownId, match=r"program_id 'hart' .* did you mean 'heart'") as e:
        reach(ds, program_id="hart")
    assert (e.value.collection, e.value.id) == ("programs", "hart")
    with pytest.raises(UnknownId, match=r"campaign_id 'boai-2020' .*campaigns \(it has none\)"):
        reach(ds, campaign_id="boai-2020")


def test_the_funnel_adds_amounts_in_one_currency() -> None:
    with pytest.raises(CurrencyMismatch):
        funnel(heart_round(), program_id="heart", currency="USD")


# -- found in review ---------------------------------------------------------------------------


def test_a_person_a_case_places_in_a_household_is_one_of_its_members() -> None:
    # A child treated for a heart condition, whose household of four also got relief:
    # four people, not five, whether or not the persons are listed.
    homes = [Household(id="h1", members=4)]
    records: list[Any] = [served_case(1, "p1", household="h1"), handout(1, "h1")]
    expected = Reach(person_times=5, persons=4, households=1)
    assert reach(records, households=homes) == expected
    assert reach(records, households=homes, persons=[Person(id="p1", name="张三")]) == expected
    assert reach(list(reversed(records)), households=homes) == expected


def test_listed_members_are_counted_where_they_live() -> None:
    # h1 lives in A; its member p2 lives in B (working away) and was screened there.
    homes = [Household(id="h1", members=3, area_id="A")]
    people = [
        Person(id="p1", name="张三", household_id="h1"),
        Person(id="p2", name="李四", household_id="h1", area_id="B"),
    ]
    records: list[Any] = [handout(1, "h1"), screening(1, "p2")]
    kw: dict[str, Any] = {"persons": people, "households": homes}
    assert reach(records, area_ids={"A"}, **kw) == Reach(person_times=2, persons=2, households=1)
    assert reach(records, area_ids={"B"}, **kw) == Reach(person_times=2, persons=1, households=1)
    assert reach(records, area_ids={"A", "B"}, **kw) == reach(records, **kw)


@st.composite
def populations_in_areas(draw: st.DrawFn) -> dict[str, Any]:
    """A population whose households live in A or B and whose persons may live elsewhere."""
    population = draw(populations())
    homes = [
        Household(id=h.id, members=h.members, area_id=draw(st.sampled_from(["A", "B"])))
        for h in population["households"]
    ]
    people = [
        Person(
            id=p.id,
            name=p.name,
            household_id=p.household_id,
            area_id=draw(st.sampled_from([None, "A", "B"]))
            if p.household_id is not None
            else draw(st.sampled_from(["A", "B"])),
        )
        for p in population["persons"]
    ]
    records = list(population["records"])
    if homes:  # cases naming a person and the one household the person belongs to
        home_of = {p.id: p.household_id or draw(st.sampled_from(homes)).id for p in people}
        for i in range(draw(st.integers(0, 3))):
            person = draw(st.sampled_from(people))
            records.append(served_case(100 + i, person.id, household=home_of[person.id]))
    return {"records": records, "persons": people, "households": homes}


@given(populations_in_areas())
def test_persons_and_person_times_add_up_over_a_partition_of_areas(
    population: dict[str, Any],
) -> None:
    kw = {"persons": population["persons"], "households": population["households"]}
    records = population["records"]
    whole = reach(records, area_ids={"A", "B"}, **kw)
    a = reach(records, area_ids={"A"}, **kw)
    b = reach(records, area_ids={"B"}, **kw)
    assert a.persons + b.persons == whole.persons
    assert a.person_times + b.person_times == whole.person_times
    assert whole == reach(records, **kw)
    for part in (a, b, whole):
        assert part.households <= part.persons <= part.person_times


@given(populations_in_areas())
def test_persons_never_exceed_the_people_of_the_households_reached_and_those_alone(
    population: dict[str, Any],
) -> None:
    kw = {"persons": population["persons"], "households": population["households"]}
    records = population["records"]
    r = reach(records, **kw)
    homes = {h.id: h for h in population["households"]}
    people = {p.id: p for p in population["persons"]}
    reached_homes = {x.household_id for x in records if isinstance(x, Distribution)} | {
        x.household_id
        for x in records
        if isinstance(x, Case) and x.person_id is None and x.served_on is not None
    }
    alone = {
        x.person_id
        for x in records
        if isinstance(x, Screening) or (isinstance(x, Case) and x.served_on is not None)
    } - {None}
    outside = {
        p
        for p in alone
        if p is not None
        and people[p].household_id not in reached_homes
        and not any(
            isinstance(x, Case) and x.person_id == p and x.household_id in reached_homes
            for x in records
        )
    }
    known: dict[str, set[str]] = {h: set() for h in homes}
    for p in people.values():
        if p.household_id is not None:
            known[p.household_id].add(p.id)
    for x in records:
        if (
            isinstance(x, Case)
            and x.person_id is not None
            and x.household_id is not None
            and people[x.person_id].household_id is None
        ):
            known[x.household_id].add(x.person_id)
    room = sum(max(homes[h].members, len(known[h])) for h in reached_homes if h is not None)
    assert r.persons <= room + len(outside)


def test_reach_counts_the_trained_and_the_helped_once_each() -> None:
    # p1 is screened and trained: one person, two person-times; the two people a rescue
    # helped are not named, so each counts as a person of their own, in no household
    trained = [
        Attendance(id="a1", person_id="p1", course_id="k1", on=DAY),
        Attendance(id="a2", person_id="p1", course_id="k2", on=DAY + timedelta(days=30)),
        Attendance(id="a3", person_id="p2", course_id="k1", on=DAY),
    ]
    rescue = OnSiteRescue(id="r1", on=DAY, organization_id="o", helped=2, area_id="a")
    r = reach([screening(1, "p1"), *trained, rescue])
    assert r == Reach(person_times=6, persons=4, households=0)
    assert reach([rescue], period=Period.year(DAY.year + 1)) == Reach(
        person_times=0, persons=0, households=0
    )
    assert reach([rescue], area_ids={"a"}).persons == 2
    assert reach([rescue, *trained], program_id="heart").persons == 0


@given(populations(), st.lists(st.integers(0, 40), min_size=15, max_size=15), st.data())
def test_reach_in_a_period_is_the_reach_of_the_records_dated_in_it(
    population: dict[str, Any], shifts: list[int], data: st.DataObject
) -> None:
    # reach compares each day with the period's ends inline: the plain way keeps the
    # records whose day is `in` the period, then counts them all.
    records = [
        r if isinstance(r, Case) else attrs.evolve(r, on=DAY + timedelta(days=shifts[i]))
        for i, r in enumerate(population["records"])
    ]
    start = DAY + timedelta(days=data.draw(st.integers(0, 40)))
    period = Period(start, start + timedelta(days=data.draw(st.integers(0, 20))))
    kw = {"persons": population["persons"], "households": population["households"]}

    def day(r: Any) -> date | None:
        return r.served_on if isinstance(r, Case) else r.on

    dated = [r for r in records if day(r) is not None and day(r) in period]
    assert reach(records, period=period, **kw) == reach(dated, **kw)
