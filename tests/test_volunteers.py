"""Volunteers, teams, activities, hours, members and dues (humanaid.volunteers)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import (
    ActivityKind,
    Dataset,
    DuesPayment,
    Member,
    MemberKind,
    Money,
    Period,
    Person,
    ServiceActivity,
    ServiceHours,
    Volunteer,
    members_in_good_standing,
    overlapping_hours,
    redact,
    to_json,
)
from humanaid import testing as ht

KEY = b"a secret key of 32 bytes or more"
DAY = date(2022, 1, 8)


def hours(**kw: Any) -> ServiceHours:
    values: dict[str, Any] = {
        "id": "h1",
        "volunteer_id": "v1",
        "activity_id": "a1",
        "on": DAY,
        "hours": Decimal("2"),
    }
    values.update(kw)
    return ServiceHours(**values)


# -- records check themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        (
            {"hours": 2.5},
            TypeError,
            r"'hours' must be an int, a Decimal or a plain .*never a float",
        ),
        ({"hours": Decimal(0)}, ValueError, r"'hours' must be more than 0 and at most 24"),
        ({"hours": Decimal("24.01")}, ValueError, r"'hours' must be more than 0"),
        ({"hours": Decimal("1.005")}, ValueError, r"at most 2 decimal places"),
        ({"hours": Decimal("NaN")}, ValueError, r"'hours' must be more than 0"),
        ({"start": "9:00"}, ValueError, r"'start' must be a time of day written HH:MM"),
        ({"start": "24:00"}, ValueError, r"'start' must be a time of day"),
        ({"start": "23:00", "hours": 2}, ValueError, r"'hours' run past midnight"),
        ({"on": "2022-01-08"}, TypeError, r"'on' must be a datetime.date"),
    ],
)
def test_bad_hours_are_refused_naming_the_field(
    kw: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        hours(**kw)


def test_hours_take_ints_and_plain_decimal_strings_exactly() -> None:
    assert hours(hours=3).hours == Decimal(3)
    assert hours(hours="1.25").hours == Decimal("1.25")
    assert hours(hours=Decimal(24), start="00:00").slot == (Decimal(0), Decimal(1440))
    with pytest.raises(TypeError, match="'hours' must be an int, a Decimal or a plain decimal"):
        hours(hours="1e1")


def test_a_volunteer_and_a_member_cannot_leave_before_they_joined() -> None:
    with pytest.raises(ValueError, match="'left' must not be before 'joined'"):
        Volunteer(id="v", person_id="p", joined=DAY, left=date(2022, 1, 7))
    with pytest.raises(ValueError, match="'left' must not be before 'joined'"):
        Member(
            id="m",
            kind=MemberKind.INDIVIDUAL,
            organization_id="o",
            person_id="p",
            joined=DAY,
            left=date(2021, 1, 1),
        )


def test_a_member_is_a_person_or_an_organisation_never_both() -> None:
    with pytest.raises(ValueError, match="'member_organization_id' is required for a group"):
        Member(id="m", kind=MemberKind.GROUP, organization_id="o", person_id="p", joined=DAY)
    with pytest.raises(ValueError, match="'person_id' is required for an individual"):
        Member(
            id="m",
            kind=MemberKind.INDIVIDUAL,
            organization_id="o",
            person_id="p",
            member_organization_id="acme",
            joined=DAY,
        )
    with pytest.raises(ValueError, match="'kind' must be one of 'individual', 'group'"):
        Member(id="m", kind="honorary", organization_id="o", person_id="p", joined=DAY)  # type: ignore[arg-type]


def test_dues_are_positive_money_for_a_real_year() -> None:
    with pytest.raises(ValueError, match="'amount' must be positive"):
        DuesPayment(id="d", member_id="m", year=2022, paid_on=DAY, amount=Money("0"))
    with pytest.raises(ValueError, match="'year' must be between 1900 and 9999"):
        DuesPayment(id="d", member_id="m", year=22, paid_on=DAY, amount=Money("20"))
    with pytest.raises(TypeError, match="'year' must be an int"):
        DuesPayment(id="d", member_id="m", year="2022", paid_on=DAY, amount=Money("20"))  # type: ignore[arg-type]


def test_an_activity_counts_persons_served_as_a_whole_number() -> None:
    with pytest.raises(ValueError, match="'served' must not be negative"):
        ServiceActivity(
            id="a",
            name="x",
            kind=ActivityKind.ELDER_CARE,
            organization_id="o",
            period=Period.year(2022),
            served=-1,
        )


def test_personal_fields_are_masked_and_never_echoed() -> None:
    v = Volunteer(id="v", person_id="p", joined=DAY, registration_number="36010020210305")
    assert "36010020210305" not in repr(v)
    h = hours(note="visited 张大爷 at home")
    assert "张大爷" not in repr(h)
    with pytest.raises(ValueError, match="registration_number") as caught:
        Volunteer(id="v", person_id="p", joined=DAY, registration_number="x" * 65)
    assert "xxx" not in str(caught.value)


# -- laws ----------------------------------------------------------------------------------------


@given(
    st.lists(
        ht.service_hours(volunteer_ids=["v1"], timed=True, min_date=DAY, max_date=DAY), max_size=6
    )
)
def test_overlap_is_symmetric_and_never_of_an_entry_with_itself(
    entries: list[ServiceHours],
) -> None:
    for a in entries:
        assert not overlapping_hours(a, a)
        for b in entries:
            assert overlapping_hours(a, b) == overlapping_hours(b, a)


@given(ht.service_hours(timed=True), st.integers(min_value=0, max_value=1439))
def test_slots_overlap_exactly_when_they_share_a_minute(a: ServiceHours, minute: int) -> None:
    start = f"{minute // 60:02d}:{minute % 60:02d}"
    b = attrs.evolve(a, id=a.id + "-b", start=start, hours=Decimal("0.01"))
    sa, sb = a.slot, b.slot
    assert sa is not None
    assert sb is not None
    assert overlapping_hours(a, b) == (sa[0] <= sb[0] < sa[1])


@given(
    st.lists(
        ht.members(person_ids=["p1"], organization_ids=["o"]), max_size=6, unique_by=lambda m: m.id
    ),
    st.lists(ht.dues_payments(min_year=2019, max_year=2023), max_size=10),
    st.integers(min_value=2019, max_value=2023),
)
def test_members_in_good_standing_were_members_that_year_and_paid_for_it(
    members: list[Member], dues: list[DuesPayment], year: int
) -> None:
    good = members_in_good_standing(members, dues, year)
    paid = {d.member_id for d in dues if d.year == year}
    assert good <= {m.id for m in members}
    for m in members:
        assert (m.id in good) == (m.member_in(year) and m.id in paid)


@given(ht.members(), st.integers(min_value=2000, max_value=2035))
def test_a_member_in_a_year_was_a_member_on_some_day_of_it(member: Member, year: int) -> None:
    days = Period.year(year)
    some_day = any(
        member.member_on(d)
        for d in (days.start, days.end, member.joined, member.left or days.start)
        if d in days
    )
    assert member.member_in(year) == some_day


@given(ht.volunteers(), ht.service_hours(), ht.members())
def test_redact_drops_the_numbers_and_notes_that_identify_a_person(
    volunteer: Volunteer, entry: ServiceHours, member: Member
) -> None:
    ds = Dataset(volunteers=(volunteer,), service_hours=(entry,), members=(member,))
    out = redact(ds, key=KEY)
    assert out.volunteers[0].registration_number is None
    assert out.service_hours[0].note is None
    assert out.members[0].card_number is None
    text = to_json(out)
    for secret in (volunteer.registration_number, entry.note, member.card_number):
        assert secret is None or f'"{secret}"' not in text
    assert redact(out, key=KEY) == out


def test_a_volunteer_is_a_person_whose_name_lives_on_the_person() -> None:
    ds = Dataset(
        persons=(Person(id="p1", name="章金媛", phone="13800138000"),),
        volunteers=(Volunteer(id="v1", person_id="p1", joined=DAY),),
    )
    out = redact(ds, key=KEY)
    assert out.persons[0].name is None
    assert out.volunteers[0].person_id == "p1"
    assert "章金媛" not in to_json(out)
