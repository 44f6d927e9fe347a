"""The one formula test shared by every writer of cells (OWASP, CSV injection)."""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from humanaid import Flow, FlowKind, Money, Party, Table
from humanaid._formulas import runs_as_formula
from humanaid.io import CsvSchema, read_csv, write_csv

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
        flow = Flow(
            id="f1",
            source=Party.donor("d"),
            destination=Party.fund("g"),
            amount=Money("1"),
            on=date(2020, 1, 1),
            kind=FlowKind.DONATION,
            note=text,
        )
        schema = CsvSchema.for_type(Flow, escaped=True)
        buf = io.StringIO()
        write_csv([flow], buf, schema)
        assert "'" + text.strip() in buf.getvalue()
        buf.seek(0)
        (back,) = read_csv(buf, schema).records
        assert back.note == text.strip()
