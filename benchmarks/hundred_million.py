"""A hundred million donations in partitioned Parquet, summarised in bounded memory.

Generates N donations (a hundred million by default) with ``generate_parquet.py``, or
reuses the files already in ``--data``, then runs each contender in a child process of
its own, so that its peak resident memory (``VmHWM``) is its own:

* ``twin-duckdb-summary``: ``fundraising_summary(scan(data, Donation), by="channel",
  granularity="year")``, the columnar twin on DuckDB (raised, goods, fees, gifts and
  distinct donors by year and channel);
* ``twin-dask-summary``: the same on Dask (one DuckDB task per run of files, the sets
  of donor ids merged); ``dask-by-year-summary``: Dask running the DuckDB twin one task a
  year (``examples/columnar_ten_million.py``: no two tasks share a row, nothing merged);
* ``duckdb-hand-summary`` and ``polars-hand-summary``: the same figures by a hand-written
  SQL statement over ``read_parquet`` and a hand-written polars lazy query run by the
  streaming engine; ``twin-duckdb-plain-summary``: the twin with DuckDB's own defaults
  (no ``duckdb_settings``);
* ``twin-duckdb-top``, ``duckdb-hand-top``, ``polars-hand-top``: the ten donors who gave
  most (``top_donors``), the same three ways;
* ``twin-duckdb-kind``, ``duckdb-hand-kind``: raised by donor kind, the twin given the
  donors as records (``donors=``), the hand query joining the donors' Parquet file.

The twin is given DuckDB settings for bounded memory: ``BOUNDED_MEMORY``'s (the
``memory_limit`` set by ``--duckdb-memory``, default ``2GB``) and a ``temp_directory``
beside the data, where DuckDB spills (see ``scan(..., duckdb_settings=)``). Each table
is checked equal to the others of its kind. While a contender runs, the load average of
the machine is read every two seconds (it is shared: the figures say how busy it was);
a contender whose memory passes ``--stop-at`` GiB is stopped and reported as such.
``--save`` writes every contender's figures and times as JSON. Results and what they
mean: ``benchmarks/README.md``, "One hundred million".

    .venv/bin/python benchmarks/hundred_million.py --data /tmp/gifts100m   # kept
    .venv/bin/python benchmarks/hundred_million.py --n 20000               # a temporary folder
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SUMMARY = (
    "twin-duckdb-summary",
    "duckdb-hand-summary",
    "polars-hand-summary",
    "twin-duckdb-plain-summary",
)
TOP = ("twin-duckdb-top", "duckdb-hand-top", "polars-hand-top")
KIND = ("twin-duckdb-kind", "duckdb-hand-kind")
DASK = ("twin-dask-summary", "dask-by-year-summary")
CONTENDERS = SUMMARY + TOP + DASK + KIND
"""Every contender, in the order they run; a group's first is the one checked against."""

DONORS_FILE = "donors.parquet"  # beside the donations' folder, not in it


def _money(value: Any) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def _glob(data: Path) -> str:
    return str(data / "**" / "*.parquet")


def _settings(memory: str, data: Path) -> dict[str, Any]:
    """The twin's DuckDB settings: BOUNDED_MEMORY's, and where it spills (beside the data)."""
    spill = data.parent / f"{data.name}-duckdb-spill"
    return {"memory_limit": memory, "preserve_insertion_order": False, "temp_directory": str(spill)}


def _summary(table: Any) -> list[list[str]]:
    return sorted(
        [
            str(r["year"].start.year),
            r["channel"].value,
            *(str(r[c].amount) for c in ("raised", "in kind", "fees")),
            str(r["gifts"]),
            str(r["donors"]),
        ]
        for r in table
    )


def run(contender: str, data: Path, memory: str) -> list[list[str]]:
    """Run one contender over the files under ``data``; its figures, as text."""
    donors_file = data.parent / f"{data.name}-{DONORS_FILE}"
    if contender.startswith("twin-"):
        from humanaid import Donation, fundraising_summary, top_donors
        from humanaid.interop.columnar import scan

        engine = contender.split("-")[1]
        bounded = None if "-plain-" in contender else _settings(memory, data)
        source = scan(data, Donation, engine=engine, duckdb_settings=bounded)
        if contender.endswith("-summary"):
            return _summary(fundraising_summary(source, by="channel", granularity="year"))
        if contender.endswith("-top"):
            table = top_donors(source, n=10)
            return [
                [r["donor"].removeprefix("donor "), str(r["raised"].amount), str(r["gifts"])]
                for r in table
            ]
        import pyarrow.parquet as pq

        from humanaid import Donor

        read = pq.read_table(donors_file)
        donors = [
            Donor(id=i, kind=k)
            for i, k in zip(
                read.column("id").to_pylist(), read.column("kind").to_pylist(), strict=True
            )
        ]
        del read
        table = fundraising_summary(source, by="donor_kind", donors=donors)
        return sorted(
            [
                "" if r["donor kind"] is None else r["donor kind"].value,
                *(str(r[c].amount) for c in ("raised", "in kind", "fees")),
                str(r["gifts"]),
                str(r["donors"]),
            ]
            for r in table
        )
    if contender == "dask-by-year-summary":
        sys.path.insert(0, str(HERE.parent / "examples"))
        from columnar_ten_million import summary_a_year_a_task

        return _summary(summary_a_year_a_task(data))
    if contender.startswith("duckdb-hand-"):
        import duckdb

        con = duckdb.connect(config={"preserve_insertion_order": False})
        files = f"read_parquet('{_glob(data)}', hive_partitioning = false)"
        if contender.endswith("-summary"):
            rows = con.sql(
                f"""
                SELECT year(received_on), channel, sum("value.amount"),
                       coalesce(sum("value.amount") FILTER (WHERE form = 'in_kind'), 0),
                       sum("fees.amount"), count(*), count(DISTINCT donor_id)
                FROM {files} GROUP BY ALL
                """
            ).fetchall()
            return sorted(
                [str(y), str(c), *map(_money, (r, g, f)), str(n), str(d)]
                for y, c, r, g, f, n, d in rows
            )
        if contender.endswith("-top"):
            rows = con.sql(
                f"""
                SELECT donor_id, sum("value.amount") AS raised, count(*)
                FROM {files} WHERE donor_id IS NOT NULL
                GROUP BY donor_id ORDER BY raised DESC, donor_id LIMIT 10
                """
            ).fetchall()
            return [[d, _money(r), str(n)] for d, r, n in rows]
        rows = con.sql(
            f"""
            SELECT coalesce(CAST(d.kind AS VARCHAR), ''), sum(g."value.amount"),
                   coalesce(sum(g."value.amount") FILTER (WHERE g.form = 'in_kind'), 0),
                   sum(g."fees.amount"), count(*), count(DISTINCT g.donor_id)
            FROM {files} AS g LEFT JOIN read_parquet('{donors_file}') AS d ON g.donor_id = d.id
            GROUP BY ALL
            """
        ).fetchall()
        return sorted([k, *map(_money, (r, g, f)), str(n), str(d)] for k, r, g, f, n, d in rows)
    if contender.startswith("polars-hand-"):
        import polars as pl

        frame = pl.scan_parquet(_glob(data), hive_partitioning=False)
        amount, fees = pl.col("value.amount"), pl.col("fees.amount")
        if contender.endswith("-summary"):
            out = (
                frame.group_by(
                    pl.col("received_on").dt.year().alias("year"), pl.col("channel").cast(pl.String)
                )
                .agg(
                    amount.sum(),
                    amount.filter(pl.col("form").cast(pl.String) == "in_kind").sum().alias("goods"),
                    fees.sum(),
                    pl.len(),
                    pl.col("donor_id").drop_nulls().n_unique(),
                )
                .collect(engine="streaming")
            )
            return sorted(
                [str(y), c, *map(_money, (r, g, f)), str(n), str(d)]
                for y, c, r, g, f, n, d in out.rows()
            )
        out = (
            frame.filter(pl.col("donor_id").is_not_null())
            .group_by("donor_id")
            .agg(amount.sum().alias("raised"), pl.len().alias("gifts"))
            .sort(["raised", "donor_id"], descending=[True, False])
            .head(10)
            .collect(engine="streaming")
        )
        return [[d, _money(r), str(n)] for d, r, n in out.rows()]
    raise ValueError(f"unknown contender {contender!r}")


def peak_rss() -> int:
    """This process's peak resident memory in bytes (``VmHWM``, reset at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(contender: str, data: Path, memory: str) -> None:
    """Run one contender and print its times, peak memory and figures as JSON."""
    wall, cpu = time.perf_counter(), time.process_time()
    figures = run(contender, data, memory)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak_rss(), "figures": figures}))


class LoadWatch:
    """The 1-minute load average, read every ``every`` seconds while it runs."""

    def __init__(self, every: float = 2.0) -> None:
        self.every = every
        self.seen: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while True:
            self.seen.append(os.getloadavg()[0])
            if self._stop.wait(self.every):
                return

    def __enter__(self) -> LoadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def __str__(self) -> str:
        s = self.seen
        return f"{min(s):.1f}-{max(s):.1f} (mean {sum(s) / len(s):.1f})"


def watched(command: list[str], cap: int) -> tuple[int, str, str, int]:
    """Run ``command``; its return code, output, errors, and its memory if stopped past ``cap``.

    The child's resident memory is read every tenth of a second, and the child killed if it
    passes ``cap``: the machine is shared, and a contender that does not keep to its memory
    has shown what it had to show.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        stopped = 0
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                rss = next(
                    int(ln.split()[1]) * 1024
                    for ln in status.read_text().splitlines()
                    if ln.startswith("VmRSS:")
                )
            except (OSError, StopIteration):
                rss = 0
            if rss > cap:
                stopped = rss
                proc.kill()
                proc.wait()
                break
            time.sleep(0.1)
        out.seek(0)
        err.seek(0)
        return proc.returncode, out.read(), err.read(), stopped


def machine() -> str:
    """The processor, its cores and the memory of this machine, in one line."""
    model = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor() or "?",
    )
    mem = next(
        int(ln.split()[1])
        for ln in Path("/proc/meminfo").read_text().splitlines()
        if ln.startswith("MemTotal:")
    )
    python = platform.python_version()
    return f"{model}, {os.cpu_count()} cores, {mem / 2**20:.1f} GiB, Python {python}"


def write_donors(path: Path, donors: int) -> None:
    """The donors' ids and kinds as one Parquet file (kinds in the generator's proportions)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from generate_parquet import donor_kinds

    numbers = np.arange(donors)
    ids = pa.array(numbers).cast(pa.string())
    ids = pa.compute.binary_join_element_wise("d", ids, "")
    pq.write_table(pa.table({"id": ids, "kind": donor_kinds(numbers)}), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000_000)
    parser.add_argument("--data", type=Path, help="the donations' folder (reused, and kept)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--donors", type=int, help="how many donors (default: N / 20)")
    parser.add_argument("--only", help="comma-separated contenders (default: all)")
    parser.add_argument("--duckdb-memory", default="2GB", help="the twin's DuckDB memory_limit")
    parser.add_argument(
        "--stop-at",
        type=float,
        default=8.0,
        help="stop a contender past this many GiB (shared machine)",
    )
    parser.add_argument("--save", type=Path, help="write every contender's result here (JSON)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data, args.duckdb_memory)
        return
    from generate_parquet import write

    cap = int(args.stop_at * 2**30)
    contenders = args.only.split(",") if args.only else list(CONTENDERS)
    unknown = set(contenders) - set(CONTENDERS)
    if unknown:
        raise SystemExit(f"unknown contenders: {', '.join(sorted(unknown))}")
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or Path(tmp) / "gifts"
        donors_file = data.parent / f"{data.name}-{DONORS_FILE}"
        if not data.exists() or not any(data.rglob("*.parquet")):
            with LoadWatch() as load:
                began, cpu = time.perf_counter(), time.process_time()
                write(args.n, data, seed=args.seed, donors=args.donors)
                made, cpu = time.perf_counter() - began, time.process_time() - cpu
            print(f"generated in {made:,.1f} s wall, {cpu:,.1f} s CPU, load average {load}")
        files = sorted(data.rglob("*.parquet"))
        import pyarrow.parquet as pq

        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        if not donors_file.exists():  # as many as the generator's donors
            write_donors(donors_file, args.donors or max(1, rows // 20))
        size = sum(f.stat().st_size for f in files)
        print(
            f"N = {rows:,} donations in {len(files)} Parquet files, "
            f"{size:,} bytes ({size / 2**30:.2f} GiB)"
        )
        print(f"the twin's DuckDB settings: {_settings(args.duckdb_memory, data)}")
        print(
            f"{'contender':<22} {'wall s':>9} {'CPU s':>9} {'peak RSS':>11}  "
            f"{'load average':<22} same"
        )
        results: dict[str, dict[str, Any]] = {}
        for c in contenders:
            command = [sys.executable, __file__, "--child", c, "--data", str(data)]
            with LoadWatch() as load:
                code, out, err, stopped = watched(
                    [*command, "--duckdb-memory", args.duckdb_memory], cap
                )
            if stopped:
                print(f"{c:<22} stopped: its memory passed {stopped / 2**30:.1f} GiB (--stop-at)")
                results[c] = {"failed": True}
                continue
            if code != 0:
                print(f"{c:<22} failed ({code}): {err.strip().splitlines()[-1:]}")
                results[c] = {"failed": True}
                continue
            r = results[c] = json.loads(out.splitlines()[-1])
            r["load"] = load.seen
            if args.save:
                args.save.write_text(json.dumps(results), encoding="utf-8")
            group = next(g for g in (SUMMARY + DASK, TOP, KIND) if c in g)
            reference = next(
                (results[g] for g in group if g in results and "figures" in results[g]), r
            )
            same = "yes" if r["figures"] == reference["figures"] else "NO"
            print(
                f"{c:<22} {r['wall']:>9.1f} {r['cpu']:>9.1f} {r['peak'] / 2**20:>7,.0f} MiB  "
                f"{load!s:<22} {same}",
                flush=True,
            )
        failed = [c for c, r in results.items() if "figures" not in r]
        differ = [c for c, r in results.items() if "figures" in r and _disagrees(c, r, results)]
        if failed or differ:
            raise SystemExit(f"failed: {failed}; disagree: {differ}")


def _disagrees(c: str, r: dict[str, Any], results: dict[str, dict[str, Any]]) -> bool:
    group = next(g for g in (SUMMARY + DASK, TOP, KIND) if c in g)
    others = [results[g]["figures"] for g in group if g in results and "figures" in results[g]]
    return any(o != r["figures"] for o in others)


if __name__ == "__main__":
    main()
