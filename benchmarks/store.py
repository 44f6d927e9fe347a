"""Donations into a store (SQLite, or PostgreSQL) and back, beside JSON Lines, same records.

Writes N deterministic donations (``generate.py``: six years, 2015 to 2020) as JSON
Lines, then runs each job in a child process of its own, so that one job's memory is
not another's, and reports its CPU time (``time.process_time``: SQLite runs in the
process; PostgreSQL's server work is not in it, so its wall time is shown too), its wall
time, and its peak memory: the resident set's high-water mark above what the process held
when the job began (Linux ``VmHWM``, reset through ``/proc/self/clear_refs`` just before;
SQLite's page cache and every other allocation counted, not only Python's).

* **write**: the N records (loaded beforehand, not timed) to a JSON Lines file
  (``to_json``, a line each) / to a new store (``Store.add``: one transaction);
* **read**: the file into N records (``iter_json_lines``) / the store into N records
  (``Store.dataset``);
* **stream**: the total raised over every record, none kept (``iter_json_lines`` /
  ``Store.iter_records``): memory stays that of a batch, whatever N;
* **one year of six**: ``Store.dataset(period=2020)`` from the store of six years: the
  rows it returns beside the rows in the store, its time beside loading every year, and
  the database's plan for the query (a range of the ``received_on`` index, not a scan).

    python benchmarks/store.py --n 1000000
    python benchmarks/store.py --n 100000 --postgresql postgresql://user@host/db
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import generate

from humanaid import Dataset, Donation, Period, iter_json_lines, to_json
from humanaid.store import Store

YEAR = 2020
SQLITE = "SQLite"
POSTGRESQL = "PostgreSQL"


# -- measuring, in the child ---------------------------------------------------------------------


def _status(key: str) -> int:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
    except OSError:
        return False
    return True


def job(run: Callable[[], Any]) -> dict[str, Any]:
    """CPU seconds, wall seconds and peak bytes above the start of one call, and its result."""
    gc.collect()
    start_rss = _status("VmRSS")
    reset = _reset_peak()
    cpu, wall = time.process_time(), time.perf_counter()
    result = run()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    peak = _status("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"cpu": cpu, "wall": wall, "peak": max(0, peak - start_rss), "result": result}


def _store_url(data: Path, postgresql: str | None) -> str:
    return postgresql if postgresql else f"sqlite:///{data / 'donations.db'}"


def _empty_store(url: str, data: Path) -> None:
    """Remove the store the last write made (its file, or its tables)."""
    if url.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{data / 'donations.db'}{suffix}").unlink(missing_ok=True)
        return
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        names = [*Dataset.collection_types(), "humanaid_history", "humanaid_meta"]
        for name in names:
            conn.execute(sa.text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    engine.dispose()


def _plan(url: str) -> list[str]:
    """The database's plan for the one-year query (the same query the store sends)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    where = f"received_on BETWEEN '{YEAR}-01-01' AND '{YEAR}-12-31'"
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                sql = f"EXPLAIN QUERY PLAN SELECT * FROM donations WHERE {where} ORDER BY rowid"
                return [row[-1] for row in conn.exec_driver_sql(sql)]
            sql = (
                f"EXPLAIN (ANALYZE, COSTS OFF) SELECT * FROM donations WHERE {where} ORDER BY _seq"
            )
            return [row[0].strip() for row in conn.exec_driver_sql(sql)][:6]
    finally:
        engine.dispose()


def child(op: str, data: Path, postgresql: str | None) -> dict[str, Any]:
    """Run one job and return its figures (printed as JSON by the child process)."""
    path = data / "donations.jsonl"
    url = _store_url(data, postgresql)
    if op in ("write-jsonl", "write-store"):
        records = list(iter_json_lines(path, Donation))
        if op == "write-jsonl":
            out = data / "written.jsonl"

            def write_jsonl() -> int:
                with out.open("w", encoding="utf-8") as f:
                    for r in records:
                        f.write(to_json(r))
                        f.write("\n")
                return out.stat().st_size

            return job(write_jsonl)
        _empty_store(url, data)

        def write_store() -> int:
            with Store(url) as store:
                return store.add(records).added

        figures = job(write_store)
        if url.startswith("sqlite"):
            figures["size"] = sum(
                Path(f"{data / 'donations.db'}{s}").stat().st_size
                for s in ("", "-wal")
                if Path(f"{data / 'donations.db'}{s}").exists()
            )
        return figures
    if op == "read-jsonl":
        return job(lambda: len(list(iter_json_lines(path, Donation))))
    if op == "stream-jsonl":
        return job(
            lambda: str(sum((d.value.amount for d in iter_json_lines(path, Donation)), Decimal(0)))
        )
    with Store(url) as store:
        if op == "read-store":
            return job(lambda: len(store.dataset(collections=["donations"]).donations))
        if op == "stream-store":
            return job(
                lambda: str(
                    sum((d.value.amount for d in store.iter_records("donations")), Decimal(0))
                )
            )
        if op == "year-store":
            figures = job(
                lambda: len(
                    store.dataset(period=Period.year(YEAR), collections=["donations"]).donations
                )
            )
            figures["rows"] = store.count("donations")
            figures["plan"] = _plan(url)
            return figures
    raise ValueError(f"unknown job {op!r}")


def run_child(op: str, data: Path, postgresql: str | None) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", op, "--data", str(data)]
    if postgresql:
        cmd += ["--postgresql", postgresql]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    figures: dict[str, Any] = json.loads(out.splitlines()[-1])
    return figures


# -- the report ----------------------------------------------------------------------------------


def per(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:.1f} µs"


def mib(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.0f} MiB"


def row(label: str, *cells: str) -> str:
    return "  ".join([label.ljust(36), *(c.ljust(26) for c in cells)]).rstrip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="donations (default 100,000)")
    parser.add_argument("--seed", type=int, default=generate.SEED)
    parser.add_argument("--data", type=Path, help="directory for the files (default: temp)")
    parser.add_argument("--postgresql", help="also measure a PostgreSQL store at this URL")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data, args.postgresql)))
        return

    n: int = args.n
    tmp = tempfile.TemporaryDirectory(prefix="humanaid-store-bench-")
    data: Path = args.data or Path(tmp.name)
    start = time.perf_counter()
    paths = generate.write(data, n, args.seed)
    generated = time.perf_counter() - start
    jsonl_size = paths["donations"].stat().st_size
    years = f"{YEAR - 5} to {YEAR}"
    print(f"humanaid store benchmark: N = {n:,} donations, {years}; generated in {generated:.1f} s")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()}; SQLite {sqlite3.sqlite_version}"
    )
    print()

    stores = [(SQLITE, None)] + ([(POSTGRESQL, args.postgresql)] if args.postgresql else [])
    figures: dict[tuple[str, str], dict[str, Any]] = {}
    for op in ("write-jsonl", "read-jsonl", "stream-jsonl"):
        figures[("JSON Lines", op.split("-")[0])] = run_child(op, data, None)
    for name, url in stores:
        for op in ("write-store", "read-store", "stream-store", "year-store"):
            figures[(name, op.split("-")[0])] = run_child(op, data, url)

    kinds = ["JSON Lines", *(name for name, _ in stores)]
    print(row(f"N = {n:,}; per donation", *kinds))
    print(row("-" * 36, *("-" * 26 for _ in kinds)))

    def times(what: str) -> list[str]:
        cells = []
        for k in kinds:
            f = figures[(k, what)]
            cells.append(f"{per(f['cpu'], n)} CPU, {per(f['wall'], n)} wall")
        return cells

    print(row("write N records", *times("write")))
    print(row("read N records", *times("read")))
    print(row("stream N records (total raised)", *times("stream")))
    for what, label in (
        ("write", "peak memory writing"),
        ("read", "peak memory reading"),
        ("stream", "peak memory streaming"),
    ):
        print(row(label, *(mib(figures[(k, what)]["peak"]) for k in kinds)))
    sizes = [f"{jsonl_size / n:,.0f} B ({mib(jsonl_size)})"]
    for name, _ in stores:
        size = figures[(name, "write")].get("size")
        sizes.append(f"{size / n:,.0f} B ({mib(size)})" if size else "(on the server)")
    print(row("size on disk", *sizes))
    totals = {figures[(k, "stream")]["result"] for k in kinds}
    print(row("streamed totals agree", "yes" if len(totals) == 1 else f"NO: {sorted(totals)}"))
    print()

    print(f"One year of six: Store.dataset(period={YEAR})")
    for name, _ in stores:
        year = figures[(name, "year")]
        every = figures[(name, "read")]
        print(
            f"{name}: {year['result']:,} rows of {year['rows']:,} read "
            f"({year['result'] / year['rows']:.1%}); {year['cpu']:.2f} s CPU, {year['wall']:.2f} s "
            f"wall, against {every['cpu']:.2f} s CPU, {every['wall']:.2f} s wall for every year "
            f"({year['wall'] / every['wall']:.1%} of the time)"
        )
        for line in year["plan"]:
            print(f"  plan: {line}")


if __name__ == "__main__":
    main()
