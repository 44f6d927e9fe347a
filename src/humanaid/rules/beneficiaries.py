"""Rules about who is helped: duplicates, double benefits and case payments.

Every finding names records by id only: never a name, an ID number, a phone or a
condition. The duplicate rules also work on redacted datasets, through the pseudonyms
(:func:`humanaid.redact`), because a pseudonym is the same wherever its value was.

* ``beneficiaries.duplicate-id-number`` (ERROR): two persons with one resident ID number;
* ``beneficiaries.probable-duplicate`` (WARNING): the same name (compared by
  :func:`~humanaid.name_key`), birth date and area, and no two different ID numbers;
* ``beneficiaries.repeated-distribution`` (WARNING): a household reached in two rounds of
  one drive (:attr:`humanaid.Distribution.drive`);
* ``beneficiaries.household-overfull`` (WARNING): more persons listed in a household than
  it has members;
* ``beneficiaries.head-elsewhere`` (WARNING): a household's head listed in another
  household;
* ``organizations.area-outside-parent`` (WARNING): an area with a Chinese division code
  under a parent whose code does not contain it (a Yunnan city under Guangdong);
* ``cases.duplicate-open-case`` (WARNING): one person with two open cases for one
  condition;
* ``cases.paid-over-approved`` (ERROR): more paid than approved, or paid unapproved;
* ``cases.payment-not-in-ledger`` (ERROR): a paid amount that differs from the ledger's
  flows to the case;
* ``cases.payment-before-case`` (ERROR): a flow pays a case (or stems from one) on a day
  before the case was opened (:func:`humanaid.payments_before_case`); every figure
  leaves it out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING

from humanaid.beneficiaries import Household, Person, name_key
from humanaid.cases import Case, Distribution
from humanaid.findings import Finding, Severity
from humanaid.funds import FlowKind, PartyKind
from humanaid.money import Money
from humanaid.organizations import AdminArea
from humanaid.projects import payments_before_case

if TYPE_CHECKING:
    from humanaid.dataset import Dataset

__all__ = [
    "areas_within_their_parents",
    "case_payments_in_ledger",
    "duplicate_id_numbers",
    "duplicate_open_cases",
    "household_heads_at_home",
    "households_not_overfull",
    "paid_over_approved",
    "payments_after_their_case",
    "probable_duplicate_persons",
    "repeated_distributions",
]


def _id_token(person: Person) -> Hashable | None:
    if person.id_number is not None:
        return ("id", person.id_number)
    if person.pseudonyms is not None and person.pseudonyms.id_number is not None:
        return ("ps", person.pseudonyms.id_number)
    return None


def _name_token(person: Person) -> Hashable | None:
    if person.name is not None:
        return ("name", name_key(person.name))
    if person.pseudonyms is not None and person.pseudonyms.name is not None:
        return ("ps", person.pseudonyms.name)
    return None


def duplicate_id_numbers(dataset: Dataset) -> Iterator[Finding]:
    """Two or more persons carry one resident ID number (or one ID-number pseudonym).

    Rule code ``beneficiaries.duplicate-id-number``, severity ERROR: one finding for each
    person after the first with the number, naming the first (``same_as``).
    """
    first: dict[Hashable, str] = {}
    for person in dataset.records("persons"):
        token = _id_token(person)
        if token is None:
            continue
        if token not in first:
            first[token] = person.id
            continue
        other = first[token]
        yield Finding(
            rule="beneficiaries.duplicate-id-number",
            severity=Severity.ERROR,
            subject=person.id,
            message=f"person {person.id!r} has the same resident ID number as {other!r}",
            figures={"same_as": other},
        )


def probable_duplicate_persons(dataset: Dataset) -> Iterator[Finding]:
    """Persons with the same name, birth date and area: probably one person twice.

    Names are compared by :func:`~humanaid.name_key` (so 张三, 张 三 and the full-width or
    compatibility forms match); the birth date is ``birth_date`` or the one in the ID
    number; the area is the person's, else their household's. Persons missing any of
    the three are not compared. A pair that shares an ID number is left to
    ``beneficiaries.duplicate-id-number``; a pair whose ID numbers differ are two people
    (the check character rules out a mistyped digit) and are not reported. Rule code
    ``beneficiaries.probable-duplicate``, severity WARNING: one finding per person after
    the first of a group, naming the first it may be.
    """
    households = dataset.index("households")
    groups: dict[Hashable, _Group] = defaultdict(_Group)
    for person in dataset.records("persons"):
        name = _name_token(person)
        born = person.born_on
        area = person.area_id
        if area is None and person.household_id is not None:
            home = households.get(person.household_id)
            area = None if home is None else home.area_id
        if name is None or born is None or area is None:
            continue
        first = groups[(name, born, area)].first_match(person)
        if first is None:
            continue
        yield Finding(
            rule="beneficiaries.probable-duplicate",
            severity=Severity.WARNING,
            subject=person.id,
            message=(
                f"person {person.id!r} has the name, birth date and area of {first.id!r}: "
                "probably the same person registered twice"
            ),
            figures={"same_as": first.id, "area": area},
        )


class _Group:
    """The persons of one name, birth date and area seen so far, as much as matching needs.

    A newcomer is the first earlier person it may be: the first earlier one without an
    ID number, unless an earlier one still carries its own number (then the pair is left
    to ``beneficiaries.duplicate-id-number``); two different ID numbers are two people.
    So only two things are kept: the first person without a number, and where each
    number first appeared. Each newcomer costs the same however large the group (20,000
    persons of one name, birth date and village took 28 s when each was compared with
    every earlier one).
    """

    __slots__ = ("count", "first", "first_without_id", "token_at")

    def __init__(self) -> None:
        self.count = 0
        self.first: Person | None = None
        self.first_without_id: tuple[int, Person] | None = None
        self.token_at: dict[Hashable, int] = {}

    def first_match(self, person: Person) -> Person | None:
        """The earlier person ``person`` may be (or ``None``), then count it in."""
        mine = _id_token(person)
        found: Person | None
        if mine is None:
            found = self.first
        else:
            same_at = self.token_at.get(mine)
            without = self.first_without_id
            if without is None or (same_at is not None and same_at < without[0]):
                found = None
            else:
                found = without[1]
            self.token_at.setdefault(mine, self.count)
        if self.first is None:
            self.first = person
        if mine is None and self.first_without_id is None:
            self.first_without_id = (self.count, person)
        self.count += 1
        return found


def repeated_distributions(dataset: Dataset) -> Iterator[Finding]:
    """A household reached in two or more rounds of a drive that should reach it once.

    A drive is a campaign, or a programme in one calendar year
    (:attr:`~humanaid.Distribution.drive`); its rounds are waves that reach different
    households. Several distributions in the same round (rice and oil as two records)
    are one handout. Rule code ``beneficiaries.repeated-distribution``, severity
    WARNING: one finding per distribution in a later round than the household's first.
    """
    by_key: dict[tuple[str, str], list[Distribution]] = defaultdict(list)
    for d in dataset.records("distributions"):
        drive = d.drive
        if drive is not None:
            by_key[(drive, d.household_id)].append(d)
    for (drive, household_id), handouts in by_key.items():
        if len({d.round for d in handouts}) < 2:
            continue
        handouts.sort(key=lambda d: (d.round, d.on, d.id))
        first = handouts[0]
        for d in handouts:
            if d.round == first.round:
                continue
            yield Finding(
                rule="beneficiaries.repeated-distribution",
                severity=Severity.WARNING,
                subject=d.id,
                message=(
                    f"household {household_id!r} received {drive} again in round {d.round} "
                    f"({d.id!r}) after round {first.round} ({first.id!r})"
                ),
                figures={
                    "household": household_id,
                    "drive": drive,
                    "round": d.round,
                    "first_round": first.round,
                    "first": first.id,
                },
            )


def households_not_overfull(dataset: Dataset) -> Iterator[Finding]:
    """More persons list a household than it has members.

    Rule code ``beneficiaries.household-overfull``, severity WARNING. (Fewer is fine:
    members need not be listed one by one.)
    """
    listed: dict[str, int] = defaultdict(int)
    for person in dataset.records("persons"):
        if person.household_id is not None:
            listed[person.household_id] += 1
    home: Household
    for home in dataset.records("households"):
        n = listed.get(home.id, 0)
        if n > home.members:
            yield Finding(
                rule="beneficiaries.household-overfull",
                severity=Severity.WARNING,
                subject=home.id,
                message=(
                    f"household {home.id!r} has {home.members} members but {n} persons are "
                    "listed in it"
                ),
                figures={"members": home.members, "listed": n},
            )


def household_heads_at_home(dataset: Dataset) -> Iterator[Finding]:
    """A household's head is listed as a member of another household.

    Rule code ``beneficiaries.head-elsewhere``, severity WARNING. A head whose
    ``household_id`` is empty, or who is not in the dataset (the integrity rule reports
    that), is not reported here.
    """
    persons = dataset.index("persons")
    for home in dataset.records("households"):
        if home.head_id is None:
            continue
        head = persons.get(home.head_id)
        if head is None or head.household_id is None or head.household_id == home.id:
            continue
        yield Finding(
            rule="beneficiaries.head-elsewhere",
            severity=Severity.WARNING,
            subject=home.id,
            message=(
                f"household {home.id!r} is headed by {head.id!r}, who is listed in household "
                f"{head.household_id!r}"
            ),
            figures={"head": head.id, "listed_in": head.household_id},
        )


def duplicate_open_cases(dataset: Dataset) -> Iterator[Finding]:
    """One person with two or more open cases for the same condition: a double benefit.

    Cases without a condition (not medical, not yet diagnosed, or redacted) are not
    compared. The message names the cases and the person, never the condition. Rule
    code ``cases.duplicate-open-case``, severity WARNING: one finding per open case
    after the person's first (by referral date, then id).
    """
    groups: dict[tuple[str, str], list[Case]] = defaultdict(list)
    for case in dataset.records("cases"):
        if case.person_id is None or case.condition is None or not case.is_open:
            continue
        groups[(case.person_id, case.condition.value)].append(case)
    for (person_id, _), cases in groups.items():
        if len(cases) < 2:
            continue
        cases.sort(key=lambda c: (c.opened_on, c.id))
        first = cases[0]
        for case in cases[1:]:
            yield Finding(
                rule="cases.duplicate-open-case",
                severity=Severity.WARNING,
                subject=case.id,
                message=(
                    f"case {case.id!r} is open for person {person_id!r} for the same "
                    f"condition as open case {first.id!r}"
                ),
                figures={"person": person_id, "same_as": first.id},
            )


def paid_over_approved(dataset: Dataset) -> Iterator[Finding]:
    """A case paid more than was approved, or paid without an approved amount.

    Rule code ``cases.paid-over-approved``, severity ERROR.
    """
    for case in dataset.records("cases"):
        paid = case.paid
        if paid is None or not paid.is_positive():
            continue
        approved = case.approved
        if approved is None:
            yield Finding(
                rule="cases.paid-over-approved",
                severity=Severity.ERROR,
                subject=case.id,
                message=(
                    f"case {case.id!r} was paid {paid.format(grouping=True)} without an "
                    "approved amount"
                ),
                figures={"paid": paid},
            )
        elif paid > approved:
            yield Finding(
                rule="cases.paid-over-approved",
                severity=Severity.ERROR,
                subject=case.id,
                message=(
                    f"case {case.id!r} was paid {paid.format(grouping=True)}, "
                    f"{(paid - approved).format(grouping=True)} more than the "
                    f"{approved.format(grouping=True)} approved"
                ),
                figures={"paid": paid, "approved": approved, "excess": paid - approved},
            )


def case_payments_in_ledger(dataset: Dataset) -> Iterator[Finding]:
    """A case's paid amount equals what the ledger moved to it.

    The ledger's amount for a case is the sum of the flows that pay it: those whose
    destination is the case (``Party.case(id)``) and those that stem from it (the
    payment the ledger derives for a paid case, to its hospital or patient, names the
    case as its origin), less refunds flowing back from it. The ledger is the whole one
    (:meth:`Dataset.ledger <humanaid.Dataset.ledger>`), flows derived from the records
    included, so a case paid through its derived flow agrees with itself. The rule runs
    only when the ledger tracks case payments at all (some flow pays a case or comes
    back from one); then a case with a paid amount and no flows is reported too. Rule
    code ``cases.payment-not-in-ledger``, severity ERROR.
    """
    if not dataset.records("cases", missing_ok=True):
        return  # no case to check (a flow to an unknown case is integrity's to report)
    moved: dict[str, dict[str, Money]] = defaultdict(dict)
    tracked = False
    ledger = dataset.ledger()
    split = ledger._without_gifts()
    # A gift's flows go from a donor or the outside to a fund or organisation, and on to
    # a platform, and stem from the donation: none pays a case or comes back from one,
    # so a ledger holding its gifts as donations is read without them.
    for flow in ledger.flows if split is None else split[0]:
        paid_case: str | None = None
        if flow.destination.kind is PartyKind.CASE:
            paid_case = flow.destination.id
        elif flow.origin is not None and flow.origin.collection == "cases":
            paid_case = flow.origin.id
        if paid_case is not None and flow.kind is not FlowKind.REFUND:
            tracked = True
            into = moved[paid_case]
            cur = flow.amount.currency
            into[cur] = into.get(cur, Money.zero(cur)) + flow.amount
        elif flow.source.kind is PartyKind.CASE:
            tracked = True
            if flow.kind is FlowKind.REFUND:
                out = moved[flow.source.id]
                cur = flow.amount.currency
                out[cur] = out.get(cur, Money.zero(cur)) - flow.amount
    if not tracked:
        return
    for case in dataset.records("cases"):
        flows = {c: m for c, m in moved.get(case.id, {}).items() if not m.is_zero()}
        paid = case.paid
        recorded = {} if paid is None or paid.is_zero() else {paid.currency: paid}
        if flows == recorded:
            continue
        currency = paid.currency if paid is not None else next(iter(flows), "CNY")
        in_ledger = flows.get(currency, Money.zero(currency))
        shown_paid = paid if paid is not None else Money.zero(currency)
        others = sorted(c for c in flows if c != currency)
        extra = f" (and flows in {', '.join(others)})" if others else ""
        yield Finding(
            rule="cases.payment-not-in-ledger",
            severity=Severity.ERROR,
            subject=case.id,
            message=(
                f"case {case.id!r} records {shown_paid.format(grouping=True)} paid but the "
                f"ledger moved {in_ledger.format(grouping=True)} to it{extra}"
            ),
            figures={"paid": shown_paid, "in_ledger": in_ledger},
        )


def payments_after_their_case(dataset: Dataset) -> Iterator[Finding]:
    """No flow pays a case on a day before the case was opened.

    The findings are those of :func:`humanaid.payments_before_case`, which the figures
    use to leave such payments out (project spending, the year at a glance), so the rule
    and the figures always agree. Rule code ``cases.payment-before-case``, severity
    ERROR.
    """
    for found in payments_before_case(dataset).values():
        # the same finding as the figures', made here too so the rule says what it emits
        yield Finding(
            rule="cases.payment-before-case",
            severity=Severity.ERROR,
            subject=found.subject,
            message=found.message,
            figures=found.figures,
        )


def _cn_prefix(code: str) -> str:
    """The digits every division inside a Chinese division code starts with."""
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def areas_within_their_parents(dataset: Dataset) -> Iterator[Finding]:
    """An area with a Chinese division code sits under a parent whose code contains it.

    A Chinese code says where the area lies: ``530326`` (会泽县) is in ``530300`` (曲靖市)
    and in ``530000`` (云南省), so its parent's code, shorn of its trailing zeros, must
    begin it. A parent in another tree (``530300`` under ``440000``) would roll the
    area's figures up into the wrong province. Areas or parents with a p-code are not
    compared (a Chinese province may sit under the country p-code ``CN``); a parent not
    in the dataset is left to the integrity rule. Rule code
    ``organizations.area-outside-parent``, severity WARNING.
    """
    areas = dataset.index("admin_areas", missing_ok=True)
    area: AdminArea
    for area in dataset.records("admin_areas", missing_ok=True):
        parent: AdminArea | None = areas.get(area.parent_id) if area.parent_id else None
        if parent is None or area.scheme != "cn" or parent.scheme != "cn":
            continue
        if area.id.startswith(_cn_prefix(parent.id)) and area.id != parent.id:
            continue
        yield Finding(
            rule="organizations.area-outside-parent",
            severity=Severity.WARNING,
            subject=area.id,
            message=(
                f"area {area.id!r} sits under {parent.id!r}, whose division code does not "
                "contain its code"
            ),
            figures={"parent": parent.id},
        )
