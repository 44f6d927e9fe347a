"""The three donations (三献): blood, stem cells, and body and organs.

Red Cross societies mobilise people for three gifts of the body, none of them money
(money gifts are :class:`~humanaid.Donation`):

* **voluntary blood donation** (无偿献血): a :class:`BloodDrive` mobilises donors on a day,
  and each :class:`BloodDonation` is one person giving blood (in units of 200 mL);
* **stem-cell donation** (造血干细胞捐献): a person joins the donor registry (入库) by a
  :class:`DonorRegistration` of kind ``STEM_CELL``, may be found to match a patient
  (:class:`HlaMatch`) and may then donate (:class:`CompletedDonation`);
* **body and organ donation** (遗体器官捐献): a person registers the wish to donate their
  organs, body or corneas after death (a :class:`DonorRegistration` of kind ``ORGAN``,
  ``BODY`` or ``CORNEA``), and the donation is completed after their death.

Every registration records the consent it rests on (who gave it and when); consent can
be withdrawn at any time (:class:`ConsentWithdrawal`), and a withdrawn registration is
left out of every count from that day on. A registration's life follows
:data:`REGISTRATION_TRANSITIONS`: registered, matched (stem cells only), donated, or
withdrawn. Blood types, HLA typings and reasons for withdrawing are sensitive personal
data (health data, PIPL art. 28): marked so, masked in ``repr``, never shown in an error
and dropped by :func:`~humanaid.redact`.

>>> from datetime import date
>>> reg = DonorRegistration(id="r1", person_id="p1", kind="stem_cell", organization_id="jx",
...                         registered_on=date(2021, 5, 8), hla_typing="A*02:01 B*46:01")
>>> reg
DonorRegistration(id='r1', person_id='p1', kind=<...>, ..., hla_typing=***, area_id=None)
>>> m = reg.match(id="m1", on=date(2022, 1, 4))
>>> d = reg.donate(id="d1", on=date(2022, 3, 1), match_id="m1", known=[m])
>>> reg.status_on(date(2022, 2, 1), events=[m, d]), reg.status_on(date(2022, 3, 1), events=[m, d])
(<RegistrationStatus.MATCHED: 'matched'>, <RegistrationStatus.DONATED: 'donated'>)
>>> reg.withdraw(id="w1", on=date(2022, 4, 1), known=[m, d])
Traceback (most recent call last):
...
ValueError: registration 'r1' cannot go from donated to withdrawn (allowed next: none)
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final

import attrs

from humanaid._decimal import to_decimal
from humanaid.errors import UnknownId
from humanaid.funds import Boundary, PartyKind
from humanaid.periods import Period
from humanaid.records import (
    as_date,
    as_id_set,
    as_member_set,
    date_field,
    decimal_in,
    enum_field,
    id_field,
    instance_of,
    ref_field,
    text_field,
    whole,
    whole_number,
)
from humanaid.source import RecordSource

__all__ = [
    "BODY_AND_ORGAN_KINDS",
    "REGISTRATION_TRANSITIONS",
    "BloodDonation",
    "BloodDrive",
    "BloodFigures",
    "BloodType",
    "CompletedDonation",
    "ConsentBy",
    "ConsentWithdrawal",
    "DonorRegistration",
    "HlaMatch",
    "RegistrationEvent",
    "RegistrationFigures",
    "RegistrationKind",
    "RegistrationStatus",
    "ThreeDonationsFigures",
    "blood_figures",
    "registration_figures",
    "three_donations_figures",
]

_MAX_UNITS: Final = Decimal(10**9)
_UNITS: Final = decimal_in(below=_MAX_UNITS, places=2, unit="units")
"""Units of blood: at least 0 and less than 10**9, to the hundredth of a unit."""
_UNITS_OR_NONE: Final = decimal_in(below=_MAX_UNITS, places=2, unit="units", optional=True)


# -- kinds -------------------------------------------------------------------------------------


class RegistrationKind(enum.StrEnum):
    """What a person registers to donate.

    ``STEM_CELL``: haematopoietic stem cells, to a patient the registry finds to match
    (造血干细胞; joining the registry is 入库). ``ORGAN``, ``BODY`` and ``CORNEA``: organs,
    the body (to medical education and research) or corneas, after death (遗体器官捐献;
    a person wishing to give more than one registers each).

    >>> RegistrationKind.STEM_CELL.needs_match, RegistrationKind.ORGAN.needs_match
    (True, False)
    """

    STEM_CELL = "stem_cell"
    ORGAN = "organ"
    BODY = "body"
    CORNEA = "cornea"

    @property
    def needs_match(self) -> bool:
        """Whether a donation needs an HLA match first (stem cells only)."""
        return self is RegistrationKind.STEM_CELL


BODY_AND_ORGAN_KINDS: Final = frozenset(
    {RegistrationKind.ORGAN, RegistrationKind.BODY, RegistrationKind.CORNEA}
)
"""The kinds reports add up as 遗体器官捐献 (body and organ donation)."""


class ConsentBy(enum.StrEnum):
    """Who gave the consent a registration rests on.

    ``SELF``: the person, in writing. ``NEXT_OF_KIN``: the next of kin (近亲属), as the
    law allows for a body or organ donation after death when the person left no refusal.
    """

    SELF = "self"
    NEXT_OF_KIN = "next_of_kin"


class BloodType(enum.StrEnum):
    """An ABO blood group and RhD (health data: sensitive personal data)."""

    A_POS = "A+"
    A_NEG = "A-"
    B_POS = "B+"
    B_NEG = "B-"
    AB_POS = "AB+"
    AB_NEG = "AB-"
    O_POS = "O+"
    O_NEG = "O-"


class RegistrationStatus(enum.StrEnum):
    """Where a donor registration stands; see :data:`REGISTRATION_TRANSITIONS`."""

    REGISTERED = "registered"
    MATCHED = "matched"
    DONATED = "donated"
    WITHDRAWN = "withdrawn"


_R = RegistrationStatus
_STEM_CELL_STEPS: Final = MappingProxyType(
    {
        None: frozenset({_R.REGISTERED}),
        _R.REGISTERED: frozenset({_R.MATCHED, _R.WITHDRAWN}),
        _R.MATCHED: frozenset({_R.MATCHED, _R.DONATED, _R.WITHDRAWN}),
        _R.DONATED: frozenset[RegistrationStatus](),
        _R.WITHDRAWN: frozenset[RegistrationStatus](),
    }
)
_AFTER_DEATH_STEPS: Final = MappingProxyType(
    {
        None: frozenset({_R.REGISTERED}),
        _R.REGISTERED: frozenset({_R.DONATED, _R.WITHDRAWN}),
        _R.MATCHED: frozenset[RegistrationStatus](),
        _R.DONATED: frozenset[RegistrationStatus](),
        _R.WITHDRAWN: frozenset[RegistrationStatus](),
    }
)

REGISTRATION_TRANSITIONS: Final[
    Mapping[RegistrationKind, Mapping[RegistrationStatus | None, frozenset[RegistrationStatus]]]
] = MappingProxyType(
    {
        RegistrationKind.STEM_CELL: _STEM_CELL_STEPS,
        RegistrationKind.ORGAN: _AFTER_DEATH_STEPS,
        RegistrationKind.BODY: _AFTER_DEATH_STEPS,
        RegistrationKind.CORNEA: _AFTER_DEATH_STEPS,
    }
)
"""The life of a registration, by kind: each status (``None`` before it) to those that may follow.

Stem cells:

==========  ==============================  =========================================
from        may go to                       by
==========  ==============================  =========================================
(start)     registered                      the registration (入库), with consent
registered  matched, withdrawn              an :class:`HlaMatch`; a withdrawal
matched     matched, donated, withdrawn     another match; a donation; a withdrawal
donated     (nothing)                       the donation completes the registration
withdrawn   (nothing)                       to give again, register anew
==========  ==============================  =========================================

Organs, body and corneas: registered, then donated (after death) or withdrawn; there is
no HLA match step. Every step is dated on or after the one before and the registration;
on one day a match comes before a donation, and a withdrawal after both.
"""


# -- field checks -------------------------------------------------------------------------------


def _registered_on(self: DonorRegistration) -> date | None:
    day = self.registered_on
    return day if isinstance(day, date) and not isinstance(day, datetime) else None


# -- blood --------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BloodDrive:
    """A voluntary blood-donation drive (无偿献血活动) that a society mobilised, on a day.

    The drive may state its totals, for drives whose donors are not recorded one by
    one; :func:`blood_figures` counts a drive by its named :class:`BloodDonation` records
    or its stated totals, whichever is larger, so recording both never counts twice.

    Attributes:
        id: the record id.
        organization_id: the society that mobilised it (``organizations``).
        on: the day.
        donors: how many people gave blood at it, if stated.
        units: how many units (200 mL of whole blood, or one therapeutic dose of
            platelets) were given, if stated: an int or a Decimal of at most two places.
        name: its name, such as "世界献血者日".
        blood_centre_id: the blood centre that collected (``organizations``).
        site_id: the service site it was held at (collection ``sites``, checked once a
            dataset class has one).
        area_id: where it was held (``admin_areas``).
    """

    id: str = id_field()
    organization_id: str = ref_field("organizations")
    on: date = date_field()
    donors: int | None = attrs.field(default=None, validator=whole(optional=True))
    units: Decimal | None = attrs.field(
        default=None, converter=to_decimal, validator=_UNITS_OR_NONE
    )
    name: str | None = text_field(optional=True, max_length=200)
    blood_centre_id: str | None = ref_field("organizations", optional=True)
    site_id: str | None = ref_field("sites", optional=True)
    area_id: str | None = ref_field("admin_areas", optional=True)


@attrs.frozen(kw_only=True)
class BloodDonation:
    """One person giving blood on a day: not money (that is :class:`~humanaid.Donation`).

    Attributes:
        id: the record id.
        person_id: the donor (``persons``).
        on: the day.
        units: units given (200 mL of whole blood is one), more than 0.
        drive_id: the drive it was given at (``blood_drives``), if any.
        organization_id: the society that mobilised the donor (``organizations``);
            required without a drive (with one, it is the drive's).
        blood_type: the donor's blood group (sensitive personal data).

    >>> BloodDonation(id="b1", person_id="p1", on=date(2022, 6, 14), units=2)
    Traceback (most recent call last):
    ...
    ValueError: a blood donation names its 'drive_id' or its 'organization_id'
    >>> BloodDonation(id="b1", person_id="p1", on=date(2022, 6, 14), units=2, drive_id="d1",
    ...               blood_type="O+")
    BloodDonation(id='b1', ..., units=Decimal('2'), drive_id='d1', ..., blood_type=***)
    """

    id: str = id_field()
    person_id: str = ref_field("persons")
    on: date = date_field()
    units: Decimal = attrs.field(converter=to_decimal, validator=_UNITS)
    drive_id: str | None = ref_field("blood_drives", optional=True)
    organization_id: str | None = ref_field("organizations", optional=True)
    blood_type: BloodType | None = enum_field(BloodType, optional=True, sensitive=True)

    def __attrs_post_init__(self) -> None:
        if self.drive_id is None and self.organization_id is None:
            raise ValueError("a blood donation names its 'drive_id' or its 'organization_id'")
        if self.units.is_zero():
            raise ValueError("'units' must be more than 0 (got Decimal('0'))")


# -- registrations and their events ---------------------------------------------------------------


@attrs.frozen(kw_only=True)
class HlaMatch:
    """A stem-cell donor found to match a patient (HLA 配型成功).

    Attributes:
        id: the record id.
        registration_id: the donor's registration (``donor_registrations``), of kind
            ``STEM_CELL``.
        on: the day the match was confirmed.
        case_id: the patient's aid case (``cases``), if the society helps the patient.
    """

    id: str = id_field()
    registration_id: str = ref_field("donor_registrations")
    on: date = date_field()
    case_id: str | None = ref_field("cases", optional=True)

    @property
    def status(self) -> RegistrationStatus:
        """The status it moves its registration to: ``matched``."""
        return RegistrationStatus.MATCHED


@attrs.frozen(kw_only=True)
class CompletedDonation:
    """A donation of stem cells, organs, a body or corneas, completed on a day (捐献成功).

    Attributes:
        id: the record id.
        registration_id: the registration it fulfils (``donor_registrations``).
        on: the day it was completed.
        match_id: for stem cells, the match it answers (``hla_matches``).
        case_id: the patient's aid case (``cases``), if the society helps the patient.
        recipients: how many patients received the gift (organs go to several), if
            known.
    """

    id: str = id_field()
    registration_id: str = ref_field("donor_registrations")
    on: date = date_field()
    match_id: str | None = ref_field("hla_matches", optional=True)
    case_id: str | None = ref_field("cases", optional=True)
    recipients: int | None = attrs.field(default=None, validator=whole(optional=True))

    @property
    def status(self) -> RegistrationStatus:
        """The status it moves its registration to: ``donated``."""
        return RegistrationStatus.DONATED


@attrs.frozen(kw_only=True)
class ConsentWithdrawal:
    """The donor (or, for a next-of-kin consent, the next of kin) withdraws consent.

    From its day on, the registration is left out of every count. To give again, the
    person registers anew.

    Attributes:
        id: the record id.
        registration_id: the registration withdrawn (``donor_registrations``).
        on: the day consent was withdrawn.
        reason: why, if the donor said (sensitive personal data: often health).
    """

    id: str = id_field()
    registration_id: str = ref_field("donor_registrations")
    on: date = date_field()
    reason: str | None = text_field(optional=True, max_length=500, sensitive=True)

    @property
    def status(self) -> RegistrationStatus:
        """The status it moves its registration to: ``withdrawn``."""
        return RegistrationStatus.WITHDRAWN


RegistrationEvent = HlaMatch | CompletedDonation | ConsentWithdrawal
"""A record that moves a registration on: a match, a completed donation, a withdrawal."""

_STATUS_OF: Final[Mapping[type, RegistrationStatus]] = MappingProxyType(
    {
        HlaMatch: RegistrationStatus.MATCHED,
        CompletedDonation: RegistrationStatus.DONATED,
        ConsentWithdrawal: RegistrationStatus.WITHDRAWN,
    }
)
_RANK: Final = {HlaMatch: 0, CompletedDonation: 1, ConsentWithdrawal: 2}


def _event_key(event: RegistrationEvent) -> tuple[date, int, str]:
    return (event.on, _RANK[type(event)], event.id)


def _status_list(statuses: Iterable[RegistrationStatus]) -> str:
    order = list(RegistrationStatus)
    names = [s.value for s in sorted(statuses, key=order.index)]
    return ", ".join(names) or "none"


@attrs.frozen(kw_only=True)
class DonorRegistration:
    """A person's registration to donate stem cells, organs, their body or corneas.

    Not a money donor (that is :class:`~humanaid.Donor`). The registration rests on a
    recorded consent, which can be withdrawn (:class:`ConsentWithdrawal`).

    Attributes:
        id: the record id.
        person_id: the person registered (``persons``).
        kind: stem cells, organs, body or corneas.
        organization_id: the society that registered them (``organizations``).
        registered_on: the day of registration (入库 for stem cells).
        consented_on: the day consent was given, not after ``registered_on`` (the
            registration day by default).
        consent_by: the person themself (default) or their next of kin.
        consent_document: the number of the signed consent form (personal data).
        blood_type: the donor's blood group (sensitive personal data).
        hla_typing: the donor's HLA typing, for stem cells (sensitive personal data).
        area_id: where the donor lives or registered (``admin_areas``).

    Raises:
        ValueError: for consent dated after the registration, an HLA typing on a
            registration that is not for stem cells, or a next-of-kin consent to a
            stem-cell donation (a living donor consents themself).
    """

    id: str = id_field()
    person_id: str = ref_field("persons")
    kind: RegistrationKind = enum_field(RegistrationKind)
    organization_id: str = ref_field("organizations")
    registered_on: date = date_field()
    consented_on: date = attrs.field(
        default=attrs.Factory(_registered_on, takes_self=True), validator=instance_of(date)
    )
    consent_by: ConsentBy = enum_field(ConsentBy, default=ConsentBy.SELF)
    consent_document: str | None = text_field(optional=True, max_length=64, pii=True)
    blood_type: BloodType | None = enum_field(BloodType, optional=True, sensitive=True)
    hla_typing: str | None = text_field(optional=True, max_length=500, sensitive=True)
    area_id: str | None = ref_field("admin_areas", optional=True)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.consented_on, datetime):
            raise TypeError("'consented_on' must be a datetime.date, not a datetime")
        if self.consented_on > self.registered_on:
            raise ValueError(
                f"'consented_on' must not be after 'registered_on': a registration rests on "
                f"consent given first (got {self.consented_on} > {self.registered_on})"
            )
        if self.kind is not RegistrationKind.STEM_CELL:
            if self.hla_typing is not None:
                raise ValueError(
                    f"'hla_typing' is only for stem-cell registrations (kind is {self.kind})"
                )
        elif self.consent_by is not ConsentBy.SELF:
            raise ValueError("a stem-cell donor consents themself ('consent_by' must be 'self')")

    # -- the life of a registration --------------------------------------------------------

    @property
    def allowed_steps(self) -> Mapping[RegistrationStatus | None, frozenset[RegistrationStatus]]:
        """The transitions of this registration's kind (:data:`REGISTRATION_TRANSITIONS`)."""
        return REGISTRATION_TRANSITIONS[self.kind]

    def own_events(self, events: Iterable[RegistrationEvent]) -> list[RegistrationEvent]:
        """The events among ``events`` that name this registration, in the order they apply.

        By day; on one day a match, then a donation, then a withdrawal (then by id).

        Raises:
            TypeError: for anything that is not a match, donation or withdrawal.
        """
        mine: list[RegistrationEvent] = []
        for e in events:
            if type(e) not in _STATUS_OF:
                raise TypeError(
                    "'events' must hold matches, completed donations and consent withdrawals "
                    f"(got {type(e).__name__})"
                )
            if e.registration_id == self.id:
                mine.append(e)
        mine.sort(key=_event_key)
        return mine

    def step_problem(
        self, status: RegistrationStatus | None, day: date | None, event: RegistrationEvent
    ) -> str | None:
        """Why ``event`` cannot follow ``status`` reached on ``day``; ``None`` if it can.

        The rules of :mod:`humanaid.rules.three_donations` report the problems this
        finds in a dataset; :meth:`status_on` and the step methods raise them.
        """
        new = _STATUS_OF[type(event)]
        if event.on < self.registered_on:
            return (
                f"registration {self.id!r} cannot be {new} on {event.on}, before it was "
                f"registered on {self.registered_on}"
            )
        allowed = self.allowed_steps[status]
        if new not in allowed:
            if new is RegistrationStatus.MATCHED and not self.kind.needs_match:
                return (
                    f"registration {self.id!r} cannot be matched: an HLA match is only for "
                    f"stem-cell registrations (kind is {self.kind})"
                )
            return (
                f"registration {self.id!r} cannot go from {status} to {new} (allowed next: "
                f"{_status_list(allowed)})"
            )
        if day is not None and event.on < day:
            return (
                f"registration {self.id!r} cannot go back in time: {new} on {event.on} comes "
                f"before {status} on {day}"
            )
        return None

    def history(
        self, events: Iterable[RegistrationEvent]
    ) -> tuple[tuple[RegistrationStatus, date, str], ...]:
        """The statuses this registration went through: ``(status, day, record id)``.

        The first is ``registered`` (with this record's id); then its events among
        ``events`` in date order (on one day a match, a donation, a withdrawal).

        Raises:
            ValueError: naming the first event that is not a legal step.
        """
        steps: list[tuple[RegistrationStatus, date, str]] = [
            (RegistrationStatus.REGISTERED, self.registered_on, self.id)
        ]
        for e in self.own_events(events):
            status, day, _ = steps[-1]
            problem = self.step_problem(status, day, e)
            if problem is not None:
                raise ValueError(f"{problem} ({type(e).__name__} {e.id!r})")
            steps.append((_STATUS_OF[type(e)], e.on, e.id))
        return tuple(steps)

    def status_on(
        self, day: date, *, events: Iterable[RegistrationEvent] = ()
    ) -> RegistrationStatus | None:
        """The registration's status at the end of ``day``; ``None`` before it was made.

        Raises:
            ValueError: when its events are not a legal history (see :meth:`history`).
        """
        as_date(day, "day")
        current: RegistrationStatus | None = None
        for status, on, _ in self.history(events):
            if on > day:
                break
            current = status
        return current

    def _step(self, event: RegistrationEvent, known: tuple[RegistrationEvent, ...]) -> None:
        steps = self.history(known)
        status, day, _ = steps[-1]
        if any(e.id == event.id and type(e) is type(event) for e in known):
            raise ValueError(f"{type(event).__name__} {event.id!r} is already known")
        problem = self.step_problem(status, day, event)
        if problem is not None:
            raise ValueError(problem)

    def match(
        self, *, id: str, on: date, known: Iterable[RegistrationEvent] = (), **kw: Any
    ) -> HlaMatch:
        """An HLA match of this (stem-cell) registration, checked against ``known`` events.

        Raises:
            ValueError: when a match cannot follow the registration's status (see
                :data:`REGISTRATION_TRANSITIONS`), or comes before it.
        """
        known = tuple(known)
        event = HlaMatch(id=id, registration_id=self.id, on=on, **kw)
        self._step(event, known)
        return event

    def donate(
        self, *, id: str, on: date, known: Iterable[RegistrationEvent] = (), **kw: Any
    ) -> CompletedDonation:
        """The completed donation of this registration, checked against ``known`` events.

        Raises:
            ValueError: when a donation cannot follow the registration's status: after a
                withdrawal, a first donation, or (for stem cells) without a match.
        """
        known = tuple(known)
        event = CompletedDonation(id=id, registration_id=self.id, on=on, **kw)
        self._step(event, known)
        return event

    def withdraw(
        self, *, id: str, on: date, known: Iterable[RegistrationEvent] = (), **kw: Any
    ) -> ConsentWithdrawal:
        """The withdrawal of this registration's consent, checked against ``known`` events.

        Raises:
            ValueError: when the registration was already withdrawn or completed.
        """
        known = tuple(known)
        event = ConsentWithdrawal(id=id, registration_id=self.id, on=on, **kw)
        self._step(event, known)
        return event


# -- figures ------------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class BloodFigures:
    """Voluntary blood donation over a period.

    Attributes:
        drives: blood drives held.
        donations: times blood was given (person-times).
        donors: persons who gave: distinct named donors, plus the donors a drive states
            beyond those named (each counted as a different person, as nothing tells
            them apart).
        units: units given (200 mL of whole blood is one).
    """

    drives: int = attrs.field(validator=whole())
    donations: int = attrs.field(validator=whole())
    donors: int = attrs.field(validator=whole())
    units: Decimal

    def __str__(self) -> str:
        return (
            f"{self.donors:,} donors gave {self.units} units of blood "
            f"({self.donations:,} donations, {self.drives:,} drives)"
        )


@attrs.frozen(kw_only=True)
class RegistrationFigures:
    """Donor registrations of some kinds, over a period and on a day.

    Attributes:
        kinds: the kinds counted.
        as_of: the day standing registrations are counted on.
        registered: distinct persons who registered in the period and had not withdrawn
            by ``as_of`` (发展登记志愿者…人).
        on_register: distinct persons with a registration made on or before ``as_of``
            and not withdrawn by then (the registry, 库容).
        matched: HLA matches in the period, of registrations not withdrawn before them.
        completed: completed donations in the period (捐献…例), of registrations not
            withdrawn before them.
        withdrawn: consent withdrawals in the period.
    """

    kinds: frozenset[RegistrationKind]
    as_of: date
    registered: int = attrs.field(validator=whole())
    on_register: int = attrs.field(validator=whole())
    matched: int = attrs.field(validator=whole())
    completed: int = attrs.field(validator=whole())
    withdrawn: int = attrs.field(validator=whole())


def blood_figures(
    drives: Iterable[BloodDrive] | RecordSource,
    donations: Iterable[BloodDonation] = (),
    *,
    period: Period | None = None,
    organization_ids: Collection[str] | str | None = None,
) -> BloodFigures:
    """Count blood drives, donations, donors and units.

    A drive counts its named donations or its stated totals, whichever is larger, so a
    drive recorded both ways is never counted twice. A donation without a drive counts
    on its own day, for its own organisation.

    Args:
        drives: the drives, or a dataset (its drives and donations).
        donations: the named blood donations.
        period: count only drives and donations on days in it.
        organization_ids: count only what these organisations mobilised.

    >>> drive = BloodDrive(id="d1", organization_id="o", on=date(2022, 6, 14), donors=50,
    ...                    units=80)
    >>> named = [BloodDonation(id=f"b{i}", person_id=f"p{i}", on=date(2022, 6, 14), units=2,
    ...                        drive_id="d1") for i in range(3)]
    >>> alone = BloodDonation(id="b9", person_id="p1", on=date(2022, 9, 1), units=1,
    ...                       organization_id="o")
    >>> print(blood_figures([drive], [*named, alone]))
    50 donors gave 81 units of blood (51 donations, 1 drives)
    """
    if isinstance(drives, RecordSource):
        source = drives
        drives = source.records("blood_drives", missing_ok=True)
        donations = donations or source.records("blood_donations", missing_ok=True)
    orgs = as_id_set(organization_ids, "organization_ids")
    counted: dict[str, BloodDrive] = {}
    for d in drives:
        if period is not None and d.on not in period:
            continue
        if orgs is not None and d.organization_id not in orgs:
            continue
        counted.setdefault(d.id, d)
    named: dict[str, list[BloodDonation]] = defaultdict(list)
    persons: set[str] = set()
    times = 0
    units = Decimal(0)
    for b in donations:
        if b.drive_id is not None:
            if b.drive_id in counted:
                named[b.drive_id].append(b)
            continue
        if period is not None and b.on not in period:
            continue
        if orgs is not None and b.organization_id not in orgs:
            continue
        persons.add(b.person_id)
        times += 1
        units += b.units
    unnamed = 0
    for drive_id, drive in counted.items():
        given = named.get(drive_id, [])
        persons.update(b.person_id for b in given)
        stated = drive.donors or 0
        times += max(stated, len(given))
        unnamed += max(stated - len(given), 0)
        units += max(drive.units or Decimal(0), sum((b.units for b in given), Decimal(0)))
    return BloodFigures(
        drives=len(counted), donations=times, donors=len(persons) + unnamed, units=units
    )


def registration_figures(
    registrations: Iterable[DonorRegistration] | RecordSource,
    events: Iterable[RegistrationEvent] = (),
    *,
    kinds: Iterable[RegistrationKind | str] | RegistrationKind | str | None = None,
    period: Period | None = None,
    as_of: date | None = None,
    organization_ids: Collection[str] | str | None = None,
) -> RegistrationFigures:
    """Count registrations, matches, completed donations and withdrawals.

    A withdrawal removes its registration from every count made on or after its day: a
    registration withdrawn on or before ``as_of`` is neither registered nor on the
    register, and a match or donation dated after the withdrawal is not counted (the
    rule ``three_donations.after-withdrawal`` reports it). A count made before the
    withdrawal (an earlier ``as_of``) still holds it: history is not rewritten.

    Args:
        registrations: the registrations, or a dataset (its registrations, matches,
            completed donations and withdrawals).
        events: the matches, completed donations and consent withdrawals.
        kinds: count only registrations of these kinds (all by default; pass
            :data:`BODY_AND_ORGAN_KINDS` for 遗体器官捐献).
        period: the period of new registrations, matches, donations and withdrawals (all
            time by default).
        as_of: the day standing registrations are counted on; by default the period's
            last day (today without a period).
        organization_ids: count only registrations these organisations made (and the
            events of those).

    >>> reg = [DonorRegistration(id=f"r{i}", person_id=f"p{i}", kind="organ",
    ...                          organization_id="o", registered_on=date(2022, 1, 3))
    ...        for i in range(3)]
    >>> out = ConsentWithdrawal(id="w1", registration_id="r0", on=date(2022, 2, 1))
    >>> q1 = Period.quarter(2022, 1)
    >>> registration_figures(reg, [out], period=q1).registered
    2
    >>> registration_figures(reg, [out], period=q1, as_of=date(2022, 1, 31)).registered
    3
    """
    if isinstance(registrations, RecordSource):
        source = registrations
        registrations = source.records("donor_registrations", missing_ok=True)
        if not events:
            events = (
                *source.records("hla_matches", missing_ok=True),
                *source.records("completed_donations", missing_ok=True),
                *source.records("consent_withdrawals", missing_ok=True),
            )
    wanted = as_member_set(RegistrationKind, kinds, "kinds")
    orgs = as_id_set(organization_ids, "organization_ids")
    if as_of is None:
        as_of = period.end if period is not None else date.today()
    day = as_date(as_of, "as_of")
    chosen: dict[str, DonorRegistration] = {}
    for r in registrations:
        if r.kind in wanted and (orgs is None or r.organization_id in orgs):
            chosen.setdefault(r.id, r)
    withdrawn_on: dict[str, date] = {}
    later: list[RegistrationEvent] = []
    withdrawals = 0
    for e in events:
        if e.registration_id not in chosen:
            continue
        if isinstance(e, ConsentWithdrawal):
            first = withdrawn_on.get(e.registration_id)
            if first is None or e.on < first:
                withdrawn_on[e.registration_id] = e.on
            if period is None or e.on in period:
                withdrawals += 1
        else:
            later.append(e)
    matched = completed = 0
    for e in later:
        if period is not None and e.on not in period:
            continue
        out = withdrawn_on.get(e.registration_id)
        if out is not None and out <= e.on:
            continue  # a withdrawn registration is in no later count
        if isinstance(e, HlaMatch):
            matched += 1
        else:
            completed += 1
    registered: set[str] = set()
    standing: set[str] = set()
    for r in chosen.values():
        out = withdrawn_on.get(r.id)
        if r.registered_on > day or (out is not None and out <= day):
            continue
        standing.add(r.person_id)
        if period is None or r.registered_on in period:
            registered.add(r.person_id)
    return RegistrationFigures(
        kinds=wanted,
        as_of=day,
        registered=len(registered),
        on_register=len(standing),
        matched=matched,
        completed=completed,
        withdrawn=withdrawals,
    )


@attrs.frozen(kw_only=True)
class ThreeDonationsFigures:
    """An organisation's three donations over a period, as reports print them.

    Attributes:
        organization_id: the organisation (with its sub-units, unless left out).
        period: the period.
        blood: voluntary blood donation (无偿献血).
        stem_cell: stem-cell registrations, matches and donations (造血干细胞).
        body_and_organ: organ, body and cornea registrations and donations (遗体器官).
    """

    organization_id: str
    period: Period
    blood: BloodFigures
    stem_cell: RegistrationFigures
    body_and_organ: RegistrationFigures

    def sentences(self) -> tuple[str, ...]:
        """The figures as a report phrases them, with English alongside.

        >>> from humanaid import Dataset, Organization
        >>> ds = Dataset(organizations=[Organization(id="jx", name="江西省红十字会",
        ...                                          level="province")])
        >>> f = three_donations_figures(ds, Period.quarter(2022, 1), organization_id="jx")
        >>> f.sentences()[1]
        '实现造血干细胞成功捐献0例 (stem-cell donations completed: 0; 0 matches)'
        """
        b, s, o = self.blood, self.stem_cell, self.body_and_organ
        return (
            f"无偿献血{b.donors}人、{b.units}单位 (voluntary blood donation: {b.donors:,} "
            f"donors, {b.units} units)",
            f"实现造血干细胞成功捐献{s.completed}例 (stem-cell donations completed: "
            f"{s.completed:,}; {s.matched:,} matches)",
            f"遗体器官捐献{o.completed}例 (body and organ donations completed: {o.completed:,})",
            f"发展遗体器官捐献登记志愿者{o.registered}人 (new body and organ donation "
            f"registrations: {o.registered:,} persons)",
            f"新增造血干细胞入库{s.registered}人 (new stem-cell registry donors: "
            f"{s.registered:,} persons)",
        )


def three_donations_figures(
    source: RecordSource,
    period: Period | int,
    *,
    organization_id: str,
    include_children: bool = True,
    as_of: date | None = None,
) -> ThreeDonationsFigures:
    """An organisation's three donations over ``period``, from a dataset.

    The organisation counts with its sub-units (by ``parent_id``) unless
    ``include_children`` is false; see :func:`blood_figures` and
    :func:`registration_figures` for how each figure counts.

    Args:
        source: a :class:`~humanaid.Dataset` (or any record source).
        period: a :class:`~humanaid.Period` or a year.
        organization_id: the organisation.
        include_children: count its sub-units too (default).
        as_of: the day standing registrations are counted on (the period's last day by
            default).

    Raises:
        UnknownId: if ``organization_id`` is neither an organisation of the dataset nor
            named by one of its drives or registrations.
    """
    when = Period.year(whole_number("period", period)) if not isinstance(period, Period) else period
    named = (
        *(d.organization_id for d in source.records("blood_drives", missing_ok=True)),
        *(r.organization_id for r in source.records("donor_registrations", missing_ok=True)),
    )
    UnknownId.lookup(
        source, "organizations", organization_id, argument="organization_id", named=named
    )
    boundary = Boundary.organization(source, organization_id, include_children=include_children)
    orgs = frozenset(p.id for p in boundary.parties if p.kind is PartyKind.ORGANIZATION)
    registrations = source.records("donor_registrations", missing_ok=True)
    events: tuple[RegistrationEvent, ...] = (
        *source.records("hla_matches", missing_ok=True),
        *source.records("completed_donations", missing_ok=True),
        *source.records("consent_withdrawals", missing_ok=True),
    )
    drives = source.records("blood_drives", missing_ok=True)
    donations = source.records("blood_donations", missing_ok=True)

    def of(kinds: Iterable[RegistrationKind]) -> RegistrationFigures:
        return registration_figures(
            registrations, events, kinds=kinds, period=when, as_of=as_of, organization_ids=orgs
        )

    return ThreeDonationsFigures(
        organization_id=organization_id,
        period=when,
        blood=blood_figures(drives, donations, period=when, organization_ids=orgs),
        stem_cell=of({RegistrationKind.STEM_CELL}),
        body_and_organ=of(BODY_AND_ORGAN_KINDS),
    )
