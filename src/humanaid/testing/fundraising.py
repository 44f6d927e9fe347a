"""Hypothesis strategies for organisations, donors, donations, pledges and campaigns.

Re-exported by :mod:`humanaid.testing`; every strategy builds valid records only, from
the shared building blocks of :mod:`humanaid.testing._common`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from humanaid.donors import (
    Campaign,
    CampaignTotals,
    Channel,
    Donation,
    DonationForm,
    Donor,
    DonorKind,
    InKindItem,
    NoReceiptReason,
    Pledge,
    PledgeInstallment,
    Restriction,
    ValuationBasis,
)
from humanaid.money import Money
from humanaid.organizations import (
    AdminArea,
    AdminLevel,
    Governance,
    GoverningBody,
    GoverningBodyKind,
    Organization,
    OrgKind,
    OrgLevel,
    Qualification,
    QualificationKind,
)
from humanaid.periods import Frequency, Period
from humanaid.rollups import DonorRollup, GiftCount, Retention
from humanaid.testing._common import (
    GOODS,
    GOODS_UNITS,
    MAX_DATE,
    MIN_DATE,
    dates,
    decimals,
    labels,
    members_of,
    money_units,
    periods,
    phone_numbers,
    short_ids,
)

__all__ = [
    "admin_areas",
    "campaigns",
    "donations",
    "donors",
    "governances",
    "in_kind_items",
    "organizations",
    "personal_names",
    "pledges",
    "qualifications",
    "restrictions",
]

_PLATFORMS = ("轻松筹", "腾讯公益", "支付宝公益")


def personal_names() -> st.SearchStrategy[str]:
    """Names of people: 2 to 4 Chinese characters, or a Latin given name and surname."""
    chinese = st.text(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=2, max_size=4
    )
    word = st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8).map(str.title)
    latin = st.tuples(word, word).map(" ".join)
    return chinese | latin


# -- organisations ----------------------------------------------------------------------------


def qualifications(
    *, kinds: list[QualificationKind] | None = None
) -> st.SearchStrategy[Qualification]:
    """Qualifications of ``kinds`` (all by default), open-ended or with an end date."""

    @st.composite
    def build(draw: st.DrawFn) -> Qualification:
        start = draw(dates())
        until = draw(st.none() | dates(min_value=start))
        return Qualification(
            kind=draw(members_of(QualificationKind, only=kinds)),
            valid_from=start,
            valid_until=until,
            certificate=draw(st.none() | labels()),
        )

    return build()


def _governing_bodies(kind: GoverningBodyKind) -> st.SearchStrategy[GoverningBody]:
    return st.builds(
        GoverningBody,
        kind=st.just(kind),
        members=st.integers(min_value=1, max_value=60),
        name=st.none() | labels(),
        term=st.none() | periods(),
    )


def governances() -> st.SearchStrategy[Governance]:
    """Governance records with any subset of the three bodies, each once."""
    return (
        st.lists(st.sampled_from(GoverningBodyKind), unique=True)
        .flatmap(lambda kinds: st.tuples(*(_governing_bodies(k) for k in kinds)))
        .map(lambda bodies: Governance(bodies=bodies))
    )


def organizations(*, kinds: list[OrgKind] | None = None) -> st.SearchStrategy[Organization]:
    """Organisations of ``kinds`` (all by default); Red Cross ones always have a level."""

    @st.composite
    def build(draw: st.DrawFn) -> Organization:
        id_ = draw(short_ids())
        kind = draw(members_of(OrgKind, only=kinds))
        level = draw(st.sampled_from(OrgLevel)) if kind is OrgKind.RED_CROSS_SOCIETY else None
        if level is None:
            level = draw(st.none() | st.sampled_from(OrgLevel))
        return Organization(
            id=id_,
            name=draw(labels()),
            kind=kind,
            level=level,
            parent_id=draw(st.none() | short_ids().filter(lambda p: p != id_)),
            area_id=draw(st.none() | st.just("530300")),
            founded_on=draw(st.none() | dates()),
            qualifications=tuple(draw(st.lists(qualifications(), max_size=3))),
            governance=draw(st.none() | governances()),
        )

    return build()


def _cn_code(level: AdminLevel) -> st.SearchStrategy[str]:
    province = st.integers(min_value=11, max_value=82).map(str)
    two = st.integers(min_value=1, max_value=99).map(lambda n: f"{n:02d}")
    three = st.integers(min_value=1, max_value=999).map(lambda n: f"{n:03d}")
    match level:
        case AdminLevel.PROVINCE:
            return province.map(lambda p: p + "0000")
        case AdminLevel.PREFECTURE:
            return st.tuples(province, two).map(lambda t: t[0] + t[1] + "00")
        case AdminLevel.COUNTY:
            return st.tuples(province, two, two).map("".join)
        case AdminLevel.TOWNSHIP:
            return st.tuples(province, two, two, three).map("".join)
        case _:
            return st.tuples(province, two, two, three, three).map("".join)


def admin_areas() -> st.SearchStrategy[AdminArea]:
    """Areas with a Chinese code that fits their level, or a p-code with a generic level."""
    cn_levels = [
        AdminLevel.PROVINCE,
        AdminLevel.PREFECTURE,
        AdminLevel.COUNTY,
        AdminLevel.TOWNSHIP,
        AdminLevel.VILLAGE,
    ]
    cn = st.sampled_from(cn_levels).flatmap(lambda lv: st.tuples(st.just(lv), _cn_code(lv)))
    generic = [
        AdminLevel.COUNTRY,
        AdminLevel.ADMIN1,
        AdminLevel.ADMIN2,
        AdminLevel.ADMIN3,
        AdminLevel.ADMIN4,
        AdminLevel.ADMIN5,
    ]
    pcode = st.tuples(
        st.sampled_from(generic), st.from_regex(r"[A-Z]{2,3}[0-9]{0,8}", fullmatch=True)
    )

    @st.composite
    def build(draw: st.DrawFn) -> AdminArea:
        level, code = draw(cn | pcode)
        return AdminArea(
            id=code,
            name=draw(labels()),
            level=level,
            parent_id=draw(st.none() | st.just("530000").filter(lambda p: p != code)),
        )

    return build()


# -- donors and donations ---------------------------------------------------------------------


def donors(*, kinds: list[DonorKind] | None = None) -> st.SearchStrategy[Donor]:
    """Donors of ``kinds`` (all by default), often with names and phone numbers.

    Anonymous donors carry no contact data; only bodies have a ``registered_on`` day.
    """

    @st.composite
    def build(draw: st.DrawFn) -> Donor:
        kind = draw(members_of(DonorKind, only=kinds))
        contact: dict[str, Any] = {}
        if kind is not DonorKind.ANONYMOUS:
            contact = {
                "name": draw(st.none() | personal_names()),
                "phone": draw(st.none() | phone_numbers()),
                "email": draw(st.none() | st.just("donor@example.org")),
                "address": draw(st.none() | st.just("云南省曲靖市麒麟区某路1号")),
            }
        return Donor(
            id=draw(short_ids()),
            kind=kind,
            public_name=draw(st.none() | labels()),
            organization_id=draw(st.none() | short_ids()) if kind.is_body else None,
            registered_on=draw(st.none() | dates()) if kind.is_body else None,
            **contact,
        )

    return build()


def in_kind_items(
    *, currency: str = "CNY", valued: bool | None = None
) -> st.SearchStrategy[InKindItem]:
    """Goods given in kind; ``valued`` forces a unit value (True) or none (False)."""

    @st.composite
    def build(draw: st.DrawFn) -> InKindItem:
        has_value = draw(st.booleans()) if valued is None else valued
        quantity = draw(
            decimals(min_value=Decimal("0.5"), max_value=10**5, places=2).filter(lambda q: q > 0)
        )
        if has_value:
            basis: ValuationBasis | None = draw(
                st.none()
                | st.sampled_from(
                    [ValuationBasis.INVOICE, ValuationBasis.FAIR_VALUE, ValuationBasis.APPRAISAL]
                )
            )
            unit_value: Money | None = draw(
                money_units(currency=currency, min_value=0, max_value=10**7)
            )
        else:
            basis = draw(st.none() | st.just(ValuationBasis.UNVALUED))
            unit_value = None
        return InKindItem(
            description=draw(st.sampled_from(GOODS)),
            quantity=quantity,
            unit=draw(st.sampled_from(GOODS_UNITS)),
            unit_value=unit_value,
            valuation=basis,
        )

    return build()


def restrictions() -> st.SearchStrategy[Restriction]:
    """Restrictions to a fund, a project, a purpose or several of them."""
    return st.tuples(
        st.none() | short_ids(),
        st.none() | short_ids(),
        st.none() | st.sampled_from(["救心行动", "博爱家园", "relief"]),
    ).map(
        lambda t: Restriction(
            fund_id=t[0],
            project_id=t[1],
            purpose=t[2] if any(t) else "relief",
        )
    )


def donations(
    *,
    currency: str = "CNY",
    min_value: str | int | Decimal = "0.01",
    max_value: str | int | Decimal = 10**7,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
    forms: list[DonationForm] | None = None,
) -> st.SearchStrategy[Donation]:
    """Valid donations in ``currency``, cash or in kind, through every channel.

    In-kind gifts are made with :meth:`~humanaid.Donation.in_kind`, so their value is the
    sum of their items (and may then fall outside ``min_value`` .. ``max_value``).
    """
    low = Money(min_value, currency).minor_units
    high = Money(max_value, currency).minor_units

    @st.composite
    def build(draw: st.DrawFn) -> Donation:
        channel = draw(st.sampled_from(Channel))
        form = draw(members_of(DonationForm, only=forms))
        receipt = draw(st.sampled_from(["number", "reason", "none"]))
        kw: dict[str, Any] = {
            "id": draw(short_ids()),
            "organization_id": draw(short_ids()),
            "received_on": draw(dates(min_value=min_date, max_value=max_date)),
            "donor_id": draw(st.none() | short_ids()),
            "channel": channel,
            "platform": draw(st.sampled_from(_PLATFORMS))
            if channel is Channel.ONLINE_PLATFORM
            else None,
            "fund_id": draw(short_ids()) if channel is Channel.VIA_SPECIAL_FUND else None,
            "campaign_id": draw(st.none() | short_ids()),
            "pledge_id": draw(st.none() | short_ids()),
            "restricted_to": draw(st.none() | restrictions()),
            "receipt_number": draw(short_ids(prefix="R-")) if receipt == "number" else None,
            "no_receipt_reason": draw(st.sampled_from(NoReceiptReason))
            if receipt == "reason"
            else None,
        }
        # the bank's number, unique to the gift (two gifts share one only when a test
        # makes them: tests of the booking-once law draw their own)
        kw["transaction_ref"] = f"TX-{kw['id']}" if draw(st.booleans()) else None
        if form is DonationForm.IN_KIND:
            items = draw(
                st.lists(in_kind_items(currency=currency), min_size=1, max_size=4).filter(
                    lambda xs: any(i.value for i in xs)
                )
            )
            gift = Donation.in_kind(items=items, currency=currency, **kw)
        else:
            value = draw(money_units(currency=currency, min_value=low, max_value=high))
            gift = Donation(value=value, **kw)
        most = gift.value.minor_units // 10 + 1
        fees = draw(money_units(currency=currency, min_value=0, max_value=most))
        return attrs.evolve(gift, fees=fees)

    return build()


# -- pledges and campaigns --------------------------------------------------------------------


def _installments(currency: str) -> st.SearchStrategy[PledgeInstallment]:
    return st.builds(PledgeInstallment, due_on=dates(), amount=money_units(currency=currency))


def pledges(*, currency: str = "CNY") -> st.SearchStrategy[Pledge]:
    """Pledges due on one day or in 1 to 12 instalments, amounts in ``currency``."""

    @st.composite
    def build(draw: st.DrawFn) -> Pledge:
        pledged_on = draw(dates(max_value=date(2030, 12, 31)))
        kw: dict[str, Any] = {
            "id": draw(short_ids()),
            "donor_id": draw(short_ids()),
            "organization_id": draw(short_ids()),
            "pledged_on": pledged_on,
            "campaign_id": draw(st.none() | short_ids()),
        }
        if draw(st.booleans()):
            return Pledge(
                amount=draw(money_units(currency=currency)),
                due_on=pledged_on + timedelta(days=draw(st.integers(0, 365))),
                **kw,
            )
        count = draw(st.integers(min_value=1, max_value=12))
        amount = draw(money_units(currency=currency, min_value=count))
        return Pledge.in_installments(
            amount=amount,
            count=count,
            frequency=draw(st.sampled_from(Frequency)),
            first_due_on=pledged_on + timedelta(days=draw(st.integers(0, 90))),
            **kw,
        )

    return build()


def campaigns(*, currency: str = "CNY") -> st.SearchStrategy[Campaign]:
    """Campaigns, public or not, online or not, hosted or not, with or without a target."""

    @st.composite
    def build(draw: st.DrawFn) -> Campaign:
        start = draw(dates())
        end = draw(dates(min_value=start))
        platform = draw(st.none() | st.sampled_from(_PLATFORMS))
        return Campaign(
            id=draw(short_ids()),
            name=draw(labels()),
            organizer_id=draw(short_ids()),
            period=Period(start, end),
            host_id=draw(st.none() | short_ids()),
            fund_id=draw(st.none() | short_ids()),
            public=True if platform is not None else draw(st.booleans()),
            platform=platform,
            target=draw(st.none() | money_units(currency=currency)),
        )

    return build()


# -- derived figures (registered for the round-trip tests) -----------------------------------


def _currency_amounts() -> st.SearchStrategy[dict[str, Money]]:
    return st.lists(st.sampled_from(["CNY", "USD", "JPY"]), unique=True).flatmap(
        lambda codes: st.fixed_dictionaries({c: money_units(currency=c) for c in codes})
    )


@st.composite
def _gift_counts(draw: st.DrawFn) -> dict[str, int]:
    """Counts that agree: anonymous gifts among the gifts, donors behind the others."""
    gifts = draw(st.integers(0, 10**6))
    anonymous = draw(st.integers(0, gifts))
    donors = draw(st.integers(0, gifts - anonymous))
    return {"gifts": gifts, "donors": donors, "anonymous_gifts": anonymous}


def campaign_totals() -> st.SearchStrategy[CampaignTotals]:
    """Campaign totals with consistent counts."""
    return st.builds(
        lambda counts, **kw: CampaignTotals(**counts, **kw),
        _gift_counts(),
        campaign_id=short_ids(),
        raised=money_units(min_value=0),
        fees=money_units(min_value=0),
        target=st.none() | money_units(),
    )


def donor_rollup_records() -> st.SearchStrategy[DonorRollup]:
    """Per-donor roll-ups (as :func:`humanaid.donor_rollups` returns them)."""

    @st.composite
    def build(draw: st.DrawFn) -> DonorRollup:
        first = draw(dates())
        return DonorRollup(
            donor_id=draw(short_ids()),
            year=draw(st.integers(2000, 2035)),
            gifts=draw(st.integers(1, 1000)),
            first_gift_on=first,
            last_gift_on=draw(dates(min_value=first)),
            lifetime=draw(_currency_amounts()),
            largest_gift=draw(_currency_amounts()),
            this_year=draw(_currency_amounts()),
            last_year=draw(_currency_amounts()),
        )

    return build()


def gift_count_records() -> st.SearchStrategy[GiftCount]:
    """Gift counts with consistent numbers of gifts, donors and anonymous gifts."""
    return st.builds(
        lambda counts, totals: GiftCount(**counts, totals=totals),
        _gift_counts(),
        _currency_amounts(),
    )


def retention_records() -> st.SearchStrategy[Retention]:
    """Retention counts between two years."""
    return st.integers(0, 10**6).flatmap(
        lambda n: st.builds(
            Retention,
            first_year=st.integers(2000, 2035),
            second_year=st.integers(2000, 2035),
            donors=st.just(n),
            retained=st.integers(0, n),
        )
    )


def record_strategies() -> dict[type, Any]:
    """Each record type of this theme and the function that makes its strategy."""
    return {
        AdminArea: admin_areas,
        Qualification: qualifications,
        Governance: governances,
        GoverningBody: lambda: st.sampled_from(GoverningBodyKind).flatmap(_governing_bodies),
        Organization: organizations,
        Donor: donors,
        InKindItem: in_kind_items,
        Restriction: restrictions,
        Donation: donations,
        PledgeInstallment: lambda: _installments("CNY"),
        Pledge: pledges,
        Campaign: campaigns,
        CampaignTotals: campaign_totals,
        DonorRollup: donor_rollup_records,
        GiftCount: gift_count_records,
        Retention: retention_records,
    }
