"""Very large datasets of donations as partitioned Parquet, built column by column.

Writes N generated donations with exactly the schema ``arrow_schema(Donation)`` gives,
into the layout :func:`humanaid.interop.columnar.write_parquet_dataset` writes
(``year=2020/organization=org-1/part-0.parquet``, one file a partition, Hive-style
folders), a batch of rows at a time: every column is made with NumPy and pyarrow, never
a Python object a record, so a hundred million rows take minutes and a few hundred MiB.

What the records look like (all valid ``Donation`` records, all in CNY):

* five organisations of unequal size; gifts from 2015 to 2024, more each year;
* four channels: online platforms (about 60 %, on four platforms, with a 0.6 % platform
  fee, a twentieth of them on the 99 Giving Day, 7-9 September), bank transfers (20 %),
  gifts in person (15 %) and gifts through a special fund (5 %, with the fund's id);
* a twentieth as many donors as gifts by default: a twentieth of them regular givers
  who make half of all gifts (about 200 each), the rest a few each; about 12 % of gifts
  anonymous (more online than offline);
* amounts: online gifts small and often round (10, 20, 50, 100 元), bank transfers and
  gifts in person larger (log-normal), to the fen;
* goods (in kind, 2 %): one item each, a quantity of a unit at an invoice or fair value,
  the gift's value their exact product;
* a third of gifts answer one of the organisation's campaigns of the year, a tenth are
  restricted (to a purpose or a fund); receipts for known donors (a number), a reason
  for none otherwise; online and bank gifts carry their transaction number.

The same ``--seed`` and ``--n`` give the same files (each batch has its own generator
seeded from the seed and the batch's number).

    .venv/bin/python benchmarks/generate_parquet.py --n 100000000 --out /tmp/gifts100m
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from humanaid import Donation
from humanaid.interop.arrow import arrow_schema

YEARS = tuple(range(2015, 2025))
YEAR_WEIGHTS = np.linspace(1.0, 2.8, len(YEARS))  # giving grows year on year
ORGS = ("org-0", "org-1", "org-2", "org-3", "org-4")
ORG_WEIGHTS = (0.40, 0.25, 0.15, 0.12, 0.08)
CHANNELS = ("online_platform", "bank_transfer", "offline", "via_special_fund")
CHANNEL_WEIGHTS = (0.60, 0.20, 0.15, 0.05)
PLATFORMS = ("腾讯公益", "支付宝公益", "轻松筹", "水滴筹")
PLATFORM_WEIGHTS = (0.50, 0.30, 0.12, 0.08)
ROUND_AMOUNTS = np.array([1_000, 2_000, 5_000, 10_000, 20_000], np.int64)  # in fen
GOODS = (("大米", "袋"), ("棉被", "床"), ("食用油", "桶"), ("口罩", "箱"), ("课桌", "张"))
PURPOSES = ("救心行动", "助学", "抗洪救灾", "乡村振兴")
CAMPAIGNS_A_YEAR = 4
SPECIAL_FUNDS = 12
PLATFORM_FEE = 60  # in ten-thousandths: 0.6 %
BATCH = 2_000_000
_NULL_TEXT = pa.scalar(None, pa.string())


def _text(prefix: str, numbers: Any) -> Any:
    """``prefix`` + each number, as an Arrow string array (no Python string a row)."""
    return pc.binary_join_element_wise(prefix, pa.array(numbers).cast(pa.string()), "")


def _money(fen: Any) -> Any:
    """Amounts in fen as the schema's ``decimal128(38, 4)`` (the raw 128-bit integers)."""
    raw = np.zeros((len(fen), 2), np.int64)
    raw[:, 0] = np.asarray(fen, np.int64) * 100  # scale 4: a fen is 100 units
    return pa.Array.from_buffers(pa.decimal128(38, 4), len(fen), [None, pa.py_buffer(raw)])


def _picked(codes: Any, names: tuple[str, ...], mask: Any = None) -> Any:
    """Names by their codes, as a dictionary array (null where ``mask``)."""
    indices = pa.array(np.asarray(codes, np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(names, pa.string()))


def batch(start: int, size: int, *, seed: int, donors: int) -> tuple[pa.Table, Any]:
    """Donations ``start`` to ``start + size``, and each row's partition number."""
    schema = arrow_schema(Donation)
    rng = np.random.default_rng([seed, start])
    ids = np.arange(start, start + size, dtype=np.int64)

    org = rng.choice(len(ORGS), size, p=ORG_WEIGHTS)
    year = rng.choice(len(YEARS), size, p=YEAR_WEIGHTS / YEAR_WEIGHTS.sum())
    first = np.array([np.datetime64(f"{y}-01-01") for y in YEARS], "datetime64[D]")
    length = np.array([366 if y % 4 == 0 else 365 for y in YEARS])
    day = rng.integers(0, length[year])
    channel = rng.choice(len(CHANNELS), size, p=CHANNEL_WEIGHTS)
    online = channel == 0
    bank, via_fund = channel == 1, channel == 3
    giving_day = online & (rng.random(size) < 0.05)  # 99公益日: 7-9 September
    day = np.where(giving_day, 249 + (length[year] == 366) + rng.integers(0, 3, size), day)
    received = first[year] + day.astype("timedelta64[D]")

    # amounts in fen: online small and often round, the others larger
    fen = np.where(
        online,
        np.where(
            rng.random(size) < 0.5,
            ROUND_AMOUNTS[rng.integers(0, len(ROUND_AMOUNTS), size)],
            (rng.lognormal(8.0, 1.0, size)).astype(np.int64),
        ),
        (rng.lognormal(10.5, 1.6, size)).astype(np.int64),
    )
    fen = np.maximum(fen, 1)
    fees = np.where(online, fen * PLATFORM_FEE // 10_000, 0)

    # goods: offline and bank gifts only, one item each, value = quantity x unit value
    goods = ~online & ~via_fund & (rng.random(size) < 0.06)
    quantity = rng.integers(1, 60, size)
    unit_fen = rng.integers(500, 20_000, size)
    fen = np.where(goods, quantity * unit_fen, fen)
    fees = np.where(goods, 0, fees)

    # donors: half the gifts from a twentieth of them (regular givers), anonymous gifts
    regular = max(1, donors // 20)
    donor = np.where(
        rng.random(size) < 0.5, rng.integers(0, regular, size), rng.integers(0, donors, size)
    )
    anonymous = rng.random(size) < np.where(online, 0.16, 0.05)

    campaign = rng.random(size) < 0.33
    campaign_code = (org * len(YEARS) + year) * CAMPAIGNS_A_YEAR + rng.integers(
        0, CAMPAIGNS_A_YEAR, size
    )
    campaign_names = tuple(
        f"camp-{o}-{y}-{k}"
        for o in range(len(ORGS))
        for y in YEARS
        for k in range(CAMPAIGNS_A_YEAR)
    )
    fund = rng.integers(0, SPECIAL_FUNDS, size)
    restricted = rng.random(size) < 0.10
    to_fund = restricted & (rng.random(size) < 0.3)

    # receipts: a number for known donors (online: a third of them ask), else a reason
    receipt = ~anonymous & (~online | (rng.random(size) < 0.33))
    reason = np.where(anonymous, 0, np.where(online, 2, 3))  # anonymous, not_requested, pending
    reason_names = ("anonymous", "declined", "not_requested", "pending")

    n_goods = int(goods.sum())
    item_rows = np.flatnonzero(goods)
    kind = rng.integers(0, len(GOODS), n_goods)
    item_type = schema.field("items").type.value_type
    items_struct = pa.StructArray.from_arrays(
        [
            _picked(kind, tuple(g for g, _ in GOODS)).cast(pa.string()),
            pa.array(quantity[item_rows]).cast(pa.decimal128(38, 18)),
            _picked(kind, tuple(u for _, u in GOODS)).cast(pa.string()),
            pa.StructArray.from_arrays(
                [_money(unit_fen[item_rows]), _picked(np.zeros(n_goods), ("CNY",))],
                fields=list(item_type.field("unit_value").type),
            ),
            _picked(rng.integers(0, 2, n_goods), ("invoice", "fair_value")),
        ],
        fields=list(item_type),
    )
    offsets = np.concatenate([[0], np.cumsum(goods)]).astype(np.int32)
    items = pa.ListArray.from_arrays(pa.array(offsets), items_struct)

    cny = _picked(np.zeros(size), ("CNY",))
    columns = {
        "id": _text("g", ids),
        "organization_id": _picked(org, ORGS).cast(pa.string()),
        "received_on": pa.array(received, pa.date32()),
        "value.amount": _money(fen),
        "value.currency": cny,
        "donor_id": pc.if_else(pa.array(anonymous), _NULL_TEXT, _text("d", donor)),
        "form": _picked(goods, ("cash", "in_kind")),
        "items": items,
        "fees.amount": _money(fees),
        "fees.currency": cny,
        "channel": _picked(channel, CHANNELS),
        "platform": _picked(
            rng.choice(len(PLATFORMS), size, p=PLATFORM_WEIGHTS), PLATFORMS, ~online
        ).cast(pa.string()),
        "fund_id": _picked(fund, tuple(f"fund-{k}" for k in range(SPECIAL_FUNDS)), ~via_fund).cast(
            pa.string()
        ),
        "campaign_id": _picked(campaign_code, campaign_names, ~campaign).cast(pa.string()),
        "pledge_id": pa.nulls(size, pa.string()),
        "restricted_to": pa.StructArray.from_arrays(
            [
                _picked(fund, tuple(f"fund-{k}" for k in range(SPECIAL_FUNDS)), ~to_fund).cast(
                    pa.string()
                ),
                pa.nulls(size, pa.string()),
                _picked(rng.integers(0, len(PURPOSES), size), PURPOSES, to_fund).cast(pa.string()),
            ],
            fields=list(schema.field("restricted_to").type),
            mask=pa.array(~restricted),
        ),
        "receipt_number": pc.if_else(pa.array(receipt), _text("R", ids), _NULL_TEXT),
        "no_receipt_reason": _picked(reason, reason_names, receipt),
        "transaction_ref": pc.if_else(pa.array(online | bank), _text("tx", ids), _NULL_TEXT),
    }
    arrays = []
    for field in schema:
        column = columns[field.name] if field.name in columns else pa.nulls(size, field.type)
        arrays.append(column if column.type == field.type else column.cast(field.type))
    table = pa.Table.from_arrays(arrays, schema=schema)
    years = np.asarray(YEARS)[year]
    return table, (years - YEARS[0]) * len(ORGS) + org


DONOR_KINDS = ("individual", "enterprise", "foundation", "social_group", "government", "anonymous")
DONOR_KIND_SHARES = (0.90, 0.05, 0.02, 0.02, 0.005, 0.005)


def donor_kinds(numbers: Any) -> Any:
    """The kind of each donor by number (``d<number>``), in :data:`DONOR_KIND_SHARES`."""
    spread = (np.asarray(numbers, np.uint64) * np.uint64(2_654_435_761)) % np.uint64(1000)
    bounds = np.cumsum(np.asarray(DONOR_KIND_SHARES) * 1000).astype(np.uint64)
    return _picked(np.searchsorted(bounds, spread, side="right"), DONOR_KINDS)


def write(
    n: int,
    out: Path,
    *,
    seed: int = 19,
    donors: int | None = None,
    batch_size: int = BATCH,
) -> list[Path]:
    """Write ``n`` donations under ``out``, a batch at a time; the files written."""
    donors = max(1, n // 20) if donors is None else donors
    schema = arrow_schema(Donation)
    writers: dict[int, Any] = {}
    try:
        for start in range(0, n, batch_size):
            size = min(batch_size, n - start)
            table, part = batch(start, size, seed=seed, donors=donors)
            order = np.argsort(part, kind="stable")
            table = table.take(pa.array(order))
            sorted_part = part[order]
            bounds = np.flatnonzero(np.diff(sorted_part)) + 1
            for lo, hi in zip(
                np.concatenate([[0], bounds]), np.concatenate([bounds, [size]]), strict=True
            ):
                key = int(sorted_part[lo])
                writer = writers.get(key)
                if writer is None:
                    year, org = YEARS[key // len(ORGS)], ORGS[key % len(ORGS)]
                    folder = out / f"year={year}" / f"organization={org}"
                    folder.mkdir(parents=True, exist_ok=True)
                    writer = writers[key] = pq.ParquetWriter(folder / "part-0.parquet", schema)
                writer.write_table(table.slice(lo, hi - lo))
    finally:
        for writer in writers.values():
            writer.close()
    return sorted(out.rglob("*.parquet"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="how many donations")
    parser.add_argument("--out", type=Path, required=True, help="the directory to write")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--donors", type=int, help="how many donors (default: n / 20)")
    args = parser.parse_args()
    began, cpu = time.perf_counter(), time.process_time()
    files = write(args.n, args.out, seed=args.seed, donors=args.donors)
    size = sum(f.stat().st_size for f in files)
    print(
        f"{args.n:,} donations in {len(files)} Parquet files, {size:,} bytes "
        f"({size / 2**30:,.2f} GiB), written in {time.perf_counter() - began:.1f} s "
        f"({time.process_time() - cpu:.1f} s CPU)"
    )


if __name__ == "__main__":
    main()
