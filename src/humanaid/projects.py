"""What is built: programmes and projects, their co-financing, spending, results and leverage.

A :class:`Program` is a lasting, named line of work (救心行动 in ten rounds, 博爱送万家
every year, 博爱家园 in four batches); a :class:`Project` is one funded piece of it: a
village project, one round, one year's drive, one station. A project has an owner
organisation, an area, a period, a batch or round number, a status and a budget, and a
co-financing plan of :class:`FundingShare` s: who is meant to pay how much
(上级奖补一点、县乡配套一点、社会资助一点).

What actually happened is read off the ledger (:mod:`humanaid.funds`), never stored:

* money **received** by a project is every flow *into* ``Party.project(id)``, each
  classified by where it came from (:class:`FundingSourceKind`, see
  :func:`project_finance`); money the project gives back (a ``REFUND`` flow out of it)
  is taken off what its source gave;
* money **spent** by a project is every flow *out of* ``Party.project(id)`` (to
  households, suppliers, a village seed fund ...) other than a refund; a refund the
  project receives back (a ``REFUND`` flow into it) is taken off its spending.

A payment from a fund straight to a household does not count as a project's spending,
even if its ``purpose`` names the project: route project money through the project's
party, so that received and spent are one account.

Results are :class:`IndicatorValue` s of an :class:`Indicator` (a code, a name, a unit
and how it aggregates), reported for a project or an organisation and a period, as a
target or as achieved, optionally broken down by sex or age group. They roll up across
projects, programmes, areas and periods (:func:`indicator_total`, :func:`indicator_totals`,
:func:`results`) and compare with targets (:func:`progress`).

>>> from datetime import date
>>> from humanaid import Money, Period
>>> village = Project(
...     id="qingyun", name="青云村博爱家园", kind="community_resilience",
...     organization_id="huize", period=Period.year(2019), budget=Money("450000"),
...     funding=FundingShare.split(Money("450000"), {
...         "higher_level_grant": 2, "county_township_match": 1, "social_donations": 0,
...     }),
... )
>>> [(s.source.value, s.amount.format(unit="万元")) for s in village.funding]
[('higher_level_grant', '30万元'), ('county_township_match', '15万元')]
>>> leverage(village.funding, own=("higher_level_grant",))
Decimal('0.5')
"""

from __future__ import annotations

import decimal
import enum
import functools
from collections import defaultdict
from collections.abc import Callable, Container, Hashable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final, Literal, TypeVar

import attrs

from humanaid._decimal import EXACT as _EXACT
from humanaid._decimal import RATIO as _RATIO
from humanaid._decimal import percent, ratio, to_decimal
from humanaid._text import display_width, pad
from humanaid.beneficiaries import Sex
from humanaid.errors import FieldValueError, UnknownId
from humanaid.findings import Finding, Findings, Severity
from humanaid.funds import Boundary, Crossing, Flow, FlowKind, FundKind, Ledger, Party, PartyKind
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.organizations import OrgKind, ancestors, enclosing_area
from humanaid.periods import Granularity, Period
from humanaid.rates import CurrencyConverter
from humanaid.records import (
    decimal_in,
    enum_field,
    free_text_field,
    id_field,
    instance_of,
    money_field,
    positive,
    ref_field,
    text_field,
    tuple_field,
    whole,
)
from humanaid.source import RecordSource

__all__ = [
    "INDICATOR_CATALOGUE",
    "Disaggregation",
    "FundingShare",
    "FundingSourceKind",
    "Indicator",
    "IndicatorAggregation",
    "IndicatorProgress",
    "IndicatorValue",
    "Program",
    "ProgramBatch",
    "ProgramFinance",
    "Project",
    "ProjectFinance",
    "ProjectKind",
    "ProjectStatus",
    "SourceLine",
    "funding_source",
    "indicator_total",
    "indicator_totals",
    "leverage",
    "payments_before_case",
    "program_finance",
    "progress",
    "project_finance",
    "project_spending",
    "results",
]

K = TypeVar("K", bound=Hashable)

# Indicator values are added in this local, exact context (never the ambient one); ratios
# (shares, burn rates, leverage) are divided with 34 significant digits, half-even.
_MAX_VALUE: Final = Decimal(10) ** 15
_VALUE_PLACES: Final = 6


# -- kinds ------------------------------------------------------------------------------------


class ProjectKind(enum.StrEnum):
    """What kind of work a project is."""

    COMMUNITY_RESILIENCE = "community_resilience"
    """A village or community resilience project (博爱家园), often with a seed fund."""
    MEDICAL_AID = "medical_aid"
    """Medical humanitarian aid: a round of screening and operations (救心行动)."""
    RELIEF_DISTRIBUTION = "relief_distribution"
    """Goods or cash handed to hard-up households (博爱送万家)."""
    LIVELIHOOD = "livelihood"
    """Income and production support for households."""
    PAIRED_ASSISTANCE = "paired_assistance"
    """A society paired with a poor village or town, assisting it directly (挂包帮)."""
    SERVICE_STATION = "service_station"
    """Building or equipping a township, village or community service station."""
    FIRST_AID_TRAINING = "first_aid_training"
    """Certified first-aider and first-aid awareness training."""
    CROWDFUNDING_APPEAL = "crowdfunding_appeal"
    """An online fundraiser for a patient or a cause (轻松筹, 99公益日)."""
    OTHER = "other"
    """Anything else."""


class ProjectStatus(enum.StrEnum):
    """Where a project stands: planned, active, completed or cancelled."""

    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class FundingSourceKind(enum.StrEnum):
    """Who pays a share of a project: the co-financing vocabulary of the reports.

    The three of "上级奖补一点、县乡配套一点、社会资助一点" are ``HIGHER_LEVEL_GRANT``,
    ``COUNTY_TOWNSHIP_MATCH`` and ``SOCIAL_DONATIONS``; ``OWN_FUNDS`` is the owning
    society's own money; ``BENEFICIARY_CONTRIBUTION`` what villagers or households put in;
    ``OTHER`` is received money that fits none of these (so that received money by
    source always adds up to the total received).
    """

    HIGHER_LEVEL_GRANT = "higher_level_grant"
    COUNTY_TOWNSHIP_MATCH = "county_township_match"
    SOCIAL_DONATIONS = "social_donations"
    OWN_FUNDS = "own_funds"
    BENEFICIARY_CONTRIBUTION = "beneficiary_contribution"
    OTHER = "other"

    @property
    def label(self) -> str:
        """A short English label with the source term, for printed tables.

        >>> FundingSourceKind.COUNTY_TOWNSHIP_MATCH.label
        'county/township match (县乡配套)'
        """
        return _LABELS[self]


_SOURCE_ORDER: Final = tuple(FundingSourceKind)

_LABELS: Final = {
    FundingSourceKind.HIGHER_LEVEL_GRANT: "higher-level grant (上级奖补)",
    FundingSourceKind.COUNTY_TOWNSHIP_MATCH: "county/township match (县乡配套)",
    FundingSourceKind.SOCIAL_DONATIONS: "social donations (社会资助)",
    FundingSourceKind.OWN_FUNDS: "own funds (自有资金)",
    FundingSourceKind.BENEFICIARY_CONTRIBUTION: "beneficiary contribution (群众自筹)",
    FundingSourceKind.OTHER: "other",
}


class IndicatorAggregation(enum.StrEnum):
    """How values of an indicator combine across periods and subjects.

    ``SUM`` adds every value (people trained in each quarter). ``LAST`` takes, for each
    project or organisation, the value of its latest period, and adds those across
    projects (a running total to date, such as households reached so far). ``MAX``
    takes the largest value reported.
    """

    SUM = "sum"
    LAST = "last"
    MAX = "max"


# -- field helpers ----------------------------------------------------------------------------


def _optional(cls: type) -> Any:
    return attrs.validators.optional(instance_of(cls))


def _to_number(value: object) -> object:
    """Accept an int for a decimal figure, and write a Decimal without an exponent."""
    value = to_decimal(value)
    if isinstance(value, Decimal) and value.is_finite():
        if value.is_zero():
            return value.copy_abs()  # -0 is written 0
        exponent = value.as_tuple().exponent
        # A figure of 10**15 or more is left for the validator to refuse by name.
        if isinstance(exponent, int) and exponent > 0 and value.adjusted() < 15:
            return value.quantize(Decimal(1), context=_EXACT)
    return value


_figure: Final = decimal_in(below=_MAX_VALUE, places=_VALUE_PLACES)


# -- co-financing -----------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FundingShare:
    """One line of a project's co-financing plan: who is meant to pay how much.

    Attributes:
        source: the kind of source (higher-level grant, county/township match ...).
        amount: the planned amount (positive).
        funder: the party expected to pay it, if known (``Party.organization("yn")``).
            Money the project receives from this party is counted under ``source``.

    >>> FundingShare(source="social_donations", amount=Money("100000"),
    ...              funder=Party.donor("acme"))
    FundingShare(source=<FundingSourceKind.SOCIAL_DONATIONS: 'social_donations'>, ...)
    >>> FundingShare(source="own_funds", amount=Money("0"))
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'amount' must be positive (got 0.00 CNY)
    """

    source: FundingSourceKind = enum_field(FundingSourceKind)
    amount: Money = money_field(validator=positive)
    funder: Party | None = attrs.field(default=None, validator=_optional(Party))

    @classmethod
    def split(
        cls,
        total: Money,
        ratios: Mapping[FundingSourceKind, int | Decimal] | Mapping[str, int | Decimal],
    ) -> tuple[FundingShare, ...]:
        """Shares of ``total`` in the proportions ``ratios``, adding up to it exactly.

        Uses :meth:`Money.allocate <humanaid.Money.allocate>`; a source whose part comes
        to zero is left out.

        >>> [s.amount for s in FundingShare.split(Money("100.00"), {"own_funds": 1,
        ...                                                          "social_donations": 2})]
        [Money('33.33', 'CNY'), Money('66.67', 'CNY')]
        """
        if not isinstance(total, Money):
            raise TypeError(f"'total' must be Money (got {total!r})")
        kinds = [FundingSourceKind(k) for k in ratios]
        parts = total.allocate(list(ratios.values()))
        return tuple(
            cls(source=k, amount=p) for k, p in zip(kinds, parts, strict=True) if p.is_positive()
        )


def _currency_of_shares(shares: Iterable[FundingShare], currency: str, what: str) -> None:
    for i, share in enumerate(shares):
        if share.amount.currency != currency:
            raise ValueError(
                f"'{what}[{i}]' must be in {currency}, the budget's currency (got {share.amount})"
            )


@functools.lru_cache(maxsize=4096)
def _project_party(project_id: str) -> Party:
    """``Party.project(project_id)``, made once an id (a Party is immutable; read often)."""
    return Party.project(project_id)


def _by_source(
    pairs: Iterable[tuple[FundingSourceKind, Money]], currency: str
) -> dict[FundingSourceKind, Money]:
    # the amounts added as Decimals, each kind's sum made money once (as Money's ``+``
    # adds them: exactly, in the same currency)
    out: dict[FundingSourceKind, Decimal] = {}
    add = _EXACT.add
    for kind, amount in pairs:
        if amount.currency != currency:
            Money.zero(currency) + amount  # raises the error of adding another currency
        held = out.get(kind)
        out[kind] = amount.amount if held is None else add(held, amount.amount)
    return {k: Money.trusted(out[k], currency) for k in _SOURCE_ORDER if k in out}


# -- programmes and projects -----------------------------------------------------------------


@attrs.frozen(kw_only=True)
class ProgramBatch:
    """What a programme states about one of its batches or rounds.

    Attributes:
        number: the batch or round number, from 1.
        projects: how many projects the batch has, as stated.
        budget: the batch's total investment, as stated.

    The rule ``projects.stated-total-mismatch`` compares these with the projects recorded.
    """

    number: int = attrs.field(validator=whole(low=1))
    projects: int | None = attrs.field(default=None, validator=whole(low=1, optional=True))
    budget: Money | None = money_field(validator=attrs.validators.optional(positive), default=None)


@attrs.frozen(kw_only=True)
class Program:
    """A lasting, named line of work: a brand run for years, in batches, rounds or years.

    Attributes:
        id: the programme's id.
        name: its name, such as "博爱家园".
        organization_id: the organisation that runs it.
        kind: the usual kind of its projects, if they share one.
        stated_budget: the total investment the programme states (全市四批总投资690万元).
        stated_projects: the number of projects it states (16个项目).
        stated_batches: the number of batches or rounds it states (四批, 十轮).
        batches: what it states about each batch, if known.

    The stated figures are claims, checked against the projects recorded by the rule
    ``projects.stated-total-mismatch``; cancelled projects do not count.

    >>> boai = Program(id="boai-jiayuan", name="博爱家园", organization_id="qujing",
    ...                kind="community_resilience", stated_budget=Money.parse("690万元"),
    ...                stated_projects=16, stated_batches=4,
    ...                batches=(ProgramBatch(number=2, projects=4),))
    >>> boai.batch(2).projects, boai.batch(3)
    (4, None)
    >>> Program(id="p", name="p", organization_id="o",
    ...         batches=(ProgramBatch(number=1), ProgramBatch(number=1)))
    Traceback (most recent call last):
    ...
    ValueError: 'batches[1]' repeats batch number 1
    """

    id: str = id_field()
    name: str = text_field(kind="name")
    organization_id: str = ref_field("organizations")
    kind: ProjectKind | None = enum_field(ProjectKind, optional=True)
    stated_budget: Money | None = money_field(
        validator=attrs.validators.optional(positive), default=None
    )
    stated_projects: int | None = attrs.field(default=None, validator=whole(low=1, optional=True))
    stated_batches: int | None = attrs.field(default=None, validator=whole(low=1, optional=True))
    batches: tuple[ProgramBatch, ...] = tuple_field(ProgramBatch)

    def __attrs_post_init__(self) -> None:
        seen: set[int] = set()
        for i, batch in enumerate(self.batches):
            if batch.number in seen:
                raise ValueError(f"'batches[{i}]' repeats batch number {batch.number}")
            seen.add(batch.number)

    def batch(self, number: int) -> ProgramBatch | None:
        """What the programme states about batch ``number``, or ``None``."""
        return next((b for b in self.batches if b.number == number), None)


@attrs.frozen(kw_only=True)
class Project:
    """One funded piece of a programme: a village project, one round, one station.

    Attributes:
        id: the project's id; its money moves as flows to and from ``Party.project(id)``.
        name: its name, such as "青云村博爱家园".
        kind: what kind of work it is.
        organization_id: the owning organisation (the society that runs it).
        period: when it runs, both ends included.
        budget: the approved budget (positive).
        status: planned, active, completed or cancelled.
        program_id: the programme it belongs to, if any.
        batch: the batch or round number within the programme, from 1.
        area_id: the administrative area it serves (a village, a town).
        funding: the co-financing plan, in the budget's currency. The shares should add
            up to the budget; the rule ``projects.funding-mismatch`` reports it when they
            do not (a plan may be recorded before it is complete).

    >>> p = Project(id="p1", name="x", kind="service_station", organization_id="o",
    ...             period=Period.year(2022), budget=Money("90000"),
    ...             funding=(FundingShare(source="higher_level_grant", amount=Money("30000")),
    ...                      FundingShare(source="county_township_match", amount=Money("30000"))))
    >>> p.planned, p.unplanned
    (Money('60000.00', 'CNY'), Money('30000.00', 'CNY'))
    >>> Project(id="p1", name="x", kind="other", organization_id="o", period=Period.year(2022),
    ...         budget=Money("100"),
    ...         funding=(FundingShare(source="own_funds", amount=Money("100", "USD")),))
    Traceback (most recent call last):
    ...
    ValueError: 'funding[0]' must be in CNY, the budget's currency (got 100.00 USD)
    """

    id: str = id_field()
    name: str = text_field(kind="name")
    kind: ProjectKind = enum_field(ProjectKind)
    organization_id: str = ref_field("organizations")
    period: Period = attrs.field(validator=instance_of(Period))
    budget: Money = money_field(validator=positive)
    status: ProjectStatus = enum_field(ProjectStatus, default=ProjectStatus.PLANNED)
    program_id: str | None = ref_field("programs", optional=True)
    batch: int | None = attrs.field(default=None, validator=whole(low=1, optional=True))
    area_id: str | None = ref_field("admin_areas", optional=True)
    funding: tuple[FundingShare, ...] = tuple_field(FundingShare)

    def __attrs_post_init__(self) -> None:
        _currency_of_shares(self.funding, self.budget.currency, "funding")

    @property
    def party(self) -> Party:
        """The party the project's money flows to and from."""
        return _project_party(self.id)

    @property
    def currency(self) -> str:
        """The budget's currency; every figure of the project is in it."""
        return self.budget.currency

    @property
    def planned(self) -> Money:
        """The sum of the funding shares."""
        return Money.total((s.amount for s in self.funding), self.currency)

    @property
    def unplanned(self) -> Money:
        """The budget less the funding shares (negative when the plan exceeds the budget)."""
        return self.budget - self.planned

    def planned_by_source(self) -> dict[FundingSourceKind, Money]:
        """The plan's amounts by source kind (kinds with no share are left out)."""
        return _by_source(((s.source, s.amount) for s in self.funding), self.currency)


# -- results ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Indicator:
    """What a result is counted in: a code, a name, a unit and how it aggregates.

    Attributes:
        id: the indicator's code, such as ``"first-aiders-certified"``; values name it.
        name: a name for people.
        unit: what one counts, such as "persons" or "person-times" (人次).
        aggregation: how values combine (sum, last value, maximum).
        description: what exactly is counted, and the source term.

    :data:`INDICATOR_CATALOGUE` holds the common ones; put them, and your own, in the
    dataset's ``indicators``.
    """

    id: str = id_field()
    name: str = text_field(kind="name")
    unit: str = text_field(kind="label")
    aggregation: IndicatorAggregation = enum_field(
        IndicatorAggregation, default=IndicatorAggregation.SUM
    )
    description: str = free_text_field(kind="description")


INDICATOR_CATALOGUE: Final[tuple[Indicator, ...]] = (
    Indicator(
        id="persons-screened",
        name="persons screened",
        unit="person-times",
        description="examinations in a screening programme; the same person twice counts "
        "twice (筛查人次)",
    ),
    Indicator(
        id="operations-funded",
        name="operations funded",
        unit="operations",
        description="surgical operations paid for, such as congenital heart disease or "
        "cataract surgery (手术救助例)",
    ),
    Indicator(
        id="first-aiders-certified",
        name="first aiders certified",
        unit="persons",
        description="people who passed certified first-aider training (救护员培训)",
    ),
    Indicator(
        id="people-trained",
        name="people trained in first-aid awareness",
        unit="person-times",
        description="attendances of general first-aid and self-rescue awareness training "
        "(普及培训)",
    ),
    Indicator(
        id="donors-registered",
        name="donors registered",
        unit="persons",
        description="new registrations as blood, stem-cell or organ and body donor (三献)",
    ),
    Indicator(
        id="stations-built",
        name="service stations built",
        unit="stations",
        description="township, village or community service stations built or equipped (服务阵地)",
    ),
    Indicator(
        id="households-reached",
        name="households reached",
        unit="households",
        aggregation=IndicatorAggregation.LAST,
        description="distinct households reached so far, reported as a running total; the "
        "latest report of each project counts (受益户)",
    ),
)
"""Common indicators of the seed reports, ready to put in a dataset's ``indicators``.

It is an immutable tuple: extend it by making a new one,
``(*INDICATOR_CATALOGUE, Indicator(id="loans-made", ...))``.
"""


@attrs.frozen(kw_only=True)
class Disaggregation:
    """The group a value counts: a sex, an age group, or both.

    Attributes:
        sex: female or male.
        age_group: a label such as ``"0-17"`` or ``"60+"``.

    The values of one breakdown (all by sex, say) add up to the total of their project
    and period: see :func:`indicator_total` for how they roll up without double counting.

    >>> Disaggregation(sex="female").dimensions
    ('sex',)
    >>> Disaggregation()
    Traceback (most recent call last):
    ...
    ValueError: a disaggregation names a 'sex', an 'age_group' or both
    """

    sex: Sex | None = enum_field(Sex, optional=True)
    age_group: str | None = text_field(optional=True, max_length=64)

    def __attrs_post_init__(self) -> None:
        if self.sex is None and self.age_group is None:
            raise ValueError("a disaggregation names a 'sex', an 'age_group' or both")

    @property
    def dimensions(self) -> tuple[str, ...]:
        """The dimensions it breaks down by: ``("sex",)``, ``("age_group",)`` or both."""
        dims = []
        if self.sex is not None:
            dims.append("sex")
        if self.age_group is not None:
            dims.append("age_group")
        return tuple(dims)


@attrs.frozen(kw_only=True)
class IndicatorValue:
    """One reported figure of an indicator: for a project or organisation and a period.

    Attributes:
        id: the record id.
        indicator_id: the indicator (its code).
        period: the period the figure covers (for a ``LAST`` indicator, the figure as of
            its end).
        value: the figure: an int or an exact Decimal, at least 0, at most 6 places.
        project_id: the project it is reported for, or
        organization_id: the organisation it is reported for (exactly one of the two).
        target: ``True`` for a planned figure (the target), ``False`` for one achieved.
        disaggregation: the group it counts, if it is part of a breakdown.

    >>> v = IndicatorValue(id="v1", indicator_id="first-aiders-certified", project_id="p1",
    ...                    period=Period.year(2020), value=120)
    >>> v.value, v.subject
    (Decimal('120'), Party(kind=<PartyKind.PROJECT: 'project'>, id='p1'))
    >>> IndicatorValue(id="v1", indicator_id="x", period=Period.year(2020), value=1)
    Traceback (most recent call last):
    ...
    ValueError: exactly one of 'project_id' and 'organization_id' must be given (got neither)
    >>> IndicatorValue(id="v1", indicator_id="x", project_id="p", period=Period.year(2020),
    ...                value=-3)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'value' must be at least 0 ... (got Decimal('-3'))
    """

    id: str = id_field()
    indicator_id: str = ref_field("indicators")
    period: Period = attrs.field(validator=instance_of(Period))
    value: Decimal = attrs.field(converter=_to_number, validator=_figure)
    project_id: str | None = ref_field("projects", optional=True)
    organization_id: str | None = ref_field("organizations", optional=True)
    target: bool = attrs.field(default=False, validator=instance_of(bool))
    disaggregation: Disaggregation | None = attrs.field(
        default=None, validator=_optional(Disaggregation)
    )

    def __attrs_post_init__(self) -> None:
        if (self.project_id is None) == (self.organization_id is None):
            got = "neither" if self.project_id is None else "both"
            raise ValueError(
                f"exactly one of 'project_id' and 'organization_id' must be given (got {got})"
            )

    @property
    def subject(self) -> Party:
        """Who the figure is for: ``Party.project(...)`` or ``Party.organization(...)``."""
        if self.project_id is not None:
            return Party.project(self.project_id)
        return Party.organization(self.organization_id or "")


# -- rolling results up -----------------------------------------------------------------------

# The breakdown used when no total is reported beside it: the finest first.
_BREAKDOWN_ORDER: Final = (("sex", "age_group"), ("sex",), ("age_group",))


class _Cell:
    """The values of one indicator for one subject and one period."""

    __slots__ = ("parts", "total")

    def __init__(self) -> None:
        self.total: Decimal | None = None
        self.parts: dict[tuple[str, ...], Decimal] = {}

    def add(self, value: IndicatorValue) -> None:
        if value.disaggregation is None:
            self.total = value.value if self.total is None else _EXACT.add(self.total, value.value)
        else:
            dims = value.disaggregation.dimensions
            self.parts[dims] = _EXACT.add(self.parts.get(dims, Decimal(0)), value.value)

    def value(self) -> Decimal:
        if self.total is not None:
            return self.total
        for dims in _BREAKDOWN_ORDER:
            if dims in self.parts:
                return self.parts[dims]
        return Decimal(0)  # pragma: no cover - a cell always holds a value


# A cell: (project id, organisation id, period end, period start). Plain tuples hash fast.
_CellKey = tuple[str | None, str | None, date, date]


def _add_cell(cells: dict[_CellKey, _Cell], value: IndicatorValue) -> None:
    period = value.period
    key = (value.project_id, value.organization_id, period.end, period.start)
    cell = cells.get(key)
    if cell is None:
        cell = cells[key] = _Cell()
    cell.add(value)


def _aggregate(
    aggregation: IndicatorAggregation, cells: Mapping[_CellKey, _Cell]
) -> Decimal | None:
    if not cells:
        return None
    if aggregation is IndicatorAggregation.MAX:
        return max(cell.value() for cell in cells.values())
    if aggregation is IndicatorAggregation.SUM:
        total = Decimal(0)
        for cell in cells.values():
            total = _EXACT.add(total, cell.value())
        return total
    latest: dict[tuple[str | None, str | None], tuple[date, date, Decimal]] = {}
    for (project_id, organization_id, end, start), cell in cells.items():
        subject = (project_id, organization_id)
        seen = latest.get(subject)
        if seen is None or (end, start) > (seen[0], seen[1]):
            latest[subject] = (end, start, cell.value())
    total = Decimal(0)
    for _, _, v in latest.values():
        total = _EXACT.add(total, v)
    return total


def _wanted(value: IndicatorValue, target: bool, as_of: date | None) -> bool:
    return value.target is target and (as_of is None or value.period.end <= as_of)


def indicator_total(
    indicator: Indicator,
    values: Iterable[IndicatorValue],
    *,
    target: bool = False,
    as_of: date | None = None,
) -> Decimal | None:
    """The total of ``indicator`` over ``values``, as its aggregation says; ``None`` if none.

    Only values of this indicator count, achieved ones by default (``target=True`` rolls
    up the targets instead), and with ``as_of`` only those whose period ends by then.

    Values are first gathered per *cell*: one subject (project or organisation) and one
    period. A cell's figure is its undisaggregated total when one is reported; a
    breakdown reported beside it (by sex, by age group) only details it and is not added
    again. A cell with breakdowns alone takes the sum of one breakdown (the sex-by-age
    one, else by sex, else by age group), since each complete breakdown adds up to the
    same total. Then the cells combine: ``SUM`` adds them, ``LAST`` adds each subject's
    latest cell (by period end), ``MAX`` takes the largest.

    So the roll-up over all projects equals the roll-ups over any partition of them,
    combined the same way (added; the largest for ``MAX``).

    >>> from humanaid import Period
    >>> trained = Indicator(id="trained", name="trained", unit="persons")
    >>> year = Period.year(2020)
    >>> vals = [
    ...     IndicatorValue(id="t", indicator_id="trained", project_id="p", period=year,
    ...                    value=100),
    ...     IndicatorValue(id="f", indicator_id="trained", project_id="p", period=year,
    ...                    value=60, disaggregation=Disaggregation(sex="female")),
    ...     IndicatorValue(id="m", indicator_id="trained", project_id="p", period=year,
    ...                    value=40, disaggregation=Disaggregation(sex="male")),
    ...     IndicatorValue(id="q", indicator_id="trained", project_id="q", period=year,
    ...                    value=25, disaggregation=Disaggregation(age_group="60+")),
    ... ]
    >>> indicator_total(trained, vals)
    Decimal('125')
    """
    cells: dict[_CellKey, _Cell] = {}
    for value in values:
        if value.indicator_id == indicator.id and _wanted(value, target, as_of):
            _add_cell(cells, value)
    return _aggregate(indicator.aggregation, cells)


def _indicator_index(
    indicators: Iterable[Indicator] | Mapping[str, Indicator],
) -> Mapping[str, Indicator]:
    if isinstance(indicators, Mapping):
        return indicators
    index: dict[str, Indicator] = {}
    for indicator in indicators:
        index.setdefault(indicator.id, indicator)
    return index


def indicator_totals(
    indicators: Iterable[Indicator] | Mapping[str, Indicator],
    values: Iterable[IndicatorValue],
    key: Callable[[IndicatorValue], K | None],
    *,
    target: bool = False,
    as_of: date | None = None,
) -> dict[K, dict[str, Decimal]]:
    """Roll every indicator up per group: ``{group: {indicator id: total}}``.

    ``key`` gives each value its group (``None`` leaves the value out). Values of
    indicators not in ``indicators`` are left out. One pass over ``values``; memory
    grows with the number of groups, subjects and periods, not with the values.

    >>> from humanaid import Period
    >>> certified = INDICATOR_CATALOGUE[2]
    >>> vals = [IndicatorValue(id=str(i), indicator_id=certified.id, project_id=p,
    ...                        period=Period.quarter(2020, q), value=10 * i)
    ...         for i, (p, q) in enumerate([("a", 1), ("a", 2), ("b", 1)], start=1)]
    >>> by_quarter = indicator_totals(INDICATOR_CATALOGUE, vals, key=lambda v: str(v.period))
    >>> {q: totals[certified.id] for q, totals in by_quarter.items()}
    {'2020-Q1': Decimal('40'), '2020-Q2': Decimal('20')}
    """
    index = _indicator_index(indicators)
    groups: dict[K, dict[str, dict[_CellKey, _Cell]]] = {}
    for value in values:
        if value.indicator_id not in index or not _wanted(value, target, as_of):
            continue
        group = key(value)
        if group is None:
            continue
        by_indicator = groups.setdefault(group, {})
        _add_cell(by_indicator.setdefault(value.indicator_id, {}), value)
    out: dict[K, dict[str, Decimal]] = {}
    for group, by_indicator in groups.items():
        totals: dict[str, Decimal] = {}
        for indicator_id in index:
            if indicator_id in by_indicator:
                total = _aggregate(index[indicator_id].aggregation, by_indicator[indicator_id])
                if total is not None:
                    totals[indicator_id] = total
        out[group] = totals
    return out


ResultsBy = Literal["all", "project", "organization", "program", "area", "period"]


def _results_key(
    dataset: RecordSource,
    by: ResultsBy | Callable[[IndicatorValue], str | None],
    level: str | None,
    granularity: Granularity | str,
) -> Callable[[IndicatorValue], str | None]:
    if callable(by):
        return by
    projects = dataset.index("projects", missing_ok=True)
    orgs = dataset.index("organizations", missing_ok=True)
    areas = dataset.index("admin_areas", missing_ok=True)

    def project_of(v: IndicatorValue) -> Any:
        return projects.get(v.project_id) if v.project_id is not None else None

    def area_of(v: IndicatorValue) -> str | None:
        if v.project_id is not None:
            project = project_of(v)
            area = project.area_id if project is not None else None
        else:
            org = orgs.get(v.organization_id or "")
            area = org.area_id if org is not None else None
        if area is None or level is None:
            return area
        found = enclosing_area(area, level, areas)
        return found.id if found is not None else None

    def organization_of(v: IndicatorValue) -> str | None:
        if v.organization_id is not None:
            return v.organization_id
        project = project_of(v)
        return project.organization_id if project is not None else None

    def program_of(v: IndicatorValue) -> str | None:
        project = project_of(v)
        return project.program_id if project is not None else None

    calendar: dict[date, str] = {}

    def period_of(v: IndicatorValue) -> str:
        end = v.period.end
        found = calendar.get(end)
        if found is None:
            found = calendar[end] = str(Period.containing(end, granularity))
        return found

    keys: dict[str, Callable[[IndicatorValue], str | None]] = {
        "all": lambda v: "all",
        "project": lambda v: v.project_id,
        "organization": organization_of,
        "program": program_of,
        "area": area_of,
        "period": period_of,
    }
    if by not in keys:
        raise FieldValueError("by", f"must be one of {', '.join(map(repr, keys))} or a function")
    return keys[by]


def results(
    dataset: RecordSource,
    *,
    by: ResultsBy | Callable[[IndicatorValue], str | None] = "project",
    level: str | None = None,
    granularity: Granularity | str = Granularity.YEAR,
    target: bool = False,
    as_of: date | None = None,
) -> dict[str, dict[str, Decimal]]:
    """The dataset's results rolled up per group: ``{group: {indicator id: total}}``.

    Args:
        dataset: a :class:`~humanaid.Dataset` with indicators and indicator values.
        by: how to group: ``"all"``, ``"project"`` (organisation values are left out),
            ``"organization"`` (a project's value counts for its owner), ``"program"``,
            ``"area"`` (the project's area, or the organisation's), ``"period"`` (the
            calendar unit of ``granularity`` that holds the end of each value's period),
            or a function of a value.
        level: with ``by="area"``, roll areas up to this :class:`~humanaid.AdminLevel`
            (``"county"``); values in no area at that level are left out.
        granularity: with ``by="period"``: year, quarter or month.
        target: roll up targets instead of achieved values.
        as_of: only values whose period ends by this day.

    Each indicator aggregates as it says (see :func:`indicator_total`).
    """
    key = _results_key(dataset, by, level, granularity)
    return indicator_totals(
        dataset.index("indicators", missing_ok=True),
        dataset.records("indicator_values", missing_ok=True),
        key,
        target=target,
        as_of=as_of,
    )


@attrs.frozen(kw_only=True)
class IndicatorProgress:
    """An indicator's target and what was achieved, for a project or programme.

    Attributes:
        indicator: the indicator.
        target: the rolled-up target, or ``None`` when none was set.
        actual: the rolled-up achievement, or ``None`` when nothing was reported.
    """

    indicator: Indicator
    target: Decimal | None
    actual: Decimal | None

    @property
    def share(self) -> Decimal | None:
        """Actual over target (0 when nothing is reported); ``None`` without a target."""
        return ratio(self.actual or Decimal(0), self.target)

    def __str__(self) -> str:
        target = "-" if self.target is None else f"{self.target:f}"
        actual = "-" if self.actual is None else f"{self.actual:f}"
        share = self.share
        pct = "" if share is None else f" ({percent(share, 1)})"
        return f"{self.indicator.name}: {actual} of {target} {self.indicator.unit}{pct}"


def _round(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=decimal.ROUND_HALF_UP, context=_RATIO)


def progress(
    dataset: RecordSource,
    *,
    project_id: str | None = None,
    program_id: str | None = None,
    as_of: date | None = None,
) -> tuple[IndicatorProgress, ...]:
    """Target versus actual for each indicator of a project or a programme.

    Give ``project_id`` or ``program_id`` (or neither, for the whole dataset). Every
    indicator with a target or an achieved value is listed, in the order of the
    dataset's ``indicators``.

    >>> from humanaid import INDICATOR_CATALOGUE, Dataset, IndicatorValue, Money, Period
    >>> year = Period.year(2020)
    >>> training = Project(id="p", name="first aid", kind="other", organization_id="o",
    ...                    period=year, budget=Money("10000"))
    >>> ds = Dataset(projects=[training], indicators=INDICATOR_CATALOGUE, indicator_values=[
    ...     IndicatorValue(id="t", indicator_id="first-aiders-certified", project_id="p",
    ...                    period=year, value=200, target=True),
    ...     IndicatorValue(id="a", indicator_id="first-aiders-certified", project_id="p",
    ...                    period=year, value=150)])
    >>> [str(p) for p in progress(ds, project_id="p")]
    ['first aiders certified: 150 of 200 persons (75.0%)']
    >>> progress(ds, project_id="q")
    Traceback (most recent call last):
    ...
    humanaid.errors.UnknownId: project_id 'q' is not among the dataset's projects (none is \
close; known: p)

    Raises:
        UnknownId: if ``project_id`` or ``program_id`` is neither a record of the dataset
            nor named by one (an indicator value, a project).
        ValueError: if both are given.
    """
    if project_id is not None and program_id is not None:
        raise ValueError("give 'project_id' or 'program_id', not both")
    projects = dataset.index("projects", missing_ok=True)
    values = dataset.records("indicator_values", missing_ok=True)
    if project_id is not None:
        named = (v.project_id for v in values)
        UnknownId.lookup(dataset, "projects", project_id, argument="project_id", named=named)
    if program_id is not None:
        named = (p.program_id for p in projects.values())
        UnknownId.lookup(dataset, "programs", program_id, argument="program_id", named=named)

    def key(v: IndicatorValue) -> str | None:
        if project_id is not None:
            return "x" if v.project_id == project_id else None
        if program_id is not None:
            project = projects.get(v.project_id) if v.project_id is not None else None
            return "x" if project is not None and project.program_id == program_id else None
        return "x"

    indicators = dataset.index("indicators", missing_ok=True)
    targets = indicator_totals(indicators, values, key, target=True, as_of=as_of).get("x", {})
    actuals = indicator_totals(indicators, values, key, as_of=as_of).get("x", {})
    return tuple(
        IndicatorProgress(indicator=ind, target=targets.get(code), actual=actuals.get(code))
        for code, ind in indicators.items()
        if code in targets or code in actuals
    )


# -- money received and spent -----------------------------------------------------------------


class _Funders:
    """Who is who in a dataset, for classifying money received (built once per dataset)."""

    def __init__(self, dataset: RecordSource) -> None:
        self.orgs: Mapping[str, Any] = dataset.index("organizations", missing_ok=True)
        self.funds: Mapping[str, Any] = dataset.index("funds", missing_ok=True)
        children: dict[str, list[str]] = defaultdict(list)
        for org in self.orgs.values():
            if org.parent_id is not None:
                children[org.parent_id].append(org.id)
        self.children = dict(children)
        self._own: dict[str, frozenset[str]] = {}
        self._above: dict[str, frozenset[str]] = {}

    def own(self, owner: str) -> frozenset[str]:
        """The owner and every unit below it."""
        found = self._own.get(owner)
        if found is None:
            seen = {owner}
            stack = [owner]
            while stack:
                for child in self.children.get(stack.pop(), ()):
                    if child not in seen:
                        seen.add(child)
                        stack.append(child)
            found = self._own[owner] = frozenset(seen)
        return found

    def above(self, owner: str) -> frozenset[str]:
        """The organisations above the owner (its parent, grandparent ...)."""
        found = self._above.get(owner)
        if found is None:
            found = self._above[owner] = frozenset(o.id for o in ancestors(owner, self.orgs))
        return found

    def classify(
        self, party: Party, kind: FlowKind, owner: str, boundary: Boundary
    ) -> FundingSourceKind:
        """The source of money of ``kind`` from ``party``, seen from the owner's ``boundary``.

        The boundary decides first, as it does for the owner's totals (:func:`classify_flow`):
        money from inside it is the owner's own, raised money is social donations, and
        money that is neither raised nor brought in (back from a project or a case,
        interest, repayments) is other. Only money brought in is told apart by who sent it.
        """
        if party.kind is PartyKind.HOUSEHOLD or party.kind is PartyKind.PERSON:
            return FundingSourceKind.BENEFICIARY_CONTRIBUTION
        fund = self.funds.get(party.id) if party.kind is PartyKind.FUND else None
        crossing = boundary.crossing_in(party, kind)
        if crossing is Crossing.INTERNAL:
            if fund is not None and fund.kind is FundKind.SPECIAL:
                return FundingSourceKind.SOCIAL_DONATIONS  # held for its sponsor
            return FundingSourceKind.OWN_FUNDS
        if crossing is Crossing.RAISED:
            return FundingSourceKind.SOCIAL_DONATIONS
        if crossing is not Crossing.BROUGHT_IN:
            return FundingSourceKind.OTHER
        if party.kind is PartyKind.ORGANIZATION:
            return self._organization(party.id, kind, owner)
        if fund is not None:
            if fund.kind is FundKind.SPECIAL:
                return FundingSourceKind.SOCIAL_DONATIONS
            return self._organization(fund.organization_id, kind, owner)
        return _by_flow_kind(kind)

    def _organization(self, org_id: str, kind: FlowKind, owner: str) -> FundingSourceKind:
        if org_id in self.own(owner):
            return FundingSourceKind.OWN_FUNDS
        if org_id in self.above(owner):
            return FundingSourceKind.HIGHER_LEVEL_GRANT
        org = self.orgs.get(org_id)
        if org is None:
            return _by_flow_kind(kind)
        owner_org = self.orgs.get(owner)
        owner_level = owner_org.level if owner_org is not None else None
        higher = (
            org.level is not None and owner_level is not None and org.level.rank < owner_level.rank
        )
        if org.kind is OrgKind.GOVERNMENT:
            return (
                FundingSourceKind.HIGHER_LEVEL_GRANT
                if higher
                else FundingSourceKind.COUNTY_TOWNSHIP_MATCH
            )
        if org.kind is OrgKind.RED_CROSS_SOCIETY:
            return FundingSourceKind.HIGHER_LEVEL_GRANT if higher else _by_flow_kind(kind)
        return FundingSourceKind.SOCIAL_DONATIONS


def _by_flow_kind(kind: FlowKind) -> FundingSourceKind:
    """Money brought in from a body the dataset does not describe: its kind is all we know."""
    if kind is FlowKind.DONATION:
        return FundingSourceKind.SOCIAL_DONATIONS
    if kind is FlowKind.GRANT:
        return FundingSourceKind.HIGHER_LEVEL_GRANT
    return FundingSourceKind.OTHER


def _funders(dataset: RecordSource) -> _Funders:
    funders: _Funders = dataset.derived("projects:funders", _Funders)
    return funders


def _owner_boundary(dataset: RecordSource, owner: str) -> Boundary:
    """The boundary of a project's owner (with its sub-units), built once per dataset."""
    boundary: Boundary = dataset.derived(
        f"projects:owner-boundary:{owner}", lambda ds: Boundary.organization(ds, owner)
    )
    return boundary


# A refund names only whom it goes back to: that party is classified as if it had given
# money (a kind that is neither a cost nor a repayment), not by the refund's own kind.
_GIVEN: Final = FlowKind.ALLOCATION


def _explicit(
    project: Project,
    sources: Mapping[Party, FundingSourceKind] | None,
) -> dict[Party, FundingSourceKind]:
    """The named funders: ``sources`` first, then the plan's shares (the first one wins)."""
    out: dict[Party, FundingSourceKind] = {}
    for party, kind in (sources or {}).items():
        if not isinstance(party, Party):
            raise TypeError(f"'sources' keys must be Party values (got {party!r})")
        out.setdefault(party, FundingSourceKind(kind))
    for share in project.funding:
        if share.funder is not None:
            out.setdefault(share.funder, share.source)
    return out


def _classify(
    flow: Flow,
    *,
    project: Project,
    ledger: Ledger,
    funders: _Funders,
    boundary: Boundary,
    explicit: Mapping[Party, FundingSourceKind],
) -> FundingSourceKind:
    """The source of money moving between the project and someone else (see funding_source)."""
    incoming = flow.destination == project.party
    chain = ledger.trace(flow.id) if flow.parent_id is not None else ()
    if not chain or chain[-1] != flow:
        chain = (flow,)
    if not incoming:
        # A refund out of the project: classify the money it gives back.
        chain = chain[:-1]
        if not chain:
            hit = explicit.get(flow.destination)
            if hit is not None:
                return hit
            return funders.classify(flow.destination, _GIVEN, project.organization_id, boundary)
    for link in reversed(chain):
        hit = explicit.get(link.source)
        if hit is not None:
            return hit
    root = chain[0]
    return funders.classify(root.source, root.kind, project.organization_id, boundary)


def funding_source(
    dataset: RecordSource,
    project: Project | str,
    flow: Flow,
    *,
    sources: Mapping[Party, FundingSourceKind] | None = None,
) -> FundingSourceKind:
    """Which source a flow into ``project`` counts under.

    In order, the first that applies:

    1. a funder named in ``sources``
       (``{Party.organization("yn"): FundingSourceKind.HIGHER_LEVEL_GRANT}``) or in the
       plan's shares
       (``FundingShare.funder``), looked up for the flow's source and then, along
       ``parent_id``, for each earlier source the money passed through;
    2. otherwise the *origin* of the money: the source of the first flow of the
       ``parent_id`` chain (the flow itself when it has no parent), counted as the
       owner's :class:`~humanaid.Boundary` (the owner with its sub-units) counts money
       from it (:meth:`Boundary.crossing_in <humanaid.Boundary.crossing_in>`, the
       classification behind the owner's raised, brought in and put in):

       * a household or person: ``BENEFICIARY_CONTRIBUTION``;
       * from inside the boundary (the owning organisation or a unit below it, or a fund
         they hold): ``OWN_FUNDS`` (a ``SPECIAL`` fund, held for a sponsor:
         ``SOCIAL_DONATIONS``);
       * money *raised* (a donor, the anonymous giver, a platform): ``SOCIAL_DONATIONS``;
       * money neither raised nor brought in (back from another project, a case or a
         loan; interest, repayments and costs, whoever pays them): ``OTHER``;
       * money *brought in*, by who sent it: an organisation above the owner (by
         ``parent_id``), or a Red Cross society or government body at a higher level:
         ``HIGHER_LEVEL_GRANT``; any other government body: ``COUNTY_TOWNSHIP_MATCH``;
         an enterprise, foundation, hospital or social group: ``SOCIAL_DONATIONS``;
         anyone else (the outside world, an unknown body, another Red Cross society at
         the same level): by the flow's kind, the only witness left: a ``DONATION`` is
         ``SOCIAL_DONATIONS``, a ``GRANT`` is ``HIGHER_LEVEL_GRANT``, the rest ``OTHER``.

       A refund out of the project is classified by whom it goes back to, as if that
       party had given the money.

    So money that passed through the owner's own fund keeps its origin only when the
    passing flow names the flow it passes on as its ``parent_id``; otherwise it is the
    society's own money put in.

    Raises:
        UnknownId: if ``project`` is an id the dataset does not know.
    """
    proj = project if isinstance(project, Project) else _project(dataset, project)
    return _classify(
        flow,
        project=proj,
        ledger=dataset.ledger(),
        funders=_funders(dataset),
        boundary=_owner_boundary(dataset, proj.organization_id),
        explicit=_explicit(proj, sources),
    )


def _project(dataset: RecordSource, project_id: str) -> Project:
    result: Project = UnknownId.lookup(dataset, "projects", project_id, argument="project_id")
    return result


def _amount(
    flow: Flow, currency: str, as_of: date | None, converter: CurrencyConverter | None
) -> Money | None:
    """The flow's amount as a project's figures count it, or ``None`` if they do not.

    Without a converter only flows in ``currency`` count; with one, a flow in another
    currency counts converted with the rate of its day (``None`` without a rate: the
    converter keeps the finding).
    """
    if as_of is not None and flow.on > as_of:
        return None
    if converter is None or flow.amount.currency == currency:
        return flow.amount if flow.amount.currency == currency else None
    subject = flow.origin.id if flow.origin is not None else flow.id
    return converter(flow.amount, flow.on, subject=subject)


def payments_before_case(dataset: RecordSource) -> Mapping[str, Finding]:
    """Flows that pay a case on a day before the case was opened, by flow id.

    A flow pays a case when the case is its destination or the record it stems from (a
    payment the ledger derives for a paid case). Such a payment cannot be right: the
    figures leave it out (:func:`project_spending`, the year at a glance) and report it,
    as the seed-fund books leave out a repayment dated before its loan. Found once per
    dataset and kept; the rule ``cases.payment-before-case`` reports the same findings.

    * ``cases.payment-before-case`` (ERROR): a flow pays a case (or stems from one) on
      a day before the case was opened.
    """

    def build(ds: RecordSource) -> dict[str, Finding]:
        cases = ds.index("cases", missing_ok=True)
        out: dict[str, Finding] = {}
        if not cases:
            return out
        ledger = ds.ledger()
        split = ledger._without_gifts()
        # a gift's flows never pay a case (they stem from the donation): a ledger holding
        # its gifts as donations is read without them, in ledger order
        for flow in ledger.flows if split is None else split[0]:
            if flow.destination.kind is PartyKind.CASE:
                case_id = flow.destination.id
            elif flow.origin is not None and flow.origin.collection == "cases":
                case_id = flow.origin.id
            else:
                continue
            case = cases.get(case_id)
            if case is None or flow.on >= case.opened_on:
                continue
            out[flow.id] = Finding(
                rule="cases.payment-before-case",
                severity=Severity.ERROR,
                subject=flow.origin.id if flow.origin is not None else flow.id,
                message=(
                    f"flow {flow.id!r} pays {flow.amount.format(grouping=True)} for case "
                    f"{case.id!r} on {flow.on.isoformat()}, before the case was opened on "
                    f"{case.opened_on.isoformat()}"
                ),
                figures={"amount": flow.amount, "on": flow.on, "opened_on": case.opened_on},
            )
        return out

    found: Mapping[str, Finding] = dataset.derived("projects:payments-before-case", build)
    return found


def project_spending(
    ledger: Ledger,
    project: Project,
    *,
    as_of: date | None = None,
    left_out: Container[str] = frozenset(),
    converter: CurrencyConverter | None = None,
) -> Money:
    """What ``project`` spent (up to ``as_of``): flows out of it, less refunds back to it.

    Every flow out of ``Party.project(id)`` counts except a ``REFUND`` (money given back
    to a funder, which lowers what was received instead); a ``REFUND`` flowing into the
    project lowers its spending. Only flows in the budget's currency count, unless a
    ``converter`` converts the others (into its own currency, the figure's), and none
    whose id is in ``left_out`` (:func:`project_finance` leaves out the payments of
    :func:`payments_before_case`).
    """
    cur = project.currency if converter is None else converter.currency
    return _spent(ledger.entries(project.party), cur, as_of, left_out, converter)


def _spent(
    entries: Iterable[tuple[Flow, int]],
    cur: str,
    as_of: date | None,
    left_out: Container[str],
    converter: CurrencyConverter | None,
) -> Money:
    """:func:`project_spending` of a project's entries (``(flow, +1 in / -1 out)``), in ``cur``."""
    spent = Money.zero(cur).amount  # added as a Decimal (exactly, as Money adds), made money once
    for flow, sign in entries:
        if flow.id in left_out:
            continue
        out = sign < 0 and flow.kind is not FlowKind.REFUND
        back = sign > 0 and flow.kind is FlowKind.REFUND
        if not (out or back):
            continue
        amount = _amount(flow, cur, as_of, converter)  # (in ``cur``: its currency, converted)
        if amount is not None:
            step = _EXACT.add if out else _EXACT.subtract
            spent = step(spent, amount.amount)
    return Money.trusted(spent, cur)


SUMMED: Final = "projects:summed-entries"
"""The key under which a project's books held apart from the ledger are derived.

Over a columnar dataset (``humanaid.crossings``) the engine sums a project's plain flows
(by ends, kind and currency) and the books hold each sum as a flow of its own, by project
party, beside a ledger of the flows read one by one; over records there are none.
"""


def _no_sums(dataset: RecordSource) -> dict[Party, list[tuple[Flow, int]]]:
    return {}


def _entries(dataset: RecordSource, party: Party) -> list[tuple[Flow, int]]:
    """The flows a project's figures read, each with +1 (in) or -1 (out).

    The ledger's entries of ``party``, then the sums the engine made of its plain flows
    (:data:`SUMMED`; none over records): one list for every figure of the project.
    """
    entries = list(dataset.ledger().entries(party))
    sums: Mapping[Party, list[tuple[Flow, int]]] = dataset.derived(SUMMED, _no_sums)
    held = sums.get(party)
    return entries + held if held else entries


def _elapsed_share(period: Period, as_of: date) -> Decimal:
    days = min(max((as_of - period.start).days + 1, 0), period.days)
    return _RATIO.divide(Decimal(days), Decimal(period.days))  # a period has a day or more


@attrs.frozen(kw_only=True)
class SourceLine:
    """One source of a project's (or programme's) money: planned and received.

    Attributes:
        source: the kind of source.
        planned: what the plan's shares of this kind add up to.
        received: what was received from it, less what was given back.
    """

    source: FundingSourceKind
    planned: Money
    received: Money

    @property
    def gap(self) -> Money:
        """Planned less received: still to come (negative: more came than planned)."""
        return self.planned - self.received


def _lines(
    planned: Mapping[FundingSourceKind, Money],
    received: Mapping[FundingSourceKind, Money],
    currency: str,
) -> tuple[SourceLine, ...]:
    zero = Money.zero(currency)
    return tuple(
        SourceLine(source=k, planned=planned.get(k, zero), received=received.get(k, zero))
        for k in _SOURCE_ORDER
        if k in planned or k in received
    )


def _own_set(own: Iterable[FundingSourceKind | str]) -> frozenset[FundingSourceKind]:
    if isinstance(own, str):
        own = (own,)
    return frozenset(FundingSourceKind(k) for k in own)


class _FinanceFigures:
    """Figures shared by project and programme finance, read off ``lines``."""

    __slots__ = ()
    currency: str
    lines: tuple[SourceLine, ...]
    budget: Money
    spent: Money

    @property
    def planned(self) -> Money:
        """What the plan's shares add up to."""
        return Money.total((line.planned for line in self.lines), self.currency)

    @property
    def received(self) -> Money:
        """All money received (less refunds given back); the sum of the lines."""
        return Money.total((line.received for line in self.lines), self.currency)

    @property
    def funding_gap(self) -> Money:
        """Budget less received: money still to raise (negative: more than the budget)."""
        return self.budget - self.received

    @property
    def unspent(self) -> Money:
        """Received less spent: what the project still holds."""
        return self.received - self.spent

    @property
    def remaining_budget(self) -> Money:
        """Budget less spent (negative when over budget)."""
        return self.budget - self.spent

    @property
    def spent_share(self) -> Decimal | None:
        """Spent over budget; ``None`` when there is no budget (a programme with no projects)."""
        return ratio(self.spent.amount, self.budget.amount)

    def planned_by_source(self) -> dict[FundingSourceKind, Money]:
        """The plan by source kind (kinds with nothing planned are left out)."""
        return {line.source: line.planned for line in self.lines if line.planned.is_positive()}

    def received_by_source(self) -> dict[FundingSourceKind, Money]:
        """Money received by source kind (kinds with no money are left out)."""
        return {line.source: line.received for line in self.lines if line.received}

    def leverage(
        self, *, own: Iterable[FundingSourceKind | str] = (FundingSourceKind.OWN_FUNDS,)
    ) -> Decimal | None:
        """Money received from others per yuan of ``own`` money; see :func:`leverage`."""
        return leverage(self.received_by_source(), own=own)

    def planned_leverage(
        self, *, own: Iterable[FundingSourceKind | str] = (FundingSourceKind.OWN_FUNDS,)
    ) -> Decimal | None:
        """The same, as planned; see :func:`leverage`."""
        return leverage(self.planned_by_source(), own=own)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per source and a total (source, planned, received, gap).

        Ready for ``humanaid.Table.from_rows(rows, keys=["source"])`` or a pandas
        ``DataFrame``; the domain module itself does not depend on the report module.
        """
        rows: list[dict[str, Any]] = [
            {
                "source": line.source.value,
                "planned": line.planned,
                "received": line.received,
                "gap": line.gap,
            }
            for line in self.lines
        ]
        rows.append(
            {
                "source": "total",
                "planned": self.planned,
                "received": self.received,
                "gap": self.planned - self.received,
            }
        )
        return rows

    def _table(self) -> list[str]:
        def wan(m: Money) -> str:
            unit = "万元" if m.currency == "CNY" else "万"
            return m.format(unit=unit, places=2)

        head = ("source", "planned", "received", "gap")
        body = [
            (line.source.label, wan(line.planned), wan(line.received), wan(line.gap))
            for line in self.lines
        ]
        body.append(
            ("total", wan(self.planned), wan(self.received), wan(self.planned - self.received))
        )
        rows = [head, *body]
        widths = [max(display_width(row[i]) for row in rows) for i in range(4)]
        out = [
            "  "
            + "  ".join(pad(cell, widths[i], right=i > 0) for i, cell in enumerate(row)).rstrip()
            for row in rows
        ]
        out.append(
            f"  budget {wan(self.budget)}, spent {wan(self.spent)} "
            f"({percent(self.spent_share, 1)} of budget), funding gap {wan(self.funding_gap)}"
        )
        return out


def _read_only(value: Mapping[str, FundingSourceKind]) -> Mapping[str, FundingSourceKind]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class ProjectFinance(_FinanceFigures):
    """A project's money, plan against the ledger, as of a day.

    Attributes:
        project_id: the project.
        currency: the budget's currency; flows in other currencies are not counted.
        as_of: the day the figures are taken at (``None``: every flow recorded).
        budget: the budget.
        lines: planned and received money by source kind, in the order of
            :class:`FundingSourceKind`.
        spent: money spent (see :func:`project_spending`).
        elapsed_share: the share of the project's period elapsed on ``as_of`` (0 before
            it starts, 1 after it ends); ``None`` without ``as_of``.
        sources: how each flow received (or refund given back) was classified, by flow id.
        findings: the project's payments left out of every figure because they cannot be
            right (a payment to a case before the case was opened:
            :func:`payments_before_case`), and, converted, the ``currency.no-rate``
            findings of money no rate converted; empty by default.

    Derived: ``planned``, ``received``, ``funding_gap`` (budget - received),
    ``unspent``, ``remaining_budget``, ``spent_share``, :attr:`burn_rate`,
    ``leverage()``, ``planned_leverage()``, ``received_by_source()``, ``rows()``.
    """

    project_id: str
    currency: str
    as_of: date | None
    budget: Money
    lines: tuple[SourceLine, ...]
    spent: Money
    elapsed_share: Decimal | None
    sources: Mapping[str, FundingSourceKind] = attrs.field(
        factory=dict, converter=_read_only, eq=False
    )
    findings: Findings = attrs.field(factory=Findings, converter=Findings, eq=False)

    @property
    def burn_rate(self) -> Decimal | None:
        """The share of the budget spent over the share of the period elapsed.

        1 means spending keeps pace with time; 2 that money goes twice as fast. ``None``
        without ``as_of`` or before the period starts.
        """
        spent_share = self.spent_share
        if self.elapsed_share is None or not self.elapsed_share or spent_share is None:
            return None
        return ratio(spent_share, self.elapsed_share)

    def __str__(self) -> str:
        when = f" as of {self.as_of.isoformat()}" if self.as_of is not None else ""
        lines = [f"project {self.project_id}{when}", *self._table()]
        if self.elapsed_share is not None:
            burn = self.burn_rate
            lines.append(
                f"  {percent(self.elapsed_share, 1)} of the period elapsed, burn rate "
                + ("-" if burn is None else f"{_round(burn, '0.01'):f}")
            )
        return "\n".join(lines)


def project_finance(
    dataset: RecordSource,
    project_id: str,
    *,
    as_of: date | None = None,
    sources: Mapping[Party, FundingSourceKind] | None = None,
    converter: CurrencyConverter | None = None,
) -> ProjectFinance:
    """A project's plan against what the ledger shows: received by source, spent, burn rate.

    Money received is every flow into ``Party.project(project_id)`` (in the budget's
    currency, up to ``as_of``), classified by :func:`funding_source`; a ``REFUND`` out of
    the project is taken off the source it gives back to. Spending is
    :func:`project_spending`, less the payments to a case made before the case was
    opened (:func:`payments_before_case`), which are in :attr:`ProjectFinance.findings`.
    The dataset's ledger is built once and kept.

    With a ``converter`` (:class:`~humanaid.CurrencyConverter`) the figures are in its
    currency: every flow in another one is converted with the rate of its day, the
    budget and the planned shares with the rate of the project's first day; money no
    rate converts is left out, and its ``currency.no-rate`` finding is in
    :attr:`ProjectFinance.findings` (and the converter's).

    Args:
        dataset: the :class:`~humanaid.Dataset`.
        project_id: the project.
        as_of: take the figures at the end of this day (and the elapsed share of the
            period on it); ``None`` counts every flow and gives no burn rate.
        sources: funders to count under a given source kind, ahead of the plan's funders
            and the default classification.
        converter: converts the figures into another currency (see above).

    Raises:
        UnknownId: if the project is not in the dataset (a :class:`KeyError`), naming
            the nearest project ids.
    """
    project = _project(dataset, project_id)
    ledger = dataset.ledger()
    funders = _funders(dataset)
    boundary = _owner_boundary(dataset, project.organization_id)
    explicit = _explicit(project, sources)
    cur = project.currency if converter is None else converter.currency
    missing = () if converter is None else converter.findings
    received: list[tuple[FundingSourceKind, Money]] = []
    classified: dict[str, FundingSourceKind] = {}
    entries = _entries(dataset, project.party)
    for flow, sign in entries:
        gives_back = sign < 0 and flow.kind is FlowKind.REFUND
        takes_in = sign > 0 and flow.kind is not FlowKind.REFUND
        if not (gives_back or takes_in):
            continue
        amount = _amount(flow, cur, as_of, converter)
        if amount is None:
            continue
        kind = _classify(
            flow,
            project=project,
            ledger=ledger,
            funders=funders,
            boundary=boundary,
            explicit=explicit,
        )
        classified[flow.id] = kind
        received.append((kind, amount if takes_in else -amount))
    early = payments_before_case(dataset)
    mine = [f for f, _ in entries if f.id in early]
    budget, planned = project.budget, project.planned_by_source()
    if converter is not None and budget.currency != cur:
        start, zero = project.period.start, Money.zero(cur)
        budget = converter(budget, start, subject=project.id) or zero
        planned = {k: converter(m, start, subject=project.id) or zero for k, m in planned.items()}
    spent = _spent(entries, cur, as_of, early, converter)
    no_rate = () if converter is None else (f for f in converter.findings if f not in missing)
    return ProjectFinance(
        project_id=project.id,
        currency=cur,
        as_of=as_of,
        budget=budget,
        lines=_lines(planned, _by_source(received, cur), cur),
        spent=spent,
        elapsed_share=None if as_of is None else _elapsed_share(project.period, as_of),
        sources=classified,
        findings=(*(early[f.id] for f in mine if as_of is None or f.on <= as_of), *no_rate),
    )


@attrs.frozen(kw_only=True)
class ProgramFinance(_FinanceFigures):
    """A programme's money: its projects' finance added up.

    Attributes:
        program_id: the programme.
        currency: the currency of the figures; projects in another currency are left out.
        projects: each project's finance.
        budget: the projects' budgets added up.
        lines: planned and received money by source kind, added over the projects.
        spent: the projects' spending added up.
        batch: the batch the figures are limited to, if any.
        as_of: the day the figures are taken at (``None``: every flow recorded).
    """

    program_id: str
    currency: str
    projects: tuple[ProjectFinance, ...]
    budget: Money
    lines: tuple[SourceLine, ...]
    spent: Money
    batch: int | None = None
    as_of: date | None = None

    def __str__(self) -> str:
        which = f", batch {self.batch}" if self.batch is not None else ""
        when = f" as of {self.as_of.isoformat()}" if self.as_of is not None else ""
        head = f"programme {self.program_id}{which}{when}: {len(self.projects)} projects"
        return "\n".join([head, *self._table()])


def program_finance(
    dataset: RecordSource,
    program_id: str,
    *,
    as_of: date | None = None,
    sources: Mapping[Party, FundingSourceKind] | None = None,
    currency: str = DEFAULT_CURRENCY,
    batch: int | None = None,
    converter: CurrencyConverter | None = None,
) -> ProgramFinance:
    """The finance of every project of a programme (or of one ``batch``), added up.

    Cancelled projects count too: money they received or spent is real. Money moved
    from one of these projects to another (and refunds between them) stays in each
    project's own figures but is counted once for the programme: it is neither
    received nor spent by the programme as a whole. See :func:`project_finance` for
    the arguments. Projects budgeted in another currency than ``currency`` are left
    out, unless a ``converter`` (into ``currency``) converts their figures.

    Raises:
        UnknownId: if the dataset has no programme ``program_id`` and no project names
            it.
    """
    projects = dataset.records("projects", missing_ok=True)
    named = (p.program_id for p in projects)
    UnknownId.lookup(dataset, "programs", program_id, argument="program_id", named=named)
    members = [
        p
        for p in projects
        if p.program_id == program_id
        and (p.currency == currency or converter is not None)
        and (batch is None or p.batch == batch)
    ]
    if converter is not None and converter.currency != currency:
        raise ValueError(
            f"'converter' must convert into {currency} (it converts into {converter.currency})"
        )
    parts = tuple(
        project_finance(dataset, p.id, as_of=as_of, sources=sources, converter=converter)
        for p in members
    )
    zero = Money.zero(currency)
    planned: dict[FundingSourceKind, Money] = {}
    received: dict[FundingSourceKind, Money] = {}
    for part in parts:
        for line in part.lines:
            planned[line.source] = planned.get(line.source, zero) + line.planned
            received[line.source] = received.get(line.source, zero) + line.received
    spent = Money.total((p.spent for p in parts), currency)
    # Money moved between two of the programme's projects: the receiving side counted it
    # as received (a refund: the giving side took it off received) and the other side as
    # spent (a refund: took it off spending). Take both back out.
    by_party = {p.party: part for p, part in zip(members, parts, strict=True)}
    internal: set[FundingSourceKind] = set()
    seen: set[str] = set()
    for project in members:
        for flow, sign in _entries(dataset, project.party):
            if sign > 0 or flow.id in seen or flow.destination not in by_party:
                continue
            moved = _amount(flow, currency, as_of, converter)
            if moved is None:
                continue
            seen.add(flow.id)
            refund = flow.kind is FlowKind.REFUND
            holder = by_party[flow.source if refund else flow.destination]
            kind = holder.sources.get(flow.id)
            if kind is None:  # pragma: no cover - every counted flow is classified
                continue
            amount = -moved if refund else moved
            received[kind] = received.get(kind, zero) - amount
            spent = spent - amount
            internal.add(kind)
    return ProgramFinance(
        program_id=program_id,
        currency=currency,
        projects=parts,
        budget=Money.total((p.budget for p in parts), currency),
        lines=tuple(
            SourceLine(source=k, planned=planned.get(k, zero), received=received[k])
            for k in _SOURCE_ORDER
            if k in received
            and not (k in internal and not planned.get(k, zero) and not received[k])
        ),
        spent=spent,
        batch=batch,
        as_of=as_of,
    )


def leverage(
    amounts: Mapping[FundingSourceKind, Money]
    | Mapping[str, Money]
    | Iterable[FundingShare]
    | ProjectFinance
    | ProgramFinance,
    *,
    own: Iterable[FundingSourceKind | str] = (FundingSourceKind.OWN_FUNDS,),
) -> Decimal | None:
    """Money brought in from others per yuan of the society's own money (撬动效应).

    ``amounts`` is money by source kind (``finance.received_by_source()``), a funding
    plan (shares), or a project's or programme's finance (its money received). *Own*
    money is the sources in ``own``: by default ``OWN_FUNDS``; pass
    ``own=("own_funds", "higher_level_grant")`` to count Red Cross money passed down from
    above as the system's own. Everything else is brought in. The ratio is an exact
    decimal (34 significant digits); ``None`` when there is no own money (none, or less
    than nothing once refunds are taken off).

    For a village seed fund's lending leverage see the revolving funds.

    >>> leverage({FundingSourceKind.OWN_FUNDS: Money("100000"),
    ...           FundingSourceKind.SOCIAL_DONATIONS: Money("250000")})
    Decimal('2.5')
    >>> leverage([FundingShare(source="social_donations", amount=Money("1"))]) is None
    True
    """
    own_kinds = _own_set(own)
    if isinstance(amounts, _FinanceFigures):
        pairs: list[tuple[FundingSourceKind, Money]] = list(amounts.received_by_source().items())
    elif isinstance(amounts, Mapping):
        pairs = [(FundingSourceKind(k), v) for k, v in amounts.items()]
    else:
        pairs = []
        for share in amounts:
            if not isinstance(share, FundingShare):
                raise TypeError(
                    "'amounts' must be money by source, funding shares or a finance record "
                    f"(got an item {share!r})"
                )
            pairs.append((share.source, share.amount))
    if not pairs:
        return None
    currency = pairs[0][1].currency
    own_money = Money.total((m for k, m in pairs if k in own_kinds), currency)
    brought_in = Money.total((m for k, m in pairs if k not in own_kinds), currency)
    if not own_money.is_positive():
        return None
    return ratio(brought_in.amount, own_money.amount)
