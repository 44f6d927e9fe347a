"""Columnar twins beside hand-written queries: the fundraising summary over partitioned Parquet.

Writes N generated donations as Parquet partitioned by year and organisation (the layout
:func:`humanaid.interop.columnar.write_parquet_dataset` writes), built column-wise with
NumPy so that 100 million rows take minutes, not hours; then runs the fundraising summary
(raised, goods, fees, gifts and distinct donors by year and channel) five ways, each in a
child process of its own so that its peak resident memory is its own:

* humanaid's twin on DuckDB, on polars and on Dask (``scan(...)`` handed to
  ``fundraising_summary``);
* the same query written by hand for polars (``scan_parquet`` ... ``group_by`` ... ``agg``,
  as the polars user guide writes it: lazy, one query, the streaming engine) and for
  DuckDB (one SQL statement over ``read_parquet``).

Every contender's figures are checked equal to the first's. It is a benchmark, not a test:
``tests/test_benchmarks.py`` runs it at a small N so that it cannot rot.

With ``--dataset``, the summaries of a whole columnar dataset instead
(:func:`humanaid.interop.columnar.scan_dataset`): N donations (a fifth of them with a
transaction number, one in a thousand entered twice, so the booked gifts are found in the
engine), N/5 handouts to N/20 households, N/10 indicator values, and the small collections
they name; each of ``fundraising_summary``, ``top_donors``, ``campaign_summary``,
``relief_summary``, ``results_summary``, ``reach``, ``boundary_totals`` (two
organisations' 2020), ``year_at_a_glance`` and ``medical_summary`` (over a dataset of its
own, ``_medical/``: N/5 screenings and N/100 medical cases) runs as humanaid's twin
(DuckDB and polars) and as a hand-written polars query over the same Parquet files (the
duplicates left out with a
window, as a polars user would), each in its own process, interleaved; the clock starts
after the imports, so that it times the query, not the start of Python.

    .venv/bin/python benchmarks/columnar.py --n 1000000
    .venv/bin/python benchmarks/columnar.py --n 100000000 --only duckdb,polars-hand
    .venv/bin/python benchmarks/columnar.py --dataset --n 1000000 --repeat 3
    .venv/bin/python benchmarks/columnar.py --dataset --repeat 2 --baseline ../main/src \
        --only twin-relief-duckdb,twin-relief-dask,hand-relief-polars
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from columnar_ten_million import write_donations as generate

CONTENDERS = ("humanaid-duckdb", "humanaid-polars", "humanaid-dask", "polars-hand", "duckdb-hand")


def _figures_humanaid(table: Any) -> list[list[str]]:
    return sorted(
        [
            str(r["year"].start.year),
            r["channel"].value,
            str(r["raised"].amount),
            str(r["in kind"].amount),
            str(r["fees"].amount),
            str(r["gifts"]),
            str(r["donors"]),
        ]
        for r in table
    )


def _money(value: Any) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def run(contender: str, data: Path) -> list[list[str]]:
    """Run one contender over ``data``; its figures, as text, sorted."""
    if contender.startswith("humanaid-"):
        from humanaid import Donation, fundraising_summary
        from humanaid.interop.columnar import scan

        source = scan(data, Donation, engine=contender.removeprefix("humanaid-"))
        return _figures_humanaid(fundraising_summary(source, by="channel", granularity="year"))
    if contender == "polars-hand":
        import polars as pl

        frame = pl.scan_parquet(str(data / "**" / "*.parquet"), hive_partitioning=False)
        amount, fees = pl.col("value.amount"), pl.col("fees.amount")
        out = (
            frame.group_by(pl.col("received_on").dt.year().alias("year"), pl.col("channel"))
            .agg(
                amount.sum().alias("raised"),
                amount.filter(pl.col("form").cast(pl.String) == "in_kind").sum().alias("goods"),
                fees.sum().alias("fees"),
                pl.len().alias("gifts"),
                pl.col("donor_id").drop_nulls().n_unique().alias("donors"),
            )
            .collect(engine="streaming")
        )
        return sorted(
            [str(y), str(c), _money(r), _money(g), _money(f), str(n), str(d)]
            for y, c, r, g, f, n, d in out.rows()
        )
    if contender == "duckdb-hand":
        import duckdb

        rows = duckdb.sql(
            f"""
            SELECT year(received_on), channel, sum("value.amount"),
                   coalesce(sum("value.amount") FILTER (WHERE form = 'in_kind'), 0),
                   sum("fees.amount"), count(*), count(DISTINCT donor_id)
            FROM read_parquet('{data}/**/*.parquet')
            GROUP BY ALL
            """
        ).fetchall()
        return sorted(
            [str(y), str(c), _money(r), _money(g), _money(f), str(n), str(d)]
            for y, c, r, g, f, n, d in rows
        )
    raise ValueError(f"unknown contender {contender!r}")


def peak_rss() -> int:
    """This process's peak resident memory, in bytes (``VmHWM``: reset at exec, unlike
    ``ru_maxrss``, which a child inherits from the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(contender: str, data: Path) -> None:
    """Run one contender and print its times, peak memory and figures as JSON."""
    if contender.startswith(("twin-", "hand-")):
        import duckdb  # noqa: F401 - imported before the clock starts (see --dataset)

        # pyarrow imports pandas the first time it converts Python values or groups a
        # table (about 0.85 s of CPU here, once a process): an import, like the others
        import pandas  # noqa: F401
        import polars  # noqa: F401
        import pyarrow.compute
        import pyarrow.dataset
        import pyarrow.parquet  # noqa: F401

        # humanaid's own lazily imported modules too: where bytecode is not written
        # (PYTHONDONTWRITEBYTECODE, as on the benchmark machine) a module first imported
        # after the clock is compiled from source in every run (about 0.1 s of CPU for
        # interop.arrow), which an installed package never pays
        import humanaid
        import humanaid.interop._arrow_fast
        import humanaid.interop.arrow
        import humanaid.interop.columnar  # noqa: F401

        if contender.endswith("-dask"):  # (0.35 s of CPU the first time, an import too)
            import dask
            import dask.delayed
            import dask.threaded  # noqa: F401
    wall, cpu = time.perf_counter(), time.process_time()
    figures = run_dataset(contender, data) if contender.startswith(("twin-", "hand-")) else None
    figures = run(contender, data) if figures is None else figures
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = peak_rss()
    print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak, "figures": figures}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, help="where the Parquet files go (kept)")
    parser.add_argument("--only", help="comma-separated contenders")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--dataset", action="store_true", help="the dataset-level twins")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another tree's src/ folder: each twin also runs with it (as '<twin>@baseline'), "
        "interleaved, for a before and after in one run",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data)
        return
    default = DATASET_CONTENDERS if args.dataset else CONTENDERS
    contenders = args.only.split(",") if args.only else list(default)
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "gifts"
        data.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        make = generate_dataset if args.dataset else generate
        size = make(args.n, data) if not any(data.rglob("*.parquet")) else 0
        if args.dataset and not (data / MEDICAL).exists():  # (a dataset of before)
            write_medical(args.n, data)
        made = time.perf_counter() - began
        load = os.getloadavg()
        print(f"N = {args.n:,} donations in {len(list(data.rglob('*.parquet')))} Parquet files")
        if size:
            print(f"written in {made:.1f} s, {size / 2**20:,.1f} MiB")
        print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        if args.baseline is not None:  # each twin twice: with the baseline's code, then ours
            contenders = [
                name
                for c in contenders
                for name in ((f"{c}@baseline", c) if c.startswith(("twin-", "humanaid-")) else (c,))
            ]
        results: dict[str, list[dict[str, Any]]] = {c: [] for c in contenders}
        for _ in range(args.repeat):
            for c in contenders:  # interleaved: each repetition runs every contender once
                name, _, baseline = c.partition("@")
                env = dict(os.environ)
                if baseline:
                    env["PYTHONPATH"] = str(args.baseline.resolve())
                out = subprocess.run(
                    [sys.executable, __file__, "--child", name, "--data", str(data)],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                ).stdout
                results[c].append(json.loads(out.splitlines()[-1]))
        if args.dataset:
            report_dataset(contenders, results)
            return
        reference = results[contenders[0]][0]["figures"]
        anchor = min(r["wall"] for r in results.get("polars-hand", results[contenders[0]]))
        print(
            f"{'contender':<18} {'wall s':>14} {'CPU s':>14} {'peak RSS':>10} {'/ polars':>9}  same"
        )
        for c in contenders:
            runs = results[c]
            walls = [r["wall"] for r in runs]
            cpus = [r["cpu"] for r in runs]
            peak = max(r["peak"] for r in runs)
            same = all(r["figures"] == reference for r in runs)
            span = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}" if len(xs) > 1 else f"{xs[0]:.2f}"  # noqa: E731
            print(
                f"{c:<18} {span(walls):>14} {span(cpus):>14} {peak / 2**20:>8,.0f} MiB "
                f"{min(walls) / anchor:>8.2f}x  {'yes' if same else 'NO'}"
            )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not all(r["figures"] == reference for runs in results.values() for r in runs):
            raise SystemExit("the contenders disagree")


# -- the dataset-level twins (--dataset) ------------------------------------------------------

SUMMARIES = (
    "fundraising",
    "top-donors",
    "campaigns",
    "relief",
    "results",
    "reach",
    "boundary",
    "glance",
    "medical",
)
DATASET_CONTENDERS = tuple(
    c for s in SUMMARIES for c in (f"twin-{s}-duckdb", f"twin-{s}-polars", f"hand-{s}-polars")
)


def _write_partitioned(table: Any, out: Path, date_column: str | None, org: str | None) -> None:
    """Write ``table`` as ``year=/organization=/part-0.parquet``, as write_parquet_dataset does."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    n = table.num_rows
    years = np.full(n, -1) if date_column is None else pc.year(table[date_column]).to_numpy()
    orgs = np.full(n, "", dtype=object) if org is None else np.asarray(table[org].to_pylist())
    keys = np.char.add(years.astype(str), np.char.add("|", orgs.astype(str)))
    for key in np.unique(keys):
        year, name = str(key).split("|")
        folder = out
        if date_column is not None:
            folder = folder / f"year={year}"
        if org is not None:
            folder = folder / f"organization={name}"
        folder.mkdir(parents=True, exist_ok=True)
        rows = pa.array(np.flatnonzero(keys == key))
        pq.write_table(table.take(rows), folder / "part-0.parquet")


def generate_dataset(n: int, data: Path, seed: int = 2021) -> int:
    """Write the dataset of ``--dataset`` under ``data``, a folder per collection; bytes."""
    from datetime import date

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from humanaid import (
        Campaign,
        Dataset,
        Distribution,
        Household,
        Indicator,
        IndicatorValue,
        Money,
        Organization,
        Program,
        Project,
    )
    from humanaid.interop.arrow import arrow_schema
    from humanaid.interop.columnar import write_dataset_parquet
    from humanaid.periods import Period

    rng = np.random.default_rng(seed)
    gifts = data / "donations"
    generate(n, gifts)  # the donations of the fundraising benchmark, then numbered and named
    for f in sorted(gifts.rglob("*.parquet")):
        t = pq.read_table(f)
        ids = np.char.lstrip(np.asarray(t["id"].to_pylist(), dtype=str), "g").astype(np.int64)
        refs = np.where(ids % 5 == 0, np.char.add("T", ids.astype(str)), None)
        twice = ids % 1000 == 1  # the same payment entered again under its number
        refs = np.where(twice, np.char.add("T", (ids - 1).astype(str)), refs)
        campaign = np.where(ids % 7 < 5, np.char.add("c", (ids % 7).astype(str)), None)
        t = t.set_column(
            t.schema.get_field_index("transaction_ref"),
            "transaction_ref",
            pa.array(refs, pa.string()),
        )
        t = t.set_column(
            t.schema.get_field_index("campaign_id"), "campaign_id", pa.array(campaign, pa.string())
        )
        pq.write_table(t, f)
    homes = max(1, n // 20)
    k = max(1, n // 5)
    which = rng.integers(0, 10, k)
    days = rng.integers(16436, 18627, k).astype("datetime64[D]")  # 2015 .. 2020
    schema = arrow_schema(Distribution)
    cents = rng.integers(100, 100_000, k)
    columns = {
        "id": pa.array(np.char.add("dist", np.arange(k).astype(str))),
        "household_id": pa.array(np.char.add("h", rng.integers(0, homes, k).astype(str))),
        "on": pa.array(days, pa.date32()),
        "value.amount": pa.array(
            [Money.from_minor_units(int(c)).amount for c in cents], pa.decimal128(38, 4)
        ),
        "value.currency": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(k, np.int32)), pa.array(["CNY"])
        ),
        "round": pa.array(np.ones(k, np.int64)),
        "campaign_id": pa.array(
            np.where(which < 5, np.char.add("c", which.astype(str)), None), pa.string()
        ),
        "program_id": pa.array(
            np.where((which >= 5) & (which < 9), np.char.add("pg", (which % 2).astype(str)), None),
            pa.string(),
        ),
        "items": pa.array([[]] * k, schema.field("items").type),
    }
    table = pa.Table.from_arrays(
        [
            columns[f.name].cast(f.type) if f.name in columns else pa.nulls(k, f.type)
            for f in schema
        ],
        schema=schema,
    )
    _write_partitioned(table, data / "distributions", "on", None)
    v = max(1, n // 10)
    schema = arrow_schema(IndicatorValue)
    years = rng.integers(2015, 2021, v)
    starts = np.array([np.datetime64(f"{y}-01-01") for y in years]).astype("datetime64[D]")
    ends = np.array([np.datetime64(f"{y}-12-31") for y in years]).astype("datetime64[D]")
    period = pa.StructArray.from_arrays(
        [pa.array(starts, pa.date32()), pa.array(ends, pa.date32())], names=["start", "end"]
    )
    columns = {
        "id": pa.array(np.char.add("v", np.arange(v).astype(str))),
        "indicator_id": pa.array(np.char.add("i", rng.integers(0, 5, v).astype(str))),
        "period": period,
        "value": pa.array([int(x) for x in rng.integers(1, 1000, v)]).cast(pa.decimal128(38, 18)),
        "project_id": pa.array(np.char.add("pj", rng.integers(0, 100, v).astype(str))),
        "target": pa.array(rng.random(v) < 0.1),
    }
    table = pa.Table.from_arrays(
        [
            columns[f.name].cast(f.type) if f.name in columns else pa.nulls(v, f.type)
            for f in schema
        ],
        schema=schema,
    )
    _write_partitioned(table, data / "indicator_values", None, None)
    year = Period.year(2020)
    small = Dataset(
        organizations=[
            Organization(id=f"org-{i}", name=f"society {i}", level="county") for i in range(10)
        ],
        campaigns=[
            Campaign(
                id=f"c{i}",
                name=f"drive {i}",
                organizer_id="org-0",
                period=Period(date(2015, 1, 1), date(2020, 12, 31)),
                target=Money(1_000_000),
            )
            for i in range(5)
        ],
        programs=[
            Program(id=f"pg{i}", name=f"programme {i}", organization_id="org-0") for i in range(2)
        ],
        households=[Household(id=f"h{i}", members=1 + i % 6) for i in range(homes)],
        indicators=[Indicator(id=f"i{i}", name=f"indicator {i}", unit="persons") for i in range(5)],
        projects=[
            Project(
                id=f"pj{i}",
                name=f"project {i}",
                kind="other",
                organization_id=f"org-{i % 10}",
                period=year,
                budget=Money(10_000),
            )
            for i in range(100)
        ],
    )
    write_dataset_parquet(small, data, findings=False)
    write_medical(n, data, seed)
    return sum(f.stat().st_size for f in data.rglob("*.parquet"))


MEDICAL = "_medical"
"""The folder (under the dataset's) of ``medical_summary``'s own dataset.

A dataset of its own, so that the screenings and cases change no other summary's
figures (reach, the year at a glance and their hand queries count none); the leading
``_`` keeps the files out of the main dataset's collections.
"""


def write_medical(n: int, data: Path, seed: int = 2021) -> None:
    """The dataset of ``medical_summary`` under ``data / MEDICAL``: N/5 screenings, N/100 cases.

    The screenings (built column-wise) are of two programmes (``pg0``, ``pg1``), of 10%
    of the persons each twice on average, a fifth of them positive or referred, half
    of them naming one of ten projects (the rounds: batches 1 and 2); the cases
    (records, each with its history) go through referral, approval, treatment and
    payment, some stopping on the way (rejected, withdrawn, approved and not yet served,
    served and not yet paid), half of them naming a project. The persons themselves are
    not written: the summary counts them by id.
    """
    from datetime import date, timedelta

    import numpy as np
    import pyarrow as pa

    from humanaid import Case, Dataset, Money, Program, Project, Screening
    from humanaid.interop.arrow import arrow_schema, to_arrow
    from humanaid.interop.columnar import write_dataset_parquet
    from humanaid.periods import Period

    data = data / MEDICAL
    write_dataset_parquet(
        Dataset(
            programs=[
                Program(id=f"pg{i}", name=f"programme {i}", organization_id="org-0")
                for i in range(2)
            ],
            projects=[
                Project(
                    id=f"pj{i}",
                    name=f"round {1 + i % 2} at site {i}",
                    kind="other",
                    organization_id="org-0",
                    period=Period.year(2020),
                    budget=Money(10_000),
                    batch=1 + i % 2,
                )
                for i in range(10)
            ],
        ),
        data,
        findings=False,
    )

    rng = np.random.default_rng(seed + 1)
    k = max(1, n // 5)
    people = max(1, n // 10)
    schema = arrow_schema(Screening)
    outcome = rng.choice(["negative", "positive", "referred"], size=k, p=[0.8, 0.12, 0.08])
    project = rng.integers(0, 20, k)
    columns = {
        "id": pa.array(np.char.add("s", np.arange(k).astype(str))),
        "person_id": pa.array(np.char.add("p", rng.integers(0, people, k).astype(str))),
        "program_id": pa.array(np.char.add("pg", rng.integers(0, 2, k).astype(str))),
        "on": pa.array(rng.integers(16436, 18627, k).astype("datetime64[D]"), pa.date32()),
        "outcome": pa.array(outcome),
        "project_id": pa.array(
            np.where(project < 10, np.char.add("pj", project.astype(str)), None), pa.string()
        ),
    }
    table = pa.Table.from_arrays(
        [
            columns[f.name].cast(f.type) if f.name in columns else pa.nulls(k, f.type)
            for f in schema
        ],
        schema=schema,
    )
    _write_partitioned(table, data / "screenings", "on", None)
    cases = []
    start = date(2015, 1, 1)
    for i in range(max(1, n // 100)):
        opened = start + timedelta(days=int(rng.integers(0, 2150)))
        stage = int(rng.integers(0, 10))
        project_id = f"pj{i % 10}" if i % 2 else None
        c = Case.refer(
            id=f"mc{i}",
            kind="medical",
            person_id=f"p{int(rng.integers(0, people))}",
            program_id=f"pg{i % 2}",
            project_id=project_id,
            on=opened,
        ).advance("screened", on=opened + timedelta(days=2))
        c = c.advance("assessed", on=opened + timedelta(days=5))
        if stage == 0:
            cases.append(c.advance("rejected", on=opened + timedelta(days=9)))
            continue
        amount = Money.from_minor_units(int(rng.integers(100_000, 5_000_000)))
        c = c.advance("approved", on=opened + timedelta(days=9), approved=amount)
        if stage == 1:
            cases.append(c.advance("withdrawn", on=opened + timedelta(days=12)))
            continue
        if stage == 2:
            cases.append(c)
            continue
        c = c.advance("in_treatment", on=opened + timedelta(days=20))
        if stage >= 4:
            c = c.advance("served", on=opened + timedelta(days=40), paid=amount)
        cases.append(c)
    _write_partitioned(to_arrow(cases, Case), data / "cases", None, None)


def _rows_text(rows: Any) -> list[list[str]]:
    return sorted([str(x) for x in row] for row in rows)


def _twin(summary: str, ds: Any) -> list[list[str]]:
    from humanaid import (
        Boundary,
        boundary_totals,
        campaign_summary,
        fundraising_summary,
        medical_summary,
        reach,
        relief_summary,
        results_summary,
        top_donors,
        year_at_a_glance,
    )

    if summary == "fundraising":
        t = fundraising_summary(ds, by="channel", granularity="year")
        return _rows_text(
            (
                r["year"].start.year,
                r["channel"].value,
                _money(r["raised"].amount),
                _money(r["fees"].amount),
                r["gifts"],
                r["donors"],
            )
            for r in t
        )
    if summary == "top-donors":
        t = top_donors(ds, n=10)
        return _rows_text((r["rank"], _money(r["raised"].amount), r["gifts"]) for r in t)
    if summary == "campaigns":
        t = campaign_summary(ds)
        return _rows_text(
            (r["campaign"], _money(r["raised"].amount), r["gifts"], r["donors"]) for r in t
        )
    if summary == "relief":
        t = relief_summary(ds)
        return _rows_text(
            (
                r["drive"],
                r["handouts"],
                r["households"],
                r["persons"],
                r["person-times"],
                _money(r["value"].amount),
            )
            for r in t
        )
    if summary == "reach":
        got = reach(ds)
        return [[str(got.person_times), str(got.persons), str(got.households)]]
    if summary == "boundary":
        rows = []
        for org in BOUNDARY_ORGS:
            t = boundary_totals(ds, Boundary.organization(ds, org), 2020)
            rows.append([org, *(_money(m.amount) for m in (t.raised, t.put_in, t.other_out))])
        return sorted(rows)
    if summary == "glance":
        y = year_at_a_glance(ds, 2020, organization_id="org-0")
        money = [_money(m.amount) for m in (y.raised, y.put_in, y.brought_in)]
        seen = y.reach
        counts = [y.gifts, y.donors, y.projects_built, seen.person_times, seen.households]
        return [[*money, *map(str, counts)]]
    if summary == "medical":
        t = medical_summary(ds)
        return _rows_text(
            (
                r["programme"],
                "-" if r["round"] is None else r["round"],
                r["screened"],
                r["screened persons"],
                r["positive"],
                r["approved"],
                r["treated"],
                r["treated persons"],
                r["paid cases"],
                _money(r["paid"].amount),
            )
            for r in t
        )
    t = results_summary(ds)
    return _rows_text(
        (r["project"], r["indicator"], _number(r["achieved"]), _number(r["target"])) for r in t
    )


BOUNDARY_ORGS = ("org-0", "org-5")
"""The organisations whose 2020 boundary totals ``--dataset`` takes (org-0 runs the drives)."""


def _number(value: Any) -> str:
    return "-" if value is None else str(Decimal(value).normalize())


def _hand(summary: str, data: Path) -> list[list[str]]:
    """The summary written by hand in polars, as its guide writes queries: lazy, one collect."""
    import polars as pl

    def scan(name: str) -> Any:
        return pl.scan_parquet(str(data / name / "**" / "*.parquet"), hive_partitioning=False)

    if summary == "reach":  # each handout reaches its household's members
        homes = scan("households").select(pl.col("id").alias("household_id"), "members")
        reached = scan("distributions").select("household_id").join(homes, on="household_id")
        out = (
            reached.group_by("household_id")
            .agg(pl.len().alias("n"), pl.col("members").first())
            .select((pl.col("n") * pl.col("members")).sum(), pl.col("members").sum(), pl.len())
            .collect()
        )
        return [[str(x) for x in out.row(0)]]
    if summary == "boundary":  # gifts in 2020 (each payment once), their fees; handouts
        return _hand_boundary(pl, scan)
    if summary == "medical":
        return _hand_medical(pl, scan)
    if summary == "glance":
        return _hand_glance(pl, scan)
    if summary in ("fundraising", "top-donors", "campaigns"):
        gifts = scan("donations")
        ref = pl.col("transaction_ref")
        # a payment entered twice is booked once: the first by day, then id
        first = pl.col("id").sort_by(["received_on", "id"]).first().over("transaction_ref")
        booked = gifts.filter(ref.is_null() | (pl.col("id") == first))
        amount, fees = pl.col("value.amount"), pl.col("fees.amount")
        donors = pl.col("donor_id").drop_nulls().n_unique()
        if summary == "fundraising":
            out = (
                booked.group_by(pl.col("received_on").dt.year().alias("year"), pl.col("channel"))
                .agg(amount.sum(), fees.sum(), pl.len(), donors)
                .collect()
            )
            return _rows_text((y, c, _money(r), _money(f), n, d) for y, c, r, f, n, d in out.rows())
        if summary == "campaigns":
            out = (
                booked.filter(pl.col("campaign_id").is_not_null())
                .group_by("campaign_id")
                .agg(amount.sum(), pl.len(), donors)
                .collect()
            )
            return _rows_text((c, _money(r), n, d) for c, r, n, d in out.rows())
        out = (
            booked.filter(pl.col("donor_id").is_not_null())
            .group_by("donor_id")
            .agg(amount.sum().alias("raised"), pl.len().alias("gifts"))
            .sort(["raised", "donor_id"], descending=[True, False])
            .head(10)
            .collect()
        )
        return _rows_text((i, _money(r), n) for i, (_, r, n) in enumerate(out.rows(), start=1))
    if summary == "relief":
        homes = scan("households").select(pl.col("id").alias("household_id"), "members")
        handed = scan("distributions")
        drive = (
            pl.when(pl.col("campaign_id").is_not_null())
            .then(pl.lit("campaign:") + pl.col("campaign_id"))
            .when(pl.col("program_id").is_not_null())
            .then(
                pl.lit("program:")
                + pl.col("program_id")
                + pl.lit(":")
                + pl.col("on").dt.year().cast(pl.String)
            )
            .otherwise(None)
            .alias("drive")
        )
        per_home = (
            handed.group_by(drive, "household_id")
            .agg(pl.len().alias("n"), pl.col("value.amount").sum().alias("value"))
            .join(homes, on="household_id")
        )
        out = (
            per_home.group_by("drive")
            .agg(
                pl.col("n").sum().alias("handouts"),
                pl.len().alias("households"),
                pl.col("members").sum().alias("persons"),
                (pl.col("n") * pl.col("members")).sum().alias("times"),
                pl.col("value").sum(),
            )
            .collect()
        )
        return _rows_text((d, n, h, p, t, _money(v)) for d, n, h, p, t, v in out.rows())
    values = scan("indicator_values")
    out = (
        values.group_by("project_id", "indicator_id")
        .agg(
            pl.col("value").filter(~pl.col("target")).sum().alias("achieved"),
            pl.col("value").filter(~pl.col("target")).count().alias("a"),
            pl.col("value").filter(pl.col("target")).sum().alias("target"),
            pl.col("value").filter(pl.col("target")).count().alias("t"),
        )
        .collect()
    )
    return _rows_text(
        (p, i, _number(a) if na else "-", _number(t) if nt else "-")
        for p, i, a, na, t, nt in out.rows()
    )


def _hand_boundary(pl: Any, scan: Any) -> list[list[str]]:
    """Each of ``BOUNDARY_ORGS``' money raised, put in and paid out in 2020, by hand in polars.

    Raised: the gifts the organisation received in 2020, a payment entered twice once
    (the first by day, then id); other money out: their fees; put in: the 2020 handouts of
    the drives it runs (every campaign and programme of the generated data is org-0's).
    """
    year = pl.col("received_on").dt.year() == 2020
    gifts = scan("donations").filter(pl.col("organization_id").is_in(list(BOUNDARY_ORGS)) & year)
    ref = pl.col("transaction_ref")
    first = pl.col("id").sort_by(["received_on", "id"]).first().over("transaction_ref")
    booked = scan("donations").filter(ref.is_null() | (pl.col("id") == first))
    kept = gifts.join(booked.select("id"), on="id", how="semi")
    money = (
        kept.group_by("organization_id")
        .agg(pl.col("value.amount").sum(), pl.col("fees.amount").sum())
        .collect()
    )
    handed = (
        scan("distributions")
        .filter(
            (pl.col("on").dt.year() == 2020)
            & (pl.col("campaign_id").is_not_null() | pl.col("program_id").is_not_null())
        )
        .select(pl.col("value.amount").sum())
        .collect()
        .item()
    )
    got = {org: (raised, fees) for org, raised, fees in money.rows()}
    rows = []
    for org in BOUNDARY_ORGS:
        raised, fees = got.get(org, (0, 0))
        put_in = handed if org == "org-0" else 0
        rows.append([org, _money(raised), _money(put_in), _money(fees)])
    return sorted(rows)


def _hand_glance(pl: Any, scan: Any) -> list[list[str]]:
    """org-0's 2020 at a glance by hand: its boundary's money, gifts, donors, projects, reach.

    Raised and put in as :func:`_hand_boundary` (nothing is brought in: no other
    organisation gives to it); gifts and distinct donors of its booked 2020 gifts; the
    projects it owns begun in 2020; the 2020 handouts (every drive is its own, the others
    name none) and the households they reach, each counted with its members.
    """
    ref = pl.col("transaction_ref")
    first = pl.col("id").sort_by(["received_on", "id"]).first().over("transaction_ref")
    booked = scan("donations").filter(ref.is_null() | (pl.col("id") == first))
    gifts = booked.filter(
        (pl.col("organization_id") == "org-0") & (pl.col("received_on").dt.year() == 2020)
    )
    raised, n, donors = (
        gifts.select(
            pl.col("value.amount").sum(), pl.len(), pl.col("donor_id").drop_nulls().n_unique()
        )
        .collect()
        .row(0)
    )
    handed = scan("distributions").filter(pl.col("on").dt.year() == 2020)
    drives = pl.col("campaign_id").is_not_null() | pl.col("program_id").is_not_null()
    put_in = handed.filter(drives).select(pl.col("value.amount").sum()).collect().item()
    homes = scan("households").select(pl.col("id").alias("household_id"), "members")
    times, households = (
        handed.select("household_id")
        .join(homes, on="household_id")
        .select(pl.col("members").sum(), pl.col("household_id").n_unique())
        .collect()
        .row(0)
    )
    built = (
        scan("projects")
        .filter(
            (pl.col("organization_id") == "org-0")
            & (pl.col("period").struct.field("start").dt.year() == 2020)
        )
        .select(pl.len())
        .collect()
        .item()
    )
    counts = [n, donors, built, times, households]
    return [[_money(raised), _money(put_in), _money(0), *map(str, counts)]]


def _hand_medical(pl: Any, scan: Any) -> list[list[str]]:
    """``medical_summary`` by hand: each programme and round's funnel, from screening to pay.

    A record's round is its project's batch (joined; a record of no project is in the
    round ``None``). Screenings: how many,
    distinct persons, distinct persons found positive or referred. Cases of the
    programme: approved (the history reached ``approved``), treated (approved, and
    reached in treatment, being served or served), their distinct persons, and those
    paid (a positive paid amount) with the money.
    """
    batches = scan("projects").select(pl.col("id").alias("project_id"), pl.col("batch"))
    screened = (
        scan("screenings")
        .join(batches, on="project_id", how="left")
        .group_by("program_id", "batch")
        .agg(
            pl.len().alias("screened"),
            pl.col("person_id").n_unique().alias("persons"),
            pl.col("person_id")
            .filter(pl.col("outcome").is_in(["positive", "referred"]))
            .n_unique()
            .alias("positive"),
        )
    )
    statuses = pl.col("history").list.eval(pl.element().struct.field("status").cast(pl.String))
    served = ["in_treatment", "being_served", "served"]
    cases = (
        scan("cases")
        .filter((pl.col("kind") == "medical") & pl.col("program_id").is_not_null())
        .join(batches, on="project_id", how="left")
        .with_columns(
            statuses.list.contains("approved").alias("ok"),
            statuses.list.eval(pl.element().is_in(served)).list.any().alias("served"),
            (pl.col("paid.amount") > 0).fill_null(False).alias("was_paid"),
        )
        .group_by("program_id", "batch")
        .agg(
            pl.col("ok").sum().alias("approved"),
            (pl.col("ok") & pl.col("served")).sum().alias("treated"),
            pl.col("person_id").filter(pl.col("ok") & pl.col("served")).n_unique().alias("tp"),
            pl.col("was_paid").sum().alias("paid_cases"),
            pl.col("paid.amount").filter(pl.col("was_paid")).sum().alias("paid"),
        )
    )
    out = (
        screened.join(
            cases, on=["program_id", "batch"], how="full", coalesce=True, nulls_equal=True
        )
        .with_columns(pl.exclude("program_id", "batch", "paid").fill_null(0))
        .collect()
    )
    return _rows_text(
        (p, "-" if b is None else b, s, sp, pos, a, t, tp, pc, _money(paid or 0))
        for p, b, s, sp, pos, a, t, tp, pc, paid in out.select(
            "program_id",
            "batch",
            "screened",
            "persons",
            "positive",
            "approved",
            "treated",
            "tp",
            "paid_cases",
            "paid",
        ).rows()
    )


def run_dataset(contender: str, data: Path) -> list[list[str]]:
    """Run one contender of ``--dataset``; its figures, as text, sorted."""
    kind, rest = contender.split("-", 1)
    summary, engine = rest.rsplit("-", 1)
    data = data / MEDICAL if summary == "medical" else data
    if kind == "hand":
        return _hand(summary, data)
    from humanaid.interop.columnar import scan_dataset

    # the generated records resolve their references; no findings are computed for them
    # (the hand queries compute none either): validate() is measured by its own benchmark
    return _twin(summary, scan_dataset(data, engine=engine, findings=()))


def report_dataset(contenders: list[str], results: dict[str, list[dict[str, Any]]]) -> None:
    """Print each twin beside the hand-written polars query of its summary."""
    print(
        f"{'contender':<34} {'wall s':>12} {'CPU s':>12} {'peak RSS':>10} {'/ hand':>7} "
        f"{'CPU / hand':>10}  same"
    )
    agree = True
    for c in contenders:
        summary = c.split("-", 1)[1].rsplit("-", 1)[0]
        hand = results.get(f"hand-{summary}-polars")
        runs = results[c]
        walls = [r["wall"] for r in runs]
        cpus = [r["cpu"] for r in runs]
        same = hand is None or all(r["figures"] == hand[0]["figures"] for r in runs)
        agree = agree and same
        ratio = "" if hand is None else f"{min(walls) / min(r['wall'] for r in hand):.2f}x"
        cpu = "" if hand is None else f"{min(cpus) / min(r['cpu'] for r in hand):.2f}x"
        span = lambda xs: f"{min(xs):.2f}-{max(xs):.2f}" if len(xs) > 1 else f"{xs[0]:.2f}"  # noqa: E731
        peak = max(r["peak"] for r in runs)
        print(
            f"{c:<34} {span(walls):>12} {span(cpus):>12} {peak / 2**20:>8,.0f} MiB "
            f"{ratio:>7} {cpu:>10}  {'yes' if same else 'NO'}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not agree:
        raise SystemExit("the twins and the hand-written queries disagree")


if __name__ == "__main__":
    main()
