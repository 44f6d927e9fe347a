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
* **JSON Lines -> Arrow**: ``read_json_lines`` (through the records) against
  ``read_json_lines_arrow`` (``pyarrow.json`` and column-wise checks), with
  ``pyarrow.json.read_json`` on the same file as the anchor: it parses, with types
  inferred, and checks nothing.

Every new result is checked equal to the old one. It is a benchmark, not a test:
``tests/test_benchmarks.py`` runs it at a small N so that it cannot rot.

    .venv/bin/python benchmarks/arrow.py --n 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate

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
        "JSON Lines -> Arrow, through records (old)": lambda: arrow.read_json_lines(path, Donation),
        "JSON Lines -> Arrow, column-wise": lambda: arrow.read_json_lines_arrow(path, Donation),
        "pyarrow.json.read_json (anchor)": lambda: pj.read_json(path),
    }


def check(results: dict[str, Any], records: list[Any]) -> None:
    """Every new result equals the old one."""
    to_old = results["records -> Arrow, record-wise (old)"]
    to_new = results["records -> Arrow, column-wise"]
    assert to_new.equals(to_old), "records -> Arrow differs"
    assert results["Arrow -> records, column-wise"] == records, "Arrow -> records differs"
    assert results["Arrow -> records, record-wise (old)"] == records
    json_old = _comparable(results["JSON Lines -> Arrow, through records (old)"])
    json_new = _comparable(results["JSON Lines -> Arrow, column-wise"])
    assert json_new.equals(json_old), "JSON Lines -> Arrow differs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="donations")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--data", type=Path, help="directory for the generated file")
    args = parser.parse_args()

    from humanaid import Donation, iter_json_lines

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.data or Path(scratch)
        path = out / "donations.jsonl"
        if not path.exists():
            generate.write(out, args.n)
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
    ratio = medians["JSON Lines -> Arrow, column-wise"] / medians["pyarrow.json.read_json (anchor)"]
    print(
        f"{'JSON Lines -> Arrow / pyarrow.json':44s}  {ratio:>16.2f}x  {'<= 2.00x':>20s}  "
        f"{'yes' if ratio <= 2 else 'NO'}"
    )
    for old, new in (
        ("records -> Arrow, record-wise (old)", "records -> Arrow, column-wise"),
        ("Arrow -> records, record-wise (old)", "Arrow -> records, column-wise"),
        ("JSON Lines -> Arrow, through records (old)", "JSON Lines -> Arrow, column-wise"),
    ):
        print(f"speed-up: {new}: {medians[old] / medians[new]:.1f}x the old path")


if __name__ == "__main__":
    main()
