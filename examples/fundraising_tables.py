"""A fundraising year as a notebook shows it: tables in HTML and one chart.

A city society's 2020: gifts from people, firms, foundations and the provincial
society, by bank, at the counter, online and through special funds, goods among them,
two campaigns, a grant, and money paid out. The script prints the summaries as text,
writes them as HTML (what Jupyter shows with ``_repr_html_``) and saves a chart of the
money raised by month and donor kind (matplotlib, extra ``plot``). It ends with the
year at a glance, phrased as the annual report phrases it.

Everything is deterministic: a seeded random generator, no clock.

    .venv/bin/python examples/fundraising_tables.py [OUTPUT_DIR]   # default examples/output/
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from humanaid import (
    Campaign,
    Dataset,
    Distribution,
    Donation,
    Donor,
    DonorKind,
    Flow,
    FlowKind,
    Fund,
    Household,
    InKindItem,
    Money,
    Organization,
    Party,
    Period,
    Program,
    Project,
    ProjectKind,
    ProjectStatus,
    campaign_summary,
    fundraising_summary,
    relief_summary,
    top_donors,
    year_at_a_glance,
)
from humanaid.organizations import OrgLevel

CITY = "qujing-rc"
YEAR = Period.year(2020)
KINDS = [
    (DonorKind.INDIVIDUAL, 300, (10, 2000)),
    (DonorKind.ENTERPRISE, 25, (5000, 300000)),
    (DonorKind.SOCIAL_GROUP, 10, (1000, 50000)),
    (DonorKind.FOUNDATION, 4, (50000, 500000)),
    (DonorKind.RED_CROSS_SOCIETY, 1, (200000, 800000)),
]


def build_dataset(seed: int = 2020) -> Dataset:
    """The society's 2020, made the same way every time."""
    rng = random.Random(seed)
    donors: list[Donor] = []
    for kind, how_many, _ in KINDS:
        for i in range(how_many):
            public = f"爱心{kind.value}{i}" if kind.is_body or rng.random() < 0.1 else None
            name = None if kind is DonorKind.ANONYMOUS else f"捐赠人{kind.value}{i}"
            donors.append(Donor(id=f"{kind.value}-{i}", kind=kind, name=name, public_name=public))
    ranges = {kind: low_high for kind, _, low_high in KINDS}
    campaigns = (
        Campaign(id="boai-2020", name="博爱送万家 2020", organizer_id=CITY,
                 period=Period.parse("2020-01-01/2020-02-29"), target=Money.parse("150万元")),
        Campaign(id="heart-2020", name="救心行动 轻松筹", organizer_id=CITY,
                 period=Period.parse("2020-05-01/2020-09-30"), platform="轻松筹",
                 target=Money.parse("250万元")),
    )  # fmt: skip
    gifts: list[Donation] = []
    for i in range(1500):
        day = YEAR.start + timedelta(days=rng.randrange(YEAR.days))
        anonymous = rng.random() < 0.08
        donor = None if anonymous else rng.choice(donors)
        low, high = ranges[donor.kind] if donor else (10, 500)
        value = Money(rng.randrange(low, high))
        kw: dict[str, object] = {
            "id": f"g{i:05d}",
            "organization_id": CITY,
            "received_on": day,
            "donor_id": None if donor is None else donor.id,
        }
        if donor is None:
            kw["no_receipt_reason"] = "anonymous"
        else:
            kw["receipt_number"] = f"R2020-{i:05d}"
        if day.month <= 2 and rng.random() < 0.5:
            kw["campaign_id"] = "boai-2020"
        roll = rng.random()
        if donor is not None and donor.kind.is_body and roll < 0.15:
            units = rng.randrange(10, 2000)
            items = (InKindItem(description="大米 25kg", quantity=units, unit="袋",
                                unit_value=Money("120"), valuation="invoice"),)  # fmt: skip
            gifts.append(Donation.in_kind(items=items, **kw))  # type: ignore[arg-type]
            continue
        if roll < 0.45:
            kw.update(channel="online_platform", platform="轻松筹",
                      fees=value.multiply(Decimal("0.006")), receipt_number=None,
                      no_receipt_reason="not_requested" if donor else "anonymous")  # fmt: skip
            if 5 <= day.month <= 9:
                kw["campaign_id"] = "heart-2020"
        elif roll < 0.75:
            kw["channel"] = "bank_transfer"
        gifts.append(Donation(value=value, **kw))  # type: ignore[arg-type]
    general = Party.fund("qujing-general")
    flows = (
        Flow(id="grant-1", source=Party.organization("yunnan-rc"), destination=general,
             amount=Money.parse("85万元"), on=date(2020, 3, 2), kind=FlowKind.GRANT),
        Flow(id="relief-1", source=general, destination=Party.project("boai-2020"),
             amount=Money.parse("120万元"), on=date(2020, 1, 20), kind=FlowKind.DISBURSEMENT,
             in_kind=True),
        Flow(id="heart-1", source=general, destination=Party.project("heart-2020"),
             amount=Money.parse("26万元"), on=date(2020, 10, 9), kind=FlowKind.DISBURSEMENT),
    )  # fmt: skip
    homes = tuple(Household(id=f"h{i:03d}", members=2 + i % 4) for i in range(40))
    handouts = tuple(
        Distribution(id=f"d{i:03d}", household_id=home.id, on=date(2020, 1, 10 + i % 15),
                     campaign_id="boai-2020", program_id="boai", project_id="boai-2020",
                     value=Money("300"))
        for i, home in enumerate(homes)
    )  # fmt: skip
    projects = (
        Project(id="boai-2020", name="博爱送万家 2020", kind=ProjectKind.RELIEF_DISTRIBUTION,
                organization_id=CITY, period=Period.parse("2020-01-01/2020-02-29"),
                budget=Money.parse("120万元"), status=ProjectStatus.COMPLETED),
        Project(id="heart-2020", name="救心行动 2020", kind=ProjectKind.MEDICAL_AID,
                organization_id=CITY, period=YEAR, budget=Money.parse("30万元"),
                status=ProjectStatus.COMPLETED),
    )  # fmt: skip
    return Dataset(
        name="曲靖市红十字会 2020",
        programs=(Program(id="boai", name="博爱送万家", organization_id=CITY),),
        projects=projects,
        households=homes,
        distributions=handouts,
        organizations=(
            Organization(id="yunnan-rc", name="云南省红十字会", level=OrgLevel.PROVINCE),
            Organization(
                id=CITY, name="曲靖市红十字会", level=OrgLevel.CITY, parent_id="yunnan-rc"
            ),
        ),
        donors=tuple(donors),
        donations=tuple(gifts),
        campaigns=campaigns,
        funds=(Fund(id="qujing-general", name="市红会 非限定基金", organization_id=CITY),),
        flows=flows,
    )


def save_chart(data: Dataset, path: Path) -> None:
    """A stacked bar chart of money raised per month, one colour per donor kind."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    by_month = fundraising_summary(data, YEAR, by="donor_kind", granularity="month")
    months = [p.start.month for p in YEAR.months()]
    present = set(by_month.column("donor kind"))
    kinds = [k for k in [*DonorKind, None] if k in present]  # None: gifts of nobody known
    fig, ax = plt.subplots(figsize=(9, 4.5))
    bottom = [0.0] * len(months)
    for kind in kinds:
        # floats only for drawing: the figures themselves stay exact in the table
        heights = [0.0] * len(months)
        for row in by_month:
            if row["donor kind"] is kind:
                heights[row["month"].start.month - 1] = float(row["raised"].amount / 10_000)
        ax.bar(months, heights, bottom=bottom, label="anonymous" if kind is None else kind.value)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xticks(months)
    ax.set_xlabel("month of 2020")
    ax.set_ylabel("raised (10,000 yuan)")
    ax.set_title("Money raised by month and donor kind")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "output"
    out.mkdir(parents=True, exist_ok=True)
    data = build_dataset()
    print(data)

    # Summaries show 万元 to two decimals, as reports print them (rounded on display only,
    # with a note saying so); top donors are in 元 unless asked.
    tables = {
        "by_kind": fundraising_summary(data, YEAR),
        "by_channel": fundraising_summary(data, YEAR, by="channel"),
        "top_donors": top_donors(data, YEAR, n=5).with_format(money_unit="万元"),
        "campaigns": campaign_summary(data, YEAR),
        "relief": relief_summary(data, YEAR),
    }
    for table in tables.values():
        print()
        print(table)

    # What Jupyter shows for each table: _repr_html_, escaped, one <table> each.
    html = "\n".join(f"<h2>{name}</h2>\n{table._repr_html_()}" for name, table in tables.items())
    page = out / "fundraising_tables.html"
    page.write_text(f"<!doctype html><meta charset='utf-8'>\n{html}\n", encoding="utf-8")
    rows = html.count("<tr>") - html.count("<thead>")  # a note's row has its own class
    notes = html.count('<tr class="humanaid-note">')
    print(f"\nHTML: {len(tables)} tables, {rows} rows, {notes} notes -> {page}")

    chart = out / "raised_by_month_and_donor_kind.png"
    save_chart(data, chart)
    print(f"chart: {chart} ({chart.stat().st_size:,} bytes)")

    print()
    print(year_at_a_glance(data, YEAR, organization_id=CITY))


if __name__ == "__main__":
    main()
