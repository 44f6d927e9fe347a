"""Volunteers and their teams, service activities and hours; members (会员) and their dues.

A :class:`Volunteer` is a person (``persons``) registered with a society from the day
they joined, usually in a :class:`VolunteerTeam` (志愿服务队, such as 新余市“敲门嫂”志愿服务队).
A :class:`ServiceActivity` is a piece of volunteer service (elder care, psychological
support, 三献 registration ...) run by an organisation over some days, perhaps at a
service site (:mod:`humanaid.sites`). :class:`ServiceHours` record who served how long
on which day of which activity (志愿服务时长): exact decimal hours, never a float.

A :class:`Member` (会员) is an individual (a person) or a group (an organisation: an
enterprise, a school) belonging to a society from the day it joined; it pays dues
(:class:`DuesPayment`, 会费) by year. A member is *in good standing* in a year when it was
a member in the year and paid dues for it.

>>> from datetime import date
>>> from decimal import Decimal
>>> from humanaid import Money, Period
>>> v = Volunteer(id="v1", person_id="p1", joined=date(2021, 3, 5), team_id="knock")
>>> visit = ServiceActivity(id="a1", name="敲门入户", kind="community_safety",
...                         organization_id="xy", period=Period.quarter(2022, 1))
>>> h = ServiceHours(id="h1", volunteer_id="v1", activity_id="a1", on=date(2022, 1, 8),
...                  hours=Decimal("2.5"), start="09:00")
>>> h.slot
(Decimal('540'), Decimal('690.0'))
>>> ServiceHours(id="h2", volunteer_id="v1", activity_id="a1", on=date(2022, 1, 8),
...              hours=Decimal("3"), start="22:00")
Traceback (most recent call last):
...
ValueError: 'hours' run past midnight: 3 hours from 22:00 end after 24:00
>>> m = Member(id="m1", kind="individual", organization_id="xy", person_id="p1",
...            joined=date(2020, 1, 1))
>>> dues = [DuesPayment(id="d1", member_id="m1", year=2022, paid_on=date(2022, 2, 1),
...                     amount=Money("20"))]
>>> members_in_good_standing([m], dues, 2022), members_in_good_standing([m], dues, 2021)
(frozenset({'m1'}), frozenset())
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs

from humanaid._decimal import EXACT as _EXACT
from humanaid._decimal import to_decimal
from humanaid.money import Money
from humanaid.periods import Period
from humanaid.records import (
    date_field,
    enum_field,
    id_field,
    money_field,
    positive,
    record_field,
    ref_field,
    text_field,
    whole,
    whole_number,
)

__all__ = [
    "MAX_HOURS_A_DAY",
    "ActivityKind",
    "DuesPayment",
    "Member",
    "MemberKind",
    "ServiceActivity",
    "ServiceHours",
    "Volunteer",
    "VolunteerTeam",
    "members_in_good_standing",
    "overlapping_hours",
]

MAX_HOURS_A_DAY: Final = Decimal(24)
"""The most hours one entry may hold, and one volunteer may serve, on one day."""

_HOURS_PLACES: Final = 2
_START: Final = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]\Z", re.ASCII)
_MINUTES: Final = Decimal(60)
_DAY_MINUTES: Final = Decimal(24 * 60)


def _left_not_before_joined(self: Any) -> None:
    if self.left is not None and self.left < self.joined:
        raise ValueError(
            f"'left' must not be before 'joined' (got {self.left.isoformat()} < "
            f"{self.joined.isoformat()})"
        )


# -- volunteers and teams ----------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class VolunteerTeam:
    """A volunteer team (志愿服务队) run under an organisation.

    Attributes:
        id: the team's id.
        name: its name, such as "“敲门嫂”志愿服务队" (a team's name is not personal data).
        organization_id: the society or body it belongs to (``organizations``).
        site_id: the service site it is based at (``sites``), if any.
        founded_on: the day it was founded, if known.

    >>> VolunteerTeam(id="knock", name="“敲门嫂”志愿服务队", organization_id="xy").site_id is None
    True
    """

    id: str = id_field()
    name: str = text_field()
    organization_id: str = ref_field("organizations")
    site_id: str | None = ref_field("sites", optional=True)
    founded_on: date | None = date_field(optional=True)


@attrs.frozen(kw_only=True)
class Volunteer:
    """A person registered as a volunteer, from the day they joined to the day they left.

    The person's name, ID number and phone live on their :class:`~humanaid.Person`
    (``persons``), not here.

    Attributes:
        id: the volunteer's id.
        person_id: the person (``persons``).
        joined: the day they registered.
        team_id: the team they serve in (``teams``), if any.
        organization_id: the society they registered with (``organizations``), if
            recorded apart from their team's.
        left: the last day they were a volunteer, if they left.
        registration_number: their number on a volunteer register (志愿者编号); personal
            data, since it identifies the person.

    >>> v = Volunteer(id="v1", person_id="p1", joined=date(2021, 3, 5), left=date(2022, 6, 30),
    ...               registration_number="36010020210305")
    >>> v
    Volunteer(id='v1', person_id='p1', joined=..., registration_number=***)
    >>> v.active_on(date(2022, 6, 30)), v.active_on(date(2022, 7, 1))
    (True, False)
    """

    id: str = id_field()
    person_id: str = ref_field("persons")
    joined: date = date_field()
    team_id: str | None = ref_field("teams", optional=True)
    organization_id: str | None = ref_field("organizations", optional=True)
    left: date | None = date_field(optional=True)
    registration_number: str | None = text_field(optional=True, max_length=64, pii=True)

    def __attrs_post_init__(self) -> None:
        _left_not_before_joined(self)

    def active_on(self, day: date) -> bool:
        """Whether the person was a volunteer on ``day`` (joined, and not yet left)."""
        return self.joined <= day and (self.left is None or day <= self.left)


# -- activities and hours ----------------------------------------------------------------------


class ActivityKind(enum.StrEnum):
    """What a piece of volunteer service is.

    ``ELDER_CARE`` 养老助老 (the 五全 elder care of 章金媛爱心奉献团);
    ``FIRST_AID`` 应急救护 on duty at an event; ``FIRST_AID_TRAINING`` 急救培训 (the
    courses themselves are :mod:`humanaid.training`'s); ``PSYCHOLOGICAL_SUPPORT`` 心理陪护,
    心理疏导; ``POVERTY_RELIEF`` 扶贫帮困; ``DONATION_REGISTRATION`` “三献” 报名登记;
    ``HEALTH_EDUCATION`` 健康教育, 生命教育; ``HOSPICE`` 临终关怀; ``COMMUNITY_SAFETY``
    入户走访、排除隐患 (the 敲门嫂); ``DISASTER_RELIEF`` 救灾; ``EPIDEMIC`` 疫情防控;
    ``TUTORING`` 辅导 children; ``OTHER``.
    """

    ELDER_CARE = "elder_care"
    FIRST_AID = "first_aid"
    FIRST_AID_TRAINING = "first_aid_training"
    PSYCHOLOGICAL_SUPPORT = "psychological_support"
    POVERTY_RELIEF = "poverty_relief"
    DONATION_REGISTRATION = "donation_registration"
    HEALTH_EDUCATION = "health_education"
    HOSPICE = "hospice"
    COMMUNITY_SAFETY = "community_safety"
    DISASTER_RELIEF = "disaster_relief"
    EPIDEMIC = "epidemic"
    TUTORING = "tutoring"
    OTHER = "other"


@attrs.frozen(kw_only=True)
class ServiceActivity:
    """A piece of volunteer service run by an organisation over some days.

    An activity held at a service site names it in ``site_id``: that is what makes a
    site active (:mod:`humanaid.sites`).

    Attributes:
        id: the activity's id.
        name: its name, such as "五全护老" or "“三献”报名登记".
        kind: what kind of service it is.
        organization_id: the organisation that runs it (``organizations``).
        period: its first and last day.
        site_id: the service site it is held at (``sites``), if any.
        team_id: the team that runs it (``teams``), if any.
        served: the person-times served (人次), if counted.

    >>> a = ServiceActivity(id="a1", name="五全护老", kind="elder_care", organization_id="nc",
    ...                     period=Period.quarter(2022, 1), site_id="xjt", served=120)
    >>> date(2022, 3, 31) in a.period, a.kind
    (True, <ActivityKind.ELDER_CARE: 'elder_care'>)
    """

    id: str = id_field()
    name: str = text_field()
    kind: ActivityKind = enum_field(ActivityKind)
    organization_id: str = ref_field("organizations")
    period: Period = record_field(Period)
    site_id: str | None = ref_field("sites", optional=True)
    team_id: str | None = ref_field("teams", optional=True)
    served: int | None = attrs.field(default=None, validator=whole(optional=True))


def _hours(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Decimal):
        hint = " (never a float)" if isinstance(value, float) else ""
        raise TypeError(
            f"'{attribute.name}' must be an int, a Decimal or a plain decimal string such as "
            f"'1.5'{hint} (got {value!r})"
        )
    exponent = value.as_tuple().exponent
    if (
        not value.is_finite()
        or value <= 0
        or value > MAX_HOURS_A_DAY
        or not isinstance(exponent, int)
        or exponent < -_HOURS_PLACES
    ):
        raise ValueError(
            f"'{attribute.name}' must be more than 0 and at most 24, with at most "
            f"{_HOURS_PLACES} decimal places (got {value!r})"
        )


def _decimal_hours(value: object) -> object:
    return to_decimal(value, text=True)


def _start(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _START.match(value):
        raise ValueError(
            f"'{attribute.name}' must be a time of day written HH:MM, 00:00 to 23:59 "
            f"(got {value!r})"
        )


@attrs.frozen(kw_only=True)
class ServiceHours:
    """Hours a volunteer served on one day of an activity (志愿服务时长).

    The hours are exact (a :class:`~decimal.Decimal` of at most two places, or an int;
    a float is refused). With a ``start`` time, the entry is a time slot of the day,
    from ``start`` for ``hours``, which must end by midnight; two slots of one
    volunteer on one day that overlap are double-booked (the rule
    ``volunteers.double-booked``).

    Attributes:
        id: the entry's id.
        volunteer_id: who served (``volunteers``).
        activity_id: the activity (``service_activities``).
        on: the day.
        hours: how long, more than 0 and at most 24.
        start: when the service began, ``"HH:MM"`` (24-hour clock), if recorded.
        note: a note on the service; personal data, since it may name those served.

    >>> h = ServiceHours(id="h1", volunteer_id="v1", activity_id="a1", on=date(2022, 1, 8),
    ...                  hours=2)
    >>> h.hours, h.slot
    (Decimal('2'), None)
    >>> ServiceHours(id="h1", volunteer_id="v1", activity_id="a1", on=date(2022, 1, 8),
    ...              hours=Decimal("0.125"))
    Traceback (most recent call last):
    ...
    ValueError: 'hours' must be more than 0 and at most 24, ... (got Decimal('0.125'))
    """

    id: str = id_field()
    volunteer_id: str = ref_field("volunteers")
    activity_id: str = ref_field("service_activities")
    on: date = date_field()
    hours: Decimal = attrs.field(converter=_decimal_hours, validator=_hours)
    start: str | None = attrs.field(default=None, validator=_start)
    note: str | None = text_field(optional=True, pii=True)

    def __attrs_post_init__(self) -> None:
        slot = self.slot
        if slot is not None and slot[1] > _DAY_MINUTES:
            raise ValueError(
                f"'hours' run past midnight: {self.hours} hours from {self.start} end after 24:00"
            )

    @property
    def slot(self) -> tuple[Decimal, Decimal] | None:
        """The minutes of the day the entry covers, ``[start, end)``; ``None`` without a start."""
        if self.start is None:
            return None
        hh, mm = self.start.split(":")
        begin = Decimal(int(hh) * 60 + int(mm))
        return begin, _EXACT.add(begin, _EXACT.multiply(self.hours, _MINUTES))


def overlapping_hours(a: ServiceHours, b: ServiceHours) -> bool:
    """Whether two entries put one volunteer in two places at once.

    They do when they are of the same volunteer on the same day, both have a start time,
    and their slots ``[start, start + hours)`` share a minute: a slot ending at 10:00
    and one starting at 10:00 do not overlap. An entry never overlaps itself.

    >>> one = ServiceHours(id="h1", volunteer_id="v1", activity_id="a1", on=date(2022, 1, 8),
    ...                    hours=2, start="09:00")
    >>> other = attrs.evolve(one, id="h2", activity_id="a2", start="10:30")
    >>> after = attrs.evolve(one, id="h3", start="11:00")
    >>> overlapping_hours(one, other), overlapping_hours(one, after)
    (True, False)
    """
    if a is b or a.volunteer_id != b.volunteer_id or a.on != b.on:
        return False
    sa, sb = a.slot, b.slot
    if sa is None or sb is None:
        return False
    return sa[0] < sb[1] and sb[0] < sa[1]


# -- members and dues --------------------------------------------------------------------------


class MemberKind(enum.StrEnum):
    """An individual member (个人会员, a person) or a group member (团体会员, an organisation)."""

    INDIVIDUAL = "individual"
    GROUP = "group"


@attrs.frozen(kw_only=True)
class Member:
    """A member (会员) of a society: a person, or an organisation as a group member.

    Attributes:
        id: the member's id.
        kind: individual or group.
        organization_id: the society it is a member of (``organizations``).
        person_id: for an individual member, the person (``persons``).
        member_organization_id: for a group member, the organisation that joined
            (``organizations``): an enterprise, a school, a hospital.
        joined: the day it joined.
        left: the last day it was a member, if it left.
        card_number: the membership card number (会员证号); personal data for an
            individual, since it identifies the person.

    >>> Member(id="m2", kind="group", organization_id="xy", member_organization_id="acme",
    ...        joined=date(2020, 5, 1)).member_in(2020)
    True
    >>> Member(id="m3", kind="individual", organization_id="xy", joined=date(2020, 5, 1))
    Traceback (most recent call last):
    ...
    ValueError: 'person_id' is required for an individual member (and ... must be None)
    """

    id: str = id_field()
    kind: MemberKind = enum_field(MemberKind)
    organization_id: str = ref_field("organizations")
    person_id: str | None = ref_field("persons", optional=True)
    member_organization_id: str | None = ref_field("organizations", optional=True)
    joined: date = date_field()
    left: date | None = date_field(optional=True)
    card_number: str | None = text_field(optional=True, max_length=64, pii=True)

    def __attrs_post_init__(self) -> None:
        if self.kind is MemberKind.INDIVIDUAL and (
            self.person_id is None or self.member_organization_id is not None
        ):
            raise ValueError(
                "'person_id' is required for an individual member (and "
                "'member_organization_id' must be None)"
            )
        if self.kind is MemberKind.GROUP and (
            self.member_organization_id is None or self.person_id is not None
        ):
            raise ValueError(
                "'member_organization_id' is required for a group member (and 'person_id' "
                "must be None)"
            )
        _left_not_before_joined(self)

    def member_on(self, day: date) -> bool:
        """Whether it was a member on ``day``."""
        return self.joined <= day and (self.left is None or day <= self.left)

    def member_in(self, year: int) -> bool:
        """Whether it was a member on some day of ``year``."""
        return self.joined.year <= year and (self.left is None or self.left.year >= year)


_YEAR: Final = whole(low=1900, high=9999)


@attrs.frozen(kw_only=True)
class DuesPayment:
    """Dues (会费) a member paid for one year.

    The year is the year paid for, which may differ from the day paid (dues for 2022
    paid in December 2021, or late in 2023).

    Attributes:
        id: the payment's id.
        member_id: the member (``members``).
        year: the year the dues are for.
        paid_on: the day they were paid.
        amount: how much, more than zero.

    >>> DuesPayment(id="d1", member_id="m1", year=2022, paid_on=date(2021, 12, 20),
    ...             amount=Money("20")).year
    2022
    """

    id: str = id_field()
    member_id: str = ref_field("members")
    year: int = attrs.field(validator=_YEAR)
    paid_on: date = date_field()
    amount: Money = money_field(validator=positive)


def members_in_good_standing(
    members: Iterable[Member], dues: Iterable[DuesPayment], year: int
) -> frozenset[str]:
    """The ids of the members in good standing in ``year``: members then, with dues paid for it.

    A member is counted once however many payments it made; a payment for a member not
    in ``members`` counts for nothing.

    >>> m = Member(id="m1", kind="group", organization_id="xy",
    ...            member_organization_id="acme", joined=date(2021, 7, 1))
    >>> paid = DuesPayment(id="d1", member_id="m1", year=2021, paid_on=date(2021, 7, 1),
    ...                    amount=Money("500"))
    >>> sorted(members_in_good_standing([m], [paid, attrs.evolve(paid, id="d2")], 2021))
    ['m1']

    Raises:
        TypeError: if ``year`` is not an int.
    """
    whole_number("year", year, low=1, high=9999)
    paid = {d.member_id for d in dues if d.year == year}
    return frozenset(m.id for m in members if m.id in paid and m.member_in(year))
