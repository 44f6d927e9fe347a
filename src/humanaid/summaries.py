"""The summaries societies publish, one call each, as :class:`~humanaid.Table` s.

Each function takes a :class:`~humanaid.Dataset` and a period (or a day, or a boundary)
and returns a table that prints, shows itself in Jupyter and leaves as CSV, pandas or
Arrow. They are built on the aggregation engine (:func:`humanaid.tabulate`) and on the
domain functions that already define each figure (:func:`humanaid.reach`,
:func:`humanaid.funnel`, :func:`humanaid.project_finance`,
:func:`humanaid.portfolio_report`, the ledger's :meth:`~humanaid.Ledger.totals`), so a
figure in a summary is always the figure those functions give.

* **Fundraising**: :func:`fundraising_summary` (raised by donor kind, channel, form,
  campaign ... with gifts (笔) and distinct donors), :func:`top_donors` (by public name or
  id, never a personal name), :func:`campaign_summary` (raised against target).
* **Relief**: :func:`relief_summary` (goods and cash handed out, households and persons
  reached, per drive).
* **Medical aid**: :func:`medical_summary` (screened person-times and persons, treated,
  paid, per programme and round).
* **Projects**: :func:`project_summary` (budget, funding received by source, spending,
  leverage), :func:`results_summary` (indicators against targets).
* **Revolving funds**: :func:`revolving_summary` (one portfolio report per fund).
* **The year at a glance**: :func:`year_at_a_glance`, the sentence-sized figures of an
  annual report (投入, 引进, 募捐, projects built, reach) as a table and as sentences.

>>> from datetime import date
>>> from humanaid import Dataset, Donation, Donor, Money, Organization
>>> ds = Dataset(
...     organizations=[Organization(id="qj", name="曲靖市红十字会", level="city")],
...     donors=[Donor(id="acme", kind="enterprise", public_name="某粮油公司"),
...             Donor(id="p1", kind="individual", name="张三")],
...     donations=[
...         Donation(id="g1", organization_id="qj", donor_id="acme", received_on=date(2020, 2, 1),
...                  value=Money("50000"), receipt_number="R1"),
...         Donation(id="g2", organization_id="qj", donor_id="p1", received_on=date(2020, 3, 1),
...                  value=Money("200"), channel="online_platform", platform="轻松筹",
...                  fees=Money("1.20"), no_receipt_reason="not_requested"),
...         Donation(id="g3", organization_id="qj", received_on=date(2020, 3, 2),
...                  value=Money("100"), no_receipt_reason="anonymous"),
...     ],
... )
>>> print(fundraising_summary(ds, 2020).with_format(money_unit="元"))
Raised by donor kind, 2020
donor kind       raised  in kind    fees  gifts  donors
----------  -----------  -------  ------  -----  ------
individual     200.00元   0.00元  1.20元      1       1
enterprise  50,000.00元   0.00元  0.00元      1       1
               100.00元   0.00元  0.00元      1       0
1 finding (1 error):
  ERROR fundraising.unqualified-public-appeal [g2]: online gift 'g2' went to 'qj', ...
>>> print(top_donors(ds, n=2))
Top donors
rank  donor                kind             raised  gifts
----  -------------------  ----------  -----------  -----
   1  某粮油公司           enterprise  50,000.00元      1
   2  individual donor p1  individual     200.00元      1
1 finding (1 error):
  ERROR fundraising.unqualified-public-appeal [g2]: online gift 'g2' went to 'qj', ...

The last row of the first table is the anonymous gift: it counts among the gifts, not
among the donors. Under the rows is what is wrong with the gifts the table added up: the
online gift went to a society without the public-fundraising qualification (the figures
are shown, and the finding with them). Tables show money in 万元 to two decimals by
default, as reports do (and say when a shown amount is rounded); the cells hold exact
:class:`~humanaid.Money`.

**Figures that cannot be right are not printed as if they were.**

* An id that names no record (``organization_id=``, ``program_id=``) raises
  :class:`~humanaid.UnknownId` with the nearest known ids, never a table of zeros.
* A summary of a dataset carries, in :attr:`Table.findings <humanaid.Table.findings>`,
  the **error** findings of the built-in rules (:meth:`Dataset.validate
  <humanaid.Dataset.validate>`, run once per dataset and kept) whose subject is the id
  of a record the summary read: the gifts it added up and their donors, the handouts
  and their households, the projects and the flows into and out of them, the loans of
  a seed fund and their repayments, and so on (each function says which). The table
  shows them under its rows; ``to_rows()``, CSV and pandas leave them out. With
  ``strict=True`` the summary refuses instead and raises
  :class:`~humanaid.FindingsError`, which carries them. A finding is matched by its
  subject's id alone, so a finding about another record with the same id (in another
  collection) comes along too; summaries of a plain list of donations have no dataset
  to check and carry none.
* Money events that cannot be right are left out of the figures and reported: a
  repayment or a write-off dated before its loan was disbursed (left out of the
  seed-fund books: :func:`~humanaid.revolving.books.repayments_left_out`,
  :func:`~humanaid.revolving.books.write_offs_left_out`), and a payment to a case dated
  before the case was opened (:func:`~humanaid.payments_before_case`), which
  :func:`year_at_a_glance` leaves out of what was put in and :func:`project_summary` out
  of what was spent.
* Money in another currency than the report's (``currency=``) is converted with the
  rate of its record's day (``rates=``, by default the dataset's exchange rates, under
  ``rate_policy=``), each amount rounded half-up to the minor unit and then added; the
  table's notes name the policy and the rates' sources. A record no rate converts is
  left out of the money (its counts still count it), with a ``currency.no-rate``
  finding. See :doc:`/concepts/currencies`.
"""

from __future__ import annotations

import bisect
import decimal
import itertools
import operator
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

import attrs

from humanaid import _gc
from humanaid._decimal import EXACT as _EXACT
from humanaid._decimal import RATIO as _RATIO
from humanaid._decimal import ratio
from humanaid._decimal import tidy as _tidy
from humanaid.aggregate import (
    FieldCondition,
    _tabulate_largest,
    _tabulate_rows,
    all_of,
    count,
    distinct,
    field_between,
    field_in,
    field_is,
    field_not_empty,
    field_not_in,
    lookup_key,
    period_key,
    sum_of,
    tabulate,
    total,
)
from humanaid.cases import Case, CaseKind, CaseStatus, Distribution, Screening, ScreeningOutcome
from humanaid.crossings import (
    _as_period,
    _Books,
    _case_days,
    _engine_held,
    _grouped,
    _Moved,
    _project_books,
    _revolving_books,
    _stand_in,
    _summed_books,
)
from humanaid.dataset import Dataset
from humanaid.donors import Channel, Donation, DonationForm, Donor, DonorKind, Refund
from humanaid.errors import CurrencyMismatch, FindingsError, UnknownId
from humanaid.findings import Finding, Findings, Severity
from humanaid.funds import (
    Boundary,
    BoundaryTotals,
    Flow,
    FlowKind,
    Ledger,
    Party,
    PartyKind,
    _fee_flow_id,
    _gift_flow_id,
    crossing_totals,
)
from humanaid.ledger import booked_donations, booked_refunds, not_booked
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.ordering import sort_key
from humanaid.periods import Granularity, Period
from humanaid.projects import (
    Disaggregation,
    FundingSourceKind,
    IndicatorAggregation,
    ProgramFinance,
    ProjectFinance,
    ProjectStatus,
    _results_key,
    indicator_totals,
    leverage,
    payments_before_case,
    program_finance,
    project_finance,
    results,
)
from humanaid.rates import CurrencyConverter, ExchangeRate, RateKind, RatePolicy, RateTable
from humanaid.reach import Reach, funnel, reach
from humanaid.records import whole_number
from humanaid.revolving.portfolio import _portfolio_reports
from humanaid.table import Column, ColumnKind, Table, _findings_lines

__all__ = [
    "FUNDRAISING_DIMENSIONS",
    "YearAtAGlance",
    "campaign_summary",
    "fundraising_summary",
    "medical_summary",
    "project_summary",
    "relief_summary",
    "results_summary",
    "revolving_summary",
    "top_donors",
    "year_at_a_glance",
]

T = TypeVar("T")

FUNDRAISING_DIMENSIONS: Final = (
    "donor_kind",
    "channel",
    "form",
    "campaign",
    "organization",
    "platform",
)
"""What :func:`fundraising_summary` can group gifts by (besides a period)."""

_FIELDS: Final = {
    "channel": "channel",
    "form": "form",
    "campaign": "campaign_id",
    "organization": "organization_id",
    "platform": "platform",
}
_COLUMNS: Final = {
    "donor_kind": "donor kind",
    "channel": "channel",
    "form": "form",
    "campaign": "campaign",
    "organization": "organization",
    "platform": "platform",
}
_TWO_PLACES: Final = Decimal("0.01")


# -- helpers -----------------------------------------------------------------------------------


def _period_label(period: Period | None) -> str:
    """``2020``, ``2020-Q1``, ``2015-2020`` (whole years) or ``start/end``; ``""`` for none."""
    if period is None:
        return ""
    start, end = period.start, period.end
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year != end.year:
        return f"{start.year}-{end.year}"
    return str(period)


def _titled(what: str, period: Period | None, title: str | None) -> str:
    if title is not None:
        return title
    label = _period_label(period)
    return f"{what}, {label}" if label else what


def _donor_index(donors: Mapping[str, Donor] | Iterable[Donor] | None) -> Mapping[str, Donor]:
    if donors is None:
        return {}
    if isinstance(donors, Mapping):
        return donors
    index: dict[str, Donor] = {}
    for donor in donors:
        index.setdefault(donor.id, donor)
    return index


def _donations(
    source: Dataset | Iterable[Donation],
    donors: Mapping[str, Donor] | Iterable[Donor] | None,
) -> tuple[Iterable[Donation], Mapping[str, Donor] | None]:
    if isinstance(source, Dataset):
        index = source.index("donors") if donors is None else _donor_index(donors)
        return booked_donations(source), index  # a gift entered twice counts once
    if isinstance(source, str | bytes | Mapping) or not isinstance(source, Iterable):
        raise TypeError(
            f"'source' must be a Dataset or an iterable of donations (got {type(source).__name__})"
        )
    return source, None if donors is None else _donor_index(donors)


def _in_period(period: Period | None, field: str) -> FieldCondition | None:
    # A condition, not a function: the engine tests it inline, with no call a record.
    if period is None:
        return None
    return field_between(field, period.start, period.end)


_IN_KIND: Final = field_is("form", DonationForm.IN_KIND)


def _round2(value: Decimal | None) -> Decimal | None:
    """A ratio shown to two places, half-up (the exact figure is the domain function's)."""
    if value is None:
        return None
    return value.quantize(_TWO_PLACES, rounding=decimal.ROUND_HALF_UP, context=_RATIO)


def _build(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], title: str, money_unit: str = "元"
) -> Table:
    return Table(columns=columns, rows=rows, title=title, money_unit=money_unit)


# -- money in other currencies -----------------------------------------------------------------

Rates = RateTable | Iterable[ExchangeRate] | None
"""What a summary's ``rates=`` takes: a table, the records, or ``None`` for the dataset's."""


def _converter(
    dataset: Dataset | None, currency: str, rates: Rates, policy: RatePolicy | RateKind | str
) -> CurrencyConverter:
    """The converter into ``currency``: with ``rates``, else the dataset's exchange rates."""
    if rates is None and dataset is not None:
        rates = dataset.exchange_rates
    return CurrencyConverter(currency, rates, policy=policy)


def _noted(table: Table, conv: CurrencyConverter) -> Table:
    """``table`` with the converter's note (rates, policy, rounding), if it converted."""
    note = conv.note
    return table if note is None else table.with_note(note)


class _Converted:
    """A record seen in the report's currency: some money fields converted, the rest its own.

    The aggregation engine reads fields by name, so it adds the converted amounts (an
    amount with no rate is ``None``, which a total skips) and groups by the record's own
    fields; nothing else is changed, and the record itself is never rebuilt.
    """

    __slots__ = ("__dict__", "_record")

    def __init__(self, record: Any, **money: Money | None) -> None:
        self._record = record
        self.__dict__.update(money)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)


def _gifts_in(
    donations: Iterable[Donation], when: Period | None, conv: CurrencyConverter
) -> Iterator[Donation | _Converted]:
    """The gifts, those of ``when`` in another currency converted on their day."""
    cur = conv.currency
    for gift in donations:
        if gift.value.currency == cur or (when is not None and gift.received_on not in when):
            yield gift
            continue
        day = gift.received_on
        value = conv(gift.value, day, subject=gift.id)
        fees = None if value is None else conv(gift.fees, day, subject=gift.id)
        yield _Converted(gift, value=value, fees=fees)


def _tabulate_gifts(
    donations: Iterable[Donation], when: Period | None, conv: CurrencyConverter, **kw: Any
) -> Table:
    """:func:`tabulate` over the gifts, those in another currency converted on their day.

    A list or tuple (a dataset's gifts), or a columnar source, is added up as it is first,
    at the engine's full speed: only when a gift of the period is in another currency (the
    engine refuses to add it) is it added up again, each such gift converted. A stream is
    read once, so it is converted as it goes.
    """
    if isinstance(donations, list | tuple) or hasattr(type(donations), "__humanaid_tabulate__"):
        # (a columnar source, humanaid.interop.columnar, runs the query in its engine)
        try:
            return tabulate(donations, **kw)
        except CurrencyMismatch:
            pass
    return tabulate(_gifts_in(donations, when, conv), **kw)


# -- refunds: raised net of refunds, each counted on its own day ------------------------------

_NET_NOTE: Final = (
    "raised is net of refunds, each counted on the day it was paid back; gross is the "
    "gifts' value, refunds what went back"
)


@attrs.frozen
class _Refunded:
    """A refund as its gift would be grouped: the gift's fields, the refund's day and amount."""

    received_on: date
    value: Money
    fees: Money
    donor_id: str | None
    organization_id: str
    channel: Channel
    form: DonationForm
    campaign_id: str | None
    platform: str | None


def _refunds_as_gifts(dataset: Dataset | None, when: Period | None) -> list[_Refunded]:
    """The dataset's booked refunds in ``when`` (none without a dataset), grouped as gifts."""
    if dataset is None:
        return []
    out = []
    for refund, gift in _booked_refunds_in(dataset, when):
        if when is None or refund.on in when:
            out.append(
                _Refunded(
                    received_on=refund.on,
                    value=refund.amount,
                    fees=Money.zero(refund.amount.currency),
                    donor_id=gift.donor_id,
                    organization_id=gift.organization_id,
                    channel=gift.channel,
                    form=gift.form,
                    campaign_id=gift.campaign_id,
                    platform=gift.platform,
                )
            )
    return out


def _booked_refunds_in(dataset: Dataset, when: Period | None) -> Iterable[tuple[Refund, Donation]]:
    """:func:`~humanaid.booked_refunds`, those of ``when`` at least, each with its gift.

    A columnar dataset reads back only the booked refunds of the period, and the gifts
    they name (by id, in the engine), never every gift.
    """
    refunds, gifts = dataset.refunds, booked_donations(dataset)
    if not (_columnar(refunds) or _columnar(gifts)):
        return booked_refunds(dataset)
    skipped = [rid for collection, rid in not_booked(dataset) if collection == "refunds"]
    inside = _in_period(when, "on")
    kept: Iterable[Refund]
    if _columnar(refunds):
        kept = refunds.without("id", skipped).select(inside)  # type: ignore[attr-defined]
    else:
        kept = [r for r in refunds if r.id not in set(skipped) and (inside is None or inside(r))]
    kept = list(kept)
    if not kept:
        return []
    named = {r.donation_id for r in kept}
    by_id: dict[str, Donation] = {}
    found = gifts.matching("id", named) if _columnar(gifts) else gifts  # type: ignore[attr-defined]
    for g in found:
        if g.id in named:
            by_id.setdefault(g.id, g)
    out = []
    for refund in kept:  # as booked_refunds keeps them
        gift = by_id.get(refund.donation_id)
        if (
            gift is not None
            and refund.on >= gift.received_on
            and refund.amount.currency == gift.value.currency
        ):
            out.append((refund, gift))
    return out


def _net_of_refunds(table: Table, refunds: Table, keys: int, currency: str) -> Table:
    """``table`` (keys, then ``raised`` ...) with ``gross`` and ``refunds`` before ``raised``.

    ``refunds`` has the same keys and one money column. A group with refunds and no gift
    in the period gets a row of its own (gross zero, raised negative).
    """
    zero = Money.zero(currency)
    back = {tuple(r[:keys]): r[keys] for r in refunds.rows}
    rows = {tuple(r[:keys]): r for r in table.rows}
    blank = (zero, *(zero if c.kind is ColumnKind.MONEY else 0 for c in table.columns[keys + 1 :]))
    out = []
    for key in sorted(rows.keys() | back.keys(), key=lambda k: tuple(sort_key(v) for v in k)):
        row = rows.get(key, (*key, *blank))
        gross = row[keys]
        refunded = back.get(key, zero)
        out.append((*key, gross, refunded, gross - refunded, *row[keys + 1 :]))
    at = keys
    columns = (
        *table.columns[:at],
        Column("gross", ColumnKind.MONEY, currency=currency),
        Column("refunds", ColumnKind.MONEY, currency=currency),
        *table.columns[at:],
    )
    return attrs.evolve(table, columns=columns, rows=out, notes=(*table.notes, _NET_NOTE))


# -- what is wrong with the records a summary read ---------------------------------------------


_VALIDATED: Final = "summaries:validated"
"""Where a dataset keeps its built-in findings (:func:`~humanaid.interop.columnar.scan_dataset`
puts those stored beside the Parquet files there, so its records are not read back)."""


def _validated(dataset: Dataset) -> Findings:
    """The built-in rules' findings of ``dataset``: ``validate()`` run once, and kept."""
    found: Findings = dataset.derived(_VALIDATED, lambda ds: ds.validate())
    return found


def _errors_by_subject(dataset: Dataset) -> Mapping[str, tuple[Finding, ...]]:
    """The built-in rules' error findings by subject: ``validate()`` run once, and kept."""

    def build(ds: Dataset) -> dict[str, tuple[Finding, ...]]:
        found = _validated(ds)
        out: dict[str, list[Finding]] = {}
        error = Severity.ERROR
        # The errors in the findings' order, read straight (``found.errors`` would sort
        # them again, with the collector walking a heap of a million records meanwhile).
        with _gc.paused():
            for finding in found:
                if finding.severity is error and finding.subject is not None:
                    out.setdefault(finding.subject, []).append(finding)
            return {subject: tuple(theirs) for subject, theirs in out.items()}

    found: Mapping[str, tuple[Finding, ...]] = dataset.derived("summaries:errors", build)
    return found


def _flow_ids(flows: Iterable[Flow]) -> Iterator[str]:
    """Each flow's id and, for a flow a record implies, that record's id."""
    for flow in flows:
        yield flow.id
        if flow.origin is not None:
            yield flow.origin.id


def _checked(
    table: Table,
    dataset: Dataset | None,
    read: Callable[[], Iterable[str | None]],
    *,
    strict: bool,
    what: str,
    more: Iterable[Finding] = (),
) -> Table:
    """``table`` with the findings about the records it read, or a refusal if ``strict``."""
    found = _findings(dataset, read, strict=strict, what=what, more=more)
    return table.with_findings(found) if found else table


def _findings(
    dataset: Dataset | None,
    read: Callable[[], Iterable[str | None]],
    *,
    strict: bool,
    what: str,
    more: Iterable[Finding] = (),
) -> Findings:
    """The findings about the records a summary read, or a refusal if ``strict``.

    ``read`` gives the ids of the records the summary read; it is called only when the
    dataset has error findings at all. ``more`` are the summary's own findings (events
    it left out).
    """
    found = Findings(dict.fromkeys((*more, *_about(dataset, read))))
    if strict and found:
        raise FindingsError(found, what=what)
    return found


def _about(dataset: Dataset | None, read: Callable[[], Iterable[str | None]]) -> list[Finding]:
    """The error findings whose subject is among the ids ``read`` gives, in the rules' order.

    The ids read (a million, for a summary of a million records) are matched against the
    few subjects that have errors, never gathered into a set of their own: the
    intersection keeps only what both hold (a ``None`` matches no subject).
    """
    if dataset is None:
        return []
    errors = _errors_by_subject(dataset)
    if not errors:
        return []
    hit = errors.keys() & read()  # walks ``read`` once, testing each id against the subjects
    return [f for subject, found in errors.items() if subject in hit for f in found]


# -- fundraising -------------------------------------------------------------------------------


def fundraising_summary(
    source: Dataset | Iterable[Donation],
    period: Period | int | None = None,
    *,
    by: str | Sequence[str] = ("donor_kind",),
    granularity: Granularity | str | None = None,
    donors: Mapping[str, Donor] | Iterable[Donor] | None = None,
    currency: str = DEFAULT_CURRENCY,
    rates: Rates = None,
    rate_policy: RatePolicy | RateKind | str = "daily",
    title: str | None = None,
    strict: bool = False,
) -> Table:
    """Money raised, goods among it, fees, gifts (笔) and distinct donors, by group.

    One pass over the donations with :func:`humanaid.tabulate`, so ``source`` may be a
    generator over a file of millions of lines (:func:`humanaid.iter_json_lines`).

    Columns: the keys (a period when ``granularity`` is given, then each of ``by``),
    then ``raised`` (the gifts' gross value, cash and goods), ``in kind`` (the goods
    among it), ``fees`` (kept by platforms and banks), ``gifts`` (each donation counts
    once) and ``donors`` (distinct known donors; anonymous gifts count in ``gifts``
    only). Gifts with no known donor are in the row whose donor kind is empty.

    **Refunds.** From a dataset, ``raised`` is net of its refunds (:class:`~humanaid.Refund`),
    each counted on its own day, in its gift's group: a 2021 refund of a 2020 gift
    lowers what was raised in 2021 and leaves the 2020 figure, already reported, as it
    was. When refunds fall in the period, two columns come before ``raised``: ``gross``
    (the gifts' value) and ``refunds``; a group with a refund and no gift in the period
    has a row of its own. A gift entered twice under one ``transaction_ref`` counts
    once (:func:`humanaid.booked_donations`).

    **Columnar.** Over :func:`~humanaid.interop.columnar.scan_dataset` the gifts are added
    up in the engine; only the rows sharing a transaction number, the refunds of the
    period and the gifts they name are read back, with the donors (see
    :doc:`/concepts/columnar`).

    Args:
        source: a dataset (its donations and donors), or any iterable of donations.
        period: count only gifts received in it (a :class:`~humanaid.Period` or a year).
        by: one or more of :data:`FUNDRAISING_DIMENSIONS`: ``"donor_kind"`` (needs the
            donors), ``"channel"``, ``"form"`` (cash or in kind), ``"campaign"``,
            ``"organization"`` (who received it), ``"platform"``. ``()`` for one row.
        granularity: also group by ``"year"``, ``"quarter"`` or ``"month"`` (first column).
        donors: the donors, by id or as records, when ``source`` is not a dataset.
        currency: the currency of the report; a gift in another one is converted with
            the rate of the day it was received (see :doc:`/concepts/currencies`).
        rates: the exchange rates (a :class:`~humanaid.RateTable` or the records); by
            default the dataset's ``exchange_rates``.
        rate_policy: which rate converts the money of a day (:class:`~humanaid.RatePolicy`
            or its kind: ``"daily"``, ``"monthly_average"``, ``"budget"``).
        title: the caption; by default it says what and when.
        strict: refuse with :class:`~humanaid.FindingsError` when the records read carry
            error findings, instead of returning them in the table's ``findings``.

    Findings: those about the gifts of the period and their donors (from a dataset
    only), and a ``currency.no-rate`` finding for each gift in another currency that no
    rate converts: its money is left out (it still counts among the gifts and donors).

    Raises:
        ValueError: for an unknown dimension, or ``donor_kind`` without donors.
        FindingsError: with ``strict=True``, when the records read carry error findings.

    >>> from humanaid import Donation, Money
    >>> gifts = [Donation(id=f"g{i}", organization_id="qj", received_on=date(2020, m, 1),
    ...                   value=Money(v), channel=c, receipt_number=f"R{i}")
    ...          for i, (m, v, c) in enumerate([(1, "100", "offline"), (1, "50", "bank_transfer"),
    ...                                         (2, "25", "offline")])]
    >>> t = fundraising_summary(gifts, by="channel", granularity="month")
    >>> [(str(r["month"]), r["channel"].value, str(r["raised"])) for r in t]
    [('2020-01', 'offline', '100.00 CNY'), ('2020-01', 'bank_transfer', '50.00 CNY'), \
('2020-02', 'offline', '25.00 CNY')]
    """
    when = _as_period(period)
    dims = (by,) if isinstance(by, str) else tuple(by)
    donations, index = _donations(source, donors)
    keys: dict[str, Any] = {}
    if granularity is not None:
        g = Granularity(granularity)
        keys[g.value] = period_key("received_on", g)
    for dim in dims:
        if dim == "donor_kind":
            if index is None:
                raise ValueError("grouping by donor kind needs the donors: pass donors=...")
            # read inline, each donor's kind looked up once (not a call a gift)
            keys[_COLUMNS[dim]] = lookup_key("donor_id", index, "kind")
        elif dim in _FIELDS:
            keys[_COLUMNS[dim]] = _FIELDS[dim]
        else:
            raise ValueError(
                f"'by' must name dimensions among {', '.join(FUNDRAISING_DIMENSIONS)} (got {dim!r})"
            )
    what = "Raised by " + " and ".join(_COLUMNS[d] for d in dims) if dims else "Raised"
    dataset = source if isinstance(source, Dataset) else None
    conv = _converter(dataset, currency, rates, rate_policy)
    table = _tabulate_gifts(
        donations,
        when,
        conv,
        by=keys,
        measures={
            "raised": total("value", currency=currency),
            "in kind": total("value", currency=currency, where=_IN_KIND),
            "fees": total("fees", currency=currency),
            "gifts": count(),
            "donors": distinct("donor_id"),
        },
        where=_in_period(when, "received_on"),
        title=_titled(what, when, title),
    ).with_format(money_unit="万元")
    refunded = _refunds_as_gifts(dataset, when)
    if refunded:
        back = tabulate(refunded, by=keys, measures={"refunds": total("value", currency=currency)})
        table = _net_of_refunds(table, back, len(keys), currency)
    return _checked(
        _noted(table, conv),
        dataset,
        lambda: _gifts_read(cast(Dataset, dataset), when),
        strict=strict,
        what="fundraising_summary",
        more=conv.findings,
    )


def _columnar(records: object) -> bool:
    """Whether ``records`` are held in a columnar engine (:mod:`humanaid.interop.columnar`)."""
    return getattr(type(records), "__humanaid_tabulate__", None) is not None


def _read_among(
    records: Iterable[Any],
    fields: Sequence[str],
    subjects: Collection[str],
    where: Callable[[Any], bool] | None,
) -> Iterator[str | None]:
    """Which of ``subjects`` the ``fields`` of the records passing ``where`` hold.

    For a columnar collection: one small query per field, for the few ids that carry
    error findings, instead of reading every record back.
    """
    for field in fields:
        got = tabulate(
            records,
            by={"v": field},
            measures={"n": count()},
            where=all_of(where, field_in(field, sorted(subjects))),
        )
        yield from (r[0] for r in got.rows)


def _subjects(dataset: Dataset) -> AbstractSet[str]:
    return _errors_by_subject(dataset).keys()


def _naming(records: Iterable[T], fields: Sequence[str], subjects: AbstractSet[str]) -> list[T]:
    """The records one of whose ``fields`` holds one of ``subjects`` (ids with errors).

    A summary's findings are the error findings of the ids it read (:func:`_about`), and
    only a record that names one of those few ids can add any: a reader keeps those
    records first (the fields fetched together and tested against the subjects in C) and
    reads on only through them.
    """
    if not subjects:
        return []
    get: Callable[[T], Any] = operator.attrgetter(*fields)
    if len(fields) == 1:
        return [r for r in records if get(r) in subjects]
    disjoint = subjects.isdisjoint
    return [r for r in records if not disjoint(get(r))]


_GIFT_NAMES: Final = ("id", "donor_id", "campaign_id")


def _gifts_naming(dataset: Dataset) -> list[Donation]:
    """The gifts whose id, donor or campaign carries error findings, found once and kept.

    Kept with the findings they were found for, and found again for others.
    """
    errors = _errors_by_subject(dataset)
    kept: list[Any] = dataset.derived("summaries:gifts-naming-errors", lambda ds: [None, []])
    if kept[0] is not errors:
        kept[:] = [errors, _naming(dataset.donations, _GIFT_NAMES, errors.keys())]
    found: list[Donation] = kept[1]
    return found


def _gifts_read(dataset: Dataset, when: Period | None) -> Iterator[str | None]:
    """The ids of the gifts received in ``when``, and of their donors and campaigns.

    Only those of gifts that name an id with errors (:func:`_gifts_naming`): no other
    gift's ids can match a finding.
    """
    if _columnar(dataset.donations):
        yield from _read_among(
            dataset.donations,
            _GIFT_NAMES,
            _subjects(dataset),
            _in_period(when, "received_on"),
        )
        return
    for gift in _gifts_naming(dataset):
        if when is None or gift.received_on in when:
            yield gift.id
            yield gift.donor_id
            yield gift.campaign_id


def top_donors(
    source: Dataset | Iterable[Donation],
    period: Period | int | None = None,
    *,
    n: int = 10,
    donors: Mapping[str, Donor] | Iterable[Donor] | None = None,
    currency: str = DEFAULT_CURRENCY,
    rates: Rates = None,
    rate_policy: RatePolicy | RateKind | str = "daily",
    title: str | None = None,
    strict: bool = False,
) -> Table:
    """The ``n`` known donors who gave most, by their public name (never a personal name).

    A donor is shown by :attr:`Donor.public_label <humanaid.Donor.public_label>`: the
    name they agreed to publish, else their kind and id (``individual donor d7``); a
    donor missing from ``donors`` as ``donor <id>``. Anonymous gifts are left out, and so
    are the gifts of donors of kind ``anonymous`` (a donation box kept as a record). Ties
    are broken by donor id, so the order is always the same. From a dataset, ``raised``
    is net of the donor's refunds paid back in the period (each on its own day), and a
    donor whose gifts of the period were all paid back is not listed.

    Args:
        source: a dataset, or any iterable of donations.
        period: count only gifts received in it.
        n: how many donors to list.
        donors: the donors, by id or as records, when ``source`` is not a dataset.
        currency: the currency of the report; gifts in another one are converted with
            the rate of their day.
        rates: the exchange rates (a :class:`~humanaid.RateTable` or the records); by
            default the dataset's ``exchange_rates``.
        rate_policy: which rate converts the money of a day (:class:`~humanaid.RatePolicy`
            or its kind: ``"daily"``, ``"monthly_average"``, ``"budget"``).
        title: the caption.
        strict: refuse with :class:`~humanaid.FindingsError` when the records read carry
            error findings, instead of returning them in the table's ``findings``.

    Findings: those about the gifts of the period and their donors (from a dataset
    only), and ``currency.no-rate`` for a gift no rate converts (its money left out).

    Raises:
        TypeError: ``n`` is not an int (or is a bool).
        ValueError: ``n`` is negative.
        FindingsError: with ``strict=True``, when the records read carry error findings.
    """
    whole_number("n", n)
    when = _as_period(period)
    donations, index = _donations(source, donors)
    dataset = source if isinstance(source, Dataset) else None
    conv = _converter(dataset, currency, rates, rate_policy)
    lookup = index or {}
    refunded: dict[str, Money] = {}
    for r in _refunds_as_gifts(source if isinstance(source, Dataset) else None, when):
        if r.donor_id is not None and r.value.currency == currency:
            refunded[r.donor_id] = refunded.get(r.donor_id, Money.zero(currency)) + r.value
    query: dict[str, Any] = {
        "by": "donor_id",
        "measures": {"raised": total("value", currency=currency), "gifts": count()},
        "where": _in_period(when, "received_on"),
    }
    per_donor: Table | None = None
    if hasattr(type(donations), "__humanaid_tabulate__"):
        # A columnar engine returns only the donors that can make the list: the n largest
        # gross totals, ties at the cut kept, plus one for each group that may fall out
        # below (the gifts with no donor, each anonymous donor, each donor netted of
        # refunds). A donor left out is then outranked by n listed donors paid nothing back.
        anonymous = sum(1 for d in lookup.values() if d.kind is DonorKind.ANONYMOUS)
        dropped = 1 + anonymous + len(refunded)
        try:
            per_donor = _tabulate_largest(donations, largest="raised", k=n + dropped, **query)
        except CurrencyMismatch:
            per_donor = tabulate(_gifts_in(donations, when, conv), **query)
    if per_donor is None:
        per_donor = _tabulate_gifts(donations, when, conv, **query)
    net = ((r[0], r[1] - refunded[r[0]], r[2]) if r[0] in refunded else r for r in per_donor.rows)
    known = [
        r
        for r in net
        if r[0] is not None
        and r[1].is_positive()
        and (r[0] not in lookup or lookup[r[0]].kind is not DonorKind.ANONYMOUS)
    ]
    known.sort(key=lambda r: (-r[1].amount, r[0]))
    rows = []
    for rank, (donor_id, raised, gifts) in enumerate(known[:n], start=1):
        donor = lookup.get(donor_id)
        label = donor.public_label if donor is not None else f"donor {donor_id}"
        rows.append((rank, label, None if donor is None else donor.kind, raised, gifts))
    columns = [
        Column("rank", ColumnKind.INTEGER, key=True),
        Column("donor", ColumnKind.TEXT),
        Column("kind", ColumnKind.TEXT),
        Column("raised", ColumnKind.MONEY, currency=currency),
        Column("gifts", ColumnKind.INTEGER),
    ]
    return _checked(
        _noted(_build(columns, rows, _titled("Top donors", when, title)), conv),
        dataset,
        lambda: _gifts_read(cast(Dataset, dataset), when),
        strict=strict,
        what="top_donors",
        more=conv.findings,
    )


def campaign_summary(
    dataset: Dataset,
    period: Period | int | None = None,
    *,
    currency: str = DEFAULT_CURRENCY,
    rates: Rates = None,
    rate_policy: RatePolicy | RateKind | str = "daily",
    title: str | None = None,
    strict: bool = False,
) -> Table:
    """Each campaign's gifts against its target: raised, gifts, donors and progress.

    Rows follow the dataset's campaigns (those whose period overlaps ``period``, or that
    received gifts in it), then campaign ids that gifts name but the dataset lacks.
    ``progress`` is raised over target (1 is the target reached), ``None`` without a
    target. Gifts in another currency are converted with the rate of their day, a
    target in another currency with the rate of the campaign's first day. ``raised`` is
    net of the refunds of the campaign's gifts paid back in the period (each on its own
    day); when there are such refunds, ``gross`` and ``refunds`` come before it, as in
    :func:`fundraising_summary`.

    Args:
        dataset: the dataset.
        period: count only gifts received in it.
        currency: the currency of the report.
        rates: the exchange rates (a :class:`~humanaid.RateTable` or the records); by
            default the dataset's ``exchange_rates``.
        rate_policy: which rate converts the money of a day (:class:`~humanaid.RatePolicy`
            or its kind: ``"daily"``, ``"monthly_average"``, ``"budget"``).
        title: the caption.
        strict: refuse with :class:`~humanaid.FindingsError` when the records read carry
            error findings, instead of returning them in the table's ``findings``.

    Findings: those about the campaigns listed, and the gifts of the period and their
    donors; ``currency.no-rate`` for a gift or target no rate converts (left out).

    Raises:
        FindingsError: with ``strict=True``, when the records read carry error findings.
    """
    when = _as_period(period)
    conv = _converter(dataset, currency, rates, rate_policy)
    per_campaign = _tabulate_gifts(
        booked_donations(dataset),
        when,
        conv,
        by="campaign_id",
        measures={
            "raised": total("value", currency=currency),
            "fees": total("fees", currency=currency),
            "gifts": count(),
            "donors": distinct("donor_id"),
        },
        where=_in_period(when, "received_on"),
    )
    figures = {r[0]: r[1:] for r in per_campaign.rows if r[0] is not None}
    zero = Money.zero(currency)
    refunded: dict[str, Money] = {}
    for r in _refunds_as_gifts(dataset, when):
        if r.campaign_id is not None:
            refunded[r.campaign_id] = refunded.get(r.campaign_id, zero) + r.value
            figures.setdefault(r.campaign_id, (zero, zero, 0, 0))
    rows: list[tuple[Any, ...]] = []
    listed: set[str] = set()
    for c in dataset.campaigns:
        if c.id in listed:
            continue
        if when is not None and not c.period.overlaps(when) and c.id not in figures:
            continue
        listed.add(c.id)
        gross, fees, gifts, donors_ = figures.get(c.id, (zero, zero, 0, 0))
        raised = gross - refunded.get(c.id, zero)
        target = None if c.target is None else conv(c.target, c.period.start, subject=c.id)
        rows.append(
            (
                c.id,
                c.name,
                c.platform,
                target,
                *((gross, refunded.get(c.id, zero)) if refunded else ()),
                raised,
                fees,
                gifts,
                donors_,
                ratio(raised, target, mixed_ok=True),
            )
        )
    for cid in sorted(set(figures) - listed):
        gross, fees, gifts, donors_ = figures[cid]
        raised = gross - refunded.get(cid, zero)
        net_columns = (gross, refunded.get(cid, zero)) if refunded else ()
        rows.append((cid, None, None, None, *net_columns, raised, fees, gifts, donors_, None))
    columns = [
        Column("campaign", ColumnKind.TEXT, key=True),
        Column("name", ColumnKind.TEXT),
        Column("platform", ColumnKind.TEXT),
        Column("target", ColumnKind.MONEY, currency=currency),
        *(
            (
                Column("gross", ColumnKind.MONEY, currency=currency),
                Column("refunds", ColumnKind.MONEY, currency=currency),
            )
            if refunded
            else ()
        ),
        Column("raised", ColumnKind.MONEY, currency=currency),
        Column("fees", ColumnKind.MONEY, currency=currency),
        Column("gifts", ColumnKind.INTEGER),
        Column("donors", ColumnKind.INTEGER),
        Column("progress", ColumnKind.RATIO),
    ]
    return _checked(
        _noted(_build(columns, rows, _titled("Campaigns", when, title), money_unit="万元"), conv),
        dataset,
        lambda: itertools.chain(listed, _gifts_read(dataset, when)),
        strict=strict,
        what="campaign_summary",
        more=conv.findings,
    )


# -- relief ------------------------------------------------------------------------------------


def _drive_name(dataset: Dataset, d: Distribution) -> str | None:
    if d.campaign_id is not None:
        campaign = dataset.get("campaigns", d.campaign_id)
        return None if campaign is None else str(campaign.name)
    if d.program_id is not None:
        program = dataset.get("programs", d.program_id)
        return None if program is None else f"{program.name} {d.on.year}"
    return None


def relief_summary(
    dataset: Dataset,
    period: Period | int | None = None,
    *,
    currency: str = DEFAULT_CURRENCY,
    rates: Rates = None,
    rate_policy: RatePolicy | RateKind | str = "daily",
    title: str | None = None,
    strict: bool = False,
) -> Table:
    """Relief handed out per drive: goods and cash, and the households and persons reached.

    A *drive* is a campaign, or a programme in one calendar year
    (:attr:`Distribution.drive <humanaid.Distribution.drive>`); distributions in neither
    are in the row with an empty drive. Money and handouts are added by the engine;
    households, persons and person-times are counted by :func:`humanaid.reach` (members
    of each household reached, by its size where they are not listed one by one).

    **Columnar.** Over :func:`~humanaid.interop.columnar.scan_dataset` the handouts are
    counted in the engine per drive and household size, in one query that also computes
    the households' sizes from their Parquet files and the persons'. A handout of the
    period in another currency makes it read back the handouts of the period, to convert
    them one by one.

    Args:
        dataset: the dataset (its distributions, households and persons).
        period: count only what was handed out in it.
        currency: the currency of the report; a handout's value in another currency is
            converted with the rate of its day.
        rates: the exchange rates (a :class:`~humanaid.RateTable` or the records); by
            default the dataset's ``exchange_rates``.
        rate_policy: which rate converts the money of a day (:class:`~humanaid.RatePolicy`
            or its kind: ``"daily"``, ``"monthly_average"``, ``"budget"``).
        title: the caption.
        strict: refuse with :class:`~humanaid.FindingsError` when the records read carry
            error findings, instead of returning them in the table's ``findings``.

    Findings: those about the handouts of the period, their households, campaigns and
    programmes; ``currency.no-rate`` for a handout whose value no rate converts (its
    value is left out; its households and persons still count).

    Raises:
        ValueError: if a distribution's household is not in the dataset (its size is
            needed to count persons).
        FindingsError: with ``strict=True``, when the records read carry error findings.
    """
    when = _as_period(period)
    inside = _in_period(when, "on")
    conv = _converter(dataset, currency, rates, rate_policy)
    if _columnar(dataset.distributions):
        try:
            table = _relief_in_engine(dataset, inside, currency)
        except CurrencyMismatch:
            pass  # a handout in another currency: read back those of the period, convert
        else:
            table = attrs.evolve(table, title=_titled("Relief by drive", when, title))
            fields = ("id", "household_id", "campaign_id", "program_id")
            return _checked(
                _noted(table, conv),
                dataset,
                lambda: _read_among(dataset.distributions, fields, _subjects(dataset), inside),
                strict=strict,
                what="relief_summary",
                more=conv.findings,
            )
        handed = dataset.distributions.select(inside)  # type: ignore[attr-defined]
    else:
        handed = [d for d in dataset.distributions if inside is None or inside(d)]
    money = tabulate(
        [
            d
            if d.value.currency == currency
            else _Converted(d, value=conv(d.value, d.on, subject=d.id))
            for d in handed
        ],
        by={"drive": _drive_of},
        measures={
            "handouts": count(),
            "goods": total("value", currency=currency, where=_HAS_ITEMS),
            "value": total("value", currency=currency),
        },
    )
    groups: dict[str | None, list[Distribution]] = {}
    names: dict[str | None, str | None] = {}
    for d in handed:
        key = d.drive
        groups.setdefault(key, []).append(d)
        if key not in names:
            names[key] = _drive_name(dataset, d)
    persons, households = dataset.index("persons"), dataset.index("households")
    rows = []
    for drive, handouts, goods, value in money.rows:
        r = reach(groups[drive], persons=persons, households=households)
        rows.append(
            (
                drive,
                names.get(drive),
                handouts,
                r.households,
                r.persons,
                r.person_times,
                goods,
                value - goods,
                value,
            )
        )
    table = _build(
        _relief_columns(currency), rows, _titled("Relief by drive", when, title), money_unit="万元"
    )
    return _checked(
        _noted(table, conv),
        dataset,
        lambda: (i for d in handed for i in (d.id, d.household_id, d.campaign_id, d.program_id)),
        strict=strict,
        what="relief_summary",
        more=conv.findings,
    )


def _drive_of(d: Distribution) -> str | None:
    return d.drive


_HAS_ITEMS: Final = field_not_empty("items")  # goods (a condition: the engines run it too)


def _relief_columns(currency: str) -> list[Column]:
    return [
        Column("drive", ColumnKind.TEXT, key=True),
        Column("name", ColumnKind.TEXT),
        Column("handouts", ColumnKind.INTEGER),
        Column("households", ColumnKind.INTEGER),
        Column("persons", ColumnKind.INTEGER),
        Column("person-times", ColumnKind.INTEGER),
        Column("goods", ColumnKind.MONEY, currency=currency),
        Column("cash", ColumnKind.MONEY, currency=currency),
        Column("value", ColumnKind.MONEY, currency=currency),
    ]


def _relief_in_engine(
    dataset: Dataset, inside: Callable[[Any], bool] | None, currency: str
) -> Table:
    """:func:`relief_summary`'s rows from one query, grouped by drive and household size.

    The drive is :attr:`Distribution.drive <humanaid.Distribution.drive>` (a campaign,
    else a programme and year, else none), which the engines compute from the fields;
    the household's size is looked up, so the engine joins the sizes and groups by them
    (where the households and persons are Parquet files, the same query computes the
    sizes from two columns of each; from Arrow tables, pyarrow computes them first). As
    :func:`humanaid.reach` counts a distribution, a household reached counts its
    listed members and, where fewer are listed than its ``members``, as many unnamed
    persons: its size is the larger of the two. So a drive reaches, per size, that many
    persons in each of its distinct households, and that many person-times in each
    handout.

    Raises:
        CurrencyMismatch: a handout of the period in another currency (the caller then
            reads those handouts back and converts them one by one).
        ValueError: a handout to a household the dataset lacks (its size is needed).
    """
    sizes: Mapping[str, Any]
    sizer = getattr(dataset.households, "household_sizes", None)
    if sizer is not None:  # columnar households: the sizes as a table the engine joins
        sizes = sizer(dataset.persons)
    else:
        listed: dict[str, set[str]] = {}
        for person in dataset.index("persons").values():
            if person.household_id is not None:
                listed.setdefault(person.household_id, set()).add(person.id)
        sizes = {
            hid: _Size(size=max(home.members, len(listed.get(hid, ()))))
            for hid, home in dataset.index("households").items()
        }
    got = tabulate(
        dataset.distributions,
        by={"drive": "drive", "size": lookup_key("household_id", sizes, "size")},
        measures={
            "handouts": count(),
            "households": distinct("household_id"),
            "goods": total("value", currency=currency, where=_HAS_ITEMS),
            "value": total("value", currency=currency),
        },
        where=inside,
    )
    zero = Money.zero(currency)
    figures: dict[str | None, list[Any]] = {}
    for drive, home_size, handouts, homes, goods, value in got.rows:
        if home_size is None:
            _no_household(dataset, sizes, inside)
        into = figures.setdefault(drive, [0, 0, 0, 0, zero, zero])
        into[0] += handouts
        into[1] += homes if home_size else 0  # (as reach counts a household of none)
        into[2] += home_size * homes
        into[3] += home_size * handouts
        into[4] += goods
        into[5] += value
    names = {kind: _names(dataset, kind) for kind in ("campaigns", "programs")}
    rows = []
    for drive in sorted(figures, key=sort_key):
        handouts, homes, persons, times, goods, value = figures[drive]
        row = (drive, _drive_title(names, drive), handouts, homes, persons, times)
        rows.append((*row, goods, value - goods, value))
    return _build(_relief_columns(currency), rows, "", money_unit="万元")


def _names(dataset: Dataset, collection: str) -> Mapping[str, str]:
    """The names of a collection's records by id (two columns, where they are columnar)."""
    records = dataset.records(collection)
    by_id = getattr(records, "values_by_id", None)
    if by_id is not None:
        return cast("Mapping[str, str]", by_id("name"))
    return {ref: str(r.name) for ref, r in dataset.index(collection).items()}


def _drive_title(names: Mapping[str, Mapping[str, str]], drive: str | None) -> str | None:
    """A drive's name (as :func:`_drive_name` gives it) from its key ``campaign:<id>`` ...."""
    if drive is None:
        return None
    kind, _, rest = drive.partition(":")
    if kind == "campaign":
        return names["campaigns"].get(rest)
    program, _, year = rest.rpartition(":")
    name = names["programs"].get(program)
    return None if name is None else f"{name} {year}"


@attrs.frozen
class _Size:
    """What a handout to a household reaches: its listed members or its size, the larger."""

    size: int


def _no_household(
    dataset: Dataset, households: Mapping[str, Any], where: Callable[[Any], bool] | None
) -> None:
    """Raise as :func:`humanaid.reach` does for a handout to a household the dataset lacks."""
    missing = tabulate(
        dataset.distributions,
        by={"household": "household_id"},
        measures={"n": count()},
        where=all_of(where, field_not_in("household_id", list(households))),
    )
    household_id = missing.rows[0][0] if missing.rows else None
    raise ValueError(
        f"household {household_id!r} is not among the households given: its size "
        "is needed to count the persons it reaches"
    )


# -- medical aid -------------------------------------------------------------------------------


def medical_summary(
    dataset: Dataset,
    period: Period | int | None = None,
    *,
    by_round: bool = True,
    currency: str = DEFAULT_CURRENCY,
    rates: Rates = None,
    rate_policy: RatePolicy | RateKind | str = "daily",
    title: str | None = None,
    strict: bool = False,
) -> Table:
    """Medical programmes from screening to payment, per programme and round.

    Each row is :func:`humanaid.funnel` over the programme's screenings and cases (of
    one round when ``by_round``): ``screened`` counts screenings (person-times, 人次) and
    ``screened persons`` distinct persons (人); ``positive`` the persons found positive
    or referred; ``approved`` and ``treated`` count cases (例), ``treated persons``
    distinct persons; ``paid`` is the money paid and ``paid cases`` the cases paid.

    The round of a record is the ``batch`` of the project it names (救心行动's rounds
    are its projects); a record with no project is in the row with an empty round.
    Programmes are those that screenings or medical cases name.

    **Columnar.** Over :func:`~humanaid.interop.columnar.scan_dataset` the screenings and
    the medical cases are counted in the engine (per programme and round, a query each;
    a case's stage is worked out from its history column there). The medical cases are
    read back only when one of the period needs Python: an amount in another currency,
    or no person named.

    Args:
        dataset: the dataset.
        period: count screenings on days in it and cases opened in it.
        by_round: one row per round (default) or one per programme.
        currency: the currency of the amounts: a case's approved amount in another
            currency is converted with the rate of the day it was approved, its paid
            amount with the rate of the day help was delivered (the day the ledger pays
            it), else of its approval, else of its opening.
        rates: the exchange rates (a :class:`~humanaid.RateTable` or the records); by
            default the dataset's ``exchange_rates``.
        rate_policy: which rate converts the money of a day (:class:`~humanaid.RatePolicy`
            or its kind: ``"daily"``, ``"monthly_average"``, ``"budget"``).
        title: the caption.
        strict: refuse with :class:`~humanaid.FindingsError` when the records read carry
            error findings, instead of returning them in the table's ``findings``.

    Findings: those about the screenings and cases counted (of the period), their
    persons, programmes and projects; ``currency.no-rate`` for a case's amount no rate
    converts (left out of the amounts; the case still counts).

    Raises:
        FindingsError: with ``strict=True``, when the records read carry error findings.
    """
    when = _as_period(period)
    projects = _batches(dataset)
    groups: dict[tuple[str, int | None], list[Screening | Case]] = {}
    conv = _converter(dataset, currency, rates, rate_policy)
    # columnar cases are counted in the engine (their stages from the history column),
    # unless a case of the period needs Python: money to convert, or no person named
    staged: dict[tuple[str, int | None], tuple[Any, ...]] | None = None
    if _columnar(dataset.cases):
        staged = _cases_staged(dataset.cases, projects, when, by_round, currency)
    read_back = () if staged is not None else _medical_cases(dataset)
    cases = (_case_in(c, when, conv) for c in read_back)
    records: Iterable[Screening | Case] = itertools.chain(dataset.screenings, cases)
    # columnar screenings are counted in the engine: (screened, persons, positive persons)
    screened: dict[tuple[str, int | None], tuple[int, int, int]] | None = None
    if _columnar(dataset.screenings):
        screened = _screened(dataset.screenings, projects, when, by_round)
        groups.update((key, []) for key in screened)
        records = cases
    if staged is not None:
        groups.update((key, []) for key in staged)
    for record in records:
        pid = record.program_id
        if pid is None or (isinstance(record, Case) and record.kind is not CaseKind.MEDICAL):
            continue
        batch: int | None = None
        if by_round and record.project_id is not None:
            project = projects.get(record.project_id)
            batch = None if project is None else project.batch
        groups.setdefault((pid, batch), []).append(record)
    rows = []
    names = _names(dataset, "programs")
    for pid, batch in sorted(groups, key=lambda k: (k[0], k[1] is None, k[1] or 0)):
        f = funnel(groups[(pid, batch)], program_id=pid, period=when, currency=currency)
        row: list[Any] = [pid, names.get(pid)]
        if by_round:
            row.append(batch)
        if screened is None:
            row += [f["screened"].count, f["screened"].persons, f["positive"].persons]
        else:
            row += screened.get((pid, batch), (0, 0, 0))
        if staged is None:
            row += [
                f["approved"].count,
                f["treated"].count,
                f["treated"].persons,
                f["paid"].count,
                f["paid"].amount,
            ]
        else:
            row += staged.get((pid, batch), (0, 0, 0, 0, Money.zero(currency)))
        rows.append(tuple(row))
    columns = [
        Column("programme", ColumnKind.TEXT, key=True),
        Column("name", ColumnKind.TEXT),
    ]
    if by_round:
        columns.append(Column("round", ColumnKind.INTEGER, key=True))
    columns += [
        Column("screened", ColumnKind.INTEGER),
        Column("screened persons", ColumnKind.INTEGER),
        Column("positive", ColumnKind.INTEGER),
        Column("approved", ColumnKind.INTEGER),
        Column("treated", ColumnKind.INTEGER),
        Column("treated persons", ColumnKind.INTEGER),
        Column("paid cases", ColumnKind.INTEGER),
        Column("paid", ColumnKind.MONEY, currency=currency),
    ]
    what = "Medical aid by programme and round" if by_round else "Medical aid by programme"

    def read() -> Iterator[str | None]:
        fields = ("id", "person_id", "program_id", "project_id")
        for r in _naming(itertools.chain(*groups.values()), fields, _subjects(dataset)):
            day = r.on if isinstance(r, Screening) else r.opened_on
            if when is None or day in when:
                yield from (r.id, r.person_id, r.program_id, r.project_id)
        if screened is not None:  # the screenings stayed in the engine: a query a field
            where = all_of(_IN_A_PROGRAMME, _in_period(when, "on"))
            yield from _read_among(dataset.screenings, fields, _subjects(dataset), where)
        if staged is not None:  # and the medical cases
            where = all_of(_MEDICAL_IN_A_PROGRAMME, _in_period(when, "opened_on"))
            yield from _read_among(dataset.cases, fields, _subjects(dataset), where)

    return _checked(
        _noted(_build(columns, rows, _titled(what, when, title), money_unit="万元"), conv),
        dataset,
        read,
        strict=strict,
        what="medical_summary",
        more=conv.findings,
    )


def _batches(dataset: Dataset) -> Mapping[str, Any]:
    """The projects by id, as a round reads them (``.batch``): two columns, where columnar."""
    index_of = getattr(dataset.records("projects"), "index_of", None)
    if index_of is not None:
        return cast("Mapping[str, Any]", index_of("batch"))
    return dataset.index("projects")


_IN_A_PROGRAMME: Final = field_not_in("program_id", [None])
_POSITIVE_OUTCOMES: Final = tuple(o for o in ScreeningOutcome if o.is_positive)


def _screened(
    screenings: Iterable[Screening],
    projects: Mapping[str, Any],
    when: Period | None,
    by_round: bool,
) -> dict[tuple[str, int | None], tuple[int, int, int]]:
    """The screenings' part of :func:`humanaid.funnel` per programme and round, in one query.

    For each (programme, round: the batch of the project named, else ``None``) that
    screenings of any day name: the screenings of the period (person-times), their
    distinct persons, and the distinct
    persons found positive or referred, as ``funnel``'s ``screened`` and ``positive``
    stages count them; for a columnar source the engine counts them, no screening is
    read back.
    """
    by: dict[str, Any] = {"p": "program_id"}
    if by_round:
        by["b"] = lookup_key("project_id", projects, "batch")
    # (a group of the programme's screenings outside the period is a row of zeros, as
    # funnel gives it: the period is the measures' condition, not the query's)
    inside = _in_period(when, "on")
    rows = _tabulate_rows(
        screenings,
        by=by,
        measures={
            "n": count(where=inside),
            "persons": distinct("person_id", where=inside),
            "positive": distinct(
                "person_id", where=all_of(inside, field_in("outcome", _POSITIVE_OUTCOMES))
            ),
        },
        where=_IN_A_PROGRAMME,
    )
    if by_round:
        return {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows}
    return {(r[0], None): (r[1], r[2], r[3]) for r in rows}


_MEDICAL_IN_A_PROGRAMME: Final = all_of(
    field_is("kind", CaseKind.MEDICAL), field_not_in("program_id", [None])
)


_NO_PAY: Final = (None, Decimal(0))
"""A paid amount ``funnel`` does not count as paid (none, or zero: it is never negative)."""


def _cases_staged(
    cases: Iterable[Case],
    projects: Mapping[str, Any],
    when: Period | None,
    by_round: bool,
    currency: str,
) -> dict[tuple[str, int | None], tuple[Any, ...]] | None:
    """The medical cases' part of :func:`humanaid.funnel` per programme and round, in one query.

    For each (programme, round) that medical cases of any day name: of the cases opened
    in the period, those approved (the history reached ``approved``), treated (approved
    and served: ``Case.approved_on`` and ``Case.served_on``, which the engines compute
    from the history column), the distinct persons treated, the cases paid (a positive
    paid amount) and the money paid, as ``funnel`` counts them. ``None`` when a case of
    the period needs Python: an amount in another currency than ``currency`` (converted
    on its own days) or no person named (``funnel`` counts its household instead).
    """
    by: dict[str, Any] = {"p": "program_id"}
    if by_round:
        by["b"] = lookup_key("project_id", projects, "batch")
    inside = _in_period(when, "opened_on")
    approved = all_of(inside, field_not_in("approved_on", [None]))
    treated = all_of(approved, field_not_in("served_on", [None]))
    foreign = [None, currency]
    own = field_is("paid.currency", currency)
    rows = _tabulate_rows(
        cases,
        by=by,
        measures={
            "approved": count(where=approved),
            "treated": count(where=treated),
            "persons": distinct("person_id", where=treated),
            "paid cases": count(where=all_of(inside, field_not_in("paid.amount", _NO_PAY))),
            # (an amount in another currency is counted below, not added: it would raise)
            "paid": total("paid", currency=currency, where=all_of(inside, own)),
            "no person": count(where=all_of(inside, field_is("person_id", None))),
            "approved in": count(where=all_of(inside, field_not_in("approved.currency", foreign))),
            "paid in": count(where=all_of(inside, field_not_in("paid.currency", foreign))),
        },
        where=_MEDICAL_IN_A_PROGRAMME,
    )
    if any(any(r[-3:]) for r in rows):
        return None
    width = 2 if by_round else 1
    return {(r[0], r[1] if by_round else None): tuple(r[width : width + 5]) for r in rows}


def _medical_cases(dataset: Dataset) -> Iterable[Case]:
    """The cases :func:`medical_summary` reads.

    From a columnar dataset, only its medical cases of a programme are read back (when
    :func:`_cases_staged` finds one that needs Python); the others stay in the engine.
    """
    cases = dataset.cases
    if _columnar(cases):
        picked: list[Case] = cases.select(_MEDICAL_IN_A_PROGRAMME)  # type: ignore[attr-defined]
        return picked
    return cases


def _case_in(case: Case, when: Period | None, conv: CurrencyConverter) -> Case:
    """A medical case of ``when`` with its amounts in the report's currency (see above)."""
    cur = conv.currency
    approved, paid = case.approved, case.paid
    if (
        case.kind is not CaseKind.MEDICAL
        or case.program_id is None  # not counted: nothing of it converted or reported
        or (when is not None and case.opened_on not in when)
        or (
            (approved is None or approved.currency == cur)
            and (paid is None or paid.currency == cur)
        )
    ):
        return case
    approved_on = case.reached(CaseStatus.APPROVED) or case.opened_on
    if approved is not None:
        approved = conv(approved, approved_on, subject=case.id)
    if paid is not None:
        paid = conv(paid, case.served_on or approved_on, subject=case.id)
    return attrs.evolve(case, approved=approved, paid=paid)


# -- projects ----------------------------------------------------------------------------------


def project_summary(
    dataset: Dataset,
    *,
    by: str = "project",
    program_id: str | None = None,
    as_of: date | None = None,
    own: Iterable[FundingSourceKind | str] = (FundingSourceKind.OWN_FUNDS,),
    currency: str = DEFAULT_CURRENCY,
    rates: Rates = None,
    rate_policy: RatePolicy | RateKind | str = "daily",
    title: str | None = None,
    strict: bool = False,
) -> Table:
    """Budget, money received by source, spending and leverage, per project or programme.

    Each row is :func:`humanaid.project_finance` (``by="project"``) or
    :func:`humanaid.program_finance` (``by="program"``): what the ledger shows against
    the plan. ``received`` is split into one column per :class:`~humanaid.FundingSourceKind`
    that appears (上级奖补, 县乡配套, 社会资助 ...); ``spent share`` is spent over budget;
    ``leverage`` is money from others per yuan of ``own`` money
    (:func:`humanaid.leverage`), shown to two places (half-up).

    Args:
        dataset: the dataset.
        by: ``"project"`` or ``"program"``.
        program_id: only the projects of this programme (or only this programme).
        as_of: take the figures at the end of this day (``None``: every flow).
        own: the source kinds that count as the society's own money.
        currency: the currency of the table: a project budgeted in another one has its
            flows converted with the rate of each flow's day, its budget and plan with
            the rate of its first day (:func:`~humanaid.project_finance`).
        rates: the exchange rates (a :class:`~humanaid.RateTable` or the records); by
            default the dataset's ``exchange_rates``.
        rate_policy: which rate converts the money of a day (:class:`~humanaid.RatePolicy`
            or its kind: ``"daily"``, ``"monthly_average"``, ``"budget"``).
        title: the caption.
        strict: refuse with :class:`~humanaid.FindingsError` when the records read carry
            error findings, instead of returning them in the table's ``findings``.

    Findings: those about the projects listed (or the programmes' projects), their
    programmes, and the flows into and out of them (with the records those flows stem
    from); ``cases.payment-before-case`` for a project's payment to a case before the
    case was opened (left out of its spending); ``currency.no-rate`` for money no rate
    converts (left out).

    Over a columnar dataset (:func:`humanaid.interop.columnar.scan_dataset`) the same
    table comes without the whole ledger: the engine finds the flows into and out of
    a project (and those they pass on along ``parent_id``: booked flows by id, gifts by
    id), the handouts and paid cases a project pays for, and the cases those flows pay;
    only these are read back, with the small collections (projects, programmes,
    organisations, funds, reversals). A flow into a project that passes on money a
    refund, a handout, a case or a loan implies makes it derive the whole ledger
    instead, reading the records back (with a :class:`UserWarning`).

    Raises:
        UnknownId: if ``program_id`` is neither a programme of the dataset nor named by
            one of its projects.
        ValueError: if ``by`` is neither ``"project"`` nor ``"program"``.
        FindingsError: with ``strict=True``, when the records read carry error findings.
    """
    if program_id is not None:
        named = (p.program_id for p in dataset.projects)
        UnknownId.lookup(dataset, "programs", program_id, argument="program_id", named=named)
    own_kinds = tuple(own) if not isinstance(own, str) else (own,)
    conv = _converter(dataset, currency, rates, rate_policy)
    books = _projects_read(dataset, as_of=as_of, currency=currency)
    finances: list[tuple[str, str | None, int | None, Any, Any]] = []
    if by == "project":
        for p in dataset.projects:
            if program_id is not None and p.program_id != program_id:
                continue
            pf = project_finance(books, p.id, as_of=as_of, converter=conv)
            finances.append((p.id, p.name, p.batch, p.status, pf))
    elif by == "program":
        for prog in dataset.programs:
            if program_id is not None and prog.id != program_id:
                continue
            gf = program_finance(books, prog.id, as_of=as_of, currency=currency, converter=conv)
            if gf.projects:
                finances.append((prog.id, prog.name, None, None, gf))
    else:
        raise ValueError(f"'by' must be 'project' or 'program' (got {by!r})")
    # each figure's money by source and total received read once (a row reads them thrice)
    got_of = [f.received_by_source() for *_, f in finances]
    kinds = [k for k in FundingSourceKind if any(k in got for got in got_of)]
    zero = Money.zero(currency)
    rows = []
    for (key, name, batch, status, f), got in zip(finances, got_of, strict=True):
        head: list[Any] = [key, name]
        if by == "project":
            head += [batch, status]
        received = f.received
        rows.append(
            (
                *head,
                f.budget,
                received,
                *(got.get(k, zero) for k in kinds),
                f.spent,
                ratio(f.spent, f.budget, mixed_ok=True),
                f.budget - received,  # the funding gap
                _round2(leverage(got, own=own_kinds)),  # (leverage(f) reads the same money)
            )
        )
    columns = [Column(by if by == "project" else "programme", ColumnKind.TEXT, key=True)]
    columns.append(Column("name", ColumnKind.TEXT))
    if by == "project":
        columns += [Column("batch", ColumnKind.INTEGER), Column("status", ColumnKind.TEXT)]
    columns += [
        Column("budget", ColumnKind.MONEY, currency=currency),
        Column("received", ColumnKind.MONEY, currency=currency),
        *(Column(k.label, ColumnKind.MONEY, currency=currency) for k in kinds),
        Column("spent", ColumnKind.MONEY, currency=currency),
        Column("spent share", ColumnKind.RATIO),
        Column("funding gap", ColumnKind.MONEY, currency=currency),
        Column("leverage", ColumnKind.DECIMAL),
    ]
    what = "Projects" if by == "project" else "Programmes"
    when = f", as of {as_of.isoformat()}" if as_of is not None else ""
    table = _build(columns, rows, title if title is not None else what + when, money_unit="万元")
    members: list[ProjectFinance] = [
        p for *_, f in finances for p in (f.projects if isinstance(f, ProgramFinance) else (f,))
    ]
    ledger = books.ledger()
    flows = [
        flow
        for p in members
        for flow, _ in ledger.entries(Party.project(p.project_id))
        if as_of is None or flow.on <= as_of
    ]
    return _checked(
        _noted(table, conv),
        dataset,
        lambda: itertools.chain(
            (k for k, *_ in finances),
            (p.project_id for p in members),
            _flow_ids(flows),
        ),
        strict=strict,
        what="project_summary",
        more=(*(f for p in members for f in p.findings), *conv.findings),
    )


def _projects_read(
    dataset: Dataset, *, as_of: date | None = None, currency: str = DEFAULT_CURRENCY
) -> Dataset | _Books:
    """What :func:`project_summary` reads: the dataset, or its projects' books in an engine.

    Over a columnar dataset (:func:`humanaid.interop.columnar.scan_dataset`) the large
    collections are not read back: the engine sums the plain flows into and out of each
    project and the handouts a project pays for, by ends, kind and currency (up to
    ``as_of``), and only the flows that need more (a parent, a case paid, another
    currency than ``currency``, an error finding naming them) are fetched one by one,
    with the flows they pass on and the cases they pay (``humanaid.crossings``).
    Where a flow passed on is one the engine summed, each flow is fetched instead; where
    it passes on money a refund, a handout, a case or a loan implies, the whole ledger
    is read, with a warning.
    """
    if not _engine_held(dataset):
        return dataset
    subjects = _errors_by_subject(dataset).keys()
    books = _summed_books(dataset, as_of=as_of, currency=currency, subjects=subjects)
    if books is None:
        books = _project_books(dataset)
    if books is not None:
        return books
    import warnings

    warnings.warn(
        "a flow into a project passes on money a refund, a handout, a case or a loan implies "
        "(its parent_id): the whole ledger is derived, so the records are read back",
        UserWarning,
        stacklevel=3,
    )
    return dataset


def results_summary(
    dataset: Dataset,
    *,
    by: str = "project",
    as_of: date | None = None,
    title: str | None = None,
    strict: bool = False,
) -> Table:
    """Each indicator's achieved total against its target, per project (or other group).

    Totals come from :func:`humanaid.results` (each indicator aggregates as it says:
    sum, latest or largest), for achieved values and for targets; ``progress`` is
    achieved over target. Over :func:`~humanaid.interop.columnar.scan_dataset` the values
    are added up per cell in the engine, and only the cells come back.

    Args:
        dataset: the dataset (its indicators and indicator values).
        by: ``"project"``, ``"organization"``, ``"program"``, ``"area"``, ``"period"`` or
            ``"all"`` (see :func:`humanaid.results`).
        as_of: only values whose period ends by this day.
        title: the caption.
        strict: refuse with :class:`~humanaid.FindingsError` when the records read carry
            error findings, instead of returning them in the table's ``findings``.

    Findings: those about the indicators, the values rolled up (by ``as_of``) and the
    groups listed (a project, an organisation ...).

    Raises:
        FindingsError: with ``strict=True``, when the records read carry error findings.
    """
    rollups = getattr(dataset.indicator_values, "__humanaid_indicator_rollups__", None)
    if rollups is not None and isinstance(by, str):
        # each indicator rolled up per subject by the engine; the subjects grouped here
        achieved, targets = _grouped_rollups(dataset, rollups(as_of, by == "period"), by)
    elif _columnar(dataset.indicator_values):
        # the values added up per cell by the engine, rolled up as results() rolls them
        cells = _cells_of(dataset, as_of)
        key = _results_key(dataset, by, None, Granularity.YEAR)  # type: ignore[arg-type]
        known = dataset.index("indicators")
        achieved = indicator_totals(known, cells, key, as_of=as_of)  # type: ignore[arg-type]
        targets = indicator_totals(known, cells, key, target=True, as_of=as_of)  # type: ignore[arg-type]
    else:
        achieved = results(dataset, by=by, as_of=as_of)  # type: ignore[arg-type]
        targets = results(dataset, by=by, as_of=as_of, target=True)  # type: ignore[arg-type]
    indicators = dataset.index("indicators")
    order = {code: i for i, code in enumerate(indicators)}
    rows = []
    for group in sorted(set(achieved) | set(targets), key=str):
        done, aim = achieved.get(group, {}), targets.get(group, {})
        for code in sorted(set(done) | set(aim), key=lambda c: (order.get(c, len(order)), c)):
            ind = indicators.get(code)
            actual, target = done.get(code), aim.get(code)
            # figures shown as the engine gives them, whatever scale the values were
            # written at: 0.00 and 3.50 read 0 and 3.5 on every path
            actual = None if actual is None else _tidy(actual)
            target = None if target is None else _tidy(target)
            share = None if actual is None else ratio(actual, target)
            rows.append(
                (
                    group,
                    code,
                    None if ind is None else ind.name,
                    None if ind is None else ind.unit,
                    actual,
                    target,
                    share,
                )
            )
    columns = [
        Column(by, ColumnKind.TEXT, key=True),
        Column("indicator", ColumnKind.TEXT, key=True),
        Column("name", ColumnKind.TEXT),
        Column("unit", ColumnKind.TEXT),
        Column("achieved", ColumnKind.DECIMAL),
        Column("target", ColumnKind.DECIMAL),
        Column("progress", ColumnKind.RATIO),
    ]

    def read() -> Iterator[str | None]:
        yield from indicators
        if _columnar(dataset.indicator_values):
            ended = None if as_of is None else field_between("period.end", date.min, as_of)
            fields = ("id", "project_id", "organization_id")
            yield from _read_among(dataset.indicator_values, fields, _subjects(dataset), ended)
        else:
            for v in dataset.indicator_values:
                if as_of is None or v.period.end <= as_of:
                    yield from (v.id, v.project_id, v.organization_id)
        yield from (str(group) for group in set(achieved) | set(targets))

    return _checked(
        _build(columns, rows, title if title is not None else f"Results by {by}"),
        dataset,
        read,
        strict=strict,
        what="results_summary",
    )


_CELL_KEYS: Final = {
    "indicator_id": "indicator_id",
    "project_id": "project_id",
    "organization_id": "organization_id",
    "start": "period.start",
    "end": "period.end",
    "target": "target",
    "sex": "disaggregation.sex",
    "age_group": "disaggregation.age_group",
}


class _CellValue:
    """One cell of indicator values added up by the engine, read as an indicator value.

    :func:`~humanaid.indicator_totals` reads these fields of a value; a cell holds them
    without the validation of a record (the engine added up values already validated),
    and shares its period and breakdown with the other cells that have the same.
    """

    __slots__ = (
        "disaggregation",
        "indicator_id",
        "organization_id",
        "period",
        "project_id",
        "target",
        "value",
    )

    def __init__(self, row: tuple[Any, ...], period: Period, split: Disaggregation | None) -> None:
        self.indicator_id, self.project_id, self.organization_id = row[0], row[1], row[2]
        self.target, self.value = row[5], row[8]
        self.period, self.disaggregation = period, split


def _cells_of(dataset: Dataset, as_of: date | None) -> list[_CellValue]:
    """The dataset's indicator values added up per cell and breakdown, by the engine.

    :func:`~humanaid.results` gathers values per cell (indicator, subject, period) and
    breakdown, adding those of one cell and breakdown: one query does that adding, and
    each group comes back as one value holding the sum, so the roll-up (sum, latest or
    largest) is :func:`~humanaid.indicator_totals`' own, over as many values as there
    are cells.
    """
    ended = None if as_of is None else field_between("period.end", date.min, as_of)
    rows = _tabulate_rows(
        dataset.indicator_values, by=_CELL_KEYS, measures={"value": sum_of("value")}, where=ended
    )
    periods: dict[tuple[date, date], Period] = {}
    splits: dict[tuple[Any, Any], object] = {(None, None): None}
    out = []
    for row in rows:
        when = periods.get((row[3], row[4]))
        if when is None:
            when = periods[row[3], row[4]] = Period(row[3], row[4])
        split = splits.get((row[6], row[7]), _UNSEEN)
        if split is _UNSEEN:
            split = splits[row[6], row[7]] = Disaggregation(sex=row[6], age_group=row[7])
        out.append(_CellValue(row, when, cast("Disaggregation | None", split)))
    return out


_UNSEEN: Final = object()  # (a marker: a breakdown not made yet)


class _Subject:
    """A project or organisation (and the year of a period), as a results key reads a value."""

    __slots__ = ("organization_id", "period", "project_id")

    def __init__(self, project_id: str | None, organization_id: str | None, year: Any) -> None:
        self.project_id, self.organization_id = project_id, organization_id
        self.period = None if year is None else Period.year(int(year))


Totals = dict[str, dict[str, Decimal]]


def _grouped_rollups(
    dataset: Dataset, rows: Iterable[Sequence[Any]], by: str
) -> tuple[Totals, Totals]:
    """The achieved and target totals per group, from the engine's roll-ups per subject.

    Each row is one indicator's cells of one subject (and year, by period) rolled up all
    three ways (see ``__humanaid_indicator_rollups__``); a group's figure combines its
    subjects' as :func:`~humanaid.indicator_totals` combines cells: the sums and the
    latest cells added, the largest kept. A subject the key puts in no group, or an
    indicator the dataset does not hold, is left out, as the records' roll-up leaves it.
    """
    key: Callable[[Any], Any]
    if by == "project":  # (the key reads no lookup: the projects are not read back)
        key = operator.attrgetter("project_id")
    else:
        by_key = _results_key(dataset, by, None, Granularity.YEAR)  # type: ignore[arg-type]
        key = cast("Callable[[Any], Any]", by_key)  # (it reads a _Subject's fields alone)
    known = dataset.index("indicators")
    achieved: Totals = {}
    targets: Totals = {}
    for indicator_id, target, project_id, org_id, year, added, largest, latest in rows:
        indicator = known.get(indicator_id)
        if indicator is None:
            continue
        group = key(_Subject(project_id, org_id, year))
        if group is None:
            continue
        into = (targets if target else achieved).setdefault(group, {})
        held = into.get(indicator_id)
        how = indicator.aggregation
        # (the engine's figures at its scale: the one kept made tidy, as the cells' are)
        if how is IndicatorAggregation.MAX:
            largest = _kept(largest)
            into[indicator_id] = largest if held is None else max(held, largest)
        else:
            got = _kept(added if how is IndicatorAggregation.SUM else latest)
            into[indicator_id] = got if held is None else _EXACT.add(held, got)
    return achieved, targets


def _kept(figure: Any) -> Decimal:
    """An engine's roll-up figure (exact, at the engine's scale) as the cells' figures are.

    (Never null: a cell holds at least one value, and a value's figure is required.)
    """
    return _tidy(Decimal(figure))


# -- revolving funds ---------------------------------------------------------------------------


def revolving_summary(
    dataset: Dataset,
    *,
    as_of: date,
    currency: str | None = None,
    rates: Rates = None,
    rate_policy: RatePolicy | RateKind | str = "daily",
    title: str | None = None,
    strict: bool = False,
) -> Table:
    """Each village seed fund's portfolio report as one row (:func:`~humanaid.portfolio_report`).

    Money is in each fund's own currency, or with ``currency=`` in that one: a fund's
    figures are its position at the end of ``as_of``, so each of them is converted
    with the rate of ``as_of`` (the closing rate, under ``rate_policy``, from ``rates``
    or the dataset's exchange rates), rounded on its own; ratios and ``identity holds``
    are those of the fund's own currency. ``PAR30`` (which counts every open restructured
    loan, shown in ``restructured``) and ``repayment rate`` are exact ratios (shown as
    percentages); ``revolving multiple`` (principal lent per yuan of
    seed capital) is shown to two places; ``identity holds`` says whether cash,
    outstanding and written-off principal add up to capital and income to the fen.

    Findings: each report's own (repayments dated before their loan and write-offs
    dated before it, left out of every figure), those about the funds, their loans, and
    the loans' repayments and write-offs, and ``currency.no-rate`` for a fund whose
    currency no rate converts on ``as_of`` (its money left blank).
    ``strict=True`` refuses with :class:`~humanaid.FindingsError` instead.

    Over a columnar dataset (:func:`humanaid.interop.columnar.scan_dataset`) the flows
    are not read back: the engine finds the booked flows into or out of a village fund
    and those that stand for a loan, a repayment or a write-off. The funds, loans,
    repayments and write-offs are read back whole (the seed-fund engine replays each
    loan's repayments in order), as are the reversals.
    """
    rows = []
    conv = _converter(dataset, currency or DEFAULT_CURRENCY, rates, rate_policy)

    def converted(amounts: Sequence[Money], fund_id: str) -> list[Money | None]:
        out: list[Money | None] = []
        for m in amounts:
            got = m if currency is None else conv(m, as_of, subject=fund_id)
            if got is None:  # no rate on the day: one finding, and no figure of the fund
                return [None] * len(amounts)
            out.append(got)
        return out

    books = _revolving_books(dataset) if _engine_held(dataset) else dataset
    funds = dataset.revolving_funds
    reports = _portfolio_reports(books, [fund.id for fund in funds], as_of=as_of)
    for fund, r in zip(funds, reports, strict=True):
        amounts = converted(
            (
                r.seed_capital,
                r.top_ups,
                r.cumulative_lent,
                r.principal_repaid,
                r.outstanding_principal,
                r.written_off,
                r.restructured,
                r.cash,
            ),
            fund.id,
        )
        rows.append(
            (
                fund.id,
                fund.name,
                *amounts,
                r.loans_made,
                r.active_loans + r.loans_in_arrears,
                r.loans_in_arrears,
                r.households_reached,
                r.par30,
                r.repayment_rate,
                _round2(r.revolving_multiple),
                r.identity_holds,
            )
        )
    kind = ColumnKind.MONEY
    columns = [
        Column("fund", ColumnKind.TEXT, key=True),
        Column("name", ColumnKind.TEXT),
        *(
            Column(name, kind, currency=currency)
            for name in (
                "seed capital",
                "top-ups",
                "lent",
                "repaid",
                "outstanding",
                "written off",
                "restructured",
                "cash",
            )
        ),
        Column("loans", ColumnKind.INTEGER),
        Column("open loans", ColumnKind.INTEGER),
        Column("in arrears", ColumnKind.INTEGER),
        Column("households", ColumnKind.INTEGER),
        Column("PAR30", ColumnKind.RATIO),
        Column("repayment rate", ColumnKind.RATIO),
        Column("revolving multiple", ColumnKind.DECIMAL),
        Column("identity holds", ColumnKind.BOOLEAN),
    ]
    default = f"Revolving funds as of {as_of.isoformat()}"

    def read() -> Iterator[str | None]:
        funds = {r.fund_id for r in reports}
        loans = {loan.id for loan in dataset.loans if loan.fund_id in funds}
        yield from funds
        yield from loans
        for events in (dataset.repayments, dataset.write_offs):
            yield from (e.id for e in events if e.loan_id in loans)

    table = _build(columns, rows, title if title is not None else default, money_unit="万元")
    return _checked(
        _noted(table, conv),
        dataset,
        read,
        strict=strict,
        what="revolving_summary",
        more=(*(f for r in reports for f in r.findings), *conv.findings),
    )


# -- the year at a glance ----------------------------------------------------------------------


def _notes(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class YearAtAGlance:
    """The sentence-sized figures of an annual report, for one organisation and period.

    Attributes:
        organization_id: the organisation (with its sub-units and their funds).
        name: its name, as the sentences print it.
        period: the period (a year, or several: 2015-2020).
        currency: the currency of the money figures.
        put_in: money and goods put into projects, cases, households and the hospitals and
            shops that serve them (投入帮扶资金物资).
        brought_in: money from other organisations and government outside the boundary:
            higher-level societies, the organisation's own parent, foundations (引进帮扶资金).
        raised: money and goods from donors, directly or through a platform (募捐款物),
            net of the refunds paid back to donors in the period.
        gifts: the gifts received (笔).
        donors: distinct known donors who gave them.
        projects_built: projects started in the period and not cancelled (援建项目).
        reach: the persons, households and person-times reached (受益群众).
        findings: the error findings about the records the figures were read from, and
            the payments left out (see :func:`year_at_a_glance`); empty by default.
        notes: what the figures say of themselves: the rates and policy that converted
            money in other currencies, if any did; empty by default.
        services: the sentences of :func:`~humanaid.service_sentences` (volunteers,
            members, service sites), appended to :meth:`sentences`; empty by default.
        refunds: what was paid back to donors in the period, out of gifts raised inside
            the boundary (:class:`~humanaid.Refund`): ``raised`` is net of it; ``None``
            when not counted.

    ``put_in``, ``brought_in`` and ``raised`` are the ledger's
    :class:`~humanaid.BoundaryTotals` for the organisation's boundary, counted by where
    money crosses it (:func:`~humanaid.classify_flow`), not by how a flow is tagged:
    each flow is counted once, so money passed from the society to its county branches
    is not counted again when the branches spend it, and a grant counts the same
    whether it was wired through the society or straight to the society's project.
    """

    organization_id: str
    name: str
    period: Period
    currency: str
    put_in: Money
    brought_in: Money
    raised: Money
    gifts: int
    donors: int
    projects_built: int
    reach: Reach
    findings: Findings = attrs.field(factory=Findings, converter=Findings)
    notes: tuple[str, ...] = attrs.field(default=(), converter=_notes)
    services: tuple[str, ...] = ()
    refunds: Money | None = None

    def table(self) -> Table:
        """The figures as a one-row table (money in 万元), with the :attr:`findings`.

        >>> from humanaid import Dataset, Organization
        >>> ds = Dataset(organizations=[Organization(id="qj", name="曲靖市红十字会", level="city")])
        >>> print(year_at_a_glance(ds, 2020, organization_id="qj").table().select(
        ...     "period", "put in", "raised", "projects built"))
        曲靖市红十字会, 2020
        period    put in    raised  projects built
        ------  --------  --------  --------------
        2020    0.00万元  0.00万元               0
        """
        money = ColumnKind.MONEY
        cur = self.currency
        columns = [
            Column("period", ColumnKind.PERIOD, key=True),
            Column("put in", money, currency=cur),
            Column("brought in", money, currency=cur),
            Column("raised", money, currency=cur),
            Column("gifts", ColumnKind.INTEGER),
            Column("donors", ColumnKind.INTEGER),
            Column("projects built", ColumnKind.INTEGER),
            Column("households", ColumnKind.INTEGER),
            Column("persons", ColumnKind.INTEGER),
            Column("person-times", ColumnKind.INTEGER),
        ]
        row = (
            self.period,
            self.put_in,
            self.brought_in,
            self.raised,
            self.gifts,
            self.donors,
            self.projects_built,
            self.reach.households,
            self.reach.persons,
            self.reach.person_times,
        )
        return Table(
            columns=columns,
            rows=[row],
            title=f"{self.name}, {_period_label(self.period)}",
            money_unit="万元",
            notes=self.notes,
            findings=self.findings,
        )

    def _wan(self, m: Money) -> str:
        # as report prose prints them: 4189万元, 989.32万元 (whole, else two decimals)
        return m.format(unit="万元" if m.currency == "CNY" else "万", places="auto")

    def sentences(self) -> tuple[str, ...]:
        """The figures as an annual report phrases them, in 万元, with English alongside.

        >>> from humanaid import Dataset, Organization
        >>> ds = Dataset(organizations=[Organization(id="qj", name="曲靖市红十字会", level="city")])
        >>> year_at_a_glance(ds, 2020, organization_id="qj").sentences()[0]
        '投入帮扶资金物资0万元 (put in: money and goods paid out to projects, cases and households)'
        """
        r = self.reach
        return (
            f"投入帮扶资金物资{self._wan(self.put_in)} (put in: money and goods paid out to "
            "projects, cases and households)",
            f"引进帮扶资金{self._wan(self.brought_in)} (brought in: money from other "
            "organisations and government outside the boundary)",
            f"募捐款物{self._wan(self.raised)}，{self.gifts}笔 (raised: {self.gifts:,} gifts "
            f"from {self.donors:,} donors)",
            f"援建各类项目{self.projects_built}个 (projects built)",
            f"受益群众{r.households}户、{r.persons}人，{r.person_times}人次 (reached: "
            f"{r.households:,} households, {r.persons:,} persons, "
            f"{r.person_times:,} person-times)",
            *self.services,
        )

    def __str__(self) -> str:
        head = f"{self.name}, {_period_label(self.period)}: year at a glance"
        notes = [f"note: {n}" for n in self.notes]
        found = _findings_lines(self.findings)
        return "\n".join([head, *(f"  {s}" for s in self.sentences()), *notes, *found])


def _organizations_named(dataset: Dataset) -> Iterator[str | None]:
    """The organisation ids the records name: owners, recipients, parents."""
    for records in (dataset.donations, dataset.funds, dataset.projects, dataset.programs):
        yield from (r.organization_id for r in records)
    yield from (o.parent_id for o in dataset.organizations)


def _organizations_inside(boundary: Boundary) -> frozenset[str]:
    return frozenset(p.id for p in boundary.parties if p.kind is PartyKind.ORGANIZATION)


_ON: Final = operator.attrgetter("on")


def _projects_begun(dataset: Dataset, orgs: Collection[str], when: Period) -> int:
    """How many of the organisations' projects, not cancelled, began in the period."""
    return sum(
        1
        for p in dataset.projects
        if p.organization_id in orgs
        and p.status is not ProjectStatus.CANCELLED
        and p.period.start in when
    )


def _period_flows(ledger: Ledger, when: Period) -> Sequence[Flow]:
    """The ledger's flows dated in ``when``: a slice, as the flows are in date order."""
    flows = ledger.flows
    lo = bisect.bisect_left(flows, when.start, key=_ON)
    return flows[lo : bisect.bisect_right(flows, when.end, lo, key=_ON)]


_GiftEnds = tuple[Donation, Party, Party, Party | None]
"""A gift as a dataset's ledger holds it: ``(donation, source, destination, platform)``."""


def _period_parts(
    ledger: Ledger, when: Period, early: Mapping[str, Finding], currency: str
) -> tuple[Sequence[Flow], Sequence[_GiftEnds]]:
    """The ledger's flows of ``when``, and its gifts of ``when`` still held as donations.

    For a dataset's ledger whose flows are not made (``validate()`` makes none), the other
    flows of the period (a slice: they are in date order) and the gifts received in it,
    each with its ends (:meth:`humanaid.funds._Gifts.ends`): a year at a glance of a
    million gifts makes no gift's flow. What it counts of them is what it counts of their
    flows (``tests/test_ledger_gifts.py``). Else, or when a gift of the period is
    in another currency than ``currency`` (converted flow by flow, in the ledger's order)
    or a gift's flow id is among the payments left out (``early``), the ledger's flows of
    the period (:func:`_period_flows`) and no gifts.
    """
    split = ledger._without_gifts() if ledger._flows_cache is None else None
    if split is not None:
        others, parts = split
        start, end = when.start, when.end
        gifts = [g for g in parts.ends() if start <= g[0].received_on <= end]
        foreign = any(
            d.value._currency != currency or (platform is not None and d.fees._currency != currency)
            for d, _, _, platform in gifts
        )
        left_out = bool(early) and any(
            _gift_flow_id(d.id) in early or (platform is not None and _fee_flow_id(d.id) in early)
            for d, _, _, platform in gifts
        )
        if not foreign and not left_out:
            lo = bisect.bisect_left(others, start, key=_ON)
            return others[lo : bisect.bisect_right(others, end, lo, key=_ON)], gifts
    return _period_flows(ledger, when), ()


def _year_gifts(gifts: Iterable[Donation], orgs: Collection[str], when: Period) -> tuple[int, int]:
    """How many gifts the organisations received in ``when``, and from how many donors.

    ``tabulate(gifts, measures={"gifts": count(), "donors": distinct("donor_id")},
    where=...)`` of the gifts received inside in the period, with a loop over records
    (no call a gift); a columnar source is still tabulated in its engine.
    """
    if not isinstance(gifts, tuple | list):
        inside = _in_period(when, "received_on")
        assert inside is not None
        row = tabulate(
            gifts,
            measures={"gifts": count(), "donors": distinct("donor_id")},
            where=lambda d: d.organization_id in orgs and inside(d),
        ).rows[0]
        return row[0], row[1]
    start, end = when.start, when.end
    donors = [
        d.donor_id for d in gifts if d.organization_id in orgs and start <= d.received_on <= end
    ]
    distinct_donors = set(donors)
    distinct_donors.discard(None)
    return len(donors), len(distinct_donors)


def _counted_totals(
    flows: Iterable[Flow],
    boundary: Boundary,
    when: Period,
    early: Mapping[str, Finding],
    conv: CurrencyConverter,
    gifts: Iterable[_GiftEnds] = (),
) -> tuple[BoundaryTotals, Money]:
    """The totals a year at a glance counts, and the refunds that left, in one pass.

    The flows (those of ``when``) less the payments made before their case (``early``),
    all in the report's currency: a flow in another currency that crosses or moves in
    ``boundary`` is converted with the rate of its day (without one it is left out, and
    the converter keeps the finding; one that converts to zero adds nothing and is
    dropped); one wholly outside the boundary counts nowhere and is not converted. They
    are counted as :meth:`Ledger.totals <humanaid.Ledger.totals>` counts a ledger of them
    (:func:`~humanaid.crossing_totals`), with no ledger built for them. The refunds are
    those of gifts (flows of ``refunds``) paid back out of the boundary.

    The flows are first summed by their ends and kind, as :meth:`Ledger.totals
    <humanaid.Ledger.totals>` sums them (``crossing_totals`` takes such sums as it takes
    single flows).

    ``gifts`` (:func:`_period_parts`, all in the report's currency, none left out) count
    as their flows would: the gift from its source to its destination, its fees (when it
    has a platform) from the destination to the platform.
    """
    cur = conv.currency
    contains, work = boundary.contains, boundary.work
    refunds: list[Money] = []
    refund = FlowKind.REFUND

    def moved() -> Iterator[tuple[Party, Party, FlowKind, Decimal]]:
        # Money's slots, not its properties: read for each of a million flows.
        for flow in flows:
            if early and flow.id in early:
                continue
            amount = flow.amount
            if amount._currency != cur:
                if not (
                    contains(flow.source) or contains(flow.destination) or flow.destination in work
                ):
                    continue
                subject = flow.origin.id if flow.origin is not None else flow.id
                converted = conv(amount, flow.on, subject=subject)
                if converted is None or converted.is_zero():
                    continue
                amount = converted
            if (
                flow.kind is refund
                and flow.origin is not None
                and flow.origin.collection == "refunds"
                and contains(flow.source)
                and not contains(flow.destination)
            ):
                refunds.append(amount)
            yield flow.source, flow.destination, flow.kind, amount._amount
        gift_kind, fee_kind = FlowKind.DONATION, FlowKind.FUNDRAISING_COST
        for donation, source, destination, platform in gifts:
            yield source, destination, gift_kind, donation.value._amount
            if platform is not None:
                yield destination, platform, fee_kind, donation.fees._amount

    totals = crossing_totals(Ledger._by_ends(moved()), boundary, when, cur)
    return totals, Money.total(refunds, cur)


def _year_findings(
    dataset: Dataset,
    boundary: Boundary,
    when: Period,
    flows: Sequence[Flow],
    counted: Iterable[Screening | Case | Distribution],
    *,
    strict: bool,
    what: str,
    more: Iterable[Finding] = (),
    gifts: Iterable[_GiftEnds] = (),
) -> Findings:
    """The findings of a year at a glance: payments left out, errors of what it read.

    ``flows`` are the ledger's flows of ``when``. What it read: the parties inside, the
    flows that crossed or moved inside the boundary (and the records they stem from) but
    for the payments left out, the gifts received inside and their donors, the projects
    started inside, and the screenings, cases and handouts counted. Only the ids that
    carry error findings can add any (:func:`_about`), so each record is first tested
    against those few subjects, and only one that names one is tested further.
    """
    early = payments_before_case(dataset)
    orgs = _organizations_inside(boundary)
    contains = boundary.contains

    def read() -> Iterator[str | None]:
        wanted = _errors_by_subject(dataset).keys()
        yield from (p.id for p in boundary.parties)
        for f in flows:
            origin = f.origin
            if (
                (f.id in wanted or (origin is not None and origin.id in wanted))
                and f.id not in early
                and (contains(f.source) or contains(f.destination))
            ):
                yield from _flow_ids((f,))
        # the gifts' flows, as the flows above (none is left out: _period_parts)
        by_flow_id = any(subject.startswith("donation:") for subject in wanted)
        for donation, source, destination, platform in gifts:
            gift_id = donation.id
            if gift_id not in wanted and not by_flow_id:
                continue
            flow_id = _gift_flow_id(gift_id)
            if (gift_id in wanted or flow_id in wanted) and (
                contains(source) or contains(destination)
            ):
                yield from (flow_id, gift_id)
            if platform is None:
                continue
            fee_id = _fee_flow_id(gift_id)
            if (gift_id in wanted or fee_id in wanted) and (
                contains(destination) or contains(platform)
            ):
                yield from (fee_id, gift_id)
        for gift in _gifts_naming(dataset):
            if (
                (gift.id in wanted or gift.donor_id in wanted)
                and gift.organization_id in orgs
                and gift.received_on in when
            ):
                yield from (gift.id, gift.donor_id)
        for p in dataset.projects:
            if p.id in wanted and p.organization_id in orgs and p.period.start in when:
                yield p.id
        for r in _naming(counted, ("id",), wanted):
            day = r.served_on if isinstance(r, Case) else r.on
            if day is not None and day in when:
                yield r.id

    left_out = (
        *(
            early[f.id]
            for f in (flows if early else ())
            if f.id in early and (contains(f.source) or contains(f.destination))
        ),
        *more,
    )
    return _findings(dataset, read, strict=strict, what=what, more=left_out)


def year_at_a_glance(
    dataset: Dataset,
    period: Period | int,
    *,
    organization_id: str,
    include_children: bool = True,
    currency: str = DEFAULT_CURRENCY,
    rates: Rates = None,
    rate_policy: RatePolicy | RateKind | str = "daily",
    strict: bool = False,
) -> YearAtAGlance:
    """An organisation's year (or years) at a glance: put in, brought in, raised, built, reached.

    * **put in**, **brought in**, **raised**: the ledger's totals for the organisation's
      :class:`~humanaid.Boundary` (it, its sub-units by ``parent_id`` and every fund
      they hold; the projects they own are its work) over ``period``:
      :meth:`Ledger.totals <humanaid.Ledger.totals>` of
      :meth:`Ledger.from_dataset <humanaid.Ledger.from_dataset>`, so donations count
      as raised even where no flow was written for them. Money counts by where it
      crosses (:class:`~humanaid.Crossing`): *raised* from donors (directly or through a
      platform), *brought in* from any other organisation or government (its own
      parent included), *put in* to projects, cases, households and the hospitals and
      shops that serve them; money sent from outside straight to one of its projects
      counts as brought in (or raised) and put in, as if it had passed through its
      books. See :doc:`/concepts/counting`.
    * **raised** is net of refunds (:class:`~humanaid.Refund`) paid back out of the
      boundary in the period, each on its own day (:attr:`YearAtAGlance.refunds`): a
      2021 refund of a 2020 gift lowers 2021's figure, never 2020's.
    * **gifts** and **donors**: donations received in the period by an organisation
      inside the boundary (a gift entered twice under one ``transaction_ref`` once).
    * **projects built**: projects owned inside the boundary, started in the period and
      not cancelled. Counted by start, so the years of a multi-year report add up.
    * **reach**: :func:`humanaid.reach` over the screenings, cases and distributions of
      the period whose project (else programme) belongs inside the boundary, and those
      that name neither (taken to be the dataset's own work).

    A payment to a case dated before the case was opened is left out of the money
    figures (``cases.payment-before-case``), as the seed-fund books leave out a
    repayment dated before its loan; :attr:`YearAtAGlance.findings` names each one that
    touched the boundary in the period, with the error findings of the built-in rules
    about the records read: the organisations and funds inside, the flows that crossed
    or moved inside the boundary in the period (and the records they stem from), the
    gifts, the projects counted, and the screenings, cases and handouts reached.

    Money in another currency than ``currency`` that crossed or moved in the boundary
    is converted flow by flow with the rate of the flow's day (see
    :doc:`/concepts/currencies`); a flow no rate converts is left out, with a
    ``currency.no-rate`` finding.

    Args:
        dataset: the dataset.
        period: a :class:`~humanaid.Period` or a year.
        organization_id: the organisation.
        include_children: count its sub-units too (default).
        currency: the currency of the money figures.
        rates: the exchange rates (a :class:`~humanaid.RateTable` or the records); by
            default the dataset's ``exchange_rates``.
        rate_policy: which rate converts the money of a day (:class:`~humanaid.RatePolicy`
            or its kind: ``"daily"``, ``"monthly_average"``, ``"budget"``).
        strict: refuse with :class:`~humanaid.FindingsError` when there are findings,
            instead of returning them in :attr:`YearAtAGlance.findings`.

    Raises:
        UnknownId: if ``organization_id`` is neither an organisation of the dataset nor
            named by one of its records (a gift's recipient, a fund's, project's or
            programme's owner, a parent): a misspelt id, never a year of zeros.
        ValueError: if a distribution's household is not in the dataset.
        FindingsError: with ``strict=True``, when there are findings.
    """
    org = UnknownId.lookup(
        dataset,
        "organizations",
        organization_id,
        argument="organization_id",
        named=_organizations_named(dataset),
    )
    when = _as_period(period)
    assert when is not None
    if _engine_held(dataset):
        twin = _year_in_engine(
            dataset,
            when,
            organization_id=organization_id,
            name=organization_id if org is None else str(org.name),
            include_children=include_children,
            currency=currency,
            conv=_converter(dataset, currency, rates, rate_policy),
            strict=strict,
        )
        if twin is not None:
            return twin
        import warnings

        warnings.warn(
            f"money in another currency than {currency} crossed the boundary of "
            f"{organization_id!r}: it is converted flow by flow, so the records are read back",
            UserWarning,
            stacklevel=2,
        )
    boundary = Boundary.organization(dataset, organization_id, include_children=include_children)
    orgs = _organizations_inside(boundary)
    # The built-in rules' findings first: validate() may run a caller's rules, which must
    # not run with the collector paused. The rest is the library's own work on records in
    # memory, which makes no reference cycles (see humanaid._gc).
    _errors_by_subject(dataset)
    with _gc.paused():
        early = payments_before_case(dataset)
        conv = _converter(dataset, currency, rates, rate_policy)
        flows, period_gifts = _period_parts(dataset.ledger(), when, early, currency)
        totals, refunded = _counted_totals(flows, boundary, when, early, conv, period_gifts)
        gifts = _year_gifts(booked_donations(dataset), orgs, when)
        built = _projects_begun(dataset, orgs, when)
        # what a project or programme of ours counts: a project's organisation decides,
        # else the programme's, else (neither named) it is counted
        projects, programs = dataset.index("projects"), dataset.index("programs")
        our_projects = {k for k, p in projects.items() if p.organization_id in orgs}
        our_programs = {k for k, p in programs.items() if p.organization_id in orgs}
        work: Iterable[Screening | Case | Distribution] = itertools.chain(
            dataset.screenings, dataset.cases, dataset.distributions
        )
        counted = [
            r
            for r in work
            if (
                r.project_id in our_projects
                if r.project_id is not None
                else r.program_id is None or r.program_id in our_programs
            )
        ]
        reached = reach(
            counted,
            persons=dataset.index("persons"),
            households=dataset.index("households"),
            period=when,
        )
        what = f"year_at_a_glance of {organization_id!r}"
        findings = _year_findings(
            dataset, boundary, when, flows, counted, strict=strict, what=what,
            more=conv.findings, gifts=period_gifts,
        )  # fmt: skip
    return _glance(
        dataset,
        when,
        organization_id,
        organization_id if org is None else str(org.name),
        include_children,
        totals=totals,
        refunded=refunded,
        gifts=(gifts[0], gifts[1]),
        built=built,
        reached=reached,
        findings=findings,
        conv=conv,
    )


def _glance(
    dataset: Dataset,
    when: Period,
    organization_id: str,
    name: str,
    include_children: bool,
    *,
    totals: BoundaryTotals,
    refunded: Money,
    gifts: tuple[int, int],
    built: int,
    reached: Reach,
    findings: Findings,
    conv: CurrencyConverter,
) -> YearAtAGlance:
    """The :class:`YearAtAGlance` of its parts, from the records or from an engine alike."""
    return YearAtAGlance(
        organization_id=organization_id,
        name=name,
        period=when,
        currency=totals.currency,
        put_in=totals.put_in,
        brought_in=totals.brought_in,
        raised=totals.raised - refunded,
        gifts=gifts[0],
        donors=gifts[1],
        projects_built=built,
        reach=reached,
        findings=findings,
        notes=() if conv.note is None else (conv.note,),
        services=_service_sentences(dataset, when, organization_id, include_children),
        refunds=refunded,
    )


def _service_sentences(dataset: Dataset, when: Period, org: str, children: bool) -> tuple[str, ...]:
    """The services sentences (volunteers, sites ...) of the year (humanaid.services)."""
    from humanaid.services import service_sentences  # the hook stays in one place

    return service_sentences(dataset, when, organization_id=org, include_children=children)


# -- the year at a glance, in a columnar engine ---------------------------------------------------


def _early_in_engine(moved: _Moved) -> dict[str, tuple[Finding, Party, Party, date]]:
    """:func:`~humanaid.payments_before_case` of a columnar dataset, with each flow's ends and day.

    Only a flow of ``flows`` can pay a case before it was opened: a case's own payment is
    derived on a day of its history. Two small queries find the flows that pay a case
    (by their destination or their origin), one the histories of those cases.
    """
    dataset = moved.dataset
    keys = (
        "id",
        "source.kind",
        "source.id",
        "destination.kind",
        "destination.id",
        "origin.collection",
        "origin.id",
        "on",
        "amount.amount",
        "amount.currency",
    )
    rows = {
        row[0]: row
        for where in (
            field_is("destination.kind", PartyKind.CASE),
            field_is("origin.collection", "cases"),
        )
        for row in _grouped(dataset.flows, keys, where=where)
        if row[0] not in moved.flows_left_out
    }
    case_of = {fid: row[4] if row[3] is PartyKind.CASE else row[6] for fid, row in rows.items()}
    out: dict[str, tuple[Finding, Party, Party, date]] = {}
    if not case_of:
        return out
    opened: dict[str, date] = {}
    where = field_is("id", *sorted(set(case_of.values())))
    for cid, history, _ in _grouped(dataset.cases, ("id", "history"), where=where):
        opened.setdefault(cid, history[0].on)
    for fid, row in sorted(rows.items(), key=lambda item: (item[1][7], item[0])):
        _, sk, si, dk, di, _, origin_id, on, amount, cur, _ = row
        case_id = case_of[fid]
        if case_id not in opened or on >= opened[case_id]:
            continue
        money = Money(amount, cur)
        finding = Finding(
            rule="cases.payment-before-case",
            severity=Severity.ERROR,
            subject=origin_id if origin_id is not None else fid,
            message=(
                f"flow {fid!r} pays {money.format(grouping=True)} for case "
                f"{case_id!r} on {on.isoformat()}, before the case was opened on "
                f"{opened[case_id].isoformat()}"
            ),
            figures={"amount": money, "on": on, "opened_on": opened[case_id]},
        )
        out[fid] = (finding, Party(kind=sk, id=si), Party(kind=dk, id=di), on)
    return out


def _gifts_and_donors(moved: _Moved, orgs: frozenset[str], when: Period) -> tuple[int, int]:
    """The booked gifts received inside in ``when``, and their distinct known donors.

    The organisations are the query's condition, not its measures': an engine then reads
    only the rows of their files (a file's statistics rule out another organisation's).
    """
    gifts = moved.dataset.donations
    ours = field_is("organization_id", *sorted(orgs))
    inside = _in_period(when, "received_on")
    twice = moved.gifts_left_out
    without = getattr(gifts, "without", None)  # a columnar source leaves them out in its engine
    if twice and without is not None:
        gifts, twice = without("id", twice), frozenset()
    if not twice:
        measures = {"gifts": count(), "donors": distinct("donor_id")}
        ((n, donors),) = _grouped(gifts, (), measures, all_of(ours, inside))
        return n, donors
    by_donor: dict[str | None, int] = dict(
        _grouped(gifts, ("donor_id",), {"n": count(where=ours)}, inside)
    )
    keys = ("donor_id", "organization_id", "received_on")
    for donor, org, on, n in _grouped(gifts, keys, where=field_is("id", *sorted(twice))):
        if org in orgs and on in when:
            by_donor[donor] -= n
    return (
        sum(by_donor.values()),
        sum(1 for donor, n in by_donor.items() if donor is not None and n > 0),
    )


def _year_in_engine(
    dataset: Dataset,
    when: Period,
    *,
    organization_id: str,
    name: str,
    include_children: bool,
    currency: str,
    conv: CurrencyConverter,
    strict: bool,
) -> YearAtAGlance | None:
    """:func:`year_at_a_glance` of a dataset whose large collections are columnar.

    ``None`` when money in another currency crossed or moved in the boundary: it is
    converted flow by flow, on each flow's day, which the records path does.
    """
    boundary = Boundary.organization(dataset, organization_id, include_children=include_children)
    contains = boundary.contains
    orgs = _organizations_inside(boundary)
    moved = _Moved(dataset, boundary, when)
    early = _early_in_engine(moved)
    moved.all(left_out_flows=early.keys())
    for (src, dst, _, cur, _), amount in moved.sums.items():
        if amount and cur != currency and (contains(src) or contains(dst) or dst in boundary.work):
            return None
    from humanaid.funds import crossing_totals

    totals = crossing_totals(moved.items(currency), boundary, when, currency)
    refunded = Money.total(
        (
            Money(amount, currency)
            for (src, dst, kind, cur, refund), amount in moved.sums.items()
            if refund
            and kind is FlowKind.REFUND
            and cur == currency
            and contains(src)
            and not contains(dst)
        ),
        currency,
    )
    gifts, donors = _gifts_and_donors(moved, orgs, when)
    built = _projects_begun(dataset, orgs, when)
    projects, programs = dataset.index("projects"), dataset.index("programs")

    def ours(project_id: str | None, program_id: str | None) -> bool:
        if project_id is not None:
            project = projects.get(project_id)
            return project is not None and project.organization_id in orgs
        if program_id is not None:
            program = programs.get(program_id)
            return program is not None and program.organization_id in orgs
        return True

    from humanaid.reach import _reach_in_engine

    reached = _reach_in_engine(dataset, period=when, keep=ours)
    left_out = [
        finding
        for finding, src, dst, on in early.values()
        if on in when and (contains(src) or contains(dst))
    ]
    findings = _findings(
        dataset,
        lambda: _read_in_engine(moved, boundary, orgs, when, early, ours),
        strict=strict,
        what=f"year_at_a_glance of {organization_id!r}",
        more=(*left_out, *conv.findings),
    )
    return _glance(
        dataset,
        when,
        organization_id,
        name,
        include_children,
        totals=totals,
        refunded=refunded,
        gifts=(gifts, donors),
        built=built,
        reached=reached,
        findings=findings,
        conv=conv,
    )


def _read_in_engine(
    moved: _Moved,
    boundary: Boundary,
    orgs: frozenset[str],
    when: Period,
    early: Mapping[str, Any],
    ours: Callable[[str | None, str | None], bool],
) -> Iterator[str | None]:
    """The ids a year at a glance read that carry error findings, by queries on those ids.

    As ``_year_findings`` reads them from the records: the parties inside; the flows that
    crossed or moved inside in the period (and the records they stem from); the gifts
    received inside and their donors; the projects; the screenings, cases and handouts
    reached.
    """
    from humanaid.funds import derived_flow_id
    from humanaid.ledger import distribution_payer

    dataset, contains = moved.dataset, boundary.contains
    subjects = sorted(_errors_by_subject(dataset))
    if not subjects:
        return
    yield from (p.id for p in boundary.parties)

    def touches(*parties: Party) -> bool:
        return any(contains(p) for p in parties)

    # the booked flows, by their ids and by the ids of the records they stem from
    keys: tuple[str, ...] = (
        "id",
        "origin.id",
        "source.kind",
        "source.id",
        "destination.kind",
        "destination.id",
    )
    for field in ("id", "origin.id"):
        rows = _grouped(dataset.flows, (*keys, "on"), where=field_is(field, *subjects))
        for fid, oid, sk, si, dk, di, on, _ in rows:
            if fid in moved.flows_left_out or fid in early or on not in when:
                continue
            if touches(Party(kind=sk, id=si), Party(kind=dk, id=di)):
                yield from (fid, oid)
    # the flows the records imply, by the records' ids (a derived flow's id names its record)
    named = set(subjects)
    wanted = sorted(
        {s.partition(":")[2].removesuffix(":fees").removesuffix(":paid") for s in subjects} | named
    )
    gifts = moved.gift_ends(
        [
            gid
            for gid, _ in _grouped(dataset.donations, ("id",), where=field_is("id", *wanted))
            if gid not in moved._covered_ids("donations")
        ]
    )
    keys = ("id", "fees.amount")
    for gid, fees, _ in _grouped(dataset.donations, keys, where=field_is("id", *wanted)):
        if gid not in gifts:
            continue
        source, held, on, _ = gifts[gid]
        if on not in when:
            continue
        if touches(source, held):
            yield from (derived_flow_id("donation", gid), gid)
        if fees and fees > 0 and contains(held):
            yield from (derived_flow_id("donation", gid, ":fees"), gid)
    keys = ("id", "fund_id", "project_id", "campaign_id", "program_id", "household_id", "on")
    handed = _grouped(dataset.distributions, keys, where=field_is("id", *wanted))
    for did, fund, project, campaign, program, household, on, _ in handed:
        if ("distributions", did) in moved.covered or on not in when:
            continue
        handout = _stand_in(
            fund_id=fund, project_id=project, campaign_id=campaign, program_id=program
        )
        payer = distribution_payer(dataset, cast(Distribution, handout))
        if payer is not None and touches(payer, Party.household(household)):
            yield from (derived_flow_id("distribution", did), did)
    for cid, payer, payee, day, _, _ in moved.case_payments(field_is("id", *wanted)):
        if day in when and touches(payer, payee):
            yield from (derived_flow_id("case", cid, ":paid"), cid)
    for f in moved.revolving_flows():
        if f.on in when and touches(f.source, f.destination) and f.origin is not None:
            yield from (f.id, f.origin.id)
    for refund, held, donor in moved.refund_flows():
        if refund.on in when and touches(held, donor):
            yield from (derived_flow_id("refund", refund.id), refund.id)
    # the gifts received inside, their donors, the projects, the work reached
    for field in ("id", "donor_id"):
        keys = ("id", "donor_id", "organization_id", "received_on")
        for gid, donor, org, on, _ in _grouped(
            dataset.donations, keys, where=field_is(field, *subjects)
        ):
            if org in orgs and on in when:
                yield from (gid, donor)
    for p in dataset.projects:
        if p.organization_id in orgs and p.period.start in when:
            yield p.id
    for collection in ("screenings", "distributions"):
        keys = ("id", "project_id", "program_id", "on")
        rows = _grouped(dataset.records(collection), keys, where=field_is("id", *subjects))
        for rid, project, program, on, _ in rows:
            if ours(project, program) and on in when:
                yield rid
    keys = ("id", "project_id", "program_id", "history")
    for cid, project, program, history, _ in _grouped(
        dataset.cases, keys, where=field_is("id", *subjects)
    ):
        served = _case_days(history).served_on
        if ours(project, program) and served is not None and served in when:
            yield cid
