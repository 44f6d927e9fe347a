"""Excel workbooks in and out: datasets, data-entry templates, tables and the annual report.

A data officer keeps the year in Excel; this module is the door between those workbooks
and the records (extra ``excel``: ``pip install 'humanaid[excel]'``, which brings
openpyxl to write and python-calamine to read).

* :func:`write_workbook` writes a :class:`~humanaid.Dataset` as one sheet per collection
  that has records, after an instruction sheet (``说明``). The columns are those of the
  CSV mapping (:meth:`humanaid.io.CsvSchema.for_type`): money as numbers with a ``0.00``
  format beside a ``currency`` column, dates as Excel dates, enums with a drop-down list,
  personal-data columns marked with an orange header and a comment.
* :func:`read_workbook` reads such a workbook back (or one typed by hand, with English or
  Chinese headers) into a dataset and **every** problem, each located by sheet, row,
  column and cell (``donations!C8``). The habits of Excel that spoil data are caught with
  a hint: ID numbers stored as numbers (``1.10105E+17``: the last digits are gone), dates
  as serial numbers or text, formulas never calculated, error cells, merged cells,
  hidden sheets, and numbers typed with full-width digits or ``万``.
* :func:`write_template` writes empty sheets for data entry, with the drop-down lists,
  date checks and the instruction sheet.
* :func:`write_table` writes any :class:`~humanaid.Table` as a formatted sheet, and
  :func:`write_report` an organisation's whole year: the year at a glance and every
  summary of :mod:`humanaid.summaries`, a sheet each.

Each row goes through the CSV reader's own machinery (:mod:`humanaid.io`), so a row of a
sheet obeys exactly the rules a row of a CSV file, and a JSON document, obey.

>>> import tempfile, os
>>> from datetime import date
>>> from humanaid import Dataset, Donation, Money
>>> ds = Dataset(donations=[Donation(id="g1", organization_id="qj",
...                                  received_on=date(2020, 1, 5), value=Money("100"))])
>>> path = os.path.join(tempfile.mkdtemp(), "year.xlsx")
>>> write_workbook(ds, path)
>>> read = read_workbook(path)
>>> read.ok, read.dataset == ds
(True, True)
"""

from __future__ import annotations

import contextlib
import enum
import functools
import html
import importlib
import inspect
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from xml.etree import ElementTree

import attrs

from humanaid._extras import missing_extra
from humanaid._formulas import runs_as_formula
from humanaid._text import display_width
from humanaid.dataset import Dataset
from humanaid.errors import InvalidInput, Problem
from humanaid.findings import Findings
from humanaid.funds import Boundary, PartyKind
from humanaid.io import (
    CsvColumnKind,
    CsvProblem,
    CsvSchema,
    _Reader,
    _resolve,
    _Scalar,
    _unescape,
    _Writer,
)
from humanaid.money import DEFAULT_CURRENCY, Money
from humanaid.periods import Period
from humanaid.table import Column, ColumnKind, Table, _money_header, _scaled

__all__ = [
    "INSTRUCTIONS_SHEET",
    "CellProblem",
    "WorkbookRead",
    "read_workbook",
    "write_report",
    "write_table",
    "write_template",
    "write_workbook",
]

INSTRUCTIONS_SHEET: Final = "说明"
"""The name of the instruction sheet the writers put first; the reader skips it."""

Progress = Callable[[int, int | None], None]
"""``progress(done, total)``: rows done so far, and all rows (``None`` when unknown)."""

_MAX_ROWS: Final = 1_048_576
_MAX_TEXT: Final = 32_767
_EXACT_DIGITS: Final = 15  # what Excel keeps of a number
_PROGRESS_EVERY: Final = 1_000
_MAX_LIST: Final = 255  # characters of an inline drop-down list
_ILLEGAL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what a cell cannot hold

# Colours: the header row, and the header of a column of personal data.
_HEADER_FILL: Final = "DDEBF7"
_PII_FILL: Final = "F8CBAD"
_NOTE_FONT_COLOR: Final = "595959"

# -- Chinese names ----------------------------------------------------------------------------

_COLLECTION_NAMES_ZH: Final[Mapping[str, str]] = {
    "organizations": "机构",
    "admin_areas": "行政区划",
    "donors": "捐赠人",
    "donations": "捐赠",
    "pledges": "认捐",
    "campaigns": "募捐活动",
    "funds": "基金",
    "flows": "资金流向",
    "persons": "人员",
    "households": "家庭",
    "cases": "救助个案",
    "screenings": "筛查",
    "distributions": "发放",
    "programs": "项目计划",
    "projects": "项目",
    "indicators": "指标",
    "indicator_values": "指标值",
    "revolving_funds": "互助资金",
    "loans": "借款",
    "repayments": "还款",
    "write_offs": "核销",
    "reported_figures": "公布数字",
}

_FIELD_NAMES_ZH: Final[Mapping[str, str]] = {
    "id": "编号",
    "name": "名称",
    "kind": "类型",
    "level": "级别",
    "parent_id": "上级编号",
    "area_id": "地区编号",
    "founded_on": "成立日期",
    "qualifications": "资质",
    "governance": "治理",
    "public_name": "公开名称",
    "phone": "电话",
    "email": "电子邮箱",
    "address": "地址",
    "organization_id": "机构编号",
    "registered_on": "登记日期",
    "received_on": "接收日期",
    "value": "金额",
    "currency": "币种",
    "donor_id": "捐赠人编号",
    "form": "形式",
    "items": "物资明细",
    "fees": "手续费",
    "channel": "渠道",
    "platform": "平台",
    "fund_id": "基金编号",
    "campaign_id": "活动编号",
    "pledge_id": "认捐编号",
    "restricted_to": "限定",
    "project_id": "项目编号",
    "purpose": "用途",
    "receipt_number": "票据号",
    "no_receipt_reason": "未开票原因",
    "pledged_on": "认捐日期",
    "amount": "金额",
    "due_on": "到期日期",
    "installments": "分期",
    "organizer_id": "主办机构编号",
    "period": "期间",
    "start": "开始",
    "end": "结束",
    "host_id": "承办机构编号",
    "public": "公开募捐",
    "target": "目标",
    "sponsor_id": "冠名方编号",
    "project_ids": "项目编号列表",
    "purposes": "用途列表",
    "opened_on": "设立日期",
    "source": "来源",
    "destination": "去向",
    "on": "日期",
    "in_kind": "实物",
    "origin": "出处",
    "collection": "集合",
    "note": "备注",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "household_id": "家庭编号",
    "location": "位置",
    "pseudonyms": "化名",
    "head_id": "户主编号",
    "members": "人口",
    "flags": "标记",
    "person_id": "人员编号",
    "condition": "病情",
    "program_id": "项目计划编号",
    "hospital_id": "医院编号",
    "approved": "批准金额",
    "paid": "已付金额",
    "history": "记录",
    "outcome": "结果",
    "site_id": "地点编号",
    "round": "轮次",
    "stated_budget": "公布预算",
    "stated_projects": "公布项目数",
    "stated_batches": "公布批数",
    "batches": "批次列表",
    "batch": "批次",
    "budget": "预算",
    "status": "状态",
    "funding": "资金来源",
    "unit": "单位",
    "aggregation": "汇总方式",
    "description": "说明",
    "indicator_id": "指标编号",
    "disaggregation": "分组",
    "age_group": "年龄组",
    "terms": "条款",
    "principal": "本金",
    "disbursed_on": "发放日期",
    "borrower_id": "借款人编号",
    "reschedules": "展期",
    "loan_id": "借款编号",
    "paid_on": "还款日期",
    "reason": "原因",
    "subject": "事项",
    "stated": "公布数",
    "part_of": "所属",
}
# Where one field name means another thing in one record.
_FIELD_NAMES_ZH_BY_TYPE: Final[Mapping[tuple[str, str], str]] = {
    ("Person", "name"): "姓名",
    ("Donor", "name"): "姓名或名称",
    ("IndicatorValue", "value"): "数值",
    ("IndicatorValue", "target"): "目标值",
    ("Campaign", "target"): "目标金额",
    ("ReportedFigure", "source"): "资料来源",
    ("Distribution", "value"): "价值",
}


def _header_zh(record_type: type, header: str) -> str | None:
    """The Chinese name of a default header (``restricted_to.purpose`` -> ``限定.用途``)."""
    parts = header.split(".")
    out = []
    for i, part in enumerate(parts):
        name = _FIELD_NAMES_ZH_BY_TYPE.get((record_type.__name__, part)) if i == 0 else None
        name = name or _FIELD_NAMES_ZH.get(part)
        if name is None:
            return None
        out.append(name)
    return ".".join(out)


# -- optional imports ------------------------------------------------------------------------


def _import(module: str, what: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise missing_extra(what, module.split(".")[0], "excel") from exc


def _openpyxl() -> Any:
    return _import("openpyxl", "writing Excel workbooks")


# -- problems and results ----------------------------------------------------------------------


def _column_letter(index: int) -> str:
    """``A`` for 1, ``Z`` for 26, ``AA`` for 27."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@attrs.frozen(kw_only=True)
class CellProblem(Problem):
    """A problem in a workbook: its sheet, row, column and cell, and where in the record.

    Attributes:
        sheet: the sheet's name.
        row: the row number Excel shows (the header is usually row 1), or ``None`` for a
            problem with the whole sheet (a hidden sheet, an unknown one).
        column: the column's header as the sheet has it (``金额`` or ``value``), or
            ``None`` for a problem with the whole row or sheet.
        cell: the cell, such as ``C8``, or ``None`` when there is no single cell.
        path: where in the record the problem lies, as in :class:`~humanaid.Problem`.
        code: a stable code (:data:`humanaid.ERROR_CODES`): those of the CSV reader
            (``missing``, ``invalid-date``, ``unknown-column`` ...) and the workbook's own:
            ``lost-digits``, ``date-serial``, ``date-text``, ``formula-without-value``,
            ``error-cell``, ``merged-cells``, ``hidden-sheet``, ``unknown-sheet``,
            ``duplicate-sheet``, ``invalid-workbook``.
        message: a sentence for a person, with a hint where Excel caused the problem.
        got: the cell as read (``repr``), or ``None`` for personal data.

    >>> p = CellProblem(sheet="donations", row=8, column="value", cell="C8", path=("value",),
    ...                 code="invalid-amount", message="is not an amount", got="'1.5万'")
    >>> p.location
    'donations!C8'
    >>> print(p)
    donations!C8, column 'value': is not an amount (got '1.5万')
    """

    sheet: str
    row: int | None = None
    column: str | None = None
    cell: str | None = None

    @property
    def location(self) -> str:
        """``donations!C8``; ``donations!8:8`` for a whole row; ``donations`` for the sheet."""
        sheet = self.sheet
        if sheet and not re.fullmatch(r"\w+", sheet):
            sheet = "'" + sheet.replace("'", "''") + "'"
        if self.cell is not None:
            return f"{sheet}!{self.cell}"
        if self.row is not None:
            return f"{sheet}!{self.row}:{self.row}"
        return sheet

    def __str__(self) -> str:
        where = self.location
        if self.column is not None:
            where += f", column {self.column!r}"
        got = f" (got {self.got})" if self.got is not None else ""
        return f"{where}: {self.message}{got}"


@attrs.frozen(kw_only=True, repr=False)
class WorkbookRead:
    """What :func:`read_workbook` found: the dataset of the good rows and every problem.

    Attributes:
        dataset: the records of every row without problems, by collection.
        problems: every problem, sheet by sheet, in the order of the rows.
        rows: how many data rows were read (not counting headers and blank rows).
    """

    dataset: Dataset
    problems: tuple[CellProblem, ...]
    rows: int

    @property
    def ok(self) -> bool:
        """Whether the workbook had no problems at all."""
        return not self.problems

    def __repr__(self) -> str:
        n = len(self.problems)
        return f"WorkbookRead({self.dataset!r} from {self.rows} rows, {n} problems)"


# -- the columns of a sheet ------------------------------------------------------------------


class _Kind(enum.Enum):
    TEXT = "text"
    LIST = "list"  # a tuple or set of plain values in one cell
    JSON = "json"
    PARTY = "party"
    INT = "int"
    BOOL = "bool"
    DATE = "date"
    DECIMAL = "decimal"
    ENUM = "enum"
    AMOUNT = "amount"
    CURRENCY = "currency"


_SAYS: Final[Mapping[_Kind, str]] = {
    _Kind.TEXT: "text",
    _Kind.LIST: "several values separated by ;",
    _Kind.JSON: "JSON text (as humanaid writes it)",
    _Kind.PARTY: "a party written kind:id, such as fund:f1",
    _Kind.INT: "a whole number",
    _Kind.BOOL: "TRUE or FALSE",
    _Kind.DATE: "a date",
    _Kind.DECIMAL: "a number",
    _Kind.ENUM: "one of the list",
    _Kind.AMOUNT: "an amount, a number in the currency of the currency column",
    _Kind.CURRENCY: "a currency code such as CNY (CNY when empty)",
}
_WIDTHS: Final[Mapping[_Kind, float]] = {
    _Kind.DATE: 12,
    _Kind.AMOUNT: 15,
    _Kind.CURRENCY: 9,
    _Kind.INT: 9,
    _Kind.BOOL: 8,
    _Kind.JSON: 40,
    _Kind.LIST: 24,
}


@attrs.frozen
class _Col:
    header: str
    alias: str | None
    kind: _Kind
    field: str
    required: bool
    pii: bool
    escaped: bool  # the CSV writer puts an apostrophe before a formula-like text
    choices: tuple[str, ...] = ()


@attrs.frozen
class _Sheet:
    """How the records of one type become the columns of a sheet, and back."""

    record_type: type
    schema: CsvSchema[Any]
    columns: tuple[_Col, ...]
    docs: Mapping[str, str]

    @functools.cached_property
    def by_header(self) -> Mapping[str, _Col]:
        return {c.header: c for c in self.columns}

    @functools.cached_property
    def aliases(self) -> Mapping[str, str]:
        """Chinese header -> the header the schema knows (only names no column shares)."""
        taken = set(self.by_header)
        seen: dict[str, list[str]] = {}
        for c in self.columns:
            if c.alias is not None and c.alias not in taken:
                seen.setdefault(c.alias, []).append(c.header)
        return {alias: headers[0] for alias, headers in seen.items() if len(headers) == 1}


def _field_docs(cls: type) -> dict[str, str]:
    """Each field's line in the ``Attributes:`` section of the class docstring."""
    doc = inspect.getdoc(cls) or ""
    out: dict[str, str] = {}
    inside = False
    current: str | None = None
    for line in doc.splitlines():
        if line.strip() == "Attributes:":
            inside = True
            continue
        if not inside:
            continue
        if line and not line.startswith(" "):
            break
        m = re.match(r"    (\w+)(?: \([^)]*\))?: (.*)", line)
        if m:
            current = m.group(1)
            out[current] = m.group(2).strip()
        elif current is not None and line.startswith("        "):
            out[current] += " " + line.strip()
        elif not line.strip():
            current = None
    return {k: re.sub(r"``|:\w+:`~?([^`]*)`", r"\1", v) for k, v in out.items()}


def _column_of(
    p: Any, zh: str | None, kind: _Kind, escaped: bool, choices: tuple[str, ...] = ()
) -> _Col:
    return _Col(
        p.column.header,
        zh,
        kind,
        field=p.column.field,
        required=p.required,
        pii=p.pii,
        escaped=escaped,
        choices=choices,
    )


@functools.cache
def _sheet_of(record_type: type) -> _Sheet:
    schema: CsvSchema[Any] = CsvSchema.for_type(record_type)
    columns: list[_Col] = []
    seen: set[str] = set()

    def add(col: _Col) -> None:
        if col.header not in seen:
            seen.add(col.header)
            columns.append(col)

    for p in schema._plans:
        c = p.column
        zh = _header_zh(record_type, c.header)

        col = functools.partial(_column_of, p, zh)

        if c.kind is CsvColumnKind.MONEY:
            add(col(_Kind.AMOUNT, False))
            if c.currency_header is not None:
                currency_zh = _header_zh(record_type, c.currency_header)
                add(
                    _Col(
                        c.currency_header,
                        currency_zh,
                        _Kind.CURRENCY,
                        field=c.field,
                        required=False,
                        pii=p.pii,
                        escaped=False,
                    )
                )
        elif c.kind is CsvColumnKind.PARTY:
            add(col(_Kind.PARTY, p.text))
        elif c.kind is CsvColumnKind.JSON:
            add(col(_Kind.JSON, True))
        elif p.many:
            add(col(_Kind.LIST, p.scalar is _Scalar.TEXT))
        else:
            kind, choices = _value_kind(record_type, p.path, p.scalar)
            add(col(kind, kind is _Kind.TEXT, choices))
    headers = [c.header for c in columns]
    if tuple(headers) != schema.headers:  # the writer's cells are in the schema's order
        raise AssertionError(f"columns of {record_type.__name__} out of order: {headers}")
    return _Sheet(record_type, schema, tuple(columns), _field_docs(record_type))


def _value_kind(
    record_type: type, path: tuple[str, ...], scalar: _Scalar | None
) -> tuple[_Kind, tuple[str, ...]]:
    if scalar is _Scalar.INT:
        return _Kind.INT, ()
    if scalar is _Scalar.BOOL:
        return _Kind.BOOL, ()
    if scalar is _Scalar.DATE:
        return _Kind.DATE, ()
    if scalar is _Scalar.PLAIN:
        t, _, _ = _resolve(record_type, path)
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return _Kind.ENUM, tuple(str(m.value) for m in t)
        return _Kind.DECIMAL, ()
    return _Kind.TEXT, ()


def _collection_types(cls: type[Dataset]) -> dict[str, type]:
    if not (isinstance(cls, type) and issubclass(cls, Dataset)):
        raise TypeError(f"'cls' must be Dataset or a subclass of it (got {cls!r})")
    return cls.collection_types()


# -- writing a dataset -----------------------------------------------------------------------


def _is_exact_float(d: Decimal) -> bool:
    """Whether ``d`` is a number Excel holds exactly (it keeps 15 significant digits)."""
    if not d.is_finite():
        return False
    digits = len(d.normalize().as_tuple().digits)
    return digits <= _EXACT_DIGITS and Decimal(repr(float(d))) == d


_Cell = tuple[str | None, str | None, str]
"""A cell of a record's row: its style id, its type (``t``) and its value as text."""


class _SheetWriter:
    """Writes the records of one type into a write-only sheet.

    The header goes through openpyxl's cells (fonts, fills, comments, drop-down lists);
    the rows of records, which are most of a workbook, are written as XML text into the
    sheet file openpyxl wrote (:meth:`fill`), with the style ids openpyxl gave their
    number formats. Through openpyxl's cells a donation took 372 µs, as text 134 µs
    (``benchmarks/excel.py``, N = 20,000).
    """

    def __init__(self, opx: Any, ws: Any, sheet: _Sheet) -> None:
        self.opx = opx
        self.ws = ws
        self.sheet = sheet
        self.writer = _Writer(sheet.schema)
        self.letters = [_column_letter(j) for j in range(1, len(sheet.columns) + 1)]
        self.styles: dict[str, str] = {}
        self.quoted = self._style(quote_prefix=True)
        self.day = self._style("yyyy-mm-dd")
        self.convert = [self._converter(i, c) for i, c in enumerate(sheet.columns)]
        self.to_excel = importlib.import_module("openpyxl.utils.datetime").to_excel
        self.epoch = ws.parent.epoch

    def _style(self, number_format: str | None = None, *, quote_prefix: bool = False) -> str:
        """The style id of a number format (or of quoted text), registered once."""
        key = f"{number_format}|{quote_prefix}"
        found = self.styles.get(key)
        if found is None:
            cell = self.opx.cell.WriteOnlyCell(self.ws)
            if number_format is not None:
                cell.number_format = number_format
            if quote_prefix:
                cell.quotePrefix = True
            found = self.styles[key] = str(cell.style_id)
        return found

    def _text(self, i: int, text: str, record: Any) -> _Cell:
        if len(text) > _MAX_TEXT:
            raise ValueError(
                f"cannot write {_label(record)}: its {self.sheet.columns[i].header!r} "
                f"is {len(text):,} characters, more than an Excel cell holds ({_MAX_TEXT:,})"
            )
        if _ILLEGAL.search(text):
            raise ValueError(
                f"cannot write {_label(record)}: its {self.sheet.columns[i].header!r} holds "
                "a control character that an Excel cell cannot hold"
            )
        if not text[:1].isalnum() and runs_as_formula(text):
            # Stored as text with Excel's own quote prefix: shown as typed, never run,
            # and kept as text when someone edits the cell.
            return (self.quoted, "inlineStr", text)
        return (None, "inlineStr", text)

    def _converter(self, i: int, col: _Col) -> Callable[[str, Any], _Cell]:
        kind = col.kind
        if kind in (_Kind.TEXT, _Kind.JSON, _Kind.LIST, _Kind.PARTY):
            if col.escaped:
                return lambda text, record: self._text(i, _unescape(text), record)
            return lambda text, record: self._text(i, text, record)
        if kind is _Kind.INT:

            def whole(text: str, record: Any) -> _Cell:
                if abs(int(text)) < 10**_EXACT_DIGITS:
                    return (None, None, text)
                return self._text(i, text, record)

            return whole
        if kind is _Kind.BOOL:
            return lambda text, record: (None, "b", "1" if text == "true" else "0")
        if kind is _Kind.DATE:

            def day(text: str, record: Any) -> _Cell:
                serial = self.to_excel(date.fromisoformat(text), self.epoch)
                return (self.day, None, str(serial))

            return day
        if kind in (_Kind.DECIMAL, _Kind.AMOUNT):
            money = kind is _Kind.AMOUNT

            def number(text: str, record: Any) -> _Cell:
                if " " in text:  # a parsed column writing another currency: keep the text
                    return self._text(i, text, record)
                d = Decimal(text)
                if not _is_exact_float(d):
                    return self._text(i, text, record)
                _, _, frac = text.partition(".")
                zeros = "." + "0" * len(frac) if frac else ""
                style = self._style(f"#,##0{zeros}" if money else f"0{zeros}")
                return (style, None, text)

            return number
        return lambda text, record: (None, "inlineStr", text)  # enum values, currency codes

    def fill(self, records: Sequence[Any], tick: Callable[[], None]) -> None:
        """Write the rows of ``records`` under the header, into the closed sheet's file.

        openpyxl has written the sheet with its header (and closed it); its rows go in
        before ``</sheetData>`` as the XML text :meth:`row` makes, and the sheet's
        dimension is set to them.
        """
        writer = self.ws._writer
        path = writer.out
        with open(path, "rb") as f:
            xml = f.read()
        head, end, tail = xml.partition(b"</sheetData>")
        if not end:
            raise AssertionError("openpyxl wrote a sheet without </sheetData>")
        last = f"{self.letters[-1]}{len(records) + 1}"
        head = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:{last}"/>'.encode(), head)
        with open(path, "wb") as f:
            f.write(head)
            lines: list[str] = []
            for r, record in enumerate(records, 2):
                lines.append(self.row(record, r))
                tick()
                if len(lines) >= _PROGRESS_EVERY:
                    f.write(_encode(lines, records))
                    lines.clear()
            f.write(_encode(lines, records))
            f.write(end)
            f.write(tail)

    def header(self) -> None:
        opx = self.opx
        styles = opx.styles
        bold = styles.Font(bold=True)
        fill = styles.PatternFill("solid", fgColor=_HEADER_FILL)
        pii_fill = styles.PatternFill("solid", fgColor=_PII_FILL)
        ws = self.ws
        ws.freeze_panes = "A2"
        cells = []
        for j, col in enumerate(self.sheet.columns, 1):
            letter = _column_letter(j)
            width = max(display_width(col.header) + 2, _WIDTHS.get(col.kind, 14))
            ws.column_dimensions[letter].width = min(width, 60)
            cell = opx.cell.WriteOnlyCell(ws, value=col.header)
            cell.font = bold
            cell.fill = pii_fill if col.pii else fill
            note = _column_note(self.sheet, col)
            cell.comment = opx.comments.Comment(note, "humanaid", width=300, height=140)
            cells.append(cell)
            self._validation(col, letter)
        ws.append(cells)

    def _validation(self, col: _Col, letter: str) -> None:
        dv_type = self.opx.worksheet.datavalidation.DataValidation
        where = f"{letter}2:{letter}{_MAX_ROWS}"
        dv: Any = None
        if col.kind is _Kind.ENUM and col.choices:
            listed = ",".join(col.choices)
            if len(listed) + 2 <= _MAX_LIST:
                dv = dv_type(type="list", formula1=f'"{listed}"', allow_blank=True)
                dv.error = f"must be one of: {', '.join(col.choices)}"
        elif col.kind is _Kind.BOOL:
            dv = dv_type(type="list", formula1='"TRUE,FALSE"', allow_blank=True)
            dv.error = "must be TRUE or FALSE"
        elif col.kind is _Kind.DATE:
            dv = dv_type(type="date", operator="greaterThan", formula1="1", allow_blank=True)
            dv.error = "must be a date, such as 2020-01-05"
        if dv is None:
            return
        dv.errorTitle = col.header
        dv.showErrorMessage = True
        dv.add(where)
        self.ws.data_validations.append(dv)

    def row(self, record: Any, r: int) -> str:
        """The ``<row>`` element of one record, as XML text."""
        texts = self.writer.row(record)
        convert = self.convert
        letters = self.letters
        at = str(r)
        parts = [f'<row r="{at}">']
        for i, t in enumerate(texts):
            if not t:
                continue
            style, kind, text = convert[i](t, record)
            attributes = f'r="{letters[i]}{at}"'
            if style is not None:
                attributes += f' s="{style}"'
            if kind == "inlineStr":
                space = ' xml:space="preserve"' if text != text.strip() else ""
                parts.append(
                    f'<c {attributes} t="inlineStr"><is><t{space}>{_xml(text)}</t></is></c>'
                )
            elif kind is not None:
                parts.append(f'<c {attributes} t="{kind}"><v>{text}</v></c>')
            else:
                parts.append(f"<c {attributes}><v>{text}</v></c>")
        parts.append("</row>")
        return "".join(parts)


def _xml(text: str) -> str:
    """Text escaped for an XML element (a carriage return kept as ``&#13;``)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


def _encode(lines: list[str], records: Sequence[Any]) -> bytes:
    try:
        return "".join(lines).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "cannot write a record: its text holds a lone surrogate, which is not Unicode "
            "text a workbook can hold"
        ) from None


def _label(record: Any) -> str:
    ident = getattr(record, "id", None)
    name = type(record).__name__
    return f"{name} {ident!r}" if isinstance(ident, str) else f"a {name}"


def _column_note(sheet: _Sheet, col: _Col) -> str:
    parts = [f"{col.header}" + (f" ({col.alias})" if col.alias else "")]
    what = _SAYS[col.kind]
    if col.kind is _Kind.ENUM:
        what = "one of: " + ", ".join(col.choices)
    parts.append(what)
    if col.required:
        parts.append("required")
    if col.pii:
        parts.append("PERSONAL DATA: keep this file safe; leave the column out when sharing")
    doc = sheet.docs.get(col.field.split(".")[0])
    if doc and col.kind is not _Kind.CURRENCY:
        parts.append(doc)
    return "\n".join(parts)


def _write_instructions(opx: Any, ws: Any, sheets: Sequence[tuple[str, _Sheet]]) -> None:
    bold = opx.styles.Font(bold=True)
    big = opx.styles.Font(bold=True, size=13)
    pii_fill = opx.styles.PatternFill("solid", fgColor=_PII_FILL)
    widths = (18, 24, 16, 34, 9, 13, 70)
    for j, w in enumerate(widths, 1):
        ws.column_dimensions[_column_letter(j)].width = w

    def line(*values: Any, font: Any = None, fill: Any = None) -> None:
        cells = []
        for v in values:
            cell = opx.cell.WriteOnlyCell(ws, value=v)
            if isinstance(v, str) and runs_as_formula(v):
                cell.data_type = "s"
                cell.quotePrefix = True
            if font is not None:
                cell.font = font
            if fill is not None:
                cell.fill = fill
            cells.append(cell)
        ws.append(cells)

    line("说明 / How to fill in this workbook", font=big)
    for text in (
        "Each sheet holds one collection of records; its name is the collection's "
        "(donations, or in Chinese 捐赠). Row 1 is the header: English or Chinese names, "
        "as listed below. One record a row; blank rows are skipped.",
        "Money: type the amount as a number (1234.50, never 1.5万 or full-width digits) "
        "and its currency code in the currency column (CNY when empty).",
        "Dates: type them as Excel dates (2020-01-05). ID numbers, phones and other long "
        "numbers: format the column as Text first, or Excel keeps only 15 digits.",
        "Columns with an orange header hold personal data: keep the file safe, and leave "
        "those columns out before sharing it.",
        "Do not merge cells, hide sheets or leave formulas uncalculated: the reader "
        "reports each of them with the cell it is in.",
    ):
        line(text)
    line()
    line(
        "sheet",
        "column",
        "中文",
        "holds",
        "required",
        "personal data",
        "what it means",
        font=bold,
    )
    for name, sheet in sheets:
        title = f"{name} ({_COLLECTION_NAMES_ZH[name]})" if name in _COLLECTION_NAMES_ZH else name
        for col in sheet.columns:
            holds = _SAYS[col.kind]
            if col.kind is _Kind.ENUM:
                holds = "one of: " + ", ".join(col.choices)
            doc = sheet.docs.get(col.field.split(".")[0], "")
            if col.kind is _Kind.CURRENCY:
                doc = f"the currency of {col.field}" if "." not in col.header else doc
            line(
                title,
                col.header,
                col.alias or "",
                holds,
                "yes" if col.required else "",
                "PERSONAL" if col.pii else "",
                doc,
                fill=pii_fill if col.pii else None,
            )


def _write_path(path: str | os.PathLike[str]) -> str:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"'path' must be a path to an .xlsx file (got {type(path).__name__})")
    return os.fspath(path)


def write_workbook(
    dataset: Dataset, path: str | os.PathLike[str], *, progress: Progress | None = None
) -> None:
    """Write a dataset as an Excel workbook: one sheet per collection that has records.

    The first sheet, ``说明``, says what every column holds, which are required and which
    hold personal data. Each collection's sheet has the columns of its CSV mapping
    (:meth:`humanaid.io.CsvSchema.for_type`) with the header frozen; money is a number
    with a ``#,##0.00`` format (the currency's places) and the currency in the
    ``currency`` column; dates are Excel dates; enum columns have a drop-down list; a
    personal-data column has an orange header and a comment saying so. Text that a
    spreadsheet would run as a formula (``=1+2``, ``＋86 ...``) is stored as text with
    Excel's quote prefix, so it is shown as typed and never run. A number Excel cannot
    hold exactly (more than 15 digits) is written as text, so nothing is rounded.

    Sheets are written as a stream (openpyxl's write-only mode): a million rows take the
    memory of the dataset, not of the workbook. A sheet holds at most 1,048,575 records.

    Args:
        dataset: the records; any :class:`~humanaid.Dataset` (or subclass).
        path: the ``.xlsx`` file to write (replaced if it exists).
        progress: called as ``progress(done, total)`` every thousand records and at the
            end.

    Raises:
        ValueError: for a record a cell cannot hold (text longer than 32,767
            characters, more records than a sheet has rows, or what the CSV mapping
            refuses to write).
        ImportError: naming the ``excel`` extra when openpyxl is missing.
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(f"'dataset' must be a Dataset (got {type(dataset).__name__})")
    target = _write_path(path)
    opx = _openpyxl()
    types_ = type(dataset).collection_types()
    present = [(name, records) for name, records in dataset if records]
    for name, records in present:
        if len(records) >= _MAX_ROWS:
            raise ValueError(
                f"{name!r} has {len(records):,} records, more than an Excel sheet holds "
                f"({_MAX_ROWS - 1:,} below its header): write it as JSON Lines or a store"
            )
    sheets = [(name, _sheet_of(types_[name])) for name, _ in present]
    wb = opx.Workbook(write_only=True)
    if dataset.name:
        if _ILLEGAL.search(dataset.name):
            raise ValueError(
                "cannot write the dataset's name: it holds a control character, which a "
                "workbook's title cannot hold"
            )
        wb.properties.title = dataset.name
    _write_instructions(opx, wb.create_sheet(INSTRUCTIONS_SHEET), sheets)
    total = sum(len(r) for _, r in present)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done, total)

    try:
        for (name, records), (_, sheet) in zip(present, sheets, strict=True):
            ws = wb.create_sheet(name)
            w = _SheetWriter(opx, ws, sheet)
            w.header()
            ws.close()
            w.fill(records, tick)
    except BaseException:
        _abandon(wb)
        raise
    wb.save(target)
    if progress is not None:
        progress(done, total)


def _abandon(wb: Any) -> None:
    """Close the sheets of a write-only workbook that will not be saved, and their files.

    Left to the garbage collector, their half-written streams fail noisily later.
    """
    for ws in wb.worksheets:
        with contextlib.suppress(Exception):
            ws.close()
        writer = getattr(ws, "_writer", None)
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()  # the sheet's temporary file


def write_template(collections: str | Iterable[str] | None, path: str | os.PathLike[str]) -> None:
    """Write an empty workbook for data entry: a sheet per collection, ready to fill.

    Each sheet has the header row (frozen, personal-data columns in orange with a
    comment), a drop-down list on every enum and true/false column and a date check on
    every date column; the first sheet, ``说明``, says what each column means, which are
    required and which hold personal data. :func:`read_workbook` reads it back once
    filled.

    Args:
        collections: a collection name (``"donations"``, or its Chinese name ``"捐赠"``),
            several, or ``None`` for every collection of :class:`~humanaid.Dataset`.
        path: the ``.xlsx`` file to write.

    Raises:
        KeyError: naming the known collections, for a name that is none of them.

    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "gifts.xlsx")
    >>> write_template("donations", path)
    >>> read = read_workbook(path)
    >>> read.ok, read.rows
    (True, 0)
    """
    types_ = Dataset.collection_types()
    if collections is None:
        names = list(types_)
    else:
        given = [collections] if isinstance(collections, str) else list(collections)
        names = []
        for name in given:
            found = _collection_named(str(name), types_)
            if found is None:
                known = ", ".join(types_)
                raise KeyError(f"{name!r} is not a collection (known: {known})")
            names.append(found)
    target = _write_path(path)
    opx = _openpyxl()
    sheets = [(name, _sheet_of(types_[name])) for name in dict.fromkeys(names)]
    wb = opx.Workbook(write_only=True)
    _write_instructions(opx, wb.create_sheet(INSTRUCTIONS_SHEET), sheets)
    for name, sheet in sheets:
        _SheetWriter(opx, wb.create_sheet(name), sheet).header()
    wb.save(target)


def _collection_named(name: str, types_: Mapping[str, type]) -> str | None:
    name = name.strip()
    if name in types_:
        return name
    for collection, zh in _COLLECTION_NAMES_ZH.items():
        if zh == name and collection in types_:
            return collection
    lower = name.casefold()
    for collection in types_:
        if collection.casefold() == lower:
            return collection
    return None


# -- reading a workbook ----------------------------------------------------------------------

_CELL_REF: Final = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_CELL_START: Final = re.compile(
    rb"<(?:\w+:)?c\s([^>]*?)(/?)>"
    rb"(?:(<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*</(?:\w+:)?f>)))?"
    rb"(?:<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>)?"
)
_ROW_END: Final = re.compile(rb"</(?:\w+:)?row>")
_DIMENSION: Final = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*[0-9]*:?[A-Z]*([0-9]+)"')
_CHUNK: Final = 1 << 22
_FULL_WIDTH: Final = re.compile("[\uff10-\uff19\uff0e\uff0c\uff0d\uff0b]")
_UNITS: Final = re.compile("[万亿元¥￥,，]")
_ISO_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_NUMBERISH: Final = re.compile(r"[\s0-9０-９.．,，+\-－＋万亿元¥￥]+")


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


@attrs.frozen
class _Hidden:
    """What the XML of a sheet says that the values do not: formulas and error cells."""

    formulas: Mapping[tuple[int, int], str]  # (row, column) -> formula, never calculated
    errors: Mapping[tuple[int, int], str]  # (row, column) -> #DIV/0! ...
    rows: int | None  # from the sheet's dimension, when it has one


def _scan(archive: zipfile.ZipFile, member: str) -> _Hidden:
    """Find formulas without a value and error cells, reading the XML as a stream."""
    formulas: dict[tuple[int, int], str] = {}
    errors: dict[tuple[int, int], str] = {}
    rows: int | None = None
    first = True
    carry = b""
    with archive.open(member) as f:
        while True:
            chunk = f.read(_CHUNK)
            data = carry + chunk
            if first:
                m = _DIMENSION.search(data[:4096])
                rows = int(m.group(1)) if m else None
                first = False
            if chunk:
                cut = None
                for cut_match in _ROW_END.finditer(data, max(len(data) - (1 << 20), 0)):
                    cut = cut_match.end()
                if cut is None:
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            if b"<f" in data or b"<x:f" in data or b't="e"' in data:
                _scan_cells(data, formulas, errors)
            if not chunk:
                break
    return _Hidden(formulas=formulas, errors=errors, rows=rows)


def _scan_cells(
    data: bytes, formulas: dict[tuple[int, int], str], errors: dict[tuple[int, int], str]
) -> None:
    for m in _CELL_START.finditer(data):
        attributes, closed, formula, value = m.groups()
        if closed or (formula is None and b't="e"' not in attributes):
            continue
        ref = _CELL_REF.search(attributes)
        if ref is None:
            continue
        where = (int(ref.group(2)), _column_index(ref.group(1)))
        text = value.decode("utf-8", "replace") if value is not None else ""
        if b't="e"' in attributes:
            errors[where] = text
        elif formula is not None and not text:
            body = re.sub(rb"^<[^>]*>|</[^>]*>$|^<[^>]*/>$", b"", formula)
            formulas[where] = "=" + html.unescape(body.decode("utf-8", "replace"))


def _sheet_members(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each sheet's name and the zip member holding its XML."""
    ns = {
        "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
        "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
        "p": "http://schemas.openxmlformats.org/package/2006/relationships",
    }
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", ns)}
    out: dict[str, str] = {}
    for s in book.findall("m:sheets/m:sheet", ns):
        target = targets.get(s.get(f"{{{ns['r']}}}id"), "")
        member = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[s.get("name", "")] = os.path.normpath(member).replace(os.sep, "/")
    return out


class _CellHazard(Exception):
    def __init__(self, code: str, message: str, *, show: bool = True) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.show = show


def _number_text(v: float) -> str:
    if v.is_integer() and abs(v) < 10**_EXACT_DIGITS:
        return str(int(v))
    return format(Decimal(repr(v)), "f")


_NUMBER_CODES: Final = {
    _Kind.AMOUNT: "invalid-amount",
    _Kind.INT: "invalid-integer",
    _Kind.DECIMAL: "invalid-decimal",
}


def _typed_text(text: str, kind: _Kind) -> str:
    """Text in a number or date column, refused with a hint where Excel habits show."""
    s = text.strip()
    if kind in (_Kind.AMOUNT, _Kind.INT, _Kind.DECIMAL) and s and _NUMBERISH.fullmatch(s):
        if _FULL_WIDTH.search(s):
            plain = unicodedata.normalize("NFKC", s)
            raise _CellHazard(
                _NUMBER_CODES[kind],
                f"is typed with full-width digits or signs; type it in half-width "
                f"digits ({plain}), as a number",
            )
        if _UNITS.search(s):
            raise _CellHazard(
                _NUMBER_CODES[kind],
                "holds a unit or separator (万, 元, ¥, a comma): type the whole number, "
                "such as 15000 for 1.5万, and let the cell's format show it",
            )
    if kind is _Kind.DATE and s and not _ISO_DATE.match(s):
        raise _CellHazard(
            "date-text",
            "is text, not a date: Excel did not take it for one; type it as a date "
            "(2020-01-05) or format the column as dates",
        )
    return s


def _cell_text(value: Any, col: _Col | None) -> str:
    """A value as calamine reads it, as the text the CSV reader takes for its column."""
    kind = col.kind if col is not None else _Kind.TEXT
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return _typed_text(value, kind) if kind is not _Kind.TEXT else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if kind is _Kind.DATE and value.time() != time(0):
            raise _CellHazard(
                "invalid-date",
                f"is a date with a time of day ({value.time().isoformat()}); a day is "
                "wanted: format the cell as a date without the time",
            )
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time | timedelta):
        raise _CellHazard("invalid", "is a time or a duration, not a value this column takes")
    if isinstance(value, int | float):
        v = float(value)
        if not math.isfinite(v):
            raise _CellHazard("not-finite", "is not a finite number")
        if kind is _Kind.DATE:
            day = _serial_day(v)
            shown = f" ({day.isoformat()} as a date)" if day is not None else ""
            raise _CellHazard(
                "date-serial",
                f"is the number {_number_text(v)}, not a date{shown}: Excel shows a "
                "date only in a cell formatted as one; format the column as dates",
            )
        if kind in _TEXT_KINDS and abs(v) >= 10**_EXACT_DIGITS:
            raise _CellHazard(
                "lost-digits",
                "is a number of more than 15 digits, so Excel has kept only the first "
                "15 and the rest are lost (an ID number shows as 1.10105E+17); format "
                "the column as Text and type the number again",
            )
        return _number_text(v)
    return str(value)


_TEXT_KINDS: Final = frozenset(
    {_Kind.TEXT, _Kind.PARTY, _Kind.LIST, _Kind.JSON, _Kind.ENUM, _Kind.CURRENCY}
)


def _serial_day(v: float) -> date | None:
    if not 1 <= v < 2_958_466:
        return None
    return date(1899, 12, 30) + timedelta(days=int(v))


class _SheetReader:
    """Reads the rows of one sheet against its record type, with the CSV row reader."""

    def __init__(self, name: str, sheet: _Sheet, hidden: _Hidden, merged: list[Any]) -> None:
        self.name = name
        self.sheet = sheet
        self.hidden = hidden
        self.reader: _Reader[Any] = _Reader(sheet.schema, "utf-8")
        self.problems: list[CellProblem] = []
        self.records: list[Any] = []
        self.rows = 0
        self.header_row: int | None = None
        self.cols: list[_Col | None] = []
        self.shown: dict[str, tuple[str, int]] = {}  # schema header -> (sheet's header, col)
        self.keep: list[int] = []
        self.unnamed: list[int] = []
        self.width = 0
        self.special = bool(hidden.errors or hidden.formulas or merged)
        self.merged_cells: set[tuple[int, int]] = set()
        for (r0, c0), (r1, c1) in merged or ():
            top = f"{_column_letter(c0 + 1)}{r0 + 1}"
            span = f"{top}:{_column_letter(c1 + 1)}{r1 + 1}"
            rows = f"row {r0 + 1}" if r0 == r1 else f"rows {r0 + 1} to {r1 + 1}"
            self.problems.append(
                CellProblem(
                    sheet=name,
                    row=r0 + 1,
                    column=None,
                    cell=top,
                    path=(),
                    code="merged-cells",
                    message=f"cells {span} are merged: only {top} holds a value and the "
                    f"others read as empty, so {rows} were not read; unmerge the cells "
                    "and fill each one",
                )
            )
            for r in range(r0 + 1, r1 + 2):
                for c in range(c0 + 1, c1 + 2):
                    self.merged_cells.add((r, c))

    def header(self, values: list[Any], row: int) -> None:
        self.header_row = row
        names = ["" if v is None else _number_text(v) if isinstance(v, float) else str(v).strip()
                 for v in values]  # fmt: skip
        # Columns without a header name (blank columns beside the table) are not read; a
        # value under one is reported in its row.
        self.keep = [j for j, n in enumerate(names, 1) if n]
        self.unnamed = [j for j, n in enumerate(names, 1) if not n]
        self.width = len(names)
        aliases = self.sheet.aliases
        known = self.sheet.by_header
        english = [n if n in known else aliases.get(n, n) for n in names if n]
        for j, shown, header in zip(self.keep, (n for n in names if n), english, strict=True):
            self.shown.setdefault(header, (shown, j))
        self.cols = [known.get(h) for h in english]
        for p in self.reader.read_header(english, row):
            self.problems.append(self._placed(p))

    def _placed(self, p: CsvProblem, row: int | None = None) -> CellProblem:
        shown, j = self.shown.get(p.column, (p.column, 0)) if p.column is not None else (None, 0)
        r = p.row if row is None else row
        return CellProblem(
            sheet=self.name,
            row=r,
            column=shown,
            cell=f"{_column_letter(j)}{r}" if j else None,
            path=p.path,
            code=p.code,
            message=p.message,
            got=p.got,
        )

    def row(self, values: list[Any], row: int) -> None:
        texts: list[str] = []
        hazards: list[CellProblem] = []
        spoiled: set[str] = set()
        merged = False
        for j in self._unread(values):
            hazards.append(
                CellProblem(
                    sheet=self.name,
                    row=row,
                    column=None,
                    cell=f"{_column_letter(j)}{row}",
                    path=(),
                    code="unknown-column",
                    message="holds a value in a column without a header name, so it is "
                    "not read: give the column a header, or clear the cell",
                )
            )
        width = len(values)
        special = self.special
        for j, col in zip(self.keep, self.cols, strict=True):
            value = values[j - 1] if j <= width else None
            try:
                if special:
                    where = (row, j)
                    merged = merged or where in self.merged_cells
                    text = self._cell(value, col, where)
                else:
                    text = _cell_text(value, col)
            except _CellHazard as exc:
                header = col.header if col is not None else None
                pii = col is not None and col.pii
                shown = self.shown.get(header, (None, j))[0] if header else None
                hazards.append(
                    CellProblem(
                        sheet=self.name,
                        row=row,
                        column=shown,
                        cell=f"{_column_letter(j)}{row}",
                        path=(col.field,) if col is not None else (),
                        code=exc.code,
                        message=exc.message,
                        got=None if pii or not exc.show else _shown_value(value),
                    )
                )
                if header is not None:
                    spoiled.add(header)
                text = ""
            texts.append(text)
        if not any(texts) and not hazards:
            return
        self.rows += 1
        if merged:  # the merged-cells problem says so, once
            self.problems.extend(hazards)
            return
        result = self.reader.read_row(texts, row)
        for p in result.problems:
            if hazards and (p.column in spoiled or not p.path):
                continue  # the cell's own problem says it; rules across fields saw a blank
            hazards.append(self._placed(p, row))
        if hazards:
            self.problems.extend(hazards)
        elif result.record is not None:
            self.records.append(result.record)

    def _unread(self, values: list[Any]) -> Iterator[int]:
        """The columns of ``values`` with a value but no header name (1 for A)."""
        for j in self.unnamed:
            if j <= len(values) and values[j - 1] not in (None, ""):
                yield j
        for j in range(self.width + 1, len(values) + 1):
            if values[j - 1] not in (None, ""):
                yield j

    def _cell(self, value: Any, col: _Col | None, where: tuple[int, int]) -> str:
        hidden = self.hidden
        if where in hidden.errors:
            raise _CellHazard(
                "error-cell",
                f"shows the error {hidden.errors[where]}: a formula failed, or the value was "
                "typed wrong; correct it, or clear the cell",
                show=False,
            )
        formula = hidden.formulas.get(where)
        if formula is not None and (value is None or value == ""):
            shown = formula if len(formula) <= 40 else formula[:37] + "..."
            raise _CellHazard(
                "formula-without-value",
                f"is a formula ({shown}) whose value was never calculated (a program wrote "
                "the workbook and Excel never saved it); open and save it in Excel, or "
                "type the value",
                show=False,
            )
        return _cell_text(value, col)


def _shown_value(value: Any) -> str:
    if isinstance(value, float):
        text = repr(value)
    elif isinstance(value, datetime | date):
        text = repr(value.isoformat())
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def read_workbook(
    path: str | os.PathLike[str],
    *,
    cls: type[Dataset] = Dataset,
    progress: Progress | None = None,
) -> WorkbookRead:
    """Read a workbook into a dataset, with every problem located by sheet, row and cell.

    A sheet is read when its name is a collection's, in English or Chinese
    (``donations`` or ``捐赠``). Its first row that is not blank is the header, with the
    column names of :func:`write_workbook` in English or Chinese (``金额`` for
    ``value``); blank rows are skipped wherever they are. Each row is read as the CSV
    reader reads a row (:mod:`humanaid.io`), and reading never stops at a bad row or
    sheet: every problem comes back as a :class:`CellProblem` (``donations!C8``).

    What Excel does to data is caught, one problem each, with a hint:

    * a number of more than 15 digits in a text column (an ID number typed without
      formatting the column as Text shows as ``1.10105E+17``): its last digits are gone
      (``lost-digits``); shorter numbers in text columns are read as their digits;
    * a number in a date column, which is a date serial (``date-serial``), and text that
      is not an ISO date (``date-text``); Excel dates and ``2020-01-05`` are read;
    * a formula is read by its last calculated value; one never calculated is refused
      (``formula-without-value``), and so is a cell showing an error such as ``#DIV/0!``
      (``error-cell``);
    * merged cells (``merged-cells``, at the top-left cell: the rows they span are not
      read); a hidden sheet (``hidden-sheet``: not read); a sheet that is no collection
      but holds data (``unknown-sheet``), or a second sheet of one (``duplicate-sheet``);
    * an amount or number typed with full-width digits (``１２３``) or with ``万``,
      ``元``, ``¥`` or separators as text (``invalid-amount``).

    Args:
        path: the ``.xlsx`` file.
        cls: the dataset class to build (a subclass with collections of its own).
        progress: called as ``progress(done, total)`` every thousand rows and at the end;
            ``total`` counts the rows the sheets say they have (``None`` if they do not
            say).

    Returns:
        A :class:`WorkbookRead`: the dataset of every row without problems, and the
        problems.

    Raises:
        InvalidInput: with one ``invalid-workbook`` problem, for a file that is not an
            ``.xlsx`` workbook.
        FileNotFoundError: for a path that does not exist.
        ImportError: naming the ``excel`` extra when python-calamine is missing.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"'path' must be a path to an .xlsx file (got {type(path).__name__})")
    source = os.fspath(path)
    types_ = _collection_types(cls)
    calamine = _import("python_calamine", "reading Excel workbooks")
    if not os.path.exists(source):
        raise FileNotFoundError(f"no such workbook: {source!r}")
    try:
        archive = zipfile.ZipFile(source)
        members = _sheet_members(archive)
        book = calamine.CalamineWorkbook.from_path(source)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, calamine.CalamineError) as exc:
        problem = CellProblem(
            sheet="",
            path=(),
            code="invalid-workbook",
            message=f"is not an Excel workbook (.xlsx) that can be read: {exc}",
        )
        raise InvalidInput([problem], subject=source) from None
    with archive:
        return _read(book, archive, members, types_, cls, progress)


def _read(
    book: Any,
    archive: zipfile.ZipFile,
    members: Mapping[str, str],
    types_: Mapping[str, type],
    cls: type[Dataset],
    progress: Progress | None,
) -> WorkbookRead:
    by_sheet: dict[str, list[CellProblem]] = {}
    records: dict[str, Any] = {}
    plans: list[tuple[str, str, _Hidden]] = []
    taken: dict[str, str] = {}
    for meta in book.sheets_metadata:
        name = meta.name
        problems = by_sheet.setdefault(name, [])
        if name == INSTRUCTIONS_SHEET:
            continue
        collection = _collection_named(name, types_)
        visible = str(meta.visible).rsplit(".", 1)[-1].lower() == "visible"
        if collection is None:
            if _has_data(book, name):
                problems.append(
                    CellProblem(
                        sheet=name,
                        path=(),
                        code="unknown-sheet",
                        message="holds data but is not named after a collection, so it was "
                        f"not read; rename it to one of: {', '.join(types_)}",
                    )
                )
            continue
        if not visible:
            problems.append(
                CellProblem(
                    sheet=name,
                    path=(),
                    code="hidden-sheet",
                    message=f"is hidden, so its {collection} were not read: what is hidden "
                    "is easily forgotten; unhide the sheet, or delete it",
                )
            )
            continue
        if collection in taken:
            problems.append(
                CellProblem(
                    sheet=name,
                    path=(),
                    code="duplicate-sheet",
                    message=f"holds {collection} too, as the sheet {taken[collection]!r} "
                    "does; it was not read: put them in one sheet",
                )
            )
            continue
        taken[collection] = name
        member = members.get(name)
        hidden = (
            _scan(archive, member)
            if member is not None and member in archive.namelist()
            else _Hidden(formulas={}, errors={}, rows=None)
        )
        plans.append((name, collection, hidden))
    counts = [h.rows for _, _, h in plans]
    total = None if any(c is None for c in counts) else sum(c or 0 for c in counts)
    done = 0
    rows = 0
    for name, collection, hidden in plans:
        ws = book.get_sheet_by_name(name)
        reader = _SheetReader(name, _sheet_of(types_[collection]), hidden, ws.merged_cell_ranges)
        start = ws.start or (0, 0)
        r0: int | None = None
        pad: list[Any] = []
        for i, values in enumerate(ws.iter_rows()):
            if r0 is None:
                # Versions of python-calamine differ: rows and columns before the first
                # cell with data are either given (empty) or left out. The first row
                # given tells which: only a left-out area starts with that cell's row.
                r0 = start[0] if any(v not in ("", None) for v in values) else 0
                pad = [None] * (start[1] if len(values) < start[1] + ws.width else 0)
            row = r0 + i + 1
            cells = pad + list(values) if pad else list(values)
            if reader.header_row is None:
                if any(v not in ("", None) for v in cells):
                    reader.header(cells, row)
            else:
                reader.row(cells, row)
            done += 1
            if progress is not None and done % _PROGRESS_EVERY == 0:
                progress(done, total)
        del ws
        by_sheet[name].extend(sorted(reader.problems, key=_place))
        records[collection] = tuple(reader.records)
        rows += reader.rows
    if progress is not None:
        progress(done, total if total is not None else done)
    dataset = cls(name=_title(archive), **records)
    found = tuple(p for listed in by_sheet.values() for p in listed)
    return WorkbookRead(dataset=dataset, problems=found, rows=rows)


def _place(p: CellProblem) -> tuple[int, int]:
    """Where a problem is, for sorting: its row, then its column (the whole row first)."""
    letters = re.sub("[0-9]", "", p.cell or "")
    return (p.row or 0, _column_index(letters.encode()))


def _title(archive: zipfile.ZipFile) -> str:
    """The workbook's title (File > Properties), which holds the dataset's name."""
    try:
        core = ElementTree.fromstring(archive.read("docProps/core.xml"))
    except (KeyError, ElementTree.ParseError):
        return ""
    title = core.find("{http://purl.org/dc/elements/1.1/}title")
    return (title.text or "") if title is not None else ""


def _has_data(book: Any, name: str) -> bool:
    try:
        ws = book.get_sheet_by_name(name)
    except Exception:  # a chart sheet or another kind that holds no cells
        return False
    return any(v not in ("", None) for row in ws.iter_rows() for v in row)


# -- tables and the annual report ---------------------------------------------------------------


class _TableWriter:
    """Writes tables into ordinary (not write-only) sheets, formatted for people."""

    def __init__(self) -> None:
        self.opx = _openpyxl()
        styles = self.opx.styles
        self.bold = styles.Font(bold=True)
        self.title = styles.Font(bold=True, size=13)
        self.note = styles.Font(italic=True, color=_NOTE_FONT_COLOR)
        self.fill = styles.PatternFill("solid", fgColor=_HEADER_FILL)
        self.right = styles.Alignment(horizontal="right")

    def text(self, ws: Any, row: int, col: int, value: str, font: Any = None) -> Any:
        cell = ws.cell(row=row, column=col)
        cell.value = value
        if runs_as_formula(value):
            cell.data_type = "s"
            cell.quotePrefix = True
        if font is not None:
            cell.font = font
        return cell

    def table(self, ws: Any, table: Table, start: int = 1, *, freeze: bool = True) -> int:
        """Write ``table`` from row ``start``; return the next free row."""
        if not isinstance(table, Table):
            raise TypeError(f"'table' must be a Table (got {type(table).__name__})")
        unit = table.money_unit
        shift = {"元": 0, "万元": 4, "亿元": 8}[unit]
        places = table.money_places
        row = start
        if table.title:
            self.text(ws, row, 1, table.title, self.title)
            row += 1
        headers: list[str] = []
        plan: list[tuple[Column, str]] = []
        has_currency = any(c.name == "currency" for c in table.columns)
        for c in table.columns:
            if c.kind is ColumnKind.MONEY:
                headers.append(_money_header(c, unit))
                plan.append((c, "amount"))
                if c.currency is None and not has_currency:
                    headers.append(f"{c.name} currency")
                    plan.append((c, "currency"))
            else:
                headers.append(c.name)
                plan.append((c, "cell"))
        widths = [display_width(h) for h in headers]
        for j, h in enumerate(headers, 1):
            cell = self.text(ws, row, j, h, self.bold)
            cell.fill = self.fill
            if plan[j - 1][0].kind.numeric:
                cell.alignment = self.right
        header_row = row
        row += 1
        index = {c.name: i for i, c in enumerate(table.columns)}
        for values in table.rows:
            for j, (c, what) in enumerate(plan, 1):
                v = values[index[c.name]]
                if v is None:
                    continue
                cell = ws.cell(row=row, column=j)
                shown = self._put(cell, c, what, v, shift, places, unit, table.percent_places)
                widths[j - 1] = max(widths[j - 1], display_width(shown))
            row += 1
        for j, w in enumerate(widths, 1):
            ws.column_dimensions[_column_letter(j)].width = min(max(w + 2, 8), 60)
        if freeze:
            ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        notes = list(table.notes)
        rounded = table._rounding_note(unit, places)
        notes.extend(n.replace("to_rows(), to_pandas() and to_csv()", "the cells") for n in rounded)
        for n in notes:
            self.text(ws, row, 1, f"note: {n}", self.note)
            row += 1
        row = self.findings(ws, table.findings, row)
        return row + 1

    def findings(self, ws: Any, findings: Findings, row: int) -> int:
        if not findings:
            return row
        head = str(findings).split("\n", 1)[0]
        self.text(ws, row, 1, head, self.bold)
        row += 1
        for f in findings:
            self.text(ws, row, 1, str(f).replace("\n", " "), self.note)
            row += 1
        return row

    def _put(
        self,
        cell: Any,
        column: Column,
        what: str,
        v: Any,
        shift: int,
        places: int | None,
        unit: str,
        percent_places: int,
    ) -> str:
        if what == "currency":
            cell.value = v.currency
            return str(v.currency)
        if isinstance(v, Money):
            amount = _scaled(v.amount, shift)
            shown_places = (2 if shift else v.places) if places is None else places
            fmt = "#,##0" + ("." + "0" * shown_places if shown_places else "")
            self._number(cell, amount, fmt)
            u = unit if v.currency == "CNY" else {"元": None, "万元": "万", "亿元": "亿"}[unit]
            return v.format(unit=u, places=shown_places, grouping=unit == "元")
        kind = column.kind
        if kind is ColumnKind.RATIO and isinstance(v, int | Decimal):
            self._number(cell, Decimal(v), "0." + "0" * percent_places + "%" if percent_places
                         else "0%")  # fmt: skip
            return f"{Decimal(v) * 100:.{percent_places}f}%"
        if isinstance(v, bool):
            cell.value = v
            return "FALSE"
        if isinstance(v, int):
            if abs(v) < 10**_EXACT_DIGITS:
                cell.value = v
                cell.number_format = "#,##0"
            else:
                cell.value = str(v)
            return f"{v:,}"
        if isinstance(v, Decimal):
            self._number(cell, v, "General")
            return f"{v:f}"
        if isinstance(v, date) and not isinstance(v, datetime):
            cell.value = v
            cell.number_format = "yyyy-mm-dd"
            return v.isoformat()
        text = str(v.value) if isinstance(v, enum.Enum) else str(v)
        cell.value = text
        if runs_as_formula(text):
            cell.data_type = "s"
            cell.quotePrefix = True
        return text

    def _number(self, cell: Any, d: Decimal, fmt: str) -> None:
        try:
            exact = _is_exact_float(d)
        except InvalidOperation:
            exact = False
        if exact:
            cell.value = float(d)
            cell.number_format = fmt
        else:
            cell.value = f"{d:f}"
            cell.alignment = self.right


def _sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of ``[]:*?/`` nor a backslash."""
    base = re.sub(r"[\[\]:*?/\\]", " ", text).strip().strip("'")[:31] or "table"
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.casefold())
    return name


def write_table(
    table: Table | Iterable[Table], path: str | os.PathLike[str], *, sheet: str | None = None
) -> None:
    """Write a :class:`~humanaid.Table` (or several, a sheet each) as a formatted workbook.

    Each sheet holds the table's title, its header (bold, frozen), its rows and, under
    them, its notes and its findings, as :meth:`Table.to_text <humanaid.Table.to_text>`
    shows them. Cells keep their values: money is a number in the table's
    ``money_unit`` (``raised (万元)`` holds ``387.799`` shown as ``387.80``: the cell keeps
    every digit, the format rounds as the report does), ratios are numbers shown as
    percentages, counts whole numbers, dates Excel dates, periods text. An empty cell is
    one with nothing to show, such as a count suppressed by
    :meth:`Table.suppress_small_cells <humanaid.Table.suppress_small_cells>`, whose note
    says so under the rows. Columns are as wide as their widest shown cell.

    Args:
        table: the table, or tables.
        path: the ``.xlsx`` file to write.
        sheet: the sheet's name (for one table); by default the table's title.

    >>> import tempfile, os
    >>> from humanaid import Money, Period, Table
    >>> from humanaid.table import Column
    >>> t = Table(columns=[Column("year", "period", key=True),
    ...                    Column("raised", "money", currency="CNY")],
    ...           rows=[(Period.year(2020), Money("9893200.00"))], money_unit="万元")
    >>> write_table(t, os.path.join(tempfile.mkdtemp(), "raised.xlsx"), sheet="raised")
    """
    target = _write_path(path)
    tables = [table] if isinstance(table, Table) else list(table)
    if sheet is not None and len(tables) != 1:
        raise ValueError("'sheet' names the sheet of one table; several get their titles")
    w = _TableWriter()
    wb = w.opx.Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for t in tables:
        if not isinstance(t, Table):
            raise TypeError(f"'table' must be a Table or tables (got {type(t).__name__})")
        ws = wb.create_sheet(_sheet_title(sheet or t.title or "table", taken))
        w.table(ws, t)
    if not tables:
        wb.create_sheet("table")
    wb.save(target)


def _scoped(dataset: Dataset, organizations: frozenset[str]) -> Dataset:
    """The records of the organisations' own work, when the dataset holds others' too."""
    owned = ("donations", "pledges", "funds", "programs", "projects", "revolving_funds")
    changes: dict[str, Any] = {}
    for name in owned:
        records = dataset.records(name, missing_ok=True)
        kept = tuple(r for r in records if r.organization_id in organizations)
        if len(kept) != len(records):
            changes[name] = kept
    campaigns = dataset.records("campaigns", missing_ok=True)
    kept_campaigns = tuple(
        c for c in campaigns if c.organizer_id in organizations or c.host_id in organizations
    )
    if len(kept_campaigns) != len(campaigns):
        changes["campaigns"] = kept_campaigns
    if not changes:
        return dataset
    projects = {p.id for p in changes.get("projects", dataset.projects)}
    programs = {p.id for p in changes.get("programs", dataset.programs)}

    def ours(record: Any) -> bool:
        if record.project_id is not None:
            return bool(record.project_id in projects)
        if record.program_id is not None:
            return bool(record.program_id in programs)
        return True

    for name in ("screenings", "cases", "distributions"):
        changes[name] = tuple(r for r in dataset.records(name) if ours(r))
    return attrs.evolve(dataset, **changes)


def write_report(
    dataset: Dataset,
    path: str | os.PathLike[str],
    *,
    organization: str,
    period: Period | int,
    currency: str | None = None,
) -> None:
    """Write an organisation's annual report as one workbook: a sheet per summary.

    The first sheet is the cover: the organisation, the period, the year-at-a-glance
    sentences (:func:`~humanaid.year_at_a_glance`: put in, brought in, raised, projects
    built, reached) and their table with its findings. Then one sheet per summary of
    :mod:`humanaid.summaries`, each written as :func:`write_table` writes a table:
    fundraising by donor kind and by channel, top donors, campaigns, relief, medical
    aid, projects, results, and the village seed funds on the last day of the period.

    The summaries read the organisation's own work: where the dataset holds other
    organisations' records too, only the gifts, pledges, funds, programmes, projects,
    seed funds and campaigns of the organisation and its sub-units (``parent_id``) are
    summed, with the screenings, cases and handouts of those projects and programmes.

    Args:
        dataset: the records.
        path: the ``.xlsx`` file to write.
        organization: the organisation's id.
        period: the year (``2020``) or period the report covers.
        currency: the currency of the figures (CNY by default).

    Raises:
        UnknownId: naming the nearest known ids, for an organisation the dataset lacks.
    """
    from humanaid import summaries as s

    target = _write_path(path)
    cur = DEFAULT_CURRENCY if currency is None else currency
    when = Period.year(period) if isinstance(period, int) else period
    if not isinstance(when, Period):
        raise TypeError(f"'period' must be a Period or a year (got {period!r})")
    glance = s.year_at_a_glance(dataset, when, organization_id=organization, currency=cur)
    boundary = Boundary.organization(dataset, organization, include_children=True)
    orgs = frozenset(p.id for p in boundary.parties if p.kind is PartyKind.ORGANIZATION)
    ours = _scoped(dataset, orgs)
    as_of = when.end
    sheets: list[tuple[str, Table]] = [
        ("fundraising", s.fundraising_summary(ours, when, currency=cur)),
        (
            "fundraising by channel",
            s.fundraising_summary(ours, when, by=("channel",), currency=cur),
        ),
        ("top donors", s.top_donors(ours, when, currency=cur)),
        ("campaigns", s.campaign_summary(ours, when, currency=cur)),
        ("relief", s.relief_summary(ours, when, currency=cur)),
        ("medical aid", s.medical_summary(ours, when, currency=cur)),
        ("projects", s.project_summary(ours, as_of=as_of, currency=cur)),
        ("results", s.results_summary(ours, as_of=as_of)),
        ("seed funds", s.revolving_summary(ours, as_of=as_of)),
    ]
    w = _TableWriter()
    wb = w.opx.Workbook()
    cover = wb.active
    cover.title = "year at a glance"
    taken = {cover.title.casefold()}
    w.text(cover, 1, 1, f"{glance.name}: annual report, {when}", w.title)
    row = 3
    for sentence in glance.sentences():
        w.text(cover, row, 1, sentence)
        row += 1
    row += 1
    w.table(cover, glance.table(), row, freeze=False)
    cover.column_dimensions["A"].width = max(cover.column_dimensions["A"].width or 0, 12)
    row = cover.max_row + 2
    w.text(cover, row, 1, "sheets", w.bold)
    for name, _ in sheets:
        row += 1
        w.text(cover, row, 1, name)
    for name, table in sheets:
        ws = wb.create_sheet(_sheet_title(name, taken))
        w.table(ws, table)
    wb.save(target)
