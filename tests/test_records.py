from __future__ import annotations

import enum
import pickle
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import course
from humanaid import (
    Money,
    date_field,
    enum_field,
    id_field,
    money_field,
    non_empty_text,
    non_negative,
    pii_field,
    pii_field_names,
    positive,
    ref_field,
    references,
    tuple_field,
)
from humanaid.errors import FieldError, FieldTypeError, FieldValueError
from humanaid.records import (
    as_date,
    as_id_set,
    as_member,
    as_member_set,
    at_item,
    decimal_in,
    nfc,
    whole,
    whole_number,
)
from humanaid.training import CourseKind


class Kind(enum.Enum):
    A = "a"
    B = "b"


@attrs.frozen(kw_only=True)
class Thing:
    id: str = id_field()
    owner_id: str = ref_field("owners")
    parent_id: str | None = ref_field("things", optional=True)
    name: str = pii_field(validator=non_empty_text)
    on: date = date_field()
    until: date | None = date_field(optional=True)
    value: Money = money_field(validator=positive)
    fee: Money = money_field(validator=non_negative, default=Money.zero())
    kind: Kind = enum_field(Kind, default=Kind.A)
    tags: tuple[str, ...] = tuple_field(str)


def make(**changes: object) -> Thing:
    base: dict[str, object] = {
        "id": "t1",
        "owner_id": "o1",
        "name": "王五",
        "on": date(2020, 1, 1),
        "value": Money("1.00"),
    }
    base.update(changes)
    return Thing(**base)  # type: ignore[arg-type]


def test_helpers_build_a_valid_record() -> None:
    t = make(kind="b", tags=["x", "y"])
    assert t.kind is Kind.B
    assert t.tags == ("x", "y")
    assert pii_field_names(Thing) == {"name"}
    assert references(Thing) == {"owner_id": "owners", "parent_id": "things"}


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"id": ""}, ValueError, "'id' must be an id of 1 to 128 characters"),
        ({"id": "a\u200bb"}, ValueError, "'id' must be an id"),
        ({"id": "x" * 129}, ValueError, "'id' must be an id"),
        ({"id": 7}, TypeError, "'id' must be an id string (got 7)"),
        ({"owner_id": None}, TypeError, "'owner_id' must be an id string (got None)"),
        ({"on": datetime(2020, 1, 1)}, TypeError, "'on' must be a datetime.date, not a datetime"),
        ({"on": "2020-01-01"}, TypeError, "'on' must be a datetime.date, not str"),
        ({"value": Money("0")}, ValueError, "'value' must be positive (got 0.00 CNY)"),
        (
            {"value": 1.5},
            TypeError,
            "'value' must be Money (amounts must be humanaid.Money, never float)",
        ),
        ({"fee": Money("-1")}, ValueError, "'fee' must not be negative (got -1.00 CNY)"),
        ({"kind": "c"}, ValueError, "'kind' must be one of 'a', 'b' (got 'c')"),
        ({"tags": "xy"}, TypeError, "'tags' must be a sequence of str"),
        ({"tags": ["x", 1]}, TypeError, r"'tags[1]' must be str (got 1)"),
        ({"name": "  "}, ValueError, "'name' must not be empty"),
    ],
)
def test_bad_fields_name_the_field_the_rule_and_the_value(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        make(**changes)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("name", ["", "张\u200b三", 12345678, "\x00李四"])
def test_personal_data_is_never_echoed(name: object) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        make(name=name)
    text = str(info.value)
    for secret in ("12345678", "李四", "张"):
        assert secret not in text


def test_text_enum_and_record_fields_can_be_optional() -> None:
    from humanaid import Period, record_field, text_field

    @attrs.frozen(kw_only=True)
    class Note:
        title: str = text_field(max_length=5)
        body: str | None = text_field(optional=True)
        secret: str | None = text_field(optional=True, pii=True)
        kind: Kind | None = enum_field(Kind, optional=True)
        span: Period | None = record_field(Period, optional=True)

    note = Note(title="Cafe\u0301")
    assert note.title == "Caf\u00e9"  # NFC
    assert (note.body, note.secret, note.kind, note.span) == (None, None, None, None)
    assert pii_field_names(Note) == {"secret"}
    with pytest.raises(ValueError, match="'title' must be at most 5 characters"):
        Note(title="too long")
    with pytest.raises(ValueError, match="'kind' must be one of 'a', 'b' or None"):
        Note(title="t", kind="z")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'span' must be a Period or None"):
        Note(title="t", span="2020")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'secret' must not contain") as info:
        Note(title="t", secret="\x00secret")
    assert "secret" not in str(info.value).replace("'secret'", "")


def test_repr_masks_personal_data() -> None:
    t = make(name="王五")
    assert "王五" not in repr(t)
    assert "name=***" in repr(t)


@given(st.text(max_size=12))
def test_nfc_equals_unicode_nfc(text: str) -> None:
    assert nfc(text) == unicodedata.normalize("NFC", text)


_UNSEEN = st.characters(categories=["Cc", "Cf", "Cs"])


@given(_UNSEEN)
def test_ids_never_hold_a_control_format_or_surrogate_character(c: str) -> None:
    @attrs.frozen(kw_only=True)
    class Rec:
        id: str = id_field()

    with pytest.raises(ValueError, match="'id' must be an id"):
        Rec(id=f"a{c}b")


def test_an_enum_field_refuses_a_bool_for_an_int_valued_enum() -> None:
    class Level(enum.Enum):
        LOW = 1
        HIGH = 2

    @attrs.frozen(kw_only=True)
    class Rec:
        level: Level = enum_field(Level)

    assert Rec(level=1).level is Level.LOW  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'level' must be one of 1, 2"):
        Rec(level=True)  # type: ignore[arg-type]


# -- whole numbers and enum members: the shared argument checks -------------------------------


@pytest.mark.parametrize(
    ("value", "low", "high", "error", "message"),
    [
        (True, 0, None, TypeError, "'n' must be an int (got True)"),
        ("3", 0, None, TypeError, "'n' must be an int (got '3')"),
        (3.0, 0, None, TypeError, "'n' must be an int (got 3.0)"),
        (None, 0, None, TypeError, "'n' must be an int (got None)"),
        (-1, 0, None, ValueError, "'n' must not be negative (got -1)"),
        (0, 1, None, ValueError, "'n' must be at least 1 (got 0)"),
        (601, 1, 600, ValueError, "'n' must be between 1 and 600 (got 601)"),
        (0, 1, 600, ValueError, "'n' must be between 1 and 600 (got 0)"),
    ],
)
def test_whole_number_names_the_argument_the_rule_and_the_value(
    value: object, low: int, high: int | None, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        whole_number("n", value, low=low, high=high)
    assert str(info.value) == message


@given(st.integers(-5, 5), st.integers(-5, 5), st.one_of(st.none(), st.integers(-5, 5)))
def test_whole_number_accepts_exactly_the_ints_in_range(
    value: int, low: int, high: int | None
) -> None:
    inside = low <= value and (high is None or value <= high)
    if inside:
        assert whole_number("n", value, low=low, high=high) == value
    else:
        with pytest.raises(ValueError, match="'n' must "):
            whole_number("n", value, low=low, high=high)


@given(
    st.one_of(st.integers(-3, 8), st.booleans(), st.none(), st.text(max_size=2), st.floats()),
    st.booleans(),
)
def test_the_whole_validator_says_what_whole_number_says(value: object, optional: bool) -> None:
    @attrs.frozen
    class Row:
        n: int | None = attrs.field(validator=whole(low=1, high=5, optional=optional))

    if optional and value is None:
        assert Row(None).n is None
        return
    expected = _outcome(lambda: whole_number("n", value, low=1, high=5))
    assert _outcome(lambda: Row(value).n) == expected  # type: ignore[arg-type]


def _outcome(call: Callable[[], object]) -> tuple[object, str]:
    """What a call returns, or the type and message of what it raises."""
    try:
        return call(), ""
    except (TypeError, ValueError) as exc:
        return type(exc), str(exc)


def test_as_member_takes_a_member_or_its_value_and_names_the_argument() -> None:
    assert as_member(Kind, "a", "kind") is Kind.A
    assert as_member(Kind, Kind.B, "kind") is Kind.B
    with pytest.raises(ValueError, match=r"^'kind' must be one of 'a', 'b' \(got 'c'\)$"):
        as_member(Kind, "c", "kind")
    with pytest.raises(ValueError, match=r"'kind' must be one of 'a', 'b' \(got \['a'\]\)"):
        as_member(Kind, ["a"], "kind")  # unhashable: the same message, not a TypeError


def test_as_member_refuses_a_bool_unless_a_member_is_one() -> None:
    class Level(enum.Enum):
        LOW = 1
        HIGH = 2

    class Answer(enum.Enum):
        YES = True
        NO = False

    assert as_member(Level, 1, "level") is Level.LOW
    with pytest.raises(ValueError, match=r"'level' must be one of 1, 2 \(got True\)"):
        as_member(Level, True, "level")
    assert as_member(Answer, True, "answer") is Answer.YES


@given(st.sampled_from(list(Kind)))
def test_as_member_finds_every_member_by_its_value(member: Kind) -> None:
    assert as_member(Kind, member.value, "kind") is member


# -- arguments that pick some: as_member_set, as_id_set; a day: as_date --------------------


@given(st.sets(st.sampled_from(list(Kind))), st.booleans())
def test_as_member_set_picks_each_member_given_by_itself_or_its_value(
    picked: set[Kind], by_value: bool
) -> None:
    given_as = [k.value if by_value else k for k in picked]
    assert as_member_set(Kind, given_as, "kinds") == frozenset(picked)
    for k in picked:  # one member or value alone picks itself, never its characters
        assert as_member_set(Kind, k.value if by_value else k, "kinds") == frozenset({k})
    assert as_member_set(Kind, None, "kinds") == frozenset(Kind)


def test_as_member_set_names_the_argument_and_the_bad_item() -> None:
    with pytest.raises(ValueError, match=r"^'kinds' must be one of 'a', 'b' \(got 'c'\)$"):
        as_member_set(Kind, ["a", "c"], "kinds")
    with pytest.raises(TypeError, match=r"^'kinds' must be a Kind, its value or several \(got 3\)"):
        as_member_set(Kind, 3, "kinds")  # type: ignore[arg-type]


@given(st.lists(st.text(min_size=1, max_size=5)))
def test_as_id_set_is_the_set_of_the_ids_given(ids: list[str]) -> None:
    assert as_id_set(ids, "organization_ids") == frozenset(ids)
    assert as_id_set(tuple(ids), "organization_ids") == frozenset(ids)
    for i in ids:  # one id alone picks itself, never its characters
        assert as_id_set(i, "organization_ids") == frozenset({i})
    assert as_id_set(None, "organization_ids") is None


def test_as_id_set_places_an_item_that_is_not_an_id() -> None:
    with pytest.raises(FieldTypeError) as caught:
        as_id_set(["jx", 7], "organization_ids")  # type: ignore[list-item]
    assert caught.value.path == ("organization_ids", 1)
    assert str(caught.value) == "'organization_ids[1]' must be an id string (got 7)"
    with pytest.raises(TypeError, match=r"^'organization_ids' must be an id or ids \(got 7\)$"):
        as_id_set(7, "organization_ids")  # type: ignore[arg-type]


@given(st.dates() | st.datetimes() | st.integers() | st.text(max_size=3))
def test_as_date_takes_exactly_the_dates_that_are_not_datetimes(value: object) -> None:
    if isinstance(value, date) and not isinstance(value, datetime):
        assert as_date(value, "on") is value
    else:
        with pytest.raises(TypeError, match=r"^'on' must be a datetime\.date, not "):
            as_date(value, "on")


# -- decimal_in: exact decimals in a range, with a few places ------------------------------

_BELOW = Decimal(1000)


@attrs.frozen
class _Measured:
    hours: Decimal = attrs.field(
        validator=decimal_in(below=_BELOW, places=2, positive=True, unit="hours")
    )
    units: Decimal | None = attrs.field(
        default=None, validator=decimal_in(below=Decimal(10**9), places=1, optional=True)
    )


@given(st.decimals(allow_nan=True, allow_infinity=True, places=None))
def test_decimal_in_accepts_exactly_the_decimals_in_range_with_few_places(value: Decimal) -> None:
    exponent = value.as_tuple().exponent
    ok = value.is_finite() and 0 < value < _BELOW and isinstance(exponent, int) and exponent >= -2
    if ok:
        assert _Measured(value).hours is value
    else:
        with pytest.raises(FieldValueError) as caught:
            _Measured(value)
        assert caught.value.field == "hours"
        assert caught.value.rule == (
            "must be more than 0 and less than 1000 hours, with at most 2 decimal places"
        )
        assert caught.value.value is value


def test_decimal_in_names_a_float_and_writes_large_bounds_as_powers_of_ten() -> None:
    with pytest.raises(
        FieldTypeError, match=r"'hours' must be an int or Decimal \(never a float\)"
    ):
        _Measured(1.5)  # type: ignore[arg-type]
    assert _Measured(Decimal(1)).units is None
    with pytest.raises(
        ValueError,
        match=r"^'units' must be at least 0 and less than 10\*\*9, with at most 1 decimal places",
    ):
        _Measured(Decimal(1), units=Decimal("0.25"))


# -- at_item: an item's error is placed from its structure, never its message ----------------


@attrs.frozen(kw_only=True)
class _Listed:
    ids: tuple[str, ...] = tuple_field(str, item_kind="id")
    notes: tuple[str, ...] = tuple_field(str, item_kind="label")


def test_a_bad_item_of_a_tuple_field_is_placed_at_its_index_with_its_error_intact() -> None:
    too_long = "x" * 200
    with pytest.raises(FieldValueError) as caught:
        _Listed(ids=("a", too_long))
    err = caught.value
    assert (err.path, err.code, err.value) == (("ids", 1), "too-long", too_long)
    assert str(err) == "'ids[1]' must be an id of 1 to 128 characters (got 200 characters)"
    assert pickle.loads(pickle.dumps(err)).path == ("ids", 1)
    with pytest.raises(FieldValueError) as caught:
        _Listed(notes=("ok", "a\x00b"))
    assert caught.value.path == ("notes", 1)


def test_a_course_places_a_bad_trainer_id_as_a_tuple_field_places_a_bad_id() -> None:
    # training's own list-of-ids converter uses the same placement (records.at_item)
    too_long = "t" * 200
    with pytest.raises(FieldValueError) as caught:
        course("k1", CourseKind.POPULAR, "o", date(2022, 3, 2), trainer_ids=("t1", too_long))
    with pytest.raises(FieldValueError) as listed:
        _Listed(ids=("t1", too_long))
    assert caught.value.path == ("trainer_ids", 1)
    assert (caught.value.code, caught.value.got) == (listed.value.code, listed.value.got)
    assert caught.value.rule == listed.value.rule


@given(
    st.sampled_from([FieldValueError, FieldTypeError]),
    st.lists(st.integers(0, 9) | st.sampled_from(["a", "b"]), max_size=3),
    st.integers(0, 99),
    st.booleans(),
)
def test_at_item_puts_the_index_first_and_keeps_everything_else(
    cls: type[FieldError], at: list[int | str], index: int, pii: bool
) -> None:
    err = cls("field", "must be good", "bad", code="invalid", pii=pii, at=at)
    placed = at_item(err, index)
    assert type(placed) is cls
    assert placed.path == ("field", index, *at)
    assert (placed.rule, placed.code, placed.value, placed.pii, placed.got) == (
        err.rule,
        err.code,
        err.value,
        err.pii,
        err.got,
    )
    assert str(placed).startswith(f"'field[{index}]")
    assert ("bad" in str(placed)) is not pii
    assert err.at == tuple(at)  # the error placed is a copy: the original is unchanged
