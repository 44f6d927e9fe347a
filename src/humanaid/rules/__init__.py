"""The built-in dataset rules, by theme.

:data:`BUILTIN_RULES` is an immutable tuple: :meth:`humanaid.Dataset.validate` runs it
and then the caller's rules. Nothing here is a registry to mutate; to run more rules, pass
them to ``validate(rules=...)``.
"""

from __future__ import annotations

from typing import Final

from humanaid.findings import Rule
from humanaid.rules.integrity import duplicate_ids, missing_references

__all__ = ["BUILTIN_RULES", "duplicate_ids", "missing_references"]

BUILTIN_RULES: Final[tuple[Rule, ...]] = (
    # integrity
    duplicate_ids,
    missing_references,
    # fundraising (rules/fundraising.py)
    # funds and the ledger (rules/funds.py)
    # beneficiaries and cases (rules/beneficiaries.py)
    # projects (rules/projects.py)
    # revolving funds (rules/revolving.py)
)
"""Every rule :meth:`Dataset.validate` runs by default, in order."""
