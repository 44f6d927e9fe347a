"""The aggregation engine's speed: the loop :func:`humanaid.tabulate` generates per query.

:mod:`humanaid.aggregate` says what a query is (its keys, measures and conditions) and
finishes its table; this module writes and compiles, once per shape of query, a small
Python function that does exactly what a hand-written loop would, so that the engine's
speed stays close to that of the loop one would write by hand:

* fields are read inline (``r.value``), each once a record however many keys and
  measures read it, and a ``None`` on the way or a missing field falls back to a careful
  reader that names the field;
* a lookup key reads a memo filled the first time each id is met, so grouping by a
  donor's kind costs one dictionary read a gift and the groups stay as few as the kinds;
* conditions (``field_is``, ``field_between``) are tested in place, where a ``where``
  function costs a call a record;
* money totals add the ``Decimal`` amounts per group (and currency) and make ``Money``
  once at the end; over a list or tuple, with no function of the caller's in the query,
  the whole loop runs in a local 60-digit decimal context and adds with ``+=`` (exact:
  no sum of amounts below 10**18 can round in it), else each add goes through that
  context's method.

What it buys (``benchmarks/engine.py``, the fundraising summary by donor kind and
channel, against ``benchmarks/run.py``'s hand-written dict loop; CHANGELOG, issue 9):
from 1.50x to 1.10x the hand loop's CPU time at 1,000,000 gifts in memory (1.85 to
1.35 µs a gift; the hand loop 1.23 µs), from 1.89x to 1.25x at 200,000. The latest full
run (``benchmarks/README.md``, N = 1,000,000) measured 1.53 µs a record against the hand
loop's 1.21 (1.26x); with its records and tables in cache the engine's own work is
0.40 µs a record.

Only fixed fragments of this module, generated names and field paths that are plain
ASCII identifiers go into the generated source; the caller's functions and values, and
any other path, are passed in as objects, never as text.
"""

from __future__ import annotations

import decimal
import functools
import itertools
import keyword
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, localcontext
from typing import Any, Final, Protocol

import attrs

from humanaid._decimal import EXACT as _SUM
from humanaid.errors import CurrencyMismatch
from humanaid.money import Money

__all__ = ["Condition", "KeyRead", "MeasureRead", "compile_loop"]

Loop = Callable[[Iterable[Any]], dict[Any, list[Any]]]
"""A generated loop: records in, each group's key and accumulators out."""

_ZERO: Final = Decimal(0)
# The context the fast loop (see _render) runs in: 60 digits hold any sum of amounts
# below 10**18 with at most four places, of up to 10**38 of them, so `+=` on Money
# amounts in it is exact. It traps what Python's default context traps, not Inexact,
# so that a record's property doing its own arithmetic while the loop reads it computes
# to more digits rather than raising.
_LOOP: Final = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.Overflow, decimal.DivisionByZero],
)
_MISS: Final = object()


# -- what the loop is told ---------------------------------------------------------------------


class Condition(Protocol):
    """A test of one field that the loop writes in place (a ``FieldCondition``)."""

    @property
    def path(self) -> str:
        """The field (or dotted path) tested."""

    @property
    def values(self) -> tuple[Any, ...] | None:
        """The values that pass, or ``None`` for a range."""

    @property
    def low(self) -> Any:
        """The smallest value that passes (a range)."""

    @property
    def high(self) -> Any:
        """The largest value that passes (a range)."""


@attrs.frozen(kw_only=True)
class KeyRead:
    """How the loop reads one key's raw value from a record.

    Attributes:
        source: the field path or function that reads the raw value.
        paths: the attribute paths read inline for it (``None``: read ``source``).
        careful: makes the reader used when an inline read fails (a ``None`` on the
            way, a missing field): ``None`` or a clear error.
        look: for a lookup key, the looked-up value of an id (kept in a memo).
    """

    source: str | Callable[[Any], Any]
    paths: tuple[str, ...] | None
    careful: Callable[[], Callable[[Any], Any]]
    look: Callable[[Any], Any] | None = None


@attrs.frozen(kw_only=True)
class MeasureRead:
    """What the loop does for one measure of a group.

    Attributes:
        what: ``"count"``, ``"distinct"``, ``"total"`` or ``"sum_of"``.
        source: the field path or function read (``None`` for a count).
        currency: a total's currency (``None``: the rows are split by currency).
        call: a ``where`` function called for each record.
        test: a ``where`` condition tested in place.
        label: how an error names the measure.
        at: the measure's first cell in the group's accumulators.
    """

    what: str
    source: str | Callable[[Any], Any] | None
    currency: str | None
    call: Callable[[Any], bool] | None
    test: Condition | None
    label: str
    at: int


# -- helpers the generated loop calls on rare paths --------------------------------------------


def _money_check(value: object, currency: str | None, label: str) -> None:
    """Refuse a value that is not Money, or Money in the wrong currency."""
    if not isinstance(value, Money):
        raise TypeError(f"{label} must read Money values (got {type(value).__name__} {value!r})")
    if currency is not None and value.currency != currency:
        raise CurrencyMismatch(
            f"{label} adds {currency} amounts and met {value}; group by the currency "
            "(leave out currency=) or filter the records"
        )


def _sum_other(acc_int: int, acc_dec: Decimal | None, value: object, label: str) -> Any:
    if isinstance(value, bool | float | Money):
        hint = (
            "a bool"
            if isinstance(value, bool)
            else "a float (not exact)"
            if isinstance(value, float)
            else "money; use total()"
        )
        raise TypeError(f"{label} must add ints or Decimals, not {hint} (got {value!r})")
    if isinstance(value, int):
        return acc_int + value, acc_dec
    if isinstance(value, Decimal):
        return acc_int, value if acc_dec is None else _SUM.add(acc_dec, value)
    raise TypeError(f"{label} must add ints or Decimals (got {type(value).__name__} {value!r})")


def _currency_of(value: object, label: str) -> str:
    _money_check(value, None, label)
    return value.currency  # type: ignore[attr-defined, no-any-return]


# -- the compiled loop -------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compile(source: str) -> Any:
    return compile(source, "<humanaid.aggregate loop>", "exec")


def _inline(path: str) -> str | None:
    """``path`` as it may be written in the generated source, or None if it may not.

    Only plain ASCII identifiers that are not keywords go into the source (``value.amount``
    becomes ``r.value.amount``); any other path is read through ``operator.attrgetter``.
    """
    parts = path.split(".")
    if all(p.isidentifier() and p.isascii() and not keyword.iskeyword(p) for p in parts):
        return ".".join(parts)
    return None


class _Code:
    """The makings of a generated loop: its namespace, its shared reads, its prologue.

    Objects (the caller's functions, currencies, values to compare with) are put in the
    namespace under generated names; the source only ever holds those names, the fixed
    fragments of :func:`compile_loop`, and field paths that :func:`_inline` accepts.
    """

    def __init__(self, careful: Callable[[str], Callable[[Any], Any]]) -> None:
        self.ns: dict[str, Any] = {
            "_Money": Money,
            "_Decimal": Decimal,
            "_ZERO": _ZERO,
            "_MISS": _MISS,
            "_LOOP": _LOOP,
            "_add": _SUM.add,
            "_localcontext": localcontext,
            "_money_check": _money_check,
            "_sum_other": _sum_other,
            "_currency_of": _currency_of,
        }
        self.prologue: list[str] = []
        self.body: list[str] = []
        self.ours_only = True  # no function of the caller's is called in the loop
        self._careful = careful
        self._reads: dict[Any, str] = {}
        self._sources: list[Any] = []  # keeps the functions whose ids name shared reads alive
        self._names = itertools.count()

    def put(self, prefix: str, obj: object) -> str:
        """A new name in the namespace for ``obj``."""
        name = f"_{prefix}{next(self._names)}"
        self.ns[name] = obj
        return name

    def call(self, function: Callable[[Any], Any]) -> str:
        """A new name for a function of the caller's that the loop calls."""
        self.ours_only = False
        return self.put("fn", function)

    def read(self, var: str, paths: tuple[str, ...], safe: Callable[[Any], Any]) -> list[str]:
        """Lines that set ``var`` to the record's value at ``paths`` (a tuple for several).

        The fast read raises AttributeError on a ``None`` on the way or a missing field;
        ``safe`` then gives ``None`` or a clear error.
        """
        inline = [_inline(p) for p in paths]
        if all(p is not None for p in inline):
            exprs = [f"r.{p}" for p in inline]
            expr = exprs[0] if len(exprs) == 1 else f"({', '.join(exprs)},)"
        else:
            expr = f"{self.put('get', operator.attrgetter(*paths))}(r)"
        return [
            "try:",
            f"    {var} = {expr}",
            "except AttributeError:",
            f"    {var} = {self.put('safe', safe)}(r)",
        ]

    def shared(
        self, source: str | Callable[[Any], Any], *, only_if_read: bool = False
    ) -> tuple[list[str], str]:
        """The lines that read ``source`` and the variable holding it.

        A source read once for every record (by a key, the filter or a measure without
        ``where``) is read only once: later readers get the variable and no lines. With
        ``only_if_read`` (a reader under a condition) the value is read into a variable of
        its own when no one has read it before, and not shared.
        """
        ident = source if isinstance(source, str) else ("function", id(source))
        var = self._reads.get(ident)
        if var is not None:
            return [], var
        var = f"x{next(self._names)}"
        if not only_if_read:
            self._reads[ident] = var
            self._sources.append(source)
        if isinstance(source, str):
            return self.read(var, (source,), self._careful(source)), var
        return [f"{var} = {self.call(source)}(r)"], var

    def test(self, condition: Condition, var: str) -> str:
        """The expression of ``condition`` on the value in ``var``."""
        if condition.values is not None:
            return f"{var} in {self.put('values', condition.values)}"
        low, high = self.put("low", condition.low), self.put("high", condition.high)
        return f"{var} is not None and {low} <= {var} <= {high}"


_ADD: Final = re.compile(r"^( *)@add (\d+) (\w+)$")


def _render(code: _Code, *, fast: bool) -> str:
    """The source of ``_run`` from the loop's body, prologue and namespace.

    The namespace's objects come in as keyword defaults, so the loop reads them as locals
    (the fastest kind of name). A money total's ``@add at var`` line becomes an exact add
    in the local context ``_SUM`` (a method call), or, in the ``fast`` loop, which runs
    entirely inside the local context ``_LOOP``, a plain ``+=`` (exact there too).
    """

    def add(match: re.Match[str]) -> str:
        indent, at, var = match.groups()
        if fast:
            return f"{indent}st[{at}] += {var}._amount"
        return f"{indent}st[{at}] = _add(st[{at}], {var}._amount)"

    names = ", ".join(f"{n}={n}" for n in sorted(code.ns))
    loop = ["for r in records:", *("    " + _ADD.sub(add, ln) for ln in code.body)]
    if fast:
        loop = ["with _localcontext(_LOOP):", *("    " + ln for ln in loop)]
    return "\n".join(
        [
            f"def _run(records, *, {names}):",
            "    groups = {}",
            "    get = groups.get",
            *("    " + ln for ln in code.prologue),
            *("    " + ln for ln in loop),
            "    return groups",
        ]
    )


def compile_loop(
    keys: Sequence[KeyRead],
    measures: Sequence[MeasureRead],
    *,
    where: Callable[[Any], bool] | None,
    where_test: Condition | None,
    currency: str | Callable[[Any], Any] | None,
    currency_label: str,
    careful: Callable[[str], Callable[[Any], Any]],
) -> Loop:
    """The loop of one query: records in, each group's key and accumulators out.

    A group's key is the tuple of its keys' raw values (the value itself for one key),
    then the currency when ``currency`` splits the rows; its accumulators are, measure
    by measure, a count, a set, a Decimal total, or an int and a Decimal (``sum_of``).

    Args:
        keys: how each key's raw value is read, in the table's order.
        measures: what each measure does, in the table's order.
        where: a filter of the query, called for each record.
        where_test: a filter of the query, tested in place.
        currency: the money field whose currency splits the rows (totals without one).
        currency_label: how an error names that total.
        careful: makes the reader of a field path that gives ``None`` for a ``None`` on
            the way and names a missing field.
    """
    code = _Code(careful)
    body: list[str] = code.body
    # the query's filter: read inline when it is a condition, else one call a record
    if where_test is not None:
        lines, var = code.shared(where_test.path)
        body += [*lines, f"if not ({code.test(where_test, var)}):", "    continue"]
    elif where is not None:
        body += [f"if not {code.call(where)}(r):", "    continue"]
    # the value of the field whose currency splits rows
    cv = ""
    if currency is not None:
        label = code.put("label", currency_label)
        lines, cv = code.shared(currency)
        body += lines
        body += [
            f"if {cv} is None:",
            "    c = None",
            f"elif {cv}.__class__ is _Money:",
            f"    c = {cv}._currency",
            "else:",
            f"    c = _currency_of({cv}, {label})",
        ]
    # the group key: each key's value read inline, a looked-up one through a memo
    parts: list[str] = []
    for i, k in enumerate(keys):
        var = f"k{i}"
        if k.look is not None:
            lines, ref = code.shared(k.source)
            memo, look = f"_memo{i}", code.put("look", k.look)
            code.prologue += [f"{memo} = {{}}", f"{memo}_get = {memo}.get"]
            body += lines
            body += [
                f"{var} = {memo}_get({ref}, _MISS)",
                f"if {var} is _MISS:",
                f"    {var} = {memo}[{ref}] = {look}({ref})",
            ]
        elif k.paths is None or k.paths == (k.source,):
            lines, var = code.shared(k.source)
            body += lines
        else:
            body += code.read(var, k.paths, k.careful())
        parts.append(var)
    if currency is not None:
        parts.append("c")
    if not parts:
        body.append("k = ()")
    elif len(parts) == 1:
        body.append(f"k = {parts[0]}")
    else:
        body.append(f"k = ({', '.join(parts)},)")
    # the values the unrestricted measures read, once each, whatever reads them
    for m in measures:
        splits = m.what == "total" and m.currency is None  # read as the currency's
        unrestricted = m.call is None and m.test is None
        if unrestricted and m.source is not None and not splits:
            body += code.shared(m.source)[0]
    # the group's accumulators
    inits: list[str] = []
    for m in measures:
        if m.what == "count":
            inits.append("0")
        elif m.what == "distinct":
            inits.append("set()")
        elif m.what == "total":
            inits.append("_ZERO")
        else:
            inits += ["0", "None"]
    body += [
        "st = get(k)",
        "if st is None:",
        f"    st = groups[k] = [{', '.join(inits)}]",
    ]
    # each measure's update
    checked: set[tuple[str, str | None]] = set()
    for m in measures:
        at = m.at
        guarded = m.call is not None or m.test is not None
        lines = []
        if m.what != "count":
            assert m.source is not None
            if m.what == "total" and m.currency is None:
                var = cv
            else:
                lines, var = code.shared(m.source, only_if_read=guarded)
        label = code.put("label", m.label)
        if m.what == "count":
            lines = [f"st[{at}] += 1"]
        elif m.what == "distinct":
            lines += [f"if {var} is not None:", f"    st[{at}].add({var})"]
        elif m.what == "total":
            if m.currency is not None and (var, m.currency) not in checked:
                # Money in the currency: added at once (the class test also
                # rules out None); anything else but None: checked, which raises
                # unless it is Money of a subclass in the currency.
                cur = code.put("cur", m.currency)
                lines += [
                    f"if {var}.__class__ is _Money and {var}._currency == {cur}:",
                    f"    @add {at} {var}",  # see _render
                    f"elif {var} is not None:",
                    f"    _money_check({var}, {cur}, {label})",
                    f"    @add {at} {var}",
                ]
                if not guarded:
                    checked.add((var, m.currency))
            else:  # checked already, or its currency splits the rows (so is Money)
                lines += [f"if {var} is not None:", f"    @add {at} {var}"]
        else:
            lines += [
                f"if {var} is not None:",
                f"    if {var}.__class__ is int:",
                f"        st[{at}] += {var}",
                f"    elif {var}.__class__ is _Decimal:",
                f"        d = st[{at + 1}]",
                f"        st[{at + 1}] = {var} if d is None else _add(d, {var})",
                "    else:",
                f"        st[{at}], st[{at + 1}] = _sum_other(st[{at}], st[{at + 1}], {var}, "
                f"{label})",
            ]
        if m.test is not None:
            test_lines, w = code.shared(m.test.path, only_if_read=True)
            lines = [
                *test_lines,
                f"if {code.test(m.test, w)}:",
                *("    " + ln for ln in lines),
            ]
        elif m.call is not None:
            lines = [f"if {code.call(m.call)}(r):", *("    " + ln for ln in lines)]
        body += lines
    exact_loop = code.ours_only and any(m.what == "total" for m in measures)
    ns = dict(code.ns)
    exec(_compile(_render(code, fast=False)), ns)
    run: Loop = ns["_run"]
    if not exact_loop:
        return run
    exec(_compile(_render(code, fast=True)), ns)
    fast: Loop = ns["_run"]

    def choose(records: Iterable[Any]) -> dict[Any, list[Any]]:
        # A list or a tuple runs no code of the caller's while it is read; with no
        # caller's function in the query either, the loop can add money with `+=` in
        # a local context (a generator's own arithmetic would run in it: not then).
        return fast(records) if records.__class__ in (list, tuple) else run(records)

    return choose
