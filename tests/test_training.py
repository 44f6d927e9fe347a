from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from checks import problems_of
from humanaid import (
    CERTIFICATE_TRANSITIONS,
    Assessment,
    AssessmentResult,
    Attendance,
    Certificate,
    CertificateStatus,
    Course,
    CourseKind,
    Dataset,
    OnSiteRescue,
    Organization,
    OrgLevel,
    Period,
    Person,
    Trained,
    Trainer,
    UnknownId,
    coverage,
    first_aiders,
    from_json,
    pii_field_names,
    redact,
    rescues,
    to_json,
    trained,
    training_figures,
)
from humanaid.io import CsvSchema, read_csv, write_csv
from humanaid.testing import (
    assessments,
    attendances,
    certificates,
    courses,
    on_site_rescues,
    trainers,
)

D = date(2022, 1, 10)
KEY = b"a secret key of 32 bytes or more"


def course(**changes: Any) -> Course:
    fields: dict[str, Any] = {
        "id": "k1",
        "kind": "certified_first_aider",
        "organization_id": "jx",
        "start": D,
        "end": D + timedelta(days=1),
        "hours": 16,
    }
    fields.update(changes)
    return Course(**fields)


def cert(**changes: Any) -> Certificate:
    fields: dict[str, Any] = {
        "id": "c1",
        "number": "JX2022-00001",
        "person_id": "p1",
        "course_id": "k1",
        "issued_on": D + timedelta(days=1),
    }
    fields.update(changes)
    return Certificate(**fields)


def visit(i: int, person: str, course_id: str, on: date = D) -> Attendance:
    return Attendance(id=f"a{i}", person_id=person, course_id=course_id, on=on)


# -- records ------------------------------------------------------------------------------------


def test_a_course_holds_its_kind_days_hours_and_place() -> None:
    k = course(site_id="site-1", area_id="360100", trainer_ids=["t1", "t2"], hours=Decimal("2.5"))
    assert k.kind is CourseKind.CERTIFIED_FIRST_AIDER
    assert k.kind.certifies
    assert not CourseKind.POPULAR.certifies
    assert k.period == Period(D, D + timedelta(days=1))
    assert k.trainer_ids == ("t1", "t2")
    assert course(hours=16).hours == Decimal(16)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"end": D - timedelta(days=1)}, ValueError, "'end' must not be before 'start'"),
        ({"hours": 2.5}, TypeError, r"'hours' must be an int or Decimal \(never a float\)"),
        ({"hours": 0}, ValueError, "'hours' must be more than 0"),
        ({"hours": Decimal("1.125")}, ValueError, "at most 2 decimal places"),
        ({"hours": True}, TypeError, "'hours' must be an int or Decimal"),
        ({"kind": "lecture"}, ValueError, "'kind' must be one of 'certified_first_aider'"),
        ({"trainer_ids": ["t1", "t1"]}, ValueError, "'trainer_ids' must not name an id twice"),
        ({"trainer_ids": ["t1", " t2"]}, ValueError, r"'trainer_ids\[1\]' must be an id"),
        ({"trainer_ids": "t1"}, TypeError, "'trainer_ids' must be a sequence of ids"),
        ({"site_id": ""}, ValueError, "'site_id' must be an id"),
    ],
)
def test_bad_courses_are_refused_by_field(
    changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        course(**changes)


def test_a_certificate_is_valid_three_years_by_default_both_ends_included() -> None:
    c = cert(issued_on=date(2022, 1, 11))
    assert c.valid_until == date(2025, 1, 10)
    assert c.valid_on(date(2022, 1, 11))
    assert c.valid_on(date(2025, 1, 10))
    assert not c.valid_on(date(2022, 1, 10))
    assert not c.valid_on(date(2025, 1, 11))
    assert c.status_on(date(2022, 1, 10)) is None
    assert c.status_on(date(2025, 1, 10)) is CertificateStatus.VALID
    assert c.status_on(date(2025, 1, 11)) is CertificateStatus.LAPSED
    leap = cert(issued_on=date(2020, 2, 29))
    assert leap.valid_until == date(2023, 2, 27)


def test_a_stated_term_and_issue_with_years() -> None:
    assert cert(valid_until=date(2023, 6, 30)).valid_until == date(2023, 6, 30)
    two = Certificate.issue(
        id="c2", number="N2", person_id="p1", course_id="k1", issued_on=date(2022, 5, 1), years=2
    )
    assert two.valid_until == date(2024, 4, 30)
    with pytest.raises(ValueError, match="'years' must be between 1 and 100"):
        Certificate.issue(
            id="c2", number="N2", person_id="p1", course_id="k1", issued_on=D, years=0
        )


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"valid_until": D},
            ValueError,
            "'valid_until' must not be before 'issued_on' \\(got 2022-01-10 < 2022-01-11\\)",
        ),
        ({"renews_id": "c1"}, ValueError, "'renews_id' must not be the certificate's own id"),
        ({"issued_on": "2022-01-01"}, TypeError, "'issued_on' must be a datetime.date"),
        ({"number": ""}, ValueError, "'number' must not be empty"),
    ],
)
def test_bad_certificates_are_refused_by_field(
    changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        cert(**changes)


def test_a_certificate_number_is_personal_data_never_shown() -> None:
    assert pii_field_names(Certificate) == {"number"}
    c = cert(number="JX2022-77777")
    assert "JX2022-77777" not in repr(c)
    with pytest.raises(ValueError, match="'number' must be at most 64") as info:
        cert(number="Z" * 65)
    assert "ZZZZ" not in str(info.value)
    r = redact(c, key=KEY)
    assert r.number.startswith("ps:")
    assert "JX2022-77777" not in to_json(r)
    assert redact(r, key=KEY) == r


def test_an_assessment_a_trainer_and_a_rescue() -> None:
    s = Assessment(id="s1", person_id="p1", course_id="k1", on=D, result=AssessmentResult.PASSED)
    assert s.passed
    assert not attrs.evolve(s, result=AssessmentResult.FAILED).passed
    t = Trainer(id="t1", person_id="p9", organization_id="jx", certificate_id="c9")
    assert t.certificate_id == "c9"
    r = OnSiteRescue(id="r1", on=D, organization_id="jx")
    assert r.helped == 1
    assert r.rescuer_id is None
    with pytest.raises(ValueError, match="'helped' must be at least 1 \\(got 0\\)"):
        OnSiteRescue(id="r1", on=D, organization_id="jx", helped=0)


def test_bad_training_json_is_reported_by_path() -> None:
    data = {
        "id": "k1",
        "kind": "lecture",
        "organization_id": "jx",
        "start": "2022-01-10",
        "end": "2022-01-11",
        "hours": 1.5,
    }
    assert problems_of(data, Course) == [
        ("$.kind", "unknown-value"),
        ("$.hours", "float-not-allowed"),
    ]


# -- renewal: the certificate's life -------------------------------------------------------------


def test_the_certificate_table_is_one_immutable_mapping() -> None:
    with pytest.raises(TypeError):
        CERTIFICATE_TRANSITIONS[None] = frozenset()  # type: ignore[index]
    assert set(CERTIFICATE_TRANSITIONS) == {None, *CertificateStatus}
    assert CERTIFICATE_TRANSITIONS[CertificateStatus.RENEWED] == frozenset()


def test_a_renewal_carries_the_holder_and_starts_a_new_term() -> None:
    old = cert(issued_on=date(2019, 5, 1))
    new = old.renew(id="c2", number="N2", on=date(2022, 4, 1), course_id="refresher")
    assert (new.person_id, new.renews_id, new.course_id) == ("p1", "c1", "refresher")
    assert new.valid_until == date(2025, 3, 31)
    assert old.status_on(date(2022, 3, 31), known=[new]) is CertificateStatus.VALID
    assert old.status_on(date(2022, 4, 1), known=[new]) is CertificateStatus.RENEWED
    assert old.renew(id="c2", number="N2", on=date(2023, 1, 1)).course_id == "k1"


def test_a_lapsed_certificate_may_be_renewed() -> None:
    old = cert(issued_on=date(2015, 5, 1))
    assert old.status_on(date(2019, 1, 1)) is CertificateStatus.LAPSED
    new = old.renew(id="c2", number="N2", on=date(2019, 1, 1))
    assert old.status_on(date(2019, 1, 1), known=[new]) is CertificateStatus.RENEWED


def test_illegal_renewals_are_refused_by_name() -> None:
    old = cert(issued_on=date(2019, 5, 1))
    with pytest.raises(ValueError, match="cannot renew certificate 'c1' on 2019-04-30: it was"):
        old.renew(id="c2", number="N2", on=date(2019, 4, 30))
    new = old.renew(id="c2", number="N2", on=date(2021, 1, 1))
    with pytest.raises(ValueError, match="it is renewed \\(by 'c2' on 2021-01-01\\); renew that"):
        old.renew(id="c3", number="N3", on=date(2022, 1, 1), known=[new])
    with pytest.raises(TypeError, match="'known' must hold certificates"):
        old.status_on(D, known=[object()])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"'on' must be a datetime\.date"):
        old.renew(id="c2", number="N2", on="2021-01-01")  # type: ignore[arg-type]


class CertificateLife(RuleBasedStateMachine):
    """Issue, let time pass, renew (legally and not): every status change is a legal one."""

    def __init__(self) -> None:
        super().__init__()
        self.chain = [cert(issued_on=date(2020, 1, 1))]
        self.day = date(2020, 1, 1)
        self.seen: dict[str, CertificateStatus | None] = {"c1": CertificateStatus.VALID}
        self.refused = 0

    def status(self, c: Certificate) -> CertificateStatus | None:
        return c.status_on(self.day, known=self.chain)

    @rule(days=st.integers(1, 800))
    def time_passes(self, days: int) -> None:
        self.day += timedelta(days=days)

    @rule(years=st.integers(1, 5))
    def renew_the_latest(self, years: int) -> None:
        latest = self.chain[-1]
        n = len(self.chain) + 1
        new = latest.renew(id=f"c{n}", number=f"N{n}", on=self.day, years=years, known=self.chain)
        self.chain.append(new)

    @precondition(lambda self: len(self.chain) > 1)
    @rule(data=st.data())
    def renew_a_renewed_one(self, data: st.DataObject) -> None:
        old = data.draw(st.sampled_from(self.chain[:-1]))
        with pytest.raises(ValueError, match=f"cannot renew certificate {old.id!r}: it is renewed"):
            old.renew(id="cx", number="NX", on=self.day, known=self.chain)
        self.refused += 1

    @rule(days=st.integers(1, 400))
    def renew_before_issue(self, days: int) -> None:
        latest = self.chain[-1]
        with pytest.raises(ValueError, match="a renewal comes after the certificate it renews"):
            latest.renew(
                id="cx", number="NX", on=latest.issued_on - timedelta(days=days), known=self.chain
            )

    @invariant()
    def every_change_is_a_legal_transition(self) -> None:
        for c in self.chain:
            now = self.status(c)
            before = self.seen.get(c.id)
            if now != before:
                assert now in CERTIFICATE_TRANSITIONS[before] or (
                    # a day may carry a certificate over two steps: valid, lapsed, renewed
                    before is CertificateStatus.VALID and now is CertificateStatus.RENEWED
                ), (c.id, before, now)
                assert now is not None
            self.seen[c.id] = now

    @invariant()
    def only_the_latest_is_not_renewed_and_the_holder_is_certified(self) -> None:
        for c in self.chain[:-1]:
            assert self.status(c) is CertificateStatus.RENEWED
        latest = self.status(self.chain[-1])
        assert latest in {CertificateStatus.VALID, CertificateStatus.LAPSED}
        count = first_aiders(self.chain, on=self.day)
        assert count.certified == 1
        assert count.valid == (1 if any(c.valid_on(self.day) for c in self.chain) else 0)


TestCertificateLife = CertificateLife.TestCase


# -- figures: the laws ---------------------------------------------------------------------------


def test_a_person_trained_twice_is_one_trained_person_and_two_person_times() -> None:
    twice = [visit(1, "p1", "k1"), visit(2, "p1", "k2", D + timedelta(days=30))]
    assert trained(twice) == Trained(persons=1, person_times=2)
    # the same course recorded day by day is one person-time
    daily = [visit(1, "p1", "k1"), visit(2, "p1", "k1", D + timedelta(days=1))]
    assert trained(daily) == Trained(persons=1, person_times=1)
    assert str(trained(twice)) == "1 person trained (2 person-times)"


_PEOPLE = st.sampled_from(["p1", "p2", "p3", "p4"])
_COURSES = st.sampled_from(["k1", "k2", "k3"])


@st.composite
def visits(draw: st.DrawFn) -> list[Attendance]:
    pairs = draw(st.lists(st.tuples(_PEOPLE, _COURSES, st.integers(0, 400)), max_size=20))
    return [visit(i, p, k, D + timedelta(days=d)) for i, (p, k, d) in enumerate(pairs)]


@given(visits())
def test_a_person_trained_twice_is_one_person_and_two_person_times_in_any_mix(
    xs: list[Attendance],
) -> None:
    t = trained(xs)
    assert t.persons == len({a.person_id for a in xs})
    assert t.person_times == len({(a.person_id, a.course_id) for a in xs})
    assert t.persons <= t.person_times
    # adding one more course for a person already trained adds a person-time, no person
    if xs:
        more = trained([*xs, visit(99, xs[0].person_id, "k-new")])
        assert (more.persons, more.person_times) == (t.persons, t.person_times + 1)


@given(visits(), st.integers(0, 399))
def test_person_times_of_two_periods_add_up_to_those_of_both(
    xs: list[Attendance], cut: int
) -> None:
    split = D + timedelta(days=cut)
    early = Period(D, split)
    late = Period(split + timedelta(days=1), D + timedelta(days=400))
    once_per_course = list({(a.person_id, a.course_id): a for a in xs}.values())
    whole = trained(once_per_course)
    a, b = trained(once_per_course, period=early), trained(once_per_course, period=late)
    assert a.person_times + b.person_times == whole.person_times
    assert max(a.persons, b.persons) <= whole.persons <= a.persons + b.persons


def test_counting_by_kind_and_organisation_needs_the_courses() -> None:
    ks = [course(id="k1"), course(id="k2", kind="popular", organization_id="nc")]
    xs = [visit(1, "p1", "k1"), visit(2, "p1", "k2"), visit(3, "p2", "k2")]
    assert trained(xs, courses=ks, kinds="popular") == Trained(persons=2, person_times=2)
    assert trained(xs, courses=ks, organization_ids=["jx"]) == Trained(persons=1, person_times=1)
    assert trained(xs, courses={k.id: k for k in ks}, organization_ids="nc").persons == 2
    with pytest.raises(ValueError, match="course 'k2' is not among the courses given"):
        trained(xs, courses=ks[:1], kinds=["certified_first_aider"])
    with pytest.raises(ValueError, match="'kinds' must be one of"):
        trained(xs, courses=ks, kinds="lecture")


@given(st.lists(certificates(person_ids=_PEOPLE), max_size=12), st.dates(date(2008, 1, 1)))
def test_valid_certificates_never_exceed_certified_persons(
    cs: list[Certificate], day: date
) -> None:
    count = first_aiders(cs, on=day)
    assert count.valid <= count.certified
    assert count.valid + count.lapsed == count.certified
    assert count.certified == len({c.person_id for c in cs if c.issued_on <= day})
    assert count.valid == len({c.person_id for c in cs if c.valid_on(day)})


def test_a_renewal_keeps_the_holder_certified_once() -> None:
    old = cert(issued_on=date(2019, 5, 1))
    new = old.renew(id="c2", number="N2", on=date(2022, 4, 1))
    both = first_aiders([old, new], on=date(2022, 4, 1))
    assert (both.certified, both.valid, both.lapsed) == (1, 1, 0)
    later = first_aiders([old, new], on=date(2025, 4, 1))
    assert (later.certified, later.valid, later.lapsed) == (1, 0, 1)
    assert str(later) == (
        "0 of 1 certified first-aiders hold a valid certificate on 2025-04-01 (1 lapsed)"
    )


def test_coverage_of_a_target_group() -> None:
    cadres = ["p1", "p2", "p3", "p4", "p1"]  # listed twice: one person
    cs = [
        cert(id="c1", person_id="p1", issued_on=date(2021, 3, 1)),
        cert(id="c2", person_id="p2", issued_on=date(2017, 3, 1)),  # lapsed in 2020
        cert(id="c3", person_id="p9", issued_on=date(2021, 3, 1)),  # not a cadre
    ]
    c = coverage(cs, target=cadres, on=date(2022, 1, 1))
    assert (c.target, c.covered, c.missing) == (4, 1, frozenset({"p2", "p3", "p4"}))
    assert c.share == Decimal("0.25")
    assert not c.complete
    full = coverage(cs, target=["p1"], on=date(2022, 1, 1))
    assert full.complete
    assert full.share == 1
    empty = coverage(cs, target=[], on=date(2022, 1, 1))
    assert empty.share is None
    assert not empty.complete
    assert str(empty).endswith("(n/a)")
    with pytest.raises(TypeError, match="'target' must be a collection of person ids"):
        coverage(cs, target="p1", on=date(2022, 1, 1))


@given(
    st.lists(certificates(person_ids=_PEOPLE), max_size=10),
    st.frozensets(_PEOPLE),
    st.dates(date(2008, 1, 1)),
)
def test_coverage_never_exceeds_the_group_and_missing_is_the_rest(
    cs: list[Certificate], group: frozenset[str], day: date
) -> None:
    c = coverage(cs, target=group, on=day)
    assert c.covered + len(c.missing) == c.target == len(group)
    assert c.missing <= group
    assert c.covered <= first_aiders(cs, on=day).valid


def test_rescues_by_trained_and_certified_rescuers() -> None:
    rs = [
        OnSiteRescue(id="r1", on=date(2022, 3, 1), organization_id="jx", helped=2, rescuer_id="p1"),
        OnSiteRescue(id="r2", on=date(2022, 3, 1), organization_id="jx", rescuer_id="p2"),
        OnSiteRescue(id="r3", on=date(2021, 3, 1), organization_id="jx", rescuer_id="p1"),
        OnSiteRescue(id="r4", on=date(2022, 3, 2), organization_id="nc", helped=3),
    ]
    xs = [visit(1, "p1", "k1", date(2022, 1, 10)), visit(2, "p2", "k2", date(2022, 1, 10))]
    cs = [cert(id="c1", person_id="p1", issued_on=date(2022, 1, 11))]
    out = rescues(rs, attendances=xs, certificates=cs)
    assert (out.rescues, out.helped) == (4, 7)
    assert (out.by_trained, out.helped_by_trained) == (2, 3)
    assert (out.by_certified, out.helped_by_certified) == (1, 2)
    jx = rescues(
        rs, attendances=xs, certificates=cs, organization_ids="jx", period=Period.year(2022)
    )
    assert (jx.rescues, jx.helped) == (2, 3)


@given(st.lists(on_site_rescues(rescuer_ids=st.none() | _PEOPLE), max_size=8), visits())
def test_rescues_by_the_trained_are_a_part_of_all(
    rs: list[OnSiteRescue], xs: list[Attendance]
) -> None:
    out = rescues(rs, attendances=xs)
    assert out.by_certified == 0
    assert out.by_trained <= out.rescues <= out.helped
    assert out.helped_by_trained <= out.helped
    assert out.helped == sum(r.helped for r in rs)


# -- an organisation's training figures -----------------------------------------------------------


def _society() -> Dataset:
    orgs = [
        Organization(id="jx", name="江西省红十字会", level=OrgLevel.PROVINCE),
        Organization(id="nc", name="南昌市红十字会", level=OrgLevel.CITY, parent_id="jx"),
        Organization(id="gz", name="赣州市红十字会", level=OrgLevel.CITY, parent_id="jx"),
    ]
    ks = [
        course(id="k1", organization_id="nc"),
        course(id="k2", kind="popular", organization_id="gz", hours=2),
        course(
            id="k3",
            kind="popular",
            organization_id="jx",
            start=date(2021, 5, 1),
            end=date(2021, 5, 1),
            hours=2,
        ),
    ]
    xs = [
        visit(1, "p1", "k1"),
        visit(2, "p2", "k1"),
        visit(3, "p1", "k2"),
        visit(4, "p3", "k2"),
        visit(5, "p3", "k3", date(2021, 5, 1)),
    ]
    passes = [
        Assessment(
            id=f"s{i}",
            person_id=p,
            course_id="k1",
            on=D + timedelta(days=1),
            result=AssessmentResult.PASSED,
        )
        for i, p in enumerate(["p1", "p2"])
    ]
    cs = [
        cert(id="c1", person_id="p1"),
        cert(id="c2", person_id="p2", number="N2"),
    ]
    rs = [
        OnSiteRescue(id="r1", on=date(2022, 2, 1), organization_id="gz", helped=2, rescuer_id="p1"),
        OnSiteRescue(id="r2", on=date(2021, 2, 1), organization_id="gz"),
    ]
    people = (("p1", "张三"), ("p2", "李四"), ("p3", "王五"))
    return Dataset(
        organizations=tuple(orgs),
        persons=tuple(Person(id=p, name=n) for p, n in people),
        courses=tuple(ks),
        attendances=tuple(xs),
        assessments=tuple(passes),
        certificates=tuple(cs),
        on_site_rescues=tuple(rs),
    )


def test_training_figures_of_an_organisation_and_its_branches() -> None:
    ds = _society()
    q1 = Period.quarter(2022, 1)
    f = training_figures(ds, q1, organization_id="jx")
    assert f.first_aiders_trained == Trained(persons=2, person_times=2)
    assert f.popular_trained == Trained(persons=2, person_times=2)
    assert f.trainers_trained == Trained(persons=0, person_times=0)
    assert f.certificates_issued == 2
    assert (f.certified.certified, f.certified.valid) == (2, 2)
    assert (f.rescues.rescues, f.rescues.helped, f.rescues.helped_by_certified) == (1, 2, 2)
    assert f.sentences()[:2] == (
        "培训救护员2人 (certified first-aider training: 2 persons, 2 person-times)",
        "普及培训2人次 (popular training: 2 person-times, 2 persons)",
    )
    alone = training_figures(ds, 2022, organization_id="jx", include_children=False)
    assert alone.first_aiders_trained.persons == 0
    assert alone.rescues.rescues == 0
    nc = training_figures(ds, q1, organization_id="nc")
    assert nc.popular_trained.persons == 0
    assert nc.first_aiders_trained.persons == 2
    assert training_figures(ds, 2021, organization_id="jx").popular_trained.person_times == 1


def test_training_figures_refuse_an_unknown_organisation() -> None:
    with pytest.raises(UnknownId, match="organization_id 'jxx' is not among"):
        training_figures(_society(), 2022, organization_id="jxx")


def test_the_figure_functions_read_a_dataset_too() -> None:
    ds = _society()
    assert trained(ds) == Trained(persons=3, person_times=5)
    assert trained(ds, kinds="popular").person_times == 3
    assert first_aiders(ds, on=D + timedelta(days=1)).valid == 2
    assert coverage(ds, target=["p1", "p3"], on=date(2022, 6, 1)).covered == 1
    assert rescues(ds).helped_by_trained == 2


def test_a_dataset_with_training_validates_clean() -> None:
    assert not _society().validate()


# -- round trips ---------------------------------------------------------------------------------

_TRAINING = [
    (Course, courses()),
    (Trainer, trainers()),
    (Attendance, attendances()),
    (Assessment, assessments()),
    (Certificate, certificates()),
    (OnSiteRescue, on_site_rescues()),
]


@pytest.mark.parametrize(("cls", "records"), _TRAINING, ids=lambda x: getattr(x, "__name__", ""))
@given(data=st.data())
def test_read_csv_of_write_csv_is_the_training_records(
    cls: type[Any], records: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    xs = data.draw(st.lists(records, max_size=4))
    schema = CsvSchema.for_type(cls, escaped=True)
    buf = io.StringIO()
    assert write_csv(xs, buf, schema) == len(xs)
    buf.seek(0)
    result = read_csv(buf, schema)
    assert result.problems == ()
    assert list(result.records) == xs


@given(courses())
def test_generated_courses_round_trip_through_json(k: Course) -> None:
    assert from_json(to_json(k), Course) == k
    assert k.start <= k.end


@given(st.data())
def test_attendances_and_assessments_of_a_course_fall_on_its_days(data: st.DataObject) -> None:
    k = data.draw(courses())
    a = data.draw(attendances(course=k))
    s = data.draw(assessments(course=k))
    assert a.course_id == s.course_id == k.id
    assert k.start <= a.on <= k.end
    assert k.start <= s.on <= k.end
