"""Rules about first-aid training: attendances, assessments, certificates and trainers.

Every finding names records by id and dates only: never a certificate number (personal
data) or anything about the people trained.

* ``training.attendance-outside-course`` (WARNING): an attendance dated outside its
  course's days;
* ``training.duplicate-attendance`` (WARNING): one person recorded twice at one course
  (counted once, as one person-time);
* ``training.assessment-without-attendance`` (WARNING): a person assessed at a course
  they are not recorded as attending;
* ``training.assessment-of-popular-course`` (WARNING): an assessment at a popular
  course, which certifies nobody;
* ``training.certificate-without-pass`` (ERROR): a certificate whose holder has no
  passed assessment at its course on or before the day it was issued;
* ``training.certificate-of-popular-course`` (ERROR): a certificate for a popular
  course, which certifies nobody;
* ``training.renewal-mismatch`` (ERROR): a renewal of another person's certificate, or
  one issued before the certificate it renews;
* ``training.renewed-twice`` (ERROR): a certificate that two certificates renew;
* ``training.unknown-trainer`` (ERROR): a course naming a trainer the dataset lacks;
* ``training.trainer-not-certified`` (WARNING): a trainer whose recorded trainer
  certificate was not valid on the first day of a course they taught.

A certificate whose last valid day is before its day of issue cannot be built, so no
rule is needed for it: :class:`~humanaid.Certificate` refuses it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

from humanaid.findings import Finding, Severity
from humanaid.rules._helpers import with_referenced
from humanaid.training import Assessment, Certificate, Course, CourseKind, Trainer

if TYPE_CHECKING:
    from humanaid.dataset import Dataset, Rule

__all__ = [
    "TRAINING_RULES",
    "assessments_follow_attendance",
    "attendances_within_courses",
    "certificates_follow_a_pass",
    "courses_name_known_trainers",
    "renewals_are_consistent",
]


def attendances_within_courses(dataset: Dataset) -> Iterator[Finding]:
    """Attendances fall on their course's days, once per person and course.

    Codes ``training.attendance-outside-course`` and ``training.duplicate-attendance``.
    An attendance at a course the dataset lacks is left to
    ``integrity.missing-reference``.
    """
    seen: dict[tuple[str, str], str] = {}
    for a, course in with_referenced(dataset, "attendances", "course_id", "courses", Course):
        if course is not None and not course.start <= a.on <= course.end:
            yield Finding(
                rule="training.attendance-outside-course",
                severity=Severity.WARNING,
                subject=a.id,
                message=(
                    f"attendance {a.id!r} is dated {a.on}, outside course {course.id!r} "
                    f"({course.start} to {course.end})"
                ),
                figures={"on": a.on, "start": course.start, "end": course.end},
            )
        key = (a.person_id, a.course_id)
        first = seen.setdefault(key, a.id)
        if first != a.id:
            yield Finding(
                rule="training.duplicate-attendance",
                severity=Severity.WARNING,
                subject=a.id,
                message=(
                    f"attendance {a.id!r} records person {a.person_id!r} at course "
                    f"{a.course_id!r} again (first: {first!r}); counted once"
                ),
                figures={"same_as": first},
            )


def assessments_follow_attendance(dataset: Dataset) -> Iterator[Finding]:
    """Assessments are of people who attended, at courses that certify.

    Codes ``training.assessment-without-attendance`` and
    ``training.assessment-of-popular-course``.
    """
    attended = {(a.person_id, a.course_id) for a in dataset.records("attendances", missing_ok=True)}
    for s, course in with_referenced(dataset, "assessments", "course_id", "courses", Course):
        if course is not None and course.kind is CourseKind.POPULAR:
            yield Finding(
                rule="training.assessment-of-popular-course",
                severity=Severity.WARNING,
                subject=s.id,
                message=(
                    f"assessment {s.id!r} is of popular course {course.id!r}, which "
                    "certifies nobody"
                ),
            )
        if (s.person_id, s.course_id) not in attended:
            yield Finding(
                rule="training.assessment-without-attendance",
                severity=Severity.WARNING,
                subject=s.id,
                message=(
                    f"assessment {s.id!r} is of person {s.person_id!r} at course "
                    f"{s.course_id!r}, which they are not recorded as attending"
                ),
            )


def certificates_follow_a_pass(dataset: Dataset) -> Iterator[Finding]:
    """A certificate rests on a passed assessment at a course that certifies.

    Codes ``training.certificate-without-pass`` (its holder passed no assessment at its
    course on or before the day of issue) and ``training.certificate-of-popular-course``.
    """
    passed: dict[tuple[str, str], list[Assessment]] = defaultdict(list)
    for s in dataset.records("assessments", missing_ok=True):
        if s.passed:
            passed[(s.person_id, s.course_id)].append(s)
    for c, course in with_referenced(dataset, "certificates", "course_id", "courses", Course):
        if course is not None and not course.kind.certifies:
            yield Finding(
                rule="training.certificate-of-popular-course",
                severity=Severity.ERROR,
                subject=c.id,
                message=(
                    f"certificate {c.id!r} is for popular course {course.id!r}, which "
                    "certifies nobody"
                ),
            )
            continue
        if not any(s.on <= c.issued_on for s in passed.get((c.person_id, c.course_id), ())):
            yield Finding(
                rule="training.certificate-without-pass",
                severity=Severity.ERROR,
                subject=c.id,
                message=(
                    f"certificate {c.id!r} was issued on {c.issued_on} to person "
                    f"{c.person_id!r} without a passed assessment at course {c.course_id!r}"
                ),
                figures={"issued_on": c.issued_on},
            )


def renewals_are_consistent(dataset: Dataset) -> Iterator[Finding]:
    """A renewal is of the same person's certificate, issued after it, and only one.

    Codes ``training.renewal-mismatch`` and ``training.renewed-twice`` (one finding for
    each renewal after the first, naming the first).
    """
    certificates = dataset.index("certificates", missing_ok=True)
    first: dict[str, Certificate] = {}
    for c in sorted(
        dataset.records("certificates", missing_ok=True), key=lambda c: (c.issued_on, c.id)
    ):
        if c.renews_id is None:
            continue
        old = certificates.get(c.renews_id)
        if isinstance(old, Certificate) and (
            old.person_id != c.person_id or c.issued_on < old.issued_on
        ):
            why = (
                f"holder {c.person_id!r} is not {old.person_id!r}"
                if old.person_id != c.person_id
                else f"it was issued on {c.issued_on}, before {old.issued_on}"
            )
            yield Finding(
                rule="training.renewal-mismatch",
                severity=Severity.ERROR,
                subject=c.id,
                message=f"certificate {c.id!r} renews {old.id!r} but {why}",
            )
        earlier = first.setdefault(c.renews_id, c)
        if earlier is not c:
            yield Finding(
                rule="training.renewed-twice",
                severity=Severity.ERROR,
                subject=c.id,
                message=(
                    f"certificate {c.id!r} renews {c.renews_id!r}, which {earlier.id!r} "
                    f"already renewed on {earlier.issued_on}"
                ),
                figures={"same_as": earlier.id},
            )


def courses_name_known_trainers(dataset: Dataset) -> Iterator[Finding]:
    """A course's trainers are in the dataset and certified on its first day.

    Codes ``training.unknown-trainer`` and ``training.trainer-not-certified`` (a trainer
    whose ``certificate_id`` names a certificate not valid on the course's first day; a
    trainer without a recorded certificate is not checked).
    """
    if "trainers" not in dataset.collection_types():
        return
    trainers = dataset.index("trainers")
    certificates = dataset.index("certificates", missing_ok=True)
    for course in dataset.records("courses", missing_ok=True):
        for trainer_id in course.trainer_ids:
            t = trainers.get(trainer_id)
            if not isinstance(t, Trainer):
                yield Finding(
                    rule="training.unknown-trainer",
                    severity=Severity.ERROR,
                    subject=course.id,
                    message=(
                        f"course {course.id!r} names trainer {trainer_id!r}, which is not in "
                        "'trainers'"
                    ),
                    figures={"trainer_id": trainer_id},
                )
                continue
            if t.certificate_id is None:
                continue
            cert = certificates.get(t.certificate_id)
            if isinstance(cert, Certificate) and not cert.valid_on(course.start):
                yield Finding(
                    rule="training.trainer-not-certified",
                    severity=Severity.WARNING,
                    subject=course.id,
                    message=(
                        f"trainer {t.id!r} of course {course.id!r} held no valid certificate "
                        f"on {course.start} (certificate {cert.id!r}: {cert.issued_on} to "
                        f"{cert.valid_until})"
                    ),
                    figures={"trainer_id": t.id},
                )


TRAINING_RULES: Final[tuple[Rule, ...]] = (
    attendances_within_courses,
    assessments_follow_attendance,
    certificates_follow_a_pass,
    renewals_are_consistent,
    courses_name_known_trainers,
)
"""The built-in training rules, in the order :data:`~humanaid.BUILTIN_RULES` runs them."""
