"""What the case studies' data generators share: made-up names and random days.

``examples/qujing/qujing_data.py`` and ``examples/jiangxi/jiangxi_data.py`` each rebuild
an article's figures as records; both need names for the persons they make (personal
data nobody publishes, so made up) and days drawn from a period. They import this module
from the folder above their own, so each still runs as a script from anywhere
(``python examples/qujing/report.py``).

Everything here is deterministic: the names follow a count, the days the
:class:`random.Random` given.

>>> made_up_name(0), made_up_name(1)
('王明明', '黄浩秋')
>>> import random
>>> from datetime import date
>>> from humanaid import Period
>>> day_in(random.Random(1), Period(date(2022, 1, 1), date(2022, 1, 31)))
datetime.date(2022, 1, 5)
>>> allocated(Money("100.00"), [1, 1, 1])
[Money('33.34', 'CNY'), Money('33.33', 'CNY'), Money('33.33', 'CNY')]
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Final

from humanaid import Money, Period

SURNAMES: Final = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
"""Common surnames, one character each."""

GIVEN: Final = "明丽强敏静杰娟涛超兰霞平刚华建红玉梅琴云飞鹏辉婷雪晶欣宇浩然春秋志文"
"""Characters of given names; a name is a surname and two of them."""

NAMES: Final = [s + g1 + g2 for s in SURNAMES for g1 in GIVEN for g2 in GIVEN]
"""Every name of a surname and two given characters (40,460 of them)."""

_STRIDE: Final = 7919
"""A prime stride through :data:`NAMES`, so that consecutive persons get unlike names."""


def made_up_name(n: int) -> str:
    """The ``n``-th made-up name: the same ``n``, the same name, every time."""
    return NAMES[n * _STRIDE % len(NAMES)]


def day_in(rng: random.Random, period: Period) -> date:
    """A day of ``period`` (both ends included), drawn with ``rng``."""
    return period.start + timedelta(days=rng.randrange(period.days))


def allocated(total: Money, weights: Sequence[int]) -> list[Money]:
    """``total.allocate(weights)`` for whole-number weights, as a list, each amount made once.

    The same parts as :meth:`Money.allocate <humanaid.Money.allocate>` (each share rounded
    down to a fen, the fen left over one each to the largest remainders, earlier parts
    first on a tie), worked out per distinct weight: the generators split sums into
    hundreds of thousands of parts with a few dozen distinct weights, so there are only
    that many distinct floors and remainders. Equal parts are one :class:`~humanaid.Money`
    (it is immutable), so a split into 293,000 gifts makes a few dozen amounts.
    ``tests/test_generate.py`` holds it equal to ``Money.allocate``.
    """
    if not weights or any(type(w) is not int or w < 0 for w in weights) or not sum(weights):
        return list(total.allocate(weights))  # its errors, word for word
    units, cur = total.minor_units, total.currency
    sign, units = (-1, -units) if units < 0 else (1, units)
    whole = sum(weights)
    parts = {w: divmod(units * w, whole) for w in set(weights)}
    floors = [parts[w][0] for w in weights]
    left = units - sum(floors)
    if left:
        # the indices by remainder, each list in index order: the largest remainders first
        by_remainder: dict[int, list[int]] = {}
        for i, w in enumerate(weights):
            by_remainder.setdefault(parts[w][1], []).append(i)
        for remainder in sorted(by_remainder, reverse=True):
            for i in by_remainder[remainder][:left]:
                floors[i] += 1
            left -= min(left, len(by_remainder[remainder]))
            if not left:
                break
    made: dict[int, Money] = {}
    out = []
    for f in floors:
        money = made.get(f)
        if money is None:
            money = made[f] = Money.from_minor_units(sign * f, cur)
        out.append(money)
    return out
