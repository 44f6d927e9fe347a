"""The pages written from the code: the tables of rule and error codes, and their sources.

docs/_ext/apiref.py writes them when the docs are built; these tests read the library's
source on their own and check that nothing it uses is missing from the pages.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterator
from pathlib import Path

import pytest

import humanaid
from builders import apiref
from humanaid import BUILTIN_RULES, ERROR_CODES, Dataset, Organization, OrgLevel, Severity
from humanaid.errors import ERROR_CODES as ERROR_CODES_OF_ERRORS

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "humanaid"
DOCS = ROOT / "docs"


_apiref = apiref


def _keyword_strings(keyword: str) -> Iterator[tuple[str, Path]]:
    """Every ``keyword="text"`` in the library's code (not in its docstrings or comments).

    Read token by token: a docstring is one string token, so its examples are not code.
    """
    for path in sorted(SRC.rglob("*.py")):
        tokens = [
            t
            for t in tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
            if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
        ]
        for name, equals, value in zip(tokens, tokens[1:], tokens[2:], strict=False):
            if (
                name.type == tokenize.NAME
                and name.string == keyword
                and equals.string == "="
                and value.type == tokenize.STRING
                and "f" not in value.string.split(value.string[-1])[0].lower()  # no f-string
            ):
                text = ast.literal_eval(value.string)
                if isinstance(text, str):
                    yield text, path


# -- rule codes ---------------------------------------------------------------------------------


def test_every_rule_code_in_the_source_is_on_the_codes_page() -> None:
    page = _apiref().rule_codes_page()
    codes = {code for code, _ in _keyword_strings("rule")}
    assert {"funds.overdrawn", "reports.figure-mismatch", "compliance.admin-above-ceiling"} <= codes
    missing = sorted(code for code in codes if f"``{code}``" not in page)
    assert not missing, f"rule codes used in src/humanaid but not on docs/codes.rst: {missing}"


def test_every_built_in_rule_emits_a_code_on_the_page() -> None:
    listed = {rule.rpartition(".")[2] for c in _apiref().rule_codes() for rule in c.rules}
    for rule in BUILTIN_RULES:
        assert rule.__name__ in listed, rule.__name__  # type: ignore[attr-defined]


def test_each_rule_code_has_its_severities_rule_and_meaning() -> None:
    codes = {c.code: c for c in _apiref().rule_codes()}
    levels = {s.name.lower() for s in Severity}
    for c in codes.values():
        assert c.severities
        assert set(c.severities) <= levels, c
        assert c.rules, c
        assert c.summary.endswith("."), c
    # a rule that emits several codes has each on its own, with its own meaning
    in_kind = [c for c in codes.values() if c.code.startswith("fundraising.in-kind-")]
    assert {c.code: c.severities for c in in_kind} == {
        "fundraising.in-kind-total": ("error",),
        "fundraising.in-kind-unitemised": ("info",),
        "fundraising.in-kind-unvalued": ("warning",),
    }
    assert len({c.summary for c in in_kind}) == 3
    # codes only some rules emit say so; built-in ones name only the built-in rule
    assert not codes["reports.figure-mismatch"].builtin
    assert codes["reports.figure-mismatch"].rules == ("humanaid.reconcile",)
    assert codes["fundraising.pledge-mismatch"].rules == (
        "humanaid.rules.fundraising.overpaid_pledges",
    )
    assert codes["compliance.spending-below-floor"].builtin


def test_a_code_the_rules_find_is_a_code_on_the_page() -> None:
    # the page is about what the rules really emit: a dataset that breaks one says so
    twice = (Organization(id="o", name="红十字会", level=OrgLevel.CITY),) * 2
    found = {f.rule for f in Dataset(organizations=twice).validate()}
    assert "integrity.duplicate-id" in found
    assert found <= {c.code for c in _apiref().rule_codes()}


# -- error codes --------------------------------------------------------------------------------


def test_error_codes_are_exported_and_read_only() -> None:
    assert "ERROR_CODES" in humanaid.__all__
    assert ERROR_CODES is ERROR_CODES_OF_ERRORS
    with pytest.raises(TypeError):
        ERROR_CODES["new"] = "x"  # type: ignore[index]
    assert all(meaning and meaning[0].islower() for meaning in ERROR_CODES.values())


def test_every_problem_code_in_the_source_is_in_error_codes() -> None:
    keyword = {code for code, _ in _keyword_strings("code")}
    positional = set(_apiref().error_code_uses())  # _fail("wrong-type", ...) and the like
    assert {"missing", "invalid-json", "wrong-cell-count"} <= keyword
    assert {"wrong-type", "invalid-integer", "empty-file"} <= positional
    missing = sorted((keyword | positional) - set(ERROR_CODES))
    assert not missing, f"Problem codes used in src/humanaid but not in ERROR_CODES: {missing}"


def test_every_error_code_is_used_somewhere() -> None:
    used = set(_apiref().error_code_uses())
    assert not set(ERROR_CODES) - used, "ERROR_CODES lists a code nothing gives any more"


def test_the_error_codes_page_lists_every_code_with_where_it_comes_from() -> None:
    page = _apiref().error_codes_page()
    for code, meaning in ERROR_CODES.items():
        assert f"``{code}``" in page
        assert meaning in page
    assert ":mod:`~humanaid.interop.arrow`" in page


# -- the pages ----------------------------------------------------------------------------------


def test_the_pages_are_in_the_docs_and_their_toctree() -> None:
    codes = (DOCS / "codes.rst").read_text(encoding="utf-8")
    assert ".. humanaid-rule-codes::" in codes
    assert ".. humanaid-error-codes::" in codes
    assert ".. humanaid-api::" in (DOCS / "reference.rst").read_text(encoding="utf-8")
    index = (DOCS / "index.rst").read_text(encoding="utf-8")
    for page in ("reference", "codes", "contributing"):
        assert f"\n   {page}\n" in index, page
    assert '"apiref"' in (DOCS / "conf.py").read_text(encoding="utf-8")


def test_where_things_live_names_every_floor_and_the_private_doors() -> None:
    text = (DOCS / "contributing.rst").read_text(encoding="utf-8")
    for word in ("kernel", "domain", "dataset", "figures", "exchange", "face", "testing"):
        assert word in text, word
    for door in ("_serialize_fast", "_aggregate_fast", "_gc"):
        assert f"``{door}``" in text, door


def test_the_reference_documents_each_name_once_and_no_deprecated_module() -> None:
    text = _apiref().api_reference()
    targets = [line.split("::")[1].strip() for line in text.splitlines() if line.startswith("..")]
    targets = [t for t in targets if t]
    assert len(targets) == len(set(targets))
    assert "humanaid.report" not in targets
    assert "humanaid.reported" not in targets
    assert not any(t.startswith(("humanaid.report.", "humanaid.reported.")) for t in targets)
