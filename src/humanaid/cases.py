"""How people are helped: aid cases with a checked workflow, screenings and distributions.

A :class:`Case` is one person's (or one household's) aid: a medical case, disaster relief
or hardship relief. Its history is a dated sequence of :class:`CaseEvent` values, and
only the steps in :data:`CASE_TRANSITIONS` are allowed, in date order. A case is a value:
:meth:`Case.advance` returns the next case and refuses an illegal step.

>>> from datetime import date
>>> case = Case.refer(id="c1", kind="medical", person_id="p1", on=date(2020, 3, 2),
...                   condition="congenital_heart_disease", program_id="heart")
>>> case = case.advance("screened", on=date(2020, 3, 9)).advance("assessed", on=date(2020, 3, 20))
>>> case = case.advance("approved", on=date(2020, 4, 1), approved=Money("18000"))
>>> case.status, case.is_open
(<CaseStatus.APPROVED: 'approved'>, True)
>>> case.advance("closed", on=date(2020, 5, 1))
Traceback (most recent call last):
...
ValueError: cannot go from approved to closed (allowed next: in_treatment, being_served, withdrawn)

A :class:`Screening` is one examination of one person on one day (screenings are counted
as person-times); a :class:`Distribution` is cash or goods handed to a household in a
campaign round.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Final, cast

import attrs

from humanaid.donors import InKindItem
from humanaid.errors import CurrencyMismatch, FieldValueError
from humanaid.money import Money
from humanaid.records import (
    as_date,
    as_member,
    date_field,
    enum_field,
    id_field,
    money_field,
    non_negative,
    positive,
    ref_field,
    text_field,
    tuple_field,
    whole,
)

__all__ = [
    "CASE_TRANSITIONS",
    "CLOSED_STATUSES",
    "SERVICE_STATUSES",
    "Case",
    "CaseEvent",
    "CaseKind",
    "CaseStatus",
    "Condition",
    "Distribution",
    "Screening",
    "ScreeningOutcome",
]


class CaseKind(enum.StrEnum):
    """What kind of aid a case is: medical (医疗救助), disaster relief or hardship relief."""

    MEDICAL = "medical"
    DISASTER_RELIEF = "disaster_relief"
    HARDSHIP = "hardship"


class Condition(enum.StrEnum):
    """The condition a medical case treats (personal data: health)."""

    CONGENITAL_HEART_DISEASE = "congenital_heart_disease"
    CATARACT = "cataract"
    LEUKAEMIA = "leukaemia"
    SPINAL_DEFORMITY = "spinal_deformity"
    PNEUMOCONIOSIS = "pneumoconiosis"
    CHRONIC_PAIN = "chronic_pain"
    OTHER = "other"


class CaseStatus(enum.StrEnum):
    """Where a case stands; see :data:`CASE_TRANSITIONS` for the allowed steps."""

    REFERRED = "referred"
    SCREENED = "screened"
    ASSESSED = "assessed"
    APPROVED = "approved"
    REJECTED = "rejected"
    IN_TREATMENT = "in_treatment"
    BEING_SERVED = "being_served"
    SERVED = "served"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    REOPENED = "reopened"


_S = CaseStatus

CASE_TRANSITIONS: Final[Mapping[CaseStatus | None, frozenset[CaseStatus]]] = MappingProxyType(
    {
        None: frozenset({_S.REFERRED}),
        _S.REFERRED: frozenset({_S.SCREENED, _S.WITHDRAWN}),
        _S.SCREENED: frozenset({_S.ASSESSED, _S.WITHDRAWN}),
        _S.ASSESSED: frozenset({_S.APPROVED, _S.REJECTED, _S.WITHDRAWN}),
        _S.APPROVED: frozenset({_S.IN_TREATMENT, _S.BEING_SERVED, _S.WITHDRAWN}),
        _S.IN_TREATMENT: frozenset({_S.SERVED, _S.WITHDRAWN}),
        _S.BEING_SERVED: frozenset({_S.SERVED, _S.WITHDRAWN}),
        _S.SERVED: frozenset({_S.CLOSED}),
        _S.CLOSED: frozenset({_S.REOPENED}),
        _S.REJECTED: frozenset({_S.REOPENED}),
        _S.WITHDRAWN: frozenset({_S.REOPENED}),
        _S.REOPENED: frozenset({_S.ASSESSED, _S.WITHDRAWN}),
    }
)
"""The case workflow: each status (``None`` for a case not yet started) to the statuses
that may follow it.

======================  ==============================================
from                    may go to
======================  ==============================================
(start)                 referred
referred                screened, withdrawn
screened                assessed, withdrawn
assessed                approved, rejected, withdrawn
approved                in_treatment, being_served, withdrawn
in_treatment            served, withdrawn
being_served            served, withdrawn
served                  closed
closed                  reopened
rejected                reopened
withdrawn               reopened
reopened                assessed, withdrawn
======================  ==============================================

A case may be withdrawn from every open status until it is served; once served it can
only be closed (help that was given cannot be withdrawn). Closed, rejected and withdrawn
cases may be reopened, and a reopened case is assessed again.
"""

CLOSED_STATUSES: Final = frozenset({_S.CLOSED, _S.REJECTED, _S.WITHDRAWN})
"""The statuses in which a case is no longer open."""

SERVICE_STATUSES: Final = frozenset({_S.IN_TREATMENT, _S.BEING_SERVED, _S.SERVED})
"""The statuses that mean help was delivered: a case that reached one has been served."""


def _status(value: CaseStatus | str) -> CaseStatus:
    """``value`` as a status, or a ValueError naming the argument and the choices."""
    return as_member(CaseStatus, value, "status")


def _status_list(statuses: Iterable[CaseStatus]) -> str:
    order = list(CaseStatus)
    return ", ".join(s.value for s in sorted(statuses, key=order.index))


def _step_problem(previous: CaseEvent | None, event: CaseEvent) -> str | None:
    """Why ``event`` cannot follow ``previous``, or ``None`` when it can."""
    before = None if previous is None else previous.status
    allowed = CASE_TRANSITIONS[before]
    if event.status not in allowed:
        if before is None:
            return f"cannot start at {event.status} (a case starts referred)"
        return f"cannot go from {before} to {event.status} (allowed next: {_status_list(allowed)})"
    if previous is not None and event.on < previous.on:
        return (
            f"cannot go back in time: {event.status} on {event.on.isoformat()} comes before "
            f"{previous.status} on {previous.on.isoformat()}"
        )
    return None


# -- records -----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class CaseEvent:
    """One step in a case's history: the status it reached, on a day.

    Attributes:
        status: the status reached.
        on: the day it was reached.
        note: a free-text note (personal data: notes tend to hold names and diagnoses).
    """

    status: CaseStatus = enum_field(CaseStatus)
    on: date = date_field()
    note: str | None = text_field(optional=True, pii=True, kind="note")


def _history(value: object, _: object, field: attrs.Attribute[Any]) -> tuple[CaseEvent, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(
            f"'{field.name}' must be a sequence of CaseEvent (got {type(value).__name__})"
        )
    items = tuple(value)
    for i, item in enumerate(items):
        if not isinstance(item, CaseEvent):
            # An event's note may hold personal data: name the type, never the value.
            raise TypeError(f"'{field.name}[{i}]' must be a CaseEvent (got {type(item).__name__})")
    return items


def _history_field() -> Any:
    return attrs.field(
        default=(), converter=attrs.Converter(_history, takes_self=True, takes_field=True)
    )


@attrs.frozen(kw_only=True)
class Case:
    """One aid case: a medical case, disaster relief or hardship relief.

    Attributes:
        id: the record id.
        kind: medical, disaster relief or hardship.
        person_id: the person helped (``persons``).
        household_id: the household helped (``households``); a case names a person, a
            household or both.
        condition: for a medical case, the condition treated (personal data: health);
            ``None`` while unknown (at referral) or once redacted. Only medical cases
            name one.
        program_id: the programme the case belongs to (``programs``).
        project_id: the project that pays for it (``projects``).
        hospital_id: the treating hospital (``organizations``); medical cases only.
        fund_id: the fund that paid (``funds``), when a fund paid directly; without it
            the payer is the project, else the programme's organisation (see
            :func:`humanaid.ledger.case_payer`).
        purpose: the purpose tag the payment's flow carries, checked against a
            restricted fund's purposes like a flow's own ``purpose``.
        approved: the amount approved, once the history has an ``approved`` event.
        paid: the amount paid so far. Paying more than was approved is allowed here and
            reported by the rule ``cases.paid-over-approved``.
        history: the status events, in date order, each a legal step from the one
            before (see :data:`CASE_TRANSITIONS`); the first is ``referred``.

    A paid case is a money event: unless a flow in the dataset names it as its
    ``origin``, the ledger derives its payment, from the payer to the hospital (else the
    patient, else the household), on the day help was delivered (see
    :func:`humanaid.ledger.case_flows`).

    Raises:
        ValueError: for an illegal or back-dated step in the history, an empty history,
            a case naming nobody, a condition or hospital on a case that is not medical,
            an ``approved`` amount without an ``approved`` event, or ``approved`` and
            ``paid`` in different currencies.

    >>> from datetime import date
    >>> case = Case.refer(id="c1", kind="hardship", household_id="h1", on=date(2020, 1, 6))
    >>> case.advance("served", on=date(2020, 1, 7))
    Traceback (most recent call last):
    ...
    ValueError: cannot go from referred to served (allowed next: screened, withdrawn)
    >>> Case(id="c2", kind="hardship", household_id="h1", history=case.history,
    ...      condition="cataract")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'condition' is only for medical cases (kind is hardship)
    """

    id: str = id_field()
    kind: CaseKind = enum_field(CaseKind)
    person_id: str | None = ref_field("persons", optional=True)
    household_id: str | None = ref_field("households", optional=True)
    condition: Condition | None = enum_field(Condition, optional=True, pii=True)
    program_id: str | None = ref_field("programs", optional=True)
    project_id: str | None = ref_field("projects", optional=True)
    hospital_id: str | None = ref_field("organizations", optional=True)
    fund_id: str | None = ref_field("funds", optional=True)
    purpose: str | None = text_field(optional=True, kind="name")
    approved: Money | None = money_field(
        validator=attrs.validators.optional(non_negative), default=None
    )
    paid: Money | None = money_field(
        validator=attrs.validators.optional(non_negative), default=None
    )
    history: tuple[CaseEvent, ...] = _history_field()

    def __attrs_post_init__(self) -> None:
        if self.person_id is None and self.household_id is None:
            raise ValueError("a case must name a 'person_id' or a 'household_id'")
        if self.kind is not CaseKind.MEDICAL:
            if self.condition is not None:
                raise FieldValueError(
                    "condition", f"is only for medical cases (kind is {self.kind})"
                )
            if self.hospital_id is not None:
                raise FieldValueError(
                    "hospital_id", f"is only for medical cases (kind is {self.kind})"
                )
        if not self.history:
            raise FieldValueError(
                "history", "must not be empty: a case starts with a referred event"
            )
        previous: CaseEvent | None = None
        for i, event in enumerate(self.history):
            problem = _step_problem(previous, event)
            if problem is not None:
                raise FieldValueError("history", problem, at=(i,))
            previous = event
        if self.approved is not None and self.reached(CaseStatus.APPROVED) is None:
            raise FieldValueError("approved", "is set but the history has no approved event")
        if (
            self.approved is not None
            and self.paid is not None
            and self.approved.currency != self.paid.currency
        ):
            raise FieldValueError(
                "paid",
                f"must be in the currency of 'approved' (got {self.paid.currency} "
                f"and {self.approved.currency})",
            )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def refer(cls, *, on: date, note: str | None = None, **kw: Any) -> Case:
        """Open a case with a ``referred`` event on ``on``; ``kw`` are the other fields.

        >>> from datetime import date
        >>> Case.refer(id="c1", kind="hardship", household_id="h1", on=date(2020, 1, 6)).status
        <CaseStatus.REFERRED: 'referred'>
        """
        return cls(history=(CaseEvent(status=CaseStatus.REFERRED, on=on, note=note),), **kw)

    def advance(
        self, status: CaseStatus | str, *, on: date, note: str | None = None, **changes: Any
    ) -> Case:
        """Return the case one step further: ``status`` reached on ``on``.

        Args:
            status: the next status; it must be allowed by :data:`CASE_TRANSITIONS`.
            on: the day, not before the last event.
            note: an optional note on the event.
            **changes: other fields to change with the step, such as ``approved=`` with
                the ``approved`` step or ``paid=`` when paying.

        Raises:
            ValueError: naming the illegal step, such as
                ``cannot go from referred to served (allowed next: screened, withdrawn)``,
                or a step back in time.
        """
        event = CaseEvent(status=cast(CaseStatus, status), on=on, note=note)
        problem = _step_problem(self.history[-1], event)
        if problem is not None:
            raise ValueError(problem)
        if "history" in changes:
            raise TypeError("advance() adds to the history; it does not replace it")
        return attrs.evolve(self, history=(*self.history, event), **changes)

    # -- views ----------------------------------------------------------------------------

    @property
    def status(self) -> CaseStatus:
        """The status reached last."""
        return self.history[-1].status

    @property
    def opened_on(self) -> date:
        """The day the case was referred."""
        return self.history[0].on

    @property
    def is_open(self) -> bool:
        """Whether the case is open: not closed, rejected or withdrawn."""
        return self.status not in CLOSED_STATUSES

    @property
    def allowed_next(self) -> frozenset[CaseStatus]:
        """The statuses the case may go to next."""
        return CASE_TRANSITIONS[self.status]

    @property
    def served_on(self) -> date | None:
        """The first day help was delivered (in treatment, being served or served)."""
        for event in self.history:
            if event.status in SERVICE_STATUSES:
                return event.on
        return None

    @property
    def approved_on(self) -> date | None:
        """The first day the case was approved (``reached("approved")``), or ``None``.

        A property, so that a query can read it as a field (``funnel``'s approved stage;
        the columnar engines compute it from the history column).
        """
        return self.reached(CaseStatus.APPROVED)

    def reached(self, status: CaseStatus | str) -> date | None:
        """The first day the case reached ``status``, or ``None`` if it never did."""
        wanted = _status(status)
        for event in self.history:
            if event.status is wanted:
                return event.on
        return None

    def status_on(self, day: date) -> CaseStatus | None:
        """The status the case had at the end of ``day`` (``None`` before it was opened).

        >>> from datetime import date
        >>> c = Case.refer(id="c1", kind="hardship", person_id="p1", on=date(2020, 1, 6))
        >>> c = c.advance("screened", on=date(2020, 1, 9))
        >>> c.status_on(date(2020, 1, 5)), c.status_on(date(2020, 1, 8))
        (None, <CaseStatus.REFERRED: 'referred'>)
        """
        as_date(day, "day")
        current = None
        for event in self.history:
            if event.on > day:
                break
            current = event.status
        return current


class ScreeningOutcome(enum.StrEnum):
    """What a screening found.

    ``POSITIVE``: the condition was found. ``REFERRED``: suspected, sent on for further
    examination. Both carry a person on to the next stage of a programme's funnel.
    """

    NEGATIVE = "negative"
    POSITIVE = "positive"
    REFERRED = "referred"

    @property
    def is_positive(self) -> bool:
        """Whether the outcome carries the person on (positive or referred)."""
        return self is not ScreeningOutcome.NEGATIVE


@attrs.frozen(kw_only=True)
class Screening:
    """One examination of one person in a programme on one day.

    Screenings are counted as person-times: the same person screened twice counts twice
    (筛查28.42万人次), and once among distinct persons.

    Attributes:
        id: the record id.
        person_id: the person examined (``persons``).
        program_id: the programme screening for (``programs``).
        on: the day of the examination.
        outcome: negative, positive, or referred for further examination.
        project_id: the project that pays for it (``projects``), if any.
        site_id: where it took place, a hospital or service station (``organizations``).

    >>> from datetime import date
    >>> s = Screening(id="s1", person_id="p1", program_id="heart-2020", on=date(2020, 5, 11),
    ...               outcome="referred")
    >>> s.outcome, s.outcome.is_positive
    (<ScreeningOutcome.REFERRED: 'referred'>, True)
    """

    id: str = id_field()
    person_id: str = ref_field("persons")
    program_id: str = ref_field("programs")
    on: date = date_field()
    outcome: ScreeningOutcome = enum_field(ScreeningOutcome)
    project_id: str | None = ref_field("projects", optional=True)
    site_id: str | None = ref_field("organizations", optional=True)


@attrs.frozen(kw_only=True)
class Distribution:
    """Cash or goods handed to one household on a day, in a round of a campaign.

    A distribution of goods lists its :class:`~humanaid.donors.InKindItem` lines, each valued,
    and its ``value`` is their exact sum (:meth:`in_kind` computes it); a cash
    distribution has no items.

    A campaign (or, without one, a programme in one calendar year: see :attr:`drive`) is
    meant to reach each household once; its rounds are waves that reach different
    households. The rule ``beneficiaries.repeated-distribution`` reports a household
    reached in two rounds of one drive.

    Attributes:
        id: the record id.
        household_id: the household that received it (``households``).
        on: the day it was handed out.
        value: the value handed out (positive).
        round: the round (wave) of the campaign, from 1.
        campaign_id: the campaign it belongs to (``campaigns``), such as 博爱送万家 2020.
        program_id: the programme (``programs``).
        project_id: the project that pays for it (``projects``).
        fund_id: the fund that paid for it (``funds``); without it the payer is the
            project, else the campaign's fund or body, else the programme's organisation
            (see :func:`humanaid.ledger.distribution_payer`).
        purpose: the purpose tag the handout's flow carries, checked against a
            restricted fund's purposes like a flow's own ``purpose``.
        site_id: where it was handed out, such as a 爱心超市 (``organizations``).
        items: the goods, for an in-kind distribution.

    A distribution is a money event: unless a flow in the dataset names it as its
    ``origin``, the ledger derives its flow, from the payer to the household, of its
    value, on its day (see :func:`humanaid.ledger.distribution_flows`).

    >>> from datetime import date
    >>> d = Distribution.in_kind(
    ...     id="d1", household_id="h1", on=date(2020, 1, 15), campaign_id="boai-2020",
    ...     items=(
    ...         InKindItem(description="大米", quantity=2, unit="袋",
    ...                    unit_value=Money("120"), valuation="invoice"),
    ...         InKindItem(description="食用油", quantity=1, unit="桶",
    ...                    unit_value=Money("75.50"), valuation="invoice"),
    ...     ),
    ... )
    >>> d.value, d.drive
    (Money('315.50', 'CNY'), 'campaign:boai-2020')
    """

    id: str = id_field()
    household_id: str = ref_field("households")
    on: date = date_field()
    value: Money = money_field(validator=positive)
    round: int = attrs.field(default=1, validator=whole(low=1))
    campaign_id: str | None = ref_field("campaigns", optional=True)
    program_id: str | None = ref_field("programs", optional=True)
    project_id: str | None = ref_field("projects", optional=True)
    fund_id: str | None = ref_field("funds", optional=True)
    purpose: str | None = text_field(optional=True, kind="name")
    site_id: str | None = ref_field("organizations", optional=True)
    items: tuple[InKindItem, ...] = tuple_field(InKindItem)

    def __attrs_post_init__(self) -> None:
        if not self.items:
            return
        currency = self.value.currency
        total = Money.zero(currency)
        for i, item in enumerate(self.items):
            value = item.value
            if value is None:
                raise ValueError(
                    f"'items[{i}]' has no value: every item of a distribution is valued, "
                    "and the distribution's value is their sum"
                )
            if value.currency != currency:
                raise ValueError(
                    f"'items[{i}]' must be valued in {currency} (got {value.currency})"
                )
            total += value
        if total != self.value:
            raise FieldValueError(
                "value",
                f"must be the exact sum of the items' values (got {self.value}, "
                f"items add up to {total})",
            )

    @classmethod
    def in_kind(cls, *, items: Iterable[InKindItem], **kw: Any) -> Distribution:
        """A distribution of goods whose value is the exact sum of its items' values.

        Raises:
            ValueError: if an item is not valued or the items' currencies differ.
        """
        goods = tuple(items)
        values = [item.value for item in goods]
        if not goods or any(v is None for v in values):
            raise FieldValueError("items", "must be one or more valued items")
        valued = [v for v in values if v is not None]
        try:
            total = Money.total(valued, valued[0].currency)
        except CurrencyMismatch as exc:
            raise FieldValueError("items", f"must all be valued in one currency: {exc}") from None
        return cls(items=goods, value=total, **kw)

    @classmethod
    def cash(cls, *, value: Money, **kw: Any) -> Distribution:
        """A distribution of cash (no items)."""
        return cls(value=value, items=(), **kw)

    @property
    def is_in_kind(self) -> bool:
        """Whether goods were handed out (the distribution has items)."""
        return bool(self.items)

    @property
    def items_value(self) -> Money:
        """The sum of the items' values (zero for cash)."""
        return Money.total(
            (v for v in (item.value for item in self.items) if v is not None),
            self.value.currency,
        )

    @property
    def drive(self) -> str | None:
        """The drive that should reach each household once, or ``None``.

        ``"campaign:<id>"`` for a distribution in a campaign, else
        ``"program:<id>:<year>"`` (a programme in one calendar year).
        """
        if self.campaign_id is not None:
            return f"campaign:{self.campaign_id}"
        if self.program_id is not None:
            return f"program:{self.program_id}:{self.on.year}"
        return None
