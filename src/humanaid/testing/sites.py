"""Hypothesis strategies for service sites and their 五有 assessments.

Re-exported by :mod:`humanaid.testing`. Every strategy builds valid records from the
shared building blocks of :mod:`humanaid.testing._common`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from hypothesis import strategies as st

from humanaid.sites import FiveHas, ServiceSite, SiteAssessment, SiteKind
from humanaid.testing._common import MAX_DATE, MIN_DATE, dates, labels, members_of, short_ids

__all__ = ["service_sites", "site_assessments"]

_AREAS = st.sampled_from(["360000", "360100", "360102", "360102001", "360102001001", "CN01"])
_HOSTS = st.sampled_from(["党群服务中心", "新时代文明实践站", "社区卫生服务中心", "school"])


def _ref(ids: Sequence[str] | None, prefix: str) -> st.SearchStrategy[str]:
    return st.sampled_from(list(ids)) if ids else short_ids(prefix=prefix)


def service_sites(
    *,
    organization_ids: Sequence[str] | None = None,
    area_ids: Sequence[str] | None = None,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
) -> st.SearchStrategy[ServiceSite]:
    """Service sites of any kind, opened between the two days, some of which closed."""

    @st.composite
    def build(draw: st.DrawFn) -> ServiceSite:
        opened = draw(dates(min_value=min_date, max_value=max_date))
        return ServiceSite(
            id=draw(short_ids(prefix="site-")),
            name=draw(labels()),
            kind=draw(members_of(SiteKind)),
            organization_id=draw(_ref(organization_ids, "org-")),
            area_id=draw(st.sampled_from(list(area_ids)) if area_ids else _AREAS),
            opened=opened,
            closed=draw(st.none() | dates(min_value=opened, max_value=max_date)),
            host=draw(st.none() | _HOSTS),
        )

    return build()


def site_assessments(
    *,
    site_ids: Sequence[str] | None = None,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
    meets_standard: bool | None = None,
) -> st.SearchStrategy[SiteAssessment]:
    """Assessments finding any of the 五有 (all five, when ``meets_standard`` is True).

    ``meets_standard=False`` leaves out at least one; ``None`` (default) draws either.
    """
    five = st.frozensets(st.sampled_from(list(FiveHas)))
    if meets_standard is True:
        five = st.just(frozenset(FiveHas))
    elif meets_standard is False:
        five = five.filter(lambda met: len(met) < len(FiveHas))
    return st.builds(
        SiteAssessment,
        id=short_ids(prefix="chk-"),
        site_id=_ref(site_ids, "site-"),
        on=dates(min_value=min_date, max_value=max_date),
        met=five,
        assessor_id=st.none() | short_ids(prefix="org-"),
        note=st.none() | labels(),
    )


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this module and its default strategy (for ``record_strategies``)."""
    return {ServiceSite: service_sites, SiteAssessment: site_assessments}
