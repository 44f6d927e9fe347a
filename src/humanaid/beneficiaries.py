"""Who is helped: persons and households, with their personal data marked and checked.

A :class:`Person` is one beneficiary; a :class:`Household` is the unit most relief is
counted and handed out in. Households know how many members they have even when the
members are not listed one by one, which is how reports count them ("6309 households,
22,400 persons").

Names, resident ID numbers, phones, addresses and exact locations are personal data:
their fields carry ``pii`` metadata, ``repr`` masks them and no error message ever shows
their value. Text is normalised as it comes in (NFC for names and addresses, NFKC for ID
numbers and phones, so that full-width digits become ASCII), and zero-width or control
characters are refused.

>>> from datetime import date
>>> p = Person(id="p1", name="张三", id_number="11010519491231002x", household_id="h1")
>>> p
Person(id='p1', name=***, id_number=***, sex=None, birth_date=None, phone=None, ...)
>>> p.id_number == "11010519491231002X", p.born_on, p.id_sex
(True, datetime.date(1949, 12, 31), <Sex.FEMALE: 'female'>)
>>> Person(id="p1", name="张三", id_number="110105194912310021")
Traceback (most recent call last):
...
humanaid.errors.FieldValueError: 'id_number' has a wrong check character
>>> Household(id="h1", members=4, flags=["minimum_living_allowance"]).flags
frozenset({<HouseholdFlag.MINIMUM_LIVING_ALLOWANCE: 'minimum_living_allowance'>})
"""

from __future__ import annotations

import datetime as _dt
import enum
import re
import unicodedata
from collections.abc import Iterable
from typing import Any, Final

import attrs

from humanaid.errors import FieldValueError
from humanaid.records import _PASSES as _INIT_SHORTCUTS
from humanaid.records import (
    date_field,
    enum_field,
    id_field,
    pii_field,
    ref_field,
    text_field,
    whole,
)

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "Household",
    "HouseholdFlag",
    "Person",
    "Pseudonyms",
    "Sex",
    "check_resident_id",
    "name_key",
    "resident_id_birth_date",
    "resident_id_check_char",
    "resident_id_sex",
]


EARLIEST_BIRTH_DATE: Final = _dt.date(1900, 1, 1)
"""The earliest birth date a resident ID number may hold."""

NAME_MAX_LENGTH: Final = 100
_WEIGHTS: Final = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS: Final = "10X98765432"
_ID_SHAPE: Final = re.compile(r"[0-9]{17}[0-9X]\Z", re.ASCII)
_PHONE: Final = re.compile(r"\+?[0-9]{5,15}\Z", re.ASCII)
_PSEUDONYM: Final = re.compile(r"ps:[0-9a-f]{32}\Z", re.ASCII)

# The middle dots written between the parts of a transliterated name (阿卜杜·热合曼).
_NAME_DOTS: Final = frozenset("\u00b7\u2027\u2022\u2219\u22c5\u30fb\uff65\u0387.")
# For name_key: a name of CJK unified ideographs alone, and what an ASCII name drops
# (white space, controls and the full stop).
_IDEOGRAPHS: Final = re.compile("[\u4e00-\u9fff]+").fullmatch
_ASCII_DROPPED: Final = dict.fromkeys(
    c for c in range(128) if chr(c).isspace() or chr(c) == "." or not chr(c).isprintable()
)


class Sex(enum.StrEnum):
    """A person's sex as registered (the resident ID number records it too)."""

    FEMALE = "female"
    MALE = "male"


class HouseholdFlag(enum.StrEnum):
    """What a household is registered as; relief programmes select households by these.

    ``REGISTERED_POOR``: a registered poor household (建档立卡贫困户).
    ``MINIMUM_LIVING_ALLOWANCE``: receives the minimum living allowance (低保户).
    ``EXTREMELY_POOR``: supported as extremely poor (特困供养).
    ``DISASTER_AFFECTED``: hit by a disaster (受灾户).
    ``DISABILITY``: has a member with a disability (残疾人家庭).
    ``LEFT_BEHIND``: elderly or children left behind by migrant workers (留守).
    """

    REGISTERED_POOR = "registered_poor"
    MINIMUM_LIVING_ALLOWANCE = "minimum_living_allowance"
    EXTREMELY_POOR = "extremely_poor"
    DISASTER_AFFECTED = "disaster_affected"
    DISABILITY = "disability"
    LEFT_BEHIND = "left_behind"


# -- text ------------------------------------------------------------------------------------


def _invisible(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


def name_key(name: str) -> str:
    r"""The form of a name that probable-duplicate checks compare.

    Compatibility forms are folded (NFKC: full-width letters, Kangxi radicals, the
    ideographic space), then white space, invisible characters (zero-width spaces and
    joiners) and the middle dots of transliterated names are dropped and case is folded.
    Two spellings of one name give one key; the key is only for comparing, never shown.

    >>> name_key("张三") == name_key("张\u200b三") == name_key("张　三") == name_key(" 张 三 ")
    True
    >>> name_key("ＺＨＡＮＧ Ｓａｎ") == name_key("zhang san") == "zhangsan"
    True
    >>> name_key("买买提·艾力") == name_key("买买提・艾力") == name_key("买买提艾力")
    True
    >>> name_key("张三") == name_key("张叁")
    False
    """
    if not isinstance(name, str):
        raise TypeError(f"'name' must be a str (got {type(name).__name__})")
    # Two shortcuts give what the steps below give (tests/test_beneficiaries.py holds
    # them to it): a name of CJK unified ideographs alone is its own key (none of them
    # has a compatibility form, a case, or is a space, a dot or a control); an ASCII
    # name has no compatibility forms either, so only the drops and the case are left.
    if _IDEOGRAPHS(name):
        return name
    if name.isascii():
        return name.translate(_ASCII_DROPPED).lower()
    text = unicodedata.normalize("NFKC", name)
    kept = "".join(
        c
        for c in text
        if not (c.isspace() or c in _NAME_DOTS or unicodedata.category(c)[0] in ("C", "Z"))
    )
    return unicodedata.normalize("NFKC", kept.casefold())


def _nfkc_upper(value: object) -> object:
    return unicodedata.normalize("NFKC", value).upper() if isinstance(value, str) else value


def _nfkc(value: object) -> object:
    return unicodedata.normalize("NFKC", value) if isinstance(value, str) else value


# -- resident ID numbers ----------------------------------------------------------------------


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number.

    >>> resident_id_check_char("11010519491231002")
    'X'
    """
    if not isinstance(first17, str) or len(first17) != 17 or not first17.isascii():
        raise ValueError("the check character needs exactly 17 ASCII digits")
    if not first17.isdigit():
        raise ValueError("the check character needs exactly 17 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _problem(value: object, today: _dt.date | None) -> str | None:
    """What is wrong with an ID number, as a rule without its value; None if nothing."""
    if not isinstance(value, str):
        return "must be a str of 18 characters"
    if _invisible(value):
        return "must not contain control or invisible characters"
    if not _ID_SHAPE.match(value):
        return "must be 18 characters: 17 digits and a check character 0-9 or X"
    if value[0] not in "12345678":
        return "has an unknown region code (its first digit must be 1 to 8)"
    try:
        born = _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "holds no real birth date"
    if born < EARLIEST_BIRTH_DATE:
        return f"holds a birth date before {EARLIEST_BIRTH_DATE.year}"
    if born > (today or _dt.date.today()):
        return "holds a birth date in the future"
    if resident_id_check_char(value[:17]) != value[17]:
        return "has a wrong check character"
    return None


def check_resident_id(value: str, *, today: _dt.date | None = None) -> str:
    """Normalise and check an 18-character resident ID number; return the normal form.

    The text is normalised to NFKC (full-width digits become ASCII) and a lower-case
    ``x`` becomes ``X``. Then: 17 digits and a check character ``0``-``9`` or ``X``; a
    region code whose first digit is 1 to 8; a real birth date (YYYYMMDD) from 1900 up to
    ``today`` (default: the date today); and the ISO 7064 MOD 11-2 check character.

    Raises:
        ValueError: naming what is wrong, never the number itself.

    >>> check_resident_id("１１０１０５１９４９１２３１００２x")
    '11010519491231002X'
    >>> check_resident_id("110105194902301234")
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'id_number' holds no real birth date
    """
    normal = _nfkc_upper(value)
    if not isinstance(normal, str):
        raise TypeError("'id_number' must be a str of 18 characters")
    problem = _problem(normal, today)
    if problem is not None:
        raise FieldValueError("id_number", problem, pii=True)
    return normal


def resident_id_birth_date(id_number: str) -> _dt.date:
    """The birth date an ID number holds (the number is checked first).

    >>> resident_id_birth_date("11010519491231002X")
    datetime.date(1949, 12, 31)
    """
    normal = check_resident_id(id_number)
    return _dt.date(int(normal[6:10]), int(normal[10:12]), int(normal[12:14]))


def resident_id_sex(id_number: str) -> Sex:
    """The sex an ID number records: its 17th digit is odd for men, even for women.

    >>> resident_id_sex("11010519491231002X")
    <Sex.FEMALE: 'female'>
    """
    normal = check_resident_id(id_number)
    return Sex.MALE if int(normal[16]) % 2 else Sex.FEMALE


# -- field validators and converters ---------------------------------------------------------
# Validators use only the value: the converter calls them with instance=None to locate a
# bad field. None of them shows the value of a personal-data field.


def _valid_id_number(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    problem = _problem(value, None)
    if problem is not None:
        if not isinstance(value, str):
            raise TypeError(f"'{attribute.name}' {problem}")
        raise FieldValueError(attribute.name, problem, pii=True)


def _valid_phone(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"'{attribute.name}' must be a str")
    if _invisible(value):
        raise FieldValueError(attribute.name, "must not contain control or invisible characters")
    if not _PHONE.match(value):
        raise FieldValueError(
            attribute.name, "must be 5 to 15 ASCII digits with an optional leading +"
        )


def _valid_pseudonym(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _PSEUDONYM.match(value):
        raise FieldValueError(
            attribute.name,
            f"must be a pseudonym 'ps:' and 32 hex digits "
            f"(got a {type(value).__name__} that is not one)",
        )


# The tests that let a person's one generated __init__ (humanaid.records._PASSES) skip
# these calls: a validator's test is true only where it would pass, a converter's only
# where it would return the value itself. Most persons have no ID number or phone.
_INIT_SHORTCUTS.update(
    {
        _nfkc_upper: (
            "({v} is None or type({v}) is str and {v}.isascii() and {v}.upper() == {v})",
            {},
        ),
        _nfkc: ("({v} is None or type({v}) is str and {v}.isascii())", {}),
        _valid_id_number: ("{v} is None", {}),
        _valid_phone: (
            "({v} is None or type({v}) is str and {phone}({v}) is not None)",
            {"phone": _PHONE.match},
        ),
    }
)


def _flags(value: object, _: object, field: attrs.Attribute[Any]) -> frozenset[HouseholdFlag]:
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise TypeError(f"'{field.name}' must be a set of household flags (got {value!r})")
    out = set()
    for item in value:
        try:
            out.add(HouseholdFlag(item))
        except ValueError:
            allowed = ", ".join(repr(m.value) for m in HouseholdFlag)
            raise FieldValueError(
                field.name, f"items must be one of {allowed} (got {item!r})"
            ) from None
    return frozenset(out)


def _flags_field() -> Any:
    return attrs.field(
        factory=frozenset, converter=attrs.Converter(_flags, takes_self=True, takes_field=True)
    )


# -- records ----------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Pseudonyms:
    """The keyed pseudonyms that stand in for a person's direct identifiers once redacted.

    :func:`humanaid.privacy.redact` fills them: each is ``"ps:"`` and 32 hex digits of an
    HMAC-SHA256 of the value under a secret key, so the same person gives the same
    pseudonym under the same key (records stay linkable) while the value cannot be read
    back. The name's pseudonym is taken of its :func:`name_key`, so spellings that
    compare equal still match.

    Attributes:
        name: the pseudonym of the name, or ``None``.
        id_number: the pseudonym of the resident ID number, or ``None``.
        phone: the pseudonym of the phone number, or ``None``.
    """

    name: str | None = attrs.field(default=None, validator=_valid_pseudonym)
    id_number: str | None = attrs.field(default=None, validator=_valid_pseudonym)
    phone: str | None = attrs.field(default=None, validator=_valid_pseudonym)


def _pseudonyms(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and not isinstance(value, Pseudonyms):
        raise TypeError(
            f"'{attribute.name}' must be Pseudonyms or None (got {type(value).__name__})"
        )


_INIT_SHORTCUTS[_pseudonyms] = ("{v} is None", {})


@attrs.frozen(kw_only=True)
class Person:
    """One person who is, was or may be helped.

    Attributes:
        id: the record id. Never use an ID number or a phone as the record id: ids are
            kept as they are when records are redacted.
        name: the name (personal data, NFC). Required, except on a redacted record,
            which carries ``pseudonyms.name`` instead.
        id_number: the 18-character resident ID number (personal data), checked by
            :func:`check_resident_id`; ``None`` when unknown or redacted.
        sex: the registered sex, or ``None``. Must agree with the ID number.
        birth_date: the birth date, or ``None``; not in the future. Must agree with the ID
            number.
        phone: a phone number (personal data): ASCII digits with an optional leading
            ``+`` after NFKC normalisation.
        household_id: the household the person belongs to (``households``).
        area_id: the administrative area the person lives in (``admin_areas``).
        location: an exact location such as a house address or coordinates (personal
            data, free text).
        pseudonyms: on a redacted record, the pseudonyms of its direct identifiers.

    Raises:
        ValueError: naming the field and the rule, never the personal value. Whole-record
            rules: a name or a name pseudonym is required; an identifier and its
            pseudonym are never both present; ``birth_date`` and ``sex`` agree with the
            ID number.

    >>> from datetime import date
    >>> Person(id="p1", name="张三", id_number="11010519491231002X", birth_date=date(1950, 1, 1))
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'birth_date' does not agree with the birth date in 'id_number'
    """

    id: str = id_field()
    name: str | None = text_field(optional=True, max_length=NAME_MAX_LENGTH, pii=True)
    id_number: str | None = pii_field(
        converter=_nfkc_upper, validator=_valid_id_number, default=None
    )
    sex: Sex | None = enum_field(Sex, optional=True)
    birth_date: _dt.date | None = date_field(optional=True)
    phone: str | None = pii_field(converter=_nfkc, validator=_valid_phone, default=None)
    household_id: str | None = ref_field("households", optional=True)
    area_id: str | None = ref_field("admin_areas", optional=True)
    location: str | None = text_field(optional=True, pii=True, kind="name")
    pseudonyms: Pseudonyms | None = attrs.field(default=None, validator=_pseudonyms)

    def __attrs_post_init__(self) -> None:
        if self.birth_date is not None and self.birth_date > _dt.date.today():
            raise FieldValueError("birth_date", "must not be in the future")
        ps = self.pseudonyms
        if self.name is None and (ps is None or ps.name is None):
            raise FieldValueError(
                "name", "is required (a redacted person carries 'pseudonyms.name')"
            )
        if ps is not None:
            for field in ("name", "id_number", "phone"):
                if getattr(self, field) is not None and getattr(ps, field) is not None:
                    raise ValueError(
                        f"'{field}' and 'pseudonyms.{field}' must not both be set: a "
                        "redacted record keeps only the pseudonym"
                    )
        if self.id_number is not None:
            if self.birth_date is not None and self.birth_date != self.id_birth_date:
                raise FieldValueError(
                    "birth_date", "does not agree with the birth date in 'id_number'"
                )
            if self.sex is not None and self.sex is not self.id_sex:
                raise FieldValueError("sex", "does not agree with the sex recorded in 'id_number'")

    @property
    def born_on(self) -> _dt.date | None:
        """The birth date: ``birth_date``, else the one in the ID number, else ``None``."""
        return self.birth_date if self.birth_date is not None else self.id_birth_date

    @property
    def id_birth_date(self) -> _dt.date | None:
        """The birth date the ID number holds (``None`` without an ID number)."""
        n = self.id_number
        if n is None:
            return None
        return _dt.date(int(n[6:10]), int(n[10:12]), int(n[12:14]))

    @property
    def id_sex(self) -> Sex | None:
        """The sex the ID number records (``None`` without an ID number)."""
        if self.id_number is None:
            return None
        return Sex.MALE if int(self.id_number[16]) % 2 else Sex.FEMALE

    @property
    def is_redacted(self) -> bool:
        """Whether the record carries pseudonyms instead of (some) direct identifiers."""
        return self.pseudonyms is not None

    def age_on(self, day: _dt.date) -> int | None:
        """The age in whole years on ``day`` (``None`` when the birth date is unknown).

        Someone born on 29 February turns a year older on 1 March in a common year.

        Raises:
            ValueError: if ``day`` is before the birth date (the message omits the date).

        >>> from datetime import date
        >>> Person(id="p1", name="李四", birth_date=date(1950, 3, 1)).age_on(date(2020, 2, 29))
        69
        """
        if not isinstance(day, _dt.date):
            raise TypeError(f"'day' must be a datetime.date (got {type(day).__name__})")
        born = self.born_on
        if born is None:
            return None
        if (day.year, day.month, day.day) < (born.year, born.month, born.day):
            raise FieldValueError("day", "is before the birth date: there is no age on it")
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@attrs.frozen(kw_only=True)
class Household:
    """A household: the unit relief is handed out to and counted in.

    Attributes:
        id: the record id.
        head_id: the head of the household, a person (``persons``), if known.
        members: how many people live in it, at least 1. Known even when the members are
            not listed as persons: reach counts persons through it.
        area_id: the administrative area (``admin_areas``).
        address: the address (personal data, NFC).
        flags: what the household is registered as (a frozenset of
            :class:`HouseholdFlag`; their string values are accepted).

    >>> h = Household(id="h1", members=3, flags={"registered_poor"}, address="某村3组12号")
    >>> h
    Household(id='h1', head_id=None, members=3, area_id=None, address=***, flags=...)
    >>> HouseholdFlag.REGISTERED_POOR in h.flags
    True
    >>> Household(id="h2", members=0)
    Traceback (most recent call last):
    ...
    humanaid.errors.FieldValueError: 'members' must be at least 1 (got 0)
    """

    id: str = id_field()
    head_id: str | None = ref_field("persons", optional=True)
    members: int = attrs.field(validator=whole(low=1))
    area_id: str | None = ref_field("admin_areas", optional=True)
    address: str | None = text_field(optional=True, pii=True, kind="name")
    flags: frozenset[HouseholdFlag] = _flags_field()


# A person's post-init checks a birth date, a name (or its pseudonym), pseudonyms and an
# ID number's agreement with the sex and birth date: with no birth date, a name, no
# pseudonyms and no ID number (most persons) it does nothing.
_INIT_SHORTCUTS[Person.__attrs_post_init__] = (
    "{birth_date} is None and {name} is not None and {pseudonyms} is None and {id_number} is None",
    {},
)
