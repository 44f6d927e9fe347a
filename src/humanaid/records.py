"""Building blocks for records: typed fields, validators and converters.

Every domain record is a frozen attrs class (``@attrs.frozen(kw_only=True)``). The helpers
here give its fields the library's common behaviour, so that each rule is written once:

* :func:`id_field` and :func:`ref_field`: the record's own id and the ids of the records
  it refers to. The dataset checks references generically through the field metadata.
* :func:`pii_field`: personal data, masked in ``repr`` and never echoed in an error;
  ``sensitive=True`` marks sensitive personal data too (health, genetic or biometric
  data, PIPL art. 28), which :func:`humanaid.privacy.redact` always drops.
* :func:`enum_field`, :func:`tuple_field`, :func:`date_field`, :func:`money_field`:
  converters and validators whose messages name the field, the rule and the value.
* :func:`text_field`, :func:`free_text_field` and :func:`check_text`: the one policy for
  text. Every text is NFC, has no control or invisible character (no NUL, escape, bidi
  control, zero-width character or byte-order mark; a note or a description may hold
  line breaks and tabs) and is no longer than its kind allows (:data:`TEXT_KINDS`).
* :func:`currency_field`: an ISO 4217 currency code.
* :func:`whole` and :func:`whole_number`: a count or another whole number in a range, as
  a field's validator and as a check of an argument; :func:`decimal_in`: an exact
  decimal (hours, units, a quantity) in a range with a few places, as a validator.
* :func:`as_member`, :func:`as_member_set`, :func:`as_id_set` and :func:`as_date`: an
  enum member, some members, some ids and a day, as arguments. Each check is written
  once here, so that every record and function says the same thing about the same
  mistake.

Each record class of the library gets one generated ``__init__`` (when ``humanaid`` is
imported): attrs' own calls every validator and converter of every field; this one runs
each helper's cheap test inline and calls the check only where the test fails, so a
record is built in about half the time and every error is the one attrs' ``__init__``
raises. The signature, ``attrs.evolve``, ``attrs.validate``, disabled validators,
pickling and subclasses are as attrs makes them.

Every check raises a :class:`~humanaid.errors.FieldValueError` or
:class:`~humanaid.errors.FieldTypeError` (a ``ValueError`` or ``TypeError``) that
carries the field, a stable code, the value and whether it is personal data, so that
the converter and the CSV reader place each problem without reading its message.

>>> import attrs
>>> @attrs.frozen(kw_only=True)
... class Volunteer:
...     id: str = id_field()
...     name: str = pii_field(validator=non_empty_text)
...     station_id: str | None = ref_field("organizations", optional=True)
>>> Volunteer(id="v1", name="张三", station_id=None)
Volunteer(id='v1', name=***, station_id=None)
>>> Volunteer(id="v1", name="", station_id=None)
Traceback (most recent call last):
...
humanaid.errors.FieldValueError: 'name' must not be empty
>>> pii_field_names(Volunteer)
frozenset({'name'})
>>> references(Volunteer)
{'station_id': 'organizations'}
"""

from __future__ import annotations

import copy
import enum
import inspect
import linecache
import re
import sys
import unicodedata
import weakref
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

import attrs

from humanaid.errors import LIMITS, FieldError, FieldTypeError, FieldValueError
from humanaid.money import Money, known_currencies

__all__ = [
    "TEXT_KINDS",
    "as_date",
    "as_id_set",
    "as_member",
    "as_member_set",
    "at_item",
    "check_text",
    "currency_field",
    "date_field",
    "decimal_in",
    "enum_field",
    "free_text_field",
    "id_field",
    "instance_of",
    "is_pii",
    "is_sensitive",
    "money_field",
    "nfc",
    "non_empty_text",
    "non_negative",
    "pii_field",
    "pii_field_names",
    "positive",
    "record_field",
    "ref_field",
    "references",
    "sensitive_field_names",
    "text_field",
    "tuple_field",
    "valid_id",
    "whole",
    "whole_number",
]

E = TypeVar("E", bound=enum.Enum)
F = TypeVar("F", bound=FieldError)
T = TypeVar("T")

PII: Final = "humanaid.pii"
SENSITIVE: Final = "humanaid.sensitive"
REF: Final = "humanaid.ref"
ID_MAX_LENGTH: Final = LIMITS["id_length"]

TEXT_KINDS: Final = {
    "label": LIMITS["label_length"],
    "name": LIMITS["name_length"],
    "text": LIMITS["text_length"],
    "note": LIMITS["note_length"],
    "description": LIMITS["description_length"],
}
"""The kinds of text field and the characters each may hold (from :data:`~humanaid.errors.LIMITS`).

``label``: a unit, a platform, a receipt number, a certificate, a code. ``name``: the
name of a person, a body, a fund, a campaign; a purpose, an address, a place. ``text``:
any other short text (the default). ``note`` and ``description``: free text, which may
be empty and may hold line breaks and tabs.

>>> TEXT_KINDS["name"], TEXT_KINDS["note"]
(200, 4000)
"""

_TEXT_CAP: Final = TEXT_KINDS["text"]
_MULTILINE: Final = frozenset({"note", "description"})
_UNSEEN: Final = (
    # Control (Cc, C0 and C1), format (Cf: soft hyphen, bidi marks and isolates, zero
    # widths, tags ...) and surrogate (Cs) characters, as of Unicode 15: never in an id.
    r"\x00-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff"
    r"\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    r"\U0001d173-\U0001d17a\U000e0001-\U000e007f"
)
_ID: Final = re.compile(rf"[^\s{_UNSEEN}](?:[^{_UNSEEN}]*[^\s{_UNSEEN}])?\Z")


_SPECS: Final[dict[Any, tuple[Any, ...]]] = {}
"""What each helper's validator or converter checks, for the generated loaders.

``humanaid.serialize`` reads this to know which checks its fast path already makes
(``("id",)``, ``("text", optional, max_length)``, ``("enum", cls, optional)`` ...), so that
a record built from JSON is checked once, not twice. A function not in it is called as
attrs would call it.
"""


_PASSES: Final[dict[Any, Any]] = {}
"""For each validator and converter of this module, a test that shortcuts it in source.

A test is Python source in which ``{v}`` stands for the field's value and other
``{name}`` for objects it uses: ``(source, {name: object})``, or a function of the
field's :class:`attrs.Attribute` that gives one. For a validator the test is true only
when the validator would return without raising; for a converter, only when it would
return the value itself. A class's ``__attrs_post_init__`` may have one too, in which
``{field}`` stands for each field's value (once its validators passed): true only where
the post-init would return without raising or doing anything. The one ``__init__``
generated for each record class (:func:`_generate_init`) runs the tests inline and calls
a validator or converter only where its test fails, so the call still makes every error.
"""


def _passes(fn: Any) -> Any:
    try:
        return _PASSES.get(fn)
    except TypeError:  # an unhashable validator object
        return None


def _spec(fn: Any) -> tuple[Any, ...] | None:
    """The check a helper's validator or converter makes, if it is one of this module's."""
    try:
        return _SPECS.get(fn)
    except TypeError:  # an unhashable validator object
        return None


def _shown(attribute: attrs.Attribute[Any], value: object) -> str:
    """``' (got ...)'`` for ordinary fields; nothing for personal data."""
    if attribute.metadata.get(PII):
        return ""
    return f" (got {value!r})"


def _mask(value: object) -> str:
    return "None" if value is None else "***"


def _type_error(attribute: attrs.Attribute[Any], rule: str, value: object) -> FieldTypeError:
    return FieldTypeError(attribute.name, rule, value, code="wrong-type", pii=is_pii(attribute))


def _value_error(
    attribute: attrs.Attribute[Any], rule: str, value: object, *, code: str = "invalid"
) -> FieldValueError:
    return FieldValueError(attribute.name, rule, value, code=code, pii=is_pii(attribute))


# -- validators ----------------------------------------------------------------------------


_KNOWN_REFS: Final[set[str]] = set()
"""Ids a reference field has accepted: a reference repeats (the donor of every gift, the
organisation of every record), and one seen before costs a lookup, not a check. Only
exact ``str`` values are kept, and the set is emptied when it reaches
:data:`_KNOWN_REFS_MAX`, so it stays a few MB at most."""
_KNOWN_REFS_MAX: Final = 1 << 15


def _plain_id(value: str) -> bool:
    """Whether an exact ``str`` is an id: the check of :func:`valid_id`, sooner.

    ASCII text that is printable has no control character and no white space other than
    the space, so an ASCII id needs only its ends looked at; any other text goes through
    the regular expression.
    """
    return 0 < len(value) <= ID_MAX_LENGTH and (
        (value.isascii() and value.isprintable() and value[0] != " " and value[-1] != " ")
        or _ID.match(value) is not None
    )


def valid_id(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Check an id: 1 to 128 characters, no control or invisible ones, no outer spaces."""
    if value.__class__ is str and _plain_id(value):
        return  # the common case: an exact str that is an id
    _refuse_id(attribute, value)


def _refuse_id(attribute: attrs.Attribute[Any], value: object) -> None:
    """The full check of an id, which raises the error that names the field and rule."""
    if not isinstance(value, str):
        raise _type_error(attribute, "must be an id string", value)
    if len(value) > ID_MAX_LENGTH:
        raise FieldValueError(
            attribute.name,
            f"must be an id of 1 to {ID_MAX_LENGTH} characters",
            value,
            code="too-long",
            pii=is_pii(attribute),
            got=f"{len(value)} characters",
        )
    if not value or not _ID.match(value):
        raise _value_error(
            attribute,
            f"must be an id of 1 to {ID_MAX_LENGTH} characters without control characters "
            "or surrounding spaces",
            value,
        )


def _valid_ref(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value.__class__ is str:
        if value in _KNOWN_REFS or _remember_ref(value):
            return
    elif value is None and attribute.default is None:
        return
    _refuse_id(attribute, value)


def _remember_ref(value: str) -> bool:
    """Whether an exact ``str`` not yet in :data:`_KNOWN_REFS` is an id; if so, keep it."""
    if _plain_id(value):
        if len(_KNOWN_REFS) >= _KNOWN_REFS_MAX:
            _KNOWN_REFS.clear()
        _KNOWN_REFS.add(value)
        return True
    return False


_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})
"""Control, format, surrogate, unassigned characters and the line and paragraph
separators (U+2028, U+2029): never valid in text (a note may hold line feeds and tabs)."""
_LINE_BREAKS: Final = frozenset("\n\r\t")


def _first_unseen(value: str, lines: bool) -> int | None:
    """The index of the first character the text policy refuses, or ``None``."""
    # isprintable() is False for every character refused (and for some harmless spaces),
    # so only text that fails it needs the slower look per character.
    if value.isprintable():
        return None
    for i, c in enumerate(value):
        if lines and c in _LINE_BREAKS:
            continue
        if unicodedata.category(c) in _INVISIBLE:
            return i
    return None


def _plain_text(value: str, cap: int) -> bool:
    """Whether an exact ``str`` passes :func:`check_text` at once (not empty, not blank).

    Printable text has none of the characters the policy refuses, so this is the whole
    check for it; a text that fails it goes through :func:`check_text`, which says why
    (or accepts it: a note's line breaks are not printable).
    """
    return len(value) <= cap and value.isprintable() and bool(value.strip())


def check_text(
    name: str,
    value: object,
    *,
    kind: str = "text",
    pii: bool = False,
    empty_ok: bool = False,
    max_length: int | None = None,
) -> str:
    r"""Return ``value`` if it is text the library keeps, else raise naming ``name``.

    The one policy for every text field: a ``str`` of at most the characters its
    ``kind`` allows (:data:`TEXT_KINDS`, or ``max_length``), not empty or blank unless
    ``empty_ok``, with no control, format (bidi controls, zero-width characters, the
    byte-order mark), surrogate or unassigned character, nor a line or paragraph
    separator; a ``note`` or ``description`` may hold line feeds, carriage returns and
    tabs. Personal data (``pii``) is never shown in the error.

    >>> check_text("unit", "kg", kind="label")
    'kg'
    >>> check_text("note", "a\u202eb", kind="note")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'note' must not contain ... (U+202E at 1) (got 'a\u202eb')
    >>> check_text("name", "x" * 201, kind="name", pii=True)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'name' must be at most 200 characters

    Raises:
        FieldTypeError: ``value`` is not a ``str`` (code ``wrong-type``).
        FieldValueError: too long (code ``too-long``), empty, or holding a refused
            character (code ``invalid``).
    """
    if not isinstance(value, str):
        raise FieldTypeError(name, "must be a str", value, code="wrong-type", pii=pii)
    cap = max_length if max_length is not None else TEXT_KINDS.get(kind)
    if cap is None:
        raise ValueError(f"'kind' must be one of {', '.join(TEXT_KINDS)} (got {kind!r})")
    if len(value) > cap:
        raise FieldValueError(
            name,
            f"must be at most {cap} characters",
            value,
            code="too-long",
            pii=pii,
            got=f"{len(value)} characters",
        )
    if not empty_ok and not value.strip():
        raise FieldValueError(name, "must not be empty", pii=pii)
    at = _first_unseen(value, kind in _MULTILINE)
    if at is not None:
        raise FieldValueError(
            name,
            "must not contain control or invisible characters"
            + ("" if pii else f" (U+{ord(value[at]):04X} at {at})"),
            value,
            pii=pii,
        )
    return value


def _text_test(cap: int, optional: bool) -> str:
    """The source of :func:`_plain_text`'s test on ``{v}`` (or ``None`` when ``optional``)."""
    test = f"(type({{v}}) is str and len({{v}}) <= {cap} and {{v}}.isprintable()"
    test += ' and {v}.strip() != "")'
    return f"({{v}} is None or {test})" if optional else test


def non_empty_text(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Check that a value is a str with something other than white space in it.

    It is :func:`check_text` of kind ``text`` (at most 1,000 characters, no control or
    invisible characters), as a field's validator.
    """
    if value.__class__ is str and _plain_text(value, _TEXT_CAP):
        return
    check_text(attribute.name, value, pii=is_pii(attribute))


def positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Check that a Money value is greater than zero.

    >>> @attrs.frozen
    ... class Gift:
    ...     value: Money = money_field(validator=positive)
    >>> Gift(Money("-5.00"))
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'value' must be positive (got -5.00 CNY)
    """
    if value.__class__ is Money and value._amount > 0:
        return
    if not _money(attribute, value).is_positive():
        raise FieldValueError(
            attribute.name, "must be positive", value, pii=is_pii(attribute), got=str(value)
        )


def non_negative(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """Check that a Money value is zero or more."""
    if value.__class__ is Money and value._amount >= 0:
        return
    if _money(attribute, value).is_negative():
        raise FieldValueError(
            attribute.name, "must not be negative", value, pii=is_pii(attribute), got=str(value)
        )


def _money(attribute: attrs.Attribute[Any], value: object) -> Money:
    if not isinstance(value, Money):
        hint = " (amounts must be humanaid.Money, never float)" if isinstance(value, float) else ""
        raise _type_error(attribute, f"must be Money{hint}", value)
    return value


def whole_number(name: str, value: object, *, low: int = 0, high: int | None = None) -> int:
    """Return ``value`` if it is a whole number from ``low`` to ``high``, else raise.

    A whole number is an ``int``, never a ``bool`` (``True`` is not a count of anything)
    nor a float or a numeric string. Use it for an argument; :func:`whole` is the same
    check as a field's validator.

    >>> whole_number("n", 3)
    3
    >>> whole_number("n", True)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldTypeError: 'n' must be an int (got True)
    >>> whole_number("members", 0, low=1)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'members' must be at least 1 (got 0)
    >>> whole_number("months", 700, low=1, high=600)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'months' must be between 1 and 600 (got 700)

    A number of more than 18 digits (:data:`~humanaid.errors.LIMITS`) is refused with
    the code ``too-many-digits``, whatever the range.

    Raises:
        TypeError: ``value`` is not an int, or is a bool (a :class:`FieldTypeError`).
        ValueError: ``value`` is below ``low`` or above ``high``, or has too many digits
            (a :class:`FieldValueError`).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldTypeError(name, "must be an int", value, code="wrong-type")
    if value < low or (high is not None and value > high):
        raise FieldValueError(name, f"must {_whole_rule(low, high)}", value)
    if abs(value) >= _WHOLE_MAX:
        raise FieldValueError(
            name,
            f"must have at most {LIMITS['integer_digits']} digits",
            value,
            code="too-many-digits",
        )
    return value


_WHOLE_MAX: Final = 10 ** LIMITS["integer_digits"]


def _whole_rule(low: int, high: int | None) -> str:
    if high is not None:
        return f"be between {low} and {high}"
    return "not be negative" if low == 0 else f"be at least {low}"


def whole(*, low: int = 0, high: int | None = None, optional: bool = False) -> Any:
    """A validator: a whole number from ``low`` to ``high``, or ``None`` when ``optional``.

    The messages are those of :func:`whole_number`, naming the field.

    >>> @attrs.frozen
    ... class Household:
    ...     members: int = attrs.field(validator=whole(low=1))
    >>> Household(0)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'members' must be at least 1 (got 0)
    """

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if (
            type(value) is int
            and low <= value
            and (high is None or value <= high)
            and -_WHOLE_MAX < value < _WHOLE_MAX
        ):
            return  # the common case, without a call
        if optional and value is None:
            return
        whole_number(attribute.name, value, low=low, high=high)

    _SPECS[check] = ("whole", low, high, optional)
    test = "type({v}) is int and {low} <= {v}" + (" and {v} <= {high}" if high is not None else "")
    test = f"({test} and {-_WHOLE_MAX} < {{v}} < {_WHOLE_MAX})"
    _PASSES[check] = (
        f"({{v}} is None or {test})" if optional else test,
        {"low": low, "high": high},
    )
    return check


def as_member(enum_cls: type[E], value: object, name: str) -> E:
    """``value`` as a member of ``enum_cls``: a member, or the value of one (``"cash"``).

    A bool is refused unless a member's value is one (``True == 1``, but it is not the
    member whose value is 1). Use it for an argument; :func:`enum_field` is the same
    coercion as a field's converter.

    >>> import enum
    >>> class Size(enum.Enum):
    ...     SMALL = "small"
    ...     LARGE = "large"
    >>> as_member(Size, "small", "size"), as_member(Size, Size.LARGE, "size")
    (<Size.SMALL: 'small'>, <Size.LARGE: 'large'>)
    >>> as_member(Size, "medium", "size")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'size' must be one of 'small', 'large' (got 'medium')

    Raises:
        ValueError: naming ``name``, the members' values and ``value`` (a
            :class:`FieldValueError` of code ``unknown-value``).
    """
    return _member(enum_cls, value, name, False, "")


def _member(enum_cls: type[E], value: object, name: str, pii: bool, ending: str) -> E:
    if isinstance(value, enum_cls):
        return value
    try:
        if isinstance(value, bool) and not any(isinstance(m.value, bool) for m in enum_cls):
            raise TypeError  # True == 1: not a member's value
        return enum_cls(value)
    except (ValueError, TypeError):
        allowed = ", ".join(repr(m.value) for m in enum_cls)
        raise FieldValueError(
            name, f"must be one of {allowed}{ending}", value, code="unknown-value", pii=pii
        ) from None


def as_member_set(
    enum_cls: type[E], value: Iterable[E | str] | E | str | None, name: str
) -> frozenset[E]:
    """``value`` as a set of members of ``enum_cls``, for an argument that picks some.

    ``None`` picks every member; one member or value (``"small"``) picks itself (a str is
    never read as its characters); any other iterable picks its items, each coerced as
    :func:`as_member` does.

    >>> import enum
    >>> class Size(enum.Enum):
    ...     SMALL = "small"
    ...     LARGE = "large"
    >>> len(as_member_set(Size, None, "sizes")), as_member_set(Size, "small", "sizes")
    (2, frozenset({<Size.SMALL: 'small'>}))
    >>> as_member_set(Size, ["small", "huge"], "sizes")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'sizes' must be one of 'small', 'large' (got 'huge')

    Raises:
        TypeError: ``value`` is not ``None``, a member, a str or an iterable (a
            :class:`FieldTypeError`).
        ValueError: an item is not a member or the value of one (a
            :class:`FieldValueError` of code ``unknown-value``).
    """
    if value is None:
        return frozenset(enum_cls)
    if isinstance(value, str | enum_cls):
        return frozenset({as_member(enum_cls, value, name)})
    if isinstance(value, bytes) or not isinstance(value, Iterable):
        raise FieldTypeError(
            name, f"must be a {enum_cls.__name__}, its value or several", value, code="wrong-type"
        )
    return frozenset(as_member(enum_cls, v, name) for v in value)


def as_id_set(value: Iterable[str] | str | None, name: str) -> frozenset[str] | None:
    """``value`` as a set of ids, for an argument that picks some records; ``None`` for all.

    One id picks itself (a str is never read as its characters); any other iterable
    picks its items, each a str. ``None`` stays ``None``: nothing is left out.

    >>> as_id_set("jx", "organization_ids"), as_id_set(None, "organization_ids")
    (frozenset({'jx'}), None)
    >>> sorted(as_id_set(["jx", "gz", "jx"], "organization_ids"))
    ['gz', 'jx']
    >>> as_id_set(["jx", 7], "organization_ids")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldTypeError: 'organization_ids[1]' must be an id string (got 7)

    Raises:
        TypeError: ``value`` is not ``None``, a str or an iterable of str (a
            :class:`FieldTypeError`, placed at the item for an item).
    """
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset({value})
    given: object = value  # checked as anything: an argument may be of any type
    if isinstance(given, bytes) or not isinstance(given, Iterable):
        raise FieldTypeError(name, "must be an id or ids", value, code="wrong-type")
    ids = tuple(given)
    for i, item in enumerate(ids):
        if not isinstance(item, str):
            raise FieldTypeError(name, "must be an id string", item, code="wrong-type", at=(i,))
    return frozenset(ids)


def as_date(value: object, name: str) -> date:
    """Return ``value`` if it is a day (a :class:`~datetime.date`, not a datetime), else raise.

    Use it for an argument; :func:`date_field` is the same check as a field's validator.

    >>> from datetime import datetime
    >>> as_date(date(2022, 1, 10), "on")
    datetime.date(2022, 1, 10)
    >>> as_date(datetime(2022, 1, 10, 8), "on")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldTypeError: 'on' must be a datetime.date, not a datetime (got ...)

    Raises:
        TypeError: naming ``name``, what was given and the value (a
            :class:`FieldTypeError`).
    """
    if isinstance(value, datetime) or not isinstance(value, date):
        what = "a datetime" if isinstance(value, datetime) else type(value).__name__
        raise FieldTypeError(name, f"must be a datetime.date, not {what}", value, code="wrong-type")
    return value


def decimal_in(
    *,
    below: Decimal,
    places: int,
    positive: bool = False,
    unit: str = "",
    optional: bool = False,
) -> Any:
    """A validator: an exact decimal from 0 (more than 0 when ``positive``) to below ``below``.

    The value is a :class:`~decimal.Decimal` (convert ints and text with
    :func:`humanaid._decimal.to_decimal` first; a float is refused by name) with at most
    ``places`` decimal places; ``None`` too when ``optional``. The message names the
    field, the range (``below`` written ``10**n`` from a million up, followed by
    ``unit``) and the value.

    >>> @attrs.frozen
    ... class Lesson:
    ...     hours: Decimal = attrs.field(
    ...         validator=decimal_in(below=Decimal(100), places=2, positive=True, unit="hours")
    ...     )
    >>> Lesson(Decimal("1.5")).hours
    Decimal('1.5')
    >>> Lesson(Decimal("0.125"))
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'hours' must be more than 0 and less than 100 hours, with ...
    >>> Lesson(1.5)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldTypeError: 'hours' must be an int or Decimal (never a float) (got 1.5)
    """
    n = below.adjusted()
    bound = f"10**{n}" if n >= 6 and below == Decimal(10) ** n else str(below)
    rule = (
        f"must be {'more than' if positive else 'at least'} 0 and less than {bound}"
        f"{' ' + unit if unit else ''}, with at most {places} decimal places"
    )

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if optional and value is None:
            return
        if not isinstance(value, Decimal):
            hint = " (never a float)" if isinstance(value, float) else ""
            raise _type_error(attribute, f"must be an int or Decimal{hint}", value)
        exponent = value.as_tuple().exponent
        if (
            not value.is_finite()
            or value < 0
            or (positive and value == 0)
            or value >= below
            or not isinstance(exponent, int)
            or exponent < -places
        ):
            raise _value_error(attribute, rule, value)

    return check


def _is_date(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value.__class__ is date:
        return
    if value is None and attribute.default is None:
        return
    if isinstance(value, datetime) or not isinstance(value, date):
        what = "a datetime" if isinstance(value, datetime) else type(value).__name__
        raise _type_error(attribute, f"must be a datetime.date, not {what}", value)


# -- fields --------------------------------------------------------------------------------


def instance_of(cls: type | tuple[type, ...], *, optional: bool = False) -> Any:
    """A validator: the value is an instance of ``cls``, with a message that names it.

    >>> check = instance_of(Money)
    >>> @attrs.frozen
    ... class Price:
    ...     value: Money = attrs.field(validator=check)
    >>> Price("12.50")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldTypeError: 'value' must be a Money (got '12.50')
    """
    name = _type_name(cls)
    article = "an" if name[:1].lower() in "aeiou" else "a"
    ending = " or None" if optional else ""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if optional and value is None:
            return
        if not isinstance(value, cls) or (isinstance(value, bool) and bool not in _types(cls)):
            raise _type_error(attribute, f"must be {article} {name}{ending}", value)

    _SPECS[check] = ("instance", cls, optional)
    # An instance of exactly one of the classes: a bool only when bool is one of them.
    test = "type({v}) in {types}"
    _PASSES[check] = (f"({{v}} is None or {test})" if optional else test, {"types": _types(cls)})
    return check


def _types(cls: type | tuple[type, ...]) -> tuple[type, ...]:
    return cls if isinstance(cls, tuple) else (cls,)


def id_field() -> Any:
    """The record's own id: a required, checked id string."""
    return attrs.field(validator=valid_id)


def ref_field(collection: str, *, optional: bool = False) -> Any:
    """The id of another record, in the dataset collection named ``collection``.

    The dataset's integrity rule reports a reference to a missing record as a finding;
    the record itself only checks that the id is well-formed.
    """
    if optional:
        return attrs.field(default=None, validator=_valid_ref, metadata={REF: collection})
    return attrs.field(validator=_valid_ref, metadata={REF: collection})


def pii_field(
    *,
    validator: Any = None,
    converter: Any = None,
    default: Any = attrs.NOTHING,
    sensitive: bool = False,
) -> Any:
    """A field that holds personal data: masked in ``repr``, never echoed in errors.

    ``sensitive=True`` marks it as *sensitive* personal data as well: health, genetic
    or biometric data, whose handling the Personal Information Protection Law (art. 28)
    restricts further (a blood type, an HLA typing, a reason for withdrawing consent).
    A sensitive field should be optional, so that :func:`humanaid.privacy.redact` can
    drop it rather than keep a pseudonym of it.
    """
    metadata = {PII: True, SENSITIVE: True} if sensitive else {PII: True}
    return attrs.field(
        default=default,
        validator=validator,
        converter=converter,
        repr=_mask,
        metadata=metadata,
    )


def money_field(*, validator: Any = None, default: Any = attrs.NOTHING) -> Any:
    """A Money field; ``validator`` may add :func:`positive` or :func:`non_negative`."""
    validators = [_money_validator]
    if validator is not None:
        validators.append(validator)
    return attrs.field(default=default, validator=validators)


def _money_validator(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value.__class__ is Money:
        return
    if value is None and attribute.default is None:
        return
    _money(attribute, value)


def date_field(*, optional: bool = False) -> Any:
    """A ``datetime.date`` field (a ``datetime`` is refused: the library counts days)."""
    if optional:
        return attrs.field(default=None, validator=_is_date)
    return attrs.field(validator=_is_date)


def enum_field(
    enum_cls: type[E],
    *,
    default: Any = attrs.NOTHING,
    optional: bool = False,
    pii: bool = False,
    sensitive: bool = False,
) -> Any:
    """A field of enum type that also accepts the member's value (``"cash"``).

    ``optional=True`` also accepts ``None`` (and defaults to it); ``pii=True`` marks the
    field as personal data (a medical condition), so its value is never shown;
    ``sensitive=True`` marks it as sensitive personal data (see :func:`pii_field`).
    """
    ending = " or None" if optional else ""
    # The members by a str value: a value read from text or given as "cash" is looked
    # up, not passed through the enum's constructor (any other value still is).
    by_text = {m.value: m for m in enum_cls if m.value.__class__ is str}

    def convert(value: object, _: object, field: attrs.Attribute[Any]) -> object:
        if value.__class__ is str:
            member = by_text.get(value)
            if member is not None:
                return member
        if isinstance(value, enum_cls) or (optional and value is None):
            return value
        return _member(enum_cls, value, field.name, is_pii(field), ending)

    _SPECS[convert] = ("enum", enum_cls, optional)
    test = "type({v}) is {enum}"  # a member is returned as it is
    _PASSES[convert] = (f"({{v}} is None or {test})" if optional else test, {"enum": enum_cls})
    converter = attrs.Converter(convert, takes_self=True, takes_field=True)
    if optional and default is attrs.NOTHING:
        default = None
    if pii or sensitive:
        return pii_field(converter=converter, default=default, sensitive=sensitive)
    return attrs.field(default=default, converter=converter)


def text_field(
    *,
    optional: bool = False,
    default: Any = attrs.NOTHING,
    max_length: int | None = None,
    pii: bool = False,
    sensitive: bool = False,
    kind: str = "text",
    empty_ok: bool = False,
) -> Any:
    """Text normalised to NFC, not empty, without control or invisible characters.

    ``optional=True`` also accepts ``None`` (and defaults to it); ``kind`` says how long
    it may be (:data:`TEXT_KINDS`: ``"label"``, ``"name"``, ``"text"`` ...), and
    ``max_length`` caps it lower or higher; ``pii=True`` marks personal data (a name, a
    phone, an address); ``sensitive=True`` marks sensitive personal data (see
    :func:`pii_field`); ``empty_ok=True`` accepts the empty string (a label that may be
    left blank). The checks are :func:`check_text`'s.
    """
    cap = max_length if max_length is not None else TEXT_KINDS[kind]

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value.__class__ is str:
            if _plain_text(value, cap):
                return
        elif optional and value is None:
            return
        check_text(
            attribute.name,
            value,
            kind=kind,
            max_length=cap,
            pii=is_pii(attribute),
            empty_ok=empty_ok,
        )

    _SPECS[check] = ("free-text", kind) if empty_ok else ("text", optional, cap)
    _PASSES[check] = (_text_test(cap, optional), {})
    if optional and default is attrs.NOTHING:
        default = None
    if pii or sensitive:
        return pii_field(converter=nfc, validator=check, default=default, sensitive=sensitive)
    return attrs.field(default=default, converter=nfc, validator=check)


def free_text_field(*, kind: str = "note", default: str = "", pii: bool = False) -> Any:
    r"""Free text: a note or a description, which may be empty and hold line breaks.

    NFC, at most as long as ``kind`` allows (:data:`TEXT_KINDS`: 4,000 characters for a
    ``note``, 20,000 for a ``description``), without control or invisible characters
    other than line feeds, carriage returns and tabs (:func:`check_text`).

    >>> @attrs.frozen
    ... class Visit:
    ...     note: str = free_text_field()
    >>> Visit("两户不在家\n下周再访").note
    '两户不在家\n下周再访'
    >>> Visit("\x1b[2J")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'note' must not contain ... (U+001B at 0) (got '\x1b[2J')
    """
    if kind not in _MULTILINE:
        raise ValueError(f"'kind' must be one of {', '.join(sorted(_MULTILINE))} (got {kind!r})")

    cap = TEXT_KINDS[kind]

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value.__class__ is str and len(value) <= cap and value.isprintable():
            return  # printable text of any length up to the cap, the empty text too
        check_text(attribute.name, value, kind=kind, empty_ok=True, pii=is_pii(attribute))

    _SPECS[check] = ("free-text", kind)
    _PASSES[check] = (f"(type({{v}}) is str and len({{v}}) <= {cap} and {{v}}.isprintable())", {})
    if pii:
        return pii_field(converter=nfc, validator=check, default=default)
    return attrs.field(default=default, converter=nfc, validator=check)


def currency_field(*, default: Any = attrs.NOTHING) -> Any:
    """An ISO 4217 currency code that :class:`~humanaid.Money` knows (``"CNY"``).

    >>> @attrs.frozen
    ... class Account:
    ...     currency: str = currency_field(default="CNY")
    >>> Account("cny")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'currency' must be a known ISO 4217 code (codes are \
upper case) (got 'cny')
    """
    return attrs.field(default=default, validator=_valid_currency)


_CURRENCIES: Final = known_currencies()


def _valid_currency(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value.__class__ is str and value in _CURRENCIES:
        return
    if not isinstance(value, str):
        raise _type_error(attribute, "must be an ISO 4217 code string", value)
    hint = " (codes are upper case)" if value.upper() in _CURRENCIES else ""
    raise _value_error(attribute, f"must be a known ISO 4217 code{hint}", value)


def record_field(cls: type, *, optional: bool = False) -> Any:
    """A field holding another record (or value) of type ``cls``; ``None`` when optional."""
    if optional:
        return attrs.field(default=None, validator=instance_of(cls, optional=True))
    return attrs.field(validator=instance_of(cls))


def tuple_field(
    item_type: type[T] | tuple[type, ...],
    *,
    default: Iterable[T] = (),
    item_kind: str | None = None,
) -> Any:
    """A tuple of ``item_type`` values; lists and other iterables are converted.

    Records hold tuples, never lists, so that they stay immutable and hashable. For a
    tuple of ``str``, ``item_kind`` checks each item: ``"id"`` as an id (:func:`valid_id`),
    a kind of :data:`TEXT_KINDS` as text of that kind (:func:`check_text`).
    """
    bool_ok = bool in (item_type if isinstance(item_type, tuple) else (item_type,))
    if item_kind is not None and item_kind != "id" and item_kind not in TEXT_KINDS:
        raise ValueError(f"'item_kind' must be 'id' or a text kind (got {item_kind!r})")

    def convert(value: object, _: object, field: attrs.Attribute[Any]) -> tuple[Any, ...]:
        if value.__class__ is tuple and not value:
            return ()  # the default: nothing to check
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise _type_error(field, f"must be a sequence of {_type_name(item_type)}", value)
        items = tuple(value)
        for i, item in enumerate(items):
            if not isinstance(item, item_type) or (isinstance(item, bool) and not bool_ok):
                raise FieldTypeError(
                    field.name,
                    f"must be {_type_name(item_type)}",
                    item,
                    code="wrong-type",
                    pii=is_pii(field),
                    at=(i,),
                )
            if item_kind is not None:
                _check_item(field, i, item, item_kind)
        return items

    _SPECS[convert] = ("tuple", item_type) if item_kind is None else ("tuple-checked", item_kind)
    _PASSES[convert] = ("(type({v}) is tuple and not {v})", {})  # the empty default
    return attrs.field(
        default=tuple(default),
        converter=attrs.Converter(convert, takes_self=True, takes_field=True),
    )


def _check_item(field: attrs.Attribute[Any], i: int, item: object, kind: str) -> None:
    """Check item ``i`` of a tuple field as an id or a text of ``kind``, placed at its index."""
    try:
        if kind == "id":
            valid_id(None, field, item)
        else:
            check_text(field.name, item, kind=kind, pii=is_pii(field))
    except FieldError as exc:
        raise at_item(exc, i) from None


def at_item(error: F, index: int) -> F:
    """The same error, placed at item ``index`` of its field: the one way to place one.

    A check of one item of a tuple (an id of a list of ids, a text of a list of texts)
    raises an error about the whole field; this copies it, field, rule, code, value and
    all, with ``index`` put in front of its :attr:`~humanaid.errors.FieldError.at`, so
    that its message and its :class:`~humanaid.errors.Problem` path name the item. The
    placement is read from the error's structure, never from its message.

    >>> from humanaid.errors import FieldValueError
    >>> err = at_item(FieldValueError("trainer_ids", "must not be empty", ""), 2)
    >>> str(err), err.path
    ("'trainer_ids[2]' must not be empty (got '')", ('trainer_ids', 2))
    """
    placed = copy.copy(error)
    placed.at = (index, *error.at)
    return placed


def _type_name(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return t.__name__


# -- introspection ------------------------------------------------------------------------


def is_pii(attribute: attrs.Attribute[Any]) -> bool:
    """Whether a field holds personal data."""
    return bool(attribute.metadata.get(PII))


def pii_field_names(cls: type) -> frozenset[str]:
    """The names of the fields of ``cls`` that hold personal data."""
    return frozenset(a.name for a in attrs.fields(cls) if is_pii(a))


def is_sensitive(attribute: attrs.Attribute[Any]) -> bool:
    """Whether a field holds sensitive personal data (health, genetic, biometric)."""
    return bool(attribute.metadata.get(SENSITIVE))


def sensitive_field_names(cls: type) -> frozenset[str]:
    """The names of the fields of ``cls`` that hold sensitive personal data.

    They are a subset of :func:`pii_field_names`: sensitive data is personal data.

    >>> @attrs.frozen(kw_only=True)
    ... class Sample:
    ...     donor: str = pii_field()
    ...     blood_type: str | None = text_field(optional=True, sensitive=True)
    >>> sensitive_field_names(Sample), sorted(pii_field_names(Sample))
    (frozenset({'blood_type'}), ['blood_type', 'donor'])
    """
    return frozenset(a.name for a in attrs.fields(cls) if is_sensitive(a))


def references(cls: type) -> dict[str, str]:
    """Map each reference field of ``cls`` to the collection it points into."""
    return {a.name: a.metadata[REF] for a in attrs.fields(cls) if REF in a.metadata}


def nfc(value: object) -> object:
    """Normalise text to Unicode NFC (other values pass unchanged for the validator)."""
    if isinstance(value, str) and not value.isascii():  # ASCII text is always NFC
        return unicodedata.normalize("NFC", value)
    return value


_SPECS.update(
    {
        valid_id: ("id",),
        _valid_ref: ("ref",),
        _is_date: ("date",),
        _money_validator: ("money",),
        positive: ("positive",),
        non_negative: ("non_negative",),
        non_empty_text: ("text", False, TEXT_KINDS["text"]),
        _valid_currency: ("currency",),
        nfc: ("nfc",),
    }
)


def _or_none_if_default_none(test: str) -> Any:
    """A test that also passes ``None`` for a field whose default is ``None``."""

    def for_field(attribute: attrs.Attribute[Any]) -> str:
        return f"({{v}} is None or {test})" if attribute.default is None else test

    return for_field


# Money's amount against a Decimal zero: sooner than against the int 0.
_MONEY_ZERO: Final = {"Money": Money, "zero": Decimal(0)}
_ID_TEST: Final = (
    f"(type({{v}}) is str and 0 < len({{v}}) <= {ID_MAX_LENGTH} and (({{v}}.isascii() "
    """and {v}.isprintable() and {v}[0] != " " and {v}[-1] != " ") or {idm}({v}) is not None))"""
)
_REF_TEST: Final = (
    # seen before; else an ASCII id (the test of _plain_id) kept inline while the set has
    # room; else _remember_ref, which empties a full set or sends other text to the regex
    "(type({v}) is str and ({v} in {known} or (0 < len({v}) <= "
    f"{ID_MAX_LENGTH}"
    """ and {v}.isascii() and {v}.isprintable() and {v}[0] != " " and {v}[-1] != " " """
    "and len({known}) < {most} and {known}.add({v}) is None) or {remember}({v})))"
)
_PASSES.update(
    {
        valid_id: (_ID_TEST, {"idm": _ID.match}),
        _valid_ref: (  # a reference seen before is not checked again (the set is a cache)
            _or_none_if_default_none(_REF_TEST),
            {"known": _KNOWN_REFS, "remember": _remember_ref, "most": _KNOWN_REFS_MAX},
        ),
        _is_date: (_or_none_if_default_none("type({v}) is {date}"), {"date": date}),
        _money_validator: (_or_none_if_default_none("type({v}) is {Money}"), {"Money": Money}),
        positive: ("(type({v}) is {Money} and {v}._amount > {zero})", _MONEY_ZERO),
        non_negative: ("(type({v}) is {Money} and {v}._amount >= {zero})", _MONEY_ZERO),
        non_empty_text: (_text_test(_TEXT_CAP, False), {}),
        _valid_currency: ("(type({v}) is str and {v} in {codes})", {"codes": _CURRENCIES}),
        nfc: ("({v} is None or type({v}) is str and {v}.isascii())", {}),
    }
)


# -- one generated __init__ a class ---------------------------------------------------------

_MEMBER: Final = type(Money.__dict__["_amount"])  # a slot's descriptor
_ATTRS_INITS: Final[weakref.WeakKeyDictionary[type, Any]] = weakref.WeakKeyDictionary()
"""attrs' own ``__init__`` of each class given a generated one: the reference it equals."""
_AND: Final[type] = type(attrs.validators.and_())
_NOT_GIVEN: Final = attrs.NOTHING


def _flat(validator: Any) -> list[Any]:
    """A field's validators in the order attrs runs them (``and_`` taken apart)."""
    if validator is None:
        return []
    if isinstance(validator, _AND):
        return [x for v in cast(Any, validator)._validators for x in _flat(v)]
    return [validator]


def _pass_test(fn: Any, attribute: attrs.Attribute[Any], var: str, ns: dict[str, Any]) -> str:
    """The source of ``fn``'s shortcut on ``var`` (:data:`_PASSES`), or ``""``."""
    entry = _passes(fn)
    if entry is None:
        return ""
    test, names = entry
    if callable(test):
        test = test(attribute)
    keys = {}
    for name, value in names.items():
        keys[name] = f"__h{name}{len(ns)}"
        ns[keys[name]] = value
    return f"({test.format(v=var, **keys)})"


def _frozen_slotted(cls: type) -> bool:
    """Whether ``cls`` is a frozen attrs class whose every field is a slot."""
    setattr_ = getattr(cls, "__setattr__", None)
    if getattr(setattr_, "__module__", None) != "attr._make":
        return False
    if getattr(setattr_, "__name__", None) != "_frozen_setattrs":
        return False
    return all(
        isinstance(inspect.getattr_static(cls, a.name, None), _MEMBER) for a in attrs.fields(cls)
    )


def _generate_init(cls: type) -> Any:
    """One ``__init__`` for the attrs class ``cls`` that does what attrs' own does, sooner.

    attrs' generated ``__init__`` calls every validator and converter of every field; this
    one runs, for each check of this module, the test of :data:`_PASSES` inline (one
    condition for all of them) and calls the checks only if it fails, every check then, in
    attrs' order, so that the first to fail raises the error it always raised. Converters
    are called where their test fails, factories where no value was given; the slots are
    set in field order; validators are skipped while ``attrs.validators`` are disabled;
    ``__attrs_post_init__`` runs last (unless its own test in :data:`_PASSES` says it
    would do nothing, which is read only where the validators ran). The signature is
    attrs' (the same parameters, defaults and annotations); a cached hash is cleared
    last, as attrs does. ``None`` for a class it does not take: not a frozen, slotted attrs
    class whose ``__init__`` is attrs' own, or one with ``__attrs_pre_init__``, a field not
    in ``__init__``, or an exception class.
    """
    init = cls.__dict__.get("__init__")
    code = getattr(init, "__code__", None)
    if (
        code is None
        or code.co_name != "__init__"
        or not code.co_filename.startswith("<attrs generated")
        or cls in _ATTRS_INITS
    ):
        return None
    if not attrs.has(cls) or issubclass(cls, BaseException) or not _frozen_slotted(cls):
        return None
    if hasattr(cls, "__attrs_pre_init__"):
        return None
    cached_hash = inspect.getattr_static(cls, "_attrs_cached_hash", None)
    if cached_hash is not None and not isinstance(cached_hash, _MEMBER):
        return None
    config = sys.modules.get("attr._config")
    if config is None or not isinstance(getattr(config, "_run_validators", None), bool):
        return None
    fields = attrs.fields(cls)
    params = list(inspect.signature(cast(Any, init)).parameters.values())[1:]
    if not all(a.init for a in fields) or sorted(p.name for p in params) != sorted(
        a.alias for a in fields
    ):
        return None
    ns: dict[str, Any] = {"__hconfig": config, "__hNOTHING": _NOT_GIVEN}
    head, star = ["self"], False
    for p in params:
        if p.kind is inspect.Parameter.KEYWORD_ONLY and not star:
            head.append("*")
            star = True
        elif p.kind not in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            return None
        if p.default is inspect.Parameter.empty:
            head.append(p.name)
        else:
            ns[f"__hd{len(ns)}"] = p.default
            head.append(f"{p.name}=__hd{len(ns) - 1}")
    lines = [f"def __init__({', '.join(head)}):"]
    for i, a in enumerate(fields):
        v = a.alias
        ns[f"__hA{i}"] = a
        if isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            ns[f"__hF{i}"] = a.default.factory
            arg = "self" if a.default.takes_self else ""
            lines.append(f"    if {v} is __hNOTHING: {v} = __hF{i}({arg})")
        conv: Any = a.converter
        if conv is not None:
            fn = cast(Any, conv).converter if isinstance(conv, attrs.Converter) else conv
            ns[f"__hC{i}"] = fn
            extra = ""
            if isinstance(conv, attrs.Converter):
                extra += ", self" if conv.takes_self else ""  # type: ignore[attr-defined]
                extra += f", __hA{i}" if conv.takes_field else ""  # type: ignore[attr-defined]
            call = f"{v} = __hC{i}({v}{extra})"
            if fn is nfc and not extra:  # text: normalised here, without a call of nfc
                ns["__hnormalize"] = unicodedata.normalize
                lines.append(f"    if type({v}) is str:")
                lines.append(f'        if not {v}.isascii(): {v} = __hnormalize("NFC", {v})')
                lines.append(f"    elif {v} is not None: {call}")
            else:
                test = _pass_test(fn, a, v, ns)
                lines.append(f"    if not {test}: {call}" if test else f"    {call}")
        ns[f"__hS{i}"] = inspect.getattr_static(cls, a.name).__set__
        lines.append(f"    __hS{i}(self, {v})")
    checks: list[str] = []  # each validator in attrs' order, called where its test fails
    for i, a in enumerate(fields):
        tests: list[str] = []  # a run of a field's validators with tests: one condition
        calls: list[str] = []
        for j, validator in enumerate(_flat(a.validator)):
            ns[f"__hV{i}_{j}"] = validator
            call = f"__hV{i}_{j}(self, __hA{i}, {a.alias})"
            test = _pass_test(validator, a, a.alias, ns)
            if test:
                tests.append(test)
                calls.append(call)
                continue
            if tests:
                checks.append(f"if not ({' and '.join(tests)}): {'; '.join(calls)}")
                tests, calls = [], []
            checks.append(call)
        if tests:
            checks.append(f"if not ({' and '.join(tests)}): {'; '.join(calls)}")
    if checks:
        lines.append("    if __hconfig._run_validators is True:")
        lines.extend(f"        {c}" for c in checks)
    post_init = getattr(cls, "__attrs_post_init__", None)
    if post_init is not None:
        entry = _passes(post_init)
        if entry is None or not checks:
            lines.append("    self.__attrs_post_init__()")
        else:  # a test of the fields' values (by name) true only where it would pass
            test, names = entry
            keys = {a.name: a.alias for a in fields}
            for name, value in names.items():
                keys[name] = f"__h{name}{len(ns)}"
                ns[keys[name]] = value
            lines.append(
                f"    if not (__hconfig._run_validators is True and ({test.format(**keys)})): "
                "self.__attrs_post_init__()"
            )
    if cached_hash is not None:  # cache_hash=True: cleared after __attrs_post_init__
        ns["__hH"] = cached_hash.__set__
        lines.append("    __hH(self, None)")
    source = "\n".join(lines) + "\n"
    filename = (
        f"<attrs generated init {cls.__module__}.{cls.__qualname__}, "
        "its checks inlined by humanaid.records>"
    )
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), ns)  # our own generated code
    made = ns["__init__"]
    made.__module__ = cls.__module__
    made.__qualname__ = f"{cls.__qualname__}.__init__"
    made.__annotations__ = dict(init.__annotations__)
    made.__doc__ = init.__doc__
    return made


def _install_init(cls: type) -> bool:
    """Give ``cls`` its generated ``__init__`` (:func:`_generate_init`), if it takes one."""
    made = _generate_init(cls)
    if made is None:
        return False
    _ATTRS_INITS[cls] = cls.__dict__["__init__"]
    type.__setattr__(cls, "__init__", made)
    return True


def _install_inits() -> int:
    """Give every record class of the library's loaded modules its generated ``__init__``.

    The face (``humanaid/__init__.py``) calls it once, after importing every module; a
    class of a module imported later keeps attrs' own ``__init__``, which does the same
    thing more slowly. Returns how many classes were given one.
    """
    done = 0
    for name, module in list(sys.modules.items()):
        if module is None or (name != "humanaid" and not name.startswith("humanaid.")):
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) and value.__module__ == name and attrs.has(value):
                done += _install_init(value)
    return done
