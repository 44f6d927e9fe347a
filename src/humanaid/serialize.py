"""The one way records go in and out: dicts and JSON, through one cattrs converter.

* Money travels as ``{"amount": "12.50", "currency": "CNY"}``: the amount is a string,
  never a float. Decimals are strings, dates ISO 8601 (``"2020-02-29"``), enums their
  value, tuples JSON arrays.
* Loading is strict. Unknown keys, duplicate keys, floats where money or decimals belong,
  bools where numbers belong, unknown enum values, impossible dates (``2023-02-29``),
  ``NaN`` and ``Infinity`` are refused.
* Bad input raises one :class:`~humanaid.InvalidInput` whose ``problems`` list **every**
  problem with its JSON path, a stable code and a message. A message never shows the value
  of a field that holds personal data.

>>> from humanaid import Period
>>> to_dict(Period.year(2020))
{'start': '2020-01-01', 'end': '2020-12-31'}
>>> from_json('{"start": "2020-01-01", "end": "2023-02-29"}', Period)
Traceback (most recent call last):
...
humanaid.errors.InvalidInput: 1 problem in the input:
  $.end: is not a real date (got '2023-02-29')
>>> from_json('{"amount": 1.5, "currency": "CNY", "extra": 1}', Money)
Traceback (most recent call last):
...
humanaid.errors.InvalidInput: 2 problems in the input:
  $.amount: must be a string such as '12.50', not a float: ... (got 1.5)
  $.extra: is not a known field (known: amount, currency)

Codes used in :attr:`Problem.code`: ``invalid-json``, ``wrong-type``, ``missing``,
``unknown-key``, ``duplicate-key``, ``float-not-allowed``, ``not-finite``,
``invalid-decimal``, ``invalid-date``, ``unknown-value`` (enums), ``invalid`` (a record
rule such as "end must not be before start").
"""

from __future__ import annotations

import contextlib
import enum
import functools
import inspect
import json
import json.encoder
import json.scanner
import re
import types
import typing
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, cast, get_args, get_origin

import attrs
import cattrs

from humanaid import _gc
from humanaid.errors import InvalidInput, Problem
from humanaid.findings import Figure
from humanaid.money import Money, known_currencies
from humanaid.money import _from_plain as _money_from_plain
from humanaid.records import _ID as _ID_PATTERN
from humanaid.records import ID_MAX_LENGTH, is_pii
from humanaid.records import _spec as _records_spec

__all__ = ["from_dict", "from_json", "make_converter", "to_dict", "to_json"]

T = TypeVar("T")

_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)
_PLAIN_DECIMAL: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?\Z", re.ASCII)
_NONE_TYPE: Final = type(None)
_KNOWN_CURRENCIES: Final = known_currencies()


# -- raw JSON oddities, kept as markers so they are reported at their own path ----------------


class _DuplicateKeys(dict[str, Any]):
    """A JSON object that had a key more than once (the last value is kept)."""

    duplicates: tuple[str, ...] = ()


class _NonFinite:
    """``NaN``, ``Infinity`` or ``-Infinity`` as written in JSON (not valid JSON)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # The common case, no key twice, is told apart by one C-level dict() and a length.
    fast = dict(pairs)
    if len(fast) == len(pairs):
        return fast
    out: dict[str, Any] = {}
    dups: list[str] = []
    for key, value in pairs:
        if key in out:
            dups.append(key)
        out[key] = value
    if dups:
        marked = _DuplicateKeys(out)
        marked.duplicates = tuple(dict.fromkeys(dups))
        return marked
    return out


# -- leaf problems ---------------------------------------------------------------------------


def _got(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, _NonFinite):
        return f"{value.text} (not a number JSON allows)"
    return type(value).__name__


def _fail(code: str, message: str, value: object) -> InvalidInput:
    return InvalidInput([Problem(path=(), code=code, message=message, got=_got(value))])


def _wrong_type(expected: str, value: object) -> InvalidInput:
    if isinstance(value, _NonFinite):
        return _fail("not-finite", f"must be {expected}, not {_kind(value)}", value)
    return _fail("wrong-type", f"must be {expected}, not {_kind(value)}", value)


# -- structure hooks for leaves ---------------------------------------------------------------


def _structure_str(value: object, _: object) -> str:
    if not isinstance(value, str):
        raise _wrong_type("a string", value)
    return value


def _structure_int(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong_type("an integer", value)
    return value


def _structure_bool(value: object, _: object) -> bool:
    if not isinstance(value, bool):
        raise _wrong_type("true or false", value)
    return value


def _structure_decimal(value: object, _: object) -> Decimal:
    if isinstance(value, float):
        raise _fail(
            "float-not-allowed",
            "must be a string such as '0.25', not a float: floats are not exact",
            value,
        )
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, str):
        raise _wrong_type("a decimal string such as '0.25'", value)
    if len(value) > 64 or not _PLAIN_DECIMAL.match(value):
        raise _fail(
            "invalid-decimal",
            "must be a plain decimal: ASCII digits, optional sign and point, no exponent",
            value,
        )
    return Decimal(value)


def _structure_date(value: object, _: object) -> date:
    if not isinstance(value, str):
        raise _wrong_type("an ISO date string such as '2020-02-29'", value)
    if not _ISO_DATE.match(value):
        raise _fail("invalid-date", "must be an ISO date written YYYY-MM-DD", value)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail("invalid-date", "is not a real date", value) from None


def _structure_money(value: object, _: object) -> Money:
    # Fast path for well-formed input (a plain dict: no duplicate keys); anything else,
    # and anything Money refuses, goes through the checks below, which report it.
    if value.__class__ is dict and len(value) == 2:
        raw = value.get("amount")
        code = value.get("currency")
        if (
            raw.__class__ is str
            and code.__class__ is str
            and code in _KNOWN_CURRENCIES
            and len(raw) <= 64
            and _PLAIN_DECIMAL.match(raw)
        ):
            try:
                return Money(Decimal(raw), code)
            except (TypeError, ValueError):
                pass
    if not isinstance(value, Mapping):
        raise _wrong_type('an object {"amount": "12.50", "currency": "CNY"}', value)
    problems: list[Problem] = []
    amount: Decimal | None = None
    currency: str | None = None
    if "amount" in value:
        raw = value["amount"]
        if isinstance(raw, float):
            problems.append(
                Problem(
                    path=("amount",),
                    code="float-not-allowed",
                    message="must be a string such as '12.50', not a float: floats cannot "
                    "hold money exactly",
                    got=_got(raw),
                )
            )
        else:
            try:
                amount = _structure_decimal(raw, Decimal)
            except InvalidInput as exc:
                problems.extend(p.under("amount") for p in exc.problems)
    if "currency" in value:
        try:
            currency = _structure_str(value["currency"], str)
        except InvalidInput as exc:
            problems.extend(p.under("currency") for p in exc.problems)
        else:
            if currency not in _KNOWN_CURRENCIES:
                problems.append(
                    Problem(
                        path=("currency",),
                        code="invalid",
                        message="must be a known ISO 4217 code",
                        got=_got(currency),
                    )
                )
    problems.extend(_key_problems(value, ("amount", "currency"), required=("amount", "currency")))
    if problems:
        raise InvalidInput(problems)
    try:
        return Money(cast(Decimal, amount), cast(str, currency))
    except (TypeError, ValueError) as exc:
        field = "currency" if str(exc).startswith("'currency'") else "amount"
        raise InvalidInput(
            [Problem(path=(field,), code="invalid", message=_strip_field(str(exc), field))]
        ) from None


def _strip_field(message: str, field: str) -> str:
    """Drop a leading ``'field' `` from a validator message: the path already says it."""
    prefix = f"'{field}' "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _key_problems(
    data: Mapping[str, Any], known: Iterable[str], *, required: Iterable[str]
) -> list[Problem]:
    known = tuple(known)
    problems: list[Problem] = []
    for key in getattr(data, "duplicates", ()):
        problems.append(
            Problem(path=(key,), code="duplicate-key", message="appears more than once")
        )
    for key in required:
        if key not in data:
            problems.append(Problem(path=(key,), code="missing", message="is required"))
    for key in data:
        if key not in known:
            problems.append(
                Problem(
                    path=(str(key),),
                    code="unknown-key",
                    message=f"is not a known field (known: {', '.join(known)})",
                )
            )
    return problems


def _structure_any_enum(value: object, cls: type[enum.Enum]) -> enum.Enum:
    return _enum_hook(cls)(value, cls)


def _hook_for(conv: cattrs.Converter, t: Any) -> Callable[[Any, Any], Any]:
    """The structure hook of ``t``; an enum's own hook directly (the same function)."""
    if _is_enum(t):
        return _enum_hook(t)
    return conv.get_structure_hook(t)


@functools.cache
def _enum_hook(cls: type[enum.Enum]) -> Callable[[object, object], enum.Enum]:
    allowed = ", ".join(repr(m.value) for m in cls)
    values = {m.value: m for m in cls}

    def hook(value: object, _: object) -> enum.Enum:
        if isinstance(value, bool | float):
            raise _wrong_type(f"one of {allowed}", value)
        try:
            return values[value]
        except (KeyError, TypeError):
            raise _fail("unknown-value", f"must be one of {allowed}", value) from None

    return hook


# -- figures (Finding.figures): a small tagged union -------------------------------------------


def _unstructure_figure(value: Figure) -> Any:
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value


def _structure_figure(value: object, _: object) -> Figure:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Mapping):
        if getattr(value, "duplicates", ()):
            raise InvalidInput(_key_problems(value, tuple(value), required=()))
        if set(value) == {"decimal"}:
            return _under("decimal", _structure_decimal, value["decimal"])
        if set(value) == {"date"}:
            return _under("date", _structure_date, value["date"])
        return _structure_money(value, Money)
    raise _wrong_type('a string, an integer, {"decimal": ...}, {"date": ...} or money', value)


def _under(key: str, hook: Callable[[object, object], T], value: object) -> T:
    try:
        return hook(value, None)
    except InvalidInput as exc:
        raise InvalidInput([p.under(key) for p in exc.problems]) from None


# -- containers --------------------------------------------------------------------------------


def _is_tuple(t: Any) -> bool:
    return get_origin(t) is tuple


def _is_frozenset(t: Any) -> bool:
    return get_origin(t) in (frozenset, typing.AbstractSet, set)


def _is_mapping(t: Any) -> bool:
    return get_origin(t) in (dict, Mapping, typing.Mapping, types.MappingProxyType)


def _is_union(t: Any) -> bool:
    return get_origin(t) in (types.UnionType, typing.Union)


def _is_figure_union(t: Any) -> bool:
    return _is_union(t) and set(get_args(t)) == set(get_args(Figure))


def _elements(value: object, kind: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _wrong_type(f"an array of {kind}", value)
    return list(value)


def _tuple_factory(t: Any, conv: cattrs.Converter) -> Callable[[object, object], tuple[Any, ...]]:
    args = get_args(t)
    if len(args) == 2 and args[1] is Ellipsis:
        item = _hook_for(conv, args[0])
        item_type = args[0]
        name = getattr(item_type, "__name__", str(item_type))

        def variadic(value: object, _: object) -> tuple[Any, ...]:
            out: list[Any] = []
            problems: list[Problem] = []
            for i, v in enumerate(_elements(value, name)):
                try:
                    out.append(item(v, item_type))
                except InvalidInput as exc:
                    problems.extend(p.under(i) for p in exc.problems)
            if problems:
                raise InvalidInput(problems)
            return tuple(out)

        return variadic

    hooks = [(conv.get_structure_hook(a), a) for a in args]

    def fixed(value: object, _: object) -> tuple[Any, ...]:
        items = _elements(value, "values")
        if len(items) != len(hooks):
            raise _fail("wrong-type", f"must be an array of {len(hooks)} values", value)
        out: list[Any] = []
        problems: list[Problem] = []
        for i, ((hook, a), v) in enumerate(zip(hooks, items, strict=True)):
            try:
                out.append(hook(v, a))
            except InvalidInput as exc:
                problems.extend(p.under(i) for p in exc.problems)
        if problems:
            raise InvalidInput(problems)
        return tuple(out)

    return fixed


def _frozenset_factory(
    t: Any, conv: cattrs.Converter
) -> Callable[[object, object], frozenset[Any]]:
    (item_type,) = get_args(t)
    as_tuple = _tuple_factory(tuple[item_type, ...], conv)  # type: ignore[valid-type]
    return lambda value, _: frozenset(as_tuple(value, None))


def _mapping_factory(
    t: Any, conv: cattrs.Converter
) -> Callable[[object, object], Mapping[str, Any]]:
    key_type, value_type = get_args(t)
    if key_type is not str:
        raise TypeError(f"humanaid maps must have str keys, not {key_type!r}")
    item = conv.get_structure_hook(value_type)

    def hook(value: object, _: object) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise _wrong_type("an object", value)
        problems = [
            Problem(path=(k,), code="duplicate-key", message="appears more than once")
            for k in getattr(value, "duplicates", ())
        ]
        out: dict[str, Any] = {}
        for k, v in value.items():
            try:
                out[k] = item(v, value_type)
            except InvalidInput as exc:
                problems.extend(p.under(k) for p in exc.problems)
        if problems:
            raise InvalidInput(problems)
        return out

    return hook


def _union_factory(t: Any, conv: cattrs.Converter) -> Callable[[object, object], Any]:
    args = [a for a in get_args(t) if a is not _NONE_TYPE]
    optional = len(args) != len(get_args(t))
    if len(args) == 1:
        inner, inner_type = _hook_for(conv, args[0]), args[0]

        def optional_hook(value: object, _: object) -> Any:
            if value is None:
                return None
            return inner(value, inner_type)

        return optional_hook
    if _is_figure_union(t):
        return _structure_figure
    hooks = [(conv.get_structure_hook(a), a) for a in args]
    names = " or ".join(getattr(a, "__name__", str(a)) for a in args)

    def union_hook(value: object, _: object) -> Any:
        if value is None and optional:
            return None
        for hook, a in hooks:
            try:
                return hook(value, a)
            except InvalidInput:
                continue
        raise _wrong_type(names, value)

    return union_hook


# -- records (attrs classes) -------------------------------------------------------------------


@attrs.frozen
class _FieldPlan:
    attribute: attrs.Attribute[Any]
    key: str
    hook: Callable[[Any, Any], Any]
    type: Any
    required: bool
    pii: bool


def _plans(cls: type, conv: cattrs.Converter) -> list[_FieldPlan]:
    attrs.resolve_types(cls)
    plans = []
    for a in attrs.fields(cls):
        if not a.init:
            continue
        if a.type is None:
            raise TypeError(f"{cls.__name__}.{a.name} has no type annotation to load it by")
        plans.append(
            _FieldPlan(
                attribute=a,
                key=a.alias or a.name,
                hook=_hook_for(conv, a.type),
                type=a.type,
                required=a.default is attrs.NOTHING,
                pii=is_pii(a),
            )
        )
    return plans


def _scrub(problem: Problem) -> Problem:
    """Remove the echoed value of a personal-data field from a problem."""
    return attrs.evolve(problem, got=None)


def _record_factory(cls: type, conv: cattrs.Converter) -> Callable[[object, object], Any]:
    plans: list[_FieldPlan] | None = None
    known: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    known_set: frozenset[str] = frozenset()
    required_set: frozenset[str] = frozenset()
    fast: tuple[tuple[str, Callable[[Any, Any], Any], Any], ...] = ()

    def hook(value: object, _: object) -> Any:
        nonlocal plans, known, required, known_set, required_set, fast
        if plans is None:  # built on first use, so that records may refer to each other
            plans = _plans(cls, conv)
            known = tuple(p.key for p in plans)
            required = tuple(p.key for p in plans if p.required)
            known_set, required_set = frozenset(known), frozenset(required)
            fast = tuple((p.key, p.hook, p.type) for p in plans)
        # Fast path: a plain dict (so no duplicate keys) with only known keys and every
        # required one, whose fields all load and which the class accepts. On any problem
        # the full path below runs from the start and reports everything, as always.
        if value.__class__ is dict and known_set.issuperset(value):
            given = value.keys()
            if given >= required_set:
                loaded: dict[str, Any] = {}
                try:
                    for key, structure, type_ in fast:
                        if key in given:
                            loaded[key] = structure(value[key], type_)
                    return cls(**loaded)
                except (InvalidInput, TypeError, ValueError):
                    pass
        if not isinstance(value, Mapping):
            wrong = _wrong_type(f"an object ({cls.__name__})", value)
            if any(p.pii for p in plans):
                # The value might be this record's personal data in another shape.
                raise InvalidInput([_scrub(p) for p in wrong.problems]) from None
            raise wrong
        by_field: dict[str, list[Problem]] = {}
        kwargs: dict[str, Any] = {}
        for plan in plans:
            if plan.key not in value:
                continue
            try:
                kwargs[plan.key] = plan.hook(value[plan.key], plan.type)
            except InvalidInput as exc:
                found = [p.under(plan.key) for p in exc.problems]
                by_field[plan.key] = [_scrub(p) for p in found] if plan.pii else found
        keys = _key_problems(value, known, required=required)
        if not by_field and not keys:
            try:
                return cls(**kwargs)
            except (TypeError, ValueError) as exc:
                whole = Problem(path=(), code="invalid", message=str(exc))
                by_field.update(_check_fields(plans, kwargs) or {"": [whole]})
        else:
            by_field.update(_check_fields(plans, kwargs))
        problems = [p for plan in plans for p in by_field.get(plan.key, ())]
        problems.extend(by_field.get("", ()))
        raise InvalidInput([*problems, *keys])

    return hook


def _check_fields(plans: list[_FieldPlan], kwargs: dict[str, Any]) -> dict[str, list[Problem]]:
    """Try every structured field's own converter and validator, and report each refusal.

    attrs stops at the first failing validator and says nothing of the path, so when a
    record refuses its input each field is tried on its own, to report them all.
    """
    found: dict[str, list[Problem]] = {}
    for plan in plans:
        a = plan.attribute
        if plan.key not in kwargs:
            continue
        value = kwargs[plan.key]
        try:
            if a.converter is not None:
                value = _convert(a, value)
            if a.validator is not None:
                a.validator(None, a, value)
        except (TypeError, ValueError) as field_exc:
            found[plan.key] = [_problem_from(plan, field_exc, value)]
        except Exception:
            continue
    return found


def _convert(a: attrs.Attribute[Any], value: Any) -> Any:
    conv = a.converter
    if isinstance(conv, attrs.Converter):
        args: list[Any] = [value]
        if conv.takes_self:  # type: ignore[attr-defined]
            args.append(None)
        if conv.takes_field:  # type: ignore[attr-defined]
            args.append(a)
        return conv.converter(*args)  # type: ignore[attr-defined]
    return cast(Callable[[Any], Any], conv)(value)


def _problem_from(plan: _FieldPlan, exc: Exception, value: object) -> Problem:
    message = _strip_field(str(exc), plan.attribute.name)
    if plan.pii:
        text = str(value)
        if text and text in message:
            message = "is not valid"
    return Problem(path=(plan.key,), code="invalid", message=message)


def _record_unstructure_factory(
    cls: type, conv: cattrs.Converter
) -> Callable[[Any], dict[str, Any]]:
    plan: list[tuple[str, str, Callable[[Any], Any]]] | None = None

    def hook(obj: Any) -> dict[str, Any]:
        nonlocal plan
        if plan is None:
            attrs.resolve_types(cls)
            plan = [
                (a.name, a.alias or a.name, conv.get_unstructure_hook(a.type))
                for a in attrs.fields(cls)
                if a.init
            ]
        return {key: un(getattr(obj, name)) for name, key, un in plan}

    return hook


def _tuple_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], list[Any]]:
    args = get_args(t)
    if len(args) == 2 and args[1] is Ellipsis:
        item = conv.get_unstructure_hook(args[0])
        return lambda value: [item(v) for v in value]
    hooks = [conv.get_unstructure_hook(a) for a in args]
    return lambda value: [h(v) for h, v in zip(hooks, value, strict=True)]


def _frozenset_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], list[Any]]:
    (item_type,) = get_args(t)
    item = conv.get_unstructure_hook(item_type)
    return lambda value: sorted((item(v) for v in value), key=json.dumps)


def _mapping_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], dict[str, Any]]:
    _, value_type = get_args(t)
    item = conv.get_unstructure_hook(value_type)
    return lambda value: {k: item(v) for k, v in value.items()}


def _union_unstructure_factory(t: Any, conv: cattrs.Converter) -> Callable[[Any], Any]:
    if _is_figure_union(t):
        return _unstructure_figure
    args = [a for a in get_args(t) if a is not _NONE_TYPE]
    if len(args) == 1 and isinstance(args[0], type):
        # X | None: the hook of X, found once; a value of another class (a subclass)
        # still goes through the converter's dispatch, as before.
        inner_type, inner = args[0], conv.get_unstructure_hook(args[0])

        def optional(value: Any) -> Any:
            if value is None:
                return None
            if value.__class__ is inner_type:
                return inner(value)
            return conv.unstructure(value)

        return optional
    return lambda value: None if value is None else conv.unstructure(value)


# -- the factory ---------------------------------------------------------------------------------


def _is_record(t: Any) -> bool:
    return isinstance(t, type) and attrs.has(t) and t is not Money


def _is_enum(t: Any) -> bool:
    return isinstance(t, type) and issubclass(t, enum.Enum)


def make_converter() -> cattrs.Converter:
    """Build the library's configured cattrs converter.

    Each call returns a new converter; nothing global is changed. Register your own hooks
    on the one you make (for your own record types, attrs classes work out of the box).

    >>> conv = make_converter()
    >>> conv.unstructure(Money("1.50"))
    {'amount': '1.50', 'currency': 'CNY'}
    >>> conv.structure({"amount": "1.50", "currency": "CNY"}, Money)
    Money('1.50', 'CNY')
    """
    conv = cattrs.Converter()
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(int, _structure_int)
    conv.register_structure_hook(bool, _structure_bool)
    # A StrEnum is also a str: register the enum hook for the enum bases too, so that the
    # most specific class in the MRO (StrEnum before str) picks it.
    for base in (enum.StrEnum, enum.IntEnum, enum.Enum):
        conv.register_structure_hook(base, _structure_any_enum)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(date, _structure_date)
    conv.register_structure_hook(datetime, _refuse_datetime)
    conv.register_structure_hook(Money, _structure_money)
    conv.register_structure_hook_factory(_is_enum, _enum_hook)
    conv.register_structure_hook_factory(_is_union, _union_factory)
    conv.register_structure_hook_factory(_is_tuple, _tuple_factory)
    conv.register_structure_hook_factory(_is_frozenset, _frozenset_factory)
    conv.register_structure_hook_factory(_is_mapping, _mapping_factory)
    conv.register_structure_hook_factory(_is_record, _record_factory)

    conv.register_unstructure_hook(str, _identity)
    conv.register_unstructure_hook(int, _identity)
    conv.register_unstructure_hook(bool, _identity)
    for base in (enum.StrEnum, enum.IntEnum, enum.Enum):
        conv.register_unstructure_hook(base, _enum_value)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook(Money, _unstructure_figure)
    conv.register_unstructure_hook_factory(_is_enum, lambda _: _enum_value)
    conv.register_unstructure_hook_factory(_is_union, _union_unstructure_factory)
    conv.register_unstructure_hook_factory(_is_tuple, _tuple_unstructure_factory)
    conv.register_unstructure_hook_factory(_is_frozenset, _frozenset_unstructure_factory)
    conv.register_unstructure_hook_factory(_is_mapping, _mapping_unstructure_factory)
    conv.register_unstructure_hook_factory(_is_record, _record_unstructure_factory)
    return conv


def _identity(value: T) -> T:
    return value


def _enum_value(value: enum.Enum) -> Any:
    return value.value


def _refuse_datetime(value: object, _: object) -> datetime:
    raise _wrong_type("a date (humanaid keeps dates, not times)", value)


@functools.cache
def _converter() -> cattrs.Converter:
    return make_converter()


# -- generated fast loaders ----------------------------------------------------------------------
#
# For each record class, a loader is generated (once, on first use) for input that is good:
# a plain dict with exactly the class's keys, each value of the plain JSON type and passing
# the field's checks. It reads the keys directly, builds the values through the cheap
# paths (Money, dates, enums), and builds the instance without running a check twice:
# the validators and converters of ``humanaid.records`` whose rule the loader has already
# checked inline are skipped, every other validator and converter is called as attrs
# calls it, in attrs' order, and ``__attrs_post_init__`` runs as always. The loader
# accepts exactly what the detailed path accepts and builds the same value (the
# properties in tests/test_serialize_fast.py check both laws); on anything else it raises
# and the detailed path runs from the start, so every problem is reported as before.
#
# A second loader per class reads a line exactly as ``to_json`` writes it with one regular
# expression instead of the JSON parser (``_text_loader``); the checks after reading are
# the same generated code. Money, dates and reference ids that repeat are kept (the first
# few thousand distinct ones) and shared between records: they are immutable.


class _Refused(Exception):
    """The fast path does not take this input; the detailed path will report why."""


_Loader = Callable[[Any, list[int]], Any]
_LOADERS: dict[Any, _Loader | None] = {}
_BUILDING: set[type] = set()
_ID_MATCH: Final = _ID_PATTERN.match
_ISO_MATCH: Final = _ISO_DATE.match
_MEMBER: Final = type(Money.__dict__["_amount"])
_AND_VALIDATOR: Final[type] = type(attrs.validators.and_())
_OPTIONAL_VALIDATOR: Final[type] = type(
    attrs.validators.optional(attrs.validators.instance_of(int))
)


def _fast_loader(cls: Any) -> _Loader | None:
    """The generated loader of record class ``cls``, or ``None`` if it has none."""
    try:
        return _LOADERS[cls]
    except KeyError:
        pass
    except TypeError:  # an unhashable type form
        return None
    loader: _Loader | None = None
    if _is_record(cls) and _generated_init(cls):
        if cls in _BUILDING:  # a record that contains itself: look it up when called
            return lambda d, n: cast(_Loader, _LOADERS[cls])(d, n)
        _BUILDING.add(cls)
        try:
            loader = _generate_loader(cls, _converter())
        except Exception:  # a type the generator cannot plan: no fast path
            loader = None
        finally:
            _BUILDING.discard(cls)
    _LOADERS[cls] = loader
    return loader


_Reader = Callable[[str], Any]
_READERS: dict[Any, _Reader | None] = {}


def _text_loader(cls: Any) -> _Reader | None:
    """The generated loader of ``cls`` from the text :func:`to_json` writes, if it has one.

    It returns ``None`` for text written any other way (spaces, escapes, nested records).
    """
    try:
        return _READERS[cls]
    except KeyError:
        pass
    except TypeError:
        return None
    reader: _Reader | None = None
    if _fast_loader(cls) is not None:
        try:
            reader = cast(_Reader, _generate_loader(cls, _converter(), text=True))
        except Exception:  # a field the text loader does not read: the dict loader does
            reader = None
    _READERS[cls] = reader
    return reader


def _generated_init(cls: type) -> bool:
    """Whether ``cls.__init__`` is attrs' own, with nothing the generated loader skips."""
    code = getattr(getattr(cls, "__init__", None), "__code__", None)
    if code is None or not code.co_filename.startswith("<attrs generated"):
        return False
    if hasattr(cls, "__attrs_pre_init__"):
        return False
    return all(a.init for a in attrs.fields(cls))


_SEEN_MAX: Final = 16384
_DAYS: dict[str, date] = {}
_REFS: dict[str, str] = {}


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
    if not _is_enum(t):
        return None
    values = {m.value: m for m in t}
    if all(k.__class__ is str for k in values):
        return values
    return None


class _Gen:
    """Source text and namespace of one generated loader."""

    def __init__(self, cls: type, conv: cattrs.Converter) -> None:
        self.cls = cls
        self.conv = conv
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
    if _is_union(t) and len(args) == 2 and _NONE_TYPE in args:
        inner = args[0] if args[1] is _NONE_TYPE else args[1]
        if _simple_kind(inner) is not None:
            g.emit(depth, f"if {v} is not None:")
            mark = len(g.lines)
            inner_kind = _structure_code(g, depth + 1, v, inner, text=text)
            if len(g.lines) == mark:  # nothing to do for a value: no test either
                g.lines.pop()
            return "opt-" + inner_kind
    kind = _simple_kind(t)
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
        hook = g.name("H", _hook_for(g.conv, t))
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
        load = g.name("L", _fast_loader(t))
        g.emit(depth, f"{v} = {load}({v}, n)")
    elif kind == "tuple-record":
        load = g.name("L", _fast_loader(args[0]))
        g.emit(depth, f"if {v}.__class__ is not list: raise _Refused")
        g.emit(depth, f"{v} = tuple([{load}(x, n) for x in {v}]) if {v} else ()")
    elif kind == "tuple-str":
        g.emit(depth, f"if {v}.__class__ is not list: raise _Refused")
        g.emit(depth, f"for x in {v}:")
        g.emit(depth + 1, "if x.__class__ is not str: raise _Refused")
        g.emit(depth, f"{v} = tuple({v})")
    return kind


def _simple_kind(t: Any) -> str | None:
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
    if _is_record(t) and _fast_loader(t) is not None:
        return "record"
    if _is_tuple(t):
        args = get_args(t)
        if len(args) == 2 and args[1] is Ellipsis:
            if args[0] is str:
                return "tuple-str"
            if _is_record(args[0]) and _fast_loader(args[0]) is not None:
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
        g.emit(depth, f"if {v}.__class__ is str and not {v}.isascii():")
        g.emit(depth + 1, f'{v} = _normalize("NFC", {v})')
        return
    if spec[:1] == ("enum",) and base == "enum":
        enum_cls, optional = spec[1], spec[2]
        inner = t if kind == "enum" else next(x for x in get_args(t) if x is not _NONE_TYPE)
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
        test = f"not {v}._amount > 0" if what == ("positive",) else f"{v}._amount < 0"
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
            target = next(x for x in get_args(a.type) if x is not _NONE_TYPE)
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


def _nested(text: str, load: _Loader) -> Any:
    """A nested record's text, captured by a text loader, loaded by its dict loader."""
    data, end = _SCAN(text, 0)
    counter = [0]
    value = load(data, counter)
    if end != len(text) or text.count(":") != counter[0]:  # a duplicate key: refused
        raise _Refused
    return value


def _nested_tuple(text: str, load: _Loader) -> tuple[Any, ...]:
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


def _text_part(t: Any) -> tuple[str, str, int]:
    """How a field of type ``t`` is written by ``to_json``: regex, kind, groups.

    Only what the text loader takes is covered: strings without escapes, integers,
    booleans, money, ``null`` for optional records and ``[]`` for tuples. A record
    with another kind of field has no text loader (TypeError).
    """
    args = get_args(t)
    optional = _is_union(t) and len(args) == 2 and _NONE_TYPE in args
    inner = (args[0] if args[1] is _NONE_TYPE else args[1]) if optional else t
    kind = _simple_kind(inner)
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


def _generate_loader(cls: type, conv: cattrs.Converter, *, text: bool = False) -> _Loader:
    """The loader of ``cls`` from a plain dict, or with ``text`` from its canonical JSON.

    The text loader takes a line exactly as :func:`to_json` writes it (compact, keys in
    field order, strings without escapes, nested records ``null``, tuples empty) and
    reads the values with one regular expression instead of the JSON parser; it returns
    ``None`` for any other text, which the dict loader then takes. Every check after
    reading is the same code in both.
    """
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    g = _Gen(cls, conv)
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
) -> _Loader:
    parts: list[str] = []
    plan: list[tuple[str, int]] = []
    count = 0
    for a, key in zip(fields, keys, strict=True):
        if a.type is None:
            raise TypeError(f"{cls.__name__}.{a.name} has no type annotation")
        part, kind, groups = _text_part(a.type)
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
                else next(x for x in get_args(a.type) if x is not _NONE_TYPE)
            )
            load = g.name("L", _fast_loader(inner))
            g.emit(1, f"{v} = None if g{j} is None else _nested(g{j}, {load})")
            kinds.append(kind)
        elif base == "tuple-record":
            load = g.name("L", _fast_loader(get_args(a.type)[0]))
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


def _finish_loader(
    cls: type,
    g: _Gen,
    fields: tuple[attrs.Attribute[Any], ...],
    kinds: list[str],
    signature: str,
) -> _Loader:
    """Emit what both loaders share (converters, slots, checks) and compile."""
    for i, a in enumerate(fields):
        if _is_plain_ref(a, kinds[i]):
            # References repeat (an organisation, a campaign): one already seen is
            # looked up instead of checked, and the record keeps the one string kept.
            if kinds[i] == "str":
                g.emit(1, f"v{i} = _refs.get(v{i}) or _ref(v{i})")
            elif a.default is None:
                g.emit(1, f"if v{i} is not None: v{i} = _refs.get(v{i}) or _ref(v{i})")
            else:
                g.emit(1, f"v{i} = _refs.get(v{i}) or _ref(v{i})  # None is refused")
    g.emit(1, "inst = _new(_cls)")
    for i, a in enumerate(fields):
        _converter_code(g, 1, f"v{i}", a, a.type, kinds[i])
        slot = inspect.getattr_static(cls, a.name, None)
        if isinstance(slot, _MEMBER):
            g.emit(1, f"{g.name('S', slot.__set__)}(inst, v{i})")
        else:
            g.emit(1, f"_osa(inst, {a.name!r}, v{i})")
    for i, a in enumerate(fields):
        if _is_plain_ref(a, kinds[i]):
            continue  # checked above
        for validator in _flat_validators(a.validator):
            _validator_code(g, 1, f"v{i}", a, kinds[i], validator)
    if hasattr(cls, "_attrs_cached_hash"):  # cache_hash=True: attrs' __init__ clears it
        g.emit(1, "_osa(inst, '_attrs_cached_hash', None)")
    if hasattr(cls, "__attrs_post_init__"):
        g.emit(1, "inst.__attrs_post_init__()")
    g.emit(1, "return inst")
    source = f"def {signature}:\n" + "\n".join(g.lines) + "\n"
    filename = f"<humanaid generated loader {cls.__module__}.{cls.__qualname__}>"
    exec(compile(source, filename, "exec"), g.ns)  # our own generated code
    loader = cast(_Loader, g.ns[signature.partition("(")[0]])
    loader.__doc__ = source  # for whoever debugs it
    return loader


# -- generated fast dumpers ----------------------------------------------------------------------
#
# ``to_json`` of a record writes its text directly: a generated function per class reads
# each attribute once and writes the same characters the converter's dict and the compact
# encoder would (tests compare the two). Values of another class than the field declares
# go through the field's converter hook and the encoder, as before, and on any error the
# old path runs and raises what it raises.

_Dumper = Callable[[Any], str]
_DUMPERS: dict[Any, _Dumper | None] = {}
_DUMPING: set[type] = set()
_encode_str: Final = json.encoder.encode_basestring


def _fast_dumper(cls: Any) -> _Dumper | None:
    """The generated dumper of record class ``cls``, or ``None`` if it has none."""
    try:
        return _DUMPERS[cls]
    except KeyError:
        pass
    except TypeError:
        return None
    dumper: _Dumper | None = None
    if _is_record(cls):
        if cls in _DUMPING:
            return lambda o: cast(_Dumper, _DUMPERS[cls])(o)
        _DUMPING.add(cls)
        try:
            dumper = _generate_dumper(cls, _converter())
        except Exception:  # a type the generator cannot plan: no fast path
            dumper = None
        finally:
            _DUMPING.discard(cls)
    _DUMPERS[cls] = dumper
    return dumper


def _dump_code(
    ns: dict[str, Any], conv: cattrs.Converter, v: str, t: Any, generic: str | None = None
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
        hook = conv.get_unstructure_hook(t)
        generic = name("G", lambda value: _COMPACT.encode(hook(value)))
    args = get_args(t)
    if _is_union(t) and len(args) == 2 and _NONE_TYPE in args:
        inner = args[0] if args[1] is _NONE_TYPE else args[1]
        if isinstance(inner, type):
            # The union's hook writes a value of another class by its own class.
            return f'("null" if {v} is None else {_dump_code(ns, conv, v, inner, generic)})'
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
        return f"('\"' + str({v}) + '\"' if {v}.__class__ is _Decimal else {generic}({v}))"
    if t is Money:
        return (
            f'(\'{{"amount":"\' + str({v}._amount) + \'","currency":\' + _s({v}._currency) + "}}"'
            f" if {v}.__class__ is _Money else {generic}({v}))"
        )
    if _is_enum(t):
        texts, enum_cls = name("E", {m: _COMPACT.encode(m.value) for m in t}), name("T", t)
        return f"({texts}[{v}] if {v}.__class__ is {enum_cls} else {generic}({v}))"
    if _is_record(t) and _fast_dumper(t) is not None:
        dump, cls = name("D", _fast_dumper(t)), name("T", t)
        return f"({dump}({v}) if {v}.__class__ is {cls} else {generic}({v}))"
    if _is_tuple(t) and len(args) == 2 and args[1] is Ellipsis:
        item = _dump_code(ns, conv, "x", args[0])
        return (
            f'("[" + ",".join([{item} for x in {v}]) + "]" '
            f"if {v}.__class__ is tuple else {generic}({v}))"
        )
    return f"{generic}({v})"


def _generate_dumper(cls: type, conv: cattrs.Converter) -> _Dumper:
    attrs.resolve_types(cls)
    ns: dict[str, Any] = {
        "_s": _encode_str,
        "_int": int.__repr__,
        "_iso": date.isoformat,
        "_date": date,
        "_Decimal": Decimal,
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
        parts.append(_dump_code(ns, conv, f"v{i}", a.type))
    parts.append(repr("}" if not first else "{}"))
    body = "\n".join(lines)
    source = f"def dump_{cls.__name__}(o):\n{body}\n    return ''.join(({', '.join(parts)},))\n"
    filename = f"<humanaid generated dumper {cls.__module__}.{cls.__qualname__}>"
    exec(compile(source, filename, "exec"), ns)  # our own generated code
    dumper = cast(_Dumper, ns[f"dump_{cls.__name__}"])
    dumper.__doc__ = source
    return dumper


# -- the public functions ------------------------------------------------------------------------


def to_dict(obj: Any) -> Any:
    """Turn a record (or Money, Period, Dataset ...) into plain JSON-ready data.

    >>> to_dict(Money("12.50"))
    {'amount': '12.50', 'currency': 'CNY'}
    """
    return _converter().unstructure(obj, type(obj))


def from_dict(data: Any, cls: type[T], *, subject: str = "the input") -> T:
    """Build a ``cls`` from plain data, checking everything.

    Raises:
        InvalidInput: listing every problem with its path.

    >>> from_dict({"amount": "12.50", "currency": "CNY"}, Money)
    Money('12.50', 'CNY')
    """
    fast = _fast_loader(cls)
    if fast is not None:
        try:
            return cast(T, fast(data, [0]))
        except Exception:  # the detailed path reports what is wrong
            pass
    return _from_dict_detailed(data, cls, subject=subject)


def _from_dict_detailed(data: Any, cls: type[T], *, subject: str = "the input") -> T:
    """:func:`from_dict` without the generated fast path: the reference it must equal."""
    try:
        return _converter().structure(data, cls)
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, subject=subject) from None


_COMPACT: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_DECODER: Final = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_NonFinite)
_SCAN: Final[Callable[[str, int], tuple[Any, int]]] = json.scanner.make_scanner(
    json.JSONDecoder(parse_constant=_NonFinite)  # type: ignore[arg-type]
)


def _loads(text: str | bytes) -> Any:
    """Parse JSON as ``json.loads(text, object_pairs_hook=_pairs, parse_constant=...)`` does.

    The decoder is made once instead of once per call.
    """
    if isinstance(text, str):
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    return json.loads(text, object_pairs_hook=_pairs, parse_constant=_NonFinite)


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """Serialise to a JSON string (UTF-8 text; Chinese is written as is).

    >>> to_json(Money("12.50"))
    '{"amount":"12.50","currency":"CNY"}'
    """
    if indent is None:
        dump = _fast_dumper(type(obj))
        if dump is not None:
            try:
                return dump(obj)
            except Exception:  # the converter's path says what is wrong
                pass
        return _COMPACT.encode(to_dict(obj))
    return json.dumps(to_dict(obj), ensure_ascii=False, indent=indent, separators=(",", ": "))


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Load a ``cls`` from JSON text, strictly.

    Raises:
        InvalidInput: listing every problem with its path, including JSON that does not
            parse (code ``invalid-json``).
    """
    fast = _fast_loader(cls)
    if fast is not None:
        loaded = _fast_json(text, fast, _text_loader(cls))
        if loaded is not _REFUSED:
            return cast(T, loaded)
    return _from_json_detailed(text, cls)


_REFUSED: Final = object()


def _fast_json(text: str | bytes, fast: _Loader, read: _Reader | None = None) -> Any:
    """Load good JSON through the generated loaders, or return ``_REFUSED``.

    Text exactly as :func:`to_json` writes it is read by the class's text loader
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
            return _REFUSED
        counter = [0]
        obj = fast(data, counter)
        if s.count(":") == counter[0]:
            return obj
    except Exception:  # the detailed path reports what is wrong
        pass
    return _REFUSED


def _from_json_detailed(text: str | bytes, cls: type[T]) -> T:
    """:func:`from_json` without the generated fast path: the reference it must equal."""
    try:
        data = _loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            [Problem(path=(), code="invalid-json", message=f"is not valid JSON: {exc}")]
        ) from None
    except RecursionError:
        raise InvalidInput(
            [Problem(path=(), code="invalid-json", message="is nested too deeply to read")]
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise InvalidInput(
            [Problem(path=(), code="invalid-json", message=f"cannot be read: {exc}")]
        ) from None
    return _from_dict_detailed(data, cls)


# -- JSON Lines, streamed ------------------------------------------------------------------------


class _PathLike(typing.Protocol):
    def __fspath__(self) -> str: ...


def iter_json_lines(
    source: str | _PathLike | typing.IO[str] | typing.IO[bytes] | Iterable[str] | Iterable[bytes],
    cls: type[T],
) -> typing.Generator[T, None, None]:
    """Load ``cls`` records from JSON Lines one line at a time, strictly.

    Each line holds one JSON object, loaded with :func:`from_json`; blank lines are
    skipped. From a path (a file opened here), records are built in small batches (one
    record first, then twice as many each time up to 1,024) with the cyclic garbage
    collector paused, so that building a million records does not trigger thousands of
    collections; the collector's previous state is restored before each batch is handed
    out, so it is never left paused, whatever the caller does between records or however
    the loop ends. From an open file or an iterable of lines, which may be a pipe
    awaiting a reply or be read on after the loop, one line is read for each record
    handed out, nothing ahead. Only a batch is held at a time, so a file of ten million
    records is read in the memory of a batch (hand the records to
    :func:`humanaid.tabulate` or :func:`humanaid.interop.arrow.read_json_lines` as they
    come). The records of the lines before a bad line are handed out before its error is
    raised.

    Args:
        source: a path (opened and closed here, read as UTF-8 bytes), an open text or
            binary file, or any iterable of lines.
        cls: the record type of every line.

    Raises:
        InvalidInput: at the first bad line, listing its problems; the message names the
            line (``1 problem in line 3 of gifts.jsonl``).

    >>> from humanaid import Money
    >>> lines = ['{"amount": "1.50", "currency": "CNY"}', "", '{"amount": "2", "currency": "USD"}']
    >>> list(iter_json_lines(lines, Money))
    [Money('1.50', 'CNY'), Money('2.00', 'USD')]
    >>> next(iter_json_lines(['{"amount": 1.5, "currency": "CNY"}'], Money))
    Traceback (most recent call last):
    ...
    humanaid.errors.InvalidInput: 1 problem in line 1 of the input:
      $.amount: must be a string such as '12.50', not a float: ... (got 1.5)
    """
    import os

    if isinstance(source, str) or hasattr(source, "__fspath__"):
        path = os.fspath(typing.cast(str, source))
        with open(path, "rb", buffering=1 << 16) as f:
            yield from _json_lines(f, cls, path, ahead=True)
    elif isinstance(source, str | bytes) or not isinstance(source, Iterable):
        raise TypeError(
            "'source' must be a path, an open file or an iterable of lines "
            f"(got {type(source).__name__})"
        )
    else:
        name = str(getattr(source, "name", "the input"))
        yield from _json_lines(source, cls, name, ahead=False)


_BATCH: Final = 1024


def _json_lines(
    lines: Iterable[str] | Iterable[bytes], cls: type[T], name: str, *, ahead: bool
) -> typing.Generator[T, None, None]:
    """The records of ``lines``; with ``ahead``, in batches with the collector paused.

    Only a file opened here is read ahead: a caller's file or iterable is read one line
    per record handed out (it may be a pipe awaiting a reply, or be read on after the
    loop ends), and with the collector running, since it may make garbage in cycles.
    """
    fast = _fast_loader(cls)
    read = _text_loader(cls) if fast is not None else None
    numbered: Iterator[tuple[int, str | bytes]] = enumerate(lines, start=1)
    size = 1
    while True:
        batch: list[T] = []
        failure: Exception | None = None
        finished = False
        pause = _gc.paused() if ahead else contextlib.nullcontext()
        with pause:
            try:
                for number, line in numbered:
                    if not line or line.isspace():
                        continue
                    if read is not None:  # a line as to_json writes it: read it here
                        try:
                            obj = read(line if isinstance(line, str) else line.decode())
                        except Exception:  # the paths below say what is wrong
                            obj = None
                        if obj is not None:
                            batch.append(obj)
                            if len(batch) >= size:
                                break
                            continue
                    if fast is not None:
                        obj = _fast_json(line, fast)
                        if obj is not _REFUSED:
                            batch.append(obj)
                            if len(batch) >= size:
                                break
                            continue
                    try:
                        batch.append(_from_json_detailed(line, cls))
                    except InvalidInput as exc:
                        failure = InvalidInput(exc.problems, subject=f"line {number} of {name}")
                        failure.__suppress_context__ = True
                        break
                    if len(batch) >= size:
                        break
                else:
                    finished = True
            except Exception as exc:  # reading failed: the records built so far come first
                failure = exc
        yield from batch
        if failure is not None:
            raise failure
        if finished:
            return
        if ahead:
            size = min(2 * size, _BATCH)


__all__ += ["iter_json_lines"]
