"""The garbage collector is paused only for the length of a bulk job, then restored."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from datetime import date

import pytest

from humanaid import Dataset, Donation, Finding, Money, NoReceiptReason, tabulate
from humanaid._gc import paused
from humanaid.aggregate import count


def _fail_while_paused() -> None:
    with paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")


def test_paused_restores_an_enabled_collector_even_after_an_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="boom"):
        _fail_while_paused()
    assert gc.isenabled()


def test_nested_pauses_enable_only_at_the_outermost_end() -> None:
    with paused():
        with paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_the_caller_disabled_stays_disabled() -> None:
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_bulk_jobs_leave_the_collector_as_they_found_it() -> None:
    gift = Donation(
        id="g1",
        organization_id="qj",
        received_on=date(2020, 1, 1),
        value=Money("10"),
        no_receipt_reason=NoReceiptReason.ANONYMOUS,
    )
    ds = Dataset(donations=(gift,))
    ds.validate()
    assert gc.isenabled()

    def broken(_: object) -> str:
        raise ValueError("a key that fails")

    with pytest.raises(ValueError, match="a key that fails"):
        tabulate([gift], by=broken, measures={"n": count()})
    assert gc.isenabled()


def test_a_stream_is_aggregated_with_the_collector_running() -> None:
    # A caller's generator may make garbage in cycles as it goes: memory must stay bounded.
    seen: list[bool] = []

    def stream() -> Iterator[int]:
        for i in range(3):
            seen.append(gc.isenabled())
            yield i

    tabulate(stream(), by=str, measures={"n": count()})
    assert seen == [True, True, True]


def test_records_in_memory_are_aggregated_with_the_collector_paused() -> None:
    seen: list[bool] = []

    def key(value: int) -> int:
        seen.append(gc.isenabled())
        return value

    tabulate([1, 2], by=key, measures={"n": count()})
    assert seen == [False, False]
    assert gc.isenabled()


def test_the_callers_rules_run_with_the_collector_running() -> None:
    seen: list[bool] = []

    def rule(_: Dataset) -> Iterator[Finding]:
        seen.append(gc.isenabled())
        return iter(())

    Dataset().validate([rule])
    assert seen == [True]


def test_overlapping_pauses_in_threads_end_with_the_collector_enabled() -> None:
    # thread A pauses, thread B pauses, A ends, B ends: only B's end may enable it again
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[bool] = []

    def a() -> None:
        with paused():
            a_in.set()
            b_in.wait()
        a_out.set()

    def b() -> None:
        a_in.wait()
        with paused():
            b_in.set()
            a_out.wait()
            seen.append(gc.isenabled())  # A has ended; B still holds its pause

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [False]
    assert gc.isenabled()
