"""The README's examples run as written."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_run() -> None:
    result = doctest.testfile(
        str(README),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.attempted > 0
    assert result.failed == 0


def test_readme_module_map_matches_src() -> None:
    src = README.parent / "src" / "humanaid"
    text = README.read_text(encoding="utf-8")
    modules = {p.name for p in src.glob("*.py") if p.name != "__init__.py"}
    modules |= {p.name + "/" for p in src.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    for module in modules:
        assert f"`{module}`" in text, f"{module} is missing from the README's module map"
    # and the map names no module that is gone
    section = text.split("## Module map", 1)[1].split("\n## ", 1)[0]
    for row in section.splitlines():
        if row.startswith("| ") and not row.startswith(("| layer", "| face")):
            named = row.split("|")[2].strip().strip("`")
            assert (src / named).exists(), f"the module map names {named}, which is not in src"


def test_every_example_is_listed_and_tested() -> None:
    text = README.read_text(encoding="utf-8")
    tested = (README.parent / "tests" / "test_examples.py").read_text(encoding="utf-8")
    examples = README.parent / "examples"
    scripts = [*examples.glob("*.py"), *examples.glob("*/report.py")]  # a case study's script
    scripts = [s for s in scripts if not s.name.startswith("_")]  # a helper they share
    assert scripts
    for example in sorted(scripts):
        name = example.relative_to(examples).as_posix()
        assert f"`{name}`" in text, f"{name} is missing from the README"
        assert f'"{name}"' in tested, f"{name} is not run by test_examples.py"
