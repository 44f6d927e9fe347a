"""Arrow at columnar speed: records <-> Arrow and JSON Lines -> validated Arrow, old and new.

N generated donations (``benchmarks/generate.py``, as ``to_json`` writes them) are
loaded once as records (not timed); then, in interleaved repetitions (each contender
once per round, the garbage collector collected before each, CPU time of the whole
process, pyarrow's threads included):

* **records -> Arrow**: the record-wise encoder (each value checked and converted on
  its own: what ``to_arrow`` did before) against ``to_arrow`` (column-wise);
* **Arrow -> records**: the record-wise reader (each record built by its validated
  constructor) against ``from_arrow`` (columns checked with ``pyarrow.compute``, rows
  that pass built without checking them again);
* **Arrow -> ArrowRecords** (columns that stay columns): making the view (the table
  checked as ``from_arrow`` checks it, nothing kept), and making it and reading every
  record once into a list;
* **JSON Lines -> Arrow**: ``read_json_lines`` (through the records) against
  ``read_json_lines_arrow`` (``pyarrow.json`` and column-wise checks), with
  ``pyarrow.json.read_json`` on the same file as the anchor: it parses, with types
  inferred, and checks nothing.

* **JSON Lines -> Arrow in blocks**: ``read_json_lines_arrow(path, Donation,
  batch_size=65536)``, the same checks a block of lines at a time.

Then, in child processes of their own (interleaved, each once per round), the peak
memory (``VmHWM``) of reading the file whole, in blocks into one table, streamed through
``iter_json_lines_arrow`` and dropped, streamed into partitioned Parquet
(``write_parquet_dataset``), and of ``pyarrow.json.read_json``, against a process that
only imports them.

Every new result is checked equal to the old one. It is a benchmark, not a test:
``tests/test_benchmarks.py`` runs it at a small N so that it cannot rot.

    .venv/bin/python benchmarks/arrow.py --n 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate

BLOCK = 65536
"""Lines a block when streaming (the default ``batch_size``)."""

TARGETS = {
    "records -> Arrow": ("records -> Arrow, column-wise", 1.0),
    "Arrow -> records": ("Arrow -> records, column-wise", 1.0),
}


def _comparable(table: Any) -> Any:
    """A table whose dictionary columns are plain, so that equal data compares equal."""
    import pyarrow as pa

    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def contenders(path: Path, records: list[Any]) -> dict[str, Callable[[], Any]]:
    import pyarrow as pa
    import pyarrow.json as pj

    from humanaid import Donation, _gc
    from humanaid.interop import arrow

    plan = arrow._checked_plan(Donation)
    size = arrow.DEFAULT_BATCH_SIZE
    table = arrow.to_arrow(records, Donation)

    def to_old() -> Any:
        with _gc.paused():
            batches = [
                arrow._batch_by_record(pa, plan, records[i : i + size], i)
                for i in range(0, len(records), size)
            ]
        return pa.Table.from_batches(batches, schema=plan.schema)

    def from_old() -> Any:
        with _gc.paused():
            return arrow._rebuild(pa, plan, table, Donation)

    return {
        "records -> Arrow, record-wise (old)": to_old,
        "records -> Arrow, column-wise": lambda: arrow.to_arrow(records, Donation),
        "Arrow -> records, record-wise (old)": from_old,
        "Arrow -> records, column-wise": lambda: arrow.from_arrow(table, Donation),
        "Arrow -> ArrowRecords, the check": lambda: arrow.ArrowRecords(table, Donation),
        "Arrow -> ArrowRecords, checked and read once": lambda: list(
            arrow.ArrowRecords(table, Donation)
        ),
        "JSON Lines -> Arrow, through records (old)": lambda: arrow.read_json_lines(path, Donation),
        "JSON Lines -> Arrow, column-wise": lambda: arrow.read_json_lines_arrow(path, Donation),
        "JSON Lines -> Arrow, column-wise, in blocks": lambda: arrow.read_json_lines_arrow(
            path, Donation, batch_size=BLOCK
        ),
        "pyarrow.json.read_json (anchor)": lambda: pj.read_json(path),
    }


def check(results: dict[str, Any], records: list[Any]) -> None:
    """Every new result equals the old one."""
    to_old = results["records -> Arrow, record-wise (old)"]
    to_new = results["records -> Arrow, column-wise"]
    assert to_new.equals(to_old), "records -> Arrow differs"
    assert results["Arrow -> records, column-wise"] == records, "Arrow -> records differs"
    assert results["Arrow -> records, record-wise (old)"] == records
    assert len(results["Arrow -> ArrowRecords, the check"]) == len(records)
    assert results["Arrow -> ArrowRecords, checked and read once"] == records
    json_old = _comparable(results["JSON Lines -> Arrow, through records (old)"])
    json_new = _comparable(results["JSON Lines -> Arrow, column-wise"])
    assert json_new.equals(json_old), "JSON Lines -> Arrow differs"
    blocks = results["JSON Lines -> Arrow, column-wise, in blocks"]
    assert blocks.to_pylist() == results["JSON Lines -> Arrow, column-wise"].to_pylist()


MEMORY = {
    "import only": "nothing read: the baseline",
    "pyarrow.json.read_json": "the anchor: the whole file parsed, nothing checked",
    "whole": "read_json_lines_arrow(path): the file whole",
    "blocks, one table": f"read_json_lines_arrow(path, batch_size={BLOCK:,})",
    "streamed, dropped": f"iter_json_lines_arrow(path, batch_size={BLOCK:,}), batches dropped",
    "streamed to Parquet": "write_parquet_dataset(iter_json_lines_arrow(...)), year x org",
}


def peak_rss() -> int:
    """This process's peak resident memory, in bytes (``VmHWM``, reset at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(contender: str, path: Path) -> None:
    """Run one memory contender on ``path``; print its rows, times and peak as JSON."""
    import pyarrow.json as pj

    from humanaid import Donation
    from humanaid.interop import arrow, columnar

    wall, cpu = time.perf_counter(), time.process_time()
    rows = 0
    if contender == "pyarrow.json.read_json":
        rows = pj.read_json(path).num_rows
    elif contender == "whole":
        rows = arrow.read_json_lines_arrow(path, Donation).num_rows
    elif contender == "blocks, one table":
        rows = arrow.read_json_lines_arrow(path, Donation, batch_size=BLOCK).num_rows
    elif contender == "streamed, dropped":
        rows = sum(b.num_rows for b in arrow.iter_json_lines_arrow(path, Donation))
    elif contender == "streamed to Parquet":
        with tempfile.TemporaryDirectory() as out:
            batches = arrow.iter_json_lines_arrow(path, Donation, batch_size=BLOCK)
            files = columnar.write_parquet_dataset(batches, out, Donation, date_field="received_on")
            import pyarrow.parquet as pq

            rows = sum(pq.read_metadata(f).num_rows for f in files)
    elif contender != "import only":
        raise ValueError(f"unknown contender {contender!r}")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"rows": rows, "wall": wall, "cpu": cpu, "peak": peak_rss()}))


def memory(path: Path, n: int, repeat: int) -> list[str]:
    """The memory contenders, each in a child process, interleaved over ``repeat`` rounds."""
    results: dict[str, list[dict[str, Any]]] = {c: [] for c in MEMORY}
    for _ in range(repeat):
        for c in MEMORY:
            out = subprocess.run(
                [sys.executable, __file__, "--child", c, "--data", str(path)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[c].append(json.loads(out.splitlines()[-1]))
    base = max(r["peak"] for r in results["import only"])
    lines = [
        "",
        f"peak memory (VmHWM of a child process), {repeat} interleaved rounds",
        f"{'contender':24s}  {'peak RSS':>10s}  {'above import':>12s}  {'CPU s':>12s}  what",
    ]
    for c, what in MEMORY.items():
        runs = results[c]
        assert c == "import only" or all(r["rows"] == n for r in runs), (c, runs)
        peak = max(r["peak"] for r in runs)
        cpus = [r["cpu"] for r in runs]
        lines.append(
            f"{c:24s}  {peak / 2**20:>6,.0f} MiB  {(peak - base) / 2**20:>8,.0f} MiB  "
            f"{min(cpus):>5.2f}-{max(cpus):<5.2f}  {what}"
        )
    return lines


CONVERSIONS = (
    "to_arrow(records)",
    "pa.array floor",
    "from_arrow(table)",
    "to_pylist floor",
    "ArrowRecords(table)",
    "to_arrow(view)",
)
"""What ``--trees`` times in each tree's child process (the records loaded first)."""


def convert_child(path: Path, repeat: int) -> None:
    """Time the conversions of the tree on ``sys.path`` (best of ``repeat``); print JSON.

    The floors: ``pa.array`` over the columns already gathered as to_arrow hands them
    over (Python objects: the least records -> Arrow costs without typed buffers), and
    ``to_pylist`` of every column (the Python values, before any record is built).
    """
    import pyarrow as pa

    from humanaid import Donation, _gc, iter_json_lines
    from humanaid.interop import _arrow_fast, arrow

    records = list(iter_json_lines(path, Donation))
    plan = arrow._checked_plan(Donation)
    table = arrow.to_arrow(records, Donation)
    size = arrow.DEFAULT_BATCH_SIZE
    gathered = []
    for start in range(0, len(records), size):
        chunk, monies = records[start : start + size], {}  # type: ignore[var-annotated]
        for col, field in zip(plan.columns, plan.schema, strict=True):
            values = _arrow_fast._gather(pa, col, field.type, chunk, monies, len(chunk))
            gathered.append((values, field.type))

    def floor_to() -> Any:  # a column gathered as an Arrow array already is not counted
        return [pa.array(v, type=t) for v, t in gathered if not isinstance(v, pa.Array)]

    def floor_from() -> Any:
        return [c.to_pylist() for c in table.columns]

    view = arrow.ArrowRecords(table, Donation)
    runs: dict[str, Callable[[], Any]] = {
        "to_arrow(records)": lambda: arrow.to_arrow(records, Donation),
        "pa.array floor": floor_to,
        "from_arrow(table)": lambda: arrow.from_arrow(table, Donation),
        "to_pylist floor": floor_from,
        "ArrowRecords(table)": lambda: arrow.ArrowRecords(table, Donation),
        "to_arrow(view)": lambda: arrow.to_arrow(view, Donation),
    }
    best: dict[str, float] = {}
    for _ in range(repeat):
        for name, run in runs.items():
            gc.collect()
            with _gc.paused():
                started = time.process_time()
                got = run()
                spent = time.process_time() - started
            best[name] = min(best.get(name, spent), spent)
            del got
    assert arrow.to_arrow(view, Donation).equals(table)
    print(json.dumps({"n": len(records), "best": best}))


def trees(path: Path, sources: list[str], rounds: int) -> list[str]:
    """Each tree's ``src`` in a child process of its own, interleaved over ``rounds``."""
    got: dict[str, list[dict[str, Any]]] = {s: [] for s in sources}
    load = [os.getloadavg()[0]]
    for _ in range(rounds):
        for src in sources:
            env = {**os.environ, "PYTHONPATH": src}
            out = subprocess.run(
                [sys.executable, __file__, "--convert-child", "--data", str(path)],
                capture_output=True,
                text=True,
                check=True,
                env=env,
            ).stdout
            got[src].append(json.loads(out.splitlines()[-1]))
            load.append(os.getloadavg()[0])
    n = got[sources[0]][0]["n"]
    lines = [
        f"N = {n:,} donations, {rounds} interleaved rounds, each tree in its own child "
        f"process, best of 2 in each; load average {min(load):.2f}-{max(load):.2f}",
        f"{'conversion':22s}" + "".join(f"  {Path(s).parent.name[:22]:>22s}" for s in sources),
    ]
    for name in CONVERSIONS:
        cells = []
        for src in sources:
            each = sorted(r["best"].get(name, float("nan")) / n * 1e6 for r in got[src])
            cells.append(f"{statistics.median(each):.2f} ({each[0]:.2f}-{each[-1]:.2f})")
        lines.append(f"{name + ' µs':22s}" + "".join(f"  {c:>22s}" for c in cells))
    if len(sources) == 2:
        for name in CONVERSIONS:
            ratios = [
                b["best"][name] / a["best"][name]
                for a, b in zip(got[sources[0]], got[sources[1]], strict=True)
                if name in a["best"] and name in b["best"]
            ]
            if ratios:
                shown = ", ".join(f"{r:.2f}" for r in ratios)
                lines.append(f"new/old {name}: {shown} (per round)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="donations")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--data", type=Path, help="directory for the generated file")
    parser.add_argument("--memory-repeat", type=int, default=1, help="rounds of the children")
    parser.add_argument("--memory-only", action="store_true", help="only the peak memory")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--convert-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--trees",
        nargs="+",
        metavar="SRC",
        help="only the conversions, each of these src directories (old new) in a child",
    )
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data)
        return
    if args.convert_child:
        convert_child(args.data / "donations.jsonl", 2)
        return

    from humanaid import Donation, iter_json_lines

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.data or Path(scratch)
        path = out / "donations.jsonl"
        if not path.exists():
            generate.write(out, args.n)
        if args.trees:
            print("\n".join(trees(out, args.trees, args.repeat)))
            return
        if args.memory_only:
            n = sum(1 for _ in path.open("rb"))
            print("\n".join(memory(path, n, args.memory_repeat)))
            load = os.getloadavg()
            print(f"load average {load_before[0]:.2f} before, {load[0]:.2f} after")
            return
        records = list(iter_json_lines(path, Donation))
        n = len(records)
        runs = contenders(path, records)
        times: dict[str, list[float]] = {name: [] for name in runs}
        results: dict[str, Any] = {}
        for _ in range(args.repeat):
            for name, run in runs.items():
                results.pop(name, None)
                gc.collect()
                started = time.process_time()
                results[name] = run()
                times[name].append(time.process_time() - started)
            check(results, records)
            results.clear()
        memory_lines = memory(path, n, args.memory_repeat) if args.memory_repeat else []
    load_after = os.getloadavg()

    print(f"humanaid Arrow benchmark: N = {n:,} donations, {args.repeat} interleaved rounds")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print()
    print(f"{'contender':44s}  {'CPU s (min-max)':>17s}  {'µs a record (median)':>20s}")
    print(f"{'-' * 44}  {'-' * 17}  {'-' * 20}")
    medians: dict[str, float] = {}
    for name, spent in times.items():
        medians[name] = statistics.median(spent)
        shown = f"{min(spent):.2f}-{max(spent):.2f}"
        print(f"{name:44s}  {shown:>17s}  {medians[name] / n * 1e6:>20.2f}")
    print()
    print(f"{'target':44s}  {'measured':>17s}  {'goal':>20s}  met")
    for label, (name, goal) in TARGETS.items():
        each = medians[name] / n * 1e6
        print(
            f"{label + ' a record':44s}  {each:>14.2f} µs  {'<= ' + str(goal) + ' µs':>20s}  "
            f"{'yes' if each <= goal else 'NO'}"
        )
    for label, name in (
        ("JSON Lines -> Arrow / pyarrow.json", "JSON Lines -> Arrow, column-wise"),
        ("in blocks / pyarrow.json", "JSON Lines -> Arrow, column-wise, in blocks"),
    ):
        ratio = medians[name] / medians["pyarrow.json.read_json (anchor)"]
        print(f"{label:44s}  {ratio:>16.2f}x  {'<= 2.00x':>20s}  {'yes' if ratio <= 2 else 'NO'}")
    for old, new in (
        ("records -> Arrow, record-wise (old)", "records -> Arrow, column-wise"),
        ("Arrow -> records, record-wise (old)", "Arrow -> records, column-wise"),
        ("JSON Lines -> Arrow, through records (old)", "JSON Lines -> Arrow, column-wise"),
    ):
        print(f"speed-up: {new}: {medians[old] / medians[new]:.1f}x the old path")
    print("\n".join(memory_lines))


if __name__ == "__main__":
    main()
