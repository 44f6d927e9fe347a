"""The Jiangxi case study (examples/jiangxi/): every figure of the article, recomputed.

The quarter's records are built once at full size (about 360,000 records). Each test
prints the stated figure beside the computed one (``pytest -s`` shows them); every figure
matches, and the one figure that is a plan is named.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from humanaid import (
    BODY_AND_ORGAN_KINDS,
    CourseKind,
    Dataset,
    Findings,
    Money,
    Period,
    Reconciliation,
    RegistrationKind,
    hours_by_team,
    idle_sites,
    services_summary,
    sites_to_standard,
    trained,
)

JIANGXI = Path(__file__).resolve().parent.parent / "examples" / "jiangxi"
Q1 = Period.quarter(2022, 1)
Study = tuple[Dataset, Reconciliation, Findings, str, Any]


@pytest.fixture(scope="module")
def study() -> Iterator[Study]:
    sys.path.insert(0, str(JIANGXI))
    try:
        importlib.import_module("jiangxi_data")
        report = importlib.import_module("report")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            data, result, findings = report.main()
        yield data, result, findings, out.getvalue(), report
    finally:
        sys.path.remove(str(JIANGXI))
        for name in ("report", "jiangxi_data"):
            sys.modules.pop(name, None)


def _article_ids() -> list[str]:
    sys.path.insert(0, str(JIANGXI))
    try:
        return [row[0] for row in importlib.import_module("jiangxi_data").ARTICLE]
    finally:
        sys.path.remove(str(JIANGXI))
        sys.modules.pop("jiangxi_data", None)


@pytest.mark.parametrize("figure_id", _article_ids())
def test_every_stated_figure_matches_the_records(study: Study, figure_id: str) -> None:
    _, result, _, _, _ = study
    (row,) = [r for r in result.figures if r.figure.id == figure_id]
    print(f"{row.figure.subject}: stated {row.figure.stated}, computed {row.computed_text}: "
          f"{'matches' if row.agrees else 'DOES NOT MATCH'}")  # fmt: skip
    assert row.computed is not None, "every figure of the article is computed"
    assert row.agrees


def test_the_report_prints_the_articles_sentences_and_stated_beside_computed(study: Study) -> None:
    _, result, _, out, _ = study
    for sentence in (
        "今年一季度培训救护员3万余人，普及培训10万余人次，为500名伤病群众开展现场救护。",
        "实现造血干细胞成功捐献12例、遗体器官捐献79例，发展遗体器官捐献登记志愿者8863人，"
        "为151名白血病患者申请490万元救助款。",
        "救护站等服务阵地近570个。",
        "培训救护员3万余人，普及培训10万余人次 (trained: 31,254 certified first-aiders",
        "服务阵地570个，达到“五有”标准548个，开展活动555个",
        "first-aiders-trained  培训救护员                  3万余人     3万余人     yes",
        "Figures unexplained: 0",
        "“2022年，全省红十字会将新建不少于100个基层服务阵地”: a plan for the year (100)",
        "江西省红十字会, 2022-Q1: year at a glance",
        "  为500名伤病群众开展现场救护 (first aid on site: 500 people in 468 rescues)",
    ):
        assert sentence in out
    assert result.findings == ()


def test_the_records_break_no_rule_and_name_the_sites_short_of_the_five(study: Study) -> None:
    data, _, findings, _, _ = study
    assert findings.counts() == {"sites.short-of-standard": 22}
    assert all("有成效" in f.message for f in findings)
    idle = data.validate([idle_sites(Q1)], builtin=False)
    assert len(idle) == 15
    short = {f.subject for f in findings}
    standard = sites_to_standard(data.sites, data.site_assessments, on=Q1.end)
    assert len(standard) == 570 - 22
    assert not short & standard


def test_a_person_trained_twice_is_one_trained_person_and_two_person_times(study: Study) -> None:
    data, _, _, _, _ = study
    courses = data.index("courses")
    q1 = trained(data.attendances, courses=courses, kinds=CourseKind.CERTIFIED_FIRST_AIDER,
                 period=Q1)  # fmt: skip
    assert (q1.persons, q1.person_times) == (31_254, 31_254 + 412)
    popular = trained(data.attendances, courses=courses, kinds=CourseKind.POPULAR, period=Q1)
    assert (popular.persons, popular.person_times) == (84_000, 103_526)
    row = services_summary(data, Q1, organization_id="jx").to_rows()[0]
    assert row["valid certificates"] <= row["certified"]
    assert row["certified"] == 31_254 + 1_500  # with those trained in 2018-2019


def test_withdrawn_and_second_kind_registrations_are_not_counted_again(study: Study) -> None:
    data, _, _, _, _ = study
    new = [r for r in data.donor_registrations
           if r.kind in BODY_AND_ORGAN_KINDS and r.registered_on in Q1]  # fmt: skip
    assert len(new) == 8_863 + 530 + 41  # 530 corneas besides; 41 withdrew in the quarter
    assert len({r.person_id for r in new}) == 8_863 + 41
    kinds = Counter(c.registration_id for c in data.completed_donations)
    assert sum(kinds.values()) == 12 + 79
    stems = {r.id for r in data.donor_registrations if r.kind is RegistrationKind.STEM_CELL}
    assert sum(1 for c in data.completed_donations if c.registration_id in stems) == 12


def test_hours_by_team_add_up_and_the_named_teams_serve_at_their_sites(study: Study) -> None:
    data, _, _, _, _ = study
    teams = hours_by_team(data, Q1, organization_id="jx").to_rows()
    overall = services_summary(data, Q1, organization_id="jx").to_rows()[0]["hours"]
    assert sum(r["hours"] for r in teams) == overall
    assert {t.id: t.site_id for t in data.teams[:2]} == {"zjy": "xjt", "zdf": "tl4"}
    knock = data.get("teams", "knock")
    assert knock is not None
    assert knock.name == "新余市“敲门嫂”志愿服务队"


def test_the_province_put_close_to_a_million_into_the_counties_sites(study: Study) -> None:
    data, result, _, _, _ = study
    (row,) = [r for r in result.figures if r.figure.id == "site-investment"]
    assert row.computed == Money("996000")  # 近百万元: within the rounding of 100万元
    assert all(f.on <= date(2022, 3, 31) for f in data.flows)
