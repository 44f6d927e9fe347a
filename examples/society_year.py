"""A city society's money over two years: the ledger, the three totals, the spending check.

The society raises gifts (cash, goods, an online appeal with platform fees, a gift
restricted to heart surgery), receives a grant from the provincial society, passes money
down to a county society, pays for cases, projects and relief, and runs an office. The
ledger derives every balance; the boundary totals give "raised", "brought in" and "put in"
without counting anything twice; the spending-ratio rule checks the 2020 year against the
Charity Law and states the figures.

Run it with:  python examples/society_year.py
"""

from __future__ import annotations

from datetime import date

from humanaid import (
    Boundary,
    Dataset,
    Flow,
    FlowKind,
    Fund,
    FundKind,
    Ledger,
    Money,
    Party,
    Period,
    spending_figures,
)
from humanaid.beneficiaries import Household
from humanaid.donors import Channel, Donation, Donor, DonorKind, InKindItem, Restriction
from humanaid.organizations import Organization, Qualification, QualificationKind
from humanaid.projects import Project, ProjectKind


def wan(text: str) -> Money:
    return Money.parse(f"{text}万元")


CITY, COUNTY, PROVINCE = "city-rc", "county-rc", "province-rc"
public = Qualification(kind=QualificationKind.PUBLIC_FUNDRAISING, valid_from=date(2016, 9, 1))
organizations = (
    Organization(id=PROVINCE, name="省红十字会", level="province"),
    Organization(id=CITY, name="市红十字会", level="city", parent_id=PROVINCE,
                 qualifications=(public,)),
    Organization(id=COUNTY, name="县红十字会", level="county", parent_id=CITY),
    Organization(id="acme", name="爱心企业", kind="enterprise"),
)  # fmt: skip
funds = (
    Fund(id="city-general", name="市红会 非限定基金", organization_id=CITY),
    Fund(id="heart", name="救心行动 限定基金", kind=FundKind.RESTRICTED, organization_id=CITY,
         purposes=("heart-surgery",)),
    Fund(id="county-general", name="县红会 非限定基金", organization_id=COUNTY),
)  # fmt: skip
donors = (
    Donor(id="acme-donor", kind=DonorKind.ENTERPRISE, public_name="爱心企业",
          organization_id="acme"),
    Donor(id="p1", kind=DonorKind.INDIVIDUAL, name="张三"),
)  # fmt: skip


def gift(id: str, on: date, amount: str, **kw: object) -> Donation:
    kw.setdefault("receipt_number", f"R-{id}")
    return Donation(id=id, organization_id=CITY, received_on=on, value=wan(amount), **kw)


donations = (
    gift("d19", date(2019, 4, 1), "800", donor_id="acme-donor", fund_id="city-general"),
    gift("d20a", date(2020, 2, 3), "300", donor_id="acme-donor", fund_id="city-general"),
    gift("d20b", date(2020, 3, 9), "120", donor_id="p1", fund_id="heart",
         restricted_to=Restriction(purpose="heart-surgery")),
    gift("d20c", date(2020, 5, 20), "45.6", channel=Channel.ONLINE_PLATFORM,
         platform="轻松筹", fees=wan("0.2736"), fund_id="city-general",
         receipt_number=None, no_receipt_reason="not_requested"),
    Donation.in_kind(
        id="d20d", organization_id=CITY, received_on=date(2020, 1, 28), donor_id="acme-donor",
        fund_id="city-general", receipt_number="R-d20d",
        items=(InKindItem(description="大米", quantity=20000, unit="袋",
                          unit_value=Money("50"), valuation="invoice"),),
    ),
)  # fmt: skip


def flow(id: str, src: Party, dst: Party, amount: str, on: date, kind: FlowKind,
         **kw: object) -> Flow:  # fmt: skip
    return Flow(id=id, source=src, destination=dst, amount=wan(amount), on=on, kind=kind, **kw)


city, heart, county = Party.fund("city-general"), Party.fund("heart"), Party.fund("county-general")
flows = (
    flow("g19", Party.organization(PROVINCE), city, "200", date(2019, 6, 1), FlowKind.GRANT),
    flow("s19", city, Party.project("relief-2019"), "700", date(2019, 12, 1),
         FlowKind.DISBURSEMENT),
    flow("g20", Party.organization(PROVINCE), city, "150", date(2020, 4, 1), FlowKind.GRANT),
    flow("a20", city, county, "150", date(2020, 4, 2), FlowKind.ALLOCATION, parent_id="g20"),
    flow("r20", county, Party.household("h-0001"), "150", date(2020, 4, 20),
         FlowKind.DISBURSEMENT, parent_id="a20"),
    flow("h20", heart, Party.project("heart-2020"), "100", date(2020, 7, 1),
         FlowKind.DISBURSEMENT, purpose="heart-surgery"),
    flow("k20", city, Party.project("relief-2020"), "100", date(2020, 12, 10),
         FlowKind.DISBURSEMENT, in_kind=True),
    flow("o20", city, Party.outside("office"), "60", date(2020, 12, 31), FlowKind.ADMIN_EXPENSE),
)  # fmt: skip


def project(id: str, kind: ProjectKind, year: int, budget: str) -> Project:
    return Project(id=id, name=id, kind=kind, organization_id=CITY, period=Period.year(year),
                   budget=wan(budget))  # fmt: skip


projects = (
    project("relief-2019", ProjectKind.RELIEF_DISTRIBUTION, 2019, "700"),
    project("relief-2020", ProjectKind.RELIEF_DISTRIBUTION, 2020, "100"),
    project("heart-2020", ProjectKind.MEDICAL_AID, 2020, "100"),
)
households = (Household(id="h-0001", members=4),)

data = Dataset(
    name="市红十字会 2019-2020",
    organizations=organizations,
    donors=donors,
    donations=donations,
    funds=funds,
    flows=flows,
    projects=projects,
    households=households,
)
ledger = Ledger.from_dataset(data)
print(f"{data}\n{ledger}\n")

print("== Statements, 2020 ==")
for party in (city, heart, county):
    print(ledger.statement(party, Period.year(2020)))


def wan(m: Money) -> str:
    """In 万元 as report prose prints it: whole, else to two decimals (565.60万元)."""
    return m.format(unit="万元", places="auto")


print("\n== Three totals, counted once ==")
society = Boundary.organization(data, CITY)
for year in (2019, 2020):
    t = ledger.totals(society, Period.year(year))
    print(
        f"{year}: raised {wan(t.raised)}, brought in {wan(t.brought_in)}, put in "
        f"{wan(t.put_in)} (moved inside {wan(t.total_inside)})"
    )

print("\n== Spending, 2020 ==")
figures = spending_figures(ledger, society, 2020)
print(
    f"charitable {wan(figures.charitable_spending)}, admin {wan(figures.admin_costs)}, "
    f"total {wan(figures.total_spending)}, income 2019 {wan(figures.prior_income[0])}"
)

print("\n== Findings ==")
print(data.validate())
