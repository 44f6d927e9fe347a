from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from checks import problems_of, refusal
from humanaid import (
    BODY_AND_ORGAN_KINDS,
    REGISTRATION_TRANSITIONS,
    BloodDonation,
    BloodDrive,
    BloodFigures,
    BloodType,
    CompletedDonation,
    ConsentBy,
    ConsentWithdrawal,
    Dataset,
    DonorRegistration,
    HlaMatch,
    Organization,
    OrgLevel,
    Period,
    RegistrationEvent,
    RegistrationKind,
    RegistrationStatus,
    UnknownId,
    blood_figures,
    from_dict,
    from_json,
    pii_field_names,
    redact,
    registration_figures,
    sensitive_field_names,
    three_donations_figures,
    to_dict,
    to_json,
)
from humanaid.io import CsvSchema, read_csv, write_csv
from humanaid.testing import (
    blood_donations,
    blood_drives,
    completed_donations,
    consent_withdrawals,
    donor_registrations,
    hla_matches,
    registration_lives,
)

S = RegistrationStatus
D = date(2022, 1, 3)
KEY = b"a secret key of 32 bytes or more"
SECRET_HLA = "A*02:01 B*46:01 DRB1*09:01"


def registration(**changes: Any) -> DonorRegistration:
    fields: dict[str, Any] = {
        "id": "r1",
        "person_id": "p1",
        "kind": "stem_cell",
        "organization_id": "jx",
        "registered_on": D,
    }
    fields.update(changes)
    return DonorRegistration(**fields)


# -- records ------------------------------------------------------------------------------------


def test_a_registration_rests_on_consent_given_first() -> None:
    r = registration()
    assert r.consented_on == D
    assert r.consent_by is ConsentBy.SELF
    assert registration(consented_on=D - timedelta(days=5)).consented_on == D - timedelta(days=5)
    organ = registration(kind="organ", consent_by="next_of_kin")
    assert organ.consent_by is ConsentBy.NEXT_OF_KIN
    assert RegistrationKind.STEM_CELL.needs_match
    assert not any(k.needs_match for k in BODY_AND_ORGAN_KINDS)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"consented_on": D + timedelta(days=1)},
            ValueError,
            "'consented_on' must not be after 'registered_on'",
        ),
        ({"kind": "organ", "hla_typing": SECRET_HLA}, ValueError, "'hla_typing' is only for"),
        ({"consent_by": "next_of_kin"}, ValueError, "a stem-cell donor consents themself"),
        ({"kind": "kidney"}, ValueError, "'kind' must be one of 'stem_cell'"),
        ({"blood_type": "Z"}, ValueError, "'blood_type' must be one of 'A\\+'"),
        ({"hla_typing": ""}, ValueError, "'hla_typing' must not be empty"),
    ],
)
def test_bad_registrations_are_refused_by_field(
    changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as info:
        registration(**changes)
    assert SECRET_HLA not in str(info.value)


def test_health_and_identity_data_are_sensitive_and_never_shown() -> None:
    assert sensitive_field_names(DonorRegistration) == {"blood_type", "hla_typing"}
    assert pii_field_names(DonorRegistration) == {"blood_type", "hla_typing", "consent_document"}
    assert sensitive_field_names(BloodDonation) == {"blood_type"}
    assert sensitive_field_names(ConsentWithdrawal) == {"reason"}
    r = registration(hla_typing=SECRET_HLA, blood_type="AB-", consent_document="CF123456")
    shown = repr(r)
    assert SECRET_HLA not in shown
    assert "AB-" not in shown
    assert "CF123456" not in shown
    w = ConsentWithdrawal(id="w1", registration_id="r1", on=D, reason="白血病复发")
    assert "白血病" not in repr(w)
    # a bad sensitive value is named by its field, never echoed
    with pytest.raises(ValueError, match="'blood_type' must be one of") as info:
        registration(blood_type="AB+ (rare antibodies)")
    assert "rare antibodies" not in str(info.value)
    error = refusal({**to_dict(r), "blood_type": "XYZ-secret"}, DonorRegistration)
    assert "XYZ-secret" not in str(error)


def test_redact_drops_the_sensitive_data() -> None:
    r = registration(hla_typing=SECRET_HLA, blood_type="O-", consent_document="CF123456")
    ds = Dataset(
        donor_registrations=(r,),
        consent_withdrawals=(ConsentWithdrawal(id="w1", registration_id="r1", on=D, reason="x"),),
        blood_donations=(
            BloodDonation(
                id="b1",
                person_id="p1",
                on=D,
                units=2,
                organization_id="jx",
                blood_type=BloodType.O_NEG,
            ),
        ),
    )
    out = redact(ds, key=KEY)
    (reg,) = out.donor_registrations
    assert (reg.hla_typing, reg.blood_type, reg.consent_document) == (None, None, None)
    assert out.consent_withdrawals[0].reason is None
    assert out.blood_donations[0].blood_type is None
    text = to_json(out)
    assert SECRET_HLA not in text
    assert "CF123456" not in text
    assert (reg.id, reg.person_id, reg.kind) == (r.id, r.person_id, r.kind)


def test_blood_records() -> None:
    drive = BloodDrive(id="d1", organization_id="jx", on=D, donors=50, units=Decimal("80.5"))
    assert drive.units == Decimal("80.5")
    gift = BloodDonation(id="b1", person_id="p1", on=D, units=2, drive_id="d1")
    assert gift.units == Decimal(2)
    with pytest.raises(ValueError, match="names its 'drive_id' or its 'organization_id'"):
        BloodDonation(id="b1", person_id="p1", on=D, units=2)
    with pytest.raises(ValueError, match="'units' must be more than 0"):
        BloodDonation(id="b1", person_id="p1", on=D, units=0, drive_id="d1")
    with pytest.raises(TypeError, match="'units' must be an int or Decimal \\(never a float\\)"):
        BloodDonation(id="b1", person_id="p1", on=D, units=1.5, drive_id="d1")
    with pytest.raises(ValueError, match=r"'units' must be at least 0 .* at most 2 decimal"):
        BloodDrive(id="d1", organization_id="jx", on=D, units=Decimal("0.125"))
    with pytest.raises(ValueError, match="'donors' must not be negative"):
        BloodDrive(id="d1", organization_id="jx", on=D, donors=-1)


def test_bad_registration_json_is_reported_by_path() -> None:
    data = to_dict(registration())
    data["kind"] = "kidney"
    data["registered_on"] = "2022-13-01"
    assert problems_of(data, DonorRegistration) == [
        ("$.kind", "unknown-value"),
        ("$.registered_on", "invalid-date"),
    ]


# -- the life of a registration ------------------------------------------------------------------


def test_the_transition_tables_are_immutable_and_cover_every_kind() -> None:
    assert set(REGISTRATION_TRANSITIONS) == set(RegistrationKind)
    for steps in REGISTRATION_TRANSITIONS.values():
        assert set(steps) == {None, *RegistrationStatus}
        assert steps[S.WITHDRAWN] == frozenset()
        assert steps[S.DONATED] == frozenset()
    with pytest.raises(TypeError):
        REGISTRATION_TRANSITIONS[RegistrationKind.ORGAN] = {}  # type: ignore[index]


def test_a_stem_cell_registration_is_matched_then_donates() -> None:
    r = registration()
    m = r.match(id="m1", on=date(2022, 3, 1), case_id="case-7")
    d = r.donate(id="d1", on=date(2022, 5, 1), match_id="m1", known=[m])
    assert [(s, day) for s, day, _ in r.history([d, m])] == [
        (S.REGISTERED, D),
        (S.MATCHED, date(2022, 3, 1)),
        (S.DONATED, date(2022, 5, 1)),
    ]
    assert r.status_on(D - timedelta(days=1), events=[m, d]) is None
    assert r.status_on(date(2022, 4, 1), events=[m, d]) is S.MATCHED
    with pytest.raises(ValueError, match="cannot go from registered to donated"):
        r.donate(id="d0", on=date(2022, 2, 1))


def test_an_organ_registration_donates_without_a_match() -> None:
    r = registration(kind="organ")
    with pytest.raises(ValueError, match="an HLA match is only for stem-cell registrations"):
        r.match(id="m1", on=date(2022, 3, 1))
    d = r.donate(id="d1", on=date(2030, 1, 1), recipients=3)
    assert r.status_on(date(2030, 1, 1), events=[d]) is S.DONATED


def test_withdrawn_consent_ends_the_registration() -> None:
    r = registration()
    m = r.match(id="m1", on=date(2022, 3, 1))
    w = r.withdraw(id="w1", on=date(2022, 4, 1), known=[m])
    with pytest.raises(
        ValueError, match="cannot go from withdrawn to donated \\(allowed next: none"
    ):
        r.donate(id="d1", on=date(2022, 5, 1), known=[m, w])
    with pytest.raises(ValueError, match="cannot go from withdrawn to withdrawn"):
        r.withdraw(id="w2", on=date(2022, 5, 1), known=[m, w])
    with pytest.raises(ValueError, match="cannot go back in time"):
        r.withdraw(id="w2", on=date(2022, 2, 1), known=[m])
    with pytest.raises(ValueError, match="before it was registered"):
        r.withdraw(id="w2", on=D - timedelta(days=1))
    with pytest.raises(ValueError, match="HlaMatch 'm1' is already known"):
        r.match(id="m1", on=date(2022, 3, 2), known=[m])
    with pytest.raises(TypeError, match="'events' must hold matches"):
        r.status_on(D, events=[r])  # type: ignore[list-item]


def test_on_one_day_a_match_comes_before_the_donation_and_a_withdrawal_last() -> None:
    r = registration()
    day = date(2022, 3, 1)
    m = HlaMatch(id="z-m", registration_id="r1", on=day)
    d = CompletedDonation(id="a-d", registration_id="r1", on=day, match_id="z-m")
    assert [s for s, _, _ in r.history([d, m])] == [S.REGISTERED, S.MATCHED, S.DONATED]
    w = ConsentWithdrawal(id="a-w", registration_id="r1", on=day)
    assert [s for s, _, _ in r.history([w, m])] == [S.REGISTERED, S.MATCHED, S.WITHDRAWN]


@given(registration_lives())
def test_a_history_of_legal_steps_is_always_accepted(
    life: tuple[DonorRegistration, tuple[RegistrationEvent, ...]],
) -> None:
    reg, events = life
    steps = reg.history(events)
    assert [e.id for e in events] == [i for _, _, i in steps[1:]]
    for (a, day_a, _), (b, day_b, _) in itertools.pairwise(steps):
        assert b in reg.allowed_steps[a]
        assert day_a <= day_b


class RegistrationLife(RuleBasedStateMachine):
    """Drive one registration with legal and illegal steps: every kept step is legal."""

    def __init__(self) -> None:
        super().__init__()
        self.reg: DonorRegistration | None = None
        self.events: list[RegistrationEvent] = []
        self.day = D
        self.n = 0

    def _ensure(self, kind: RegistrationKind) -> DonorRegistration:
        if self.reg is None:
            self.reg = registration(kind=kind)
        return self.reg

    def _try(self, status: RegistrationStatus) -> None:
        assert self.reg is not None
        self.n += 1
        make: dict[RegistrationStatus, Callable[..., RegistrationEvent]] = {
            S.MATCHED: self.reg.match,
            S.DONATED: self.reg.donate,
            S.WITHDRAWN: self.reg.withdraw,
        }
        current = self.reg.history(self.events)[-1][0]
        if status in self.reg.allowed_steps[current]:
            self.events.append(make[status](id=f"e{self.n}", on=self.day, known=self.events))
            return
        with pytest.raises(ValueError, match="registration 'r1' cannot"):
            make[status](id=f"e{self.n}", on=self.day, known=self.events)

    @rule(kind=st.sampled_from(RegistrationKind), days=st.integers(0, 90))
    def time_passes(self, kind: RegistrationKind, days: int) -> None:
        self._ensure(kind)
        self.day += timedelta(days=days)

    @rule(kind=st.sampled_from(RegistrationKind), status=st.sampled_from(sorted(S)[1:]))
    def step(self, kind: RegistrationKind, status: RegistrationStatus) -> None:
        self._ensure(kind)
        if status is not S.REGISTERED:
            self._try(status)

    @invariant()
    def the_history_is_legal_and_counts_follow_it(self) -> None:
        if self.reg is None:
            return
        steps = self.reg.history(self.events)
        for (a, _, _), (b, _, _) in itertools.pairwise(steps):
            assert b in REGISTRATION_TRANSITIONS[self.reg.kind][a]
        status = self.reg.status_on(self.day, events=self.events)
        f = registration_figures([self.reg], self.events, as_of=self.day)
        assert f.on_register == (0 if status is S.WITHDRAWN else 1)


TestRegistrationLife = RegistrationLife.TestCase


# -- figures ------------------------------------------------------------------------------------


def test_blood_drives_count_named_or_stated_never_both() -> None:
    drive = BloodDrive(id="d1", organization_id="jx", on=D, donors=50, units=80)
    named = [
        BloodDonation(id=f"b{i}", person_id=f"p{i}", on=D, units=2, drive_id="d1") for i in range(3)
    ]
    small = BloodDrive(id="d2", organization_id="jx", on=D, donors=1, units=1)
    more = [
        BloodDonation(id=f"c{i}", person_id=f"p{i}", on=D, units=2, drive_id="d2") for i in range(2)
    ]
    f = blood_figures([drive, small], [*named, *more])
    # d1: 50 stated (3 named among them); d2: 2 named beyond the 1 stated
    assert f == BloodFigures(drives=2, donations=52, donors=50, units=Decimal(84))
    alone = BloodDonation(id="x", person_id="p9", on=D, units=1, organization_id="nc")
    assert blood_figures([], [alone], organization_ids="nc").donors == 1
    assert blood_figures([], [alone], organization_ids="jx").donors == 0
    assert blood_figures([drive], period=Period.year(2021)).drives == 0


@given(
    st.lists(blood_drives(organization_ids=st.just("o")), max_size=4, unique_by=lambda d: d.id),
    st.lists(blood_donations(person_ids=st.sampled_from(["p1", "p2", "p3"])), max_size=8),
)
def test_blood_donors_never_exceed_donations(
    drives: list[BloodDrive], gifts: list[BloodDonation]
) -> None:
    f = blood_figures(drives, gifts)
    assert f.donors <= f.donations
    assert f.drives == len(drives)
    assert f.units >= 0


def test_registrations_count_persons_and_leave_out_the_withdrawn() -> None:
    regs = [
        registration(id="r1", person_id="p1", kind="organ"),
        registration(id="r2", person_id="p1", kind="body"),  # one person, two gifts
        registration(id="r3", person_id="p2", kind="cornea"),
        registration(id="r4", person_id="p3", kind="stem_cell"),
    ]
    out = ConsentWithdrawal(id="w1", registration_id="r3", on=date(2022, 2, 1))
    q1 = Period.quarter(2022, 1)
    f = registration_figures(regs, [out], kinds=BODY_AND_ORGAN_KINDS, period=q1)
    assert (f.registered, f.on_register, f.withdrawn) == (1, 1, 1)
    before = registration_figures(
        regs, [out], kinds=BODY_AND_ORGAN_KINDS, period=q1, as_of=date(2022, 1, 31)
    )
    assert before.registered == 2
    stem = registration_figures(regs, [out], kinds="stem_cell", period=q1)
    assert stem.registered == 1
    with pytest.raises(ValueError, match="'kinds' must be one of"):
        registration_figures(regs, kinds="kidney")


def test_matches_and_donations_after_withdrawal_are_not_counted() -> None:
    r = registration()
    m = HlaMatch(id="m1", registration_id="r1", on=date(2022, 2, 1))
    w = ConsentWithdrawal(id="w1", registration_id="r1", on=date(2022, 2, 10))
    late = CompletedDonation(id="d1", registration_id="r1", on=date(2022, 3, 1), match_id="m1")
    f = registration_figures([r], [m, w, late], period=Period.quarter(2022, 1))
    assert (f.matched, f.completed, f.withdrawn, f.on_register) == (1, 0, 1, 0)


@st.composite
def withdrawn_lives(
    draw: st.DrawFn,
) -> tuple[list[DonorRegistration], list[RegistrationEvent], ConsentWithdrawal]:
    lives = draw(
        st.lists(registration_lives(), min_size=1, max_size=5, unique_by=lambda x: x[0].id)
    )
    regs = [reg for reg, _ in lives]
    events = [e for _, evs in lives for e in evs]
    reg = draw(st.sampled_from(regs))
    day = reg.registered_on + timedelta(days=draw(st.integers(0, 300)))
    return regs, events, ConsentWithdrawal(id="w-law", registration_id=reg.id, on=day)


@given(withdrawn_lives(), st.integers(0, 400), st.integers(0, 800))
def test_withdrawing_consent_removes_a_registration_from_every_later_count(
    lived: tuple[list[DonorRegistration], list[RegistrationEvent], ConsentWithdrawal],
    after: int,
    length: int,
) -> None:
    regs, events, out = lived
    (reg,) = [r for r in regs if r.id == out.registration_id]
    as_of = out.on + timedelta(days=after)  # any count made on or after the withdrawal
    period = Period(as_of - timedelta(days=length), as_of)
    # events of the registration dated after the withdrawal (a donation after it) stay in
    # the data: the counts must leave them out, the rules report them
    with_it = registration_figures(regs, [*events, out], period=period, as_of=as_of)
    others = [r for r in regs if r.id != reg.id]
    without = registration_figures(
        others, [e for e in events if e.registration_id != reg.id], period=period, as_of=as_of
    )
    mine = [e for e in events if e.registration_id == reg.id]
    gone = min([out.on, *(e.on for e in mine if isinstance(e, ConsentWithdrawal))])
    before = [e for e in mine if e.on < gone and e.on in period]
    if not any(r.person_id == reg.person_id for r in others):
        assert with_it.registered == without.registered
        assert with_it.on_register == without.on_register
    assert with_it.matched == without.matched + sum(isinstance(e, HlaMatch) for e in before)
    assert with_it.completed == without.completed + sum(
        isinstance(e, CompletedDonation) for e in before
    )
    withdrawals = [e for e in [*mine, out] if isinstance(e, ConsentWithdrawal)]
    assert with_it.withdrawn == without.withdrawn + sum(e.on in period for e in withdrawals)
    # and a count made the day before the withdrawal still holds the registration
    if out.on > reg.registered_on and gone == out.on:
        earlier = out.on - timedelta(days=1)
        held = registration_figures([reg], [*mine, out], as_of=earlier)
        assert held.on_register == 1


def test_three_donations_figures_of_an_organisation() -> None:
    ds = Dataset(
        organizations=(
            Organization(id="jx", name="江西省红十字会", level=OrgLevel.PROVINCE),
            Organization(id="nc", name="南昌市红十字会", level=OrgLevel.CITY, parent_id="jx"),
        ),
        blood_drives=(BloodDrive(id="d1", organization_id="nc", on=D, donors=30, units=45),),
        donor_registrations=(
            registration(id="r1", person_id="p1", organization_id="nc"),
            registration(id="r2", person_id="p2", kind="organ", organization_id="nc"),
            registration(id="r3", person_id="p3", kind="body", organization_id="jx"),
        ),
        hla_matches=(HlaMatch(id="m1", registration_id="r1", on=date(2022, 2, 1)),),
        completed_donations=(
            CompletedDonation(id="g1", registration_id="r1", on=date(2022, 3, 1), match_id="m1"),
            CompletedDonation(id="g2", registration_id="r3", on=date(2022, 3, 5), recipients=0),
        ),
    )
    f = three_donations_figures(ds, Period.quarter(2022, 1), organization_id="jx")
    assert (f.blood.donors, f.blood.units) == (30, Decimal(45))
    assert (f.stem_cell.registered, f.stem_cell.matched, f.stem_cell.completed) == (1, 1, 1)
    assert (f.body_and_organ.registered, f.body_and_organ.completed) == (2, 1)
    assert f.sentences()[:3] == (
        "无偿献血30人、45单位 (voluntary blood donation: 30 donors, 45 units)",
        "实现造血干细胞成功捐献1例 (stem-cell donations completed: 1; 1 matches)",
        "遗体器官捐献1例 (body and organ donations completed: 1)",
    )
    nc = three_donations_figures(ds, 2022, organization_id="nc")
    assert nc.body_and_organ.registered == 1
    alone = three_donations_figures(ds, 2022, organization_id="jx", include_children=False)
    assert alone.blood.drives == 0
    with pytest.raises(UnknownId, match="organization_id 'jxx'"):
        three_donations_figures(ds, 2022, organization_id="jxx")
    assert registration_figures(ds, period=Period.quarter(2022, 1)).completed == 2
    assert blood_figures(ds).units == Decimal(45)


# -- round trips ---------------------------------------------------------------------------------

_RECORDS = [
    (BloodDrive, blood_drives()),
    (BloodDonation, blood_donations()),
    (DonorRegistration, donor_registrations()),
    (HlaMatch, hla_matches()),
    (CompletedDonation, completed_donations()),
    (ConsentWithdrawal, consent_withdrawals()),
]


@pytest.mark.parametrize(("cls", "records"), _RECORDS, ids=lambda x: getattr(x, "__name__", ""))
@given(data=st.data())
def test_read_csv_of_write_csv_is_the_three_donations_records(
    cls: type[Any], records: st.SearchStrategy[Any], data: st.DataObject
) -> None:
    xs = data.draw(st.lists(records, max_size=4))
    schema = CsvSchema.for_type(cls, escaped=True)
    buf = io.StringIO()
    assert write_csv(xs, buf, schema) == len(xs)
    buf.seek(0)
    result = read_csv(buf, schema)
    assert result.problems == ()
    assert list(result.records) == xs


@given(donor_registrations())
def test_registrations_round_trip_through_json_and_dicts(r: DonorRegistration) -> None:
    assert from_json(to_json(r), DonorRegistration) == r
    assert from_dict(to_dict(r), DonorRegistration) == r
    assert r.consented_on <= r.registered_on
    assert r.hla_typing is None or r.kind is RegistrationKind.STEM_CELL


def test_blood_types_are_the_eight_abo_rhd_groups() -> None:
    assert {t.value for t in BloodType} == {"A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-"}
