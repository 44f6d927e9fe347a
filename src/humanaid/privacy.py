"""Personal data: keyed pseudonyms, redacted exports and small-cell suppression.

Three tools, for three moments in the life of the data:

* :func:`pseudonym` turns an identifier into a keyed HMAC-SHA256 pseudonym: the same
  value under the same key gives the same pseudonym, so records stay linkable, while
  nobody without the key can compute or test it.
* :func:`redact` makes a copy of a record or a whole dataset fit to hand to an analyst:
  direct identifiers (name, ID number, phone) become pseudonyms and the rest of the
  personal data (addresses, exact locations, medical conditions, case notes) is dropped.
* :func:`suppress_small_cells` blanks published counts below ``k`` and the further
  cells needed so that the blanked ones cannot be worked out from the totals.

>>> from humanaid import Person, to_json
>>> key = b"a secret key of 32 bytes or more"
>>> p = Person(id="p1", name="张三", id_number="11010519491231002X", phone="13800138000")
>>> r = redact(p, key=key)
>>> r.name, r.id_number, r.phone
(None, None, None)
>>> r.pseudonyms.id_number == pseudonym("11010519491231002X", key=key, kind="id_number")
True
>>> "张三" in to_json(r) or "11010519491231002X" in to_json(r)
False
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import heapq
import hmac
import re
import typing
import unicodedata
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, Final, TypeVar

import attrs

from humanaid.beneficiaries import Person, Pseudonyms, name_key
from humanaid.errors import FieldValueError
from humanaid.records import is_pii, whole_number

__all__ = [
    "DIRECT_IDENTIFIERS",
    "KEY_MIN_BYTES",
    "SuppressedTable",
    "pseudonym",
    "redact",
    "suppress_small_cells",
]

T = TypeVar("T")

KEY_MIN_BYTES: Final = 16
"""The shortest key :func:`pseudonym` and :func:`redact` accept (use 32 random bytes)."""

DIRECT_IDENTIFIERS: Final = frozenset({"name", "id_number", "phone"})
"""Personal-data fields that :func:`redact` replaces by pseudonyms rather than drops."""

_DOMAIN: Final = "humanaid-pseudonym-v1"
_PSEUDONYM: Final = re.compile(r"ps:[0-9a-f]{32}", re.ASCII)


# -- pseudonyms --------------------------------------------------------------------------------


def _check_key(key: object) -> bytes:
    if key is None:
        raise ValueError(
            "a secret 'key' is required: pseudonyms without a key can be recomputed by "
            "anyone (make one with secrets.token_bytes(32) and keep it apart from the data)"
        )
    if not isinstance(key, bytes | bytearray):
        raise FieldValueError(
            "key",
            f"must be bytes of at least {KEY_MIN_BYTES} bytes, such as "
            f"secrets.token_bytes(32) (got {type(key).__name__})",
        )
    if len(key) < KEY_MIN_BYTES:
        raise FieldValueError(
            "key", f"must be at least {KEY_MIN_BYTES} bytes long (got {len(key)})"
        )
    return bytes(key)


def pseudonym(value: str, *, key: bytes | bytearray, kind: str) -> str:
    """The keyed pseudonym of ``value``: ``"ps:"`` and 32 hex digits.

    It is the first 128 bits of HMAC-SHA256 under ``key`` of the value, labelled with its
    ``kind`` (the field it comes from), so an ID number and a phone never share a
    pseudonym. A name is taken in its :func:`~humanaid.name_key` form, so spellings that
    compare equal (张三, 张 三) get one pseudonym; an ID number and a phone are taken as a
    :class:`~humanaid.Person` stores them (NFKC, the ID number's ``x`` upper-case), so a
    number written with full-width digits links to the redacted record.

    Args:
        value: the identifier.
        key: the secret key, at least :data:`KEY_MIN_BYTES` bytes.
        kind: what the value is, such as ``"id_number"``.

    Raises:
        ValueError: when the key is missing, not bytes or too short.

    >>> key = bytes(range(32))
    >>> pseudonym("张 三", key=key, kind="name") == pseudonym("张三", key=key, kind="name")
    True
    >>> pseudonym("13800138000", key=key, kind="phone") == pseudonym(
    ...     "13800138000", key=bytes(range(1, 33)), kind="phone")
    False
    >>> pseudonym("13800138000", key=b"short", kind="phone")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'key' must be at least 16 bytes long (got 5)
    """
    secret = _check_key(key)
    if not isinstance(value, str) or not isinstance(kind, str):
        raise TypeError("'value' and 'kind' must be str")
    text = _canonical(value, kind)
    message = "\x1f".join((_DOMAIN, kind, text)).encode("utf-8")
    return "ps:" + hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]


def _canonical(value: str, kind: str) -> str:
    """The form of an identifier that is pseudonymised (and looked for in record ids)."""
    if kind == "name":
        return name_key(value)
    if kind == "id_number":
        return unicodedata.normalize("NFKC", value).upper()
    if kind == "phone":
        return unicodedata.normalize("NFKC", value)
    return value


# -- redaction ---------------------------------------------------------------------------------


def redact(obj: T, *, key: bytes | bytearray) -> T:
    """A copy of a record or a whole dataset with its personal data protected.

    Every field marked as personal data (:func:`~humanaid.pii_field`) is handled, in
    nested records and in tuples of records too:

    * a direct identifier (:data:`DIRECT_IDENTIFIERS`) of a record that has a
      ``pseudonyms`` field (a :class:`~humanaid.Person`) is replaced by its
      :func:`pseudonym` in ``pseudonyms`` and set to ``None``; the ID number's and the
      phone's formats cannot hold a pseudonym, so the pseudonyms live beside them;
    * any other optional personal data is dropped (set to ``None``): addresses, exact
      locations, medical conditions, case notes;
    * required personal text of other record types (a donor's name) is replaced by its
      pseudonym in place.

    A person's birth date and sex, which the ID number also holds, are kept in
    ``birth_date`` and ``sex`` when the number is replaced.

    The result is made of valid records: redacting a dataset gives a dataset that
    loads, validates and serialises like any other, with the same ids, so duplicates of
    an ID number are still found through its pseudonym. Redacting twice changes nothing
    more.

    Record ids and references are kept as they are, so they must not hold personal
    data: a record whose id contains one of its own direct identifiers is refused.
    Quasi-identifiers that are not marked as personal data (birth date, sex, area) are
    kept; publish aggregates of them, through :func:`suppress_small_cells`.

    Args:
        obj: an attrs record or a :class:`~humanaid.Dataset`.
        key: the secret key, at least :data:`KEY_MIN_BYTES` bytes. Keep it apart from
            the redacted data; the same key gives the same pseudonyms in every export.

    Raises:
        ValueError: when the key is missing, not bytes or too short, or a record's id
            contains its own direct identifier.
        TypeError: when ``obj`` is not an attrs record, or a record type holds required
            personal data that is not text.
    """
    secret = _check_key(key)
    if not attrs.has(type(obj)):
        raise TypeError(f"redact() takes a record or a dataset (got {type(obj).__name__})")
    result: T = _redact(obj, secret)
    return result


@attrs.frozen
class _Field:
    name: str
    arg: str
    pii: bool
    optional: bool


@functools.cache
def _plan(cls: Any) -> tuple[_Field, ...]:
    """The fields of ``cls`` that redaction must look at.

    Its personal data, and the fields that may hold records with personal data; empty for
    a record type with nothing to redact (built once per type).
    """
    _in_progress.add(cls)
    try:
        with contextlib.suppress(NameError):  # unresolvable: every value is looked at
            attrs.resolve_types(cls)
        plan = []
        for a in attrs.fields(cls):
            if not a.init:
                continue
            pii = is_pii(a)
            if pii or _may_hold_personal_data(a.type):
                plan.append(
                    _Field(name=a.name, arg=a.alias or a.name, pii=pii, optional=a.default is None)
                )
        return tuple(plan)
    finally:
        _in_progress.discard(cls)


_in_progress: set[type] = set()


def _may_hold_personal_data(t: object) -> bool:
    if t is None or isinstance(t, str):
        return True  # unknown: look at the values
    if isinstance(t, type) and attrs.has(t):
        return t in _in_progress or bool(_plan(t))
    args = typing.get_args(t)
    return any(_may_hold_personal_data(a) for a in args if a is not Ellipsis)


def _redact(obj: Any, key: bytes) -> Any:
    cls: Any = type(obj)
    plan = _plan(cls)
    if not plan:
        return obj
    takes_pseudonyms = any(f.name == "pseudonyms" for f in attrs.fields(cls))
    changes: dict[str, Any] = {}
    new_pseudonyms: dict[str, str] = {}
    for f in plan:
        value = getattr(obj, f.name)
        if value is None:
            continue
        if f.pii:
            direct = f.name in DIRECT_IDENTIFIERS and isinstance(value, str)
            if direct:
                _check_id(obj, f.name, value)
            if takes_pseudonyms and direct:
                new_pseudonyms[f.name] = pseudonym(value, key=key, kind=f.name)
                changes[f.arg] = None
            elif f.optional:
                changes[f.arg] = None
            elif isinstance(value, str):
                if not _PSEUDONYM.fullmatch(value):  # redacting twice changes nothing more
                    changes[f.arg] = pseudonym(value, key=key, kind=f.name)
            else:
                raise TypeError(
                    f"cannot redact {cls.__name__}.{f.name}: it is required personal data "
                    "that is not text; make it optional so that it can be dropped"
                )
        else:
            redacted = _redact_within(value, key)
            if redacted is not value:
                changes[f.arg] = redacted
    if new_pseudonyms:
        current = getattr(obj, "pseudonyms", None) or Pseudonyms()
        changes["pseudonyms"] = attrs.evolve(current, **new_pseudonyms)
    if isinstance(obj, Person) and obj.id_number is not None:
        # What the ID number says that is not personal data stays with the record.
        changes["birth_date"] = obj.born_on
        changes["sex"] = obj.sex or obj.id_sex
    if not changes:
        return obj
    return attrs.evolve(obj, **changes)


def _redact_within(value: Any, key: bytes) -> Any:
    """``value`` with the records in it redacted.

    A record, or a tuple, list, set or dict (its values) of records, nested to any depth;
    ``value`` itself when nothing in it changes.
    """
    if attrs.has(type(value)):
        return _redact(value, key)
    if isinstance(value, Mapping):
        pairs = [(k, _redact_within(v, key)) for k, v in value.items()]
        if all(new is old for (_, new), old in zip(pairs, value.values(), strict=True)):
            return value
        return dict(pairs)
    if isinstance(value, tuple | list | set | frozenset):
        olds = list(value)
        items = [_redact_within(v, key) for v in olds]
        if all(new is old for new, old in zip(items, olds, strict=True)):
            return value
        kind: Any = tuple if isinstance(value, tuple) else type(value)
        return kind(items)
    return value


def _check_id(obj: object, field: str, value: str) -> None:
    record_id = getattr(obj, "id", None)
    if not isinstance(record_id, str):
        return
    # Compared as names are (case, width, spaces and dots folded), so "p-张 三" holds
    # 张三 and "p-zhangsan" holds Zhang San. A Chinese name is two or three characters;
    # shorter Latin values than five would be found in ids by chance ("Li" in "client").
    needle = name_key(value)
    long_enough = len(needle) >= 5 or (len(needle) >= 2 and not needle.isascii())
    if (len(value) >= 5 and value in record_id) or (long_enough and needle in name_key(record_id)):
        raise ValueError(
            f"a {type(obj).__name__}'s id contains its own {field!r}: ids are kept by "
            "redact(), so they must never hold personal data; give the record another id"
        )


# -- small-cell suppression --------------------------------------------------------------------

R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)


@attrs.frozen(kw_only=True)
class SuppressedTable:
    """A two-way table of counts, fit to publish, with its totals.

    ``None`` marks a blanked count. Totals are addressed with ``None`` as the label:
    ``(row, None)`` is a row total, ``(None, column)`` a column total and
    ``(None, None)`` the grand total.

    Attributes:
        rows: the row labels, in the order first met.
        columns: the column labels, in the order first met.
        cells: each ``(row, column)`` count, or ``None`` if blanked.
        row_totals: each row's total, or ``None`` if blanked.
        column_totals: each column's total, or ``None`` if blanked.
        total: the grand total, or ``None`` if blanked.
        primary: the positions blanked because their count is below ``k``.
        secondary: the positions blanked so that the primary ones cannot be worked out.
        k: the threshold.
    """

    rows: tuple[Any, ...]
    columns: tuple[Any, ...]
    cells: Mapping[tuple[Any, Any], int | None]
    row_totals: Mapping[Any, int | None]
    column_totals: Mapping[Any, int | None]
    total: int | None
    primary: frozenset[tuple[Any, Any]]
    secondary: frozenset[tuple[Any, Any]]
    k: int

    @property
    def blanked(self) -> frozenset[tuple[Any, Any]]:
        """Every blanked position, primary and secondary."""
        return self.primary | self.secondary

    def get(self, row: Any, column: Any) -> int | None:
        """The published count at ``(row, column)``; ``None`` as a label means the total."""
        if row is None and column is None:
            return self.total
        if column is None:
            return self.row_totals[row]
        if row is None:
            return self.column_totals[column]
        return self.cells[(row, column)]


def suppress_small_cells(table: Mapping[tuple[R, C], int], *, k: int = 5) -> SuppressedTable:
    """Blank the counts below ``k`` in a two-way table, and enough others to protect them.

    The table is a mapping from ``(row, column)`` to a count; a pair that is missing
    counts as 0. Its row totals, column totals and grand total are published with it.

    *Primary suppression* blanks every count from 1 to ``k - 1``, totals included (a zero
    is published: it is not a small group of people). *Secondary suppression* then blanks
    further cells so that no blanked count can be worked out exactly from the published
    cells and totals: seen as a graph whose nodes are the rows and columns (with the
    totals as one more row and column) and whose edges are the blanked cells, every
    blanked cell must lie on a cycle; a blanked cell that does not is the difference of
    published sums. Each such cell is closed into a cycle along the cheapest path:
    fewest totals, then fewest zeros, then fewest cells, then smallest counts.

    This protects against exact recomputation. It does not guarantee a wide protection
    interval: knowing that counts are never negative can still narrow a blanked cell.

    Args:
        table: counts by ``(row, column)``; labels must be hashable and not ``None``.
        k: the smallest count that may be published (5 by default).

    Raises:
        ValueError: for a negative count, a ``None`` label or ``k`` below 1.
        TypeError: for a count that is not an int.

    >>> t = {("A", "x"): 12, ("A", "y"): 3, ("A", "z"): 9,
    ...      ("B", "x"): 8, ("B", "y"): 10, ("B", "z"): 7}
    >>> s = suppress_small_cells(t, k=5)
    >>> [[s.get(r, c) for c in ("x", "y", "z", None)] for r in ("A", "B", None)]
    [[12, None, None, 24], [8, None, None, 25], [20, 13, 16, 49]]
    >>> sorted(s.primary), sorted(s.secondary)
    ([('A', 'y')], [('A', 'z'), ('B', 'y'), ('B', 'z')])
    """
    whole_number("k", k, low=1)
    rows: dict[Any, int] = {}
    cols: dict[Any, int] = {}
    for key, count in table.items():
        if not isinstance(key, tuple) or len(key) != 2:
            raise TypeError(f"table keys must be (row, column) pairs (got {key!r})")
        if key[0] is None or key[1] is None:
            raise ValueError(
                f"table labels must not be None: None stands for a total (got {key!r})"
            )
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"counts must be int (got {count!r} at {key!r})")
        if count < 0:
            raise ValueError(f"counts must not be negative (got {count} at {key!r})")
        rows.setdefault(key[0], len(rows))
        cols.setdefault(key[1], len(cols))
    n_rows, n_cols = len(rows), len(cols)
    # The extended grid: index n_rows is the total row, n_cols the total column.
    grid = [[0] * (n_cols + 1) for _ in range(n_rows + 1)]
    for (r, c), count in table.items():
        i, j = rows[r], cols[c]
        grid[i][j] += count
        grid[i][n_cols] += count
        grid[n_rows][j] += count
        grid[n_rows][n_cols] += count
    blanked: set[tuple[int, int]] = set()
    if n_rows and n_cols:
        blanked = {
            (i, j) for i in range(n_rows + 1) for j in range(n_cols + 1) if 0 < grid[i][j] < k
        }
    primary = frozenset(blanked)
    while True:
        bridge = next(_bridges(blanked, n_rows + 1, n_cols + 1), None)
        if bridge is None:
            break
        blanked |= _cheapest_cycle(bridge, blanked, grid, n_rows, n_cols)

    row_labels = tuple(rows)
    col_labels = tuple(cols)

    def label(i: int, j: int) -> tuple[Any, Any]:
        return (
            None if i == n_rows else row_labels[i],
            None if j == n_cols else col_labels[j],
        )

    def shown(i: int, j: int) -> int | None:
        return None if (i, j) in blanked else grid[i][j]

    return SuppressedTable(
        rows=row_labels,
        columns=col_labels,
        cells={(r, c): shown(rows[r], cols[c]) for r in row_labels for c in col_labels},
        row_totals={r: shown(rows[r], n_cols) for r in row_labels},
        column_totals={c: shown(n_rows, cols[c]) for c in col_labels},
        total=shown(n_rows, n_cols) if n_rows and n_cols else 0,
        primary=frozenset(label(i, j) for i, j in primary),
        secondary=frozenset(label(i, j) for i, j in blanked - primary),
        k=k,
    )


def _bridges(edges: set[tuple[int, int]], n_rows: int, n_cols: int) -> Iterator[tuple[int, int]]:
    """The blanked cells that lie on no cycle of the row-column graph (Tarjan, iterative)."""
    adjacency: dict[int, list[tuple[int, tuple[int, int]]]] = {}
    for i, j in sorted(edges):
        a, b = i, n_rows + j  # row nodes first, then column nodes
        adjacency.setdefault(a, []).append((b, (i, j)))
        adjacency.setdefault(b, []).append((a, (i, j)))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    for root in sorted(adjacency):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[int, tuple[int, int] | None, Iterator[tuple[int, tuple[int, int]]]]]
        stack = [(root, None, iter(adjacency[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for nxt, edge in neighbours:
                if edge == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = len(order)
                    stack.append((nxt, edge, iter(adjacency[nxt])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent] and via is not None:
                    yield via


def _cheapest_cycle(
    bridge: tuple[int, int],
    blanked: set[tuple[int, int]],
    grid: list[list[int]],
    n_rows: int,
    n_cols: int,
) -> set[tuple[int, int]]:
    """Cells to blank so that ``bridge`` lies on a cycle.

    The cheapest other path from its row to its column (Dijkstra; blanked cells are free).
    """
    start_row, end_col = bridge
    rows_n, cols_n = n_rows + 1, n_cols + 1

    def cost(i: int, j: int) -> tuple[int, int, int, int]:
        if (i, j) in blanked:
            return (0, 0, 0, 0)
        margin = int(i == n_rows) + int(j == n_cols)
        return (margin, int(grid[i][j] == 0), 1, grid[i][j])

    def add(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, ...]:
        return tuple(x + y for x, y in zip(a, b, strict=True))

    # Nodes: ("r", i) and ("c", j); edges are cells, except the bridge itself.
    start = ("r", start_row)
    goal = ("c", end_col)
    best: dict[tuple[str, int], tuple[int, ...]] = {start: (0, 0, 0, 0)}
    came: dict[tuple[str, int], tuple[tuple[str, int], tuple[int, int]]] = {}
    heap: list[tuple[tuple[int, ...], int, tuple[str, int]]] = [((0, 0, 0, 0), 0, start)]
    tick = 0
    while heap:
        dist, _, node = heapq.heappop(heap)
        if node == goal:
            break
        if dist > best.get(node, dist):
            continue
        side, index = node
        if side == "r":
            steps = [(("c", j), (index, j)) for j in range(cols_n)]
        else:
            steps = [(("r", i), (i, index)) for i in range(rows_n)]
        for nxt, cell in steps:
            if cell == bridge:
                continue
            nd = add(dist, cost(*cell))  # type: ignore[arg-type]
            if nxt not in best or nd < best[nxt]:
                best[nxt] = nd
                came[nxt] = (node, cell)
                tick += 1
                heapq.heappush(heap, (nd, tick, nxt))
    path: set[tuple[int, int]] = set()
    node = goal
    while node != start:
        node, cell = came[node]
        path.add(cell)
    return path - blanked
