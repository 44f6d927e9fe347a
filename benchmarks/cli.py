"""The ``humanaid`` command on N and 4N donations: streamed conversions stay flat in memory.

The donations are ``generate.py``'s. Each command runs as a user runs it
(``python -m humanaid ...``), in a child process of its own, and its peak resident memory
and CPU time are read from the operating system (``RUSAGE_CHILDREN`` of a fresh waiting
process, so each figure is the command's alone):

* ``convert donations.jsonl out.jsonl``, ``convert donations.jsonl out.csv`` and
  ``convert donations.jsonl society.db`` (an SQLite store, extra ``sql``): one collection
  streamed, a batch at a time; their memory should not grow with N;
* ``validate donations.jsonl``: the records held and every rule run over them; its
  memory grows with N (the dataset is whole by nature).

No figure is asserted: ``tests/test_cli.py`` runs this at a small N so it cannot rot.

    python benchmarks/cli.py --n 250000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import generate

COMMANDS = {
    "convert JSON Lines -> JSON Lines": ["convert", "donations.jsonl", "out-donations.jsonl"],
    "convert JSON Lines -> CSV": ["convert", "donations.jsonl", "out-donations.csv"],
    "convert JSON Lines -> store (SQLite)": ["convert", "donations.jsonl", "society.db"],
    "validate JSON Lines": ["validate", "donations.jsonl"],
}

_CHILD = """
import json, resource, subprocess, sys
args = json.loads(sys.argv[1])
done = subprocess.run([sys.executable, "-m", "humanaid", "--no-progress", *args],
                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": done.returncode, "stderr": done.stderr,
                  "peak_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime}))
"""


def measure(args: list[str], cwd: Path) -> dict[str, float]:
    """Run ``humanaid ARGS`` in a fresh process: its peak RSS (KB) and CPU seconds."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    if result["rc"] not in (0, 1):
        raise RuntimeError(f"humanaid {' '.join(args)} failed: {result['stderr']}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000, help="donations in the small run")
    args = parser.parse_args()
    sizes = (args.n, 4 * args.n)
    print(f"{'command':<38}{'N':>10}{'peak RSS':>12}{'CPU s':>9}{'µs/record':>11}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp)
            generate.write(data, n)
            for label, command in COMMANDS.items():
                r = measure(command, data)
                peak = r["peak_kb"] / 1024
                print(
                    f"{label:<38}{n:>10,}{peak:>9.1f} MB{r['cpu']:>9.2f}{r['cpu'] / n * 1e6:>11.1f}"
                )


if __name__ == "__main__":
    main()
