# SPDX-License-Identifier: MIT
"""Expectations files: known divergences keep a run green, a new one or a stale one turns it red,
a broken file is one line and exit 2."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A mutant (read_byte off by one) and its control (the same class without the bug), both built on
# tests.mutants.Faithful so everything else behaves exactly as the stdlib does.
MUTANTS = textwrap.dedent("""
    from tests.mutants import Faithful


    class OffByOne(Faithful):
        __slots__ = ()

        def read_byte(self):
            return (super().read_byte() + 1) % 256


    class Control(Faithful):
        __slots__ = ()
""")
# Clause tests only, a few examples: enough to meet read_byte's clauses, and quick.
QUICK = ("--only", "clauses", "--examples", "5", "--seed", "1")


def run_cli(*args, cwd, timeout=300):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(cwd), ROOT, os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def write_known(path, entries, impl=None):
    lines = [] if impl is None else [f"impl = {json.dumps(impl)}"]
    for clause, status, reason in entries:
        lines += ["[[known]]", f"clause = {json.dumps(clause)}", f"status = {json.dumps(status)}",
                  f"reason = {json.dumps(reason)}", ""]
    path.write_text("\n".join(lines))


@pytest.fixture(scope="module")
def mutant_dir(tmp_path_factory):
    """The mutants module, and the expectations --update-expectations wrote for OffByOne."""
    folder = tmp_path_factory.mktemp("expectations")
    (folder / "offbyone.py").write_text(MUTANTS)
    result = run_cli("--impl", "offbyone:OffByOne", *QUICK, "--expectations-dir", "exp",
                     "--update-expectations", cwd=folder)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "rewritten" in result.stdout
    return folder


def known_of(folder):
    with open(folder / "exp" / "offbyone_OffByOne.toml", "rb") as f:
        return tomllib.load(f)


def test_update_writes_every_divergence_with_a_reason(mutant_dir):
    data = known_of(mutant_dir)
    assert data["impl"] == "offbyone:OffByOne"
    clauses = {k["clause"]: k for k in data["known"]}
    assert "read_byte" in clauses and clauses["read_byte"]["status"] == "diverge"
    assert all(k["reason"].startswith("TODO: why this is accepted.") for k in data["known"])


def test_known_divergences_keep_the_run_green(mutant_dir):
    result = run_cli("--impl", "offbyone:OffByOne", *QUICK, "--expectations-dir", "exp",
                     "--json", "r.json", cwd=mutant_dir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    assert "0 new" in result.stdout
    rows = json.loads((mutant_dir / "r.json").read_text())["results"]
    assert any(r["clause"] == "read_byte" and r.get("expected") for r in rows)


def test_without_the_expectation_the_run_is_red(mutant_dir, tmp_path):
    entries = [(k["clause"], k["status"], k["reason"]) for k in known_of(mutant_dir)["known"]
               if k["clause"] != "read_byte"]
    write_known(tmp_path / "partial.toml", entries)
    result = run_cli("--impl", "offbyone:OffByOne", *QUICK,
                     "--expectations", str(tmp_path / "partial.toml"), cwd=mutant_dir)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    assert "NEW diverge on read_byte" in result.stdout


def test_a_fixed_implementation_makes_the_expectation_stale(mutant_dir, tmp_path):
    entries = [(k["clause"], k["status"], k["reason"]) for k in known_of(mutant_dir)["known"]]
    write_known(tmp_path / "control.toml", entries)  # no impl key: it is for the only one
    result = run_cli("--impl", "offbyone:Control", *QUICK,
                     "--expectations", str(tmp_path / "control.toml"), cwd=mutant_dir)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr
    assert "STALE read_byte now passes" in result.stdout
    assert "conformant" in result.stdout  # the implementation itself is fine: the file is stale


BAD = [
    ("[[known]]\nclase = 'read_byte'\nstatus = 'diverge'\nreason = 'x'\n",
     "[[known]] #1 has an unknown key 'clase'"),
    ("[[known]]\nclause = 'read_bite'\nstatus = 'diverge'\nreason = 'x'\n",
     "clause 'read_bite' is not in the catalogue"),
    ("[[known]]\nclause = 'read_byte'\nstatus = 'fails'\nreason = 'x'\n",
     "status 'fails', expected diverge, crash or crash|diverge"),
    ("[[known]]\nclause = 'read_byte'\nstatus = 'diverge'\n", "needs reason = \"...\""),
    ("[[known]\nclause = 'read_byte'\n", "not valid TOML"),
    ("implementation = 'stdlib'\n", "unknown top-level key 'implementation'"),
    ("[[known]]\nclause = 'read_byte'\nstatus = 'diverge'\nreason = 'x'\n" * 2, "listed twice"),
    ("[[known]]\nclause = 'read_byte'\nstatus = 'diverge'\nreason = 'x'\nversions = '3.11'\n",
     "versions '3.11', expected bounds"),
]


@pytest.mark.parametrize("content, says", BAD, ids=[b[1][:24] for b in BAD])
def test_a_broken_expectations_file_is_one_line_and_exit_2(tmp_path, content, says):
    (tmp_path / "stdlib.toml").write_text(content)
    result = run_cli("--impl", "stdlib", "--expectations", "stdlib.toml", cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0] and "stdlib.toml" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, says", [
    (["--expectations", "nope.toml"], "expectations nope.toml: no such file"),
    (["--expectations-dir", "nope"], "--expectations-dir nope: no such folder"),
    (["--update-expectations"], "--update-expectations needs --expectations FILE"),
])
def test_expectation_options_are_checked_before_the_run(tmp_path, args, says):
    result = run_cli("--impl", "stdlib", *args, cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr


def test_a_file_for_another_implementation_is_a_usage_error(tmp_path):
    write_known(tmp_path / "x.toml", [("read_byte", "diverge", "r")], impl="fmmap")
    result = run_cli("--impl", "reference", "--expectations", "x.toml", cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert "impl 'fmmap' is not one of this run's --impl (reference)" in result.stderr


def test_cpython_expectations_hold_only_crashes_and_cited_fixed_bugs():
    """A real CPython that diverges at its own profile is a reference bug, unless it crashes or
    the bug was fixed in a later patch release: each known divergence of a CPython is one of
    those two, with its gh issue."""
    import re

    from conformance import clauses
    from conformance.expectations import parse

    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "expectations")
    catalogue = clauses.load()
    checked = 0
    for name in sorted(os.listdir(folder)):
        if not name.startswith("cpython"):
            continue
        for clause, entry in parse(os.path.join(folder, name), catalogue)["known"].items():
            reason = entry["reason"]
            assert re.search(r"\bgh-\d+", reason), f"{name} {clause}: no gh issue in {reason!r}"
            assert "crash" in entry["status"].split("|") or re.search(r"fixed in \d+\.\d+\.\d+", reason), (
                f"{name} {clause}: neither a crash nor a bug fixed in a later patch release")
            checked += 1
    assert checked


@pytest.mark.parametrize("versions, release, holds", [
    ("<3.13.8", "3.13.0", True), ("<3.13.8", "3.13.8", False), ("<3.13.8", "3.13.18", False),
    (">=3.11,<3.11.4", "3.11.2", True), (">=3.11,<3.11.4", "3.11.7", False),
    (">=3.11,<3.11.4", "3.10.13", False), (None, "3.15.2", True), ("<3.11.5", None, True),
])
def test_an_entry_holds_for_the_releases_its_versions_name(versions, release, holds):
    from impls.profiles import within

    assert within(versions, release) is holds


def test_entries_for_other_releases_neither_count_nor_go_stale(tmp_path):
    """One file serves every patch release: an entry for older ones is not applied to newer."""
    from argparse import Namespace

    from conformance import clauses
    from conformance.expectations import assign, judge

    path = tmp_path / "cpython3.13.toml"
    path.write_text('[[known]]\nclause = "resize.anon-shared-grow"\nstatus = "crash"\n'
                    'reason = "gh-138204"\nversions = "<3.13.8"\n')
    args = Namespace(expectations=None, expectations_dir=str(tmp_path))
    old = {"spec": "cpython3.13.0", "name": "cpython3.13.0",
           "about": {"implementation": "cpython", "version": "3.13", "full_version": "3.13.0"}}
    new = {"spec": "cpython3.13", "name": "cpython3.13",
           "about": {"implementation": "cpython", "version": "3.13", "full_version": "3.13.18"}}
    assigned = assign(args, [], [old, new], clauses.load())
    rows = [{"impl": "cpython3.13.0", "clause": "resize.anon-shared-grow", "status": "crash"},
            {"impl": "cpython3.13", "clause": "resize.anon-shared-grow", "status": "pass"}]
    import io
    verdicts = judge(assigned, [old, new], rows, io.StringIO())
    assert verdicts["cpython3.13.0"]["known"] and not verdicts["cpython3.13.0"]["new"]
    assert not verdicts["cpython3.13"]["stale"] and not verdicts["cpython3.13"]["known"]


def test_a_divergence_reached_by_chance_that_passes_is_unchecked_and_kept(tmp_path):
    """by_chance: random sequences reach it only sometimes, so a run that passes its clause
    proves no fix: unchecked, not stale, and --update-expectations keeps it."""
    import io
    from argparse import Namespace

    from conformance import clauses
    from conformance.expectations import assign, judge, parse, update

    path = tmp_path / "cpython3.11.toml"
    path.write_text('[[known]]\nclause = "reent.resize"\nstatus = "diverge"\nreason = "gh-105235"\n'
                    'by_chance = true\nversions = "<3.11.5"\n')
    args = Namespace(expectations=None, expectations_dir=str(tmp_path))
    info = {"spec": "cpython3.11.2", "name": "cpython3.11.2",
            "about": {"implementation": "cpython", "version": "3.11", "full_version": "3.11.2"}}
    catalogue = clauses.load()
    assigned = assign(args, [], [info], catalogue)
    rows = [{"impl": "cpython3.11.2", "clause": "reent.resize", "status": "pass"}]
    verdicts = judge(assigned, [info], rows, io.StringIO())
    assert verdicts["cpython3.11.2"]["unchecked"] and not verdicts["cpython3.11.2"]["stale"]
    update(assigned, [info], rows, io.StringIO())
    assert parse(str(path), catalogue)["known"]["reent.resize"]["by_chance"] is True
    path.write_text('[[known]]\nclause = "reent.resize"\nstatus = "diverge"\nreason = "x"\n'
                    'by_chance = "yes"\n')
    with pytest.raises(Exception, match="by_chance must be true or false"):
        parse(str(path), catalogue)
