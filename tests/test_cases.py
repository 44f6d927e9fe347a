from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from builders import rice
from checks import problems, problems_of, refusal
from humanaid import (
    CASE_TRANSITIONS,
    CLOSED_STATUSES,
    SERVICE_STATUSES,
    Case,
    CaseEvent,
    CaseKind,
    CaseStatus,
    Condition,
    Dataset,
    Distribution,
    InKindItem,
    InvalidInput,
    Money,
    Screening,
    ScreeningOutcome,
    from_dict,
    from_json,
    pii_field_names,
    to_dict,
    to_json,
)
from humanaid.testing import cases, distributions

S = CaseStatus
DAY = date(2020, 3, 2)


def referred(**changes: Any) -> Case:
    fields: dict[str, Any] = {
        "id": "c1",
        "kind": "medical",
        "person_id": "p1",
        "condition": "congenital_heart_disease",
        "program_id": "heart",
        "hospital_id": "fuwai",
        "on": DAY,
    }
    fields.update(changes)
    return Case.refer(**fields)


def walk(case: Case, *statuses: str, step: int = 1) -> Case:
    for i, status in enumerate(statuses, start=1):
        case = case.advance(status, on=case.history[-1].on + timedelta(days=step * i))
    return case


# -- the transition table ----------------------------------------------------------------------


def test_the_table_is_one_immutable_mapping_over_every_status() -> None:
    with pytest.raises(TypeError):
        CASE_TRANSITIONS[S.SERVED] = frozenset({S.WITHDRAWN})  # type: ignore[index]
    assert set(CASE_TRANSITIONS) == {None, *CaseStatus}
    targets = set().union(*CASE_TRANSITIONS.values())
    assert targets == set(CaseStatus)
    assert CASE_TRANSITIONS[None] == {S.REFERRED}


def test_withdrawal_is_possible_from_every_open_status_until_served() -> None:
    for status in CaseStatus:
        if status in CLOSED_STATUSES or status is S.SERVED:
            assert S.WITHDRAWN not in CASE_TRANSITIONS[status], status
        else:
            assert S.WITHDRAWN in CASE_TRANSITIONS[status], status


def test_closed_rejected_and_withdrawn_cases_reopen_into_assessment() -> None:
    for status in CLOSED_STATUSES:
        assert CASE_TRANSITIONS[status] == {S.REOPENED}
    assert S.ASSESSED in CASE_TRANSITIONS[S.REOPENED]


# -- the workflow ------------------------------------------------------------------------------


def test_a_medical_case_goes_through_its_workflow() -> None:
    case = walk(referred(), "screened", "assessed")
    case = case.advance("approved", on=date(2020, 4, 1), approved=Money("18000"))
    case = case.advance("in_treatment", on=date(2020, 4, 10), note="手术")
    case = case.advance("served", on=date(2020, 4, 20), paid=Money("17500"))
    case = case.advance("closed", on=date(2020, 5, 1))
    assert [e.status for e in case.history] == [
        S.REFERRED,
        S.SCREENED,
        S.ASSESSED,
        S.APPROVED,
        S.IN_TREATMENT,
        S.SERVED,
        S.CLOSED,
    ]
    assert case.status is S.CLOSED
    assert not case.is_open
    assert case.opened_on == DAY
    assert case.served_on == date(2020, 4, 10)
    assert case.reached("approved") == date(2020, 4, 1)
    assert case.reached(S.REJECTED) is None
    assert case.approved == Money("18000")
    assert case.paid == Money("17500")
    assert case.status_on(date(2020, 4, 15)) is S.IN_TREATMENT
    assert case.status_on(date(2020, 3, 1)) is None
    assert case.allowed_next == {S.REOPENED}


def test_advance_returns_a_new_case_and_leaves_the_old_one() -> None:
    first = referred()
    second = first.advance(S.SCREENED, on=DAY)
    assert first.status is S.REFERRED
    assert second.status is S.SCREENED
    assert second.history[:1] == first.history


@pytest.mark.parametrize(
    ("path", "step", "message"),
    [
        ((), "served", "cannot go from referred to served (allowed next: screened, withdrawn)"),
        ((), "approved", "cannot go from referred to approved"),
        (("screened",), "approved", "cannot go from screened to approved"),
        (
            ("screened", "assessed", "approved"),
            "closed",
            "cannot go from approved to closed (allowed next: in_treatment, being_served, "
            "withdrawn)",
        ),
        (
            ("screened", "assessed", "approved", "in_treatment", "served"),
            "withdrawn",
            "cannot go from served to withdrawn (allowed next: closed)",
        ),
        (("withdrawn",), "screened", "cannot go from withdrawn to screened"),
        (("withdrawn", "reopened"), "approved", "cannot go from reopened to approved"),
        (("screened",), "referred", "cannot go from screened to referred"),
    ],
)
def test_an_illegal_step_is_refused_by_name(path: tuple[str, ...], step: str, message: str) -> None:
    case = walk(referred(), *path)
    with pytest.raises(ValueError, match=r"^cannot go from ") as info:
        case.advance(step, on=date(2021, 1, 1))
    assert str(info.value).startswith(message)


def test_a_step_back_in_time_is_refused() -> None:
    case = walk(referred(), "screened")
    with pytest.raises(ValueError, match="cannot go back in time: assessed on 2020-03-01"):
        case.advance("assessed", on=date(2020, 3, 1))
    assert case.advance("assessed", on=case.history[-1].on).status is S.ASSESSED  # same day


def test_a_reopened_case_is_assessed_again() -> None:
    case = walk(referred(), "screened", "assessed", "rejected", "reopened", "assessed", "approved")
    assert case.status is S.APPROVED
    assert case.is_open
    closed = walk(case, "being_served", "served", "closed", "reopened", "withdrawn")
    assert closed.status is S.WITHDRAWN


def test_advance_does_not_replace_the_history() -> None:
    with pytest.raises(TypeError, match="adds to the history"):
        referred().advance("screened", on=DAY, history=())


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="'status' must be one of 'referred'"):
        referred().advance("cured", on=DAY)


# -- the record checks its whole history -------------------------------------------------------


def event(status: str, day: int) -> CaseEvent:
    return CaseEvent(status=CaseStatus(status), on=date(2020, 1, day))


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ((), "'history' must not be empty"),
        ((event("screened", 1),), "'history[0]' cannot start at screened (a case starts referred)"),
        (
            (event("referred", 1), event("served", 2)),
            "'history[1]' cannot go from referred to served",
        ),
        (
            (event("referred", 5), event("screened", 4)),
            "'history[1]' cannot go back in time: screened on 2020-01-04 comes before referred",
        ),
        (
            (event("referred", 1), event("withdrawn", 2), event("withdrawn", 3)),
            "'history[2]' cannot go from withdrawn to withdrawn",
        ),
        (["not an event"], "'history[0]' must be a CaseEvent"),
    ],
)
def test_a_case_validates_its_whole_history(history: Any, message: str) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        Case(id="c1", kind=CaseKind.HARDSHIP, person_id="p1", history=history)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"person_id": None}, "a case must name a 'person_id' or a 'household_id'"),
        ({"kind": "hardship"}, "'condition' is only for medical cases (kind is hardship)"),
        (
            {"kind": "disaster_relief", "condition": None},
            "'hospital_id' is only for medical cases",
        ),
        ({"approved": Money("100")}, "'approved' is set but the history has no approved event"),
        ({"paid": Money("-1")}, "'paid' must not be negative (got -1.00 CNY)"),
        ({"paid": 100.0}, "'paid' must be Money"),
        ({"condition": "flu"}, "'condition' must be one of 'congenital_heart_disease'"),
    ],
)
def test_bad_cases_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        referred(**changes)
    assert str(info.value).startswith(message)
    if "condition" in changes:
        assert "flu" not in str(info.value)  # a condition is personal data: never echoed


def test_approved_and_paid_share_a_currency() -> None:
    case = walk(referred(), "screened", "assessed")
    with pytest.raises(ValueError, match=r"'paid' must be in the currency of 'approved'"):
        case.advance("approved", on=date(2020, 4, 1), approved=Money("1"), paid=Money("1", "USD"))


def test_paying_more_than_approved_is_allowed_here_and_found_by_a_rule() -> None:
    case = walk(referred(), "screened", "assessed")
    case = case.advance("approved", on=date(2020, 4, 1), approved=Money("100"), paid=Money("150"))
    assert case.paid is not None
    assert case.approved is not None
    assert case.paid > case.approved


def test_a_household_case_needs_no_person() -> None:
    case = Case.refer(id="c9", kind="disaster_relief", household_id="h1", on=DAY)
    assert case.person_id is None
    assert case.household_id == "h1"


def test_condition_and_notes_are_personal_data() -> None:
    assert pii_field_names(Case) == {"condition"}
    assert pii_field_names(CaseEvent) == {"note"}
    case = walk(referred(), "screened").advance(
        "assessed", on=DAY + timedelta(days=5), note="先心病"
    )
    assert "congenital" not in repr(case)
    assert "先心病" not in repr(case)


# -- the laws ----------------------------------------------------------------------------------


@st.composite
def legal_walks(draw: st.DrawFn) -> tuple[Case, list[tuple[CaseStatus, date]]]:
    case = referred(kind=draw(st.sampled_from(CaseKind)), condition=None, hospital_id=None)
    steps: list[tuple[CaseStatus, date]] = []
    day = DAY
    for _ in range(draw(st.integers(0, 20))):
        status = draw(st.sampled_from(sorted(CASE_TRANSITIONS[case.status])))
        day = day + timedelta(days=draw(st.integers(0, 30)))
        case = case.advance(status, on=day)
        steps.append((status, day))
    return case, steps


@given(legal_walks())
def test_a_history_built_by_legal_steps_is_always_accepted(
    walked: tuple[Case, list[tuple[CaseStatus, date]]],
) -> None:
    case, steps = walked
    assert [(e.status, e.on) for e in case.history[1:]] == steps
    rebuilt = Case(id=case.id, kind=case.kind, person_id=case.person_id, history=case.history)
    assert rebuilt.history == case.history
    assert from_json(to_json(case), Case) == case
    assert case.is_open == (case.status not in CLOSED_STATUSES)
    served = [e.on for e in case.history if e.status in SERVICE_STATUSES]
    assert case.served_on == (served[0] if served else None)
    approved = [e.on for e in case.history if e.status is CaseStatus.APPROVED]
    assert case.approved_on == (approved[0] if approved else None)


@given(legal_walks(), st.sampled_from(CaseStatus), st.integers(0, 30))
def test_any_illegal_step_is_refused(
    walked: tuple[Case, list[tuple[CaseStatus, date]]], status: CaseStatus, days: int
) -> None:
    case, _ = walked
    day = case.history[-1].on + timedelta(days=days)
    if status in case.allowed_next:
        assert case.advance(status, on=day).status is status
        return
    with pytest.raises(ValueError, match=f"cannot go from {case.status} to {status}"):
        case.advance(status, on=day)
    bad = (*case.history, CaseEvent(status=status, on=day))
    with pytest.raises(ValueError, match=f"cannot go from {case.status} to {status}"):
        attrs.evolve(case, history=bad)


@given(legal_walks(), st.integers(1, 400))
def test_any_step_back_in_time_is_refused(
    walked: tuple[Case, list[tuple[CaseStatus, date]]], days: int
) -> None:
    case, _ = walked
    status = sorted(case.allowed_next)[0]
    with pytest.raises(ValueError, match="cannot go back in time"):
        case.advance(status, on=case.history[-1].on - timedelta(days=days))


class CaseWorkflow(RuleBasedStateMachine):
    """Drive one case with legal and illegal steps; the record stays well-formed."""

    def __init__(self) -> None:
        super().__init__()
        self.case = referred()
        self.day = DAY
        self.refused = 0

    @rule(data=st.data(), days=st.integers(0, 45))
    def legal_step(self, data: st.DataObject, days: int) -> None:
        status = data.draw(st.sampled_from(sorted(self.case.allowed_next)))
        self.day += timedelta(days=days)
        self.case = self.case.advance(status, on=self.day)

    @rule(status=st.sampled_from(CaseStatus))
    def illegal_step(self, status: CaseStatus) -> None:
        if status in self.case.allowed_next:
            return
        before = self.case
        with pytest.raises(ValueError, match="cannot go from"):
            self.case.advance(status, on=self.day)
        assert self.case is before
        self.refused += 1

    @invariant()
    def history_is_legal_and_in_date_order(self) -> None:
        history = self.case.history
        assert history[0].status is S.REFERRED
        for a, b in itertools.pairwise(history):
            assert b.status in CASE_TRANSITIONS[a.status]
            assert a.on <= b.on
        assert self.case.status is history[-1].status


TestCaseWorkflow = CaseWorkflow.TestCase


@given(cases())
def test_generated_cases_are_well_formed(case: Case) -> None:
    assert case.history[0].status is S.REFERRED
    if case.kind is not CaseKind.MEDICAL:
        assert case.condition is None
        assert case.hospital_id is None


# -- serialisation -----------------------------------------------------------------------------


def test_an_illegal_history_in_json_is_reported_at_the_record() -> None:
    case = walk(referred(), "screened")
    data = to_dict(case)
    data["history"].append({"status": "closed", "on": "2020-04-01", "note": None})
    error = refusal(data, Case)
    assert problems(error) == [("$.history[2]", "invalid")]
    assert "cannot go from screened to closed" in str(error)
    ds = {"cases": [data]}
    assert problems_of(ds, Dataset) == [("$.cases[0].history[2]", "invalid")]


def test_bad_case_fields_are_reported_by_path() -> None:
    data = to_dict(referred())
    data["history"][0]["status"] = "cured"
    data["condition"] = "flu"
    data["approved"] = {"amount": 1.5, "currency": "CNY"}
    error = refusal(data, Case)
    assert problems(error) == [
        ("$.condition", "unknown-value"),
        ("$.approved.amount", "float-not-allowed"),
        ("$.history[0].status", "unknown-value"),
    ]
    assert "flu" not in str(error)


# -- screenings --------------------------------------------------------------------------------


def test_a_screening_is_one_examination() -> None:
    s = Screening(
        id="s1", person_id="p1", program_id="heart", on=DAY, outcome=ScreeningOutcome.REFERRED
    )
    assert s.outcome is ScreeningOutcome.REFERRED
    assert s.outcome.is_positive
    assert not ScreeningOutcome.NEGATIVE.is_positive
    with pytest.raises(ValueError, match="'outcome' must be one of 'negative', 'positive'"):
        attrs.evolve(s, outcome="unclear")  # type: ignore[arg-type]
    assert from_json(to_json(s), Screening) == s


# -- distributions -----------------------------------------------------------------------------


def test_goods_are_valued_at_the_exact_sum_of_their_items() -> None:
    d = Distribution.in_kind(
        id="d1",
        household_id="h1",
        on=DAY,
        items=[rice(2, "120.00"), rice(1, "75.50")],
        campaign_id="c",
    )
    assert d.value == Money("315.50") == d.items_value
    assert d.is_in_kind
    assert d.round == 1
    cash = Distribution.cash(id="d2", household_id="h1", on=DAY, value=Money("500"))
    assert not cash.is_in_kind
    assert cash.items_value == Money("0")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": Money("300")}, "'value' must be the exact sum of the items' values"),
        ({"round": 0}, "'round' must be at least 1 (got 0)"),
        ({"round": True}, "'round' must be an int"),
        ({"value": Money("0")}, "'value' must be positive"),
        (
            {"items": (rice(2, "120.00"), rice(2, "120.00", "USD")), "value": Money("240")},
            "'items[1]' must be valued in CNY (got USD)",
        ),
        (
            {"items": (InKindItem(description="衣物", quantity=1, unit="件"),)},
            "'items[0]' has no value",
        ),
    ],
)
def test_bad_distributions_are_refused(changes: dict[str, Any], message: str) -> None:
    fields: dict[str, Any] = {
        "id": "d1",
        "household_id": "h1",
        "on": DAY,
        "items": (rice(2, "120.00"),),
        "value": Money("240"),
    }
    fields.update(changes)
    with pytest.raises((TypeError, ValueError)) as info:
        Distribution(**fields)
    assert str(info.value).startswith(message)


def test_in_kind_needs_valued_items_of_one_currency() -> None:
    with pytest.raises(ValueError, match="one or more valued items"):
        Distribution.in_kind(id="d1", household_id="h1", on=DAY, items=[])
    with pytest.raises(ValueError, match="one currency"):
        Distribution.in_kind(
            id="d1", household_id="h1", on=DAY, items=[rice(2, "120.00"), rice(2, "120.00", "USD")]
        )


def test_the_drive_is_the_campaign_or_the_programme_year() -> None:
    base = Distribution.cash(id="d1", household_id="h1", on=DAY, value=Money("100"))
    assert base.drive is None
    assert attrs.evolve(base, program_id="boai").drive == "program:boai:2020"
    assert attrs.evolve(base, program_id="boai", campaign_id="c1").drive == "campaign:c1"


@given(distributions())
def test_in_kind_value_equals_sum_of_items(d: Distribution) -> None:
    if d.items:
        total = sum(
            (item.unit_value * Decimal(item.quantity) for item in d.items if item.unit_value),
            Money.zero(d.value.currency),
        )
        assert d.value == total == d.items_value
    assert from_json(to_json(d), Distribution) == d


def test_conditions_name_the_programmes_of_the_source() -> None:
    assert {c.value for c in Condition} >= {
        "congenital_heart_disease",
        "cataract",
        "leukaemia",
        "spinal_deformity",
        "pneumoconiosis",
        "chronic_pain",
    }


def test_bad_distribution_json_is_reported_by_path() -> None:
    d = Distribution.in_kind(id="d1", household_id="h1", on=DAY, items=[rice(2, "120.00")], round=2)
    assert from_json(to_json(d), Distribution) == d
    data = to_dict(d)
    data["items"][0]["quantity"] = 1.5
    data["round"] = "2"
    data["value"] = {"amount": "240.00", "currency": "XYZ"}
    assert problems_of(data, Distribution) == [
        ("$.value.currency", "invalid"),
        ("$.round", "wrong-type"),
        ("$.items[0].quantity", "float-not-allowed"),
    ]
    data = to_dict(d)
    data["value"] = {"amount": "241.00", "currency": "CNY"}
    with pytest.raises(InvalidInput, match="exact sum of the items' values") as info:
        from_dict(data, Distribution)
    assert [(p.location, p.code) for p in info.value.problems] == [("$.value", "invalid")]


def test_status_on_and_reached_name_the_bad_argument() -> None:
    case = Case.refer(id="c1", kind="hardship", person_id="p1", on=date(2020, 2, 29))
    with pytest.raises(TypeError, match=r"'day' must be a datetime\.date, not a datetime"):
        case.status_on(datetime(2020, 3, 1, 9))
    with pytest.raises(ValueError, match=r"'status' must be one of 'referred', .*got 'paid'"):
        case.reached("paid")
    assert case.status_on(date(2020, 2, 29)) is CaseStatus.REFERRED


# -- who paid, and for what: the fields the ledger derives a payment from ---------------------


def test_a_case_and_a_distribution_may_name_the_fund_that_paid_and_the_purpose() -> None:
    case = referred(fund_id="heart", purpose="脱贫攻坚")
    handout = Distribution.cash(id="d1", household_id="h1", on=DAY, value=Money("300"),
                                fund_id="relief", purpose="脱贫攻坚")  # fmt: skip
    assert (case.fund_id, case.purpose) == ("heart", "脱贫攻坚")
    assert (handout.fund_id, handout.purpose) == ("relief", "脱贫攻坚")
    assert from_json(to_json(case), Case) == case
    assert from_json(to_json(handout), Distribution) == handout
    # Both are optional, and say nothing until given.
    assert referred().fund_id is referred().purpose is None
    assert "fund_id" not in pii_field_names(Case) | pii_field_names(Distribution)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"fund_id": ""}, "'fund_id' must be an id of 1 to 128 characters"),
        ({"purpose": ""}, "'purpose' must not be empty"),
        ({"purpose": "x\x00"}, "'purpose'"),
    ],
)
def test_a_bad_payer_or_purpose_is_refused_by_name(changes: dict[str, Any], message: str) -> None:
    with pytest.raises((TypeError, ValueError)) as info:
        referred(**changes)
    assert str(info.value).startswith(message)
    with pytest.raises((TypeError, ValueError)) as info:
        Distribution.cash(id="d1", household_id="h1", on=DAY, value=Money("1"), **changes)
    assert str(info.value).startswith(message)


def test_an_unknown_fund_named_as_payer_is_a_missing_reference() -> None:
    handout = Distribution.cash(id="d1", household_id="h1", on=DAY, value=Money("300"),
                                fund_id="relief")  # fmt: skip
    found = Dataset(distributions=(handout,)).validate().where(rule="integrity.missing-reference")
    assert [f.figures["field"] for f in found] == ["fund_id", "household_id"]
