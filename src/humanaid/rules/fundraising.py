"""Fundraising rules: who may ask the public, receipts, in-kind values, dates, pledges.

Every rule here is a plain function from a dataset to findings; none raises on bad data.
The built-in ones are in :data:`humanaid.BUILTIN_RULES`. Two checks need to know what day
it is ("dated in the future", "past due"). A built-in rule that read the clock would give
a different answer tomorrow for the same data, so those are *rule factories* that take the
day explicitly; pass their rules to ``validate``:

>>> from datetime import date
>>> from humanaid import Dataset
>>> found = Dataset().validate(rules=as_of_rules(date(2020, 12, 31)))
>>> found.ok
True

Rule codes (``fundraising.*`` for gifts, pledges and campaigns, ``organizations.*`` for
the hierarchy of organisations and areas):

=====================================  ========  ==============================================
code                                   severity  what it finds
=====================================  ========  ==============================================
fundraising.unqualified-public-appeal  error     a public or online campaign, or an online gift
                                                 outside a campaign, run by a body without the
                                                 public-fundraising qualification on the day(s)
fundraising.missing-receipt            error     a gift to a Red Cross body with no receipt
                                                 number and no reason for none
fundraising.duplicate-receipt          error     a receipt number an organisation used twice
fundraising.in-kind-unvalued           warning   in-kind items unvalued or with no valuation basis
fundraising.in-kind-total              error     an in-kind gift whose stated value differs from
                                                 the sum of its (all valued) items
fundraising.in-kind-unitemised         info      an in-kind gift that lists no items
fundraising.before-existence           error     a gift received before its donor or its
                                                 recipient was founded
fundraising.fees-exceed-gift           error     fees larger than the gift
fundraising.refund-exceeds-gift        error     refunds of a gift adding up to more than it,
                                                 or a refund in another currency
fundraising.refund-before-gift         error     a refund dated before its gift was received
fundraising.duplicate-transaction      warning   a gift or refund entered again under the
                                                 transaction number of an earlier one
fundraising.pledge-overpaid            warning   more paid against a pledge than was promised
fundraising.pledge-mismatch            warning   a gift naming a pledge of another donor,
                                                 organisation or currency
fundraising.future-donation            error     (as of a day) a gift dated after that day
fundraising.pledge-overdue             warning   (as of a day) a pledge past due and not paid
integrity.missing-reference            error     a restriction naming an unknown fund or project
organizations.parent-cycle             error     organisations or areas that are their own
                                                 ancestors
organizations.level-order              warning   a Red Cross body under one of the same or a
                                                 lower level; an area under a deeper one
=====================================  ========  ==============================================
"""

from __future__ import annotations

import operator
import unicodedata
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from itertools import compress, repeat
from typing import TYPE_CHECKING, Any, Final

from humanaid.donors import (
    Campaign,
    Channel,
    Donation,
    DonationForm,
    Pledge,
    Refund,
    Restriction,
    ValuationBasis,
)
from humanaid.findings import Finding, Severity
from humanaid.ledger import not_booked
from humanaid.money import Money
from humanaid.organizations import AdminArea, Organization, QualificationKind
from humanaid.records import references
from humanaid.rules._helpers import finding, link_cycles

if TYPE_CHECKING:
    from humanaid.dataset import Dataset, Rule

__all__ = [
    "FUNDRAISING_RULES",
    "as_of_rules",
    "donations_before_existence",
    "duplicate_gift_transactions",
    "duplicate_receipts",
    "fees_exceeding_gifts",
    "future_donations",
    "hierarchy_level_order",
    "in_kind_valuation",
    "missing_receipts",
    "overdue_pledges",
    "overpaid_pledges",
    "parent_cycles",
    "refunds_within_gifts",
    "restriction_references",
    "unqualified_public_appeals",
]

_PUBLIC = QualificationKind.PUBLIC_FUNDRAISING
_FORM = operator.attrgetter("form")


def _first_of_each_id(dataset: Dataset, name: str) -> tuple[Any, ...]:
    """One record per id: the first, as the index keeps it.

    A duplicate id is reported by ``integrity.duplicate-id`` and must not make a rule meet
    two records as one.
    """
    return tuple(dataset.index(name, missing_ok=True).values())


# -- public fundraising -----------------------------------------------------------------------


def unqualified_public_appeals(dataset: Dataset) -> Iterator[Finding]:
    """Report public appeals by a body without the public-fundraising qualification.

    A campaign that is public (or runs on an online platform) must be run by a body that
    holds :attr:`~humanaid.QualificationKind.PUBLIC_FUNDRAISING` on every day of its
    period. The body is the campaign's host when it is hosted as a special fund by a
    qualified society (``Campaign.host_id``), and otherwise its organiser. An online
    gift that answers no campaign is a public appeal by its recipient, who must hold the
    qualification on the day it was received; so is an online gift to a campaign that is
    not public (an appeal on a platform is public whatever the campaign says). References
    to unknown records are left to ``integrity.missing-reference``.

    Rule code ``fundraising.unqualified-public-appeal``, severity ERROR.
    """
    orgs = dataset.index("organizations", missing_ok=True)
    campaign: Campaign
    for campaign in dataset.records("campaigns", missing_ok=True):
        if not campaign.public:
            continue
        body: Organization | None = orgs.get(campaign.responsible_id)
        if body is None:
            continue
        gap = body.first_day_without(_PUBLIC, campaign.period)
        if gap is None:
            continue
        if campaign.host_id is not None:
            message = (
                f"public campaign {campaign.id!r} is hosted by {body.id!r}, which does not hold "
                f"the public-fundraising qualification on {gap.isoformat()}"
            )
        else:
            message = (
                f"public campaign {campaign.id!r} is organised by {body.id!r}, which does not "
                f"hold the public-fundraising qualification on {gap.isoformat()}, and no "
                "qualified society hosts it"
            )
        yield Finding(
            rule="fundraising.unqualified-public-appeal",
            severity=Severity.ERROR,
            subject=campaign.id,
            message=message,
            figures={"organization": body.id, "first_day_without": gap},
        )
    campaigns = dataset.index("campaigns", missing_ok=True)
    # whether a recipient holds the qualification on a day, asked once per recipient and
    # day (a million gifts come in on a few thousand days)
    held: dict[tuple[str, date], bool] = {}
    gift: Donation
    for gift in dataset.records("donations", missing_ok=True):
        if gift.channel is not Channel.ONLINE_PLATFORM:
            continue
        if gift.campaign_id is not None:
            # A public campaign is checked above; an unknown one is a missing reference.
            # A private one does not make a gift that came in online any less public.
            answered: Campaign | None = campaigns.get(gift.campaign_id)
            if answered is None or answered.public:
                continue
        recipient: Organization | None = orgs.get(gift.organization_id)
        if recipient is None:
            continue
        key = (gift.organization_id, gift.received_on)
        holds = held.get(key)
        if holds is None:
            holds = held[key] = recipient.holds(_PUBLIC, on=gift.received_on)
        if holds:
            continue
        yield Finding(
            rule="fundraising.unqualified-public-appeal",
            severity=Severity.ERROR,
            subject=gift.id,
            message=(
                f"online gift {gift.id!r} went to {recipient.id!r}, which does not hold the "
                f"public-fundraising qualification on {gift.received_on.isoformat()}"
            ),
            figures={"organization": recipient.id, "first_day_without": gift.received_on},
        )


# -- receipts ---------------------------------------------------------------------------------


def missing_receipts(dataset: Dataset) -> Iterator[Finding]:
    """Report gifts to a Red Cross body with no receipt number and no reason for none.

    A Red Cross society issues a receipt (捐赠票据) for every gift it accepts; when it
    cannot or need not, the gift says why (``no_receipt_reason``).

    Rule code ``fundraising.missing-receipt``, severity ERROR.
    """
    orgs = dataset.index("organizations", missing_ok=True)
    gift: Donation
    for gift in dataset.records("donations", missing_ok=True):
        if gift.receipt_number is not None or gift.no_receipt_reason is not None:
            continue
        recipient: Organization | None = orgs.get(gift.organization_id)
        if recipient is None or not recipient.is_red_cross:
            continue
        yield Finding(
            rule="fundraising.missing-receipt",
            severity=Severity.ERROR,
            subject=gift.id,
            message=(
                f"gift {gift.id!r} to {recipient.id!r} has no receipt number and no reason for none"
            ),
            figures={"organization": recipient.id, "value": gift.value},
        )


def duplicate_receipts(dataset: Dataset) -> Iterator[Finding]:
    """Report a receipt number that one organisation used for more than one gift.

    Receipt numbers are unique per issuing organisation; the first gift with a number
    keeps it and each later gift with the same number is reported. Numbers are compared
    as a person reads them: surrounding spaces are ignored and full-width forms
    (``Ｒ１２３``) are the same as half-width ones (``R123``); letter case still counts.

    Rule code ``fundraising.duplicate-receipt``, severity ERROR.
    """
    # each organisation's numbers as a person reads them: NFKC (full width to half), no
    # outer spaces; an ASCII number is its own NFKC form, so it is only stripped
    first: dict[str, dict[str, str]] = {}
    normalize = unicodedata.normalize
    gift: Donation
    for gift in dataset.records("donations", missing_ok=True):
        number = gift.receipt_number
        if number is None:
            continue
        mine = first.get(gift.organization_id)
        if mine is None:
            mine = first[gift.organization_id] = {}
        key = number.strip() if number.isascii() else normalize("NFKC", number).strip()
        earlier = mine.setdefault(key, gift.id)
        if earlier == gift.id:
            continue
        yield Finding(
            rule="fundraising.duplicate-receipt",
            severity=Severity.ERROR,
            subject=gift.id,
            message=(
                f"gift {gift.id!r} uses receipt number {number!r} of "
                f"{gift.organization_id!r}, already used by gift {earlier!r}"
            ),
            figures={"receipt_number": number, "first_donation": earlier},
        )


# -- in-kind gifts ----------------------------------------------------------------------------


def in_kind_valuation(dataset: Dataset) -> Iterator[Finding]:
    """Report in-kind gifts whose goods are not properly valued.

    * ``fundraising.in-kind-unvalued`` (WARNING): items marked ``UNVALUED`` or with no
      valuation basis recorded.
    * ``fundraising.in-kind-total`` (ERROR): every item is valued, and the gift's stated
      value differs from the exact sum of the items' values.
    * ``fundraising.in-kind-unitemised`` (INFO): an in-kind gift that lists no items, so
      its value cannot be checked.
    """
    gifts: tuple[Donation, ...] = dataset.records("donations", missing_ok=True)
    # the in-kind gifts (a few in a million) picked out at C speed
    in_kind = compress(gifts, map(operator.is_, map(_FORM, gifts), repeat(DonationForm.IN_KIND)))
    gift: Donation
    for gift in in_kind:
        if not gift.items:
            yield Finding(
                rule="fundraising.in-kind-unitemised",
                severity=Severity.INFO,
                subject=gift.id,
                message=f"in-kind gift {gift.id!r} lists no items; its value is unchecked",
                figures={"value": gift.value},
            )
            continue
        unvalued = sum(1 for item in gift.items if item.unit_value is None)
        no_basis = sum(
            1
            for item in gift.items
            if item.valuation is None or item.valuation is ValuationBasis.UNVALUED
        )
        if no_basis:
            yield Finding(
                rule="fundraising.in-kind-unvalued",
                severity=Severity.WARNING,
                subject=gift.id,
                message=(
                    f"in-kind gift {gift.id!r} has {no_basis} of {len(gift.items)} items "
                    "unvalued or without a valuation basis"
                ),
                figures={"items": len(gift.items), "without_basis": no_basis},
            )
        if unvalued:
            continue
        total = gift.items_value
        if total != gift.value:
            yield Finding(
                rule="fundraising.in-kind-total",
                severity=Severity.ERROR,
                subject=gift.id,
                message=(
                    f"in-kind gift {gift.id!r} states {gift.value} but its items add up to {total}"
                ),
                figures={
                    "stated": gift.value,
                    "items_total": total,
                    "difference": gift.value - total,
                },
            )


# -- dates, fees ------------------------------------------------------------------------------


def donations_before_existence(dataset: Dataset) -> Iterator[Finding]:
    """Report gifts received before their donor or their recipient existed.

    The donor's existence starts at its ``registered_on`` day, or at the ``founded_on``
    day of the organisation it is (``Donor.organization_id``); the recipient's at its
    ``founded_on`` day. Unknown dates are not checked.

    Rule code ``fundraising.before-existence``, severity ERROR.
    """
    donors = dataset.index("donors", missing_ok=True)
    orgs = dataset.index("organizations", missing_ok=True)
    # The last day each donor and each recipient began, found once (date.min when none is
    # known, and for a gift's unknown donor or recipient, which is checked against
    # nothing): a gift received on or after both passes every check. One lookup a party,
    # its value the day itself (at a million gifts, each object read is a cache miss).
    by_donor: dict[str | None, _Checks] = {i: _donor_checks(donors, orgs, i) for i in donors}
    by_recipient = {i: _recipient_checks(orgs, i) for i in orgs}
    after_donor = {i: _began(checks) for i, checks in by_donor.items()}.get
    after_recipient = {i: _began(checks) for i, checks in by_recipient.items()}.get
    days: dict[date, str] = {}
    reasons: dict[tuple[str, str, date | None], str] = {}
    gift: Donation
    for gift in dataset.records("donations", missing_ok=True):
        on = gift.received_on
        if on >= after_donor(gift.donor_id, _NEVER) and on >= after_recipient(
            gift.organization_id, _NEVER
        ):
            continue
        mine = by_donor.get(gift.donor_id)
        theirs = by_recipient.get(gift.organization_id)
        checks = (mine[0] if mine is not None else []) + (theirs[0] if theirs is not None else [])
        for check in checks:
            role, who, began = check
            if began is None or on >= began:
                continue
            # a tenth of the gifts may be found: the message's parts made once a day
            # and once a donor or recipient, not once a finding
            day = days.get(on)
            if day is None:
                day = days[on] = on.isoformat()
            why = reasons.get(check)
            if why is None:
                why = reasons[check] = f"before its {role} {who!r} existed ({began.isoformat()})"
            yield finding(
                rule="fundraising.before-existence",
                severity=Severity.ERROR,
                subject=gift.id,
                message=f"gift {gift.id!r} was received on {day}, {why}",
                figures={"role": role, "id": who, "received_on": on, "began": began},
            )
            break


_NEVER: Final = date.min
"""The day a party with no known beginning began: every gift is on or after it."""


def _began(checks: _Checks) -> date:
    return _NEVER if checks[1] is None else checks[1]


_Checks = tuple[list[tuple[str, str, date | None]], date | None]
"""Who a gift is checked against and the day each began; and the latest of those days."""


def _latest(checks: list[tuple[str, str, date | None]]) -> _Checks:
    days = [began for _, _, began in checks if began is not None]
    return checks, max(days) if days else None


def _donor_checks(
    donors: Mapping[str, Any], orgs: Mapping[str, Any], donor_id: str | None
) -> _Checks:
    """When a gift's donor began: its registration, and the founding of the body it is."""
    checks: list[tuple[str, str, date | None]] = []
    donor = donors.get(donor_id) if donor_id is not None else None
    if donor is not None:
        checks.append(("donor", donor.id, donor.registered_on))
        as_org = orgs.get(donor.organization_id) if donor.organization_id else None
        if as_org is not None:
            checks.append(("donor", donor.id, as_org.founded_on))
    return _latest(checks)


def _recipient_checks(orgs: Mapping[str, Any], organization_id: str) -> _Checks:
    """When a gift's recipient began: its founding."""
    recipient = orgs.get(organization_id)
    if recipient is None:
        return [], None
    return _latest([("organization", recipient.id, recipient.founded_on)])


def fees_exceeding_gifts(dataset: Dataset) -> Iterator[Finding]:
    """Report gifts whose fees are larger than the gift itself (a negative net).

    Rule code ``fundraising.fees-exceed-gift``, severity ERROR.
    """
    gift: Donation
    for gift in dataset.records("donations", missing_ok=True):
        if gift.fees > gift.value:
            yield Finding(
                rule="fundraising.fees-exceed-gift",
                severity=Severity.ERROR,
                subject=gift.id,
                message=f"gift {gift.id!r} of {gift.value} has fees of {gift.fees}",
                figures={"value": gift.value, "fees": gift.fees, "net": gift.net},
            )


def _check_as_of(as_of: object) -> None:
    """Refuse anything but a plain date: a datetime cannot be compared with a gift's day."""
    if isinstance(as_of, datetime):
        raise TypeError(f"'as_of' must be a datetime.date, not a datetime (got {as_of!r})")
    if not isinstance(as_of, date):
        raise TypeError(f"'as_of' must be a datetime.date (got {as_of!r})")


def future_donations(as_of: date) -> Rule:
    """Make a rule that reports gifts dated after ``as_of``.

    Pass the rule to ``validate(rules=[...])``; ``as_of`` is usually the day the data was
    extracted or the end of the reporting period. Rule code
    ``fundraising.future-donation``, severity ERROR.

    >>> from humanaid import Dataset
    >>> rule = future_donations(date(2020, 12, 31))
    >>> list(rule(Dataset()))
    []
    """
    _check_as_of(as_of)

    def rule(dataset: Dataset) -> Iterator[Finding]:
        gift: Donation
        for gift in dataset.records("donations", missing_ok=True):
            if gift.received_on > as_of:
                yield Finding(
                    rule="fundraising.future-donation",
                    severity=Severity.ERROR,
                    subject=gift.id,
                    message=(
                        f"gift {gift.id!r} is dated {gift.received_on.isoformat()}, after "
                        f"{as_of.isoformat()}"
                    ),
                    figures={"received_on": gift.received_on, "as_of": as_of},
                )

    rule.__name__ = rule.__qualname__ = f"future_donations({as_of.isoformat()})"
    return rule


# -- pledges ----------------------------------------------------------------------------------


def _pledge_payments(
    dataset: Dataset, *, report: bool
) -> tuple[dict[str, list[Donation]], list[Finding]]:
    """Group gifts by the pledge they name, keeping those that can count towards it.

    A gift in another currency than its pledge cannot count; one from another donor or to
    another organisation still counts but is suspicious. Both are findings.
    """
    pledges = dataset.index("pledges", missing_ok=True)
    paying: dict[str, list[Donation]] = defaultdict(list)
    found: list[Finding] = []
    gift: Donation
    for gift in dataset.records("donations", missing_ok=True):
        if gift.pledge_id is None:
            continue
        pledge: Pledge | None = pledges.get(gift.pledge_id)
        if pledge is None:
            continue
        problems = []
        if gift.donor_id != pledge.donor_id:
            problems.append("donor")
        if gift.organization_id != pledge.organization_id:
            problems.append("organization")
        same_currency = gift.value.currency == pledge.amount.currency
        if not same_currency:
            problems.append("currency")
        if same_currency:
            paying[pledge.id].append(gift)
        if problems and report:
            found.append(
                Finding(
                    rule="fundraising.pledge-mismatch",
                    severity=Severity.WARNING,
                    subject=gift.id,
                    message=(
                        f"gift {gift.id!r} names pledge {pledge.id!r} but differs from it in "
                        f"{', '.join(problems)}"
                        + ("; it does not count towards it" if not same_currency else "")
                    ),
                    figures={"pledge": pledge.id, "differs_in": ", ".join(problems)},
                )
            )
    return paying, found


def overpaid_pledges(dataset: Dataset) -> Iterator[Finding]:
    """Report pledges paid beyond their amount, and gifts that do not match their pledge.

    * ``fundraising.pledge-overpaid`` (WARNING): the gifts naming a pledge add up to more
      than it promised.
    * ``fundraising.pledge-mismatch`` (WARNING): a gift names a pledge of another donor,
      another organisation or another currency (a gift in another currency does not
      count towards the pledge).
    """
    paying, found = _pledge_payments(dataset, report=True)
    yield from found
    pledge: Pledge
    for pledge in _first_of_each_id(dataset, "pledges"):
        gifts = paying.get(pledge.id, ())
        extra = pledge.overpaid(gifts)
        if extra.is_positive():
            yield Finding(
                rule="fundraising.pledge-overpaid",
                severity=Severity.WARNING,
                subject=pledge.id,
                message=(
                    f"pledge {pledge.id!r} of {pledge.amount} was paid {extra} more than promised"
                ),
                figures={"amount": pledge.amount, "paid": pledge.paid(gifts), "overpaid": extra},
            )


def overdue_pledges(as_of: date) -> Rule:
    """Make a rule that reports pledges past due and not paid as of ``as_of``.

    What fell due before ``as_of`` is compared with the gifts received by ``as_of``
    that count towards the pledge. Rule code ``fundraising.pledge-overdue``, severity
    WARNING.
    """
    _check_as_of(as_of)

    def rule(dataset: Dataset) -> Iterator[Finding]:
        paying, _ = _pledge_payments(dataset, report=False)
        pledge: Pledge
        for pledge in _first_of_each_id(dataset, "pledges"):
            gifts = paying.get(pledge.id, ())
            late = pledge.overdue(gifts, as_of=as_of)
            if late.is_positive():
                yield Finding(
                    rule="fundraising.pledge-overdue",
                    severity=Severity.WARNING,
                    subject=pledge.id,
                    message=(
                        f"pledge {pledge.id!r} has {late} past due and unpaid as of "
                        f"{as_of.isoformat()}"
                    ),
                    figures={
                        "overdue": late,
                        "paid": pledge.paid(gifts, as_of=as_of),
                        "as_of": as_of,
                    },
                )

    rule.__name__ = rule.__qualname__ = f"overdue_pledges({as_of.isoformat()})"
    return rule


def as_of_rules(as_of: date) -> tuple[Rule, ...]:
    """The fundraising rules that need to know the day: future gifts, overdue pledges.

    >>> [r.__name__ for r in as_of_rules(date(2020, 12, 31))]
    ['future_donations(2020-12-31)', 'overdue_pledges(2020-12-31)']
    """
    return (future_donations(as_of), overdue_pledges(as_of))


# -- references inside restrictions ------------------------------------------------------------


def restriction_references(dataset: Dataset) -> Iterator[Finding]:
    """Report restrictions that name a fund or project the dataset does not have.

    The integrity rule checks a record's own reference fields; a donation's restriction
    is a record inside the donation, so its references are checked here, under the same
    code ``integrity.missing-reference`` (ERROR). Collections the dataset lacks are
    skipped.
    """
    types_ = dataset.collection_types()
    refs = {f: t for f, t in references(Restriction).items() if t in types_}
    gift: Donation
    for gift in dataset.records("donations", missing_ok=True):
        restriction = gift.restricted_to
        if restriction is None:
            continue
        for field, target in refs.items():
            value = getattr(restriction, field)
            if value is None or value in dataset.index(target):
                continue
            yield Finding(
                rule="integrity.missing-reference",
                severity=Severity.ERROR,
                subject=gift.id,
                message=(
                    f"donations {gift.id!r} refers in 'restricted_to.{field}' to {value!r}, "
                    f"which is not in {target!r}"
                ),
                figures={
                    "collection": "donations",
                    "field": f"restricted_to.{field}",
                    "target": target,
                },
            )


# -- hierarchies ------------------------------------------------------------------------------


def parent_cycles(dataset: Dataset) -> Iterator[Finding]:
    """Report organisations or areas that are, through their parents, their own ancestor.

    Rule code ``organizations.parent-cycle``, severity ERROR, one finding per cycle, about
    the smallest id on it.
    """
    for name in ("organizations", "admin_areas"):
        parents = {i: r.parent_id for i, r in dataset.index(name, missing_ok=True).items()}
        for cycle in link_cycles(parents):
            ids = sorted(cycle)
            yield Finding(
                rule="organizations.parent-cycle",
                severity=Severity.ERROR,
                subject=ids[0],
                message=f"{name} {', '.join(repr(i) for i in ids)} are each other's parents",
                figures={"collection": name, "length": len(ids)},
            )


def hierarchy_level_order(dataset: Dataset) -> Iterator[Finding]:
    """Report parents that sit no higher than their children.

    A Red Cross body under a Red Cross body of the same or a lower level, and an area
    under an area at the same or a greater depth, are reported.

    Rule code ``organizations.level-order``, severity WARNING.
    """
    orgs = dataset.index("organizations", missing_ok=True)
    org: Organization
    for org in dataset.records("organizations", missing_ok=True):
        parent: Organization | None = orgs.get(org.parent_id) if org.parent_id else None
        if parent is None or not (org.is_red_cross and parent.is_red_cross):
            continue
        if org.level is None or parent.level is None or parent.level.rank < org.level.rank:
            continue
        yield Finding(
            rule="organizations.level-order",
            severity=Severity.WARNING,
            subject=org.id,
            message=(
                f"{org.level.value} body {org.id!r} sits under {parent.id!r}, which is at "
                f"level {parent.level.value}"
            ),
            figures={"level": org.level.value, "parent_level": parent.level.value},
        )
    areas = dataset.index("admin_areas", missing_ok=True)
    area: AdminArea
    for area in dataset.records("admin_areas", missing_ok=True):
        up: AdminArea | None = areas.get(area.parent_id) if area.parent_id else None
        if up is None or up.level.depth < area.level.depth:
            continue
        yield Finding(
            rule="organizations.level-order",
            severity=Severity.WARNING,
            subject=area.id,
            message=(
                f"{area.level.value} area {area.id!r} sits under {up.id!r}, which is at "
                f"level {up.level.value}"
            ),
            figures={"level": area.level.value, "parent_level": up.level.value},
        )


# -- refunds and gifts entered twice --------------------------------------------------------


def refunds_within_gifts(dataset: Dataset) -> Iterator[Finding]:
    """A gift's refunds fit in it: never before it, never more than it, in its currency.

    Refunds are taken by day, then id; reversed refunds and refunds entered twice are
    left out (:func:`humanaid.not_booked`), as the books leave them out. A refund of a
    gift the dataset lacks is ``integrity.missing-reference``'s to report.

    Rule code ``fundraising.refund-before-gift``, severity ERROR: a refund dated before
    its gift was received (left out of the books: one of the two days is wrong).

    Rule code ``fundraising.refund-exceeds-gift``, severity ERROR: the refund that takes
    the gift's refunds past its value (``figures``: the gift's value, what its refunds
    add up to by then); or a refund in another currency than its gift (left out of the
    books).
    """
    refunds: tuple[Refund, ...] = dataset.records("refunds", missing_ok=True)
    if not refunds:
        return
    skipped = not_booked(dataset)
    gifts = dataset.index("donations", missing_ok=True)
    refunded: dict[str, Money] = {}
    for refund in sorted(refunds, key=lambda r: (r.on, r.id)):
        gift: Donation | None = gifts.get(refund.donation_id)
        if gift is None or ("refunds", refund.id) in skipped:
            continue
        if refund.on < gift.received_on:
            yield Finding(
                rule="fundraising.refund-before-gift",
                severity=Severity.ERROR,
                subject=refund.id,
                message=(
                    f"refund {refund.id!r} on {refund.on.isoformat()} is before gift "
                    f"{gift.id!r} was received on {gift.received_on.isoformat()}"
                ),
                figures={"on": refund.on, "received_on": gift.received_on},
            )
            continue
        if refund.amount.currency != gift.value.currency:
            yield Finding(
                rule="fundraising.refund-exceeds-gift",
                severity=Severity.ERROR,
                subject=refund.id,
                message=(
                    f"refund {refund.id!r} is in {refund.amount.currency}, gift "
                    f"{gift.id!r} in {gift.value.currency}: it is left out of the books"
                ),
                figures={"amount": refund.amount, "value": gift.value},
            )
            continue
        before = refunded.get(gift.id, Money.zero(gift.value.currency))
        total = refunded[gift.id] = before + refund.amount
        if total > gift.value and before <= gift.value:
            yield Finding(
                rule="fundraising.refund-exceeds-gift",
                severity=Severity.ERROR,
                subject=refund.id,
                message=(
                    f"refund {refund.id!r} brings the refunds of gift {gift.id!r} to "
                    f"{total.format(grouping=True)}, more than its value "
                    f"{gift.value.format(grouping=True)}"
                ),
                figures={"refunded": total, "value": gift.value},
            )


def duplicate_gift_transactions(dataset: Dataset) -> Iterator[Finding]:
    """A gift or refund entered again under the transaction number of an earlier one.

    The first of a number (by day, then id) is booked; each later one is not, so the
    money is counted once (:func:`humanaid.not_booked`). Rule code
    ``fundraising.duplicate-transaction``, severity WARNING: one finding per later entry,
    naming the first (``same_as``) and saying whether the two amounts agree.
    """
    if not any(
        r.transaction_ref is not None
        for name in ("donations", "refunds")
        for r in dataset.records(name, missing_ok=True)
    ):
        return
    for (collection, record_id), why in not_booked(dataset).items():
        if collection not in ("donations", "refunds") or not why.startswith("duplicate of "):
            continue
        first_id = why.removeprefix("duplicate of ")
        index = dataset.index(collection)
        record, first = index.get(record_id), index.get(first_id)
        if record is None or first is None:
            continue
        amount = record.value if collection == "donations" else record.amount
        first_amount = first.value if collection == "donations" else first.amount
        noun = "gift" if collection == "donations" else "refund"
        agree = (
            "the same amount"
            if amount == first_amount
            else (f"{amount.format(grouping=True)} against {first_amount.format(grouping=True)}")
        )
        yield Finding(
            rule="fundraising.duplicate-transaction",
            severity=Severity.WARNING,
            subject=record_id,
            message=(
                f"{noun} {record_id!r} carries the transaction number of {noun} {first_id!r} "
                f"({agree}): booked once, as {first_id!r}"
            ),
            figures={"collection": collection, "same_as": first_id},
        )


FUNDRAISING_RULES: Final[tuple[Rule, ...]] = (
    unqualified_public_appeals,
    missing_receipts,
    duplicate_receipts,
    in_kind_valuation,
    donations_before_existence,
    fees_exceeding_gifts,
    refunds_within_gifts,
    duplicate_gift_transactions,
    overpaid_pledges,
    restriction_references,
    parent_cycles,
    hierarchy_level_order,
)
"""The built-in fundraising and hierarchy rules, in the order they run."""
