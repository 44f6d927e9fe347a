"""Exchange rates: the records, the policies, exact conversion, and summaries in any currency."""

from __future__ import annotations

import html
import pickle
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from humanaid import (
    Campaign,
    Case,
    CaseKind,
    CurrencyConverter,
    Dataset,
    Distribution,
    Donation,
    ExchangeRate,
    FindingsError,
    Flow,
    FlowKind,
    Household,
    LendingTerms,
    Loan,
    Money,
    NoRate,
    Organization,
    OrgLevel,
    Party,
    Project,
    ProjectKind,
    RateKind,
    RatePolicy,
    RateTable,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
    Rounding,
    campaign_summary,
    convert,
    fundraising_summary,
    medical_summary,
    missing_rate,
    project_finance,
    project_summary,
    relief_summary,
    revolving_summary,
    top_donors,
    year_at_a_glance,
)
from humanaid.summaries import _case_in
from humanaid.testing import donations, exchange_rates

D = date(2020, 1, 2)


def rate(
    id: str = "r1",
    on: date = D,
    pair: str = "USD/CNY",
    value: str = "6.9762",
    source: str = "PBOC central parity",
    kind: RateKind | str = "daily",
) -> ExchangeRate:
    base, quote = pair.split("/")
    return ExchangeRate(
        id=id,
        on=on,
        from_currency=base,
        to_currency=quote,
        rate=value,  # plain decimal text, converted
        source=source,
        kind=kind,  # type: ignore[arg-type]  # a kind's value, converted
    )


# -- the record ---------------------------------------------------------------------------------


def test_a_rate_is_exact_positive_and_between_two_currencies() -> None:
    r = rate()
    assert r.rate == Decimal("6.9762")
    assert r.pair == ("USD", "CNY")
    assert r.kind is RateKind.DAILY
    assert ExchangeRate(
        id="i", on=D, from_currency="USD", to_currency="CNY", rate=7, source="s"
    ).rate == Decimal(7)
    with pytest.raises(ValueError, match="'to_currency' must differ from 'from_currency'"):
        rate(pair="CNY/CNY")
    with pytest.raises(ValueError, match=r"'rate' must be more than 0 \(got 0\)"):
        rate(value="0")
    with pytest.raises(ValueError, match="'rate' must be more than 0"):
        rate(value="-6.9")
    with pytest.raises(TypeError, match=r"'rate' must be a Decimal.*never a float"):
        ExchangeRate(id="i", on=D, from_currency="USD", to_currency="CNY", rate=6.9, source="s")
    with pytest.raises(TypeError, match="'rate' must be a Decimal"):
        rate(value="6,9")
    with pytest.raises(ValueError, match=r"'from_currency' must be a known ISO 4217 code \(codes"):
        rate(pair="usd/CNY")
    with pytest.raises(ValueError, match="'source' must not be empty"):
        rate(source="")
    with pytest.raises(ValueError, match="'kind' must be one of"):
        rate(kind="weekly")


# -- convert: one exact rounding ----------------------------------------------------------------


def test_convert_multiplies_exactly_and_rounds_once() -> None:
    table = RateTable([rate()])
    assert convert(Money("100.00", "USD"), to="CNY", on=D, rates=table) == Money("697.62")
    # 0.05 USD x 6.9762 = 0.34881: half-up 0.35, down 0.34
    assert convert(Money("0.05", "USD"), to="CNY", on=D, rates=[rate()]) == Money("0.35")
    low = convert(Money("0.05", "USD"), to="CNY", on=D, rates=[rate()], rounding=Rounding.DOWN)
    assert low == Money("0.34")
    # money already in the currency asked for comes back as it is, without a rate
    assert convert(Money("5"), to="CNY", on=D, rates=[]) == Money("5")
    # to a currency with no minor unit
    yen = rate(pair="CNY/JPY", value="15.5")
    assert convert(Money("1.10"), to="JPY", on=D, rates=[yen]) == Money("17", "JPY")


def test_an_inverse_rate_divides_exactly_and_never_rounds_its_reciprocal_first() -> None:
    # stated USD -> CNY at 7.1; asked CNY -> USD: 1,000,000 / 7.1 = 140845.0704...
    table = RateTable([rate(value="7.1")])
    assert convert(Money("1000000"), to="USD", on=D, rates=table) == Money("140845.07", "USD")
    # a reciprocal rounded to 4 places (0.1408) first would give 140800.00: never
    assert table.find("CNY", "USD", D).inverse  # type: ignore[union-attr]
    assert table.find("CNY", "USD", D).factor == Fraction(10, 71)  # type: ignore[union-attr]


def test_no_rate_names_the_pair_the_day_and_the_policy() -> None:
    table = RateTable([rate()])
    with pytest.raises(NoRate) as e:
        convert(Money("1", "EUR"), to="CNY", on=D, rates=table)
    assert str(e.value) == (
        "no rate from EUR to CNY for 2020-01-02 under the day's rate (the latest daily rate "
        "on or before the day, at most 14 days old)"
    )
    assert (e.value.from_currency, e.value.to_currency, e.value.on) == ("EUR", "CNY", D)
    assert isinstance(e.value, LookupError)
    again = pickle.loads(pickle.dumps(e.value))
    assert str(again) == str(e.value)
    with pytest.raises(ValueError, match="'currency' must be a known ISO 4217 code"):
        convert(Money("1", "USD"), to="XYZ", on=D, rates=table)
    with pytest.raises(TypeError, match="'money' must be Money"):
        convert(Decimal(1), to="CNY", on=D, rates=table)  # type: ignore[arg-type]


# -- the policies -------------------------------------------------------------------------------


def test_the_days_rate_is_the_latest_on_or_before_it_and_at_most_max_age_old() -> None:
    fri, mon = date(2020, 1, 3), date(2020, 1, 6)
    table = RateTable([rate("fri", fri, value="6.9"), rate("mon", mon, value="7.0")])
    sunday = date(2020, 1, 5)
    assert table.rate("USD", "CNY", sunday).record.id == "fri"  # the weekend takes Friday's
    assert table.rate("USD", "CNY", mon).record.id == "mon"
    assert table.find("USD", "CNY", date(2020, 1, 2)) is None  # never a later rate
    # 14 days old is still the day's rate; 15 is stale
    assert table.rate("USD", "CNY", date(2020, 1, 20)).record.id == "mon"
    assert table.find("USD", "CNY", date(2020, 1, 21)) is None
    assert table.find("USD", "CNY", date(2020, 1, 21), policy=RatePolicy.daily(max_age=30))
    assert table.find("USD", "CNY", sunday, policy=RatePolicy.daily(max_age=1)) is None


def test_the_months_average_is_the_monthly_rate_dated_in_that_month() -> None:
    table = RateTable(
        [
            rate("jan", date(2020, 1, 1), value="6.9", kind="monthly_average"),
            rate("feb", date(2020, 2, 1), value="7.0", kind="monthly_average"),
            rate("daily", date(2020, 1, 31), value="9.9"),
        ]
    )
    policy = RatePolicy.monthly_average()
    assert table.rate("USD", "CNY", date(2020, 1, 31), policy=policy).record.id == "jan"
    assert table.rate("USD", "CNY", date(2020, 2, 29), policy="monthly_average").record.id == "feb"
    assert table.find("USD", "CNY", date(2020, 3, 1), policy=policy) is None
    assert table.find("USD", "CNY", date(2019, 12, 31), policy=policy) is None
    # a policy uses its own kind of rate only
    assert table.rate("USD", "CNY", date(2020, 1, 31)).record.id == "daily"


def test_a_budget_rate_holds_from_its_day_until_the_next_without_ageing() -> None:
    table = RateTable(
        [
            rate("b20", date(2020, 1, 1), value="7", kind="budget", source="budget 2020"),
            rate("b21", date(2021, 1, 1), value="6.5", kind="budget", source="budget 2021"),
        ]
    )
    policy = RatePolicy.budget()
    assert table.rate("USD", "CNY", date(2020, 12, 31), policy=policy).record.id == "b20"
    assert table.rate("USD", "CNY", date(2023, 6, 1), policy=policy).record.id == "b21"
    assert table.find("USD", "CNY", date(2019, 12, 31), policy=policy) is None
    only_2020 = RatePolicy.budget(source="budget 2020")
    assert table.rate("USD", "CNY", date(2023, 6, 1), policy=only_2020).record.id == "b20"


def test_ties_are_broken_by_day_then_direction_then_source_and_id() -> None:
    table = RateTable(
        [
            rate("inverse-same-day", D, pair="CNY/USD", value="0.14"),
            rate("direct", D, value="7.1"),
            rate("b-source", D, value="7.2", source="bank B"),
            rate("older-direct", date(2020, 1, 1), value="7.0"),
        ]
    )
    # on one day and in one direction, the source by code point ('PBOC' before 'bank B')
    assert table.rate("USD", "CNY", D).record.id == "direct"
    assert table.rate("USD", "CNY", D, policy=RatePolicy.daily(source="bank B")).record.id == (
        "b-source"
    )
    assert (
        table.rate("USD", "CNY", D, policy=RatePolicy.daily(source="PBOC central parity")).record.id
        == "direct"
    )
    assert table.rate("CNY", "USD", D).record.id == "inverse-same-day"
    later = RateTable(
        [rate("old", date(2020, 1, 1), value="7.0"), rate("new", D, pair="CNY/USD", value="0.14")]
    )
    assert later.rate("USD", "CNY", D).record.id == "new"  # the most recent wins, either way
    # the order of the records does not matter
    assert RateTable(reversed(table.rates)).rate("USD", "CNY", D) == table.rate("USD", "CNY", D)


def test_policies_read_from_names_and_say_what_they_are() -> None:
    assert RatePolicy.of("budget") == RatePolicy.budget()
    assert RatePolicy.of(RateKind.MONTHLY_AVERAGE) == RatePolicy.monthly_average()
    assert str(RatePolicy.daily(max_age=1)).endswith("at most 1 day old)")
    with pytest.raises(ValueError, match="'kind' must be one of daily, monthly_average, budget"):
        RatePolicy.of("spot")
    with pytest.raises(TypeError, match="'policy' must be a RatePolicy"):
        RatePolicy.of(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'max_age' must be a whole number of days"):
        RatePolicy.daily(max_age=-1)
    with pytest.raises(TypeError, match=r"'rates\[0\]' must be an ExchangeRate"):
        RateTable(["6.9"])  # type: ignore[list-item]


def test_a_converter_keeps_the_sources_it_used_and_a_finding_for_each_miss() -> None:
    conv = CurrencyConverter("CNY", [rate()], policy="daily", rounding="half_even")
    assert conv(Money("1.00"), D) == Money("1.00")
    assert conv.note is None  # nothing converted yet
    assert conv(Money("0.05", "USD"), D, subject="g1") == Money("0.35")
    assert conv(Money("1.00", "EUR"), D, subject="g2") is None
    assert conv.sources == ("PBOC central parity",)
    (f,) = conv.findings
    assert f == missing_rate(Money("1.00", "EUR"), to="CNY", on=D, subject="g2")
    assert "amounts in USD converted to CNY" in (conv.note or "")
    assert "rounded half-even" in (conv.note or "")


# -- summaries in any currency ------------------------------------------------------------------

ORG = Organization(id="qj", name="曲靖市红十字会", level=OrgLevel.CITY)


def gift(id: str, amount: str, currency: str = "CNY", on: date = D, **kw: Any) -> Donation:
    return Donation(
        id=id,
        organization_id="qj",
        received_on=on,
        value=Money(amount, currency),
        receipt_number=f"R-{id}",
        **kw,
    )


def test_a_summary_converts_each_gift_on_its_day_and_names_the_rates() -> None:
    ds = Dataset(
        organizations=(ORG,),
        donations=(gift("g1", "1000"), gift("g2", "100", "USD"), gift("g3", "10", "USD")),
        exchange_rates=(rate(),),
    )
    t = fundraising_summary(ds, 2020, by=())
    (row,) = t
    assert row["raised"] == Money("1000") + Money("697.62") + Money("69.76")
    assert row["gifts"] == 3
    assert t.findings == ()
    (note,) = t.notes
    assert note.startswith("amounts in USD converted to CNY at the day's rate")
    assert "(rates: PBOC central parity)" in note
    assert note in str(t)
    assert html.escape(note) in t.to_html()
    # in dollars, the yuan are converted by the inverse of the same rate
    usd = fundraising_summary(ds, 2020, by=(), currency="USD")
    assert usd.column("raised") == (Money("143.34", "USD") + Money("110.00", "USD"),)
    # the same with rates given (not the dataset's) and another policy
    budget = rate("b", date(2020, 1, 1), value="7", kind="budget", source="budget")
    t7 = fundraising_summary(ds, 2020, by=(), rates=[budget], rate_policy="budget")
    assert t7.column("raised") == (Money("1770.00"),)
    top = top_donors(ds.add(donations=[gift("g4", "5", "USD", donor_id="d1")]), 2020)
    assert top.column("raised") == (Money("34.88"),)


def test_a_record_without_a_rate_is_left_out_and_reported_or_refused_with_strict() -> None:
    ds = Dataset(
        organizations=(ORG,),
        donations=(gift("g1", "1000"), gift("g2", "100", "EUR")),
        exchange_rates=(rate(),),
    )
    t = fundraising_summary(ds, 2020, by=())
    assert t.column("raised") == (Money("1000"),)
    assert t.column("gifts") == (2,)  # still a gift, its money left out
    (f,) = t.findings
    assert (f.rule, f.subject) == ("currency.no-rate", "g2")
    assert "100.00 EUR of 'g2' on 2020-01-02 is left out: no rate from EUR to CNY" in f.message
    assert "currency.no-rate [g2]" in str(t)
    with pytest.raises(FindingsError, match="fundraising_summary") as e:
        fundraising_summary(ds, 2020, by=(), strict=True)
    assert e.value.findings == t.findings
    # outside the period, nothing is converted and nothing is missing
    assert fundraising_summary(ds, 2021, by=()).findings == ()


def test_relief_projects_and_the_year_convert_on_their_own_days() -> None:
    rates = [rate(), rate("r2", date(2020, 6, 1), value="7.1")]
    handout = Distribution(
        id="h1", household_id="hh", on=date(2020, 6, 3), value=Money("10", "USD")
    )
    project = Project(
        id="p1",
        name="博爱家园",
        kind=ProjectKind.COMMUNITY_RESILIENCE,
        organization_id="qj",
        period=_period(),
        budget=Money("1000", "USD"),
    )
    ds = Dataset(
        organizations=(ORG,),
        distributions=(handout,),
        households=(Household(id="hh", members=3),),
        projects=(project,),
        exchange_rates=tuple(rates),
    )
    relief = relief_summary(ds, 2020)
    assert relief.column("value") == (Money("71.00"),)
    assert relief.notes
    # a project budgeted in dollars is in a yuan table, its budget at its first day's rate
    projects = project_summary(ds)
    assert projects.column("budget") == (Money("6976.20"),)
    finance = project_finance(ds, "p1", converter=CurrencyConverter("CNY", rates))
    assert finance.budget == Money("6976.20")
    assert project_finance(ds, "p1").budget == Money("1000", "USD")
    # the year converts the flows that cross its boundary, each on its day
    dollars = (gift("g", "100", "USD"),)
    ds2 = Dataset(organizations=(ORG,), donations=dollars, exchange_rates=tuple(rates))
    assert year_at_a_glance(ds2, 2020, organization_id="qj").raised == Money("697.62")
    usd = year_at_a_glance(ds2, 2020, organization_id="qj", currency="USD")
    assert usd.raised == Money("100", "USD")
    assert usd.notes == ()  # nothing needed converting


def _period() -> Any:
    from humanaid import Period

    return Period(D, date(2020, 12, 31))


# -- the rules ----------------------------------------------------------------------------------


def test_the_rules_report_money_no_rate_converts_and_a_rate_stated_twice() -> None:
    ds = Dataset(
        organizations=(ORG,),
        donations=(gift("g1", "5", "USD"), gift("g2", "5", "EUR"), gift("g3", "5")),
        exchange_rates=(rate(), rate("r-again", value="6.9763")),
    )
    found = ds.validate()
    (no_rate,) = found.where(rule="currency.unconvertible")
    assert no_rate.subject == "g2"
    assert "no exchange rate converts EUR to CNY" in no_rate.message
    (twice,) = found.where(rule="currency.duplicate-rate")
    assert twice.subject == "r-again"
    assert "6.9762 and 6.9763" in twice.message
    # another source, or another day, is not a duplicate; a monthly average is one a month
    ds = ds.add(exchange_rates=[rate("r3", source="bank"), rate("r4", date(2020, 1, 3))])
    assert len(ds.validate().where(rule="currency.duplicate-rate")) == 1
    months = Dataset(
        exchange_rates=(
            rate("m1", date(2020, 1, 1), kind="monthly_average"),
            rate("m2", date(2020, 1, 15), kind="monthly_average"),
        )
    )
    assert [f.subject for f in months.validate().where(rule="currency.duplicate-rate")] == ["m2"]


# -- the law ------------------------------------------------------------------------------------


@st.composite
def _two_currency_books(draw: st.DrawFn) -> tuple[Dataset, ExchangeRate]:
    """Gifts in yuan and in dollars to one society, and one budget rate for the year."""
    budget = draw(
        exchange_rates(
            from_currency="USD",
            to_currency="CNY",
            kind=RateKind.BUDGET,
            min_value="0.5",
            max_value=20,
            max_date=date(2020, 1, 1),
        )
    )
    gifts = []
    for currency in ("CNY", "USD"):
        gifts += draw(
            st.lists(
                donations(
                    currency=currency,
                    max_value=10**6,
                    min_date=date(2020, 1, 1),
                    max_date=date(2020, 12, 31),
                ),
                max_size=12,
            )
        )
    gifts = [attrs.evolve(g, id=f"g{i}", organization_id="qj") for i, g in enumerate(gifts)]
    return Dataset(organizations=(ORG,), donations=tuple(gifts), exchange_rates=(budget,)), budget


@settings(max_examples=60, deadline=None)
@given(_two_currency_books())
def test_figures_in_two_currencies_convert_into_each_other_within_half_a_minor_unit_a_record(
    case: tuple[Dataset, ExchangeRate],
) -> None:
    # the docs' rounding: each record converted exactly and rounded half-up to the minor
    # unit, then added. So the yuan total is within half a fen per dollar gift of the
    # exact conversion, the dollar total within half a cent per yuan gift, and together:
    # |total in yuan - rate x total in dollars| <= 0.005 x (dollar gifts + rate x yuan gifts)
    ds, budget = case
    r = budget.rate
    n_usd = sum(1 for g in ds.donations if g.value.currency == "USD")
    n_cny = len(ds.donations) - n_usd
    bound = Decimal("0.005") * (n_usd + r * n_cny)
    for figure in ("raised", "fees"):
        cny = fundraising_summary(ds, 2020, by=(), rate_policy="budget").column(figure)
        usd = fundraising_summary(ds, 2020, by=(), currency="USD", rate_policy="budget").column(
            figure
        )
        assert len(cny) == len(usd) == 1
        assert abs(cny[0].amount - r * usd[0].amount) <= bound
    year_cny = year_at_a_glance(ds, 2020, organization_id="qj", rate_policy="budget")
    year_usd = year_at_a_glance(
        ds, 2020, organization_id="qj", currency="USD", rate_policy="budget"
    )
    assert abs(year_cny.raised.amount - r * year_usd.raised.amount) <= bound
    assert not year_cny.findings.where(rule="currency.no-rate")
    assert not year_usd.findings.where(rule="currency.no-rate")


def test_a_seed_fund_is_converted_at_the_rate_of_its_day_or_left_blank() -> None:
    terms = LendingTerms(
        term_months=12, method=RepaymentMethod.BULLET, frequency=RepaymentFrequency.AT_MATURITY
    )
    fund = RevolvingFund(
        id="vf", name="青云村循环金", project_id="p1", area_id="qingyun", terms=terms
    )
    seed = Flow(
        id="seed",
        source=Party.organization("qj"),
        destination=fund.party,
        amount=Money("20000"),
        on=date(2020, 4, 2),
        kind=FlowKind.GRANT,
    )
    loan = Loan(
        id="L1",
        fund_id="vf",
        household_id="h1",
        principal=Money("5000"),
        disbursed_on=date(2020, 5, 1),
        purpose="pigs",
        terms=terms,
    )
    ds = Dataset(revolving_funds=(fund,), loans=(loan,), flows=(seed,))
    day = date(2020, 12, 31)
    closing = rate("close", date(2020, 12, 31), pair="CNY/USD", value="0.1532")
    t = revolving_summary(ds, as_of=day, currency="USD", rates=[closing])
    (row,) = t
    assert row["seed capital"] == Money("3064.00", "USD")
    assert row["lent"] == Money("766.00", "USD")
    assert row["cash"] == Money("2298.00", "USD")
    assert row["identity holds"] is True  # of the fund's own currency
    assert "(rates: PBOC central parity)" in t.notes[0]
    # no rate on the day: the fund's money is blank, one finding says why
    stale = revolving_summary(ds, as_of=date(2021, 6, 30), currency="USD", rates=[closing])
    (row,) = stale
    assert row["seed capital"] is None
    assert row["cash"] is None
    assert [f.subject for f in stale.findings.where(rule="currency.no-rate")] == ["vf"]
    # in its own currency, nothing is converted
    assert revolving_summary(ds, as_of=day).notes == ()


def test_a_cases_amounts_convert_on_the_days_they_were_approved_and_paid() -> None:
    case = Case.refer(
        id="c1", kind=CaseKind.MEDICAL, person_id="p1", program_id="heart", on=date(2020, 5, 1)
    )
    case = case.advance("screened", on=date(2020, 5, 2)).advance("assessed", on=date(2020, 5, 3))
    case = case.advance("approved", on=date(2020, 5, 4), approved=Money("2000", "USD"))
    case = case.advance("in_treatment", on=date(2020, 6, 1), paid=Money("1500", "USD"))
    may, june = (
        rate("may", date(2020, 5, 4), value="7.0"),
        rate("june", date(2020, 6, 1), value="7.1"),
    )
    ds = Dataset(cases=(case,), exchange_rates=(may, june))
    (row,) = medical_summary(ds, 2020, by_round=False)
    assert row["paid"] == Money("10650")  # 1500 x 7.1, the day help was delivered
    assert row["paid cases"] == 1
    # the approved amount took May's rate (the funnel's approved stage is not a column)
    converted = _case_in(case, None, CurrencyConverter("CNY", [may, june]))
    assert (converted.approved, converted.paid) == (Money("14000"), Money("10650"))
    # without June's rate the payment is left out, the case still counted
    t = medical_summary(Dataset(cases=(case,), exchange_rates=(may,)), 2020, by_round=False)
    assert t.column("paid") == (Money("0"),)
    assert t.column("paid cases") == (0,)
    assert [f.subject for f in t.findings.where(rule="currency.no-rate")] == ["c1"]


def test_a_campaigns_target_converts_on_its_first_day() -> None:
    campaign = Campaign(
        id="c", name="博爱送万家", organizer_id="qj", period=_period(), target=Money("1000", "USD")
    )
    ds = Dataset(organizations=(ORG,), campaigns=(campaign,), exchange_rates=(rate(),))
    (row,) = campaign_summary(ds, 2020)
    assert row["target"] == Money("6976.20")


@settings(max_examples=200)
@given(
    exchange_rates(from_currency="USD", to_currency="CNY", kind=RateKind.DAILY),
    st.integers(min_value=1, max_value=10**11),
    st.booleans(),
)
def test_conversion_rounds_once_to_within_half_a_minor_unit(
    r: ExchangeRate, units: int, inverse: bool
) -> None:
    # stated one way, asked either way: the result is the exact value, rounded once
    money = Money.from_minor_units(units, "CNY" if inverse else "USD")
    to = "USD" if inverse else "CNY"
    got = convert(money, to=to, on=r.on, rates=[r])
    exact = Fraction(money.amount) / Fraction(r.rate) if inverse else money.amount * r.rate
    assert abs(Fraction(got.amount) - Fraction(exact)) <= Fraction(1, 200)
    assert got.currency == to
