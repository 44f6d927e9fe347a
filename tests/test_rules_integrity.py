"""The integrity rules checked value by value against their record-by-record definitions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import attrs
from hypothesis import event, given
from hypothesis import strategies as st

from humanaid import Dataset, Finding, Fund, Organization, OrgLevel, Severity
from humanaid.records import references
from humanaid.rules import duplicate_ids, missing_references
from humanaid.testing import donations, donors, funds, organizations

_IDS = st.sampled_from(["a", "b", "c", "d"])


@st.composite
def tangled(draw: st.DrawFn) -> Dataset:
    """Donors, funds, organisations and gifts whose ids repeat and references may dangle."""

    def some(strategy: st.SearchStrategy[Any], **refs: st.SearchStrategy[Any]) -> Any:
        drawn = draw(st.lists(strategy, max_size=6))
        return tuple(attrs.evolve(r, id=draw(_IDS), **{k: draw(v) for k, v in refs.items()})
                     for r in drawn)  # fmt: skip

    return Dataset(
        organizations=some(organizations(), parent_id=st.none()),
        donors=some(donors()),
        funds=some(funds(), organization_id=_IDS),
        # every gift names a fund (a gift via a special fund must)
        donations=some(donations(), donor_id=st.none() | _IDS, organization_id=_IDS, fund_id=_IDS),
    )


def _duplicate_ids_record_by_record(dataset: Dataset) -> Iterator[Finding]:
    # the definition: every collection's ids counted, each id used twice reported
    for name, records in dataset:
        counts = Counter(r.id for r in records)
        for id_, n in counts.items():
            if n > 1:
                yield Finding(
                    rule="integrity.duplicate-id",
                    severity=Severity.ERROR,
                    subject=id_,
                    message=f"{n} records in {name!r} share the id {id_!r}",
                    figures={"collection": name, "count": n},
                )


def _missing_references_record_by_record(dataset: Dataset) -> Iterator[Finding]:
    # the definition: every reference of every record looked up in its collection
    types_ = dataset.collection_types()
    for name, records in dataset:
        for field, target in references(types_[name]).items():
            if target not in types_:
                continue
            known = dataset.index(target)
            for record in records:
                value = getattr(record, field)
                if value is None or value in known:
                    continue
                yield Finding(
                    rule="integrity.missing-reference",
                    severity=Severity.ERROR,
                    subject=record.id,
                    message=(
                        f"{name} {record.id!r} refers in {field!r} to {value!r}, which is "
                        f"not in {target!r}"
                    ),
                    figures={"collection": name, "field": field, "target": target},
                )


@given(tangled())
def test_duplicate_ids_found_from_distinct_ids_are_those_counted_over_all_records(
    ds: Dataset,
) -> None:
    found = list(duplicate_ids(ds))
    assert found == list(_duplicate_ids_record_by_record(ds))
    event(f"duplicates: {min(len(found), 3)}")


@given(tangled())
def test_references_looked_up_once_per_value_find_what_each_record_looked_up_finds(
    ds: Dataset,
) -> None:
    found = list(missing_references(ds))
    assert found == list(_missing_references_record_by_record(ds))
    event(f"missing: {min(len(found), 3)}")


def test_a_dataset_without_duplicates_or_dangling_references_has_no_integrity_findings() -> None:
    ds = Dataset(
        organizations=(Organization(id="rc", name="red cross", level=OrgLevel.CITY),),
        funds=(Fund(id="f", name="relief", organization_id="rc"),),
    )
    assert list(duplicate_ids(ds)) == []
    assert list(missing_references(ds)) == []
    assert [f.subject for f in missing_references(ds.add(funds=[attrs.evolve(
        ds.funds[0], id="g", organization_id="nobody")]))] == ["g"]  # fmt: skip
