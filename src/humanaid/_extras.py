"""The one wording of the error raised when an optional dependency is missing.

Everything beyond attrs, cattrs and python-dateutil is an extra, imported by the first
function that needs it. Without it, that function raises the :class:`ImportError` made
here, which names what needed it, the missing module, and the extra to install, both
from a package index and from a clone of the source (humanaid is installed from a clone
until it is published):

>>> print(missing_extra("IATI export", "lxml", "iati"))
IATI export needs lxml: install the iati extra with pip install 'humanaid[iati]' (in a clone of the source: pip install -e '.[iati]')
>>> print(missing_extra("to_pandas", "pandas", "pandas,arrow"))
to_pandas needs pandas: install the pandas and arrow extras with pip install 'humanaid[pandas,arrow]' (in a clone of the source: pip install -e '.[pandas,arrow]')
"""  # noqa: E501

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["import_extra", "missing_extra"]


def missing_extra(what: str, module: str, extras: str, *, also: str = "") -> ImportError:
    """The error for ``what``, which needs ``module`` from the extra(s) ``extras``.

    Args:
        what: the function or feature that needed the module (``"to_polars"``).
        module: the top-level module that is missing (``"polars"``).
        extras: one extra, or several joined by commas (``"pandas,arrow"``).
        also: words added after the extra's name, before the command (``"or polars"``
            for a choice between extras).

    Returns:
        An :class:`ImportError` whose ``name`` is ``module``, to be raised ``from`` the
        original error.
    """
    names = extras.split(",")
    if len(names) == 1:
        which = f"the {names[0]} extra"
    else:
        which = f"the {', '.join(names[:-1])} and {names[-1]} extras"
    if also:
        which = f"{which} {also}"
    return ImportError(
        f"{what} needs {module}: install {which} with pip install 'humanaid[{extras}]' "
        f"(in a clone of the source: pip install -e '.[{extras}]')",
        name=module,
    )


def import_extra(module: str, what: str, extras: str, *, also: str = "") -> Any:
    """Import ``module`` (dotted names too), or raise :func:`missing_extra`'s error.

    >>> import_extra("email.utils", "reading mail", "none").__name__
    'email.utils'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing_extra(what, module.split(".")[0], extras, also=also) from exc
