"""What building a record costs: ``Donation(...)``, ``from_dict``, JSON Lines, Qujing.

Record construction is the floor under every loading target of issue 19: each line
loaded ends in a record built and checked, and the Qujing case study builds 1.12
million of them through their constructors. This times, in CPU microseconds a record
(``time.process_time``, the collector paused), on N generated donations (``generate.py``):

* ``Donation(...)``: the constructor with every field given, as ``Dataset`` code builds;
* ``from_dict``: the same records from the dicts ``to_dict`` gives;
* JSON Lines load with the accelerator (the ``fast`` extra) and without it
  (``iter_json_lines``, lines as ``to_json`` writes them);
* with ``--qujing``, the Qujing case study's building step (``qujing_data.build``), in
  seconds.

Each measurement runs in a child process, one per source tree and round, the trees in
turn (interleaved), so that two versions of the library are timed side by side on a
shared machine; ``--tree`` names another ``src`` directory to set beside this one
(a checkout of the commit before a change, say):

    python benchmarks/construct.py --n 100000 --repeat 3
    python benchmarks/construct.py --tree /tmp/base/src --n 100000 --qujing

It is a benchmark: ``tests/test_benchmarks.py`` runs it at a tiny size so it cannot rot,
and checks no figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
QUJING = HERE.parent / "examples" / "qujing"

STEPS = ("Donation(...)", "from_dict", "load, accelerator", "load, no accelerator")


INNER = 3  # each step is run this many times in a child; its best time is kept


def _cpu(run: Any) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(INNER):
        del result
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            result = run()
            best = min(best, time.process_time() - start)
        finally:
            gc.enable()
    return best, result


def child(path: Path, qujing: bool) -> dict[str, float]:
    """One round of every step in this process: CPU seconds each."""
    import attrs

    from humanaid import Donation, from_dict, iter_json_lines, to_dict
    from humanaid._serialize_fast import accelerator_available, set_accelerator

    out: dict[str, float] = {}
    records = list(iter_json_lines(path, Donation))
    names = [a.name for a in attrs.fields(Donation)]
    kwargs = [{k: getattr(r, k) for k in names} for r in records]
    dicts = [to_dict(r) for r in records]
    del records
    out["Donation(...)"], built = _cpu(lambda: [Donation(**kw) for kw in kwargs])
    del built
    out["from_dict"], built = _cpu(lambda: [from_dict(d, Donation) for d in dicts])
    del built
    if accelerator_available():
        out["load, accelerator"], built = _cpu(lambda: list(iter_json_lines(path, Donation)))
        del built
    was = set_accelerator(False)
    try:
        out["load, no accelerator"], built = _cpu(lambda: list(iter_json_lines(path, Donation)))
        del built
    finally:
        set_accelerator(was)
    if qujing:
        sys.path.insert(0, str(QUJING))
        from qujing_data import build

        start = time.process_time()  # once: it takes seconds
        gc.disable()
        built = build()
        out["Qujing build"] = time.process_time() - start
        gc.enable()
        del built
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="donations (default 100,000)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--tree", type=Path, action="append", default=[], help="another src directory to time"
    )
    parser.add_argument("--qujing", action="store_true", help="also time the Qujing build")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.qujing)))
        return

    sys.path.insert(0, str(HERE))
    import generate

    trees = [SRC, *(t.resolve() for t in args.tree)]
    with tempfile.TemporaryDirectory(prefix="humanaid-construct-") as tmp:
        path = generate.write(Path(tmp), args.n)["donations"]
        print(f"N = {args.n:,} donations; load average {_load()}")
        times: dict[Path, dict[str, list[float]]] = {t: {} for t in trees}
        for _ in range(args.repeat):
            for tree in trees:
                env = dict(os.environ, PYTHONPATH=str(tree))
                cmd = [sys.executable, __file__, "--child", str(path)]
                if args.qujing:
                    cmd.append("--qujing")
                got = json.loads(
                    subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
                )
                for step, seconds in got.items():
                    times[tree].setdefault(step, []).append(seconds)
        print(f"load average at the end {_load()}")
        print("CPU µs a record (Qujing: s), best-worst of the rounds, collector paused")
        header = ["step", *(str(t) for t in trees)]
        rows = []
        for step in (*STEPS, "Qujing build"):
            if step not in times[trees[0]]:
                continue
            row = [step]
            for tree in trees:
                ts = times[tree].get(step, [])
                scale = 1 if step == "Qujing build" else 1e6 / args.n
                unit = " s" if step == "Qujing build" else " µs"
                row.append(f"{min(ts) * scale:.2f}-{max(ts) * scale:.2f}{unit}" if ts else "-")
            if len(trees) > 1 and times[trees[1]].get(step):
                row.append(f"{min(times[trees[0]][step]) / min(times[trees[1]][step]):.2f}x")
            rows.append(row)
        if len(trees) > 1:
            header.append("this / other (best)")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for r in [header, *rows]:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip())


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
