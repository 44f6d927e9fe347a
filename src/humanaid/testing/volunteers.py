"""Hypothesis strategies for volunteers, teams, activities, hours, members and dues.

Re-exported by :mod:`humanaid.testing`. Every strategy builds valid records from the
shared building blocks of :mod:`humanaid.testing._common`; references are short ids
(or drawn from the ids you pass), so that they sometimes resolve.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from humanaid.testing._common import (
    MAX_DATE,
    MIN_DATE,
    dates,
    labels,
    members_of,
    money_units,
    periods,
    short_ids,
)
from humanaid.volunteers import (
    ActivityKind,
    DuesPayment,
    Member,
    MemberKind,
    ServiceActivity,
    ServiceHours,
    Volunteer,
    VolunteerTeam,
)

__all__ = [
    "dues_payments",
    "members",
    "service_activities",
    "service_hours",
    "volunteer_teams",
    "volunteers",
]


def _ref(ids: Sequence[str] | None, prefix: str) -> st.SearchStrategy[str]:
    return st.sampled_from(list(ids)) if ids else short_ids(prefix=prefix)


def _optional_ref(ids: Sequence[str] | None, prefix: str) -> st.SearchStrategy[str | None]:
    return st.none() | _ref(ids, prefix)


def _numbers() -> st.SearchStrategy[str]:
    return st.from_regex(r"[0-9]{8,14}", fullmatch=True)


def volunteer_teams(
    *, organization_ids: Sequence[str] | None = None, site_ids: Sequence[str] | None = None
) -> st.SearchStrategy[VolunteerTeam]:
    """Volunteer teams of an organisation, perhaps based at a site."""
    return st.builds(
        VolunteerTeam,
        id=short_ids(prefix="team-"),
        name=labels(),
        organization_id=_ref(organization_ids, "org-"),
        site_id=_optional_ref(site_ids, "site-"),
        founded_on=st.none() | dates(),
    )


def volunteers(
    *,
    person_ids: Sequence[str] | None = None,
    team_ids: Sequence[str] | None = None,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
) -> st.SearchStrategy[Volunteer]:
    """Volunteers who joined between ``min_date`` and ``max_date``, some of whom left."""

    @st.composite
    def build(draw: st.DrawFn) -> Volunteer:
        joined = draw(dates(min_value=min_date, max_value=max_date))
        left = draw(st.none() | dates(min_value=joined, max_value=max_date))
        return Volunteer(
            id=draw(short_ids(prefix="v-")),
            person_id=draw(_ref(person_ids, "p-")),
            joined=joined,
            team_id=draw(_optional_ref(team_ids, "team-")),
            organization_id=draw(st.none() | short_ids(prefix="org-")),
            left=left,
            registration_number=draw(st.none() | _numbers()),
        )

    return build()


def service_activities(
    *,
    organization_ids: Sequence[str] | None = None,
    site_ids: Sequence[str] | None = None,
    team_ids: Sequence[str] | None = None,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
) -> st.SearchStrategy[ServiceActivity]:
    """Service activities of any kind over a period, perhaps at a site, perhaps by a team."""
    return st.builds(
        ServiceActivity,
        id=short_ids(prefix="act-"),
        name=labels(),
        kind=members_of(ActivityKind),
        organization_id=_ref(organization_ids, "org-"),
        period=periods(min_value=min_date, max_value=max_date),
        site_id=_optional_ref(site_ids, "site-"),
        team_id=_optional_ref(team_ids, "team-"),
        served=st.none() | st.integers(min_value=0, max_value=10**6),
    )


def _hours(*, max_value: int = 2400) -> st.SearchStrategy[Decimal]:
    """0.01 to 24 hours (in hundredths), as exact decimals of two places or fewer."""
    return st.integers(min_value=1, max_value=max_value).map(
        lambda n: Decimal(n).scaleb(-2).normalize() if n % 100 else Decimal(n // 100)
    )


def service_hours(
    *,
    volunteer_ids: Sequence[str] | None = None,
    activity_ids: Sequence[str] | None = None,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
    timed: bool | None = None,
) -> st.SearchStrategy[ServiceHours]:
    """Hours on a day, with a start time that leaves the slot within the day, or none.

    Args:
        volunteer_ids: volunteers to draw from (default: any short id).
        activity_ids: activities to draw from (default: any short id).
        min_date: the earliest day.
        max_date: the latest day.
        timed: ``True`` for entries with a start time, ``False`` for entries without,
            ``None`` (default) for either.
    """

    @st.composite
    def build(draw: st.DrawFn) -> ServiceHours:
        with_start = draw(st.booleans()) if timed is None else timed
        start: str | None = None
        if with_start:
            minute = draw(st.integers(min_value=0, max_value=24 * 60 - 1))
            start = f"{minute // 60:02d}:{minute % 60:02d}"
            room = (24 * 60 - minute) * 100 // 60  # hundredths of an hour left in the day
            hours = draw(_hours(max_value=max(1, min(2400, room))))
        else:
            hours = draw(_hours())
        return ServiceHours(
            id=draw(short_ids(prefix="h-")),
            volunteer_id=draw(_ref(volunteer_ids, "v-")),
            activity_id=draw(_ref(activity_ids, "act-")),
            on=draw(dates(min_value=min_date, max_value=max_date)),
            hours=hours,
            start=start,
            note=draw(st.none() | labels()),
        )

    return build()


def members(
    *,
    organization_ids: Sequence[str] | None = None,
    person_ids: Sequence[str] | None = None,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
) -> st.SearchStrategy[Member]:
    """Individual members (a person) and group members (an organisation), some of whom left."""

    @st.composite
    def build(draw: st.DrawFn) -> Member:
        kind = draw(members_of(MemberKind))
        joined = draw(dates(min_value=min_date, max_value=max_date))
        individual = kind is MemberKind.INDIVIDUAL
        return Member(
            id=draw(short_ids(prefix="m-")),
            kind=kind,
            organization_id=draw(_ref(organization_ids, "org-")),
            person_id=draw(_ref(person_ids, "p-")) if individual else None,
            member_organization_id=None if individual else draw(short_ids(prefix="org-")),
            joined=joined,
            left=draw(st.none() | dates(min_value=joined, max_value=max_date)),
            card_number=draw(st.none() | _numbers()),
        )

    return build()


def dues_payments(
    *,
    member_ids: Sequence[str] | None = None,
    currency: str = "CNY",
    min_year: int = MIN_DATE.year,
    max_year: int = MAX_DATE.year,
) -> st.SearchStrategy[DuesPayment]:
    """Dues for a year, paid within a year either side of it."""

    @st.composite
    def build(draw: st.DrawFn) -> DuesPayment:
        year = draw(st.integers(min_value=min_year, max_value=max_year))
        first = date(year, 1, 1) - timedelta(days=365)
        return DuesPayment(
            id=draw(short_ids(prefix="d-")),
            member_id=draw(_ref(member_ids, "m-")),
            year=year,
            paid_on=draw(dates(min_value=first, max_value=date(year + 1, 12, 31))),
            amount=draw(money_units(currency=currency, max_value=10**7)),
        )

    return build()


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this module and its default strategy (for ``record_strategies``)."""
    return {
        VolunteerTeam: volunteer_teams,
        Volunteer: volunteers,
        ServiceActivity: service_activities,
        ServiceHours: service_hours,
        Member: members,
        DuesPayment: dues_payments,
    }
