"""The Qujing case study (examples/qujing/): every figure of the article, recomputed.

The dataset is built once at full size (about 1.1 million records). Each test prints the
stated figure beside the computed one (``pytest -s`` shows them); every figure either
matches, or a consistency finding names it.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from humanaid import Dataset, Findings, Money, Reconciliation

QUJING = Path(__file__).resolve().parent.parent / "examples" / "qujing"


@pytest.fixture(scope="module")
def study() -> Iterator[tuple[Dataset, Reconciliation, Findings, str, Any]]:
    sys.path.insert(0, str(QUJING))
    try:
        importlib.import_module("qujing_data")
        report = importlib.import_module("report")
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            data, result, findings = report.main()
        yield data, result, findings, out.getvalue(), report
    finally:
        sys.path.remove(str(QUJING))
        for name in ("report", "qujing_data"):
            sys.modules.pop(name, None)


def _article_ids() -> list[str]:
    sys.path.insert(0, str(QUJING))
    try:
        return [row[0] for row in importlib.import_module("qujing_data").ARTICLE]
    finally:
        sys.path.remove(str(QUJING))
        sys.modules.pop("qujing_data", None)


@pytest.mark.parametrize("figure_id", _article_ids())
def test_every_stated_figure_matches_or_is_named_in_a_consistency_finding(
    study: tuple[Dataset, Reconciliation, Findings, str, Any], figure_id: str
) -> None:
    _, result, _, _, _ = study
    (row,) = [r for r in result.figures if r.figure.id == figure_id]
    verdict = "matches" if row.agrees else "DOES NOT MATCH"
    print(f"{row.figure.subject}: stated {row.figure.stated}, computed {row.computed_text}: "
          f"{verdict}")  # fmt: skip
    for finding in row.explained_by:
        print(f"  named in {finding.rule}: {finding.message}")
    assert row.computed is not None, "every figure of the article is computed"
    assert row.agrees or any(f.rule != "reports.figure-mismatch" for f in row.explained_by)


def test_only_the_total_put_in_disagrees_and_its_own_parts_show_why(
    study: tuple[Dataset, Reconciliation, Findings, str, Any],
) -> None:
    _, result, findings, _, _ = study
    assert [r.figure.id for r in result.figures if not r.agrees] == ["put-in"]
    assert result.unexplained == ()
    (contradiction,) = findings.where(rule="reports.parts-exceed-total")
    assert contradiction.subject == "put-in"
    assert contradiction.figures["parts"] == "heart-paid, relief-goods, supermarket-goods, zhuji"
    # the parts add up to at least 7450.055万元; the total is at most 4189.5万元
    assert contradiction.figures["parts_at_least"] == Money.parse("7450.055万元").amount
    assert contradiction.figures["total_below"] == Money.parse("4189.5万元").amount
    (mismatch,) = result.findings.where(rule="reports.figure-mismatch")
    assert mismatch.subject == "put-in"
    # the records, built from the parts as printed: the heart operations' 23,917,046.50
    # yuan, and 3877.99 + 1342 + 989.32 + 690 + 530.26 (竹基 191.06 and the 19 projects
    # the article does not name) = 7429.57万元
    (put_in,) = [r for r in result.figures if r.figure.id == "put-in"]
    assert put_in.computed == Money("23917046.50") + Money.parse("7429.57万元")


def test_the_records_break_no_other_rule(
    study: tuple[Dataset, Reconciliation, Findings, str, Any],
) -> None:
    _, _, findings, _, _ = study
    assert findings.counts() == {"reports.parts-exceed-total": 1}


def test_the_dataset_has_the_sizes_the_article_reports(
    study: tuple[Dataset, Reconciliation, Findings, str, Any],
) -> None:
    data, _, _, _, _ = study
    screenings = Counter(s.program_id for s in data.screenings)
    assert screenings == {"heart": 284_200, "eyes": 77_400}
    cases = Counter(c.program_id for c in data.cases)
    assert cases == {"heart": 1330, "eyes": 4723, "medical-aid": 437}
    assert sum(1 for d in data.donations if d.campaign_id == "epidemic-2020") == 293_300
    assert sum(1 for c in data.campaigns if c.platform == "轻松筹") == 1479
    assert len(data.distributions) == 6309
    assert len(data.projects) == 46
    assert len(data.revolving_funds) == 16
    assert len(data.loans) > 16 * 8  # lent again after repayment


def test_2020_is_the_record_year_of_fundraising(
    study: tuple[Dataset, Reconciliation, Findings, str, Any],
) -> None:
    data, _, _, out, report = study
    year, most = report.record_year(data)
    assert (year, most) == (2020, Money.parse("9000万元"))
    assert "the records' best year is 2020, 9000万元" in out


def test_the_report_prints_the_articles_sentences_from_the_records(
    study: tuple[Dataset, Reconciliation, Findings, str, Any],
) -> None:
    _, _, _, out, _ = study
    for sentence in (
        "全市共募集和发放了价值989.32万元的物资,受益群众6309户、2.24万人。",
        "全市四批总投资690万元的16个项目。",
        "累计开展筛查28.42万人次,完成“先心病”手术救助治疗1330例,救助金额达2391.70万余元。",
        "累计筛查老年眼疾患者7.74万人,救治4723人。",
        "发起“轻松筹”筹款项目1479起,筹款1342万元。",
        "2019年筹集价值3877.99万元的物资,支持203个“爱心超市”。",
        "六年来,仅市红十字会募捐款物就达2.6亿元。",
        "新冠肺炎疫情防控社会捐赠达29.33万笔(次)。",
        "累计向贫困地区投入帮扶资金物资9821万元,引进帮扶资金2308万元,援建各类项目46个。",
    ):
        assert sentence in out
    assert "Figures unexplained: 0" in out


def test_handouts_and_operations_reach_the_ledger_by_themselves(
    study: tuple[Dataset, Reconciliation, Findings, str, Any],
) -> None:
    data, _, findings, _, _ = study
    # No flow is written by hand for a handout or an operation ...
    written = Counter(f.destination.kind.value for f in data.flows)
    assert written["household"] == written["case"] == 0
    assert not any(f.origin is not None for f in data.flows)
    # ... the ledger derives each one's, once: 6,309 handouts and 1,330 operations.
    derived = Counter(f.origin.collection for f in data.ledger().flows if f.origin is not None)
    assert derived["distributions"] == 6309
    assert derived["cases"] == 1330
    relief = [f for f in data.ledger().flows if f.id.startswith("distribution:")]
    assert {(str(f.source), f.in_kind, f.purpose) for f in relief} == {
        ("fund:qj-relief", True, "脱贫攻坚")
    }
    assert Money.total(f.amount for f in relief) == Money.parse("989.32万元")
    paid = [f for f in data.ledger().flows if f.id.startswith("case:")]
    assert {str(f.destination) for f in paid} == {"organization:fuwai"}
    assert Money.total(f.amount for f in paid) == Money("23917046.50")
    assert not findings.where(rule="events.")
