from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import villager
from checks import problems, refusal
from humanaid import (
    Household,
    HouseholdFlag,
    InvalidInput,
    Person,
    Pseudonyms,
    Sex,
    check_resident_id,
    from_dict,
    from_json,
    name_key,
    pii_field_names,
    resident_id_birth_date,
    resident_id_check_char,
    resident_id_sex,
    to_dict,
    to_json,
)
from humanaid.testing import chinese_names, households, persons, resident_ids


def make_id(region: str = "530302", born: str = "19900101", order: str = "123") -> str:
    first17 = region + born + order
    return first17 + resident_id_check_char(first17)


ID = make_id()  # a valid number: the check character is computed
PHONE = "13887654321"


def person(**changes: Any) -> Person:
    return villager(**{"id_number": ID, "phone": PHONE, **changes})


# -- resident ID numbers ------------------------------------------------------------------------


def test_check_character_follows_iso_7064_mod_11_2() -> None:
    # The example of GB 11643-1999: 11010519491231002X.
    assert resident_id_check_char("11010519491231002") == "X"
    assert resident_id_check_char("44052418800101001") == "4"
    with pytest.raises(ValueError, match="before 1900"):  # a valid check, too old a date
        check_resident_id("440524188001010014")
    with pytest.raises(ValueError, match="17 ASCII digits"):
        resident_id_check_char("1101051949123100")


def test_id_numbers_are_normalised_nfkc_and_upper_case() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "11010519491231002") + "ｘ"
    assert check_resident_id(full_width) == "11010519491231002X"
    assert check_resident_id("11010519491231002x") == "11010519491231002X"
    assert person(id_number="11010519491231002x", birth_date=None).id_number == (
        "11010519491231002X"
    )


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1101051949123100", "must be 18 characters: 17 digits and a check character"),
        ("1101051949123100211", "must be 18 characters"),
        ("11010519491231002Y", "must be 18 characters"),
        ("110105 9491231002X", "must be 18 characters"),
        ("1101051949\u200b1231002X", "must not contain control or invisible characters"),
        ("110105194912\x0031002X", "must not contain control or invisible characters"),
        (make_id(region="030302"), "unknown region code"),
        (make_id(region="930302"), "unknown region code"),
        (make_id(born="19900230"), "holds no real birth date"),
        (make_id(born="18991231"), "holds a birth date before 1900"),
        (make_id(born="20990101"), "holds a birth date in the future"),
        ("110105194912310021", "has a wrong check character"),
    ],
)
def test_bad_id_numbers_say_what_is_wrong_without_the_number(number: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        check_resident_id(number, today=date(2024, 6, 1))
    assert number not in str(info.value)
    assert number[:6] not in str(info.value)
    with pytest.raises(ValueError, match=r"^'id_number' ") as info2:
        person(id_number=number, birth_date=None, sex=None)
    assert str(info2.value).startswith("'id_number' ")
    assert number not in str(info2.value)


def test_an_id_number_that_is_not_text_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="'id_number' must be a str"):
        check_resident_id(110105194912310021)  # type: ignore[arg-type]
    with pytest.raises(TypeError) as info:
        person(id_number=110105194912310021)
    assert "110105194912310021" not in str(info.value)


def test_birth_date_and_sex_come_from_the_id_number() -> None:
    assert resident_id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert resident_id_sex("11010519491231002X") is Sex.FEMALE
    assert resident_id_sex(make_id(order="123")) is Sex.MALE
    p = person(id_number="11010519491231002X")
    assert p.born_on == p.id_birth_date == date(1949, 12, 31)
    assert p.id_sex is Sex.FEMALE
    assert p.age_on(date(2020, 12, 30)) == 70
    assert p.age_on(date(2020, 12, 31)) == 71


@given(resident_ids())
def test_generated_id_numbers_are_valid(number: str) -> None:
    assert check_resident_id(number) == number


@given(resident_ids(), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_refused(number: str, position: int, shift: int) -> None:
    changed = str((int(number[position]) + shift) % 10)
    wrong = number[:position] + changed + number[position + 1 :]
    with pytest.raises(ValueError, match=r"^'id_number' ") as info:
        check_resident_id(wrong)
    assert wrong not in str(info.value)


@given(resident_ids(), st.integers(0, 15))
def test_swapping_two_neighbouring_digits_is_refused(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    with pytest.raises(ValueError, match=r"^'id_number' "):
        check_resident_id(swapped)


# -- persons -----------------------------------------------------------------------------------


def test_personal_data_fields_are_marked() -> None:
    assert pii_field_names(Person) == {"name", "id_number", "phone", "location"}
    assert pii_field_names(Household) == {"address"}


def test_a_person_normalises_text() -> None:
    decomposed = unicodedata.normalize("NFD", "Zoë Nguyễn")
    p = person(name=decomposed, phone="＋８６１３８８７６５４３２１")
    assert p.name == "Zoë Nguyễn"
    assert p.name is not None
    assert unicodedata.is_normalized("NFC", p.name)
    assert p.phone == "+8613887654321"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "张\u200b三"}, "'name' must not contain control or invisible characters"),
        ({"name": "  "}, "'name' must not be empty"),
        ({"name": "张" * 101}, "'name' must be at most 100 characters"),
        ({"name": None}, "'name' is required (a redacted person carries 'pseudonyms.name')"),
        ({"phone": "138-8765-4321"}, "'phone' must be 5 to 15 ASCII digits"),
        ({"phone": "1388"}, "'phone' must be 5 to 15 ASCII digits"),
        ({"phone": "1388765432\u200d1"}, "'phone' must not contain control or invisible"),
        ({"location": "\x07"}, "'location' must not contain control or invisible"),
        ({"birth_date": date(1990, 1, 2)}, "'birth_date' does not agree with the birth date"),
        ({"sex": "female"}, "'sex' does not agree with the sex recorded in 'id_number'"),
        ({"sex": "x"}, "'sex' must be one of 'female', 'male' or None (got 'x')"),
        (
            {"pseudonyms": Pseudonyms(phone="ps:" + "0" * 32)},
            "'phone' and 'pseudonyms.phone' must not both be set",
        ),
        ({"pseudonyms": "ps:1"}, "'pseudonyms' must be Pseudonyms or None"),
        ({"household_id": " h1"}, "'household_id' must be an id"),
    ],
)
def test_bad_persons_are_refused_without_their_personal_values(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        person(**changes)
    text = str(info.value)
    assert text.startswith(message)
    for secret in ("张", ID, PHONE, "东村", "13887", "Zo"):
        assert secret not in text


def test_birth_date_and_sex_that_agree_are_kept() -> None:
    p = person(birth_date=date(1990, 1, 1), sex="male")
    assert p.sex is Sex.MALE
    assert p.birth_date == date(1990, 1, 1)


def test_a_person_without_an_id_number_may_have_any_birth_date() -> None:
    p = Person(id="p2", name="李四", birth_date=date(1950, 3, 1), sex=Sex.FEMALE)
    assert p.born_on == date(1950, 3, 1)
    assert p.id_birth_date is None
    assert p.id_sex is None
    assert Person(id="p3", name="王五").age_on(date(2020, 1, 1)) is None


def test_a_redacted_person_carries_pseudonyms_instead_of_identifiers() -> None:
    ps = Pseudonyms(name="ps:" + "a" * 32, id_number="ps:" + "b" * 32)
    p = Person(id="p1", pseudonyms=ps, area_id="qilin")
    assert p.is_redacted
    assert p.name is None
    assert not person().is_redacted
    with pytest.raises(ValueError, match="'name' must be a pseudonym 'ps:' and 32 hex digits"):
        Pseudonyms(name="ps:xyz")


def test_repr_masks_every_personal_value() -> None:
    p = person()
    for text in (repr(p), str(p)):
        for secret in ("张三", ID, PHONE, "东村3组12号"):
            assert secret not in text
    assert "name=***" in repr(p)


# -- households --------------------------------------------------------------------------------


def test_households_know_their_size_and_flags() -> None:
    h = Household(id="h1", members=4, flags=["registered_poor", HouseholdFlag.DISABILITY])  # type: ignore[arg-type]
    assert h.flags == {HouseholdFlag.REGISTERED_POOR, HouseholdFlag.DISABILITY}
    assert Household(id="h2", members=1).flags == frozenset()


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"members": 0}, ValueError, "'members' must be at least 1 (got 0)"),
        ({"members": True}, TypeError, "'members' must be an int (got True)"),
        ({"members": "4"}, TypeError, "'members' must be an int (got '4')"),
        ({"flags": "registered_poor"}, TypeError, "'flags' must be a set of household flags"),
        ({"flags": ["rich"]}, ValueError, "'flags' items must be one of"),
        ({"address": " "}, ValueError, "'address' must not be empty"),
    ],
)
def test_bad_households_are_refused(
    changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    fields: dict[str, Any] = {"id": "h1", "members": 3, "address": "西村1组2号"}
    fields.update(changes)
    with pytest.raises(error) as info:
        Household(**fields)
    assert str(info.value).startswith(message)
    assert "西村" not in str(info.value)


# -- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "张三",
        "张\u200b三",
        "张 三",
        "张\u3000三",
        " 张三 ",
        "张\u200d\u00a0三",
        "\ufeff张三",
    ],
)
def test_name_key_matches_spellings_of_one_name(variant: str) -> None:
    assert name_key(variant) == name_key("张三")


def test_name_key_folds_compatibility_forms_case_and_dots() -> None:
    assert name_key("⾺丽") == name_key("馬丽")  # a Kangxi radical for 馬
    assert name_key("ＬＩ Ｍｉｎｇ") == name_key("li ming") == name_key("LiMing")
    assert name_key("阿卜杜·热合曼") == name_key("阿卜杜・热合曼") == name_key("阿卜杜热合曼")
    assert name_key("张三") != name_key("张山")
    assert name_key("马丽") != name_key("馬丽")  # simplified and traditional stay apart
    with pytest.raises(TypeError):
        name_key(None)  # type: ignore[arg-type]


_INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", " ", "\u3000"])


@given(chinese_names(), st.lists(st.tuples(st.integers(0, 5), _INVISIBLE), max_size=4))
def test_name_key_ignores_spaces_and_invisible_characters(
    name: str, inserts: list[tuple[int, str]]
) -> None:
    variant = name
    for at, char in inserts:
        variant = variant[:at] + char + variant[at:]
    assert name_key(variant) == name_key(name)
    assert name_key(name_key(name)) == name_key(name)


# -- the law: personal values never leak into repr, str or errors ------------------------------


def _secrets(p: Person) -> list[str]:
    return [v for v in (p.name, p.id_number, p.phone, p.location) if v is not None]


def _plain(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if attrs.has(type(value)):
        return to_dict(value)
    return value


def _breakages(p: Person) -> list[dict[str, Any]]:
    assert p.id_number is not None
    wrong_check = p.id_number[:17] + ("0" if p.id_number[17] != "0" else "1")
    return [
        {"id_number": wrong_check},
        {"birth_date": date(1899, 1, 1)},
        {"sex": Sex.MALE if p.id_sex is Sex.FEMALE else Sex.FEMALE},
        {"phone": (p.phone or "") + "x"},
        {"name": (p.name or "") + "\u200b"},
        {"name": None},
        {"location": (p.location or "") + "\x00"},
        {"household_id": " h1"},
        {"pseudonyms": Pseudonyms(name="ps:" + "1" * 32)},
    ]


@given(persons(household_ids=st.just("h1"), area_ids=st.just("a1")), st.data())
def test_repr_str_and_errors_of_a_person_hold_no_personal_value(
    p: Person, data: st.DataObject
) -> None:
    p = attrs.evolve(
        p,
        id="p1",
        id_number=p.id_number or data.draw(resident_ids(), label="id"),
        birth_date=None,
        sex=None,
        phone=p.phone or "13912345678",
        location=p.location or "南村1组1号",
    )
    secrets = _secrets(p)
    for text in (repr(p), str(p)):
        assert not [s for s in secrets if s in text]
    for change in _breakages(p):
        with pytest.raises((TypeError, ValueError)) as info:
            attrs.evolve(p, **change)
        leaked = [s for s in secrets if s in str(info.value)]
        assert not leaked, (change, str(info.value))
        data_in = {**to_dict(p), **{k: _plain(v) for k, v in change.items()}}
        with pytest.raises(InvalidInput) as loaded:
            from_dict(data_in, Person)
        assert not [s for s in secrets if s in str(loaded.value)]


@given(households(), st.data())
def test_repr_str_and_errors_of_a_household_hold_no_personal_value(
    h: Household, data: st.DataObject
) -> None:
    h = attrs.evolve(h, id="h1", address=h.address or "北村2组3号")
    assert h.address is not None
    for text in (repr(h), str(h)):
        assert h.address not in text
    for change in ({"members": 0}, {"address": h.address + "\u200b"}, {"flags": ["x"]}):
        with pytest.raises((TypeError, ValueError)) as info:
            attrs.evolve(h, **change)
        assert h.address not in str(info.value)
        with pytest.raises(InvalidInput) as loaded:
            from_dict({**to_dict(h), **change}, Household)
        assert h.address not in str(loaded.value)


# -- serialisation -----------------------------------------------------------------------------


def test_persons_and_households_round_trip_through_json() -> None:
    p = person(birth_date=date(1990, 1, 1), sex="male")
    assert from_json(to_json(p), Person) == p
    h = Household(
        id="h1",
        members=4,
        flags=frozenset({HouseholdFlag.DISASTER_AFFECTED, HouseholdFlag.REGISTERED_POOR}),
    )
    data = to_dict(h)
    assert data["flags"] == ["disaster_affected", "registered_poor"]
    assert from_dict(data, Household) == h


def test_bad_person_json_lists_problems_by_path_without_values() -> None:
    data = {
        "id": "p1",
        "name": "张\u200b三",
        "id_number": "110105194912310021",
        "phone": "12-34",
        "sex": "unknown",
        "birth_date": "1990-02-30",
    }
    error = refusal(data, Person)
    assert problems(error) == [
        ("$.name", "invalid"),
        ("$.id_number", "invalid"),
        ("$.sex", "unknown-value"),
        ("$.birth_date", "invalid-date"),
        ("$.phone", "invalid"),
    ]
    text = str(error)
    for secret in ("110105194912310021", "12-34", "张"):
        assert secret not in text
    assert "$.id_number: has a wrong check character" in text


def test_full_width_input_loads_normalised() -> None:
    data = {"id": "p1", "name": "张三", "id_number": "１１０１０５１９４９１２３１００２ｘ"}
    assert from_dict(data, Person).id_number == "11010519491231002X"


def test_a_record_level_disagreement_is_reported_at_the_field_it_blames() -> None:
    data = {"id": "p1", "name": "张三", "id_number": "11010519491231002X", "sex": "male"}
    error = refusal(data, Person)
    assert problems(error) == [("$.sex", "invalid")]
    assert "11010519491231002X" not in str(error)


def test_age_on_a_day_before_birth_is_refused_not_negative() -> None:
    p = Person(id="p1", name="李四", birth_date=date(2000, 2, 29))
    assert p.age_on(date(2000, 2, 29)) == 0
    assert p.age_on(date(2001, 2, 28)) == 0
    assert p.age_on(date(2001, 3, 1)) == 1
    with pytest.raises(ValueError, match="'day' is before the birth date") as info:
        p.age_on(date(1999, 1, 1))
    assert "2000" not in str(info.value)


@given(persons(), st.dates(max_value=date(2100, 12, 31)))
def test_an_age_is_never_negative(person: Person, day: date) -> None:
    born = person.born_on
    if born is None or day >= born:
        age = person.age_on(day)
        assert age is None or age >= 0
    else:
        with pytest.raises(ValueError, match="'day'"):
            person.age_on(day)


def test_a_birth_date_in_the_future_is_refused() -> None:
    future = date.today().replace(year=date.today().year + 1, month=1, day=1)
    with pytest.raises(ValueError, match="'birth_date' must not be in the future"):
        Person(id="p1", name="李四", birth_date=future)
    assert Person(id="p1", name="李四", birth_date=date.today()).birth_date == date.today()


def test_age_on_takes_a_date() -> None:
    p = Person(id="p1", name="李四", birth_date=date(2000, 2, 29))
    with pytest.raises(TypeError, match=r"'day' must be a datetime\.date"):
        p.age_on("2001-03-01")  # type: ignore[arg-type]


def _name_key_by_definition(name: str) -> str:
    """name_key's steps, each character through them, with no shortcut."""
    dots = set("\u00b7\u2027\u2022\u2219\u22c5\u30fb\uff65\u0387.")
    text = unicodedata.normalize("NFKC", name)
    kept = "".join(
        c
        for c in text
        if not (c.isspace() or c in dots or unicodedata.category(c)[0] in ("C", "Z"))
    )
    return unicodedata.normalize("NFKC", kept.casefold())


_IDEOGRAPH = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_NAME_TEXT = st.text(
    _IDEOGRAPH | st.characters(max_codepoint=127) | st.characters() | st.sampled_from("·・　"),
    max_size=12,
)


@given(
    st.text(_IDEOGRAPH, min_size=1, max_size=6)
    | st.text(st.characters(max_codepoint=127))
    | _NAME_TEXT
)
def test_name_key_equals_its_definition_step_by_step(name: str) -> None:
    assert name_key(name) == _name_key_by_definition(name)


def test_name_key_keeps_every_unified_ideograph_and_folds_every_ascii_character() -> None:
    for code in [*range(0x4E00, 0xA000), *range(128)]:
        c = chr(code)
        assert name_key(c) == _name_key_by_definition(c), hex(code)
        assert name_key(f"张{c}三") == _name_key_by_definition(f"张{c}三"), hex(code)
        assert name_key(f"Li{c}Ming") == _name_key_by_definition(f"Li{c}Ming"), hex(code)


_ID_OR_PHONE = (
    st.none()
    | st.sampled_from(
        [
            "11010519491231002X",
            "11010519491231002x",
            "１１０１０５１９４９１２３１００２x",
            "110105194912310021",
            "13800000000",
            "+8613800000000",
            "１３８００００００００",
            "1380000\u200b0000",
            "138-0000-0000",
            "",
            "x",
        ]
    )
    | st.text(max_size=20)
)


def _built(build: Any) -> tuple[Any, ...]:
    try:
        made = build()
    except (TypeError, ValueError) as exc:
        return ("error", type(exc), str(exc))
    return ("made", attrs.asdict(made, recurse=False))


@given(_ID_OR_PHONE, _ID_OR_PHONE)
def test_a_person_is_built_or_refused_as_attrs_own_init_does(id_number: Any, phone: Any) -> None:
    # Person's generated __init__ skips the ID number's and the phone's converters and
    # validators where their shortcuts say they would change and refuse nothing.
    from humanaid import records

    def by_attrs() -> Person:
        person = object.__new__(Person)
        records._ATTRS_INITS[Person](person, id="p1", name="张三", id_number=id_number, phone=phone)
        return person

    expected = _built(by_attrs)
    assert (
        _built(lambda: Person(id="p1", name="张三", id_number=id_number, phone=phone)) == expected
    )
