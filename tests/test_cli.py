"""The humanaid command, run as a user runs it: exit codes 0/1/2, outputs, no tracebacks."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys
import tempfile
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import humanaid
from humanaid import (
    Dataset,
    Donation,
    Donor,
    DonorKind,
    Money,
    NoReceiptReason,
    Organization,
    OrgLevel,
    from_json,
    to_json,
    write_csv,
)
from humanaid.cli import ProgressBar, main
from humanaid.testing import donations

SRC = Path(humanaid.__file__).resolve().parents[1]
ROOT = SRC.parent


def society(*extra: Donation) -> Dataset:
    """A small society whose records pass every rule."""
    qj = Organization(id="qj", name="曲靖市红十字会", level=OrgLevel.CITY)
    hz = Organization(id="hz", name="会泽县红十字会", level=OrgLevel.COUNTY, parent_id="qj")
    donors = [
        Donor(id="acme", kind=DonorKind.ENTERPRISE, public_name="某粮油公司"),
        Donor(id="p1", kind=DonorKind.INDIVIDUAL, name="张三", phone="13800000000"),
    ]
    gifts = [
        Donation(
            id="g1",
            organization_id="qj",
            donor_id="acme",
            received_on=date(2020, 2, 1),
            value=Money("50000"),
            receipt_number="R1",
        ),
        Donation(
            id="g2",
            organization_id="hz",
            donor_id="p1",
            received_on=date(2020, 3, 1),
            value=Money("200"),
            receipt_number="R2",
        ),
        Donation(
            id="g3",
            organization_id="qj",
            received_on=date(2021, 3, 2),
            value=Money("100"),
            no_receipt_reason=NoReceiptReason.ANONYMOUS,
        ),
        *extra,
    ]
    return Dataset(
        name="test society", organizations=(qj, hz), donors=tuple(donors), donations=tuple(gifts)
    )


def humanaid_(
    *args: str, cwd: Path, stderr_to: int | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m humanaid ARGS`` in ``cwd``, as a user would."""
    path = os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    return subprocess.run(
        [sys.executable, "-m", "humanaid", *args],
        cwd=cwd,
        env=env,
        capture_output=stderr_to is None,
        stderr=stderr_to,
        stdout=subprocess.PIPE if stderr_to is not None else None,
        text=True,
        timeout=300,
        check=False,
    )


def write_lines(path: Path, records: Any) -> Path:
    path.write_text("".join(to_json(r) + "\n" for r in records), encoding="utf-8")
    return path


def assert_one_line_error(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("humanaid: error: ")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """The society as a dataset document and as one file per collection."""
    ds = society()
    (tmp_path / "society.json").write_text(to_json(ds), encoding="utf-8")
    write_lines(tmp_path / "organizations.jsonl", ds.organizations)
    write_lines(tmp_path / "donations-2020.jsonl", ds.donations)
    write_csv(ds.donors, tmp_path / "donors.csv", Donor)
    return tmp_path


# -- validate --------------------------------------------------------------------------------------


def test_validate_a_clean_dataset_exits_0(files: Path) -> None:
    result = humanaid_("validate", "society.json", cwd=files)
    assert result.returncode == 0, result.stderr
    assert "read 2 organizations, 2 donors, 3 donations" in result.stdout
    assert result.stdout.strip().endswith("no problems")
    assert result.stderr == ""  # no progress bar: stderr is not a terminal


def test_validate_several_files_checks_them_as_one_dataset(files: Path) -> None:
    result = humanaid_(
        "validate", "organizations.jsonl", "donors.csv", "donations-2020.jsonl", cwd=files
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "not checked" not in result.stdout
    # without the donors, references into them cannot be checked, and it says so
    alone = humanaid_("validate", "organizations.jsonl", "donations-2020.jsonl", cwd=files)
    assert alone.returncode == 0
    assert "references into donors were not checked" in alone.stdout


def test_references_into_the_collections_given_are_checked(files: Path) -> None:
    stray = Donation(
        id="g9",
        organization_id="qj",
        donor_id="nobody",
        received_on=date(2020, 5, 1),
        value=Money("10"),
        receipt_number="R9",
    )
    write_lines(files / "donations.jsonl", [*society().donations, stray])
    result = humanaid_("validate", "donors.csv", "donations.jsonl", "--format", "json", cwd=files)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert [(p["code"], p["subject"]) for p in report["problems"]] == [
        ("integrity.missing-reference", "g9")
    ]
    assert report["unchecked_references"] == ["organizations"]


def test_validate_findings_at_error_severity_exit_1(files: Path) -> None:
    stray = Donation(
        id="g9",
        organization_id="qj",
        donor_id="nobody",
        received_on=date(2020, 5, 1),
        value=Money("10"),
        receipt_number="R9",
    )
    (files / "bad.json").write_text(to_json(society(stray)), encoding="utf-8")
    result = humanaid_("validate", "bad.json", "--format", "json", cwd=files)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    (problem,) = report["problems"]
    assert problem["code"] == "integrity.missing-reference"
    assert problem["severity"] == "error"
    assert problem["subject"] == "g9"


def test_validate_locates_every_bad_line_and_never_stops_at_the_first(files: Path) -> None:
    good = (files / "donations-2020.jsonl").read_text(encoding="utf-8").splitlines()
    bad = [
        good[0],
        good[1].replace('"amount":"200.00"', '"amount":200.0'),
        "{not json",
        good[2].replace('"id":"g3"', '"id":" g3"'),
    ]
    (files / "donations.jsonl").write_text("\n".join(bad) + "\n", encoding="utf-8")
    text = humanaid_("validate", "donations.jsonl", cwd=files)
    assert text.returncode == 1
    for where in ("line 2 $.value.amount", "line 3 $", "line 4 $.id"):
        assert f"donations.jsonl: {where}:" in text.stdout
    as_csv = humanaid_("validate", "donations.jsonl", "--format", "csv", cwd=files)
    assert as_csv.returncode == 1
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["location"] for r in rows] == ["line 2 $.value.amount", "line 3 $", "line 4 $.id"]
    assert [r["code"] for r in rows] == ["float-not-allowed", "invalid-json", "invalid"]
    assert {r["severity"] for r in rows} == {"error"}


def test_validate_a_csv_reports_rows_and_columns(files: Path) -> None:
    (files / "donors.csv").write_text(
        "id,kind,name,public_name,phone,email,address,organization_id,registered_on\n"
        "d1,enterprise,,某公司,,,,,\n"
        "d2,martian,,,,,,,2020-02-30\n",
        encoding="utf-8",
    )
    result = humanaid_("validate", "donors.csv", "--format", "json", cwd=files)
    assert result.returncode == 1
    locations = [p["location"] for p in json.loads(result.stdout)["problems"]]
    assert locations == ["row 3, column 'kind'", "row 3, column 'registered_on'"]


def test_validate_a_parquet_file_keeps_the_good_rows_of_a_batch_with_a_bad_one(
    files: Path,
) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    from humanaid.interop.arrow import to_arrow

    table = to_arrow(list(society().donations))
    i = table.column_names.index("value.amount")
    amounts = pa.array([Decimal("5"), Decimal("-5"), Decimal("1")], type=table.schema.field(i).type)
    pq.write_table(table.set_column(i, table.schema.field(i), amounts), files / "donations.parquet")
    result = humanaid_(
        "validate", "organizations.jsonl", "donors.csv", "donations.parquet", "--format", "json",
        cwd=files,
    )  # fmt: skip
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["records"]["donations"] == 2
    (problem,) = report["problems"]
    assert (problem["location"], problem["code"]) == ("row 2 $.value", "invalid")
    assert "must be positive" in problem["message"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["validate", "missing-donations.jsonl"], "no such file"),
        (["validate", "society.txt"], "cannot tell the format"),
        (["validate", "gifts.jsonl"], "--collection"),
        (["validate", "donations-2020.jsonl", "--collection", "gifts"], "not a collection"),
        (["validate", "notjson.json"], "is not a dataset in JSON"),
        (["summary", "fundraising", "society.json", "--period", "2020-13"], "--period"),
        (["summary", "year-at-a-glance", "society.json", "--period", "2020"], "--org"),
        (["convert", "society.json", "out.csv"], "--collection"),
        (["redact", "society.json", "out.json", "--key-file", "short.key"], "at least 16"),
        (["schema", "gifts"], "not a record type"),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else None,
)
def test_what_cannot_be_read_exits_2_with_one_line_and_no_traceback(
    files: Path, args: list[str], says: str
) -> None:
    (files / "notjson.json").write_text("{oops", encoding="utf-8")
    (files / "gifts.jsonl").write_text("", encoding="utf-8")
    (files / "short.key").write_bytes(b"abc\n")
    result = humanaid_(*args, cwd=files)
    assert_one_line_error(result)
    assert says in result.stderr


# -- summary ---------------------------------------------------------------------------------------


def test_summary_as_text_csv_json_and_html(files: Path) -> None:
    text = humanaid_("summary", "fundraising", "society.json", "--period", "2020", cwd=files)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Raised by donor kind, 2020")
    as_json = humanaid_(
        "summary", "fundraising", "society.json", "--period", "2020", "--format", "json",
        cwd=files,
    )  # fmt: skip
    table = json.loads(as_json.stdout)
    assert {r["donor kind"]: r["raised"] for r in table["rows"]} == {
        "enterprise": {"amount": "50000.00", "currency": "CNY"},
        "individual": {"amount": "200.00", "currency": "CNY"},
    }
    assert table["findings"] == []
    out = humanaid_(
        "summary", "top-donors", "society.json", "--period", "2020", "-o", "top.csv", cwd=files
    )
    assert out.returncode == 0
    assert out.stdout == ""
    rows = list(csv.DictReader(io.StringIO((files / "top.csv").read_text(encoding="utf-8"))))
    assert [r["donor"] for r in rows] == ["某粮油公司", "individual donor p1"]  # never a name
    page = humanaid_(
        "summary", "fundraising", "society.json", "--period", "2020", "--format", "html",
        cwd=files,
    )  # fmt: skip
    assert page.stdout.startswith("<!DOCTYPE html>")
    assert "<table" in page.stdout


@pytest.mark.parametrize(
    "name",
    [
        "fundraising",
        "top-donors",
        "campaigns",
        "relief",
        "medical",
        "projects",
        "results",
        "revolving",
        "year-at-a-glance",
    ],
)
def test_every_summary_runs(files: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["summary", name, str(files / "society.json"), "--period", "2020", "--org", "qj"]
    assert main([*args, "--format", "json"]) == 0
    table = json.loads(capsys.readouterr().out)
    assert table["columns"]
    assert main(["--no-progress", *args]) == 0
    assert capsys.readouterr().out.strip()


def test_summary_of_an_organisation_counts_it_and_its_sub_units(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def gifts(org: str) -> int:
        args = ["summary", "fundraising", str(files / "society.json"), "--period", "2020"]
        assert main([*args, "--org", org, "--format", "json"]) == 0
        return sum(r["gifts"] for r in json.loads(capsys.readouterr().out)["rows"])

    assert gifts("qj") == 2  # its own gift and its county branch's
    assert gifts("hz") == 1


def test_a_summary_of_input_with_problems_is_refused_with_exit_1(files: Path) -> None:
    (files / "donations.jsonl").write_text('{"id": "g1"}\n', encoding="utf-8")
    result = humanaid_(
        "summary", "fundraising", "donations.jsonl", "--period", "2020", "-o", "x.csv", cwd=files
    )
    assert result.returncode == 1
    assert "3 problems in the input" in result.stderr
    assert "humanaid validate donations.jsonl" in result.stderr
    assert not (files / "x.csv").exists()


def test_a_strict_summary_refuses_figures_beside_error_findings(files: Path) -> None:
    partial = ["summary", "fundraising", "donations-2020.jsonl", "--period", "2020"]
    shown = humanaid_(*partial, cwd=files)
    assert shown.returncode == 0
    assert "integrity.missing-reference" in shown.stdout
    refused = humanaid_(*partial, "--strict", cwd=files)
    assert refused.returncode == 1
    assert "refused" in refused.stderr
    assert "Traceback" not in refused.stderr


# -- convert and redact ----------------------------------------------------------------------------


def test_convert_between_json_lines_csv_and_parquet_keeps_every_record(files: Path) -> None:
    steps = [
        ("donations-2020.jsonl", "gifts-donations.csv"),
        ("gifts-donations.csv", "donations.parquet"),
        ("donations.parquet", "back-donations.jsonl"),
    ]
    for source, target in steps:
        result = humanaid_("convert", source, target, cwd=files)
        assert result.returncode == 0, result.stderr
        assert result.stderr == f"wrote 3 records to {target}\n"
    original = (files / "donations-2020.jsonl").read_text(encoding="utf-8")
    assert (files / "back-donations.jsonl").read_text(encoding="utf-8") == original


def test_convert_one_collection_out_of_a_dataset(files: Path) -> None:
    result = humanaid_("convert", "society.json", "all.jsonl", "--collection", "donors", cwd=files)
    assert result.returncode == 0, result.stderr
    lines = (files / "all.jsonl").read_text(encoding="utf-8").splitlines()
    assert [from_json(x, Donor) for x in lines] == list(society().donors)


def test_a_conversion_that_meets_a_bad_record_writes_nothing(files: Path) -> None:
    lines = (files / "donations-2020.jsonl").read_text(encoding="utf-8").splitlines()
    lines.insert(2, '{"id": "g9", "value": {"amount": "1", "currency": "CNY"}}')
    (files / "donations.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = humanaid_("convert", "donations.jsonl", "out-donations.csv", cwd=files)
    assert result.returncode == 1
    assert "line 3 of donations.jsonl" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in files.iterdir() if "out" in p.name) == []


@settings(max_examples=25)
@given(st.lists(donations(), max_size=6, unique_by=lambda d: d.id))
def test_converting_json_lines_to_csv_and_parquet_and_back_gives_the_same_records(
    gifts: list[Donation],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_lines(d / "donations.jsonl", gifts)
        for source, target in [
            ("donations.jsonl", "donations.csv"),
            ("donations.csv", "donations.parquet"),
            ("donations.parquet", "out-donations.jsonl"),
        ]:
            assert main(["convert", str(d / source), str(d / target)]) == 0
        lines = (d / "out-donations.jsonl").read_text(encoding="utf-8").splitlines()
        assert [from_json(x, Donation) for x in lines] == gifts


def test_redact_pseudonymises_personal_data_the_same_way_with_the_same_key(files: Path) -> None:
    (files / "secret.key").write_text("0123456789abcdef0123456789abcdef\n", encoding="ascii")
    for out in ("public.json", "public-again.json"):
        result = humanaid_("redact", "society.json", out, "--key-file", "secret.key", cwd=files)
        assert result.returncode == 0, result.stderr
    text = (files / "public.json").read_text(encoding="utf-8")
    assert "张三" not in text
    assert "13800000000" not in text
    assert text == (files / "public-again.json").read_text(encoding="utf-8")
    redacted = from_json(text, Dataset)
    donor = redacted.get("donors", "p1")
    assert donor is not None
    assert (donor.name, donor.phone) == (None, None)
    assert redacted.donations == society().donations
    # one collection is streamed through, record by record
    (files / "donors.jsonl").write_text(
        "".join(to_json(d) + "\n" for d in society().donors), encoding="utf-8"
    )
    streamed = humanaid_(
        "redact", "donors.jsonl", "public-donors.jsonl", "--key-file", "secret.key", cwd=files
    )
    assert streamed.returncode == 0, streamed.stderr
    lines = (files / "public-donors.jsonl").read_text(encoding="utf-8").splitlines()
    assert [from_json(x, Donor) for x in lines] == list(redacted.donors)


# -- schema ----------------------------------------------------------------------------------------


def test_schema_prints_the_json_schema_of_a_record_or_a_dataset(files: Path) -> None:
    one = humanaid_("schema", "donations", cwd=files)
    assert one.returncode == 0
    assert json.loads(one.stdout)["title"] == "Donation"
    assert json.loads(humanaid_("schema", "Money", cwd=files).stdout)["title"] == "Money"
    whole = json.loads(humanaid_("schema", cwd=files).stdout)
    assert set(whole["properties"]) == {"name", *Dataset.collection_types()}


# -- the command itself ----------------------------------------------------------------------------


def test_the_command_is_a_console_script_and_python_m_humanaid(files: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"] == {"humanaid": "humanaid.cli:main"}
    result = humanaid_("--version", cwd=files)
    assert result.returncode == 0
    assert result.stdout.strip() == f"humanaid {humanaid.__version__}"
    usage = humanaid_("--help", cwd=files)
    for command in ("validate", "summary", "convert", "template", "redact", "schema"):
        assert command in usage.stdout
    wrong = humanaid_("frobnicate", cwd=files)
    assert wrong.returncode == 2
    assert "Traceback" not in wrong.stderr


def test_a_progress_bar_is_drawn_on_a_terminal_and_nowhere_else(files: Path) -> None:
    gifts = [
        Donation(
            id=f"g{i}",
            organization_id="qj",
            received_on=date(2020, 1, 1),
            value=Money("1"),
            no_receipt_reason=NoReceiptReason.ANONYMOUS,
        )
        for i in range(5000)
    ]
    write_lines(files / "donations.jsonl", gifts)
    piped = humanaid_("validate", "donations.jsonl", cwd=files)
    assert piped.returncode == 0
    assert piped.stderr == ""
    main_fd, terminal = pty.openpty()
    try:
        shown = humanaid_("validate", "donations.jsonl", cwd=files, stderr_to=terminal)
        os.close(terminal)
        drawn = _read_all(main_fd)
    finally:
        os.close(main_fd)
    assert shown.returncode == 0
    assert "reading donations.jsonl [" in drawn
    assert "100%" in drawn
    assert "checking" in drawn
    assert "rules" in drawn
    quiet = humanaid_("--no-progress", "validate", "donations.jsonl", cwd=files)
    assert quiet.stderr == ""


def _read_all(fd: int) -> str:
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")


def test_the_progress_bar_counts_without_a_total_and_wipes_its_line() -> None:
    out = io.StringIO()
    bar = ProgressBar("reading gifts.csv", unit="rows", stream=out, enabled=True)
    bar(2048, None)
    assert out.getvalue() == "\rreading gifts.csv  2,048 rows"
    bar.close()
    assert out.getvalue().endswith("\r" + " " * len("reading gifts.csv  2,048 rows") + "\r")
    silent = io.StringIO()
    ProgressBar("x", stream=silent)(1, 2)  # a StringIO is no terminal
    assert silent.getvalue() == ""


# -- workbooks and stores (humanaid.excel, humanaid.store) -----------------------------------------


@pytest.fixture
def workbooks() -> None:
    """Workbooks need the excel extra (in the test extra, so CI never skips)."""
    pytest.importorskip("openpyxl", reason="workbooks need the excel extra")
    pytest.importorskip("python_calamine", reason="workbooks need the excel extra")


@pytest.fixture
def stores() -> None:
    """Stores need the sql extra (in the test extra, so CI never skips)."""
    pytest.importorskip("sqlalchemy", reason="stores need the sql extra")


def test_a_workbook_round_trips_and_validates(files: Path, workbooks: None) -> None:
    made = humanaid_("convert", "society.json", "society.xlsx", cwd=files)
    assert made.returncode == 0, made.stderr
    checked = humanaid_("validate", "society.xlsx", cwd=files)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    back = humanaid_("convert", "society.xlsx", "back.json", cwd=files)
    assert back.returncode == 0, back.stderr
    assert from_json((files / "back.json").read_text(encoding="utf-8"), Dataset) == society()


def test_a_summary_and_a_template_are_written_as_workbooks(files: Path, workbooks: None) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    result = humanaid_(
        "summary", "fundraising", "society.json", "--period", "2020", "-o", "raised.xlsx",
        cwd=files,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert openpyxl.load_workbook(files / "raised.xlsx").sheetnames
    report = humanaid_(
        "summary", "report", "society.json", "--period", "2020", "--org", "qj",
        "-o", "report-2020.xlsx", cwd=files,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert len(openpyxl.load_workbook(files / "report-2020.xlsx").sheetnames) > 3
    template = humanaid_("template", "donations", "entry.xlsx", cwd=files)
    assert template.returncode == 0, template.stderr
    assert len(openpyxl.load_workbook(files / "entry.xlsx").sheetnames) >= 2
    no_output = humanaid_(
        "summary", "fundraising", "society.json", "--period", "2020", "--format", "xlsx",
        cwd=files,
    )  # fmt: skip
    assert_one_line_error(no_output)


def test_a_workbook_with_problems_is_located_cell_by_cell(files: Path, workbooks: None) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    assert humanaid_("convert", "society.json", "society.xlsx", cwd=files).returncode == 0
    book = openpyxl.load_workbook(files / "society.xlsx")
    sheet = next(s for s in book.worksheets if s.title.lower().startswith("donations"))
    headers = [c.value for c in sheet[1]]
    column = next(i for i, h in enumerate(headers) if str(h).startswith("received_on"))
    sheet.cell(row=2, column=column + 1).value = "not a date"
    book.save(files / "bad.xlsx")
    result = humanaid_("validate", "bad.xlsx", "--format", "json", cwd=files)
    assert result.returncode == 1
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["location"].startswith(f"{sheet.title}!")


def test_json_lines_go_into_a_store_and_come_back(files: Path, stores: None) -> None:
    into = humanaid_("convert", "donations-2020.jsonl", "society.db", cwd=files)
    assert into.returncode == 0, into.stderr
    for source in ("organizations.jsonl", "donors.csv"):
        assert humanaid_("convert", source, "society.db", cwd=files).returncode == 0
    checked = humanaid_("validate", "society.db", cwd=files)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    out = humanaid_(
        "convert", "society.db", "out-donations.jsonl", "--collection", "donations", cwd=files
    )
    assert out.returncode == 0, out.stderr
    lines = (files / "out-donations.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(from_json(x, Donation).id for x in lines) == ["g1", "g2", "g3"]
    summary = humanaid_("summary", "fundraising", "society.db", "--period", "2020", cwd=files)
    assert summary.returncode == 0, summary.stderr
    assert "Raised by donor kind, 2020" in summary.stdout


# -- the benchmark ---------------------------------------------------------------------------------


def test_the_cli_benchmark_runs_at_a_small_n_and_prints_every_row() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "cli.py"), "--n", "100"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        },
    )
    for label in (
        "convert JSON Lines -> JSON Lines",
        "convert JSON Lines -> CSV",
        "convert JSON Lines -> store",
        "validate",
    ):
        assert sum(line.startswith(label) for line in out.stdout.splitlines()) == 2, out.stdout


def test_a_changed_record_replaces_the_stored_one_only_when_asked(
    files: Path, stores: None
) -> None:
    assert humanaid_("convert", "donations-2020.jsonl", "society.db", cwd=files).returncode == 0
    again = humanaid_("convert", "donations-2020.jsonl", "society.db", cwd=files)
    assert again.returncode == 0, again.stderr  # the same records again: nothing changes
    assert "society.db: 0 added, 3 already there unchanged, 0 replaced" in again.stderr
    changed = [
        attrs.evolve(g, receipt_number="R1-fixed") if g.id == "g1" else g
        for g in society().donations
    ]
    write_lines(files / "fixed-donations.jsonl", changed)
    refused = humanaid_("convert", "fixed-donations.jsonl", "society.db", cwd=files)
    assert refused.returncode == 1
    assert "--replace" in refused.stderr
    assert "Traceback" not in refused.stderr
    replaced = humanaid_("convert", "fixed-donations.jsonl", "society.db", "--replace", cwd=files)
    assert replaced.returncode == 0, replaced.stderr
    assert "0 added, 2 already there unchanged, 1 replaced" in replaced.stderr
    out = humanaid_(
        "convert", "society.db", "out-donations.jsonl", "--collection", "donations", cwd=files
    )
    assert out.returncode == 0, out.stderr
    lines = (files / "out-donations.jsonl").read_text(encoding="utf-8").splitlines()
    stored = sorted((from_json(x, Donation) for x in lines), key=lambda g: g.id)
    assert stored == changed


def test_a_store_that_is_not_there_is_not_made_by_reading_it(files: Path, stores: None) -> None:
    result = humanaid_("validate", "nowhere.db", cwd=files)
    assert_one_line_error(result)
    assert not (files / "nowhere.db").exists()
