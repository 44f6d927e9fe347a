"""The projects' and village funds' books, old tree against new, each in its own process.

The columnar twins of :func:`humanaid.project_summary` and :func:`humanaid.revolving_summary`
(DuckDB and polars, the large collections as in-memory Arrow tables), the revolving
summary over the records (every fund's :func:`humanaid.portfolio_report`), and the
hand-written polars queries of ``ledger.py --books`` (the figures they share), over
``ledger.py``'s society of ``n`` gifts (per million: 500 projects with a village seed
fund each, 20,000 loans, half of them with a repayment).

Each tree (``--baseline SRC`` and this checkout's ``src``) runs in a child process of
its own that builds the dataset, then times every contender once (wall and CPU, from
after the imports, the collector run before each); the children alternate, old then
new, for ``--repeat`` rounds, and the load average is printed before each. A child
prints a digest of each contender's table: the two trees must agree on every one (the
same rows, order and money to the fen), and each contender's shared figures must equal
its hand query's. The first revolving contender in a child works out every loan's
schedule (kept on the loan), which the later ones find made.

Run::

    git archive <commit> src | tar -x -C /tmp/base
    python benchmarks/books.py --n 1000000 --repeat 2 --baseline /tmp/base/src

``tests/test_benchmark_books.py`` runs it at a small ``n`` so that it cannot rot. The
figures are in ``benchmarks/README.md`` ("Issue 19, fourth pass: the projects' and
village funds' books").
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CONTENDERS = (
    "revolving_summary, twin, DuckDB (first: schedules)",
    "revolving_summary, twin, polars",
    "revolving_summary, records",
    "revolving figures, polars by hand",
    "project_summary, twin, DuckDB",
    "project_summary, twin, polars",
    "project figures, polars by hand",
)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def child(n: int) -> None:
    """Build the society, time each contender once, print one JSON line per contender."""
    sys.path.insert(0, str(HERE))
    import duckdb  # noqa: F401  (imported before the clock, as an installed program has it)
    import ledger
    import polars  # noqa: F401  (before the clock; the hand queries in ledger.py use it)
    import pyarrow  # noqa: F401

    from humanaid import Dataset, project_summary, revolving_summary
    from humanaid.interop import columnar as _columnar  # noqa: F401

    ds = ledger.dataset(n)
    tables, loans = ledger.books_inputs(ds)
    as_of = date(2020, 12, 31)

    def columnar(engine: str) -> Dataset:
        return ledger.books_dataset(ds, tables, engine)

    def digest(t: Any) -> str:
        return hashlib.sha256(repr(t.to_rows()).encode()).hexdigest()[:16]

    runs: dict[str, Callable[[], tuple[str, list[tuple[str, ...]]]]] = {
        CONTENDERS[0]: lambda: _pair(revolving_summary(columnar("duckdb"), as_of=as_of)),
        CONTENDERS[1]: lambda: _pair(revolving_summary(columnar("polars"), as_of=as_of)),
        CONTENDERS[2]: lambda: _pair(revolving_summary(ledger.fresh(ds, {}), as_of=as_of)),
        CONTENDERS[3]: lambda: ("", ledger.hand_funds(loans, as_of)),
        CONTENDERS[4]: lambda: _pair(project_summary(columnar("duckdb")), projects=True),
        CONTENDERS[5]: lambda: _pair(project_summary(columnar("polars")), projects=True),
        CONTENDERS[6]: lambda: ("", ledger.hand_projects(tables, [p.id for p in ds.projects])),
    }

    def _pair(t: Any, projects: bool = False) -> tuple[str, list[tuple[str, ...]]]:
        return digest(t), (ledger.projects_of(t) if projects else ledger.funds_of(t))

    for name, run in runs.items():
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        table_digest, figures = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        shared = hashlib.sha256(repr(figures).encode()).hexdigest()[:16]
        print(json.dumps({"name": name, "wall": wall, "cpu": cpu, "table": table_digest,
                          "figures": shared}), flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="gifts (default 100,000)")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved rounds")
    parser.add_argument("--baseline", help="the src directory of the old tree (optional)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.n)
        return
    trees = [("new", str(HERE.parent / "src"))]
    if args.baseline:
        trees.insert(0, ("old", args.baseline))
    got: dict[tuple[str, str], list[dict[str, Any]]] = {}
    print(f"books benchmark, N = {args.n:,}; trees: {', '.join(t for t, _ in trees)}", flush=True)
    for k in range(args.repeat):
        for tree, src in trees:
            print(f"round {k + 1}, {tree}: load average {_load()}", flush=True)
            env = {**os.environ, "PYTHONPATH": src}
            out = subprocess.run(
                [sys.executable, __file__, "--child", "--n", str(args.n)],
                env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            for line in out.stdout.splitlines():
                r = json.loads(line)
                got.setdefault((tree, r["name"]), []).append(r)
                print(f"  {r['name']}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU", flush=True)
    print(f"load average after: {_load()}")
    header = f"{'contender':<52}{'tree':<5}{'wall s':>13}{'CPU s':>13}{'CPU / hand':>12}  same"
    print(header)
    problems = []
    for name in CONTENDERS:
        hand = CONTENDERS[3] if name.startswith("revolving") else CONTENDERS[6]
        for tree, _ in trees:
            runs = got[(tree, name)]
            hands = got[(tree, hand)]
            best_hand = min(r["cpu"] for r in hands)
            walls, cpus = [r["wall"] for r in runs], [r["cpu"] for r in runs]
            same = {r["figures"] for r in runs} == {r["figures"] for r in hands}
            tables = {r["table"] for tr, _ in trees for r in got[(tr, name)]}
            if not same or len(tables) > 1:
                problems.append(name)
            ratio = min(cpus) / best_hand if best_hand else float("inf")
            print(f"{name:<52}{tree:<5}{min(walls):>6.2f}-{max(walls):<6.2f}"
                  f"{min(cpus):>6.2f}-{max(cpus):<6.2f}{ratio:>11.1f}x  "
                  f"{'yes' if same and len(tables) == 1 else 'NO'}")  # fmt: skip
    if problems:
        raise SystemExit(f"the contenders disagree: {', '.join(problems)}")


if __name__ == "__main__":
    main()
