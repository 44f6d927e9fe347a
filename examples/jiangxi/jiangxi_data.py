"""The Jiangxi Red Cross's first quarter of 2022, rebuilt as records at full size.

The article "发挥基层阵地优势 赋能生命教育行动" (赣红, 红十字生命教育; ../shared/seed/)
reports what Jiangxi's Red Cross societies did in the first quarter of 2022: 3万余
certified first-aiders trained and 10万余 person-times of popular first-aid training, 500
people given first aid on site, 12 stem-cell and 79 body and organ donations completed,
8,863 new body and organ donation registrations, 151 leukaemia patients helped to apply
for 490万元, close to 570 service sites (服务阵地), and close to 1,000,000 yuan put by
the provincial society into building sites in the counties. :func:`build` turns each
figure into records of the size it states: 31,254 persons on certified first-aider
courses (31,666 attendances: 412 sat the course twice), 103,526 person-times of popular
training by 84,000 persons, 570 sites with their 五有 assessments and the activities and
courses held at them, the volunteers who serve there, and so on. The article's figures
are kept as :class:`~humanaid.ReportedFigure` records (``ARTICLE``), as printed.

What the article does not say had to be chosen, and every choice is listed in
``examples/jiangxi/README.md``. No choice bends a stated figure.

Everything is deterministic: one :class:`random.Random` seeded with :data:`SEED`, no clock.
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

from humanaid import (
    FIVE_HAS,
    ActivityKind,
    AdminArea,
    AdminLevel,
    Assessment,
    AssessmentResult,
    Attendance,
    Case,
    CaseKind,
    Certificate,
    CompletedDonation,
    Condition,
    ConsentBy,
    ConsentWithdrawal,
    Course,
    CourseKind,
    Dataset,
    DonorRegistration,
    FiveHas,
    Flow,
    FlowKind,
    Fund,
    FundKind,
    HlaMatch,
    Money,
    OnSiteRescue,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    Period,
    Person,
    RegistrationKind,
    ReportedFigure,
    ServiceActivity,
    ServiceHours,
    ServiceSite,
    SiteAssessment,
    SiteKind,
    Volunteer,
    VolunteerTeam,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # examples/: _generate.py
from _generate import day_in, made_up_name

SEED: Final = 2022
Q1: Final = Period.quarter(2022, 1)  # 今年一季度
JX: Final = "jx"  # 江西省红十字会
SITE_BUILDING: Final = "服务阵地建设"  # the purpose of the province's money for sites
SOURCE: Final = "赣红, 发挥基层阵地优势 赋能生命教育行动, 红十字生命教育"

# ---------------------------------------------------------------------------------------------
# The article's figures, as printed: (id, subject, stated, quotation)
# ---------------------------------------------------------------------------------------------
ARTICLE: Final[tuple[tuple[str, str, str, str], ...]] = (
    ("first-aiders-trained", "培训救护员", "3万余人", "今年一季度培训救护员3万余人"),
    ("popular-training", "普及培训", "10万余人次", "普及培训10万余人次"),
    ("helped-on-site", "现场救护", "500名", "为500名伤病群众开展现场救护"),
    ("stem-cell-donations", "造血干细胞成功捐献", "12例", "实现造血干细胞成功捐献12例"),
    ("body-organ-donations", "遗体器官捐献", "79例", "遗体器官捐献79例"),
    ("organ-registrations", "遗体器官捐献登记志愿者", "8863人",
     "发展遗体器官捐献登记志愿者8863人"),
    ("leukaemia-patients", "白血病患者", "151名", "为151名白血病患者申请490万元救助款"),
    ("leukaemia-aid", "白血病患者救助款", "490万元", "为151名白血病患者申请490万元救助款"),
    ("sites", "服务阵地", "570个",
     "打造了一批红十字急救基地、博爱校医室、生命健康安全体验馆(教室)、社区健康促进项目、"
     "救护站等服务阵地近570个"),
    ("site-investment", "省红十字会出资打造服务阵地", "100万元",
     "今年一季度，省红十字会出资近百万元在县(市、区)打造服务阵地"),
)  # fmt: skip

PLANNED: Final = (
    "2022年，全省红十字会将新建不少于100个基层服务阵地",
    100,
)
"""A plan for the whole year, not a figure of the quarter's records: named, not reconciled."""

# ---------------------------------------------------------------------------------------------
# Choices the article leaves open (each is listed in README.md)
# ---------------------------------------------------------------------------------------------
FIRST_AIDERS: Final = 31_254  # 3万余: persons on certified first-aider courses in Q1
RETAKERS: Final = 412  # of them, failed once and sat a second course
COURSE_SIZE: Final = 50
POPULAR_PERSONS: Final = 84_000
POPULAR_TIMES: Final = 103_526  # 10万余 person-times
SESSION_SIZE: Final = 100
EARLIER_CERTIFIED: Final = 1_500  # trained in 2018-2019: some certificates lapsed by Q1
RESCUES: Final = 468  # rescues in which 500 people were given first aid
HELPED: Final = 500
STEM_DONATIONS: Final = 12
STEM_MATCHED_ONLY: Final = 7  # matched in Q1, not yet donated
STEM_NEW: Final = 620  # new stem-cell registry donors (入库) in Q1
ORGAN_DONATIONS: Final = 79
ORGAN_NEW: Final = 8_863  # persons newly registered for body or organ donation, standing
ORGAN_WITHDRAWN: Final = 41  # registered in Q1 and withdrew in Q1: in no count
ORGAN_TWO_KINDS: Final = 530  # of the 8,863, also registered to give corneas
LEUKAEMIA: Final = 151
LEUKAEMIA_AID: Final = Money("4900000")  # 490万元 applied for, approved to the fen
SITES: Final = 570
SITES_NEW_IN_Q1: Final = 26  # towards the 100 planned for 2022
SITES_SHORT: Final = 22  # latest assessment lacks 有成效 (成效不明显: to revive, 盘活)
SITES_IDLE: Final = 15  # nothing held at them in Q1
SITE_MONEY: Final = Money("996000")  # 近百万元, to 24 county societies
VOLUNTEERS: Final = 2_400
TEAMS: Final = 48

CITIES: Final = {
    "360100": "南昌市",
    "360200": "景德镇市",
    "360300": "萍乡市",
    "360400": "九江市",
    "360500": "新余市",
    "360600": "鹰潭市",
    "360700": "赣州市",
    "360800": "吉安市",
    "360900": "宜春市",
    "361000": "抚州市",
    "361100": "上饶市",
}
COUNTIES_PER_CITY: Final = 4
BEFORE_2022: Final = Period(date(2016, 1, 1), date(2021, 12, 31))  # when older sites opened


def _split(total: int, n: int, rng: random.Random) -> list[int]:
    """``n`` positive counts adding up to ``total``, nearly equal."""
    base, extra = divmod(total, n)
    sizes = [base + (1 if i < extra else 0) for i in range(n)]
    rng.shuffle(sizes)
    return sizes


class _Builder:
    """Collects the records; one method per passage of the article."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.organizations: list[Organization] = []
        self.areas: list[AdminArea] = []
        self.persons: list[Person] = []
        self.courses: list[Course] = []
        self.attendances: list[Attendance] = []
        self.assessments: list[Assessment] = []
        self.certificates: list[Certificate] = []
        self.rescues: list[OnSiteRescue] = []
        self.registrations: list[DonorRegistration] = []
        self.matches: list[HlaMatch] = []
        self.completed: list[CompletedDonation] = []
        self.withdrawals: list[ConsentWithdrawal] = []
        self.cases: list[Case] = []
        self.funds: list[Fund] = []
        self.flows: list[Flow] = []
        self.sites: list[ServiceSite] = []
        self.site_checks: list[SiteAssessment] = []
        self.teams: list[VolunteerTeam] = []
        self.volunteers: list[Volunteer] = []
        self.activities: list[ServiceActivity] = []
        self.hours: list[ServiceHours] = []
        self.counties: list[str] = []  # county society ids
        self.county_area: dict[str, str] = {}  # county society id -> its area code
        self.communities: dict[str, list[str]] = {}  # county area -> community codes

    def person(self) -> str:
        n = len(self.persons)
        pid = f"p{n:06d}"
        self.persons.append(Person(id=pid, name=made_up_name(n)))
        return pid

    def people(self, n: int) -> list[str]:
        return [self.person() for _ in range(n)]

    # -- the province, its cities and counties ------------------------------------------------

    def societies(self) -> None:
        self.areas.append(AdminArea(id="360000", name="江西省", level=AdminLevel.PROVINCE))
        self.organizations.append(
            Organization(id=JX, name="江西省红十字会", level=OrgLevel.PROVINCE, area_id="360000")
        )
        for code, name in CITIES.items():
            self.areas.append(
                AdminArea(id=code, name=name, level=AdminLevel.PREFECTURE, parent_id="360000")
            )
            city = f"jx-{code}"
            self.organizations.append(
                Organization(
                    id=city, name=f"{name}红十字会", level=OrgLevel.CITY, parent_id=JX, area_id=code
                )
            )
            for i in range(1, COUNTIES_PER_CITY + 1):
                county_code = f"{code[:4]}{20 + i:02d}"
                county_name = f"{name}第{i}县区"
                self.areas.append(
                    AdminArea(
                        id=county_code, name=county_name, level=AdminLevel.COUNTY, parent_id=code
                    )
                )
                county = f"jx-{county_code}"
                self.organizations.append(
                    Organization(
                        id=county,
                        name=f"{county_name}红十字会",
                        level=OrgLevel.COUNTY,
                        parent_id=city,
                        area_id=county_code,
                    )
                )
                self.counties.append(county)
                self.county_area[county] = county_code
                self.communities[county_code] = []
        self.organizations.append(
            Organization(id="jx-finance", name="江西省财政厅", kind=OrgKind.GOVERNMENT)
        )

    def community(self, county_code: str, name: str) -> str:
        """A new township and community under a county; the community's code."""
        held = self.communities[county_code]
        n = len(held) + 1
        township = f"{county_code}{n:03d}"
        code = f"{township}001"
        self.areas.append(
            AdminArea(
                id=township, name=f"{name}街道", level=AdminLevel.TOWNSHIP, parent_id=county_code
            )
        )
        self.areas.append(
            AdminArea(id=code, name=f"{name}社区", level=AdminLevel.VILLAGE, parent_id=township)
        )
        held.append(code)
        return code

    # -- 服务阵地近570个: the sites, their 五有 and the province's money ------------------------

    def service_sites(self) -> None:
        rng = self.rng
        kinds = [
            (SiteKind.SERVICE_STATION, "红十字服务站", 250),
            (SiteKind.FIRST_AID_BASE, "红十字急救基地", 60),
            (SiteKind.SCHOOL_CLINIC, "博爱校医室", 90),
            (SiteKind.SAFETY_EXPERIENCE_HALL, "生命健康安全体验馆", 40),
            (SiteKind.HEALTH_PROMOTION, "社区健康促进项目点", 70),
            (SiteKind.RESCUE_STATION, "救护站", 60),
        ]
        hosts = ["党群服务中心", "新时代文明实践站", "社区卫生服务中心", "学校"]
        named = [
            ("xjt", "小金台社区红十字服务站", "jx-360121", "小金台"),
            ("tl4", "铁路四村社区保障服务站", "jx-360122", "铁路四村"),
        ]
        plan = [(kind, label) for kind, label, n in kinds for _ in range(n)]
        assert len(plan) == SITES
        new_ones = set(rng.sample(range(SITES), SITES_NEW_IN_Q1)) - {0, 1}
        while len(new_ones) < SITES_NEW_IN_Q1:
            new_ones.add(rng.randrange(2, SITES))
        for i, (kind, label) in enumerate(plan):
            if i < len(named):
                sid, name, county, place = named[i]
            else:
                county = self.counties[i % len(self.counties)]
                sid, place = f"site{i:03d}", f"第{i}"
                name = f"{place}{label}"
            area = self.community(self.county_area[county], place)
            opened = day_in(rng, Q1) if i in new_ones else day_in(rng, BEFORE_2022)
            self.sites.append(
                ServiceSite(
                    id=sid,
                    name=name,
                    kind=kind,
                    organization_id=county,
                    area_id=area,
                    opened=opened,
                    host=rng.choice(hosts),
                )
            )
        # Every site is assessed; 22 lack 有成效 at their latest assessment.
        short = set(rng.sample(range(len(named), SITES), SITES_SHORT))
        for i, site in enumerate(self.sites):
            if site.opened.year < 2021:
                self.site_checks.append(
                    SiteAssessment(
                        id=f"chk-{site.id}-a",
                        site_id=site.id,
                        on=date(site.opened.year + 1, 6, 30),
                        met=FIVE_HAS,
                        assessor_id=JX,
                    )
                )
            last = site.opened if site.opened > date(2021, 12, 1) else date(2021, 12, 1)
            on = min(Q1.end, last + timedelta(days=rng.randrange(0, 20)))
            met = FIVE_HAS - {FiveHas.RESULTS} if i in short else FIVE_HAS
            self.site_checks.append(
                SiteAssessment(
                    id=f"chk-{site.id}-b",
                    site_id=site.id,
                    on=on,
                    met=met,
                    assessor_id=JX,
                    note="成效不明显" if i in short else None,
                )
            )
        # 近百万元 from the province, through a fund the finance department granted, to 24
        # county societies in Q1.
        self.funds.append(
            Fund(
                id="jx-sites",
                name="红基工程 服务阵地建设",
                kind=FundKind.GENERAL,
                organization_id=JX,
                opened_on=date(2022, 1, 1),
            )
        )
        self.flows.append(
            Flow(
                id="fl-grant",
                source=Party.organization("jx-finance"),
                destination=Party.fund("jx-sites"),
                amount=Money("1000000"),
                on=date(2022, 1, 5),
                kind=FlowKind.GRANT,
                purpose=SITE_BUILDING,
            )
        )
        chosen = rng.sample(self.counties, 24)
        for i, (county, share) in enumerate(
            zip(chosen, SITE_MONEY.allocate([rng.randint(3, 6) for _ in chosen]), strict=True)
        ):
            self.flows.append(
                Flow(
                    id=f"fl-site-{i:02d}",
                    source=Party.fund("jx-sites"),
                    destination=Party.organization(county),
                    amount=share,
                    on=day_in(rng, Period(date(2022, 1, 10), date(2022, 3, 31))),
                    kind=FlowKind.ALLOCATION,
                    purpose=SITE_BUILDING,
                )
            )

    # -- the volunteers who serve at the sites, and what they did in Q1 -----------------------

    def volunteer_work(self) -> None:
        rng = self.rng
        named: list[tuple[str, str, str, str | None]] = [
            ("zjy", "章金媛爱心奉献团", "jx-360121", "xjt"),
            ("zdf", "邹德凤公益发展中心志愿服务队", "jx-360122", "tl4"),
            ("knock", "新余市“敲门嫂”志愿服务队", "jx-360521", None),
        ]
        for i in range(TEAMS):
            if i < len(named):
                tid, name, county, home = named[i]
            else:
                county = self.counties[(i * 7) % len(self.counties)]
                tid, name, home = f"team{i:02d}", f"第{i}红十字志愿服务队", None
            self.teams.append(
                VolunteerTeam(
                    id=tid,
                    name=name,
                    organization_id=county,
                    site_id=home,
                    founded_on=date(2010 + i % 12, 3, 5),
                )
            )
        for i, pid in enumerate(self.people(VOLUNTEERS)):
            team = self.teams[i % TEAMS]
            self.volunteers.append(
                Volunteer(
                    id=f"v{i:04d}",
                    person_id=pid,
                    team_id=team.id,
                    joined=day_in(rng, Period(date(2012, 1, 1), date(2021, 12, 31))),
                )
            )
        by_county: dict[str, list[Volunteer]] = {}
        teams = {t.id: t for t in self.teams}
        for v in self.volunteers:
            assert v.team_id is not None
            by_county.setdefault(teams[v.team_id].organization_id, []).append(v)
        kinds = [
            ActivityKind.ELDER_CARE,
            ActivityKind.HEALTH_EDUCATION,
            ActivityKind.FIRST_AID,
            ActivityKind.PSYCHOLOGICAL_SUPPORT,
            ActivityKind.DONATION_REGISTRATION,
            ActivityKind.HOSPICE,
            ActivityKind.COMMUNITY_SAFETY,
            ActivityKind.POVERTY_RELIEF,
        ]
        idle = set(rng.sample([s.id for s in self.sites[2:]], SITES_IDLE))
        busy: set[tuple[str, date]] = set()
        for site in self.sites:
            if site.id in idle:
                continue
            pool = by_county.get(site.organization_id) or self.volunteers
            for k in range(rng.randint(2, 4)):
                start = max(site.opened, day_in(rng, Q1))
                end = min(Q1.end, start + timedelta(days=rng.randint(0, 20)))
                aid = f"act-{site.id}-{k}"
                self.activities.append(
                    ServiceActivity(
                        id=aid,
                        name=f"{site.name} 活动{k + 1}",
                        kind=rng.choice(kinds),
                        organization_id=site.organization_id,
                        period=Period(start, end),
                        site_id=site.id,
                        served=rng.randint(10, 120),
                    )
                )
                for v in rng.sample(pool, min(len(pool), rng.randint(3, 8))):
                    day = start + timedelta(days=rng.randrange((end - start).days + 1))
                    if (v.id, day) in busy:
                        continue  # one entry a volunteer a day: nobody is double-booked
                    busy.add((v.id, day))
                    hour = rng.randint(8, 15)
                    self.hours.append(
                        ServiceHours(
                            id=f"h{len(self.hours):05d}",
                            volunteer_id=v.id,
                            activity_id=aid,
                            on=day,
                            hours=Decimal(rng.choice(["1.5", "2", "2.5", "3", "4"])),
                            start=f"{hour:02d}:{rng.choice(['00', '30'])}",
                        )
                    )

    # -- 培训救护员3万余人，普及培训10万余人次 -----------------------------------------------------

    def course(
        self, kind: CourseKind, county: str, start: date, days: int, site: str | None
    ) -> Course:
        hours = 16 if kind is CourseKind.CERTIFIED_FIRST_AIDER else 2
        c = Course(
            id=f"k{len(self.courses):05d}",
            kind=kind,
            organization_id=county,
            start=start,
            end=start + timedelta(days=days - 1),
            hours=hours,
            site_id=site,
        )
        self.courses.append(c)
        return c

    def attend(self, person: str, course: Course) -> None:
        self.attendances.append(
            Attendance(
                id=f"at{len(self.attendances):06d}",
                person_id=person,
                course_id=course.id,
                on=course.start,
            )
        )

    def assess(self, person: str, course: Course, passed: bool) -> None:
        self.assessments.append(
            Assessment(
                id=f"as{len(self.assessments):06d}",
                person_id=person,
                course_id=course.id,
                on=course.end,
                result=AssessmentResult.PASSED if passed else AssessmentResult.FAILED,
            )
        )
        if passed:
            self.certificates.append(
                Certificate(
                    id=f"ce{len(self.certificates):06d}",
                    number=f"JX{course.start.year}{len(self.certificates):07d}",
                    person_id=person,
                    course_id=course.id,
                    issued_on=course.end,
                )
            )

    def training(self) -> None:
        rng = self.rng
        bases = [s for s in self.sites if s.kind is SiteKind.FIRST_AID_BASE and s.opened < Q1.start]
        idle = {s.id for s in self.sites} - {a.site_id for a in self.activities if a.site_id}
        bases = [s for s in bases if s.id not in idle]

        def certifying(days: Period, *, at_a_base: bool = True) -> Course:
            base = rng.choice(bases)
            start = day_in(rng, Period(days.start, days.end - timedelta(days=1)))
            site = base.id if at_a_base else None
            return self.course(
                CourseKind.CERTIFIED_FIRST_AIDER, base.organization_id, start, 2, site
            )

        # Trained in 2018-2019 (before the bases opened, at the county societies):
        # certificates of three years, some lapsed by the quarter.
        earlier = self.people(EARLIER_CERTIFIED)
        for chunk in range(0, EARLIER_CERTIFIED, COURSE_SIZE):
            c = certifying(Period(date(2018, 1, 1), date(2019, 12, 31)), at_a_base=False)
            for p in earlier[chunk : chunk + COURSE_SIZE]:
                self.attend(p, c)
                self.assess(p, c, True)
        # Q1: 31,254 persons; the first 412 failed a course before March and passed a
        # second one in March.
        persons = self.people(FIRST_AIDERS)
        for chunk in range(0, FIRST_AIDERS, COURSE_SIZE):
            c = certifying(Period(Q1.start, date(2022, 2, 28)) if chunk < RETAKERS else Q1)
            for j, p in enumerate(persons[chunk : chunk + COURSE_SIZE]):
                self.attend(p, c)
                self.assess(p, c, chunk + j >= RETAKERS)
        retakers = persons[:RETAKERS]
        for chunk in range(0, RETAKERS, COURSE_SIZE):
            c = certifying(Period(date(2022, 3, 1), Q1.end))
            for p in retakers[chunk : chunk + COURSE_SIZE]:
                self.attend(p, c)
                self.assess(p, c, True)
        # 普及培训: 84,000 persons, 103,526 person-times, in one-day sessions of ~100.
        public = self.people(POPULAR_PERSONS)
        sessions = [
            self.course(CourseKind.POPULAR, rng.choice(self.counties), day_in(rng, Q1), 1, None)
            for _ in range(-(-POPULAR_TIMES // SESSION_SIZE))
        ]
        at: dict[str, set[str]] = {s.id: set() for s in sessions}
        order = list(public)
        extra = [rng.choice(public) for _ in range(POPULAR_TIMES - POPULAR_PERSONS)]
        for i, p in enumerate(order + extra):
            s = sessions[i % len(sessions)]
            while p in at[s.id]:  # one attendance a person a session
                s = rng.choice(sessions)
            at[s.id].add(p)
            self.attend(p, s)
        # 为500名伤病群众开展现场救护: 468 rescues, 32 of which helped two people.
        rescuers = rng.sample(persons, RESCUES // 2)
        for i in range(RESCUES):
            self.rescues.append(
                OnSiteRescue(
                    id=f"rs{i:03d}",
                    on=day_in(rng, Q1),
                    organization_id=rng.choice(self.counties),
                    helped=2 if i < HELPED - RESCUES else 1,
                    rescuer_id=rescuers[i] if i < len(rescuers) else None,
                )
            )

    # -- 造血干细胞成功捐献12例、遗体器官捐献79例，登记志愿者8863人 --------------------------------

    def register(
        self, person: str, kind: RegistrationKind, on: date, consent_by: ConsentBy = ConsentBy.SELF
    ) -> DonorRegistration:
        r = DonorRegistration(
            id=f"r{len(self.registrations):05d}",
            person_id=person,
            kind=kind,
            organization_id=self.rng.choice(self.counties),
            registered_on=on,
            consent_by=consent_by,
        )
        self.registrations.append(r)
        return r

    def three_donations(self) -> None:
        rng = self.rng
        before = Period(date(2012, 1, 1), date(2021, 12, 31))
        # Stem cells: 12 donors matched (late 2021 or Q1) and donated in Q1; 7 matched in
        # Q1 and not yet donated; 620 new donors joined the registry in Q1.
        for i in range(STEM_DONATIONS + STEM_MATCHED_ONLY):
            r = self.register(self.person(), RegistrationKind.STEM_CELL, day_in(rng, before))
            donates = i < STEM_DONATIONS
            window = Period(date(2021, 11, 1), date(2022, 1, 31)) if donates else Q1
            matched = day_in(rng, window)
            m = HlaMatch(id=f"m{i:02d}", registration_id=r.id, on=matched)
            self.matches.append(m)
            if donates:
                day = max(Q1.start, matched + timedelta(days=30)) + timedelta(
                    days=rng.randrange(20)
                )
                self.completed.append(
                    CompletedDonation(
                        id=f"sd{i:02d}", registration_id=r.id, on=day, match_id=m.id, recipients=1
                    )
                )
        for p in self.people(STEM_NEW):
            self.register(p, RegistrationKind.STEM_CELL, day_in(rng, Q1))
        # Body and organs: 79 donations in Q1, of registrations made before 2022.
        kinds = [RegistrationKind.ORGAN, RegistrationKind.BODY, RegistrationKind.CORNEA]
        for i in range(ORGAN_DONATIONS):
            kind = kinds[i % 3]
            r = self.register(
                self.person(),
                kind,
                day_in(rng, before),
                consent_by=ConsentBy.NEXT_OF_KIN if i % 4 == 0 else ConsentBy.SELF,
            )
            self.completed.append(
                CompletedDonation(
                    id=f"od{i:02d}",
                    registration_id=r.id,
                    on=day_in(rng, Q1),
                    recipients=rng.randint(1, 3) if kind is not RegistrationKind.BODY else None,
                )
            )
        # 8,863 new registrants who stand at the quarter's end (530 of whom also registered
        # corneas), and 41 who registered and withdrew within the quarter.
        for i, p in enumerate(self.people(ORGAN_NEW)):
            day = day_in(rng, Q1)
            self.register(p, RegistrationKind.ORGAN if i % 5 else RegistrationKind.BODY, day)
            if i < ORGAN_TWO_KINDS:
                self.register(p, RegistrationKind.CORNEA, day)
        for i, p in enumerate(self.people(ORGAN_WITHDRAWN)):
            day = day_in(rng, Period(Q1.start, date(2022, 3, 15)))
            r = self.register(p, RegistrationKind.ORGAN, day)
            self.withdrawals.append(
                ConsentWithdrawal(
                    id=f"w{i:02d}",
                    registration_id=r.id,
                    on=day + timedelta(days=rng.randint(1, 14)),
                )
            )

    # -- 为151名白血病患者申请490万元救助款 -----------------------------------------------------

    def leukaemia(self) -> None:
        rng = self.rng
        amounts = LEUKAEMIA_AID.allocate([rng.randint(2, 6) for _ in range(LEUKAEMIA)])
        for i, (p, amount) in enumerate(zip(self.people(LEUKAEMIA), amounts, strict=True)):
            day = day_in(rng, Period(Q1.start, date(2022, 3, 10)))
            case = Case.refer(
                id=f"case{i:03d}",
                kind=CaseKind.MEDICAL,
                person_id=p,
                on=day,
                condition=Condition.LEUKAEMIA,
            )
            case = case.advance("screened", on=day + timedelta(days=3))
            case = case.advance("assessed", on=day + timedelta(days=7))
            self.cases.append(
                case.advance("approved", on=day + timedelta(days=14), approved=amount)
            )

    def reported(self) -> list[ReportedFigure]:
        return [
            ReportedFigure(
                id=fid,
                organization_id=JX,
                subject=subject,
                stated=stated,
                period=Q1,
                source=f"{SOURCE}: {quote}",
            )
            for fid, subject, stated, quote in ARTICLE
        ]


def build(seed: int = SEED) -> Dataset:
    """The whole quarter as one dataset (about 330,000 records)."""
    b = _Builder(seed)
    b.societies()
    b.service_sites()
    b.volunteer_work()
    b.training()
    b.three_donations()
    b.leukaemia()
    return Dataset(
        name="江西省红十字会 2022年一季度",
        organizations=tuple(b.organizations),
        admin_areas=tuple(b.areas),
        persons=tuple(b.persons),
        cases=tuple(b.cases),
        funds=tuple(b.funds),
        flows=tuple(b.flows),
        reported_figures=tuple(b.reported()),
        teams=tuple(b.teams),
        volunteers=tuple(b.volunteers),
        service_activities=tuple(b.activities),
        service_hours=tuple(b.hours),
        sites=tuple(b.sites),
        site_assessments=tuple(b.site_checks),
        courses=tuple(b.courses),
        attendances=tuple(b.attendances),
        assessments=tuple(b.assessments),
        certificates=tuple(b.certificates),
        on_site_rescues=tuple(b.rescues),
        donor_registrations=tuple(b.registrations),
        hla_matches=tuple(b.matches),
        completed_donations=tuple(b.completed),
        consent_withdrawals=tuple(b.withdrawals),
    )
