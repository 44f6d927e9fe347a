"""How the ledger derivation and the year at a glance grow with the data, and their columnar twin.

A deterministic dataset of ``n`` donations and everything a society's year holds beside
them (per million donations: 100,000 handouts, 20,000 paid cases, 20,000 loans with
their repayments, 20,000 flows, 100,000 persons in 50,000 households) is built in
memory, then timed (CPU seconds, best of ``--repeat``):

* the ledger derivation: :meth:`humanaid.Dataset.ledger` on a fresh dataset, then every
  fund's balance;
* :func:`humanaid.year_at_a_glance` of the city society on a fresh dataset, and
  :func:`humanaid.boundary_totals` (the ledger's totals over the records);
* with ``--columnar``, at the largest ``n``: the columnar twins of the boundary totals
  and of the year at a glance over the large collections as Arrow tables (polars and
  DuckDB), beside a hand-written polars query of the same boundary totals;
* with ``--books``, at the largest ``n`` and instead of the above: the columnar twins of
  :func:`humanaid.project_summary` and :func:`humanaid.revolving_summary` (DuckDB and
  polars), the same summaries over the records, and a hand-written polars query of the
  same figures (each project's money received and spent; each village fund's loans,
  principal lent and households), interleaved over ``--repeat`` rounds, wall and CPU.

Run::

    python benchmarks/ledger.py --n 10000 --n 100000 --n 1000000 --columnar
    python benchmarks/ledger.py --n 1000000 --books --repeat 2

The figures are in ``benchmarks/README.md`` ("The ledger and the year at a glance").
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from humanaid import (
    Boundary,
    Campaign,
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Dataset,
    Distribution,
    Donation,
    Donor,
    Flow,
    Fund,
    FundKind,
    Household,
    Money,
    Organization,
    Party,
    Period,
    Person,
    Program,
    Project,
    boundary_totals,
    year_at_a_glance,
)
from humanaid.organizations import OrgKind, OrgLevel, Qualification
from humanaid.projects import ProjectKind
from humanaid.revolving import (
    LendingTerms,
    Loan,
    Repayment,
    RepaymentFrequency,
    RepaymentMethod,
    RevolvingFund,
)

SEED = 20201231
FIRST = date(2018, 1, 1)
DAYS = (date(2020, 12, 31) - FIRST).days + 1
CITY = "qujing-rc"
COUNTIES = ("qilin-rc", "huize-rc", "fuyuan-rc", "shizong-rc")
PLATFORMS = ("轻松筹", "腾讯公益", "支付宝公益")


def _day(rng: random.Random) -> date:
    return FIRST + timedelta(days=rng.randrange(DAYS))


def _money(rng: random.Random, low: int, high: int) -> Money:
    units = rng.randrange(low, high)
    return Money(f"{units // 100}.{units % 100:02d}")


def dataset(n: int, seed: int = SEED) -> Dataset:
    """A society's three years with ``n`` donations, built the same for the same ``n``."""
    rng = random.Random(seed)
    public = Qualification(kind="public_fundraising", valid_from=date(2010, 1, 1))
    orgs = [
        Organization(id="province-rc", name="云南省红十字会", level=OrgLevel.PROVINCE),
        Organization(
            id=CITY,
            name="曲靖市红十字会",
            level=OrgLevel.CITY,
            parent_id="province-rc",
            qualifications=(public,),
        ),
        *(
            Organization(
                id=c,
                name=f"{c} 红十字会",
                level=OrgLevel.COUNTY,
                parent_id=CITY,
                qualifications=(public,),
            )
            for c in COUNTIES
        ),
        Organization(id="hospital", name="第一人民医院", kind=OrgKind.HOSPITAL),
        Organization(id="platform", name="腾讯公益", kind=OrgKind.PLATFORM),
    ]
    members = (CITY, *COUNTIES)
    funds = [Fund(id=f"{o}-general", name=f"{o} general", organization_id=o) for o in members]
    funds.append(
        Fund(
            id="relief",
            name="relief fund",
            kind=FundKind.RESTRICTED,
            organization_id=CITY,
            purposes=("relief",),
        )
    )
    fund_ids = [f.id for f in funds]
    programs = [Program(id="aid", name="救助", organization_id=CITY)]
    n_projects = max(5, n // 2000)
    projects = [
        Project(
            id=f"project-{i}",
            name=f"项目{i}",
            kind=ProjectKind.LIVELIHOOD,
            organization_id=members[i % len(members)],
            period=Period(date(2018 + i % 3, 1, 1), date(2020, 12, 31)),
            program_id="aid" if i % 2 else None,
            budget=Money("100000000000"),
        )
        for i in range(n_projects)
    ]
    campaigns = [
        Campaign(
            id="boai",
            name="博爱送万家",
            organizer_id=CITY,
            period=Period(FIRST, date(2020, 12, 31)),
            fund_id="relief",
            public=False,
        )
    ]
    n_donors = max(10, n // 8)
    donors = [Donor(id=f"donor-{i}", kind="individual") for i in range(n_donors)]
    gifts = []
    for i in range(n):
        online = rng.random() < 0.35
        value = _money(rng, 100, 500_000)
        gifts.append(
            Donation(
                id=f"gift-{i}",
                organization_id=members[rng.randrange(len(members))],
                received_on=_day(rng),
                value=value,
                donor_id=f"donor-{rng.randrange(n_donors)}" if rng.random() < 0.9 else None,
                fees=Money(f"{value.amount * 6 / 1000:.2f}") if online else Money("0"),
                channel="online_platform" if online else "offline",
                platform=PLATFORMS[i % 3] if online else None,
                fund_id=fund_ids[rng.randrange(len(fund_ids))] if rng.random() < 0.5 else None,
                no_receipt_reason="not_requested",
            )
        )
    n_households = max(4, n // 20)
    households = [Household(id=f"home-{i}", members=2) for i in range(n_households)]
    persons = [
        Person(id=f"person-{i}", name=f"人{i}", household_id=f"home-{i // 2}")
        for i in range(2 * n_households)
    ]
    payers: list[dict[str, Any]] = [
        {"fund_id": f"{CITY}-general"},
        {"fund_id": "relief", "purpose": "relief"},
        {"campaign_id": "boai", "purpose": "relief"},
        {"program_id": "aid"},
    ]
    handouts = [
        Distribution.cash(
            id=f"handout-{i}",
            household_id=f"home-{rng.randrange(n_households)}",
            on=_day(rng),
            value=_money(rng, 10_000, 100_000),
            **(
                {"project_id": f"project-{3 * rng.randrange(n_projects // 3)}"}
                if i % 5 == 4
                else payers[i % 4]
            ),
        )
        for i in range(max(1, n // 10))
    ]
    cases = []
    for i in range(max(1, n // 50)):
        start = _day(rng)
        paid = i % 3 != 0
        history = tuple(
            CaseEvent(status=s, on=start + timedelta(days=3 * k))
            for k, s in enumerate(
                (
                    CaseStatus.REFERRED,
                    CaseStatus.SCREENED,
                    CaseStatus.ASSESSED,
                    CaseStatus.APPROVED,
                    *((CaseStatus.IN_TREATMENT,) if paid else ()),
                )
            )
        )
        approved = _money(rng, 100_000, 3_000_000)
        cases.append(
            Case(
                id=f"case-{i}",
                kind=CaseKind.MEDICAL,
                person_id=f"person-{rng.randrange(2 * n_households)}",
                hospital_id="hospital" if i % 2 else None,
                approved=approved,
                paid=approved if paid else None,
                history=history,
                fund_id=f"{CITY}-general" if i % 2 else None,
                program_id=None if i % 2 else "aid",
            )
        )
    terms = LendingTerms(
        term_months=12,
        method=RepaymentMethod.INTEREST_FREE,
        frequency=RepaymentFrequency.QUARTERLY,
    )
    seed_funds = [
        RevolvingFund(
            id=f"seed-{p.id}",
            name=f"{p.id} seed fund",
            project_id=p.id,
            organization_id=p.organization_id,
            terms=terms,
        )
        for p in projects
    ]
    loans, repayments = [], []
    for i in range(max(1, n // 50)):
        fund = seed_funds[i % len(seed_funds)]
        principal = _money(rng, 100_000, 1_000_000)
        on = date(2020, 1, 1) + timedelta(days=rng.randrange(300))
        loan = Loan.from_fund(
            fund,
            id=f"loan-{i}",
            household_id=f"home-{i % n_households}",
            principal=principal,
            disbursed_on=on,
            purpose="pigs",
        )
        loans.append(loan)
        if i % 2:
            repayments.append(
                Repayment(
                    id=f"repaid-{i}",
                    loan_id=loan.id,
                    amount=Money(f"{principal.amount // 2}"),
                    paid_on=on + timedelta(days=90),
                )
            )
    plenty = Money("100000000000")
    flows = [
        Flow(
            id="grant-city",
            source=Party.organization("province-rc"),
            destination=Party.fund(f"{CITY}-general"),
            amount=plenty,
            on=FIRST,
            kind="grant",
        ),
        Flow(
            id="grant-relief",
            source=Party.organization("province-rc"),
            destination=Party.fund("relief"),
            amount=plenty,
            on=FIRST,
            kind="grant",
        ),
        *(
            Flow(
                id=f"seed-{p.id}",
                source=Party.project(p.id),
                destination=Party.revolving_fund(f"seed-{p.id}"),
                amount=Money("100000000"),
                on=p.period.start,
                kind="allocation",
            )
            for p in projects
        ),
        *(
            Flow(
                id=f"project-grant-{p.id}",
                source=Party.organization("province-rc"),
                destination=Party.project(p.id),
                amount=Money("1000000000"),
                on=p.period.start,
                kind="grant",
            )
            for p in projects
        ),
    ]
    for i in range(max(1, n // 50)):
        county = COUNTIES[i % len(COUNTIES)]
        kind = ("allocation", "disbursement", "admin_expense")[i % 3]
        source = Party.fund(f"{CITY}-general")
        destination = (
            Party.fund(f"{county}-general")
            if kind == "allocation"
            else Party.project(f"project-{rng.randrange(n_projects)}")
            if kind == "disbursement"
            else Party.outside("rent")
        )
        flows.append(
            Flow(
                id=f"flow-{i}",
                source=source,
                destination=destination,
                amount=_money(rng, 10_000, 1_000_000),
                on=date(2020, 1, 1) + timedelta(days=rng.randrange(366)),
                kind=kind,
            )
        )
    return Dataset(
        organizations=orgs,
        funds=funds,
        programs=programs,
        projects=projects,
        campaigns=campaigns,
        donors=donors,
        donations=gifts,
        households=households,
        persons=persons,
        distributions=handouts,
        cases=cases,
        revolving_funds=seed_funds,
        loans=loans,
        repayments=repayments,
        flows=flows,
    )


def fresh(ds: Dataset, errors: Any = None) -> Dataset:
    """The same records in a new dataset: nothing derived is kept (but ``errors``, if given).

    ``errors`` are the built-in rules' error findings by subject, as
    :func:`humanaid.year_at_a_glance` keeps them: given, ``validate()`` is not run again
    (its own scaling is measured by ``benchmarks/scaling.py``).
    """
    out = Dataset(**dict(ds))
    if errors is not None:
        out.derived("summaries:errors", lambda _: errors)
    return out


def errors_of(ds: Dataset, validate: bool) -> Any:
    """The dataset's error findings by subject: ``validate()`` once, outside the timings.

    Without ``validate``, none: the year at a glance then reads no ids for findings.
    """
    if not validate:
        return {}
    from humanaid.summaries import _errors_by_subject

    return _errors_by_subject(fresh(ds))


def cpu(fn: Callable[[], object], repeat: int) -> float:
    """The best CPU time of ``repeat`` runs of ``fn`` (seconds; the collector as in use)."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def derive_and_balance(ds: Dataset) -> None:
    """The ledger derivation on a fresh dataset, then every fund's balance."""
    ds = fresh(ds)
    ledger = ds.ledger()
    for fund in ds.funds:
        ledger.balance(Party.fund(fund.id))


def glance(ds: Dataset, errors: Any) -> None:
    """The year at a glance of the city society on a fresh dataset (findings kept)."""
    year_at_a_glance(fresh(ds, errors), 2020, organization_id=CITY)


def totals(ds: Dataset) -> None:
    """The city society's boundary totals for 2020 on a fresh dataset."""
    ds = fresh(ds)
    boundary_totals(ds, Boundary.organization(ds, CITY), Period.year(2020))


def _row(label: str, figures: list[str]) -> None:
    print(f"{label:<48}" + "  ".join(f"{f:>12}" for f in figures), flush=True)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def records_path(sizes: list[int], repeat: int, validate: bool) -> dict[int, tuple[Dataset, Any]]:
    """The three timings at each size, with the growth from the size before."""
    built: dict[int, tuple[Dataset, Any]] = {}
    results: dict[str, list[float]] = {"ledger": [], "glance": [], "totals": []}
    for n in sizes:
        t = time.process_time()
        ds = dataset(n)
        print(
            f"  built N={n:,} ({ds.size():,} records) in {time.process_time() - t:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        errors = errors_of(ds, validate)
        built[n] = (ds, errors)
        results["ledger"].append(cpu(lambda ds=ds: derive_and_balance(ds), repeat))
        results["glance"].append(cpu(lambda ds=ds, e=errors: glance(ds, e), repeat))
        results["totals"].append(cpu(lambda ds=ds: totals(ds), repeat))
        print(f"  N={n:,}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in results.items()),
              file=sys.stderr, flush=True)  # fmt: skip
    _row("records path (CPU s)", [f"N={n:,}" for n in sizes])
    labels = {
        "ledger": "ledger derivation + every fund's balance",
        "glance": "year_at_a_glance (findings kept)",
        "totals": "boundary_totals",
    }
    for key, label in labels.items():
        _row(label, [f"{s:.2f} s" for s in results[key]])
        growth = [f"{b / a:.1f}x" for a, b in zip(results[key], results[key][1:], strict=False)]
        if growth:
            _row("  growth per 10x", ["", *growth])
    print(f"load average: {_load()}", flush=True)
    return built


def columnar_path(ds: Dataset, errors: Any, repeat: int) -> None:
    """The columnar twins at the largest size, beside a hand-written polars query."""
    import polars as pl

    from humanaid.interop.arrow import to_arrow
    from humanaid.interop.columnar import scan

    large = ("donations", "flows", "distributions", "cases", "persons", "households")
    kinds = ds.collection_types()
    tables = {name: to_arrow(list(ds.records(name)), kinds[name]) for name in large}
    when = Period.year(2020)

    def columnar(engine: str) -> Dataset:
        collections: dict[str, Any] = {
            name: scan(tables[name], kinds[name], engine=engine) if name in tables else records
            for name, records in ds
        }
        out = Dataset(**collections)
        out.derived("summaries:errors", lambda _: errors)
        return out

    def twin_totals(engine: str) -> None:
        c = columnar(engine)
        boundary_totals(c, Boundary.organization(c, CITY), when)

    def twin_glance(engine: str) -> None:
        year_at_a_glance(columnar(engine), when, organization_id=CITY)

    engines = ("duckdb", "polars")
    _row(f"columnar path, N={len(ds.donations):,} (CPU s)", list(engines))
    _row("boundary_totals, columnar twin",
         [f"{cpu(lambda e=e: twin_totals(e), repeat):.2f} s" for e in engines])  # fmt: skip
    _row("year_at_a_glance, columnar twin",
         [f"{cpu(lambda e=e: twin_glance(e), repeat):.2f} s" for e in engines])  # fmt: skip
    gifts = tables["donations"]
    members = [CITY, *COUNTIES]
    funds = [f.id for f in ds.funds if f.organization_id in members]

    def by_hand() -> Any:
        # the gifts' money raised inside the boundary and their fees, as one writes it
        inside = pl.col("organization_id").is_in(members) & (
            pl.col("fund_id").is_null() | pl.col("fund_id").is_in(funds)
        )
        year = pl.col("received_on").is_between(when.start, when.end)
        return (
            pl.from_arrow(gifts)
            .lazy()
            .filter(year & inside)
            .select(pl.col("value.amount").sum(), pl.col("fees.amount").sum())
            .collect()
        )

    _row("hand-written polars: gifts raised, fees", [f"{cpu(by_hand, repeat):.2f} s"])
    print(f"load average: {_load()}", flush=True)


def books_inputs(ds: Dataset) -> tuple[dict[str, Any], Any]:
    """The large collections as Arrow tables, and the loans' columns the hand query reads."""
    from humanaid.interop.arrow import to_arrow

    large = ("donations", "flows", "distributions", "cases", "persons", "households")
    kinds = ds.collection_types()
    tables = {name: to_arrow(list(ds.records(name)), kinds[name]) for name in large}
    loans = to_arrow(list(ds.loans), kinds["loans"]).select(
        ["fund_id", "household_id", "principal.amount", "disbursed_on"]
    )
    return tables, loans


def books_dataset(ds: Dataset, tables: dict[str, Any], engine: str) -> Dataset:
    """``ds`` with its large collections held by ``engine`` over ``tables``, no findings kept
    (the hand queries have none)."""
    from humanaid.interop.columnar import scan

    kinds = ds.collection_types()
    collections: dict[str, Any] = {
        name: scan(tables[name], kinds[name], engine=engine) if name in tables else records
        for name, records in ds
    }
    out = Dataset(**collections)
    out.derived("summaries:errors", lambda _: {})
    return out


def hand_projects(tables: dict[str, Any], projects: list[str]) -> list[tuple[str, ...]]:
    """project_summary's figures (project, received, spent) by a hand polars query.

    ``tables``: the Arrow tables of the flows, distributions and cases; ``projects``: the
    projects' ids. Shared with ``books.py``, so both benchmarks time the same hand query.
    """
    import polars as pl

    flows = pl.from_arrow(
        tables["flows"].select(["source", "destination", "kind", "amount.amount"])
    )
    flows = flows.lazy().select(  # type: ignore[union-attr]
        pl.col("source").struct.field("kind").cast(pl.String).alias("sk"),
        pl.col("source").struct.field("id").alias("si"),
        pl.col("destination").struct.field("kind").cast(pl.String).alias("dk"),
        pl.col("destination").struct.field("id").alias("di"),
        pl.col("kind").cast(pl.String),
        pl.col("amount.amount").alias("v"),
    )
    into = (
        flows.filter((pl.col("dk") == "project") & (pl.col("kind") != "refund"))
        .group_by(pl.col("di").alias("p"))
        .agg(pl.col("v").sum().alias("received"))
    )
    out_of = flows.filter(pl.col("sk") == "project").select(pl.col("si").alias("p"), "v")
    paid = pl.col("fund_id").is_null() & pl.col("project_id").is_not_null()
    handed = (
        pl.from_arrow(tables["distributions"]).lazy().filter(paid)  # type: ignore[union-attr]
        .select(pl.col("project_id").alias("p"), pl.col("value.amount").alias("v"))
    )  # fmt: skip
    cases = (
        pl.from_arrow(tables["cases"]).lazy()  # type: ignore[union-attr]
        .filter(paid & (pl.col("paid.amount") > 0))
        .select(pl.col("project_id").alias("p"), pl.col("paid.amount").alias("v"))
    )  # fmt: skip
    spent = pl.concat([out_of, handed, cases]).group_by("p").agg(pl.col("v").sum().alias("spent"))
    ids = pl.LazyFrame({"p": projects})
    got = (
        ids.join(into, on="p", how="left").join(spent, on="p", how="left")
        .fill_null(0).collect()
    )  # fmt: skip
    return sorted((p, f"{r:.2f}", f"{s:.2f}") for p, r, s in got.rows())


def hand_funds(loans: Any, as_of: date) -> list[tuple[str, ...]]:
    """revolving_summary's figures (fund, loans, lent, households) by a hand polars query.

    ``loans``: the loans' Arrow table (fund, household, principal, day disbursed).
    """
    import polars as pl

    lent = (
        pl.from_arrow(loans).lazy()  # type: ignore[union-attr]
        .filter(pl.col("disbursed_on") <= as_of)
        .group_by("fund_id")
        .agg(pl.len().alias("n"), pl.col("principal.amount").sum().alias("lent"),
             pl.col("household_id").n_unique().alias("homes"))
        .collect()
    )  # fmt: skip
    return sorted((f, str(n), f"{v:.2f}", str(h)) for f, n, v, h in lent.rows())


def projects_of(t: Any) -> list[tuple[str, ...]]:
    """A project table's figures as the hand query gives them."""
    return sorted((r["project"], f"{r['received'].amount:.2f}", f"{r['spent'].amount:.2f}")
                  for r in t)  # fmt: skip


def funds_of(t: Any) -> list[tuple[str, ...]]:
    """A revolving table's figures as the hand query gives them."""
    return sorted((r["fund"], str(r["loans"]), f"{r['lent'].amount:.2f}", str(r["households"]))
                  for r in t)  # fmt: skip


def books_path(ds: Dataset, repeat: int, only: str | None = None) -> None:
    """project_summary and revolving_summary: the twins, the records, polars by hand.

    ``only``: the contenders whose name holds it (``"revolving"``), with their hand query.
    """
    import polars  # noqa: F401  (imported before the clock, as an installed program has it)

    from humanaid import project_summary, revolving_summary

    tables, loans = books_inputs(ds)
    as_of = date(2020, 12, 31)

    def columnar(engine: str) -> Dataset:
        return books_dataset(ds, tables, engine)

    contenders: dict[str, Callable[[], list[tuple[str, ...]]]] = {
        "project_summary, twin, DuckDB": lambda: projects_of(project_summary(columnar("duckdb"))),
        "project_summary, twin, polars": lambda: projects_of(project_summary(columnar("polars"))),
        "project_summary, records": lambda: projects_of(project_summary(fresh(ds, {}))),
        "project_summary figures, polars by hand": lambda: hand_projects(
            tables, [p.id for p in ds.projects]
        ),
        "revolving_summary, twin, DuckDB": lambda: funds_of(
            revolving_summary(columnar("duckdb"), as_of=as_of)
        ),
        "revolving_summary, twin, polars": lambda: funds_of(
            revolving_summary(columnar("polars"), as_of=as_of)
        ),
        "revolving_summary, records": lambda: funds_of(
            revolving_summary(fresh(ds, {}), as_of=as_of)
        ),
        "revolving_summary figures, polars by hand": lambda: hand_funds(loans, as_of),
    }
    if only:
        contenders = {k: v for k, v in contenders.items() if only in k}
    times: dict[str, list[tuple[float, float]]] = {c: [] for c in contenders}
    figures: dict[str, Any] = {}
    print(f"books path, N={len(ds.donations):,}; load average before: {_load()}", flush=True)
    for _ in range(repeat):  # interleaved: each round runs every contender once
        for name, run in contenders.items():
            gc.collect()
            wall, cpu_ = time.perf_counter(), time.process_time()
            got = run()
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu_))
            figures.setdefault(name, got)
            if got != figures[name]:
                raise SystemExit(f"{name}: not the same figures from one round to the next")
            print(f"  {name}: {times[name][-1][0]:.2f} s wall, {times[name][-1][1]:.2f} s CPU,"
                  f" load {_load()}", file=sys.stderr, flush=True)  # fmt: skip
    print(f"{'contender':<44}{'wall s':>14}{'CPU s':>14}{'/ hand (wall)':>15}  same")
    for name, runs in times.items():
        summary = name.split(" ")[0].rstrip(",")
        hand = f"{summary} figures, polars by hand"
        best_hand = min(w for w, _ in times[hand])
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        same = figures[name] == figures[hand]
        print(f"{name:<44}{min(walls):>6.2f}-{max(walls):<7.2f}{min(cpus):>6.2f}-{max(cpus):<7.2f}"
              f"{min(walls) / best_hand:>14.2f}x  {'yes' if same else 'NO'}")  # fmt: skip
    print(f"load average after: {_load()}", flush=True)
    for n in contenders:
        hand = figures[f"{n.split(' ')[0].rstrip(',')} figures, polars by hand"]
        if figures[n] != hand:
            print(n, [(a, b) for a, b in zip(figures[n], hand, strict=False) if a != b][:3])
    if any(figures[n] != figures[f"{n.split(' ')[0].rstrip(',')} figures, polars by hand"]
           for n in contenders):  # fmt: skip
        raise SystemExit("the contenders disagree")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="donations (repeatable)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--columnar", action="store_true", help="the columnar twins too")
    parser.add_argument(
        "--books", action="store_true", help="only project_summary and revolving_summary"
    )
    parser.add_argument("--only", help="with --books: the contenders whose name holds this")
    parser.add_argument(
        "--validate",
        action="store_true",
        help="keep the real findings (validate() once per size, untimed; slow at 10^6)",
    )
    args = parser.parse_args()
    sizes = sorted(args.n or [10_000, 100_000])
    print(f"load average: {_load()}", flush=True)
    if args.books:
        books_path(dataset(sizes[-1]), args.repeat, args.only)
        return
    built = records_path(sizes, args.repeat, args.validate)
    if args.columnar:
        columnar_path(*built[sizes[-1]], args.repeat)


if __name__ == "__main__":
    main()
