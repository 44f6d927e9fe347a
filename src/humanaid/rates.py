"""Exchange rates: records of them, a table to look them up, and exact conversion.

A society reports in one currency (人民币 for a Chinese society) and now and then
receives a gift, a grant or a pledge in another. :class:`ExchangeRate` records say what
one unit of a currency was worth in another on a day, and where that figure came from
(the PBOC central parity, a bank's rate, the budget's fixed rate). A :class:`RateTable`
looks rates up under a stated :class:`RatePolicy`, and :func:`convert` turns money of
one currency into another with **one** explicit rounding.

**Which rate a day gets** (the policy, :class:`RatePolicy`):

* ``RatePolicy.daily(max_age=14)`` (the default): the latest ``daily`` rate dated on or
  before the day, and no older than ``max_age`` days. Markets close on weekends and
  holidays (the Spring Festival closes them for up to nine days), so the rate of a
  Sunday is Friday's; a rate older than ``max_age`` days is not used and the day has
  no rate.
* ``RatePolicy.monthly_average()``: the ``monthly_average`` rate dated in the day's
  calendar month (record it on any day of the month, by custom the first).
* ``RatePolicy.budget()``: the latest ``budget`` rate dated on or before the day, with
  no limit of age: a fixed rate set once (for a year's budget, say) holds until the
  next one is set.

A policy may also name one ``source`` whose rates alone it uses.

**Both directions.** A rate from USD to CNY of 7.1 also converts CNY to USD: an amount
is then *divided* by 7.1, exactly (as a fraction), before the one rounding; the
library never rounds ``1/7.1`` first. When the policy finds rates of the pair in both
directions, the most recent wins; on the same day a rate stated in the direction asked
for wins over the inverse of the other one; then the source's name and the record's id
break the tie, so the answer never depends on the order of the records. There is no
triangulation: a USD to EUR conversion needs a USD/EUR rate (either way).

**Rounding.** :func:`convert` computes the exact product (or quotient) and rounds it
once to the target currency's minor unit with the ``rounding`` given
(:attr:`Rounding.HALF_UP <humanaid.Rounding.HALF_UP>`, 四舍五入, by default). A
summary converts each record on its own day and rounds each converted amount to the
minor unit, then adds them (:class:`CurrencyConverter`): so a row of converted records
adds up to the total shown, and a total of ``n`` converted amounts is within ``n``
half minor units of the exact conversion. Money already in the report's currency is
never touched.

>>> from datetime import date
>>> from humanaid import Money
>>> rates = RateTable([
...     ExchangeRate(id="r1", on=date(2020, 1, 2), from_currency="USD", to_currency="CNY",
...                  rate="6.9762", source="PBOC central parity"),
... ])
>>> convert(Money("100.00", "USD"), to="CNY", on=date(2020, 1, 5), rates=rates)
Money('697.62', 'CNY')
>>> convert(Money("697.62"), to="USD", on=date(2020, 1, 5), rates=rates)
Money('100.00', 'USD')
>>> convert(Money("100.00", "USD"), to="CNY", on=date(2020, 3, 1), rates=rates)
Traceback (most recent call last):
...
humanaid.rates.NoRate: no rate from USD to CNY for 2020-03-01 under the day's rate (the \
latest daily rate on or before the day, at most 14 days old)
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

import attrs

from humanaid._currencies import MINOR_UNITS
from humanaid._decimal import plain_digits, to_decimal
from humanaid.errors import LIMITS, FieldValueError
from humanaid.findings import Finding, Findings, Severity
from humanaid.money import DEFAULT_CURRENCY, Money, Rounding, _rounding_mode
from humanaid.records import date_field, enum_field, id_field, text_field

__all__ = [
    "DEFAULT_MAX_AGE",
    "AppliedRate",
    "CurrencyConverter",
    "ExchangeRate",
    "NoRate",
    "RateKind",
    "RatePolicy",
    "RateTable",
    "convert",
    "missing_rate",
]

DEFAULT_MAX_AGE: Final = 14
"""Days a daily rate stays usable after its day: long enough to bridge the Spring
Festival's closed markets, short enough that a stale rate is never used for months."""

_MAX_RATE: Final = Decimal(10) ** 12
_MAX_RATE_DIGITS: Final = 20


class RateKind(enum.Enum):
    """What a rate is: the rate of one day, a month's average, or a fixed budget rate."""

    DAILY = "daily"
    MONTHLY_AVERAGE = "monthly_average"
    BUDGET = "budget"


def _code(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or value not in MINOR_UNITS:
        hint = ""
        if isinstance(value, str) and value.upper() in MINOR_UNITS:
            hint = " (codes are upper case)"
        raise ValueError(f"'{attribute.name}' must be a known ISO 4217 code{hint} (got {value!r})")


def _rate_text(value: object) -> object:
    """A rate given as an int or plain decimal text ("6.9762") becomes a Decimal."""
    return to_decimal(value, text=True)


def _rate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Decimal):
        hint = " (never a float)" if isinstance(value, float) else ""
        raise TypeError(
            f"'{attribute.name}' must be a Decimal, an int or plain decimal text such as "
            f"'6.9762'{hint} (got {value!r})"
        )
    if not value.is_finite() or value <= 0:
        raise ValueError(f"'{attribute.name}' must be more than 0 (got {value})")
    if value >= _MAX_RATE or len(value.normalize().as_tuple().digits) > _MAX_RATE_DIGITS:
        raise ValueError(
            f"'{attribute.name}' must be less than 10**12 with at most {_MAX_RATE_DIGITS} "
            f"significant digits (got {value})"
        )
    if plain_digits(value) > LIMITS["digits"]:  # what the JSON reader would refuse
        raise FieldValueError(
            attribute.name,
            f"must be written in at most {LIMITS['digits']} digits "
            f"(got {value}: {plain_digits(value)} digits written plain)",
        )


@attrs.frozen(kw_only=True)
class ExchangeRate:
    """What one unit of ``from_currency`` was worth in ``to_currency`` on a day.

    Attributes:
        id: the record's id.
        on: the day the rate is for (a monthly average: any day of its month; a budget
            rate: the first day it holds).
        from_currency: the currency converted from (ISO 4217).
        to_currency: the currency converted into; never ``from_currency``.
        rate: units of ``to_currency`` for one unit of ``from_currency``, an exact
            :class:`~decimal.Decimal` more than 0 (``"6.9762"``: one US dollar was
            6.9762 yuan). Text such as ``"6.9762"`` and ints are accepted; floats never.
        source: where the figure came from ("PBOC central parity", "budget 2020").
        kind: a day's rate (default), a month's average or a fixed budget rate.

    >>> from datetime import date
    >>> ExchangeRate(id="r1", on=date(2020, 1, 2), from_currency="USD", to_currency="CNY",
    ...              rate="6.9762", source="PBOC central parity").rate
    Decimal('6.9762')
    >>> ExchangeRate(id="r2", on=date(2020, 1, 2), from_currency="CNY", to_currency="CNY",
    ...              rate=1, source="x")
    Traceback (most recent call last):
    ...
    ValueError: 'to_currency' must differ from 'from_currency' (got CNY for both)
    """

    id: str = id_field()
    on: date = date_field()
    from_currency: str = attrs.field(validator=_code)
    to_currency: str = attrs.field(validator=_code)
    rate: Decimal = attrs.field(converter=_rate_text, validator=_rate)
    source: str = text_field(max_length=200)
    kind: RateKind = enum_field(RateKind, default=RateKind.DAILY)

    def __attrs_post_init__(self) -> None:
        if self.from_currency == self.to_currency:
            raise ValueError(
                f"'to_currency' must differ from 'from_currency' (got {self.to_currency} for both)"
            )

    @property
    def pair(self) -> tuple[str, str]:
        """``(from_currency, to_currency)``."""
        return (self.from_currency, self.to_currency)


def _max_age(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"'{attribute.name}' must be a whole number of days >= 0 (got {value!r})")


def _kind(value: object) -> RateKind:
    if isinstance(value, RateKind):
        return value
    try:
        return RateKind(value)
    except ValueError:
        names = ", ".join(k.value for k in RateKind)
        raise ValueError(f"'kind' must be one of {names} (got {value!r})") from None


def _optional_source(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"'{attribute.name}' must be None or a source's name (got {value!r})")


@attrs.frozen(kw_only=True)
class RatePolicy:
    """Which rate converts the money of a day: see the module's text.

    Attributes:
        kind: the kind of rate used: ``daily`` (the day's rate), ``monthly_average``
            (the month's average) or ``budget`` (a fixed rate).
        max_age: for the day's rate, how many days old a rate may be (default
            :data:`DEFAULT_MAX_AGE`); the other kinds ignore it.
        source: use only rates from this source; ``None`` for any.

    >>> print(RatePolicy.daily(max_age=3))
    the day's rate (the latest daily rate on or before the day, at most 3 days old)
    >>> print(RatePolicy.budget(source="budget 2020"))
    the budget rate (the latest budget rate set on or before the day), from budget 2020
    """

    kind: RateKind = attrs.field(default=RateKind.DAILY, converter=_kind)
    max_age: int = attrs.field(default=DEFAULT_MAX_AGE, validator=_max_age)
    source: str | None = attrs.field(default=None, validator=_optional_source)

    @classmethod
    def daily(cls, *, max_age: int = DEFAULT_MAX_AGE, source: str | None = None) -> RatePolicy:
        """The day's rate: the latest daily rate on or before the day, ``max_age`` days old."""
        return cls(kind=RateKind.DAILY, max_age=max_age, source=source)

    @classmethod
    def monthly_average(cls, *, source: str | None = None) -> RatePolicy:
        """The month's average rate: the ``monthly_average`` rate dated in the day's month."""
        return cls(kind=RateKind.MONTHLY_AVERAGE, source=source)

    @classmethod
    def budget(cls, *, source: str | None = None) -> RatePolicy:
        """A fixed budget rate: the latest ``budget`` rate set on or before the day."""
        return cls(kind=RateKind.BUDGET, source=source)

    @classmethod
    def of(cls, value: RatePolicy | RateKind | str) -> RatePolicy:
        """A policy from itself, a :class:`RateKind` or its value (``"budget"``).

        >>> RatePolicy.of("monthly_average").kind
        <RateKind.MONTHLY_AVERAGE: 'monthly_average'>
        """
        if isinstance(value, RatePolicy):
            return value
        if isinstance(value, RateKind | str):
            return cls(kind=_kind(value))
        raise TypeError(
            f"'policy' must be a RatePolicy, a RateKind or one of daily, monthly_average, "
            f"budget (got {type(value).__name__})"
        )

    def __str__(self) -> str:
        if self.kind is RateKind.DAILY:
            plural = "" if self.max_age == 1 else "s"
            text = (
                "the day's rate (the latest daily rate on or before the day, at most "
                f"{self.max_age} day{plural} old)"
            )
        elif self.kind is RateKind.MONTHLY_AVERAGE:
            text = "the month's average rate (the monthly average dated in the day's month)"
        else:
            text = "the budget rate (the latest budget rate set on or before the day)"
        return text if self.source is None else f"{text}, from {self.source}"


@attrs.frozen(kw_only=True)
class AppliedRate:
    """The rate a table found for a pair and a day, and how it applies.

    Attributes:
        from_currency: the currency converted from.
        to_currency: the currency converted into.
        on: the day asked for.
        record: the :class:`ExchangeRate` used.
        inverse: ``True`` when ``record`` is stated the other way round (its rate is
            divided by, not multiplied with).
    """

    from_currency: str
    to_currency: str
    on: date
    record: ExchangeRate
    inverse: bool = False

    @property
    def factor(self) -> Fraction:
        """The exact factor: units of ``to_currency`` per unit of ``from_currency``."""
        rate = Fraction(self.record.rate)
        return 1 / rate if self.inverse else rate

    def apply(self, money: Money, *, rounding: Rounding | str = Rounding.HALF_UP) -> Money:
        """``money`` converted: the exact product, rounded once to the target's minor unit.

        Raises:
            CurrencyMismatch: if ``money`` is not in :attr:`from_currency`.
        """
        if money.currency != self.from_currency:
            from humanaid.errors import CurrencyMismatch

            raise CurrencyMismatch(
                f"this rate converts {self.from_currency}, not {money.currency} ({money})"
            )
        exact = Fraction(money.amount) * self.factor
        return Money.rounded(exact, self.to_currency, rounding=rounding)


class NoRate(LookupError):
    """No rate converts a currency into another on a day under a policy.

    Attributes:
        from_currency: the currency of the money.
        to_currency: the currency asked for.
        on: the day.
        policy: the policy the rate was looked up under.
    """

    def __init__(self, from_currency: str, to_currency: str, on: date, policy: RatePolicy) -> None:
        self.from_currency = from_currency
        self.to_currency = to_currency
        self.on = on
        self.policy = policy
        super().__init__(
            f"no rate from {from_currency} to {to_currency} for {on.isoformat()} under {policy}"
        )

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[object, ...]:
        return (NoRate, (self.from_currency, self.to_currency, self.on, self.policy))


def _month(day: date) -> tuple[int, int]:
    return (day.year, day.month)


class RateTable:
    """Exchange rates indexed by currency pair, looked up under a :class:`RatePolicy`.

    Build it from any iterable of :class:`ExchangeRate` records (a dataset's
    ``exchange_rates``). It is immutable once built.

    >>> from datetime import date
    >>> table = RateTable([
    ...     ExchangeRate(id="d1", on=date(2020, 1, 2), from_currency="USD", to_currency="CNY",
    ...                  rate="6.9762", source="PBOC central parity"),
    ...     ExchangeRate(id="m1", on=date(2020, 1, 1), from_currency="USD", to_currency="CNY",
    ...                  rate="6.9172", source="PBOC", kind="monthly_average"),
    ...     ExchangeRate(id="b1", on=date(2020, 1, 1), from_currency="CNY", to_currency="USD",
    ...                  rate="0.14", source="budget 2020", kind="budget"),
    ... ])
    >>> table.find("USD", "CNY", date(2020, 1, 20), policy="monthly_average").record.id
    'm1'
    >>> table.convert(Money("700.00"), to="USD", on=date(2020, 6, 1), policy="budget")
    Money('98.00', 'USD')
    >>> table.find("USD", "CNY", date(2020, 1, 20)) is None  # 18 days old
    True
    """

    __slots__ = ("_by_pair", "_days", "_rates")

    def __init__(self, rates: Iterable[ExchangeRate] = ()) -> None:
        items = tuple(rates)
        for i, r in enumerate(items):
            if not isinstance(r, ExchangeRate):
                raise TypeError(f"'rates[{i}]' must be an ExchangeRate (got {type(r).__name__})")
        # By unordered pair and kind, sorted by day: both directions are looked at together.
        by_pair: dict[tuple[frozenset[str], RateKind], list[ExchangeRate]] = {}
        for r in items:
            by_pair.setdefault((frozenset(r.pair), r.kind), []).append(r)
        for found in by_pair.values():
            found.sort(key=lambda r: r.on)
        self._rates = items
        self._by_pair: Mapping[tuple[frozenset[str], RateKind], Sequence[ExchangeRate]] = {
            k: tuple(v) for k, v in by_pair.items()
        }
        self._days = {k: [r.on for r in v] for k, v in self._by_pair.items()}

    @classmethod
    def of(cls, rates: RateTable | Iterable[ExchangeRate] | None) -> RateTable:
        """``rates`` as a table: itself, a new table of the records, or an empty one."""
        if isinstance(rates, RateTable):
            return rates
        return cls(() if rates is None else rates)

    @property
    def rates(self) -> tuple[ExchangeRate, ...]:
        """The records, in the order given."""
        return self._rates

    def __len__(self) -> int:
        return len(self._rates)

    def __repr__(self) -> str:
        return f"RateTable({len(self._rates)} rates)"

    def find(
        self,
        from_currency: str,
        to_currency: str,
        on: date,
        *,
        policy: RatePolicy | RateKind | str = RatePolicy(),
    ) -> AppliedRate | None:
        """The rate converting ``from_currency`` into ``to_currency`` on ``on``, or ``None``.

        Rates stated the other way round count too (:attr:`AppliedRate.inverse`).
        ``None`` also when the two currencies are the same: nothing is to be converted.
        """
        chosen = RatePolicy.of(policy)
        if from_currency == to_currency:
            return None
        key = (frozenset((from_currency, to_currency)), chosen.kind)
        found = self._by_pair.get(key)
        if not found:
            return None
        days = self._days[key]
        hi = bisect.bisect_right(days, on)
        if chosen.kind is RateKind.MONTHLY_AVERAGE:
            lo = bisect.bisect_left(days, on.replace(day=1))
            hi = bisect.bisect_right(days, _month_end(on))
        elif chosen.kind is RateKind.DAILY:
            oldest = on.toordinal() - chosen.max_age
            lo = bisect.bisect_left(days, date.fromordinal(oldest)) if oldest >= 1 else 0
        else:
            lo = 0
        candidates = [r for r in found[lo:hi] if chosen.source is None or r.source == chosen.source]
        if not candidates:
            return None
        # the latest first; on one day, the direction asked for; then source and id
        best = min(
            candidates,
            key=lambda r: (-r.on.toordinal(), r.from_currency != from_currency, r.source, r.id),
        )
        return AppliedRate(
            from_currency=from_currency,
            to_currency=to_currency,
            on=on,
            record=best,
            inverse=best.from_currency != from_currency,
        )

    def rate(
        self,
        from_currency: str,
        to_currency: str,
        on: date,
        *,
        policy: RatePolicy | RateKind | str = RatePolicy(),
    ) -> AppliedRate:
        """As :meth:`find`, but a missing rate raises :class:`NoRate`."""
        chosen = RatePolicy.of(policy)
        found = self.find(from_currency, to_currency, on, policy=chosen)
        if found is None:
            raise NoRate(from_currency, to_currency, on, chosen)
        return found

    def convert(
        self,
        money: Money,
        *,
        to: str,
        on: date,
        policy: RatePolicy | RateKind | str = RatePolicy(),
        rounding: Rounding | str = Rounding.HALF_UP,
    ) -> Money:
        """``money`` in ``to`` on ``on``: see :func:`convert`."""
        if not isinstance(money, Money):
            raise TypeError(f"'money' must be Money (got {type(money).__name__})")
        Money.zero(to)  # a clear error for an unknown code
        if money.currency == to:
            return money
        return self.rate(money.currency, to, on, policy=policy).apply(money, rounding=rounding)


def _month_end(day: date) -> date:
    if day.month == 12:
        return day.replace(day=31)
    return date(day.year, day.month + 1, 1) - timedelta(days=1)


def convert(
    money: Money,
    *,
    to: str,
    on: date,
    rates: RateTable | Iterable[ExchangeRate],
    policy: RatePolicy | RateKind | str = RatePolicy(),
    rounding: Rounding | str = Rounding.HALF_UP,
) -> Money:
    """Convert ``money`` into currency ``to`` with the rate for day ``on``.

    The rate is the one ``policy`` picks from ``rates`` (see :class:`RatePolicy`; a rate
    stated the other way round is divided by). The result is the exact product, rounded
    once to ``to``'s minor unit with ``rounding``. Money already in ``to`` comes back
    as it is.

    Args:
        money: the amount.
        to: the currency wanted (ISO 4217).
        on: the day whose rate applies (the gift's, the payment's).
        rates: a :class:`RateTable` or the :class:`ExchangeRate` records.
        policy: which rate a day gets; the day's rate by default.
        rounding: the one rounding of the result (half-up, 四舍五入, by default).

    Raises:
        NoRate: when no rate converts the pair on that day under the policy; the
            message names the currencies, the day and the policy.
        ValueError: if ``to`` is not a known currency code.

    >>> from datetime import date
    >>> r = [ExchangeRate(id="b", on=date(2020, 1, 1), from_currency="USD", to_currency="CNY",
    ...                   rate="7", source="budget 2020", kind="budget")]
    >>> convert(Money("1.00"), to="USD", on=date(2020, 7, 1), rates=r, policy="budget")
    Money('0.14', 'USD')
    >>> convert(Money("1.00"), to="USD", on=date(2020, 7, 1), rates=r, policy="budget",
    ...         rounding="up")
    Money('0.15', 'USD')
    """
    table = RateTable.of(rates)
    return table.convert(money, to=to, on=on, policy=policy, rounding=rounding)


def missing_rate(
    money: Money,
    *,
    to: str,
    on: date,
    policy: RatePolicy | RateKind | str = RatePolicy(),
    subject: str | None = None,
) -> Finding:
    """The finding a figure reports when it leaves ``money`` out for want of a rate.

    ``subject`` is the id of the record the money belongs to.

    * ``currency.no-rate`` (ERROR): a record's money was left out of a summary's
      figures, because no rate converts its currency into the summary's on its day
      under the rate policy.

    >>> from datetime import date
    >>> print(missing_rate(Money("5.00", "USD"), to="CNY", on=date(2020, 3, 1),
    ...                    policy="budget", subject="g1"))
    ERROR currency.no-rate [g1]: 5.00 USD of 'g1' on 2020-03-01 is left out: no rate from \
USD to CNY for 2020-03-01 under the budget rate (the latest budget rate set on or before \
the day)
    """
    chosen = RatePolicy.of(policy)
    error = NoRate(money.currency, to, on, chosen)
    whose = f" of {subject!r}" if subject is not None else ""
    return Finding(
        rule="currency.no-rate",
        severity=Severity.ERROR,
        subject=subject,
        message=f"{money}{whose} on {on.isoformat()} is left out: {error}",
        figures={"amount": money, "on": on, "to": to},
    )


class CurrencyConverter:
    """Converts many amounts into one currency, keeping what it used and what it could not.

    The summaries convert with one: each record's amount on the record's own day, each
    rounded once to the minor unit (so the converted amounts add up to the totals
    shown). An amount with no rate is not converted: :meth:`__call__` gives ``None``
    and the converter keeps a ``currency.no-rate`` finding about the record, which the
    summary returns with its table (or refuses with, under ``strict=True``): see
    :func:`missing_rate`.

    >>> from datetime import date
    >>> conv = CurrencyConverter("CNY", [
    ...     ExchangeRate(id="r1", on=date(2020, 1, 2), from_currency="USD",
    ...                  to_currency="CNY", rate="6.9762", source="PBOC central parity")])
    >>> conv(Money("10.00", "USD"), date(2020, 1, 3), subject="g1")
    Money('69.76', 'CNY')
    >>> conv(Money("10.00", "USD"), date(2021, 1, 3), subject="g2") is None
    True
    >>> print(conv.findings)
    1 finding (1 error):
      ERROR currency.no-rate [g2]: 10.00 USD of 'g2' on 2021-01-03 is left out: no rate \
from USD to CNY for 2021-01-03 under the day's rate (the latest daily rate on or before \
the day, at most 14 days old)
    >>> print(conv.note)
    amounts in USD converted to CNY at the day's rate (the latest daily rate on or before \
the day, at most 14 days old) (rates: PBOC central parity); each rounded half-up to the \
minor unit, then added
    """

    def __init__(
        self,
        currency: str = DEFAULT_CURRENCY,
        rates: RateTable | Iterable[ExchangeRate] | None = None,
        *,
        policy: RatePolicy | RateKind | str = RatePolicy(),
        rounding: Rounding | str = Rounding.HALF_UP,
    ) -> None:
        Money.zero(currency)  # checks the code
        self.currency = currency
        self.table = RateTable.of(rates)
        self.policy = RatePolicy.of(policy)
        self.rounding = _rounding_mode(rounding)
        self._sources: dict[str, None] = {}
        self._from: dict[str, None] = {}
        self._missing: dict[Finding, None] = {}

    def __call__(self, money: Money, on: date, *, subject: str | None = None) -> Money | None:
        """``money`` in the converter's currency on ``on``, or ``None`` without a rate.

        ``subject`` is the id of the record the money belongs to, named in the finding.
        """
        if money.currency == self.currency:
            return money
        found = self.table.find(money.currency, self.currency, on, policy=self.policy)
        if found is None:
            finding = missing_rate(
                money, to=self.currency, on=on, policy=self.policy, subject=subject
            )
            self._missing[finding] = None
            return None
        self._sources[found.record.source] = None
        self._from[money.currency] = None
        return found.apply(money, rounding=self.rounding)

    @property
    def findings(self) -> Findings:
        """A ``currency.no-rate`` finding for each record left out so far."""
        return Findings(self._missing)

    @property
    def sources(self) -> tuple[str, ...]:
        """The sources of the rates used so far, in the order first used."""
        return tuple(self._sources)

    @property
    def note(self) -> str | None:
        """What a table says under its rows about the conversions, or ``None`` if none."""
        if not self._from:
            return None
        rounding = self.rounding.name.lower().replace("_", "-")
        return (
            f"amounts in {', '.join(sorted(self._from))} converted to {self.currency} at "
            f"{self.policy} (rates: {', '.join(self._sources)}); each rounded {rounding} to "
            "the minor unit, then added"
        )
