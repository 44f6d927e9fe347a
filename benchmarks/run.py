"""humanaid against pydantic v2, msgspec, a hand-written loop and polars, in one run.

Writes N deterministic donations (and their donors, funds and flows) as JSON Lines
(``generate.py``), then measures, on the same data and the same machine, one after the
other:

Times are CPU seconds of this process (``time.process_time``), so that other work on a
shared machine does not skew one contender against another; polars, which runs threads,
is timed by the wall clock.

* **load**: JSON Lines -> objects, each line validated by the same rules (humanaid
  ``iter_json_lines`` with its accelerator and without it; pydantic tuned and lean;
  msgspec tuned and lean: ``rivals.py``), the file read line by line, with the input
  written as ``to_json`` writes it and with ordinary spacing; every contender in turn,
  ``--repeat`` times interleaved, with the collector in the same state for all
  (``--gc``); the untyped floor (msgspec's parser into dicts) beside them;
* **dump**: objects -> JSON text, one line per record, the same rounds;
* **dump to JSON Lines**: the same records as UTF-8 bytes, ``write_json_lines`` against
  tuned pydantic's lines joined and msgspec's ``encode_lines`` (printed with ``--speed-only``);
* **memory**: retained bytes per donation (the list of N objects) and the peak while
  loading, measured with ``tracemalloc`` (Python's allocators: the objects, their
  strings and decimals, and what the parsers allocate through Python);
* **aggregate**: the fundraising summary (raised, goods, fees, gifts, distinct donors by
  donor kind and channel) with the engine, with a hand-written dict loop over the same
  objects, and with polars over the same data (join with the donors, group, aggregate;
  the frame is built beforehand through Arrow and not timed);
* **arrow**: records -> Arrow table, back, and JSON Lines straight into Arrow;
* **stream**: the fundraising summary over ``iter_json_lines`` in a child process, its
  peak resident memory (``resource.getrusage``, whole process), extrapolated to ten
  million lines unless ``--stream-n`` asks for them.

Then it prints the figures side by side and each target of issue 9 as a ratio.

    python benchmarks/run.py --n 1000000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import generate

from humanaid import (
    Donation,
    DonationForm,
    Donor,
    Table,
    fundraising_summary,
    iter_json_lines,
    to_json,
)
from humanaid._serialize_fast import set_accelerator
from humanaid.table import Column, ColumnKind

CONTENDERS = (
    "humanaid",
    "humanaid, no accelerator",
    "pydantic tuned",
    "pydantic lean",
    "msgspec tuned",
    "msgspec lean",
    "untyped floor (msgspec to dicts)",
)
ROWS = (
    "retained memory per donation",
    "peak memory while loading, per donation",
    "fundraising aggregation",
    "records -> Arrow",
    "Arrow -> records",
    "JSON Lines -> Arrow",
    "streaming aggregation, peak RSS",
)
GOALS = (
    "load: humanaid / pydantic tuned",
    "load: humanaid / msgspec lean",
    "load, spaced: humanaid / pydantic tuned",
    "load, spaced: humanaid / msgspec lean",
    "dump: humanaid / pydantic tuned",
    "retained memory: humanaid / msgspec tuned",
    "peak memory loading: humanaid / msgspec tuned",
    "engine / hand-written loop",
    "engine per record",
    "streaming 10M lines, peak RSS",
)
TEN_MILLION = 10_000_000


# -- timing ------------------------------------------------------------------------------------


def timed(
    run: Callable[[], Any], *, paused: bool = True, clock: Callable[[], float] = time.process_time
) -> tuple[float, Any]:
    """Seconds one call takes (the collector paused unless told) and its result.

    The clock is the process's CPU time by default: on a shared machine other processes
    then do not inflate one contender more than another. Polars runs threads, so it is
    timed by the wall clock (``time.perf_counter``), which its threads only shorten.
    """
    gc.collect()
    was = gc.isenabled()
    if paused:
        gc.disable()
    try:
        start = clock()
        result = run()
        return clock() - start, result
    finally:
        if was:
            gc.enable()


def measured(run: Callable[[], Any]) -> tuple[float, float]:
    """Bytes kept by the result and peak bytes while ``run`` builds it (tracemalloc)."""
    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = run()
        current, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
        gc.enable()
    return current - base, peak - base


def lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        yield from f


# -- the contenders ----------------------------------------------------------------------------


def load_humanaid(path: Path) -> list[Donation]:
    return list(iter_json_lines(path, Donation))


def load_humanaid_python(path: Path) -> list[Donation]:
    """humanaid with its accelerator switched off: the pure-Python paths."""
    was = set_accelerator(False)
    try:
        return list(iter_json_lines(path, Donation))
    finally:
        set_accelerator(was)


def rival_loader(name: str) -> Callable[[Path], list[Any]]:
    from rivals import LOADERS

    load = LOADERS[name]

    def run(path: Path) -> list[Any]:
        return [load(line) for line in lines(path)]

    return run


def load_floor(path: Path) -> list[Any]:
    """The untyped floor: each line parsed into dicts by msgspec, nothing checked."""
    import msgspec

    decode = msgspec.json.Decoder().decode
    return [decode(line) for line in lines(path)]


LOADS: dict[str, Callable[[Path], list[Any]]] = {}


def contenders() -> dict[str, Callable[[Path], list[Any]]]:
    """Every loader, by the name its row carries (humanaid first)."""
    if not LOADS:
        LOADS["humanaid"] = load_humanaid
        LOADS["humanaid, no accelerator"] = load_humanaid_python
        for name in ("pydantic tuned", "pydantic lean", "msgspec tuned", "msgspec lean"):
            LOADS[name] = rival_loader(name)
        LOADS["untyped floor (msgspec to dicts)"] = load_floor
    return LOADS


def load_pydantic(path: Path) -> list[Any]:
    return rival_loader("pydantic tuned")(path)


def load_msgspec(path: Path) -> list[Any]:
    return rival_loader("msgspec tuned")(path)


def dump_humanaid(objs: list[Any]) -> list[str]:
    return [to_json(o) for o in objs]


def dump_humanaid_python(objs: list[Any]) -> list[str]:
    was = set_accelerator(False)
    try:
        return [to_json(o) for o in objs]
    finally:
        set_accelerator(was)


def dump_pydantic(objs: list[Any]) -> list[str]:
    return [o.model_dump_json() for o in objs]


def dump_msgspec(objs: list[Any]) -> list[bytes]:
    from rivals import MSGSPEC_ENCODER

    encode = MSGSPEC_ENCODER.encode
    return [encode(o) for o in objs]


# JSON Lines as UTF-8 bytes, each contender's own way (issue 19, seventh pass)


def lines_humanaid(objs: list[Any]) -> bytes:
    import io

    from humanaid import write_json_lines

    out = io.BytesIO()
    write_json_lines(objs, out)
    return out.getvalue()


def lines_pydantic(objs: list[Any]) -> bytes:
    return ("\n".join([o.model_dump_json() for o in objs]) + "\n").encode()


def lines_msgspec(objs: list[Any]) -> bytes:
    from rivals import MSGSPEC_ENCODER

    return MSGSPEC_ENCODER.encode_lines(objs)


def rounds(
    jobs: dict[str, Callable[[], Any]], repeat: int, paused: bool, keep: int
) -> tuple[dict[str, list[float]], dict[str, Any]]:
    """Each job ``repeat`` times, interleaved (a round runs every job once, in turn).

    Returns every job's times and the first ``keep`` items of its last result (each
    result is dropped before the next job runs, so that one contender's objects do not
    weigh on the next one's time or memory).
    """
    times: dict[str, list[float]] = {name: [] for name in jobs}
    last: dict[str, Any] = {}
    for r in range(repeat):
        for name, job in jobs.items():
            last.pop(name, None)
            t, result = timed(job, paused=paused)
            times[name].append(t)
            if r == repeat - 1:
                last[name] = result[:keep]
            del result
    return times, last


def hand_loop(donations: Iterable[Donation], kinds: dict[str, Any]) -> dict[Any, list[Any]]:
    """The fundraising summary written by hand: one dict, one pass."""
    groups: dict[Any, list[Any]] = {}
    zero = Decimal(0)
    in_kind = DonationForm.IN_KIND
    for d in donations:
        donor = d.donor_id
        key = (kinds.get(donor) if donor is not None else None, d.channel)
        g = groups.get(key)
        if g is None:
            g = groups[key] = [zero, zero, zero, 0, set()]
        amount = d.value._amount
        g[0] += amount
        if d.form is in_kind:
            g[1] += amount
        g[2] += d.fees._amount
        g[3] += 1
        if donor is not None:
            g[4].add(donor)
    return groups


def engine(donations: Iterable[Donation], donors: dict[str, Donor]) -> Table:
    return fundraising_summary(donations, by=("donor_kind", "channel"), donors=donors)


def polars_frames(donations: list[Donation], donors: list[Donor]) -> tuple[Any, Any]:
    import polars as pl

    from humanaid.interop.arrow import to_arrow

    gifts = pl.from_arrow(to_arrow(donations, Donation)).select(
        "donor_id", "channel", "form", "value.amount", "fees.amount"
    )
    people = pl.from_arrow(to_arrow(donors, Donor)).select(
        pl.col("id").alias("donor_id"), pl.col("kind").cast(pl.Utf8)
    )
    return gifts, people


def polars_summary(gifts: Any, people: Any) -> Any:
    import polars as pl

    return (
        gifts.join(people, on="donor_id", how="left")
        .group_by("kind", "channel")
        .agg(
            pl.col("value.amount").sum().alias("raised"),
            pl.col("value.amount").filter(pl.col("form") == "in_kind").sum().alias("in kind"),
            pl.col("fees.amount").sum().alias("fees"),
            pl.len().alias("gifts"),
            pl.col("donor_id").drop_nulls().n_unique().alias("donors"),
        )
    )


# -- streaming, in a child process ---------------------------------------------------------------


def peak_rss() -> int:
    """This process's peak resident memory in bytes (VmHWM; getrusage where there is none).

    Linux keeps ``ru_maxrss`` across fork and exec, so a child would report its parent's
    peak; ``VmHWM`` belongs to the process's own address space.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def stream_child(data: Path | None) -> None:
    """Run the summary over the stream and print gifts and peak RSS as JSON."""
    if data is None:  # only import humanaid: the floor every process starts from
        print(json.dumps({"gifts": 0, "peak_bytes": peak_rss()}))
        return
    donors = {d.id: d for d in iter_json_lines(data / "donors.jsonl", Donor)}
    table = engine(iter_json_lines(data / "donations.jsonl", Donation), donors)
    print(json.dumps({"gifts": sum(table.column("gifts")), "peak_bytes": peak_rss()}))


def stream(data: Path | None) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, __file__, "--stream-child", str(data) if data else "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, int] = json.loads(out.stdout)
    return figures


# -- printing ----------------------------------------------------------------------------------


def per(seconds: float, n: int) -> str:
    return f"{seconds / n * 1e6:.2f} µs"


def size(nbytes: float) -> str:
    return f"{nbytes:,.0f} B"


def mib(nbytes: float) -> str:
    return f"{nbytes / 2**20:,.0f} MiB"


def text_table(title: str, header: list[str], rows: list[list[str]]) -> Table:
    columns = [Column(h, ColumnKind.TEXT, key=(i == 0)) for i, h in enumerate(header)]
    return Table(columns=columns, rows=rows, title=title)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def spread(times: list[float], n: int) -> str:
    """The best and worst of the rounds, in µs a record."""
    lo, hi = min(times) / n * 1e6, max(times) / n * 1e6
    return f"{lo:.2f} µs" if len(times) == 1 else f"{lo:.2f}-{hi:.2f} µs"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


SPEED_HEADER = ["contender", "load, as to_json writes", "load, spaced", "dump"]
TARGETS_TITLE = "Targets (issues 9 and 19; best round each)"
LINES_TITLE = "Dump to JSON Lines as UTF-8 bytes, the same records, CPU µs a record"
LINES_HEADER = ["writer", "best-worst"]
TARGETS_HEADER = ["target", "measured", "goal", "met"]


def title(n: int, repeat: int, gc_state: str, keep: int) -> str:
    return (
        f"N = {n:,}: loading and dumping, CPU µs a record, best-worst of {repeat} "
        f"interleaved rounds, collector {gc_state} for all; dump: the first {keep:,} records"
    )


def speed_goals(
    best: dict[str, float], best_spaced: dict[str, float], best_dump: dict[str, float]
) -> list[list[str]]:
    """The loading and dumping targets of issue 19, from each contender's best round."""
    h, hs = best["humanaid"], best_spaced["humanaid"]
    pt, ml = best["pydantic tuned"], best["msgspec lean"]
    pts, mls = best_spaced["pydantic tuned"], best_spaced["msgspec lean"]
    hd, pd = best_dump["humanaid"], best_dump["pydantic tuned"]
    return [
        [GOALS[0], ratio(h, pt), "<= 0.50x", verdict(h <= 0.5 * pt)],
        [GOALS[1], ratio(h, ml), "<= 1.50x", verdict(h <= 1.5 * ml)],
        [GOALS[2], ratio(hs, pts), "<= 0.50x", verdict(hs <= 0.5 * pts)],
        [GOALS[3], ratio(hs, mls), "<= 1.50x", verdict(hs <= 1.5 * mls)],
        [GOALS[4], ratio(hd, pd), "<= 0.50x", verdict(hd <= 0.5 * pd)],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="donations (default 100,000)")
    parser.add_argument("--seed", type=int, default=generate.SEED)
    parser.add_argument("--data", type=Path, help="directory for the JSON Lines (default: temp)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--gc",
        choices=("paused", "running"),
        default="paused",
        help="the collector's state for every contender's load and dump (default paused)",
    )
    parser.add_argument(
        "--dump-n", type=int, default=200_000, help="records each contender dumps (default 200,000)"
    )
    parser.add_argument(
        "--memory-n", type=int, help="donations loaded under tracemalloc (default: all N)"
    )
    parser.add_argument(
        "--stream-n", type=int, help="lines for the streaming run (default: N, extrapolated)"
    )
    parser.add_argument(
        "--speed-only",
        action="store_true",
        help="only the loading and dumping rounds and their targets (no memory, engine, Arrow)",
    )
    parser.add_argument("--stream-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stream_child is not None:
        stream_child(None if args.stream_child == "-" else Path(args.stream_child))
        return

    n: int = args.n
    tmp = tempfile.TemporaryDirectory(prefix="humanaid-bench-")
    data: Path = args.data or Path(tmp.name)
    t_gen, paths = timed(lambda: generate.write(data, n, args.seed))
    path = paths["donations"]
    spaced = generate.write_spaced(path, data / "donations-spaced.jsonl")
    print(
        f"humanaid benchmark: N = {n:,} donations ({path.stat().st_size / n:.0f} bytes a line "
        f"as to_json writes it, {spaced.stat().st_size / n:.0f} spaced), "
        f"{generate.donor_count(n):,} donors; generated in {t_gen:.1f} s"
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {platform.system()}; load average {load_average()}"
    )

    # load and dump: every contender in turn, --repeat rounds, the collector alike for all
    paused = args.gc == "paused"
    keep = min(args.dump_n, n)
    loads = contenders()
    compact_jobs = {name: (lambda f=f: f(path)) for name, f in loads.items()}
    spaced_jobs = {name: (lambda f=f: f(spaced)) for name, f in loads.items()}
    t_load, loaded = rounds(compact_jobs, args.repeat, paused, keep)
    t_spaced, loaded_spaced = rounds(spaced_jobs, args.repeat, paused, keep)
    first = loaded["humanaid"]
    for name, objs in loaded.items():
        assert len(objs) == keep, name
        assert objs == loaded_spaced[name], f"{name}: the spaced lines load otherwise"
        if name.startswith("humanaid"):
            assert objs == first, name
        elif not name.startswith("untyped"):
            assert [o.value.amount for o in objs] == [h.value.amount for h in first], name
            assert [o.received_on for o in objs] == [h.received_on for h in first], name
    loaded_spaced = {}
    dump_jobs: dict[str, Callable[[], Any]] = {
        "humanaid": lambda: dump_humanaid(loaded["humanaid"]),
        "humanaid, no accelerator": lambda: dump_humanaid_python(loaded["humanaid"]),
        "pydantic tuned": lambda: dump_pydantic(loaded["pydantic tuned"]),
        "pydantic lean": lambda: dump_pydantic(loaded["pydantic lean"]),
        "msgspec tuned": lambda: dump_msgspec(loaded["msgspec tuned"]),
        "msgspec lean": lambda: dump_msgspec(loaded["msgspec lean"]),
    }
    t_dump, dumped = rounds(dump_jobs, args.repeat, paused, keep)
    assert dumped["humanaid"] == dumped["humanaid, no accelerator"]
    assert dumped["humanaid"][0] == dumped["pydantic tuned"][0]
    assert dumped["humanaid"][0] == dumped["msgspec tuned"][0].decode()
    line_jobs: dict[str, Callable[[], Any]] = {
        "humanaid, write_json_lines": lambda: lines_humanaid(loaded["humanaid"]),
        "pydantic tuned, model_dump_json joined": lambda: lines_pydantic(loaded["pydantic tuned"]),
        "msgspec tuned, encode_lines": lambda: lines_msgspec(loaded["msgspec tuned"]),
    }
    t_lines, lined = rounds(line_jobs, args.repeat, paused, keep)
    first_lines = {name: text.split(b"\n", 1)[0] for name, text in lined.items()}
    assert len(set(first_lines.values())) == 1, "the JSON Lines writers differ"
    lines_rows = [[name, spread(ts, keep)] for name, ts in t_lines.items()]
    dumped = loaded = lined = {}
    best = {name: min(ts) for name, ts in t_load.items()}
    best_spaced = {name: min(ts) for name, ts in t_spaced.items()}
    best_dump = {name: min(ts) for name, ts in t_dump.items()}
    dash = ""
    speed_rows = [
        [
            name,
            spread(t_load[name], n),
            spread(t_spaced[name], n),
            spread(t_dump[name], keep) if name in t_dump else dash,
        ]
        for name in loads
    ]

    if args.speed_only:
        print()
        print(text_table(title(n, args.repeat, args.gc, keep), SPEED_HEADER, speed_rows))
        print()
        print(text_table(LINES_TITLE, LINES_HEADER, lines_rows))
        print()
        print(text_table(TARGETS_TITLE, TARGETS_HEADER, speed_goals(best, best_spaced, best_dump)))
        print(f"load average at the end: {load_average()}")
        tmp.cleanup()
        return

    # memory
    m_n = min(args.memory_n or n, n)
    sample = generate.write(data / "memory", m_n, args.seed)["donations"]
    mem = {
        "humanaid": measured(lambda: load_humanaid(sample)),
        "pydantic": measured(lambda: load_pydantic(sample)),
        "msgspec": measured(lambda: load_msgspec(sample)),
    }

    # aggregate
    objs = load_humanaid(path)
    donors = list(iter_json_lines(paths["donors"], Donor))
    index = {d.id: d for d in donors}
    kinds = {d.id: d.kind for d in donors}
    a_e, table = timed(lambda: engine(objs, index))
    a_h, groups = timed(lambda: hand_loop(objs, kinds))
    frames = polars_frames(objs, donors)
    a_p, pl_table = timed(lambda: polars_summary(*frames), clock=time.perf_counter)
    assert sum(table.column("gifts")) == sum(g[3] for g in groups.values()) == n
    assert sum(r.amount for r in table.column("raised")) == sum(g[0] for g in groups.values())
    assert sum(pl_table["gifts"].to_list()) == n
    frames = pl_table = None

    # arrow
    from humanaid.interop.arrow import from_arrow, read_json_lines, to_arrow

    r_to, arrow_table = timed(lambda: to_arrow(objs, Donation))
    r_from, back = timed(lambda: from_arrow(arrow_table, Donation))
    assert back[:1000] == objs[:1000]
    back = arrow_table = None
    r_json, _ = timed(lambda: read_json_lines(path, Donation))
    objs = []

    # stream
    s_n = args.stream_n or n
    s_data = data if s_n == n else data / "stream"
    if s_n != n:
        generate.write(s_data, s_n, args.seed)
    base = stream(None)["peak_bytes"]
    s = stream(s_data)
    assert s["gifts"] == s_n
    grown = max(s["peak_bytes"] - base, 0)
    ten_m = base + grown * TEN_MILLION / s_n
    measured_10m = s_n >= TEN_MILLION

    print()
    print(text_table(title(n, args.repeat, args.gc, keep), SPEED_HEADER, speed_rows))

    rows = [
        [ROWS[0], size(mem["humanaid"][0] / m_n), size(mem["pydantic"][0] / m_n),
         size(mem["msgspec"][0] / m_n), dash, dash],
        [ROWS[1], size(mem["humanaid"][1] / m_n), size(mem["pydantic"][1] / m_n),
         size(mem["msgspec"][1] / m_n), dash, dash],
        [ROWS[2], per(a_e, n), dash, dash, per(a_h, n), per(a_p, n)],
        [ROWS[3], per(r_to, n), dash, dash, dash, dash],
        [ROWS[4], per(r_from, n), dash, dash, dash, dash],
        [ROWS[5], per(r_json, n), dash, dash, dash, dash],
        [ROWS[6], f"{mib(s['peak_bytes'])} for {s_n:,} lines", dash, dash, dash, dash],
    ]  # fmt: skip
    header = ["per record", "humanaid", "pydantic tuned", "msgspec tuned", "hand loop", "polars"]
    memory_note = f" (memory rows: {m_n:,} donations)" if m_n != n else ""
    print()
    print(text_table(f"N = {n:,}{memory_note}", header, rows))

    ten_label = f"{mib(ten_m)}" + ("" if measured_10m else f" (extrapolated from {s_n:,})")
    goals = [
        *speed_goals(best, best_spaced, best_dump),
        [GOALS[5], ratio(mem["humanaid"][0], mem["msgspec"][0]), "<= 1.10x",
         verdict(mem["humanaid"][0] <= 1.1 * mem["msgspec"][0])],
        [GOALS[6], ratio(mem["humanaid"][1], mem["msgspec"][1]), "<= 1.20x",
         verdict(mem["humanaid"][1] <= 1.2 * mem["msgspec"][1])],
        [GOALS[7], ratio(a_e, a_h), "<= 1.30x", verdict(a_e <= 1.3 * a_h)],
        [GOALS[8], per(a_e, n), "< 1 µs", verdict(a_e / n < 1e-6)],
        [GOALS[9], ten_label, "< 1024 MiB", verdict(ten_m < 2**30)],
    ]  # fmt: skip
    print()
    print(text_table(TARGETS_TITLE, TARGETS_HEADER, goals))
    print(
        f"\nstreaming: a process that only imports humanaid peaks at {mib(base)}; the "
        f"summary over {s_n:,} lines added {mib(grown)}"
    )
    print(f"load average at the end: {load_average()}")
    tmp.cleanup()


if __name__ == "__main__":
    main()
