"""The aggregation engine against the hand-written loop of ``run.py``, on objects in memory.

A micro benchmark for issue 9's engine targets (within 1.3x of the hand loop, under one
microsecond a record), quicker than the full ``run.py``: it builds N donations and their
donors from ``generate.py``'s deterministic data (no file, no JSON timing), then times,
in CPU seconds of this process with the cyclic garbage collector paused (as ``run.py``
does), ``fundraising_summary`` by donor kind and channel and the same hand loop as
``run.py``, alternating them ``--repeat`` times and keeping each one's best. It checks
that both give the same figures.

    python benchmarks/engine.py --n 200000
    python benchmarks/engine.py --n 200000 --profile   # cProfile of one engine run
    python benchmarks/engine.py --n 1000000 --diagnose # where the time of a record goes

``--diagnose`` times variants of the same query on the same records (what costs what at
this N): the records held in cache (the first 20,000 repeated to N), without the donor
lookup, without the distinct donors, and the donor lookups alone in a tight loop.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
from run import hand_loop  # the same loop as the full benchmark

from humanaid import Donation, DonationForm, Donor, Table, from_dict, fundraising_summary, tabulate
from humanaid.aggregate import count, distinct, field_is, lookup_key, total


def engine(donations: Iterable[Donation], donors: dict[str, Donor]) -> Table:
    """The same summary with the engine (as in ``run.py``)."""
    return fundraising_summary(donations, by=("donor_kind", "channel"), donors=donors)


def build(n: int) -> tuple[list[Donation], list[Donor]]:
    """N donations and their donors, built from ``generate.py``'s records."""
    gc.disable()
    try:
        donors = [from_dict(d, Donor) for d in generate.donors(n)]
        gifts = [from_dict(d, Donation) for d in generate.donations(n)]
    finally:
        gc.enable()
    return gifts, donors


def cpu(run: Callable[[], Any]) -> tuple[float, Any]:
    """CPU seconds of ``run()`` with the cyclic collector paused, and its result."""
    gc.collect()
    gc.disable()
    try:
        start = time.process_time()
        result = run()
        return time.process_time() - start, result
    finally:
        gc.enable()


def diagnose(gifts: list[Donation], index: dict[str, Donor], repeat: int) -> None:
    """Per-record CPU time of variants of the summary, to show where the time goes."""
    n = len(gifts)
    kinds = {key: d.kind for key, d in index.items()}
    measures: dict[str, Any] = {
        "raised": total("value", currency="CNY"),
        "in kind": total("value", currency="CNY", where=field_is("form", DonationForm.IN_KIND)),
        "fees": total("fees", currency="CNY"),
        "gifts": count(),
        "donors": distinct("donor_id"),
    }
    no_donors = {k: m for k, m in measures.items() if k != "donors"}
    by_kind = {"kind": lookup_key("donor_id", index, "kind"), "channel": "channel"}
    by_channel = {"channel": "channel"}
    cached = gifts[:20_000] * max(1, n // 20_000)
    ids = [g.donor_id or "" for g in gifts]  # an anonymous gift looks up "", a miss

    def lookups() -> None:
        list(map(kinds.get, ids))

    variants: list[tuple[str, Callable[[], Any]]] = [
        ("the summary (engine)", lambda: tabulate(gifts, by=by_kind, measures=measures)),
        ("the summary (hand loop)", lambda: hand_loop(gifts, kinds)),
        (
            f"the summary over {len(cached):,} records, 20,000 repeated (in cache)",
            lambda: tabulate(cached, by=by_kind, measures=measures),
        ),
        (
            "by donor kind and channel, no distinct donors",
            lambda: tabulate(gifts, by=by_kind, measures=no_donors),
        ),
        (
            "by channel (no donor lookup), distinct donors",
            lambda: tabulate(gifts, by=by_channel, measures=measures),
        ),
        (
            "by channel, no distinct donors",
            lambda: tabulate(gifts, by=by_channel, measures=no_donors),
        ),
        ("the donor-kind lookups alone, in a tight loop", lookups),
    ]
    best = dict.fromkeys((name for name, _ in variants), float("inf"))
    for _ in range(repeat):
        for name, run in variants:
            best[name] = min(best[name], cpu(run)[0])
    width = max(map(len, best))
    for name, seconds in best.items():
        m = len(cached) if "in cache" in name else n
        print(f"{name:{width}}  {seconds / m * 1e6:.3f} µs a record")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--diagnose", action="store_true")
    args = parser.parse_args()

    start = time.process_time()
    gifts, donors = build(args.n)
    index = {d.id: d for d in donors}
    kinds = {d.id: d.kind for d in donors}
    print(
        f"N = {args.n:,} donations, {len(donors):,} donors; built in "
        f"{time.process_time() - start:.1f} s"
    )

    if args.diagnose:
        diagnose(gifts, index, args.repeat)
        return

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.runcall(engine, gifts, index)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
        return

    best_e = best_h = float("inf")
    table: Table | None = None
    groups: dict[Any, list[Any]] = {}
    for _ in range(args.repeat):
        t_e, table = cpu(lambda: engine(gifts, index))
        t_h, groups = cpu(lambda: hand_loop(gifts, kinds))
        best_e, best_h = min(best_e, t_e), min(best_h, t_h)
    assert table is not None
    # the same figures, group by group
    for row in table:
        g = groups[(row["donor kind"], row["channel"])]
        assert row["raised"].amount == g[0]
        assert row["in kind"].amount == g[1]
        assert row["fees"].amount == g[2]
        assert (row["gifts"], row["donors"]) == (g[3], len(g[4]))
    assert len(table) == len(groups)

    us_e, us_h = best_e / args.n * 1e6, best_h / args.n * 1e6
    print(f"engine    {us_e:.3f} µs a record")
    print(f"hand loop {us_h:.3f} µs a record")
    print(f"ratio     {us_e / us_h:.2f}x (goal <= 1.30x; engine goal < 1 µs)")


if __name__ == "__main__":
    main()
