"""Charity-law spending ratios as a dataset rule (see :mod:`humanaid.compliance`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from humanaid._decimal import EXACT as _SUM
from humanaid._decimal import percent
from humanaid.compliance import (
    SPENDING_RULES,
    CharityForm,
    SpendingFigures,
    SpendingRule,
    SpendingVerdict,
    assess_spending,
)
from humanaid.findings import Finding, Severity
from humanaid.funds import (
    Boundary,
    Crossing,
    Flow,
    FlowKind,
    Ledger,
    Party,
    PartyKind,
    classify_flow,
)
from humanaid.money import Money

if TYPE_CHECKING:
    from humanaid.dataset import Dataset, Rule

__all__ = ["DEFAULT_CHARITY_FORMS", "charity_spending_ratios", "spending_ratio_rule"]

DEFAULT_CHARITY_FORMS: Final[Mapping[str, CharityForm]] = MappingProxyType(
    {
        "foundation": CharityForm.FOUNDATION,
        "social_group": CharityForm.SOCIAL_GROUP,
        "red_cross_society": CharityForm.SOCIAL_GROUP,
    }
)
"""Organisation kind -> the legal form whose ratios apply (other kinds are not checked)."""


def spending_ratio_rule(
    *,
    years: Sequence[int] | None = None,
    forms: Mapping[str, CharityForm] | None = None,
    table: Sequence[SpendingRule] = SPENDING_RULES,
) -> Rule:
    """Make a spending-ratio rule with your own years, forms or threshold table.

    Args:
        years: the years to check (default: every year with flows in it and the year
            before).
        forms: organisation id or kind -> legal form (ids win over kinds); default
            :data:`DEFAULT_CHARITY_FORMS`.
        table: the thresholds (default :data:`humanaid.SPENDING_RULES`).
    """
    chosen = dict(DEFAULT_CHARITY_FORMS if forms is None else forms)

    def charity_spending_ratios(dataset: Dataset) -> Iterator[Finding]:
        """Check each charity's yearly spending and administrative costs against the law.

        Rule codes ``compliance.spending-below-floor`` and
        ``compliance.admin-above-ceiling``; each finding states the figures, the ratio,
        the threshold and its legal source. The ratios are taken in CNY: a year whose
        figures would need money in another currency (flows of that year or of the
        previous years it is judged against) is not judged but reported as
        ``compliance.currency-not-counted`` (a warning), since converting needs a rate.
        """
        collections = dataset.collection_types()
        if "organizations" not in collections or "funds" not in collections:
            return
        holders = {f.organization_id for f in dataset.records("funds")}
        judged: list[tuple[Any, CharityForm, Boundary]] = []
        for org in dataset.records("organizations"):
            form = chosen.get(org.id) or chosen.get(str(getattr(org, "kind", "")))
            if form is None or org.id not in holders:
                continue
            judged.append((org, form, Boundary.organization(dataset, org.id)))
        if not judged:
            return
        ledger = dataset.ledger()
        books = yearly_books(ledger, [b for _, _, b in judged])
        flow_years = sorted({f.on.year for f in ledger.flows}) if years is None else []
        for (org, form, _), book in zip(judged, books, strict=True):
            if not book.active:
                continue  # no flow touched it: nothing to judge
            check = (
                years
                if years is not None
                else [y for y in flow_years if y in book.active and y - 1 in book.active]
            )
            for year in check:
                figures = book.figures(year)
                if not figures.prior_net_assets:
                    continue  # nothing is known of the year before: no ratio to judge
                used = range(year - len(figures.prior_net_assets), year + 1)
                others = sorted(set().union(*(book.foreign.get(y, set()) for y in used)))
                if others:
                    yield _not_counted(org.id, year, others)
                    continue
                public = _holds_public(org, date(year, 12, 31))
                verdict = assess_spending(figures, form, public=public, table=table)
                yield from _findings(org.id, form, public, verdict)

    return charity_spending_ratios


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
    # keeps every one of them alive while the sweep runs)
    classes: dict[int, int] = {}
    class_ids: dict[Hashable, int] = {}

    def class_of(p: Party) -> int:
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
    flow: Flow
    for flow in ledger.flows:
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


def _not_counted(org_id: str, year: int, currencies: Sequence[str]) -> Finding:
    listed = ", ".join(currencies)
    return Finding(
        rule="compliance.currency-not-counted",
        severity=Severity.WARNING,
        subject=org_id,
        message=(
            f"{org_id}'s spending ratios for {year} were not judged: the ratios are taken in "
            f"CNY and money in {listed} moved in that year or the years before it; convert "
            "it to CNY to have them judged"
        ),
        figures={"year": year, "currencies": listed},
    )


def _holds_public(org: Any, on: date) -> bool:
    holds = getattr(org, "holds", None)
    return bool(holds("public_fundraising", on=on)) if callable(holds) else False


def _findings(
    org_id: str, form: CharityForm, public: bool, v: SpendingVerdict
) -> Iterator[Finding]:
    f = v.figures
    kind = f"{'public' if public else 'non-public'} {form.value.replace('_', ' ')}"
    if not v.spending_ok:
        base = (
            "previous year's income"
            if v.rule.base.value == "prior_year_income"
            else ("previous year-end net assets")
        )
        yield Finding(
            rule="compliance.spending-below-floor",
            severity=Severity.ERROR,
            subject=org_id,
            message=(
                f"{org_id} ({kind}) spent {f.charitable_spending.format(unit='万元')} on "
                f"charitable activities in {f.year}: {percent(v.spending_ratio)} of its {base}"
                f" (three-year average: {percent(v.spending_ratio_3y)}), below the "
                f"{percent(v.rule.min_spending_ratio)} floor"
                + (
                    f" or {percent(v.income_ratio)} of income, "
                    f"below {percent(v.rule.min_income_ratio)}"
                    if v.rule.min_income_ratio is not None
                    else ""
                )
                + f" ({v.rule.source})"
            ),
            figures={
                "year": f.year,
                "charitable_spending": f.charitable_spending,
                "base": (f.prior_income if v.rule.base.value == "prior_year_income"
                         else f.prior_net_assets)[0],
                "ratio": v.spending_ratio if v.spending_ratio is not None else "n/a",
                "floor": v.rule.min_spending_ratio,
                "source": v.rule.source,
            },
        )  # fmt: skip
    if not v.admin_ok:
        yield Finding(
            rule="compliance.admin-above-ceiling",
            severity=Severity.ERROR,
            subject=org_id,
            message=(
                f"{org_id} ({kind}) spent {f.admin_costs.format(unit='万元')} on administration"
                f" in {f.year}: {percent(v.admin_ratio)} of its total spending of "
                f"{f.total_spending.format(unit='万元')}, above the "
                f"{percent(v.rule.max_admin_ratio)} ceiling ({v.rule.source})"
            ),
            figures={
                "year": f.year,
                "admin_costs": f.admin_costs,
                "total_spending": f.total_spending,
                "ratio": v.admin_ratio if v.admin_ratio is not None else "n/a",
                "ceiling": v.rule.max_admin_ratio,
                "source": v.rule.source,
            },
        )


charity_spending_ratios = spending_ratio_rule()
"""The built-in spending-ratio rule: every charity, every year with a year before it."""
