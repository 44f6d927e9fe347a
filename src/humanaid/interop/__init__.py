"""Bridges to other tools, each an optional extra imported only when used.

* :mod:`humanaid.interop.arrow` (extra ``arrow``): records to Apache Arrow tables and
  back, exactly, and JSON Lines straight into Arrow, so that DuckDB, Polars, pandas or a
  distributed engine can take over data beyond one machine's memory.
* :mod:`humanaid.interop.iati` (extra ``iati``) and :mod:`humanaid.interop.hxl`: projects
  as IATI 2.03 activities; 3W/4W and funding tables as HXL CSV.

Importing :mod:`humanaid` or this package never imports an extra's heavy dependency: it
is loaded by the first function that needs it, and its absence is an ``ImportError``
naming the extra to install.
"""

from __future__ import annotations

__all__: list[str] = []
