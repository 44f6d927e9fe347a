"""The state machines of the tests at scale: steps run and time taken, per machine.

Runs the ledger's, a case's and a village fund's Hypothesis state machines (the ones in
``tests/test_funds.py``, ``tests/test_cases.py`` and ``tests/test_revolving.py``) with
the Hypothesis profile of ``tests/conftest.py`` named by ``HYPOTHESIS_PROFILE`` (here
``long`` by default: 5,000 examples of up to 30 steps each), and counts the steps each
one really ran (a counting invariant runs after every step) and the time it took.

    HYPOTHESIS_PROFILE=long python benchmarks/stateful.py
    python benchmarks/stateful.py --machine ledger   # one machine only

It is a benchmark, outside CI: the figures go in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"


def _machines() -> dict[str, Any]:
    os.environ.setdefault("HYPOTHESIS_PROFILE", "long")
    sys.path.insert(0, str(TESTS))
    import conftest  # noqa: F401 - registers and loads the profiles
    from test_cases import CaseWorkflow
    from test_funds import LedgerMachine
    from test_revolving import VillageFundMachine

    return {"ledger": LedgerMachine, "case": CaseWorkflow, "village fund": VillageFundMachine}


def _counted(machine: Any, counts: dict[str, int]) -> Any:
    from hypothesis.stateful import invariant

    class Counted(machine):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            counts["runs"] += 1

        @invariant()
        def count_the_step(self) -> None:
            counts["checks"] += 1  # after the set-up, then after every step

    Counted.__name__ = f"Counted{machine.__name__}"
    return Counted


def main() -> None:
    """Run each machine with the chosen profile and print steps and seconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machine", action="append", help="ledger, case or 'village fund'")
    args = parser.parse_args()
    machines = _machines()
    from hypothesis import settings
    from hypothesis.stateful import run_state_machine_as_test

    profile = os.environ["HYPOTHESIS_PROFILE"]
    chosen = args.machine or list(machines)
    s = settings()
    print(
        f"profile {profile!r}: {s.max_examples} examples, up to {s.stateful_step_count} steps "
        f"each; Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    print(f"{'machine':<14}{'runs':>8}{'steps':>10}{'seconds':>10}{'steps/s':>10}")
    for name in chosen:
        counts = {"runs": 0, "checks": 0}
        machine = _counted(machines[name], counts)
        start = time.perf_counter()
        run_state_machine_as_test(machine, settings=settings(deadline=None))
        took = time.perf_counter() - start
        steps = counts["checks"] - counts["runs"]
        print(f"{name:<14}{counts['runs']:>8,}{steps:>10,}{took:>10.1f}{steps / took:>10,.0f}")


if __name__ == "__main__":
    main()
