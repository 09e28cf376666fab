# SPDX-License-Identifier: MIT
"""conformance/reporting/citations.toml: every clause cites where its claim comes from, from the package
alone (an installed wheel has no spec folder), and the file is what the spec says today."""

import os
import subprocess
import sys

import pytest

from conformance import clauses
from conformance.reporting import issues

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, os.pardir, "shared", "spec")


def test_every_clause_has_a_citation():
    cited = issues._citations()
    missing = sorted(set(clauses.load()) - set(cited))
    assert not missing, missing
    assert all(c["where"] and c["says"] for c in cited.values())


def test_a_documented_clause_quotes_its_sentence_and_a_de_facto_one_its_row_and_versions():
    catalogue = clauses.load()
    documented = issues.source(catalogue["doc.object.mutable"])
    assert documented.startswith("the documentation, `001_2e1b07f0d1402ecb.tex` line 8: \"")
    assert "mutable" in documented
    de_facto = issues.source(catalogue["resize.zero-file"])
    assert de_facto.startswith("CPython's observable behaviour, `cpython-behaviour.md` line ")
    assert "(CPython versions: " in de_facto and "OSError" in de_facto


def test_an_unknown_clause_says_so():
    assert "no citation recorded" in issues.source({"id": "no.such.clause", "source": "x"})


@pytest.mark.skipif(not os.path.isdir(SPEC), reason="no ../shared/spec beside this checkout")
def test_the_citations_are_up_to_date_with_the_spec():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "cite_clauses.py"),
                           "--check", SPEC], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
