"""The progress= callbacks of loads and checks: what they count, that they end at the end.

``progress(done, total)`` is taken by :func:`humanaid.iter_json_lines` (bytes of a path,
lines otherwise), :func:`humanaid.interop.arrow.read_json_lines` (the same),
:func:`humanaid.read_csv` (data rows, no total) and :meth:`humanaid.Dataset.validate`
(rules). The humanaid command draws its progress bar from them.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import (
    Dataset,
    Donation,
    Finding,
    Money,
    NoReceiptReason,
    iter_json_lines,
    read_csv,
    to_json,
    write_csv,
)
from humanaid.rules import BUILTIN_RULES

Calls = list[tuple[int, int | None]]


def gifts(n: int) -> list[Donation]:
    return [
        Donation(
            id=f"g{i}",
            organization_id="qj",
            received_on=date(2020, 1, 1),
            value=Money("1.50"),
            no_receipt_reason=NoReceiptReason.ANONYMOUS,
        )
        for i in range(n)
    ]


def lines(records: list[Donation]) -> list[str]:
    return [to_json(r) + "\n" for r in records]


def recorder(calls: Calls) -> Callable[[int, int | None], None]:
    def progress(done: int, total: int | None) -> None:
        calls.append((done, total))

    return progress


def assert_counts_up(calls: Calls) -> None:
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert len({t for _, t in calls}) == 1  # the total never changes


@given(st.integers(min_value=0, max_value=3000))
def test_json_lines_from_an_iterable_count_every_line_read(n: int) -> None:
    calls: Calls = []
    text = lines(gifts(n))
    assert len(list(iter_json_lines(text, Donation, progress=recorder(calls)))) == n
    assert_counts_up(calls)
    assert calls[-1] == (n, None)
    assert len(calls) == n // 1024 + 1  # every 1,024 lines, and once at the end


def test_json_lines_from_a_path_count_bytes_up_to_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "gifts.jsonl"
    path.write_text("".join(lines(gifts(2500))) + "\n\n", encoding="utf-8")
    calls: Calls = []
    loaded = list(iter_json_lines(path, Donation, progress=recorder(calls)))
    assert len(loaded) == 2500
    size = path.stat().st_size
    assert_counts_up(calls)
    assert calls[-1] == (size, size)
    assert all(t == size for _, t in calls)


def test_json_lines_without_progress_are_read_as_before(tmp_path: Path) -> None:
    path = tmp_path / "gifts.jsonl"
    path.write_text("".join(lines(gifts(3))), encoding="utf-8")
    assert list(iter_json_lines(path, Donation)) == gifts(3)


def test_arrow_json_lines_pass_progress_on(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    from humanaid.interop.arrow import read_json_lines

    path = tmp_path / "gifts.jsonl"
    path.write_text("".join(lines(gifts(10))), encoding="utf-8")
    calls: Calls = []
    table = read_json_lines(path, Donation, progress=recorder(calls))
    assert table.num_rows == 10
    assert calls == [(path.stat().st_size, path.stat().st_size)]


def test_csv_counts_data_rows_and_ends_with_their_number() -> None:
    buf = io.StringIO()
    write_csv(gifts(2100), buf, Donation)
    calls: Calls = []
    result = read_csv(io.StringIO(buf.getvalue()), Donation, progress=recorder(calls))
    assert len(result.records) == 2100
    assert calls == [(1024, None), (2048, None), (2100, None)]


def test_validate_counts_rules_from_none_to_all() -> None:
    def mine(dataset: Dataset) -> list[Finding]:
        return []

    calls: Calls = []
    Dataset(donations=tuple(gifts(2))).validate([mine], progress=recorder(calls))
    total = len(BUILTIN_RULES) + 1
    assert calls == [(i, total) for i in range(total + 1)]
    only: Calls = []
    Dataset().validate([mine], builtin=False, progress=recorder(only))
    assert only == [(0, 1), (1, 1)]
