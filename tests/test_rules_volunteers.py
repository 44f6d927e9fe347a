"""Rules about volunteers' hours and members' dues (humanaid.rules.volunteers)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import A_SATURDAY, activity, hours_entry, member
from humanaid import (
    BUILTIN_RULES,
    ActivityKind,
    Dataset,
    DuesPayment,
    Member,
    Money,
    Period,
    ServiceHours,
    Volunteer,
    lapsed_members,
    overlapping_hours,
)
from humanaid import testing as ht
from humanaid.rules.volunteers import double_booked_volunteers, hours_within_their_dates

DAY = A_SATURDAY  # the day of an hours_entry unless told
Q1 = Period.quarter(2022, 1)
ACTIVITY = activity("a1", "五全护老", ActivityKind.ELDER_CARE, "nc", Q1)
OTHER = activity("a2", "三献登记", ActivityKind.DONATION_REGISTRATION, "nc", Q1)


def test_the_rules_run_on_every_validate() -> None:
    assert hours_within_their_dates in BUILTIN_RULES
    assert double_booked_volunteers in BUILTIN_RULES


def test_hours_outside_the_activity_or_the_registration_are_reported() -> None:
    ds = Dataset(
        service_activities=(ACTIVITY,),
        volunteers=(Volunteer(id="v1", person_id="p1", joined=date(2022, 1, 10)),),
        service_hours=(
            hours_entry("h1", on=date(2022, 4, 1)),
            hours_entry("h2", on=DAY),
            hours_entry("h3", on=date(2022, 1, 11)),
        ),
    )
    found = ds.validate([hours_within_their_dates], builtin=False)
    assert [(f.rule, f.subject) for f in found] == [
        ("volunteers.hours-outside-activity", "h1"),
        ("volunteers.hours-outside-registration", "h2"),
    ]
    assert "2022-04-01, outside activity 'a1' (2022-Q1)" in found[0].message
    assert "for volunteer 'v1', before they joined" in found[1].message


def test_a_day_over_24_hours_and_overlapping_slots_are_reported() -> None:
    ds = Dataset(
        service_activities=(
            ACTIVITY,
            OTHER,
        ),
        service_hours=(
            hours_entry("h1", hours=Decimal("9"), start="08:00"),
            hours_entry("h2", activity_id="a2", hours=Decimal("2"), start="16:30"),
            hours_entry("h3", activity_id="a2", hours=Decimal("14")),
            hours_entry("h4", volunteer_id="v2", hours=Decimal("8"), start="08:00"),
            hours_entry(
                "h5", volunteer_id="v2", activity_id="a2", hours=Decimal("8"), start="16:00"
            ),
        ),
    )
    found = ds.validate([double_booked_volunteers], builtin=False)
    assert [(f.rule, f.subject) for f in found] == [
        ("volunteers.over-24-hours", "v1"),
        ("volunteers.double-booked", "h2"),
    ]
    assert found[0].figures["hours"] == Decimal("25")
    assert "'h1' ('a1', from 08:00 for 9 h) and 'h2' ('a2', from 16:30 for 2 h)" in found[1].message


def test_dues_decide_whether_a_member_has_lapsed() -> None:
    ds = Dataset(
        members=(
            member("m1", "nc", date(2020, 1, 1), person_id="p1"),
            member("m2", "nc", date(2020, 1, 1), member_organization_id="acme"),
            member("m3", "nc", date(2023, 1, 1), person_id="p3"),
        ),
        dues=(DuesPayment(id="d1", member_id="m1", year=2022, paid_on=DAY, amount=Money("20")),),
    )
    found = ds.validate([lapsed_members(2022)], builtin=False)
    assert [(f.rule, f.subject) for f in found] == [("volunteers.member-lapsed", "m2")]
    assert found[0].message == "group member 'm2' of 'nc' paid no dues for 2022"
    with pytest.raises(TypeError, match="'year' must be an int"):
        lapsed_members("2022")  # type: ignore[arg-type]


# -- laws ----------------------------------------------------------------------------------------


@given(
    st.lists(
        ht.service_hours(
            volunteer_ids=["v1", "v2"], activity_ids=["a1"], min_date=DAY, max_date=date(2022, 1, 9)
        ),
        max_size=8,
        unique_by=lambda h: h.id,
    )
)
def test_every_day_over_24_hours_and_every_overlap_is_reported_and_nothing_else(
    entries: list[ServiceHours],
) -> None:
    found = Dataset(service_hours=tuple(entries)).validate(
        [double_booked_volunteers], builtin=False
    )
    by_day: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for e in entries:
        by_day[e.volunteer_id, e.on] += e.hours
    over = {(v, d) for (v, d), h in by_day.items() if h > 24}
    assert {(f.subject, f.figures["on"]) for f in found.where(rule="volunteers.over-24-hours")} == (
        over
    )
    pairs = sum(
        1 for i, a in enumerate(entries) for b in entries[i + 1 :] if overlapping_hours(a, b)
    )
    assert len(found.where(rule="volunteers.double-booked")) == pairs


@given(
    st.lists(ht.members(organization_ids=["nc"]), max_size=6, unique_by=lambda m: m.id),
    st.lists(ht.dues_payments(min_year=2020, max_year=2023), max_size=8),
    st.integers(min_value=2020, max_value=2023),
)
def test_every_member_of_the_year_is_in_good_standing_or_lapsed_never_both(
    members: list[Member], dues: list[DuesPayment], year: int
) -> None:
    from humanaid import members_in_good_standing

    ds = Dataset(members=tuple(members), dues=tuple(dues))
    lapsed = {f.subject for f in ds.validate([lapsed_members(year)], builtin=False)}
    good = members_in_good_standing(members, dues, year)
    assert not lapsed & good
    assert lapsed | good == {m.id for m in members if m.member_in(year)}
