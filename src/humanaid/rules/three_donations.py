"""Rules about the three donations: registrations, their histories and blood drives.

Every finding names records by id and dates only: never a blood type, an HLA typing, a
consent form's number or a reason for withdrawing (sensitive personal data).

* ``three_donations.before-registration`` (ERROR): a match, donation or withdrawal dated
  before its registration;
* ``three_donations.after-withdrawal`` (ERROR): a match or a donation on or after the
  day consent was withdrawn (left out of every count);
* ``three_donations.match-not-stem-cell`` (ERROR): an HLA match of a registration for
  organs, a body or corneas;
* ``three_donations.donation-without-match`` (ERROR): a stem-cell donation with no HLA
  match before it;
* ``three_donations.illegal-step`` (ERROR): any other step the registration's kind does
  not allow (a second donation, a match after the donation, a second withdrawal);
* ``three_donations.match-of-other-registration`` (ERROR): a completed donation naming
  the match of another registration;
* ``three_donations.duplicate-registration`` (WARNING): one person registered twice for
  one kind, the first not withdrawn when the second was made;
* ``three_donations.drive-below-named`` (WARNING): a blood drive stating fewer donors
  than the donations recorded at it (the named ones are counted);
* ``three_donations.donation-off-drive-day`` (WARNING): a blood donation at a drive,
  dated another day than the drive.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Final

from humanaid.findings import Finding, Severity
from humanaid.rules._helpers import with_referenced
from humanaid.three_donations import (
    BloodDrive,
    ConsentWithdrawal,
    DonorRegistration,
    HlaMatch,
    RegistrationEvent,
    RegistrationStatus,
)

if TYPE_CHECKING:
    from humanaid.dataset import Dataset, Rule

__all__ = [
    "THREE_DONATIONS_RULES",
    "blood_drives_count_their_donations",
    "donations_answer_their_match",
    "no_duplicate_registrations",
    "registration_histories_are_legal",
]

_S = RegistrationStatus


def _events(dataset: Dataset) -> list[RegistrationEvent]:
    return [
        *dataset.records("hla_matches", missing_ok=True),
        *dataset.records("completed_donations", missing_ok=True),
        *dataset.records("consent_withdrawals", missing_ok=True),
    ]


def registration_histories_are_legal(dataset: Dataset) -> Iterator[Finding]:
    """Each registration's matches, donations and withdrawals are legal steps in order.

    The events of a registration are walked in the order they apply
    (:meth:`~humanaid.DonorRegistration.own_events`) by the transitions of its kind
    (:data:`~humanaid.REGISTRATION_TRANSITIONS`); an event that is not a legal step is
    reported and skipped, and the walk goes on from the step before it. The codes say
    why: ``three_donations.before-registration``, ``three_donations.after-withdrawal``,
    ``three_donations.match-not-stem-cell``, ``three_donations.donation-without-match``
    and ``three_donations.illegal-step``. Events of a registration the dataset lacks are
    left to ``integrity.missing-reference``.
    """
    by_registration: dict[str, list[RegistrationEvent]] = defaultdict(list)
    for e in _events(dataset):
        by_registration[e.registration_id].append(e)
    registrations = dataset.index("donor_registrations", missing_ok=True)
    for registration_id, events in by_registration.items():
        reg = registrations.get(registration_id)
        if not isinstance(reg, DonorRegistration):
            continue
        status: RegistrationStatus = _S.REGISTERED
        day: date = reg.registered_on
        for e in reg.own_events(events):
            problem = reg.step_problem(status, day, e)
            if problem is None:
                status, day = e.status, e.on
                continue
            what = f"{type(e).__name__} {e.id!r}: {problem}"
            figures = {"registration_id": reg.id, "status": status.value, "on": e.on}
            new = e.status
            if e.on < reg.registered_on:
                yield Finding(
                    rule="three_donations.before-registration",
                    severity=Severity.ERROR,
                    subject=e.id,
                    message=what,
                    figures=figures,
                )
            elif status is _S.WITHDRAWN and new is not _S.WITHDRAWN:
                yield Finding(
                    rule="three_donations.after-withdrawal",
                    severity=Severity.ERROR,
                    subject=e.id,
                    message=f"{what}; consent was withdrawn on {day}",
                    figures=figures,
                )
            elif new is _S.MATCHED and not reg.kind.needs_match:
                yield Finding(
                    rule="three_donations.match-not-stem-cell",
                    severity=Severity.ERROR,
                    subject=e.id,
                    message=what,
                    figures=figures,
                )
            elif new is _S.DONATED and reg.kind.needs_match and status is _S.REGISTERED:
                yield Finding(
                    rule="three_donations.donation-without-match",
                    severity=Severity.ERROR,
                    subject=e.id,
                    message=f"{what}; a stem-cell donation follows an HLA match",
                    figures=figures,
                )
            else:
                yield Finding(
                    rule="three_donations.illegal-step",
                    severity=Severity.ERROR,
                    subject=e.id,
                    message=what,
                    figures=figures,
                )


def donations_answer_their_match(dataset: Dataset) -> Iterator[Finding]:
    """A completed donation's match is a match of the same registration.

    Code ``three_donations.match-of-other-registration``; a match the dataset lacks is
    left to ``integrity.missing-reference``.
    """
    for d, m in with_referenced(
        dataset, "completed_donations", "match_id", "hla_matches", HlaMatch
    ):
        if m is not None and m.registration_id != d.registration_id:
            yield Finding(
                rule="three_donations.match-of-other-registration",
                severity=Severity.ERROR,
                subject=d.id,
                message=(
                    f"completed donation {d.id!r} of registration {d.registration_id!r} "
                    f"names match {m.id!r} of registration {m.registration_id!r}"
                ),
                figures={"match_id": m.id},
            )


def no_duplicate_registrations(dataset: Dataset) -> Iterator[Finding]:
    """One person is registered once for each kind at a time.

    Code ``three_donations.duplicate-registration``: a registration made while an earlier
    one of the same person and kind stood (was not withdrawn on or before its day),
    naming that one. Such a person counts once in the figures.
    """
    withdrawn: dict[str, date] = {}
    for w in dataset.records("consent_withdrawals", missing_ok=True):
        if isinstance(w, ConsentWithdrawal):
            first = withdrawn.get(w.registration_id)
            if first is None or w.on < first:
                withdrawn[w.registration_id] = w.on
    standing: dict[tuple[str, str], list[DonorRegistration]] = defaultdict(list)
    ordered = sorted(
        dataset.records("donor_registrations", missing_ok=True),
        key=lambda r: (r.registered_on, r.id),
    )
    for reg in ordered:
        group = standing[(reg.person_id, reg.kind.value)]
        earlier = next(
            (r for r in group if r.id not in withdrawn or withdrawn[r.id] > reg.registered_on),
            None,
        )
        group.append(reg)
        if earlier is not None and earlier.id != reg.id:
            yield Finding(
                rule="three_donations.duplicate-registration",
                severity=Severity.WARNING,
                subject=reg.id,
                message=(
                    f"registration {reg.id!r} registers person {reg.person_id!r} for "
                    f"{reg.kind} again while {earlier.id!r} stands"
                ),
                figures={"same_as": earlier.id},
            )


def blood_drives_count_their_donations(dataset: Dataset) -> Iterator[Finding]:
    """A blood drive's stated donors and days agree with the donations recorded at it.

    Codes ``three_donations.drive-below-named`` and
    ``three_donations.donation-off-drive-day``.
    """
    named: dict[str, int] = defaultdict(int)
    held: dict[str, BloodDrive] = {}
    for b, drive in with_referenced(
        dataset, "blood_donations", "drive_id", "blood_drives", BloodDrive
    ):
        if drive is None:
            continue
        named[drive.id] += 1
        held[drive.id] = drive
        if b.on != drive.on:
            yield Finding(
                rule="three_donations.donation-off-drive-day",
                severity=Severity.WARNING,
                subject=b.id,
                message=(
                    f"blood donation {b.id!r} is dated {b.on}, but drive {drive.id!r} was "
                    f"held on {drive.on}"
                ),
                figures={"drive_id": drive.id},
            )
    for drive_id, n in named.items():
        drive = held[drive_id]
        if drive.donors is not None and drive.donors < n:
            yield Finding(
                rule="three_donations.drive-below-named",
                severity=Severity.WARNING,
                subject=drive_id,
                message=(
                    f"blood drive {drive_id!r} states {drive.donors} donors but {n} "
                    "donations are recorded at it; the recorded ones are counted"
                ),
                figures={"stated": drive.donors, "named": n},
            )


THREE_DONATIONS_RULES: Final[tuple[Rule, ...]] = (
    registration_histories_are_legal,
    donations_answer_their_match,
    no_duplicate_registrations,
    blood_drives_count_their_donations,
)
"""The built-in rules of the three donations, in the order they run."""
