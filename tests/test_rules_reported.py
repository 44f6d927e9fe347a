from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from humanaid import (
    BUILTIN_RULES,
    Dataset,
    Finding,
    Organization,
    OrgLevel,
    Period,
    ReportedFigure,
    Severity,
)
from humanaid.rules.reported import (
    REPORTED_RULES,
    parts_in_the_total_unit,
    parts_within_period,
    parts_within_total,
    parts_without_cycles,
)
from humanaid.testing import reported_figures

RULES: list[Callable[[Dataset], Iterator[Finding]]] = [
    parts_without_cycles,
    parts_within_total,
    parts_in_the_total_unit,
    parts_within_period,
]

SIX_YEARS = Period(date(2015, 1, 1), date(2020, 12, 31))
QUJING = Organization(id="qj", name="曲靖市红十字会", level=OrgLevel.CITY)


def figure(
    id: str,
    stated: str,
    *,
    part_of: str | None = None,
    period: Period = SIX_YEARS,
    subject: str = "投入帮扶资金物资",
) -> ReportedFigure:
    return ReportedFigure(
        id=id,
        organization_id="qj",
        subject=subject,
        stated=stated,
        period=period,
        part_of=part_of,
    )


def dataset(*figures: ReportedFigure) -> Dataset:
    return Dataset(organizations=(QUJING,), reported_figures=figures)


def reported(ds: Dataset) -> list[Finding]:
    return [f for rule in RULES for f in rule(ds)]


# The article's own figures: 4189万元 put in over six years, of which 3877.99万元 of goods
# in 2019 and 989.32万元 in 2020 alone: the parts are more than the total.
PUT_IN = figure("put-in", "4189万元")
GOODS_2019 = figure(
    "goods-2019", "3877.99万元", part_of="put-in", period=Period.year(2019), subject="爱心超市物资"
)
GOODS_2020 = figure(
    "goods-2020", "989.32万元", part_of="put-in", period=Period.year(2020), subject="博爱送万家物资"
)
HOUSEHOLDS = figure("households", "6309户", period=Period.year(2020), subject="受益群众")


def clean() -> Dataset:
    """A total with parts that fit it, in its unit and its period."""
    return dataset(
        figure("raised", "2.6亿元"),
        figure("crowd", "1342万元", part_of="raised", period=Period.year(2019)),
        figure("goods", "3877.99万元", part_of="raised", period=Period.year(2019)),
        HOUSEHOLDS,
        figure("huize", "2000余户", part_of="households", period=Period.year(2020)),
        figure("fuyuan", "4309户", part_of="households", period=Period.year(2020)),
    )


def test_every_rule_is_built_in_and_a_clean_dataset_gives_no_finding() -> None:
    assert tuple(RULES) == REPORTED_RULES
    for rule in RULES:
        assert rule in BUILTIN_RULES
    assert reported(clean()) == []
    assert [f for f in clean().validate() if f.rule.startswith("reports.")] == []


def test_parts_exceeding_their_total_are_an_error_on_the_total() -> None:
    ds = dataset(PUT_IN, GOODS_2020, GOODS_2019)
    [finding] = list(parts_within_total(ds))
    assert (finding.rule, finding.severity, finding.subject) == (
        "reports.parts-exceed-total",
        Severity.ERROR,
        "put-in",
    )
    assert finding.figures == {
        "stated": "4189万元",
        "parts_at_least": Decimal("48673000"),
        "total_below": Decimal("41895000"),
        "parts": "goods-2019, goods-2020",
    }
    assert finding.message == (
        "the parts of '投入帮扶资金物资 4189万元' add up to at least 4867.3万元 "
        "(3877.99万元 + 989.32万元), while the total is less than 4189.5万元: the reported "
        "figures cannot all be true"
    )
    assert finding in ds.validate()


def test_parts_that_fit_the_total_at_its_extremes_are_not_reported() -> None:
    # the total is less than 4189.5万元; parts of at least 4189.4万元 can still fit in it
    total = figure("t", "4189万元")
    a = figure("a", "4000万余元", part_of="t")
    b = figure("b", "189.4万余元", part_of="t")
    assert a.lower + b.lower < total.upper
    assert list(parts_within_total(dataset(total, a, b))) == []
    # parts of at least 4189.5万元 cannot: the total is below that
    c = figure("c", "0.1万余元", part_of="t")
    [finding] = parts_within_total(dataset(total, a, b, c))
    assert finding.figures["parts"] == "a, b, c"


def test_an_at_least_part_counts_from_its_value() -> None:
    total = figure("t", "2391.70万元")
    part = figure("p", "2391.70万余元", part_of="t")
    assert list(parts_within_total(dataset(total, part))) == []
    within = figure("q", "49余元", part_of="t")  # 2391.70万元 is below 23,917,050 yuan
    assert list(parts_within_total(dataset(total, part, within))) == []
    beyond = figure("q", "50余元", part_of="t")
    [finding] = parts_within_total(dataset(total, part, beyond))
    assert finding.figures["parts_at_least"] == Decimal("23917050")


def test_parts_in_another_unit_are_a_warning_and_not_added() -> None:
    persons = figure("persons", "2.24万人", part_of="households", period=Period.year(2020))
    ds = dataset(HOUSEHOLDS, persons)
    assert list(parts_within_total(ds)) == []
    [finding] = list(parts_in_the_total_unit(ds))
    assert (finding.rule, finding.severity, finding.subject) == (
        "reports.part-unit-mismatch",
        Severity.WARNING,
        "persons",
    )
    assert finding.figures == {"unit": "人", "total_unit": "户", "total": "households"}


def test_money_in_renminbi_yuan_is_part_of_a_total_in_yuan() -> None:
    total = figure("t", "100万元")
    part = figure("p", "150万人民币元", part_of="t")
    ds = dataset(total, part)
    assert list(parts_in_the_total_unit(ds)) == []
    [finding] = parts_within_total(ds)
    assert finding.figures["parts"] == "p"


def test_a_count_is_not_part_of_money() -> None:
    [finding] = parts_in_the_total_unit(dataset(PUT_IN, figure("n", "46个", part_of="put-in")))
    assert finding.figures == {"unit": "个", "total_unit": "元", "total": "put-in"}


def test_a_part_outside_its_totals_period_is_a_warning() -> None:
    late = figure("late", "191.06万元", part_of="put-in", period=Period.year(2021))
    early = figure(
        "early", "10万元", part_of="put-in", period=Period(date(2014, 12, 31), date(2015, 1, 1))
    )
    inside = figure("inside", "10万元", part_of="put-in", period=Period.year(2015))
    found = list(parts_within_period(dataset(PUT_IN, late, early, inside)))
    assert [(f.rule, f.severity, f.subject) for f in found] == [
        ("reports.part-outside-period", Severity.WARNING, "late"),
        ("reports.part-outside-period", Severity.WARNING, "early"),
    ]
    assert found[0].figures == {
        "period": str(Period.year(2021)),
        "total_period": str(SIX_YEARS),
        "total": "put-in",
    }


def test_a_part_of_a_figure_the_dataset_lacks_is_left_to_the_integrity_rule() -> None:
    orphan = figure("orphan", "1亿元", part_of="missing")
    ds = dataset(PUT_IN, orphan)
    assert reported(ds) == []
    assert any(f.subject == "orphan" for f in ds.validate() if not f.rule.startswith("reports."))


def test_a_figure_that_is_part_of_itself_is_reported_only_as_a_cycle() -> None:
    found = reported(dataset(figure("self", "1元", part_of="self")))
    assert [(f.rule, f.subject) for f in found] == [("reports.part-cycle", "self")]


def test_findings_do_not_depend_on_the_ambient_decimal_context() -> None:
    ds = dataset(PUT_IN, GOODS_2019, GOODS_2020)
    expected = reported(ds)
    with localcontext() as ctx:
        ctx.prec = 3
        assert reported(ds) == expected


def test_the_rules_never_raise_on_an_empty_dataset() -> None:
    assert reported(Dataset()) == []


@st.composite
def related_figures(draw: st.DrawFn) -> Dataset:
    """Figures whose part_of points at one another (or at nothing), in any unit."""
    figures = draw(st.lists(reported_figures(part_of=st.just("x")), max_size=8, unique_by=_id))
    ids = [f.id for f in figures]
    linked: list[ReportedFigure] = []
    for f in figures:
        parent = draw(st.none() | st.sampled_from(ids)) if ids else None
        linked.append(ReportedFigure(**{**_fields(f), "part_of": parent}))
    return Dataset(reported_figures=tuple(linked))


def _id(f: ReportedFigure) -> str:
    return f.id


def _fields(f: ReportedFigure) -> dict[str, Any]:
    return {
        "id": f.id,
        "organization_id": f.organization_id,
        "subject": f.subject,
        "stated": f.stated,
        "period": f.period,
        "source": f.source,
    }


@given(related_figures())
def test_each_finding_names_a_figure_of_the_dataset_by_its_rule_code(ds: Dataset) -> None:
    ids = {f.id for f in ds.reported_figures}
    codes = {
        parts_within_total: "reports.parts-exceed-total",
        parts_in_the_total_unit: "reports.part-unit-mismatch",
        parts_within_period: "reports.part-outside-period",
    }
    for rule, code in codes.items():
        for finding in rule(ds):
            assert finding.rule == code
            assert finding.subject in ids
            parts = finding.figures.get("parts")
            assert parts is None or set(str(parts).split(", ")) <= ids


@given(related_figures())
def test_at_most_one_parts_finding_per_total(ds: Dataset) -> None:
    subjects = [f.subject for f in parts_within_total(ds)]
    assert len(subjects) == len(set(subjects))


def test_a_part_outside_its_totals_period_is_not_added_to_it() -> None:
    total = figure("t", "100元", period=Period.year(2020))
    inside = figure("p", "80元", part_of="t", period=Period.year(2020))
    late = figure("q", "80元", part_of="t", period=Period.year(2021))
    ds = dataset(total, inside, late)
    assert list(parts_within_total(ds)) == []
    assert [f.subject for f in parts_within_period(ds)] == ["q"]


def test_a_figure_that_is_part_of_itself_is_a_cycle_and_is_not_added() -> None:
    alone = figure("a", "100元", part_of="a")
    [finding] = parts_without_cycles(dataset(alone))
    assert (finding.rule, finding.severity, finding.subject) == (
        "reports.part-cycle",
        Severity.ERROR,
        "a",
    )
    assert finding.message.endswith("a -> a")
    assert list(parts_within_total(dataset(alone))) == []


def test_a_cycle_through_several_figures_is_one_finding_and_no_sum() -> None:
    a = figure("a", "100元", part_of="b")
    b = figure("b", "10元", part_of="c")
    c = figure("c", "10元", part_of="a")
    outside = figure("d", "5元", part_of="a")
    ds = dataset(c, b, a, outside)
    [finding] = parts_without_cycles(ds)
    assert finding.subject == "a"
    assert finding.figures == {"cycle": "a, b, c"}
    assert "a -> b -> c -> a" in finding.message
    assert list(parts_within_total(ds)) == []
    assert [f.rule for f in ds.validate() if f.rule.startswith("reports.")] == [
        "reports.part-cycle"
    ]
