"""humanaid.errors: structured field errors, the limits, hiding input, and the PII law.

The law of the issue: across generated records of every type with a personal or
sensitive field (persons, households, cases, donors, volunteers, hours, members,
certificates, blood donations, donor registrations and consent withdrawals), no personal
value appears in any ``repr``, error, finding, redacted export or summary, whatever shape
the bad input takes.
"""

from __future__ import annotations

import enum
import io
import json
import pickle
from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import (
    Dataset,
    InvalidInput,
    Money,
    Organization,
    OrgLevel,
    Period,
    blood_figures,
    first_aiders,
    from_dict,
    from_json,
    read_csv,
    redact,
    registration_figures,
    services_summary,
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
from humanaid.records import (
    TEXT_KINDS,
    is_pii,
    pii_field_names,
    sensitive_field_names,
    text_field,
)
from humanaid.summaries import medical_summary, relief_summary, top_donors
from humanaid.testing import (
    blood_donations,
    cases,
    certificates,
    consent_withdrawals,
    donor_registrations,
    donors,
    households,
    members,
    persons,
    service_hours,
    volunteers,
)

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


_LONGEST = max(TEXT_KINDS.values())
"""More characters than any text field holds, a note's or a description's too."""


def _damaged(data: dict[str, Any], record: Any) -> Iterator[Any]:
    """The record's data in shapes it must never be given in."""
    for a in attrs.fields(type(record)):
        key = a.alias or a.name
        value = data.get(key)
        if is_pii(a) and isinstance(value, str):
            yield {**data, key: [value]}  # a list where the text belongs
            yield {**data, key: {"value": value}}  # an object
            yield {**data, key: value + "\x00"}  # a control character
            yield {**data, key: value * (_LONGEST // max(len(value), 1) + 1)}  # too long
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
    with pytest.raises(InvalidInput) as info:
        from_dict({_COLLECTION[cls]: data}, Dataset)  # one record where a list belongs
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


_COLLECTION: dict[type, str] = {t: n for n, t in Dataset.collection_types().items()}
"""The collection of each record type, for a record given where its list belongs."""

PERSONAL: dict[str, st.SearchStrategy[Any]] = {
    "persons": persons(),
    "households": households(),
    "cases": cases(),
    "donors": donors(),
    "volunteers": volunteers(),
    "service_hours": service_hours(),
    "members": members(),
    "certificates": certificates(),
    "blood_donations": blood_donations(),
    "donor_registrations": donor_registrations(),
    "consent_withdrawals": consent_withdrawals(),
}
"""A strategy for every collection whose records have a personal or sensitive field."""

_SOCIETY = Organization(id="org-rc", name="某红十字会", level=OrgLevel.COUNTY)


def test_the_law_covers_every_record_type_with_a_personal_field() -> None:
    personal = {n for n, t in Dataset.collection_types().items() if pii_field_names(t)}
    assert set(PERSONAL) == personal  # a new type with personal data joins the law here
    assert {n for n in personal if sensitive_field_names(Dataset.collection_types()[n])} == {
        "blood_donations",
        "donor_registrations",
        "consent_withdrawals",
    }


@st.composite
def _personal_records(draw: st.DrawFn) -> dict[str, list[Any]]:
    """One to three persons and up to two records of each other personal type, ids unique."""
    drawn: dict[str, list[Any]] = {}
    for name, strategy in PERSONAL.items():
        low, high = (1, 3) if name == "persons" else (0, 2)
        drawn[name] = draw(st.lists(strategy, min_size=low, max_size=high, unique_by=_id))
    return drawn


def _id(record: Any) -> str:
    ident: str = record.id
    return ident


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_personal_records())
def test_no_personal_value_appears_in_any_repr_error_finding_redacted_export_or_summary(
    drawn: dict[str, list[Any]],
) -> None:
    records: list[Any] = [r for rs in drawn.values() for r in rs]
    secrets = _secrets(records)
    collections: dict[str, Any] = {name: tuple(rs) for name, rs in drawn.items()}
    dataset = Dataset(organizations=(_SOCIETY,), **collections)
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
    outputs.append(str(top_donors(dataset, donors=drawn["donors"])))
    outputs.append(str(services_summary(dataset, 2022, organization_id=_SOCIETY.id)))
    outputs.append(str(first_aiders(dataset, on=date(2022, 6, 30))))
    outputs.append(str(blood_figures(dataset)))
    outputs.append(str(registration_figures(dataset)))
    for text in outputs:
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"personal data {leaked} in: {text[:300]}"
