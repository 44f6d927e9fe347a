"""JSON Schema: what to_json writes validates; what the schema refuses, the loader refuses."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given

from humanaid import (
    Dataset,
    Donation,
    Household,
    HouseholdFlag,
    InvalidInput,
    Money,
    Person,
    collection,
    from_dict,
    id_field,
    pii_field_names,
    references,
    text_field,
    to_dict,
    to_json,
)
from humanaid.schema import DRAFT, dataset_json_schema, json_schema
from humanaid.testing import datasets, record_strategies

STRATEGIES = record_strategies()
Validator = jsonschema.Draft202012Validator


def _validator(schema: dict[str, Any]) -> Any:
    return Validator(schema, format_checker=Validator.FORMAT_CHECKER)


def _errors(schema: dict[str, Any], data: Any) -> list[str]:
    return [e.message for e in _validator(schema).iter_errors(data)]


# -- what to_json writes, the schema takes -------------------------------------------------


@pytest.mark.parametrize("record_type", list(STRATEGIES), ids=[t.__name__ for t in STRATEGIES])
def test_every_schema_is_a_valid_draft_2020_12_schema(record_type: type) -> None:
    schema = json_schema(record_type)
    assert schema["$schema"] == DRAFT
    Validator.check_schema(schema)
    # plain JSON: the schema itself can be written and read back by any language
    assert json.loads(json.dumps(schema)) == schema


@pytest.mark.parametrize("make", list(STRATEGIES.values()), ids=[t.__name__ for t in STRATEGIES])
def test_every_record_to_json_writes_validates_against_its_schema(
    make: Callable[[], Any],
) -> None:
    schemas: dict[type, Any] = {}

    @given(make())
    def check(x: Any) -> None:
        t = type(x)
        if t not in schemas:
            schemas[t] = _validator(json_schema(t))
        data = json.loads(to_json(x))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in schemas[t].iter_errors(data)]
        assert errors == []

    check()


@given(datasets(max_size=3))
def test_every_dataset_to_json_writes_validates_against_the_dataset_schema(ds: Dataset) -> None:
    assert _errors(dataset_json_schema(), json.loads(to_json(ds))) == []


def test_the_dataset_schema_names_every_collection_and_refuses_others() -> None:
    schema = dataset_json_schema()
    assert set(schema["properties"]) == {"name", *Dataset.collection_types()}
    for name, record_type in Dataset.collection_types().items():
        ref = schema["properties"][name]["items"]["$ref"]
        assert schema["$defs"][ref.rsplit("/", 1)[1]]["title"] == record_type.__name__
    assert _errors(schema, {"gifts": []}) != []
    assert _errors(schema, {"donations": [{"id": "g1"}]}) != []  # a donation lacks fields
    assert _errors(schema, {}) == []
    assert json_schema(Dataset) == schema


def test_a_dataset_subclass_has_its_own_collections_in_its_schema() -> None:
    @attrs.frozen(kw_only=True)
    class Village:
        id: str = id_field()
        name: str = text_field(max_length=20)

    @attrs.frozen(kw_only=True)
    class VillageData(Dataset):
        villages: tuple[Village, ...] = collection(Village)

    schema = dataset_json_schema(VillageData)
    assert "villages" in schema["properties"]
    assert schema["$defs"]["Village"]["properties"]["name"]["maxLength"] == 20
    ok = {"villages": [{"id": "v1", "name": "下村"}]}
    assert _errors(schema, ok) == []
    assert _errors(schema, {"villages": [{"id": "v1", "name": "x" * 21}]}) != []


# -- what the schema refuses, the loader refuses too ---------------------------------------------


def _donation() -> dict[str, Any]:
    gift = Donation(
        id="g1",
        organization_id="qj",
        received_on=date(2020, 1, 5),
        value=Money("100.00"),
        donor_id="d1",
        receipt_number="R-1",
    )
    data: dict[str, Any] = to_dict(gift)
    return data


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data.pop(key) and None


BAD_DONATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "amount as a float": _set(("value", "amount"), 100.0),
    "amount with an exponent": _set(("value", "amount"), "1e2"),
    "amount with a thousands separator": _set(("value", "amount"), "1,000.00"),
    "a negative gift": _set(("value", "amount"), "-5.00"),
    "a gift of nothing": _set(("value", "amount"), "0.00"),
    "negative fees": _set(("fees", "amount"), "-1.00"),
    "a currency in lower case": _set(("value", "currency"), "cny"),
    "an unknown currency": _set(("value", "currency"), "XYZ"),
    "money with another key": _set(("value", "note"), "x"),
    "no id": _drop("id"),
    "no date": _drop("received_on"),
    "an unknown key": _set(("amount",), "100"),
    "an unknown channel": _set(("channel",), "cheque"),
    "an enum by its name": _set(("channel",), "OFFLINE"),
    "a date written 2020/1/5": _set(("received_on",), "2020/1/5"),
    "a date that does not exist": _set(("received_on",), "2023-02-30"),
    "a date with a time": _set(("received_on",), "2020-01-05T10:00:00"),
    "an id with a leading space": _set(("id",), " g1"),
    "an empty id": _set(("id",), ""),
    "an id with a control character": _set(("id",), "g\x001"),
    "an id with a zero-width space": _set(("id",), "g\u200b1"),
    "an id of 129 characters": _set(("id",), "g" * 129),
    "a reference as a number": _set(("donor_id",), 7),
    "a receipt number of spaces": _set(("receipt_number",), "   "),
    "a receipt number with a tab": _set(("receipt_number",), "R\t1"),
    "items as an object": _set(("items",), {}),
}


@pytest.mark.parametrize("change", BAD_DONATIONS.values(), ids=list(BAD_DONATIONS))
def test_what_the_schema_refuses_the_loader_refuses(
    change: Callable[[dict[str, Any]], None],
) -> None:
    good = _donation()
    schema = json_schema(Donation)
    assert _errors(schema, good) == []
    bad = copy.deepcopy(good)
    change(bad)
    assert _errors(schema, bad) != []
    with pytest.raises(InvalidInput):
        from_dict(bad, Donation)


def test_limits_of_counts_and_text_are_in_the_schema() -> None:
    household = json_schema(Household)
    good = to_dict(Household(id="h1", members=3, flags=frozenset({HouseholdFlag.REGISTERED_POOR})))
    assert _errors(household, good) == []
    for bad in (
        {**good, "members": 0},
        {**good, "members": True},
        {**good, "members": "3"},
        {**good, "flags": ["rich"]},
    ):
        assert _errors(household, bad) != []
        with pytest.raises(InvalidInput):
            from_dict(bad, Household)
    person = json_schema(Person)
    assert person["properties"]["name"]["anyOf"][0]["maxLength"] == 100
    named = to_dict(Person(id="p1", name="张三"))
    assert _errors(person, named) == []
    assert _errors(person, {**named, "name": "张" * 101}) != []


# -- annotations ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record_type",
    [t for t in STRATEGIES if attrs.has(t) and t is not Dataset],
    ids=lambda t: t.__name__,
)
def test_personal_data_and_references_are_annotated(record_type: type) -> None:
    props = json_schema(record_type)["properties"]
    pii = {k for k, v in props.items() if v.get("x-humanaid-pii")}
    assert pii == set(pii_field_names(record_type))
    refs = {k: v["x-humanaid-ref"] for k, v in props.items() if "x-humanaid-ref" in v}
    assert refs == references(record_type)


def test_money_has_a_schema_of_its_own() -> None:
    schema = json_schema(Money)
    assert _errors(schema, {"amount": "12.50", "currency": "CNY"}) == []
    assert _errors(schema, {"amount": 12.5, "currency": "CNY"}) != []
    assert schema["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"


@pytest.mark.parametrize("bad", [int, str, "Donation", Money("1")])
def test_a_schema_of_something_that_is_not_a_record_is_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match="record type"):
        json_schema(bad)
