from __future__ import annotations

import enum
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import (
    Dataset,
    Finding,
    InvalidInput,
    Money,
    Period,
    Problem,
    collection,
    date_field,
    enum_field,
    from_dict,
    from_json,
    id_field,
    make_converter,
    money_field,
    non_empty_text,
    pii_field,
    positive,
    ref_field,
    to_dict,
    to_json,
    tuple_field,
)
from humanaid._decimal import PLAIN_DECIMAL_MAX_LENGTH
from humanaid.testing import record_strategies

# -- a small record family used to exercise the converter on every kind of field ------------


class Form(enum.Enum):
    CASH = "cash"
    IN_KIND = "in_kind"


@attrs.frozen(kw_only=True)
class Gift:
    id: str = id_field()
    donor_id: str | None = ref_field("givers", optional=True)
    received_on: date = date_field()
    value: Money = money_field(validator=positive)
    form: Form = enum_field(Form, default=Form.CASH)
    rate: Decimal = Decimal("0")
    count: int = 1
    tags: tuple[str, ...] = tuple_field(str)


@attrs.frozen(kw_only=True)
class Giver:
    id: str = id_field()
    name: str = pii_field(validator=non_empty_text)
    phone: str | None = pii_field(default=None)


@attrs.frozen(kw_only=True)
class GiftData(Dataset):
    givers: tuple[Giver, ...] = collection(Giver)
    gifts: tuple[Gift, ...] = collection(Gift)


GOOD_GIFT: dict[str, Any] = {
    "id": "g1",
    "donor_id": "d1",
    "received_on": "2020-02-29",
    "value": {"amount": "12.50", "currency": "CNY"},
    "form": "cash",
    "rate": "0.25",
    "count": 3,
    "tags": ["a", "b"],
}


def problems_of(data: Any, cls: type) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInput) as info:
        from_dict(data, cls)
    return [(p.location, p.code) for p in info.value.problems]


def test_a_record_round_trips_through_dict_and_json() -> None:
    gift = from_dict(GOOD_GIFT, Gift)
    assert gift.value == Money("12.50")
    assert gift.received_on == date(2020, 2, 29)
    assert to_dict(gift) == GOOD_GIFT
    assert from_json(to_json(gift), Gift) == gift


def test_decimals_and_money_travel_as_strings_never_floats() -> None:
    text = to_json(from_dict(GOOD_GIFT, Gift))
    assert '"amount":"12.50"' in text
    assert '"rate":"0.25"' in text

    def no_floats(obj: Any) -> None:
        assert not isinstance(obj, float)
        if isinstance(obj, dict):
            for v in obj.values():
                no_floats(v)
        if isinstance(obj, list):
            for v in obj:
                no_floats(v)

    no_floats(json.loads(text))


# The bad-input corpus for the converter: (description, json text, expected (path, code) list).
BAD_JSON: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("float money", '{"amount": 12.5, "currency": "CNY"}', [("$.amount", "float-not-allowed")]),
    ("NaN", '{"amount": NaN, "currency": "CNY"}', [("$.amount", "not-finite")]),
    ("Infinity", '{"amount": "Infinity", "currency": "CNY"}', [("$.amount", "invalid-decimal")]),
    ("1e999 number", '{"amount": 1e999, "currency": "CNY"}', [("$.amount", "float-not-allowed")]),
    ("1e999 string", '{"amount": "1e999", "currency": "CNY"}', [("$.amount", "invalid-decimal")]),
    ("full-width", '{"amount": "１２３", "currency": "CNY"}', [("$.amount", "invalid-decimal")]),
    ("underscore", '{"amount": "1_000", "currency": "CNY"}', [("$.amount", "invalid-decimal")]),
    ("too many places", '{"amount": "1.234", "currency": "CNY"}', [("$.amount", "invalid")]),
    ("bool amount", '{"amount": true, "currency": "CNY"}', [("$.amount", "wrong-type")]),
    ("bad currency", '{"amount": "1", "currency": "XYZ"}', [("$.currency", "invalid")]),
    ("missing currency", '{"amount": "1"}', [("$.currency", "missing")]),
    ("extra key", '{"amount": "1", "currency": "CNY", "x": 1}', [("$.x", "unknown-key")]),
    (
        "duplicate key",
        '{"amount": "1", "amount": "2", "currency": "CNY"}',
        [("$.amount", "duplicate-key")],
    ),
    ("array", "[1, 2]", [("$", "wrong-type")]),
    ("string", '"12.50"', [("$", "wrong-type")]),
    (
        "nested garbage",
        '{"amount": {"a": [1, {"b": null}]}, "currency": ["CNY"]}',
        [("$.amount", "wrong-type"), ("$.currency", "wrong-type")],
    ),
    ("not json", '{"amount": ', [("$", "invalid-json")]),
    ("empty", "", [("$", "invalid-json")]),
]


@pytest.mark.parametrize(("what", "text", "expected"), BAD_JSON, ids=[c[0] for c in BAD_JSON])
def test_bad_money_json_lists_every_problem_with_its_path(
    what: str, text: str, expected: list[tuple[str, str]]
) -> None:
    with pytest.raises(InvalidInput) as info:
        from_json(text, Money)
    assert [(p.location, p.code) for p in info.value.problems] == expected
    assert isinstance(info.value, ValueError)


def gift_with(**changes: Any) -> dict[str, Any]:
    data = dict(GOOD_GIFT)
    for key, value in changes.items():
        if value is KeyError:
            del data[key]
        else:
            data[key] = value
    return data


BAD_GIFTS: list[tuple[dict[str, Any], list[tuple[str, str]]]] = [
    (gift_with(received_on="2023-02-29"), [("$.received_on", "invalid-date")]),
    (gift_with(received_on="2023-2-1"), [("$.received_on", "invalid-date")]),
    (gift_with(received_on="20230201"), [("$.received_on", "invalid-date")]),
    (gift_with(received_on="2023-02-01T10:00:00"), [("$.received_on", "invalid-date")]),
    (gift_with(received_on=20230201), [("$.received_on", "wrong-type")]),
    (gift_with(form="check"), [("$.form", "unknown-value")]),
    (gift_with(form=None), [("$.form", "unknown-value")]),
    (gift_with(count=True), [("$.count", "wrong-type")]),
    (gift_with(count=1.0), [("$.count", "wrong-type")]),
    (gift_with(count="1"), [("$.count", "wrong-type")]),
    (gift_with(rate=0.25), [("$.rate", "float-not-allowed")]),
    (gift_with(rate="1e-3"), [("$.rate", "invalid-decimal")]),
    (gift_with(tags="ab"), [("$.tags", "wrong-type")]),
    (
        gift_with(tags=["a", 1, "b", None]),
        [("$.tags[1]", "wrong-type"), ("$.tags[3]", "wrong-type")],
    ),
    (
        gift_with(id=KeyError, received_on=KeyError),
        [("$.id", "missing"), ("$.received_on", "missing")],
    ),
    (gift_with(id=" g1"), [("$.id", "invalid")]),
    (gift_with(id=""), [("$.id", "invalid")]),
    (gift_with(value={"amount": "-5.00", "currency": "CNY"}), [("$.value", "invalid")]),
    (
        gift_with(value={"amount": "-5.00", "currency": "CNY"}, id="", donor_id="x\ny"),
        [("$.id", "invalid"), ("$.donor_id", "invalid"), ("$.value", "invalid")],
    ),
    (gift_with(extra=1, other=2), [("$.extra", "unknown-key"), ("$.other", "unknown-key")]),
]


@pytest.mark.parametrize(("data", "expected"), BAD_GIFTS)
def test_bad_records_list_every_problem_with_its_path(
    data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(data, Gift) == expected


def test_validator_messages_name_the_field_rule_and_value() -> None:
    with pytest.raises(InvalidInput) as info:
        from_dict(gift_with(value={"amount": "-5.00", "currency": "CNY"}), Gift)
    assert str(info.value.problems[0]) == "$.value: must be positive (got -5.00 CNY)"


FIELDS = ["received_on", "form", "count", "rate", "tags", "id", "value"]
BAD_VALUES: dict[str, Any] = {
    "received_on": "2021-13-01",
    "form": "cheque",
    "count": 2.5,
    "rate": 0.1,
    "tags": [1],
    "id": "",
    "value": {"amount": 0.5, "currency": "CNY"},
}


@given(st.sets(st.sampled_from(FIELDS), min_size=1))
def test_k_bad_fields_give_k_problems(bad: set[str]) -> None:
    data = gift_with(**{f: BAD_VALUES[f] for f in bad})
    with pytest.raises(InvalidInput) as info:
        from_dict(data, Gift)
    reported = {p.path[0] for p in info.value.problems}
    assert reported == bad
    assert len(info.value.problems) == len(bad)


def test_nested_paths_reach_into_dataset_collections() -> None:
    data = {
        "name": "2020",
        "givers": [{"id": "d1", "name": "张三"}],
        "gifts": [
            GOOD_GIFT,
            gift_with(value={"amount": 5.5, "currency": "CNY"}),
            gift_with(value={"amount": "-5.00", "currency": "CNY"}),
        ],
    }
    assert problems_of(data, GiftData) == [
        ("$.gifts[1].value.amount", "float-not-allowed"),
        ("$.gifts[2].value", "invalid"),
    ]


# -- personal data -------------------------------------------------------------------------


SECRET = "13800138000"


@pytest.mark.parametrize(
    "data",
    [
        {"id": "d1", "name": 13800138000},
        {"id": "d1", "name": "张三", "phone": 13800138000},
        {"id": "d1", "name": "\u200b13800138000"},
        {"id": "d1", "name": "ok", "phone": ["13800138000"]},
    ],
)
def test_problems_never_echo_personal_data(data: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as info:
        from_dict(data, Giver)
    assert SECRET not in str(info.value)
    assert all(p.got is None for p in info.value.problems)


def test_repr_of_a_record_masks_personal_data() -> None:
    donor = Giver(id="d1", name="张三", phone=SECRET)
    assert "张三" not in repr(donor)
    assert SECRET not in repr(donor)


# -- every record type the strategies generate round-trips -----------------------------------

STRATEGIES = record_strategies()


@pytest.mark.parametrize("make", list(STRATEGIES.values()), ids=[t.__name__ for t in STRATEGIES])
def test_from_json_of_to_json_is_identity_for_every_record_type(make: Callable[[], Any]) -> None:
    @given(make())
    def check(x: Any) -> None:
        assert from_json(to_json(x), type(x)) == x
        assert from_dict(to_dict(x), type(x)) == x

    check()


def test_findings_keep_the_type_of_their_figures() -> None:
    f = Finding(
        rule="a.b",
        severity="error",
        message="m",
        figures={"m": Money("1.00"), "d": date(2020, 1, 1), "r": Decimal("0.7"), "n": 3, "s": "x"},
    )
    back = from_json(to_json(f), Finding)
    assert back == f
    assert isinstance(back.figures["r"], Decimal)
    assert isinstance(back.figures["d"], date)


@given(
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: len(f"{d:f}") <= PLAIN_DECIMAL_MAX_LENGTH
    )
)
def test_any_finite_decimal_figure_round_trips_in_plain_text(d: Decimal) -> None:
    # str() writes exponents (1.41E-7: a tiny ratio in a finding); from_dict reads only
    # plain decimals, so to_dict and to_json write the plain form, and nothing is lost,
    # up to the longest plain text the reader takes (64 characters: a ratio's 34 digits
    # down to 1E-28; the next test is what lies beyond).
    f = Finding(rule="a.b", severity="warning", message="m", figures={"r": d})
    text = to_json(f)
    assert "E" not in json.loads(text)["figures"]["r"]["decimal"]
    assert from_json(text, Finding) == f
    assert from_dict(to_dict(f), Finding) == f


def test_a_figure_longer_than_the_reader_takes_is_refused_by_its_digits_not_a_crash() -> None:
    # Hypothesis found 9.9999999999999999999999999999990E-32: 64 plain digits, written
    # plainly, refused on reading with the reader's problem (never an exponent, never lost).
    d = Decimal("9.9999999999999999999999999999990E-32")
    f = Finding(rule="a.b", severity="warning", message="m", figures={"r": d})
    with pytest.raises(InvalidInput) as caught:
        from_json(to_json(f), Finding)
    [problem] = caught.value.problems
    assert problem.path == ("figures", "r", "decimal")
    assert problem.code == "too-many-digits"
    assert problem.got == "64 digits"


def test_period_rule_breaks_are_reported_at_the_field_the_rule_blames() -> None:
    # The rule raises a FieldValueError naming 'end': the converter places it there.
    assert problems_of({"start": "2020-02-01", "end": "2020-01-01"}, Period) == [
        ("$.end", "invalid")
    ]


def test_make_converter_returns_independent_converters() -> None:
    a, b = make_converter(), make_converter()
    assert a is not b
    a.register_structure_hook(Money, lambda v, _: Money("0"))
    assert b.structure({"amount": "1", "currency": "CNY"}, Money) == Money("1")
    assert from_dict({"amount": "1", "currency": "CNY"}, Money) == Money("1")


def test_invalid_input_renders_every_problem() -> None:
    err = InvalidInput(
        [
            Problem(path=("a", 0), code="missing", message="is required"),
            Problem(path=("b",), code="wrong-type", message="must be a string", got="1"),
        ]
    )
    assert str(err).splitlines() == [
        "2 problems in the input:",
        "  $.a[0]: is required",
        "  $.b: must be a string (got 1)",
    ]


def test_a_record_of_personal_data_in_another_shape_is_not_echoed() -> None:
    with pytest.raises(InvalidInput) as info:
        from_json('{"givers": [["张三", "13800138000"]]}', GiftData)
    assert "张三" not in str(info.value)
    assert "13800138000" not in str(info.value)
    assert [(p.location, p.code) for p in info.value.problems] == [("$.givers[0]", "wrong-type")]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[" * 3000 + "]" * 3000, ("$", "too-deep")),
        ("[" * 100 + "]" * 100, ("$" + "[0]" * 64, "too-deep")),
        ('{"amount": ' + "1" * 5000 + ', "currency": "CNY"}', ("$.amount", "too-many-digits")),
    ],
    ids=["nested past the parser", "nested past the limit", "an integer of 5000 digits"],
)
def test_json_past_the_limits_is_invalid_input_at_its_path(
    text: str, where: tuple[str, str]
) -> None:
    with pytest.raises(InvalidInput) as info:
        from_json(text, Money)
    assert [(p.location, p.code) for p in info.value.problems] == [where]


def test_duplicate_keys_in_tagged_figures_are_refused() -> None:
    text = (
        '{"rule": "a.b", "severity": "error", "subject": null, "message": "m",'
        ' "figures": {"x": {"decimal": "1", "decimal": "2"}}}'
    )
    with pytest.raises(InvalidInput) as info:
        from_json(text, Finding)
    assert [(p.location, p.code) for p in info.value.problems] == [
        ("$.figures.x.decimal", "duplicate-key")
    ]
