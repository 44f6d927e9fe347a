"""The cheap checks of record construction against the full ones they stand in for.

Building a record checks each field (``humanaid.records``); the common case, an exact
``str`` that is a plain id or a plain text, a ``date``, ``Money``, an enum member's
value, is accepted by a shorter test first, and only what fails it goes through the
full check, which says what is wrong. References already accepted are remembered. The
laws: each shorter test accepts only what the full check accepts (so a record is the
same either way), and what it does not accept gets the full check's error, field, code
and text unchanged.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import Money
from humanaid import records as R  # noqa: N812 - short: it is everywhere here
from humanaid.errors import FieldError
from humanaid.records import (
    date_field,
    enum_field,
    free_text_field,
    id_field,
    money_field,
    non_empty_text,
    non_negative,
    positive,
    ref_field,
    text_field,
    tuple_field,
)

# Characters an id or a text may or may not hold: ASCII, controls, white space, format
# characters, surrogates, NFC pairs, line breaks, wide characters.
TRICKY = st.sampled_from(
    [
        *" \t\n\r\x0b\x0c\x1c\x1f\x7f\x85\xa0\xad\u200b\u200e\u2028\u2029\u202e\u3000",
        "\ufeff",
        "\ud800",
        "e\u0301",
        "\u00e9",
        "张",
        "\U0001f600",
        "\U000e0001",
        "\u0378",
    ]
)
TEXTS = st.one_of(
    st.text(max_size=12),
    st.lists(st.one_of(TRICKY, st.characters(max_codepoint=127)), max_size=10).map("".join),
    st.sampled_from(["", " ", "a", " a", "a ", "x" * 128, "x" * 129, "x" * 1000, "x" * 1001]),
)
VALUES = st.one_of(
    TEXTS, st.none(), st.integers(), st.just(b"id"), st.just(["a"]), st.floats(allow_nan=False)
)


def full_id_check(value: object) -> bool:
    """The id rule as the pattern states it (what ``valid_id`` did before its short cut)."""
    return isinstance(value, str) and 0 < len(value) <= R.ID_MAX_LENGTH and bool(R._ID.match(value))


def verdict(check: Any, *args: Any, **kwargs: Any) -> tuple[str, Any]:
    """What a check does with its arguments: passes, or raises (class, text, field, code)."""
    try:
        check(*args, **kwargs)
    except FieldError as exc:
        return ("refused", (type(exc), str(exc), exc.field, exc.code, exc.at))
    except (TypeError, ValueError) as exc:
        return ("refused", (type(exc), str(exc)))
    return ("accepted", None)


@attrs.frozen(kw_only=True)
class Sample:
    id: str = id_field()
    ref: str | None = ref_field("others", optional=True)
    required_ref: str = ref_field("others")
    text: str | None = text_field(optional=True)
    label: str = text_field(kind="label", default="L")
    blank_ok: str = text_field(kind="label", empty_ok=True, default="")
    note: str = free_text_field()
    plain: str = attrs.field(default="p", validator=non_empty_text)
    ids: tuple[str, ...] = tuple_field(str, item_kind="id")


FIELDS = {a.name: a for a in attrs.fields(Sample)}


@given(TEXTS)
def test_the_short_id_check_agrees_with_the_pattern(text: str) -> None:
    assert R._plain_id(text) == full_id_check(text)


@given(VALUES)
def test_an_id_and_a_reference_accept_what_the_pattern_accepts(value: object) -> None:
    good = full_id_check(value)
    for name in ("id", "required_ref"):
        for _ in range(2):  # the second time, a reference may come from what was kept
            got = verdict(R.valid_id if name == "id" else R._valid_ref, None, FIELDS[name], value)
            assert (got[0] == "accepted") == good, (name, value)


@given(VALUES)
def test_a_refused_id_gets_the_full_checks_error(value: object) -> None:
    """The error of the short path is the one the full check raises: nothing is lost."""
    for name, check in (("id", R.valid_id), ("required_ref", R._valid_ref)):
        expected = verdict(R._refuse_id, FIELDS[name], value)
        assert verdict(check, None, FIELDS[name], value) == expected


@given(VALUES)
def test_an_optional_reference_takes_none_and_what_an_id_takes(value: object) -> None:
    got = verdict(R._valid_ref, None, FIELDS["ref"], value)
    assert got == (
        ("accepted", None) if value is None else verdict(R._refuse_id, FIELDS["ref"], value)
    )


def test_a_str_subclass_id_gets_the_full_check() -> None:
    class Id(str):
        pass

    assert verdict(R.valid_id, None, FIELDS["id"], Id("a1"))[0] == "accepted"
    assert verdict(R._valid_ref, None, FIELDS["required_ref"], Id(" a"))[0] == "refused"
    assert Id("a2") not in R._KNOWN_REFS or type(next(iter(R._KNOWN_REFS))) is str


def test_the_kept_references_stay_bounded() -> None:
    attribute = FIELDS["required_ref"]
    for i in range(R._KNOWN_REFS_MAX + 10):
        R._valid_ref(None, attribute, f"ref-{i}")
    assert 0 < len(R._KNOWN_REFS) <= R._KNOWN_REFS_MAX
    assert all(type(x) is str for x in R._KNOWN_REFS)


@given(st.one_of(TEXTS, st.none(), st.integers(), st.just(["a"])))
def test_text_fields_accept_and_refuse_as_check_text_does(value: object) -> None:
    """Each text check against check_text itself, with the same kind, cap and emptiness."""
    cases: dict[str, dict[str, Any]] = {
        "text": {"kind": "text", "optional": True},
        "label": {"kind": "label"},
        "blank_ok": {"kind": "label", "empty_ok": True},
        "note": {"kind": "note", "empty_ok": True},
        "plain": {"kind": "text"},
    }
    for name, how in cases.items():
        attribute = FIELDS[name]
        got = verdict(attribute.validator, None, attribute, value)
        if how.get("optional") and value is None:
            assert got == ("accepted", None)
            continue
        expected = verdict(
            R.check_text,
            name,
            value,
            kind=how["kind"],
            empty_ok=bool(how.get("empty_ok")),
        )
        assert got == expected, (name, value)


@given(TEXTS)
def test_a_record_built_from_text_is_the_same_as_the_checks_say(text: str) -> None:
    """Through the constructor: a record is built exactly when every check passes."""
    nfc = R.nfc(text)
    for kwargs, want in (
        ({"id": text, "required_ref": "r"}, verdict(R._refuse_id, FIELDS["id"], text)),
        (
            {"id": "s", "required_ref": "r", "label": text},
            verdict(R.check_text, "label", nfc, kind="label"),
        ),
        (
            {"id": "s", "required_ref": "r", "note": text},
            verdict(R.check_text, "note", nfc, kind="note", empty_ok=True),
        ),
    ):
        got = verdict(Sample, **kwargs)
        assert got == want, (kwargs, got, want)


class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"
    ONE = 1


class Shade(enum.StrEnum):
    DARK = "dark"
    LIGHT = "light"


@attrs.frozen
class Painted:
    colour: Colour = enum_field(Colour)
    shade: Shade | None = enum_field(Shade, optional=True)


@given(st.one_of(st.sampled_from(["red", "green", "dark", "RED", "", "1"]), TEXTS, VALUES))
def test_an_enum_field_gives_the_member_the_enum_gives(value: object) -> None:
    for field, enum_cls, optional in (("colour", Colour, False), ("shade", Shade, True)):
        attribute = next(a for a in attrs.fields(Painted) if a.name == field)
        convert = attribute.converter.converter  # type: ignore[union-attr]
        if isinstance(value, enum_cls) or (optional and value is None):
            expected: tuple[str, Any] = ("accepted", value)
        else:
            try:
                expected = ("accepted", R._member(enum_cls, value, field, False, ""))
            except FieldError as exc:
                expected = ("refused", str(exc).replace(" or None", ""))
        try:
            got: tuple[str, Any] = ("accepted", convert(value, None, attribute))
        except FieldError as exc:
            got = ("refused", str(exc).replace(" or None", ""))
        assert got == expected
        if got[0] == "accepted":
            assert got[1] is expected[1]


@attrs.frozen(kw_only=True)
class Priced:
    value: Money = money_field(validator=positive)
    fees: Money = money_field(validator=non_negative)
    on: date = date_field()


class Cents(Money):
    __slots__ = ()


MONIES = st.one_of(
    st.builds(
        Money,
        st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False),
        st.sampled_from(["CNY", "USD"]),
    ),
    st.builds(lambda d: Cents(d), st.decimals(min_value=-5, max_value=5, places=2)),
    st.sampled_from([None, 0, Decimal("1"), 1.5, "1.00"]),
)
DAYS = st.one_of(st.dates(), st.datetimes(), st.sampled_from([None, "2020-01-01", 20200101]))


@given(MONIES, MONIES, DAYS)
def test_money_and_date_checks_accept_and_refuse_as_before(
    value: object, fees: object, on: object
) -> None:
    def before() -> None:  # the checks as written before their short cuts
        for name, v, sign in (("value", value, "positive"), ("fees", fees, "non_negative")):
            if not isinstance(v, Money):
                raise TypeError(name)
            if sign == "positive" and not v.is_positive():
                raise ValueError(name)
            if sign == "non_negative" and v.is_negative():
                raise ValueError(name)
        if isinstance(on, datetime) or not isinstance(on, date):
            raise TypeError("on")

    try:
        before()
        expected = "accepted"
    except (TypeError, ValueError) as exc:
        expected = f"{type(exc).__name__} {exc}"
    try:
        Priced(value=value, fees=fees, on=on)  # type: ignore[arg-type]
        got = "accepted"
    except FieldError as exc:
        got = f"{'TypeError' if isinstance(exc, TypeError) else 'ValueError'} {exc.field}"
    assert got == expected


def test_a_datetime_is_still_refused_by_name() -> None:
    with pytest.raises(TypeError, match=re.escape("'on' must be a datetime.date, not a datetime")):
        Priced(value=Money("1.00"), fees=Money("0.00"), on=datetime(2020, 1, 1))
