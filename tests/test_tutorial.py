"""The tutorial notebook (docs/tutorial.ipynb) runs from top to bottom and shows the right things.

The notebook is executed afresh with nbclient in a ``python3`` kernel, run by the same
interpreter as the tests, with ``docs/`` as its working directory (it reads
``tutorial_data/``). Nothing is written back to the notebook file by the tests.

The documentation renders the outputs stored in the notebook (myst-nb, without running it),
so the tests also check that the stored outputs are there and are the ones the notebook gives
today. When the library's output changes, refresh them with::

    .venv/bin/python tests/test_tutorial.py
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from checks import assert_shown

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

DOCS = Path(__file__).resolve().parent.parent / "docs"
NOTEBOOK = DOCS / "tutorial.ipynb"
KERNEL = "python3"


def _install_kernel() -> str:
    """The ``python3`` kernel, installed into this interpreter's prefix if it is missing.

    jupyter_client runs a kernel whose command starts with ``python`` with
    ``sys.executable``, so the notebook sees the same humanaid as the tests.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL)
    except NoSuchKernel:
        from ipykernel.kernelspec import install

        install(user=False, prefix=sys.prefix, kernel_name=KERNEL)
    return KERNEL


def _execute(kernel_name: str) -> Any:
    """The stored notebook with its outputs cleared, then every cell run from the top."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    client = nbclient.NotebookClient(
        notebook,
        timeout=60,
        kernel_name=kernel_name,
        record_timing=False,
        resources={"metadata": {"path": str(DOCS)}},
    )
    client.execute()
    return notebook


@pytest.fixture(scope="module")
def kernel_name() -> str:
    return _install_kernel()


@pytest.fixture(scope="module")
def executed(kernel_name: str) -> Any:
    """The notebook after running every cell."""
    with pytest.MonkeyPatch.context() as env:
        # The platform's standard directories (and so no warning from jupyter_core).
        env.setenv("JUPYTER_PLATFORM_DIRS", "1")
        return _execute(kernel_name)


def _code_cells(notebook: Any) -> list[Any]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def _text(cell: Any) -> str:
    """Everything a cell printed or displayed as text."""
    parts: list[str] = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/html", output.data.get("text/plain", "")))
    return "".join(parts)


def _all_text(notebook: Any) -> str:
    return "\n".join(_text(cell) for cell in _code_cells(notebook))


@pytest.fixture(scope="module")
def notebook_text(executed: Any) -> str:
    """Everything the executed notebook printed or displayed as text."""
    return _all_text(executed)


def test_tutorial_runs_without_errors(executed: Any) -> None:
    for cell in _code_cells(executed):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell failed:\n{cell.source}\n{errors}"
        assert cell.execution_count is not None


def test_tutorial_reports_the_bad_csv_row_with_row_and_column(notebook_text: str) -> None:
    assert_shown(
        notebook_text,
        "CsvRead(16 records from 17 rows, 1 problems in 1 rows)",
        "row 8, column 'received_on': is not a real date (got '2021-02-30')",
        "CsvRead(17 records from 17 rows, 0 problems in 0 rows)",
    )


def test_tutorial_reports_json_problems_with_their_paths(notebook_text: str) -> None:
    assert_shown(
        notebook_text,
        "2 problems in the input:",
        "$.donors[0].kind: must be one of",
        "$.donors[0].nmae: is not a known field",
    )


def test_tutorial_shows_the_findings_then_none(notebook_text: str) -> None:
    assert_shown(
        notebook_text,
        "2 findings (2 errors):",
        "ERROR fundraising.missing-receipt [g16]",
        "ERROR integrity.missing-reference [g11]",
        "no findings",
    )


def test_tutorial_summarises_the_year(notebook_text: str) -> None:
    assert_shown(
        notebook_text,
        "<caption>Raised by donor kind, 2021</caption>",
        "<caption>Raised by channel, 2021</caption>",
        "募捐款物8.86万元，17笔 (raised: 17 gifts from 12 donors)",
    )


def test_tutorial_draws_one_chart(executed: Any) -> None:
    images = [
        o
        for cell in _code_cells(executed)
        for o in cell.outputs
        if "data" in o and "image/png" in o.data
    ]
    assert len(images) == 1


def test_tutorial_publishes_with_small_cells_suppressed(notebook_text: str) -> None:
    assert_shown(
        notebook_text,
        "note: counts below 5 are left blank",
        "individual,0.55,0,0,11,8",
        "enterprise,,,,,",
        "foundation,,,,,",
    )
    # The personal name of the late donor never reaches an output.
    assert "周强" not in notebook_text


def test_tutorial_is_stored_without_errors() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert notebook.metadata["kernelspec"]["name"] == KERNEL
    for cell in _code_cells(notebook):
        assert all(o.output_type != "error" for o in cell.outputs)


def _shown(cell: Any) -> list[tuple[str, Any]]:
    """A cell's outputs as the docs show them; a PNG counts only as being there.

    The PNG's bytes depend on the matplotlib and FreeType versions, so they are not compared.
    A kernel may send one print as several chunks of a stream (it does on a busy machine);
    the page shows them as one text, so they are compared as one.
    """
    shown: list[tuple[str, Any]] = []
    for output in cell.outputs:
        if output.output_type == "stream":
            if shown and shown[-1][0] == output.name:
                shown[-1] = (output.name, shown[-1][1] + output.text)
                continue
            shown.append((output.name, output.text))
        elif "data" in output:
            data = {
                mime: "<png>" if mime == "image/png" else value
                for mime, value in output.data.items()
            }
            shown.append((output.output_type, data))
        else:
            shown.append((output.output_type, output.get("ename")))
    return shown


def test_stored_notebook_has_what_the_docs_render() -> None:
    # The docs show the stored outputs: an empty or half-run notebook would render silently.
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cells = _code_cells(notebook)
    assert [cell.execution_count for cell in cells] == list(range(1, len(cells) + 1))
    # Every cell shows something, except the first one, which only imports.
    for cell in cells[1:]:
        assert cell.outputs, f"no stored output for cell:\n{cell.source}"
    data = [o.data for cell in cells for o in cell.outputs if "data" in o]
    tables = [d["text/html"] for d in data if "<table" in d.get("text/html", "")]
    assert len(tables) == 2
    assert sum("image/png" in d for d in data) == 1


def test_stored_outputs_are_what_the_notebook_gives_today(executed: Any) -> None:
    stored = _code_cells(nbformat.read(NOTEBOOK, as_version=4))
    fresh = _code_cells(executed)
    assert len(stored) == len(fresh)
    for old, new in zip(stored, fresh, strict=True):
        assert _shown(old) == _shown(new), (
            f"stored outputs are out of date for cell:\n{old.source}\n"
            "refresh them with: .venv/bin/python tests/test_tutorial.py"
        )


def refresh() -> None:
    """Run the notebook and store its outputs in docs/tutorial.ipynb (for the docs)."""
    os.environ["JUPYTER_PLATFORM_DIRS"] = "1"
    notebook = _execute(_install_kernel())
    nbformat.validate(notebook)
    nbformat.write(notebook, NOTEBOOK)
    print(f"refreshed the outputs stored in {NOTEBOOK}")


if __name__ == "__main__":
    refresh()
