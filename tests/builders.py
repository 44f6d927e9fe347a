"""Records, datasets and strategies that several test modules build the same way.

Plain functions, imported by the tests that need them (``from builders import cny``). What
one module alone needs stays in that module; what two or more build alike is here, once:
amounts in 元 and 万元, a flow from its six fields, volunteers' hours, activities, members,
sites and courses, the people, goods, areas, programmes and projects of the Qujing
examples, and the generated flows of the interop tests.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs
from hypothesis import strategies as st

from humanaid import (
    ActivityKind,
    AdminArea,
    AdminLevel,
    Course,
    CourseKind,
    Dataset,
    Donor,
    DonorKind,
    Flow,
    FlowKind,
    InKindItem,
    Member,
    MemberKind,
    Money,
    Organization,
    OrgLevel,
    Party,
    Period,
    Person,
    Program,
    Project,
    ProjectKind,
    ProjectStatus,
    ReportedFigure,
    ServiceActivity,
    ServiceHours,
    ServiceSite,
    SiteKind,
    ValuationBasis,
)
from humanaid.testing import organizations, projects

__all__ = [
    "A_SATURDAY",
    "RED_CROSS",
    "VILLAGER",
    "ZHANG",
    "activity",
    "cny",
    "course",
    "flow",
    "flows_between",
    "hours_entry",
    "huize_areas",
    "member",
    "owners_and_projects",
    "qingyun",
    "qujing_programs",
    "relief_2020",
    "rice",
    "site",
    "villager",
    "wan",
]

# -- money -------------------------------------------------------------------------------------


def cny(amount: str) -> Money:
    """An amount of 元 (CNY)."""
    return Money(amount, "CNY")


def wan(amount: int | str) -> Money:
    """An amount of 万元 (ten thousand 元), as reports print it."""
    return Money.parse(f"{amount}万元")


# -- records -----------------------------------------------------------------------------------


def flow(
    id: str,
    source: Party,
    destination: Party,
    amount: Money,
    on: date,
    kind: FlowKind,
    **fields: Any,
) -> Flow:
    """A flow from its six required fields, in order; ``fields`` are the optional ones."""
    return Flow(
        id=id, source=source, destination=destination, amount=amount, on=on, kind=kind, **fields
    )


def rice(
    quantity: Any = 100, price: str = "125.00", currency: str = "CNY", **changes: Any
) -> InKindItem:
    """Bags of rice valued on an invoice; ``changes`` replace any other field.

    ``quantity`` is passed on as given, so that tests can hand the record what it refuses.
    """
    unit_value = Money(price, currency)
    bags = InKindItem(
        description="大米",
        quantity=quantity,
        unit="袋",
        unit_value=unit_value,
        valuation=ValuationBasis.INVOICE,
    )
    return attrs.evolve(bags, **changes)


VILLAGER = Person(id="p1", name="张三", household_id="h1", area_id="qilin", location="东村3组12号")
"""张三 (p1) of household h1 in 东村, Qilin."""


def villager(**changes: Any) -> Person:
    """:data:`VILLAGER` with ``changes``: his numbers added, or any field replaced."""
    return attrs.evolve(VILLAGER, **changes)


ZHANG = Donor(id="d-zhang", kind=DonorKind.INDIVIDUAL, name="张三丰", phone="13800138000")
"""A donor who gives in his own name."""


# -- volunteers, members, sites and courses (test_services, test_rules_volunteers, test_records)

A_SATURDAY = date(2022, 1, 8)
"""A day of 2022's first quarter, the day of an hours entry unless told."""


def hours_entry(
    id: str,
    volunteer_id: str = "v1",
    activity_id: str = "a1",
    on: date = A_SATURDAY,
    hours: Any = 2,
    **fields: Any,
) -> ServiceHours:
    """Hours a volunteer served at an activity on a day; ``fields`` are the optional ones.

    ``hours`` is passed on as given (an int, a Decimal or decimal text such as ``"2.5"``).
    """
    return ServiceHours(
        id=id, volunteer_id=volunteer_id, activity_id=activity_id, on=on, hours=hours, **fields
    )


def activity(
    id: str, name: str, kind: ActivityKind, organization_id: str, period: Period, **fields: Any
) -> ServiceActivity:
    """A service activity from its five required fields, in order."""
    return ServiceActivity(
        id=id, name=name, kind=kind, organization_id=organization_id, period=period, **fields
    )


def member(
    id: str,
    organization_id: str,
    joined: date,
    *,
    person_id: str | None = None,
    member_organization_id: str | None = None,
    **fields: Any,
) -> Member:
    """A member who joined ``organization_id``: a person, or a body (a group member)."""
    group = member_organization_id is not None
    return Member(
        id=id,
        kind=MemberKind.GROUP if group else MemberKind.INDIVIDUAL,
        organization_id=organization_id,
        person_id=person_id,
        member_organization_id=member_organization_id,
        joined=joined,
        **fields,
    )


def site(
    id: str,
    name: str,
    kind: SiteKind,
    organization_id: str,
    area_id: str,
    opened: date,
    **fields: Any,
) -> ServiceSite:
    """A service site from its six required fields, in order."""
    return ServiceSite(
        id=id,
        name=name,
        kind=kind,
        organization_id=organization_id,
        area_id=area_id,
        opened=opened,
        **fields,
    )


def course(
    id: str,
    kind: CourseKind,
    organization_id: str,
    start: date,
    end: date | None = None,
    *,
    hours: Any = 2,
    **fields: Any,
) -> Course:
    """A first-aid course from ``start`` to ``end`` (the same day unless told)."""
    return Course(
        id=id,
        kind=kind,
        organization_id=organization_id,
        start=start,
        end=start if end is None else end,
        hours=hours,
        **fields,
    )


# -- the Qujing examples: societies, areas, programmes and projects ----------------------------

RED_CROSS = (
    Organization(id="rc-china", name="中国红十字会总会", level=OrgLevel.NATIONAL),
    Organization(id="yunnan", name="云南省红十字会", level=OrgLevel.PROVINCE, parent_id="rc-china"),
    Organization(id="qujing", name="曲靖市红十字会", level=OrgLevel.CITY, parent_id="yunnan"),
    Organization(id="huize", name="会泽县红十字会", level=OrgLevel.COUNTY, parent_id="qujing"),
)
"""The Red Cross societies from the national one down to 会泽县's."""


def huize_areas(village: str = "530326101201") -> tuple[AdminArea, ...]:
    """云南省 > 曲靖市 > 会泽县 > 某镇 > 青云村: the areas down to a village of 会泽县.

    The township's code is the first nine digits of the village's.
    """
    township = village[:9]
    return (
        AdminArea(id="530000", name="云南省", level=AdminLevel.PROVINCE),
        AdminArea(id="530300", name="曲靖市", level=AdminLevel.PREFECTURE, parent_id="530000"),
        AdminArea(id="530326", name="会泽县", level=AdminLevel.COUNTY, parent_id="530300"),
        AdminArea(id=township, name="某镇", level=AdminLevel.TOWNSHIP, parent_id="530326"),
        AdminArea(id=village, name="青云村", level=AdminLevel.VILLAGE, parent_id=township),
    )


_PROGRAM_NAMES = {"boai": "博爱家园", "relief": "博爱送万家", "heart": "救心行动"}


def qujing_programs(*ids: str) -> tuple[Program, ...]:
    """The city society's programmes ``boai``, ``relief`` and ``heart``, in the order asked."""
    return tuple(Program(id=i, name=_PROGRAM_NAMES[i], organization_id="qujing") for i in ids)


def relief_2020(budget: str) -> Project:
    """博爱送万家 2020, the city's relief handout of the year, completed."""
    return Project(
        id="relief-2020",
        name="博爱送万家 2020",
        kind=ProjectKind.RELIEF_DISTRIBUTION,
        organization_id="qujing",
        period=Period.year(2020),
        budget=cny(budget),
        status=ProjectStatus.COMPLETED,
        program_id="relief",
        area_id="530300",
    )


def qingyun(**changes: Any) -> Project:
    """青云村博爱家园, the county's two-year village project, active."""
    fields: dict[str, Any] = {
        "id": "qingyun",
        "name": "青云村博爱家园",
        "kind": ProjectKind.COMMUNITY_RESILIENCE,
        "organization_id": "huize",
        "period": Period(date(2019, 4, 1), date(2021, 3, 31)),
        "budget": cny("450000"),
        "status": ProjectStatus.ACTIVE,
        "program_id": "boai",
        "area_id": "530326101201",
    }
    return Project(**{**fields, **changes})


# -- generated ---------------------------------------------------------------------------------


def flows_between(
    parties: Sequence[Party],
    *,
    currencies: Sequence[str],
    ids: st.SearchStrategy[str],
    **fields: st.SearchStrategy[Any],
) -> st.SearchStrategy[Flow]:
    """Flows of every kind between two of ``parties``, 2015 to 2025, in ``currencies``.

    Amounts are 1 to 10**9 minor units; ``fields`` draw the flows' optional fields.
    """
    ends = st.tuples(st.sampled_from(parties), st.sampled_from(parties)).filter(
        lambda e: e[0] != e[1]
    )
    return st.builds(
        lambda e, units, currency, **kw: Flow(
            source=e[0], destination=e[1], amount=Money.from_minor_units(units, currency), **kw
        ),
        ends,
        st.integers(min_value=1, max_value=10**9),
        st.sampled_from(currencies),
        id=ids,
        on=st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31)),
        kind=st.sampled_from(FlowKind),
        **fields,
    )


@st.composite
def owners_and_projects(
    draw: st.DrawFn, *, max_size: int
) -> tuple[list[Organization], list[Project], list[Party]]:
    """Organisations, projects they own (1 to ``max_size`` of each) and the parties of both.

    The parties are the projects' first, then the organisations'.
    """
    orgs = draw(st.lists(organizations(), min_size=1, max_size=max_size, unique_by=lambda o: o.id))
    owned = draw(
        st.lists(
            projects(organization_ids=[o.id for o in orgs]),
            min_size=1,
            max_size=max_size,
            unique_by=lambda p: p.id,
        )
    )
    parties = [*(p.party for p in owned), *(Party.organization(o.id) for o in orgs)]
    return orgs, owned, parties


# -- reported figures (test_reported_figures, test_reconciliation) ------------------------------

SIX_YEARS = Period(date(2015, 1, 1), date(2020, 12, 31))
QUJING = Organization(id="qj", name="曲靖市红十字会", level=OrgLevel.CITY)


def figure(stated: str, *, id: str = "f", part_of: str | None = None, **kw: Any) -> ReportedFigure:
    """A figure the Qujing society reported for 2015-2020 ("投入帮扶资金物资" unless told)."""
    return ReportedFigure(
        id=id,
        organization_id="qj",
        subject=kw.pop("subject", "投入帮扶资金物资"),
        stated=stated,
        period=kw.pop("period", SIX_YEARS),
        part_of=part_of,
        **kw,
    )


def figures_dataset(*figures: ReportedFigure) -> Dataset:
    """The Qujing society and the figures it reported."""
    return Dataset(organizations=(QUJING,), reported_figures=figures)


# -- the docs' generator (test_api, test_docs) ---------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs"


def apiref() -> Any:
    """docs/_ext/apiref.py, the Sphinx extension that writes the reference and codes pages."""
    if "apiref" not in sys.modules:
        spec = importlib.util.spec_from_file_location("apiref", DOCS / "_ext" / "apiref.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["apiref"] = module
        spec.loader.exec_module(module)
    return sys.modules["apiref"]
