"""First-aid training: courses, attendances, assessments, certificates and on-site rescues.

A Red Cross society trains three kinds of people (:class:`CourseKind`): *certified
first-aiders* (救护员), who sit an assessment and receive a certificate valid for a stated
term, commonly three years; the public in *popular training* (普及培训), counted in
person-times; and *trainers* (师资), who teach the others. Each course is a
:class:`Course`; each person at a course an :class:`Attendance`; each assessment an
:class:`Assessment`; each certificate a :class:`Certificate`, which lapses after its
last valid day unless it is renewed by a newer one. A :class:`Trainer` is a person
qualified to teach, and an :class:`OnSiteRescue` is first aid given on the spot
(现场救护) by a rescuer who may be one of those trained.

The figures are pure functions of these records:

* :func:`trained`: persons trained and person-times (a person trained twice is one
  person and two person-times);
* :func:`first_aiders`: persons ever certified, those holding a valid certificate on a
  day, and those whose every certificate has lapsed;
* :func:`coverage`: the share of a target group (the village cadres of a county, say)
  holding a valid certificate on a day;
* :func:`rescues`: on-site rescues and the people helped, and how many of them by a
  trained or certified rescuer;
* :func:`training_figures`: all of them for one organisation and period, from a dataset.

>>> from datetime import date
>>> course = Course(id="k1", kind="certified_first_aider", organization_id="jx",
...                 start=date(2022, 1, 10), end=date(2022, 1, 11), hours=16)
>>> again = Course(id="k2", kind="popular", organization_id="jx",
...                start=date(2022, 2, 1), end=date(2022, 2, 1), hours=2)
>>> visits = [Attendance(id="a1", person_id="p1", course_id="k1", on=date(2022, 1, 10)),
...           Attendance(id="a2", person_id="p1", course_id="k2", on=date(2022, 2, 1)),
...           Attendance(id="a3", person_id="p2", course_id="k2", on=date(2022, 2, 1))]
>>> print(trained(visits))
2 persons trained (3 person-times)
>>> cert = Certificate(id="c1", number="JX2022-0001", person_id="p1", course_id="k1",
...                    issued_on=date(2022, 1, 11))
>>> cert.valid_until
datetime.date(2025, 1, 10)
>>> cert.status_on(date(2025, 1, 10)), cert.status_on(date(2025, 1, 11))
(<CertificateStatus.VALID: 'valid'>, <CertificateStatus.LAPSED: 'lapsed'>)
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, TypeVar

import attrs
from dateutil.relativedelta import relativedelta

from humanaid._decimal import percent, ratio, to_decimal
from humanaid.errors import FieldError, UnknownId
from humanaid.funds import Boundary, PartyKind
from humanaid.periods import Period
from humanaid.records import (
    as_date,
    as_id_set,
    as_member_set,
    at_item,
    date_field,
    decimal_in,
    enum_field,
    id_field,
    instance_of,
    ref_field,
    text_field,
    valid_id,
    whole,
    whole_number,
)
from humanaid.source import RecordSource

__all__ = [
    "CERTIFICATE_TRANSITIONS",
    "CERTIFICATE_VALIDITY_YEARS",
    "Assessment",
    "AssessmentResult",
    "Attendance",
    "Certificate",
    "CertificateStatus",
    "Course",
    "CourseKind",
    "Coverage",
    "FirstAiders",
    "OnSiteRescue",
    "Rescues",
    "Trained",
    "Trainer",
    "TrainingFigures",
    "coverage",
    "first_aiders",
    "rescues",
    "trained",
    "training_figures",
]

T = TypeVar("T")

CERTIFICATE_VALIDITY_YEARS: Final = 3
"""How long a certificate is valid when its issuer states no other term (three years)."""

_HOURS: Final = decimal_in(below=Decimal(10000), places=2, positive=True, unit="hours")
"""Teaching hours: more than 0 and less than 10,000, to the hundredth of an hour."""


# -- kinds -------------------------------------------------------------------------------------


class CourseKind(enum.StrEnum):
    """What a course trains.

    ``CERTIFIED_FIRST_AIDER``: the certified first-aider course (救护员培训), ending in an
    assessment and a certificate. ``POPULAR``: popular first-aid training for the public
    (普及培训), counted in person-times; no certificate. ``TRAINER``: the training of
    trainers (师资培训), also certified.

    >>> CourseKind.POPULAR.certifies, CourseKind.TRAINER.certifies
    (False, True)
    """

    CERTIFIED_FIRST_AIDER = "certified_first_aider"
    POPULAR = "popular"
    TRAINER = "trainer"

    @property
    def certifies(self) -> bool:
        """Whether the course ends in an assessment and a certificate."""
        return self is not CourseKind.POPULAR


class AssessmentResult(enum.StrEnum):
    """The result of an assessment (考核): passed or failed."""

    PASSED = "passed"
    FAILED = "failed"


class CertificateStatus(enum.StrEnum):
    """Where a certificate stands on a day; see :data:`CERTIFICATE_TRANSITIONS`.

    ``VALID``: issued, and the day is not after its last valid day. ``LAPSED``: the day
    is after its last valid day and it was not renewed. ``RENEWED``: a newer certificate
    renewing it was issued on or before the day; the newer one carries on.
    """

    VALID = "valid"
    LAPSED = "lapsed"
    RENEWED = "renewed"


_C = CertificateStatus

CERTIFICATE_TRANSITIONS: Final[Mapping[CertificateStatus | None, frozenset[CertificateStatus]]] = (
    MappingProxyType(
        {
            None: frozenset({_C.VALID}),
            _C.VALID: frozenset({_C.LAPSED, _C.RENEWED}),
            _C.LAPSED: frozenset({_C.RENEWED}),
            _C.RENEWED: frozenset(),
        }
    )
)
"""The life of a certificate: each status (``None`` before it is issued) to those that may follow.

==========  ==================  =============================================
from        may go to           by
==========  ==================  =============================================
(start)     valid               being issued
valid       lapsed, renewed     its last valid day passing; a renewal issued
lapsed      renewed             a renewal issued after it lapsed
renewed     (nothing)           the renewal carries on; renew that one
==========  ==================  =============================================

A certificate is renewed by a new :class:`Certificate` whose ``renews_id`` names it
(:meth:`Certificate.renew`); a certificate is renewed at most once, and a lapsed one may
still be renewed (re-certification after a refresher course).
"""


# -- field checks -------------------------------------------------------------------------------


def _ids(value: object, _: object, field: attrs.Attribute[Any]) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"'{field.name}' must be a sequence of ids (got {value!r})")
    items = tuple(value)
    for i, item in enumerate(items):
        try:
            valid_id(None, field, item)
        except FieldError as exc:
            raise at_item(exc, i) from None
    if len(set(items)) != len(items):
        raise ValueError(f"'{field.name}' must not name an id twice (got {items!r})")
    return items


def _ids_field() -> Any:
    return attrs.field(
        default=(), converter=attrs.Converter(_ids, takes_self=True, takes_field=True)
    )


def _last_valid_day(issued_on: date, years: int) -> date:
    """The last day of a term of ``years`` from ``issued_on`` (both ends included)."""
    return issued_on + relativedelta(years=years) - timedelta(days=1)


def _default_valid_until(self: Certificate) -> date | None:
    issued = self.issued_on
    if isinstance(issued, datetime) or not isinstance(issued, date):
        return None  # the validator of 'issued_on' refuses it by name
    return _last_valid_day(issued, CERTIFICATE_VALIDITY_YEARS)


# -- records ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Course:
    """One first-aid course, held from one day to another.

    Attributes:
        id: the record id.
        kind: certified first-aider, popular or trainer training.
        organization_id: the organising society (``organizations``).
        start: the first day.
        end: the last day, not before ``start``.
        hours: the teaching hours (学时), more than 0, at most two decimal places (an int
            or a :class:`~decimal.Decimal`, never a float).
        name: the course's name, such as "2022年第一期救护员培训班".
        site_id: the service site where it was held (collection ``sites``). The dataset's
            integrity rule checks it once a dataset class has a ``sites`` collection; until
            then it is kept as given.
        area_id: the administrative area it was held in (``admin_areas``).
        trainer_ids: the trainers who taught it (``trainers``), each once.

    >>> Course(id="k1", kind="popular", organization_id="o", start=date(2022, 3, 2),
    ...        end=date(2022, 3, 1), hours=2)
    Traceback (most recent call last):
    ...
    ValueError: 'end' must not be before 'start' (got 2022-03-01 < 2022-03-02)
    >>> Course(id="k1", kind="popular", organization_id="o", start=date(2022, 3, 2),
    ...        end=date(2022, 3, 2), hours=2.5)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldTypeError: 'hours' must be an int or Decimal (never a float) (got 2.5)
    """

    id: str = id_field()
    kind: CourseKind = enum_field(CourseKind)
    organization_id: str = ref_field("organizations")
    start: date = date_field()
    end: date = date_field()
    hours: Decimal = attrs.field(converter=to_decimal, validator=_HOURS)
    name: str | None = text_field(optional=True, max_length=200)
    site_id: str | None = ref_field("sites", optional=True)
    area_id: str | None = ref_field("admin_areas", optional=True)
    trainer_ids: tuple[str, ...] = _ids_field()

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"'end' must not be before 'start' (got {self.end} < {self.start})")

    @property
    def period(self) -> Period:
        """The days of the course, as a :class:`~humanaid.Period`."""
        return Period(self.start, self.end)


@attrs.frozen(kw_only=True)
class Trainer:
    """A person qualified to teach first aid (师资) for an organisation.

    Attributes:
        id: the record id.
        person_id: the trainer (``persons``).
        organization_id: the society they teach for (``organizations``).
        certificate_id: their trainer certificate (``certificates``), if recorded.
        since: the day they started teaching, if known.
    """

    id: str = id_field()
    person_id: str = ref_field("persons")
    organization_id: str = ref_field("organizations")
    certificate_id: str | None = ref_field("certificates", optional=True)
    since: date | None = date_field(optional=True)


@attrs.frozen(kw_only=True)
class Attendance:
    """One person at one course: the unit of person-times (人次).

    Attributes:
        id: the record id.
        person_id: who attended (``persons``).
        course_id: the course (``courses``).
        on: the day they attended (the first day, for a course of several days); the
            rule ``training.attendance-outside-course`` reports a day outside the course.
    """

    id: str = id_field()
    person_id: str = ref_field("persons")
    course_id: str = ref_field("courses")
    on: date = date_field()


@attrs.frozen(kw_only=True)
class Assessment:
    """The assessment (考核) of one person at the end of a certifying course.

    Attributes:
        id: the record id.
        person_id: who was assessed (``persons``).
        course_id: the course (``courses``).
        on: the day.
        result: passed or failed.
    """

    id: str = id_field()
    person_id: str = ref_field("persons")
    course_id: str = ref_field("courses")
    on: date = date_field()
    result: AssessmentResult = enum_field(AssessmentResult)

    @property
    def passed(self) -> bool:
        """Whether the person passed."""
        return self.result is AssessmentResult.PASSED


@attrs.frozen(kw_only=True)
class Certificate:
    """A first-aid certificate (救护员证, or a trainer's), valid from one day to another.

    Attributes:
        id: the record id.
        number: the certificate number (personal data: it looks the holder up).
        person_id: the holder (``persons``).
        course_id: the course it was earned on, or the refresher course of a renewal
            (``courses``).
        issued_on: the day it was issued, its first valid day.
        valid_until: its last valid day, not before ``issued_on``; by default the day
            before the third anniversary of ``issued_on``
            (:data:`CERTIFICATE_VALIDITY_YEARS`). It lapses the day after.
        renews_id: the certificate this one renews (``certificates``), if any.

    A certificate issued without a passed assessment is kept and reported by the rule
    ``training.certificate-without-pass``.

    >>> c = Certificate(id="c1", number="N1", person_id="p1", course_id="k1",
    ...                 issued_on=date(2020, 2, 29))
    >>> c.valid_until, c
    (datetime.date(2023, 2, 27), Certificate(id='c1', number=***, person_id='p1', ...))
    >>> Certificate(id="c1", number="N1", person_id="p1", course_id="k1",
    ...             issued_on=date(2020, 3, 1), valid_until=date(2020, 2, 1))
    Traceback (most recent call last):
    ...
    ValueError: 'valid_until' must not be before 'issued_on' (got 2020-02-01 < 2020-03-01)
    """

    id: str = id_field()
    number: str = text_field(max_length=64, pii=True)
    person_id: str = ref_field("persons")
    course_id: str = ref_field("courses")
    issued_on: date = date_field()
    valid_until: date = attrs.field(
        default=attrs.Factory(_default_valid_until, takes_self=True),
        validator=instance_of(date),
    )
    renews_id: str | None = ref_field("certificates", optional=True)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.valid_until, datetime):
            raise TypeError(
                f"'valid_until' must be a datetime.date, not a datetime (got {self.valid_until!r})"
            )
        if self.valid_until < self.issued_on:
            raise ValueError(
                f"'valid_until' must not be before 'issued_on' (got {self.valid_until} < "
                f"{self.issued_on})"
            )
        if self.renews_id == self.id:
            raise ValueError(f"'renews_id' must not be the certificate's own id (got {self.id!r})")

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def issue(
        cls, *, issued_on: date, years: int = CERTIFICATE_VALIDITY_YEARS, **kw: Any
    ) -> Certificate:
        """A certificate valid for ``years`` from ``issued_on``; ``kw`` are the other fields.

        >>> Certificate.issue(id="c1", number="N1", person_id="p1", course_id="k1",
        ...                   issued_on=date(2022, 5, 1), years=2).valid_until
        datetime.date(2024, 4, 30)
        """
        years = whole_number("years", years, low=1, high=100)
        day = as_date(issued_on, "issued_on")
        return cls(issued_on=day, valid_until=_last_valid_day(day, years), **kw)

    def renew(
        self,
        *,
        id: str,
        number: str,
        on: date,
        course_id: str | None = None,
        years: int = CERTIFICATE_VALIDITY_YEARS,
        known: Iterable[Certificate] = (),
    ) -> Certificate:
        """The certificate that renews this one: issued on ``on``, valid for ``years``.

        Args:
            id: the new certificate's id.
            number: its number.
            on: the day it is issued, not before this one was.
            course_id: the refresher course; by default this certificate's course.
            years: its term.
            known: the certificates known so far; a certificate one of them already
                renews cannot be renewed again (renew the newer one).

        Raises:
            ValueError: for a renewal before this certificate was issued, or of a
                certificate that was already renewed, naming the status it is in.

        >>> c = Certificate(id="c1", number="N1", person_id="p1", course_id="k1",
        ...                 issued_on=date(2019, 5, 1))
        >>> r = c.renew(id="c2", number="N2", on=date(2022, 4, 1))
        >>> r.renews_id, r.valid_until, c.status_on(date(2022, 4, 1), known=[r])
        ('c1', datetime.date(2025, 3, 31), <CertificateStatus.RENEWED: 'renewed'>)
        >>> c.renew(id="c3", number="N3", on=date(2023, 1, 1), known=[r])
        Traceback (most recent call last):
        ...
        ValueError: cannot renew certificate 'c1': it is renewed (by 'c2' on 2022-04-01); ...
        """
        day = as_date(on, "on")
        if day < self.issued_on:
            raise ValueError(
                f"cannot renew certificate {self.id!r} on {day}: it was issued on "
                f"{self.issued_on} (a renewal comes after the certificate it renews)"
            )
        renewal = _renewal_of(self, known)
        if renewal is not None:
            raise ValueError(
                f"cannot renew certificate {self.id!r}: it is renewed (by {renewal.id!r} on "
                f"{renewal.issued_on}); renew that one"
            )
        return Certificate.issue(
            id=id,
            number=number,
            person_id=self.person_id,
            course_id=self.course_id if course_id is None else course_id,
            issued_on=day,
            years=years,
            renews_id=self.id,
        )

    # -- views ----------------------------------------------------------------------------

    def valid_on(self, day: date) -> bool:
        """Whether the certificate is valid on ``day`` (issued, and not past its term).

        A renewed certificate stays valid to its own last day: the holder is certified
        either way.
        """
        as_date(day, "day")
        return self.issued_on <= day <= self.valid_until

    def status_on(
        self, day: date, *, known: Iterable[Certificate] = ()
    ) -> CertificateStatus | None:
        """The certificate's status at the end of ``day``; ``None`` before it was issued.

        Args:
            day: the day.
            known: the other certificates, among which a renewal of this one is looked
                for (one whose ``renews_id`` is this id, issued on or before ``day``).
        """
        as_date(day, "day")
        if day < self.issued_on:
            return None
        renewal = _renewal_of(self, known)
        if renewal is not None and renewal.issued_on <= day:
            return CertificateStatus.RENEWED
        return CertificateStatus.VALID if day <= self.valid_until else CertificateStatus.LAPSED


def _renewal_of(certificate: Certificate, known: Iterable[Certificate]) -> Certificate | None:
    """The earliest certificate in ``known`` that renews ``certificate``."""
    found: Certificate | None = None
    for other in known:
        if not isinstance(other, Certificate):
            raise TypeError(f"'known' must hold certificates (got {type(other).__name__})")
        if (
            other.renews_id == certificate.id
            and other.id != certificate.id
            and (found is None or (other.issued_on, other.id) < (found.issued_on, found.id))
        ):
            found = other
    return found


@attrs.frozen(kw_only=True)
class OnSiteRescue:
    """First aid given on the spot to injured or sick people (现场救护).

    Attributes:
        id: the record id.
        on: the day.
        organization_id: the society that records it (``organizations``).
        helped: how many people were given first aid, at least 1.
        rescuer_id: the rescuer (``persons``), when known: a trained or certified
            first-aider, or anyone.
        area_id: where it happened (``admin_areas``).

    The people helped are counted, not named: they are strangers met once, and their
    names and injuries are personal data the model has no need of.
    """

    id: str = id_field()
    on: date = date_field()
    organization_id: str = ref_field("organizations")
    helped: int = attrs.field(default=1, validator=whole(low=1))
    rescuer_id: str | None = ref_field("persons", optional=True)
    area_id: str | None = ref_field("admin_areas", optional=True)


# -- figures ------------------------------------------------------------------------------------


def _frozen(ids: Iterable[str]) -> frozenset[str]:
    return frozenset(ids)


@attrs.frozen(kw_only=True)
class Trained:
    """Persons trained and person-times (人 and 人次).

    Attributes:
        persons: distinct persons trained.
        person_times: times a person was trained: each course a person attended counts
            once, so ``persons <= person_times``.

    >>> print(Trained(persons=30000, person_times=31200))
    30,000 persons trained (31,200 person-times)
    """

    persons: int = attrs.field(validator=whole())
    person_times: int = attrs.field(validator=whole())

    def __str__(self) -> str:
        return (
            f"{self.persons:,} person{'s' if self.persons != 1 else ''} trained "
            f"({self.person_times:,} person-time{'s' if self.person_times != 1 else ''})"
        )


@attrs.frozen(kw_only=True)
class FirstAiders:
    """Certified first-aiders on a day.

    Attributes:
        on: the day.
        certified: distinct persons issued a certificate on or before the day.
        valid: of them, those holding a certificate valid on the day (持证).
        lapsed: those whose every certificate has lapsed: ``certified - valid``.
    """

    on: date
    certified: int = attrs.field(validator=whole())
    valid: int = attrs.field(validator=whole())

    @property
    def lapsed(self) -> int:
        """Persons certified whose certificates have all lapsed."""
        return self.certified - self.valid

    def __str__(self) -> str:
        return (
            f"{self.valid:,} of {self.certified:,} certified first-aiders hold a valid "
            f"certificate on {self.on.isoformat()} ({self.lapsed:,} lapsed)"
        )


@attrs.frozen(kw_only=True)
class Coverage:
    """How much of a target group holds a valid certificate on a day (持证全覆盖).

    Attributes:
        on: the day.
        target: the persons in the group.
        covered: of them, those holding a valid certificate on the day.
        missing: the ids of those who do not, for follow-up (who still needs training).
    """

    on: date
    target: int = attrs.field(validator=whole())
    covered: int = attrs.field(validator=whole())
    missing: frozenset[str] = attrs.field(factory=frozenset, converter=_frozen)

    @property
    def share(self) -> Decimal | None:
        """``covered / target`` as an exact :class:`~decimal.Decimal`; ``None`` for no group."""
        return ratio(Decimal(self.covered), Decimal(self.target))

    @property
    def complete(self) -> bool:
        """Whether every member of a non-empty group is covered (全覆盖)."""
        return self.target > 0 and self.covered == self.target

    def __str__(self) -> str:
        shown = percent(self.share, 1)
        return f"{self.covered:,} of {self.target:,} covered on {self.on.isoformat()} ({shown})"


@attrs.frozen(kw_only=True)
class Rescues:
    """On-site rescues and the people they helped (现场救护), and by whom.

    Attributes:
        rescues: the rescues counted.
        helped: the people given first aid in them (person-times: the people are not
            named, so one person helped twice counts twice).
        by_trained: rescues by a rescuer who had attended a course on or before the day.
        helped_by_trained: the people helped in those.
        by_certified: rescues by a rescuer holding a valid certificate on the day.
        helped_by_certified: the people helped in those.
    """

    rescues: int = attrs.field(validator=whole())
    helped: int = attrs.field(validator=whole())
    by_trained: int = attrs.field(default=0, validator=whole())
    helped_by_trained: int = attrs.field(default=0, validator=whole())
    by_certified: int = attrs.field(default=0, validator=whole())
    helped_by_certified: int = attrs.field(default=0, validator=whole())

    def __str__(self) -> str:
        return (
            f"{self.helped:,} people given first aid on site in {self.rescues:,} rescues "
            f"({self.helped_by_trained:,} by trained rescuers, {self.helped_by_certified:,} "
            "by certified ones)"
        )


def _lookup(records: Mapping[str, T] | Iterable[T] | None, what: str) -> Mapping[str, T]:
    if records is None:
        return {}
    if isinstance(records, Mapping):
        return records
    if isinstance(records, str | bytes):
        raise TypeError(f"'{what}' must be records or a mapping of id to record")
    out: dict[str, T] = {}
    for record in records:
        out.setdefault(_id_of(record), record)
    return out


def _id_of(record: Any) -> str:
    ident: str = record.id
    return ident


class _CourseFilter:
    """Which courses count: of some kinds, organised inside some organisations."""

    def __init__(
        self,
        courses: Mapping[str, Course],
        kinds: frozenset[CourseKind],
        orgs: frozenset[str] | None,
    ) -> None:
        self.courses = courses
        self.everything = kinds == frozenset(CourseKind) and orgs is None
        self.kinds = kinds
        self.orgs = orgs

    def __call__(self, course_id: str) -> bool:
        if self.everything:
            return True
        course = self.courses.get(course_id)
        if course is None:
            raise ValueError(
                f"course {course_id!r} is not among the courses given: its kind and organiser "
                "are needed to count by kind or organisation (courses=...)"
            )
        return course.kind in self.kinds and (
            self.orgs is None or course.organization_id in self.orgs
        )


def _filter(
    courses: Mapping[str, Course] | Iterable[Course] | None,
    kinds: Iterable[CourseKind | str] | CourseKind | str | None,
    organization_ids: Collection[str] | str | None,
) -> _CourseFilter:
    return _CourseFilter(
        _lookup(courses, "courses"),
        as_member_set(CourseKind, kinds, "kinds"),
        as_id_set(organization_ids, "organization_ids"),
    )


def trained(
    attendances: Iterable[Attendance] | RecordSource,
    *,
    courses: Mapping[str, Course] | Iterable[Course] | None = None,
    kinds: Iterable[CourseKind | str] | CourseKind | str | None = None,
    period: Period | None = None,
    organization_ids: Collection[str] | str | None = None,
) -> Trained:
    """Count the distinct persons trained and the person-times.

    A person-time is one person at one course: a person who attended two courses is one
    person and two person-times, and two attendance records of one person at one course
    (a course of several days recorded day by day) are one person-time.

    Args:
        attendances: the attendances, or a dataset (its attendances and courses).
        courses: the courses, by id or as records; needed to count by ``kinds`` or
            ``organization_ids``.
        kinds: count only courses of these kinds (all by default).
        period: count only attendances on days in it.
        organization_ids: count only courses organised by these organisations (pass an
            organisation and its sub-units: see :func:`training_figures`).

    Raises:
        ValueError: when counting by kind or organisation and an attendance's course is
            not among ``courses``.

    >>> visits = [Attendance(id=f"a{i}", person_id=f"p{i % 3}", course_id=f"k{i}",
    ...                      on=date(2022, 1, 1)) for i in range(5)]
    >>> t = trained(visits)
    >>> t.persons, t.person_times
    (3, 5)
    """
    if isinstance(attendances, RecordSource):
        if courses is None:
            courses = attendances.index("courses", missing_ok=True)
        attendances = attendances.records("attendances", missing_ok=True)
    counts = _filter(courses, kinds, organization_ids)
    persons: set[str] = set()
    times: set[tuple[str, str]] = set()
    for a in attendances:
        if period is not None and a.on not in period:
            continue
        if not counts(a.course_id):
            continue
        persons.add(a.person_id)
        times.add((a.person_id, a.course_id))
    return Trained(persons=len(persons), person_times=len(times))


def _certificates_of(
    certificates: Iterable[Certificate],
    counts: _CourseFilter,
) -> Iterable[Certificate]:
    for c in certificates:
        if counts(c.course_id):
            yield c


def first_aiders(
    certificates: Iterable[Certificate] | RecordSource,
    *,
    on: date,
    courses: Mapping[str, Course] | Iterable[Course] | None = None,
    kinds: Iterable[CourseKind | str] | CourseKind | str | None = None,
    organization_ids: Collection[str] | str | None = None,
) -> FirstAiders:
    """Persons certified on or before ``on``, and those holding a valid certificate on it.

    A person holding two certificates (a renewal and the one it renews) counts once, so
    the valid never exceed the certified, and ``certified = valid + lapsed``.

    Args:
        certificates: the certificates, or a dataset (its certificates and courses).
        on: the day.
        courses: the courses, needed to count by ``kinds`` or ``organization_ids``.
        kinds: count only certificates earned on courses of these kinds.
        organization_ids: count only certificates of courses these organisations ran.

    >>> cs = [Certificate(id="c1", number="N1", person_id="p1", course_id="k",
    ...                   issued_on=date(2018, 1, 1)),
    ...       Certificate(id="c2", number="N2", person_id="p2", course_id="k",
    ...                   issued_on=date(2020, 1, 1))]
    >>> print(first_aiders(cs, on=date(2021, 6, 1)))
    1 of 2 certified first-aiders hold a valid certificate on 2021-06-01 (1 lapsed)
    """
    day = as_date(on, "on")
    if isinstance(certificates, RecordSource):
        if courses is None:
            courses = certificates.index("courses", missing_ok=True)
        certificates = certificates.records("certificates", missing_ok=True)
    counts = _filter(courses, kinds, organization_ids)
    certified: set[str] = set()
    valid: set[str] = set()
    for c in _certificates_of(certificates, counts):
        if c.issued_on > day:
            continue
        certified.add(c.person_id)
        if day <= c.valid_until:
            valid.add(c.person_id)
    return FirstAiders(on=day, certified=len(certified), valid=len(valid))


def coverage(
    certificates: Iterable[Certificate] | RecordSource,
    *,
    target: Iterable[str],
    on: date,
    courses: Mapping[str, Course] | Iterable[Course] | None = None,
    kinds: Iterable[CourseKind | str] | CourseKind | str | None = None,
) -> Coverage:
    """The share of a target group holding a valid certificate on ``on``.

    The target group is a set of person ids that you choose: the village and community
    cadres of a county (Pujiang's 村(社区)干部持证救护员全覆盖), the teachers of a school,
    the drivers of a bus company. The model holds no roles, so the group is yours to
    name; a person listed twice counts once. A member is covered when they hold a
    certificate valid on the day, of any course kind unless ``kinds`` says otherwise
    (and wherever it was issued: a cadre certified by the neighbouring county is
    certified).

    Args:
        certificates: the certificates, or a dataset.
        target: the ids of the persons in the group.
        on: the day.
        courses: the courses, needed to count by ``kinds``.
        kinds: count only certificates of courses of these kinds.

    >>> cadres = ["p1", "p2", "p3", "p4"]
    >>> cs = [Certificate(id=f"c{i}", number=f"N{i}", person_id=f"p{i}", course_id="k",
    ...                   issued_on=date(2021, 3, 1)) for i in (1, 2, 3)]
    >>> c = coverage(cs, target=cadres, on=date(2022, 1, 1))
    >>> print(c), sorted(c.missing)
    3 of 4 covered on 2022-01-01 (75.0%)
    (None, ['p4'])
    """
    day = as_date(on, "on")
    if isinstance(target, str):
        raise TypeError("'target' must be a collection of person ids, not one str")
    group = frozenset(target)
    if isinstance(certificates, RecordSource):
        if courses is None:
            courses = certificates.index("courses", missing_ok=True)
        certificates = certificates.records("certificates", missing_ok=True)
    counts = _filter(courses, kinds, None)
    holding = {
        c.person_id
        for c in _certificates_of(certificates, counts)
        if c.person_id in group and c.issued_on <= day <= c.valid_until
    }
    return Coverage(on=day, target=len(group), covered=len(holding), missing=group - holding)


def rescues(
    records: Iterable[OnSiteRescue] | RecordSource,
    *,
    attendances: Iterable[Attendance] = (),
    certificates: Iterable[Certificate] = (),
    period: Period | None = None,
    organization_ids: Collection[str] | str | None = None,
) -> Rescues:
    """Count on-site rescues, the people helped, and those helped by trained rescuers.

    A rescue is *by a trained rescuer* when its rescuer attended a course (of any kind)
    on or before its day, or holds a certificate issued on or before it; *by a certified
    rescuer* when the rescuer holds a certificate valid on its day. A rescue whose
    rescuer is unknown counts in the totals only.

    Args:
        records: the rescues, or a dataset (its rescues, attendances and certificates).
        attendances: the attendances, to know who was trained when.
        certificates: the certificates, to know who was certified when.
        period: count only rescues on days in it.
        organization_ids: count only rescues these organisations recorded.

    >>> rs = [OnSiteRescue(id="r1", on=date(2022, 3, 1), organization_id="o", helped=2,
    ...                    rescuer_id="p1"),
    ...       OnSiteRescue(id="r2", on=date(2022, 3, 2), organization_id="o")]
    >>> visits = [Attendance(id="a1", person_id="p1", course_id="k", on=date(2022, 1, 5))]
    >>> print(rescues(rs, attendances=visits))
    3 people given first aid on site in 2 rescues (2 by trained rescuers, 0 by certified ones)
    """
    if isinstance(records, RecordSource):
        source = records
        records = source.records("on_site_rescues", missing_ok=True)
        attendances = attendances or source.records("attendances", missing_ok=True)
        certificates = certificates or source.records("certificates", missing_ok=True)
    orgs = as_id_set(organization_ids, "organization_ids")
    first_trained: dict[str, date] = {}
    for a in attendances:
        if a.person_id not in first_trained or a.on < first_trained[a.person_id]:
            first_trained[a.person_id] = a.on
    held: dict[str, list[Certificate]] = {}
    for c in certificates:
        held.setdefault(c.person_id, []).append(c)
        if c.person_id not in first_trained or c.issued_on < first_trained[c.person_id]:
            first_trained[c.person_id] = c.issued_on
    n = helped = by_trained = helped_trained = by_certified = helped_certified = 0
    for r in records:
        if period is not None and r.on not in period:
            continue
        if orgs is not None and r.organization_id not in orgs:
            continue
        n += 1
        helped += r.helped
        who = r.rescuer_id
        if who is None:
            continue
        since = first_trained.get(who)
        if since is not None and since <= r.on:
            by_trained += 1
            helped_trained += r.helped
        if any(c.issued_on <= r.on <= c.valid_until for c in held.get(who, ())):
            by_certified += 1
            helped_certified += r.helped
    return Rescues(
        rescues=n,
        helped=helped,
        by_trained=by_trained,
        helped_by_trained=helped_trained,
        by_certified=by_certified,
        helped_by_certified=helped_certified,
    )


# -- an organisation's training year --------------------------------------------------------------


@attrs.frozen(kw_only=True)
class TrainingFigures:
    """An organisation's first-aid training over a period, as reports print it.

    Attributes:
        organization_id: the organisation (with its sub-units, unless left out).
        period: the period.
        first_aiders_trained: persons and person-times on certified first-aider courses
            (培训救护员…人).
        popular_trained: persons and person-times of popular training (普及培训…人次).
        trainers_trained: persons and person-times on trainer courses (师资).
        certificates_issued: certificates issued in the period, renewals included.
        certified: persons certified and holding a valid certificate on the period's
            last day (持证救护员), of certificates of the organisation's courses.
        rescues: on-site rescues the organisation recorded in the period (现场救护).
    """

    organization_id: str
    period: Period
    first_aiders_trained: Trained
    popular_trained: Trained
    trainers_trained: Trained
    certificates_issued: int
    certified: FirstAiders
    rescues: Rescues

    def sentences(self) -> tuple[str, ...]:
        """The figures as a report phrases them, with English alongside.

        >>> from humanaid import Dataset, Organization
        >>> ds = Dataset(organizations=[Organization(id="jx", name="江西省红十字会",
        ...                                          level="province")])
        >>> training_figures(ds, Period.quarter(2022, 1), organization_id="jx").sentences()[0]
        '培训救护员0人 (certified first-aider training: 0 persons, 0 person-times)'
        """
        fa, pop, rs = self.first_aiders_trained, self.popular_trained, self.rescues
        return (
            f"培训救护员{fa.persons}人 (certified first-aider training: {fa.persons:,} "
            f"persons, {fa.person_times:,} person-times)",
            f"普及培训{pop.person_times}人次 (popular training: {pop.person_times:,} "
            f"person-times, {pop.persons:,} persons)",
            f"持证救护员{self.certified.valid}人 (holding a valid certificate on "
            f"{self.certified.on.isoformat()}: {self.certified.valid:,} of "
            f"{self.certified.certified:,} certified)",
            f"为{rs.helped}名伤病群众开展现场救护 (first aid on site: {rs.helped:,} people in "
            f"{rs.rescues:,} rescues)",
        )


def _inside(source: RecordSource, organization_id: str, include_children: bool) -> frozenset[str]:
    named = (c.organization_id for c in source.records("courses", missing_ok=True))
    UnknownId.lookup(
        source, "organizations", organization_id, argument="organization_id", named=named
    )
    boundary = Boundary.organization(source, organization_id, include_children=include_children)
    return frozenset(p.id for p in boundary.parties if p.kind is PartyKind.ORGANIZATION)


def training_figures(
    source: RecordSource,
    period: Period | int,
    *,
    organization_id: str,
    include_children: bool = True,
) -> TrainingFigures:
    """An organisation's training figures over ``period``, from a dataset.

    The organisation counts with its sub-units (by ``parent_id``) unless
    ``include_children`` is false. Training counts by the attendances of the period at
    the courses they organised (:func:`trained`), certificates by the day they were
    issued, the certified by :func:`first_aiders` on the period's last day, and on-site
    rescues by :func:`rescues`.

    Args:
        source: a :class:`~humanaid.Dataset` (or any record source).
        period: a :class:`~humanaid.Period` or a year.
        organization_id: the organisation.
        include_children: count its sub-units too (default).

    Raises:
        UnknownId: if ``organization_id`` is neither an organisation of the dataset nor
            the organiser of one of its courses.
        ValueError: if an attendance or certificate names a course the dataset lacks.
    """
    when = Period.year(whole_number("period", period)) if not isinstance(period, Period) else period
    orgs = _inside(source, organization_id, include_children)
    courses = source.index("courses", missing_ok=True)
    known = {cid for cid, c in courses.items() if c.organization_id in orgs}
    attendances = [
        a for a in source.records("attendances", missing_ok=True) if a.course_id in known
    ]
    certificates = [
        c for c in source.records("certificates", missing_ok=True) if c.course_id in known
    ]

    def of(kind: CourseKind) -> Trained:
        return trained(attendances, courses=courses, kinds=kind, period=when)

    return TrainingFigures(
        organization_id=organization_id,
        period=when,
        first_aiders_trained=of(CourseKind.CERTIFIED_FIRST_AIDER),
        popular_trained=of(CourseKind.POPULAR),
        trainers_trained=of(CourseKind.TRAINER),
        certificates_issued=sum(1 for c in certificates if c.issued_on in when),
        certified=first_aiders(certificates, on=when.end),
        rescues=rescues(
            source.records("on_site_rescues", missing_ok=True),
            attendances=source.records("attendances", missing_ok=True),
            certificates=source.records("certificates", missing_ok=True),
            period=when,
            organization_ids=orgs,
        ),
    )
