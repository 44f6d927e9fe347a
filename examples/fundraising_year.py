"""One city society's fundraising year, in the spirit of the Qujing report (2020).

A city Red Cross society that holds the public-fundraising qualification; a medical-aid
alliance that may not raise publicly itself and runs its 轻松筹 fundraisers under the
society; an enterprise special fund hosted by the society; the yearly 博爱送万家 drive of
goods worth 989.32万元; the epidemic appeal, whose 29.33万 gifts are modelled here at
1:100 (2,933 gifts); and a few mistakes of the kind the rules are there to catch.

Run it with:  python examples/fundraising_year.py
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from humanaid import (
    AdminArea,
    AdminLevel,
    Campaign,
    Channel,
    Dataset,
    Donation,
    DonationForm,
    Donor,
    DonorKind,
    Fund,
    FundKind,
    Governance,
    GoverningBody,
    GoverningBodyKind,
    InKindItem,
    Money,
    NoReceiptReason,
    Organization,
    OrgKind,
    OrgLevel,
    Period,
    Pledge,
    Qualification,
    QualificationKind,
    Restriction,
    ValuationBasis,
    ancestors,
    as_of_rules,
    donor_rollups,
    enclosing_area,
    gift_counts_by_channel,
    gift_counts_by_donor_kind,
    gift_counts_by_period,
    lybunt,
    retention,
    sybunt,
)

YEAR = 2020
AS_OF = date(2020, 12, 31)
PF = QualificationKind.PUBLIC_FUNDRAISING


def wan(m: Money) -> str:
    """An amount as the report writes it, in 万元 with two places."""
    return m.format(unit="万元", places=2)


# -- where and who ----------------------------------------------------------------------------
# Division codes of the province, the city and three of its counties (GB/T 2260).
areas = (
    AdminArea(id="530000", name="云南省", level=AdminLevel.PROVINCE),
    AdminArea(id="530300", name="曲靖市", level=AdminLevel.PREFECTURE, parent_id="530000"),
    AdminArea(id="530302", name="麒麟区", level=AdminLevel.COUNTY, parent_id="530300"),
    AdminArea(id="530323", name="师宗县", level=AdminLevel.COUNTY, parent_id="530300"),
    AdminArea(id="530326", name="会泽县", level=AdminLevel.COUNTY, parent_id="530300"),
)

organizations = (
    Organization(
        id="yunnan",
        name="云南省红十字会",
        level=OrgLevel.PROVINCE,
        area_id="530000",
        qualifications=(Qualification(kind=PF, valid_from=date(2017, 5, 8)),),
    ),
    Organization(
        id="qujing",
        name="曲靖市红十字会",
        level=OrgLevel.CITY,
        parent_id="yunnan",
        area_id="530300",
        founded_on=date(1986, 4, 1),
        qualifications=(
            Qualification(kind=PF, valid_from=date(2017, 5, 8)),
            Qualification(
                kind=QualificationKind.TAX_DEDUCTIBLE,
                valid_from=date(2018, 1, 1),
                valid_until=date(2020, 12, 31),
            ),
            Qualification(
                kind=QualificationKind.TAX_EXEMPT,
                valid_from=date(2019, 1, 1),
                valid_until=date(2023, 12, 31),
            ),
        ),
        governance=Governance(
            bodies=(
                GoverningBody(kind=GoverningBodyKind.BOARD, members=41),
                GoverningBody(kind=GoverningBodyKind.EXECUTIVE_COMMITTEE, members=9),
                GoverningBody(kind=GoverningBodyKind.SUPERVISORY_BOARD, members=5),
            )
        ),
    ),
    Organization(
        id="huize",
        name="会泽县红十字会",
        level=OrgLevel.COUNTY,
        parent_id="qujing",
        area_id="530326",
    ),
    Organization(
        id="shizong",
        name="师宗县红十字会",
        level=OrgLevel.COUNTY,
        parent_id="qujing",
        area_id="530323",
    ),
    Organization(
        id="alliance", name="曲靖市医疗救助联盟", kind=OrgKind.SOCIAL_GROUP, area_id="530300"
    ),
    Organization(
        id="acme",
        name="曲靖某某实业有限公司",
        kind=OrgKind.ENTERPRISE,
        area_id="530302",
        founded_on=date(2003, 9, 1),
    ),
    Organization(id="qingsong", name="北京青松筹科技有限公司", kind=OrgKind.PLATFORM),
)

# The enterprise's special fund, hosted by the city society, and two restricted funds.
funds = (
    Fund(
        id="relief-fund",
        name="博爱送万家 物资",
        kind=FundKind.RESTRICTED,
        organization_id="qujing",
        purposes=("博爱送万家",),
    ),
    Fund(
        id="homes-fund",
        name="博爱家园 项目资金",
        kind=FundKind.RESTRICTED,
        organization_id="qujing",
        purposes=("博爱家园",),
    ),
    Fund(
        id="sf-acme",
        name="某某实业爱心专项基金",
        kind=FundKind.SPECIAL,
        organization_id="qujing",
        sponsor_id="acme",
    ),
)

campaigns = (
    Campaign(
        id="relief-2020",
        name="博爱送万家 2020",
        organizer_id="qujing",
        period=Period.parse("2020-01-01/2020-02-29"),
    ),
    Campaign(
        id="epidemic",
        name="新冠肺炎疫情防控募捐",
        organizer_id="qujing",
        period=Period.parse("2020-01-25/2020-04-30"),
        target=Money.parse("100万元"),
    ),
    Campaign(
        id="heart-round-10",
        name="救心行动 第十轮 轻松筹",
        organizer_id="alliance",
        host_id="qujing",  # the alliance may not raise publicly: the society hosts it
        period=Period.parse("2020-03-01/2020-12-31"),
        platform="轻松筹",
        target=Money.parse("120万元"),
    ),
    Campaign(
        id="elderly-fund",
        name="某某实业关爱老人专项募捐",
        organizer_id="acme",
        host_id="qujing",
        fund_id="sf-acme",
        period=Period.parse("2020-09-01/2020-10-31"),
        target=Money.parse("50万元"),
    ),
    Campaign(  # a mistake: a county society with no qualification appeals online by itself
        id="huize-99",
        name="会泽县 99公益日 博爱路",
        organizer_id="huize",
        period=Period.parse("2020-09-07/2020-09-09"),
        platform="腾讯公益",
        target=Money.parse("10万元"),
    ),
)

# -- donors -----------------------------------------------------------------------------------
rng = random.Random(YEAR)
people = [
    Donor(id=f"p{i:04d}", kind=DonorKind.INDIVIDUAL, name=f"捐赠人{i}", phone=f"138{i:08d}")
    for i in range(1, 1801)
]
donors = (
    Donor(
        id="acme-d",
        kind=DonorKind.ENTERPRISE,
        name="曲靖某某实业有限公司",
        public_name="某某实业",
        organization_id="acme",
    ),
    Donor(id="yunnan-d", kind=DonorKind.RED_CROSS_SOCIETY, public_name="云南省红十字会"),
    Donor(id="fdn", kind=DonorKind.FOUNDATION, public_name="某慈善基金会"),
    Donor(id="grain", kind=DonorKind.ENTERPRISE, public_name="某粮油公司"),
    *people,
)

# -- gifts ------------------------------------------------------------------------------------
gifts: list[Donation] = []
receipt_no = 0


def receipt() -> str:
    global receipt_no
    receipt_no += 1
    return f"YN-QJ-{YEAR}-{receipt_no:06d}"


def add(**kw: Any) -> None:
    gifts.append(Donation(id=f"d{len(gifts) + 1:05d}", organization_id="qujing", **kw))


# 博爱送万家: goods valued at exactly 989.32万元, the figure the report gives for 2020.
relief_items = [
    [
        InKindItem(
            description="大米 25kg",
            quantity=40000,
            unit="袋",
            unit_value=Money("125.00"),
            valuation=ValuationBasis.INVOICE,
        ),
        InKindItem(
            description="食用油 5L",
            quantity=20000,
            unit="桶",
            unit_value=Money("89.90"),
            valuation=ValuationBasis.INVOICE,
        ),
    ],
    [
        InKindItem(
            description="棉被",
            quantity=15000,
            unit="床",
            unit_value=Money("180.00"),
            valuation=ValuationBasis.FAIR_VALUE,
        ),
    ],
    [
        InKindItem(
            description="医用口罩",
            quantity=158000,
            unit="只",
            unit_value=Money("2.50"),
            valuation=ValuationBasis.INVOICE,
        ),
        InKindItem(
            description="消毒液",
            quantity=4,
            unit="桶",
            unit_value=Money("50.00"),
            valuation=ValuationBasis.APPRAISAL,
        ),
    ],
]
for who, day, items in zip(
    ("grain", "acme-d", "fdn"),
    (date(2020, 1, 10), date(2020, 1, 15), date(2020, 2, 5)),
    relief_items,
    strict=True,
):
    gifts.append(
        Donation.in_kind(
            id=f"d{len(gifts) + 1:05d}",
            organization_id="qujing",
            donor_id=who,
            received_on=day,
            items=items,
            campaign_id="relief-2020",
            restricted_to=Restriction(fund_id="relief-fund", purpose="博爱送万家"),
            receipt_number=receipt(),
        )
    )
relief_value = Money.total(g.value for g in gifts)

# Money passed down by the provincial society for 博爱家园 projects.
add(
    donor_id="yunnan-d",
    received_on=date(2020, 5, 20),
    value=Money.parse("200万元"),
    channel=Channel.BANK_TRANSFER,
    restricted_to=Restriction(fund_id="homes-fund", purpose="博爱家园"),
    receipt_number=receipt(),
)

# The epidemic appeal: 2,933 gifts (1:100 of 29.33万笔), many through an online platform.
for _ in range(2933):
    who = people[rng.randrange(len(people))].id if rng.random() < 0.9 else None
    online = rng.random() < 0.6
    value = Money.from_minor_units(rng.choice([1000, 2000, 5000, 10000, 20000, 50000, 100000]))
    add(
        donor_id=who,
        received_on=date(2020, 1, 25) + timedelta(days=rng.randrange(90)),
        value=value,
        channel=Channel.ONLINE_PLATFORM if online else Channel.BANK_TRANSFER,
        platform="腾讯公益" if online else None,
        campaign_id="epidemic",
        receipt_number=None if online or who is None else receipt(),
        no_receipt_reason=(
            NoReceiptReason.ANONYMOUS
            if who is None
            else NoReceiptReason.NOT_REQUESTED
            if online
            else None
        ),
    )

# The hosted 轻松筹 fundraisers of the medical-aid alliance (platform fee 0.6%).
for _ in range(240):
    value = Money.from_minor_units(rng.choice([2000, 5000, 10000, 50000, 100000, 500000]))
    add(
        donor_id=people[rng.randrange(len(people))].id,
        received_on=date(2020, 3, 1) + timedelta(days=rng.randrange(300)),
        value=value,
        fees=value.multiply(Decimal("0.006")),
        channel=Channel.ONLINE_PLATFORM,
        platform="轻松筹",
        campaign_id="heart-round-10",
        no_receipt_reason=NoReceiptReason.NOT_REQUESTED,
    )

# The enterprise special fund: a pledge of 100万元 in four quarterly instalments.
pledge = Pledge.in_installments(
    id="pledge-acme",
    donor_id="acme-d",
    organization_id="qujing",
    pledged_on=date(2020, 1, 6),
    amount=Money.parse("100万元"),
    count=4,
    frequency="quarterly",
    first_due_on=date(2020, 3, 31),
)
for day in (date(2020, 3, 30), date(2020, 6, 29)):  # the September instalment is missed
    add(
        donor_id="acme-d",
        received_on=day,
        value=Money.parse("25万元"),
        channel=Channel.VIA_SPECIAL_FUND,
        fund_id="sf-acme",
        pledge_id="pledge-acme",
        receipt_number=receipt(),
    )
for _ in range(60):
    add(
        donor_id=people[rng.randrange(len(people))].id,
        received_on=date(2020, 9, 1) + timedelta(days=rng.randrange(61)),
        value=Money.from_minor_units(rng.choice([10000, 20000, 50000])),
        channel=Channel.VIA_SPECIAL_FUND,
        fund_id="sf-acme",
        campaign_id="elderly-fund",
        receipt_number=receipt(),
    )

# Last year's givers, so that retention and LYBUNT have something to say.
for person in people[:900]:
    add(
        donor_id=person.id,
        received_on=date(2019, 1, 1) + timedelta(days=rng.randrange(365)),
        value=Money.from_minor_units(rng.choice([5000, 10000, 20000])),
        channel=Channel.BANK_TRANSFER,
        receipt_number=receipt(),
    )
for person in people[900:1000]:  # and some who last gave in 2017
    add(
        donor_id=person.id,
        received_on=date(2017, 6, 1),
        value=Money("100"),
        receipt_number=receipt(),
    )

# A few mistakes of the kind the rules catch.
add(  # the county appeal's gifts
    donor_id="p0001",
    received_on=date(2020, 9, 9),
    value=Money("500"),
    channel=Channel.ONLINE_PLATFORM,
    platform="腾讯公益",
    campaign_id="huize-99",
    no_receipt_reason=NoReceiptReason.NOT_REQUESTED,
)
add(donor_id="p0002", received_on=date(2020, 10, 1), value=Money("300"))  # no receipt, no reason
add(  # a receipt number used twice
    donor_id="p0003",
    received_on=date(2020, 10, 2),
    value=Money("300"),
    receipt_number="YN-QJ-2020-000001",
)
gifts.append(
    Donation.in_kind(  # second-hand clothes nobody valued
        id=f"d{len(gifts) + 1:05d}",
        organization_id="qujing",
        donor_id="p0004",
        received_on=date(2020, 11, 5),
        items=(
            InKindItem(
                description="冬衣",
                quantity=200,
                unit="件",
                unit_value=Money("60.00"),
                valuation=ValuationBasis.FAIR_VALUE,
            ),
            InKindItem(
                description="旧衣物", quantity=50, unit="kg", valuation=ValuationBasis.UNVALUED
            ),
        ),
        receipt_number=receipt(),
    )
)

data = Dataset(
    name=f"曲靖市红十字会 {YEAR}",
    admin_areas=areas,
    organizations=organizations,
    funds=funds,
    donors=donors,
    campaigns=campaigns,
    pledges=(pledge,),
    donations=tuple(gifts),
)

# -- what it says ----------------------------------------------------------------------------
print(f"== {data.name} ==")
print(data)
society = data.get("organizations", "qujing")
for kind in QualificationKind:
    print(f"holds {kind.value} on {AS_OF}: {society.holds(kind, on=AS_OF)}")
print("governance three-in-one:", society.governance.is_three_in_one)
orgs, places = data.index("organizations"), data.index("admin_areas")
chain = [orgs["huize"], *ancestors("huize", orgs)]
print("hierarchy:", " > ".join(o.name for o in chain))
county = places["530326"]
province = enclosing_area(county.id, AdminLevel.PROVINCE, places)
print(f"{county.name} ({county.id}) rolls up to {province.name if province else '?'}")

this_year = [g for g in gifts if g.received_on.year == YEAR]
cash = Money.total(g.value for g in this_year if g.form is DonationForm.CASH)
goods = Money.total(g.value for g in this_year if g.form is DonationForm.IN_KIND)
print(f"\n== Raised in {YEAR} ==")
print(f"cash {wan(cash)}, goods {wan(goods)} (博爱送万家 {wan(relief_value)})")
print(f"fees kept by platforms: {Money.total(g.fees for g in this_year).format()}")
by_year = gift_counts_by_period(gifts)[Period.year(YEAR)]
print(
    f"{by_year.gifts}笔 from {by_year.donors} donors and {by_year.anonymous_gifts} anonymous gifts"
)

print("\nby channel:")
for channel, c in gift_counts_by_channel(this_year).items():
    print(f"  {channel.value:<17} {c.gifts:>5}笔 {c.donors:>5} donors {wan(c.totals['CNY']):>12}")
print("by donor kind:")
for kind, c in gift_counts_by_donor_kind(this_year, data.index("donors")).items():
    label = kind.value if kind is not None else "unknown"
    print(f"  {label:<17} {c.gifts:>5}笔 {c.donors:>5} donors {wan(c.totals['CNY']):>12}")
print("by quarter:")
for quarter, c in gift_counts_by_period(this_year, granularity="quarter").items():
    print(f"  {quarter}  {c.gifts:>5}笔 {wan(c.totals['CNY']):>12}")

print("\n== Campaigns ==")
for campaign in campaigns:
    t = campaign.totals(gifts)
    progress = "" if t.progress is None else f", {t.progress:.1%} of {wan(campaign.target)}"
    print(f"{campaign.name}: {wan(t.raised)} from {t.gifts}笔{progress}")

print("\n== Donors ==")
rollups = donor_rollups(gifts, year=YEAR)
index = data.index("donors")
top = sorted(rollups.values(), key=lambda r: r.lifetime["CNY"], reverse=True)[:4]
for r in top:
    print(
        f"  {index[r.donor_id].public_label}: lifetime {wan(r.lifetime['CNY'])} in {r.gifts}笔, "
        f"first {r.first_gift_on}, largest {wan(r.largest_gift['CNY'])}"
    )
kept = retention(gifts, first_year=YEAR - 1, second_year=YEAR)
print(f"LYBUNT {len(lybunt(gifts, year=YEAR))}, SYBUNT {len(sybunt(gifts, year=YEAR))}")
print(f"retention {YEAR - 1}->{YEAR}: {kept.retained} of {kept.donors} = {kept.rate:.1%}")
owed = pledge.outstanding(gifts, as_of=AS_OF)
late = pledge.overdue(gifts, as_of=AS_OF)
print(f"pledge of {wan(pledge.amount)}: outstanding {wan(owed)}, overdue {wan(late)}")

print(f"\n== Findings as of {AS_OF} ==")
found = data.validate(rules=as_of_rules(AS_OF))
mine = ("integrity.", "organizations.", "fundraising.")
for theme in mine:
    for finding in found.where(rule=theme):
        print(finding)
others = {rule: n for rule, n in found.counts().items() if not rule.startswith(mine)}
print("other themes:", others or "none")
