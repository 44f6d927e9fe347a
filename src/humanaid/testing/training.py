"""Hypothesis strategies for first-aid training (re-exported by :mod:`humanaid.testing`).

Every strategy builds valid records, from the shared building blocks of
:mod:`humanaid.testing._common`: courses whose last day is not before their first,
certificates valid for a term of one to five years (three most often), attendances and
assessments on a course's days when the course is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from humanaid.testing._common import dates, decimals, members_of, short_ids
from humanaid.training import (
    CERTIFICATE_VALIDITY_YEARS,
    Assessment,
    AssessmentResult,
    Attendance,
    Certificate,
    Course,
    CourseKind,
    OnSiteRescue,
    Trainer,
)

__all__ = [
    "assessments",
    "attendances",
    "certificates",
    "courses",
    "on_site_rescues",
    "trainers",
]

_FIRST_DAY = date(2010, 1, 1)
_LAST_DAY = date(2030, 12, 31)
_NAMES = st.sampled_from(["救护员培训班", "普及培训", "师资培训班", "AED进社区", "first aid"])
_NUMBERS = st.from_regex(r"[A-Z]{2}[0-9]{4}-[0-9]{5}", fullmatch=True)


def _optional(ids: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | ids


def courses(
    *,
    kinds: list[CourseKind] | None = None,
    organization_ids: st.SearchStrategy[str] | None = None,
    min_day: date = _FIRST_DAY,
    max_day: date = _LAST_DAY,
) -> st.SearchStrategy[Course]:
    """Valid courses of one to five days, of 1 to 40 hours (in halves and quarters).

    Args:
        kinds: the kinds to draw from (all by default).
        organization_ids: the organisers (short ids by default).
        min_day: the earliest first day.
        max_day: the latest first day.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Course:
        start = draw(dates(min_value=min_day, max_value=max_day))
        return Course(
            id=draw(short_ids(prefix="course-")),
            kind=draw(members_of(CourseKind, only=kinds)),
            organization_id=draw(
                organization_ids if organization_ids is not None else short_ids(prefix="org-")
            ),
            start=start,
            end=start + timedelta(days=draw(st.integers(0, 4))),
            hours=draw(decimals(min_value="0.25", max_value=40, places=2)),
            name=draw(st.none() | _NAMES),
            site_id=draw(_optional(short_ids(prefix="site-"))),
            area_id=draw(_optional(short_ids(prefix="area-"))),
            trainer_ids=tuple(
                draw(st.lists(short_ids(prefix="trainer-"), max_size=3, unique=True))
            ),
        )

    return build()


def trainers() -> st.SearchStrategy[Trainer]:
    """Valid trainers, with or without a certificate and a first day of teaching."""
    return st.builds(
        Trainer,
        id=short_ids(prefix="trainer-"),
        person_id=short_ids(prefix="person-"),
        organization_id=short_ids(prefix="org-"),
        certificate_id=_optional(short_ids(prefix="cert-")),
        since=st.none() | dates(min_value=_FIRST_DAY, max_value=_LAST_DAY),
    )


def _day_of(course: Course | None, draw: st.DrawFn) -> date:
    if course is None:
        return draw(dates(min_value=_FIRST_DAY, max_value=_LAST_DAY))
    return course.start + timedelta(days=draw(st.integers(0, (course.end - course.start).days)))


def attendances(
    *,
    course: Course | None = None,
    person_ids: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Attendance]:
    """Valid attendances; at ``course`` (on one of its days) when it is given.

    Args:
        course: the course attended (any course id and day by default).
        person_ids: the persons (short ids by default).
    """

    @st.composite
    def build(draw: st.DrawFn) -> Attendance:
        return Attendance(
            id=draw(short_ids(prefix="att-")),
            person_id=draw(person_ids if person_ids is not None else short_ids(prefix="person-")),
            course_id=course.id if course is not None else draw(short_ids(prefix="course-")),
            on=_day_of(course, draw),
        )

    return build()


def assessments(
    *,
    course: Course | None = None,
    person_ids: st.SearchStrategy[str] | None = None,
    results: list[AssessmentResult] | None = None,
) -> st.SearchStrategy[Assessment]:
    """Valid assessments, passed or failed; on a day of ``course`` when it is given."""

    @st.composite
    def build(draw: st.DrawFn) -> Assessment:
        return Assessment(
            id=draw(short_ids(prefix="assess-")),
            person_id=draw(person_ids if person_ids is not None else short_ids(prefix="person-")),
            course_id=course.id if course is not None else draw(short_ids(prefix="course-")),
            on=_day_of(course, draw),
            result=draw(members_of(AssessmentResult, only=results)),
        )

    return build()


def certificates(
    *,
    person_ids: st.SearchStrategy[str] | None = None,
    course_ids: st.SearchStrategy[str] | None = None,
    min_day: date = _FIRST_DAY,
    max_day: date = _LAST_DAY,
    max_years: int = 5,
) -> st.SearchStrategy[Certificate]:
    """Valid certificates valid for 1 to ``max_years`` years (three most often).

    Some state no term and take the default of three years; some renew another.

    Args:
        person_ids: the holders (short ids by default).
        course_ids: the courses (short ids by default).
        min_day: the earliest day of issue.
        max_day: the latest day of issue.
        max_years: the longest term.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Certificate:
        fields: dict[str, Any] = {
            "id": draw(short_ids(prefix="cert-")),
            "number": draw(_NUMBERS),
            "person_id": draw(
                person_ids if person_ids is not None else short_ids(prefix="person-")
            ),
            "course_id": draw(
                course_ids if course_ids is not None else short_ids(prefix="course-")
            ),
            "renews_id": draw(_optional(short_ids(prefix="cert-"))),
        }
        if fields["renews_id"] == fields["id"]:
            fields["renews_id"] = None  # a certificate never renews itself
        issued = draw(dates(min_value=min_day, max_value=max_day))
        if draw(st.booleans()):
            return Certificate(issued_on=issued, **fields)
        years = draw(st.integers(1, max_years) | st.just(CERTIFICATE_VALIDITY_YEARS))
        return Certificate.issue(issued_on=issued, years=years, **fields)

    return build()


def on_site_rescues(
    *,
    rescuer_ids: st.SearchStrategy[str | None] | None = None,
    min_day: date = _FIRST_DAY,
    max_day: date = _LAST_DAY,
) -> st.SearchStrategy[OnSiteRescue]:
    """Valid on-site rescues of 1 to 5 people, with or without a known rescuer."""
    return st.builds(
        OnSiteRescue,
        id=short_ids(prefix="rescue-"),
        on=dates(min_value=min_day, max_value=max_day),
        organization_id=short_ids(prefix="org-"),
        helped=st.integers(1, 5),
        rescuer_id=rescuer_ids
        if rescuer_ids is not None
        else _optional(short_ids(prefix="person-")),
        area_id=_optional(short_ids(prefix="area-")),
    )


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this theme and the function that makes its strategy."""
    return {
        Course: courses,
        Trainer: trainers,
        Attendance: attendances,
        Assessment: assessments,
        Certificate: certificates,
        OnSiteRescue: on_site_rescues,
    }
