"""The Qujing case study: every figure of the article, recomputed from the records.

Builds the full-size dataset (``qujing_data.build``: about 1.1 million records), then
computes each figure the article states with the library's summaries, prints them the
way the article phrases them (in 万元), sets each beside the printed figure, and prints
what the rules find. One figure does not match, and the example does not bend the data
to make it: the article's own figures show that it cannot (see README.md).

Run it with:  python examples/qujing/report.py
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping
from decimal import Decimal

from qujing_data import POVERTY, QJ, SIX_YEARS, Y2019, Y2020, build

from humanaid import (
    Boundary,
    Dataset,
    Findings,
    Money,
    Party,
    Reconciliation,
    campaign_summary,
    fundraising_summary,
    medical_summary,
    project_summary,
    reconcile,
    relief_summary,
    tabulate,
    year_at_a_glance,
)
from humanaid.aggregate import distinct, total

Figure = Money | Decimal | int


def _sum(rows: list[dict[str, object]], column: str) -> int:
    return sum(int(r[column]) for r in rows)  # type: ignore[call-overload]


def computed_figures(data: Dataset) -> dict[str, Figure]:
    """Each figure of the article, computed from the records with the library's summaries."""
    figures: dict[str, Figure] = {}

    # 累计向贫困地区投入帮扶资金物资, 引进帮扶资金, 援建各类项目: the city society with its
    # county branches, 2015-2020. "Put in to poor areas" is the ledger's put-in of the
    # flows whose purpose is the fight against poverty (epidemic aid and the society's
    # other work are left out).
    glance = year_at_a_glance(data, SIX_YEARS, organization_id=QJ)
    ledger = data.ledger()
    against_poverty = ledger.for_purpose(POVERTY)
    boundary = Boundary.organization(data, QJ)
    figures["put-in"] = against_poverty.totals(boundary, SIX_YEARS).put_in
    figures["brought-in"] = glance.brought_in
    figures["projects-built"] = glance.projects_built
    # 仅市红十字会募捐款物: the city society alone, without its branches.
    alone = Boundary.organization(data, QJ, include_children=False)
    figures["raised"] = ledger.totals(alone, SIX_YEARS).raised

    # 博爱送万家 2020
    relief = {r["drive"]: r for r in relief_summary(data, 2020).to_rows()}["campaign:boai-2020"]
    figures["relief-goods"] = relief["goods"]
    figures["relief-households"] = relief["households"]
    figures["relief-persons"] = relief["persons"]

    # 博爱家园: four batches, sixteen projects, total investment
    boai = project_summary(data, program_id="boai").to_rows()
    figures["boai-projects"] = len(boai)
    figures["boai-batches"] = len({r["batch"] for r in boai})
    figures["boai-budget"] = Money.total(r["budget"] for r in boai)

    # 救心行动, 爱心光明行 and the other patients
    medical = medical_summary(data).to_rows()
    heart = [r for r in medical if r["programme"] == "heart"]
    figures["heart-rounds"] = len(heart)
    figures["heart-screened"] = _sum(heart, "screened")
    figures["heart-operations"] = _sum(heart, "treated")
    figures["heart-paid"] = Money.total(r["paid"] for r in heart)
    eyes = [r for r in medical if r["programme"] == "eyes"]
    figures["eye-screened"] = _sum(eyes, "screened persons")
    figures["eye-treated"] = _sum(eyes, "treated persons")
    figures["other-patients"] = _sum(
        [r for r in medical if r["programme"] == "medical-aid"], "treated"
    )

    # 轻松筹 and the epidemic
    campaigns = campaign_summary(data).to_rows()
    crowd = [r for r in campaigns if r["platform"] == "轻松筹"]
    figures["crowd-fundraisers"] = len(crowd)
    figures["crowd-raised"] = Money.total(r["raised"] for r in crowd)
    epidemic = {r["campaign"]: r for r in campaign_summary(data, 2020).to_rows()}
    figures["epidemic-gifts"] = epidemic["epidemic-2020"]["gifts"]

    # 挂包: the 2019 goods for the 爱心超市 and the 2020 money and goods for 竹基 (the
    # ledger keeps each party's flows: those of one fund or project are read alone)
    to_shops = tabulate(
        ledger.outflows(Party.fund("qj-supermarket"), Y2019),
        measures={"goods": total("amount"), "shops": distinct("destination")},
    ).to_rows()[0]
    figures["supermarket-goods"] = to_shops["goods"]
    figures["supermarkets"] = to_shops["shops"]
    figures["zhuji"] = tabulate(
        ledger.inflows(Party.project("zhuji-2020"), Y2020), measures={"in": total("amount")}
    ).to_rows()[0]["in"]
    return figures


def record_year(data: Dataset) -> tuple[int, Money]:
    """The year the whole city's societies raised the most (2020年募捐总额创最高纪录)."""
    by_year = fundraising_summary(data, SIX_YEARS, by=(), granularity="year").to_rows()
    best = max(by_year, key=lambda r: r["raised"])
    return best["year"].start.year, best["raised"]


def sentences(figures: Mapping[str, Figure], data: Dataset) -> list[str]:
    """The article's sentences, with the computed figures printed as the article prints them."""
    shown = {f.id: f.format_like(figures[f.id]) for f in data.reported_figures}
    s = shown.__getitem__
    return [
        f"累计向贫困地区投入帮扶资金物资{s('put-in')},引进帮扶资金{s('brought-in')},"
        f"援建各类项目{s('projects-built')}。",
        f"仅2020年“博爱送万家”活动,全市共募集和发放了价值{s('relief-goods')}的物资,"
        f"受益群众{s('relief-households')}、{s('relief-persons')}。",
        f"全市{s('boai-batches')}总投资{s('boai-budget')}的{s('boai-projects')}项目。",
        f"开展了{s('heart-rounds')}“救心行动”。累计开展筛查{s('heart-screened')},完成“先心病”"
        f"手术救助治疗{s('heart-operations')},救助金额达{s('heart-paid')}。",
        f"累计筛查老年眼疾患者{s('eye-screened')},救治{s('eye-treated')}。",
        f"救助白血病患者、脊柱畸形患儿、疼痛病及尘肺病患者{s('other-patients')}。",
        f"发起“轻松筹”筹款项目{s('crowd-fundraisers')},筹款{s('crowd-raised')}。",
        f"2019年筹集价值{s('supermarket-goods')}的物资,支持{s('supermarkets')}“爱心超市”。",
        f"2020年为竹基镇及竹基社区投入帮扶款物{s('zhuji')}。",
        f"六年来,仅市红十字会募捐款物就达{s('raised')}。",
        f"新冠肺炎疫情防控社会捐赠达{s('epidemic-gifts')}(次)。",
    ]


def main() -> tuple[Dataset, Reconciliation, Findings]:
    clock = time.perf_counter()
    # A million records make no reference cycles, so Python's cyclic garbage collector
    # has nothing to find in them; it is paused while they are built, and afterwards
    # they are moved out of its sight (gc.freeze), since they live until the end.
    gc.disable()
    try:
        data = build()
    finally:
        gc.enable()
    gc.freeze()
    built = time.perf_counter() - clock
    size = sum(len(data.records(name)) for name in data.collection_types())
    print(f"{data.name}: {size:,} records, built in {built:.1f} s")
    print(data)

    clock = time.perf_counter()
    # The figures derive the ledger (a flow for each gift and handout) and run the rules:
    # another million objects, none in a cycle either. With the collector running, each
    # of its full passes would walk all of them, at moments that vary from run to run.
    # They too are moved out of its sight before it runs again: else its first pass
    # would walk the million objects made while it was paused (0.7 s).
    gc.disable()
    try:
        figures = computed_figures(data)
        year, most = record_year(data)
    finally:
        gc.freeze()
        gc.enable()
    summed = time.perf_counter() - clock

    print("\n== The article, recomputed from the records ==")
    for line in sentences(figures, data):
        print(" ", line)
    print(
        f"  2020年全市红十字会募捐总额创建会以来最高纪录: the records' best year is {year}, "
        f"{most.format(unit='万元')}."
    )

    clock = time.perf_counter()
    findings = data.validate()
    checked = time.perf_counter() - clock
    result = reconcile(data, figures, findings=findings)
    print()
    print(result.table(title="Stated beside computed"))
    print("\n== What the rules find ==")
    print(findings)
    print("\n== Why one figure does not match ==")
    for row in result.figures:
        if not row.agrees:
            print(
                f"  {row.figure.stated} {row.figure.subject}: the records give "
                f"{row.computed_text}, because"
            )
            for finding in row.explained_by:
                print(f"    {finding.message}.")
    print(f"  Figures unexplained: {len(result.unexplained)}")
    print(f"\nsummaries in {summed:.1f} s, validate() in {checked:.1f} s")
    gc.unfreeze()  # the records may go now: let the collector see them again
    return data, result, findings


if __name__ == "__main__":
    # What main() made (three million objects: the records, the ledger, the findings)
    # is freed by reference counting as soon as its result is dropped here: the
    # dataset's caches make no reference cycle, so the exit runs no long collection.
    main()
