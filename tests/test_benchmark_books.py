"""``benchmarks/books.py`` runs at a small N and its contenders agree, so it cannot rot.

No figure is checked: a timing assertion would only measure the machine. Each tree's
child must give the same table digest for every contender, and each contender's shared
figures must equal its hand query's (the script exits non-zero otherwise).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("polars")

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SRC = Path(__file__).resolve().parent.parent / "src"


def _contenders() -> tuple[str, ...]:
    """The script's own list of contenders (every one must be timed in both trees)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("books_benchmark", BENCHMARKS / "books.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    contenders: tuple[str, ...] = module.CONTENDERS
    assert len(contenders) == 8
    return contenders


def test_books_benchmark_runs_at_a_small_n_and_the_trees_agree() -> None:
    # this tree twice (as "old" and "new"): two children, every contender in both
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / "books.py"), "--n", "2000", "--repeat", "1",
         "--baseline", str(SRC)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout  # fmt: skip
    for label in _contenders():
        for tree in ("old", "new"):
            lines = [ln for ln in out.splitlines() if ln.startswith(f"{label:<52}{tree}")]
            assert len(lines) == 1, f"row {label!r} ({tree}) missing from:\n{out}"
            assert lines[0].endswith("yes"), lines[0]
    assert out.count("load average") == 3
