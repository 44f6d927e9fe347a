"""The services summary, its sentences and hours by team (humanaid.services)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import activity, course, hours_entry, member, site
from humanaid import (
    FIVE_HAS,
    ActivityKind,
    Attendance,
    Certificate,
    CompletedDonation,
    ConsentWithdrawal,
    CourseKind,
    Dataset,
    DonorRegistration,
    DuesPayment,
    HlaMatch,
    Money,
    OnSiteRescue,
    Organization,
    OrgLevel,
    Period,
    RegistrationKind,
    ReportedFigure,
    ServiceActivity,
    SiteAssessment,
    SiteKind,
    UnknownId,
    Volunteer,
    VolunteerTeam,
    hours_by_team,
    service_sentences,
    services_summary,
    wan_count,
    year_at_a_glance,
)
from humanaid import testing as ht

Q1 = Period.quarter(2022, 1)
ORGS = [
    Organization(id="jx", name="江西省红十字会", level=OrgLevel.PROVINCE),
    Organization(id="nc", name="南昌市红十字会", level=OrgLevel.CITY, parent_id="jx"),
    Organization(id="xy", name="新余市红十字会", level=OrgLevel.CITY, parent_id="jx"),
    Organization(id="gd", name="某省红十字会", level=OrgLevel.PROVINCE),
]


STATION = SiteKind.SERVICE_STATION


def society() -> Dataset:
    return Dataset(
        organizations=tuple(ORGS),
        teams=(
            VolunteerTeam(id="zjy", name="章金媛爱心奉献团", organization_id="nc"),
            VolunteerTeam(id="knock", name="“敲门嫂”志愿服务队", organization_id="xy"),
        ),
        volunteers=(
            Volunteer(id="v1", person_id="p1", joined=date(2020, 1, 1), team_id="zjy"),
            Volunteer(id="v2", person_id="p2", joined=date(2020, 1, 1), team_id="knock"),
            Volunteer(id="v3", person_id="p3", joined=date(2022, 6, 1), team_id="knock"),
            Volunteer(id="v4", person_id="p4", joined=date(2020, 1, 1), organization_id="gd"),
        ),
        service_activities=(
            activity("care", "五全护老", ActivityKind.ELDER_CARE, "nc", Q1, site_id="xjt"),
            activity("door", "敲门入户", ActivityKind.COMMUNITY_SAFETY, "xy", Period.year(2022)),
            activity("far", "外省活动", ActivityKind.OTHER, "gd", Q1),
        ),
        service_hours=(
            hours_entry("h1", "v1", "care", date(2022, 1, 3), Decimal("2.5")),
            hours_entry("h2", "v1", "care", date(2022, 2, 3), Decimal("3")),
            hours_entry("h3", "v2", "door", date(2022, 3, 3), Decimal("1.25")),
            hours_entry("h4", "v2", "door", date(2022, 7, 3), Decimal("4")),
            hours_entry("h5", "v4", "far", date(2022, 1, 3), Decimal("8")),
            hours_entry("h6", "v9", "door", date(2022, 1, 4), Decimal("1")),
        ),
        members=(
            member("m1", "nc", date(2019, 1, 1), person_id="p1"),
            member("m2", "xy", date(2019, 1, 1), member_organization_id="gd"),
        ),
        dues=(
            DuesPayment(
                id="d1", member_id="m1", year=2022, paid_on=date(2022, 1, 5), amount=Money("50")
            ),
        ),
        sites=(
            site("xjt", "小金台社区", STATION, "nc", "360102001001", date(2019, 1, 1)),
            site("tl4", "铁路四村社区", STATION, "nc", "360102002001", date(2019, 1, 1)),
            site("new", "新站", SiteKind.RESCUE_STATION, "xy", "360502001001", date(2022, 5, 1)),
        ),
        site_assessments=(
            SiteAssessment(id="c1", site_id="xjt", on=date(2021, 12, 1), met=FIVE_HAS),
            SiteAssessment(id="c2", site_id="tl4", on=date(2021, 12, 1), met=["premises"]),
        ),
    )


def test_the_summary_counts_the_province_with_its_cities_and_nothing_outside() -> None:
    row = services_summary(society(), Q1, organization_id="jx").to_rows()[0]
    assert row == {
        "period": Q1,
        "first-aiders trained": None,  # the dataset records no training ...
        "popular training": None,
        "certified": None,
        "valid certificates": None,
        "helped on site": None,
        "registrations": None,  # ... and none of the three donations
        "completed donations": None,
        "blood donors": None,
        "volunteers": 2,  # v3 joins in June; v4 is another province's
        "active volunteers": 3,  # v1, v2 and the unregistered v9
        "hours": Decimal("7.75"),  # 2.5 + 3 + 1.25 + 1: not July's, not the other province's
        "members in good standing": 1,
        "sites": 2,  # the new site opens in May
        "to standard": 1,
        "active sites": 1,
    }
    alone = services_summary(society(), Q1, organization_id="jx", include_children=False)
    assert alone.to_rows()[0]["hours"] == 0
    assert alone.to_rows()[0]["sites"] == 0


def test_hours_by_team_name_each_team_and_the_hours_of_no_team() -> None:
    rows = hours_by_team(society(), 2022, organization_id="jx").to_rows()
    assert [(r["team"], r["volunteers"], r["entries"], r["hours"]) for r in rows] == [
        ("knock", 1, 2, Decimal("5.25")),
        ("zjy", 1, 2, Decimal("5.5")),
        (None, 1, 1, 1),
    ]


def test_the_sentences_print_as_the_articles_do_and_join_the_year_at_a_glance() -> None:
    sentences = service_sentences(society(), 2022, organization_id="jx")
    assert [s.partition(" (")[0] for s in sentences] == [
        "志愿者3人，参与服务3人，志愿服务时长11.75小时",
        "按时缴纳会费的会员1名",
        "服务阵地3个，达到“五有”标准1个，开展活动1个",
    ]
    glance = year_at_a_glance(society(), 2022, organization_id="jx")
    assert glance.sentences()[-3:] == sentences
    assert "服务阵地3个" in str(glance)
    empty = year_at_a_glance(Dataset(organizations=tuple(ORGS)), 2022, organization_id="jx")
    assert len(empty.sentences()) == 5


def test_an_unknown_organisation_is_refused_never_a_row_of_zeros() -> None:
    with pytest.raises(UnknownId, match="'jy'"):
        services_summary(society(), Q1, organization_id="jy")
    with pytest.raises(TypeError, match="'period' must be a Period or an int year"):
        services_summary(society(), "2022", organization_id="jx")  # type: ignore[arg-type]


# -- laws ----------------------------------------------------------------------------------------


@given(
    st.lists(ht.volunteers(team_ids=["t1", "t2"]), max_size=6, unique_by=lambda v: v.id),
    st.lists(
        ht.service_activities(organization_ids=["jx", "nc", "gd"]),
        max_size=4,
        unique_by=lambda a: a.id,
    ),
    st.data(),
)
def test_hours_by_team_add_up_to_hours_overall(
    volunteers: list[Volunteer], activities: list[ServiceActivity], data: st.DataObject
) -> None:
    vids = [v.id for v in volunteers] + ["v-unknown"]
    aids = [a.id for a in activities] or ["act-none"]
    entries = data.draw(
        st.lists(
            ht.service_hours(volunteer_ids=vids, activity_ids=aids),
            max_size=12,
            unique_by=lambda h: h.id,
        )
    )
    period = data.draw(ht.periods())
    ds = Dataset(
        organizations=tuple(ORGS),
        volunteers=tuple(volunteers),
        service_activities=tuple(activities),
        service_hours=tuple(entries),
    )
    teams = hours_by_team(ds, period, organization_id="jx").to_rows()
    overall = services_summary(ds, period, organization_id="jx").to_rows()[0]
    assert sum((r["hours"] for r in teams), start=Decimal(0)) == overall["hours"]
    assert max((r["volunteers"] for r in teams), default=0) <= overall["active volunteers"]
    assert overall["active volunteers"] <= sum(r["volunteers"] for r in teams)


@given(st.integers(min_value=0, max_value=10**9))
def test_a_count_printed_as_the_articles_print_it_is_read_back_as_a_range_holding_it(
    n: int,
) -> None:
    printed = wan_count(n, "人次")
    figure = ReportedFigure(
        id="f", organization_id="jx", subject="普及培训", stated=printed, period=Q1
    )
    assert figure.admits(n)
    assert figure.format_like(n) == printed


def trained_society() -> Dataset:
    """The society with a quarter of first-aid training and of the three donations."""
    k1 = course(
        "k1",
        CourseKind.CERTIFIED_FIRST_AIDER,
        "nc",
        date(2022, 1, 10),
        date(2022, 1, 11),
        hours=16,
        site_id="tl4",
    )
    k2 = course("k2", CourseKind.POPULAR, "xy", date(2022, 2, 1), hours=2)
    people = [f"p{i}" for i in range(1, 13)]
    attendances = [
        Attendance(id=f"a-{p}", person_id=p, course_id="k1", on=date(2022, 1, 10))
        for p in people[:3]
    ]
    attendances += [
        Attendance(id=f"b-{p}", person_id=p, course_id="k2", on=date(2022, 2, 1)) for p in people
    ]
    certificates = [
        Certificate(
            id=f"c-{p}", number=f"JX-{p}", person_id=p, course_id="k1", issued_on=date(2022, 1, 11)
        )
        for p in people[:3]
    ]
    registrations = [
        DonorRegistration(
            id=f"r{i}",
            person_id=f"p{i}",
            kind=RegistrationKind.ORGAN,
            organization_id="xy",
            registered_on=date(2022, 1, 20),
        )
        for i in range(1, 5)
    ]
    stem = DonorRegistration(
        id="s1",
        person_id="p9",
        kind=RegistrationKind.STEM_CELL,
        organization_id="nc",
        registered_on=date(2020, 1, 1),
    )
    match = HlaMatch(id="m1", registration_id="s1", on=date(2022, 1, 5))
    return attrs.evolve(
        society(),
        courses=(k1, k2),
        attendances=tuple(attendances),
        certificates=tuple(certificates),
        on_site_rescues=(
            OnSiteRescue(id="o1", on=date(2022, 3, 1), organization_id="xy", helped=2),
        ),
        donor_registrations=(*registrations, stem),
        hla_matches=(match,),
        completed_donations=(
            CompletedDonation(id="d1", registration_id="s1", on=date(2022, 2, 5), match_id="m1"),
        ),
        consent_withdrawals=(
            ConsentWithdrawal(id="w1", registration_id="r4", on=date(2022, 3, 1)),
        ),
    )


def test_training_and_the_three_donations_join_the_summary_and_its_sentences() -> None:
    row = services_summary(trained_society(), Q1, organization_id="jx").to_rows()[0]
    assert {k: row[k] for k in list(row)[1:9]} == {
        "first-aiders trained": 3,
        "popular training": 12,
        "certified": 3,
        "valid certificates": 3,
        "helped on site": 2,
        "registrations": 3,  # r4 withdrew by the quarter's end
        "completed donations": 1,
        "blood donors": 0,
    }
    assert row["active sites"] == 2  # the course made 铁路四村 active too
    sentences = [
        s.partition(" (")[0] for s in service_sentences(trained_society(), Q1, organization_id="jx")
    ]
    assert sentences[:4] == [
        "培训救护员3人，普及培训12人次",
        "持证救护员3人",
        "为2名伤病群众开展现场救护",
        "实现造血干细胞成功捐献1例、遗体器官捐献0例，发展遗体器官捐献登记志愿者3人",
    ]
