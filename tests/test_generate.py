"""The case studies' shared generator (examples/_generate.py)."""

from __future__ import annotations

import importlib
import random
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

from hypothesis import given
from hypothesis import strategies as st

from humanaid import Period

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _generate() -> ModuleType:
    sys.path.insert(0, str(EXAMPLES))
    try:
        return importlib.import_module("_generate")
    finally:
        sys.path.remove(str(EXAMPLES))


generate = _generate()


@given(st.integers(min_value=0, max_value=10**6))
def test_a_made_up_name_depends_on_its_count_alone(n: int) -> None:
    name = generate.made_up_name(n)
    assert name == generate.made_up_name(n)
    assert name in generate.NAMES
    assert len(name) == 3


def test_consecutive_made_up_names_differ() -> None:
    names = [generate.made_up_name(n) for n in range(1000)]
    assert len(set(names)) == len(names)


@given(st.integers(), st.dates(max_value=date(2999, 1, 1)), st.integers(0, 400))
def test_a_day_in_a_period_lies_in_it(seed: int, start: date, days: int) -> None:
    period = Period(start, date.fromordinal(start.toordinal() + days))
    day = generate.day_in(random.Random(seed), period)
    assert period.start <= day <= period.end
    assert day == generate.day_in(random.Random(seed), period)
