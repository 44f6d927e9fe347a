"""An organisation's boundary, built from indexes read once a dataset (issue 19, fifth pass).

:meth:`Boundary.organization` and :meth:`Boundary.organizations` find an organisation's
sub-units, funds and projects in indexes each built once a dataset
(:meth:`Dataset.derived <humanaid.Dataset.derived>`): a summary that builds several
boundaries (the year at a glance, two organisations' boundary totals) reads the
organisations, funds and projects once, not once a boundary. The property checks them
against the straightforward definition (every collection read again for each boundary),
over society books whose ids collide on purpose.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from unittest import mock

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import Boundary, Dataset, Fund, Party
from humanaid.funds import _known_roles, _village_funds
from humanaid.testing import society_books

EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def straightforward(ds: Dataset, organization_id: str, include_children: bool) -> Boundary:
    """The boundary as defined: each collection read again, every record of it."""
    orgs = {organization_id}
    if include_children:
        children: dict[str, list[str]] = defaultdict(list)
        for org in ds.records("organizations"):
            if org.parent_id is not None:
                children[org.parent_id].append(org.id)
        stack = [organization_id]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in orgs:
                    orgs.add(child)
                    stack.append(child)
    return of_organizations(ds, orgs, organization_id)


def of_organizations(ds: Dataset, orgs: Iterable[str], name: str) -> Boundary:
    chosen = frozenset(orgs)
    parties = {Party.organization(o) for o in chosen}
    parties |= {Party.fund(f.id) for f in ds.records("funds") if f.organization_id in chosen}
    owned = [p.id for p in ds.records("projects") if p.organization_id in chosen]
    work = {Party.project(p) for p in owned} | _village_funds(ds, owned)
    platforms, providers = _known_roles(ds)
    return Boundary(
        name=name,
        parties=frozenset(parties),
        work=frozenset(work - parties),
        platforms=platforms - parties,
        providers=providers - parties,
    )


@st.composite
def colliding_books(draw: st.DrawFn) -> Dataset:
    """Society books, with a fund or project id used twice, by another organisation."""
    ds = draw(society_books(max_events=4, max_flows=4))
    orgs = [o.id for o in ds.organizations] + ["elsewhere"]
    funds = list(ds.funds)
    if draw(st.booleans()):  # a fund id held by two organisations
        funds.append(
            Fund(id=draw(st.sampled_from([f.id for f in funds] or ["f"])), name="again",
                 organization_id=draw(st.sampled_from(orgs)))
        )  # fmt: skip
    projects = list(ds.projects)
    if draw(st.booleans()) and projects:  # a project id owned by two organisations
        owner = draw(st.sampled_from(orgs))
        twin = attrs.evolve(draw(st.sampled_from(projects)), organization_id=owner)
        projects.insert(draw(st.integers(0, len(projects))), twin)
    return attrs.evolve(ds, funds=tuple(funds), projects=tuple(projects))


@EXAMPLES
@given(ds=colliding_books(), data=st.data(), children=st.booleans())
def test_an_organisation_boundary_from_the_indexes_equals_its_definition(
    ds: Dataset, data: st.DataObject, children: bool
) -> None:
    ids = [o.id for o in ds.organizations] + ["nobody"]
    first = data.draw(st.sampled_from(ids))
    second = data.draw(st.sampled_from(ids))
    for org in (first, second, first):  # the indexes built by the first, kept for the rest
        got = Boundary.organization(ds, org, include_children=children)
        assert got == straightforward(ds, org, children)
    chosen = data.draw(st.sets(st.sampled_from(ids), min_size=1))
    expected = of_organizations(ds, chosen, ", ".join(sorted(chosen)))
    assert Boundary.organizations(ds, chosen) == expected


@given(ds=society_books(max_events=3, max_flows=3))
@settings(max_examples=10, deadline=None)
def test_organisation_boundaries_read_each_collection_once_a_dataset(ds: Dataset) -> None:
    read: list[str] = []
    original = Dataset.records

    def records(self: Dataset, name: str, **kw: Any) -> Any:
        read.append(name)
        return original(self, name, **kw)

    fresh = attrs.evolve(ds)  # (nothing derived yet)
    with mock.patch.object(Dataset, "records", records):
        for org in [o.id for o in fresh.organizations] * 2:
            Boundary.organization(fresh, org)
    assert read.count("funds") <= 1
    assert read.count("projects") <= 1
    assert read.count("organizations") <= 2  # the sub-units' index, and the roles'
