from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from builders import flow
from humanaid import (
    AdminArea,
    AdminLevel,
    Case,
    CaseKind,
    Dataset,
    Distribution,
    Finding,
    Flow,
    FlowKind,
    Household,
    Money,
    Party,
    Person,
    Severity,
    name_key,
    payments_before_case,
    redact,
    resident_id_check_char,
)
from humanaid.rules import (
    BUILTIN_RULES,
    case_payments_in_ledger,
    duplicate_id_numbers,
    duplicate_open_cases,
    household_heads_at_home,
    households_not_overfull,
    paid_over_approved,
    payments_after_their_case,
    probable_duplicate_persons,
    repeated_distributions,
)
from humanaid.rules.beneficiaries import areas_within_their_parents
from humanaid.testing import chinese_names, resident_ids

DAY = date(2020, 3, 2)
KEY = b"0123456789abcdef0123456789abcdef"
MINE = (
    duplicate_id_numbers,
    probable_duplicate_persons,
    repeated_distributions,
    households_not_overfull,
    household_heads_at_home,
    duplicate_open_cases,
    paid_over_approved,
    case_payments_in_ledger,
)


def make_id(born: str = "19900101", order: str = "123") -> str:
    first17 = "530302" + born + order
    return first17 + resident_id_check_char(first17)


def found(dataset: Dataset, rule: Any) -> list[tuple[str | None, dict[str, Any]]]:
    return [(f.subject, dict(f.figures)) for f in rule(dataset)]


def test_the_rules_are_built_in() -> None:
    for rule in MINE:
        assert rule in BUILTIN_RULES


def clean() -> Dataset:
    return Dataset(
        persons=(
            Person(id="p1", name="张三", id_number=make_id(), household_id="h1", area_id="a"),
            Person(
                id="p2", name="张三", birth_date=date(1990, 1, 2), household_id="h1", area_id="a"
            ),
            Person(id="p3", name="张三", birth_date=date(1990, 1, 1), area_id="b"),
        ),
        households=(Household(id="h1", head_id="p1", members=3, area_id="a"),),
        cases=(
            Case.refer(id="c1", kind="medical", person_id="p1", condition="cataract", on=DAY),
            Case.refer(id="c2", kind="medical", person_id="p1", condition="leukaemia", on=DAY),
        ),
        distributions=tuple(
            Distribution(
                id=id_, household_id="h1", on=DAY, value=Money(value), campaign_id=campaign, round=n
            )
            for id_, value, campaign, n in (
                ("d1", "100", "boai-2020", 1),
                ("d2", "50", "boai-2020", 1),
                ("d3", "100", "boai-2021", 2),
            )
        ),
    )


def test_a_clean_dataset_gives_no_findings() -> None:
    ds = clean()
    for rule in MINE:
        assert list(rule(ds)) == [], rule.__name__
    assert not ds.validate().where(rule="beneficiaries.")
    assert not ds.validate().where(rule="cases.")


# -- duplicates --------------------------------------------------------------------------------


def test_the_same_id_number_on_two_persons() -> None:
    ds = attrs.evolve(
        clean(),
        persons=(*clean().persons, Person(id="p9", name="李四", id_number=make_id().lower())),
    )
    assert found(ds, duplicate_id_numbers) == [("p9", {"same_as": "p1"})]
    (f,) = duplicate_id_numbers(ds)
    assert f.severity is Severity.ERROR
    assert f.rule == "beneficiaries.duplicate-id-number"
    assert make_id() not in f.message


@pytest.mark.parametrize("spelling", ["张三", "张 三", "张\u3000三", " 张三", "张三 "])
def test_same_name_birth_date_and_area_is_a_probable_duplicate(spelling: str) -> None:
    twin = Person(id="p9", name=spelling, birth_date=date(1990, 1, 1), area_id="a")
    ds = attrs.evolve(clean(), persons=(*clean().persons, twin))
    assert found(ds, probable_duplicate_persons) == [("p9", {"same_as": "p1", "area": "a"})]


def test_the_area_may_come_from_the_household() -> None:
    twin = Person(id="p9", name="张三", birth_date=date(1990, 1, 2), household_id="h1")
    ds = attrs.evolve(clean(), persons=(*clean().persons, twin))
    assert found(ds, probable_duplicate_persons) == [("p9", {"same_as": "p2", "area": "a"})]


def test_a_shared_id_number_is_reported_once() -> None:
    copy = Person(id="p9", name="张 三", id_number=make_id(), area_id="a")
    ds = attrs.evolve(clean(), persons=(*clean().persons, copy))
    assert found(ds, duplicate_id_numbers) == [("p9", {"same_as": "p1"})]
    assert found(ds, probable_duplicate_persons) == []


def test_persons_missing_a_birth_date_or_area_are_not_compared() -> None:
    ds = Dataset(
        persons=(
            Person(id="p1", name="张三", area_id="a"),
            Person(id="p2", name="张三", area_id="a"),
            Person(id="p3", name="张三", birth_date=DAY),
            Person(id="p4", name="张三", birth_date=DAY),
        )
    )
    assert found(ds, probable_duplicate_persons) == []


def _born(number: str | None, born: date) -> date:
    if number is None:
        return born
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


@st.composite
def populations(draw: st.DrawFn) -> tuple[Dataset, dict[str, str], dict[str, str]]:
    """Distinct people, then planted duplicates: (dataset, exact copies, probable copies)."""
    people = draw(
        st.lists(
            st.tuples(
                chinese_names(),
                st.one_of(st.none(), resident_ids(min_birth=date(1930, 1, 1))),
                st.dates(min_value=date(1930, 1, 1), max_value=date(2015, 12, 31)),
                st.sampled_from(["qilin", "malong", "luliang", "fuyuan"]),
            ),
            min_size=1,
            max_size=25,
            unique_by=(
                lambda t: (name_key(t[0]), _born(t[1], t[2]), t[3]),
                lambda t: t[1] or object(),
            ),
        )
    )
    persons: list[Person] = []
    for i, (name, number, born, area) in enumerate(people):
        birth = None if number is not None else born
        persons.append(
            Person(id=f"p{i}", name=name, id_number=number, birth_date=birth, area_id=area)
        )
    exact: dict[str, str] = {}
    probable: dict[str, str] = {}
    n = len(persons)
    spaced = st.sampled_from([" ", "\u3000", "  "])
    for j, original in enumerate(draw(st.lists(st.sampled_from(persons), max_size=8))):
        assert original.name is not None
        assert original.born_on is not None
        copy_id = f"p{n + j}"
        cut = draw(st.integers(1, len(original.name) - 1))
        variant = original.name[:cut] + draw(spaced) + original.name[cut:]
        if original.id_number is not None and draw(st.booleans()):
            copy = Person(id=copy_id, name=variant, id_number=original.id_number.lower())
            exact[copy_id] = original.id
        else:
            copy = Person(
                id=copy_id, name=variant, birth_date=original.born_on, area_id=original.area_id
            )
            probable[copy_id] = original.id
        persons.append(copy)
    return Dataset(persons=tuple(persons)), exact, probable


@given(populations())
def test_every_planted_duplicate_is_found_and_no_false_one(
    population: tuple[Dataset, dict[str, str], dict[str, str]],
) -> None:
    ds, exact, probable = population
    by_id = {f.subject: f.figures["same_as"] for f in duplicate_id_numbers(ds)}
    by_name = {f.subject: f.figures["same_as"] for f in probable_duplicate_persons(ds)}
    assert by_id == exact
    assert by_name == probable
    secrets = {v for p in ds.persons for v in (p.name, p.id_number) if v is not None}
    for f in [*duplicate_id_numbers(ds), *probable_duplicate_persons(ds)]:
        shown = f"{f} {dict(f.figures)}"
        assert not [s for s in secrets if s in shown]


@given(populations())
def test_duplicates_are_still_found_in_a_redacted_dataset(
    population: tuple[Dataset, dict[str, str], dict[str, str]],
) -> None:
    ds, exact, probable = population
    hidden = redact(ds, key=KEY)
    assert {f.subject: f.figures["same_as"] for f in duplicate_id_numbers(hidden)} == exact
    assert {f.subject: f.figures["same_as"] for f in probable_duplicate_persons(hidden)} == (
        probable
    )


# -- double benefits ---------------------------------------------------------------------------


def handout(i: int, household: str, round: int, **kw: Any) -> Distribution:
    return Distribution(
        id=f"d{i}",
        household_id=household,
        on=DAY + timedelta(days=30 * round),
        value=Money("100"),
        round=round,
        **kw,
    )


def test_one_household_in_two_rounds_of_a_drive() -> None:
    ds = Dataset(
        households=(Household(id="h1", members=2), Household(id="h2", members=2)),
        distributions=(
            handout(1, "h1", 1, campaign_id="boai"),
            handout(2, "h2", 1, campaign_id="boai"),
            handout(3, "h1", 2, campaign_id="boai"),
            handout(4, "h1", 3, campaign_id="boai"),
            handout(5, "h2", 2, program_id="relief"),  # another drive: fine
            handout(6, "h2", 1, program_id="relief"),
            handout(7, "h1", 1),  # no drive: never compared
            handout(8, "h1", 2),
        ),
    )
    assert [(s, fig["round"], fig["first"]) for s, fig in found(ds, repeated_distributions)] == [
        ("d3", 2, "d1"),
        ("d4", 3, "d1"),
        ("d5", 2, "d6"),
    ]
    (first, *_) = repeated_distributions(ds)
    assert first.message == (
        "household 'h1' received campaign:boai again in round 2 ('d3') after round 1 ('d1')"
    )


def test_a_programme_drive_is_one_calendar_year() -> None:
    ds = Dataset(
        distributions=tuple(
            Distribution(
                id=f"d{n}", household_id="h1", on=on, value=Money("1"), program_id="boai", round=n
            )
            for n, on in ((1, date(2020, 1, 5)), (2, date(2021, 1, 5)))
        )
    )
    assert found(ds, repeated_distributions) == []


def test_two_open_cases_for_one_condition() -> None:
    base = Case.refer(id="c1", kind="medical", person_id="p1", condition="cataract", on=DAY)
    second = attrs.evolve(
        base, id="c2", history=(attrs.evolve(base.history[0], on=DAY + timedelta(days=1)),)
    )
    closed = attrs.evolve(base, id="c3").advance("withdrawn", on=DAY)
    other_person = attrs.evolve(base, id="c4", person_id="p2")
    ds = Dataset(cases=(second, base, closed, other_person))
    assert found(ds, duplicate_open_cases) == [("c2", {"person": "p1", "same_as": "c1"})]
    (f,) = duplicate_open_cases(ds)
    assert "cataract" not in str(f)
    assert "cataract" not in str(dict(f.figures))


# -- households --------------------------------------------------------------------------------


def test_more_persons_listed_than_members() -> None:
    ds = attrs.evolve(clean(), households=(Household(id="h1", head_id="p1", members=1),))
    assert found(ds, households_not_overfull) == [("h1", {"members": 1, "listed": 2})]


def test_a_head_listed_in_another_household() -> None:
    ds = attrs.evolve(
        clean(),
        households=(
            *clean().households,
            Household(id="h2", head_id="p1", members=2),
            Household(id="h3", head_id="nobody", members=2),
        ),
    )
    assert found(ds, household_heads_at_home) == [("h2", {"head": "p1", "listed_in": "h1"})]


# -- payments ----------------------------------------------------------------------------------


def approved_case(i: int, approved: str | None, paid: str | None) -> Case:
    case = Case.refer(id=f"c{i}", kind="medical", person_id="p1", on=DAY)
    case = case.advance("screened", on=DAY).advance("assessed", on=DAY)
    case = case.advance("approved", on=DAY, approved=None if approved is None else Money(approved))
    return attrs.evolve(case, paid=None if paid is None else Money(paid))


def test_paid_over_approved_is_a_finding() -> None:
    never = Case(
        id="c4",
        kind=CaseKind.HARDSHIP,
        person_id="p1",
        paid=Money("10"),
        history=Case.refer(id="x", kind="hardship", person_id="p1", on=DAY).history,
    )
    ds = Dataset(
        cases=(
            approved_case(1, "1000", "1000"),
            approved_case(2, "1000", "1200.50"),
            approved_case(3, None, "0"),
            never,
        )
    )
    assert [(f.subject, f.message) for f in paid_over_approved(ds)] == [
        ("c2", "case 'c2' was paid 1,200.50元, 200.50元 more than the 1,000.00元 approved"),
        ("c4", "case 'c4' was paid 10.00元 without an approved amount"),
    ]
    assert next(iter(paid_over_approved(ds))).figures["excess"] == Money("200.50")


def pay(i: int, case: str, amount: str, *, refund: bool = False, currency: str = "CNY") -> Flow:
    fund, target = Party.fund("medical"), Party.case(case)
    return Flow(
        id=f"f{i}",
        source=target if refund else fund,
        destination=fund if refund else target,
        amount=Money(amount, currency),
        on=DAY,
        kind=FlowKind.REFUND if refund else FlowKind.DISBURSEMENT,
    )


def test_case_payments_reconcile_with_the_ledger() -> None:
    cases = [
        approved_case(1, "1000", "1000"),
        approved_case(2, "1000", "900"),
        approved_case(3, "1000", None),
        approved_case(4, "1000", "500"),
        approved_case(5, "1000", "600"),
        approved_case(6, "1000", "100"),
    ]
    flows = [
        pay(1, "c1", "600"),
        pay(2, "c1", "400"),
        pay(3, "c2", "1000"),
        pay(4, "c2", "100", refund=True),
        pay(5, "c3", "300"),
        pay(6, "c5", "500"),
        pay(7, "c6", "100", currency="USD"),
    ]
    ds = Dataset(cases=tuple(cases), flows=tuple(flows))
    assert [(f.subject, f.message) for f in case_payments_in_ledger(ds)] == [
        ("c3", "case 'c3' records 0.00元 paid but the ledger moved 300.00元 to it"),
        ("c4", "case 'c4' records 500.00元 paid but the ledger moved 0.00元 to it"),
        ("c5", "case 'c5' records 600.00元 paid but the ledger moved 500.00元 to it"),
        (
            "c6",
            "case 'c6' records 100.00元 paid but the ledger moved 0.00元 to it (and flows in USD)",
        ),
    ]


def test_the_ledger_rule_waits_until_the_ledger_tracks_cases() -> None:
    ds = Dataset(cases=(approved_case(1, "1000", "1000"),))
    assert found(ds, case_payments_in_ledger) == []
    other = flow("f1", Party.donor("d1"), Party.fund("medical"), Money("5"), DAY, FlowKind.DONATION)
    assert found(attrs.evolve(ds, flows=(other,)), case_payments_in_ledger) == []


def test_validate_runs_every_rule_of_the_theme() -> None:
    ds = Dataset(
        persons=(
            Person(id="p1", name="张三", id_number=make_id()),
            Person(id="p2", name="李四", id_number=make_id()),
        ),
        cases=(approved_case(1, "10", "20"),),
    )
    codes = ds.validate().counts()
    assert codes["beneficiaries.duplicate-id-number"] == 1
    assert codes["cases.paid-over-approved"] == 1


def test_findings_are_findings() -> None:
    for rule in MINE:
        for f in rule(clean()):
            assert isinstance(f, Finding)


def test_different_id_numbers_are_different_persons_not_probable_duplicates() -> None:
    # Two persons with one common name, born on one day in one (county) area, whose
    # valid resident ID numbers differ, are two people: the check character rules out a
    # mistyped digit, so the ID numbers disprove the match.
    one = Person(id="p1", name="张伟", id_number=make_id(order="123"), area_id="a")
    two = Person(id="p2", name="张 伟", id_number=make_id(order="125"), area_id="a")
    three = Person(id="p3", name="张伟", birth_date=date(1990, 1, 1), area_id="a")
    ds = Dataset(persons=(one, two))
    assert found(ds, probable_duplicate_persons) == []
    assert found(redact(ds, key=KEY), probable_duplicate_persons) == []
    # one without an ID number may still be either of them
    ds = Dataset(persons=(one, two, three))
    assert found(ds, probable_duplicate_persons) == [("p3", {"same_as": "p1", "area": "a"})]
    # the first compatible person is named, not one the ID numbers rule out
    ds = Dataset(persons=(three, one, two))
    assert found(ds, probable_duplicate_persons) == [
        ("p1", {"same_as": "p3", "area": "a"}),
        ("p2", {"same_as": "p3", "area": "a"}),
    ]


# -- areas inside their parents ----------------------------------------------------------------


def _chain(village: str) -> tuple[AdminArea, ...]:
    codes = [village[:2] + "0000", village[:4] + "00", village[:6], village[:9], village]
    levels = [
        AdminLevel.PROVINCE,
        AdminLevel.PREFECTURE,
        AdminLevel.COUNTY,
        AdminLevel.TOWNSHIP,
        AdminLevel.VILLAGE,
    ]
    return (
        *(
            AdminArea(id=c, name=c, level=lv, parent_id=codes[i - 1] if i else "CN")
            for i, (c, lv) in enumerate(zip(codes, levels, strict=True))
        ),
        AdminArea(id="CN", name="China", level=AdminLevel.COUNTRY),
    )


def test_an_area_under_a_parent_in_another_tree_is_reported() -> None:
    ds = Dataset(
        admin_areas=(
            AdminArea(id="440000", name="广东省", level=AdminLevel.PROVINCE),
            AdminArea(id="530000", name="云南省", level=AdminLevel.PROVINCE),
            AdminArea(id="530300", name="曲靖市", level=AdminLevel.PREFECTURE, parent_id="440000"),
            AdminArea(id="530326", name="会泽县", level=AdminLevel.COUNTY, parent_id="530300"),
            AdminArea(id="530381", name="宣威市", level=AdminLevel.COUNTY, parent_id="530326"),
            AdminArea(id="530326101001", name="某村", level=AdminLevel.VILLAGE, parent_id="530000"),
        )
    )
    assert found(ds, areas_within_their_parents) == [
        ("530300", {"parent": "440000"}),
        ("530381", {"parent": "530326"}),
    ]


@given(st.from_regex(r"[1-8][1-9](0[1-9]|[1-9][0-9]){2}[0-9]{2}[1-9][0-9]{2}[1-9]", fullmatch=True))
def test_areas_within_their_parents_holds_for_any_true_chain(village: str) -> None:
    chain = _chain(village)
    assert list(areas_within_their_parents(Dataset(admin_areas=chain))) == []
    other = ("11" if village[:2] != "11" else "12") + "0000"
    moved = (
        *chain[:1],
        attrs.evolve(chain[1], parent_id=other),
        *chain[2:],
        AdminArea(id=other, name="x", level=AdminLevel.PROVINCE),
    )
    assert found(Dataset(admin_areas=moved), areas_within_their_parents) == [
        (chain[1].id, {"parent": other})
    ]


def test_a_case_paid_through_its_derived_flow_agrees_with_the_ledger() -> None:
    # c1 is paid by a flow written to the case; c2 by the flow the ledger derives from
    # its paid amount (from its fund to the patient). The rule used to read the written
    # flows alone, and so reported c2 as paid with nothing in the ledger.
    served = approved_case(2, "1000", None).advance("in_treatment", on=DAY, paid=Money("800"))
    derived = attrs.evolve(served, fund_id="medical")
    ds = Dataset(cases=(approved_case(1, "1000", "1000"), derived), flows=(pay(1, "c1", "1000"),))
    assert [f.origin.id for f in ds.ledger().flows if f.origin is not None] == ["c2"]
    assert found(ds, case_payments_in_ledger) == []
    # a flow written to c2 stands for its payment: nothing is derived, nothing doubled
    ds = attrs.evolve(ds, flows=(pay(1, "c1", "1000"), pay(2, "c2", "800")))
    assert [f.subject for f in case_payments_in_ledger(ds)] == []
    # and a written flow that disagrees with its case is still reported
    extra = pay(3, "c1", "5")
    ds = attrs.evolve(ds, flows=(*ds.flows, extra))
    assert [f.subject for f in case_payments_in_ledger(ds)] == ["c1"]


def test_a_payment_before_its_case_is_a_built_in_finding_the_figures_agree_with() -> None:
    early = attrs.evolve(pay(1, "c1", "1000"), on=date(2020, 3, 1))  # referred on 03-02
    ds = Dataset(cases=(approved_case(1, "1000", "1000"),), flows=(early,))
    assert payments_after_their_case in BUILTIN_RULES
    (f,) = ds.validate().where(rule="cases.payment-before-case")
    assert (f.severity, f.subject) == (Severity.ERROR, "f1")
    assert f.message == (
        "flow 'f1' pays 1,000.00元 for case 'c1' on 2020-03-01, before the case was opened "
        "on 2020-03-02"
    )
    # the same finding the figures use to leave the payment out
    assert payments_before_case(ds) == {"f1": f}
    assert list(payments_after_their_case(attrs.evolve(ds, flows=(pay(1, "c1", "1000"),)))) == []
