"""The examples run and say what they promise (so they cannot rot)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(script: str) -> str:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return out.stdout


def test_quickstart_prints_the_reported_figures_and_findings() -> None:
    out = run("quickstart.py")
    assert "put in 4189万元, brought in 2308万元" in out
    assert "co-financing 5:3:2 -> 345万元, 207万元, 138万元" in out
    assert "ERROR integrity.duplicate-id [g1]" in out
    assert "ERROR integrity.missing-reference [village-7]" in out
    assert "$.grants[0].granted_on: is not a real date (got '2023-02-29')" in out
    assert "$.grants[0].by: is not a known field" in out
