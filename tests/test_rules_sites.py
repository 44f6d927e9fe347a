"""Rules about service sites (humanaid.rules.sites)."""

from __future__ import annotations

from datetime import date

import attrs
from hypothesis import given
from hypothesis import strategies as st

from humanaid import (
    BUILTIN_RULES,
    FIVE_HAS,
    ActivityKind,
    Dataset,
    FiveHas,
    Period,
    ServiceActivity,
    ServiceSite,
    SiteAssessment,
    SiteKind,
    active_sites,
    idle_sites,
    latest_assessments,
)
from humanaid import testing as ht
from humanaid.rules.sites import sites_meet_standard, sites_used_while_open

Q1 = Period.quarter(2022, 1)
SITE = ServiceSite(
    id="s1",
    name="小金台社区服务站",
    kind=SiteKind.SERVICE_STATION,
    organization_id="nc",
    area_id="360102001001",
    opened=date(2020, 6, 1),
)


def activity(id: str, site_id: str | None, period: Period = Q1) -> ServiceActivity:
    return ServiceActivity(
        id=id,
        name="五全护老",
        kind=ActivityKind.ELDER_CARE,
        organization_id="nc",
        period=period,
        site_id=site_id,
    )


def test_the_standing_rules_run_on_every_validate() -> None:
    assert sites_meet_standard in BUILTIN_RULES
    assert sites_used_while_open in BUILTIN_RULES


def test_a_site_short_of_the_five_at_its_latest_assessment_is_reported() -> None:
    ds = Dataset(
        sites=(
            SITE,
            attrs.evolve(SITE, id="s2"),
            attrs.evolve(SITE, id="s3"),
        ),
        site_assessments=(
            SiteAssessment(id="c1", site_id="s1", on=date(2021, 1, 1), met=FIVE_HAS),
            SiteAssessment(
                id="c2",
                site_id="s1",
                on=date(2022, 1, 1),
                met=FIVE_HAS - {FiveHas.TEAM, FiveHas.RESULTS},
            ),
            SiteAssessment(id="c3", site_id="s2", on=date(2021, 1, 1), met=[]),
            SiteAssessment(id="c4", site_id="s2", on=date(2022, 1, 1), met=FIVE_HAS),
        ),
    )
    found = ds.validate([sites_meet_standard], builtin=False)
    assert [(f.rule, f.subject) for f in found] == [("sites.short-of-standard", "s1")]
    assert found[0].message == (
        "site 's1' lacked 有队伍、有成效 (team, results) at its latest assessment 'c2' on "
        "2022-01-01"
    )


def test_a_site_used_or_assessed_while_closed_is_reported() -> None:
    later = attrs.evolve(SITE, id="s2", opened=date(2022, 6, 1), closed=date(2022, 8, 31))
    ds = Dataset(
        sites=(
            SITE,
            later,
        ),
        site_assessments=(SiteAssessment(id="c1", site_id="s2", on=date(2022, 9, 1), met=[]),),
        service_activities=(
            activity("a1", "s2"),
            activity("a2", "s1"),
            activity("a3", "s2", Period.year(2022)),
        ),
    )
    found = ds.validate([sites_used_while_open], builtin=False)
    assert [(f.rule, f.subject) for f in found] == [
        ("sites.activity-while-closed", "a1"),
        ("sites.assessed-while-closed", "c1"),
    ]
    assert "before it opened on 2022-06-01" in found[0].message
    assert "after it closed on 2022-08-31" in found[1].message


def test_a_site_open_with_nothing_held_at_it_is_idle() -> None:
    ds = Dataset(
        sites=(
            SITE,
            attrs.evolve(SITE, id="s2"),
            attrs.evolve(SITE, id="s3", opened=date(2022, 4, 1)),
        ),
        service_activities=(
            activity("a1", "s1"),
            activity("a2", "s2", Period.year(2021)),
        ),
    )
    found = ds.validate([idle_sites(Q1)], builtin=False)
    assert [(f.rule, f.subject) for f in found] == [("sites.idle", "s2")]
    assert found[0].message == "site 's2' was open in 2022-Q1 and nothing was held at it"
    assert getattr(idle_sites(2021), "__name__", None) == "idle_sites(2021)"
    assert [f.subject for f in ds.validate([idle_sites(2021)], builtin=False)] == ["s1"]


# -- laws ----------------------------------------------------------------------------------------


@given(
    st.lists(ht.service_sites(), max_size=5, unique_by=lambda s: s.id),
    st.data(),
)
def test_every_site_open_in_a_period_is_active_or_idle_never_both(
    sites: list[ServiceSite], data: st.DataObject
) -> None:
    ids = [s.id for s in sites] or ["none"]
    held = data.draw(st.lists(ht.service_activities(site_ids=ids), max_size=6))
    period = data.draw(ht.periods())
    ds = Dataset(sites=tuple(sites), service_activities=tuple(held))
    idle = {f.subject for f in ds.validate([idle_sites(period)], builtin=False)}
    active = active_sites(sites, held, period)
    assert not idle & active
    assert idle | active == {s.id for s in sites if s.open_during(period) is not None}


@given(
    st.lists(ht.service_sites(), max_size=4, unique_by=lambda s: s.id),
    st.data(),
)
def test_a_site_is_short_of_standard_exactly_when_its_latest_assessment_misses_one(
    sites: list[ServiceSite], data: st.DataObject
) -> None:
    ids = [s.id for s in sites] or ["none"]
    checks = data.draw(st.lists(ht.site_assessments(site_ids=ids), max_size=8))
    ds = Dataset(sites=tuple(sites), site_assessments=tuple(checks))
    short = {f.subject for f in ds.validate([sites_meet_standard], builtin=False)}
    latest = latest_assessments(checks)
    expected = {
        s.id
        for s in sites
        if s.closed is None and s.id in latest and not latest[s.id].meets_standard
    }
    assert short == expected
