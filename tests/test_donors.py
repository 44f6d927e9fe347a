from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from builders import rice
from checks import problems_of
from humanaid import (
    Campaign,
    CampaignTotals,
    Channel,
    CurrencyMismatch,
    Donation,
    DonationForm,
    Donor,
    DonorKind,
    Frequency,
    InKindItem,
    InvalidInput,
    Money,
    NoReceiptReason,
    Period,
    Pledge,
    PledgeInstallment,
    Restriction,
    ValuationBasis,
    from_dict,
    from_json,
    pii_field_names,
    to_dict,
    to_json,
)
from humanaid.testing import (
    donations,
    donors,
    in_kind_items,
    personal_names,
    phone_numbers,
    pledges,
)

# -- donors and personal data -----------------------------------------------------------------


def test_contact_fields_are_personal_data_for_every_kind_of_donor() -> None:
    assert pii_field_names(Donor) == {"name", "phone", "email", "address"}


@given(donors(), personal_names(), phone_numbers())
def test_repr_never_shows_names_or_phone_numbers(donor: Donor, name: str, phone: str) -> None:
    if donor.kind is not DonorKind.ANONYMOUS:
        donor = attrs.evolve(donor, name=name, phone=phone, public_name=None)
    shown = repr(donor)
    for secret in (donor.name, donor.phone, donor.email, donor.address):
        if secret is not None:
            assert secret not in shown
    assert "***" in shown or donor.kind is DonorKind.ANONYMOUS


@given(personal_names(), phone_numbers())
def test_errors_never_show_names_or_phone_numbers(name: str, phone: str) -> None:
    bad_values: list[dict[str, Any]] = [
        {"phone": phone + "\u200b"},
        {"name": name + "\x00"},
        {"email": f"{name}\u202e@example.org"},
        {"address": int(phone)},
    ]
    for bad in bad_values:
        with pytest.raises((ValueError, TypeError)) as info:
            Donor(id="d1", kind=DonorKind.INDIVIDUAL, **bad)
        assert name not in str(info.value)
        assert phone not in str(info.value)
    with pytest.raises(ValueError, match="an anonymous donor keeps no contact data") as info2:
        Donor(id="d1", kind=DonorKind.ANONYMOUS, name=name, phone=phone)
    assert name not in str(info2.value)
    assert phone not in str(info2.value)
    for data in (
        {"id": "d1", "kind": "individual", "name": name, "phone": int(phone)},
        {"id": "d1", "kind": "individual", "name": [name], "phone": phone + "\n"},
        {"id": "d1", "kind": "anonymous", "name": name, "phone": phone},
        {"id": "d1", "kind": "individual", "name": name, "phone": phone, "email": {"x": phone}},
    ):
        with pytest.raises(InvalidInput) as loaded:
            from_dict(data, Donor)
        assert name not in str(loaded.value)
        assert phone not in str(loaded.value)
        assert all(p.got is None or phone not in p.got for p in loaded.value.problems)


def test_anonymous_donors_keep_no_contact_data_and_persons_no_registration_day() -> None:
    with pytest.raises(ValueError, match="'phone', 'email' are set"):
        Donor(id="a", kind=DonorKind.ANONYMOUS, phone="x", email="y")
    with pytest.raises(ValueError, match="'registered_on' is kept for bodies"):
        Donor(id="p", kind=DonorKind.INDIVIDUAL, registered_on=date(2000, 1, 1))
    firm = Donor(id="e", kind=DonorKind.ENTERPRISE, registered_on=date(2000, 1, 1))
    assert firm.kind.is_body


def test_reports_use_the_public_label() -> None:
    firm = Donor(
        id="acme", kind=DonorKind.ENTERPRISE, name="某某实业有限公司", public_name="某某实业"
    )
    assert firm.public_label == "某某实业"
    person = Donor(id="d9", kind=DonorKind.INDIVIDUAL, name="李四")
    assert person.public_label == "individual donor d9"


# -- in-kind items ----------------------------------------------------------------------------


def test_an_item_is_worth_quantity_times_unit_value_rounded_half_up() -> None:
    assert rice().value == Money("12500.00")
    assert rice(quantity=Decimal("2.5"), unit_value=Money("4.99")).value == Money("12.48")
    assert rice(quantity=Decimal("0.5"), unit_value=Money("0.05")).value == Money("0.03")
    assert rice(quantity=3).quantity == Decimal(3)
    unvalued = rice(unit_value=None, valuation=ValuationBasis.UNVALUED)
    assert unvalued.value is None
    assert not unvalued.is_valued
    no_basis = rice(valuation=None)
    assert no_basis.value == Money("12500.00")


def test_valuation_and_unit_value_agree() -> None:
    with pytest.raises(ValueError, match="'unit_value' must be None when 'valuation' is unvalued"):
        rice(valuation=ValuationBasis.UNVALUED)
    with pytest.raises(ValueError, match="'unit_value' is required when 'valuation' is appraisal"):
        rice(unit_value=None, valuation=ValuationBasis.APPRAISAL)


@pytest.mark.parametrize(
    ("quantity", "error"),
    [
        (0, ValueError),
        (-1, ValueError),
        (Decimal("1e12"), ValueError),
        (Decimal("0.0000001"), ValueError),
        (Decimal("NaN"), ValueError),
        (1.5, TypeError),
        (True, TypeError),
        ("2", TypeError),
    ],
)
def test_quantities_are_positive_exact_and_bounded(quantity: object, error: type) -> None:
    with pytest.raises(error, match="'quantity' must"):
        rice(quantity=quantity)


def test_an_item_too_valuable_to_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="too large to hold"):
        rice(quantity=Decimal("999999999999"), unit_value=Money("999999999999"))


# -- donations --------------------------------------------------------------------------------


def gift(**changes: Any) -> Donation:
    base: dict[str, Any] = {
        "id": "g1",
        "organization_id": "qj",
        "donor_id": "d1",
        "received_on": date(2020, 2, 3),
        "value": Money("1000.00"),
        "receipt_number": "R-1",
    }
    base.update(changes)
    return Donation(**base)


def test_net_is_value_less_fees_and_fees_default_to_zero_of_the_gift_currency() -> None:
    assert gift().fees == Money.zero()
    assert gift().net == Money("1000.00")
    usd = gift(value=Money("50", "USD"))
    assert usd.fees == Money.zero("USD")
    online = gift(channel=Channel.ONLINE_PLATFORM, platform="轻松筹", fees=Money("6.00"))
    assert online.net == Money("994.00")
    # Fees larger than the gift are kept (a rule reports them), and net goes negative.
    assert gift(fees=Money("1200.00")).net == Money("-200.00")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": Money("0")}, "'value' must be positive"),
        ({"value": 10.5}, "'value' must be Money"),
        ({"fees": Money("-1")}, "'fees' must not be negative"),
        ({"fees": Money("1", "USD")}, "'fees' must be in the currency of 'value'"),
        ({"items": (rice(),)}, "a cash gift has no 'items'"),
        ({"channel": Channel.ONLINE_PLATFORM}, "'platform' is required"),
        ({"platform": "轻松筹"}, "'platform' is only for online_platform gifts"),
        ({"channel": Channel.VIA_SPECIAL_FUND}, "'fund_id' is required"),
        ({"no_receipt_reason": NoReceiptReason.DECLINED}, "give either 'receipt_number'"),
        ({"receipt_number": " "}, "'receipt_number' must not be empty"),
        ({"received_on": "2020-01-01"}, "'received_on' must be a datetime.date"),
        ({"restricted_to": "救心行动"}, "'restricted_to' must be a Restriction or None"),
        ({"organization_id": ""}, "'organization_id' must be an id"),
        ({"form": "goods"}, "'form' must be one of"),
    ],
)
def test_a_donation_that_cannot_exist_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(")):
        gift(**changes)


def test_items_must_be_in_the_gift_currency() -> None:
    with pytest.raises(ValueError, match=r"'items\[0\].unit_value' must be in the currency"):
        gift(
            form=DonationForm.IN_KIND,
            items=(rice(unit_value=Money("1", "USD")),),
        )


def test_in_kind_makes_the_value_the_sum_of_the_items() -> None:
    goods = (
        rice(),
        rice(description="食用油", quantity=50, unit="桶", unit_value=Money("89.90")),
        rice(description="旧衣物", unit_value=None, valuation=ValuationBasis.UNVALUED),
    )
    g = Donation.in_kind(items=goods, id="g2", organization_id="qj", received_on=date(2020, 1, 20))
    assert g.form is DonationForm.IN_KIND
    assert g.value == Money("16995.00")
    assert g.items_value == g.value
    assert g.items == goods


def test_in_kind_needs_a_valued_item_in_one_currency() -> None:
    free = rice(unit_value=Money("0"))
    with pytest.raises(ValueError, match="must be worth more than zero"):
        Donation.in_kind(items=[free], id="g", organization_id="qj", received_on=date(2020, 1, 1))
    unvalued = rice(unit_value=None, valuation=ValuationBasis.UNVALUED)
    with pytest.raises(ValueError, match="at least one valued item"):
        Donation.in_kind(
            items=[unvalued], id="g", organization_id="qj", received_on=date(2020, 1, 1)
        )
    with pytest.raises(ValueError, match="must all be valued in CNY"):
        Donation.in_kind(
            items=[rice(), rice(unit_value=Money("1", "USD"))],
            id="g",
            organization_id="qj",
            received_on=date(2020, 1, 1),
        )
    with pytest.raises(TypeError):
        Donation.in_kind(
            items=[rice()],
            value=Money("1"),
            id="g",
            organization_id="qj",
            received_on=date(2020, 1, 1),
        )


def test_a_stated_total_that_differs_from_the_items_is_kept_for_the_rules() -> None:
    g = gift(form=DonationForm.IN_KIND, items=(rice(),), value=Money("13000.00"))
    assert g.items_value == Money("12500.00")
    assert g.value != g.items_value


@given(st.lists(in_kind_items(), min_size=1, max_size=8))
def test_in_kind_value_equals_sum_of_items(items: list[InKindItem]) -> None:
    assume(any(i.value for i in items))
    g = Donation.in_kind(items=items, id="g", organization_id="o", received_on=date(2020, 1, 1))
    expected = sum((i.value for i in items if i.value is not None), Money.zero())
    assert g.value == expected
    assert g.items_value == g.value
    assert from_json(to_json(g), Donation) == g


@given(donations(forms=[DonationForm.IN_KIND]))
def test_generated_in_kind_gifts_are_worth_their_items(g: Donation) -> None:
    assert g.value == g.items_value


def test_restrictions_name_something() -> None:
    with pytest.raises(ValueError, match="a restriction names at least one"):
        Restriction()
    r = Restriction(fund_id="sf-1", purpose="救心行动")
    assert gift(restricted_to=r).is_restricted
    assert not gift().is_restricted


def test_anonymous_gifts_have_no_donor() -> None:
    g = gift(donor_id=None, receipt_number=None, no_receipt_reason=NoReceiptReason.ANONYMOUS)
    assert g.is_anonymous


# -- pledges ----------------------------------------------------------------------------------


def pledge(**changes: Any) -> Pledge:
    base: dict[str, Any] = {
        "id": "p1",
        "donor_id": "d1",
        "organization_id": "qj",
        "pledged_on": date(2020, 1, 10),
        "amount": Money("100000"),
        "due_on": date(2020, 6, 30),
    }
    base.update(changes)
    return Pledge(**base)


def paying(*amounts_and_days: tuple[str, date]) -> list[Donation]:
    return [
        gift(id=f"pay{i}", value=Money(a), received_on=d, pledge_id="p1")
        for i, (a, d) in enumerate(amounts_and_days)
    ]


def test_a_single_payment_pledge_is_one_instalment() -> None:
    p = pledge()
    assert p.schedule == (PledgeInstallment(due_on=date(2020, 6, 30), amount=Money("100000")),)
    assert p.final_due_on == date(2020, 6, 30)
    assert p.due_by(date(2020, 6, 29)) == Money("0")
    assert p.due_by(date(2020, 6, 30)) == Money("100000")


def test_paid_outstanding_overdue_and_overpaid_are_derived() -> None:
    p = pledge()
    gifts = [*paying(("30000", date(2020, 3, 1)), ("50000", date(2020, 7, 15))), gift(id="other")]
    assert p.paid(gifts) == Money("80000")
    assert p.paid(gifts, as_of=date(2020, 6, 30)) == Money("30000")
    assert p.outstanding(gifts) == Money("20000")
    assert p.overdue(gifts, as_of=date(2020, 6, 30)) == Money("0")  # due today: not yet late
    assert p.overdue(gifts, as_of=date(2020, 7, 1)) == Money("70000")
    assert p.overdue(gifts, as_of=date(2020, 8, 1)) == Money("20000")
    assert p.overpaid(gifts) == Money("0")
    more = [*gifts, *paying(("30000", date(2020, 8, 1)))]
    assert p.overpaid(more) == Money("10000")
    assert p.outstanding(more) == Money("0")


def test_pledges_in_instalments_add_up_and_fall_due_without_drift() -> None:
    p = Pledge.in_installments(
        id="p1",
        donor_id="d1",
        organization_id="qj",
        pledged_on=date(2020, 1, 10),
        amount=Money("100.00"),
        count=3,
        frequency=Frequency.MONTHLY,
        first_due_on=date(2020, 1, 31),
    )
    assert [i.due_on for i in p.installments] == [
        date(2020, 1, 31),
        date(2020, 2, 29),
        date(2020, 3, 31),
    ]
    assert [i.amount for i in p.installments] == [Money("33.34"), Money("33.33"), Money("33.33")]
    gifts = paying(("33.34", date(2020, 1, 31)))
    assert p.overdue(gifts, as_of=date(2020, 3, 1)) == Money("33.33")
    assert p.due_by(date(2020, 2, 29)) == Money("66.67")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"due_on": None}, "give either 'due_on' or 'installments'"),
        (
            {"installments": (PledgeInstallment(due_on=date(2020, 3, 1), amount=Money("100000")),)},
            "give either 'due_on' or 'installments'",
        ),
        ({"due_on": date(2020, 1, 9)}, "'due_on' must not be before 'pledged_on'"),
        (
            {
                "due_on": None,
                "installments": (PledgeInstallment(due_on=date(2020, 3, 1), amount=Money("5")),),
            },
            "'installments' must add up to 'amount'",
        ),
        (
            {
                "due_on": None,
                "installments": (
                    PledgeInstallment(due_on=date(2020, 3, 1), amount=Money("50000")),
                    PledgeInstallment(due_on=date(2020, 2, 1), amount=Money("50000")),
                ),
            },
            r"'installments\[1\].due_on' must not be before",
        ),
        (
            {
                "due_on": None,
                "installments": (
                    PledgeInstallment(due_on=date(2020, 3, 1), amount=Money("100000", "USD")),
                ),
            },
            r"'installments\[0\].amount' must be in CNY",
        ),
        ({"amount": Money("-1")}, "'amount' must be positive"),
    ],
)
def test_a_pledge_that_cannot_exist_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pledge(**changes)


@given(pledges())
def test_a_pledge_schedule_adds_up_to_its_amount(p: Pledge) -> None:
    assert sum((i.amount for i in p.schedule), Money.zero()) == p.amount
    assert p.due_by(p.final_due_on) == p.amount
    assert p.outstanding([]) == p.amount
    assert p.overdue([], as_of=p.pledged_on) == Money.zero()


def test_a_payment_in_another_currency_is_not_added_silently() -> None:
    with pytest.raises(CurrencyMismatch):
        pledge().paid([gift(value=Money("1", "USD"), pledge_id="p1")])


# -- campaigns --------------------------------------------------------------------------------


def campaign(**changes: Any) -> Campaign:
    base: dict[str, Any] = {
        "id": "c1",
        "name": "博爱路众筹",
        "organizer_id": "hospital",
        "host_id": "qj",
        "period": Period.parse("2020-09-01/2020-09-09"),
        "platform": "腾讯公益",
        "target": Money("200000"),
    }
    base.update(changes)
    return Campaign(**base)


def test_a_campaign_derives_raised_donors_and_progress() -> None:
    c = campaign()
    gifts = [
        gift(id="a", campaign_id="c1", value=Money("100000"), fees=Money("600")),
        gift(id="b", campaign_id="c1", value=Money("30000")),
        gift(id="c", campaign_id="c1", donor_id=None, value=Money("20000")),
        gift(id="d", campaign_id="c1", donor_id="d2", value=Money("10000")),
        gift(id="e", campaign_id="other", value=Money("99999")),
    ]
    t = c.totals(gifts)
    assert t.raised == Money("160000")
    assert t.fees == Money("600")
    assert t.net == Money("159400")
    assert (t.gifts, t.donors, t.anonymous_gifts) == (4, 2, 1)
    assert c.raised(gifts) == Money("160000")
    assert c.donors(gifts) == 2
    assert c.progress(gifts) == Decimal("0.8")
    assert c.responsible_id == "qj"
    assert campaign(host_id=None).responsible_id == "hospital"
    assert campaign(target=None).progress(gifts) is None
    assert campaign(target=None).totals(gifts, currency="CNY").raised == Money("160000")


def test_a_campaign_does_not_mix_currencies() -> None:
    with pytest.raises(CurrencyMismatch):
        campaign().raised([gift(campaign_id="c1", value=Money("1", "USD"))])
    with pytest.raises(ValueError, match="must be in one currency"):
        campaign().totals([], currency="USD")
    with pytest.raises(ValueError, match="must cover the anonymous gifts"):
        CampaignTotals(
            campaign_id="c",
            raised=Money("1"),
            fees=Money("0"),
            gifts=1,
            donors=1,
            anonymous_gifts=1,
        )
    assert campaign(target=Money("10", "USD")).raised([]) == Money.zero("USD")


def test_an_online_campaign_is_public() -> None:
    with pytest.raises(ValueError, match="'public' must be true"):
        campaign(public=False)
    assert not campaign(public=False, platform=None).public
    with pytest.raises(TypeError, match="'public' must be"):
        campaign(public="yes")
    with pytest.raises(ValueError, match="'target' must be positive"):
        campaign(target=Money("0"))


# -- loading ----------------------------------------------------------------------------------


def test_a_donation_round_trips_with_items_and_restriction() -> None:
    g = Donation.in_kind(
        items=(rice(), rice(valuation=None)),
        id="g",
        organization_id="qj",
        donor_id="acme",
        received_on=date(2020, 2, 3),
        channel=Channel.VIA_SPECIAL_FUND,
        fund_id="sf-acme",
        restricted_to=Restriction(project_id="heart-10"),
        no_receipt_reason=NoReceiptReason.PENDING,
    )
    data = to_dict(g)
    assert data["items"][0]["quantity"] == "100"
    assert data["fees"] == {"amount": "0.00", "currency": "CNY"}
    assert from_json(to_json(g), Donation) == g


GOOD_GIFT: dict[str, Any] = {
    "id": "g1",
    "organization_id": "qj",
    "received_on": "2020-02-03",
    "value": {"amount": "100.00", "currency": "CNY"},
}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {**GOOD_GIFT, "value": {"amount": 100.5, "currency": "CNY"}},
            [("$.value.amount", "float-not-allowed")],
        ),
        ({**GOOD_GIFT, "channel": "wechat"}, [("$.channel", "unknown-value")]),
        ({**GOOD_GIFT, "channel": "online_platform"}, [("$.platform", "invalid")]),
        ({**GOOD_GIFT, "fees": {"amount": "-1.00", "currency": "CNY"}}, [("$.fees", "invalid")]),
        ({**GOOD_GIFT, "no_receipt_reason": "lost"}, [("$.no_receipt_reason", "unknown-value")]),
        (
            {
                **GOOD_GIFT,
                "form": "in_kind",
                "items": [
                    {"description": "大米", "quantity": 1.5, "unit": "袋"},
                    {"description": "", "quantity": "2", "unit": "袋", "valuation": "guess"},
                ],
            },
            [
                ("$.items[0].quantity", "float-not-allowed"),
                ("$.items[1].description", "invalid"),
                ("$.items[1].valuation", "unknown-value"),
            ],
        ),
        (
            {
                **GOOD_GIFT,
                "form": "in_kind",
                "items": [{"description": "", "quantity": "0", "unit": "袋"}],
            },
            [("$.items[0].description", "invalid"), ("$.items[0].quantity", "invalid")],
        ),
        ({**GOOD_GIFT, "restricted_to": {}}, [("$.restricted_to", "invalid")]),
        ({**GOOD_GIFT, "restricted_to": {"fund": "x"}}, [("$.restricted_to.fund", "unknown-key")]),
        ({**GOOD_GIFT, "donor": "d1", "id": ""}, [("$.id", "invalid"), ("$.donor", "unknown-key")]),
    ],
)
def test_bad_donations_list_every_problem_with_its_path(
    data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(data, Donation) == expected


PLEDGE_WITHOUT_DUE_DAY: dict[str, Any] = {
    "id": "p",
    "donor_id": "d",
    "organization_id": "o",
    "pledged_on": "2020-01-01",
    "amount": {"amount": "10.00", "currency": "CNY"},
}
CAMPAIGN_BY_O: dict[str, Any] = {"id": "c", "name": "x", "organizer_id": "o"}


@pytest.mark.parametrize(
    ("cls", "data", "expected"),
    [
        (Donor, {"id": "d", "kind": "person"}, [("$.kind", "unknown-value")]),
        (Donor, {"id": "d", "kind": "individual", "phone": ""}, [("$.phone", "invalid")]),
        (Pledge, PLEDGE_WITHOUT_DUE_DAY, [("$", "invalid")]),
        (
            Pledge,
            {
                **PLEDGE_WITHOUT_DUE_DAY,
                "installments": [
                    {"due_on": "2020-13-01", "amount": {"amount": "0", "currency": "CNY"}}
                ],
            },
            [("$.installments[0].due_on", "invalid-date"), ("$.installments[0].amount", "invalid")],
        ),
        (
            Campaign,
            {**CAMPAIGN_BY_O, "period": {"start": "2020-02-01", "end": "2020-01-01"}},
            [("$.period.end", "invalid")],
        ),
        (
            Campaign,
            {
                **CAMPAIGN_BY_O,
                "period": {"start": "2020-01-01", "end": "2020-01-31"},
                "public": "yes",
                "target": {"amount": "0.00", "currency": "CNY"},
            },
            [("$.public", "wrong-type"), ("$.target", "invalid")],
        ),
        (
            InKindItem,
            {"description": "x", "quantity": "1", "unit": "kg", "valuation": "invoice"},
            [("$.unit_value", "invalid")],
        ),
        (Restriction, {"purpose": " "}, [("$.purpose", "invalid")]),
        (PledgeInstallment, {"due_on": "2020-01-01"}, [("$.amount", "missing")]),
    ],
)
def test_bad_records_of_each_type_list_their_problems(
    cls: type, data: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems_of(data, cls) == expected


# -- review: errors that name the field and the rule -------------------------------------------


def test_a_pledge_in_too_few_or_too_small_instalments_names_count_and_amount() -> None:
    kw: dict[str, Any] = {
        "id": "p1",
        "donor_id": "acme",
        "organization_id": "qj",
        "pledged_on": date(2020, 1, 1),
        "first_due_on": date(2020, 2, 29),
    }
    for count in (0, -1):
        with pytest.raises(ValueError, match=rf"'count' must be at least 1 \(got {count}\)"):
            Pledge.in_installments(amount=Money("100"), count=count, **kw)
    with pytest.raises(ValueError, match=r"'amount' \(0\.01 CNY\) cannot be split into 3"):
        Pledge.in_installments(amount=Money("0.01"), count=3, **kw)
    with pytest.raises(TypeError, match=r"'count' must be an int \(got '2'\)"):
        Pledge.in_installments(amount=Money("100"), count="2", **kw)  # type: ignore[arg-type]


def test_a_campaign_public_flag_that_is_not_a_bool_gets_a_plain_message() -> None:
    with pytest.raises(TypeError) as info:
        campaign(public="false", platform=None)
    assert str(info.value) == "'public' must be a bool (got 'false')"
