"""Red Cross work beyond money, as an annual report counts it: training, 三献, volunteers, sites.

:func:`services_summary` gives one organisation's (with its sub-units') figures for a
period as a one-row :class:`~humanaid.Table`; :func:`service_sentences` gives them as
the articles print them ("培训救护员3万余人，普及培训10万余人次"), with English
alongside; :func:`hours_by_team` splits the service hours by team.
:func:`~humanaid.year_at_a_glance` appends the sentences to its own when the dataset
holds such records.

What is counted, for the organisations inside :meth:`Boundary.organization
<humanaid.Boundary.organization>` (the organisation and, by default, its sub-units):

* **training** and **on-site rescues**: :func:`~humanaid.training_figures` (persons
  trained and person-times, certificates valid on the period's last day, people given
  first aid on site);
* **the three donations**: :func:`~humanaid.three_donations_figures` (new
  registrations, completed donations, blood donors; a withdrawn registration is in no
  later count);
* **volunteers**: those registered with it on the period's last day (through their own
  ``organization_id``, else their team's), and the *active* ones: distinct volunteers
  with hours in the period on an activity it ran;
* **hours**: the hours logged in the period on the activities it ran (exact decimals);
* **members in good standing**: its members who paid dues for the year the period ends
  in (:func:`~humanaid.members_in_good_standing`);
* **sites**: its sites open on the period's last day, those built to the 五有 standard
  then (:func:`~humanaid.sites_to_standard`) and those active in the period
  (:func:`~humanaid.active_sites`: an activity or a course held at them while open).

Counts of people are of distinct persons, never of entries: a volunteer who served on
forty days is one active volunteer with forty entries of hours.

>>> from datetime import date
>>> from decimal import Decimal
>>> from humanaid import (AdminArea, Dataset, Organization, Period, Person, ServiceActivity,
...                       ServiceHours, ServiceSite, SiteAssessment, Volunteer, VolunteerTeam)
>>> ds = Dataset(
...     organizations=[Organization(id="xy", name="新余市红十字会", level="city")],
...     admin_areas=[AdminArea(id="360500", name="新余市", level="prefecture")],
...     persons=[Person(id="p1", name="王敏"), Person(id="p2", name="李静")],
...     teams=[VolunteerTeam(id="knock", name="“敲门嫂”志愿服务队", organization_id="xy")],
...     volunteers=[Volunteer(id=f"v{i}", person_id=f"p{i}", joined=date(2021, 1, 1),
...                           team_id="knock") for i in (1, 2)],
...     sites=[ServiceSite(id="s1", name="某社区服务站", kind="service_station",
...                        organization_id="xy", area_id="360500", opened=date(2020, 1, 1))],
...     site_assessments=[SiteAssessment(id="c1", site_id="s1", on=date(2021, 12, 1),
...                                      met=["organization", "premises", "team", "activities",
...                                           "results"])],
...     service_activities=[ServiceActivity(id="a1", name="敲门入户", kind="community_safety",
...                                         organization_id="xy", site_id="s1",
...                                         period=Period.quarter(2022, 1))],
...     service_hours=[ServiceHours(id=f"h{i}", volunteer_id="v1", activity_id="a1",
...                                 on=date(2022, 1, i), hours=Decimal("1.5"))
...                    for i in (3, 4)],
... )
>>> print(services_summary(ds, Period.quarter(2022, 1), organization_id="xy").select(
...     "volunteers", "active volunteers", "hours", "sites", "to standard", "active sites"))
新余市红十字会, 2022-Q1: services
volunteers  active volunteers  hours  sites  to standard  active sites
----------  -----------------  -----  -----  -----------  ------------
         2                  1    3.0      1            1             1
>>> for s in service_sentences(ds, Period.quarter(2022, 1), organization_id="xy"):
...     print(s.partition(" (")[0])
志愿者2人，参与服务1人，志愿服务时长3小时
服务阵地1个，达到“五有”标准1个，开展活动1个
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, Final

import attrs

from humanaid.aggregate import count, distinct, lookup_key, sum_of, tabulate
from humanaid.dataset import Dataset
from humanaid.errors import UnknownId
from humanaid.funds import Boundary, PartyKind
from humanaid.periods import Period
from humanaid.records import whole_number
from humanaid.sites import ServiceSite, active_sites, sites_to_standard
from humanaid.table import Column, ColumnKind, Table
from humanaid.three_donations import ThreeDonationsFigures, three_donations_figures
from humanaid.training import TrainingFigures, training_figures
from humanaid.volunteers import Member, ServiceHours, Volunteer, members_in_good_standing

__all__ = ["hours_by_team", "service_sentences", "services_summary", "wan_count"]

_WAN: Final = 10_000


def wan_count(n: int, unit: str) -> str:
    """A count as the articles print it: whole 万 and 余 from 10,000 on, else every digit.

    "3万余人" is 30,000 or more and less than 40,000 (余: more was dropped), so a count
    of 10,000 or more is printed in whole 万, rounded down, with 余 when anything was
    dropped; a smaller count is printed as it is ("8863人").

    >>> wan_count(31_254, "人"), wan_count(100_000, "人次"), wan_count(8863, "人")
    ('3万余人', '10万人次', '8863人')

    Raises:
        TypeError, ValueError: if ``n`` is not a count (an int, not negative).
    """
    whole_number("n", n)
    if n < _WAN:
        return f"{n}{unit}"
    whole, rest = divmod(n, _WAN)
    return f"{whole}万{'余' if rest else ''}{unit}"


def _hours_text(hours: Decimal) -> str:
    """Hours as a report prints them: in whole 万 and 余 from 10,000 on, else exactly.

    >>> [_hours_text(Decimal(h)) for h in ("23493.0", "20000.5", "20000", "3.50")]
    ['2万余小时', '2万余小时', '2万小时', '3.5小时']
    """
    if hours < _WAN:
        return f"{hours.normalize():f}小时"
    whole, rest = divmod(hours, _WAN)
    return f"{int(whole)}万{'余' if rest else ''}小时"


# -- what is inside ----------------------------------------------------------------------------


def _named(dataset: Dataset) -> Iterator[str | None]:
    """The organisation ids the records name (owners, parents, runners of activities)."""
    yield from (o.parent_id for o in dataset.organizations)
    for name in ("donations", "funds", "projects", "programs", "teams", "sites", "members"):
        yield from (r.organization_id for r in dataset.records(name, missing_ok=True))
    yield from (a.organization_id for a in dataset.service_activities)


def _inside(dataset: Dataset, organization_id: str, include_children: bool) -> frozenset[str]:
    UnknownId.lookup(
        dataset,
        "organizations",
        organization_id,
        argument="organization_id",
        named=_named(dataset),
    )
    boundary = Boundary.organization(dataset, organization_id, include_children=include_children)
    return frozenset(p.id for p in boundary.parties if p.kind is PartyKind.ORGANIZATION)


def _as_period(period: Period | int) -> Period:
    if isinstance(period, Period):
        return period
    if isinstance(period, bool) or not isinstance(period, int):
        raise TypeError(f"'period' must be a Period or an int year (got {period!r})")
    return Period.year(period)


def _label(period: Period) -> str:
    start, end = period.start, period.end
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year != end.year:
        return f"{start.year}-{end.year}"
    return str(period)


def _name(dataset: Dataset, organization_id: str) -> str:
    org = dataset.get("organizations", organization_id)
    return organization_id if org is None else str(org.name)


@attrs.frozen
class _Scope:
    """The records of the organisations inside, for one period."""

    orgs: frozenset[str]
    period: Period
    activities: frozenset[str]  # the ids of the activities they ran

    def hours(self, entry: ServiceHours) -> bool:
        return entry.activity_id in self.activities and entry.on in self.period


def _scope(dataset: Dataset, period: Period, orgs: frozenset[str]) -> _Scope:
    ran = frozenset(a.id for a in dataset.service_activities if a.organization_id in orgs)
    return _Scope(orgs, period, ran)


# -- the figures -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class _Figures:
    training: TrainingFigures | None  # None: the dataset records no training
    donations: ThreeDonationsFigures | None  # None: it records none of the three donations
    volunteers: int
    active_volunteers: int
    hours: Decimal
    members: int
    sites: int
    to_standard: int
    active_sites: int
    has_volunteers: bool
    has_members: bool
    has_sites: bool


_TRAINING: Final = ("courses", "attendances", "certificates", "on_site_rescues")
_DONATIONS: Final = (
    "blood_drives",
    "blood_donations",
    "donor_registrations",
    "completed_donations",
)


def _any(dataset: Dataset, names: Iterable[str]) -> bool:
    return any(dataset.records(name, missing_ok=True) for name in names)


def _figures(dataset: Dataset, scope: _Scope, organization_id: str, children: bool) -> _Figures:
    period, orgs = scope.period, scope.orgs
    last = period.end
    teams = dataset.index("teams")

    def registered(v: Volunteer) -> bool:
        if v.organization_id is not None:
            org: str | None = v.organization_id
        else:
            team = teams.get(v.team_id) if v.team_id is not None else None
            org = None if team is None else team.organization_id
        return org in orgs and v.active_on(last)

    served = tabulate(
        dataset.service_hours,
        measures={"volunteers": distinct("volunteer_id"), "hours": sum_of("hours")},
        where=scope.hours,
    ).rows[0]
    ours: list[Member] = [m for m in dataset.members if m.organization_id in orgs]
    sites: list[ServiceSite] = [
        s for s in dataset.sites if s.organization_id in orgs and s.open_on(last)
    ]
    held: Iterable[Any] = itertools.chain(dataset.service_activities, dataset.courses)
    training = donations = None
    if _any(dataset, _TRAINING):
        training = training_figures(
            dataset, period, organization_id=organization_id, include_children=children
        )
    if _any(dataset, _DONATIONS):
        donations = three_donations_figures(
            dataset, period, organization_id=organization_id, include_children=children
        )
    return _Figures(
        training=training,
        donations=donations,
        volunteers=sum(1 for v in dataset.volunteers if registered(v)),
        active_volunteers=served[0],
        hours=Decimal(served[1]),
        members=len(members_in_good_standing(ours, dataset.dues, last.year)),
        sites=len(sites),
        to_standard=len(sites_to_standard(sites, dataset.site_assessments, on=last)),
        active_sites=len(active_sites(sites, held, period)),
        has_volunteers=bool(dataset.volunteers or dataset.service_hours),
        has_members=bool(dataset.members),
        has_sites=bool(dataset.sites),
    )


def services_summary(
    dataset: Dataset,
    period: Period | int,
    *,
    organization_id: str,
    include_children: bool = True,
) -> Table:
    """An organisation's services in a period: training, the three donations, volunteers, sites.

    One row. From the training records (:func:`~humanaid.training_figures`):
    ``first-aiders trained`` (distinct persons on certified first-aider courses),
    ``popular training`` (person-times of popular training), ``certified`` and
    ``valid certificates`` (persons ever certified, and those holding a valid certificate,
    on the period's last day), ``helped on site`` (people given first aid on site). From
    the three donations (:func:`~humanaid.three_donations_figures`): ``registrations``
    (persons newly registered to donate stem cells, and organs, body or corneas, not
    withdrawn; a person registering for both counts in each), ``completed donations``
    (stem cells, and organs, body or corneas) and ``blood donors``. Then ``volunteers``
    (registered on the period's last day), ``active volunteers`` (distinct, with hours in
    the period), ``hours``, ``members in good standing`` (dues paid for the year the
    period ends in), ``sites`` (open on the last day), ``to standard`` (built to the 五有
    then) and ``active sites`` (something held at them in the period: an activity or a
    course). A family the dataset records nothing of has empty cells, not zeros. See the
    module's docstring for what belongs to the organisation.

    Args:
        dataset: the dataset.
        period: a :class:`~humanaid.Period` or a year.
        organization_id: the organisation.
        include_children: count its sub-units too (default).

    Raises:
        UnknownId: if ``organization_id`` is neither an organisation of the dataset nor
            named by one of its records.
        TypeError: if ``period`` is neither a Period nor an int year.
    """
    when = _as_period(period)
    scope = _scope(dataset, when, _inside(dataset, organization_id, include_children))
    f = _figures(dataset, scope, organization_id, include_children)
    integer = ColumnKind.INTEGER
    columns = [
        Column("period", ColumnKind.PERIOD, key=True),
        Column("first-aiders trained", integer),
        Column("popular training", integer),
        Column("certified", integer),
        Column("valid certificates", integer),
        Column("helped on site", integer),
        Column("registrations", integer),
        Column("completed donations", integer),
        Column("blood donors", integer),
        Column("volunteers", integer),
        Column("active volunteers", integer),
        Column("hours", ColumnKind.DECIMAL),
        Column("members in good standing", integer),
        Column("sites", integer),
        Column("to standard", integer),
        Column("active sites", integer),
    ]
    t, d = f.training, f.donations
    row = (
        when,
        None if t is None else t.first_aiders_trained.persons,
        None if t is None else t.popular_trained.person_times,
        None if t is None else t.certified.certified,
        None if t is None else t.certified.valid,
        None if t is None else t.rescues.helped,
        None if d is None else d.stem_cell.registered + d.body_and_organ.registered,
        None if d is None else d.stem_cell.completed + d.body_and_organ.completed,
        None if d is None else d.blood.donors,
        f.volunteers,
        f.active_volunteers,
        f.hours,
        f.members,
        f.sites,
        f.to_standard,
        f.active_sites,
    )
    title = f"{_name(dataset, organization_id)}, {_label(when)}: services"
    return Table(columns=columns, rows=[row], title=title)


def service_sentences(
    dataset: Dataset,
    period: Period | int,
    *,
    organization_id: str,
    include_children: bool = True,
) -> tuple[str, ...]:
    """The services figures as the articles print them, with English alongside.

    One sentence per kind of record the dataset holds (none for a dataset without
    training, the three donations, volunteers, members or sites): counts of 10,000 or
    more in whole 万 with 余 when more was dropped, as the articles do
    (:func:`wan_count`: "培训救护员3万余人，普及培训10万余人次").

    Arguments and errors are those of :func:`services_summary`.
    """
    when = _as_period(period)
    scope = _scope(dataset, when, _inside(dataset, organization_id, include_children))
    f = _figures(dataset, scope, organization_id, include_children)
    out: list[str] = []
    t, d = f.training, f.donations
    if t is not None and _any(dataset, ("courses", "attendances")):
        fa, pop = t.first_aiders_trained, t.popular_trained
        out.append(
            f"培训救护员{wan_count(fa.persons, '人')}，"
            f"普及培训{wan_count(pop.person_times, '人次')} "
            f"(trained: {fa.persons:,} certified first-aiders; popular training "
            f"{pop.person_times:,} person-times, {pop.persons:,} persons)"
        )
        out.append(
            f"持证救护员{wan_count(t.certified.valid, '人')} (holding a valid certificate on "
            f"{t.certified.on.isoformat()}: {t.certified.valid:,} of "
            f"{t.certified.certified:,} certified)"
        )
    if t is not None and _any(dataset, ("on_site_rescues",)):
        r = t.rescues
        out.append(
            f"为{wan_count(r.helped, '名')}伤病群众开展现场救护 (first aid on site: "
            f"{r.helped:,} people in {r.rescues:,} rescues)"
        )
    if d is not None and _any(dataset, ("donor_registrations", "completed_donations")):
        stem, organ = d.stem_cell, d.body_and_organ
        out.append(
            f"实现造血干细胞成功捐献{stem.completed}例、遗体器官捐献{organ.completed}例，"
            f"发展遗体器官捐献登记志愿者{wan_count(organ.registered, '人')} (completed: "
            f"{stem.completed:,} stem-cell and {organ.completed:,} body and organ donations; "
            f"{organ.registered:,} new body and organ donation registrations, "
            f"{stem.registered:,} new stem-cell registry donors)"
        )
    if d is not None and _any(dataset, ("blood_drives", "blood_donations")):
        b = d.blood
        out.append(
            f"无偿献血{wan_count(b.donors, '人')} (voluntary blood donation: {b.donors:,} "
            f"donors, {b.units} units)"
        )
    if f.has_volunteers:
        out.append(
            f"志愿者{wan_count(f.volunteers, '人')}，"
            f"参与服务{wan_count(f.active_volunteers, '人')}，"
            f"志愿服务时长{_hours_text(f.hours)} (volunteers: {f.volunteers:,} registered, "
            f"{f.active_volunteers:,} served, {f.hours:,} hours)"
        )
    if f.has_members:
        out.append(
            f"按时缴纳会费的会员{wan_count(f.members, '名')} (members in good standing: "
            f"{f.members:,})"
        )
    if f.has_sites:
        out.append(
            f"服务阵地{wan_count(f.sites, '个')}，达到“五有”标准{wan_count(f.to_standard, '个')}，"
            f"开展活动{wan_count(f.active_sites, '个')} (service sites: {f.sites:,} open, "
            f"{f.to_standard:,} built to the 五有 standard, {f.active_sites:,} active)"
        )
    return tuple(out)


def hours_by_team(
    dataset: Dataset,
    period: Period | int,
    *,
    organization_id: str,
    include_children: bool = True,
) -> Table:
    """The service hours of a period by the team of the volunteer who served them.

    The hours are those :func:`services_summary` counts (logged in the period on an
    activity the organisation ran), grouped by the team of the volunteer who logged
    them; a volunteer without a team, or not in the dataset, is in the last row, with no
    team. The rows add up to the summary's hours. Columns: ``team``, ``volunteers``
    (distinct), ``entries``, ``hours``.

    Arguments and errors are those of :func:`services_summary`.
    """
    when = _as_period(period)
    scope = _scope(dataset, when, _inside(dataset, organization_id, include_children))
    return tabulate(
        dataset.service_hours,
        by=lookup_key("volunteer_id", dataset.index("volunteers"), "team_id", name="team"),
        measures={
            "volunteers": distinct("volunteer_id"),
            "entries": count(),
            "hours": sum_of("hours"),
        },
        where=scope.hours,
        title=f"{_name(dataset, organization_id)}, {_label(when)}: hours by team",
    )
