"""The one formula test shared by every writer of cells (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from checks import noted_flow_round_trip
from humanaid import Table
from humanaid._formulas import runs_as_formula

TRICKY = ("=1+2", " =1", "\u3000=1", "\u200b=1", "＝1", "﹦1", "＠SUM", "\x00x", "\n=1", "'=x")


@given(st.text())
def test_a_leading_apostrophe_never_changes_whether_text_runs_as_formula(text: str) -> None:
    # the law that lets a reader undo a guard exactly
    assert runs_as_formula("'" + text) == runs_as_formula(text)


def test_tricky_starts_run_as_formulas_and_plain_text_does_not() -> None:
    assert all(runs_as_formula(t) for t in TRICKY)
    assert not any(runs_as_formula(t) for t in ("", "a=b", "张三", "'", "1.5", " x"))


def test_every_writer_guards_the_same_cells() -> None:
    table = Table.from_rows([{"note": t} for t in TRICKY])
    cells = [row[0] for row in csv.reader(io.StringIO(table.to_csv()))][1:]
    assert cells == ["'" + t for t in TRICKY]
    for text in ("＝1", " =1", "﹦1"):
        _, written, back = noted_flow_round_trip(text)
        assert "'" + text.strip() in written
        assert back.note == text.strip()
