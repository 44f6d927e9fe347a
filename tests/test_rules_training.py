from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given

from humanaid import (
    BUILTIN_RULES,
    Assessment,
    AssessmentResult,
    Attendance,
    Certificate,
    Course,
    CourseKind,
    Dataset,
    Finding,
    Severity,
    Trainer,
)
from humanaid.rules.training import (
    TRAINING_RULES,
    assessments_follow_attendance,
    attendances_within_courses,
    certificates_follow_a_pass,
    courses_name_known_trainers,
    renewals_are_consistent,
)
from humanaid.testing import datasets

RULES: list[Callable[[Dataset], Iterator[Finding]]] = [
    attendances_within_courses,
    assessments_follow_attendance,
    certificates_follow_a_pass,
    renewals_are_consistent,
    courses_name_known_trainers,
]
D = date(2022, 3, 7)
NUMBER = "JX2022-55555"


def course(
    id: str = "k1", kind: CourseKind = CourseKind.CERTIFIED_FIRST_AIDER, **kw: Any
) -> Course:
    fields: dict[str, Any] = {
        "id": id,
        "kind": kind,
        "organization_id": "jx",
        "start": D,
        "end": D + timedelta(days=1),
        "hours": 16,
    }
    fields.update(kw)
    return Course(**fields)


def attend(id: str, person: str = "p1", course_id: str = "k1", on: date = D) -> Attendance:
    return Attendance(id=id, person_id=person, course_id=course_id, on=on)


def passed(id: str, person: str = "p1", course_id: str = "k1", on: date = D) -> Assessment:
    return Assessment(
        id=id, person_id=person, course_id=course_id, on=on, result=AssessmentResult.PASSED
    )


def cert(id: str = "c1", person: str = "p1", course_id: str = "k1", **kw: Any) -> Certificate:
    fields: dict[str, Any] = {"issued_on": D + timedelta(days=1), "number": NUMBER}
    fields.update(kw)
    return Certificate(id=id, person_id=person, course_id=course_id, **fields)


def codes(ds: Dataset) -> list[tuple[str, str | None]]:
    return [(f.rule, f.subject) for rule in RULES for f in rule(ds)]


def clean(**more: Any) -> Dataset:
    parts: dict[str, Any] = {
        "courses": (course(),),
        "attendances": (attend("a1"),),
        "assessments": (passed("s1"),),
        "certificates": (cert(),),
    }
    for name, records in more.items():
        parts[name] = (*parts.get(name, ()), *records)
    return Dataset(**parts)


def test_the_training_rules_are_built_in() -> None:
    assert set(TRAINING_RULES) <= set(BUILTIN_RULES)
    assert list(TRAINING_RULES) == RULES


def test_a_course_attended_assessed_and_certified_is_clean() -> None:
    assert codes(clean()) == []


def test_attendance_outside_the_course_and_twice() -> None:
    ds = clean(attendances=[attend("a2", on=D + timedelta(days=5)), attend("a3", person="p2")])
    found = list(attendances_within_courses(ds))
    assert [(f.rule, f.subject, f.severity) for f in found] == [
        ("training.attendance-outside-course", "a2", Severity.WARNING),
        ("training.duplicate-attendance", "a2", Severity.WARNING),
    ]
    assert "2022-03-12, outside course 'k1' (2022-03-07 to 2022-03-08)" in found[0].message
    assert found[1].figures["same_as"] == "a1"


def test_assessments_without_attendance_and_of_popular_courses() -> None:
    ds = clean(
        courses=[course("k2", CourseKind.POPULAR)],
        attendances=[attend("a2", course_id="k2")],
        assessments=[passed("s2", person="p2"), passed("s3", course_id="k2")],
    )
    assert codes(ds) == [
        ("training.assessment-without-attendance", "s2"),
        ("training.assessment-of-popular-course", "s3"),
    ]


def test_a_certificate_needs_a_pass_at_its_course_before_it_was_issued() -> None:
    failed = Assessment(
        id="s9", person_id="p2", course_id="k1", on=D, result=AssessmentResult.FAILED
    )
    late = passed("s8", person="p3", on=D + timedelta(days=9))
    ds = clean(
        attendances=[attend("a2", person="p2"), attend("a3", person="p3")],
        assessments=[failed, late],
        certificates=[cert("c2", person="p2"), cert("c3", person="p3")],
    )
    found = list(certificates_follow_a_pass(ds))
    assert [(f.rule, f.subject, f.severity) for f in found] == [
        ("training.certificate-without-pass", "c2", Severity.ERROR),
        ("training.certificate-without-pass", "c3", Severity.ERROR),
    ]
    assert all(NUMBER not in f.message for f in found)


def test_a_certificate_of_a_popular_course_certifies_nobody() -> None:
    ds = clean(
        courses=[course("k2", CourseKind.POPULAR)], certificates=[cert("c2", course_id="k2")]
    )
    assert codes(ds) == [("training.certificate-of-popular-course", "c2")]


def test_renewals_of_another_person_too_early_or_twice() -> None:
    old = cert("c1", issued_on=date(2019, 1, 1))
    first = old.renew(id="c2", number="N2", on=date(2021, 6, 1))
    second = old.renew(id="c3", number="N3", on=date(2021, 9, 1))
    stranger = cert("c4", person="p2", renews_id="c1", issued_on=date(2021, 10, 1))
    early = cert("c5", renews_id="c1", issued_on=date(2018, 1, 1))
    ds = Dataset(certificates=(old, first, second, stranger, early))
    found = list(renewals_are_consistent(ds))
    assert [(f.rule, f.subject) for f in found] == [
        ("training.renewal-mismatch", "c5"),
        ("training.renewed-twice", "c2"),
        ("training.renewed-twice", "c3"),
        ("training.renewal-mismatch", "c4"),
        ("training.renewed-twice", "c4"),
    ]
    assert "it was issued on 2018-01-01, before 2019-01-01" in found[0].message
    assert "holder 'p2' is not 'p1'" in found[3].message
    assert found[1].figures["same_as"] == "c5"  # the first renewal by date, here a bad one


def test_courses_name_known_and_certified_trainers() -> None:
    trainer_cert = cert("tc", person="t-person", issued_on=date(2015, 1, 1))
    ds = clean(
        courses=[course("k2", trainer_ids=["t1", "t2", "t3"])],
        trainers=[
            Trainer(id="t1", person_id="t-person", organization_id="jx", certificate_id="tc"),
            Trainer(id="t2", person_id="t-other", organization_id="jx"),
        ],
        certificates=[trainer_cert],
    )
    found = list(courses_name_known_trainers(ds))
    assert [(f.rule, f.subject, f.figures["trainer_id"]) for f in found] == [
        ("training.trainer-not-certified", "k2", "t1"),
        ("training.unknown-trainer", "k2", "t3"),
    ]


def test_built_in_validation_reports_training_findings() -> None:
    ds = clean(certificates=[cert("c2", person="p2")])
    found = ds.validate().where(rule="training.")
    assert [f.subject for f in found] == ["c2"]


@given(datasets(max_size=4))
def test_the_training_rules_never_raise_on_any_dataset(ds: Dataset) -> None:
    for rule in RULES:
        for finding in rule(ds):
            assert finding.rule.startswith("training.")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_each_rule_reads_a_dataset_without_training_collections(
    rule: Callable[[Dataset], Iterator[Finding]],
) -> None:
    assert list(rule(Dataset())) == []
