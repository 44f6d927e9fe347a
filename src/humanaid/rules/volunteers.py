"""Rules about volunteers' hours and members' dues.

Every finding names records by id only, never a person's name or a note.

* ``volunteers.hours-outside-activity`` (ERROR): hours logged on a day outside the
  activity's period;
* ``volunteers.hours-outside-registration`` (WARNING): hours logged on a day the
  volunteer was not registered (before they joined, or after they left);
* ``volunteers.over-24-hours`` (ERROR): one volunteer's hours on one day add up to more
  than 24, across all activities;
* ``volunteers.double-booked`` (WARNING): two entries of one volunteer on one day whose
  time slots overlap (:func:`~humanaid.overlapping_hours`): they were in two places at
  once;
* ``volunteers.member-lapsed`` (WARNING, from :func:`lapsed_members`): a member in a year
  who paid no dues for it.

The first four run on every :meth:`~humanaid.Dataset.validate`; a lapsed member depends
on the year asked about, so :func:`lapsed_members` makes the rule for one year.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

from humanaid.findings import Finding, Severity
from humanaid.records import whole_number
from humanaid.volunteers import (
    MAX_HOURS_A_DAY,
    Member,
    ServiceActivity,
    ServiceHours,
    Volunteer,
    members_in_good_standing,
    overlapping_hours,
)

if TYPE_CHECKING:
    from humanaid.dataset import Dataset, Rule

__all__ = [
    "double_booked_volunteers",
    "hours_within_their_dates",
    "lapsed_members",
]


def hours_within_their_dates(dataset: Dataset) -> Iterator[Finding]:
    """Hours are logged within their activity's period and their volunteer's registration.

    ``volunteers.hours-outside-activity`` (ERROR) for an entry dated outside its
    activity's period; ``volunteers.hours-outside-registration`` (WARNING) for one dated
    before its volunteer joined or after they left. An entry whose activity or volunteer
    is missing is the integrity rule's to report.
    """
    activities = dataset.index("service_activities", missing_ok=True)
    volunteers = dataset.index("volunteers", missing_ok=True)
    entry: ServiceHours
    for entry in dataset.records("service_hours", missing_ok=True):
        activity: ServiceActivity | None = activities.get(entry.activity_id)
        if activity is not None and entry.on not in activity.period:
            yield Finding(
                rule="volunteers.hours-outside-activity",
                severity=Severity.ERROR,
                subject=entry.id,
                message=(
                    f"hours {entry.id!r} are logged on {entry.on.isoformat()}, outside "
                    f"activity {activity.id!r} ({activity.period})"
                ),
                figures={"on": entry.on, "activity": activity.id, "hours": entry.hours},
            )
        volunteer: Volunteer | None = volunteers.get(entry.volunteer_id)
        if volunteer is not None and not volunteer.active_on(entry.on):
            when = "before they joined" if entry.on < volunteer.joined else "after they left"
            yield Finding(
                rule="volunteers.hours-outside-registration",
                severity=Severity.WARNING,
                subject=entry.id,
                message=(
                    f"hours {entry.id!r} are logged on {entry.on.isoformat()} for volunteer "
                    f"{volunteer.id!r}, {when}"
                ),
                figures={"on": entry.on, "volunteer": volunteer.id, "joined": volunteer.joined},
            )


def double_booked_volunteers(dataset: Dataset) -> Iterator[Finding]:
    """No volunteer serves more than 24 hours in a day, or in two places at once.

    The entries of each volunteer are taken day by day (an entry listed twice under one
    id is the integrity rule's to report, and is taken once here):

    * ``volunteers.over-24-hours`` (ERROR): their hours on the day, across all
      activities, add up to more than 24; one finding per volunteer and day, about the
      volunteer.
    * ``volunteers.double-booked`` (WARNING): two of their entries on the day have start
      times and their slots ``[start, start + hours)`` overlap; one finding per
      overlapping pair, about the entry that starts later (of two starting together, the
      one with the greater id). Entries without a start time are only added up.
    """
    by_day: dict[tuple[str, object], list[ServiceHours]] = defaultdict(list)
    seen: set[str] = set()
    entry: ServiceHours
    for entry in dataset.records("service_hours", missing_ok=True):
        if entry.id in seen:
            continue
        seen.add(entry.id)
        by_day[entry.volunteer_id, entry.on].append(entry)
    for (volunteer_id, _day), entries in by_day.items():
        day = entries[0].on
        if len(entries) < 2:
            continue
        hours = sum((e.hours for e in entries), start=Decimal(0))
        if hours > MAX_HOURS_A_DAY:
            yield Finding(
                rule="volunteers.over-24-hours",
                severity=Severity.ERROR,
                subject=volunteer_id,
                message=(
                    f"volunteer {volunteer_id!r} has {hours} hours logged on "
                    f"{day.isoformat()}, more than the 24 a day holds"
                ),
                figures={"on": day, "hours": hours, "entries": len(entries)},
            )
        timed = sorted(
            ((slot, e) for e in entries if (slot := e.slot) is not None),
            key=lambda pair: (pair[0][0], pair[1].id),
        )
        for i, (_, first) in enumerate(timed):
            for _, later in timed[i + 1 :]:
                if not overlapping_hours(first, later):
                    continue
                yield Finding(
                    rule="volunteers.double-booked",
                    severity=Severity.WARNING,
                    subject=later.id,
                    message=(
                        f"volunteer {volunteer_id!r} is booked at once in {first.id!r} "
                        f"({first.activity_id!r}, from {first.start} for {first.hours} h) "
                        f"and {later.id!r} ({later.activity_id!r}, from {later.start} for "
                        f"{later.hours} h) on {day.isoformat()}"
                    ),
                    figures={"on": day, "volunteer": volunteer_id, "overlaps": first.id},
                )


def lapsed_members(year: int) -> Rule:
    """Make a rule that reports the members who paid no dues for ``year``.

    ``volunteers.member-lapsed`` (WARNING): a member on some day of ``year`` (joined by
    its end, not left before its start) with no dues paid for it; one finding per member.

    >>> lapsed_members(2022).__name__
    'lapsed_members(2022)'

    Raises:
        TypeError, ValueError: if ``year`` is not a year (an int from 1 to 9999).
    """
    whole_number("year", year, low=1, high=9999)

    def rule(dataset: Dataset) -> Iterator[Finding]:
        members: tuple[Member, ...] = dataset.records("members", missing_ok=True)
        good = members_in_good_standing(members, dataset.records("dues", missing_ok=True), year)
        reported: set[str] = set()
        for member in members:
            if member.id in good or member.id in reported or not member.member_in(year):
                continue
            reported.add(member.id)
            yield Finding(
                rule="volunteers.member-lapsed",
                severity=Severity.WARNING,
                subject=member.id,
                message=(
                    f"{member.kind.value} member {member.id!r} of {member.organization_id!r} "
                    f"paid no dues for {year}"
                ),
                figures={"year": year, "joined": member.joined},
            )

    rule.__name__ = rule.__qualname__ = f"lapsed_members({year})"
    return rule
