"""Strategies for datasets whose records refer to each other, as the summaries read them.

:func:`summary_datasets` draws a small :class:`~humanaid.Dataset` in which gifts name
known (and sometimes unknown) donors and campaigns, share transaction numbers, are
reversed and refunded; handouts reach known households; medical cases and screenings
belong to a programme's projects; indicator values report on known indicators and
projects. The summaries then have something to add up, leave out and look up, which the
independent records of :func:`~humanaid.testing.datasets` rarely give. Re-exported by
:mod:`humanaid.testing`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
from hypothesis import strategies as st

from humanaid.dataset import Dataset
from humanaid.periods import Period
from humanaid.testing._common import dates
from humanaid.testing.beneficiaries import cases, distributions, households, persons, screenings
from humanaid.testing.corrections import refunds, reversals
from humanaid.testing.fundraising import campaigns, donations, donors
from humanaid.testing.projects import indicator_values, indicators, programs, projects

__all__ = ["summary_datasets"]

_FIRST: date = date(2019, 1, 1)
_LAST: date = date(2021, 12, 31)
_PERIODS = (Period.year(2019), Period.year(2020), Period.quarter(2020, 2), Period.year(2021))


def _numbered(strategy: st.SearchStrategy[Any], prefix: str, n: int) -> st.SearchStrategy[Any]:
    """``n`` records of ``strategy`` with the ids ``prefix0`` .. ``prefix{n-1}``."""
    return st.lists(strategy, min_size=n, max_size=n).map(
        lambda rs: [attrs.evolve(r, id=f"{prefix}{i}") for i, r in enumerate(rs)]
    )


@st.composite
def _dataset(draw: st.DrawFn, max_size: int) -> Dataset:
    def pick(*options: Any) -> Any:
        return draw(st.sampled_from(options))

    the_donors = draw(_numbered(donors(), "d", 3))
    the_campaigns = draw(_numbered(campaigns(), "c", 2))
    the_programs = [attrs.evolve(p, batches=()) for p in draw(_numbered(programs(), "pg", 1))]
    the_projects = [
        attrs.evolve(p, program_id="pg0", batch=i + 1)
        for i, p in enumerate(draw(_numbered(projects(), "pj", 2)))
    ]
    homes = draw(_numbered(households(max_members=5), "h", 3))
    people = [
        attrs.evolve(p, household_id=pick("h0", "h1", "h2", None))
        for p in draw(_numbered(persons(), "p", 4))
    ]
    gifts = [
        attrs.evolve(
            g,
            organization_id=pick("qj", "xw"),
            donor_id=pick("d0", "d1", "d2", "d9", None),
            campaign_id=pick("c0", "c1", "c9", None),
            transaction_ref=pick(None, None, "T1", "T2", "T3"),
            received_on=draw(dates(min_value=_FIRST, max_value=_LAST)),
        )
        for g in draw(_numbered(donations(max_value=10**5), "g", draw(st.integers(0, max_size))))
    ]
    gift_ids = [g.id for g in gifts] or ["g0"]
    backs = [
        attrs.evolve(
            r, donation_id=pick(*gift_ids, "g99"), transaction_ref=pick(None, "R1", "R1", "R2")
        )
        for r in draw(
            _numbered(
                refunds(min_date=_FIRST, max_date=date(2022, 6, 30), max_value="500.00"),
                "rf",
                draw(st.integers(0, 3)),
            )
        )
    ]
    undone = [
        attrs.evolve(
            x,
            collection=pick("donations", "refunds"),
            record_id=pick(*gift_ids, *(r.id for r in backs)),
        )
        for x in draw(_numbered(reversals(), "x", draw(st.integers(0, 2))))
    ]
    handouts = [
        attrs.evolve(
            d, program_id=pick("pg0", None), on=draw(dates(min_value=_FIRST, max_value=_LAST))
        )
        for d in draw(
            _numbered(
                distributions(
                    household_ids=st.sampled_from(["h0", "h1", "h2"]),
                    campaign_ids=st.sampled_from(["c0", "c9", None]),
                ),
                "dist",
                draw(st.integers(0, max_size)),
            )
        )
    ]
    helped = draw(
        _numbered(
            cases(
                person_ids=st.sampled_from(["p0", "p1", "p2", "p3", "p7"]),
                program_ids=st.sampled_from(["pg0", "pg9", None]),
                max_steps=6,
            ),
            "case",
            draw(st.integers(0, max_size)),
        )
    )
    helped = [attrs.evolve(c, project_id=pick("pj0", "pj1", None)) for c in helped]
    screened = draw(
        _numbered(
            screenings(
                person_ids=st.sampled_from(["p0", "p1", "p2", "p7"]),
                program_ids=st.sampled_from(["pg0", "pg9"]),
            ),
            "s",
            draw(st.integers(0, max_size)),
        )
    )
    screened = [attrs.evolve(s, project_id=pick("pj0", "pj1", None)) for s in screened]
    the_indicators = draw(_numbered(indicators(), "i", 2))
    reported = draw(
        _numbered(
            indicator_values(
                indicator_ids=["i0", "i1", "i9"], project_ids=["pj0", "pj1"], periods=_PERIODS
            ),
            "v",
            draw(st.integers(0, max_size)),
        )
    )
    collections: dict[str, Any] = {
        "donors": the_donors,
        "campaigns": the_campaigns,
        "programs": the_programs,
        "projects": the_projects,
        "households": homes,
        "persons": people,
        "donations": gifts,
        "refunds": backs,
        "reversals": undone,
        "distributions": handouts,
        "cases": helped,
        "screenings": screened,
        "indicators": the_indicators,
        "indicator_values": reported,
    }
    return Dataset(**collections)


def summary_datasets(*, max_size: int = 12) -> st.SearchStrategy[Dataset]:
    """Datasets for the summaries, whose references mostly resolve.

    Up to ``max_size`` gifts, handouts, cases, screenings and indicator values. Three
    donors (``d0`` .. ``d2``), two campaigns (``c0``, ``c1``), one programme
    (``pg0``) with two projects (``pj0``, ``pj1``, its rounds 1 and 2), three households
    and four persons, two indicators; gifts and handouts also name ids that are missing
    (``d9``, ``c9``, ``pg9``), gifts share transaction numbers (``T1`` ...), refunds and
    reversals name gifts (and refunds) of the dataset. Days are from 2019 to 2021, money
    in CNY.
    """
    return _dataset(max_size)
