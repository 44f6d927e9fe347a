"""Test configuration: Hypothesis profiles and a guard against a run that tests nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# The state machines (the ledger's, a case's, a village fund's) take their examples and
# their steps per example from the profile: none hard-codes a stateful_step_count.
# "ci": deadline off (shared machines are noisy), dev's examples, the failing example's
# blob printed, no too-slow health check. (200 examples made the grown suite overrun CI's
# 20 minutes on 2 cores; the "long" profile below is where depth is bought.)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=50,
    stateful_step_count=30,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, max_examples=50, stateful_step_count=30)
# "long", outside CI (HYPOTHESIS_PROFILE=long): 5,000 examples of up to 30 steps, so each
# state machine runs at least 100,000 steps (more, shorter runs: a step's checks grow with
# the records made before it); benchmarks/stateful.py counts the steps and times them.
settings.register_profile(
    "long",
    deadline=None,
    max_examples=5000,
    stateful_step_count=30,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(params=[True, False], ids=["accelerated", "pure-python"])
def accelerator(request: pytest.FixtureRequest) -> Iterator[bool]:
    """Each test that asks runs once with the loading/dumping accelerator and once without."""
    from humanaid import _serialize_fast

    was = _serialize_fast.set_accelerator(request.param)
    try:
        yield request.param
    finally:
        _serialize_fast.set_accelerator(was)


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI"):
        # The same as passing --hypothesis-show-statistics: CI logs show examples per test.
        config.option.hypothesis_show_statistics = True


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    # Figures tests measured (tests/summaries.py): the hostile-input corpus, for one.
    from summaries import lines

    reports = [r for key in ("passed", "failed") for r in terminalreporter.stats.get(key, ())]
    shown = lines(r for r in reports if getattr(r, "when", "") == "call")
    if shown:
        terminalreporter.section("humanaid")
        for line in shown:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # pytest already exits 5 when nothing was collected; make deselection-to-zero fail too.
    if exitstatus == 0 and session.testscollected == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
