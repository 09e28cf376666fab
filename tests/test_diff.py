# SPDX-License-Identifier: MIT
"""`python -m conformance diff OLD NEW`: what became conformant, what regressed, what is new;
unreadable inputs are one line and exit 2."""

import json
import os
import subprocess
import sys

import pytest

from conformance.reporting.diff import compare

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def doc(rows, schema=1):
    impls = sorted({r[0] for r in rows})
    return {"schema": schema, "date": "2025-01-01T00:00:00+00:00", "command": "python -m conformance",
            "implementations": [{"spec": i, "name": i, "version": "1", "profile": "3.11",
                                 "status": "divergent", "reason": None} for i in impls],
            "clauses": [{"id": c, "source": "de-facto", "text": c} for c in sorted({r[1] for r in rows})],
            "results": [{"impl": i, "clause": c, "status": s, "detail": "", "repro": None}
                        for i, c, s in rows]}


OLD = doc([("a", "read.n", "diverge"), ("a", "seek.oob", "pass"), ("a", "tell", "crash"),
           ("a", "len", "pass"), ("a", "bool", "pass"), ("a", "bool", "pass"),
           ("b", "read.n", "pass")])
NEW = doc([("a", "read.n", "pass"), ("a", "seek.oob", "pass"), ("a", "seek.oob", "diverge"),
           ("a", "tell", "diverge"), ("a", "bool", "pass"), ("a", "repr.open", "crash"),
           ("b", "read.n", "pass"), ("c", "read.n", "pass")])


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_compare_sorts_changes_per_implementation_and_clause():
    changes = compare(OLD, NEW)
    assert changes["fixed"] == [("a", "read.n", "diverge", "pass")]
    # One diverging row among passing ones makes the clause diverge (the worst row counts).
    assert changes["regressed"] == [("a", "seek.oob", "pass", "diverge")]
    assert changes["changed"] == [("a", "tell", "crash", "diverge")]
    assert changes["new"] == [("a", "repr.open", None, "crash"), ("c", "read.n", None, "pass")]
    assert changes["gone"] == [("a", "len", "pass", None)]


def test_diff_prints_each_kind_and_exits_1_on_a_regression(tmp_path):
    (tmp_path / "old.json").write_text(json.dumps(OLD))
    (tmp_path / "new.json").write_text(json.dumps(NEW))
    result = run_cli("diff", "old.json", "new.json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "became conformant (failed before, passes now): 1\n  a  read.n  diverge -> pass" in out
    assert "regressed (passed before, fails now): 1\n  a  seek.oob  pass -> diverge" in out
    assert "new (not in the old results): 2" in out and "  c  read.n  - -> pass" in out


def test_diff_without_regressions_exits_0(tmp_path):
    better = doc([("a", "read.n", "pass"), ("a", "seek.oob", "pass"), ("a", "tell", "crash"),
                  ("a", "len", "pass"), ("a", "bool", "pass"), ("b", "read.n", "pass")])
    (tmp_path / "old.json").write_text(json.dumps(OLD))
    (tmp_path / "new.json").write_text(json.dumps(better))
    result = run_cli("diff", "old.json", "new.json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    same = run_cli("diff", "old.json", "old.json", cwd=tmp_path)
    assert same.returncode == 0 and "no changes" in same.stdout


@pytest.mark.parametrize("content, says", [
    (json.dumps(OLD)[:200], "not valid JSON, truncated?"),
    (json.dumps(dict(OLD, schema=2)), "results schema 2, this tool reads schema 1"),
    ("[]", "not a results JSON"),
    (json.dumps(dict(OLD, results=[{"impl": "a", "clause": "x", "status": "maybe"}])),
     "status 'maybe'"),
    (None, "cannot read it"),
])
def test_unreadable_results_are_one_line_and_exit_2(tmp_path, content, says):
    (tmp_path / "old.json").write_text(json.dumps(OLD))
    if content is not None:
        (tmp_path / "new.json").write_text(content)
    result = run_cli("diff", "old.json", "new.json", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "new.json" in lines[0], result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_diff_usage_error_is_one_line(tmp_path):
    result = run_cli("diff", "only-one.json", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def interrupted(document, stopped_by="Ctrl-C", impl="a"):
    """`document` as an interrupted run writes it: marked incomplete, `impl` left incomplete."""
    for info in document["implementations"]:
        if info["spec"] == impl:
            info.update(status="incomplete", reason=f"stopped by {stopped_by}: no results from "
                        "the lockstep machine")
    return dict(document, incomplete=True, stopped_by=stopped_by)


def run_diff(folder, old, new):
    """`python -m conformance diff old.json new.json` over two documents written in `folder`."""
    (folder / "old.json").write_text(json.dumps(old))
    (folder / "new.json").write_text(json.dumps(new))
    return run_cli("diff", "old.json", "new.json", cwd=folder)


def test_results_missing_from_an_interrupted_run_are_counted_not_gone(tmp_path):
    # The interrupted run reached read.n (fixed) and seek.oob (regressed) before Ctrl-C.
    cut = interrupted(doc([("a", "read.n", "pass"), ("a", "seek.oob", "diverge"),
                           ("b", "read.n", "pass")]))
    result = run_diff(tmp_path, OLD, cut)
    assert result.returncode == 3, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("diff old.json -> new.json: not a full comparison: new.json is "
                        "incomplete (stopped by Ctrl-C)")
    assert "  new.json: a is incomplete: stopped by Ctrl-C: no results from the lockstep machine" in lines
    # a's tell, len and bool: in the old run only.
    assert ("  new.json has no result for 3 clause(s) that old.json has: not compared "
            "(neither new nor gone)") in lines
    assert "gone" not in result.stdout.replace("neither new nor gone", "")
    assert "regressed (passed before, fails now): 1\n  a  seek.oob  pass -> diverge" in result.stdout
    assert "became conformant (failed before, passes now): 1" in result.stdout
    assert result.stderr.count("\n") == 1 and "new.json is incomplete" in result.stderr


def test_an_implementation_left_incomplete_counts_per_implementation(tmp_path):
    # The old run completed, but left `a` incomplete (say, harness errors); `b` was complete,
    # so what it lacks is still new or gone.
    old = doc([("a", "read.n", "pass"), ("b", "read.n", "pass")])
    old["implementations"][0].update(status="incomplete", reason="2 harness error(s)")
    new = doc([("a", "read.n", "pass"), ("a", "tell", "pass"), ("b", "seek.oob", "pass")])
    changes = compare(old, new)
    assert changes["unknown_old"] == [("a", "tell", None, "pass")]
    assert changes["new"] == [("b", "seek.oob", None, "pass")]
    assert changes["gone"] == [("b", "read.n", "pass", None)]
    result = run_diff(tmp_path, old, new)
    assert result.returncode == 3, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("diff old.json -> new.json: not a full comparison: old.json has 1 "
                        "incomplete implementation(s)")
    assert lines[1:3] == ["  old.json: a is incomplete: 2 harness error(s)",
                          "  old.json has no result for 1 clause(s) that new.json has: not "
                          "compared (neither new nor gone)"]
