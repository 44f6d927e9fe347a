"""Rules about service sites: short of the 五有, idle, or used while closed.

* ``sites.short-of-standard`` (WARNING): a site's latest assessment finds it missing
  one or more of the 五有 (有组织、有阵地、有队伍、有活动、有成效);
* ``sites.assessed-while-closed`` (ERROR): an assessment dated before its site opened
  or after it closed;
* ``sites.activity-while-closed`` (ERROR): an activity at a site none of whose days fall
  while the site was open;
* ``sites.idle`` (WARNING, from :func:`idle_sites`): a site open in the period asked
  about with nothing held at it while it was open: an idle site to revive (盘活).

The first three run on every :meth:`~humanaid.Dataset.validate`; whether a site is idle
depends on the period asked about, so :func:`idle_sites` makes the rule for one period.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from humanaid.findings import Finding, Severity
from humanaid.periods import Period
from humanaid.sites import ServiceSite, SiteAssessment, active_sites, latest_assessments
from humanaid.volunteers import ServiceActivity

if TYPE_CHECKING:
    from humanaid.dataset import Dataset, Rule

__all__ = ["idle_sites", "sites_meet_standard", "sites_used_while_open"]


def sites_meet_standard(dataset: Dataset) -> Iterator[Finding]:
    """Each site's latest assessment finds all five of the 五有 (``sites.short-of-standard``).

    A site never assessed, or closed, is not checked. Severity WARNING: the site is
    there, but not yet what the standard asks.
    """
    sites = dataset.index("sites", missing_ok=True)
    latest = latest_assessments(dataset.records("site_assessments", missing_ok=True))
    for site_id, assessment in latest.items():
        site: ServiceSite | None = sites.get(site_id)
        if site is None or site.closed is not None or assessment.meets_standard:
            continue
        lacking = "、".join(f.label for f in assessment.missing)
        yield Finding(
            rule="sites.short-of-standard",
            severity=Severity.WARNING,
            subject=site.id,
            message=(
                f"site {site.id!r} lacked {lacking} ({', '.join(assessment.missing)}) at its "
                f"latest assessment {assessment.id!r} on {assessment.on.isoformat()}"
            ),
            figures={
                "assessment": assessment.id,
                "assessed_on": assessment.on,
                "missing": ", ".join(assessment.missing),
            },
        )


def sites_used_while_open(dataset: Dataset) -> Iterator[Finding]:
    """Sites are assessed and used only while they are open.

    * ``sites.assessed-while-closed`` (ERROR): an assessment dated before its site opened
      or after it closed; about the assessment.
    * ``sites.activity-while-closed`` (ERROR): an activity held at a site, none of whose
      days the site was open; about the activity.
    """
    sites = dataset.index("sites", missing_ok=True)
    if not sites:
        return
    assessment: SiteAssessment
    for assessment in dataset.records("site_assessments", missing_ok=True):
        site: ServiceSite | None = sites.get(assessment.site_id)
        if site is not None and not site.open_on(assessment.on):
            yield Finding(
                rule="sites.assessed-while-closed",
                severity=Severity.ERROR,
                subject=assessment.id,
                message=(
                    f"assessment {assessment.id!r} of site {site.id!r} is dated "
                    f"{assessment.on.isoformat()}, {_when_closed(site, assessment.on)}"
                ),
                figures={"on": assessment.on, "site": site.id, "opened": site.opened},
            )
    activity: ServiceActivity
    for activity in dataset.records("service_activities", missing_ok=True):
        if activity.site_id is None:
            continue
        site = sites.get(activity.site_id)
        if site is not None and site.open_during(activity.period) is None:
            yield Finding(
                rule="sites.activity-while-closed",
                severity=Severity.ERROR,
                subject=activity.id,
                message=(
                    f"activity {activity.id!r} ({activity.period}) is held at site "
                    f"{site.id!r}, {_when_closed(site, activity.period.start)}"
                ),
                figures={"site": site.id, "opened": site.opened},
            )


def _when_closed(site: ServiceSite, day: date) -> str:
    if site.closed is not None and day > site.closed:
        return f"after it closed on {site.closed.isoformat()}"
    return f"before it opened on {site.opened.isoformat()}"


def idle_sites(period: Period | int) -> Rule:
    """Make a rule that reports the sites idle in ``period`` (a period, or a year).

    ``sites.idle`` (WARNING): a site open on some day of the period at which nothing
    was held on a day it was open, neither a service activity nor a training course
    (:func:`~humanaid.active_sites`); one finding per site.

    >>> idle_sites(2022).__name__
    'idle_sites(2022)'

    Raises:
        TypeError, ValueError: if ``period`` is neither a Period nor a year.
    """
    when = period if isinstance(period, Period) else Period.year(period)

    def rule(dataset: Dataset) -> Iterator[Finding]:
        sites = dataset.index("sites", missing_ok=True)
        held = itertools.chain(
            dataset.records("service_activities", missing_ok=True),
            dataset.records("courses", missing_ok=True),
        )
        active = active_sites(sites, held, when)
        site: ServiceSite
        for site in sites.values():
            if site.id in active or site.open_during(when) is None:
                continue
            yield Finding(
                rule="sites.idle",
                severity=Severity.WARNING,
                subject=site.id,
                message=f"site {site.id!r} was open in {when} and nothing was held at it",
                figures={"opened": site.opened, "period": str(when)},
            )

    rule.__name__ = rule.__qualname__ = f"idle_sites({when})"
    return rule
