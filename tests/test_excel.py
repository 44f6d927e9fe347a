"""Excel workbooks: round trips, every planted Excel hazard located once, templates, tables."""

from __future__ import annotations

import importlib
import re
import sys
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import humanaid.testing as ht
from humanaid import (
    Dataset,
    Donation,
    Donor,
    DonorKind,
    InvalidInput,
    Money,
    Organization,
    OrgLevel,
    Period,
    Person,
    Table,
    fundraising_summary,
)
from humanaid.excel import (
    INSTRUCTIONS_SHEET,
    CellProblem,
    WorkbookRead,
    read_workbook,
    write_report,
    write_table,
    write_template,
    write_workbook,
)
from humanaid.table import Column

openpyxl: Any = importlib.import_module("openpyxl")

GIFT_HEADER = ["id", "organization_id", "received_on", "value", "currency", "donor_id"]


def gift(id: str, **kw: Any) -> Donation:
    kw.setdefault("organization_id", "qj")
    kw.setdefault("received_on", date(2020, 1, 5))
    kw.setdefault("value", Money("100"))
    return Donation(id=id, **kw)


def where(read: WorkbookRead) -> list[tuple[str, str]]:
    return [(p.location, p.code) for p in read.problems]


# -- round trips -----------------------------------------------------------------------------------

_FEW = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@_FEW
@given(ds=ht.datasets(max_size=3).filter(lambda d: not re.search("[\x00-\x1f]", d.name)))
def test_read_workbook_of_write_workbook_is_the_dataset(tmp_path: Path, ds: Dataset) -> None:
    path = tmp_path / "year.xlsx"
    write_workbook(ds, path)
    read = read_workbook(path)
    assert read.problems == ()
    for name, records in ds:
        assert read.dataset.records(name) == records, name
    assert read.dataset == ds
    assert read.rows == ds.size()


@_FEW
@given(xs=st.lists(ht.donations(), max_size=6, unique_by=lambda d: d.id))
def test_gifts_come_back_record_for_record_in_their_order(
    tmp_path: Path, xs: list[Donation]
) -> None:
    path = tmp_path / "gifts.xlsx"
    write_workbook(Dataset(donations=tuple(xs)), path)
    assert read_workbook(path).dataset.donations == tuple(xs)


def test_text_a_spreadsheet_would_run_is_stored_as_text_and_read_back_as_typed(
    tmp_path: Path,
) -> None:
    ds = Dataset(donations=(gift("=1+2", receipt_number="＝HYPERLINK(x)", platform=None),))
    path = tmp_path / "g.xlsx"
    write_workbook(ds, path)
    ws = openpyxl.load_workbook(path)["donations"]
    cell = ws["A2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+2", "s", True)
    assert read_workbook(path).dataset == ds


def test_amounts_excel_cannot_hold_exactly_are_written_as_text(tmp_path: Path) -> None:
    big = gift("g1", value=Money("123456789012345678.25"))
    path = tmp_path / "g.xlsx"
    write_workbook(Dataset(donations=(big,)), path)
    ws = openpyxl.load_workbook(path)["donations"]
    assert ws["D2"].value == "123456789012345678.25"
    assert read_workbook(path).dataset.donations == (big,)


# -- how a written workbook looks ------------------------------------------------------------------


def test_a_written_sheet_has_numbers_dates_lists_and_marked_personal_data(tmp_path: Path) -> None:
    ds = Dataset(
        donations=(gift("g1", value=Money("1234.5"), fees=Money("1.20")),),
        persons=(Person(id="p1", name="张三", id_number="11010519491231002X"),),
    )
    path = tmp_path / "g.xlsx"
    write_workbook(ds, path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, "donations", "persons"]
    gifts = wb["donations"]
    assert [c.value for c in gifts[1]][:5] == GIFT_HEADER[:5]
    assert gifts.freeze_panes == "A2"
    value, day = gifts["D2"], gifts["C2"]
    assert (value.value, value.number_format, value.data_type) == (1234.5, "#,##0.00", "n")
    assert gifts["E2"].value == "CNY"
    assert isinstance(day.value, datetime)
    assert day.value.date() == date(2020, 1, 5)
    assert day.is_date
    lists = {str(dv.sqref): dv for dv in gifts.data_validations.dataValidation}
    form = next(dv for ref, dv in lists.items() if ref.startswith("G2:"))
    assert form.type == "list"
    assert "in_kind" in (form.formula1 or "")
    assert any(dv.type == "date" for dv in lists.values())
    persons = wb["persons"]
    headers = {c.value: c for c in persons[1]}
    assert headers["id_number"].fill.fgColor.rgb.endswith("F8CBAD")
    assert "PERSONAL DATA" in headers["id_number"].comment.text
    assert not headers["id"].fill.fgColor.rgb.endswith("F8CBAD")
    notes = [[c.value for c in row] for row in wb[INSTRUCTIONS_SHEET].iter_rows()]
    assert any(r[:2] == ["persons (人员)", "id_number"] and r[5] == "PERSONAL" for r in notes)
    assert any(r[:3] == ["donations (捐赠)", "value", "金额"] and r[4] == "yes" for r in notes)


def test_progress_is_reported_while_writing_and_reading(tmp_path: Path) -> None:
    ds = Dataset(donations=tuple(gift(f"g{i}") for i in range(2_500)))
    path = tmp_path / "g.xlsx"
    seen: list[tuple[int, int | None]] = []
    write_workbook(ds, path, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500)]
    seen.clear()
    read = read_workbook(path, progress=lambda done, total: seen.append((done, total)))
    assert read.rows == 2500
    assert seen[-1] == (2501, 2501)  # the header row is a row read too
    assert [d for d, _ in seen[:-1]] == [1000, 2000]


# -- reading what people type ----------------------------------------------------------------------


def _save(wb: Any, path: Path) -> Path:
    wb.save(path)
    return path


def test_chinese_sheet_and_header_names_are_read(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "捐赠"
    ws.append(["编号", "机构编号", "接收日期", "金额", "币种", "捐赠人编号"])
    ws.append(["g1", "qj", date(2020, 1, 5), 100, "CNY", None])
    ws.append([None] * 6)
    ws.append(["g2", "qj", "2020-01-06", "12.50", None, 13800138000])  # text date, a number id
    read = read_workbook(_save(wb, tmp_path / "g.xlsx"))
    assert read.problems == ()
    assert read.dataset.donations == (
        gift("g1"),
        gift("g2", received_on=date(2020, 1, 6), value=Money("12.5"), donor_id="13800138000"),
    )


def test_a_row_problem_is_located_by_its_cell_and_other_rows_still_come_through(
    tmp_path: Path,
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "donations"
    ws.append(["", "", ""])
    ws.append(GIFT_HEADER)
    ws.append(["g1", "qj", date(2020, 1, 5), -5, "CNY", None])
    ws.append(["g2", None, date(2020, 1, 5), 5, "CNY", None])
    ws.append(["g3", "qj", date(2020, 1, 5), 5, "CNY", None])
    ws.insert_cols(1)  # the table starts in column B, row 2
    read = read_workbook(_save(wb, tmp_path / "g.xlsx"))
    assert where(read) == [("donations!E3", "invalid"), ("donations!C4", "missing")]
    assert [d.id for d in read.dataset.donations] == ["g3"]
    assert str(read.problems[1]) == (
        "donations!C4, column 'organization_id': is required, but the cell is empty"
    )


def test_header_problems_are_located_in_the_header_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "donations"
    ws.append(["id", "organization_id", "value", "amount"])
    ws.append(["g1", "qj", 5, 1])
    read = read_workbook(_save(wb, tmp_path / "g.xlsx"))
    assert sorted(where(read)) == [
        ("donations!1:1", "missing-column"),
        ("donations!D1", "unknown-column"),
    ]
    assert read.dataset.donations == ()


def _planted(path: Path) -> Path:
    """A workbook with one of each Excel hazard, each in its own cell."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "donations"
    ws.append([*GIFT_HEADER, "channel"])
    good = ["qj", date(2020, 1, 5), 100, "CNY", None, "offline"]
    ws.append(["g1", *good])  # row 2: good
    ws.append(["g2", "qj", date(2020, 1, 5), "=100+0", "CNY", None, "offline"])  # 3: cached below
    ws.append(["g3", "qj", date(2020, 1, 5), "=SUM(Z1:Z9)", "CNY", None, "offline"])  # 4: never
    ws.append(["g4", "qj", date(2020, 1, 5), "#DIV/0!", "CNY", None, "offline"])  # 5: error cell
    ws.append(["g5", "qj", 43835, 100, "CNY", None, "offline"])  # 6: a date serial
    ws.append(["g6", "qj", "2020/1/5", 100, "CNY", None, "offline"])  # 7: a text date
    ws.append(["g7", "qj", date(2020, 1, 5), "1.5万", "CNY", None, "offline"])  # 8: 万
    ws.append(["g8", "qj", date(2020, 1, 5), "１２３", "CNY", None, "offline"])  # 9: full width
    ws.append(["g9", *good])  # 10 and 11: merged
    ws.append(["g10", *good])
    ws.merge_cells("G10:G11")
    ws["A20"].number_format = "0.00"  # trailing blank rows, formatted: ignored
    ws["B25"] = ""
    people = wb.create_sheet("人员")
    people.append(["编号", "姓名", "身份证号"])
    people.append(["p1", "张三", 110105194912310021])  # row 2: an ID number as a number
    people.append(["p2", "李四", "11010519491231002X"])
    hidden = wb.create_sheet("households")
    hidden.append(["id", "members"])
    hidden.append(["h1", 3])
    hidden.sheet_state = "hidden"
    other = wb.create_sheet("Sheet1")
    other["B2"] = "notes someone kept"
    wb.save(path)
    # Excel saves a formula with its last value: give the formula of row 3 one, as Excel would.
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    sheet, n = re.subn(
        rb"<f>100\+0</f><v\s*/>|<f>100\+0</f><v></v>", b"<f>100+0</f><v>100</v>", sheet
    )
    assert n == 1, sheet[:2000]
    parts["xl/worksheets/sheet1.xml"] = sheet
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_every_planted_excel_hazard_is_one_located_problem(tmp_path: Path) -> None:
    read = read_workbook(_planted(tmp_path / "hazards.xlsx"))
    assert where(read) == [
        ("donations!D4", "formula-without-value"),
        ("donations!D5", "error-cell"),
        ("donations!C6", "date-serial"),
        ("donations!C7", "date-text"),
        ("donations!D8", "invalid-amount"),
        ("donations!D9", "invalid-amount"),
        ("donations!G10", "merged-cells"),
        ("人员!C2", "lost-digits"),
        ("households", "hidden-sheet"),
        ("Sheet1", "unknown-sheet"),
    ]
    assert [d.id for d in read.dataset.donations] == ["g1", "g2"]
    assert read.dataset.donations[1].value == Money("100")  # the formula's cached value
    assert [p.id for p in read.dataset.persons] == ["p2"]
    assert read.dataset.households == ()
    messages = {p.code: str(p) for p in reversed(read.problems)}  # the first of each code
    assert "=SUM(Z1:Z9)" in messages["formula-without-value"]
    assert "2020-01-05 as a date" in messages["date-serial"]
    assert "15000 for 1.5万" in messages["invalid-amount"]
    assert "half-width digits (123)" in str(read.problems[5])
    assert "rows 10 to 11 were not read" in messages["merged-cells"]
    assert "1.10105E+17" in messages["lost-digits"]
    lost = next(p for p in read.problems if p.code == "lost-digits")
    assert lost.got is None  # an ID number is personal data
    assert "110105" not in str(lost)
    assert lost.column == "身份证号"
    assert not read.ok


def test_a_second_sheet_of_one_collection_is_reported_not_read(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "donations"
    wb.active.append(GIFT_HEADER)
    wb.active.append(["g1", "qj", date(2020, 1, 5), 1, "CNY", None])
    other = wb.create_sheet("捐赠")
    other.append(GIFT_HEADER)
    read = read_workbook(_save(wb, tmp_path / "g.xlsx"))
    assert where(read) == [("捐赠", "duplicate-sheet")]
    assert len(read.dataset.donations) == 1


def test_a_file_that_is_no_workbook_is_one_invalid_workbook_problem(tmp_path: Path) -> None:
    path = tmp_path / "g.xlsx"
    path.write_text("id,value\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        read_workbook(path)
    assert [p.code for p in info.value.problems] == ["invalid-workbook"]
    with pytest.raises(FileNotFoundError):
        read_workbook(tmp_path / "missing.xlsx")
    with pytest.raises(TypeError, match="'path' must be a path"):
        read_workbook(3)  # type: ignore[arg-type]


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(ImportError, match=r"pip install 'humanaid\[excel\]'"):
        write_workbook(Dataset(), tmp_path / "x.xlsx")
    monkeypatch.setitem(sys.modules, "python_calamine", None)
    with pytest.raises(ImportError, match=r"python_calamine: install the excel extra"):
        read_workbook(tmp_path / "x.xlsx")


def test_cell_problems_are_problems_with_a_location() -> None:
    p = CellProblem(sheet="my gifts", row=3, column=None, path=(), code="x", message="m")
    assert p.location == "'my gifts'!3:3"
    assert CellProblem(sheet="s", path=(), code="x", message="m").location == "s"


def test_a_cell_too_long_for_excel_is_refused_by_name(tmp_path: Path) -> None:
    # No valid record holds a text this long any more (text caps, issue 18): the writer's
    # own check is the second line of defence, so the record is forced past its validators.
    long = gift("g1", platform=None)
    object.__setattr__(long, "receipt_number", "R" * 40_000)
    with pytest.raises(ValueError, match=r"Donation 'g1'.*'receipt_number'.*32,767"):
        write_workbook(Dataset(donations=(long,)), tmp_path / "g.xlsx")


# -- templates -------------------------------------------------------------------------------------


def test_a_template_is_empty_sheets_with_lists_and_instructions(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_template(["捐赠", "persons"], path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, "donations", "persons"]
    assert wb["donations"].max_row == 1
    assert any(dv.type == "list" for dv in wb["persons"].data_validations.dataValidation)
    read = read_workbook(path)
    assert (read.ok, read.rows, read.dataset.size()) == (True, 0, 0)
    wb["donations"].append(["g1", "qj", date(2020, 1, 5), 100])
    wb.save(path)
    assert read_workbook(path).dataset.donations == (gift("g1"),)


def test_a_template_of_every_collection_and_an_unknown_name(tmp_path: Path) -> None:
    path = tmp_path / "all.xlsx"
    write_template(None, path)
    assert len(openpyxl.load_workbook(path, read_only=True).sheetnames) == 1 + len(
        Dataset.collection_types()
    )
    assert read_workbook(path).ok
    with pytest.raises(KeyError, match="'gifts' is not a collection"):
        write_template("gifts", path)


# -- tables and the report -------------------------------------------------------------------------


def test_a_table_in_wan_yuan_keeps_exact_cells_with_a_format_and_its_notes(tmp_path: Path) -> None:
    t = Table(
        columns=[
            Column("year", "period", key=True),
            Column("raised", "money", currency="CNY"),
            Column("share", "ratio"),
            Column("=gifts", "integer"),
        ],
        rows=[
            (Period.year(2019), Money("3877990.00"), Decimal("0.25"), 3),
            (Period.year(2020), Money("9893200.00"), Decimal("0.75"), None),
        ],
        title="Raised by year",
        notes=["counts below 5 are left blank, with the cells that would give them away"],
        money_unit="万元",
    )
    path = tmp_path / "t.xlsx"
    write_table(t, path, sheet="raised")
    ws = openpyxl.load_workbook(path)["raised"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0][0] == "Raised by year"
    assert rows[1] == ["year", "raised (万元)", "share", "=gifts"]
    assert ws["D2"].data_type == "s"
    assert rows[2] == ["2019", 387.799, 0.25, 3]
    assert rows[3] == ["2020", 989.32, 0.75, None]  # the suppressed count stays empty
    assert ws["B3"].number_format == "#,##0.00"
    assert ws["C3"].number_format == "0.00%"
    assert ws.freeze_panes == "A3"
    texts = [r[0] for r in rows[4:]]
    assert texts[0].startswith("note: counts below 5 are left blank")
    assert any("rounded half-up to two decimals" in (x or "") for x in texts)


def test_several_tables_get_a_sheet_each_with_their_findings(tmp_path: Path) -> None:
    ds = Dataset(
        donors=(Donor(id="d1", kind=DonorKind.INDIVIDUAL, name="张三"),),
        donations=(gift("g1", donor_id="d1", channel="online_platform", platform="轻松筹",
                        receipt_number=None, no_receipt_reason="not_requested"),),
    )  # fmt: skip
    a = fundraising_summary(ds, 2020)
    path = tmp_path / "t.xlsx"
    write_table([a, a.with_title("again")], path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Raised by donor kind, 2020", "again"]
    texts = [c.value for row in wb["again"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("1 finding (1 error)") for t in texts)
    assert any(t.startswith("ERROR integrity.missing-reference [g1]") for t in texts)


def test_the_annual_report_has_a_cover_and_a_sheet_per_summary(tmp_path: Path) -> None:
    ds = Dataset(
        organizations=(
            Organization(id="qj", name="曲靖市红十字会", level=OrgLevel.CITY),
            Organization(id="km", name="昆明市红十字会", level=OrgLevel.CITY),
        ),
        donations=(gift("g1", value=Money("50000"), receipt_number="R1"),
                   gift("g2", organization_id="km", receipt_number="R2")),
    )  # fmt: skip
    path = tmp_path / "report.xlsx"
    write_report(ds, path, organization="qj", period=2020)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "year at a glance",
        "fundraising",
        "fundraising by channel",
        "top donors",
        "campaigns",
        "relief",
        "medical aid",
        "projects",
        "results",
        "seed funds",
    ]
    cover = [c.value for row in wb["year at a glance"].iter_rows() for c in row if c.value]
    assert cover[0] == "曲靖市红十字会: annual report, 2020"
    assert any(str(v).startswith("募捐款物5万元，1笔") for v in cover)
    raised = [[c.value for c in row] for row in wb["fundraising"].iter_rows()]
    assert raised[1][:2] == ["donor kind", "raised (万元)"]
    assert raised[2][1] == 5  # only qj's gift: km's is another society's


def test_a_count_typed_with_full_width_digits_is_an_invalid_integer(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "households"
    wb.active.append(["id", "members"])
    wb.active.append(["h1", "３"])
    wb.active.append(["h2", 3])
    read = read_workbook(_save(wb, tmp_path / "h.xlsx"))
    assert where(read) == [("households!B2", "invalid-integer")]
    assert [h.members for h in read.dataset.households] == [3]


def test_a_report_of_an_unknown_organisation_names_the_nearest(tmp_path: Path) -> None:
    ds = Dataset(organizations=(Organization(id="qujing", name="曲靖", level=OrgLevel.CITY),))
    with pytest.raises(KeyError, match="did you mean 'qujing'"):
        write_report(ds, tmp_path / "r.xlsx", organization="qujin", period=2020)
