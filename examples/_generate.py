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
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Final

from humanaid import Period

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
