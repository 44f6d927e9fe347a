from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import huize_areas
from checks import problems_of
from humanaid import (
    AdminArea,
    AdminLevel,
    Governance,
    GoverningBody,
    GoverningBodyKind,
    Organization,
    OrgKind,
    OrgLevel,
    Period,
    Qualification,
    QualificationKind,
    ancestors,
    enclosing_area,
    from_json,
    to_dict,
    to_json,
)
from humanaid.testing import admin_areas, organizations, qualifications

PF = QualificationKind.PUBLIC_FUNDRAISING


# -- qualifications -------------------------------------------------------------------------


def test_a_qualification_covers_its_days_both_ends_included() -> None:
    q = Qualification(kind=PF, valid_from=date(2020, 1, 1), valid_until=date(2020, 12, 31))
    assert not q.covers(date(2019, 12, 31))
    assert q.covers(date(2020, 1, 1))
    assert q.covers(date(2020, 12, 31))
    assert not q.covers(date(2021, 1, 1))
    open_ended = Qualification(kind=PF, valid_from=date(2017, 5, 8))
    assert open_ended.covers(date(2099, 1, 1))


def test_a_qualification_may_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="'valid_until' must not be before 'valid_from'"):
        Qualification(kind=PF, valid_from=date(2020, 1, 2), valid_until=date(2020, 1, 1))


def test_qualification_kinds_accept_their_values() -> None:
    q = Qualification(kind="tax_exempt", valid_from=date(2020, 1, 1))  # type: ignore[arg-type]
    assert q.kind is QualificationKind.TAX_EXEMPT
    with pytest.raises(ValueError, match="'kind' must be one of"):
        Qualification(kind="public", valid_from=date(2020, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'certificate' must not be empty"):
        Qualification(kind=PF, valid_from=date(2020, 1, 1), certificate="  ")


# -- organisations ----------------------------------------------------------------------------


def society(**changes: Any) -> Organization:
    base: dict[str, Any] = {
        "id": "qj",
        "name": "曲靖市红十字会",
        "level": OrgLevel.CITY,
        "qualifications": (
            Qualification(kind=PF, valid_from=date(2020, 1, 1), valid_until=date(2020, 6, 30)),
            Qualification(kind=PF, valid_from=date(2020, 7, 1), valid_until=date(2020, 9, 30)),
            Qualification(kind=PF, valid_from=date(2021, 1, 1)),
            Qualification(
                kind=QualificationKind.TAX_DEDUCTIBLE,
                valid_from=date(2018, 1, 1),
                valid_until=date(2020, 12, 31),
            ),
        ),
    }
    base.update(changes)
    return Organization(**base)


def test_holds_answers_for_a_given_day() -> None:
    org = society()
    assert org.holds(PF, on=date(2020, 7, 1))
    assert not org.holds(PF, on=date(2020, 11, 1))
    assert org.holds("public_fundraising", on=date(2030, 1, 1))
    assert org.holds(QualificationKind.TAX_DEDUCTIBLE, on=date(2020, 12, 31))
    assert not org.holds(QualificationKind.TAX_EXEMPT, on=date(2020, 12, 31))
    with pytest.raises(ValueError, match="not a valid QualificationKind"):
        org.holds("charity", on=date(2020, 1, 1))


def test_first_day_without_joins_consecutive_qualifications() -> None:
    org = society()
    assert org.first_day_without(PF, Period.parse("2020-01-01/2020-09-30")) is None
    assert org.first_day_without(PF, Period.year(2020)) == date(2020, 10, 1)
    assert org.first_day_without(PF, Period.parse("2019-12-01/2020-01-31")) == date(2019, 12, 1)
    assert org.first_day_without(PF, Period.parse("2020-12-31/2022-01-01")) == date(2020, 12, 31)
    assert org.first_day_without(PF, Period.parse("2021-03-01/2099-12-31")) is None
    assert org.holds_throughout(PF, Period.quarter(2020, 3))
    assert not org.holds_throughout(PF, Period.quarter(2020, 4))


@given(
    st.lists(qualifications(kinds=[PF]), max_size=4),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 1)),
    st.integers(min_value=0, max_value=60),
)
def test_first_day_without_is_the_first_day_holds_is_false(
    quals: list[Qualification], start: date, days: int
) -> None:
    org = Organization(id="o", name="o", kind=OrgKind.FOUNDATION, qualifications=tuple(quals))
    period = Period(start, start + timedelta(days=days))
    expected = next(
        (
            start + timedelta(days=i)
            for i in range(days + 1)
            if not org.holds(PF, on=start + timedelta(days=i))
        ),
        None,
    )
    assert org.first_day_without(PF, period) == expected


def test_a_red_cross_society_needs_a_level_others_need_not() -> None:
    with pytest.raises(ValueError, match="'level' is required for a red_cross_society"):
        Organization(id="x", name="某县红十字会")
    hospital = Organization(id="h", name="曲靖市第一人民医院", kind=OrgKind.HOSPITAL)
    assert hospital.level is None
    assert not hospital.is_red_cross
    station = Organization(id="s", name="某镇红十字工作服务站", level=OrgLevel.TOWNSHIP)
    assert station.is_red_cross


def test_organisation_fields_are_checked() -> None:
    with pytest.raises(ValueError, match="'parent_id' must not be the record's own id"):
        society(parent_id="qj")
    with pytest.raises(ValueError, match="'name' must not be empty"):
        society(name=" ")
    with pytest.raises(ValueError, match=r"'level' must be one of .* or None"):
        society(level="prefecture")
    with pytest.raises(TypeError, match=r"'qualifications\[0\]' must be Qualification"):
        society(qualifications=("public_fundraising",))
    with pytest.raises(TypeError, match="'governance' must be a Governance or None"):
        society(governance="three in one")
    with pytest.raises(TypeError, match=r"'founded_on' must be a datetime\.date"):
        society(founded_on="2020-01-01")


def test_names_are_normalised_to_nfc() -> None:
    decomposed = "Cafe\u0301 Foundation"
    org = Organization(id="f", name=decomposed, kind=OrgKind.FOUNDATION)
    assert org.name == "Caf\u00e9 Foundation"


def test_org_levels_are_ranked() -> None:
    ranks = [level.rank for level in OrgLevel]
    assert ranks == sorted(ranks)
    assert OrgLevel.VILLAGE.rank == OrgLevel.COMMUNITY.rank


# -- governance -------------------------------------------------------------------------------


def test_governance_lists_each_body_once() -> None:
    board = GoverningBody(kind=GoverningBodyKind.BOARD, members=25, name="第五届理事会")
    g = Governance(bodies=(board,))
    assert g.body("board") == board
    assert g.body(GoverningBodyKind.SUPERVISORY_BOARD) is None
    assert not g.is_three_in_one
    with pytest.raises(ValueError, match=r"'bodies\[1\]' is a second 'board'"):
        Governance(bodies=(board, board))


def test_governing_bodies_count_members() -> None:
    with pytest.raises(ValueError, match="'members' must be at least 1"):
        GoverningBody(kind=GoverningBodyKind.BOARD, members=0)
    with pytest.raises(TypeError, match="'members' must be an int"):
        GoverningBody(kind=GoverningBodyKind.BOARD, members=True)
    body = GoverningBody(
        kind=GoverningBodyKind.EXECUTIVE_COMMITTEE, members=7, term=Period.year(2019)
    )
    assert body.term == Period.year(2019)


# -- administrative areas ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("530000", AdminLevel.PROVINCE),
        ("530300", AdminLevel.PREFECTURE),
        ("530326", AdminLevel.COUNTY),
        ("530302001", AdminLevel.TOWNSHIP),
        ("530302001001", AdminLevel.VILLAGE),
        ("530326", AdminLevel.ADMIN3),
        ("AF", AdminLevel.COUNTRY),
        ("AF0101", AdminLevel.ADMIN2),
        ("PHL0102801", AdminLevel.ADMIN4),
    ],
)
def test_chinese_codes_and_pcodes_are_accepted(code: str, level: AdminLevel) -> None:
    area = AdminArea(id=code, name="x", level=level)
    assert area.scheme == ("cn" if code.isdigit() else "pcode")


@pytest.mark.parametrize(
    "code",
    ["53030", "5303001", "53030200100", "af0101", "AF-01", "５３０３００", "", "A1", "530300 "],
)
def test_other_codes_are_refused(code: str) -> None:
    with pytest.raises((ValueError, TypeError), match="'id' must be"):
        AdminArea(id=code, name="x", level=AdminLevel.ADMIN1)


@pytest.mark.parametrize(
    ("code", "level", "implied"),
    [
        ("530300", AdminLevel.COUNTY, "prefecture"),
        ("530326", AdminLevel.PROVINCE, "county"),
        ("530302001", AdminLevel.VILLAGE, "township"),
        ("530302001001", AdminLevel.COUNTY, "village"),
        ("530000", AdminLevel.COUNTRY, "province"),
    ],
)
def test_a_chinese_level_must_fit_the_code(code: str, level: AdminLevel, implied: str) -> None:
    with pytest.raises(ValueError, match=f"is a {implied} code"):
        AdminArea(id=code, name="x", level=level)


def area_index() -> dict[str, AdminArea]:
    return {a.id: a for a in huize_areas(village="530326100201")}


def test_ancestors_walk_up_to_the_province() -> None:
    areas = area_index()
    assert [a.id for a in ancestors("530326100201", areas)] == [
        "530326100",
        "530326",
        "530300",
        "530000",
    ]
    assert ancestors("530000", areas) == ()
    assert ancestors("999999", areas) == ()


def test_ancestors_stop_at_a_missing_parent_and_at_a_cycle() -> None:
    areas = area_index()
    areas["530326"] = attrs.evolve(areas["530326"], parent_id="539900")
    assert [a.id for a in ancestors("530326100201", areas)] == ["530326100", "530326"]
    looped = area_index()
    looped["530000"] = attrs.evolve(looped["530000"], parent_id="530326")
    up = [a.id for a in ancestors("530326", looped)]
    assert up == ["530300", "530000"]


def test_enclosing_area_rolls_a_village_up() -> None:
    areas = area_index()
    county = enclosing_area("530326100201", AdminLevel.COUNTY, areas)
    assert county is not None
    assert county.name == "会泽县"
    assert enclosing_area("530326100201", "village", areas) == areas["530326100201"]
    assert enclosing_area("530000", "county", areas) is None
    assert enclosing_area("nowhere", "county", areas) is None


def test_ancestors_work_for_organisations_too() -> None:
    orgs = {
        o.id: o
        for o in (
            Organization(id="yn", name="云南省红十字会", level=OrgLevel.PROVINCE),
            Organization(id="qj", name="曲靖市红十字会", level=OrgLevel.CITY, parent_id="yn"),
        )
    }
    assert [o.id for o in ancestors("qj", orgs)] == ["yn"]


# -- loading ----------------------------------------------------------------------------------


def test_an_organisation_round_trips_with_all_its_parts() -> None:
    org = society(
        parent_id="yn",
        area_id="530300",
        founded_on=date(1990, 5, 1),
        governance=Governance(
            bodies=(
                GoverningBody(kind=GoverningBodyKind.BOARD, members=25),
                GoverningBody(
                    kind=GoverningBodyKind.SUPERVISORY_BOARD, members=5, term=Period.year(2020)
                ),
            )
        ),
    )
    data = to_dict(org)
    assert data["level"] == "city"
    assert data["qualifications"][0] == {
        "kind": "public_fundraising",
        "valid_from": "2020-01-01",
        "valid_until": "2020-06-30",
        "certificate": None,
    }
    assert from_json(to_json(org), Organization) == org


@given(organizations())
def test_generated_organisations_round_trip(org: Organization) -> None:
    assert from_json(to_json(org), Organization) == org


@given(admin_areas())
def test_generated_areas_round_trip(area: AdminArea) -> None:
    assert from_json(to_json(area), AdminArea) == area


GOOD_ORG: dict[str, Any] = {"id": "qj", "name": "曲靖市红十字会", "level": "city"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({**GOOD_ORG, "level": "prefecture"}, [("$.level", "unknown-value")]),
        ({**GOOD_ORG, "kind": "charity"}, [("$.kind", "unknown-value")]),
        ({"id": "x", "name": "x"}, [("$.level", "invalid")]),
        (
            {
                **GOOD_ORG,
                "qualifications": [
                    {"kind": "public_fundraising", "valid_from": "2020-02-30"},
                    {"kind": "tax_exempt", "valid_from": "2020-02-01", "valid_until": "2020-01-01"},
                ],
            },
            [
                ("$.qualifications[0].valid_from", "invalid-date"),
                ("$.qualifications[1].valid_until", "invalid"),
            ],
        ),
        (
            {**GOOD_ORG, "governance": {"bodies": [{"kind": "board", "members": 0}]}},
            [("$.governance.bodies[0].members", "invalid")],
        ),
        (
            {**GOOD_ORG, "name": "", "founded_on": 2020},
            [("$.name", "invalid"), ("$.founded_on", "wrong-type")],
        ),
        ({**GOOD_ORG, "area": "530300"}, [("$.area", "unknown-key")]),
    ],
)
def test_bad_organisations_list_every_problem_with_its_path(
    data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(data, Organization) == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "53-03", "name": "x", "level": "county"}, [("$.id", "invalid")]),
        ({"id": "530300", "name": "x", "level": "county"}, [("$.level", "invalid")]),
        ({"id": "530300", "name": "x", "level": "city"}, [("$.level", "unknown-value")]),
        ({"id": "530300", "name": "x"}, [("$.level", "missing")]),
    ],
)
def test_bad_areas_list_every_problem_with_its_path(
    data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(data, AdminArea) == expected


@pytest.mark.parametrize(
    ("cls", "data", "expected"),
    [
        (
            Qualification,
            {"kind": "public_fundraising", "valid_from": "2020-01-01", "certificate": 7},
            [("$.certificate", "wrong-type")],
        ),
        (Qualification, {"valid_from": "2020-01-01"}, [("$.kind", "missing")]),
        (
            GoverningBody,
            {"kind": "council", "members": "5"},
            [("$.kind", "unknown-value"), ("$.members", "wrong-type")],
        ),
        (
            GoverningBody,
            {"kind": "board", "members": 5, "term": {"start": "2020-01-01"}},
            [("$.term.end", "missing")],
        ),
        (
            Governance,
            {"bodies": [{"kind": "board", "members": 5}, {"kind": "board", "members": 3}]},
            [("$", "invalid")],
        ),
        (Governance, {"bodies": {"kind": "board"}}, [("$.bodies", "wrong-type")]),
    ],
)
def test_bad_parts_of_an_organisation_list_their_problems(
    cls: type, data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(data, cls) == expected
