"""One total order over mixed values (``sort_key``)."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from humanaid import Money, Period
from humanaid.ordering import sort_key


class Channel(enum.Enum):
    ONLINE = "online"
    BANK = "bank"
    CASH_BOX = "cash_box"


def test_enums_sort_in_declaration_order_and_kinds_apart_with_none_last() -> None:
    assert sorted([Channel.CASH_BOX, Channel.ONLINE, Channel.BANK], key=sort_key) == [
        Channel.ONLINE,
        Channel.BANK,
        Channel.CASH_BOX,
    ]
    assert sorted([None, date(2020, 1, 1), "x", 2, Decimal("1.5"), True], key=sort_key) == [
        True,
        Decimal("1.5"),
        2,
        "x",
        date(2020, 1, 1),
        None,
    ]
    assert sorted([(1, "b"), (1, "a"), (0, None)], key=sort_key) == [(0, None), (1, "a"), (1, "b")]
    assert sorted([1 + 0j, 2j], key=sort_key) == [1 + 0j, 2j]  # unorderable: by repr


def test_periods_sort_in_time_and_money_by_currency_then_amount() -> None:
    periods = [Period.year(2021), Period.month(2020, 5), Period.year(2020)]
    assert sorted(periods, key=sort_key) == [
        Period.year(2020),
        Period.month(2020, 5),
        Period.year(2021),
    ]
    amounts = [Money("5", "USD"), Money("10"), Money("2")]
    assert sorted(amounts, key=sort_key) == [Money("2"), Money("10"), Money("5", "USD")]
