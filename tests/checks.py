"""Checks that several test modules make the same way: problems of bad input, printed lines.

Plain functions, imported by the tests that need them (``from checks import problems_of``);
the records and datasets the tests share are built in :mod:`builders`.
"""

from __future__ import annotations

from typing import Any

import pytest

from humanaid import InvalidInput, from_dict

__all__ = ["assert_shown", "problems", "problems_of", "refusal"]


def refusal(data: Any, cls: type) -> InvalidInput:
    """Load ``data`` as ``cls``, which must fail, and give the error it fails with."""
    with pytest.raises(InvalidInput) as info:
        from_dict(data, cls)
    return info.value


def problems(error: InvalidInput) -> list[tuple[str, str]]:
    """Each problem of ``error``: its path and its code."""
    return [(p.location, p.code) for p in error.problems]


def problems_of(data: Any, cls: type) -> list[tuple[str, str]]:
    """Load ``data`` as ``cls``, which must fail, and give each problem's path and code."""
    return problems(refusal(data, cls))


def assert_shown(text: str, *expected: str) -> None:
    """Assert that every one of ``expected`` is in ``text`` (a script's or a notebook's output)."""
    missing = [line for line in expected if line not in text]
    assert not missing, f"not in the output: {missing}\n--- output:\n{text}"
