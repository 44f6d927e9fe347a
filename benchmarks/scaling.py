"""Whole-dataset work at 10^4, 10^5 and 10^6 records: does it grow like the data?

Builds one realistic dataset per size (:func:`build`: the donations, donors and funds of
``generate.py``, grants, allocations and spending between the societies' funds,
households, village projects with seed funds lending to them, repayments and write-offs)
and times, in CPU seconds (``time.process_time``), on a fresh copy of the dataset each
time so that nothing is shared between steps:

* ``validate()`` with every built-in rule;
* the ledger derivation: ``Dataset.ledger()`` and every fund's balance;
* ``year_at_a_glance`` of the largest society;
* ``portfolio_report`` of one village fund.

The sizes are run in turn, ``--repeat`` times (interleaved: small, middle, large, small
...), and each step's best time is printed with its growth ratio from one size to the
next: the data grows tenfold, so a linear step shows about 10x.

    python benchmarks/scaling.py                      # 10^4, 10^5, 10^6, three rounds
    python benchmarks/scaling.py --sizes 1000 10000 --repeat 1

It is a benchmark: ``tests/test_benchmarks.py`` runs it at a tiny size so it cannot rot,
and checks no figure.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import generate  # the benchmark's own generator, beside this file
from _generate import day_in  # the case studies' random days, in examples/

from humanaid import (
    Campaign,
    Dataset,
    Donation,
    Donor,
    Flow,
    FlowKind,
    Fund,
    Household,
    LendingTerms,
    Loan,
    Money,
    Organization,
    OrgKind,
    OrgLevel,
    Party,
    Period,
    Person,
    Project,
    ProjectKind,
    ProjectStatus,
    Qualification,
    QualificationKind,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
    WriteOff,
    from_dict,
    portfolio_report,
    year_at_a_glance,
)

SEED = 1955
SIX_YEARS = Period(date(2015, 1, 1), date(2020, 12, 31))
AS_OF = date(2020, 12, 31)
PROVINCE = "yunnan-rc"
SOCIETIES = generate.ORGANIZATIONS
STEPS = ("validate()", "ledger + every fund's balance", "year_at_a_glance", "portfolio_report")


def _organizations() -> Iterator[Organization]:
    public = (
        Qualification(kind=QualificationKind.PUBLIC_FUNDRAISING, valid_from=date(2010, 1, 1)),
    )
    yield Organization(id=PROVINCE, name="云南省红十字会", level=OrgLevel.PROVINCE)
    for org in SOCIETIES:
        yield Organization(
            id=org, name=f"{org} society", level=OrgLevel.CITY, parent_id=PROVINCE,
            qualifications=public,
        )  # fmt: skip
    yield Organization(id="hospital", name="人民医院", kind=OrgKind.HOSPITAL)


def build(n: int, seed: int = SEED) -> Dataset:
    """A whole dataset of about ``1.3 n`` records around ``n`` donations (deterministic).

    ``n`` donations and ``n / 8`` donors (``generate.py``), the five societies' general and
    five special funds, 50 campaigns, ``n / 10`` flows (grants from the province, allocations
    between funds, spending on households, projects and administration), ``n / 40``
    households with a person at their head, ``n / 5000`` village projects (at least two),
    each with a seed fund lending to its households: ``n / 50`` loans in all, most repaid
    at maturity, some late or in part, a few written off.
    """
    rng = random.Random(seed)
    donations = [from_dict(d, Donation) for d in generate.donations(n)]
    donors = [from_dict(d, Donor) for d in generate.donors(n)]
    funds = [from_dict(d, Fund) for d in generate.funds()]
    campaigns = [
        Campaign(
            id=f"campaign-{i:02d}",
            name=f"募捐活动 {i}",
            organizer_id=SOCIETIES[i % 5],
            period=SIX_YEARS,
        )
        for i in range(generate.CAMPAIGNS)
    ]
    n_households = max(20, n // 40)
    households = [
        Household(id=f"h{i:07d}", head_id=f"p{i:07d}", members=rng.randint(1, 6))
        for i in range(n_households)
    ]
    persons = [
        Person(id=f"p{i:07d}", name=f"户主{i}", household_id=f"h{i:07d}")
        for i in range(n_households)
    ]
    flows: list[Flow] = []

    def flow(src: Party, dst: Party, units: int, on: date, kind: FlowKind, **kw: Any) -> None:
        amount = Money(f"{units // 100}.{units % 100:02d}")
        flows.append(
            Flow(id=f"f{len(flows):08d}", source=src, destination=dst, amount=amount, on=on,
                 kind=kind, **kw)
        )  # fmt: skip

    # village projects, each with a seed fund lending to its own households
    n_projects = max(2, n // 5000)
    terms = LendingTerms(
        term_months=12, method=RepaymentMethod.BULLET,
        frequency=RepaymentFrequency.AT_MATURITY, max_loan=Money("20000"),
    )  # fmt: skip
    projects, revolving, loans, repayments, write_offs = [], [], [], [], []
    per_project = max(1, n // 50 // n_projects)
    for p in range(n_projects):
        org = SOCIETIES[p % 5]
        start = date(2015 + p % 3, 3, 1)
        pid = f"village-{p:04d}"
        projects.append(
            Project(
                id=pid, name=f"博爱家园 {p}", kind=ProjectKind.COMMUNITY_RESILIENCE,
                organization_id=org, period=Period(start, date(2020, 12, 31)),
                budget=Money("1500000"), status=ProjectStatus.ACTIVE,
            )
        )  # fmt: skip
        fund = RevolvingFund(
            id=f"seed-{p:04d}",
            name=f"种子基金 {p}",
            project_id=pid,
            organization_id=org,
            terms=terms,
            opened_on=start,
        )
        revolving.append(fund)
        flow(Party.fund(f"{org}-general"), Party.project(pid), 150_000_000, start,
             FlowKind.DISBURSEMENT)  # fmt: skip
        flow(Party.project(pid), fund.party, 100_000_000, start, FlowKind.GRANT)
        for k in range(per_project):
            household = f"h{rng.randrange(n_households):07d}"
            disbursed = start + timedelta(days=10 + rng.randrange(365 * 4))
            loan = Loan.from_fund(
                fund, id=f"{fund.id}-L{k:05d}", household_id=household,
                principal=Money(rng.randrange(2_000, 20_001, 500)), disbursed_on=disbursed,
                purpose=("养猪", "养牛", "种植魔芋")[k % 3],
            )  # fmt: skip
            loans.append(loan)
            due = loan.schedule[-1]
            fate = rng.random()
            if fate < 0.8 and due.due_on <= AS_OF:
                paid_on = due.due_on + timedelta(days=rng.randrange(-20, 40))
                repayments.append(
                    Repayment(id=f"{loan.id}-r", loan_id=loan.id, paid_on=paid_on,
                              amount=due.total)
                )  # fmt: skip
            elif fate < 0.9 and due.due_on <= AS_OF:
                repayments.append(
                    Repayment(id=f"{loan.id}-r", loan_id=loan.id, paid_on=due.due_on,
                              amount=Money(loan.principal.minor_units // 200))
                )  # fmt: skip
            elif fate < 0.93 and due.due_on + timedelta(days=200) <= AS_OF:
                write_offs.append(
                    WriteOff(id=f"{loan.id}-w", loan_id=loan.id,
                             on=due.due_on + timedelta(days=200), reason="灾害")
                )  # fmt: skip
    # grants in, allocations between funds, spending out: one flow per ten donations
    for _ in range(max(10, n // 10) - len(flows)):
        org = SOCIETIES[rng.randrange(5)]
        general = Party.fund(f"{org}-general")
        on = day_in(rng, SIX_YEARS)
        what = rng.randrange(10)
        if what < 3:
            flow(Party.organization(PROVINCE), general, rng.randrange(10**6, 10**8), on,
                 FlowKind.GRANT)  # fmt: skip
        elif what < 4:
            special = Party.fund(f"special-{rng.randrange(generate.SPECIAL_FUNDS)}")
            flow(Party.fund(f"{SOCIETIES[0]}-general"), special, rng.randrange(10**5, 10**7), on,
                 FlowKind.ALLOCATION)  # fmt: skip
        elif what < 9:
            home = Party.household(f"h{rng.randrange(n_households):07d}")
            flow(general, home, rng.randrange(10_000, 500_000), on, FlowKind.DISBURSEMENT)
        else:
            flow(general, Party.outside("rent"), rng.randrange(10_000, 2_000_000), on,
                 FlowKind.ADMIN_EXPENSE)  # fmt: skip
    return Dataset(
        name=f"scaling n={n}",
        organizations=list(_organizations()),
        donors=donors,
        donations=donations,
        campaigns=campaigns,
        funds=funds,
        flows=flows,
        households=households,
        persons=persons,
        projects=projects,
        revolving_funds=revolving,
        loans=loans,
        repayments=repayments,
        write_offs=write_offs,
    )


def fresh(dataset: Dataset) -> Dataset:
    """The same records in a new dataset: no index, ledger or derived value kept."""
    return Dataset(**dict(dataset), name=dataset.name)


def _ledger_and_balances(ds: Dataset) -> object:
    ledger = ds.ledger()
    return [ledger.balance(Party.fund(f.id)) for f in ds.funds]


def steps(ds: Dataset) -> dict[str, Callable[[Dataset], object]]:
    """Each step timed, as a function of a fresh dataset."""
    fund_id = ds.revolving_funds[0].id
    return {
        "validate()": lambda d: d.validate(),
        "ledger + every fund's balance": _ledger_and_balances,
        "year_at_a_glance": lambda d: year_at_a_glance(d, 2020, organization_id=SOCIETIES[0]),
        "portfolio_report": lambda d: portfolio_report(d, fund_id, as_of=AS_OF),
    }


def cpu(run: Callable[[], object]) -> float:
    """CPU seconds of ``run()``, the collector in the same state for every step."""
    gc.collect()
    start = time.process_time()
    run()
    return time.process_time() - start


def _s(seconds: float) -> str:
    return (
        f"{seconds:.3f}" if seconds < 1 else f"{seconds:.2f}" if seconds < 100 else f"{seconds:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}; load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    data: dict[int, Dataset] = {}
    for n in args.sizes:
        start = time.process_time()
        data[n] = build(n)
        print(f"n = {n:,}: {data[n].size():,} records, built in "
              f"{time.process_time() - start:.1f} s", flush=True)  # fmt: skip
    times: dict[tuple[int, str], list[float]] = {}
    for _ in range(args.repeat):
        for n in args.sizes:
            for step, run in steps(data[n]).items():
                ds = fresh(data[n])
                took = cpu(lambda: run(ds))  # noqa: B023
                times.setdefault((n, step), []).append(took)
                print(f"  {data[n].size():>9,} records  {step:<30} {_s(took)} s", flush=True)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print()
    header = ["step", *(f"{data[n].size():,} records" for n in args.sizes)]
    rows = []
    for step in STEPS:
        row = [step]
        prev = None
        for n in args.sizes:
            best = min(times[(n, step)])
            worst = max(times[(n, step)])
            cell = f"{_s(best)}-{_s(worst)} s" if len(times[(n, step)]) > 1 else f"{_s(best)} s"
            if prev is not None and prev > 0:
                cell += f" ({best / prev:.1f}x)"
            row.append(cell)
            prev = best
        rows.append(row)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for i, r in enumerate([header, *rows]):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print()
    print("CPU seconds, best-worst of the repetitions; (Nx): the best time's growth from the "
          "size before")  # fmt: skip


if __name__ == "__main__":
    main()
