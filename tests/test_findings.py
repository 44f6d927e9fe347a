from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from humanaid import Finding, Findings, Money, Severity
from humanaid.testing import findings


def test_a_finding_reads_as_a_sentence() -> None:
    f = Finding(rule="funds.overdrawn", severity="error", subject="f1", message="overdrawn")
    assert str(f) == "ERROR funds.overdrawn [f1]: overdrawn"
    assert f.severity is Severity.ERROR
    assert str(Finding(rule="x.y", severity=Severity.INFO, message="m")) == "INFO x.y: m"


def test_figures_are_read_only_and_typed() -> None:
    f = Finding(rule="a.b", severity="warning", message="m", figures={"n": 1, "m": Money("1")})
    with pytest.raises(TypeError):
        f.figures["n"] = 2  # type: ignore[index]
    with pytest.raises(TypeError, match="must not be a float"):
        Finding(rule="a.b", severity="warning", message="m", figures={"r": 0.5})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="must be str, int, Decimal, Money or date"):
        Finding(rule="a.b", severity="warning", message="m", figures={"r": [1]})  # type: ignore[dict-item]


@pytest.mark.parametrize("rule", ["", "Funds.Overdrawn", "a b", " a", "a\n"])
def test_rule_codes_are_lower_case_codes(rule: str) -> None:
    with pytest.raises(ValueError, match="'rule'"):
        Finding(rule=rule, severity="error", message="m")


def test_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="'severity' must be one of error, warning, info"):
        Finding(rule="a.b", severity="fatal", message="m")


def test_findings_are_hashable_values() -> None:
    a = Finding(rule="a.b", severity="info", message="m", figures={"d": date(2020, 1, 1)})
    b = Finding(rule="a.b", severity="info", message="m", figures={"d": date(2020, 1, 1)})
    c = Finding(rule="a.b", severity="info", message="m", figures={"d": Decimal("1")})
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2


@given(st.lists(findings(), max_size=20))
def test_findings_are_ordered_most_severe_first(items: list[Finding]) -> None:
    fs = Findings(items)
    assert sorted(fs, key=lambda f: f.sort_key) == list(fs)
    assert len(fs) == len(items)
    ranks = [f.severity.rank for f in fs]
    assert ranks == sorted(ranks)


@given(st.lists(findings(), max_size=20))
def test_severity_views_partition_the_findings(items: list[Finding]) -> None:
    fs = Findings(items)
    infos = fs.where(severity="info")
    assert len(fs.errors) + len(fs.warnings) + len(infos) == len(fs)
    assert fs.ok == (len(fs.errors) == 0)
    assert sum(fs.counts().values()) == len(fs)


def test_findings_refuse_other_values() -> None:
    with pytest.raises(TypeError, match="must yield Finding"):
        Findings(["not a finding"])  # type: ignore[list-item]
    assert str(Findings()) == "no findings"


@given(findings())
def test_a_finding_survives_pickle_and_deepcopy(f: Finding) -> None:
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(f)) == f
    assert copy.deepcopy(f) == f
    fs = Findings([f, f])
    again = pickle.loads(pickle.dumps(fs))
    assert type(again) is Findings
    assert again == fs
