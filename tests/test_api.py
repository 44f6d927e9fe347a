"""The public face: every name exported, sorted, documented and in the API reference."""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import humanaid
import humanaid.aggregate
import humanaid.testing
from builders import apiref

DOCS = Path(__file__).resolve().parent.parent / "docs"


_apiref = apiref


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
    # The reference is written from __all__ when the docs are built; constants are
    # documented where they are defined (humanaid.money.MAX_AMOUNT), so that autodoc
    # finds their docstrings, everything else by its public name.
    text = _apiref().api_reference()
    documented = _apiref().documented_names(text)
    missing = [
        name
        for name in humanaid.__all__
        if f"humanaid.{name}" not in documented
        and not any(path.endswith(f".{name}") for path in documented)
    ]
    assert not missing, f"not in the API reference: {missing}"
    assert "humanaid.testing.donations" in documented
    assert (DOCS / "reference.rst").read_text(encoding="utf-8").count(".. humanaid-api::") == 1


def test_the_face_is_grouped_by_concept() -> None:
    groups = _apiref().face_groups()
    assert [g.title for g in groups] == [
        "Money and periods",
        "Records and findings",
        "Organisations and donors",
        "Funds",
        "Beneficiaries and cases",
        "Projects",
        "Seed funds",
        "Volunteers, members and service sites",
        "Red Cross services",
        "Dataset and rules",
        "Figures",
        "Tables and reported figures",
        "Exchange",
        "Version",
    ]
    names = [name for g in groups for name in g.names]
    assert sorted(names) == sorted(humanaid.__all__)  # every name in exactly one group
    assert all(g.summary.endswith(".") for g in groups)


MOVED_TO_AGGREGATE = [
    "SHARE_PLACES",
    "area_key",
    "count",
    "distinct",
    "field_between",
    "field_is",
    "growth",
    "lookup_key",
    "parent_map",
    "period_key",
    "shares",
    "sort_key",
    "sum_of",
    "total",
]


@pytest.mark.parametrize("name", MOVED_TO_AGGREGATE)
def test_the_aggregation_verbs_live_in_their_room(name: str) -> None:
    assert name not in humanaid.__all__
    assert name in humanaid.aggregate.__all__
    # the old path works for one release, and says where the name went
    with pytest.deprecated_call(match=rf"humanaid\.{name} is now humanaid\.aggregate\.{name}"):
        old = getattr(humanaid, name)
    assert old is getattr(humanaid.aggregate, name)


def test_from_humanaid_import_of_a_moved_name_warns_and_works() -> None:
    namespace: dict[str, Any] = {}
    with pytest.deprecated_call(match="humanaid.total is now humanaid.aggregate.total"):
        exec("from humanaid import total", namespace)
    assert namespace["total"] is humanaid.aggregate.total


def test_a_name_the_face_never_had_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'humanaid' has no attribute 'totals'"):
        _ = humanaid.totals
    assert not hasattr(humanaid, "__wrapped__")


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

    code = (
        "import sys, humanaid; "
        "bad = [m for m in ('hypothesis', 'pandas', 'pyarrow', 'lxml', 'matplotlib') "
        "if m in sys.modules]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
