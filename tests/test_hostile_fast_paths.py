"""Hostile input to the fast paths of record construction and loading.

The cheap tests of ``humanaid.records`` (an exact ``str`` id or text, remembered
references, enum members looked up by their text), the records' generated ``__init__``
and the loaders that fill a record's slots without it, and Money read from the common
form stand in for slower checks. These tests try to make them disagree with the checks they
replace: ``str`` subclasses that lie about equality, threads filling the cache of
references, look-alike and unusual amounts, records of users' own classes (slots,
hooks on subclassing, a metaclass, no weak references, a cached hash), copies and
pickles of loaded records, and what a loader leaves behind in the program.
"""

from __future__ import annotations

import copy
import enum
import json
import pickle
import threading
import weakref
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs
import cattrs
import pytest
from cattrs.strategies import include_subclasses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import (
    Dataset,
    Donation,
    Finding,
    Money,
    Table,
    campaign_summary,
    fundraising_summary,
    medical_summary,
    project_summary,
    relief_summary,
    results_summary,
    revolving_summary,
    top_donors,
)
from humanaid import records as R  # noqa: N812 - short, as in test_records_fast
from humanaid.errors import FieldError, InvalidInput
from humanaid.interop.arrow import to_arrow
from humanaid.interop.columnar import scan_dataset
from humanaid.money import _from_plain
from humanaid.rates import ExchangeRate
from humanaid.records import enum_field, id_field, money_field, ref_field, text_field
from humanaid.revolving import LendingTerms
from humanaid.serialize import from_dict, from_json, to_dict, to_json
from humanaid.testing import donations, event_datasets, record_strategies, summary_datasets

# -- str subclasses that lie: the caches are keyed by exact str only ---------------------------


def _liar(hashes_as: str) -> type[str]:
    """A str class whose values equal every other and hash as ``hashes_as``."""

    class Liar(str):
        __slots__ = ()

        def __eq__(self, other: object) -> bool:
            return True

        def __ne__(self, other: object) -> bool:
            return False

        def __hash__(self) -> int:
            return hash(hashes_as)

    return Liar


_Liar = _liar("D1")  # a remembered reference's hash: a cache lookup would match


class _Form(enum.Enum):
    CASH = "cash"
    KIND = "in-kind"


class _OtherForm(enum.StrEnum):
    CASH = "cash"
    CHEQUE = "cheque"


@attrs.frozen(kw_only=True)
class _Gift:
    id: str = id_field()
    donor_id: str = ref_field("donors")
    form: _Form = enum_field(_Form)
    note: str = text_field(kind="label")


def test_a_lying_str_never_passes_as_a_remembered_reference() -> None:
    _Gift(id="g1", donor_id="D1", form=_Form.CASH, note="x")  # "D1" is now remembered
    with pytest.raises(FieldError) as caught:
        _Gift(id="g2", donor_id=_Liar("bad\x00id"), form=_Form.CASH, note="x")
    assert caught.value.field == "donor_id"
    data = {"id": "g3", "donor_id": _Liar("bad\x00id"), "form": "cash", "note": "x"}
    with pytest.raises(InvalidInput):
        from_dict(data, _Gift)


_LiarCurrency = _liar("USD")  # a known code's hash: a lookup of codes would match


def test_a_lying_str_is_not_taken_for_a_known_currency() -> None:
    # Money kept the liar (shown as 'ZZZ', written as 'ZZZ', never read back) because its
    # code was looked up in the table of currencies by its own hash and equality.
    _from_plain("1.00", "USD")  # the loaders' cache of USD amounts is filled
    with pytest.raises(FieldError):
        Money("1.00", _LiarCurrency("ZZZ"))
    with pytest.raises(ValueError, match="known currency"):
        Money.trusted(Decimal("1.00"), _LiarCurrency("ZZZ"))
    data = {"id": "r1", "amount": {"amount": "1.00", "currency": _LiarCurrency("ZZZ")}}
    with pytest.raises(InvalidInput):
        from_dict(data, _NoWeak)
    kept = Money("1.00", str.__new__(type("Code", (str,), {}), "USD"))
    assert kept.currency.__class__ is str  # an honest subclass is kept as its plain text
    assert kept == Money("1.00", "USD")


def test_a_lying_str_is_not_looked_up_as_an_enum_member() -> None:
    with pytest.raises(FieldError):
        _Gift(id="g1", donor_id="D1", form=_Liar("nothing"), note="x")  # type: ignore[arg-type]


def test_another_enums_member_or_text_converts_as_the_enum_constructor_does() -> None:
    # A StrEnum member of another enum is not an exact str: it goes to the constructor,
    # which takes it by its value, as before the lookup by text.
    other = _Gift(id="g1", donor_id="D1", form=_OtherForm.CASH, note="x")  # type: ignore[arg-type]
    assert other.form is _Form(_OtherForm.CASH) is _Form.CASH
    assert _Gift(id="g1", donor_id="D1", form="cash", note="x").form is _Form.CASH  # type: ignore[arg-type]
    with pytest.raises(FieldError):
        _Gift(id="g1", donor_id="D1", form="cheque", note="x")  # type: ignore[arg-type]


@given(
    st.one_of(
        st.text(max_size=140),
        st.sampled_from(["\ud800", "a\udfffb", "x" * 128, "x" * 129, "x" * 100_000, "\u0430"]),
    )
)
def test_an_id_is_accepted_by_a_reference_exactly_when_the_full_check_accepts_it(
    text: str,
) -> None:
    def full() -> bool:
        try:
            R._refuse_id(attrs.fields(_Gift).donor_id, text)
        except FieldError:
            return False
        return True

    expected = full()
    for _ in range(2):  # the second time, an accepted id is remembered
        try:
            _Gift(id="g", donor_id=text, form=_Form.CASH, note="x")
            accepted = True
        except FieldError:
            accepted = False
        assert accepted == expected


def test_references_remembered_by_two_threads_at_once_agree_with_the_full_check() -> None:
    # Past the cap of remembered ids (the set is emptied while the other thread reads).
    n = R._KNOWN_REFS_MAX + 2_000
    problems: list[str] = []

    def build(prefix: str) -> None:
        for i in range(n):
            good = f"{prefix}-{i}"
            bad = f"{prefix}-{i} " if i % 97 == 0 else None
            try:
                _Gift(id="g", donor_id=good, form=_Form.CASH, note="x")
            except FieldError:
                problems.append(f"refused {good!r}")
            if bad is not None:
                try:
                    _Gift(id="g", donor_id=bad, form=_Form.CASH, note="x")
                    problems.append(f"accepted {bad!r}")
                except FieldError:
                    pass

    threads = [threading.Thread(target=build, args=(p,)) for p in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    assert len(R._KNOWN_REFS) <= R._KNOWN_REFS_MAX


# -- loading users' own record classes ------------------------------------------------------------


class _Meta(type):
    pass


@attrs.frozen(kw_only=True)
class _Base:
    id: str = id_field()
    donor_id: str = ref_field("donors")
    amount: Money = money_field()


@attrs.frozen(kw_only=True)
class _Sub(_Base):
    extra: str = text_field(kind="label")


class _WithDict(_Base):  # not an attrs class: instances have a __dict__
    pass


class _ExtraSlot(_Base):
    __slots__ = ("cache",)


@attrs.frozen(kw_only=True)
class _Hooked(_Base):
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        raise AssertionError("a loader subclassed a user's class")


@attrs.frozen(kw_only=True)
class _WithMeta(_Base, metaclass=_Meta):
    pass


@attrs.frozen(kw_only=True, weakref_slot=False)
class _NoWeak:
    id: str = id_field()
    amount: Money = money_field()


@attrs.frozen(kw_only=True, cache_hash=True)
class _CachedHash:
    id: str = id_field()
    amount: Money = money_field()


USER_CLASSES: list[tuple[type, dict[str, Any]]] = [
    (_Base, {"donor_id": "D1"}),
    (_Sub, {"donor_id": "D1", "extra": "x"}),
    (_WithDict, {"donor_id": "D1"}),
    (_ExtraSlot, {"donor_id": "D1"}),
    (_Hooked, {"donor_id": "D1"}),
    (_WithMeta, {"donor_id": "D1"}),
    (_NoWeak, {}),
    (_CachedHash, {}),
]


@pytest.mark.parametrize(("cls", "extra"), USER_CLASSES, ids=[c.__name__ for c, _ in USER_CLASSES])
def test_a_loaded_user_record_equals_the_constructed_one_through_copy_and_pickle(
    cls: type, extra: dict[str, Any]
) -> None:
    data = {"id": "r1", "amount": {"amount": "12.50", "currency": "USD"}, **extra}
    checked = cls(id="r1", amount=Money("12.50", "USD"), **extra)
    loads: list[Any] = [from_dict(data, cls), from_json(json.dumps(data), cls)]
    for loaded in loads:
        assert loaded.__class__ is cls
        for twin in (loaded, copy.copy(loaded), copy.deepcopy(loaded)):
            assert twin == checked
            assert hash(twin) == hash(checked)
        again = pickle.loads(pickle.dumps(loaded))
        assert type(again) is cls
        assert again == checked
        if "__weakref__" in dir(cls):
            assert weakref.ref(loaded)() is loaded
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            loaded.id = "r2"  # type: ignore[attr-defined]


def test_loading_leaves_no_subclass_of_a_users_class_behind() -> None:
    # cattrs' include_subclasses (and anything else walking __subclasses__) must see
    # only the user's own classes, however many records were loaded.
    @attrs.frozen(kw_only=True)
    class Parent:
        id: str = id_field()

    @attrs.frozen(kw_only=True)
    class Child(Parent):
        extra: str = text_field(kind="label")

    from_dict({"id": "a"}, Parent)
    from_json('{"id": "a"}', Parent)
    from_dict({"id": "a", "extra": "x"}, Child)
    assert {c.__qualname__ for c in Parent.__subclasses__()} <= {Child.__qualname__}
    assert Child.__subclasses__() == []
    converter = cattrs.Converter()
    include_subclasses(Parent, converter)
    assert converter.structure({"id": "a", "extra": "x"}, Parent) == Child(id="a", extra="x")
    assert converter.structure({"id": "a"}, Parent) == Parent(id="a")


def test_reading_money_leaves_no_subclass_of_money_behind() -> None:
    assert from_json(to_json(Money("3.50", "USD")), Money) == Money("3.50", "USD")
    assert _from_plain("3.51", "USD") == Money("3.51", "USD")
    # only the library's own could be left by reading (another test module may define a
    # subclass of its own, such as test_records_fast's Cents, in the same process)
    assert [c for c in Money.__subclasses__() if c.__module__.startswith("humanaid")] == []


def test_loading_leaves_no_subclass_of_the_librarys_records_behind() -> None:
    @given(donations())
    def load(d: Donation) -> None:
        assert from_json(to_json(d), Donation) == d

    load()
    assert Donation.__subclasses__() == []


# -- Money read from text: the common form, and what only looks like it ------------------------

LOOK_ALIKES = [
    "1.",
    ".5",
    "+1.00",
    "-1.00",
    "1_000.00",
    "\u0661\u0662\u0663.\u0664\u0665",  # Arabic-Indic digits
    "\uff11.00",  # a fullwidth 1
    "1e3",
    "1E+999999999",
    "1e-999999999",
    " 1.00",
    "1.00 ",
    "1.00\n",
    "0001.00",
    "-0.00",
    "0.000",
    "000000000000000000.00",
    "999999999999999999.99",
    "1000000000000000000.00",
    "9" * 19,
    "NaN",
    "Infinity",
    "sNaN",
    "",
    ".",
]


@given(
    st.one_of(
        st.sampled_from(LOOK_ALIKES),
        st.from_regex(r"[+-]?[0-9]{0,20}(\.[0-9]{0,4})?([eE][+-]?[0-9]{1,3})?", fullmatch=True),
        st.text(alphabet="0123456789.+-_eE \u0663\uff11", max_size=24),
    ),
    st.sampled_from(["USD", "JPY", "KWD", "CNY"]),
)
def test_money_read_from_text_is_the_checked_money_or_left_to_the_checked_path(
    text: str, currency: str
) -> None:
    got = _from_plain(text, currency)
    if got is None:
        return  # the caller takes the checked path, which explains any problem
    try:
        expected = Money(Decimal(text), currency)
    except (InvalidOperation, ValueError) as e:  # pragma: no cover - a break
        raise AssertionError(f"{text!r} read as {got!r}, but Money refuses it: {e}") from e
    assert type(got) is Money
    assert got == expected
    assert str(got) == str(expected)
    assert hash(got) == hash(expected)
    assert pickle.loads(pickle.dumps(got)) == expected
    assert copy.deepcopy(got) == expected


# -- the summaries' columnar twins on Dask parts of a row or two ---------------------------------

pytest.importorskip("duckdb")  # the twins below need the columnar extras
pytest.importorskip("dask")


def _gift(i: int, donor: str) -> Donation:
    return Donation(
        id=f"g{i}",
        organization_id="o",
        donor_id=donor,
        received_on=date(2020, 1, 1 + i % 28),
        value=Money("10.00"),
        receipt_number=f"R{i}",
    )


TWINNED: list[Callable[[Dataset], Table]] = [
    lambda d: fundraising_summary(d),
    lambda d: top_donors(d),
    lambda d: top_donors(d, n=2),
    lambda d: campaign_summary(d),
    lambda d: relief_summary(d),
    lambda d: medical_summary(d),
    lambda d: results_summary(d),
    lambda d: project_summary(d),
    lambda d: revolving_summary(d, as_of=date(2021, 12, 31)),
]


def _twins_agree_on_small_dask_parts(ds: Dataset) -> None:
    tables = {n: to_arrow(r, ds.collection_types()[n]) for n, r in ds if r}
    twin: Dataset = scan_dataset(tables, engine="dask", findings=ds.validate(), rows_per_part=1)
    for summary in TWINNED:
        assert summary(twin) == summary(ds)


EDGE_DATASETS = {
    "empty": Dataset(),
    "one gift": Dataset(donations=(_gift(0, "d0"),)),
    "one donor": Dataset(donations=tuple(_gift(i, "d0") for i in range(12))),
}


@pytest.mark.parametrize("name", list(EDGE_DATASETS))
def test_summaries_of_edge_datasets_on_dask_hash_parts_equal_the_python_loop(name: str) -> None:
    # One row a part: a hash-partitioned query runs a task a row, most of them empty
    # (a single donor: every row hashes to one part).
    _twins_agree_on_small_dask_parts(EDGE_DATASETS[name])


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(ds=st.one_of(summary_datasets(), event_datasets()))
def test_summaries_on_dask_parts_of_one_row_equal_the_python_loop(ds: Dataset) -> None:
    _twins_agree_on_small_dask_parts(ds)


# -- decimals written plain: what a record accepts must read back ------------------------------


# A rate field accepted any finite Decimal (1E-100, even 1E-999999999); to_json writes it
# plain (0.000...1, 101 characters) or, past 10,000 digits, with its exponent, and
# from_json refuses both: the constructor now refuses what the reader refuses.
@given(
    record_strategies()[ExchangeRate](),
    st.sampled_from(["1E-30", "1E-32", "1E-33", "1E-40", "1E-100", "1E-1000"]),
)
def test_a_rate_an_exchange_rate_accepts_reads_back_from_its_json(
    rate: ExchangeRate, tiny: str
) -> None:
    if Decimal(tiny) < Decimal("1E-33"):  # more than 34 digits written plain
        with pytest.raises(FieldError, match="at most 34 digits") as refused:
            attrs.evolve(rate, rate=Decimal(tiny))
        assert refused.value.field == "rate"
        return
    small = attrs.evolve(rate, rate=Decimal(tiny))
    assert from_json(to_json(small), ExchangeRate) == small


@given(st.sampled_from(["1E-10000000", "1E-100000"]))
def test_a_decimal_of_a_huge_exponent_is_written_in_bounded_text(tiny: str) -> None:
    # Written plain, 1E-10000000 took ten million characters (1E-999999999, which a rate
    # accepted too, a billion); no plain text that long is read back anyway. A rate now
    # refuses it; a finding's figure still holds any finite decimal.
    small = Finding(rule="a.b", severity="warning", message="m", figures={"r": Decimal(tiny)})
    assert len(to_json(small)) < 1_000
    assert len(json.dumps(to_dict(small))) < 1_000


@given(record_strategies()[LendingTerms](), st.sampled_from(["annual_rate", "service_fee_rate"]))
def test_a_lending_rate_the_reader_would_refuse_is_refused_at_construction(
    terms: LendingTerms, field: str
) -> None:
    tiny: dict[str, Any] = {field: Decimal("1E-40")}  # 41 digits written plain
    with pytest.raises(FieldError, match="at most 34 digits") as refused:
        attrs.evolve(terms, **tiny)
    assert refused.value.field == field
    fits: dict[str, Any] = {field: Decimal("1E-33")}  # 34 digits: the reader's limit
    try:
        fine: LendingTerms | None = attrs.evolve(terms, **fits)
    except FieldError as e:  # other terms' rules (an interest-free loan's rate is 0)
        fine, why = None, str(e)
    else:
        why = ""
    assert "digits" not in why
    if fine is not None:
        assert from_json(to_json(fine), LendingTerms) == fine
