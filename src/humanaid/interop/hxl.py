"""Who does what where, and who funds it, as HXL tables (extra ``hxl`` to read them).

The Humanitarian Exchange Language (HXL) adds one row of hashtags under the header of
an ordinary CSV table, so that tools such as the HXL Proxy, HDX and libhxl know what each
column holds, whatever its heading says. Two tables come out of a dataset:

* :func:`to_hxl_3w`, the **3W/4W** table (who does what where, and when): one row per
  project with its organisation, sector and programme, its area at each administrative
  level (name and code), the households and persons it targeted and reached, its period
  and status;
* :func:`to_hxl_funding`, the **funding** table: one row per payment a project
  received, with the funder, the kind of source, the implementer, the amount and its
  currency, the sector and the day.

Writing needs nothing beyond the standard library (the CSV module); libhxl
(``pip install 'humanaid[hxl]'``) is what the tests read the tables back with, and what
a user may use too. Money is written as plain decimal numbers (``450000.00``), counts as
integers. Nothing personal is written: organisations and areas by name, donors by the
public name they agreed to, beneficiaries only as counts. A text cell that would start a
spreadsheet formula (``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a
leading apostrophe.

>>> from datetime import date
>>> from humanaid import (AdminArea, Dataset, Distribution, Household, Money,
...                       Organization, Period, Project)
>>> ds = Dataset(
...     organizations=[Organization(id="hz", name="会泽县红十字会", level="county")],
...     admin_areas=[AdminArea(id="530000", name="云南省", level="province"),
...                  AdminArea(id="530300", name="曲靖市", level="prefecture",
...                            parent_id="530000"),
...                  AdminArea(id="530326", name="会泽县", level="county",
...                            parent_id="530300")],
...     projects=[Project(id="relief-2020", name="博爱送万家 2020", kind="relief_distribution",
...                       organization_id="hz", period=Period.year(2020), area_id="530326",
...                       budget=Money("60000"), status="completed")],
...     households=[Household(id="h1", members=4, area_id="530326"),
...                 Household(id="h2", members=3, area_id="530326")],
...     distributions=[Distribution(id=f"d{i}", household_id=h, on=date(2020, 1, 20),
...                                 value=Money("300"), project_id="relief-2020")
...                    for i, h in enumerate(["h1", "h2"])],
... )
>>> text = to_hxl_3w(ds)
>>> text.splitlines()[1].split(",")[:5]
['#org', '#sector', '#activity+programme', '#activity+name', '#activity+code']
>>> row = read_hxl(text)[0]
>>> row["#org"], row["#adm3+name"], row["#adm3+code"], row["#reached+hh"], row["#reached+ind"]
('会泽县红十字会', '会泽县', '530326', '2', '7')
"""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import IO, Any, Final

from humanaid._formulas import guard, runs_as_formula
from humanaid.beneficiaries import Person
from humanaid.dataset import Dataset
from humanaid.errors import UnknownId
from humanaid.funds import Boundary, Crossing, FlowKind, Party, classify_flow
from humanaid.interop._parties import PartyNames
from humanaid.money import Money
from humanaid.organizations import ancestors
from humanaid.projects import (
    INDICATOR_CATALOGUE,
    Indicator,
    Project,
    funding_source,
    indicator_totals,
)
from humanaid.reach import Reach, reach

__all__ = ["FUNDING_COLUMNS", "read_hxl", "three_w_columns", "to_hxl_3w", "to_hxl_funding"]

FUNDING_COLUMNS: Final[tuple[tuple[str, str], ...]] = (
    ("Funder", "#org+funder"),
    ("Source", "#org+funder+source"),
    ("Implementer", "#org+impl"),
    ("Sector", "#sector"),
    ("Project", "#activity+name"),
    ("Project code", "#activity+code"),
    ("Amount", "#value+funding"),
    ("Currency", "#currency"),
    ("Date", "#date"),
)
"""The funding table's columns: (header, HXL hashtag with attributes)."""


def three_w_columns(levels: int = 3) -> tuple[tuple[str, str], ...]:
    """The 3W table's columns for ``levels`` administrative levels: (header, hashtag).

    >>> [tag for _, tag in three_w_columns(1)][4:8]
    ['#activity+code', '#adm1+name', '#adm1+code', '#targeted+hh']
    """
    if isinstance(levels, bool) or not isinstance(levels, int) or not 0 <= levels <= 5:
        raise ValueError(f"'levels' must be an int from 0 to 5 (got {levels!r})")
    admin: list[tuple[str, str]] = []
    for n in range(1, levels + 1):
        admin += [(f"Admin {n}", f"#adm{n}+name"), (f"Admin {n} code", f"#adm{n}+code")]
    return (
        ("Organisation", "#org"),
        ("Sector", "#sector"),
        ("Programme", "#activity+programme"),
        ("Project", "#activity+name"),
        ("Project code", "#activity+code"),
        *admin,
        ("Households targeted", "#targeted+hh"),
        ("Persons targeted", "#targeted+ind"),
        ("Households reached", "#reached+hh"),
        ("Persons reached", "#reached+ind"),
        ("Start", "#date+start"),
        ("End", "#date+end"),
        ("Status", "#status"),
    )


# -- writing ----------------------------------------------------------------------------------


def _guarded(value: str) -> bool:
    """Whether ``value`` needs a guard apostrophe (or has one, when read).

    A formula start needs one; so does a value whose own apostrophes come before a
    formula start (``'=x``), so that reading removes only the guard and gives it back.
    """
    return runs_as_formula(value)


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return guard(value)


def _number(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _write(
    columns: Sequence[tuple[str, str]],
    rows: Iterable[Sequence[str]],
    target: str | os.PathLike[str] | IO[str] | None,
    encoding: str,
) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([guard(header) for header, _ in columns])  # one guard for every cell
    writer.writerow([guard(tag) for _, tag in columns])
    writer.writerows(rows)
    text = buf.getvalue()
    if target is None:
        return text
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding=encoding, newline="") as f:
            f.write(text)
    else:
        target.write(text)
    return text


def _projects(dataset: Dataset, projects: Iterable[str] | None) -> list[Project]:
    if projects is None:
        return list(dataset.records("projects", missing_ok=True))
    index = dataset.index("projects", missing_ok=True)
    chosen = []
    for project_id in projects:
        if project_id not in index:
            UnknownId.lookup(dataset, "projects", project_id, argument="projects")
        chosen.append(index[project_id])
    return chosen


# -- the 3W table -----------------------------------------------------------------------------


def _reach_by_project(dataset: Dataset, wanted: frozenset[str]) -> dict[str, Reach]:
    """Who each project reached, counted by :func:`humanaid.reach.reach` (linear overall).

    ``reach()`` reads the persons it is given once per call, so each project gets only
    the persons it can reach: the members of its households and the persons it served.
    """
    records: dict[str, list[Any]] = defaultdict(list)
    for name in ("screenings", "cases", "distributions"):
        for record in dataset.records(name, missing_ok=True):
            if record.project_id in wanted:
                records[record.project_id].append(record)
    if not records:
        return {}
    persons = dataset.index("persons", missing_ok=True)
    households = dataset.index("households", missing_ok=True)
    members: dict[str, list[Person]] = defaultdict(list)
    for person in persons.values():
        if person.household_id is not None:
            members[person.household_id].append(person)
    out: dict[str, Reach] = {}
    for project_id, found in records.items():
        people: dict[str, Person] = {}
        for record in found:
            person_id = getattr(record, "person_id", None)
            household_id = getattr(record, "household_id", None)
            if person_id is not None:
                person = persons.get(person_id)
                if person is not None:
                    people[person.id] = person
            elif household_id is not None:
                for person in members.get(household_id, ()):
                    people[person.id] = person
        out[project_id] = reach(found, persons=people, households=households)
    return out


def _targets(
    dataset: Dataset, wanted: frozenset[str], codes: Sequence[str]
) -> dict[str, dict[str, Decimal]]:
    known: dict[str, Indicator] = {i.id: i for i in INDICATOR_CATALOGUE}
    known.update(dataset.index("indicators", missing_ok=True))
    indicators = {code: known[code] for code in codes if code in known}
    if not indicators:
        return {}
    values = (
        v
        for v in dataset.records("indicator_values", missing_ok=True)
        if v.project_id in wanted and v.indicator_id in indicators
    )
    return indicator_totals(indicators, values, lambda v: v.project_id, target=True)


def _admin_cells(area_id: str | None, areas: Mapping[str, Any], levels: int) -> list[str]:
    cells = [""] * (2 * levels)
    area = areas.get(area_id) if area_id is not None else None
    if area is None:
        return cells
    for a in (area, *ancestors(area.id, areas)):
        depth = a.level.depth
        if 1 <= depth <= levels:
            cells[2 * (depth - 1)] = _text(a.name)
            cells[2 * (depth - 1) + 1] = a.id
    return cells


def _three_w_rows(
    dataset: Dataset,
    chosen: list[Project],
    levels: int,
    households_target: str | None,
    persons_target: str | None,
) -> Iterator[list[str]]:
    wanted = frozenset(p.id for p in chosen)
    reached = _reach_by_project(dataset, wanted)
    codes = [c for c in (households_target, persons_target) if c is not None]
    targets = _targets(dataset, wanted, codes)
    names = PartyNames(dataset)
    programs = dataset.index("programs", missing_ok=True)
    areas = dataset.index("admin_areas", missing_ok=True)
    for project in chosen:
        program = programs.get(project.program_id) if project.program_id else None
        got = reached.get(project.id)
        aimed = targets.get(project.id, {})
        yield [
            _text(names.organization(project.organization_id).name),
            project.kind.value,
            _text(program.name) if program is not None else "",
            _text(project.name),
            _text(project.id),
            *_admin_cells(project.area_id, areas, levels),
            _number(aimed.get(households_target)) if households_target else "",
            _number(aimed.get(persons_target)) if persons_target else "",
            _number(got.households) if got is not None else "",
            _number(got.persons) if got is not None else "",
            project.period.start.isoformat(),
            project.period.end.isoformat(),
            project.status.value,
        ]


def to_hxl_3w(
    dataset: Dataset,
    *,
    projects: Iterable[str] | None = None,
    levels: int = 3,
    households_target: str | None = "households-reached",
    persons_target: str | None = "persons-reached",
    target: str | os.PathLike[str] | IO[str] | None = None,
    encoding: str = "utf-8",
) -> str:
    """The 3W/4W table of the dataset's projects as HXL CSV text (who does what where).

    One row per project (columns: :func:`three_w_columns`):

    * ``#org``: the owning organisation's name; ``#sector``: the project's kind;
      ``#activity+programme``, ``#activity+name``, ``#activity+code``: its programme,
      name and id;
    * ``#adm1+name``, ``#adm1+code`` ... down to ``levels``: the project's area and the
      areas above it, each at its depth (a province or admin1 is level 1, a prefecture
      2, a county 3, a township 4, a village 5);
    * ``#reached+hh``, ``#reached+ind``: distinct households and persons the project
      reached, counted by :func:`humanaid.reach.reach` over the screenings, cases and
      distributions that name the project (a household counts its members); empty when
      no such record names it;
    * ``#targeted+hh``, ``#targeted+ind``: the project's rolled-up targets of the
      indicators ``households_target`` and ``persons_target`` (empty without one);
    * ``#date+start``, ``#date+end``, ``#status``: the period and status.

    Args:
        dataset: the :class:`~humanaid.Dataset`.
        projects: the ids of the projects, in that order (default: all).
        levels: how many administrative levels to write (0 to 5).
        households_target: the indicator whose targets are the households targeted.
        persons_target: the indicator whose targets are the persons targeted.
        target: a path or an open text file to write to as well (a path is written
            with ``encoding``; ``"utf-8-sig"`` helps older Excel read Chinese).
        encoding: the encoding of a file written to a path.

    Returns:
        The CSV text: the header row, the hashtag row, one row per project.

    Raises:
        UnknownId: naming a project id that is not in the dataset and the nearest known
            ones (a :class:`KeyError`).
        ValueError: when a household reached as a whole is not in the dataset (its size
            is needed to count its members).
    """
    columns = three_w_columns(levels)
    chosen = _projects(dataset, projects)
    rows = _three_w_rows(dataset, chosen, levels, households_target, persons_target)
    return _write(columns, rows, target, encoding)


# -- the funding table ------------------------------------------------------------------------

_MONEY_IN: Final = Crossing.RAISED | Crossing.BROUGHT_IN | Crossing.OTHER_IN


def to_hxl_funding(
    dataset: Dataset,
    *,
    projects: Iterable[str] | None = None,
    target: str | os.PathLike[str] | IO[str] | None = None,
    encoding: str = "utf-8",
) -> str:
    """The money each project received, one HXL CSV row per payment (who funds whom).

    Rows come from the ledger: every flow that crosses into the project's
    :class:`~humanaid.Boundary` (:meth:`Boundary.project <humanaid.Boundary.project>`
    without its village funds, classified by :func:`~humanaid.classify_flow`: money
    raised, brought in, or other money in such as a household's contribution) other
    than a refund it gets back, and every ``REFUND`` the project gave back, with a
    negative amount (columns :data:`FUNDING_COLUMNS`); so a project's rows add up to
    what :func:`~humanaid.project_finance` says it received (per currency).

    * ``#org+funder``: who paid (an organisation, the organisation holding a fund, a
      donor by its public name; beneficiaries only as a group);
    * ``#org+funder+source``: the kind of source, as :func:`~humanaid.funding_source`
      classifies the money (``higher_level_grant``, ``social_donations`` ...);
    * ``#org+impl``: the project's owner; ``#sector``: its kind; ``#activity+name``,
      ``#activity+code``: its name and id;
    * ``#value+funding``, ``#currency``: the amount as a plain decimal, and its currency;
    * ``#date``: the day the money moved.

    Args:
        dataset: the :class:`~humanaid.Dataset`.
        projects: the ids of the projects, in that order (default: all).
        target: a path or an open text file to write to as well.
        encoding: the encoding of a file written to a path.

    Raises:
        UnknownId: naming a project id that is not in the dataset and the nearest known
            ones (a :class:`KeyError`).
    """
    chosen = _projects(dataset, projects)
    ledger = dataset.ledger()
    names = PartyNames(dataset)

    def rows() -> Iterator[list[str]]:
        for project in chosen:
            implementer = _text(names.organization(project.organization_id).name)
            boundary = Boundary.project(dataset, project.id, revolving_funds=False)
            for flow, sign in ledger.entries(project.party):
                refund = flow.kind is FlowKind.REFUND
                crossing = classify_flow(flow, boundary)
                if not (crossing & _MONEY_IN and not refund) and not (sign < 0 and refund):
                    continue  # spending, or a refund the project got back
                funder: Party = flow.source if sign > 0 else flow.destination
                amount: Money = flow.amount if sign > 0 else -flow.amount
                yield [
                    _text(names.info(funder).name),
                    funding_source(dataset, project, flow).value,
                    implementer,
                    project.kind.value,
                    _text(project.name),
                    _text(project.id),
                    format(amount.amount, "f"),
                    amount.currency,
                    flow.on.isoformat(),
                ]

    return _write(FUNDING_COLUMNS, rows(), target, encoding)


# -- reading ----------------------------------------------------------------------------------


def read_hxl(text: str) -> list[dict[str, str]]:
    r"""Rows of an HXL CSV text as dicts keyed by hashtag spec (``"#org+funder"``).

    The hashtag row is the first row whose non-empty cells all start with ``#``; rows
    above it are headers, and columns without a hashtag are left out. Values stay text
    (a leading apostrophe that guarded a formula is removed). For filtering, joining and
    validating HXL, use libhxl (``pip install 'humanaid[hxl]'``).

    >>> read_hxl("Org,Amount\r\n#org,#value\r\nA,1.50\r\n")
    [{'#org': 'A', '#value': '1.50'}]
    """
    rows = iter(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    for row in rows:
        cells = [c.strip() for c in row]
        if any(cells) and all(c.startswith("#") for c in cells if c):
            tags = [c.replace(" ", "") for c in cells]
            break
    else:
        raise ValueError("no hashtag row found: an HXL table has a row of '#tags'")
    out = []
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        record = {}
        for tag, value in zip(tags, row, strict=False):
            if tag:
                guarded = value.startswith("'") and _guarded(value)
                record[tag] = value[1:] if guarded else value
        out.append(record)
    return out
