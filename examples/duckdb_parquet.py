"""The fundraising summary in DuckDB, from a Parquet file written through Arrow.

Data beyond one machine's memory leaves humanaid through Arrow: records become an Arrow
table with exact money (decimal128 amounts and their currency) and the table becomes a
Parquet file, which DuckDB (or Polars, Spark, Dask) reads without Python objects. This
script writes the donations and donors of ``fundraising_tables.py`` to Parquet, runs the
fundraising summary (raised, goods, fees, gifts and distinct donors by donor kind and
channel) as SQL, and checks that every figure equals the one humanaid computes.

Needs the ``arrow`` extra and DuckDB (both in the ``bench`` extra).

    .venv/bin/python examples/duckdb_parquet.py [OUTPUT_DIR]   # default: a temporary one
"""

from __future__ import annotations

import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from fundraising_tables import YEAR, build_dataset

from humanaid import Donation, Donor, fundraising_summary
from humanaid.interop.arrow import to_arrow

SQL = """
SELECT d.kind                                                  AS kind,
       g.channel                                               AS channel,
       SUM(g."value.amount")                                   AS raised,
       COALESCE(SUM(g."value.amount") FILTER (WHERE g.form = 'in_kind'), 0) AS in_kind,
       SUM(g."fees.amount")                                    AS fees,
       COUNT(*)                                                AS gifts,
       COUNT(DISTINCT g.donor_id)                              AS donors
FROM read_parquet(?) AS g
LEFT JOIN read_parquet(?) AS d ON d.id = g.donor_id
WHERE g.received_on BETWEEN ? AND ? AND g."value.currency" = 'CNY'
GROUP BY ALL
ORDER BY ALL
"""


def main() -> None:
    tmp = tempfile.TemporaryDirectory(prefix="humanaid-duckdb-")
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp.name)
    out.mkdir(parents=True, exist_ok=True)
    data = build_dataset()

    gifts_file, donors_file = out / "donations.parquet", out / "donors.parquet"
    gifts = to_arrow(data.donations, Donation)
    pq.write_table(gifts, gifts_file)
    pq.write_table(to_arrow(data.donors, Donor), donors_file)
    print(f"wrote {gifts.num_rows} donations ({gifts_file.stat().st_size:,} bytes of Parquet)")
    print(f"money travels as {gifts.schema.field('value.amount').type}, not as a float")

    rows = duckdb.sql(
        SQL, params=[str(gifts_file), str(donors_file), YEAR.start, YEAR.end]
    ).fetchall()
    in_sql = {
        (kind, channel): (raised, in_kind, fees, gifts, donors)
        for kind, channel, raised, in_kind, fees, gifts, donors in rows
    }

    table = fundraising_summary(data, YEAR, by=("donor_kind", "channel"))
    in_python = {
        (None if r["donor kind"] is None else r["donor kind"].value, r["channel"].value): (
            r["raised"].amount,
            r["in kind"].amount,
            r["fees"].amount,
            r["gifts"],
            r["donors"],
        )
        for r in table
    }
    assert set(in_sql) == set(in_python), (sorted(in_sql, key=str), sorted(in_python, key=str))
    for key, figures in in_python.items():
        # Decimal equality is by value: 12.5000 from decimal128(38, 4) equals 12.50.
        assert all(Decimal(a) == Decimal(b) for a, b in zip(in_sql[key], figures, strict=True)), (
            key,
            in_sql[key],
            figures,
        )
    print(table)  # in 万元 to two decimals, as a report prints it
    total = sum((r[2] for r in rows), Decimal(0))
    print(f"DuckDB and humanaid agree on all {len(rows)} groups; raised {total:.2f} yuan in all")
    tmp.cleanup()


if __name__ == "__main__":
    main()
