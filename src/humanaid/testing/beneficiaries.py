"""Hypothesis strategies for persons, households, cases, screenings and distributions.

Re-exported by :mod:`humanaid.testing`; every strategy builds valid records, from the
shared building blocks of :mod:`humanaid.testing._common`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from humanaid.beneficiaries import (
    Household,
    HouseholdFlag,
    Person,
    Pseudonyms,
    Sex,
    resident_id_check_char,
)
from humanaid.cases import (
    CASE_TRANSITIONS,
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Condition,
    Distribution,
    Screening,
    ScreeningOutcome,
)
from humanaid.donors import InKindItem
from humanaid.testing._common import (
    GOODS,
    GOODS_UNITS,
    dates,
    money_units,
    phone_numbers,
    short_ids,
)

__all__ = [
    "case_events",
    "cases",
    "chinese_names",
    "distributions",
    "households",
    "persons",
    "pseudonyms",
    "resident_ids",
    "screenings",
]

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红玉梅琴云飞鹏辉婷雪晶欣宇浩然"
_OLDEST = date(1920, 1, 1)
_YOUNGEST = date(2020, 12, 31)
_FIRST_DAY = date(2010, 1, 1)  # of a case, a screening or a distribution
_LAST_DAY = date(2030, 12, 31)


def chinese_names() -> st.SearchStrategy[str]:
    """Chinese names: a surname (sometimes two) and one or two given characters."""
    surname = st.sampled_from(_SURNAMES) | st.sampled_from(["欧阳", "司马", "诸葛", "上官"])
    given = st.text(st.sampled_from(_GIVEN), min_size=1, max_size=2)
    return st.tuples(surname, given).map("".join)


def resident_ids(
    *, min_birth: date = _OLDEST, max_birth: date = _YOUNGEST, sex: Sex | None = None
) -> st.SearchStrategy[str]:
    """Valid 18-character resident ID numbers with birth dates in the given range."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        region = draw(st.integers(1, 8)) * 100000 + draw(st.integers(0, 99999))
        born = draw(dates(min_value=min_birth, max_value=max_birth))
        order = draw(st.integers(0, 999))
        if sex is not None:
            order = order - order % 2 + (1 if sex is Sex.MALE else 0)
        first17 = f"{region:06d}{born:%Y%m%d}{order:03d}"
        return first17 + resident_id_check_char(first17)

    return build()


def _places() -> st.SearchStrategy[str]:
    village = st.text(st.sampled_from("东西南北新和平安乐福"), min_size=1, max_size=2)
    return st.tuples(village, st.integers(1, 99), st.integers(1, 200)).map(
        lambda t: f"{t[0]}村{t[1]}组{t[2]}号"
    )


def pseudonyms() -> st.SearchStrategy[Pseudonyms]:
    """Pseudonyms of a redacted person (always one for the name)."""
    hexes = st.text("0123456789abcdef", min_size=32, max_size=32).map(lambda h: "ps:" + h)
    return st.builds(Pseudonyms, name=hexes, id_number=st.none() | hexes, phone=st.none() | hexes)


def persons(
    *,
    household_ids: st.SearchStrategy[str | None] | None = None,
    area_ids: st.SearchStrategy[str | None] | None = None,
    redacted: bool | None = False,
) -> st.SearchStrategy[Person]:
    """Valid persons; ``redacted=None`` mixes in redacted ones, ``True`` gives only those.

    When an ID number is drawn, the birth date and sex are either left out or agree with it.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Person:
        is_redacted = draw(st.booleans()) if redacted is None else redacted
        id_number = draw(st.none() | resident_ids())
        birth = draw(st.none() | dates(min_value=_OLDEST, max_value=_YOUNGEST))
        sex = draw(st.none() | st.sampled_from(Sex))
        if id_number is not None:
            id_birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
            birth = draw(st.sampled_from([None, id_birth]))
            id_sex = Sex.MALE if int(id_number[16]) % 2 else Sex.FEMALE
            sex = draw(st.sampled_from([None, id_sex]))
        fields: dict[str, Any] = {
            "id": draw(short_ids(prefix="person-")),
            "sex": sex,
            "birth_date": birth,
            "household_id": draw(household_ids if household_ids is not None else st.none()),
            "area_id": draw(
                area_ids if area_ids is not None else st.none() | short_ids(prefix="area-")
            ),
        }
        if is_redacted:
            ps = draw(pseudonyms())
            return Person(pseudonyms=ps, **fields)
        return Person(
            name=draw(chinese_names()),
            id_number=id_number,
            phone=draw(st.none() | phone_numbers()),
            location=draw(st.none() | _places()),
            **fields,
        )

    return build()


def households(
    *,
    min_members: int = 1,
    max_members: int = 12,
    area_ids: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[Household]:
    """Valid households of ``min_members`` to ``max_members`` members."""
    return st.builds(
        Household,
        id=short_ids(prefix="household-"),
        head_id=st.none() | short_ids(prefix="person-"),
        members=st.integers(min_members, max_members),
        area_id=area_ids if area_ids is not None else st.none() | short_ids(prefix="area-"),
        address=st.none() | _places(),
        flags=st.frozensets(st.sampled_from(HouseholdFlag), max_size=3),
    )


def case_events() -> st.SearchStrategy[CaseEvent]:
    """Single case events (any status, any day, sometimes a note)."""
    return st.builds(
        CaseEvent,
        status=st.sampled_from(CaseStatus),
        on=dates(),
        note=st.none() | st.text(st.sampled_from(_GIVEN), min_size=1, max_size=10),
    )


def cases(
    *,
    kind: CaseKind | None = None,
    person_ids: st.SearchStrategy[str] | None = None,
    program_ids: st.SearchStrategy[str | None] | None = None,
    max_steps: int = 8,
) -> st.SearchStrategy[Case]:
    """Valid cases whose history is a random walk through the legal transitions."""

    @st.composite
    def build(draw: st.DrawFn) -> Case:
        k = kind if kind is not None else draw(st.sampled_from(CaseKind))
        medical = k is CaseKind.MEDICAL
        day = draw(dates(min_value=_FIRST_DAY, max_value=_LAST_DAY))
        history = [CaseEvent(status=CaseStatus.REFERRED, on=day)]
        for _ in range(draw(st.integers(0, max_steps))):
            allowed = sorted(CASE_TRANSITIONS[history[-1].status])
            if not allowed:
                break
            status = draw(st.sampled_from(allowed))
            day = day + timedelta(days=draw(st.integers(0, 60)))
            history.append(CaseEvent(status=status, on=day))
        was_approved = any(e.status is CaseStatus.APPROVED for e in history)
        person = draw(person_ids if person_ids is not None else short_ids(prefix="person-"))
        return Case(
            id=draw(short_ids(prefix="case-")),
            kind=k,
            person_id=person,
            household_id=draw(st.none() | short_ids(prefix="household-")),
            condition=draw(st.none() | st.sampled_from(Condition)) if medical else None,
            program_id=draw(
                program_ids if program_ids is not None else st.none() | short_ids(prefix="program-")
            ),
            hospital_id=draw(st.none() | short_ids(prefix="hospital-")) if medical else None,
            approved=draw(st.none() | money_units(min_value=0, max_value=10**9))
            if was_approved
            else None,
            paid=draw(st.none() | money_units(min_value=0, max_value=10**9)),
            history=tuple(history),
        )

    return build()


def screenings(
    *,
    person_ids: st.SearchStrategy[str] | None = None,
    program_ids: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Screening]:
    """Valid screenings."""
    return st.builds(
        Screening,
        id=short_ids(prefix="screening-"),
        person_id=person_ids if person_ids is not None else short_ids(prefix="person-"),
        program_id=program_ids if program_ids is not None else short_ids(prefix="program-"),
        on=dates(min_value=_FIRST_DAY, max_value=_LAST_DAY),
        outcome=st.sampled_from(ScreeningOutcome),
        project_id=st.none() | short_ids(prefix="project-"),
        site_id=st.none() | short_ids(prefix="hospital-"),
    )


def _items() -> st.SearchStrategy[InKindItem]:
    return st.builds(
        InKindItem,
        description=st.sampled_from(GOODS),
        quantity=st.integers(1, 50),
        unit=st.sampled_from(GOODS_UNITS),
        unit_value=money_units(min_value=1, max_value=10**6),
        valuation=st.just("invoice"),
    )


def distributions(
    *,
    household_ids: st.SearchStrategy[str] | None = None,
    campaign_ids: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[Distribution]:
    """Valid distributions, of cash or of valued goods."""

    @st.composite
    def build(draw: st.DrawFn) -> Distribution:
        fields: dict[str, Any] = {
            "id": draw(short_ids(prefix="distribution-")),
            "household_id": draw(
                household_ids if household_ids is not None else short_ids(prefix="household-")
            ),
            "on": draw(dates(min_value=_FIRST_DAY, max_value=_LAST_DAY)),
            "round": draw(st.integers(1, 4)),
            "campaign_id": draw(
                campaign_ids
                if campaign_ids is not None
                else st.none() | short_ids(prefix="campaign-")
            ),
            "program_id": draw(st.none() | short_ids(prefix="program-")),
            "site_id": draw(st.none() | short_ids(prefix="site-")),
        }
        if draw(st.booleans()):
            return Distribution.in_kind(
                items=draw(st.lists(_items(), min_size=1, max_size=3)), **fields
            )
        return Distribution.cash(value=draw(money_units(min_value=1, max_value=10**7)), **fields)

    return build()


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """The default strategy for each record type of this theme."""
    return {
        Person: lambda: persons(redacted=None),
        Pseudonyms: pseudonyms,
        Household: households,
        CaseEvent: case_events,
        Case: cases,
        Screening: screenings,
        Distribution: distributions,
    }
