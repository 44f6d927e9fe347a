"""Draw the picture of docs/concepts/counting.rst: nested boundaries and how each counts.

The picture is not drawn by hand: the flows are a small dataset, and the table under the
drawing is :func:`humanaid.classify_flow` of each flow for each boundary, computed when
the picture is made. ``docs/conf.py`` makes it at every docs build (into
``docs/_build/figures/``); ``tests/test_counting.py`` makes it too and checks the table.

Run it alone with:  python docs/counting_picture.py [path.svg]
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from humanaid import (
    Boundary,
    Crossing,
    Dataset,
    Flow,
    FlowKind,
    Fund,
    Money,
    Organization,
    Party,
    Period,
    Project,
    classify_flow,
)

OUT = Path(__file__).resolve().parent / "_build" / "figures" / "counting.svg"

ON = date(2020, 6, 1)
PROVINCE, CITY, COUNTY = Party.fund("province"), Party.fund("city"), Party.fund("county")
PROJECT, HOUSEHOLDS = Party.project("village"), Party.household("households")
DONORS, FOUNDATION = Party.donor("donors"), Party.organization("foundation")

DATASET = Dataset(
    organizations=(
        Organization(id="province", name="province society", level="province"),
        Organization(id="city", name="city society", level="city", parent_id="province"),
        Organization(id="county", name="county branch", level="county", parent_id="city"),
        Organization(id="foundation", name="a foundation", kind="foundation"),
    ),
    funds=tuple(
        Fund(id=o, name=f"{o} fund", organization_id=o) for o in ("province", "city", "county")
    ),
    projects=(
        Project(id="village", name="village project", kind="community_resilience",
                organization_id="county", period=Period.year(2020), budget=Money("10")),
    ),
)  # fmt: skip

# (label, source, destination, kind): the flows drawn, in the order of the table's rows.
FLOWS = (
    ("gifts to the city", DONORS, CITY, FlowKind.DONATION),
    ("foundation grant to the county", FOUNDATION, COUNTY, FlowKind.GRANT),
    ("province passes money down", PROVINCE, CITY, FlowKind.ALLOCATION),
    ("city passes money down", CITY, COUNTY, FlowKind.ALLOCATION),
    ("county pays its project", COUNTY, PROJECT, FlowKind.DISBURSEMENT),
    ("foundation straight to the project", FOUNDATION, PROJECT, FlowKind.GRANT),
    ("city relief to households", CITY, HOUSEHOLDS, FlowKind.DISBURSEMENT),
    ("project pays households", PROJECT, HOUSEHOLDS, FlowKind.DISBURSEMENT),
)

BOUNDARIES = (
    ("province", Boundary.organization(DATASET, "province")),
    ("city", Boundary.organization(DATASET, "city")),
    ("county", Boundary.organization(DATASET, "county")),
    ("project", Boundary.project(DATASET, "village")),
)

_WORDS = {
    Crossing.RAISED: "raised",
    Crossing.BROUGHT_IN: "brought in",
    Crossing.INTERNAL: "internal",
    Crossing.PUT_IN: "put in",
    Crossing.OTHER_IN: "other in",
    Crossing.OTHER_OUT: "other out",
}
_COLOURS = {
    "raised": "#4e79a7",
    "brought in": "#f28e2b",
    "internal": "#bab0ac",
    "put in": "#59a14f",
    "other in": "#e15759",
    "other out": "#e15759",
}


def words(crossing: Crossing) -> str:
    """A crossing as the table shows it: ``"brought in + put in"``; ``""`` for none."""
    return " + ".join(_WORDS[m] for m in _WORDS if m in crossing)


def table() -> list[tuple[str, list[str]]]:
    """Each flow's label and, for each boundary, how it counts there (computed)."""
    rows = []
    for label, source, destination, kind in FLOWS:
        flow = Flow(id="f", source=source, destination=destination, amount=Money("1"),
                    on=ON, kind=kind)  # fmt: skip
        rows.append((label, [words(classify_flow(flow, b)) for _, b in BOUNDARIES]))
    return rows


# Where each party is drawn (x, y), on a canvas 16 wide and 8.5 high (equal aspect).
_AT = {
    DONORS: (1.2, 7.6),
    FOUNDATION: (1.2, 5.3),
    PROVINCE: (4.3, 9.3),
    CITY: (6.3, 7.6),
    COUNTY: (8.6, 5.3),
    PROJECT: (13.1, 5.3),
    HOUSEHOLDS: (13.1, 9.3),
}
_NAMES = {
    DONORS: "donors",
    FOUNDATION: "foundation",
    PROVINCE: "province\nsociety",
    CITY: "city\nsociety",
    COUNTY: "county\nbranch",
    PROJECT: "the county's\nproject",
    HOUSEHOLDS: "households",
}
# (box, label, where the label goes, colour): the boundaries drawn.
_BOXES = (
    ((3.0, 3.8, 10.4, 10.2), "province society's boundary", (3.15, 10.05, "top"), "#9c755f"),
    ((5.0, 4.1, 10.1, 8.6), "city society's boundary", (5.15, 4.25, "bottom"), "#4e79a7"),
    ((7.3, 4.4, 9.9, 6.6), "county branch's boundary", (7.4, 4.55, "bottom"), "#f28e2b"),
    ((11.6, 4.4, 14.6, 6.6), "project's boundary", (11.7, 4.55, "bottom"), "#59a14f"),
)
# How far along each flow's arrow its number sits, and how much the arrow bends.
_ALONG = {1: 0.2, 2: 0.2, 3: 0.3, 4: 0.35, 5: 0.5, 6: 0.5, 7: 0.75, 8: 0.55}
_BEND = {6: 0.32}


def _point(n: int, start: tuple[float, float], end: tuple[float, float]) -> tuple[float, float]:
    """Where flow ``n``'s number sits: on its arrow (a quadratic curve when it bends)."""
    (x0, y0), (x1, y1), t = start, end, _ALONG[n]
    rad = _BEND.get(n, 0.0)
    cx, cy = (x0 + x1) / 2 + rad * (y1 - y0), (y0 + y1) / 2 - rad * (x1 - x0)
    return (
        (1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t**2 * x1,
        (1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t**2 * y1,
    )


def draw(path: Path = OUT) -> Path:
    """Draw the picture into ``path`` (SVG, or PNG ...; its folder is made) and return it."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    fig = Figure(figsize=(11, 7.8))
    top = fig.add_axes((0.01, 0.35, 0.98, 0.64))
    top.set_xlim(0, 16)
    top.set_ylim(2.5, 10.5)
    top.set_aspect("equal")
    top.axis("off")
    for (x0, y0, x1, y1), name, (lx, ly, va), colour in _BOXES:
        top.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0,
                                     boxstyle="round,pad=0.05,rounding_size=0.3",
                                     fill=False, edgecolor=colour, linewidth=1.6))  # fmt: skip
        top.text(lx, ly, name, color=colour, fontsize=8, va=va)
    for party, (x, y) in _AT.items():
        frame = {"boxstyle": "round", "facecolor": "white", "edgecolor": "#555555"}
        top.text(x, y, _NAMES[party], ha="center", va="center", fontsize=9, zorder=3, bbox=frame)
    top.text(13.1, 4.05, "the county's work, outside its books", fontsize=7, ha="center",
             color="#59a14f")  # fmt: skip
    for n, (_, source, destination, _) in enumerate(FLOWS, start=1):
        start, end = _AT[source], _AT[destination]
        top.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12,
                                      shrinkA=24, shrinkB=24, color="#333333",
                                      connectionstyle=f"arc3,rad={_BEND.get(n, 0.0)}"))  # fmt: skip
        x, y = _point(n, start, end)
        badge = {"boxstyle": "circle", "facecolor": "#ffffcc", "edgecolor": "#333333"}
        top.text(x, y, str(n), fontsize=8, ha="center", va="center", zorder=3, bbox=badge)

    bottom = fig.add_axes((0.02, 0.01, 0.96, 0.33))
    bottom.axis("off")
    rows = table()
    header = ["", "flow", *(name for name, _ in BOUNDARIES)]
    widths = [0.04, 0.36, 0.15, 0.15, 0.15, 0.15]
    cells = [[str(n), label, *(c or "-" for c in counted)]
             for n, (label, counted) in enumerate(rows, start=1)]  # fmt: skip
    grid = bottom.table(cellText=cells, colLabels=header, colWidths=widths, loc="upper center",
                        cellLoc="left")  # fmt: skip
    grid.auto_set_font_size(False)
    grid.set_fontsize(8)
    grid.scale(1, 1.5)
    for (r, c), cell in grid.get_celld().items():
        cell.set_edgecolor("#cccccc")
        if r > 0 and c >= 2:
            first = cells[r - 1][c].split(" + ")[0]
            if first in _COLOURS:
                cell.set_facecolor(_COLOURS[first] + "33")  # the crossing's colour, light
    bottom.set_title("how each boundary counts each flow (humanaid.classify_flow)", fontsize=9)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".svg":
        import matplotlib

        with matplotlib.rc_context({"svg.hashsalt": "humanaid"}):  # the same bytes every time
            fig.savefig(path, format="svg", metadata={"Date": None})
    else:
        fig.savefig(path, dpi=110)
    return path


if __name__ == "__main__":
    print(draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
