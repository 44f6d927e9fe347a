from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from builders import flow, wan
from humanaid import (
    SPENDING_RULES,
    Boundary,
    CharityForm,
    Dataset,
    Flow,
    FlowKind,
    Fund,
    Ledger,
    Money,
    Party,
    Period,
    SpendingBase,
    SpendingFigures,
    assess_spending,
    spending_figures,
    spending_ratio_rule,
    spending_rule_for,
)
from humanaid.organizations import Organization, OrgLevel, Qualification, QualificationKind
from humanaid.rules.compliance import charity_spending_ratios
from humanaid.testing import money


def figures(
    spending: Money,
    admin: Money,
    total: Money,
    income: list[Money] | None = None,
    assets: list[Money] | None = None,
) -> SpendingFigures:
    return SpendingFigures(
        year=2020,
        charitable_spending=spending,
        admin_costs=admin,
        total_spending=total,
        prior_income=tuple(income or [wan(100)]),
        prior_net_assets=tuple(assets or [wan(100)]),
    )


@pytest.mark.parametrize(
    ("form", "public", "assets", "floor", "ceiling", "source"),
    [
        (CharityForm.FOUNDATION, True, wan(1), "0.70", "0.10", "art. 7"),
        (CharityForm.SOCIAL_GROUP, True, wan(1), "0.70", "0.13", "art. 7"),
        (CharityForm.SOCIAL_SERVICE_ORG, True, wan(1), "0.70", "0.13", "art. 7"),
        (CharityForm.FOUNDATION, False, wan(6000), "0.06", "0.12", "8(1)"),
        (CharityForm.FOUNDATION, False, wan(5999), "0.06", "0.13", "8(2)"),
        (CharityForm.FOUNDATION, False, wan(800), "0.06", "0.13", "8(2)"),
        (CharityForm.FOUNDATION, False, wan(400), "0.07", "0.15", "8(3)"),
        (CharityForm.FOUNDATION, False, wan(399), "0.08", "0.20", "8(4)"),
        (CharityForm.SOCIAL_GROUP, False, wan(1000), "0.06", "0.13", "9(1)"),
        (CharityForm.SOCIAL_GROUP, False, wan(500), "0.07", "0.14", "9(2)"),
        (CharityForm.SOCIAL_SERVICE_ORG, False, wan(100), "0.08", "0.15", "9(3)"),
        (CharityForm.SOCIAL_GROUP, False, wan(99), "0.08", "0.20", "9(4)"),
    ],
)
def test_the_table_gives_each_charity_its_rule(
    form: CharityForm, public: bool, assets: Money, floor: str, ceiling: str, source: str
) -> None:
    rule = spending_rule_for(form, public=public, net_assets=assets)
    assert rule.min_spending_ratio == Decimal(floor)
    assert rule.max_admin_ratio == Decimal(ceiling)
    assert source in rule.source
    expected_base = SpendingBase.PRIOR_YEAR_INCOME if public else SpendingBase.PRIOR_NET_ASSETS
    assert rule.base is expected_base


@given(
    st.sampled_from(CharityForm),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**14).map(Money.from_minor_units),
)
def test_exactly_one_row_governs_every_charity(
    form: CharityForm, public: bool, assets: Money
) -> None:
    rows = [r for r in SPENDING_RULES if r.applies(form, public=public, net_assets=assets)]
    assert len(rows) == 1


def test_a_public_society_that_spends_70_percent_passes() -> None:
    v = assess_spending(
        figures(wan(70), wan(5), wan(80), income=[wan(100)]), CharityForm.SOCIAL_GROUP, public=True
    )
    assert v.spending_ratio == Decimal("0.7")
    assert v.ok


def test_spending_below_the_floor_fails_unless_the_three_year_average_passes() -> None:
    low = figures(wan(60), wan(5), wan(80), income=[wan(100)])
    assert not assess_spending(low, CharityForm.FOUNDATION, public=True).spending_ok
    # Art. 10: the average of the three previous years may stand in: (100+60+50)/3 = 70,
    # and 60 is 85.71% of it.
    avg = figures(wan(60), wan(5), wan(80), income=[wan(100), wan(60), wan(50)])
    v = assess_spending(avg, CharityForm.FOUNDATION, public=True)
    assert v.spending_ratio == Decimal("0.6")
    assert v.spending_ratio_3y is not None
    assert v.spending_ratio_3y.quantize(Decimal("0.0001")) == Decimal("0.8571")
    assert v.spending_ok
    steady = figures(wan(60), wan(5), wan(80), income=[wan(100), wan(100), wan(100)])
    assert not assess_spending(steady, CharityForm.FOUNDATION, public=True).spending_ok


def test_admin_costs_above_the_ceiling_fail_unless_under_200000_yuan() -> None:
    high = figures(wan(70), wan(30), wan(200), income=[wan(100)])  # 15% > 13%
    v = assess_spending(high, CharityForm.SOCIAL_GROUP, public=True)
    assert v.admin_ratio == Decimal("0.15")
    assert not v.admin_ok
    assert not v.admin_exempt
    small = figures(wan(70), wan("19.99"), wan(80), income=[wan(100)])  # 25% but < 20万
    v = assess_spending(small, CharityForm.SOCIAL_GROUP, public=True)
    assert v.admin_exempt
    assert v.admin_ok


def test_the_smallest_social_groups_must_also_spend_half_their_income() -> None:
    f = figures(wan(10), wan(1), wan(11), income=[wan(40)], assets=[wan(50)])  # 20% of assets
    v = assess_spending(f, CharityForm.SOCIAL_GROUP, public=False)
    assert v.spending_ratio == Decimal("0.2")
    assert v.income_ratio == Decimal("0.25")
    assert not v.spending_ok


def test_figures_come_from_the_ledger() -> None:
    fund = Party.fund("g")
    boundary = Boundary(name="society", parties=frozenset({fund}))

    def f(id: str, src: Party, dst: Party, amount: Money, on: date, kind: FlowKind) -> Flow:
        return Flow(id=id, source=src, destination=dst, amount=amount, on=on, kind=kind)

    ledger = Ledger(
        [
            f("a", Party.donor("d"), fund, wan(100), date(2019, 3, 1), FlowKind.DONATION),
            f("b", Party.organization("province"), fund, wan(20), date(2019, 6, 1), FlowKind.GRANT),
            f("c", fund, Party.project("p"), wan(50), date(2020, 2, 1), FlowKind.DISBURSEMENT),
            f("d", fund, Party.outside("rent"), wan(8), date(2020, 3, 1), FlowKind.ADMIN_EXPENSE),
            f(
                "e",
                fund,
                Party.outside("platform"),
                wan(2),
                date(2020, 3, 1),
                FlowKind.FUNDRAISING_COST,
            ),
        ]
    )
    fig = spending_figures(ledger, boundary, 2020)
    assert fig.charitable_spending == wan(50)
    assert fig.admin_costs == wan(8)
    assert fig.total_spending == wan(60)
    # 2018 and 2017 have no records: unknown, so left out rather than counted as zero.
    assert fig.prior_income == (wan(120),)
    assert fig.prior_net_assets == (wan(120),)


def test_spending_figures_count_by_where_money_crosses_not_by_its_kind() -> None:
    # a society (fund g) with a branch (fund b) inside its boundary
    g, b = Party.fund("g"), Party.fund("b")
    boundary = Boundary(name="society", parties=frozenset({g, b}))

    def f(id: str, src: Party, dst: Party, n: int, on: date, kind: FlowKind) -> Flow:
        return Flow(id=id, source=src, destination=dst, amount=wan(n), on=on, kind=kind)

    ledger = Ledger(
        [
            # 2019: a grant from the province (brought in), a gift (raised), and money the
            # society passes to its own branch as a "grant" (inside: not income)
            f("a", Party.organization("province"), g, 30, date(2019, 3, 1), FlowKind.GRANT),
            f("b", Party.donor("d"), g, 70, date(2019, 4, 1), FlowKind.DONATION),
            f("c", g, b, 40, date(2019, 5, 1), FlowKind.GRANT),
            # 2020: the branch hands money to households tagged as an allocation (put in),
            # and passes money back up to the society (inside: not spending)
            f("d", b, Party.household("h1"), 25, date(2020, 2, 1), FlowKind.ALLOCATION),
            f("e", b, g, 5, date(2020, 3, 1), FlowKind.ALLOCATION),
            f("g", g, Party.case("c1"), 10, date(2020, 4, 1), FlowKind.DISBURSEMENT),
        ]
    )
    fig = spending_figures(ledger, boundary, 2020)
    assert fig.charitable_spending == wan(35)  # by kind it was the disbursement alone: 10
    assert fig.total_spending == wan(35)
    assert fig.prior_income == (wan(100),)  # by kind the inner "grant" counted too: 140


def society(public: bool) -> Organization:
    quals = (
        (Qualification(kind=QualificationKind.PUBLIC_FUNDRAISING, valid_from=date(2015, 1, 1)),)
        if public
        else ()
    )
    return Organization(
        id="qujing", name="曲靖市红十字会", level=OrgLevel.CITY, qualifications=quals
    )


FUND, DONOR = Party.fund("general"), Party.donor("d")
SPENT_ON, OFFICE = Party.project("p"), Party.outside("office")


def society_books(*flows: Flow, public: bool = True) -> Dataset:
    """The city society, its general fund and ``flows``."""
    return Dataset(
        organizations=(society(public),),
        funds=(Fund(id="general", name="general", organization_id="qujing"),),
        flows=flows,
    )


def society_year(spent: str, admin: str, public: bool = True) -> Dataset:
    return society_books(
        flow("i19", DONOR, FUND, wan(1000), date(2019, 5, 1), FlowKind.DONATION),
        flow("s20", FUND, SPENT_ON, wan(spent), date(2020, 5, 1), FlowKind.DISBURSEMENT),
        flow("a20", FUND, OFFICE, wan(admin), date(2020, 6, 1), FlowKind.ADMIN_EXPENSE),
        public=public,
    )


def test_the_rule_finds_a_society_that_spent_too_little_and_ran_too_dear() -> None:
    ds = society_year(spent="500", admin="100")  # 50% of income; admin 100/600 = 16.67%
    found = list(charity_spending_ratios(ds))
    assert [(f.rule, f.subject) for f in found] == [
        ("compliance.spending-below-floor", "qujing"),
        ("compliance.admin-above-ceiling", "qujing"),
    ]
    assert "50.00% of its previous year's income" in found[0].message
    assert "below the 70.00% floor" in found[0].message
    assert found[0].figures["ratio"] == Decimal("0.5")
    assert "16.67% of its total spending" in found[1].message
    assert found[0] in ds.validate()


def test_the_rule_is_quiet_for_a_society_within_the_law() -> None:
    assert list(charity_spending_ratios(society_year(spent="800", admin="50"))) == []


def test_forms_and_years_can_be_chosen() -> None:
    ds = society_year(spent="500", admin="100", public=False)  # net assets 1000万: 6% floor
    rule = spending_ratio_rule(years=[2020], forms={"qujing": CharityForm.FOUNDATION})
    found = list(rule(ds))
    assert [f.rule for f in found] == ["compliance.admin-above-ceiling"]  # 16.67% > 13%
    assert list(spending_ratio_rule(forms={})(ds)) == []


def test_a_chosen_year_without_a_year_before_is_skipped_not_a_crash() -> None:
    ds = society_books(flow("f1", DONOR, FUND, wan(10), date(2020, 3, 1), FlowKind.DONATION))
    assert list(spending_ratio_rule(years=[2020])(ds)) == []


def test_percentages_in_findings_do_not_depend_on_the_callers_decimal_context() -> None:
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = 3
        ctx.rounding = decimal.ROUND_FLOOR
        found = list(charity_spending_ratios(society_year(spent="500", admin="100")))
    assert "16.67% of its total spending" in found[1].message


# -- review: edge cases an auditor tries ------------------------------------------------------


def test_the_200000_yuan_exemption_does_not_cover_public_foundations() -> None:
    # Charity Law art. 60 caps a public foundation's costs at 10% with no exemption; the
    # 2016 rules' art. 11 exempts small costs only from the ceilings the rules set.
    small = figures(wan(70), wan(15), wan(100), income=[wan(100)])  # 15% > 10%, < 20万
    v = assess_spending(small, CharityForm.FOUNDATION, public=True)
    assert not v.admin_exempt
    assert not v.admin_ok
    # ... while a public social group keeps it (art. 7, 11).
    assert assess_spending(small, CharityForm.SOCIAL_GROUP, public=True).admin_ok


def test_a_floor_on_a_negative_or_zero_base_is_always_met() -> None:
    # 8% of negative net assets is a negative floor: any spending meets it.
    v = assess_spending(
        figures(wan(5), wan(1), wan(6), income=[wan(10)], assets=[wan(-50)]),
        CharityForm.SOCIAL_GROUP,
        public=False,
    )
    assert v.spending_ok
    v = assess_spending(
        figures(wan(5), wan(1), wan(6), income=[wan(0)], assets=[wan(-50)]),
        CharityForm.FOUNDATION,
        public=False,
    )
    assert v.spending_ok
    # No income last year: 70% of nothing is met, whatever the three-year average says
    # (art. 10 lets the charity choose the base).
    v = assess_spending(
        figures(wan(0), wan(0), wan(1), income=[wan(0), wan(100), wan(100)]),
        CharityForm.SOCIAL_GROUP,
        public=True,
    )
    assert v.spending_ratio is None
    assert v.spending_ok


def test_the_three_year_income_average_may_stand_in_for_the_half_of_income_floor() -> None:
    # Art. 9(4) and art. 10: 10万 is 25% of last year's 40万 but 50% of the three-year
    # average (40+10+10)/3 = 20万.
    f = figures(wan(10), wan(1), wan(11), income=[wan(40), wan(10), wan(10)], assets=[wan(50)] * 3)
    v = assess_spending(f, CharityForm.SOCIAL_GROUP, public=False)
    assert v.spending_ok


def test_income_in_another_currency_is_reported_not_dropped() -> None:
    ds = society_books(
        flow("u", DONOR, FUND, Money("1000000", "USD"), date(2019, 5, 1), FlowKind.DONATION),
        flow("i", DONOR, FUND, wan(10), date(2019, 5, 1), FlowKind.DONATION),
        flow("s", FUND, SPENT_ON, wan(8), date(2020, 5, 1), FlowKind.DISBURSEMENT),
    )
    found = list(charity_spending_ratios(ds))
    assert [f.rule for f in found] == ["compliance.currency-not-counted"]
    assert "USD" in found[0].message
    assert found[0].subject == "qujing"


@given(
    spent=money(min_value=0, max_value=10**9),
    last=money(max_value=10**9),
    earlier=st.lists(money(max_value=10**9), min_size=0, max_size=2),
    form=st.sampled_from(CharityForm),
    public=st.booleans(),
)
def test_spending_is_ok_iff_it_reaches_the_floor_of_the_last_year_or_the_average(
    spent: Money, last: Money, earlier: list[Money], form: CharityForm, public: bool
) -> None:
    bases = [last, *earlier]
    f = SpendingFigures(
        year=2020, charitable_spending=spent, admin_costs=Money.zero(), total_spending=spent,
        prior_income=[abs(b) for b in bases], prior_net_assets=bases,
    )  # fmt: skip
    v = assess_spending(f, form, public=public)
    own = f.prior_income if v.rule.base is SpendingBase.PRIOR_YEAR_INCOME else bases

    def reaches(ratio: Decimal, base: Sequence[Money]) -> bool:
        options = [base[0], *([Money.total(base, "CNY").divide(3)] if len(base) >= 3 else [])]
        return any(spent.amount >= ratio * b.amount for b in options)

    expected = reaches(v.rule.min_spending_ratio, own)
    if v.rule.min_income_ratio is not None:
        expected = expected and reaches(v.rule.min_income_ratio, f.prior_income)
    assert v.spending_ok is expected


# -- the rule's one sweep of the ledger equals reading each organisation's year alone ----------


def _ratios_one_year_at_a_time(
    dataset: Dataset, years: Sequence[int] | None = None
) -> list[object]:
    """The rule by its straightforward definition: :func:`spending_figures` for each
    organisation and year (the rule before it swept the ledger once)."""
    from humanaid.rules import compliance as rule

    ledger = dataset.ledger()
    holders = {f.organization_id for f in dataset.funds}
    flow_years = sorted({f.on.year for f in ledger.flows})
    out: list[object] = []
    for org in dataset.organizations:
        form = rule.DEFAULT_CHARITY_FORMS.get(str(org.kind))
        if form is None or org.id not in holders:
            continue
        boundary = Boundary.organization(dataset, org.id)
        inside = [p for p in ledger.parties() if boundary.contains(p)]
        if not inside:
            continue
        active: set[int] = set()
        foreign: dict[int, set[str]] = {}
        for p in inside:
            for f, _ in ledger.entries(p):
                active.add(f.on.year)
                if f.amount.currency != "CNY":
                    foreign.setdefault(f.on.year, set()).add(f.amount.currency)
        check = years if years is not None else [
            y for y in flow_years if y in active and y - 1 in active
        ]  # fmt: skip
        for year in check:
            figures = spending_figures(ledger, boundary, year)
            if not figures.prior_net_assets:
                continue
            used = range(year - len(figures.prior_net_assets), year + 1)
            others = sorted(set().union(*(foreign.get(y, set()) for y in used)))
            if others:
                out.append(rule._not_counted(org.id, year, others))
                continue
            public = rule._holds_public(org, date(year, 12, 31))
            verdict = assess_spending(figures, form, public=public)
            out.extend(rule._findings(org.id, form, public, verdict))
    return out


@st.composite
def books_in_currencies(draw: st.DrawFn) -> Dataset:
    """A society's books (``humanaid.testing.society_books``), sometimes with money in USD."""
    from humanaid.testing import society_books as books

    ds = draw(books(max_events=8, max_flows=16))
    if draw(st.booleans()):
        fund = draw(st.sampled_from([f.id for f in ds.funds]))
        ds = ds.add(
            flows=[
                flow("usd", Party.organization("national"), Party.fund(fund),
                     Money("1000", "USD"), date(draw(st.integers(2019, 2021)), 6, 1),
                     FlowKind.GRANT)
            ]
        )  # fmt: skip
    return ds


@given(books_in_currencies(), st.none() | st.lists(st.integers(2018, 2022), max_size=3))
def test_spending_ratios_of_one_sweep_equal_each_organisations_year_read_alone(
    ds: Dataset, years: list[int] | None
) -> None:
    rule = charity_spending_ratios if years is None else spending_ratio_rule(years=years)
    found = list(rule(ds))
    assert found == _ratios_one_year_at_a_time(ds, years)
    event(f"findings: {min(len(found), 3)}")
    for f in found:
        event(f.rule)


def _figures_read_off_the_ledger(ledger: Ledger, boundary: Boundary, year: int) -> SpendingFigures:
    """The straightforward definition: the ledger's totals and balances, one year at a time."""
    this = ledger.totals(boundary, Period.year(year), currency="CNY")
    zero = Money.zero("CNY")
    charitable = this.put_in
    admin = this.left.get(FlowKind.ADMIN_EXPENSE, zero)
    total = charitable + admin + this.left.get(FlowKind.FUNDRAISING_COST, zero)
    incomes = []
    assets = []
    inside = [p for p in ledger.parties() if boundary.contains(p)]
    active = {f.on.year for p in inside for f, _ in ledger.entries(p)}
    for back in (1, 2, 3):
        y = year - back
        if y not in active:
            break
        t = ledger.totals(boundary, Period.year(y), currency="CNY")
        incomes.append(t.raised + t.brought_in + t.entered.get(FlowKind.INTEREST, zero))
        end = Period.year(y).end
        assets.append(Money.total((ledger.balance(p, end, currency="CNY") for p in inside), "CNY"))
    return SpendingFigures(
        year=year,
        charitable_spending=charitable,
        admin_costs=admin,
        total_spending=total,
        prior_income=incomes,
        prior_net_assets=assets,
    )


@given(books_in_currencies())
def test_each_years_figures_from_one_sweep_equal_spending_figures(ds: Dataset) -> None:
    from humanaid.compliance import yearly_books

    ledger = ds.ledger()
    ids = [o.id for o in ds.organizations]
    boundaries = [Boundary.organization(ds, o) for o in ids]
    for boundary, book in zip(boundaries, yearly_books(ledger, boundaries), strict=True):
        for year in range(2018, 2023):
            expected = _figures_read_off_the_ledger(ledger, boundary, year)
            assert book.figures(year) == expected
            assert spending_figures(ledger, boundary, year) == expected
