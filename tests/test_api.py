"""The public face: every name exported, sorted, documented and in the API reference."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import humanaid
import humanaid.testing

DOCS = Path(__file__).resolve().parent.parent / "docs"
REFERENCE = (DOCS / "reference.rst").read_text(encoding="utf-8")


def _isort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    assert list(humanaid.__all__) == sorted(humanaid.__all__, key=_isort_key)
    for name in humanaid.__all__:
        assert hasattr(humanaid, name), name


def test_every_public_name_has_a_docstring() -> None:
    for name in humanaid.__all__:
        obj = getattr(humanaid, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert inspect.getdoc(obj), f"humanaid.{name} has no docstring"
    for name in humanaid.testing.__all__:
        assert inspect.getdoc(getattr(humanaid.testing, name)), name


def test_every_public_name_is_in_the_api_reference() -> None:
    # Constants are documented where they are defined (humanaid.money.MAX_AMOUNT), so that
    # autodoc finds their docstrings; everything else by its public name.
    documented = set(re.findall(r"\.\. auto\w+:: humanaid\.(?:[\w.]+\.)?(\w+)$", REFERENCE, re.M))
    missing = set(humanaid.__all__) - documented
    assert not missing, f"not in docs/reference.rst: {sorted(missing)}"
    assert ".. automodule:: humanaid.testing" in REFERENCE


def test_public_classes_and_functions_say_where_they_live() -> None:
    for name in humanaid.__all__:
        obj = getattr(humanaid, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__.startswith("humanaid"), name


def test_version_is_a_string() -> None:
    assert isinstance(humanaid.__version__, str)
    assert re.match(r"\d+\.\d+", humanaid.__version__)


def test_importing_humanaid_does_not_import_hypothesis_or_heavy_extras() -> None:
    import subprocess
    import sys

    code = (
        "import sys, humanaid; "
        "bad = [m for m in ('hypothesis', 'pandas', 'pyarrow', 'lxml', 'matplotlib') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
