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
    "revolving figures and schedules, polars by hand",
)
FAIR = CONTENDERS[7]
"""The fairer revolving hand query: also repaid, outstanding, open loans and in arrears."""


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
    fair_loans, fair_repaid = _fair_inputs(ds)

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
        FAIR: lambda: ("", hand_funds_fair(fair_loans, fair_repaid, as_of)),
    }
    fair: dict[str, list[tuple[str, ...]]] = {}

    def _pair(t: Any, projects: bool = False) -> tuple[str, list[tuple[str, ...]]]:
        if not projects:
            fair[digest(t)] = funds_fair_of(t)
        return digest(t), (ledger.projects_of(t) if projects else ledger.funds_of(t))

    for name, run in runs.items():
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        table_digest, figures = run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        shared = hashlib.sha256(repr(figures).encode()).hexdigest()[:16]
        more = fair.get(table_digest, figures if name == FAIR else [])
        wider = hashlib.sha256(repr(more).encode()).hexdigest()[:16]
        print(json.dumps({"name": name, "wall": wall, "cpu": cpu, "table": table_digest,
                          "figures": shared, "fair": wider}), flush=True)  # fmt: skip


def _fair_inputs(ds: Any) -> tuple[Any, Any]:
    """The loans' and repayments' Arrow tables the fairer hand query reads (before the clock)."""
    from humanaid.interop.arrow import to_arrow

    kinds = ds.collection_types()
    loans = to_arrow(list(ds.loans), kinds["loans"]).select(
        ["id", "fund_id", "household_id", "principal.amount", "disbursed_on"]
    )
    repaid = to_arrow(list(ds.repayments), kinds["repayments"]).select(
        ["loan_id", "amount.amount", "paid_on"]
    )
    return loans, repaid


def hand_funds_fair(loans: Any, repayments: Any, as_of: date) -> list[tuple[str, ...]]:
    """revolving_summary's loan figures by a hand polars query, schedules included.

    Per fund: loans, lent, households, principal repaid, outstanding, open loans and
    loans in arrears at the end of ``as_of``, for this dataset's terms alone (``ledger.py``'s
    seed funds: interest-free, no fee or late fee, 12 months, quarterly: four instalments
    due 3, 6, 9 and 12 months after the loan, the odd fen on the first ones; no
    write-off, reschedule or transaction number entered twice). A repayment pays
    principal up to what the loan owes (the rest is credit); a loan is in arrears when
    what fell due before ``as_of`` exceeds what was paid by then.
    """
    import polars as pl

    paid = (
        pl.from_arrow(repayments).lazy()  # type: ignore[union-attr]
        .filter(pl.col("paid_on") <= as_of)
        .group_by("loan_id")
        .agg((pl.col("amount.amount") * 100).cast(pl.Int64).sum().alias("paid"))
    )  # fmt: skip
    cents = (pl.col("principal.amount") * 100).cast(pl.Int64)
    day = pl.col("disbursed_on")
    due_before = pl.sum_horizontal(
        [(day.dt.offset_by(f"{3 * k}mo") < as_of).cast(pl.Int64) for k in range(1, 5)]
    )  # how many instalments fell due before the day
    q, r = pl.col("p") // 4, pl.col("p") % 4
    loans = (
        pl.from_arrow(loans).lazy()  # type: ignore[union-attr]
        .filter(day <= as_of)
        .with_columns(cents.alias("p"), due_before.alias("m"))
        .join(paid, left_on="id", right_on="loan_id", how="left")
        .with_columns(pl.col("paid").fill_null(0))
        .with_columns(pl.min_horizontal("paid", "p").alias("repaid"))
        .with_columns(
            (pl.col("p") - pl.col("repaid")).alias("out"),
            (q * pl.col("m") + pl.min_horizontal("m", r)).alias("fell_due"),
        )
    )  # fmt: skip
    open_ = pl.col("out") > 0
    got = (
        loans.group_by("fund_id")
        .agg(
            pl.len().alias("n"), pl.col("p").sum().alias("lent"),
            pl.col("household_id").n_unique().alias("homes"),
            pl.col("repaid").sum(), pl.col("out").sum(), open_.sum().alias("open"),
            (open_ & (pl.col("fell_due") > pl.col("paid"))).sum().alias("late"),
        )
        .collect()
    )  # fmt: skip
    return sorted(
        (f, str(n), _fen(lent), str(h), _fen(rep), _fen(out), str(o), str(late))
        for f, n, lent, h, rep, out, o, late in got.rows()
    )


def _fen(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


def funds_fair_of(t: Any) -> list[tuple[str, ...]]:
    """A revolving table's figures as the fairer hand query gives them."""
    return sorted(
        (r["fund"], str(r["loans"]), f"{r['lent'].amount:.2f}", str(r["households"]),
         f"{r['repaid'].amount:.2f}", f"{r['outstanding'].amount:.2f}", str(r["open loans"]),
         str(r["in arrears"]))
        for r in t
    )  # fmt: skip


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
            same = name == FAIR or {r["figures"] for r in runs} == {r["figures"] for r in hands}
            fair_ratio = ""
            if name.startswith("revolving_summary"):
                fairs = got[(tree, FAIR)]
                same = same and {r["fair"] for r in runs} == {r["fair"] for r in fairs}
                best_fair = min(r["cpu"] for r in fairs)
                fair_ratio = f"{'':<57}{min(cpus) / best_fair:>24.1f}x the fairer hand query"
            tables = {r["table"] for tr, _ in trees for r in got[(tr, name)]}
            if not same or len(tables) > 1:
                problems.append(name)
            ratio = min(cpus) / best_hand if best_hand else float("inf")
            print(f"{name:<52}{tree:<5}{min(walls):>6.2f}-{max(walls):<6.2f}"
                  f"{min(cpus):>6.2f}-{max(cpus):<6.2f}{ratio:>11.1f}x  "
                  f"{'yes' if same and len(tables) == 1 else 'NO'}")  # fmt: skip
            if fair_ratio:
                print(fair_ratio)
    if problems:
        raise SystemExit(f"the contenders disagree: {', '.join(problems)}")


if __name__ == "__main__":
    main()
