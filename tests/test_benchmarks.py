"""The benchmark script runs at a small N and prints every row, so it cannot rot.

It needs the ``bench`` extra (pydantic, msgspec, polars, pyarrow); CI installs it. No
figure is checked: a timing assertion would only measure the machine.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

CONTENDERS = (
    "humanaid",
    "humanaid, no accelerator",
    "pydantic tuned",
    "pydantic lean",
    "msgspec tuned",
    "msgspec lean",
    "untyped floor (msgspec to dicts)",
)
ROWS = (
    "retained memory per donation",
    "peak memory while loading, per donation",
    "fundraising aggregation",
    "records -> Arrow",
    "Arrow -> records",
    "JSON Lines -> Arrow",
    "streaming aggregation, peak RSS",
)
SPEED_TARGETS = (
    "load: humanaid / pydantic tuned",
    "load: humanaid / msgspec lean",
    "load, spaced: humanaid / pydantic tuned",
    "load, spaced: humanaid / msgspec lean",
    "dump: humanaid / pydantic tuned",
)
TARGETS = (
    *SPEED_TARGETS,
    "retained memory: humanaid / msgspec tuned",
    "peak memory loading: humanaid / msgspec tuned",
    "engine / hand-written loop",
    "engine per record",
    "streaming 10M lines, peak RSS",
)


def rows_of(out: str, labels: tuple[str, ...]) -> None:
    for label in labels:
        lines = [line for line in out.splitlines() if line.startswith(label + "  ")]
        assert len(lines) == 1, f"row {label!r} missing from:\n{out}"
        assert len(lines[0].split("  ")) > 1, f"row {label!r} has no figures"


def test_benchmark_runs_at_a_small_n_and_prints_every_row(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "run.py"), "--n", "2000", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "N = 2,000 donations" in out
    rows_of(out, CONTENDERS + ROWS + TARGETS)
    for name in ("pydantic tuned", "msgspec tuned", "hand loop", "polars", "load, spaced"):
        assert name in out
    assert "extrapolated from 2,000" in out
    assert "interleaved rounds, collector paused for all" in out


def test_the_speed_rounds_run_alone_with_the_collector_running(tmp_path: Path) -> None:
    out = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "run.py"),
            "--n",
            "500",
            "--repeat",
            "2",
            "--gc",
            "running",
            "--speed-only",
            "--data",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    rows_of(out, CONTENDERS + SPEED_TARGETS)
    assert "best-worst of 2 interleaved rounds, collector running for all" in out
    assert "retained memory" not in out


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
    only += ",twin-reach-duckdb,hand-reach-polars,twin-boundary-dask,hand-boundary-polars"
    only += ",twin-glance-polars,hand-glance-polars,twin-results-dask"
    only += ",twin-medical-duckdb,twin-medical-polars,hand-medical-polars"
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


def test_arrow_benchmark_runs_at_a_small_n_and_checks_its_results() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "arrow.py"), "--n", "500", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "N = 500 donations" in out
    for label in (
        "records -> Arrow, column-wise",
        "Arrow -> records, column-wise",
        "Arrow -> ArrowRecords, checked and read once",
        "JSON Lines -> Arrow, column-wise",
        "pyarrow.json.read_json (anchor)",
        "JSON Lines -> Arrow / pyarrow.json",
        "in blocks / pyarrow.json",
        "streamed to Parquet",
        "load average",
    ):
        assert label in out, f"{label!r} missing from:\n{out}"


def test_arrow_benchmark_compares_trees_in_child_processes(tmp_path: Path) -> None:
    """``--trees``: each ``src`` in a child process of its own; the child checks that a
    view goes back to Arrow as the table it was made of."""
    import humanaid

    src = str(Path(humanaid.__file__).resolve().parents[1])
    args = ["--n", "300", "--repeat", "1", "--data", str(tmp_path), "--trees", src, src]
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "arrow.py"), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "N = 300 donations" in out
    for label in ("ArrowRecords(table) µs", "to_arrow(view) µs", "new/old pa.array floor"):
        assert label in out, f"{label!r} missing from:\n{out}"


def test_scaling_benchmark_runs_at_tiny_sizes_and_prints_every_step() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "scaling.py"), "--sizes", "300", "600", "--repeat", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "load average" in out
    for step in ("validate()", "ledger + every fund's balance", "year_at_a_glance",
                 "portfolio_report"):  # fmt: skip
        (line,) = [line for line in out.splitlines() if line.startswith(step)]
        assert line.count(" s") == 2, line  # a time for each size
        assert "x)" in line, line  # and the growth from the first to the second


def test_ledger_benchmark_runs_at_a_small_n() -> None:
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "ledger.py"), "--n", "300", "--n", "3000", "--columnar"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    for label in (
        "ledger derivation + every fund's balance",
        "year_at_a_glance (findings kept)",
        "boundary_totals ",
        "boundary_totals, columnar twin",
        "year_at_a_glance, columnar twin",
        "hand-written polars",
    ):
        lines = [line for line in out.splitlines() if line.startswith(label)]
        assert len(lines) == 1, f"row {label!r} missing from:\n{out}"
        assert " s" in lines[0], lines[0]
    assert "growth per 10x" in out
    assert "load average" in out


def test_ledger_benchmark_of_the_books_runs_at_a_small_n() -> None:
    # project_summary and revolving_summary: twins, records and polars by hand agree
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "ledger.py"), "--n", "2000", "--books"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    for label in (
        "project_summary, twin, DuckDB",
        "project_summary, twin, polars",
        "project_summary, records",
        "project_summary figures, polars by hand",
        "revolving_summary, twin, DuckDB",
        "revolving_summary, records",
        "revolving_summary figures, polars by hand",
    ):
        lines = [line for line in out.splitlines() if line.startswith(label)]
        assert len(lines) == 1, f"row {label!r} missing from:\n{out}"
        assert lines[0].endswith("yes"), lines[0]
    assert "load average after" in out


# -- issue 19: a hundred million donations (generate_parquet.py, hundred_million.py) -------------


def test_parquet_generator_writes_valid_donations_in_the_dataset_layout(tmp_path: Path) -> None:
    def generate(out: Path, seed: int) -> str:
        return subprocess.run(
            [
                *(sys.executable, str(BENCHMARKS / "generate_parquet.py"), "--n", "20000"),
                *("--out", str(out), "--seed", str(seed), "--donors", "2000"),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        ).stdout

    assert "20,000 donations in 50 Parquet files" in generate(tmp_path / "a", 7)
    generate(tmp_path / "b", 7)
    generate(tmp_path / "c", 8)
    pq = pytest.importorskip("pyarrow.parquet")
    from humanaid import Donation
    from humanaid.interop.arrow import arrow_schema
    from humanaid.interop.columnar import scan

    a, b, c = (tmp_path / d for d in "abc")
    files = sorted(f.relative_to(a).as_posix() for f in a.rglob("*.parquet"))
    assert len(files) == 50  # ten years by five organisations
    assert files[0] == "year=2015/organization=org-0/part-0.parquet"
    # the same seed gives the same bytes, another seed others
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    assert any((a / f).read_bytes() != (c / f).read_bytes() for f in files)
    assert all(pq.read_schema(a / f).equals(arrow_schema(Donation)) for f in files)
    counts: Counter[str] = Counter()
    for gift in scan(a, Donation):  # every record rebuilt by from_arrow, so validated
        counts["gifts"] += 1
        counts[gift.channel.value] += 1
        counts[gift.form.value] += 1
        counts["anonymous"] += gift.donor_id is None
        counts["fees"] += gift.fees.is_positive()
        counts["campaign"] += gift.campaign_id is not None
        counts[str(gift.received_on.year)] += 1
        folder = f"year={gift.received_on.year}/organization={gift.organization_id}/"
        counts["elsewhere"] += not any(f.startswith(folder) for f in files)
    assert counts["gifts"] == 20_000
    assert counts["elsewhere"] == 0  # each gift is in its year's and organisation's folder
    assert all(counts[str(year)] > 0 for year in range(2015, 2025))
    for channel in ("online_platform", "bank_transfer", "offline", "via_special_fund"):
        assert counts[channel] > 500, counts
    assert 0 < counts["in_kind"] < counts["cash"]
    assert 0 < counts["anonymous"] < counts["gifts"] // 4
    assert counts["fees"] > 0
    assert counts["campaign"] > 0


def test_hundred_million_script_runs_at_a_small_n_and_the_twin_equals_the_hand_queries(
    tmp_path: Path,
) -> None:
    out = subprocess.run(
        [
            *(sys.executable, str(BENCHMARKS / "hundred_million.py"), "--n", "20000"),
            *("--data", str(tmp_path / "gifts")),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    ).stdout
    assert "N = 20,000 donations in 50 Parquet files" in out
    for contender in (
        "twin-duckdb-summary",
        "duckdb-hand-summary",
        "polars-hand-summary",
        "twin-duckdb-plain-summary",
        "twin-duckdb-top",
        "duckdb-hand-top",
        "polars-hand-top",
        "twin-duckdb-kind",
        "duckdb-hand-kind",
        "twin-dask-summary",
        "dask-by-year-summary",
    ):
        (line,) = [ln for ln in out.splitlines() if ln.startswith(contender + " ")]
        assert " MiB " in line, line
        assert line.endswith(" yes"), line


def test_construction_benchmark_runs_at_a_small_n_beside_another_tree() -> None:
    src = BENCHMARKS.parent / "src"
    out = subprocess.run(
        [
            sys.executable,
            str(BENCHMARKS / "construct.py"),
            *("--n", "300", "--repeat", "1", "--tree", str(src)),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    for step in ("Donation(...)", "from_dict", "load, no accelerator"):
        rows = [line for line in out.splitlines() if line.startswith(step + "  ")]
        assert len(rows) == 1, out
        assert rows[0].rstrip().endswith("x"), out  # a figure for each tree and their ratio
