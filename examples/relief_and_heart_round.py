"""Who was helped: a relief drive and a heart-surgery round, counted honestly.

The Qujing report says its 2020 博爱送万家 relief drive handed out goods worth 989.32万元
to 6,309 households with 22,400 people, and that its 救心行动 heart programme screened
children, operated and paid. This example builds both as records, then:

* counts who was reached in three units: person-times, persons and households;
* follows one heart-surgery round through its funnel, screened > positive > approved >
  treated > paid, with amounts and conversion rates;
* lets the rules find the planted duplicates and double benefits;
* hands an analyst a redacted copy and publishes a table with small cells suppressed.

Run it with:  python examples/relief_and_heart_round.py
"""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta

from humanaid import (
    AdminArea,
    AdminLevel,
    Case,
    CaseKind,
    CaseStatus,
    Condition,
    Dataset,
    Distribution,
    Findings,
    Household,
    HouseholdFlag,
    InKindItem,
    Money,
    Organization,
    OrgKind,
    OrgLevel,
    Person,
    Program,
    Screening,
    ScreeningOutcome,
    ValuationBasis,
    funnel,
    reach,
    redact,
    resident_id_check_char,
    suppress_small_cells,
    to_json,
)

rng = random.Random(2020)  # the same data on every run

COUNTIES = {
    "530302": "麒麟区",
    "530303": "沾益区",
    "530304": "马龙区",
    "530322": "陆良县",
    "530323": "师宗县",
    "530324": "罗平县",
    "530325": "富源县",
    "530326": "会泽县",
    "530381": "宣威市",
}
areas = [AdminArea(id="530300", name="曲靖市", level=AdminLevel.PREFECTURE)] + [
    AdminArea(id=code, name=name, level=AdminLevel.COUNTY, parent_id="530300")
    for code, name in COUNTIES.items()
]
hospital = Organization(id="fuwai-yunnan", name="云南省阜外心血管病医院", kind=OrgKind.HOSPITAL)
# The society runs both programmes, so the handouts and the operations are its money put in:
# the ledger derives a flow for each from the programme's organisation (docs: events).
society = Organization(
    id="qujing-rc", name="曲靖市红十字会", kind=OrgKind.RED_CROSS_SOCIETY, level=OrgLevel.CITY
)
programs = (
    Program(id="boai-2020", name="博爱送万家 2020", organization_id=society.id),
    Program(id="heart-2020", name="先心病救助 2020", organization_id=society.id),
)

# -- 1. The relief drive: 6,309 households, 22,400 persons, two rounds ---------------------------
# The members of these households are not listed one by one: each household knows its size.
# 3,473 households of four and 2,836 of three make 22,400 persons.
sizes = [4] * 3473 + [3] * 2836
rng.shuffle(sizes)
codes = list(COUNTIES)
flag_choices = [
    frozenset({HouseholdFlag.REGISTERED_POOR}),
    frozenset({HouseholdFlag.MINIMUM_LIVING_ALLOWANCE}),
    frozenset({HouseholdFlag.DISASTER_AFFECTED}),
    frozenset({HouseholdFlag.REGISTERED_POOR, HouseholdFlag.DISABILITY}),
]
homes = [
    Household(
        id=f"h{i:05d}",
        members=size,
        area_id=codes[i % len(codes)],
        flags=flag_choices[i % len(flag_choices)],
    )
    for i, size in enumerate(sizes)
]

# Round 1 before the Spring Festival reaches 4,000 households, round 2 the other 2,309; by
# mistake household h00017 is reached again in round 2. The goods of all 6,310 handouts are
# worth exactly 989.32万元: Money.split gives parts that add up to the fen.
recipients = [(h, 1) for h in homes[:4000]] + [(h, 2) for h in homes[4000:]] + [(homes[17], 2)]
packs = Money.parse("989.32万元").split(len(recipients))
handouts = []
for n, ((home, round_), value) in enumerate(zip(recipients, packs, strict=True)):
    day = date(2020, 1, 10) if round_ == 1 else date(2020, 9, 25)
    pack = InKindItem(
        description="米面油被褥礼包",
        quantity=1,
        unit="份",
        unit_value=value,
        valuation=ValuationBasis.FAIR_VALUE,
    )
    handouts.append(
        Distribution.in_kind(
            id=f"boai-{n:05d}",
            household_id=home.id,
            on=day,
            round=round_,
            program_id="boai-2020",
            items=(pack,),
        )
    )

# -- 2. A heart-surgery round: screen, select, operate, pay ---------------------------------------
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "明丽强敏静杰娟涛超兰霞平刚华建红玉梅琴云飞鹏辉婷雪晶欣宇浩然"


def resident_id(county: str, born: date, order: int) -> str:
    first17 = f"{county}{born:%Y%m%d}{order:03d}"
    return first17 + resident_id_check_char(first17)


children: list[Person] = []
families: list[Household] = []
for i in range(2000):
    county = rng.choice(["530302", "530326", "530381", "530322"])
    born = date(2008, 1, 1) + timedelta(days=rng.randrange(12 * 365))
    if i % 10 == 9:  # a younger sibling: same family as the child before
        family = families[-1]
    else:
        family = Household(id=f"f{i:04d}", members=rng.choice([3, 4, 5]), area_id=county)
        families.append(family)
    children.append(
        Person(
            id=f"c{i:04d}",
            name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            id_number=resident_id(county, born, rng.randrange(1000)),
            household_id=family.id,
            area_id=family.area_id,
            phone=f"13{rng.randrange(10**9):09d}",
        )
    )
# One child was registered twice, by another village doctor, without the ID number and
# with a space in the name.
twin_of = children[123]
assert twin_of.name is not None
children.append(
    Person(
        id="c9999",
        name=twin_of.name[0] + " " + twin_of.name[1:],
        birth_date=twin_of.born_on,
        area_id=twin_of.area_id,
    )
)

screenings: list[Screening] = []
day = date(2020, 5, 11)
for i, child in enumerate(children[:2000]):
    positive = i % 25 == 0
    outcome = ScreeningOutcome.POSITIVE if positive else ScreeningOutcome.NEGATIVE
    screenings.append(
        Screening(
            id=f"s{i:04d}",
            person_id=child.id,
            program_id="heart-2020",
            on=day + timedelta(days=i % 20),
            outcome=outcome,
            site_id=hospital.id,
        )
    )
    if i % 13 == 0:  # unclear the first time: screened again a week later
        screenings.append(
            Screening(
                id=f"s{i:04d}b",
                person_id=child.id,
                program_id="heart-2020",
                on=day + timedelta(days=i % 20 + 7),
                outcome=ScreeningOutcome.REFERRED if positive else ScreeningOutcome.NEGATIVE,
                site_id=hospital.id,
            )
        )

cases: list[Case] = []
positives = [s.person_id for s in screenings if s.outcome is ScreeningOutcome.POSITIVE]
for n, person_id in enumerate(positives):
    start = date(2020, 6, 1) + timedelta(days=n % 10)
    case = Case.refer(
        id=f"heart-{n:03d}",
        kind=CaseKind.MEDICAL,
        person_id=person_id,
        condition=Condition.CONGENITAL_HEART_DISEASE,
        program_id="heart-2020",
        hospital_id=hospital.id,
        on=start,
    )
    case = case.advance(CaseStatus.SCREENED, on=start + timedelta(days=3))
    case = case.advance(CaseStatus.ASSESSED, on=start + timedelta(days=10))
    if n % 16 == 15:  # not eligible: another programme pays
        cases.append(case.advance(CaseStatus.REJECTED, on=start + timedelta(days=12)))
        continue
    approved = Money(18000)
    case = case.advance(CaseStatus.APPROVED, on=start + timedelta(days=12), approved=approved)
    if n % 25 == 24:  # the family moved away
        cases.append(case.advance(CaseStatus.WITHDRAWN, on=start + timedelta(days=30)))
        continue
    case = case.advance(CaseStatus.IN_TREATMENT, on=start + timedelta(days=40))
    bill = approved - Money(rng.randrange(0, 60000), "CNY") / 100
    if n == 7:
        bill = Money("19250.00")  # complications: paid over the approved amount
    case = case.advance(CaseStatus.SERVED, on=start + timedelta(days=52), paid=bill)
    cases.append(case.advance(CaseStatus.CLOSED, on=start + timedelta(days=80)))

data = Dataset(
    name="曲靖市红十字会 2020",
    admin_areas=tuple(areas),
    organizations=(society, hospital),
    programs=programs,
    households=(*homes, *families),
    persons=tuple(children),
    screenings=tuple(screenings),
    cases=tuple(cases),
    distributions=tuple(handouts),
)
print(data)

# -- 3. Reach, three ways -------------------------------------------------------------------------
print("\n== Reach ==")
relief = reach(data, program_id="boai-2020")
print(f"博爱送万家 2020: {relief}")
given = sum((d.value for d in handouts), Money.zero())
print(f"goods handed out: {given.format(unit='万元', places='auto')}")
heart = reach(data, program_id="heart-2020")
print(f"救心行动 2020 screening and care: {heart}")
huize = reach(data, program_id="boai-2020", area_ids={"530326"})
print(f"博爱送万家 2020 in 会泽县: {huize}")

# -- 4. The funnel of the heart round -------------------------------------------------------------
print("\n== Funnel ==")
print(funnel(data, program_id="heart-2020"))

# -- 5. Duplicates and double benefits ----------------------------------------------------------
print("\n== Findings ==")
found = data.validate()
print(Findings([*found.where(rule="beneficiaries."), *found.where(rule="cases.")]))

# -- 6. Personal data ---------------------------------------------------------------------------
print("\n== Privacy ==")
key = b"kept by the data officer, never with the export"
hidden = redact(data, key=key)
print(to_json(hidden.persons[0]))
text = to_json(hidden)
strings = set(re.findall(r'"((?:[^"\\]|\\.)*)"', text))  # every string in the export
identifiers = {v for p in data.persons for v in (p.name, p.id_number, p.phone) if v is not None}
left = identifiers & strings
print(f"redacted export: {len(text):,} characters, raw identifiers in it: {len(left)}")
again = hidden.validate().where(rule="beneficiaries.probable-duplicate")
print(f"probable duplicates still found after redaction: {len(again)}")

# Children found with heart disease, by county and age: health data, where a count of two or
# three children in a county could point at them. Blank the small cells.
person = {p.id: p for p in data.persons}
found_ill = sorted({s.person_id for s in screenings if s.outcome.is_positive})


def age_band(child: Person) -> str:
    age = child.age_on(date(2020, 5, 11)) or 0
    return "0-3" if age <= 3 else "4-7" if age <= 7 else "8-12"


by_cell = Counter((COUNTIES[person[pid].area_id or ""], age_band(person[pid])) for pid in found_ill)
bands = ("0-3", "4-7", "8-12")
counties = [name for name in COUNTIES.values() if any(c == name for c, _ in by_cell)]
table = suppress_small_cells({(c, b): by_cell[(c, b)] for c in counties for b in bands}, k=5)
print("children found with heart disease, by county and age (x: not published)")
print("        " + "".join(f"{b:>7}" for b in (*bands, "total")))
for county in table.rows:
    cells = [table.get(county, b) for b in (*bands, None)]
    print(f"  {county}" + "".join(f"{'x' if v is None else v:>7}" for v in cells))
totals = [table.get(None, b) for b in (*bands, None)]
print("  total " + "".join(f"{'x' if v is None else v:>7}" for v in totals))
print(f"  {len(table.primary)} small counts blanked, {len(table.secondary)} more to protect them")
