"""One 博爱家园 batch: four village projects, three funding sources, plan against actual.

The Qujing report: "全市四批总投资690万元的16个项目" (four batches, 16 projects, 6.9 million
yuan), each village project paid for "a bit from the higher level, a bit from the county
and township, a bit from society" (上级奖补一点、县乡配套一点、社会资助一点), with a seed
fund that lends to households. This script models the third batch of four projects in
会泽县, run by the county society, and prints the plan against the ledger, the results
against their targets, the leverage and what the rules find.

Run it with:  python examples/community_resilience_batch.py
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from humanaid import (
    INDICATOR_CATALOGUE,
    Dataset,
    Disaggregation,
    Flow,
    FlowKind,
    Fund,
    FundingShare,
    FundingSourceKind,
    FundKind,
    IndicatorValue,
    Money,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    Period,
    Program,
    ProgramBatch,
    Project,
    ProjectKind,
    ProjectStatus,
    Sex,
    leverage,
    program_finance,
    progress,
    project_finance,
    results,
)

W = "万元"
PERIOD = Period(date(2019, 4, 1), date(2020, 3, 31))
AS_OF = date(2019, 12, 31)


def wan(text: str) -> Money:
    return Money.parse(text + W)


# -- who is who -------------------------------------------------------------------------------
organizations = (
    Organization(id="rc-china", name="中国红十字会总会", level=OrgLevel.NATIONAL),
    Organization(id="yunnan", name="云南省红十字会", level=OrgLevel.PROVINCE, parent_id="rc-china"),
    Organization(id="qujing", name="曲靖市红十字会", level=OrgLevel.CITY, parent_id="yunnan"),
    Organization(id="huize", name="会泽县红十字会", level=OrgLevel.COUNTY, parent_id="qujing"),
    Organization(
        id="huize-gov", name="会泽县人民政府", kind=OrgKind.GOVERNMENT, level=OrgLevel.COUNTY
    ),
    Organization(
        id="town-gov", name="某镇人民政府", kind=OrgKind.GOVERNMENT, level=OrgLevel.TOWNSHIP
    ),
    Organization(id="acme", name="曲靖某某实业有限公司", kind=OrgKind.ENTERPRISE),
)
funds = (
    Fund(
        id="huize-boai",
        name="会泽县博爱家园项目资金",
        kind=FundKind.PROJECT,
        organization_id="huize",
        project_ids=("qingyun", "daqiao", "tuogu", "xinjie"),
    ),
    # each village's seed fund (种子基金), which lends to households and is repaid
    *(
        Fund(
            id=f"seed-{pid}",
            name=f"{pid} seed fund",
            kind=FundKind.REVOLVING,
            organization_id="huize",
            purposes=("livelihood",),
        )
        for pid in ("qingyun", "daqiao", "tuogu", "xinjie")
    ),
)

# -- the programme and its third batch ------------------------------------------------------
boai = Program(
    id="boai-jiayuan",
    name="博爱家园",
    organization_id="qujing",
    kind=ProjectKind.COMMUNITY_RESILIENCE,
    stated_budget=wan("690"),
    stated_projects=16,
    stated_batches=4,
    batches=(ProgramBatch(number=3, projects=4, budget=wan("172")),),
)

# (id, name, budget, higher-level grant, county/township match, social donations)
PLANS = [
    ("qingyun", "青云村", "45", "20", "15", "10"),
    ("daqiao", "大桥村", "42", "20", "12", "10"),
    ("tuogu", "拖姑村", "40", "18", "12", "10"),
    ("xinjie", "新街村", "45", "20", "15", "10"),
]
HIGHER = FundingSourceKind.HIGHER_LEVEL_GRANT
MATCH = FundingSourceKind.COUNTY_TOWNSHIP_MATCH
SOCIAL = FundingSourceKind.SOCIAL_DONATIONS

projects = tuple(
    Project(
        id=pid,
        name=f"{name}博爱家园",
        kind=ProjectKind.COMMUNITY_RESILIENCE,
        organization_id="huize",
        period=PERIOD,
        budget=wan(budget),
        status=ProjectStatus.ACTIVE,
        program_id="boai-jiayuan",
        batch=3,
        funding=(
            FundingShare(source=HIGHER, amount=wan(higher)),
            FundingShare(source=MATCH, amount=wan(match), funder=Party.organization("huize-gov")),
            FundingShare(source=SOCIAL, amount=wan(social), funder=Party.organization("acme")),
        ),
    )
    for pid, name, budget, higher, match, social in PLANS
)

# -- the money, as flows ------------------------------------------------------------------------
flows: list[Flow] = [
    # The province grants the batch's higher-level money to the county's project fund...
    Flow(
        id="yn-grant",
        source=Party.organization("yunnan"),
        destination=Party.fund("huize-boai"),
        amount=wan("78"),
        on=date(2019, 4, 20),
        kind=FlowKind.GRANT,
    ),
]


def move(
    src: Party, dst: Party, amount: str, on: date, kind: FlowKind, parent_id: str | None = None
) -> None:
    flows.append(
        Flow(
            id=f"f{len(flows):03d}",
            source=src,
            destination=dst,
            amount=wan(amount),
            on=on,
            kind=kind,
            parent_id=parent_id,
        )
    )


for pid, _, _, higher, match, social in PLANS:
    p = Party.project(pid)
    # ...which passes it on to each village: parent_id keeps the money's origin.
    move(Party.fund("huize-boai"), p, higher, date(2019, 5, 6), FlowKind.ALLOCATION,
         parent_id="yn-grant")  # fmt: skip
    # The county government's match; 新街村's last instalment is still outstanding.
    got = "10" if pid == "xinjie" else match
    move(Party.organization("huize-gov"), p, got, date(2019, 6, 3), FlowKind.GRANT)
    # An enterprise gives the social share; it topped up 青云村.
    move(Party.organization("acme"), p, "12" if pid == "qingyun" else social, date(2019, 7, 1),
         FlowKind.DONATION)  # fmt: skip

# Spending: the seed fund that lends to households, works, and training.
SPENDING = {
    "qingyun": [("20", date(2019, 6, 15)), ("14", date(2019, 9, 1)), ("3", date(2019, 11, 20))],
    "daqiao": [("18", date(2019, 6, 20)), ("10", date(2019, 10, 8)), ("4", date(2020, 5, 10))],
    "tuogu": [("15", date(2019, 7, 2)), ("6", date(2019, 12, 1))],
    "xinjie": [("20", date(2019, 6, 25)), ("12", date(2019, 8, 30)), ("5", date(2019, 12, 20))],
}
for pid, payments in SPENDING.items():
    seed, *rest = payments
    move(Party.project(pid), Party.fund(f"seed-{pid}"), seed[0], seed[1],
         FlowKind.ALLOCATION)  # fmt: skip
    for amount, on in rest:
        move(Party.project(pid), Party.outside("suppliers"), amount, on, FlowKind.DISBURSEMENT)

# -- results -------------------------------------------------------------------------------------
values: list[IndicatorValue] = []


def report(
    pid: str,
    code: str,
    period: Period,
    value: int,
    *,
    target: bool = False,
    disaggregation: Disaggregation | None = None,
) -> None:
    values.append(
        IndicatorValue(
            id=f"v{len(values) + 1:03d}",
            indicator_id=code,
            project_id=pid,
            period=period,
            value=value,
            target=target,
            disaggregation=disaggregation,
        )
    )


q3, q4 = Period.quarter(2019, 3), Period.quarter(2019, 4)
for pid, households, trained, aiders in [
    ("qingyun", 210, 380, 42),
    ("daqiao", 180, 300, 35),
    ("tuogu", 150, 260, 30),
    ("xinjie", 200, 340, 40),
]:
    report(pid, "households-reached", PERIOD, households, target=True)
    report(pid, "people-trained", PERIOD, 300, target=True)
    report(pid, "first-aiders-certified", PERIOD, 40, target=True)
    report(pid, "stations-built", PERIOD, 1, target=True)
    # households reached so far (a running total: the latest report counts)
    report(pid, "households-reached", q3, households // 2)
    report(pid, "households-reached", q4, households - 12)
    # people trained in each quarter (they add up)
    report(pid, "people-trained", q3, trained // 2)
    report(pid, "people-trained", q4, trained - trained // 2)
    report(pid, "first-aiders-certified", q4, aiders)
    report(pid, "stations-built", q4, 1)
# 青云村 also broke its Q4 training down by sex, beside the total: it is not counted twice.
report("qingyun", "people-trained", q4, 110, disaggregation=Disaggregation(sex=Sex.FEMALE))
report("qingyun", "people-trained", q4, 80, disaggregation=Disaggregation(sex=Sex.MALE))

data = Dataset(
    name="会泽县博爱家园 batch 3",
    organizations=organizations,
    funds=funds,
    programs=(boai,),
    projects=projects,
    flows=tuple(flows),
    indicators=INDICATOR_CATALOGUE,
    indicator_values=tuple(values),
)

# -- 1. plan versus actual ----------------------------------------------------------------------
print(f"== Plan versus actual, as of {AS_OF} (万元) ==")


def fig(m: Money) -> str:
    return m.format(unit=W, places=2).removesuffix(W)


def show(ratio: Decimal | None, spec: str) -> str:
    return "n/a" if ratio is None else format(ratio, spec)


print(f"{'project':<10}{'budget':>9}{'planned':>9}{'received':>9}{'spent':>9}{'gap':>9}"
      f"{'elapsed':>9}{'burn':>6}")  # fmt: skip
for project in projects:
    fin = project_finance(data, project.id, as_of=AS_OF)
    print(
        f"{project.id:<10}{fig(fin.budget):>9}{fig(fin.planned):>9}{fig(fin.received):>9}"
        f"{fig(fin.spent):>9}{fig(fin.funding_gap):>9}{show(fin.elapsed_share, '.1%'):>9}"
        f"{show(fin.burn_rate, '.2f'):>6}"
    )
batch = program_finance(data, "boai-jiayuan", batch=3, as_of=AS_OF)
print()
print(batch)
print("received by source:", ", ".join(
    f"{kind.value} {amount.format(unit=W)}" for kind, amount in batch.received_by_source().items()
))  # fmt: skip

# -- 2. results against targets ---------------------------------------------------------------
print("\n== Results of the batch ==")
for line in progress(data, program_id="boai-jiayuan"):
    print(" ", line)
by_project = results(data, by="project")
print("people trained by project:", ", ".join(
    f"{pid} {totals['people-trained']}" for pid, totals in by_project.items()
))  # fmt: skip
by_quarter = results(data, by="period", granularity="quarter")
print("people trained by quarter:", ", ".join(
    f"{q} {totals['people-trained']}" for q, totals in by_quarter.items()
))  # fmt: skip

# -- 3. leverage ---------------------------------------------------------------------------------
print("\n== Leverage ==")
own_only = leverage(batch)
print("per yuan of the county society's own money:", show(own_only, ".2f"), "(it put in none)")
red_cross = (FundingSourceKind.OWN_FUNDS, FundingSourceKind.HIGHER_LEVEL_GRANT)
planned = show(batch.planned_leverage(own=red_cross), ".2f")
received = show(batch.leverage(own=red_cross), ".2f")
print(f"per yuan of Red Cross money (own + higher-level grant): planned {planned}, "
      f"received {received}")  # fmt: skip

# -- 4. what the rules find --------------------------------------------------------------------
print("\n== Findings ==")
print("(the dataset holds one of the programme's four batches, so its stated totals disagree)")
print(data.validate())
