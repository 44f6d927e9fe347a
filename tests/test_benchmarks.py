"""The benchmark script runs at a small N and prints every row, so it cannot rot.

It needs the ``bench`` extra (pydantic, msgspec, polars, pyarrow); CI installs it. No
figure is checked: a timing assertion would only measure the machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

ROWS = (
    "load JSON -> objects (gc paused)",
    "load JSON -> objects (gc running)",
    "dump objects -> JSON",
    "retained memory per donation",
    "peak memory while loading, per donation",
    "fundraising aggregation",
    "records -> Arrow",
    "Arrow -> records",
    "JSON Lines -> Arrow",
    "streaming aggregation, peak RSS",
)
TARGETS = (
    "load: humanaid / pydantic v2",
    "dump: humanaid / pydantic v2",
    "retained memory: humanaid / msgspec",
    "peak memory loading: humanaid / msgspec",
    "engine / hand-written loop",
    "engine per record",
    "streaming 10M lines, peak RSS",
)


def test_benchmark_runs_at_a_small_n_and_prints_every_row(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--n", "2000", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "N = 2,000 donations" in out
    for label in ROWS + TARGETS:
        lines = [line for line in out.splitlines() if line.startswith(label)]
        assert len(lines) == 1, f"row {label!r} missing from:\n{out}"
        assert len(lines[0].split("  ")) > 1, f"row {label!r} has no figures"
    for name in ("pydantic v2", "msgspec", "hand loop", "polars"):
        assert name in out
    assert "extrapolated from 2,000" in out


def test_engine_benchmark_and_its_diagnosis_run_at_a_small_n() -> None:
    def run(*extra: str) -> str:
        return subprocess.run(
            [sys.executable, str(BENCHMARKS / "engine.py"), "--n", "2000", "--repeat", "1", *extra],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout

    out = run().splitlines()
    for label, unit in (("engine ", "µs a record"), ("hand loop ", "µs a record"), ("ratio ", "x")):
        lines = [line for line in out if line.startswith(label)]
        assert len(lines) == 1, out
        assert unit in lines[0], out
    diagnosis = run("--diagnose").splitlines()
    rows = [line for line in diagnosis if line.endswith("µs a record")]
    assert len(rows) == 7, diagnosis
    assert rows[0].startswith("the summary (engine)")
    assert any("(in cache)" in row for row in rows)


def test_generator_writes_what_humanaid_itself_writes(tmp_path: Path) -> None:
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import generate, pathlib; "
        "from humanaid import Donation, Donor, Flow, Fund, from_json, to_json; "
        "paths = generate.write(pathlib.Path(sys.argv[2]), 500); "
        "types = {'donations': Donation, 'donors': Donor, 'funds': Fund, 'flows': Flow}; "
        "bad = [name for name, cls in types.items() "
        "for line in paths[name].read_text(encoding='utf-8').splitlines() "
        "if to_json(from_json(line, cls)) != line]; "
        "again = generate.write(pathlib.Path(sys.argv[2]) / 'again', 500); "
        "same = all(paths[k].read_bytes() == again[k].read_bytes() for k in paths); "
        "print(bad, same)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(BENCHMARKS), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[] True"


def test_columnar_benchmark_runs_at_a_small_n_and_its_contenders_agree(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "columnar.py"), "--n", "3000", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "N = 3,000 donations in 60 Parquet files" in out
    for contender in ("humanaid-duckdb", "humanaid-polars", "humanaid-dask", "polars-hand"):
        (line,) = [ln for ln in out.splitlines() if ln.startswith(contender)]
        assert line.endswith("yes"), line


def test_columnar_dataset_benchmark_runs_at_a_small_n_and_twins_equal_hand_queries(
    tmp_path: Path,
) -> None:
    only = "twin-fundraising-duckdb,hand-fundraising-polars,twin-relief-polars,hand-relief-polars"
    only += ",twin-results-duckdb,hand-results-polars,twin-top-donors-polars,hand-top-donors-polars"
    out = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "columnar.py"),
            "--dataset",
            "--n",
            "2000",
            "--data",
            str(tmp_path),
            "--only",
            only,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "N = 2,000 donations" in out
    for contender in only.split(","):
        (line,) = [ln for ln in out.splitlines() if ln.startswith(contender + " ")]
        assert line.endswith("yes"), line


STORE_ROWS = (
    "write N records",
    "read N records",
    "stream N records (total raised)",
    "peak memory writing",
    "peak memory reading",
    "peak memory streaming",
    "size on disk",
)


def test_store_benchmark_runs_at_a_small_n_and_reads_one_year_by_its_index(
    tmp_path: Path,
) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "store.py"), "--n", "2000", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "N = 2,000 donations, 2015 to 2020" in out
    for label in STORE_ROWS:
        lines = [line for line in out.splitlines() if line.startswith(label)]
        assert len(lines) == 1, f"row {label!r} missing from:\n{out}"
        assert len(lines[0].split("  ")) > 2, f"row {label!r} has no figures"
    assert "streamed totals agree                 yes" in out
    (year,) = [line for line in out.splitlines() if line.startswith("SQLite: ")]
    assert " rows of 2,000 read " in year
    # the year is found through the index on the day received, not by reading every row
    assert "plan: SEARCH donations USING INDEX donations_received_on" in out


def test_excel_benchmark_runs_at_a_small_n_and_reads_back_every_record(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "excel.py"), "--n", "500", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "N = 500 donations" in out
    for label in ("JSON Lines -> records", "records -> JSON Lines", "records -> xlsx"):
        lines = [line for line in out.splitlines() if line.startswith(label)]
        assert len(lines) == 1, out
        assert "µs" in lines[0], out
        assert "MiB" in lines[0], out
    assert "read back: 500 records, equal to the JSON Lines' records, no problem" in out
