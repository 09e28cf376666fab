# SPDX-License-Identifier: MIT
"""conformance/reporting/issues.py: per finding a reproducer and an issue text whose output was got by
running the script on both sides; conformance/reporting/replay.py's shared runner and its import check."""

import json
import os
import subprocess
import sys

from conformance import clauses
from conformance.reporting import issues, replay
from conformance.reporting.findings import findings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MUTANT = "tests.mutants:seek_return_flipped"
PROFILE = f"{sys.version_info[0]}.{sys.version_info[1]}"


def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def test_repro_dir_writes_a_script_and_an_issue_text_per_finding(tmp_path):
    run = subprocess.run([sys.executable, "-m", "conformance", "--impl", MUTANT, "--only",
                          "clauses", "-k", "seek.return", "--json", "r.json", "--repro-dir",
                          "repro"], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    doc = json.loads((tmp_path / "r.json").read_text())
    found = issues.named(doc)
    assert found and len(found) == len(findings(doc["results"]))
    names = sorted(os.listdir(tmp_path / "repro"))
    # Per finding its issue text and reproducer; beside a plain one, the step-by-step trace.
    traced = {n[:-len(".trace.py")] for n in names if n.endswith(".trace.py")}
    assert names == sorted([f["name"] + ext for f in found for ext in (".md", ".py")]
                           + [name + ".trace.py" for name in traced])
    assert f"reproducers:  repro ({len(found)} finding(s)" in run.stdout
    seek = next(f for f in found if "seek.return" in f["clauses"])
    assert seek["name"] == "tests.mutants-seek-return-flipped-seek-returns-int-not-returns-none"
    # The script, plain: its difference on the mutant (exit 1), none on this CPython (exit 0);
    # the trace beside it shows each step on both sides.
    assert seek["name"] in traced
    script = tmp_path / "repro" / f"{seek['name']}.py"
    plain = script.read_text()
    assert "import importlib, mmap, os, sys, tempfile" in plain and "new_file" not in plain
    assert len(plain.splitlines()) <= 8
    on_mutant = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(),
                               capture_output=True, text=True, timeout=60)
    assert on_mutant.returncode == 1 and "AssertionError" in on_mutant.stderr, on_mutant.stderr
    on_stdlib = subprocess.run([sys.executable, str(script), "--stdlib"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=60)
    assert on_stdlib.returncode == 0, on_stdlib.stdout + on_stdlib.stderr
    trace = tmp_path / "repro" / f"{seek['name']}.trace.py"
    on_mutant = subprocess.run([sys.executable, str(trace)], cwd=tmp_path, env=_env(),
                               capture_output=True, text=True, timeout=60)
    assert on_mutant.returncode == 1 and "<-- differs" in on_mutant.stdout, on_mutant.stdout
    # The issue text: a title, the clause's text and versions, where it comes from, the
    # outputs of the real runs.
    text = (tmp_path / "repro" / f"{seek['name']}.md").read_text()
    clause = clauses.load()["seek.return"]
    first = text.split("\n")[0]
    assert first.startswith("# mmap: `m.seek(") and first.endswith(f"(CPython {PROFILE})")
    assert f"- **Implementation:** `{MUTANT}`" in text
    assert f"- `seek.return` (holds for {clause['versions']}): {clause['text']}" in text
    assert "CPython's observable behaviour, `cpython-behaviour.md` line" in text
    assert f"[`{seek['name']}.py`]({seek['name']}.py)" in text
    assert f"{seek['name']}.py`: exit 1 (as the finding says)" in text
    if replay._cpython_for(PROFILE):
        assert f"{seek['name']}.py --stdlib`: exit 0 (as the finding says)" in text
    assert "```python\n" + plain.rstrip("\n") + "\n```" in text
    assert f"[`{seek['name']}.trace.py`]({seek['name']}.trace.py)" in text


def _finding_doc(profile, repro, impl="stdlib"):
    detail = "step 2 m.seek(1): expected returns None, got returns 1 (out differ)"
    return {"command": "python -m conformance --impl stdlib", "date": "2026-01-01",
            "implementations": [{"spec": impl, "name": impl, "version": "3.11.7",
                                 "profile": profile}],
            "clauses": [{"id": "seek.return", "source": "de-facto", "text": "seek() returns.",
                         "versions": "all"}],
            "results": [{"impl": impl, "clause": "seek.return", "status": "diverge",
                         "detail": detail, "repro": repro}]}


def test_a_side_that_cannot_run_here_says_so_and_no_output_is_made_up(tmp_path):
    doc = _finding_doc("9.9", "import sys\nprint('ran it')\nsys.exit(1)\n")
    (f,) = issues.write(doc, str(tmp_path))
    text = (tmp_path / f"{f['name']}.md").read_text()
    assert f["issue"] == "mmap: `m.seek(1)` returns 1 instead of None (CPython 9.9)"
    assert "### On CPython 9.9, with `--stdlib`\n\nNot run here: no CPython of profile 9.9 " \
        "here." in text
    assert "exit 1 (as the finding says)" in text and "ran it" in text  # the real run


def test_titles_read_as_bug_reports():
    def title(detail, key=None):
        f = {"key": key or ["x"], "detail": detail, "status": "diverge", "title": ""}
        return issues.title(f, "3.11")

    assert title("step 2 m.resize(0): expected raises OSError [errno EINVAL]: x, got crashed "
                 "(SIGBUS) (crash differ)") == \
        "mmap: `m.resize(0)` crashes (SIGBUS) instead of raising OSError [errno EINVAL] " \
        "(CPython 3.11)"
    assert title("step 2 del m[1]: expected raises IndexError: a, got raises TypeError: b "
                 "(out differ)") == "mmap: `del m[1]` raises TypeError instead of IndexError " \
        "(CPython 3.11)"
    assert title("step 1 m = factory(-1, -1): expected raises OverflowError: a, got returns "
                 "None (out differ)").startswith("mmap: `mmap.mmap(-1, -1)` returns None "
                                                 "instead of raising OverflowError")
    assert title("step 3 m2[0:2] = b'AB': expected returns None, got returns None (data at "
                 "byte 0 differ)") == "mmap: `m2[0:2] = b'AB'` leaves the map's contents " \
        "different from CPython 3.11 (it returns None as required)"


def test_replay_counts_a_reproducer_that_cannot_import_its_module_apart(tmp_path, capsys):
    """A module:factory script run where its module does not import never ran a step: not "did
    not hold", and not a difference shown either (its exit 2 is not 1)."""
    from conformance.engine import ops as o
    from conformance.engine.repro import script

    steps = [o.Open(None, 10)]
    expected = [{"out": ["ok", None], "state": "open", "len": 10, "pos": 0, "data": "00" * 10}]
    text = script("nowhere_such_module:factory", PROFILE, steps, expected, expected[-1],
                  clause="ctor.anon", fields=["out"])
    doc = {"implementations": [{"spec": "nowhere_such_module:factory", "profile": PROFILE}],
           "results": [{"impl": "nowhere_such_module:factory", "clause": "ctor.anon",
                        "status": "diverge", "repro": text}]}
    (path := tmp_path / "r.json").write_text(json.dumps(doc))
    code = replay.main([str(path)])
    out = capsys.readouterr().out
    assert "on_impl: 1 cannot import" in out
    assert ("nowhere_such_module:factory ctor.anon: on_impl cannot import nowhere_such_module "
            "(run from the folder where it imports)") in out
    assert code == 0 and "did not hold" not in out
    # An older script without the check dies of the ImportError itself: the same verdict.
    tb = "Traceback (most recent call last):\n  ...\nModuleNotFoundError: No module named 'fmmap'"
    assert replay.cannot_import(1, tb) == "fmmap"
    assert replay.cannot_import(1, "1 step(s) differ from what the spec requires") is None


def test_an_implementation_this_checkout_does_not_know_is_not_run(tmp_path):
    doc = _finding_doc("9.9", "import sys\nsys.exit(1)\n", impl="ghost")
    (f,) = issues.write(doc, str(tmp_path))
    text = (tmp_path / f"{f['name']}.md").read_text()
    assert "### On `ghost`\n\nNot run here: 'ghost' is not an implementation this checkout " \
        "knows." in text


def test_an_issue_text_says_first_when_cpython_crashes_there_and_whose_finding_it_is():
    """The record's facts come first: CPython itself crashing at the step, and the host's
    origin; the title and steps are made from the record."""
    from conformance.engine import ops as o
    from conformance.engine.finding import record

    steps = [o.Open(b"ab"), o.Resize(0)]
    expected = {"out": ["exc", "OSError", "EINVAL", "[Errno 22] Invalid argument"]}
    rec = record("pypy3", steps, expected, {"out": ["ok", None]}, ["out"], "resize.zero-file")
    rec["cpython"] = "CPython 3.11 itself crashes or is undefined at this step: gh-148650"
    row = {"impl": "pypy3", "clause": "resize.zero-file", "status": "diverge", "detail": "",
           "repro": "# script", "finding": rec}
    doc = {"implementations": [{"spec": "pypy3", "profile": "3.11"}], "results": [row]}
    (f,) = issues.named(doc)
    assert f["issue"] == ("mmap: `m.resize(0)` returns None instead of raising OSError "
                          "[errno EINVAL] (CPython 3.11)")
    text = issues.text(f, {"spec": "pypy3", "profile": "3.11"}, clauses.load(), None)
    lines = text.splitlines()
    assert lines[2].startswith("- **CPython itself:** CPython 3.11 itself crashes")
    assert "m.resize(0)" in text and "Origin: the host" not in text
    host = dict(f, origin="host", finding=dict(rec, origin="host", host="the host's own mmap"))
    assert "- **Origin: the host.** These steps end the same way on the host's own mmap" in \
        issues.text(host, {"spec": "pypy3", "profile": "3.11"}, clauses.load(), None)


def test_published_text_names_no_path_of_this_machine(tmp_path, monkeypatch):
    home = os.path.expanduser("~")
    monkeypatch.chdir(tmp_path)
    text = (f"`{home}/.pyenv/versions/3.11.7/bin/python x.py`, `/usr/bin/python3.13`, "
            f"--json {tmp_path}/out/r.json, https://github.com/python/cpython/issues/70546, "
            "Doc/library/mmap.rst")
    shown = issues.public(text)
    assert home not in shown and str(tmp_path) not in shown and "/usr/bin" not in shown
    assert "`python x.py`" in shown and "`python3.13`" in shown and "--json r.json" in shown
    assert "https://github.com/python/cpython/issues/70546" in shown
    assert "Doc/library/mmap.rst" in shown
