"""Every optional path, with its dependency missing, says which extra to install.

Each test blocks the module (``sys.modules[name] = None`` for it and its submodules, so
``import`` raises as it would without the package) and calls the public function a user
would call; the error must name the missing module, the extra, and both ways to install
it (from a package index and from a clone of the source).
"""

from __future__ import annotations

import importlib
import sys
from datetime import date
from pathlib import Path

import pytest

from humanaid import Dataset, Donation, Money, NoReceiptReason, Organization, OrgLevel
from humanaid._extras import import_extra, missing_extra
from humanaid.table import Column, ColumnKind, Table


def block(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import name`` (and of its submodules) fail, as if it were not installed."""
    for name in names:
        for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            monkeypatch.setitem(sys.modules, loaded, None)
        monkeypatch.setitem(sys.modules, name, None)


def says_install(extras: str, module: str) -> str:
    """The pattern of the error text for ``module`` missing from ``extras``."""
    return (
        rf"needs {module}: install the .*extras? .*with pip install 'humanaid\[{extras}\]' "
        rf"\(in a clone of the source: pip install -e '\.\[{extras}\]'\)"
    )


def small_dataset() -> Dataset:
    org = Organization(id="qj", name="曲靖市红十字会", level=OrgLevel.CITY)
    gift = Donation(
        id="g1",
        organization_id="qj",
        received_on=date(2020, 3, 1),
        value=Money("100"),
        no_receipt_reason=NoReceiptReason.ANONYMOUS,
    )
    return Dataset(organizations=(org,), donations=(gift,))


def a_table() -> Table:
    return Table(columns=(Column("n", ColumnKind.INTEGER),), rows=((1,),))


# -- the wording ------------------------------------------------------------------------------


def test_the_error_names_what_needed_the_module_the_module_and_the_extra() -> None:
    error = missing_extra("to_polars", "polars", "polars")
    assert isinstance(error, ImportError)
    assert error.name == "polars"
    assert str(error) == (
        "to_polars needs polars: install the polars extra with pip install 'humanaid[polars]' "
        "(in a clone of the source: pip install -e '.[polars]')"
    )


def test_several_extras_are_named_together_and_a_choice_is_said() -> None:
    assert "install the pandas and arrow extras with pip install 'humanaid[pandas,arrow]'" in str(
        missing_extra("to_pandas", "pandas", "pandas,arrow")
    )
    assert "install the a, b and c extras" in str(missing_extra("x", "m", "a,b,c"))
    assert "install the duckdb extra (or polars) with" in str(
        missing_extra("x", "pyarrow", "duckdb", also="(or polars)")
    )


def test_import_extra_returns_the_module_or_raises_from_the_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert import_extra("email.utils", "mail", "none") is importlib.import_module("email.utils")
    block(monkeypatch, "email")
    with pytest.raises(ImportError, match=says_install("none", "email")) as caught:
        import_extra("email.utils", "mail", "none")
    assert isinstance(caught.value.__cause__, ImportError)


# -- every optional path ----------------------------------------------------------------------


def test_arrow_without_pyarrow_names_the_arrow_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from humanaid.interop.arrow import to_arrow

    block(monkeypatch, "pyarrow")
    with pytest.raises(ImportError, match=says_install("arrow", "pyarrow")):
        to_arrow([Money("1.00")])


def test_polars_and_pandas_frames_name_their_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    from humanaid.interop.arrow import to_pandas, to_polars

    block(monkeypatch, "polars", "pandas")
    with pytest.raises(ImportError, match=says_install("polars", "polars")):
        to_polars([Money("1.00")])
    with pytest.raises(ImportError, match=says_install("pandas,arrow", "pandas")):
        to_pandas([Money("1.00")])


def test_a_tables_frames_name_their_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    block(monkeypatch, "pandas", "pyarrow")
    with pytest.raises(ImportError, match=says_install("pandas", "pandas")):
        a_table().to_pandas()
    with pytest.raises(ImportError, match=says_install("arrow", "pyarrow")):
        a_table().to_arrow()


def test_iati_without_lxml_names_the_iati_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from humanaid.interop.iati import to_iati_xml

    block(monkeypatch, "lxml")
    with pytest.raises(ImportError, match=says_install("iati", "lxml")):
        to_iati_xml(small_dataset(), reporting_org_id="CN-RC-1")


def test_workbooks_without_openpyxl_or_calamine_name_the_excel_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from humanaid.excel import read_workbook, write_workbook

    block(monkeypatch, "openpyxl", "python_calamine")
    with pytest.raises(ImportError, match=says_install("excel", "openpyxl")):
        write_workbook(small_dataset(), tmp_path / "book.xlsx")
    (tmp_path / "empty.xlsx").write_bytes(b"")
    with pytest.raises(ImportError, match=says_install("excel", "python_calamine")):
        read_workbook(tmp_path / "empty.xlsx")


def test_a_store_without_sqlalchemy_names_the_sql_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from humanaid.store import Store

    block(monkeypatch, "sqlalchemy")
    monkeypatch.delitem(sys.modules, "humanaid.store._sql", raising=False)
    with pytest.raises(ImportError, match=says_install("sql", "sqlalchemy")):
        Store(f"sqlite:///{tmp_path / 'a.db'}")


def test_a_postgresql_store_without_its_driver_names_the_sql_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("sqlalchemy")
    from humanaid.store import Store

    block(monkeypatch, "psycopg", "psycopg2")
    with pytest.raises(ImportError, match=r"opening a postgresql store needs psycopg"):
        Store("postgresql+psycopg://nobody@localhost/none")


def test_comparing_names_by_sound_without_pypinyin_names_the_dedupe_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import humanaid.dedupe as dedupe

    monkeypatch.setattr(dedupe, "_pinyin", lambda: None)
    # sound_key keeps what it worked out: a name an earlier test in this process compared
    # would come from that cache and never ask for pypinyin
    dedupe.sound_key.cache_clear()
    with pytest.raises(ImportError, match=says_install("dedupe", "pypinyin")):
        dedupe.sound_key("张三")


def test_the_columnar_engines_name_their_own_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    from humanaid.interop import columnar

    block(monkeypatch, "polars", "dask", "duckdb")
    for engine in ("polars", "dask", "duckdb"):
        with pytest.raises(ImportError, match=says_install(engine, engine)):
            columnar._require(engine)


def test_the_columnar_path_without_pyarrow_offers_each_engines_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from humanaid import fundraising_summary
    from humanaid.interop.columnar import scan_dataset

    block(monkeypatch, "pyarrow")
    (tmp_path / "donations").mkdir()
    (tmp_path / "donations" / "part-0.parquet").write_bytes(b"PAR1")
    with pytest.raises(ImportError, match=says_install("duckdb", "pyarrow")) as caught:
        fundraising_summary(scan_dataset(tmp_path))  # a collection is read at its first query
    assert "(or polars, or dask: each brings pyarrow)" in str(caught.value)


def test_the_command_reading_parquet_without_pyarrow_names_the_arrow_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from humanaid.cli import main

    block(monkeypatch, "pyarrow")
    (tmp_path / "donations.parquet").write_bytes(b"PAR1")
    code = main(["validate", str(tmp_path / "donations.parquet")])
    assert code != 0
    out = capsys.readouterr()
    assert "pip install 'humanaid[arrow]'" in out.out + out.err


def test_the_strategies_without_hypothesis_name_the_test_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    block(monkeypatch, "hypothesis")
    monkeypatch.delitem(sys.modules, "humanaid.testing", raising=False)
    with pytest.raises(ImportError, match=says_install("test", "hypothesis")):
        importlib.import_module("humanaid.testing")
