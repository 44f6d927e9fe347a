"""A dataset's ledger: every flow its records hold or imply, in one :class:`~humanaid.Ledger`.

Money events are recorded in many collections: flows, donations, distributions, cases,
loans, repayments and write-offs. :func:`dataset_flows` gathers the flows of all of them,
each event once, and :func:`dataset_ledger` builds the ledger of those flows, which every
balance and figure of the dataset reads (:meth:`humanaid.Dataset.ledger` keeps it, built
once).

Each money event reaches the ledger exactly once. A flow in the dataset's ``flows`` whose
``origin`` names the record stands for it (one or several flows: a gift booked by hand, a
case paid in instalments), and so does a flow paid to a case (``Party.case(id)``, the
older way to book a case's payment); a record no flow stands for gets the flows derived
from it here (:func:`records_paid_by` says which records are paid by hand).
Never both, never neither: the rules of :mod:`humanaid.rules.events` report a record
whose flows cannot be derived, a record paid by hand and derived too, and a flow that
disagrees with its record. The collections of money events are
:data:`EVENT_COLLECTIONS`; the plans and figures (pledges, campaign targets, budgets and
co-financing shares, stated figures, approved amounts) move no money and imply no flow.

This room sits in the dataset layer, above the domain modules whose flows it gathers
(:mod:`humanaid.funds` for donations, :mod:`humanaid.revolving` for loans, and the
handouts and case payments of :mod:`humanaid.cases`), so that none of them needs
another.

>>> from datetime import date
>>> from humanaid import Dataset, Donation, Money, Party
>>> gift = Donation(id="g1", donor_id="d1", organization_id="society",
...                 received_on=date(2020, 5, 1), value=Money("500"), fees=Money("3"))
>>> [(f.id, str(f.source), str(f.destination)) for f in dataset_flows(Dataset(donations=[gift]))]
[('donation:g1', 'donor:d1', 'organization:society'),
 ('donation:g1:fees', 'organization:society', 'outside:platform')]
>>> dataset_ledger(Dataset(donations=[gift])).balance(Party.organization("society"))
Money('497.00', 'CNY')

A handout in a campaign that raises for a fund is paid by that fund:

>>> from humanaid import Campaign, Distribution, Period
>>> drive = Campaign(id="boai-2020", name="博爱送万家", organizer_id="society",
...                  period=Period.year(2020), fund_id="relief")
>>> pack = Distribution.cash(id="d1", household_id="h1", on=date(2020, 1, 15),
...                          value=Money("300"), campaign_id="boai-2020")
>>> [(f.id, str(f.source), str(f.destination), f.kind.value)
...  for f in dataset_flows(Dataset(campaigns=[drive], distributions=[pack]))]
[('distribution:d1', 'fund:relief', 'household:h1', 'disbursement')]
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Final, cast

import attrs

from humanaid import _gc
from humanaid.cases import Case, Distribution
from humanaid.donors import Donation, Refund
from humanaid.funds import (
    Flow,
    FlowKind,
    Ledger,
    Party,
    PartyKind,
    _gift_flows,
    _new_flow,
    _new_origin,
    _party,
    derived_flow_id,
    duplicate_transactions,
    refund_flows,
    reversed_ids,
)
from humanaid.money import DEFAULT_CURRENCY
from humanaid.revolving import Repayment, revolving_flows
from humanaid.revolving.books import repayments_not_booked
from humanaid.source import RecordSource

__all__ = [
    "EVENT_COLLECTIONS",
    "aid_flows",
    "booked_donations",
    "booked_flows",
    "booked_refunds",
    "case_flows",
    "case_payee",
    "case_payer",
    "case_payment_day",
    "dataset_flows",
    "dataset_ledger",
    "distribution_flows",
    "distribution_payer",
    "not_booked",
    "records_paid_by",
]

EVENT_COLLECTIONS: Final = (
    "donations",
    "distributions",
    "cases",
    "loans",
    "repayments",
    "write_offs",
)
"""The collections whose records are money events, each reaching the ledger once.

A donation (its gift and fees), a distribution (its value), a case (what was paid), a
loan (its principal), a repayment (its amount, split by the repayment engine) and a
write-off (the principal it takes off the books). Grants, allocations and project
spending have no record of their own: they are flows, written in ``flows``. A refund of
a gift (``refunds``) is a money event too: :func:`dataset_flows` derives its flow
(:func:`booked_refunds`). A :class:`~humanaid.Reversal` moves no money: it undoes a
record, which then reaches the ledger not at all (:func:`not_booked`).
"""


# -- who paid, and to whom -----------------------------------------------------------------


def distribution_payer(dataset: RecordSource, distribution: Distribution) -> Party | None:
    """Who paid for a handout, or ``None`` when the records do not say.

    In this order: the fund the distribution names (``fund_id``); the project that pays
    for it (``project_id``); its campaign's fund, else the campaign's responsible body
    (its host, else its organiser); its programme's organisation. A campaign or
    programme that is not in the dataset is passed over (the integrity rule reports the
    reference). When none of these is known, no flow is derived and the rule
    ``events.flow-missing`` asks for the payer.

    >>> from datetime import date
    >>> from humanaid import Dataset, Distribution, Money, Program
    >>> d = Distribution.cash(id="d1", household_id="h1", on=date(2020, 1, 15),
    ...                       value=Money("300"), program_id="relief")
    >>> print(distribution_payer(Dataset(), d))
    None
    >>> relief = Program(id="relief", name="冬季救助", organization_id="county-rc")
    >>> print(distribution_payer(Dataset(programs=[relief]), d))
    organization:county-rc
    """
    if distribution.fund_id is not None:
        return _party(PartyKind.FUND, distribution.fund_id)
    if distribution.project_id is not None:
        return _party(PartyKind.PROJECT, distribution.project_id)
    if distribution.campaign_id is not None:
        campaign = dataset.index("campaigns", missing_ok=True).get(distribution.campaign_id)
        if campaign is not None:
            if campaign.fund_id is not None:
                return _party(PartyKind.FUND, campaign.fund_id)
            return _party(PartyKind.ORGANIZATION, campaign.responsible_id)
    return _program_organization(dataset, distribution.program_id)


def case_payer(dataset: RecordSource, case: Case) -> Party | None:
    """Who paid for a case, or ``None`` when the records do not say.

    In this order: the fund the case names (``fund_id``); the project that pays for it
    (``project_id``); its programme's organisation (a programme that is not in the
    dataset is passed over). When none is known, no flow is derived and the rule
    ``events.flow-missing`` asks for the payer.
    """
    if case.fund_id is not None:
        return _party(PartyKind.FUND, case.fund_id)
    if case.project_id is not None:
        return _party(PartyKind.PROJECT, case.project_id)
    return _program_organization(dataset, case.program_id)


def _program_organization(dataset: RecordSource, program_id: str | None) -> Party | None:
    if program_id is None:
        return None
    program = dataset.index("programs", missing_ok=True).get(program_id)
    return None if program is None else _party(PartyKind.ORGANIZATION, program.organization_id)


def case_payee(case: Case) -> Party:
    """Who a case's payment goes to: its hospital, else the patient, else the household.

    >>> from datetime import date
    >>> from humanaid import Case
    >>> c = Case.refer(id="c1", kind="medical", person_id="p1", hospital_id="fuwai",
    ...                on=date(2020, 3, 2))
    >>> str(case_payee(c)), str(case_payee(Case.refer(id="c2", kind="hardship",
    ...                                                household_id="h1", on=date(2020, 3, 2))))
    ('organization:fuwai', 'household:h1')
    """
    if case.hospital_id is not None:
        return _party(PartyKind.ORGANIZATION, case.hospital_id)
    if case.person_id is not None:
        return _party(PartyKind.PERSON, case.person_id)
    # A case names a person or a household (its validator sees to it).
    return _party(PartyKind.HOUSEHOLD, cast(str, case.household_id))


def case_payment_day(case: Case) -> date:
    """The day a case's derived payment is booked on.

    A case records what was paid, not when: the payment is booked on the day help was
    delivered (:attr:`~humanaid.Case.served_on`), else the day the case was approved,
    else the day of its last event. Never before the case was opened. To book the
    payments on their own days, write them as flows naming the case as their
    ``origin``.
    """
    served = case.served_on
    if served is not None:
        return served
    approved = case.reached("approved")
    return approved if approved is not None else case.history[-1].on


# -- the flows a record implies ------------------------------------------------------------


def distribution_flows(distribution: Distribution, *, payer: Party) -> tuple[Flow, ...]:
    """The flow a handout implies: its value from ``payer`` to the household, on its day.

    A ``DISBURSEMENT`` (money or goods put in), ``in_kind`` for goods, with the
    distribution's ``purpose``, id ``distribution:<id>`` and ``origin`` naming it.

    >>> from datetime import date
    >>> from humanaid import Distribution, Money, Party
    >>> d = Distribution.cash(id="d1", household_id="h1", on=date(2020, 1, 15),
    ...                       value=Money("300"))
    >>> (flow,) = distribution_flows(d, payer=Party.fund("relief"))
    >>> flow.id, str(flow.destination), flow.amount, flow.in_kind
    ('distribution:d1', 'household:h1', Money('300.00', 'CNY'), False)
    """
    return (
        _derived(
            id=derived_flow_id("distribution", distribution.id),
            source=payer,
            destination=_party(PartyKind.HOUSEHOLD, distribution.household_id),
            amount=distribution.value,
            on=distribution.on,
            kind=FlowKind.DISBURSEMENT,
            in_kind=distribution.is_in_kind,
            origin=_new_origin(collection="distributions", id=distribution.id),
            parent_id=None,
            purpose=distribution.purpose,
            note="",
            transaction_ref=None,
        ),
    )


def case_flows(case: Case, *, payer: Party) -> tuple[Flow, ...]:
    """The flow a paid case implies; none while nothing is paid.

    What was paid (``paid``), from ``payer`` to :func:`case_payee`, on
    :func:`case_payment_day`: a ``DISBURSEMENT`` with the case's ``purpose``, id
    ``case:<id>:paid`` and ``origin`` naming the case. The note is empty: a case's
    details (its condition) are personal data.

    >>> from datetime import date
    >>> from humanaid import Case, Money, Party
    >>> c = Case.refer(id="c1", kind="medical", person_id="p1", hospital_id="fuwai",
    ...                on=date(2020, 3, 2))
    >>> case_flows(c, payer=Party.fund("heart"))
    ()
    >>> c = c.advance("screened", on=date(2020, 3, 5)).advance("assessed", on=date(2020, 3, 9))
    >>> c = c.advance("approved", on=date(2020, 3, 12), approved=Money("18000"))
    >>> c = c.advance("in_treatment", on=date(2020, 4, 1), paid=Money("17500"))
    >>> [(f.id, str(f.source), str(f.destination), f.on.isoformat())
    ...  for f in case_flows(c, payer=Party.fund("heart"))]
    [('case:c1:paid', 'fund:heart', 'organization:fuwai', '2020-04-01')]
    """
    paid = case.paid
    if paid is None or not paid.is_positive():
        return ()
    return (
        _derived(
            id=derived_flow_id("case", case.id, ":paid"),
            source=payer,
            destination=case_payee(case),
            amount=paid,
            on=case_payment_day(case),
            kind=FlowKind.DISBURSEMENT,
            in_kind=False,
            origin=_new_origin(collection="cases", id=case.id),
            parent_id=None,
            purpose=case.purpose,
            note="",
            transaction_ref=None,
        ),
    )


def _derived(**values: Any) -> Flow:
    """A flow derived from a valid record: made without validating it a second time.

    Its id is built from the record's valid id, its money, day and purpose are the
    record's own. Only the payer comes from elsewhere: a payer that is not a
    :class:`~humanaid.Party`, or that is also the payee, goes through the validating
    constructor, which says what is wrong.
    """
    source = values["source"]
    if type(source) is not Party or source == values["destination"]:
        return Flow(**values)
    return _new_flow(**values)


def records_paid_by(flows: Iterable[Flow]) -> set[tuple[str, str]]:
    """The records that ``flows`` stand for, as ``(collection, id)`` pairs.

    Each flow's ``origin``; and, the older way of booking a case's payment by hand, the
    case a flow is paid to (``Party.case(id)``, which the rule
    ``cases.payment-not-in-ledger`` checks against the case's paid amount). The ledger
    derives no flow for these records.

    >>> from datetime import date
    >>> from humanaid import Flow, Money, Origin, Party
    >>> flows = [Flow(id="f1", source=Party.fund("heart"), destination=Party.case("c1"),
    ...               amount=Money("18000"), on=date(2020, 5, 1), kind="disbursement"),
    ...          Flow(id="f2", source=Party.fund("relief"), destination=Party.household("h1"),
    ...               amount=Money("300"), on=date(2020, 1, 15), kind="disbursement",
    ...               origin=Origin(collection="distributions", id="d1"))]
    >>> sorted(records_paid_by(flows))
    [('cases', 'c1'), ('distributions', 'd1')]
    """
    out: set[tuple[str, str]] = set()
    for f in flows:
        if f.origin is not None:
            out.add((f.origin.collection, f.origin.id))
        if f.destination.kind is PartyKind.CASE:
            out.add(("cases", f.destination.id))
    return out


def aid_flows(
    dataset: RecordSource, *, covered_by: Iterable[Flow] | None = None
) -> tuple[Flow, ...]:
    """The flows a dataset's distributions and paid cases imply.

    One flow for each distribution (:func:`distribution_flows`) and each paid case
    (:func:`case_flows`) that no flow in ``covered_by`` (by default the dataset's
    booked ``flows``: :func:`booked_flows`) stands for (:func:`records_paid_by`: it
    names the record as its origin, or it is paid to the case), and whose payer is known
    (:func:`distribution_payer`, :func:`case_payer`). A record whose payer is not known
    implies no flow here; the rule ``events.flow-missing`` reports it. Collections the
    dataset lacks are skipped.
    """
    collections = dataset.collection_types()
    if covered_by is None:
        covered_by = booked_flows(dataset)
    covered = records_paid_by(covered_by)
    out: list[Flow] = []
    with _gc.paused():  # a flow for each of (perhaps) a million handouts
        if "distributions" in collections:
            for d in dataset.records("distributions"):
                if ("distributions", d.id) in covered:
                    continue
                payer = distribution_payer(dataset, d)
                if payer is not None:
                    out.extend(distribution_flows(d, payer=payer))
        if "cases" in collections:
            for c in dataset.records("cases"):
                if c.paid is None or not c.paid.is_positive() or ("cases", c.id) in covered:
                    continue
                payer = case_payer(dataset, c)
                if payer is not None:
                    out.extend(case_flows(c, payer=payer))
    return tuple(out)


# -- the dataset's flows and ledger ----------------------------------------------------------


# -- what is booked: reversals and transaction numbers ------------------------------------------


def _is_columnar(records: object) -> bool:
    """Whether ``records`` are held in a columnar engine (:mod:`humanaid.interop.columnar`).

    Duck-typed, so the ledger imports no engine: such a source answers
    ``repeated(path)``, ``fields_matching(fields, path, values)`` and
    ``without(path, values)``.
    """
    return getattr(type(records), "__humanaid_tabulate__", None) is not None


_DAY_FIELDS: Final = {
    "flows": "on",
    "donations": "received_on",
    "refunds": "on",
    "repayments": "paid_on",
}
"""The field that orders each collection's records by day (``transaction_ref`` duplicates).

The one statement of it: the day functions below (``_flow_day`` ...) are read from it,
and a columnar source is asked for this column.
"""
_DAY: Final[dict[str, Callable[[Any], date]]] = {
    c: operator.attrgetter(field) for c, field in _DAY_FIELDS.items()
}
_flow_day: Final[Callable[[Flow], date]] = _DAY["flows"]
_gift_day: Final[Callable[[Donation], date]] = _DAY["donations"]
_refund_day: Final[Callable[[Refund], date]] = _DAY["refunds"]
_repaid_day: Final[Callable[[Repayment], date]] = _DAY["repayments"]


def _columnar_not_booked(
    records: Any,
    collection: str,
    undone: frozenset[str],
    by: dict[tuple[str, str], str],
    day: Any,
    out: dict[tuple[str, str], str],
) -> None:
    """:func:`_not_booked` for a columnar collection: two small queries, not a pass in Python.

    The records reversed are fetched by id; the duplicates can only be among the records
    whose ``transaction_ref`` is repeated, which one grouping query finds, and only those
    are read back and ordered as :func:`~humanaid.funds.duplicate_transactions` orders.
    """
    if undone:
        for r in records.fields_matching(("id",), "id", undone):
            out[(collection, r.id)] = f"reversed by {by[(collection, r.id)]}"
    if "transaction_ref" not in attrs.fields_dict(records.record_type):
        return
    refs = records.repeated("transaction_ref")
    if not refs:
        return
    # (three columns read, not the records: an id, a number and the day that orders them)
    fields = ("id", "transaction_ref", _DAY_FIELDS[collection])
    found = records.fields_matching(fields, "transaction_ref", refs)
    kept = [r for r in found if r.id not in undone]
    for dup, first in duplicate_transactions(kept, day=day).items():
        out.setdefault((collection, dup), f"duplicate of {first.id}")


def _not_booked(dataset: RecordSource) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    reversals = dataset.records("reversals", missing_ok=True)
    by: dict[tuple[str, str], str] = {}
    for x in reversals:
        by.setdefault((x.collection, x.record_id), x.id)
    for collection, day in (
        ("flows", _flow_day),
        ("donations", _gift_day),
        ("refunds", _refund_day),
    ):
        records = dataset.records(collection, missing_ok=True)
        if not records:
            continue
        undone = reversed_ids(reversals, collection)
        if _is_columnar(records):
            _columnar_not_booked(records, collection, undone, by, day, out)
            continue
        kept: Iterable[Any] = records
        if undone:
            for r in records:
                if r.id in undone:
                    out[(collection, r.id)] = f"reversed by {by[(collection, r.id)]}"
            kept = [r for r in records if r.id not in undone]
        for dup, first in duplicate_transactions(_sharing_a_ref(kept), day=day).items():
            out.setdefault((collection, dup), f"duplicate of {first.id}")
    if "repayments" in dataset.collection_types():
        repayments = dataset.records("repayments")
        if _is_columnar(repayments):
            undone = reversed_ids(reversals, "repayments")
            _columnar_not_booked(repayments, "repayments", undone, by, _repaid_day, out)
            return out
        for rid, why in repayments_not_booked(dataset).items():
            out[("repayments", rid)] = why
    return out


def _sharing_a_ref(records: Iterable[Any]) -> list[Any]:
    """The records whose ``transaction_ref`` another of them uses too, in their order.

    Only these can be duplicates, and each of them comes with every record of its
    number: :func:`~humanaid.funds.duplicate_transactions` finds the same duplicates
    among them as among all, without ordering a million gifts by day to find a few.
    """
    seen: set[str] = set()
    repeated: set[str] = set()
    for r in records:
        ref = getattr(r, "transaction_ref", None)
        if ref is not None:
            if ref in seen:
                repeated.add(ref)
            else:
                seen.add(ref)
    if not repeated:
        return []
    return [r for r in records if getattr(r, "transaction_ref", None) in repeated]


def not_booked(dataset: RecordSource) -> dict[tuple[str, str], str]:
    """The records the books treat as never having happened, each with why.

    Keys are ``(collection, id)``: a flow, a repayment or a refund undone by a
    :class:`~humanaid.Reversal` (``"reversed by <id>"``), and a flow, gift, refund or
    repayment entered again under the ``transaction_ref`` of an earlier one of its
    collection, by day then id (``"duplicate of <id>"``). The ledger derives nothing
    from them and every figure leaves them out; the rules report them
    (``funds.reversal-*``, ``*.duplicate-transaction``). Built once per dataset; a new
    dict each call.

    >>> from datetime import date
    >>> from humanaid import Dataset, Donation, Money
    >>> gifts = [Donation(id=g, organization_id="rc", received_on=date(2021, 1, 5),
    ...                   value=Money("100"), transaction_ref="WX-1") for g in ("g1", "g2")]
    >>> not_booked(Dataset(donations=gifts))
    {('donations', 'g2'): 'duplicate of g1'}
    """
    found: dict[tuple[str, str], str] = dataset.derived("ledger:not-booked", _not_booked)
    return dict(found)


def _booked(dataset: RecordSource, collection: str) -> tuple[Any, ...]:
    records = dataset.records(collection, missing_ok=True)
    if not records:
        return records
    skipped = dataset.derived("ledger:not-booked", _not_booked)
    if not skipped:
        return records
    if _is_columnar(records):
        # the engine leaves the few ids out of every query (a narrowed source)
        ids = [rid for kept, rid in skipped if kept == collection]
        return cast(tuple[Any, ...], records.without("id", ids))  # type: ignore[attr-defined]
    return tuple(r for r in records if (collection, r.id) not in skipped)


def booked_flows(dataset: RecordSource) -> tuple[Flow, ...]:
    """The dataset's ``flows`` less those reversed or entered twice (:func:`not_booked`)."""
    flows: tuple[Flow, ...] = dataset.derived(
        "ledger:booked-flows", lambda ds: _booked(ds, "flows")
    )
    return flows


def booked_donations(dataset: RecordSource) -> tuple[Donation, ...]:
    """The dataset's donations less those entered twice (:func:`not_booked`).

    What every fundraising figure counts: a gift entered twice under one
    ``transaction_ref`` is counted once. When the donations are columnar
    (:func:`humanaid.interop.columnar.scan_dataset`), the gifts not booked are found by
    two small queries (the ids reversed, the transaction numbers used twice) and the
    answer is the same columnar source, narrowed to leave their ids out, so the
    summaries' queries still run in the engine.
    """
    gifts: tuple[Donation, ...] = dataset.derived(
        "ledger:booked-donations", lambda ds: _booked(ds, "donations")
    )
    return gifts


def booked_refunds(dataset: RecordSource) -> tuple[tuple[Refund, Donation], ...]:
    """The refunds the books count, each with its gift.

    Left out, and reported by the rules: a refund reversed or entered twice
    (:func:`not_booked`), of a gift the dataset lacks or does not book
    (``integrity.missing-reference``), dated before its gift
    (``fundraising.refund-before-gift``) or in another currency than its gift
    (``fundraising.refund-exceeds-gift``). A refund that takes more than is left of its
    gift is counted as recorded (the money did leave) and reported.
    """

    def build(ds: RecordSource) -> tuple[tuple[Refund, Donation], ...]:
        refunds = _booked(ds, "refunds")
        if not refunds:  # no dict of a million gifts for none
            return ()
        # the last booked gift of each id a refund names (what a dict of them all keeps)
        named = {refund.donation_id for refund in refunds}
        gifts = {g.id: g for g in booked_donations(ds) if g.id in named}
        out = []
        for refund in refunds:
            gift = gifts.get(refund.donation_id)
            if (
                gift is not None
                and refund.on >= gift.received_on
                and refund.amount.currency == gift.value.currency
            ):
                out.append((refund, gift))
        return tuple(out)

    refunds: tuple[tuple[Refund, Donation], ...] = dataset.derived("ledger:booked-refunds", build)
    return refunds


def dataset_flows(dataset: RecordSource) -> tuple[Flow, ...]:
    """The dataset's flows plus the flows its records imply and no flow stems from yet.

    In this order: the dataset's ``flows``; donations' gifts and fees
    (:func:`humanaid.donation_flows`); refunds (:func:`humanaid.refund_flows`, as
    :func:`booked_refunds` keeps them); handouts and case payments (:func:`aid_flows`);
    loans, repayments and write-offs (:func:`humanaid.revolving_flows`). A record that a
    flow of ``flows`` names as its ``origin`` implies none, nor does a case that a flow
    is paid to (``Party.case(id)``). Records the books treat as never having happened
    (reversed, or entered twice under one ``transaction_ref``: :func:`not_booked`) imply
    nothing, and such flows of ``flows`` are left out. Works with any
    :class:`~humanaid.source.RecordSource`: collections it lacks are skipped.
    """
    with _gc.paused():  # a flow or two for each of (perhaps) a million records
        return _dataset_flows(dataset)


def _dataset_flows(dataset: RecordSource) -> tuple[Flow, ...]:
    own, gifts, covered, rest = _dataset_parts(dataset)
    return (*own, *_gift_flows(gifts, covered=covered), *rest)


def _dataset_parts(
    dataset: RecordSource,
) -> tuple[tuple[Flow, ...], tuple[Donation, ...], set[str], list[Flow]]:
    """:func:`dataset_flows` in three parts, the gifts as donations: ``own``, gifts, the rest.

    The dataset's booked flows; the booked donations and the ids of those a booked flow
    stands for (their flows are :func:`~humanaid.funds._gift_flows` of these); the flows
    of refunds, handouts, cases and the revolving funds.
    """
    collections = dataset.collection_types()
    own: tuple[Flow, ...] = booked_flows(dataset) if "flows" in collections else ()
    gifts: tuple[Donation, ...] = ()
    covered: set[str] = set()
    if "donations" in collections:
        covered = {
            f.origin.id for f in own if f.origin is not None and f.origin.collection == "donations"
        }
        gifts = booked_donations(dataset)
    rest: list[Flow] = []
    if "refunds" in collections:
        paid = {
            f.origin.id for f in own if f.origin is not None and f.origin.collection == "refunds"
        }
        for refund, gift in booked_refunds(dataset):
            if refund.id not in paid:
                rest.extend(refund_flows(refund, gift))
    rest.extend(aid_flows(dataset, covered_by=own))
    if "loans" in collections:
        rest.extend(revolving_flows(dataset, covered_by=own))
    return own, gifts, covered, rest


def dataset_ledger(dataset: RecordSource, *, currency: str = DEFAULT_CURRENCY) -> Ledger:
    """A new ledger of every flow the dataset holds or implies (:func:`dataset_flows`).

    :meth:`humanaid.Dataset.ledger` builds its ledger with this and keeps it; call that
    instead to share the one ledger. A :class:`~humanaid.source.RecordSource` of your own
    can build its ``ledger()`` with this function too.

    The ledger holds the gifts as donations and makes their flows (a gift's and its
    fees') only when asked for single flows (its ``flows``, a party's entries or
    balance, a total): the built-in rules read the donations instead, so validating a
    dataset makes no flow for a gift. Every answer is that of ``Ledger(dataset_flows(
    dataset))``.
    """
    with _gc.paused():  # the flows and their order, made at once
        own, gifts, covered, rest = _dataset_parts(dataset)
        if _is_columnar(gifts):
            return Ledger((*own, *_gift_flows(gifts, covered=covered), *rest), currency=currency)
        return Ledger._of_gifts(own, gifts, covered, rest, currency=currency)
