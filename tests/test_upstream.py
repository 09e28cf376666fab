# SPDX-License-Identifier: MIT
"""conformance/reporting/upstream.toml and the Upstream line of an issue text."""

import fnmatch

from conformance import clauses
from conformance.engine import ops as o
from conformance.engine.finding import record
from conformance.reporting import upstream


def _record(clause, steps, expected, got, fields, **extra):
    return dict(record("x", steps, expected, got, fields, clause), **extra)


def test_every_recorded_issue_is_complete_and_names_real_clauses():
    checked, issues = upstream.load()
    catalogue = clauses.load()
    assert checked.count("-") == 2 and issues
    for issue in issues:
        assert issue["url"].startswith("https://github.com/") and issue["about"]
        assert issue["status"] in ("open", "closed") and issue["impl"]
        assert issue.get("clause") or issue.get("id"), issue["url"]
        for pattern in issue.get("clause", ()):
            assert fnmatch.filter(catalogue, pattern), f"{issue['url']}: no clause {pattern}"


def test_a_finding_gets_its_known_upstream_issue_or_says_none_is_recorded():
    expected = {"out": ["exc", "BufferError", None, "cannot close exported pointers exist"]}
    closed = _record("buffer.close-exported", [o.Open(b"ab"), o.Export(), o.Close()], expected,
                     {"out": ["ok", None]}, ["out"])
    line = upstream.line(closed, "pypy3.11")
    assert "[pypy/pypy#3723](https://github.com/pypy/pypy/issues/3723) (open)" in line
    assert upstream.line(closed, "fmmap").startswith("- **Upstream:** none recorded as of ")
    # What the host's own mmap does is CPython's, whichever implementation showed it.
    crash = _record("resize.anon-shared-grow", [o.Open(None, 4095), o.Resize(4097)],
                    {"out": ["exc", "ValueError", None, "x"]}, {"crash": 7, "signal": "SIGBUS"},
                    ["crash"], origin="host")
    assert "python/cpython#138204" in upstream.line(crash, "mypkg:factory")
    assert "fixed in 3.13.8" in upstream.line(crash, "stdlib")
