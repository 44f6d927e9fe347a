from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import (
    BUILTIN_RULES,
    BloodDonation,
    BloodDrive,
    BloodType,
    CompletedDonation,
    ConsentWithdrawal,
    Dataset,
    DonorRegistration,
    Finding,
    HlaMatch,
    RegistrationEvent,
    RegistrationKind,
    Severity,
    to_json,
)
from humanaid.rules.three_donations import (
    THREE_DONATIONS_RULES,
    blood_drives_count_their_donations,
    donations_answer_their_match,
    no_duplicate_registrations,
    registration_histories_are_legal,
)
from humanaid.testing import datasets, registration_lives

RULES: list[Callable[[Dataset], Iterator[Finding]]] = [
    registration_histories_are_legal,
    donations_answer_their_match,
    no_duplicate_registrations,
    blood_drives_count_their_donations,
]
D = date(2022, 1, 3)
HLA = "A*11:01 B*40:01"
WHY = "复查发现乙肝"


def reg(
    id: str = "r1", kind: RegistrationKind = RegistrationKind.STEM_CELL, **kw: Any
) -> DonorRegistration:
    fields: dict[str, Any] = {"person_id": "p1", "organization_id": "jx", "registered_on": D}
    if kind is RegistrationKind.STEM_CELL:
        fields["hla_typing"] = HLA
    fields.update(kw)
    return DonorRegistration(id=id, kind=kind, blood_type=BloodType.B_POS, **fields)


def day(n: int) -> date:
    return D + timedelta(days=n)


def found(ds: Dataset) -> list[tuple[str, str | None]]:
    return [(f.rule, f.subject) for rule in RULES for f in rule(ds)]


def test_the_rules_are_built_in() -> None:
    assert set(THREE_DONATIONS_RULES) <= set(BUILTIN_RULES)
    assert list(THREE_DONATIONS_RULES) == RULES


def test_a_legal_life_is_clean() -> None:
    r = reg()
    m = r.match(id="m1", on=day(30))
    g = r.donate(id="g1", on=day(60), match_id="m1", known=[m])
    ds = Dataset(donor_registrations=(r,), hla_matches=(m,), completed_donations=(g,))
    assert found(ds) == []
    assert not ds.validate().where(rule="three_donations.")


def test_each_illegal_step_has_its_code() -> None:
    stem, organ = reg("r1"), reg("r2", RegistrationKind.ORGAN)
    body = reg("r3", RegistrationKind.BODY)
    ds = Dataset(
        donor_registrations=(stem, organ, body),
        hla_matches=(
            HlaMatch(id="m-early", registration_id="r1", on=day(-3)),
            HlaMatch(id="m-organ", registration_id="r2", on=day(5)),
        ),
        completed_donations=(
            CompletedDonation(id="g-nomatch", registration_id="r1", on=day(9)),
            CompletedDonation(id="g-organ", registration_id="r2", on=day(20)),
            CompletedDonation(id="g-again", registration_id="r2", on=day(21)),
            CompletedDonation(id="g-late", registration_id="r3", on=day(40)),
        ),
        consent_withdrawals=(
            ConsentWithdrawal(id="w1", registration_id="r3", on=day(30), reason=WHY),
        ),
    )
    result = list(registration_histories_are_legal(ds))
    assert [(f.rule, f.subject, f.severity) for f in result] == [
        ("three_donations.before-registration", "m-early", Severity.ERROR),
        ("three_donations.donation-without-match", "g-nomatch", Severity.ERROR),
        ("three_donations.match-not-stem-cell", "m-organ", Severity.ERROR),
        ("three_donations.illegal-step", "g-again", Severity.ERROR),
        ("three_donations.after-withdrawal", "g-late", Severity.ERROR),
    ]
    late = result[-1]
    assert "consent was withdrawn on 2022-02-02" in late.message
    assert late.figures["registration_id"] == "r3"
    # no finding shows sensitive data
    text = " ".join(f.message + to_json(f) for f in result)
    assert HLA not in text
    assert WHY not in text
    assert "B+" not in text


def test_a_donation_must_answer_a_match_of_its_own_registration() -> None:
    a, b = reg("r1"), reg("r2", person_id="p2")
    ma = HlaMatch(id="ma", registration_id="r1", on=day(5))
    mb = HlaMatch(id="mb", registration_id="r2", on=day(5))
    g = CompletedDonation(id="g", registration_id="r1", on=day(9), match_id="mb")
    ds = Dataset(donor_registrations=(a, b), hla_matches=(ma, mb), completed_donations=(g,))
    assert found(ds) == [("three_donations.match-of-other-registration", "g")]


def test_a_person_registered_twice_while_the_first_stands() -> None:
    first = reg("r1", RegistrationKind.ORGAN)
    again = reg("r2", RegistrationKind.ORGAN, registered_on=day(10))
    body = reg("r3", RegistrationKind.BODY, registered_on=day(10))  # another gift: fine
    back = reg("r4", RegistrationKind.ORGAN, registered_on=day(100))
    out = ConsentWithdrawal(id="w", registration_id="r2", on=day(50))
    out1 = ConsentWithdrawal(id="w1", registration_id="r1", on=day(50))
    ds = Dataset(donor_registrations=(first, again, body, back), consent_withdrawals=(out, out1))
    result = list(no_duplicate_registrations(ds))
    assert [(f.rule, f.subject, f.figures["same_as"]) for f in result] == [
        ("three_donations.duplicate-registration", "r2", "r1")
    ]


def test_blood_drives_agree_with_their_named_donations() -> None:
    drive = BloodDrive(id="d1", organization_id="jx", on=D, donors=1)
    gifts = tuple(
        BloodDonation(id=f"b{i}", person_id=f"p{i}", on=day(i), units=2, drive_id="d1")
        for i in range(2)
    )
    ds = Dataset(blood_drives=(drive,), blood_donations=gifts)
    assert found(ds) == [
        ("three_donations.donation-off-drive-day", "b1"),
        ("three_donations.drive-below-named", "d1"),
    ]


@given(st.lists(registration_lives(), max_size=4, unique_by=lambda life: life[0].id))
def test_legal_lives_give_no_history_findings(
    lives: list[tuple[DonorRegistration, tuple[RegistrationEvent, ...]]],
) -> None:
    ds = Dataset(
        donor_registrations=tuple(r for r, _ in lives),
        hla_matches=tuple(e for _, es in lives for e in es if isinstance(e, HlaMatch)),
        completed_donations=tuple(
            e for _, es in lives for e in es if isinstance(e, CompletedDonation)
        ),
        consent_withdrawals=tuple(
            e for _, es in lives for e in es if isinstance(e, ConsentWithdrawal)
        ),
    )
    assert list(registration_histories_are_legal(ds)) == []
    assert list(donations_answer_their_match(ds)) == []


@given(datasets(max_size=4))
def test_the_rules_never_raise_on_any_dataset(ds: Dataset) -> None:
    for rule in RULES:
        for finding in rule(ds):
            assert finding.rule.startswith("three_donations.")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_each_rule_reads_an_empty_dataset(rule: Callable[[Dataset], Iterator[Finding]]) -> None:
    assert list(rule(Dataset())) == []
