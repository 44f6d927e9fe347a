"""humanaid: a typed model of humanitarian aid programmes.

Donors and donations, funds and the money that flows through them, aid cases and
beneficiaries, programmes and projects, and the village seed funds that lend and are
repaid: records that check themselves as they are made, datasets checked against the
rules an aid society must follow, and the figures reports ask for.

>>> import humanaid
>>> humanaid.Money.parse("989.32万元").format(unit="万元")
'989.32万元'

Every public name is importable from here; the submodules are the rooms behind this
face. :mod:`humanaid.testing` (Hypothesis strategies) needs the ``test`` extra and is
imported on its own.
"""

from humanaid._version import __version__
from humanaid.dataset import Dataset, collection, validate
from humanaid.errors import CurrencyMismatch, InvalidInput, Problem, format_path
from humanaid.findings import Figure, Finding, Findings, Rule, Severity
from humanaid.money import DEFAULT_CURRENCY, MAX_AMOUNT, Money, Rounding, known_currencies
from humanaid.periods import Frequency, Granularity, Period, due_dates
from humanaid.records import (
    date_field,
    enum_field,
    id_field,
    money_field,
    non_empty_text,
    non_negative,
    pii_field,
    pii_field_names,
    positive,
    ref_field,
    references,
    tuple_field,
)
from humanaid.rules import BUILTIN_RULES
from humanaid.serialize import from_dict, from_json, make_converter, to_dict, to_json

__all__ = [
    "BUILTIN_RULES",
    "DEFAULT_CURRENCY",
    "MAX_AMOUNT",
    "CurrencyMismatch",
    "Dataset",
    "Figure",
    "Finding",
    "Findings",
    "Frequency",
    "Granularity",
    "InvalidInput",
    "Money",
    "Period",
    "Problem",
    "Rounding",
    "Rule",
    "Severity",
    "__version__",
    "collection",
    "date_field",
    "due_dates",
    "enum_field",
    "format_path",
    "from_dict",
    "from_json",
    "id_field",
    "known_currencies",
    "make_converter",
    "money_field",
    "non_empty_text",
    "non_negative",
    "pii_field",
    "pii_field_names",
    "positive",
    "ref_field",
    "references",
    "to_dict",
    "to_json",
    "tuple_field",
    "validate",
]
