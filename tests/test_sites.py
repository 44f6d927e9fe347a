"""Service sites, their 五有 assessments and their activity (humanaid.sites)."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import (
    FIVE_HAS,
    ActivityKind,
    FiveHas,
    Period,
    ServiceActivity,
    ServiceSite,
    SiteAssessment,
    SiteKind,
    active_sites,
    latest_assessments,
    sites_to_standard,
)
from humanaid import testing as ht

Q1 = Period.quarter(2022, 1)
SITE = ServiceSite(
    id="s1",
    name="铁路四村社区保障服务站",
    kind=SiteKind.SERVICE_STATION,
    organization_id="nc",
    area_id="360102001001",
    opened=date(2020, 6, 1),
)


def test_the_five_are_listed_in_the_standards_order_with_their_words() -> None:
    assert [f.label for f in FiveHas] == ["有组织", "有阵地", "有队伍", "有活动", "有成效"]
    a = SiteAssessment(id="a", site_id="s1", on=date(2022, 1, 5), met=["results", "premises"])
    assert a.missing == (FiveHas.ORGANIZATION, FiveHas.TEAM, FiveHas.ACTIVITIES)
    assert not a.meets_standard


@pytest.mark.parametrize(
    ("met", "message"),
    [
        ("organization", r"'met' must be a set of 'organization'"),
        (
            ["organization", "money"],
            r"'met' must be a set of .* \(got \['organization', 'money'\]\)",
        ),
        (5, r"'met' must be a set"),
    ],
)
def test_an_assessment_of_something_not_in_the_five_is_refused(met: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SiteAssessment(id="a", site_id="s1", on=date(2022, 1, 5), met=met)


def test_a_site_is_in_an_area_and_cannot_close_before_it_opened() -> None:
    with pytest.raises(ValueError, match="'closed' must not be before 'opened'"):
        attrs.evolve(SITE, closed=date(2020, 5, 31))
    with pytest.raises(ValueError, match="'kind' must be one of 'service_station'"):
        attrs.evolve(SITE, kind="office")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'area_id' must be an id string"):
        attrs.evolve(SITE, area_id=None)  # type: ignore[arg-type]


def test_a_site_is_open_from_its_opening_to_its_closing_day() -> None:
    site = attrs.evolve(SITE, opened=date(2022, 2, 1), closed=date(2022, 2, 28))
    assert site.open_during(Q1) == Period.month(2022, 2)
    assert site.open_during(Period.year(2021)) is None
    assert site.open_on(date(2022, 2, 28))
    assert not site.open_on(date(2022, 3, 1))


def test_the_latest_assessment_decides_and_a_site_never_assessed_is_not_to_standard() -> None:
    good = SiteAssessment(id="a1", site_id="s1", on=date(2021, 6, 1), met=FIVE_HAS)
    worse = SiteAssessment(
        id="a2", site_id="s1", on=date(2022, 2, 1), met=FIVE_HAS - {FiveHas.RESULTS}
    )
    other = attrs.evolve(SITE, id="s2")
    assert sites_to_standard([SITE, other], [good], on=Q1.end) == {"s1"}
    assert sites_to_standard([SITE, other], [good, worse], on=Q1.end) == frozenset()
    assert sites_to_standard([SITE], [good, worse], on=date(2022, 1, 31)) == {"s1"}
    assert latest_assessments([worse, good])["s1"] is worse


def test_anything_with_a_site_and_days_makes_the_site_active() -> None:
    @attrs.frozen
    class Course:
        site_id: str | None
        start: date
        end: date

    @attrs.frozen
    class Rescue:
        site_id: str | None
        on: date

    assert active_sites([SITE], [Course("s1", date(2022, 3, 1), date(2022, 3, 2))], Q1) == {"s1"}
    assert active_sites([SITE], [Rescue("s1", date(2022, 3, 1))], Q1) == {"s1"}
    assert active_sites([SITE], [Rescue("s1", date(2021, 3, 1)), Rescue(None, Q1.start)], Q1) == (
        frozenset()
    )


# -- laws ----------------------------------------------------------------------------------------


@given(
    st.lists(ht.service_sites(organization_ids=["o"]), max_size=5, unique_by=lambda s: s.id),
    st.data(),
)
def test_sites_to_standard_and_active_sites_are_among_the_sites_open(
    sites: list[ServiceSite], data: st.DataObject
) -> None:
    ids = [s.id for s in sites] or ["none"]
    checks = data.draw(st.lists(ht.site_assessments(site_ids=ids), max_size=8))
    held = data.draw(st.lists(ht.service_activities(site_ids=ids), max_size=8))
    period = data.draw(ht.periods())
    on = period.end
    standard = sites_to_standard(sites, checks, on=on)
    assert standard <= {s.id for s in sites if s.open_on(on)}
    active = active_sites(sites, held, period)
    assert active <= {s.id for s in sites if s.open_during(period) is not None}
    for site in sites:
        at_it = [a for a in held if a.site_id == site.id]
        days = site.open_during(period)
        expected = days is not None and any(a.period.overlaps(days) for a in at_it)
        assert (site.id in active) == expected


@given(st.lists(ht.site_assessments(site_ids=["s1", "s2"]), min_size=1, max_size=8))
def test_the_latest_assessment_is_one_of_the_latest_day(checks: list[SiteAssessment]) -> None:
    latest = latest_assessments(checks)
    for site_id, chosen in latest.items():
        days = [c.on for c in checks if c.site_id == site_id]
        assert chosen.on == max(days)


@given(ht.site_assessments(meets_standard=False))
def test_an_assessment_short_of_the_standard_names_what_is_missing(check: SiteAssessment) -> None:
    assert check.missing
    assert not check.meets_standard
    assert set(check.missing) | check.met == FIVE_HAS


def test_an_activity_at_a_site_names_it() -> None:
    a = ServiceActivity(
        id="a",
        name="临终关怀",
        kind=ActivityKind.HOSPICE,
        organization_id="nc",
        period=Q1,
        site_id="s1",
    )
    assert active_sites({"s1": SITE}, [a], Q1) == {"s1"}
