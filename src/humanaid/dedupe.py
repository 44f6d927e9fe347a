"""Probable duplicates of persons and donors, scored, and merging two records into one.

A person registered twice, or a donor entered once per gift, makes every count wrong.
:func:`probable_duplicates` finds the pairs
that are probably one person (or one donor), each :class:`DuplicateMatch` with a score
from 0 to 1 and the fields that matched: the ID number, the name (exactly, or as it
sounds: 张三 and 章三, 王晓明 and 王小明), the birth date, the phone, the area; for donors
the e-mail, the phone, the name, the address and the kind.

Names are compared by how they sound with ``pypinyin`` (the ``dedupe`` extra:
``pip install 'humanaid[dedupe]'``): each character's pinyin without its tone. Without
it, names are compared exactly (by :func:`~humanaid.name_key`), and
:func:`names_compared_by_sound` says so.

The search stays near-linear however the data is made. Records are put in *blocks* (one
per ID number, phone, e-mail, and name or name-sound with the birth date or the area)
and a record is compared only with at most :data:`BLOCK_REPRESENTATIVES` earlier
records of each block it falls in, plus the block's first record without an ID number.
Two persons with two different ID numbers are two people and are never paired (the
check character rules out a mistyped digit). So 200,000 persons of one name, one birth
date and one village cost a few comparisons each, not 200,000.

>>> from datetime import date
>>> from humanaid import Dataset, Person
>>> ds = Dataset(persons=[
...     Person(id="p1", name="王晓明", birth_date=date(1980, 5, 1), area_id="v1"),
...     Person(id="p2", name="王晓明", birth_date=date(1980, 5, 1), area_id="v1",
...            phone="13800138000"),
... ])
>>> [(m.id, m.same_as, str(m.score), m.fields) for m in probable_duplicates(ds, "persons")]
[('p2', 'p1', '0.9', ('name', 'birth_date', 'area'))]

Two records that are one are merged with :func:`merge_persons` (or
:func:`merge_donors`): the dataset that comes back has the dropped record gone, every
reference to it rewritten to the one kept (a case's ``person_id``, a flow's
``Party.person``, a gift's ``donor_id``), the kept record's empty fields filled from the
dropped one, and a :class:`Merge` record in ``merges`` that keeps the history.

>>> merged = merge_persons(ds, keep="p1", drop="p2", on=date(2024, 3, 1),
...                        reason="registered twice")
>>> [p.id for p in merged.persons], merged.merges[0].filled
(['p1'], ('phone',))
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

import attrs

from humanaid._extras import missing_extra
from humanaid.beneficiaries import Household, Person, name_key
from humanaid.donors import Donor
from humanaid.errors import FieldTypeError, FieldValueError
from humanaid.funds import Party, PartyKind
from humanaid.records import REF, date_field, id_field, text_field, valid_id
from humanaid.source import RecordSource

__all__ = [
    "BLOCK_REPRESENTATIVES",
    "MIN_SCORE",
    "DuplicateMatch",
    "Merge",
    "merge_donors",
    "merge_persons",
    "names_compared_by_sound",
    "probable_duplicates",
    "sound_key",
]

MIN_SCORE: Final = Decimal("0.7")
"""The score from which two records are reported as probably one (see the weights)."""

BLOCK_REPRESENTATIVES: Final = 4
"""How many earlier records of a block a record is compared with (besides the block's
first record without an ID number): what keeps the search near-linear."""

# The weight of each field that matched; a score is their sum, at most 1.
_PERSON_WEIGHTS: Final = {
    "id_number": Decimal(1),
    "name": Decimal("0.5"),
    "name_sound": Decimal("0.4"),
    "birth_date": Decimal("0.3"),
    "phone": Decimal("0.2"),
    "area": Decimal("0.1"),
}
_DONOR_WEIGHTS: Final = {
    "email": Decimal("0.6"),
    "phone": Decimal("0.5"),
    "name": Decimal("0.4"),
    "name_sound": Decimal("0.3"),
    "address": Decimal("0.2"),
    "kind": Decimal("0.1"),
}
# A pair is reported only when one of these matched: a shared phone or area alone
# (a family, a village) never makes two persons one.
_PERSON_IDENTIFYING: Final = frozenset({"id_number", "name", "name_sound"})
_DONOR_IDENTIFYING: Final = frozenset({"email", "phone", "name", "name_sound"})
_ONE: Final = Decimal(1)


@attrs.frozen(kw_only=True)
class DuplicateMatch:
    """Two records that are probably one: the later, the earlier it may be, and why.

    Attributes:
        collection: ``"persons"`` or ``"donors"``.
        id: the later record (in the dataset's order).
        same_as: the earlier record it probably is.
        score: from 0 to 1, the sum of the weights of the fields that matched (an ID
            number alone is 1).
        fields: the fields that matched, strongest first: ``id_number``, ``email``,
            ``phone``, ``name`` (the same name), ``name_sound`` (names that sound the
            same: 张三 and 章三), ``birth_date``, ``address``, ``area``, ``kind``. Never
            their values: they are personal data.
    """

    collection: str
    id: str
    same_as: str
    score: Decimal
    fields: tuple[str, ...]


def _names_tuple(value: object) -> tuple[Any, ...]:
    """Field names as a tuple (a text alone is refused: it is not a list of names)."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise FieldTypeError("filled", "must be a sequence of field names", value)
    return tuple(value)


def _field_names(field: str, value: tuple[object, ...]) -> None:
    """Each item a field name: a Python identifier of at most 100 characters."""
    for i, name in enumerate(value):
        if not isinstance(name, str):
            raise FieldTypeError(field, "must hold field names (text)", name, at=(i,))
        if not name.isidentifier() or len(name) > 100:
            code = "too-long" if len(name) > 100 else "invalid"
            raise FieldValueError(field, "must hold field names", name, at=(i,), code=code)


@attrs.frozen(kw_only=True)
class Merge:
    """Two records found to be one, merged: kept in the dataset's ``merges`` as history.

    Attributes:
        id: the merge's id.
        collection: the collection of the two records (``"persons"``, ``"donors"``).
        kept_id: the record kept.
        dropped_id: the record merged into it and removed; every reference to it now
            names ``kept_id``.
        on: the day of the merge.
        reason: why (never personal data): "registered twice in 2021 and 2022".
        filled: the fields of the kept record that were empty and were filled from the
            dropped one (the other values of the dropped record are gone with it).

    >>> Merge(id="m1", collection="persons", kept_id="p1", dropped_id="p2",
    ...       on=date(2024, 3, 1), reason="registered twice").dropped_id
    'p2'
    """

    id: str = id_field()
    collection: str = attrs.field(validator=valid_id)
    kept_id: str = attrs.field(validator=valid_id)
    dropped_id: str = attrs.field(validator=valid_id)
    on: date = date_field()
    reason: str = text_field()
    filled: tuple[str, ...] = attrs.field(
        default=(), converter=_names_tuple, validator=lambda _, a, v: _field_names(a.name, v)
    )

    def __attrs_post_init__(self) -> None:
        if self.kept_id == self.dropped_id:
            raise ValueError(f"'dropped_id' must differ from 'kept_id' (got {self.kept_id!r})")


# -- how names sound --------------------------------------------------------------------------


def _pinyin() -> Callable[..., list[str]] | None:
    try:
        from pypinyin import lazy_pinyin
    except ImportError:
        return None
    return cast(Callable[..., list[str]], lazy_pinyin)


def names_compared_by_sound() -> bool:
    """Whether names are compared by how they sound: whether ``pypinyin`` is installed.

    Without it (``pip install 'humanaid[dedupe]'``), the duplicate searches compare
    names exactly, by :func:`~humanaid.name_key`, and find no ``name_sound`` match.
    """
    return _pinyin() is not None


@functools.lru_cache(maxsize=1 << 16)
def sound_key(name: str) -> str:
    """How a name sounds: its :func:`~humanaid.name_key`, each Han character as toneless pinyin.

    So names that differ only by homophones give one key: 张三 and 章三, 王晓明 and
    王小明. Other characters are kept as they are (a Latin name is its name key).

    Raises:
        ImportError: naming the ``dedupe`` extra, when ``pypinyin`` is not installed.

    >>> sound_key("张三") == sound_key("章三") == sound_key("張 三")
    True
    >>> sound_key("王晓明") == sound_key("王小明") != sound_key("王晓敏")
    True
    """
    lazy_pinyin = _pinyin()
    if lazy_pinyin is None:
        raise missing_extra("comparing names by sound", "pypinyin", "dedupe")
    key = name_key(name)
    # Traditional forms (張) are read as their simplified ones by pypinyin's tables.
    return "·".join(lazy_pinyin(key, errors=lambda chars: list(chars)))


# -- what is compared -------------------------------------------------------------------------


class _Profile:
    """What two records are compared by, read once per record (the tokens, never shown)."""

    __slots__ = ("id", "id_token", "index", "tokens")

    def __init__(
        self, index: int, id: str, id_token: Hashable | None, tokens: dict[str, Hashable]
    ) -> None:
        self.index = index
        self.id = id
        self.id_token = id_token
        self.tokens = tokens  # field -> comparable value


def _digits(phone: str) -> str | None:
    text = unicodedata.normalize("NFKC", phone)
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits if len(digits) >= 5 else None


def _sound(name: str, by_sound: bool) -> str | None:
    return sound_key(name) if by_sound else None


def _person_profile(i: int, person: Person, households: Any, by_sound: bool) -> _Profile:
    tokens: dict[str, Hashable] = {}
    ps = person.pseudonyms
    if person.name is not None:
        tokens["name"] = ("name", name_key(person.name))
        sound = _sound(person.name, by_sound)
        if sound is not None:
            tokens["name_sound"] = sound
    elif ps is not None and ps.name is not None:
        tokens["name"] = ("ps", ps.name)
    born = person.born_on
    if born is not None:
        tokens["birth_date"] = born
    if person.phone is not None:
        digits = _digits(person.phone)
        if digits is not None:
            tokens["phone"] = ("phone", digits)
    elif ps is not None and ps.phone is not None:
        tokens["phone"] = ("ps", ps.phone)
    area = person.area_id
    if area is None and person.household_id is not None:
        home: Household | None = households.get(person.household_id)
        area = None if home is None else home.area_id
    if area is not None:
        tokens["area"] = area
    id_token: Hashable | None = None
    if person.id_number is not None:
        id_token = ("id", person.id_number)
    elif ps is not None and ps.id_number is not None:
        id_token = ("ps", ps.id_number)
    return _Profile(i, person.id, id_token, tokens)


def _donor_profile(i: int, donor: Donor, by_sound: bool) -> _Profile:
    tokens: dict[str, Hashable] = {"kind": donor.kind}
    if donor.name is not None:
        tokens["name"] = name_key(donor.name)
        sound = _sound(donor.name, by_sound)
        if sound is not None:
            tokens["name_sound"] = sound
    if donor.phone is not None:
        digits = _digits(donor.phone)
        if digits is not None:
            tokens["phone"] = digits
    if donor.email is not None:
        tokens["email"] = unicodedata.normalize("NFKC", donor.email).strip().casefold()
    if donor.address is not None:
        tokens["address"] = name_key(donor.address)
    return _Profile(i, donor.id, None, tokens)


def _person_blocks(p: _Profile) -> Iterator[Hashable]:
    t = p.tokens
    if p.id_token is not None:
        yield ("id", p.id_token)
    if "phone" in t:
        yield ("phone", t["phone"])
    for name in ("name", "name_sound"):
        if name in t:
            if "birth_date" in t:
                yield (name, t[name], "born", t["birth_date"])
            if "area" in t:
                yield (name, t[name], "area", t["area"])


def _donor_blocks(p: _Profile) -> Iterator[Hashable]:
    t = p.tokens
    for field in ("email", "phone", "name", "name_sound"):
        if field in t:
            yield (field, t[field])


def _score(
    a: _Profile, b: _Profile, weights: dict[str, Decimal], identifying: frozenset[str]
) -> tuple[Decimal, tuple[str, ...]] | None:
    """The score of a pair and the fields that matched, or ``None`` if never one."""
    if a.id_token is not None and b.id_token is not None:
        if a.id_token != b.id_token:
            return None  # two ID numbers: two people
        return _ONE, ("id_number",)
    matched = []
    ta, tb = a.tokens, b.tokens
    for field in weights:
        if field == "id_number":
            continue
        if field == "name_sound" and "name" in matched:
            continue  # the same name sounds the same: counted once
        value = ta.get(field)
        if value is not None and value == tb.get(field):
            matched.append(field)
    if not identifying.intersection(matched):
        return None
    score = min(_ONE, sum((weights[f] for f in matched), Decimal(0)))
    return score, tuple(matched)


class _Block:
    """The earlier records a newcomer of one block is compared with."""

    __slots__ = ("first_without_id", "reps")

    def __init__(self) -> None:
        self.reps: list[_Profile] = []
        self.first_without_id: _Profile | None = None


def _matches(
    collection: str,
    profiles: Iterable[_Profile],
    blocks_of: Callable[[_Profile], Iterator[Hashable]],
    weights: dict[str, Decimal],
    identifying: frozenset[str],
    min_score: Decimal,
) -> tuple[DuplicateMatch, ...]:
    blocks: dict[Hashable, _Block] = {}
    out: list[DuplicateMatch] = []
    for p in profiles:
        best: tuple[Decimal, int, _Profile, tuple[str, ...]] | None = None
        seen: set[int] = set()
        for key in blocks_of(p):
            block = blocks.get(key)
            if block is None:
                block = blocks[key] = _Block()
            candidates = list(block.reps)
            if block.first_without_id is not None:
                candidates.append(block.first_without_id)
            for other in candidates:
                if other.index in seen:
                    continue
                seen.add(other.index)
                scored = _score(p, other, weights, identifying)
                if scored is None or scored[0] < min_score:
                    continue
                if best is None or (scored[0], -other.index) > (best[0], -best[1]):
                    best = (scored[0], other.index, other, scored[1])
            if len(block.reps) < BLOCK_REPRESENTATIVES:
                block.reps.append(p)
            if p.id_token is None and block.first_without_id is None:
                block.first_without_id = p
        if best is not None:
            out.append(
                DuplicateMatch(
                    collection=collection, id=p.id, same_as=best[2].id, score=best[0],
                    fields=best[3],
                )
            )  # fmt: skip
    return tuple(out)


def _min_score(value: Decimal | str | int) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int):
        raise TypeError(f"'min_score' must be a Decimal, str or int (got {value!r})")
    score = Decimal(value)
    if not score.is_finite() or not 0 < score <= 1:
        raise ValueError(f"'min_score' must be more than 0 and at most 1 (got {value!r})")
    return score


def _by_sound(by_sound: bool | None) -> bool:
    if by_sound is None:
        return names_compared_by_sound()
    if by_sound and not names_compared_by_sound():
        raise missing_extra("comparing names by sound", "pypinyin", "dedupe")
    return bool(by_sound)


def probable_duplicates(
    dataset: RecordSource,
    collection: str = "persons",
    *,
    min_score: Decimal | str | int = MIN_SCORE,
    by_sound: bool | None = None,
) -> tuple[DuplicateMatch, ...]:
    """The persons (or donors) who are probably one listed before them, with a score and why.

    Each record is reported once, with its best earlier match (the earliest of equal
    scores), in the dataset's order; a pair is reported when its score reaches
    ``min_score`` (0.7 by default) and an identifying field matched.

    **Persons** (their ``persons`` and ``households``): the ID number 1 (alone decisive;
    two different ID numbers are two people, never paired), the same name 0.5 or a name
    that sounds the same 0.4, the birth date (``birth_date``, else the one in the ID
    number) 0.3, the phone 0.2, the area (the person's, else their household's) 0.1.
    Identifying: the ID number or the name; a shared phone and area alone are a family,
    not one person. On redacted data the pseudonyms are compared (a pseudonym is the
    same wherever its value was), never by sound.

    **Donors**: the e-mail 0.6, the phone 0.5, the same name 0.4 or a name that sounds
    the same 0.3, the address 0.2, the kind 0.1. Identifying: the e-mail, the phone or
    the name. Two individual donors called 张三 are not one (0.5); with one phone they
    are (0.9).

    Args:
        dataset: the records.
        collection: ``"persons"`` or ``"donors"``.
        min_score: the score from which a pair is reported.
        by_sound: compare names by sound (needs pypinyin); ``None`` (the default): if
            pypinyin is installed, else exactly (:func:`names_compared_by_sound`).

    Raises:
        ValueError: for another collection, or a ``min_score`` not in (0, 1].
        ImportError: ``by_sound=True`` without pypinyin, naming the ``dedupe`` extra.

    >>> from humanaid import Dataset, Donor
    >>> ds = Dataset(donors=[Donor(id="d1", kind="individual", name="张三", phone="13800138000"),
    ...                      Donor(id="d2", kind="individual", name="章三", phone="138 0013 8000")])
    >>> [(m.id, m.same_as, str(m.score), m.fields) for m in probable_duplicates(ds, "donors")]
    [('d2', 'd1', '0.9', ('phone', 'name_sound', 'kind'))]
    """
    if collection not in ("persons", "donors"):
        raise ValueError(f"'collection' must be 'persons' or 'donors' (got {collection!r})")
    score = _min_score(min_score)
    sound = _by_sound(by_sound)
    records = dataset.records(collection, missing_ok=True)
    if collection == "donors":
        donors = (_donor_profile(i, d, sound) for i, d in enumerate(records))
        return _matches("donors", donors, _donor_blocks, _DONOR_WEIGHTS, _DONOR_IDENTIFYING, score)
    households = dataset.index("households", missing_ok=True)
    persons = (_person_profile(i, p, households, sound) for i, p in enumerate(records))
    return _matches("persons", persons, _person_blocks, _PERSON_WEIGHTS, _PERSON_IDENTIFYING, score)


# -- merging ------------------------------------------------------------------------------------

_D = TypeVar("_D", bound=RecordSource)

_PARTY_KIND: Final = {"persons": PartyKind.PERSON, "donors": PartyKind.DONOR}


def _rewrite(value: Any, collection: str, old: str, new: str) -> Any:
    """``value`` with every reference to ``old`` in ``collection`` made ``new`` (or itself)."""
    if isinstance(value, Party):
        if value.id == old and value.collection == collection:
            return Party(kind=value.kind, id=new)
        return value
    if isinstance(value, tuple):
        items = tuple(_rewrite(v, collection, old, new) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if not attrs.has(type(value)):
        return value
    changes: dict[str, Any] = {}
    for field in attrs.fields(type(value)):
        if not field.init:
            continue
        current = getattr(value, field.name)
        if field.metadata.get(REF) == collection and current == old:
            changes[field.name] = new
            continue
        rewritten = _rewrite(current, collection, old, new)
        if rewritten is not current:
            changes[field.name] = rewritten
    return attrs.evolve(value, **changes) if changes else value


def _merge(
    dataset: _D,
    collection: str,
    *,
    keep: str,
    drop: str,
    on: date,
    reason: str,
    merge_id: str | None,
    fill: bool,
) -> _D:
    types_ = dataset.collection_types()
    if "merges" not in types_:
        raise TypeError(f"{type(dataset).__name__} has no 'merges' collection to keep the merge in")
    index = dataset.index(collection)
    if keep == drop:
        raise ValueError(f"'drop' must differ from 'keep' (got {keep!r})")
    for name, id_ in (("keep", keep), ("drop", drop)):
        if id_ not in index:
            raise KeyError(f"{name}={id_!r} is not in {collection!r}")
    kept, dropped = index[keep], index[drop]
    filled: list[str] = []
    if fill:
        for field in attrs.fields(type(kept)):
            if field.init and getattr(kept, field.name) is None:
                theirs = getattr(dropped, field.name)
                if theirs is None:
                    continue
                try:  # a value the kept record's own rules refuse is not taken
                    kept = attrs.evolve(kept, **{field.name: theirs})
                except (TypeError, ValueError):
                    continue
                filled.append(field.name)
    merge = Merge(
        id=merge_id if merge_id is not None else f"{collection}:{drop}"[:128],
        collection=collection,
        kept_id=keep,
        dropped_id=drop,
        on=on,
        reason=reason,
        filled=tuple(filled),
    )
    new: dict[str, Any] = {}
    for name in types_:
        records: Sequence[Any] = dataset.records(name)
        if name == collection:
            out = [kept if r.id == keep else r for r in records if r.id != drop]
        elif name == "merges":
            out = [*records, merge]
        else:
            out = [_rewrite(r, collection, drop, keep) for r in records]
            if all(a is b for a, b in zip(out, records, strict=True)):
                continue
        new[name] = tuple(out)
    return cast(_D, attrs.evolve(cast(Any, dataset), **new))


def merge_persons(
    dataset: _D,
    *,
    keep: str,
    drop: str,
    on: date,
    reason: str,
    merge_id: str | None = None,
    fill: bool = True,
) -> _D:
    """A new dataset in which person ``drop`` is merged into person ``keep``.

    Person ``drop`` is removed; every reference to it (a case's or screening's
    ``person_id``, a flow's ``Party.person``, any field declared as a reference to
    ``persons``, in nested records too) names ``keep``; with ``fill``, the fields of
    ``keep`` that are empty take ``drop``'s values (a phone, a birth date), each one
    that ``keep``'s own rules accept (a birth date that disagrees with ``keep``'s ID
    number is not taken); and a
    :class:`Merge` record (id ``merge_id``, by default ``persons:<drop>``) is added to
    ``merges``, so the history says who became whom, when and why. The dataset given is
    unchanged.

    Raises:
        KeyError: if ``keep`` or ``drop`` is not a person of the dataset.
        ValueError: if they are the same.
        TypeError: if the dataset has no ``merges`` collection.
    """
    return _merge(dataset, "persons", keep=keep, drop=drop, on=on, reason=reason,
                  merge_id=merge_id, fill=fill)  # fmt: skip


def merge_donors(
    dataset: _D,
    *,
    keep: str,
    drop: str,
    on: date,
    reason: str,
    merge_id: str | None = None,
    fill: bool = True,
) -> _D:
    """A new dataset in which donor ``drop`` is merged into donor ``keep``.

    As :func:`merge_persons`: the gifts, pledges and flows of ``drop`` name ``keep``, the
    empty fields of ``keep`` are filled from ``drop``, and a :class:`Merge` record (id
    by default ``donors:<drop>``) is kept in ``merges``.

    Raises:
        KeyError: if ``keep`` or ``drop`` is not a donor of the dataset.
        ValueError: if they are the same.
        TypeError: if the dataset has no ``merges`` collection.

    >>> from humanaid import Dataset, Donation, Donor, Money
    >>> ds = Dataset(donors=[Donor(id="d1", kind="enterprise", public_name="某公司"),
    ...                      Donor(id="d2", kind="enterprise", phone="0874-3123456")],
    ...              donations=[Donation(id="g1", donor_id="d2", organization_id="rc",
    ...                                  received_on=date(2021, 1, 5), value=Money("100"))])
    >>> merged = merge_donors(ds, keep="d1", drop="d2", on=date(2021, 2, 1), reason="one firm")
    >>> merged.donations[0].donor_id, [d.id for d in merged.donors], merged.merges[0].id
    ('d1', ['d1'], 'donors:d2')
    """
    return _merge(dataset, "donors", keep=keep, drop=drop, on=on, reason=reason,
                  merge_id=merge_id, fill=fill)  # fmt: skip
