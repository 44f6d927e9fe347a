"""Hypothesis strategies for the three donations (re-exported by :mod:`humanaid.testing`).

Every strategy builds valid records, from the shared building blocks of
:mod:`humanaid.testing._common`: blood drives and donations, donor registrations with
their consent (given on or before the registration), and the matches, completed
donations and withdrawals that move a registration on. :func:`registration_lives` draws
a registration with a legal history of such events (:data:`REGISTRATION_TRANSITIONS
<humanaid.REGISTRATION_TRANSITIONS>`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from humanaid.testing._common import dates, decimals, members_of, short_ids
from humanaid.three_donations import (
    BloodDonation,
    BloodDrive,
    BloodType,
    CompletedDonation,
    ConsentBy,
    ConsentWithdrawal,
    DonorRegistration,
    HlaMatch,
    RegistrationEvent,
    RegistrationKind,
    RegistrationStatus,
)

__all__ = [
    "blood_donations",
    "blood_drives",
    "completed_donations",
    "consent_withdrawals",
    "donor_registrations",
    "hla_matches",
    "registration_lives",
]

_FIRST_DAY = date(2010, 1, 1)
_LAST_DAY = date(2030, 12, 31)
_HLA = st.from_regex(r"A\*[0-9]{2}:[0-9]{2} B\*[0-9]{2}:[0-9]{2}", fullmatch=True)
_UNITS = st.sampled_from([Decimal("0.5"), Decimal(1), Decimal("1.5"), Decimal(2), Decimal(3)])
_REASONS = st.sampled_from(["moved abroad", "health", "family objects", "改变主意"])


def _optional(ids: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.none() | ids


def blood_drives(
    *,
    organization_ids: st.SearchStrategy[str] | None = None,
    min_day: date = _FIRST_DAY,
    max_day: date = _LAST_DAY,
) -> st.SearchStrategy[BloodDrive]:
    """Valid blood drives, with or without stated donors and units."""
    return st.builds(
        BloodDrive,
        id=short_ids(prefix="drive-"),
        organization_id=organization_ids
        if organization_ids is not None
        else short_ids(prefix="org-"),
        on=dates(min_value=min_day, max_value=max_day),
        donors=st.none() | st.integers(0, 500),
        units=st.none() | decimals(min_value=0, max_value=1000, places=1),
        name=st.none() | st.sampled_from(["世界献血者日", "博爱献血", "drive"]),
        blood_centre_id=_optional(short_ids(prefix="centre-")),
        site_id=_optional(short_ids(prefix="site-")),
        area_id=_optional(short_ids(prefix="area-")),
    )


def blood_donations(
    *,
    person_ids: st.SearchStrategy[str] | None = None,
    drive_ids: st.SearchStrategy[str | None] | None = None,
    min_day: date = _FIRST_DAY,
    max_day: date = _LAST_DAY,
) -> st.SearchStrategy[BloodDonation]:
    """Valid blood donations of 0.5 to 3 units, at a drive or for an organisation."""

    @st.composite
    def build(draw: st.DrawFn) -> BloodDonation:
        drive = draw(drive_ids if drive_ids is not None else _optional(short_ids(prefix="drive-")))
        org = draw(_optional(short_ids(prefix="org-"))) if drive is not None else None
        return BloodDonation(
            id=draw(short_ids(prefix="blood-")),
            person_id=draw(person_ids if person_ids is not None else short_ids(prefix="person-")),
            on=draw(dates(min_value=min_day, max_value=max_day)),
            units=draw(_UNITS),
            drive_id=drive,
            organization_id=org if drive is not None else draw(short_ids(prefix="org-")),
            blood_type=draw(st.none() | members_of(BloodType)),
        )

    return build()


def donor_registrations(
    *,
    kinds: list[RegistrationKind] | None = None,
    person_ids: st.SearchStrategy[str] | None = None,
    organization_ids: st.SearchStrategy[str] | None = None,
    min_day: date = _FIRST_DAY,
    max_day: date = _LAST_DAY,
) -> st.SearchStrategy[DonorRegistration]:
    """Valid registrations of every kind, consent given on or up to 30 days before.

    Stem-cell ones consent themselves and may carry an HLA typing; the others may rest on
    a next of kin's consent. Blood types and consent form numbers come and go.
    """

    @st.composite
    def build(draw: st.DrawFn) -> DonorRegistration:
        kind = draw(members_of(RegistrationKind, only=kinds))
        registered = draw(dates(min_value=min_day, max_value=max_day))
        stem = kind is RegistrationKind.STEM_CELL
        fields: dict[str, Any] = {
            "id": draw(short_ids(prefix="reg-")),
            "person_id": draw(
                person_ids if person_ids is not None else short_ids(prefix="person-")
            ),
            "kind": kind,
            "organization_id": draw(
                organization_ids if organization_ids is not None else short_ids(prefix="org-")
            ),
            "registered_on": registered,
            "consent_by": ConsentBy.SELF if stem else draw(members_of(ConsentBy)),
            "consent_document": draw(st.none() | st.from_regex(r"CF[0-9]{6}", fullmatch=True)),
            "blood_type": draw(st.none() | members_of(BloodType)),
            "hla_typing": draw(st.none() | _HLA) if stem else None,
            "area_id": draw(_optional(short_ids(prefix="area-"))),
        }
        if draw(st.booleans()):
            fields["consented_on"] = registered - timedelta(days=draw(st.integers(0, 30)))
        return DonorRegistration(**fields)

    return build()


def hla_matches(
    *, registration_ids: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[HlaMatch]:
    """Valid HLA matches (not tied to a registration's history: see :func:`registration_lives`)."""
    return st.builds(
        HlaMatch,
        id=short_ids(prefix="match-"),
        registration_id=registration_ids
        if registration_ids is not None
        else short_ids(prefix="reg-"),
        on=dates(min_value=_FIRST_DAY, max_value=_LAST_DAY),
        case_id=_optional(short_ids(prefix="case-")),
    )


def completed_donations(
    *, registration_ids: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[CompletedDonation]:
    """Valid completed donations (see :func:`registration_lives` for legal histories)."""
    return st.builds(
        CompletedDonation,
        id=short_ids(prefix="gift-"),
        registration_id=registration_ids
        if registration_ids is not None
        else short_ids(prefix="reg-"),
        on=dates(min_value=_FIRST_DAY, max_value=_LAST_DAY),
        match_id=_optional(short_ids(prefix="match-")),
        case_id=_optional(short_ids(prefix="case-")),
        recipients=st.none() | st.integers(0, 8),
    )


def consent_withdrawals(
    *, registration_ids: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[ConsentWithdrawal]:
    """Valid consent withdrawals, with or without a reason."""
    return st.builds(
        ConsentWithdrawal,
        id=short_ids(prefix="withdraw-"),
        registration_id=registration_ids
        if registration_ids is not None
        else short_ids(prefix="reg-"),
        on=dates(min_value=_FIRST_DAY, max_value=_LAST_DAY),
        reason=st.none() | _REASONS,
    )


def registration_lives(
    *, kinds: list[RegistrationKind] | None = None, max_steps: int = 4
) -> st.SearchStrategy[tuple[DonorRegistration, tuple[RegistrationEvent, ...]]]:
    """A registration and a legal history of events for it, in date order.

    Each step is drawn from those its kind allows after the one before
    (:data:`~humanaid.REGISTRATION_TRANSITIONS`), 0 to 60 days later; a donation answers
    the last match.

    Args:
        kinds: the kinds to draw from (all by default).
        max_steps: the most events.
    """

    @st.composite
    def build(draw: st.DrawFn) -> tuple[DonorRegistration, tuple[RegistrationEvent, ...]]:
        reg = draw(donor_registrations(kinds=kinds, max_day=date(2025, 12, 31)))
        events: list[RegistrationEvent] = []
        status: RegistrationStatus | None = RegistrationStatus.REGISTERED
        day = reg.registered_on
        last_match: str | None = None
        for i in range(draw(st.integers(0, max_steps))):
            allowed = sorted(reg.allowed_steps[status])
            if not allowed:
                break
            status = draw(st.sampled_from(allowed))
            day += timedelta(days=draw(st.integers(0, 60)))
            if status is RegistrationStatus.MATCHED:
                last_match = f"{reg.id}-m{i}"
                events.append(reg.match(id=last_match, on=day, known=events))
            elif status is RegistrationStatus.DONATED:
                events.append(
                    reg.donate(id=f"{reg.id}-d{i}", on=day, match_id=last_match, known=events)
                )
            else:
                events.append(reg.withdraw(id=f"{reg.id}-w{i}", on=day, known=events))
        return reg, tuple(events)

    return build()


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this theme and the function that makes its strategy."""
    return {
        BloodDrive: blood_drives,
        BloodDonation: blood_donations,
        DonorRegistration: donor_registrations,
        HlaMatch: hla_matches,
        CompletedDonation: completed_donations,
        ConsentWithdrawal: consent_withdrawals,
    }
