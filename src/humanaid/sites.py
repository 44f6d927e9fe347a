"""Service sites and stations (服务站、服务阵地), their 五有 assessments and their activity.

A :class:`ServiceSite` is a place where a society serves people: a township or village
service station (红十字工作服务站), a first-aid base (急救基地), a school clinic
(博爱校医室), a life-safety experience hall (生命健康安全体验馆), a community health
promotion point, a rescue station (救护站). It sits in the area hierarchy
(``admin_areas``), is run by an organisation, and is open from the day it opened.

The standard a site is built to is the **五有**: it has an organisation (有组织), premises
(有阵地), a team (有队伍), activities (有活动) and results (有成效). A
:class:`SiteAssessment` is a dated check of the five; a site is *built to the standard*
on a day when its latest assessment by then finds all five. A site is *active* in a
period when an activity is held at it then: a :class:`~humanaid.ServiceActivity` whose
``site_id`` names it, or a training course (anything with a ``site_id`` and its days). A
site open in a period with nothing held at it is *idle*: an empty room the articles want
revived (盘活).

>>> from datetime import date
>>> from humanaid import Period, ServiceActivity
>>> site = ServiceSite(id="xjt", name="小金台社区红十字服务站", kind="service_station",
...                    organization_id="nc", area_id="360102001001", opened=date(2019, 5, 1))
>>> check = SiteAssessment(id="s1", site_id="xjt", on=date(2021, 12, 1),
...                        met=["organization", "premises", "team", "activities"])
>>> check.meets_standard, [f.label for f in check.missing]
(False, ['有成效'])
>>> sorted(sites_to_standard([site], [check], on=date(2022, 3, 31)))
[]
>>> care = ServiceActivity(id="a1", name="五全护老", kind="elder_care", organization_id="nc",
...                        period=Period.quarter(2022, 1), site_id="xjt")
>>> sorted(active_sites([site], [care], Period.quarter(2022, 1)))
['xjt']
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Final

import attrs

from humanaid.periods import Period
from humanaid.records import date_field, enum_field, id_field, ref_field, text_field

__all__ = [
    "FIVE_HAS",
    "FiveHas",
    "ServiceSite",
    "SiteAssessment",
    "SiteKind",
    "active_sites",
    "latest_assessments",
    "sites_to_standard",
]


class SiteKind(enum.StrEnum):
    """What kind of service site a site is.

    ``SERVICE_STATION`` 红十字工作服务站 (township, village or community);
    ``FIRST_AID_BASE`` 红十字急救基地; ``SCHOOL_CLINIC`` 博爱校医室;
    ``SAFETY_EXPERIENCE_HALL`` 生命健康安全体验馆(教室); ``HEALTH_PROMOTION`` 社区健康促进项目;
    ``RESCUE_STATION`` 救护站; ``OTHER``.
    """

    SERVICE_STATION = "service_station"
    FIRST_AID_BASE = "first_aid_base"
    SCHOOL_CLINIC = "school_clinic"
    SAFETY_EXPERIENCE_HALL = "safety_experience_hall"
    HEALTH_PROMOTION = "health_promotion"
    RESCUE_STATION = "rescue_station"
    OTHER = "other"


class FiveHas(enum.StrEnum):
    """The five things a site must have (五有), in the order they are always listed.

    >>> [f.label for f in FiveHas]
    ['有组织', '有阵地', '有队伍', '有活动', '有成效']
    """

    ORGANIZATION = "organization"
    PREMISES = "premises"
    TEAM = "team"
    ACTIVITIES = "activities"
    RESULTS = "results"

    @property
    def label(self) -> str:
        """The Chinese words: 有组织, 有阵地, 有队伍, 有活动, 有成效."""
        return _LABELS[self]


_LABELS: Final = {
    FiveHas.ORGANIZATION: "有组织",
    FiveHas.PREMISES: "有阵地",
    FiveHas.TEAM: "有队伍",
    FiveHas.ACTIVITIES: "有活动",
    FiveHas.RESULTS: "有成效",
}

FIVE_HAS: Final = frozenset(FiveHas)
"""All five: what a site built to the standard has."""


@attrs.frozen(kw_only=True)
class ServiceSite:
    """A service site or station, in the area hierarchy, open from the day it opened.

    Attributes:
        id: the site's id.
        name: its name, such as "铁路四村社区保障服务站".
        kind: what kind of site it is.
        organization_id: the society that runs it (``organizations``).
        area_id: the administrative area it is in (``admin_areas``): a village or
            community code, so that figures roll up township > county > city > province.
        opened: the day it opened.
        closed: the last day it was open, if it closed.
        host: what it is embedded in (依托), such as "党群服务中心" or "新时代文明实践站".

    >>> ServiceSite(id="s", name="某站", kind="rescue_station", organization_id="o",
    ...             area_id="360000", opened=date(2022, 2, 1), closed=date(2021, 1, 1))
    Traceback (most recent call last):
    ...
    ValueError: 'closed' must not be before 'opened' (got 2021-01-01 < 2022-02-01)
    """

    id: str = id_field()
    name: str = text_field()
    kind: SiteKind = enum_field(SiteKind)
    organization_id: str = ref_field("organizations")
    area_id: str = ref_field("admin_areas")
    opened: date = date_field()
    closed: date | None = date_field(optional=True)
    host: str | None = text_field(optional=True)

    def __attrs_post_init__(self) -> None:
        if self.closed is not None and self.closed < self.opened:
            raise ValueError(
                f"'closed' must not be before 'opened' (got {self.closed.isoformat()} < "
                f"{self.opened.isoformat()})"
            )

    def open_on(self, day: date) -> bool:
        """Whether the site was open on ``day``."""
        return self.opened <= day and (self.closed is None or day <= self.closed)

    def open_during(self, period: Period) -> Period | None:
        """The days of ``period`` the site was open, or ``None`` if none."""
        end = period.end if self.closed is None else min(period.end, self.closed)
        start = max(period.start, self.opened)
        return Period(start, end) if start <= end else None


def _five(value: object) -> object:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return value  # the validator names it
    items = list(value)
    try:
        return frozenset(FiveHas(v) for v in items)
    except ValueError:
        return items


def _met(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, frozenset) or not all(isinstance(v, FiveHas) for v in value):
        allowed = ", ".join(repr(f.value) for f in FiveHas)
        raise ValueError(f"'{attribute.name}' must be a set of {allowed} (got {value!r})")


@attrs.frozen(kw_only=True)
class SiteAssessment:
    """A dated check of a site against the 五有: which of the five it was found to have.

    Attributes:
        id: the assessment's id.
        site_id: the site (``sites``).
        on: the day of the assessment.
        met: which of the five the site was found to have.
        assessor_id: the organisation that assessed it (``organizations``), if recorded.
        note: what the assessor wrote, if anything.

    >>> a = SiteAssessment(id="a", site_id="s", on=date(2022, 3, 1), met=FIVE_HAS)
    >>> a.meets_standard, a.missing
    (True, ())
    >>> SiteAssessment(id="a", site_id="s", on=date(2022, 3, 1), met=["results", "money"])
    Traceback (most recent call last):
    ...
    ValueError: 'met' must be a set of 'organization', 'premises', ... (got ['results', 'money'])
    """

    id: str = id_field()
    site_id: str = ref_field("sites")
    on: date = date_field()
    met: frozenset[FiveHas] = attrs.field(factory=frozenset, converter=_five, validator=_met)
    assessor_id: str | None = ref_field("organizations", optional=True)
    note: str | None = text_field(optional=True)

    @property
    def missing(self) -> tuple[FiveHas, ...]:
        """The ones of the five the site lacked, in the standard's order."""
        return tuple(f for f in FiveHas if f not in self.met)

    @property
    def meets_standard(self) -> bool:
        """Whether the site had all five."""
        return self.met == FIVE_HAS


def _days_held(record: Any) -> Period | None:
    """The days a record was held: its ``period``, its ``start`` to ``end``, or its day ``on``."""
    period = getattr(record, "period", None)
    if isinstance(period, Period):
        return period
    start, end = getattr(record, "start", None), getattr(record, "end", None)
    if isinstance(start, date) and isinstance(end, date) and start <= end:
        return Period(start, end)
    on = getattr(record, "on", None)
    return Period(on, on) if isinstance(on, date) else None


def latest_assessments(
    assessments: Iterable[SiteAssessment], *, on: date | None = None
) -> dict[str, SiteAssessment]:
    """Each site's latest assessment (on or before ``on``, if given), by site id.

    Of two on the same day, the one listed later counts.

    >>> early = SiteAssessment(id="a1", site_id="s", on=date(2021, 1, 1), met=FIVE_HAS)
    >>> late = SiteAssessment(id="a2", site_id="s", on=date(2022, 1, 1), met=[])
    >>> latest_assessments([late, early])["s"].id, latest_assessments([late, early],
    ...     on=date(2021, 6, 1))["s"].id
    ('a2', 'a1')
    """
    latest: dict[str, SiteAssessment] = {}
    for a in assessments:
        if on is not None and a.on > on:
            continue
        known = latest.get(a.site_id)
        if known is None or a.on >= known.on:
            latest[a.site_id] = a
    return latest


def sites_to_standard(
    sites: Iterable[ServiceSite], assessments: Iterable[SiteAssessment], *, on: date
) -> frozenset[str]:
    """The ids of the sites built to the 五有 standard on ``on``.

    A site counts when it is open on ``on`` and its latest assessment by then found all
    five. A site never assessed does not count: nobody has said it meets the standard.
    """
    latest = latest_assessments(assessments, on=on)
    return frozenset(
        s.id
        for s in sites
        if s.open_on(on) and (a := latest.get(s.id)) is not None and a.meets_standard
    )


def active_sites(
    sites: Iterable[ServiceSite] | Mapping[str, ServiceSite],
    held: Iterable[Any],
    period: Period,
) -> frozenset[str]:
    """The ids of the sites at which something was held in ``period`` while they were open.

    Args:
        sites: the sites (records, or an id index of them).
        held: what is held at sites: service activities, training courses, anything with
            a ``site_id`` and its days: a ``period``, a ``start`` and an ``end``, or a
            day ``on``. Those without a site are skipped.
        period: the period.
    """
    index = sites if isinstance(sites, Mapping) else {s.id: s for s in sites}
    active: set[str] = set()
    for record in held:
        site_id = getattr(record, "site_id", None)
        site = index.get(site_id) if isinstance(site_id, str) else None
        if site is None or site.id in active:
            continue
        days, held_on = site.open_during(period), _days_held(record)
        if days is not None and held_on is not None and held_on.overlaps(days):
            active.add(site.id)
    return frozenset(active)
