"""humanaid.errors: structured field errors, the limits, hiding input, and the PII law.

The law of the issue: across generated persons, households, cases and donors, no
personal value appears in any ``repr``, error, finding, redacted export or summary,
whatever shape the bad input takes.
"""

from __future__ import annotations

import enum
import io
import json
import pickle
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import (
    Dataset,
    Donor,
    Household,
    InvalidInput,
    Money,
    Period,
    Person,
    from_dict,
    from_json,
    read_csv,
    redact,
    to_dict,
    to_json,
    write_csv,
)
from humanaid.errors import (
    ERROR_CODES,
    LIMITS,
    FieldError,
    FieldTypeError,
    FieldValueError,
    Problem,
    hide_input_in_errors,
    input_hidden,
    shown,
)
from humanaid.records import is_pii, text_field
from humanaid.summaries import medical_summary, relief_summary, top_donors
from humanaid.testing import cases, donors, households, persons

# -- FieldError ----------------------------------------------------------------------------------


def test_a_field_error_is_the_builtin_error_it_replaces() -> None:
    err = FieldValueError("value", "must be positive", -5)
    assert isinstance(err, ValueError)
    assert isinstance(err, FieldError)
    assert not isinstance(err, TypeError)
    assert isinstance(FieldTypeError("x", "must be a str", 1, code="wrong-type"), TypeError)
    assert (err.field, err.code, err.rule, err.value, err.pii) == (
        "value",
        "invalid",
        "must be positive",
        -5,
        False,
    )


def test_a_field_error_places_itself_and_keeps_personal_values_out_of_its_text() -> None:
    err = FieldValueError("names", "must not be empty", "张三", pii=True, at=(2,))
    assert str(err) == "'names[2]' must not be empty"
    assert err.path == ("names", 2)
    assert err.value == "张三"  # for the program that caught it
    assert err.problem("persons", 0) == Problem(
        path=("persons", 0, "names", 2), code="invalid", message="must not be empty"
    )


def test_a_field_error_survives_pickling_with_its_structure() -> None:
    err = FieldValueError("amount", "too many digits", "9" * 40, code="too-many-digits")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is FieldValueError
    assert (back.field, back.code, back.value, str(back)) == (
        err.field,
        err.code,
        err.value,
        str(err),
    )


def test_every_helper_raises_a_field_error_with_a_documented_code() -> None:
    @attrs.frozen
    class Note:
        text: str = text_field(kind="label")

    for make in (
        lambda: Note("x" * 101),
        lambda: Note(""),
        lambda: Note("a\x00"),
        lambda: Note(5),  # type: ignore[arg-type]
        lambda: Money("1.234"),
        lambda: Money("1", "cny"),
        lambda: Money("9" * 40),
        lambda: Period.parse("2020-13"),
    ):
        with pytest.raises(FieldError) as info:
            make()
        assert info.value.code in ERROR_CODES


def test_shown_is_short_and_safe_for_any_value() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert len(shown(deep)) <= 80
    assert len(shown("x" * 10**6)) <= 80
    assert shown(10**5000) == "<an integer of 5001 digits>"
    assert "\x1b" not in shown("\x1b[2J")
    assert "\u202e" not in shown("\u202e")


# -- hiding input ---------------------------------------------------------------------------------


def test_hiding_input_is_a_switch_and_a_context_manager() -> None:
    assert not input_hidden()
    with hide_input_in_errors():
        assert input_hidden()
        assert Problem(path=(), code="invalid", message="m", got="'x'").got is None
        assert str(FieldValueError("n", "must be positive", -1)) == "'n' must be positive"
        with hide_input_in_errors(False):
            assert not input_hidden()
        assert input_hidden()
    assert not input_hidden()
    switch = hide_input_in_errors(True)
    try:
        assert input_hidden()
    finally:
        switch.__exit__(None, None, None)
    assert not input_hidden()
    with pytest.raises(TypeError):
        hide_input_in_errors("yes")  # type: ignore[arg-type]


def test_hiding_input_hides_csv_cells_too() -> None:
    text = "id,organization_id,received_on,value,currency\ng1,q,2020-02-30,1.234,CNY\n"
    from humanaid import Donation

    with hide_input_in_errors():
        result = read_csv(io.StringIO(text), Donation)
    assert result.problems
    assert all(p.got is None for p in result.problems)
    assert "2020-02-30" not in "\n".join(str(p) for p in result.problems)


def test_the_limits_are_stated_and_reasonable() -> None:
    assert set(LIMITS) >= {"depth", "digits", "integer_digits", "line_length", "columns"}
    assert LIMITS["id_length"] == 128
    assert LIMITS["name_length"] < LIMITS["note_length"] < LIMITS["description_length"]


# -- the PII law ----------------------------------------------------------------------------------


def _personal_values(record: Any) -> Iterator[str]:
    """The personal values a record holds (its pii fields, in nested records too)."""
    if not attrs.has(type(record)):
        return
    for a in attrs.fields(type(record)):
        value = getattr(record, a.name)
        if is_pii(a) and isinstance(value, str) and not isinstance(value, enum.Enum):
            yield value  # (an enum's value is one of its members, which messages list)
        elif isinstance(value, tuple):
            for item in value:
                yield from _personal_values(item)
        elif attrs.has(type(value)):
            yield from _personal_values(value)


def _texts(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for k, v in data.items():
            yield k
            yield from _texts(v)
    elif isinstance(data, list):
        for v in data:
            yield from _texts(v)


def _secrets(records: list[Any]) -> set[str]:
    """Personal values distinctive enough to look for in text (not also public data)."""
    personal = {v for r in records for v in _personal_values(r)}
    public: set[str] = set()
    for r in records:
        data = to_dict(r)
        pii = set(_personal_values(r))
        public.update(t for t in _texts(data) if t not in pii)
    return {
        v
        for v in personal
        if (len(v) >= 6 or (not v.isascii() and len(v) >= 2)) and not any(v in t for t in public)
    }


def _damaged(data: dict[str, Any], record: Any) -> Iterator[Any]:
    """The record's data in shapes it must never be given in."""
    for a in attrs.fields(type(record)):
        key = a.alias or a.name
        value = data.get(key)
        if is_pii(a) and isinstance(value, str):
            yield {**data, key: [value]}  # a list where the text belongs
            yield {**data, key: {"value": value}}  # an object
            yield {**data, key: value + "\x00"}  # a control character
            yield {**data, key: value * 300}  # too long
            yield {**data, key: value, "id": ""}  # another field wrong too
            yield {**data, "zz_extra": value}  # under a key the record does not have
    yield [data]  # an array where the record belongs
    yield {**data, "id": data}  # the record inside its own id


def _errors(record: Any) -> Iterator[str]:
    cls = type(record)
    data = to_dict(record)
    for bad in _damaged(data, record):
        with pytest.raises(InvalidInput) as info:
            from_dict(bad, cls)
        yield str(info.value)
        yield repr(info.value.problems)
    plural = {Person: "persons", Household: "households", Donor: "donors"}.get(cls, "cases")
    with pytest.raises(InvalidInput) as info:
        from_dict({plural: data}, Dataset)  # one record where a list belongs
    yield str(info.value)
    text = to_json(record)
    for cut in (len(text) // 3, len(text) - 2):
        with pytest.raises(InvalidInput) as info:
            from_json(text[:cut], cls)
        yield str(info.value)
    buf = io.StringIO()
    write_csv([record], buf)
    header, row = buf.getvalue().splitlines()[:2]
    broken = row.replace(",", ",\x00", 1)  # a NUL at the start of the second cell
    result = read_csv(io.StringIO(f"{header}\n{broken}\n{row},extra\n"), cls)
    yield "\n".join(str(p) for p in result.problems)
    yield repr(result.problems)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(persons(), min_size=1, max_size=3, unique_by=lambda p: p.id),
    st.lists(households(), max_size=2, unique_by=lambda h: h.id),
    st.lists(cases(), max_size=2, unique_by=lambda c: c.id),
    st.lists(donors(), max_size=3, unique_by=lambda d: d.id),
)
def test_no_personal_value_appears_in_any_repr_error_finding_redacted_export_or_summary(
    people: list[Person], homes: list[Household], case_list: list[Any], givers: list[Donor]
) -> None:
    records: list[Any] = [*people, *homes, *case_list, *givers]
    secrets = _secrets(records)
    dataset = Dataset(
        persons=tuple(people), households=tuple(homes), cases=tuple(case_list), donors=tuple(givers)
    )
    outputs: list[str] = [repr(r) for r in records]
    outputs.append(repr(dataset))
    for record in records:
        outputs.extend(_errors(record))
    findings = dataset.validate()
    outputs.append(str(findings))
    outputs.extend(json.dumps(to_dict(f)) for f in findings)
    outputs.append(to_json(redact(dataset, key=b"k" * 32)))
    outputs.append(str(relief_summary(dataset)))
    outputs.append(str(medical_summary(dataset)))
    outputs.append(str(top_donors(dataset, donors=givers)))
    for text in outputs:
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"personal data {leaked} in: {text[:300]}"
