from __future__ import annotations

import re
from datetime import date
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import villager
from humanaid import (
    KEY_MIN_BYTES,
    Case,
    CaseEvent,
    CaseStatus,
    Dataset,
    Household,
    HouseholdFlag,
    Person,
    Pseudonyms,
    Screening,
    ScreeningOutcome,
    from_json,
    pii_field,
    pseudonym,
    redact,
    suppress_small_cells,
    to_json,
)
from humanaid.testing import cases, chinese_names, households, persons, resident_ids

KEY = b"0123456789abcdef0123456789abcdef"
OTHER_KEY = b"fedcba9876543210fedcba9876543210"
ID = "11010519491231002X"


def person(**changes: Any) -> Person:
    born = {"id_number": ID, "birth_date": date(1949, 12, 31)}  # as the number says
    return villager(**{**born, "phone": "13800138000", **changes})


# -- pseudonyms --------------------------------------------------------------------------------


def test_a_pseudonym_is_keyed_deterministic_and_labelled() -> None:
    a = pseudonym(ID, key=KEY, kind="id_number")
    assert re.fullmatch(r"ps:[0-9a-f]{32}", a)
    assert a == pseudonym(ID, key=KEY, kind="id_number")
    assert a != pseudonym(ID, key=OTHER_KEY, kind="id_number")
    assert a != pseudonym(ID, key=KEY, kind="phone")
    assert ID not in a
    assert pseudonym("张\u200b三", key=KEY, kind="name") == pseudonym("张三", key=KEY, kind="name")
    assert pseudonym("张\u200b三", key=KEY, kind="phone") != pseudonym(
        "张三", key=KEY, kind="phone"
    )
    assert pseudonym(ID, key=bytearray(KEY), kind="id_number") == a


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "a secret 'key' is required"),
        ("a string key of many characters", "'key' must be bytes of at least 16 bytes"),
        (b"", "'key' must be at least 16 bytes long (got 0)"),
        (b"x" * (KEY_MIN_BYTES - 1), "'key' must be at least 16 bytes long (got 15)"),
    ],
)
def test_a_missing_or_weak_key_is_refused(key: Any, message: str) -> None:
    with pytest.raises(ValueError, match="'key'") as info:
        pseudonym(ID, key=key, kind="id_number")
    assert str(info.value).startswith(message)
    with pytest.raises(ValueError, match="'key'") as info:
        redact(person(), key=key)
    assert str(info.value).startswith(message)


# -- redaction ---------------------------------------------------------------------------------


def test_redact_replaces_identifiers_and_drops_the_rest() -> None:
    p = person()
    r = redact(p, key=KEY)
    assert (r.name, r.id_number, r.phone, r.location) == (None, None, None, None)
    assert r.pseudonyms == Pseudonyms(
        name=pseudonym("张三", key=KEY, kind="name"),
        id_number=pseudonym(ID, key=KEY, kind="id_number"),
        phone=pseudonym("13800138000", key=KEY, kind="phone"),
    )
    assert (r.id, r.household_id, r.area_id, r.birth_date) == (
        "p1",
        "h1",
        "qilin",
        date(1949, 12, 31),
    )
    assert r.is_redacted
    assert from_json(to_json(r), Person) == r
    assert redact(r, key=KEY) == r  # redacting twice changes nothing more
    assert redact(p, key=KEY) == r  # same key, same pseudonyms


def test_redact_keeps_what_is_already_absent() -> None:
    r = redact(Person(id="p2", name="李四"), key=KEY)
    assert r.pseudonyms == Pseudonyms(name=pseudonym("李四", key=KEY, kind="name"))


def test_redact_drops_addresses_conditions_and_notes() -> None:
    home = Household(
        id="h1", members=3, address="东村3组12号", flags=frozenset({HouseholdFlag.REGISTERED_POOR})
    )
    assert redact(home, key=KEY) == attrs.evolve(home, address=None)
    case = Case.refer(
        id="c1",
        kind="medical",
        person_id="p1",
        condition="cataract",
        on=date(2020, 1, 1),
        note="张三 白内障",
    )
    r = redact(case, key=KEY)
    assert r.condition is None
    assert r.history == (CaseEvent(status=CaseStatus.REFERRED, on=date(2020, 1, 1)),)
    s = Screening(
        id="s1",
        person_id="p1",
        program_id="eyes",
        on=date(2020, 1, 1),
        outcome=ScreeningOutcome.POSITIVE,
    )
    assert redact(s, key=KEY) is s


def test_redact_works_on_a_whole_dataset() -> None:
    ds = Dataset(
        name="2020",
        persons=(person(), person(id="p2", id_number=None, name="李四", phone=None)),
        households=(Household(id="h1", members=3, address="东村3组12号"),),
        cases=(
            Case.refer(
                id="c1", kind="medical", person_id="p1", condition="cataract", on=date(2020, 1, 1)
            ),
        ),
    )
    r = redact(ds, key=KEY)
    assert r.counts() == ds.counts()
    text = to_json(r)
    for secret in ("张三", "李四", ID, "13800138000", "东村", "cataract"):
        assert secret not in text
    assert from_json(text, Dataset) == r
    assert r.validate().where(rule="integrity.") == ds.validate().where(rule="integrity.")


def test_an_id_that_holds_personal_data_is_refused() -> None:
    with pytest.raises(ValueError, match="id contains its own 'id_number'") as info:
        redact(person(id=f"p-{ID}"), key=KEY)
    assert ID not in str(info.value)
    with pytest.raises(ValueError, match="'phone'"):
        redact(Dataset(persons=(person(id="tel-13800138000"),)), key=KEY)


@attrs.frozen(kw_only=True)
class Volunteer:
    id: str
    name: str = pii_field()
    phone: str | None = pii_field(default=None)


@attrs.frozen(kw_only=True)
class Patient:
    id: str
    blood_type: int = pii_field()


def test_other_records_are_redacted_by_their_field_metadata() -> None:
    v = redact(Volunteer(id="v1", name="王五", phone="13912345678"), key=KEY)
    assert v == Volunteer(id="v1", name=pseudonym("王五", key=KEY, kind="name"), phone=None)
    with pytest.raises(TypeError, match=r"cannot redact Patient\.blood_type"):
        redact(Patient(id="x", blood_type=1), key=KEY)
    with pytest.raises(TypeError, match="redact\\(\\) takes a record or a dataset"):
        redact({"name": "张三"}, key=KEY)


@st.composite
def populations(draw: st.DrawFn) -> Dataset:
    n = draw(st.integers(1, 8))
    people = [
        attrs.evolve(
            draw(persons(redacted=False)),
            id=f"p{i}",
            name=draw(chinese_names()),
            household_id=f"h{i % 3}",
        )
        for i in range(n)
    ]
    homes = [attrs.evolve(draw(households()), id=f"h{i}", head_id=f"p{i}") for i in range(3)]
    some_cases = [
        attrs.evolve(draw(cases(kind=None)), id=f"c{i}", person_id=f"p{i % n}")
        for i in range(draw(st.integers(0, 4)))
    ]
    return Dataset(persons=tuple(people), households=tuple(homes), cases=tuple(some_cases))


def _personal_values(ds: Dataset) -> set[str]:
    values: set[str] = set()
    for p in ds.persons:
        values |= {v for v in (p.name, p.id_number, p.phone, p.location) if v is not None}
    values |= {h.address for h in ds.households if h.address is not None}
    for c in ds.cases:
        values |= {e.note for e in c.history if e.note is not None}
    return values


@given(populations(), st.binary(min_size=KEY_MIN_BYTES, max_size=40))
def test_redact_leaves_no_raw_identifier_in_the_json(ds: Dataset, key: bytes) -> None:
    redacted = redact(ds, key=key)
    text = to_json(redacted)
    leaked = [v for v in _personal_values(ds) if v in text]
    assert not leaked
    conditions = {c.condition for c in redacted.cases}
    assert conditions <= {None}
    assert from_json(text, Dataset) == redacted
    assert redact(redacted, key=key) == redacted


@given(resident_ids(), st.binary(min_size=16, max_size=32), st.binary(min_size=16, max_size=32))
def test_pseudonyms_differ_under_different_keys(number: str, a: bytes, b: bytes) -> None:
    if a == b:
        return
    assert pseudonym(number, key=a, kind="id_number") != pseudonym(number, key=b, kind="id_number")


# -- small-cell suppression --------------------------------------------------------------------


def test_small_counts_and_their_complements_are_blanked() -> None:
    table = {("A", "x"): 12, ("A", "y"): 3, ("A", "z"): 9, ("B", "x"): 8, ("B", "y"): 10}
    s = suppress_small_cells(table, k=5)
    assert s.get("B", "z") == 0  # a missing pair is a published zero
    assert s.primary == {("A", "y")}
    assert s.blanked == s.primary | s.secondary
    assert s.get("A", None) == 24
    assert s.get(None, None) == 42
    assert s.rows == ("A", "B")
    assert s.columns == ("x", "y", "z")
    assert all(s.cells[cell] == table.get(cell, 0) for cell in s.cells if cell not in s.blanked)


def test_a_small_total_is_blanked_too() -> None:
    s = suppress_small_cells({("A", "x"): 2, ("A", "y"): 1, ("B", "x"): 7, ("B", "y"): 6}, k=5)
    assert ("A", None) in s.primary
    assert s.get("A", None) is None
    assert s.get("A", "x") is None
    assert s.get("A", "y") is None


def test_a_one_column_table_blanks_two_rows() -> None:
    s = suppress_small_cells({("A", "n"): 3, ("B", "n"): 40, ("C", "n"): 25}, k=5)
    assert s.get("A", "n") is None
    assert s.get("A", None) is None
    blanked_rows = {r for r, _ in s.blanked}
    assert len(blanked_rows - {None}) >= 2


def test_nothing_is_blanked_without_small_counts() -> None:
    table = {("A", "x"): 5, ("A", "y"): 0, ("B", "x"): 6, ("B", "y"): 50}
    s = suppress_small_cells(table, k=5)
    assert not s.blanked
    assert suppress_small_cells(table, k=1).blanked == frozenset()
    assert suppress_small_cells({}).total == 0


@pytest.mark.parametrize(
    ("table", "k", "error", "message"),
    [
        ({("A", "x"): -1}, 5, ValueError, "counts must not be negative"),
        ({("A", "x"): 1.0}, 5, TypeError, "counts must be int"),
        ({("A", "x"): True}, 5, TypeError, "counts must be int"),
        ({(None, "x"): 1}, 5, ValueError, "table labels must not be None"),
        ({"A": 1}, 5, TypeError, "table keys must be (row, column) pairs"),
        ({("A", "x"): 1}, 0, ValueError, "'k' must be at least 1"),
    ],
)
def test_bad_tables_are_refused(table: Any, k: int, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        suppress_small_cells(table, k=k)
    assert str(info.value).startswith(message)


def _determined(
    blanked: frozenset[tuple[Any, Any]], rows: tuple[Any, ...], cols: tuple[Any, ...]
) -> set[Any]:
    """Blanked positions whose value follows from the published cells and totals.

    Independent of the implementation: exact linear algebra over the row and column
    equations of the table with its totals (None labels the totals).
    """
    unknowns = sorted(blanked, key=repr)
    index = {u: n for n, u in enumerate(unknowns)}

    def adds_up(cells: list[tuple[Any, Any]], total: tuple[Any, Any]) -> list[Fraction]:
        """The equation: the blanked ``cells`` of a line less its blanked ``total``."""
        eq = [Fraction(0)] * len(unknowns)
        for cell in cells:
            if cell in index:
                eq[index[cell]] += 1
        if total in index:
            eq[index[total]] -= 1
        return eq

    equations = [
        *(adds_up([(r, c) for c in cols], (r, None)) for r in (*rows, None)),
        *(adds_up([(r, c) for r in rows], (None, c)) for c in (*cols, None)),
    ]
    base = _rank(equations)
    found = set()
    for u, n in index.items():
        unit = [Fraction(0)] * len(unknowns)
        unit[n] = Fraction(1)
        if _rank([*equations, unit]) == base:
            found.add(u)
    return found


def _rank(matrix: list[list[Fraction]]) -> int:
    m = [row[:] for row in matrix]
    rank = 0
    cols = len(m[0]) if m else 0
    for col in range(cols):
        pivot = next((r for r in range(rank, len(m)) if m[r][col] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for r in range(len(m)):
            if r != rank and m[r][col] != 0:
                factor = m[r][col] / m[rank][col]
                m[r] = [a - factor * b for a, b in zip(m[r], m[rank], strict=True)]
        rank += 1
    return rank


tables = st.integers(1, 5).flatmap(
    lambda n_rows: st.integers(1, 5).flatmap(
        lambda n_cols: st.fixed_dictionaries(
            {
                (f"r{i}", f"c{j}"): st.integers(0, 12) | st.integers(1, 4)
                for i in range(n_rows)
                for j in range(n_cols)
            }
        )
    )
)


@given(tables, st.integers(1, 8))
def test_no_blanked_count_can_be_worked_out_from_the_totals(
    table: dict[tuple[str, str], int], k: int
) -> None:
    s = suppress_small_cells(table, k=k)
    assert not _determined(s.blanked, s.rows, s.columns)


@given(tables, st.integers(1, 8))
def test_every_small_count_is_blanked_and_every_published_count_is_true(
    table: dict[tuple[str, str], int], k: int
) -> None:
    s = suppress_small_cells(table, k=k)
    for cell, count in table.items():
        if 0 < count < k:
            assert cell in s.primary
        if cell not in s.blanked:
            assert s.get(*cell) == count
    for r in s.rows:
        total = sum(table[(r, c)] for c in s.columns)
        assert s.get(r, None) in (None, total)
        assert ((r, None) in s.primary) == (0 < total < k)
    assert s.total in (None, sum(table.values()))
    assert not (s.primary & s.secondary)


@given(tables)
def test_rows_and_columns_never_have_exactly_one_blank(table: dict[tuple[str, str], int]) -> None:
    s = suppress_small_cells(table, k=5)
    for r in (*s.rows, None):
        assert sum(1 for c in (*s.columns, None) if (r, c) in s.blanked) != 1
    for c in (*s.columns, None):
        assert sum(1 for r in (*s.rows, None) if (r, c) in s.blanked) != 1


# -- found in review ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "written", "stored"),
    [
        ("id_number", ID.lower(), ID),
        ("id_number", "１１０１０５１９４９１２３１００２Ｘ", ID),
        ("phone", "１３８００１３８０００", "13800138000"),
    ],
)
def test_a_pseudonym_is_taken_of_the_identifier_as_a_person_stores_it(
    kind: str, written: str, stored: str
) -> None:
    # The same number written another way must link to the redacted record.
    fields: dict[str, Any] = {kind: written}
    redacted = redact(Person(id="p1", name="张三", **fields), key=KEY)
    assert redacted.pseudonyms is not None
    assert getattr(redacted.pseudonyms, kind) == pseudonym(stored, key=KEY, kind=kind)
    assert pseudonym(written, key=KEY, kind=kind) == pseudonym(stored, key=KEY, kind=kind)


@pytest.mark.parametrize(
    ("record_id", "changes", "field"),
    [
        ("张三-01", {}, "name"),
        ("p-张 三", {}, "name"),
        ("p-zhangsan", {"name": "Zhang San"}, "name"),
        (f"p-{ID.lower()}", {}, "id_number"),
    ],
)
def test_an_id_that_holds_a_short_or_differently_written_identifier_is_refused(
    record_id: str, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValueError, match=f"id contains its own '{field}'") as info:
        redact(person(id=record_id, **changes), key=KEY)
    assert "张三" not in str(info.value)
    assert ID not in str(info.value)
    # short Latin names are not looked for: "Li" is in too many ids by chance
    redact(person(id="client-1", name="Li"), key=KEY)


@attrs.frozen(kw_only=True)
class Team:
    id: str
    members: frozenset[Volunteer] = frozenset()
    reserves: list[Volunteer] = attrs.field(factory=list)
    by_role: dict[str, Volunteer] = attrs.field(factory=dict)


def test_redact_reaches_records_in_frozensets_lists_and_dicts() -> None:
    team = Team(
        id="t1",
        members=frozenset({Volunteer(id="v1", name="王五", phone="13912345678")}),
        reserves=[Volunteer(id="v2", name="赵六")],
        by_role={"lead": Volunteer(id="v3", name="钱七")},
    )
    r = redact(team, key=KEY)
    names = {v.name for v in (*r.members, *r.reserves, *r.by_role.values())}
    assert names == {pseudonym(n, key=KEY, kind="name") for n in ("王五", "赵六", "钱七")}
    assert {v.phone for v in r.members} == {None}
    assert type(r.members) is frozenset
    assert type(r.reserves) is list
    assert list(r.by_role) == ["lead"]
    assert redact(r, key=KEY) == r


def test_redacting_required_personal_text_twice_changes_nothing_more() -> None:
    once = redact(Volunteer(id="v1", name="王五"), key=KEY)
    assert redact(once, key=KEY) == once
