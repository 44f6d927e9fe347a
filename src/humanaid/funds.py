"""Where the money is: funds, flows between parties, and a ledger that derives balances.

Money moves only as :class:`Flow` records, from a source :class:`Party` to a destination
party: a donor gives to a fund, a fund allocates to another fund, a fund pays a project, a
case or a household, a revolving fund lends to a household and is repaid. No record
stores a balance: :class:`Ledger` derives every balance, statement and total from the
flows, so money cannot appear or vanish.

>>> from datetime import date
>>> from humanaid import Money
>>> flows = [
...     Flow(id="f1", source=Party.donor("d1"), destination=Party.fund("general"),
...          amount=Money("1000"), on=date(2020, 1, 5), kind=FlowKind.DONATION),
...     Flow(id="f2", source=Party.fund("general"), destination=Party.project("p1"),
...          amount=Money("600"), on=date(2020, 2, 1), kind=FlowKind.DISBURSEMENT),
... ]
>>> ledger = Ledger(flows)
>>> ledger.balance(Party.fund("general"))
Money('400.00', 'CNY')
>>> ledger.balance(Party.fund("general"), as_of=date(2020, 1, 31))
Money('1000.00', 'CNY')
"""

from __future__ import annotations

import bisect
import enum
import functools
import hashlib
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

import attrs

from humanaid import _gc
from humanaid._decimal import EXACT as _SUM
from humanaid.donors import Donation, DonationForm
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.periods import Period
from humanaid.records import (
    ID_MAX_LENGTH,
    date_field,
    enum_field,
    id_field,
    instance_of,
    money_field,
    non_empty_text,
    positive,
    ref_field,
    tuple_field,
    valid_id,
)
from humanaid.source import RecordSource

__all__ = [
    "Boundary",
    "BoundaryTotals",
    "Flow",
    "FlowKind",
    "Fund",
    "FundKind",
    "Ledger",
    "Origin",
    "Party",
    "PartyKind",
    "Statement",
    "derived_flow_id",
    "donation_flows",
]


class FundKind(enum.StrEnum):
    """What a fund may be used for.

    ``GENERAL`` money is unrestricted; ``RESTRICTED`` money is kept to the purposes the
    donors set; a ``SPECIAL`` fund (专项基金) is a named fund hosted for an enterprise or
    group that may not raise publicly itself, with its sponsor; a ``PROJECT`` fund
    belongs to one project; a ``REVOLVING`` fund is a village seed fund (种子基金) that
    lends and is repaid.
    """

    GENERAL = "general"
    RESTRICTED = "restricted"
    SPECIAL = "special"
    PROJECT = "project"
    REVOLVING = "revolving"

    @property
    def is_restricted(self) -> bool:
        """Whether money in such a fund is kept to the fund's purpose."""
        return self is not FundKind.GENERAL


@attrs.frozen(kw_only=True)
class Fund:
    """A pot of money that belongs to an organisation.

    Attributes:
        id: the fund's id.
        name: its name, such as "博爱家园 seed fund, 青云村".
        kind: general, restricted, special, project or revolving.
        organization_id: the organisation that holds it.
        sponsor_id: for a special fund, the organisation (enterprise, group) it is hosted
            for; required for ``SPECIAL``.
        project_ids: the projects the fund may pay for (empty: any, for a general fund).
        purposes: purpose tags the fund may pay for (a flow names its ``purpose``).
        opened_on: the day the fund opened, if known.

    A restricted fund with neither ``project_ids`` nor ``purposes`` has no stated purpose
    and can pay for nothing without a finding.

    >>> Fund(id="sf1", name="enterprise special fund", kind="special",
    ...      organization_id="qujing", sponsor_id="acme", purposes=("medical",))
    Fund(id='sf1', name='enterprise special fund', kind=<FundKind.SPECIAL: 'special'>, ...)
    """

    id: str = id_field()
    name: str = attrs.field(validator=non_empty_text)
    kind: FundKind = enum_field(FundKind, default=FundKind.GENERAL)
    organization_id: str = ref_field("organizations")
    sponsor_id: str | None = ref_field("organizations", optional=True)
    project_ids: tuple[str, ...] = tuple_field(str)
    purposes: tuple[str, ...] = tuple_field(str)
    opened_on: date | None = date_field(optional=True)

    def __attrs_post_init__(self) -> None:
        if self.kind is FundKind.SPECIAL and self.sponsor_id is None:
            raise ValueError("'sponsor_id' is required for a special fund (the group it serves)")

    def allows(self, destination: Party, purpose: str | None = None) -> bool:
        """Whether this fund may pay ``destination`` for ``purpose``.

        A general fund may pay anything. A restricted fund may pay a project it names, or
        for a purpose it names.
        """
        if not self.kind.is_restricted:
            return True
        if destination.kind is PartyKind.PROJECT and destination.id in self.project_ids:
            return True
        return purpose is not None and purpose in self.purposes


class PartyKind(enum.StrEnum):
    """The kinds of party money can come from or go to."""

    DONOR = "donor"
    ORGANIZATION = "organization"
    FUND = "fund"
    PROJECT = "project"
    CASE = "case"
    HOUSEHOLD = "household"
    PERSON = "person"
    REVOLVING_FUND = "revolving_fund"
    LOAN = "loan"
    OUTSIDE = "outside"


_COLLECTION_OF: Final = {
    PartyKind.DONOR: "donors",
    PartyKind.ORGANIZATION: "organizations",
    PartyKind.FUND: "funds",
    PartyKind.PROJECT: "projects",
    PartyKind.CASE: "cases",
    PartyKind.HOUSEHOLD: "households",
    PartyKind.PERSON: "persons",
    PartyKind.REVOLVING_FUND: "revolving_funds",
    PartyKind.LOAN: "loans",
}


def _party_id(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    valid_id(instance, attribute, value)


@attrs.frozen(order=True, kw_only=True, cache_hash=True)
class Party:
    """A typed reference to whoever sends or receives money: ``Party.fund("f1")``.

    ``OUTSIDE`` stands for the world beyond the model (a supplier paid for administration,
    a bank, an anonymous giver); its ``id`` is a label such as ``"supplier"``.

    >>> Party.fund("f1")
    Party(kind=<PartyKind.FUND: 'fund'>, id='f1')
    >>> str(Party.household("h7"))
    'household:h7'
    >>> Party.parse("fund:f1") == Party.fund("f1")
    True
    """

    kind: PartyKind = enum_field(PartyKind)
    id: str = attrs.field(validator=_party_id)

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @property
    def collection(self) -> str | None:
        """The dataset collection this party's id refers to (``None`` for ``OUTSIDE``)."""
        return _COLLECTION_OF.get(self.kind)

    @classmethod
    def parse(cls, text: str) -> Party:
        """Read ``"kind:id"`` back into a party."""
        kind, sep, id_ = text.partition(":")
        if not sep:
            raise ValueError(f"a party is written 'kind:id', such as 'fund:f1' (got {text!r})")
        return cls(kind=PartyKind(kind), id=id_)

    @classmethod
    def donor(cls, id: str) -> Party:
        """A donor, by id."""
        return cls(kind=PartyKind.DONOR, id=id)

    @classmethod
    def organization(cls, id: str) -> Party:
        """An organisation (a society, a hospital, an enterprise), by id."""
        return cls(kind=PartyKind.ORGANIZATION, id=id)

    @classmethod
    def fund(cls, id: str) -> Party:
        """A fund, by id."""
        return cls(kind=PartyKind.FUND, id=id)

    @classmethod
    def project(cls, id: str) -> Party:
        """A project, by id."""
        return cls(kind=PartyKind.PROJECT, id=id)

    @classmethod
    def case(cls, id: str) -> Party:
        """An aid case, by id."""
        return cls(kind=PartyKind.CASE, id=id)

    @classmethod
    def household(cls, id: str) -> Party:
        """A household, by id."""
        return cls(kind=PartyKind.HOUSEHOLD, id=id)

    @classmethod
    def person(cls, id: str) -> Party:
        """A person, by id."""
        return cls(kind=PartyKind.PERSON, id=id)

    @classmethod
    def revolving_fund(cls, id: str) -> Party:
        """A village revolving fund, by id."""
        return cls(kind=PartyKind.REVOLVING_FUND, id=id)

    @classmethod
    def loan(cls, id: str) -> Party:
        """A loan (money lent sits with the loan until it is repaid), by id."""
        return cls(kind=PartyKind.LOAN, id=id)

    @classmethod
    def outside(cls, label: str = "world") -> Party:
        """The world beyond the model, with a label such as ``"supplier"``."""
        return cls(kind=PartyKind.OUTSIDE, id=label)


class FlowKind(enum.StrEnum):
    """Why money moved."""

    DONATION = "donation"
    """A gift received (from a donor, or via a platform)."""
    GRANT = "grant"
    """Money from a higher-level society, a foundation or government (引进帮扶资金)."""
    ALLOCATION = "allocation"
    """Money moved between funds or sub-units inside an organisation."""
    DISBURSEMENT = "disbursement"
    """Money or goods paid out to a project, a case or a household (投入帮扶资金物资)."""
    ADMIN_EXPENSE = "admin_expense"
    """Administrative (management) cost."""
    FUNDRAISING_COST = "fundraising_cost"
    """Cost of raising money, such as platform fees."""
    REFUND = "refund"
    """Money given back (to a donor, to a fund)."""
    LOAN_DISBURSEMENT = "loan_disbursement"
    """A revolving fund lends to a household."""
    LOAN_REPAYMENT = "loan_repayment"
    """Principal paid back to a revolving fund."""
    INTEREST = "interest"
    """Interest or fees paid to a revolving fund, or bank interest."""
    WRITE_OFF = "write_off"
    """Loan principal taken off the books as unrecoverable (it leaves to the outside)."""


@attrs.frozen(kw_only=True)
class Origin:
    """The record a flow stems from: ``Origin(collection="donations", id="dn1")``."""

    collection: str = attrs.field(validator=non_empty_text)
    id: str = id_field()


def _note(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Free text: empty, or text without control characters other than line breaks and tabs."""
    if not isinstance(value, str):
        raise TypeError(f"'{attribute.name}' must be a str (got {value!r})")
    plain = value.replace("\n", " ").replace("\r", " ").replace("\t", " ")
    if plain.strip():
        non_empty_text(_, attribute, plain)


@attrs.frozen(kw_only=True)
class Flow:
    """Money moving from one party to another on a day.

    Attributes:
        id: the flow's id; ledgers order flows of one day by it.
        source: who the money comes from.
        destination: who it goes to (never the source).
        amount: how much (positive; a reversal is a flow the other way).
        on: the day it moved.
        kind: why it moved.
        in_kind: True for goods valued in money, False for cash.
        origin: the record it stems from (a donation, a case payment ...), if any.
        parent_id: the flow this one passes on, so pass-through money is traceable and
            counted once.
        purpose: a purpose tag, checked against a restricted fund's purposes.
        note: free text (never personal data).

    >>> Flow(id="x", source=Party.fund("a"), destination=Party.fund("a"),
    ...      amount=Money("1"), on=date(2020, 1, 1), kind="allocation")
    Traceback (most recent call last):
    ...
    ValueError: 'destination' must differ from 'source' (got fund:a)
    """

    id: str = id_field()
    source: Party = attrs.field(validator=instance_of(Party))
    destination: Party = attrs.field(validator=instance_of(Party))
    amount: Money = money_field(validator=positive)
    on: date = date_field()
    kind: FlowKind = enum_field(FlowKind)
    in_kind: bool = attrs.field(default=False, validator=instance_of(bool))
    origin: Origin | None = attrs.field(
        default=None, validator=attrs.validators.optional(instance_of(Origin))
    )
    parent_id: str | None = ref_field("flows", optional=True)
    purpose: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(non_empty_text)
    )
    note: str = attrs.field(default="", validator=_note)

    def __attrs_post_init__(self) -> None:
        if self.source == self.destination:
            raise ValueError(f"'destination' must differ from 'source' (got {self.source})")

    @property
    def sort_key(self) -> tuple[date, str]:
        """Date, then id: the order a ledger applies flows in."""
        return (self.on, self.id)


# -- the ledger ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Statement:
    """One party's account over a period: opening + in - out = closing.

    ``inflows`` and ``outflows`` map each :class:`FlowKind` to its total (kinds with no
    flow are left out).
    """

    party: Party
    period: Period
    opening: Money
    inflow: Money
    outflow: Money
    closing: Money
    inflows: Mapping[FlowKind, Money] = attrs.field(factory=dict)
    outflows: Mapping[FlowKind, Money] = attrs.field(factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.party} {self.period}: opening {self.opening.format(grouping=True)}"
            f" + in {self.inflow.format(grouping=True)} - out {self.outflow.format(grouping=True)}"
            f" = closing {self.closing.format(grouping=True)}"
        )


# Running sums are plain Decimals added in the local, exact context (never the ambient
# one); they become Money only when a balance is asked for.


class _Account:
    """The flows touching one party, as sorted dates and running balances per currency."""

    __slots__ = ("dates", "entries", "running", "sealed")

    def __init__(self) -> None:
        # (+1 in / -1 out, flow), in ledger order: the ledger adds them in date-then-id
        # order, so an account needs no sorting of its own.
        self.entries: list[tuple[int, Flow]] = []
        self.dates: dict[str, list[date]] = {}
        self.running: dict[str, list[Decimal]] = {}
        self.sealed = False

    def seal(self) -> None:
        # Built in locals and published last, so that a thread reading a half-sealed
        # account never sees "sealed" before the balances exist (sealing twice is
        # harmless: it computes the same lists again).
        by_currency: dict[str, tuple[list[date], list[Decimal]]] = {}
        add, subtract = _SUM.add, _SUM.subtract
        for sign, flow in self.entries:
            money = flow.amount
            cur = money.currency
            dates, running = by_currency.setdefault(cur, ([], []))
            last = running[-1] if running else _ZERO
            dates.append(flow.on)
            amount = money.amount
            running.append(add(last, amount) if sign > 0 else subtract(last, amount))
        self.dates = {c: d for c, (d, _) in by_currency.items()}
        self.running = {c: r for c, (_, r) in by_currency.items()}
        self.sealed = True

    def money(self, currency: str, index: int) -> Money:
        return Money(self.running[currency][index], currency)


_ZERO: Final = Decimal(0)
_ON_THEN_ID: Final = operator.attrgetter("on", "id")


class Ledger:
    """Every balance, statement and total, derived from flows.

    Build it from flows, or take a dataset's with :meth:`from_dataset` (which also turns
    donations and loans into the flows they imply, so nobody writes them twice). Flows are
    applied in date order, then by id. Amounts of different currencies are kept apart:
    every query takes a ``currency`` (default the ledger's ``currency``).

    A ledger is immutable once built; its queries are fast (balances by binary search).
    """

    def __init__(self, flows: Iterable[Flow], *, currency: str = DEFAULT_CURRENCY) -> None:
        Money.zero(currency)  # checks the code
        self.currency = currency
        items = list(flows)
        for flow in items:
            if not isinstance(flow, Flow):
                raise TypeError(f"a ledger holds Flow records (got {type(flow).__name__})")
        self._flows: tuple[Flow, ...] = tuple(sorted(items, key=_ON_THEN_ID))
        self._dates: list[date] = [f.on for f in self._flows]
        # Built when first asked for: totals over a million flows need neither.
        self._by_id_cache: dict[str, Flow] | None = None
        self._accounts_cache: dict[Party, _Account] | None = None

    @property
    def _by_id(self) -> dict[str, Flow]:
        if self._by_id_cache is None:
            by_id: dict[str, Flow] = {}
            for flow in self._flows:
                by_id.setdefault(flow.id, flow)
            self._by_id_cache = by_id
        return self._by_id_cache

    @property
    def _accounts(self) -> dict[Party, _Account]:
        """Each party's entries (its running balances are computed on first use)."""
        if self._accounts_cache is None:
            accounts: dict[Party, _Account] = defaultdict(_Account)
            with _gc.paused():
                for flow in self._flows:
                    accounts[flow.source].entries.append((-1, flow))
                    accounts[flow.destination].entries.append((+1, flow))
            self._accounts_cache = dict(accounts)
        return self._accounts_cache

    def _account(self, party: Party) -> _Account | None:
        if not isinstance(party, Party):  # else a lookup of "fund:g" would answer 0.00
            raise TypeError(
                f"'party' must be a Party, such as Party.fund('g') or Party.parse('fund:g')"
                f" (got {type(party).__name__} {party!r})"
            )
        account = self._accounts.get(party)
        if account is not None and not account.sealed:
            account.seal()
        return account

    @classmethod
    def from_dataset(cls, dataset: RecordSource, *, currency: str = DEFAULT_CURRENCY) -> Ledger:
        """The ledger of a dataset: its flows plus the flows its records imply.

        This is the dataset's own :meth:`~humanaid.Dataset.ledger`, built once and kept: the
        flows of ``flows``, plus one for every donation, loan, repayment and write-off that
        no flow already stems from (:func:`humanaid.ledger.dataset_flows`: a donation
        brings its gift in and its platform fees out, so nobody writes it twice). With
        another ``currency`` than that ledger's, a new ledger of the same flows.

        A :class:`~humanaid.source.RecordSource` of your own answers ``ledger()`` with
        :func:`humanaid.ledger.dataset_ledger`, never with this method, which asks it.
        """
        ledger = dataset.ledger()
        if type(ledger) is cls and ledger.currency == currency:
            return ledger
        return cls(ledger.flows, currency=currency)

    # -- looking up ---------------------------------------------------------------------

    @property
    def flows(self) -> tuple[Flow, ...]:
        """All flows, in the order they are applied (date, then id)."""
        return self._flows

    def flow(self, id: str) -> Flow | None:
        """The flow with ``id``, or ``None``."""
        return self._by_id.get(id)

    def parties(self) -> frozenset[Party]:
        """Every party that sent or received money."""
        return frozenset(self._accounts)

    def currencies(self) -> frozenset[str]:
        """Every currency that appears in the flows."""
        return frozenset(f.amount.currency for f in self._flows)

    def __len__(self) -> int:
        return len(self._flows)

    def __repr__(self) -> str:
        return f"Ledger({len(self._flows)} flows, {len(self._accounts)} parties)"

    # -- balances -----------------------------------------------------------------------

    def balance(
        self, party: Party, as_of: date | None = None, *, currency: str | None = None
    ) -> Money:
        """Money in minus money out for ``party``, up to and including ``as_of``.

        For a fund this is what it holds; for a donor it is minus what it gave; for
        ``OUTSIDE`` it is what left the model.
        """
        cur = currency or self.currency
        if as_of is not None and (not isinstance(as_of, date) or isinstance(as_of, datetime)):
            raise TypeError(
                f"'as_of' must be a datetime.date or None (got {type(as_of).__name__} {as_of!r})"
            )
        account = self._account(party)
        if account is None or cur not in account.running:
            return Money.zero(cur)
        if as_of is None:
            return account.money(cur, -1)
        i = bisect.bisect_right(account.dates[cur], as_of)
        return account.money(cur, i - 1) if i else Money.zero(cur)

    def lowest_balance(
        self, party: Party, *, currency: str | None = None
    ) -> tuple[Money, date | None]:
        """The lowest end-of-day balance of ``party`` and the first day it was reached.

        Flows of one day are applied in id order, but a fund is judged on its balance at
        the end of each day.
        """
        cur = currency or self.currency
        account = self._account(party)
        if account is None or cur not in account.running:
            return Money.zero(cur), None
        lowest, when = _ZERO, None
        dates, running = account.dates[cur], account.running[cur]
        for i, (d, value) in enumerate(zip(dates, running, strict=True)):
            if i + 1 < len(dates) and dates[i + 1] == d:
                continue  # not the end of the day yet
            if value < lowest:
                lowest, when = value, d
        return Money(lowest, cur), when

    def entries(self, party: Party) -> Iterator[tuple[Flow, int]]:
        """The flows touching ``party`` in ledger order, each with +1 (in) or -1 (out)."""
        account = self._account(party)
        if account is None:
            return
        for sign, flow in account.entries:
            yield flow, sign

    def inflows(
        self,
        party: Party,
        period: Period | None = None,
        *,
        kind: FlowKind | None = None,
    ) -> tuple[Flow, ...]:
        """The flows into ``party`` (in ``period``, of ``kind``), in ledger order."""
        return tuple(
            f
            for f, sign in self.entries(party)
            if sign > 0 and (period is None or f.on in period) and (kind is None or f.kind is kind)
        )

    def outflows(
        self,
        party: Party,
        period: Period | None = None,
        *,
        kind: FlowKind | None = None,
    ) -> tuple[Flow, ...]:
        """The flows out of ``party`` (in ``period``, of ``kind``), in ledger order."""
        return tuple(
            f
            for f, sign in self.entries(party)
            if sign < 0 and (period is None or f.on in period) and (kind is None or f.kind is kind)
        )

    def statement(self, party: Party, period: Period, *, currency: str | None = None) -> Statement:
        """Opening balance, money in and out by kind, and closing balance over ``period``.

        >>> from datetime import date
        >>> ledger = Ledger([Flow(id="f1", source=Party.donor("d"), destination=Party.fund("g"),
        ...                        amount=Money("10"), on=date(2020, 3, 1), kind="donation")])
        >>> print(ledger.statement(Party.fund("g"), Period.year(2020)))
        fund:g 2020: opening 0.00元 + in 10.00元 - out 0.00元 = closing 10.00元
        """
        cur = currency or self.currency
        if period.start == date.min:  # nothing can have moved before the first day
            opening = Money.zero(cur)
        else:
            opening = self.balance(party, period.start - _ONE_DAY, currency=cur)
        ins: dict[FlowKind, Money] = {}
        outs: dict[FlowKind, Money] = {}
        for flow, sign in self.entries(party):
            if flow.on not in period or flow.amount.currency != cur:
                continue
            bucket = ins if sign > 0 else outs
            bucket[flow.kind] = bucket.get(flow.kind, Money.zero(cur)) + flow.amount
        inflow = Money.total(ins.values(), cur)
        outflow = Money.total(outs.values(), cur)
        return Statement(
            party=party,
            period=period,
            opening=opening,
            inflow=inflow,
            outflow=outflow,
            closing=opening + inflow - outflow,
            inflows=ins,
            outflows=outs,
        )

    def total_held(self, *, currency: str | None = None) -> Money:
        """The sum of every balance except ``OUTSIDE`` and donors: what the model holds.

        Money enters from donors and the outside and leaves to the outside; so this equals
        what entered minus what left (the conservation law the tests check).
        """
        cur = currency or self.currency
        return Money.total(
            (
                self.balance(p, currency=cur)
                for p in self._accounts
                if p.kind not in (PartyKind.OUTSIDE, PartyKind.DONOR)
            ),
            cur,
        )

    # -- tracing ------------------------------------------------------------------------

    def trace(self, flow_id: str) -> tuple[Flow, ...]:
        """The chain of flows that ``flow_id`` passes on, oldest first, ending with it.

        Stops at a missing or repeated parent (a cycle is reported by a rule).
        """
        chain: list[Flow] = []
        seen: set[str] = set()
        current = self._by_id.get(flow_id)
        while current is not None and current.id not in seen:
            chain.append(current)
            seen.add(current.id)
            current = self._by_id.get(current.parent_id) if current.parent_id else None
        return tuple(reversed(chain))

    # -- counting once, against a boundary ----------------------------------------------

    def totals(
        self, boundary: Boundary, period: Period | None = None, *, currency: str | None = None
    ) -> BoundaryTotals:
        """Money entering, moving inside and leaving ``boundary`` (in ``period``).

        Every flow is counted in exactly one of the three: it enters when its source is
        outside the boundary and its destination inside, moves inside when both are
        inside, and leaves when its source is inside and its destination outside. Flows
        wholly outside the boundary are not counted. So "raised", "brought in" and "put
        in" come from the same flows without double counting.
        """
        cur = currency or self.currency
        Money.zero(cur)  # checks the code
        # Exact Decimal sums, made Money once at the end.
        entered: dict[FlowKind, Decimal] = defaultdict(Decimal)
        inside: dict[FlowKind, Decimal] = defaultdict(Decimal)
        left: dict[FlowKind, Decimal] = defaultdict(Decimal)
        left_to: dict[PartyKind, Decimal] = defaultdict(Decimal)
        entered_from: dict[PartyKind, Decimal] = defaultdict(Decimal)
        add = _SUM.add
        contains = boundary.contains
        known: dict[Party, bool] = {}
        flows: Sequence[Flow] = self._flows
        if period is not None:  # the flows are in date order: take the period's slice
            lo = bisect.bisect_left(self._dates, period.start)
            flows = flows[lo : bisect.bisect_right(self._dates, period.end, lo)]
        for flow in flows:
            money = flow.amount
            if money.currency != cur:
                continue
            amount = money.amount
            src, dst = flow.source, flow.destination
            src_in = known.get(src)
            if src_in is None:
                src_in = known[src] = contains(src)
            dst_in = known.get(dst)
            if dst_in is None:
                dst_in = known[dst] = contains(dst)
            if dst_in and not src_in:
                entered[flow.kind] = add(entered[flow.kind], amount)
                entered_from[src.kind] = add(entered_from[src.kind], amount)
            elif src_in and dst_in:
                inside[flow.kind] = add(inside[flow.kind], amount)
            elif src_in:
                left[flow.kind] = add(left[flow.kind], amount)
                left_to[dst.kind] = add(left_to[dst.kind], amount)

        def money_of(sums: Mapping[Any, Decimal]) -> dict[Any, Money]:
            return {k: Money(v, cur) for k, v in sums.items()}

        return BoundaryTotals(
            boundary=boundary,
            period=period,
            currency=cur,
            entered=money_of(entered),
            inside=money_of(inside),
            left=money_of(left),
            entered_from=money_of(entered_from),
            left_to=money_of(left_to),
        )


_ONE_DAY: Final = date(2000, 1, 2) - date(2000, 1, 1)


def _party_set(parties: Iterable[Party]) -> frozenset[Party]:
    return frozenset(parties)


@attrs.frozen(kw_only=True)
class Boundary:
    """What counts as inside when totals are taken.

    An organisation and its sub-units, a project, a region.

    A boundary is a set of parties, or a predicate over parties. Build the usual ones from
    a dataset with :meth:`organization`.

    >>> b = Boundary(name="county", parties=frozenset({Party.fund("g"), Party.organization("c")}))
    >>> b.contains(Party.fund("g")), b.contains(Party.project("p"))
    (True, False)
    """

    name: str = attrs.field(validator=non_empty_text)
    parties: frozenset[Party] = attrs.field(factory=frozenset, converter=_party_set)
    predicate: Callable[[Party], bool] | None = attrs.field(default=None, eq=False)

    def contains(self, party: Party) -> bool:
        """Whether ``party`` is inside."""
        if party in self.parties:
            return True
        return self.predicate is not None and self.predicate(party)

    @classmethod
    def organization(
        cls, dataset: RecordSource, organization_id: str, *, include_children: bool = True
    ) -> Boundary:
        """The organisation, its sub-units (by ``parent_id``) and every fund they hold.

        Projects, cases, households, loans and donors are outside: paying them is money
        put in (投入), not money moved inside.
        """
        orgs = {organization_id}
        collections = dataset.collection_types()
        if include_children and "organizations" in collections:
            children: dict[str, list[str]] = defaultdict(list)
            for org in dataset.records("organizations"):
                parent = getattr(org, "parent_id", None)
                if parent is not None:
                    children[parent].append(org.id)
            stack = [organization_id]
            while stack:
                for child in children.get(stack.pop(), ()):
                    if child not in orgs:
                        orgs.add(child)
                        stack.append(child)
        parties = {Party.organization(o) for o in orgs}
        if "funds" in collections:
            parties |= {
                Party.fund(f.id) for f in dataset.records("funds") if f.organization_id in orgs
            }
        return cls(name=organization_id, parties=frozenset(parties))


@attrs.frozen(kw_only=True)
class BoundaryTotals:
    """Money that entered, moved inside and left a boundary, by kind.

    ``raised`` (gifts received), ``brought_in`` (grants from outside) and ``put_in``
    (money and goods paid out to projects, cases and households) are read off the same
    flows, each counted once.
    """

    boundary: Boundary
    period: Period | None
    currency: str
    entered: Mapping[FlowKind, Money]
    inside: Mapping[FlowKind, Money]
    left: Mapping[FlowKind, Money]
    entered_from: Mapping[PartyKind, Money]
    left_to: Mapping[PartyKind, Money]

    def _sum(self, values: Iterable[Money]) -> Money:
        return Money.total(values, self.currency)

    @property
    def total_entered(self) -> Money:
        """All money that entered the boundary."""
        return self._sum(self.entered.values())

    @property
    def total_inside(self) -> Money:
        """All money moved between parties inside the boundary."""
        return self._sum(self.inside.values())

    @property
    def total_left(self) -> Money:
        """All money that left the boundary."""
        return self._sum(self.left.values())

    @property
    def raised(self) -> Money:
        """Gifts received from outside the boundary (募捐款物)."""
        return self.entered.get(FlowKind.DONATION, Money.zero(self.currency))

    @property
    def brought_in(self) -> Money:
        """Grants received from outside the boundary (引进帮扶资金)."""
        return self.entered.get(FlowKind.GRANT, Money.zero(self.currency))

    @property
    def put_in(self) -> Money:
        """Money and goods paid out to beneficiaries and projects (投入帮扶资金物资).

        Disbursements and loans that leave the boundary.
        """
        return self._sum(
            self.left.get(k, Money.zero(self.currency))
            for k in (FlowKind.DISBURSEMENT, FlowKind.LOAN_DISBURSEMENT)
        )

    @property
    def net_change(self) -> Money:
        """What the boundary holds more at the end: entered minus left."""
        return self.total_entered - self.total_left


# -- donations become flows ---------------------------------------------------------------------


def derived_flow_id(prefix: str, record_id: str, suffix: str = "") -> str:
    """A deterministic id for a flow implied by a record: ``prefix:record_id[suffix]``.

    An id that would pass the 128-character limit uses a SHA-256 digest of the record id
    instead, so every valid record id gives a valid, stable flow id.

    >>> derived_flow_id("donation", "d1", ":fees")
    'donation:d1:fees'
    >>> len(derived_flow_id("donation", "x" * 128, ":fees")) <= 128
    True
    """
    text = f"{prefix}:{record_id}{suffix}"
    if len(text) <= ID_MAX_LENGTH:
        return text
    digest = hashlib.sha256(record_id.encode()).hexdigest()[:32]
    return f"{prefix}:{digest}{suffix}"


def _outside_label(text: str) -> str:
    """A free-text name (a platform's) as an id: stripped, or a digest if still unfit."""
    label = text.strip()
    if label and len(label) <= ID_MAX_LENGTH and label.isprintable():
        return label
    return derived_flow_id("outside", hashlib.sha256(text.encode()).hexdigest()[:32])


_T = TypeVar("_T")


def _trusted(cls: type[_T], **values: Any) -> _T:
    """An instance of a frozen attrs class from values already known to be valid.

    For records this module derives from records that were validated when they were
    made (a donation's gift and fee flows): the ids are built from valid ids, the money
    and dates are the donation's own. Every field must be given.
    """
    instance = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(instance, name, value)
    return instance


@functools.lru_cache(maxsize=1 << 16)
def _party(kind: PartyKind, id: str) -> Party:
    """A party, made once for each of the most recent 65,536 (kind, id) pairs."""
    return Party(kind=kind, id=id)


_ANONYMOUS: Final = Party.outside("anonymous")


def donation_flows(donation: Donation) -> tuple[Flow, ...]:
    """The flows a donation implies: the gift in, and platform fees out.

    The gift goes from the donor (or ``outside:anonymous``) to the fund it names, else to
    the organisation that received it; its full value enters, and fees leave again to
    ``outside:<platform>`` as a fundraising cost, so raised money is counted gross and
    the fund holds the net amount.

    The flows are derived from the (already valid) donation without validating them a
    second time: a ledger of a million gifts is built in seconds.
    """
    donor_id = donation.donor_id
    source = _party(PartyKind.DONOR, donor_id) if donor_id else _ANONYMOUS
    fund_id = donation.fund_id
    if fund_id is None and donation.restricted_to is not None:
        fund_id = donation.restricted_to.fund_id
    destination = (
        _party(PartyKind.FUND, fund_id)
        if fund_id
        else _party(PartyKind.ORGANIZATION, donation.organization_id)
    )
    origin = _trusted(Origin, collection="donations", id=donation.id)
    gift = _trusted(
        Flow,
        id=derived_flow_id("donation", donation.id),
        source=source,
        destination=destination,
        amount=donation.value,
        on=donation.received_on,
        kind=FlowKind.DONATION,
        in_kind=donation.form is DonationForm.IN_KIND,
        origin=origin,
        parent_id=None,
        purpose=None,
        note="",
    )
    fees = donation.fees
    if not fees.is_positive():
        return (gift,)
    platform = _outside_label(donation.platform or "platform")
    fee = _trusted(
        Flow,
        id=derived_flow_id("donation", donation.id, ":fees"),
        source=destination,
        destination=Party.outside(platform),
        amount=fees,
        on=donation.received_on,
        kind=FlowKind.FUNDRAISING_COST,
        in_kind=False,
        origin=origin,
        parent_id=gift.id,
        purpose=None,
        note="",
    )
    return (gift, fee)
