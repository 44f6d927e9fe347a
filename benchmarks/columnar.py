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

    .venv/bin/python benchmarks/columnar.py --n 1000000
    .venv/bin/python benchmarks/columnar.py --n 100000000 --only duckdb,polars-hand
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
    wall, cpu = time.perf_counter(), time.process_time()
    figures = run(contender, data)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = peak_rss()
    print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak, "figures": figures}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, help="where the Parquet files go (kept)")
    parser.add_argument("--only", help="comma-separated contenders")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data)
        return
    contenders = args.only.split(",") if args.only else list(CONTENDERS)
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "gifts"
        data.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        size = generate(args.n, data) if not any(data.rglob("*.parquet")) else 0
        made = time.perf_counter() - began
        load = os.getloadavg()
        print(f"N = {args.n:,} donations in {len(list(data.rglob('*.parquet')))} Parquet files")
        if size:
            print(f"written in {made:.1f} s, {size / 2**20:,.1f} MiB")
        print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        results: dict[str, list[dict[str, Any]]] = {c: [] for c in contenders}
        for _ in range(args.repeat):
            for c in contenders:  # interleaved: each repetition runs every contender once
                out = subprocess.run(
                    [sys.executable, __file__, "--child", c, "--data", str(data)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                results[c].append(json.loads(out.splitlines()[-1]))
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


if __name__ == "__main__":
    main()
