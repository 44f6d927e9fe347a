"""Probable duplicates on adversarial data: many persons of one name, birth date and village.

Before issue 18 the rule ``beneficiaries.probable-duplicate`` compared each person with
every earlier one of the same name, birth date and area: 20,000 such persons took 28 s,
200,000 would have taken about 45 minutes. This measures, for N persons who all share
one name, one birth date and one village:

* ``rule, ID numbers``: the built-in rule when each carries a different ID number (no
  pair is reported: two numbers are two people), the worst case of the old search;
* ``rule, no ID numbers``: the rule when none does (each is reported as the first);
* ``scored, ID numbers`` and ``scored, no ID numbers``: :func:`humanaid.probable_duplicates`
  (names by sound, with pypinyin) over the same persons, who also share one phone.

    python benchmarks/dedupe.py --n 20000 --n 200000

Times are CPU seconds (``time.process_time``); the figures go in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import platform
import time
from datetime import date
from typing import Any

from humanaid import Dataset, Person, names_compared_by_sound, probable_duplicates
from humanaid.rules import probable_duplicate_persons

BORN = date(1980, 5, 1)
_WEIGHTS = "10X98765432"  # the check character of a resident ID number, by sum mod 11
_FACTORS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(i: int) -> str:
    """A valid resident ID number of someone born on ``BORN``, sequence ``i``."""
    body = f"{530302 + i // 1000:06d}{BORN:%Y%m%d}{i % 1000:03d}"
    total = sum(int(c) * f for c, f in zip(body, _FACTORS, strict=True))
    return body + _WEIGHTS[total % 11]


def persons(n: int, *, numbered: bool) -> list[Person]:
    """N persons of one name, birth date, village and phone; each a different ID number."""
    return [
        Person(
            id=f"p{i:07d}",
            name="张三",
            birth_date=BORN,
            area_id="village",
            phone="13800138000",
            id_number=id_number(i) if numbered else None,
        )
        for i in range(n)
    ]


def _timed(run: Any) -> tuple[float, int]:
    start = time.process_time()
    found = run()
    return time.process_time() - start, len(found)


def main() -> None:
    """Print the time of each search at each N."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="persons (repeatable)")
    args = parser.parse_args()
    sizes = args.n or [20_000, 200_000]
    print(
        f"Python {platform.python_version()}, pypinyin: {names_compared_by_sound()}; "
        "CPU seconds, and matches found"
    )
    print(f"{'search':<24}{'N':>9}{'seconds':>9}{'µs/person':>11}{'found':>9}")
    for n in sizes:
        for numbered in (True, False):
            ds = Dataset(persons=persons(n, numbered=numbered))
            label = "ID numbers" if numbered else "no ID numbers"
            for what, run in (
                ("rule", lambda ds=ds: list(probable_duplicate_persons(ds))),
                ("scored", lambda ds=ds: probable_duplicates(ds)),
            ):
                took, found = _timed(run)
                print(
                    f"{what + ', ' + label:<24}{n:>9,}{took:>9.2f}{took / n * 1e6:>11.1f}"
                    f"{found:>9,}"
                )


if __name__ == "__main__":
    main()
