"""humanaid in two minutes: exact money, periods, a checked dataset, strict JSON.

Run it with:  python examples/quickstart.py
"""

from __future__ import annotations

from datetime import date

import attrs

from humanaid import (
    Dataset,
    InvalidInput,
    Money,
    Period,
    collection,
    date_field,
    from_json,
    id_field,
    money_field,
    positive,
    ref_field,
    to_json,
)

# -- 1. Money, as the Qujing report writes it ----------------------------------------------
print("== Money ==")
put_in = Money.parse("4189万元")  # money put into poor areas, 2015-2020
brought_in = Money.parse("2308万元")  # money brought in from outside
relief_2020 = Money.parse("989.32万元")  # 2020 relief drive, goods
# places="auto": as report prose prints 万元, whole or else to two decimals
wan = {"unit": "万元", "places": "auto"}
print(f"put in {put_in.format(**wan)}, brought in {brought_in.format(**wan)}")
print(f"relief 2020 = {relief_2020.format(grouping=True)}")
share = brought_in / put_in
print(f"brought in / put in = {share:.4f}")

# Three funders share a 690万元 batch; the parts always add up to the fen.
batch = Money.parse("690万元")
parts = batch.allocate([5, 3, 2])
print("co-financing 5:3:2 ->", ", ".join(p.format(**wan) for p in parts))
assert sum(parts, Money.zero()) == batch

# -- 2. Periods ------------------------------------------------------------------------------
print("\n== Periods ==")
year = Period.year(2020)
print(year, "has", year.days, "days in", len(year.quarters()), "quarters")


# -- 3. A dataset of your own records, checked -------------------------------------------------
@attrs.frozen(kw_only=True)
class Station:
    """A Red Cross service station; it may sit under another station."""

    id: str = id_field()
    parent_id: str | None = ref_field("stations", optional=True)


@attrs.frozen(kw_only=True)
class Grant:
    """Money granted to a station on a day."""

    id: str = id_field()
    station_id: str = ref_field("stations")
    granted_on: date = date_field()
    value: Money = money_field(validator=positive)


@attrs.frozen(kw_only=True)
class StationData(Dataset):
    """The stations of a county society and their grants."""

    stations: tuple[Station, ...] = collection(Station)
    grants: tuple[Grant, ...] = collection(Grant)


data = StationData(
    name="county society 2020",
    stations=(
        Station(id="county"),
        Station(id="town-1", parent_id="county"),
        Station(id="village-7", parent_id="town-9"),  # town-9 does not exist
    ),
    grants=(
        Grant(id="g1", station_id="town-1", granted_on=date(2020, 3, 1), value=Money("50000")),
        Grant(id="g1", station_id="county", granted_on=date(2020, 4, 1), value=Money("8000")),
    ),
)
print("\n== Dataset ==")
print(data)
print(data.validate())

# -- 4. Strict JSON: every problem, with its path ----------------------------------------------
print("\n== JSON ==")
text = to_json(data)
assert from_json(text, StationData) == data
print(f"round trip of {len(text)} characters: equal")
bad = (
    '{"name": "x", "stations": [{"id": "s1"}], "grants": [{"id": "g1", "station_id": "s1",'
    ' "granted_on": "2023-02-29", "value": {"amount": 100.5, "currency": "CNY"}, "by": "me"}]}'
)
try:
    from_json(bad, StationData)
except InvalidInput as err:
    print(err)
