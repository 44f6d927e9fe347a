"""Donor roll-ups, as nonprofit CRMs offer them, over any iterable of donations.

Every function here makes one pass over its input and keeps only what it must (one small
record per donor, or per group), so it works on a list in a notebook and on a generator
over a million-row file alike. Amounts are exact and kept per currency: a figure is a
read-only mapping from currency code to :class:`~humanaid.Money`, so CNY and USD gifts
are never added together (``rollup.lifetime["CNY"]``).

Gifts are counted at their gross ``value`` (fees are the platform's, not the donor's), in
cash and in kind alike; filter the donations first to count only one form. Gifts with no
donor (``donor_id`` of ``None``) cannot be followed from year to year: the per-donor
figures skip them, the gift counts report them as ``anonymous_gifts``.

>>> from datetime import date
>>> from humanaid import Donation, Money
>>> def gift(i, donor, day, amount):
...     return Donation(id=f"g{i}", organization_id="qj", donor_id=donor, received_on=day,
...                     value=Money(amount), receipt_number=f"R{i}")
>>> gifts = [
...     gift(1, "a", date(2019, 3, 1), "500"), gift(2, "a", date(2020, 5, 1), "800"),
...     gift(3, "b", date(2019, 6, 1), "200"), gift(4, "c", date(2017, 1, 9), "50"),
...     gift(5, "d", date(2020, 2, 2), "1000"),
... ]
>>> r = donor_rollups(gifts, year=2020)["a"]
>>> r.gifts, r.first_gift_on, r.lifetime["CNY"]
(2, datetime.date(2019, 3, 1), Money('1300.00', 'CNY'))
>>> r.this_year["CNY"], r.last_year["CNY"]
(Money('800.00', 'CNY'), Money('500.00', 'CNY'))
>>> lybunt(gifts, year=2020), sybunt(gifts, year=2020)
(('b',), ('c',))
>>> retention_rate(gifts, first_year=2019, second_year=2020)
Decimal('0.5')
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from humanaid._decimal import EXACT as _EXACT
from humanaid._decimal import RATIO as _RATIO
from humanaid.donors import Channel, Donation, Donor, DonorKind
from humanaid.errors import FieldValueError
from humanaid.money import Money
from humanaid.periods import Granularity, Period
from humanaid.records import date_field, id_field, whole

__all__ = [
    "DonorRollup",
    "GiftCount",
    "Retention",
    "donor_rollups",
    "gift_counts",
    "gift_counts_by_channel",
    "gift_counts_by_donor_kind",
    "gift_counts_by_period",
    "lybunt",
    "retention",
    "retention_rate",
    "sybunt",
]

K = TypeVar("K", bound=Hashable)

# Sums are kept as Decimal amounts per currency and added in this local, exact context
# (never the ambient one); they become Money once, at the end.


# -- result records ---------------------------------------------------------------------------


def _amounts(value: object) -> Mapping[str, Money]:
    """Check and freeze a currency -> Money mapping, sorted by currency code."""
    if not isinstance(value, Mapping):
        raise TypeError(f"amounts must be a mapping of currency code to Money (got {value!r})")
    out: dict[str, Money] = {}
    for code in sorted(value):
        money = value[code]
        if not isinstance(money, Money) or money.currency != code:
            raise ValueError(f"amounts must map each currency code to Money of it (got {code!r})")
        out[code] = money
    return MappingProxyType(out)


def _amounts_field() -> Any:
    return attrs.field(factory=dict, converter=_amounts, hash=False)


def _year(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"'{name}' must be an int year (got {value!r})")
    if not 1 < value < 9999:
        raise ValueError(f"'{name}' must be a year between 2 and 9998 (got {value})")
    return value


@attrs.frozen(kw_only=True)
class DonorRollup:
    """One donor's giving, as of a reporting year.

    Attributes:
        donor_id: the donor.
        year: the reporting year ("this year"); ``last_year`` is the one before.
        gifts: the number of gifts, at least 1.
        first_gift_on: the day of the first gift.
        last_gift_on: the day of the latest gift.
        lifetime: the total of all gifts, per currency.
        largest_gift: the largest single gift, per currency.
        this_year: the total given in ``year``, per currency (empty if nothing).
        last_year: the total given in ``year - 1``, per currency (empty if nothing).

    "Lifetime" means every gift in the input, including any dated after ``year``.
    """

    donor_id: str = id_field()
    year: int = attrs.field(validator=whole())
    gifts: int = attrs.field(validator=whole())
    first_gift_on: date = date_field()
    last_gift_on: date = date_field()
    lifetime: Mapping[str, Money] = _amounts_field()
    largest_gift: Mapping[str, Money] = _amounts_field()
    this_year: Mapping[str, Money] = _amounts_field()
    last_year: Mapping[str, Money] = _amounts_field()

    def __attrs_post_init__(self) -> None:
        if self.gifts < 1:
            raise FieldValueError("gifts", f"must be at least 1 (got {self.gifts})")
        if self.last_gift_on < self.first_gift_on:
            raise FieldValueError(
                "last_gift_on",
                f"must not be before 'first_gift_on' (got {self.last_gift_on}"
                f" < {self.first_gift_on})",
            )


@attrs.frozen(kw_only=True)
class GiftCount:
    """Gifts (笔) and distinct donors in one group, with the amounts given.

    Attributes:
        gifts: the number of gifts, anonymous ones included.
        donors: the number of distinct known donors.
        anonymous_gifts: the gifts with no donor (they are in ``gifts``, not ``donors``).
        totals: the gross value of the gifts, per currency.
    """

    gifts: int = attrs.field(validator=whole())
    donors: int = attrs.field(validator=whole())
    anonymous_gifts: int = attrs.field(validator=whole())
    totals: Mapping[str, Money] = _amounts_field()

    def __attrs_post_init__(self) -> None:
        if self.anonymous_gifts > self.gifts or self.donors > self.gifts - self.anonymous_gifts:
            raise FieldValueError(
                "gifts",
                f"({self.gifts}) must cover the anonymous gifts "
                f"({self.anonymous_gifts}) and at least one gift per donor ({self.donors})",
            )


@attrs.frozen(kw_only=True)
class Retention:
    """How many of one year's donors gave again in another.

    Attributes:
        first_year: the base year.
        second_year: the year compared with it.
        donors: the number of distinct known donors in ``first_year``.
        retained: how many of them also gave in ``second_year``.
    """

    first_year: int = attrs.field(validator=whole())
    second_year: int = attrs.field(validator=whole())
    donors: int = attrs.field(validator=whole())
    retained: int = attrs.field(validator=whole())

    def __attrs_post_init__(self) -> None:
        if self.retained > self.donors:
            raise FieldValueError(
                "retained", f"({self.retained}) must not exceed 'donors' ({self.donors})"
            )

    @property
    def lapsed(self) -> int:
        """Donors of the first year who did not give in the second."""
        return self.donors - self.retained

    @property
    def rate(self) -> Decimal | None:
        """``retained`` / ``donors``, or ``None`` when the first year had no donors.

        The quotient of two counts, computed with 34 significant digits, half-even, in a
        local context: exact whenever the fraction has a finite decimal form (1/4 is
        ``Decimal('0.25')``), and correctly rounded otherwise.
        """
        if not self.donors:
            return None
        return _RATIO.divide(Decimal(self.retained), Decimal(self.donors))


# -- per-donor roll-ups -----------------------------------------------------------------------


class _Acc:
    """Running figures for one donor (internal, mutable, one per donor)."""

    __slots__ = ("first", "gifts", "largest", "last", "last_year", "lifetime", "this_year")

    def __init__(self, day: date) -> None:
        self.first = day
        self.last = day
        self.gifts = 0
        self.lifetime: dict[str, Decimal] = {}
        self.largest: dict[str, Decimal] = {}
        self.this_year: dict[str, Decimal] = {}
        self.last_year: dict[str, Decimal] = {}


def _add(sums: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    before = sums.get(currency)
    sums[currency] = amount if before is None else _EXACT.add(before, amount)


def _money(sums: Mapping[str, Decimal]) -> dict[str, Money]:
    # The sums are exact sums of Money amounts, so they already have the currency's places:
    # Money's internal constructor skips re-checking them (it still refuses an overflow).
    return {code: Money._new(amount, code) for code, amount in sums.items()}


def donor_rollups(donations: Iterable[Donation], *, year: int) -> dict[str, DonorRollup]:
    """Roll each known donor's gifts up into one :class:`DonorRollup`, in one pass.

    Args:
        donations: any iterable of donations; anonymous ones are skipped.
        year: the reporting year ("this year").

    Returns:
        One roll-up per donor id, in donor-id order.
    """
    this = _year("year", year)
    accs: dict[str, _Acc] = {}
    for d in donations:
        if d.donor_id is None:
            continue
        day = d.received_on
        acc = accs.get(d.donor_id)
        if acc is None:
            acc = accs[d.donor_id] = _Acc(day)
        acc.gifts += 1
        acc.first = min(acc.first, day)
        acc.last = max(acc.last, day)
        code, amount = d.value.currency, d.value.amount
        _add(acc.lifetime, code, amount)
        if amount > acc.largest.get(code, Decimal(0)):
            acc.largest[code] = amount
        if day.year == this:
            _add(acc.this_year, code, amount)
        elif day.year == this - 1:
            _add(acc.last_year, code, amount)
    return {
        donor_id: DonorRollup(
            donor_id=donor_id,
            year=this,
            gifts=acc.gifts,
            first_gift_on=acc.first,
            last_gift_on=acc.last,
            lifetime=_money(acc.lifetime),
            largest_gift=_money(acc.largest),
            this_year=_money(acc.this_year),
            last_year=_money(acc.last_year),
        )
        for donor_id, acc in sorted(accs.items())
    }


def _donors_by_year(donations: Iterable[Donation]) -> dict[int, set[str]]:
    """The ids of the known donors who gave in each year."""
    years: dict[int, set[str]] = {}
    for d in donations:
        if d.donor_id is not None:
            years.setdefault(d.received_on.year, set()).add(d.donor_id)
    return years


def _years_given(donations: Iterable[Donation], this: int) -> tuple[set[str], set[str], set[str]]:
    """The known donors who gave in ``this`` year, the year before, and any earlier year."""
    years = _donors_by_year(donations)
    earlier = set[str]().union(*(ids for y, ids in years.items() if y < this - 1))
    return years.get(this, set()), years.get(this - 1, set()), earlier


def lybunt(donations: Iterable[Donation], *, year: int) -> tuple[str, ...]:
    """Donors who gave Last Year But Unfortunately Not This year.

    The ids of the known donors with a gift in ``year - 1`` and none in ``year``, sorted.
    Gifts after ``year`` are ignored: the question is asked as of that year.
    """
    now, last, _ = _years_given(donations, _year("year", year))
    return tuple(sorted(last - now))


def sybunt(
    donations: Iterable[Donation], *, year: int, include_last_year: bool = False
) -> tuple[str, ...]:
    """Donors who gave Some Year But Unfortunately Not This year.

    By default these are the known donors with a gift in some year before ``year - 1``
    and none in ``year - 1`` or ``year``: the lapsed donors that are *not* LYBUNT, so the
    two lists never overlap and together make every lapsed donor (the convention of
    Blackbaud's reports). With ``include_last_year=True`` the list is every donor who gave
    in any earlier year but not in ``year``, LYBUNT included (the convention of CiviCRM's
    SYBUNT report). Gifts after ``year`` are ignored. Sorted by id.
    """
    now, last, earlier = _years_given(donations, _year("year", year))
    lapsed = (earlier | last) - now if include_last_year else earlier - last - now
    return tuple(sorted(lapsed))


def retention(donations: Iterable[Donation], *, first_year: int, second_year: int) -> Retention:
    """Count the known donors of ``first_year`` and those of them who gave in ``second_year``.

    >>> from humanaid import Donation, Money
    >>> gifts = [Donation(id=f"g{i}", organization_id="o", donor_id=who,
    ...                   received_on=date(y, 6, 1), value=Money(10), receipt_number=f"R{i}")
    ...          for i, (who, y) in enumerate([("a", 2019), ("b", 2019), ("c", 2019),
    ...                                        ("a", 2020), ("d", 2020)])]
    >>> r = retention(gifts, first_year=2019, second_year=2020)
    >>> r.donors, r.retained, r.lapsed, r.rate
    (3, 1, 2, Decimal('0.3333333333333333333333333333333333'))
    """
    first = _year("first_year", first_year)
    second = _year("second_year", second_year)
    years = _donors_by_year(donations)
    base, again = years.get(first, set()), years.get(second, set())
    return Retention(
        first_year=first, second_year=second, donors=len(base), retained=len(base & again)
    )


def retention_rate(
    donations: Iterable[Donation], *, first_year: int, second_year: int
) -> Decimal | None:
    """Donors who gave in both years over donors who gave in ``first_year``.

    ``None`` when ``first_year`` had no known donors. See :attr:`Retention.rate`.
    """
    return retention(donations, first_year=first_year, second_year=second_year).rate


# -- counts of gifts and donors ---------------------------------------------------------------


class _Group:
    __slots__ = ("anonymous", "donors", "gifts", "sums")

    def __init__(self) -> None:
        self.gifts = 0
        self.anonymous = 0
        self.donors: set[str] = set()
        self.sums: dict[str, Decimal] = {}


def _count_groups(
    donations: Iterable[Donation], key: Callable[[Donation], K]
) -> dict[K, GiftCount]:
    groups: dict[K, _Group] = {}
    for d in donations:
        k = key(d)
        g = groups.get(k)
        if g is None:
            g = groups[k] = _Group()
        g.gifts += 1
        if d.donor_id is None:
            g.anonymous += 1
        else:
            g.donors.add(d.donor_id)
        _add(g.sums, d.value.currency, d.value.amount)
    return {
        k: GiftCount(
            gifts=g.gifts, donors=len(g.donors), anonymous_gifts=g.anonymous, totals=_money(g.sums)
        )
        for k, g in groups.items()
    }


def gift_counts(
    donations: Iterable[Donation], *, key: Callable[[Donation], K]
) -> dict[K, GiftCount]:
    """Count gifts (笔) and distinct donors in the groups that ``key`` puts gifts in.

    The general form of the three functions below; combine keys freely, such as
    ``key=lambda d: (d.received_on.year, d.channel)``. Groups are listed in the order
    their first gift appeared.

    >>> from humanaid import Donation, Money
    >>> gifts = [Donation(id=f"g{i}", organization_id="o", donor_id="a",
    ...                   received_on=date(2020, 1, i), value=Money(i),
    ...                   receipt_number=f"R{i}") for i in (1, 2)]
    >>> c = gift_counts(gifts, key=lambda d: d.organization_id)["o"]
    >>> c.gifts, c.donors, c.totals["CNY"]
    (2, 1, Money('3.00', 'CNY'))
    """
    return _count_groups(donations, key)


def gift_counts_by_period(
    donations: Iterable[Donation], *, granularity: Granularity | str = Granularity.YEAR
) -> dict[Period, GiftCount]:
    """Count gifts and distinct donors per calendar year, quarter or month, in order."""
    grain = Granularity(granularity)
    periods: dict[tuple[int, int], Period] = {}

    def period_of(d: Donation) -> Period:
        day = d.received_on
        part = 0 if grain is Granularity.YEAR else day.month
        if grain is Granularity.QUARTER:
            part = (day.month - 1) // 3
        found = periods.get((day.year, part))
        if found is None:
            found = periods[(day.year, part)] = Period.containing(day, grain)
        return found

    counts = _count_groups(donations, period_of)
    return dict(sorted(counts.items()))


def gift_counts_by_donor_kind(
    donations: Iterable[Donation], donors: Iterable[Donor] | Mapping[str, Donor]
) -> dict[DonorKind | None, GiftCount]:
    """Count gifts and distinct donors per kind of donor.

    Args:
        donations: the gifts.
        donors: the donors, as records or an id index such as ``dataset.index("donors")``.

    Returns:
        Counts per :class:`~humanaid.DonorKind`, in the enum's order. Gifts with no donor
        count as ``ANONYMOUS``; gifts whose donor is not in ``donors`` under ``None``,
        listed last.
    """
    index: Mapping[str, Donor] = (
        donors if isinstance(donors, Mapping) else {donor.id: donor for donor in donors}
    )

    def kind_of(d: Donation) -> DonorKind | None:
        if d.donor_id is None:
            return DonorKind.ANONYMOUS
        donor = index.get(d.donor_id)
        return None if donor is None else donor.kind

    counts = _count_groups(donations, kind_of)
    order = [*DonorKind, None]
    return {k: counts[k] for k in order if k in counts}


def gift_counts_by_channel(donations: Iterable[Donation]) -> dict[Channel, GiftCount]:
    """Count gifts and distinct donors per :class:`~humanaid.Channel`, in the enum's order."""
    counts = _count_groups(donations, lambda d: d.channel)
    return {k: counts[k] for k in Channel if k in counts}
