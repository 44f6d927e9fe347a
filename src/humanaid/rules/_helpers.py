"""What more than one rule module needs: for now, finding the cycles of parent links.

Private to :mod:`humanaid.rules`; nothing here is public.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

__all__ = ["link_cycles"]


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
