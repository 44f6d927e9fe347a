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
    import polars as pl
    import pyarrow  # noqa: F401

    from humanaid import Dataset, project_summary, revolving_summary
    from humanaid.interop import columnar as _columnar  # noqa: F401
    from humanaid.interop.arrow import to_arrow
    from humanaid.interop.columnar import scan

    ds = ledger.dataset(n)
    large = ("donations", "flows", "distributions", "cases", "persons", "households")
    kinds = ds.collection_types()
    tables = {name: to_arrow(list(ds.records(name)), kinds[name]) for name in large}
    loans = to_arrow(list(ds.loans), kinds["loans"]).select(
        ["fund_id", "household_id", "principal.amount", "disbursed_on"]
    )
    as_of = date(2020, 12, 31)

    def columnar(engine: str) -> Dataset:
        out = Dataset(
            **{
                name: scan(tables[name], kinds[name], engine=engine) if name in tables else recs
                for name, recs in ds
            }
        )
        out.derived("summaries:errors", lambda _: {})  # no findings (the hand query has none)
        return out

    def digest(t: Any) -> str:
        return hashlib.sha256(repr(t.to_rows()).encode()).hexdigest()[:16]

    def projects_of(t: Any) -> list[tuple[str, ...]]:
        return sorted((r["project"], f"{r['received'].amount:.2f}", f"{r['spent'].amount:.2f}")
                      for r in t)  # fmt: skip

    def funds_of(t: Any) -> list[tuple[str, ...]]:
        return sorted((r["fund"], str(r["loans"]), f"{r['lent'].amount:.2f}",
                       str(r["households"])) for r in t)  # fmt: skip

    def hand_projects() -> list[tuple[str, ...]]:
        flows = pl.from_arrow(
            tables["flows"].select(["source", "destination", "kind", "amount.amount"])
        )
        flows = flows.lazy().select(  # type: ignore[union-attr]
            pl.col("source").struct.field("kind").cast(pl.String).alias("sk"),
            pl.col("source").struct.field("id").alias("si"),
            pl.col("destination").struct.field("kind").cast(pl.String).alias("dk"),
            pl.col("destination").struct.field("id").alias("di"),
            pl.col("kind").cast(pl.String),
            pl.col("amount.amount").alias("v"),
        )
        into = (
            flows.filter((pl.col("dk") == "project") & (pl.col("kind") != "refund"))
            .group_by(pl.col("di").alias("p"))
            .agg(pl.col("v").sum().alias("received"))
        )
        out_of = flows.filter(pl.col("sk") == "project").select(pl.col("si").alias("p"), "v")
        paid = pl.col("fund_id").is_null() & pl.col("project_id").is_not_null()
        handed = (
            pl.from_arrow(tables["distributions"]).lazy().filter(paid)  # type: ignore[union-attr]
            .select(pl.col("project_id").alias("p"), pl.col("value.amount").alias("v"))
        )  # fmt: skip
        cases = (
            pl.from_arrow(tables["cases"]).lazy()  # type: ignore[union-attr]
            .filter(paid & (pl.col("paid.amount") > 0))
            .select(pl.col("project_id").alias("p"), pl.col("paid.amount").alias("v"))
        )  # fmt: skip
        spent = (
            pl.concat([out_of, handed, cases]).group_by("p").agg(pl.col("v").sum().alias("spent"))
        )
        ids = pl.LazyFrame({"p": [p.id for p in ds.projects]})
        got = (
            ids.join(into, on="p", how="left").join(spent, on="p", how="left")
            .fill_null(0).collect()
        )  # fmt: skip
        return sorted((p, f"{r:.2f}", f"{s:.2f}") for p, r, s in got.rows())

    def hand_funds() -> list[tuple[str, ...]]:
        lent = (
            pl.from_arrow(loans).lazy()  # type: ignore[union-attr]
            .filter(pl.col("disbursed_on") <= as_of)
            .group_by("fund_id")
            .agg(pl.len().alias("n"), pl.col("principal.amount").sum().alias("lent"),
                 pl.col("household_id").n_unique().alias("homes"))
            .collect()
        )  # fmt: skip
        return sorted((f, str(k), f"{v:.2f}", str(h)) for f, k, v, h in lent.rows())

    runs: dict[str, Callable[[], tuple[str, list[tuple[str, ...]]]]] = {
        CONTENDERS[0]: lambda: _pair(revolving_summary(columnar("duckdb"), as_of=as_of)),
        CONTENDERS[1]: lambda: _pair(revolving_summary(columnar("polars"), as_of=as_of)),
        CONTENDERS[2]: lambda: _pair(revolving_summary(ledger.fresh(ds, {}), as_of=as_of)),
        CONTENDERS[3]: lambda: ("", hand_funds()),
        CONTENDERS[4]: lambda: _pair(project_summary(columnar("duckdb")), projects=True),
        CONTENDERS[5]: lambda: _pair(project_summary(columnar("polars")), projects=True),
        CONTENDERS[6]: lambda: ("", hand_projects()),
    }

    def _pair(t: Any, projects: bool = False) -> tuple[str, list[tuple[str, ...]]]:
        return digest(t), (projects_of(t) if projects else funds_of(t))

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
