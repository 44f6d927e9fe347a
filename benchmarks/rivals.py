"""The donation model again, in pydantic v2 and in msgspec, with the same validation.

What humanaid checks when a :class:`humanaid.Donation` is loaded, both rivals check too:

* ids and references: 1 to 128 characters, no control or invisible characters, no
  surrounding spaces (the same pattern as ``humanaid.records``);
* money: ``{"amount": "12.50", "currency": "CNY"}`` with the amount a plain decimal
  string (no float, no exponent, at most 64 characters), a known ISO 4217 currency, no
  more places than the currency has, below 10**18; the value positive, the fees not
  negative and in the value's currency;
* dates: ISO ``YYYY-MM-DD`` strings; enums: their values only; strict types (no
  coercion of numbers to strings or the reverse); unknown keys refused;
* text: not blank, normalised to NFC;
* the record's own rules: no items in a cash gift, items valued in the gift's currency,
  a platform exactly for online-platform gifts, a fund for special-fund gifts, a
  restriction names something, not both a receipt number and a reason for none.

Both build exact ``Decimal`` amounts, ``date`` objects and enum members, like humanaid.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import msgspec
import pydantic
from pydantic import BaseModel, ConfigDict, StringConstraints

from humanaid.money import MAX_AMOUNT, known_currencies
from humanaid.records import ID_MAX_LENGTH

_CURRENCIES = known_currencies()
_PLACES = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "JPY": 0, "KWD": 3}
_DECIMAL = r"^[+-]?[0-9]+(?:\.[0-9]+)?$"
_BAD = r"\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060\ufeff"
ID_PATTERN = rf"^[^\s{_BAD}](?:[^{_BAD}]*[^\s{_BAD}])?$"
_ID_RE = re.compile(ID_PATTERN)


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


def _amount(text: str, currency: str) -> Decimal:
    value = Decimal(text)
    if abs(value) >= MAX_AMOUNT:
        raise ValueError("amount must be smaller than 10**18")
    exponent = value.as_tuple().exponent
    places = _PLACES.get(currency, 2)
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"amount has more than {places} places for {currency}")
    return value.quantize(Decimal(1).scaleb(-places))


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value)
    if not value.strip():
        raise ValueError("text must not be blank")
    if not value.isprintable() and any(unicodedata.category(c) in ("Cc", "Cf") for c in value):
        raise ValueError("text must not contain control characters")
    return value


def _rules(
    form: Form,
    channel: Channel,
    platform: str | None,
    fund_id: str | None,
    value_currency: str,
    fees_currency: str,
    item_currencies: list[str],
    receipt_number: str | None,
    no_receipt_reason: NoReceipt | None,
) -> None:
    if fees_currency != value_currency:
        raise ValueError("fees must be in the currency of value")
    if form is Form.CASH and item_currencies:
        raise ValueError("a cash gift has no items")
    if any(c != value_currency for c in item_currencies):
        raise ValueError("items must be valued in the currency of value")
    if (channel is Channel.ONLINE_PLATFORM) != (platform is not None):
        raise ValueError("platform is required for online_platform gifts, and only for them")
    if channel is Channel.VIA_SPECIAL_FUND and fund_id is None:
        raise ValueError("fund_id is required for a via_special_fund gift")
    if receipt_number is not None and no_receipt_reason is not None:
        raise ValueError("give either receipt_number or no_receipt_reason, not both")


# -- pydantic v2 --------------------------------------------------------------------------------

PId = Annotated[str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
PDecimalText = Annotated[str, StringConstraints(max_length=64, pattern=_DECIMAL)]
_STRICT = ConfigDict(strict=True, extra="forbid", frozen=True)


class PMoney(BaseModel):
    model_config = _STRICT
    amount: Decimal
    currency: str

    @pydantic.model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, dict):
            raw, cur = data.get("amount"), data.get("currency")
            if not isinstance(raw, str) or len(raw) > 64 or not re.match(_DECIMAL, raw):
                raise ValueError("amount must be a plain decimal string")
            if not isinstance(cur, str) or cur not in _CURRENCIES:
                raise ValueError("currency must be a known ISO 4217 code")
            return {**data, "amount": _amount(raw, cur)}
        return data


class PItem(BaseModel):
    model_config = _STRICT
    description: str
    quantity: Decimal
    unit: str
    unit_value: PMoney | None = None
    valuation: Valuation | None = None

    @pydantic.model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, dict):
            q = data.get("quantity")
            if not isinstance(q, str) or not re.match(_DECIMAL, q) or Decimal(q) <= 0:
                raise ValueError("quantity must be a positive decimal string")
            return {**data, "quantity": Decimal(q)}
        return data

    @pydantic.field_validator("description", "unit")
    @classmethod
    def _text(cls, v: str) -> str | None:
        return _text(v)


class PRestriction(BaseModel):
    model_config = _STRICT
    fund_id: PId | None = None
    project_id: PId | None = None
    purpose: str | None = None

    @pydantic.model_validator(mode="after")
    def _some(self) -> PRestriction:
        if self.fund_id is None and self.project_id is None and self.purpose is None:
            raise ValueError("a restriction names at least one of fund_id, project_id, purpose")
        return self


class PDonation(BaseModel):
    """One gift, as pydantic v2 models it (strict, frozen, no unknown keys)."""

    model_config = _STRICT
    id: PId
    organization_id: PId
    received_on: date
    value: PMoney
    donor_id: PId | None = None
    form: Form = Form.CASH
    items: tuple[PItem, ...] = ()
    fees: PMoney | None = None
    channel: Channel = Channel.OFFLINE
    platform: str | None = None
    fund_id: PId | None = None
    campaign_id: PId | None = None
    pledge_id: PId | None = None
    restricted_to: PRestriction | None = None
    receipt_number: str | None = None
    no_receipt_reason: NoReceipt | None = None
    transaction_ref: str | None = None

    @pydantic.field_validator("platform", "receipt_number", "transaction_ref")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        return _text(v)

    @pydantic.model_validator(mode="after")
    def _rules(self) -> PDonation:
        if self.value.amount <= 0:
            raise ValueError("value must be positive")
        fees = self.fees
        if fees is not None and fees.amount < 0:
            raise ValueError("fees must not be negative")
        _rules(
            self.form,
            self.channel,
            self.platform,
            self.fund_id,
            self.value.currency,
            self.value.currency if fees is None else fees.currency,
            [i.unit_value.currency for i in self.items if i.unit_value is not None],
            self.receipt_number,
            self.no_receipt_reason,
        )
        return self


# -- msgspec -----------------------------------------------------------------------------------

MId = Annotated[str, msgspec.Meta(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]
MDecimalText = Annotated[str, msgspec.Meta(max_length=64, pattern=_DECIMAL)]
_set = msgspec.structs.force_setattr


class MMoney(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    amount: MDecimalText  # a Decimal once loaded (see __post_init__)
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in _CURRENCIES:
            raise ValueError("currency must be a known ISO 4217 code")
        _set(self, "amount", _amount(self.amount, self.currency))


class MItem(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    description: str
    quantity: MDecimalText
    unit: str
    unit_value: MMoney | None = None
    valuation: Valuation | None = None

    def __post_init__(self) -> None:
        q = Decimal(self.quantity)
        if q <= 0:
            raise ValueError("quantity must be positive")
        _set(self, "quantity", q)
        _set(self, "description", _text(self.description))
        _set(self, "unit", _text(self.unit))


class MRestriction(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    fund_id: MId | None = None
    project_id: MId | None = None
    purpose: str | None = None

    def __post_init__(self) -> None:
        if self.fund_id is None and self.project_id is None and self.purpose is None:
            raise ValueError("a restriction names at least one of fund_id, project_id, purpose")


class MDonation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One gift, as msgspec models it (frozen, no unknown keys)."""

    id: MId
    organization_id: MId
    received_on: date
    value: MMoney
    donor_id: MId | None = None
    form: Form = Form.CASH
    items: tuple[MItem, ...] = ()
    fees: MMoney | None = None
    channel: Channel = Channel.OFFLINE
    platform: str | None = None
    fund_id: MId | None = None
    campaign_id: MId | None = None
    pledge_id: MId | None = None
    restricted_to: MRestriction | None = None
    receipt_number: str | None = None
    no_receipt_reason: NoReceipt | None = None
    transaction_ref: str | None = None

    def __post_init__(self) -> None:
        value = self.value.amount
        assert isinstance(value, Decimal)
        if value <= 0:
            raise ValueError("value must be positive")
        fees = self.fees
        if fees is not None and Decimal(fees.amount) < 0:
            raise ValueError("fees must not be negative")
        _set(self, "platform", _text(self.platform))
        _set(self, "receipt_number", _text(self.receipt_number))
        _set(self, "transaction_ref", _text(self.transaction_ref))
        _rules(
            self.form,
            self.channel,
            self.platform,
            self.fund_id,
            self.value.currency,
            self.value.currency if fees is None else fees.currency,
            [i.unit_value.currency for i in self.items if i.unit_value is not None],
            self.receipt_number,
            self.no_receipt_reason,
        )


MSGSPEC_DECODER = msgspec.json.Decoder(MDonation, strict=True)
MSGSPEC_ENCODER = msgspec.json.Encoder(decimal_format="string")
