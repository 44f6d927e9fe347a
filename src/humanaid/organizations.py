"""Organisations, their dated qualifications and governance, and administrative areas.

A Red Cross society sits in a hierarchy (national > province > city > county > township
station > village or community station); hospitals, enterprises, foundations, government
bodies and online platforms are organisations too. What an organisation may do depends on
the qualifications it holds *on a given day*: raising money from the public (公募资格),
gifts that donors may deduct before tax (公益性捐赠税前扣除资格), tax-exempt income
(非营利组织免税资格). Each is valid for a period, so the question is always
``org.holds(kind, on=day)``.

An :class:`AdminArea` is an administrative division (a Chinese division code such as
``530300`` for 曲靖市, or a humanitarian p-code such as ``AF0101``) with its parent, so
that figures can roll up village > township > county > city > province.

>>> from datetime import date
>>> qujing = Organization(
...     id="qj", name="曲靖市红十字会", level="city", area_id="530300",
...     qualifications=(
...         Qualification(kind="public_fundraising", valid_from=date(2017, 5, 8)),
...         Qualification(kind="tax_deductible", valid_from=date(2018, 1, 1),
...                       valid_until=date(2020, 12, 31)),
...     ),
... )
>>> qujing.holds(QualificationKind.PUBLIC_FUNDRAISING, on=date(2020, 2, 1))
True
>>> qujing.holds("tax_deductible", on=date(2021, 1, 1))
False
>>> areas = {a.id: a for a in (
...     AdminArea(id="530000", name="云南省", level="province"),
...     AdminArea(id="530300", name="曲靖市", level="prefecture", parent_id="530000"),
...     AdminArea(id="530326", name="会泽县", level="county", parent_id="530300"),
... )}
>>> [a.name for a in ancestors("530326", areas)]
['曲靖市', '云南省']
>>> enclosing_area("530326", "province", areas).name
'云南省'
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, Final, Protocol, TypeVar, cast

import attrs

from humanaid.errors import FieldValueError
from humanaid.periods import Period
from humanaid.records import (
    date_field,
    enum_field,
    id_field,
    record_field,
    ref_field,
    text_field,
    tuple_field,
    valid_id,
    whole,
)

__all__ = [
    "AdminArea",
    "AdminLevel",
    "Governance",
    "GoverningBody",
    "GoverningBodyKind",
    "OrgKind",
    "OrgLevel",
    "Organization",
    "Qualification",
    "QualificationKind",
    "ancestors",
    "enclosing_area",
]


# -- organisations ----------------------------------------------------------------------------


class OrgLevel(enum.StrEnum):
    """Where a Red Cross body sits in the hierarchy (总会 > 省 > 市 > 县 > 乡镇 > 村/社区).

    :attr:`rank` orders the levels, 0 for national; village and community stations share
    the lowest rank (a village is rural, a community urban).

    >>> OrgLevel.CITY.rank < OrgLevel.COUNTY.rank
    True
    """

    NATIONAL = "national"
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    COMMUNITY = "community"

    @property
    def rank(self) -> int:
        """0 for national, 1 province, 2 city, 3 county, 4 township, 5 village/community."""
        return _ORG_RANK[self]


_ORG_RANK: Final = {
    OrgLevel.NATIONAL: 0,
    OrgLevel.PROVINCE: 1,
    OrgLevel.CITY: 2,
    OrgLevel.COUNTY: 3,
    OrgLevel.TOWNSHIP: 4,
    OrgLevel.VILLAGE: 5,
    OrgLevel.COMMUNITY: 5,
}


class OrgKind(enum.StrEnum):
    """What kind of body an organisation is.

    A township or village *service station* (红十字工作服务站) is a ``RED_CROSS_SOCIETY``
    body at level ``TOWNSHIP``, ``VILLAGE`` or ``COMMUNITY``.
    """

    RED_CROSS_SOCIETY = "red_cross_society"
    HOSPITAL = "hospital"
    ENTERPRISE = "enterprise"
    FOUNDATION = "foundation"
    GOVERNMENT = "government"
    PLATFORM = "platform"
    SOCIAL_GROUP = "social_group"
    OTHER = "other"


class QualificationKind(enum.StrEnum):
    """The three qualifications a society is urged to hold (the "三项资格").

    ``PUBLIC_FUNDRAISING``: may raise money from the public (公募资格).
    ``TAX_DEDUCTIBLE``: donors may deduct gifts to it before tax (公益性捐赠税前扣除资格).
    ``TAX_EXEMPT``: its own income is exempt from tax (非营利组织免税资格).
    """

    PUBLIC_FUNDRAISING = "public_fundraising"
    TAX_DEDUCTIBLE = "tax_deductible"
    TAX_EXEMPT = "tax_exempt"


@attrs.frozen(kw_only=True)
class Qualification:
    """A qualification held from one day to another, both included.

    Attributes:
        kind: which qualification.
        valid_from: the first day it is valid.
        valid_until: the last day it is valid, or ``None`` when it has no end date (the
            public-fundraising standing that the Red Cross law gives a society, say).
        certificate: the certificate or approval number, if any.

    >>> q = Qualification(kind="tax_deductible", valid_from=date(2018, 1, 1),
    ...                   valid_until=date(2020, 12, 31), certificate="财税〔2018〕1号")
    >>> q.covers(date(2020, 12, 31)), q.covers(date(2021, 1, 1))
    (True, False)
    >>> Qualification(kind="tax_exempt", valid_from=date(2020, 1, 1),
    ...               valid_until=date(2019, 1, 1))
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'valid_until' must not be before 'valid_from' (got ...)
    """

    kind: QualificationKind = enum_field(QualificationKind)
    valid_from: date = date_field()
    valid_until: date | None = date_field(optional=True)
    certificate: str | None = text_field(optional=True, kind="label")

    def __attrs_post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise FieldValueError(
                "valid_until",
                f"must not be before 'valid_from' (got {self.valid_until} < {self.valid_from})",
            )

    def covers(self, on: date) -> bool:
        """Whether the qualification is valid on the day ``on``."""
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)


class GoverningBodyKind(enum.StrEnum):
    """A governing body of the "三位一体" structure.

    The board decides (理事会), the executive committee executes (执委会), the
    supervisory board oversees (监事会).
    """

    BOARD = "board"
    EXECUTIVE_COMMITTEE = "executive_committee"
    SUPERVISORY_BOARD = "supervisory_board"


@attrs.frozen(kw_only=True)
class GoverningBody:
    """One governing body: what it is, how many members it has, its name and term.

    Members are counted, not named: the names of people are personal data and the model
    has no need of them here.

    Attributes:
        kind: board, executive committee or supervisory board.
        members: the number of seats, at least 1.
        name: the body's name, such as "第五届理事会".
        term: the term of office, if known.
    """

    kind: GoverningBodyKind = enum_field(GoverningBodyKind)
    members: int = attrs.field(validator=whole(low=1))
    name: str | None = text_field(optional=True, kind="name")
    term: Period | None = record_field(Period, optional=True)


@attrs.frozen(kw_only=True)
class Governance:
    """The governing bodies of an organisation, at most one of each kind.

    >>> g = Governance(bodies=(
    ...     GoverningBody(kind="board", members=25),
    ...     GoverningBody(kind="executive_committee", members=7),
    ...     GoverningBody(kind="supervisory_board", members=5),
    ... ))
    >>> g.is_three_in_one, g.body("board").members
    (True, 25)
    """

    bodies: tuple[GoverningBody, ...] = tuple_field(GoverningBody)

    def __attrs_post_init__(self) -> None:
        seen: set[GoverningBodyKind] = set()
        for i, body in enumerate(self.bodies):
            if body.kind in seen:
                raise ValueError(
                    f"'bodies[{i}]' is a second {body.kind.value!r}; list each body once"
                )
            seen.add(body.kind)

    def body(self, kind: GoverningBodyKind | str) -> GoverningBody | None:
        """The body of ``kind``, or ``None``."""
        wanted = GoverningBodyKind(kind)
        return next((b for b in self.bodies if b.kind is wanted), None)

    @property
    def is_three_in_one(self) -> bool:
        """Whether the board, executive committee and supervisory board all exist."""
        return {b.kind for b in self.bodies} == set(GoverningBodyKind)


def _not_own_parent(self: Any) -> None:
    if self.parent_id is not None and self.parent_id == self.id:
        raise FieldValueError("parent_id", f"must not be the record's own id (got {self.id!r})")


@attrs.frozen(kw_only=True)
class Organization:
    """A body that gives, receives, hosts or organises: a society, hospital, firm ...

    Attributes:
        id: the organisation's id.
        name: its name (an organisation's name is not personal data).
        kind: what kind of body it is; a Red Cross society by default.
        level: where a Red Cross body sits in the hierarchy; required for
            ``RED_CROSS_SOCIETY``, optional for others (a county hospital, say).
        parent_id: the organisation above it (a county society's city society).
        area_id: the administrative area it serves.
        founded_on: the day it was founded or registered, if known.
        qualifications: the qualifications it holds or held, each with its validity.
        governance: its governing bodies, if recorded.

    >>> Organization(id="acme", name="曲靖某某实业有限公司", kind="enterprise").is_red_cross
    False
    >>> Organization(id="x", name="某县红十字会")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'level' is required for a red_cross_society ...
    """

    id: str = id_field()
    name: str = text_field(kind="name")
    kind: OrgKind = enum_field(OrgKind, default=OrgKind.RED_CROSS_SOCIETY)
    level: OrgLevel | None = enum_field(OrgLevel, optional=True)
    parent_id: str | None = ref_field("organizations", optional=True)
    area_id: str | None = ref_field("admin_areas", optional=True)
    founded_on: date | None = date_field(optional=True)
    qualifications: tuple[Qualification, ...] = tuple_field(Qualification)
    governance: Governance | None = record_field(Governance, optional=True)

    def __attrs_post_init__(self) -> None:
        if self.kind is OrgKind.RED_CROSS_SOCIETY and self.level is None:
            raise FieldValueError(
                "level", "is required for a red_cross_society (national ... community)"
            )
        _not_own_parent(self)

    @property
    def is_red_cross(self) -> bool:
        """Whether this is a Red Cross body (a society or one of its stations)."""
        return self.kind is OrgKind.RED_CROSS_SOCIETY

    def holds(self, kind: QualificationKind | str, *, on: date) -> bool:
        """Whether the organisation holds qualification ``kind`` on the day ``on``."""
        wanted = QualificationKind(kind)
        return any(q.kind is wanted and q.covers(on) for q in self.qualifications)

    def first_day_without(self, kind: QualificationKind | str, period: Period) -> date | None:
        """The first day of ``period`` on which ``kind`` is not held, or ``None``.

        Consecutive qualifications (a certificate renewed the day after the old one ends)
        cover a period together.

        >>> org = Organization(id="o", name="o", kind="foundation", qualifications=(
        ...     Qualification(kind="public_fundraising", valid_from=date(2020, 1, 1),
        ...                   valid_until=date(2020, 6, 30)),
        ...     Qualification(kind="public_fundraising", valid_from=date(2020, 7, 1),
        ...                   valid_until=date(2020, 9, 30)),
        ... ))
        >>> org.first_day_without("public_fundraising", Period.year(2020))
        datetime.date(2020, 10, 1)
        >>> org.first_day_without("public_fundraising", Period.quarter(2020, 3)) is None
        True
        """
        wanted = QualificationKind(kind)
        day = period.start
        spans = sorted(
            ((q.valid_from, q.valid_until) for q in self.qualifications if q.kind is wanted),
            key=lambda span: span[0],
        )
        for start, end in spans:
            if start > day:
                break
            if end is None:
                return None
            if end >= day:
                if end >= period.end:
                    return None
                day = end + timedelta(days=1)
        return day

    def holds_throughout(self, kind: QualificationKind | str, period: Period) -> bool:
        """Whether ``kind`` is held on every day of ``period``."""
        return self.first_day_without(kind, period) is None


# -- administrative areas ---------------------------------------------------------------------


class AdminLevel(enum.StrEnum):
    """The level of an administrative area.

    The Chinese levels (``PROVINCE`` 省, ``PREFECTURE`` 地级市/州, ``COUNTY`` 县/区,
    ``TOWNSHIP`` 乡镇/街道, ``VILLAGE`` 村/社区) and, for other countries' p-codes, the
    generic ``COUNTRY`` and ``ADMIN1`` to ``ADMIN5``. :attr:`depth` orders both kinds.
    """

    COUNTRY = "country"
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"
    ADMIN1 = "admin1"
    ADMIN2 = "admin2"
    ADMIN3 = "admin3"
    ADMIN4 = "admin4"
    ADMIN5 = "admin5"

    @property
    def depth(self) -> int:
        """0 for a country, 1 for a province or admin1, ... 5 for a village or admin5."""
        return _AREA_DEPTH[self]


_AREA_DEPTH: Final = {
    AdminLevel.COUNTRY: 0,
    AdminLevel.PROVINCE: 1,
    AdminLevel.PREFECTURE: 2,
    AdminLevel.COUNTY: 3,
    AdminLevel.TOWNSHIP: 4,
    AdminLevel.VILLAGE: 5,
    AdminLevel.ADMIN1: 1,
    AdminLevel.ADMIN2: 2,
    AdminLevel.ADMIN3: 3,
    AdminLevel.ADMIN4: 4,
    AdminLevel.ADMIN5: 5,
}
_CN_CODE: Final = re.compile(r"(?:[0-9]{6}|[0-9]{9}|[0-9]{12})\Z", re.ASCII)
_P_CODE: Final = re.compile(r"[A-Z]{2,3}[0-9]{0,15}\Z", re.ASCII)
_CN_LEVELS: Final = frozenset(
    {
        AdminLevel.COUNTRY,
        AdminLevel.PROVINCE,
        AdminLevel.PREFECTURE,
        AdminLevel.COUNTY,
        AdminLevel.TOWNSHIP,
        AdminLevel.VILLAGE,
    }
)


def _area_code(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    valid_id(instance, attribute, value)
    code = cast(str, value)  # valid_id refused anything else
    if not (_CN_CODE.match(code) or _P_CODE.match(code)):
        raise FieldValueError(
            attribute.name,
            f"must be a Chinese division code of 6, 9 or 12 digits "
            f"(530302, 530302001) or a p-code of 2 or 3 capital letters and digits (AF0101) "
            f"(got {value!r})",
        )


def _cn_level(code: str) -> AdminLevel:
    if len(code) == 12:
        return AdminLevel.VILLAGE
    if len(code) == 9:
        return AdminLevel.TOWNSHIP
    if code.endswith("0000"):
        return AdminLevel.PROVINCE
    if code.endswith("00"):
        return AdminLevel.PREFECTURE
    return AdminLevel.COUNTY


@attrs.frozen(kw_only=True)
class AdminArea:
    """An administrative division, identified by its official code.

    The id is the code: a Chinese division code (6 digits for province, prefecture and
    county, as in GB/T 2260; 9 for a township and 12 for a village, as in the national
    statistics scheme), or a p-code (2 or 3 capital ISO country letters and digits, as
    OCHA uses: ``AF``, ``AF01``, ``AF0101``). For a Chinese code and a Chinese level the
    level must fit the code: ``530000`` is a province, ``530300`` a prefecture, ``530302``
    a county.

    Attributes:
        id: the code.
        name: the area's name.
        level: its level.
        parent_id: the code of the area that contains it.

    >>> AdminArea(id="530302001", name="某街道", level="township").scheme
    'cn'
    >>> AdminArea(id="530300", name="曲靖市", level="county")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'level' is county but the code '530300' is a prefecture code
    >>> AdminArea(id="53-03", name="x", level="county")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'id' must be a Chinese division code ... (got '53-03')
    """

    id: str = attrs.field(validator=_area_code)
    name: str = text_field(kind="name")
    level: AdminLevel = enum_field(AdminLevel)
    parent_id: str | None = ref_field("admin_areas", optional=True)

    def __attrs_post_init__(self) -> None:
        if self.scheme == "cn" and self.level in _CN_LEVELS:
            implied = _cn_level(self.id)
            if implied is not self.level:
                raise FieldValueError(
                    "level",
                    f"is {self.level.value} but the code {self.id!r} is a {implied.value} code",
                )
        _not_own_parent(self)

    @property
    def scheme(self) -> str:
        """``"cn"`` for a Chinese division code, ``"pcode"`` for a p-code."""
        return "cn" if self.id.isdigit() else "pcode"


# -- hierarchies ------------------------------------------------------------------------------


class _Node(Protocol):
    """A record in a tree: it has an ``id`` and a ``parent_id``."""

    @property
    def id(self) -> str:
        """The record's id."""
        ...

    @property
    def parent_id(self) -> str | None:
        """The id of its parent, or None at the top."""
        ...


N = TypeVar("N", bound=_Node)


def ancestors(record_id: str, index: Mapping[str, N]) -> tuple[N, ...]:
    """The records above ``record_id``, nearest first (parent, grandparent, ...).

    Works for :class:`AdminArea` and :class:`Organization` alike, given an id index such
    as ``dataset.index("admin_areas")``. It stops at a parent that is not in ``index``
    and at a cycle (each record is listed once), so it never loops on bad data; the rule
    ``organizations.parent-cycle`` reports the cycle.

    >>> orgs = {o.id: o for o in (
    ...     Organization(id="yn", name="云南省红十字会", level="province"),
    ...     Organization(id="qj", name="曲靖市红十字会", level="city", parent_id="yn"),
    ...     Organization(id="hz", name="会泽县红十字会", level="county", parent_id="qj"),
    ... )}
    >>> [o.id for o in ancestors("hz", orgs)]
    ['qj', 'yn']
    >>> ancestors("nowhere", orgs)
    ()
    """
    found: list[N] = []
    seen = {record_id}
    current = index.get(record_id)
    while current is not None and current.parent_id is not None:
        if current.parent_id in seen:
            break
        seen.add(current.parent_id)
        current = index.get(current.parent_id)
        if current is not None:
            found.append(current)
    return tuple(found)


def enclosing_area(
    area_id: str, level: AdminLevel | str, areas: Mapping[str, AdminArea]
) -> AdminArea | None:
    """The area at ``level`` that contains ``area_id``, or ``None``.

    The area itself counts if it is at that level. This is the key for rolling village
    figures up to a county or a province.

    >>> areas = {a.id: a for a in (
    ...     AdminArea(id="530300", name="曲靖市", level="prefecture"),
    ...     AdminArea(id="530326", name="会泽县", level="county", parent_id="530300"),
    ... )}
    >>> enclosing_area("530326", "prefecture", areas).id
    '530300'
    >>> enclosing_area("530326", "county", areas).id
    '530326'
    >>> enclosing_area("530326", "province", areas) is None
    True
    """
    wanted = AdminLevel(level)
    area = areas.get(area_id)
    if area is None:
        return None
    if area.level is wanted:
        return area
    return next((a for a in ancestors(area_id, areas) if a.level is wanted), None)
