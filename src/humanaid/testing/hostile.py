"""A corpus of damaged inputs for every record type: what a loader must refuse, cleanly.

:func:`hostile_inputs` takes a record type and one valid record of it, and returns
:class:`HostileCase` values: the record's data damaged one way at a time (a float where
money belongs, ``NaN``, a number of thousands of digits, full-width or Arabic-Indic
digits, an impossible date, a datetime for a date, an unknown or wrongly cased enum
value, an extra, repeated or missing key, ``null``, a value of the wrong type, nesting
thousands deep, zero-width and bidi characters, a string of a few hundred thousand
characters, bytes that are not UTF-8, JSON cut short), each through a channel:
:func:`~humanaid.from_json`, :func:`~humanaid.from_dict`, JSON Lines
(:func:`~humanaid.iter_json_lines`) and CSV (:func:`~humanaid.read_csv`).

Every case is input the library must refuse: a loader that takes one has let bad data
in, and a loader that raises anything but :class:`~humanaid.InvalidInput` (or, for CSV,
reports anything but problems on the bad row, while still reading the good row after it)
has crashed. :func:`outcome` runs a case and says which it was; the library's own test
(``tests/test_hostile_input.py``) runs the corpus of every record type of
:func:`~humanaid.testing.record_strategies`, and your tests can run it for your records.

>>> from humanaid import Money
>>> cases = hostile_inputs(Money, Money("12.50"))
>>> len(cases) > 50
True
>>> {outcome(c).verdict for c in cases}
{'rejected'}
"""

from __future__ import annotations

import enum
import functools
import io
import json
import operator
import types
import typing
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import attrs

__all__ = ["HostileCase", "Outcome", "example_records", "hostile_inputs", "outcome"]

_NONE: Final = type(None)

DEEP: Final = 3000
"""How deep the deeply nested values go (CPython's recursion limit is 1,000)."""
HUGE_TEXT: Final = 30_000
"""The characters of a huge string: far above any text limit, cheap to build."""
MANY_DIGITS: Final = 5000
"""The digits of a huge number (Python's own int limit is 4,300)."""

_EXTRA_KEY: Final = "zz_not_a_field"


@attrs.frozen
class HostileCase:
    """One damaged input and how it is fed to the library.

    Attributes:
        record_type: the record class the input claims to be.
        channel: ``"json"`` (text to :func:`~humanaid.from_json`), ``"bytes"`` (bytes to
            it), ``"dict"`` (data to :func:`~humanaid.from_dict`), ``"jsonl"`` (a line
            of :func:`~humanaid.iter_json_lines`) or ``"csv"`` (a file to
            :func:`~humanaid.read_csv`: its header, a good row, the damaged row and the
            good row again).
        kind: what was done, such as ``"float"``, ``"deep-nesting"`` or ``"missing-key"``.
        where: where in the record the damage is, as a path of keys and indexes
            (a column name for CSV).
        payload: the input itself.
    """

    record_type: type
    channel: str
    kind: str
    where: tuple[str | int, ...]
    payload: Any = attrs.field(repr=False)

    @property
    def label(self) -> str:
        """A short description, such as ``Donation json float $.value.amount``."""
        path = "$" + "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in self.where)
        return f"{self.record_type.__name__} {self.channel} {self.kind} {path}"


@attrs.frozen
class Outcome:
    """What a case gave.

    Attributes:
        verdict: ``"rejected"`` (refused with problems that each have a path and a known
            code), ``"accepted"`` (the damaged input was taken), ``"unplaced"`` (refused,
            but a problem lacks a known code, a path, or the good rows of a CSV were lost)
            or ``"crash"`` (an exception other than :class:`~humanaid.InvalidInput`).
        detail: the problems, or the exception, as text.
    """

    verdict: str
    detail: str = ""


# -- valid records to damage ------------------------------------------------------------------


def example_records(strategy: Any, *, count: int = 12) -> list[Any]:
    """A few valid records drawn from ``strategy``, the same each run (derandomized).

    The richest (longest as JSON) come first: they have the most fields to damage.
    """
    from hypothesis import HealthCheck, Phase, given, settings

    from humanaid.serialize import to_json

    seen: list[Any] = []

    @settings(
        database=None,
        derandomize=True,
        max_examples=count,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def draw(value: Any) -> None:
        seen.append(value)

    draw()
    return sorted(seen, key=lambda r: -len(to_json(r)))


# -- damage by declared type ------------------------------------------------------------------


def _unwrap(t: Any) -> tuple[Any, bool]:
    if typing.get_origin(t) in (types.UnionType, typing.Union):
        args = typing.get_args(t)
        rest = [a for a in args if a is not _NONE]
        inner = rest[0] if len(rest) == 1 else functools.reduce(operator.or_, rest)
        return inner, len(rest) != len(args)
    return t, False


def _deep_list() -> Any:
    value: Any = []
    for _ in range(DEEP):
        value = [value]
    return value


def _deep_dict() -> Any:
    value: Any = {}
    for _ in range(DEEP):
        value = {"a": value}
    return value


_DEEP_LIST: Final = _deep_list()
_DEEP_DICT: Final = _deep_dict()
_DEEP_LIST_TEXT: Final = "[" * (DEEP + 1) + "]" * (DEEP + 1)
_DEEP_DICT_TEXT: Final = '{"a":' * DEEP + "{}" + "}" * DEEP
_HUGE_INT: Final = "9" * MANY_DIGITS  # as JSON text: a literal, not a Python int
_HUGE_TEXT: Final = "a" * HUGE_TEXT


class _Raw:
    """JSON text put as is in a document (a number too long for Python, NaN)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _is_record(t: Any) -> bool:
    from humanaid.money import Money

    return isinstance(t, type) and attrs.has(t) and t is not Money


def _tuple_item(t: Any) -> Any:
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    if origin in (frozenset, set, typing.AbstractSet) and len(args) == 1:
        return args[0]
    return None


_CONTROLS: Final = (
    ("nul", "\x00"),
    ("escape", "\x1b[31m"),
    ("bidi-override", "\u202e"),
    ("bidi-isolate", "\u2067"),
    ("zero-width-space", "\u200b"),
    ("zero-width-joiner", "\u200d"),
    ("byte-order-mark", "\ufeff"),
    ("line-separator", "\u2028"),
)

_FREE_FORM: Final = {("Finding", "message"), ("Finding", "subject")}
"""Text the library writes itself and reads back as it is (a finding's sentence)."""


def _value_damage(
    t: Any, value: Any, optional: bool, owner: str, name: str
) -> Iterator[tuple[str, Any]]:
    """``(kind, bad value)`` for a field of declared type ``t`` holding ``value``."""
    from humanaid.money import Money

    if not optional:
        yield "null", None
    yield "deep-nesting", _DEEP_LIST
    if t is Money:
        if not isinstance(value, dict):
            value = {"amount": "1.00", "currency": "CNY"}
        yield "wrong-type", "12.50"
        yield "array-for-object", [value]
        for kind, amount in (
            ("float", 12.5),
            ("nan", _Raw("NaN")),
            ("infinity", _Raw("-Infinity")),
            ("huge-number", _Raw(_HUGE_INT)),
            ("huge-number", "9" * MANY_DIGITS),
            ("tiny-number", "0." + "0" * MANY_DIGITS + "1"),
            ("tiny-number", 1e-320),
            ("exponent", "1e3"),
            ("full-width-digits", "１２.５０"),
            ("exotic-digits", "١٢.٥٠"),
            ("exotic-digits", "१२"),
            ("deep-nesting", _DEEP_DICT),
            ("wrong-type", True),
        ):
            yield kind, {"amount": amount, "currency": value["currency"]}
        yield "wrong-case-enum", {"amount": value["amount"], "currency": "cny"}
        yield "unknown-enum", {"amount": value["amount"], "currency": "ZZQ"}
        yield "missing-key", {"amount": value["amount"]}
        yield "extra-key", {**value, _EXTRA_KEY: 1}
        return
    if t is date:
        yield "impossible-date", "2023-02-29"
        yield "impossible-date", "2020-13-01"
        yield "impossible-date", "0000-01-01"
        yield "datetime-for-date", "2020-01-05T10:30:00"
        yield "datetime-for-date", "2020-01-05 10:30"
        yield "full-width-digits", "２０２０-０１-０５"
        yield "exotic-digits", "٢٠٢٠-٠١-٠٥"
        yield "wrong-type", 20200105
        yield "float", 2020.0105
        for kind, ch in _CONTROLS[:4]:
            yield kind, "2020-01-05" + ch
        yield "huge-string", _HUGE_TEXT
        return
    if t is bool:
        yield "wrong-type", "true"
        yield "wrong-type", 1
        yield "float", 1.0
        return
    if t is int:
        yield "float", 3.0
        yield "float", 3.5
        yield "nan", _Raw("NaN")
        yield "infinity", _Raw("Infinity")
        yield "huge-number", _Raw(_HUGE_INT)
        yield "huge-number", 10**40
        yield "tiny-number", 1e-320
        yield "wrong-type", "3"
        yield "full-width-digits", "３"
        yield "exotic-digits", "٣"
        yield "wrong-type", True
        return
    if t is Decimal:
        yield "float", 0.25
        yield "nan", _Raw("NaN")
        yield "nan", "NaN"
        yield "huge-number", "9" * MANY_DIGITS
        yield "huge-number", _Raw(_HUGE_INT)
        yield "tiny-number", "0." + "0" * MANY_DIGITS + "1"
        yield "exponent", "1e-400"
        yield "full-width-digits", "０.２５"
        yield "exotic-digits", "٠.٢٥"
        yield "wrong-type", True
        return
    if isinstance(t, type) and issubclass(t, enum.Enum):
        yield "unknown-enum", "zz-not-a-member"
        if isinstance(value, str) and value.upper() != value:
            yield "wrong-case-enum", value.upper()
        if isinstance(value, str):
            yield "wrong-case-enum", " " + value
            for kind, ch in _CONTROLS[2:5]:
                yield kind, value + ch
        yield "wrong-type", 1.5
        yield "wrong-type", ["x"]
        return
    if t is str:
        yield "wrong-type", 12
        yield "wrong-type", ["x"]
        yield "wrong-type", {"x": "y"}
        yield "float", 1.5
        if (owner, name) in _FREE_FORM:
            return
        base = value if isinstance(value, str) and value else "x"
        for kind, ch in _CONTROLS:
            yield kind, base[:1] + ch + base[1:]
        yield "huge-string", _HUGE_TEXT
        yield "huge-string", "汉" * HUGE_TEXT
        return
    item = _tuple_item(t)
    if item is not None:
        yield "object-for-array", value[0] if isinstance(value, list) and value else {"x": 1}
        yield "wrong-type", "x"
        return
    if _is_record(t):
        yield "array-for-object", [value]
        yield "wrong-type", "x"
        yield "deep-nesting", _DEEP_DICT
        return
    if typing.get_origin(t) in (dict, Mapping, typing.Mapping) or t is Mapping:
        yield "array-for-object", [value]
        yield "deep-nesting", {"x": _DEEP_DICT}
        return
    yield "wrong-type", {"x": _DEEP_LIST}


def _fields(cls: type) -> list[attrs.Attribute[Any]]:
    attrs.resolve_types(cls)
    return [a for a in attrs.fields(cls) if a.init]


def _damaged(
    cls: type, data: Any, path: tuple[str | int, ...], *, depth: int = 0, nested: int = 2
) -> Iterator[tuple[str, tuple[str | int, ...], Any]]:
    """``(kind, path, damaged document)`` for each way to damage ``data`` of ``cls``.

    Nested records and the records in tuples are damaged too (the first item of a tuple,
    and only a few levels down, so that the corpus stays small).
    """
    if not isinstance(data, dict):
        return
    yield "extra-key", path, {**data, _EXTRA_KEY: "x"}
    for a in _fields(cls):
        key = a.alias or a.name
        t, optional = _unwrap(a.type)
        if a.default is attrs.NOTHING and key in data:
            yield "missing-key", (*path, key), {k: v for k, v in data.items() if k != key}
        if key not in data:
            continue
        value = data[key]
        for kind, bad in _value_damage(t, value, optional, cls.__name__, a.name):
            yield kind, (*path, key), {**data, key: bad}
        if depth >= nested or value is None:
            continue
        if _is_record(t):
            for kind, where, inner in _damaged(
                t, value, (*path, key), depth=depth + 1, nested=nested
            ):
                yield kind, where, {**data, key: inner}
        item = _tuple_item(t)
        if item is not None and isinstance(value, list) and value and _is_record(item):
            for kind, where, inner in _damaged(
                item, value[0], (*path, key, 0), depth=depth + 1, nested=nested
            ):
                yield kind, where, {**data, key: [inner, *value[1:]]}


# -- writing damaged documents as JSON ----------------------------------------------------------


def _json_text(value: Any) -> str:
    """Compact JSON, with :class:`_Raw` parts (and the deep values) written as they are."""
    raws: list[str] = []

    def swap(v: Any) -> Any:
        if v is _DEEP_LIST:
            v = _Raw(_DEEP_LIST_TEXT)
        elif v is _DEEP_DICT:
            v = _Raw(_DEEP_DICT_TEXT)
        if isinstance(v, _Raw):
            raws.append(v.text)
            return f"\x00raw{len(raws) - 1}\x00"
        if isinstance(v, dict):
            return {k: swap(x) for k, x in v.items()}
        if isinstance(v, list):
            return [swap(x) for x in v]
        return v

    text = json.dumps(swap(value), ensure_ascii=False, separators=(",", ":"))
    for i, raw in enumerate(raws):
        text = text.replace(f'"\\u0000raw{i}\\u0000"', raw)
    return text


def _plain(value: Any) -> Any:
    """The document as Python data for from_dict: raw JSON parts become Python values."""
    if value is _DEEP_LIST or value is _DEEP_DICT:
        return value
    if isinstance(value, _Raw):
        if value.text in ("NaN", "Infinity", "-Infinity"):
            return float(value.text)
        return Decimal(value.text)  # a number Python's int would refuse: a Decimal instead
    if isinstance(value, dict):
        return {k: _plain(x) for k, x in value.items()}
    if isinstance(value, list):
        return [_plain(x) for x in value]
    return value


# -- the corpus -----------------------------------------------------------------------------------


def hostile_inputs(
    record_type: type,
    example: Any,
    *,
    channels: tuple[str, ...] = ("json", "dict", "jsonl"),
    nested: int = 2,
) -> list[HostileCase]:
    """Damaged inputs of ``record_type``, made from one valid record ``example``.

    Args:
        record_type: the record class.
        example: a valid record of it (the richer, the more fields are damaged).
        channels: which of ``"json"`` (with ``"bytes"`` cases: invalid UTF-8 and a byte
            order mark), ``"dict"``, ``"jsonl"`` and ``"csv"`` to make cases for. CSV
            cases are made only for record types whose default
            :class:`~humanaid.CsvSchema` writes ``example`` and reads it back.
        nested: how many levels of records inside records are damaged too (0 for a
            container such as :class:`~humanaid.Dataset`, whose records have cases of
            their own).

    Returns:
        The cases, each input damaged one way.
    """
    from humanaid.serialize import to_dict

    data = to_dict(example)
    out: list[HostileCase] = []
    damaged = (
        list(_damaged(record_type, data, (), nested=nested)) if _is_record(record_type) else []
    )
    if not _is_record(record_type):  # Money: one value, damaged as a field of its type
        damaged = [
            (kind, (), bad)
            for kind, bad in _value_damage(type(example), data, False, "", "")
            if kind != "null"
        ]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for kind, where, doc in damaged:
        if "json" in channels:
            out.append(HostileCase(record_type, "json", kind, where, _json_text(doc)))
        if "dict" in channels:
            out.append(HostileCase(record_type, "dict", kind, where, _plain(doc)))
    if "json" in channels:
        for kind, where, payload in _text_damage(data, text):
            channel = "bytes" if isinstance(payload, bytes) else "json"
            out.append(HostileCase(record_type, channel, kind, where, payload))
        out.append(HostileCase(record_type, "json", "deep-nesting", (), _json_text(_DEEP_LIST)))
        out.append(HostileCase(record_type, "json", "deep-nesting", (), _json_text(_DEEP_DICT)))
    if "dict" in channels:
        out.append(HostileCase(record_type, "dict", "deep-nesting", (), _DEEP_DICT))
        out.append(HostileCase(record_type, "dict", "wrong-type", (), [data]))
        out.append(HostileCase(record_type, "dict", "datetime-for-date", (), datetime(2020, 1, 5)))
    if "jsonl" in channels:
        # Each line-level case once per kind: the lines go through from_json's checks.
        firsts: dict[str, tuple[tuple[str | int, ...], Any]] = {}
        for kind, where, doc in damaged:
            firsts.setdefault(kind, (where, doc))
        for kind, (where, doc) in firsts.items():
            out.append(HostileCase(record_type, "jsonl", kind, where, _json_text(doc)))
        for kind, where, payload in _text_damage(data, text)[:3]:
            out.append(HostileCase(record_type, "jsonl", kind, where, payload))
    if "csv" in channels:
        out.extend(_csv_cases(record_type, example))
    return out


def _text_damage(data: Any, text: str) -> list[tuple[str, tuple[str | int, ...], Any]]:
    """Damage to the JSON text itself: cut short, repeated keys, bytes that are not UTF-8."""
    out: list[tuple[str, tuple[str | int, ...], Any]] = []
    for cut in (1, len(text) // 2, len(text) - 1):
        out.append(("truncated-json", (), text[:cut]))
    if isinstance(data, dict) and data:
        first = next(iter(data))
        dup = json.dumps({first: data[first]}, ensure_ascii=False, separators=(",", ":"))
        out.append(("duplicate-key", (first,), "{" + dup[1:-1] + "," + text[1:]))
    raw = text.encode()
    out.append(("invalid-utf8", (), raw[:1] + b"\xff" + raw[1:]))
    quote = raw.find(b'"', raw.find(b":"))
    if quote > 0:
        out.append(("invalid-utf8", (), raw[: quote + 1] + b"\xc3\x28" + raw[quote + 1 :]))
        out.append(("invalid-utf8", (), raw[: quote + 1] + b"\xed\xa0\x80" + raw[quote + 1 :]))
    out.append(("byte-order-mark", (), "\ufeff" + text))
    out.append(("trailing-data", (), text + "}"))
    out.append(("empty", (), ""))
    return out


# -- CSV ----------------------------------------------------------------------------------------


def _csv_cases(record_type: type, example: Any) -> list[HostileCase]:
    """A file of a header, a good row, a damaged row and the good row again, per damage."""
    from humanaid.io import CsvSchema, read_csv, write_csv

    try:
        schema: Any = CsvSchema.for_type(record_type, escaped=True)
        buf = io.StringIO()
        write_csv([example], buf, schema)
        header, good = buf.getvalue().splitlines()[:2]
        back = read_csv(io.StringIO(f"{header}\n{good}\n"), schema)
    except Exception:  # a type CSV cannot hold: no CSV cases
        return []
    if back.problems or back.records != (example,):
        return []
    import csv

    names = next(csv.reader([header]))
    cells = next(csv.reader([good]))
    kinds = {c.header: c for c in schema.columns}
    out: list[HostileCase] = []

    def row(values: list[str]) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow(values)
        return buf.getvalue()

    def add(kind: str, column: str, line: str | bytes) -> None:
        if isinstance(line, bytes):
            payload: Any = (
                header.encode()
                + b"\r\n"
                + good.encode()
                + b"\r\n"
                + line
                + b"\r\n"
                + good.encode()
                + b"\r\n"
            )
        else:
            payload = f"{header}\r\n{good}\r\n{line}\r\n{good}\r\n"
        out.append(HostileCase(record_type, "csv", kind, (column,), payload))

    from humanaid.io import CsvColumnKind

    position = {n: i for i, n in enumerate(names)}
    money_given = any(
        cells[position[c.header]]
        for c in schema.columns
        if c.kind is CsvColumnKind.MONEY and c.header in position
    )
    for i, name in enumerate(names):
        column = kinds.get(name)
        if column is None and not money_given:
            continue  # a currency column no amount of the row uses: not read at all
        for kind, cell in _cell_damage(record_type, schema, name, column, cells[i]):
            add(kind, name, row([*cells[:i], cell, *cells[i + 1 :]]))
    add("wrong-cell-count", "", row([*cells, "x"]))
    if any(cells[:-1]):  # one cell fewer (unless that leaves a blank row, which is skipped)
        add("wrong-cell-count", "", row(cells[:-1]))
    add("too-many-columns", "", row([*cells, *["x"] * 20_000]))
    add("huge-line", "", row([*cells[:-1], cells[-1] + "a" * 2_000_000]))
    add("invalid-utf8", names[0], b"\xff\xfe" + row(cells[1:]).encode())
    add("nul-byte", names[0], row(["\x00", *cells[1:]]))
    add("unclosed-quote", names[0], '"' + row(cells))
    return out


def _cell_damage(
    record_type: type, schema: Any, name: str, column: Any, cell: str
) -> Iterator[tuple[str, str]]:
    from humanaid.io import CsvColumnKind

    if column is None:  # a currency column
        yield "unknown-enum", "ZZQ"
        yield "wrong-case-enum", "cny"
        return
    field = _field_at(record_type, column.field)
    t, optional = _unwrap(field.type) if field is not None else (None, True)
    if column.kind is CsvColumnKind.MONEY:
        yield "huge-number", "9" * MANY_DIGITS
        yield "tiny-number", "0." + "0" * MANY_DIGITS + "1"
        yield "full-width-digits", "１２.５０"
        yield "exotic-digits", "١٢.٥٠"
        yield "nan", "NaN"
        yield "exponent", "1e3"
        return
    if column.kind is CsvColumnKind.JSON:
        yield "deep-nesting", "[" * DEEP + "]" * DEEP
        yield "deep-nesting", '{"a":' * DEEP + "{}" + "}" * DEEP
        yield "truncated-json", (cell or "[{}]")[:-1] or "["
        yield "huge-number", _HUGE_INT
        yield "nan", "NaN"
        return
    if column.kind is CsvColumnKind.PARTY:
        yield "wrong-type", "no-colon"
        yield "unknown-enum", "zz:f1"
        return
    if t is int:
        yield "huge-number", _HUGE_INT
        yield "float", "3.5"
        yield "full-width-digits", "３"
        yield "exotic-digits", "٣"
        return
    if t is date:
        yield "impossible-date", "2023-02-29"
        yield "datetime-for-date", "2020-01-05T10:30:00"
        yield "full-width-digits", "２０２０-０１-０５"
        return
    if t is Decimal:
        yield "huge-number", "9" * MANY_DIGITS
        yield "full-width-digits", "０.２５"
        yield "nan", "NaN"
        return
    if t is bool:
        yield "wrong-type", "yes please"
        return
    if isinstance(t, type) and issubclass(t, enum.Enum):
        yield "unknown-enum", "zz-not-a-member"
        if cell and cell.upper() != cell:
            yield "wrong-case-enum", cell.upper()
        return
    if t is str or _tuple_item(t) is str:
        base = cell.lstrip("'") or "x"
        if not cell and optional and t is str:
            return  # an empty optional text cell: damage needs a value to hide in
        for kind, ch in _CONTROLS:
            if ch.isspace():
                continue
            yield kind, base[:1] + ch + base[1:]
        yield "huge-string", "a" * HUGE_TEXT
        return


def _field_at(record_type: type, dotted: str) -> attrs.Attribute[Any] | None:
    current: Any = record_type
    found = None
    for part in dotted.split("."):
        if not _is_record(current):
            return None
        fields = {a.name: a for a in _fields(current)}
        found = fields.get(part)
        if found is None:
            return None
        current, _ = _unwrap(found.type)
    return found


# -- running a case -------------------------------------------------------------------------------


def _safe(text: str) -> bool:
    """Whether a message is safe to print: no control or invisible character in it."""
    if text.replace("\n", " ").isprintable():  # the common case, in C
        return True
    return not any(unicodedata.category(c) in ("Cc", "Cf") for c in text if c != "\n")


def outcome(case: HostileCase) -> Outcome:
    """Run ``case`` and say how the library took it (see :class:`Outcome`)."""
    from humanaid.errors import ERROR_CODES, InvalidInput
    from humanaid.io import read_csv
    from humanaid.serialize import from_dict, from_json, iter_json_lines

    cls = case.record_type
    try:
        if case.channel in ("json", "bytes"):
            from_json(case.payload, cls)
        elif case.channel == "dict":
            from_dict(case.payload, cls)
        elif case.channel == "jsonl":
            lines = [case.payload]
            list(iter_json_lines(lines, cls))
        elif case.channel == "csv":
            return _csv_outcome(case, read_csv)
        else:
            raise ValueError(f"unknown channel {case.channel!r}")
    except InvalidInput as exc:
        return _judge(exc.problems, str(exc), ERROR_CODES)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Outcome("crash", f"{type(exc).__name__}: {_short(str(exc))}")
    return Outcome("accepted")


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:300] + "..."


def _judge(problems: Any, text: str, codes: Mapping[str, str]) -> Outcome:
    problems = tuple(problems)
    if not problems:
        return Outcome("unplaced", "no problems listed")
    for p in problems:
        if p.code not in codes or not isinstance(p.path, tuple):
            return Outcome("unplaced", f"code {p.code!r} at {p.path!r}")
    if not _safe(text):
        return Outcome("unplaced", "a message echoes a control or invisible character")
    return Outcome("rejected", _short(text))


@functools.cache
def _schema(record_type: type) -> Any:
    from humanaid.io import CsvSchema

    return CsvSchema.for_type(record_type, escaped=True)


def _csv_outcome(case: HostileCase, read_csv: Callable[..., Any]) -> Outcome:
    from humanaid.errors import ERROR_CODES

    schema = _schema(case.record_type)
    payload = case.payload
    source = io.BytesIO(payload) if isinstance(payload, bytes) else io.StringIO(payload)
    try:
        result = read_csv(source, schema)
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Outcome("crash", f"{type(exc).__name__}: {_short(str(exc))}")
    bad = [p for p in result.problems if p.row == 3]
    if not bad:
        return Outcome("accepted", repr(result))
    text = "\n".join(str(p) for p in result.problems)
    verdict = _judge(bad, text, ERROR_CODES)
    if verdict.verdict != "rejected":
        return verdict
    if case.kind != "unclosed-quote" and len(result.records) != 2:
        return Outcome("unplaced", f"the good rows were not all read: {result!r}")
    return verdict
