"""The generated fast paths (``humanaid._serialize_fast``) against the detailed ones.

Loading good input goes through a loader generated per record class; anything it does
not take goes through the detailed path, which reports every problem. Dumping goes
through a generated writer. These tests check the laws that make that safe: the fast
loader gives what the detailed path gives, it never takes what the detailed path
refuses, and the fast writer writes the converter's text to the byte.
"""

from __future__ import annotations

import decimal
import gc
import io
import json
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, cast

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import (
    Donation,
    InvalidInput,
    Money,
    Period,
    from_dict,
    from_json,
    iter_json_lines,
    to_dict,
    to_json,
)
from humanaid import _serialize_fast as F  # noqa: N812 - short, like S
from humanaid import serialize as S  # noqa: N812 - short: it is everywhere here
from humanaid._jsonforms import COMPACT
from humanaid.testing import record_strategies

STRATEGIES = record_strategies()
TYPES = [t for t in STRATEGIES if S._FAST.loader(t) is not None]
FAST = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])


def problems(error: InvalidInput) -> list[tuple[str, str, str, str | None]]:
    return [(p.location, p.code, p.message, p.got) for p in error.problems]


Outcome = tuple[str, Any]


def outcome(load: Callable[[], Any]) -> Outcome:
    """What a load gives: the value and its text, or the problems it raises."""
    try:
        value = load()
    except InvalidInput as exc:
        return ("refused", problems(exc))
    return ("loaded", (value, to_json(value)))


# -- which types have a fast path -------------------------------------------------------------


def test_the_text_loader_reads_a_plain_gift_and_declines_other_text() -> None:
    read = S._FAST.text_loader(Donation)
    assert read is not None
    gift = from_json(gift_text(), Donation)
    assert read(to_json(gift)) == gift
    assert read(to_json(gift) + "\r\n") == gift
    assert read(gift_text()) is None  # spaces after the separators
    assert read(to_json(gift).replace('"R1"', '"R\\u0031"')) is None  # an escape
    assert from_json(to_json(gift).replace('"R1"', '"R\\u0031"'), Donation) == gift


def test_every_record_type_but_the_dataset_has_a_fast_loader() -> None:
    # Dataset keeps a cache field that __init__ fills (init=False): the detailed path
    # loads it; its records inside still load through their own checks.
    missing = {t.__name__ for t in STRATEGIES if S._FAST.loader(t) is None}
    assert missing == {"Money", "Dataset"}
    assert all(S._FAST.dumper(t) is not None for t in STRATEGIES if t is not Money)


# -- loading: the fast loader equals the detailed path -----------------------------------------


@pytest.mark.parametrize("cls", TYPES, ids=[t.__name__ for t in TYPES])
def test_fast_load_equals_detailed_load(cls: type) -> None:
    @FAST
    @given(STRATEGIES[cls]())
    def check(x: Any) -> None:
        text = to_json(x)
        fast = S._FAST.loader(cls)
        assert fast is not None
        counter = [0]
        loaded = fast(json.loads(text), counter)  # good input: the fast loader takes it
        detailed: Any = S._from_json_detailed(text, cls)
        assert loaded == detailed == x
        assert to_json(loaded) == to_json(detailed) == text
        assert from_json(text, cls) == x
        assert from_dict(json.loads(text), cls) == x
        read = S._FAST.text_loader(cls)
        if read is not None:
            try:  # None (or refused) unless the text is as simple as the pattern reads
                got = read(text)
            except F._Refused:  # e.g. a colon in a nested string: the parser decides
                got = None
            if got is not None:
                assert got == x
                assert to_json(got) == text
        assert counter[0] == F._members(json.loads(text))  # every member counted

    check()


# -- damaged input: the fast path takes nothing the detailed path refuses -----------------------

NASTY: list[Any] = [
    None, True, 0, 1, -1, 1.5, [], {}, [{}], {"amount": "1.00", "currency": "CNY"},
    "", " ", " x", "x ", "a\u200bb", "a\x00b", "\u00e9", "e\u0301", "x" * 129, "a:b",
    "cash", "in_kind", "online_platform", "via_special_fund", "pending", "unvalued",
    "2020-02-29", "2023-02-29", "20200229", "2020-W01-1", "-1.00", "0", "0.00", "-0.00",
    "1.005", "1e3", "NaN", "\uff11\uff12", "12.5", "CNY", "cny", "XTS", "JPY",
]  # fmt: skip


def leaves(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in ``data``: objects, arrays and their items."""
    yield prefix
    if isinstance(data, dict):
        for k, v in data.items():
            yield from leaves(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from leaves(v, (*prefix, i))


def variants(data: Any) -> Iterator[Any]:
    """``data`` damaged at one place in every way: each nasty value, deleted, an extra key."""
    for where in leaves(data):
        if not where:
            continue
        for how in [*NASTY, "<delete>", "<extra>"]:
            copy = json.loads(json.dumps(data))
            parent = copy
            for step in where[:-1]:
                parent = parent[step]
            if how == "<delete>":
                del parent[where[-1]]
            elif how == "<extra>":
                if not isinstance(parent, dict):
                    continue
                parent["extra"] = 1
            else:
                parent[where[-1]] = how
            yield copy


def check_damaged(cls: type, broken: Any) -> None:
    fast, read = S._FAST.loader(cls), S._FAST.text_loader(cls)
    assert fast is not None
    # Spaced text goes to the dict loader; compact text, as to_json writes it, first to
    # the text loader.
    for separators in ((", ", ": "), (",", ":")):
        text = json.dumps(broken, ensure_ascii=False, separators=separators)
        detailed: Outcome = outcome(lambda: S._from_json_detailed(text, cls))  # noqa: B023
        for loader, data in ((fast, json.loads(text)), (read, text)):
            if loader is None:
                continue
            try:
                taken = loader(data, [0]) if loader is fast else cast(Any, loader)(data)
            except Exception:  # refused: the detailed path decides
                taken = None
            if taken is not None:  # what a fast loader takes, the detailed path takes too
                assert detailed == ("loaded", (taken, to_json(taken)))
        assert outcome(lambda: from_json(text, cls)) == detailed  # noqa: B023


@pytest.mark.parametrize("cls", TYPES, ids=[t.__name__ for t in TYPES])
def test_fast_path_refuses_what_the_detailed_path_refuses(cls: type) -> None:
    # Every place of a record's JSON damaged in every way the list above knows.
    @settings(max_examples=3, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(STRATEGIES[cls]())
    def check(x: Any) -> None:
        for broken in variants(json.loads(to_json(x))):
            check_damaged(cls, broken)

    check()


JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(NASTY[10:]),
              st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=2),
        st.dictionaries(st.sampled_from(["amount", "currency", "id", "x"]), inner, max_size=2),
        st.fixed_dictionaries({"amount": inner, "currency": inner}),
    ),
    max_leaves=4,
)  # fmt: skip


@pytest.mark.parametrize("cls", TYPES, ids=[t.__name__ for t in TYPES])
def test_fast_path_refuses_what_the_detailed_path_refuses_for_any_json(cls: type) -> None:
    @FAST
    @given(STRATEGIES[cls](), st.data())
    def check(x: Any, data: st.DataObject) -> None:
        broken = json.loads(to_json(x))
        where = data.draw(st.sampled_from([w for w in leaves(broken) if w]))
        parent = broken
        for step in where[:-1]:
            parent = parent[step]
        parent[where[-1]] = data.draw(JSONISH)
        check_damaged(cls, broken)

    check()


def gift_text(**changes: Any) -> str:
    data: dict[str, Any] = {
        "id": "g1",
        "organization_id": "qujing",
        "received_on": "2020-02-03",
        "value": {"amount": "100.00", "currency": "CNY"},
        "donor_id": None,
        "form": "cash",
        "items": [],
        "fees": {"amount": "0.00", "currency": "CNY"},
        "channel": "offline",
        "platform": None,
        "fund_id": None,
        "campaign_id": None,
        "pledge_id": None,
        "restricted_to": None,
        "receipt_number": "R1",
        "no_receipt_reason": None,
        "transaction_ref": None,
    }
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def test_a_duplicate_key_is_caught_although_the_fast_parser_keeps_the_last() -> None:
    text = gift_text().replace('"id": "g1",', '"id": "g1", "id": "g2",')
    with pytest.raises(InvalidInput) as info:
        from_json(text, Donation)
    assert [(p.location, p.code) for p in info.value.problems] == [("$.id", "duplicate-key")]


def test_a_duplicate_key_inside_money_is_caught() -> None:
    text = gift_text().replace('"amount": "100.00"', '"amount": "1.00", "amount": "100.00"')
    with pytest.raises(InvalidInput) as info:
        from_json(text, Donation)
    assert [(p.location, p.code) for p in info.value.problems] == [
        ("$.value.amount", "duplicate-key")
    ]


def test_a_colon_inside_a_string_still_loads() -> None:
    gift = from_json(gift_text(receipt_number="R:1"), Donation)
    assert gift.receipt_number == "R:1"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"id": " g1"}, [("$.id", "invalid")]),
        ({"value": {"amount": "100.005", "currency": "CNY"}}, [("$.value.amount", "invalid")]),
        (
            {"value": {"amount": 100.0, "currency": "CNY"}},
            [("$.value.amount", "float-not-allowed")],
        ),
        ({"received_on": "2023-02-29"}, [("$.received_on", "invalid-date")]),
        ({"form": "gold"}, [("$.form", "unknown-value")]),
        ({"platform": "轻松筹"}, [("$.platform", "invalid")]),
        ({"receipt_number": "  "}, [("$.receipt_number", "invalid")]),
        ({"no_receipt_reason": "pending"}, [("$", "invalid")]),
    ],
)
def test_bad_gifts_are_reported_as_before(changes: dict[str, Any], expected: list[Any]) -> None:
    with pytest.raises(InvalidInput) as info:
        from_json(gift_text(**changes), Donation)
    assert [(p.location, p.code) for p in info.value.problems] == expected
    with pytest.raises(InvalidInput) as detailed:
        S._from_json_detailed(gift_text(**changes), Donation)
    assert problems(info.value) == problems(detailed.value)


def test_text_is_normalised_to_nfc_on_the_fast_path() -> None:
    gift = from_json(gift_text(receipt_number="Re\u0301"), Donation)
    assert gift.receipt_number == "R\u00e9"


def test_bytes_that_are_not_utf8_take_the_detailed_path() -> None:
    text = gift_text().encode("utf-16")
    assert from_json(text, Donation) == from_json(gift_text(), Donation)
    with pytest.raises(InvalidInput) as info:
        from_json(b'{"id": "\xff"}', Donation)
    assert [p.code for p in info.value.problems] == ["invalid-json"]


def test_equal_money_amounts_are_shared() -> None:
    a = from_json(gift_text(), Donation)
    b = from_json(gift_text(id="g2"), Donation)
    assert a.fees is b.fees
    assert a.value == b.value


# -- dumping: the generated writer writes the converter's text ----------------------------------


@pytest.mark.parametrize("cls", list(STRATEGIES), ids=[t.__name__ for t in STRATEGIES])
def test_fast_dump_equals_converter_dump(cls: type) -> None:
    @FAST
    @given(STRATEGIES[cls]())
    def check(x: Any) -> None:
        assert to_json(x) == COMPACT.encode(to_dict(x))

    check()


@attrs.frozen
class Loose:
    """A record whose fields hold values of other classes than declared (no validators)."""

    name: str
    count: int
    flag: bool
    day: date
    share: Decimal
    maybe: str | None = None


@pytest.mark.parametrize(
    "record",
    [
        Loose(name=1, count=True, flag=0, day=date(2020, 1, 1), share=Decimal("0.5")),  # type: ignore[arg-type]
        Loose(name='a\n"b"', count=-3, flag=True, day=date(2020, 1, 1), share=Decimal("1E+3")),
        Loose(name="x", count=2, flag=False, day=date(2020, 1, 1), share=Decimal("-0"), maybe=5),  # type: ignore[arg-type]
    ],
)
def test_values_of_other_classes_are_written_as_the_converter_writes_them(record: Loose) -> None:
    assert to_json(record) == COMPACT.encode(to_dict(record))


def test_a_value_the_converter_cannot_write_still_fails_as_before() -> None:
    record = Loose(name="x", count=1, flag=True, day="2020-01-01", share=Decimal(1))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        COMPACT.encode(to_dict(record))
    with pytest.raises(TypeError):
        to_json(record)


# -- iter_json_lines: the collector is paused per batch and always restored ---------------------


def gift_lines(n: int) -> list[str]:
    return [gift_text(id=f"g{i}") for i in range(n)]


def test_the_collector_is_running_whenever_a_record_is_handed_out() -> None:
    assert gc.isenabled()
    seen = [gc.isenabled() for _ in iter_json_lines(gift_lines(3000), Donation)]
    assert len(seen) == 3000
    assert all(seen)
    assert gc.isenabled()


def test_the_collector_is_restored_when_the_loop_stops_early() -> None:
    lines = iter_json_lines(gift_lines(100), Donation)
    assert next(lines).id == "g0"
    assert gc.isenabled()
    lines.close()
    assert gc.isenabled()


def test_the_collector_is_restored_after_a_bad_line_and_earlier_lines_come_first() -> None:
    lines = [*gift_lines(5), gift_text(id=" bad"), *gift_lines(2)]
    got: list[str] = []
    stream = iter_json_lines(lines, Donation)
    with pytest.raises(InvalidInput) as info:  # noqa: PT012 - the records come first
        for gift in stream:
            got.append(gift.id)
    assert got == ["g0", "g1", "g2", "g3", "g4"]
    assert info.value.subject == "line 6 of the input"
    assert gc.isenabled()


def test_the_collector_is_restored_when_reading_fails() -> None:
    def failing() -> Iterator[str]:
        yield from gift_lines(3)
        raise OSError("disk gone")

    got: list[str] = []
    with pytest.raises(OSError, match="disk gone"):  # noqa: PT012 - the records come first
        for gift in iter_json_lines(failing(), Donation):
            got.append(gift.id)
    assert got == ["g0", "g1", "g2"]
    assert gc.isenabled()


def test_a_paused_collector_stays_paused() -> None:
    gc.disable()
    try:
        assert len(list(iter_json_lines(gift_lines(10), Donation))) == 10
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_records_come_one_at_a_time_at_first() -> None:
    def once() -> Iterator[str]:
        yield gift_lines(1)[0]
        raise AssertionError("read ahead of the first record")

    assert next(iter_json_lines(once(), Donation)).id == "g0"


def compact_gift(**changes: Any) -> str:
    return json.dumps(json.loads(gift_text(**changes)), ensure_ascii=False, separators=(",", ":"))


def test_a_duplicate_key_inside_a_nested_record_is_caught_in_compact_text() -> None:
    restriction = {"fund_id": None, "project_id": None, "purpose": "救心行动"}
    text = compact_gift(restricted_to=restriction).replace(
        '"purpose":"救心行动"', '"purpose":"x","purpose":"救心行动"'
    )
    with pytest.raises(InvalidInput) as info:
        from_json(text, Donation)
    assert [(p.location, p.code) for p in info.value.problems] == [
        ("$.restricted_to.purpose", "duplicate-key")
    ]


def test_nested_records_in_compact_text_load_as_the_detailed_path_loads_them() -> None:
    restriction = {"fund_id": None, "project_id": None, "purpose": "a:b {x}"}
    item = {
        "description": "大米",
        "quantity": "2.5",
        "unit": "kg",
        "unit_value": {"amount": "4.99", "currency": "CNY"},
        "valuation": "fair_value",
    }
    for text in (
        compact_gift(restricted_to=restriction),
        compact_gift(
            form="in_kind", items=[item, item], value={"amount": "24.96", "currency": "CNY"}
        ),
    ):
        assert from_json(text, Donation) == S._from_json_detailed(text, Donation)
        assert to_json(from_json(text, Donation)) == text


# -- what the second review found ------------------------------------------------------------


@pytest.mark.parametrize("tail", ["\u00a0", "\u3000", "\x0c", "\x0b", "\x1c", "\x85", "\u2028"])
def test_only_json_whitespace_may_follow_a_record(tail: str) -> None:
    text = '{"start":"2020-01-01","end":"2020-12-31"}' + tail
    with pytest.raises(InvalidInput) as err:
        from_json(text, Period)
    assert [p.code for p in err.value.problems] == ["invalid-json"]
    assert from_json(text.replace(tail, " \t\r\n"), Period) == Period.year(2020)


def test_a_callers_lines_are_read_one_per_record_handed_out() -> None:
    pulled: list[int] = []

    def source() -> Iterator[str]:
        for i in range(2000):
            pulled.append(i)
            yield '{"start":"2020-01-01","end":"2020-12-31"}'

    records = iter_json_lines(source(), Period)
    for n in range(1, 1100):
        next(records)
        assert len(pulled) == n
    stream = io.StringIO("".join(f'{{"amount":"{i}","currency":"CNY"}}\n' for i in range(10)))
    for _ in zip(range(2), iter_json_lines(stream, Money), strict=False):
        pass
    assert stream.readline() == '{"amount":"2","currency":"CNY"}\n'


def test_threads_streaming_at_once_leave_the_collector_enabled() -> None:
    lines = ['{"start":"2020-01-01","end":"2020-12-31"}'] * 3
    errors: list[BaseException] = []

    def work(path: str) -> None:
        try:
            for _ in range(200):
                list(iter_json_lines(path, Period))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "periods.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        old = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)
        try:
            threads = [threading.Thread(target=work, args=(path,)) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            sys.setswitchinterval(old)
    assert errors == []
    assert gc.isenabled()


def test_money_trusted_refuses_what_is_not_an_exact_decimal() -> None:
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.InvalidOperation] = False
        with pytest.raises(ValueError, match="exact amount"):
            Money.trusted(Decimal("NaN"), "CNY")
        with pytest.raises(ValueError, match="exact amount"):
            Money.trusted(Decimal("-Infinity"), "CNY")
    with pytest.raises(TypeError, match="needs a Decimal amount"):
        Money.trusted(5, "CNY")  # type: ignore[arg-type]


# -- a fast-loaded record: its slots filled through their descriptors, no class made ------------


@pytest.mark.parametrize("cls", TYPES, ids=[t.__name__ for t in TYPES])
def test_a_fast_loaded_record_is_of_its_own_class_and_stays_frozen(cls: type) -> None:
    @FAST
    @given(STRATEGIES[cls]())
    def check(x: Any) -> None:
        text = to_json(x)
        loaded = [S._FAST.loader(cls)(json.loads(text), [0])]  # type: ignore[misc]
        for reader in (S._FAST.text_loader(cls), S._FAST.accelerated_loader(cls)):
            if reader is not None:
                try:
                    got = reader(text)
                except F._Refused:
                    got = None
                if got is not None:
                    loaded.append(got)
        for got in loaded:
            assert type(got) is cls
            assert got == x
            assert hash(got) == hash(x)
            name = attrs.fields(cls)[0].name
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(got, name, getattr(got, name))

    check()


def test_a_loader_makes_no_class_and_fills_the_slots_through_their_descriptors() -> None:
    source = S._FAST.loader(Donation).__doc__ or ""
    assert "inst = _new(_cls)" in source
    assert "inst.__class__" not in source
    assert Donation.__subclasses__() == []
