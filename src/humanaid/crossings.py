"""Counting money by where it crosses a boundary, over the records or in a columnar engine.

:func:`boundary_totals` gives a dataset's :class:`~humanaid.BoundaryTotals`: what a
boundary (an organisation and its funds, a fund, a project ...) raised, brought in,
moved inside and put in, each flow counted once by where it crosses
(:func:`~humanaid.classify_flow`). Over records it is the ledger's
:meth:`~humanaid.Ledger.totals`. When the dataset's large collections are columnar
(:func:`humanaid.interop.columnar.scan`), no :class:`~humanaid.Flow` is made for each
record and no record is read back: a grouping query per collection, run in its engine,
sums the records that imply flows with the same ends and kind, the ends found by the
very functions that derive the ledger's flows (:func:`~humanaid.ledger.distribution_payer`,
:func:`~humanaid.ledger.case_payer`, :func:`~humanaid.ledger.case_payment_day` ...),
and :func:`~humanaid.crossing_totals`, the count behind ``Ledger.totals``, counts them.
:func:`humanaid.year_at_a_glance` reads its money the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final, cast

from humanaid.aggregate import (
    FieldCondition,
    _tabulate_rows,
    all_of,
    any_of,
    count,
    field_between,
    field_in,
    field_is,
    field_not_in,
)
from humanaid.cases import Case, Distribution
from humanaid.dataset import Dataset
from humanaid.funds import (
    Boundary,
    BoundaryTotals,
    Flow,
    FlowKind,
    Ledger,
    Party,
    PartyKind,
    _new_flow,
)
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.periods import Period
from humanaid.projects import SUMMED

__all__ = ["boundary_totals"]


def _in_period(period: Period | None, field: str) -> FieldCondition | None:
    return None if period is None else field_between(field, period.start, period.end)


def _as_period(period: Period | int | None) -> Period | None:
    if period is None or isinstance(period, Period):
        return period
    if isinstance(period, bool) or not isinstance(period, int):
        raise TypeError(f"'period' must be a Period or an int year (got {period!r})")
    return Period.year(period)


# When a dataset's large collections are columnar (humanaid.interop.columnar.scan), the
# money a boundary counts is found without a Flow per record: a grouping query per
# collection gives the sums of the records that would imply the same flow ends, and the
# ends come from the very functions the ledger derives flows with (_gift_ends,
# distribution_payer, case_payer, case_payee, case_payment_day); crossing_totals, the
# count behind Ledger.totals, classifies them. The small collections are read as records.

_ENGINE_COLLECTIONS: Final = (
    "donations",
    "flows",
    "distributions",
    "cases",
    "screenings",
    "persons",
    "households",
    "repayments",
)
_ORIGIN_COLLECTIONS: Final = (
    "donations",
    "refunds",
    "distributions",
    "cases",
    "loans",
    "repayments",
    "write_offs",
)
_NOTHING: Final = Decimal(0)
_ANY_ID: Final = "any"
"""The id of a party standing for every party of its kind (the boundary tells none apart)."""

# (source, destination, kind, currency, a refund's own flow) -> amount
_MoveKey = tuple[Party, Party, FlowKind, str, bool]


def _sum_of(path: str, where: FieldCondition | None = None) -> Any:
    from humanaid.aggregate import sum_of

    return sum_of(path, where=where)


def _gift_ends(gift: Any) -> tuple[Party, Party]:
    from humanaid.funds import _gift_ends as ends

    return ends(gift)


def _engine_held(dataset: Dataset) -> bool:
    """Whether one of the dataset's large collections is held in a columnar engine."""
    return any(
        getattr(type(dataset.records(name, missing_ok=True)), "__humanaid_tabulate__", None)
        is not None
        for name in _ENGINE_COLLECTIONS
    )


def _grouped(
    records: Iterable[Any],
    keys: Sequence[str],
    measures: Mapping[str, Any] | None = None,
    where: Callable[[Any], bool] | None = None,
    *,
    ordered: bool = True,
) -> list[tuple[Any, ...]]:
    """The groups of a :func:`~humanaid.aggregate.tabulate` query: key values, then measures.

    In the table's order (by the keys), without building the table; in no order unless
    ``ordered`` (the caller sorts them as it needs).
    """
    by = {f"k{i}": key for i, key in enumerate(keys)}
    measured = measures or {"n": count()}
    return _tabulate_rows(records, by=by, measures=measured, where=where, ordered=ordered)


def _tells_apart(boundary: Boundary, kind: PartyKind) -> bool:
    """Whether parties of ``kind`` may stand in different places for ``boundary``."""
    if boundary.predicate is not None:
        return True
    groups = (boundary.parties, boundary.work, boundary.platforms, boundary.providers)
    return any(p.kind is kind for group in groups for p in group)


def _stand_in(**fields: Any) -> Any:
    """A record's fields, for the functions that read a record's ends (duck-typed)."""
    import types

    return types.SimpleNamespace(**fields)


class _Moved:
    """The money a dataset moves, summed by ends, kind and currency, found by queries."""

    def __init__(self, dataset: Dataset, boundary: Boundary, period: Period | None) -> None:
        from humanaid._decimal import EXACT
        from humanaid.funds import duplicate_transactions, reversed_ids

        self._add = EXACT.add
        self.dataset, self.boundary, self.period = dataset, boundary, period
        self.sums: dict[_MoveKey, Decimal] = {}
        reversals = dataset.records("reversals", missing_ok=True)
        self._reversed_ids, self._duplicates = reversed_ids, duplicate_transactions
        self.reversals = reversals
        self.flows_left_out = self._left_out("flows", "on")
        self.gifts_left_out = self._left_out("donations", "received_on")
        self.covered = self._covered()

    # -- what the books leave out, and what is booked by hand

    def _left_out(self, collection: str, day: str) -> frozenset[str]:
        """:meth:`_not_booked`, found once a dataset (every boundary and year shares it)."""
        derived = getattr(self.dataset, "derived", None)
        if derived is None:
            return frozenset(self._not_booked(collection, day))
        key = f"crossings:not-booked:{collection}"
        return cast(
            frozenset[str], derived(key, lambda _: frozenset(self._not_booked(collection, day)))
        )

    def _not_booked(self, collection: str, day: str) -> set[str]:
        """The ids :func:`humanaid.ledger.not_booked` names in ``collection``, by queries."""
        records = self.dataset.records(collection, missing_ok=True)
        undone = set(self._reversed_ids(self.reversals, collection))
        repeated = getattr(records, "repeated", None)  # a columnar source: HAVING in the engine
        refs = (
            sorted(repeated("transaction_ref"))
            if repeated is not None
            else [r for r, n in _grouped(records, ("transaction_ref",)) if r is not None and n > 1]
        )
        if not refs:
            return undone
        rows = _grouped(  # (in no order: duplicate_transactions orders them by day, then id)
            records,
            ("transaction_ref", day, "id"),
            where=field_is("transaction_ref", *refs),
            ordered=False,
        )
        entries = [
            _Entry(transaction_ref=ref, day=on, id=id_)
            for ref, on, id_, n in rows
            for _ in range(n)
            if id_ not in undone
        ]
        return undone | set(self._duplicates(entries, day=_entry_day))

    def _covered(self) -> set[tuple[str, str]]:
        """The records a booked flow stands for (:func:`humanaid.ledger.records_paid_by`)."""
        flows = self.dataset.flows
        out: set[tuple[str, str]] = set()
        where = field_is("origin.collection", *_ORIGIN_COLLECTIONS)
        for fid, collection, oid, _ in _grouped(
            flows, ("id", "origin.collection", "origin.id"), where=where
        ):
            if fid not in self.flows_left_out:
                out.add((collection, oid))
        where = field_is("destination.kind", PartyKind.CASE)
        for fid, case_id, _ in _grouped(flows, ("id", "destination.id"), where=where):
            if fid not in self.flows_left_out:
                out.add(("cases", case_id))
        return out

    def _covered_ids(self, collection: str) -> set[str]:
        return {i for c, i in self.covered if c == collection}

    def _in(self, day: date | None) -> bool:
        return self.period is None or (day is not None and day in self.period)

    def _when(self, field: str) -> FieldCondition | None:
        return _in_period(self.period, field)

    def add(self, key: _MoveKey, amount: Decimal) -> None:
        if amount:
            self.sums[key] = self._add(self.sums.get(key, _NOTHING), amount)

    def items(self, currency: str) -> Iterator[tuple[Party, Party, FlowKind, Decimal]]:
        """What moved in ``currency``: ``(source, destination, kind, amount)``, none zero."""
        for (src, dst, kind, cur, _), amount in self.sums.items():
            if cur == currency and amount:
                yield src, dst, kind, amount

    def currencies(self) -> set[str]:
        return {key[3] for key, amount in self.sums.items() if amount}

    # -- the collections, each a query of sums (and one of what to take off again)

    def all(self, *, left_out_flows: Iterable[str] = ()) -> _Moved:
        self.booked_flows(left_out_flows)
        self.gifts()
        self.refunds()
        self.handouts()
        self.cases()
        self.revolving()
        return self

    _FLOW_KEYS: Final = (
        "source.kind",
        "source.id",
        "destination.kind",
        "destination.id",
        "kind",
        "amount.currency",
        "origin.collection",
    )

    def booked_flows(self, left_out: Iterable[str] = ()) -> None:
        flows = self.dataset.flows
        keys = self._FLOW_KEYS
        measures = {"s": _sum_of("amount.amount")}
        for row in _grouped(flows, keys, measures, self._when("on")):
            self._flow(row, 1)
        out = sorted(self.flows_left_out.union(left_out))
        if out:
            for row in _grouped(flows, (*keys, "on"), measures, field_is("id", *out)):
                if self._in(row[7]):
                    self._flow((*row[:7], row[8]), -1)

    def _flow(self, row: tuple[Any, ...], sign: int) -> None:
        sk, si, dk, di, kind, cur, collection, amount = row
        src, dst = Party(kind=sk, id=si), Party(kind=dk, id=di)
        self.add((src, dst, kind, cur, collection == "refunds"), sign * Decimal(amount or 0))

    def gifts(self) -> None:
        from humanaid.funds import _ANONYMOUS, _outside_label

        by_donor = _tells_apart(self.boundary, PartyKind.DONOR)
        keys = (
            "organization_id",
            "fund_id",
            "restricted_to.fund_id",
            "platform",
            "value.currency",
            "fees.currency",
            *(("donor_id",) if by_donor else ()),
        )
        measures = {
            "value": _sum_of("value.amount"),
            "anonymous": _sum_of("value.amount", where=field_is("donor_id", None)),
            "fees": _sum_of("fees.amount"),
        }

        def emit(row: tuple[Any, ...], sign: int) -> None:
            org, fund, restricted, platform, cur, fee_cur = row[:6]
            donor = row[6] if by_donor else _ANY_ID
            value, anonymous, fees = (Decimal(v or 0) for v in row[-3:])
            gift = _stand_in(
                donor_id=donor,
                fund_id=fund,
                restricted_to=None if restricted is None else _stand_in(fund_id=restricted),
                organization_id=org,
            )
            source, held = _gift_ends(gift)
            if donor is not None:
                self.add((source, held, FlowKind.DONATION, cur, False), sign * (value - anonymous))
            self.add((_ANONYMOUS, held, FlowKind.DONATION, cur, False), sign * anonymous)
            platform_party = Party.outside(_outside_label(platform or "platform"))
            self.add((held, platform_party, FlowKind.FUNDRAISING_COST, fee_cur, False), sign * fees)

        gifts = self.dataset.donations
        out = sorted(self.gifts_left_out | self._covered_ids("donations"))
        without = getattr(gifts, "without", None)  # a columnar source: left out in the engine
        if out and without is not None:
            gifts, out = without("id", out), []
        for row in _grouped(gifts, keys, measures, self._when("received_on")):
            emit(row, 1)
        if out:
            for row in _grouped(gifts, (*keys, "received_on"), measures, field_is("id", *out)):
                if self._in(row[len(keys)]):
                    emit((*row[: len(keys)], *row[-3:]), -1)

    def gift_ends(self, ids: Iterable[str]) -> dict[str, tuple[Party, Party, date, str]]:
        """The booked gifts with these ids: where each came from and went, its day, currency."""
        keys = (
            "id",
            "donor_id",
            "organization_id",
            "fund_id",
            "restricted_to.fund_id",
            "received_on",
            "value.currency",
        )
        out: dict[str, tuple[Party, Party, date, str]] = {}
        if not ids:
            return out
        rows = _grouped(self.dataset.donations, keys, where=field_is("id", *sorted(ids)))
        for gid, donor, org, fund, restricted, on, cur, _ in rows:
            if gid in self.gifts_left_out:
                continue
            gift = _stand_in(
                donor_id=donor,
                fund_id=fund,
                restricted_to=None if restricted is None else _stand_in(fund_id=restricted),
                organization_id=org,
            )
            source, held = _gift_ends(gift)
            out[gid] = (source, held, on, cur)
        return out

    def refund_flows(self) -> Iterator[tuple[Any, Party, Party]]:
        """Each booked refund no flow stands for, with where it comes from and goes to."""
        refunds = self.dataset.records("refunds", missing_ok=True)
        if not refunds:
            return
        undone = self._reversed_ids(self.reversals, "refunds")
        kept = [r for r in refunds if r.id not in undone]
        twice = self._duplicates(kept, day=_refund_on)
        booked = [r for r in kept if r.id not in twice]
        gifts = self.gift_ends({r.donation_id for r in booked})
        paid = self._covered_ids("refunds")
        for refund in booked:
            gift = gifts.get(refund.donation_id)
            if gift is None or refund.id in paid:
                continue
            donor, held, received_on, cur = gift
            if refund.on < received_on or refund.amount.currency != cur:
                continue
            yield refund, held, donor

    def refunds(self) -> None:
        for refund, held, donor in self.refund_flows():
            if self._in(refund.on):
                key = (held, donor, FlowKind.REFUND, refund.amount.currency, True)
                self.add(key, refund.amount.amount)

    def handouts(self) -> None:
        from humanaid.ledger import distribution_payer

        by_household = _tells_apart(self.boundary, PartyKind.HOUSEHOLD)
        keys = (
            "fund_id",
            "project_id",
            "campaign_id",
            "program_id",
            "value.currency",
            *(("household_id",) if by_household else ()),
        )
        measures = {"s": _sum_of("value.amount")}

        def emit(row: tuple[Any, ...], sign: int) -> None:
            fund, project, campaign, program, cur = row[:5]
            household = row[5] if by_household else _ANY_ID
            handout = _stand_in(
                fund_id=fund, project_id=project, campaign_id=campaign, program_id=program
            )
            payer = distribution_payer(self.dataset, cast(Distribution, handout))
            if payer is not None:
                key = (payer, Party.household(household), FlowKind.DISBURSEMENT, cur, False)
                self.add(key, sign * Decimal(row[-1] or 0))

        handed = self.dataset.distributions
        for row in _grouped(handed, keys, measures, self._when("on")):
            emit(row, 1)
        out = sorted(self._covered_ids("distributions"))
        if out:
            for row in _grouped(handed, (*keys, "on"), measures, field_is("id", *out)):
                if self._in(row[len(keys)]):
                    emit((*row[: len(keys)], row[-1]), -1)

    _CASE_KEYS: Final = (
        "id",
        "fund_id",
        "project_id",
        "program_id",
        "hospital_id",
        "person_id",
        "household_id",
        "history",
        "paid.currency",
    )

    def case_payments(
        self, where: FieldCondition | None = None
    ) -> Iterator[tuple[str, Party, Party, date, str, Decimal]]:
        """Each paid case no flow stands for: id, payer, payee, day, currency, amount."""
        from humanaid.errors import FieldValueError
        from humanaid.ledger import case_payee, case_payer, case_payment_day

        paid = self._covered_ids("cases")
        measures = {"s": _sum_of("paid.amount")}
        for row in _grouped(self.dataset.cases, self._CASE_KEYS, measures, where):
            cid, fund, project, program, hospital, person, household, history, cur, amount = row
            if amount is None or amount <= 0 or cid in paid:
                continue
            case = _stand_in(fund_id=fund, project_id=project, program_id=program)
            payer = case_payer(self.dataset, cast(Case, case))
            if payer is None:
                continue
            ends = _stand_in(hospital_id=hospital, person_id=person, household_id=household)
            payee = case_payee(cast(Case, ends))
            if payer == payee:
                raise FieldValueError("destination", f"must differ from 'source' (got {payer})")
            on = _case_days(history)
            yield cid, payer, payee, case_payment_day(cast(Case, on)), cur, Decimal(amount)

    def cases(self) -> None:
        for _, payer, payee, day, cur, amount in self.case_payments():
            if self._in(day):
                self.add((payer, payee, FlowKind.DISBURSEMENT, cur, False), amount)

    def revolving_flows(self) -> tuple[Flow, ...]:
        from humanaid.funds import Origin
        from humanaid.revolving import revolving_flows

        if not self.dataset.loans:
            return ()
        covers = [_stand_in(origin=Origin(collection=c, id=i)) for c, i in sorted(self.covered)]
        return revolving_flows(self.dataset, covered_by=cast(list[Flow], covers))

    def revolving(self) -> None:
        for f in self.revolving_flows():
            if self._in(f.on):
                key = (f.source, f.destination, f.kind, f.amount.currency, False)
                self.add(key, f.amount.amount)


def _case_days(history: tuple[Any, ...]) -> Any:
    """A case's days as :func:`~humanaid.ledger.case_payment_day` reads them, from its history."""
    events = cast(Case, _stand_in(history=history))
    served = Case.served_on.fget(events)  # type: ignore[attr-defined]
    return _stand_in(
        served_on=served, reached=lambda status: Case.reached(events, status), history=history
    )


class _Entry:
    """A record's transaction number, day and id, as :func:`duplicate_transactions` reads them."""

    __slots__ = ("day", "id", "transaction_ref")

    def __init__(self, *, transaction_ref: str, day: date, id: str) -> None:
        self.transaction_ref, self.day, self.id = transaction_ref, day, id


def _entry_day(entry: _Entry) -> date:
    return entry.day


def _refund_on(refund: Any) -> date:
    day: date = refund.on
    return day


def boundary_totals(
    dataset: Dataset,
    boundary: Boundary,
    period: Period | int | None = None,
    *,
    currency: str = DEFAULT_CURRENCY,
) -> BoundaryTotals:
    """Money raised, brought in, moved inside and put in for ``boundary``: the dataset's totals.

    The same :class:`~humanaid.BoundaryTotals` as
    ``Ledger.from_dataset(dataset).totals(boundary, period, currency=currency)``. When the
    dataset's large collections (donations, flows, handouts, cases ...) are columnar
    (:func:`humanaid.interop.columnar.scan`), they are not read back and no flow is made
    for each record: a grouping query per collection, run in its engine, sums the
    records that imply flows with the same ends, and those sums are counted by where
    they cross, as the ledger counts its flows (:func:`~humanaid.crossing_totals`). The
    donations come in as ``RAISED`` money where the organisation that received them is
    inside, with their fees leaving as other money out; a handout is money put in by its
    payer; and so on, by the very rules that derive the ledger's flows. Loans,
    repayments and write-offs go through the seed-fund engine, record by record.

    Args:
        dataset: the dataset.
        boundary: what counts as inside (:class:`~humanaid.Boundary`).
        period: a :class:`~humanaid.Period`, a year, or ``None`` for every flow.
        currency: the currency counted (money in others is left out, as the ledger does).

    >>> from datetime import date
    >>> from humanaid import Dataset, Donation, Money, Organization
    >>> rc = Organization(id="rc", name="county society", level="county")
    >>> ds = Dataset(organizations=[rc],
    ...              donations=[Donation(id="g1", organization_id="rc", value=Money("500"),
    ...                                  received_on=date(2020, 5, 1), fees=Money("3"))])
    >>> t = boundary_totals(ds, Boundary.organization(ds, "rc"), 2020)
    >>> t.raised, t.other_out
    (Money('500.00', 'CNY'), Money('3.00', 'CNY'))
    """
    from humanaid.funds import crossing_totals

    when = _as_period(period)
    if not _engine_held(dataset):
        return Ledger.from_dataset(dataset).totals(boundary, when, currency=currency)
    Money.zero(currency)  # checks the code
    moved = _Moved(dataset, boundary, when).all()
    return crossing_totals(moved.items(currency), boundary, when, currency)


# -- the books of the projects and of the village funds, over a columnar dataset ---------------
#
# project_summary and revolving_summary read what project_finance and portfolio_report read:
# the flows touching a project (with the flows they pass on, along parent_id), or those
# touching a village fund. Over a columnar dataset these few flows are fetched by condition
# (ColumnarSource.select) and the records that imply them (a handout or a paid case of a
# project) derived by the ledger's own functions; the domain functions then run unchanged
# over _Books, a view of the dataset whose ledger holds only those flows.

_DERIVED_PREFIXES: Final = (
    "refund:",
    "distribution:",
    "case:",
    "loan:",
    "repayment:",
    "write_off:",
)
"""The flows a record implies that a booked flow may name as its parent (besides gifts)."""


def _pick(records: Any, condition: Any) -> list[Any]:
    """The records that pass ``condition``: filtered by the engine when columnar, read back."""
    if getattr(type(records), "__humanaid_tabulate__", None) is not None:
        return list(records.select(condition))
    return [r for r in records if condition(r)]


def _touching(flows: Any, kind: PartyKind) -> list[Flow]:
    """The flows from or to a party of ``kind`` (one query for both ends), each once."""
    return _pick(flows, any_of(field_is("source.kind", kind), field_is("destination.kind", kind)))


def _covered_by(booked: Any) -> set[tuple[str, str]]:
    """:func:`humanaid.ledger.records_paid_by` of the booked flows, by two grouping queries."""
    out: set[tuple[str, str]] = set()
    where = field_is("origin.collection", *_ORIGIN_COLLECTIONS)
    for collection, oid, _ in _grouped(booked, ("origin.collection", "origin.id"), where=where):
        out.add((collection, oid))
    for case_id, _ in _grouped(
        booked, ("destination.id",), where=field_is("destination.kind", PartyKind.CASE)
    ):
        out.add(("cases", case_id))
    return out


class _Books:
    """A dataset seen through a few parties' books (a :class:`~humanaid.source.RecordSource`).

    Its collections are the dataset's, but for those given in ``indexes`` (the few records
    the books need, by id); its ``ledger()`` holds only ``ledger``'s flows; what domain
    functions derive from it is kept apart from the dataset's own (``derived``, seeded).
    Only for the functions whose figures read no other flows than these.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        ledger: Ledger | None = None,
        indexes: Mapping[str, Mapping[str, Any]] | None = None,
        derived: Mapping[str, Any] | None = None,
    ) -> None:
        self._dataset, self._ledger = dataset, ledger
        self._indexes = dict(indexes or {})
        self._derived: dict[str, Any] = dict(derived or {})

    def collection_types(self) -> dict[str, type]:
        return self._dataset.collection_types()

    def records(self, name: str, *, missing_ok: bool = False) -> tuple[Any, ...]:
        held = self._indexes.get(name)
        if held is not None:
            return tuple(held.values())
        return self._dataset.records(name, missing_ok=missing_ok)

    def index(self, name: str, *, missing_ok: bool = False) -> Mapping[str, Any]:
        held = self._indexes.get(name)
        return held if held is not None else self._dataset.index(name, missing_ok=missing_ok)

    def get(self, name: str, id: str) -> Any | None:
        return self.index(name).get(id)

    def derived(self, key: str, make: Any) -> Any:
        if key not in self._derived:
            self._derived[key] = make(self)
        return self._derived[key]

    def ledger(self) -> Ledger:
        return self._dataset.ledger() if self._ledger is None else self._ledger


def _derived_parents(
    dataset: Dataset, wanted: set[str], covered: set[tuple[str, str]]
) -> list[Flow]:
    """The gifts' flows (and fees) among ``wanted`` parent ids that the ledger holds."""
    from humanaid.funds import donation_flows
    from humanaid.ledger import booked_donations

    ids = {w.split(":", 1)[1] for w in wanted if w.startswith("donation:")}
    ids |= {i.removesuffix(":fees") for i in ids}
    gifts = _pick(booked_donations(dataset), field_in("id", sorted(ids))) if ids else []
    return [
        f
        for g in gifts
        if ("donations", g.id) not in covered
        for f in donation_flows(g)
        if f.id in wanted
    ]


_PLAIN_KEYS: Final = (
    "source.kind",
    "source.id",
    "destination.kind",
    "destination.id",
    "kind",
    "amount.currency",
    "parent_id",
    "origin.collection",
    "origin.id",
)
"""What the engine groups the booked flows into or out of a project by (:func:`_summed_books`)."""

_LAST_DAY: Final = date(9999, 12, 31)


def _booked_flows(dataset: Dataset) -> Any:
    """:func:`humanaid.ledger.booked_flows`, the gifts' transaction numbers left unread.

    The ledger's own rule finds what it leaves out of the flows, the gifts and the
    refunds at once (a grouping query over a million gifts' numbers); the projects'
    books need the flows' share alone, found by the same function. Over records, or
    once the ledger's rule has run, its answer.
    """
    from humanaid.funds import reversed_ids
    from humanaid.ledger import _columnar_not_booked, _flow_day, _is_columnar, booked_flows

    flows: Any = dataset.records("flows", missing_ok=True)
    if not flows or not _is_columnar(flows):
        return booked_flows(dataset)
    reversals = dataset.records("reversals", missing_ok=True)
    by: dict[tuple[str, str], str] = {}
    for x in reversals:
        by.setdefault((x.collection, x.record_id), x.id)
    out: dict[tuple[str, str], str] = {}
    _columnar_not_booked(flows, "flows", reversed_ids(reversals, "flows"), by, _flow_day, out)
    if not out:
        return flows
    return flows.without("id", [rid for _, rid in out])


def _summed_books(
    dataset: Dataset,
    *,
    as_of: date | None,
    currency: str,
    subjects: Collection[str],
) -> _Books | None:
    """The projects' books with the engine's sums standing for the plain flows; or ``None``.

    The figures of :func:`~humanaid.project_finance` read a flow into or out of a project
    by its ends, kind, money and day alone when it passes nothing on (no ``parent_id``),
    pays no case, is in ``currency`` (no rate of its day converts it), falls by
    ``as_of`` and no error finding names it (``subjects``, its id or its origin's). Such
    flows with the same ends, kind and currency are one grouping query's sum, and the
    books hold one flow for each sum (dated ``as_of``), by project, apart from their
    ledger (:data:`humanaid.projects.SUMMED`: the sums are never passed on, traced or
    sorted, so they are neither validated again nor put in the ledger's accounts); the
    handouts a project pays for alike. The other flows are fetched one by one as
    :func:`_project_books` fetches them (with the flows they pass on) and make the
    books' ledger, with the cases those flows pay. ``None`` when a flow passed on is
    itself one of the summed flows (the caller reads them one by one).
    """
    from humanaid.ledger import case_flows, case_payer, distribution_flows

    project, case = PartyKind.PROJECT, PartyKind.CASE
    booked = _booked_flows(dataset)
    covered = _covered_by(booked)
    when = [] if as_of is None else [field_between("on", date.min, as_of)]
    named = sorted(subjects)
    not_named = [field_not_in("id", named)] if named else []
    # out of a project or into one: one scan, each flow once
    end = any_of(field_is("source.kind", project), field_is("destination.kind", project))
    measures = {"s": _sum_of("amount.amount")}
    plain: list[tuple[Any, ...]] = []
    alone: list[Any] = []  # the conditions of the flows fetched one by one
    # (the groups in the engine's order, sorted below by their text: no sort_key a cell)
    rows = _grouped(booked, _PLAIN_KEYS, measures, all_of(end, *when, *not_named), ordered=False)
    parents = cases = other = by_origin = False
    for row in rows:
        sk, si, dk, di, kind, cur, parent, collection, oid, amount = row
        if parent is not None:
            parents = True
        elif dk == case:
            cases = True
        elif collection == "cases":
            by_origin = True
        elif cur != currency:
            other = True
        elif oid is not None and oid in subjects:
            by_origin = True
        else:
            plain.append((sk, si, dk, di, kind, cur, amount))
    if parents:
        alone.append(all_of(end, *when, *not_named, field_not_in("parent_id", [None])))
    if cases:
        alone.append(all_of(end, *when, *not_named, field_is("destination.kind", case)))
    if other:
        alone.append(all_of(end, *when, *not_named, field_not_in("amount.currency", [currency])))
    if by_origin:
        alone.append(all_of(end, *when, *not_named, field_not_in("origin.collection", [None])))
    if named:
        alone.append(all_of(end, field_in("id", named)))
    flows: list[Flow] = []
    seen: set[str] = set()
    for condition in alone:
        found = [
            f
            for f in _pick(booked, condition)
            if f.id not in seen and not _is_plain(f, as_of, currency, subjects)
        ]
        seen |= {f.id for f in found}
        flows += found
    wanted = {f.parent_id for f in flows if f.parent_id} - seen
    while wanted:
        found = _pick(booked, field_in("id", sorted(wanted)))
        missing = wanted - {f.id for f in found}
        found += _derived_parents(dataset, missing, covered)
        missing -= {f.id for f in found}
        if missing or any(
            _touches(f, project) and _is_plain(f, as_of, currency, subjects) for f in found
        ):
            return None  # a parent a record implies, or one the sums hold
        flows += found
        seen |= {f.id for f in found}
        wanted = {f.parent_id for f in found if f.parent_id} - seen
    day = _LAST_DAY if as_of is None else as_of
    plain.sort(key=lambda row: tuple(map(str, row[:6])))  # (each row's ends, kind, currency)
    parties: dict[tuple[Any, Any], Party] = {}  # one Party an end (a project has many sums)

    def party(kind: Any, pid: Any) -> Party:
        made = parties.get((kind, pid))
        if made is None:
            made = parties[kind, pid] = Party(kind=kind, id=pid)
        return made

    summed: dict[Party, list[tuple[Flow, int]]] = {}  # each project's sums, apart from the ledger

    def hold(flow: Flow) -> None:
        for end, sign in ((flow.source, -1), (flow.destination, 1)):
            if end.kind is project:
                summed.setdefault(end, []).append((flow, sign))

    for k, (sk, si, dk, di, kind, cur, amount) in enumerate(plain):
        if amount:
            hold(_sum_flow(f"sum:{k}", party(sk, si), party(dk, di), Money(Decimal(amount), cur),
                           day, kind))  # fmt: skip
    projects = sorted(dataset.index("projects", missing_ok=True))
    if projects:
        pays = [field_is("fund_id", None), field_in("project_id", projects)]
        handed = dataset.records("distributions", missing_ok=True)
        mine = {i for c, i in covered if c == "distributions"} | set(subjects)
        out = [field_not_in("id", sorted(mine))] if mine else []
        dwhen = [] if as_of is None else [field_between("on", date.min, as_of)]
        rows = _grouped(
            handed, ("project_id", "value.currency"), measures | {"s": _sum_of("value.amount")},
            all_of(*pays, *dwhen, *out),
        )  # fmt: skip
        others, households = False, Party.outside("households")
        for k, (pid, cur, amount) in enumerate(rows):
            if cur != currency:
                others = True
            elif amount:
                money = Money(Decimal(amount), cur)
                hold(_sum_flow(f"sum:handouts:{k}", party(project, pid), households, money, day,
                               FlowKind.DISBURSEMENT))  # fmt: skip
        one_by_one: list[Any] = []
        if others:
            one_by_one.append(
                all_of(*pays, *dwhen, *out, field_not_in("value.currency", [currency]))
            )
        if subjects:
            one_by_one.append(all_of(*pays, field_in("id", named)))
        taken: set[str] = set()
        for condition in one_by_one:
            for d in _pick(handed, condition):
                if d.id in taken or ("distributions", d.id) in covered:
                    continue
                taken.add(d.id)
                flows.extend(distribution_flows(d, payer=Party.project(d.project_id)))
        for c in _pick(dataset.records("cases", missing_ok=True), all_of(*pays)):
            if c.paid is None or not c.paid.is_positive() or ("cases", c.id) in covered:
                continue
            payer = case_payer(dataset, c)
            if payer is not None:
                flows.extend(case_flows(c, payer=payer))
    return _Books(
        dataset,
        ledger=Ledger(flows),
        indexes={"cases": _cases_paid(dataset, flows)},
        derived={SUMMED: summed},
    )


def _sum_flow(
    id: str, source: Party, destination: Party, amount: Money, on: date, kind: FlowKind
) -> Flow:
    """A flow standing for an engine's sum of plain flows (:func:`_summed_books`).

    Its parts are checked already (the parties and the money were made, the id is the
    books' own), so it is made without its validators when its money is positive and its
    ends differ, as every sum of valid flows has; else by :class:`~humanaid.Flow`, which
    refuses it with the error a flow of such parts gets.
    """
    if amount.is_positive() and source != destination and isinstance(kind, FlowKind):
        return _new_flow(id=id, source=source, destination=destination, amount=amount, on=on,
                         kind=kind, in_kind=False, origin=None, parent_id=None, purpose=None,
                         note="", transaction_ref=None)  # fmt: skip
    return Flow(id=id, source=source, destination=destination, amount=amount, on=on, kind=kind)


def _touches(flow: Flow, kind: PartyKind) -> bool:
    return flow.source.kind is kind or flow.destination.kind is kind


def _is_plain(flow: Flow, as_of: date | None, currency: str, subjects: Collection[str]) -> bool:
    """Whether :func:`_summed_books` sums ``flow`` (see there), rather than reading it."""
    origin = flow.origin
    return (
        flow.parent_id is None
        and flow.destination.kind is not PartyKind.CASE
        and (origin is None or (origin.collection != "cases" and origin.id not in subjects))
        and flow.amount.currency == currency
        and (as_of is None or flow.on <= as_of)
        and flow.id not in subjects
    )


def _cases_paid(dataset: Dataset, flows: Iterable[Flow]) -> dict[str, Any]:
    """The cases ``flows`` pay (as destination or as origin), by id, fetched by id."""
    paid = set()
    for f in flows:
        if f.destination.kind is PartyKind.CASE:
            paid.add(f.destination.id)
        if f.origin is not None and f.origin.collection == "cases":
            paid.add(f.origin.id)
    cases: dict[str, Any] = {}
    if paid:
        for c in _pick(dataset.records("cases", missing_ok=True), field_in("id", sorted(paid))):
            cases.setdefault(c.id, c)
    return cases


def _project_books(dataset: Dataset) -> _Books | None:
    """The books of the dataset's projects, from queries; ``None`` where they cannot be.

    The ledger holds every flow of ``dataset.ledger()`` into or out of a project: the
    booked flows naming one (fetched by condition), the flows of the handouts and paid
    cases a project pays for with no fund named (fetched by project id, derived by
    :func:`~humanaid.ledger.distribution_flows` and :func:`~humanaid.ledger.case_flows`
    unless a booked flow stands for them), and every flow these pass on along
    ``parent_id`` (booked flows, fetched by id, and gifts). The cases those flows pay
    are the view's ``cases`` (for :func:`~humanaid.payments_before_case`). ``None`` when
    a parent is a flow another record implies (a refund's, a handout's ...): the
    caller then reads the whole ledger.
    """
    from humanaid.ledger import (
        booked_flows,
        case_flows,
        case_payer,
        distribution_flows,
        distribution_payer,
    )

    booked = booked_flows(dataset)
    covered = _covered_by(booked)
    flows: list[Flow] = _touching(booked, PartyKind.PROJECT)
    known = {f.id for f in flows}
    wanted = {f.parent_id for f in flows if f.parent_id} - known
    while wanted:
        found = _pick(booked, field_in("id", sorted(wanted)))
        missing = wanted - {f.id for f in found}
        found += _derived_parents(dataset, missing, covered)
        missing -= {f.id for f in found}
        if any(m.startswith(_DERIVED_PREFIXES) for m in missing):
            return None
        flows += found
        known |= {f.id for f in found}
        wanted = {f.parent_id for f in found if f.parent_id} - known
    projects = sorted(dataset.index("projects", missing_ok=True))
    if projects:
        pays = all_of(field_is("fund_id", None), field_in("project_id", projects))
        for d in _pick(dataset.records("distributions", missing_ok=True), pays):
            payer = distribution_payer(dataset, d)
            if payer is not None and ("distributions", d.id) not in covered:
                flows.extend(distribution_flows(d, payer=payer))
        for c in _pick(dataset.records("cases", missing_ok=True), pays):
            if c.paid is None or not c.paid.is_positive() or ("cases", c.id) in covered:
                continue
            payer = case_payer(dataset, c)
            if payer is not None:
                flows.extend(case_flows(c, payer=payer))
    paid = {f.destination.id for f in flows if f.destination.kind is PartyKind.CASE}
    paid |= {f.origin.id for f in flows if f.origin is not None and f.origin.collection == "cases"}
    cases: dict[str, Any] = {}
    if paid:
        for c in _pick(dataset.records("cases", missing_ok=True), field_in("id", sorted(paid))):
            cases.setdefault(c.id, c)
    return _Books(dataset, ledger=Ledger(flows), indexes={"cases": cases})


def _revolving_books(dataset: Dataset) -> _Books:
    """The village funds' books, from queries (for :func:`~humanaid.portfolio_report`).

    The booked flows touching a village fund, by fund, and the loans, repayments and
    write-offs a booked flow stands for: what ``portfolio_report`` reads of the flows,
    fetched by condition. The loans, repayments and write-offs themselves are read back
    (the seed-fund engine replays each loan's repayments in order).
    """
    from humanaid.revolving.books import _COLLECTIONS, _by_fund, _covered

    booked = _booked_flows(dataset)  # the flows' own share of the ledger's rule
    return _Books(
        dataset,
        derived={
            "revolving:booked-by-fund": _by_fund(_touching(booked, PartyKind.REVOLVING_FUND)),
            "revolving:covered": _covered(
                _pick(booked, field_in("origin.collection", _COLLECTIONS))
            ),
        },
    )
