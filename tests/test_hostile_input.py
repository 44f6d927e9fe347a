"""The hostile-input corpus: every damaged input of every record type is refused, cleanly.

:mod:`humanaid.testing.hostile` damages one valid record of each type of
:func:`~humanaid.testing.record_strategies` in every way the corpus knows (floats, NaN,
numbers of thousands of digits, full-width and Arabic-Indic digits, impossible dates,
datetimes for dates, unknown and wrongly cased enum values, extra, repeated and missing
keys, nulls, wrong types, nesting thousands deep, zero-width and bidi characters, huge
strings, bytes that are not UTF-8, JSON cut short) and feeds each case through
``from_json``, ``from_dict``, JSON Lines and ``read_csv``. The law: every case is
refused with problems that each have a path and a code of ``ERROR_CODES``, and messages
that carry no control or invisible character; none is taken, none raises anything else,
and a CSV file goes on to read its good rows after the bad one. Its size and result are
printed at the end of the run (``tests/summaries.py``).
"""

from __future__ import annotations

import collections
import io
import time
from collections.abc import Callable
from typing import Any

import pytest

from humanaid import Dataset, Donation, InvalidInput, Person, from_dict, read_csv
from humanaid.errors import ERROR_CODES, LIMITS, hide_input_in_errors
from humanaid.testing import record_strategies
from humanaid.testing.hostile import HostileCase, example_records, hostile_inputs, outcome
from summaries import show

CHANNELS = ("json", "dict", "jsonl", "csv")


def corpus() -> list[HostileCase]:
    cases: list[HostileCase] = []
    for record_type, make in record_strategies().items():
        examples = example_records(make(), count=3)
        # The richest record of each type; the smallest dataset, whose records have cases
        # of their own (only the dataset's own keys and collections are damaged).
        example = examples[-1] if record_type is Dataset else examples[0]
        nested = 0 if record_type is Dataset else 2
        cases.extend(hostile_inputs(record_type, example, channels=CHANNELS, nested=nested))
    return cases


def test_every_hostile_input_is_refused_with_a_path_and_a_code(
    record_property: Callable[[str, object], None],
) -> None:
    started = time.perf_counter()
    cases = corpus()
    verdicts: collections.Counter[str] = collections.Counter()
    kinds: set[str] = set()
    wrong: list[str] = []
    for case in cases:
        result = outcome(case)
        verdicts[result.verdict] += 1
        kinds.add(case.kind)
        if result.verdict != "rejected":
            wrong.append(f"{result.verdict}: {case.label}: {result.detail[:160]}")
    seconds = time.perf_counter() - started
    types = len({c.record_type for c in cases})
    show(
        record_property,
        f"hostile-input corpus: {len(cases)} cases ({types} record types, {len(kinds)} kinds "
        f"of damage, 4 channels), {verdicts['rejected']} rejected with path and code, "
        f"{verdicts['crash']} crashes, {verdicts['accepted']} accepted, "
        f"{verdicts['unplaced']} unplaced ({seconds:.0f} s)",
    )
    assert not wrong, f"{len(wrong)} of {len(cases)} cases went wrong:\n" + "\n".join(wrong[:30])
    assert len(cases) > 5000
    assert types >= 40


@pytest.mark.parametrize(
    "kind",
    [
        "float",
        "nan",
        "huge-number",
        "tiny-number",
        "full-width-digits",
        "exotic-digits",
        "impossible-date",
        "datetime-for-date",
        "unknown-enum",
        "wrong-case-enum",
        "extra-key",
        "duplicate-key",
        "missing-key",
        "null",
        "wrong-type",
        "deep-nesting",
        "zero-width-space",
        "bidi-override",
        "huge-string",
        "invalid-utf8",
        "truncated-json",
    ],
)
def test_the_corpus_holds_every_kind_of_damage_the_issue_names(kind: str) -> None:
    from humanaid import Money

    cases = hostile_inputs(Donation, from_dict(GIFT, Donation), channels=("json", "dict"))
    assert any(c.kind == kind for c in cases) or kind in {
        k for c in hostile_inputs(Money, Money("1.00")) for k in [c.kind]
    }


GIFT: dict[str, Any] = {
    "id": "g1",
    "organization_id": "qujing",
    "received_on": "2020-01-05",
    "value": {"amount": "100.00", "currency": "CNY"},
    "items": [],
    "restricted_to": {"purpose": "助学", "fund_id": None, "project_id": None},
}


# -- the findings of the issue, one by one --------------------------------------------------


def test_deep_nesting_is_too_deep_at_its_path_not_a_recursion_error() -> None:
    deep: Any = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(InvalidInput) as info:
        from_dict({**GIFT, "items": deep}, Donation)
    (problem,) = info.value.problems
    assert problem.code == "too-deep"
    assert problem.path[:2] == ("items", 0)
    assert len(str(info.value)) < 500


def test_a_deep_json_cell_is_a_problem_on_its_row_and_the_rest_of_the_file_is_read() -> None:
    cell = "[" * 3000 + "]" * 3000
    text = f'id,kind,person_id,history\nc1,medical,p1,"{cell}"\nc2,medical,p1,"[]"\n'
    from humanaid import Case

    result = read_csv(io.StringIO(text), Case)
    assert next((p.row, p.column, p.code) for p in result.problems) == (2, "history", "too-deep")
    assert result.rows == 2  # row 3 was read too (its empty history is its own problem)


def test_a_number_of_5000_digits_is_a_problem_on_its_row() -> None:
    text = "id,members\nh1," + "9" * 5000 + "\nh2,3\n"
    from humanaid import Household

    result = read_csv(io.StringIO(text), Household)
    assert [(p.row, p.column, p.code) for p in result.problems] == [
        (2, "members", "too-many-digits")
    ]
    assert [h.id for h in result.records] == ["h2"]


def test_a_collection_given_as_one_object_never_echoes_the_persons_name() -> None:
    secret = "张秘密名字"
    with pytest.raises(InvalidInput) as info:
        from_dict({"persons": {"id": "p1", "name": secret}}, Dataset)
    assert secret not in str(info.value)
    assert [(p.location, p.code) for p in info.value.problems] == [("$.persons", "wrong-type")]


def test_a_revolving_funds_currency_is_reported_at_its_field() -> None:
    from humanaid import RevolvingFund

    data = {
        "id": "rf",
        "name": "青云村循环金",
        "project_id": "boai",
        "area_id": "qingyun",
        "terms": {"term_months": 12, "method": "interest_free"},
        "currency": "ZZQ",
    }
    with pytest.raises(InvalidInput) as info:
        from_dict(data, RevolvingFund)
    assert [(p.location, p.code) for p in info.value.problems] == [("$.currency", "invalid")]


@pytest.mark.parametrize("kind", ["name", "note", "description", "label"])
def test_every_kind_of_text_is_capped(kind: str) -> None:
    from humanaid.records import TEXT_KINDS, check_text

    cap = TEXT_KINDS[kind]
    assert check_text("x", "a" * cap, kind=kind) == "a" * cap
    with pytest.raises(ValueError, match=f"at most {cap} characters") as info:
        check_text("x", "a" * (cap + 1), kind=kind)
    assert info.value.code == "too-long"  # type: ignore[attr-defined]


def test_hiding_input_leaves_no_value_in_any_problem() -> None:
    bad = {**GIFT, "value": {"amount": "12.345", "currency": "cny"}, "received_on": "2020-02-30"}
    with hide_input_in_errors(), pytest.raises(InvalidInput) as info:
        from_dict(bad, Donation)
    assert all(p.got is None for p in info.value.problems)
    assert "12.345" not in str(info.value)
    assert "2020-02-30" not in str(info.value)
    with pytest.raises(InvalidInput) as shown:
        from_dict(bad, Donation)
    assert any(p.got is not None for p in shown.value.problems)


def test_every_code_a_limit_gives_is_documented() -> None:
    for code in ("too-deep", "too-long", "too-many-digits", "too-many-columns"):
        assert code in ERROR_CODES
    assert LIMITS["depth"] < 200  # far below the interpreter's recursion limit


def test_personal_data_in_a_wrongly_shaped_row_is_never_echoed() -> None:
    secret = "李秘密"
    with pytest.raises(InvalidInput) as info:
        from_dict({"id": "p1", "name": [secret]}, Person)
    assert secret not in str(info.value)
