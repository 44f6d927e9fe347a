"""Checks that several test modules make the same way: bad input, printed lines, CSV trips.

Plain functions, imported by the tests that need them (``from checks import problems_of``);
the records and datasets the tests share are built in :mod:`builders`.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest

from builders import flow
from humanaid import Flow, FlowKind, InvalidInput, Money, Party, from_dict
from humanaid.io import CsvSchema, read_csv, write_csv

__all__ = ["assert_shown", "noted_flow_round_trip", "problems", "problems_of", "refusal"]


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


def noted_flow_round_trip(note: str) -> tuple[Flow, str, Flow]:
    """A flow with ``note``, the escaped CSV written of it, and the flow read back from it."""
    donor, fund, day = Party.donor("d"), Party.fund("g"), date(2020, 1, 1)
    noted = flow("f1", donor, fund, Money("1"), day, FlowKind.DONATION, note=note)
    schema = CsvSchema.for_type(Flow, escaped=True)
    buf = io.StringIO()
    write_csv([noted], buf, schema)
    buf.seek(0)
    (back,) = read_csv(buf, schema).records
    return noted, buf.getvalue(), back
