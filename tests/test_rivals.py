"""The benchmark's rivals check what humanaid checks: a fair race (``benchmarks/rivals.py``).

Each rival (pydantic and msgspec, each tuned as its docs advise and lean) must refuse
every input humanaid refuses, the hostile corpus of :mod:`humanaid.testing.hostile`
included, and build the same values from the lines humanaid loads; a rival that took
less would be timed doing less work. The rivals need the ``bench`` extra (CI installs it).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from humanaid import (
    Channel,
    Donation,
    DonationForm,
    InvalidInput,
    Money,
    from_json,
    iter_json_lines,
    to_json,
)
from humanaid.donors import InKindItem, Restriction, ValuationBasis
from humanaid.testing.hostile import hostile_inputs

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
pytest.importorskip("pydantic")
pytest.importorskip("msgspec")

import generate  # type: ignore[import-not-found]  # noqa: E402 - the benchmark's own
import rivals  # type: ignore[import-not-found]  # noqa: E402

LOADERS: dict[str, Callable[[str | bytes], Any]] = rivals.LOADERS
NAMES = list(LOADERS)


def rich_gift() -> Donation:
    """A gift with every part filled: goods, fees, a platform, a restriction, a receipt."""
    return Donation(
        id="g1",
        organization_id="qujing-rc",
        received_on=date(2020, 1, 2),
        value=Money("30.00"),
        donor_id="d1",
        form=DonationForm.IN_KIND,
        items=(
            InKindItem(
                description="大米 25kg 袋",
                quantity=Decimal(3),
                unit="袋",
                unit_value=Money("10.00"),
                valuation=ValuationBasis.INVOICE,
            ),
        ),
        fees=Money("0.18"),
        channel=Channel.ONLINE_PLATFORM,
        platform="腾讯公益",
        campaign_id="c1",
        restricted_to=Restriction(purpose="救心行动"),
        receipt_number="R1",
        transaction_ref="T1",
    )


def refused_by_humanaid(text: str | bytes) -> bool:
    try:
        from_json(text, Donation)
    except InvalidInput:
        return True
    return False


def refuses(load: Callable[[str | bytes], Any], text: str | bytes) -> bool:
    try:
        load(text)
    except Exception:  # each library raises its own error: any refusal counts
        return True
    return False


def edited(**changes: Any) -> str:
    data = json.loads(to_json(rich_gift()))
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            data[outer][inner] = value
        else:
            data[key] = value
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# The inputs the first rivals took and humanaid refuses (issue 19), and a few more.
REFUSED = {
    "null fees": edited(fees=None),
    "an id with a soft hyphen (U+00AD)": edited(id="g\u00ad1"),
    "an id with a next line (U+0085)": edited(id="g1\u0085"),
    "a reference with a soft hyphen": edited(donor_id="d\u00ad1"),
    "a duplicate key": to_json(rich_gift()).replace('"id":"g1",', '"id":"g1","id":"g2",'),
    "a duplicate key inside money": to_json(rich_gift()).replace(
        '"amount":"30.00"', '"amount":"30.00","amount":"31.00"'
    ),
    "a blank restriction purpose": edited(**{"restricted_to.purpose": "  "}),
    "an empty restriction": edited(restricted_to={}),
    "a date as seconds since 1970": edited(received_on="1577836800"),
    "a date and time for a date": edited(received_on="2020-01-02T00:00:00"),
    "three places in yuan": edited(value={"amount": "30.001", "currency": "CNY"}),
    "an unknown currency": edited(value={"amount": "30.00", "currency": "XXX"}),
    "a blank platform": edited(platform=" "),
    "a platform with a zero-width space": edited(platform="腾讯\u200b公益"),
    "a receipt number and a reason": edited(no_receipt_reason="declined"),
    "a platform for an offline gift": edited(channel="offline"),
    "items in a cash gift": edited(form="cash"),
    "fees in another currency": edited(fees={"amount": "0.18", "currency": "USD"}),
    "no value": edited(value=None),
    "an unvalued item with a unit value": to_json(rich_gift()).replace(
        '"valuation":"invoice"', '"valuation":"unvalued"'
    ),
}


def test_humanaid_refuses_every_listed_input() -> None:
    for label, text in REFUSED.items():
        assert refused_by_humanaid(text), label


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("label", list(REFUSED))
def test_every_rival_refuses_what_humanaid_refuses(name: str, label: str) -> None:
    assert refuses(LOADERS[name], REFUSED[label])
    assert refuses(LOADERS[name], REFUSED[label].encode())


@pytest.mark.parametrize("name", NAMES)
def test_every_rival_refuses_the_hostile_corpus(name: str) -> None:
    cases = hostile_inputs(Donation, rich_gift(), channels=("json",))
    assert len(cases) > 300
    taken = [
        (case.kind, case.where)
        for case in cases
        if refused_by_humanaid(case.payload) and not refuses(LOADERS[name], case.payload)
    ]
    assert taken == []


@pytest.mark.parametrize("name", NAMES)
def test_every_rival_loads_the_benchmarks_lines_as_humanaid_does(name: str, tmp_path: Path) -> None:
    path = generate.write(tmp_path, 3000)["donations"]
    spaced = generate.write_spaced(path, tmp_path / "spaced.jsonl")
    ours = list(iter_json_lines(path, Donation))
    for source in (path, spaced):
        with source.open("rb") as f:
            theirs = [LOADERS[name](line) for line in f]
        assert len(theirs) == len(ours)
        for h, r in zip(ours, theirs, strict=True):
            assert (r.id, r.organization_id, r.received_on) == (
                h.id,
                h.organization_id,
                h.received_on,
            )
            assert (r.value.amount, r.value.currency) == (h.value.amount, h.value.currency)
            assert (r.fees.amount, r.fees.currency) == (h.fees.amount, h.fees.currency)
            assert (r.form.value, r.channel.value) == (h.form.value, h.channel.value)
            assert (r.platform, r.donor_id, r.receipt_number) == (
                h.platform,
                h.donor_id,
                h.receipt_number,
            )
            assert [(i.quantity, i.unit_value.amount) for i in r.items] == [
                (i.quantity, i.unit_value.amount) for i in h.items if i.unit_value
            ]


@pytest.mark.parametrize("name", NAMES)
def test_a_colon_inside_a_string_is_no_duplicate(name: str) -> None:
    text = edited(transaction_ref="T:1:2")
    assert LOADERS[name](text).transaction_ref == "T:1:2"


@pytest.mark.parametrize("name", NAMES)
def test_fees_left_out_are_zero_in_the_values_currency(name: str) -> None:
    data = json.loads(to_json(rich_gift()))
    del data["fees"]
    gift = LOADERS[name](json.dumps(data, ensure_ascii=False))
    assert (gift.fees.amount, gift.fees.currency) == (Decimal("0.00"), "CNY")


@settings(max_examples=60, deadline=None)
@given(
    key=st.sampled_from(["id", "donor_id", "platform", "receipt_number", "transaction_ref"]),
    text=st.text(min_size=0, max_size=12),
)
def test_a_rival_takes_a_text_or_id_exactly_when_humanaid_does(key: str, text: str) -> None:
    line = edited(**{key: text})
    expected = refused_by_humanaid(line)
    for name, load in LOADERS.items():
        assert refuses(load, line) == expected, (name, key, text)
