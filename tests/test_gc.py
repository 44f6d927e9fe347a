"""The garbage collector is paused only for the length of a bulk job, then restored."""

from __future__ import annotations

import gc
from datetime import date

import pytest

from humanaid import Dataset, Donation, Money, NoReceiptReason, count, tabulate
from humanaid._gc import paused


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
