"""Reporting periods and payment schedules.

A :class:`Period` is an inclusive range of calendar dates: a year, a quarter, a month,
a single day or any run of days in between. Periods are the unit of every report
(donations received in ``2020-Q1``, beneficiaries reached in ``2021``), so they parse
from and render to short canonical strings::

    2020            the calendar year 2020
    2020-Q1         its first quarter (``2020Q1`` is accepted too)
    2020-02         February 2020
    2020-02-03      a single day
    2020-01-01/2020-06-30   any other range, both ends included

:func:`due_dates` computes the dates of a repayment or reporting schedule anchored to
one date, without the drift that comes from adding a month again and again
(31 January, 29 February, 29 March, ...).

This module is part of the kernel: of the rest of :mod:`humanaid` it imports only the
shared argument checks of :mod:`humanaid.records`.
"""

from __future__ import annotations

import calendar
import datetime
import enum
import re
from typing import TypeVar

import attrs
from dateutil.relativedelta import relativedelta

from humanaid.errors import FieldTypeError, FieldValueError, shown
from humanaid.records import as_member

__all__ = ["Frequency", "Granularity", "Period", "due_dates"]

_E = TypeVar("_E", bound=enum.Enum)

_ONE_DAY = datetime.timedelta(days=1)

_YEAR_RE = re.compile(r"([0-9]{4})")
_QUARTER_RE = re.compile(r"([0-9]{4})-?Q([0-9])")
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})")
_DAY_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_RANGE_RE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})/([0-9]{4})-([0-9]{2})-([0-9]{2})")


class Granularity(enum.StrEnum):
    """The calendar units a period can be cut into.

    Functions taking a granularity accept the member or its string value.

    >>> Granularity("quarter")
    <Granularity.QUARTER: 'quarter'>
    >>> Granularity.MONTH == "month"
    True
    """

    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class Frequency(enum.StrEnum):
    """How often a scheduled event (a repayment, a report) falls due.

    Functions taking a frequency accept the member or its string value.

    >>> Frequency("quarterly").months
    3
    >>> [f.months for f in Frequency]
    [1, 3, 6, 12]
    """

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    SEMIANNUAL = "semiannual"
    ANNUAL = "annual"

    @property
    def months(self) -> int:
        """The number of calendar months between two consecutive due dates.

        >>> Frequency.SEMIANNUAL.months
        6
        """
        match self:
            case Frequency.MONTHLY:
                return 1
            case Frequency.QUARTERLY:
                return 3
            case Frequency.SEMIANNUAL:
                return 6
            case Frequency.ANNUAL:
                return 12


def _check_date(name: str, value: object) -> datetime.date:
    """Return ``value`` if it is a plain date, else raise a TypeError naming ``name``."""
    if isinstance(value, datetime.datetime):
        said = "must be a datetime.date, not datetime"
        raise FieldTypeError(name, said, value, code="wrong-type")
    if not isinstance(value, datetime.date):
        raise FieldTypeError(
            name,
            "must be a datetime.date",
            value,
            code="wrong-type",
            got=f"{type(value).__name__} {shown(value)}",
        )
    return value


def _check_int(name: str, value: object, low: int, high: int | None = None) -> int:
    """Return ``value`` if it is an int (not a bool) in ``low..high``, else raise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldTypeError(
            name,
            "must be an int",
            value,
            code="wrong-type",
            got=f"{type(value).__name__} {shown(value)}",
        )
    if value < low or (high is not None and value > high):
        rule = f"at least {low}" if high is None else f"between {low} and {high}"
        raise FieldValueError(name, f"must be {rule}", value)
    return value


def _check_year(value: object) -> int:
    return _check_int("year", value, datetime.MINYEAR, datetime.MAXYEAR)


def _member_or_text(enum_cls: type[_E], value: object, name: str) -> _E:
    """Coerce a member of ``enum_cls`` or its string value, naming ``name`` on error."""
    if isinstance(value, enum_cls):
        return value
    if not isinstance(value, str):
        raise FieldTypeError(
            name,
            f"must be a {enum_cls.__name__} or str",
            value,
            code="wrong-type",
            got=f"{type(value).__name__} {shown(value)}",
        )
    return as_member(enum_cls, value, name)


def _last_day_of_month(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def _quarter_of(d: datetime.date) -> int:
    return (d.month - 1) // 3 + 1


@attrs.frozen(order=True)
class Period:
    """An inclusive range of calendar dates.

    Periods compare by ``(start, end)``, are hashable and immutable. Build them with
    the named constructors (:meth:`year`, :meth:`quarter`, :meth:`month`, :meth:`day`,
    :meth:`containing`, :meth:`parse`) or directly from two dates.

    Attributes:
        start: the first day of the period.
        end: the last day of the period, included; never before ``start``.

    Raises:
        TypeError: if ``start`` or ``end`` is not a :class:`datetime.date`, or is a
            :class:`datetime.datetime`.
        ValueError: if ``end`` is before ``start``.

    >>> from datetime import date
    >>> p = Period(date(2020, 1, 1), date(2020, 6, 30))
    >>> str(p), p.days
    ('2020-01-01/2020-06-30', 182)
    >>> Period(date(2020, 2, 1), date(2020, 1, 31))
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'end' must not be before 'start' (got start=2020-02-01, \
end=2020-01-31)
    """

    start: datetime.date
    end: datetime.date

    def __attrs_post_init__(self) -> None:
        _check_date("start", self.start)
        _check_date("end", self.end)
        if self.end < self.start:
            raise FieldValueError(
                "end",
                "must not be before 'start'",
                self.end,
                got=f"start={self.start.isoformat()}, end={self.end.isoformat()}",
            )

    # -- named constructors ------------------------------------------------------------

    @classmethod
    def year(cls, year: int) -> Period:
        """The calendar year ``year``.

        Args:
            year: the year, between 1 and 9999.

        Raises:
            ValueError: if ``year`` is out of range.

        >>> Period.year(2020)
        Period(start=datetime.date(2020, 1, 1), end=datetime.date(2020, 12, 31))
        """
        y = _check_year(year)
        return cls(datetime.date(y, 1, 1), datetime.date(y, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter ``quarter`` (1 to 4) of the calendar year ``year``.

        Args:
            year: the year, between 1 and 9999.
            quarter: the quarter, 1 (January to March) to 4 (October to December).

        Raises:
            ValueError: if ``year`` or ``quarter`` is out of range.

        >>> str(Period.quarter(2020, 2)), Period.quarter(2020, 2).end
        ('2020-Q2', datetime.date(2020, 6, 30))
        >>> Period.quarter(2020, 5)
        Traceback (most recent call last):
        ...
        humanaid.errors.FieldValueError: 'quarter' must be between 1 and 4 (got 5)
        """
        y = _check_year(year)
        q = _check_int("quarter", quarter, 1, 4)
        first_month = 3 * q - 2
        return cls(datetime.date(y, first_month, 1), _last_day_of_month(y, first_month + 2))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """Month ``month`` (1 to 12) of the calendar year ``year``.

        Args:
            year: the year, between 1 and 9999.
            month: the month, 1 (January) to 12 (December).

        Raises:
            ValueError: if ``year`` or ``month`` is out of range.

        >>> Period.month(2020, 2).days
        29
        >>> Period.month(2020, 13)
        Traceback (most recent call last):
        ...
        humanaid.errors.FieldValueError: 'month' must be between 1 and 12 (got 13)
        """
        y = _check_year(year)
        m = _check_int("month", month, 1, 12)
        return cls(datetime.date(y, m, 1), _last_day_of_month(y, m))

    @classmethod
    def day(cls, d: datetime.date) -> Period:
        """The single day ``d``.

        Raises:
            TypeError: if ``d`` is not a date, or is a datetime.

        >>> from datetime import date
        >>> str(Period.day(date(2020, 2, 3)))
        '2020-02-03'
        """
        _check_date("d", d)
        return cls(d, d)

    @classmethod
    def containing(cls, d: datetime.date, granularity: Granularity | str) -> Period:
        """The calendar year, quarter or month that contains the day ``d``.

        Args:
            d: any day.
            granularity: which kind of calendar period to return.

        Raises:
            TypeError: if ``d`` is not a date, or is a datetime.
            ValueError: if ``granularity`` is not a known granularity.

        >>> from datetime import date
        >>> str(Period.containing(date(2020, 5, 17), "quarter"))
        '2020-Q2'
        >>> str(Period.containing(date(2020, 5, 17), Granularity.MONTH))
        '2020-05'
        """
        _check_date("d", d)
        match _member_or_text(Granularity, granularity, "granularity"):
            case Granularity.YEAR:
                return cls.year(d.year)
            case Granularity.QUARTER:
                return cls.quarter(d.year, _quarter_of(d))
            case Granularity.MONTH:
                return cls.month(d.year, d.month)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a period from its short form.

        Accepted forms are ``"2020"`` (a year), ``"2020-Q1"`` or ``"2020Q1"`` (a quarter),
        ``"2020-02"`` (a month), ``"2020-02-03"`` (a single day) and
        ``"2020-01-01/2020-06-30"`` (any range, both ends included). Years have four
        digits. ``Period.parse(str(p)) == p`` for every period ``p``.

        Args:
            text: the text to read.

        Raises:
            TypeError: if ``text`` is not a string.
            ValueError: if ``text`` is not one of the accepted forms, or names a date
                that does not exist.

        >>> Period.parse("2020-Q1") == Period.quarter(2020, 1) == Period.parse("2020Q1")
        True
        >>> Period.parse("2020-01-01/2020-06-30").days
        182
        >>> Period.parse("2020-13")
        Traceback (most recent call last):
        ...
        humanaid.errors.FieldValueError: 'text' is not a period (...) (got '2020-13')
        """
        if not isinstance(text, str):
            raise FieldTypeError(
                "text",
                "must be a str",
                text,
                code="wrong-type",
                got=f"{type(text).__name__} {shown(text)}",
            )
        try:
            return cls._parse(text)
        except ValueError as exc:
            raise FieldValueError("text", f"is not a period ({exc})", text) from None

    @classmethod
    def _parse(cls, text: str) -> Period:
        if m := _YEAR_RE.fullmatch(text):
            return cls.year(int(m[1]))
        if m := _QUARTER_RE.fullmatch(text):
            return cls.quarter(int(m[1]), int(m[2]))
        if m := _MONTH_RE.fullmatch(text):
            return cls.month(int(m[1]), int(m[2]))
        if m := _DAY_RE.fullmatch(text):
            return cls.day(_make_date("day", m[1], m[2], m[3]))
        if m := _RANGE_RE.fullmatch(text):
            return cls(_make_date("start", m[1], m[2], m[3]), _make_date("end", m[4], m[5], m[6]))
        raise ValueError("expected YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD")

    # -- rendering ---------------------------------------------------------------------

    def __str__(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        match self._kind():
            case Granularity.YEAR:
                return f"{self.start.year:04d}"
            case Granularity.QUARTER:
                return f"{self.start.year:04d}-Q{_quarter_of(self.start)}"
            case Granularity.MONTH:
                return f"{self.start.year:04d}-{self.start.month:02d}"
            case None:
                return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def _kind(self) -> Granularity | None:
        """The calendar unit this period is exactly, or None."""
        for g in (Granularity.MONTH, Granularity.QUARTER, Granularity.YEAR):
            if Period.containing(self.start, g) == self:
                return g
        return None

    # -- queries -----------------------------------------------------------------------

    def __contains__(self, item: object) -> bool:
        if type(item) is datetime.date:  # a record's day (the summaries ask a million times)
            return self.start <= item <= self.end
        d = _check_date("item", item)
        return self.start <= d <= self.end

    @property
    def days(self) -> int:
        """The number of days in the period, both ends included.

        >>> Period.year(2020).days, Period.year(2021).days
        (366, 365)
        """
        return (self.end - self.start).days + 1

    def overlaps(self, other: Period) -> bool:
        """Whether the two periods share at least one day.

        >>> Period.month(2020, 3).overlaps(Period.quarter(2020, 1))
        True
        >>> Period.month(2020, 4).overlaps(Period.quarter(2020, 1))
        False
        """
        _check_period(other)
        return self.start <= other.end and other.start <= self.end

    def intersection(self, other: Period) -> Period | None:
        """The days the two periods share, or None if they share none.

        >>> str(Period.parse("2020-01-15/2020-05-15").intersection(Period.quarter(2020, 2)))
        '2020-04-01/2020-05-15'
        >>> Period.year(2020).intersection(Period.year(2021)) is None
        True
        """
        if not self.overlaps(other):
            return None
        return Period(max(self.start, other.start), min(self.end, other.end))

    def contains_period(self, other: Period) -> bool:
        """Whether every day of ``other`` is in this period.

        >>> Period.year(2020).contains_period(Period.month(2020, 2))
        True
        >>> Period.month(2020, 2).contains_period(Period.year(2020))
        False
        """
        _check_period(other)
        return self.start <= other.start and other.end <= self.end

    # -- cutting -----------------------------------------------------------------------

    def split(self, granularity: Granularity | str) -> tuple[Period, ...]:
        """Cut the period along calendar boundaries.

        Returns the calendar years, quarters or months the period touches, in order,
        each clipped to the period; their days add up to the period's days.

        Args:
            granularity: the calendar unit to cut along.

        Raises:
            ValueError: if ``granularity`` is not a known granularity.

        >>> [str(p) for p in Period.parse("2020-01-15/2020-03-10").split("month")]
        ['2020-01-15/2020-01-31', '2020-02', '2020-03-01/2020-03-10']
        """
        g = _member_or_text(Granularity, granularity, "granularity")
        parts: list[Period] = []
        unit = Period.containing(self.start, g)
        while True:
            clipped = self.intersection(unit)
            if clipped is not None:
                parts.append(clipped)
            if unit.end >= self.end:
                return tuple(parts)
            unit = Period.containing(unit.end + _ONE_DAY, g)

    def months(self) -> tuple[Period, ...]:
        """The calendar months the period touches, clipped to it; see :meth:`split`.

        >>> [str(p) for p in Period.quarter(2020, 1).months()]
        ['2020-01', '2020-02', '2020-03']
        """
        return self.split(Granularity.MONTH)

    def quarters(self) -> tuple[Period, ...]:
        """The calendar quarters the period touches, clipped to it; see :meth:`split`.

        >>> [str(p) for p in Period.year(2020).quarters()]
        ['2020-Q1', '2020-Q2', '2020-Q3', '2020-Q4']
        """
        return self.split(Granularity.QUARTER)

    def years(self) -> tuple[Period, ...]:
        """The calendar years the period touches, clipped to it; see :meth:`split`.

        >>> [str(p) for p in Period.parse("2019-07-01/2020-06-30").years()]
        ['2019-07-01/2019-12-31', '2020-01-01/2020-06-30']
        """
        return self.split(Granularity.YEAR)

    def previous(self) -> Period:
        """The period of the same kind and length just before this one.

        The year before a calendar year, the quarter before a calendar quarter, the
        month before a calendar month; for any other period, the same number of days
        ending the day before ``start``.

        Raises:
            ValueError: if the previous period would start before 1 January of year 1.

        >>> str(Period.parse("2020-03").previous())
        '2020-02'
        >>> str(Period.parse("2020-Q1").previous())
        '2019-Q4'
        >>> str(Period.parse("2020-03-01/2020-03-10").previous())
        '2020-02-20/2020-02-29'
        """
        try:
            g = self._kind()
            if g is not None:
                return Period.containing(self.start - _ONE_DAY, g)
            return Period(self.start - datetime.timedelta(days=self.days), self.start - _ONE_DAY)
        except OverflowError:
            raise ValueError(
                f"there is no period before {self} (dates start at {datetime.date.min})"
            ) from None


def _check_period(value: object) -> None:
    """Raise a TypeError naming 'other' unless ``value`` is a :class:`Period`."""
    if not isinstance(value, Period):
        raise FieldTypeError(
            "other",
            "must be a Period",
            value,
            code="wrong-type",
            got=f"{type(value).__name__} {shown(value)}",
        )


def _make_date(name: str, year: str, month: str, day: str) -> datetime.date:
    """Build a date from digit strings, naming the field ``name`` if it does not exist."""
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise FieldValueError(
            name, f"is not a date: {exc}", f"{year}-{month}-{day}", code="invalid-date"
        ) from None


def due_dates(
    anchor: datetime.date,
    *,
    count: int,
    frequency: Frequency | str = Frequency.MONTHLY,
    first_after: int = 1,
) -> tuple[datetime.date, ...]:
    """The dates of a schedule anchored to one day, without month-end drift.

    The i-th date (i = 1..count) is ``anchor`` plus ``(first_after + i - 1)`` steps of
    ``frequency``, each computed from the anchor, never from the date before: a schedule
    anchored on the 31st falls on the 31st of every month that has one and on the last
    day of the others.

    Args:
        anchor: the day the schedule is anchored to (a disbursement, a start date).
        count: how many dates to return, zero or more.
        frequency: the step between two dates.
        first_after: how many steps after the anchor the first date falls; 0 makes the
            anchor itself the first date, larger values leave a grace period.

    Returns:
        The ``count`` due dates, in increasing order.

    Raises:
        TypeError: if ``anchor`` is not a date (or is a datetime), or ``count`` or
            ``first_after`` is not an int.
        ValueError: if ``count`` or ``first_after`` is negative, ``frequency`` is
            unknown, or the schedule runs past the year 9999.

    >>> from datetime import date
    >>> due_dates(date(2024, 1, 31), count=3)
    (datetime.date(2024, 2, 29), datetime.date(2024, 3, 31), datetime.date(2024, 4, 30))
    >>> due_dates(date(2024, 1, 31), count=2, frequency="quarterly", first_after=0)
    (datetime.date(2024, 1, 31), datetime.date(2024, 4, 30))
    """
    _check_date("anchor", anchor)
    n = _check_int("count", count, 0)
    first = _check_int("first_after", first_after, 0)
    step = _member_or_text(Frequency, frequency, "frequency").months
    try:
        return tuple(anchor + relativedelta(months=(first + i) * step) for i in range(n))
    except (ValueError, OverflowError):
        raise ValueError(
            f"the schedule runs past the year {datetime.MAXYEAR} "
            f"(got anchor={anchor.isoformat()}, count={n}, first_after={first})"
        ) from None
