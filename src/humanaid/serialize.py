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
* Good input is first offered to a loader (and records to a writer) generated per record
  class, which takes exactly what the checks here take and gives the same result, only
  sooner; they live in the private module ``humanaid._serialize_fast``.

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
rule such as "end must not be before start"), and the limits of
:data:`~humanaid.errors.LIMITS`: ``too-deep``, ``too-long``, ``too-many-digits``.

A record's checks raise :class:`~humanaid.errors.FieldError` values that carry their
field, code and value: a problem is placed and coded from those, never from the text of
a message. A value that is an object or an array is never echoed (it may hold a person's
data in another shape), and nothing is echoed while
:func:`~humanaid.errors.hide_input_in_errors` is on.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import itertools
import json
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, cast, get_args

import attrs
import cattrs

from humanaid import _gc
from humanaid._decimal import PLAIN_DECIMAL as _PLAIN_DECIMAL
from humanaid._decimal import is_plain_decimal
from humanaid._jsonforms import (
    COMPACT,
    ISO_DATE,
    NONE_TYPE,
    decimal_text,
    is_enum,
    is_frozenset,
    is_mapping,
    is_record,
    is_tuple,
    is_union,
)
from humanaid._serialize_fast import REFUSED, FastPaths, load_json
from humanaid.errors import LIMITS, FieldError, InvalidInput, Problem, shown
from humanaid.findings import Figure
from humanaid.money import Money, known_currencies
from humanaid.records import is_pii

__all__ = ["from_dict", "from_json", "make_converter", "to_dict", "to_json"]

T = TypeVar("T")
L = TypeVar("L")

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


class _LongNumber:
    """A JSON integer of more digits than :data:`~humanaid.errors.LIMITS` allows, unread."""

    __slots__ = ("digits",)

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<a number of {self.digits} digits>"


_DIGITS: Final = LIMITS["digits"]
_INT_DIGITS: Final = LIMITS["integer_digits"]
_DEPTH: Final = LIMITS["depth"]
_INT_MAX: Final = 10**_INT_DIGITS


def _parse_int(text: str) -> int | _LongNumber:
    """A JSON integer; one too long to be a number the library keeps is not even read."""
    if len(text) > _DIGITS + 1:
        return _LongNumber(len(text.lstrip("-")))
    return int(text)


def _too_deep(data: Any, limit: int = _DEPTH) -> tuple[str | int, ...] | None:
    """The path to the first array or object nested deeper than ``limit``, or ``None``.

    Walked without recursion, so that no depth of input can exhaust the stack.
    """
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, Mapping):
            items: Iterable[tuple[str | int, Any]] = value.items()
        elif isinstance(value, list | tuple):
            items = enumerate(value)
        else:
            continue
        if len(path) >= limit:
            return path
        stack.extend((v, (*path, k)) for k, v in items if isinstance(v, Mapping | list | tuple))
    return None


def _depth_problem(path: tuple[str | int, ...]) -> Problem:
    return Problem(
        path=path,
        code="too-deep",
        message=f"nests arrays and objects more than {_DEPTH} deep",
    )


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


def _got(value: object) -> str | None:
    """The value as a problem shows it; nothing for an object or an array.

    An object or array is never echoed: it may be a record holding a person's data, given
    where one value belongs (``{"persons": {"name": ...}}``), and it may be deep.
    """
    if isinstance(value, Mapping | list | tuple):
        return None
    return shown(value)


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
    if isinstance(value, _LongNumber):
        return "a number"
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


def _too_many_digits(value: object, limit: int) -> InvalidInput:
    digits = value.digits if isinstance(value, _LongNumber) else None
    return InvalidInput(
        [
            Problem(
                path=(),
                code="too-many-digits",
                message=f"must have at most {limit} digits",
                got=f"{digits} digits" if digits is not None else _got(value),
            )
        ]
    )


def _structure_int(value: object, _: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, _LongNumber):
            raise _too_many_digits(value, _INT_DIGITS)
        raise _wrong_type("an integer", value)
    if not -_INT_MAX < value < _INT_MAX:
        raise _too_many_digits(value, _INT_DIGITS)
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
        if not -_INT_MAX < value < _INT_MAX:
            raise _too_many_digits(value, _INT_DIGITS)
        return Decimal(value)
    if isinstance(value, _LongNumber):
        raise _too_many_digits(value, _DIGITS)
    if not isinstance(value, str):
        raise _wrong_type("a decimal string such as '0.25'", value)
    if not is_plain_decimal(value):
        digits = len(value) - value.count(".") - value.startswith(("+", "-"))
        if digits > _DIGITS and _PLAIN_DECIMAL.match(value):
            raise InvalidInput(
                [
                    Problem(
                        path=(),
                        code="too-many-digits",
                        message=f"must have at most {_DIGITS} digits",
                        got=f"{digits} digits",
                    )
                ]
            )
        raise _fail(
            "invalid-decimal",
            "must be a plain decimal: ASCII digits, optional sign and point, no exponent",
            value,
        )
    return Decimal(value)


def _structure_date(value: object, _: object) -> date:
    if not isinstance(value, str):
        raise _wrong_type("an ISO date string such as '2020-02-29'", value)
    if not ISO_DATE.match(value):
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
    except FieldError as exc:  # Money says which of its fields, and why
        raise InvalidInput([exc.problem()]) from None


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
    if is_enum(t):
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
        return {"decimal": decimal_text(value)}
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


def _is_figure_union(t: Any) -> bool:
    return is_union(t) and set(get_args(t)) == set(get_args(Figure))


def _elements(value: object, kind: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _wrong_type(f"an array of {kind}", value)
    return value if isinstance(value, list) else list(value)


def _tuple_factory(t: Any, conv: cattrs.Converter) -> Callable[[object, object], tuple[Any, ...]]:
    args = get_args(t)
    if len(args) == 2 and args[1] is Ellipsis:
        item = _hook_for(conv, args[0])
        item_type = args[0]
        name = getattr(item_type, "__name__", str(item_type))

        def variadic(value: object, _: object) -> tuple[Any, ...]:
            return _load_items(itertools.repeat((item, item_type)), _elements(value, name))

        return variadic

    hooks = [(conv.get_structure_hook(a), a) for a in args]

    def fixed(value: object, _: object) -> tuple[Any, ...]:
        items = _elements(value, "values")
        if len(items) != len(hooks):
            raise _fail("wrong-type", f"must be an array of {len(hooks)} values", value)
        return _load_items(hooks, items)

    return fixed


def _load_items(
    hooks: Iterable[tuple[Callable[[Any, Any], Any], Any]], values: list[Any]
) -> tuple[Any, ...]:
    """Load each value with its ``(hook, type)``; report every item's problems under its index.

    ``hooks`` may be endless (one hook repeated for a variadic tuple): the values end it.
    """
    out: list[Any] = []
    problems: list[Problem] = []
    for i, ((hook, t), v) in enumerate(zip(hooks, values, strict=False)):
        try:
            out.append(hook(v, t))
        except InvalidInput as exc:
            problems.extend(p.under(i) for p in exc.problems)
    if problems:
        raise InvalidInput(problems)
    return tuple(out)


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
    args = [a for a in get_args(t) if a is not NONE_TYPE]
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
                whole = _whole_problem(plans, kwargs, exc)
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
    """The problem of one field's refusal: from the error's own structure when it has one."""
    if isinstance(exc, FieldError):
        pii = plan.pii or exc.pii
        return Problem(
            path=(plan.key, *exc.at),
            code=exc.code,
            message=exc.rule,
            got=None if pii else exc.got,
        )
    # A check of the record's own, raising a plain ValueError or TypeError: the field is
    # known (its check raised it), the message is kept whole.
    message = str(exc)
    if plan.pii and _echoes(message, value):
        message = "is not valid"
    return Problem(path=(plan.key,), code="invalid", message=message)


def _whole_problem(plans: list[_FieldPlan], kwargs: dict[str, Any], exc: Exception) -> Problem:
    """The problem of a rule across fields (``__attrs_post_init__``), which the fields pass.

    A :class:`~humanaid.errors.FieldError` names the field it blames; a plain error is
    placed at the record. Neither may echo a personal value of the record.
    """
    personal = [kwargs[p.key] for p in plans if p.pii and p.key in kwargs]
    if isinstance(exc, FieldError):
        by_name = {p.attribute.name: p for p in plans}
        plan = by_name.get(exc.field)
        pii = exc.pii or (plan is not None and plan.pii)
        key = plan.key if plan is not None else exc.field
        got = None if pii or any(_echoes(exc.got or "", v) for v in personal) else exc.got
        message = exc.rule
        if any(_echoes(message, v) for v in personal):
            message = "breaks a rule of the record"
        path = (key, *exc.at) if key else exc.at
        return Problem(path=path, code=exc.code, message=message, got=got)
    message = str(exc)
    if any(_echoes(message, v) for v in personal):
        message = "breaks a rule of the record"
    return Problem(path=(), code="invalid", message=message)


def _echoes(message: str, value: object) -> bool:
    """Whether ``message`` quotes a personal ``value`` (belt and braces, never structure)."""
    if value is None:
        return False
    text = value if isinstance(value, str) else str(value)
    return len(text) >= 2 and text in message


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
    args = [a for a in get_args(t) if a is not NONE_TYPE]
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
    conv.register_structure_hook_factory(is_enum, _enum_hook)
    conv.register_structure_hook_factory(is_union, _union_factory)
    conv.register_structure_hook_factory(is_tuple, _tuple_factory)
    conv.register_structure_hook_factory(is_frozenset, _frozenset_factory)
    conv.register_structure_hook_factory(is_mapping, _mapping_factory)
    conv.register_structure_hook_factory(is_record, _record_factory)

    conv.register_unstructure_hook(str, _identity)
    conv.register_unstructure_hook(int, _identity)
    conv.register_unstructure_hook(bool, _identity)
    for base in (enum.StrEnum, enum.IntEnum, enum.Enum):
        conv.register_unstructure_hook(base, _enum_value)
    conv.register_unstructure_hook(Decimal, decimal_text)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook(Money, _unstructure_figure)
    conv.register_unstructure_hook_factory(is_enum, lambda _: _enum_value)
    conv.register_unstructure_hook_factory(is_union, _union_unstructure_factory)
    conv.register_unstructure_hook_factory(is_tuple, _tuple_unstructure_factory)
    conv.register_unstructure_hook_factory(is_frozenset, _frozenset_unstructure_factory)
    conv.register_unstructure_hook_factory(is_mapping, _mapping_unstructure_factory)
    conv.register_unstructure_hook_factory(is_record, _record_unstructure_factory)
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


# Loaders and writers generated per record class take good input first; whatever they
# do not take goes through the converter above, which reports every problem. They live
# behind a private door, humanaid._serialize_fast, which says what they buy.
_FAST: Final = FastPaths(_converter)
_BEST: Final = _FAST.best


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
    fast = _FAST.loader(cls)
    if fast is not None:
        try:
            return cast(T, fast(data, [0]))
        except Exception:  # the detailed path reports what is wrong
            pass
    return _from_dict_detailed(data, cls, subject=subject)


def _from_dict_detailed(data: Any, cls: type[T], *, subject: str = "the input") -> T:
    """:func:`from_dict` without the generated fast path: the reference it must equal."""
    deep = _too_deep(data)
    if deep is not None:
        raise InvalidInput([_depth_problem(deep)], subject=subject)
    try:
        return _converter().structure(data, cls)
    except InvalidInput as exc:
        raise InvalidInput(exc.problems, subject=subject) from None
    except RecursionError:  # a record type that nests itself past the stack: refuse, cleanly
        raise InvalidInput([_depth_problem(())], subject=subject) from None


_DECODER: Final = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_constant=_NonFinite, parse_int=_parse_int
)


def _loads(text: str | bytes) -> Any:
    """Parse JSON as ``json.loads(text, object_pairs_hook=_pairs, parse_constant=...)`` does.

    The decoder is made once instead of once per call.
    """
    if isinstance(text, str):
        if text.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    return json.loads(
        text, object_pairs_hook=_pairs, parse_constant=_NonFinite, parse_int=_parse_int
    )


def to_json(obj: Any, *, indent: int | None = None) -> str:
    """Serialise to a JSON string (UTF-8 text; Chinese is written as is).

    >>> to_json(Money("12.50"))
    '{"amount":"12.50","currency":"CNY"}'
    """
    if indent is None:
        try:
            best = _BEST[obj.__class__]
        except KeyError:
            best = _FAST.best_dumper(obj.__class__)
        except TypeError:  # an unhashable class
            best = None
        if best is not None:
            try:
                return best(obj)
            except Exception:  # a value the accelerated writer does not expect: below
                pass
        dump = _FAST.dumper(type(obj))
        if dump is not None:
            try:
                return dump(obj)
            except Exception:  # the converter's path says what is wrong
                pass
        return COMPACT.encode(to_dict(obj))
    return json.dumps(to_dict(obj), ensure_ascii=False, indent=indent, separators=(",", ": "))


def from_json(text: str | bytes, cls: type[T]) -> T:
    """Load a ``cls`` from JSON text, strictly.

    Raises:
        InvalidInput: listing every problem with its path, including JSON that does not
            parse (code ``invalid-json``).
    """
    fast = _FAST.loader(cls)
    if fast is not None:
        accelerated = _FAST.accelerated_loader(cls)
        if accelerated is not None:
            try:
                obj = accelerated(text)
            except Exception:  # the paths below say what is wrong
                obj = None
            if obj is not None:
                return cast(T, obj)
        loaded = load_json(text, fast, _FAST.text_loader(cls))
        if loaded is not REFUSED:
            return cast(T, loaded)
    return _from_json_detailed(text, cls)


def _from_json_detailed(text: str | bytes, cls: type[T]) -> T:
    """:func:`from_json` without the generated fast path: the reference it must equal."""
    try:
        data = _loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            [Problem(path=(), code="invalid-json", message=f"is not valid JSON: {exc}")]
        ) from None
    except RecursionError:  # deeper than the parser goes: far deeper than the limit
        raise InvalidInput([_depth_problem(())]) from None
    except ValueError as exc:  # a number Python will not read
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
    *,
    progress: Callable[[int, int | None], object] | None = None,
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
        progress: called as ``progress(done, total)`` every 1,024 lines read and once
            at the end: from a path, ``done`` is the bytes of the file read so far and
            ``total`` its size; from an open file or an iterable, ``done`` is the lines
            read and ``total`` is ``None``. (A path is read ahead in batches, so
            ``done`` may run up to a batch ahead of the records handed out.)

    Raises:
        InvalidInput: at the first bad line, listing its problems; the message names the
            line (``1 problem in line 3 of gifts.jsonl``). A line longer than
            ``LIMITS["line_length"]`` (:data:`~humanaid.errors.LIMITS`) is a problem
            ``too-long``, not parsed.

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
            lines: Iterable[bytes] = f
            if progress is not None:
                lines = _reporting(f, progress, os.fstat(f.fileno()).st_size, measure=len)
            yield from _json_lines(lines, cls, path, ahead=True)
    elif isinstance(source, str | bytes) or not isinstance(source, Iterable):
        raise TypeError(
            "'source' must be a path, an open file or an iterable of lines "
            f"(got {type(source).__name__})"
        )
    else:
        name = str(getattr(source, "name", "the input"))
        if progress is not None:
            source = _reporting(typing.cast(Iterable[Any], source), progress, None, measure=_one)
        yield from _json_lines(source, cls, name, ahead=False)


def _one(_: object) -> int:
    return 1


def _reporting(
    lines: Iterable[L],
    progress: Callable[[int, int | None], object],
    total: int | None,
    *,
    measure: Callable[[L], int],
) -> Iterator[L]:
    """The lines, telling ``progress`` every 1,024 lines how much was read (and at the end)."""
    done = 0
    for n, line in enumerate(lines, start=1):
        done += measure(line)
        if not n % 1024:
            progress(done, total)
        yield line
    progress(done, total)


_BATCH: Final = 1024
_LINE_LENGTH: Final = LIMITS["line_length"]


def _json_lines(
    lines: Iterable[str] | Iterable[bytes], cls: type[T], name: str, *, ahead: bool
) -> typing.Generator[T, None, None]:
    """The records of ``lines``; with ``ahead``, in batches with the collector paused.

    Only a file opened here is read ahead: a caller's file or iterable is read one line
    per record handed out (it may be a pipe awaiting a reply, or be read on after the
    loop ends), and with the collector running, since it may make garbage in cycles.
    """
    fast = _FAST.loader(cls)
    # The accelerator (msgspec, the fast extra) reads str and bytes lines alike; the
    # text loader reads str.
    accelerated = _FAST.accelerated_loader(cls) if fast is not None else None
    read = _FAST.text_loader(cls) if fast is not None and accelerated is None else None
    numbered: Iterator[tuple[int, str | bytes]] = enumerate(lines, start=1)
    size = 1
    limit = _LINE_LENGTH
    while True:
        batch: list[T] = []
        append = batch.append
        failure: Exception | None = None
        finished = False
        # A file opened here: 10.3 µs a line instead of 11.4 with the caller's collector
        # running (the figures: humanaid._gc).
        pause = _gc.paused() if ahead else contextlib.nullcontext()
        with pause:
            try:
                for number, line in numbered:
                    # Any good line, through the C parser, first: a blank line fails
                    # there and is skipped below, a line too long is not tried.
                    if accelerated is not None and len(line) <= limit:
                        try:
                            obj = accelerated(line)
                        except Exception:  # the paths below say what is wrong
                            obj = None
                        if obj is not None:
                            append(obj)
                            if len(batch) >= size:
                                break
                            continue
                    if not line or line.isspace():
                        continue
                    if len(line) > limit:
                        failure = InvalidInput(
                            [
                                Problem(
                                    path=(),
                                    code="too-long",
                                    message=f"is longer than {_LINE_LENGTH} characters",
                                )
                            ],
                            subject=f"line {number} of {name}",
                        )
                        break
                    if read is not None:  # without the accelerator: a line as to_json writes it
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
                        obj = load_json(line, fast)
                        if obj is not REFUSED:
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


def write_json_lines(
    records: Iterable[Any], target: str | _PathLike | typing.IO[str] | typing.IO[bytes]
) -> int:
    """Write records as JSON Lines, one :func:`to_json` line each; return how many.

    Each line is exactly ``to_json(record)`` and a line feed, so
    :func:`iter_json_lines` reads the file back. Records are written in batches of 1,024,
    so a stream of ten million is written in the memory of a batch. With the accelerator
    (msgspec, the ``fast`` extra), msgspec writes each batch in one call from the
    structs of the records' values, with no encoder call and no text decoded a record:
    for donations, a third fewer CPU instructions than joining :func:`to_json`'s lines
    and encoding them (``benchmarks/README.md``); the bytes are the same.

    Args:
        records: the records (or anything :func:`to_json` writes), of one type or several.
        target: a path (created or truncated here, written as UTF-8), or an open text or
            binary file (written from where it stands, left open).

    Raises:
        TypeError: ``target`` is none of these, or a record cannot be written as JSON.

    >>> import io
    >>> out = io.StringIO()
    >>> write_json_lines([Money("12.50"), Money("3", "USD")], out)
    2
    >>> print(out.getvalue(), end="")
    {"amount":"12.50","currency":"CNY"}
    {"amount":"3.00","currency":"USD"}
    """
    import io

    from humanaid._serialize_fast import accelerated_lines

    if isinstance(target, str) or hasattr(target, "__fspath__"):
        with open(typing.cast(str, target), "wb") as f:
            return _write_lines(records, f, binary=True, encode=accelerated_lines)
    write = getattr(target, "write", None)
    if write is None:
        raise TypeError(f"'target' must be a path or an open file (got {type(target).__name__})")
    binary = not isinstance(target, io.TextIOBase) and (
        "b" in str(getattr(target, "mode", ""))
        or isinstance(target, io.BufferedIOBase | io.RawIOBase)
    )
    return _write_lines(records, target, binary=binary, encode=accelerated_lines)


def _write_lines(
    records: Iterable[Any],
    out: typing.IO[Any],
    *,
    binary: bool,
    encode: Callable[[list[Any], Callable[[Any], str]], bytes | None],
) -> int:
    """Write ``records`` to ``out`` in batches: msgspec's bytes, else to_json's lines."""
    count = 0
    it = iter(records)
    while batch := list(itertools.islice(it, _BATCH)):
        count += len(batch)
        data = encode(batch, to_json)
        if data is not None:
            out.write(data if binary else data.decode())
            continue
        text = "\n".join([to_json(record) for record in batch]) + "\n"
        out.write(text.encode() if binary else text)
    return count


__all__ += ["write_json_lines"]
