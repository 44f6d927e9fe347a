"""Sphinx configuration for the humanaid documentation (built in CI with -W)."""

from __future__ import annotations

import sys
from pathlib import Path

import humanaid

# docs/_ext/apiref.py writes the API reference and the tables of codes from the code.
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

# The picture of concepts/counting.rst is drawn from the library at every build (into
# _build/figures/, which git ignores): docs/counting_picture.py, with matplotlib.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import counting_picture

counting_picture.draw()

project = "humanaid"
author = "humanaid contributors"
copyright = "2026, humanaid contributors"
release = humanaid.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "myst_nb",
    "apiref",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
intersphinx_mapping: dict[str, tuple[str, None]] = {}
nitpicky = False
exclude_patterns = ["_build", "jupyter_execute", "tutorial_data"]
html_theme = "alabaster"
html_title = "humanaid"
suppress_warnings = ["ref.python"]

# The tutorial notebook (tutorial.ipynb) is rendered by myst-nb with the outputs stored in it:
# the build does not run it (tests/test_tutorial.py runs it and checks the stored outputs are
# there and equal a fresh run; `python tests/test_tutorial.py` refreshes them), so the docs
# need no kernel and stay fast. Markdown pages are not used: only notebooks.
source_suffix = {".rst": "restructuredtext", ".ipynb": "myst-nb"}
nb_execution_mode = "off"
nb_execution_raise_on_error = True
nb_merge_streams = True
