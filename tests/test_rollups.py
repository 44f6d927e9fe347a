from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks import problems_of
from humanaid import (
    CampaignTotals,
    Channel,
    Donation,
    Donor,
    DonorKind,
    DonorRollup,
    GiftCount,
    Granularity,
    Money,
    NoReceiptReason,
    Period,
    Retention,
    donor_rollups,
    from_json,
    gift_counts,
    gift_counts_by_channel,
    gift_counts_by_donor_kind,
    gift_counts_by_period,
    lybunt,
    retention,
    retention_rate,
    sybunt,
    to_json,
)

_n = 0


def gift(donor: str | None, day: date, amount: str, currency: str = "CNY", **kw: Any) -> Donation:
    global _n
    _n += 1
    extra: dict[str, Any] = {"receipt_number": f"R{_n}"}
    if donor is None:
        extra = {"no_receipt_reason": NoReceiptReason.ANONYMOUS}
    return Donation(
        id=f"g{_n}",
        organization_id="qj",
        donor_id=donor,
        received_on=day,
        value=Money(amount, currency),
        **{**extra, **kw},
    )


GIFTS = [
    gift("a", date(2018, 5, 1), "100"),
    gift("a", date(2019, 3, 1), "500"),
    gift("a", date(2020, 5, 1), "800"),
    gift("a", date(2020, 6, 1), "20", "USD"),
    gift("b", date(2019, 6, 1), "200", channel=Channel.BANK_TRANSFER),
    gift("c", date(2017, 1, 9), "50"),
    gift("d", date(2020, 2, 2), "1000", channel=Channel.ONLINE_PLATFORM, platform="轻松筹"),
    gift("e", date(2018, 12, 31), "70"),
    gift("e", date(2019, 1, 1), "30"),
    gift("f", date(2018, 7, 7), "10"),
    gift("f", date(2021, 1, 1), "10"),
    gift(None, date(2020, 3, 3), "5", channel=Channel.ONLINE_PLATFORM, platform="轻松筹"),
]


def test_donor_rollups_give_first_last_total_count_largest_and_years() -> None:
    rollups = donor_rollups(GIFTS, year=2020)
    assert list(rollups) == ["a", "b", "c", "d", "e", "f"]
    a = rollups["a"]
    assert (a.gifts, a.first_gift_on, a.last_gift_on) == (4, date(2018, 5, 1), date(2020, 6, 1))
    assert dict(a.lifetime) == {"CNY": Money("1400"), "USD": Money("20", "USD")}
    assert dict(a.largest_gift) == {"CNY": Money("800"), "USD": Money("20", "USD")}
    assert dict(a.this_year) == {"CNY": Money("800"), "USD": Money("20", "USD")}
    assert dict(a.last_year) == {"CNY": Money("500")}
    assert dict(rollups["c"].this_year) == {}
    assert rollups["f"].last_gift_on == date(2021, 1, 1)  # lifetime counts every gift
    assert a.year == 2020


def test_rollups_take_any_iterable_in_one_pass() -> None:
    def stream() -> Iterator[Donation]:
        yield from GIFTS

    assert donor_rollups(stream(), year=2020) == donor_rollups(GIFTS, year=2020)
    assert lybunt(stream(), year=2020) == lybunt(GIFTS, year=2020)
    assert gift_counts_by_channel(stream()) == gift_counts_by_channel(GIFTS)
    assert retention(iter(GIFTS), first_year=2019, second_year=2020).donors == 3


def test_lybunt_and_sybunt() -> None:
    assert lybunt(GIFTS, year=2020) == ("b", "e")
    # Gave before 2019, not in 2019 or 2020; f's 2021 gift does not count as of 2020.
    assert sybunt(GIFTS, year=2020) == ("c", "f")
    assert sybunt(GIFTS, year=2020, include_last_year=True) == ("b", "c", "e", "f")
    assert lybunt(GIFTS, year=2019) == ("f",)
    assert lybunt([], year=2020) == ()


def test_retention_between_two_years() -> None:
    r = retention(GIFTS, first_year=2019, second_year=2020)
    assert (r.donors, r.retained, r.lapsed) == (3, 1, 2)
    assert r.rate == Decimal("0.3333333333333333333333333333333333")
    assert retention_rate(GIFTS, first_year=2018, second_year=2019) == Decimal(
        "0.6666666666666666666666666666666667"
    )
    assert retention_rate(GIFTS, first_year=2018, second_year=2020) == Decimal(
        "0.3333333333333333333333333333333333"
    )
    assert retention_rate(GIFTS, first_year=2010, second_year=2011) is None
    assert retention_rate(GIFTS, first_year=2019, second_year=2019) == Decimal(1)
    assert retention(GIFTS, first_year=2017, second_year=2018).rate == Decimal(0)


def test_years_must_be_ints() -> None:
    with pytest.raises(TypeError, match="'year' must be an int year"):
        lybunt(GIFTS, year="2020")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'first_year' must be a year"):
        retention(GIFTS, first_year=0, second_year=2020)


def test_gift_counts_by_period_kind_and_channel() -> None:
    by_year = gift_counts_by_period(GIFTS)
    assert list(by_year) == [Period.year(y) for y in (2017, 2018, 2019, 2020, 2021)]
    y2020 = by_year[Period.year(2020)]
    assert (y2020.gifts, y2020.donors, y2020.anonymous_gifts) == (4, 2, 1)
    assert dict(y2020.totals) == {"CNY": Money("1805"), "USD": Money("20", "USD")}
    by_quarter = gift_counts_by_period(GIFTS, granularity=Granularity.QUARTER)
    assert by_quarter[Period.quarter(2020, 2)].gifts == 2
    by_month = gift_counts_by_period(GIFTS, granularity="month")
    assert by_month[Period.month(2018, 12)].donors == 1

    by_channel = gift_counts_by_channel(GIFTS)
    assert list(by_channel) == [Channel.OFFLINE, Channel.BANK_TRANSFER, Channel.ONLINE_PLATFORM]
    assert by_channel[Channel.ONLINE_PLATFORM].gifts == 2
    assert by_channel[Channel.ONLINE_PLATFORM].donors == 1

    people = [
        Donor(id="a", kind=DonorKind.INDIVIDUAL),
        Donor(id="b", kind=DonorKind.ENTERPRISE),
        Donor(id="c", kind=DonorKind.INDIVIDUAL),
    ]
    by_kind = gift_counts_by_donor_kind(GIFTS, people)
    assert list(by_kind) == [DonorKind.INDIVIDUAL, DonorKind.ENTERPRISE, DonorKind.ANONYMOUS, None]
    assert by_kind[DonorKind.INDIVIDUAL].gifts == 5
    assert by_kind[DonorKind.INDIVIDUAL].donors == 2
    assert by_kind[DonorKind.ANONYMOUS].anonymous_gifts == 1
    assert by_kind[None].donors == 3  # d, e, f are not among the donors given
    assert gift_counts_by_donor_kind(GIFTS, {d.id: d for d in people}) == by_kind


def test_gift_counts_with_a_combined_key() -> None:
    counts = gift_counts(GIFTS, key=lambda d: (d.received_on.year, d.channel))
    assert counts[(2020, Channel.ONLINE_PLATFORM)].gifts == 2
    assert next(iter(counts)) == (2018, Channel.OFFLINE)


# -- properties -------------------------------------------------------------------------------

DONOR_IDS = ["a", "b", "c", "d"]


@st.composite
def gift_lists(draw: st.DrawFn) -> list[Donation]:
    """Cash gifts from a small pool of donors (or nobody), in CNY or USD, 2015 to 2022."""
    rows = draw(
        st.lists(
            st.tuples(
                st.none() | st.sampled_from(DONOR_IDS),
                st.dates(min_value=date(2015, 1, 1), max_value=date(2022, 12, 31)),
                st.integers(min_value=1, max_value=10**8),
                st.sampled_from(["CNY", "CNY", "USD"]),
                st.sampled_from(Channel),
            ),
            max_size=40,
        )
    )
    return [
        Donation(
            id=f"g{i}",
            organization_id="qj",
            donor_id=donor,
            received_on=day,
            value=Money.from_minor_units(units, currency),
            channel=channel,
            platform="轻松筹" if channel is Channel.ONLINE_PLATFORM else None,
            fund_id="sf" if channel is Channel.VIA_SPECIAL_FUND else None,
            no_receipt_reason=NoReceiptReason.NOT_REQUESTED,
        )
        for i, (donor, day, units, currency, channel) in enumerate(rows)
    ]


@given(gift_lists(), st.integers(min_value=2015, max_value=2023))
def test_a_donors_lifetime_total_equals_the_sum_of_its_donations(
    gifts: list[Donation], year: int
) -> None:
    rollups = donor_rollups(gifts, year=year)
    expected: dict[str, dict[str, Money]] = defaultdict(dict)
    count: dict[str, int] = defaultdict(int)
    for d in gifts:
        if d.donor_id is None:
            continue
        count[d.donor_id] += 1
        per = expected[d.donor_id]
        per[d.value.currency] = per.get(d.value.currency, Money.zero(d.value.currency)) + d.value
    assert set(rollups) == set(expected)
    for donor_id, r in rollups.items():
        assert dict(r.lifetime) == expected[donor_id]
        assert r.gifts == count[donor_id]
        mine = [d for d in gifts if d.donor_id == donor_id]
        assert r.first_gift_on == min(d.received_on for d in mine)
        assert r.last_gift_on == max(d.received_on for d in mine)
        for code, largest in r.largest_gift.items():
            assert largest == max(d.value for d in mine if d.value.currency == code)


@given(gift_lists(), st.integers(min_value=2015, max_value=2023))
def test_lybunt_donors_never_gave_this_year(gifts: list[Donation], year: int) -> None:
    lapsed = set(lybunt(gifts, year=year))
    for d in gifts:
        if d.donor_id in lapsed:
            assert d.received_on.year != year
    gave_last_year = {d.donor_id for d in gifts if d.received_on.year == year - 1}
    assert lapsed <= gave_last_year


@given(gift_lists(), st.integers(min_value=2015, max_value=2023))
def test_sybunt_and_lybunt_part_the_lapsed_donors(gifts: list[Donation], year: int) -> None:
    ly = set(lybunt(gifts, year=year))
    sy = set(sybunt(gifts, year=year))
    wide = set(sybunt(gifts, year=year, include_last_year=True))
    assert not ly & sy
    assert ly | sy == wide
    this_year = {d.donor_id for d in gifts if d.received_on.year == year}
    assert not wide & this_year


@given(gift_lists(), st.integers(2015, 2022), st.integers(2015, 2022))
def test_retention_rate_is_retained_over_first_year_donors(
    gifts: list[Donation], first: int, second: int
) -> None:
    r = retention(gifts, first_year=first, second_year=second)
    base = {d.donor_id for d in gifts if d.donor_id and d.received_on.year == first}
    again = {d.donor_id for d in gifts if d.donor_id and d.received_on.year == second}
    assert r.donors == len(base)
    assert r.retained == len(base & again)
    if base:
        assert r.rate is not None
        assert abs(Fraction(r.rate) - Fraction(len(base & again), len(base))) < Fraction(1, 10**30)
    else:
        assert r.rate is None


@given(gift_lists())
def test_gift_counts_add_up_to_every_gift(gifts: list[Donation]) -> None:
    for counts in (
        gift_counts_by_period(gifts, granularity="quarter"),
        gift_counts_by_channel(gifts),
        gift_counts_by_donor_kind(gifts, []),
    ):
        assert sum(c.gifts for c in counts.values()) == len(gifts)
        assert sum(c.anonymous_gifts for c in counts.values()) == sum(
            1 for d in gifts if d.donor_id is None
        )


# -- result records ---------------------------------------------------------------------------


def test_result_records_check_themselves() -> None:
    jan1, jan2 = date(2020, 1, 1), date(2020, 1, 2)
    with pytest.raises(ValueError, match="'gifts' must be at least 1"):
        DonorRollup(donor_id="a", year=2020, gifts=0, first_gift_on=jan1, last_gift_on=jan1)
    with pytest.raises(ValueError, match="'last_gift_on' must not be before"):
        DonorRollup(donor_id="a", year=2020, gifts=1, first_gift_on=jan2, last_gift_on=jan1)
    with pytest.raises(ValueError, match="amounts must map each currency code to Money of it"):
        GiftCount(gifts=1, donors=1, anonymous_gifts=0, totals={"USD": Money("1")})
    with pytest.raises(ValueError, match="must cover the anonymous gifts"):
        GiftCount(gifts=1, donors=1, anonymous_gifts=1)
    with pytest.raises(ValueError, match=r"'retained' .* must not exceed 'donors'"):
        Retention(first_year=2019, second_year=2020, donors=1, retained=2)
    with pytest.raises(TypeError, match="'donors' must be an int"):
        Retention(first_year=2019, second_year=2020, donors=True, retained=0)


def test_amount_mappings_are_read_only_and_sorted() -> None:
    c = GiftCount(
        gifts=2, donors=2, anonymous_gifts=0, totals={"USD": Money("1", "USD"), "CNY": Money("2")}
    )
    assert list(c.totals) == ["CNY", "USD"]
    with pytest.raises(TypeError):
        c.totals["CNY"] = Money("3")  # type: ignore[index]


def test_computed_rollups_round_trip_through_json() -> None:
    for r in donor_rollups(GIFTS, year=2020).values():
        assert from_json(to_json(r), DonorRollup) == r
    for c in gift_counts_by_channel(GIFTS).values():
        assert from_json(to_json(c), GiftCount) == c
    kept = retention(GIFTS, first_year=2019, second_year=2020)
    assert from_json(to_json(kept), Retention) == kept


@pytest.mark.parametrize(
    ("cls", "data", "expected"),
    [
        (
            DonorRollup,
            {
                "donor_id": "a",
                "year": 2020,
                "gifts": 1,
                "first_gift_on": "2020-01-01",
                "last_gift_on": "2020-01-01",
                "lifetime": {"CNY": {"amount": "1.00", "currency": "USD"}},
                "this_year": {"CNY": {"amount": 1.5, "currency": "CNY"}},
            },
            [("$.lifetime", "invalid"), ("$.this_year.CNY.amount", "float-not-allowed")],
        ),
        (
            DonorRollup,
            {
                "donor_id": "a",
                "year": 2020,
                "gifts": 0,
                "first_gift_on": "2020-01-01",
                "last_gift_on": "2020-01-01",
            },
            [("$.gifts", "invalid")],
        ),
        (
            GiftCount,
            {"gifts": -1, "donors": "2", "anonymous_gifts": 0},
            [("$.gifts", "invalid"), ("$.donors", "wrong-type")],
        ),
        (
            Retention,
            {"first_year": 2019, "second_year": 2020, "donors": 1, "retained": 2},
            [("$.retained", "invalid")],
        ),
        (
            CampaignTotals,
            {"campaign_id": "c", "raised": {"amount": "1.00", "currency": "CNY"}},
            [
                ("$.fees", "missing"),
                ("$.gifts", "missing"),
                ("$.donors", "missing"),
                ("$.anonymous_gifts", "missing"),
            ],
        ),
    ],
)
def test_bad_rollup_records_list_every_problem_with_its_path(
    cls: type, data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(data, cls) == expected
