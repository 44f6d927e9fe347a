"""Hypothesis strategies for reported figures (re-exported by :mod:`humanaid.testing`).

Every strategy builds valid records, from the shared building blocks of
:mod:`humanaid.testing._common`: figures printed the way reports print them, money
(元, 人民币元) and counts (人, 人次, 户, 例, 个 ...), with or without 万 or 亿, 余 or 多,
places and thousands separators.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from hypothesis import strategies as st

from humanaid.reported_figures import ReportedFigure
from humanaid.testing._common import MAX_DATE, MIN_DATE, periods, short_ids

__all__ = ["reported_figures", "stated_figures"]

_SUBJECTS = st.sampled_from(
    ["投入帮扶资金物资", "引进帮扶资金", "筛查", "手术救助", "救助金额", "受益群众", "募捐款物"]
)
_SOURCES = st.sampled_from(["曲靖市红十字会2020年工作报告", "红十字论坛, p. 12", "年报第3页"])
_MONEY_UNITS: tuple[str, ...] = ("元", "人民币元")
_COUNT_UNITS: tuple[str, ...] = ("人", "人次", "户", "例", "个", "起", "笔(次)")


def _with_commas(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        digits, group = digits[:-3], digits[-3:]
        groups.append(group)
    return ",".join([digits, *reversed(groups)])


def stated_figures(
    *,
    units: Sequence[str] = _MONEY_UNITS + _COUNT_UNITS,
    multipliers: Sequence[str] = ("", "万", "亿"),
    at_least: bool | None = None,
    max_places: int = 4,
    max_digits: int = 9,
) -> st.SearchStrategy[str]:
    """Figures as printed: "4189万元", "28.42万人次", "2391.70万余元", "1,330例".

    Money is never shown finer than a fen (0.01 元), as :class:`~humanaid.ReportedFigure`
    requires.

    Args:
        units: the units to draw from (元 and 人民币元 are money, others counts).
        multipliers: the multipliers to draw from ("" for none, 万, 亿).
        at_least: ``True`` for figures printed with 余 or 多 only, ``False`` for none
            of them, ``None`` for both.
        max_places: the most decimal places shown (at most 8).
        max_digits: the most digits before the decimal point.
    """
    if not units or not multipliers:
        raise ValueError("units and multipliers must not be empty")
    if not 1 <= max_digits <= 9:
        raise ValueError(f"max_digits must be between 1 and 9 (got {max_digits})")
    if not 0 <= max_places <= 8:
        raise ValueError(f"max_places must be between 0 and 8 (got {max_places})")

    @st.composite
    def build(draw: st.DrawFn) -> str:
        whole = str(draw(st.integers(0, 10**max_digits - 1)))
        if len(whole) > 3 and draw(st.booleans()):
            whole = _with_commas(whole)
        multiplier = draw(st.sampled_from(multipliers))
        unit = draw(st.sampled_from(units))
        most = max_places
        if unit in _MONEY_UNITS:  # never finer than a fen
            most = min(most, 2 + {"": 0, "万": 4, "亿": 8}[multiplier])
        places = draw(st.integers(0, most))
        fraction = "." + draw(st.text("0123456789", min_size=places, max_size=places))
        more = at_least if at_least is not None else draw(st.booleans())
        return "".join(
            [
                whole,
                fraction if places else "",
                multiplier,
                draw(st.sampled_from("余多")) if more else "",
                unit,
            ]
        )

    return build()


def reported_figures(
    *,
    stated: st.SearchStrategy[str] | None = None,
    organization_ids: st.SearchStrategy[str] | None = None,
    part_of: st.SearchStrategy[str | None] | None = None,
    min_date: date = MIN_DATE,
    max_date: date = MAX_DATE,
) -> st.SearchStrategy[ReportedFigure]:
    """Valid reported figures, money and counts, some of them parts of another figure.

    Args:
        stated: the printed figures (:func:`stated_figures` by default).
        organization_ids: who reported them.
        part_of: the ids of the totals they are part of, or ``None``.
        min_date: the earliest day of a figure's period.
        max_date: the last day of a figure's period.
    """
    return st.builds(
        ReportedFigure,
        id=short_ids(prefix="fig-"),
        organization_id=organization_ids or short_ids(prefix="org-"),
        subject=_SUBJECTS,
        stated=stated if stated is not None else stated_figures(),
        period=periods(min_value=min_date, max_value=max_date),
        part_of=part_of if part_of is not None else st.none() | short_ids(prefix="fig-"),
        source=st.none() | _SOURCES,
    )


def record_strategies() -> dict[type, Callable[[], st.SearchStrategy[Any]]]:
    """Each record type of this module and its default strategy (for ``record_strategies``)."""
    return {ReportedFigure: reported_figures}
