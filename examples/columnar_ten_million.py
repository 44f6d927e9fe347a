"""A summary of ten million donations, run by Dask over partitioned Parquet.

Writes N generated donations (ten million by default) as Parquet files partitioned by
year and organisation, built column by column with NumPy (no Python object per gift),
then runs the fundraising summary over them with Dask and again with DuckDB alone, and
shows that the two tables are the same, with the time and the peak memory each took.

Dask runs one task a year: each task is the DuckDB twin over that year's folder. The
summary is by year, so no two tasks share a row, and each task's distinct donors are
already exact: nothing is merged but whole rows. (``--dask twin`` runs
``scan(..., engine="dask")`` instead, which splits by files and so must carry the set of
donor ids of every row from task to task to count donors once: its memory grows with
the distinct donors, past 4 GB at a hundred million gifts; see ``benchmarks/README.md``.)

    python examples/columnar_ten_million.py                 # 10,000,000 gifts, ~1.2 GB of Parquet
    python examples/columnar_ten_million.py --n 100000 --keep /tmp/gifts --dask twin
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from humanaid import Donation, Table, fundraising_summary
from humanaid.interop.columnar import scan

YEARS = (2015, 2016, 2017, 2018, 2019, 2020)
ORGS = tuple(f"org-{i}" for i in range(10))
CHANNELS = ("offline", "bank_transfer", "online_platform", "wechat")
BATCH = 1_000_000


def write_donations(n: int, out: Path, seed: int = 2020) -> int:
    """Write ``n`` donations under ``out`` (``year=/organization=/part-0.parquet``); bytes."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from humanaid import Donation
    from humanaid.interop.arrow import arrow_schema

    schema = arrow_schema(Donation)
    rng = np.random.default_rng(seed)
    writers: dict[tuple[int, str], Any] = {}
    epoch = np.datetime64("1970-01-01")
    first = (np.datetime64(f"{YEARS[0]}-01-01") - epoch).astype(int)
    last = (np.datetime64(f"{YEARS[-1]}-12-31") - epoch).astype(int)
    donors = max(1, n // 8)

    def dictionary(values: Any, names: tuple[str, ...]) -> Any:
        return pa.DictionaryArray.from_arrays(pa.array(values, pa.int32()), pa.array(names))

    start = 0
    try:
        while start < n:
            size = min(BATCH, n - start)
            ids = np.arange(start, start + size)
            days = rng.integers(first, last + 1, size)
            org = rng.integers(0, len(ORGS), size)
            cents = rng.lognormal(9.0, 1.5, size).astype(np.int64) + 1
            goods = rng.random(size) < 0.03
            donor = rng.integers(0, donors, size)
            anonymous = rng.random(size) < 0.1
            channel = rng.integers(0, 2, size)  # offline and bank transfer: no platform, no fees
            text_ids = pa.array(np.char.add("g", ids.astype(str)))
            amount = pa.array([Decimal(int(c)).scaleb(-2) for c in cents], pa.decimal128(38, 4))
            zero = pa.array(np.zeros(size, np.int64)).cast(pa.decimal128(38, 4))
            items_type = schema.field("items").type
            cny = dictionary(np.zeros(size, np.int32), ("CNY",))
            columns = {
                "id": text_ids,
                "organization_id": pa.array(np.asarray(ORGS)[org]),
                "received_on": pa.array(days.astype("datetime64[D]"), pa.date32()),
                "value.amount": amount,
                "value.currency": cny,
                "donor_id": pa.array(
                    np.char.add("d", donor.astype(str)), mask=anonymous, type=pa.string()
                ),
                # goods are marked by form only (no item list): the summary reads the form
                "form": dictionary(np.zeros(size, np.int32), ("cash",)),
                "items": pa.array([[]] * size, items_type),
                "fees.amount": zero,
                "fees.currency": cny,
                "channel": dictionary(channel.astype(np.int32), CHANNELS[:2]),
                "platform": pa.nulls(size, pa.string()),
                "fund_id": pa.nulls(size, pa.string()),
                "campaign_id": pa.nulls(size, pa.string()),
                "pledge_id": pa.nulls(size, pa.string()),
                "restricted_to": pa.nulls(size, schema.field("restricted_to").type),
                "receipt_number": pa.array(np.char.add("R", ids.astype(str))),
                "no_receipt_reason": pa.nulls(size, schema.field("no_receipt_reason").type),
            }
            columns["form"] = dictionary(goods.astype(np.int32), ("cash", "in_kind"))
            # a field the generator does not fill (added to Donation later) is left empty
            batch = pa.Table.from_arrays(
                [
                    columns[f.name].cast(f.type) if f.name in columns else pa.nulls(size, f.type)
                    for f in schema
                ],
                schema=schema,
            )
            years = days.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
            for y in np.unique(years):
                for o in np.unique(org):
                    rows = np.flatnonzero((years == y) & (org == o))
                    if not len(rows):
                        continue
                    key = (int(y), ORGS[o])
                    writer = writers.get(key)
                    if writer is None:
                        folder = out / f"year={key[0]}" / f"organization={key[1]}"
                        folder.mkdir(parents=True, exist_ok=True)
                        writer = writers[key] = pq.ParquetWriter(folder / "part-0.parquet", schema)
                    writer.write_table(batch.take(rows))
            start += size
    finally:
        for w in writers.values():
            w.close()
    return sum(f.stat().st_size for f in out.rglob("*.parquet"))


def summary_a_year_a_task(data: Path) -> Table:
    """The fundraising summary by year and channel, one Dask task (a DuckDB query) a year.

    Rows of different years never meet, so each task's figures are final (its distinct
    donors exact) and the tables are joined in year order, as the summary orders them.
    """
    import dask

    years = sorted(p for p in data.iterdir() if p.name.startswith("year="))
    tasks = [
        dask.delayed(fundraising_summary)(scan(year, Donation), by="channel", granularity="year")
        for year in years
    ]
    tables = dask.compute(*tasks)
    rows = itertools.chain.from_iterable(t.rows for t in tables)
    return attrs.evolve(tables[0], rows=tuple(rows))


def peak_rss() -> int:
    """This process's peak resident memory, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument(
        "--dask",
        choices=("by-year", "twin"),
        default="by-year",
        help="a task a year (exact per task), or scan(engine='dask') (sets merged)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.keep or Path(tmp) / "gifts"
        data.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        size = write_donations(args.n, data)
        files = len(list(data.rglob("*.parquet")))
        print(
            f"{args.n:,} donations in {files} Parquet files, {size / 2**20:,.1f} MiB, "
            f"written in {time.perf_counter() - began:.1f} s"
        )
        tables = {}
        for engine in ("dask", "duckdb"):
            began = time.perf_counter()
            if engine == "dask" and args.dask == "by-year":
                tables[engine] = summary_a_year_a_task(data)
            else:
                tables[engine] = fundraising_summary(
                    scan(data, Donation, engine=engine), by="channel", granularity="year"
                )
            print(f"{engine}: {time.perf_counter() - began:.1f} s")
        print(tables["dask"].with_format(money_unit="亿元" if args.n >= 10_000_000 else "万元"))
        print("the Dask and DuckDB tables are the same:", tables["dask"] == tables["duckdb"])
        print(f"peak memory of this process: {peak_rss() / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
