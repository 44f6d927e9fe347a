"""The case studies' shared generator (examples/_generate.py)."""

from __future__ import annotations

import importlib
import re
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import Money

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _generate() -> ModuleType:
    sys.path.insert(0, str(EXAMPLES))
    try:
        return importlib.import_module("_generate")
    finally:
        sys.path.remove(str(EXAMPLES))


allocated = _generate().allocated

_totals = st.builds(
    Money.from_minor_units,
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["CNY", "JPY", "KWD"]),
)


@given(
    _totals,
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=300).filter(any),
)
def test_allocated_parts_are_money_allocates_parts(total: Money, weights: list[int]) -> None:
    assert allocated(total, weights) == list(total.allocate(weights))


@given(_totals, st.integers(min_value=1, max_value=40), st.integers(min_value=1, max_value=4000))
def test_allocated_parts_of_many_equal_weights_are_money_allocates_parts(
    total: Money, weight: int, n: int
) -> None:
    weights = [weight] * n
    assert allocated(total, weights) == list(total.allocate(weights))


@pytest.mark.parametrize(
    "weights",
    [[], [0, 0], [1, -1], [Decimal("0.5"), 1], [True, 1], (1.5, 2)],
    ids=["empty", "zeros", "negative", "decimal", "bool", "float"],
)
def test_allocated_refuses_or_answers_as_money_allocate_does(weights: list[object]) -> None:
    total = Money("10.00")
    try:
        expected: object = list(total.allocate(weights))  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        with pytest.raises(type(error), match=re.escape(str(error))):
            allocated(total, weights)
    else:
        assert allocated(total, weights) == expected


def test_equal_parts_are_one_money() -> None:
    parts = allocated(Money("1000.00"), [1] * 1000)
    assert len({id(p) for p in parts}) == 1
