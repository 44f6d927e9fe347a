"""Figures an organisation published, kept as records and checked against the records.

An annual report or an article states figures: "累计向贫困地区投入帮扶资金物资4189万元",
"筛查28.42万人次", "救助金额达2391.70万余元". A :class:`ReportedFigure` keeps one such
figure exactly as printed, with the organisation, the period and what it counts, and,
when the report presents it as part of another figure, the id of that total.

A printed figure is a range, not a point: "28.42万人次" is any count from 284,150 to
284,250 (rounded to the last digit shown), "2391.70万余元" is at least 23,917,000 yuan and
less than 23,917,100 (余: the remainder was dropped), and "400多人" (四百多人) is 400 to 499:
after a whole number, 余 and 多 fill the places of its zeros. :attr:`ReportedFigure.lower` and
:attr:`ReportedFigure.upper` give the range, and :meth:`ReportedFigure.admits` says whether a
computed figure agrees with the printed one.

Two checks follow from that, and neither bends the data to fit the report:

* the rule ``reports.parts-exceed-total`` (in :mod:`humanaid.rules.reported`): the least
  the parts of a total can be is more than the most the total can be, so the figures
  cannot all be true together;
* :func:`humanaid.reconcile` (in :mod:`humanaid.reconciliation`): each figure beside the
  one computed from the records, and a ``reports.figure-mismatch`` finding for each that
  disagrees.

This module is the record and its reading of printed figures; it imports nothing but the
kernel, so that the dataset can hold reported figures.

>>> from datetime import date
>>> from humanaid import Money, Period
>>> total = ReportedFigure(id="put-in", organization_id="qj", subject="投入帮扶资金物资",
...                        stated="4189万元", period=Period(date(2015, 1, 1), date(2020, 12, 31)))
>>> total.value, total.lower, total.upper
(Money('41890000.00', 'CNY'), Decimal('41885000'), Decimal('41895000'))
>>> total.admits(Money("41890000")), total.admits(Money("50583700"))
(True, False)
>>> paid = ReportedFigure(id="heart-paid", organization_id="qj", subject="救助金额",
...                       stated="2391.70万余元", period=total.period)
>>> paid.at_least, paid.format_like(Money("23917012.50"))
(True, '2391.70万余元')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

import attrs

from humanaid._decimal import EXACT as _EXACT
from humanaid._decimal import SHOWN as _SHOWN
from humanaid.errors import FieldValueError
from humanaid.money import MAX_AMOUNT, Money
from humanaid.periods import Period
from humanaid.records import id_field, non_empty_text, record_field, ref_field, text_field

__all__ = ["ReportedFigure", "parse_figure"]

_MULTIPLIERS: Final[Mapping[str, int]] = {"": 1, "万": 10_000, "亿": 100_000_000}
_MONEY_UNITS: Final[Mapping[str, str]] = {
    "元": "CNY",
    "人民币": "CNY",
    "人民币元": "CNY",
    "美元": "USD",
    "欧元": "EUR",
    "港元": "HKD",
    "港币": "HKD",
}
# A unit is letters that are not ASCII (元, 人次, 户), with parentheses: 笔(次). No
# punctuation, so "4189万元," or "1e5元" are refused rather than read as odd counts.
_FIGURE: Final = re.compile(
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<multiplier>[万亿]?)(?P<more>[余多]?)"
    r"(?P<unit>(?:[^\W\d_A-Za-z万亿余多](?:[^\W\d_A-Za-z]|[()（）])*)?)"
)
_MAX_PLACES: Final = 8
_CN_DIGITS: Final[Mapping[str, int]] = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
    "八": 8, "九": 9,
}  # fmt: skip
_CN_UNITS: Final[Mapping[str, int]] = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER: Final = re.compile(r"[零〇一二两三四五六七八九十百千]+")


def _from_chinese(numeral: str) -> int:
    """A number written in Chinese numerals below 10,000: 四 4, 十 10, 一百零五 105."""
    total, digit = 0, None
    for ch in numeral:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


def _to_chinese(n: int) -> str:
    """``n`` (0 to 9,999) in Chinese numerals, as a report writes it: 十轮, 四批, 一百零五人."""
    if n == 0:
        return "零"
    digits, out, zero = "零一二三四五六七八九", "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, value)
        if d:
            if zero:
                out, zero = out + "零", False
            out += ("" if d == 1 and unit == "十" and not out else digits[d]) + unit
        elif out:
            zero = True
    return out


@attrs.frozen
class _Parsed:
    number: Decimal
    places: int
    multiplier: str
    at_least: bool
    unit: str
    exponent: int  # the step of the last digit shown is 10**exponent (before 万/亿)
    more: str  # 余 or 多 as printed, or ""
    chinese: bool = False  # the number was printed in Chinese numerals (四批, 十轮)


def _parse(text: str) -> _Parsed:
    normal = unicodedata.normalize("NFKC", text).strip()
    chinese = _CN_NUMBER.match(normal)
    if chinese is not None:  # 四批, 十轮: the number in Chinese numerals
        normal = f"{_from_chinese(chinese.group())}{normal[chinese.end() :]}"
    match = _FIGURE.fullmatch(normal)
    if match is None:
        raise FieldValueError(
            "stated",
            f"must be a figure as printed, a number with an optional 万 or 亿, an "
            f"optional 余 or 多 and a unit, such as '4189万元', '28.42万人次' or "
            f"'2391.70万余元' (got {text!r})",
        )
    digits = match["number"].replace(",", "")
    try:
        number = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise FieldValueError("stated", f"has no number (got {text!r})") from None
    places = len(digits.partition(".")[2])
    scale_exponent = Decimal(_MULTIPLIERS[match["multiplier"]]).adjusted()
    if places > _MAX_PLACES or (
        number and number.adjusted() + scale_exponent >= MAX_AMOUNT.adjusted()
    ):
        raise FieldValueError(
            "stated",
            f"must be less than 10**18 with at most {_MAX_PLACES} decimal places (got {text!r})",
        )
    unit = match["unit"]
    if not unit:
        raise FieldValueError("stated", f"must name its unit, such as 元, 人 or 户 (got {text!r})")
    if "元" in unit and unit not in _MONEY_UNITS:
        known = ", ".join(_MONEY_UNITS)
        raise FieldValueError("stated", f"must name money in one of {known} (got {text!r})")
    at_least = bool(match["more"])
    exponent = -places
    if at_least and not places and not match["multiplier"]:
        # "400多人" is 四百多人, 400 to 499: 多 and 余 fill the places of the zeros.
        exponent = len(digits) - len(digits.rstrip("0")) if number else 0
    if unit in _MONEY_UNITS and exponent + scale_exponent < -2:
        raise FieldValueError(
            "stated", f"must not show money finer than a fen, 0.01 元 (got {text!r})"
        )
    return _Parsed(
        number,
        places,
        match["multiplier"],
        at_least,
        unit,
        exponent,
        match["more"],
        chinese is not None,
    )


def _check_stated(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    non_empty_text(_, attribute, value)
    assert isinstance(value, str)
    _parse(value)


def parse_figure(text: str) -> tuple[Decimal, Decimal, str]:
    """The value, the step of the last digit shown and the unit of a printed figure.

    Money figures are in yuan (元): "4189万元" is 41,890,000 yuan, shown to the 万.

    >>> parse_figure("28.42万人次")
    (Decimal('284200.00'), Decimal('100.00'), '人次')
    >>> parse_figure("2.6亿元")
    (Decimal('260000000.0'), Decimal('10000000.0'), '元')
    >>> parse_figure("400多人")
    (Decimal('400'), Decimal('100'), '人')

    Raises:
        ValueError: if the text is not a number with an optional 万 or 亿, an optional 余
            or 多 and a unit.
    """
    p = _parse(text)
    scale = _MULTIPLIERS[p.multiplier]
    step = Decimal(10**p.exponent) if p.exponent > 0 else Decimal(1).scaleb(p.exponent)
    return _EXACT.multiply(p.number, scale), _EXACT.multiply(step, scale), p.unit


@attrs.frozen(kw_only=True)
class ReportedFigure:
    """One figure as an organisation published it.

    Attributes:
        id: the record id.
        organization_id: who reported it (``organizations``).
        subject: what the figure counts, as the report names it (投入帮扶资金物资, 筛查).
        stated: the figure exactly as printed: a number, an optional 万 or 亿, an optional
            余 or 多 (at least) and the unit, such as "4189万元", "28.42万人次", "1330例".
            Figures in 元 (or 人民币, 美元, 欧元, 港元) are money, never finer than a
            cent; any other unit is a count.
        period: the period the figure covers.
        part_of: the figure this one is a part of (``reported_figures``), when the report
            presents it so; parts and their total are checked by
            ``reports.parts-exceed-total``.
        source: where it was printed (a title, a page, a quotation), if recorded.

    >>> from datetime import date
    >>> from humanaid import Period
    >>> f = ReportedFigure(id="screened", organization_id="qj", subject="筛查",
    ...                    stated="28.42万人次", period=Period.year(2020))
    >>> f.unit, f.value, f.lower, f.upper
    ('人次', Decimal('284200.00'), Decimal('284150.00'), Decimal('284250.00'))
    >>> ReportedFigure(id="x", organization_id="qj", subject="筛查", stated="很多",
    ...                period=Period.year(2020))
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'stated' must be a figure as printed, ...
    """

    id: str = id_field()
    organization_id: str = ref_field("organizations")
    subject: str = text_field(kind="name")
    stated: str = attrs.field(validator=_check_stated)
    period: Period = record_field(Period)
    part_of: str | None = ref_field("reported_figures", optional=True)
    source: str | None = text_field(optional=True)

    @property
    def _parsed(self) -> _Parsed:
        return _parse(self.stated)

    @property
    def stated_multiplier(self) -> str:
        """The 万 or 亿 printed after the number, or ``""``."""
        return self._parsed.multiplier

    @property
    def unit(self) -> str:
        """The unit as printed after the number: 元, 人次, 户, 例, 个 ..."""
        return self._parsed.unit

    @property
    def is_money(self) -> bool:
        """Whether the figure is an amount of money (its unit is 元)."""
        return self.unit in _MONEY_UNITS

    @property
    def currency(self) -> str | None:
        """The currency of a money figure, else ``None``."""
        return _MONEY_UNITS.get(self.unit)

    @property
    def at_least(self) -> bool:
        """Whether the figure was printed as a floor (余, 多): "more than"."""
        return self._parsed.at_least

    @property
    def step(self) -> Decimal:
        """The step of the last digit printed, in units (yuan for money)."""
        return parse_figure(self.stated)[1]

    @property
    def value(self) -> Money | Decimal:
        """The figure as printed: :class:`~humanaid.Money` for money, else a number."""
        number = parse_figure(self.stated)[0]
        currency = self.currency
        if currency is None:
            return number
        return Money(number.quantize(Decimal("0.01"), context=_SHOWN), currency)

    @property
    def lower(self) -> Decimal:
        """The least the true figure can be: the value, less half a step unless 余 or 多.

        Never below zero: a printed figure is never negative.
        """
        number, step, _ = parse_figure(self.stated)
        if self.at_least:
            return number
        return max(_EXACT.subtract(number, _EXACT.divide(step, 2)), Decimal(0))

    @property
    def upper(self) -> Decimal:
        """The bound the true figure stays below.

        The value and a step for 余 or 多, else half a step: a figure rounded half up to
        4189万 is less than 4189.5万.
        """
        number, step, _ = parse_figure(self.stated)
        return _EXACT.add(number, step if self.at_least else _EXACT.divide(step, 2))

    def admits(self, computed: Money | Decimal | int) -> bool:
        """Whether a computed figure agrees with the printed one (lies in its range).

        Money must be in the figure's currency; a count must not be money.

        >>> from humanaid import Period
        >>> f = ReportedFigure(id="hh", organization_id="qj", subject="受益群众",
        ...                    stated="6309户", period=Period.year(2020))
        >>> f.admits(6309), f.admits(6310)
        (True, False)
        """
        amount = _amount(self, computed)
        if amount is None:
            return False
        return self.lower <= amount < self.upper

    def format_like(self, computed: Money | Decimal | int) -> str:
        """A computed figure printed the way this one was (same 万/亿, places and unit).

        >>> from humanaid import Money, Period
        >>> f = ReportedFigure(id="put-in", organization_id="qj", subject="投入",
        ...                    stated="4189万元", period=Period.year(2020))
        >>> f.format_like(Money("50583700")), f.format_like(Money("50583712.34"))
        ('5058万元', '5058万元')
        """
        amount = _amount(self, computed)
        if amount is None:
            return str(computed)
        p = self._parsed
        scaled = _EXACT.divide(amount, Decimal(_MULTIPLIERS[p.multiplier]))
        exponent = Decimal(1).scaleb(p.exponent)
        rounding = ROUND_DOWN if p.at_least else ROUND_HALF_UP
        shown = scaled.quantize(exponent, rounding=rounding, context=_SHOWN)
        if not shown and p.exponent > 0:  # "0余人" would say less than one
            shown = scaled.quantize(Decimal(1), rounding=rounding, context=_SHOWN)
        dropped = amount > _EXACT.multiply(shown, _MULTIPLIERS[p.multiplier])
        number = f"{shown:f}"
        if p.chinese and shown == shown.to_integral_value() and 0 <= shown < 10_000:
            number = _to_chinese(int(shown))
        return f"{number}{p.multiplier}{p.more if dropped else ''}{p.unit}"


def _amount(figure: ReportedFigure, computed: object) -> Decimal | None:
    """The computed figure as a number in the figure's unit; ``None`` if of another kind.

    Money must be in the figure's currency and a count must not be money.

    Raises:
        TypeError: for anything but Money, an int or a Decimal (floats are refused).
        ValueError: for a Decimal that is not finite or not below 10**18.
    """
    if isinstance(computed, Money):
        return computed.amount if computed.currency == figure.currency else None
    if isinstance(computed, bool) or not isinstance(computed, int | Decimal):
        raise TypeError(
            f"'computed' must be Money, an int or a Decimal (got {type(computed).__name__} "
            f"{computed!r})"
        )
    number = Decimal(computed)
    if not number.is_finite() or (number and number.adjusted() >= MAX_AMOUNT.adjusted()):
        raise FieldValueError(
            "computed", f"must be a finite figure below 10**18 (got {computed!r})"
        )
    return None if figure.is_money else number
