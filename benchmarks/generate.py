"""A deterministic generator of donations, donors, funds and flows, written as JSON Lines.

The same ``n`` and ``seed`` always give the same bytes, on any machine: every choice comes
from one ``random.Random(seed)`` and the lines are written as ``humanaid.to_json`` writes
them (compact, keys in field order, every field present), so that the benchmark compares
libraries on exactly the text humanaid itself produces.

Run it on its own to write the files::

    python benchmarks/generate.py --n 100000 --out /tmp/humanaid-bench
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SEED = 20201231
FIRST_DAY = date(2015, 1, 1)
DAYS = (date(2020, 12, 31) - FIRST_DAY).days + 1
ORGANIZATIONS = ("qujing-rc", "qilin-rc", "huize-rc", "fuyuan-rc", "shizong-rc")
PLATFORMS = ("轻松筹", "腾讯公益", "支付宝公益")
CAMPAIGNS = 50
SPECIAL_FUNDS = 5

_KINDS = (
    ("individual", 800),
    ("enterprise", 100),
    ("social_group", 50),
    ("foundation", 20),
    ("government", 20),
    ("red_cross_society", 10),
)
_CHANNELS = (
    ("offline", 30),
    ("bank_transfer", 30),
    ("online_platform", 35),
    ("via_special_fund", 5),
)


def _weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in table)
    x = rng.randrange(total)
    for value, weight in table:
        if x < weight:
            return value
        x -= weight
    raise AssertionError("unreachable")


def _money(units: int) -> dict[str, str]:
    return {"amount": f"{units // 100}.{units % 100:02d}", "currency": "CNY"}


def _day(rng: random.Random) -> str:
    return (FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat()


def donor_count(n: int) -> int:
    """How many donors the ``n`` donations come from (one donor per eight gifts)."""
    return max(10, n // 8)


def donors(n: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """The donors of ``n`` donations, as humanaid's ``to_dict`` writes them."""
    rng = random.Random(seed + 1)
    for i in range(donor_count(n)):
        kind = _weighted(rng, _KINDS)
        person = kind == "individual"
        yield {
            "id": f"donor-{i:07d}",
            "kind": kind,
            "name": f"捐赠人{i:07d}" if person else f"单位{i:07d}",
            "public_name": None if person and rng.random() < 0.9 else f"爱心{kind}{i}",
            "phone": f"138{i:08d}" if person else None,
            "email": None,
            "address": None,
            "organization_id": None,
            "registered_on": None if person else _day(rng),
        }


def funds(seed: int = SEED) -> Iterator[dict[str, Any]]:
    """The societies' general funds and a few special funds."""
    del seed
    for org in ORGANIZATIONS:
        yield {
            "id": f"{org}-general",
            "name": f"{org} general fund",
            "kind": "general",
            "organization_id": org,
            "sponsor_id": None,
            "project_ids": [],
            "purposes": [],
            "opened_on": "2015-01-01",
        }
    for i in range(SPECIAL_FUNDS):
        yield {
            "id": f"special-{i}",
            "name": f"专项基金 {i}",
            "kind": "special",
            "organization_id": ORGANIZATIONS[0],
            "sponsor_id": f"sponsor-{i}",
            "project_ids": [],
            "purposes": ["medical"],
            "opened_on": "2016-06-01",
        }


def donations(n: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """``n`` donations: cash and goods, four channels, a tenth anonymous, some in campaigns."""
    rng = random.Random(seed)
    n_donors = donor_count(n)
    for i in range(n):
        channel = _weighted(rng, _CHANNELS)
        anonymous = rng.random() < 0.1
        # amounts from 1 yuan to 100,000 yuan, most of them small
        units = int(100 * 10 ** (rng.random() * 5)) + rng.randrange(100)
        in_kind = rng.random() < 0.03
        items: list[dict[str, Any]] = []
        if in_kind:
            quantity = rng.randrange(1, 500)
            unit_units = rng.randrange(100, 20000)
            units = quantity * unit_units
            items = [
                {
                    "description": "大米 25kg 袋",
                    "quantity": str(quantity),
                    "unit": "袋",
                    "unit_value": _money(unit_units),
                    "valuation": "invoice",
                }
            ]
        fees = units * 6 // 1000 if channel == "online_platform" else 0
        receipt = not anonymous and rng.random() < 0.7
        yield {
            "id": f"g{i:08d}",
            "organization_id": ORGANIZATIONS[rng.randrange(len(ORGANIZATIONS))],
            "received_on": _day(rng),
            "value": _money(units),
            "donor_id": None if anonymous else f"donor-{rng.randrange(n_donors):07d}",
            "form": "in_kind" if in_kind else "cash",
            "items": items,
            "fees": _money(fees),
            "channel": channel,
            "platform": PLATFORMS[i % 3] if channel == "online_platform" else None,
            "fund_id": f"special-{i % SPECIAL_FUNDS}" if channel == "via_special_fund" else None,
            "campaign_id": f"campaign-{rng.randrange(CAMPAIGNS):02d}"
            if rng.random() < 0.2
            else None,
            "pledge_id": None,
            "restricted_to": {"fund_id": None, "project_id": None, "purpose": "救心行动"}
            if rng.random() < 0.05
            else None,
            "receipt_number": f"R{i:08d}" if receipt else None,
            "no_receipt_reason": None
            if receipt
            else ("anonymous" if anonymous else "not_requested"),
            "transaction_ref": None,
        }


def flows(n: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """Grants in, allocations between funds and disbursements out: one per ten donations."""
    rng = random.Random(seed + 2)
    for i in range(max(10, n // 10)):
        org = ORGANIZATIONS[rng.randrange(len(ORGANIZATIONS))]
        fund = {"kind": "fund", "id": f"{org}-general"}
        what = rng.randrange(3)
        if what == 0:
            source, destination, kind = {"kind": "organization", "id": "yunnan-rc"}, fund, "grant"
        elif what == 1:
            other = {"kind": "fund", "id": f"{ORGANIZATIONS[0]}-general"}
            if other == fund:
                other = {"kind": "fund", "id": f"{ORGANIZATIONS[1]}-general"}
            source, destination, kind = other, fund, "allocation"
        else:
            source = fund
            destination = {"kind": "household", "id": f"h{rng.randrange(10**6):07d}"}
            kind = "disbursement"
        yield {
            "id": f"f{i:08d}",
            "source": source,
            "destination": destination,
            "amount": _money(rng.randrange(10_000, 10_000_000)),
            "on": _day(rng),
            "kind": kind,
            "in_kind": False,
            "origin": None,
            "parent_id": None,
            "purpose": None,
            "note": "",
            "transaction_ref": None,
        }


def dumps(record: dict[str, Any]) -> str:
    """One line, written exactly as ``humanaid.to_json`` writes it."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def write(out: Path, n: int, seed: int = SEED) -> dict[str, Path]:
    """Write ``donations``, ``donors``, ``funds`` and ``flows`` ``.jsonl`` files into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    sources = {
        "donations": donations(n, seed),
        "donors": donors(n, seed),
        "funds": funds(seed),
        "flows": flows(n, seed),
    }
    paths = {}
    for name, records in sources.items():
        path = out / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as f:
            for record in records:
                f.write(dumps(record))
                f.write("\n")
        paths[name] = path
    return paths


def write_spaced(source: Path, target: Path) -> Path:
    """Rewrite a JSON Lines file with ordinary spacing (``json.dumps``' default separators).

    The same records and keys in the same order, with a space after each ``,`` and
    ``:``, as most JSON writers other than ``to_json`` write them.
    """
    with source.open(encoding="utf-8") as f, target.open("w", encoding="utf-8") as out:
        for line in f:
            out.write(json.dumps(json.loads(line), ensure_ascii=False))
            out.write("\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="donations to write")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, required=True, help="directory to write into")
    args = parser.parse_args()
    for name, path in write(args.out, args.n, args.seed).items():
        print(f"{name}: {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
