"""N donations through an Excel workbook and back, beside JSON Lines on the same records.

The donations are ``generate.py``'s (the same N and seed give the same records). Each
step runs in a child process of its own, so that its peak resident memory (``VmHWM``) is
its own:

* **JSON Lines, read**: ``iter_json_lines`` into a list (the records every other step
  starts from);
* **JSON Lines, write**: the records loaded, then ``to_json`` of each, one line each;
* **xlsx, write**: the records loaded, then :func:`humanaid.excel.write_workbook` of a
  dataset holding them (openpyxl's write-only mode, a sheet of N rows);
* **xlsx, read**: :func:`humanaid.excel.read_workbook` of that workbook, checked to give
  the very records of the JSON Lines, with no problem.

Times are CPU seconds of the child (``time.process_time``); the loading of the records a
write starts from is not timed, and its memory is shown apart ("records loaded").

    python benchmarks/excel.py --n 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import generate

from humanaid import Dataset, Donation, iter_json_lines, to_json
from humanaid.excel import read_workbook, write_workbook

STEPS = ("jsonl-read", "jsonl-write", "xlsx-write", "xlsx-read")
LABELS = {
    "jsonl-read": "JSON Lines -> records",
    "jsonl-write": "records -> JSON Lines",
    "xlsx-write": "records -> xlsx",
    "xlsx-read": "xlsx -> records",
}


def peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def rss() -> int:
    """This process's resident memory now, in bytes (VmRSS)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def child(step: str, data: Path) -> dict[str, Any]:
    """Run one step and return its figures."""
    source = data / "donations.jsonl"
    workbook = data / "donations.xlsx"
    out: dict[str, Any] = {"step": step}
    if step == "jsonl-read":
        start = time.process_time()
        records = list(iter_json_lines(source, Donation))
        out["seconds"] = time.process_time() - start
        out["peak"] = peak_rss()
        out["n"] = len(records)
        out["bytes"] = source.stat().st_size
        return out
    if step == "xlsx-read":
        start = time.process_time()
        read = read_workbook(workbook)
        out["seconds"] = time.process_time() - start
        out["peak"] = peak_rss()
        out["n"] = len(read.dataset.donations)
        out["problems"] = len(read.problems)
        out["bytes"] = workbook.stat().st_size
        # checked after the peak is taken: the records are those of the JSON Lines
        out["equal"] = read.dataset.donations == tuple(iter_json_lines(source, Donation))
        return out
    records = tuple(iter_json_lines(source, Donation))
    out["loaded"] = rss()
    out["n"] = len(records)
    if step == "jsonl-write":
        target = data / "again.jsonl"
        start = time.process_time()
        with target.open("w", encoding="utf-8") as f:
            for r in records:
                f.write(to_json(r))
                f.write("\n")
        out["seconds"] = time.process_time() - start
        out["bytes"] = target.stat().st_size
    else:
        dataset = Dataset(donations=records)
        start = time.process_time()
        write_workbook(dataset, workbook)
        out["seconds"] = time.process_time() - start
        out["bytes"] = workbook.stat().st_size
    out["peak"] = peak_rss()
    return out


def run(step: str, data: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, "--data", str(data)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="donations (default 100,000)")
    parser.add_argument("--seed", type=int, default=generate.SEED)
    parser.add_argument("--data", type=Path, help="directory for the files (default: temp)")
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.data)))
        return
    tmp = tempfile.TemporaryDirectory(prefix="humanaid-excel-bench-")
    data: Path = args.data or Path(tmp.name)
    n: int = args.n
    generate.write(data, n, args.seed)
    print(f"humanaid Excel benchmark: N = {n:,} donations")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}"
    )
    results = {step: run(step, data) for step in STEPS}
    read = results["xlsx-read"]
    if read["n"] != n or read["problems"] or not read["equal"]:
        raise SystemExit(f"the workbook did not give back the {n:,} records: {read}")
    print()
    header = ("step", "CPU", "per record", "peak RSS", "records loaded", "file")
    rows = []
    for step in STEPS:
        r = results[step]
        loaded = mib(r["loaded"]) if "loaded" in r else "-"
        rows.append(
            (
                LABELS[step],
                f"{r['seconds']:.1f} s",
                f"{r['seconds'] / max(n, 1) * 1e6:.1f} µs",
                mib(r["peak"]),
                loaded,
                f"{r['bytes'] / 2**20:,.1f} MB",
            )
        )
    widths = [max(len(str(x[i])) for x in (header, *rows)) for i in range(len(header))]
    for line in (header, tuple("-" * w for w in widths), *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    w, j = results["xlsx-write"]["seconds"], results["jsonl-write"]["seconds"]
    r_, jr = results["xlsx-read"]["seconds"], results["jsonl-read"]["seconds"]
    print()
    print(f"xlsx / JSON Lines: write {w / j:.1f}x, read {r_ / jr:.1f}x the CPU time")
    print(f"read back: {read['n']:,} records, equal to the JSON Lines' records, no problem")


if __name__ == "__main__":
    main()
