"""The accelerator (msgspec, the ``fast`` extra) changes the time of a load, nothing else.

With it, a JSON line is parsed by msgspec's C parser into a flat struct made for the
record class, then goes through the same generated checks as without it; anything it
does not take goes down the pure-Python paths. These tests load the same inputs with the
accelerator on and off (:func:`humanaid._serialize_fast.set_accelerator`) and compare
what comes out: the records, or the errors with their messages, fields, codes and line
numbers.
"""

from __future__ import annotations

import enum
import functools
import json
import typing
from collections.abc import Callable
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from humanaid import Donation, InvalidInput, from_json, iter_json_lines, to_json
from humanaid import _serialize_fast as F  # noqa: N812 - short, like the other tests
from humanaid import serialize as S  # noqa: N812
from humanaid.testing import record_strategies
from humanaid.testing.hostile import example_records, hostile_inputs

msgspec = pytest.importorskip("msgspec")

STRATEGIES = record_strategies()
TYPES = [t for t in STRATEGIES if S._FAST.loader(t) is not None]
SETTINGS = settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow])


def outcome(load: Callable[[], Any]) -> tuple[str, Any]:
    """The records loaded (and their text), or the error: its message and its problems."""
    try:
        value = load()
    except InvalidInput as exc:
        return (
            "refused",
            (str(exc), [(p.location, p.code, p.message, p.got) for p in exc.problems]),
        )
    if isinstance(value, list):
        return ("loaded", (value, [to_json(v) for v in value]))
    return ("loaded", (value, to_json(value)))


def both_ways(load: Callable[[], Any]) -> tuple[tuple[str, Any], tuple[str, Any]]:
    was = F.set_accelerator(True)
    try:
        with_it = outcome(load)
        F.set_accelerator(False)
        without = outcome(load)
    finally:
        F.set_accelerator(was)
    return with_it, without


def load_lines(lines: list[Any], cls: type) -> list[Any]:
    return list(iter_json_lines(lines, cls))


def spaced(text: str) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False)


def test_the_accelerator_is_used_when_installed_and_on(accelerator: bool) -> None:
    read = S._FAST.accelerated_loader(Donation)
    assert (read is not None) is accelerator
    assert F.accelerator_available() is accelerator


def test_the_accelerated_loader_reads_compact_and_spaced_lines_and_bytes() -> None:
    read = S._FAST.accelerated_loader(Donation)
    assert read is not None
    gift = from_json(
        '{"id":"g1","organization_id":"o","received_on":"2020-01-02",'
        '"value":{"amount":"5.00","currency":"CNY"}}',
        Donation,
    )
    text = to_json(gift)
    assert read(text) == gift
    assert read(text.encode()) == gift
    assert read(spaced(text)) == gift
    assert read(spaced(text).encode() + b"\r\n") == gift


def test_the_accelerated_loader_declines_what_it_does_not_take() -> None:
    read = S._FAST.accelerated_loader(Donation)
    assert read is not None
    text = to_json(
        from_json(
            '{"id":"g1","organization_id":"o","received_on":"2020-01-02",'
            '"value":{"amount":"5.00","currency":"CNY"},"transaction_ref":"a:b"}',
            Donation,
        )
    )
    assert read(text) is None  # a colon inside a string: the other paths count otherwise
    assert read(text.replace('"id":"g1",', '"id":"g1","id":"g2",')) is None  # repeated
    short = json.loads(text)
    del short["pledge_id"]
    with pytest.raises(msgspec.ValidationError):  # a key left out: the others load it
        read(json.dumps(short))
    assert from_json(json.dumps(short), Donation) == from_json(text, Donation)


@pytest.mark.parametrize("cls", TYPES, ids=[t.__name__ for t in TYPES])
def test_loading_with_and_without_the_accelerator_gives_the_same_records_and_errors(
    cls: type,
) -> None:
    @SETTINGS
    @given(record=STRATEGIES[cls](), form=st.sampled_from(["compact", "spaced"]), data=st.data())
    def check(record: Any, form: str, data: st.DataObject) -> None:
        text = to_json(record)
        if form == "spaced":
            text = spaced(text)
        # the good text, then the same text damaged one way, for the errors
        damaged = data.draw(st.sampled_from(_damages(text)))
        for line in (text, damaged):
            with_it, without = both_ways(functools.partial(from_json, line, cls))
            assert with_it == without
            lines: list[str | bytes] = [to_json(record), line, line.encode()]
            with_it, without = both_ways(functools.partial(load_lines, lines, cls))
            assert with_it == without

    check()


def _damages(text: str) -> list[str]:
    """The text with one thing wrong: a repeated key, a null, a float, a cut, a stray key."""
    data = json.loads(text)
    out = [text[: len(text) // 2], text + " x", text.replace('":', '":{', 1)]
    if isinstance(data, dict) and data:
        first = next(iter(data))
        out.append(text.replace("{", "{" + json.dumps(first) + ":null,", 1))
        out.append(text.replace("{", '{"zz_not_a_field":1,', 1))
        for key in list(data)[:4]:
            changed = dict(data)
            changed[key] = 1.5
            out.append(json.dumps(changed, ensure_ascii=False, separators=(",", ":")))
            changed[key] = None
            out.append(json.dumps(changed, ensure_ascii=False))
    return out


@pytest.mark.parametrize("cls", TYPES, ids=[t.__name__ for t in TYPES])
def test_the_hostile_corpus_gives_the_same_errors_with_and_without_the_accelerator(
    cls: type,
) -> None:
    examples = example_records(STRATEGIES[cls](), count=2)
    for example in examples:
        for case in hostile_inputs(cls, example, channels=("json", "jsonl")):
            payload = case.payload
            if case.channel == "jsonl":
                lines = [to_json(example), payload]
                with_it, without = both_ways(functools.partial(load_lines, lines, cls))
            else:
                with_it, without = both_ways(functools.partial(from_json, payload, cls))
            assert with_it == without, (case.kind, case.where)
            assert with_it[0] == "refused", (case.kind, case.where)


def test_a_file_loads_the_same_with_and_without_the_accelerator(tmp_path: Any) -> None:
    good = (
        '{"id":"g1","organization_id":"o","received_on":"2020-01-02",'
        '"value":{"amount":"5.00","currency":"CNY"}}'
    )
    path = tmp_path / "gifts.jsonl"
    path.write_text("\n".join([good, spaced(good), "", good.replace("5.00", "5.001")]) + "\n")
    with_it, without = both_ways(lambda: list(iter_json_lines(path, Donation)))
    assert with_it == without
    assert with_it[0] == "refused"
    assert "line 4 of" in with_it[1][0]


@pytest.mark.parametrize("cls", list(STRATEGIES), ids=[t.__name__ for t in STRATEGIES])
def test_dumping_with_and_without_the_accelerator_writes_the_same_text(cls: type) -> None:
    @SETTINGS
    @given(record=STRATEGIES[cls]())
    def check(record: Any) -> None:
        with_it, without = both_ways(lambda: to_json(record))
        assert with_it == without
        assert with_it[1][0] == json.dumps(
            S.to_dict(record), ensure_ascii=False, separators=(",", ":")
        )

    check()


def test_a_record_holding_a_value_of_another_class_is_written_the_other_way() -> None:
    gift = from_json(
        '{"id":"g1","organization_id":"o","received_on":"2020-01-02",'
        '"value":{"amount":"5.00","currency":"CNY"}}',
        Donation,
    )
    dump = S._FAST.accelerated_dumper(Donation)
    assert dump is not None
    assert dump(gift) == to_json(gift)

    class Text(str):
        pass

    odd = gift.__class__.__new__(gift.__class__)
    for a in __import__("attrs").fields(Donation):
        object.__setattr__(odd, a.name, getattr(gift, a.name))
    object.__setattr__(odd, "id", Text("g1"))
    with pytest.raises(F._Refused):
        dump(odd)
    assert to_json(odd) == to_json(gift)  # the generated writer takes it
    object.__setattr__(odd, "id", "g\ud8001")  # a lone surrogate: msgspec cannot write it
    # msgspec 0.22 says so with its EncodeError, 0.23 lets UnicodeEncodeError through
    with pytest.raises((msgspec.EncodeError, UnicodeEncodeError)):
        dump(odd)
    with_it, without = both_ways(lambda: to_json(odd))
    assert with_it == without


# -- issue 19, fourth pass: enum members looked up by msgspec; the line loop tries it first ------


def _enum_fields(cls: type) -> list[tuple[str, type[enum.Enum]]]:
    """The keys of ``cls``'s enum fields (optional ones too) and their enums."""
    out = []
    for a in attrs.fields(cls):
        for t in (a.type, *typing.get_args(a.type)):
            if isinstance(t, type) and issubclass(t, enum.Enum):
                out.append((a.alias or a.name, t))
    return out


ENUM_TYPES = [t for t in TYPES if _enum_fields(t)]
ENUM_TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " cash", "cash ", "CASH", "Cash", "in_kind", "online_platform", "null"]),
)


@pytest.mark.parametrize("cls", ENUM_TYPES, ids=[t.__name__ for t in ENUM_TYPES])
def test_an_enum_value_loads_the_same_with_and_without_the_accelerator(cls: type) -> None:
    """Whatever text an enum field holds: the same member, or the same error, both ways."""

    @SETTINGS
    @given(record=STRATEGIES[cls](), data=st.data())
    def check(record: Any, data: st.DataObject) -> None:
        fields = _enum_fields(cls)
        key = data.draw(st.sampled_from([k for k, _ in fields]))
        # a member's value of any enum of the class (right or wrong), or any text
        values = [m.value for _, t in fields for m in t]
        value = data.draw(st.one_of(st.sampled_from(values), ENUM_TEXT))
        changed = json.loads(to_json(record))
        changed[key] = value
        for text in (
            json.dumps(changed, ensure_ascii=False, separators=(",", ":")),
            json.dumps(changed),
        ):
            with_it, without = both_ways(functools.partial(from_json, text, cls))
            assert with_it == without
            with_it, without = both_ways(functools.partial(load_lines, [text.encode()], cls))
            assert with_it == without

    check()


LINE = st.one_of(
    st.sampled_from(["", "\n", " ", " \t\r\n", "\r\n", "{}", "null", "x"]),
    st.just("GOOD"),
    st.just("LONG"),
)


@SETTINGS
@given(record=STRATEGIES[Donation](), kinds=st.lists(LINE, max_size=6), as_bytes=st.booleans())
def test_lines_load_as_each_line_loads_on_its_own(
    record: Donation, kinds: list[str], as_bytes: bool
) -> None:
    """iter_json_lines = from_json of each line that is not blank, in order, the first
    bad line raising (as too-long when over the limit): with and without the accelerator.
    """
    from humanaid.errors import LIMITS, Problem

    good = to_json(record)
    lines = [
        good if k == "GOOD" else " " * LIMITS["line_length"] + good if k == "LONG" else k
        for k in kinds
    ]
    fed: list[Any] = [x.encode() for x in lines] if as_bytes else lines

    def straightforward() -> list[Any]:
        out = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if len(line) > LIMITS["line_length"]:
                raise InvalidInput(
                    [
                        Problem(
                            path=(),
                            code="too-long",
                            message=f"is longer than {LIMITS['line_length']} characters",
                        )
                    ],
                    subject=f"line {number} of the input",
                )
            try:
                out.append(from_json(line, Donation))
            except InvalidInput as exc:
                raise InvalidInput(exc.problems, subject=f"line {number} of the input") from None
        return out

    expected = outcome(straightforward)
    with_it, without = both_ways(functools.partial(load_lines, fed, Donation))
    assert with_it == expected
    assert without == expected


# -- a gift's post-init, left out by the generated loaders where it would pass ------------------

_GIFT: dict[str, Any] = {
    "id": "g1",
    "organization_id": "qujing",
    "received_on": "2020-02-03",
    "donor_id": None,
    "form": "cash",
    "items": [],
    "channel": "offline",
    "platform": None,
    "fund_id": None,
    "campaign_id": None,
    "pledge_id": None,
    "restricted_to": None,
    "receipt_number": None,
    "no_receipt_reason": None,
    "transaction_ref": None,
}


@SETTINGS
@given(
    channel=st.sampled_from(["offline", "bank_transfer", "online_platform", "via_special_fund"]),
    platform=st.sampled_from([None, "腾讯公益"]),
    fund_id=st.sampled_from([None, "f1"]),
    fees=st.sampled_from([None, ("0.00", "CNY"), ("1.00", "CNY"), ("1.00", "USD")]),
    value=st.sampled_from([("100.00", "CNY"), ("100.00", "USD")]),
    receipt=st.sampled_from([None, "R-1"]),
    reason=st.sampled_from([None, "anonymous"]),
    items=st.booleans(),
    form=st.sampled_from(["cash", "in_kind"]),
    spacing=st.sampled_from(["compact", "spaced"]),
)
def test_a_gift_whose_post_init_a_loader_leaves_out_is_the_gift_its_constructor_makes(
    channel: str,
    platform: str | None,
    fund_id: str | None,
    fees: tuple[str, str] | None,
    value: tuple[str, str],
    receipt: str | None,
    reason: str | None,
    items: bool,
    form: str,
    spacing: str,
) -> None:
    """Every mix of the fields Donation's post-init checks loads, through the accelerated
    loader, the text loader and the dict loader, as the record's constructor makes it: the
    same gift, or the same error (message, field, code, line number)."""
    data: dict[str, Any] = {
        **_GIFT,
        "value": {"amount": value[0], "currency": value[1]},
        "fees": {"amount": "0.00", "currency": value[1]}
        if fees is None
        else {"amount": fees[0], "currency": fees[1]},
        "channel": channel,
        "platform": platform,
        "fund_id": fund_id,
        "receipt_number": receipt,
        "no_receipt_reason": reason,
        "form": form,
    }
    if items:
        data["items"] = [
            {
                "description": "rice",
                "quantity": "2",
                "unit": "bag",
                "unit_value": {"amount": value[0], "currency": value[1]},
                "valuation": "invoice",
            }
        ]
    keys = [a.name for a in attrs.fields(Donation)]
    data = {k: data[k] for k in keys}  # in field order, as to_json writes them
    text = (
        json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        if spacing == "compact"
        else json.dumps(data, ensure_ascii=False)
    )

    def construct() -> Donation:  # the straightforward definition: the constructor
        return S._from_json_detailed(text, Donation)

    expected = outcome(construct)
    assert both_ways(functools.partial(from_json, text, Donation)) == (expected, expected)
    lines: list[Any] = ["", text, text.encode()]

    def each_line() -> list[Donation]:
        out = []
        for number, line in enumerate(lines[1:], start=2):
            try:
                out.append(S._from_json_detailed(line, Donation))
            except InvalidInput as exc:
                raise InvalidInput(exc.problems, subject=f"line {number} of the input") from None
        return out

    expected_lines = outcome(each_line)
    assert both_ways(functools.partial(load_lines, lines, Donation)) == (
        expected_lines,
        expected_lines,
    )
    # each generated loader on its own: the gift, or a refusal (never another gift)
    gift = expected[1][0] if expected[0] == "loaded" else None
    accelerated = S._FAST.accelerated_loader(Donation)
    read = S._FAST.text_loader(Donation)
    load = S._FAST.loader(Donation)
    assert accelerated is not None
    assert read is not None
    assert load is not None
    fast: Callable[[], Any]
    for fast in (
        lambda: accelerated(text),
        lambda: accelerated(text.encode()),
        lambda: read(text),
        lambda: load(json.loads(text), [0]),
    ):
        try:
            got = fast()
        except Exception:
            got = None
        assert got is None or got == gift
        if gift is not None and spacing == "compact":
            assert got == gift  # good compact text is taken by every fast path


REF_TEXT = st.one_of(
    st.sampled_from(["qujing", "donor-0000004", " d1", "d1 ", "", "d\u00ad1", "d\u00851", "d:1"]),
    st.text(max_size=8),
    st.text(alphabet="ab- \u00e9\u4e00", min_size=127, max_size=130),
)


@SETTINGS
@given(
    field=st.sampled_from(["organization_id", "donor_id", "campaign_id", "pledge_id"]),
    ref=REF_TEXT,
    full=st.booleans(),
    spacing=st.sampled_from(["compact", "spaced"]),
)
def test_a_reference_loads_as_the_constructor_takes_it_whether_or_not_the_kept_ids_are_full(
    field: str, ref: str, full: bool, spacing: str
) -> None:
    """A reference is checked in the generated loaders themselves once the ids they keep
    are full (as after the first few thousand of a million lines): the same gift or the
    same error as the record's constructor, with the accelerator and without."""
    data: dict[str, Any] = {
        **_GIFT,
        "value": {"amount": "100.00", "currency": "CNY"},
        "fees": {"amount": "0.00", "currency": "CNY"},
        field: ref,
    }
    data = {a.name: data[a.name] for a in attrs.fields(Donation)}
    separators = (",", ":") if spacing == "compact" else None
    text = json.dumps(data, ensure_ascii=False, separators=separators)
    kept = dict(F._REFS)
    try:
        if full:
            F._REFS.update((f"zz-{i}", f"zz-{i}") for i in range(F._SEEN_MAX - len(F._REFS)))
        expected = outcome(lambda: S._from_json_detailed(text, Donation))
        assert both_ways(functools.partial(from_json, text, Donation)) == (expected, expected)
        accelerated = S._FAST.accelerated_loader(Donation)
        assert accelerated is not None
        try:
            got = accelerated(text.encode())
        except Exception:
            got = None
        assert got is None or got == expected[1][0]
        if expected[0] == "loaded" and ":" not in ref:
            assert got == expected[1][0]  # taken by the accelerated loader itself
        if full:
            assert ref not in F._REFS or ref in kept  # nothing kept once full
    finally:
        F._REFS.clear()
        F._REFS.update(kept)


# -- issue 19, eighth pass: the accelerated writer writes into buffers it reuses -----------------


def _reference(record: Any) -> str:
    """The text ``to_json`` must write: the converter's dict, compactly encoded."""
    return json.dumps(S.to_dict(record), ensure_ascii=False, separators=(",", ":"))


def _accelerated(dump: Callable[[Any], str], record: Any) -> str | None:
    """The accelerated writer's text, or None when it hands the record on (to_json's rule)."""
    try:
        return dump(record)
    except Exception:  # a value it does not write: to_json takes the generated writer
        return None


_WRITTEN = [t for t in STRATEGIES if S._FAST.accelerated_dumper(t) is not None]
"""The record types the accelerator writes (the others are written without it)."""


@pytest.mark.parametrize("cls", _WRITTEN, ids=[t.__name__ for t in _WRITTEN])
def test_records_written_in_turn_into_reused_buffers_are_each_written_as_alone(cls: type) -> None:
    dump = S._FAST.accelerated_dumper(cls)
    assert dump is not None
    written = 0

    @SETTINGS
    @given(records=st.lists(STRATEGIES[cls](), min_size=2, max_size=6))
    def check(records: list[Any]) -> None:
        nonlocal written
        # longer and shorter texts in turn: a buffer grows, then holds a shorter one
        for record in [*records, *reversed(records), *records]:
            text = _accelerated(dump, record)
            assert text is None or text == _reference(record)
            written += text is not None
            assert to_json(record) == _reference(record)

    check()
    assert written  # the accelerated writer wrote some of them itself


def test_a_write_that_fails_leaves_the_next_ones_right() -> None:
    long_gift = from_json(
        '{"id":"g1","organization_id":"o","received_on":"2020-01-02",'
        '"value":{"amount":"5.00","currency":"CNY"},'
        f'"receipt_number":"{"R" * 90}","transaction_ref":"{"T" * 300}"}}',
        Donation,
    )
    short_gift = from_json(
        '{"id":"g2","organization_id":"o","received_on":"2020-01-03",'
        '"value":{"amount":"7.00","currency":"CNY"}}',
        Donation,
    )
    dump = S._FAST.accelerated_dumper(Donation)
    assert dump is not None
    broken = attrs.evolve(long_gift)
    object.__setattr__(broken, "id", "g\ud8001")  # a lone surrogate: msgspec stops midway
    for _ in range(3):
        assert dump(long_gift) == _reference(long_gift)
        with pytest.raises((msgspec.EncodeError, UnicodeEncodeError)):
            dump(broken)
        assert dump(short_gift) == _reference(short_gift)
        assert dump(long_gift) == _reference(long_gift)


def test_threads_writing_at_once_each_get_their_own_records_text() -> None:
    import sys
    import threading

    gifts = [
        from_json(
            f'{{"id":"g{i}","organization_id":"o","received_on":"2020-01-02",'
            f'"value":{{"amount":"{i}.00","currency":"CNY"}},'
            f'"transaction_ref":"{"T" * (i % 7) * 80}t{i}"}}',
            Donation,
        )
        for i in range(1, 200)
    ]
    expected = [_reference(g) for g in gifts]
    dump = S._FAST.accelerated_dumper(Donation)
    assert dump is not None
    results: dict[int, list[str]] = {}

    def write(k: int) -> None:
        order = gifts if k % 2 else gifts[::-1]
        results[k] = [dump(g) for _ in range(20) for g in order]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch between any two bytecodes, nearly
    try:
        threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    for k, texts in results.items():
        assert texts == (expected if k % 2 else expected[::-1]) * 20
    assert len(results) == 4
