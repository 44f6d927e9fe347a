"""A village seed fund over three years: seed money lent, repaid and lent again.

A 博爱家园 project puts 200,000 yuan of seed money into the revolving fund of 青云村.
The village committee lends it to households for pigs, cattle and potatoes; most repay on
time, some late (and pay a late fee), one household's pigs die and its loan is written
off. Whatever is repaid is lent again. At the end the script prints the portfolio report,
the revolving multiple (撬动效应) and what the rules found.

Everything is deterministic: a seeded random generator, no clock.

    .venv/bin/python examples/village_seed_fund.py
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from humanaid import (
    Dataset,
    Flow,
    FlowKind,
    LendingTerms,
    Loan,
    Money,
    Party,
    Period,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
    WriteOff,
    portfolio_report,
    revolving_ledger,
)

rng = random.Random(7)
START, END = date(2021, 1, 1), date(2023, 12, 31)
HOUSEHOLDS = [f"qingyun-h{n:02d}" for n in range(1, 21)]
DEFAULTER = "qingyun-h13"  # whose pigs die of swine fever

PIGS = LendingTerms(
    term_months=12,
    method=RepaymentMethod.EQUAL_PRINCIPAL,
    frequency=RepaymentFrequency.QUARTERLY,
    annual_rate=Decimal("0.048"),
    max_loan=Money("15000"),
    late_fee=Money("20"),
)
CATTLE = LendingTerms(
    term_months=12,
    method=RepaymentMethod.BULLET,
    frequency=RepaymentFrequency.AT_MATURITY,
    annual_rate=Decimal("0.048"),
    max_loan=Money("15000"),
    late_fee=Money("20"),
)
POTATOES = LendingTerms(
    term_months=8,
    method=RepaymentMethod.INTEREST_FREE,
    frequency=RepaymentFrequency.AT_MATURITY,
    max_loan=Money("15000"),
    late_fee=Money("20"),
)
PURPOSES = [
    ("pigs", PIGS, 5_000, 10_000),
    ("cattle", CATTLE, 10_000, 15_000),
    ("potatoes", POTATOES, 3_000, 6_000),
]

fund = RevolvingFund(
    id="qingyun-fund",
    name="青云村博爱家园循环金",
    project_id="boai-qingyun",
    area_id="huize-qingyun",
    organization_id="qingyun-committee",
    terms=PIGS,
    opened_on=START,
)
seed = Flow(
    id="seed-2021",
    source=Party.project("boai-qingyun"),
    destination=fund.party,
    amount=Money("200000"),
    on=date(2021, 1, 5),
    kind=FlowKind.GRANT,
    note="博爱家园 seed money",
)
ledger_fee = Flow(
    id="books-2022",
    source=fund.party,
    destination=Party.outside("stationery"),
    amount=Money("360"),
    on=date(2022, 6, 30),
    kind=FlowKind.ADMIN_EXPENSE,
    note="account books and receipts",
)

loans: list[Loan] = []
repayments: list[Repayment] = []
write_offs: list[WriteOff] = []
free_from = dict.fromkeys(HOUSEHOLDS, START)  # a household may borrow again from this day


def repay_loan(loan: Loan) -> date:
    """Make the household's repayments; return the day after its last one."""
    last = loan.disbursed_on
    for k, inst in enumerate(loan.schedule):
        if loan.household_id == DEFAULTER and k > 0:
            return date.max  # the pigs died: nothing more is paid, and no new loan
        roll = rng.random()
        if roll < 0.75:
            paid_on, amount = inst.due_on, inst.total
        else:
            late = timedelta(days=rng.choice([12, 25, 40, 75]))
            paid_on, amount = inst.due_on + late, inst.total + Money("20")
        if paid_on > END:
            return END + timedelta(days=1)
        repayments.append(
            Repayment(id=f"{loan.id}-r{k + 1}", loan_id=loan.id, paid_on=paid_on, amount=amount)
        )
        last = max(last, paid_on)
    return last + timedelta(days=1)


def dataset() -> Dataset:
    return Dataset(
        name="青云村循环金 2021-2023",
        revolving_funds=(fund,),
        flows=(seed, ledger_fee),
        loans=tuple(loans),
        repayments=tuple(repayments),
        write_offs=tuple(write_offs),
    )


# Each month on the 10th, the committee lends what cash it has, in a random order of the
# households that are free to borrow (no loan running, none in arrears).
day = date(2021, 1, 10)
while day <= END:
    cash = revolving_ledger(dataset()).balance(fund.party, day)
    waiting = [h for h in HOUSEHOLDS if free_from[h] <= day]
    rng.shuffle(waiting)
    for household in waiting:
        purpose, terms, low, high = rng.choice(PURPOSES)
        if household == DEFAULTER:
            purpose, terms, low, high = PURPOSES[0]  # pigs, repaid quarterly
        principal = Money(rng.randrange(low, high + 1, 500))
        if principal > cash:
            continue
        loan = Loan.from_fund(
            fund,
            id=f"L{len(loans) + 1:03d}",
            household_id=household,
            borrower_id=f"{household}-p1",
            principal=principal,
            disbursed_on=day,
            purpose=purpose,
            terms=terms,
        )
        loans.append(loan)
        cash = cash - principal
        free_from[household] = repay_loan(loan)
    day = date(day.year + (day.month == 12), day.month % 12 + 1, 10)

# The defaulter's loan is written off once it is clear nothing more will come.
bad = next(loan for loan in loans if loan.household_id == DEFAULTER)
write_offs.append(WriteOff(id="w1", loan_id=bad.id, on=date(2022, 12, 20), reason="pigs died"))

ds = dataset()
print(f"{ds.name}: {len(loans)} loans, {len(repayments)} repayments, {len(write_offs)} write-off")
print()
print("year   loans        lent    repaid principal     cash at year end")
for year in (2021, 2022, 2023):
    period = Period.year(year)
    year_end = portfolio_report(ds, fund.id, as_of=period.end)
    before = portfolio_report(ds, fund.id, as_of=period.start - timedelta(days=1))
    made = year_end.loans_made - before.loans_made
    lent = year_end.cumulative_lent - before.cumulative_lent
    repaid = year_end.principal_repaid - before.principal_repaid
    print(
        f"{year}  {made:>6}  {lent.format(grouping=True):>14}  "
        f"{repaid.format(grouping=True):>14}  {year_end.cash.format(grouping=True):>19}"
    )
print()
report = portfolio_report(ds, fund.id, as_of=END)
print(report)
print()
multiple = report.revolving_multiple or Decimal(0)
print(
    f"every yuan of seed money has lent {multiple.quantize(Decimal('0.01'))} yuan "
    f"(撬动效应) in {report.lending_cycles} full turns of the capital"
)
print()
findings = [f for f in ds.validate() if f.rule.startswith("revolving.")]
print(f"revolving rules: {len(findings)} findings")
for f in findings:
    print(" ", f)
