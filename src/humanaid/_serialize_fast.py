"""The loaders and writers generated per record class: serialize's fast paths.

:mod:`humanaid.serialize` checks everything through one cattrs converter and reports
every problem; that path is the reference. For input that is good, it first tries the
code generated here, once per record class, on first use:

* a **loader** from a plain dict with exactly the class's keys, each value of the plain
  JSON type and passing the field's checks. It reads the keys directly, builds the
  values through the cheap paths (Money, dates, enums), and builds the instance without
  running a check twice: the validators and converters of ``humanaid.records`` whose
  rule it has already checked inline are skipped, every other validator and converter
  is called as attrs calls it, in attrs' order, and ``__attrs_post_init__`` runs as
  always, except where its own test in ``humanaid.records._PASSES`` (a gift's) says it
  would pass, as in the record's generated ``__init__``;
* a **text loader** that reads a line exactly as ``to_json`` writes it (compact, keys
  in field order, top-level strings without escapes) with one regular expression
  instead of the JSON parser; the checks after reading are the same generated code;
* a **writer** that reads each attribute once and writes the same characters the
  converter's dict and the compact encoder would;
* with the **accelerator** (msgspec, the ``fast`` extra; :func:`set_accelerator`), a
  loader that parses a line, however spaced, with msgspec's C parser into a flat struct
  made for the class (every key required, unknown keys refused) and then runs the text
  loader's checks, and a writer that hands the record's values, each of the exact class
  expected, to msgspec's C writer.

A loader accepts exactly what the detailed path accepts and builds the same value, and
a writer writes the converter's text to the byte (the properties of
``tests/test_serialize_fast.py`` check all three laws for every record type); on
anything else they raise or refuse, and the detailed path runs from the start, so every
problem is reported as before. Money, dates and reference ids that repeat are kept (the
first few thousand distinct ones) and shared between records: they are immutable.

What it buys (``benchmarks/README.md``: ``benchmarks/run.py``, N = 1,000,000 donations,
CPU time a record): loading a JSON line 8.3 µs instead of 28.5 (pydantic v2: 19.7),
dumping 4.6 µs instead of 12.7 (pydantic v2: 5.4), and 570 bytes kept a donation
instead of 825. Of a canonical line's 8.3 µs, about 4.7 are the generated reader's
(1.3 the regular expression, 0.9 filling 16 slots, 0.8 the gift's amount, 0.3 its
cross-field checks); the same records written with spaces, so that the dict loader
reads them, take 11.6 µs. The accelerator (issue 19, one run at N = 1,000,000 on a
loaded machine): spaced lines 16.5 µs instead of 25.0, compact ones 16.9 instead of
17.7, ``to_json`` 3.6 µs instead of 3.9.
"""

from __future__ import annotations

import collections
import inspect
import json
import json.encoder
import json.scanner
import re
import unicodedata
import weakref
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Final, TypeVar, cast, get_args

import attrs
import cattrs

from humanaid._jsonforms import (
    COMPACT,
    ISO_DATE,
    NONE_TYPE,
    decimal_text,
    is_enum,
    is_record,
    is_tuple,
    is_union,
)
from humanaid.money import Money
from humanaid.money import _from_plain as _money_from_plain
from humanaid.records import _ID as _ID_PATTERN
from humanaid.records import ID_MAX_LENGTH
from humanaid.records import _passes as _records_passes
from humanaid.records import _spec as _records_spec

__all__ = [
    "REFUSED",
    "AcceleratedReader",
    "Dumper",
    "FastPaths",
    "Loader",
    "Reader",
    "accelerator_available",
    "load_json",
    "set_accelerator",
]

Loader = Callable[[Any, list[int]], Any]
"""A generated loader: a dict and a one-item list counting the object members it read."""
Reader = Callable[[str], Any]
"""A generated text loader: the record of a canonical line, or ``None`` for other text."""
AcceleratedReader = Callable[[str | bytes], Any]
"""A loader through the accelerator: the record of a JSON line (text or UTF-8 bytes), or
``None`` for a line it does not take."""
Dumper = Callable[[Any], str]
"""A generated writer: a record's JSON text."""

_T = TypeVar("_T")


class _Refused(Exception):
    """The fast path does not take this input; the detailed path will report why."""


class FastPaths:
    """The loaders and writers generated for the record classes of one converter.

    Each is generated on first use of its class and kept; a class the generator cannot
    plan gets ``None``, and the caller takes the detailed path.

    Args:
        converter: gives the converter whose hooks the generated code calls for the
            fields it does not read itself; it is called when code is generated.
    """

    __slots__ = (
        "__weakref__",
        "_accelerated",
        "_accelerated_dumpers",
        "_building",
        "_dumpers",
        "_dumping",
        "_loaders",
        "_readers",
        "best",
        "converter",
    )

    def __init__(self, converter: Callable[[], cattrs.Converter]) -> None:
        self.converter = converter
        self._loaders: dict[Any, Loader | None] = {}
        self._readers: dict[Any, Reader | None] = {}
        self._accelerated: dict[Any, AcceleratedReader | None] = {}
        self._accelerated_dumpers: dict[Any, Dumper | None] = {}
        self.best: dict[Any, Dumper | None] = {}
        """The writer :func:`humanaid.to_json` tries first for each class (see best_dumper)."""
        _ALL_PATHS.add(self)
        self._dumpers: dict[Any, Dumper | None] = {}
        self._building: set[type] = set()
        self._dumping: set[type] = set()

    def loader(self, cls: Any) -> Loader | None:
        """The generated loader of record class ``cls`` from a dict, if it has one."""
        try:
            return self._loaders[cls]
        except KeyError:
            return self._new_loader(cls)
        except TypeError:  # an unhashable type form
            return None

    def text_loader(self, cls: Any) -> Reader | None:
        """The generated loader of ``cls`` from the text ``to_json`` writes, if it has one.

        It returns ``None`` for text written any other way (spaces, escapes).
        """
        try:
            return self._readers[cls]
        except KeyError:
            return self._new_text_loader(cls)
        except TypeError:
            return None

    def accelerated_loader(self, cls: Any) -> AcceleratedReader | None:
        """The loader of ``cls`` from JSON text or UTF-8 bytes through the accelerator.

        ``None`` when the accelerator (msgspec, the ``fast`` extra) is not installed or
        is switched off (:func:`set_accelerator`), or for a class it cannot read. The
        loader returns ``None`` for text it does not take (a key left out, a colon
        inside a string) and raises for text that is wrong; the callers then take the
        other paths, which report the problem.
        """
        if not _ACCELERATOR[0]:
            return None
        try:
            return self._accelerated[cls]
        except KeyError:
            return self._new_accelerated(cls)
        except TypeError:
            return None

    def accelerated_dumper(self, cls: Any) -> Dumper | None:
        """The writer of record class ``cls`` through the accelerator, if it has one.

        It writes the same text as :meth:`dumper`, and raises for a record holding a
        value of a class it does not expect (the callers then take :meth:`dumper`).
        """
        if not _ACCELERATOR[0]:
            return None
        try:
            return self._accelerated_dumpers[cls]
        except KeyError:
            dumper: Dumper | None = None
            if _msgspec() is not None and is_record(cls):
                try:
                    dumper = _generate_accelerated_dumper(cls, self)
                except Exception:  # a field the accelerator does not write: dumper() does
                    dumper = None
            self._accelerated_dumpers[cls] = dumper
            return dumper
        except TypeError:
            return None

    def best_dumper(self, cls: Any) -> Dumper | None:
        """The accelerated writer of ``cls`` if there is one, else the generated one.

        Kept in :attr:`best`, which a caller may read first (a dictionary lookup a
        record); switching the accelerator empties it.
        """
        try:
            return self.best[cls]
        except KeyError:
            dumper = self.accelerated_dumper(cls) or self.dumper(cls)
            self.best[cls] = dumper
            return dumper
        except TypeError:
            return None

    def dumper(self, cls: Any) -> Dumper | None:
        """The generated writer of record class ``cls``, if it has one."""
        try:
            return self._dumpers[cls]
        except KeyError:
            return self._new_dumper(cls)
        except TypeError:
            return None

    # Made once a class; the lookups above stay a dictionary read a call.

    def _new_loader(self, cls: Any) -> Loader | None:
        loaders = self._loaders
        loader: Loader | None = None
        if is_record(cls) and _generated_init(cls):
            if cls in self._building:  # a record that contains itself: look it up when called
                return lambda d, n: cast(Loader, loaders[cls])(d, n)
            loader = _try_generate(_generate_loader, cls, self, self._building)
        loaders[cls] = loader
        return loader

    def _new_text_loader(self, cls: Any) -> Reader | None:
        reader: Reader | None = None
        if self.loader(cls) is not None:
            try:
                reader = cast(Reader, _generate_loader(cls, self, text=True))
            except Exception:  # a field the text loader does not read: the dict loader does
                reader = None
        self._readers[cls] = reader
        return reader

    def _new_accelerated(self, cls: Any) -> AcceleratedReader | None:
        reader: AcceleratedReader | None = None
        if _msgspec() is not None and self.loader(cls) is not None:
            try:
                reader = _generate_accelerated_loader(cls, self)
            except Exception:  # a field the accelerator does not read: the other paths do
                reader = None
        self._accelerated[cls] = reader
        return reader

    def _new_dumper(self, cls: Any) -> Dumper | None:
        dumpers = self._dumpers
        dumper: Dumper | None = None
        if is_record(cls):
            if cls in self._dumping:
                return lambda o: cast(Dumper, dumpers[cls])(o)
            dumper = _try_generate(_generate_dumper, cls, self, self._dumping)
        dumpers[cls] = dumper
        return dumper


def _try_generate(
    generate: Callable[[type, FastPaths], _T], cls: type, paths: FastPaths, underway: set[type]
) -> _T | None:
    """``generate(cls, paths)``, or ``None`` for a type the generator cannot plan.

    ``cls`` is in ``underway`` while its code is generated, so that a record that contains
    itself is seen, and its field looks the finished code up when called.
    """
    underway.add(cls)
    try:
        return generate(cls, paths)
    except Exception:  # a type the generator cannot plan: no fast path
        return None
    finally:
        underway.discard(cls)


# -- good JSON text through the generated loaders ----------------------------------------------


def _no_constant(text: str) -> Any:
    raise _Refused  # NaN, Infinity: not JSON; the detailed path reports them


_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = json.scanner.make_scanner(
    json.JSONDecoder(parse_constant=_no_constant)  # type: ignore[arg-type]
)


REFUSED: Final = object()
"""What :func:`load_json` returns for input it does not take."""


def load_json(text: str | bytes, fast: Loader, read: Reader | None = None) -> Any:
    """Load good JSON through the generated loaders, or return :data:`REFUSED`.

    Text exactly as ``to_json`` writes it is read by the class's text loader
    (``read``). Other text is parsed by the plain C decoder, which keeps the last of
    duplicate keys silently; duplicates are ruled out by counting: every object member
    has one colon outside strings, so when the text has no more colons than the loaded
    objects have members, no key was repeated. (A colon inside a string just sends the
    text to the detailed path.) Bytes must be UTF-8 here; anything else takes the
    detailed path.
    """
    try:
        s = text if isinstance(text, str) else text.decode()
        if read is not None:
            obj = read(s)
            if obj is not None:
                return obj
        data, end = _SCAN(s, 0)
        if end != len(s) and s[end:].strip(" \t\n\r"):  # JSON's whitespace only
            return REFUSED
        counter = [0]
        obj = fast(data, counter)
        if s.count(":") == counter[0]:
            return obj
    except Exception:  # the detailed path reports what is wrong
        pass
    return REFUSED


# -- interning: what repeats is kept once ------------------------------------------------------

# What they buy (benchmarks/README.md, N = 1,000,000 donations): with Money's own cache
# (``humanaid.money._from_plain``) they take a loaded donation from 825 bytes kept to 570
# (msgspec's Struct keeps 885): equal dates and the repeated ids of organisations,
# campaigns and donors are one object each. Why 16,384 of each: keeping 262,144 ids
# instead did not speed the engine up (1.20 µs a record against 1.21 on the loaded
# records; README, "Where an aggregated record's time goes").
_SEEN_MAX: Final = 16384
_ID_MATCH: Final = _ID_PATTERN.match
_ISO_MATCH: Final = ISO_DATE.match
_DAYS: dict[str, date] = {}  # "2020-02-29" -> the one date object for it
_REFS: dict[str, str] = {}  # an id seen before -> the one string kept for it


def _day(text: str) -> date:
    """A date from ``YYYY-MM-DD`` text, the first few thousand kept and shared (immutable)."""
    if _ISO_MATCH(text) is None:
        raise _Refused
    day = date.fromisoformat(text)
    if len(_DAYS) < _SEEN_MAX:
        _DAYS[text] = day
    return day


def _ref(text: str) -> str:
    """A well-formed id (else ``_Refused``), the first few thousand kept and shared."""
    if not (
        0 < len(text) <= ID_MAX_LENGTH
        and (
            (text.isascii() and text.isprintable() and text[0] != " " and text[-1] != " ")
            or _ID_MATCH(text) is not None
        )
    ):
        raise _Refused
    if len(_REFS) < _SEEN_MAX:
        _REFS[text] = text
    return text


# -- the generated loaders ---------------------------------------------------------------------


_MEMBER: Final = type(Money.__dict__["_amount"])
_encode_str: Final = json.encoder.encode_basestring
_AND_VALIDATOR: Final[type] = type(attrs.validators.and_())
_OPTIONAL_VALIDATOR: Final[type] = type(
    attrs.validators.optional(attrs.validators.instance_of(int))
)


def _generated_init(cls: type) -> bool:
    """Whether ``cls.__init__`` is attrs' own, with nothing the generated loader skips."""
    code = getattr(getattr(cls, "__init__", None), "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False
    if hasattr(cls, "__attrs_pre_init__"):
        return False
    return all(a.init for a in attrs.fields(cls))


def _members(value: object) -> int:
    """The number of object members in plain JSON data (what the colons count)."""
    if isinstance(value, dict):
        return len(value) + sum([_members(v) for v in value.values()])
    if isinstance(value, list):
        return sum([_members(v) for v in value])
    return 0


def _flat_validators(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, _AND_VALIDATOR):
        return [x for inner in cast(Any, v)._validators for x in _flat_validators(inner)]
    return [v]


def _str_enum_values(t: Any) -> dict[str, Any] | None:
    if not is_enum(t):
        return None
    values = {m.value: m for m in t}
    if all(k.__class__ is str for k in values):
        return values
    return None


class _Gen:
    """Source text and namespace of one generated loader."""

    def __init__(self, cls: type, paths: FastPaths) -> None:
        self.cls = cls
        self.paths = paths
        self.conv = paths.converter()
        self.ns: dict[str, Any] = {
            "_Refused": _Refused,
            "_money": _money_from_plain,
            "_days": _DAYS,
            "_day": _day,
            "_refs": _REFS,
            "_ref": _ref,
            "_idm": _ID_MATCH,
            "_normalize": unicodedata.normalize,
            "_members": _members,
            "_new": object.__new__,
            "_cls": cls,
            "_osa": object.__setattr__,
            "_SINK": _SINK,
            "_nested": _nested,
            "_nested_tuple": _nested_tuple,
            "_zero": Decimal(0),
            "_SEEN_MAX": _SEEN_MAX,
        }
        self.lines: list[str] = []

    def name(self, prefix: str, value: Any) -> str:
        key = f"_{prefix}{len(self.ns)}"
        self.ns[key] = value
        return key

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)


def _id_check(v: str) -> str:
    return (
        f"if not (0 < len({v}) <= {ID_MAX_LENGTH} and (({v}.isascii() and {v}.isprintable() "
        f'and {v}[0] != " " and {v}[-1] != " ") or _idm({v}) is not None)): raise _Refused'
    )


def _structure_code(g: _Gen, depth: int, v: str, t: Any, *, text: bool = False) -> str:
    """Emit code turning raw ``v`` into the value of type ``t``; return its kind.

    With ``text``, ``v`` was read by the text loader's pattern, so it is already a str
    (an int, a bool) where the kind needs one, and the class checks are left out.
    """
    args = get_args(t)
    if is_union(t) and len(args) == 2 and NONE_TYPE in args:
        inner = args[0] if args[1] is NONE_TYPE else args[1]
        if _simple_kind(inner, g.paths) is not None:
            g.emit(depth, f"if {v} is not None:")
            mark = len(g.lines)
            inner_kind = _structure_code(g, depth + 1, v, inner, text=text)
            if len(g.lines) == mark:  # nothing to do for a value: no test either
                g.lines.pop()
            return "opt-" + inner_kind
    kind = _simple_kind(t, g.paths)
    if text and kind in ("str", "int", "bool"):
        return kind
    if text and kind == "date":
        g.emit(depth, f"{v} = _days.get({v}) or _day({v})")
        return kind
    if text and kind == "enum":
        g.emit(depth, f"{v} = {g.name('E', _str_enum_values(t))}.get({v})")
        g.emit(depth, f"if {v} is None: raise _Refused")
        return kind
    if kind is None:
        hook = g.name("H", g.conv.get_structure_hook(t))
        typ = g.name("T", t)
        g.emit(depth, f"n[0] += _members({v})")
        g.emit(depth, f"{v} = {hook}({v}, {typ})")
        return "generic"
    if kind == "str":
        g.emit(depth, f"if {v}.__class__ is not str: raise _Refused")
    elif kind == "int":
        g.emit(depth, f"if {v}.__class__ is not int: raise _Refused")
    elif kind == "bool":
        g.emit(depth, f"if {v}.__class__ is not bool: raise _Refused")
    elif kind == "date":
        g.emit(depth, f"if {v}.__class__ is not str: raise _Refused")
        g.emit(depth, f"{v} = _days.get({v}) or _day({v})")
    elif kind == "money":
        g.emit(depth, f"if {v}.__class__ is not dict or len({v}) != 2: raise _Refused")
        g.emit(depth, f"a_, c_ = {v}['amount'], {v}['currency']")
        g.emit(depth, "if a_.__class__ is not str or c_.__class__ is not str: raise _Refused")
        g.emit(depth, f"{v} = _money(a_, c_)")
        g.emit(depth, f"if {v} is None: raise _Refused")
        g.emit(depth, "n[0] += 2")
    elif kind == "enum":
        values = g.name("E", _str_enum_values(t))
        g.emit(depth, f"{v} = {values}.get({v}) if {v}.__class__ is str else None")
        g.emit(depth, f"if {v} is None: raise _Refused")
    elif kind == "record":
        load = g.name("L", g.paths.loader(t))
        g.emit(depth, f"{v} = {load}({v}, n)")
    elif kind == "tuple-record":
        load = g.name("L", g.paths.loader(args[0]))
        g.emit(depth, f"if {v}.__class__ is not list: raise _Refused")
        g.emit(depth, f"{v} = tuple([{load}(x, n) for x in {v}]) if {v} else ()")
    elif kind == "tuple-str":
        g.emit(depth, f"if {v}.__class__ is not list: raise _Refused")
        g.emit(depth, f"for x in {v}:")
        g.emit(depth + 1, "if x.__class__ is not str: raise _Refused")
        g.emit(depth, f"{v} = tuple({v})")
    return kind


def _simple_kind(t: Any, paths: FastPaths) -> str | None:
    if t is str:
        return "str"
    if t is int:
        return "int"
    if t is bool:
        return "bool"
    if t is date:
        return "date"
    if t is Money:
        return "money"
    if _str_enum_values(t) is not None:
        return "enum"
    if is_record(t) and paths.loader(t) is not None:
        return "record"
    if is_tuple(t):
        args = get_args(t)
        if len(args) == 2 and args[1] is Ellipsis:
            if args[0] is str:
                return "tuple-str"
            if is_record(args[0]) and paths.loader(args[0]) is not None:
                return "tuple-record"
    return None


def _converter_code(
    g: _Gen, depth: int, v: str, a: attrs.Attribute[Any], t: Any, kind: str
) -> None:
    """Emit the field's converter, or nothing when it cannot change the loaded value."""
    conv: Any = a.converter
    if conv is None:
        return
    fn = conv.converter if isinstance(conv, attrs.Converter) else conv  # type: ignore[attr-defined]
    spec = _records_spec(fn) or ()
    base = kind.removeprefix("opt-")
    if spec[:1] == ("nfc",) and base == "str":
        # The loaded value is an exact str (or None for an optional field) by now.
        test = f"not {v}.isascii()" if kind == "str" else f"{v} is not None and not {v}.isascii()"
        g.emit(depth, f"if {test}:")
        g.emit(depth + 1, f'{v} = _normalize("NFC", {v})')
        return
    if spec[:1] == ("enum",) and base == "enum":
        enum_cls, optional = spec[1], spec[2]
        inner = t if kind == "enum" else next(x for x in get_args(t) if x is not NONE_TYPE)
        if inner is enum_cls and (optional or kind == "enum"):
            return
    if (
        spec[:1] == ("tuple",)
        and kind in ("tuple-record", "tuple-str")
        and spec[1] is get_args(t)[0]
        and spec[1] is not bool
    ):
        return
    call = g.name("C", fn)
    field = g.name("A", a)
    if isinstance(conv, attrs.Converter):
        extra = ""
        if conv.takes_self:  # type: ignore[attr-defined]
            extra += ", inst"
        if conv.takes_field:  # type: ignore[attr-defined]
            extra += f", {field}"
        g.emit(depth, f"{v} = {call}({v}{extra})")
    else:
        g.emit(depth, f"{v} = {call}({v})")


def _validator_code(
    g: _Gen, depth: int, v: str, a: attrs.Attribute[Any], kind: str, validator: Any
) -> None:
    """Emit one validator: inline when its rule is known here, else called as attrs does."""
    if isinstance(validator, _OPTIONAL_VALIDATOR):
        inner = _flat_validators(cast(Any, validator).validator)
        g.emit(depth, f"if {v} is not None:")
        g.emit(depth + 1, "pass")
        for x in inner:
            _validator_code(g, depth + 1, v, a, kind.removeprefix("opt-"), x)
        return
    spec = _records_spec(validator) or ()
    base = kind.removeprefix("opt-")
    optional = kind.startswith("opt-")
    none_ok = a.default is None
    what = spec[:1]
    if what in (("id",), ("ref",)) and base == "str":
        if optional:
            if what == ("ref",) and none_ok:
                g.emit(depth, f"if {v} is not None:")
                g.emit(depth + 1, _id_check(v))
                return
            g.emit(depth, f"if {v} is None: raise _Refused")
        g.emit(depth, _id_check(v))
        return
    if (what == ("date",) and base == "date") or (what == ("money",) and base == "money"):
        if optional and not none_ok:
            g.emit(depth, f"if {v} is None: raise _Refused")
        return
    if what in (("positive",), ("non_negative",)) and base == "money":
        # against a Decimal zero, not the int 0: the amount is a Decimal, and a Decimal
        # compares with one without converting it first (as records' own tests do)
        test = f"not {v}._amount > _zero" if what == ("positive",) else f"{v}._amount < _zero"
        if optional:
            test = f"{v} is None or {test}"
        g.emit(depth, f"if {test}: raise _Refused")
        return
    if what == ("text",) and base == "str":
        text_optional, max_length = spec[1], spec[2]
        call = g.name("V", validator)
        field = g.name("A", a)
        body = depth
        if optional:
            if text_optional:
                g.emit(depth, f"if {v} is not None:")
                body = depth + 1
            else:
                g.emit(depth, f"if {v} is None: raise _Refused")
        g.emit(body, f"if not {v}.strip(): raise _Refused")
        g.emit(body, f"if not {v}.isprintable(): {call}(inst, {field}, {v})")
        if max_length is not None:
            g.emit(body, f"if len({v}) > {int(max_length)}: raise _Refused")
        return
    if what == ("instance",) and base == "record":
        cls, inst_optional = spec[1], spec[2]
        target = a.type
        if optional:
            target = next(x for x in get_args(a.type) if x is not NONE_TYPE)
        if isinstance(cls, type) and isinstance(target, type) and issubclass(target, cls):
            if optional and not inst_optional:
                g.emit(depth, f"if {v} is None: raise _Refused")
            return
    call = g.name("V", validator)
    field = g.name("A", a)
    g.emit(depth, f"{call}(inst, {field}, {v})")


def _is_plain_ref(a: attrs.Attribute[Any], kind: str) -> bool:
    """Whether a field is a reference (``ref_field``) with nothing else to it."""
    checks = [_records_spec(x) for x in _flat_validators(a.validator)]
    return kind in ("str", "opt-str") and a.converter is None and checks == [("ref",)]


_TEXT_STR: Final = r'"([^"\\\x00-\x1f]*)"'
_TEXT_MONEY: Final = r'\{"amount":' + _TEXT_STR + r',"currency":' + _TEXT_STR + r"\}"
_SINK: Final[list[int]] = [0]
# An object with objects one level down (a record holding money), strings without braces
# or brackets: what a nested record looks like in to_json's text. It is read by the JSON
# parser (``_nested``), so escapes are fine there.
_TEXT_OBJECT: Final = r"\{[^{}\[\]]*(?:\{[^{}\[\]]*\}[^{}\[\]]*)*\}"


def _nested(text: str, load: Loader) -> Any:
    """A nested record's text, captured by a text loader, loaded by its dict loader."""
    data, end = _SCAN(text, 0)
    counter = [0]
    value = load(data, counter)
    if end != len(text) or text.count(":") != counter[0]:  # a duplicate key: refused
        raise _Refused
    return value


def _nested_tuple(text: str, load: Loader) -> tuple[Any, ...]:
    """A tuple of records' text (``[]`` or ``[{...},{...}]``) loaded item by item."""
    if text == "[]":
        return ()
    data, end = _SCAN(text, 0)
    if data.__class__ is not list:
        raise _Refused
    counter = [0]
    value = tuple([load(x, counter) for x in data])
    if end != len(text) or text.count(":") != counter[0]:
        raise _Refused
    return value


def _text_part(t: Any, paths: FastPaths) -> tuple[str, str, int]:
    """How a field of type ``t`` is written by ``to_json``: regex, kind, groups.

    Only what the text loader takes is covered: strings without escapes, integers,
    booleans, money, ``null`` for optional records and ``[]`` for tuples. A record
    with another kind of field has no text loader (TypeError).
    """
    args = get_args(t)
    optional = is_union(t) and len(args) == 2 and NONE_TYPE in args
    inner = (args[0] if args[1] is NONE_TYPE else args[1]) if optional else t
    kind = _simple_kind(inner, paths)
    if kind in ("str", "date", "enum"):
        part, groups = _TEXT_STR, 1
    elif kind == "int":
        part, groups = r"(-?(?:0|[1-9][0-9]*))", 1
    elif kind == "bool":
        part, groups = r"(true|false)", 1
    elif kind == "money":
        part, groups = _TEXT_MONEY, 2
    elif kind == "record":
        part, groups = f"({_TEXT_OBJECT})", 1
    elif kind == "tuple-record" and not optional:
        return rf"(\[\]|\[{_TEXT_OBJECT}(?:,{_TEXT_OBJECT})*\])", kind, 1
    elif kind == "tuple-str" and not optional:
        return r"\[\]", kind, 0
    else:
        raise TypeError(f"no text pattern for {t!r}")
    if optional:
        return f"(?:null|{part})", f"opt-{kind}", groups
    return part, kind, groups


def _generate_loader(cls: type, paths: FastPaths, *, text: bool = False) -> Loader:
    """The loader of ``cls`` from a plain dict, or with ``text`` from its canonical JSON.

    The text loader takes a line exactly as ``to_json`` writes it (compact, keys in
    field order, strings without escapes, nested records ``null``, tuples empty) and
    reads the values with one regular expression instead of the JSON parser; it returns
    ``None`` for any other text, which the dict loader then takes. Every check after
    reading is the same code in both.
    """
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    g = _Gen(cls, paths)
    keys = tuple(a.alias or a.name for a in fields)
    if len(set(keys)) != len(keys):
        raise TypeError("two fields load from one key")
    if text:
        return _generate_text_loader(cls, g, fields, keys)
    known, order = g.name("K", frozenset(keys)), g.name("O", keys)
    names = ", ".join(f"v{i}" for i in range(len(keys)))
    # Keys in field order (as to_json writes them): the values unpacked in one step.
    g.emit(1, f"if d.__class__ is dict and tuple(d) == {order}:")
    g.emit(2, f"{names}{',' if len(keys) == 1 else ''} = d.values()" if keys else "pass")
    g.emit(1, f"elif d.__class__ is not dict or d.keys() != {known}: raise _Refused")
    g.emit(1, "else:")
    g.emit(
        2,
        f"{names}{',' if len(keys) == 1 else ''} = {', '.join(f'd[{k!r}]' for k in keys)}"
        if keys
        else "pass",
    )
    g.emit(1, f"n[0] += {len(keys)}")
    kinds: list[str] = []
    for i, a in enumerate(fields):
        if a.type is None:
            raise TypeError(f"{cls.__name__}.{a.name} has no type annotation")
        kinds.append(_structure_code(g, 1, f"v{i}", a.type))
    return _finish_loader(cls, g, fields, kinds, f"load_{cls.__name__}(d, n)")


def _generate_text_loader(
    cls: type, g: _Gen, fields: tuple[attrs.Attribute[Any], ...], keys: tuple[str, ...]
) -> Loader:
    parts: list[str] = []
    plan: list[tuple[str, int]] = []
    count = 0
    for a, key in zip(fields, keys, strict=True):
        if a.type is None:
            raise TypeError(f"{cls.__name__}.{a.name} has no type annotation")
        part, kind, groups = _text_part(a.type, g.paths)
        parts.append(re.escape(_encode_str(key)) + ":" + part)
        plan.append((kind, count))
        count += groups
    pattern = re.compile(r"\{" + ",".join(parts) + r"\}[ \t\n\r]*\Z")
    g.emit(1, f"m = {g.name('RX', pattern.match)}(d)")
    g.emit(1, "if m is None: return None")
    g.emit(1, "n = _SINK")
    if count:
        names = ", ".join(f"g{j}" for j in range(count))
        g.emit(1, f"{names}{',' if count == 1 else ''} = m.groups()")
    kinds: list[str] = []
    for i, (a, (kind, j)) in enumerate(zip(fields, plan, strict=True)):
        v, base = f"v{i}", kind.removeprefix("opt-")
        if base == "money":
            if kind == "opt-money":
                g.emit(1, f"if g{j} is None: {v} = None")
                g.emit(1, f"elif ({v} := _money(g{j}, g{j + 1})) is None: raise _Refused")
            else:
                g.emit(1, f"{v} = _money(g{j}, g{j + 1})")
                g.emit(1, f"if {v} is None: raise _Refused")
            kinds.append(kind)
        elif base == "record":
            inner = (
                a.type
                if kind == "record"
                else next(x for x in get_args(a.type) if x is not NONE_TYPE)
            )
            load = g.name("L", g.paths.loader(inner))
            g.emit(1, f"{v} = None if g{j} is None else _nested(g{j}, {load})")
            kinds.append(kind)
        elif base == "tuple-record":
            load = g.name("L", g.paths.loader(get_args(a.type)[0]))
            g.emit(1, f"{v} = _nested_tuple(g{j}, {load})")
            kinds.append(kind)
        elif base == "tuple-str":
            g.emit(1, f"{v} = ()")
            kinds.append(kind)
        elif base == "int":
            g.emit(1, f"{v} = None if g{j} is None else int(g{j})")
            kinds.append(_structure_code(g, 1, v, a.type, text=True))
        elif base == "bool":
            g.emit(1, f'{v} = None if g{j} is None else g{j} == "true"')
            kinds.append(_structure_code(g, 1, v, a.type, text=True))
        else:
            g.emit(1, f"{v} = g{j}")
            kinds.append(_structure_code(g, 1, v, a.type, text=True))
    return _finish_loader(cls, g, fields, kinds, f"read_{cls.__name__}(d)")


# -- the accelerator: msgspec's C parser under the same checks -----------------------------------

# What it buys (benchmarks/README.md, benchmarks/run.py, CPU time a line): the line is
# parsed by msgspec into a flat struct of plain JSON types made for the class (every key
# required, unknown keys refused, strings, integers and booleans checked in C), then
# goes through the same generated checks as the text loader. The C parser takes the
# place of the regular expression for lines as to_json writes them, and of the Python
# JSON parser for any other spacing.
_ACCELERATOR: list[bool] = [True]
_ALL_PATHS: weakref.WeakSet[FastPaths] = weakref.WeakSet()


def _msgspec() -> Any:
    """The msgspec module if it is installed, else ``None`` (looked up once)."""
    try:
        return _MSGSPEC[0]
    except IndexError:
        module: Any
        try:
            import msgspec as module
        except ImportError:  # the fast extra is not installed: the pure-Python paths
            module = None
        _MSGSPEC.append(module)
        return module


_MSGSPEC: list[Any] = []


def accelerator_available() -> bool:
    """Whether the accelerator is installed (``pip install 'humanaid[fast]'``) and on."""
    return _ACCELERATOR[0] and _msgspec() is not None


def set_accelerator(enabled: bool) -> bool:
    """Switch the accelerator on or off for every later load; return its previous state.

    Results and errors are the same either way (the tests load every input both ways);
    only the time differs. Off, every line goes through the pure-Python paths.
    """
    was = _ACCELERATOR[0]
    _ACCELERATOR[0] = bool(enabled)
    for paths in list(_ALL_PATHS):
        paths.best.clear()
    return was


def _shadow_type(kind: str, t: Any, ms: Any, money: Any) -> Any:
    """The msgspec type reading a field of ``kind`` (declared type ``t``).

    Each holds what the text loader's groups hold, except enum members: msgspec looks a
    str-valued enum's member up by its exact value in C (an unknown value is refused and
    the other paths report it), which is what the generated code's table does.
    """
    base = kind.removeprefix("opt-")
    if base == "enum":
        inner: Any = t if kind == "enum" else next(x for x in get_args(t) if x is not NONE_TYPE)
    elif base in ("str", "date"):
        inner = str
    elif base == "int":
        inner = int
    elif base == "bool":
        inner = bool
    elif base == "money":
        inner = money
    elif base in ("record", "tuple-record"):
        return ms.Raw  # null, [] or the nested text: the dict loader reads it
    elif kind == "tuple-str":
        return tuple[str, ...]
    else:
        raise TypeError(f"no accelerated type for {kind}")
    return inner | None if kind.startswith("opt-") else inner


def _generate_accelerated_loader(cls: type, paths: FastPaths) -> AcceleratedReader:
    """The loader of ``cls`` from a line through msgspec, then the text loader's checks.

    The line is decoded into a struct with one field a key, each required, unknown keys
    refused; its values are what the text loader's pattern captures (strings for text
    and dates; money as its two strings; a nested record's raw text), except that enum
    members are looked up by msgspec. The colons
    of the line are counted against the members read, so that a repeated key (msgspec
    keeps the last one) sends the line to the other paths.
    """
    ms = _msgspec()
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    g = _Gen(cls, paths)
    keys = tuple(a.alias or a.name for a in fields)
    if len(set(keys)) != len(keys):
        raise TypeError("two fields load from one key")
    money = ms.defstruct(
        "Money_", [("amount", str), ("currency", str)], forbid_unknown_fields=True, gc=False
    )
    plan: list[str] = []
    shadow: list[tuple[str, Any]] = []
    for i, a in enumerate(fields):
        if a.type is None:
            raise TypeError(f"{cls.__name__}.{a.name} has no type annotation")
        kind = _text_part(a.type, paths)[1]
        plan.append(kind)
        shadow.append((f"f{i}", _shadow_type(kind, a.type, ms, money)))
    struct = ms.defstruct(
        f"{cls.__name__}_",
        shadow,
        rename={f"f{i}": key for i, key in enumerate(keys)},
        forbid_unknown_fields=True,
        gc=False,
    )
    g.emit(1, f"s = {g.name('DEC', ms.json.Decoder(struct).decode)}(d)")
    names = ", ".join(f"v{i}" for i in range(len(fields)))
    if fields:
        g.emit(
            1, f"{names}{',' if len(fields) == 1 else ''} = {g.name('AT', ms.structs.astuple)}(s)"
        )
    # The members every line has (its keys, a required amount's two) are counted here,
    # once; only what varies (an optional amount, a nested record) is counted per line.
    members = len(fields) + 2 * plan.count("money")
    g.emit(1, f"c = {members}")
    empty, null = g.name("RAW", ms.Raw(b"[]")), g.name("RAW", ms.Raw(b"null"))
    kinds: list[str] = []
    for i, (a, kind) in enumerate(zip(fields, plan, strict=True)):
        v, base = f"v{i}", kind.removeprefix("opt-")
        if base == "money":
            if kind == "opt-money":
                g.emit(1, f"if {v} is not None:")
                g.emit(2, "c += 2")
                g.emit(2, f"if ({v} := _money({v}.amount, {v}.currency)) is None: raise _Refused")
            else:
                g.emit(1, f"if ({v} := _money({v}.amount, {v}.currency)) is None: raise _Refused")
            kinds.append(kind)
        elif base == "record":
            inner = (
                a.type
                if kind == "record"
                else next(x for x in get_args(a.type) if x is not NONE_TYPE)
            )
            load = g.name("L", paths.loader(inner))
            g.emit(1, f"if {v} == {null}:")  # msgspec's Raw compares by its bytes
            g.emit(2, f"{v} = None" if kind == "opt-record" else "raise _Refused")
            g.emit(1, "else:")
            g.emit(2, f"t_ = bytes({v})")
            g.emit(2, 'c += t_.count(b":")')
            g.emit(2, f"{v} = _nested(t_.decode(), {load})")
            kinds.append(kind)
        elif base == "tuple-record":
            load = g.name("L", paths.loader(get_args(a.type)[0]))
            g.emit(1, f"if {v} == {empty}:")
            g.emit(2, f"{v} = ()")
            g.emit(1, "else:")
            g.emit(2, f"t_ = bytes({v})")
            g.emit(2, 'c += t_.count(b":")')
            g.emit(2, f"{v} = _nested_tuple(t_.decode(), {load})")
            kinds.append(kind)
        elif base in ("tuple-str", "enum"):
            kinds.append(kind)  # msgspec made the tuple, or looked the member up
        else:
            kinds.append(_structure_code(g, 1, v, a.type, text=True))
    g.emit(1, 'if d.count(b":" if d.__class__ is bytes else ":") != c: return None')
    loader = _finish_loader(cls, g, fields, kinds, f"accelerated_{cls.__name__}(d)")
    return cast(AcceleratedReader, loader)


def _slots_code(
    g: _Gen, cls: type, fields: tuple[attrs.Attribute[Any], ...], kinds: list[str]
) -> None:
    """Emit the new instance, each field's converter and the filling of its slot.

    A frozen record refuses ``inst.x = v``: each slot is set through its descriptor, as
    the record's generated ``__init__`` sets it (``humanaid.records``). No class is made
    for loading: a subclass of the record, filled by plain assignment and then given the
    record's class, would be seen by whatever walks ``__subclasses__()``, and CPython
    refuses the assignment of ``__class__`` from a sibling class when the record has
    slots and ``__weakref__``.
    """
    g.emit(1, "inst = _new(_cls)")
    for i, a in enumerate(fields):
        _converter_code(g, 1, f"v{i}", a, a.type, kinds[i])
        slot = inspect.getattr_static(cls, a.name, None)
        if isinstance(slot, _MEMBER):
            g.emit(1, f"{g.name('S', slot.__set__)}(inst, v{i})")
        else:
            g.emit(1, f"_osa(inst, {a.name!r}, v{i})")


def _ref_code(g: _Gen, depth: int, v: str) -> None:
    """Emit ``v = _refs.get(v) or _ref(v)`` with :func:`_ref` written out in place.

    Once the kept ids are full (a million gifts name more donors than are kept), most
    references miss them, and the check is made here rather than in a call.
    """
    g.emit(depth, f"r_ = _refs.get({v})")
    g.emit(depth, f"if r_ is not None: {v} = r_")
    g.emit(depth, "else:")
    g.emit(depth + 1, _id_check(v))
    g.emit(depth + 1, f"if len(_refs) < _SEEN_MAX: _refs[{v}] = {v}")


def _finish_loader(
    cls: type,
    g: _Gen,
    fields: tuple[attrs.Attribute[Any], ...],
    kinds: list[str],
    signature: str,
) -> Loader:
    """Emit what both loaders share (converters, slots, checks) and compile."""
    for i, a in enumerate(fields):
        if _is_plain_ref(a, kinds[i]):
            # References repeat (an organisation, a campaign): one already seen is
            # looked up instead of checked, and the record keeps the one string kept.
            if kinds[i] == "str":
                _ref_code(g, 1, f"v{i}")
            elif a.default is None:
                g.emit(1, f"if v{i} is not None:")
                _ref_code(g, 2, f"v{i}")
            else:
                g.emit(1, f"v{i} = _refs.get(v{i}) or _ref(v{i})  # None is refused")
    _slots_code(g, cls, fields, kinds)
    for i, a in enumerate(fields):
        if _is_plain_ref(a, kinds[i]):
            continue  # checked above
        for validator in _flat_validators(a.validator):
            _validator_code(g, 1, f"v{i}", a, kinds[i], validator)
    if hasattr(cls, "_attrs_cached_hash"):  # cache_hash=True: attrs' __init__ clears it
        g.emit(1, "_osa(inst, '_attrs_cached_hash', None)")
    post_init = getattr(cls, "__attrs_post_init__", None)
    if post_init is not None:
        call = f"{g.name('POST', post_init)}(inst)"
        entry = _records_passes(post_init)
        if entry is None:
            g.emit(1, call)
        else:
            # The post-init's own test (humanaid.records._PASSES, as the record's generated
            # __init__ runs it): true only where, its fields' checks passed (every check
            # above ran or raised), it would return without raising or doing anything.
            # Most gifts: the call is left out.
            test, names = entry
            keys = {a.name: f"v{i}" for i, a in enumerate(fields)}
            for name, value in names.items():
                keys[name] = g.name(f"P{name}_", value)
            g.emit(1, f"if not ({test.format(**keys)}): {call}")
    g.emit(1, "return inst")
    source = f"def {signature}:\n" + "\n".join(g.lines) + "\n"
    filename = f"<humanaid generated loader {cls.__module__}.{cls.__qualname__}>"
    exec(compile(source, filename, "exec"), g.ns)  # our own generated code
    loader = cast(Loader, g.ns[signature.partition("(")[0]])
    loader.__doc__ = source  # for whoever debugs it
    return loader


# -- the generated writers ---------------------------------------------------------------------


def _dump_code(
    ns: dict[str, Any], paths: FastPaths, v: str, t: Any, generic: str | None = None
) -> str:
    """An expression writing value ``v`` of declared type ``t`` as compact JSON.

    A value of another class than the code expects is written by ``generic`` (by default
    the converter's hook for ``t``, as the converter's own record hook does).
    """

    def name(prefix: str, value: Any) -> str:
        key = f"_{prefix}{len(ns)}"
        ns[key] = value
        return key

    if generic is None:
        hook = paths.converter().get_unstructure_hook(t)
        generic = name("G", lambda value: COMPACT.encode(hook(value)))
    args = get_args(t)
    if is_union(t) and len(args) == 2 and NONE_TYPE in args:
        inner = args[0] if args[1] is NONE_TYPE else args[1]
        if isinstance(inner, type):
            # The union's hook writes a value of another class by its own class.
            return f'("null" if {v} is None else {_dump_code(ns, paths, v, inner, generic)})'
        return f"{generic}({v})"
    if t is str:
        return f"(_s({v}) if {v}.__class__ is str else {generic}({v}))"
    if t is int:
        return f"(_int({v}) if {v}.__class__ is int else {generic}({v}))"
    if t is bool:
        return f'("true" if {v} is True else "false" if {v} is False else {generic}({v}))'
    if t is date:
        return f"('\"' + _iso({v}) + '\"' if {v}.__class__ is _date else {generic}({v}))"
    if t is Decimal:
        return f"('\"' + _dec({v}) + '\"' if {v}.__class__ is _Decimal else {generic}({v}))"
    if t is Money:
        return (
            f'(\'{{"amount":"\' + str({v}._amount) + \'","currency":\' + _s({v}._currency) + "}}"'
            f" if {v}.__class__ is _Money else {generic}({v}))"
        )
    if is_enum(t):
        texts, enum_cls = name("E", {m: COMPACT.encode(m.value) for m in t}), name("T", t)
        return f"({texts}[{v}] if {v}.__class__ is {enum_cls} else {generic}({v}))"
    if is_record(t) and paths.dumper(t) is not None:
        dump, cls = name("D", paths.dumper(t)), name("T", t)
        return f"({dump}({v}) if {v}.__class__ is {cls} else {generic}({v}))"
    if is_tuple(t) and len(args) == 2 and args[1] is Ellipsis:
        item = _dump_code(ns, paths, "x", args[0])
        return (
            f'("[" + ",".join([{item} for x in {v}]) + "]" '
            f"if {v}.__class__ is tuple else {generic}({v}))"
        )
    return f"{generic}({v})"


def _generate_dumper(cls: type, paths: FastPaths) -> Dumper:
    attrs.resolve_types(cls)
    ns: dict[str, Any] = {
        "_s": _encode_str,
        "_int": int.__repr__,
        "_iso": date.isoformat,
        "_date": date,
        "_Decimal": Decimal,
        "_dec": decimal_text,
        "_Money": Money,
    }
    lines: list[str] = []
    parts: list[str] = []
    first = True
    for i, a in enumerate(attrs.fields(cls)):
        if not a.init:
            continue
        if a.type is None:
            raise TypeError(f"{cls.__name__}.{a.name} has no type annotation")
        key = a.alias or a.name
        lines.append(f"    v{i} = o.{a.name}")
        prefix = ("{" if first else ",") + _encode_str(key) + ":"
        first = False
        parts.append(repr(prefix))
        parts.append(_dump_code(ns, paths, f"v{i}", a.type))
    parts.append(repr("}" if not first else "{}"))
    body = "\n".join(lines)
    source = f"def dump_{cls.__name__}(o):\n{body}\n    return ''.join(({', '.join(parts)},))\n"
    filename = f"<humanaid generated dumper {cls.__module__}.{cls.__qualname__}>"
    exec(compile(source, filename, "exec"), ns)  # our own generated code
    dumper = cast(Dumper, ns[f"dump_{cls.__name__}"])
    dumper.__doc__ = source
    return dumper


# -- the accelerated writers: msgspec writes a struct of the record's values ----------------------


def _no() -> Any:
    raise _Refused  # a value of a class the accelerated writer does not expect


def _shadow_code(
    ns: dict[str, Any], v: str, t: Any, underway: set[type], structs: dict[type, Any]
) -> str:
    """An expression giving what msgspec writes as value ``v`` of type ``t`` writes.

    Each value's class is checked exactly: msgspec writes a ``str``, ``int``, ``bool``,
    ``date``, ``Decimal`` (as its plain text) and a str-valued enum member (as its value)
    as the compact encoder does; Money and records become structs of their fields. Any
    other class raises, and the caller writes the record the other way.
    """

    def name(prefix: str, value: Any) -> str:
        key = f"_{prefix}{len(ns)}"
        ns[key] = value
        return key

    args = get_args(t)
    if is_union(t) and len(args) == 2 and NONE_TYPE in args:
        inner = args[0] if args[1] is NONE_TYPE else args[1]
        return f"(None if {v} is None else {_shadow_code(ns, v, inner, underway, structs)})"
    if t in (str, int, bool, date):
        return f"({v} if {v}.__class__ is {name('C', t)} else _no())"
    if t is Decimal:  # never an exponent: the plain text from_dict reads back
        return f"({name('D', decimal_text)}({v}) if {v}.__class__ is {name('C', t)} else _no())"
    if t is Money:
        return f"(_M({v}._amount, {v}._currency) if {v}.__class__ is _Money else _no())"
    if _str_enum_values(t) is not None:
        return f"({v} if {v}.__class__ is {name('C', t)} else _no())"
    if is_record(t):
        build = name("B", _shadow_builder(t, underway, structs))
        return f"({build}({v}) if {v}.__class__ is {name('C', t)} else _no())"
    if is_tuple(t) and len(args) == 2 and args[1] is Ellipsis:
        item = _shadow_code(ns, "x", args[0], underway, structs)
        return (
            f"(_no() if {v}.__class__ is not tuple else () if not {v} "
            f"else tuple([{item} for x in {v}]))"
        )
    raise TypeError(f"no accelerated writer for {t!r}")


def _shadow_builder(
    cls: type, underway: set[type], structs: dict[type, Any], encode_into: Any = None
) -> Any:
    """A function from a record of ``cls`` to the msgspec struct of its values.

    With ``encode_into`` (an encoder's), the function returns the struct's JSON text
    instead: written into a ``bytearray`` taken from a pool and decoded. A buffer reused
    keeps its room, where ``encode`` grows a new ``bytes`` from a few dozen bytes a
    record, a reallocation each step (856 fewer CPU instructions a donation of 15,905,
    ``benchmarks/README.md``). The pool is a deque, not a list: a list emptied and
    refilled reallocates its array each time. A thread pops its own buffer and puts it
    back after decoding (each step atomic), so no two calls write into one buffer; a call
    that raises drops its buffer, and the next builds a new one.
    """
    if cls in underway:
        raise TypeError("a record that contains itself")  # not planned: dumper() writes it
    underway.add(cls)
    ms = _msgspec()
    attrs.resolve_types(cls)
    fields = [a for a in attrs.fields(cls) if a.init]
    if any(a.type is None for a in fields):
        raise TypeError(f"{cls.__name__} has a field without a type annotation")
    keys = [a.alias or a.name for a in fields]
    struct = ms.defstruct(
        f"{cls.__name__}_",
        [(f"f{i}", object) for i in range(len(fields))],
        rename={f"f{i}": key for i, key in enumerate(keys)},
        gc=False,
    )
    ns: dict[str, Any] = {"_S": struct, "_M": structs[Money], "_Money": Money, "_no": _no}
    body = [f"    v{i} = o.{a.name}" for i, a in enumerate(fields)]
    values = [_shadow_code(ns, f"v{i}", a.type, underway, structs) for i, a in enumerate(fields)]
    source = f"def shadow_{cls.__name__}(o):\n" + "\n".join(body)
    if encode_into is not None:
        ns.update(_into=encode_into, _pool=collections.deque(), _buffer=bytearray)
        source += (
            f"\n    s = _S({', '.join(values)})"
            "\n    try:\n        b = _pool.pop()\n    except IndexError:\n        b = _buffer(1024)"
            "\n    _into(s, b)\n    text = b.decode()\n    _pool.append(b)\n    return text\n"
        )
    else:
        source += f"\n    return _S({', '.join(values)})\n"
    filename = f"<humanaid generated accelerated writer {cls.__module__}.{cls.__qualname__}>"
    exec(compile(source, filename, "exec"), ns)  # our own generated code
    build = ns[f"shadow_{cls.__name__}"]
    build.__doc__ = source
    underway.discard(cls)
    return build


def _generate_accelerated_dumper(cls: type, paths: FastPaths) -> Dumper:
    """The writer of ``cls`` through msgspec: the record's values as a struct, encoded.

    The text is the same as the generated writer's (a property test compares them for
    every record type); a value of another class than the field's, or text msgspec
    cannot write (a lone surrogate), raises, and ``to_json`` writes the other way.
    """
    ms = _msgspec()
    money = ms.defstruct("Money_", [("amount", object), ("currency", object)], gc=False)
    encode_into = ms.json.Encoder(decimal_format="string").encode_into
    return cast(Dumper, _shadow_builder(cls, set(), {Money: money}, encode_into))


# -- JSON Lines through the accelerator: msgspec writes a batch of records at once ---------------

_LINE_BUILDERS: dict[Any, Any] = {}
"""The shadow-struct builder of each record class (None: the class has none), made once."""


def _line_builder(cls: Any) -> Any:
    try:
        return _LINE_BUILDERS[cls]
    except KeyError:
        build: Any = None
        ms = _msgspec()
        if ms is not None and is_record(cls):
            money = ms.defstruct("Money_", [("amount", object), ("currency", object)], gc=False)
            try:
                build = _shadow_builder(cls, set(), {Money: money})
            except Exception:  # a field the accelerator does not write: to_json writes it
                build = None
        _LINE_BUILDERS[cls] = build
        return build
    except TypeError:  # an unhashable class
        return None


def accelerated_lines(records: list[Any], to_json: Callable[[Any], str]) -> bytes | None:
    """The JSON Lines of ``records`` in UTF-8, each line ``to_json``'s text, or None.

    With the accelerator, each record becomes the msgspec struct of its values (the
    accelerated writer's, without encoding it alone) and msgspec writes the whole batch
    in one call, a line each, as bytes: no encoder call and no text decoded a record. A
    record the struct builder refuses (a value of another class than its field's) or
    whose class has none goes in as its ``to_json`` text, written verbatim. None when
    the accelerator is off or missing, or when msgspec cannot write the batch (a lone
    surrogate): the caller then writes each line with ``to_json``.
    """
    ms = _msgspec()
    if ms is None or not _ACCELERATOR[0]:
        return None
    raw = ms.Raw
    values: list[Any] = []
    append = values.append
    builders = _LINE_BUILDERS
    for record in records:
        cls = record.__class__
        try:
            build = builders[cls]
        except KeyError:
            build = _line_builder(cls)
        except TypeError:
            build = None
        if build is not None:
            try:
                append(build(record))
                continue
            except Exception:  # a value the struct does not take: to_json's text below
                pass
        try:
            append(raw(to_json(record).encode()))
        except UnicodeEncodeError:  # a lone surrogate: the caller's text path raises it
            return None
    if not _LINES_ENCODER:
        _LINES_ENCODER.append(ms.json.Encoder(decimal_format="string").encode_lines)
    try:
        return cast(bytes, _LINES_ENCODER[0](values))
    except Exception:  # text msgspec cannot write: the caller's text path says what
        return None


_LINES_ENCODER: list[Any] = []
"""msgspec's ``encode_lines`` of one encoder, made on first use."""

__all__ += ["accelerated_lines"]
