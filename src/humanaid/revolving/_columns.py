"""The village funds' plain loans summed column-wise, in polars (``portfolio._loan_sums``).

A loan no event has touched by the day, and a loan only repaid by then (no late fee, no
write-off, no reschedule: ``engine._repaid_only``), owes a fixed sequence of charges:
each instalment's fee, interest and principal in schedule order. What its repayments
paid is then a function of running sums alone (the law
``test_a_repaid_loans_running_sums_are_the_engines_replay`` holds the engine to it):
with ``P`` the loan's repayments summed and ``start`` what the instalments before one
ask for, the instalment's fee is paid ``clip(P - start, 0, fee)``, its interest and
principal likewise after it; its payment by its due date is the same with the
repayments up to that day; what is beyond every charge is credit. Here these are
column expressions over one table of instalments for every such loan of every fund,
grouped by loan, then by fund: one query where the engine's replay was one loop a loan.

polars is optional (the ``polars`` extra): without it :func:`fund_sums` is not called
and every loan is summed in Python, as before; the two give the same figures (the tests
hold them equal on generated loans, with loans the engine must replay mixed in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Final

__all__: list[str] = []

FIGURES: Final = (
    "loans",
    "lent",
    "interest",
    "fees",
    "outstanding",
    "principal_paid",
    "overdue",
    "at_risk30",
    "at_risk60",
    "at_risk90",
    "fallen_due",
    "paid_on_time",
    "active",
    "in_arrears",
    "repaid",
    "cash",
    "income",
    "credits",
)
"""The figures :func:`fund_sums` gives a fund, in this order (minor units and counts)."""


def available() -> bool:
    """Whether polars can be imported (the column-wise sums are then taken)."""
    try:
        import polars  # noqa: F401
    except ImportError:
        return False
    return True


def fund_sums(
    loans: Mapping[str, Sequence[Any]],
    installments: Mapping[str, Sequence[int]],
    repayments: Mapping[str, Sequence[int]],
    as_of: date,
) -> dict[str, tuple[int, ...]]:
    """Each fund's :data:`FIGURES` over its plain loans, column-wise.

    Args:
        loans: one row a loan (a loan's number is its place): ``fund`` (its fund's id),
            ``late_fee`` (0 for none; a loan with a late fee has no repayment here),
            ``paid`` (its repayments by ``as_of`` summed, each applied once) in minor
            units, and ``booked`` (whether a booked flow stands for its disbursement).
        installments: one row an instalment, each loan's in schedule order and in one run
            of rows: ``loan`` (its number), ``due`` (the day, ``toordinal``), ``fee``,
            ``interest`` and ``principal`` (which add up to the loan's principal).
        repayments: one row a repayment applied by ``as_of``: ``loan``, ``day``
            (``toordinal``), ``amount``.
        as_of: the day.
    """
    import polars as pl

    day = as_of.toordinal()
    lf = pl.DataFrame(
        dict(loans),
        schema={"fund": pl.String, "late_fee": pl.Int64, "paid": pl.Int64, "booked": pl.Boolean},
    )
    inst = pl.DataFrame(
        dict(installments),
        schema={"loan": pl.UInt32}
        | dict.fromkeys(("due", "fee", "interest", "principal"), pl.Int64),
    )
    reps = pl.DataFrame(
        dict(repayments), schema={"loan": pl.UInt32, "day": pl.Int64, "amount": pl.Int64}
    )
    # Column operations on Series, not joins: a loan's number is its row in ``lf``, and
    # each loan's instalments are one run of rows in ``inst``.
    number = inst.get_column("loan")
    owes = inst.get_column("fee") + inst.get_column("interest") + inst.get_column("principal")
    before = owes.cum_sum() - owes  # what every earlier instalment asks, whatever its loan
    first = number != number.shift(1)  # a loan's first instalment (null on the first row)
    first = first.fill_null(value=True)
    base = pl.zeros(lf.height, pl.Int64, eager=True).scatter(
        number.filter(first), before.filter(first)
    )
    start = before - base.gather(number)  # what the loan's earlier instalments ask
    # What the repayments up to each due day paid (by the end of that day), per instalment.
    then = pl.zeros(inst.height, pl.Int64, eager=True)
    if reps.height:
        by_due = (
            inst.lazy()
            .select("loan", "due")
            .with_row_index("k")
            .join(reps.lazy(), on="loan", how="inner")
            .filter(pl.col("day") <= pl.col("due"))
            .group_by("k")
            .agg(pl.col("amount").sum())
            .collect()
        )
        then = then.scatter(by_due.get_column("k"), by_due.get_column("amount"))
    inst = inst.with_columns(
        owes.alias("owes"),
        start.alias("start"),
        then.alias("then"),
        lf.get_column("paid").gather(number).alias("paid"),
        lf.get_column("late_fee").gather(number).alias("late_fee"),
    )
    x = pl.col("paid") - pl.col("start")
    clip = _clip
    pf = clip(x, pl.col("fee"))
    pi = clip(x - pl.col("fee"), pl.col("interest"))
    pp = clip(x - pl.col("fee") - pl.col("interest"), pl.col("principal"))
    past = pl.col("due") < day
    fallen = pl.col("due") <= day
    unpaid = pl.col("owes") - pl.col("pf") - pl.col("pi") - pl.col("pp")
    paid_then = clip(pl.col("then") - pl.col("start"), pl.col("owes"))
    per_loan = (
        inst.lazy()
        .with_columns(pf.alias("pf"), pi.alias("pi"), pp.alias("pp"))
        .with_columns(
            pl.when(past & (unpaid > 0))
            .then(unpaid + pl.col("late_fee"))
            .otherwise(0)
            .alias("overdue"),
            (past & (unpaid > 0)).alias("late"),
            pl.when(past & (pl.col("principal") > pl.col("pp")))
            .then(pl.col("due"))
            .otherwise(None)
            .alias("principal_late"),
            pl.when(fallen).then(pl.col("owes")).otherwise(0).alias("fallen_due"),
            pl.when(fallen).then(paid_then).otherwise(0).alias("paid_on_time"),
        )
        .group_by("loan")
        .agg(
            pl.col("owes").sum().alias("owed"),
            pl.col("principal").sum().alias("lent"),
            pl.col("pf").sum(),
            pl.col("pi").sum(),
            pl.col("pp").sum(),
            pl.col("overdue").sum(),
            pl.col("late").any(),
            pl.col("principal_late").min(),
            pl.col("fallen_due").sum(),
            pl.col("paid_on_time").sum(),
        )
    )
    loan = lf.lazy().with_row_index("loan").join(per_loan, on="loan", how="left")
    open_ = pl.col("paid") < pl.col("owed")
    days = (day - pl.col("principal_late")).fill_null(0)
    outstanding = pl.col("lent") - pl.col("pp")
    got = (
        loan.with_columns(outstanding.alias("out"), days.alias("days"))
        .group_by("fund")
        .agg(
            pl.len().cast(pl.Int64).alias("loans"),
            pl.col("lent").sum(),
            pl.col("pi").sum().alias("interest"),
            pl.col("pf").sum().alias("fees"),
            pl.col("out").sum().alias("outstanding"),
            pl.col("pp").sum().alias("principal_paid"),
            pl.col("overdue").filter(open_).sum().alias("overdue"),
            *(
                pl.col("out")
                .filter(open_ & (pl.col("days") > limit))
                .sum()
                .alias(f"at_risk{limit}")
                for limit in (30, 60, 90)
            ),
            pl.col("fallen_due").sum(),
            pl.col("paid_on_time").sum(),
            (open_ & ~pl.col("late")).sum().cast(pl.Int64).alias("active"),
            (open_ & pl.col("late")).sum().cast(pl.Int64).alias("in_arrears"),
            (~open_).sum().cast(pl.Int64).alias("repaid"),
            (pl.col("paid").sum() - pl.col("lent").filter(~pl.col("booked")).sum()).alias("cash"),
            (pl.col("pf") + pl.col("pi")).sum().alias("income"),
            (pl.col("paid") - pl.min_horizontal("paid", "owed")).sum().alias("credits"),
        )
        .select("fund", *FIGURES)
        .collect()
    )
    return {row[0]: tuple(int(v) for v in row[1:]) for row in got.iter_rows()}


def _clip(x: Any, most: Any) -> Any:
    """``min(max(x, 0), most)``, column-wise."""
    import polars as pl

    return pl.min_horizontal(pl.max_horizontal(x, pl.lit(0)), most)
