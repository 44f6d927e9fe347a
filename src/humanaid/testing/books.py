"""Strategies for a society's books: an organisation tree, the bodies around it, and money moving.

The laws of counting by crossing (:func:`humanaid.classify_flow`) are stated over whole
books, not single records: the same events wired two ways give the same year
(:func:`rewired_books`), and the parts of an organisation tree add up to the whole
(:func:`society_books` with :func:`organization_splits`). Re-exported by
:mod:`humanaid.testing`.

What the books hold, for a society with id ``society_id`` (``"society"`` by default):

* the **tree**: the society (a city society whose parent is ``province``) and one to
  five units below it (``society-1`` ...), each a county, township or village society
  under an earlier one, each with a general fund (``<id>-fund``);
* the **bodies around it**: ``national`` and ``province`` (Red Cross societies above),
  ``peer`` (a society at the same level), a foundation, a government body, an
  enterprise, a hospital, a shop (an organisation of kind ``OTHER``), a platform; the
  province and the peer each hold a fund;
* **projects**: one to four owned by organisations of the tree (some with a village
  seed fund) and one owned by the peer;
* **donations** to the tree's organisations and funds, from donors ``d0``-``d2`` or
  anonymous, some online with fees;
* **flows**: money of every kind between all of these and households, cases, persons,
  loans, the anonymous giver and the outside (a bank, suppliers, rent), and *events*
  that :func:`rewired_books` wires two ways: a grant or gift for one of the tree's
  projects, through the tree's funds or straight to the project (or its seed fund),
  and a payment from the tree to a beneficiary, through another unit's fund or
  straight.

Every amount is in one currency, and every day in ``min_date`` .. ``max_date``.

>>> from hypothesis import given, settings
>>> from humanaid import year_at_a_glance
>>> def figures(books):
...     y = year_at_a_glance(books, 2020, organization_id="society")
...     return y.put_in, y.brought_in, y.raised
>>> @settings(max_examples=5)
... @given(rewired_books())
... def test_wiring_does_not_change_the_year(pair):
...     through, straight = pair
...     assert figures(through) == figures(straight)
>>> test_wiring_does_not_change_the_year()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
from hypothesis import strategies as st

from humanaid.dataset import Dataset
from humanaid.donors import Channel
from humanaid.funds import Flow, FlowKind, Fund, Party
from humanaid.organizations import Organization, OrgKind, OrgLevel
from humanaid.testing._common import money_units
from humanaid.testing.fundraising import donations
from humanaid.testing.projects import projects
from humanaid.testing.revolving import revolving_funds

__all__ = ["organization_splits", "rewired_books", "society_books"]

_LEVELS = (OrgLevel.CITY, OrgLevel.COUNTY, OrgLevel.TOWNSHIP, OrgLevel.VILLAGE)
_AROUND = (
    Organization(id="national", name="national society", level=OrgLevel.NATIONAL),
    Organization(
        id="province", name="province society", level=OrgLevel.PROVINCE, parent_id="national"
    ),
    Organization(id="peer", name="peer city society", level=OrgLevel.CITY, parent_id="province"),
    Organization(id="foundation", name="a foundation", kind=OrgKind.FOUNDATION),
    Organization(id="government", name="county government", kind=OrgKind.GOVERNMENT),
    Organization(id="acme", name="an enterprise", kind=OrgKind.ENTERPRISE),
    Organization(id="hospital", name="a hospital", kind=OrgKind.HOSPITAL),
    Organization(id="shop", name="a love supermarket", kind=OrgKind.OTHER),
    Organization(id="platform", name="a giving platform", kind=OrgKind.PLATFORM),
)
_AROUND_FUNDS = (
    Fund(id="province-fund", name="province fund", organization_id="province"),
    Fund(id="peer-fund", name="peer fund", organization_id="peer"),
)
_FUNDERS = (
    *(Party.organization(o.id) for o in _AROUND if o.id not in ("hospital", "shop")),
    *(Party.fund(f.id) for f in _AROUND_FUNDS),
    Party.donor("d0"),
    Party.donor("d1"),
    Party.outside("anonymous"),
    Party.outside("world"),
)
_BENEFICIARIES = (
    Party.household("h0"),
    Party.household("h1"),
    Party.case("c0"),
    Party.person("p0"),
    Party.loan("l0"),
    Party.organization("hospital"),
    Party.organization("shop"),
    Party.outside("suppliers"),
)
_ELSEWHERE = (Party.outside("bank"), Party.outside("rent"), Party.project("peer-project"))
_GIVING = (FlowKind.GRANT, FlowKind.ALLOCATION, FlowKind.DISBURSEMENT, FlowKind.DONATION)
_PAYING = (*_GIVING, FlowKind.LOAN_DISBURSEMENT)


@attrs.frozen(kw_only=True)
class _Setting:
    """The records both wirings share, and the parties money moves between."""

    records: dict[str, tuple[Any, ...]]
    books: tuple[Party, ...]  # the tree's organisations and funds
    work: tuple[Party, ...]  # the tree's projects and their village funds
    everyone: tuple[Party, ...]


@attrs.frozen(kw_only=True)
class _Event:
    """One money event, with its two wirings (lists of flows)."""

    through: tuple[Flow, ...]
    straight: tuple[Flow, ...]


def _tree(draw: st.DrawFn, society_id: str) -> list[Organization]:
    orgs = [
        Organization(id=society_id, name="the society", level=OrgLevel.CITY, parent_id="province")
    ]
    depth = [0]
    for i in range(1, draw(st.integers(min_value=1, max_value=6))):
        parent = draw(st.sampled_from([j for j in range(i) if depth[j] + 1 < len(_LEVELS)]))
        depth.append(depth[parent] + 1)
        orgs.append(
            Organization(
                id=f"{society_id}-{i}",
                name=f"unit {i}",
                level=_LEVELS[depth[-1]],
                parent_id=orgs[parent].id,
            )
        )
    return orgs


@st.composite
def _setting(
    draw: st.DrawFn, society_id: str, currency: str, min_date: date, max_date: date
) -> _Setting:
    tree = _tree(draw, society_id)
    funds = [Fund(id=f"{o.id}-fund", name=f"{o.name} fund", organization_id=o.id) for o in tree]
    owned = draw(
        st.lists(
            projects(
                currency=currency,
                organization_ids=[o.id for o in tree],
                min_date=min_date,
                max_date=max_date,
            ),
            min_size=1,
            max_size=4,
        )
    )
    owned = [attrs.evolve(p, id=f"project-{i}") for i, p in enumerate(owned)]
    peer = attrs.evolve(
        draw(projects(currency=currency, organization_ids=["peer"])), id="peer-project"
    )
    seeds = [
        attrs.evolve(fund, id=f"seed-{i}", project_id=p.id)
        for i, (p, fund) in enumerate(
            (p, draw(revolving_funds(currency=currency))) for p in owned if draw(st.booleans())
        )
    ]
    tree_ids = [o.id for o in tree]
    fund_ids = [f.id for f in funds]
    gifts = []
    for i, gift in enumerate(
        draw(
            st.lists(
                donations(currency=currency, min_date=min_date, max_date=max_date, max_value=10**6),
                max_size=4,
            )
        )
    ):
        special = gift.channel is Channel.VIA_SPECIAL_FUND
        into = st.sampled_from(fund_ids) if special else st.none() | st.sampled_from(fund_ids)
        gifts.append(
            attrs.evolve(
                gift,
                id=f"gift-{i}",
                organization_id=draw(st.sampled_from(tree_ids)),
                donor_id=draw(st.sampled_from([None, "d0", "d1", "d2"])),
                fund_id=draw(into),
                campaign_id=None,
                pledge_id=None,
                restricted_to=None,
            )
        )
    books = (*(Party.organization(o) for o in tree_ids), *(Party.fund(f) for f in fund_ids))
    work = (*(p.party for p in owned), *(s.party for s in seeds))
    return _Setting(
        records={
            "organizations": (*_AROUND, *tree),
            "funds": (*_AROUND_FUNDS, *funds),
            "projects": (*owned, peer),
            "revolving_funds": tuple(seeds),
            "donations": tuple(gifts),
        },
        books=books,
        work=work,
        everyone=(*books, *work, *_FUNDERS, *_BENEFICIARIES, *_ELSEWHERE),
    )


def _flow(
    id: str, source: Party, destination: Party, amount: Any, on: date, kind: FlowKind
) -> Flow:
    return Flow(id=id, source=source, destination=destination, amount=amount, on=on, kind=kind)


@st.composite
def _event(
    draw: st.DrawFn, n: int, setting: _Setting, currency: str, min_date: date, max_date: date
) -> _Event:
    amount = draw(money_units(currency=currency, min_value=1, max_value=10**8))
    on = draw(st.dates(min_date, max_date))
    if draw(st.booleans()):
        # A grant or a gift for one of the tree's projects (or its village fund).
        funder = draw(st.sampled_from(_FUNDERS))
        target = draw(st.sampled_from(setting.work))
        kind = draw(st.sampled_from(_GIVING))
        path = draw(st.lists(st.sampled_from(setting.books), min_size=1, max_size=3, unique=True))
        hops = [funder, *path, target]
        kinds = [kind, *[FlowKind.ALLOCATION] * (len(path) - 1), draw(st.sampled_from(_GIVING))]
        through = tuple(
            _flow(f"e{n}-{i}", src, dst, amount, on, k)
            for i, (src, dst, k) in enumerate(zip(hops[:-1], hops[1:], kinds, strict=True))
        )
        return _Event(through=through, straight=(_flow(f"e{n}", funder, target, amount, on, kind),))
    # A payment from the tree to a beneficiary, through another unit's fund or straight.
    source, unit = draw(
        st.lists(st.sampled_from(setting.books), min_size=2, max_size=2, unique=True)
    )
    to = draw(st.sampled_from((*_BENEFICIARIES, *setting.work)))
    kind = draw(st.sampled_from(_PAYING))
    return _Event(
        through=(
            _flow(f"e{n}-0", source, unit, amount, on, FlowKind.ALLOCATION),
            _flow(f"e{n}-1", unit, to, amount, on, kind),
        ),
        straight=(_flow(f"e{n}", source, to, amount, on, kind),),
    )


@st.composite
def _background(
    draw: st.DrawFn, setting: _Setting, currency: str, min_date: date, max_date: date, most: int
) -> tuple[Flow, ...]:
    flows = []
    for i in range(draw(st.integers(min_value=0, max_value=most))):
        source, destination = draw(
            st.lists(st.sampled_from(setting.everyone), min_size=2, max_size=2, unique=True)
        )
        flows.append(
            _flow(
                f"b{i}",
                source,
                destination,
                draw(money_units(currency=currency, min_value=1, max_value=10**8)),
                draw(st.dates(min_date, max_date)),
                draw(st.sampled_from(FlowKind)),
            )
        )
    return tuple(flows)


def _books(setting: _Setting, flows: Sequence[Flow]) -> Dataset:
    return Dataset(name="books", flows=tuple(flows), **setting.records)


def rewired_books(
    *,
    society_id: str = "society",
    currency: str = "CNY",
    min_date: date = date(2019, 1, 1),
    max_date: date = date(2021, 12, 31),
    max_events: int = 6,
    max_flows: int = 12,
) -> st.SearchStrategy[tuple[Dataset, Dataset]]:
    """The same events, wired two ways: two datasets whose society's year must not differ.

    Both hold the same records and the same background flows (up to ``max_flows`` of
    every kind between every kind of party); each of up to ``max_events`` events is
    wired, independently in each dataset, through the tree or straight:

    * a grant or gift for one of the tree's projects (from a society above, the peer,
      a foundation, the government, an enterprise, a platform, a donor, the anonymous
      giver or the outside): through one to three of the tree's organisations and funds
      and on to the project (or its village seed fund), or straight to it;
    * a payment from one of the tree's funds to a household, a case, a person, a loan,
      the hospital, the shop, suppliers or one of the tree's projects: through another
      unit's fund or straight.

    All flows of an event move on the same day.
    """

    @st.composite
    def build(draw: st.DrawFn) -> tuple[Dataset, Dataset]:
        setting = draw(_setting(society_id, currency, min_date, max_date))
        background = draw(_background(setting, currency, min_date, max_date, max_flows))
        count = draw(st.integers(min_value=0, max_value=max_events))
        events = [draw(_event(n, setting, currency, min_date, max_date)) for n in range(count)]
        wired: list[list[Flow]] = [list(background), list(background)]
        for event in events:
            for flows in wired:
                flows.extend(event.through if draw(st.booleans()) else event.straight)
        return _books(setting, wired[0]), _books(setting, wired[1])

    return build()


def society_books(
    *,
    society_id: str = "society",
    currency: str = "CNY",
    min_date: date = date(2019, 1, 1),
    max_date: date = date(2021, 12, 31),
    max_events: int = 6,
    max_flows: int = 12,
) -> st.SearchStrategy[Dataset]:
    """A society's books: its tree, the bodies around it, projects, gifts and flows.

    The records and flows :func:`rewired_books` draws, with each event wired one way.
    The society's organisations are ``society_id`` and every organisation below it.
    """
    return rewired_books(
        society_id=society_id,
        currency=currency,
        min_date=min_date,
        max_date=max_date,
        max_events=max_events,
        max_flows=max_flows,
    ).map(lambda pair: pair[0])


def organization_splits(
    organization_ids: Sequence[str], *, max_parts: int = 3
) -> st.SearchStrategy[tuple[frozenset[str], ...]]:
    """Splits of ``organization_ids`` into one to ``max_parts`` non-empty parts.

    Any split, not only along the tree's branches: a part may hold a county and a
    township of another county.

    >>> from hypothesis import find
    >>> find(organization_splits(["a", "b", "c"]), lambda parts: len(parts) == 3)
    (frozenset({'a'}), frozenset({'b'}), frozenset({'c'}))
    """
    ids = list(dict.fromkeys(organization_ids))
    if not ids:
        raise ValueError("'organization_ids' must name at least one organisation")
    if max_parts < 1:
        raise ValueError(f"'max_parts' must be 1 or more (got {max_parts!r})")

    def parts(labels: list[int]) -> tuple[frozenset[str], ...]:
        grouped: dict[int, set[str]] = {}
        for org, label in zip(ids, labels, strict=True):
            grouped.setdefault(label, set()).add(org)
        return tuple(frozenset(grouped[k]) for k in sorted(grouped))

    labels = st.lists(
        st.integers(min_value=0, max_value=max_parts - 1), min_size=len(ids), max_size=len(ids)
    )
    return labels.map(parts)
