"""``write_json_lines`` writes each record's ``to_json`` line, accelerated or not.

With the accelerator (msgspec, the ``fast`` extra) each batch of records is written by
msgspec in one call from the structs of their values; without it, each line is
``to_json``'s. These tests hold both to the straightforward definition: the file is
``"".join(to_json(r) + "\\n" for r in records)``, to the byte, in the same order, with the
same errors, for every record type, mixed types, batches of any size and records holding
values of other classes than their fields declare.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import Donation, Money, iter_json_lines, to_json, write_json_lines
from humanaid import _serialize_fast as F  # noqa: N812 - short, like the other tests
from humanaid.testing import donations, record_strategies

STRATEGIES = record_strategies()
SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def expected(records: list[Any]) -> str:
    """The straightforward definition: each record's to_json text and a line feed."""
    return "".join(to_json(r) + "\n" for r in records)


def written(records: list[Any], kind: str, tmp_path: Path) -> str:
    """What write_json_lines writes to a path, a binary file or a text file, as text."""
    if kind == "path":
        path = tmp_path / "out.jsonl"
        assert write_json_lines(iter(records), path) == len(records)
        return path.read_bytes().decode()
    if kind == "binary":
        out = io.BytesIO()
        assert write_json_lines(records, out) == len(records)
        return out.getvalue().decode()
    text = io.StringIO()
    assert write_json_lines(records, text) == len(records)
    return text.getvalue()


@pytest.mark.parametrize("cls", list(STRATEGIES), ids=[t.__name__ for t in STRATEGIES])
def test_written_lines_are_each_records_to_json_text(
    cls: type, accelerator: bool, tmp_path: Path
) -> None:
    @SETTINGS
    @given(
        records=st.lists(STRATEGIES[cls](), max_size=3),
        kind=st.sampled_from(["path", "binary", "text"]),
    )
    def check(records: list[Any], kind: str) -> None:
        assert written(records, kind, tmp_path) == expected(records)

    check()


@SETTINGS
@given(
    records=st.lists(
        st.one_of([STRATEGIES[t]() for t in list(STRATEGIES)[:12]] + [donations()]), max_size=8
    )
)
def test_records_of_several_types_are_written_in_their_order(records: list[Any]) -> None:
    for on in (True, False):
        was = F.set_accelerator(on)
        try:
            out = io.BytesIO()
            write_json_lines(records, out)
            assert out.getvalue().decode() == expected(records)
        finally:
            F.set_accelerator(was)


@SETTINGS
@given(records=st.lists(donations(), min_size=1, max_size=3), copies=st.integers(300, 900))
def test_batches_of_any_size_write_the_same_lines(records: list[Any], copies: int) -> None:
    many = records * copies  # across the batches of 1,024
    out = io.StringIO()
    assert write_json_lines(many, out) == len(many)
    assert out.getvalue() == expected(many)


@SETTINGS
@given(records=st.lists(donations(), max_size=5))
def test_written_lines_load_back_as_the_records(records: list[Any], tmp_path_factory: Any) -> None:
    path = tmp_path_factory.mktemp("lines") / "gifts.jsonl"
    write_json_lines(records, path)
    assert list(iter_json_lines(path, Donation)) == records


@attrs.frozen
class Loose:
    """A record whose fields hold values of other classes than declared (no validators)."""

    name: str
    count: int
    day: date
    share: Decimal
    money: Money


@attrs.frozen
class One:
    """A record of one field."""

    name: str


@attrs.frozen
class Empty:
    """A record of no field."""


class Text(str):
    """A ``str`` of another class: the accelerated writers refuse it, to_json writes it."""


ODD = [
    Loose(name=1, count=True, day=date(2020, 1, 1), share=Decimal("0.5"), money=Money("1")),  # type: ignore[arg-type]
    Loose(
        name=Text('a\n"b"'),
        count=-3,
        day=date(2020, 1, 1),
        share=Decimal("1E+3"),
        money=Money("2", "USD"),
    ),
    One(name="x"),
    One(name=Text("y")),
    Empty(),
    Money("12.50"),
]


@pytest.mark.parametrize("kind", ["path", "binary", "text"])
def test_records_holding_values_of_other_classes_are_written_as_to_json_writes_them(
    kind: str, accelerator: bool, tmp_path: Path
) -> None:
    assert written(ODD, kind, tmp_path) == expected(ODD)


def test_a_lone_surrogate_fails_as_writing_to_jsons_text_as_utf8_does(accelerator: bool) -> None:
    odd = [One(name="a"), One(name="b\ud800")]
    text = io.StringIO()
    write_json_lines(odd, text)  # a text file takes any str
    assert text.getvalue() == expected(odd)
    with pytest.raises(UnicodeEncodeError):
        expected(odd).encode()
    with pytest.raises(UnicodeEncodeError):
        write_json_lines(odd, io.BytesIO())


def test_a_record_that_cannot_be_written_raises_as_to_json_does(accelerator: bool) -> None:
    bad = Loose(name="x", count=1, day="2020-01-01", share=Decimal(1), money=Money("1"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_json(bad)
    with pytest.raises(TypeError):
        write_json_lines([One(name="a"), bad], io.StringIO())


def test_a_target_that_is_no_path_or_file_is_refused() -> None:
    with pytest.raises(TypeError, match="'target' must be a path or an open file"):
        write_json_lines([One(name="a")], 42)  # type: ignore[arg-type]
