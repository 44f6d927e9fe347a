"""The donation model again, in pydantic v2 and in msgspec, each tuned and lean, same rules.

Four rivals of ``iter_json_lines(path, Donation)``, each a function from one JSON line
(``str`` or ``bytes``) to one object, raising on bad input (:data:`LOADERS`):

* **pydantic, tuned** as pydantic's performance page advises: one ``TypeAdapter`` made
  once and reused, ``validate_json`` on the raw line (no ``json.loads`` first), strict
  mode, constraints declared (``StringConstraints`` patterns for ids and amounts, enums,
  ``date``), nested models, and Python validators only where no constraint says it
  (``AfterValidator`` for text, model validators for money and the record's rules).
* **pydantic, lean**: the same model with plain types and no per-field validators; one
  ``model_validator(mode="after")`` checks every rule in one Python call.
* **msgspec, tuned** as msgspec's performance tips advise: ``Struct`` classes with
  ``gc=False``, ``frozen``, ``forbid_unknown_fields``, ``Meta`` constraints (patterns and
  lengths), a ``Decoder`` made once and reused, ``__post_init__`` for what ``Meta``
  cannot say.
* **msgspec, lean**: plain-typed ``Struct`` classes (``gc=False``), no ``Meta``; one
  ``__post_init__`` on the donation checks every rule.

Every rival refuses what humanaid refuses (``tests/test_rivals.py`` feeds each of them the
hostile corpus of :mod:`humanaid.testing.hostile` and the cases below) and builds the
same values (``Decimal`` amounts at the currency's places, ``date`` objects, enum members,
NFC text):

* ids and references: 1 to 128 characters, no control or invisible character (soft
  hyphen U+00AD and next line U+0085 included), no surrounding spaces;
* money: ``{"amount": "12.50", "currency": "CNY"}``, the amount a plain decimal string (no
  float, no exponent, at most 64 characters), a known currency, no more places than the
  currency has, below 10**18; the value positive, the fees present or left out (never
  ``null``), not negative and in the value's currency;
* dates ``YYYY-MM-DD`` only (pydantic alone would take ``"1577836800"``); enums by value;
  strict types; unknown keys refused; **duplicate keys refused** (neither library sees
  them: both keep the last; the colons of the line are counted against the members the
  model read, as humanaid does, and a line that differs is parsed once more to find the
  duplicate);
* text: normalised to NFC, not blank, no control or invisible character, at most as long
  as humanaid's kind of text allows;
* items: quantity a positive int or plain decimal (at most 6 places, below 10**12), the
  unit value needed by every valuation but ``unvalued`` (which has none), each item's
  value and their sum within what money holds;
* the record's own rules: items only in goods, in the value's currency, a platform
  exactly for online-platform gifts, a fund for special-fund gifts, a restriction names
  something, not both a receipt number and a reason for none.
"""

from __future__ import annotations

import enum
import json
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

import msgspec
import pydantic
from msgspec import UNSET, Meta, UnsetType
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints

from humanaid.errors import LIMITS
from humanaid.money import MAX_AMOUNT, MINOR_UNITS
from humanaid.records import _UNSEEN

ID_MAX = LIMITS["id_length"]
LABEL, NAME, TEXT = LIMITS["label_length"], LIMITS["name_length"], LIMITS["text_length"]
DECIMAL_PATTERN = r"^[+-]?[0-9]+(?:\.[0-9]+)?$"
# The id rule of humanaid.records; pydantic's Rust engine has no surrogates (its JSON
# parser refuses a lone one anyway), msgspec's Python `re` wants \Z, not $ (which
# matches before a final line feed).
_RUST_UNSEEN = _UNSEEN.replace(r"\ud800-\udfff", "")
ID_PATTERN_RUST = rf"^[^\s{_RUST_UNSEEN}](?:[^{_RUST_UNSEEN}]*[^\s{_RUST_UNSEEN}])?$"
ID_PATTERN_PY = rf"\A[^\s{_UNSEEN}](?:[^{_UNSEEN}]*[^\s{_UNSEEN}])?\Z"
_ID_MATCH = re.compile(ID_PATTERN_PY).match
_DECIMAL_MATCH = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?\Z", re.ASCII).match
_ISO_MATCH = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII).match
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})
_QUANT = {places: Decimal(1).scaleb(-places) for places in set(MINOR_UNITS.values())}
_MAX_QUANTITY = Decimal(10) ** 12


class Form(enum.StrEnum):
    CASH = "cash"
    IN_KIND = "in_kind"


class Channel(enum.StrEnum):
    OFFLINE = "offline"
    BANK_TRANSFER = "bank_transfer"
    ONLINE_PLATFORM = "online_platform"
    VIA_SPECIAL_FUND = "via_special_fund"


class Valuation(enum.StrEnum):
    INVOICE = "invoice"
    FAIR_VALUE = "fair_value"
    APPRAISAL = "appraisal"
    UNVALUED = "unvalued"


class NoReceipt(enum.StrEnum):
    ANONYMOUS = "anonymous"
    DECLINED = "declined"
    NOT_REQUESTED = "not_requested"
    PENDING = "pending"


# -- the rules, in Python, shared by the four rivals ---------------------------------------------


def check_id(value: Any) -> str:
    """An id as humanaid takes one (else ``ValueError``)."""
    if value.__class__ is not str or not (
        0 < len(value) <= ID_MAX
        and (
            (value.isascii() and value.isprintable() and value[0] != " " and value[-1] != " ")
            or _ID_MATCH(value) is not None
        )
    ):
        raise ValueError("must be an id of 1 to 128 characters without control characters")
    return value


def check_text(value: Any, cap: int) -> str:
    """Text as humanaid keeps it: NFC, not blank, no invisible character, at most ``cap``."""
    if value.__class__ is not str:
        raise ValueError("must be text")
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if not value.strip():
        raise ValueError("must not be blank")
    if not value.isprintable() and any(unicodedata.category(c) in _INVISIBLE for c in value):
        raise ValueError("must not hold control or invisible characters")
    if len(value) > cap:
        raise ValueError(f"must be at most {cap} characters")
    return value


def _optional_text(cap: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        return None if value is None else check_text(value, cap)

    return check


def amount(text: Any, currency: Any) -> Decimal:
    """A money amount from its plain decimal string, at the currency's places."""
    if text.__class__ is not str or len(text) > 64 or _DECIMAL_MATCH(text) is None:
        raise ValueError("amount must be a plain decimal string")
    return exact(Decimal(text), currency)


def exact(value: Decimal, currency: str) -> Decimal:
    """An amount at the currency's places, refused if it has more or is too large."""
    places = MINOR_UNITS.get(currency) if currency.__class__ is str else None
    if places is None:
        raise ValueError("currency must be a known ISO 4217 code")
    if value.copy_abs() >= MAX_AMOUNT:
        raise ValueError("amount must be smaller than 10**18")
    rounded = value.quantize(_QUANT[places])
    if rounded != value:
        raise ValueError(f"amount has more than {places} places for {currency}")
    return rounded


def quantity(value: Any) -> Decimal:
    """An item's quantity: a positive int or plain decimal, 6 places, below 10**12."""
    if value.__class__ is int:
        q = Decimal(value) if -(10**64) < value < 10**64 else Decimal(-1)
    elif value.__class__ is str and len(value) <= 64 and _DECIMAL_MATCH(value) is not None:
        q = Decimal(value)
    else:
        raise ValueError("quantity must be an int or a plain decimal string")
    exponent = q.as_tuple().exponent
    if not (0 < q < _MAX_QUANTITY) or not isinstance(exponent, int) or exponent < -6:
        raise ValueError("quantity must be more than 0, below 10**12, at most 6 places")
    return q


def iso_date(value: Any) -> date:
    """A date from ``YYYY-MM-DD`` text only."""
    if value.__class__ is not str or _ISO_MATCH(value) is None:
        raise ValueError("must be a date as YYYY-MM-DD")
    return date.fromisoformat(value)


def item_value(qty: Decimal, unit_amount: Decimal, currency: str) -> Decimal:
    value = (qty * unit_amount).quantize(_QUANT[MINOR_UNITS[currency]], rounding=ROUND_HALF_UP)
    if value >= MAX_AMOUNT:
        raise ValueError("the item's value is too large to hold")
    return value


def check_item(valuation: Any, unit_value_given: bool) -> None:
    if valuation is Valuation.UNVALUED and unit_value_given:
        raise ValueError("unit_value must be None when valuation is unvalued")
    if valuation is not None and valuation is not Valuation.UNVALUED and not unit_value_given:
        raise ValueError("unit_value is required for this valuation")


def check_gift(
    form: Form,
    channel: Channel,
    platform: str | None,
    fund_id: str | None,
    value: Decimal,
    currency: str,
    fees: Decimal,
    fees_currency: str,
    items: list[tuple[Decimal, Decimal | None, str | None]],
    receipt_number: str | None,
    no_receipt_reason: NoReceipt | None,
) -> None:
    """The donation's own rules (``items``: quantity, unit amount, unit currency)."""
    if not value > 0:
        raise ValueError("value must be positive")
    if fees < 0:
        raise ValueError("fees must not be negative")
    if fees_currency != currency:
        raise ValueError("fees must be in the currency of value")
    if items:
        if form is Form.CASH:
            raise ValueError("a cash gift has no items")
        total = Decimal(0)
        for qty, unit_amount, unit_currency in items:
            if unit_amount is not None:
                if unit_currency != currency:
                    raise ValueError("items must be valued in the currency of value")
                total += item_value(qty, unit_amount, currency)
        if total >= MAX_AMOUNT:
            raise ValueError("the items' values add up to more than money holds")
    if channel is Channel.ONLINE_PLATFORM:
        if platform is None:
            raise ValueError("platform is required for an online_platform gift")
    elif platform is not None:
        raise ValueError("platform is only for online_platform gifts")
    if channel is Channel.VIA_SPECIAL_FUND and fund_id is None:
        raise ValueError("fund_id is required for a via_special_fund gift")
    if receipt_number is not None and no_receipt_reason is not None:
        raise ValueError("give either receipt_number or no_receipt_reason, not both")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key")
    return dict(pairs)


def counted(line: str | bytes, members: int) -> None:
    """Refuse a line with a repeated key: more colons than the members the model read.

    Each member of an object has one colon outside strings; a line with as many colons
    as members read repeats no key. Otherwise (a colon inside a string, or a repeat) the
    line is parsed once more, refusing any repeat.
    """
    colons = line.count(b":" if isinstance(line, bytes) else ":")
    if colons != members:
        json.loads(line, object_pairs_hook=_no_duplicates)


# -- pydantic v2, tuned -------------------------------------------------------------------------

_STRICT = ConfigDict(strict=True, extra="forbid", frozen=True)
PId = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN_RUST)]
PDate = Annotated[date, BeforeValidator(iso_date)]


def _ptext(cap: int) -> Any:
    return Annotated[str, AfterValidator(lambda v: check_text(v, cap))]


def plain_decimal(value: Any) -> Decimal:
    """A plain decimal string (no float, no exponent, at most 64 characters) as a Decimal."""
    if value.__class__ is not str or len(value) > 64 or _DECIMAL_MATCH(value) is None:
        raise ValueError("must be a plain decimal string")
    return Decimal(value)


class PMoney(BaseModel):
    model_config = _STRICT
    amount: Annotated[Decimal, BeforeValidator(plain_decimal)]
    currency: str

    @pydantic.model_validator(mode="after")
    def _exact(self) -> PMoney:
        self.__dict__["amount"] = exact(self.amount, self.currency)
        return self


class PItem(BaseModel):
    model_config = _STRICT
    description: _ptext(NAME)  # type: ignore[valid-type]
    quantity: Annotated[Decimal, BeforeValidator(quantity)]
    unit: _ptext(LABEL)  # type: ignore[valid-type]
    unit_value: PMoney | None = None
    valuation: Valuation | None = None

    @pydantic.model_validator(mode="after")
    def _rules(self) -> PItem:
        check_item(self.valuation, self.unit_value is not None)
        if self.unit_value is not None:
            item_value(self.quantity, self.unit_value.amount, self.unit_value.currency)
        return self


class PRestriction(BaseModel):
    model_config = _STRICT
    fund_id: PId | None = None
    project_id: PId | None = None
    purpose: _ptext(NAME) | None = None  # type: ignore[valid-type]

    @pydantic.model_validator(mode="after")
    def _some(self) -> PRestriction:
        if self.fund_id is None and self.project_id is None and self.purpose is None:
            raise ValueError("a restriction names at least one of fund_id, project_id, purpose")
        return self


class PDonation(BaseModel):
    """One gift, as pydantic v2 models it: strict, frozen, no unknown keys."""

    model_config = _STRICT
    id: PId
    organization_id: PId
    received_on: PDate
    value: PMoney
    donor_id: PId | None = None
    form: Form = Form.CASH
    items: tuple[PItem, ...] = ()
    fees: PMoney = None  # type: ignore[assignment]  # left out: zero; null: refused
    channel: Channel = Channel.OFFLINE
    platform: _ptext(TEXT) | None = None  # type: ignore[valid-type]
    fund_id: PId | None = None
    campaign_id: PId | None = None
    pledge_id: PId | None = None
    restricted_to: PRestriction | None = None
    receipt_number: _ptext(LABEL) | None = None  # type: ignore[valid-type]
    no_receipt_reason: NoReceipt | None = None
    transaction_ref: _ptext(TEXT) | None = None  # type: ignore[valid-type]

    @pydantic.model_validator(mode="after")
    def _rules(self) -> PDonation:
        value, fees = self.value, self.fees
        if fees is None:
            fees = self.__dict__["fees"] = PMoney.model_construct(
                amount=Decimal(0).quantize(_QUANT[MINOR_UNITS[value.currency]]),
                currency=value.currency,
            )
        check_gift(
            self.form,
            self.channel,
            self.platform,
            self.fund_id,
            value.amount,  # type: ignore[arg-type]
            value.currency,
            fees.amount,  # type: ignore[arg-type]
            fees.currency,
            [
                (i.quantity, None, None)
                if i.unit_value is None
                else (i.quantity, i.unit_value.amount, i.unit_value.currency)
                for i in self.items
            ],  # type: ignore[misc]
            self.receipt_number,
            self.no_receipt_reason,
        )
        return self


def _pydantic_members(d: Any) -> int:
    """The object members a pydantic donation read (fields set, nested ones too)."""
    n = len(d.__pydantic_fields_set__) + 2  # value: both keys required
    if "fees" in d.__pydantic_fields_set__:
        n += 2
    r = d.restricted_to
    if r is not None:
        n += len(r.__pydantic_fields_set__)
    for item in d.items:
        n += len(item.__pydantic_fields_set__) + (2 if item.unit_value is not None else 0)
    return n


PYDANTIC_TUNED = pydantic.TypeAdapter(PDonation)


def load_pydantic_tuned(line: str | bytes) -> PDonation:
    """One line through the reused ``TypeAdapter``'s ``validate_json``, repeats refused."""
    d = PYDANTIC_TUNED.validate_json(line)
    counted(line, _pydantic_members(d))
    return d


# -- pydantic v2, lean ------------------------------------------------------------------------


class LMoney(BaseModel):
    model_config = _STRICT
    # Read as the string (a JSON number would be a Decimal, refused by the validator);
    # a Decimal once validated, written back as a string.
    amount: str | Decimal
    currency: str


class LItem(BaseModel):
    model_config = _STRICT
    description: str
    quantity: str | int | Decimal  # a str or int read; a Decimal once validated
    unit: str
    unit_value: LMoney | None = None
    valuation: Valuation | None = None


class LRestriction(BaseModel):
    model_config = _STRICT
    fund_id: str | None = None
    project_id: str | None = None
    purpose: str | None = None


class LDonation(BaseModel):
    """The pydantic donation with plain types and one validator for every rule."""

    model_config = _STRICT
    id: str
    organization_id: str
    received_on: Annotated[date, BeforeValidator(iso_date)]
    value: LMoney
    donor_id: str | None = None
    form: Form = Form.CASH
    items: tuple[LItem, ...] = ()
    fees: LMoney = None  # type: ignore[assignment]
    channel: Channel = Channel.OFFLINE
    platform: str | None = None
    fund_id: str | None = None
    campaign_id: str | None = None
    pledge_id: str | None = None
    restricted_to: LRestriction | None = None
    receipt_number: str | None = None
    no_receipt_reason: NoReceipt | None = None
    transaction_ref: str | None = None

    @pydantic.model_validator(mode="after")
    def _everything(self) -> LDonation:
        d = self.__dict__
        check_id(self.id)
        check_id(self.organization_id)
        for name in ("donor_id", "fund_id", "campaign_id", "pledge_id"):
            if d[name] is not None:
                check_id(d[name])
        value = self.value
        currency = value.currency
        value.__dict__["amount"] = amount(value.amount, currency)
        fees = self.fees
        if fees is None:
            fees = d["fees"] = LMoney.model_construct(
                amount=Decimal(0).quantize(_QUANT[MINOR_UNITS[currency]]), currency=currency
            )
        else:
            fees.__dict__["amount"] = amount(fees.amount, fees.currency)
        for name, cap in (("platform", TEXT), ("receipt_number", LABEL), ("transaction_ref", TEXT)):
            if d[name] is not None:
                d[name] = check_text(d[name], cap)
        r = self.restricted_to
        if r is not None:
            rd = r.__dict__
            if r.fund_id is not None:
                check_id(r.fund_id)
            if r.project_id is not None:
                check_id(r.project_id)
            if r.purpose is not None:
                rd["purpose"] = check_text(r.purpose, NAME)
            if r.fund_id is None and r.project_id is None and r.purpose is None:
                raise ValueError("a restriction names at least one of fund_id, project_id, purpose")
        items = []
        for item in self.items:
            i = item.__dict__
            i["description"] = check_text(item.description, NAME)
            i["unit"] = check_text(item.unit, LABEL)
            i["quantity"] = q = quantity(item.quantity)
            uv = item.unit_value
            check_item(item.valuation, uv is not None)
            if uv is None:
                items.append((q, None, None))
            else:
                uv.__dict__["amount"] = a = amount(uv.amount, uv.currency)
                item_value(q, a, uv.currency)
                items.append((q, a, uv.currency))
        check_gift(
            self.form,
            self.channel,
            d["platform"],
            self.fund_id,
            value.amount,  # type: ignore[arg-type]
            currency,
            fees.amount,  # type: ignore[arg-type]
            fees.currency,
            items,  # type: ignore[arg-type]
            d["receipt_number"],
            self.no_receipt_reason,
        )
        return self


PYDANTIC_LEAN = pydantic.TypeAdapter(LDonation)


def load_pydantic_lean(line: str | bytes) -> LDonation:
    """One line through the lean model's reused adapter, repeats refused."""
    d = PYDANTIC_LEAN.validate_json(line)
    counted(line, _pydantic_members(d))
    return d


# -- msgspec, tuned ----------------------------------------------------------------------------

_set = msgspec.structs.force_setattr
MId = Annotated[str, Meta(min_length=1, max_length=ID_MAX, pattern=ID_PATTERN_PY)]
MAmount = Annotated[str, Meta(max_length=64, pattern=DECIMAL_PATTERN)]
_MEMBERS = [0]  # the object members the structs of the line being decoded read


class MMoney(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    amount: MAmount  # a Decimal once loaded
    currency: str

    def __post_init__(self) -> None:
        _set(self, "amount", amount(self.amount, self.currency))
        _MEMBERS[0] += 2


class MItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    description: Annotated[str, Meta(min_length=1)]
    quantity: str | int  # a Decimal once loaded
    unit: Annotated[str, Meta(min_length=1)]
    unit_value: MMoney | UnsetType | None = UNSET
    valuation: Valuation | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        n = 3
        uv = self.unit_value
        if uv is UNSET:
            uv = None
        else:
            n += 1
        _set(self, "unit_value", uv)
        if self.valuation is UNSET:
            _set(self, "valuation", None)
        else:
            n += 1
        _MEMBERS[0] += n
        _set(self, "description", check_text(self.description, NAME))
        _set(self, "unit", check_text(self.unit, LABEL))
        _set(self, "quantity", q := quantity(self.quantity))
        check_item(self.valuation, uv is not None)
        if uv is not None:
            item_value(q, uv.amount, uv.currency)  # type: ignore[arg-type]


class MRestriction(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    fund_id: MId | UnsetType | None = UNSET
    project_id: MId | UnsetType | None = UNSET
    purpose: str | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        n = 0
        for name in ("fund_id", "project_id", "purpose"):
            if getattr(self, name) is UNSET:
                _set(self, name, None)
            else:
                n += 1
        _MEMBERS[0] += n
        if self.purpose is not None:
            _set(self, "purpose", check_text(self.purpose, NAME))
        if self.fund_id is None and self.project_id is None and self.purpose is None:
            raise ValueError("a restriction names at least one of fund_id, project_id, purpose")


_M_OPTIONAL = (
    "donor_id",
    "form",
    "items",
    "fees",
    "channel",
    "platform",
    "fund_id",
    "campaign_id",
    "pledge_id",
    "restricted_to",
    "receipt_number",
    "no_receipt_reason",
    "transaction_ref",
)
_M_DEFAULTS = {"form": Form.CASH, "items": (), "channel": Channel.OFFLINE}


class MDonation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """One gift, as msgspec models it: frozen, no unknown keys, not tracked by the collector."""

    id: MId
    organization_id: MId
    received_on: date
    value: MMoney
    donor_id: MId | UnsetType | None = UNSET
    form: Form | UnsetType = UNSET
    items: tuple[MItem, ...] | UnsetType = UNSET
    fees: MMoney | UnsetType = UNSET  # left out: zero; null: refused
    channel: Channel | UnsetType = UNSET
    platform: str | UnsetType | None = UNSET
    fund_id: MId | UnsetType | None = UNSET
    campaign_id: MId | UnsetType | None = UNSET
    pledge_id: MId | UnsetType | None = UNSET
    restricted_to: MRestriction | UnsetType | None = UNSET
    receipt_number: str | UnsetType | None = UNSET
    no_receipt_reason: NoReceipt | UnsetType | None = UNSET
    transaction_ref: str | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        n = 4
        for name in _M_OPTIONAL:
            if getattr(self, name) is UNSET:
                _set(self, name, _M_DEFAULTS.get(name))
            else:
                n += 1
        _MEMBERS[0] += n
        value = self.value
        fees = self.fees
        if fees is None:
            fees = MMoney(amount="0", currency=value.currency)
            _MEMBERS[0] -= 2
            _set(self, "fees", fees)
        _set(self, "platform", _optional_text(TEXT)(self.platform))
        _set(self, "receipt_number", _optional_text(LABEL)(self.receipt_number))
        _set(self, "transaction_ref", _optional_text(TEXT)(self.transaction_ref))
        check_gift(
            self.form,  # type: ignore[arg-type]
            self.channel,  # type: ignore[arg-type]
            self.platform,  # type: ignore[arg-type]
            self.fund_id,  # type: ignore[arg-type]
            value.amount,  # type: ignore[arg-type]
            value.currency,
            fees.amount,  # type: ignore[union-attr]
            fees.currency,  # type: ignore[union-attr]
            [
                (i.quantity, None, None)
                if i.unit_value is None
                else (i.quantity, i.unit_value.amount, i.unit_value.currency)  # type: ignore[union-attr]
                for i in self.items  # type: ignore[union-attr]
            ],  # type: ignore[misc]
            self.receipt_number,  # type: ignore[arg-type]
            self.no_receipt_reason,  # type: ignore[arg-type]
        )


MSGSPEC_TUNED = msgspec.json.Decoder(MDonation)


def load_msgspec_tuned(line: str | bytes) -> MDonation:
    """One line through the reused ``Decoder``, repeats refused."""
    _MEMBERS[0] = 0
    d = MSGSPEC_TUNED.decode(line)
    counted(line, _MEMBERS[0])
    return d


# -- msgspec, lean -----------------------------------------------------------------------------


class NMoney(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    amount: str  # a Decimal once loaded
    currency: str


class NItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    description: str
    quantity: str | int
    unit: str
    unit_value: NMoney | UnsetType | None = UNSET
    valuation: Valuation | UnsetType | None = UNSET


class NRestriction(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    fund_id: str | UnsetType | None = UNSET
    project_id: str | UnsetType | None = UNSET
    purpose: str | UnsetType | None = UNSET


class NDonation(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """The msgspec donation with plain types and one ``__post_init__`` for every rule."""

    id: str
    organization_id: str
    received_on: date
    value: NMoney
    donor_id: str | UnsetType | None = UNSET
    form: Form | UnsetType = UNSET
    items: tuple[NItem, ...] | UnsetType = UNSET
    fees: NMoney | UnsetType = UNSET
    channel: Channel | UnsetType = UNSET
    platform: str | UnsetType | None = UNSET
    fund_id: str | UnsetType | None = UNSET
    campaign_id: str | UnsetType | None = UNSET
    pledge_id: str | UnsetType | None = UNSET
    restricted_to: NRestriction | UnsetType | None = UNSET
    receipt_number: str | UnsetType | None = UNSET
    no_receipt_reason: NoReceipt | UnsetType | None = UNSET
    transaction_ref: str | UnsetType | None = UNSET

    def __post_init__(self) -> None:
        n = 6  # id, organization_id, received_on, value and its two keys
        for name in _M_OPTIONAL:
            if getattr(self, name) is UNSET:
                _set(self, name, _M_DEFAULTS.get(name))
            else:
                n += 1
        check_id(self.id)
        check_id(self.organization_id)
        for name in ("donor_id", "fund_id", "campaign_id", "pledge_id"):
            v = getattr(self, name)
            if v is not None:
                check_id(v)
        value = self.value
        currency = value.currency
        _set(value, "amount", amount(value.amount, currency))
        fees = self.fees
        if fees is None:
            fees = NMoney(
                amount=Decimal(0).quantize(_QUANT[MINOR_UNITS[currency]]), currency=currency
            )  # type: ignore[arg-type]
            _set(self, "fees", fees)
        else:
            n += 2
            _set(fees, "amount", amount(fees.amount, fees.currency))  # type: ignore[union-attr]
        for name, cap in (("platform", TEXT), ("receipt_number", LABEL), ("transaction_ref", TEXT)):
            v = getattr(self, name)
            if v is not None:
                _set(self, name, check_text(v, cap))
        r = self.restricted_to
        if r is not None:
            for name in ("fund_id", "project_id", "purpose"):
                v = getattr(r, name)
                if v is UNSET:
                    _set(r, name, None)
                else:
                    n += 1
            if r.fund_id is not None:
                check_id(r.fund_id)
            if r.project_id is not None:
                check_id(r.project_id)
            if r.purpose is not None:
                _set(r, "purpose", check_text(r.purpose, NAME))
            if r.fund_id is None and r.project_id is None and r.purpose is None:  # type: ignore[union-attr]
                raise ValueError("a restriction names at least one of fund_id, project_id, purpose")
        items = []
        for item in self.items:  # type: ignore[union-attr]
            n += 3
            _set(item, "description", check_text(item.description, NAME))
            _set(item, "unit", check_text(item.unit, LABEL))
            _set(item, "quantity", q := quantity(item.quantity))
            uv = item.unit_value
            if uv is UNSET:
                uv = None
                _set(item, "unit_value", None)
            else:
                n += 1
            if item.valuation is UNSET:
                _set(item, "valuation", None)
            else:
                n += 1
            check_item(item.valuation, uv is not None)
            if uv is None:
                items.append((q, None, None))
            else:
                n += 2
                _set(uv, "amount", a := amount(uv.amount, uv.currency))
                item_value(q, a, uv.currency)
                items.append((q, a, uv.currency))
        _MEMBERS[0] = n
        check_gift(
            self.form,  # type: ignore[arg-type]
            self.channel,  # type: ignore[arg-type]
            self.platform,  # type: ignore[arg-type]
            self.fund_id,  # type: ignore[arg-type]
            value.amount,  # type: ignore[arg-type]
            currency,
            fees.amount,  # type: ignore[union-attr, arg-type]
            fees.currency,  # type: ignore[union-attr]
            items,  # type: ignore[arg-type]
            self.receipt_number,  # type: ignore[arg-type]
            self.no_receipt_reason,  # type: ignore[arg-type]
        )


MSGSPEC_LEAN = msgspec.json.Decoder(NDonation)


def load_msgspec_lean(line: str | bytes) -> NDonation:
    """One line through the lean ``Decoder``, repeats refused."""
    d = MSGSPEC_LEAN.decode(line)
    counted(line, _MEMBERS[0])
    return d


LOADERS: dict[str, Callable[[str | bytes], Any]] = {
    "pydantic tuned": load_pydantic_tuned,
    "pydantic lean": load_pydantic_lean,
    "msgspec tuned": load_msgspec_tuned,
    "msgspec lean": load_msgspec_lean,
}
"""Each rival: one JSON line to one validated object, raising on anything humanaid refuses."""

MSGSPEC_ENCODER = msgspec.json.Encoder(decimal_format="string")


def dump_pydantic(obj: Any) -> str:
    """The donation's compact JSON text, as pydantic writes it."""
    return obj.model_dump_json()  # type: ignore[no-any-return]


def dump_msgspec(obj: Any) -> bytes:
    """The donation's compact JSON bytes, as msgspec writes them."""
    return MSGSPEC_ENCODER.encode(obj)
