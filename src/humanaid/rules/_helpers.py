"""What more than one rule module needs: cycles, records with their targets, small ledgers.

Private to :mod:`humanaid.rules`; nothing here is public.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final, TypeVar

from humanaid.findings import Figure, Finding, Severity
from humanaid.funds import _GIFT_PARTY_KINDS, Flow, Ledger, PartyKind, _maker

if TYPE_CHECKING:
    from humanaid.dataset import Dataset

__all__ = ["finding", "link_cycles", "party_ledgers", "with_referenced"]

T = TypeVar("T")

_new_finding: Final[Callable[..., Finding]] = _maker(Finding, positional=True)


def finding(
    rule: str, severity: Severity, subject: str | None, message: str, figures: dict[str, Figure]
) -> Finding:
    """A :class:`~humanaid.Finding` made by a built-in rule, without checking it again.

    The same finding as ``Finding(rule=rule, severity=severity, subject=subject,
    message=message, figures=figures)`` (equal, with the same repr, hash and read-only
    figures), for what a rule builds itself: a valid rule code, a :class:`Severity`, a
    ``str`` subject and message, and a new dict of figures of the allowed types, which
    the finding keeps behind a read-only view. About a tenth of the checked
    constructor's cost, which the 139,000 findings of a million-record dataset paid
    (``Finding`` itself still checks everything a caller gives it).
    """
    return _new_finding(rule, severity, subject, message, MappingProxyType(figures))


def party_ledgers(dataset: Dataset, kind: PartyKind) -> Mapping[str, Ledger]:
    """For each party of ``kind`` in the dataset's ledger, by id, a ledger of its flows only.

    Every balance, entry and statement of such a party is the same in its own ledger as
    in the dataset's (its flows, in the same order), but one sweep of the flows builds
    them all, where asking the whole ledger builds an account for every party of it (a
    million donors' among them). Built once per dataset and kind, shared by the rules;
    the projects' and the revolving funds' (few flows each, read by several rules) in one
    sweep together.
    """
    if kind in _FEW:
        both: dict[PartyKind, dict[str, Ledger]] = dataset.derived(
            "rules:ledgers:projects-and-revolving-funds", lambda ds: _sweep(ds, _FEW)
        )
        return both[kind]
    ledgers: dict[str, Ledger] = dataset.derived(
        f"rules:ledgers:{kind.value}", lambda ds: _sweep(ds, (kind,))[kind]
    )
    return ledgers


_FEW = (PartyKind.PROJECT, PartyKind.REVOLVING_FUND)
"""Kinds of party with few flows each, whose ledgers are built in one sweep."""


def _sweep(dataset: Dataset, kinds: tuple[PartyKind, ...]) -> dict[PartyKind, dict[str, Ledger]]:
    """Each party's own ledger for each of ``kinds``, from one sweep of the dataset's flows."""
    ledger = dataset.ledger()
    touching: dict[PartyKind, dict[str, list[Flow]]] = {k: defaultdict(list) for k in kinds}
    split = ledger._without_gifts()
    # A ledger holding its gifts as donations: parties no gift touches (a project's, a
    # revolving fund's) are found among the other flows, in ledger order.
    apart = split is not None and _GIFT_PARTY_KINDS.isdisjoint(kinds)
    flows = split[0] if split is not None and apart else ledger.flows
    for flow in flows:
        src, dst = flow.source, flow.destination
        mine = touching.get(src.kind)
        if mine is not None:
            mine[src.id].append(flow)
        theirs = touching.get(dst.kind)
        if theirs is not None and dst != src:
            theirs[dst.id].append(flow)
    return {
        k: {i: Ledger(flows, currency=ledger.currency) for i, flows in by_id.items()}
        for k, by_id in touching.items()
    }


def link_cycles(links: Mapping[str, str | None]) -> Iterator[list[str]]:
    """Each cycle of links (an id to its parent's, or ``None``) once, as the ids on it.

    The cycles come in the order a walk from each id in turn meets them, each from the id
    it was entered by, in link order; linear in the number of ids. A link to an id that is
    not a key ends a walk.

    >>> list(link_cycles({"a": "b", "b": "c", "c": "b", "d": None, "e": "e"}))
    [['b', 'c'], ['e']]
    """
    state: dict[str, int] = {}  # 1: on the walk in progress, 2: done
    for start in links:
        if start in state:
            continue
        path: list[str] = []
        position: dict[str, int] = {}
        node: str | None = start
        while node is not None and node in links and node not in state:
            state[node] = 1
            position[node] = len(path)
            path.append(node)
            node = links[node]
        if node is not None and state.get(node) == 1 and node in position:
            yield path[position[node] :]
        for n in path:
            state[n] = 2


def with_referenced(
    dataset: Dataset, collection: str, field: str, target: str, cls: type[T]
) -> Iterator[tuple[Any, T | None]]:
    """Each record of ``collection``, in order, with the ``cls`` record its ``field`` names.

    The shape of a rule that checks a record against the record it refers to (an
    attendance against its course, a donation against its drive): the second of each
    pair is the record of ``target`` whose id the reference ``field`` holds, or ``None``
    where the field is empty or names no record of type ``cls`` (a reference the dataset
    lacks is left to ``integrity.missing-reference``). Either collection may be missing
    from the dataset's class: it is then empty.

    >>> from datetime import date
    >>> from humanaid import Attendance, Course, Dataset
    >>> course = Course(id="k1", kind="popular", organization_id="o",
    ...                 start=date(2022, 3, 2), end=date(2022, 3, 2), hours=2)
    >>> seen = [Attendance(id=f"a{i}", person_id="p1", course_id=c, on=date(2022, 3, 2))
    ...         for i, c in enumerate(["k1", "k9"])]
    >>> ds = Dataset(courses=[course], attendances=seen)
    >>> [(a.id, k and k.id) for a, k in with_referenced(ds, "attendances", "course_id",
    ...                                                  "courses", Course)]
    [('a0', 'k1'), ('a1', None)]
    """
    index = dataset.index(target, missing_ok=True)
    for record in dataset.records(collection, missing_ok=True):
        ref = getattr(record, field)
        found = index.get(ref) if ref is not None else None
        yield record, found if isinstance(found, cls) else None
