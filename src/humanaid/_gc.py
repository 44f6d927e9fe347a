"""Pausing the cyclic garbage collector while a bulk job allocates.

CPython's cyclic collector runs after every few hundred allocations and, now and then,
walks every tracked object. With a million records alive, that walk is what a bulk job
spends half its time on (deriving a ledger's flows from 348,634 gifts took 2.8 s of CPU
with the collector running and 1.4 s without). The records the library builds form no
reference cycles, so reference counting frees them without the collector; pausing it
for the length of a bulk job loses nothing.

It is paused only around the library's own work on records already in memory: never
while a caller's generator is consumed (a stream may make garbage in cycles as it goes,
and memory must stay bounded) nor while a caller's rules run.

What each pause buys, with the benchmark's data (``benchmarks/generate.py``: 200,000
donations and their donors in memory), in CPU time a record, best of 3, the caller's
collector running, with the library's pauses and then with them made no-ops (measured
on 2 shared cores in December 2026; at a million records the heap the collector walks
is five times larger)::

    job                                                 paused    not paused
    iter_json_lines from a path (each batch)            10.3 µs   11.4 µs
    interop.arrow.from_arrow                            14.2 µs   18.3 µs
    interop.arrow.read_json_lines                       14.6 µs   17.9 µs
    interop.arrow.to_arrow                               5.4 µs    5.8 µs
    tabulate, by donor and day (~200,000 groups)        18.7 µs   22.3 µs
    tabulate, the fundraising summary (28 groups)        1.21 µs   1.20 µs

A query with few groups allocates little and gains nothing; one with many groups, and
every bulk conversion of records, takes 7 % (to_arrow) to 22 % (from_arrow) less time.
``benchmarks/README.md`` has the whole-run figure at a million lines: loading takes
8.3 µs a line with the caller's collector paused too, 12.5 µs with it running.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0  # pauses in progress, in every thread
_was_enabled = False  # the collector's state when the first of them began


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block; restore its state after.

    Pauses may nest and may run in several threads at once: the collector is disabled
    when the first begins and restored (if it was enabled then) when the last ends, so
    no thread's pause can leave it disabled for good.

    >>> import gc
    >>> with paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
