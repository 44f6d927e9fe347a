"""Sphinx configuration for the humanaid documentation (built in CI with -W)."""

from __future__ import annotations

import humanaid

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
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
intersphinx_mapping: dict[str, tuple[str, None]] = {}
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_title = "humanaid"
suppress_warnings = ["ref.python"]
