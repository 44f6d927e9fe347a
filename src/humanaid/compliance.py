"""Charity-law spending ratios: how much a charity must spend and may spend on running itself.

China's Charity Law (《中华人民共和国慈善法》, 2016, Article 60) and the three-ministry rules
made under it (民政部 财政部 国家税务总局《关于慈善组织开展慈善活动年度支出和管理费用的规定》,
民发〔2016〕189号, Articles 7 to 11) set, for each kind of charity:

* a floor on the year's charitable spending (慈善活动支出), as a share of the previous
  year's total income for those that raise money from the public, or of the net assets at
  the end of the previous year for those that do not; the three-year average may stand
  in for either (Article 10);
* a ceiling on the year's administrative costs (管理费用) as a share of the year's total
  spending, which does not apply when those costs are under 200,000 yuan (Article 11).

The thresholds live in one table, :data:`SPENDING_RULES`, each row naming its legal
source, so a user can read them and pass a table of their own.

>>> rule = spending_rule_for(CharityForm.FOUNDATION, public=True, net_assets=Money("0"))
>>> rule.min_spending_ratio, rule.max_admin_ratio, rule.source
(Decimal('0.70'), Decimal('0.10'), 'Charity Law art. 60; MCA/MOF/SAT 2016 rules art. 7')
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

import attrs

from humanaid._decimal import EXACT as _SUM
from humanaid._decimal import ratio as _ratio
from humanaid.errors import FieldValueError
from humanaid.funds import (
    Boundary,
    Crossing,
    Flow,
    FlowKind,
    Ledger,
    Party,
    PartyKind,
    _gift_flows,
    classify_flow,
)
from humanaid.money import Money

__all__ = [
    "ADMIN_COST_EXEMPTION",
    "SPENDING_RULES",
    "CharityForm",
    "SpendingBase",
    "SpendingFigures",
    "SpendingRule",
    "SpendingVerdict",
    "assess_spending",
    "spending_figures",
    "spending_rule_for",
]


class CharityForm(enum.StrEnum):
    """The legal form a charity is registered in; the ratios differ by form.

    Red Cross societies are people's organisations (人民团体) rather than registered
    charities; humanaid checks them by the social-group standard, which is what their
    audits commonly use. Pass another form if your auditors use another.
    """

    FOUNDATION = "foundation"
    """基金会."""
    SOCIAL_GROUP = "social_group"
    """社会团体 (and, by default, Red Cross societies)."""
    SOCIAL_SERVICE_ORG = "social_service_org"
    """社会服务机构 (formerly 民办非企业单位)."""


class SpendingBase(enum.StrEnum):
    """What the spending floor is a share of."""

    PRIOR_YEAR_INCOME = "prior_year_income"
    """The previous year's total income (or the average of the three previous years)."""
    PRIOR_NET_ASSETS = "prior_net_assets"
    """Net assets at the end of the previous year (or the three-year average)."""


def _form_set(forms: Iterable[CharityForm]) -> frozenset[CharityForm]:
    return frozenset(CharityForm(f) for f in forms)


def _money_tuple(values: Iterable[Money]) -> tuple[Money, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class SpendingRule:
    """One row of the spending table: who it applies to, the floor, the ceiling, the law.

    Attributes:
        forms: the legal forms the row applies to.
        public: whether it applies to charities that hold public-fundraising
            qualification (True) or to those that do not (False).
        min_net_assets / max_net_assets: the net-asset tier (at the end of the previous
            year), ``min`` inclusive and ``max`` exclusive; ``None`` for no bound.
        base: what the spending floor is a share of.
        min_spending_ratio: the floor, such as ``Decimal("0.70")``.
        min_income_ratio: a second floor on the previous year's income (the smallest
            non-public social groups must also spend half of it), or ``None``.
        max_admin_ratio: the ceiling on administrative costs over total spending.
        source: the law and article.
        admin_exemption: whether art. 11 lifts the ceiling for costs under 200,000
            yuan. It does for the ceilings the 2016 rules set (arts. 7 to 9), not for
            the public foundations' 10%, which is the Charity Law's own (art. 60).
    """

    forms: frozenset[CharityForm] = attrs.field(converter=_form_set)
    public: bool
    base: SpendingBase
    min_spending_ratio: Decimal
    max_admin_ratio: Decimal
    source: str
    min_net_assets: Money | None = None
    max_net_assets: Money | None = None
    min_income_ratio: Decimal | None = None
    admin_exemption: bool = True

    def applies(self, form: CharityForm, *, public: bool, net_assets: Money) -> bool:
        """Whether this row governs a charity of ``form`` with these net assets."""
        if form not in self.forms or public is not self.public:
            return False
        if self.min_net_assets is not None and net_assets < self.min_net_assets:
            return False
        return self.max_net_assets is None or net_assets < self.max_net_assets


def _wan(n: int) -> Money:
    return Money(n * 10_000)


_ART = "MCA/MOF/SAT 2016 rules art."
_FOUNDATION: Final = frozenset({CharityForm.FOUNDATION})
_GROUPS: Final = frozenset({CharityForm.SOCIAL_GROUP, CharityForm.SOCIAL_SERVICE_ORG})

SPENDING_RULES: Final[tuple[SpendingRule, ...]] = (
    SpendingRule(
        forms=_FOUNDATION, public=True, base=SpendingBase.PRIOR_YEAR_INCOME,
        min_spending_ratio=Decimal("0.70"), max_admin_ratio=Decimal("0.10"),
        source=f"Charity Law art. 60; {_ART} 7", admin_exemption=False,
    ),
    SpendingRule(
        forms=_GROUPS, public=True, base=SpendingBase.PRIOR_YEAR_INCOME,
        min_spending_ratio=Decimal("0.70"), max_admin_ratio=Decimal("0.13"),
        source=f"{_ART} 7",
    ),
    SpendingRule(
        forms=_FOUNDATION, public=False, base=SpendingBase.PRIOR_NET_ASSETS,
        min_net_assets=_wan(6000),
        min_spending_ratio=Decimal("0.06"), max_admin_ratio=Decimal("0.12"),
        source=f"{_ART} 8(1)",
    ),
    SpendingRule(
        forms=_FOUNDATION, public=False, base=SpendingBase.PRIOR_NET_ASSETS,
        min_net_assets=_wan(800), max_net_assets=_wan(6000),
        min_spending_ratio=Decimal("0.06"), max_admin_ratio=Decimal("0.13"),
        source=f"{_ART} 8(2)",
    ),
    SpendingRule(
        forms=_FOUNDATION, public=False, base=SpendingBase.PRIOR_NET_ASSETS,
        min_net_assets=_wan(400), max_net_assets=_wan(800),
        min_spending_ratio=Decimal("0.07"), max_admin_ratio=Decimal("0.15"),
        source=f"{_ART} 8(3)",
    ),
    SpendingRule(
        forms=_FOUNDATION, public=False, base=SpendingBase.PRIOR_NET_ASSETS,
        max_net_assets=_wan(400),
        min_spending_ratio=Decimal("0.08"), max_admin_ratio=Decimal("0.20"),
        source=f"{_ART} 8(4)",
    ),
    SpendingRule(
        forms=_GROUPS, public=False, base=SpendingBase.PRIOR_NET_ASSETS,
        min_net_assets=_wan(1000),
        min_spending_ratio=Decimal("0.06"), max_admin_ratio=Decimal("0.13"),
        source=f"{_ART} 9(1)",
    ),
    SpendingRule(
        forms=_GROUPS, public=False, base=SpendingBase.PRIOR_NET_ASSETS,
        min_net_assets=_wan(500), max_net_assets=_wan(1000),
        min_spending_ratio=Decimal("0.07"), max_admin_ratio=Decimal("0.14"),
        source=f"{_ART} 9(2)",
    ),
    SpendingRule(
        forms=_GROUPS, public=False, base=SpendingBase.PRIOR_NET_ASSETS,
        min_net_assets=_wan(100), max_net_assets=_wan(500),
        min_spending_ratio=Decimal("0.08"), max_admin_ratio=Decimal("0.15"),
        source=f"{_ART} 9(3)",
    ),
    SpendingRule(
        forms=_GROUPS, public=False, base=SpendingBase.PRIOR_NET_ASSETS,
        max_net_assets=_wan(100),
        min_spending_ratio=Decimal("0.08"), min_income_ratio=Decimal("0.50"),
        max_admin_ratio=Decimal("0.20"),
        source=f"{_ART} 9(4)",
    ),
)  # fmt: skip
"""The spending floors and administrative-cost ceilings, one row per case, with sources."""

ADMIN_COST_EXEMPTION: Final = Money("200000")
"""Administrative costs below this (200,000 yuan) are exempt from the ceiling (art. 11).

Not for public foundations: their 10% ceiling is the Charity Law's (art. 60), which art. 11
does not relax (:attr:`SpendingRule.admin_exemption`).
"""


def spending_rule_for(
    form: CharityForm,
    *,
    public: bool,
    net_assets: Money,
    table: Sequence[SpendingRule] = SPENDING_RULES,
) -> SpendingRule:
    """The row of ``table`` that governs a charity; ``LookupError`` when none does."""
    for rule in table:
        if rule.applies(form, public=public, net_assets=net_assets):
            return rule
    raise LookupError(
        f"no spending rule for a {form.value} (public fundraising: {public}, net assets "
        f"{net_assets})"
    )


@attrs.frozen(kw_only=True)
class SpendingFigures:
    """The figures of one charity's year that the ratios are made of (all in CNY).

    Attributes:
        year: the year checked.
        charitable_spending: the year's charitable spending (慈善活动支出).
        admin_costs: the year's administrative costs (管理费用).
        total_spending: the year's total spending.
        prior_income: total income of each of the previous three years, latest first
            (missing years may be left out; at least the previous year is needed).
        prior_net_assets: net assets at the end of each of the previous three years,
            latest first.
    """

    year: int
    charitable_spending: Money
    admin_costs: Money
    total_spending: Money
    prior_income: tuple[Money, ...] = attrs.field(converter=_money_tuple)
    prior_net_assets: tuple[Money, ...] = attrs.field(converter=_money_tuple)


@attrs.frozen(kw_only=True)
class SpendingVerdict:
    """What the law asks of a year, what was done, and whether it is enough.

    Ratios are exact Decimals (``None`` when the base is zero, so no ratio exists).
    ``spending_ok`` holds when either the previous year's base or the three-year average
    meets the floor (art. 10 lets the charity choose; a base of zero or less is met by any
    spending); ``admin_ok`` holds when the ratio is under the ceiling or the costs are
    under the exemption (where the rule allows it).
    """

    rule: SpendingRule
    figures: SpendingFigures
    spending_ratio: Decimal | None
    spending_ratio_3y: Decimal | None
    income_ratio: Decimal | None
    admin_ratio: Decimal | None
    spending_ok: bool
    admin_ok: bool
    admin_exempt: bool

    @property
    def ok(self) -> bool:
        """Both the spending floor and the cost ceiling are met."""
        return self.spending_ok and self.admin_ok


def _average(values: Iterable[Money]) -> Money | None:
    items = list(values)
    if not items:
        return None
    return Money.total(items, items[0].currency).divide(len(items))


def _meets(ratio: Decimal | None, base: Money, floor: Decimal) -> bool:
    return not base.is_positive() or (ratio is not None and ratio >= floor)


def assess_spending(
    figures: SpendingFigures,
    form: CharityForm,
    *,
    public: bool,
    table: Sequence[SpendingRule] = SPENDING_RULES,
    admin_exemption: Money = ADMIN_COST_EXEMPTION,
) -> SpendingVerdict:
    """Judge one year's figures against the rule that governs the charity.

    >>> figures = SpendingFigures(
    ...     year=2020, charitable_spending=Money("650000"), admin_costs=Money("90000"),
    ...     total_spending=Money("800000"), prior_income=[Money("1000000")],
    ...     prior_net_assets=[Money("3000000")])
    >>> v = assess_spending(figures, CharityForm.SOCIAL_GROUP, public=True)
    >>> v.spending_ratio, v.spending_ok, v.admin_ok, v.admin_exempt
    (Decimal('0.65'), False, True, True)
    """
    if not figures.prior_net_assets:
        raise FieldValueError(
            "prior_net_assets", "needs at least the previous year-end's net assets"
        )
    rule = spending_rule_for(
        form, public=public, net_assets=figures.prior_net_assets[0], table=table
    )
    if rule.base is SpendingBase.PRIOR_YEAR_INCOME:
        bases = figures.prior_income
    else:
        bases = figures.prior_net_assets
    if not bases:
        raise FieldValueError(
            "prior_income", f"needs at least the previous year's income ({rule.source})"
        )
    spent = figures.charitable_spending
    ratio = _ratio(spent, bases[0])
    avg = _average(bases[:3]) if len(bases) >= 3 else None
    ratio_3y = _ratio(spent, avg)
    # A floor is a share of a base; on a base of zero or less it is met by any spending.
    spending_ok = _meets(ratio, bases[0], rule.min_spending_ratio) or (
        avg is not None and _meets(ratio_3y, avg, rule.min_spending_ratio)
    )
    income_ratio = None
    if rule.min_income_ratio is not None and figures.prior_income:
        incomes = figures.prior_income
        income_ratio = _ratio(spent, incomes[0])
        income_avg = _average(incomes[:3]) if len(incomes) >= 3 else None
        income_ok = _meets(income_ratio, incomes[0], rule.min_income_ratio) or (
            income_avg is not None
            and _meets(_ratio(spent, income_avg), income_avg, rule.min_income_ratio)
        )
        if not income_ok:
            spending_ok = False
    admin_ratio = _ratio(figures.admin_costs, figures.total_spending)
    exempt = rule.admin_exemption and figures.admin_costs < admin_exemption
    admin_ok = exempt or admin_ratio is None or admin_ratio <= rule.max_admin_ratio
    return SpendingVerdict(
        rule=rule,
        figures=figures,
        spending_ratio=ratio,
        spending_ratio_3y=ratio_3y,
        income_ratio=income_ratio,
        admin_ratio=admin_ratio,
        spending_ok=spending_ok,
        admin_ok=admin_ok,
        admin_exempt=exempt,
    )


def spending_figures(ledger: Ledger, boundary: Boundary, year: int) -> SpendingFigures:
    """Read one year's spending figures for ``boundary`` off ``ledger`` (in CNY).

    Money counts by where it crosses the boundary (:func:`~humanaid.classify_flow`), as
    every other figure does, not by the flow's kind alone:

    * charitable spending: what the boundary *put in* (:attr:`Crossing.PUT_IN
      <humanaid.Crossing.PUT_IN>`): money and goods leaving to projects, cases,
      households and the providers that serve them, and money sent from outside straight
      to its own projects, whatever the flow's kind;
    * administrative costs: ``ADMIN_EXPENSE`` flows that leave it;
    * total spending: charitable spending, administrative and fundraising costs;
    * income: what was *raised* (from donors) and *brought in* (from other organisations
      and government outside the boundary), and interest that entered it; money moved
      inside (a society's allocation to its own branch), repaid loan principal and
      refunds are not income;
    * net assets at a year end: the balances of the parties inside the boundary (money
      out on loan sits with the loans, outside, and is not counted).

    Previous years are read back from ``year - 1`` until a year in which no flow touched
    the boundary: a year without records is unknown, not zero, and must not pull the
    three-year average down.

    The figures come from one sweep of the ledger's flows (:func:`yearly_books`, which
    the spending-ratio rule runs for every organisation at once): each is what the
    ledger's totals for the year (:meth:`~humanaid.Ledger.totals`) and the balances of
    the parties inside at each year end give.
    """
    return yearly_books(ledger, [boundary])[0].figures(year)


# -- every year's figures of many boundaries, in one sweep ----------------------------------


_CURRENCY: Final = "CNY"
_ZERO: Final = Decimal(0)


class _Year:
    """One boundary's sums for one year, in CNY (exact Decimals, made Money once)."""

    __slots__ = ("admin", "brought_in", "fundraising", "interest_in", "net", "put_in", "raised")

    def __init__(self) -> None:
        self.put_in = self.raised = self.brought_in = self.interest_in = _ZERO
        self.admin = self.fundraising = self.net = _ZERO


class _Books:
    """A boundary's figures for every year, from one sweep of the ledger (:func:`yearly_books`).

    ``active``: the years in which a flow touched a party inside (in any currency);
    ``foreign``: the currencies other than CNY those flows moved, by year.
    """

    def __init__(self) -> None:
        self.years: dict[int, _Year] = defaultdict(_Year)
        self.active: set[int] = set()
        self.foreign: dict[int, set[str]] = {}

    def _money(self, value: Decimal) -> Money:
        return Money(value, _CURRENCY)

    def figures(self, year: int) -> SpendingFigures:
        """What :func:`humanaid.spending_figures` reads off the ledger for ``year``."""
        this = self.years.get(year) or _Year()
        charitable = self._money(this.put_in)
        admin = self._money(this.admin)
        total = charitable + admin + self._money(this.fundraising)
        incomes: list[Money] = []
        assets: list[Money] = []
        for back in (1, 2, 3):
            y = year - back
            if y not in self.active:
                break
            t = self.years.get(y) or _Year()
            incomes.append(
                self._money(t.raised) + self._money(t.brought_in) + self._money(t.interest_in)
            )
            assets.append(self._money(self._net_assets(y)))
        return SpendingFigures(
            year=year,
            charitable_spending=charitable,
            admin_costs=admin,
            total_spending=total,
            prior_income=incomes,
            prior_net_assets=assets,
        )

    def _net_assets(self, year: int) -> Decimal:
        """What the parties inside held at the end of ``year``: every CNY flow up to it."""
        held = _ZERO
        for y, sums in self.years.items():
            if y <= year:
                held = _SUM.add(held, sums.net)
        return held


def yearly_books(ledger: Ledger, boundaries: Sequence[Boundary]) -> list[_Books]:
    """Each boundary's spending figures for every year, in one sweep of ``ledger``'s flows.

    The same figures as :func:`humanaid.spending_figures` gives one boundary and year at
    a time (which reads the ledger's totals four times and every party's account): each
    flow is classified once per boundary it touches (:func:`humanaid.classify_flow`,
    remembered by where its ends stand), so the rule's cost grows with the flows, not with
    flows times organisations times years.
    """
    books = [_Books() for _ in boundaries]
    # A flow counts for a boundary only if it touches a party inside, or pays into the
    # boundary's work (anything else is Crossing.OUTSIDE): index those parties.
    touching: dict[Party, list[int]] = defaultdict(list)
    for i, b in enumerate(boundaries):
        for p in b.parties | b.work:
            touching[p].append(i)
    guessed = [i for i, b in enumerate(boundaries) if b.predicate is not None]
    # Each party once: the boundaries it touches, and (filled as needed) where it stands
    # from each of them, as a small int naming all that classifying a flow depends on,
    # and whether it is inside.
    parties: dict[Party, tuple[tuple[int, ...], dict[int, tuple[int, bool]]]] = {}
    signatures: dict[Hashable, int] = {}
    # (boundary, source's stand, destination's stand, kind) -> (counted at all, internal,
    # put in, raised, brought in)
    decided: dict[tuple[int, int, int, FlowKind], tuple[bool, bool, bool, bool, bool]] = {}
    add, subtract = _SUM.add, _SUM.subtract

    def party(p: Party) -> tuple[tuple[int, ...], dict[int, tuple[int, bool]]]:
        found = parties.get(p)
        if found is None:
            listed = touching.get(p, [])
            extra = [
                i
                for i in guessed
                if i not in listed and (boundaries[i].contains(p) or p in boundaries[i].work)
            ]
            found = parties[p] = (tuple(sorted({*listed, *extra})), {})
        return found

    def stand(i: int, p: Party, known: dict[int, tuple[int, bool]]) -> tuple[int, bool]:
        b = boundaries[i]
        inside = b.contains(p)
        signature = (
            inside,
            p in b.work,
            p in b.platforms,
            p in b.providers,
            p.kind,
            p.id if p.kind is PartyKind.OUTSIDE else None,
        )
        at = known[i] = (signatures.setdefault(signature, len(signatures)), inside)
        return at

    def decide(flow: Flow, i: int) -> tuple[bool, bool, bool, bool, bool]:
        c = classify_flow(flow, boundaries[i])
        return (
            c is not Crossing.OUTSIDE,
            c is Crossing.INTERNAL,
            bool(c & Crossing.PUT_IN),
            bool(c & Crossing.RAISED),
            bool(c & Crossing.BROUGHT_IN),
        )

    interest, admin, fundraising = (
        FlowKind.INTEREST,
        FlowKind.ADMIN_EXPENSE,
        FlowKind.FUNDRAISING_COST,
    )
    # Where a party stands from every boundary is fixed by a few facts about it: its stand
    # from each boundary it touches, and, for the others (where it is neither inside nor
    # in the work), its kind, its label if it is outside, and the boundaries that count
    # it a platform or a provider. Parties alike in these are one class (a small int,
    # above zero if the party touches a boundary), and two flows whose ends are of the
    # same classes, of the same kind, year and currency, count alike everywhere: the
    # sweep only adds each flow's amount to its (classes, kind, year, currency) sum, and
    # each sum is then counted once, as any of its flows would be (every count is a sum,
    # and exact).
    platform_of: dict[Party, list[int]] = defaultdict(list)
    provider_of: dict[Party, list[int]] = defaultdict(list)
    for i, b in enumerate(boundaries):
        for p in b.platforms:
            platform_of[p].append(i)
        for p in b.providers:
            provider_of[p].append(i)
    # by the party object's identity: an int's hash, not a call of Party.__hash__ for each
    # end of each flow (equal parties made apart are classed apart, alike; the ledger
    # keeps every one of them alive while the sweep runs, and the gifts' parties are
    # shared and kept by the ledger's list of them: _Gifts.ends)
    classes: dict[int, int] = {}
    class_ids: dict[Hashable, int] = {}

    # Parties that no boundary names, in its parties, work, platforms or providers (most
    # donors and households), when no boundary guesses by a predicate: their facts are
    # their kind and, outside, their label only, so their class is found from those
    # without the per-party lookups below.
    named = touching.keys() | platform_of.keys() | provider_of.keys()
    unnamed: dict[Hashable, int] = {}

    def class_of(p: Party) -> int:
        if not guessed and p not in named:
            kind = p.kind
            plain: Hashable = (kind, p.id) if kind is PartyKind.OUTSIDE else kind
            found = unnamed.get(plain)
            if found is None:
                facts: Hashable = ((), kind, p.id if kind is PartyKind.OUTSIDE else None, (), ())
                found = class_ids.get(facts)
                if found is None:
                    found = class_ids[facts] = -(len(class_ids) + 1)  # touches no boundary
                unnamed[plain] = found
            classes[id(p)] = found
            return found
        rel, known = party(p)
        profile = tuple((i, *(known.get(i) or stand(i, p, known))) for i in rel)
        facts = (
            profile,
            p.kind,
            p.id if p.kind is PartyKind.OUTSIDE else None,
            tuple(platform_of.get(p, ())),
            tuple(provider_of.get(p, ())),
        )
        found = class_ids.get(facts)
        if found is None:
            # above zero for a party that touches a boundary, below for one that does not
            found = class_ids[facts] = (len(class_ids) + 1) * (1 if rel else -1)
        classes[id(p)] = found
        return found

    # (source's class, destination's class, kind, year, currency) -> [amount, a flow]
    sums_of: dict[tuple[int, int, FlowKind, int, str], list[Any]] = {}
    get_class, get_sum = classes.get, sums_of.get
    # A dataset's ledger holds its gifts as donations: the other flows are swept here,
    # the gifts below from the donations (no flow made but one for each new sum).
    split = ledger._without_gifts()
    flow: Flow
    for flow in ledger.flows if split is None else split[0]:
        src, dst = flow.source, flow.destination
        s_class = get_class(id(src))
        if s_class is None:
            s_class = class_of(src)
        d_class = get_class(id(dst))
        if d_class is None:
            d_class = class_of(dst)
        if s_class < 0 and d_class < 0:
            continue
        money = flow.amount
        key = (s_class, d_class, flow.kind, flow.on.year, money.currency)
        held = get_sum(key)
        if held is None:
            sums_of[key] = [money.amount, flow]
        else:
            held[0] = add(held[0], money.amount)
    if split is not None:
        # The gifts' flows, each read from its donation (:func:`_gift_parts`): a gift of
        # its value from its source to its destination, its positive fees from there to
        # its platform, on its day. A sum's first flow is made (:func:`_gift_flows`) to
        # be classified as the flow sweep would classify it.
        gifts = split[1]
        gift_kind = FlowKind.DONATION
        for donation, src, dst, platform in gifts.ends():
            s_class = get_class(id(src))
            if s_class is None:
                s_class = class_of(src)
            d_class = get_class(id(dst))
            if d_class is None:
                d_class = class_of(dst)
            year = donation.received_on.year
            if s_class > 0 or d_class > 0:
                money = donation.value
                key = (s_class, d_class, gift_kind, year, money.currency)
                held = get_sum(key)
                if held is None:
                    sums_of[key] = [money.amount, _gift_flows((donation,))[0]]
                else:
                    held[0] = add(held[0], money.amount)
            if platform is None:
                continue
            p_class = get_class(id(platform))
            if p_class is None:
                p_class = class_of(platform)
            if d_class < 0 and p_class < 0:
                continue
            money = donation.fees
            key = (d_class, p_class, fundraising, year, money.currency)
            held = get_sum(key)
            if held is None:
                sums_of[key] = [money.amount, _gift_flows((donation,))[1]]
            else:
                held[0] = add(held[0], money.amount)
    for (_, _, kind, year, currency), (amount, flow) in sums_of.items():
        src, dst = flow.source, flow.destination
        s_rel, s_known = parties.get(src) or party(src)
        d_rel, d_known = parties.get(dst) or party(dst)
        cny = currency == _CURRENCY
        for i in {*s_rel, *d_rel} if s_rel and d_rel else s_rel or d_rel:
            s_id, s_in = s_known.get(i) or stand(i, src, s_known)
            d_id, d_in = d_known.get(i) or stand(i, dst, d_known)
            book = books[i]
            if s_in or d_in:
                book.active.add(year)
                if not cny:
                    book.foreign.setdefault(year, set()).add(currency)
            if not cny:
                continue
            key4 = (i, s_id, d_id, kind)
            how = decided.get(key4)
            if how is None:
                how = decided[key4] = decide(flow, i)
            counted, internal, put, raised, brought = how
            if not counted:
                continue
            sums = book.years[year]
            if d_in and not s_in:
                sums.net = add(sums.net, amount)
            elif s_in and not d_in:
                sums.net = subtract(sums.net, amount)
            if not internal:
                if d_in:
                    if kind is interest:
                        sums.interest_in = add(sums.interest_in, amount)
                elif s_in:
                    if kind is admin:
                        sums.admin = add(sums.admin, amount)
                    elif kind is fundraising:
                        sums.fundraising = add(sums.fundraising, amount)
            if put:
                sums.put_in = add(sums.put_in, amount)
            if raised:
                sums.raised = add(sums.raised, amount)
            if brought:
                sums.brought_in = add(sums.brought_in, amount)
    return books
