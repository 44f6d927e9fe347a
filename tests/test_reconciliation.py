"""Reconciliation: reported figures beside the records' figures, and what explains a gap."""

from __future__ import annotations

import math
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import figure, figures_dataset
from humanaid import (
    Dataset,
    Money,
    Period,
    ReconciledFigure,
    Reconciliation,
    ReportedFigure,
    Severity,
    reconcile,
)
from humanaid.testing import reported_figures

dataset = figures_dataset


# -- reconcile -------------------------------------------------------------------------------

PUT_IN = figure("4189万元", id="put-in")
GOODS_2019 = figure(
    "3877.99万元", id="goods-2019", part_of="put-in", period=Period.year(2019), subject="物资"
)
GOODS_2020 = figure(
    "989.32万元", id="goods-2020", part_of="put-in", period=Period.year(2020), subject="物资"
)
SCREENED = figure("28.42万人次", id="screened", subject="筛查")


def test_reconcile_explains_a_total_smaller_than_its_parts() -> None:
    ds = dataset(PUT_IN, GOODS_2019, GOODS_2020, SCREENED)
    r = reconcile(
        ds,
        {
            "put-in": Money("48673100"),
            "goods-2019": Money("38779900"),
            "goods-2020": Money("9893200"),
            "screened": 284200,
        },
    )
    assert isinstance(r, Reconciliation)
    assert [(x.figure.id, x.agrees) for x in r.figures] == [
        ("put-in", False),
        ("goods-2019", True),
        ("goods-2020", True),
        ("screened", True),
    ]
    assert r.unexplained == ()
    assert [f.rule for f in r.figures[0].explained_by] == ["reports.parts-exceed-total"]
    assert r.figures[3].explained_by == ()
    mismatch = r.findings.where(rule="reports.figure-mismatch")
    assert [(f.subject, f.severity) for f in mismatch] == [("put-in", Severity.WARNING)]
    assert mismatch[0].figures == {"stated": "4189万元", "computed": Money("48673100")}
    assert "4867万元" in mismatch[0].message


def test_unexplained_lists_the_figures_that_disagree_for_no_stated_reason() -> None:
    ds = dataset(PUT_IN, SCREENED)
    r = reconcile(ds, {"put-in": Money("41890000"), "screened": 300000})
    assert [x.figure.id for x in r.unexplained] == ["screened"]
    assert r.findings.where(rule="reports.figure-mismatch")[0].subject == "screened"


def test_a_figure_nothing_was_computed_for_does_not_agree_and_is_not_a_mismatch() -> None:
    r = reconcile(dataset(PUT_IN, SCREENED), {"put-in": Money("41890000")})
    row = r.figures[1]
    assert isinstance(row, ReconciledFigure)
    assert (row.computed, row.agrees, row.computed_text) == (None, False, "not computed")
    assert [x.figure.id for x in r.unexplained] == ["screened"]
    assert not r.findings.where(rule="reports.figure-mismatch")


def test_reconcile_refuses_ids_the_dataset_does_not_hold() -> None:
    with pytest.raises(ValueError, match=r"'computed'.*\['nope', 'other'\]"):
        reconcile(dataset(PUT_IN), {"put-in": Money("1"), "nope": 1, "other": 2})


def test_reconcile_uses_the_findings_it_is_given() -> None:
    ds = dataset(PUT_IN, GOODS_2019, GOODS_2020)
    computed = {
        "put-in": Money("48673100"),
        "goods-2019": Money("38779900"),
        "goods-2020": Money("9893200"),
    }
    given_none = reconcile(ds, computed, findings=())
    assert [x.figure.id for x in given_none.unexplained] == ["put-in"]
    validated = reconcile(ds, computed, findings=ds.validate())
    assert validated.unexplained == ()
    assert validated.findings == reconcile(ds, computed).findings


def test_reconcile_table_has_a_row_per_figure() -> None:
    r = reconcile(dataset(PUT_IN, SCREENED), {"put-in": Money("41890000")})
    table = r.table(title="曲靖")
    assert table.title == "曲靖"
    assert [row[:5] for row in table.rows] == [
        ("put-in", "投入帮扶资金物资", "4189万元", "4189万元", "yes"),
        ("screened", "筛查", "28.42万人次", "not computed", "no"),
    ]


# -- properties ------------------------------------------------------------------------------


@st.composite
def figures_and_admitted_values(draw: st.DrawFn) -> tuple[ReportedFigure, Money | Decimal]:
    """A figure and a value it admits, at a resolution finer than its step."""
    f = draw(reported_figures())
    quantum = f.step / 100
    if f.is_money:
        quantum = max(quantum, Decimal("0.01"))
    low = math.ceil(f.lower / quantum)
    high = math.ceil(f.upper / quantum) - 1  # the upper bound is not in the range
    n = draw(st.integers(low, high))
    amount = (n * quantum).normalize()
    if f.is_money:
        return f, Money(amount.quantize(Decimal("0.01")), "CNY")
    return f, amount


@given(reported_figures(), figures_and_admitted_values())
def test_reconcile_finds_a_mismatch_exactly_when_a_figure_does_not_admit_the_value(
    f: ReportedFigure, pair: tuple[ReportedFigure, Money | Decimal]
) -> None:
    _, value = pair
    f = attrs.evolve(f, part_of=None)
    r = reconcile(Dataset(reported_figures=(f,)), {f.id: value})
    mismatches = r.findings.where(rule="reports.figure-mismatch")
    assert r.figures[0].agrees == f.admits(value) == (not mismatches)
    assert [x.figure for x in r.unexplained] == ([] if f.admits(value) else [f])


@given(st.lists(figures_and_admitted_values(), max_size=5, unique_by=lambda p: p[0].id))
def test_reconcile_agrees_with_every_value_its_figures_admit(
    pairs: list[tuple[ReportedFigure, Money | Decimal]],
) -> None:
    figs = [attrs.evolve(f, part_of=None) for f, _ in pairs]
    computed: dict[str, Money | Decimal | int] = {
        f.id: v for f, (_, v) in zip(figs, pairs, strict=True)
    }
    r = reconcile(Dataset(reported_figures=tuple(figs)), computed)
    assert all(x.agrees for x in r.figures)
    assert r.unexplained == ()
    assert not r.findings


# -- what explains a mismatch ----------------------------------------------------------------


def test_parts_exceeding_a_total_explain_only_a_total_the_records_put_above_it() -> None:
    ds = dataset(PUT_IN, GOODS_2019, GOODS_2020)
    low = reconcile(
        ds, {"put-in": Money("0.01"), "goods-2019": Money("1"), "goods-2020": Money("1")}
    )
    # the records give less than every printed figure: nothing in the report says why
    assert [x.figure.id for x in low.unexplained] == ["put-in", "goods-2019", "goods-2020"]
    assert all(x.explained_by == () for x in low.figures)
    high = reconcile(ds, {"put-in": Money("48673100")})
    assert [f.rule for f in high.figures[0].explained_by] == ["reports.parts-exceed-total"]


def test_a_warning_about_a_part_explains_no_mismatch() -> None:
    total = figure("100元", id="t")
    late = figure("10元", id="p", part_of="t", period=Period.year(2021))
    r = reconcile(dataset(total, late), {"t": Money("100"), "p": Money("999999")})
    assert [x.figure.id for x in r.unexplained] == ["p"]
    assert r.findings.where(rule="reports.part-outside-period")


def test_an_id_with_a_comma_is_no_part_of_a_finding_it_does_not_belong_to() -> None:
    total = figure("10元", id="t")
    parts = [figure("8元", id="a, b", part_of="t"), figure("8元", id="b", part_of="t")]
    unrelated = figure("1元", id="a")
    computed = {"t": Money("10"), "b": Money("8"), "a": Money("5"), "a, b": Money("5")}
    r = reconcile(dataset(total, *parts, unrelated), computed)
    assert {x.figure.id for x in r.unexplained} == {"a", "a, b"}
