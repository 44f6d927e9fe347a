"""The Jiangxi case study: every figure of the article, recomputed from the records.

Builds the quarter's records at full size (``jiangxi_data.build``: about 330,000
records), computes each figure the article states with the library's figures
(:func:`humanaid.services_summary`, :func:`humanaid.three_donations_figures`,
:func:`humanaid.tabulate` over the cases and the ledger), prints the article's sentences
with the computed figures in their place, the library's own service sentences, the table
of stated beside computed (:func:`humanaid.reconcile`), the figure the article states
that is a plan rather than a count, and what the rules find.

Run it with:  python examples/jiangxi/report.py
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping
from decimal import Decimal

from jiangxi_data import JX, PLANNED, Q1, SITE_BUILDING, build

from humanaid import (
    Condition,
    Dataset,
    Findings,
    Money,
    Party,
    Reconciliation,
    idle_sites,
    reconcile,
    service_sentences,
    services_summary,
    tabulate,
    three_donations_figures,
    year_at_a_glance,
)
from humanaid.aggregate import distinct, total

Figure = Money | Decimal | int


def computed_figures(data: Dataset) -> dict[str, Figure]:
    """Each figure of the article, computed from the records with the library's figures."""
    figures: dict[str, Figure] = {}
    # The province with its cities and counties, in the first quarter.
    row = services_summary(data, Q1, organization_id=JX).to_rows()[0]
    figures["first-aiders-trained"] = row["first-aiders trained"]
    figures["popular-training"] = row["popular training"]
    figures["helped-on-site"] = row["helped on site"]
    figures["sites"] = row["sites"]

    donations = three_donations_figures(data, Q1, organization_id=JX)
    figures["stem-cell-donations"] = donations.stem_cell.completed
    figures["body-organ-donations"] = donations.body_and_organ.completed
    figures["organ-registrations"] = donations.body_and_organ.registered

    # 为151名白血病患者申请490万元救助款: leukaemia cases referred in the quarter.
    leukaemia = tabulate(
        data.cases,
        measures={"patients": distinct("person_id"), "applied": total("approved")},
        where=lambda c: c.condition is Condition.LEUKAEMIA and c.history[0].on in Q1,
    ).to_rows()[0]
    figures["leukaemia-patients"] = leukaemia["patients"]
    figures["leukaemia-aid"] = leukaemia["applied"]

    # 省红十字会出资近百万元在县(市、区)打造服务阵地: what left the province's fund for
    # building sites in the quarter.
    fund = Party.fund("jx-sites")
    figures["site-investment"] = tabulate(
        data.ledger().flows,
        measures={"out": total("amount")},
        where=lambda f: f.source == fund and f.on in Q1 and f.purpose == SITE_BUILDING,
    ).to_rows()[0]["out"]
    return figures


def sentences(figures: Mapping[str, Figure], data: Dataset) -> list[str]:
    """The article's sentences, with the computed figures printed as the article prints them."""
    shown = {f.id: f.format_like(figures[f.id]) for f in data.reported_figures}
    s = shown.__getitem__
    return [
        f"打造了一批红十字急救基地、博爱校医室、生命健康安全体验馆(教室)、社区健康促进项目、"
        f"救护站等服务阵地近{s('sites')}。",
        f"今年一季度培训救护员{s('first-aiders-trained')}，普及培训{s('popular-training')}，"
        f"为{s('helped-on-site')}伤病群众开展现场救护。",
        f"实现造血干细胞成功捐献{s('stem-cell-donations')}、遗体器官捐献"
        f"{s('body-organ-donations')}，发展遗体器官捐献登记志愿者{s('organ-registrations')}，"
        f"为{s('leukaemia-patients')}白血病患者申请{s('leukaemia-aid')}救助款。",
        f"今年一季度，省红十字会出资近{s('site-investment')}在县(市、区)打造服务阵地。",
    ]


def main() -> tuple[Dataset, Reconciliation, Findings]:
    clock = time.perf_counter()
    gc.disable()  # hundreds of thousands of records and no cycles among them
    try:
        data = build()
    finally:
        gc.enable()
    gc.freeze()
    built = time.perf_counter() - clock
    print(f"{data.name}: {data.size():,} records, built in {built:.1f} s")
    print(data)

    clock = time.perf_counter()
    figures = computed_figures(data)
    print("\n== The article, recomputed from the records ==")
    for line in sentences(figures, data):
        print(" ", line)
    print("\n== The same quarter as humanaid.service_sentences prints it ==")
    for line in service_sentences(data, Q1, organization_id=JX):
        print(" ", line)
    print()
    print(services_summary(data, Q1, organization_id=JX))
    print("\n== The quarter at a glance: year_at_a_glance appends the same sentences ==")
    print(year_at_a_glance(data, Q1, organization_id=JX))
    summed = time.perf_counter() - clock

    clock = time.perf_counter()
    findings = data.validate()
    idle = data.validate([idle_sites(Q1)], builtin=False)
    checked = time.perf_counter() - clock
    result = reconcile(data, figures, findings=findings)
    print()
    print(result.table(title="Stated beside computed"))
    print(f"  Figures unexplained: {len(result.unexplained)}")
    plan, target = PLANNED
    opened = sum(1 for s in data.sites if s.opened in Q1)
    print(
        f"\n== Named, not reconciled ==\n  “{plan}”: a plan for the year ({target}), not a "
        f"count of the quarter's records; {opened} sites opened in the quarter."
    )
    print("\n== What the rules find ==")
    print(findings)
    print(f"\n== Idle in {Q1} (idle_sites) ==")
    print(
        f"  {len(idle)} sites with nothing held at them: {', '.join(f.subject or '' for f in idle)}"
    )
    print(f"\nfigures in {summed:.1f} s, validate() in {checked:.1f} s")
    gc.unfreeze()
    return data, result, findings


if __name__ == "__main__":
    main()
