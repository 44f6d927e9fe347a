"""Integrity rules that hold for every dataset: unique ids and references that resolve."""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

import attrs

from humanaid.findings import Finding, Severity
from humanaid.records import references

if TYPE_CHECKING:
    from humanaid.dataset import Dataset

__all__ = ["duplicate_ids", "missing_references"]

_ID = operator.attrgetter("id")


def _has_ids(dataset: Dataset, name: str) -> bool:
    """Whether the records of a collection have an ``id`` (a user's link table may not)."""
    record_type = dataset.collection_types()[name]
    return attrs.has(record_type) and "id" in attrs.fields_dict(record_type)


def duplicate_ids(dataset: Dataset) -> Iterator[Finding]:
    """Report every id used by more than one record of the same collection.

    Rule code ``integrity.duplicate-id``, severity ERROR, one finding per id.
    """
    for name, records in dataset:
        if not _has_ids(dataset, name):
            continue
        # The index keeps one record an id, and is shared with the rules that read it
        # (the million donations' among them): as long as the records, no id is twice.
        if len(dataset.index(name)) == len(records):
            continue
        counts = Counter(map(_ID, records))
        for id_, n in counts.items():
            if n > 1:
                yield Finding(
                    rule="integrity.duplicate-id",
                    severity=Severity.ERROR,
                    subject=id_,
                    message=f"{n} records in {name!r} share the id {id_!r}",
                    figures={"collection": name, "count": n},
                )


def missing_references(dataset: Dataset) -> Iterator[Finding]:
    """Report every reference to a record that is not in the dataset.

    Reference fields are declared with :func:`humanaid.records.ref_field`; a reference of
    ``None`` (an optional one left empty) is fine. Rule code
    ``integrity.missing-reference``, severity ERROR.
    """
    types_ = dataset.collection_types()
    for name, records in dataset:
        if not records:
            continue
        refs = references(types_[name])
        for field, target in refs.items():
            if target not in types_:
                continue  # the record refers to a collection this dataset class lacks
            if not _has_ids(dataset, target):
                continue
            known = dataset.index(target)
            # each distinct value looked up once; the records walked only if one is unknown
            values = set(map(operator.attrgetter(field), records))
            unknown = {v for v in values if v is not None and v not in known}
            if not unknown:
                continue
            # the few unknown values found again among the values, read at C speed
            rows = records if isinstance(records, tuple) else tuple(records)
            for i, value in enumerate(map(operator.attrgetter(field), rows)):
                if value not in unknown:
                    continue
                record = rows[i]
                subject = getattr(record, "id", None)
                who = f"{name} {subject!r}" if subject is not None else f"{name}[{i}]"
                yield Finding(
                    rule="integrity.missing-reference",
                    severity=Severity.ERROR,
                    subject=subject,
                    message=f"{who} refers in {field!r} to {value!r}, which is not in {target!r}",
                    figures={"collection": name, "field": field, "target": target},
                )
