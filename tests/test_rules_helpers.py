"""The rules' shared helpers: the trusted construction of the findings they build."""

from __future__ import annotations

import copy
import pickle

from hypothesis import given

from humanaid import Finding
from humanaid.rules._helpers import finding
from humanaid.testing import findings


@given(findings())
def test_a_trusted_finding_is_the_checked_finding(checked: Finding) -> None:
    made = finding(
        checked.rule, checked.severity, checked.subject, checked.message, dict(checked.figures)
    )
    assert type(made) is Finding
    assert made == checked
    assert repr(made) == repr(checked)
    assert str(made) == str(checked)
    assert hash(made) == hash(checked)
    assert made.sort_key == checked.sort_key
    assert type(made.figures) is type(checked.figures)  # read-only, like the checked one
    assert dict(made.figures) == dict(checked.figures)
    assert pickle.loads(pickle.dumps(made)) == checked
    assert copy.deepcopy(made) == checked
