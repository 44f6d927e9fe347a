"""Hostile input to the columnar path: conditions, settings, folders, Parquet files, JSON Lines.

An adversarial review of :mod:`humanaid.interop.columnar` and of
:func:`~humanaid.interop.arrow.read_json_lines_arrow` (issue 19): values in a condition
that SQL or polars could misread (quotes, backslashes, NUL, lone surrogates, a text that
names a column, a value of another type), DuckDB settings, a dataset folder whose
``_humanaid.json`` or Parquet files are damaged, partition folders of hostile ids, and
JSON Lines framed in every odd way. The laws: a condition matches in every engine
exactly the records Python's own test matches (or the query falls back to Python, or
ends in a clear error naming the field and the value); bad data ends in a clear error
naming the file, the column and the rule, never in an engine's exception; the
column-wise JSON Lines reader gives the record path's problems, with and without the
accelerator, and never brings the process down.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import Dataset, Donation, Money, fundraising_summary, iter_json_lines, to_json
from humanaid.aggregate import count, field_between, field_in, field_is, field_not_in, tabulate
from humanaid.interop.arrow import read_json_lines_arrow, to_arrow
from humanaid.interop.columnar import (
    ColumnarFallbackWarning,
    _safe_folder,
    scan,
    scan_dataset,
    write_dataset_parquet,
    write_parquet_dataset,
)

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("duckdb")
pytest.importorskip("polars")

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ENGINES = ("duckdb", "polars")

# Receipt numbers that quote, escape or look like SQL, all valid text for a record.
STORED = ["R1", "O'Brien", "a\\b", "it''s", "%_", "é", "雨", "A", "a", "R1 ", "\\'", "' OR '1'='1"]
STORED += ["{relation}", "humanaid_source", "{relation}{relation}"]  # the query's placeholder


def _gift(
    i: int, receipt: str | None = "R", org: str = "qj", on: date = date(2020, 5, 1)
) -> Donation:
    return Donation(
        id=f"g{i}", organization_id=org, received_on=on, value=Money("100"), receipt_number=receipt
    )


GIFTS = [_gift(i, r) for i, r in enumerate(STORED)]
TABLE = to_arrow(GIFTS, Donation)


def _outcome(run: Callable[[], Any]) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ColumnarFallbackWarning)
            return run()
    except Exception as exc:  # the kind of failure, to compare with Python's
        return type(exc)


def _counted(engine: str, cond: Any) -> Any:
    source = scan(TABLE, Donation, engine=engine)
    return _outcome(lambda: tabulate(source, measures={"n": count()}, where=cond).rows[0][0])


def _python(cond: Any) -> Any:
    return _outcome(lambda: sum(1 for g in GIFTS if cond(g)))


# -- values in a condition ---------------------------------------------------------------------

ANY_TEXT = st.one_of(
    st.sampled_from([*STORED, "{relation}", "humanaid_source", "{", "}{relation}}"]),
    st.text(st.characters(blacklist_categories=()), max_size=6),  # surrogates and NUL too
)


def _conditions(value: str, other: str) -> list[Any]:
    low, high = sorted([value, other])
    return [
        field_is("receipt_number", value),
        field_in("receipt_number", [value, *(f"zz{i}" for i in range(20))]),  # an IN list
        field_not_in("receipt_number", [value]),
        field_between("receipt_number", low, high),
    ]


@SETTINGS
@given(value=ANY_TEXT, other=ANY_TEXT)
def test_any_string_value_in_a_condition_matches_exactly_as_python_does(
    value: str, other: str
) -> None:
    for cond in _conditions(value, other):
        expected = _python(cond)
        for engine in ENGINES:
            assert _counted(engine, cond) == expected, (engine, cond)
            source = scan(TABLE, Donation, engine=engine)
            picked = _outcome(lambda: [g.id for g in source.select(cond)])  # noqa: B023
            if not isinstance(picked, type):
                assert picked == [g.id for g in GIFTS if cond(g)], (engine, cond)
            else:  # a condition the engines cannot run: a clear ValueError
                assert picked is ValueError, (engine, cond)


@pytest.mark.parametrize("engine", ["duckdb", "polars", "dask"])
def test_a_text_holding_the_querys_placeholder_is_only_a_value(tmp_path: Path, engine: str) -> None:
    # the SQL text's "{relation}" was replaced inside a literal too: the condition
    # matched the gift whose receipt is "humanaid_source" instead of "{relation}" (and
    # broke the SQL over Parquet files)
    pytest.importorskip("dask")
    cond = field_is("receipt_number", "{relation}")
    pq.write_table(TABLE, tmp_path / "gifts.parquet")
    for data in (TABLE, tmp_path):
        source = scan(data, Donation, engine=engine)
        assert tabulate(source, measures={"n": count()}, where=cond).rows[0][0] == 1
        assert [g.receipt_number for g in source.select(cond)] == ["{relation}"]


def test_a_text_bound_is_a_value_not_the_name_of_a_column() -> None:
    # polars read a text given to is_between as a column's name: "organization_id"
    # compared the id with the organisation of the same row
    gifts = [_gift(0, org="qj"), _gift(1, org="g1")]
    same = [attrs.evolve(g, id=g.organization_id) for g in gifts]
    table = to_arrow(same, Donation)
    cond = field_between("id", "organization_id", "organization_id")
    for engine in ENGINES:
        source = scan(table, Donation, engine=engine)
        assert tabulate(source, measures={"n": count()}, where=cond).rows[0][0] == 0, engine
        assert source.select(cond) == [], engine


OTHER_TYPES = [
    5,
    0,
    True,
    1.5,
    Decimal("1"),
    Decimal("NaN"),
    Decimal("100.00001"),
    Decimal("1E+30"),
]
OTHER_TYPES += [Decimal("100"), 100, date(2020, 5, 1), datetime(2020, 5, 1), "2020-05-01", "100"]


@pytest.mark.parametrize("value", OTHER_TYPES, ids=repr)
@pytest.mark.parametrize("path", ["receipt_number", "received_on", "value.amount"])
def test_a_value_of_another_type_matches_as_python_does_or_runs_in_python(
    path: str, value: object
) -> None:
    conds: list[Any] = [
        field_is(path, value),
        field_in(path, [value, *range(20)]),
        field_not_in(path, [value]),
    ]
    with contextlib.suppress(TypeError, ValueError, ArithmeticError):  # bounds that never compare
        conds.append(field_between(path, value, value))
    for cond in conds:
        expected = _python(cond)
        for engine in ENGINES:
            assert _counted(engine, cond) == expected, (engine, cond)
            source = scan(TABLE, Donation, engine=engine)
            repeated = _outcome(lambda: source.narrowed(cond).repeated("organization_id"))  # noqa: B023
            assert repeated is ValueError or isinstance(repeated, frozenset), (engine, cond)
            picked = _outcome(lambda: source.select(cond))  # noqa: B023
            assert picked is ValueError or isinstance(picked, list), (engine, cond)


def test_a_condition_the_engines_cannot_run_is_a_clear_error_in_repeated() -> None:
    source = scan(TABLE, Donation).narrowed(field_is("receipt_number", 1.5))
    with pytest.raises(ValueError, match=r"1\.5.*receipt_number"):
        source.repeated("organization_id")


# -- DuckDB settings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hostile",
    [
        {"memory_limit": "1GB'; SELECT 1; --"},
        {"memory_limit'": "1GB"},
        {"memory_limit": None},
        {"memory_limit": "\ud800"},
        {"threads": -1},
        {"threads": 2**70},
        {"": 1},
    ],
    ids=repr,
)
def test_a_hostile_duckdb_setting_is_refused_when_scanned_naming_it(
    hostile: dict[str, Any],
) -> None:
    (name,) = hostile
    with pytest.raises(ValueError, match="duckdb_settings") as caught:
        scan(TABLE, Donation, duckdb_settings=hostile)
    assert repr(name) in str(caught.value)


def test_settings_duckdb_knows_are_taken() -> None:
    source = scan(TABLE, Donation, duckdb_settings={"memory_limit": "1GB", "threads": 1})
    assert tabulate(source, measures={"n": count()}).rows[0][0] == len(GIFTS)


# -- a dataset folder ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dataset")
    write_dataset_parquet(Dataset(donations=tuple(GIFTS[:3])), root)
    return root


def _copy(written: Path, to: Path) -> Path:
    import shutil

    shutil.copytree(written, to)
    return to


@pytest.mark.parametrize(
    "meta",
    [
        b"{not json",
        b"[1, 2]",
        b"null",
        b'{"name": {"a": 1}}',
        b'{"findings": 5}',
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=[
        "malformed",
        "a list",
        "null",
        "a name that is not text",
        "findings not a list",
        "not utf-8",
        "nested 100,000 deep",
    ],
)
def test_a_damaged_meta_file_is_a_clear_error_naming_it(
    written: Path, tmp_path: Path, meta: bytes
) -> None:
    root = _copy(written, tmp_path / "ds")
    (root / "_humanaid.json").write_bytes(meta)
    with pytest.raises(ValueError, match=r"_humanaid\.json"):
        scan_dataset(root)


def test_a_finding_of_the_wrong_shape_in_the_meta_file_names_the_file(
    written: Path, tmp_path: Path
) -> None:
    root = _copy(written, tmp_path / "ds")
    (root / "_humanaid.json").write_text(json.dumps({"findings": [{"x": 1}]}))
    with pytest.raises(ValueError, match=r"_humanaid\.json findings"):
        scan_dataset(root)


def test_unknown_or_empty_collections_and_symlink_loops_are_clear(
    written: Path, tmp_path: Path
) -> None:
    root = _copy(written, tmp_path / "unknown")
    (root / "gifts").mkdir()
    with pytest.raises(ValueError, match="'gifts' is not a collection"):
        scan_dataset(root)
    root = _copy(written, tmp_path / "empty")
    (root / "projects").mkdir()
    with pytest.raises(FileNotFoundError, match="no Parquet files"):
        scan_dataset(root)
    root = _copy(written, tmp_path / "loop")
    os.symlink(root / "donations", root / "donations" / "loop")
    table = fundraising_summary(scan_dataset(root), 2020)
    assert table == fundraising_summary(Dataset(donations=tuple(GIFTS[:3])), 2020)


def _replaced(name: str, array: Any) -> Any:
    return TABLE.set_column(TABLE.schema.get_field_index(name), name, array)


n = len(GIFTS)
MONEY = TABLE.schema.field("value.amount").type
WRONG = {
    "a missing column": ("receipt_number", TABLE.drop_columns(["receipt_number"])),
    "missing money": ("value.amount", TABLE.drop_columns(["value.amount"])),
    "money as text": ("value.amount", _replaced("value.amount", pa.array(["100"] * n))),
    "an id as a number": ("'id'", _replaced("id", pa.array(range(n)))),
    "a date as text": ("received_on", _replaced("received_on", pa.array(["2020-05-01"] * n))),
    # the engines skip nulls: a total left a gift out, a count counted it
    "a null amount": ("value.amount", _replaced("value.amount", pa.array([None] * n, MONEY))),
    "a null day": ("received_on", _replaced("received_on", pa.array([None] * n, pa.date32()))),
}


@pytest.mark.parametrize("case", list(WRONG), ids=list(WRONG))
@pytest.mark.parametrize("engine", ENGINES)
def test_parquet_of_another_schema_is_refused_when_scanned_naming_the_column(
    tmp_path: Path, case: str, engine: str
) -> None:
    column, table = WRONG[case]
    pq.write_table(table, tmp_path / "part.parquet")
    for data in (tmp_path, table):
        with pytest.raises(ValueError, match=column.strip("'")) as caught:
            scan(data, Donation, engine=engine)
        assert "Donation" in str(caught.value)


@pytest.mark.parametrize("engine", ENGINES)
def test_parquet_other_tools_write_passes_the_schema_check(tmp_path: Path, engine: str) -> None:
    # polars writes large_string, large_list and uint32 dictionaries; DuckDB plain text;
    # a file without statistics cannot tell its nulls; an empty file has no rows
    import duckdb
    import polars as pl

    pl.DataFrame(TABLE).write_parquet(tmp_path / "polars.parquet")
    con = duckdb.connect()
    con.register("gifts", TABLE)
    con.sql(f"COPY gifts TO '{tmp_path / 'duckdb.parquet'}' (FORMAT parquet)")
    pq.write_table(TABLE, tmp_path / "plain.parquet", write_statistics=False)
    pq.write_table(TABLE.slice(0, 0), tmp_path / "empty.parquet")
    source = scan(tmp_path, Donation, engine=engine)
    assert tabulate(source, measures={"n": count()}).rows[0][0] == 3 * n
    assert len(list(source)) == 3 * n


def test_a_file_that_is_not_parquet_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match=r"junk\.parquet"):
        scan(tmp_path, Donation)


@pytest.mark.parametrize("engine", ENGINES)
def test_extra_columns_and_nulls_where_required_are_read_or_reported(
    tmp_path: Path, engine: str
) -> None:
    pq.write_table(TABLE.append_column("zzz", pa.array(range(n))), tmp_path / "extra.parquet")
    source = scan(tmp_path, Donation, engine=engine)
    assert tabulate(source, measures={"n": count()}).rows[0][0] == n
    assert list(source) == GIFTS
    nulls = tmp_path / "nulls"
    nulls.mkdir()
    pq.write_table(_replaced("id", pa.array([None] * n, pa.string())), nulls / "p.parquet")
    lazy: Dataset = scan_dataset({"donations": nulls}, engine=engine)  # checked when read
    for _ in range(2):  # (a check that failed fails again)
        with pytest.raises(ValueError, match=rf"'id' of Donation records holds {n} nulls"):
            fundraising_summary(lazy)


@pytest.mark.parametrize("engine", ENGINES)
def test_scan_dataset_checks_a_collection_once_and_only_when_a_query_reads_it(
    written: Path, tmp_path: Path, engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import humanaid.interop.columnar as columnar

    root = _copy(written, tmp_path / "ds")
    broken = root / "cases"  # a collection fundraising never reads: its damage waits
    broken.mkdir()
    pq.write_table(TABLE, broken / "p.parquet")  # donations' columns, not a case's
    checked: list[str] = []
    real = columnar._check_schema

    def counted(data: Any, record_type: type) -> int:
        checked.append(record_type.__name__)
        return real(data, record_type)

    monkeypatch.setattr(columnar, "_check_schema", counted)
    ds: Dataset = scan_dataset(root, engine=engine, findings=())
    assert checked == []
    want = fundraising_summary(Dataset(donations=tuple(GIFTS[:3])), 2020)
    for _ in range(2):  # the second summary checks nothing again
        got = fundraising_summary(ds, 2020)
        assert got.rows == want.rows
    assert set(checked) == {"Donation"}
    assert len(checked) == len(list((root / "donations").rglob("*.parquet")))
    with pytest.raises(ValueError, match=r"p\.parquet.*Case records"):
        len(ds.cases)
    with pytest.raises(ValueError, match=r"p\.parquet.*Case records"):
        list(ds.cases)


@pytest.mark.parametrize("engine", ["duckdb", "polars", "dask"])
def test_file_names_with_glob_characters_are_read_as_they_are(tmp_path: Path, engine: str) -> None:
    pytest.importorskip("dask")
    folder = tmp_path / "glob[1]*?"
    folder.mkdir()
    pq.write_table(TABLE, folder / "a[1].parquet")
    pq.write_table(TABLE.slice(0, 1), folder / "a1.parquet")
    pq.write_table(TABLE.slice(0, 2), folder / "a*.parquet")
    source = scan(folder, Donation, engine=engine)
    assert tabulate(source, measures={"n": count()}).rows[0][0] == n + 3


# -- partition folders -------------------------------------------------------------------------

IDS = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")), min_size=1, max_size=128
)


@settings(max_examples=300, deadline=None)
@given(a=IDS, b=IDS)
def test_distinct_ids_never_share_a_partition_folder(a: str, b: str) -> None:
    fa, fb = _safe_folder(a), _safe_folder(b)
    assert (fa == fb) == (a == b)
    for folder in (fa, fb):
        assert "/" not in folder
        assert folder not in (".", "..")
        assert len(f"organization={folder}".encode()) <= 255


@pytest.mark.parametrize(
    "orgs",
    [
        ("™", "!22"),
        ("a/b", "a%2Fb"),
        ("..", "."),
        ("雨" * 128, "雨" * 127 + "雪"),
        ("™" * 128, "x"),
    ],
    ids=["escapes that met", "a slash", "dots", "long", "long escapes"],
)
def test_every_record_comes_back_whatever_its_organisation_id(
    tmp_path: Path, orgs: tuple[str, str]
) -> None:
    gifts = [_gift(i, org=org) for i, org in enumerate(orgs)]
    files = write_parquet_dataset(gifts, tmp_path, Donation, date_field="received_on")
    assert len(files) == 2
    assert all(tmp_path in f.parents for f in files)
    assert sorted(scan(tmp_path, Donation), key=lambda g: g.id) == gifts


# -- JSON Lines, column-wise and record-wise -------------------------------------------------------

GOOD = to_json(_gift(1))
GB = GOOD.encode()


FRAMED = {
    "a BOM": b"\xef\xbb\xbf" + GB + b"\n" + GB + b"\n",
    "CRLF": GB + b"\r\n" + GB + b"\r\n",
    "no newline at the end": GB + b"\n" + GB,
    "empty": b"",
    "blank lines only": b"\n \n\n",
    "a number of 400 digits": GB + b"\n" + GB.replace(b'"100.00"', b"1" + b"0" * 400),
    "nested 100,000 deep": GB + b"\n" + b'{"id":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "a repeated key": GB[:-1] + b',"id":"g2"}',
    "bytes that are not UTF-8": GB.replace(b'"R"', b'"R\xff"'),
    "NaN": GB.replace(b'"100.00"', b"NaN"),
    "Infinity": GB.replace(b'"100.00"', b"-Infinity"),
    "1e400": GB.replace(b'"100.00"', b"1e400"),
    "an escaped NUL": GB.replace(b'"R"', b'"R\\u0000"'),
    "an escaped lone surrogate": GB.replace(b'"R"', b'"\\ud800"'),
    "U+2028 between two objects": GB + "\u2028".encode() + GB,
    "a line that is null": GB + b"\nnull\n" + GB,
    "a line that is a number": GB + b"\n1\n" + GB,
    "two objects on a line": GB + GB,
    # the column-wise key count against escaped quotes and colons
    "2,000 unknown keys": GB[:-1] + b"".join(b',"k%d":1' % i for i in range(2000)) + b"}",
    "a key holding an escaped quote": GB[:-1] + b',"a\\":1":2}',
    "a value holding an escaped quote and colon": GB.replace(b'"R"', b'"R\\":1"'),
    "a key spelled with an escape": GB.replace(b'"transaction_ref"', b'"transaction\\u005fref"'),
    "a key repeated through an escape": GB[:-1] + b',"i\\u0064":"g2"}',
    "a missing key and an unknown one": GB.replace(b'"transaction_ref":null', b'"zzz":null'),
    "an amount as a JSON number": GB.replace(b'"100.00"', b"100"),
    "an amount in full-width digits": GB.replace(b'"100.00"', '"１００"'.encode()),
    "a day that does not exist": GB.replace(b"2020-05-01", b"2020-02-30"),
}


def _same(run: Callable[[], Any]) -> Any:
    try:
        got = run()
    except Exception as exc:
        return (type(exc).__name__, str(exc))
    return ("read", len(got) if isinstance(got, list) else got.num_rows)


@pytest.mark.parametrize("case", list(FRAMED), ids=list(FRAMED))
def test_framed_lines_give_the_record_paths_answer_from_every_source(
    tmp_path: Path, accelerator: bool, case: str
) -> None:
    data = FRAMED[case]
    path = tmp_path / "gifts.jsonl"
    path.write_bytes(data)
    sources: list[Callable[[], Any]] = [lambda: path, lambda: io.BytesIO(data)]
    try:
        text = data.decode()
        sources.append(lambda: io.StringIO(text, newline=None))
        sources.append(lambda: text.splitlines(keepends=True))
    except UnicodeDecodeError:
        pass
    for make in sources:
        expected = _same(lambda: list(iter_json_lines(make(), Donation)))  # noqa: B023
        assert _same(lambda: read_json_lines_arrow(make(), Donation)) == expected, make()  # noqa: B023


@pytest.mark.parametrize(
    "line",
    ["\ufeff" + GOOD, GOOD.replace('"R"', '"R\ud800"'), GOOD.replace('"R"', '"\ud800\udc00"')],
    ids=["a BOM in text", "a lone surrogate in text", "a surrogate pair in text"],
)
def test_a_text_line_gives_the_record_paths_problems(accelerator: bool, line: str) -> None:
    for lines in ([line], [GOOD, line, GOOD]):
        expected = _same(lambda: list(iter_json_lines(lines, Donation)))  # noqa: B023
        assert _same(lambda: read_json_lines_arrow(lines, Donation)) == expected  # noqa: B023
        table, _ = read_json_lines_arrow(lines, Donation, errors="collect")
        assert table.num_rows == lines.count(GOOD)


NULL_FIRST = [b"null", b"null\n" + GB, b" null \n" + GB, b"null\nnull", b"\nnull\n[]"]


@pytest.mark.parametrize(
    "data", NULL_FIRST, ids=["null", "null first", "spaced", "nulls", "null, []"]
)
def test_a_first_line_that_is_null_is_a_problem_not_a_crash(data: bytes) -> None:
    # pyarrow.json segfaults on a text whose first value is null: run it apart, so that
    # a crash fails this test and not the run
    code = (
        "import io, sys\n"
        "from humanaid import Donation, InvalidInput\n"
        "from humanaid.interop.arrow import read_json_lines_arrow\n"
        "try:\n"
        f"    read_json_lines_arrow(io.BytesIO({data!r}), Donation)\n"
        "except InvalidInput as exc:\n"
        "    print(str(exc).splitlines()[1].strip())\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "$: must be an object (Donation), not null (got None)"
