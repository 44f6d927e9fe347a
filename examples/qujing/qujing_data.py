"""The Qujing Red Cross society's 2015-2020, rebuilt as records at full size.

The article "社会动员和社会救助路径探析" (../shared/seed/, the first one) reports what the
Qujing city Red Cross society did against poverty from 2015 to 2020. :func:`build` turns
every figure it states into records of the size it states: 284,200 screenings and 1,330
heart operations in ten rounds, 6,309 households reached by the 2020 relief drive,
293,300 gifts in the epidemic, 1,479 crowdfunding fundraisers, 16 博爱家园 projects with
seed funds lending to households, and so on. The article's figures themselves are kept
as :class:`~humanaid.ReportedFigure` records (``ARTICLE``), exactly as printed.

What the article does not say had to be chosen, and every choice is listed in
``examples/qujing/README.md`` (how gifts are spread over the years, the split of the 2.308
千万 brought in, the budgets of the 19 projects it does not name ...). No choice bends a
stated figure: each one is generated as printed, so where the article's own figures
cannot all be true together, the records show it.

Everything is deterministic: one :class:`random.Random` seeded with :data:`SEED`, no clock.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Final

from humanaid import (
    INDICATOR_CATALOGUE,
    AdminArea,
    AdminLevel,
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Channel,
    Condition,
    Dataset,
    Distribution,
    Donation,
    Donor,
    DonorKind,
    Flow,
    FlowKind,
    Fund,
    FundingShare,
    FundKind,
    Household,
    IndicatorValue,
    InKindItem,
    LendingTerms,
    Loan,
    Money,
    NoReceiptReason,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    Period,
    Person,
    Program,
    ProgramBatch,
    Project,
    ProjectKind,
    ProjectStatus,
    Qualification,
    QualificationKind,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    ReportedFigure,
    RevolvingFund,
    Screening,
    ScreeningOutcome,
    ValuationBasis,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # examples/: _generate.py
from _generate import day_in as _day
from _generate import made_up_name

SEED: Final = 2015
SIX_YEARS: Final = Period(date(2015, 1, 1), date(2020, 12, 31))
QJ: Final = "qj"  # 曲靖市红十字会
POVERTY: Final = "脱贫攻坚"  # the purpose of every flow the article counts against poverty
OTHER_WORK: Final = "其他人道工作"
EPIDEMIC: Final = "疫情防控"
SOURCE: Final = "汪德琪, 社会动员和社会救助路径探析, 红十字论坛"

# ---------------------------------------------------------------------------------------------
# The article's figures, exactly as printed: (id, subject, stated, period, part of, quotation)
# ---------------------------------------------------------------------------------------------
Y2019, Y2020 = Period.year(2019), Period.year(2020)
ARTICLE: Final[tuple[tuple[str, str, str, Period, str | None, str], ...]] = (
    ("put-in", "投入帮扶资金物资", "4189万元", SIX_YEARS, None,
     "累计向贫困地区投入帮扶资金物资4189万元"),
    ("brought-in", "引进帮扶资金", "2308万元", SIX_YEARS, None, "引进帮扶资金2308万元"),
    ("projects-built", "援建各类项目", "46个", SIX_YEARS, None, "援建各类项目46个"),
    ("relief-goods", "博爱送万家 募集和发放物资", "989.32万元", Y2020, "put-in",
     "仅2020年“博爱送万家”活动,全市共募集和发放了价值989.32万元的物资"),
    ("relief-households", "博爱送万家 受益户数", "6309户", Y2020, None, "受益群众6309户"),
    ("relief-persons", "博爱送万家 受益人数", "2.24万人", Y2020, None, "2.24万人"),
    ("boai-budget", "博爱家园 总投资", "690万元", SIX_YEARS, None, "全市四批总投资690万元"),
    ("boai-projects", "博爱家园 项目", "16个", SIX_YEARS, None, "的16个项目"),
    ("boai-batches", "博爱家园 批次", "四批", SIX_YEARS, None, "全市四批"),
    ("heart-rounds", "救心行动 轮次", "十轮", SIX_YEARS, None, "开展了十轮“救心行动”"),
    ("heart-screened", "救心行动 筛查", "28.42万人次", SIX_YEARS, None, "累计开展筛查28.42万人次"),
    ("heart-operations", "先心病手术救助治疗", "1330例", SIX_YEARS, None,
     "完成“先心病”手术救助治疗1330例"),
    ("heart-paid", "救心行动 救助金额", "2391.70万余元", SIX_YEARS, "put-in",
     "救助金额达2391.70万余元"),
    ("eye-screened", "爱心光明行 筛查老年眼疾患者", "7.74万人", SIX_YEARS, None,
     "累计筛查老年眼疾患者7.74万人"),
    ("eye-treated", "爱心光明行 救治", "4723人", SIX_YEARS, None, "救治4723人"),
    ("other-patients", "救助白血病、脊柱畸形、疼痛病及尘肺病患者", "437例", SIX_YEARS, None,
     "救助白血病患者、脊柱畸形患儿、疼痛病及尘肺病患者437例"),
    ("crowd-fundraisers", "轻松筹 筹款项目", "1479起", SIX_YEARS, None,
     "发起“轻松筹”筹款项目1479起"),
    ("crowd-raised", "轻松筹 筹款", "1342万元", SIX_YEARS, None, "筹款1342万元"),
    ("supermarket-goods", "爱心超市 筹集物资", "3877.99万元", Y2019, "put-in",
     "2019年筹集价值3877.99万元的物资"),
    ("supermarkets", "爱心超市", "203个", Y2019, None, "支持203个“爱心超市”设立爱心专柜"),
    ("zhuji", "竹基镇及竹基社区 帮扶款物", "191.06万元", Y2020, "put-in",
     "2020年,想方设法为脱贫攻坚挂包的师宗县竹基镇及竹基社区投入帮扶款物191.06万元"),
    ("raised", "市红十字会募捐款物", "2.6亿元", SIX_YEARS, None,
     "六年来,仅市红十字会募捐款物就达2.6亿元"),
    ("epidemic-gifts", "新冠肺炎疫情防控社会捐赠", "29.33万笔", Y2020, None,
     "其中新冠肺炎疫情防控社会捐赠达29.33万笔(次)"),
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Choices the article leaves open (each is listed in README.md)
# ---------------------------------------------------------------------------------------------
RAISED_BY_YEAR: Final = {2015: 1800, 2016: 2300, 2017: 2900, 2018: 3400, 2019: 6600, 2020: 9000}
"""万元 raised by the city society each year; adds up to 2.6亿 and makes 2020 the record."""
EPIDEMIC_WAN: Final = (1800, 1800)  # 万元 from 300 enterprises and from 293,000 individuals
CROWD_PER_YEAR: Final = {2017: 180, 2018: 360, 2019: 439, 2020: 500}  # fundraisers, 1,479
BOAI_BATCHES: Final = ((2016, "150"), (2017, "160"), (2018, "180"), (2019, "200"))  # 690万元
BOAI_OWN_PER_PROJECT: Final = Money("100000")  # the city society's own share of each project
HEART_ROUND_YEARS: Final = (2015, 2016, 2016, 2017, 2017, 2018, 2018, 2019, 2019, 2020)
HEART_PAID: Final = Money("23917046.50")  # 2391.70万余元: a little more than 2391.70万
HEART_PERSONS: Final = 250_000  # children screened; 34,200 of them twice: 284,200 person-times
OTHER_PROJECTS: Final = 19  # of the 46, the article names 16 + 10 rounds + 竹基 = 27
SPEND_SHARE: Final = Decimal("0.75")  # of a year's general gifts spent on other work

COUNTIES: Final = {
    "530302": "麒麟区",
    "530303": "沾益区",
    "530304": "马龙区",
    "530322": "陆良县",
    "530323": "师宗县",
    "530324": "罗平县",
    "530325": "富源县",
    "530326": "会泽县",
    "530381": "宣威市",
}


NO_FEES: Final = Money.zero()
"""The fees of every gift (none are recorded), one object: ``Donation`` would make a zero
for each of 348,634 gifts (its ``fees`` default), the same money every time."""


def wan(text: str) -> Money:
    """Money from a figure in 万元."""
    return Money.parse(f"{text}万元")


def _shares(total: Money, n: int, rng: random.Random, low: int = 1, high: int = 20) -> list[Money]:
    """``n`` random positive amounts that add up to ``total`` exactly (to the fen)."""
    return list(total.allocate(rng.choices(range(low, high + 1), k=n)))


class _Builder:
    """Collects the records; one method per passage of the article."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.organizations: list[Organization] = []
        self.donors: list[Donor] = []
        self.donations: list[Donation] = []
        self.campaigns: list[Campaign] = []
        self.funds: list[Fund] = []
        self.flows: list[Flow] = []
        self.persons: list[Person] = []
        self.households: list[Household] = []
        self.cases: list[Case] = []
        self.screenings: list[Screening] = []
        self.distributions: list[Distribution] = []
        self.programs: list[Program] = []
        self.projects: list[Project] = []
        self.values: list[IndicatorValue] = []
        self.revolving_funds: list[RevolvingFund] = []
        self.loans: list[Loan] = []
        self.repayments: list[Repayment] = []
        self.receipts = 0
        self.names_made = 0

    # -- helpers -----------------------------------------------------------------------------

    def flow(
        self,
        source: Party,
        destination: Party,
        amount: Money,
        on: date,
        kind: FlowKind,
        *,
        purpose: str | None = None,
        in_kind: bool = False,
    ) -> None:
        self.flows.append(
            Flow(
                id=f"fl{len(self.flows):06d}",
                source=source,
                destination=destination,
                amount=amount,
                on=on,
                kind=kind,
                purpose=purpose,
                in_kind=in_kind,
            )
        )

    def gift(self, value: Money, on: date, fund: str, **kw: object) -> None:
        donor = kw.get("donor_id")
        if donor is None:
            kw.setdefault("no_receipt_reason", "anonymous")
        elif "no_receipt_reason" not in kw:
            self.receipts += 1
            kw["receipt_number"] = f"QJ{on.year}-{self.receipts:07d}"
        self.donations.append(
            Donation(
                id=f"g{len(self.donations):07d}",
                organization_id=QJ,
                received_on=on,
                value=value,
                fees=NO_FEES,
                fund_id=fund,
                **kw,  # type: ignore[arg-type]
            )
        )

    def goods(self, value: Money, on: date, fund: str, donor: str, what: str, **kw: object) -> None:
        item = InKindItem(
            description=what,
            quantity=1,
            unit="批",
            unit_value=value,
            valuation=ValuationBasis.INVOICE,
        )
        self.receipts += 1
        self.donations.append(
            Donation.in_kind(
                id=f"g{len(self.donations):07d}",
                organization_id=QJ,
                received_on=on,
                items=(item,),
                fund_id=fund,
                donor_id=donor,
                receipt_number=f"QJ{on.year}-{self.receipts:07d}",
                **kw,  # type: ignore[arg-type]
            )
        )

    def name(self) -> str:
        """A made-up name: the persons' names are personal data nobody publishes."""
        self.names_made += 1
        return made_up_name(self.names_made)

    def names(self, n: int) -> list[str]:
        """The next ``n`` made-up names (those ``n`` calls of :meth:`name` give)."""
        first = self.names_made + 1
        self.names_made += n
        return [made_up_name(k) for k in range(first, first + n)]

    def project(
        self,
        pid: str,
        name: str,
        kind: ProjectKind,
        period: Period,
        budget: Money,
        *,
        program_id: str | None = None,
        batch: int | None = None,
        area_id: str | None = None,
        funding: Sequence[FundingShare] | None = None,
        results: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.projects.append(
            Project(
                id=pid,
                name=name,
                kind=kind,
                organization_id=QJ,
                period=period,
                budget=budget,
                status=ProjectStatus.COMPLETED,
                program_id=program_id,
                batch=batch,
                area_id=area_id,
                funding=tuple(funding or (FundingShare(source="own_funds", amount=budget),)),
            )
        )
        for indicator, value in results:
            self.values.append(
                IndicatorValue(
                    id=f"iv{len(self.values):04d}",
                    indicator_id=indicator,
                    project_id=pid,
                    period=period,
                    value=Decimal(value),
                )
            )

    # -- who is who --------------------------------------------------------------------------

    def society(self) -> None:
        public = (
            Qualification(kind=QualificationKind.PUBLIC_FUNDRAISING, valid_from=date(2012, 1, 1)),
        )
        self.organizations += [
            Organization(id="rc-china", name="中国红十字会总会", level=OrgLevel.NATIONAL),
            Organization(
                id="rc-yunnan", name="云南省红十字会", level=OrgLevel.PROVINCE, parent_id="rc-china"
            ),
            Organization(
                id=QJ,
                name="曲靖市红十字会",
                level=OrgLevel.CITY,
                parent_id="rc-yunnan",
                area_id="530300",
                qualifications=public,
            ),
            *(
                Organization(
                    id=f"rc-{code}",
                    name=f"{name}红十字会",
                    level=OrgLevel.COUNTY,
                    parent_id=QJ,
                    area_id=code,
                )
                for code, name in COUNTIES.items()
            ),
            Organization(id="fuwai", name="云南省阜外心血管病医院", kind=OrgKind.HOSPITAL),
            Organization(id="eye-hospital", name="曲靖市第一人民医院", kind=OrgKind.HOSPITAL),
            Organization(id="qsc", name="北京青松筹科技有限公司", kind=OrgKind.PLATFORM),
            *(
                Organization(id=f"fdn-{i}", name=name, kind=OrgKind.FOUNDATION)
                for i, name in enumerate(("某慈善基金会", "某公益基金会", "某儿童基金会"))
            ),
        ]
        self.areas = [AdminArea(id="530300", name="曲靖市", level=AdminLevel.PREFECTURE)] + [
            AdminArea(id=code, name=name, level=AdminLevel.COUNTY, parent_id="530300")
            for code, name in COUNTIES.items()
        ]
        for fid, name, kind in (
            ("qj-general", "非限定性资金", FundKind.GENERAL),
            ("qj-heart", "救心行动专项基金", FundKind.RESTRICTED),
            ("qj-relief", "博爱送万家物资", FundKind.RESTRICTED),
            ("qj-epidemic", "新冠肺炎疫情防控捐赠", FundKind.RESTRICTED),
            ("qj-boai", "博爱家园项目资金", FundKind.PROJECT),
            ("qj-supermarket", "爱心超市物资", FundKind.RESTRICTED),
            ("qj-crowd", "轻松筹医疗救助", FundKind.RESTRICTED),
        ):
            purposes = {
                "qj-epidemic": (EPIDEMIC,),
                "qj-general": (),
                "qj-heart": (),
                "qj-boai": (),
            }.get(fid, (POVERTY,))
            projects = {
                "qj-heart": tuple(f"heart-{r:02d}" for r in range(1, 11)),
                "qj-boai": tuple(f"boai-{v:02d}" for v in range(1, 17)),
            }.get(fid, ())
            self.funds.append(
                Fund(
                    id=fid,
                    name=name,
                    kind=kind,
                    organization_id=QJ,
                    purposes=purposes,
                    project_ids=projects,
                )
            )
        self.enterprises = [f"ent{i:04d}" for i in range(800)]
        self.individuals = [f"ind{i:05d}" for i in range(60_000)]
        self.donors += [
            Donor(id=d, kind=DonorKind.ENTERPRISE, public_name=f"曲靖某企业{i}")
            for i, d in enumerate(self.enterprises)
        ]
        self.donors += [Donor(id=d, kind=DonorKind.INDIVIDUAL) for d in self.individuals]

    # -- 募捐: what the city society raised, year by year ------------------------------------

    def supermarkets_2019(self) -> Money:
        """2019年筹集价值3877.99万元的物资,支持203个爱心超市."""
        rng, total = self.rng, wan("3877.99")
        spring = Period(date(2019, 1, 5), date(2019, 9, 30))
        for value in _shares(total, 120, rng):
            self.goods(
                value,
                _day(rng, spring),
                "qj-supermarket",
                rng.choice(self.enterprises),
                "米面油及日用品",
            )
        self.organizations += [
            Organization(
                id=f"shop{i:03d}",
                name=f"爱心超市{i + 1}号",
                kind=OrgKind.OTHER,
                area_id=list(COUNTIES)[i % len(COUNTIES)],
            )
            for i in range(203)
        ]
        autumn = Period(date(2019, 10, 8), date(2019, 12, 20))
        for i, value in enumerate(_shares(total, 203, rng)):
            self.flow(
                Party.fund("qj-supermarket"),
                Party.organization(f"shop{i:03d}"),
                value,
                _day(rng, autumn),
                FlowKind.DISBURSEMENT,
                purpose=POVERTY,
                in_kind=True,
            )
        return total

    def relief_2020(self) -> Money:
        """2020年博爱送万家: 989.32万元 of goods to 6,309 households, 2.24万 persons."""
        rng, total = self.rng, wan("989.32")
        self.campaigns.append(
            Campaign(
                id="boai-2020",
                name="2020年博爱送万家",
                organizer_id=QJ,
                period=Period(date(2020, 1, 2), date(2020, 9, 30)),
                fund_id="qj-relief",
            )
        )
        january = Period(date(2020, 1, 2), date(2020, 1, 10))
        for value in _shares(total, 80, rng):
            self.goods(
                value,
                _day(rng, january),
                "qj-relief",
                rng.choice(self.enterprises),
                "米面油被褥",
                campaign_id="boai-2020",
            )
        # 3,473 households of four and 2,836 of three: 22,400 persons.
        sizes = [4] * 3473 + [3] * 2836
        rng.shuffle(sizes)
        codes = list(COUNTIES)
        for i, (size, value) in enumerate(zip(sizes, _shares(total, len(sizes), rng), strict=True)):
            hid = f"rh{i:05d}"
            self.households.append(Household(id=hid, members=size, area_id=codes[i % len(codes)]))
            round_ = 1 if i < 4000 else 2
            on = date(2020, 1, 15) + timedelta(days=i % 6) if round_ == 1 else date(2020, 9, 20)
            pack = InKindItem(
                description="米面油被褥礼包",
                quantity=1,
                unit="份",
                unit_value=value,
                valuation=ValuationBasis.FAIR_VALUE,
            )
            # No flow is written: the ledger derives each handout's, from the fund its
            # campaign raises for (qj-relief) to the household, tagged with its purpose.
            self.distributions.append(
                Distribution(
                    id=f"rd{i:05d}",
                    household_id=hid,
                    on=on,
                    round=round_,
                    campaign_id="boai-2020",
                    value=value,
                    items=(pack,),
                    purpose=POVERTY,
                )
            )
        return total

    def epidemic_2020(self) -> Money:
        """新冠肺炎疫情防控社会捐赠达29.33万笔: 300 enterprises and 293,000 individuals."""
        rng = self.rng
        self.campaigns.append(
            Campaign(
                id="epidemic-2020",
                name="新冠肺炎疫情防控募捐",
                organizer_id=QJ,
                period=Period(date(2020, 1, 24), date(2020, 4, 30)),
                fund_id="qj-epidemic",
            )
        )
        when = Period(date(2020, 1, 24), date(2020, 4, 30))
        ent, ind = (wan(str(x)) for x in EPIDEMIC_WAN)
        for value in _shares(ent, 300, rng):
            self.gift(
                value,
                _day(rng, when),
                "qj-epidemic",
                donor_id=rng.choice(self.enterprises),
                campaign_id="epidemic-2020",
                channel="bank_transfer",
            )
        people = self.individuals
        days = [when.start + timedelta(days=d) for d in range(98)]  # the day of i % 98
        # The gifts self.gift would make (a third anonymous, the rest online without a
        # receipt, so no receipt number), built here: 293,000 calls less.
        gifts, first = self.donations, len(self.donations)
        for i, value in enumerate(_shares(ind, 293_000, rng, 1, 40)):
            if i % 3 == 0:
                gift = Donation(
                    id=f"g{first + i:07d}",
                    organization_id=QJ,
                    received_on=days[i % 98],
                    value=value,
                    fees=NO_FEES,
                    fund_id="qj-epidemic",
                    campaign_id="epidemic-2020",
                    no_receipt_reason=NoReceiptReason.ANONYMOUS,
                )
            else:
                gift = Donation(
                    id=f"g{first + i:07d}",
                    organization_id=QJ,
                    received_on=days[i % 98],
                    value=value,
                    fees=NO_FEES,
                    fund_id="qj-epidemic",
                    donor_id=people[i % len(people)],
                    campaign_id="epidemic-2020",
                    no_receipt_reason=NoReceiptReason.NOT_REQUESTED,
                    channel=Channel.ONLINE_PLATFORM,
                    platform="腾讯公益",
                )
            gifts.append(gift)
        total = ent + ind
        for month, share in zip(range(5, 13), _shares(total, 8, rng), strict=True):
            self.flow(
                Party.fund("qj-epidemic"),
                Party.outside("hospitals and communities"),
                share,
                date(2020, month, 15),
                FlowKind.DISBURSEMENT,
                purpose=EPIDEMIC,
            )
        return total

    def crowdfunding(self) -> dict[int, Money]:
        """轻松筹: 1,479 fundraisers for patients, 1342万元, hosted by the city society."""
        rng = self.rng
        per_fundraiser = _shares(wan("1342"), sum(CROWD_PER_YEAR.values()), rng, 5, 30)
        by_year: dict[int, Money] = {}
        n = 0
        for year, count in CROWD_PER_YEAR.items():
            for _ in range(count):
                cid = f"qsc{n:04d}"
                start = date(year, 1, 1) + timedelta(days=rng.randrange(300))
                period = Period(start, start + timedelta(days=30))
                raised = per_fundraiser[n]
                self.campaigns.append(
                    Campaign(
                        id=cid,
                        name=f"轻松筹医疗救助{n + 1}",
                        organizer_id=QJ,
                        period=period,
                        platform="轻松筹",
                        fund_id="qj-crowd",
                        target=raised,
                    )
                )
                gifts = rng.randint(5, 25)
                for i, value in enumerate(_shares(raised, gifts, rng)):
                    self.gift(
                        value,
                        start + timedelta(days=i % 30),
                        "qj-crowd",
                        donor_id=rng.choice(self.individuals),
                        campaign_id=cid,
                        channel="online_platform",
                        platform="轻松筹",
                        no_receipt_reason="not_requested",
                    )
                self.flow(
                    Party.fund("qj-crowd"),
                    Party.organization("fuwai"),
                    raised,
                    period.end + timedelta(days=5),
                    FlowKind.DISBURSEMENT,
                    purpose=POVERTY,
                )
                by_year[year] = by_year.get(year, Money.zero()) + raised
                n += 1
        return by_year

    def general_gifts(self, already: dict[int, Money]) -> None:
        """The rest of each year's gifts, to the general fund; three quarters spent."""
        rng = self.rng
        for year, target in RAISED_BY_YEAR.items():
            rest = wan(str(target)) - already.get(year, Money.zero())
            assert rest.amount > 0, year
            pledge, enterprise, people = rest.allocate([1, 9, 4])
            whole = Period.year(year)
            # A tenth comes in the first week, from the year's pledges of large enterprises.
            self.gift(
                pledge,
                date(year, 1, 5),
                "qj-general",
                donor_id=self.enterprises[year % 7],
                channel="bank_transfer",
            )
            for value in _shares(enterprise, 1500, rng):
                self.gift(
                    value,
                    _day(rng, whole),
                    "qj-general",
                    donor_id=rng.choice(self.enterprises),
                    channel="bank_transfer",
                )
            for value in _shares(people, 4000, rng):
                self.gift(
                    value,
                    _day(rng, whole),
                    "qj-general",
                    donor_id=rng.choice(self.individuals),
                    channel="offline",
                )
            spend = rest.multiply(SPEND_SHARE)
            for month, share in zip(range(6, 13), _shares(spend, 7, rng), strict=True):
                self.flow(
                    Party.fund("qj-general"),
                    Party.outside("other humanitarian work"),
                    share,
                    date(year, month, 28),
                    FlowKind.DISBURSEMENT,
                    purpose=OTHER_WORK,
                )

    # -- 救心行动, 爱心光明行 and other patients ----------------------------------------------

    def heart(self) -> Money:
        """Ten rounds: 28.42万人次 screened, 1,330 operations, 2391.70万余元 paid."""
        rng = self.rng
        self.programs.append(
            Program(
                id="heart",
                name="救心行动",
                organization_id=QJ,
                kind=ProjectKind.MEDICAL_AID,
                stated_batches=10,
            )
        )
        codes = list(COUNTIES)
        base = len(self.persons)
        names = self.names(HEART_PERSONS)
        self.persons += [
            Person(id=f"hp{i:06d}", name=names[i], area_id=codes[i % len(codes)])
            for i in range(HEART_PERSONS)
        ]
        child_ids = [p.id for p in self.persons[base:]]
        screenings = self.screenings
        positive, negative = ScreeningOutcome.POSITIVE, ScreeningOutcome.NEGATIVE
        # 284,200 screenings in ten rounds of 28,420: each child once, 34,200 of them twice.
        order = list(range(HEART_PERSONS)) + rng.sample(range(HEART_PERSONS), 34_200)
        rng.shuffle(order)
        payments = _shares(HEART_PAID, 1330, rng, 8, 16)
        grants = _shares(wan("1778"), 10, rng, 4, 6)  # from the foundations (brought in)
        n = 0
        for r, year in enumerate(HEART_ROUND_YEARS, start=1):
            pid = f"heart-{r:02d}"
            month = 3 if r % 2 else 8
            period = Period(date(year, month, 1), date(year, month + 4, 30))
            screened = order[(r - 1) * 28_420 : r * 28_420]
            treated: list[str] = []
            days = [period.start + timedelta(days=d) for d in range(30)]  # a day of k % 30
            first = len(screenings)
            for k, who in enumerate(screened):
                found = k % 100 == 0  # about one child in a hundred needs more tests
                child = child_ids[who]
                screenings.append(
                    Screening(
                        id=f"hs{first + k:06d}",
                        person_id=child,
                        program_id="heart",
                        project_id=pid,
                        on=days[k % 30],
                        outcome=positive if found else negative,
                        site_id="fuwai",
                    )
                )
                if found and len(treated) < 133:
                    treated.append(child)
            budget = Money.total(payments[n : n + 133])
            fdn = f"fdn-{r % 3}"
            grant_day = period.start - timedelta(days=20)
            self.flow(
                Party.organization(fdn),
                Party.fund("qj-heart"),
                grants[r - 1],
                grant_day,
                FlowKind.GRANT,
            )
            self.flow(
                Party.fund("qj-general"),
                Party.fund("qj-heart"),
                budget - grants[r - 1],
                grant_day,
                FlowKind.ALLOCATION,
            )
            self.flow(
                Party.fund("qj-heart"),
                Party.project(pid),
                budget,
                period.start + timedelta(days=40),
                FlowKind.DISBURSEMENT,
                purpose=POVERTY,
            )
            for child in treated:
                paid = payments[n]
                start = period.start + timedelta(days=35)
                history = (
                    CaseEvent(status=CaseStatus.REFERRED, on=start),
                    CaseEvent(status=CaseStatus.SCREENED, on=start + timedelta(days=2)),
                    CaseEvent(status=CaseStatus.ASSESSED, on=start + timedelta(days=5)),
                    CaseEvent(status=CaseStatus.APPROVED, on=start + timedelta(days=6)),
                    CaseEvent(status=CaseStatus.IN_TREATMENT, on=start + timedelta(days=20)),
                    CaseEvent(status=CaseStatus.SERVED, on=start + timedelta(days=40)),
                    CaseEvent(status=CaseStatus.CLOSED, on=start + timedelta(days=60)),
                )
                cid = f"heart-case-{n:04d}"
                self.cases.append(
                    Case(
                        id=cid,
                        kind=CaseKind.MEDICAL,
                        person_id=child,
                        condition=Condition.CONGENITAL_HEART_DISEASE,
                        program_id="heart",
                        project_id=pid,
                        hospital_id="fuwai",
                        approved=paid,
                        paid=paid,
                        history=history,
                        purpose=POVERTY,
                    )
                )
                # No flow is written: the ledger derives the payment, from the round's
                # project to the hospital, on the day the operation began.
                n += 1
            self.project(
                pid,
                f"第{r}轮救心行动",
                ProjectKind.MEDICAL_AID,
                period,
                budget,
                program_id="heart",
                batch=r,
                funding=(FundingShare(source="other", amount=budget),),
                results=(
                    ("persons-screened", len(set(screened))),
                    ("operations-funded", len(treated)),
                ),
            )
        return HEART_PAID

    def eyes(self) -> None:
        """爱心光明行: 7.74万 older people screened, 4,723 treated by partner hospitals."""
        self.programs.append(
            Program(id="eyes", name="爱心光明行", organization_id=QJ, kind=ProjectKind.MEDICAL_AID)
        )
        codes = list(COUNTIES)
        for i in range(77_400):
            pid = f"ep{i:05d}"
            self.persons.append(Person(id=pid, name=self.name(), area_id=codes[i % len(codes)]))
            year = 2016 + i % 5
            on = date(year, 4 + i % 6, 1 + i % 28)
            treated = i % 16 == 0 and i < 16 * 4723  # 4,723 of the 77,400
            self.screenings.append(
                Screening(
                    id=f"es{i:05d}",
                    person_id=pid,
                    program_id="eyes",
                    on=on,
                    outcome=ScreeningOutcome.POSITIVE if treated else ScreeningOutcome.NEGATIVE,
                    site_id="eye-hospital",
                )
            )
            if treated:
                self.cases.append(
                    self._served(
                        f"eye-case-{i:04d}",
                        pid,
                        "eyes",
                        Condition.CATARACT,
                        on + timedelta(days=10),
                        "eye-hospital",
                    )
                )

    def other_patients(self) -> None:
        """白血病, 脊柱畸形, 疼痛病 and 尘肺病 patients: 437 cases."""
        self.programs.append(
            Program(
                id="medical-aid", name="医疗救助", organization_id=QJ, kind=ProjectKind.MEDICAL_AID
            )
        )
        conditions = (
            Condition.LEUKAEMIA,
            Condition.SPINAL_DEFORMITY,
            Condition.CHRONIC_PAIN,
            Condition.PNEUMOCONIOSIS,
        )
        codes = list(COUNTIES)
        for i in range(437):
            pid = f"op{i:03d}"
            self.persons.append(Person(id=pid, name=self.name(), area_id=codes[i % len(codes)]))
            on = date(2015 + i % 6, 2 + i % 10, 1 + i % 27)
            self.cases.append(
                self._served(
                    f"aid-case-{i:03d}", pid, "medical-aid", conditions[i % 4], on, "fuwai"
                )
            )

    @staticmethod
    def _served(
        cid: str, person: str, program: str, condition: Condition, start: date, hospital: str
    ) -> Case:
        steps = (
            CaseStatus.REFERRED,
            CaseStatus.SCREENED,
            CaseStatus.ASSESSED,
            CaseStatus.APPROVED,
            CaseStatus.IN_TREATMENT,
            CaseStatus.SERVED,
            CaseStatus.CLOSED,
        )
        history = tuple(
            CaseEvent(status=s, on=start + timedelta(days=3 * k)) for k, s in enumerate(steps)
        )
        return Case(
            id=cid,
            kind=CaseKind.MEDICAL,
            person_id=person,
            condition=condition,
            program_id=program,
            hospital_id=hospital,
            history=history,
        )

    # -- 博爱家园: four batches, sixteen villages, seed funds --------------------------------

    def boai(self) -> Money:
        """全市四批总投资690万元的16个项目, with seed funds lending to households."""
        rng = self.rng
        self.programs.append(
            Program(
                id="boai",
                name="博爱家园",
                organization_id=QJ,
                kind=ProjectKind.COMMUNITY_RESILIENCE,
                stated_budget=wan("690"),
                stated_projects=16,
                stated_batches=4,
                batches=tuple(
                    ProgramBatch(number=b, projects=4, budget=wan(budget))
                    for b, (_, budget) in enumerate(BOAI_BATCHES, start=1)
                ),
            )
        )
        terms = LendingTerms(
            term_months=12,
            method=RepaymentMethod.BULLET,
            frequency=RepaymentFrequency.AT_MATURITY,
            max_loan=Money("15000"),
        )
        villages = (
            "青云",
            "大桥",
            "拖姑",
            "新街",
            "者海",
            "娜姑",
            "迤车",
            "金钟",
            "乐业",
            "矿山",
            "雨汪",
            "营上",
            "黄泥",
            "富村",
            "老厂",
            "墨红",
        )
        v = 0
        for batch, (year, budget) in enumerate(BOAI_BATCHES, start=1):
            period = Period(date(year, 5, 1), date(year + 1, 4, 30))
            each = wan(budget).split(4)
            grant = Money.total(each) - BOAI_OWN_PER_PROJECT.multiply(4)
            source = "rc-china" if batch % 2 else "rc-yunnan"
            self.flow(
                Party.organization(source),
                Party.fund("qj-boai"),
                grant,
                period.start - timedelta(days=15),
                FlowKind.GRANT,
            )
            self.flow(
                Party.fund("qj-general"),
                Party.fund("qj-boai"),
                BOAI_OWN_PER_PROJECT.multiply(4),
                period.start - timedelta(days=15),
                FlowKind.ALLOCATION,
            )
            for amount in each:
                pid = f"boai-{v + 1:02d}"
                county = "530326" if v < 10 else "530325"
                seed = Money("100000")
                self.project(
                    pid,
                    f"{villages[v]}村博爱家园",
                    ProjectKind.COMMUNITY_RESILIENCE,
                    period,
                    amount,
                    program_id="boai",
                    batch=batch,
                    area_id=county,
                    funding=(
                        FundingShare(
                            source="higher_level_grant", amount=amount - BOAI_OWN_PER_PROJECT
                        ),
                        FundingShare(source="own_funds", amount=BOAI_OWN_PER_PROJECT),
                    ),
                    results=(
                        ("households-reached", 150 + 10 * (v % 5)),
                        ("people-trained", 300 + 20 * (v % 4)),
                    ),
                )
                self.flow(
                    Party.fund("qj-boai"),
                    Party.project(pid),
                    amount,
                    period.start + timedelta(days=5),
                    FlowKind.DISBURSEMENT,
                    purpose=POVERTY,
                )
                fund = RevolvingFund(
                    id=f"seed-{v + 1:02d}",
                    name=f"{villages[v]}村种子基金",
                    project_id=pid,
                    area_id=county,
                    terms=terms,
                    opened_on=period.start + timedelta(days=10),
                )
                self.revolving_funds.append(fund)
                self.flow(
                    Party.project(pid),
                    fund.party,
                    seed,
                    period.start + timedelta(days=10),
                    FlowKind.GRANT,
                    purpose=POVERTY,
                )
                for part, month in zip((amount - seed).split(3), (7, 10, 1), strict=True):
                    on = date(year + (month == 1), month, 10)
                    self.flow(
                        Party.project(pid),
                        Party.outside("suppliers"),
                        part,
                        on,
                        FlowKind.DISBURSEMENT,
                        purpose=POVERTY,
                    )
                self._lend(fund, seed, v, rng)
                v += 1
        return wan("690")

    def _lend(self, fund: RevolvingFund, seed: Money, v: int, rng: random.Random) -> None:
        """Eight households borrow each year; repaid at maturity, the money is lent again."""
        homes = [f"sh{v:02d}-{k}" for k in range(8)]
        self.households += [
            Household(id=h, members=rng.randint(3, 5), area_id=fund.area_id) for h in homes
        ]
        day = fund.opened_on + timedelta(days=5) if fund.opened_on else date(2017, 1, 1)
        cycle = 0
        while day <= date(2020, 12, 31):
            for k, home in enumerate(homes):
                principal = Money(rng.randrange(8_000, 12_001, 500))
                loan = Loan.from_fund(
                    fund,
                    id=f"{fund.id}-{cycle}-{k}",
                    household_id=home,
                    principal=principal,
                    disbursed_on=day,
                    purpose=("养猪", "养牛", "种植魔芋")[k % 3],
                )
                self.loans.append(loan)
                due = loan.schedule[-1]
                if due.due_on <= date(2020, 12, 31):
                    self.repayments.append(
                        Repayment(
                            id=f"{loan.id}-r", loan_id=loan.id, paid_on=due.due_on, amount=due.total
                        )
                    )
            day = loan.schedule[-1].due_on + timedelta(days=3)
            cycle += 1

    # -- 挂包: 竹基 and the other projects ----------------------------------------------------

    def zhuji_2020(self) -> Money:
        """2020年为竹基镇及竹基社区投入帮扶款物191.06万元."""
        total = wan("191.06")
        period = Period(date(2020, 3, 1), date(2020, 12, 31))
        self.project(
            "zhuji-2020",
            "师宗县竹基镇挂包帮扶",
            ProjectKind.PAIRED_ASSISTANCE,
            period,
            total,
            area_id="530323",
            results=(("households-reached", 1200),),
        )
        for month, part in zip(range(3, 13), _shares(total, 10, self.rng), strict=True):
            on = date(2020, month, 12)
            self.flow(
                Party.fund("qj-general"),
                Party.project("zhuji-2020"),
                part,
                on,
                FlowKind.DISBURSEMENT,
                purpose=POVERTY,
                in_kind=month % 2 == 0,
            )
            self.flow(
                Party.project("zhuji-2020"),
                Party.outside("竹基镇 households"),
                part,
                on + timedelta(days=3),
                FlowKind.DISBURSEMENT,
                purpose=POVERTY,
            )
        return total

    def other_projects(self) -> None:
        """The 19 projects of the 46 the article does not name: stations, training, roads."""
        rng = self.rng
        kinds = (
            ProjectKind.SERVICE_STATION,
            ProjectKind.FIRST_AID_TRAINING,
            ProjectKind.LIVELIHOOD,
        )
        codes = list(COUNTIES)
        for i in range(OTHER_PROJECTS):
            year = 2015 + i % 6
            period = Period(date(year, 3, 1), date(year, 11, 30))
            budget = Money(rng.randrange(80_000, 300_001, 1000))
            pid = f"aid-{i + 1:02d}"
            self.project(
                pid,
                f"援建项目{i + 1}",
                kinds[i % 3],
                period,
                budget,
                area_id=codes[i % len(codes)],
                results=(("stations-built", 1),),
            )
            self.flow(
                Party.fund("qj-general"),
                Party.project(pid),
                budget,
                date(year, 3, 10),
                FlowKind.DISBURSEMENT,
                purpose=POVERTY,
            )
            self.flow(
                Party.project(pid),
                Party.outside("suppliers"),
                budget,
                date(year, 6, 10),
                FlowKind.DISBURSEMENT,
                purpose=POVERTY,
            )

    def reported(self) -> Iterator[ReportedFigure]:
        for fid, subject, stated, period, part_of, quote in ARTICLE:
            yield ReportedFigure(
                id=fid,
                organization_id=QJ,
                subject=subject,
                stated=stated,
                period=period,
                part_of=part_of,
                source=f"{SOURCE}: {quote}",
            )


def build(seed: int = SEED) -> Dataset:
    """The full-size dataset: the same records for the same seed, every time."""
    b = _Builder(seed)
    b.society()
    raised: dict[int, Money] = {}

    def add(year: int, m: Money) -> None:
        raised[year] = raised.get(year, Money.zero()) + m

    add(2019, b.supermarkets_2019())
    add(2020, b.relief_2020())
    add(2020, b.epidemic_2020())
    for year, m in b.crowdfunding().items():
        add(year, m)
    b.general_gifts(raised)
    b.heart()
    b.eyes()
    b.other_patients()
    b.boai()
    b.zhuji_2020()
    b.other_projects()
    return Dataset(
        name="曲靖市红十字会 2015-2020",
        organizations=tuple(b.organizations),
        admin_areas=tuple(b.areas),
        donors=tuple(b.donors),
        donations=tuple(b.donations),
        campaigns=tuple(b.campaigns),
        funds=tuple(b.funds),
        flows=tuple(b.flows),
        persons=tuple(b.persons),
        households=tuple(b.households),
        cases=tuple(b.cases),
        screenings=tuple(b.screenings),
        distributions=tuple(b.distributions),
        programs=tuple(b.programs),
        projects=tuple(b.projects),
        indicators=INDICATOR_CATALOGUE,
        indicator_values=tuple(b.values),
        revolving_funds=tuple(b.revolving_funds),
        loans=tuple(b.loans),
        repayments=tuple(b.repayments),
        reported_figures=tuple(b.reported()),
    )


if __name__ == "__main__":
    import time

    t0 = time.perf_counter()
    data = build()
    print(data)
    print(f"built in {time.perf_counter() - t0:.1f} s")
