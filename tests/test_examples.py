"""The examples run and say what they promise (so they cannot rot)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from checks import assert_shown

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(script: str, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,  # a hang guard, not a speed limit: a loaded machine may take minutes
    )
    return out.stdout


def test_quickstart_prints_the_reported_figures_and_findings() -> None:
    out = run("quickstart.py")
    assert_shown(
        out,
        "put in 4189万元, brought in 2308万元",
        "co-financing 5:3:2 -> 345万元, 207万元, 138万元",
        "ERROR integrity.duplicate-id [g1]",
        "ERROR integrity.missing-reference [village-7]",
        "$.grants[0].granted_on: is not a real date (got '2023-02-29')",
        "$.grants[0].by: is not a known field",
    )


def test_fundraising_year_prints_the_rollups_and_the_planted_findings() -> None:
    out = run("fundraising_year.py")
    assert_shown(
        out,
        "holds public_fundraising on 2020-12-31: True",
        "hierarchy: 会泽县红十字会 > 曲靖市红十字会 > 云南省红十字会",
        "goods 990.52万元 (博爱送万家 989.32万元)",
        "3243笔 from 1482 donors and 275 anonymous gifts",
        "救心行动 第十轮 轻松筹: 31.15万元 from 240笔, 26.0% of 120.00万元",
        "某粮油公司: lifetime 679.80万元 in 1笔",
        "LYBUNT 160, SYBUNT 20",
        "retention 2019->2020: 740 of 900 = 82.2%",
        "pledge of 100.00万元: outstanding 50.00万元, overdue 25.00万元",
        "ERROR fundraising.unqualified-public-appeal [huize-99]",
        "ERROR fundraising.duplicate-receipt [d04242]",
        "ERROR fundraising.missing-receipt [d04241]",
        "WARNING fundraising.in-kind-unvalued [d04243]",
        "WARNING fundraising.pledge-overdue [pledge-acme]",
    )
    assert "integrity.missing-reference" not in out
    assert "捐赠人" not in out  # donors' names are personal data and never printed


def test_community_resilience_batch_prints_plan_versus_actual_results_and_leverage() -> None:
    out = run("community_resilience_batch.py")
    assert_shown(
        out,
        "xinjie        45.00    45.00    40.00    37.00     5.00    75.1%  1.09",
        "programme boai-jiayuan, batch 3 as of 2019-12-31: 4 projects",
        "county/township match (县乡配套)   54.00万元   49.00万元   5.00万元",
        "total                             172.00万元  169.00万元   3.00万元",
        "people trained in first-aid awareness: 1280 of 1200 person-times (106.7%)",
        "households reached: 692 of 740 households (93.5%)",
        "people trained by quarter: 2019-Q3 640, 2019-Q4 640",
        "per yuan of the county society's own money: n/a (it put in none)",
        "planned 1.21, received 1.17",
        "WARNING projects.spending-outside-period [f018]: project 'daqiao' spent 4万元",
        "states 16 projects but 4 are recorded",
    )
    assert "ERROR" not in out


def test_relief_and_heart_round_prints_reach_the_funnel_and_findings() -> None:
    out = run("relief_and_heart_round.py")
    assert_shown(
        out,
        "博爱送万家 2020: 22,400 persons in 6,309 households (22,403 person-times)",
        "goods handed out: 989.32万元",
        "2,000 persons in 1,800 households (2,226 person-times)",
        "screened    2,000  2,154  person-times",
        "approved       75     75  cases         1,350,000.00元   93.8%",
        "paid           72     72  cases         1,275,714.96元  100.0%",
        "WARNING beneficiaries.probable-duplicate [c9999]",
        "WARNING beneficiaries.repeated-distribution [boai-06309]",
        "ERROR cases.paid-over-approved [heart-007]",
        "raw identifiers in it: 0",
        "probable duplicates still found after redaction: 1",
        "3 small counts blanked, 3 more to protect them",
    )


def test_village_seed_fund_prints_the_portfolio_and_the_revolving_multiple() -> None:
    out = run("village_seed_fund.py")
    assert_shown(
        out,
        "青云村循环金 2021-2023: 69 loans, 110 repayments, 1 write-off",
        "2021      28     219,500.00元      69,875.00元           51,625.50元",
        "Revolving fund qingyun-fund as of 2023-12-31",
        "  lent                  559,500.00元 in 69 loans to 20 households",
        "  written off           5,250.00元 (write-off ratio 0.94%)",
        "  revolving multiple    2.80 (lending cycles: 2)",
        "  capital identity      holds",
        "every yuan of seed money has lent 2.80 yuan (撬动效应)",
        "revolving rules: 0 findings",
    )


def test_society_year_prints_the_three_totals_and_the_spending_findings() -> None:
    out = run("society_year.py")
    assert_shown(
        out,
        "2019: raised 800万元, brought in 200万元, put in 700万元",
        "2020: raised 565.60万元, brought in 150万元, put in 350万元",
        "(moved inside 150万元)",
        "charitable 350万元, admin 60万元, total 410.27万元, income 2019 1000万元",
        "ERROR compliance.spending-below-floor [city-rc]",
        "35.00% of its previous year's income",
        "ERROR compliance.admin-above-ceiling [city-rc]",
        "2 findings (2 errors)",
    )


def test_fundraising_tables_renders_html_a_chart_and_the_year_at_a_glance(tmp_path: Path) -> None:
    out = run("fundraising_tables.py", str(tmp_path))
    assert_shown(
        out,
        "Raised by donor kind, 2020",
        "enterprise         1698.05万元  290.71万元  2.45万元    108      25",
        "boai-2020   博爱送万家 2020            150.00万元  176.81万元",
        "HTML: 5 tables, 17 rows, 4 notes",
        "note: amounts in 万元 are rounded half-up to two decimals (totals from their exact sums)",
        "引进帮扶资金85万元 (brought in: money from other organisations and government outside",
        "募捐款物2353.61万元，1500笔",
        "受益群众40户、140人，140人次",
    )
    assert "捐赠人" not in out  # donors' names are personal data and never printed
    page = (tmp_path / "fundraising_tables.html").read_text(encoding="utf-8")
    assert page.count('<table class="humanaid-table">') == 5
    chart = (tmp_path / "raised_by_month_and_donor_kind.png").read_bytes()
    assert chart.startswith(b"\x89PNG")


def test_duckdb_parquet_agrees_with_the_pure_python_summary() -> None:
    out = run("duckdb_parquet.py")
    assert_shown(
        out,
        "money travels as decimal128(38, 4), not as a float",
        "DuckDB and humanaid agree on all 17 groups; raised 23536069.00 yuan in all",
    )


def test_qujing_case_study_recomputes_the_article_and_names_the_figure_it_contradicts() -> None:
    out = run("qujing/report.py")
    assert "曲靖市红十字会 2015-2020: 1,12" in out  # about 1.1 million records
    assert_shown(
        out,
        "累计开展筛查28.42万人次,完成“先心病”手术救助治疗1330例,救助金额达2391.70万余元。",
        "put-in             投入帮扶资金物资",
        "ERROR reports.parts-exceed-total [put-in]",
        "Figures unexplained: 0",
    )


def test_columnar_example_gives_the_same_table_on_dask_and_duckdb() -> None:
    out = run("columnar_ten_million.py", "--n", "20000")
    assert_shown(
        out,
        "20,000 donations in 60 Parquet files",
        "the Dask and DuckDB tables are the same: True",
    )
    assert "2020  bank_transfer" in out


def test_jiangxi_case_study_recomputes_the_article_and_names_the_sites_short_of_the_five() -> None:
    out = run("jiangxi/report.py")
    assert "江西省红十字会 2022年一季度: 360,092 records" in out
    assert_shown(
        out,
        "今年一季度培训救护员3万余人，普及培训10万余人次，为500名伤病群众开展现场救护。",
        "sites                 服务阵地                    570个       570个       yes",
        "WARNING sites.short-of-standard [site015]",
        "Figures unexplained: 0",
    )
