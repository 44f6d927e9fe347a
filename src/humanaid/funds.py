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
from collections.abc import Callable, Container, Hashable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

import attrs

from humanaid import _gc
from humanaid._decimal import EXACT as _SUM
from humanaid.donors import Donation, DonationForm, Refund
from humanaid.errors import FieldValueError
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.organizations import OrgKind
from humanaid.periods import Period
from humanaid.records import (
    ID_MAX_LENGTH,
    date_field,
    enum_field,
    free_text_field,
    id_field,
    instance_of,
    money_field,
    non_empty_text,
    positive,
    ref_field,
    text_field,
    tuple_field,
    valid_id,
)
from humanaid.source import RecordSource

__all__ = [
    "REVERSIBLE_COLLECTIONS",
    "BalanceAssertion",
    "Boundary",
    "BoundaryTotals",
    "Crossing",
    "Flow",
    "FlowKind",
    "Fund",
    "FundKind",
    "Ledger",
    "Origin",
    "Party",
    "PartyKind",
    "Reversal",
    "Statement",
    "classify_flow",
    "crossing_totals",
    "derived_flow_id",
    "donation_flows",
    "duplicate_transactions",
    "refund_flows",
    "reversed_ids",
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
    name: str = text_field(kind="name")
    kind: FundKind = enum_field(FundKind, default=FundKind.GENERAL)
    organization_id: str = ref_field("organizations")
    sponsor_id: str | None = ref_field("organizations", optional=True)
    project_ids: tuple[str, ...] = tuple_field(str, item_kind="id")
    purposes: tuple[str, ...] = tuple_field(str, item_kind="name")
    opened_on: date | None = date_field(optional=True)

    def __attrs_post_init__(self) -> None:
        if self.kind is FundKind.SPECIAL and self.sponsor_id is None:
            raise FieldValueError(
                "sponsor_id", "is required for a special fund (the group it serves)"
            )

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
        transaction_ref: the bank's transaction number, if known: its idempotency key.
            A flow entered twice with the same number is booked once (the first by day,
            then id); the rule ``funds.duplicate-transaction`` reports the other.

    >>> Flow(id="x", source=Party.fund("a"), destination=Party.fund("a"),
    ...      amount=Money("1"), on=date(2020, 1, 1), kind="allocation")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'destination' must differ from 'source' (got fund:a)
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
    purpose: str | None = text_field(optional=True, kind="name")
    note: str = free_text_field()
    transaction_ref: str | None = text_field(optional=True)

    def __attrs_post_init__(self) -> None:
        if self.source == self.destination:
            raise FieldValueError("destination", f"must differ from 'source' (got {self.source})")

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


class _EndOfDay:
    """A party's balance at the end of each day it moved, per currency (no single flows).

    What :meth:`Ledger.balance` and :meth:`Ledger.lowest_balance` read of an
    :class:`_Account`, its days' entries summed: ``dates[c]`` holds each day once and
    ``running[c]`` the balance at its end. A balance is asked for the end of a day, and a
    lowest balance is judged at the end of each day, so both answer as from the account.
    """

    __slots__ = ("dates", "running")

    def __init__(self, days: Mapping[str, Mapping[date, Decimal]]) -> None:
        self.dates: dict[str, list[date]] = {}
        self.running: dict[str, list[Decimal]] = {}
        add = _SUM.add
        for cur, sums in days.items():
            dates = sorted(sums)
            running: list[Decimal] = []
            last = _ZERO
            for on in dates:
                last = add(last, sums[on])
                running.append(last)
            self.dates[cur], self.running[cur] = dates, running

    def money(self, currency: str, index: int) -> Money:
        return Money(self.running[currency][index], currency)


_ZERO: Final = Decimal(0)
_ON_THEN_ID: Final = operator.attrgetter("on", "id")
_ID: Final = operator.attrgetter("id")
_ON: Final = operator.attrgetter("on")


def _in_ledger_order(flows: list[Flow]) -> tuple[Flow, ...]:
    """``flows`` sorted by day, then id (stably): the order a ledger applies them in.

    What ``sorted(flows, key=_ON_THEN_ID)`` gives, but each flow is put in its day's
    list and only the days (a few thousand) and each day's flows are sorted: no key of
    two for each of two million flows, and a day's flows derived in id order are
    already sorted (a pass over them). About four times as fast at a million flows.
    """
    by_day: dict[date, list[Flow]] = {}
    get = by_day.get
    for flow in flows:
        on = flow.on
        held = get(on)
        if held is None:
            by_day[on] = [flow]
        else:
            held.append(flow)
    if len(by_day) == 1:
        (only,) = by_day.values()
        only.sort(key=_ID)
        return tuple(only)
    out: list[Flow] = []
    extend = out.extend
    for on in sorted(by_day):
        held = by_day[on]
        if len(held) > 1:
            held.sort(key=_ID)
        extend(held)
    return tuple(out)


def _accounts_of(flows: Sequence[Flow]) -> dict[Party, _Account]:
    """Each party's entries in ``flows`` (in their order), its balances not yet computed."""
    # Entries are gathered by the id of each party object: parties are shared
    # objects, so a party is hashed (attrs' Python-level hash) once for each
    # object that stands for it, not twice a flow. Equal objects share one list.
    accounts: dict[Party, _Account] = {}
    lists: dict[int, list[tuple[int, Flow]]] = {}
    get = lists.get

    def entries_of(party: Party) -> list[tuple[int, Flow]]:
        account = accounts.get(party)
        if account is None:
            account = accounts[party] = _Account()
        entries = lists[id(party)] = account.entries
        return entries

    with _gc.paused():
        for flow in flows:
            src, dst = flow.source, flow.destination
            out = get(id(src))
            if out is None:
                out = entries_of(src)
            out.append((-1, flow))
            into = get(id(dst))
            if into is None:
                into = entries_of(dst)
            into.append((+1, flow))
    return accounts


_GIFT_PARTY_KINDS: Final = frozenset(
    {PartyKind.DONOR, PartyKind.OUTSIDE, PartyKind.FUND, PartyKind.ORGANIZATION}
)
"""The kinds of party a gift's flows touch (:func:`_gift_parts`): no other's entries change."""
_SUMMED_KINDS: Final = frozenset({PartyKind.OUTSIDE, PartyKind.FUND, PartyKind.ORGANIZATION})
"""The kinds of party whose balances a dataset's ledger sums from its gifts.

See :meth:`Ledger._end_of_day`.

A gift's destination (a fund, else an organisation), its fees' platform and the anonymous
giver: some tens of parties for a million gifts. A donor's balance still makes the flows.
"""


@attrs.define(eq=False)
class _Gifts:
    """A dataset's ledger's flows as :meth:`Ledger._of_gifts` holds them."""

    own: tuple[Flow, ...]
    """The dataset's booked flows, in their order (first in the ledger's)."""
    gifts: Sequence[Donation]
    """The booked donations; their flows come after ``own``'s."""
    covered: Container[str]
    """The ids of the gifts a flow of ``own`` stands for: they have no flows."""
    rest: tuple[Flow, ...]
    """The other derived flows (refunds, handouts, cases, loans), after the gifts'."""
    others: tuple[Flow, ...] | None = None
    """``own`` and ``rest`` in ledger order, made when first asked for."""
    count: int | None = None
    """How many flows the ledger holds, counted when first asked for."""
    made_ends: list[tuple[Donation, Party, Party, Party | None]] | None = None
    made_touching: dict[PartyKind, dict[Party, list[Donation]]] = attrs.Factory(dict)
    made_own_flows: frozenset[int] | None = None

    def ends(self) -> list[tuple[Donation, Party, Party, Party | None]]:
        """:func:`_gift_parts` of the gifts not covered, listed once for every sweep.

        Each ``(donation, source, destination, platform)``; the parties are shared
        objects, kept alive by the list (a sweep may look them up by identity).
        """
        if self.made_ends is None:
            with _gc.paused():  # a tuple for each of (perhaps) a million gifts
                self.made_ends = list(_gift_parts(self.gifts, covered=self.covered))
        return self.made_ends

    def touching(self, kind: PartyKind) -> dict[Party, list[Donation]]:
        """The gifts whose flows touch each party of ``kind``, in the gifts' order.

        Grouped once for every party of the kind (one pass over :meth:`ends`), for a
        fund's or an organisation's entries (:meth:`Ledger._gifts_account`).
        """
        by_kind = self.made_touching.get(kind)
        if by_kind is None:
            # by the id of each shared party object: a party hashed once, not once a gift
            lists: dict[int, list[Donation]] = {}
            objects: dict[int, Party] = {}
            with _gc.paused():
                for donation, source, destination, platform in self.ends():
                    for end in (source, destination, platform):
                        if end is not None and end.kind is kind:
                            held = lists.get(id(end))
                            if held is None:
                                lists[id(end)] = held = []
                                objects[id(end)] = end
                            if not held or held[-1] is not donation:
                                held.append(donation)
            by_kind = {}
            for key, gifts in lists.items():  # equal parties' gifts together, in order
                party = objects[key]
                if party in by_kind:
                    order = {id(g): i for i, g in enumerate(self.gifts)}
                    merged = {id(g): g for g in [*by_kind[party], *gifts]}
                    by_kind[party] = sorted(merged.values(), key=lambda g: order[id(g)])
                else:
                    by_kind[party] = gifts
            self.made_touching[kind] = by_kind
        return by_kind

    def own_flows(self) -> frozenset[int]:
        """The ids of the objects of :attr:`own`: which of a party's flows come first."""
        if self.made_own_flows is None:
            self.made_own_flows = frozenset(id(f) for f in self.own)
        return self.made_own_flows


def _must_be_party(party: object) -> None:
    if not isinstance(party, Party):  # else a lookup of "fund:g" would answer 0.00
        raise TypeError(
            f"'party' must be a Party, such as Party.fund('g') or Party.parse('fund:g')"
            f" (got {type(party).__name__} {party!r})"
        )


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
        with _gc.paused():  # a list for each day
            self._flows_cache: tuple[Flow, ...] | None = _in_ledger_order(items)
        self._dates_cache: list[date] | None = None
        self._gift_parts: _Gifts | None = None
        # Built when first asked for: totals over a million flows need neither.
        self._by_id_cache: dict[str, Flow] | None = None
        self._accounts_cache: dict[Party, _Account] | None = None
        self._others_accounts_cache: dict[Party, _Account] | None = None
        self._gifts_accounts_cache: dict[Party, _Account | None] = {}
        self._end_of_day_cache: dict[PartyKind, dict[Party, _EndOfDay]] = {}

    @classmethod
    def _of_gifts(
        cls,
        own: Sequence[Flow],
        gifts: Sequence[Donation],
        covered: Container[str],
        rest: Sequence[Flow],
        *,
        currency: str = DEFAULT_CURRENCY,
    ) -> Ledger:
        """The ledger of ``own``, the gifts' flows and ``rest``, its gifts kept as donations.

        Equal in every answer to ``Ledger([*own, *_gift_flows(gifts, covered=covered),
        *rest])`` (flows valid, as a dataset's derived and booked flows are): the gifts'
        flows are made when a caller first asks for single flows (:attr:`flows`, a
        party's entries, a total); until then the rules read the donations
        (:meth:`_without_gifts`).
        """
        ledger = cls((), currency=currency)  # checks the code; every cache empty
        ledger._flows_cache = None  # made from the parts when first asked for
        ledger._gift_parts = _Gifts(tuple(own), gifts, covered, tuple(rest))
        return ledger

    @property
    def _flows(self) -> tuple[Flow, ...]:
        if self._flows_cache is None:
            parts = cast(_Gifts, self._gift_parts)
            with _gc.paused():  # a flow or two for each of (perhaps) a million gifts
                made = _gift_flows(parts.gifts, covered=parts.covered)
                self._flows_cache = _in_ledger_order([*parts.own, *made, *parts.rest])
        return self._flows_cache

    @property
    def _dates(self) -> list[date]:
        if self._dates_cache is None:
            self._dates_cache = [f.on for f in self._flows]
        return self._dates_cache

    def _without_gifts(self) -> tuple[tuple[Flow, ...], _Gifts] | None:
        """The flows other than the gifts' in ledger order, and the gifts; else ``None``.

        ``None`` for a ledger built from flows. For a dataset's ledger
        (:meth:`_of_gifts`), what a rule's sweep reads instead of :attr:`flows`: the
        dataset's own and the other derived flows, in ledger order (the ledger's order
        with the gifts' flows left out), and the gifts (:func:`_gift_parts` of
        ``gifts.gifts`` and ``gifts.covered`` gives their ends), so no gift's flow is
        made. Each rule's gift-aware sweep is held equal to its sweep over
        :attr:`flows` by a property.
        """
        parts = self._gift_parts
        if parts is None:
            return None
        if parts.others is None:
            with _gc.paused():
                parts.others = _in_ledger_order([*parts.own, *parts.rest])
        return parts.others, parts

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
            self._accounts_cache = _accounts_of(self._flows)
        return self._accounts_cache

    def _account(self, party: Party) -> _Account | None:
        _must_be_party(party)
        if self._accounts_cache is None and self._gift_parts is not None:
            if party.kind not in _GIFT_PARTY_KINDS:
                # no gift touches it: its entries are those of the other flows (a loan's,
                # a project's, a revolving fund's), and the gifts' flows need not be made
                account = self._others_accounts.get(party)
            elif party.kind in _SUMMED_KINDS:
                account = self._gifts_account(party)
            else:  # a donor: some tens of thousands of them, each asked for alone
                account = self._accounts.get(party)
        else:
            account = self._accounts.get(party)
        if account is not None and not account.sealed:
            account.seal()
        return account

    @property
    def _others_accounts(self) -> dict[Party, _Account]:
        """Each party's entries in the flows other than the gifts' (a dataset's ledger)."""
        if self._others_accounts_cache is None:
            others, _ = cast(tuple[tuple[Flow, ...], _Gifts], self._without_gifts())
            self._others_accounts_cache = _accounts_of(others)
        return self._others_accounts_cache

    def _gifts_account(self, party: Party) -> _Account | None:
        """The account of a fund, an organisation or the outside, its gifts' flows alone made.

        A dataset's ledger whose flows are not made: the flows of the gifts that touch
        ``party`` (:meth:`_Gifts.touching`) are made, and put in ledger order with the
        other flows that touch it, as :attr:`_flows` puts them (by day, then id; of equal
        day and id, the dataset's own flows first, then the gifts', then the other derived
        flows). So a fund's entries, statement and outflows make no other gift's flow.
        """
        cache = self._gifts_accounts_cache
        if party in cache:
            return cache[party]
        parts = cast(_Gifts, self._gift_parts)
        made = _gift_flows(parts.touching(party.kind).get(party, ()))
        other = self._others_accounts.get(party)
        if not made:
            account = other
        else:
            own: list[Flow] = []
            rest: list[Flow] = []
            if other is not None:  # an entry a flow (none goes from a party to itself)
                is_own = parts.own_flows()
                for _, flow in other.entries:
                    (own if id(flow) in is_own else rest).append(flow)
            account = _accounts_of(_in_ledger_order([*own, *made, *rest])).get(party)
        cache[party] = account
        return account

    def _balances(self, party: Party) -> _Account | _EndOfDay | None:
        """What :meth:`balance` and :meth:`lowest_balance` read of ``party``.

        Its account, or, for a fund, an organisation or the outside in a dataset's ledger
        whose flows are not made yet, its end-of-day balances summed from the gifts
        (:meth:`_end_of_day`): every fund's balance makes no gift's flow.
        """
        _must_be_party(party)
        if (
            self._accounts_cache is None
            and self._gift_parts is not None
            and party.kind in _SUMMED_KINDS
        ):
            by_kind = self._end_of_day_cache.get(party.kind)
            if by_kind is None:
                by_kind = self._end_of_day_cache[party.kind] = self._end_of_day(party.kind)
            return by_kind.get(party)
        return self._account(party)

    def _end_of_day(self, kind: PartyKind) -> dict[Party, _EndOfDay]:
        """The end-of-day balances of every party of ``kind`` (a fund, organisation, outside).

        Summed by party id, currency and day in one pass over the gifts the ledger holds
        as donations and one over the other flows, each sum exact: the balance at the end
        of a day is that of the flows' running balances (:class:`_Account`) at the day's
        last entry, whatever their order. A gift moves its value from its source (the
        donor, else the anonymous giver) into its destination (the fund it names, else
        its restriction's fund, else the organisation), and its fees, when positive, out
        of the destination into its platform (:func:`_gift_parts`), all on the day it was
        received and in its value's currency (a donation's fees are in it). Only the ends
        of ``kind`` are read, so every fund's balance (and the overdrawn check) makes no
        donor's party and adds no organisation's or platform's money. Equal in every
        answer to the account's (a property in ``tests/test_ledger_gifts.py``).
        """
        others, parts = cast(tuple[tuple[Flow, ...], _Gifts], self._without_gifts())
        add, subtract = _SUM.add, _SUM.subtract
        # by party id (the kind is the one asked for), currency and day: one flat dict of
        # some tens of thousands of keys (a party's days), no call a gift
        sums: dict[tuple[str, str, date], Decimal] = {}
        get = sums.get
        covered = parts.covered
        zero = _ZERO
        with _gc.paused():
            if kind is PartyKind.FUND or kind is PartyKind.ORGANIZATION:
                to_funds = kind is PartyKind.FUND
                for donation in parts.gifts:
                    party_id = donation.fund_id
                    if party_id is None and donation.restricted_to is not None:
                        party_id = donation.restricted_to.fund_id
                    if party_id:
                        if not to_funds:
                            continue
                    elif to_funds:
                        continue
                    else:
                        party_id = donation.organization_id
                    if donation.id in covered:
                        continue
                    value, fees = donation.value, donation.fees
                    amount = value._amount
                    if fees._amount > zero:  # its fees leave it for the platform
                        amount = subtract(amount, fees._amount)
                    key = (party_id, value._currency, donation.received_on)
                    held = get(key)
                    sums[key] = amount if held is None else add(held, amount)
            elif kind is PartyKind.OUTSIDE:
                labels: dict[str | None, str] = {}
                anonymous = _ANONYMOUS.id
                for donation in parts.gifts:
                    fees = donation.fees
                    paid = fees._amount > zero
                    if (donation.donor_id and not paid) or donation.id in covered:
                        continue
                    on = donation.received_on
                    if not donation.donor_id:  # from the anonymous giver
                        value = donation.value
                        key = (anonymous, value._currency, on)
                        held = get(key)
                        amount = subtract(zero, value._amount)
                        sums[key] = amount if held is None else add(held, amount)
                    if paid:  # into its platform
                        label = labels.get(donation.platform)
                        if label is None:
                            platform = donation.platform
                            label = labels[platform] = _outside_label(platform or "platform")
                        key = (label, fees._currency, on)
                        held = get(key)
                        sums[key] = fees._amount if held is None else add(held, fees._amount)
            for flow in others:
                source, destination = flow.source, flow.destination
                if source.kind is kind:
                    money = flow.amount
                    key = (source.id, money._currency, flow.on)
                    held = get(key)
                    amount = subtract(zero, money._amount)
                    sums[key] = amount if held is None else add(held, amount)
                if destination.kind is kind:
                    money = flow.amount
                    key = (destination.id, money._currency, flow.on)
                    held = get(key)
                    sums[key] = money._amount if held is None else add(held, money._amount)
            by_party: dict[str, dict[str, dict[date, Decimal]]] = {}
            for (party_id, cur, on), amount in sums.items():
                by_party.setdefault(party_id, {}).setdefault(cur, {})[on] = amount
            return {_party(kind, party_id): _EndOfDay(days) for party_id, days in by_party.items()}

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

    def for_purpose(self, purpose: str) -> Ledger:
        """The flows made for ``purpose`` (their ``purpose`` tag), as a ledger of their own.

        The same flows, in the same order and with the same currency, as
        ``Ledger((f for f in ledger.flows if f.purpose == purpose), currency=ledger.currency)``.
        A gift's flows name no purpose, so a dataset's ledger, which holds its gifts as
        donations, answers without making their flows (at a million gifts that is the
        whole cost of the comprehension).

        >>> from datetime import date
        >>> from humanaid import Flow, FlowKind, Money, Party
        >>> ledger = Ledger([
        ...     Flow(id="f1", source=Party.fund("relief"), destination=Party.household("h1"),
        ...          amount=Money("800"), on=date(2020, 3, 1), kind=FlowKind.DISBURSEMENT,
        ...          purpose="poverty"),
        ...     Flow(id="f2", source=Party.fund("relief"), destination=Party.household("h2"),
        ...          amount=Money("300"), on=date(2020, 3, 2), kind=FlowKind.DISBURSEMENT),
        ... ])
        >>> [f.id for f in ledger.for_purpose("poverty").flows]
        ['f1']
        """
        if not isinstance(purpose, str):
            raise TypeError(f"purpose must be a purpose tag, a str (got {type(purpose).__name__})")
        without = self._without_gifts() if self._flows_cache is None else None
        flows = without[0] if without is not None else self._flows
        chosen = Ledger((), currency=self.currency)
        # a subsequence of flows in ledger order is in ledger order
        chosen._flows_cache = tuple(f for f in flows if f.purpose == purpose)
        return chosen

    def parties(self) -> frozenset[Party]:
        """Every party that sent or received money."""
        return frozenset(self._accounts)

    def currencies(self) -> frozenset[str]:
        """Every currency that appears in the flows."""
        return frozenset(f.amount.currency for f in self._flows)

    def __len__(self) -> int:
        parts = self._gift_parts
        if self._flows_cache is None and parts is not None:
            if parts.count is None:  # counted, not made: a gift's flow, and its fees' if paid
                parts.count = len(parts.own) + len(parts.rest)
                for _, _, _, platform in parts.ends():
                    parts.count += 1 if platform is None else 2
            return parts.count
        return len(self._flows)

    def __repr__(self) -> str:
        return f"Ledger({len(self)} flows, {len(self._accounts)} parties)"

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
        account = self._balances(party)
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
        account = self._balances(party)
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
        """Money raised, brought in, moved inside and put in for ``boundary`` (in ``period``).

        Each flow is classified once, by where it crosses (:func:`classify_flow`): it
        *enters* when its source is outside the boundary and its destination inside,
        *moves inside* when both ends are inside, *leaves* when its source is inside and
        its destination outside; money sent from outside straight into the boundary's
        own work (:attr:`Boundary.work`) passes *through*, counted as if it had entered
        and left again. Flows wholly outside are not counted. So "raised", "brought in"
        and "put in" come from the same flows, each counted once, however the money was
        wired.
        """
        cur = currency or self.currency
        Money.zero(cur)  # checks the code
        split = self._without_gifts() if self._flows_cache is None else None
        flows: Sequence[Flow]
        if split is None:
            flows = self._flows
            if period is not None:  # the flows are in date order: take the period's slice
                lo = bisect.bisect_left(self._dates, period.start)
                flows = flows[lo : bisect.bisect_right(self._dates, period.end, lo)]
        else:  # a dataset's ledger: its gifts counted as their flows, none made
            flows = split[0]
            if period is not None:
                lo = bisect.bisect_left(flows, period.start, key=_ON)
                flows = flows[lo : bisect.bisect_right(flows, period.end, lo, key=_ON)]
        with _gc.paused():  # a few sums for each of a million flows
            moved = self._by_ends(
                (f.source, f.destination, f.kind, money._amount)
                for f in flows
                if (money := f.amount)._currency == cur
            )
            if split is not None:
                moved += self._by_ends(_gift_moves(split[1].ends(), period, cur))
            return crossing_totals(moved, boundary, period, cur)

    @staticmethod
    def _by_ends(
        moved: Iterable[tuple[Party, Party, FlowKind, Decimal]],
    ) -> list[tuple[Party, Party, FlowKind, Decimal]]:
        """``moved`` summed by its ends and kind, each sum where its first item was.

        :func:`crossing_totals` takes such sums as it takes single items (sums add up
        alike; amounts are positive, so no sum is zero and each dict it fills gets its
        keys in the same order). The key is the objects' ids: a million flows come from
        some tens of thousands of parties, and ids cost no Python-level hash of a party
        (attrs') or a kind (an enum's), which classifying each flow one by one would.
        """
        sums: dict[tuple[int, int, int], list[Any]] = {}
        get, add = sums.get, _SUM.add
        for src, dst, kind, amount in moved:
            key = (id(src), id(dst), id(kind))
            item = get(key)
            if item is None:
                sums[key] = [src, dst, kind, amount]
            else:
                item[3] = add(item[3], amount)
        return [(s, d, k, v) for s, d, k, v in sums.values()]


def crossing_totals(
    moved: Iterable[tuple[Party, Party, FlowKind, Decimal]],
    boundary: Boundary,
    period: Period | None,
    currency: str,
) -> BoundaryTotals:
    """The :class:`BoundaryTotals` of money moved, each ``(source, destination, kind, amount)``.

    The one count behind :meth:`Ledger.totals` and its columnar twin
    (:func:`humanaid.boundary_totals`): each item is classified by where it crosses
    (:func:`classify_flow`) and its amount (a ``Decimal`` in ``currency``) added, exactly,
    to what it counts in. An item may stand for one flow or for the sum of many flows
    with the same ends and kind (sums add up alike); an item of zero counts nowhere.

    >>> b = Boundary(name="b", parties={Party.fund("g")})
    >>> t = crossing_totals([(Party.donor("d"), Party.fund("g"), FlowKind.DONATION,
    ...                       Decimal("12.50"))], b, None, "CNY")
    >>> t.raised, t.entered_from
    (Money('12.50', 'CNY'), {<PartyKind.DONOR: 'donor'>: Money('12.50', 'CNY')})
    """
    cur = currency
    # Exact Decimal sums, made Money once at the end.
    entered: dict[FlowKind, Decimal] = defaultdict(Decimal)
    inside: dict[FlowKind, Decimal] = defaultdict(Decimal)
    left: dict[FlowKind, Decimal] = defaultdict(Decimal)
    through: dict[FlowKind, Decimal] = defaultdict(Decimal)
    left_to: dict[PartyKind, Decimal] = defaultdict(Decimal)
    entered_from: dict[PartyKind, Decimal] = defaultdict(Decimal)
    counted: dict[Crossing, Decimal] = defaultdict(Decimal)
    add = _SUM.add
    place_of = boundary._place
    places: dict[Party, _Place] = {}
    table = _CROSSINGS
    outside, internal, inside_place = Crossing.OUTSIDE, Crossing.INTERNAL, _Place.INSIDE
    for src, dst, kind, amount in moved:
        if not amount:
            continue
        src_at = places.get(src)
        if src_at is None:
            src_at = places[src] = place_of(src)
        dst_at = places.get(dst)
        if dst_at is None:
            dst_at = places[dst] = place_of(dst)
        crossing, members = table[src_at][dst_at][kind]
        if crossing is outside:
            continue
        if crossing is internal:
            inside[kind] = add(inside[kind], amount)
        elif dst_at is inside_place:
            entered[kind] = add(entered[kind], amount)
            entered_from[src.kind] = add(entered_from[src.kind], amount)
        elif src_at is inside_place:
            left[kind] = add(left[kind], amount)
            left_to[dst.kind] = add(left_to[dst.kind], amount)
        else:
            through[kind] = add(through[kind], amount)
        for member in members:
            counted[member] = add(counted[member], amount)

    def money_of(sums: Mapping[Any, Decimal]) -> dict[Any, Money]:
        # in the order of the kinds' (the crossings') definitions, whatever the order of
        # the money moved: the same figures, however the flows came
        return {k: Money(sums[k], cur) for k in sorted(sums, key=_DEFINED.__getitem__)}

    return BoundaryTotals(
        boundary=boundary,
        period=period,
        currency=cur,
        entered=money_of(entered),
        inside=money_of(inside),
        left=money_of(left),
        entered_from=money_of(entered_from),
        left_to=money_of(left_to),
        through=money_of(through),
        crossings=money_of(counted),
    )


_ONE_DAY: Final = date(2000, 1, 2) - date(2000, 1, 1)
_ANONYMOUS: Final = Party.outside("anonymous")
"""Where a gift without a donor comes from (:func:`donation_flows`): counted as raised."""


# -- counting by crossing ---------------------------------------------------------------------


class Crossing(enum.Flag):
    """How a flow counts against a :class:`Boundary`: decided by where it crosses.

    The flow's :class:`FlowKind` says why money moved; where it crosses the boundary
    decides how it counts (:func:`classify_flow`):

    * ``RAISED`` (募捐): money entering from donors: a donor, the anonymous giver
      (``outside:anonymous``), or an online platform passing gifts on;
    * ``BROUGHT_IN`` (引进): money entering from any other organisation or government
      outside the boundary: a higher-level society, the society's own parent passing
      money down, a foundation, an enterprise, another organisation's fund;
    * ``INTERNAL``: both ends inside (a society's allocation to its own county branch,
      when the branch is inside);
    * ``PUT_IN`` (投入): money and goods leaving to where aid is delivered: projects,
      cases, households, persons, loans to households, village seed funds, and service
      providers (hospitals, the shops of 爱心超市, suppliers paid with a disbursement);
    * ``OTHER_IN`` and ``OTHER_OUT``: every other crossing, kept in the boundary's
      ``entered`` and ``left`` by kind but in none of the three headline figures:
      platform fees, administrative costs, refunds either way, loan repayments coming
      back, interest, write-offs, money borrowed, money passed on to another society,
      a fund or a donor, and money coming back from projects, cases and households
      (a beneficiary's own contribution included);
    * ``OUTSIDE``: the flow does not touch the boundary.

    Money sent from outside straight into the boundary's own work (a project one of its
    organisations owns: :attr:`Boundary.work`) counts twice over, as if it had passed
    through the boundary's books: ``RAISED | PUT_IN`` or ``BROUGHT_IN | PUT_IN``. So a
    provincial grant counts the same whether it was wired through the society or
    straight to the society's project.

    >>> Crossing.PUT_IN in Crossing.BROUGHT_IN | Crossing.PUT_IN
    True
    """

    RAISED = enum.auto()
    BROUGHT_IN = enum.auto()
    INTERNAL = enum.auto()
    PUT_IN = enum.auto()
    OTHER_IN = enum.auto()
    OTHER_OUT = enum.auto()
    OUTSIDE = enum.auto()


class _Place(enum.IntEnum):
    """Where a party stands, seen from a boundary: all that classifying a flow needs.

    Small ints, so that :meth:`Ledger.totals` looks a flow's crossing up by index.
    """

    INSIDE = 0
    WORK = 1  # the boundary's own projects (and their village funds)
    DONOR = 2  # donors, the anonymous giver, platforms
    BODY = 3  # other societies, governments, foundations, funds: they pass money on
    PROVIDER = 4  # hospitals, shops, suppliers, enterprises: aid is delivered there
    BENEFICIARY = 5  # projects, cases, households, persons, loans, village funds
    WORLD = 6  # the outside, known only by a label: the flow's kind must tell


_OTHER_KINDS: Final = frozenset(
    {
        FlowKind.ADMIN_EXPENSE,
        FlowKind.FUNDRAISING_COST,
        FlowKind.REFUND,
        FlowKind.LOAN_REPAYMENT,
        FlowKind.INTEREST,
        FlowKind.WRITE_OFF,
    }
)
"""Kinds that are never raised, brought in or put in, wherever they cross."""

_AID_RECIPIENTS: Final = frozenset({_Place.BENEFICIARY, _Place.WORK, _Place.PROVIDER})

_BENEFICIARY_KINDS: Final = frozenset(
    {
        PartyKind.PROJECT,
        PartyKind.CASE,
        PartyKind.HOUSEHOLD,
        PartyKind.PERSON,
        PartyKind.LOAN,
        PartyKind.REVOLVING_FUND,
    }
)


def _entering(source: _Place, kind: FlowKind) -> Crossing:
    """How money from ``source`` (outside the boundary) counts on entering it."""
    if kind in _OTHER_KINDS or kind is FlowKind.LOAN_DISBURSEMENT:
        return Crossing.OTHER_IN  # costs, refunds, repayments, interest, money borrowed
    if source is _Place.DONOR:
        return Crossing.RAISED
    if source is _Place.BODY or source is _Place.PROVIDER:
        return Crossing.BROUGHT_IN
    if source is _Place.WORLD:  # only the kind says who sent it
        return Crossing.RAISED if kind is FlowKind.DONATION else Crossing.BROUGHT_IN
    return Crossing.OTHER_IN  # back from projects, cases, households, loans


def _leaving(destination: _Place, kind: FlowKind) -> Crossing:
    """How money to ``destination`` (outside the boundary) counts on leaving it."""
    if kind in _OTHER_KINDS:
        return Crossing.OTHER_OUT
    if destination in _AID_RECIPIENTS:
        return Crossing.PUT_IN
    if destination is _Place.WORLD and kind in (
        FlowKind.DISBURSEMENT,
        FlowKind.LOAN_DISBURSEMENT,
    ):
        return Crossing.PUT_IN  # paid out to people or suppliers the model does not name
    return Crossing.OTHER_OUT  # passed on to another society, a fund, a donor


def _decide(source: _Place, destination: _Place, kind: FlowKind) -> Crossing:
    inside = _Place.INSIDE
    if source is inside:
        return Crossing.INTERNAL if destination is inside else _leaving(destination, kind)
    if destination is inside:
        return _entering(source, kind)
    if destination is _Place.WORK and source is not _Place.WORK:
        came = _entering(source, kind)
        if came is Crossing.RAISED or came is Crossing.BROUGHT_IN:
            return came | Crossing.PUT_IN  # as if it had passed through the boundary
    return Crossing.OUTSIDE


# Every crossing decided once, with its members: _CROSSINGS[source place][destination
# place][kind] (places are list indexes, so a flow costs two list indexings and a lookup).
_DEFINED: Final[dict[enum.Enum, int]] = {
    member: i
    for kinds in (FlowKind, PartyKind, Crossing)
    for i, member in enumerate(kinds.__members__.values())
}
"""Each kind's (and crossing's) place among its class's: the order a total's parts are in."""

_CROSSINGS: Final[list[list[dict[FlowKind, tuple[Crossing, tuple[Crossing, ...]]]]]] = [
    [
        {
            k: (c, tuple(m for m in Crossing if m in c))
            for k in FlowKind
            for c in (_decide(s, d, k),)
        }
        for d in _Place
    ]
    for s in _Place
]


def classify_flow(flow: Flow, boundary: Boundary) -> Crossing:
    """How ``flow`` counts against ``boundary``: raised, brought in, put in (:class:`Crossing`).

    The one classification behind every figure that reports money raised, brought in or
    put in: :meth:`Ledger.totals`, :func:`humanaid.year_at_a_glance`, project finance by
    source, the IATI transactions and the HXL funding table.

    >>> from datetime import date
    >>> city = Boundary(name="city", parties={Party.fund("city"), Party.organization("city")},
    ...                 work={Party.project("p1")})
    >>> def f(src, dst, kind="grant"):
    ...     return Flow(id="f", source=src, destination=dst, amount=Money("100"),
    ...                 on=date(2020, 1, 1), kind=kind)
    >>> classify_flow(f(Party.organization("province"), Party.fund("city"), "allocation"), city)
    <Crossing.BROUGHT_IN: 2>
    >>> classify_flow(f(Party.donor("d1"), Party.fund("city"), "donation"), city)
    <Crossing.RAISED: 1>
    >>> classify_flow(f(Party.fund("city"), Party.household("h1"), "allocation"), city)
    <Crossing.PUT_IN: 8>
    >>> classify_flow(f(Party.organization("province"), Party.project("p1")), city)
    <Crossing.BROUGHT_IN|PUT_IN: 10>
    >>> classify_flow(f(Party.fund("city"), Party.outside("rent"), "admin_expense"), city)
    <Crossing.OTHER_OUT: 32>
    """
    at = boundary._place
    return _CROSSINGS[at(flow.source)][at(flow.destination)][flow.kind][0]


def _party_set(parties: Iterable[Party]) -> frozenset[Party]:
    return frozenset(parties)


_PLATFORM_KINDS: Final = frozenset({OrgKind.PLATFORM})
_PROVIDER_KINDS: Final = frozenset({OrgKind.HOSPITAL, OrgKind.ENTERPRISE, OrgKind.OTHER})


def _roles(source: RecordSource) -> tuple[frozenset[Party], frozenset[Party]]:
    """The dataset's platforms and service providers, by organisation kind."""
    platforms: set[Party] = set()
    providers: set[Party] = set()
    for org in source.records("organizations", missing_ok=True):
        kind = getattr(org, "kind", None)
        if kind in _PLATFORM_KINDS:
            platforms.add(Party.organization(org.id))
        elif kind in _PROVIDER_KINDS:
            providers.add(Party.organization(org.id))
    return frozenset(platforms), frozenset(providers)


def _known_roles(source: RecordSource) -> tuple[frozenset[Party], frozenset[Party]]:
    roles: tuple[frozenset[Party], frozenset[Party]] = source.derived("funds:roles", _roles)
    return roles


def _by_project(source: RecordSource) -> dict[str, tuple[Party, ...]]:
    found: dict[str, list[Party]] = defaultdict(list)
    for fund in source.records("revolving_funds", missing_ok=True):
        found[fund.project_id].append(Party.revolving_fund(fund.id))
    return {k: tuple(v) for k, v in found.items()}


def _village_funds(source: RecordSource, project_ids: Iterable[str]) -> set[Party]:
    """The village seed funds the projects set up (an index built once per dataset)."""
    index: dict[str, tuple[Party, ...]] = source.derived("funds:village-funds", _by_project)
    return {party for p in project_ids for party in index.get(p, ())}


def _must_know(source: RecordSource, collection: str, id: str, what: str) -> Any:
    record = source.index(collection, missing_ok=True).get(id)
    if record is None:
        raise KeyError(f"no {what} {id!r} in the dataset")
    return record


@attrs.frozen(kw_only=True)
class Boundary:
    """What counts as inside when money is counted: an organisation, a fund, a project.

    A boundary is a set of parties inside (or a predicate over parties), and what it
    needs to know of the parties outside to count by crossing (:func:`classify_flow`):

    Attributes:
        name: a name for the boundary (the organisation's id, for one built from it).
        parties: the parties inside.
        predicate: a test for more parties inside (a region ...), if any.
        work: the boundary's own work, outside it: the projects its organisations own and
            the village seed funds those set up. Paying them is money put in; money sent
            to them straight from outside counts as if it had passed through the
            boundary (raised or brought in, and put in).
        platforms: organisations donors give through (``OrgKind.PLATFORM``): money from
            them is raised, not brought in.
        providers: organisations where aid is delivered (hospitals, enterprises, and
            organisations of kind ``OTHER`` such as the shops of 爱心超市): money and
            goods paid to them are put in. Other organisations (societies, governments,
            foundations, social groups) pass money on: paying them is not put in.

    Build the usual ones from a dataset with :meth:`organization`,
    :meth:`organizations`, :meth:`fund`, :meth:`program` and :meth:`project`, which
    fill in the work, the platforms and the providers from the records.

    >>> b = Boundary(name="county", parties=frozenset({Party.fund("g"), Party.organization("c")}))
    >>> b.contains(Party.fund("g")), b.contains(Party.project("p"))
    (True, False)
    """

    name: str = attrs.field(validator=non_empty_text)
    parties: frozenset[Party] = attrs.field(factory=frozenset, converter=_party_set)
    predicate: Callable[[Party], bool] | None = attrs.field(default=None, eq=False)
    work: frozenset[Party] = attrs.field(factory=frozenset, converter=_party_set)
    platforms: frozenset[Party] = attrs.field(factory=frozenset, converter=_party_set)
    providers: frozenset[Party] = attrs.field(factory=frozenset, converter=_party_set)

    def contains(self, party: Party) -> bool:
        """Whether ``party`` is inside."""
        if party in self.parties:
            return True
        return self.predicate is not None and self.predicate(party)

    def _place(self, party: Party) -> _Place:
        if self.contains(party):
            return _Place.INSIDE
        if party in self.work:
            return _Place.WORK
        if party in self.platforms:
            return _Place.DONOR
        if party in self.providers:
            return _Place.PROVIDER
        kind = party.kind
        if kind in _BENEFICIARY_KINDS:
            return _Place.BENEFICIARY
        if kind is PartyKind.DONOR or party == _ANONYMOUS:
            return _Place.DONOR
        if kind is PartyKind.OUTSIDE:
            return _Place.WORLD
        return _Place.BODY  # an organisation or a fund

    def crossing_in(self, source: Party, kind: FlowKind) -> Crossing:
        """How money of ``kind`` from ``source`` counts on entering: raised, brought in ...

        ``INTERNAL`` when ``source`` is inside; else ``RAISED``, ``BROUGHT_IN`` or
        ``OTHER_IN``, as :func:`classify_flow` counts a flow from ``source`` into the
        boundary.

        >>> Boundary(name="b", parties={Party.fund("g")}).crossing_in(
        ...     Party.organization("province"), FlowKind.ALLOCATION)
        <Crossing.BROUGHT_IN: 2>
        """
        at = self._place(source)
        return Crossing.INTERNAL if at is _Place.INSIDE else _entering(at, kind)

    def crossing_out(self, destination: Party, kind: FlowKind) -> Crossing:
        """How money of ``kind`` to ``destination`` counts on leaving: put in, or other.

        ``INTERNAL`` when ``destination`` is inside; else ``PUT_IN`` or ``OTHER_OUT``, as
        :func:`classify_flow` counts a flow from the boundary to ``destination``.
        """
        at = self._place(destination)
        return Crossing.INTERNAL if at is _Place.INSIDE else _leaving(at, kind)

    @classmethod
    def organization(
        cls, dataset: RecordSource, organization_id: str, *, include_children: bool = True
    ) -> Boundary:
        """The organisation, its sub-units (by ``parent_id``) and every fund they hold.

        Projects, cases, households, loans and donors are outside: paying them is money
        put in (投入), not money moved inside. The projects the organisations own (and
        the village seed funds those set up) are the boundary's :attr:`work`. Without
        ``include_children``, the organisation alone: its sub-units are outside, and
        what it passes down to them is neither put in nor brought in.
        """
        orgs = {organization_id}
        if include_children:
            children: dict[str, list[str]] = dataset.derived(
                "funds:boundary-children", Boundary._children
            )
            stack = [organization_id]
            while stack:
                for child in children.get(stack.pop(), ()):
                    if child not in orgs:
                        orgs.add(child)
                        stack.append(child)
        return cls.organizations(dataset, orgs, name=organization_id)

    @classmethod
    def organizations(
        cls, dataset: RecordSource, organization_ids: Iterable[str], *, name: str | None = None
    ) -> Boundary:
        """Exactly these organisations (no sub-units unless listed) and the funds they hold.

        Any part of an organisation tree: a society with some of its branches, the
        branches of one county. The projects they own are its :attr:`work`.

        >>> from humanaid import Dataset, Fund, Organization
        >>> ds = Dataset(organizations=[Organization(id="a", name="A", level="city"),
        ...                             Organization(id="b", name="B", level="county",
        ...                                          parent_id="a")],
        ...              funds=[Fund(id="fb", name="B's fund", organization_id="b")])
        >>> b = Boundary.organizations(ds, ["b"])
        >>> b.name, sorted(str(p) for p in b.parties)
        ('b', ['fund:fb', 'organization:b'])
        """
        orgs = frozenset(organization_ids)
        if not orgs:
            raise FieldValueError("organization_ids", "must name at least one organisation")
        parties = {Party.organization(o) for o in orgs}
        funds = dataset.derived("funds:boundary-funds", Boundary._funds_by_organization)
        parties |= {Party.fund(f) for o in orgs for f in funds.get(o, ())}
        projects = dataset.derived("funds:boundary-projects", Boundary._projects_by_organization)
        owned = [p for o in orgs for p in projects.get(o, ())]
        work = {Party.project(p) for p in owned} | _village_funds(dataset, owned)
        platforms, providers = _known_roles(dataset)
        return cls(
            name=name if name is not None else ", ".join(sorted(orgs)),
            parties=frozenset(parties),
            work=frozenset(work - parties),
            platforms=platforms - parties,
            providers=providers - parties,
        )

    @staticmethod
    def _children(dataset: RecordSource) -> dict[str, list[str]]:
        """Each organisation's sub-units (by ``parent_id``), read once a dataset."""
        children: dict[str, list[str]] = defaultdict(list)
        for org in dataset.records("organizations", missing_ok=True):
            parent = getattr(org, "parent_id", None)
            if parent is not None:
                children[parent].append(org.id)
        return dict(children)

    @staticmethod
    def _ids_by_organization(dataset: RecordSource, collection: str) -> dict[str, list[str]]:
        """The ids of a collection's records (funds, projects) by ``organization_id``."""
        held: dict[str, list[str]] = defaultdict(list)
        for r in dataset.records(collection, missing_ok=True):
            held[r.organization_id].append(r.id)
        return dict(held)

    @staticmethod
    def _funds_by_organization(dataset: RecordSource) -> dict[str, list[str]]:
        """The ids of the funds each organisation holds, read once a dataset."""
        return Boundary._ids_by_organization(dataset, "funds")

    @staticmethod
    def _projects_by_organization(dataset: RecordSource) -> dict[str, list[str]]:
        """The ids of the projects each organisation owns, read once a dataset."""
        return Boundary._ids_by_organization(dataset, "projects")

    @classmethod
    def fund(cls, dataset: RecordSource, fund_id: str) -> Boundary:
        """One fund alone: money its own organisation allocates to it is brought in.

        Raises:
            KeyError: if the fund is not in the dataset.
        """
        _must_know(dataset, "funds", fund_id, "fund")
        platforms, providers = _known_roles(dataset)
        return cls(
            name=fund_id,
            parties=frozenset({Party.fund(fund_id)}),
            platforms=platforms,
            providers=providers,
        )

    @classmethod
    def project(
        cls, dataset: RecordSource, project_id: str, *, revolving_funds: bool = True
    ) -> Boundary:
        """A project and (with ``revolving_funds``) the village seed funds it set up.

        What its owner pays it is brought in; what it pays households, cases and
        suppliers, and what its seed funds lend, is put in; repayments are other money
        in. Seed capital moved into its own village fund stays inside.

        Raises:
            KeyError: if the project is not in the dataset.
        """
        _must_know(dataset, "projects", project_id, "project")
        return cls._of_projects(dataset, project_id, [project_id], revolving_funds)

    @classmethod
    def program(
        cls, dataset: RecordSource, program_id: str, *, revolving_funds: bool = True
    ) -> Boundary:
        """A programme: its projects (by ``program_id``) and their village seed funds.

        Raises:
            KeyError: if the programme is not in the dataset.
        """
        _must_know(dataset, "programs", program_id, "programme")
        ids = [
            p.id for p in dataset.records("projects", missing_ok=True) if p.program_id == program_id
        ]
        return cls._of_projects(dataset, program_id, ids, revolving_funds)

    @classmethod
    def _of_projects(
        cls, dataset: RecordSource, name: str, project_ids: list[str], revolving_funds: bool
    ) -> Boundary:
        parties = {Party.project(p) for p in project_ids}
        if revolving_funds:
            parties |= _village_funds(dataset, project_ids)
        platforms, providers = _known_roles(dataset)
        return cls(name=name, parties=frozenset(parties), platforms=platforms, providers=providers)


@attrs.frozen(kw_only=True)
class BoundaryTotals:
    """Money that entered, moved inside, passed through and left a boundary.

    ``raised``, ``brought_in`` and ``put_in`` are read off the same flows, each counted
    once by where it crossed (:func:`classify_flow`, :class:`Crossing`); ``entered``,
    ``inside`` and ``left`` keep every crossing by :class:`FlowKind`, the other ones
    (fees, costs, refunds, repayments, interest) included.

    Attributes:
        boundary: the boundary.
        period: the period (``None``: every flow).
        currency: the currency counted (flows in others are left out).
        entered: money that crossed into the boundary, by kind.
        inside: money moved between parties inside, by kind.
        left: money that crossed out of it, by kind.
        entered_from: what entered, by the kind of party it came from.
        left_to: what left, by the kind of party it went to.
        through: money sent from outside straight into the boundary's work, by kind:
            counted as raised or brought in and as put in, but in neither ``entered``
            nor ``left``, since it never was in the boundary's books.
        crossings: the money of each :class:`Crossing` (a flow through to the work in
            both of its two).

    So ``raised + brought_in + other_in == total_entered + total_through`` and
    ``put_in + other_out == total_left + total_through``.
    """

    boundary: Boundary
    period: Period | None
    currency: str
    entered: Mapping[FlowKind, Money]
    inside: Mapping[FlowKind, Money]
    left: Mapping[FlowKind, Money]
    entered_from: Mapping[PartyKind, Money]
    left_to: Mapping[PartyKind, Money]
    through: Mapping[FlowKind, Money] = attrs.field(factory=dict)
    crossings: Mapping[Crossing, Money] = attrs.field(factory=dict)

    def _sum(self, values: Iterable[Money]) -> Money:
        return Money.total(values, self.currency)

    def _counted(self, crossing: Crossing) -> Money:
        return self.crossings.get(crossing, Money.zero(self.currency))

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
    def total_through(self) -> Money:
        """All money sent from outside straight into the boundary's work."""
        return self._sum(self.through.values())

    @property
    def raised(self) -> Money:
        """Money from donors, directly or through a platform (募捐款物)."""
        return self._counted(Crossing.RAISED)

    @property
    def brought_in(self) -> Money:
        """Money from other organisations and government outside the boundary (引进帮扶资金)."""
        return self._counted(Crossing.BROUGHT_IN)

    @property
    def put_in(self) -> Money:
        """Money and goods put into projects, cases, households and providers (投入帮扶资金物资)."""
        return self._counted(Crossing.PUT_IN)

    @property
    def other_in(self) -> Money:
        """Money in that is neither raised nor brought in (refunds, repayments, interest ...)."""
        return self._counted(Crossing.OTHER_IN)

    @property
    def other_out(self) -> Money:
        """Money out that is not put in (costs, fees, refunds, money passed on ...)."""
        return self._counted(Crossing.OTHER_OUT)

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


@functools.lru_cache(maxsize=1 << 10)
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
    and dates are the donation's own. Every field must be given (a missing one is a
    ``TypeError``).
    """
    make: Callable[..., _T] = _maker(cast(Hashable, cls))
    return make(**values)


@functools.cache
def _maker(cls: Any, *, positional: bool = False) -> Callable[..., Any]:
    """A function setting each slot of a new ``cls`` straight, with no validator: built once.

    About twice as fast as ``object.__setattr__`` field by field (the slots' own setters,
    looked up once), which is what a ledger of a million gifts spends its time on. With
    ``positional``, it takes the fields by position in the class's order, only for a
    caller that names each field beside its value (:func:`_gift_flows`).
    """
    names = [a.name for a in attrs.fields(cls)]
    setters = {f"_set_{n}": getattr(cls, n).__set__ for n in names}
    body = "".join(f"    _set_{n}(self, {n})\n" for n in names)
    params = f"{', '.join(names)}, /" if positional else f"*, {', '.join(names)}"
    text = f"def make({params}):\n    self = _new(_cls)\n{body}    return self\n"
    scope: dict[str, Any] = {"_new": object.__new__, "_cls": cls, **setters}
    exec(text, scope)  # the text is built from the class's own field names
    made: Callable[..., Any] = scope["make"]
    return made


_new_flow: Final[Callable[..., Flow]] = _maker(Flow)
_flow_in_order: Final[Callable[..., Flow]] = _maker(Flow, positional=True)
_new_origin: Final[Callable[..., Origin]] = _maker(Origin)


@functools.lru_cache(maxsize=1 << 16)
def _party(kind: PartyKind, id: str) -> Party:
    """A party, made once for each of the most recent 65,536 (kind, id) pairs."""
    return Party(kind=kind, id=id)


def _gift_ends(donation: Donation) -> tuple[Party, Party]:
    """Where a gift comes from (the donor, else the anonymous giver) and where it goes."""
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
    return source, destination


def donation_flows(donation: Donation) -> tuple[Flow, ...]:
    """The flows a donation implies: the gift in, and platform fees out.

    The gift goes from the donor (or ``outside:anonymous``) to the fund it names, else to
    the organisation that received it; its full value enters, and fees leave again to
    ``outside:<platform>`` as a fundraising cost, so raised money is counted gross and
    the fund holds the net amount.

    The flows are derived from the (already valid) donation without validating them a
    second time: a ledger of a million gifts is built in seconds. A dataset's ledger
    builds every gift's flows with the same function (one definition of each flow).
    """
    return tuple(_gift_flows((donation,)))


def _gift_parts(
    donations: Iterable[Donation], *, covered: Container[str] = ()
) -> Iterator[tuple[Donation, Party, Party, Party | None]]:
    """Each donation not in ``covered``, with its gift's ends and its fees' platform.

    ``(donation, source, destination, platform)``: the gift moves ``donation.value``
    from ``source`` (the donor, else ``outside:anonymous``) to ``destination`` (the fund
    it names, else its restriction's fund, else the organisation) on
    ``donation.received_on``; when its fees are positive, they move from
    ``destination`` to ``platform`` (``outside:<platform>``) on the same day, else
    ``platform`` is ``None``. What :func:`_gift_flows` makes its two flows of, and what
    the rules' sweeps read without making them. Each party is made once for all its
    gifts (the objects are shared while the iteration lasts).
    """
    donors: dict[str, Party] = {}
    funds: dict[str, Party] = {}
    orgs: dict[str, Party] = {}
    platforms: dict[str | None, Party] = {}
    for donation in donations:
        if donation.id in covered:
            continue
        donor_id = donation.donor_id
        if donor_id:
            source = donors.get(donor_id)
            if source is None:
                source = donors[donor_id] = _party(PartyKind.DONOR, donor_id)
        else:
            source = _ANONYMOUS
        fund_id = donation.fund_id
        if fund_id is None and donation.restricted_to is not None:
            fund_id = donation.restricted_to.fund_id
        if fund_id:
            destination = funds.get(fund_id)
            if destination is None:
                destination = funds[fund_id] = _party(PartyKind.FUND, fund_id)
        else:
            org_id = donation.organization_id
            destination = orgs.get(org_id)
            if destination is None:
                destination = orgs[org_id] = _party(PartyKind.ORGANIZATION, org_id)
        if not donation.fees.is_positive():
            yield donation, source, destination, None
            continue
        platform = platforms.get(donation.platform)
        if platform is None:
            label = _outside_label(donation.platform or "platform")
            platform = platforms[donation.platform] = _party(PartyKind.OUTSIDE, label)
        yield donation, source, destination, platform


def _gift_moves(
    ends: Iterable[tuple[Donation, Party, Party, Party | None]],
    period: Period | None,
    currency: str,
) -> Iterator[tuple[Party, Party, FlowKind, Decimal]]:
    """What the gifts' flows move in ``currency`` (in ``period``), read by :meth:`Ledger.totals`.

    ``(source, destination, kind, amount)`` of each flow :func:`_gift_flows` would make
    of ``ends`` (:func:`_gift_parts`): each gift's value from its source to its
    destination (``DONATION``), its fees from its destination to its platform
    (``FUNDRAISING_COST``), with no flow made.
    """
    gift_kind, fee_kind = FlowKind.DONATION, FlowKind.FUNDRAISING_COST
    start, end = (period.start, period.end) if period is not None else (date.min, date.max)
    for donation, source, destination, platform in ends:
        if not start <= donation.received_on <= end:
            continue
        value = donation.value
        if value._currency == currency:
            yield source, destination, gift_kind, value._amount
        if platform is not None and (fees := donation.fees)._currency == currency:
            yield destination, platform, fee_kind, fees._amount


def _gift_flow_id(gift_id: str) -> str:
    """A gift's flow id, ``derived_flow_id("donation", gift_id)``, as :func:`_gift_flows` has it."""
    flow_id = "donation:" + gift_id
    if len(flow_id) <= ID_MAX_LENGTH:
        return flow_id
    return derived_flow_id("donation", gift_id)


def _fee_flow_id(gift_id: str) -> str:
    """``derived_flow_id("donation", gift_id, ":fees")``: a gift's fee flow id."""
    fee_id = "donation:" + gift_id + ":fees"
    if len(fee_id) <= ID_MAX_LENGTH:
        return fee_id
    return derived_flow_id("donation", gift_id, ":fees")


def _gift_flows(donations: Iterable[Donation], *, covered: Container[str] = ()) -> list[Flow]:
    """The flows of many donations at once: :func:`donation_flows` of each, in order.

    The only definition of a gift's flows (``donation_flows`` is this function of one
    donation), for every donation whose id is not in ``covered`` (a gift a flow of a
    dataset's ``flows`` already stands for), made in one loop over :func:`_gift_parts`
    (each donor's, fund's and platform's party is looked up once for all its gifts), the
    flows made with their fields in order, unvalidated (they come from valid donations).
    A dataset's ledger holds its gifts as donations and makes these flows only when
    asked for single flows (:meth:`Ledger.flows`).

    >>> from datetime import date
    >>> from humanaid import Donation, Money
    >>> gifts = [Donation(id=f"g{i}", donor_id="d1", organization_id="society",
    ...                   received_on=date(2020, 5, i), value=Money("500"), fees=Money(i))
    ...          for i in (1, 2)]
    >>> [f.id for f in _gift_flows(gifts, covered={"g1"})]
    ['donation:g2', 'donation:g2:fees']
    """
    out: list[Flow] = []
    append = out.append
    new_flow, new_origin = _flow_in_order, _new_origin
    gift_kind, fee_kind = FlowKind.DONATION, FlowKind.FUNDRAISING_COST
    in_kind = DonationForm.IN_KIND
    longest = ID_MAX_LENGTH
    for donation, source, destination, platform in _gift_parts(donations, covered=covered):
        gift_id = donation.id
        origin = new_origin(collection="donations", id=gift_id)
        on = donation.received_on
        # derived_flow_id("donation", gift_id), spelt out: a call less for each gift
        flow_id = "donation:" + gift_id
        if len(flow_id) > longest:
            flow_id = derived_flow_id("donation", gift_id)
        # id, source, destination, amount, on, kind, in_kind, origin, parent_id,
        # purpose, note, transaction_ref
        append(
            new_flow(flow_id, source, destination, donation.value, on, gift_kind,
                     donation.form is in_kind, origin, None, None, "", None)
        )  # fmt: skip
        if platform is None:
            continue
        append(
            new_flow(_fee_flow_id(gift_id), destination, platform, donation.fees, on, fee_kind,
                     False, origin, flow_id, None, "", None)
        )  # fmt: skip
    return out


def refund_flows(refund: Refund, gift: Donation) -> tuple[Flow, ...]:
    """The flow a refund implies: its amount back from where ``gift`` went, to its donor.

    From the fund (else the organisation) the gift went to, to the donor (or
    ``outside:anonymous``), on the refund's own day: a ``REFUND`` with id
    ``refund:<id>`` and ``origin`` naming the refund. A refund crosses a boundary as
    other money out (never as money put in); the fundraising figures net it off what was
    raised on the refund's day.

    >>> from datetime import date
    >>> from humanaid import Money
    >>> gift = Donation(id="g1", donor_id="d1", organization_id="rc", fund_id="relief",
    ...                 received_on=date(2020, 5, 1), value=Money("500"))
    >>> back = Refund(id="rf1", donation_id="g1", on=date(2021, 1, 4), amount=Money("200"),
    ...               reason="paid twice by the donor")
    >>> [(f.id, str(f.source), str(f.destination), str(f.amount), f.kind.value)
    ...  for f in refund_flows(back, gift)]
    [('refund:rf1', 'fund:relief', 'donor:d1', '200.00 CNY', 'refund')]

    Raises:
        ValueError: if ``refund`` does not name ``gift``.
    """
    if refund.donation_id != gift.id:
        raise ValueError(f"refund {refund.id!r} names gift {refund.donation_id!r}, not {gift.id!r}")
    donor, held_by = _gift_ends(gift)
    return (
        Flow(
            id=derived_flow_id("refund", refund.id),
            source=held_by,
            destination=donor,
            amount=refund.amount,
            on=refund.on,
            kind=FlowKind.REFUND,
            in_kind=False,
            origin=Origin(collection="refunds", id=refund.id),
        ),
    )


# -- undoing and retrying: reversals, transaction numbers, balance assertions ----------------


REVERSIBLE_COLLECTIONS: Final = ("flows", "repayments", "refunds")
"""The collections whose records a :class:`Reversal` can undo."""


@attrs.frozen(kw_only=True)
class Reversal:
    """The record that a flow, a repayment or a refund was entered by mistake.

    A reversal never deletes: the wrong record stays in the dataset, with the reversal
    beside it saying when and why it was undone, so the history can be read back. The
    books treat the reversed record as never having happened, on every day: the ledger
    derives no flow from it, the seed-fund engine applies no repayment, and every
    balance, schedule, PAR figure and summary is what it would be without it. A
    reversal corrects an *entry*; money that really went back is a :class:`Refund` (of
    a gift) or a flow the other way.

    Attributes:
        id: the reversal's id.
        collection: the collection of the record reversed: one of
            :data:`REVERSIBLE_COLLECTIONS` (``"flows"``, ``"repayments"``, ``"refunds"``).
            Any other (a reversal of a reversal) is reported and has no effect.
        record_id: the id of the record reversed.
        on: the day the mistake was corrected.
        reason: why (never personal data): "entered twice", "wrong loan".

    The rules report a reversal of an unknown record (``funds.reversal-unknown-record``),
    of another reversal (``funds.reversal-of-reversal``) and a record reversed twice
    (``funds.reversed-twice``).

    >>> Reversal(id="x1", collection="repayments", record_id="r7", on=date(2021, 7, 2),
    ...          reason="entered on the wrong loan")
    Reversal(id='x1', collection='repayments', record_id='r7', on=datetime.date(2021, 7, 2), \
reason='entered on the wrong loan')
    """

    id: str = id_field()
    collection: str = attrs.field(validator=valid_id)
    record_id: str = attrs.field(validator=valid_id)
    on: date = date_field()
    reason: str = text_field()


def reversed_ids(reversals: Iterable[Reversal], collection: str) -> frozenset[str]:
    """The ids of the records of ``collection`` that ``reversals`` undo.

    A reversal naming a collection that cannot be reversed (another reversal) undoes
    nothing; a record reversed twice is reversed once.

    >>> r = Reversal(id="x1", collection="flows", record_id="f1", on=date(2020, 1, 2),
    ...              reason="typo")
    >>> sorted(reversed_ids([r], "flows")), sorted(reversed_ids([r], "repayments"))
    (['f1'], [])
    """
    if collection not in REVERSIBLE_COLLECTIONS:
        return frozenset()
    return frozenset(r.record_id for r in reversals if r.collection == collection)


_R = TypeVar("_R")


def duplicate_transactions(records: Iterable[_R], *, day: Callable[[_R], date]) -> dict[str, _R]:
    """The records entered again under a transaction number already used, each to its first.

    Records are taken in order of ``day(record)``, then id; the first with a given
    ``transaction_ref`` is booked, each later one is a duplicate, mapped here (by its
    id) to the record it repeats. Records without a number are never duplicates.

    >>> def gift(id, ref, day):
    ...     return Donation(id=id, organization_id="rc", received_on=date(2020, 1, day),
    ...                     value=Money("100"), transaction_ref=ref)
    >>> dups = duplicate_transactions(
    ...     [gift("g2", "TX9", 3), gift("g1", "TX9", 3), gift("g3", None, 3)],
    ...     day=lambda g: g.received_on)
    >>> {k: v.id for k, v in dups.items()}
    {'g2': 'g1'}
    """
    first: dict[str, _R] = {}
    out: dict[str, _R] = {}
    with_ref = [r for r in records if getattr(r, "transaction_ref", None) is not None]
    with_ref.sort(key=lambda r: (day(r), getattr(r, "id", "")))
    for r in with_ref:
        ref = getattr(r, "transaction_ref")  # noqa: B009 - records of any type
        seen = first.get(ref)
        if seen is None:
            first[ref] = r
        else:
            out[getattr(r, "id")] = seen  # noqa: B009
    return out


@attrs.frozen(kw_only=True)
class BalanceAssertion:
    """What a fund held at the start of a day, from a bank statement: checked by a rule.

    As in beancount, the balance asserted is the one at the *start* of ``on``: every
    flow dated before it, none of that day's. The rule ``funds.balance-mismatch``
    compares it with the ledger's and reports both figures when they differ, so a bank
    statement is reconciled against the books.

    Attributes:
        id: the assertion's id.
        fund_id: the fund.
        on: the day; the balance is the one at its start.
        expected: the balance the statement shows, in the currency counted.
        source: where the figure comes from ("bank statement 2021-03").

    >>> BalanceAssertion(id="b1", fund_id="relief", on=date(2021, 4, 1),
    ...                  expected=Money("12000"), source="ICBC statement 2021-03").expected
    Money('12000.00', 'CNY')
    """

    id: str = id_field()
    fund_id: str = ref_field("funds")
    on: date = date_field()
    expected: Money = money_field()
    source: str = text_field()
