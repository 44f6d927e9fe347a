"""Counting who was reached, three ways, and a medical programme's funnel.

Reports count people in three different units, and mixing them up is the commonest error
in aid statistics:

* **person-times** (人次): every screening, every case served, every handout counts;
  the same person screened twice counts twice;
* **persons** (人): distinct people;
* **households** (户): distinct households.

:func:`reach` counts all three over any mix of screenings, cases and distributions, and
:class:`Reach` says which is which. Persons reached through a household (a distribution,
a case for a household) are its listed members, or its size where the members are not
listed one by one:

>>> from datetime import date
>>> from humanaid import Distribution, Household, Money
>>> homes = [Household(id="h1", members=4), Household(id="h2", members=3)]
>>> handouts = [
...     Distribution(id="d1", household_id="h1", on=date(2020, 1, 10), value=Money("300")),
...     Distribution(id="d2", household_id="h2", on=date(2020, 1, 10), value=Money("300")),
...     Distribution(id="d3", household_id="h1", on=date(2020, 7, 1), value=Money("200")),
... ]
>>> print(reach(handouts, households=homes))
7 persons in 2 households (11 person-times)

:func:`funnel` follows a medical programme from screening to payment.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

import attrs

from humanaid._decimal import RATIO as _RATIO
from humanaid._decimal import percent
from humanaid._text import display_width, pad
from humanaid.aggregate import FieldCondition, _tabulate_rows, count, field_between
from humanaid.beneficiaries import Household, Person
from humanaid.cases import Case, CaseEvent, CaseStatus, Distribution, Screening, ScreeningOutcome
from humanaid.dataset import Dataset
from humanaid.errors import UnknownId
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.periods import Period
from humanaid.records import whole
from humanaid.training import Attendance, OnSiteRescue

__all__ = ["Funnel", "FunnelStage", "Reach", "funnel", "reach"]

T = TypeVar("T")

Reachable = Screening | Case | Distribution | Attendance | OnSiteRescue


@attrs.frozen(kw_only=True)
class Reach:
    """How many were reached, in the three units reports use.

    Attributes:
        person_times: every time someone was reached (人次): a person screened twice,
            or a household of four given relief twice, counts each time.
        persons: distinct persons (人), counting the members of households reached.
        households: distinct households (户).

    >>> r = Reach(person_times=28420, persons=22400, households=6309)
    >>> print(r)
    22,400 persons in 6,309 households (28,420 person-times)
    """

    person_times: int = attrs.field(validator=whole())
    persons: int = attrs.field(validator=whole())
    households: int = attrs.field(validator=whole())

    def __str__(self) -> str:
        return (
            f"{self.persons:,} person{'s' if self.persons != 1 else ''} in "
            f"{self.households:,} household{'s' if self.households != 1 else ''} "
            f"({self.person_times:,} person-time{'s' if self.person_times != 1 else ''})"
        )


def _lookup(records: Mapping[str, T] | Iterable[T] | None) -> Mapping[str, T] | None:
    if records is None or isinstance(records, Mapping):
        return records
    out: dict[str, T] = {}
    for record in records:
        out.setdefault(cast(Any, record).id, record)
    return out


def reach(
    records: Iterable[Reachable] | Dataset,
    *,
    persons: Mapping[str, Person] | Iterable[Person] | None = None,
    households: Mapping[str, Household] | Iterable[Household] | None = None,
    program_id: str | None = None,
    campaign_id: str | None = None,
    period: Period | None = None,
    area_ids: Collection[str] | None = None,
) -> Reach:
    """Count the person-times, distinct persons and distinct households reached.

    Each kind of record reaches people in its own way:

    * a :class:`~humanaid.Screening` reaches its person once;
    * a :class:`~humanaid.Case` reaches its person (or, without one, its household) once
      help was delivered: once it has been in treatment, being served or served;
    * a :class:`~humanaid.Distribution` reaches every member of its household;
    * an :class:`~humanaid.Attendance` reaches the person trained, on its day: a person
      trained and helped is counted once;
    * an :class:`~humanaid.OnSiteRescue` reaches the people it helped, who are not
      named: each counts as a person of their own, in no household (and, by area, where
      the rescue happened).

    A household reached as a whole counts its known members (persons whose
    ``household_id`` is the household, and persons that cases name with it alone) and,
    where fewer are known than its ``members``, as many more unnamed persons. A person
    reached alone counts only that person, and the household they belong to; a person
    reached alone and through their household is counted once. So
    ``persons <= person_times`` and, as every household has at least one member,
    ``households <= persons``.

    By area, each person counts where they live, so the persons and person-times of
    separate areas add up to those of all of them together. A household whose members
    live in several areas counts as a household in each area where a member was
    reached.

    Args:
        records: screenings, cases, distributions, attendances and on-site rescues in
            any mix, or a :class:`~humanaid.Dataset` (its screenings, cases and
            distributions, with its persons and households: the people helped, not those
            trained).
        persons: the persons, by id or as records: for listed household members, areas
            and households of persons reached alone.
        households: the households, by id or as records. Required for every household
            reached as a whole: its size is needed.
        program_id: count only records of this programme (attendances and rescues
            belong to none).
        campaign_id: count only distributions of this campaign.
        period: count only what happened in it (a case counts on the day it was first
            served).
        area_ids: count only people living in these areas (a person's ``area_id``, else
            their household's; a household's unnamed members live in its area). Areas
            are not expanded: pass a county's townships too.

    Raises:
        UnknownId: when ``records`` is a dataset and ``program_id`` or ``campaign_id``
            is neither one of its programmes or campaigns nor named by one of its
            records (a list of records is not checked: it holds no programmes).
        ValueError: when a household reached as a whole is not among ``households``, or
            ``area_ids`` is given for persons reached alone without ``persons``.
        TypeError: for a record that is not a screening, case, distribution,
            attendance or on-site rescue.
    """
    if isinstance(records, Dataset):
        ds = records
        work = (ds.records("screenings"), ds.records("cases"), ds.records("distributions"))
        if program_id is not None:
            programs = (r.program_id for r in itertools.chain(*work))
            UnknownId.lookup(ds, "programs", program_id, argument="program_id", named=programs)
        if campaign_id is not None:
            drives = (d.campaign_id for d in work[2])
            UnknownId.lookup(ds, "campaigns", campaign_id, argument="campaign_id", named=drives)
        if persons is None and households is None and area_ids is None and _held_in_engine(ds):
            return _reach_in_engine(
                ds, program_id=program_id, campaign_id=campaign_id, period=period
            )
        records = itertools.chain(*work)
        persons = ds.index("persons") if persons is None else persons
        households = ds.index("households") if households is None else households
    people = _lookup(persons)
    homes = _lookup(households)
    areas = None if area_ids is None else frozenset(area_ids)
    home_of, listed = _homes(people)
    tally = _Tally(
        home_of=home_of,
        listed=listed,
        size=_SizeOf(homes),
        areas=None if areas is None else _Areas(areas, people, homes),
    )
    # The period's ends, compared inline: a record's days are dates (checked when it was
    # built), so ``start <= day <= end`` is ``day in period`` without a call a record.
    start = end = date.min
    if period is not None:
        start, end = period.start, period.end
    add = tally.add
    # Persons reached alone (a screening's), counted together once every record is in:
    # what adding each one tells (a person-time, the person, their household) does not
    # depend on the order. By area, each is tested where they live, one by one.
    alone: list[str] = []
    keep = alone.append if areas is None else None
    person_id: str | None
    household_id: str | None
    for record in records:
        if type(record) is Screening:  # the bulk of a medical programme: no dispatch
            person_id, household_id, day = record.person_id, None, record.on
        elif isinstance(record, OnSiteRescue):
            if program_id is not None or campaign_id is not None:
                continue
            if period is not None and record.on not in period:
                continue
            if areas is not None and record.area_id not in areas:
                continue
            tally.person_times += record.helped
            tally.unnamed += record.helped
            continue
        else:
            person_id, household_id, day = _reaches(record)
            if person_id is not None and household_id is not None:
                tally.named(person_id, household_id)
            if day is None:
                continue
        if program_id is not None and getattr(record, "program_id", None) != program_id:
            continue
        if campaign_id is not None and getattr(record, "campaign_id", None) != campaign_id:
            continue
        if period is not None and not start <= day <= end:
            continue
        if keep is not None and household_id is None and person_id is not None:
            keep(person_id)
        else:
            add(person_id, household_id)
    tally.alone(alone)
    return tally.result()


def _homes(
    people: Mapping[str, Person] | None,
) -> tuple[dict[str, str], defaultdict[str, list[str]]]:
    """The household of each person who has one, and each household's persons, in order.

    One pass over the persons: ``home_of`` maps a person's key to their household (a
    person of no household, or not among ``people``, is not in it: ``get`` gives
    ``None``), ``listed`` a household to the ids of the persons whose records name it.
    """
    home_of: dict[str, str] = {}
    listed: defaultdict[str, list[str]] = defaultdict(list)
    if people is not None:
        for key, person in people.items():
            household_id = person.household_id
            if household_id is not None:
                home_of[key] = household_id
                listed[household_id].append(person.id)
    return home_of, listed


class _SizeOf:
    """The size of a household, from the households' records (``None`` if unknown)."""

    def __init__(self, homes: Mapping[str, Household] | None) -> None:
        self.homes = homes

    def get(self, household_id: str) -> int | None:
        home = None if self.homes is None else self.homes.get(household_id)
        return None if home is None else home.members


class _Areas:
    """Where persons and households live, for a count restricted to some areas."""

    def __init__(
        self,
        areas: frozenset[str],
        people: Mapping[str, Person] | None,
        homes: Mapping[str, Household] | None,
    ) -> None:
        self.areas, self.people, self.homes = areas, people, homes

    def person_inside(self, person_id: str) -> bool:
        if self.people is None:
            raise ValueError("reach by area needs the persons (persons=...)")
        return _area_of(self.people.get(person_id), self.homes) in self.areas

    def member_inside(self, person_id: str, household_id: str) -> bool:
        home = cast(Mapping[str, Household], self.homes)[household_id]
        return _lives_in(person_id, home, self.people) in self.areas

    def home_inside(self, household_id: str) -> bool:
        home = cast(Mapping[str, Household], self.homes)[household_id]
        return home.area_id in self.areas


class _Tally:
    """The count behind :func:`reach`, fed the same way from records and from an engine."""

    def __init__(
        self,
        *,
        home_of: Mapping[str, str | None],
        listed: Mapping[str, list[str]],
        size: Any,
        areas: _Areas | None = None,
    ) -> None:
        self.home_of, self.listed, self.size, self.areas = home_of, listed, size, areas
        self.person_times = 0
        self.unnamed = 0
        self.seen_persons: set[str] = set()
        self.seen_households: set[str] = set()
        self.whole_times: dict[str, int] = defaultdict(int)  # household -> times reached
        self.named_with: dict[str, set[str]] = defaultdict(set)  # person -> cases' households

    def named(self, person_id: str, household_id: str) -> None:
        """A case names this person with this household (whether or not it reached them)."""
        self.named_with[person_id].add(household_id)

    def add(self, person_id: str | None, household_id: str | None, times: int = 1) -> None:
        """A record that reached a person alone, or a household as a whole, ``times`` times."""
        if person_id is not None:
            home_id = self.home_of.get(person_id)
            home_id = home_id if home_id is not None else household_id
            if self.areas is not None and not self.areas.person_inside(person_id):
                return
            self.person_times += times
            self.seen_persons.add(person_id)
            if home_id is not None:
                self.seen_households.add(home_id)
            return
        if household_id is None or self.size.get(household_id) is None:
            raise ValueError(
                f"household {household_id!r} is not among the households given: its size "
                "is needed to count the persons it reaches"
            )
        self.whole_times[household_id] += times

    def alone(self, person_ids: Sequence[str]) -> None:
        """Records that each reached one person alone: :meth:`add` of each, in one go.

        Not for a count by area (whether a person counts depends on where they live).
        """
        if not person_ids:
            return
        assert self.areas is None
        self.person_times += len(person_ids)
        new = set(person_ids).difference(self.seen_persons)
        self.seen_persons |= new
        # the persons who have a household (a few of them, often) met with those reached
        home_of = self.home_of
        homes = set(map(home_of.__getitem__, home_of.keys() & new))
        homes.discard(None)
        self.seen_households |= cast(set[str], homes)

    def result(self) -> Reach:
        """The counts, once every record is in."""
        # Households reached as a whole, counted once all the records are seen: a case may
        # name a member that the persons do not list.
        person_times, unnamed = self.person_times, self.unnamed
        seen_persons, seen_households = self.seen_persons, self.seen_households
        members: dict[str, set[str]] = {h: set(self.listed.get(h, ())) for h in self.whole_times}
        for person_id, named in self.named_with.items():
            if self.home_of.get(person_id) is None and len(named) == 1:
                (household_id,) = named
                if household_id in members:
                    members[household_id].add(person_id)
        areas = self.areas
        for household_id, times in self.whole_times.items():
            known = members[household_id]
            inside = (
                known
                if areas is None
                else {m for m in known if areas.member_inside(m, household_id)}
            )
            unseen = max(0, cast(int, self.size.get(household_id)) - len(known))
            if areas is not None and not areas.home_inside(household_id):
                unseen = 0
            if not inside and not unseen:
                continue
            person_times += times * (len(inside) + unseen)
            seen_households.add(household_id)
            seen_persons.update(inside)
            unnamed += unseen
        return Reach(
            person_times=person_times,
            persons=len(seen_persons) + unnamed,
            households=len(seen_households),
        )


# -- the same count, in a columnar engine ------------------------------------------------------

_LARGE: Final = ("screenings", "cases", "distributions", "persons", "households")
"""The collections :func:`reach` of a dataset reads through queries when one is columnar."""


def _held_in_engine(dataset: Dataset) -> bool:
    """Whether one of the collections reach reads is held in a columnar engine."""
    return any(
        getattr(type(dataset.records(name, missing_ok=True)), "__humanaid_tabulate__", None)
        is not None
        for name in _LARGE
    )


def _groups(
    records: Iterable[Any],
    keys: Sequence[str],
    where: FieldCondition | None = None,
    *,
    ordered: bool = True,
) -> list[tuple[Any, ...]]:
    """The distinct values of ``keys`` among ``records`` (passing ``where``), each with its count.

    A :func:`~humanaid.aggregate.tabulate` query: a columnar collection answers it in its
    engine, a tuple of records in the Python loop. The rows come in the table's order
    (by the keys), or with ``ordered=False`` in none, for a count that does not depend on
    it; no table is built either way.
    """
    by = {f"k{i}": key for i, key in enumerate(keys)}
    return _tabulate_rows(records, by=by, measures={"n": count()}, where=where, ordered=ordered)


class _History:
    __slots__ = ("history",)

    def __init__(self, history: tuple[CaseEvent, ...]) -> None:
        self.history = history


def _served_on(history: tuple[CaseEvent, ...]) -> date | None:
    """:attr:`Case.served_on <humanaid.Case.served_on>` of a case with this history."""
    day: date | None = Case.served_on.fget(cast(Case, _History(history)))  # type: ignore[attr-defined]
    return day


def _reach_in_engine(
    dataset: Dataset,
    *,
    program_id: str | None = None,
    campaign_id: str | None = None,
    period: Period | None = None,
    keep: Callable[[str | None, str | None], bool] | None = None,
) -> Reach:
    """:func:`reach` of a dataset, its large collections read by grouping queries.

    The records are never read back: a query per collection gives the distinct
    (person, household, programme, project ...) reached, each with how many times, and
    the persons' households and the households' sizes; the count (``_Tally``) is the one
    the records path runs. ``keep(project_id, program_id)`` restricts the screenings,
    cases and handouts counted (the year at a glance keeps an organisation's own).
    """
    hook = _counted_in_engine(dataset)
    if hook is not None:  # the distinct persons and households counted by the engine itself
        query = {"program_id": program_id, "campaign_id": campaign_id, "period": period}
        counts = hook(dataset, keep=keep, **query)
        if counts is not None:
            return Reach(person_times=counts[0], persons=counts[1], households=counts[2])
    when = None if period is None else field_between("on", period.start, period.end)
    home_of: dict[str, str | None] = {}
    listed: dict[str, list[str]] = defaultdict(list)
    for person_id, household_id, _ in _groups(dataset.persons, ("id", "household_id")):
        home_of.setdefault(person_id, household_id)
        if household_id is not None:
            listed[household_id].append(person_id)
    size: dict[str, int] = {}
    for household_id, members, _ in _groups(dataset.households, ("id", "members")):
        size.setdefault(household_id, members)
    tally = _Tally(home_of=home_of, listed=listed, size=size)

    def counted(program: str | None, project: str | None, campaign: str | None) -> bool:
        if program_id is not None and program != program_id:
            return False
        return campaign_id is None or campaign == campaign_id

    keys: tuple[str, ...] = ("person_id", "program_id", "project_id")
    for person_id, program, project, n in _groups(dataset.screenings, keys, when, ordered=False):
        if (keep is None or keep(project, program)) and counted(program, project, None):
            tally.add(person_id, None, n)
    # one group a case (grouping by the history alone merges cases polars can panic on)
    keys = ("id", "person_id", "household_id", "program_id", "project_id", "history")
    for _, person_id, household_id, program, project, history, n in _groups(dataset.cases, keys):
        if keep is not None and not keep(project, program):
            continue
        if person_id is not None and household_id is not None:
            tally.named(person_id, household_id)
        day = _served_on(history)
        if day is None or not counted(program, project, None):
            continue
        if period is None or day in period:
            tally.add(person_id, household_id, n)
    keys = ("household_id", "program_id", "project_id", "campaign_id")
    handed = _groups(dataset.distributions, keys, when, ordered=False)  # (a sum: any order)
    for household_id, program, project, campaign, n in handed:
        if (keep is None or keep(project, program)) and counted(program, project, campaign):
            tally.add(None, household_id, n)
    return tally.result()


def _counted_in_engine(dataset: Dataset) -> Callable[..., tuple[int, int, int] | None] | None:
    """The ``__humanaid_reach__`` of a collection reach reads, if one is held in an engine."""
    for name in _LARGE:
        hook = getattr(dataset.records(name, missing_ok=True), "__humanaid_reach__", None)
        if hook is not None:
            return cast(Callable[..., tuple[int, int, int] | None], hook)
    return None


def _reaches(record: object) -> tuple[str | None, str | None, Any]:
    """(person id, household id, day) a record reaches; day ``None`` if it reaches nobody."""
    if isinstance(record, Screening):
        return record.person_id, None, record.on
    if isinstance(record, Distribution):
        return None, record.household_id, record.on
    if isinstance(record, Case):
        return record.person_id, record.household_id, record.served_on
    if isinstance(record, Attendance):
        return record.person_id, None, record.on
    raise TypeError(
        "reach() counts screenings, cases, distributions, attendances and on-site rescues "
        f"(got {type(record).__name__})"
    )


def _lives_in(person_id: str, home: Household, people: Mapping[str, Person] | None) -> str | None:
    """The area of a member of ``home``: their own, else the household's."""
    who = None if people is None else people.get(person_id)
    if who is not None and who.area_id is not None:
        return who.area_id
    return home.area_id


def _area_of(person: Person | None, homes: Mapping[str, Household] | None) -> str | None:
    if person is None:
        return None
    if person.area_id is not None:
        return person.area_id
    if person.household_id is None or homes is None:
        return None
    home = homes.get(person.household_id)
    return None if home is None else home.area_id


# -- the funnel ------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class FunnelStage:
    """One stage of a programme's funnel.

    Attributes:
        name: ``screened``, ``positive``, ``approved``, ``treated`` or ``paid``.
        persons: distinct persons at this stage.
        count: how many times: screenings (person-times) for the first two stages,
            cases for the others.
        unit: what ``count`` counts: ``"person-times"`` or ``"cases"``.
        amount: the money at this stage (approved for ``approved`` and ``treated``, paid
            for ``paid``), or ``None`` for the screening stages.
        rate: ``persons`` divided by the previous stage's persons, an exact
            :class:`~decimal.Decimal` (34 significant digits where the quotient does not
            end); ``None`` for the first stage or after a stage of nobody.
    """

    name: str
    persons: int
    count: int
    unit: str
    amount: Money | None = None
    rate: Decimal | None = None


@attrs.frozen(kw_only=True)
class Funnel:
    """A medical programme from screening to payment.

    Attributes:
        program_id: the programme.
        stages: screened, positive, approved, treated and paid, in that order.
    """

    program_id: str
    stages: tuple[FunnelStage, ...]

    def __getitem__(self, name: str) -> FunnelStage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        known = ", ".join(s.name for s in self.stages)
        raise KeyError(f"no funnel stage {name!r} (stages: {known})")

    def __iter__(self) -> Iterator[FunnelStage]:
        return iter(self.stages)

    def __str__(self) -> str:
        rows = [("stage", "persons", "count", "", "amount", "rate")]
        for s in self.stages:
            rows.append(
                (
                    s.name,
                    f"{s.persons:,}",
                    f"{s.count:,}",
                    s.unit,
                    "" if s.amount is None else s.amount.format(grouping=True),
                    "" if s.rate is None else percent(s.rate, 1),
                )
            )
        widths = [max(display_width(r[i]) for r in rows) for i in range(6)]
        left = [True, False, False, True, False, False]
        lines = [f"funnel of programme {self.program_id}"]
        for r in rows:
            cells = [pad(c, w, right=not lft) for c, w, lft in zip(r, widths, left, strict=True)]
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)


def _rate(persons: int, before: int | None) -> Decimal | None:
    if not before:
        return None
    return _RATIO.divide(Decimal(persons), Decimal(before))


def funnel(
    records: Iterable[Screening | Case] | Dataset,
    *,
    program_id: str,
    period: Period | None = None,
    currency: str = DEFAULT_CURRENCY,
) -> Funnel:
    """Follow a medical programme from screening to payment.

    The stages, each with distinct persons, a count and an amount:

    ``screened``
        screenings of the programme (person-times) and the persons screened;
    ``positive``
        screenings whose outcome was positive or referred, and their persons;
    ``approved``
        cases of the programme that were approved, and the approved amounts;
    ``treated``
        approved cases that were served (in treatment, being served or served), and
        their approved amounts;
    ``paid``
        cases with a positive paid amount, and the amounts paid (a case paid without
        approval counts here too: the money left; the rule ``cases.paid-over-approved``
        reports it).

    Each stage's ``rate`` is its persons over the previous stage's persons. A stage can
    hold people the one before did not (a case referred without a screening in the
    data), so a rate can exceed 1.

    Args:
        records: screenings and cases (other records are skipped), or a dataset.
        program_id: the programme.
        period: count screenings on days in it, and cases opened in it.
        currency: the currency the amounts are added up in.

    Raises:
        UnknownId: when ``records`` is a dataset without the programme ``program_id``,
            which none of its screenings and cases names either.
        humanaid.CurrencyMismatch: when an amount is in another currency.

    >>> from datetime import date
    >>> from humanaid import Case, Screening
    >>> screenings = [
    ...     Screening(id=f"s{i}", person_id=f"p{i % 8}", program_id="heart",
    ...               on=date(2020, 5, 1), outcome="positive" if i % 8 < 2 else "negative")
    ...     for i in range(10)
    ... ]
    >>> case = (Case.refer(id="c1", kind="medical", person_id="p0", program_id="heart",
    ...                    on=date(2020, 5, 2))
    ...         .advance("screened", on=date(2020, 5, 2)).advance("assessed", on=date(2020, 5, 9))
    ...         .advance("approved", on=date(2020, 5, 9), approved=Money("18000"))
    ...         .advance("in_treatment", on=date(2020, 6, 1), paid=Money("17500")))
    >>> f = funnel([*screenings, case], program_id="heart")
    >>> f["positive"].persons, f["positive"].count, f["positive"].rate
    (2, 4, Decimal('0.25'))
    >>> print(f)
    funnel of programme heart
    stage     persons  count                     amount    rate
    screened        8     10  person-times
    positive        2      4  person-times                25.0%
    approved        1      1  cases         18,000.00元   50.0%
    treated         1      1  cases         18,000.00元  100.0%
    paid            1      1  cases         17,500.00元  100.0%
    """
    if isinstance(records, Dataset):
        ds = records
        programs = itertools.chain(
            (s.program_id for s in ds.screenings), (c.program_id for c in ds.cases)
        )
        UnknownId.lookup(ds, "programs", program_id, argument="program_id", named=programs)
        records = itertools.chain(ds.records("screenings"), ds.records("cases"))
    screened: set[str] = set()
    positive: set[str] = set()
    approved: set[str] = set()
    treated: set[str] = set()
    paid: set[str] = set()
    counts = dict.fromkeys(("screened", "positive", "approved", "treated", "paid"), 0)
    zero = Money.zero(currency)
    amounts = {"approved": zero, "treated": zero, "paid": zero}
    # The outcomes found positive, tested by identity: no property called a screening.
    positives = tuple(o for o in ScreeningOutcome if o.is_positive)
    n_screened = n_positive = 0
    for record in records:
        if isinstance(record, Screening):
            if record.program_id != program_id or (period is not None and record.on not in period):
                continue
            person_id = record.person_id
            screened.add(person_id)
            n_screened += 1
            if record.outcome in positives:
                positive.add(person_id)
                n_positive += 1
        elif isinstance(record, Case):
            if record.program_id != program_id:
                continue
            if period is not None and record.opened_on not in period:
                continue
            who = record.person_id or f"household:{record.household_id}"
            if record.reached(CaseStatus.APPROVED) is not None:
                committed = record.approved if record.approved is not None else zero
                approved.add(who)
                counts["approved"] += 1
                amounts["approved"] += committed
                if record.served_on is not None:
                    treated.add(who)
                    counts["treated"] += 1
                    amounts["treated"] += committed
            if record.paid is not None and record.paid.is_positive():
                paid.add(who)
                counts["paid"] += 1
                amounts["paid"] += record.paid
    counts["screened"], counts["positive"] = n_screened, n_positive
    stages: list[FunnelStage] = []
    before: int | None = None
    for name, people, unit in (
        ("screened", screened, "person-times"),
        ("positive", positive, "person-times"),
        ("approved", approved, "cases"),
        ("treated", treated, "cases"),
        ("paid", paid, "cases"),
    ):
        stages.append(
            FunnelStage(
                name=name,
                persons=len(people),
                count=counts[name],
                unit=unit,
                amount=amounts.get(name),
                rate=_rate(len(people), before),
            )
        )
        before = len(people)
    return Funnel(program_id=program_id, stages=tuple(stages))
